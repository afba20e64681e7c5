/* certdeck core — reading the audit log in the sqlite backend: newest
 * first, narrowed by object and by the filter language's audit fields; and
 * vouching for it: the authenticated head and `audit verify` (below).
 *
 * Who sees a record: an administrator, everyone; anyone else, the records
 * of their own actions and those whose object lies in a group where they
 * may read that kind of object (certificates for "cert 12", CAs for "ca 1",
 * users for users, groups, permission sets and the store).  The object's
 * group is looked up when reading (a certificate or CA by ID, a user by
 * name, a group by path); records about the store as a whole, tags or
 * permission sets belong to /All.  So a user without Read on a group sees
 * none of its objects' history either, and of its own actions on such
 * objects (a refused attempt, or an object moved away since) only the
 * record, without the object's name or the detail. */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"

static const char AUDIT_GROUP[] =
    "coalesce(CASE WHEN x.object GLOB 'cert [0-9]*' THEN"
    " (SELECT group_id FROM certs WHERE id = CAST(substr(x.object, 6) AS INTEGER))"
    " WHEN x.object GLOB 'ca [0-9]*' THEN (SELECT group_id FROM cas WHERE id = CAST(substr(x.object, 4) AS INTEGER))"
    " WHEN x.object GLOB 'user *' THEN (SELECT home FROM users WHERE name = substr(x.object, 6))"
    " WHEN x.object GLOB '/All*' THEN (SELECT id FROM groups WHERE path = x.object) END, 1)";

/* enum cd_otype of the record's object */
static const char AUDIT_TYPE[] =
    "CASE WHEN x.object GLOB 'cert [0-9]*' THEN 0 WHEN x.object GLOB 'ca [0-9]*' OR x.object = 'ca' THEN 1"
    " WHEN x.action GLOB '* tag' THEN 2 WHEN x.action GLOB '*preset' THEN 3 ELSE 4 END";

/* what a redacted field reads */
#define AUDIT_HIDDEN "(hidden)"

/* "(x.user = u)": a record of u's own action */
static void own(const cd_user *u, struct cdi_sql *w)
{
    cdi_buf_addf(&w->sql, "(x.user = ");
    cdi_sql_text(w, u->name);
    cdi_buf_addf(&w->sql, ")");
}

/* a record whose object u may read (u's own user record included) */
static void readable(const cd_user *u, struct cdi_sql *w)
{
    char *me = cdi_printf("user %s", u->name);
    cdi_buf_addf(&w->sql, "(x.object = ");
    cdi_sql_text(w, me ? me : "");
    if (!me) w->sql.oom = 1;
    free(me);
    cdi_buf_addf(&w->sql, " OR EXISTS (SELECT 1 FROM user_rights r WHERE r.user_id = ");
    cdi_sql_int(w, u->id);
    cdi_buf_addf(&w->sql, " AND r.group_id = %s AND r.type = %s AND r.level >= %d))", AUDIT_GROUP, AUDIT_TYPE,
                 CD_RIGHT_READ);
}

int sq_audit_list(cd_store *s, const cd_user *u, const char *object, const char *filter, int64_t limit,
                  struct cd_audit_list *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    if (sq->mirror) return sq_unpublished(err, "the audit log");
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    cd_filter *f = NULL;
    memset(out, 0, sizeof *out);
    int rc = cd_filter_parse(filter ? filter : "", &f, err);
    if (rc) return rc;
    cdi_buf_addf(&w.sql, "SELECT x.id, x.ts, x.user, x.action, x.object, x.result, x.detail, %s FROM ",
                 CDI_AUDIT_SECTION);
    if (u->admin) {
        cdi_buf_addf(&w.sql, "audit x");
    } else {
        /* u's own records whose object it cannot read are shown redacted:
         * the object's name (a CA's CN, a description, a group path) goes;
         * "cert 12" / "ca 3" stay, being only the IDs u gave; Forbidden
         * reads Failure, as u was told "not found" (sq_obj_may), the same
         * as for an ID that does not exist.  The filter runs on the
         * redacted text, so it cannot be used to guess it.  Each CASE
         * tests the cheap "not u's own" first: other users' records (shown
         * only when readable) pay nothing more than before. */
        cdi_buf_addf(&w.sql, "(SELECT x.id AS id, x.ts AS ts, x.user AS user, x.action AS action, CASE WHEN NOT ");
        own(u, &w);
        cdi_buf_addf(&w.sql, " OR x.result <> 'Forbidden' OR ");
        readable(u, &w);
        cdi_buf_addf(&w.sql, " THEN x.result ELSE 'Failure' END AS result, CASE WHEN NOT ");
        own(u, &w);
        cdi_buf_addf(&w.sql, " OR x.object GLOB 'cert [0-9]*' OR x.object GLOB 'ca [0-9]*' OR ");
        readable(u, &w);
        cdi_buf_addf(&w.sql, " THEN x.object ELSE '" AUDIT_HIDDEN "' END AS object, CASE WHEN NOT ");
        own(u, &w);
        cdi_buf_addf(&w.sql, " OR ");
        readable(u, &w);
        cdi_buf_addf(&w.sql, " THEN x.detail ELSE '" AUDIT_HIDDEN "' END AS detail FROM audit x WHERE ");
        own(u, &w);
        cdi_buf_addf(&w.sql, " OR ");
        readable(u, &w);
        cdi_buf_addf(&w.sql, ") x");
    }
    cdi_buf_addf(&w.sql, " WHERE ");
    if (object && *object) {
        cdi_buf_addf(&w.sql, "x.object = ");
        cdi_sql_text(&w, object);
        cdi_buf_addf(&w.sql, " AND ");
    }
    rc = cdi_filter_sql(f, CDI_TARGET_AUDIT, cdi_now(), 0, &w, err);
    cdi_buf_addf(&w.sql, " ORDER BY x.id DESC LIMIT ");
    cdi_sql_int(&w, limit > 0 ? limit : -1);
    if (!rc) rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) {
        sq_bind_all(st, &w);
        size_t cap = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            struct cd_audit *a = cdi_grow(&out->rows, out->n, &cap, sizeof *a);
            if (!a) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            out->n++;
            a->id = sqlite3_column_int64(st, 0);
            a->time = sqlite3_column_int64(st, 1);
            a->user = sq_text(st, 2); a->action = sq_text(st, 3); a->object = sq_text(st, 4);
            a->result = sq_text(st, 5); a->detail = sq_text(st, 6); a->section = sq_text(st, 7);
        }
        if (!rc) rc = sq_done(sq, r, "audit", err);
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    cd_filter_free(f);
    if (rc) cd_audit_list_free(out);
    return rc;
}

/* ---- the audit head ----------------------------------------------------
 * The hash chain alone shows an edit or a deletion inside the log, but not
 * its newest records deleted (or all of them), nor a log rewritten and its
 * chain recomputed: anyone who can write the file can redo SHA-256.  So
 * the chain's head — the last record's id and hash and the number of
 * records — is kept in audit_head with an HMAC under a key derived from
 * the store key (schema 7), the way Vault authenticates its audit devices.
 * Every transaction that wrote audit records moves the head forward just
 * before COMMIT (sq_audit_head_update), once per transaction however many
 * records it wrote; verify then knows where the log must end.
 *
 * A writer that cannot read the store key leaves the head where it was:
 * verify reports the records after it as not yet covered, and the next
 * change made with the key covers them, after a record saying which they
 * were ("Adopt unkeyed audit records").  A head that no longer matches is
 * never moved forward, so a truncated or rewritten log cannot be blessed by
 * the next honest write. */
struct head {
    int found;
    int64_t id, n;
    char hash[65], mac[65];
    char at[65];                /* the hash now stored in record `id` */
};

static void copy_hex(char dst[65], const unsigned char *t)
{
    snprintf(dst, 65, "%s", t ? (const char *)t : "");
}

static int head_get(struct sq *sq, struct head *h, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    memset(h, 0, sizeof *h);
    int rc = sq_prep(sq, "SELECT last_id, hash, n, mac, (SELECT hash FROM audit WHERE id = h.last_id)"
                         " FROM audit_head h WHERE h.id = 1", &st, err);
    if (rc) return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        h->found = 1;
        h->id = sqlite3_column_int64(st, 0);
        copy_hex(h->hash, sqlite3_column_text(st, 1));
        h->n = sqlite3_column_int64(st, 2);
        copy_hex(h->mac, sqlite3_column_text(st, 3));
        copy_hex(h->at, sqlite3_column_text(st, 4));
    } else {
        rc = sq_done(sq, r, "audit head", err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* 1 when the head's tag is right (the store key must be loaded) */
static int head_authentic(const struct sq *sq, const struct head *h)
{
    char want[65];
    if (strlen(h->mac) != 64 || cdi_audit_head_mac(sq->key, h->id, h->hash, h->n, want, NULL)) return 0;
    unsigned char diff = 0;
    for (int i = 0; i < 64; i++) diff |= (unsigned char)(want[i] ^ h->mac[i]);
    return diff == 0;
}

static int head_set(struct sq *sq, int64_t id, const char *hash, int64_t n, struct cd_err *err)
{
    char mac[65];
    sqlite3_stmt *st = NULL;
    int rc = cdi_audit_head_mac(sq->key, id, hash, n, mac, err);
    if (!rc) rc = sq_prep(sq, "INSERT OR REPLACE INTO audit_head(id, last_id, hash, n, mac) VALUES(1,?,?,?,?)",
                          &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_text(st, 2, hash, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 3, n);
    sqlite3_bind_text(st, 4, mac, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "audit head");
    sqlite3_finalize(st);
    return rc;
}

int sq_audit_last(struct sq *sq, int64_t *id, char hash[65], struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_cached(sq, SQC_AUDIT_LAST, "SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1", &st, err);
    if (rc) return rc;
    int r = sqlite3_step(st);
    *id = 0;
    copy_hex(hash, (const unsigned char *)SQ_ZERO_HASH);
    if (r == SQLITE_ROW) {
        *id = sqlite3_column_int64(st, 0);
        copy_hex(hash, sqlite3_column_text(st, 1));
    } else {
        rc = sq_done(sq, r, "audit", err);
    }
    sqlite3_reset(st);
    return rc;
}

int sq_audit_head_update(struct sq *sq, struct cd_err *err)
{
    struct head h;
    int64_t last, first = sq->tx_audit_first;
    char hash[65];
    sq->tx_audit_first = 0;
    int rc = head_get(sq, &h, err);
    if (!rc) rc = sq_audit_last(sq, &last, hash, err);
    if (rc || !h.found || (last == h.id && !strcmp(hash, h.hash))) return rc;
    if (sq_store_key(sq, NULL)) return CD_OK;
    if (last < h.id || !head_authentic(sq, &h) || (h.id && strcmp(h.at, h.hash))) return CD_OK;
    /* Records between the head and this transaction's own were written
     * without the key: by a session that could not read it, or forged by
     * someone who can write the file but not the key.  They are never
     * covered silently: a record naming them goes in first, so the log
     * itself says which records no key vouched for when they were made. */
    int64_t from = h.id + 1, to = first ? first - 1 : last;
    if (to >= from) {
        char d[200];
        snprintf(d, sizeof d, "records %lld to %lld were written without the store key and were not "
                 "authenticated when written; covered by the audit head from here on", (long long)from,
                 (long long)to);
        rc = sq_audit(sq, "", "Adopt unkeyed audit records", "audit", "Success", d, err);
        sq->tx_audit_first = 0;
        if (!rc) rc = sq_audit_last(sq, &last, hash, err);
        if (rc) return rc;
    }
    /* ids are consecutive (sq_audit gives max + 1), so the count follows */
    return head_set(sq, last, hash, h.n + (last - h.id), err);
}

int sq_audit_head_seal(struct sq *sq, struct cd_err *err)
{
    int64_t last, n = 0;
    char hash[65];
    sqlite3_stmt *st = NULL;
    struct cd_err ke = { 0 };
    int rc = sq_store_key(sq, &ke);
    if (rc) return cdi_fail(err, rc, "%s needs an upgrade, which needs its store key: %s", sq->path, ke.msg);
    if ((rc = sq_audit_last(sq, &last, hash, err))) return rc;
    if ((rc = sq_prep(sq, "SELECT count(*) FROM audit", &st, err))) return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    else rc = sq_done(sq, r, "audit", err);
    sqlite3_finalize(st);
    return rc ? rc : head_set(sq, last, hash, n, err);
}

/* After the chain itself checked out: does the head vouch for it?  n_at and
 * hash_at: the count of records up to the head's id and the hash recomputed
 * there (n_at < 0 when no record has that id). */
static int head_check(struct sq *sq, const struct head *h, int64_t last, int64_t n_at, const char *hash_at,
                      int64_t *bad_id, struct cd_err *err)
{
    struct cd_err ke = { 0 };
    if (sq_store_key(sq, &ke))
        return cdi_fail(err, CD_E_NOKEY, "the audit chain is unbroken, but its head cannot be checked: %s", ke.msg);
    if (!h->found || !head_authentic(sq, h)) {
        *bad_id = last;
        return cdi_fail(err, CD_E_AUDIT, "the audit head does not match: it was removed or changed without the "
                        "store key");
    }
    if (h->id > last) {
        *bad_id = last + 1;
        if (h->id == last + 1)
            return cdi_fail(err, CD_E_AUDIT, "the audit log was truncated after record %lld: record %lld was "
                            "deleted", (long long)last, (long long)h->id);
        return cdi_fail(err, CD_E_AUDIT, "the audit log was truncated after record %lld: records %lld to %lld "
                        "were deleted", (long long)last, (long long)last + 1, (long long)h->id);
    }
    if (h->id ? (n_at != h->n || strcmp(hash_at, h->hash)) : h->n != 0) {
        *bad_id = h->id;
        return cdi_fail(err, CD_E_AUDIT, "the audit head does not match: the log up to record %lld was rewritten",
                        (long long)h->id);
    }
    if (last > h->id) {
        *bad_id = h->id + 1;
        return cdi_fail(err, CD_E_AUDIT, "records %lld to %lld were written without the store key and are not "
                        "covered by the audit head yet (the next change made with the key covers them)",
                        (long long)h->id + 1, (long long)last);
    }
    return CD_OK;
}

int sq_audit_verify(cd_store *s, const cd_user *u, int64_t *checked, int64_t *bad_id,
                    struct cd_err *err)
{
    (void)u;
    struct sq *sq = SQ(s);
    if (sq->mirror) return sq_unpublished(err, "the audit log");
    sqlite3_stmt *st = NULL;
    struct head h;
    char prev[65], hash_at[65] = "";
    int64_t n = 0, expect_id = 0, n_at = -1;
    *bad_id = 0;
    /* one snapshot: the head and the records it vouches for read together */
    int rc = sq_exec(sq, "BEGIN", err);
    if (rc) return rc;
    if ((rc = head_get(sq, &h, err))) goto out;
    if ((rc = sq_prep(sq, "SELECT id, ts, user, action, object, result, detail, prev, hash FROM audit ORDER BY id",
                      &st, err))) goto out;
    copy_hex(prev, (const unsigned char *)SQ_ZERO_HASH);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        const char *f[5];
        for (int i = 0; i < 5; i++) {
            const unsigned char *t = sqlite3_column_text(st, 2 + i);
            f[i] = t ? (const char *)t : "";
        }
        const char *sprev = (const char *)sqlite3_column_text(st, 7);
        const char *shash = (const char *)sqlite3_column_text(st, 8);
        char hh[65];
        sq_audit_hash(prev, id, sqlite3_column_int64(st, 1), f, hh);
        n++;
        /* a deleted record shows as a gap in ids or a prev that no longer matches */
        if ((expect_id && id != expect_id) || !sprev || strcmp(sprev, prev) || !shash || strcmp(shash, hh)) {
            *bad_id = id;
            rc = cdi_fail(err, CD_E_AUDIT, "the audit chain breaks at record %lld: it was changed, or a "
                          "record before it was deleted", (long long)id);
            break;
        }
        if (id == h.id) { n_at = n; memcpy(hash_at, hh, sizeof hash_at); }
        expect_id = id + 1;
        memcpy(prev, hh, sizeof prev);
    }
    if (!rc) rc = sq_done(sq, r, "audit", err);
    if (!rc) rc = head_check(sq, &h, expect_id ? expect_id - 1 : 0, n_at, hash_at, bad_id, err);
out:
    sqlite3_finalize(st);
    sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    if (checked) *checked = n;
    return rc;
}
