/* certdeck unit tests — the mirror as a new admin meets it: trust on first
 * use remembered whatever the cache holds, a refused publish that leaves
 * its folder as it was, a signing CA outside its validity (refused by the
 * publisher and by readers), a failed open that leaves no cache folder,
 * the publish result's count of files, and the ways of naming a snapshot's
 * folder (--store DIR, mirror+file:PATH). */
#include "mirror_fx.h"
#include <sys/stat.h>
#include <time.h>
#include <gnutls/abstract.h>
#include "mirror_int.h"
#include "sq_int.h"
#include "httpd.h"

static struct httpd srv;

/* Everything under dir (names, kinds, sizes, modes, SHA-256 of the
 * files), or "missing"; caller frees. */
static char *listing(struct mfx *m, const char *dir)
{
    char cmd[900], out[300];
    snprintf(out, sizeof out, "%s/listing.txt", m->f.dir);
    snprintf(cmd, sizeof cmd, "if [ -e '%s' ]; then cd '%s' && { find . -printf '%%p %%y %%s %%m\\n' | sort; "
             "find . -type f -exec sha256sum {} + | sort; }; else echo missing; fi > '%s' 2>&1", dir, dir, out);
    assert_int_equal(system(cmd), 0);
    size_t n = 0;
    char *t = fx_slurp(out, &n);
    assert_non_null(t);
    unlink(out);
    return t;
}

static int publish_rc(struct mfx *m, int64_t ca, const char *pass, struct cd_mirror_published *r, struct cd_err *e)
{
    struct cd_mirror_publish_opts o = { .sign_ca = ca, .ca_passphrase = pass };
    return cd_mirror_publish(m->f.s, m->f.u, m->pub, &o, r, e);
}

static void publish(struct mfx *m)
{
    struct cd_mirror_published r;
    fx_must(&m->f, publish_rc(m, 1, NULL, &r, &m->f.err), "publish");
}

static int setup(void **state)
{
    if (mfx_setup(state)) return -1;
    httpd_unroute(&srv);
    httpd_clear_log(&srv);
    return 0;
}


static int open_spec(const char *spec, const struct cd_mirror_opts *mo, struct cd_err *e)
{
    struct cd_open_opts oo = { .mirror = mo };
    cd_store *s = NULL;
    int rc = cd_store_open_ex(spec, &oo, &s, e);
    cd_store_close(s);
    return rc;
}

/* ---- 1. trust on first use, whatever the cache holds ------------------------ */

static int asked;
static int yes(void *ctx, const char *source, const char *subject, const char *fp)
{
    (void)ctx, (void)source, (void)subject, (void)fp;
    asked++;
    return 1;
}

static void test_trust_remembered_over_cache(void **state)
{
    struct mfx *m = *state;
    struct cd_err e = { 0 };
    publish(m);
    /* the cache gets the snapshot with a signer given, not remembered */
    struct cd_mirror_opts given = { .signer_ca = m->ca };
    fx_must(&m->f, open_spec(m->spec, &given, &m->f.err), "open with --signer-ca");
    char *conf = listing(m, m->conf);
    assert_string_equal(conf, "missing\n");
    free(conf);
    /* then on a terminal: asked once, and remembered */
    struct cd_mirror_opts ask = { .trust = yes };
    asked = 0;
    fx_must(&m->f, open_spec(m->spec, &ask, &m->f.err), "trust on first use");
    assert_int_equal(asked, 1);
    fx_must(&m->f, open_spec(m->spec, &ask, &m->f.err), "again");
    assert_int_equal(asked, 1);
    /* without a terminal: the remembered signer */
    struct cd_mirror_opts none = { 0 };
    int rc = open_spec(m->spec, &none, &e);
    if (rc) fail_msg("without a terminal: %s", e.msg);
}

/* Offline, the cached snapshot's signer accepted is remembered too. */
static void test_trust_remembered_offline(void **state)
{
    struct mfx *m = *state;
    struct cd_err e = { 0 };
    publish(m);
    httpd_serve_dir(&srv, "/pki/", m->pub);
    char spec[200];
    snprintf(spec, sizeof spec, "mirror+http://127.0.0.1:%d/pki", srv.port);
    struct cd_mirror_opts given = { .signer_ca = m->ca };
    fx_must(&m->f, open_spec(spec, &given, &m->f.err), "open with --signer-ca");
    /* the server goes: the mirror cannot be reached */
    httpd_route(&srv, "/pki/current", "x", 0, HTTPD_SILENT);
    struct cd_mirror_opts ask = { .trust = yes, .timeout_ms = 300 };
    asked = 0;
    fx_must(&m->f, open_spec(spec, &ask, &m->f.err), "offline, trust on first use");
    assert_int_equal(asked, 1);
    struct cd_mirror_opts none = { .timeout_ms = 300 };
    int rc = open_spec(spec, &none, &e);
    if (rc) fail_msg("offline, without a terminal: %s", e.msg);
}

/* ---- 4. a failed open leaves no cache folder ------------------------------ */

static void test_failed_open_leaves_no_cache(void **state)
{
    struct mfx *m = *state;
    struct cd_err e = { 0 };
    struct cd_mirror_opts given = { .signer_ca = m->ca };
    char spec[300], empty[200];
    /* a folder that is not a snapshot */
    snprintf(empty, sizeof empty, "%s/empty", m->f.dir);
    assert_int_equal(mkdir(empty, 0700), 0);
    snprintf(spec, sizeof spec, "mirror+file://%s", empty);
    assert_int_not_equal(open_spec(spec, &given, &e), CD_OK);
    char *l = listing(m, m->cache);
    assert_string_equal(l, "missing\n");
    free(l);
    /* a 404 on current */
    httpd_serve_dir(&srv, "/pki/", empty);
    snprintf(spec, sizeof spec, "mirror+http://127.0.0.1:%d/pki", srv.port);
    assert_int_not_equal(open_spec(spec, &given, &e), CD_OK);
    assert_non_null(strstr(e.msg, "404"));
    l = listing(m, m->cache);
    assert_string_equal(l, "missing\n");
    free(l);
    /* a file over --max-size, the cache folder's parents already there */
    publish(m);
    char parent[200];
    snprintf(parent, sizeof parent, "%s/certdeck/mirrors", m->cache);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "mkdir -p -m 700 '%s' '%s/certdeck' '%s'", m->cache, m->cache, parent);
    assert_int_equal(system(cmd), 0);
    char *before = listing(m, m->cache);
    struct cd_mirror_opts small = { .signer_ca = m->ca, .max_size = 100 };
    assert_int_not_equal(open_spec(m->spec, &small, &e), CD_OK);
    assert_non_null(strstr(e.msg, "--max-size"));
    l = listing(m, m->cache);
    assert_string_equal(l, before);
    free(l);
    free(before);
    /* a cache that holds a snapshot stays as it was */
    fx_must(&m->f, open_spec(m->spec, &given, &m->f.err), "open");
    fx_cert(&m->f, "more");
    publish(m);
    before = listing(m, m->cache);
    assert_int_not_equal(open_spec(m->spec, &small, &e), CD_OK);
    l = listing(m, m->cache);
    assert_string_equal(l, before);
    free(l);
    free(before);
    /* and it is used */
    fx_must(&m->f, open_spec(m->spec, &given, &m->f.err), "open again");
}

/* ---- 2, 3, 5. the publisher: refusals before anything is written ------------ */

static int64_t new_ca(struct mfx *m, const char *cn, int64_t nb, int64_t na, const char *pass)
{
    struct cd_ca_params c = { .subject = { .cn = cn }, .keytype = CD_KEY_EC256, .not_before = nb, .not_after = na,
                              .days = 30, .passphrase = pass };
    int64_t id = 0;
    fx_must(&m->f, cd_ca_new(m->f.s, m->f.u, &c, &id, &m->f.err), cn);
    return id;
}

static int64_t audits(struct mfx *m)
{
    struct cd_audit_list al = { 0 };
    fx_must(&m->f, cd_audit_list(m->f.s, m->f.u, NULL, "action:\"Publish mirror\"", 0, &al, &m->f.err), "audit");
    int64_t n = (int64_t)al.n;
    cd_audit_list_free(&al);
    return n;
}

/* Publishing as `s`/`u` with CA `ca` is refused with rc and a message
 * holding `says`; the folder is as it was. */
static void refused(struct mfx *m, cd_store *s, const cd_user *u, int64_t ca, const char *pass, int rc,
                    const char *says)
{
    struct cd_mirror_publish_opts o = { .sign_ca = ca, .ca_passphrase = pass };
    struct cd_mirror_published r;
    struct cd_err e = { 0 };
    char *before = listing(m, m->pub);
    int got = cd_mirror_publish(s, u, m->pub, &o, &r, &e);
    char *after = listing(m, m->pub);
    if (got != rc || !strstr(e.msg, says)) fail_msg("CA %lld: %d \"%s\", expected %d \"%s\"", (long long)ca, got, e.msg, rc, says);
    assert_string_equal(after, before);
    assert_int_equal(r.written, 0);
    free(before);
    free(after);
}

static void test_publish_refusals_leave_dir(void **state)
{
    struct mfx *m = *state;
    struct fx *f = &m->f;
    int64_t now = (int64_t)time(NULL), day = 86400;
    int64_t pass = new_ca(m, "Pass CA", 0, 0, "right-passphrase-1");
    int64_t old = new_ca(m, "Old CA", now - 20 * day, now - 2 * day, NULL);
    int64_t early = new_ca(m, "Early CA", now + 2 * day, now + 20 * day, NULL);
    fx_must(f, cd_group_add(f->s, f->u, "/All/Lab", &f->err), "group");
    fx_must(f, cd_user_add(f->s, f->u, "alice", "/All/Lab", "alice-password-1", &f->err), "alice");
    fx_must(f, cd_user_add(f->s, f->u, "bob", "/All/Lab", "bob-password-12", &f->err), "bob");
    /* bob reads everything in /All, uses nothing */
    const char *all[] = { "/All" };
    int lv[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_READ, [CD_OT_CAS] = CD_RIGHT_READ };
    fx_must(f, cd_permset_add(f->s, f->u, "readers", all, 1, lv, &f->err), "permset");
    fx_must(f, cd_permset_grant(f->s, f->u, "readers", "bob", 1, &f->err), "grant");
    cd_user *alice = NULL, *bob = NULL;
    fx_must(f, cd_user_login(f->s, "alice", "alice-password-1", &alice, &f->err), "login alice");
    fx_must(f, cd_user_login(f->s, "bob", "bob-password-12", &bob, &f->err), "login bob");
    /* each refusal, into a folder not there yet, then into one holding a snapshot */
    for (int round = 0; round < 2; round++) {
        int64_t n = audits(m);
        refused(m, f->s, f->u, pass, "wrong-passphrase", CD_E_PASSPHRASE, "");
        refused(m, f->s, f->u, pass, NULL, CD_E_PASSPHRASE, "needs its passphrase");
        refused(m, f->s, f->u, old, NULL, CD_E_STATE, "expired on");
        refused(m, f->s, f->u, old, NULL, CD_E_STATE, "; a mirror must be signed by a valid CA");
        refused(m, f->s, f->u, early, NULL, CD_E_STATE, "is not valid before");
        refused(m, f->s, alice, 1, NULL, CD_E_FORBIDDEN, "");
        refused(m, f->s, bob, 1, NULL, CD_E_FORBIDDEN, "");
        /* each refusal is recorded in the store, once */
        assert_int_equal(audits(m), n + 7);
        if (round == 0) {
            char *l = listing(m, m->pub);
            assert_string_equal(l, "missing\n");
            free(l);
            struct cd_mirror_published r;
            fx_must(f, publish_rc(m, pass, "right-passphrase-1", &r, &f->err), "publish with the passphrase");
            assert_int_equal(audits(m), n + 7 + 1);
        }
    }
    char want[120];
    snprintf(want, sizeof want, "CA %lld expired on ", (long long)old);
    refused(m, f->s, f->u, old, NULL, CD_E_STATE, want);
    /* a folder another may write in: refused before files/ is made */
    char other[200];
    snprintf(other, sizeof other, "%s/open", f->dir);
    assert_int_equal(mkdir(other, 0700), 0);
    assert_int_equal(chmod(other, 0777), 0);
    struct cd_mirror_publish_opts o = { .sign_ca = 1 };
    struct cd_mirror_published r;
    struct cd_err e = { 0 };
    assert_int_equal(cd_mirror_publish(f->s, f->u, other, &o, &r, &e), CD_E_INVAL);
    char *l = listing(m, other);
    assert_string_equal(l, ". d 4096 777\n");
    free(l);
    /* from a mirror and from a replica: refused plainly */
    struct cd_mirror_opts given = { .signer_ca = m->ca };
    struct cd_open_opts oo = { .mirror = &given };
    cd_store *ms = NULL;
    cd_user *mu = NULL;
    char pemp[200];
    snprintf(pemp, sizeof pemp, "%s/pass.pem", f->dir);
    char *pem = NULL;
    size_t pn = 0;
    fx_must(f, cd_ca_export(f->s, f->u, pass, &pem, &pn, &f->err), "export");
    fx_put(pemp, pem, pn);
    free(pem);
    given.signer_ca = pemp;
    fx_must(f, cd_store_open_ex(m->spec, &oo, &ms, &f->err), "open the mirror");
    fx_must(f, cd_user_owner(ms, &mu, &f->err), "mirror user");
    refused(m, ms, mu, 1, NULL, CD_E_READONLY, "is a mirror (of file://");
    refused(m, ms, mu, 1, NULL, CD_E_READONLY, "cannot sign a snapshot; publish from the source store");
    cd_user_free(mu);
    cd_store_close(ms);
    struct cd_mirror_pull_result pr;
    fx_must(f, cd_mirror_pull(m->pub, m->replica, &given, &pr, &f->err), "pull");
    fx_must(f, cd_store_open(m->replica, 0, &ms, &f->err), "open the replica");
    fx_must(f, cd_user_owner(ms, &mu, &f->err), "replica user");
    refused(m, ms, mu, 1, NULL, CD_E_READONLY, "is a mirror (of file://");
    cd_user_free(mu);
    cd_store_close(ms);
    cd_user_free(alice);
    cd_user_free(bob);
}

/* A snapshot signed by `ca` (its key used directly, as a publisher of an
 * older certdeck would have), made from the current one. */
static void sign_as(struct mfx *m, int64_t ca)
{
    struct fx *f = &m->f;
    char path[400], name[200], hex[65];
    size_t n = 0;
    snprintf(path, sizeof path, "%s/current", m->pub);
    char *cur = fx_slurp(path, &n);
    assert_non_null(cur);
    snprintf(path, sizeof path, "%s/%.*s", m->pub, (int)strcspn(cur, "\n"), cur);
    free(cur);
    char *t = fx_slurp(path, &n);
    struct cdi_mindex ix;
    fx_must(f, cdi_mindex_parse(t, n, &ix, &f->err), "parse");
    free(t);
    char *pem = NULL;
    size_t pn = 0;
    fx_must(f, cd_ca_export(f->s, f->u, ca, &pem, &pn, &f->err), "export");
    struct cdi_mfile *sf = (struct cdi_mfile *)cdi_mindex_find(&ix, "signer");
    cdi_sha256_hex(pem, pn, sf->sha256);
    sf->size = (int64_t)pn;
    snprintf(sf->name, strlen(sf->name) + 1, "files/%s.pem", sf->sha256);
    snprintf(path, sizeof path, "%s/%s", m->pub, sf->name);
    fx_put(path, pem, pn);
    free(ix.signer_subject);
    fx_must(f, cdi_mirror_ca_id(pem, pn, ix.signer_sha256, &ix.signer_subject, &f->err), "ca id");
    ix.signer_ca = ca;
    ix.generation++;
    size_t jl = 0;
    char *json = cdi_mindex_dump(&ix, &jl);
    gnutls_x509_crt_t crt = NULL;
    gnutls_x509_privkey_t key = NULL;
    gnutls_privkey_t pk = NULL;
    gnutls_datum_t d = { (unsigned char *)json, (unsigned)jl }, sig = { 0 };
    fx_must(f, sq_ca_load(SQ(f->s), f->u, ca, NULL, CD_RIGHT_USE, &crt, &key, &f->err), "key");
    assert_int_equal(gnutls_privkey_init(&pk), 0);
    assert_int_equal(gnutls_privkey_import_x509(pk, key, 0), 0);
    assert_int_equal(gnutls_privkey_sign_data2(pk, (gnutls_sign_algorithm_t)cdi_mirror_sign_algo(
                                                   gnutls_x509_privkey_get_pk_algorithm(key)), 0, &d, &sig), 0);
    cdi_sha256_hex(json, jl, hex);
    snprintf(path, sizeof path, "%s/index-%s.json", m->pub, hex);
    fx_put(path, json, jl);
    snprintf(path, sizeof path, "%s/index-%s.sig", m->pub, hex);
    fx_put(path, sig.data, sig.size);
    snprintf(path, sizeof path, "%s/current", m->pub);
    snprintf(name, sizeof name, "index-%s.json\n", hex);
    fx_put(path, name, strlen(name));
    gnutls_free(sig.data);
    gnutls_privkey_deinit(pk);
    gnutls_x509_privkey_deinit(key);
    gnutls_x509_crt_deinit(crt);
    free(json);
    free(pem);
    cdi_mindex_clear(&ix);
}

static void test_reader_refuses_invalid_signer(void **state)
{
    struct mfx *m = *state;
    struct fx *f = &m->f;
    int64_t now = (int64_t)time(NULL), day = 86400;
    int64_t old = new_ca(m, "Old CA", now - 20 * day, now - 2 * day, NULL);
    int64_t early = new_ca(m, "Early CA", now + 2 * day, now + 20 * day, NULL);
    const int64_t cas[] = { old, early };
    const char *says[] = { "expired on", "is not valid before" };
    publish(m);
    struct cd_mirror_opts one = { .signer_ca = m->ca };
    struct cd_mirror_pull_result pr;
    fx_must(f, cd_mirror_pull(m->pub, m->replica, &one, &pr, &f->err), "pull");
    for (int i = 0; i < 2; i++) {
        char pemp[200];
        snprintf(pemp, sizeof pemp, "%s/ca-%d.pem", f->dir, i);
        char *pem = NULL;
        size_t pn = 0;
        fx_must(f, cd_ca_export(f->s, f->u, cas[i], &pem, &pn, &f->err), "export");
        fx_put(pemp, pem, pn);
        free(pem);
        sign_as(m, cas[i]);
        char *cache = listing(m, m->cache), *conf = listing(m, m->conf);
        struct stat rs0, rs1;
        assert_int_equal(stat(m->replica, &rs0), 0);
        struct cd_err e = { 0 };
        /* a signer given */
        struct cd_mirror_opts given = { .signer_ca = pemp };
        assert_int_equal(cd_mirror_pull(m->pub, m->replica, &given, &pr, &e), CD_E_CRYPTO);
        if (!strstr(e.msg, says[i]) || !strstr(e.msg, "a snapshot signed by a CA outside its validity is refused") ||
            !strstr(e.msg, " UTC)") || !strstr(e.msg, i ? "CN=Early CA" : "CN=Old CA"))
            fail_msg("pull: %s", e.msg);
        assert_int_equal(open_spec(m->spec, &given, &e), CD_E_CRYPTO);
        assert_non_null(strstr(e.msg, says[i]));
        assert_int_equal(cd_mirror_verify(m->pub, &given, NULL, &e), CD_E_CRYPTO);
        assert_non_null(strstr(e.msg, says[i]));
        /* trust on first use: not even asked */
        asked = 0;
        struct cd_mirror_opts ask = { .trust = yes };
        assert_int_equal(cd_mirror_pull(m->pub, m->replica, &ask, &pr, &e), CD_E_CRYPTO);
        assert_non_null(strstr(e.msg, says[i]));
        assert_int_equal(asked, 0);
        /* cache, trusted signers and replica as they were */
        char *l = listing(m, m->cache);
        assert_string_equal(l, cache);
        free(l);
        l = listing(m, m->conf);
        assert_string_equal(l, conf);
        free(l);
        assert_int_equal(stat(m->replica, &rs1), 0);
        assert_true(rs0.st_ino == rs1.st_ino && rs0.st_mtime == rs1.st_mtime);
        free(cache);
        free(conf);
    }
}

/* ---- 6. naming a snapshot's folder ------------------------------------------ */

static void test_snapshot_folder_names(void **state)
{
    struct mfx *m = *state;
    struct cd_err e = { 0 };
    cd_store *s = NULL;
    publish(m);
    /* as a store file: told how to open it */
    char want[400];
    snprintf(want, sizeof want, "%s is a mirror snapshot's folder: open it as mirror+file://%s", m->pub, m->pub);
    assert_int_not_equal(cd_store_open(m->pub, 0, &s, &e), CD_OK);
    assert_string_equal(e.msg, want);
    char fpub[200];
    snprintf(fpub, sizeof fpub, "file:%s", m->pub);
    assert_int_not_equal(cd_store_open(fpub, 0, &s, &e), CD_OK);
    assert_non_null(strstr(e.msg, "open it as mirror+file:///tmp/"));
    /* another folder is still "not a file" */
    assert_int_not_equal(cd_store_open(m->f.dir, 0, &s, &e), CD_OK);
    snprintf(want, sizeof want, "%s is not a file", m->f.dir);
    assert_string_equal(e.msg, want);
    /* mirror+file:PATH, absolute or relative, is that folder */
    struct cd_mirror_opts given = { .signer_ca = m->ca };
    struct cd_open_opts oo = { .mirror = &given };
    char spec[200], cwd[512];
    snprintf(spec, sizeof spec, "mirror+file:%s", m->pub);
    fx_must(&m->f, cd_store_open_ex(spec, &oo, &s, &m->f.err), "mirror+file:ABS");
    assert_string_equal(cd_store_name(s), m->spec);
    cd_store_close(s);
    assert_non_null(getcwd(cwd, sizeof cwd));
    assert_int_equal(chdir(m->f.dir), 0);
    int rc = cd_store_open_ex("mirror+file:pub", &oo, &s, &e);
    if (rc) { assert_int_equal(chdir(cwd), 0); fail_msg("mirror+file:pub: %s", e.msg); }
    assert_string_equal(cd_store_name(s), m->spec);
    cd_store_close(s);
    /* and pull takes it too */
    struct cd_mirror_pull_result r;
    rc = cd_mirror_pull("file:pub", "replica.db", &given, &r, &e);
    assert_int_equal(chdir(cwd), 0);
    if (rc) fail_msg("pull file:pub: %s", e.msg);
    /* file://HOST/...: the forms to use */
    assert_int_equal(open_spec("mirror+file://stick/pki", &given, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "give a folder as file:///PATH or file:PATH"));
}

static int group_setup(void **state)
{
    (void)state;
    return httpd_start(&srv);
}

static int group_teardown(void **state)
{
    (void)state;
    httpd_stop(&srv);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_trust_remembered_over_cache, setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_trust_remembered_offline, setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_failed_open_leaves_no_cache, setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_folder_names, setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_publish_refusals_leave_dir, setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_reader_refuses_invalid_signer, setup, mfx_teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
