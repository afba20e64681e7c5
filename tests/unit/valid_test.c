/* valid: input limits and validation in the core (issue 9, part 4) — subject
 * fields, descriptions, tag names and group paths; the filter parser's
 * limits; secret files; an empty file at the store path; concurrent init. */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include "helpers.h"

/* Bytes no name may hold: invalid UTF-8, ESC, BEL, DEL, a C1 control (CSI),
 * and bidi controls (U+202E, U+2066, U+200F, U+061C). */
static const char *const BAD[] = {
    "\xff\xfe", "a\x1b[31mb", "a\x07", "a\x7f", "a\xc2\x9b" "b", "inv\xe2\x80\xae" "fdp.exe",
    "x\xe2\x81\xa6y", "x\xe2\x80\x8fy", "x\xd8\x9cy", "a\xc0\xaf" "b" /* overlong "/" */,
};
#define NBAD (sizeof BAD / sizeof BAD[0])

enum { SF_CN, SF_O, SF_OU, SF_L, SF_ST, SF_N };
static const char *const SF_NAME[SF_N] = { "CN", "O", "OU", "L", "ST" };

static void set_field(struct cd_subject *sub, int field, const char *v)
{
    const char **f[SF_N] = { &sub->cn, &sub->o, &sub->ou, &sub->l, &sub->st };
    *f[field] = v;
}

static void test_subject_fields_refused(void **state)
{
    struct fx *f = *state;
    for (int field = 0; field < SF_N; field++) {
        for (size_t i = 0; i < NBAD; i++) {
            struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "ok" },
                                        .keytype = CD_KEY_EC256, .days = 30 };
            set_field(&p.subject, field, BAD[i]);
            struct cd_err e = { 0 };
            int64_t id = 0;
            int rc = cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &e);
            if (rc != CD_E_INVAL)
                fail_msg("cert new with %s value %zu: rc %d (%s), expected CD_E_INVAL", SF_NAME[field], i, rc, e.msg);
            struct cd_ca_params cp = { .subject = { .cn = "ok" }, .keytype = CD_KEY_EC256, .days = 30 };
            set_field(&cp.subject, field, BAD[i]);
            memset(&e, 0, sizeof e);
            rc = cd_ca_new(f->s, f->u, &cp, &id, &e);
            if (rc != CD_E_INVAL)
                fail_msg("ca new with %s value %zu: rc %d (%s), expected CD_E_INVAL", SF_NAME[field], i, rc, e.msg);
            /* the message itself is safe to print as it is */
            assert_true(cd_is_clean(e.msg, (size_t)-1));
        }
    }
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "ok", .c = "\xc3\xa9\xc3\xa9" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    /* printable UTF-8, wide characters included, is a name */
    p.subject = (struct cd_subject){ .cn = "東京オフィス", .o = "Société Générale", .ou = "R&D, \"lab\"",
                                     .l = "Zürich", .st = "Genève", .c = "CH" };
    int64_t id = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), CD_OK);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, id, &c, &f->err), CD_OK);
    assert_string_equal(c.cn, "東京オフィス");
    cd_cert_clear(&c);
    /* nothing refused reached the store: init's 3 and the good one */
    assert_int_equal(fx_count(f, NULL, 1), 4);
}

static void test_descriptions_are_utf8(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "d" },
                                .description = "caf\xe9", .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    assert_int_equal(cd_cert_describe(f->s, f->u, 1, "\xff", &f->err), CD_E_INVAL);
    assert_int_equal(cd_ca_describe(f->s, f->u, 1, "ab\xe2\x80", &f->err), CD_E_INVAL);
    /* free text: shown sanitised, so tabs, new lines and escapes are kept */
    assert_int_equal(cd_cert_describe(f->s, f->u, 1, "tab\there\nand \x1b[1mbold", &f->err), CD_OK);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, 1, &c, &f->err), CD_OK);
    assert_string_equal(c.description, "tab\there\nand \x1b[1mbold");
    cd_cert_clear(&c);
}

static int has_tag(struct fx *f, const char *name)
{
    struct cd_tag_list l;
    if (cd_tag_list(f->s, f->u, &l, &f->err)) fail_msg("tag list: %s", f->err.msg);
    int found = 0;
    for (size_t i = 0; i < l.n; i++) found |= !strcmp(l.rows[i].name, name);
    cd_tag_list_free(&l);
    return found;
}

static void test_tag_names(void **state)
{
    struct fx *f = *state;
    /* trimmed: what is stored, and what set / rm / delete look up */
    assert_int_equal(cd_tag_create(f->s, f->u, "  prod \t", &f->err), CD_OK);
    assert_true(has_tag(f, "prod"));
    assert_false(has_tag(f, "  prod \t"));
    int64_t id = 1;
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, &id, 1, " prod ", 1, &f->err), CD_OK);
    assert_int_equal(fx_count(f, "tag:prod", 0), 1);
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, &id, 1, "prod  ", 0, &f->err), CD_OK);
    assert_int_equal(fx_count(f, "tag:prod", 0), 0);
    assert_int_equal(cd_tag_delete(f->s, f->u, "\tprod", &f->err), CD_OK);
    assert_false(has_tag(f, "prod"));
    /* refused everywhere a tag name comes in */
    static const char *const bad[] = { "", "   ", "\t\n", "a,b", ",", "x\x1by", "bell\x07", "\xff", "r\xe2\x80\xaet",
                                       "c1\xc2\x85" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cd_err e = { 0 };
        if (cd_tag_create(f->s, f->u, bad[i], &e) != CD_E_INVAL) fail_msg("tag create accepted bad name %zu", i);
        if (cd_tag_set(f->s, f->u, CD_KIND_CERT, &id, 1, bad[i], 1, &e) != CD_E_INVAL)
            fail_msg("tag set accepted bad name %zu", i);
        const char *tags[] = { "fine", bad[i], NULL };
        struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "t" },
                                    .tags = tags, .keytype = CD_KEY_EC256, .days = 30 };
        if (cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &e) != CD_E_INVAL)
            fail_msg("cert new accepted bad tag %zu", i);
    }
    assert_false(has_tag(f, "fine"));
    char longname[80];
    memset(longname, 'x', 65);
    longname[65] = 0;
    assert_int_equal(cd_tag_create(f->s, f->u, longname, &f->err), CD_E_INVAL);
    /* tags given to cert new are trimmed the same way */
    const char *tags[] = { " dev ", "東京 site", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "t" },
                                .tags = tags, .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_OK);
    assert_true(has_tag(f, "dev"));
    assert_true(has_tag(f, "東京 site"));
    assert_int_equal(fx_count(f, "tag:dev", 0), 1);
}

static void test_group_paths(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/inv\xe2\x80\xae" "fdp", &f->err), CD_E_INVAL);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/\xff\xfe", &f->err), CD_E_INVAL);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/c1\xc2\x9b", &f->err), CD_E_INVAL);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/San Diego", &f->err), CD_OK);
}

static void test_user_and_preset_names(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_user_add(f->s, f->u, "mallory\xe2\x80\xae", "/All", "pw-123456", &f->err), CD_E_INVAL);
    assert_int_equal(cd_user_add(f->s, f->u, "c1\xc2\x9b", "/All", "pw-123456", &f->err), CD_E_INVAL);
    assert_int_equal(cd_user_add(f->s, f->u, "\xff", "/All", "pw-123456", &f->err), CD_E_INVAL);
    int level[CD_OT_COUNT] = { 0 };
    const char *groups[] = { "/All" };
    assert_int_equal(cd_permset_add(f->s, f->u, "ops\xe2\x81\xa6", groups, 1, level, &f->err), CD_E_INVAL);
    assert_int_equal(cd_preset_save(f->s, f->u, "mine\x1b[2J", "tag:x", NULL, NULL, &f->err), CD_E_INVAL);
    assert_int_equal(cd_preset_save(f->s, f->u, "expiring soon", "expires<30d", NULL, NULL, &f->err), CD_OK);
}

/* ---- the filter parser's limits ------------------------------------------ */

static char *repeat(const char *head, const char *unit, size_t n, const char *tail)
{
    size_t hl = strlen(head), ul = strlen(unit), tl = strlen(tail);
    char *s = malloc(hl + ul * n + tl + 1), *p = s;
    memcpy(p, head, hl); p += hl;
    for (size_t i = 0; i < n; i++) { memcpy(p, unit, ul); p += ul; }
    memcpy(p, tail, tl + 1);
    return s;
}

static void test_filter_nesting_limit(void **state)
{
    (void)state;
    char *deep = repeat("", "(", 100000, "web");
    struct cd_err e = { 0 };
    assert_int_equal(cd_filter_check(deep, &e), CD_E_FILTER);
    assert_non_null(strstr(e.msg, "nested too deeply"));
    assert_true(e.pos > 1 && e.pos < 100);
    free(deep);
    char *nots = repeat("", "not ", 100000, "web");
    memset(&e, 0, sizeof e);
    assert_int_equal(cd_filter_check(nots, &e), CD_E_FILTER);
    assert_non_null(strstr(e.msg, "nested too deeply"));
    free(nots);
    /* balanced and closed, but still too deep */
    char *open = repeat("", "(", 1000, "web"), *closed = repeat(open, ")", 1000, "");
    memset(&e, 0, sizeof e);
    assert_int_equal(cd_filter_check(closed, &e), CD_E_FILTER);
    assert_non_null(strstr(e.msg, "nested too deeply"));
    free(open); free(closed);
    /* what people write still parses */
    assert_int_equal(cd_filter_check("((((web)))) and not (not (tag:x or tag:y))", &e), CD_OK);
}

static void test_filter_thousand_terms(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "bee");
    char *ors = repeat("a", " or b", 1000, "");
    assert_int_equal(fx_count(f, ors, 1), fx_count(f, "a or b", 1));
    char *one = repeat("cn:bee", " or cn:nothing-here", 1000, "");
    assert_int_equal(fx_count(f, one, 1), 1);
    char *ands = repeat("cn:bee", " and not cn:zzz", 1000, "");
    assert_int_equal(fx_count(f, ands, 1), 1);
    char *mixed = repeat("(cn:bee", " or (cn:q and product:agent)", 1000, ") and not revoked");
    assert_int_equal(fx_count(f, mixed, 1), 1);
    /* the same filters run on CAs and the audit log */
    struct cd_query q = { .filter = ors };
    struct cd_ca_list cl;
    assert_int_equal(cd_ca_list(f->s, f->u, &q, &cl, &f->err), CD_OK);
    assert_int_equal(cl.n, 1);
    cd_ca_list_free(&cl);
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(f->s, f->u, NULL, ors, 0, &al, &f->err), CD_OK);
    assert_true(al.n > 0);
    cd_audit_list_free(&al);
    free(ors); free(one); free(ands); free(mixed);
    /* past the limit: a clear error, not SQLite's */
    char *many = repeat("a", " or b", 100000, "");
    struct cd_err e = { 0 };
    assert_int_equal(cd_filter_check(many, &e), CD_E_FILTER);
    assert_non_null(strstr(e.msg, "too many terms"));
    free(many);
}

static void filter_err(struct fx *f, const char *expr, const char *fragment)
{
    struct cd_query q = { .filter = expr };
    int64_t n;
    struct cd_err e = { 0 };
    int rc = cd_cert_count(f->s, f->u, &q, &n, &e);
    if (rc != CD_E_FILTER) fail_msg("\"%s\": rc %d (%s), expected CD_E_FILTER", expr, rc, e.msg);
    if (!strstr(e.msg, fragment)) fail_msg("\"%s\": \"%s\" lacks \"%s\"", expr, e.msg, fragment);
}

static void test_filter_numbers(void **state)
{
    struct fx *f = *state;
    filter_err(f, "expires<99999999999999999999d", "too large");
    filter_err(f, "expires<9223372036854775807y", "too large");
    filter_err(f, "issued>-9223372036854775807w", "too large");
    filter_err(f, "expires<1000001d", "too large");
    filter_err(f, "id=99999999999999999999", "too large");
    assert_int_equal(fx_count(f, "expires<1000000y", 1), 3);
    assert_int_equal(fx_count(f, "expires>-1000000h", 1), 3);
}

/* ---- opening and creating stores ------------------------------------------ */

static void test_empty_file_is_not_a_store(void **state)
{
    struct fx *f = *state;
    char path[200];
    snprintf(path, sizeof path, "%s/empty.db", f->dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    assert_true(fd >= 0);
    close(fd);
    cd_store *s = NULL;
    struct cd_err e = { 0 };
    assert_int_equal(cd_store_open(path, 0, &s, &e), CD_E_CORRUPT);
    assert_null(s);
    assert_non_null(strstr(e.msg, "not a certdeck store"));
    assert_int_equal(cd_store_open(path, CD_OPEN_READONLY, &s, &e), CD_E_CORRUPT);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);                    /* not filled in place */
    char wal[220];
    snprintf(wal, sizeof wal, "%s-wal", path);
    assert_int_equal(access(wal, F_OK), -1);
    /* init makes new stores only */
    assert_int_equal(cd_store_open(path, CD_OPEN_CREATE, &s, &e), CD_E_EXISTS);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_size, 0);
}

/* The loser of the O_EXCL race (here: a name that stat() does not see but
 * that exists, a dangling symbolic link) is told the store exists and
 * removes nothing: the old code deleted what it had not created. */
static void test_create_loser_removes_nothing(void **state)
{
    struct fx *f = *state;
    char path[200], target[200];
    snprintf(path, sizeof path, "%s/link.db", f->dir);
    snprintf(target, sizeof target, "%s/not-yet", f->dir);
    assert_int_equal(symlink(target, path), 0);
    cd_store *s = NULL;
    struct cd_err e = { 0 };
    assert_int_equal(cd_store_open(path, CD_OPEN_CREATE, &s, &e), CD_E_EXISTS);
    assert_non_null(strstr(e.msg, "exists"));
    struct stat st;
    assert_int_equal(lstat(path, &st), 0);
    assert_true(S_ISLNK(st.st_mode));
}

/* Several processes run init on one path at the same moment: exactly one
 * wins, every other one is told the store exists, and the winner's store
 * is whole. */
static void test_concurrent_init(void **state)
{
    struct fx *f = *state;
    enum { ROUNDS = 8, KIDS = 4 };
    for (int round = 0; round < ROUNDS; round++) {
        char path[200];
        snprintf(path, sizeof path, "%s/race-%d.db", f->dir, round);
        int go[2];
        assert_int_equal(pipe(go), 0);
        pid_t pid[KIDS];
        for (int k = 0; k < KIDS; k++) {
            pid[k] = fork();
            assert_true(pid[k] >= 0);
            if (pid[k] == 0) {
                close(go[1]);
                char c;
                if (read(go[0], &c, 1) < 0) _exit(100);
                cd_store *s = NULL;
                struct cd_err e = { 0 };
                int rc = cd_store_open(path, CD_OPEN_CREATE, &s, &e);
                if (!rc) rc = cd_store_init(s, "admin", &e);
                cd_store_close(s);
                _exit(rc);
            }
        }
        close(go[0]);
        close(go[1]);                                   /* every child's read returns now */
        int won = 0, exists = 0;
        for (int k = 0; k < KIDS; k++) {
            int status = 0;
            assert_int_equal(waitpid(pid[k], &status, 0), pid[k]);
            assert_true(WIFEXITED(status));
            int rc = WEXITSTATUS(status);
            if (rc == CD_OK) won++;
            else if (rc == CD_E_EXISTS) exists++;
            else fail_msg("round %d: a concurrent init ended with status %d", round, rc);
        }
        assert_int_equal(won, 1);
        assert_int_equal(exists, KIDS - 1);
        cd_store *s = NULL;
        cd_user *u = NULL;
        assert_int_equal(cd_store_open(path, 0, &s, &f->err), CD_OK);
        assert_int_equal(cd_user_owner(s, &u, &f->err), CD_OK);
        struct cd_query q = { .revoked = 1 };
        int64_t n = 0;
        assert_int_equal(cd_cert_count(s, u, &q, &n, &f->err), CD_OK);
        assert_int_equal(n, 3);
        cd_user_free(u);
        cd_store_close(s);
    }
}

/* ---- secret files ---------------------------------------------------------- */

static void write_file(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

static void test_secret_files(void **state)
{
    struct fx *f = *state;
    char path[200];
    snprintf(path, sizeof path, "%s/secret", f->dir);
    char *s = NULL;
    struct cd_err e = { 0 };
    write_file(path, "pass phrase\r\nsecond line\n", 25);
    assert_int_equal(cd_read_secret_file(path, &s, &e), CD_OK);
    assert_string_equal(s, "pass phrase");
    cd_secret_free(s);
    write_file(path, "abc\0def\n", 8);
    assert_int_equal(cd_read_secret_file(path, &s, &e), CD_E_INVAL);
    assert_null(s);
    assert_non_null(strstr(e.msg, "NUL"));
    /* an empty first line is refused like an empty file: a passphrase file
     * that protects nothing is a mistake (no --passphrase-file means none) */
    write_file(path, "\n", 1);
    assert_int_equal(cd_read_secret_file(path, &s, &e), CD_E_INVAL);
    assert_null(s);
    assert_non_null(strstr(e.msg, "empty"));
    write_file(path, "p\xff\n", 3);                    /* GnuTLS takes only UTF-8 passphrases */
    assert_int_equal(cd_read_secret_file(path, &s, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "UTF-8"));
    assert_null(strstr(e.msg, "0xff"));                /* no byte of it is told */
    write_file(path, "", 0);
    assert_int_equal(cd_read_secret_file(path, &s, &e), CD_E_INVAL);
    char big[CD_SECRET_FILE_MAX + 1];
    memset(big, 'x', sizeof big);
    write_file(path, big, CD_SECRET_FILE_MAX);
    assert_int_equal(cd_read_secret_file(path, &s, &e), CD_OK);
    assert_int_equal(strlen(s), CD_SECRET_FILE_MAX);
    cd_secret_free(s);
    write_file(path, big, sizeof big);
    assert_int_equal(cd_read_secret_file(path, &s, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "larger than"));
    memset(&e, 0, sizeof e);
    assert_int_equal(cd_read_secret_file("/dev/zero", &s, &e), CD_E_INVAL);
    assert_null(s);
    assert_int_equal(cd_read_secret_file("/nonexistent/x", &s, &e), CD_E_IO);
}

/* cert new with this --host: its status, and the message in *e. */
static int host_new(struct fx *f, const char *host, struct cd_err *e)
{
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .subject = { .cn = "h" },
                                .host = host, .keytype = CD_KEY_EC256, .days = 30 };
    memset(e, 0, sizeof *e);
    return cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, e);
}

static void test_host_names_refused(void **state)
{
    struct fx *f = *state;
    char l64[80], big[300];
    memset(l64, 'a', 64);
    strcpy(l64 + 64, ".example");
    /* 254 characters in labels of 62 */
    for (int i = 0; i < 254; i++) big[i] = i % 63 == 62 ? '.' : 'b';
    big[254] = 0;
    static const struct { const char *host, *why; } bad[] = {
        { "a..b", "empty label" }, { ".a.example", "empty label" }, { "-x.example", "hyphen" },
        { "a-.example", "hyphen" }, { "ok.example,x-.example", "\"x-.example\"" },
        { "*.*.example", "not the leftmost" }, { "a.*.example", "not the leftmost" },
        { "x*.example", "inside a label" }, { "*x.example", "inside a label" },
        { "1.2.3.4.5", "all-numeric" }, { "10.0.0", "all-numeric" }, { "123", "all-numeric" },
        { "host.0x7f", "all-numeric" }, { "a.example.", "ends with a dot" }, { "a b", "space" },
        { "a_b.example", "\"_\"" }, { "[::1]", "\"[\"" }, { "b\xc3\xbc" "cher.example", "not ASCII" },
        { "a,,b", "empty entry" }, { "a.example,", "empty entry" }, { "   ", "empty entry" },
        { "*,a.example", "several" }, { "x\x1b[1m.example", "control character" },
        { "\xff.example", "not valid UTF-8" }, { "fe80::1%eth0", "\":\"" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cd_err e;
        int rc = host_new(f, bad[i].host, &e);
        if (rc != CD_E_INVAL || !strstr(e.msg, bad[i].why))
            fail_msg("host \"%s\": rc %d, \"%s\"; expected CD_E_INVAL naming \"%s\"", bad[i].host, rc, e.msg,
                     bad[i].why);
        assert_true(cd_is_clean(e.msg, (size_t)-1));
    }
    struct cd_err e;
    assert_int_equal(host_new(f, l64, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "longer than 63"));
    assert_int_equal(host_new(f, big, &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "longer than 253"));
    /* the message quotes the bad entry, not the list */
    assert_int_equal(host_new(f, "good.example, 10.0.0.1, bad..example", &e), CD_E_INVAL);
    assert_non_null(strstr(e.msg, "host \"bad..example\""));
    assert_int_equal(fx_count(f, NULL, 1), 3);
}

static void test_host_names_accepted(void **state)
{
    struct fx *f = *state;
    char l63[80], max[260];
    memset(l63, 'a', 63);
    strcpy(l63 + 63, ".example");
    /* 253 characters: labels of 62 and a last one of 1 */
    for (int i = 0; i < 253; i++) max[i] = i % 63 == 62 ? '.' : 'c';
    max[253] = 0;
    static const char *const good[] = {
        "web.example.org", "Web01.Example.ORG", "*.example.org", "xn--bcher-kva.example", "a-b.c-d.example",
        "localhost", "10.0.0.1", "2001:db8::1", "::ffff:192.0.2.1", "1host.example", "host.1a",
        " a.example , 10.0.0.1 ,b.example ", "*", "", NULL,
    };
    int64_t n = fx_count(f, NULL, 1);
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        struct cd_err e;
        if (host_new(f, good[i], &e) != CD_OK) fail_msg("host \"%s\" refused: %s", good[i] ? good[i] : "(null)", e.msg);
    }
    struct cd_err e;
    assert_int_equal(host_new(f, l63, &e), CD_OK);
    assert_int_equal(host_new(f, max, &e), CD_OK);
    assert_int_equal(fx_count(f, NULL, 1), n + (int64_t)(sizeof good / sizeof good[0]) + 2);
    /* stored as given, case kept */
    assert_int_equal(fx_count(f, "host:Web01.Example.ORG", 1), 1);
}

static void test_subject_spaces_and_country(void **state)
{
    struct fx *f = *state;
    static const char *const bad[] = { " ", "  ", " lead", "trail ", "\xc2\xa0nbsp", "ideo\xe3\x80\x80",
                                       "\xe2\x80\x83" "em" };
    for (int field = 0; field < SF_N; field++) {
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
            struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "ok" },
                                        .keytype = CD_KEY_EC256, .days = 30 };
            set_field(&p.subject, field, bad[i]);
            struct cd_err e = { 0 };
            int rc = cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &e);
            if (rc != CD_E_INVAL || !strstr(e.msg, "white space"))
                fail_msg("cert new with %s value %zu: rc %d (%s)", SF_NAME[field], i, rc, e.msg);
            struct cd_ca_params cp = { .subject = { .cn = "ok" }, .keytype = CD_KEY_EC256, .days = 30 };
            set_field(&cp.subject, field, bad[i]);
            memset(&e, 0, sizeof e);
            rc = cd_ca_new(f->s, f->u, &cp, NULL, &e);
            if (rc != CD_E_INVAL || !strstr(e.msg, "white space"))
                fail_msg("ca new with %s value %zu: rc %d (%s)", SF_NAME[field], i, rc, e.msg);
        }
    }
    /* the country in capitals; lowercase is refused with the spelling to use */
    static const char *const badc[] = { "us", "Us", "uS" };
    for (size_t i = 0; i < sizeof badc / sizeof badc[0]; i++) {
        struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "c", .c = badc[i] },
                                    .keytype = CD_KEY_EC256, .days = 30 };
        struct cd_err e = { 0 };
        assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &e), CD_E_INVAL);
        assert_non_null(strstr(e.msg, "use \"US\""));
        struct cd_ca_params cp = { .subject = { .cn = "c", .c = badc[i] }, .keytype = CD_KEY_EC256, .days = 30 };
        memset(&e, 0, sizeof e);
        assert_int_equal(cd_ca_new(f->s, f->u, &cp, NULL, &e), CD_E_INVAL);
        assert_non_null(strstr(e.msg, "use \"US\""));
    }
    assert_int_equal(fx_count(f, NULL, 1), 3);
    /* inner spaces are a name's own; C in capitals is fine */
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT,
                                .subject = { .cn = "two  words", .o = "A B", .c = "US" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    int64_t id = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), CD_OK);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, id, &c, &f->err), CD_OK);
    assert_string_equal(c.cn, "two  words");
    assert_non_null(strstr(c.subject, "C=US"));
    cd_cert_clear(&c);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, fx_setup, fx_teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_subject_fields_refused), T(test_descriptions_are_utf8), T(test_tag_names), T(test_group_paths), T(test_user_and_preset_names),
        cmocka_unit_test(test_filter_nesting_limit), T(test_filter_thousand_terms), T(test_filter_numbers),
        T(test_empty_file_is_not_a_store), T(test_create_loser_removes_nothing), T(test_concurrent_init),
        T(test_secret_files), T(test_host_names_refused), T(test_host_names_accepted),
        T(test_subject_spaces_and_country),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
