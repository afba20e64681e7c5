/* certdeck unit tests — the one action map (CD_ACTION_LIST, cd_user_may)
 * agrees with the core: for every action, every right it needs and every
 * level of that right, cd_user_may says yes exactly when the real call
 * succeeds; on a read-only store it says "read-only" exactly for the
 * actions that then fail with CD_E_READONLY.
 *
 * bob's home is /All/A.  A "base" set gives him Write on every type but the
 * one under test in /All; a "test" set gives that type the level under
 * test.  Objects are made fresh by the administrator in /All/A for each
 * case, so every call has something to act on. */
#include "helpers.h"
#include <sqlite3.h>
#include "sq_int.h"

static const char PW[] = "bob-password-1";

struct mx { struct fx f; cd_user *bob; int64_t ca_a; int n; };

static int mx_setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct mx *m = calloc(1, sizeof *m);
    m->f = *(struct fx *)*state;
    free(*state);
    *state = m;
    struct fx *f = &m->f;
    if (cd_group_add(f->s, f->u, "/All/A", &f->err) || cd_group_add(f->s, f->u, "/All/A/Sub", &f->err)) return -1;
    if (cd_user_add(f->s, f->u, "bob", "/All/A", PW, &f->err)) return -1;
    if (cd_user_login(f->s, "bob", PW, &m->bob, &f->err)) return -1;
    struct cd_ca_params c = { .subject = { .cn = "A CA" }, .group = "/All/A", .keytype = CD_KEY_EC256, .days = 365 };
    if (cd_ca_new(f->s, f->u, &c, &m->ca_a, &f->err)) return -1;
    if (cd_tag_create(f->s, f->u, "t", &f->err)) return -1;
    /* bob's own preset, to share */
    sqlite3 *db = ((struct sq *)f->s->impl)->db;
    if (sqlite3_exec(db, "INSERT INTO presets(user_id, name, expr, group_id) SELECT id, 'mine', '', home"
                         " FROM users WHERE name = 'bob'", NULL, NULL, NULL) != SQLITE_OK) return -1;
    return 0;
}

static int mx_teardown(void **state)
{
    struct mx *m = *state;
    cd_user_free(m->bob);
    struct fx *f = malloc(sizeof *f);
    *f = m->f;
    free(m);
    *state = f;
    return fx_teardown(state);
}

static void set_rights(struct fx *f, int type, int level)
{
    cd_permset_rm(f->s, f->u, "base", NULL);
    cd_permset_rm(f->s, f->u, "test", NULL);
    const char *all[] = { "/All" };
    int base[CD_OT_COUNT], test[CD_OT_COUNT] = { 0 };
    for (int t = 0; t < CD_OT_COUNT; t++) base[t] = t == type ? CD_RIGHT_NONE : CD_RIGHT_WRITE;
    assert_int_equal(cd_permset_add(f->s, f->u, "base", all, 1, base, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "base", "bob", 1, &f->err), CD_OK);
    if (level) {
        test[type] = level;
        assert_int_equal(cd_permset_add(f->s, f->u, "test", all, 1, test, &f->err), CD_OK);
        assert_int_equal(cd_permset_grant(f->s, f->u, "test", "bob", 1, &f->err), CD_OK);
    }
}

static int64_t admin_cert(struct mx *m)
{
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "obj" },
                                .group = "/All/A", .keytype = CD_KEY_EC256, .days = 30 };
    int64_t id = 0;
    assert_int_equal(cd_cert_new(m->f.s, m->f.u, &p, 1, NULL, NULL, &id, &m->f.err), CD_OK);
    return id;
}

static int64_t admin_ca(struct mx *m)
{
    struct cd_ca_params c = { .subject = { .cn = "fresh CA" }, .group = "/All/A", .keytype = CD_KEY_EC256, .days = 365 };
    int64_t id = 0;
    assert_int_equal(cd_ca_new(m->f.s, m->f.u, &c, &id, &m->f.err), CD_OK);
    return id;
}

/* What the front end would ask for the action (some need two answers). */
static int predict(struct mx *m, cd_store *s, cd_user *b, int act, char *why, size_t n)
{
    (void)m;
    switch (act) {
    case CD_ACT_CERT_NEW: case CD_ACT_CA_ISSUE:
        return cd_user_may(s, b, CD_ACT_CERT_NEW, NULL, why, n) && cd_user_may(s, b, CD_ACT_CA_ISSUE, "/All/A", why, n);
    case CD_ACT_CERT_MOVE: case CD_ACT_CA_MOVE:
        return cd_user_may(s, b, act, "/All/A", why, n) && cd_user_may(s, b, act, "/All/A/Sub", why, n);
    case CD_ACT_MIRROR_PUBLISH:
        /* and Use on the signing CA (a right, not an action: publishing
         * changes nothing in the store) */
        return cd_user_may(s, b, act, NULL, why, n) && cd_user_can(s, b, CD_OT_CAS, CD_RIGHT_USE, "/All/A", why, n);
    }
    return cd_user_may(s, b, act, "/All/A", why, n);
}

/* The real call, on fresh objects. */
static int real(struct mx *m, cd_store *s, cd_user *b, int act, struct cd_err *e)
{
    struct fx *f = &m->f;
    char name[32];
    snprintf(name, sizeof name, "x%d", ++m->n);
    unsigned char *out = NULL;
    size_t len = 0;
    int64_t id;
    int rc;
    switch (act) {
    case CD_ACT_CERT_NEW: case CD_ACT_CA_ISSUE: {
        struct cd_cert_params p = { .ca_id = m->ca_a, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bob-made" },
                                    .keytype = CD_KEY_EC256, .days = 30 };
        return cd_cert_new(s, b, &p, 1, NULL, NULL, NULL, e);
    }
    case CD_ACT_CERT_EXPORT: case CD_ACT_CERT_EXPORT_KEY:
        rc = cd_cert_export(s, b, admin_cert(m), act == CD_ACT_CERT_EXPORT ? CD_EXPORT_PEM : CD_EXPORT_KEY,
                            "export-pass-1", &out, &len, e);
        free(out);
        return rc;
    case CD_ACT_CERT_REVOKE: id = admin_cert(m); return cd_cert_revoke(s, b, &id, 1, 1, e);
    case CD_ACT_CERT_DESCRIBE: return cd_cert_describe(s, b, admin_cert(m), "by bob", e);
    case CD_ACT_CERT_MOVE: id = admin_cert(m); return cd_cert_move(s, b, &id, 1, "/All/A/Sub", e);
    case CD_ACT_CERT_TAG: id = admin_cert(m); return cd_tag_set(s, b, CD_KIND_CERT, &id, 1, "t", 1, e);
    case CD_ACT_CA_NEW: {
        struct cd_ca_params c = { .subject = { .cn = "bob CA" }, .keytype = CD_KEY_EC256, .days = 365 };
        return cd_ca_new(s, b, &c, NULL, e);
    }
    case CD_ACT_CA_IMPORT: {
        char *pem = NULL;
        id = admin_ca(m);
        assert_int_equal(cd_ca_export(f->s, f->u, id, &pem, &len, &f->err), CD_OK);
        assert_int_equal(cd_ca_delete(f->s, f->u, id, &f->err), CD_OK);
        rc = cd_ca_import(s, b, pem, len, "imported", NULL, NULL, e);
        free(pem);
        return rc;
    }
    case CD_ACT_CA_EXPORT: {
        char *pem = NULL;
        rc = cd_ca_export(s, b, m->ca_a, &pem, &len, e);
        free(pem);
        return rc;
    }
    case CD_ACT_CA_CRL:
        rc = cd_crl(s, b, m->ca_a, NULL, 7, 1, &out, &len, e);
        free(out);
        return rc;
    case CD_ACT_CA_DESCRIBE: return cd_ca_describe(s, b, m->ca_a, "by bob", e);
    case CD_ACT_CA_MOVE: return cd_ca_move(s, b, admin_ca(m), "/All/A/Sub", e);
    case CD_ACT_CA_DELETE: return cd_ca_delete(s, b, admin_ca(m), e);
    case CD_ACT_CA_TAG: return cd_tag_set(s, b, CD_KIND_CA, &m->ca_a, 1, "t", 1, e);
    case CD_ACT_TAG_CREATE: return cd_tag_create(s, b, name, e);
    case CD_ACT_TAG_DELETE:
        assert_int_equal(cd_tag_create(f->s, f->u, name, &f->err), CD_OK);
        return cd_tag_delete(s, b, name, e);
    case CD_ACT_PRESET_SAVE: return cd_preset_save(s, b, name, "product:agent", NULL, NULL, e);
    case CD_ACT_PRESET_SHARE: return cd_preset_share(s, b, "mine", m->n % 2, e);
    case CD_ACT_PRESET_RM:
        assert_int_equal(sqlite3_exec(((struct sq *)f->s->impl)->db, "INSERT INTO presets(user_id, name, expr,"
                         " group_id) SELECT id, 'gone', '', home FROM users WHERE name = 'bob'", NULL, NULL, NULL), SQLITE_OK);
        rc = cd_preset_rm(s, b, "gone", e);
        sqlite3_exec(((struct sq *)f->s->impl)->db, "DELETE FROM presets WHERE name = 'gone'", NULL, NULL, NULL);
        return rc;
    case CD_ACT_GROUP_ADD: {
        char path[64];
        snprintf(path, sizeof path, "/All/A/%s", name);
        return cd_group_add(s, b, path, e);
    }
    case CD_ACT_GROUP_RM:
        assert_int_equal(cd_group_add(f->s, f->u, "/All/A/gone", &f->err), CD_OK);
        rc = cd_group_rm(s, b, "/All/A/gone", e);
        cd_group_rm(f->s, f->u, "/All/A/gone", NULL);
        return rc;
    case CD_ACT_USER_ADD: return cd_user_add(s, b, name, "/All/A", NULL, e);
    case CD_ACT_USER_MANAGE:
        assert_int_equal(cd_user_add(f->s, f->u, name, "/All/A", NULL, &f->err), CD_OK);
        return cd_user_set_disabled(s, b, name, 1, e);
    case CD_ACT_PERMSET: {
        const char *g[] = { "/All/A" };
        int lv[CD_OT_COUNT] = { [CD_OT_USERS] = CD_RIGHT_READ };
        return cd_permset_add(s, b, name, g, 1, lv, e);
    }
    case CD_ACT_SERVER_SETTINGS: return cd_client_unauth_set(s, b, m->n % 2, e);
    case CD_ACT_MIRROR_PUBLISH: {
        char dir[128];
        snprintf(dir, sizeof dir, "%s/mirror", f->dir);
        struct cd_mirror_publish_opts o = { .sign_ca = m->ca_a };
        struct cd_mirror_published r;
        return cd_mirror_publish(s, b, dir, &o, &r, e);
    }
    }
    fail_msg("action %d (%s) has no real call in this test", act, cd_action_name(act));
    return -1;
}

static void test_map_agrees_with_core(void **state)
{
    struct mx *m = *state;
    struct fx *f = &m->f;
    int cases = 0;
    for (int act = 0; act < CD_ACT_COUNT; act++) {
        const struct cdi_action *a = cdi_action(act);
        assert_non_null(a);
        /* every type this action (with its companion check) depends on */
        int types[2] = { a->otype, a->right2 != CD_RIGHT_NONE ? a->otype2 : -1 };
        for (int k = 0; k < 2; k++) {
            if (types[k] < 0) continue;
            for (int level = CD_RIGHT_NONE; level <= CD_RIGHT_WRITE; level++) {
                set_rights(f, types[k], level);
                char why[256] = "";
                struct cd_err e = { 0 };
                int may = predict(m, f->s, m->bob, act, why, sizeof why);
                int rc = real(m, f->s, m->bob, act, &e);
                if (may != (rc == CD_OK))
                    fail_msg("%s with %s on %s: cd_user_may says %s (%s), the core %s (%s)", cd_action_name(act),
                             cd_right_name(level), cd_otype_name(types[k]), may ? "yes" : "no", why,
                             rc ? "refuses" : "does it", e.msg);
                if (!may) {
                    /* not found: bob may not even read the object (sq_obj_may) */
                    if (rc != CD_E_FORBIDDEN && rc != CD_E_NOTFOUND)
                        fail_msg("%s: refused with rc %d (%s)", cd_action_name(act), rc, e.msg);
                    assert_true(why[0] != 0);
                }
                cases++;
            }
        }
    }
    assert_true(cases >= CD_ACT_COUNT * 4);
}

static void test_map_read_only(void **state)
{
    struct mx *m = *state;
    struct fx *f = &m->f;
    set_rights(f, CD_OT_USERS, CD_RIGHT_WRITE);          /* bob holds everything in /All */
    cd_store *ro = NULL;
    cd_user *b = NULL;
    assert_int_equal(cd_store_open(f->path, CD_OPEN_READONLY, &ro, &f->err), CD_OK);
    assert_true(cd_store_readonly(ro));
    assert_false(cd_store_readonly(f->s));
    assert_int_equal(cd_user_login(ro, "bob", PW, &b, &f->err), CD_OK);
    for (int act = 0; act < CD_ACT_COUNT; act++) {
        char why[256] = "";
        struct cd_err e = { 0 };
        int may = predict(m, ro, b, act, why, sizeof why);
        int rc = real(m, ro, b, act, &e);
        if (cdi_action(act)->changes) {
            if (may || strncmp(why, "read-only", 9))
                fail_msg("%s on a read-only store: cd_user_may says %s (%s)", cd_action_name(act), may ? "yes" : "no", why);
            if (rc != CD_E_READONLY || strncmp(e.msg, "read-only", 9))
                fail_msg("%s on a read-only store: rc %d (%s)", cd_action_name(act), rc, e.msg);
        } else if (!may || rc != CD_OK) {
            fail_msg("%s (no change) on a read-only store: may %d, rc %d (%s)", cd_action_name(act), may, rc, e.msg);
        }
    }
    /* below the core's own checks, SQLite refuses too, also after the
     * key exports and the log-in above lifted it for their records */
    sqlite3 *db = ((struct sq *)ro->impl)->db;
    assert_int_not_equal(sqlite3_exec(db, "DELETE FROM audit", NULL, NULL, NULL), SQLITE_OK);
    assert_int_not_equal(sqlite3_exec(db, "UPDATE certs SET description = 'raw'", NULL, NULL, NULL), SQLITE_OK);
    cd_user_free(b);
    cd_store_close(ro);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_map_agrees_with_core, mx_setup, mx_teardown),
        cmocka_unit_test_setup_teardown(test_map_read_only, mx_setup, mx_teardown),
    };
    return cmocka_run_group_tests_name("action map", tests, NULL, NULL);
}
