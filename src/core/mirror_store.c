/* certdeck core — the mirror store ("mirror+https://...", "mirror+http://",
 * "mirror+file:///PATH": the snapshot verified into the local cache, opened
 * read-only by the sqlite backend) and the pulled replica (cd_mirror_pull:
 * a copy of the verified store image with meta keys saying where it came
 * from, put in place of the old one by one rename).
 *
 * Replicas stay in SQLite's rollback-journal mode (the image is published
 * in journal_mode=DELETE, and the sqlite backend opens a store with
 * mirror.* meta keys without switching it to WAL), so a replica has no
 * -wal or -shm companion a rename could leave behind mismatched; a pull
 * refuses to replace a file that has one, or a hot -journal.  A replica is
 * 0444 on disk: opened later as a plain store path, the sqlite backend
 * opens it read-only (SQLite never writes it, nor rolls a journal into
 * it); pull replaces it by rename, or gives it its new keys with its
 * mode lifted for that one transaction. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "mirror_int.h"
#include "sq_int.h"

static int oom(struct cd_err *err) { return cdi_fail(err, CD_E_NOMEM, "out of memory"); }

void cdi_mstate_free(struct cdi_mstate *m)
{
    if (!m) return;
    cd_mirror_info_clear(&m->info);
    free(m->reason);
    free(m);
}

static char *reason_for(const char *source, int64_t published)
{
    char when[24];
    cdi_fmt_time(published, when, sizeof when);
    return cdi_printf("read-only: a mirror of %.300s (snapshot of %s UTC); change the source store and publish again",
                      source, when);
}

int cdi_mirror_open(cd_store *s, const char *spec, const struct cd_open_opts *o, struct cd_err *err)
{
    struct cdi_msnap snap;
    const struct cd_mirror_opts *mo = o ? o->mirror : NULL;
    if (strncmp(spec, "mirror+", 7)) return cdi_fail(err, CD_E_INVAL, "\"%.200s\" is not a mirror", spec);
    int rc = cdi_mirror_sync(spec + 7, mo, 1, &snap, err);
    if (rc) return rc;
    struct cdi_mstate *m = calloc(1, sizeof *m);
    if (!m) { rc = oom(err); goto out; }
    s->mirror = m;
    if ((rc = cdi_sqlite_open(s, snap.image, CD_OPEN_READONLY | CDI_OPEN_IMAGE, err))) goto out;
    free(s->name);
    s->name = cdi_printf("mirror+%s", snap.source);
    m->info.source = strdup(snap.source);
    m->info.generation = snap.ix.generation;
    m->info.published = snap.ix.published;
    m->info.checked = snap.checked;
    m->info.signer = cdi_strdup(snap.ix.signer_subject);
    snprintf(m->info.signer_sha256, sizeof m->info.signer_sha256, "%s", snap.ix.signer_sha256);
    m->info.warning = snap.warning;
    snap.warning = NULL;
    m->reason = reason_for(snap.source, snap.ix.published);
    if (!s->name || !m->info.source || !m->reason || (snap.ix.signer_subject && !m->info.signer)) { rc = oom(err); goto out; }
    /* the backend refuses changes in its own words: the image does not know
     * where it was fetched from, so it is told */
    struct sq *sq = SQ(s);
    free(sq->ro_reason);
    if (!(sq->ro_reason = strdup(m->reason))) rc = oom(err);
out:
    /* on failure store.c frees s->name and s->mirror; the backend closes itself */
    if (rc && s->ops) {
        s->ops->close(s);
        s->ops = NULL;
    }
    cdi_msnap_clear(&snap);
    return rc;
}

/* ---- pull ---------------------------------------------------------------------- */

/* What `into` is now: missing (0), a replica (1, *had filled), or
 * something a pull must not replace (an error saying what). */
struct had {
    char *source, *image, *index, *signer;   /* image: its store image's SHA-256 */
    int64_t generation;
};

static void had_clear(struct had *h)
{
    free(h->source);
    free(h->image);
    free(h->index);
    free(h->signer);
    memset(h, 0, sizeof *h);
}

static int into_state(const char *into, struct had *h, struct cd_err *err)
{
    struct stat st;
    had_clear(h);
    if (lstat(into, &st)) {
        if (errno == ENOENT) return 0;
        return -cdi_fail(err, CD_E_IO, "%s: %s", into, strerror(errno));
    }
    if (!S_ISREG(st.st_mode))
        return -cdi_fail(err, CD_E_INVAL, "%s is not a regular file; pull never replaces it", into);
    static const char *const side[] = { "-wal", "-journal" };
    for (int i = 0; i < 2; i++) {
        char *p = cdi_printf("%s%s", into, side[i]);
        struct stat ss;
        int there = p && !lstat(p, &ss) && ss.st_size > 0;
        free(p);
        if (there)
            return -cdi_fail(err, CD_E_INVAL, "%s has a %s file beside it: it is a store in use, not a replica "
                             "made by pull; pull never overwrites a store", into, side[i]);
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    int rc = -cdi_fail(err, CD_E_INVAL, "%s is not a mirror replica; pull never overwrites a file of another kind", into);
    if (sqlite3_open_v2(into, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) goto out;
    if (sqlite3_prepare_v2(db, "SELECT k, v FROM meta WHERE k IN ('mirror.source', 'mirror.image_sha256', "
                               "'mirror.index', 'mirror.signer', 'mirror.generation')", -1, &q, NULL) != SQLITE_OK)
        goto out;
    while (sqlite3_step(q) == SQLITE_ROW) {
        const char *k = (const char *)sqlite3_column_text(q, 0), *v = (const char *)sqlite3_column_text(q, 1);
        char **to = NULL;
        if (!k || !v) continue;
        if (!strcmp(k, "mirror.source")) to = &h->source;
        else if (!strcmp(k, "mirror.image_sha256")) to = &h->image;
        else if (!strcmp(k, "mirror.index")) to = &h->index;
        else if (!strcmp(k, "mirror.signer")) to = &h->signer;
        else h->generation = strtoll(v, NULL, 10);
        if (to) { free(*to); *to = strdup(v); }
    }
    if (!h->source) {
        had_clear(h);
        rc = -cdi_fail(err, CD_E_INVAL, "%s is a store, not a mirror replica; pull never overwrites a store", into);
        goto out;
    }
    rc = 1;
out:
    sqlite3_finalize(q);
    sqlite3_close_v2(db);
    return rc;
}

/* A new file of our own beside `into` (*fd); caller frees *tmp. */
static int make_temp(const char *into, char **tmp, int *fd, struct cd_err *err)
{
    int out = -1, rc = CD_OK;
    *tmp = NULL;
    for (int tries = 0; tries < 100 && out < 0; tries++) {
        unsigned r = (unsigned)(cdi_now() ^ getpid() ^ (tries * 2654435761u) ^ (uintptr_t)&out);
        free(*tmp);
        if (!(*tmp = cdi_printf("%s.pull-%08x.tmp", into, r))) return oom(err);
        out = open(*tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (out < 0 && errno != EEXIST) break;
    }
    if (out < 0) {
        rc = cdi_fail(err, errno == ENOSPC ? CD_E_FULL : CD_E_IO, "cannot write beside %s: %s", into, strerror(errno));
        free(*tmp);
        *tmp = NULL;
    }
    *fd = out;
    return rc;
}

/* image -> a new file of our own beside `into`; caller frees *tmp.  The
 * kernel copies (copy_file_range: no trip through user space, a reflink
 * where the file system shares blocks), else read and write. */
static int copy_fd(int in, const char *image, const char *into, int sync, char **tmp, struct cd_err *err)
{
    char buf[1 << 16];
    int out = -1, kernel = 1;
    struct stat st;
    int rc = make_temp(into, tmp, &out, err);
    if (rc) return rc;
    if (fstat(in, &st)) {
        rc = cdi_fail(err, CD_E_IO, "cannot read %s: %s", image, strerror(errno));
        goto out;
    }
    for (off_t left = st.st_size; kernel && left > 0;) {
        ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)left, 0);
        if (n < 0 && errno == EINTR) continue;
        if (n > 0) { left -= n; continue; }
        if (n == 0) break;
        if (errno == ENOSPC) {
            rc = cdi_fail(err, CD_E_FULL, "cannot write %s: %s", *tmp, strerror(errno));
            goto out;
        }
        /* not between these files (another file system, an old kernel):
         * the plain copy, from the start */
        kernel = 0;
        if (lseek(in, 0, SEEK_SET) || lseek(out, 0, SEEK_SET) || ftruncate(out, 0)) {
            rc = cdi_fail(err, CD_E_IO, "cannot write %s: %s", *tmp, strerror(errno));
            goto out;
        }
    }
    for (; !kernel;) {
        ssize_t n = read(in, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) { rc = cdi_fail(err, CD_E_IO, "cannot read %s: %s", image, strerror(errno)); goto out; }
        if (n == 0) break;
        for (ssize_t off = 0; off < n;) {
            ssize_t w = write(out, buf + off, (size_t)(n - off));
            if (w < 0 && errno == EINTR) continue;
            if (w < 0) {
                rc = cdi_fail(err, errno == ENOSPC ? CD_E_FULL : CD_E_IO, "cannot write %s: %s", *tmp, strerror(errno));
                goto out;
            }
            off += w;
        }
    }
out:
    if (!rc && sync && fsync(out)) rc = cdi_fail(err, CD_E_IO, "cannot write %s: %s", *tmp, strerror(errno));
    if (close(out) && !rc) rc = cdi_fail(err, CD_E_IO, "cannot write %s: %s", *tmp, strerror(errno));
    return rc;
}

static int copy_image(const char *image, const char *into, char **tmp, struct cd_err *err)
{
    int in = open(image, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (in < 0) return cdi_fail(err, CD_E_IO, "cannot read %s: %s", image, strerror(errno));
    int rc = copy_fd(in, image, into, 0, tmp, err);
    close(in);
    return rc;
}

/* The replica's copy of a new image, made and flushed to disk while the
 * sync checks that image (struct cdi_mhook): a 190 MB write overlaps the
 * quick_check instead of following it.  Used only when the sync succeeds. */
struct early {
    const char *into;
    pthread_t th;
    int started, fd, rc;
    char *tmp;
    struct cd_err err;
};

static void *early_copy(void *arg)
{
    struct early *e = arg;
    e->rc = copy_fd(e->fd, "the new store image", e->into, 1, &e->tmp, &e->err);
    close(e->fd);
    return NULL;
}

static void early_ready(void *ctx, int fd)
{
    struct early *e = ctx;
    e->fd = fd;
    if (e->started || pthread_create(&e->th, NULL, early_copy, e)) { close(fd); return; }
    e->started = 1;
}

static void early_drop(struct early *e)
{
    if (!e->tmp) return;
    unlink(e->tmp);
    free(e->tmp);
    e->tmp = NULL;
}

/* The replica's own meta keys (where it came from, which snapshot: the
 * image itself carries none of it), in one transaction: on the new copy
 * (fresh: a file of our own no one reads yet, synced whole by the caller
 * before it is renamed into place, so no journal and no sync of its own),
 * or on the replica itself when it already holds this image. */
static int mark_replica(const char *path, int fresh, const struct cdi_msnap *snap, const char *image,
                        const char *index, struct cd_err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    char checked[24], gen[24], pub[24];
    snprintf(checked, sizeof checked, "%lld", (long long)snap->checked);
    snprintf(gen, sizeof gen, "%lld", (long long)snap->ix.generation);
    snprintf(pub, sizeof pub, "%lld", (long long)snap->ix.published);
    const char *kv[][2] = {
        { "mirror.source", snap->source }, { "mirror.checked", checked }, { "mirror.image_sha256", image },
        { "mirror.index", index }, { "mirror.generation", gen }, { "mirror.published", pub },
        { "mirror.signer", snap->ix.signer_sha256 },
        { "mirror.signer_subject", snap->ix.signer_subject ? snap->ix.signer_subject : "" },
    };
    int rc = CD_OK;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        sqlite3_busy_timeout(db, 5000) ||
        sqlite3_exec(db, fresh ? "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; BEGIN IMMEDIATE"
                               : "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; BEGIN IMMEDIATE", NULL, NULL, NULL) ||
        sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO meta(k, v) VALUES(?, ?)", -1, &q, NULL)) {
        rc = cdi_fail(err, CD_E_STORE, "cannot mark the replica %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    for (size_t i = 0; i < sizeof kv / sizeof kv[0] && !rc; i++) {
        sqlite3_bind_text(q, 1, kv[i][0], -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 2, kv[i][1], -1, SQLITE_STATIC);
        if (sqlite3_step(q) != SQLITE_DONE) rc = cdi_fail(err, CD_E_STORE, "cannot mark the replica %s: %s", path, sqlite3_errmsg(db));
        sqlite3_reset(q);
    }
    if (!rc && sqlite3_exec(db, "COMMIT", NULL, NULL, NULL))
        rc = cdi_fail(err, CD_E_STORE, "cannot mark the replica %s: %s", path, sqlite3_errmsg(db));
out:
    sqlite3_finalize(q);
    sqlite3_close_v2(db);
    return rc;
}

static int fsync_path(const char *path, int dir)
{
    int fd = open(path, O_RDONLY | (dir ? O_DIRECTORY : 0) | O_CLOEXEC);     /* fsync needs no write access */
    if (fd < 0) return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int cd_mirror_pull(const char *url, const char *into, const struct cd_mirror_opts *o,
                   struct cd_mirror_pull_result *out, struct cd_err *err)
{
    struct cdi_msnap snap;
    struct had had = { 0 };
    char *tmp = NULL;
    memset(out, 0, sizeof *out);
    memset(&snap, 0, sizeof snap);
    if (!url || !*url) return cdi_fail(err, CD_E_INVAL, "no mirror given");
    if (!into || !*into) return cdi_fail(err, CD_E_INVAL, "no replica file given (--into FILE)");
    if (!strncmp(url, "mirror+", 7)) url += 7;
    /* what is there is looked at before anything is fetched, and again
     * below: a refusal costs no download; a snapshot older than the
     * replica's is refused by the sync, before its files are fetched */
    int st = into_state(into, &had, err);
    if (st < 0) return -st;
    struct cdi_mseen seen = { had.generation, had.index, had.signer };
    struct early early = { .into = into, .fd = -1 };
    struct cdi_mhook hook = { early_ready, &early };
    int rc = cdi_mirror_sync_hook(url, o, st == 1 ? &seen : NULL, &hook, &snap, err);
    if (early.started) pthread_join(early.th, NULL);
    if (rc) goto out;
    const struct cdi_mfile *img = cdi_mindex_find(&snap.ix, "store");
    /* the replica's content is the image: its SHA-256 names it */
    if (!img) { rc = cdi_fail(err, CD_E_CORRUPT, "mirror %s: the index lists no store image", snap.source); goto out; }
    st = into_state(into, &had, err);
    if (st < 0) { rc = -st; goto out; }
    out->generation = snap.ix.generation;
    out->published = snap.ix.published;
    out->certs = snap.ix.certs;
    out->fetched_files = snap.fetched_files;
    out->fetched_bytes = snap.fetched_bytes;
    int same_image = st == 1 && had.image && !strcmp(had.image, img->sha256);
    if (same_image && had.generation == snap.ix.generation && !strcmp(had.source, snap.source)) {
        out->updated = 0;               /* this very snapshot: nothing written */
        goto out;
    }
    if (same_image) {
        /* the same content republished (a new generation, or another
         * address): the replica's own keys change, in one transaction,
         * and its 190 MB stay where they are */
        if (chmod(into, 0600)) { rc = cdi_fail(err, CD_E_IO, "cannot update %s: %s", into, strerror(errno)); goto out; }
        rc = mark_replica(into, 0, &snap, img->sha256, snap.index, err);
        if (chmod(into, 0444) && !rc) rc = cdi_fail(err, CD_E_IO, "cannot update %s: %s", into, strerror(errno));
        if (rc) goto out;
        out->updated = 1;
        goto out;
    }
    if (early.started && early.rc) {
        rc = early.rc;
        *err = early.err;
        goto out;
    }
    if (early.tmp) {
        tmp = early.tmp;             /* copied and on disk already: only its keys are left */
        early.tmp = NULL;
    } else if ((rc = copy_image(snap.image, into, &tmp, err))) {
        goto out;
    }
    if ((rc = mark_replica(tmp, 1, &snap, img->sha256, snap.index, err))) goto out;
    if (chmod(tmp, 0444) || fsync_path(tmp, 0)) {
        rc = cdi_fail(err, CD_E_IO, "cannot write %s: %s", tmp, strerror(errno));
        goto out;
    }
    if (rename(tmp, into)) { rc = cdi_fail(err, CD_E_IO, "cannot replace %s: %s", into, strerror(errno)); goto out; }
    free(tmp);
    tmp = NULL;
    char *dir = strdup(into), *sl = dir ? strrchr(dir, '/') : NULL;
    if (sl) *sl = 0;
    if (dir) (void)fsync_path(sl ? (*dir ? dir : "/") : ".", 1);
    free(dir);
    out->updated = 1;
out:
    if (tmp) {
        char *j = cdi_printf("%s-journal", tmp);
        if (j) unlink(j);
        free(j);
        unlink(tmp);
        free(tmp);
    }
    early_drop(&early);
    had_clear(&had);
    cdi_msnap_clear(&snap);
    return rc;
}
