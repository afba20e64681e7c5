/* cd_check (issue 12, Expiry): the windows at their boundaries, with the
 * evaluation time given (cd_check_opts.at is the injectable clock). */
#include <time.h>
#include "helpers.h"

#define DAY 86400LL

/* One certificate "edge" that expires exactly at na; returns its id. */
static int64_t edge_cert(struct fx *f, int64_t na)
{
    struct cd_cert_params cp = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "edge" },
                                 .keytype = CD_KEY_EC256, .not_before = na - 365 * DAY, .not_after = na };
    int64_t id = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &cp, 1, NULL, NULL, &id, &f->err), CD_OK);
    return id;
}

static int level_at(struct fx *f, int64_t at, int64_t *days, int *expired)
{
    struct cd_check_opts o = { .at = at, .filter = "cn:edge" };
    struct cd_check_result r;
    assert_int_equal(cd_check(f->s, f->u, &o, &r, &f->err), CD_OK);
    int level = r.level;
    /* CA 1 (ten years) is never an offender here: the edge row alone */
    if (level) {
        assert_int_equal(r.n, 1);
        assert_int_equal(r.rows[0].kind, CD_KIND_CERT);
        if (days) *days = r.rows[0].days_left;
        if (expired) *expired = r.rows[0].expired;
    } else {
        assert_int_equal(r.n, 0);
    }
    cd_check_free(&r);
    return level;
}

static void test_boundaries(void **state)
{
    struct fx *f = *state;
    int64_t na = (int64_t)time(NULL) + 400 * DAY;
    edge_cert(f, na);
    int64_t days = 0;
    int expired = -1;
    assert_int_equal(level_at(f, na - CD_CHECK_WARN_DEFAULT - 1, NULL, NULL), CD_CHECK_OK);
    assert_int_equal(level_at(f, na - CD_CHECK_WARN_DEFAULT, &days, NULL), CD_CHECK_WARNING);
    assert_int_equal(days, 90);
    assert_int_equal(level_at(f, na - CD_CHECK_CRIT_DEFAULT - 1, NULL, NULL), CD_CHECK_WARNING);
    assert_int_equal(level_at(f, na - CD_CHECK_CRIT_DEFAULT, &days, &expired), CD_CHECK_CRITICAL);
    assert_int_equal(days, 14);
    assert_int_equal(expired, 0);
    assert_int_equal(level_at(f, na - 1, &days, &expired), CD_CHECK_CRITICAL);
    assert_int_equal(days, 0);
    assert_int_equal(expired, 0);
    assert_int_equal(level_at(f, na, &days, &expired), CD_CHECK_CRITICAL);
    assert_int_equal(expired, 1);
    assert_int_equal(level_at(f, na + 1, &days, &expired), CD_CHECK_CRITICAL);
    assert_int_equal(days, -1);
}

static void test_revoked_not_counted(void **state)
{
    struct fx *f = *state;
    int64_t na = (int64_t)time(NULL) + 400 * DAY;
    int64_t id = edge_cert(f, na);
    assert_int_equal(level_at(f, na, NULL, NULL), CD_CHECK_CRITICAL);
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 4, &f->err), CD_OK);
    assert_int_equal(level_at(f, na, NULL, NULL), CD_CHECK_OK);
}

static void test_windows_refused(void **state)
{
    struct fx *f = *state;
    struct cd_check_result r;
    struct cd_check_opts o = { .warn = 10 * DAY, .crit = 20 * DAY };
    assert_int_equal(cd_check(f->s, f->u, &o, &r, &f->err), CD_E_INVAL);
    struct cd_check_opts bad = { .filter = "cn:soon and" };
    assert_int_equal(cd_check(f->s, f->u, &bad, &r, &f->err), CD_E_FILTER);
    assert_true(f->err.pos > 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_boundaries, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_revoked_not_counted, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_windows_refused, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
