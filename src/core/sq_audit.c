/* certdeck core — reading the audit log in the sqlite backend: newest
 * first, narrowed by object and by the filter language's audit fields.
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
    rc = cdi_filter_sql(f, CDI_TARGET_AUDIT, cdi_now(), &w, err);
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
        if (!rc && r != SQLITE_DONE) rc = sq_dberr(sq, err, "audit");
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    cd_filter_free(f);
    if (rc) cd_audit_list_free(out);
    return rc;
}
