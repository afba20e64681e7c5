/* certdeck CLI — "certdeck ca ...": certification authorities. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static int ca_new(struct cli *c, int argc, char **argv)
{
    struct cd_ca_params p = { 0 };
    const char *key = "ec256", *pf = NULL, *vf = NULL, *vt = NULL;
    long days = -1;                     /* -1: --days not given (the core's default) */
    int help = 0, np = 0, nopass = 0;
    const struct copt opts[] = {
        { "cn", OPT_STR, &p.subject.cn }, { "key", OPT_STR, &key }, { "days", OPT_LONG, &days },
        { "valid-from", OPT_STR, &vf }, { "valid-to", OPT_STR, &vt },
        { "description", OPT_STR, &p.description }, { "group", OPT_STR, &p.group },
        { "o", OPT_STR, &p.subject.o }, { "ou", OPT_STR, &p.subject.ou }, { "l", OPT_STR, &p.subject.l },
        { "st", OPT_STR, &p.subject.st }, { "c", OPT_STR, &p.subject.c },
        { "passphrase-file", OPT_STR, &pf }, { "no-passphrase", OPT_FLAG, &nopass }, FORMAT_OPT(c), { NULL, 0, NULL },
    };
    const char *pos[1];
    if (cli_parse(argc, argv, opts, pos, 0, &np, &help)) return 2;
    if (help) {
        puts("usage: certdeck ca new --cn CN [--key ec256|ed25519|rsa2048|rsa3072|rsa4096] [--days N]\n"
             "      [--valid-from DATE] [--valid-to DATE] [--description D] [--group G]\n"
             "      [--o O] [--ou OU] [--l L] [--st ST] [--c C] [--passphrase-file F | --no-passphrase]\n"
             "  Without a passphrase the CA key is protected by the store key.");
        return 0;
    }
    if (!p.subject.cn) return cli_msg(2, "ca new: --cn is required");
    if ((p.keytype = cd_keytype_parse(key)) < 0) return cli_unknown("key type", key, CD_NAMES_KEYTYPE, NULL, 0);
    if (days != -1 && (days < 1 || days > 36500)) return cli_msg(2, "--days is 1 to 36500");
    p.days = days < 0 ? 0 : (int)days;
    if (vf && cli_parse_when(vf, &p.not_before)) return cli_msg(2, "--valid-from: expected 2026-01-31");
    if (vt && cli_parse_when(vt, &p.not_after)) return cli_msg(2, "--valid-to: expected 2026-01-31");
    int prc = 0;
    char *pass = nopass ? NULL : cli_passphrase(pf, "CA passphrase (empty: use the store key): ", 1, &prc);
    if (prc) return prc;
    p.passphrase = pass;
    int rc = cli_open(c, 0);
    int64_t id = 0;
    if (!rc) rc = cd_ca_new(c->s, c->u, &p, &id, &c->err);
    cli_free_secret(pass);
    if (rc) return cli_fail(c, rc);
    out_ids(c->fmt, &id, 1);
    return 0;
}

static const struct out_col ca_cols[] = {
    { "id", "ID", OUT_NUM }, { "description", "Description", OUT_TEXT }, { "cn", "Subject", OUT_TEXT },
    { "key", "Key", OUT_TEXT }, { "valid_from", "Valid from", OUT_TEXT }, { "valid_to", "Valid to", OUT_TEXT },
    { "status", "Status", OUT_TEXT }, { "can_sign", "Signs", OUT_TEXT }, { "certificates", "Certs", OUT_NUM },
    { "tags", "Tags", OUT_LIST }, { "group", "Group", OUT_TEXT }, { "serial", "Serial", OUT_TEXT },
    { "fingerprint", "Fingerprint", OUT_TEXT }, { "subject_dn", "Subject DN", OUT_TEXT },
};
#define CA_NCOLS ((int)(sizeof ca_cols / sizeof ca_cols[0]))

/* One CA as cells in ca_cols order; bufs holds the formatted numbers. */
static void ca_cells(const struct cd_ca *a, char bufs[5][64], const char **v)
{
    snprintf(bufs[0], 64, "%lld", (long long)a->id);
    snprintf(bufs[3], 64, "%lld", (long long)a->cert_count);
    v[0] = bufs[0]; v[1] = a->description; v[2] = a->cn; v[3] = a->key_alg;
    v[4] = cd_format_time(a->not_before, bufs[1], 64);
    v[5] = cd_format_time(a->not_after, bufs[2], 64);
    v[6] = cd_state_name(a->state);
    v[7] = !a->can_sign ? "no (public key only)" : a->has_passphrase ? "yes (passphrase)" : "yes";
    v[8] = bufs[3]; v[9] = a->tags; v[10] = a->group; v[11] = a->serial; v[12] = a->fingerprint;
    v[13] = a->subject;
}

static int ca_list(struct cli *c, int argc, char **argv)
{
    const char *filter = NULL, *group = NULL;
    int help = 0, np = 0, ofmt = c->fmt;
    const struct copt opts[] = { { "filter", OPT_STR, &filter }, { "format", OPT_FORMAT, &ofmt },
                                 { "group", OPT_STR, &group }, { NULL, 0, NULL } };
    const char *pos[1];
    if (cli_parse(argc, argv, opts, pos, 1, &np, &help)) return 2;
    if (help) { puts("usage: certdeck ca list [--filter EXPR] [--group G] [--format table|json|csv]"); return 0; }
    if (np) filter = pos[0];
    struct cd_err ferr = { 0 };
    if (filter && cd_filter_check(filter, &ferr)) return cli_filter_fail(filter, &ferr);
    int rc = cli_open(c, 0);
    if (rc) return cli_fail(c, rc);
    struct cd_query q = { .filter = filter, .group = group, .limit = c->limit };
    struct cd_ca_list l;
    if ((rc = cd_ca_list(c->s, c->u, &q, &l, &c->err)))
        return rc == CD_E_FILTER ? cli_filter_fail(filter, &c->err) : cli_fail(c, rc);
    struct out o;
    out_begin(&o, ofmt, ca_cols, ofmt == FMT_TABLE ? 11 : CA_NCOLS);
    for (size_t i = 0; i < l.n; i++) {
        char bufs[5][64];
        const char *v[CA_NCOLS];
        ca_cells(&l.rows[i], bufs, v);
        out_row(&o, v);
    }
    out_end(&o);
    cd_ca_list_free(&l);
    return 0;
}

/* Parses "ID [more positionals]", opens, resolves the CA. */
static int with_ca(struct cli *c, int argc, char **argv, const char *usage_text, const struct copt *opts,
                   const char **pos, int maxpos, int need, int64_t *id)
{
    int help = 0, np = 0;
    if (cli_parse(argc, argv, opts, pos, maxpos, &np, &help)) return 2;
    if (help) { printf("usage: certdeck ca %s\n", usage_text); return -1; }
    if (np < need) return cli_msg(2, "usage: certdeck ca %s", usage_text);
    int rc = cli_open(c, 0);
    if (!rc) rc = cli_id(c, CD_KIND_CA, pos[0], id);
    return rc ? cli_fail(c, rc) : 0;
}
#define WITH_CA(usage_text, opts, maxpos, need) \
    int64_t id; const char *pos[maxpos]; \
    { int w_ = with_ca(c, argc, argv, usage_text, opts, pos, maxpos, need, &id); if (w_) return w_ < 0 ? 0 : w_; }

static int ca_show(struct cli *c, int argc, char **argv)
{
    int ofmt = c->fmt;
    const struct copt opts[] = { { "format", OPT_FORMAT, &ofmt }, { NULL, 0, NULL } };
    WITH_CA("show ID [--format table|json|csv]", opts, 1, 1);
    struct cd_ca a;
    int rc = cd_ca_get(c->s, c->u, id, &a, &c->err);
    if (rc) return cli_fail(c, rc);
    char bufs[5][64], t1[40], t2[40];
    struct out_col oc[CA_NCOLS + 2];
    const char *v[CA_NCOLS + 2];
    ca_cells(&a, bufs, v);
    memcpy(oc, ca_cols, sizeof ca_cols);
    int n = CA_NCOLS;
    /* the rollover links (lifecycle.h) */
    out_link(ofmt, oc, v, &n, t1, sizeof t1, "successor", "Successor", "ca", a.successor);
    out_link(ofmt, oc, v, &n, t2, sizeof t2, "predecessor", "Predecessor", "ca", a.predecessor);
    out_object(ofmt, oc, n, v);
    cd_ca_clear(&a);
    return 0;
}

static int ca_export(struct cli *c, int argc, char **argv)
{
    const char *out = NULL;
    const struct copt opts[] = { { "out", OPT_STR, &out }, { NULL, 0, NULL } };
    WITH_CA("export ID [--out F]", opts, 1, 1);
    char *pem = NULL;
    size_t len = 0;
    int rc = cli_check_out(c, out, 0);
    if (rc) return rc;
    if ((rc = cd_ca_export(c->s, c->u, id, &pem, &len, &c->err))) return cli_fail(c, rc);
    rc = cli_write_out(c, out, pem, len, 0);
    free(pem);
    return rc;
}

static int ca_import(struct cli *c, int argc, char **argv)
{
    const char *desc = NULL, *group = NULL;
    int help = 0, np = 0;
    const struct copt opts[] = { { "description", OPT_STR, &desc }, { "group", OPT_STR, &group }, FORMAT_OPT(c),
                                 { NULL, 0, NULL } };
    const char *pos[1];
    if (cli_parse(argc, argv, opts, pos, 1, &np, &help)) return 2;
    if (help || np < 1) {
        puts("usage: certdeck ca import FILE [--description D] [--group G]\n"
             "  Imports a CA certificate (PEM or DER), public key only: it is shown but cannot sign.");
        return help ? 0 : 2;
    }
    unsigned char *data;
    size_t len;
    if (cli_read_file(pos[0], &data, &len)) return 1;
    int rc = cli_open(c, 0);
    int64_t id = 0;
    if (!rc) rc = cd_ca_import(c->s, c->u, data, len, desc, group, &id, &c->err);
    free(data);
    if (rc) return cli_fail(c, rc);
    out_ids(c->fmt, &id, 1);
    return 0;
}

static int ca_delete(struct cli *c, int argc, char **argv)
{
    WITH_CA("delete ID", NULL, 1, 1);
    int rc = cd_ca_delete(c->s, c->u, id, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int ca_describe(struct cli *c, int argc, char **argv)
{
    WITH_CA("describe ID TEXT", NULL, 2, 2);
    int rc = cd_ca_describe(c->s, c->u, id, pos[1], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int ca_move(struct cli *c, int argc, char **argv)
{
    WITH_CA("move ID GROUP", NULL, 2, 2);
    int rc = cd_ca_move(c->s, c->u, id, pos[1], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static const struct subcmd ca_cmds[] = {
    { "new", ca_new, "new --cn CN [--key K] [--days N] [--description D] [--group G] [--passphrase-file F]" },
    { "list", ca_list, "list [--filter EXPR]" },
    { "show", ca_show, "show ID" },
    { "export", ca_export, "export ID [--out F]" },
    { "import", ca_import, "import FILE [--description D] [--group G]" },
    { "delete", ca_delete, "delete ID" },
    { "rollover", cmd_ca_rollover, "rollover ID --cn CN [--key K] [--days N] [--passphrase-file F] [--yes]" },
    { "describe", ca_describe, "describe ID TEXT" },
    { "move", ca_move, "move ID GROUP" },
    { NULL, NULL, NULL },
};

int cmd_ca(struct cli *c, int argc, char **argv)
{
    return cli_dispatch(c, "ca", ca_cmds, argc, argv);
}
