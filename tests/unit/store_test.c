/* store: the model's rules, and bad input that must fail clearly and lose
 * nothing (missing, foreign or damaged files, wrong passphrases, read-only
 * stores, a full disk). */
#include <fcntl.h>
#include <sys/stat.h>
#include <sqlite3.h>
#include "helpers.h"
#include "sq_int.h"

static sqlite3 *raw(struct fx *f) { return ((struct sq *)f->s->impl)->db; }

/* The trigger-kept counts against a recount: rows that differ (0 = none). */
static int64_t counts_drift(struct fx *f)
{
    static const char sql[] =
        "WITH truth(t, g, r, n) AS (SELECT 0, group_id, revoked_at <> 0, count(*) FROM certs GROUP BY 2, 3"
        "  UNION ALL SELECT x.tag_id, c.group_id, c.revoked_at <> 0, count(*) FROM cert_tags x"
        "  JOIN certs c ON c.id = x.cert_id GROUP BY 1, 2, 3),"
        " kept(t, g, r, n) AS (SELECT tag_id, group_id, revoked, n FROM cert_counts WHERE n <> 0)"
        " SELECT (SELECT count(*) FROM (SELECT * FROM truth EXCEPT SELECT * FROM kept))"
        "      + (SELECT count(*) FROM (SELECT * FROM kept EXCEPT SELECT * FROM truth))";
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(raw(f), sql, -1, &st, NULL) != SQLITE_OK) return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return n;
}

static int64_t audit_rows(struct fx *f, const char *result)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(raw(f), "SELECT count(*) FROM audit WHERE result = ?", -1, &st, NULL),
                     SQLITE_OK);
    sqlite3_bind_text(st, 1, result, -1, SQLITE_STATIC);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static void test_init_objects(void **state)
{
    struct fx *f = *state;
    struct cd_cert_list l;
    struct cd_query q = { 0 };
    assert_int_equal(cd_cert_list(f->s, f->u, &q, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.rows[0].description, "Server certificate");
    assert_string_equal(l.rows[2].description, "Agent certificate for server assisted installation");
    assert_string_equal(l.rows[0].group, "/All");
    assert_string_equal(l.rows[0].product, "Server");
    assert_int_equal(strlen(l.rows[0].serial), 40);
    assert_true(l.rows[0].serial[0] >= '0' && l.rows[0].serial[0] <= '7');   /* positive */
    assert_false(l.rows[0].serial[0] == '0' && l.rows[0].serial[1] == '0');   /* 20 octets, minimal */
    cd_cert_list_free(&l);
    struct cd_ca_list cl;
    assert_int_equal(cd_ca_list(f->s, f->u, &q, &cl, &f->err), CD_OK);
    assert_int_equal(cl.n, 1);
    assert_true(cl.rows[0].can_sign);
    assert_int_equal(cl.rows[0].cert_count, 3);
    cd_ca_list_free(&cl);
    assert_int_equal(cd_store_init(f->s, "admin", &f->err), CD_E_EXISTS);
}

static void test_file_modes(void **state)
{
    struct fx *f = *state;
    struct stat st;
    char key[160];
    assert_int_equal(stat(f->path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    snprintf(key, sizeof key, "%s.key", f->path);
    assert_int_equal(stat(key, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
}

static void test_open_errors(void **state)
{
    struct fx *f = *state;
    cd_store *s = NULL;
    struct cd_err e = { 0 };
    char p[160];
    snprintf(p, sizeof p, "%s/missing.db", f->dir);
    assert_int_equal(cd_store_open(p, 0, &s, &e), CD_E_NOTFOUND);
    assert_non_null(strstr(e.msg, "certdeck init"));
    assert_int_equal(cd_store_open(f->path, CD_OPEN_CREATE, &s, &e), CD_E_EXISTS);
    /* garbage */
    snprintf(p, sizeof p, "%s/garbage.db", f->dir);
    FILE *g = fopen(p, "w");
    fputs("this is not a database at all, not even close; just some text to fill a page.", g);
    fclose(g);
    memset(&e, 0, sizeof e);
    assert_int_equal(cd_store_open(p, 0, &s, &e), CD_E_CORRUPT);
    assert_null(s);
    /* another program's sqlite file */
    snprintf(p, sizeof p, "%s/foreign.db", f->dir);
    sqlite3 *db;
    sqlite3_open(p, &db);
    sqlite3_exec(db, "CREATE TABLE songs(title TEXT); INSERT INTO songs VALUES('x')", NULL, NULL, NULL);
    sqlite3_close(db);
    memset(&e, 0, sizeof e);
    assert_int_equal(cd_store_open(p, 0, &s, &e), CD_E_CORRUPT);
    assert_non_null(strstr(e.msg, "another program"));
    sqlite3_open(p, &db);                   /* untouched */
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM songs", -1, &st, NULL), SQLITE_OK);
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* a certdeckd store is https://HOST[:PORT] alone: no path, no
     * credentials (refused before any connection), and never plain http */
    assert_int_equal(cd_store_open("https://example.org/store", 0, &s, &e), CD_E_INVAL);
    assert_int_equal(cd_store_open("https://user:pw@example.org", 0, &s, &e), CD_E_INVAL);
    assert_int_equal(cd_store_open("http://example.org", 0, &s, &e), CD_E_UNSUPPORTED);
    assert_null(s);
}

static void test_newer_schema_refused(void **state)
{
    struct fx *f = *state;
    sqlite3_exec(raw(f), "PRAGMA user_version=99", NULL, NULL, NULL);
    cd_store *s = NULL;
    struct cd_err e = { 0 };
    assert_int_equal(cd_store_open(f->path, 0, &s, &e), CD_E_VERSION);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d", SQ_SCHEMA_VERSION);
    sqlite3_exec(raw(f), pragma, NULL, NULL, NULL);
}

static void test_migration_from_v1(void **state)
{
    struct fx *f = *state;
    /* a version-1 store: no user_state table, the first indexes */
    assert_int_equal(sqlite3_exec(raw(f), FX_UNDO_SCHEMA9 "DROP TABLE user_state; DROP INDEX certs_group; CREATE INDEX certs_group ON certs(group_id);"
                 "DROP INDEX certs_na; CREATE INDEX certs_na ON certs(not_after);"
                 "DROP TRIGGER cc_cert_ins; DROP TRIGGER cc_cert_del; DROP TRIGGER cc_cert_upd;"
                 "DROP TRIGGER cc_tag_ins; DROP TRIGGER cc_tag_del; DROP TABLE cert_counts;"
                 "DROP VIEW user_rights; DROP TABLE permsets; DROP TABLE permset_groups; DROP TABLE permset_rights;"
                 "DROP TABLE user_permsets; DROP TABLE login_fails; ALTER TABLE presets DROP COLUMN shared;"
                 "ALTER TABLE presets DROP COLUMN group_id; DROP TABLE audit_head; DROP TABLE crls;"
                 "DROP INDEX usage_cert; CREATE INDEX usage_cert ON usage(cert_id); PRAGMA user_version=1",
                 NULL, NULL, NULL), SQLITE_OK);
    fx_reopen(f);
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw(f), "PRAGMA user_version", -1, &st, NULL);
    sqlite3_step(st);
    assert_int_equal(sqlite3_column_int(st, 0), SQ_SCHEMA_VERSION);
    sqlite3_finalize(st);
    assert_int_equal(cd_state_set(f->s, f->u, "k", "v", &f->err), CD_OK);
    assert_int_equal(fx_count(f, "", 0), 3);            /* the data came along */
    assert_int_equal(counts_drift(f), 0);               /* and the counts were made from it */
}

static char *stat1(struct fx *f, const char *idx)
{
    sqlite3_stmt *st;
    char *v = NULL;
    if (sqlite3_prepare_v2(raw(f), "SELECT stat FROM sqlite_stat1 WHERE idx = ?", -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_text(st, 1, idx, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) v = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return v;
}

/* Closing runs PRAGMA optimize, which analyses a table again while any of
 * its indexes lacks statistics; the empty partial indexes (certs_pending,
 * certs_replaces) never get any from ANALYZE, and every close of a big
 * store spent seconds re-analysing certs.  Once analysed, a close leaves
 * the statistics alone (a hand-set row survives it). */
static void test_close_does_not_reanalyse(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "expires < 30d", 0), 0);
    fx_reopen(f);
    char *v = stat1(f, "certs_pending");
    assert_non_null(v);
    free(v);
    assert_int_equal(sqlite3_exec(raw(f), "UPDATE sqlite_stat1 SET stat = '7 7' WHERE idx = 'certs_nb'",
                                  NULL, NULL, NULL), SQLITE_OK);
    fx_reopen(f);
    assert_int_equal(fx_count(f, "expires < 30d or issued > 1d", 0), 0);
    fx_reopen(f);
    v = stat1(f, "certs_nb");
    assert_non_null(v);
    assert_string_equal(v, "7 7");
    free(v);
}

static void test_state(void **state)
{
    struct fx *f = *state;
    char *v = (char *)1;
    assert_int_equal(cd_state_get(f->s, f->u, "certs.sort", &v, &f->err), CD_OK);
    assert_null(v);
    assert_int_equal(cd_state_set(f->s, f->u, "certs.sort", "valid_to:desc", &f->err), CD_OK);
    assert_int_equal(cd_state_get(f->s, f->u, "certs.sort", &v, &f->err), CD_OK);
    assert_string_equal(v, "valid_to:desc");
    free(v);
    assert_int_equal(cd_state_set(f->s, f->u, "certs.sort", NULL, &f->err), CD_OK);
    assert_int_equal(cd_state_get(f->s, f->u, "certs.sort", &v, &f->err), CD_OK);
    assert_null(v);
    assert_int_equal(cd_state_set(f->s, f->u, "", "x", &f->err), CD_E_INVAL);
}

static void test_bulk_issue(void **state)
{
    struct fx *f = *state;
    int64_t ids[50];
    const char *tags[] = { "bulk", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "node" },
                                .keytype = CD_KEY_EC256, .days = 90, .tags = tags };
    int64_t before = audit_rows(f, "Success");
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 50, NULL, NULL, ids, &f->err), CD_OK);
    assert_int_equal(ids[49] - ids[0], 49);
    assert_int_equal(fx_count(f, "tag:bulk", 0), 50);
    assert_int_equal(fx_count(f, "cn=node-000050", 0), 1);
    assert_int_equal(audit_rows(f, "Success") - before, 51);   /* one per certificate + the batch */
    struct cd_cert a, b;
    assert_int_equal(cd_cert_get(f->s, f->u, ids[0], &a, &f->err), CD_OK);
    assert_int_equal(cd_cert_get(f->s, f->u, ids[1], &b, &f->err), CD_OK);
    assert_string_not_equal(a.serial, b.serial);
    cd_cert_clear(&a);
    cd_cert_clear(&b);
}

static void test_validity_beyond_ca_refused(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "long" },
                                .keytype = CD_KEY_EC256, .days = 20000 };
    int64_t before = fx_count(f, "", 1);
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "CA's own expiry"));
    assert_int_equal(fx_count(f, "", 1), before);
}

static void test_ca_passphrase(void **state)
{
    struct fx *f = *state;
    struct cd_ca_params cp = { .subject = { .cn = "Locked CA" }, .keytype = CD_KEY_EC256, .passphrase = "right horse" };
    int64_t ca;
    assert_int_equal(cd_ca_new(f->s, f->u, &cp, &ca, &f->err), CD_OK);
    struct cd_cert_params p = { .ca_id = ca, .product = CD_PRODUCT_SERVER, .subject = { .cn = "x" },
                                .keytype = CD_KEY_EC256, .days = 10, .ca_passphrase = "wrong" };
    int64_t n = fx_count(f, "", 1), failures = audit_rows(f, "Failure");
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 3, NULL, NULL, NULL, &f->err), CD_E_PASSPHRASE);
    assert_int_equal(fx_count(f, "", 1), n);                       /* nothing issued */
    assert_int_equal(audit_rows(f, "Failure"), failures + 1);      /* but recorded */
    p.ca_passphrase = NULL;
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_PASSPHRASE);
    p.ca_passphrase = "right horse";
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_OK);
    assert_int_equal(fx_count(f, "", 1), n + 1);
}

static void test_import_ca(void **state)
{
    struct fx *f = *state;
    char *pem;
    size_t len;
    assert_int_equal(cd_ca_export(f->s, f->u, 1, &pem, &len, &f->err), CD_OK);
    int64_t id;
    assert_int_equal(cd_ca_import(f->s, f->u, pem, len, "dup", NULL, &id, &f->err), CD_E_EXISTS);
    free(pem);
    /* a leaf certificate is not a CA */
    unsigned char *leaf;
    assert_int_equal(cd_cert_export(f->s, f->u, 1, CD_EXPORT_PEM, NULL, &leaf, &len, &f->err), CD_OK);
    assert_int_equal(cd_ca_import(f->s, f->u, leaf, len, NULL, NULL, &id, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "not a CA"));
    free(leaf);
    assert_int_equal(cd_ca_import(f->s, f->u, "garbage", 7, NULL, NULL, &id, &f->err), CD_E_INVAL);
    /* a public-key-only CA is listed but cannot sign */
    struct cd_ca_params cp = { .subject = { .cn = "Other CA" }, .keytype = CD_KEY_EC256 };
    int64_t other;
    assert_int_equal(cd_ca_new(f->s, f->u, &cp, &other, &f->err), CD_OK);
    assert_int_equal(cd_ca_export(f->s, f->u, other, &pem, &len, &f->err), CD_OK);
    assert_int_equal(cd_ca_delete(f->s, f->u, other, &f->err), CD_OK);
    assert_int_equal(cd_ca_import(f->s, f->u, pem, len, "imported", NULL, &id, &f->err), CD_OK);
    assert_true(id > other);                       /* a deleted CA's ID is not given again */
    free(pem);
    struct cd_ca ca;
    assert_int_equal(cd_ca_get(f->s, f->u, id, &ca, &f->err), CD_OK);
    assert_false(ca.can_sign);
    assert_string_equal(ca.cn, "Other CA");
    cd_ca_clear(&ca);
    struct cd_cert_params p = { .ca_id = id, .product = CD_PRODUCT_AGENT, .subject = { .cn = "x" }, .days = 1 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_STATE);
}

static void test_ca_delete_with_live_certs_refused(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_ca_delete(f->s, f->u, 1, &f->err), CD_E_STATE);
    assert_int_equal(cd_ca_delete(f->s, f->u, 99, &f->err), CD_E_NOTFOUND);
}

static void test_revoke(void **state)
{
    struct fx *f = *state;
    int64_t id = fx_cert(f, "victim");
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 1, &f->err), CD_OK);
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 1, &f->err), CD_E_STATE);
    assert_int_equal(fx_count(f, "victim", 0), 0);
    assert_int_equal(fx_count(f, "victim", 1), 1);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, id, &c, &f->err), CD_OK);
    assert_int_equal(c.state, CD_STATE_REVOKED);
    assert_string_equal(c.revoke_reason, "keyCompromise");
    cd_cert_clear(&c);
    int64_t bad[2] = { fx_cert(f, "ok"), 9999 };
    assert_int_equal(cd_cert_revoke(f->s, f->u, bad, 2, 0, &f->err), CD_E_NOTFOUND);
    assert_int_equal(fx_count(f, "cn=ok", 0), 1);                 /* all or nothing */
    int64_t uses = -1;
    assert_int_equal(cd_cert_usage_count(f->s, f->u, id, &uses, &f->err), CD_OK);
    assert_int_equal(uses, 0);
}

static void test_resolve(void **state)
{
    struct fx *f = *state;
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, 2, &c, &f->err), CD_OK);
    int64_t id = 0;
    char pre[16];
    snprintf(pre, sizeof pre, "%.12s", c.serial);
    assert_int_equal(cd_resolve(f->s, f->u, CD_KIND_CERT, pre, &id, &f->err), CD_OK);
    assert_int_equal(id, 2);
    char fp[40];
    snprintf(fp, sizeof fp, "%c%c:%c%c:%c%c:%c%c:%c%c", c.fingerprint[0], c.fingerprint[1], c.fingerprint[2],
             c.fingerprint[3], c.fingerprint[4], c.fingerprint[5], c.fingerprint[6], c.fingerprint[7],
             c.fingerprint[8], c.fingerprint[9]);
    assert_int_equal(cd_resolve(f->s, f->u, CD_KIND_CERT, fp, &id, &f->err), CD_OK);
    assert_int_equal(id, 2);
    cd_cert_clear(&c);
    assert_int_equal(cd_resolve(f->s, f->u, CD_KIND_CERT, "77", &id, &f->err), CD_E_NOTFOUND);
    assert_int_equal(cd_resolve(f->s, f->u, CD_KIND_CERT, "zz-top", &id, &f->err), CD_E_INVAL);
    assert_int_equal(cd_cert_get(f->s, f->u, 4242, &c, &f->err), CD_E_NOTFOUND);
}

static void test_hostile_names_stored_faithfully(void **state)
{
    struct fx *f = *state;
    /* DN syntax in a name is data (control and bidi characters are refused:
     * valid_test) */
    const char *cn = "evil+O=x,CN=admin";
    int64_t id = fx_cert(f, cn);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, id, &c, &f->err), CD_OK);
    assert_string_equal(c.cn, cn);
    assert_non_null(strstr(c.subject, "\\,CN=admin"));   /* one attribute, not two */
    cd_cert_clear(&c);
}

static void test_groups(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/Sites/Paris", &f->err), CD_E_NOTFOUND);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/Sites", &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/Sites", &f->err), CD_E_EXISTS);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/Sites/Paris", &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "Sites", &f->err), CD_E_INVAL);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/a//b", &f->err), CD_E_INVAL);
    int64_t id = fx_cert(f, "paris-1");
    assert_int_equal(cd_cert_move(f->s, f->u, &id, 1, "/All/Sites/Paris", &f->err), CD_OK);
    assert_int_equal(cd_cert_move(f->s, f->u, &id, 1, "/All/Nowhere", &f->err), CD_E_NOTFOUND);
    assert_int_equal(cd_group_rm(f->s, f->u, "/All/Sites", &f->err), CD_E_STATE);
    assert_int_equal(cd_group_rm(f->s, f->u, "/All/Sites/Paris", &f->err), CD_E_STATE);
    assert_int_equal(cd_group_rm(f->s, f->u, "/All", &f->err), CD_E_STATE);
    assert_int_equal(cd_cert_move(f->s, f->u, &id, 1, "/All", &f->err), CD_OK);
    assert_int_equal(cd_group_rm(f->s, f->u, "/All/Sites/Paris", &f->err), CD_OK);
    struct cd_group_list l;
    assert_int_equal(cd_group_list(f->s, f->u, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.rows[0].path, "/All");
    assert_int_equal(l.rows[0].certs, 4);
    assert_int_equal(l.rows[1].depth, 1);
    cd_group_list_free(&l);
}

static void test_tags(void **state)
{
    struct fx *f = *state;
    int64_t ids[2] = { 1, 2 };
    assert_int_equal(cd_tag_create(f->s, f->u, "prod", &f->err), CD_OK);
    assert_int_equal(cd_tag_create(f->s, f->u, "prod", &f->err), CD_E_EXISTS);
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, ids, 2, "prod", 1, &f->err), CD_OK);
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CA, ids, 1, "prod", 1, &f->err), CD_OK);
    assert_int_equal(fx_count(f, "tag:prod", 0), 2);
    assert_int_equal(fx_count(f, "prod", 0), 2);               /* free text sees tags */
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, ids, 1, "prod", 0, &f->err), CD_OK);
    assert_int_equal(fx_count(f, "tag:prod", 0), 1);
    struct cd_tag_list l;
    assert_int_equal(cd_tag_list(f->s, f->u, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 1);
    assert_int_equal(l.rows[0].certs, 1);
    assert_int_equal(l.rows[0].cas, 1);
    cd_tag_list_free(&l);
    assert_int_equal(cd_tag_delete(f->s, f->u, "prod", &f->err), CD_OK);
    assert_int_equal(fx_count(f, "prod", 0), 0);                /* search text rebuilt */
    assert_int_equal(cd_tag_delete(f->s, f->u, "prod", &f->err), CD_E_NOTFOUND);
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, ids, 1, "", 1, &f->err), CD_E_INVAL);
}

static void test_describe(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_cert_describe(f->s, f->u, 2, "Lobby kiosk", &f->err), CD_OK);
    assert_int_equal(fx_count(f, "kiosk", 0), 1);
    assert_int_equal(cd_ca_describe(f->s, f->u, 1, "Root", &f->err), CD_OK);
    assert_int_equal(cd_cert_describe(f->s, f->u, 99, "x", &f->err), CD_E_NOTFOUND);
}

static void test_presets(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_preset_save(f->s, f->u, "expiring", "expires<30d", "cn,valid_to", "valid_to", &f->err), CD_OK);
    assert_int_equal(cd_preset_save(f->s, f->u, "expiring", "expires<60d", NULL, NULL, &f->err), CD_OK);
    assert_int_equal(cd_preset_save(f->s, f->u, "bad", "tag:x (", NULL, NULL, &f->err), CD_E_FILTER);
    struct cd_preset_list l;
    assert_int_equal(cd_preset_list(f->s, f->u, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.rows[0].expr, "expires<60d");
    cd_preset_list_free(&l);
    assert_int_equal(cd_preset_rm(f->s, f->u, "expiring", &f->err), CD_OK);
    assert_int_equal(cd_preset_rm(f->s, f->u, "expiring", &f->err), CD_E_NOTFOUND);
}

static void test_paging_and_sort(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 7; i++) { char cn[16]; snprintf(cn, sizeof cn, "p%d", 9 - i); fx_cert(f, cn); }
    struct cd_query q = { .sort = CD_COL_CN, .limit = 4, .offset = 2 };
    struct cd_cert_list l;
    assert_int_equal(cd_cert_list(f->s, f->u, &q, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 4);
    assert_string_equal(l.rows[0].cn, "p3");       /* Agent, Agent, p3, p4, ... */
    assert_string_equal(l.rows[3].cn, "p6");
    cd_cert_list_free(&l);
    q.desc = 1; q.offset = 0; q.limit = 1;
    assert_int_equal(cd_cert_list(f->s, f->u, &q, &l, &f->err), CD_OK);
    assert_string_equal(l.rows[0].cn, "Server");
    cd_cert_list_free(&l);
}

/* Every change that moves a certificate between (tag, group, revoked)
 * keeps the counts behind the side panel and the unfiltered total right. */
static void test_counts_follow_changes(void **state)
{
    struct fx *f = *state;
    const char *tags[] = { "web", "db", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "cnt" },
                                .keytype = CD_KEY_EC256, .days = 9, .tags = tags };
    int64_t ids[20];
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 20, NULL, NULL, ids, &f->err), CD_OK);
    assert_int_equal(counts_drift(f), 0);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/Lab", &f->err), CD_OK);
    assert_int_equal(cd_cert_move(f->s, f->u, ids, 5, "/All/Lab", &f->err), CD_OK);
    assert_int_equal(counts_drift(f), 0);
    assert_int_equal(cd_cert_revoke(f->s, f->u, ids + 3, 4, 1, &f->err), CD_OK);
    assert_int_equal(counts_drift(f), 0);
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, ids, 8, "web", 0, &f->err), CD_OK);
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, ids, 2, "extra", 1, &f->err), CD_OK);
    assert_int_equal(counts_drift(f), 0);
    assert_int_equal(cd_tag_delete(f->s, f->u, "db", &f->err), CD_OK);
    assert_int_equal(counts_drift(f), 0);
    /* the fast unfiltered count agrees with a filtered walk */
    assert_int_equal(fx_count(f, "", 0), fx_count(f, "id>0", 0));
    assert_int_equal(fx_count(f, "", 1), fx_count(f, "id>0", 1));
    struct cd_query q = { .group = "/All/Lab" };
    int64_t n = 0;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 3);                              /* 5 moved, 2 of them revoked */
    q.revoked = 1;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 5);
    q.limit = 4;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 4);                              /* the cap holds on the fast path too */
    struct cd_tag_list tl;
    assert_int_equal(cd_tag_list(f->s, f->u, &tl, &f->err), CD_OK);
    for (size_t i = 0; i < tl.n; i++)
        if (!strcmp(tl.rows[i].name, "web")) assert_int_equal(tl.rows[i].certs, 12);  /* 20, 4 revoked, 4 more untagged */
    cd_tag_list_free(&tl);
}

static void test_capped_count(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "cap" },
                                .keytype = CD_KEY_EC256, .days = 9 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 30, NULL, NULL, NULL, &f->err), CD_OK);
    struct cd_query q = { .filter = "cap", .limit = 10 };
    int64_t n = 0;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 10);
    q.limit = 100;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 30);
    q.filter = "tag:none product:agent";
    q.limit = 0;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 0);
}

static void test_audit_chain_detects_tampering(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "a");
    fx_cert(f, "b");
    int64_t n = 0, bad = 0;
    assert_int_equal(cd_audit_verify(f->s, f->u, &n, &bad, &f->err), CD_OK);
    assert_true(n >= 7);
    sqlite3_exec(raw(f), "UPDATE audit SET user = 'mallory' WHERE id = 3", NULL, NULL, NULL);
    assert_int_equal(cd_audit_verify(f->s, f->u, &n, &bad, &f->err), CD_E_AUDIT);
    assert_int_equal(bad, 3);
    sqlite3_exec(raw(f), "UPDATE audit SET user = 'admin' WHERE id = 3", NULL, NULL, NULL);
    assert_int_equal(cd_audit_verify(f->s, f->u, &n, &bad, &f->err), CD_OK);
    sqlite3_exec(raw(f), "DELETE FROM audit WHERE id = 5", NULL, NULL, NULL);
    assert_int_equal(cd_audit_verify(f->s, f->u, &n, &bad, &f->err), CD_E_AUDIT);
    assert_int_equal(bad, 6);
    struct cd_audit_list l;
    assert_int_equal(cd_audit_list(f->s, f->u, "cert 1", NULL, 0, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 1);
    assert_string_equal(l.rows[0].action, "Create certificate");
    cd_audit_list_free(&l);
}

static void test_read_only_store(void **state)
{
    struct fx *f = *state;
    fx_close(f);
    chmod(f->path, 0400);
    if (access(f->path, W_OK) == 0) { chmod(f->path, 0600); skip(); }   /* root ignores modes */
    assert_int_equal(cd_store_open(f->path, 0, &f->s, &f->err), CD_OK);
    assert_int_equal(cd_user_owner(f->s, &f->u, &f->err), CD_OK);
    assert_int_equal(fx_count(f, "", 0), 3);
    assert_int_equal(cd_tag_create(f->s, f->u, "x", &f->err), CD_E_READONLY);
    chmod(f->path, 0600);
}

static void test_read_only_open_flag(void **state)
{
    struct fx *f = *state;
    cd_store *s;
    cd_user *u;
    struct cd_err e = { 0 };
    assert_int_equal(cd_store_open(f->path, CD_OPEN_READONLY, &s, &e), CD_OK);
    assert_int_equal(cd_user_owner(s, &u, &e), CD_OK);
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "ro" }, .days = 1 };
    assert_int_equal(cd_cert_new(s, u, &p, 1, NULL, NULL, NULL, &e), CD_E_READONLY);
    assert_non_null(strstr(e.msg, "nothing was changed"));
    cd_user_free(u);
    cd_store_close(s);
}

static void test_disk_full_rolls_back(void **state)
{
    struct fx *f = *state;
    int64_t before = fx_count(f, "", 1), audit_before = audit_rows(f, "Success");
    /* SQLite's own limit stands in for a full disk: the same SQLITE_FULL path */
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw(f), "PRAGMA page_count", -1, &st, NULL);
    sqlite3_step(st);
    char pragma[64];
    snprintf(pragma, sizeof pragma, "PRAGMA max_page_count=%lld", (long long)sqlite3_column_int64(st, 0) + 2);
    sqlite3_finalize(st);
    sqlite3_exec(raw(f), pragma, NULL, NULL, NULL);
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "fill" },
                                .keytype = CD_KEY_EC256, .days = 10 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 300, NULL, NULL, NULL, &f->err), CD_E_FULL);
    assert_non_null(strstr(f->err.msg, "disk is full"));
    sqlite3_exec(raw(f), "PRAGMA max_page_count=1073741823", NULL, NULL, NULL);
    assert_int_equal(fx_count(f, "", 1), before);
    assert_int_equal(audit_rows(f, "Success"), audit_before);
    int64_t n, bad;
    assert_int_equal(cd_audit_verify(f->s, f->u, &n, &bad, &f->err), CD_OK);
}

static void test_missing_store_key(void **state)
{
    struct fx *f = *state;
    char key[160], moved[170];
    fx_key_paths(f, key, moved);
    fx_close(f);
    rename(key, moved);
    assert_int_equal(cd_store_open(f->path, 0, &f->s, &f->err), CD_OK);
    assert_int_equal(cd_user_owner(f->s, &f->u, &f->err), CD_OK);
    assert_int_equal(fx_count(f, "", 0), 3);                     /* reading still works */
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "k" }, .days = 1 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, NULL, &f->err), CD_E_NOKEY);
    assert_non_null(strstr(f->err.msg, ".key"));
    rename(moved, key);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_init_objects), T(test_file_modes), T(test_open_errors), T(test_newer_schema_refused),
        T(test_bulk_issue), T(test_validity_beyond_ca_refused), T(test_ca_passphrase), T(test_import_ca),
        T(test_ca_delete_with_live_certs_refused), T(test_revoke), T(test_resolve),
        T(test_hostile_names_stored_faithfully), T(test_groups), T(test_tags), T(test_describe),
        T(test_presets), T(test_paging_and_sort), T(test_audit_chain_detects_tampering),
        T(test_read_only_store), T(test_read_only_open_flag), T(test_disk_full_rolls_back),
        T(test_missing_store_key), T(test_migration_from_v1), T(test_state),
        T(test_capped_count), T(test_counts_follow_changes), T(test_close_does_not_reanalyse),
    };
    return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
