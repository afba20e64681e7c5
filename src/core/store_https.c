/* certdeck core — the https backend: a certdeckd server through its console
 * API (doc/api.md).  This file opens the store (one cdi_http connection,
 * reused with keep-alive), makes each API call and turns the server's
 * errors back into the same status and message a local store gives, and
 * holds the user operations (log-in, rights, with a short cache).  The
 * object operations and the ops table are in store_https_ops.c. */
#include <stdlib.h>
#include <string.h>
#include "https_int.h"
#include "http_int.h"

/* ---- the libcurl transport --------------------------------------------- */

static int curl_request(void *ctx, const char *method, const char *path_query, const char *body, size_t len,
                        long *status, struct cdi_buf *resp, struct cd_err *err)
{
    return cdi_http_request(ctx, method, path_query, body, len, status, resp, err);
}

static int curl_auth(void *ctx, const char *user, const char *password, struct cd_err *err)
{
    return cdi_http_set_auth(ctx, user, password, err);
}

static void curl_close(void *ctx) { cdi_http_close(ctx); }

static long curl_timeout(void *ctx, long ms) { return cdi_http_timeout(ctx, ms); }

int cdi_https_open(cd_store *s, const char *spec, const struct cd_open_opts *o, struct cd_err *err)
{
    /* https://HOST[:PORT] and nothing more: no path, no query, and no
     * credentials in the store string (they would end up in argv) */
    const char *host = spec + 8;
    size_t n = strlen(host);
    if (n && host[n - 1] == '/') n--;
    if (!n || memchr(host, '/', n) || memchr(host, '@', n) || memchr(host, '?', n) || memchr(host, '#', n))
        return cdi_fail(err, CD_E_INVAL, "store \"%.200s\": a certdeckd store is https://HOST[:PORT], without a "
                        "path or credentials", spec);
    char *base = cdi_printf("https://%.*s", (int)n, host);
    if (!base) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    struct cdi_http_opts ho = {
        .base_url = base, .cacert = o->cacert, .trust = o->trust, .trust_ctx = o->trust_ctx,
        .connect_timeout_ms = o->connect_timeout_ms, .timeout_ms = o->timeout_ms,
    };
    struct cdi_http *h = NULL;
    int rc = cdi_http_open(&ho, &h, err);
    if (!rc) {
        struct cdi_https_transport t = { h, curl_request, curl_auth, cdi_http_escape, curl_close, curl_timeout };
        rc = cdi_https_open_with(s, base, cdi_http_hostport(h), &t, o->flags, err);
    }
    free(base);
    return rc;
}

int cdi_https_open_with(cd_store *s, const char *name, const char *hostport, const struct cdi_https_transport *t,
                        unsigned flags, struct cd_err *err)
{
    struct hs *h = calloc(1, sizeof *h);
    if (h) {
        h->t = *t;
        h->flags = flags;
        h->hostport = strdup(hostport ? hostport : name);
        s->name = strdup(name);
    }
    if (!h || !h->hostport || !s->name) {
        if (h) free(h->hostport);
        free(h);
        t->close(t->ctx);
        return cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    s->ops = &cdi_https_ops;
    s->impl = h;
    return CD_OK;
}

void hs_drop_caches(struct hs *h)
{
    for (size_t i = 0; i < HS_BLOCKS; i++) {
        free(h->blocks[i].key);
        cd_cert_list_free(&h->blocks[i].l);
        memset(&h->blocks[i], 0, sizeof h->blocks[i]);
    }
    for (size_t i = 0; i < HS_COUNTS; i++) {
        free(h->counts[i].key);
        memset(&h->counts[i], 0, sizeof h->counts[i]);
    }
    for (size_t i = 0; i < HS_CAN; i++) {
        free(h->can[i].group);
        free(h->can[i].why);
        memset(&h->can[i], 0, sizeof h->can[i]);
    }
}

void hs_close(cd_store *s)
{
    struct hs *h = HS(s);
    if (!h) return;
    hs_drop_caches(h);
    h->t.close(h->t.ctx);
    free(h->hostport);
    free(h);
    s->impl = NULL;
}

int hs_init(cd_store *s, const char *admin, struct cd_err *err)
{
    (void)admin;
    return cdi_fail(err, CD_E_UNSUPPORTED, "%s is a certdeckd server: run certdeck init on the server's store",
                    HS(s)->hostport);
}

int hs_is_readonly(const cd_store *s)
{
    const struct hs *h = HS(s);
    return (h->flags & CD_OPEN_READONLY) || h->server_readonly;
}

/* ---- calls ------------------------------------------------------------- */

int hs_query(cd_store *s, const json_t *o, struct cdi_buf *b)
{
    const char *key;
    json_t *v;
    char num[32];
    int first = 1;
    json_object_foreach((json_t *)o, key, v) {
        const char *text = num;
        char *esc = NULL;
        if (json_is_string(v)) text = esc = HS(s)->t.escape(json_string_value(v));
        else if (json_is_integer(v)) snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        else if (json_is_boolean(v)) snprintf(num, sizeof num, "%d", json_is_true(v));
        else continue;
        if (!text) return -1;
        cdi_buf_addf(b, "%c%s=%s", first ? '?' : '&', key, text);
        first = 0;
        free(esc);
    }
    return b->oom ? -1 : 0;
}

int hs_call(cd_store *s, const char *method, const char *path, json_t *body, json_t **out, struct cd_err *err)
{
    struct hs *h = HS(s);
    struct cdi_buf resp = { 0 };
    size_t len = 0;
    long status = 0;
    json_t *j = NULL;
    int rc = CD_OK;
    if (out) *out = NULL;
    char *text = body ? cdi_json_dump(body, &len, 1) : NULL;
    char *full = cdi_printf("/api/v1%s", path);
    int64_t now = cdi_now();
    if (!full || (body && !text)) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    else if (h->down_at && now - h->down_at < HS_DOWN) rc = cdi_fail(err, CD_E_IO, "%s", h->down_msg);
    else {
        struct cd_err e = { 0 };
        h->requests++;
        rc = h->t.request(h->t.ctx, method, full, text, len, &status, &resp, &e);
        h->down_at = rc == CD_E_IO ? cdi_now() : 0;     /* when it gave up: a timeout is long */
        if (rc == CD_E_IO) snprintf(h->down_msg, sizeof h->down_msg, "%s", cd_errmsg(&e, rc));
        if (rc) rc = cdi_fail(err, rc, "%s", cd_errmsg(&e, rc));
    }
    /* a body may hold a passphrase: gone once sent */
    if (text) { cdi_wipe(text, len); free(text); }
    if (body) cdi_json_wipe(body);
    free(full);
    if (rc) goto out;
    if (resp.oom) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    json_error_t je;
    j = resp.len ? json_loadb((const char *)resp.p, resp.len, JSON_REJECT_DUPLICATES, &je) : NULL;
    if (j && !json_is_object(j)) { json_decref(j); j = NULL; }
    if (status >= 200 && status < 300) {
        if (!j) rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: the answer is not the API's JSON (HTTP %ld)", h->hostport, status);
        goto out;
    }
    /* the server's own status and message, exactly as a local store gives them */
    json_t *e = json_object_get(j, "error"), *st = json_object_get(j, "status");
    if (json_is_string(e) && json_is_integer(st) && json_integer_value(st) > 0 && json_integer_value(st) < 64) {
        rc = cdi_fail(err, (int)json_integer_value(st), "%s", json_string_value(e));
        json_t *pos = json_object_get(j, "pos");
        if (err && json_is_integer(pos) && json_integer_value(pos) > 0) err->pos = (size_t)json_integer_value(pos);
    }
    else if (status == 401)
        rc = cdi_fail(err, CD_E_LOGIN, "certdeckd at %s: login failed", h->hostport);
    else
        rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: unexpected answer (HTTP %ld)", h->hostport, status);
out:
    cdi_wipe(resp.p, resp.len);
    cdi_buf_free(&resp);
    if (out) *out = j;
    else json_decref(j);
    return rc;
}

int hs_change(cd_store *s, const char *method, const char *path, json_t *body, json_t **out, struct cd_err *err)
{
    struct hs *h = HS(s);
    if (out) *out = NULL;
    if (h->flags & CD_OPEN_READONLY) {
        if (body) cdi_json_wipe(body);
        return cdi_fail(err, CD_E_READONLY, "read-only: the store %s is open read-only (--read-only); nothing was "
                        "changed", s->name);
    }
    int rc = hs_call(s, method, path, body, out, err);
    hs_drop_caches(h);
    return rc;
}

int hs_rows(const json_t *o, const struct cdi_jfield *t, void **rows, size_t *n, size_t elsz,
            void (*clear)(void *), struct cd_err *err)
{
    return cdi_json_rows_decode(t, json_object_get(o, "rows"), rows, n, elsz, clear, err);
}

/* ---- users --------------------------------------------------------------- */

/* Who the credentials are: GET /me into a new cd_user. */
static int me(cd_store *s, cd_user **out, struct cd_err *err)
{
    json_t *j = NULL;
    int rc = hs_call(s, "GET", "/me", NULL, &j, err);
    json_int_t id = 0, home = 0;
    const char *name = NULL;
    int admin = 0, ro = 0;
    json_error_t je;
    if (!rc && json_unpack_ex(j, &je, 0, "{s:I, s:s, s:b, s:I, s:b}", "id", &id, "name", &name, "admin", &admin,
                              "home_group_id", &home, "readonly", &ro))
        rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: an unexpected answer to /me (%s)", HS(s)->hostport, je.text);
    cd_user *u = rc ? NULL : calloc(1, sizeof *u);
    if (!rc && (!u || !(u->name = strdup(name)))) {
        free(u);
        rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    if (!rc) {
        u->id = id;
        u->admin = admin;
        u->home_group = home;
        HS(s)->server_readonly = ro;
        *out = u;
    }
    json_decref(j);
    return rc;
}

int hs_user_login(cd_store *s, const char *name, const char *password, cd_user **out, struct cd_err *err)
{
    struct hs *h = HS(s);
    hs_drop_caches(h);
    int rc = h->t.set_auth(h->t.ctx, name, password, err);
    return rc ? rc : me(s, out, err);
}

int hs_user_owner(cd_store *s, cd_user **out, struct cd_err *err)
{
    struct hs *h = HS(s);
    *out = NULL;
    hs_drop_caches(h);
    int rc = h->t.set_auth(h->t.ctx, NULL, NULL, err);
    if (!rc) rc = me(s, out, err);
    if (rc == CD_E_LOGIN)
        rc = cdi_fail(err, CD_E_LOGIN, "certdeckd at %s: log in with --user NAME (or add the server to ~/.netrc)",
                      h->hostport);
    return rc;
}

static int same(const char *a, const char *b) { return a == b || (a && b && !strcmp(a, b)); }

/* The console asks this for every action on every redraw: answers are kept
 * HS_TTL seconds (and dropped by any change). */
int hs_user_can(cd_store *s, const cd_user *u, int otype, int right, const char *group, char *why, size_t n)
{
    (void)u;
    struct hs *h = HS(s);
    int64_t now = cdi_now();
    if (group && !*group) group = NULL;
    for (size_t i = 0; i < HS_CAN; i++) {
        struct hs_can *c = &h->can[i];
        if (c->at && now - c->at < HS_TTL && c->otype == otype && c->right == right && same(c->group, group)) {
            if (why && n) snprintf(why, n, "%s", c->why ? c->why : "");
            return c->yes;
        }
    }
    struct cd_err err = { 0 };
    struct cdi_buf path = { 0 };
    json_t *q = json_pack("{s:s, s:s}", "otype", cdi_je_otype.name(otype), "right", cdi_je_right.name(right));
    json_t *j = NULL;
    if (q && group) json_object_set_new(q, "group", cdi_json_str(group));
    cdi_buf_addf(&path, "/can");
    int rc = !q || hs_query(s, q, &path) ? cdi_fail(&err, CD_E_NOMEM, "out of memory")
                                          : hs_call(s, "GET", (const char *)path.p, NULL, &j, &err);
    int yes = !rc && json_is_true(json_object_get(j, "can"));
    const char *w = rc ? cd_errmsg(&err, rc) : json_string_value(json_object_get(j, "why"));
    if (why && n) snprintf(why, n, "%s", w ? w : "");
    if (!rc) {
        struct hs_can *c = &h->can[h->can_next++ % HS_CAN];
        free(c->group);
        free(c->why);
        *c = (struct hs_can){ otype, right, yes, cdi_strdup(group), cdi_strdup(w ? w : ""), now };
        if ((group && !c->group) || !c->why) { free(c->group); free(c->why); memset(c, 0, sizeof *c); }
    }
    json_decref(q);
    json_decref(j);
    cdi_buf_free(&path);
    return yes;
}
