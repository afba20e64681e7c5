/* certdeck CLI — users and permission sets.  Passwords come from a file
 * (--password-file, "-" for standard input) or a prompt, never from argv. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

/* ---- users ------------------------------------------------------------- */

static int user_add(struct cli *c, int argc, char **argv)
{
    const char *home = NULL, *pwfile = NULL;
    const struct copt opts[] = { { "home", OPT_STR, &home }, { "password-file", OPT_STR, &pwfile },
                                 { NULL, 0, NULL } };
    ARGS(opts, 1, 1, "user add NAME --home GROUP [--password-file F]");
    if (!home) return cli_msg(2, "user add: --home GROUP is required (e.g. --home \"/All/San Diego\")");
    int rc = 0;
    char *pw = cli_passphrase(pwfile, "New user's password: ", 1, &rc);
    if (rc) return rc;
    if (pw && strlen(pw) < 8) { cli_free_secret(pw); return cli_msg(1, "a password has at least 8 characters"); }
    rc = cd_user_add(c->s, c->u, pos[0], home, pw, &c->err);
    cli_free_secret(pw);
    if (rc) return cli_fail(c, rc);
    if (!pw) cli_msg(0, "note: %s has no password yet and cannot log in; set one with \"user passwd %s\"", pos[0], pos[0]);
    return 0;
}

static int user_list(struct cli *c, int argc, char **argv)
{
    const struct copt opts[] = { FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "user list [--format table|json|csv]");
    struct cd_user_list l;
    int rc = cd_user_list(c->s, c->u, &l, &c->err);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = {
        { "name", "User", 0 }, { "home", "Home group", 0 }, { "permsets", "Permission sets", OUT_LIST },
        { "state", "State", 0 }, { "created", "Created", 0 },
    };
    struct out o;
    out_begin(&o, c->fmt, cols, 5);
    for (size_t i = 0; i < l.n; i++) {
        const struct cd_user_info *r = &l.rows[i];
        char t[32];
        const char *state = r->disabled ? "disabled" : r->admin ? "administrator" : r->has_password ? "enabled"
                                                                                                   : "no password";
        const char *v[] = { r->name, r->home, r->permsets, state, cd_format_time(r->created, t, sizeof t) };
        out_row(&o, v);
    }
    out_end(&o);
    cd_user_list_free(&l);
    return 0;
}

static int user_rm(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "user rm NAME");
    int rc = cd_user_rm(c->s, c->u, pos[0], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int user_able(struct cli *c, int argc, char **argv, int disable)
{
    ARGS(NULL, 1, 1, disable ? "user disable NAME" : "user enable NAME");
    int rc = cd_user_set_disabled(c->s, c->u, pos[0], disable, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}
static int user_disable(struct cli *c, int argc, char **argv) { return user_able(c, argc, argv, 1); }
static int user_enable(struct cli *c, int argc, char **argv) { return user_able(c, argc, argv, 0); }

static int user_passwd(struct cli *c, int argc, char **argv)
{
    const char *pwfile = NULL, *oldfile = NULL;
    const struct copt opts[] = { { "password-file", OPT_STR, &pwfile }, { "old-password-file", OPT_STR, &oldfile },
                                 { NULL, 0, NULL } };
    ARGS(opts, 1, 1, "user passwd NAME [--old-password-file F] [--password-file F]");
    int rc = 0;
    char *old = NULL;
    /* one's own password, unless one is the administrator, needs the old one */
    if (!cd_user_is_admin(c->u) && !strcmp(pos[0], cd_user_name(c->u))) {
        old = cli_passphrase(oldfile, "Old password: ", 0, &rc);
        if (rc) return rc;
        if (!old) return cli_msg(1, "the old password is needed: give --old-password-file F or use a terminal");
    }
    char *pw = cli_passphrase(pwfile, "New password: ", 1, &rc);
    if (!rc && !pw) rc = cli_msg(1, "a new password is needed: give --password-file F or use a terminal");
    if (!rc && (rc = cd_user_passwd(c->s, c->u, pos[0], old, pw, &c->err))) rc = cli_fail(c, rc);
    cli_free_secret(old);
    cli_free_secret(pw);
    return rc;
}

static const struct subcmd user_cmds[] = {
    { "add", user_add, "add NAME --home GROUP [--password-file F]" }, { "list", user_list, "list" },
    { "rm", user_rm, "rm NAME" }, { "passwd", user_passwd, "passwd NAME [--old-password-file F] [--password-file F]" },
    { "disable", user_disable, "disable NAME" }, { "enable", user_enable, "enable NAME" }, { NULL, NULL, NULL },
};
int cmd_user(struct cli *c, int argc, char **argv) { return cli_dispatch(c, "user", user_cmds, argc, argv); }

/* ---- permission sets ---------------------------------------------------- */

static int permset_add(struct cli *c, int argc, char **argv)
{
    struct strlist groups = { { 0 }, 0 }, types = { { 0 }, 0 };
    int r = 0, u = 0, w = 0;
    const struct copt opts[] = {
        { "group", OPT_LIST, &groups }, { "type", OPT_LIST, &types }, { "read", OPT_FLAG, &r },
        { "use", OPT_FLAG, &u }, { "write", OPT_FLAG, &w }, { NULL, 0, NULL },
    };
    const char *usage = "permset add NAME --group G... [--read] [--use] [--write]"
                        " [--type certificates|cas|tags|presets|users[=read|use|write]]...";
    int np = 0;
    const char *pos[1];
    int a = cli_args(argc, argv, opts, pos, 1, 1, &np, usage);
    if (a) return a < 0 ? 0 : a;
    if (!groups.n) return cli_msg(2, "permset add: at least one --group G");
    int level = w ? CD_RIGHT_WRITE : u ? CD_RIGHT_USE : r ? CD_RIGHT_READ : CD_RIGHT_NONE;
    int levels[CD_OT_COUNT] = { 0 }, own = 0;
    for (int i = 0; i < types.n; i++) {
        /* "--type certificates,cas", repeated --type, and TYPE=LEVEL for a
         * level of its own: --type certificates=write,cas=use */
        char buf[256];
        snprintf(buf, sizeof buf, "%s", types.v[i]);
        for (char *save = NULL, *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
            char *eq = strchr(t, '=');
            int l = level;
            if (eq) {
                *eq++ = 0;
                l = !strcmp(eq, "read") ? CD_RIGHT_READ : !strcmp(eq, "use") ? CD_RIGHT_USE
                  : !strcmp(eq, "write") ? CD_RIGHT_WRITE : -1;
                if (l < 0) return cli_msg(2, "unknown level \"%s\": read, use or write", eq);
                own = 1;
            }
            int ot = cd_otype_parse(t);
            if (ot < 0) return cli_msg(2, "unknown --type \"%s\": certificates, cas, tags, presets or users", t);
            levels[ot] = l;
        }
    }
    if (!level && !own) return cli_msg(2, "permset add: one of --read, --use, --write (each includes the ones before)");
    if (!types.n) for (int t = 0; t < CD_OT_COUNT; t++) levels[t] = level;
    int rc = cli_open(c, 0);
    if (!rc) rc = cd_permset_add(c->s, c->u, pos[0], groups.v, (size_t)groups.n, levels, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int permset_list(struct cli *c, int argc, char **argv)
{
    const struct copt opts[] = { FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "permset list [--format table|json|csv]");
    struct cd_permset_list l;
    int rc = cd_permset_list(c->s, c->u, &l, &c->err);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = {
        { "name", "Set", 0 }, { "groups", "Groups", OUT_LIST }, { "certificates", "Certs", 0 }, { "cas", "CAs", 0 },
        { "tags", "Tags", 0 }, { "presets", "Presets", 0 }, { "users", "Users", 0 }, { "members", "Members", OUT_LIST },
    };
    struct out o;
    out_begin(&o, c->fmt, cols, 8);
    for (size_t i = 0; i < l.n; i++) {
        const struct cd_permset *p = &l.rows[i];
        const char *v[8] = { p->name, p->groups };
        for (int t = 0; t < CD_OT_COUNT; t++) v[2 + t] = p->level[t] ? cd_right_name(p->level[t]) : "-";
        v[7] = p->users;
        out_row(&o, v);
    }
    out_end(&o);
    cd_permset_list_free(&l);
    return 0;
}

static int permset_rm(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "permset rm NAME");
    int rc = cd_permset_rm(c->s, c->u, pos[0], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int permset_give(struct cli *c, int argc, char **argv, int grant)
{
    ARGS(NULL, 2, 2, grant ? "permset grant NAME USER" : "permset revoke NAME USER");
    int rc = cd_permset_grant(c->s, c->u, pos[0], pos[1], grant, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}
static int permset_grant(struct cli *c, int argc, char **argv) { return permset_give(c, argc, argv, 1); }
static int permset_revoke(struct cli *c, int argc, char **argv) { return permset_give(c, argc, argv, 0); }

static const struct subcmd permset_cmds[] = {
    { "add", permset_add, "add NAME --group G... [--read] [--use] [--write] [--type T]..." },
    { "list", permset_list, "list" }, { "rm", permset_rm, "rm NAME" },
    { "grant", permset_grant, "grant NAME USER" }, { "revoke", permset_revoke, "revoke NAME USER" },
    { NULL, NULL, NULL },
};
int cmd_permset(struct cli *c, int argc, char **argv)
{
    return cli_dispatch(c, "permset", permset_cmds, argc, argv);
}
