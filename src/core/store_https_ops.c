/* certdeck core — the https backend's object operations: each one API call
 * (doc/api.md), parameters encoded and rows decoded with json_model.c's
 * tables.  Certificate pages are fetched in aligned blocks and kept a few
 * seconds, so a console scrolling a long remote list asks the server once
 * per several screens; any change drops every cache. */
#include <stdlib.h>
#include <string.h>
#include "https_int.h"

static int nomem(struct cd_err *err) { return cdi_fail(err, CD_E_NOMEM, "out of memory"); }

/* "/certs/12/text" and the like into buf. */
#define PATH(buf, ...) snprintf(buf, sizeof buf, __VA_ARGS__)

/* A call whose answer is {key: integer}. */
static int call_int(cd_store *s, int change, const char *method, const char *path, json_t *body, const char *key,
                    int64_t *v, struct cd_err *err)
{
    json_t *j = NULL;
    int rc = change ? hs_change(s, method, path, body, &j, err) : hs_call(s, method, path, body, &j, err);
    if (!rc) {
        json_t *x = json_object_get(j, key);
        if (!json_is_integer(x)) rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"%s\" in the answer", HS(s)->hostport, key);
        else if (v) *v = json_integer_value(x);
    }
    json_decref(j);
    json_decref(body);
    return rc;
}

/* A change whose answer carries nothing; takes body. */
static int change(cd_store *s, const char *method, const char *path, json_t *body, struct cd_err *err)
{
    int rc = hs_change(s, method, path, body, NULL, err);
    json_decref(body);
    return rc;
}

/* GET path + query of o (taken), rows decoded into *rows, *n. */
static int get_rows(cd_store *s, const char *path, json_t *q, const struct cdi_jfield *t, void **rows, size_t *n,
                    size_t elsz, void (*clear)(void *), struct cd_err *err)
{
    struct cdi_buf p = { 0 };
    json_t *j = NULL;
    cdi_buf_addf(&p, "%s", path);
    int rc = q && hs_query(s, q, &p) ? nomem(err) : p.oom ? nomem(err) : hs_call(s, "GET", (char *)p.p, NULL, &j, err);
    if (!rc) rc = hs_rows(j, t, rows, n, elsz, clear, err);
    json_decref(j);
    json_decref(q);
    cdi_buf_free(&p);
    return rc;
}

/* A request naming one object: {"name": v} (or another key). */
static json_t *named(const char *key, const char *v) { return json_pack("{s:o}", key, cdi_json_str(v ? v : "")); }

static json_t *ids_json(const int64_t *ids, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(ids[i]))) { json_decref(a); return NULL; }
    return a;
}

/* ---- certification authorities -------------------------------------------- */

static int ca_new(cd_store *s, const cd_user *u, const struct cd_ca_params *p, int64_t *id, struct cd_err *err)
{
    (void)u;
    json_t *b = cdi_json_encode(cdi_jt_ca_params, p);
    return b ? call_int(s, 1, "POST", "/cas", b, "id", id, err) : nomem(err);
}

static int ca_import(cd_store *s, const cd_user *u, const void *data, size_t len, const char *desc, const char *group,
                     int64_t *id, struct cd_err *err)
{
    (void)u;
    char *b64 = cdi_b64_encode(data, len);
    json_t *b = b64 ? json_pack("{s:s}", "data", b64) : NULL;
    free(b64);
    if (b && desc) json_object_set_new(b, "description", cdi_json_str(desc));
    if (b && group) json_object_set_new(b, "group", cdi_json_str(group));
    return b ? call_int(s, 1, "POST", "/cas/import", b, "id", id, err) : nomem(err);
}

static void ca_clear(void *r) { cd_ca_clear(r); }
static void cert_clear(void *r) { cd_cert_clear(r); }

static int ca_list(cd_store *s, const cd_user *u, const struct cd_query *q, struct cd_ca_list *out, struct cd_err *err)
{
    (void)u;
    static const struct cd_query all = { 0 };
    memset(out, 0, sizeof *out);
    json_t *o = cdi_json_encode(cdi_jt_query, q ? q : &all);
    return o ? get_rows(s, "/cas", o, cdi_jt_ca, (void **)&out->rows, &out->n, sizeof *out->rows, ca_clear, err)
             : nomem(err);
}

/* GET path into one struct described by t. */
static int get_obj(cd_store *s, const char *path, const struct cdi_jfield *t, void *obj, struct cd_err *err)
{
    json_t *j = NULL;
    int rc = hs_call(s, "GET", path, NULL, &j, err);
    if (!rc) rc = cdi_json_decode(t, j, obj, CDI_J_COPY, err);
    json_decref(j);
    return rc;
}

static int ca_get(cd_store *s, const cd_user *u, int64_t id, struct cd_ca *out, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/cas/%lld", (long long)id);
    memset(out, 0, sizeof *out);
    int rc = get_obj(s, p, cdi_jt_ca, out, err);
    if (rc) cd_ca_clear(out);
    return rc;
}

/* The string `key` of a GET's answer, copied. */
static int get_str(cd_store *s, const char *path, const char *key, char **out, struct cd_err *err)
{
    json_t *j = NULL;
    *out = NULL;
    int rc = hs_call(s, "GET", path, NULL, &j, err);
    const char *v = rc ? NULL : json_string_value(json_object_get(j, key));
    if (!rc && !v) rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"%s\" in the answer", HS(s)->hostport, key);
    if (!rc && !(*out = strdup(v))) rc = nomem(err);
    json_decref(j);
    return rc;
}

static int ca_export(cd_store *s, const cd_user *u, int64_t id, char **pem, size_t *len, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/cas/%lld/export", (long long)id);
    int rc = get_str(s, p, "pem", pem, err);
    *len = rc ? 0 : strlen(*pem);
    return rc;
}

static int ca_delete(cd_store *s, const cd_user *u, int64_t id, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/cas/%lld", (long long)id);
    return change(s, "DELETE", p, NULL, err);
}

/* ---- certificates --------------------------------------------------------- */

/* What one certificate may take on a busy server (its key, signature and
 * row), in ms: a bulk issuance is one request and one transaction that runs
 * as long as it must, and a client that gave up at the ordinary timeout
 * would call failed what the server then commits. */
static long issue_ms(int keytype)
{
    switch (keytype) {
    case CD_KEY_RSA2048: return 2000;
    case CD_KEY_RSA3072: return 6000;
    case CD_KEY_RSA4096: return 15000;
    }
    return 20;
}

static int cert_new(cd_store *s, const cd_user *u, const struct cd_cert_params *p, size_t n, cd_progress_fn progress,
                    void *ctx, int64_t *ids, struct cd_err *err)
{
    (void)u;
    struct hs *h = HS(s);
    json_t *b = cdi_json_encode(cdi_jt_cert_params, p), *j = NULL;
    if (!b || json_object_set_new(b, "count", json_integer((json_int_t)n))) { json_decref(b); return nomem(err); }
    /* one request: the progress is known at its start and its end only */
    if (progress) progress(ctx, 0, n);
    long was = h->t.timeout ? h->t.timeout(h->t.ctx, 0) : 0;
    if (was) h->t.timeout(h->t.ctx, was + (long)n * issue_ms(p->keytype));
    int rc = hs_change(s, "POST", "/certs", b, &j, err);
    if (was) h->t.timeout(h->t.ctx, was);
    json_decref(b);
    json_t *a = json_object_get(j, "ids");
    if (!rc && (!json_is_array(a) || json_array_size(a) != n))
        rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: the answer does not list %zu new IDs", HS(s)->hostport, n);
    for (size_t i = 0; !rc && ids && i < n; i++) ids[i] = json_integer_value(json_array_get(a, i));
    json_decref(j);
    /* one request: the progress is known only at its end */
    if (!rc && progress) progress(ctx, n, n);
    return rc;
}

/* The query, without its page, as the key of the caches. */
static char *query_key(const struct cd_query *q)
{
    return cdi_printf("%s\x01%s\x01%d\x01%d\x01%d", q->filter ? q->filter : "", q->group ? q->group : "",
                      q->revoked, q->sort, q->desc);
}

/* One page of a list from the server, appended to out. */
static int fetch(cd_store *s, const struct cd_query *q, int64_t offset, int64_t limit, struct cd_cert_list *out,
                 struct cd_err *err)
{
    struct cd_query pq = *q;
    pq.offset = offset;
    pq.limit = limit;
    struct cd_cert_list l = { 0 };
    json_t *o = cdi_json_encode(cdi_jt_query, &pq);
    int rc = o ? get_rows(s, "/certs", o, cdi_jt_cert, (void **)&l.rows, &l.n, sizeof *l.rows, cert_clear, err)
               : nomem(err);
    if (rc) return rc;
    if (!out->rows) { *out = l; return CD_OK; }
    struct cd_cert *r = realloc(out->rows, (out->n + l.n + 1) * sizeof *r);
    if (!r) { cd_cert_list_free(&l); return nomem(err); }
    memcpy(r + out->n, l.rows, l.n * sizeof *r);
    out->rows = r;
    out->n += l.n;
    free(l.rows);
    return CD_OK;
}

/* Rows [offset, offset + limit) (limit <= 0: to the end) in requests of at
 * most HS_CHUNK rows, past the server's largest page. */
static int fetch_all(cd_store *s, const struct cd_query *q, struct cd_cert_list *out, struct cd_err *err)
{
    int64_t at = q->offset, left = q->limit > 0 ? q->limit : INT64_MAX;
    while (left > 0) {
        size_t before = out->n;
        int64_t k = left < HS_CHUNK ? left : HS_CHUNK;
        int rc = fetch(s, q, at, k, out, err);
        if (rc) return rc;
        if ((int64_t)(out->n - before) < k) break;
        at += k;
        left -= k;
    }
    return CD_OK;
}

/* The cached block of query key starting at start, fetched when missing or
 * older than HS_TTL. */
static int block(cd_store *s, const struct cd_query *q, const char *key, int64_t start, struct hs_block **out,
                 struct cd_err *err)
{
    struct hs *h = HS(s);
    int64_t now = cdi_now();
    struct hs_block *victim = &h->blocks[0];
    for (size_t i = 0; i < HS_BLOCKS; i++) {
        struct hs_block *b = &h->blocks[i];
        if (b->key && b->start == start && now - b->at < HS_TTL && !strcmp(b->key, key)) {
            b->used = ++h->tick;
            *out = b;
            return CD_OK;
        }
        if (b->used < victim->used) victim = b;
    }
    struct cd_cert_list l = { 0 };
    int rc = fetch(s, q, start, HS_BLOCK, &l, err);
    char *k = rc ? NULL : strdup(key);
    if (!rc && !k) rc = nomem(err);
    if (rc) { cd_cert_list_free(&l); return rc; }
    free(victim->key);
    cd_cert_list_free(&victim->l);
    *victim = (struct hs_block){ k, start, now, ++h->tick, l };
    *out = victim;
    return CD_OK;
}

static int cert_list(cd_store *s, const cd_user *u, const struct cd_query *q, struct cd_cert_list *out,
                     struct cd_err *err)
{
    (void)u;
    static const struct cd_query all = { 0 };
    if (!q) q = &all;
    memset(out, 0, sizeof *out);
    /* a whole list, or more than a screen: straight from the server */
    if (q->limit <= 0 || q->limit > 2 * HS_BLOCK) {
        int rc = fetch_all(s, q, out, err);
        if (rc) cd_cert_list_free(out);
        return rc;
    }
    char *key = query_key(q);
    if (!key) return nomem(err);
    size_t cap = (size_t)q->limit;
    int rc = (out->rows = calloc(cap, sizeof *out->rows)) ? CD_OK : nomem(err);
    /* the page from the aligned blocks that cover it; a short block is the end */
    for (int64_t at = q->offset, end = q->offset + q->limit; !rc && at < end;) {
        struct hs_block *b = NULL;
        int64_t start = at / HS_BLOCK * HS_BLOCK;
        rc = block(s, q, key, start, &b, err);
        if (rc) break;
        int64_t i = at - start;
        for (; !rc && i < (int64_t)b->l.n && at < end; i++, at++)
            if (cdi_json_copy(cdi_jt_cert, &out->rows[out->n], &b->l.rows[i], sizeof *out->rows)) rc = nomem(err);
            else out->n++;
        if ((int64_t)b->l.n < HS_BLOCK) break;
    }
    free(key);
    if (rc) cd_cert_list_free(out);
    return rc;
}

static int cert_count(cd_store *s, const cd_user *u, const struct cd_query *q, int64_t *count, struct cd_err *err)
{
    (void)u;
    static const struct cd_query all = { 0 };
    struct hs *h = HS(s);
    if (!q) q = &all;
    char *key = query_key(q);
    if (!key) return nomem(err);
    int64_t now = cdi_now();
    for (size_t i = 0; i < HS_COUNTS; i++) {
        struct hs_count *c = &h->counts[i];
        if (c->key && c->limit == q->limit && now - c->at < HS_TTL && !strcmp(c->key, key)) {
            *count = c->n;
            free(key);
            return CD_OK;
        }
    }
    struct cd_query cq = *q;
    cq.offset = 0;
    json_t *o = cdi_json_encode(cdi_jt_query, &cq);
    json_object_del(o, "offset");
    struct cdi_buf p = { 0 };
    cdi_buf_addf(&p, "/certs/count");
    int rc = !o || hs_query(s, o, &p) ? nomem(err) : call_int(s, 0, "GET", (char *)p.p, NULL, "count", count, err);
    if (!rc) {
        struct hs_count *c = &h->counts[h->count_next++ % HS_COUNTS];
        free(c->key);
        *c = (struct hs_count){ key, q->limit, now, *count };
        key = NULL;
    }
    free(key);
    json_decref(o);
    cdi_buf_free(&p);
    return rc;
}

static int cert_get(cd_store *s, const cd_user *u, int64_t id, struct cd_cert *out, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/certs/%lld", (long long)id);
    memset(out, 0, sizeof *out);
    int rc = get_obj(s, p, cdi_jt_cert, out, err);
    if (rc) cd_cert_clear(out);
    return rc;
}

/* The server audits a key export as it hands it over (export_audit is NULL
 * here).  A passphrase goes in a POST body, never in the URL. */
static int cert_export(cd_store *s, const cd_user *u, int64_t id, int fmt, const char *pass, unsigned char **out,
                       size_t *len, struct cd_err *err)
{
    (void)u;
    char p[96];
    json_t *j = NULL, *b = NULL;
    int rc;
    *out = NULL;
    *len = 0;
    if (pass) {
        PATH(p, "/certs/%lld/export", (long long)id);
        b = json_pack("{s:s, s:o}", "format", cd_export_name(fmt), "passphrase", cdi_json_str(pass));
        rc = b ? hs_call(s, "POST", p, b, &j, err) : nomem(err);
        json_decref(b);
    } else {
        PATH(p, "/certs/%lld/export?format=%s", (long long)id, cd_export_name(fmt));
        rc = hs_call(s, "GET", p, NULL, &j, err);
    }
    const char *data = rc ? NULL : json_string_value(json_object_get(j, "data"));
    if (!rc && !data) rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"data\" in the answer", HS(s)->hostport);
    if (!rc) rc = cdi_b64_decode(data, out, len, err);
    /* the Base64 of a key, in the parsed answer */
    if (j) cdi_json_wipe(j);
    json_decref(j);
    return rc;
}

static int cert_revoke(cd_store *s, const cd_user *u, const int64_t *ids, size_t n, int reason, struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{s:o, s:s}", "ids", ids_json(ids, n), "reason", cd_reason_name(reason));
    return b ? change(s, "POST", "/certs/revoke", b, err) : nomem(err);
}

static int cert_usage_count(cd_store *s, const cd_user *u, int64_t id, int64_t *count, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/certs/%lld/usage/count", (long long)id);
    return call_int(s, 0, "GET", p, NULL, "count", count, err);
}

static int resolve(cd_store *s, const cd_user *u, int kind, const char *ref, int64_t *id, struct cd_err *err)
{
    (void)u;
    json_t *q = json_pack("{s:s, s:o}", "kind", cdi_je_kind.name(kind), "ref", cdi_json_str(ref));
    struct cdi_buf p = { 0 };
    cdi_buf_addf(&p, "/resolve");
    int rc = !q || hs_query(s, q, &p) ? nomem(err) : call_int(s, 0, "GET", (char *)p.p, NULL, "id", id, err);
    json_decref(q);
    cdi_buf_free(&p);
    return rc;
}

static const char *kind_path(int kind) { return kind == CD_KIND_CA ? "cas" : "certs"; }

static int describe(cd_store *s, const cd_user *u, int kind, int64_t id, const char *text, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/%s/%lld/description", kind_path(kind), (long long)id);
    json_t *b = named("description", text);
    return b ? change(s, "PUT", p, b, err) : nomem(err);
}

static int move(cd_store *s, const cd_user *u, int kind, const int64_t *ids, size_t n, const char *group,
                struct cd_err *err)
{
    (void)u;
    if (kind == CD_KIND_CERT) {
        json_t *b = json_pack("{s:o}", "ids", ids_json(ids, n));
        if (b && group) json_object_set_new(b, "group", cdi_json_str(group));
        return b ? change(s, "POST", "/certs/move", b, err) : nomem(err);
    }
    int rc = CD_OK;
    for (size_t i = 0; !rc && i < n; i++) {
        char p[64];
        PATH(p, "/cas/%lld/move", (long long)ids[i]);
        json_t *b = json_object();
        if (b && group) json_object_set_new(b, "group", cdi_json_str(group));
        rc = b ? change(s, "POST", p, b, err) : nomem(err);
    }
    return rc;
}

static int crl(cd_store *s, const cd_user *u, int64_t ca, const char *pass, int days, int pem, unsigned char **out,
               size_t *len, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/cas/%lld/crl", (long long)ca);
    json_t *b = json_pack("{s:i, s:b}", "days", days, "pem", pem), *j = NULL;
    if (b && pass) json_object_set_new(b, "passphrase", cdi_json_str(pass));
    int rc = b ? hs_change(s, "POST", p, b, &j, err) : nomem(err);
    json_decref(b);
    const char *data = rc ? NULL : json_string_value(json_object_get(j, "data"));
    if (!rc && !data) rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"data\" in the answer", HS(s)->hostport);
    if (!rc) rc = cdi_b64_decode(data, out, len, err);
    json_decref(j);
    return rc;
}

/* ---- groups, tags, presets, state ---------------------------------------- */

static void group_clear(void *r) { free(((struct cd_group *)r)->path); }
static void tag_clear(void *r) { free(((struct cd_tag *)r)->name); }
static void preset_clear(void *r)
{
    struct cd_preset *p = r;
    free(p->name); free(p->expr); free(p->columns); free(p->sort); free(p->owner);
}
static void audit_clear(void *r)
{
    struct cd_audit *a = r;
    free(a->user); free(a->action); free(a->object); free(a->result); free(a->detail); free(a->section);
}
static void user_clear(void *r)
{
    struct cd_user_info *x = r;
    free(x->name); free(x->home); free(x->permsets);
}
static void permset_clear(void *r)
{
    struct cd_permset *x = r;
    free(x->name); free(x->groups); free(x->users);
}
static void usage_clear(void *r)
{
    struct cd_usage *x = r;
    free(x->client); free(x->address);
}

/* A list without arguments: GET path into the list struct { n; rows }. */
#define LIST(s, path, t, out, clear, err) \
    (memset(out, 0, sizeof *(out)), \
     get_rows(s, path, NULL, t, (void **)&(out)->rows, &(out)->n, sizeof *(out)->rows, clear, err))

static int group_add(cd_store *s, const cd_user *u, const char *path, struct cd_err *err)
{
    (void)u;
    json_t *b = named("path", path);
    return b ? change(s, "POST", "/groups", b, err) : nomem(err);
}

/* DELETE path?key=v */
static int delete_named(cd_store *s, const char *path, const char *key, const char *v, struct cd_err *err)
{
    json_t *q = named(key, v);
    struct cdi_buf p = { 0 };
    cdi_buf_addf(&p, "%s", path);
    int rc = !q || hs_query(s, q, &p) ? nomem(err) : change(s, "DELETE", (char *)p.p, NULL, err);
    json_decref(q);
    cdi_buf_free(&p);
    return rc;
}

static int group_rm(cd_store *s, const cd_user *u, const char *path, struct cd_err *err)
{
    (void)u;
    return delete_named(s, "/groups", "path", path, err);
}

static int group_list(cd_store *s, const cd_user *u, struct cd_group_list *out, struct cd_err *err)
{
    (void)u;
    return LIST(s, "/groups", cdi_jt_group, out, group_clear, err);
}

static int tag_list(cd_store *s, const cd_user *u, struct cd_tag_list *out, struct cd_err *err)
{
    (void)u;
    return LIST(s, "/tags", cdi_jt_tag, out, tag_clear, err);
}

static int tag_create(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    (void)u;
    json_t *b = named("name", name);
    return b ? change(s, "POST", "/tags", b, err) : nomem(err);
}

static int tag_delete(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    (void)u;
    return delete_named(s, "/tags", "name", name, err);
}

static int tag_set(cd_store *s, const cd_user *u, int kind, const int64_t *ids, size_t n, const char *tag, int assign,
                   struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{s:s, s:o, s:o}", "kind", cdi_je_kind.name(kind), "ids", ids_json(ids, n), "tag",
                          cdi_json_str(tag));
    return b ? change(s, "POST", assign ? "/tags/assign" : "/tags/unassign", b, err) : nomem(err);
}

static int preset_list(cd_store *s, const cd_user *u, struct cd_preset_list *out, struct cd_err *err)
{
    (void)u;
    return LIST(s, "/presets", cdi_jt_preset, out, preset_clear, err);
}

static int preset_save(cd_store *s, const cd_user *u, const char *name, const char *expr, const char *columns,
                       const char *sort, struct cd_err *err)
{
    (void)u;
    struct cd_preset p = { .name = (char *)name, .expr = (char *)expr, .columns = (char *)columns, .sort = (char *)sort };
    json_t *b = cdi_json_encode(cdi_jt_preset, &p);
    /* what a preset is saved with, not what a listing shows of it */
    json_object_del(b, "shared");
    json_object_del(b, "mine");
    return b ? change(s, "PUT", "/presets", b, err) : nomem(err);
}

static int preset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    (void)u;
    return delete_named(s, "/presets", "name", name, err);
}

static int preset_share(cd_store *s, const cd_user *u, const char *name, int shared, struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{s:o, s:b}", "name", cdi_json_str(name), "shared", shared);
    return b ? change(s, "POST", "/presets/share", b, err) : nomem(err);
}

static int state_get(cd_store *s, const cd_user *u, const char *key, char **value, struct cd_err *err)
{
    (void)u;
    json_t *q = named("key", key), *j = NULL;
    struct cdi_buf p = { 0 };
    cdi_buf_addf(&p, "/state");
    int rc = !q || hs_query(s, q, &p) ? nomem(err) : hs_call(s, "GET", (char *)p.p, NULL, &j, err);
    const char *v = rc ? NULL : json_string_value(json_object_get(j, "value"));
    *value = NULL;
    if (v && !(*value = strdup(v))) rc = nomem(err);
    json_decref(q);
    json_decref(j);
    cdi_buf_free(&p);
    return rc;
}

/* Not a change anyone else sees (not audited locally either), but still
 * refused on a read-only store like every write. */
static int state_set(cd_store *s, const cd_user *u, const char *key, const char *value, struct cd_err *err)
{
    (void)u;
    json_t *b = named("key", key);
    if (b && value) json_object_set_new(b, "value", cdi_json_str(value));
    return b ? change(s, "PUT", "/state", b, err) : nomem(err);
}

/* ---- audit ------------------------------------------------------------------ */

static int audit_list(cd_store *s, const cd_user *u, const char *object, const char *filter, int64_t limit,
                      struct cd_audit_list *out, struct cd_err *err)
{
    (void)u;
    memset(out, 0, sizeof *out);
    json_t *q = json_pack("{sI}", "limit", (json_int_t)limit);
    if (q && object) json_object_set_new(q, "object", cdi_json_str(object));
    if (q && filter) json_object_set_new(q, "filter", cdi_json_str(filter));
    return q ? get_rows(s, "/audit", q, cdi_jt_audit, (void **)&out->rows, &out->n, sizeof *out->rows, audit_clear, err)
             : nomem(err);
}

static int audit_verify(cd_store *s, const cd_user *u, int64_t *checked, int64_t *bad_id, struct cd_err *err)
{
    (void)u;
    json_t *j = NULL;
    /* what the server found comes with its error too */
    int rc = hs_call(s, "GET", "/audit/verify", NULL, &j, err);
    json_t *c = json_object_get(j, "checked"), *b = json_object_get(j, "bad_id");
    if (checked && json_is_integer(c)) *checked = json_integer_value(c);
    if (bad_id && json_is_integer(b)) *bad_id = json_integer_value(b);
    json_decref(j);
    return rc;
}

/* ---- users and permission sets ----------------------------------------------- */

static int user_add(cd_store *s, const cd_user *u, const char *name, const char *home, const char *password,
                    struct cd_err *err)
{
    (void)u;
    json_t *b = named("name", name);
    if (b && home) json_object_set_new(b, "home", cdi_json_str(home));
    if (b && password) json_object_set_new(b, "password", cdi_json_str(password));
    return b ? change(s, "POST", "/users", b, err) : nomem(err);
}

static int user_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    (void)u;
    return delete_named(s, "/users", "name", name, err);
}

static int user_set_disabled(cd_store *s, const cd_user *u, const char *name, int disabled, struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{s:o, s:b}", "name", cdi_json_str(name), "disabled", disabled);
    return b ? change(s, "POST", "/users/disable", b, err) : nomem(err);
}

static int user_passwd(cd_store *s, const cd_user *u, const char *name, const char *old, const char *pw,
                       struct cd_err *err)
{
    json_t *b = named("name", name);
    if (b && old) json_object_set_new(b, "old_password", cdi_json_str(old));
    if (b && pw) json_object_set_new(b, "new_password", cdi_json_str(pw));
    int rc = b ? change(s, "POST", "/users/passwd", b, err) : nomem(err);
    /* one's own password: every request sends the credentials, so the next
     * ones send the new password (the old one would be refused, and its
     * refusals would soon lock the name out) */
    if (!rc && u && u->name && !strcmp(name, u->name)) rc = HS(s)->t.set_auth(HS(s)->t.ctx, name, pw, err);
    return rc;
}

static int user_list(cd_store *s, const cd_user *u, struct cd_user_list *out, struct cd_err *err)
{
    (void)u;
    return LIST(s, "/users", cdi_jt_user_info, out, user_clear, err);
}

static int permset_add(cd_store *s, const cd_user *u, const char *name, const char *const *groups, size_t ng,
                       const int level[CD_OT_COUNT], struct cd_err *err)
{
    (void)u;
    json_t *g = json_array();
    for (size_t i = 0; g && i < ng; i++)
        if (json_array_append_new(g, cdi_json_str(groups[i]))) { json_decref(g); g = NULL; }
    json_t *b = json_pack("{s:o, s:o, s:o}", "name", cdi_json_str(name), "groups", g, "levels",
                          cdi_json_encode(cdi_jt_levels, level));
    return b ? change(s, "POST", "/permsets", b, err) : nomem(err);
}

static int permset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    (void)u;
    return delete_named(s, "/permsets", "name", name, err);
}

static int permset_grant(cd_store *s, const cd_user *u, const char *set, const char *user, int grant,
                         struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{s:o, s:o, s:b}", "set", cdi_json_str(set), "user", cdi_json_str(user), "grant", grant);
    return b ? change(s, "POST", "/permsets/grant", b, err) : nomem(err);
}

static int permset_list(cd_store *s, const cd_user *u, struct cd_permset_list *out, struct cd_err *err)
{
    (void)u;
    return LIST(s, "/permsets", cdi_jt_permset, out, permset_clear, err);
}

/* ---- usage and client settings ------------------------------------------------ */

static int cert_usage(cd_store *s, const cd_user *u, int64_t id, struct cd_usage_list *out, struct cd_err *err)
{
    (void)u;
    char p[64];
    PATH(p, "/certs/%lld/usage", (long long)id);
    return LIST(s, p, cdi_jt_usage, out, usage_clear, err);
}

static int client_settings_get(cd_store *s, const cd_user *u, struct cd_client_settings *out, struct cd_err *err)
{
    (void)u;
    memset(out, 0, sizeof *out);
    return get_obj(s, "/client", cdi_jt_client, out, err);
}

static int client_password_set(cd_store *s, const cd_user *u, const char *old_pw, const char *new_pw,
                               struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{s:o, s:o}", "old_password", cdi_json_str(old_pw), "new_password", cdi_json_str(new_pw));
    return b ? change(s, "POST", "/client/password", b, err) : nomem(err);
}

static int client_unauth_set(cd_store *s, const cd_user *u, int on, struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{s:b}", "on", on);
    return b ? change(s, "PUT", "/client/unauthenticated", b, err) : nomem(err);
}

const struct cdi_store_ops cdi_https_ops = {
    .name = "https",
    .close = hs_close,
    .init = hs_init,
    .user_owner = hs_user_owner,
    .is_readonly = hs_is_readonly,
    .ca_new = ca_new, .ca_import = ca_import, .ca_list = ca_list, .ca_get = ca_get, .ca_export = ca_export,
    .ca_delete = ca_delete,
    .cert_new = cert_new, .cert_list = cert_list, .cert_count = cert_count, .cert_get = cert_get,
    .cert_export = cert_export, .export_audit = NULL, .cert_revoke = cert_revoke,
    .cert_usage_count = cert_usage_count, .resolve = resolve, .describe = describe, .move = move, .crl = crl,
    .own_files = NULL,
    .group_add = group_add, .group_rm = group_rm, .group_list = group_list,
    .tag_list = tag_list, .tag_create = tag_create, .tag_delete = tag_delete, .tag_set = tag_set,
    .preset_list = preset_list, .preset_save = preset_save, .preset_rm = preset_rm, .preset_share = preset_share,
    .state_get = state_get, .state_set = state_set,
    .audit_list = audit_list, .audit_verify = audit_verify,
    .user_login = hs_user_login, .user_can = hs_user_can, .user_add = user_add, .user_rm = user_rm,
    .user_set_disabled = user_set_disabled, .user_passwd = user_passwd, .user_list = user_list,
    .permset_add = permset_add, .permset_rm = permset_rm, .permset_grant = permset_grant,
    .permset_list = permset_list,
    .cert_usage = cert_usage, .client_settings_get = client_settings_get,
    .client_password_set = client_password_set, .client_unauth_set = client_unauth_set,
    .expiry_warning_get = hs_expiry_warning_get, .expiry_warning_set = hs_expiry_warning_set,
    .mirror_settings_get = hs_mirror_settings_get, .mirror_settings_set = hs_mirror_settings_set,
    .cert_renew = hs_cert_renew, .ca_rollover = hs_ca_rollover,
    /* the server's side: certdeckd answers these from its own store */
    .checkin_verify = NULL, .checkin_record = NULL, .crl_current = NULL, .crl_index = NULL,
    .server_tls = NULL, .trust_pem = NULL,
    /* APN/ABM requests and external CSRs (store_https_request.c) */
    .cert_request = hs_cert_request, .cert_csr = hs_cert_csr, .cert_import_signed = hs_cert_import_signed,
    .cert_sign = hs_cert_sign,
    /* imports (store_https_import.c) */
    .import = hs_import,
};
