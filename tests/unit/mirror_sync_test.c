/* certdeck unit tests — the mirror's reader over real snapshots
 * (mirror_sync.c, mirror_store.c): published into a folder by
 * cd_mirror_publish, read from the folder and through a small HTTP server
 * (httpd.h); the cache, 304s, trust, pull and verify; and every kind of
 * bad snapshot (tampered index, tampered file, another signer, a truncated
 * file, a malformed index) gives one clear error and leaves the cache and
 * the replica byte for byte as they were. */
#include "helpers.h"
#include <dirent.h>
#include <gnutls/crypto.h>
#include "mirror_int.h"
#include "httpd.h"

static struct httpd srv;

struct mx {
    struct fx f;
    char pub[128], ca[128], replica[128], cache[128];
    char url[128];
};

static void publish(struct mx *m, int64_t ca)
{
    struct cd_mirror_publish_opts o = { .sign_ca = ca };
    struct cd_mirror_published r;
    int rc = cd_mirror_publish(m->f.s, m->f.u, m->pub, &o, &r, &m->f.err);
    if (rc) fail_msg("publish: %s", cd_errmsg(&m->f.err, rc));
}

static int setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct fx *f = *state;
    struct mx *m = calloc(1, sizeof *m);
    m->f = *f;
    free(f);
    *state = m;
    char env[160];
    snprintf(m->pub, sizeof m->pub, "%s/pub", m->f.dir);
    snprintf(m->ca, sizeof m->ca, "%s/ca.pem", m->f.dir);
    snprintf(m->replica, sizeof m->replica, "%s/replica.db", m->f.dir);
    snprintf(m->cache, sizeof m->cache, "%s/cache", m->f.dir);
    setenv("XDG_CACHE_HOME", m->cache, 1);
    snprintf(env, sizeof env, "%s/conf", m->f.dir);
    setenv("XDG_CONFIG_HOME", env, 1);
    setenv("HOME", m->f.dir, 1);
    char *pem = NULL;
    size_t n = 0;
    assert_int_equal(cd_ca_export(m->f.s, m->f.u, 1, &pem, &n, &m->f.err), CD_OK);
    fx_put(m->ca, pem, n);
    free(pem);
    publish(m, 1);
    httpd_unroute(&srv);
    httpd_clear_log(&srv);
    httpd_serve_dir(&srv, "/pki/", m->pub);
    snprintf(m->url, sizeof m->url, "http://127.0.0.1:%d/pki", srv.port);
    return 0;
}

static int teardown(void **state)
{
    struct mx *m = *state;
    struct fx *f = malloc(sizeof *f);
    *f = m->f;
    free(m);
    *state = f;
    return fx_teardown(state);
}

/* Every file under dir, its name, size and SHA-256, in a stable order. */
static void tree(const char *dir, const char *rel, char *out, size_t cap)
{
    char path[512];
    snprintf(path, sizeof path, "%s%s%s", dir, *rel ? "/" : "", rel);
    struct dirent **ents = NULL;
    int n = scandir(path, &ents, NULL, alphasort);
    for (int i = 0; i < n; i++) {
        const char *nm = ents[i]->d_name;
        char sub[512], full[1024];
        if (strcmp(nm, ".") && strcmp(nm, "..")) {
            snprintf(sub, sizeof sub, "%s%s%s", rel, *rel ? "/" : "", nm);
            snprintf(full, sizeof full, "%s/%s", dir, sub);
            struct stat st;
            if (!stat(full, &st) && S_ISDIR(st.st_mode)) {
                tree(dir, sub, out, cap);
            } else {
                size_t len = 0;
                char *b = fx_slurp(full, &len);
                unsigned char md[32] = { 0 };
                if (b) gnutls_hash_fast(GNUTLS_DIG_SHA256, b, len, md);
                free(b);
                size_t l = strlen(out);
                snprintf(out + l, cap - l, "%s %zu %02x%02x%02x%02x\n", sub, len, md[0], md[1], md[2], md[3]);
            }
        }
        free(ents[i]);
    }
    free(ents);
}

static int do_pull(struct mx *m, const char *src, const char *ca, struct cd_mirror_pull_result *r)
{
    struct cd_mirror_opts o = { .signer_ca = ca };
    return cd_mirror_pull(src, m->replica, &o, r, &m->f.err);
}

static void test_folder_open_and_pull(void **state)
{
    struct mx *m = *state;
    char spec[200];
    snprintf(spec, sizeof spec, "mirror+file://%s", m->pub);
    struct cd_mirror_opts mo = { .signer_ca = m->ca };
    struct cd_open_opts oo = { .mirror = &mo };
    cd_store *s = NULL;
    assert_int_equal(cd_store_open_ex(spec, &oo, &s, &m->f.err), CD_OK);
    assert_string_equal(cd_store_name(s), spec);
    assert_true(cd_store_readonly(s));
    assert_non_null(strstr(cd_store_readonly_reason(s), "read-only: a mirror of file://"));
    struct cd_mirror_info mi;
    assert_int_equal(cd_store_mirror_info(s, &mi, &m->f.err), CD_OK);
    assert_int_equal(mi.generation, 1);
    assert_null(mi.warning);
    cd_mirror_info_clear(&mi);
    cd_user *u = NULL;
    assert_int_equal(cd_user_owner(s, &u, &m->f.err), CD_OK);
    struct cd_cert_list l = { 0 };
    struct cd_query q = { 0 };
    assert_int_equal(cd_cert_list(s, u, &q, &l, &m->f.err), CD_OK);
    assert_int_equal(l.n, 3);
    cd_cert_list_free(&l);
    assert_int_equal(cd_tag_create(s, u, "x", &m->f.err), CD_E_READONLY);
    cd_user_free(u);
    cd_store_close(s);

    struct cd_mirror_pull_result r;
    assert_int_equal(do_pull(m, m->pub, m->ca, &r), CD_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.certs, 3);
    assert_int_equal(r.fetched_files, 0);        /* the cache had them all */
    assert_int_equal(do_pull(m, m->pub, m->ca, &r), CD_OK);
    assert_int_equal(r.updated, 0);
    /* the replica opens as a plain store, read-only, saying where it came from */
    assert_int_equal(cd_store_open(m->replica, 0, &s, &m->f.err), CD_OK);
    assert_true(cd_store_readonly(s));
    assert_non_null(strstr(cd_store_readonly_reason(s), "read-only: a mirror of file://"));
    cd_store_close(s);
    /* pull never overwrites a store */
    struct cd_mirror_opts o = { .signer_ca = m->ca };
    assert_int_equal(cd_mirror_pull(m->pub, m->f.path, &o, &r, &m->f.err), CD_E_INVAL);
    assert_non_null(strstr(m->f.err.msg, "pull never overwrites a store"));
    /* verify: whole */
    struct cd_mirror_info vi;
    assert_int_equal(cd_mirror_verify(m->pub, &o, &vi, &m->f.err), CD_OK);
    assert_int_equal(vi.generation, 1);
    cd_mirror_info_clear(&vi);
}

static void test_http_304_and_update(void **state)
{
    struct mx *m = *state;
    struct cd_mirror_pull_result r;
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.fetched_files, 3);
    /* unchanged: one conditional request, answered 304 */
    httpd_clear_log(&srv);
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_OK);
    assert_int_equal(r.updated, 0);
    assert_int_equal(srv.requests, 1);
    assert_int_equal(srv.not_modified, 1);
    assert_int_equal(httpd_count(&srv, "If-None-Match: "), 1);
    /* a new generation: only what changed is fetched */
    fx_cert(&m->f, "new-agent");
    publish(m, 1);
    httpd_clear_log(&srv);
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.generation, 2);
    assert_int_equal(r.certs, 4);
    assert_true(r.fetched_files >= 1 && r.fetched_files <= 2);   /* the image (and the CRL); not the CA */
    assert_int_equal(httpd_count(&srv, ".pem HTTP"), 0);
}

static void test_trust_on_first_use(void **state)
{
    struct mx *m = *state;
    struct cd_mirror_pull_result r;
    /* no --signer-ca and nobody to ask: refused, naming the signer */
    assert_int_equal(do_pull(m, m->url, NULL, &r), CD_E_CRYPTO);
    assert_non_null(strstr(m->f.err.msg, "its signer is not known yet"));
    /* with a signer of another CA given: refused */
    struct cd_ca_params p = { .subject = { .cn = "Other CA" }, .keytype = CD_KEY_EC256, .days = 30 };
    int64_t other = 0;
    assert_int_equal(cd_ca_new(m->f.s, m->f.u, &p, &other, &m->f.err), CD_OK);
    char opem[160];
    snprintf(opem, sizeof opem, "%s/other.pem", m->f.dir);
    char *pem = NULL;
    size_t n = 0;
    assert_int_equal(cd_ca_export(m->f.s, m->f.u, other, &pem, &n, &m->f.err), CD_OK);
    fx_put(opem, pem, n);
    free(pem);
    assert_int_equal(do_pull(m, m->url, opem, &r), CD_E_CRYPTO);
    assert_non_null(strstr(m->f.err.msg, "--signer-ca: the mirror index is not signed by the CA"));
}

/* One way to spoil the second generation of a snapshot. */
enum { T_INDEX, T_FILE, T_SIGNER, T_TRUNC, T_MALFORMED, T_N };

static void pointer(struct mx *m, char *name, size_t cap)
{
    char p[200];
    size_t n = 0;
    snprintf(p, sizeof p, "%s/current", m->pub);
    char *b = fx_slurp(p, &n);
    assert_non_null(b);
    snprintf(name, cap, "%.*s", (int)strcspn(b, "\r\n"), b);
    free(b);
}

/* Writes text as the current index, named by its hash, with sig as its signature. */
static void set_index(struct mx *m, const char *text, size_t len, const char *sig, size_t siglen)
{
    unsigned char md[32];
    char hex[65], p[300];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, text, len, md);
    for (int i = 0; i < 32; i++) sprintf(hex + 2 * i, "%02x", md[i]);
    snprintf(p, sizeof p, "%s/index-%s.json", m->pub, hex);
    fx_put(p, text, len);
    snprintf(p, sizeof p, "%s/index-%s.sig", m->pub, hex);
    fx_put(p, sig, siglen);
    char cur[100];
    snprintf(cur, sizeof cur, "index-%s.json\n", hex);
    snprintf(p, sizeof p, "%s/current", m->pub);
    fx_put(p, cur, strlen(cur));
}

static void spoil(struct mx *m, int how, char *good, size_t cap)
{
    char name[120], p[300], sp[300];
    size_t n = 0, sn = 0;
    if (how == T_SIGNER) {
        struct cd_ca_params cp = { .subject = { .cn = "Rogue CA" }, .keytype = CD_KEY_EC256, .days = 30 };
        int64_t other = 0;
        assert_int_equal(cd_ca_new(m->f.s, m->f.u, &cp, &other, &m->f.err), CD_OK);
        publish(m, other);
        pointer(m, good, cap);
        return;
    }
    /* a change in the store: an unchanged store gives the same image,
     * already in the cache (the spoilt copy would never be fetched) */
    char tag[32];
    snprintf(tag, sizeof tag, "spoil-%d", how);
    assert_int_equal(cd_tag_create(m->f.s, m->f.u, tag, &m->f.err), CD_OK);
    publish(m, 1);
    pointer(m, name, sizeof name);
    snprintf(good, cap, "%s", name);
    snprintf(p, sizeof p, "%s/%s", m->pub, name);
    snprintf(sp, sizeof sp, "%s/%.70s.sig", m->pub, name);
    char *ix = fx_slurp(p, &n), *sig = fx_slurp(sp, &sn);
    assert_non_null(ix);
    if (how == T_INDEX) {
        /* edited after signing, renamed by its new hash so that only the signature can tell */
        char *g = strstr(ix, "\"generation\":");
        assert_non_null(g);
        g[13] = g[13] == '9' ? '8' : '9';
        set_index(m, ix, n, sig, sn);
    } else if (how == T_MALFORMED) {
        set_index(m, "{\"format\":\"certdeck-mirror/1\",\"files\":[", 39, sig, sn);
    } else {
        /* the store image: one byte changed, or cut short */
        char *f = strstr(ix, "files/");
        while (f && !strstr(f, ".db\"")) f = strstr(f + 1, "files/");
        char *db = strstr(ix, ".db\"");
        assert_non_null(db);
        char *start = db;
        while (start > ix && strncmp(start, "files/", 6)) start--;
        char fp[400];
        snprintf(fp, sizeof fp, "%s/%.*s", m->pub, (int)(db + 3 - start), start);
        size_t len = 0;
        char *b = fx_slurp(fp, &len);
        assert_non_null(b);
        if (how == T_FILE) b[len / 2] ^= 1;
        else len -= 100;
        fx_put(fp, b, len);
        free(b);
    }
    free(ix);
    free(sig);
}

static void test_bad_snapshots(void **state)
{
    struct mx *m = *state;
    static const char *const want[T_N] = {
        [T_INDEX] = "is not signed by",
        [T_FILE] = ".db: SHA-256 does not match the index",
        [T_SIGNER] = "--signer-ca: the mirror index is not signed by the CA",
        [T_TRUNC] = " bytes, the index gives ",    /* cut 100 bytes short */
        /* with the signer known, the index is not parsed before its
         * signature over its raw bytes is checked */
        [T_MALFORMED] = "--signer-ca: the mirror index is not signed by the CA",
    };
    struct cd_mirror_pull_result r;
    for (int how = 0; how < T_N; how++) {
        /* a good first generation in the cache and the replica */
        assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_OK);
        static char before[65536], after[65536];
        before[0] = after[0] = 0;
        tree(m->cache, "", before, sizeof before);
        size_t rl = 0, rl2 = 0;
        char *rep = fx_slurp(m->replica, &rl), good[120], gp[200];
        spoil(m, how, good, sizeof good);
        int rc = do_pull(m, m->url, m->ca, &r);
        if (rc == CD_OK) fail_msg("case %d: a spoilt snapshot was pulled", how);
        if (!strstr(m->f.err.msg, want[how])) fail_msg("case %d: \"%s\" lacks \"%s\"", how, m->f.err.msg, want[how]);
        tree(m->cache, "", after, sizeof after);
        assert_string_equal(before, after);
        char *rep2 = fx_slurp(m->replica, &rl2);
        assert_int_equal(rl, rl2);
        assert_memory_equal(rep, rep2, rl);
        free(rep);
        free(rep2);
        /* verify says the same of the folder, and writes nothing */
        struct cd_mirror_opts o = { .signer_ca = m->ca };
        assert_int_not_equal(cd_mirror_verify(m->pub, &o, NULL, &m->f.err), CD_OK);
        /* the good pointer back, and a fresh generation for the next case */
        snprintf(gp, sizeof gp, "%s/current", m->pub);
        strcat(good, "\n");
        fx_put(gp, good, strlen(good));
        publish(m, 1);
    }
}

#define SH(...)                                                        \
    do {                                                               \
        char cmd_[800];                                                \
        snprintf(cmd_, sizeof cmd_, __VA_ARGS__);                      \
        if (system(cmd_) != 0) fail_msg("%s", cmd_);                   \
    } while (0)

/* The snapshot a replica says it holds. */
static void replica_gen(struct mx *m, int64_t gen)
{
    cd_store *s = NULL;
    struct cd_mirror_info mi;
    assert_int_equal(cd_store_open(m->replica, 0, &s, &m->f.err), CD_OK);
    assert_int_equal(cd_store_mirror_info(s, &mi, &m->f.err), CD_OK);
    assert_int_equal(mi.generation, gen);
    assert_true(mi.published > 0);
    assert_string_equal(mi.signer, "CN=Server Certification Authority");
    assert_int_equal(strlen(mi.signer_sha256), 95);
    assert_non_null(strstr(cd_store_readonly_reason(s), "(snapshot of "));
    cd_mirror_info_clear(&mi);
    cd_store_close(s);
}

static void test_rollback_refused(void **state)
{
    struct mx *m = *state;
    struct cd_mirror_pull_result r;
    char old1[160], gen2[160], cache_bak[160], st_json[300], spec[200];
    static char before[65536], after[65536];
    snprintf(old1, sizeof old1, "%s/old1", m->f.dir);
    snprintf(gen2, sizeof gen2, "%s/gen2", m->f.dir);
    snprintf(cache_bak, sizeof cache_bak, "%s/cache.bak", m->f.dir);
    snprintf(spec, sizeof spec, "mirror+%s", m->url);
    SH("cp -a '%s' '%s'", m->pub, old1);                 /* generation 1, kept aside */
    fx_cert(&m->f, "gen-2-agent");
    publish(m, 1);
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_OK);
    assert_int_equal(r.generation, 2);
    replica_gen(m, 2);
    SH("cp -a '%s' '%s'", m->pub, gen2);
    before[0] = after[0] = 0;
    tree(m->cache, "", before, sizeof before);
    size_t rl = 0, rl2 = 0;
    char *rep = fx_slurp(m->replica, &rl);

    /* the mirror serves generation 1 again (validly signed): refused by
     * pull, by the mirror store, by verify (the cache saw generation 2) */
    SH("rm -rf '%s' && cp -a '%s' '%s'", m->pub, old1, m->pub);
    const char *want = "the mirror serves generation 1, older than generation 2 already seen here (a replay of an "
                       "old snapshot?); refused";
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_E_CRYPTO);
    if (!strstr(m->f.err.msg, want)) fail_msg("pull: %s", m->f.err.msg);
    struct cd_mirror_opts mo = { .signer_ca = m->ca };
    struct cd_open_opts oo = { .mirror = &mo };
    cd_store *s = NULL;
    assert_int_equal(cd_store_open_ex(spec, &oo, &s, &m->f.err), CD_E_CRYPTO);
    if (!strstr(m->f.err.msg, want)) fail_msg("open: %s", m->f.err.msg);
    assert_int_equal(cd_mirror_verify(m->url, &mo, NULL, &m->f.err), CD_E_CRYPTO);
    if (!strstr(m->f.err.msg, want)) fail_msg("verify: %s", m->f.err.msg);
    /* the folder itself, never read here before: whole, generation 1 */
    struct cd_mirror_info vi;
    assert_int_equal(cd_mirror_verify(m->pub, &mo, &vi, &m->f.err), CD_OK);
    assert_int_equal(vi.generation, 1);
    cd_mirror_info_clear(&vi);
    tree(m->cache, "", after, sizeof after);
    assert_string_equal(before, after);
    char *rep2 = fx_slurp(m->replica, &rl2);
    assert_int_equal(rl, rl2);
    assert_memory_equal(rep, rep2, rl);
    free(rep2);

    /* without the cache, the replica's generation is what was seen */
    SH("mv '%s' '%s'", m->cache, cache_bak);
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_E_CRYPTO);
    if (!strstr(m->f.err.msg, want)) fail_msg("pull, no cache: %s", m->f.err.msg);
    snprintf(st_json, sizeof st_json, "%s/certdeck", m->cache);
    after[0] = 0;
    tree(st_json, "", after, sizeof after);
    assert_null(strstr(after, "state.json"));
    assert_null(strstr(after, ".db "));
    rep2 = fx_slurp(m->replica, &rl2);
    assert_int_equal(rl, rl2);
    assert_memory_equal(rep, rep2, rl);
    free(rep2);
    free(rep);
    SH("rm -rf '%s' && mv '%s' '%s'", m->cache, cache_bak, m->cache);

    /* generation 2 back, published again unchanged: generation 3, the same
     * image; the pull fetches current, the index and its signature only,
     * and the replica says generation 3 */
    SH("rm -rf '%s' && cp -a '%s' '%s'", m->pub, gen2, m->pub);
    publish(m, 1);
    httpd_clear_log(&srv);
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_OK);
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.generation, 3);
    assert_int_equal(r.fetched_files, 0);
    assert_int_equal(srv.requests, 3);
    replica_gen(m, 3);

    /* another snapshot under generation 3 (a publisher's folder reset to
     * generation 2, then published with a change): refused too */
    SH("rm -rf '%s' && cp -a '%s' '%s'", m->pub, gen2, m->pub);
    fx_cert(&m->f, "forked-agent");
    publish(m, 1);
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_E_CRYPTO);
    if (!strstr(m->f.err.msg, "under generation 3, the generation of the snapshot already seen here"))
        fail_msg("fork: %s", m->f.err.msg);
    replica_gen(m, 3);
}

static void test_offline_uses_cache(void **state)
{
    struct mx *m = *state;
    struct cd_mirror_pull_result r;
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_OK);
    httpd_route(&srv, "/pki/current", "x", 0, HTTPD_SILENT);
    char spec[200];
    snprintf(spec, sizeof spec, "mirror+%s", m->url);
    struct cd_mirror_opts mo = { .signer_ca = m->ca, .timeout_ms = 1000 };
    struct cd_open_opts oo = { .mirror = &mo };
    cd_store *s = NULL;
    int rc = cd_store_open_ex(spec, &oo, &s, &m->f.err);
    if (rc) fail_msg("offline open: %s", m->f.err.msg);
    struct cd_mirror_info mi;
    assert_int_equal(cd_store_mirror_info(s, &mi, &m->f.err), CD_OK);
    assert_non_null(mi.warning);
    assert_non_null(strstr(mi.warning, "the mirror could not be reached (current: timed out"));
    assert_non_null(strstr(mi.warning, "showing the snapshot cached at"));
    cd_mirror_info_clear(&mi);
    cd_store_close(s);
    /* a pull is not offline-tolerant */
    assert_int_equal(do_pull(m, m->url, m->ca, &r), CD_E_IO);
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
        cmocka_unit_test_setup_teardown(test_folder_open_and_pull, setup, teardown),
        cmocka_unit_test_setup_teardown(test_http_304_and_update, setup, teardown),
        cmocka_unit_test_setup_teardown(test_trust_on_first_use, setup, teardown),
        cmocka_unit_test_setup_teardown(test_bad_snapshots, setup, teardown),
        cmocka_unit_test_setup_teardown(test_offline_uses_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rollback_refused, setup, teardown),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
