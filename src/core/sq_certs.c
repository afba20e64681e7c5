/* certdeck core — peer certificates in the sqlite backend: pages, counts,
 * lookups, export, revocation, usage counts, descriptions and moves (CRLs:
 * sq_crl.c).
 *
 * A page is one SELECT with ORDER BY ... LIMIT/OFFSET over indexed columns;
 * the table view asks for what it shows and nothing more, which is what lets
 * a million rows scroll like a hundred. */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"

static const char CERT_SEL[] =
    "c.id, c.ca_id, c.description, c.product, c.host, c.cn, c.subject, coalesce(a.cn, c.issuer),"
    " c.serial, c.fingerprint, c.key_alg,"
    " (SELECT group_concat(t.name, ',') FROM cert_tags x JOIN tags t ON t.id = x.tag_id WHERE x.cert_id = c.id),"
    " g.path, c.not_before, c.not_after, c.created, c.revoked_at, c.revoke_reason, c.pass_hash IS NOT NULL,"
    " length(c.key) > 0, c.replaces, (SELECT max(r.id) FROM certs r WHERE r.replaces = c.id AND r.replaces <> 0),"
    " c.pending FROM certs c";
static const char CERT_JOINS[] = " LEFT JOIN cas a ON a.id = c.ca_id JOIN groups g ON g.id = c.group_id";
/* The same for a page's ids sorted by issuer or group (every certificate
 * has its group: the rows are the same). */
static const char CERT_LEFT_JOINS[] = " LEFT JOIN cas a ON a.id = c.ca_id LEFT JOIN groups g ON g.id = c.group_id";

static void cert_row(sqlite3_stmt *st, struct cd_cert *c, int64_t now, int64_t warn)
{
    c->id = sqlite3_column_int64(st, 0);
    c->ca_id = sqlite3_column_int64(st, 1);
    c->description = sq_text(st, 2);
    c->product = strdup(cd_product_label(sqlite3_column_int(st, 3)));
    c->host = sq_text(st, 4); c->cn = sq_text(st, 5); c->subject = sq_text(st, 6); c->issuer = sq_text(st, 7);
    c->serial = sq_text(st, 8); c->fingerprint = sq_text(st, 9); c->key_alg = sq_text(st, 10);
    c->tags = sq_text(st, 11); c->group = sq_text(st, 12);
    c->not_before = sqlite3_column_int64(st, 13);
    c->not_after = sqlite3_column_int64(st, 14);
    c->created = sqlite3_column_int64(st, 15);
    c->revoked_at = sqlite3_column_int64(st, 16);
    c->revoke_reason = strdup(c->revoked_at ? cd_reason_name(sqlite3_column_int(st, 17)) : "");
    c->has_passphrase = sqlite3_column_int(st, 18);
    c->has_key = sqlite3_column_int(st, 19);
    c->replaces = sqlite3_column_int64(st, 20);
    c->replaced_by = sqlite3_column_int64(st, 21);
    c->state = sqlite3_column_int(st, 22) && !c->revoked_at ? CD_STATE_PENDING
             : cdi_state(c->not_before, c->not_after, c->revoked_at, now, warn);
}

static const char *sort_expr(int col)
{
    switch (col) {
    case CD_COL_DESCRIPTION: return "c.description COLLATE NOCASE";
    case CD_COL_PRODUCT: return "c.product";
    case CD_COL_HOST: return "c.host COLLATE NOCASE";
    case CD_COL_CN: return "c.cn COLLATE NOCASE";
    case CD_COL_ISSUER: return "a.cn COLLATE NOCASE";
    case CD_COL_VALID_FROM: return "c.not_before";
    case CD_COL_VALID_TO: return "c.not_after";
    case CD_COL_SERIAL: return "c.serial";
    case CD_COL_FINGERPRINT: return "c.fingerprint";
    case CD_COL_TAGS: return "(SELECT group_concat(t.name, ',') FROM cert_tags x JOIN tags t ON t.id = x.tag_id"
                             " WHERE x.cert_id = c.id)";
    case CD_COL_GROUP: return "g.path COLLATE NOCASE";
    case CD_COL_STATUS: return "(c.revoked_at <> 0), c.not_after";
    }
    return NULL;
}

/* Joins and WHERE clause shared by list and count.  joins: the text of the
 * other joins, or NULL; *driver gets the driving join's key (list only). */
static int where(const cd_user *u, const struct cd_query *q, int64_t now, int64_t warn, const char *joins,
                 const char **driver, struct cdi_sql *w, struct cd_err *err)
{
    cd_filter *f = NULL;
    int rc = cd_filter_parse(q && q->filter ? q->filter : "", &f, err);
    if (rc) return rc;
    if (driver) *driver = cdi_filter_join(f, w);
    if (joins) cdi_buf_addf(&w->sql, "%s", joins);
    cdi_buf_addf(&w->sql, " WHERE ");
    sq_visible(u, CD_OT_CERTS, "c.group_id", w);
    if (!(q && q->revoked) && !cdi_filter_wants_revoked(f)) cdi_buf_addf(&w->sql, " AND c.revoked_at = 0");
    if (q && q->group && *q->group) sq_in_subtree(w, "c.group_id", q->group);
    cdi_buf_addf(&w->sql, " AND ");
    rc = cdi_filter_sql(f, CDI_TARGET_CERT, now, warn, w, err);
    cd_filter_free(f);
    return rc;
}

int sq_cert_list(cd_store *s, const cd_user *u, const struct cd_query *q, struct cd_cert_list *out,
                 struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    int64_t now = cdi_now(), warn = 0;
    memset(out, 0, sizeof *out);
    const char *driver = NULL;
    /* The page's ids first, then its rows: OFFSET steps over rows one by
     * one, and in the inner query a step reads the index alone (no join
     * unless the order needs one), where the full row with its joins cost
     * ten times as much per skipped row (84 ms vs 9 ms at offset 90,000;
     * SQLite does not always drop an unused LEFT JOIN).  Every page of 100k is then read in well
     * under a second, which a remote client paging through needs. */
    cdi_buf_addf(&w.sql, "SELECT %s%s WHERE c.id IN (SELECT c.id FROM certs c", CERT_SEL, CERT_JOINS);
    int rc = sq_check_group(sq, u, q, err);
    if (!rc) rc = sq_expiry_secs(sq, &warn, err);
    const char *dir = q && q->desc ? "DESC" : "ASC";
    int sort = q ? q->sort : CD_COL_ID;
    const char *se = sort_expr(sort);
    /* the WHERE never needs a or g (cd_cert_count has no joins); only
     * these two orders do */
    int joins = sort == CD_COL_ISSUER || sort == CD_COL_GROUP;
    if (!rc) rc = where(u, q, now, warn, joins ? CERT_LEFT_JOINS : NULL, &driver, &w, err);
    if (rc) goto out;
    /* by id, follow the driving index's own order so no sort is needed */
    if (se) cdi_buf_addf(&w.sql, " ORDER BY %s %s, c.id %s", se, dir, dir);
    else cdi_buf_addf(&w.sql, " ORDER BY %s %s", driver ? driver : "c.id", dir);
    sq_page(&w, q);
    /* the driver's key is c.id: the outer order is the inner one */
    if (se) cdi_buf_addf(&w.sql, ") ORDER BY %s %s, c.id %s", se, dir, dir);
    else cdi_buf_addf(&w.sql, ") ORDER BY c.id %s", dir);
    if (w.sql.oom) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if ((rc = sq_prep(sq, (char *)w.sql.p, &st, err))) goto out;
    sq_bind_all(st, &w);
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cd_cert *row = cdi_grow(&out->rows, out->n, &cap, sizeof *row);
        if (!row) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
        cert_row(st, row, now, warn);
        out->n++;
    }
    rc = sq_done(sq, r, "certificate list", err);
out:
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    if (rc) cd_cert_list_free(out);
    return rc;
}

static int blank(const char *s)
{
    while (s && (*s == ' ' || *s == '\t')) s++;
    return !s || !*s;
}

/* No filter: the sum of the trigger-kept counts (schema 5) of the groups
 * this user sees, instead of walking up to a million index entries. */
static int count_all(struct sq *sq, const cd_user *u, const struct cd_query *q, int64_t *count, struct cd_err *err)
{
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    cdi_buf_addf(&w.sql, "SELECT coalesce(sum(k.n), 0) FROM cert_counts k WHERE k.tag_id = 0 AND ");
    sq_visible(u, CD_OT_CERTS, "k.group_id", &w);
    if (!(q && q->revoked)) cdi_buf_addf(&w.sql, " AND k.revoked = 0");
    if (q && q->group && *q->group) sq_in_subtree(&w, "k.group_id", q->group);
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) {
        sq_bind_all(st, &w);
        if (sqlite3_step(st) == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
        else rc = sq_dberr(sq, err, "count");
        if (!rc && q && q->limit > 0 && *count > q->limit) *count = q->limit;
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    return rc;
}

int sq_cert_count(cd_store *s, const cd_user *u, const struct cd_query *q, int64_t *count, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    int capped = q && q->limit > 0;
    const char *driver = NULL;
    int grc = sq_check_group(sq, u, q, err);
    if (grc) return grc;
    if (!q || blank(q->filter)) return count_all(sq, u, q, count, err);
    /* capped: the driving join lets the count stop after `limit` rows in
     * index order; the CA and group joins are only needed by the page query */
    cdi_buf_addf(&w.sql, capped ? "SELECT count(*) FROM (SELECT 1 FROM certs c" : "SELECT count(*) FROM certs c");
    int64_t warn = 0;
    int rc = sq_expiry_secs(sq, &warn, err);
    if (!rc) rc = where(u, q, cdi_now(), warn, NULL, capped ? &driver : NULL, &w, err);
    if (!rc && capped) {
        cdi_buf_addf(&w.sql, " LIMIT ");
        cdi_sql_int(&w, q->limit);
        cdi_buf_addf(&w.sql, ")");
    }
    if (!rc && !(rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err))) {
        sq_bind_all(st, &w);
        if (sqlite3_step(st) == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
        else rc = sq_dberr(sq, err, "count");
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    return rc;
}

int sq_cert_get(cd_store *s, const cd_user *u, int64_t id, struct cd_cert *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    cdi_buf_addf(&w.sql, "SELECT %s%s WHERE c.id = ", CERT_SEL, CERT_JOINS);
    cdi_sql_int(&w, id);
    cdi_buf_addf(&w.sql, " AND ");
    sq_visible(u, CD_OT_CERTS, "c.group_id", &w);
    int64_t warn = 0;
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) rc = sq_expiry_secs(sq, &warn, err);
    if (!rc) {
        sq_bind_all(st, &w);
        if (sqlite3_step(st) == SQLITE_ROW) cert_row(st, out, cdi_now(), warn);
        else rc = sq_missing(err, CD_KIND_CERT, id);
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    return rc;
}

int sq_resolve(cd_store *s, const cd_user *u, int kind, const char *ref, int64_t *id, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    const char *tbl = kind == CD_KIND_CA ? "cas" : "certs";
    const char *what = kind == CD_KIND_CA ? "CA" : "certificate";
    char *end;
    long long v = strtoll(ref, &end, 10);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    int rc = CD_OK;
    if (*end == 0 && end != ref && strlen(ref) < 10) {
        cdi_buf_addf(&w.sql, "SELECT x.id FROM %s x WHERE x.id = ", tbl);
        cdi_sql_int(&w, v);
    } else {
        /* a serial or fingerprint prefix: lowercase hex, colons dropped;
         * the range [p, p+"g") uses the index where LIKE would not */
        char hex[130];
        size_t n = 0;
        for (const char *p = ref; *p && n < sizeof hex - 2; p++) {
            if (*p == ':') continue;
            char c = (char)(*p >= 'A' && *p <= 'F' ? *p + 32 : *p);
            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                return cdi_fail(err, CD_E_INVAL, "\"%.80s\" is not an ID, a serial or a fingerprint", ref);
            hex[n++] = c;
        }
        hex[n] = 0;
        if (n < 4) return cdi_fail(err, CD_E_INVAL, "give at least 4 hex digits of a serial or fingerprint");
        char hi[132];
        snprintf(hi, sizeof hi, "%sg", hex);
        /* the outer parentheses matter: without them the visibility test
         * below bound only to the fingerprint half, and a serial prefix
         * found hidden certificates ("no certificate with ID 5" afterwards
         * told them from missing ones) */
        cdi_buf_addf(&w.sql, "SELECT x.id FROM %s x WHERE ((x.serial >= ", tbl);
        cdi_sql_text(&w, hex); cdi_buf_addf(&w.sql, " AND x.serial < "); cdi_sql_text(&w, hi);
        cdi_buf_addf(&w.sql, ") OR (x.fingerprint >= ");
        cdi_sql_text(&w, hex); cdi_buf_addf(&w.sql, " AND x.fingerprint < "); cdi_sql_text(&w, hi);
        cdi_buf_addf(&w.sql, "))");
    }
    /* hidden answers exactly as missing: same status, same words */
    cdi_buf_addf(&w.sql, " AND ");
    sq_visible(u, kind == CD_KIND_CA ? CD_OT_CAS : CD_OT_CERTS, "x.group_id", &w);
    cdi_buf_addf(&w.sql, " LIMIT 2");
    if (w.sql.oom) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (!rc && !(rc = sq_prep(sq, (char *)w.sql.p, &st, err))) {
        sq_bind_all(st, &w);
        int found = 0, r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) { *id = sqlite3_column_int64(st, 0); found++; }
        if (r != SQLITE_DONE) rc = sq_done(sq, r, what, err);   /* a failed lookup is not "no match" */
        else if (!found) rc = cdi_fail(err, CD_E_NOTFOUND, "no %s matches \"%.80s\"", what, ref);
        else if (found > 1) rc = cdi_fail(err, CD_E_INVAL, "\"%.80s\" matches more than one %s; give more digits", ref, what);
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    return rc;
}

/* The text the free-text filter searches: one row of cert_fts per certificate. */
#define FTS_BODY "c.cn || ' ' || c.subject || ' ' || c.description || ' ' || c.host || ' ' || c.serial" \
    " || ' ' || c.fingerprint || ' ' || coalesce((SELECT group_concat(t.name, ' ') FROM cert_tags x" \
    " JOIN tags t ON t.id = x.tag_id WHERE x.cert_id = c.id), '')"

/* Why a range: FTS5 flushes its pending terms at the end of every
 * statement inside a transaction, so a thousand one-row inserts cost many
 * times one thousand-row insert. */
int sq_fts_add_range(struct sq *sq, int64_t lo, int64_t hi, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_cached(sq, SQC_FTS_RANGE, "INSERT INTO cert_fts(rowid, body) SELECT c.id, " FTS_BODY
                       " FROM certs c WHERE c.id BETWEEN ?1 AND ?2", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, lo);
    sqlite3_bind_int64(st, 2, hi);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? CD_OK : sq_dberr(sq, err, "search index");
}

int sq_fts_refresh(struct sq *sq, int64_t id, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_cached(sq, SQC_FTS_DEL, "DELETE FROM cert_fts WHERE rowid = ?1", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE) return sq_dberr(sq, err, "search index");
    if ((rc = sq_cached(sq, SQC_FTS_INS, "INSERT INTO cert_fts(rowid, body) SELECT c.id, " FTS_BODY
                        " FROM certs c WHERE c.id = ?1", &st, err))) return rc;
    sqlite3_bind_int64(st, 1, id);
    r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? CD_OK : sq_dberr(sq, err, "search index");
}

/* Reads what an export needs; checks the right on the certificate's group. */
struct certrow { gnutls_datum_t der, key; char fp[65], cn[80]; char *pass_hash; int64_t ca_id, group; int64_t revoked;
                 int pending; };

static int load_cert(struct sq *sq, int64_t id, struct certrow *r, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    memset(r, 0, sizeof *r);
    int rc = sq_prep(sq, "SELECT der, key, fingerprint, cn, pass_hash, ca_id, group_id, revoked_at, pending FROM certs"
                     " WHERE id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return sq_missing(err, CD_KIND_CERT, id);
    }
    for (int i = 0; i < 2; i++) {
        gnutls_datum_t *d = i ? &r->key : &r->der;
        d->size = (unsigned)sqlite3_column_bytes(st, i);
        d->data = gnutls_malloc(d->size ? d->size : 1);
        /* an empty blob (a mirror's certs.key) reads as NULL */
        if (d->data) { if (d->size) memcpy(d->data, sqlite3_column_blob(st, i), d->size); }
        else rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    snprintf(r->fp, sizeof r->fp, "%s", (const char *)sqlite3_column_text(st, 2));
    snprintf(r->cn, sizeof r->cn, "%s", (const char *)sqlite3_column_text(st, 3));
    if (sqlite3_column_type(st, 4) != SQLITE_NULL) r->pass_hash = sq_text(st, 4);
    r->ca_id = sqlite3_column_int64(st, 5);
    r->group = sqlite3_column_int64(st, 6);
    r->revoked = sqlite3_column_int64(st, 7);
    r->pending = sqlite3_column_int(st, 8);
    sqlite3_finalize(st);
    return rc;
}

static void certrow_clear(struct certrow *r)
{
    gnutls_free(r->der.data);
    gnutls_free(r->key.data);
    free(r->pass_hash);
    memset(r, 0, sizeof *r);
}

char *sq_base64(const unsigned char *p, size_t n)
{
    static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char *o = malloc(4 * ((n + 2) / 3) + 2), *q = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0) | (i + 2 < n ? p[i + 2] : 0);
        *q++ = t[v >> 18 & 63];
        *q++ = t[v >> 12 & 63];
        *q++ = i + 1 < n ? t[v >> 6 & 63] : '=';
        *q++ = i + 2 < n ? t[v & 63] : '=';
    }
    *q++ = '\n';
    *q = 0;
    return o;
}

static int do_export(struct sq *sq, const cd_user *u, int64_t id, int fmt, const char *pass,
                     unsigned char **out, size_t *len, struct cd_err *err)
{
    struct certrow r;
    gnutls_x509_crt_t crt = NULL, ca = NULL;
    gnutls_x509_privkey_t key = NULL;
    gnutls_datum_t plain = { 0 }, res = { 0 };
    int rc = load_cert(sq, id, &r, err), gt = 0;
    int needs_key = fmt == CD_EXPORT_PFX || fmt == CD_EXPORT_BASE64 || fmt == CD_EXPORT_KEY;
    if (!rc && needs_key && sq->mirror)
        rc = cdi_fail(err, CD_E_READONLY, "a mirror carries no private keys: export the key from the source store");
    if (!rc) rc = sq_obj_may(sq, u, needs_key ? CD_ACT_CERT_EXPORT_KEY : CD_ACT_CERT_EXPORT, CD_KIND_CERT, id, r.group,
                             err);
    if (!rc && r.pending)
        rc = cdi_fail(err, CD_E_STATE, "certificate %lld is pending: Apple has not signed its request yet (certdeck "
                      "cert csr %lld gives the request; then certdeck cert import-signed %lld FILE.pem)",
                      (long long)id, (long long)id, (long long)id);
    if (!rc && needs_key && !r.key.size)
        rc = cdi_fail(err, CD_E_STATE, "no private key in the store (certificate %lld was signed from a request, "
                      "its key stays where the request was made): export pem, der or chain", (long long)id);
    if (rc) goto out;
    if (needs_key) {
        if (!pass || !*pass) {
            rc = cdi_fail(err, CD_E_PASSPHRASE, "a passphrase is needed to protect the exported private key");
            goto out;
        }
        if (r.pass_hash && !cdi_pass_check(r.pass_hash, pass)) {
            rc = cdi_fail(err, CD_E_PASSPHRASE, "wrong passphrase for certificate %lld", (long long)id);
            goto out;
        }
        if ((rc = sq_store_key(sq, err))) goto out;
        if ((rc = cdi_unseal(sq->key, r.fp, 64, r.key.data, r.key.size, &plain, err))) goto out;
        if ((rc = cdi_key_import_plain(plain.data, plain.size, &key, err))) goto out;
    }
    if ((rc = cdi_crt_load(r.der.data, r.der.size, &crt, err))) goto out;
    if (fmt == CD_EXPORT_CHAIN || fmt == CD_EXPORT_PFX || fmt == CD_EXPORT_BASE64) {
        /* the CA may have been deleted since; then the chain is the leaf alone */
        struct cd_err e2 = { 0 };
        int hidden = sq->hidden;      /* a CA u cannot read is left out, not a refusal */
        if (sq_ca_load(sq, u, r.ca_id, NULL, CD_RIGHT_READ, &ca, NULL, &e2) != CD_OK) ca = NULL;
        sq->hidden = hidden;
    }
    switch (fmt) {
    case CD_EXPORT_PEM: gt = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &res); break;
    case CD_EXPORT_DER: gt = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &res); break;
    case CD_EXPORT_CHAIN: {
        gnutls_datum_t a = { 0 }, b = { 0 };
        gt = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &a);
        if (gt >= 0 && ca) gt = gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_PEM, &b);
        if (gt >= 0 && (res.data = gnutls_malloc(a.size + b.size + 1))) {
            memcpy(res.data, a.data, a.size);
            if (b.size) memcpy(res.data + a.size, b.data, b.size);
            res.size = a.size + b.size;
        } else if (gt >= 0) gt = GNUTLS_E_MEMORY_ERROR;
        gnutls_free(a.data);
        gnutls_free(b.data);
        break;
    }
    case CD_EXPORT_PFX: case CD_EXPORT_BASE64:
        rc = cdi_pki_pfx(crt, key, ca, pass, r.cn, &res, err);
        if (!rc && fmt == CD_EXPORT_BASE64) {
            char *b64 = sq_base64(res.data, res.size);
            gnutls_free(res.data);
            res.data = NULL;
            if (!b64) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            *out = (unsigned char *)b64;
            *len = strlen(b64);
            goto out;
        }
        break;
    case CD_EXPORT_KEY:
        rc = cdi_key_export_pkcs8(key, pass, GNUTLS_X509_FMT_PEM, &res, err);
        break;
    }
    if (gt < 0) rc = cdi_fail(err, CD_E_CRYPTO, "export: %s", gnutls_strerror(gt));
    if (rc) goto out;
    *out = malloc(res.size ? res.size : 1);
    if (!*out) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(*out, res.data, res.size);
    *len = res.size;
out:
    if (res.data) { cdi_wipe(res.data, res.size); gnutls_free(res.data); }
    if (plain.data) { cdi_wipe(plain.data, plain.size); gnutls_free(plain.data); }
    if (key) gnutls_x509_privkey_deinit(key);
    if (crt) gnutls_x509_crt_deinit(crt);
    if (ca) gnutls_x509_crt_deinit(ca);
    certrow_clear(&r);
    return rc;
}

int sq_cert_export(cd_store *s, const cd_user *u, int64_t id, int fmt, const char *pass,
                   unsigned char **out, size_t *len, struct cd_err *err)
{
    *out = NULL;
    *len = 0;
    struct sq *sq = SQ(s);
    sq->hidden = 0;
    return do_export(sq, u, id, fmt, pass, out, len, err);
}

int sq_export_audit(cd_store *s, const cd_user *u, int64_t id, int fmt, int rc, const char *detail,
                    struct cd_err *err)
{
    struct sq *sq = SQ(s);
    /* Exports of a private key are audited, with their real outcome (a file
     * that could not be written is a Failure): a copy of the key left the
     * store, or did not.  The certificate alone is public, and reading it is
     * not a change.  A --read-only session still records it
     * (sq_begin_record); only a store file that cannot be written loses the
     * record.  sq->hidden, set by the export, still says whether a refusal
     * was of a hidden certificate. */
    if (sq->nowrite || !(fmt == CD_EXPORT_PFX || fmt == CD_EXPORT_BASE64 || fmt == CD_EXPORT_KEY)) return rc;
    char obj[32], d[600];
    snprintf(obj, sizeof obj, "cert %lld", (long long)id);
    snprintf(d, sizeof d, "%s%s%.500s", cd_export_name(fmt), detail ? " to " : "", detail ? detail : "");
    if (sq_begin_record(sq, NULL)) return rc;
    /* sq_finish records no Failure for "disk full", taking it for the
     * store's own disk; here it was the export's target (the store was
     * just read), so it is recorded as the I/O failure it is */
    int frc = sq_finish(sq, u, rc == CD_E_FULL ? CD_E_IO : rc, "Export certificate", obj, d, err);
    sq_end_record(sq);
    /* no record, no key: the caller drops the data when this fails */
    return rc ? rc : frc;
}

int sq_cert_revoke(cd_store *s, const cd_user *u, const int64_t *ids, size_t n, int reason, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *sel = NULL, *upd = NULL;
    int64_t now = cdi_now();
    int64_t *cas = NULL;          /* the CAs whose CRL changes, each once */
    size_t ncas = 0, cap = 0;
    char obj[32] = "";
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_prep(sq, "SELECT group_id, revoked_at, ca_id, product FROM certs WHERE id = ?", &sel, err);
    if (!rc) rc = sq_prep(sq, "UPDATE certs SET revoked_at = ?, revoke_reason = ? WHERE id = ?", &upd, err);
    for (size_t i = 0; i < n && !rc; i++) {
        snprintf(obj, sizeof obj, "cert %lld", (long long)ids[i]);
        sqlite3_reset(sel);
        sqlite3_bind_int64(sel, 1, ids[i]);
        if (sqlite3_step(sel) != SQLITE_ROW) { rc = sq_missing(err, CD_KIND_CERT, ids[i]); break; }
        if ((rc = sq_obj_may(sq, u, CD_ACT_CERT_REVOKE, CD_KIND_CERT, ids[i], sqlite3_column_int64(sel, 0), err))) break;
        if (sqlite3_column_int64(sel, 1)) { rc = cdi_fail(err, CD_E_STATE, "certificate %lld is already revoked", (long long)ids[i]); break; }
        if (cd_product_external(sqlite3_column_int(sel, 3))) {
            /* the one rule: Apple's certificates are Apple's to revoke */
            rc = cdi_fail(err, CD_E_STATE, "certificate %lld is an %s certificate: APN and ABM certificates are renewed "
                          "(a new request with request-renew, then import-signed), never revoked: Apple's certificate is not on any CRL "
                          "of this store, and Apple's portal is where it is revoked", (long long)ids[i],
                          cd_product_label(sqlite3_column_int(sel, 3)));
            break;
        }
        int64_t ca = sqlite3_column_int64(sel, 2);
        size_t k = 0;
        while (k < ncas && cas[k] != ca) k++;
        if (k == ncas) {
            int64_t *slot = cdi_grow(&cas, ncas, &cap, sizeof *cas);
            if (!slot) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            *slot = ca;
            ncas++;
            /* until the new CRL is signed, the stored one is known to be short */
            if ((rc = sq_crl_mark_stale(sq, ca, err))) break;
        }
        char detail[128];
        snprintf(detail, sizeof detail, "reason %s", cd_reason_name(reason));
        sqlite3_reset(upd);
        sqlite3_bind_int64(upd, 1, now);
        sqlite3_bind_int(upd, 2, reason);
        sqlite3_bind_int64(upd, 3, ids[i]);
        if (sqlite3_step(upd) != SQLITE_DONE) { rc = sq_dberr(sq, err, "revoke"); break; }
        if (n > 1 && i + 1 < n) rc = sq_audit(sq, u->name, "Revoke certificate", obj, "Success", detail, err);
    }
    sqlite3_finalize(sel);
    sqlite3_finalize(upd);
    char detail[64];
    snprintf(detail, sizeof detail, "reason %s", cd_reason_name(reason));
    rc = sq_finish(sq, u, rc, "Revoke certificate", *obj ? obj : "cert", detail, err);
    /* the CRLs the server hands out, signed before this returns (each in a
     * short transaction of its own: signing holds no revocation back) */
    if (!rc) rc = sq_crl_regen(sq, u, cas, ncas, err);
    free(cas);
    return rc;
}

/* Clients seen within CD_USAGE_RECENT_DAYS: the ones revoking would cut off. */
int sq_cert_usage_count(cd_store *s, const cd_user *u, int64_t id, int64_t *count, struct cd_err *err)
{
    struct cd_cert c;
    int rc = sq_cert_get(s, u, id, &c, err);
    if (rc) return rc;
    cd_cert_clear(&c);
    sqlite3_stmt *st = NULL;
    if ((rc = sq_prep(SQ(s), "SELECT count(*) FROM usage WHERE cert_id = ? AND last_seen >= ?", &st, err))) return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, cdi_now() - (int64_t)CD_USAGE_RECENT_DAYS * 86400);
    /* a failed count must not read as "not in use": revoking would skip its question */
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) *count = sqlite3_column_int64(st, 0);
    else rc = sq_done(SQ(s), r, "usage", err);
    sqlite3_finalize(st);
    return rc;
}

/* One row's group, after checking it exists. */
static int object_group(struct sq *sq, int kind, int64_t id, int64_t *group, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, kind == CD_KIND_CA ? "SELECT group_id FROM cas WHERE id = ?"
                                             : "SELECT group_id FROM certs WHERE id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) == SQLITE_ROW) *group = sqlite3_column_int64(st, 0);
    else rc = sq_missing(err, kind, id);
    sqlite3_finalize(st);
    return rc;
}

int sq_describe(cd_store *s, const cd_user *u, int kind, int64_t id, const char *text, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int64_t group;
    char obj[32];
    snprintf(obj, sizeof obj, "%s %lld", kind == CD_KIND_CA ? "ca" : "cert", (long long)id);
    int rc = sq_begin(sq, err);
    if (!rc) rc = object_group(sq, kind, id, &group, err);
    if (!rc) rc = sq_obj_may(sq, u, kind == CD_KIND_CA ? CD_ACT_CA_DESCRIBE : CD_ACT_CERT_DESCRIBE, kind, id, group, err);
    if (!rc && strlen(text) > 1024) rc = cdi_fail(err, CD_E_INVAL, "a description is at most 1024 bytes");
    if (!rc && !(rc = sq_prep(sq, kind == CD_KIND_CA ? "UPDATE cas SET description = ? WHERE id = ?"
                                                      : "UPDATE certs SET description = ? WHERE id = ?", &st, err))) {
        sqlite3_bind_text(st, 1, text, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "describe");
        sqlite3_finalize(st);
    }
    if (!rc && kind == CD_KIND_CERT) rc = sq_fts_refresh(sq, id, err);
    return sq_finish(sq, u, rc, "Edit description", obj, text, err);
}

int sq_move(cd_store *s, const cd_user *u, int kind, const int64_t *ids, size_t n, const char *path,
            struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int64_t target = 0;
    char obj[32] = "";
    int rc = sq_begin(sq, err);
    if (!rc && (!path || !*path)) rc = cdi_fail(err, CD_E_INVAL, "a target access group is required");
    if (!rc) rc = sq_group_id(sq, u, path, &target, err);
    int act = kind == CD_KIND_CA ? CD_ACT_CA_MOVE : CD_ACT_CERT_MOVE;
    if (!rc) rc = sq_prep(sq, kind == CD_KIND_CA ? "UPDATE cas SET group_id = ? WHERE id = ?"
                                                 : "UPDATE certs SET group_id = ? WHERE id = ?", &st, err);
    for (size_t i = 0; i < n && !rc; i++) {
        int64_t g;
        snprintf(obj, sizeof obj, "%s %lld", kind == CD_KIND_CA ? "ca" : "cert", (long long)ids[i]);
        if ((rc = object_group(sq, kind, ids[i], &g, err))) break;
        /* Write where it is and where it goes */
        if ((rc = sq_obj_may(sq, u, act, kind, ids[i], g, err))) break;
        if ((rc = sq_may(sq, u, act, target, err))) break;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, target);
        sqlite3_bind_int64(st, 2, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = sq_dberr(sq, err, "move"); break; }
        if (i + 1 < n) rc = sq_audit(sq, u->name, "Move to access group", obj, "Success", path, err);
    }
    sqlite3_finalize(st);
    return sq_finish(sq, u, rc, "Move to access group", obj, path, err);
}
