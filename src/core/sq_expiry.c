/* certdeck core — the store's warning window (certdeck/check.h) in the
 * sqlite backend: meta key SQ_META_EXPIRY, whole days, absent = the default.
 * A list reads it once (a cached statement on meta's primary key), never
 * per row; it is not kept across calls, since another handle (certdeckd
 * has one per thread) may change it at any time. */
#include <stdio.h>
#include <stdlib.h>
#include "sq_int.h"

static int days_of(sqlite3_stmt *st)
{
    if (sqlite3_column_type(st, 0) == SQLITE_NULL) return CDI_EXPIRY_WARN_DEFAULT_DAYS;
    long long d = sqlite3_column_int64(st, 0);
    /* a value out of range (a hand-edited store) is not trusted */
    if (d < CD_EXPIRY_WARN_MIN_DAYS || d > CD_EXPIRY_WARN_MAX_DAYS) return CDI_EXPIRY_WARN_DEFAULT_DAYS;
    return (int)d;
}

static int read_days(struct sq *sq, int *days, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    *days = CDI_EXPIRY_WARN_DEFAULT_DAYS;
    int rc = sq_cached(sq, SQC_EXPIRY, "SELECT v FROM meta WHERE k = '" SQ_META_EXPIRY "'", &st, err);
    if (rc) return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) *days = days_of(st);
    else if (r != SQLITE_DONE) rc = sq_dberr(sq, err, "settings");
    sqlite3_reset(st);
    return rc;
}

int sq_expiry_secs(struct sq *sq, int64_t *secs, struct cd_err *err)
{
    int days;
    int rc = read_days(sq, &days, err);
    *secs = (int64_t)days * 86400;
    return rc;
}

int sq_expiry_warning_get(cd_store *s, const cd_user *u, int *days, struct cd_err *err)
{
    (void)u;                       /* every user sees what "expiring" means */
    return read_days(SQ(s), days, err);
}

int sq_expiry_warning_set(cd_store *s, const cd_user *u, int days, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char v[16], detail[48];
    int old = 0;
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_SERVER_SETTINGS, 1, err);
    if (!rc && (days < CD_EXPIRY_WARN_MIN_DAYS || days > CD_EXPIRY_WARN_MAX_DAYS))
        rc = cdi_fail(err, CD_E_INVAL, "the expiry warning window must be %d to %d days", CD_EXPIRY_WARN_MIN_DAYS,
                      CD_EXPIRY_WARN_MAX_DAYS);
    if (!rc) rc = read_days(sq, &old, err);
    snprintf(v, sizeof v, "%d", days);
    snprintf(detail, sizeof detail, "%d days (was %d)", days, old);
    if (!rc) rc = sq_meta_set(sq, SQ_META_EXPIRY, v, err);
    return sq_finish(sq, u, rc, "Set expiry warning", "server", rc ? NULL : detail, err);
}
