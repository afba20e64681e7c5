/* certdeck core — the console API's certificate and CA routes: one core
 * call per handler, arguments already decoded by the route's table. */
#include <stdlib.h>
#include <string.h>
#include "api_int.h"

#define END { NULL, 0, 0, 0, 0, NULL }
#define FLD(st, name, ty) { #name, CDI_JT_##ty, offsetof(st, name), 0, 0, NULL }
#define SECRET(st, name) { #name, CDI_JT_STR, offsetof(st, name), 0, CDI_JF_SECRET, NULL }
#define ENUM(st, name, en) { #name, CDI_JT_ENUM, offsetof(st, name), 0, 0, &cdi_je_##en }
#define IDS(st) { "ids", CDI_JT_I64V, offsetof(st, ids), offsetof(st, n), 0, NULL }

/* The largest page of certificates one answer carries. */
#define PAGE_MAX 10000
#define PAGE_DEFAULT 1000

/* ---- certificates ------------------------------------------------------ */

struct listq { struct cd_query q; int total; };
static const struct cdi_jfield t_listq[] = {
    { "query", CDI_JT_INLINE, offsetof(struct listq, q), 0, 0, cdi_jt_query }, FLD(struct listq, total, BOOL), END
};

static int cert_list(struct api_ctx *c, void *args)
{
    struct listq *a = args;
    if (!a->q.limit) a->q.limit = PAGE_DEFAULT;
    if (a->q.limit < 0 || a->q.limit > PAGE_MAX)
        return cdi_fail(&c->err, CD_E_INVAL, "limit is 1..%d rows (page with offset)", PAGE_MAX);
    struct cd_cert_list l = { 0 };
    int rc = cd_cert_list(c->s, c->u, &a->q, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_cert, l.rows, l.n, sizeof *l.rows);
    cd_cert_list_free(&l);
    if (!rc && a->total) {
        struct cd_query q = a->q;
        int64_t n = 0;
        q.offset = q.limit = 0;
        rc = cd_cert_count(c->s, c->u, &q, &n, &c->err);
        if (!rc && json_object_set_new(c->out, "total", json_integer(n))) rc = cdi_fail(&c->err, CD_E_NOMEM, "out of memory");
    }
    return rc;
}

static int cert_count(struct api_ctx *c, void *args)
{
    int64_t n = 0;
    int rc = cd_cert_count(c->s, c->u, args, &n, &c->err);
    return rc ? rc : api_int(c, "count", n, 0);
}

struct certnew { struct cd_cert_params p; int64_t count; };
static const struct cdi_jfield t_certnew[] = {
    { "params", CDI_JT_INLINE, offsetof(struct certnew, p), 0, 0, cdi_jt_cert_params },
    FLD(struct certnew, count, I64), END
};

static int cert_new(struct api_ctx *c, void *args)
{
    struct certnew *a = args;
    size_t n = a->count ? (size_t)a->count : 1;
    if (a->count < 0 || a->count > 1000000) return cdi_fail(&c->err, CD_E_INVAL, "the count must be between 1 and 1000000");
    int64_t *ids = calloc(n, sizeof *ids);
    if (!ids) return cdi_fail(&c->err, CD_E_NOMEM, "out of memory");
    int rc = cd_cert_new(c->s, c->u, &a->p, n, NULL, NULL, ids, &c->err);
    if (!rc) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < n; i++)
            if (json_array_append_new(arr, json_integer(ids[i]))) { json_decref(arr); arr = NULL; }
        c->created = 1;
        rc = api_out(c, arr ? json_pack("{s:o}", "ids", arr) : NULL);
    }
    free(ids);
    return rc;
}

static int cert_get(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_cert r = { 0 };
    int rc = cd_cert_get(c->s, c->u, c->id, &r, &c->err);
    if (!rc) rc = api_obj(c, cdi_jt_cert, &r);
    cd_cert_clear(&r);
    return rc;
}

static int cert_text(struct api_ctx *c, void *args)
{
    (void)args;
    char *text = NULL;
    int rc = cd_cert_text(c->s, c->u, c->id, &text, &c->err);
    if (!rc) rc = api_out(c, json_pack("{s:o}", "text", cdi_json_str(text)));
    free(text);
    return rc;
}

struct exp { int format; const char *passphrase; };
static const struct cdi_jfield t_exp_get[] = { ENUM(struct exp, format, export), END };
static const struct cdi_jfield t_exp_post[] = { ENUM(struct exp, format, export), SECRET(struct exp, passphrase), END };

/* Binary (DER, PKCS#12) or not, the data travels as Base64. */
static int cert_export(struct api_ctx *c, void *args)
{
    struct exp *a = args;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = cd_cert_export(c->s, c->u, c->id, a->format, a->passphrase, &data, &len, &c->err);
    c->secret = 1;
    if (!rc) {
        char *b64 = cdi_b64_encode(data, len);
        json_t *s = b64 ? json_string(b64) : NULL;
        rc = api_out(c, s ? json_pack("{s:s, s:o}", "format", cd_export_name(a->format), "data", s) : NULL);
        if (b64) { cdi_wipe(b64, strlen(b64)); free(b64); }
    }
    if (data) { cdi_wipe(data, len); free(data); }
    return rc;
}

struct ids { int64_t *ids; size_t n; int reason; const char *group; };
static const struct cdi_jfield t_revoke[] = { IDS(struct ids), ENUM(struct ids, reason, reason), END };
static const struct cdi_jfield t_move[] = { IDS(struct ids), FLD(struct ids, group, STR), END };

static int cert_revoke(struct api_ctx *c, void *args)
{
    struct ids *a = args;
    int rc = cd_cert_revoke(c->s, c->u, a->ids, a->n, a->reason, &c->err);
    return rc ? rc : api_int(c, "revoked", (int64_t)a->n, 0);
}

static int cert_move(struct api_ctx *c, void *args)
{
    struct ids *a = args;
    return cd_cert_move(c->s, c->u, a->ids, a->n, a->group, &c->err);
}

struct desc { const char *description; };
static const struct cdi_jfield t_desc[] = { FLD(struct desc, description, STR), END };

static int cert_describe(struct api_ctx *c, void *args)
{
    return cd_cert_describe(c->s, c->u, c->id, ((struct desc *)args)->description, &c->err);
}

static int cert_usage(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_usage_list l = { 0 };
    int rc = cd_cert_usage(c->s, c->u, c->id, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_usage, l.rows, l.n, sizeof *l.rows);
    cd_usage_list_free(&l);
    return rc;
}

static int cert_usage_count(struct api_ctx *c, void *args)
{
    (void)args;
    int64_t n = 0;
    int rc = cd_cert_usage_count(c->s, c->u, c->id, &n, &c->err);
    return rc ? rc : api_int(c, "count", n, 0);
}

struct resolve { int kind; const char *ref; };
static const struct cdi_jfield t_resolve[] = { ENUM(struct resolve, kind, kind), FLD(struct resolve, ref, STR), END };

static int resolve(struct api_ctx *c, void *args)
{
    struct resolve *a = args;
    int64_t id = 0;
    int rc = cd_resolve(c->s, c->u, a->kind, a->ref, &id, &c->err);
    return rc ? rc : api_int(c, "id", id, 0);
}

/* ---- certification authorities ------------------------------------------ */

static int ca_list(struct api_ctx *c, void *args)
{
    struct cd_ca_list l = { 0 };
    int rc = cd_ca_list(c->s, c->u, args, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_ca, l.rows, l.n, sizeof *l.rows);
    cd_ca_list_free(&l);
    return rc;
}

static int ca_new(struct api_ctx *c, void *args)
{
    int64_t id = 0;
    int rc = cd_ca_new(c->s, c->u, args, &id, &c->err);
    return rc ? rc : api_int(c, "id", id, 1);
}

struct caimp { const char *data, *description, *group; };
static const struct cdi_jfield t_caimp[] = {
    FLD(struct caimp, data, STR), FLD(struct caimp, description, STR), FLD(struct caimp, group, STR), END
};

static int ca_import(struct api_ctx *c, void *args)
{
    struct caimp *a = args;
    unsigned char *data = NULL;
    size_t len = 0;
    int64_t id = 0;
    int rc = cdi_b64_decode(a->data ? a->data : "", &data, &len, &c->err);
    if (!rc) rc = cd_ca_import(c->s, c->u, data, len, a->description, a->group, &id, &c->err);
    free(data);
    return rc ? rc : api_int(c, "id", id, 1);
}

static int ca_get(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_ca r = { 0 };
    int rc = cd_ca_get(c->s, c->u, c->id, &r, &c->err);
    if (!rc) rc = api_obj(c, cdi_jt_ca, &r);
    cd_ca_clear(&r);
    return rc;
}

static int ca_export(struct api_ctx *c, void *args)
{
    (void)args;
    char *pem = NULL;
    size_t len = 0;
    int rc = cd_ca_export(c->s, c->u, c->id, &pem, &len, &c->err);
    json_t *s = rc ? NULL : json_stringn(pem, len);
    if (!rc) rc = api_out(c, s ? json_pack("{s:o}", "pem", s) : NULL);
    free(pem);
    return rc;
}

static int ca_delete(struct api_ctx *c, void *args)
{
    (void)args;
    return cd_ca_delete(c->s, c->u, c->id, &c->err);
}

static int ca_describe(struct api_ctx *c, void *args)
{
    return cd_ca_describe(c->s, c->u, c->id, ((struct desc *)args)->description, &c->err);
}

static const struct cdi_jfield t_group[] = { FLD(struct ids, group, STR), END };

static int ca_move(struct api_ctx *c, void *args)
{
    return cd_ca_move(c->s, c->u, c->id, ((struct ids *)args)->group, &c->err);
}

struct crl { const char *passphrase; int days, pem; };
static const struct cdi_jfield t_crl[] = { SECRET(struct crl, passphrase), FLD(struct crl, days, INT), FLD(struct crl, pem, BOOL), END };

static int ca_crl(struct api_ctx *c, void *args)
{
    struct crl *a = args;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = cd_crl(c->s, c->u, c->id, a->passphrase, a->days, a->pem, &data, &len, &c->err);
    char *b64 = rc ? NULL : cdi_b64_encode(data, len);
    if (!rc) rc = api_out(c, b64 ? json_pack("{s:s, s:b}", "data", b64, "pem", a->pem) : NULL);
    free(b64);
    free(data);
    return rc;
}

const struct api_route api_cert_routes[] = {
    { "GET", "/certs", cert_list, t_listq, sizeof(struct listq) },
    { "GET", "/certs/count", cert_count, cdi_jt_query, sizeof(struct cd_query) },
    { "POST", "/certs", cert_new, t_certnew, sizeof(struct certnew) },
    { "POST", "/certs/revoke", cert_revoke, t_revoke, sizeof(struct ids) },
    { "POST", "/certs/move", cert_move, t_move, sizeof(struct ids) },
    { "GET", "/certs/{id}", cert_get, NULL, 0 },
    { "GET", "/certs/{id}/text", cert_text, NULL, 0 },
    { "GET", "/certs/{id}/export", cert_export, t_exp_get, sizeof(struct exp) },
    { "POST", "/certs/{id}/export", cert_export, t_exp_post, sizeof(struct exp) },
    { "PUT", "/certs/{id}/description", cert_describe, t_desc, sizeof(struct desc) },
    { "GET", "/certs/{id}/usage", cert_usage, NULL, 0 },
    { "GET", "/certs/{id}/usage/count", cert_usage_count, NULL, 0 },
    { "GET", "/resolve", resolve, t_resolve, sizeof(struct resolve) },
    { "GET", "/cas", ca_list, cdi_jt_query, sizeof(struct cd_query) },
    { "POST", "/cas", ca_new, cdi_jt_ca_params, sizeof(struct cd_ca_params) },
    { "POST", "/cas/import", ca_import, t_caimp, sizeof(struct caimp) },
    { "GET", "/cas/{id}", ca_get, NULL, 0 },
    { "DELETE", "/cas/{id}", ca_delete, NULL, 0 },
    { "GET", "/cas/{id}/export", ca_export, NULL, 0 },
    { "PUT", "/cas/{id}/description", ca_describe, t_desc, sizeof(struct desc) },
    { "POST", "/cas/{id}/move", ca_move, t_group, sizeof(struct ids) },
    { "POST", "/cas/{id}/crl", ca_crl, t_crl, sizeof(struct crl) },
    { NULL, NULL, NULL, NULL, 0 }
};
