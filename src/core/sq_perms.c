/* certdeck core — the permission checks of the sqlite backend: the level a
 * user holds on a type of object in a group, the checks of an action of
 * CD_ACTION_LIST (sq_may), the one "not found" answer for objects a user
 * may not read (sq_obj_may), and the SQL condition that hides them from
 * lists.  Separate from store_sqlite.c so that every rule about rights is
 * read in one place. */
#include <string.h>
#include "sq_int.h"

/* ---- permissions --------------------------------------------------------
 * The level a user holds comes from the user_rights view (schema 6): its
 * permission sets, each group widened to its subtree.  Administrators skip
 * the lookup: they hold every right everywhere. */
int sq_level(struct sq *sq, const cd_user *u, int otype, int64_t group_id)
{
    if (u->admin) return CD_RIGHT_WRITE;
    sqlite3_stmt *st = NULL;
    if (sq_prep(sq, "SELECT max(level) FROM user_rights WHERE user_id = ? AND type = ? AND group_id = ?", &st, NULL))
        return CD_RIGHT_NONE;
    sqlite3_bind_int64(st, 1, u->id);
    sqlite3_bind_int(st, 2, otype);
    sqlite3_bind_int64(st, 3, group_id);
    int level = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : CD_RIGHT_NONE;
    sqlite3_finalize(st);
    return level;
}

int sq_can(struct sq *sq, const cd_user *u, int otype, int right, int64_t group_id, struct cd_err *err)
{
    int level = sq_level(sq, u, otype, group_id);
    if (level >= right) return CD_OK;
    /* where it cannot read, it is not told the group's name */
    if (level < CD_RIGHT_READ)
        return cdi_fail(err, CD_E_FORBIDDEN, "%s has no right on %s in that access group", u->name,
                        cd_otype_name(otype));
    char path[520] = "that access group";
    sqlite3_stmt *st = NULL;
    if (!sq_prep(sq, "SELECT path FROM groups WHERE id = ?", &st, NULL)) {
        sqlite3_bind_int64(st, 1, group_id);
        if (sqlite3_step(st) == SQLITE_ROW) snprintf(path, sizeof path, "%s", (const char *)sqlite3_column_text(st, 0));
        sqlite3_finalize(st);
    }
    return cdi_fail(err, CD_E_FORBIDDEN, "%s has no %s right on %s in %s", u->name, cd_right_name(right),
                    cd_otype_name(otype), path);
}

int sq_may(struct sq *sq, const cd_user *u, int action, int64_t group_id, struct cd_err *err)
{
    const struct cdi_action *a = cdi_action(action);
    if (!a) return cdi_fail(err, CD_E_INVAL, "unknown action");
    int64_t g = a->scope == CD_SCOPE_HOME ? u->home_group : a->scope == CD_SCOPE_ALL ? 1 : group_id;
    int rc = sq_can(sq, u, a->otype, a->right, g, err);
    if (!rc && a->right2 != CD_RIGHT_NONE) rc = sq_can(sq, u, a->otype2, a->right2, g, err);
    return rc;
}

int sq_missing(struct cd_err *err, int kind, int64_t id)
{
    return cdi_fail(err, CD_E_NOTFOUND, "no %s with ID %lld", kind == CD_KIND_CA ? "CA" : "certificate", (long long)id);
}

int sq_unpublished(struct cd_err *err, const char *what)
{
    return cdi_fail(err, CD_E_NOTFOUND, "a mirror does not carry %s (the source store alone has it)", what);
}

int sq_obj_may(struct sq *sq, const cd_user *u, int action, int kind, int64_t id, int64_t group_id,
               struct cd_err *err)
{
    int otype = kind == CD_KIND_CA ? CD_OT_CAS : CD_OT_CERTS;
    int level = sq_level(sq, u, otype, group_id);
    if (level < CD_RIGHT_READ) {
        sq->hidden = 1;
        return sq_missing(err, kind, id);
    }
    const struct cdi_action *a = cdi_action(action);
    if (!a) return CD_OK;
    /* the common case answered from the level just read (bulk revokes) */
    if (a->scope == CD_SCOPE_OBJECT && a->otype == otype && a->right2 == CD_RIGHT_NONE && level >= a->right)
        return CD_OK;
    return sq_may(sq, u, action, group_id, err);
}

int sq_sees_group(struct sq *sq, const cd_user *u, int64_t group_id)
{
    if (u->admin || group_id == 1 || group_id == u->home_group) return 1;
    sqlite3_stmt *st = NULL;
    if (sq_prep(sq, "SELECT 1 FROM user_rights WHERE user_id = ? AND group_id = ? AND level >= 1 LIMIT 1", &st, NULL))
        return 0;
    sqlite3_bind_int64(st, 1, u->id);
    sqlite3_bind_int64(st, 2, group_id);
    int seen = sqlite3_step(st) == SQLITE_ROW;
    sqlite3_finalize(st);
    return seen;
}

void sq_visible(const cd_user *u, int otype, const char *col, struct cdi_sql *q)
{
    if (u->admin) { cdi_buf_add(&q->sql, "1", 1); return; }
    cdi_buf_addf(&q->sql, "%s IN (SELECT group_id FROM user_rights WHERE user_id = ", col);
    cdi_sql_int(q, u->id);
    if (otype >= 0) cdi_buf_addf(&q->sql, " AND type = %d", otype);
    cdi_buf_addf(&q->sql, " AND level >= %d)", CD_RIGHT_READ);
}
