/* certdeck core — the files certdeck writes (exports, CRLs, --out).
 *
 * A separate module because writing a file named by a user is an attack
 * surface of its own: run as root, a careless open(O_TRUNC) + fchmod turns
 * `--out /dev/null` into a chmod of the device, `--out STORE.db.key` into
 * the loss of every private key, and a planted symlink into a write
 * anywhere.  So the rule here is: certdeck only ever creates a new file of
 * its own (O_CREAT|O_EXCL|O_NOFOLLOW, 0600) beside the target, and renames
 * it over the target when complete.  It never opens, truncates, chmods or
 * unlinks an existing file; a target that exists and is not a regular file
 * is refused, and so are the open store's own files. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core_int.h"

/* Splits path into its folder (".", "/" or the part before the last '/')
 * and its last component; both caller-freed.  -1 when the last component
 * is not a file name ("dir/", ".", ".."). */
static int split_path(const char *path, char **dir, char **base)
{
    *dir = *base = NULL;
    const char *slash = strrchr(path, '/');
    const char *b = slash ? slash + 1 : path;
    if (!*b || !strcmp(b, ".") || !strcmp(b, "..")) return -1;
    if (!slash) *dir = strdup(".");
    else if (slash == path) *dir = strdup("/");
    else *dir = strndup(path, (size_t)(slash - path));
    *base = strdup(b);
    if (!*dir || !*base) { free(*dir); free(*base); *dir = *base = NULL; return -2; }
    return 0;
}

/* The absolute name of path with its folder's links resolved (the last
 * component kept as is, so a name that does not exist yet resolves too);
 * NULL when the folder does not exist. */
static char *resolve(const char *path)
{
    char *dir, *base, *out = NULL;
    if (split_path(path, &dir, &base)) return NULL;
    char *rd = realpath(dir, NULL);
    if (rd) out = cdi_printf("%s%s%s", rd, strcmp(rd, "/") ? "/" : "", base);
    free(rd);
    free(dir);
    free(base);
    return out;
}

/* 1 when path (lstat'ed into *st when present) is one of the store's own
 * files: the same inode (a hard link, or the file itself under another
 * name) or the same resolved name (catches -wal/-shm that do not exist at
 * this moment, and names through a linked folder). */
static int store_owns(cd_store *s, const char *path, const struct stat *st)
{
    if (!s || !s->ops || !s->ops->own_files) return 0;
    char *own[CDI_OWN_FILES_MAX] = { 0 };
    size_t n = s->ops->own_files(s, own, CDI_OWN_FILES_MAX);
    char *rp = resolve(path);
    int hit = 0;
    for (size_t i = 0; i < n; i++) {
        struct stat os;
        if (!own[i]) continue;
        if (st && stat(own[i], &os) == 0 && os.st_dev == st->st_dev && os.st_ino == st->st_ino) hit = 1;
        char *ro = hit ? NULL : resolve(own[i]);
        if (rp && ro && !strcmp(rp, ro)) hit = 1;
        free(ro);
        free(own[i]);
    }
    free(rp);
    return hit;
}

int cd_file_check(cd_store *s, const char *path, struct cd_err *err)
{
    if (!path || !*path) return cdi_fail(err, CD_E_INVAL, "a file name is needed");
    char *dir, *base;
    int sp = split_path(path, &dir, &base);
    if (sp == -2) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (sp) return cdi_fail(err, CD_E_INVAL, "%s is not a file name", path);
    free(dir);
    free(base);
    struct stat st;
    int exists = lstat(path, &st) == 0;
    if (!exists && errno != ENOENT) return cdi_fail(err, CD_E_IO, "cannot write %s: %s", path, strerror(errno));
    if (store_owns(s, path, exists ? &st : NULL))
        return cdi_fail(err, CD_E_INVAL, "%s is a file of the open store; nothing was written", path);
    if (!exists) return CD_OK;
    const char *what = S_ISREG(st.st_mode) ? NULL : S_ISLNK(st.st_mode) ? "a symbolic link"
                     : S_ISDIR(st.st_mode) ? "a folder" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "a device"
                     : S_ISFIFO(st.st_mode) ? "a named pipe" : "not a regular file";
    if (what)
        return cdi_fail(err, CD_E_INVAL, "%s is %s; certdeck only replaces regular files (nothing was written)",
                        path, what);
    return cdi_fail(err, CD_E_EXISTS, "%s already exists", path);
}

/* A new file of our own in dir: O_EXCL|O_NOFOLLOW, so nothing that is
 * there (a file, a planted link) is ever opened. */
static int create_temp(const char *dir, char **tmp, int *fd, struct cd_err *err)
{
    for (int tries = 0; tries < 100; tries++) {
        unsigned char r[6];
        if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
            uint64_t x = (uint64_t)cdi_now() * 2654435761u ^ (uint64_t)getpid() << 20 ^ (uint64_t)tries;
            memcpy(r, &x, sizeof r);
        }
        char hex[13];
        cdi_hex(r, sizeof r, hex);
        char *name = cdi_printf("%s/.certdeck-%s.tmp", dir, hex);
        if (!name) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        if ((*fd = open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600)) >= 0) {
            *tmp = name;
            return CD_OK;
        }
        int e = errno;
        free(name);
        if (e != EEXIST)
            return cdi_fail(err, e == ENOSPC ? CD_E_FULL : CD_E_IO, "cannot write in %s: %s", dir, strerror(e));
    }
    return cdi_fail(err, CD_E_IO, "cannot write in %s: no free temporary name", dir);
}

static int write_all(int fd, const void *data, size_t len)
{
    const unsigned char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR) continue;
        if (w < 0) return -1;
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

/* Puts tmp in place of path; with noreplace, fails with EEXIST when path
 * appeared meanwhile (renameat2 where the file system has it, else link,
 * which never replaces either). */
static int place(const char *tmp, const char *path, int noreplace)
{
    if (!noreplace) return rename(tmp, path);
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0) return 0;
    if (errno != EINVAL && errno != ENOSYS) return -1;
    if (link(tmp, path)) return -1;
    unlink(tmp);
    return 0;
}

int cd_write_file(cd_store *s, const char *path, const void *data, size_t len, unsigned flags,
                  struct cd_err *err)
{
    int rc = cd_file_check(s, path, err);
    if (rc == CD_E_EXISTS && !(flags & CD_WRITE_NOREPLACE)) rc = CD_OK;
    if (rc) return rc;
    char *dir = NULL, *base = NULL, *tmp = NULL;
    if (split_path(path, &dir, &base)) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int fd = -1;
    if ((rc = create_temp(dir, &tmp, &fd, err))) goto out;
    /* ours, so ours to chmod: the umask cannot leave a key readable by others,
     * nor (0277) unreadable to its owner */
    int e = 0;
    if (fchmod(fd, 0600) || write_all(fd, data, len) || fsync(fd)) e = errno;
    if (close(fd) && !e) e = errno;
    if (!e && place(tmp, path, flags & CD_WRITE_NOREPLACE)) e = errno;
    if (e) {
        unlink(tmp);              /* the temporary file is ours; nothing else is touched */
        rc = e == EEXIST ? cdi_fail(err, CD_E_EXISTS, "%s already exists", path)
                         : cdi_fail(err, e == ENOSPC ? CD_E_FULL : CD_E_IO, "cannot write %s: %s", path, strerror(e));
        goto out;
    }
    /* the rename itself survives a power cut only once the folder is synced;
     * best effort: the data is complete either way, and some file systems
     * cannot sync a folder */
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) { (void)fsync(dfd); close(dfd); }
out:
    free(tmp);
    free(dir);
    free(base);
    return rc;
}
