/* certdeck core — the agent's side of a check-in (cd_agent_checkin,
 * certdeck/server.h): one POST over the HTTPS client with the agent's
 * client certificate; and what its answer says about the mirror, read and
 * written to a file for the agent's own use.  Apart from the server's side (which decides) because
 * it shares nothing with it but the wire format. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <jansson.h>
#include "http_int.h"
#include "json_int.h"

/* The request body; the password (when any) is wiped from jansson's copy
 * before it is freed.  Caller wipes and frees the text. */
static int request_body(const struct cd_agent_opts *o, char **out, struct cd_err *err)
{
    json_t *root = json_object(), *name = json_string(o->name), *pw = NULL;
    int rc = CD_OK;
    if (!root) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (!name) { rc = cdi_fail(err, CD_E_INVAL, "the client name is not valid UTF-8"); goto out; }
    json_object_set_new(root, "name", name);
    if (o->password) {
        if (!(pw = json_string(o->password))) { rc = cdi_fail(err, CD_E_INVAL, "the client password is not valid UTF-8"); goto out; }
        json_object_set(root, "password", pw);
    }
    if (!(*out = json_dumps(root, JSON_COMPACT | JSON_ENSURE_ASCII))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    if (pw) {
        /* jansson's own copy of the secret: it is ours (malloc'd, not
         * shared), so wiping it through the const view is sound */
        char *v = (char *)json_string_value(pw);
        cdi_wipe(v, strlen(v));
        json_decref(pw);
    }
    json_decref(root);
    return rc;
}

/* The verdict from the status and the body. */
static void read_answer(const struct cdi_buf *b, long status, struct cd_agent_answer *out)
{
    json_t *j = json_loadb((const char *)b->p, b->len, 0, NULL);
    const char *why = json_string_value(json_object_get(j, "error"));
    json_t *acc = json_object_get(j, "accepted");
    if (status == 200 && !json_is_false(acc))
        out->accepted = 1;
    else if (why && *why && (status == 200 || status == 401 || status == 403))
        snprintf(out->message, sizeof out->message, "%s", why);
    else if (why && *why)
        snprintf(out->message, sizeof out->message, "HTTP %ld: %s", status, why);
    else
        snprintf(out->message, sizeof out->message, "HTTP %ld", status);
    json_decref(j);
}

int cd_agent_checkin(const struct cd_agent_opts *o, struct cd_agent_answer *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!o || !o->server || !o->cacert || !o->cert_file || !o->key_file || !o->name)
        return cdi_fail(err, CD_E_INVAL, "a check-in needs the server, its CA file, the client certificate, its key "
                        "and the client's name");
    if (!*o->name) return cdi_fail(err, CD_E_INVAL, "the client name is empty");
    struct cdi_http_opts ho = { .base_url = o->server, .cacert = o->cacert, .client_cert = o->cert_file,
                                .client_key = o->key_file, .timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 30000,
                                .max_body = 1 << 20 };
    ho.connect_timeout_ms = ho.timeout_ms < 5000 ? ho.timeout_ms : 5000;
    struct cdi_http *h = NULL;
    struct cdi_buf resp = { 0 };
    char *body = NULL;
    int rc = request_body(o, &body, err);
    if (rc) goto out;
    if ((rc = cdi_http_open(&ho, &h, err))) goto out;
    rc = cdi_http_request(h, "POST", "/agent/v1/checkin", body, strlen(body), &out->http_status, &resp, err);
    if (rc) goto out;
    read_answer(&resp, out->http_status, out);
    if (!(out->json = strdup((const char *)resp.p))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    if (body) {
        cdi_wipe(body, strlen(body));
        free(body);
    }
    cdi_buf_free(&resp);
    cdi_http_close(h);
    return rc;
}

/* ---- the mirror an answer names ---------------------------------------------- */

/* The string member k of o: CD_OK with *v (NULL when absent), CD_E_IO when
 * it is not a string, or holds a NUL. */
static int member(const json_t *o, const char *k, const char **v, struct cd_err *err)
{
    const json_t *x = json_object_get(o, k);
    *v = NULL;
    if (!x || json_is_null(x)) return CD_OK;
    if (!json_is_string(x) || strlen(json_string_value(x)) != json_string_length(x))
        return cdi_fail(err, CD_E_IO, "the check-in answer's mirror \"%s\" is not text", k);
    *v = json_string_value(x);
    return CD_OK;
}

int cd_agent_answer_mirror(const struct cd_agent_answer *a, struct cd_mirror_secret *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!a || !a->json) return cdi_fail(err, CD_E_NOTFOUND, "no answer");
    json_t *j = json_loads(a->json, JSON_REJECT_DUPLICATES, NULL);
    const json_t *m = json_object_get(j, "mirror");
    const char *url = NULL, *user = NULL, *pw = NULL;
    int rc = CD_OK;
    if (!j) rc = cdi_fail(err, CD_E_IO, "the check-in answer is not JSON");
    else if (!m || json_is_null(m)) rc = cdi_fail(err, CD_E_NOTFOUND, "the server named no mirror");
    else if (!json_is_object(m)) rc = cdi_fail(err, CD_E_IO, "the check-in answer's mirror is not an object");
    if (!rc) rc = member(m, "url", &url, err);
    if (!rc) rc = member(m, "user", &user, err);
    if (!rc) rc = member(m, "password", &pw, err);
    if (!rc && (!url || (strncasecmp(url, "https://", 8) && strncasecmp(url, "http://", 7))))
        rc = cdi_fail(err, CD_E_IO, "the check-in answer's mirror has no http:// or https:// URL");
    if (!rc) {
        out->url = strdup(url);
        out->user = user ? strdup(user) : NULL;
        out->password = pw ? strdup(pw) : NULL;
        if (!out->url || (user && !out->user) || (pw && !out->password))
            rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    if (j) cdi_json_wipe(j);
    json_decref(j);
    if (rc) cd_mirror_secret_clear(out);
    return rc;
}

int cd_mirror_secret_save(const struct cd_mirror_secret *m, const char *path, struct cd_err *err)
{
    if (!m || !m->url) return cdi_fail(err, CD_E_INVAL, "no mirror to write");
    json_t *j = json_object();
    int bad = !j || json_object_set_new(j, "url", cdi_json_str(m->url));
    if (!bad && m->user) bad = json_object_set_new(j, "user", cdi_json_str(m->user));
    if (!bad && m->password) bad = json_object_set_new(j, "password", cdi_json_str(m->password));
    /* one buffer sized first, then a newline: no grown-out copy of the password */
    const size_t flags = JSON_ENSURE_ASCII | JSON_COMPACT;
    size_t n = bad ? 0 : json_dumpb(j, NULL, 0, flags);
    char *text = n ? malloc(n + 1) : NULL;
    int rc = CD_OK;
    if (!text || json_dumpb(j, text, n, flags) != n) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    else {
        text[n] = '\n';
        rc = cd_write_file(NULL, path, text, n + 1, 0, err);
    }
    if (text) { cdi_wipe(text, n + 1); free(text); }
    if (j) cdi_json_wipe(j);
    json_decref(j);
    return rc;
}
