/* certdeck core — PKCS#10 requests with GnuTLS: made for a key kept here
 * (APN/ABM, signed by Apple), and read from outside (cd_cert_sign).
 *
 * As in pki.c, names are written attribute by attribute, never through a
 * DN string; a request's subject is read the same way, attribute by
 * attribute, and only the attributes certdeck itself writes are taken. */
#include <stdlib.h>
#include <string.h>
#include "csr_int.h"

#define GT(call, what) do { int gt_ = (call); if (gt_ < 0) { \
    rc = cdi_fail(err, CD_E_CRYPTO, "%s: %s", what, gnutls_strerror(gt_)); goto out; } } while (0)

/* The attributes of a name, in the order pki.c writes them. */
static const char *const NAME_OID[6] = {
    GNUTLS_OID_X520_COUNTRY_NAME, GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, GNUTLS_OID_X520_LOCALITY_NAME,
    GNUTLS_OID_X520_ORGANIZATION_NAME, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, GNUTLS_OID_X520_COMMON_NAME,
};

static const char **name_slot(struct cd_subject *s, size_t i)
{
    const char **slot[6] = { &s->c, &s->st, &s->l, &s->o, &s->ou, &s->cn };
    return slot[i];
}

int cdi_csr_make(gnutls_x509_privkey_t key, const struct cd_subject *sub, gnutls_datum_t *der, char **dn,
                 struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crq_t crq = NULL;
    gnutls_datum_t d = { 0 };
    struct cd_subject s = *sub;
    GT(gnutls_x509_crq_init(&crq), "request");
    GT(gnutls_x509_crq_set_version(crq, 1), "request version");
    for (size_t i = 0; i < 6; i++) {
        const char *v = *name_slot(&s, i);
        if (!v || !*v) continue;
        GT(gnutls_x509_crq_set_dn_by_oid(crq, NAME_OID[i], 0, v, (unsigned)strlen(v)), "subject name");
    }
    GT(gnutls_x509_crq_set_key(crq, key), "request key");
    gnutls_digest_algorithm_t dig = gnutls_x509_privkey_get_pk_algorithm(key) == GNUTLS_PK_EDDSA_ED25519
                                  ? GNUTLS_DIG_UNKNOWN : GNUTLS_DIG_SHA256;
    GT(gnutls_x509_crq_sign2(crq, key, dig, 0), "signing the request");
    GT(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der), "request export");
    GT(gnutls_x509_crq_get_dn3(crq, &d, 0), "subject");
    if (!(*dn = strndup((char *)d.data, d.size))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    gnutls_free(d.data);
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}

int cdi_csr_load(const void *data, size_t len, gnutls_x509_crq_t *out, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crq_t crq = NULL;
    *out = NULL;
    if (len > 1 << 20) return cdi_fail(err, CD_E_INVAL, "the certificate request is larger than 1 MiB");
    GT(gnutls_x509_crq_init(&crq), "request");
    gnutls_datum_t d = { (unsigned char *)(uintptr_t)data, (unsigned)len };
    int fmt = len > 10 && memmem(data, len, "-----BEGIN", 10) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
    if (gnutls_x509_crq_import(crq, &d, fmt) < 0) {
        rc = cdi_fail(err, CD_E_INVAL, "not a PKCS#10 certificate request (PEM \"CERTIFICATE REQUEST\" or DER)");
        goto out;
    }
    if (gnutls_x509_crq_verify(crq, 0) < 0) {
        rc = cdi_fail(err, CD_E_INVAL, "the request's signature does not check out: it was not signed by the key "
                      "it asks a certificate for");
        goto out;
    }
    *out = crq;
    crq = NULL;
out:
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}

void cdi_csr_subject_clear(struct cdi_csr_subject *h)
{
    for (size_t i = 0; i < 6; i++) free(h->v[i]);
    memset(h, 0, sizeof *h);
}

int cdi_csr_subject(gnutls_x509_crq_t crq, struct cdi_csr_subject *h, struct cd_err *err)
{
    memset(h, 0, sizeof *h);
    int rc = CD_OK;
    for (unsigned idx = 0; !rc; idx++) {
        char oid[128];
        size_t sz = sizeof oid;
        int gt = gnutls_x509_crq_get_dn_oid(crq, idx, oid, &sz);
        if (gt == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
        if (gt < 0) { rc = cdi_fail(err, CD_E_INVAL, "the request's subject: %s", gnutls_strerror(gt)); break; }
        size_t i = 0;
        while (i < 6 && strcmp(oid, NAME_OID[i])) i++;
        if (i == 6) {
            rc = cdi_fail(err, CD_E_INVAL, "the request's subject has an attribute certdeck does not issue "
                          "(OID %.60s): only C, ST, L, O, OU and CN", oid);
            break;
        }
        char buf[1024];
        sz = sizeof buf;
        if (gnutls_x509_crq_get_dn_by_oid(crq, oid, 1, 0, buf, &sz) != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
            rc = cdi_fail(err, CD_E_INVAL, "the request's subject gives an attribute twice (OID %.60s)", oid);
            break;
        }
        if (h->v[i]) continue;                 /* listed once per RDN: seen already */
        sz = sizeof buf - 1;
        gt = gnutls_x509_crq_get_dn_by_oid(crq, oid, 0, 0, buf, &sz);
        if (gt < 0) {
            rc = cdi_fail(err, CD_E_INVAL, "the request's subject (OID %.60s): %s", oid,
                          gt == GNUTLS_E_SHORT_MEMORY_BUFFER ? "too long" : gnutls_strerror(gt));
            break;
        }
        if (memchr(buf, 0, sz)) { rc = cdi_fail(err, CD_E_INVAL, "the request's subject holds a NUL byte"); break; }
        buf[sz] = 0;
        if (!(h->v[i] = strdup(buf))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
        *name_slot(&h->sub, i) = h->v[i];
    }
    if (!rc && !h->sub.cn) rc = cdi_fail(err, CD_E_INVAL, "the request's subject has no common name (CN)");
    if (rc) cdi_csr_subject_clear(h);
    return rc;
}

int cdi_pending_fp(gnutls_x509_privkey_t key, char out[CDI_PENDING_FP_LEN + 1], struct cd_err *err)
{
    int rc = CD_OK;
    unsigned char kid[32];
    size_t sz = sizeof kid;
    GT(gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, kid, &sz), "key id");
    memcpy(out, "pending-", 8);
    cdi_hex(kid, sz, out + 8);
out:
    return rc;
}

int cdi_crt_has_key(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
    unsigned char a[32], b[32];
    size_t na = sizeof a, nb = sizeof b;
    if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &na) < 0) return 0;
    if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &nb) < 0) return 0;
    return na == nb && !memcmp(a, b, na);
}

static int crq_from_der(const unsigned char *der, size_t len, gnutls_x509_crq_t *crq, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_datum_t d = { (unsigned char *)(uintptr_t)der, (unsigned)len };
    GT(gnutls_x509_crq_init(crq), "request");
    if (gnutls_x509_crq_import(*crq, &d, GNUTLS_X509_FMT_DER) < 0)
        rc = cdi_fail(err, CD_E_CORRUPT, "the stored request cannot be read");
out:
    return rc;
}

int cdi_csr_pem(const unsigned char *der, size_t len, char **pem, size_t *pemlen, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crq_t crq = NULL;
    gnutls_datum_t out = { 0 };
    if ((rc = crq_from_der(der, len, &crq, err))) goto out;
    GT(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &out), "request export");
    if (!(*pem = strndup((char *)out.data, out.size))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if (pemlen) *pemlen = strlen(*pem);
out:
    gnutls_free(out.data);
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}

int cdi_csr_text(cd_store *s, const cd_user *u, int64_t id, char **text, struct cd_err *err)
{
    int rc = CD_OK;
    char *pem = NULL;
    size_t len = 0;
    gnutls_x509_crq_t crq = NULL;
    gnutls_datum_t out = { 0 };
    *text = NULL;
    if (!s->ops->cert_csr)
        return cdi_fail(err, CD_E_UNSUPPORTED, "%s stores do not support this", s->ops->name);
    if ((rc = s->ops->cert_csr(s, u, id, &pem, &len, err))) return rc;
    if ((rc = cdi_csr_load(pem, len, &crq, err))) goto out;
    GT(gnutls_x509_crq_print(crq, GNUTLS_CRT_PRINT_FULL, &out), "decoding the request");
    static const char head[] = "Pending: this request waits for the certificate Apple signs for it\n"
                               "(certdeck cert csr ID writes it; then certdeck cert import-signed ID FILE.pem)\n\n";
    if (!(*text = malloc(sizeof head + out.size))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(*text, head, sizeof head - 1);
    memcpy(*text + sizeof head - 1, out.data, out.size);
    (*text)[sizeof head - 1 + out.size] = 0;
out:
    gnutls_free(out.data);
    if (crq) gnutls_x509_crq_deinit(crq);
    free(pem);
    return rc;
}
