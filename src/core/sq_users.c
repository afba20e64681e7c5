/* certdeck core — users, permission sets and logging in, in the sqlite
 * backend.
 *
 * Rights live in permission sets (schema 6); the user_rights view widens
 * each set's groups to their subtrees, and sq_can/sq_visible read it.  The
 * rules here are the ones that stop a user from growing its own rights: a
 * non-administrator grants only what it holds itself, only in groups where
 * it manages users, acts only on users who hold no right it lacks (or it
 * could reset their password and log in as them), and never touches an
 * administrator.
 *
 * Logging in costs one PBKDF2 (600,000 iterations) whether or not the name
 * exists, so the time taken does not tell; failures are counted per name in
 * login_fails and, past three, each try must wait (1 s, 2 s, ... 5 min). */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"

#define FREE_TRIES 3
#define MAX_WAIT 300

/* ---- logging in -------------------------------------------------------- */

static const char LOGIN_FAILED[] = "login failed: wrong user name or password";

/* Counts a failure for `name` and audits it, in a --read-only session too
 * (or guessing there would not be slowed down); lost only when the file
 * cannot be written. */
static void login_failed(struct sq *sq, const char *name, const char *why)
{
    if (sq_begin_record(sq, NULL)) return;
    sqlite3_stmt *st = NULL;
    int ok = 0;
    if (!sq_prep(sq, "INSERT INTO login_fails(name, n, until) VALUES(?1, 1, 0) ON CONFLICT(name) DO UPDATE SET"
                     " n = n + 1, until = CASE WHEN n + 1 > ?2 THEN ?3 + min(1 << min(n + 1 - ?2 - 1, 16), ?4)"
                     " ELSE 0 END", &st, NULL)) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, FREE_TRIES);
        sqlite3_bind_int64(st, 3, cdi_now());
        sqlite3_bind_int(st, 4, MAX_WAIT);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_finalize(st);
    }
    char obj[160];
    snprintf(obj, sizeof obj, "user %.140s", name);
    if (ok && sq_audit(sq, name, "Log in", obj, "Failure", why, NULL) == CD_OK &&
        sq_audit_head_update(sq, NULL) == CD_OK)
        sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL);
    else
        sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    sq_end_record(sq);
}

int sq_user_login(cd_store *s, const char *name, const char *password, cd_user **out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    *out = NULL;
    int64_t until = 0, now = cdi_now();
    int rc = sq_prep(sq, "SELECT until FROM login_fails WHERE name = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    /* a failed read must not pass for "no failed tries": that would lift the wait */
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) until = sqlite3_column_int64(st, 0);
    else rc = sq_done(sq, r, "login", err);
    sqlite3_finalize(st);
    if (rc) return rc;
    if (until > now)
        return cdi_fail(err, CD_E_LOGIN, "login failed: too many failed tries for this name; try again in %lld s",
                        (long long)(until - now));
    char *hash = NULL;
    int disabled = 0, found = 0;
    if ((rc = sq_prep(sq, "SELECT pwhash, disabled FROM users WHERE name = ?", &st, err))) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        found = 1;
        if (sqlite3_column_type(st, 0) != SQLITE_NULL) hash = sq_text(st, 0);
        disabled = sqlite3_column_int(st, 1);
    }
    sqlite3_finalize(st);
    /* a name without a password still costs the PBKDF2 of a real one */
    static const char decoy[] = "pbkdf2-sha256$600000$00000000000000000000000000000000$"
                                "0000000000000000000000000000000000000000000000000000000000000000";
    int ok = cdi_pass_check(hash ? hash : decoy, password ? password : "") && hash;
    free(hash);
    if (!ok) {
        login_failed(sq, name, found ? "wrong password" : "no such user");
        return cdi_fail(err, CD_E_LOGIN, "%s", LOGIN_FAILED);
    }
    if (disabled) {
        login_failed(sq, name, "account disabled");
        return cdi_fail(err, CD_E_LOGIN, "login failed: the account %.100s is disabled", name);
    }
    if ((rc = sq_load_user(sq, "name = ?", name, out, err))) return rc;
    if (!sq->nowrite && !(rc = sq_begin_record(sq, err))) {
        char obj[160];
        snprintf(obj, sizeof obj, "user %.140s", name);
        if (!(rc = sq_prep(sq, "DELETE FROM login_fails WHERE name = ?", &st, err))) {
            sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
            if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "login");
            sqlite3_finalize(st);
        }
        rc = sq_finish(sq, *out, rc, "Log in", obj, NULL, err);
        sq_end_record(sq);
    }
    if (rc) { cd_user_free(*out); *out = NULL; }
    return rc;
}

int sq_user_can(cd_store *s, const cd_user *u, int otype, int right, const char *group, char *why, size_t n)
{
    struct sq *sq = SQ(s);
    int64_t gid;
    struct cd_err e = { 0 };
    if (u->admin) return 1;
    int rc = sq_group_id(sq, u, group, &gid, &e);
    if (!rc) rc = sq_can(sq, u, otype, right, gid, &e);
    if (rc && why && n) snprintf(why, n, "%s", e.msg);
    return rc == CD_OK;
}

/* Runs one statement with ?1 ?2 ?3 bound to a, b, c (unused ones ignored). */
static int exec_ids(struct sq *sq, const char *sql, int64_t a, int64_t b, int c, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, sql, &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, a);
    sqlite3_bind_int64(st, 2, b);
    sqlite3_bind_int(st, 3, c);
    int r = sqlite3_step(st);
    if (r == SQLITE_CONSTRAINT) rc = cdi_fail(err, CD_E_EXISTS, "already there");
    else if (r != SQLITE_DONE) rc = sq_dberr(sq, err, "update");
    sqlite3_finalize(st);
    return rc;
}

/* ---- users ------------------------------------------------------------- */

struct target { int64_t id, home; int admin; };

static int find_user(struct sq *sq, const char *name, struct target *t, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT id, home, admin FROM users WHERE name = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        t->id = sqlite3_column_int64(st, 0);
        t->home = sqlite3_column_int64(st, 1);
        t->admin = sqlite3_column_int(st, 2);
    } else {
        rc = cdi_fail(err, CD_E_NOTFOUND, "no user \"%.100s\"", name);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Acting on a user (its password, its sets, disabling or removing it) is
 * as good as acting as that user, so u must hold every right the target
 * holds: each level of each of its sets, in each group of the set (u's own
 * rights reach subgroups, so the set's top groups are enough to check). */
static int holds_all(struct sq *sq, const cd_user *u, int64_t target, const char *name, struct cd_err *err)
{
    if (u->admin) return CD_OK;
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT pg.group_id, r.type, max(r.level) FROM user_permsets up"
                         " JOIN permset_groups pg ON pg.set_id = up.set_id"
                         " JOIN permset_rights r ON r.set_id = up.set_id WHERE up.user_id = ? GROUP BY 1, 2", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, target);
    int r = SQLITE_DONE;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cd_err e = { 0 };
        if (sq_can(sq, u, sqlite3_column_int(st, 1), sqlite3_column_int(st, 2), sqlite3_column_int64(st, 0), &e))
            rc = cdi_fail(err, CD_E_FORBIDDEN, "%s may not change %.100s, who holds rights %s does not (%s)",
                          u->name, name, u->name, e.msg);
    }
    if (!rc && r != SQLITE_DONE) rc = sq_dberr(sq, err, "user");
    sqlite3_finalize(st);
    return rc;
}

/* Managing another user: Write on users in its home group and every right
 * it holds; an administrator is managed by administrators only. */
static int may_manage(struct sq *sq, const cd_user *u, const struct target *t, const char *name, struct cd_err *err)
{
    if (t->admin && !u->admin)
        return cdi_fail(err, CD_E_FORBIDDEN, "%s may not change an administrator", u->name);
    int rc = sq_may(sq, u, CD_ACT_USER_MANAGE, t->home, err);
    return rc ? rc : holds_all(sq, u, t->id, name, err);
}

static int check_name(const char *name, struct cd_err *err)
{
    size_t n = name ? strlen(name) : 0;
    if (n == 0 || n > 64) return cdi_fail(err, CD_E_INVAL, "a user name is 1 to 64 bytes");
    for (const char *p = name; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == ',')
            return cdi_fail(err, CD_E_INVAL, "a user name has no spaces, commas or control characters");
    /* and no C1 or bidi control, valid UTF-8: the rule of every name */
    return cdi_check_text(err, "name", name, 64, 0);
}

static int set_password(struct sq *sq, int64_t id, const char *password, struct cd_err *err)
{
    char *h = cdi_pass_hash(password, err);
    if (!h) return CD_E_CRYPTO;
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "UPDATE users SET pwhash = ? WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_text(st, 1, h, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "user");
        sqlite3_finalize(st);
    }
    cdi_wipe(h, strlen(h));
    free(h);
    return rc;
}

int sq_user_add(cd_store *s, const cd_user *u, const char *name, const char *home, const char *password,
                struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int64_t gid = 0;
    char obj[160];
    snprintf(obj, sizeof obj, "user %.140s", name ? name : "");
    int rc = sq_begin(sq, err);
    if (!rc) rc = check_name(name, err);
    /* a login name is told apart by people reading the audit log: portable
     * ASCII only ("ádmin" beside "admin"), and unique whatever the case */
    for (const char *p = name; !rc && *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("._-@", *p)))
            rc = cdi_fail(err, CD_E_INVAL, "a user name is made of ASCII letters, digits and . _ - @");
    if (!rc && !(rc = sq_prep(sq, "SELECT name FROM users WHERE name = ? COLLATE NOCASE", &st, err))) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            rc = cdi_fail(err, CD_E_EXISTS, "the user %.100s already exists (names that differ only in case are one "
                          "name)", (const char *)sqlite3_column_text(st, 0));
        else if (r != SQLITE_DONE) rc = sq_dberr(sq, err, "user");
        sqlite3_finalize(st);
        st = NULL;
    }
    if (!rc) rc = sq_group_id(sq, u, home && *home ? home : "/All", &gid, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_USER_ADD, gid, err);
    if (!rc && !(rc = sq_prep(sq, "INSERT INTO users(name, home, created) VALUES(?, ?, ?)", &st, err))) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, gid);
        sqlite3_bind_int64(st, 3, cdi_now());
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT) rc = cdi_fail(err, CD_E_EXISTS, "the user %.100s already exists", name);
        else if (r != SQLITE_DONE) rc = sq_dberr(sq, err, "user");
        sqlite3_finalize(st);
    }
    if (!rc && password && *password) rc = set_password(sq, sqlite3_last_insert_rowid(sq->db), password, err);
    return sq_finish(sq, u, rc, "Create user", obj, home, err);
}

/* rm (what 0) or disable / enable (what 1 / 2) another user. */
static int user_change(cd_store *s, const cd_user *u, const char *name, int what, struct cd_err *err)
{
    static const char *const actions[] = { "Remove user", "Disable user", "Enable user" };
    static const char *const sql[][4] = {
        { "DELETE FROM users WHERE id = ?1", "DELETE FROM user_permsets WHERE user_id = ?1",
          "DELETE FROM user_state WHERE user_id = ?1", "DELETE FROM presets WHERE user_id = ?1" },
        { "UPDATE users SET disabled = 1 WHERE id = ?1" },
        { "UPDATE users SET disabled = 0 WHERE id = ?1" },
    };
    struct sq *sq = SQ(s);
    struct target t = { 0 };
    char obj[160];
    snprintf(obj, sizeof obj, "user %.140s", name ? name : "");
    int rc = sq_begin(sq, err);
    if (!rc) rc = find_user(sq, name ? name : "", &t, err);
    if (!rc && t.id == u->id && what != 2) rc = cdi_fail(err, CD_E_STATE, "%s cannot %s itself", u->name,
                                                        what ? "disable" : "remove");
    if (!rc) rc = may_manage(sq, u, &t, name, err);
    for (int i = 0; !rc && i < 4 && sql[what][i]; i++) rc = exec_ids(sq, sql[what][i], t.id, 0, 0, err);
    return sq_finish(sq, u, rc, actions[what], obj, NULL, err);
}

int sq_user_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    return user_change(s, u, name, 0, err);
}

int sq_user_set_disabled(cd_store *s, const cd_user *u, const char *name, int disabled, struct cd_err *err)
{
    return user_change(s, u, name, disabled ? 1 : 2, err);
}

int sq_user_passwd(cd_store *s, const cd_user *u, const char *name, const char *old, const char *pw,
                   struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct target t = { 0 };
    sqlite3_stmt *st = NULL;
    char obj[160];
    snprintf(obj, sizeof obj, "user %.140s", name ? name : "");
    int rc = sq_begin(sq, err);
    if (!rc) rc = find_user(sq, name ? name : "", &t, err);
    if (!rc && t.id == u->id && !u->admin) {
        /* one's own: the old password proves it is the person, not a left-open terminal */
        char *h = NULL;
        if (!(rc = sq_prep(sq, "SELECT pwhash FROM users WHERE id = ?", &st, err))) {
            sqlite3_bind_int64(st, 1, t.id);
            if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) h = sq_text(st, 0);
            sqlite3_finalize(st);
        }
        if (!rc && !cdi_pass_check(h, old ? old : "")) rc = cdi_fail(err, CD_E_PASSPHRASE, "the old password is wrong");
        free(h);
    } else if (!rc && t.id != u->id) {
        rc = may_manage(sq, u, &t, name, err);
    }
    if (!rc) rc = set_password(sq, t.id, pw, err);
    return sq_finish(sq, u, rc, "Change password", obj, NULL, err);
}

int sq_user_list(cd_store *s, const cd_user *u, struct cd_user_list *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    cdi_buf_addf(&w.sql, "SELECT u.id, u.name, g.path, u.admin, u.disabled, u.pwhash IS NOT NULL, u.created,"
                         " (SELECT group_concat(name, ',') FROM (SELECT p.name FROM user_permsets up"
                         "  JOIN permsets p ON p.id = up.set_id WHERE up.user_id = u.id ORDER BY p.name))"
                         " FROM users u JOIN groups g ON g.id = u.home WHERE ");
    sq_visible(u, CD_OT_USERS, "u.home", &w);
    cdi_buf_addf(&w.sql, " OR u.id = ");
    cdi_sql_int(&w, u->id);
    cdi_buf_addf(&w.sql, " ORDER BY u.name COLLATE NOCASE");
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) {
        sq_bind_all(st, &w);
        size_t cap = 0;
        int sr;
        while ((sr = sqlite3_step(st)) == SQLITE_ROW) {
            struct cd_user_info *r = cdi_grow(&out->rows, out->n, &cap, sizeof *r);
            if (!r) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            out->n++;
            r->id = sqlite3_column_int64(st, 0);
            r->name = sq_text(st, 1);
            r->home = sq_text(st, 2);
            r->admin = sqlite3_column_int(st, 3);
            r->disabled = sqlite3_column_int(st, 4);
            r->has_password = sqlite3_column_int(st, 5);
            r->created = sqlite3_column_int64(st, 6);
            r->permsets = sq_text(st, 7);
        }
        if (!rc) rc = sq_done(sq, sr, "users", err);
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    if (rc) cd_user_list_free(out);
    return rc;
}

/* ---- permission sets ---------------------------------------------------- */

/* No escalation: u manages users in every group of set `set_id` and holds
 * each of the set's levels there itself. */
static int may_hand_out(struct sq *sq, const cd_user *u, int64_t set_id, struct cd_err *err)
{
    if (u->admin) return CD_OK;
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT pg.group_id, r.type, r.level FROM permset_groups pg"
                         " JOIN permset_rights r ON r.set_id = pg.set_id WHERE pg.set_id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, set_id);
    int r = SQLITE_DONE;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t g = sqlite3_column_int64(st, 0);
        rc = sq_may(sq, u, CD_ACT_PERMSET, g, err);
        if (!rc) rc = sq_can(sq, u, sqlite3_column_int(st, 1), sqlite3_column_int(st, 2), g, err);
    }
    /* a check that stopped early must not pass for one that found nothing */
    if (!rc) rc = sq_done(sq, r, "permission set", err);
    sqlite3_finalize(st);
    return rc;
}

static int find_set(struct sq *sq, const char *name, int64_t *id, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT id FROM permsets WHERE name = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    else rc = cdi_fail(err, CD_E_NOTFOUND, "no permission set \"%.100s\"", name);
    sqlite3_finalize(st);
    return rc;
}

int sq_permset_add(cd_store *s, const cd_user *u, const char *name, const char *const *groups, size_t ng,
                   const int level[CD_OT_COUNT], struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    int64_t id = 0;
    char obj[160];
    snprintf(obj, sizeof obj, "permset %.140s", name ? name : "");
    int rc = sq_begin(sq, err);
    if (!rc) rc = check_name(name, err);
    if (!rc && !(rc = sq_prep(sq, "INSERT INTO permsets(name, created) VALUES(?, ?)", &st, err))) {
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, cdi_now());
        int r = sqlite3_step(st);
        if (r == SQLITE_CONSTRAINT) rc = cdi_fail(err, CD_E_EXISTS, "the permission set %.100s already exists", name);
        else if (r != SQLITE_DONE) rc = sq_dberr(sq, err, "permission set");
        else id = sqlite3_last_insert_rowid(sq->db);
        sqlite3_finalize(st);
    }
    for (size_t i = 0; !rc && i < ng; i++) {
        int64_t g;
        rc = sq_group_id(sq, u, groups[i], &g, err);
        if (!rc) rc = exec_ids(sq, "INSERT OR IGNORE INTO permset_groups(set_id, group_id) VALUES(?1, ?2)", id, g, 0, err);
    }
    for (int t = 0; !rc && t < CD_OT_COUNT; t++)
        if (level[t] > CD_RIGHT_NONE)
            rc = exec_ids(sq, "INSERT INTO permset_rights(set_id, type, level) VALUES(?1, ?2, ?3)", id, t, level[t], err);
    if (!rc) rc = may_hand_out(sq, u, id, err);
    char detail[200] = "";
    for (int t = 0, l = 0; t < CD_OT_COUNT; t++)
        if (level[t] > CD_RIGHT_NONE)
            l += snprintf(detail + l, sizeof detail - (size_t)l, "%s%s %s", l ? ", " : "", cd_otype_name(t),
                          cd_right_name(level[t]));
    return sq_finish(sq, u, rc, "Create permission set", obj, detail, err);
}

int sq_permset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    int64_t id = 0;
    char obj[160];
    snprintf(obj, sizeof obj, "permset %.140s", name ? name : "");
    int rc = sq_begin(sq, err);
    if (!rc) rc = find_set(sq, name ? name : "", &id, err);
    if (!rc) rc = may_hand_out(sq, u, id, err);
    if (!rc) rc = exec_ids(sq, "DELETE FROM user_permsets WHERE set_id = ?1", id, 0, 0, err);
    if (!rc) rc = exec_ids(sq, "DELETE FROM permset_groups WHERE set_id = ?1", id, 0, 0, err);
    if (!rc) rc = exec_ids(sq, "DELETE FROM permset_rights WHERE set_id = ?1", id, 0, 0, err);
    if (!rc) rc = exec_ids(sq, "DELETE FROM permsets WHERE id = ?1", id, 0, 0, err);
    return sq_finish(sq, u, rc, "Remove permission set", obj, NULL, err);
}

int sq_permset_grant(cd_store *s, const cd_user *u, const char *set, const char *user, int grant,
                     struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct target t = { 0 };
    int64_t id = 0;
    char obj[160];
    snprintf(obj, sizeof obj, "user %.140s", user ? user : "");
    int rc = sq_begin(sq, err);
    if (!rc) rc = find_set(sq, set ? set : "", &id, err);
    if (!rc) rc = find_user(sq, user ? user : "", &t, err);
    if (!rc) rc = may_manage(sq, u, &t, user, err);
    if (!rc) rc = may_hand_out(sq, u, id, err);
    if (!rc && grant) {
        rc = exec_ids(sq, "INSERT INTO user_permsets(user_id, set_id) VALUES(?1, ?2)", t.id, id, 0, err);
        if (rc == CD_E_EXISTS) rc = cdi_fail(err, CD_E_EXISTS, "%.100s already holds %.100s", user, set);
    } else if (!rc) {
        rc = exec_ids(sq, "DELETE FROM user_permsets WHERE user_id = ?1 AND set_id = ?2", t.id, id, 0, err);
        if (!rc && !sqlite3_changes(sq->db)) rc = cdi_fail(err, CD_E_NOTFOUND, "%.100s does not hold %.100s", user, set);
    }
    return sq_finish(sq, u, rc, grant ? "Grant permission set" : "Revoke permission set", obj, set, err);
}

int sq_permset_list(cd_store *s, const cd_user *u, struct cd_permset_list *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    /* a set is listed to who may read users in one of its groups */
    cdi_buf_addf(&w.sql, "SELECT p.id, p.name,"
                         " (SELECT group_concat(path, ',') FROM (SELECT g.path FROM permset_groups pg"
                         "  JOIN groups g ON g.id = pg.group_id WHERE pg.set_id = p.id ORDER BY g.path)),"
                         " (SELECT group_concat(name, ',') FROM (SELECT x.name FROM user_permsets up"
                         "  JOIN users x ON x.id = up.user_id WHERE up.set_id = p.id ORDER BY x.name))"
                         " FROM permsets p WHERE EXISTS (SELECT 1 FROM permset_groups pg WHERE pg.set_id = p.id AND ");
    sq_visible(u, CD_OT_USERS, "pg.group_id", &w);
    cdi_buf_addf(&w.sql, ") ORDER BY p.name COLLATE NOCASE");
    sqlite3_stmt *lv = NULL;
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) rc = sq_prep(sq, "SELECT type, level FROM permset_rights WHERE set_id = ?", &lv, err);
    if (!rc) {
        sq_bind_all(st, &w);
        size_t cap = 0;
        int sr = SQLITE_DONE;
        while (!rc && (sr = sqlite3_step(st)) == SQLITE_ROW) {
            struct cd_permset *r = cdi_grow(&out->rows, out->n, &cap, sizeof *r);
            if (!r) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
            out->n++;
            r->id = sqlite3_column_int64(st, 0);
            r->name = sq_text(st, 1);
            r->groups = sq_text(st, 2);
            r->users = sq_text(st, 3);
            sqlite3_reset(lv);
            sqlite3_bind_int64(lv, 1, r->id);
            int lr;
            while ((lr = sqlite3_step(lv)) == SQLITE_ROW) {
                int t = sqlite3_column_int(lv, 0);
                if (t >= 0 && t < CD_OT_COUNT) r->level[t] = sqlite3_column_int(lv, 1);
            }
            rc = sq_done(sq, lr, "permission sets", err);
        }
        if (!rc) rc = sq_done(sq, sr, "permission sets", err);
    }
    sqlite3_finalize(lv);
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    if (rc) cd_permset_list_free(out);
    return rc;
}
