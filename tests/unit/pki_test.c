/* pki: every key type issues and verifies; exports come out in the promised
 * formats and protections; CRLs are signed, numbered and list the revoked. */
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/pkcs12.h>
#include <sqlite3.h>
#include "helpers.h"
#include "sq_int.h"

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
        /* CRL 1 was signed by the revocation itself (the CA has no passphrase) */
        assert_int_equal(num[nl - 1], round + 1);
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

/* A batch's certificates after the first come from its template (pki.c):
 * each must be what GnuTLS's own builder would have made of it: the stored
 * names, serial, fingerprint and dates those of its DER, the CA's signature
 * good, the key its own.  Hostile characters in the names; every CA type. */
static void check_batch_row(struct fx *f, sqlite3_stmt *st, gnutls_x509_crt_t ca)
{
    const unsigned char *der = sqlite3_column_blob(st, 6);
    int64_t id = sqlite3_column_int64(st, 7);
    gnutls_x509_crt_t c = load(der, (size_t)sqlite3_column_bytes(st, 6), GNUTLS_X509_FMT_DER);
    struct cdi_issued d = { 0 };
    assert_int_equal(cdi_crt_describe(c, &d, &f->err), CD_OK);
    assert_string_equal(d.subject, (const char *)sqlite3_column_text(st, 0));
    assert_string_equal(d.issuer, (const char *)sqlite3_column_text(st, 1));
    assert_string_equal(d.serial, (const char *)sqlite3_column_text(st, 2));
    assert_string_equal(d.fp, (const char *)sqlite3_column_text(st, 3));
    assert_int_equal(d.nb, sqlite3_column_int64(st, 4));
    assert_int_equal(d.na, sqlite3_column_int64(st, 5));
    unsigned status = 99;
    assert_int_equal(gnutls_x509_crt_verify(c, &ca, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status), 0);
    assert_int_equal(status, 0);
    /* the subject key id is the key's, and the exported key is that key */
    unsigned char a[64], b[64];
    size_t as = sizeof a, bs = sizeof b;
    unsigned crit;
    assert_true(gnutls_x509_crt_get_subject_key_id(c, a, &as, &crit) >= 0);
    assert_true(gnutls_x509_crt_get_key_id(c, 0, b, &bs) >= 0);
    assert_int_equal(as, bs);
    assert_memory_equal(a, b, as);
    unsigned char *pem;
    size_t n;
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_KEY, "pw", &pem, &n, &f->err), CD_OK);
    gnutls_x509_privkey_t k;
    gnutls_datum_t kd = { pem, (unsigned)n };
    gnutls_x509_privkey_init(&k);
    assert_int_equal(gnutls_x509_privkey_import_pkcs8(k, &kd, GNUTLS_X509_FMT_PEM, "pw", 0), 0);
    bs = sizeof b;
    assert_true(gnutls_x509_privkey_get_key_id(k, 0, b, &bs) >= 0);
    assert_memory_equal(a, b, as);
    gnutls_x509_privkey_deinit(k);
    free(pem);
    cdi_issued_clear(&d);
    gnutls_x509_crt_deinit(c);
}

static void test_batch_from_template(void **state)
{
    struct fx *f = *state;
    static const int cas[] = { CD_KEY_EC256, CD_KEY_ED25519, CD_KEY_RSA2048 };
    sqlite3 *db;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    for (size_t i = 0; i < 3; i++) {
        struct cd_ca_params cp = { .subject = { .cn = "CA, \"the\" +one", .o = "Org", .c = "US" }, .keytype = cas[i] };
        int64_t ca, ids[40];
        assert_int_equal(cd_ca_new(f->s, f->u, &cp, &ca, &f->err), CD_OK);
        struct cd_cert_params p = { .ca_id = ca, .product = CD_PRODUCT_SERVER,
                                    .subject = { .cn = "#lead,+\"x\"=;<> #", .o = "Org, Inc", .ou = "001",
                                                 .l = "000001", .c = "DE" },
                                    .host = "a.example.org,192.0.2.7", .keytype = CD_KEY_EC256, .days = 5,
                                    .tags = (const char *const[]){ "t1", NULL } };
        assert_int_equal(cd_cert_new(f->s, f->u, &p, 40, NULL, NULL, ids, &f->err), CD_OK);
        char *pem;
        size_t len;
        assert_int_equal(cd_ca_export(f->s, f->u, ca, &pem, &len, &f->err), CD_OK);
        gnutls_x509_crt_t c = load((unsigned char *)pem, len, GNUTLS_X509_FMT_PEM);
        sqlite3_stmt *st;
        assert_int_equal(sqlite3_prepare_v2(db, "SELECT subject, issuer, serial, fingerprint, not_before, not_after,"
                                                " der, id, cn FROM certs WHERE id BETWEEN ? AND ? ORDER BY id", -1,
                                            &st, NULL), SQLITE_OK);
        sqlite3_bind_int64(st, 1, ids[0]);
        sqlite3_bind_int64(st, 2, ids[39]);
        int rows = 0;
        while (sqlite3_step(st) == SQLITE_ROW) {
            char cn[80];
            snprintf(cn, sizeof cn, "%s-%06d", p.subject.cn, ++rows);
            assert_string_equal((const char *)sqlite3_column_text(st, 8), cn);
            check_batch_row(f, st, c);
        }
        assert_int_equal(rows, 40);
        sqlite3_finalize(st);
        gnutls_x509_crt_deinit(c);
        free(pem);
    }
    sqlite3_close(db);
}

/* A first certificate and its template.  A template is declined for its
 * key alone when GnuTLS wrote the private scalar shorter (1 in 256); the
 * batches then try the next certificate (sq_issue.c), and so does this. */
static struct cdi_tmpl *first_and_tmpl(struct fx *f, const struct cdi_issue_req *r, struct cdi_issued *o)
{
    struct cdi_tmpl *t = NULL;
    for (int i = 0; i < 3 && !t; i++) {
        if (i) cdi_issued_clear(o);
        assert_int_equal(cdi_pki_issue(r, o, &f->err), CD_OK);
        t = cdi_tmpl_new(r, o);
    }
    return t;
}

/* The template is really taken for a P-256 batch (else the test above
 * proves only the slow path), and declined where it does not apply. */
static void test_template_applies(void **state)
{
    struct fx *f = *state;
    gnutls_x509_crt_t ca;
    gnutls_x509_privkey_t cakey;
    struct cd_subject cs = { .cn = "T CA" }, s = { .cn = "node-000001", .o = "O" };
    struct cdi_issue_req cr = { .sub = &cs, .keytype = CD_KEY_EC256, .nb = 1700000000, .na = 1900000000, .is_ca = 1 };
    struct cdi_issued co, o, o2;
    assert_int_equal(cdi_pki_issue(&cr, &co, &f->err), CD_OK);
    assert_int_equal(cdi_crt_load(co.der.data, co.der.size, &ca, &f->err), CD_OK);
    assert_int_equal(cdi_key_import_plain(co.key.data, co.key.size, &cakey, &f->err), CD_OK);
    struct cdi_issue_req r = { .sub = &s, .keytype = CD_KEY_EC256, .nb = 1700000000, .na = 1800000000,
                               .product = CD_PRODUCT_AGENT, .issuer = ca, .issuer_key = cakey };
    struct cdi_tmpl *t = first_and_tmpl(f, &r, &o);
    assert_non_null(t);
    assert_true(cdi_tmpl_fits(t, "node-123456"));
    assert_false(cdi_tmpl_fits(t, "node-1234567"));
    assert_false(cdi_tmpl_fits(t, "nodx-123456"));
    assert_int_equal(cdi_tmpl_issue(t, "node-123456", &o2, &f->err), CD_OK);
    assert_string_equal(o2.subject, "CN=node-123456,O=O");
    assert_string_equal(o2.issuer, o.issuer);
    cdi_issued_clear(&o2);
    cdi_tmpl_free(t);
    cdi_issued_clear(&o);
    /* names that RFC 4514 escapes, and digits elsewhere in the subject */
    s = (struct cd_subject){ .cn = " lead,+\"x\"=;<>#-000001", .o = "Org, Inc", .ou = "001", .l = "000001" };
    assert_non_null(t = first_and_tmpl(f, &r, &o));
    assert_int_equal(cdi_tmpl_issue(t, " lead,+\"x\"=;<>#-424242", &o2, &f->err), CD_OK);
    assert_non_null(strstr(o2.subject, "424242"));
    assert_null(strstr(o2.subject, "000001,"));
    cdi_issued_clear(&o2);
    cdi_tmpl_free(t);
    cdi_issued_clear(&o);
    s = (struct cd_subject){ .cn = "no digits" };
    assert_int_equal(cdi_pki_issue(&r, &o, &f->err), CD_OK);
    assert_null(cdi_tmpl_new(&r, &o));
    cdi_issued_clear(&o);
    s.cn = "node-000001";
    r.keytype = CD_KEY_ED25519;
    assert_int_equal(cdi_pki_issue(&r, &o, &f->err), CD_OK);
    assert_null(cdi_tmpl_new(&r, &o));
    cdi_issued_clear(&o);
    cdi_issued_clear(&co);
    gnutls_x509_privkey_deinit(cakey);
    gnutls_x509_crt_deinit(ca);
    /* whatever the CA's own key */
    static const int cas[] = { CD_KEY_ED25519, CD_KEY_RSA2048 };
    for (size_t i = 0; i < 2; i++) {
        cr.keytype = cas[i];
        assert_int_equal(cdi_pki_issue(&cr, &co, &f->err), CD_OK);
        assert_int_equal(cdi_crt_load(co.der.data, co.der.size, &ca, &f->err), CD_OK);
        assert_int_equal(cdi_key_import_plain(co.key.data, co.key.size, &cakey, &f->err), CD_OK);
        r = (struct cdi_issue_req){ .sub = &s, .keytype = CD_KEY_EC256, .nb = 1700000000, .na = 1800000000,
                                    .product = CD_PRODUCT_SERVER, .host = "h.example", .issuer = ca,
                                    .issuer_key = cakey };
        assert_non_null(t = first_and_tmpl(f, &r, &o));
        assert_int_equal(cdi_tmpl_issue(t, "node-000002", &o2, &f->err), CD_OK);
        gnutls_x509_crt_t c = load(o2.der.data, o2.der.size, GNUTLS_X509_FMT_DER);
        unsigned status = 99;
        assert_int_equal(gnutls_x509_crt_verify(c, &ca, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS, &status), 0);
        assert_int_equal(status, 0);
        gnutls_x509_crt_deinit(c);
        cdi_issued_clear(&o2);
        cdi_tmpl_free(t);
        cdi_issued_clear(&o);
        cdi_issued_clear(&co);
        gnutls_x509_privkey_deinit(cakey);
        gnutls_x509_crt_deinit(ca);
    }
}

/* A certificate named by raw AVAs (OID, DER value), self-signed. */
static gnutls_x509_crt_t named(gnutls_x509_privkey_t key, const char *const *oid, const char *const *der,
                               const unsigned *len, size_t n)
{
    gnutls_x509_crt_t c;
    unsigned char serial[] = { 0x42 };
    assert_int_equal(gnutls_x509_crt_init(&c), 0);
    assert_int_equal(gnutls_x509_crt_set_version(c, 3), 0);
    assert_int_equal(gnutls_x509_crt_set_serial(c, serial, 1), 0);
    assert_int_equal(gnutls_x509_crt_set_activation_time(c, 1700000000), 0);
    assert_int_equal(gnutls_x509_crt_set_expiration_time(c, 1800000000), 0);
    for (size_t i = 0; i < n; i++) assert_int_equal(gnutls_x509_crt_set_dn_by_oid(c, oid[i], 1, der[i], len[i]), 0);
    assert_int_equal(gnutls_x509_crt_set_key(c, key), 0);
    assert_int_equal(gnutls_x509_crt_sign2(c, c, key, GNUTLS_DIG_SHA256, 0), 0);
    gnutls_datum_t d;
    assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &d), 0);
    gnutls_x509_crt_deinit(c);
    c = load(d.data, d.size, GNUTLS_X509_FMT_DER);
    gnutls_free(d.data);
    return c;
}

/* subject_of (a renewal): the subject comes over byte for byte, string
 * types and repeated attributes too; a value that is no string (here a
 * SEQUENCE) is refused rather than re-tagged into a broken certificate. */
static void test_subject_carried_over(void **state)
{
    struct fx *f = *state;
    gnutls_x509_privkey_t key;
    assert_int_equal(cdi_keygen(CD_KEY_EC256, &key, &f->err), CD_OK);
    static const char *const oid[] = { GNUTLS_OID_X520_COUNTRY_NAME, GNUTLS_OID_X520_ORGANIZATION_NAME,
                                       GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME,
                                       GNUTLS_OID_X520_COMMON_NAME, GNUTLS_OID_PKCS9_EMAIL };
    static const char *const der[] = { "\x13\x02" "DE", "\x1e\x04\x00" "E\x00" "x", "\x0c\x03" "Ops",
                                       "\x14\x05" "Night", "\x13\x08" "rich-001", "\x16\x0f" "ops@example.org" };
    static const unsigned len[] = { 4, 6, 5, 7, 10, 17 };
    gnutls_x509_crt_t old = named(key, oid, der, len, 6);
    struct cd_subject s = { .cn = "rich-001" };
    struct cdi_issue_req r = { .sub = &s, .subject_of = old, .keytype = CD_KEY_EC256, .nb = 1700000000,
                               .na = 1800000000, .product = CD_PRODUCT_AGENT, .issuer = old, .issuer_key = key };
    struct cdi_issued o;
    assert_int_equal(cdi_pki_issue(&r, &o, &f->err), CD_OK);
    gnutls_x509_crt_t c = load(o.der.data, o.der.size, GNUTLS_X509_FMT_DER);
    gnutls_datum_t a, b;
    assert_int_equal(gnutls_x509_crt_get_raw_dn(old, &a), 0);
    assert_int_equal(gnutls_x509_crt_get_raw_dn(c, &b), 0);
    assert_int_equal(a.size, b.size);
    assert_memory_equal(a.data, b.data, a.size);
    size_t off, l;
    assert_int_equal(cdi_der_subject(o.der.data, o.der.size, &off, &l), 0);   /* the same place */
    assert_int_equal(l, b.size);
    assert_memory_equal(o.der.data + off, b.data, l);
    gnutls_free(a.data);
    gnutls_free(b.data);
    gnutls_x509_crt_deinit(c);
    cdi_issued_clear(&o);
    gnutls_x509_crt_deinit(old);
    /* a SEQUENCE as a value: refused, nothing issued */
    static const char *const oid2[] = { GNUTLS_OID_X520_COMMON_NAME, "1.2.3.4" };
    static const char *const der2[] = { "\x0c\x01" "x", "\x30\x03\x02\x01\x07" };
    static const unsigned len2[] = { 3, 5 };
    old = named(key, oid2, der2, len2, 2);
    r.subject_of = old;
    r.issuer = old;
    assert_int_equal(cdi_pki_issue(&r, &o, &f->err), CD_E_UNSUPPORTED);
    assert_non_null(strstr(f->err.msg, "cannot carry over"));
    gnutls_x509_crt_deinit(old);
    gnutls_x509_privkey_deinit(key);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_key_types), T(test_bad_host_refused), T(test_pfx_and_base64), T(test_pem_chain_key),
        T(test_certificate_passphrase), T(test_crl), T(test_batch_from_template), T(test_template_applies), T(test_subject_carried_over),
    };
    return cmocka_run_group_tests_name("pki", tests, NULL, NULL);
}
