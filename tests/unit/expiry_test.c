/* The store's expiry warning window (issue 12, Expiry): one rule for the
 * status of CAs and certificates, the filter status:expiring and check's
 * default --warn; administrators set it, audited; it survives a reopen. */
#include <time.h>
#include "helpers.h"

#define DAY 86400LL

static int64_t cert_expiring_in(struct fx *f, const char *cn, int64_t days)
{
    int64_t now = (int64_t)time(NULL);
    struct cd_cert_params cp = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = cn },
                                 .keytype = CD_KEY_EC256, .not_before = now - DAY, .not_after = now + days * DAY };
    int64_t id = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &cp, 1, NULL, NULL, &id, &f->err), CD_OK);
    return id;
}

static int cert_state(struct fx *f, int64_t id)
{
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, id, &c, &f->err), CD_OK);
    int st = c.state;
    cd_cert_clear(&c);
    return st;
}

static int listed_state(struct fx *f, const char *filter)
{
    struct cd_query q = { .filter = filter };
    struct cd_cert_list l;
    assert_int_equal(cd_cert_list(f->s, f->u, &q, &l, &f->err), CD_OK);
    assert_int_equal(l.n, 1);
    int st = l.rows[0].state;
    cd_cert_list_free(&l);
    return st;
}

static void test_default_and_set(void **state)
{
    struct fx *f = *state;
    int days = 0;
    assert_int_equal(cd_expiry_warning_get(f->s, f->u, &days, &f->err), CD_OK);
    assert_int_equal(days, 90);
    int64_t id = cert_expiring_in(f, "sixty", 60);
    assert_int_equal(cert_state(f, id), CD_STATE_EXPIRING);
    assert_int_equal(listed_state(f, "cn:sixty"), CD_STATE_EXPIRING);
    assert_int_equal(fx_count(f, "cn:sixty and status:expiring", 0), 1);

    /* 30 days: sixty days left is valid, everywhere at once */
    assert_int_equal(cd_expiry_warning_set(f->s, f->u, 30, &f->err), CD_OK);
    assert_int_equal(cd_expiry_warning_get(f->s, f->u, &days, &f->err), CD_OK);
    assert_int_equal(days, 30);
    assert_int_equal(cert_state(f, id), CD_STATE_VALID);
    assert_int_equal(listed_state(f, "cn:sixty"), CD_STATE_VALID);
    assert_int_equal(fx_count(f, "cn:sixty and status:expiring", 0), 0);
    assert_int_equal(fx_count(f, "cn:sixty and status:valid", 0), 1);

    /* check's default --warn is the store's window */
    struct cd_check_opts o = { .filter = "cn:sixty" };
    struct cd_check_result r;
    assert_int_equal(cd_check(f->s, f->u, &o, &r, &f->err), CD_OK);
    assert_int_equal(r.warn, 30 * DAY);
    assert_int_equal(r.level, CD_CHECK_OK);
    cd_check_free(&r);

    /* CAs too: CA 1 lasts ten years; a window of ten years makes it expiring */
    assert_int_equal(cd_expiry_warning_set(f->s, f->u, CD_EXPIRY_WARN_MAX_DAYS, &f->err), CD_OK);
    struct cd_ca ca;
    assert_int_equal(cd_ca_get(f->s, f->u, 1, &ca, &f->err), CD_OK);
    assert_int_equal(ca.state, CD_STATE_EXPIRING);
    cd_ca_clear(&ca);
    struct cd_check_opts o2 = { .filter = "cn:sixty" };
    assert_int_equal(cd_check(f->s, f->u, &o2, &r, &f->err), CD_OK);
    assert_int_equal(r.cas[CD_CHECK_N_WARNING], 1);
    cd_check_free(&r);

    /* kept in the store */
    assert_int_equal(cd_expiry_warning_set(f->s, f->u, 45, &f->err), CD_OK);
    fx_reopen(f);
    assert_int_equal(cd_expiry_warning_get(f->s, f->u, &days, &f->err), CD_OK);
    assert_int_equal(days, 45);
    assert_int_equal(cert_state(f, id), CD_STATE_VALID);
}

static void test_refused_and_audited(void **state)
{
    struct fx *f = *state;
    int days = 0;
    assert_int_equal(cd_expiry_warning_set(f->s, f->u, 0, &f->err), CD_E_INVAL);
    assert_int_equal(cd_expiry_warning_set(f->s, f->u, CD_EXPIRY_WARN_MAX_DAYS + 1, &f->err), CD_E_INVAL);
    assert_int_equal(cd_expiry_warning_set(f->s, f->u, -5, &f->err), CD_E_INVAL);

    /* a user who is not an administrator reads it but cannot set it */
    cd_user *bob = NULL;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/A", &f->err), CD_OK);
    assert_int_equal(cd_user_add(f->s, f->u, "bob", "/All/A", "bob-password-1", &f->err), CD_OK);
    assert_int_equal(cd_user_login(f->s, "bob", "bob-password-1", &bob, &f->err), CD_OK);
    assert_int_equal(cd_expiry_warning_get(f->s, bob, &days, &f->err), CD_OK);
    assert_int_equal(days, 90);
    assert_int_equal(cd_expiry_warning_set(f->s, bob, 30, &f->err), CD_E_FORBIDDEN);
    cd_user_free(bob);
    assert_int_equal(cd_expiry_warning_get(f->s, f->u, &days, &f->err), CD_OK);
    assert_int_equal(days, 90);

    assert_int_equal(cd_expiry_warning_set(f->s, f->u, 60, &f->err), CD_OK);
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(f->s, f->u, "server", NULL, 0, &al, &f->err), CD_OK);
    int ok = 0, refused = 0;
    for (size_t i = 0; i < al.n; i++) {
        if (strcmp(al.rows[i].action, "Set expiry warning")) continue;
        if (!strcmp(al.rows[i].result, "Success")) {
            ok++;
            assert_non_null(strstr(al.rows[i].detail, "60 days (was 90)"));
        } else {
            refused++;
        }
    }
    cd_audit_list_free(&al);
    assert_int_equal(ok, 1);
    assert_true(refused >= 1);   /* bob's attempt at least */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_default_and_set, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refused_and_audited, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
