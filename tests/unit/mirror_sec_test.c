/* certdeck unit tests — the mirror against a hostile neighbourhood (the
 * security review of issue 11): cache and config folders of another owner
 * or open to others, a forged image planted in the cache, a symlinked
 * cache file, a planted hot journal beside a store, the publish folder
 * open to others, damaged files in it, a corrupt but signed image, FTS
 * history in the image, and an index that is never parsed before its
 * signature is checked. */
#include "helpers.h"
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "mirror_int.h"
#include "sq_int.h"

struct sx {
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

static void publish(struct sx *m)
{
    struct cd_mirror_publish_opts o = { .sign_ca = 1 };
    struct cd_mirror_published r;
    must(&m->f, cd_mirror_publish(m->f.s, m->f.u, m->pub, &o, &r, &m->f.err), "publish");
}

static int setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct sx *m = calloc(1, sizeof *m);
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
    return 0;
}

static int teardown(void **state)
{
    struct sx *m = *state;
    struct fx *f = malloc(sizeof *f);
    *f = m->f;
    free(m);
    *state = f;
    return fx_teardown(state);
}

/* The current index of the publish folder, parsed. */
static void current_index(struct sx *m, struct cdi_mindex *ix, char name[80])
{
    char path[300];
    size_t n = 0, len = 0;
    snprintf(path, sizeof path, "%s/current", m->pub);
    char *cur = slurp(path, &n);
    assert_non_null(cur);
    snprintf(name, 80, "%.*s", (int)strcspn(cur, "\n"), cur);
    free(cur);
    snprintf(path, sizeof path, "%s/%s", m->pub, name);
    char *t = slurp(path, &len);
    assert_non_null(t);
    struct cd_err e = { 0 };
    if (cdi_mindex_parse(t, len, ix, &e)) fail_msg("parse: %s", e.msg);
    free(t);
}

static char *pub_file(struct sx *m, const struct cdi_mindex *ix, const char *role)
{
    const struct cdi_mfile *mf = cdi_mindex_find(ix, role);
    assert_non_null(mf);
    char *p = malloc(300);
    snprintf(p, 300, "%s/%s", m->pub, mf->name);
    return p;
}

static int has(const char *hay, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (!memcmp(hay + i, needle, l)) return 1;
    return 0;
}

/* ---- 2. the image carries no FTS history --------------------------------- */

static void test_image_has_no_fts_history(void **state)
{
    struct sx *m = *state;
    struct fx *f = &m->f;
    /* a character nothing else uses, once: the one trigram that begins
     * with it ("жq ") is stored whole (FTS5 compresses a term only by the
     * prefix it shares with the term before it) */
    must(f, cd_cert_describe(f->s, f->u, 1, "qЖq", &f->err), "describe");
    must(f, cd_cert_describe(f->s, f->u, 1, "plain words", &f->err), "describe again");
    /* the store's own index still has it (else this test proves nothing) */
    size_t n = 0;
    char *b = slurp(f->path, &n);
    int in_store = has(b, n, "жq ");
    free(b);
    if (!in_store) {
        char wal[200];
        snprintf(wal, sizeof wal, "%s-wal", f->path);
        b = slurp(wal, &n);
        in_store = b && has(b, n, "жq ");
        free(b);
    }
    assert_true(in_store);
    publish(m);
    struct cdi_mindex ix;
    char name[80];
    current_index(m, &ix, name);
    char *img = pub_file(m, &ix, "store");
    b = slurp(img, &n);
    assert_non_null(b);
    assert_false(has(b, n, "жq "));
        free(b);
    /* and the search still works in the image */
    cd_store *s = calloc(1, sizeof *s);
    must(f, cdi_sqlite_open(s, img, CD_OPEN_READONLY | CDI_OPEN_IMAGE, &f->err), "open image");
    cd_user *iu = NULL;
    must(f, cd_user_owner(s, &iu, &f->err), "owner");
    struct cd_query q = { .filter = "plain", .revoked = 1 };
    int64_t cnt = -1;
    must(f, cd_cert_count(s, iu, &q, &cnt, &f->err), "count");
    assert_int_equal(cnt, 1);
    q.filter = "qЖq";
    must(f, cd_cert_count(s, iu, &q, &cnt, &f->err), "count");
    assert_int_equal(cnt, 0);
    cd_user_free(iu);
    cd_store_close(s);
    free(img);
    cdi_mindex_clear(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_image_has_no_fts_history, setup, teardown),
    };
    return cmocka_run_group_tests_name("mirror_sec", tests, NULL, NULL);
}
