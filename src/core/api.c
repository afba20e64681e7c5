/* certdeck core — the console API (certdeck/api.h): matching a request to
 * its route, decoding its arguments, and the one shape of every answer and
 * every error.  The routes themselves are in api_certs.c and api_misc.c;
 * every route and its JSON are documented in doc/api.md. */
#include <stdlib.h>
#include <string.h>
#include "api_int.h"

#define PREFIX "/api/v1"

int cd_api_http_status(int st)
{
    switch (st) {
    case CD_OK: return 200;
    case CD_E_INVAL: case CD_E_FILTER: case CD_E_PASSPHRASE: return 400;
    case CD_E_LOGIN: return 401;
    case CD_E_FORBIDDEN: case CD_E_READONLY: return 403;
    case CD_E_NOTFOUND: return 404;
    case CD_E_EXISTS: case CD_E_STATE: return 409;
    case CD_E_UNSUPPORTED: return 501;
    case CD_E_BUSY: return 503;
    default: return 500;
    }
}

static void set_body(struct cd_api_response *rs, json_t *o, int secret)
{
    size_t n = 0;
    rs->body = o ? cdi_json_dump(o, &n, secret) : NULL;
    rs->len = rs->body ? n : 0;
    rs->content_type = "application/json";
    if (!rs->body) {
        /* out of memory: still an answer in the one error shape */
        static const char oom[] = "{\"error\":\"out of memory\",\"status\":1}";
        rs->body = strdup(oom);
        rs->len = rs->body ? sizeof oom - 1 : 0;
        rs->status = 500;
    }
}

/* The error object, with extra fields (may be NULL) added. */
static void error_with(struct cd_api_response *rs, int http, int st, const char *msg, json_t *extra)
{
    json_t *o = extra ? extra : json_object();
    if (o) {
        json_object_set_new(o, "error", cdi_json_str(msg && *msg ? msg : cd_strerror(st)));
        json_object_set_new(o, "status", json_integer(st));
    }
    rs->status = http ? http : cd_api_http_status(st);
    set_body(rs, o, 0);
    json_decref(o);
}

void cd_api_error(struct cd_api_response *rs, int http_status, int cd_status, const char *msg)
{
    memset(rs, 0, sizeof *rs);
    error_with(rs, http_status, cd_status, msg, NULL);
}

void cd_api_response_free(struct cd_api_response *rs)
{
    if (!rs) return;
    /* an answer may carry a private key (an export): wiped before freed */
    cdi_wipe(rs->body, rs->len);
    free(rs->body);
    rs->body = NULL;
    rs->len = 0;
}

/* ---- helpers for the handlers ------------------------------------------ */

int api_out(struct api_ctx *c, json_t *o)
{
    json_decref(c->out);
    c->out = o;
    return o ? CD_OK : cdi_fail(&c->err, CD_E_NOMEM, "out of memory");
}

int api_rows(struct api_ctx *c, const struct cdi_jfield *t, const void *rows, size_t n, size_t elsz)
{
    json_t *a = cdi_json_rows(t, rows, n, elsz);
    return api_out(c, a ? json_pack("{s:o}", "rows", a) : NULL);
}

int api_obj(struct api_ctx *c, const struct cdi_jfield *t, const void *obj)
{
    return api_out(c, cdi_json_encode(t, obj));
}

int api_int(struct api_ctx *c, const char *key, int64_t v, int created)
{
    c->created = created;
    return api_out(c, json_pack("{sI}", key, (json_int_t)v));
}

const struct cdi_jfield api_t_name[] = {
    { "name", CDI_JT_STR, offsetof(struct api_name, name), 0, 0, NULL }, { NULL, 0, 0, 0, 0, NULL }
};
const struct cdi_jfield api_t_path[] = {
    { "path", CDI_JT_STR, offsetof(struct api_name, name), 0, 0, NULL }, { NULL, 0, 0, 0, 0, NULL }
};

/* ---- routing ----------------------------------------------------------- */

/* path (after the prefix) against a pattern; {id} takes a decimal ID. */
static int match(const char *pat, const char *path, int64_t *id)
{
    while (*pat && *path) {
        if (!strncmp(pat, "{id}", 4)) {
            int64_t v = 0;
            int digits = 0;
            for (; *path >= '0' && *path <= '9'; path++, digits++) {
                if (digits >= 18) return 0;
                v = v * 10 + (*path - '0');
            }
            if (!digits) return 0;
            *id = v;
            pat += 4;
        } else if (*pat++ != *path++) {
            return 0;
        }
    }
    return !*pat && !*path;
}

static const struct api_route *const tables[] = { api_cert_routes, api_request_routes, api_misc_routes,
                                                  api_renew_routes, api_import_routes };

/* The route for method and path; *wrong_method when the path exists under
 * another method only. */
static const struct api_route *route_for(const char *method, const char *path, int64_t *id, int *wrong_method)
{
    *wrong_method = 0;
    for (size_t t = 0; t < sizeof tables / sizeof tables[0]; t++)
        for (const struct api_route *r = tables[t]; r->method; r++) {
            int64_t v = 0;
            if (!match(r->pattern, path, &v)) continue;
            if (strcmp(r->method, method)) { *wrong_method = 1; continue; }
            *id = v;
            return r;
        }
    return NULL;
}

static int takes_body(const char *method) { return !strcmp(method, "POST") || !strcmp(method, "PUT"); }

/* Decodes the arguments: a body route reads its JSON object and takes no
 * query string; a query route reads its query string and takes no body. */
static int decode_args(const struct api_route *r, const struct cd_api_request *rq, json_t **body, void *args,
                       struct cd_err *err)
{
    static const struct cdi_jfield none[] = { { NULL, 0, 0, 0, 0, NULL } };
    const struct cdi_jfield *t = r->args ? r->args : none;
    json_t *q = NULL;
    int rc;
    if (takes_body(r->method)) {
        if (rq->query && *rq->query) return cdi_fail(err, CD_E_INVAL, "this call takes its arguments in a JSON body, not the query string");
        if (!r->args && (!rq->body_len || (rq->body_len == 2 && !memcmp(rq->body, "{}", 2)))) return CD_OK;
        rc = cdi_json_parse(rq->body, rq->body_len, body, err);
        return rc ? rc : cdi_json_decode(t, *body, args, CDI_J_STRICT, err);
    }
    if (rq->body_len) return cdi_fail(err, CD_E_INVAL, "a %s request takes no body", r->method);
    rc = cdi_query_parse(rq->query, &q, err);
    /* strings point into q: kept alive with the body */
    if (!rc) rc = cdi_json_decode(t, q, args, CDI_J_STRICT | CDI_J_TEXT, err);
    *body = q;
    return rc;
}

int cd_api_handle(cd_store *s, const cd_user *u, const struct cd_api_request *rq, struct cd_api_response *rs)
{
    memset(rs, 0, sizeof *rs);
    struct api_ctx c = { .s = s, .u = u };
    const char *path = rq->path ? rq->path : "";
    const char *method = rq->method ? rq->method : "";
    if (strncmp(path, PREFIX "/", sizeof PREFIX)) {
        cd_api_error(rs, 404, CD_E_NOTFOUND, "no such API call (the console API is under " PREFIX "/)");
        return CD_E_NOTFOUND;
    }
    if (rq->body_len > CD_API_MAX_BODY) {
        cd_api_error(rs, 413, CD_E_INVAL, "the request body is larger than the API takes (1 MiB)");
        return CD_E_INVAL;
    }
    int wrong_method;
    const struct api_route *r = route_for(method, path + sizeof PREFIX - 1, &c.id, &wrong_method);
    if (!r) {
        char msg[200];
        if (wrong_method) snprintf(msg, sizeof msg, "%.10s is not allowed on %.150s", method, path);
        else snprintf(msg, sizeof msg, "no such API call: %.150s", path);
        cd_api_error(rs, wrong_method ? 405 : 404, wrong_method ? CD_E_INVAL : CD_E_NOTFOUND, msg);
        return wrong_method ? CD_E_INVAL : CD_E_NOTFOUND;
    }
    void *args = calloc(1, r->args_size ? r->args_size : 1);
    json_t *held = NULL;
    int rc = args ? decode_args(r, rq, &held, args, &c.err) : cdi_fail(&c.err, CD_E_NOMEM, "out of memory");
    if (!rc) rc = r->fn(&c, args);
    if (r->args && args) cdi_json_release(r->args, args, 0);
    free(args);
    /* passphrases and passwords travelled in the body: gone once used */
    if (held) cdi_json_wipe(held);
    json_decref(held);
    if (rc) {
        /* the audit verify answer keeps what it found with the error; a
         * filter error, where it went wrong */
        if (c.err.pos && (c.out || (c.out = json_object())))
            json_object_set_new(c.out, "pos", json_integer((json_int_t)c.err.pos));
        error_with(rs, 0, rc, cd_errmsg(&c.err, rc), c.out);
        return rc;
    }
    rs->status = c.created ? 201 : 200;
    if (!c.out) c.out = json_object();
    set_body(rs, c.out, c.secret);
    /* an export's key is in the answer's strings too */
    if (c.secret) cdi_json_wipe(c.out);
    json_decref(c.out);
    return rs->status >= 400 ? CD_E_NOMEM : CD_OK;
}
