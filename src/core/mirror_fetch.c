/* certdeck core — the mirror's transfer layer (mirror_fetch_int.h): GETs of
 * a snapshot's files from a web server (libcurl, http:// and https://) or
 * a folder, into memory or into a file while hashing, with one clear
 * message per failure naming the mirror.  Redirects are followed here, by
 * hand, so that credentials go only where they were meant to go. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <curl/curl.h>
#include <gnutls/crypto.h>
#include "mirror_fetch_int.h"

#define MAX_HOPS 5
/* the body of an error answer is read and dropped, up to this much */
#define ERROR_BODY_MAX (64 << 10)

struct cdi_mfetch {
    CURL *c;
    char *source;               /* shown and remembered: no credentials */
    char *base;                 /* requests: base + "/" + rel */
    char *folder;               /* a local source */
    char *where;                /* in messages: "HOST:PORT" or the folder */
    char *scheme, *host, *port; /* of the source, for redirects */
    char *user, *password;
    int   auth_ok;              /* credentials may be sent to the source */
    int64_t max_size;
    long  connect_ms, timeout_ms;
    void (*progress)(void *ctx, int64_t done, int64_t total);
    void *progress_ctx;
    int   unreachable, wants_auth;
    char  errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void) { curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT); }

void cdi_mcond_clear(struct cdi_mcond *c)
{
    if (!c) return;
    free(c->etag);
    free(c->last_modified);
    c->etag = c->last_modified = NULL;
}

const char *cdi_mfetch_source(const struct cdi_mfetch *f) { return f->source; }
const char *cdi_mfetch_folder(const struct cdi_mfetch *f) { return f->folder; }
int cdi_mfetch_unreachable(const struct cdi_mfetch *f) { return f->unreachable; }
int cdi_mfetch_wants_auth(const struct cdi_mfetch *f) { return f->wants_auth; }

static int oom(struct cd_err *err) { return cdi_fail(err, CD_E_NOMEM, "out of memory"); }

/* 127.0.0.0/8, ::1 or "localhost": basic auth over plain http stays on the machine. */
static int loopback(const char *host)
{
    char bare[64];
    size_t n = strlen(host);
    if (!strcasecmp(host, "localhost")) return 1;
    if (n >= 2 && n < sizeof bare && host[0] == '[' && host[n - 1] == ']') {
        memcpy(bare, host + 1, n - 2);
        bare[n - 2] = 0;
        struct in6_addr a6;
        return inet_pton(AF_INET6, bare, &a6) == 1 && !memcmp(&a6, &in6addr_loopback, sizeof a6);
    }
    struct in_addr a4;
    if (inet_pton(AF_INET, host, &a4) == 1) return (ntohl(a4.s_addr) >> 24) == 127;
    struct in6_addr a6;
    return inet_pton(AF_INET6, host, &a6) == 1 && !memcmp(&a6, &in6addr_loopback, sizeof a6);
}

/* A folder given as "file:///PATH", "file:PATH" (relative or absolute,
 * as a local store is named) or a plain path, made absolute. */
static int open_folder(struct cdi_mfetch *f, const char *src, struct cd_err *err)
{
    const char *p = src;
    if (!strncmp(src, "file:", 5)) {
        p = src + 5;
        if (!strncmp(p, "//localhost/", 12)) p += 11;
        else if (!strncmp(p, "///", 3)) p += 2;
        else if (!strncmp(p, "//", 2))
            return cdi_fail(err, CD_E_INVAL, "\"%.200s\": give a folder as file:///PATH or file:PATH", src);
    }
    if (!*p) return cdi_fail(err, CD_E_INVAL, "no mirror folder given");
    char cwd[4096] = "";
    if (*p != '/' && !getcwd(cwd, sizeof cwd)) return cdi_fail(err, CD_E_IO, "cannot tell the current folder: %s", strerror(errno));
    /* one name for one folder ("./stick/pki", "/media/stick/pki/"), so that
     * it has one cache and one remembered signer; a folder not there keeps
     * its name for the message */
    char *real = realpath(p, NULL);
    f->folder = real ? real : *p == '/' ? strdup(p) : cdi_printf("%s/%s", cwd, p);
    if (!f->folder) return oom(err);
    for (size_t n = strlen(f->folder); n > 1 && f->folder[n - 1] == '/'; n--) f->folder[n - 1] = 0;
    f->source = cdi_printf("file://%s", f->folder);
    f->where = strdup(f->folder);
    return f->source && f->where ? CD_OK : oom(err);
}

/* "http(s)://HOST[:PORT][/PATH]": no user info, query or fragment. */
static int open_url(struct cdi_mfetch *f, const char *src, struct cd_err *err)
{
    CURLU *u = curl_url();
    char *x = NULL, *url = NULL;
    int rc = cdi_fail(err, CD_E_INVAL, "\"%.200s\": give a mirror as https://HOST[:PORT]/PATH, http://..., "
                      "file:///PATH or a folder", src);
    if (!u) { rc = oom(err); goto out; }
    if (curl_url_set(u, CURLUPART_URL, src, 0)) goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &f->scheme, 0)) goto out;
    if (curl_url_get(u, CURLUPART_HOST, &f->host, 0) || !*f->host) goto out;
    if (curl_url_get(u, CURLUPART_PORT, &f->port, CURLU_DEFAULT_PORT)) goto out;
    if (curl_url_get(u, CURLUPART_USER, &x, 0) != CURLUE_NO_USER) {
        rc = cdi_fail(err, CD_E_INVAL, "mirror %s: credentials do not go in the URL (use --user, or ~/.netrc)", f->host);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &x, 0) != CURLUE_NO_QUERY) goto out;
    if (curl_url_get(u, CURLUPART_FRAGMENT, &x, 0) != CURLUE_NO_FRAGMENT) goto out;
    if (curl_url_get(u, CURLUPART_URL, &url, 0)) goto out;
    f->source = strdup(url);
    f->where = cdi_printf("%s:%s", f->host, f->port);
    if (!f->source || !f->where) { rc = oom(err); goto out; }
    for (size_t n = strlen(f->source); n && f->source[n - 1] == '/'; n--) f->source[n - 1] = 0;
    f->base = strdup(f->source);
    rc = f->base ? CD_OK : oom(err);
out:
    curl_free(x);
    curl_free(url);
    curl_url_cleanup(u);
    return rc;
}

/* The options that hold for every request of this source. */
static int setup(struct cdi_mfetch *f, const struct cd_mirror_opts *o, struct cd_err *err)
{
    CURL *c = f->c;
    CURLcode e = CURLE_OK;
    long stall = (f->timeout_ms + 999) / 1000;
#define SET(opt, val) do { if (!e) e = curl_easy_setopt(c, opt, val); } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, f->errbuf);
    SET(CURLOPT_PROTOCOLS_STR, "http,https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);           /* followed by hand: see get() */
    SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, f->connect_ms);
    /* no whole-transfer clock for a file: a big one may take long, but not
     * at less than 1 KiB/s on average over the timeout (a server dripping
     * a byte a second would otherwise hold a reader for days); the small
     * ones (pointer, index, signature) get a whole-request clock in get() */
    SET(CURLOPT_LOW_SPEED_LIMIT, 1024L);
    SET(CURLOPT_LOW_SPEED_TIME, stall > 0 ? stall : 1L);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->cacert) {
        SET(CURLOPT_CAINFO, o->cacert);
        SET(CURLOPT_CAPATH, NULL);
    }
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_ACCEPT_ENCODING, NULL);        /* sizes and hashes are of the bytes as stored */
    SET(CURLOPT_USERAGENT, "certdeck/" CERTDECK_VERSION);
    /* a snapshot's image is some 200 MB: received, written and hashed in
     * 512 KB pieces, not libcurl's default 16 KB (12,000 writes fewer) */
    SET(CURLOPT_BUFFERSIZE, 512L * 1024);
#undef SET
    return e ? cdi_fail(err, CD_E_IO, "mirror %s: %s", f->where, curl_easy_strerror(e)) : CD_OK;
}

int cdi_mfetch_open(const char *src, const struct cd_mirror_opts *o, struct cdi_mfetch **out, struct cd_err *err)
{
    static const struct cd_mirror_opts none = { 0 };
    *out = NULL;
    if (!o) o = &none;
    if (!src || !*src) return cdi_fail(err, CD_E_INVAL, "no mirror given");
    size_t sl = strlen(src);
    while (sl > 1 && src[sl - 1] == '/') sl--;
    if (sl >= 8 && !strncmp(src + sl - 8, "/current", 8))
        return cdi_fail(err, CD_E_INVAL, "\"%.200s\": give the snapshot's folder, without /current", src);
    struct cdi_mfetch *f = calloc(1, sizeof *f);
    if (!f) return oom(err);
    f->max_size = o->max_size > 0 ? o->max_size : CD_MIRROR_MAX_SIZE;
    f->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 10000;
    f->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    f->progress = o->progress;
    f->progress_ctx = o->progress_ctx;
    int rc;
    if (!strncmp(src, "http://", 7) || !strncmp(src, "https://", 8)) {
        pthread_once(&curl_once, curl_init);
        if (curl_init_rc) { rc = cdi_fail(err, CD_E_IO, "libcurl: %s", curl_easy_strerror(curl_init_rc)); goto out; }
        if ((rc = open_url(f, src, err))) goto out;
        f->auth_ok = !strcmp(f->scheme, "https") || loopback(f->host) || o->insecure_auth;
        if (o->user && !f->auth_ok) {
            rc = cdi_fail(err, CD_E_FORBIDDEN, "mirror %s: basic auth over plain http to a host that is not on "
                          "loopback would send the password in clear; use https://, or --insecure-auth", f->where);
            goto out;
        }
        if (!(f->c = curl_easy_init())) { rc = oom(err); goto out; }
        if ((rc = setup(f, o, err))) goto out;
        /* credentials that stay on this machine must not go out through a
         * proxy from the environment (libcurl would use http_proxy for
         * 127.0.0.1 too) */
        if (!strcmp(f->scheme, "http") && loopback(f->host)) curl_easy_setopt(f->c, CURLOPT_NOPROXY, "*");
    } else if (strstr(src, "://") && strncmp(src, "file:", 5)) {
        rc = cdi_fail(err, CD_E_INVAL, "\"%.200s\": give a mirror as https://HOST[:PORT]/PATH, http://..., "
                      "file:///PATH or a folder", src);
        goto out;
    } else if ((rc = open_folder(f, src, err))) {
        goto out;
    }
    if (o->user && (!(f->user = strdup(o->user)) || !(f->password = strdup(o->password ? o->password : "")))) {
        rc = oom(err);
        goto out;
    }
out:
    if (rc) cdi_mfetch_close(f);
    else *out = f;
    return rc;
}

void cdi_mfetch_close(struct cdi_mfetch *f)
{
    if (!f) return;
    if (f->c) curl_easy_cleanup(f->c);
    if (f->password) cdi_wipe(f->password, strlen(f->password));
    free(f->password);
    free(f->user);
    free(f->source);
    free(f->base);
    free(f->folder);
    free(f->where);
    curl_free(f->scheme);
    curl_free(f->host);
    curl_free(f->port);
    free(f);
}

/* ---- where the body goes ------------------------------------------------------ */

struct sink {
    struct cdi_mfetch *f;
    struct cdi_buf *b;          /* into memory, or */
    int fd;                     /* into a file (-1: memory) */
    gnutls_hash_hd_t h;         /* file: hashed as it goes */
    int64_t n, max, dropped;
    int over, ioerr, oom, errbody;
    struct timespec t0, last;
};

static double since(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

/* o->progress once a download has lasted a second, then 5 times a second. */
static void tick(struct sink *k, int64_t done, int64_t total, int last)
{
    if (!k->f->progress || k->fd < 0) return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (since(&k->t0, &now) < 1.0 || (!last && k->last.tv_sec && since(&k->last, &now) < 0.2)) return;
    k->last = now;
    k->f->progress(k->f->progress_ctx, done, total);
}

static int sink_put(struct sink *k, const void *p, size_t len)
{
    if ((int64_t)len > k->max - k->n) { k->over = 1; return -1; }
    if (k->fd < 0) {
        cdi_buf_add(k->b, p, len);
        if (k->b->oom) { k->oom = 1; return -1; }
    } else {
        for (size_t off = 0; off < len;) {
            ssize_t w = write(k->fd, (const char *)p + off, len - off);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) { k->ioerr = w < 0 ? errno : ENOSPC; return -1; }
            off += (size_t)w;
        }
        gnutls_hash(k->h, p, len);
    }
    k->n += (int64_t)len;
    return 0;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    struct sink *k = ud;
    size_t len = size * nmemb;
    long code = 0;
    curl_easy_getinfo(k->f->c, CURLINFO_RESPONSE_CODE, &code);
    if (code != 200) {
        /* a redirect's or an error's body: read and dropped, within reason */
        k->dropped += (int64_t)len;
        if (k->dropped > ERROR_BODY_MAX) { k->errbody = 1; return 0; }
        return len;
    }
    /* a length over the cap is refused before its body is read (not with
     * CURLOPT_MAXFILESIZE: that would cut short a long 401 page too) */
    curl_off_t cl = -1;
    if (k->n == 0 && !curl_easy_getinfo(k->f->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl) && cl > (curl_off_t)k->max) {
        k->over = 1;
        return 0;
    }
    return sink_put(k, p, len) ? 0 : len;
}

static int on_progress(void *ud, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    tick(ud, (int64_t)dlnow, (int64_t)dltotal, 0);
    return 0;
}

/* ---- one clear message per failure ----------------------------------------------- */

/* A body over its cap: the --max-size one, or the size the index gives. */
static int too_big(const struct cdi_mfetch *f, const struct sink *k, const char *rel, struct cd_err *err)
{
    if (k->fd < 0)
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s: larger than %lld bytes (too large for this file of a snapshot)",
                        f->where, rel, (long long)k->max);
    if (k->max < f->max_size)
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s: larger than the %lld bytes the index gives", f->where, rel,
                        (long long)k->max);
    return cdi_fail(err, CD_E_IO, "mirror %s: %s: larger than the limit of %lld bytes (--max-size)", f->where, rel,
                    (long long)k->max);
}

static int failure(struct cdi_mfetch *f, CURLcode e, const struct sink *k, const char *rel, struct cd_err *err)
{
    const char *w = f->where, *eb = f->errbuf[0] ? f->errbuf : curl_easy_strerror(e);
    long os = 0;
    curl_easy_getinfo(f->c, CURLINFO_OS_ERRNO, &os);
    if (k->over || e == CURLE_FILESIZE_EXCEEDED) return too_big(f, k, rel, err);
    if (k->oom) return oom(err);
    if (k->ioerr) return cdi_fail(err, CD_E_IO, "mirror %s: %s: cannot write the cache: %s", w, rel, strerror(k->ioerr));
    if (k->errbody) return cdi_fail(err, CD_E_IO, "mirror %s: %s: an error answer longer than %d bytes", w, rel, ERROR_BODY_MAX);
    f->unreachable = 1;
    switch (e) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return cdi_fail(err, CD_E_IO, "mirror %s: could not resolve host %s", w, f->host);
    case CURLE_COULDNT_CONNECT:
        if (os == ECONNREFUSED) return cdi_fail(err, CD_E_IO, "mirror %s: connection refused", w);
        if (os) return cdi_fail(err, CD_E_IO, "mirror %s: cannot connect: %s", w, strerror((int)os));
        return cdi_fail(err, CD_E_IO, "mirror %s: cannot connect: %.200s", w, eb);
    case CURLE_OPERATION_TIMEDOUT: {
        curl_off_t conn = 0;
        curl_easy_getinfo(f->c, CURLINFO_CONNECT_TIME_T, &conn);
        if (!conn)
            return cdi_fail(err, CD_E_IO, "mirror %s: timed out after %g s while connecting", w,
                            (double)f->connect_ms / 1000);
        return cdi_fail(err, CD_E_IO, k->fd < 0 ? "mirror %s: %s: timed out after %ld s"
                                                : "mirror %s: %s: timed out (under 1 KiB/s for %ld s)", w, rel,
                        (f->timeout_ms + 999) / 1000);
    }
    case CURLE_PARTIAL_FILE: {
        curl_off_t cl = -1;
        curl_easy_getinfo(f->c, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
        return cdi_fail(err, CD_E_IO, "mirror %s: %s: answer ended early: %lld of %lld bytes", w, rel,
                        (long long)k->n, (long long)cl);
    }
    case CURLE_GOT_NOTHING:
        return cdi_fail(err, CD_E_IO, "mirror %s: empty reply (the connection closed without an answer)", w);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return cdi_fail(err, CD_E_IO, "mirror %s: %s: connection lost: %.200s", w, rel, eb);
    default:
        break;
    }
    /* TLS and protocol trouble is not the network's: the cache is no answer to it */
    f->unreachable = 0;
    switch (e) {
    case CURLE_PEER_FAILED_VERIFICATION:
        return cdi_fail(err, CD_E_CRYPTO, "mirror %s: its TLS certificate is not trusted: %.200s (give its CA with --cacert)", w, eb);
    case CURLE_SSL_CACERT_BADFILE:
        return cdi_fail(err, CD_E_CRYPTO, "mirror %s: cannot use the CA file: %.200s", w, eb);
    case CURLE_SSL_CONNECT_ERROR:
        return cdi_fail(err, CD_E_IO, "mirror %s: TLS handshake failed: %.200s", w, eb);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:
        return cdi_fail(err, CD_E_IO, "mirror %s: not an HTTP answer: %.200s", w, eb);
    default:
        return cdi_fail(err, CD_E_IO, "mirror %s: %s: %.200s", w, rel, eb);
    }
}

static int status_fail(struct cdi_mfetch *f, long st, int sent_creds, const char *rel, struct cd_err *err)
{
    const char *w = f->where;
    switch (st) {
    case 401:
        if (sent_creds) return cdi_fail(err, CD_E_LOGIN, "mirror %s: wrong user name or password (401)", w);
        f->wants_auth = 1;
        if (!f->auth_ok)
            return cdi_fail(err, CD_E_LOGIN, "mirror %s: needs a user name and password (401), which plain http "
                            "to a host not on loopback would send in clear; use https://, or --insecure-auth", w);
        return cdi_fail(err, CD_E_LOGIN, "mirror %s: needs a user name and password (401): give --user NAME, "
                        "or a \"machine %s\" line in ~/.netrc (if there is one, its password was refused)", w,
                        f->host);
    case 403: return cdi_fail(err, CD_E_FORBIDDEN, "mirror %s: %s: forbidden (403)", w, rel);
    case 404:
    case 410:
        if (!strcmp(rel, "current")) {
            /* the first request: most likely the address is not a snapshot's folder */
            return cdi_fail(err, CD_E_NOTFOUND, "mirror %s: %s/current: not found (%ld): is this the folder a "
                            "snapshot was published into?", w, f->source, st);
        }
        return cdi_fail(err, CD_E_NOTFOUND, "mirror %s: %s: not found (%ld)", w, rel, st);
    default: break;
    }
    if (st >= 500) {
        f->unreachable = 1;
        return cdi_fail(err, CD_E_IO, "mirror %s: %s: server error (%ld)", w, rel, st);
    }
    return cdi_fail(err, CD_E_IO, "mirror %s: %s: unexpected answer (HTTP %ld)", w, rel, st);
}

/* A redirect's target, checked: *same is 1 when it is the source's scheme,
 * host and port (credentials may follow), 0 for anywhere else (they may
 * not); from https to http it is refused. */
static int redirect_target(struct cdi_mfetch *f, const char *loc, int *same, char **next, struct cd_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *shown = NULL;
    int rc;
    *next = NULL;
    if (!u) return oom(err);
    if (!loc || curl_url_set(u, CURLUPART_URL, loc, 0) || curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) || curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
        rc = cdi_fail(err, CD_E_IO, "mirror %s: a redirect to an address that is not a URL", f->where);
        goto out;
    }
    /* never show (nor keep) user info a server put into a Location */
    curl_url_set(u, CURLUPART_USER, NULL, 0);
    curl_url_set(u, CURLUPART_PASSWORD, NULL, 0);
    if (curl_url_get(u, CURLUPART_URL, &shown, 0)) { rc = oom(err); goto out; }
    if (strcmp(scheme, "http") && strcmp(scheme, "https")) {
        rc = cdi_fail(err, CD_E_IO, "mirror %s: redirected to %.200s: refused (not http or https)", f->where, shown);
        goto out;
    }
    if (!strcmp(f->scheme, "https") && !strcmp(scheme, "http")) {
        rc = cdi_fail(err, CD_E_IO, "mirror %s: redirected to %.200s: refused (from https to plain http)", f->where, shown);
        goto out;
    }
    *same = !strcmp(scheme, f->scheme) && !strcasecmp(host, f->host) && !strcmp(port, f->port);
    *next = strdup(shown);
    rc = *next ? CD_OK : oom(err);
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(shown);
    curl_url_cleanup(u);
    return rc;
}

/* Who is asked for credentials on this hop. */
static void auth_for(struct cdi_mfetch *f, int creds)
{
    CURL *c = f->c;
    if (creds && f->user) {
        curl_easy_setopt(c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, f->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, f->password);
        return;
    }
    curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
    curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_NETRC, (long)(creds && f->auth_ok ? CURL_NETRC_OPTIONAL : CURL_NETRC_IGNORED));
}

static char *header_copy(CURL *c, const char *name)
{
    struct curl_header *h = NULL;
    if (curl_easy_header(c, name, 0, CURLH_HEADER, -1, &h) != CURLHE_OK || !h || !h->value) return NULL;
    return strdup(h->value);
}

/* One GET over HTTP, redirects followed by hand. */
static int http_get(struct cdi_mfetch *f, const char *rel, const struct cdi_mcond *cond, int *unchanged,
                    struct cdi_mcond *got, struct sink *k, struct cd_err *err)
{
    CURL *c = f->c;
    struct curl_slist *hdr = NULL;
    char *url = cdi_printf("%s/%s", f->base, rel), *next = NULL;
    int rc = CD_OK, creds = 1;
    if (!url) return oom(err);
    if (cond && cond->etag) {
        char *h = cdi_printf("If-None-Match: %s", cond->etag);
        struct curl_slist *p = h ? curl_slist_append(hdr, h) : NULL;
        free(h);
        if (!p) { rc = oom(err); goto out; }
        hdr = p;
    }
    if (cond && cond->last_modified) {
        char *h = cdi_printf("If-Modified-Since: %s", cond->last_modified);
        struct curl_slist *p = h ? curl_slist_append(hdr, h) : NULL;
        free(h);
        if (!p) { rc = oom(err); goto out; }
        hdr = p;
    }
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, k);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, k);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, k->fd < 0 ? f->timeout_ms : 0L);
    for (int hop = 0;; hop++) {
        f->errbuf[0] = 0;
        k->dropped = 0;
        curl_easy_setopt(c, CURLOPT_URL, url);
        auth_for(f, creds);
        CURLcode e = curl_easy_perform(c);
        if (e) { rc = failure(f, e, k, rel, err); goto out; }
        long st = 0;
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &st);
        if (st == 200) break;
        if (st == 304 && cond && (cond->etag || cond->last_modified)) {
            if (unchanged) *unchanged = 1;
            break;
        }
        if (st != 301 && st != 302 && st != 303 && st != 307 && st != 308) {
            rc = status_fail(f, st, creds && f->user, rel, err);
            goto out;
        }
        if (hop == MAX_HOPS) {
            rc = cdi_fail(err, CD_E_IO, "mirror %s: %s: more than %d redirects", f->where, rel, MAX_HOPS);
            goto out;
        }
        char *loc = NULL;
        int same = 0;
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
        if ((rc = redirect_target(f, loc, &same, &next, err))) goto out;
        /* credentials go only to the source itself, and once elsewhere, never again */
        creds = creds && same;
        free(url);
        url = next;
        next = NULL;
    }
    if (got) {
        cdi_mcond_clear(got);
        got->etag = header_copy(c, "ETag");
        got->last_modified = header_copy(c, "Last-Modified");
    }
out:
    /* nothing of this request stays in the handle: headers, credentials */
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
    curl_easy_setopt(c, CURLOPT_USERNAME, NULL);
    curl_easy_setopt(c, CURLOPT_PASSWORD, NULL);
    curl_slist_free_all(hdr);
    free(url);
    free(next);
    return rc;
}

/* The same from a folder: a regular file, read with the same cap. */
static int file_get(struct cdi_mfetch *f, const char *rel, struct sink *k, struct cd_err *err)
{
    const char *w = f->where;
    struct stat st;
    char *path = cdi_printf("%s/%s", f->folder, rel);
    char buf[1 << 16];
    int fd = -1, rc;
    if (!path) return oom(err);
    if (stat(f->folder, &st) || !S_ISDIR(st.st_mode)) {
        /* a USB stick not plugged in: the mirror cannot be reached */
        f->unreachable = 1;
        rc = cdi_fail(err, CD_E_IO, "mirror %s: not a folder that is there", w);
        goto out;
    }
    if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK)) < 0) {
        rc = errno != ENOENT ? cdi_fail(err, CD_E_IO, "mirror %s: %s: %s", w, rel, strerror(errno))
             : !strcmp(rel, "current") ? cdi_fail(err, CD_E_NOTFOUND, "mirror %s: no file \"current\": is this the "
                                                  "folder a snapshot was published into?", w)
             : cdi_fail(err, CD_E_NOTFOUND, "mirror %s: %s: not found", w, rel);
        goto out;
    }
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        rc = cdi_fail(err, CD_E_IO, "mirror %s: %s: not a regular file", w, rel);
        goto out;
    }
    if (st.st_size > k->max) {
        rc = too_big(f, k, rel, err);
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { rc = cdi_fail(err, CD_E_IO, "mirror %s: %s: %s", w, rel, strerror(errno)); goto out; }
        if (r == 0) break;
        if (sink_put(k, buf, (size_t)r)) {
            if (k->oom) rc = oom(err);
            else if (k->over) rc = too_big(f, k, rel, err);
            else rc = cdi_fail(err, CD_E_IO, "mirror %s: %s: cannot write the cache: %s", w, rel, strerror(k->ioerr));
            goto out;
        }
        tick(k, k->n, (int64_t)st.st_size, 0);
    }
    rc = CD_OK;
out:
    if (fd >= 0) close(fd);
    free(path);
    return rc;
}

static int get(struct cdi_mfetch *f, const char *rel, const struct cdi_mcond *cond, int *unchanged,
               struct cdi_mcond *got, struct sink *k, struct cd_err *err)
{
    f->unreachable = f->wants_auth = 0;
    if (unchanged) *unchanged = 0;
    if (got) cdi_mcond_clear(got);
    clock_gettime(CLOCK_MONOTONIC, &k->t0);
    if (f->folder) return file_get(f, rel, k, err);
    return http_get(f, rel, cond, unchanged, got, k, err);
}

int cdi_mfetch_mem(struct cdi_mfetch *f, const char *rel, size_t max, const struct cdi_mcond *cond,
                   int *unchanged, struct cdi_mcond *got, struct cdi_buf *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    struct sink k = { .f = f, .b = out, .fd = -1, .max = (int64_t)max };
    int rc = get(f, rel, cond, unchanged, got, &k, err);
    if (!rc) {
        cdi_buf_add(out, "", 0);        /* a C string, even when empty */
        if (out->oom) rc = oom(err);
    }
    if (rc) {
        cdi_buf_free(out);
        if (got) cdi_mcond_clear(got);
    }
    return rc;
}

int cdi_mfetch_file(struct cdi_mfetch *f, const char *rel, int64_t max, int fd, char sha256[65], int64_t *size,
                    struct cd_err *err)
{
    struct sink k = { .f = f, .fd = fd, .max = max > 0 && max < f->max_size ? max : f->max_size };
    unsigned char md[32];
    sha256[0] = 0;
    *size = 0;
    if (gnutls_hash_init(&k.h, GNUTLS_DIG_SHA256) < 0) return cdi_fail(err, CD_E_CRYPTO, "SHA-256 is not available");
    int rc = get(f, rel, NULL, NULL, NULL, &k, err);
    gnutls_hash_deinit(k.h, md);
    if (rc) return rc;
    tick(&k, k.n, k.n, 1);
    cdi_hex(md, sizeof md, sha256);
    *size = k.n;
    return CD_OK;
}
