/* APN/ABM requests (cd_cert_request, cd_cert_csr, cd_cert_import_signed)
 * and external CSRs signed here (cd_cert_sign): issue 12, "APN/ABM
 * certificates" and "CSR signing".  A GnuTLS CA in the test plays Apple. */
#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include "helpers.h"
#include "https_int.h"
#include "http_int.h"

#define DAY 86400LL

/* ---- a test CA playing Apple -------------------------------------------- */

struct apple { gnutls_x509_crt_t crt; gnutls_x509_privkey_t key; };

static void apple_make(struct apple *a)
{
    assert_int_equal(gnutls_x509_privkey_init(&a->key), 0);
    assert_int_equal(gnutls_x509_privkey_generate(a->key, GNUTLS_PK_ECDSA,
                                                  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
    assert_int_equal(gnutls_x509_crt_init(&a->crt), 0);
    gnutls_x509_crt_set_version(a->crt, 3);
    unsigned char serial[] = { 1 };
    gnutls_x509_crt_set_serial(a->crt, serial, 1);
    gnutls_x509_crt_set_activation_time(a->crt, time(NULL) - DAY);
    gnutls_x509_crt_set_expiration_time(a->crt, time(NULL) + 3650 * DAY);
    gnutls_x509_crt_set_dn_by_oid(a->crt, GNUTLS_OID_X520_COMMON_NAME, 0, "Test Apple CA", 13);
    gnutls_x509_crt_set_key(a->crt, a->key);
    gnutls_x509_crt_set_basic_constraints(a->crt, 1, -1);
    gnutls_x509_crt_set_key_usage(a->crt, GNUTLS_KEY_KEY_CERT_SIGN);
    assert_int_equal(gnutls_x509_crt_sign2(a->crt, a->crt, a->key, GNUTLS_DIG_SHA256, 0), 0);
}

static void apple_free(struct apple *a)
{
    gnutls_x509_crt_deinit(a->crt);
    gnutls_x509_privkey_deinit(a->key);
}

/* What the test Apple signs: validity, whether the certificate says CA:TRUE,
 * and whether its CA comes first in the file (a chain in the wrong order). */
struct answer { int64_t nb, na; int is_ca, ca_first; };

/* Apple's answer to a request (PEM), with Apple's CA as its chain. */
static char *apple_sign2(const struct apple *a, const char *csr_pem, const struct answer *w, size_t *len)
{
    gnutls_x509_crq_t crq;
    gnutls_x509_crt_t crt;
    gnutls_datum_t d = { (unsigned char *)csr_pem, (unsigned)strlen(csr_pem) }, out, ca;
    assert_int_equal(gnutls_x509_crq_init(&crq), 0);
    assert_int_equal(gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM), 0);
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_set_crq(crt, crq), 0);
    gnutls_x509_crt_set_version(crt, 3);
    unsigned char serial[] = { 0x42, 7 };
    gnutls_x509_crt_set_serial(crt, serial, 2);
    gnutls_x509_crt_set_activation_time(crt, (time_t)w->nb);
    gnutls_x509_crt_set_expiration_time(crt, (time_t)w->na);
    if (w->is_ca) gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
    /* Apple writes its own subject */
    gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "APSP:1234", 9);
    assert_int_equal(gnutls_x509_crt_sign2(crt, a->crt, a->key, GNUTLS_DIG_SHA256, 0), 0);
    assert_int_equal(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out), 0);
    assert_int_equal(gnutls_x509_crt_export2(a->crt, GNUTLS_X509_FMT_PEM, &ca), 0);
    const gnutls_datum_t *first = w->ca_first ? &ca : &out, *second = w->ca_first ? &out : &ca;
    char *pem = malloc(out.size + ca.size + 1);
    memcpy(pem, first->data, first->size);
    memcpy(pem + first->size, second->data, second->size);
    pem[out.size + ca.size] = 0;
    *len = out.size + ca.size;
    gnutls_free(out.data);
    gnutls_free(ca.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_crq_deinit(crq);
    return pem;
}

/* The usual answer: a leaf valid for a year, then Apple's CA. */
static char *apple_sign(const struct apple *a, const char *csr_pem, size_t *len)
{
    struct answer w = { .nb = time(NULL) - 60, .na = time(NULL) + 365 * DAY };
    return apple_sign2(a, csr_pem, &w, len);
}

static int64_t request(struct fx *f, const char *cn, int64_t replaces, char **pem)
{
    const char *tags[] = { "apple", NULL };
    struct cd_cert_params p = { .product = CD_PRODUCT_APN, .subject = { .cn = cn, .o = "Example" },
                                .keytype = CD_KEY_RSA2048, .tags = tags, .description = "MDM push" };
    int64_t id = 0;
    size_t len = 0;
    fx_must(f, cd_cert_request(f->s, f->u, &p, replaces, &id, pem, &len, &f->err), "cd_cert_request");
    assert_true(id > 0);
    assert_int_equal(len, strlen(*pem));
    return id;
}

static void test_request_pending(void **state)
{
    struct fx *f = *state;
    char *pem = NULL;
    int64_t id = request(f, "push.example.org", 0, &pem);
    /* the request: PKCS#10, signed by its own key, with our subject */
    gnutls_x509_crq_t crq;
    gnutls_datum_t d = { (unsigned char *)pem, (unsigned)strlen(pem) };
    assert_int_equal(gnutls_x509_crq_init(&crq), 0);
    assert_int_equal(gnutls_x509_crq_import(crq, &d, GNUTLS_X509_FMT_PEM), 0);
    assert_true(gnutls_x509_crq_verify(crq, 0) >= 0);
    char cn[128];
    size_t sz = sizeof cn;
    assert_int_equal(gnutls_x509_crq_get_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &sz), 0);
    assert_string_equal(cn, "push.example.org");
    unsigned bits = 0;
    assert_int_equal(gnutls_x509_crq_get_pk_algorithm(crq, &bits), GNUTLS_PK_RSA);
    assert_int_equal(bits, 2048);
    gnutls_x509_crq_deinit(crq);

    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_PENDING);
    assert_int_equal(c.has_key, 1);
    assert_int_equal(c.ca_id, 0);
    assert_string_equal(c.subject, "CN=push.example.org,O=Example");
    assert_string_equal(c.product, "APN");
    assert_string_equal(c.tags, "apple");
    assert_int_equal(strncmp(c.fingerprint, "pending-", 8), 0);
    /* no dates to show (lists, CSV, JSON, the console's table): not 9999-12-31 */
    char b[64];
    assert_string_equal(cd_cert_field(&c, CD_COL_VALID_FROM, b, sizeof b), "");
    assert_string_equal(cd_cert_field(&c, CD_COL_VALID_TO, b, sizeof b), "");
    cd_cert_clear(&c);
    /* the request again */
    char *again = NULL;
    size_t alen = 0;
    fx_must(f, cd_cert_csr(f->s, f->u, id, &again, &alen, &f->err), "csr");
    assert_string_equal(again, pem);
    free(again);
    /* listed as pending, never as not yet valid, never counted by check */
    assert_int_equal(fx_count(f, "status:pending", 0), 1);
    assert_int_equal(fx_count(f, "status:notyet", 0), 0);
    assert_int_equal(fx_count(f, "status:valid", 0), 3);
    assert_int_equal(fx_count(f, "push.example.org", 0), 1);       /* the search index */
    /* a pending row has no dates: no date term picks it */
    assert_int_equal(fx_count(f, "product:apn expires>2030-01-01", 0), 0);
    assert_int_equal(fx_count(f, "product:apn issued>2026-01-01", 0), 0);
    assert_int_equal(fx_count(f, "product:apn expires>=1y", 0), 0);
    assert_int_equal(fx_count(f, "product:apn !expires<30d", 0), 1);
    struct cd_check_opts o = { .at = time(NULL) + 50 * 365 * DAY, .filter = "product:apn" };
    struct cd_check_result r;
    fx_must(f, cd_check(f->s, f->u, &o, &r, &f->err), "check");
    for (size_t i = 0; i < r.n; i++) assert_int_equal(r.rows[i].kind, CD_KIND_CA);   /* CA 1 will have expired */
    assert_int_equal(r.certs[0] + r.certs[1] + r.certs[2], 0);
    cd_check_free(&r);
    /* exports refused with the next step; the text shows the request */
    unsigned char *out = NULL;
    size_t olen = 0;
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_PEM, NULL, &out, &olen, &f->err), CD_E_STATE);
    assert_non_null(strstr(f->err.msg, "import-signed"));
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_PFX, "pw", &out, &olen, &f->err), CD_E_STATE);
    char *text = NULL;
    fx_must(f, cd_cert_text(f->s, f->u, id, &text, &f->err), "text");
    assert_non_null(strstr(text, "Pending"));
    assert_non_null(strstr(text, "PKCS #10"));
    free(text);
    /* revoke refused, saying why */
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 0, &f->err), CD_E_STATE);
    assert_non_null(strstr(f->err.msg, "never revoked"));
    /* not an external product: refused */
    struct cd_cert_params bad = { .product = CD_PRODUCT_AGENT, .subject = { .cn = "x" } };
    int64_t bid = 0;
    char *bpem = NULL;
    size_t blen = 0;
    assert_int_equal(cd_cert_request(f->s, f->u, &bad, 0, &bid, &bpem, &blen, &f->err), CD_E_INVAL);
    free(pem);
}

static void test_import_signed(void **state)
{
    struct fx *f = *state;
    struct apple a;
    apple_make(&a);
    char *pem = NULL, *pem2 = NULL;
    int64_t id = request(f, "push", 0, &pem);
    int64_t id2 = request(f, "other", 0, &pem2);
    size_t len = 0, len2 = 0;
    char *signed_pem = apple_sign(&a, pem, &len);
    char *other_pem = apple_sign(&a, pem2, &len2);
    /* a certificate for another key: refused, nothing changes */
    assert_int_equal(cd_cert_import_signed(f->s, f->u, id, other_pem, len2, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "another key"));
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_PENDING);
    cd_cert_clear(&c);
    /* garbage: refused */
    assert_int_equal(cd_cert_import_signed(f->s, f->u, id, "junk", 4, &f->err), CD_E_INVAL);
    /* the right one completes it */
    fx_must(f, cd_cert_import_signed(f->s, f->u, id, signed_pem, len, &f->err), "import-signed");
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_VALID);
    assert_int_equal(c.has_key, 1);
    assert_string_equal(c.serial, "4207");
    assert_string_equal(c.key_alg, "RSA 2048");
    assert_non_null(strstr(c.subject, "APSP:1234"));
    assert_non_null(strstr(c.issuer, "Test Apple CA"));
    assert_int_equal(strlen(c.fingerprint), 64);
    cd_cert_clear(&c);
    assert_int_equal(fx_count(f, "status:pending", 0), 1);     /* id2 */
    /* a second import: not pending any more */
    assert_int_equal(cd_cert_import_signed(f->s, f->u, id, signed_pem, len, &f->err), CD_E_STATE);
    /* the key is still there, after a reopen too: the PKCS#12 holds it */
    fx_reopen(f);
    unsigned char *out = NULL;
    size_t olen = 0;
    fx_must(f, cd_cert_export(f->s, f->u, id, CD_EXPORT_KEY, "secret", &out, &olen, &f->err), "export key");
    gnutls_x509_privkey_t k;
    gnutls_x509_crt_t crt;
    gnutls_datum_t d = { out, (unsigned)olen };
    assert_int_equal(gnutls_x509_privkey_init(&k), 0);
    assert_int_equal(gnutls_x509_privkey_import_pkcs8(k, &d, GNUTLS_X509_FMT_PEM, "secret", 0), 0);
    free(out);
    fx_must(f, cd_cert_export(f->s, f->u, id, CD_EXPORT_PEM, NULL, &out, &olen, &f->err), "export pem");
    d = (gnutls_datum_t){ out, (unsigned)olen };
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
    unsigned char k1[32], k2[32];
    size_t s1 = sizeof k1, s2 = sizeof k2;
    assert_int_equal(gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, k1, &s1), 0);
    assert_int_equal(gnutls_x509_privkey_get_key_id(k, GNUTLS_KEYID_USE_SHA256, k2, &s2), 0);
    assert_memory_equal(k1, k2, 32);
    free(out);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(k);
    /* complete: still never revoked */
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 0, &f->err), CD_E_STATE);
    /* renewal: a new request linked to it */
    char *pem3 = NULL;
    int64_t id3 = request(f, "push", id, &pem3);
    fx_must(f, cd_cert_get(f->s, f->u, id3, &c, &f->err), "get");
    assert_int_equal(c.replaces, id);
    cd_cert_clear(&c);
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.replaced_by, id3);
    cd_cert_clear(&c);
    /* renewed once: a second renewal of it is refused (renew its successor), as cd_cert_renew refuses it */
    struct cd_cert_params again = { .product = CD_PRODUCT_APN, .subject = { .cn = "push" } };
    int64_t aid = 0;
    char *apem = NULL;
    size_t alen = 0;
    assert_int_equal(cd_cert_request(f->s, f->u, &again, id, &aid, &apem, &alen, &f->err), CD_E_STATE);
    assert_non_null(strstr(f->err.msg, "already renewed"));
    assert_null(apem);
    /* a request cannot renew an ordinary certificate, nor a pending one */
    struct cd_cert_params p = { .product = CD_PRODUCT_ABM, .subject = { .cn = "abm" } };
    int64_t nid = 0;
    char *npem = NULL;
    size_t nlen = 0;
    assert_int_equal(cd_cert_request(f->s, f->u, &p, 1, &nid, &npem, &nlen, &f->err), CD_E_INVAL);
    assert_int_equal(cd_cert_request(f->s, f->u, &p, id2, &nid, &npem, &nlen, &f->err), CD_E_STATE);
    free(pem); free(pem2); free(pem3); free(signed_pem); free(other_pem);
    apple_free(&a);
}

/* ---- external CSRs ------------------------------------------------------ */

/* A client's request: its own key, asking for CA:TRUE, a rogue SAN and
 * codeSigning.  DER in *der (gnutls_free). */
static gnutls_x509_privkey_t client_csr(gnutls_datum_t *der, int extras, const char *cn)
{
    gnutls_x509_privkey_t k;
    gnutls_x509_crq_t crq;
    assert_int_equal(gnutls_x509_privkey_init(&k), 0);
    assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
                                                  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
    assert_int_equal(gnutls_x509_crq_init(&crq), 0);
    gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)strlen(cn));
    gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_ORGANIZATION_NAME, 0, "Client Org", 10);
    gnutls_x509_crq_set_key(crq, k);
    if (extras) {
        assert_int_equal(gnutls_x509_crq_set_basic_constraints(crq, 1, -1), 0);
        assert_int_equal(gnutls_x509_crq_set_subject_alt_name(crq, GNUTLS_SAN_DNSNAME, "evil.example.com", 16,
                                                              GNUTLS_FSAN_APPEND), 0);
        assert_int_equal(gnutls_x509_crq_set_key_purpose_oid(crq, GNUTLS_KP_CODE_SIGNING, 0), 0);
    }
    assert_int_equal(gnutls_x509_crq_sign2(crq, k, GNUTLS_DIG_SHA256, 0), 0);
    assert_int_equal(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der), 0);
    gnutls_x509_crq_deinit(crq);
    return k;
}

static void test_sign(void **state)
{
    struct fx *f = *state;
    gnutls_datum_t der;
    gnutls_x509_privkey_t k = client_csr(&der, 1, "client.example.org");
    const char *tags[] = { "signed", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .host = "good.example.org", .days = 365,
                                .tags = tags };
    int64_t id = 0;
    fx_must(f, cd_cert_sign(f->s, f->u, &p, der.data, der.size, &id, &f->err), "sign");
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.has_key, 0);
    assert_int_equal(c.state, CD_STATE_VALID);
    assert_string_equal(c.cn, "client.example.org");
    assert_string_equal(c.key_alg, "EC P-256");
    assert_string_equal(c.tags, "signed");
    assert_true(c.not_after - c.not_before <= 365 * DAY + 1);
    cd_cert_clear(&c);
    unsigned char *out = NULL;
    size_t olen = 0;
    fx_must(f, cd_cert_export(f->s, f->u, id, CD_EXPORT_PEM, NULL, &out, &olen, &f->err), "pem");
    gnutls_x509_crt_t crt;
    gnutls_datum_t d = { out, (unsigned)olen };
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
    /* the public key is the request's */
    unsigned char k1[32], k2[32];
    size_t s1 = sizeof k1, s2 = sizeof k2;
    assert_int_equal(gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, k1, &s1), 0);
    assert_int_equal(gnutls_x509_privkey_get_key_id(k, GNUTLS_KEYID_USE_SHA256, k2, &s2), 0);
    assert_memory_equal(k1, k2, 32);
    /* no CA:TRUE, no rogue SAN, no codeSigning */
    unsigned crit = 0, ca = 9;
    int pathlen = 0;
    assert_int_equal(gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca, &pathlen), 0);
    assert_int_equal(ca, 0);
    char san[256];
    for (unsigned i = 0;; i++) {
        size_t sz = sizeof san;
        int t = gnutls_x509_crt_get_subject_alt_name(crt, i, san, &sz, NULL);
        if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
        assert_true(t >= 0);
        assert_string_equal(san, "good.example.org");
    }
    for (unsigned i = 0;; i++) {
        char oid[128];
        size_t sz = sizeof oid;
        int t = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &sz, NULL);
        if (t < 0) break;
        assert_string_not_equal(oid, GNUTLS_KP_CODE_SIGNING);
    }
    gnutls_x509_crt_deinit(crt);
    free(out);
    /* key-less: chain yes, pfx/base64/key no */
    fx_must(f, cd_cert_export(f->s, f->u, id, CD_EXPORT_CHAIN, NULL, &out, &olen, &f->err), "chain");
    free(out);
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_PFX, "pw", &out, &olen, &f->err), CD_E_STATE);
    assert_non_null(strstr(f->err.msg, "no private key in the store"));
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_BASE64, "pw", &out, &olen, &f->err), CD_E_STATE);
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_KEY, "pw", &out, &olen, &f->err), CD_E_STATE);
    /* revocation works as for any certificate of ours */
    fx_must(f, cd_cert_revoke(f->s, f->u, &id, 1, 0, &f->err), "revoke");
    gnutls_free(der.data);
    gnutls_x509_privkey_deinit(k);
}

static void test_sign_refusals(void **state)
{
    struct fx *f = *state;
    gnutls_datum_t der;
    gnutls_x509_privkey_t k = client_csr(&der, 0, "bad");
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT };
    int64_t id = 0, before = fx_count(f, NULL, 1);
    /* a signature that does not check out */
    der.data[der.size - 5] ^= 0x55;
    assert_int_equal(cd_cert_sign(f->s, f->u, &p, der.data, der.size, &id, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "signature"));
    /* not a request */
    assert_int_equal(cd_cert_sign(f->s, f->u, &p, "hello", 5, &id, &f->err), CD_E_INVAL);
    /* APN/ABM are Apple's to sign */
    der.data[der.size - 5] ^= 0x55;
    p.product = CD_PRODUCT_APN;
    assert_int_equal(cd_cert_sign(f->s, f->u, &p, der.data, der.size, &id, &f->err), CD_E_INVAL);
    /* a CN with white space at its end, as check_subject refuses it */
    gnutls_datum_t der2;
    gnutls_x509_privkey_t k2 = client_csr(&der2, 0, "web ");
    p.product = CD_PRODUCT_AGENT;
    assert_int_equal(cd_cert_sign(f->s, f->u, &p, der2.data, der2.size, &id, &f->err), CD_E_INVAL);
    assert_int_equal(fx_count(f, NULL, 1), before);
    gnutls_free(der.data);
    gnutls_free(der2.data);
    gnutls_x509_privkey_deinit(k);
    gnutls_x509_privkey_deinit(k2);
}

/* Rights: a request, a completion and a signature need Create certificates
 * (Write on certificates) in the group; the request is read with Read; a
 * certificate u cannot see answers as a missing one. */
static void test_rights(void **state)
{
    struct fx *f = *state;
    const char *pw = "a long password 1";
    fx_must(f, cd_group_add(f->s, f->u, "/All/A", &f->err), "group");
    fx_must(f, cd_user_add(f->s, f->u, "bob", "/All/A", pw, &f->err), "user");
    const char *where[] = { "/All/A" };
    int rights[CD_OT_COUNT] = { 0 };
    rights[CD_OT_CERTS] = CD_RIGHT_READ;
    fx_must(f, cd_permset_add(f->s, f->u, "readers", where, 1, rights, &f->err), "permset");
    fx_must(f, cd_permset_grant(f->s, f->u, "readers", "bob", 1, &f->err), "grant");
    cd_user *bob = NULL;
    fx_must(f, cd_user_login(f->s, "bob", pw, &bob, &f->err), "login");
    struct cd_cert_params p = { .product = CD_PRODUCT_APN, .subject = { .cn = "push" }, .group = "/All/A",
                                .keytype = CD_KEY_EC256 };
    int64_t id = 0, hidden = 0;
    char *pem = NULL;
    size_t len = 0;
    assert_int_equal(cd_cert_request(f->s, bob, &p, 0, &id, &pem, &len, &f->err), CD_E_FORBIDDEN);
    assert_null(pem);
    fx_must(f, cd_cert_request(f->s, f->u, &p, 0, &id, &pem, &len, &f->err), "request");
    free(pem);
    p.group = NULL;
    fx_must(f, cd_cert_request(f->s, f->u, &p, 0, &hidden, &pem, &len, &f->err), "request in /All");
    free(pem);
    pem = NULL;
    fx_must(f, cd_cert_csr(f->s, bob, id, &pem, &len, &f->err), "bob reads the request");
    struct apple a;
    apple_make(&a);
    size_t slen = 0;
    char *signed_pem = apple_sign(&a, pem, &slen);
    assert_int_equal(cd_cert_import_signed(f->s, bob, id, signed_pem, slen, &f->err), CD_E_FORBIDDEN);
    free(pem);
    pem = NULL;
    assert_int_equal(cd_cert_csr(f->s, bob, hidden, &pem, &len, &f->err), CD_E_NOTFOUND);
    assert_null(pem);
    gnutls_datum_t der;
    gnutls_x509_privkey_t k = client_csr(&der, 0, "c");
    struct cd_cert_params sp = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .group = "/All/A" };
    int64_t sid = 0;
    assert_int_equal(cd_cert_sign(f->s, bob, &sp, der.data, der.size, &sid, &f->err), CD_E_FORBIDDEN);
    assert_int_equal(fx_count(f, "status:pending", 0), 2);
    gnutls_free(der.data);
    gnutls_x509_privkey_deinit(k);
    free(signed_pem);
    apple_free(&a);
    cd_user_free(bob);
}

/* The same over the https backend (api_request.c, store_https_request.c):
 * the server's core decides, the answers carry the request and the IDs. */
static void test_https(void **state)
{
    struct fx *f = *state;
    cd_store *r = NULL;
    cd_user *ru = NULL;
    fx_must(f, cdi_https_open_local(f->s, f->u, 0, &r, &f->err), "open");
    fx_must(f, cd_user_owner(r, &ru, &f->err), "owner");
    struct apple a;
    apple_make(&a);
    struct cd_cert_params p = { .product = CD_PRODUCT_ABM, .subject = { .cn = "abm" }, .keytype = CD_KEY_EC256 };
    int64_t id = 0;
    char *pem = NULL, *again = NULL;
    size_t len = 0, alen = 0;
    fx_must(f, cd_cert_request(r, ru, &p, 0, &id, &pem, &len, &f->err), "request");
    assert_true(id > 0);
    assert_int_equal(len, strlen(pem));
    fx_must(f, cd_cert_csr(r, ru, id, &again, &alen, &f->err), "csr");
    assert_string_equal(pem, again);
    char *text = NULL;
    fx_must(f, cd_cert_text(r, ru, id, &text, &f->err), "text");
    assert_non_null(strstr(text, "Pending"));
    free(text);
    size_t slen = 0;
    char *signed_pem = apple_sign(&a, pem, &slen);
    fx_must(f, cd_cert_import_signed(r, ru, id, signed_pem, slen, &f->err), "import-signed");
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_VALID);
    cd_cert_clear(&c);
    assert_int_equal(cd_cert_revoke(r, ru, &id, 1, 0, &f->err), CD_E_STATE);
    assert_non_null(strstr(f->err.msg, "never revoked"));
    gnutls_datum_t der;
    gnutls_x509_privkey_t k = client_csr(&der, 1, "remote.example.org");
    struct cd_cert_params sp = { .ca_id = 1, .product = CD_PRODUCT_PROXY, .days = 100 };
    int64_t sid = 0;
    fx_must(f, cd_cert_sign(r, ru, &sp, der.data, der.size, &sid, &f->err), "sign");
    fx_must(f, cd_cert_get(f->s, f->u, sid, &c, &f->err), "get");
    assert_string_equal(c.cn, "remote.example.org");
    assert_int_equal(c.has_key, 0);
    cd_cert_clear(&c);
    der.data[der.size - 5] ^= 0x55;
    assert_int_equal(cd_cert_sign(r, ru, &sp, der.data, der.size, &sid, &f->err), CD_E_INVAL);
    gnutls_free(der.data);
    gnutls_x509_privkey_deinit(k);
    free(pem); free(again); free(signed_pem);
    apple_free(&a);
    cd_user_free(ru);
    cd_store_close(r);
}

/* ---- hostile requests and answers -------------------------------------- */

static gnutls_x509_privkey_t ec_key(void)
{
    gnutls_x509_privkey_t k;
    assert_int_equal(gnutls_x509_privkey_init(&k), 0);
    assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA,
                                                  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0), 0);
    return k;
}

/* RSA 2048 with public exponent 1 (and d = 1): "signing" with it leaves the
 * padded hash as it is, so anyone can sign for it; GnuTLS's verification
 * of such a request passes. */
static gnutls_x509_privkey_t rsa_e1_key(void)
{
    gnutls_x509_privkey_t k, k1;
    gnutls_datum_t m, e, d, p, q, u, e1, e2;
    unsigned char one = 1;
    gnutls_datum_t o = { &one, 1 };
    assert_int_equal(gnutls_x509_privkey_init(&k), 0);
    assert_int_equal(gnutls_x509_privkey_generate(k, GNUTLS_PK_RSA, 2048, 0), 0);
    assert_int_equal(gnutls_x509_privkey_export_rsa_raw2(k, &m, &e, &d, &p, &q, &u, &e1, &e2), 0);
    assert_int_equal(gnutls_x509_privkey_init(&k1), 0);
    assert_int_equal(gnutls_x509_privkey_import_rsa_raw2(k1, &m, &o, &o, &p, &q, &u, &o, &o), 0);
    gnutls_datum_t *all[] = { &m, &e, &d, &p, &q, &u, &e1, &e2 };
    for (size_t i = 0; i < 8; i++) gnutls_free(all[i]->data);
    gnutls_x509_privkey_deinit(k);
    return k1;
}

/* A request for k (PEM, gnutls_free) with the CN given as DER (tag, length,
 * value) when raw is not NULL, else as the string cn; signed with dig. */
static gnutls_datum_t hostile_csr(gnutls_x509_privkey_t k, const char *cn, const unsigned char *raw, size_t rawlen,
                                  gnutls_digest_algorithm_t dig)
{
    gnutls_x509_crq_t crq;
    gnutls_datum_t out;
    assert_int_equal(gnutls_x509_crq_init(&crq), 0);
    if (raw) assert_int_equal(gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 1, raw,
                                                            (unsigned)rawlen), 0);
    else assert_int_equal(gnutls_x509_crq_set_dn_by_oid(crq, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                                         (unsigned)strlen(cn)), 0);
    assert_int_equal(gnutls_x509_crq_set_key(crq, k), 0);
    assert_int_equal(gnutls_x509_crq_sign2(crq, k, dig, 0), 0);
    assert_int_equal(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &out), 0);
    gnutls_x509_crq_deinit(crq);
    return out;
}

/* The newest audit record is a failure of `action`. */
static void audit_failed(struct fx *f, const char *action)
{
    struct cd_audit_list l;
    fx_must(f, cd_audit_list(f->s, f->u, NULL, NULL, 1, &l, &f->err), "audit");
    assert_int_equal(l.n, 1);
    assert_string_equal(l.rows[0].action, action);
    assert_string_equal(l.rows[0].result, "Failure");
    assert_null(strstr(l.rows[0].detail, "cert 0"));          /* no certificate was made */
    cd_audit_list_free(&l);
}

/* cd_cert_sign refuses csr with `want`, saying `why`; no row is added and
 * the refusal is audited. */
static void sign_refused(struct fx *f, const void *csr, size_t len, int want, const char *why)
{
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT };
    int64_t id = 0, before = fx_count(f, NULL, 1);
    int rc = cd_cert_sign(f->s, f->u, &p, csr, len, &id, &f->err);
    if (rc != want || !strstr(f->err.msg, why))
        fail_msg("wanted %d \"...%s...\", got %d \"%s\"", want, why, rc, rc ? f->err.msg : "");
    assert_int_equal(id, 0);
    assert_int_equal(fx_count(f, NULL, 1), before);
    audit_failed(f, "Sign certificate request");
}

/* The CN cd_cert_sign issued for csr. */
static void sign_gives_cn(struct fx *f, const gnutls_datum_t *csr, const char *cn)
{
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT };
    int64_t id = 0;
    fx_must(f, cd_cert_sign(f->s, f->u, &p, csr->data, csr->size, &id, &f->err), "sign");
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_string_equal(c.cn, cn);
    cd_cert_clear(&c);
}

/* Keys and signatures a request must not get a certificate with. */
static void test_sign_weak(void **state)
{
    struct fx *f = *state;
    gnutls_x509_privkey_t e1 = rsa_e1_key(), ec = ec_key();
    gnutls_datum_t r = hostile_csr(e1, "e1", NULL, 0, GNUTLS_DIG_SHA256);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "public exponent");
    gnutls_free(r.data);
    /* SHA-1: collisions can be made, so the signature proves nothing */
    r = hostile_csr(ec, "sha1", NULL, 0, GNUTLS_DIG_SHA1);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "SHA1");
    gnutls_free(r.data);
    gnutls_x509_privkey_t rsa;
    assert_int_equal(gnutls_x509_privkey_init(&rsa), 0);
    assert_int_equal(gnutls_x509_privkey_generate(rsa, GNUTLS_PK_RSA, 2048, 0), 0);
    r = hostile_csr(rsa, "md5", NULL, 0, GNUTLS_DIG_MD5);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "MD5");
    gnutls_free(r.data);
    /* the same key with SHA-256 is fine */
    r = hostile_csr(rsa, "rsa", NULL, 0, GNUTLS_DIG_SHA256);
    sign_gives_cn(f, &r, "rsa");
    gnutls_free(r.data);
    gnutls_x509_privkey_deinit(rsa);
    gnutls_x509_privkey_deinit(e1);
    gnutls_x509_privkey_deinit(ec);
}

/* Subject strings: what is issued is what was asked for, or nothing. */
static void test_sign_strings(void **state)
{
    struct fx *f = *state;
    gnutls_x509_privkey_t k = ec_key();
    /* a TeletexString with a byte above 0x7f: GnuTLS gives "#hex" for it */
    static const unsigned char t61[] = { 0x14, 4, 'c', 'a', 'f', 0xe9 };
    gnutls_datum_t r = hostile_csr(k, NULL, t61, sizeof t61, GNUTLS_DIG_SHA256);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "TeletexString");
    gnutls_free(r.data);
    /* not a string at all */
    static const unsigned char integer[] = { 0x02, 1, 5 };
    r = hostile_csr(k, NULL, integer, sizeof integer, GNUTLS_DIG_SHA256);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "not a string");
    gnutls_free(r.data);
    /* a BMPString holding half a surrogate pair */
    static const unsigned char half[] = { 0x1e, 4, 0, 'a', 0xd8, 0x00 };
    r = hostile_csr(k, NULL, half, sizeof half, GNUTLS_DIG_SHA256);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "BMPString");
    gnutls_free(r.data);
    /* a UTF8String that is not UTF-8 */
    static const unsigned char bad8[] = { 0x0c, 3, 'a', 0xc3, 0x28 };
    r = hostile_csr(k, NULL, bad8, sizeof bad8, GNUTLS_DIG_SHA256);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "UTF-8");
    gnutls_free(r.data);
    /* an embedded NUL */
    static const unsigned char nul[] = { 0x0c, 3, 'a', 0, 'b' };
    r = hostile_csr(k, NULL, nul, sizeof nul, GNUTLS_DIG_SHA256);
    sign_refused(f, r.data, r.size, CD_E_INVAL, "NUL");
    gnutls_free(r.data);
    /* strings it can read exactly: ASCII Teletex, BMP */
    static const unsigned char plain[] = { 0x14, 5, 'p', 'l', 'a', 'i', 'n' };
    r = hostile_csr(k, NULL, plain, sizeof plain, GNUTLS_DIG_SHA256);
    sign_gives_cn(f, &r, "plain");
    gnutls_free(r.data);
    static const unsigned char bmp[] = { 0x1e, 6, 0x65, 0xe5, 0x67, 0x2c, 0x00, 0xe9 };
    r = hostile_csr(k, NULL, bmp, sizeof bmp, GNUTLS_DIG_SHA256);
    sign_gives_cn(f, &r, "\xe6\x97\xa5\xe6\x9c\xac\xc3\xa9");
    gnutls_free(r.data);
    /* two requests in one file: which one was meant? */
    gnutls_datum_t a = hostile_csr(k, "one", NULL, 0, GNUTLS_DIG_SHA256);
    gnutls_datum_t b = hostile_csr(k, "two", NULL, 0, GNUTLS_DIG_SHA256);
    char *both = malloc(a.size + b.size);
    memcpy(both, a.data, a.size);
    memcpy(both + a.size, b.data, b.size);
    sign_refused(f, both, a.size + b.size, CD_E_INVAL, "more than one");
    free(both);
    gnutls_free(a.data);
    gnutls_free(b.data);
    gnutls_x509_privkey_deinit(k);
}

/* What Apple's portal may hand back, and what completing accepts: the
 * certificate for the pending key wherever it is in the file; not an
 * expired one (nothing would be gained, and the request would be spent);
 * not a CA certificate; one not valid yet is taken (shown as such). */
static void test_import_signed_answers(void **state)
{
    struct fx *f = *state;
    struct apple a;
    apple_make(&a);
    char *pem = NULL;
    int64_t id = request(f, "push", 0, &pem), now = time(NULL);
    size_t len = 0;
    struct answer expired = { .nb = now - 400 * DAY, .na = now - 35 * DAY };
    char *s = apple_sign2(&a, pem, &expired, &len);
    assert_int_equal(cd_cert_import_signed(f->s, f->u, id, s, len, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "expired"));
    audit_failed(f, "Import signed certificate");
    free(s);
    struct answer ca = { .nb = now - 60, .na = now + 365 * DAY, .is_ca = 1 };
    s = apple_sign2(&a, pem, &ca, &len);
    assert_int_equal(cd_cert_import_signed(f->s, f->u, id, s, len, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "CA certificate"));
    free(s);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_PENDING);
    cd_cert_clear(&c);
    /* Apple's CA first, the leaf after it */
    struct answer reversed = { .nb = now - 60, .na = now + 365 * DAY, .ca_first = 1 };
    s = apple_sign2(&a, pem, &reversed, &len);
    fx_must(f, cd_cert_import_signed(f->s, f->u, id, s, len, &f->err), "chain in the wrong order");
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_VALID);
    assert_non_null(strstr(c.subject, "APSP:1234"));
    cd_cert_clear(&c);
    free(s);
    free(pem);
    /* not valid yet: taken */
    id = request(f, "later", 0, &pem);
    struct answer later = { .nb = now + 2 * DAY, .na = now + 365 * DAY };
    s = apple_sign2(&a, pem, &later, &len);
    fx_must(f, cd_cert_import_signed(f->s, f->u, id, s, len, &f->err), "not valid yet");
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_NOTYET);
    cd_cert_clear(&c);
    free(s);
    free(pem);
    apple_free(&a);
}

/* ---- a hostile server --------------------------------------------------- */

/* A certdeckd that answers every request for a CSR with terminal controls
 * around it: the client hands on only a request it has read itself. */
static int evil_request(void *ctx, const char *method, const char *path_query, const char *body, size_t len,
                        long *status, struct cdi_buf *resp, struct cd_err *err)
{
    (void)ctx; (void)body; (void)len;
    static const char csr[] = "\\u001b]0;owned\\u0007\\u001b[2J-----BEGIN CERTIFICATE REQUEST-----\\nMIIB\\n"
                              "-----END CERTIFICATE REQUEST-----\\n";
    resp->len = 0;
    *status = 200;
    if (!strcmp(path_query, "/api/v1/me"))
        cdi_buf_addf(resp, "{\"id\": 1, \"name\": \"admin\", \"admin\": true, \"home_group_id\": 1, \"readonly\": false}");
    else if (!strcmp(method, "POST") && !strcmp(path_query, "/api/v1/certs/request"))
        cdi_buf_addf(resp, "{\"id\": 5, \"csr\": \"%s\"}", csr);
    else if (!strcmp(path_query, "/api/v1/certs/5/csr"))
        cdi_buf_addf(resp, "{\"csr\": \"%s\"}", csr);
    else
        cdi_buf_addf(resp, "{\"rows\": []}");
    cdi_buf_add(resp, "", 0);
    return resp->oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : CD_OK;
}

static int evil_auth(void *ctx, const char *user, const char *password, struct cd_err *err)
{
    (void)ctx; (void)user; (void)password; (void)err;
    return CD_OK;
}

static void evil_close(void *ctx) { (void)ctx; }

static void test_https_hostile_csr(void **state)
{
    struct fx *f = *state;
    struct cdi_https_transport t = { NULL, evil_request, evil_auth, cdi_http_escape, evil_close, NULL };
    cd_store *r = calloc(1, sizeof *r);
    cd_user *ru = NULL;
    assert_non_null(r);
    fx_must(f, cdi_https_open_with(r, "https://evil:1", "evil:1", &t, 0, &f->err), "open");
    fx_must(f, cd_user_owner(r, &ru, &f->err), "owner");
    char *pem = NULL;
    size_t len = 0;
    assert_int_equal(cd_cert_csr(r, ru, 5, &pem, &len, &f->err), CD_E_IO);
    assert_null(pem);
    assert_non_null(strstr(f->err.msg, "evil:1"));
    struct cd_cert_params p = { .product = CD_PRODUCT_APN, .subject = { .cn = "push" } };
    int64_t id = 0;
    assert_int_equal(cd_cert_request(r, ru, &p, 0, &id, &pem, &len, &f->err), CD_E_IO);
    assert_null(pem);
    cd_user_free(ru);
    cd_store_close(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_pending, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_signed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_https, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rights, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_weak, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_strings, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_signed_answers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_https_hostile_csr, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
