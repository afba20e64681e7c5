/* certdeck unit tests — the files certdeck writes (cd_write_file,
 * cd_file_check, cd_cert_export_file): a new file replaces a regular
 * target, anything else is refused and left exactly as it was.
 *
 * Built with -DFILES_TEST_OLD against the old cd_write_private_file these
 * tests fail (that is how they were checked); the shim below is that API. */
#include "helpers.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#ifdef FILES_TEST_OLD
#define CD_WRITE_NOREPLACE 1
static int cd_write_file(cd_store *s, const char *path, const void *d, size_t n, unsigned fl, struct cd_err *e)
{
    (void)s; (void)fl;
    return cd_write_private_file(path, d, n, e);
}
static int cd_cert_export_file(cd_store *s, const cd_user *u, int64_t id, int fmt, const char *pass,
                               const char *path, unsigned fl, struct cd_err *e)
{
    unsigned char *d = NULL;
    size_t n = 0;
    int rc = cd_cert_export(s, u, id, fmt, pass, &d, &n, e);
    if (!rc) rc = cd_write_file(s, path, d, n, fl, e);
    free(d);
    return rc;
}
#endif

static void in_dir(const struct fx *f, const char *name, char *out, size_t n)
{
    snprintf(out, n, "%s/%s", f->dir, name);
}

static void put(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    assert_int_equal(chmod(path, mode), 0);
}

/* The file's whole text (at most 4 KiB), "" when it cannot be read. */
static const char *slurp(const char *path)
{
    static char buf[4096];
    buf[0] = 0;
    int fd = open(path, O_RDONLY | O_NONBLOCK);
    if (fd < 0) return buf;
    ssize_t r = read(fd, buf, sizeof buf - 1);
    buf[r > 0 ? r : 0] = 0;
    close(fd);
    return buf;
}

/* The first n bytes of a binary file (the store key); 0 when it has fewer. */
static int read_bytes(const char *path, unsigned char *buf, size_t n)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    ssize_t r = read(fd, buf, n);
    close(fd);
    return r == (ssize_t)n;
}

/* No ".certdeck-*.tmp" (or any stray file) left in the test folder. */
static int temp_files(const struct fx *f)
{
    DIR *d = opendir(f->dir);
    int n = 0;
    for (struct dirent *e; d && (e = readdir(d));) if (!strncmp(e->d_name, ".certdeck-", 10)) n++;
    if (d) closedir(d);
    return n;
}

static void test_new_file_is_0600(void **state)
{
    struct fx *f = *state;
    char p[160];
    struct stat st;
    in_dir(f, "new.pem", p, sizeof p);
    mode_t old = umask(0);           /* even a careless umask gives 0600 */
    assert_int_equal(cd_write_file(f->s, p, "hello", 5, 0, &f->err), CD_OK);
    umask(old);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_string_equal(slurp(p), "hello");
    assert_int_equal(temp_files(f), 0);
}

static void test_regular_file_replaced_by_new_inode(void **state)
{
    struct fx *f = *state;
    char p[160];
    struct stat before, after;
    in_dir(f, "old.pem", p, sizeof p);
    put(p, "old contents, longer than the new", 0644);
    assert_int_equal(stat(p, &before), 0);
    assert_int_equal(cd_write_file(f->s, p, "new", 3, 0, &f->err), CD_OK);
    assert_int_equal(stat(p, &after), 0);
    assert_string_equal(slurp(p), "new");
    assert_int_equal(after.st_mode & 07777, 0600);
    /* a new file renamed over the old, never the old one truncated */
    assert_true(after.st_ino != before.st_ino);
    assert_int_equal(temp_files(f), 0);
}

static void test_symlink_refused_target_untouched(void **state)
{
    struct fx *f = *state;
    char victim[160], link_[160], dangling[160], nowhere[160];
    struct stat st;
    in_dir(f, "victim", victim, sizeof victim);
    in_dir(f, "link", link_, sizeof link_);
    in_dir(f, "dangling", dangling, sizeof dangling);
    in_dir(f, "nowhere", nowhere, sizeof nowhere);
    put(victim, "keep me", 0644);
    assert_int_equal(symlink(victim, link_), 0);
    assert_int_equal(symlink(nowhere, dangling), 0);
    assert_int_not_equal(cd_write_file(f->s, link_, "evil", 4, 0, &f->err), CD_OK);
    assert_non_null(strstr(f->err.msg, "symbolic link"));
    assert_string_equal(slurp(victim), "keep me");
    assert_int_equal(stat(victim, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(lstat(link_, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
    /* a link to nothing yet: following it would create the file elsewhere */
    assert_int_not_equal(cd_write_file(f->s, dangling, "evil", 4, 0, &f->err), CD_OK);
    assert_int_equal(lstat(nowhere, &st), -1);
    assert_int_equal(temp_files(f), 0);
}

static void test_fifo_refused(void **state)
{
    struct fx *f = *state;
    char p[160];
    struct stat st;
    in_dir(f, "fifo", p, sizeof p);
    assert_int_equal(mkfifo(p, 0644), 0);
    /* a reader, so that a writer opening the fifo would not block */
    int rd = open(p, O_RDONLY | O_NONBLOCK);
    assert_true(rd >= 0);
    assert_int_not_equal(cd_write_file(f->s, p, "data", 4, 0, &f->err), CD_OK);
    assert_non_null(strstr(f->err.msg, "named pipe"));
    char b[8];
    assert_true(read(rd, b, sizeof b) <= 0);          /* nothing was written into it */
    close(rd);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISFIFO(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0644);
    assert_int_equal(temp_files(f), 0);
}

static void test_folder_refused(void **state)
{
    struct fx *f = *state;
    char p[160], slash[170];
    struct stat st;
    in_dir(f, "folder", p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_not_equal(cd_write_file(f->s, p, "data", 4, 0, &f->err), CD_OK);
    assert_non_null(strstr(f->err.msg, "folder"));
    snprintf(slash, sizeof slash, "%s/", p);
    assert_int_equal(cd_write_file(f->s, slash, "data", 4, 0, &f->err), CD_E_INVAL);
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISDIR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0755);
    assert_int_equal(temp_files(f), 0);
}

static void test_device_refused(void **state)
{
    struct fx *f = *state;
    char p[160];
    struct stat st;
    in_dir(f, "null", p, sizeof p);
    /* a private copy of /dev/null: the old code chmodded and deleted the
     * device it was given, which must never be tried on the real one */
    if (mknod(p, S_IFCHR | 0666, makedev(1, 3))) skip();
    chmod(p, 0666);
    assert_int_not_equal(cd_write_file(f->s, p, "data", 4, 0, &f->err), CD_OK);
    assert_non_null(strstr(f->err.msg, "device"));
    assert_int_equal(lstat(p, &st), 0);
    assert_true(S_ISCHR(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0666);
    assert_int_equal(temp_files(f), 0);
}

static void test_store_files_refused(void **state)
{
    struct fx *f = *state;
    char key[160], name[200], alias[160], linkdir[160];
    unsigned char keep[32], now[32];
    snprintf(key, sizeof key, "%s.key", f->path);
    assert_true(read_bytes(key, keep, sizeof keep));
    static const char *const suffix[] = { "", ".key", "-wal", "-shm", "-journal" };
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
        snprintf(name, sizeof name, "%s%s", f->path, suffix[i]);
        assert_int_not_equal(cd_write_file(f->s, name, "x", 1, 0, &f->err), CD_OK);
        assert_non_null(strstr(f->err.msg, "store"));
    }
    /* another name for the key (a hard link) and the store's folder through a link */
    in_dir(f, "alias", alias, sizeof alias);
    assert_int_equal(link(key, alias), 0);
    assert_int_not_equal(cd_write_file(f->s, alias, "x", 1, 0, &f->err), CD_OK);
    snprintf(linkdir, sizeof linkdir, "%s-link", f->dir);
    assert_int_equal(symlink(f->dir, linkdir), 0);
    snprintf(name, sizeof name, "%s/store.db-journal", linkdir);
    assert_int_not_equal(cd_write_file(f->s, name, "x", 1, 0, &f->err), CD_OK);
    snprintf(name, sizeof name, "%s/./store.db.key", f->dir);
    assert_int_not_equal(cd_write_file(f->s, name, "x", 1, 0, &f->err), CD_OK);
    unlink(linkdir);
    assert_true(read_bytes(key, now, sizeof now));
    assert_memory_equal(now, keep, sizeof keep);
    assert_int_equal(fx_count(f, "", 0), 3);          /* the store still opens and reads */
    assert_int_equal(temp_files(f), 0);
}

static void test_failed_write_leaves_target_and_no_temp(void **state)
{
    struct fx *f = *state;
    char p[160];
    in_dir(f, "target", p, sizeof p);
    put(p, "the old export", 0600);
    static char big[65536];
    memset(big, 'x', sizeof big);
    /* a file-size limit makes the write fail midway (EFBIG), like a full disk */
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 1024;
    signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = cd_write_file(f->s, p, big, sizeof big, 0, &f->err);
    setrlimit(RLIMIT_FSIZE, &old);
    signal(SIGXFSZ, SIG_DFL);
    assert_int_equal(rc, CD_E_IO);
    assert_string_equal(slurp(p), "the old export");
    assert_int_equal(temp_files(f), 0);
}

static void test_foreign_owner_replaced_by_our_file(void **state)
{
    struct fx *f = *state;
    char p[160];
    struct stat st;
    in_dir(f, "planted", p, sizeof p);
    put(p, "planted by someone else", 0666);
    if (geteuid() != 0 || chown(p, 65534, 65534)) skip();     /* needs root to plant it */
    assert_int_equal(cd_write_file(f->s, p, "ours", 4, 0, &f->err), CD_OK);
    assert_int_equal(stat(p, &st), 0);
    assert_int_equal(st.st_uid, geteuid());
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_string_equal(slurp(p), "ours");
}

#ifndef FILES_TEST_OLD
static void test_check_and_noreplace(void **state)
{
    struct fx *f = *state;
    char p[160];
    in_dir(f, "x.pem", p, sizeof p);
    assert_int_equal(cd_file_check(f->s, p, &f->err), CD_OK);
    put(p, "first", 0600);
    assert_int_equal(cd_file_check(f->s, p, &f->err), CD_E_EXISTS);
    assert_int_equal(cd_write_file(f->s, p, "second", 6, CD_WRITE_NOREPLACE, &f->err), CD_E_EXISTS);
    assert_string_equal(slurp(p), "first");
    assert_int_equal(cd_file_check(f->s, "/dev/null", &f->err), CD_E_INVAL);
    assert_int_equal(cd_file_check(NULL, "", &f->err), CD_E_INVAL);
    assert_int_equal(temp_files(f), 0);
}
#endif

/* The newest audit record's result and detail. */
static void last_audit(struct fx *f, char *result, char *detail, size_t n)
{
    struct cd_audit_list l = { 0 };
    assert_int_equal(cd_audit_list(f->s, f->u, "cert 1", NULL, 1, &l, &f->err), CD_OK);
    assert_true(l.n >= 1);
    snprintf(result, n, "%s", l.rows[0].result);
    snprintf(detail, n, "%s", l.rows[0].detail);
    cd_audit_list_free(&l);
}

static void test_failed_export_audited_as_failure(void **state)
{
    struct fx *f = *state;
    char p[160], result[600], detail[600];
    in_dir(f, "folder", p, sizeof p);
    assert_int_equal(mkdir(p, 0755), 0);
    assert_int_not_equal(cd_cert_export_file(f->s, f->u, 1, CD_EXPORT_KEY, "pw", p, 0, &f->err), CD_OK);
    last_audit(f, result, detail, sizeof result);
    assert_string_equal(result, "Failure");
    in_dir(f, "k.pem", p, sizeof p);
    assert_int_equal(cd_cert_export_file(f->s, f->u, 1, CD_EXPORT_KEY, "pw", p, 0, &f->err), CD_OK);
    assert_non_null(strstr(slurp(p), "ENCRYPTED PRIVATE KEY"));
    last_audit(f, result, detail, sizeof result);
    assert_string_equal(result, "Success");
    assert_non_null(strstr(detail, "k.pem"));
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_new_file_is_0600), T(test_regular_file_replaced_by_new_inode),
        T(test_symlink_refused_target_untouched), T(test_fifo_refused), T(test_folder_refused),
        T(test_device_refused), T(test_store_files_refused), T(test_failed_write_leaves_target_and_no_temp),
        T(test_foreign_owner_replaced_by_our_file),
#ifndef FILES_TEST_OLD
        T(test_check_and_noreplace),
#endif
        T(test_failed_export_audited_as_failure),
    };
    return cmocka_run_group_tests_name("files", tests, NULL, NULL);
}
