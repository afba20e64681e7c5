/* certdeck unit tests — who may act as whom, and what a user learns of
 * what it cannot read (issue 9, sections 2 and 3): the implicit
 * administrator is the store file's owner only; acting on a user needs
 * every right that user holds; a hidden object (or group) answers exactly
 * as a missing one; the audit log does not name what the reader cannot
 * read. */
#include "helpers.h"
#include <sys/stat.h>

static const char PW[] = "user-password-1";

static cd_user *add_login(struct fx *f, const char *name, const char *home)
{
    cd_user *u = NULL;
    assert_int_equal(cd_user_add(f->s, f->u, name, home, PW, &f->err), CD_OK);
    assert_int_equal(cd_user_login(f->s, name, PW, &u, &f->err), CD_OK);
    return u;
}

/* a set `name` with the same level on every type in one group, held by user */
static void give(struct fx *f, const char *name, const char *group, int level, const char *user)
{
    const char *g[] = { group };
    int lv[CD_OT_COUNT];
    for (int t = 0; t < CD_OT_COUNT; t++) lv[t] = level;
    assert_int_equal(cd_permset_add(f->s, f->u, name, g, 1, lv, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, name, user, 1, &f->err), CD_OK);
}

static void test_owner_only(void **state)
{
    struct fx *f = *state;
    cd_user *u = NULL;
    if (geteuid() != 0 || chown(f->path, 65534, (gid_t)-1)) skip();
    assert_int_equal(cd_user_owner(f->s, &u, &f->err), CD_E_FORBIDDEN);
    assert_null(u);
    assert_non_null(strstr(f->err.msg, "--user"));
    assert_int_equal(chown(f->path, geteuid(), (gid_t)-1), 0);
    assert_int_equal(cd_user_owner(f->s, &u, &f->err), CD_OK);
    assert_true(cd_user_is_admin(u));
    cd_user_free(u);
}

/* The escalation of the issue: Write on users in a subgroup let mallory
 * reset a stronger user's password, log in as it, and take everything. */
static void test_no_acting_on_stronger_users(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A/Sub", &f->err), CD_OK);
    cd_user *m = add_login(f, "mallory", "/All/A");
    const char *sub[] = { "/All/A/Sub" };
    int lv[CD_OT_COUNT] = { [CD_OT_USERS] = CD_RIGHT_WRITE };
    assert_int_equal(cd_permset_add(f->s, f->u, "subusers", sub, 1, lv, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "subusers", "mallory", 1, &f->err), CD_OK);
    assert_int_equal(cd_user_add(f->s, f->u, "victor", "/All/A/Sub", PW, &f->err), CD_OK);
    give(f, "everything", "/All", CD_RIGHT_WRITE, "victor");
    /* every way of acting on victor is refused, and victor keeps working */
    assert_int_equal(cd_user_passwd(f->s, m, "victor", NULL, "mallory-knows-1", &f->err), CD_E_FORBIDDEN);
    assert_int_equal(cd_user_set_disabled(f->s, m, "victor", 1, &f->err), CD_E_FORBIDDEN);
    assert_int_equal(cd_user_rm(f->s, m, "victor", &f->err), CD_E_FORBIDDEN);
    assert_int_equal(cd_permset_grant(f->s, m, "subusers", "victor", 0, &f->err), CD_E_FORBIDDEN);
    assert_int_equal(cd_permset_grant(f->s, m, "everything", "victor", 0, &f->err), CD_E_FORBIDDEN);
    cd_user *v = NULL;
    assert_int_equal(cd_user_login(f->s, "victor", "mallory-knows-1", &v, &f->err), CD_E_LOGIN);
    assert_int_equal(cd_user_login(f->s, "victor", PW, &v, &f->err), CD_OK);
    cd_user_free(v);
    /* a user holding nothing mallory lacks is still hers to manage */
    assert_int_equal(cd_user_add(f->s, m, "wendy", "/All/A/Sub", PW, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "subusers", "wendy", 1, &f->err), CD_OK);
    assert_int_equal(cd_user_passwd(f->s, m, "wendy", NULL, "new-password-2", &f->err), CD_OK);
    assert_int_equal(cd_user_set_disabled(f->s, m, "wendy", 1, &f->err), CD_OK);
    assert_int_equal(cd_user_set_disabled(f->s, m, "wendy", 0, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, m, "subusers", "wendy", 0, &f->err), CD_OK);
    /* one right more than mallory (Read on certificates in Sub) is enough to stop her */
    int rd[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_READ };
    assert_int_equal(cd_permset_add(f->s, f->u, "subread", sub, 1, rd, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "subread", "wendy", 1, &f->err), CD_OK);
    assert_int_equal(cd_user_rm(f->s, m, "wendy", &f->err), CD_E_FORBIDDEN);
    assert_non_null(strstr(f->err.msg, "wendy"));
    cd_user_free(m);
}

/* Hidden and missing give the same status and the same words, by ID, by
 * serial prefix and by fingerprint prefix. */
static void test_resolve_hidden_as_missing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/B", &f->err), CD_OK);
    cd_user *b = add_login(f, "bob", "/All/A");
    give(f, "a", "/All/A", CD_RIGHT_WRITE, "bob");
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "hidden" },
                                .group = "/All/B", .keytype = CD_KEY_EC256, .days = 30 };
    int64_t id = 0, got = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), CD_OK);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, id, &c, &f->err), CD_OK);
    char ref[3][80], missing[3][80];
    snprintf(ref[0], sizeof ref[0], "%lld", (long long)id);
    snprintf(missing[0], sizeof missing[0], "%lld", (long long)id + 1000);
    snprintf(ref[1], sizeof ref[1], "%.12s", c.serial);
    snprintf(ref[2], sizeof ref[2], "%.12s", c.fingerprint);
    cd_cert_clear(&c);
    /* the same length of hex that matches nothing (a serial of this store
     * never starts with 12 zeros... almost; fall back to the fingerprint's) */
    snprintf(missing[1], sizeof missing[1], "000000000000");
    snprintf(missing[2], sizeof missing[2], "000000000000");
    for (int i = 0; i < 3; i++) {
        struct cd_err eh = { 0 }, em = { 0 };
        int rh = cd_resolve(f->s, b, CD_KIND_CERT, ref[i], &got, &eh);
        int rm = cd_resolve(f->s, b, CD_KIND_CERT, missing[i], &got, &em);
        assert_int_equal(rh, CD_E_NOTFOUND);
        assert_int_equal(rh, rm);
        /* the words, with the reference itself taken out */
        char *ph = strstr(eh.msg, ref[i]), *pm = strstr(em.msg, missing[i]);
        assert_non_null(ph);
        assert_non_null(pm);
        assert_int_equal(ph - eh.msg, pm - em.msg);
        assert_memory_equal(eh.msg, em.msg, (size_t)(ph - eh.msg));
        assert_string_equal(ph + strlen(ref[i]), pm + strlen(missing[i]));
        /* the administrator finds it */
        assert_int_equal(cd_resolve(f->s, f->u, CD_KIND_CERT, ref[i], &got, &f->err), CD_OK);
        assert_int_equal(got, id);
    }
    cd_user_free(b);
}

/* bob's own records about objects he cannot read keep no name of them. */
static void test_audit_hides_names(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/B", &f->err), CD_OK);
    cd_user *b = add_login(f, "bob", "/All/A");
    give(f, "a", "/All/A", CD_RIGHT_WRITE, "bob");
    struct cd_ca_params cp = { .subject = { .cn = "Secret-CA-Name" }, .group = "/All/B", .keytype = CD_KEY_EC256,
                               .days = 365 };
    int64_t ca = 0, cert = 0;
    assert_int_equal(cd_ca_new(f->s, f->u, &cp, &ca, &f->err), CD_OK);
    /* reads the CN, then refuses: as for a CA that is not there */
    char want[64];
    snprintf(want, sizeof want, "no CA with ID %lld", (long long)ca);
    assert_int_equal(cd_ca_delete(f->s, b, ca, &f->err), CD_E_NOTFOUND);
    assert_string_equal(f->err.msg, want);
    /* a certificate bob made, moved out of his sight since */
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "moved-away-cn" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    give(f, "useca", "/All", CD_RIGHT_USE, "bob");
    cd_user_free(b);
    assert_int_equal(cd_user_login(f->s, "bob", PW, &b, &f->err), CD_OK);
    assert_int_equal(cd_cert_new(f->s, b, &p, 1, NULL, NULL, &cert, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "useca", "bob", 0, &f->err), CD_OK);
    assert_int_equal(cd_cert_move(f->s, f->u, &cert, 1, "/All/B", &f->err), CD_OK);
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(f->s, b, NULL, NULL, 0, &al, &f->err), CD_OK);
    char caobj[32], certobj[32];
    snprintf(caobj, sizeof caobj, "ca %lld", (long long)ca);
    snprintf(certobj, sizeof certobj, "cert %lld", (long long)cert);
    int saw_ca = 0, saw_cert = 0, saw_login = 0;
    for (size_t i = 0; i < al.n; i++) {
        const struct cd_audit *r = &al.rows[i];
        assert_null(strstr(r->detail, "Secret-CA-Name"));
        assert_null(strstr(r->detail, "moved-away-cn"));
        assert_null(strstr(r->object, "/All/B"));
        saw_ca |= !strcmp(r->object, caobj) && !strcmp(r->user, "bob");
        saw_cert |= !strcmp(r->object, certobj) && !strcmp(r->user, "bob");
        saw_login |= !strcmp(r->object, "user bob") && !strcmp(r->action, "Log in");
    }
    assert_true(saw_ca);        /* his own records are still there, */
    assert_true(saw_cert);      /* only without the names */
    assert_true(saw_login);     /* and his own name is no secret to him */
    cd_audit_list_free(&al);
    /* nor can a filter over the detail guess them */
    assert_int_equal(cd_audit_list(f->s, b, NULL, "Secret-CA", 0, &al, &f->err), CD_OK);
    assert_int_equal(al.n, 0);
    cd_audit_list_free(&al);
    assert_int_equal(cd_audit_list(f->s, b, NULL, "moved-away", 0, &al, &f->err), CD_OK);
    assert_int_equal(al.n, 0);
    cd_audit_list_free(&al);
    /* the administrator still reads everything */
    assert_int_equal(cd_audit_list(f->s, f->u, NULL, "Secret-CA", 0, &al, &f->err), CD_OK);
    assert_true(al.n >= 2);
    cd_audit_list_free(&al);
    cd_user_free(b);
}

/* Every call that takes an ID answers a hidden object as a missing one;
 * the administrator's log still shows the attempt as Forbidden, and bob's
 * own view of it says no more than for a missing ID. */
static void test_by_id_hidden_as_missing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/B", &f->err), CD_OK);
    cd_user *b = add_login(f, "bob", "/All/A");
    give(f, "a", "/All/A", CD_RIGHT_WRITE, "bob");
    struct cd_ca_params cp = { .subject = { .cn = "B CA" }, .group = "/All/B", .keytype = CD_KEY_EC256, .days = 365 };
    int64_t ca = 0, cert = 0, gone = 999999;
    assert_int_equal(cd_ca_new(f->s, f->u, &cp, &ca, &f->err), CD_OK);
    struct cd_cert_params p = { .ca_id = ca, .product = CD_PRODUCT_AGENT, .subject = { .cn = "in-b" },
                                .group = "/All/B", .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &cert, &f->err), CD_OK);
    for (int op = 0; op < 10; op++) {
        for (int missing = 0; missing < 2; missing++) {
            int64_t c = missing ? gone : cert, a = missing ? gone : ca;
            struct cd_err e = { 0 };
            unsigned char *out = NULL;
            size_t len = 0;
            int rc = -1;
            struct cd_cert_params np = { .ca_id = a, .product = CD_PRODUCT_AGENT, .subject = { .cn = "x" },
                                         .keytype = CD_KEY_EC256, .days = 30 };
            switch (op) {
            case 0: rc = cd_cert_revoke(f->s, b, &c, 1, 1, &e); break;
            case 1: rc = cd_cert_describe(f->s, b, c, "x", &e); break;
            case 2: rc = cd_cert_move(f->s, b, &c, 1, "/All/A", &e); break;
            case 3: rc = cd_tag_set(f->s, b, CD_KIND_CERT, &c, 1, "t", 1, &e); break;
            case 4: rc = cd_cert_export(f->s, b, c, CD_EXPORT_KEY, "export-pass-1", &out, &len, &e); break;
            case 5: rc = cd_ca_delete(f->s, b, a, &e); break;
            case 6: rc = cd_ca_describe(f->s, b, a, "x", &e); break;
            case 7: rc = cd_crl(f->s, b, a, NULL, 7, 1, &out, &len, &e); break;
            case 8: rc = cd_cert_new(f->s, b, &np, 1, NULL, NULL, NULL, &e); break;
            case 9: rc = cd_tag_set(f->s, b, CD_KIND_CA, &a, 1, "t", 1, &e); break;
            }
            free(out);
            char want[64];
            int is_ca = op >= 5;
            snprintf(want, sizeof want, "no %s with ID %lld", is_ca ? "CA" : "certificate",
                     (long long)(is_ca ? a : c));
            if (rc != CD_E_NOTFOUND || strcmp(e.msg, want))
                fail_msg("op %d on a %s object: rc %d \"%s\", wanted \"%s\"", op, missing ? "missing" : "hidden",
                         rc, e.msg, want);
        }
    }
    /* the administrator's log: the attempts on hidden objects were refusals */
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(f->s, f->u, NULL, "user=bob result=Forbidden", 0, &al, &f->err), CD_OK);
    assert_true(al.n >= 8);
    cd_audit_list_free(&al);
    /* bob's: no record of his tells a hidden object from a missing one */
    assert_int_equal(cd_audit_list(f->s, b, NULL, NULL, 0, &al, &f->err), CD_OK);
    for (size_t i = 0; i < al.n; i++) assert_string_not_equal(al.rows[i].result, "Forbidden");
    cd_audit_list_free(&al);
    cd_user_free(b);
}

/* A group bob may read nothing in answers as a group that does not exist,
 * wherever a path is given; /All and his home group he always knows. */
static void test_hidden_group_as_missing(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_group_add(f->s, f->u, "/All/B", &f->err), CD_OK);
    cd_user *b = add_login(f, "bob", "/All/A");
    give(f, "a", "/All/A", CD_RIGHT_WRITE, "bob");
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "mine" },
                                .group = "/All/A", .keytype = CD_KEY_EC256, .days = 30 };
    int64_t cert = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &cert, &f->err), CD_OK);
    const char *paths[2] = { "/All/B", "/All/Nope" };
    char msg[2][6][sizeof f->err.msg];
    for (int i = 0; i < 2; i++) {
        char sub[64];
        snprintf(sub, sizeof sub, "%s/x", paths[i]);
        struct cd_err e = { 0 };
        assert_int_equal(cd_cert_move(f->s, b, &cert, 1, paths[i], &e), CD_E_NOTFOUND);
        snprintf(msg[i][0], sizeof msg[i][0], "%s", e.msg);
        assert_int_equal(cd_user_add(f->s, b, "dave", paths[i], NULL, &e), CD_E_NOTFOUND);
        snprintf(msg[i][1], sizeof msg[i][1], "%s", e.msg);
        assert_int_equal(cd_group_add(f->s, b, sub, &e), CD_E_NOTFOUND);
        snprintf(msg[i][2], sizeof msg[i][2], "%s", e.msg);
        struct cd_ca_params cp = { .subject = { .cn = "x" }, .group = paths[i], .keytype = CD_KEY_EC256, .days = 30 };
        assert_int_equal(cd_ca_new(f->s, b, &cp, NULL, &e), CD_E_NOTFOUND);
        snprintf(msg[i][3], sizeof msg[i][3], "%s", e.msg);
        /* listing a group: a hidden one is not an empty list beside a missing one's error */
        struct cd_query q = { .group = paths[i] };
        struct cd_cert_list cl;
        struct cd_ca_list al;
        assert_int_equal(cd_cert_list(f->s, b, &q, &cl, &e), CD_E_NOTFOUND);
        snprintf(msg[i][4], sizeof msg[i][4], "%s", e.msg);
        assert_int_equal(cd_ca_list(f->s, b, &q, &al, &e), CD_E_NOTFOUND);
        snprintf(msg[i][5], sizeof msg[i][5], "%s", e.msg);
    }
    /* word for word, once the path itself is swapped */
    for (int k = 0; k < 6; k++) {
        char *at = strstr(msg[0][k], paths[0]);
        assert_non_null(at);
        char swapped[sizeof f->err.msg + 64];
        snprintf(swapped, sizeof swapped, "%.*s%s%s", (int)(at - msg[0][k]), msg[0][k], paths[1], at + strlen(paths[0]));
        assert_string_equal(swapped, msg[1][k]);
    }
    /* his home and /All are no secret */
    assert_int_equal(cd_cert_move(f->s, b, &cert, 1, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_cert_move(f->s, b, &cert, 1, "/All", &f->err), CD_E_FORBIDDEN);
    assert_null(strstr(f->err.msg, "no access group"));
    cd_user_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_owner_only, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_no_acting_on_stronger_users, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_resolve_hidden_as_missing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_hides_names, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_by_id_hidden_as_missing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_hidden_group_as_missing, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests_name("access", tests, NULL, NULL);
}
