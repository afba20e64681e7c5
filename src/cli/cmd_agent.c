/* certdeck CLI — `certdeck agent checkin`: a minimal agent that checks in
 * with certdeckd's agent port over mutual TLS (cd_agent_checkin), for tests
 * and scripts.  It needs no store. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

#define CHECKIN_ARGS "checkin --server https://HOST:PORT --cacert F --cert F --key F --name NAME\n" \
                      "                [--password-file F] [--format table|json|csv]"
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
    if (a->json && !out_json_text(a->json, strlen(a->json))) return;
    char st[32];
    snprintf(st, sizeof st, "%ld", a->http_status);
    const char *v[] = { a->accepted ? "yes" : "no", st, a->message };
    out_object(FMT_JSON, cols, 3, v);
}

static int agent_checkin(struct cli *c, int argc, char **argv)
{
    struct cd_agent_opts ao = { 0 };
    const char *pwfile = NULL, *pos[1];
    int np = 0;
    const struct copt opts[] = {
        { "server", OPT_STR, &ao.server }, { "cacert", OPT_STR, &ao.cacert }, { "cert", OPT_STR, &ao.cert_file },
        { "key", OPT_STR, &ao.key_file }, { "name", OPT_STR, &ao.name }, { "password-file", OPT_STR, &pwfile },
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
    free(ans.json);
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
