/* certdeck unit tests — the mirror's transfer layer (mirror_fetch.c),
 * judged against a small plain HTTP server in a thread (httpd.h) that
 * serves the broken answers, and against a folder: one clear message per
 * failure, the caps, the stall timeout, redirects that never carry the
 * credentials to another port, conditional GETs, basic auth rules. */
#include "helpers.h"
#include <gnutls/crypto.h>
#include "mirror_fetch_int.h"
#include "httpd.h"

static struct httpd srv, other;
static char tmp[64];

static int group_setup(void **state)
{
    (void)state;
    strcpy(tmp, "/tmp/cdfetch-XXXXXX");
    if (!mkdtemp(tmp)) return -1;
    if (httpd_start(&srv) || httpd_start(&other)) return -1;
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    httpd_stop(&srv);
    httpd_stop(&other);
    fx_rm(tmp);
    return 0;
}

static int reset(void **state)
{
    (void)state;
    httpd_unroute(&srv);
    httpd_unroute(&other);
    httpd_clear_log(&srv);
    httpd_clear_log(&other);
    return 0;
}

static struct cdi_mfetch *open_src(const char *src, const struct cd_mirror_opts *o)
{
    struct cdi_mfetch *f = NULL;
    struct cd_err err = { 0 };
    int rc = cdi_mfetch_open(src, o, &f, &err);
    if (rc) fail_msg("cdi_mfetch_open(%s): %s", src, cd_errmsg(&err, rc));
    return f;
}

static char *url(const struct httpd *d, const char *path)
{
    static char b[2][256];
    static int i;
    i ^= 1;
    snprintf(b[i], sizeof b[i], "http://127.0.0.1:%d%s", d->port, path);
    return b[i];
}

/* GET rel into memory; returns the status, the message in msg. */
static int get_mem(struct cdi_mfetch *f, const char *rel, size_t max, struct cdi_buf *out, char *msg)
{
    struct cd_err err = { 0 };
    int rc = cdi_mfetch_mem(f, rel, max, NULL, NULL, NULL, out, &err);
    snprintf(msg, 512, "%s", rc ? err.msg : "");
    return rc;
}

static void check_msg(const char *msg, const char *want)
{
    if (!strstr(msg, want)) fail_msg("message \"%s\" lacks \"%s\"", msg, want);
}

static void test_ok_and_validators(void **state)
{
    (void)state;
    httpd_route(&srv, "/m/current", "HTTP/1.1 200 OK\r\nContent-Length: 12\r\nETag: \"v1\"\r\n"
                "Last-Modified: Mon, 07 Dec 2026 10:00:00 GMT\r\nConnection: close\r\n\r\nindex-x.json", 0, HTTPD_ANSWER);
    struct cdi_mfetch *f = open_src(url(&srv, "/m/"), NULL);
    assert_string_equal(cdi_mfetch_source(f), url(&srv, "/m"));
    struct cdi_buf b;
    struct cdi_mcond got = { 0 };
    struct cd_err err = { 0 };
    int unchanged = 7;
    assert_int_equal(cdi_mfetch_mem(f, "current", 256, NULL, &unchanged, &got, &b, &err), CD_OK);
    assert_int_equal(unchanged, 0);
    assert_int_equal(b.len, 12);
    assert_string_equal((char *)b.p, "index-x.json");
    assert_string_equal(got.etag, "\"v1\"");
    assert_string_equal(got.last_modified, "Mon, 07 Dec 2026 10:00:00 GMT");
    cdi_buf_free(&b);

    /* the same, conditional: the validators are sent, a 304 is "unchanged" */
    httpd_route(&srv, "/m/current", "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nConnection: close\r\n\r\n", 0,
                HTTPD_ANSWER);
    httpd_clear_log(&srv);
    assert_int_equal(cdi_mfetch_mem(f, "current", 256, &got, &unchanged, NULL, &b, &err), CD_OK);
    assert_int_equal(unchanged, 1);
    assert_int_equal(b.len, 0);
    assert_int_equal(httpd_count(&srv, "If-None-Match: \"v1\"\r\n"), 1);
    assert_int_equal(httpd_count(&srv, "If-Modified-Since: Mon, 07 Dec 2026 10:00:00 GMT\r\n"), 1);
    assert_int_equal(srv.requests, 1);
    cdi_buf_free(&b);
    cdi_mcond_clear(&got);
    cdi_mfetch_close(f);
}

static void test_statuses(void **state)
{
    (void)state;
    static const struct { const char *answer; int rc; const char *msg; } t[] = {
        { "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", CD_E_FORBIDDEN, ": current: forbidden (403)" },
        { "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\nConnection: close\r\n\r\nno!", CD_E_NOTFOUND, "/m/current: not found (404): is this the folder a snapshot was published into?" },
        { "HTTP/1.1 500 Oops\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", CD_E_IO, ": current: server error (500)" },
        { "HTTP/1.1 418 Teapot\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", CD_E_IO, "unexpected answer (HTTP 418)" },
    };
    struct cdi_mfetch *f = open_src(url(&srv, "/m"), NULL);
    char msg[512], where[64];
    snprintf(where, sizeof where, "mirror 127.0.0.1:%d: ", srv.port);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        httpd_route(&srv, "/m/current", t[i].answer, 0, HTTPD_ANSWER);
        struct cdi_buf b;
        assert_int_equal(get_mem(f, "current", 256, &b, msg), t[i].rc);
        check_msg(msg, where);
        check_msg(msg, t[i].msg);
        assert_int_equal(cdi_mfetch_unreachable(f), i == 2);
        assert_null(b.p);
    }
    cdi_mfetch_close(f);
}

static void test_auth(void **state)
{
    (void)state;
    const char *a401 = "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"m\"\r\nContent-Length: 0\r\n"
                       "Connection: close\r\n\r\n";
    httpd_route(&srv, "/m/current", a401, 0, HTTPD_ANSWER);
    char msg[512];
    struct cdi_buf b;
    /* no credentials: asks for them (a front end may prompt and retry) */
    setenv("HOME", tmp, 1);             /* no ~/.netrc of the person running the tests */
    struct cdi_mfetch *f = open_src(url(&srv, "/m"), NULL);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_LOGIN);
    check_msg(msg, "needs a user name and password (401)");
    assert_true(cdi_mfetch_wants_auth(f));
    assert_int_equal(httpd_count(&srv, "Authorization:"), 0);
    cdi_mfetch_close(f);
    /* wrong ones: said so; the password is on the wire (loopback) but never in the message */
    struct cd_mirror_opts o = { .user = "alice", .password = "s3cret-pw" };
    f = open_src(url(&srv, "/m"), &o);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_LOGIN);
    char want[96];
    snprintf(want, sizeof want, "mirror 127.0.0.1:%d: wrong user name or password (401)", srv.port);
    assert_string_equal(msg, want);
    assert_false(cdi_mfetch_wants_auth(f));
    assert_int_equal(httpd_count(&srv, "Authorization: Basic YWxpY2U6czNjcmV0LXB3\r\n"), 1);
    cdi_mfetch_close(f);
    /* a proxy from the environment is not used for loopback: the password
     * would leave the machine through it (the other server stands in for
     * the proxy and must see nothing) */
    char proxy[64];
    snprintf(proxy, sizeof proxy, "http://127.0.0.1:%d", other.port);
    httpd_clear_log(&other);
    setenv("http_proxy", proxy, 1);
    setenv("ALL_PROXY", proxy, 1);
    f = open_src(url(&srv, "/m"), &o);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_LOGIN);
    unsetenv("http_proxy");
    unsetenv("ALL_PROXY");
    assert_int_equal(httpd_count(&other, "Authorization:"), 0);
    assert_int_equal(httpd_count(&other, "GET "), 0);
    cdi_mfetch_close(f);
    /* plain http to a host not on loopback: refused before anything is sent */
    struct cd_err err = { 0 };
    f = NULL;
    assert_int_equal(cdi_mfetch_open("http://mirror.example.org/pki", &o, &f, &err), CD_E_FORBIDDEN);
    check_msg(err.msg, "--insecure-auth");
    assert_null(strstr(err.msg, "s3cret"));
    assert_null(f);
    o.insecure_auth = 1;
    assert_int_equal(cdi_mfetch_open("http://mirror.example.org/pki", &o, &f, &err), CD_OK);
    cdi_mfetch_close(f);
    /* https, ::1 and localhost need no such permission */
    o.insecure_auth = 0;
    static const char *const fine[] = { "https://mirror.example.org/pki", "http://[::1]:8080/m", "http://localhost/m",
                                        "http://127.1.2.3/m" };
    for (size_t i = 0; i < 4; i++) {
        if (cdi_mfetch_open(fine[i], &o, &f, &err)) fail_msg("%s: %s", fine[i], err.msg);
        cdi_mfetch_close(f);
    }
    /* credentials in the URL are refused, and not repeated */
    assert_int_equal(cdi_mfetch_open("https://bob:hunter2@mirror.example.org/pki", NULL, &f, &err), CD_E_INVAL);
    assert_null(strstr(err.msg, "hunter2"));
    assert_int_equal(cdi_mfetch_open("ftp://mirror.example.org/pki", NULL, &f, &err), CD_E_INVAL);
}

static void test_refused_and_stalled(void **state)
{
    (void)state;
    char msg[512], src[64];
    struct cdi_buf b;
    int port = httpd_closed_port();
    assert_true(port > 0);
    snprintf(src, sizeof src, "http://127.0.0.1:%d/m", port);
    struct cdi_mfetch *f = open_src(src, NULL);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_IO);
    char want[96];
    snprintf(want, sizeof want, "mirror 127.0.0.1:%d: connection refused", port);
    assert_string_equal(msg, want);
    assert_true(cdi_mfetch_unreachable(f));
    cdi_mfetch_close(f);

    /* a server that takes the request and goes quiet: the stall clock, not forever */
    httpd_route(&srv, "/m/current", "x", 0, HTTPD_SILENT);
    struct cd_mirror_opts o = { .timeout_ms = 1000 };
    f = open_src(url(&srv, "/m"), &o);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_IO);
    check_msg(msg, "current: timed out after 1 s");
    assert_true(cdi_mfetch_unreachable(f));
    cdi_mfetch_close(f);

    /* one that keeps sending, slowly (a byte now and then resets no stall
     * clock): a small object has a whole-request clock */
    httpd_route(&srv, "/m/current", "HTTP/1.1 200 OK\r\nContent-Length: 200\r\nConnection: close\r\n\r\n"
                "index-0000000000000000000000000000000000000000000000000000000000000000.json\n"
                "index-0000000000000000000000000000000000000000000000000000000000000000.json\n"
                "0123456789012345678901234567890123456789012345", 0, HTTPD_DRIP);
    f = open_src(url(&srv, "/m"), &o);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_IO);
    check_msg(msg, "current: timed out after 1 s");
    cdi_mfetch_close(f);
}

static void test_truncated_and_caps(void **state)
{
    (void)state;
    char msg[512];
    struct cdi_buf b;
    char *ans = malloc(1 << 20);
    int n = sprintf(ans, "HTTP/1.1 200 OK\r\nContent-Length: 5678\r\nConnection: close\r\n\r\n");
    memset(ans + n, 'a', 1234);
    httpd_route(&srv, "/m/files/a.db", ans, (size_t)n + 1234, HTTPD_ANSWER);
    struct cd_mirror_opts o = { .max_size = 100000 };
    struct cdi_mfetch *f = open_src(url(&srv, "/m"), &o);
    assert_int_equal(get_mem(f, "files/a.db", 100000, &b, msg), CD_E_IO);
    check_msg(msg, "files/a.db: answer ended early: 1234 of 5678 bytes");
    assert_true(cdi_mfetch_unreachable(f));

    /* a Content-Length over the cap is refused before the body is read */
    n = sprintf(ans, "HTTP/1.1 200 OK\r\nContent-Length: 200000\r\nConnection: close\r\n\r\n");
    memset(ans + n, 'b', 200000);
    httpd_route(&srv, "/m/files/b.db", ans, (size_t)n + 200000, HTTPD_ANSWER);
    int fd = open(strcat(strcpy(msg, tmp), "/out"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    char sha[65];
    int64_t size = -1;
    struct cd_err err = { 0 };
    assert_int_equal(cdi_mfetch_file(f, "files/b.db", 0, fd, sha, &size, &err), CD_E_IO);
    check_msg(err.msg, "files/b.db: larger than the limit of 100000 bytes (--max-size)");
    assert_int_equal(lseek(fd, 0, SEEK_END), 0);
    assert_false(cdi_mfetch_unreachable(f));

    /* no Content-Length: the body is stopped once it grows over the cap */
    n = sprintf(ans, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    memset(ans + n, 'c', 300000);
    httpd_route(&srv, "/m/files/c.db", ans, (size_t)n + 300000, HTTPD_ANSWER);
    assert_int_equal(cdi_mfetch_file(f, "files/c.db", 0, fd, sha, &size, &err), CD_E_IO);
    check_msg(err.msg, "files/c.db: larger than the limit of 100000 bytes (--max-size)");
    assert_true(lseek(fd, 0, SEEK_END) <= 100000);
    /* the size the index gives is a cap too */
    assert_int_equal(cdi_mfetch_file(f, "files/b.db", 5000, fd, sha, &size, &err), CD_E_CORRUPT);
    check_msg(err.msg, "files/b.db: larger than the 5000 bytes the index gives");
    /* the pointer's own small cap */
    assert_int_equal(get_mem(f, "files/b.db", 256, &b, msg), CD_E_CORRUPT);
    close(fd);
    cdi_mfetch_close(f);
    free(ans);
}

/* A body into a file: its size and SHA-256 as it went by, and progress
 * reported once it has lasted a second. */
struct prog { int calls; int64_t done, total; };
static void on_prog(void *ctx, int64_t done, int64_t total)
{
    struct prog *p = ctx;
    p->calls++;
    p->done = done;
    p->total = total;
}

static void test_file_hash_progress(void **state)
{
    (void)state;
    size_t len = 40000;
    char *ans = malloc(len + 100);
    int n = sprintf(ans, "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", len);
    for (size_t i = 0; i < len; i++) ans[n + (int)i] = (char)('a' + i % 26);
    unsigned char md[32];
    char want[65], sha[65], path[128];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, ans + n, len, md);
    for (int i = 0; i < 32; i++) sprintf(want + 2 * i, "%02x", md[i]);
    httpd_route(&srv, "/m/files/x.db", ans, (size_t)n + len, HTTPD_DRIP);
    struct prog p = { 0 };
    struct cd_mirror_opts o = { .progress = on_prog, .progress_ctx = &p };
    struct cdi_mfetch *f = open_src(url(&srv, "/m"), &o);
    snprintf(path, sizeof path, "%s/x", tmp);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    int64_t size = 0;
    struct cd_err err = { 0 };
    assert_int_equal(cdi_mfetch_file(f, "files/x.db", (int64_t)len, fd, sha, &size, &err), CD_OK);
    assert_int_equal(size, (int64_t)len);
    assert_string_equal(sha, want);
    assert_int_equal(lseek(fd, 0, SEEK_END), (off_t)len);
    assert_true(p.calls >= 1);
    assert_int_equal(p.done, (int64_t)len);
    close(fd);
    cdi_mfetch_close(f);
    free(ans);
}

static void test_redirects(void **state)
{
    (void)state;
    char loc[512], msg[512];
    struct cdi_buf b;
    struct cd_mirror_opts o = { .user = "alice", .password = "s3cret-pw" };
    struct cdi_mfetch *f = open_src(url(&srv, "/m"), &o);
    /* same host and port: followed with the credentials */
    httpd_route(&srv, "/m/current", "HTTP/1.1 301 Moved\r\nLocation: /n/current\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                0, HTTPD_ANSWER);
    httpd_route(&srv, "/n/current", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", 0, HTTPD_ANSWER);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_OK);
    assert_string_equal((char *)b.p, "ok");
    cdi_buf_free(&b);
    assert_int_equal(httpd_count(&srv, "Authorization: Basic"), 2);

    /* another port: followed, the credentials are not */
    httpd_clear_log(&srv);
    snprintf(loc, sizeof loc, "HTTP/1.1 302 Found\r\nLocation: http://127.0.0.1:%d/o/current\r\nContent-Length: 0\r\n"
             "Connection: close\r\n\r\n", other.port);
    httpd_route(&srv, "/m/current", loc, 0, HTTPD_ANSWER);
    httpd_route(&other, "/o/current", "HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nfar", 0, HTTPD_ANSWER);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_OK);
    assert_string_equal((char *)b.p, "far");
    cdi_buf_free(&b);
    assert_int_equal(httpd_count(&srv, "Authorization: Basic"), 1);
    assert_int_equal(other.requests, 1);
    assert_int_equal(httpd_count(&other, "Authorization:"), 0);
    /* and a hop back from there does not pick them up again */
    httpd_clear_log(&srv);
    snprintf(loc, sizeof loc, "HTTP/1.1 307 Temporary\r\nLocation: http://127.0.0.1:%d/n/current\r\nContent-Length: 0\r\n"
             "Connection: close\r\n\r\n", srv.port);
    httpd_route(&other, "/o/current", loc, 0, HTTPD_ANSWER);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_OK);
    assert_string_equal((char *)b.p, "ok");
    cdi_buf_free(&b);
    assert_int_equal(httpd_count(&srv, "Authorization: Basic"), 1);
    assert_int_equal(httpd_count(&other, "Authorization:"), 0);

    /* a loop: stopped after 5 hops */
    httpd_route(&srv, "/m/current", "HTTP/1.1 302 Found\r\nLocation: /m/current\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                0, HTTPD_ANSWER);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_IO);
    check_msg(msg, "more than 5 redirects");
    /* a scheme that is not http(s), with user info in it: refused, shown without it */
    httpd_route(&srv, "/m/current", "HTTP/1.1 302 Found\r\nLocation: ftp://eve:pw@127.0.0.1/x\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n", 0, HTTPD_ANSWER);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_IO);
    check_msg(msg, "redirected to ftp://127.0.0.1/x: refused");
    cdi_mfetch_close(f);
}

static void put_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(text, fp);
    fclose(fp);
}

static void test_folder(void **state)
{
    (void)state;
    char d[128], p[160], src[160], msg[512];
    snprintf(d, sizeof d, "%s/snap", tmp);
    mkdir(d, 0700);
    snprintf(p, sizeof p, "%s/files", d);
    mkdir(p, 0700);
    snprintf(p, sizeof p, "%s/current", d);
    put_file(p, "index-abc.json\n");
    snprintf(p, sizeof p, "%s/files/f.pem", d);
    put_file(p, "hello");
    struct cdi_buf b;
    snprintf(src, sizeof src, "file://%s/", d);
    struct cdi_mfetch *f = open_src(src, NULL);
    snprintf(p, sizeof p, "file://%s", d);
    assert_string_equal(cdi_mfetch_source(f), p);
    assert_string_equal(cdi_mfetch_folder(f), d);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_OK);
    assert_string_equal((char *)b.p, "index-abc.json\n");
    cdi_buf_free(&b);
    assert_int_equal(get_mem(f, "current", 4, &b, msg), CD_E_CORRUPT);
    check_msg(msg, "current: larger than 4 bytes");
    assert_int_equal(get_mem(f, "files/none.db", 256, &b, msg), CD_E_NOTFOUND);
    check_msg(msg, "files/none.db: not found");
    assert_false(cdi_mfetch_unreachable(f));
    snprintf(p, sizeof p, "%s/o", tmp);
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC, 0600);
    char sha[65];
    int64_t size = 0;
    struct cd_err err = { 0 };
    assert_int_equal(cdi_mfetch_file(f, "files/f.pem", 0, fd, sha, &size, &err), CD_OK);
    assert_int_equal(size, 5);
    assert_string_equal(sha, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    close(fd);
    cdi_mfetch_close(f);
    /* a plain path works as well; a folder that is not there cannot be reached */
    snprintf(p, sizeof p, "%s/gone", tmp);
    f = open_src(p, NULL);
    assert_int_equal(get_mem(f, "current", 256, &b, msg), CD_E_IO);
    assert_true(cdi_mfetch_unreachable(f));
    cdi_mfetch_close(f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_ok_and_validators, reset),
        cmocka_unit_test_setup(test_statuses, reset),
        cmocka_unit_test_setup(test_auth, reset),
        cmocka_unit_test_setup(test_refused_and_stalled, reset),
        cmocka_unit_test_setup(test_truncated_and_caps, reset),
        cmocka_unit_test_setup(test_file_hash_progress, reset),
        cmocka_unit_test_setup(test_redirects, reset),
        cmocka_unit_test_setup(test_folder, reset),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
