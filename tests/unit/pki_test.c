/* pki: every key type issues and verifies; exports come out in the promised
 * formats and protections; CRLs are signed, numbered and list the revoked. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/pkcs12.h>
#include "helpers.h"

static gnutls_x509_crt_t load(const unsigned char *d, size_t n, int fmt)
{
    gnutls_x509_crt_t c;
    gnutls_datum_t dd = { (unsigned char *)d, (unsigned)n };
    gnutls_x509_crt_init(&c);
    assert_int_equal(gnutls_x509_crt_import(c, &dd, fmt), 0);
    return c;
}

static void verify_with_ca(struct fx *f, int64_t ca, int64_t cert)
{
    char *pem;
    size_t len;
    unsigned char *leaf;
    size_t llen;
    assert_int_equal(cd_ca_export(f->s, f->u, ca, &pem, &len, &f->err), CD_OK);
    assert_int_equal(cd_cert_export(f->s, f->u, cert, CD_EXPORT_DER, NULL, &leaf, &llen, &f->err), CD_OK);
    gnutls_x509_crt_t c = load((unsigned char *)pem, len, GNUTLS_X509_FMT_PEM), l = load(leaf, llen, GNUTLS_X509_FMT_DER);
    unsigned status = 99;
    assert_int_equal(gnutls_x509_crt_verify(l, &c, 1, 0, &status), 0);
    assert_int_equal(status, 0);
    gnutls_x509_crt_deinit(c);
    gnutls_x509_crt_deinit(l);
    free(pem);
    free(leaf);
}

static void test_key_types(void **state)
{
    struct fx *f = *state;
    static const int cas[] = { CD_KEY_EC256, CD_KEY_ED25519, CD_KEY_RSA2048 };
    for (size_t i = 0; i < 3; i++) {
        struct cd_ca_params cp = { .subject = { .cn = "CA", .o = "Org", .c = "US" }, .keytype = cas[i] };
        int64_t ca, id;
        assert_int_equal(cd_ca_new(f->s, f->u, &cp, &ca, &f->err), CD_OK);
        for (int k = CD_KEY_EC256; k <= CD_KEY_RSA2048; k++) {
            struct cd_cert_params p = { .ca_id = ca, .product = CD_PRODUCT_SERVER, .subject = { .cn = "leaf" },
                                        .host = "a.example.org,192.0.2.7,2001:db8::1", .keytype = k, .days = 5 };
            assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), CD_OK);
            verify_with_ca(f, ca, id);
        }
    }
}

static void test_bad_host_refused(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .subject = { .cn = "x" },
                                .host = "bad host!", .days = 5 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    p.host = NULL;
    p.subject.cn = "";
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    p.subject.cn = "x";
    p.subject.c = "USA";
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_INVAL);
}

static void test_pfx_and_base64(void **state)
{
    struct fx *f = *state;
    unsigned char *pfx, *b64;
    size_t n, bn;
    assert_int_equal(cd_cert_export(f->s, f->u, 2, CD_EXPORT_PFX, NULL, &pfx, &n, &f->err), CD_E_PASSPHRASE);
    assert_int_equal(cd_cert_export(f->s, f->u, 2, CD_EXPORT_PFX, "pw", &pfx, &n, &f->err), CD_OK);
    gnutls_pkcs12_t p12;
    gnutls_pkcs12_init(&p12);
    gnutls_datum_t d = { pfx, (unsigned)n };
    assert_int_equal(gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0), 0);
    assert_int_equal(gnutls_pkcs12_verify_mac(p12, "pw"), 0);
    assert_true(gnutls_pkcs12_verify_mac(p12, "nope") < 0);
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t *chain;
    unsigned chain_len;
    assert_int_equal(gnutls_pkcs12_simple_parse(p12, "pw", &key, &chain, &chain_len, NULL, NULL, NULL, 0), 0);
    assert_true(chain_len >= 1);
    gnutls_x509_privkey_deinit(key);
    for (unsigned i = 0; i < chain_len; i++) gnutls_x509_crt_deinit(chain[i]);
    gnutls_free(chain);
    gnutls_pkcs12_deinit(p12);
    assert_int_equal(cd_cert_export(f->s, f->u, 2, CD_EXPORT_BASE64, "pw", &b64, &bn, &f->err), CD_OK);
    gnutls_datum_t raw = { 0 }, in = { b64, (unsigned)bn - 1 };
    assert_int_equal(gnutls_base64_decode2(&in, &raw), 0);
    assert_true(raw.size > 500);
    assert_null(memchr(b64, '\n', bn - 1));      /* one line, as the console gives it */
    gnutls_free(raw.data);
    free(pfx);
    free(b64);
}

static void test_pem_chain_key(void **state)
{
    struct fx *f = *state;
    unsigned char *o;
    size_t n;
    assert_int_equal(cd_cert_export(f->s, f->u, 1, CD_EXPORT_PEM, NULL, &o, &n, &f->err), CD_OK);
    assert_memory_equal(o, "-----BEGIN CERTIFICATE-----", 27);
    free(o);
    assert_int_equal(cd_cert_export(f->s, f->u, 1, CD_EXPORT_CHAIN, NULL, &o, &n, &f->err), CD_OK);
    char *s = strndup((char *)o, n), *second = strstr(s + 1, "-----BEGIN CERTIFICATE-----");
    assert_non_null(second);
    free(s);
    free(o);
    assert_int_equal(cd_cert_export(f->s, f->u, 1, CD_EXPORT_KEY, "pw", &o, &n, &f->err), CD_OK);
    s = strndup((char *)o, n);
    assert_non_null(strstr(s, "BEGIN ENCRYPTED PRIVATE KEY"));
    free(s);
    free(o);
}

static void test_certificate_passphrase(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "locked" },
                                .days = 5, .passphrase = "open sesame" };
    int64_t id;
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), CD_OK);
    unsigned char *o;
    size_t n;
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_PFX, "guess", &o, &n, &f->err), CD_E_PASSPHRASE);
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_PFX, "open sesame", &o, &n, &f->err), CD_OK);
    free(o);
    struct cd_cert c;
    cd_cert_get(f->s, f->u, id, &c, &f->err);
    assert_true(c.has_passphrase);
    cd_cert_clear(&c);
}

static void test_crl(void **state)
{
    struct fx *f = *state;
    int64_t ids[2] = { 2, 3 };
    assert_int_equal(cd_cert_revoke(f->s, f->u, ids, 2, 4, &f->err), CD_OK);
    unsigned char *o;
    size_t n;
    for (int round = 1; round <= 2; round++) {
        assert_int_equal(cd_crl(f->s, f->u, 1, NULL, 0, 0, &o, &n, &f->err), CD_OK);
        gnutls_x509_crl_t crl;
        gnutls_x509_crl_init(&crl);
        gnutls_datum_t d = { o, (unsigned)n };
        assert_int_equal(gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER), 0);
        assert_int_equal(gnutls_x509_crl_get_crt_count(crl), 2);
        unsigned char num[8];
        size_t nl = sizeof num;
        unsigned crit;
        assert_int_equal(gnutls_x509_crl_get_number(crl, num, &nl, &crit), 0);
        assert_int_equal(num[nl - 1], round);
        assert_int_equal(gnutls_x509_crl_get_next_update(crl) - gnutls_x509_crl_get_this_update(crl), 7 * 86400);
        char *pem;
        size_t pl;
        cd_ca_export(f->s, f->u, 1, &pem, &pl, &f->err);
        gnutls_x509_crt_t ca = load((unsigned char *)pem, pl, GNUTLS_X509_FMT_PEM);
        unsigned status = 99;
        assert_int_equal(gnutls_x509_crl_verify(crl, &ca, 1, 0, &status), 0);
        assert_int_equal(status, 0);
        gnutls_x509_crt_deinit(ca);
        free(pem);
        gnutls_x509_crl_deinit(crl);
        free(o);
    }
    assert_int_equal(cd_crl(f->s, f->u, 1, NULL, 0, 1, &o, &n, &f->err), CD_OK);
    assert_memory_equal(o, "-----BEGIN X509 CRL-----", 24);
    free(o);
    assert_int_equal(cd_crl(f->s, f->u, 42, NULL, 0, 1, &o, &n, &f->err), CD_E_NOTFOUND);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_key_types), T(test_bad_host_refused), T(test_pfx_and_base64), T(test_pem_chain_key),
        T(test_certificate_passphrase), T(test_crl),
    };
    return cmocka_run_group_tests_name("pki", tests, NULL, NULL);
}
