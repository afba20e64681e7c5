/* certdeck unit tests — permissions: the matrix of action × right level ×
 * where the object is, logging in, and what a user without Read sees.
 *
 * bob's home is /All/A.  A "base" set gives him Write on every object type
 * in /All/A except the type under test; a "test" set gives that type the
 * level under test (none, Read, Use, Write) in /All/A.  Objects sit in
 * /All/A (own), /All/A/Sub (subgroup) and /All/B (other).  Expected: allowed
 * exactly when the level suffices and the object is in A or below it; a
 * refusal changes nothing and leaves a Forbidden record by bob. */
#include "helpers.h"
#include <sqlite3.h>
#include "sq_int.h"

static sqlite3 *raw(struct fx *f) { return ((struct sq *)f->s->impl)->db; }

static const char *const GROUPS[] = { "/All/A", "/All/A/Sub", "/All/B" };
static const char PW[] = "bob-password-1";

struct pfx { struct fx f; cd_user *bob; int64_t ca[3]; };

static int pfx_setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct fx *f = *state;
    struct pfx *p = calloc(1, sizeof *p);
    p->f = *f;
    free(f);
    *state = p;
    f = &p->f;
    for (int i = 0; i < 3; i++)
        if (cd_group_add(f->s, f->u, GROUPS[i], &f->err)) return -1;
    if (cd_user_add(f->s, f->u, "bob", "/All/A", PW, &f->err)) return -1;
    if (cd_user_login(f->s, "bob", PW, &p->bob, &f->err)) return -1;
    for (int i = 0; i < 3; i++) {
        struct cd_ca_params c = { .subject = { .cn = "Group CA" }, .group = GROUPS[i], .keytype = CD_KEY_EC256,
                                  .days = 365 };
        if (cd_ca_new(f->s, f->u, &c, &p->ca[i], &f->err)) return -1;
    }
    return 0;
}

static int pfx_teardown(void **state)
{
    struct pfx *p = *state;
    cd_user_free(p->bob);
    struct fx *f = malloc(sizeof *f);
    *f = p->f;
    free(p);
    *state = f;
    return fx_teardown(state);
}

/* bob's rights: Write on all types but `type` in /All/A, `level` on `type`. */
static void set_rights(struct fx *f, int type, int level)
{
    cd_permset_rm(f->s, f->u, "base", NULL);
    cd_permset_rm(f->s, f->u, "test", NULL);
    const char *a[] = { "/All/A" };
    int base[CD_OT_COUNT], test[CD_OT_COUNT] = { 0 };
    for (int t = 0; t < CD_OT_COUNT; t++) base[t] = t == type ? CD_RIGHT_NONE : CD_RIGHT_WRITE;
    assert_int_equal(cd_permset_add(f->s, f->u, "base", a, 1, base, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "base", "bob", 1, &f->err), CD_OK);
    if (level) {
        test[type] = level;
        assert_int_equal(cd_permset_add(f->s, f->u, "test", a, 1, test, &f->err), CD_OK);
        assert_int_equal(cd_permset_grant(f->s, f->u, "test", "bob", 1, &f->err), CD_OK);
    }
}

/* Everything an action could change, as one string. */
static char *digest(struct fx *f)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw(f),
        "SELECT (SELECT group_concat(id || ':' || description || ':' || group_id || ':' || revoked_at, ';') FROM certs)"
        " || '|' || coalesce((SELECT group_concat(tag_id || ':' || cert_id, ';') FROM cert_tags), '')"
        " || '|' || (SELECT group_concat(id || ':' || description || ':' || group_id, ';') FROM cas)", -1, &st, NULL);
    sqlite3_step(st);
    char *d = strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    return d;
}

static void last_audit(struct fx *f, char *user, char *result)
{
    sqlite3_stmt *st;
    sqlite3_prepare_v2(raw(f), "SELECT user, result FROM audit ORDER BY id DESC LIMIT 1", -1, &st, NULL);
    sqlite3_step(st);
    snprintf(user, 64, "%s", (const char *)sqlite3_column_text(st, 0));
    snprintf(result, 64, "%s", (const char *)sqlite3_column_text(st, 1));
    sqlite3_finalize(st);
}

enum act { A_EXPORT_KEY, A_TAG, A_DESCRIBE, A_REVOKE, A_MOVE, A_ISSUE, A_CA_DESCRIBE, A_N };
static const struct { const char *name; int type, need; } acts[A_N] = {
    [A_EXPORT_KEY] = { "export key", CD_OT_CERTS, CD_RIGHT_USE },
    [A_TAG] = { "assign tag", CD_OT_TAGS, CD_RIGHT_USE },
    [A_DESCRIBE] = { "describe", CD_OT_CERTS, CD_RIGHT_WRITE },
    [A_REVOKE] = { "revoke", CD_OT_CERTS, CD_RIGHT_WRITE },
    [A_MOVE] = { "move into A", CD_OT_CERTS, CD_RIGHT_WRITE },
    [A_ISSUE] = { "issue with CA", CD_OT_CAS, CD_RIGHT_USE },
    [A_CA_DESCRIBE] = { "describe CA", CD_OT_CAS, CD_RIGHT_WRITE },
};

static int run(struct pfx *p, int act, int g, int64_t cert)
{
    struct fx *f = &p->f;
    cd_user *b = p->bob;
    unsigned char *out = NULL;
    size_t len = 0;
    int rc;
    switch (act) {
    case A_EXPORT_KEY:
        rc = cd_cert_export(f->s, b, cert, CD_EXPORT_KEY, "export-pass-1", &out, &len, &f->err);
        free(out);
        return rc;
    case A_TAG: return cd_tag_set(f->s, b, CD_KIND_CERT, &cert, 1, "matrix", 1, &f->err);
    case A_DESCRIBE: return cd_cert_describe(f->s, b, cert, "changed by bob", &f->err);
    case A_REVOKE: return cd_cert_revoke(f->s, b, &cert, 1, 1, &f->err);
    case A_MOVE: return cd_cert_move(f->s, b, &cert, 1, g == 1 ? "/All/A" : "/All/A/Sub", &f->err);
    case A_ISSUE: {
        struct cd_cert_params c = { .ca_id = p->ca[g], .product = CD_PRODUCT_AGENT, .subject = { .cn = "bob-made" },
                                    .keytype = CD_KEY_EC256, .days = 30 };
        return cd_cert_new(f->s, b, &c, 1, NULL, NULL, NULL, &f->err);
    }
    case A_CA_DESCRIBE: return cd_ca_describe(f->s, b, p->ca[g], "changed by bob", &f->err);
    }
    return -1;
}

static void test_matrix(void **state)
{
    struct pfx *p = *state;
    struct fx *f = &p->f;
    int cases = 0;
    assert_int_equal(cd_tag_create(f->s, f->u, "matrix", &f->err), CD_OK);
    for (int act = 0; act < A_N; act++)
        for (int level = CD_RIGHT_NONE; level <= CD_RIGHT_WRITE; level++) {
            set_rights(f, acts[act].type, level);
            for (int g = 0; g < 3; g++) {
                struct cd_cert_params c = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "obj" },
                                            .group = GROUPS[g], .keytype = CD_KEY_EC256, .days = 30 };
                int64_t cert = 0;
                assert_int_equal(cd_cert_new(f->s, f->u, &c, 1, NULL, NULL, &cert, &f->err), CD_OK);
                int allow = g < 2 && level >= acts[act].need;
                char *before = digest(f);
                int rc = run(p, act, g, cert);
                char *after = digest(f);
                char user[64], result[64];
                last_audit(f, user, result);
                if (allow && rc != CD_OK)
                    fail_msg("%s, %s, object in %s: refused (%s)", acts[act].name, cd_right_name(level), GROUPS[g],
                             f->err.msg);
                if (!allow) {
                    /* an object bob may not even read is, to him, not there
                     * (the record still says Forbidden, checked below) */
                    if (rc != CD_E_FORBIDDEN && !(rc == CD_E_NOTFOUND && !strncmp(f->err.msg, "no ", 3) &&
                                                  strstr(f->err.msg, " with ID ")))
                        fail_msg("%s, %s, object in %s: rc %d (%s), expected Forbidden or not found", acts[act].name,
                                 cd_right_name(level), GROUPS[g], rc, f->err.msg);
                    if (strcmp(before, after))
                        fail_msg("%s, %s, object in %s: refused but changed the store", acts[act].name,
                                 cd_right_name(level), GROUPS[g]);
                    if (strcmp(user, "bob") || strcmp(result, "Forbidden"))
                        fail_msg("%s, %s, object in %s: last audit record %s/%s", acts[act].name,
                                 cd_right_name(level), GROUPS[g], user, result);
                } else if (act != A_EXPORT_KEY && !strcmp(before, after)) {
                    fail_msg("%s, %s, object in %s: allowed but nothing changed", acts[act].name,
                             cd_right_name(level), GROUPS[g]);
                }
                free(before);
                free(after);
                cases++;
            }
        }
    assert_int_equal(cases, A_N * 4 * 3);
}

/* Without Read on /All/B, nothing of B shows: lists, counts, filters, tag
 * counts, group counts, exports, audit records. */
static void test_no_read_sees_nothing(void **state)
{
    struct pfx *p = *state;
    struct fx *f = &p->f;
    set_rights(f, CD_OT_USERS, CD_RIGHT_READ);
    const char *tags[] = { "secret", NULL };
    struct cd_cert_params c = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "hidden-b" },
                                .group = "/All/B", .keytype = CD_KEY_EC256, .days = 30, .tags = tags };
    int64_t ids[5];
    assert_int_equal(cd_cert_new(f->s, f->u, &c, 5, NULL, NULL, ids, &f->err), CD_OK);
    c.group = "/All/A";
    c.subject.cn = "seen-a";
    assert_int_equal(cd_cert_new(f->s, f->u, &c, 2, NULL, NULL, NULL, &f->err), CD_OK);
    struct cd_query q = { .filter = "hidden", .revoked = 1 };
    int64_t n = -1;
    assert_int_equal(cd_cert_count(f->s, p->bob, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 0);
    q.filter = "";
    assert_int_equal(cd_cert_count(f->s, p->bob, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 2);                              /* the two in A, nothing of B or All */
    struct cd_cert_list l;
    q.filter = "tag:secret";
    assert_int_equal(cd_cert_list(f->s, p->bob, &q, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 2);
    for (size_t i = 0; i < l.n; i++) assert_string_equal(l.rows[i].group, "/All/A");
    cd_cert_list_free(&l);
    struct cd_tag_list tl;
    assert_int_equal(cd_tag_list(f->s, p->bob, &tl, &f->err), CD_OK);
    for (size_t i = 0; i < tl.n; i++)
        if (!strcmp(tl.rows[i].name, "secret")) assert_int_equal(tl.rows[i].certs, 2);
    cd_tag_list_free(&tl);
    struct cd_group_list gl;
    assert_int_equal(cd_group_list(f->s, p->bob, &gl, &f->err), CD_OK);
    for (size_t i = 0; i < gl.n; i++) {
        assert_null(strstr(gl.rows[i].path, "/All/B"));
        if (!strcmp(gl.rows[i].path, "/All")) assert_int_equal(gl.rows[i].certs, 0);   /* no Read on All */
    }
    cd_group_list_free(&gl);
    unsigned char *out = NULL;
    size_t len;
    /* exactly what a missing ID gets: not even that it exists */
    struct cd_err missing = { 0 };
    char want[80];
    snprintf(want, sizeof want, "no certificate with ID %lld", (long long)ids[0]);
    assert_int_equal(cd_cert_export(f->s, p->bob, ids[0], CD_EXPORT_PEM, NULL, &out, &len, &f->err), CD_E_NOTFOUND);
    assert_string_equal(f->err.msg, want);
    assert_int_equal(cd_cert_export(f->s, p->bob, 999999, CD_EXPORT_PEM, NULL, &out, &len, &missing), CD_E_NOTFOUND);
    assert_string_equal(missing.msg, "no certificate with ID 999999");
    struct cd_cert cert;
    assert_int_equal(cd_cert_get(f->s, p->bob, ids[0], &cert, &f->err), CD_E_NOTFOUND);
    /* a CA bob sees counts only the certificates bob sees */
    struct cd_cert_params cb = { .ca_id = p->ca[0], .product = CD_PRODUCT_AGENT, .subject = { .cn = "from-a-ca" },
                                 .group = "/All/B", .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &cb, 3, NULL, NULL, NULL, &f->err), CD_OK);
    struct cd_ca ca;
    assert_int_equal(cd_ca_get(f->s, p->bob, p->ca[0], &ca, &f->err), CD_OK);
    assert_int_equal(ca.cert_count, 0);
    cd_ca_clear(&ca);
    assert_int_equal(cd_ca_get(f->s, f->u, p->ca[0], &ca, &f->err), CD_OK);
    assert_int_equal(ca.cert_count, 3);
    cd_ca_clear(&ca);
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(f->s, p->bob, NULL, NULL, 0, &al, &f->err), CD_OK);
    char obj[32];
    snprintf(obj, sizeof obj, "cert %lld", (long long)ids[0]);
    for (size_t i = 0; i < al.n; i++) {
        assert_string_not_equal(al.rows[i].object, obj);
        assert_string_not_equal(al.rows[i].object, "/All/B");
    }
    cd_audit_list_free(&al);
    /* the administrator sees them all, and the filter narrows the log */
    assert_int_equal(cd_cert_describe(f->s, p->bob, ids[0], "mine now", &f->err), CD_E_NOTFOUND);
    assert_int_equal(cd_audit_list(f->s, f->u, NULL, "result=Forbidden user=bob", 0, &al, &f->err), CD_OK);
    assert_true(al.n >= 1);
    for (size_t i = 0; i < al.n; i++) assert_string_equal(al.rows[i].result, "Forbidden");
    cd_audit_list_free(&al);
}

static void test_login(void **state)
{
    struct pfx *p = *state;
    struct fx *f = &p->f;
    cd_user *u = NULL;
    struct cd_err e1 = { 0 }, e2 = { 0 };
    assert_int_equal(cd_user_login(f->s, "bob", "wrong-password", &u, &e1), CD_E_LOGIN);
    assert_int_equal(cd_user_login(f->s, "nobody", "wrong-password", &u, &e2), CD_E_LOGIN);
    assert_null(u);
    assert_string_equal(e1.msg, e2.msg);                 /* no telling whether the user exists */
    assert_int_equal(cd_user_login(f->s, "bob", "wrong-again", &u, &e1), CD_E_LOGIN);
    assert_int_equal(cd_user_login(f->s, "bob", "wrong-thrice", &u, &e1), CD_E_LOGIN);
    /* the fourth failure starts the wait: now even the right password waits */
    assert_int_equal(cd_user_login(f->s, "bob", "wrong-four", &u, &e1), CD_E_LOGIN);
    assert_int_equal(cd_user_login(f->s, "bob", PW, &u, &e1), CD_E_LOGIN);
    assert_non_null(strstr(e1.msg, "try again in"));
    for (int i = 0; i < 4; i++) cd_user_login(f->s, "nobody", "x", &u, &e2);
    assert_int_equal(cd_user_login(f->s, "nobody", "x", &u, &e2), CD_E_LOGIN);
    assert_non_null(strstr(e2.msg, "try again in"));    /* the same for a name that does not exist */
    sqlite3_exec(raw(f), "UPDATE login_fails SET until = 0", NULL, NULL, NULL);   /* the wait is over */
    assert_int_equal(cd_user_login(f->s, "bob", PW, &u, &e1), CD_OK);
    cd_user_free(u);
    /* disabled: refused; enabled again: in */
    assert_int_equal(cd_user_set_disabled(f->s, f->u, "bob", 1, &f->err), CD_OK);
    assert_int_equal(cd_user_login(f->s, "bob", PW, &u, &e1), CD_E_LOGIN);
    assert_int_equal(cd_user_set_disabled(f->s, f->u, "bob", 0, &f->err), CD_OK);
    /* own password: the old one is needed */
    assert_int_equal(cd_user_passwd(f->s, p->bob, "bob", "not-it", "new-password-2", &f->err), CD_E_PASSPHRASE);
    assert_int_equal(cd_user_passwd(f->s, p->bob, "bob", PW, "new-password-2", &f->err), CD_OK);
    assert_int_equal(cd_user_login(f->s, "bob", "new-password-2", &u, &e1), CD_OK);
    cd_user_free(u);
}

/* No one grants what they do not hold. */
static void test_no_escalation(void **state)
{
    struct pfx *p = *state;
    struct fx *f = &p->f;
    set_rights(f, CD_OT_CERTS, CD_RIGHT_READ);          /* Write on users etc. in A, Read on certificates */
    const char *a[] = { "/All/A" }, *all[] = { "/All" };
    int lv[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_WRITE };
    assert_int_equal(cd_permset_add(f->s, p->bob, "more", a, 1, lv, &f->err), CD_E_FORBIDDEN);
    lv[CD_OT_CERTS] = CD_RIGHT_READ;
    assert_int_equal(cd_permset_add(f->s, p->bob, "wide", all, 1, lv, &f->err), CD_E_FORBIDDEN);
    assert_int_equal(cd_permset_add(f->s, p->bob, "same", a, 1, lv, &f->err), CD_OK);
    assert_int_equal(cd_user_add(f->s, p->bob, "carol", "/All/A/Sub", "carol-password", &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, p->bob, "same", "carol", 1, &f->err), CD_OK);
    /* /All/B, where bob may read nothing, is to him no group at all */
    assert_int_equal(cd_user_add(f->s, p->bob, "dave", "/All/B", "dave-password", &f->err), CD_E_NOTFOUND);
    assert_string_equal(f->err.msg, "no access group \"/All/B\" (paths look like /All/San Diego)");
    assert_int_equal(cd_user_set_disabled(f->s, p->bob, "admin", 1, &f->err), CD_E_FORBIDDEN);
    assert_int_equal(cd_permset_grant(f->s, p->bob, "base", "bob", 0, &f->err), CD_OK);   /* may drop its own */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_matrix, pfx_setup, pfx_teardown),
        cmocka_unit_test_setup_teardown(test_no_read_sees_nothing, pfx_setup, pfx_teardown),
        cmocka_unit_test_setup_teardown(test_login, pfx_setup, pfx_teardown),
        cmocka_unit_test_setup_teardown(test_no_escalation, pfx_setup, pfx_teardown),
    };
    return cmocka_run_group_tests_name("permissions", tests, NULL, NULL);
}
