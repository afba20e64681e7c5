/* certdeck CLI — "certdeck cert renew" and "certdeck ca rollover"
 * (certdeck/lifecycle.h): the core renews and rolls over; this file picks
 * the certificates, asks, and prints old -> new. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

/* ctx: an int, 1 while the progress line is open */
static void progress(void *ctx, size_t done, size_t total)
{
    fprintf(stderr, "\rrenewing certificates: %zu / %zu", done, total);
    if (done == total) fputc('\n', stderr);
    *(int *)ctx = done != total;
}

/* The issuing CA's passphrase: --ca's, or that of the certificates' own
 * CAs (one passphrase at a time: the core takes one). */
static int renew_passphrase(struct cli *c, int64_t ca, const char *caref, const struct cli_certs *s, const char *capf,
                            char **out)
{
    *out = NULL;
    if (ca) return cli_ca_passphrase(c, ca, caref, capf, out);
    int64_t asked = 0;
    for (size_t i = 0; i < s->n; i++) {
        int64_t id = s->cas[i];
        int seen = id == asked;
        for (size_t k = 0; k < i && !seen; k++) seen = s->cas[k] == id;
        if (seen) continue;
        char ref[32], *pass = NULL;
        snprintf(ref, sizeof ref, "%lld", (long long)id);
        int rc = cli_ca_passphrase(c, id, ref, *out ? NULL : capf, &pass);
        if (rc) { cli_free_secret(*out); *out = NULL; return rc; }
        if (!pass) continue;
        if (*out) {
            cli_free_secret(pass);
            cli_free_secret(*out);
            *out = NULL;
            return cli_msg(1, "the certificates come from more than one CA with a passphrase: renew those of one CA "
                           "at a time (--filter), or under one CA (--ca ID)");
        }
        *out = pass;
        asked = id;
    }
    return 0;
}

static const char U_RENEW[] =
    "usage: certdeck cert renew ID... | --filter EXPR [--ca ID] [--same-key] [--days N] [--yes]\n"
    "      [--ca-passphrase-file F] [--format table|json|csv]\n"
    "  A new certificate with each one's product, host, subject, tags, group and description, from its\n"
    "  own CA or --ca, with a new key of the same type (or the same key: --same-key), valid --days or as\n"
    "  long as the old one.  The two are linked (cert show; filter replaced:yes).  The old one stays\n"
    "  valid until you revoke it (--reason superseded).  More than one: asked first, unless --yes.\n"
    "  Tip: --filter 'expires<30d replaced:no' renews what expires soon and was not renewed yet.";

int cmd_cert_renew(struct cli *c, int argc, char **argv)
{
    const char *filter = NULL, *ca = NULL, *capf = NULL;
    long days = 0;
    int same = 0, yes = 0, help = 0, np = 0;
    const struct copt opts[] = {
        { "filter", OPT_STR, &filter }, { "ca", OPT_STR, &ca }, { "same-key", OPT_FLAG, &same },
        { "days", OPT_LONG, &days }, { "yes", OPT_FLAG, &yes }, { "ca-passphrase-file", OPT_STR, &capf },
        FORMAT_OPT(c), { NULL, 0, NULL },
    };
    const char *pos[256];
    if (cli_parse(argc, argv, opts, pos, 256, &np, &help)) return 2;
    if (help) { puts(U_RENEW); return 0; }
    if (!filter == !np) return cli_msg(2, "cert renew: give certificate IDs or --filter EXPR (one of them)");
    if (days && (days < 1 || days > 36500)) return cli_msg(2, "--days is 1 to 36500");
    struct cd_err ferr = { 0 };
    if (filter && cd_filter_check(filter, &ferr)) return cli_filter_fail(filter, &ferr);
    int rc = cli_open(c, 0);
    if (rc) return cli_fail(c, rc);
    struct cd_renew_params p = { .same_key = same, .days = (int)days };
    if (ca && (rc = cli_id(c, CD_KIND_CA, ca, &p.ca_id))) return cli_fail(c, rc);
    struct cli_certs s = { 0 };
    char *pass = NULL;
    int64_t *nids = NULL;
    int status = cli_certs_pick(c, filter, pos, np, &s);
    if (!status && !s.n) status = cli_msg(1, "no certificate matches the filter; nothing renewed");
    if (!status && !yes && (filter || s.n > 1)) {
        char q[96];
        snprintf(q, sizeof q, "renew %zu certificate%s?", s.n, s.n == 1 ? "" : "s");
        status = cli_confirm(q, "nothing renewed");
    }
    if (!status) status = renew_passphrase(c, p.ca_id, ca, &s, capf, &pass);
    if (!status && !(nids = calloc(s.n, sizeof *nids))) status = cli_msg(1, "out of memory");
    if (!status) {
        p.ca_passphrase = pass;
        int open_line = 0;
        rc = cd_cert_renew(c->s, c->u, &p, s.ids, s.n, s.n >= 64 && isatty(STDERR_FILENO) ? progress : NULL,
                           &open_line, nids, &c->err);
        if (open_line) fputc('\n', stderr);
        if (rc) status = cli_fail(c, rc);
        /* one refused certificate refuses the batch: say how to leave such out */
        if (rc == CD_E_STATE && filter)
            fputs("certdeck: nothing renewed; a filter leaves out what renew refuses with "
                  "'replaced:no not status:pending not product:apn not product:abm'\n", stderr);
    }
    if (!status && c->fmt == FMT_TABLE) {
        for (size_t i = 0; i < s.n; i++) printf("cert %lld -> cert %lld\n", (long long)s.ids[i], (long long)nids[i]);
        /* what is left to do: the old ones are still valid */
        fputs("The old certificates stay valid: once the new ones are in use (cert usage ID), revoke the old:\n"
              "  certdeck cert revoke", stderr);
        if (s.n > 8) {
            fputs(" --filter 'replaced:yes inuse:no not product:apn not product:abm' --reason superseded   (every"
                  " replaced one no client presents any more; add to the filter to narrow it)\n", stderr);
        } else {
            for (size_t i = 0; i < s.n; i++) fprintf(stderr, " %lld", (long long)s.ids[i]);
            fputs(" --reason superseded\n", stderr);
        }
    } else if (!status) {
        static const struct out_col cols[] = { { "replaces", "Replaces", OUT_NUM }, { "id", "ID", OUT_NUM } };
        struct out o;
        out_begin(&o, c->fmt, cols, 2);
        for (size_t i = 0; i < s.n; i++) {
            char a[24], b[24];
            snprintf(a, sizeof a, "%lld", (long long)s.ids[i]);
            snprintf(b, sizeof b, "%lld", (long long)nids[i]);
            const char *v[] = { a, b };
            out_row(&o, v);
        }
        out_end(&o);
    }
    cli_free_secret(pass);
    free(nids);
    cli_certs_free(&s);
    return status;
}

static const char U_ROLLOVER[] =
    "usage: certdeck ca rollover ID --cn CN [--key ec256|ed25519|rsa2048|rsa3072|rsa4096] [--days N]\n"
    "      [--description D] [--group G] [--o O] [--ou OU] [--l L] [--st ST] [--c C]\n"
    "      [--passphrase-file F | --no-passphrase] [--yes] [--format table|json|csv]\n"
    "  Makes the successor CA and reissues under it, in one step, every valid certificate of CA ID\n"
    "  (not revoked, not expired, not yet renewed), with new keys, linked to the old ones.  The old CA\n"
    "  stays until its certificates are gone.  Asked first, unless --yes.";

int cmd_ca_rollover(struct cli *c, int argc, char **argv)
{
    struct cd_ca_params p = { 0 };
    const char *key = "ec256", *pf = NULL;
    long days = 0;
    int help = 0, np = 0, nopass = 0, yes = 0;
    const struct copt opts[] = {
        { "cn", OPT_STR, &p.subject.cn }, { "key", OPT_STR, &key }, { "days", OPT_LONG, &days },
        { "description", OPT_STR, &p.description }, { "group", OPT_STR, &p.group },
        { "o", OPT_STR, &p.subject.o }, { "ou", OPT_STR, &p.subject.ou }, { "l", OPT_STR, &p.subject.l },
        { "st", OPT_STR, &p.subject.st }, { "c", OPT_STR, &p.subject.c }, { "passphrase-file", OPT_STR, &pf },
        { "no-passphrase", OPT_FLAG, &nopass }, { "yes", OPT_FLAG, &yes }, FORMAT_OPT(c), { NULL, 0, NULL },
    };
    const char *pos[1];
    if (cli_parse(argc, argv, opts, pos, 1, &np, &help)) return 2;
    if (help) { puts(U_ROLLOVER); return 0; }
    if (np != 1) return cli_msg(2, "ca rollover: give the ID of the CA to roll over");
    if (!p.subject.cn) return cli_msg(2, "ca rollover: --cn is required (the new CA's name)");
    if ((p.keytype = cd_keytype_parse(key)) < 0) return cli_unknown("key type", key, CD_NAMES_KEYTYPE, NULL, 0);
    if (days && (days < 1 || days > 36500)) return cli_msg(2, "--days is 1 to 36500");
    p.days = (int)days;
    int rc = cli_open(c, 0);
    if (rc) return cli_fail(c, rc);
    int64_t old = 0;
    if ((rc = cli_id(c, CD_KIND_CA, pos[0], &old))) return cli_fail(c, rc);
    struct cd_ca a;
    if ((rc = cd_ca_get(c->s, c->u, old, &a, &c->err))) return cli_fail(c, rc);
    char q[200];
    /* cert_count is the CA's unrevoked certificates: the expired and those
     * renewed already are among them but not reissued, hence "at most" */
    snprintf(q, sizeof q, "roll over CA %lld: a new CA, and reissued under it every certificate of CA %lld "
             "not revoked, expired or renewed already (at most %lld)?", (long long)old, (long long)old,
             (long long)a.cert_count);
    cd_ca_clear(&a);
    if (!yes && (rc = cli_confirm(q, "nothing changed"))) return rc;
    int prc = 0;
    char *pass = nopass ? NULL : cli_passphrase(pf, "New CA passphrase (empty: use the store key): ", 1, &prc);
    if (prc) return prc;
    p.passphrase = pass;
    int64_t nid = 0;
    size_t n = 0;
    int open_line = 0;
    rc = cd_ca_rollover(c->s, c->u, old, &p, isatty(STDERR_FILENO) ? progress : NULL, &open_line, &nid, &n, &c->err);
    if (open_line) fputc('\n', stderr);
    cli_free_secret(pass);
    if (rc) return cli_fail(c, rc);
    if (c->fmt == FMT_TABLE) {
        printf("ca %lld -> ca %lld, %zu certificate%s reissued\n", (long long)old, (long long)nid, n, n == 1 ? "" : "s");
        fprintf(stderr, "Next: trust CA %lld where CA %lld is trusted (certdeck ca export %lld)%s\n", (long long)nid,
                (long long)old, (long long)nid, n ? ", deploy the reissued certificates, then revoke the old ones "
                "(--reason superseded): certdeck cert list --filter replaced:yes lists them (cert show ID: Replaced "
                "by)." : ".");
        return 0;
    }
    static const struct out_col cols[] = { { "predecessor", "Predecessor", OUT_NUM }, { "id", "ID", OUT_NUM },
                                           { "reissued", "Reissued", OUT_NUM } };
    char b0[24], b1[24], b2[24];
    snprintf(b0, sizeof b0, "%lld", (long long)old);
    snprintf(b1, sizeof b1, "%lld", (long long)nid);
    snprintf(b2, sizeof b2, "%zu", n);
    const char *v[] = { b0, b1, b2 };
    out_object(c->fmt, cols, 3, v);
    return 0;
}
