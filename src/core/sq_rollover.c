/* certdeck core — CA rollover (certdeck/lifecycle.h): a successor CA and
 * the renewal under it of every valid certificate of the old one.  The
 * slow work holds no write lock (the project's rule; sq_issue.c):
 *
 * 1. Reading: the old CA (rights, no successor yet), the rights for the
 *    new CA in its group, the list of the old CA's valid certificates.
 * 2. No lock: the new CA made in memory (key, self-signed certificate,
 *    its key sealed or encrypted as sq_cas.c stores it), then every
 *    renewal made under it and staged in TEMP (sq_renew_stage).
 * 3. One short write transaction: the checks again (rights; the old CA
 *    still without a successor; its set of valid certificates unchanged),
 *    the CA inserted, the old CA's successor set, the staged renewals
 *    moved in with their links, tags and audit records (sq_renew_commit).
 *
 * Decision on changes made meanwhile (between 1 and 3): a certificate of
 * the old CA revoked, renewed, issued, moved or deleted meanwhile refuses
 * the whole rollover (CD_E_STATE, naming it); nothing is stored and the
 * caller runs it again.  A rollover is all or nothing: a skipped
 * certificate would be one left without a successor with no one told,
 * and a new one can only be reissued by making its key, which is what
 * the final transaction must not do. */
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

/* Phase 3's check: the old CA's valid certificates are still ids[0..n-1]. */
static int same_certs(struct sq *sq, int64_t ca, const int64_t *ids, size_t n, struct cd_err *err)
{
    int64_t *now = NULL;
    size_t m = 0, k = 0;
    int rc = valid_certs(sq, ca, &now, &m, err);
    while (!rc && k < n && k < m && ids[k] == now[k]) k++;
    if (!rc && (k < n || k < m)) {
        int gone = k < n && (k >= m || ids[k] < now[k]);
        rc = cdi_fail(err, CD_E_STATE, "CA %lld's certificates changed while the rollover was prepared (cert %lld was "
                      "%s meanwhile); nothing was changed: run the rollover again", (long long)ca,
                      (long long)(gone ? ids[k] : now[k]), gone ? "revoked, renewed, expired or deleted" : "issued");
    }
    free(now);
    return rc;
}

int sq_ca_rollover(cd_store *s, const cd_user *u, int64_t old, const struct cd_ca_params *p,
                   cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char *group = NULL, *again = NULL;
    int64_t *ids = NULL, nid = 0, gid = 0;
    size_t n = 0;
    sqlite3_stmt *st = NULL;
    struct sq_ca_made made = { 0 };
    struct sq_renew_run *run = NULL;
    struct cd_ca_params q = *p;
    /* phase 1: reads only */
    sq->hidden = 0;             /* what sq_begin would clear: this call's own finding counts */
    int rc = sq->readonly ? sq_begin(sq, err) : CD_OK;
    if (!rc) rc = old_ca(sq, u, old, &group, err);
    if (!q.group) q.group = group;
    if (!rc) rc = sq_group_id(sq, u, q.group, &gid, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CA_NEW, gid, err);
    if (!rc) rc = sq_can(sq, u, CD_OT_CAS, CD_RIGHT_USE, gid, err);    /* the renewals are issued by it */
    if (!rc) rc = valid_certs(sq, old, &ids, &n, err);
    /* phase 2: the slow work, no lock */
    if (!rc) rc = sq_ca_make(sq, &q, &made, err);
    if (!rc && n) rc = sq_renew_stage(sq, u, &made.o, ids, n, progress, ctx, &run, err);
    /* phase 3: the keys are made; another writer's transaction is worth
     * waiting for well past the busy timeout (as sq_cert_renew) */
    int tries = 0;
    if (!rc) while ((rc = sq_begin(sq, err)) == CD_E_BUSY && ++tries < 12) {}
    if (!rc) rc = old_ca(sq, u, old, &again, err);
    if (!rc) rc = same_certs(sq, old, ids, n, err);
    if (!rc) rc = sq_ca_insert(sq, u, &q, &made, &nid, err);
    if (!rc) rc = sq_prep(sq, "UPDATE cas SET successor = ? WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, nid);
        sqlite3_bind_int64(st, 2, old);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "CA");
    }
    if (!rc && n) rc = sq_renew_commit(run, nid, err);
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
    sq_renew_run_free(run);
    sq_ca_made_clear(&made);
    free(ids);
    free(group);
    free(again);
    return rc;
}
