/* certdeck — main(): global options, then one command of the CLI; with no
 * command, the console (src/tui) on the store. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include "cli.h"

int tui_run(cd_store *s, cd_user *u, const char *theme, const char *login_name);   /* src/tui */

static void usage(FILE *f)
{
    fputs("usage: certdeck [--store S] [--user U] [--password-file F] [--format table|json|csv]\n"
          "                [--limit N] [--read-only] [--theme NAME|PATH] [--cacert F]\n"
          "                [--signer-ca F] [--insecure-auth] [--max-size BYTES] [COMMAND ...]\n\n"
          "With no command, certdeck opens the console on the store (? there lists the keys).\n\n"
          "commands:\n"
          "  init [--admin NAME]          a new store with the installation CA and certificates\n"
          "  demo [--certs N]             a demo fleet (makes the store when it is missing)\n"
          "  ca ...                       certification authorities (ca --help)\n"
          "  cert ...                     peer certificates (cert --help)\n"
          "  tag ...                      tags (tag --help)\n"
          "  group ...                    access groups (group --help)\n"
          "  preset ...                   filter presets (preset --help)\n"
          "  crl CA_ID [--out F]          a signed CRL of the CA\n"
          "  user ...                     users (user --help)\n"
          "  permset ...                  permission sets (permset --help)\n"
          "  server ...                   client password, unauthenticated clients, mirror for agents,\n"
          "                               status (server --help)\n"
          "  audit [--object OBJ] | audit verify\n"
          "  agent checkin ...            one check-in with certdeckd's agent port (agent --help)\n"
          "  mirror ...                   publish, pull, verify a signed snapshot (mirror --help)\n"
          "  check [--warn 90d] [--crit 14d] [--at DATE] [--filter EXPR]\n"
          "                               expiry for monitoring (exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN)\n"
          "  import FILE | --easy-rsa DIR  an existing PKI: certificates, PKCS#12, keys, an easy-rsa pki\n\n"
          "The store is --store, else $CERTDECK_STORE, else $XDG_DATA_HOME/certdeck/store.db;\n"
          "https://HOST:PORT is a certdeckd server: --cacert F (or $CERTDECK_CACERT) is the CA\n"
          "of its certificate; on a terminal without it, its CA is shown and, once you accept\n"
          "it, remembered under $XDG_CONFIG_HOME/certdeck/known/.  Credentials: --user and a\n"
          "password file or prompt, else ~/.netrc.\n"
          "mirror+https://HOST/PATH, mirror+http://... and mirror+file:///PATH are published\n"
          "snapshots (read-only): --signer-ca F (or $CERTDECK_SIGNER_CA) is the CA that must have\n"
          "signed them (on a terminal without it, asked once and remembered); --user and\n"
          "--password-file are then the web server's basic auth (else ~/.netrc); --max-size\n"
          "BYTES (K, M, G) caps one file; --insecure-auth allows basic auth over plain http\n"
          "to a host not on loopback (the password then crosses the network in clear).\n"
          "--user NAME logs in (password from --password-file F or a prompt); without it the\n"
          "Unix owner of the store file acts as the administrator (anyone else must log in).\n"
          "--read-only refuses every change (exit 1, nothing changed); log-ins and key exports\n"
          "are still recorded in the audit log.\n"
          "Exit status: 0 done, 1 refused or failed, 2 usage error.  See certdeck(1).\n", f);
}

static const struct { const char *name; int (*fn)(struct cli *, int, char **); } commands[] = {
    { "init", cmd_init }, { "demo", cmd_demo }, { "ca", cmd_ca }, { "cert", cmd_cert },
    { "tag", cmd_tag }, { "group", cmd_group }, { "preset", cmd_preset }, { "audit", cmd_audit },
    { "crl", cmd_crl }, { "user", cmd_user }, { "permset", cmd_permset }, { "server", cmd_server },
    { "agent", cmd_agent }, { "mirror", cmd_mirror }, { "check", cmd_check },
    { "import", cmd_import },
};

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* no core file of a process that holds keys, passphrases and passwords
     * (libcurl keeps its own copy of a mirror's password, unwiped) */
    prctl(PR_SET_DUMPABLE, 0);
    struct cli c = { .limit = 0 };
    const char *fmt = NULL;
    int help = 0, version = 0, first = 1;
    const char *theme = NULL, *max_size = NULL;
    const struct copt opts[] = {
        { "store", OPT_STR, &c.store }, { "user", OPT_STR, &c.user },
        { "password-file", OPT_STR, &c.password_file }, { "format", OPT_STR, &fmt },
        { "limit", OPT_LONG, &c.limit }, { "version", OPT_FLAG, &version },
        { "read-only", OPT_FLAG, &c.readonly }, { "theme", OPT_STR, &theme },
        { "cacert", OPT_STR, &c.cacert }, { "signer-ca", OPT_STR, &c.signer_ca },
        { "insecure-auth", OPT_FLAG, &c.insecure_auth }, { "max-size", OPT_STR, &max_size },
        { NULL, 0, NULL },
    };
    /* global options stop at the first word that is not one */
    while (first < argc && argv[first][0] == '-') {
        int end = first + 1;
        if (strchr(argv[first], '=') == NULL && strcmp(argv[first], "--version") && strcmp(argv[first], "--help") &&
            strcmp(argv[first], "-h") && strcmp(argv[first], "--read-only") &&
            strcmp(argv[first], "--insecure-auth"))
            end++;
        if (end > argc) end = argc;
        int np = 0;
        const char *pos[1];
        if (cli_parse(end - first, argv + first, opts, pos, 0, &np, &help)) return 2;
        first = end;
    }
    if (version) { puts("certdeck " CERTDECK_VERSION); return 0; }
    if (help) { usage(stdout); return 0; }
    if (c.store && !*c.store) return cli_msg(2, "--store is empty: give a store (a file path or file:PATH)");
    if (!c.store) c.store = getenv("CERTDECK_STORE");
    if (c.cacert && !*c.cacert) return cli_msg(2, "--cacert is empty: give the PEM file of the server's CA");
    if (!c.cacert) c.cacert = getenv("CERTDECK_CACERT");
    if (c.signer_ca && !*c.signer_ca) return cli_msg(2, "--signer-ca is empty: give the PEM file of the CA that signs the mirror");
    if (!c.signer_ca) c.signer_ca = getenv("CERTDECK_SIGNER_CA");
    if (c.signer_ca && !*c.signer_ca) c.signer_ca = NULL;
    if (max_size && cli_parse_size(max_size, &c.max_size))
        return cli_msg(2, "--max-size takes a size in bytes (K, M or G after it), not \"%s\"", max_size);
    if (c.insecure_auth)
        cli_msg(0, "warning: --insecure-auth: a mirror's password may cross the network in clear over plain http");
    c.fmt = FMT_TABLE;
    if (fmt && cli_format(fmt, &c.fmt)) return 2;
    if (c.password_file && !c.user) return cli_msg(2, "--password-file goes with --user");
    if (first >= argc) {
        /* --user without a password file: the console itself asks */
        c.console = 1;
        int rc = cli_open_store(&c, 0);
        if (!rc && c.user && c.password_file && !cli_is_mirror(&c)) rc = cli_login(&c);
        else if (!rc && (!c.user || cli_is_mirror(&c))) {
            rc = cd_user_owner(c.s, &c.u, &c.err);
            /* a server with no ~/.netrc entry: the console's login dialog asks */
            if (rc == CD_E_LOGIN && cd_store_remote(c.s)) rc = CD_OK;
        }
        if (rc) { cli_fail(&c, rc); cli_close(&c); return 1; }
        rc = tui_run(c.s, c.u, theme, c.user);
        cli_close(&c);
        return rc;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, argv[first])) {
            int rc = commands[i].fn(&c, argc - first - 1, argv + first + 1);
            cli_close(&c);
            return rc;
        }
    const char *names[sizeof commands / sizeof commands[0]];
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) names[i] = commands[i].name;
    cli_unknown("command", argv[first], -1, names, sizeof names / sizeof names[0]);
    fputs("(certdeck --help lists them all)\n", stderr);
    return 2;
}
