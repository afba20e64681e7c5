/* APN/ABM requests (cd_cert_request, cd_cert_csr, cd_cert_import_signed)
 * and external CSRs signed here (cd_cert_sign): issue 12, "APN/ABM
 * certificates" and "CSR signing".  A GnuTLS CA in the test plays Apple
 * (request_helpers.h); hostile requests and answers: csr_test.c. */
#include "request_helpers.h"
#include "https_int.h"

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
    assert_string_equal(cd_cert_field(&c, CD_COL_VALID_FROM, b, sizeof b), "-");
    assert_string_equal(cd_cert_field(&c, CD_COL_VALID_TO, b, sizeof b), "-");
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
    pem = NULL;
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_request_pending, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_import_signed, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_sign_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_https, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rights, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
