/* certdeck core — the agent's side of a check-in (cd_agent_checkin,
 * certdeck/server.h): one POST over the HTTPS client with the agent's
 * client certificate.  Apart from the server's side (which decides) because
 * it shares nothing with it but the wire format. */
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "http_int.h"

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
