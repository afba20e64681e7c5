/* certdeck unit tests — what request_test.c and csr_test.c share: a test
 * CA playing Apple, pending requests, and a client's own requests. */
#ifndef CERTDECK_TEST_REQUEST_HELPERS_H
#define CERTDECK_TEST_REQUEST_HELPERS_H

#include <time.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include "helpers.h"

#define DAY 86400LL

/* ---- a test CA playing Apple -------------------------------------------- */

struct apple { gnutls_x509_crt_t crt; gnutls_x509_privkey_t key; };

static inline void apple_make(struct apple *a)
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

static inline void apple_free(struct apple *a)
{
    gnutls_x509_crt_deinit(a->crt);
    gnutls_x509_privkey_deinit(a->key);
}

/* What the test Apple signs: validity, whether the certificate says CA:TRUE,
 * and whether its CA comes first in the file (a chain in the wrong order). */
struct answer { int64_t nb, na; int is_ca, ca_first; };

/* Apple's answer to a request (PEM), with Apple's CA as its chain. */
static inline char *apple_sign2(const struct apple *a, const char *csr_pem, const struct answer *w, size_t *len)
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
static inline char *apple_sign(const struct apple *a, const char *csr_pem, size_t *len)
{
    struct answer w = { .nb = time(NULL) - 60, .na = time(NULL) + 365 * DAY };
    return apple_sign2(a, csr_pem, &w, len);
}

static inline int64_t request(struct fx *f, const char *cn, int64_t replaces, char **pem)
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

/* ---- a client's requests ------------------------------------------------ */

/* A client's request: its own key, asking for CA:TRUE, a rogue SAN and
 * codeSigning.  DER in *der (gnutls_free). */
static inline gnutls_x509_privkey_t client_csr(gnutls_datum_t *der, int extras, const char *cn)
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

#endif
