/* certdeck core — the verified local cache of a mirror (cdi_mirror_sync)
 * and the complete check of a snapshot (cd_mirror_verify), over the
 * transfer layer (mirror_fetch.c).
 *
 * The cache of a source is $XDG_CACHE_HOME/certdeck/mirrors/<key>/ (0700;
 * key: the first 16 hex digits of the SHA-256 of the source's address):
 *     state.json             source, ETag/Last-Modified of the pointer, the
 *                            current index's name, when it was last checked
 *     index-<hex>.json/.sig  the current index and its signature
 *     files/<hex>.<ext>      the snapshot's files, each checked against the
 *                            index before it was put there
 *     lock                   one sync at a time (flock)
 * state.json is the switch: it is replaced (rename) only once everything
 * it names is in place and verified, so a failure at any step leaves the
 * cache as it was (new files are downloaded under temporary names and
 * removed on failure).  The signer a mirror was first trusted with is
 * remembered in $XDG_CONFIG_HOME/certdeck/mirrors/<key>.pem.
 *
 * Nothing there is trusted for being there: every folder certdeck makes
 * or uses (certdeck/, mirrors/, <key>/, files/, on both sides) must be a
 * real folder of ours that no one else may write in, the remembered
 * signer a file of ours, and cached files are opened without following
 * links.  A cached file counts as verified only when its bytes hash to
 * the index's SHA-256, or, for the big store image, when it is still the
 * very file (device, inode, size, mtime) state.json recorded when it was
 * verified: the console's first frame does not re-hash 190 MB. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <jansson.h>
#include "mirror_sync_int.h"



static void state_clear(struct state *s)
{
    free(s->source);
    free(s->index);
    cdi_mcond_clear(&s->cond);
    memset(s, 0, sizeof *s);
}

/* $VAR, else ~/fallback: absolute paths only; *base: the length of that
 * part (the user's folder, before certdeck's own). */
static char *xdg(const char *var, const char *fallback, size_t *base)
{
    const char *x = getenv(var), *home = getenv("HOME");
    char *p = NULL;
    if (x && x[0] == '/') p = cdi_printf("%s/certdeck/mirrors", x);
    else if (home && home[0] == '/') p = cdi_printf("%s/%s/certdeck/mirrors", home, fallback);
    if (p) *base = strlen(p) - strlen("/certdeck/mirrors");
    return p;
}

static int paths(struct run *r, const char *source, struct cd_err *err)
{
    char hex[65];
    cdi_sha256_hex(source, strlen(source), hex);
    hex[16] = 0;
    char *cache = xdg("XDG_CACHE_HOME", ".cache", &r->dir_base), *conf = xdg("XDG_CONFIG_HOME", ".config", &r->known_base);
    r->dir = cache ? cdi_printf("%s/%s", cache, hex) : NULL;
    r->known = conf ? cdi_printf("%s/%s.pem", conf, hex) : NULL;
    free(cache);
    free(conf);
    if (!r->dir || !r->known) return cdi_fail(err, CD_E_INVAL, "no home folder for the mirror's cache (set HOME)");
    return CD_OK;
}


static int own_cache(struct run *r, struct cd_err *err)
{
    char *files = in_dir(r, "files");
    int rc = files ? cdi_own_dirs(files, r->dir_base, "a mirror's cache", "XDG_CACHE_HOME", err) : oom(err);
    free(files);
    return rc;
}

/* The identity of an open file. */
static void ident_of(const struct stat *st, const char *name, struct ident *id)
{
    snprintf(id->name, sizeof id->name, "%s", name);
    id->dev = (int64_t)st->st_dev;
    id->ino = (int64_t)st->st_ino;
    id->size = (int64_t)st->st_size;
    id->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

/* A file the cache has counts as the index's file when it is a file of
 * ours of the right size whose bytes hash to the index's SHA-256, or the
 * store image state.json recorded as verified, unchanged since.  A
 * verified image's identity is left in r->st.img. */
static int cached_ok(struct run *r, const struct cdi_mfile *mf)
{
    char *p = in_dir(r, mf->name), hex[65];
    int fd = p ? open(p, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW) : -1, ok = 0;
    struct stat st;
    struct ident id;
    int64_t size = 0;
    free(p);
    if (fd < 0) return 0;
    if (fstat(fd, &st) || !cdi_file_ours(&st) || st.st_size != mf->size) goto out;
    ident_of(&st, mf->name, &id);
    int image = !strcmp(mf->role, "store");
    if (image && !memcmp(&id, &r->st.img, sizeof id)) { ok = 1; goto out; }
    ok = !cdi_sha256_fd(fd, hex, &size) && size == mf->size && !strcmp(hex, mf->sha256);
    if (ok && image) r->st.img = id;
out:
    close(fd);
    return ok;
}

/* "index-<64 hex>.json" and nothing else (it becomes a path). */
static int index_name_ok(const char *s)
{
    if (strlen(s) != 6 + 64 + 5 || strncmp(s, "index-", 6) || strcmp(s + 70, ".json")) return 0;
    for (int i = 6; i < 70; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

static char *sig_name(const char *index) { return cdi_printf("%.70s.sig", index); }

/* ---- state.json ---------------------------------------------------------------- */

static void state_load(struct run *r)
{
    char *p = in_dir(r, "state.json");
    struct cdi_buf b;
    if (!p || cdi_read_small(p, 65536, 1, &b)) { free(p); return; }
    free(p);
    json_t *j = json_loadb((const char *)b.p, b.len, 0, NULL);
    const char *src = json_string_value(json_object_get(j, "source")), *ix = json_string_value(json_object_get(j, "index"));
    json_t *ck = json_object_get(j, "checked"), *im = json_object_get(j, "image");
    if (src && ix && json_is_integer(ck) && index_name_ok(ix)) {
        const char *in = json_string_value(json_object_get(im, "name"));
        json_int_t dev = 0, ino = 0, size = 0, mt = 0;
        if (in && !json_unpack(im, "{s:I, s:I, s:I, s:I}", "dev", &dev, "ino", &ino, "size", &size, "mtime_ns", &mt)) {
            struct ident *id = &r->st.img;
            snprintf(id->name, sizeof id->name, "%s", in);
            id->dev = dev, id->ino = ino, id->size = size, id->mtime_ns = mt;
        }
        r->st.source = strdup(src);
        r->st.index = strdup(ix);
        /* validators may be null: the server sent none */
        r->st.cond.etag = cdi_strdup(json_string_value(json_object_get(j, "etag")));
        r->st.cond.last_modified = cdi_strdup(json_string_value(json_object_get(j, "last_modified")));
        r->st.checked = json_integer_value(ck);
    }
    json_decref(j);
    cdi_buf_free(&b);
}

static int state_save(struct run *r, const char *index, const struct cdi_mcond *cond, int64_t checked,
                      struct cd_err *err)
{
    /* the store image as it was verified (cached_ok, commit) */
    const struct ident *id = &r->st.img;
    json_t *img = id->name[0] ? json_pack("{s:s, s:I, s:I, s:I, s:I}", "name", id->name, "dev", (json_int_t)id->dev,
                                          "ino", (json_int_t)id->ino, "size", (json_int_t)id->size, "mtime_ns",
                                          (json_int_t)id->mtime_ns) : json_null();
    json_t *j = json_pack("{s:s, s:s, s:s?, s:s?, s:I, s:o}", "source", cdi_mfetch_source(r->f), "index", index,
                          "etag", cond->etag, "last_modified", cond->last_modified, "checked", (json_int_t)checked,
                          "image", img);
    char *text = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
    char *p = in_dir(r, "state.json");
    int rc = text && p ? cd_write_file(NULL, p, text, strlen(text), 0, err) : oom(err);
    json_decref(j);
    free(text);
    free(p);
    return rc;
}

/* The snapshot the cache holds, when it is whole: the index state.json
 * names, its signature, and every file it lists, each still the file that
 * was verified (cached_ok).  A cache in folders that are not safely ours
 * is not read. */
static void cache_load(struct run *r)
{
    struct cd_err e = { 0 };
    if (cdi_check_dirs(r->dir, r->dir_base, "", "", &e)) return;
    state_load(r);
    if (!r->st.index || !r->st.source || strcmp(r->st.source, cdi_mfetch_source(r->f))) return;
    char *ip = in_dir(r, r->st.index), *sn = sig_name(r->st.index), *sp = sn ? in_dir(r, sn) : NULL;
    int ok = ip && sp && !cdi_read_small(ip, CDI_MIRROR_INDEX_MAX, 1, &r->cidx) && !cdi_read_small(sp, SIG_MAX, 1, &r->csig) &&
             !cdi_mindex_parse((const char *)r->cidx.p, r->cidx.len, &r->cix, &e);
    for (size_t i = 0; ok && i < r->cix.n; i++) ok = cached_ok(r, &r->cix.files[i]);
    r->cached = ok;
    free(ip);
    free(sn);
    free(sp);
}

/* ---- the files ----------------------------------------------------------------- */

static void drop_tmps(struct run *r)
{
    for (size_t i = 0; i < r->ntmps; i++) {
        if (r->tmps[i]) unlink(r->tmps[i]);
        free(r->tmps[i]);
    }
    free(r->tmps);
    r->tmps = NULL;
    r->ntmps = 0;
}

/* One file: fetched (into a temporary file in the cache, or nowhere when
 * verifying), its size and SHA-256 checked against the index. */
static int fetch_one(struct run *r, const struct cdi_mfile *mf, struct cd_err *err)
{
    int64_t max = r->o->max_size > 0 ? r->o->max_size : CD_MIRROR_MAX_SIZE, got = 0;
    char sha[65], *tmp = NULL;
    int fd = -1, rc;
    if (mf->size > max)
        return cdi_fail(err, CD_E_IO, "mirror %s: %s: %lld bytes, larger than the limit of %lld bytes (--max-size)",
                        r->w, mf->name, (long long)mf->size, (long long)max);
    /* verifying keeps nothing, but the store image is read whole by
     * SQLite as a pull would (vimage: a temporary file of its own, removed
     * once checked) */
    const char *tdir = getenv("TMPDIR");
    if (r->verify && !strcmp(mf->role, "store")) {
        if ((tmp = cdi_printf("%s/certdeck-verify-XXXXXX", tdir && *tdir ? tdir : "/tmp"))) fd = mkostemp(tmp, O_CLOEXEC);
        if (fd < 0 && tmp) {
            rc = cdi_fail(err, CD_E_IO, "cannot write a temporary file in %s: %s", tdir && *tdir ? tdir : "/tmp",
                          strerror(errno));
            free(tmp);
            return rc;
        }
        r->vimage = tmp;
        tmp = NULL;
    } else if (r->verify) {
        fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    } else if ((tmp = cdi_printf("%s/files/.part-XXXXXX", r->dir))) {
        fd = mkostemp(tmp, O_CLOEXEC);
    }
    if (fd < 0) {
        rc = tmp ? cdi_fail(err, CD_E_IO, "cannot write in %s/files: %s", r->dir, strerror(errno)) : oom(err);
        free(tmp);
        return rc;
    }
    if (tmp) {
        char **t = realloc(r->tmps, (r->ntmps + 1) * sizeof *t);
        if (!t) { close(fd); unlink(tmp); free(tmp); return oom(err); }
        r->tmps = t;
        r->tmps[r->ntmps++] = tmp;
    }
    rc = cdi_mfetch_file(r->f, mf->name, mf->size, fd, sha, &got, err);
    if (close(fd) && !rc) rc = cdi_fail(err, CD_E_IO, "cannot write in %s/files: %s", r->dir, strerror(errno));
    if (rc) return rc;
    if (got != mf->size)
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s: %lld bytes, the index gives %lld", r->w, mf->name,
                        (long long)got, (long long)mf->size);
    if (strcmp(sha, mf->sha256))
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s: SHA-256 does not match the index", r->w, mf->name);
    if (r->vimage && (rc = cdi_image_quick_check(r->vimage, mf->name, err))) return wrap(err, rc, r->w, NULL);
    r->fetched++;
    r->fetched_bytes += got;
    return CD_OK;
}

static int fetch_files(struct run *r, const struct cdi_mindex *ix, struct cd_err *err)
{
    for (size_t i = 0; i < ix->n; i++) {
        const struct cdi_mfile *mf = &ix->files[i];
        /* one content, one file: a CA that is also the signer is fetched once */
        int dup = 0;
        for (size_t j = 0; j < i && !dup; j++) dup = !strcmp(ix->files[j].name, mf->name);
        if (!r->verify) {
            /* a file the cache has, still the one verified, is not fetched again */
            int have = dup || cached_ok(r, mf);
            if (have) {
                r->tmps = realloc(r->tmps, (r->ntmps + 1) * sizeof *r->tmps);
                if (!r->tmps) return oom(err);
                r->tmps[r->ntmps++] = NULL;     /* keeps tmps[i] matching ix->files[i] */
                continue;
            }
        }
        if (dup) continue;
        int rc = fetch_one(r, mf, err);
        if (rc) return rc;
    }
    return CD_OK;
}

/* Everything is verified: the new files into place, then the index and its
 * signature, then state.json, the switch. */
static int commit(struct run *r, const char *index, const struct cdi_buf *idx, const struct cdi_buf *sig,
                  const struct cdi_mindex *ix, const struct cdi_mcond *cond, struct cd_err *err)
{
    int rc = CD_OK;
    for (size_t i = 0; i < r->ntmps && !rc; i++) {
        if (!r->tmps[i]) continue;
        char *dst = in_dir(r, ix->files[i].name);
        if (!dst) rc = oom(err);
        else if (rename(r->tmps[i], dst)) rc = cdi_fail(err, CD_E_IO, "cannot write %s: %s", dst, strerror(errno));
        else { free(r->tmps[i]); r->tmps[i] = NULL; }
        free(dst);
    }
    /* the image as verified (hashed as it arrived, or by cached_ok): its identity */
    const struct cdi_mfile *img = cdi_mindex_find(ix, "store");
    char *imp = img ? in_dir(r, img->name) : NULL;
    struct stat st;
    if (!rc && img && strcmp(r->st.img.name, img->name)) {
        if (!imp) rc = oom(err);
        else if (lstat(imp, &st)) rc = cdi_fail(err, CD_E_IO, "cannot read %s: %s", imp, strerror(errno));
        else ident_of(&st, img->name, &r->st.img);
    }
    free(imp);
    char *sn = sig_name(index), *ip = in_dir(r, index), *sp = sn ? in_dir(r, sn) : NULL;
    if (!rc && (!ip || !sp)) rc = oom(err);
    if (!rc) rc = cd_write_file(NULL, ip, idx->p, idx->len, 0, err);
    if (!rc) rc = cd_write_file(NULL, sp, sig->p, sig->len, 0, err);
    if (!rc) rc = state_save(r, index, cond, cdi_now(), err);
    free(sn);
    free(ip);
    free(sp);
    return rc;
}

/* A store image new to the cache, whole to SQLite (signed and hashed is
 * not enough: a publisher's damaged disk signs damage too), before the
 * cache takes it; one already there was checked when it came. */
static int check_image(struct run *r, const struct cdi_mindex *ix, const struct cdi_mhook *hook, struct cd_err *err)
{
    for (size_t i = 0; i < ix->n && i < r->ntmps; i++) {
        if (!r->tmps[i] || strcmp(ix->files[i].role, "store")) continue;
        int fd = hook ? open(r->tmps[i], O_RDONLY | O_NOFOLLOW | O_CLOEXEC) : -1;
        if (fd >= 0) hook->ready(hook->ctx, fd);
        int rc = cdi_image_quick_check(r->tmps[i], ix->files[i].name, err);
        if (rc) return wrap(err, rc, r->w, NULL);
    }
    return CD_OK;
}

/* ---- one sync ------------------------------------------------------------------ */

static void run_clear(struct run *r)
{
    drop_tmps(r);
    if (r->vimage) unlink(r->vimage);
    free(r->vimage);
    if (r->lockfd >= 0) close(r->lockfd);
    cdi_mfetch_close(r->f);
    free(r->dir);
    free(r->known);
    free(r->made);
    state_clear(&r->st);
    cdi_buf_free(&r->cidx);
    cdi_buf_free(&r->csig);
    cdi_mindex_clear(&r->cix);
    if (r->pem) cdi_wipe(r->pem, r->pemlen);
    free(r->pem);
}

/* The cache folder, made when missing, and its lock held.  A sync that
 * fails in a cache it found empty removes it (cdi_cache_unmake), lock too,
 * perhaps while this one waits for that lock: then it starts again. */
static int lock_cache(struct run *r, struct cd_err *err)
{
    r->made = cdi_first_missing(r->dir);
    for (int tries = 0;; tries++) {
        int rc = own_cache(r, err);
        if (rc) return rc;
        char *p = in_dir(r, "lock");
        r->lockfd = p ? open(p, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600) : -1;
        if (r->lockfd < 0 || flock(r->lockfd, LOCK_EX)) {
            free(p);
            return cdi_fail(err, CD_E_IO, "cannot lock the mirror's cache %s: %s", r->dir, strerror(errno));
        }
        struct stat a, b;
        int same = !fstat(r->lockfd, &a) && !lstat(p, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
        free(p);
        if (same) break;
        close(r->lockfd);
        r->lockfd = -1;
        if (tries == 5) return cdi_fail(err, CD_E_BUSY, "the mirror's cache %s keeps changing; try again", r->dir);
    }
    char *sp = in_dir(r, "state.json");
    struct stat st;
    if (!sp) return oom(err);
    r->fresh = lstat(sp, &st) && errno == ENOENT;
    free(sp);
    return CD_OK;
}

/* The pointer's one line, checked; caller frees. */
static int read_pointer(struct run *r, struct cdi_buf *b, char **name, struct cd_err *err)
{
    size_t n = b->len;
    while (n && (b->p[n - 1] == '\n' || b->p[n - 1] == '\r' || b->p[n - 1] == ' ')) n--;
    b->p[n] = 0;
    if (!index_name_ok((const char *)b->p))
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: current: not the name of an index", r->w);
    *name = strdup((const char *)b->p);
    return *name ? CD_OK : oom(err);
}

/* The snapshot the cache holds, its signature checked again (the trusted
 * signer may have changed since). */
static int use_cache(struct run *r, struct cd_err *err)
{
    return cdi_msync_verify_index(r, r->st.index, &r->cidx, &r->csig, &r->cix, 1, 1, err);
}

static int older(struct run *r, const struct cdi_mindex *ix, int64_t seen, struct cd_err *err)
{
    return cdi_fail(err, CD_E_CRYPTO, "mirror %s: the mirror serves generation %lld, older than generation %lld already "
                    "seen here (a replay of an old snapshot?); refused", r->w, (long long)ix->generation,
                    (long long)seen);
}

/* Rollback protection: a snapshot older than one already seen here (the
 * cache's, a replica's) is refused, and so is another snapshot under a
 * generation already seen (the publisher counts up: never two snapshots
 * of one generation).  An old snapshot is validly signed; served again by
 * the mirror or a man in the middle, it would undo revocations.  Compared
 * only with what the same signer published (another signer, trusted
 * anew, is another publisher with generations of its own). */
static int not_older(struct run *r, const char *name, const struct cdi_mindex *ix, struct cd_err *err)
{
    const struct cdi_mseen none = { 0 };
    const struct cdi_mseen cache = { r->cix.generation, r->st.index, r->cix.signer_sha256 };
    const struct cdi_mseen *seen[2] = { &cache, r->seen ? r->seen : &none };
    for (int i = 0; i < 2; i++) {
        const struct cdi_mseen *x = seen[i];
        if (x->generation <= 0 || (x->signer_sha256 && *x->signer_sha256 &&
                                   strcasecmp(x->signer_sha256, ix->signer_sha256)))
            continue;
        if (ix->generation < x->generation) return older(r, ix, x->generation, err);
        if (ix->generation == x->generation && x->index && *x->index && strcmp(x->index, name))
            return cdi_fail(err, CD_E_CRYPTO, "mirror %s: the mirror serves another snapshot (%s) under generation %lld, "
                            "the generation of the snapshot already seen here (%s); a publisher never reuses a "
                            "generation; refused", r->w, name, (long long)ix->generation, x->index);
    }
    return CD_OK;
}

/* What a fresh snapshot needs: its index and signature (verified), no
 * older than what was seen here, then its files.  idx, sig and ix are the
 * caller's. */
static int fetch_snapshot(struct run *r, const char *name, struct cdi_buf *idx, struct cdi_buf *sig,
                          struct cdi_mindex *ix, struct cd_err *err)
{
    char *sn = sig_name(name), hex[65];
    int rc = sn ? cdi_mfetch_mem(r->f, name, CDI_MIRROR_INDEX_MAX, NULL, NULL, NULL, idx, err) : oom(err);
    if (!rc) rc = cdi_mfetch_mem(r->f, sn, SIG_MAX, NULL, NULL, NULL, sig, err);
    free(sn);
    if (rc) return rc;
    cdi_sha256_hex(idx->p, idx->len, hex);
    if (strncmp(hex, name + 6, 64))
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s: SHA-256 does not match its name", r->w, name);
    if ((rc = cdi_msync_verify_index(r, name, idx, sig, ix, 0, 0, err))) return rc;
    if ((rc = not_older(r, name, ix, err))) return rc;
    return fetch_files(r, ix, err);
}

static int fill(struct run *r, struct cdi_msnap *out, const char *name, struct cdi_mindex *ix, int64_t checked,
                struct cd_err *err)
{
    const struct cdi_mfile *st = cdi_mindex_find(ix, "store");
    if (!st) return cdi_fail(err, CD_E_CORRUPT, "mirror %s: the index lists no store image", r->w);
    out->source = strdup(cdi_mfetch_source(r->f));
    out->dir = strdup(r->dir);
    out->image = in_dir(r, st->name);
    snprintf(out->index, sizeof out->index, "%s", name);
    out->ix = *ix;
    memset(ix, 0, sizeof *ix);
    out->checked = checked;
    out->fetched_files = r->fetched;
    out->fetched_bytes = r->fetched_bytes;
    return out->source && out->dir && out->image ? CD_OK : oom(err);
}

static int sync_run(const char *src, const struct cd_mirror_opts *o, int offline_ok, const struct cdi_mseen *seen,
                    const struct cdi_mhook *hook, struct cdi_msnap *out, struct cd_err *err)
{
    static const struct cd_mirror_opts none = { 0 };
    struct run r = { .o = o ? o : &none, .lockfd = -1, .seen = seen };
    struct cdi_buf ptr = { 0 }, idx = { 0 }, sig = { 0 };
    struct cdi_mindex ix = { 0 };
    struct cdi_mcond got = { 0 };
    char *name = NULL;
    int unchanged = 0;
    memset(out, 0, sizeof *out);
    int rc = cdi_mfetch_open(src, r.o, &r.f, err);
    if (rc) return rc;
    r.w = cdi_mfetch_folder(r.f) ? cdi_mfetch_folder(r.f) : cdi_mfetch_source(r.f);
    if ((rc = paths(&r, cdi_mfetch_source(r.f), err)) || (rc = lock_cache(&r, err))) goto out;
    cache_load(&r);
    rc = cdi_mfetch_mem(r.f, "current", CDI_MIRROR_POINTER_MAX, r.cached ? &r.st.cond : NULL, &unchanged, &got, &ptr, err);
    if (rc) goto out;
    if (unchanged && r.cached) {
        name = strdup(r.st.index);
        if (!name) { rc = oom(err); goto out; }
        /* a 304 may leave out the validators: keep the ones we have */
        if (!got.etag && !got.last_modified) { got = r.st.cond; memset(&r.st.cond, 0, sizeof r.st.cond); }
    } else if ((rc = read_pointer(&r, &ptr, &name, err))) {
        goto out;
    }
    if (r.cached && !strcmp(name, r.st.index)) {
        /* the snapshot the cache has: one request, nothing else fetched */
        /* a signer accepted now (trust on first use) is remembered whatever
         * the cache held */
        if ((rc = use_cache(&r, err)) || (rc = state_save(&r, name, &got, cdi_now(), err)) ||
            (rc = cdi_msync_remember(&r, err)))
            goto out;
        rc = fill(&r, out, name, &r.cix, cdi_now(), err);
        goto out;
    }
    if ((rc = fetch_snapshot(&r, name, &idx, &sig, &ix, err))) goto out;
    if ((rc = check_image(&r, &ix, hook, err))) goto out;
    if ((rc = commit(&r, name, &idx, &sig, &ix, &got, err))) goto out;
    if ((rc = cdi_msync_remember(&r, err))) goto out;
    cdi_cache_prune(r.dir, name, &ix);
    out->changed = 1;
    rc = fill(&r, out, name, &ix, cdi_now(), err);
out:
    if (rc && rc != CD_E_NOMEM && offline_ok && r.f && cdi_mfetch_unreachable(r.f) && r.cached) {
        /* offline: the snapshot verified earlier, said so */
        char why[sizeof err->msg], when[24];
        const char *m = err->msg, *c = strstr(m, ": ");
        snprintf(why, sizeof why, "%s", c && !strncmp(m, "mirror ", 7) ? c + 2 : m);
        cdi_fmt_time(r.st.checked, when, sizeof when);
        memset(out, 0, sizeof *out);
        rc = use_cache(&r, err);
        if (!rc) rc = cdi_msync_remember(&r, err);
        if (!rc) rc = fill(&r, out, r.st.index, &r.cix, r.st.checked, err);
        if (!rc && !(out->warning = cdi_printf("the mirror could not be reached (%s); showing the snapshot cached at %s UTC",
                                               why, when)))
            rc = oom(err);
    }
    if (rc) cdi_msnap_clear(out);
    if (rc && r.fresh && r.lockfd >= 0) {
        drop_tmps(&r);
        cdi_cache_unmake(r.dir, r.made);
    }
    free(name);
    cdi_buf_free(&ptr);
    cdi_buf_free(&idx);
    cdi_buf_free(&sig);
    cdi_mindex_clear(&ix);
    cdi_mcond_clear(&got);
    run_clear(&r);
    return rc;
}

int cdi_mirror_sync(const char *src, const struct cd_mirror_opts *o, int offline_ok, struct cdi_msnap *out,
                    struct cd_err *err)
{
    return sync_run(src, o, offline_ok, NULL, NULL, out, err);
}

int cdi_mirror_sync_hook(const char *src, const struct cd_mirror_opts *o, const struct cdi_mseen *seen,
                         const struct cdi_mhook *hook, struct cdi_msnap *out, struct cd_err *err)
{
    return sync_run(src, o, 0, seen, hook, out, err);
}

void cdi_msnap_clear(struct cdi_msnap *m)
{
    if (!m) return;
    free(m->source);
    free(m->dir);
    free(m->image);
    cdi_mindex_clear(&m->ix);
    free(m->warning);
    memset(m, 0, sizeof *m);
}

int cd_mirror_verify(const char *url, const struct cd_mirror_opts *o, struct cd_mirror_info *out, struct cd_err *err)
{
    static const struct cd_mirror_opts none = { 0 };
    struct run r = { .o = o ? o : &none, .lockfd = -1, .verify = 1 };
    struct cdi_buf ptr = { 0 }, idx = { 0 }, sig = { 0 };
    struct cdi_mindex ix = { 0 };
    char *name = NULL;
    if (out) memset(out, 0, sizeof *out);
    int rc = cdi_mfetch_open(url, r.o, &r.f, err);
    if (rc) return rc;
    r.w = cdi_mfetch_folder(r.f) ? cdi_mfetch_folder(r.f) : cdi_mfetch_source(r.f);
    if ((rc = paths(&r, cdi_mfetch_source(r.f), err))) goto out;
    /* the cache, when there is one, only read: what was seen here */
    cache_load(&r);
    if ((rc = cdi_mfetch_mem(r.f, "current", CDI_MIRROR_POINTER_MAX, NULL, NULL, NULL, &ptr, err))) goto out;
    if ((rc = read_pointer(&r, &ptr, &name, err))) goto out;
    if ((rc = fetch_snapshot(&r, name, &idx, &sig, &ix, err))) goto out;
    if ((rc = cdi_msync_remember(&r, err))) goto out;
    if (out) {
        out->source = strdup(cdi_mfetch_source(r.f));
        out->signer = cdi_strdup(ix.signer_subject);
        snprintf(out->signer_sha256, sizeof out->signer_sha256, "%s", ix.signer_sha256);
        out->generation = ix.generation;
        out->published = ix.published;
        out->checked = cdi_now();
        if (!out->source || (ix.signer_subject && !out->signer)) rc = oom(err);
    }
out:
    if (rc && out) cd_mirror_info_clear(out);
    free(name);
    cdi_buf_free(&ptr);
    cdi_buf_free(&idx);
    cdi_buf_free(&sig);
    cdi_mindex_clear(&ix);
    run_clear(&r);
    return rc;
}
