/* certdeck core — access groups, tags and filter presets in the sqlite
 * backend: the small objects around certificates and CAs. */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"

/* ---- access groups ----------------------------------------------------- */

static int check_path(const char *path, struct cd_err *err)
{
    if (!path || strncmp(path, "/All/", 5) || !path[5])
        return cdi_fail(err, CD_E_INVAL, "a group path starts with /All/ (e.g. \"/All/San Diego\")");
    int rc = cdi_check_text(err, "group path", path, 512, 0);
    if (rc) return rc;
    for (const char *p = path; *p; p++) {
        if (*p == '/' && (p[1] == '/' || p[1] == 0))
            return cdi_fail(err, CD_E_INVAL, "a group path has no empty names (\"//\" or a trailing \"/\")");
        /* "." and ".." read as another group's path to every person and tool */
        if (*p == '/' && p[1] == '.' && (p[2] == '/' || !p[2] || (p[2] == '.' && (p[3] == '/' || !p[3]))))
            return cdi_fail(err, CD_E_INVAL, "a group is not named \".\" or \"..\"");
        /* lists of groups (a permission set's) are comma-separated */
        if (*p == ',') return cdi_fail(err, CD_E_INVAL, "a group name has no comma");
    }
    return CD_OK;
}

int sq_group_add(cd_store *s, const cd_user *u, const char *path, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int64_t parent = 0;
    int rc = sq_begin(sq, err);
    if (!rc) rc = check_path(path, err);
    if (!rc) {
        char *par = strdup(path);
        if (!par) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
        else {
            *strrchr(par, '/') = 0;
            rc = sq_group_id(sq, u, par, &parent, err);
            if (rc == CD_E_NOTFOUND) rc = cdi_fail(err, CD_E_NOTFOUND, "the parent group %.300s does not exist; add it first", par);
            free(par);
        }
    }
    /* the group tree below a group is managed by who manages its users */
    if (!rc) rc = sq_may(sq, u, CD_ACT_GROUP_ADD, parent, err);
    if (!rc && !(rc = sq_prep(sq, "INSERT INTO groups(parent, path) VALUES(?, ?)", &st, err))) {
        sqlite3_bind_int64(st, 1, parent);
        sqlite3_bind_text(st, 2, path, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT) rc = cdi_fail(err, CD_E_EXISTS, "the group %.300s already exists", path);
        else if (r != SQLITE_DONE) rc = sq_dberr(sq, err, "group");
        sqlite3_finalize(st);
    }
    return sq_finish(sq, u, rc, "Create access group", path ? path : "", NULL, err);
}

int sq_group_rm(cd_store *s, const cd_user *u, const char *path, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int64_t id = 0;
    int rc = sq_begin(sq, err);
    if (!rc && path && !strcmp(path, "/All")) rc = cdi_fail(err, CD_E_STATE, "the group /All cannot be removed");
    if (!rc) rc = sq_group_id(sq, u, path && *path ? path : "-", &id, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_GROUP_RM, id, err);
    if (!rc && !(rc = sq_prep(sq, "SELECT (SELECT count(*) FROM groups WHERE parent = ?1),"
                                  " (SELECT count(*) FROM cas WHERE group_id = ?1),"
                                  " (SELECT count(*) FROM certs WHERE group_id = ?1),"
                                  " (SELECT count(*) FROM users WHERE home = ?1)", &st, err))) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) == SQLITE_ROW) {
            int64_t sub = sqlite3_column_int64(st, 0), cas = sqlite3_column_int64(st, 1),
                    certs = sqlite3_column_int64(st, 2), users = sqlite3_column_int64(st, 3);
            if (sub || cas || certs || users)
                rc = cdi_fail(err, CD_E_STATE, "the group is not empty (%lld subgroups, %lld CAs, %lld certificates, "
                              "%lld users); move them out first", (long long)sub, (long long)cas,
                              (long long)certs, (long long)users);
        } else rc = sq_dberr(sq, err, "group");
        sqlite3_finalize(st);
    }
    if (!rc && !(rc = sq_prep(sq, "DELETE FROM groups WHERE id = ?", &st, err))) {
        sqlite3_bind_int64(st, 1, id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "group");
        sqlite3_finalize(st);
    }
    return sq_finish(sq, u, rc, "Remove access group", path ? path : "", NULL, err);
}

int sq_group_list(cd_store *s, const cd_user *u, struct cd_group_list *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    /* ordering by path with '/' mapped below every other character lists a
     * tree depth-first: "/All/A" then "/All/A/x" then "/All/A b" */
    /* a group shows to who may read anything in it; each count only to who
     * may read that kind of object there */
    cdi_buf_addf(&w.sql, "SELECT g.id, g.path, CASE WHEN ");
    sq_visible(u, CD_OT_CAS, "g.id", &w);
    cdi_buf_addf(&w.sql, " THEN (SELECT count(*) FROM cas a WHERE a.group_id = g.id) ELSE 0 END, CASE WHEN ");
    sq_visible(u, CD_OT_CERTS, "g.id", &w);
    cdi_buf_addf(&w.sql, " THEN (SELECT coalesce(sum(k.n), 0) FROM cert_counts k"
                         "  WHERE k.tag_id = 0 AND k.group_id = g.id AND k.revoked = 0) ELSE 0 END"
                         " FROM groups g WHERE ");
    sq_visible(u, -1, "g.id", &w);
    cdi_buf_addf(&w.sql, " ORDER BY replace(g.path, '/', char(1)) COLLATE NOCASE");
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) {
        sq_bind_all(st, &w);
        size_t cap = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            struct cd_group *g = cdi_grow(&out->rows, out->n, &cap, sizeof *g);
            if (!g) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            out->n++;
            g->id = sqlite3_column_int64(st, 0);
            g->path = sq_text(st, 1);
            g->depth = 0;
            for (const char *p = g->path + 1; *p; p++) g->depth += *p == '/';
            g->cas = sqlite3_column_int64(st, 2);
            g->certs = sqlite3_column_int64(st, 3);
        }
        if (!rc) rc = sq_done(sq, r, "access groups", err);
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    if (rc) cd_group_list_free(out);
    return rc;
}

/* ---- tags -------------------------------------------------------------- */

int sq_tag_id(struct sq *sq, const char *name, int create, int64_t *id, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT id FROM tags WHERE name = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (found) return CD_OK;
    if (!create) return cdi_fail(err, CD_E_NOTFOUND, "no tag \"%.100s\"", name);
    if ((rc = sq_prep(sq, "INSERT INTO tags(name) VALUES(?)", &st, err))) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "tag");
    else *id = sqlite3_last_insert_rowid(sq->db);
    sqlite3_finalize(st);
    return rc;
}

int sq_tag_list(cd_store *s, const cd_user *u, struct cd_tag_list *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    /* counts include only what this user can see, and no revoked certificates */
    cdi_buf_addf(&w.sql, "SELECT t.id, t.name, (SELECT coalesce(sum(k.n), 0) FROM cert_counts k"
                         " WHERE k.tag_id = t.id AND k.revoked = 0 AND ");
    sq_visible(u, CD_OT_CERTS, "k.group_id", &w);
    cdi_buf_addf(&w.sql, "), (SELECT count(*) FROM ca_tags x JOIN cas a ON a.id = x.ca_id WHERE x.tag_id = t.id AND ");
    sq_visible(u, CD_OT_CAS, "a.group_id", &w);
    cdi_buf_addf(&w.sql, ") FROM tags t ORDER BY t.name COLLATE NOCASE");
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) {
        sq_bind_all(st, &w);
        size_t cap = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            struct cd_tag *t = cdi_grow(&out->rows, out->n, &cap, sizeof *t);
            if (!t) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            out->n++;
            t->id = sqlite3_column_int64(st, 0);
            t->name = sq_text(st, 1);
            t->certs = sqlite3_column_int64(st, 2);
            t->cas = sqlite3_column_int64(st, 3);
        }
        if (!rc) rc = sq_done(sq, r, "tags", err);
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    if (rc) cd_tag_list_free(out);
    return rc;
}

int sq_tag_create(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    int64_t id;
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_TAG_CREATE, u->home_group, err);
    if (!rc && sq_tag_id(sq, name, 0, &id, NULL) == CD_OK)
        rc = cdi_fail(err, CD_E_EXISTS, "the tag \"%.100s\" already exists", name);
    if (!rc) rc = sq_tag_id(sq, name, 1, &id, err);
    return sq_finish(sq, u, rc, "Create tag", name, NULL, err);
}

int sq_tag_delete(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int64_t id = 0;
    int rc = sq_begin(sq, err);
    /* it goes from every object, seen or not: Write on tags in All */
    if (!rc) rc = sq_may(sq, u, CD_ACT_TAG_DELETE, 1, err);
    if (!rc) rc = sq_tag_id(sq, name, 0, &id, err);
    /* the certificates that carried it need their search text rebuilt */
    if (!rc && !(rc = sq_prep(sq, "DELETE FROM cert_tags WHERE tag_id = ? RETURNING cert_id", &st, err))) {
        sqlite3_bind_int64(st, 1, id);
        int64_t *ids = NULL;
        size_t n = 0, cap = 0;
        int r;
        while ((r = sqlite3_step(st)) == SQLITE_ROW) {
            int64_t *slot = cdi_grow(&ids, n, &cap, sizeof *slot);
            if (!slot) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            *slot = sqlite3_column_int64(st, 0);
            n++;
        }
        if (!rc) rc = sq_done(sq, r, "tag", err);
        sqlite3_finalize(st);
        for (size_t i = 0; i < n && !rc; i++) rc = sq_fts_refresh(sq, ids[i], err);
        free(ids);
    }
    if (!rc) {
        char sql[192];
        snprintf(sql, sizeof sql, "DELETE FROM ca_tags WHERE tag_id = %lld; DELETE FROM cert_counts WHERE tag_id = %lld;"
                 " DELETE FROM tags WHERE id = %lld", (long long)id, (long long)id, (long long)id);
        rc = sq_exec(sq, sql, err);
    }
    return sq_finish(sq, u, rc, "Delete tag", name, NULL, err);
}

int sq_tag_set(cd_store *s, const cd_user *u, int kind, const int64_t *ids, size_t n, const char *tag,
               int assign, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL, *grp = NULL;
    int64_t tid = 0;
    int cert = kind == CD_KIND_CERT;
    char obj[32] = "";
    const char *action = assign ? "Assign tag" : "Unassign tag";
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_tag_id(sq, tag, assign, &tid, err);
    if (!rc) rc = sq_prep(sq, cert ? "SELECT group_id FROM certs WHERE id = ?" : "SELECT group_id FROM cas WHERE id = ?",
                          &grp, err);
    if (!rc) rc = sq_prep(sq, assign ? (cert ? "INSERT OR IGNORE INTO cert_tags(tag_id, cert_id) VALUES(?, ?)"
                                             : "INSERT OR IGNORE INTO ca_tags(tag_id, ca_id) VALUES(?, ?)")
                                     : (cert ? "DELETE FROM cert_tags WHERE tag_id = ? AND cert_id = ?"
                                             : "DELETE FROM ca_tags WHERE tag_id = ? AND ca_id = ?"), &st, err);
    for (size_t i = 0; i < n && !rc; i++) {
        snprintf(obj, sizeof obj, "%s %lld", cert ? "cert" : "ca", (long long)ids[i]);
        sqlite3_reset(grp);
        sqlite3_bind_int64(grp, 1, ids[i]);
        if (sqlite3_step(grp) != SQLITE_ROW) {
            rc = sq_missing(err, kind, ids[i]);
            break;
        }
        /* the object must be visible, and tags usable, in its group */
        int64_t g = sqlite3_column_int64(grp, 0);
        if ((rc = sq_obj_may(sq, u, cert ? CD_ACT_CERT_TAG : CD_ACT_CA_TAG, kind, ids[i], g, err))) break;
        sqlite3_reset(st);
        sqlite3_bind_int64(st, 1, tid);
        sqlite3_bind_int64(st, 2, ids[i]);
        if (sqlite3_step(st) != SQLITE_DONE) { rc = sq_dberr(sq, err, "tag"); break; }
        if (cert && (rc = sq_fts_refresh(sq, ids[i], err))) break;
        if (i + 1 < n) rc = sq_audit(sq, u->name, action, obj, "Success", tag, err);
    }
    sqlite3_finalize(st);
    sqlite3_finalize(grp);
    return sq_finish(sq, u, rc, action, obj, tag, err);
}

/* ---- presets ----------------------------------------------------------- */

int sq_preset_list(cd_store *s, const cd_user *u, struct cd_preset_list *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    struct cdi_sql w = { 0 };
    /* one's own first, then the shared ones of others that u may read */
    char me[32];
    snprintf(me, sizeof me, "%lld", (long long)u->id);
    cdi_buf_addf(&w.sql, "SELECT p.name, p.expr, coalesce(p.columns, ''), coalesce(p.sort, ''), o.name, p.shared,"
                         " p.user_id = %s FROM presets p JOIN users o ON o.id = p.user_id"
                         " WHERE p.user_id = %s OR (p.shared AND ", me, me);
    sq_visible(u, CD_OT_PRESETS, "p.group_id", &w);
    cdi_buf_addf(&w.sql, ") ORDER BY p.user_id <> %s, p.name COLLATE NOCASE", me);
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (rc) { cdi_sql_free(&w); return rc; }
    sq_bind_all(st, &w);
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cd_preset *p = cdi_grow(&out->rows, out->n, &cap, sizeof *p);
        if (!p) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
        out->n++;
        p->name = sq_text(st, 0); p->expr = sq_text(st, 1); p->columns = sq_text(st, 2); p->sort = sq_text(st, 3);
        p->owner = sq_text(st, 4); p->shared = sqlite3_column_int(st, 5); p->mine = sqlite3_column_int(st, 6);
    }
    if (!rc) rc = sq_done(sq, r, "presets", err);
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    if (rc) cd_preset_list_free(out);
    return rc;
}

int sq_preset_save(cd_store *s, const cd_user *u, const char *name, const char *expr, const char *columns,
                   const char *sort, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_PRESET_SAVE, u->home_group, err);
    if (!rc && !(rc = sq_prep(sq, "INSERT INTO presets(user_id, name, expr, columns, sort, group_id) VALUES(?,?,?,?,?,?)"
                                  " ON CONFLICT(user_id, name) DO UPDATE SET expr = excluded.expr,"
                                  " columns = excluded.columns, sort = excluded.sort", &st, err))) {
        sqlite3_bind_int64(st, 6, u->home_group);
        sqlite3_bind_int64(st, 1, u->id);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, expr, -1, SQLITE_STATIC);
        if (columns) sqlite3_bind_text(st, 4, columns, -1, SQLITE_STATIC);
        if (sort) sqlite3_bind_text(st, 5, sort, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "preset");
        sqlite3_finalize(st);
    }
    return sq_finish(sq, u, rc, "Save filter preset", name, expr, err);
}

int sq_preset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int rc = sq_begin(sq, err);
    if (!rc && !(rc = sq_prep(sq, "DELETE FROM presets WHERE user_id = ? AND name = ?", &st, err))) {
        sqlite3_bind_int64(st, 1, u->id);
        sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "preset");
        else if (!sqlite3_changes(sq->db)) rc = cdi_fail(err, CD_E_NOTFOUND, "no preset \"%.100s\"", name);
        sqlite3_finalize(st);
    }
    return sq_finish(sq, u, rc, "Remove filter preset", name, NULL, err);
}

int sq_preset_share(cd_store *s, const cd_user *u, const char *name, int shared, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_PRESET_SHARE, u->home_group, err);
    if (!rc && !(rc = sq_prep(sq, "UPDATE presets SET shared = ? WHERE user_id = ? AND name = ?", &st, err))) {
        sqlite3_bind_int(st, 1, shared ? 1 : 0);
        sqlite3_bind_int64(st, 2, u->id);
        sqlite3_bind_text(st, 3, name, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "preset");
        else if (!sqlite3_changes(sq->db)) rc = cdi_fail(err, CD_E_NOTFOUND, "you have no preset \"%.100s\"", name);
        sqlite3_finalize(st);
    }
    return sq_finish(sq, u, rc, shared ? "Share filter preset" : "Unshare filter preset", name, NULL, err);
}

/* ---- remembered state -------------------------------------------------- */

int sq_state_get(cd_store *s, const cd_user *u, const char *key, char **value, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(SQ(s), "SELECT v FROM user_state WHERE user_id = ? AND k = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, u->id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && !(*value = sq_text(st, 0))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    sqlite3_finalize(st);
    return rc;
}

int sq_state_set(cd_store *s, const cd_user *u, const char *key, const char *value, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    if (sq->readonly) return CD_OK;              /* a read-only session remembers nothing */
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, value ? "INSERT OR REPLACE INTO user_state(user_id, k, v) VALUES(?, ?, ?)"
                               : "DELETE FROM user_state WHERE user_id = ? AND k = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, u->id);
    sqlite3_bind_text(st, 2, key, -1, SQLITE_STATIC);
    if (value) sqlite3_bind_text(st, 3, value, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "state");
    sqlite3_finalize(st);
    return rc;
}
