/* certdeck unit tests — the mirror against a hostile neighbourhood (the
 * security review of issue 11): cache and config folders of another owner
 * or open to others, a forged image planted in the cache, a symlinked
 * cache file, a planted hot journal beside a store, the publish folder
 * open to others, damaged files in it, a corrupt but signed image, FTS
 * history in the image, and an index that is never parsed before its
 * signature is checked. */
#include "mirror_fx.h"
#include <dirent.h>
#include <fcntl.h>
#include <pwd.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "mirror_int.h"
#include "sq_int.h"

static void publish(struct mfx *m)
{
    struct cd_mirror_publish_opts o = { .sign_ca = 1 };
    struct cd_mirror_published r;
    fx_must(&m->f, cd_mirror_publish(m->f.s, m->f.u, m->pub, &o, &r, &m->f.err), "publish");
}



/* The current index of the publish folder, parsed. */
static void current_index(struct mfx *m, struct cdi_mindex *ix, char name[80])
{
    char path[300];
    size_t n = 0, len = 0;
    snprintf(path, sizeof path, "%s/current", m->pub);
    char *cur = fx_slurp(path, &n);
    assert_non_null(cur);
    snprintf(name, 80, "%.*s", (int)strcspn(cur, "\n"), cur);
    free(cur);
    snprintf(path, sizeof path, "%s/%s", m->pub, name);
    char *t = fx_slurp(path, &len);
    assert_non_null(t);
    struct cd_err e = { 0 };
    if (cdi_mindex_parse(t, len, ix, &e)) fail_msg("parse: %s", e.msg);
    free(t);
}

static char *pub_file(struct mfx *m, const struct cdi_mindex *ix, const char *role)
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
    struct mfx *m = *state;
    struct fx *f = &m->f;
    /* a character nothing else uses, once: the one trigram that begins
     * with it ("жq ") is stored whole (FTS5 compresses a term only by the
     * prefix it shares with the term before it) */
    fx_must(f, cd_cert_describe(f->s, f->u, 1, "qЖq", &f->err), "describe");
    fx_must(f, cd_cert_describe(f->s, f->u, 1, "plain words", &f->err), "describe again");
    /* the store's own index still has it (else this test proves nothing) */
    size_t n = 0;
    char *b = fx_slurp(f->path, &n);
    int in_store = has(b, n, "жq ");
    free(b);
    if (!in_store) {
        char wal[200];
        snprintf(wal, sizeof wal, "%s-wal", f->path);
        b = fx_slurp(wal, &n);
        in_store = b && has(b, n, "жq ");
        free(b);
    }
    assert_true(in_store);
    publish(m);
    struct cdi_mindex ix;
    char name[80];
    current_index(m, &ix, name);
    char *img = pub_file(m, &ix, "store");
    b = fx_slurp(img, &n);
    assert_non_null(b);
    assert_false(has(b, n, "жq "));
        free(b);
    /* and the search still works in the image */
    cd_store *s = calloc(1, sizeof *s);
    fx_must(f, cdi_sqlite_open(s, img, CD_OPEN_READONLY | CDI_OPEN_IMAGE, &f->err), "open image");
    cd_user *iu = NULL;
    fx_must(f, cd_user_owner(s, &iu, &f->err), "owner");
    struct cd_query q = { .filter = "plain", .revoked = 1 };
    int64_t cnt = -1;
    fx_must(f, cd_cert_count(s, iu, &q, &cnt, &f->err), "count");
    assert_int_equal(cnt, 1);
    q.filter = "qЖq";
    fx_must(f, cd_cert_count(s, iu, &q, &cnt, &f->err), "count");
    assert_int_equal(cnt, 0);
    cd_user_free(iu);
    cd_store_close(s);
    free(img);
    cdi_mindex_clear(&ix);
}

/* ---- 1. the cache and the trusted signers: folders and files of ours -------- */

/* Opens the mirror store (the folder's snapshot through the cache). */
static int open_mirror(struct mfx *m, const char *signer, struct cd_err *e)
{
    struct cd_mirror_opts mo = { .signer_ca = signer };
    struct cd_open_opts oo = { .mirror = &mo };
    cd_store *s = NULL;
    int rc = cd_store_open_ex(m->spec, &oo, &s, e);
    cd_store_close(s);
    return rc;
}

/* The cache folder of the mirror (there is one). */
static void key_dir(struct mfx *m, char *out, size_t cap)
{
    char cmd[400], p[200];
    snprintf(p, sizeof p, "%s/certdeck/mirrors", m->cache);
    snprintf(cmd, sizeof cmd, "ls '%s' > '%s/key.txt'", p, m->f.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/key.txt", m->f.dir);
    size_t n = 0;
    char *k = fx_slurp(cmd, &n);
    assert_non_null(k);
    snprintf(out, cap, "%s/%.*s", p, (int)strcspn(k, "\n"), k);
    free(k);
}

static void test_cache_folders_of_ours(void **state)
{
    struct mfx *m = *state;
    struct cd_err e = { 0 };
    publish(m);
    fx_must(&m->f, open_mirror(m, m->ca, &m->f.err), "open");
    char key[300], files[320], mirrors[200];
    key_dir(m, key, sizeof key);
    snprintf(files, sizeof files, "%s/files", key);
    snprintf(mirrors, sizeof mirrors, "%s/certdeck/mirrors", m->cache);
    /* each level certdeck uses, open to others: refused, naming it */
    const char *levels[] = { mirrors, key, files };
    for (int i = 0; i < 3; i++) {
        assert_int_equal(chmod(levels[i], 0777), 0);
        assert_int_equal(open_mirror(m, m->ca, &e), CD_E_INVAL);
        assert_non_null(strstr(e.msg, levels[i]));
        assert_non_null(strstr(e.msg, "others may write in it (mode 777)"));
        assert_non_null(strstr(e.msg, "XDG_CACHE_HOME"));
        assert_int_equal(chmod(levels[i], 0700), 0);
    }
    /* another user's (root can make one) */
    if (geteuid() == 0) {
        assert_int_equal(chown(key, 65534, 65534), 0);
        assert_int_equal(open_mirror(m, m->ca, &e), CD_E_INVAL);
        assert_non_null(strstr(e.msg, "belongs to another user (uid 65534)"));
        assert_int_equal(chown(key, 0, 0), 0);
    }
    /* a symbolic link planted in place of the key folder */
    char moved[330];
    snprintf(moved, sizeof moved, "%s.real", key);
    assert_int_equal(rename(key, moved), 0);
    assert_int_equal(symlink(moved, key), 0);
    assert_int_equal(open_mirror(m, m->ca, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "it is a symbolic link"));
    unlink(key);
    assert_int_equal(rename(moved, key), 0);
    fx_must(&m->f, open_mirror(m, m->ca, &m->f.err), "open again");
}

static void test_forged_cached_image(void **state)
{
    struct mfx *m = *state;
    publish(m);
    fx_must(&m->f, open_mirror(m, m->ca, &m->f.err), "open");
    struct cdi_mindex ix;
    char name[80], key[300], img[400];
    current_index(m, &ix, name);
    key_dir(m, key, sizeof key);
    const struct cdi_mfile *sf = cdi_mindex_find(&ix, "store");
    snprintf(img, sizeof img, "%s/%s", key, sf->name);
    size_t n = 0;
    /* a forged image of the same size, written in place */
    char *b = fx_slurp(img, &n);
    assert_int_equal((int64_t)n, sf->size);
    b[n / 2] ^= 0x55;
    fx_put(img, b, n);
    /* not shown as verified: fetched again (the forged bytes are gone) */
    fx_must(&m->f, open_mirror(m, m->ca, &m->f.err), "open after the forgery");
    free(b);
    b = fx_slurp(img, &n);
    char hex[65];
    cdi_sha256_hex(b, n, hex);
    assert_string_equal(hex, sf->sha256);
    free(b);
    /* the same with the mirror gone: nothing verified to show */
    char away[200];
    snprintf(away, sizeof away, "%s.away", m->pub);
    b = fx_slurp(img, &n);
    b[n / 3] ^= 0x55;
    fx_put(img, b, n);
    free(b);
    assert_int_equal(rename(m->pub, away), 0);
    struct cd_err e = { 0 };
    assert_int_not_equal(open_mirror(m, m->ca, &e), CD_OK);
    assert_int_equal(rename(away, m->pub), 0);
    /* a cached file behind a symbolic link is not taken either */
    const struct cdi_mfile *cf = cdi_mindex_find(&ix, "signer");
    char pem[400], real[420];
    snprintf(pem, sizeof pem, "%s/%s", key, cf->name);
    snprintf(real, sizeof real, "%s/elsewhere.pem", m->f.dir);
    fx_must(&m->f, open_mirror(m, m->ca, &m->f.err), "open once more");
    assert_int_equal(rename(pem, real), 0);
    assert_int_equal(symlink(real, pem), 0);
    fx_must(&m->f, open_mirror(m, m->ca, &m->f.err), "open with a link in the cache");
    struct stat lst;
    assert_int_equal(lstat(pem, &lst), 0);
    assert_true(S_ISREG(lst.st_mode));       /* fetched again in its place */
    /* state.json holds the verified image's identity (the first frame
     * does not re-hash it) */
    char sp[400];
    snprintf(sp, sizeof sp, "%s/state.json", key);
    char *st = fx_slurp(sp, &n);
    assert_non_null(st);
    assert_non_null(strstr(st, "\"mtime_ns\""));
    free(st);
    cdi_mindex_clear(&ix);
}

/* A certdeck that trusts on first use: every signer. */
static int yes(void *ctx, const char *source, const char *subject, const char *fp)
{
    (void)ctx, (void)source, (void)subject, (void)fp;
    return 1;
}

static void test_remembered_signer_of_ours(void **state)
{
    struct mfx *m = *state;
    struct cd_err e = { 0 };
    publish(m);
    struct cd_mirror_opts mo = { .trust = yes };
    struct cd_open_opts oo = { .mirror = &mo };
    cd_store *s = NULL;
    fx_must(&m->f, cd_store_open_ex(m->spec, &oo, &s, &m->f.err), "first use");
    cd_store_close(s);
    char known[300], mirrors[200], cmd[400];
    snprintf(mirrors, sizeof mirrors, "%s/certdeck/mirrors", m->conf);
    snprintf(cmd, sizeof cmd, "ls '%s'/*.pem > '%s/known.txt'", mirrors, m->f.dir);
    assert_int_equal(system(cmd), 0);
    snprintf(cmd, sizeof cmd, "%s/known.txt", m->f.dir);
    size_t n = 0;
    char *k = fx_slurp(cmd, &n);
    snprintf(known, sizeof known, "%.*s", (int)strcspn(k, "\n"), k);
    free(k);
    /* nobody to ask now: only the remembered signer opens it */
    fx_must(&m->f, open_mirror(m, NULL, &m->f.err), "remembered");
    /* the remembered file writable by others: refused */
    assert_int_equal(chmod(known, 0666), 0);
    assert_int_equal(open_mirror(m, NULL, &e), CD_E_IO);
    assert_non_null(strstr(e.msg, known));
    assert_non_null(strstr(e.msg, "not a file of yours, or others may write it"));
    assert_int_equal(chmod(known, 0600), 0);
    /* a symbolic link in its place */
    char real[320];
    snprintf(real, sizeof real, "%s/planted.pem", m->f.dir);
    assert_int_equal(rename(known, real), 0);
    assert_int_equal(symlink(real, known), 0);
    assert_int_equal(open_mirror(m, NULL, &e), CD_E_IO);
    assert_non_null(strstr(e.msg, "a symbolic link"));
    unlink(known);
    assert_int_equal(rename(real, known), 0);
    /* its folder open to others */
    assert_int_equal(chmod(mirrors, 0777), 0);
    assert_int_equal(open_mirror(m, NULL, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "XDG_CONFIG_HOME"));
    assert_int_equal(chmod(mirrors, 0700), 0);
    if (geteuid() == 0) {
        assert_int_equal(chown(known, 65534, 65534), 0);
        assert_int_equal(open_mirror(m, NULL, &e), CD_E_IO);
        assert_int_equal(chown(known, 0, 0), 0);
    }
    fx_must(&m->f, open_mirror(m, NULL, &m->f.err), "remembered again");
}

/* ---- 3. nothing planted beside a store is applied to it ------------------ */

static void test_planted_journal(void **state)
{
    struct mfx *m = *state;
    struct fx *f = &m->f;
    struct cd_err e = { 0 };
    cd_store *s = NULL;
    char j[200], real[200];
    snprintf(j, sizeof j, "%s-journal", f->path);
    snprintf(real, sizeof real, "%s/elsewhere", f->dir);
    fx_put(real, "x", 1);
    /* a link in place of the journal: refused, the store untouched */
    assert_int_equal(symlink(real, j), 0);
    assert_int_equal(cd_store_open(f->path, 0, &s, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "-journal is not a file of the store's owner (not a regular file)"));
    unlink(j);
    char w[200];
    snprintf(w, sizeof w, "%s-wal", f->path);
    if (geteuid() == 0) {
        /* another user's journal (and WAL) */
        fx_put(j, "", 0);
        assert_int_equal(chown(j, 65534, 65534), 0);
        assert_int_equal(cd_store_open(f->path, 0, &s, &e), CD_E_INVAL);
        assert_non_null(strstr(e.msg, "(another user's)"));
        unlink(j);
    }
    fx_must(f, cd_store_open(f->path, 0, &s, &f->err), "open");
    cd_store_close(s);
    /* a pulled replica is read-only on disk, and stays so when pull gives
     * it new keys in place */
    publish(m);
    struct cd_mirror_opts o = { .signer_ca = m->ca };
    struct cd_mirror_pull_result r;
    fx_must(f, cd_mirror_pull(m->spec, m->replica, &o, &r, &f->err), "pull");
    struct stat st;
    assert_int_equal(stat(m->replica, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0444);
    publish(m);             /* the same content, a new generation */
    fx_must(f, cd_mirror_pull(m->spec, m->replica, &o, &r, &f->err), "pull again");
    assert_int_equal(r.updated, 1);
    assert_int_equal(r.generation, 2);
    assert_int_equal(stat(m->replica, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0444);
    /* opened as a plain store: read-only for SQLite too (no -journal is
     * ever made or read beside it), root included */
    fx_must(f, cd_store_open(m->replica, 0, &s, &f->err), "open the replica");
    assert_true(cd_store_readonly(s));
    cd_store_close(s);
    snprintf(j, sizeof j, "%s-journal", m->replica);
    snprintf(w, sizeof w, "%s-wal", m->replica);
    assert_int_not_equal(access(j, F_OK), 0);
    assert_int_not_equal(access(w, F_OK), 0);
}

/* ---- 5. a damaged image, validly signed ------------------------------------ */

/* Replaces the current snapshot's image with `bytes`, in a new index
 * signed by CA 1 as the publisher would (a publisher's damaged disk). */
static void resign_image(struct mfx *m, const char *bytes, size_t n)
{
    struct fx *f = &m->f;
    struct cdi_mindex ix;
    char name[80], path[400];
    current_index(m, &ix, name);
    struct cdi_mfile *sf = (struct cdi_mfile *)cdi_mindex_find(&ix, "store");
    if (!sf) fail_msg("no store image");
    cdi_sha256_hex(bytes, n, sf->sha256);
    sf->size = (int64_t)n;
    free(sf->name);
    sf->name = malloc(80);
    snprintf(sf->name, 80, "files/%s.db", sf->sha256);
    snprintf(path, sizeof path, "%s/%s", m->pub, sf->name);
    fx_put(path, bytes, n);
    ix.generation++;
    size_t jlen = 0, siglen = 0;
    char *json = cdi_mindex_dump(&ix, &jlen), hex[65];
    unsigned char *sig = NULL;
    fx_must(f, f->s->ops->mirror_sign(f->s, f->u, 1, NULL, json, jlen, &sig, &siglen, &f->err), "sign");
    cdi_sha256_hex(json, jlen, hex);
    snprintf(path, sizeof path, "%s/index-%s.json", m->pub, hex);
    fx_put(path, json, jlen);
    snprintf(path, sizeof path, "%s/index-%s.sig", m->pub, hex);
    fx_put(path, sig, siglen);
    snprintf(path, sizeof path, "%s/current", m->pub);
    snprintf(name, sizeof name, "index-%s.json\n", hex);
    fx_put(path, name, strlen(name));
    free(json);
    free(sig);
    cdi_mindex_clear(&ix);
}

static void test_damaged_signed_image(void **state)
{
    struct mfx *m = *state;
    struct fx *f = &m->f;
    for (int i = 0; i < 40; i++) fx_cert(f, "bulk");     /* a few pages of certificates */
    publish(m);
    struct cd_mirror_opts o = { .signer_ca = m->ca };
    struct cd_mirror_pull_result r;
    fx_must(f, cd_mirror_pull(m->spec, m->replica, &o, &r, &f->err), "pull");
    fx_must(f, open_mirror(m, m->ca, &f->err), "open");
    char key[300], sp[400];
    key_dir(m, key, sizeof key);
    snprintf(sp, sizeof sp, "%s/state.json", key);
    size_t n = 0, sn = 0, rn = 0;
    char *state0 = fx_slurp(sp, &sn), *rep0 = fx_slurp(m->replica, &rn);
    /* the image with one of its pages overwritten: its schema (page 1) is
     * whole, so only a check of the whole file finds it */
    struct cdi_mindex ix;
    char name[80];
    current_index(m, &ix, name);
    char *img = pub_file(m, &ix, "store"), *b = fx_slurp(img, &n);
    size_t page = 4096, at = (n / page / 2) * page;
    assert_true(at >= page);
    memset(b + at, 0x5a, page);
    resign_image(m, b, n);
    struct cd_err e = { 0 };
    assert_int_equal(cd_mirror_pull(m->spec, m->replica, &o, &r, &e), CD_E_CORRUPT);
    assert_non_null(strstr(e.msg, ".db: the store image is damaged: "));
    assert_int_equal(open_mirror(m, m->ca, &e), CD_E_CORRUPT);
    assert_non_null(strstr(e.msg, ".db: the store image is damaged: "));
    /* verify reads the image whole too, and leaves no copy of it behind */
    char tdir[300];
    snprintf(tdir, sizeof tdir, "%s/vtmp", f->dir);
    assert_int_equal(mkdir(tdir, 0700), 0);
    setenv("TMPDIR", tdir, 1);
    assert_int_equal(cd_mirror_verify(m->pub, &o, NULL, &e), CD_E_CORRUPT);
    unsetenv("TMPDIR");
    assert_non_null(strstr(e.msg, ".db: the store image is damaged: "));
    assert_int_equal(rmdir(tdir), 0);          /* empty */
    /* the cache and the replica are as they were */
    size_t sn2 = 0, rn2 = 0;
    char *state1 = fx_slurp(sp, &sn2), *rep1 = fx_slurp(m->replica, &rn2);
    assert_int_equal(sn, sn2);
    assert_memory_equal(state0, state1, sn);
    assert_int_equal(rn, rn2);
    assert_memory_equal(rep0, rep1, rn);
    /* nor is anything left beside the replica (its copy, made while the
     * image was checked, is gone with the refusal) */
    DIR *d = opendir(m->f.dir);
    assert_non_null(d);
    for (struct dirent *de; (de = readdir(d));)
        if (strstr(de->d_name, ".pull-")) fail_msg("left beside the replica: %s", de->d_name);
    closedir(d);
    free(state0); free(state1); free(rep0); free(rep1);
    free(b); free(img);
    cdi_mindex_clear(&ix);
}

/* ---- 4. the publish folder ---------------------------------------------- */

static void test_publish_folder(void **state)
{
    struct mfx *m = *state;
    struct fx *f = &m->f;
    struct cd_err e = { 0 };
    struct cd_mirror_publish_opts o = { .sign_ca = 1 };
    struct cd_mirror_published r;
    publish(m);
    char files[200];
    snprintf(files, sizeof files, "%s/files", m->pub);
    /* DIR or DIR/files open to others, or another user's: refused */
    const char *levels[] = { m->pub, files };
    for (int i = 0; i < 2; i++) {
        assert_int_equal(chmod(levels[i], 0775), 0);
        assert_int_equal(cd_mirror_publish(f->s, f->u, m->pub, &o, &r, &e), CD_E_INVAL);
        assert_non_null(strstr(e.msg, levels[i]));
        assert_non_null(strstr(e.msg, "others may write in it (mode 775)"));
        assert_int_equal(chmod(levels[i], 0755), 0);
        if (geteuid() == 0) {
            assert_int_equal(chown(levels[i], 65534, 65534), 0);
            assert_int_equal(cd_mirror_publish(f->s, f->u, m->pub, &o, &r, &e), CD_E_INVAL);
            assert_non_null(strstr(e.msg, "belongs to another user"));
            assert_int_equal(chown(levels[i], 0, 0), 0);
        }
    }
    /* DIR named through a link is fine; files/ as a link is not */
    char link[200];
    snprintf(link, sizeof link, "%s/publink", f->dir);
    assert_int_equal(symlink(m->pub, link), 0);
    fx_must(f, cd_mirror_publish(f->s, f->u, link, &o, &r, &f->err), "publish through a link");
    /* the small files damaged in place (same size) or replaced by a link
     * are written again, and what is signed is what is served */
    struct cdi_mindex ix;
    char name[80];
    current_index(m, &ix, name);
    char *ca = pub_file(m, &ix, "ca"), *crl = pub_file(m, &ix, "crl");
    size_t n = 0;
    char *b = fx_slurp(ca, &n);
    b[n / 2] ^= 1;
    fx_put(ca, b, n);
    free(b);
    char elsewhere[200];
    snprintf(elsewhere, sizeof elsewhere, "%s/crl.elsewhere", f->dir);
    assert_int_equal(rename(crl, elsewhere), 0);
    assert_int_equal(symlink(elsewhere, crl), 0);
    fx_must(f, cd_mirror_publish(f->s, f->u, m->pub, &o, &r, &f->err), "publish again");
    assert_int_equal(r.written, 2);
    struct cd_mirror_opts mo = { .signer_ca = m->ca };
    fx_must(f, cd_mirror_verify(m->pub, &mo, NULL, &f->err), "verify");
    struct stat st;
    assert_int_equal(lstat(crl, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    free(ca);
    free(crl);
    cdi_mindex_clear(&ix);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_cache_folders_of_ours, mfx_setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_forged_cached_image, mfx_setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_remembered_signer_of_ours, mfx_setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_image_has_no_fts_history, mfx_setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_planted_journal, mfx_setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_damaged_signed_image, mfx_setup, mfx_teardown),
        cmocka_unit_test_setup_teardown(test_publish_folder, mfx_setup, mfx_teardown),
    };
    return cmocka_run_group_tests_name("mirror_sec", tests, NULL, NULL);
}
