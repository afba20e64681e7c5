/* certdeck CLI — `certdeck agent checkin`: a minimal agent that checks in
 * with certdeckd's agent port over mutual TLS (cd_agent_checkin), for tests
 * and scripts, and keeps what the answer says about the mirror in a file
 * of its own (--mirror-out, 0600).  It needs no store.  The mirror's
 * password is written to that file only, never printed. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

#define CHECKIN_ARGS "checkin --server https://HOST:PORT --cacert F --cert F --key F --name NAME\n" \
                      "                [--password-file F] [--mirror-out F] [--format table|json|csv]"
#define CHECKIN_USAGE "agent " CHECKIN_ARGS

/* The answer's CRL list as rows: ca, number, url (exact, each format makes
 * them safe). */
static void crl_rows(json_t *crls, struct out *o)
{
    size_t i;
    json_t *c;
    json_array_foreach(crls, i, c) {
        char ca[32], num[32];
        snprintf(ca, sizeof ca, "%lld", (long long)json_integer_value(json_object_get(c, "ca")));
        snprintf(num, sizeof num, "%lld", (long long)json_integer_value(json_object_get(c, "number")));
        const char *url = json_string_value(json_object_get(c, "url"));
        const char *v[] = { ca, num, url ? url : "" };
        out_row(o, v);
    }
}

/* The mirror the answer names, in words: its address and user (sanitised),
 * never its password. */
static void print_mirror(const struct cd_agent_answer *a)
{
    struct cd_mirror_secret m;
    struct cd_err e = { 0 };
    int rc = cd_agent_answer_mirror(a, &m, &e);
    if (rc == CD_E_NOTFOUND) { puts("no mirror set"); return; }
    if (rc) { cli_msg(0, "%s", cd_errmsg(&e, rc)); return; }
    char *url = cd_sanitize(m.url, (size_t)-1), *user = m.user ? cd_sanitize(m.user, (size_t)-1) : NULL;
    printf("mirror: %s (%s%s%s)\n", url ? url : "?", user ? "user " : "no user", user ? user : "",
           m.password ? ", password received" : "");
    free(url);
    free(user);
    cd_mirror_secret_clear(&m);
}

static void print_accepted(int fmt, const struct cd_agent_answer *a)
{
    static const struct out_col cols[] = { { "ca", "CA", OUT_NUM }, { "number", "CRL number", OUT_NUM },
                                           { "url", "URL", OUT_TEXT } };
    json_t *j = json_loads(a->json ? a->json : "", 0, NULL);
    long long cert = (long long)json_integer_value(json_object_get(j, "certificate"));
    struct out o;
    if (fmt == FMT_TABLE) {
        printf("accepted (certificate %lld)\n", cert);
        if (json_is_true(json_object_get(j, "unauthenticated")))
            puts("let in without the client password: unauthenticated access for clients is on");
        print_mirror(a);
    }
    out_begin(&o, fmt, cols, 3);
    crl_rows(json_object_get(j, "crls"), &o);
    if (fmt == FMT_TABLE && !o.n) {
        puts("no CRLs");
        out_discard(&o);
    } else {
        out_end(&o);
    }
    json_decref(j);
}

/* The server's answer as it came, re-encoded; an answer that is not JSON
 * (not certdeckd) as {"accepted", "status", "error"}. */
static void print_json(const struct cd_agent_answer *a)
{
    static const struct out_col cols[] = { { "accepted", "Accepted", OUT_BOOL }, { "status", "Status", OUT_NUM },
                                           { "error", "Error", OUT_TEXT } };
    /* the mirror's password goes to --mirror-out only: here it is "has_password" */
    json_t *j = a->json ? json_loads(a->json, 0, NULL) : NULL, *m = json_object_get(j, "mirror");
    json_t *pw = json_object_get(m, "password");
    if (json_is_string(pw)) {
        explicit_bzero((char *)json_string_value(pw), json_string_length(pw));
        json_object_del(m, "password");
        json_object_set_new(m, "has_password", json_true());
    }
    char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    int shown = text && !out_json_text(text, strlen(text));
    free(text);
    if (shown) return;
    char st[32];
    snprintf(st, sizeof st, "%ld", a->http_status);
    const char *v[] = { a->accepted ? "yes" : "no", st, a->message };
    out_object(FMT_JSON, cols, 3, v);
}

/* --mirror-out F: the mirror the answer named, to F (0600); none named
 * leaves F as it is, and says so. */
static int save_mirror(struct cli *c, const struct cd_agent_answer *a, const char *path)
{
    struct cd_mirror_secret m;
    int rc = cd_agent_answer_mirror(a, &m, &c->err);
    if (rc == CD_E_NOTFOUND) return cli_msg(0, "no mirror set: %s left untouched", path);
    if (!rc) rc = cd_mirror_secret_save(&m, path, &c->err);
    cd_mirror_secret_clear(&m);
    return rc ? cli_fail(c, rc) : 0;
}

static int agent_checkin(struct cli *c, int argc, char **argv)
{
    struct cd_agent_opts ao = { 0 };
    const char *pwfile = NULL, *mirror_out = NULL, *pos[1];
    int np = 0;
    const struct copt opts[] = {
        { "server", OPT_STR, &ao.server }, { "cacert", OPT_STR, &ao.cacert }, { "cert", OPT_STR, &ao.cert_file },
        { "key", OPT_STR, &ao.key_file }, { "name", OPT_STR, &ao.name }, { "password-file", OPT_STR, &pwfile },
        { "mirror-out", OPT_STR, &mirror_out },
        FORMAT_OPT(c), { NULL, 0, NULL },
    };
    int a = cli_args(argc, argv, opts, pos, 0, 0, &np, CHECKIN_USAGE);
    if (a) return a < 0 ? 0 : a;
    if (!ao.cacert) ao.cacert = c->cacert;     /* the global --cacert, or $CERTDECK_CACERT */
    const char *missing = !ao.server ? "--server" : !ao.cacert ? "--cacert" : !ao.cert_file ? "--cert"
                        : !ao.key_file ? "--key" : !ao.name ? "--name" : NULL;
    if (missing) return cli_msg(2, "agent checkin needs %s (see certdeck agent checkin --help)", missing);
    int rc = 0;
    char *pw = cli_passphrase(pwfile, NULL, 0, &rc);
    if (rc) return rc;
    ao.password = pw;
    struct cd_agent_answer ans;
    int r = cd_agent_checkin(&ao, &ans, &c->err);
    cli_free_secret(pw);
    if (r) return cli_fail(c, r);
    if (c->fmt == FMT_JSON) print_json(&ans);   /* refused too: scripts read the server's reason */
    else if (ans.accepted) print_accepted(c->fmt, &ans);
    rc = ans.accepted ? 0 : cli_msg(1, "check-in refused: %s", ans.message);
    if (!rc && mirror_out) rc = save_mirror(c, &ans, mirror_out);
    cd_secret_free(ans.json);      /* it may hold the mirror's password */
    return rc;
}

int cmd_agent(struct cli *c, int argc, char **argv)
{
    static const struct subcmd t[] = {
        { "checkin", agent_checkin, CHECKIN_ARGS },
        { NULL, NULL, NULL },
    };
    return cli_dispatch(c, "agent", t, argc, argv);
}
