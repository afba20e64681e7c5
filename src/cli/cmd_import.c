/* certdeck CLI — import: bring an existing PKI in (a file, or an easy-rsa 3
 * pki folder), printing what was taken and what was skipped and why. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

static const char USAGE[] =
    "usage: certdeck import FILE [--passphrase-file F] [--group G] [--description D]\n"
    "       certdeck import --easy-rsa DIR [--passphrase-file F] [--group G] [--description D]\n"
    "  FILE: certificates (PEM or DER, chains), a PKCS#12 with its key, or a private key\n"
    "  (PKCS#8, plain or encrypted) of a certificate stored without one.  CA certificates\n"
    "  become CAs (with their key when given), the others peer certificates (product\n"
    "  custom, linked to their CA when it is stored).  --easy-rsa DIR takes an easy-rsa 3\n"
    "  pki folder: ca.crt and its key, every issued certificate with its key, and the\n"
    "  revocations of index.txt with their dates and reasons.  What is stored already is\n"
    "  skipped, so importing twice imports nothing twice.  The passphrase (of the file, or\n"
    "  of the easy-rsa CA key) comes from --passphrase-file, else is asked on a terminal.";

static const char *what_name(int what)
{
    switch (what) {
    case CD_IMPORT_CA: return "ca";
    case CD_IMPORT_CERT: return "certificate";
    case CD_IMPORT_KEY: return "key";
    case CD_IMPORT_REVOCATION: return "revocation";
    }
    return "other";
}

static void print_report(struct cli *c, const struct cd_import_report *r)
{
    static const struct out_col cols[] = {
        { "result", "Result", OUT_TEXT }, { "what", "What", OUT_TEXT }, { "id", "ID", OUT_NUM },
        { "name", "Name", OUT_TEXT }, { "why", "Why", OUT_TEXT },
    };
    struct out o;
    out_begin(&o, c->fmt, cols, 5);
    for (size_t i = 0; i < r->n; i++) {
        const struct cd_import_item *it = &r->rows[i];
        char id[24] = "";
        /* none: blank in a table, 0 in JSON and CSV */
        if (it->id || c->fmt != FMT_TABLE) snprintf(id, sizeof id, "%lld", (long long)it->id);
        const char *v[5] = { it->taken ? "imported" : "skipped", what_name(it->what), id, it->name, it->why };
        out_row(&o, v);
    }
    out_end(&o);
    if (c->fmt == FMT_TABLE) printf("imported %zu, skipped %zu\n", r->taken, r->skipped);
}

/* easy-rsa's CA key passphrase, asked on the terminal (never argv/env). */
static int ask(void *ctx, const char *prompt, char *buf, size_t n)
{
    (void)ctx;
    if (!isatty(STDIN_FILENO)) return -1;
    char *p = cli_prompt_secret(prompt, 0);
    if (!p) return -1;
    int rc = strlen(p) < n && *p ? 0 : -1;
    if (!rc) memcpy(buf, p, strlen(p) + 1);
    cli_free_secret(p);
    return rc;
}

int cmd_import(struct cli *c, int argc, char **argv)
{
    const char *easyrsa = NULL, *passfile = NULL, *group = NULL, *desc = NULL;
    int help = 0, np = 0;
    const struct copt opts[] = { { "easy-rsa", OPT_STR, &easyrsa }, { "passphrase-file", OPT_STR, &passfile },
                                 { "group", OPT_STR, &group }, { "description", OPT_STR, &desc }, FORMAT_OPT(c),
                                 { NULL, 0, NULL } };
    const char *pos[1];
    if (cli_parse(argc, argv, opts, pos, 1, &np, &help)) return 2;
    if (help || (!easyrsa && np != 1) || (easyrsa && np)) {
        puts(USAGE);
        return help ? 0 : 2;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    if (!easyrsa && cli_read_file(pos[0], &data, &len)) return 1;
    int prc = 0;
    char *pass = passfile ? cli_passphrase(passfile, NULL, 0, &prc) : NULL;
    if (prc) { free(data); return prc; }
    struct cd_import_opts o = { .passphrase = pass, .group = group, .description = desc, .ask = ask };
    struct cd_import_report r = { 0 };
    int rc = cli_open(c, 0);
    if (!rc && easyrsa) rc = cd_import_easyrsa(c->s, c->u, easyrsa, &o, &r, &c->err);
    else if (!rc) {
        rc = cd_import(c->s, c->u, data, len, &o, &r, &c->err);
        /* an encrypted file and no passphrase file: asked on a terminal */
        if (rc == CD_E_PASSPHRASE && !pass && isatty(STDIN_FILENO) &&
            (pass = cli_prompt_secret("Passphrase of the file: ", 0))) {
            o.passphrase = pass;
            rc = cd_import(c->s, c->u, data, len, &o, &r, &c->err);
        }
    }
    free(data);
    if (pass) cli_free_secret(pass);
    if (rc) return cli_fail(c, rc);
    print_report(c, &r);
    cd_import_report_free(&r);
    return 0;
}
