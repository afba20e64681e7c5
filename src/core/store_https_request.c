/* certdeck core — the https backend's lifecycle calls for certificates
 * signed elsewhere (APN/ABM requests) and requests signed here: each one
 * API call (api_request.c, doc/api.md).  The server checks and audits. */
#include <stdlib.h>
#include <string.h>
#include "https_int.h"
#include "csr_int.h"

static int nomem(struct cd_err *err) { return cdi_fail(err, CD_E_NOMEM, "out of memory"); }

/* The request in an answer ("csr"), read and written again here: what
 * reaches a file or a terminal is a request, not what the server sent. */
static int answer_csr(cd_store *s, json_t *j, char **out, size_t *len, struct cd_err *err)
{
    const char *v = json_string_value(json_object_get(j, "csr"));
    if (!v) return cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"csr\" in the answer", HS(s)->hostport);
    struct cd_err e = { 0 };
    if (!cdi_csr_canon(v, strlen(v), out, len, &e)) return CD_OK;
    return cdi_fail(err, CD_E_IO, "certdeckd at %s: the answer's \"csr\" is not a request certdeck takes (%s)",
                    HS(s)->hostport, e.msg);
}

int hs_cert_request(cd_store *s, const cd_user *u, const struct cd_cert_params *p, int64_t replaces, int64_t *id,
                    char **csr_pem, size_t *len, struct cd_err *err)
{
    (void)u;
    json_t *b = cdi_json_encode(cdi_jt_cert_params, p), *j = NULL;
    if (!b || json_object_set_new(b, "replaces", json_integer((json_int_t)replaces))) { json_decref(b); return nomem(err); }
    int rc = hs_change(s, "POST", "/certs/request", b, &j, err);
    json_decref(b);
    json_t *x = json_object_get(j, "id");
    if (!rc && !json_is_integer(x)) rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"id\" in the answer", HS(s)->hostport);
    if (!rc) rc = answer_csr(s, j, csr_pem, len, err);
    if (!rc && id) *id = json_integer_value(x);
    json_decref(j);
    return rc;
}

int hs_cert_csr(cd_store *s, const cd_user *u, int64_t id, char **csr_pem, size_t *len, struct cd_err *err)
{
    (void)u;
    char p[64];
    json_t *j = NULL;
    snprintf(p, sizeof p, "/certs/%lld/csr", (long long)id);
    int rc = hs_call(s, "GET", p, NULL, &j, err);
    if (!rc) rc = answer_csr(s, j, csr_pem, len, err);
    json_decref(j);
    return rc;
}

/* {key: Base64 of data} */
static json_t *b64_body(const char *key, const void *data, size_t len)
{
    char *b64 = cdi_b64_encode(data, len);
    json_t *b = b64 ? json_pack("{s:s}", key, b64) : NULL;
    free(b64);
    return b;
}

int hs_cert_import_signed(cd_store *s, const cd_user *u, int64_t id, const void *data, size_t len, struct cd_err *err)
{
    (void)u;
    char p[64];
    snprintf(p, sizeof p, "/certs/%lld/import-signed", (long long)id);
    json_t *b = b64_body("data", data, len);
    int rc = b ? hs_change(s, "POST", p, b, NULL, err) : nomem(err);
    json_decref(b);
    return rc;
}

int hs_cert_sign(cd_store *s, const cd_user *u, const struct cd_cert_params *p, const void *csr, size_t len,
                 int64_t *id, struct cd_err *err)
{
    (void)u;
    json_t *b = cdi_json_encode(cdi_jt_cert_params, p), *c = b64_body("csr", csr, len), *j = NULL;
    int rc = !b || !c || json_object_update(b, c) ? nomem(err) : hs_change(s, "POST", "/certs/sign", b, &j, err);
    json_decref(b);
    json_decref(c);
    json_t *x = json_object_get(j, "id");
    if (!rc && !json_is_integer(x)) rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"id\" in the answer", HS(s)->hostport);
    if (!rc && id) *id = json_integer_value(x);
    json_decref(j);
    return rc;
}
