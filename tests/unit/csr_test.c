/* Hostile requests and answers (issue 12 review): what cd_cert_sign must
 * not sign (weak keys, broken hashes, names it cannot issue exactly), what
 * cd_cert_import_signed must not take, a hostile server's CSR, and the
 * renewals of a certificate whose key is the client's. */
#include <sqlite3.h>
#include "request_helpers.h"
#include "https_int.h"
#include "http_int.h"

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
    /* a certificate the store holds already (another row with its fingerprint): refused, not made twice */
    id = request(f, "twice", 0, &pem);
    s = apple_sign(&a, pem, &len);
    gnutls_x509_crt_t leaf;
    gnutls_datum_t d = { (unsigned char *)s, (unsigned)len };
    assert_int_equal(gnutls_x509_crt_init(&leaf), 0);
    assert_int_equal(gnutls_x509_crt_import(leaf, &d, GNUTLS_X509_FMT_PEM), 0);
    unsigned char fp[32];
    size_t fsz = sizeof fp;
    char hex[65], sql[160];
    assert_int_equal(gnutls_x509_crt_get_fingerprint(leaf, GNUTLS_DIG_SHA256, fp, &fsz), 0);
    for (size_t i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", fp[i]);
    gnutls_x509_crt_deinit(leaf);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    snprintf(sql, sizeof sql, "UPDATE certs SET fingerprint = '%s' WHERE id = 2", hex);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    assert_int_equal(cd_cert_import_signed(f->s, f->u, id, s, len, &f->err), CD_E_EXISTS);
    assert_non_null(strstr(f->err.msg, "in the store already"));
    assert_int_equal(fx_count(f, "status:pending", 0), 1);
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

/* A certificate signed from a request certifies the client's key, which
 * never comes here: renewing it (with or without same_key) and a CA
 * rollover certify that same public key again, and store no key; a new
 * key made here would be one the client does not have. */
static void key_is(struct fx *f, int64_t id, gnutls_x509_privkey_t k)
{
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.has_key, 0);
    cd_cert_clear(&c);
    unsigned char *out = NULL;
    size_t olen = 0;
    fx_must(f, cd_cert_export(f->s, f->u, id, CD_EXPORT_DER, NULL, &out, &olen, &f->err), "der");
    gnutls_x509_crt_t crt;
    gnutls_datum_t d = { out, (unsigned)olen };
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER), 0);
    unsigned char k1[32], k2[32];
    size_t s1 = sizeof k1, s2 = sizeof k2;
    assert_int_equal(gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, k1, &s1), 0);
    assert_int_equal(gnutls_x509_privkey_get_key_id(k, GNUTLS_KEYID_USE_SHA256, k2, &s2), 0);
    assert_memory_equal(k1, k2, 32);
    gnutls_x509_crt_deinit(crt);
    free(out);
}

static void test_signed_renewals_keep_the_key(void **state)
{
    struct fx *f = *state;
    gnutls_datum_t der;
    gnutls_x509_privkey_t k = client_csr(&der, 0, "client");
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .days = 100 };
    int64_t id = 0, id2 = 0, id3 = 0;
    fx_must(f, cd_cert_sign(f->s, f->u, &p, der.data, der.size, &id, &f->err), "sign");
    struct cd_renew_params rp = { 0 };
    fx_must(f, cd_cert_renew(f->s, f->u, &rp, &id, 1, NULL, NULL, &id2, &f->err), "renew");
    key_is(f, id2, k);
    rp.same_key = 1;
    fx_must(f, cd_cert_renew(f->s, f->u, &rp, &id2, 1, NULL, NULL, &id3, &f->err), "renew, same key");
    key_is(f, id3, k);
    struct cd_ca_params cp = { .subject = { .cn = "Next CA" } };
    int64_t ca = 0;
    size_t n = 0;
    fx_must(f, cd_ca_rollover(f->s, f->u, 1, &cp, NULL, NULL, &ca, &n, &f->err), "rollover");
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id3, &c, &f->err), "get");
    assert_true(c.replaced_by > 0);
    int64_t id4 = c.replaced_by;
    cd_cert_clear(&c);
    key_is(f, id4, k);
    gnutls_free(der.data);
    gnutls_x509_privkey_deinit(k);
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
        cmocka_unit_test_setup_teardown(test_sign_weak, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_strings, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_signed_answers, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_https_hostile_csr, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_signed_renewals_keep_the_key, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
