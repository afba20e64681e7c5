/* certdeck unit tests — the core's HTTPS client (http.c, http_trust.c) and
 * the agent's check-in client (agent.c), judged against a small GnuTLS
 * server in a thread (tlsd.h) with certificates certdeck itself issued:
 * clear messages for every failure, trust given / on first use / remembered
 * / CHANGED, the body cap, no redirects, credentials and the client
 * certificate on the wire. */
#include "helpers.h"
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <gnutls/x509.h>
#include "http_int.h"
#include "tlsd.h"

/* ---- fixtures: one store, the files every test uses -------------------- */

static char dir[64];
static char ca_pem[128], ca2_pem[128], srv_pem[128], srv_key[128], srv2_pem[128], srv2_key[128],
            other_pem[128], other_key[128], ag_pem[128], ag_key[128];
static char ca_fp[96];

static void in(char *out, const char *name) { snprintf(out, 128, "%s/%s", dir, name); }

static void put(const char *path, const void *data, size_t n)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, n), (ssize_t)n);
    close(fd);
}

static int64_t issue(struct fx *f, int64_t ca, int product, const char *cn, const char *host)
{
    struct cd_cert_params p = { .ca_id = ca, .product = product, .subject = { .cn = cn }, .host = host,
                                .keytype = CD_KEY_EC256, .days = 30 };
    int64_t id = 0;
    int rc = cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err);
    if (rc) fail_msg("cd_cert_new: %s", cd_errmsg(&f->err, rc));
    return id;
}

/* The certificate (fmt: CD_EXPORT_PEM or _CHAIN) and its key, unencrypted. */
static void export_pair(struct fx *f, int64_t id, int fmt, const char *crt_path, const char *key_path)
{
    unsigned char *d = NULL;
    size_t n = 0;
    assert_int_equal(cd_cert_export(f->s, f->u, id, fmt, NULL, &d, &n, &f->err), CD_OK);
    put(crt_path, d, n);
    free(d);
    assert_int_equal(cd_cert_export(f->s, f->u, id, CD_EXPORT_KEY, "pw-12345", &d, &n, &f->err), CD_OK);
    gnutls_x509_privkey_t k;
    gnutls_datum_t enc = { d, (unsigned)n }, plain = { NULL, 0 };
    assert_int_equal(gnutls_x509_privkey_init(&k), 0);
    assert_true(gnutls_x509_privkey_import2(k, &enc, GNUTLS_X509_FMT_PEM, "pw-12345", 0) >= 0);
    assert_true(gnutls_x509_privkey_export2(k, GNUTLS_X509_FMT_PEM, &plain) >= 0);
    put(key_path, plain.data, plain.size);
    gnutls_free(plain.data);
    gnutls_x509_privkey_deinit(k);
    free(d);
}

static void export_ca(struct fx *f, int64_t id, const char *path)
{
    char *pem = NULL;
    size_t n = 0;
    assert_int_equal(cd_ca_export(f->s, f->u, id, &pem, &n, &f->err), CD_OK);
    put(path, pem, n);
    free(pem);
}

/* SHA-256 of the first certificate of a PEM file, "AB:CD:...". */
static void pem_fp(const char *path, char *out)
{
    gnutls_datum_t pem, der;
    gnutls_x509_crt_t c;
    unsigned char md[32];
    size_t n = sizeof md;
    assert_int_equal(gnutls_load_file(path, &pem), 0);
    gnutls_x509_crt_init(&c);
    assert_int_equal(gnutls_x509_crt_import(c, &pem, GNUTLS_X509_FMT_PEM), 0);
    assert_int_equal(gnutls_x509_crt_export2(c, GNUTLS_X509_FMT_DER, &der), 0);
    assert_int_equal(gnutls_fingerprint(GNUTLS_DIG_SHA256, &der, md, &n), 0);
    for (size_t i = 0; i < n; i++) sprintf(out + 3 * i, "%02X%s", md[i], i + 1 < n ? ":" : "");
    gnutls_free(der.data);
    gnutls_free(pem.data);
    gnutls_x509_crt_deinit(c);
}

static int group_setup(void **state)
{
    (void)state;
    void *fs = NULL;
    if (fx_setup(&fs)) return -1;
    struct fx *f = fs;
    snprintf(dir, sizeof dir, "%s", f->dir);
    in(ca_pem, "ca.pem"); in(ca2_pem, "ca2.pem"); in(srv_pem, "srv.pem"); in(srv_key, "srv.key");
    in(srv2_pem, "srv2.pem"); in(srv2_key, "srv2.key"); in(other_pem, "other.pem"); in(other_key, "other.key");
    in(ag_pem, "ag.pem"); in(ag_key, "ag.key");
    struct cd_ca_params cp = { .subject = { .cn = "Second CA" }, .keytype = CD_KEY_EC256 };
    int64_t ca2 = 0;
    if (cd_ca_new(f->s, f->u, &cp, &ca2, &f->err)) return -1;
    export_ca(f, 1, ca_pem);
    export_ca(f, ca2, ca2_pem);
    export_pair(f, issue(f, 1, CD_PRODUCT_SERVER, "srv", "127.0.0.1,localhost"), CD_EXPORT_CHAIN, srv_pem, srv_key);
    export_pair(f, issue(f, ca2, CD_PRODUCT_SERVER, "srv2", "127.0.0.1,localhost"), CD_EXPORT_CHAIN, srv2_pem, srv2_key);
    export_pair(f, issue(f, 1, CD_PRODUCT_SERVER, "other", "other.example"), CD_EXPORT_CHAIN, other_pem, other_key);
    export_pair(f, 2, CD_EXPORT_PEM, ag_pem, ag_key);   /* init's "Agent certificate" */
    pem_fp(ca_pem, ca_fp);
    /* the files stay; the store is done with */
    cd_user_free(f->u);
    cd_store_close(f->s);
    free(f);
    return 0;
}

static int group_teardown(void **state)
{
    (void)state;
    fx_rm(dir);
    return 0;
}

/* A fresh, empty place to remember CAs in, per test. */
static void fresh_config(char *out)
{
    static int n;
    snprintf(out, 128, "%s/config-%d", dir, ++n);
    setenv("XDG_CONFIG_HOME", out, 1);
}

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static const char OK_JSON[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{\"ok\":true}";

/* Opens a client of 127.0.0.1:port with the CA file cacert (NULL: none). */
static int open_at(int port, const char *cacert, struct cdi_http **h, struct cd_err *err)
{
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
    struct cdi_http_opts o = { .base_url = url, .cacert = cacert, .connect_timeout_ms = 3000, .timeout_ms = 5000 };
    return cdi_http_open(&o, h, err);
}

/* ---- network failures ---------------------------------------------------- */

static void test_escape(void **state)
{
    (void)state;
    char *e = cdi_http_escape("a b/c?d=\xc3\xa9&x~y.z-_");
    assert_string_equal(e, "a%20b%2Fc%3Fd%3D%C3%A9%26x~y.z-_");
    free(e);
    e = cdi_http_escape("");
    assert_string_equal(e, "");
    free(e);
}

static void test_connection_refused(void **state)
{
    (void)state;
    int port, fd = tlsd_listen(&port);
    assert_true(fd >= 0);
    close(fd);              /* nobody listens there now */
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(open_at(port, ca_pem, &h, &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st = -1;
    double t0 = now_s();
    assert_int_equal(cdi_http_request(h, "GET", "/api/v1/certs", NULL, 0, &st, &b, &err), CD_E_IO);
    assert_true(now_s() - t0 < 2);
    char want[96];
    snprintf(want, sizeof want, "certdeckd at 127.0.0.1:%d: connection refused", port);
    assert_string_equal(err.msg, want);
    assert_null(b.p);
    cdi_http_close(h);
}

static void test_timeout_no_tls(void **state)
{
    (void)state;
    /* accepts TCP connections (the backlog) but never speaks TLS */
    int port, fd = tlsd_listen(&port);
    assert_true(fd >= 0);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
    struct cdi_http_opts o = { .base_url = url, .cacert = ca_pem, .connect_timeout_ms = 500, .timeout_ms = 5000 };
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(cdi_http_open(&o, &h, &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st;
    double t0 = now_s();
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_IO);
    double dt = now_s() - t0;
    assert_true(dt >= 0.4 && dt < 3);
    assert_non_null(strstr(err.msg, "timed out after 0.5 s"));
    assert_non_null(strstr(err.msg, "certdeckd at 127.0.0.1:"));
    cdi_http_close(h);
    close(fd);
}

static void test_timeout_no_answer(void **state)
{
    (void)state;
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, NULL, NULL), 0);
    tlsd_set(&d, NULL, NULL, NULL, TLSD_SILENT);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", d.port);
    struct cdi_http_opts o = { .base_url = url, .cacert = ca_pem, .connect_timeout_ms = 2000, .timeout_ms = 700 };
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(cdi_http_open(&o, &h, &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st;
    double t0 = now_s();
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_IO);
    double dt = now_s() - t0;
    assert_true(dt >= 0.6 && dt < 3);
    assert_non_null(strstr(err.msg, "timed out after 0.7 s waiting for the answer"));
    cdi_http_close(h);
    tlsd_stop(&d);
}

static void test_not_trusted_yet(
void **state)
{
    (void)state;
    char cfg[128];
    fresh_config(cfg);
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    /* refused before anything goes on the wire: port 1 is never reached */
    assert_int_equal(open_at(1, NULL, &h, &err), CD_E_CRYPTO);
    assert_null(h);
    assert_string_equal(err.msg, "certdeckd at 127.0.0.1:1: the server is not trusted yet: give --cacert FILE "
                        "(the CA that issued its certificate: certdeck ca export 1 on the server's store)");
}

static void test_bad_urls(void **state)
{
    (void)state;
    const char *bad[] = { "http://127.0.0.1:1", "https://u:p@127.0.0.1:1", "https://127.0.0.1:1/api",
                          "https://127.0.0.1:1?x=1", "127.0.0.1:1", "" };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cdi_http_opts o = { .base_url = bad[i], .cacert = ca_pem };
        struct cdi_http *h = NULL;
        struct cd_err err = { 0 };
        assert_int_equal(cdi_http_open(&o, &h, &err), CD_E_INVAL);
        assert_null(h);
    }
}

/* ---- requests ----------------------------------------------------------- */

static void test_request_and_keepalive(void **state)
{
    (void)state;
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, NULL, OK_JSON), 0);
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(open_at(d.port, ca_pem, &h, &err), CD_OK);
    assert_int_equal(cdi_http_set_auth(h, "alice", "s3cret", &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st = 0;
    const char body[] = "{\"cn\":\"x\"}";
    int rc = cdi_http_request(h, "POST", "/api/v1/certs?limit=5", body, strlen(body), &st, &b, &err);
    assert_int_equal(rc, CD_OK);
    assert_int_equal(st, 200);
    assert_string_equal((char *)b.p, "{\"ok\":true}");
    pthread_mutex_lock(&d.mu);
    assert_non_null(strstr(d.last, "POST /api/v1/certs?limit=5 HTTP/1.1\r\n"));
    assert_non_null(strstr(d.last, "Content-Type: application/json\r\n"));
    assert_non_null(strstr(d.last, "Authorization: Basic YWxpY2U6czNjcmV0\r\n"));   /* alice:s3cret */
    assert_null(strstr(d.last, "Expect:"));
    assert_non_null(strstr(d.last, "\r\n\r\n{\"cn\":\"x\"}"));
    pthread_mutex_unlock(&d.mu);
    assert_int_equal(cdi_http_request(h, "GET", "/api/v1/tags", NULL, 0, &st, &b, &err), CD_OK);
    assert_int_equal(cdi_http_request(h, "DELETE", "/api/v1/tags/x", NULL, 0, &st, &b, &err), CD_OK);
    pthread_mutex_lock(&d.mu);
    assert_non_null(strstr(d.last, "DELETE /api/v1/tags/x HTTP/1.1\r\n"));
    assert_int_equal(d.requests, 3);
    assert_int_equal(d.conns, 1);            /* one connection, kept alive */
    assert_int_equal(d.client_certs, 0);
    pthread_mutex_unlock(&d.mu);
    char hp[64];
    snprintf(hp, sizeof hp, "127.0.0.1:%d", d.port);
    assert_string_equal(cdi_http_hostport(h), hp);
    cdi_buf_free(&b);
    cdi_http_close(h);
    tlsd_stop(&d);
}

static void test_answers_refused(void **state)
{
    (void)state;
    static const char big[] = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n";
    static const char redirect[] = "HTTP/1.1 302 Found\r\nLocation: https://evil.example/steal\r\nContent-Length: 0\r\n\r\n";
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, NULL, big), 0);
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", d.port);
    struct cdi_http_opts o = { .base_url = url, .cacert = ca_pem, .timeout_ms = 5000, .max_body = 1000 };
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(cdi_http_open(&o, &h, &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st;
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_IO);
    assert_non_null(strstr(err.msg, ": answer larger than 1000 bytes"));
    /* no length announced: the body itself is cut at the cap */
    char unsized[2100] = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
    size_t k = strlen(unsized);
    memset(unsized + k, 'x', sizeof unsized - 1 - k);
    tlsd_set(&d, NULL, NULL, unsized, TLSD_ANSWER);
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_IO);
    assert_non_null(strstr(err.msg, ": answer larger than 1000 bytes"));
    tlsd_set(&d, NULL, NULL, redirect, TLSD_ANSWER);
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_IO);
    assert_non_null(strstr(err.msg, "unexpected redirect (HTTP 302) to https://evil.example/steal"));
    tlsd_set(&d, NULL, NULL, NULL, TLSD_HANGUP);
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_IO);
    assert_non_null(strstr(err.msg, "empty reply"));
    assert_null(b.p);
    cdi_http_close(h);
    tlsd_stop(&d);
}

/* ---- trust --------------------------------------------------------------- */

static void test_wrong_ca(void **state)
{
    (void)state;
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, NULL, OK_JSON), 0);
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(open_at(d.port, ca2_pem, &h, &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st;
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_CRYPTO);
    assert_non_null(strstr(err.msg, "TLS: the server's certificate is not trusted: not issued by the CA in "));
    assert_non_null(strstr(err.msg, ca2_pem));
    assert_non_null(strstr(err.msg, ca_fp));         /* what it is signed by instead */
    cdi_http_close(h);
    tlsd_stop(&d);
}

static void test_host_mismatch(void **state)
{
    (void)state;
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, other_pem, other_key, NULL, OK_JSON), 0);
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(open_at(d.port, ca_pem, &h, &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st;
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_CRYPTO);
    assert_non_null(strstr(err.msg, "the server's certificate does not match 127.0.0.1"));
    cdi_http_close(h);
    tlsd_stop(&d);
}

struct asked { int n, answer; char hostport[64], subject[256], sha256[96]; };

static int trust_cb(void *ctx, const char *hostport, const char *subject, const char *sha256)
{
    struct asked *a = ctx;
    a->n++;
    snprintf(a->hostport, sizeof a->hostport, "%s", hostport);
    snprintf(a->subject, sizeof a->subject, "%s", subject);
    snprintf(a->sha256, sizeof a->sha256, "%s", sha256);
    return a->answer;
}

static int tofu_open(int port, struct asked *a, struct cdi_http **h, struct cd_err *err)
{
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", port);
    struct cdi_http_opts o = { .base_url = url, .trust = trust_cb, .trust_ctx = a, .timeout_ms = 5000 };
    return cdi_http_open(&o, h, err);
}

static void test_trust_on_first_use(void **state)
{
    (void)state;
    char cfg[128], known[256];
    fresh_config(cfg);
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, NULL, OK_JSON), 0);
    snprintf(known, sizeof known, "%s/certdeck/known/127.0.0.1_%d.pem", cfg, d.port);
    struct asked a = { .answer = 1 };
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_OK);
    assert_int_equal(a.n, 1);
    char hp[64];
    snprintf(hp, sizeof hp, "127.0.0.1:%d", d.port);
    assert_string_equal(a.hostport, hp);
    assert_string_equal(a.sha256, ca_fp);                       /* the CA, not the leaf */
    assert_string_equal(a.subject, "CN=Server Certification Authority");
    struct stat st;
    assert_int_equal(stat(known, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    char fp[96];
    pem_fp(known, fp);
    assert_string_equal(fp, ca_fp);
    char kdir[192];
    snprintf(kdir, sizeof kdir, "%s/certdeck/known", cfg);
    assert_int_equal(stat(kdir, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0700);
    struct cdi_buf b = { 0 };
    long status;
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &status, &b, &err), CD_OK);
    assert_int_equal(status, 200);
    cdi_http_close(h);
    /* remembered: not asked again, and verified */
    a.answer = 0;
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_OK);
    assert_int_equal(a.n, 1);
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &status, &b, &err), CD_OK);
    cdi_http_close(h);
    cdi_buf_free(&b);
    /* whom we trust is ours alone: a remembered file others may write, or
     * a folder others may write in, is refused (never silently used) */
    assert_int_equal(chmod(known, 0666), 0);
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_E_CRYPTO);
    assert_non_null(strstr(err.msg, "not a file of yours"));
    assert_int_equal(chmod(known, 0600), 0);
    assert_int_equal(chmod(kdir, 0777), 0);
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_E_INVAL);
    assert_non_null(strstr(err.msg, kdir));
    assert_int_equal(chmod(kdir, 0700), 0);
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_OK);
    cdi_http_close(h);
    assert_int_equal(a.n, 1);
    tlsd_stop(&d);
}

static void test_trust_declined(void **state)
{
    (void)state;
    char cfg[128], known[256];
    fresh_config(cfg);
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, NULL, OK_JSON), 0);
    snprintf(known, sizeof known, "%s/certdeck/known/127.0.0.1_%d.pem", cfg, d.port);
    struct asked a = { .answer = 0 };
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_E_CRYPTO);
    assert_null(h);
    assert_int_equal(a.n, 1);
    assert_non_null(strstr(err.msg, "not trusted"));
    assert_int_equal(access(known, F_OK), -1);
    tlsd_stop(&d);
}

static void test_changed_certificate(void **state)
{
    (void)state;
    char cfg[128], known[256];
    fresh_config(cfg);
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, NULL, OK_JSON), 0);
    snprintf(known, sizeof known, "%s/certdeck/known/127.0.0.1_%d.pem", cfg, d.port);
    struct asked a = { .answer = 1 };
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_OK);
    cdi_http_close(h);
    /* the server now shows a certificate of another CA */
    tlsd_set(&d, srv2_pem, srv2_key, OK_JSON, TLSD_ANSWER);
    assert_int_equal(tofu_open(d.port, &a, &h, &err), CD_OK);
    struct cdi_buf b = { 0 };
    long st;
    assert_int_equal(cdi_http_request(h, "GET", "/", NULL, 0, &st, &b, &err), CD_E_CRYPTO);
    assert_int_equal(a.n, 1);                  /* never asked again */
    char fp2[96];
    pem_fp(ca2_pem, fp2);
    assert_non_null(strstr(err.msg, "its certificate has CHANGED and is not signed by the CA trusted on "));
    assert_non_null(strstr(err.msg, ca_fp));
    assert_non_null(strstr(err.msg, fp2));
    assert_non_null(strstr(err.msg, known));
    cdi_http_close(h);
    tlsd_stop(&d);
}

/* ---- the agent's check-in ------------------------------------------------ */

/* A whole HTTP answer with its Content-Length (buf: 256 bytes). */
static void answer(char *buf, const char *status, const char *body)
{
    snprintf(buf, 256, "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s", status,
             strlen(body), body);
}

static void checkin(int port, const char *password, struct cd_agent_answer *ans, int want_rc)
{
    char url[64];
    snprintf(url, sizeof url, "https://localhost:%d", port);
    struct cd_agent_opts o = { .server = url, .cacert = ca_pem, .cert_file = ag_pem, .key_file = ag_key,
                               .name = "pc-\xc3\xa9", .password = password, .timeout_ms = 5000 };
    struct cd_err err = { 0 };
    int rc = cd_agent_checkin(&o, ans, &err);
    if (rc != want_rc) fail_msg("cd_agent_checkin: %d %s", rc, err.msg);
}

static void test_agent_checkin(void **state)
{
    (void)state;
    char ok[256], no[256], oops[256];
    answer(ok, "200 OK", "{\"accepted\": true, \"certificate\": 2, \"unauthenticated\": false, \"crls\": []}");
    answer(no, "403 Forbidden", "{\"accepted\": false, \"error\": \"certificate revoked\"}");
    answer(oops, "500 Internal Server Error", "");
    struct tlsd d;
    assert_int_equal(tlsd_start(&d, srv_pem, srv_key, ca_pem, ok), 0);
    struct cd_agent_answer ans;
    checkin(d.port, "client-pw", &ans, CD_OK);
    assert_int_equal(ans.accepted, 1);
    assert_int_equal(ans.http_status, 200);
    assert_non_null(strstr(ans.json, "\"certificate\": 2"));
    free(ans.json);
    pthread_mutex_lock(&d.mu);
    assert_int_equal(d.client_certs, 1);       /* the client certificate was presented */
    assert_non_null(strstr(d.last, "POST /agent/v1/checkin HTTP/1.1\r\n"));
    assert_non_null(strstr(d.last, "{\"name\":\"pc-\\u00E9\",\"password\":\"client-pw\"}"));
    pthread_mutex_unlock(&d.mu);

    tlsd_set(&d, NULL, NULL, no, TLSD_ANSWER);
    checkin(d.port, NULL, &ans, CD_OK);
    assert_int_equal(ans.accepted, 0);
    assert_int_equal(ans.http_status, 403);
    assert_string_equal(ans.message, "certificate revoked");
    free(ans.json);
    pthread_mutex_lock(&d.mu);
    assert_null(strstr(d.last, "password"));
    pthread_mutex_unlock(&d.mu);

    tlsd_set(&d, NULL, NULL, oops, TLSD_ANSWER);
    checkin(d.port, NULL, &ans, CD_OK);
    assert_int_equal(ans.accepted, 0);
    assert_string_equal(ans.message, "HTTP 500");
    free(ans.json);
    tlsd_stop(&d);

    checkin(d.port, NULL, &ans, CD_E_IO);      /* nobody there any more */
    assert_null(ans.json);
}

static void test_client_pair_checked(void **state)
{
    (void)state;
    /* refused before any connection: port 1 is never reached */
    struct cdi_http_opts o = { .base_url = "https://127.0.0.1:1", .cacert = ca_pem, .client_cert = ag_pem,
                               .client_key = srv_key };
    struct cdi_http *h = NULL;
    struct cd_err err = { 0 };
    assert_int_equal(cdi_http_open(&o, &h, &err), CD_E_CRYPTO);
    assert_null(h);
    assert_non_null(strstr(err.msg, "certdeckd at 127.0.0.1:1: cannot use the client certificate "));
    o.client_key = NULL;
    assert_int_equal(cdi_http_open(&o, &h, &err), CD_E_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_connection_refused),
        cmocka_unit_test(test_timeout_no_tls),
        cmocka_unit_test(test_timeout_no_answer),
        cmocka_unit_test(test_not_trusted_yet),
        cmocka_unit_test(test_bad_urls),
        cmocka_unit_test(test_request_and_keepalive),
        cmocka_unit_test(test_answers_refused),
        cmocka_unit_test(test_wrong_ca),
        cmocka_unit_test(test_host_mismatch),
        cmocka_unit_test(test_trust_on_first_use),
        cmocka_unit_test(test_trust_declined),
        cmocka_unit_test(test_changed_certificate),
        cmocka_unit_test(test_agent_checkin),
        cmocka_unit_test(test_client_pair_checked),
    };
    return cmocka_run_group_tests_name("http", tests, group_setup, group_teardown);
}
