/* names: what the parsers accept (column titles too), the "did you mean"
 * for a near miss and the list of valid names; the UTF-8 repair the JSON
 * output relies on.  No store needed. */
#include "helpers.h"

static const char *const colours[] = { "red", "green", "blue", NULL, "magenta" };

static void test_col_parse_titles(void **s)
{
    (void)s;
    assert_int_equal(cd_col_parse("cn"), CD_COL_CN);
    assert_int_equal(cd_col_parse("subject"), CD_COL_CN);      /* the header reads Subject */
    assert_int_equal(cd_col_parse("Subject"), CD_COL_CN);
    assert_int_equal(cd_col_parse("VALID TO"), CD_COL_VALID_TO);
    assert_int_equal(cd_col_parse("valid_to"), CD_COL_VALID_TO);
    assert_int_equal(cd_col_parse("Id"), CD_COL_ID);
    assert_int_equal(cd_col_parse("subjekt"), -1);
    assert_int_equal(cd_col_parse(""), -1);
    assert_int_equal(cd_col_parse(NULL), -1);
}

static void test_suggest_near_miss(void **s)
{
    (void)s;
    assert_string_equal(cd_suggest("gren", colours, 5), "green");
    assert_string_equal(cd_suggest("bleu", colours, 5), "blue");       /* a swap is one edit */
    assert_string_equal(cd_suggest("MAGNETA", colours, 5), "magenta");
    assert_string_equal(cd_suggest("mag", colours, 5), "magenta");     /* the one name it starts */
    assert_null(cd_suggest("purple", colours, 5));
    assert_null(cd_suggest("", colours, 5));
    assert_null(cd_suggest(NULL, colours, 5));
    size_t n;
    const char *const *cols = cd_names(CD_NAMES_COLUMN, &n);
    assert_string_equal(cd_suggest("subjekt", cols, n), "Subject");
    const char *const *reasons = cd_names(CD_NAMES_REASON, &n);
    assert_string_equal(cd_suggest("keycompromize", reasons, n), "keyCompromise");
    assert_null(cd_suggest("because", reasons, n));
    const char *const *keys = cd_names(CD_NAMES_KEYTYPE, &n);
    assert_string_equal(cd_suggest("rsa3027", keys, n), "rsa3072");
    assert_null(cd_suggest("rsa", keys, n));                           /* three names start so */
    char longword[200];
    memset(longword, 'a', sizeof longword - 1);
    longword[sizeof longword - 1] = 0;
    assert_null(cd_suggest(longword, colours, 5));
}

static void test_name_error_lists_valid(void **s)
{
    (void)s;
    struct cd_err err = { 0 };
    size_t n;
    const char *const *names = cd_names(CD_NAMES_REASON, &n);
    assert_int_equal(cd_name_error(&err, "reason", "because", names, n), CD_E_INVAL);
    assert_string_equal(err.msg, "unknown reason \"because\" (valid: unspecified, keyCompromise, cACompromise, "
                        "affiliationChanged, superseded, cessationOfOperation, certificateHold, privilegeWithdrawn)");
    names = cd_names(CD_NAMES_COLUMN, &n);
    assert_int_equal(cd_name_error(&err, "sort column", "subjekt", names, n), CD_E_INVAL);
    assert_non_null(strstr(err.msg, "unknown sort column \"subjekt\"; did you mean \"Subject\"? (valid: id, description,"));
    assert_null(strstr(err.msg, "ID,"));                             /* "ID" is "id": listed once */
    assert_int_equal(cd_name_error(&err, "colour", "gren", colours, 5), CD_E_INVAL);
    assert_string_equal(err.msg, "unknown colour \"gren\"; did you mean \"green\"? (valid: red, green, blue, magenta)");
    assert_null(cd_names(CD_NAMES_COUNT, &n));
    assert_int_equal(n, 0);
}

static void test_utf8_repair(void **s)
{
    (void)s;
    char *r = cd_utf8_repair("a\xff" "b\xe6\x9d", (size_t)-1);
    assert_string_equal(r, "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
    free(r);
    /* valid text, controls and bidi included, is kept exactly: not a sanitiser */
    r = cd_utf8_repair("e\x1b[31m\xe2\x80\xae東京", (size_t)-1);
    assert_string_equal(r, "e\x1b[31m\xe2\x80\xae東京");
    free(r);
    r = cd_utf8_repair("\xed\xa0\x80", (size_t)-1);                  /* a surrogate is invalid */
    assert_string_equal(r, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(r);
}

static void test_sort_parse(void **s)
{
    (void)s;
    struct cd_err err = { 0 };
    int col = -1, desc = -1;
    assert_int_equal(cd_sort_parse("subject", &col, &desc, &err), CD_OK);
    assert_int_equal(col, CD_COL_CN);
    assert_int_equal(desc, 0);
    assert_int_equal(cd_sort_parse("Valid to:desc", &col, &desc, &err), CD_OK);
    assert_int_equal(col, CD_COL_VALID_TO);
    assert_int_equal(desc, 1);
    assert_int_equal(cd_sort_parse("id:ASC", &col, NULL, &err), CD_OK);
    assert_int_equal(col, CD_COL_ID);
    assert_int_equal(cd_sort_parse("cn:up", &col, &desc, &err), CD_E_INVAL);
    assert_int_equal(cd_sort_parse("subjekt:desc", &col, &desc, &err), CD_E_INVAL);
    assert_non_null(strstr(err.msg, "did you mean \"Subject\"?"));
}

/* A pending request has no validity yet: every front end shows "-" (the
 * struct keeps the stored numbers). */
static void test_pending_validity(void **s)
{
    (void)s;
    char b[64];
    struct cd_cert c = { .not_before = 253402300799LL, .not_after = 253402300799LL, .state = CD_STATE_PENDING };
    assert_string_equal(cd_cert_field(&c, CD_COL_VALID_FROM, b, sizeof b), "-");
    assert_string_equal(cd_cert_field(&c, CD_COL_VALID_TO, b, sizeof b), "-");
    assert_string_equal(cd_cert_field(&c, CD_COL_STATUS, b, sizeof b), "pending");
    c.state = CD_STATE_VALID;
    c.not_before = 86400;
    assert_string_equal(cd_cert_field(&c, CD_COL_VALID_FROM, b, sizeof b), "1970-01-02 00:00");
    assert_non_null(strstr(cd_cert_field(&c, CD_COL_VALID_TO, b, sizeof b), "9999-12-31"));
}

/* The labels of stored keys map back to key types (the rollover's default). */
static void test_keytype_of_label(void **s)
{
    (void)s;
    for (int k = 0; k < CD_KEY_COUNT; k++) {
        size_t n;
        assert_int_equal(cd_keytype_parse(cd_names(CD_NAMES_KEYTYPE, &n)[k]), k);
    }
    assert_int_equal(cd_keytype_of_label("EC P-256"), CD_KEY_EC256);
    assert_int_equal(cd_keytype_of_label("Ed25519"), CD_KEY_ED25519);
    assert_int_equal(cd_keytype_of_label("RSA 2048"), CD_KEY_RSA2048);
    assert_int_equal(cd_keytype_of_label("RSA 3072"), CD_KEY_RSA3072);
    assert_int_equal(cd_keytype_of_label("RSA 4096"), CD_KEY_RSA4096);
    assert_int_equal(cd_keytype_of_label("RSA 1024"), -1);
    assert_int_equal(cd_keytype_of_label("?"), -1);
    assert_int_equal(cd_keytype_of_label(NULL), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_col_parse_titles),
        cmocka_unit_test(test_suggest_near_miss),
        cmocka_unit_test(test_name_error_lists_valid),
        cmocka_unit_test(test_utf8_repair),
        cmocka_unit_test(test_sort_parse),
        cmocka_unit_test(test_pending_validity),
        cmocka_unit_test(test_keytype_of_label),
    };
    return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
