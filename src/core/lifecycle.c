/* certdeck core — the lifecycle API (certdeck/lifecycle.h): the checks
 * every backend shares, then dispatch to the backend's table. */
#include <stdlib.h>
#include <string.h>
#include "core_int.h"

#define CHECK(s, u) do { \
    if (!(s)) return cdi_fail(err, CD_E_INVAL, "no store is open"); \
    if (!(u)) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user"); } while (0)
/* A backend without the operation says so by name. */
#define OP(s, op) do { if (!(s)->ops->op) return cdi_fail(err, CD_E_UNSUPPORTED, \
                   "%s stores do not support this", (s)->ops->name); } while (0)

int cd_product_external(int product)
{
    return product == CD_PRODUCT_APN || product == CD_PRODUCT_ABM;
}

int cd_cert_renew(cd_store *s, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids,
                  size_t n, cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err)
{
    CHECK(s, u);
    OP(s, cert_renew);
    if (!p || !n || !ids) return cdi_fail(err, CD_E_INVAL, "no certificate to renew");
    if (n > 1000000) return cdi_fail(err, CD_E_INVAL, "at most 1000000 certificates at once");
    if (p->days < 0 || p->days > 36500) return cdi_fail(err, CD_E_INVAL, "days must be between 1 and 36500");
    return s->ops->cert_renew(s, u, p, ids, n, progress, ctx, new_ids, err);
}

int cd_ca_rollover(cd_store *s, const cd_user *u, int64_t old_ca, const struct cd_ca_params *p,
                   cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued, struct cd_err *err)
{
    CHECK(s, u);
    OP(s, ca_rollover);
    if (!p || !p->subject.cn || !*p->subject.cn)
        return cdi_fail(err, CD_E_INVAL, "the new CA needs a common name (CN)");
    if (reissued) *reissued = 0;
    return s->ops->ca_rollover(s, u, old_ca, p, progress, ctx, new_ca, reissued, err);
}

int cd_cert_request(cd_store *s, const cd_user *u, const struct cd_cert_params *p, int64_t replaces,
                    int64_t *id, char **csr_pem, size_t *len, struct cd_err *err)
{
    CHECK(s, u);
    OP(s, cert_request);
    if (!cd_product_external(p->product))
        return cdi_fail(err, CD_E_INVAL, "a request to be signed elsewhere is for APN or ABM certificates "
                        "(--product apn or abm); a CA of this store issues the others");
    struct cdi_params q;
    int rc = cdi_cert_params_check(p, CDI_PARAMS_SUBJECT | CDI_PARAMS_KEYTYPE, &q, err);
    if (!rc) rc = s->ops->cert_request(s, u, &q.p, replaces, id, csr_pem, len, err);
    cdi_params_clear(&q);
    return rc;
}

int cd_cert_csr(cd_store *s, const cd_user *u, int64_t id, char **csr_pem, size_t *len, struct cd_err *err)
{
    CHECK(s, u);
    OP(s, cert_csr);
    return s->ops->cert_csr(s, u, id, csr_pem, len, err);
}

int cd_cert_import_signed(cd_store *s, const cd_user *u, int64_t id, const void *data, size_t len,
                          struct cd_err *err)
{
    CHECK(s, u);
    OP(s, cert_import_signed);
    if (!data || !len) return cdi_fail(err, CD_E_INVAL, "the signed certificate is empty");
    return s->ops->cert_import_signed(s, u, id, data, len, err);
}

int cd_cert_sign(cd_store *s, const cd_user *u, const struct cd_cert_params *p, const void *csr, size_t len,
                 int64_t *id, struct cd_err *err)
{
    CHECK(s, u);
    OP(s, cert_sign);
    if (!csr || !len) return cdi_fail(err, CD_E_INVAL, "the certificate request is empty");
    if (cd_product_external(p->product))
        return cdi_fail(err, CD_E_INVAL, "%s certificates are signed by Apple, not by a CA here",
                        cd_product_label(p->product));
    struct cdi_params q;
    int rc = cdi_cert_params_check(p, 0, &q, err);
    if (!rc) rc = s->ops->cert_sign(s, u, &q.p, csr, len, id, err);
    cdi_params_clear(&q);
    return rc;
}

void cd_import_report_free(struct cd_import_report *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].name);
        free(r->rows[i].why);
    }
    free(r->rows);
    memset(r, 0, sizeof *r);
}
