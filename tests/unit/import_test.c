/* cd_import (certdeck/lifecycle.h): certificates, chains, PKCS#12 and keys
 * made by another store with the core's own API, imported here. */
#include <sys/stat.h>
#include <time.h>
#include "helpers.h"
#include "https_int.h"

static const char PASS[] = "import-pass-1";

/* The store the imported things come from, and the one they go to. */
struct ix { struct fx dst; void *src; };

static int ix_setup(void **state)
{
    struct ix *x = calloc(1, sizeof *x);
    void *d = NULL;
    if (fx_setup(&d) || fx_setup(&x->src)) return -1;
    x->dst = *(struct fx *)d;
    free(d);
    *state = x;
    return 0;
}

static int ix_teardown(void **state)
{
    struct ix *x = *state;
    struct fx *d = malloc(sizeof *d);
    *d = x->dst;
    void *p = d;
    fx_teardown(&p);
    fx_teardown(&x->src);
    free(x);
    return 0;
}

static struct fx *src(struct ix *x) { return x->src; }

/* A new certificate of the source store, exported as fmt. */
static unsigned char *src_export(struct ix *x, int64_t id, int fmt, size_t *len)
{
    unsigned char *out = NULL;
    struct fx *s = src(x);
    fx_must(s, cd_cert_export(s->s, s->u, id, fmt, PASS, &out, len, &s->err), "export");
    return out;
}

/* The source's CA 1 and a certificate of it, PEM, one after the other. */
static char *src_chain(struct ix *x, int64_t id, size_t *len)
{
    struct fx *s = src(x);
    char *ca = NULL;
    size_t calen = 0, clen = 0;
    fx_must(s, cd_ca_export(s->s, s->u, 1, &ca, &calen, &s->err), "ca export");
    unsigned char *c = src_export(x, id, CD_EXPORT_PEM, &clen);
    char *all = malloc(calen + clen + 1);
    memcpy(all, ca, calen);
    memcpy(all + calen, c, clen);
    *len = calen + clen;
    free(ca);
    free(c);
    return all;
}

static size_t count(const struct cd_import_report *r, int what, int taken)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) n += r->rows[i].what == what && r->rows[i].taken == taken;
    return n;
}

static int64_t id_of(const struct cd_import_report *r, int what)
{
    for (size_t i = 0; i < r->n; i++) if (r->rows[i].what == what) return r->rows[i].id;
    return 0;
}

static size_t ca_count(struct fx *f)
{
    struct cd_ca_list l;
    fx_must(f, cd_ca_list(f->s, f->u, NULL, &l, &f->err), "ca list");
    size_t n = l.n;
    cd_ca_list_free(&l);
    return n;
}

static void test_chain(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    size_t len = 0;
    char *pem = src_chain(x, fx_cert(src(x), "leaf-1"), &len);
    struct cd_import_report r;
    fx_must(f, cd_import(f->s, f->u, pem, len, NULL, &r, &f->err), "import");
    assert_int_equal(count(&r, CD_IMPORT_CA, 1), 1);
    assert_int_equal(count(&r, CD_IMPORT_CERT, 1), 1);
    assert_int_equal(r.taken, 2);
    assert_int_equal(r.skipped, 0);
    int64_t ca = id_of(&r, CD_IMPORT_CA), id = id_of(&r, CD_IMPORT_CERT);
    cd_import_report_free(&r);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.ca_id, ca);                        /* linked to the CA it verifies against */
    assert_int_equal(c.has_key, 0);
    assert_string_equal(c.product, cd_product_label(CD_PRODUCT_CUSTOM));
    assert_string_equal(c.cn, "leaf-1");
    assert_string_equal(c.description, "Imported");
    cd_cert_clear(&c);
    struct cd_ca a;
    fx_must(f, cd_ca_get(f->s, f->u, ca, &a, &f->err), "ca get");
    assert_int_equal(a.can_sign, 0);                      /* no key came with it */
    cd_ca_clear(&a);
    /* twice: nothing twice */
    fx_must(f, cd_import(f->s, f->u, pem, len, NULL, &r, &f->err), "again");
    assert_int_equal(r.taken, 0);
    assert_int_equal(r.skipped, 2);
    char want[64];
    snprintf(want, sizeof want, "already in the store as cert %lld", (long long)id);
    assert_string_equal(r.rows[1].why, want);
    cd_import_report_free(&r);
    free(pem);
}

static void test_der(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    size_t len = 0;
    unsigned char *der = src_export(x, fx_cert(src(x), "der-1"), CD_EXPORT_DER, &len);
    struct cd_import_report r;
    struct cd_import_opts o = { .group = "/All", .description = "from DER" };
    fx_must(f, cd_import(f->s, f->u, der, len, &o, &r, &f->err), "import");
    assert_int_equal(r.taken, 1);
    assert_int_equal(count(&r, CD_IMPORT_CERT, 1), 1);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, r.rows[0].id, &c, &f->err), "get");
    assert_int_equal(c.ca_id, 0);                         /* its CA is not here */
    assert_string_equal(c.description, "from DER");
    cd_cert_clear(&c);
    cd_import_report_free(&r);
    free(der);
}

/* An expired certificate comes in all the same, and says so. */
static void test_expired(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    struct fx *s = src(x);
    int64_t now = (int64_t)time(NULL);
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "old" },
                                .keytype = CD_KEY_EC256, .not_before = now - 3600, .not_after = now - 60 };
    int64_t sid = 0;
    fx_must(s, cd_cert_new(s->s, s->u, &p, 1, NULL, NULL, &sid, &s->err), "expired cert");
    size_t len = 0;
    unsigned char *der = src_export(x, sid, CD_EXPORT_DER, &len);
    struct cd_import_report r;
    fx_must(f, cd_import(f->s, f->u, der, len, NULL, &r, &f->err), "import");
    assert_int_equal(r.taken, 1);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, r.rows[0].id, &c, &f->err), "get");
    assert_int_equal(c.state, CD_STATE_EXPIRED);
    cd_cert_clear(&c);
    cd_import_report_free(&r);
    free(der);
}

static void test_pkcs12_and_wrong_pass(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    size_t len = 0;
    unsigned char *pfx = src_export(x, fx_cert(src(x), "pfx-1"), CD_EXPORT_PFX, &len);
    struct cd_import_report r;
    struct cd_import_opts bad = { .passphrase = "wrong" };
    assert_int_equal(cd_import(f->s, f->u, pfx, len, &bad, &r, &f->err), CD_E_PASSPHRASE);
    assert_int_equal(r.n, 0);
    assert_int_equal(ca_count(f), 1);                     /* nothing written */
    assert_int_equal(fx_count(f, "cn:pfx-1", 0), 0);
    assert_int_equal(cd_import(f->s, f->u, pfx, len, NULL, &r, &f->err), CD_E_PASSPHRASE);
    struct cd_import_opts o = { .passphrase = PASS };
    fx_must(f, cd_import(f->s, f->u, pfx, len, &o, &r, &f->err), "import");
    assert_int_equal(count(&r, CD_IMPORT_CA, 1), 1);      /* the chain's CA */
    int64_t id = id_of(&r, CD_IMPORT_CERT);
    cd_import_report_free(&r);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.has_key, 1);
    cd_cert_clear(&c);
    free(pfx);
}

static void test_key_completes(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    int64_t sid = fx_cert(src(x), "keyless-1");
    size_t dlen = 0, klen = 0;
    unsigned char *der = src_export(x, sid, CD_EXPORT_DER, &dlen);
    unsigned char *key = src_export(x, sid, CD_EXPORT_KEY, &klen);     /* encrypted PKCS#8 PEM */
    struct cd_import_report r;
    fx_must(f, cd_import(f->s, f->u, der, dlen, NULL, &r, &f->err), "cert");
    int64_t id = r.rows[0].id;
    cd_import_report_free(&r);
    /* encrypted: refused without the passphrase, nothing written */
    assert_int_equal(cd_import(f->s, f->u, key, klen, NULL, &r, &f->err), CD_E_PASSPHRASE);
    struct cd_import_opts o = { .passphrase = PASS };
    fx_must(f, cd_import(f->s, f->u, key, klen, &o, &r, &f->err), "key");
    assert_int_equal(r.n, 1);
    assert_int_equal(r.rows[0].what, CD_IMPORT_KEY);
    assert_int_equal(r.rows[0].taken, 1);
    assert_int_equal(r.rows[0].id, id);
    cd_import_report_free(&r);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.has_key, 1);
    cd_cert_clear(&c);
    /* the key works: a .pfx of it exports */
    unsigned char *out = NULL;
    size_t olen = 0;
    fx_must(f, cd_cert_export(f->s, f->u, id, CD_EXPORT_PFX, PASS, &out, &olen, &f->err), "pfx");
    free(out);
    /* again: the certificate has its key now, so the key matches no key-less row */
    fx_must(f, cd_import(f->s, f->u, key, klen, &o, &r, &f->err), "key again");
    assert_int_equal(r.taken, 0);
    assert_int_equal(r.skipped, 1);
    cd_import_report_free(&r);
    free(der);
    free(key);
}

static void test_key_matches_nothing(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    size_t klen = 0;
    unsigned char *key = src_export(x, fx_cert(src(x), "stray"), CD_EXPORT_KEY, &klen);
    struct cd_import_report r;
    struct cd_import_opts o = { .passphrase = PASS };
    fx_must(f, cd_import(f->s, f->u, key, klen, &o, &r, &f->err), "key");
    assert_int_equal(r.n, 1);
    assert_int_equal(r.rows[0].what, CD_IMPORT_KEY);
    assert_int_equal(r.rows[0].taken, 0);
    assert_non_null(strstr(r.rows[0].why, "matches no certificate"));
    cd_import_report_free(&r);
    free(key);
}

static void test_not_a_file_we_know(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    struct cd_import_report r;
    assert_int_equal(cd_import(f->s, f->u, "hello", 5, NULL, &r, &f->err), CD_E_INVAL);
    const char *other = "-----BEGIN X509 CRL-----\nAAAA\n-----END X509 CRL-----\n";
    fx_must(f, cd_import(f->s, f->u, other, strlen(other), NULL, &r, &f->err), "crl block");
    assert_int_equal(r.n, 1);
    assert_int_equal(r.rows[0].taken, 0);
    assert_int_equal(r.rows[0].what, CD_IMPORT_OTHER);
    cd_import_report_free(&r);
}

static void test_rights(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    static const char PW[] = "carol-password-1";
    fx_must(f, cd_user_add(f->s, f->u, "carol", "/All", PW, &f->err), "user");
    const char *all[] = { "/All" };
    int rights[CD_OT_COUNT];
    for (int t = 0; t < CD_OT_COUNT; t++) rights[t] = CD_RIGHT_READ;
    rights[CD_OT_CERTS] = CD_RIGHT_WRITE;                 /* certificates yes, CAs no */
    fx_must(f, cd_permset_add(f->s, f->u, "certs", all, 1, rights, &f->err), "permset");
    fx_must(f, cd_permset_grant(f->s, f->u, "certs", "carol", 1, &f->err), "grant");
    cd_user *carol = NULL;
    fx_must(f, cd_user_login(f->s, "carol", PW, &carol, &f->err), "login");
    size_t len = 0;
    char *pem = src_chain(x, fx_cert(src(x), "rights-1"), &len);
    struct cd_import_report r;
    /* the chain holds a CA: refused, and nothing of it written */
    assert_int_equal(cd_import(f->s, carol, pem, len, NULL, &r, &f->err), CD_E_FORBIDDEN);
    assert_int_equal(ca_count(f), 1);
    assert_int_equal(fx_count(f, "cn:rights-1", 0), 0);
    /* the leaf alone: allowed */
    size_t dlen = 0;
    unsigned char *der = src_export(x, fx_cert(src(x), "rights-2"), CD_EXPORT_DER, &dlen);
    fx_must(f, cd_import(f->s, carol, der, dlen, NULL, &r, &f->err), "leaf");
    assert_int_equal(r.taken, 1);
    cd_import_report_free(&r);
    /* the audit log: the refusal, and one record per object imported */
    struct cd_audit_list al;
    fx_must(f, cd_audit_list(f->s, f->u, NULL, NULL, 0, &al, &f->err), "audit");
    int forbidden = 0, imported = 0;
    for (size_t i = 0; i < al.n; i++) {
        if (!strcmp(al.rows[i].action, "Import") && !strcmp(al.rows[i].result, "Forbidden")) forbidden++;
        if (!strcmp(al.rows[i].action, "Import certificate")) imported++;
    }
    assert_int_equal(forbidden, 1);
    assert_int_equal(imported, 1);
    cd_audit_list_free(&al);
    cd_user_free(carol);
    free(der);
    free(pem);
}

static void put_rel(const char *dir, const char *rel, const void *data, size_t n)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", dir, rel);
    fx_put(p, data, n);
}

/* An easy-rsa folder put together by hand: index.txt with a four-digit
 * year and a reason, a key under its passphrase, a key file missing, a
 * listed certificate whose file is gone, a link where a file should be. */
static void test_easyrsa_folder(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst, *s = src(x);
    char dir[160], sub[200];
    snprintf(dir, sizeof dir, "%s/pki", f->dir);
    struct cd_import_report r;
    struct cd_import_opts o = { .passphrase = PASS };
    assert_int_equal(cd_import_easyrsa(f->s, f->u, f->dir, &o, &r, &f->err), CD_E_INVAL);   /* not a PKI */
    assert_non_null(strstr(f->err.msg, "not an easy-rsa PKI"));
    assert_int_equal(mkdir(dir, 0700), 0);
    snprintf(sub, sizeof sub, "%s/issued", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    snprintf(sub, sizeof sub, "%s/private", dir);
    assert_int_equal(mkdir(sub, 0700), 0);
    char *ca = NULL;
    size_t calen = 0, l1 = 0, l2 = 0, kl = 0;
    fx_must(s, cd_ca_export(s->s, s->u, 1, &ca, &calen, &s->err), "ca");
    put_rel(dir, "ca.crt", ca, calen);
    int64_t one = fx_cert(s, "er-one"), two = fx_cert(s, "er-two");
    unsigned char *c1 = src_export(x, one, CD_EXPORT_PEM, &l1), *c2 = src_export(x, two, CD_EXPORT_PEM, &l2);
    unsigned char *k1 = src_export(x, one, CD_EXPORT_KEY, &kl);
    put_rel(dir, "issued/er-one.crt", c1, l1);
    put_rel(dir, "issued/er-two.crt", c2, l2);
    put_rel(dir, "private/er-one.key", k1, kl);
    char target[200], link[200];
    snprintf(target, sizeof target, "%s/issued/er-one.crt", dir);
    snprintf(link, sizeof link, "%s/issued/linked.crt", dir);
    assert_int_equal(symlink(target, link), 0);
    struct cd_cert c1r, c2r;
    fx_must(s, cd_cert_get(s->s, s->u, one, &c1r, &s->err), "serial");
    fx_must(s, cd_cert_get(s->s, s->u, two, &c2r, &s->err), "serial");
    char index[1024];
    snprintf(index, sizeof index,
             "V\t290101000000Z\t\t%s\tunknown\t/CN=er-one\n"
             "R\t290101000000Z\t20261201101010Z,superseded\t%s\tunknown\t/CN=er-two\n"
             "V\t290101000000Z\t\t0ABCDEF0\tunknown\t/CN=gone\n", c1r.serial, c2r.serial);
    cd_cert_clear(&c1r);
    cd_cert_clear(&c2r);
    put_rel(dir, "index.txt", index, strlen(index));
    fx_must(f, cd_import_easyrsa(f->s, f->u, dir, &o, &r, &f->err), "import");
    assert_int_equal(count(&r, CD_IMPORT_CA, 1), 1);
    assert_int_equal(count(&r, CD_IMPORT_CERT, 1), 2);
    assert_int_equal(count(&r, CD_IMPORT_REVOCATION, 1), 1);
    int gone = 0, link_skipped = 0, nokey = 0;
    for (size_t i = 0; i < r.n; i++) {
        gone += strstr(r.rows[i].why, "certificate file is missing") != NULL;
        link_skipped += !strcmp(r.rows[i].name, "issued/linked.crt") && !r.rows[i].taken;
        nokey += r.rows[i].what == CD_IMPORT_KEY && strstr(r.rows[i].why, "no key file private/er-two.key") != NULL;
    }
    assert_int_equal(gone, 1);
    assert_int_equal(link_skipped, 1);
    assert_int_equal(nokey, 1);
    cd_import_report_free(&r);
    struct cd_cert_list l;
    struct cd_query q = { .filter = "cn:er-", .revoked = 1 };
    fx_must(f, cd_cert_list(f->s, f->u, &q, &l, &f->err), "list");
    assert_int_equal(l.n, 2);
    for (size_t i = 0; i < l.n; i++) {
        if (!strcmp(l.rows[i].cn, "er-one")) {
            assert_int_equal(l.rows[i].has_key, 1);
            assert_int_equal(l.rows[i].revoked_at, 0);
        } else {
            assert_int_equal(l.rows[i].has_key, 0);
            assert_int_equal(l.rows[i].revoked_at, 1796119810);      /* 2026-12-01 10:10:10 UTC */
            assert_string_equal(l.rows[i].revoke_reason, "superseded");
        }
    }
    cd_cert_list_free(&l);
    /* twice: nothing twice */
    fx_must(f, cd_import_easyrsa(f->s, f->u, dir, &o, &r, &f->err), "again");
    assert_int_equal(r.taken, 0);
    cd_import_report_free(&r);
    free(ca); free(c1); free(c2); free(k1);
}

/* The same through the https store (certdeckd's API, in process): the
 * client parses, the server parses again and writes. */
static void test_https(void **state)
{
    struct ix *x = *state;
    struct fx *f = &x->dst;
    cd_store *h = NULL;
    cd_user *hu = NULL;
    fx_must(f, cdi_https_open_local(f->s, f->u, 0, &h, &f->err), "https");
    fx_must(f, cd_user_owner(h, &hu, &f->err), "owner");
    size_t len = 0, plen = 0;
    char *pem = src_chain(x, fx_cert(src(x), "over-https"), &len);
    unsigned char *pfx = src_export(x, fx_cert(src(x), "pfx-https"), CD_EXPORT_PFX, &plen);
    struct cd_import_report r;
    fx_must(f, cd_import(h, hu, pem, len, NULL, &r, &f->err), "chain");
    assert_int_equal(r.taken, 2);
    assert_int_equal(count(&r, CD_IMPORT_CA, 1), 1);
    int64_t id = id_of(&r, CD_IMPORT_CERT);
    assert_string_equal(r.rows[1].name, "over-https");
    cd_import_report_free(&r);
    struct cd_cert c;
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_string_equal(c.cn, "over-https");
    assert_true(c.ca_id > 1);
    cd_cert_clear(&c);
    struct cd_import_opts o = { .passphrase = PASS };
    fx_must(f, cd_import(h, hu, pfx, plen, &o, &r, &f->err), "pfx");
    assert_int_equal(r.taken, 1);                          /* the CA is there already */
    assert_int_equal(r.skipped, 1);
    id = id_of(&r, CD_IMPORT_CERT);
    cd_import_report_free(&r);
    fx_must(f, cd_cert_get(f->s, f->u, id, &c, &f->err), "get");
    assert_int_equal(c.has_key, 1);
    cd_cert_clear(&c);
    fx_must(f, cd_import(h, hu, pem, len, NULL, &r, &f->err), "again");
    assert_int_equal(r.taken, 0);
    cd_import_report_free(&r);
    cd_user_free(hu);
    cd_store_close(h);
    free(pfx);
    free(pem);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_chain, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_der, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_expired, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_pkcs12_and_wrong_pass, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_key_completes, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_key_matches_nothing, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_not_a_file_we_know, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_rights, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_easyrsa_folder, ix_setup, ix_teardown),
        cmocka_unit_test_setup_teardown(test_https, ix_setup, ix_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
