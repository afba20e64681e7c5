/* certdeck core — publishing a mirror snapshot (cd_mirror_publish): the
 * store image, each CA's certificate and current CRL, the signer's
 * certificate, the signed index, then the one rename of `current` that
 * switches readers to the new generation, and the removal of what no kept
 * generation references.
 *
 * The folder is served as it is by a web server: files are 0644, folders
 * 0755 (not cd_write_file's 0600).  Every file is written to a temporary
 * name in files/, synced, and renamed into place, so a reader never sees a
 * partial file; only certdeck's own names are ever removed from DIR. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include "mirror_int.h"

#define KEEP_MAX 100

/* ---- files ------------------------------------------------------------- */

static int mkdir_p(const char *dir, struct cd_err *err)
{
    char *d = strdup(dir);
    if (!d) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = CD_OK;
    for (char *p = d + 1;; p++) {
        if (*p && *p != '/') continue;
        char c = *p;
        *p = 0;
        if (mkdir(d, 0755) && errno != EEXIST) {
            rc = cdi_fail(err, CD_E_IO, "cannot create the folder %s: %s", d, strerror(errno));
            break;
        }
        *p = c;
        if (!c) break;
    }
    free(d);
    struct stat st;
    if (!rc && (stat(dir, &st) || !S_ISDIR(st.st_mode)))
        rc = cdi_fail(err, CD_E_IO, "%s is not a folder", dir);
    return rc;
}

/* DIR (through the links that name it) and DIR/files (no link) must be
 * folders of ours that no one else may write: another user who may would
 * replace a file between its check and its signature, or plant one. */
static int folder_ours(const char *dir, const char *files, struct cd_err *err)
{
    char *real = realpath(dir, NULL), why[80];
    const char *bad = real ? cdi_dir_unsafe(real, why, sizeof why) : strerror(errno);
    const char *which = dir;
    free(real);
    if (!bad) {
        bad = cdi_dir_unsafe(files, why, sizeof why);
        which = files;
    }
    if (!bad) return CD_OK;
    return cdi_fail(err, CD_E_INVAL, "%s: %s; a snapshot is published only into folders of the publishing user "
                    "that no one else may write in (another could alter a file before it is signed): chown it, "
                    "or chmod go-w it", which, bad);
}

static void sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) { (void)fsync(fd); close(fd); }
}

/* A new temporary name in DIR/files: files/.tmp-<random><ext>. */
static char *temp_name(const char *dir, const char *ext)
{
    unsigned char r[8];
    char hex[17];
    if (gnutls_rnd(GNUTLS_RND_NONCE, r, sizeof r) < 0) return NULL;
    cdi_hex(r, sizeof r, hex);
    return cdi_printf("%s/files/.tmp-%s%s", dir, hex, ext);
}

static int write_all(int fd, const unsigned char *p, size_t n)
{
    while (n) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static char *slurp(const char *path, size_t max, size_t *len);

/* Writes DIR/name (public, 0644) through a temporary file and a rename.
 * skip_same: a file of that name already there with this very content
 * (content-named files) is kept; one damaged in place is replaced;
 * *written says whether one was made. */
static int put_file(const char *dir, const char *name, const void *data, size_t len, int skip_same, int *written,
                    struct cd_err *err)
{
    char *path = cdi_printf("%s/%s", dir, name), *tmp = temp_name(dir, "");
    int rc = CD_OK, fd = -1, e = 0;
    struct stat st;
    if (written) *written = 0;
    if (!path || !tmp) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if (skip_same && !lstat(path, &st) && S_ISREG(st.st_mode) && st.st_size == (off_t)len) {
        size_t have = 0;
        char *old = slurp(path, len, &have);
        int same = old && have == len && !memcmp(old, data, len);
        free(old);
        if (same) goto out;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || fchmod(fd, 0644) || write_all(fd, data, len) || fsync(fd)) e = errno;
    if (fd >= 0 && close(fd) && !e) e = errno;
    if (!e && rename(tmp, path)) e = errno;
    if (e) {
        if (fd >= 0) unlink(tmp);
        rc = cdi_fail(err, e == ENOSPC ? CD_E_FULL : CD_E_IO, "cannot write %s: %s", path, strerror(e));
        goto out;
    }
    if (written) *written = 1;
out:
    free(path);
    free(tmp);
    return rc;
}

/* Reads a small file whole (at most max bytes); NULL and errno when not. */
static char *slurp(const char *path, size_t max, size_t *len)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return NULL;
    struct cdi_buf b = { 0 };
    unsigned char buf[8192];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0 && b.len <= max) cdi_buf_add(&b, buf, (size_t)r);
    close(fd);
    if (r < 0 || b.oom || b.len > max) { cdi_buf_free(&b); errno = r < 0 ? errno : EFBIG; return NULL; }
    cdi_buf_add(&b, "", 1);
    *len = b.len - 1;
    return (char *)b.p;
}

static int hash_file(const char *path, char hex[65], int64_t *size, struct cd_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return cdi_fail(err, CD_E_IO, "cannot read %s: %s", path, strerror(errno));
    int e = cdi_sha256_fd(fd, hex, size) || fsync(fd) ? errno : 0;
    close(fd);
    return e ? cdi_fail(err, CD_E_IO, "cannot read %s: %s", path, strerror(e)) : CD_OK;
}

/* ---- names and generations ---------------------------------------------- */

static int hex64(const char *s)
{
    for (int i = 0; i < 64; i++) if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* "index-<64 hex><suffix>" exactly. */
static int is_index_name(const char *n, const char *suffix)
{
    return strlen(n) == 6 + 64 + strlen(suffix) && !strncmp(n, "index-", 6) && hex64(n + 6) && !strcmp(n + 70, suffix);
}

/* "<64 hex>.db|.pem|.crl" exactly (in files/). */
static int is_file_name(const char *n)
{
    size_t l = strlen(n);
    return l > 64 && hex64(n) && (!strcmp(n + 64, ".db") || !strcmp(n + 64, ".pem") || !strcmp(n + 64, ".crl"));
}

static int read_index(const char *dir, const char *name, struct cdi_mindex *ix, struct cd_err *err)
{
    char *path = cdi_printf("%s/%s", dir, name);
    size_t len = 0;
    char *t = path ? slurp(path, CDI_MIRROR_INDEX_MAX, &len) : NULL;
    int rc = t ? cdi_mindex_parse(t, len, ix, err)
               : cdi_fail(err, CD_E_IO, "cannot read %s: %s", path ? path : name, strerror(errno));
    free(t);
    free(path);
    return rc;
}

/* The generation DIR/current names (0: none yet). */
static int current_generation(const char *dir, int64_t *gen, struct cd_err *err)
{
    char *path = cdi_printf("%s/current", dir);
    size_t len = 0;
    struct cdi_mindex ix = { 0 };
    *gen = 0;
    if (!path) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    char *t = slurp(path, CDI_MIRROR_POINTER_MAX, &len);
    int rc = CD_OK;
    if (!t) {
        if (errno != ENOENT) rc = cdi_fail(err, CD_E_IO, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    while (len && (t[len - 1] == '\n' || t[len - 1] == '\r')) t[--len] = 0;
    /* the next generation must be higher than any a reader has seen: a
     * damaged pointer is not taken for a fresh start */
    if (!is_index_name(t, ".json"))
        rc = cdi_fail(err, CD_E_CORRUPT, "%s does not name an index; remove it only if no reader has seen this "
                      "mirror (the generation starts again at 1)", path);
    else if ((rc = read_index(dir, t, &ix, err)))
        rc = cdi_fail(err, rc, "the current snapshot in %s cannot be read (%s); remove %s only if no reader has "
                      "seen this mirror (the generation starts again at 1)", dir, cd_errmsg(err, rc), path);
    else
        *gen = ix.generation;
out:
    cdi_mindex_clear(&ix);
    free(t);
    free(path);
    return rc;
}

/* ---- garbage collection --------------------------------------------------- */

struct gen { char name[80]; int64_t generation; struct cdi_mindex ix; };

static int gen_cmp(const void *a, const void *b)
{
    const struct gen *x = a, *y = b;
    return x->generation < y->generation ? 1 : x->generation > y->generation ? -1 : strcmp(x->name, y->name);
}

static void rm_in(const char *dir, const char *sub, const char *name)
{
    char *p = sub ? cdi_printf("%s/%s/%s", dir, sub, name) : cdi_printf("%s/%s", dir, name);
    if (p) unlink(p);
    free(p);
}

/* Removes certdeck's own names in dir that neither the index `cur` nor the
 * `keep` newest other generations reference; never anything else. */
static void collect(const char *dir, const char *cur, int keep)
{
    DIR *d = opendir(dir);
    struct gen *g = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    if (!d) return;
    while ((e = readdir(d))) {
        if (!is_index_name(e->d_name, ".json") || !strcmp(e->d_name, cur)) continue;
        struct gen *x = cdi_grow(&g, n, &cap, sizeof *x);
        if (!x) break;
        snprintf(x->name, sizeof x->name, "%.75s", e->d_name);
        /* an index that cannot be read is referenced by no generation */
        x->generation = read_index(dir, x->name, &x->ix, NULL) ? -1 : x->ix.generation;
        n++;
    }
    closedir(d);
    if (n) qsort(g, n, sizeof *g, gen_cmp);
    struct cdi_mindex now = { 0 };
    int have_now = !read_index(dir, cur, &now, NULL);
    /* the kept indexes and signatures; the others go */
    for (size_t i = 0; i < n; i++) {
        if ((int)i < keep && g[i].generation > 0) continue;
        char sig[80];
        snprintf(sig, sizeof sig, "%.70s.sig", g[i].name);
        rm_in(dir, NULL, g[i].name);
        rm_in(dir, NULL, sig);
    }
    if ((d = opendir(dir))) {
        while ((e = readdir(d))) {
            if (!is_index_name(e->d_name, ".sig")) continue;
            char json[80];
            struct stat st;
            snprintf(json, sizeof json, "%.70s.json", e->d_name);
            char *p = cdi_printf("%s/%s", dir, json);
            if (p && lstat(p, &st) && errno == ENOENT) rm_in(dir, NULL, e->d_name);
            free(p);
        }
        closedir(d);
    }
    char *files = cdi_printf("%s/files", dir);
    if (have_now && files && (d = opendir(files))) {
        while ((e = readdir(d))) {
            const char *nm = e->d_name;
            if (!strncmp(nm, ".tmp-", 5)) { rm_in(dir, "files", nm); continue; }
            if (!is_file_name(nm)) continue;
            int used = 0;
            for (size_t i = 0; i <= n && !used; i++) {
                const struct cdi_mindex *ix = i == n ? &now : (int)i < keep && g[i].generation > 0 ? &g[i].ix : NULL;
                for (size_t k = 0; ix && k < ix->n && !used; k++) used = !strcmp(ix->files[k].name + 6, nm);
            }
            if (!used) rm_in(dir, "files", nm);
        }
        closedir(d);
        sync_dir(files);
    }
    sync_dir(dir);
    free(files);
    cdi_mindex_clear(&now);
    for (size_t i = 0; i < n; i++) cdi_mindex_clear(&g[i].ix);
    free(g);
}

/* ---- publish ------------------------------------------------------------------ */

struct pub {
    const char *dir;
    struct cdi_mindex ix;
    size_t cap;
    struct cd_mirror_published *out;
};

/* Adds a file (already at files/<hex><ext> or written now) to the index. */
static int add_file(struct pub *p, const char *role, int64_t ca_id, const void *data, size_t len, const char *ext,
                    struct cd_err *err)
{
    char hex[65], name[96];
    cdi_sha256_hex(data, len, hex);
    snprintf(name, sizeof name, "files/%s%s", hex, ext);
    int written = 0;
    int rc = put_file(p->dir, name, data, len, 1, &written, err);
    if (rc) return rc;
    /* one content, one file: the signer's certificate is listed twice
     * (as a ca and as the signer) but counted once */
    int again = 0;
    for (size_t i = 0; i < p->ix.n && !again; i++) again = !strcmp(p->ix.files[i].name, name);
    struct cdi_mfile *f = cdi_grow(&p->ix.files, p->ix.n, &p->cap, sizeof *f);
    if (!f) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    p->ix.n++;
    f->name = strdup(name);
    f->role = strdup(role);
    f->ca_id = ca_id;
    f->size = (int64_t)len;
    memcpy(f->sha256, hex, 65);
    p->out->written += (size_t)written;
    if (!again) {
        p->out->files++;
        p->out->bytes += (int64_t)len;
    }
    return f->name && f->role ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
}

/* The image: hashed, renamed to its content name (kept when that exists). */
static int add_image(struct pub *p, const char *tmp, struct cd_err *err)
{
    char hex[65], *path = NULL;
    int64_t size = 0;
    int rc = hash_file(tmp, hex, &size, err);
    if (!rc && !(path = cdi_printf("%s/files/%s.db", p->dir, hex))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    /* the same store content makes the same image: the one there is kept
     * (no new 190 MB for readers) when its bytes are whole */
    struct stat st;
    char have[65] = "";
    int64_t hsize = 0;
    if (!rc && lstat(path, &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size &&
        hash_file(path, have, &hsize, NULL) == CD_OK && hsize == size && !strcmp(have, hex)) {
        /* kept */
    } else if (!rc) {
        if (chmod(tmp, 0644) || rename(tmp, path)) rc = cdi_fail(err, CD_E_IO, "cannot write %s: %s", path, strerror(errno));
        else p->out->written++;
    }
    struct cdi_mfile *f = rc ? NULL : cdi_grow(&p->ix.files, p->ix.n, &p->cap, sizeof *f);
    if (!rc && !f) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (!rc) {
        p->ix.n++;
        f->name = cdi_printf("files/%s.db", hex);
        f->role = strdup("store");
        f->size = size;
        memcpy(f->sha256, hex, 65);
        p->out->files++;
        p->out->bytes += size;
        if (!f->name || !f->role) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    free(path);
    return rc;
}

/* The new image (still under its temporary name: what was built, not
 * what a path in the served folder holds later), opened as a reader opens
 * it: a snapshot a reader would refuse is never published. */
static int open_image(const char *tmp, cd_store **out, struct cd_err *err)
{
    cd_store *img = calloc(1, sizeof *img);
    *out = NULL;
    if (!img) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = cdi_sqlite_open(img, tmp, CD_OPEN_READONLY | CDI_OPEN_IMAGE, err);
    if (rc) {
        rc = cdi_fail(err, rc, "the snapshot's store image does not open: %s", cd_errmsg(err, rc));
        free(img->name);
        free(img);
        return rc;
    }
    *out = img;
    return CD_OK;
}

/* Each CA's certificate and current CRL, read from the image itself (so
 * that they are what a reader of the image sees), through the connection
 * open_image made before the image was renamed into the folder. */
static int add_cas(struct pub *p, cd_store *img, const struct cdi_mimage_info *info, struct cd_err *err)
{
    cd_user mu = { .id = 1, .name = "mirror", .admin = 1, .home_group = 1 };
    int rc = CD_OK;
    for (size_t i = 0; !rc && i < info->ncas; i++) {
        char *pem = NULL;
        unsigned char *der = NULL;
        size_t len = 0;
        if (!(rc = cd_ca_export(img, &mu, info->ca_ids[i], &pem, &len, err)))
            rc = add_file(p, "ca", info->ca_ids[i], pem, len, ".pem", err);
        free(pem);
        /* a CA without a CRL (imported, or its passphrase never given) has none here */
        if (!rc && cd_crl_current(img, info->ca_ids[i], &der, &len, NULL, NULL) == CD_OK)
            rc = add_file(p, "crl", info->ca_ids[i], der, len, ".crl", err);
        free(der);
    }
    return rc;
}

/* Makes the CRLs the store can sign by itself current before the image
 * copies them (those of CAs under a passphrase stay as last signed). */
static void refresh_crls(cd_store *s, const cd_user *u)
{
    struct cd_ca_list l = { 0 };
    if (cd_ca_list(s, u, NULL, &l, NULL)) return;
    for (size_t i = 0; i < l.n; i++) {
        unsigned char *der = NULL;
        size_t len = 0;
        if (cd_crl_current(s, l.rows[i].id, &der, &len, NULL, NULL) == CD_OK) free(der);
    }
    cd_ca_list_free(&l);
}

int cd_mirror_publish(cd_store *s, const cd_user *u, const char *dir, const struct cd_mirror_publish_opts *o,
                      struct cd_mirror_published *out, struct cd_err *err)
{
    struct pub p = { .dir = dir, .out = out };
    struct cdi_mimage_info info = { 0 };
    cd_store *img = NULL;
    char *signer = NULL, *files = NULL, *tmp = NULL, *json = NULL, *ptr = NULL;
    unsigned char *sig = NULL;
    size_t slen = 0, jlen = 0, siglen = 0;
    int lock = -1, rc = CD_OK;
    memset(out, 0, sizeof *out);
    if (!s || !s->ops) return cdi_fail(err, CD_E_INVAL, "no store is open");
    if (!u) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user");
    if (!dir || !*dir) return cdi_fail(err, CD_E_INVAL, "a folder to publish into is required");
    if (!o || o->sign_ca <= 0) return cdi_fail(err, CD_E_INVAL, "the CA that signs the snapshot is required (--sign-ca ID)");
    int keep = o->keep ? o->keep : 1;
    if (keep < 0 || keep > KEEP_MAX) return cdi_fail(err, CD_E_INVAL, "keep is 1 to %d earlier generations", KEEP_MAX);
    if (!s->ops->mirror_image || !s->ops->mirror_sign)
        return cdi_fail(err, CD_E_UNSUPPORTED, "a mirror is published from a local store (this one is %s); run "
                        "\"certdeck mirror publish\" where the store file is", s->name);
    /* every check that can fail comes before anything is made in DIR: a
     * refused publish leaves it as it was */
    struct cd_mirror_info mi;
    if (cd_store_mirror_info(s, &mi, NULL) == CD_OK) {
        rc = cdi_fail(err, CD_E_READONLY, "%s is a mirror (of %s): it carries no private keys and cannot sign a "
                      "snapshot; publish from the source store", s->name, mi.source ? mi.source : "a snapshot");
        cd_mirror_info_clear(&mi);
        return rc;
    }
    /* the right, Use on the CA, its key and passphrase, its validity */
    if ((rc = s->ops->mirror_sign(s, u, o->sign_ca, o->ca_passphrase, NULL, 0, &sig, &siglen, err))) return rc;
    if ((rc = cd_ca_export(s, u, o->sign_ca, &signer, &slen, err))) goto out;
    if ((rc = cdi_mirror_ca_id(signer, slen, p.ix.signer_sha256, &p.ix.signer_subject, err))) goto out;
    if (!(files = cdi_printf("%s/files", dir))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    /* folders that are there already are judged before anything goes in */
    struct stat st;
    int64_t was = 0;
    if (!stat(dir, &st) && ((rc = folder_ours(dir, files, err)) || (rc = current_generation(dir, &was, err)))) goto out;
    if ((rc = mkdir_p(dir, err)) || (rc = mkdir_p(files, err)) || (rc = folder_ours(dir, files, err))) goto out;
    /* one publisher at a time per folder */
    lock = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB)) {
        rc = errno == EWOULDBLOCK ? cdi_fail(err, CD_E_BUSY, "another publish into %s is under way", dir)
                                  : cdi_fail(err, CD_E_IO, "cannot open %s: %s", dir, strerror(errno));
        goto out;
    }
    if ((rc = current_generation(dir, &p.ix.generation, err))) goto out;
    p.ix.generation++;
    p.ix.published = cdi_now();
    p.ix.signer_ca = o->sign_ca;
    /* (not for one who may not publish: the image refuses, audited) */
    if (cd_user_may(s, u, CD_ACT_MIRROR_PUBLISH, NULL, NULL, 0)) refresh_crls(s, u);
    struct cdi_mimage_opts io = { .generation = p.ix.generation, .published = p.ix.published,
                                  .signer_ca = o->sign_ca, .signer_sha256 = p.ix.signer_sha256 };
    if (!(tmp = temp_name(dir, ".db"))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if ((rc = s->ops->mirror_image(s, u, tmp, &io, &info, err))) goto out;
    /* a damaged image is never signed */
    if ((rc = cdi_image_quick_check(tmp, "the new store image", err))) goto out;
    p.ix.certs = info.certs;
    p.ix.cas = info.cas;
    if ((rc = open_image(tmp, &img, err))) goto out;
    if ((rc = add_image(&p, tmp, err))) goto out;
    rc = add_cas(&p, img, &info, err);
    if (!rc) rc = add_file(&p, "signer", 0, signer, slen, ".pem", err);
    if (rc) goto out;
    /* the index, signed (audited in s), checked against the signer's
     * certificate as a reader will check it, then written */
    if (!(json = cdi_mindex_dump(&p.ix, &jlen))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if ((rc = s->ops->mirror_sign(s, u, o->sign_ca, o->ca_passphrase, json, jlen, &sig, &siglen, err))) goto out;
    if ((rc = cdi_mirror_sig_check(signer, slen, json, jlen, sig, siglen, err))) goto out;
    char hex[65], name[96];
    cdi_sha256_hex(json, jlen, hex);
    snprintf(name, sizeof name, "index-%s.json", hex);
    if ((rc = put_file(dir, name, json, jlen, 0, NULL, err))) goto out;
    snprintf(name, sizeof name, "index-%s.sig", hex);
    if ((rc = put_file(dir, name, sig, siglen, 0, NULL, err))) goto out;
    sync_dir(files);
    /* the switch: one rename, then the folder synced */
    snprintf(out->index, sizeof out->index, "index-%s.json", hex);
    if (!(ptr = cdi_printf("%s\n", out->index))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if ((rc = put_file(dir, "current", ptr, strlen(ptr), 0, NULL, err))) goto out;
    sync_dir(dir);
    collect(dir, out->index, keep);
    out->generation = p.ix.generation;
    out->published = p.ix.published;
    out->certs = p.ix.certs;
    out->cas = p.ix.cas;
    snprintf(out->signer_sha256, sizeof out->signer_sha256, "%s", p.ix.signer_sha256);
out:
    cd_store_close(img);
    if (tmp) unlink(tmp);         /* ours; gone already once renamed */
    if (lock >= 0) close(lock);
    if (rc) {
        /* what was written into DIR, if anything (an I/O failure midway) */
        size_t w = out->written;
        memset(out, 0, sizeof *out);
        out->written = w;
    }
    cdi_mindex_clear(&p.ix);
    free(info.ca_ids);
    free(signer);
    free(files);
    free(tmp);
    free(json);
    free(ptr);
    free(sig);
    return rc;
}
