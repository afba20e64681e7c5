/* certdeck CLI — init, tags, access groups, presets, CRLs and the audit log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

int cmd_init(struct cli *c, int argc, char **argv)
{
    const char *admin = "admin";
    int help = 0, np = 0;
    const struct copt opts[] = { { "admin", OPT_STR, &admin }, { NULL, 0, NULL } };
    const char *pos[1];
    if (cli_parse(argc, argv, opts, pos, 0, &np, &help)) return 2;
    if (help) { puts("usage: certdeck init [--admin NAME]"); return 0; }
    int rc = cli_open(c, 1);
    if (!rc) rc = cd_store_init(c->s, admin, &c->err);
    if (rc) return cli_fail(c, rc);
    char *n = cd_sanitize(cd_store_name(c->s), (size_t)-1);
    printf("initialised %s: group /All, administrator %s, the server CA and its server and agent certificates\n",
           n ? n : "", admin);
    free(n);
    return 0;
}

/* ---- tags -------------------------------------------------------------- */

static int tag_list(struct cli *c, int argc, char **argv)
{
    const struct copt opts[] = { FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "tag list [--format table|json|csv]");
    struct cd_tag_list l;
    int rc = cd_tag_list(c->s, c->u, &l, &c->err);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = { { "name", "Tag", 0 }, { "certificates", "Certs", 1 }, { "cas", "CAs", 1 } };
    struct out o;
    out_begin(&o, c->fmt, cols, 3);
    for (size_t i = 0; i < l.n; i++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%lld", (long long)l.rows[i].certs);
        snprintf(b, sizeof b, "%lld", (long long)l.rows[i].cas);
        const char *v[] = { l.rows[i].name, a, b };
        out_row(&o, v);
    }
    out_end(&o);
    cd_tag_list_free(&l);
    return 0;
}

static int tag_create(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "tag create TAG");
    int rc = cd_tag_create(c->s, c->u, pos[0], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int tag_delete(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "tag delete TAG");
    int rc = cd_tag_delete(c->s, c->u, pos[0], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int tag_change(struct cli *c, int argc, char **argv, int assign)
{
    int ca = 0;
    const struct copt opts[] = { { "ca", OPT_FLAG, &ca }, { NULL, 0, NULL } };
    ARGS(opts, 64, 2, assign ? "tag add [--ca] ID TAG..." : "tag rm [--ca] ID TAG...");
    int kind = ca ? CD_KIND_CA : CD_KIND_CERT;
    int64_t id;
    int rc = cli_id(c, kind, pos[0], &id);
    for (int i = 1; !rc && i < np; i++) rc = cd_tag_set(c->s, c->u, kind, &id, 1, pos[i], assign, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}
static int tag_add(struct cli *c, int argc, char **argv) { return tag_change(c, argc, argv, 1); }
static int tag_rm(struct cli *c, int argc, char **argv) { return tag_change(c, argc, argv, 0); }

static const struct subcmd tag_cmds[] = {
    { "list", tag_list, "list" }, { "create", tag_create, "create TAG" }, { "delete", tag_delete, "delete TAG" },
    { "add", tag_add, "add [--ca] ID TAG..." }, { "rm", tag_rm, "rm [--ca] ID TAG..." }, { NULL, NULL, NULL },
};
int cmd_tag(struct cli *c, int argc, char **argv) { return cli_dispatch(c, "tag", tag_cmds, argc, argv); }

/* ---- groups ------------------------------------------------------------ */

static int group_list(struct cli *c, int argc, char **argv)
{
    const struct copt opts[] = { FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "group list [--format table|json|csv]");
    struct cd_group_list l;
    int rc = cd_group_list(c->s, c->u, &l, &c->err);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = { { "path", "Group", 0 }, { "cas", "CAs", 1 }, { "certificates", "Certs", 1 } };
    struct out o;
    out_begin(&o, c->fmt, cols, 3);
    for (size_t i = 0; i < l.n; i++) {
        char a[32], b[32];
        snprintf(a, sizeof a, "%lld", (long long)l.rows[i].cas);
        snprintf(b, sizeof b, "%lld", (long long)l.rows[i].certs);
        const char *v[] = { l.rows[i].path, a, b };
        out_row(&o, v);
    }
    out_end(&o);
    cd_group_list_free(&l);
    return 0;
}

static int group_add(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "group add PATH");
    int rc = cd_group_add(c->s, c->u, pos[0], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int group_rm(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "group rm PATH");
    int rc = cd_group_rm(c->s, c->u, pos[0], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static const struct subcmd group_cmds[] = {
    { "list", group_list, "list" }, { "add", group_add, "add PATH    (e.g. \"/All/San Diego\")" },
    { "rm", group_rm, "rm PATH     (only an empty group)" }, { NULL, NULL, NULL },
};
int cmd_group(struct cli *c, int argc, char **argv) { return cli_dispatch(c, "group", group_cmds, argc, argv); }

/* ---- presets ----------------------------------------------------------- */

static int preset_list(struct cli *c, int argc, char **argv)
{
    const struct copt opts[] = { FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "preset list [--format table|json|csv]");
    struct cd_preset_list l;
    int rc = cd_preset_list(c->s, c->u, &l, &c->err);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = { { "name", "Preset", 0 }, { "filter", "Filter", 0 },
                                           { "columns", "Columns", 0 }, { "sort", "Sort", 0 },
                                           { "owner", "Owner", 0 }, { "shared", "Shared", OUT_BOOL } };
    struct out o;
    out_begin(&o, c->fmt, cols, 6);
    for (size_t i = 0; i < l.n; i++) {
        const char *v[] = { l.rows[i].name, l.rows[i].expr, l.rows[i].columns, l.rows[i].sort, l.rows[i].owner,
                            l.rows[i].shared ? "yes" : "no" };
        out_row(&o, v);
    }
    out_end(&o);
    cd_preset_list_free(&l);
    return 0;
}

static int preset_save(struct cli *c, int argc, char **argv)
{
    const char *columns = NULL, *sort = NULL;
    int shared = 0;
    const struct copt opts[] = { { "columns", OPT_STR, &columns }, { "sort", OPT_STR, &sort },
                                 { "shared", OPT_FLAG, &shared }, { NULL, 0, NULL } };
    ARGS(opts, 2, 2, "preset save NAME EXPR [--columns c1,c2] [--sort COL[:desc]] [--shared]");
    int rc = cd_preset_save(c->s, c->u, pos[0], pos[1], columns, sort, &c->err);
    if (!rc && shared) rc = cd_preset_share(c->s, c->u, pos[0], 1, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int preset_sharing(struct cli *c, int argc, char **argv, int shared)
{
    ARGS(NULL, 1, 1, shared ? "preset share NAME" : "preset unshare NAME");
    int rc = cd_preset_share(c->s, c->u, pos[0], shared, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}
static int preset_share(struct cli *c, int argc, char **argv) { return preset_sharing(c, argc, argv, 1); }
static int preset_unshare(struct cli *c, int argc, char **argv) { return preset_sharing(c, argc, argv, 0); }

static int preset_rm(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "preset rm NAME");
    int rc = cd_preset_rm(c->s, c->u, pos[0], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static const struct subcmd preset_cmds[] = {
    { "list", preset_list, "list" },
    { "save", preset_save, "save NAME EXPR [--columns ...] [--sort ...] [--shared]" },
    { "rm", preset_rm, "rm NAME" }, { "share", preset_share, "share NAME" },
    { "unshare", preset_unshare, "unshare NAME" }, { NULL, NULL, NULL },
};
int cmd_preset(struct cli *c, int argc, char **argv) { return cli_dispatch(c, "preset", preset_cmds, argc, argv); }

/* ---- CRL --------------------------------------------------------------- */

int cmd_crl(struct cli *c, int argc, char **argv)
{
    const char *out = NULL, *pf = NULL;
    int der = 0;
    long days = 7;
    const struct copt opts[] = { { "out", OPT_STR, &out }, { "der", OPT_FLAG, &der }, { "days", OPT_LONG, &days },
                                 { "ca-passphrase-file", OPT_STR, &pf }, { NULL, 0, NULL } };
    ARGS(opts, 1, 1, "crl CA_ID [--out F] [--der] [--days N] [--ca-passphrase-file F]");
    if (days < 1 || days > 3650) return cli_msg(2, "--days is 1 to 3650 (the CRL's next update)");
    int64_t id;
    int rc = cli_id(c, CD_KIND_CA, pos[0], &id);
    if (rc) return cli_fail(c, rc);
    /* a refused --out is known before the CRL number is spent */
    if ((rc = cli_check_out(c, out, der))) return rc;
    char *pass = NULL;
    if ((rc = cli_ca_passphrase(c, id, pos[0], pf, &pass))) return rc;
    unsigned char *data = NULL;
    size_t len = 0;
    rc = cd_crl(c->s, c->u, id, pass, (int)days, !der, &data, &len, &c->err);
    cli_free_secret(pass);
    if (rc) return cli_fail(c, rc);
    rc = cli_write_out(c, out, data, len, der);
    free(data);
    return rc;
}

/* ---- audit ------------------------------------------------------------- */

int cmd_audit(struct cli *c, int argc, char **argv)
{
    const char *object = NULL;
    long limit = c->limit;
    const char *filter = NULL;
    const struct copt opts[] = { { "object", OPT_STR, &object }, { "limit", OPT_LONG, &limit },
                                 { "filter", OPT_STR, &filter }, FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "audit [--object OBJECT] [--filter EXPR] [--limit N] [--format table|json|csv]\n"
         "       audit verify [--format table|json|csv]\n"
         "  OBJECT is as shown in the Object column: \"cert 12\", \"ca 1\", \"user alice\"\n"
         "  EXPR filters on user, action, result, object, section and time:\n"
         "    result:Forbidden user=alice time>7d ... (see certdeck-filter(7))");
    if (np && !strcmp(pos[0], "verify")) {
        int64_t n = 0, bad = 0;
        int rc = cd_audit_verify(c->s, c->u, &n, &bad, &c->err);
        if (rc) return cli_fail(c, rc);
        if (c->fmt == FMT_TABLE) {
            printf("audit chain intact: %lld records\n", (long long)n);
            /* intact, but some records were taken in after no key vouched
             * for them when written: say which, every time */
            struct cd_audit_list l;
            if (!cd_audit_list(c->s, c->u, NULL, "action=\"Adopt unkeyed audit records\"", 0, &l, &c->err)) {
                for (size_t i = 0; i < l.n; i++) {
                    char *d = cd_sanitize(l.rows[i].detail, (size_t)-1);
                    printf("note: record %lld: %s\n", (long long)l.rows[i].id, d ? d : "");
                    free(d);
                }
                cd_audit_list_free(&l);
            }
            return 0;
        }
        static const struct out_col vcols[] = { { "intact", "Intact", OUT_BOOL }, { "records", "Records", OUT_NUM } };
        char num[32];
        snprintf(num, sizeof num, "%lld", (long long)n);
        const char *v[] = { "yes", num };
        out_object(c->fmt, vcols, 2, v);
        return 0;
    }
    if (np) {
        static const char *const subs[] = { "verify" };
        return cli_unknown("audit subcommand", pos[0], -1, subs, 1);
    }
    struct cd_audit_list l;
    int rc = cd_audit_list(c->s, c->u, object, filter, limit, &l, &c->err);
    if (rc) return rc == CD_E_FILTER ? cli_filter_fail(filter, &c->err) : cli_fail(c, rc);
    static const struct out_col cols[] = { { "id", "ID", OUT_NUM }, { "time", "Time", 0 }, { "user", "User", 0 },
                                           { "action", "Action", 0 }, { "object", "Object", 0 },
                                           { "result", "Result", 0 }, { "section", "Section", 0 },
                                           { "detail", "Detail", 0 } };
    struct out o;
    out_begin(&o, c->fmt, cols, 8);
    for (size_t i = 0; i < l.n; i++) {
        char id[32], t[32];
        snprintf(id, sizeof id, "%lld", (long long)l.rows[i].id);
        const char *v[] = { id, cd_format_time(l.rows[i].time, t, sizeof t), l.rows[i].user,
                            l.rows[i].action, l.rows[i].object, l.rows[i].result, l.rows[i].section,
                            l.rows[i].detail };
        out_row(&o, v);
    }
    out_end(&o);
    cd_audit_list_free(&l);
    return 0;
}
