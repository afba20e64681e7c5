/* certdeckd — the agents' check-in (POST /agent/v1/checkin on the agent
 * port) and the queue that records them.
 *
 * The client certificate comes from the TLS session (libmicrohttpd asks
 * for one but does not check it); the core decides (cd_checkin_verify:
 * chain to a store CA, dates, revocation, client password, the
 * unauthenticated switch); an accepted one is told each CA's CRL and the
 * mirror agents use (its address and credentials).  What happened is
 * queued in memory and one flusher thread writes the queue with
 * cd_checkin_record every FLUSH_MS
 * (sooner when it fills) and at shutdown, so a busy server writes one
 * transaction per batch instead of one per agent.  The queue is bounded:
 * when it is full a request waits up to FULL_WAIT_MS for the flusher to
 * take it; past that the event is dropped with a log line (the store
 * cannot keep up; an unbounded queue would only move the failure to
 * memory). */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gnutls/gnutls.h>
#include <jansson.h>
#include <microhttpd.h>
#include "srv.h"

#define Q_MAX        65536
#define FLUSH_MS     200
#define FULL_WAIT_MS 2000
#define WRITE_TRIES  3
#define NAME_MAX_LEN 255
#define PASS_MAX_LEN 1024

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qwake = PTHREAD_COND_INITIALIZER, qspace = PTHREAD_COND_INITIALIZER;
static struct cd_checkin_event *q;
static size_t qn, qcap;
static int stopping, running;
static pthread_t flusher;
static unsigned long dropped;

static void ev_clear(struct cd_checkin_event *e)
{
    free((char *)e->name);
    free((char *)e->address);
    free((char *)e->fingerprint);
    free((char *)e->reason);
}

static void batch_free(struct cd_checkin_event *b, size_t n)
{
    for (size_t i = 0; i < n; i++) ev_clear(&b[i]);
    free(b);
}

static void deadline_in(struct timespec *ts, long ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

static void *flush_main(void *arg)
{
    struct srv *sv = arg;
    struct cd_checkin_event *b = NULL;
    size_t bn = 0;
    int tries = 0;
    for (;;) {
        pthread_mutex_lock(&qlock);
        if (!bn) {
            struct timespec ts;
            deadline_in(&ts, FLUSH_MS);
            while (!stopping && qn < Q_MAX / 2)
                if (pthread_cond_timedwait(&qwake, &qlock, &ts) == ETIMEDOUT) break;
            b = q;
            bn = qn;
            q = NULL;
            qn = qcap = 0;
            pthread_cond_broadcast(&qspace);
        }
        int stop = stopping && qn == 0;
        pthread_mutex_unlock(&qlock);
        if (bn) {
            struct cd_err err = { 0 };
            cd_store *s = srv_store(sv, &err);
            int rc = s ? cd_checkin_record(s, b, bn, &err) : (err.code ? err.code : CD_E_STORE);
            if (rc && ++tries < WRITE_TRIES && !stop) {
                log_msg("recording %zu check-ins: %s; trying again", bn, cd_errmsg(&err, rc));
                struct timespec ts = { 0, FLUSH_MS * 1000000L };
                nanosleep(&ts, NULL);
                continue;
            }
            if (rc) log_msg("recording %zu check-ins: %s; they are lost", bn, cd_errmsg(&err, rc));
            batch_free(b, bn);
            b = NULL;
            bn = 0;
            tries = 0;
            continue;   /* look again before stopping: more may have come */
        }
        if (stop) break;
    }
    return NULL;
}

int agent_start(struct srv *sv)
{
    stopping = 0;
    if (pthread_create(&flusher, NULL, flush_main, sv)) return 1;
    running = 1;
    return 0;
}

void agent_stop(void)
{
    if (!running) return;
    pthread_mutex_lock(&qlock);
    stopping = 1;
    pthread_cond_signal(&qwake);
    pthread_mutex_unlock(&qlock);
    pthread_join(flusher, NULL);
    running = 0;
    if (dropped) log_msg("%lu check-in records were dropped: the store could not keep up", dropped);
}

/* Queues a copy of e (strings duplicated). */
static void enqueue(const struct cd_checkin_event *e)
{
    struct cd_checkin_event c = *e;
    c.name = strdup(e->name ? e->name : "");
    c.address = strdup(e->address ? e->address : "");
    c.fingerprint = strdup(e->fingerprint ? e->fingerprint : "");
    c.reason = e->reason ? strdup(e->reason) : NULL;
    int ok = c.name && c.address && c.fingerprint && (!e->reason || c.reason);
    pthread_mutex_lock(&qlock);
    if (ok && qn >= Q_MAX) {
        pthread_cond_signal(&qwake);
        struct timespec ts;
        deadline_in(&ts, FULL_WAIT_MS);
        while (qn >= Q_MAX && !stopping)
            if (pthread_cond_timedwait(&qspace, &qlock, &ts) == ETIMEDOUT) break;
    }
    if (ok && qn >= Q_MAX) ok = 0;
    if (ok && qn == qcap) {
        size_t cap = qcap ? qcap * 2 : 256;
        struct cd_checkin_event *p = realloc(q, cap * sizeof *p);
        if (p) {
            q = p;
            qcap = cap;
        } else ok = 0;
    }
    if (ok) {
        q[qn++] = c;
        if (qn >= Q_MAX / 2) pthread_cond_signal(&qwake);
    } else if (dropped++ % 1000 == 0) {
        /* every thousandth, so a flood does not also flood the log */
        log_msg("check-in record dropped (queue full or out of memory): %s %s", c.name ? c.name : "?",
                c.address ? c.address : "?");
    }
    pthread_mutex_unlock(&qlock);
    if (!ok) ev_clear(&c);
}

/* A Host header fit to put in a URL we hand out; else NULL. */
static const char *host_ok(const char *h)
{
    if (!h) return NULL;
    size_t n = strlen(h);
    if (!n || n > 262) return NULL;
    for (size_t i = 0; i < n; i++) {
        char ch = h[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
              ch == '.' || ch == '-' || ch == ':' || ch == '[' || ch == ']'))
            return NULL;
    }
    return h;
}

/* The JSON body: {"name": ..., "password": ...}, nothing else. */
static int parse_body(const struct srv_req *r, const char **name, const char **password, json_t **root,
                      char *msg, size_t msglen)
{
    json_error_t je;
    *root = r->len ? json_loadb(r->body, r->len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (!*root) {
        snprintf(msg, msglen, "invalid JSON: %s", r->len ? je.text : "empty body");
        return 1;
    }
    if (!json_is_object(*root)) {
        snprintf(msg, msglen, "the body must be a JSON object");
        return 1;
    }
    const char *k;
    json_t *v;
    json_object_foreach(*root, k, v) {
        const char **dst = !strcmp(k, "name") ? name : !strcmp(k, "password") ? password : NULL;
        if (!dst) {
            snprintf(msg, msglen, "unknown field \"%.64s\"", k);
            return 1;
        }
        if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v)) {
            snprintf(msg, msglen, "\"%s\" must be a string without NUL", k);
            return 1;
        }
        *dst = json_string_value(v);
    }
    if (!*name || !**name || strlen(*name) > NAME_MAX_LEN) {
        snprintf(msg, msglen, "\"name\" must be 1 to %d bytes", NAME_MAX_LEN);
        return 1;
    }
    if (*password && strlen(*password) > PASS_MAX_LEN) {
        snprintf(msg, msglen, "\"password\" is longer than %d bytes", PASS_MAX_LEN);
        return 1;
    }
    return 0;
}

/* The "mirror" member of an accepted answer: {"url", "user", "password"},
 * each only when set.  *pw keeps a reference to the password's string, for
 * the caller to wipe once the answer is text.  NULL when out of memory or
 * not text (the settings are checked when set, so neither should happen). */
static json_t *mirror_json(const struct cd_mirror_secret *m, json_t **pw)
{
    json_t *o = json_object();
    int bad = !o || json_object_set_new(o, "url", json_string(m->url));
    if (!bad && m->user) bad = json_object_set_new(o, "user", json_string(m->user));
    if (!bad && m->password) bad = !(*pw = json_string(m->password)) || json_object_set(o, "password", *pw);
    if (bad) { json_decref(o); return NULL; }
    return o;
}

static char *answer_accepted(const struct cd_checkin_result *res, const struct cd_crl_info *crl, size_t ncrl,
                             const char *base, const struct cd_mirror_secret *mirror)
{
    json_t *list = json_array(), *o = NULL, *pw = NULL;
    char *out = NULL;
    if (!list) return NULL;
    for (size_t i = 0; i < ncrl; i++) {
        char url[400];
        snprintf(url, sizeof url, "%s/crl/%lld.crl", base, (long long)crl[i].ca_id);
        if (json_array_append_new(list, json_pack("{sIsIss}", "ca", (json_int_t)crl[i].ca_id, "number",
                                                  (json_int_t)crl[i].number, "url", url)))
            goto out;
    }
    o = json_pack("{sbsIsbsO}", "accepted", 1, "certificate", (json_int_t)res->cert_id, "unauthenticated",
                  res->unauthenticated ? 1 : 0, "crls", list);
    if (o && mirror->url) {
        json_t *m = mirror_json(mirror, &pw);
        if (!m || json_object_set_new(o, "mirror", m)) log_msg("the mirror for agents left out of an answer");
    }
    if (o) out = json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII);
out:
    /* jansson's copy of the mirror password (the answer's text is sent) */
    if (pw) gnutls_memset((char *)json_string_value(pw), 0, json_string_length(pw));
    json_decref(pw);
    json_decref(list);
    json_decref(o);
    return out;
}

int agent_checkin(struct srv *sv, struct MHD_Connection *c, struct srv_req *r)
{
    char msg[200];
    json_t *root = NULL;
    const char *name = NULL, *password = NULL;
    struct cd_crl_info *crl = NULL;
    struct cd_mirror_secret mirror = { 0 };
    size_t ncrl = 0;
    int ret;
    if (strcmp(r->method, "POST")) {
        ret = srv_error(c, r, 405, CD_E_INVAL, "method not allowed: a check-in is a POST");
        goto out;
    }
    if (parse_body(r, &name, &password, &root, msg, sizeof msg)) {
        ret = srv_error(c, r, 400, CD_E_INVAL, msg);
        goto out;
    }
    free(r->who);
    size_t wl = strlen(name) + 7;
    if ((r->who = malloc(wl))) snprintf(r->who, wl, "agent %s", name);

    struct cd_checkin_req rq = { .name = name, .address = r->peer, .password = password };
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
    if (ci && ci->tls_session) {
        unsigned n = 0;
        const gnutls_datum_t *peers = gnutls_certificate_get_peers((gnutls_session_t)ci->tls_session, &n);
        if (peers && n) {
            rq.cert_der = peers[0].data;
            rq.cert_len = peers[0].size;
        }
    }
    struct cd_err err = { 0 };
    struct cd_checkin_result res;
    cd_store *s = srv_store(sv, &err);
    int rc = s ? cd_checkin_verify(s, &rq, &res, &err) : (err.code ? err.code : CD_E_STORE);
    if (!rc && res.accepted) rc = cd_crl_index(s, &crl, &ncrl, &err);
    if (!rc && res.accepted) {
        /* an agent is let in without the mirror rather than refused for it */
        struct cd_err merr = { 0 };
        int mrc = cd_mirror_settings_secret(s, &mirror, &merr);
        if (mrc) log_msg("the mirror for agents cannot be read: %s", cd_errmsg(&merr, mrc));
    }
    if (rc) {
        log_msg("check-in of %s: %s", name, cd_errmsg(&err, rc));
        ret = srv_error(c, r, 0, rc, cd_errmsg(&err, rc));
        goto out;
    }
    struct cd_checkin_event ev = {
        .time = (int64_t)time(NULL), .cert_id = res.cert_id, .name = name, .address = r->peer,
        .fingerprint = res.fingerprint, .reason = res.accepted ? NULL : res.reason,
        .accepted = res.accepted, .unauthenticated = res.unauthenticated,
    };
    enqueue(&ev);
    char *body;
    if (res.accepted) {
        const char *host = host_ok(MHD_lookup_connection_value(c, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST));
        char base[300];
        if (host) snprintf(base, sizeof base, "https://%s", host);
        else snprintf(base, sizeof base, "%s", sv->agent.url);
        body = answer_accepted(&res, crl, ncrl, base, &mirror);
    } else {
        json_t *o = json_pack("{sbss}", "accepted", 0, "error", res.reason[0] ? res.reason : "refused");
        body = o ? json_dumps(o, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
        json_decref(o);
    }
    if (!body) {
        ret = srv_error(c, r, 500, CD_E_NOMEM, cd_strerror(CD_E_NOMEM));
        goto out;
    }
    ret = srv_respond(c, r, res.accepted ? 200 : 403, body, strlen(body), "application/json");
out:
    free(crl);
    cd_mirror_secret_clear(&mirror);
    /* the client password, in jansson's copy (the raw body is wiped by http.c) */
    if (password) gnutls_memset((char *)password, 0, strlen(password));
    json_decref(root);
    return ret;
}
