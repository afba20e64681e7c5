/* certdeck unit tests — the mirror as a new admin meets it: trust on first
 * use remembered whatever the cache holds, a refused publish that leaves
 * its folder as it was, a signing CA outside its validity (refused by the
 * publisher and by readers), a failed open that leaves no cache folder,
 * the publish result's count of files, and the ways of naming a snapshot's
 * folder (--store DIR, mirror+file:PATH). */
#include "helpers.h"
#include <sys/stat.h>
#include <gnutls/abstract.h>
#include "mirror_int.h"
#include "sq_int.h"
#include "httpd.h"

static struct httpd srv;

struct ux {
    struct fx f;
    char pub[128], ca[128], replica[128], cache[160], conf[160], spec[200];
};

static void must(struct fx *f, int rc, const char *what)
{
    if (rc) fail_msg("%s: %s", what, cd_errmsg(&f->err, rc));
}

static void put(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, fp) != (size_t)n) n = 0;
    fclose(fp);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

/* Everything under dir (names, kinds, sizes, modes, SHA-256 of the
 * files), or "missing"; caller frees. */
static char *listing(struct ux *m, const char *dir)
{
    char cmd[900], out[300];
    snprintf(out, sizeof out, "%s/listing.txt", m->f.dir);
    snprintf(cmd, sizeof cmd, "if [ -e '%s' ]; then cd '%s' && { find . -printf '%%p %%y %%s %%m\\n' | sort; "
             "find . -type f -exec sha256sum {} + | sort; }; else echo missing; fi > '%s' 2>&1", dir, dir, out);
    assert_int_equal(system(cmd), 0);
    size_t n = 0;
    char *t = slurp(out, &n);
    assert_non_null(t);
    unlink(out);
    return t;
}

static int publish_rc(struct ux *m, int64_t ca, const char *pass, struct cd_mirror_published *r, struct cd_err *e)
{
    struct cd_mirror_publish_opts o = { .sign_ca = ca, .ca_passphrase = pass };
    return cd_mirror_publish(m->f.s, m->f.u, m->pub, &o, r, e);
}

static void publish(struct ux *m)
{
    struct cd_mirror_published r;
    must(&m->f, publish_rc(m, 1, NULL, &r, &m->f.err), "publish");
}

static int setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct ux *m = calloc(1, sizeof *m);
    m->f = *(struct fx *)*state;
    free(*state);
    *state = m;
    snprintf(m->pub, sizeof m->pub, "%s/pub", m->f.dir);
    snprintf(m->ca, sizeof m->ca, "%s/ca.pem", m->f.dir);
    snprintf(m->replica, sizeof m->replica, "%s/replica.db", m->f.dir);
    snprintf(m->cache, sizeof m->cache, "%s/cache", m->f.dir);
    snprintf(m->conf, sizeof m->conf, "%s/conf", m->f.dir);
    snprintf(m->spec, sizeof m->spec, "mirror+file://%s", m->pub);
    setenv("XDG_CACHE_HOME", m->cache, 1);
    setenv("XDG_CONFIG_HOME", m->conf, 1);
    setenv("HOME", m->f.dir, 1);
    char *pem = NULL;
    size_t n = 0;
    must(&m->f, cd_ca_export(m->f.s, m->f.u, 1, &pem, &n, &m->f.err), "export");
    put(m->ca, pem, n);
    free(pem);
    httpd_unroute(&srv);
    httpd_clear_log(&srv);
    return 0;
}

static int teardown(void **state)
{
    struct ux *m = *state;
    struct fx *f = malloc(sizeof *f);
    *f = m->f;
    free(m);
    *state = f;
    return fx_teardown(state);
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
    struct ux *m = *state;
    struct cd_err e = { 0 };
    publish(m);
    /* the cache gets the snapshot with a signer given, not remembered */
    struct cd_mirror_opts given = { .signer_ca = m->ca };
    must(&m->f, open_spec(m->spec, &given, &m->f.err), "open with --signer-ca");
    char *conf = listing(m, m->conf);
    assert_string_equal(conf, "missing\n");
    free(conf);
    /* then on a terminal: asked once, and remembered */
    struct cd_mirror_opts ask = { .trust = yes };
    asked = 0;
    must(&m->f, open_spec(m->spec, &ask, &m->f.err), "trust on first use");
    assert_int_equal(asked, 1);
    must(&m->f, open_spec(m->spec, &ask, &m->f.err), "again");
    assert_int_equal(asked, 1);
    /* without a terminal: the remembered signer */
    struct cd_mirror_opts none = { 0 };
    int rc = open_spec(m->spec, &none, &e);
    if (rc) fail_msg("without a terminal: %s", e.msg);
}

/* Offline, the cached snapshot's signer accepted is remembered too. */
static void test_trust_remembered_offline(void **state)
{
    struct ux *m = *state;
    struct cd_err e = { 0 };
    publish(m);
    httpd_serve_dir(&srv, "/pki/", m->pub);
    char spec[200];
    snprintf(spec, sizeof spec, "mirror+http://127.0.0.1:%d/pki", srv.port);
    struct cd_mirror_opts given = { .signer_ca = m->ca };
    must(&m->f, open_spec(spec, &given, &m->f.err), "open with --signer-ca");
    /* the server goes: the mirror cannot be reached */
    httpd_route(&srv, "/pki/current", "x", 0, HTTPD_SILENT);
    struct cd_mirror_opts ask = { .trust = yes, .timeout_ms = 300 };
    asked = 0;
    must(&m->f, open_spec(spec, &ask, &m->f.err), "offline, trust on first use");
    assert_int_equal(asked, 1);
    struct cd_mirror_opts none = { .timeout_ms = 300 };
    int rc = open_spec(spec, &none, &e);
    if (rc) fail_msg("offline, without a terminal: %s", e.msg);
}

/* ---- 4. a failed open leaves no cache folder ------------------------------ */

static void test_failed_open_leaves_no_cache(void **state)
{
    struct ux *m = *state;
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
    must(&m->f, open_spec(m->spec, &given, &m->f.err), "open");
    fx_cert(&m->f, "more");
    publish(m);
    before = listing(m, m->cache);
    assert_int_not_equal(open_spec(m->spec, &small, &e), CD_OK);
    l = listing(m, m->cache);
    assert_string_equal(l, before);
    free(l);
    free(before);
    /* and it is used */
    must(&m->f, open_spec(m->spec, &given, &m->f.err), "open again");
}

/* ---- 6. naming a snapshot's folder ------------------------------------------ */

static void test_snapshot_folder_names(void **state)
{
    struct ux *m = *state;
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
    must(&m->f, cd_store_open_ex(spec, &oo, &s, &m->f.err), "mirror+file:ABS");
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
        cmocka_unit_test_setup_teardown(test_trust_remembered_over_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_remembered_offline, setup, teardown),
        cmocka_unit_test_setup_teardown(test_failed_open_leaves_no_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_folder_names, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
