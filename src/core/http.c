/* certdeck core — the HTTPS client (http_int.h): one reused libcurl easy
 * handle per connection to a certdeckd, with every security rule set once
 * here, and one clear message per failure, always naming the server.
 * Whom to trust is settled by http_trust.c before the first request.  A
 * handle is one connection: one thread uses it at a time. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <curl/curl.h>
#include "http_trust_int.h"

struct cdi_http {
    CURL *c;
    struct cdi_trust trust;
    char *base, *host, *port, *hostport;
    char *client_cert, *client_key;
    struct curl_slist *hdr_get, *hdr_body;
    long connect_ms, timeout_ms;
    size_t max_body;
    char errbuf[CURL_ERROR_SIZE];
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc;

static void curl_init(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

/* "https://HOST[:PORT]" (a trailing "/" allowed, nothing else) into host
 * and port; user names, paths, queries and other schemes are refused. */
static int parse_base(struct cdi_http *h, const char *url, struct cd_err *err)
{
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *x = NULL;
    int rc = cdi_fail(err, CD_E_INVAL, "\"%.200s\": give the server as https://HOST[:PORT]", url);
    if (!u || curl_url_set(u, CURLUPART_URL, url, 0)) goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) || strcmp(scheme, "https")) goto out;
    if (curl_url_get(u, CURLUPART_HOST, &host, 0) || !*host) goto out;
    if (curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) goto out;
    if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK && strcmp(path, "/") && *path) goto out;
    if (curl_url_get(u, CURLUPART_USER, &x, 0) != CURLUE_NO_USER) {
        rc = cdi_fail(err, CD_E_INVAL, "\"%.200s\": credentials do not go in the URL (use --user, or ~/.netrc)", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &x, 0) != CURLUE_NO_QUERY) goto out;
    if (curl_url_get(u, CURLUPART_FRAGMENT, &x, 0) != CURLUE_NO_FRAGMENT) goto out;
    h->host = strdup(host);
    h->port = strdup(port);
    h->hostport = cdi_printf("%s:%s", host, port);
    h->base = cdi_printf("https://%s:%s", host, port);
    rc = h->host && h->port && h->hostport && h->base ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_free(x);
    curl_url_cleanup(u);
    return rc;
}

/* The options that never change for this handle. */
static int setup(struct cdi_http *h, struct cd_err *err)
{
    CURL *c = h->c;
    CURLcode e = CURLE_OK;
#define SET(opt, val) do { if (!e) e = curl_easy_setopt(c, opt, val); } while (0)
    SET(CURLOPT_NOSIGNAL, 1L);
    SET(CURLOPT_ERRORBUFFER, h->errbuf);
    SET(CURLOPT_PROTOCOLS_STR, "https");
    SET(CURLOPT_REDIR_PROTOCOLS_STR, "https");
    SET(CURLOPT_FOLLOWLOCATION, 0L);           /* the API never redirects */
    SET(CURLOPT_UNRESTRICTED_AUTH, 0L);
    SET(CURLOPT_CONNECTTIMEOUT_MS, h->connect_ms);
    SET(CURLOPT_TIMEOUT_MS, h->timeout_ms);
    SET(CURLOPT_SSL_VERIFYPEER, 1L);
    SET(CURLOPT_SSL_VERIFYHOST, 2L);
    SET(CURLOPT_CAINFO, h->trust.cafile);
    SET(CURLOPT_CAPATH, NULL);                 /* only our CA: and ~20 ms less per handshake */
    SET(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_body);
    SET(CURLOPT_TCP_KEEPALIVE, 1L);
    SET(CURLOPT_USERAGENT, "certdeck/" CERTDECK_VERSION);
    if (h->client_cert) {
        SET(CURLOPT_SSLCERT, h->client_cert);
        SET(CURLOPT_SSLCERTTYPE, "PEM");
        SET(CURLOPT_SSLKEY, h->client_key);
        SET(CURLOPT_SSLKEYTYPE, "PEM");
    }
#undef SET
    if (e) return cdi_fail(err, CD_E_IO, "certdeckd at %s: %s", h->hostport, curl_easy_strerror(e));
    h->hdr_get = curl_slist_append(NULL, "Accept: application/json");
    h->hdr_body = curl_slist_append(NULL, "Accept: application/json");
    struct curl_slist *p = h->hdr_body ? curl_slist_append(h->hdr_body, "Content-Type: application/json") : NULL;
    /* no "Expect: 100-continue" round trip before a body */
    if (p) p = curl_slist_append(p, "Expect:");
    if (!h->hdr_get || !p) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    return CD_OK;
}

int cdi_http_open(const struct cdi_http_opts *o, struct cdi_http **out, struct cd_err *err)
{
    *out = NULL;
    if (!o || !o->base_url) return cdi_fail(err, CD_E_INVAL, "no server given");
    pthread_once(&curl_once, curl_init);
    if (curl_init_rc) return cdi_fail(err, CD_E_IO, "libcurl: %s", curl_easy_strerror(curl_init_rc));
    if ((o->client_cert == NULL) != (o->client_key == NULL))
        return cdi_fail(err, CD_E_INVAL, "a client certificate goes with its key");
    struct cdi_http *h = calloc(1, sizeof *h);
    if (!h) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    h->connect_ms = o->connect_timeout_ms > 0 ? o->connect_timeout_ms : 5000;
    h->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 60000;
    h->max_body = o->max_body ? o->max_body : (size_t)256 << 20;
    int rc = parse_base(h, o->base_url, err);
    if (rc) goto out;
    rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (o->client_cert && (!(h->client_cert = strdup(o->client_cert)) || !(h->client_key = strdup(o->client_key))))
        goto out;
    h->trust = (struct cdi_trust){ .host = h->host, .port = h->port, .hostport = h->hostport,
                                   .client_cert = h->client_cert, .client_key = h->client_key,
                                   .connect_timeout_ms = h->connect_ms };
    if ((rc = cdi_trust_settle(&h->trust, o, err))) goto out;
    if (!(h->c = curl_easy_init())) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    rc = setup(h, err);
out:
    if (rc) cdi_http_close(h);
    else *out = h;
    return rc;
}

void cdi_http_close(struct cdi_http *h)
{
    if (!h) return;
    if (h->c) curl_easy_cleanup(h->c);
    curl_slist_free_all(h->hdr_get);
    curl_slist_free_all(h->hdr_body);
    cdi_trust_clear(&h->trust);
    free(h->base);
    free(h->host);
    free(h->port);
    free(h->hostport);
    free(h->client_cert);
    free(h->client_key);
    free(h);
}

/* Credentials live only in curl's handle (which copies them), so there is
 * no copy of ours to wipe. */
int cdi_http_set_auth(struct cdi_http *h, const char *user, const char *password, struct cd_err *err)
{
    CURLcode e;
    if (user) {
        e = curl_easy_setopt(h->c, CURLOPT_NETRC, (long)CURL_NETRC_IGNORED);
        if (!e) e = curl_easy_setopt(h->c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        if (!e) e = curl_easy_setopt(h->c, CURLOPT_USERNAME, user);
        if (!e) e = curl_easy_setopt(h->c, CURLOPT_PASSWORD, password ? password : "");
    } else {
        e = curl_easy_setopt(h->c, CURLOPT_USERNAME, NULL);
        if (!e) e = curl_easy_setopt(h->c, CURLOPT_PASSWORD, NULL);
        if (!e) e = curl_easy_setopt(h->c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        if (!e) e = curl_easy_setopt(h->c, CURLOPT_NETRC, (long)CURL_NETRC_OPTIONAL);
    }
    return e ? cdi_fail(err, CD_E_IO, "certdeckd at %s: %s", h->hostport, curl_easy_strerror(e)) : CD_OK;
}

const char *cdi_http_hostport(const struct cdi_http *h)
{
    return h->hostport;
}

struct sink { struct cdi_buf *b; size_t max; int over; };

static size_t on_data(char *p, size_t size, size_t n, void *ud)
{
    struct sink *s = ud;
    size_t k = size * n;
    if (k > s->max - s->b->len) { s->over = 1; return 0; }
    cdi_buf_add(s->b, p, k);
    return s->b->oom ? 0 : k;
}

/* The one message for a failed transfer. */
static int failure(struct cdi_http *h, CURLcode e, const struct sink *s, struct cd_err *err)
{
    const char *hp = h->hostport, *eb = h->errbuf[0] ? h->errbuf : curl_easy_strerror(e);
    long os = 0;
    curl_easy_getinfo(h->c, CURLINFO_OS_ERRNO, &os);
    if (s->over || e == CURLE_FILESIZE_EXCEEDED)
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: answer larger than %zu bytes", hp, s->max);
    if (s->b->oom) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    switch (e) {
    case CURLE_COULDNT_RESOLVE_HOST:
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: could not resolve host %s", hp, h->host);
    case CURLE_COULDNT_CONNECT:
        if (os == ECONNREFUSED) return cdi_fail(err, CD_E_IO, "certdeckd at %s: connection refused", hp);
        if (os) return cdi_fail(err, CD_E_IO, "certdeckd at %s: cannot connect: %s", hp, strerror((int)os));
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: cannot connect: %.200s", hp, eb);
    case CURLE_OPERATION_TIMEDOUT: {
        /* which of the two clocks ran out: the whole request's, or the
         * connect phase's (TCP and the TLS handshake) */
        curl_off_t total = 0, app = 0;
        curl_easy_getinfo(h->c, CURLINFO_TOTAL_TIME_T, &total);
        curl_easy_getinfo(h->c, CURLINFO_APPCONNECT_TIME_T, &app);
        int whole = total / 1000 + 50 >= h->timeout_ms || h->timeout_ms <= h->connect_ms;
        if (whole)
            return cdi_fail(err, CD_E_IO, "certdeckd at %s: timed out after %g s waiting for the answer", hp,
                            (double)h->timeout_ms / 1000);
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: timed out after %g s while connecting%s", hp,
                        (double)h->connect_ms / 1000, app ? "" : " (no TLS handshake)");
    }
    case CURLE_PEER_FAILED_VERIFICATION:
        return cdi_trust_explain(&h->trust, h->errbuf, err);
    case CURLE_SSL_CACERT_BADFILE:
        return cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: cannot use the CA file %s: %.200s", hp, h->trust.cafile, eb);
    case CURLE_SSL_CERTPROBLEM:
        return cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: cannot use the client certificate %s with key %s: %.200s",
                        hp, h->client_cert ? h->client_cert : "-", h->client_key ? h->client_key : "-", eb);
    case CURLE_SSL_CONNECT_ERROR:
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: TLS handshake failed%s: %.200s", hp,
                        h->client_cert ? " (was the client certificate refused?)" : "", eb);
    case CURLE_GOT_NOTHING:
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: empty reply (the connection closed without an answer)", hp);
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: connection lost: %.200s", hp, eb);
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_UNSUPPORTED_PROTOCOL:   /* the scheme is checked at open: this is an HTTP/0.9 answer */
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: not an HTTP answer: %.200s", hp, eb);
    default:
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: %.200s", hp, eb);
    }
}

long cdi_http_timeout(struct cdi_http *h, long ms)
{
    long was = h->timeout_ms;
    if (ms > 0 && curl_easy_setopt(h->c, CURLOPT_TIMEOUT_MS, ms) == CURLE_OK) h->timeout_ms = ms;
    return was;
}

int cdi_http_request(struct cdi_http *h, const char *method, const char *path_query, const char *body, size_t len,
                     long *status, struct cdi_buf *resp, struct cd_err *err)
{
    *status = 0;
    resp->len = 0;
    resp->oom = 0;
    if (!path_query || path_query[0] != '/') return cdi_fail(err, CD_E_INVAL, "bad request path");
    char *url = cdi_printf("%s%s", h->base, path_query);
    if (!url) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    struct sink s = { resp, h->max_body, 0 };
    CURL *c = h->c;
    int get = !strcmp(method, "GET");
    h->errbuf[0] = 0;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    if (get || (!body && !strcmp(method, "DELETE"))) {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdr_get);
    } else {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? len : 0));
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->hdr_body);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, get ? NULL : method);
    CURLcode e = curl_easy_perform(c);
    /* the body was borrowed; curl must not keep pointing at it */
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, NULL);
    free(url);
    int rc;
    if (e) {
        rc = failure(h, e, &s, err);
        goto out;
    }
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
    if (*status >= 300 && *status < 400) {
        char *loc = NULL;
        curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
        rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: unexpected redirect (HTTP %ld) to %.200s", h->hostport,
                      *status, loc ? loc : "nowhere");
        goto out;
    }
    cdi_buf_add(resp, "", 0);    /* a body, even an empty one, is a C string */
    rc = resp->oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : CD_OK;
out:
    if (rc) cdi_buf_free(resp);
    return rc;
}

char *cdi_http_escape(const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    char *out = malloc(3 * n + 1), *o = out;
    if (!out) return NULL;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || strchr("-._~", *p)) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hex[*p >> 4];
            *o++ = hex[*p & 15];
        }
    }
    *o = 0;
    return out;
}
