/* certdeck unit tests — the mirror agents are told of (certdeck/mirror.h
 * cd_mirror_settings_*, certdeck/server.h cd_mirror_settings_secret and the
 * agent's side): set, read, change, remove on the sqlite backend; the
 * password encrypted at rest and never given back; the rules for the
 * address; who may change them; the audit; a read-only store; the same
 * through the console API and the https backend (in process); the answer
 * of a check-in read and written to a file. */
#include "helpers.h"
#include <dirent.h>
#include <sys/stat.h>
#include "https_int.h"

#define OK(call) do { int rc_ = (call); if (rc_) fail_msg("%s: %s", #call, cd_errmsg(&f->err, rc_)); } while (0)

#define PW "Mirr0r-s3cret-p4ss"

static struct cd_mirror_settings get(struct fx *f, cd_store *s, const cd_user *u)
{
    struct cd_mirror_settings m;
    OK(cd_mirror_settings_get(s, u, &m, &f->err));
    return m;
}

/* 1 when the bytes of needle occur in the file (0 when it is missing). */
static int file_holds(const char *path, const char *needle)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return 0;
    size_t cap = 1 << 20, n = 0, k;
    char *buf = malloc(cap);
    while ((k = fread(buf + n, 1, cap - n, fp)) > 0) {
        n += k;
        if (n == cap) buf = realloc(buf, cap *= 2);
    }
    fclose(fp);
    int hit = memmem(buf, n, needle, strlen(needle)) != NULL;
    free(buf);
    return hit;
}

static int64_t audit_count(struct fx *f, const char *action, const char *result)
{
    struct cd_audit_list al;
    OK(cd_audit_list(f->s, f->u, "server", NULL, 0, &al, &f->err));
    int64_t n = 0;
    for (size_t i = 0; i < al.n; i++) {
        assert_null(strstr(al.rows[i].detail, PW));
        assert_null(strstr(al.rows[i].detail, "other-pass"));
        n += !strcmp(al.rows[i].action, action) && (!result || !strcmp(al.rows[i].result, result));
    }
    cd_audit_list_free(&al);
    return n;
}

static void test_set_get_remove(void **state)
{
    struct fx *f = *state;
    struct cd_mirror_settings m = get(f, f->s, f->u);
    assert_null(m.url);
    assert_null(m.user);
    assert_int_equal(m.has_password, 0);
    struct cd_mirror_secret sec;
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_null(sec.url);
    assert_null(sec.password);

    OK(cd_mirror_settings_set(f->s, f->u, "https://mirror.example.org/pki", "agents", PW, &f->err));
    m = get(f, f->s, f->u);
    assert_string_equal(m.url, "https://mirror.example.org/pki");
    assert_string_equal(m.user, "agents");
    assert_int_equal(m.has_password, 1);
    cd_mirror_settings_clear(&m);
    assert_null(m.url);
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.url, "https://mirror.example.org/pki");
    assert_string_equal(sec.user, "agents");
    assert_string_equal(sec.password, PW);
    cd_mirror_secret_clear(&sec);
    assert_null(sec.password);

    /* encrypted at rest: not in the database, its journal, nor in clear in meta */
    char wal[200];
    snprintf(wal, sizeof wal, "%s-wal", f->path);
    assert_false(file_holds(f->path, PW));
    assert_false(file_holds(wal, PW));
    fx_reopen(f);          /* checkpointed into the file */
    assert_false(file_holds(f->path, PW));
    assert_true(file_holds(f->path, "https://mirror.example.org/pki"));
    /* and it opens again in a new session (the store key) */
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.password, PW);
    cd_mirror_secret_clear(&sec);

    /* the password NULL keeps it; a new address and user with it */
    OK(cd_mirror_settings_set(f->s, f->u, "http://10.0.0.5:8080/m", "fleet", NULL, &f->err));
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.url, "http://10.0.0.5:8080/m");
    assert_string_equal(sec.user, "fleet");
    assert_string_equal(sec.password, PW);
    cd_mirror_secret_clear(&sec);
    /* a new password: the server's memory of the old one follows the change */
    OK(cd_mirror_settings_set(f->s, f->u, "http://10.0.0.5:8080/m", "fleet", "other-pass", &f->err));
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.password, "other-pass");
    cd_mirror_secret_clear(&sec);
    /* "" removes the password alone */
    OK(cd_mirror_settings_set(f->s, f->u, "http://10.0.0.5:8080/m", "fleet", "", &f->err));
    m = get(f, f->s, f->u);
    assert_int_equal(m.has_password, 0);
    assert_string_equal(m.user, "fleet");
    cd_mirror_settings_clear(&m);
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_null(sec.password);
    cd_mirror_secret_clear(&sec);
    /* no user: no password either */
    OK(cd_mirror_settings_set(f->s, f->u, "https://m.example.org/", "u", "pw-x", &f->err));
    OK(cd_mirror_settings_set(f->s, f->u, "https://m.example.org/", NULL, NULL, &f->err));
    m = get(f, f->s, f->u);
    assert_null(m.user);
    assert_int_equal(m.has_password, 0);
    cd_mirror_settings_clear(&m);
    /* url NULL or "" removes everything */
    OK(cd_mirror_settings_set(f->s, f->u, "https://m.example.org/", "u", "pw-x", &f->err));
    OK(cd_mirror_settings_set(f->s, f->u, "", NULL, NULL, &f->err));
    m = get(f, f->s, f->u);
    assert_null(m.url);
    assert_null(m.user);
    assert_int_equal(m.has_password, 0);
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_null(sec.url);
    assert_null(sec.password);

    /* audited, never the password */
    assert_int_equal(audit_count(f, "Set mirror for agents", "Success"), 7);
    assert_int_equal(audit_count(f, "Remove mirror for agents", "Success"), 1);
    struct cd_audit_list al;
    OK(cd_audit_list(f->s, f->u, "server", NULL, 0, &al, &f->err));
    int seen = 0;
    for (size_t i = 0; i < al.n; i++)
        seen += !strcmp(al.rows[i].detail, "URL https://mirror.example.org/pki, user agents, password set") &&
                !strcmp(al.rows[i].section, "Server");
    cd_audit_list_free(&al);
    assert_int_equal(seen, 1);
    int64_t checked = 0, bad = 0;
    OK(cd_audit_verify(f->s, f->u, &checked, &bad, &f->err));
}

static void test_rules(void **state)
{
    struct fx *f = *state;
    static const struct { const char *url, *user, *pw, *says; } bad[] = {
        { "ftp://mirror.example.org/", NULL, NULL, "must begin with http:// or https://" },
        { "mirror.example.org/pki", NULL, NULL, "must begin with http:// or https://" },
        { "https:///pki", NULL, NULL, "has no host" },
        { "https://", NULL, NULL, "has no host" },
        { "https://agents:pw@mirror.example.org/", NULL, NULL, "must not hold a user or password" },
        { "https://agents@mirror.example.org/", NULL, NULL, "must not hold a user or password" },
        { "https://mirror.example.org/a b", NULL, NULL, "holds a space" },
        { "https://mirror.example.org/\x1b[31m", NULL, NULL, "control character" },
        { "https://mirror.example.org/\xff", NULL, NULL, "not valid UTF-8" },
        { "https://mirror.example.org/\xc3\xa9", NULL, NULL, "not allowed in a URL" },
        { "https://mirror.example.org:0/", NULL, NULL, "port must be a number" },
        { "https://mirror.example.org:70000/", NULL, NULL, "port must be a number" },
        { "https://mirror.example.org:/", NULL, NULL, "port must be a number" },
        { "https://mirror.example.org:80:80/", NULL, NULL, "port must be a number" },
        { "https://*.example.org/", NULL, NULL, "is not a DNS name or an IP address" },
        { "https://a..b/", NULL, NULL, "is not a DNS name or an IP address" },
        { "https://1.2.3.4.5/", NULL, NULL, "is not a DNS name or an IP address" },
        { "https://[::1/", NULL, NULL, "no closing ]" },
        { "https://[zz::1]/", NULL, NULL, "is not an IPv6 address" },
        { NULL, "agents", NULL, "needs the mirror's URL" },
        { "", NULL, "pw", "needs the mirror's URL" },
        { "https://m.example.org/", "a:b", NULL, "must not hold a colon" },
        { "https://m.example.org/", "evil\x1b[2J", NULL, "control character" },
        { "https://m.example.org/", NULL, "pw", "needs a mirror user" },
        { "https://m.example.org/", "u", "bad\xff", "valid UTF-8" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct cd_err e = { 0 };
        int rc = cd_mirror_settings_set(f->s, f->u, bad[i].url, bad[i].user, bad[i].pw, &e);
        if (rc != CD_E_INVAL || !strstr(e.msg, bad[i].says))
            fail_msg("case %zu (%s): rc %d, \"%s\"; expected \"%s\"", i, bad[i].url ? bad[i].url : "(null)", rc,
                     e.msg, bad[i].says);
    }
    /* a long one */
    char longurl[2100] = "https://m.example.org/";
    memset(longurl + strlen(longurl), 'a', 2060);
    longurl[2080] = 0;
    assert_int_equal(cd_mirror_settings_set(f->s, f->u, longurl, NULL, NULL, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "longer than"));
    char longuser[300];
    memset(longuser, 'u', 299);
    longuser[299] = 0;
    assert_int_equal(cd_mirror_settings_set(f->s, f->u, "https://m.example.org/", longuser, NULL, &f->err), CD_E_INVAL);
    /* nothing was stored */
    struct cd_mirror_settings m = get(f, f->s, f->u);
    assert_null(m.url);
    /* good ones */
    static const char *const good[] = { "http://localhost/", "HTTPS://Mirror.Example.org", "http://127.0.0.1:8080",
                                        "https://[::1]:8443/pki?x=1", "https://[2001:db8::2]/", "http://m/x#frag" };
    for (size_t i = 0; i < sizeof good / sizeof *good; i++) {
        int rc = cd_mirror_settings_set(f->s, f->u, good[i], "agents", NULL, &f->err);
        if (rc) fail_msg("%s: %s", good[i], cd_errmsg(&f->err, rc));
        m = get(f, f->s, f->u);
        assert_string_equal(m.url, good[i]);
        cd_mirror_settings_clear(&m);
    }
    /* failures are audited as such */
    assert_true(audit_count(f, "Set mirror for agents", "Failure") >= 20);
}

static void test_rights_and_readonly(void **state)
{
    struct fx *f = *state;
    OK(cd_mirror_settings_set(f->s, f->u, "https://mirror.example.org/pki", "agents", PW, &f->err));
    OK(cd_group_add(f->s, f->u, "/All/B", &f->err));
    OK(cd_user_add(f->s, f->u, "bob", "/All/B", "bob-password-1", &f->err));
    const char *g[] = { "/All/B" };
    int lv[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_WRITE, [CD_OT_USERS] = CD_RIGHT_WRITE };
    OK(cd_permset_add(f->s, f->u, "b", g, 1, lv, &f->err));
    OK(cd_permset_grant(f->s, f->u, "b", "bob", 1, &f->err));
    cd_user *bob = NULL;
    OK(cd_user_login(f->s, "bob", "bob-password-1", &bob, &f->err));
    assert_int_equal(cd_mirror_settings_set(f->s, bob, "https://evil.example.org/", "x", "y", &f->err),
                     CD_E_FORBIDDEN);
    assert_int_equal(cd_mirror_settings_set(f->s, bob, NULL, NULL, NULL, &f->err), CD_E_FORBIDDEN);
    /* anyone logged in may read them; the password only as "set" */
    struct cd_mirror_settings m = get(f, f->s, bob);
    assert_string_equal(m.url, "https://mirror.example.org/pki");
    assert_int_equal(m.has_password, 1);
    cd_mirror_settings_clear(&m);
    assert_int_equal(audit_count(f, "Set mirror for agents", "Forbidden"), 1);
    assert_int_equal(audit_count(f, "Remove mirror for agents", "Forbidden"), 1);
    assert_int_equal(cd_mirror_settings_get(f->s, NULL, &m, &f->err), CD_E_FORBIDDEN);
    cd_user_free(bob);

    /* a read-only store refuses, and says why */
    fx_close(f);
    OK(cd_store_open(f->path, CD_OPEN_READONLY, &f->s, &f->err));
    OK(cd_user_owner(f->s, &f->u, &f->err));
    assert_int_equal(cd_mirror_settings_set(f->s, f->u, "https://other.example.org/", NULL, NULL, &f->err),
                     CD_E_READONLY);
    assert_non_null(strstr(f->err.msg, "read-only"));
    m = get(f, f->s, f->u);
    assert_string_equal(m.url, "https://mirror.example.org/pki");
    cd_mirror_settings_clear(&m);
    /* certdeckd on a read-only store still hands the mirror out */
    struct cd_mirror_secret sec;
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.password, PW);
    cd_mirror_secret_clear(&sec);
}

/* Without the store key the password cannot be set, nor read back. */
static void test_store_key(void **state)
{
    struct fx *f = *state;
    OK(cd_mirror_settings_set(f->s, f->u, "https://mirror.example.org/pki", "agents", PW, &f->err));
    char key[160], moved[170];
    fx_key_paths(f, key, moved);
    fx_close(f);
    assert_int_equal(rename(key, moved), 0);
    OK(cd_store_open(f->path, 0, &f->s, &f->err));
    OK(cd_user_owner(f->s, &f->u, &f->err));
    struct cd_mirror_secret sec;
    assert_int_equal(cd_mirror_settings_secret(f->s, &sec, &f->err), CD_E_NOKEY);
    assert_null(sec.url);
    assert_int_equal(cd_mirror_settings_set(f->s, f->u, "https://m.example.org/", "agents", "new-pw", &f->err),
                     CD_E_NOKEY);
    /* without a new password the key is not needed */
    OK(cd_mirror_settings_set(f->s, f->u, "https://m2.example.org/", "agents", NULL, &f->err));
    fx_close(f);
    assert_int_equal(rename(moved, key), 0);
    fx_reopen(f);
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.url, "https://m2.example.org/");
    assert_string_equal(sec.password, PW);
    cd_mirror_secret_clear(&sec);
}

/* ---- through the console API ------------------------------------------------- */

static int call(struct fx *f, const char *method, const char *path, const char *body, char **out)
{
    struct cd_api_request rq = { method, path, NULL, body, body ? strlen(body) : 0 };
    struct cd_api_response rs;
    cd_api_handle(f->s, f->u, &rq, &rs);
    int st = rs.status;
    if (out) *out = strndup(rs.body, rs.len);
    cd_api_response_free(&rs);
    return st;
}

static void test_api_and_https(void **state)
{
    struct fx *f = *state;
    cd_store *r = NULL;
    cd_user *ru = NULL;
    OK(cdi_https_open_local(f->s, f->u, 0, &r, &f->err));
    OK(cd_user_owner(r, &ru, &f->err));
    struct cd_mirror_settings m = get(f, r, ru);
    assert_null(m.url);
    OK(cd_mirror_settings_set(r, ru, "https://mirror.example.org/pki", "agents", PW, &f->err));
    m = get(f, r, ru);
    assert_string_equal(m.url, "https://mirror.example.org/pki");
    assert_string_equal(m.user, "agents");
    assert_int_equal(m.has_password, 1);
    cd_mirror_settings_clear(&m);
    struct cd_mirror_secret sec;
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.password, PW);
    cd_mirror_secret_clear(&sec);
    /* the server's side is not asked of a remote store */
    assert_int_equal(cd_mirror_settings_secret(r, &sec, &f->err), CD_E_UNSUPPORTED);
    /* keep, remove the password, refusals with the server's words */
    OK(cd_mirror_settings_set(r, ru, "https://mirror.example.org/v2", "agents", NULL, &f->err));
    OK(cd_mirror_settings_secret(f->s, &sec, &f->err));
    assert_string_equal(sec.url, "https://mirror.example.org/v2");
    assert_string_equal(sec.password, PW);
    cd_mirror_secret_clear(&sec);
    assert_int_equal(cd_mirror_settings_set(r, ru, "https://u:p@mirror.example.org/", NULL, NULL, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "must not hold a user or password"));
    OK(cd_mirror_settings_set(r, ru, "https://mirror.example.org/v2", "agents", "", &f->err));
    m = get(f, r, ru);
    assert_int_equal(m.has_password, 0);
    cd_mirror_settings_clear(&m);
    OK(cd_mirror_settings_set(r, ru, NULL, NULL, NULL, &f->err));
    m = get(f, r, ru);
    assert_null(m.url);

    /* the API itself: the password never in an answer; unknown fields refused */
    char *out = NULL;
    assert_int_equal(call(f, "PUT", "/api/v1/client/mirror", "{\"url\":\"https://m.example.org/\",\"user\":\"a\",\"password\":\""
                          PW "\"}", &out), 200);
    free(out);
    assert_int_equal(call(f, "GET", "/api/v1/client/mirror", NULL, &out), 200);
    assert_null(strstr(out, PW));
    assert_non_null(strstr(out, "\"has_password\":true"));
    assert_non_null(strstr(out, "\"url\":\"https://m.example.org/\""));
    free(out);
    assert_int_equal(call(f, "PUT", "/api/v1/client/mirror", "{\"url\":\"https://m.example.org/\",\"pw\":\"x\"}", &out), 400);
    free(out);
    assert_int_equal(call(f, "PUT", "/api/v1/client/mirror", "{\"url\":\"ftp://m.example.org/\"}", &out), 400);
    assert_non_null(strstr(out, "http:// or https://"));
    free(out);
    assert_int_equal(call(f, "PUT", "/api/v1/client/mirror", "{\"url\":7}", &out), 400);
    free(out);
    cd_user_free(ru);
    cd_store_close(r);
}

/* ---- the agent's side ----------------------------------------------------------- */

static void test_answer_to_file(void **state)
{
    struct fx *f = *state;
    struct cd_agent_answer a = { .accepted = 1, .http_status = 200 };
    struct cd_mirror_secret m;
    a.json = "{\"accepted\":true,\"certificate\":2,\"unauthenticated\":false,\"crls\":[]}";
    assert_int_equal(cd_agent_answer_mirror(&a, &m, &f->err), CD_E_NOTFOUND);
    a.json = "{\"accepted\":true,\"mirror\":{\"url\":\"https://m.example.org/pki\",\"user\":\"agents\","
             "\"password\":\"p\\u00e4ss\\\"w\"}}";
    OK(cd_agent_answer_mirror(&a, &m, &f->err));
    assert_string_equal(m.url, "https://m.example.org/pki");
    assert_string_equal(m.user, "agents");
    assert_string_equal(m.password, "p\xc3\xa4ss\"w");
    char path[200];
    snprintf(path, sizeof path, "%s/mirror.json", f->dir);
    OK(cd_mirror_secret_save(&m, path, &f->err));
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_true(file_holds(path, "{\"url\":\"https://m.example.org/pki\",\"user\":\"agents\","
                                 "\"password\":\"p\\u00E4ss\\\"w\"}\n"));
    cd_mirror_secret_clear(&m);
    /* without user and password: just the address */
    a.json = "{\"accepted\":true,\"mirror\":{\"url\":\"http://10.0.0.1/m\"}}";
    OK(cd_agent_answer_mirror(&a, &m, &f->err));
    assert_null(m.user);
    assert_null(m.password);
    OK(cd_mirror_secret_save(&m, path, &f->err));
    assert_true(file_holds(path, "{\"url\":\"http://10.0.0.1/m\"}\n"));
    cd_mirror_secret_clear(&m);
    /* what certdeckd would not send */
    static const char *const bad[] = {
        "{\"mirror\":\"https://m/\"}", "{\"mirror\":{\"user\":\"a\"}}", "{\"mirror\":{\"url\":\"file:///etc\"}}",
        "{\"mirror\":{\"url\":\"https://m/\",\"password\":7}}", "{\"mirror\":{\"url\":\"https://m/\",\"user\":\"a\\u0000b\"}}",
        "not json",
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        a.json = (char *)bad[i];
        assert_int_equal(cd_agent_answer_mirror(&a, &m, &f->err), CD_E_IO);
        assert_null(m.url);
    }
    /* a link where the file goes is not followed */
    char link[220];
    snprintf(link, sizeof link, "%s/link.json", f->dir);
    assert_int_equal(symlink("/tmp/cdtest-nowhere", link), 0);
    struct cd_mirror_secret one = { .url = "https://m/" };
    assert_int_not_equal(cd_mirror_secret_save(&one, link, &f->err), CD_OK);
}

/* ---- never in a published snapshot --------------------------------------------- */

static void test_not_published(void **state)
{
    struct fx *f = *state;
    OK(cd_mirror_settings_set(f->s, f->u, "https://agents-only.example.org/x", "agent-user-7", PW, &f->err));
    char dir[200], files[220];
    snprintf(dir, sizeof dir, "%s/pub", f->dir);
    snprintf(files, sizeof files, "%s/files", dir);
    struct cd_mirror_publish_opts o = { .sign_ca = 1 };
    struct cd_mirror_published r;
    int rc = cd_mirror_publish(f->s, f->u, dir, &o, &r, &f->err);
    if (rc == CD_E_UNSUPPORTED) skip();       /* a build without the publisher yet */
    if (rc) fail_msg("publish: %s", cd_errmsg(&f->err, rc));
    DIR *d = opendir(files);
    assert_non_null(d);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        char path[600];
        snprintf(path, sizeof path, "%s/%s", files, e->d_name);
        n++;
        if (file_holds(path, "agents-only.example.org") || file_holds(path, "agent-user-7") || file_holds(path, PW) ||
            file_holds(path, "mirror.agent"))
            fail_msg("%s holds the mirror for agents", path);
    }
    closedir(d);
    assert_true(n >= 3);      /* the image, the CA, the signer (at least) */
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_set_get_remove), T(test_rules), T(test_rights_and_readonly), T(test_store_key),
        T(test_api_and_https), T(test_answer_to_file), T(test_not_published),
    };
    return cmocka_run_group_tests_name("mirror_settings", tests, NULL, NULL);
}
