/* certdeck core — the console API's routes for certificates signed
 * elsewhere (APN/ABM requests) and requests signed here (certdeck/
 * lifecycle.h); doc/api.md.  Binary data travels as Base64. */
#include <stdlib.h>
#include <string.h>
#include "api_int.h"

#define END { NULL, 0, 0, 0, 0, NULL }
#define FLD(st, name, ty) { #name, CDI_JT_##ty, offsetof(st, name), 0, 0, NULL }

struct req { struct cd_cert_params p; int64_t replaces; const char *csr, *data; };
static const struct cdi_jfield t_request[] = {
    { "params", CDI_JT_INLINE, offsetof(struct req, p), 0, 0, cdi_jt_cert_params },
    FLD(struct req, replaces, I64), END
};
static const struct cdi_jfield t_sign[] = {
    { "params", CDI_JT_INLINE, offsetof(struct req, p), 0, 0, cdi_jt_cert_params },
    FLD(struct req, csr, STR), END
};
static const struct cdi_jfield t_signed[] = { FLD(struct req, data, STR), END };

/* The Base64 field `what` of a request, decoded. */
static int b64_arg(struct api_ctx *c, const char *v, const char *what, unsigned char **out, size_t *len)
{
    if (!v || !*v) return cdi_fail(&c->err, CD_E_INVAL, "\"%s\" (Base64) is required", what);
    return cdi_b64_decode(v, out, len, &c->err);
}

static int cert_request(struct api_ctx *c, void *args)
{
    struct req *a = args;
    int64_t id = 0;
    char *pem = NULL;
    size_t len = 0;
    int rc = cd_cert_request(c->s, c->u, &a->p, a->replaces, &id, &pem, &len, &c->err);
    if (!rc) {
        c->created = 1;
        rc = api_out(c, json_pack("{s:I, s:o}", "id", (json_int_t)id, "csr", cdi_json_str(pem)));
    }
    free(pem);
    return rc;
}

static int cert_csr(struct api_ctx *c, void *args)
{
    (void)args;
    char *pem = NULL;
    size_t len = 0;
    int rc = cd_cert_csr(c->s, c->u, c->id, &pem, &len, &c->err);
    if (!rc) rc = api_out(c, json_pack("{s:o}", "csr", cdi_json_str(pem)));
    free(pem);
    return rc;
}

static int cert_import_signed(struct api_ctx *c, void *args)
{
    struct req *a = args;
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = b64_arg(c, a->data, "data", &data, &len);
    if (!rc) rc = cd_cert_import_signed(c->s, c->u, c->id, data, len, &c->err);
    free(data);
    return rc;
}

static int cert_sign(struct api_ctx *c, void *args)
{
    struct req *a = args;
    unsigned char *csr = NULL;
    size_t len = 0;
    int64_t id = 0;
    int rc = b64_arg(c, a->csr, "csr", &csr, &len);
    if (!rc) rc = cd_cert_sign(c->s, c->u, &a->p, csr, len, &id, &c->err);
    free(csr);
    return rc ? rc : api_int(c, "id", id, 1);
}

const struct api_route api_request_routes[] = {
    { "POST", "/certs/request", cert_request, t_request, sizeof(struct req) },
    { "POST", "/certs/sign", cert_sign, t_sign, sizeof(struct req) },
    { "GET", "/certs/{id}/csr", cert_csr, NULL, 0 },
    { "POST", "/certs/{id}/import-signed", cert_import_signed, t_signed, sizeof(struct req) },
    { NULL, NULL, NULL, NULL, 0 }
};
