/* certdeck core — the mirror's local files (cdi_ tier): folders and files
 * that certdeck trusts only when they are its own.  A cache or a trusted
 * signer is worth nothing if another local user can put files there: a
 * folder certdeck uses must be a real folder (not a symbolic link) of its
 * user that no one else may write in, a file it reads back a regular file
 * of that user that no one else may write, opened without following a
 * link.  Shared by the reader's cache (mirror_sync.c) and the publisher
 * (mirror_pub.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "mirror_int.h"

/* A regular file of ours that no one else may write (st from fstat). */
int cdi_file_ours(const struct stat *st)
{
    return S_ISREG(st->st_mode) && st->st_uid == geteuid() && !(st->st_mode & 022);
}

/* A whole small local file, not through a symbolic link; own: a file of
 * the cache or the remembered signer, which must be ours (EPERM).  -1 with
 * errno set. */
int cdi_read_small(const char *path, size_t max, int own, struct cdi_buf *b)
{
    memset(b, 0, sizeof *b);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW | O_NONBLOCK);   /* a FIFO: no wait */
    if (fd < 0) return -1;
    struct stat st;
    int rc = -1;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) { errno = EINVAL; goto out; }
    if (own && !cdi_file_ours(&st)) { errno = EPERM; goto out; }
    if ((size_t)st.st_size > max) { errno = EFBIG; goto out; }
    char buf[16384];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) goto out;
        if (n == 0) break;
        if (b->len + (size_t)n > max) { errno = EFBIG; goto out; }
        cdi_buf_add(b, buf, (size_t)n);
    }
    cdi_buf_add(b, "", 0);        /* a C string too (the NUL is not counted) */
    if (b->oom) { errno = ENOMEM; goto out; }
    rc = 0;
out:
    close(fd);
    if (rc) cdi_buf_free(b);
    return rc;
}

/* Why the folder is not one certdeck may use (NULL: it is); ENOENT
 * leaves it to the caller. */
const char *cdi_dir_unsafe(const char *path, char *why, size_t n)
{
    struct stat st;
    if (lstat(path, &st)) return errno == ENOENT ? NULL : strerror(errno);
    if (S_ISLNK(st.st_mode)) return "it is a symbolic link";
    if (!S_ISDIR(st.st_mode)) return "it is not a folder";
    if (st.st_uid != geteuid()) {
        snprintf(why, n, "it belongs to another user (uid %u)", (unsigned)st.st_uid);
        return why;
    }
    if (st.st_mode & 022) {
        snprintf(why, n, "others may write in it (mode %03o)", (unsigned)(st.st_mode & 0777));
        return why;
    }
    return NULL;
}

/* Each folder of path after its first `base` bytes (the user's own
 * $XDG_..._HOME), existing ones only; what: the cache or the trusted
 * signers. */
int cdi_check_dirs(const char *path, size_t base, const char *what, const char *var, struct cd_err *err)
{
    char *p = strdup(path), why[80];
    if (!p) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = CD_OK;
    for (char *s = p + base + 1;; s++) {
        if (*s && *s != '/') continue;
        char c = *s;
        *s = 0;
        const char *bad = cdi_dir_unsafe(p, why, sizeof why);
        if (bad) {
            rc = cdi_fail(err, CD_E_INVAL, "%s: %s; certdeck keeps %s only in folders of its own user that no one "
                          "else may write in: remove that folder (certdeck makes it again), or set %s to a folder "
                          "of yours", p, bad, what, var);
            break;
        }
        *s = c;
        if (!c) break;
    }
    free(p);
    return rc;
}

/* Makes the folder (mkdir -p, 0700) and checks every level of it. */
int cdi_own_dirs(const char *path, size_t base, const char *what, const char *var, struct cd_err *err)
{
    if (cdi_mkdirs(path)) return cdi_fail(err, CD_E_IO, "cannot make %s: %s", path, strerror(errno));
    return cdi_check_dirs(path, base, what, var, err);
}

/* The first folder of path (from the root) that does not exist, or NULL. */
char *cdi_first_missing(const char *path)
{
    char *p = strdup(path);
    struct stat st;
    for (char *s = p ? p + 1 : NULL; s; s++) {
        if (*s && *s != '/') continue;
        char c = *s;
        *s = 0;
        if (lstat(p, &st) && errno == ENOENT) return p;
        *s = c;
        if (!c) break;
    }
    free(p);
    return NULL;
}

/* rmdir path, then each of its parents up to top (a prefix of path, one
 * of its folders), each only while it is empty. */
static void rmdirs(const char *path, const char *top)
{
    char *p = strdup(path);
    size_t tl = strlen(top);
    if (!p || strncmp(p, top, tl) || (p[tl] && p[tl] != '/')) { free(p); return; }
    for (;;) {
        if (rmdir(p)) break;
        char *slash = strrchr(p, '/');
        if (!slash || (size_t)(slash - p) < tl) break;
        *slash = 0;
    }
    free(p);
}

/* ---- the reader's cache folder (mirror_sync.c) ---------------------------------- */

/* After the switch: what the new snapshot does not use goes. */
void cdi_cache_prune(const char *dir, const char *index, const struct cdi_mindex *ix)
{
    char *fd = cdi_printf("%s/files", dir);
    DIR *d = fd ? opendir(fd) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int used = 0;
        for (size_t i = 0; i < ix->n && !used; i++) used = !strcmp(ix->files[i].name + 6, e->d_name);
        if (!used) unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d) closedir(d);
    free(fd);
    d = opendir(dir);
    while (d && (e = readdir(d))) {
        if (strncmp(e->d_name, "index-", 6) || !strncmp(e->d_name, index, 70)) continue;
        unlinkat(dirfd(d), e->d_name, 0);
    }
    if (d) closedir(d);
}

/* A file name of the cache: files/ "<64 hex>.<ext>" or a download. */
static int cache_file_name(const char *n)
{
    return !strncmp(n, ".part-", 6) ||
           (strspn(n, "0123456789abcdef") == 64 && (!strcmp(n + 64, ".db") || !strcmp(n + 64, ".pem") ||
                                                    !strcmp(n + 64, ".crl")));
}

/* Its own names only (a folder holding anything else stays), then the
 * folders, each while empty. */
void cdi_cache_unmake(const char *dir, const char *made)
{
    char *fd = cdi_printf("%s/files", dir);
    DIR *d = fd ? opendir(fd) : NULL;
    struct dirent *e;
    while (d && (e = readdir(d)))
        if (cache_file_name(e->d_name)) unlinkat(dirfd(d), e->d_name, 0);
    if (d) closedir(d);
    if ((d = opendir(dir))) {
        while ((e = readdir(d)))
            if (!strcmp(e->d_name, "lock") || !strcmp(e->d_name, "state.json") || !strncmp(e->d_name, "index-", 6))
                unlinkat(dirfd(d), e->d_name, 0);
        closedir(d);
    }
    if (fd) rmdir(fd);
    free(fd);
    rmdirs(dir, made ? made : dir);
}

/* ---- a snapshot's folder named as a store file ------------------------------------ */

int cdi_not_a_store_file(const char *path, struct cd_err *err)
{
    char *cur = cdi_printf("%s/current", path), *abs = NULL;
    struct stat st;
    int snap = cur && !stat(path, &st) && S_ISDIR(st.st_mode) && !lstat(cur, &st) && S_ISREG(st.st_mode);
    free(cur);
    if (snap && (abs = realpath(path, NULL))) {
        int rc = cdi_fail(err, CD_E_INVAL, "%s is a mirror snapshot's folder: open it as mirror+file://%s", path, abs);
        free(abs);
        return rc;
    }
    return cdi_fail(err, CD_E_CORRUPT, "%s is not a file", path);
}
