/* certdeckd — the two libmicrohttpd daemons and what every request goes
 * through: the per-request record (raw URI, peer, timing) made when the
 * request line arrives and logged when it ends, the body cap, routing,
 * the console API behind HTTP Basic, and the public CRLs.
 *
 * Both daemons run a pool of threads over poll(), so a slow client (or a
 * login's PBKDF2) holds one connection, not the server; a connection idle
 * for --timeout seconds is dropped; each address gets --per-ip-limit
 * connections.  TLS 1.2 and 1.3 only. */
#include <netdb.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include "srv.h"

#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
/* A connection's headers and buffers; up to 32 KiB libmicrohttpd takes it
 * from malloc, past that one mmap and munmap per connection. */
#define CONN_MEMORY    ((size_t)32 * 1024)
/* How long a stop waits for requests in flight. */
#define DRAIN_US       (10LL * 1000000)
/* The longest HTTP Basic user name handed to the core: longer than any
 * name a store takes, so such a name is refused here, without a login.  An
 * unauthenticated client otherwise had each of its names (up to the header
 * limit, 32 KiB) written to the store's failed-login table. */
#define AUTH_NAME_MAX  255

static atomic_int inflight;

int64_t srv_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

size_t srv_path_len(const char *uri)
{
    const char *q = strchr(uri, '?');
    return q ? (size_t)(q - uri) : strlen(uri);
}

int srv_respond(struct MHD_Connection *c, struct srv_req *r, int status, char *body, size_t len,
                const char *ctype)
{
    struct MHD_Response *resp;
    if (len) {
        resp = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
        if (!resp) free(body);
    } else {
        free(body);
        resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    }
    if (!resp) return MHD_NO;
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype ? ctype : "application/json");
    /* answers can hold private keys (exports): never kept by a cache */
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    if (status == MHD_HTTP_UNAUTHORIZED)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Basic realm=\"certdeck\"");
    enum MHD_Result ret = MHD_queue_response(c, (unsigned)status, resp);
    MHD_destroy_response(resp);
    r->status = status;
    r->bytes = len;
    return ret;
}

int srv_error(struct MHD_Connection *c, struct srv_req *r, int http_status, int cd_status, const char *msg)
{
    struct cd_api_response rs = { 0 };
    cd_api_error(&rs, http_status, cd_status, msg);
    int st = rs.status ? rs.status : http_status;
    return srv_respond(c, r, st, rs.body, rs.body ? rs.len : 0, rs.content_type);
}

/* ---- request records ---------------------------------------------------- */

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *c)
{
    struct srv_listener *l = cls;
    struct srv_req *r = calloc(1, sizeof *r);
    if (!r) return NULL;
    r->uri = strdup(uri ? uri : "");
    r->kind = l->port_kind;
    r->t0_us = srv_now_us();
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        socklen_t sl = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        if (getnameinfo(sa, sl, r->peer, sizeof r->peer, NULL, 0, NI_NUMERICHOST)) r->peer[0] = 0;
        /* the network failed logins are counted under: one IPv6 client
         * holds a whole /64, a mapped IPv4 address is its IPv4 one */
        if (sa->sa_family == AF_INET) {
            memcpy(r->net, &((const struct sockaddr_in *)sa)->sin_addr, 4);
            r->netlen = 4;
        } else if (sa->sa_family == AF_INET6) {
            const struct in6_addr *a6 = &((const struct sockaddr_in6 *)sa)->sin6_addr;
            int mapped = IN6_IS_ADDR_V4MAPPED(a6);
            memcpy(r->net, a6->s6_addr + (mapped ? 12 : 0), mapped ? 4 : 8);
            r->netlen = mapped ? 4 : 8;
        }
    }
    return r;
}

static void on_done(void *cls, struct MHD_Connection *c, void **con_cls, enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)c;
    (void)toe;
    struct srv_req *r = *con_cls;
    if (!r) return;
    *con_cls = NULL;
    log_request(r);
    free(r->uri);
    /* counted from its headers on: see on_request */
    if (r->started) atomic_fetch_sub(&inflight, 1);
    free(r->method);
    free(r->who);
    /* a body can hold a password or a passphrase (logins of users, exports,
     * the client password): wiped, as the core wipes its parsed copy */
    if (r->body) gnutls_memset(r->body, 0, r->cap);
    free(r->body);
    free(r);
}

__attribute__((format(printf, 2, 0)))
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char buf[512];
    vsnprintf(buf, sizeof buf, fmt, ap);
    size_t n = strlen(buf);
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = 0;
    log_msg("libmicrohttpd: %s", buf);
}

/* ---- routes ------------------------------------------------------------- */

/* GET /crl/ID.crl: public, on both ports. */
static int serve_crl(struct srv *sv, struct MHD_Connection *c, struct srv_req *r, size_t plen)
{
    if (strcmp(r->method, "GET") && strcmp(r->method, "HEAD"))
        return srv_error(c, r, 405, CD_E_INVAL, "method not allowed: a CRL is read with GET");
    const char *p = r->uri + 5, *end = r->uri + plen;
    int64_t id = 0;
    while (p < end && *p >= '0' && *p <= '9' && id < INT64_MAX / 10 - 10) id = id * 10 + (*p++ - '0');
    if (!id || p == r->uri + 5 || end - p != 4 || memcmp(p, ".crl", 4))
        return srv_error(c, r, 404, CD_E_NOTFOUND, "no such CRL");
    struct cd_err err = { 0 };
    cd_store *s = srv_store(sv, &err);
    if (!s) return srv_error(c, r, 500, err.code ? err.code : CD_E_STORE, cd_errmsg(&err, CD_E_STORE));
    unsigned char *der = NULL;
    size_t len = 0;
    int rc = cd_crl_current(s, id, &der, &len, NULL, &err);
    if (rc == CD_E_NOTFOUND) return srv_error(c, r, 404, rc, "no such CRL");
    if (rc) {
        log_msg("CRL of CA %lld: %s", (long long)id, cd_errmsg(&err, rc));
        return srv_error(c, r, 0, rc, cd_errmsg(&err, rc));
    }
    return srv_respond(c, r, 200, (char *)der, len, "application/pkix-crl");
}

/* Changes after which a remembered login may no longer be what the core
 * would say: users, their permission sets, groups. */
static int changes_logins(const char *method, const char *path)
{
    static const char *const pre[] = { "/api/v1/users", "/api/v1/permsets", "/api/v1/groups" };
    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")) return 0;
    for (size_t i = 0; i < sizeof pre / sizeof *pre; i++)
        if (!strncmp(path, pre[i], strlen(pre[i]))) return 1;
    return 0;
}

/* /api/v1/...: HTTP Basic, then the core's API as that user. */
static int serve_api(struct srv *sv, struct MHD_Connection *c, struct srv_req *r, size_t plen)
{
    struct cd_err err = { 0 };
    char *pw = NULL, *path = NULL;
    struct auth_entry *ae = NULL;
    struct cd_api_response rs = { 0 };
    int ret = MHD_NO;
    char *name = MHD_basic_auth_get_username_password(c, &pw);
    if (!name) {
        ret = srv_error(c, r, 401, CD_E_LOGIN, "authentication required: HTTP Basic with a certdeck user");
        goto out;
    }
    free(r->who);
    r->who = strdup(name);
    if (strlen(name) > AUTH_NAME_MAX) {
        /* the core's words for a wrong name or password: no name told apart */
        ret = srv_error(c, r, 401, CD_E_LOGIN, "login failed: wrong user name or password");
        goto out;
    }
    cd_store *s = srv_store(sv, &err);
    if (!s) {
        ret = srv_error(c, r, 500, err.code ? err.code : CD_E_STORE, cd_errmsg(&err, CD_E_STORE));
        goto out;
    }
    int rc = auth_get(s, name, pw ? pw : "", r->net, r->netlen, &ae, &err);
    if (rc == CD_E_BUSY) {
        ret = srv_error(c, r, 429, CD_E_LOGIN, cd_errmsg(&err, rc));
        goto out;
    }
    if (rc == CD_E_LOGIN || rc == CD_E_INVAL) {
        ret = srv_error(c, r, 401, CD_E_LOGIN, cd_errmsg(&err, rc));
        goto out;
    }
    if (rc) {
        ret = srv_error(c, r, 0, rc, cd_errmsg(&err, rc));
        goto out;
    }
    if (!(path = strndup(r->uri, plen))) goto out;
    struct cd_api_request rq = {
        .method = r->method, .path = path, .query = r->uri[plen] == '?' ? r->uri + plen + 1 : NULL,
        .body = r->len ? r->body : NULL, .body_len = r->len,
    };
    rc = cd_api_handle(s, auth_user(ae), &rq, &rs);
    if (rc == CD_OK && changes_logins(r->method, path)) auth_flush();
    ret = srv_respond(c, r, rs.status ? rs.status : 500, rs.body, rs.body ? rs.len : 0, rs.content_type);
    rs.body = NULL;
out:
    cd_api_response_free(&rs);
    auth_put(ae);
    free(path);
    if (pw) {
        gnutls_memset(pw, 0, strlen(pw));   /* a wipe the compiler keeps */
        MHD_free(pw);
    }
    if (name) MHD_free(name);
    return ret;
}

static int route(struct srv_listener *l, struct MHD_Connection *c, struct srv_req *r)
{
    size_t plen = srv_path_len(r->uri);
    static const char checkin[] = "/agent/v1/checkin";
    if (plen > 5 && !strncmp(r->uri, "/crl/", 5)) return serve_crl(l->sv, c, r, plen);
    if (l->port_kind == SRV_API && (!strncmp(r->uri, "/api/v1/", 8) || (plen == 7 && !strncmp(r->uri, "/api/v1", 7))))
        return serve_api(l->sv, c, r, plen);
    if (l->port_kind == SRV_AGENT && plen == sizeof checkin - 1 && !strncmp(r->uri, checkin, plen))
        return agent_checkin(l->sv, c, r);
    return srv_error(c, r, 404, CD_E_NOTFOUND, "no such resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                                  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
    (void)url;
    (void)version;
    struct srv_listener *l = cls;
    struct srv_req *r = *con_cls;
    if (!r || !r->uri) return MHD_NO;
    if (!r->started) {
        /* in flight once its headers are in: a stop waits for it.  One
         * whose headers never came (a stalled or slow client) has nothing
         * to finish and does not hold the stop for DRAIN_US. */
        r->started = 1;
        atomic_fetch_add(&inflight, 1);
        if (!(r->method = strdup(method))) return MHD_NO;
        const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl) {
            char *end;
            unsigned long long n = strtoull(cl, &end, 10);
            if (*end || n > CD_API_MAX_BODY)
                return srv_error(c, r, 413, CD_E_INVAL, "the request body is larger than 1 MiB") == MHD_YES
                       ? MHD_YES : MHD_NO;
        }
        return MHD_YES;
    }
    if (*upload_size) {
        /* no Content-Length (chunked) and past the cap: libmicrohttpd takes
         * no answer in mid-body, so the connection is closed at once rather
         * than reading on */
        if (*upload_size > CD_API_MAX_BODY - r->len) {
            r->status = 413;
            return MHD_NO;
        }
        if (r->len + *upload_size + 1 > r->cap) {
            size_t cap = r->cap ? r->cap : 4096;
            while (cap < r->len + *upload_size + 1) cap *= 2;
            /* not realloc: the old block, wiped, leaves no copy behind */
            char *p = malloc(cap);
            if (!p) return MHD_NO;
            if (r->body) {
                memcpy(p, r->body, r->len);
                gnutls_memset(r->body, 0, r->cap);
                free(r->body);
            }
            r->body = p;
            r->cap = cap;
        }
        memcpy(r->body + r->len, upload, *upload_size);
        r->len += *upload_size;
        r->body[r->len] = 0;
        *upload_size = 0;
        return MHD_YES;
    }
    return route(l, c, r) == MHD_YES ? MHD_YES : MHD_NO;
}

/* ---- daemons ------------------------------------------------------------ */

static int start_one(struct srv *sv, struct srv_listener *l, const char *chain, const char *key,
                     const char *trust)
{
    unsigned flags = MHD_USE_TLS | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ITC | MHD_USE_ERROR_LOG;
    /* poll(), not epoll: measured with libmicrohttpd 0.9.75, a TLS
     * handshake costs the server about 0.7 ms of CPU under poll and 2.8 ms
     * under epoll (openssl s_time, new sessions, same pool of 4 threads);
     * a pool thread's poll set is a few hundred connections at most */
    if (MHD_is_feature_supported(MHD_FEATURE_POLL) == MHD_YES) flags |= MHD_USE_POLL;
    if (l->addr.ss.ss_family == AF_INET6) flags |= MHD_USE_IPv6;
    unsigned threads = sv->conf.threads;
    if (!threads) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 2 ? (unsigned)(2 * (n > 64 ? 64 : n)) : 4;
    }
    l->sv = sv;
    l->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, l,
                            MHD_OPTION_EXTERNAL_LOGGER, on_mhd_log, l,
                            MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&l->addr.ss,
                            MHD_OPTION_HTTPS_MEM_CERT, chain,
                            MHD_OPTION_HTTPS_MEM_KEY, key,
                            MHD_OPTION_HTTPS_PRIORITIES, TLS_PRIORITIES,
                            MHD_OPTION_THREAD_POOL_SIZE, threads,
                            MHD_OPTION_CONNECTION_TIMEOUT, sv->conf.timeout,
                            MHD_OPTION_CONNECTION_LIMIT, sv->conf.connection_limit,
                            MHD_OPTION_PER_IP_CONNECTION_LIMIT, sv->conf.per_ip_limit,
                            MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
                            MHD_OPTION_LISTEN_BACKLOG_SIZE, 1024u,
                            MHD_OPTION_URI_LOG_CALLBACK, on_uri, l,
                            MHD_OPTION_NOTIFY_COMPLETED, on_done, l,
                            trust ? MHD_OPTION_HTTPS_MEM_TRUST : MHD_OPTION_END, trust,
                            MHD_OPTION_END);
    if (!l->d) return 1;
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(l->d, MHD_DAEMON_INFO_BIND_PORT);
    snprintf(l->url, sizeof l->url, "https://%s:%u", l->addr.host, di ? (unsigned)di->port : l->addr.port);
    return 0;
}

int srv_start(struct srv *sv, const char *chain_pem, const char *key_pem)
{
    sv->api.port_kind = SRV_API;
    sv->agent.port_kind = SRV_AGENT;
    if (start_one(sv, &sv->api, chain_pem, key_pem, NULL)) {
        log_msg("cannot listen on %s (console API): in use, or not an address of this host", sv->conf.listen);
        return 1;
    }
    if (start_one(sv, &sv->agent, chain_pem, key_pem, sv->trust_pem)) {
        log_msg("cannot listen on %s (agents): in use, or not an address of this host", sv->conf.agent_listen);
        MHD_stop_daemon(sv->api.d);
        sv->api.d = NULL;
        return 1;
    }
    return 0;
}

void srv_stop(struct srv *sv)
{
    struct srv_listener *ls[2] = { &sv->api, &sv->agent };
    MHD_socket fd[2] = { MHD_INVALID_SOCKET, MHD_INVALID_SOCKET };
    for (int i = 0; i < 2; i++)
        if (ls[i]->d) fd[i] = MHD_quiesce_daemon(ls[i]->d);
    /* requests already started are answered; idle keep-alive connections
     * do not hold the stop (they have no request in flight) */
    int64_t until = srv_now_us() + DRAIN_US;
    while (atomic_load(&inflight) > 0 && srv_now_us() < until) {
        struct timespec ts = { 0, 10 * 1000000 };
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < 2; i++) {
        if (ls[i]->d) MHD_stop_daemon(ls[i]->d);
        ls[i]->d = NULL;
        if (fd[i] != MHD_INVALID_SOCKET) close(fd[i]);
    }
}
