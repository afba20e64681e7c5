/* audit: the authenticated head of the audit chain (schema 7) — deleting
 * the newest records, all of them, or rewriting the log and recomputing
 * the plain hash chain is caught by audit verify, while a store used
 * normally (bulk issuance included) and an upgraded schema-6 store verify
 * intact; and row loops that fail midway report the failure instead of a
 * short list. */
#include <sys/stat.h>
#include <sqlite3.h>
#include <gnutls/crypto.h>
#include <gnutls/x509.h>
#include "helpers.h"
#include "sq_int.h"

static sqlite3 *raw(struct fx *f) { return ((struct sq *)f->s->impl)->db; }

static void sql(struct fx *f, const char *q)
{
    char *msg = NULL;
    if (sqlite3_exec(raw(f), q, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", q, msg ? msg : "?");
}

static int64_t one(struct fx *f, const char *q)
{
    sqlite3_stmt *st;
    assert_int_equal(sqlite3_prepare_v2(raw(f), q, -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    int64_t n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return n;
}

static int verify(struct fx *f, int64_t *bad)
{
    int64_t n = 0, b = 0;
    memset(&f->err, 0, sizeof f->err);
    int rc = cd_audit_verify(f->s, f->u, &n, &b, &f->err);
    if (bad) *bad = b;
    return rc;
}

#define ASSERT_MSG(f, text) do { \
    if (!strstr((f)->err.msg, text)) fail_msg("message \"%s\" lacks \"%s\"", (f)->err.msg, text); } while (0)

/* What an attacker with write access to the file but not the store key can
 * do: recompute every record's SHA-256 chain after an edit. */
static void attacker_rechain(struct fx *f)
{
    sqlite3_stmt *st, *up;
    char prev[65] = "0000000000000000000000000000000000000000000000000000000000000000";
    assert_int_equal(sqlite3_prepare_v2(raw(f), "SELECT id, ts, user, action, object, result, detail FROM audit"
                                        " ORDER BY id", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(raw(f), "UPDATE audit SET prev = ?, hash = ? WHERE id = ?", -1, &up, NULL),
                     SQLITE_OK);
    sql(f, "BEGIN");
    while (sqlite3_step(st) == SQLITE_ROW) {
        char buf[4096];
        int len = snprintf(buf, sizeof buf, "%s|%lld|%lld", prev, (long long)sqlite3_column_int64(st, 0),
                           (long long)sqlite3_column_int64(st, 1));
        for (int i = 2; i < 7; i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            len += snprintf(buf + len, sizeof buf - (size_t)len, "|%zu:%s", strlen(t), t);
        }
        unsigned char h[32];
        char hex[65];
        gnutls_hash_fast(GNUTLS_DIG_SHA256, buf, (size_t)len, h);
        for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
        sqlite3_bind_text(up, 1, prev, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(up, 2, hex, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(up, 3, sqlite3_column_int64(st, 0));
        assert_int_equal(sqlite3_step(up), SQLITE_DONE);
        sqlite3_reset(up);
        memcpy(prev, hex, sizeof prev);
    }
    sql(f, "COMMIT");
    sqlite3_finalize(st);
    sqlite3_finalize(up);
}

static void test_delete_newest_detected(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "a");
    fx_cert(f, "b");
    assert_int_equal(verify(f, NULL), CD_OK);
    int64_t last = one(f, "SELECT max(id) FROM audit"), bad;
    sql(f, "DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)");
    assert_int_equal(verify(f, &bad), CD_E_AUDIT);
    char want[64];
    snprintf(want, sizeof want, "truncated after record %lld", (long long)last - 1);
    ASSERT_MSG(f, want);
    assert_int_equal(bad, last);
    /* the next honest change does not bless the shorter log */
    assert_int_equal(cd_tag_create(f->s, f->u, "after", &f->err), CD_OK);
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);
    ASSERT_MSG(f, "the audit head does not match");
}

static void test_delete_several_newest_detected(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "a");
    fx_cert(f, "b");
    int64_t last = one(f, "SELECT max(id) FROM audit");
    sql(f, "DELETE FROM audit WHERE id > 3");
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);
    char want[96];
    snprintf(want, sizeof want, "truncated after record 3: records 4 to %lld", (long long)last);
    ASSERT_MSG(f, want);
}

static void test_delete_all_detected(void **state)
{
    struct fx *f = *state;
    sql(f, "DELETE FROM audit");
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);
    ASSERT_MSG(f, "truncated after record 0");
}

static void test_rewrite_with_recomputed_chain_detected(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "a");
    sql(f, "UPDATE audit SET user = 'mallory' WHERE id = 3");
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);        /* the plain chain sees it ... */
    attacker_rechain(f);
    int64_t bad;
    assert_int_equal(verify(f, &bad), CD_E_AUDIT);        /* ... and once recomputed, the head does */
    ASSERT_MSG(f, "the audit head does not match");
}

static void test_truncate_and_forge_head_detected(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "a");
    /* delete the newest records and move the head back, keeping its tag */
    sql(f, "DELETE FROM audit WHERE id > 4;"
           "UPDATE audit_head SET last_id = 4, n = 4, hash = (SELECT hash FROM audit WHERE id = 4)");
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);
    ASSERT_MSG(f, "the audit head does not match");
    sql(f, "DELETE FROM audit_head");
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);
    ASSERT_MSG(f, "the audit head does not match");
}

static void test_normal_use_verifies(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bulk" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 700, NULL, NULL, NULL, &f->err), CD_OK);  /* two batches */
    int64_t id = fx_cert(f, "one"), ids[3] = { 1, 2, 4 };
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 0, &f->err), CD_OK);
    assert_int_equal(cd_tag_set(f->s, f->u, CD_KIND_CERT, ids, 3, "t", 1, &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/DMZ", &f->err), CD_OK);
    assert_int_equal(cd_cert_move(f->s, f->u, ids, 3, "/All/DMZ", &f->err), CD_OK);
    int64_t missing = 99999;
    assert_int_not_equal(cd_cert_revoke(f->s, f->u, &missing, 1, 0, &f->err), CD_OK);   /* a Failure record */
    cd_user *nobody = NULL;
    assert_int_not_equal(cd_user_login(f->s, "nobody", "guess", &nobody, &f->err), CD_OK);
    int64_t n = 0, bad = 0;
    assert_int_equal(cd_audit_verify(f->s, f->u, &n, &bad, &f->err), CD_OK);
    assert_int_equal(n, one(f, "SELECT count(*) FROM audit"));
    assert_true(n > 700);
    assert_int_equal(one(f, "SELECT last_id FROM audit_head"), one(f, "SELECT max(id) FROM audit"));
    assert_int_equal(one(f, "SELECT n FROM audit_head"), n);
    fx_reopen(f);                                              /* a new session checks it the same */
    assert_int_equal(verify(f, NULL), CD_OK);
}

static void test_upgraded_schema6_store_verifies(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "old");
    sql(f, FX_UNDO_SCHEMA9 "DROP TABLE audit_head; DROP TABLE crls; DROP INDEX usage_cert; CREATE INDEX usage_cert ON usage(cert_id);"
           " PRAGMA user_version=6");
    /* without its key the upgrade cannot seal the head: it is refused, and nothing changes */
    char key[160], moved[170];
    fx_key_paths(f, key, moved);
    fx_close(f);
    assert_int_equal(rename(key, moved), 0);
    assert_int_equal(cd_store_open(f->path, 0, &f->s, &f->err), CD_E_NOKEY);
    ASSERT_MSG(f, "needs an upgrade");
    assert_int_equal(rename(moved, key), 0);
    assert_int_equal(cd_store_open(f->path, 0, &f->s, &f->err), CD_OK);
    assert_int_equal(cd_user_owner(f->s, &f->u, &f->err), CD_OK);
    assert_int_equal(one(f, "PRAGMA user_version"), SQ_SCHEMA_VERSION);
    assert_int_equal(verify(f, NULL), CD_OK);
    assert_int_equal(one(f, "SELECT last_id FROM audit_head"), one(f, "SELECT max(id) FROM audit"));
    fx_cert(f, "new");
    assert_int_equal(verify(f, NULL), CD_OK);
    sql(f, "DELETE FROM audit WHERE id = (SELECT max(id) FROM audit)");
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);
    ASSERT_MSG(f, "truncated");
}

static void test_records_written_without_the_key(void **state)
{
    struct fx *f = *state;
    char key[160], moved[170];
    fx_key_paths(f, key, moved);
    assert_int_equal(rename(key, moved), 0);
    fx_reopen(f);
    int64_t head = one(f, "SELECT last_id FROM audit_head");
    assert_int_equal(cd_tag_create(f->s, f->u, "keyless", &f->err), CD_OK);   /* needs no key */
    assert_int_equal(verify(f, NULL), CD_E_NOKEY);          /* cannot vouch without the key */
    ASSERT_MSG(f, "cannot be checked");
    assert_int_equal(rename(moved, key), 0);
    fx_reopen(f);
    int64_t bad;
    assert_int_equal(verify(f, &bad), CD_E_AUDIT);          /* not covered yet, and said so */
    ASSERT_MSG(f, "without the store key");
    assert_int_equal(bad, head + 1);
    assert_int_equal(cd_tag_create(f->s, f->u, "keyed", &f->err), CD_OK);
    assert_int_equal(verify(f, NULL), CD_OK);               /* the next keyed change covers them */
    /* ... but not silently: a record says which ones no key vouched for */
    char want[200];
    snprintf(want, sizeof want, "SELECT count(*) FROM audit WHERE action = 'Adopt unkeyed audit records'"
             " AND detail LIKE 'records %lld to %lld %%'", (long long)head + 1, (long long)head + 1);
    assert_int_equal(one(f, want), 1);
}

/* Someone who can write the file but not the key appends a record with the
 * chain recomputed: the next honest change must not bless it silently. */
static void test_forged_record_not_covered_silently(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "a");
    int64_t head = one(f, "SELECT last_id FROM audit_head");
    sql(f, "INSERT INTO audit(id, ts, user, action, object, result, detail, prev, hash)"
           " SELECT max(id) + 1, 0, 'admin', 'Revoke certificate', 'cert 1', 'Success', 'forged', '', '' FROM audit");
    attacker_rechain(f);
    assert_int_equal(verify(f, NULL), CD_E_AUDIT);
    ASSERT_MSG(f, "without the store key");
    assert_int_equal(cd_tag_create(f->s, f->u, "honest", &f->err), CD_OK);
    assert_int_equal(verify(f, NULL), CD_OK);
    char want[200];
    snprintf(want, sizeof want, "SELECT count(*) FROM audit WHERE action = 'Adopt unkeyed audit records'"
             " AND detail LIKE 'records %lld to %lld %%' AND id > %lld", (long long)head + 1, (long long)head + 1,
             (long long)head + 1);
    assert_int_equal(one(f, want), 1);
    /* the honest change's own record comes before the notice, and nothing else was adopted */
    assert_int_equal(one(f, "SELECT count(*) FROM audit WHERE action = 'Adopt unkeyed audit records'"), 1);
}

/* ---- row loops that fail midway ----------------------------------------
 * A progress handler interrupts the k-th VM step of a call, for k across
 * the whole call: each run must either fail or give the full answer, never
 * succeed with a short one. */
struct intr { long countdown, calls; };

static int on_progress(void *arg)
{
    struct intr *x = arg;
    x->calls++;
    return x->countdown > 0 && --x->countdown == 0;      /* once */
}

typedef int (*call_fn)(struct fx *f, int64_t *size);

static int call_groups(struct fx *f, int64_t *size)
{
    struct cd_group_list l;
    int rc = cd_group_list(f->s, f->u, &l, &f->err);
    if (!rc) { *size = (int64_t)l.n; cd_group_list_free(&l); }
    return rc;
}

static int call_tags(struct fx *f, int64_t *size)
{
    struct cd_tag_list l;
    int rc = cd_tag_list(f->s, f->u, &l, &f->err);
    if (!rc) { *size = (int64_t)l.n; cd_tag_list_free(&l); }
    return rc;
}

static int call_presets(struct fx *f, int64_t *size)
{
    struct cd_preset_list l;
    int rc = cd_preset_list(f->s, f->u, &l, &f->err);
    if (!rc) { *size = (int64_t)l.n; cd_preset_list_free(&l); }
    return rc;
}

static int call_users(struct fx *f, int64_t *size)
{
    struct cd_user_list l;
    int rc = cd_user_list(f->s, f->u, &l, &f->err);
    if (!rc) { *size = (int64_t)l.n; cd_user_list_free(&l); }
    return rc;
}

static int call_permsets(struct fx *f, int64_t *size)
{
    struct cd_permset_list l;
    int rc = cd_permset_list(f->s, f->u, &l, &f->err);
    if (!rc) {
        *size = 0;
        for (size_t i = 0; i < l.n; i++) *size += 1 + l.rows[i].level[CD_OT_CERTS];
        cd_permset_list_free(&l);
    }
    return rc;
}

static int call_resolve(struct fx *f, int64_t *size)
{
    /* a failed lookup must not pass for "no such certificate" */
    int rc = cd_resolve(f->s, f->u, CD_KIND_CERT, "4", size, &f->err);
    return rc == CD_E_NOTFOUND ? CD_OK : rc;
}

static int call_crl(struct fx *f, int64_t *size)
{
    unsigned char *der = NULL;
    size_t len = 0;
    int rc = cd_crl(f->s, f->u, 1, NULL, 7, 0, &der, &len, &f->err);
    if (rc) return rc;
    gnutls_x509_crl_t crl;
    gnutls_datum_t d = { der, (unsigned)len };
    gnutls_x509_crl_init(&crl);
    assert_int_equal(gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER), 0);
    *size = gnutls_x509_crl_get_crt_count(crl);
    gnutls_x509_crl_deinit(crl);
    free(der);
    return rc;
}

static struct intr x;          /* static: still valid if a failed check leaves the handler set */

static int call_usage(struct fx *f, int64_t *size)
{
    /* a failed count must not read as "not in use" (revoke asks when it is) */
    return cd_cert_usage_count(f->s, f->u, 2, size, &f->err);
}

static void no_short_success(struct fx *f, const char *what, call_fn call)
{
    int64_t full = -1, got;
    x.countdown = x.calls = 0;
    sqlite3_progress_handler(raw(f), 1, on_progress, &x);
    assert_int_equal(call(f, &full), CD_OK);
    long total = x.calls, step = total / 400 + 1, failed = 0;
    for (long k = 1; k <= total; k += step) {
        x.countdown = k;
        got = -1;
        int rc = call(f, &got);
        if (rc) failed++;
        else if (got != full) {
            sqlite3_progress_handler(raw(f), 0, NULL, NULL);
            fail_msg("%s: interrupted at step %ld of %ld it succeeded with %lld instead of %lld", what, k, total,
                     (long long)got, (long long)full);
        }
    }
    x.countdown = 0;
    sqlite3_progress_handler(raw(f), 0, NULL, NULL);
    assert_true(failed > 0);
}

/* a dozen of each kind of row, and revoked certificates for the CRL */
static void populate(struct fx *f)
{
    char name[32];
    for (int i = 0; i < 12; i++) {
        snprintf(name, sizeof name, "/All/site %02d", i);
        assert_int_equal(cd_group_add(f->s, f->u, name, &f->err), CD_OK);
        snprintf(name, sizeof name, "tag%02d", i);
        assert_int_equal(cd_tag_create(f->s, f->u, name, &f->err), CD_OK);
        snprintf(name, sizeof name, "preset%02d", i);
        assert_int_equal(cd_preset_save(f->s, f->u, name, "product:agent", NULL, NULL, &f->err), CD_OK);
        snprintf(name, sizeof name, "user%02d", i);
        assert_int_equal(cd_user_add(f->s, f->u, name, "/All", NULL, &f->err), CD_OK);
        const char *groups[] = { "/All" };
        int level[CD_OT_COUNT] = { 0 };
        level[CD_OT_CERTS] = 1 + i % 3;
        snprintf(name, sizeof name, "set%02d", i);
        assert_int_equal(cd_permset_add(f->s, f->u, name, groups, 1, level, &f->err), CD_OK);
        int64_t id = fx_cert(f, "to revoke");
        assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 0, &f->err), CD_OK);
    }
}

#define MIDWAY(name, what, fn) \
    static void name(void **state) { struct fx *f = *state; populate(f); no_short_success(f, what, fn); \
                                     assert_int_equal(verify(f, NULL), CD_OK); }
MIDWAY(test_group_list_fails_midway, "group list", call_groups)
MIDWAY(test_tag_list_fails_midway, "tag list", call_tags)
MIDWAY(test_preset_list_fails_midway, "preset list", call_presets)
MIDWAY(test_user_list_fails_midway, "user list", call_users)
MIDWAY(test_permset_list_fails_midway, "permission set list", call_permsets)
MIDWAY(test_resolve_fails_midway, "resolve", call_resolve)
MIDWAY(test_crl_fails_midway, "CRL", call_crl)

static void test_usage_count_fails_midway(void **state)
{
    struct fx *f = *state;
    sql(f, "INSERT INTO usage(cert_id, client, address, first_seen, last_seen) VALUES"
           " (2, 'agent-1', '10.0.0.1', 1, 2), (2, 'agent-2', '10.0.0.2', 1, 2)");
    no_short_success(f, "usage count", call_usage);
}

/* A failed read of the login throttle must not lift it. */
static void test_login_throttle_fails_closed_midway(void **state)
{
    struct fx *f = *state;
    cd_user *u = NULL;
    assert_int_equal(cd_user_add(f->s, f->u, "bob", "/All", "bob-password-1", &f->err), CD_OK);
    for (int i = 0; i < 4; i++) assert_int_equal(cd_user_login(f->s, "bob", "wrong", &u, &f->err), CD_E_LOGIN);
    x.countdown = x.calls = 0;
    sqlite3_progress_handler(raw(f), 1, on_progress, &x);
    assert_int_equal(cd_user_login(f->s, "bob", "bob-password-1", &u, &f->err), CD_E_LOGIN);   /* throttled */
    long total = x.calls;
    int in = 0;
    for (long k = 1; k <= total && !in; k++) {
        x.countdown = k;
        in = cd_user_login(f->s, "bob", "bob-password-1", &u, &f->err) == CD_OK;
    }
    x.countdown = 0;
    sqlite3_progress_handler(raw(f), 0, NULL, NULL);
    cd_user_free(u);
    assert_false(in);
}

/* The no-escalation check walks the set's groups and levels: a walk cut
 * short must refuse, not hand out a set wider than the giver's rights. */
static void test_escalation_check_fails_closed_midway(void **state)
{
    struct fx *f = *state;
    const char *a[] = { "/All/A" }, *all[] = { "/All" };
    int base[CD_OT_COUNT] = { 0 }, wide[CD_OT_COUNT] = { 0 };
    base[CD_OT_USERS] = CD_RIGHT_WRITE;
    base[CD_OT_CERTS] = CD_RIGHT_READ;
    wide[CD_OT_CERTS] = CD_RIGHT_WRITE;
    cd_user *bob = NULL;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_user_add(f->s, f->u, "bob", "/All/A", "bob-password-1", &f->err), CD_OK);
    assert_int_equal(cd_user_add(f->s, f->u, "carol", "/All/A", NULL, &f->err), CD_OK);
    assert_int_equal(cd_permset_add(f->s, f->u, "base", a, 1, base, &f->err), CD_OK);
    assert_int_equal(cd_permset_add(f->s, f->u, "wide", all, 1, wide, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "base", "bob", 1, &f->err), CD_OK);
    assert_int_equal(cd_user_login(f->s, "bob", "bob-password-1", &bob, &f->err), CD_OK);
    x.countdown = x.calls = 0;
    sqlite3_progress_handler(raw(f), 1, on_progress, &x);
    assert_int_equal(cd_permset_grant(f->s, bob, "wide", "carol", 1, &f->err), CD_E_FORBIDDEN);
    long total = x.calls, step = total / 400 + 1;
    int granted = 0;
    for (long k = 1; k <= total && !granted; k += step) {
        x.countdown = k;
        granted = cd_permset_grant(f->s, bob, "wide", "carol", 1, &f->err) == CD_OK;
    }
    x.countdown = 0;
    sqlite3_progress_handler(raw(f), 0, NULL, NULL);
    cd_user_free(bob);
    assert_false(granted);
    assert_int_equal(one(f, "SELECT count(*) FROM user_permsets up JOIN permsets s ON s.id = up.set_id"
                            " WHERE s.name = 'wide'"), 0);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_delete_newest_detected), T(test_delete_several_newest_detected), T(test_delete_all_detected),
        T(test_rewrite_with_recomputed_chain_detected), T(test_truncate_and_forge_head_detected),
        T(test_normal_use_verifies), T(test_upgraded_schema6_store_verifies),
        T(test_records_written_without_the_key), T(test_forged_record_not_covered_silently), T(test_group_list_fails_midway), T(test_tag_list_fails_midway),
        T(test_preset_list_fails_midway), T(test_user_list_fails_midway), T(test_permset_list_fails_midway),
        T(test_resolve_fails_midway), T(test_crl_fails_midway), T(test_escalation_check_fails_closed_midway),
        T(test_usage_count_fails_midway), T(test_login_throttle_fails_closed_midway),
    };
    return cmocka_run_group_tests_name("audit", tests, NULL, NULL);
}
