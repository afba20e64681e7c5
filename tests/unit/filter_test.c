/* filter: the parser reports the column of an error; the compiled SQL selects
 * exactly the rows the expression describes, with values bound, never pasted. */
#include "helpers.h"

static void perr(const char *expr, size_t pos, const char *fragment)
{
    struct cd_err e = { 0 };
    int rc = cd_filter_check(expr, &e);
    if (rc != CD_E_FILTER) fail_msg("\"%s\" parsed (rc %d), expected an error", expr, rc);
    if (e.pos != pos) fail_msg("\"%s\": error at column %zu (%s), expected %zu", expr, e.pos, e.msg, pos);
    if (fragment && !strstr(e.msg, fragment)) fail_msg("\"%s\": message \"%s\" lacks \"%s\"", expr, e.msg, fragment);
}

static void ok(const char *expr)
{
    struct cd_err e = { 0 };
    if (cd_filter_check(expr, &e)) fail_msg("\"%s\" failed: %s", expr, e.msg);
}

static void test_valid_syntax(void **s)
{
    (void)s;
    ok(""); ok("   "); ok("web"); ok("\"two words\""); ok("product:agent"); ok("tag:prod and not revoked");
    ok("(a or b) c"); ok("!tag:dev"); ok("expires<30d"); ok("issued>=2026-01-01"); ok("fp:ab:cd:ef");
    ok("group:\"/All/San Diego\""); ok("cn~web*"); ok("host!=x"); ok("status:expired or status:expiring");
}

static void test_error_columns(void **s)
{
    (void)s;
    perr("product:agent and (tag:pci", 19, "never closed");
    perr("foo:bar", 1, "unknown field");
    perr("web and", 8, "ends too early");
    perr("cn:", 4, "value is missing");
    perr("a )", 3, "unexpected");
    perr("\"open", 1, "unterminated");
    perr("or web", 1, "before");
    perr("tag:x (", 8, "ends too early");
}

static void test_semantic_errors_have_columns(void **state)
{
    struct fx *f = *state;
    struct cd_query q = { .filter = "web expires<soon" };
    int64_t n;
    struct cd_err e = { 0 };
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &e), CD_E_FILTER);
    assert_int_equal(e.pos, 5);
    q.filter = "product:toaster";
    memset(&e, 0, sizeof e);
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &e), CD_E_FILTER);
    assert_int_equal(e.pos, 1);
    assert_non_null(strstr(e.msg, "toaster"));
    q.filter = "status:sleepy";
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &e), CD_E_FILTER);
}

/* A small fleet: init's 3 (server, agent, agent) + these. */
static int seed(void **state)
{
    if (fx_setup(state)) return -1;
    struct fx *f = *state;
    const char *tags_prod[] = { "prod", NULL }, *tags_dev[] = { "dev", "pci", NULL };
    cd_group_add(f->s, f->u, "/All/San Diego", NULL);
    cd_group_add(f->s, f->u, "/All/San Diego/Lab", NULL);
    cd_group_add(f->s, f->u, "/All/London", NULL);
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .subject = { .cn = "web-sd" },
                                .host = "web.example.org", .keytype = CD_KEY_EC256, .days = 20,
                                .tags = tags_prod, .group = "/All/San Diego", .description = "Front end" };
    int64_t id;
    if (cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err)) return -1;          /* 4 */
    p.subject.cn = "lab-agent"; p.product = CD_PRODUCT_AGENT; p.group = "/All/San Diego/Lab";
    p.tags = tags_dev; p.days = 400; p.host = NULL; p.description = "100% o'brien \"quoted\"";
    if (cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err)) return -1;          /* 5 */
    p.subject.cn = "lon-proxy"; p.product = CD_PRODUCT_PROXY; p.group = "/All/London"; p.tags = NULL;
    p.description = "";
    if (cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err)) return -1;          /* 6 */
    int64_t r = 6;
    return cd_cert_revoke(f->s, f->u, &r, 1, 1, &f->err) ? -1 : 0;
}

static void test_free_text(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "web", 0), 1);          /* trigram path */
    assert_int_equal(fx_count(f, "WEB-sd", 0), 1);       /* case-insensitive */
    assert_int_equal(fx_count(f, "we", 0), 1);           /* short: LIKE path */
    assert_int_equal(fx_count(f, "example.org", 0), 1);  /* host */
    assert_int_equal(fx_count(f, "front", 0), 1);        /* description */
    assert_int_equal(fx_count(f, "pci", 0), 1);          /* tag names */
    assert_int_equal(fx_count(f, "\"o'brien\"", 0), 1);
    assert_int_equal(fx_count(f, "100%", 0), 1);
    assert_int_equal(fx_count(f, "zzz-nothing", 0), 0);
}

static void test_fields(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "product:agent", 0), 3);
    assert_int_equal(fx_count(f, "product!=agent", 0), 2);
    assert_int_equal(fx_count(f, "cn=web-sd", 0), 1);
    assert_int_equal(fx_count(f, "cn~lab-*", 0), 1);
    assert_int_equal(fx_count(f, "cn:AGENT", 0), 3);
    assert_int_equal(fx_count(f, "tag:prod", 0), 1);
    assert_int_equal(fx_count(f, "tag~p*", 0), 2);
    assert_int_equal(fx_count(f, "ca:\"Server Certification\"", 0), 5);
    assert_int_equal(fx_count(f, "id<=2", 0), 2);
    assert_int_equal(fx_count(f, "key:P-256", 0), 5);
}

static void test_groups(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "group:\"/All/San Diego\"", 0), 2);   /* with subgroups */
    assert_int_equal(fx_count(f, "group=\"/All/San Diego\"", 0), 1);   /* only itself */
    assert_int_equal(fx_count(f, "group:Lab", 0), 1);
    assert_int_equal(fx_count(f, "group:/All", 0), 5);
    struct cd_query q = { .group = "/All/San Diego" };
    int64_t n;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    assert_int_equal(n, 2);
}

static void test_dates_and_status(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "expires<30d", 0), 1);
    assert_int_equal(fx_count(f, "expires>1y", 0), 4);
    assert_int_equal(fx_count(f, "status:expiring", 0), 1);
    assert_int_equal(fx_count(f, "status:valid", 0), 4);
    assert_int_equal(fx_count(f, "status:expired", 0), 0);
    assert_int_equal(fx_count(f, "issued>2000-01-01", 0), 5);
    assert_int_equal(fx_count(f, "issued<2000-01-01", 0), 0);
}

static void test_revoked(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "", 0), 5);
    assert_int_equal(fx_count(f, "", 1), 6);
    assert_int_equal(fx_count(f, "revoked", 0), 1);        /* asking shows them */
    assert_int_equal(fx_count(f, "status:revoked", 0), 1);
    assert_int_equal(fx_count(f, "not revoked", 1), 5);
}

static void test_boolean(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "product:server or product:agent", 0), 5);
    assert_int_equal(fx_count(f, "product:agent tag:dev", 0), 1);          /* juxtaposition = and */
    assert_int_equal(fx_count(f, "product:agent and not tag:dev", 0), 2);
    assert_int_equal(fx_count(f, "!(product:agent or product:server)", 1), 1);
    assert_int_equal(fx_count(f, "(web or lab) and tag:prod", 0), 1);
}

static void test_injection_is_data(void **state)
{
    struct fx *f = *state;
    assert_int_equal(fx_count(f, "\"'; DROP TABLE certs; --\"", 0), 0);
    assert_int_equal(fx_count(f, "cn:\"x' OR '1'='1\"", 0), 0);
    assert_int_equal(fx_count(f, "", 1), 6);                                /* still all there */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_valid_syntax),
        cmocka_unit_test(test_error_columns),
        cmocka_unit_test_setup_teardown(test_semantic_errors_have_columns, seed, fx_teardown),
        cmocka_unit_test_setup_teardown(test_free_text, seed, fx_teardown),
        cmocka_unit_test_setup_teardown(test_fields, seed, fx_teardown),
        cmocka_unit_test_setup_teardown(test_groups, seed, fx_teardown),
        cmocka_unit_test_setup_teardown(test_dates_and_status, seed, fx_teardown),
        cmocka_unit_test_setup_teardown(test_revoked, seed, fx_teardown),
        cmocka_unit_test_setup_teardown(test_boolean, seed, fx_teardown),
        cmocka_unit_test_setup_teardown(test_injection_is_data, seed, fx_teardown),
    };
    return cmocka_run_group_tests_name("filter", tests, NULL, NULL);
}
