/* certdeck core — CA rollover (certdeck/lifecycle.h): a successor CA and
 * the renewal under it of every valid certificate of the old one, in one
 * transaction.  Keys are made inside it (a rollover is rare, and must be
 * all or nothing with the new CA): the engine of sq_renew.c, in the
 * caller's transaction. */
#include <stdlib.h>
#include <string.h>
#include "sq_renew_int.h"

/* The old CA: u may read it, it has no successor yet; its group's path. */
static int old_ca(struct sq *sq, const cd_user *u, int64_t id, char **group, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT a.group_id, a.successor, g.path FROM cas a JOIN groups g ON g.id = a.group_id"
                         " WHERE a.id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW) rc = r == SQLITE_DONE ? sq_missing(err, CD_KIND_CA, id) : sq_dberr(sq, err, "CA");
    if (!rc) rc = sq_obj_may(sq, u, -1, CD_KIND_CA, id, sqlite3_column_int64(st, 0), err);
    if (!rc && sqlite3_column_int64(st, 1))
        rc = cdi_fail(err, CD_E_STATE, "CA %lld was already rolled over to CA %lld; roll over CA %lld instead",
                      (long long)id, (long long)sqlite3_column_int64(st, 1), (long long)sqlite3_column_int64(st, 1));
    if (!rc && !(*group = sq_text(st, 2))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    sqlite3_finalize(st);
    return rc;
}

/* Every valid certificate of the CA: not revoked, not expired, not
 * pending, not already renewed (its successor is what is in use). */
static int valid_certs(struct sq *sq, int64_t ca, int64_t **ids, size_t *n, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = sq_prep(sq, "SELECT c.id FROM certs c WHERE c.ca_id = ?1 AND c.revoked_at = 0 AND c.pending = 0"
                         " AND c.not_after > ?2 AND NOT EXISTS(SELECT 1 FROM certs r WHERE r.replaces = c.id AND r.replaces <> 0)"
                         " ORDER BY c.id", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, ca);
    sqlite3_bind_int64(st, 2, cdi_now());
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            int64_t *nv = realloc(*ids, cap * sizeof *nv);
            if (!nv) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            *ids = nv;
        }
        (*ids)[(*n)++] = sqlite3_column_int64(st, 0);
    }
    if (!rc) rc = sq_done(sq, r, "certificate", err);
    sqlite3_finalize(st);
    return rc;
}

int sq_ca_rollover(cd_store *s, const cd_user *u, int64_t old, const struct cd_ca_params *p,
                   cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char *group = NULL;
    int64_t *ids = NULL, nid = 0;
    size_t n = 0;
    sqlite3_stmt *st = NULL;
    int rc = sq_begin(sq, err);
    if (!rc) rc = old_ca(sq, u, old, &group, err);
    struct cd_ca_params q = *p;
    if (!q.group) q.group = group;
    if (!rc) rc = sq_ca_new_tx(sq, u, &q, &nid, err);
    if (!rc) rc = sq_prep(sq, "UPDATE cas SET successor = ? WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, nid);
        sqlite3_bind_int64(st, 2, old);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "CA");
    }
    if (!rc) rc = valid_certs(sq, old, &ids, &n, err);
    /* the new CA's passphrase opens its key for the renewals */
    struct cd_renew_params rp = { .ca_id = nid, .ca_passphrase = p->passphrase };
    if (!rc && n) rc = sq_renew_tx(sq, u, &rp, ids, n, progress, ctx, NULL, err);
    char obj[32], detail[200];
    snprintf(obj, sizeof obj, "ca %lld", (long long)old);
    snprintf(detail, sizeof detail, "successor ca %lld, CN %.60s, %zu certificate%s reissued", (long long)nid,
             p->subject.cn, n, n == 1 ? "" : "s");
    rc = sq_finish(sq, u, rc, "Roll over CA", obj, detail, err);
    if (!rc) {
        if (new_ca) *new_ca = nid;
        if (reissued) *reissued = n;
    }
    sqlite3_finalize(st);
    free(ids);
    free(group);
    return rc;
}
