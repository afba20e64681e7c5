/* sanitize: every byte that could act on a terminal comes out escaped. */
#include "helpers.h"

static void check(const char *in, const char *want)
{
    char *out = cd_sanitize(in, (size_t)-1);
    assert_non_null(out);
    assert_string_equal(out, want);
    free(out);
}

static void test_plain_passes(void **s) { (void)s; check("web01.example.org", "web01.example.org"); assert_true(cd_is_clean("abc", 3)); }
static void test_wide_passes(void **s) { (void)s; check("東京オフィス", "東京オフィス"); }
static void test_c0_escaped(void **s) { (void)s; check("a\x1b[31mb\x07", "a\\x1b[31mb\\x07"); check("t\tn\n", "t\\x09n\\x0a"); }
static void test_del_escaped(void **s) { (void)s; check("a\x7f", "a\\x7f"); }
static void test_c1_escaped(void **s) { (void)s; check("x\xc2\x9b" "31m", "x\\u009b31m"); }
static void test_bidi_escaped(void **s)
{
    (void)s;
    check("inv\xe2\x80\xae" "fdp.exe", "inv\\u202efdp.exe");
    check("\xe2\x81\xa6x\xe2\x81\xa9", "\\u2066x\\u2069");
    check("\xd8\x9c", "\\u061c");
}
static void test_invalid_utf8(void **s)
{
    (void)s;
    check("a\xff" "b", "a\\xffb");
    check("\xc0\xaf", "\\xc0\\xaf");            /* overlong '/' */
    check("\xed\xa0\x80", "\\xed\\xa0\\x80");   /* surrogate */
    check("\xe6\x9d", "\\xe6\\x9d");            /* truncated */
}
static void test_backslash_unambiguous(void **s) { (void)s; check("a\\x1b", "a\\\\x1b"); assert_false(cd_is_clean("a\\b", 3)); }
static void test_null_and_embedded_nul(void **s)
{
    (void)s;
    char *o = cd_sanitize(NULL, (size_t)-1);
    assert_string_equal(o, "");
    free(o);
    o = cd_sanitize("a\0b", 3);
    assert_string_equal(o, "a\\x00b");
    free(o);
}
static void test_width(void **s)
{
    (void)s;
    assert_int_equal(cd_display_width("abc"), 3);
    assert_int_equal(cd_display_width("東京"), 4);
    char buf[32];
    assert_int_equal(cd_fit_width("東京オフィス", 5, buf, sizeof buf), 4);
    assert_string_equal(buf, "東京");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_passes), cmocka_unit_test(test_wide_passes), cmocka_unit_test(test_c0_escaped),
        cmocka_unit_test(test_del_escaped), cmocka_unit_test(test_c1_escaped), cmocka_unit_test(test_bidi_escaped),
        cmocka_unit_test(test_invalid_utf8), cmocka_unit_test(test_backslash_unambiguous),
        cmocka_unit_test(test_null_and_embedded_nul), cmocka_unit_test(test_width),
    };
    return cmocka_run_group_tests_name("sanitize", tests, NULL, NULL);
}
