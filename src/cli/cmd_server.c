/* certdeck CLI — the server settings agents see (certdeck server ...): the
 * client password agents must send at check-in, the transitional
 * "unauthenticated clients" switch, the mirror agents are told of at
 * check-in (address, user, password), the expiry warning window (what
 * "expiring" means), and a status that says which is on.
 * Works on a local store and through certdeckd alike; the core checks the
 * right (CD_ACT_SERVER_SETTINGS) and audits every change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static const char UNAUTH_WARNING[] =
    "warning: unauthenticated access for clients is ON — a security risk: agents without the client "
    "password are let in; turn it off (certdeck server unauthenticated-clients off) once all clients have "
    "checked in";

static int client_password(struct cli *c, int argc, char **argv)
{
    const char *pwfile = NULL, *oldfile = NULL;
    int remove = 0;
    const struct copt opts[] = { { "password-file", OPT_STR, &pwfile }, { "old-password-file", OPT_STR, &oldfile },
                                 { "remove", OPT_FLAG, &remove }, { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "server client-password [--old-password-file F] [--password-file F | --remove]");
    if (remove && pwfile) return cli_msg(2, "server client-password: --remove or --password-file, not both");
    struct cd_client_settings cs;
    int rc = cd_client_settings_get(c->s, c->u, &cs, &c->err);
    if (rc) return cli_fail(c, rc);
    /* asking first spares a doomed prompt: the core decides all the same */
    char why[256] = "";
    if (!cd_user_may(c->s, c->u, CD_ACT_SERVER_SETTINGS, NULL, why, sizeof why)) return cli_msg(1, "%s", why);
    char *old = NULL, *pw = NULL;
    if (cs.has_password) {
        old = cli_passphrase(oldfile, "Old client password: ", 0, &rc);
        if (!rc && !old)
            rc = cli_msg(1, "the old client password is needed: give --old-password-file F or use a terminal");
    } else if (oldfile) {
        /* none is set: an old password given can only be a mistake, and the core says so */
        old = cli_passphrase(oldfile, NULL, 0, &rc);
    }
    if (!rc && !remove) {
        pw = cli_passphrase(pwfile, "New client password: ", 1, &rc);
        if (!rc && !pw) rc = cli_msg(1, "a new client password is needed: give --password-file F or use a terminal");
        if (!rc && !*pw) rc = cli_msg(1, "the new client password is empty; to remove it, use --remove");
    }
    if (!rc && (rc = cd_client_password_set(c->s, c->u, old ? old : "", remove ? "" : pw, &c->err)))
        rc = cli_fail(c, rc);
    if (!rc) {
        fprintf(stderr, "%s\n", remove ? "client password removed: agents check in without one"
                                       : "client password set: agents must send it at check-in");
        if (remove && cs.unauthenticated) fprintf(stderr, "%s\n", UNAUTH_WARNING);
    }
    cli_free_secret(old);
    cli_free_secret(pw);
    return rc;
}

static int unauthenticated_clients(struct cli *c, int argc, char **argv)
{
    const char *usage = "server unauthenticated-clients on|off";
    ARGS(NULL, 1, 1, usage);
    int on = !strcmp(pos[0], "on") ? 1 : !strcmp(pos[0], "off") ? 0 : -1;
    if (on < 0) {
        static const char *const choices[] = { "on", "off" };
        return cli_unknown("switch position", pos[0], -1, choices, 2);
    }
    int rc = cd_client_unauth_set(c->s, c->u, on, &c->err);
    if (rc) return cli_fail(c, rc);
    if (on) fprintf(stderr, "%s\n", UNAUTH_WARNING);
    return 0;
}

/* What "expiring" means everywhere: N days (N or Nd). */
static int expiry_warning(struct cli *c, int argc, char **argv)
{
    ARGS(NULL, 1, 1, "server expiry-warning DAYS");
    char *end = NULL;
    long d = strtol(pos[0], &end, 10);
    if (end == pos[0] || (*end && strcmp(end, "d")) || d < CD_EXPIRY_WARN_MIN_DAYS || d > CD_EXPIRY_WARN_MAX_DAYS)
        return cli_msg(2, "server expiry-warning takes a number of days from %d to %d (90 or 90d)",
                       CD_EXPIRY_WARN_MIN_DAYS, CD_EXPIRY_WARN_MAX_DAYS);
    int rc = cd_expiry_warning_set(c->s, c->u, (int)d, &c->err);
    if (rc) return cli_fail(c, rc);
    fprintf(stderr, "expiry warning window set to %ld days: a CA or certificate is \"expiring\" within it\n", d);
    return 0;
}

#define MIRROR_USAGE "server mirror --url URL [--user NAME] [--password-file F | --no-password] | --remove"

/* The mirror agents are told of.  The password: from --password-file, else
 * asked on a terminal (empty keeps the stored one), else the stored one is
 * kept; --no-password removes it. */
static int mirror(struct cli *c, int argc, char **argv)
{
    const char *url = NULL, *user = NULL, *pwfile = NULL;
    int remove = 0, nopw = 0;
    const struct copt opts[] = { { "url", OPT_STR, &url }, { "user", OPT_STR, &user },
                                 { "password-file", OPT_STR, &pwfile }, { "no-password", OPT_FLAG, &nopw },
                                 { "remove", OPT_FLAG, &remove }, { NULL, 0, NULL } };
    ARGS(opts, 1, 0, MIRROR_USAGE);
    if (remove && (url || user || pwfile || nopw))
        return cli_msg(2, "server mirror: --remove takes nothing else (usage: certdeck " MIRROR_USAGE ")");
    if (!remove && !url) return cli_msg(2, "server mirror needs --url URL or --remove (usage: certdeck " MIRROR_USAGE ")");
    if (pwfile && nopw) return cli_msg(2, "server mirror: --password-file or --no-password, not both");
    if ((pwfile || nopw) && !user) return cli_msg(2, "server mirror: a password needs --user NAME");
    char why[256] = "";
    if (!cd_user_may(c->s, c->u, CD_ACT_SERVER_SETTINGS, NULL, why, sizeof why)) return cli_msg(1, "%s", why);
    struct cd_mirror_settings old;
    int rc = cd_mirror_settings_get(c->s, c->u, &old, &c->err);
    if (rc) return cli_fail(c, rc);
    char *pw = NULL;
    if (user && !nopw && !remove) {
        pw = cli_passphrase(pwfile, old.has_password ? "Mirror password (empty: keep the stored one): "
                                                     : "Mirror password (empty: none): ", 1, &rc);
        if (!rc && pw && !*pw && old.has_password) { cli_free_secret(pw); pw = NULL; }
    }
    if (!rc && (rc = cd_mirror_settings_set(c->s, c->u, remove ? NULL : url, user, nopw ? "" : pw, &c->err)))
        rc = cli_fail(c, rc);
    if (!rc && remove)
        fprintf(stderr, "%s\n", old.url ? "mirror for agents removed: agents are told of none at their next check-in"
                                        : "no mirror for agents was set");
    cd_mirror_settings_clear(&old);
    /* what is stored now, in words (never the password) */
    if (!rc && !remove && !cd_mirror_settings_get(c->s, c->u, &old, &c->err))
        fprintf(stderr, "mirror for agents set (%s, %s): agents receive it at their next check-in\n",
                old.user ? "with a user" : "no user", old.has_password ? "password set" : "no password");
    cli_free_secret(pw);
    cd_mirror_settings_clear(&old);
    return rc;
}

static int status(struct cli *c, int argc, char **argv)
{
    const struct copt opts[] = { FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 0, "server status [--format table|json|csv]");
    struct cd_client_settings cs;
    struct cd_mirror_settings ms;
    int days = 0;
    int rc = cd_client_settings_get(c->s, c->u, &cs, &c->err);
    if (!rc) rc = cd_expiry_warning_get(c->s, c->u, &days, &c->err);
    if (!rc) rc = cd_mirror_settings_get(c->s, c->u, &ms, &c->err);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = {
        { "client_password", "Client password", OUT_BOOL },
        { "unauthenticated_clients", "Unauthenticated clients", OUT_BOOL },
        { "unauthenticated_since", "Unauthenticated since", OUT_TEXT },
        { "mirror_url", "Mirror for agents", OUT_TEXT },
        { "mirror_user", "Mirror user", OUT_TEXT },
        { "mirror_password", "Mirror password", OUT_BOOL },
        { "expiry_warning_days", "Expiry warning (days)", OUT_NUM },
    };
    char since[32] = "";
    if (cs.unauthenticated) cd_format_time(cs.unauth_since, since, sizeof since);
    /* the table says it in words, json and csv as booleans */
    int t = c->fmt == FMT_TABLE;
    const char *pw = t ? (cs.has_password ? "set" : "not set") : cs.has_password ? "yes" : "no";
    const char *un = t ? (cs.unauthenticated ? "ON" : "off") : cs.unauthenticated ? "yes" : "no";
    const char *mpw = t ? (ms.has_password ? "set" : "not set") : ms.has_password ? "yes" : "no";
    char dstr[16];
    snprintf(dstr, sizeof dstr, "%d", days);
    const char *v[] = { pw, un, since, ms.url ? ms.url : t ? "none" : "", ms.user ? ms.user : "", mpw, dstr };
    out_object(c->fmt, cols, 7, v);
    cd_mirror_settings_clear(&ms);
    if (cs.unauthenticated) fprintf(stderr, "%s\n", UNAUTH_WARNING);
    return 0;
}

static const struct subcmd server_cmds[] = {
    { "client-password", client_password, "client-password [--old-password-file F] [--password-file F | --remove]" },
    { "unauthenticated-clients", unauthenticated_clients, "unauthenticated-clients on|off" },
    { "mirror", mirror, "mirror --url URL [--user NAME] [--password-file F | --no-password] | --remove" },
    { "expiry-warning", expiry_warning, "expiry-warning DAYS" },
    { "status", status, "status [--format table|json|csv]" },
    { NULL, NULL, NULL },
};

int cmd_server(struct cli *c, int argc, char **argv) { return cli_dispatch(c, "server", server_cmds, argc, argv); }
