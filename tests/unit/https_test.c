/* certdeck unit tests — the https backend's own behaviour against a
 * scripted transport (https_int.h): what it does when the server does not
 * answer, and how long it waits for a bulk issuance.  api_test.c runs the
 * whole API through the in-process transport; this one needs a transport
 * that can fail and that has a clock. */
#include "helpers.h"
#include "https_int.h"
#include "http_int.h"

struct fake {
    int  down;                /* requests fail as a refused connection would */
    int  calls;               /* requests that reached the transport */
    long timeout;             /* the whole-request timeout in force, ms */
    long timeout_seen;        /* ... when the last request was made */
    char password[64];        /* the server's password for "admin" ("" : none checked) */
    char sent[64];            /* what the client sends with each request */
};

static int fake_request(void *ctx, const char *method, const char *path_query, const char *body, size_t len,
                        long *status, struct cdi_buf *resp, struct cd_err *err)
{
    struct fake *f = ctx;
    f->calls++;
    f->timeout_seen = f->timeout;
    if (f->down) return cdi_fail(err, CD_E_IO, "certdeckd at fake:1: connection refused");
    resp->len = 0;
    *status = 200;
    if (f->password[0] && strcmp(f->sent, f->password)) {
        /* Basic auth: the credentials of every request are checked */
        *status = 401;
        cdi_buf_addf(resp, "{\"error\": \"wrong user name or password\", \"status\": %d}", CD_E_LOGIN);
    } else if (!strcmp(method, "POST") && !strcmp(path_query, "/api/v1/users/passwd")) {
        json_t *b = json_loadb(body, len, 0, NULL);
        snprintf(f->password, sizeof f->password, "%s", json_string_value(json_object_get(b, "new_password")));
        json_decref(b);
        cdi_buf_addf(resp, "{}");
    } else if (!strcmp(path_query, "/api/v1/me")) {
        cdi_buf_addf(resp, "{\"id\": 1, \"name\": \"admin\", \"admin\": true, \"home_group_id\": 1, \"readonly\": false}");
    } else if (!strcmp(method, "POST") && !strcmp(path_query, "/api/v1/certs")) {
        /* {"ids": [1..count]} */
        json_t *b = json_loadb(body, len, 0, NULL), *ids = json_array();
        json_int_t n = json_integer_value(json_object_get(b, "count"));
        for (json_int_t i = 1; i <= n; i++) json_array_append_new(ids, json_integer(i));
        char *text = json_dumps(ids, 0);
        cdi_buf_addf(resp, "{\"ids\": %s}", text);
        free(text);
        json_decref(ids);
        json_decref(b);
        *status = 201;
    } else if (!strcmp(method, "GET")) {
        cdi_buf_addf(resp, "{\"rows\": []}");
    } else {
        *status = 404;
        cdi_buf_addf(resp, "{\"error\": \"no such thing\", \"status\": %d}", CD_E_NOTFOUND);
    }
    cdi_buf_add(resp, "", 0);
    return resp->oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : CD_OK;
}

static int fake_auth(void *ctx, const char *user, const char *password, struct cd_err *err)
{
    (void)user; (void)err;
    struct fake *f = ctx;
    snprintf(f->sent, sizeof f->sent, "%s", password ? password : "");
    return CD_OK;
}

static void fake_close(void *ctx) { (void)ctx; }

static long fake_timeout(void *ctx, long ms)
{
    struct fake *f = ctx;
    long was = f->timeout;
    if (ms > 0) f->timeout = ms;
    return was;
}

struct hfx { struct fake f; cd_store *s; cd_user *u; };

static int hfx_setup(void **state)
{
    struct hfx *x = calloc(1, sizeof *x);
    x->f.timeout = 60000;
    struct cdi_https_transport t = { &x->f, fake_request, fake_auth, cdi_http_escape, fake_close, fake_timeout };
    struct cd_err e = { 0 };
    x->s = calloc(1, sizeof *x->s);
    if (cdi_https_open_with(x->s, "https://fake:1", "fake:1", &t, 0, &e)) return -1;
    if (cd_user_owner(x->s, &x->u, &e)) return -1;
    *state = x;
    return 0;
}

static int hfx_teardown(void **state)
{
    struct hfx *x = *state;
    cd_user_free(x->u);
    cd_store_close(x->s);
    free(x);
    return 0;
}

/* A server that does not answer costs one request's wait: the calls a
 * console makes right after it (a redraw is a dozen) fail at once with the
 * same words, and the next try, a moment later, reaches the server again. */
static void test_server_gone(void **state)
{
    struct hfx *x = *state;
    struct cd_err e = { 0 };
    struct cd_group_list gl;
    struct cd_tag_list tl;
    assert_int_equal(cd_group_list(x->s, x->u, &gl, &e), CD_OK);
    cd_group_list_free(&gl);
    int calls = x->f.calls;
    x->f.down = 1;
    assert_int_equal(cd_group_list(x->s, x->u, &gl, &e), CD_E_IO);
    assert_string_equal(e.msg, "certdeckd at fake:1: connection refused");
    assert_int_equal(x->f.calls, calls + 1);
    memset(&e, 0, sizeof e);
    assert_int_equal(cd_tag_list(x->s, x->u, &tl, &e), CD_E_IO);
    assert_string_equal(e.msg, "certdeckd at fake:1: connection refused");
    int64_t n = 0;
    assert_int_equal(cd_cert_count(x->s, x->u, NULL, &n, &e), CD_E_IO);
    assert_int_equal(x->f.calls, calls + 1);
    /* back, but within the moment: still not asked */
    x->f.down = 0;
    assert_int_equal(cd_tag_list(x->s, x->u, &tl, &e), CD_E_IO);
    assert_int_equal(x->f.calls, calls + 1);
    /* the moment past: asked again, and answering */
    HS(x->s)->down_at -= HS_DOWN;
    assert_int_equal(cd_tag_list(x->s, x->u, &tl, &e), CD_OK);
    cd_tag_list_free(&tl);
    assert_int_equal(x->f.calls, calls + 2);
    assert_int_equal(cd_group_list(x->s, x->u, &gl, &e), CD_OK);
    cd_group_list_free(&gl);
    assert_int_equal(x->f.calls, calls + 3);
}

/* An answer that refuses (a 4xx) is an answer: the server is there. */
static void test_refusal_is_an_answer(void **state)
{
    struct hfx *x = *state;
    struct cd_err e = { 0 };
    int calls = x->f.calls;
    assert_int_equal(cd_ca_delete(x->s, x->u, 7, &e), CD_E_NOTFOUND);
    assert_string_equal(e.msg, "no such thing");
    struct cd_tag_list tl;
    assert_int_equal(cd_tag_list(x->s, x->u, &tl, &e), CD_OK);
    cd_tag_list_free(&tl);
    assert_int_equal(x->f.calls, calls + 2);
}

/* Changing one's own password in a session: the requests after it send
 * the new one (locally the session just goes on; over https the old
 * password would be refused from then on, and its refusals lock the name
 * out).  Someone else's password leaves the credentials alone. */
static void test_own_password(void **state)
{
    struct hfx *x = *state;
    struct cd_err e = { 0 };
    cd_user_free(x->u);
    x->u = NULL;
    snprintf(x->f.password, sizeof x->f.password, "old-pass-1");
    assert_int_equal(cd_user_login(x->s, "admin", "old-pass-1", &x->u, &e), CD_OK);
    assert_int_equal(cd_user_passwd(x->s, x->u, "admin", "old-pass-1", "new-pass-2", &e), CD_OK);
    assert_string_equal(x->f.password, "new-pass-2");
    struct cd_tag_list tl;
    assert_int_equal(cd_tag_list(x->s, x->u, &tl, &e), CD_OK);
    cd_tag_list_free(&tl);
    assert_string_equal(x->f.sent, "new-pass-2");
    /* another user's: what is sent stays */
    assert_int_equal(cd_user_passwd(x->s, x->u, "bob", NULL, "bobs-pass-3", &e), CD_OK);
    assert_string_equal(x->f.sent, "new-pass-2");
}

static size_t progress_calls, progress_last[2];
static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    progress_calls++;
    progress_last[0] = done;
    progress_last[1] = total;
}

/* A bulk issuance is one request the server works on for as long as the
 * keys take: the client waits that long (a client that gave up at the
 * ordinary minute would report a failure the server then commits), says
 * so when it starts, and then waits the ordinary time again. */
static void test_bulk_new_waits(void **state)
{
    struct hfx *x = *state;
    struct cd_err e = { 0 };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bulk" } };
    int64_t *ids = calloc(3000, sizeof *ids);
    progress_calls = 0;
    assert_int_equal(cd_cert_new(x->s, x->u, &p, 3000, progress, NULL, ids, &e), CD_OK);
    assert_int_equal(ids[2999], 3000);
    assert_true(x->f.timeout_seen >= 60000 + 3000 * 20);
    assert_int_equal(x->f.timeout, 60000);
    assert_int_equal(progress_calls, 2);
    assert_int_equal(progress_last[0], 3000);
    /* RSA keys take longer: so does the wait */
    p.keytype = CD_KEY_RSA4096;
    assert_int_equal(cd_cert_new(x->s, x->u, &p, 10, NULL, NULL, ids, &e), CD_OK);
    assert_true(x->f.timeout_seen >= 60000 + 10 * 10000);
    assert_int_equal(x->f.timeout, 60000);
    /* anything else: the ordinary wait */
    struct cd_tag_list tl;
    assert_int_equal(cd_tag_list(x->s, x->u, &tl, &e), CD_OK);
    cd_tag_list_free(&tl);
    assert_int_equal(x->f.timeout_seen, 60000);
    free(ids);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_server_gone, hfx_setup, hfx_teardown),
        cmocka_unit_test_setup_teardown(test_refusal_is_an_answer, hfx_setup, hfx_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_new_waits, hfx_setup, hfx_teardown),
        cmocka_unit_test_setup_teardown(test_own_password, hfx_setup, hfx_teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
