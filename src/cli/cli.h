/* certdeck CLI — what the command files share: the session, option parsing,
 * output in table/json/csv, passphrases and files.  Only <certdeck/...>
 * headers from the core: the CLI is a thin front end. */
#ifndef CERTDECK_CLI_H
#define CERTDECK_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <certdeck/certdeck.h>

enum { FMT_TABLE, FMT_JSON, FMT_CSV };

struct cli {
    const char *store;
    const char *user;
    const char *password_file;
    const char *cacert;    /* --cacert / CERTDECK_CACERT: the CA of a certdeckd server's certificate */
    const char *signer_ca; /* --signer-ca / CERTDECK_SIGNER_CA: the CA that signs a mirror's snapshot */
    int insecure_auth;     /* --insecure-auth: basic auth over plain http to a host not on loopback */
    long max_size;         /* --max-size BYTES: cap on one file fetched from a mirror (0: the default) */
    int fmt;
    long limit;
    int readonly;          /* --read-only: the store is opened CD_OPEN_READONLY */
    int console;           /* opened for the console: a person waits on every request */
    cd_store *s;
    cd_user *u;
    struct cd_err err;
};

/* Opens the store (creating it when create; read-only with --read-only,
 * where the core refuses every change) and takes the acting user. */
int  cli_open(struct cli *c, int create);
/* Opens the store alone (no user), with --read-only, --cacert and, on a
 * terminal, trust on first use of a server asked there. */
int  cli_open_store(struct cli *c, unsigned flags);
void cli_close(struct cli *c);
/* Logs c->user in on the open store (password file or prompt). */
int  cli_login(struct cli *c);
/* Prints the error of a failed core call; returns the exit status 1. */
int  cli_fail(struct cli *c, int rc);
/* "unknown WHAT \"WORD\"; did you mean ...? (valid: ...)" for a word that is
 * none of the names of list (CD_NAMES_*) or of choices[0..n) when list < 0;
 * returns the usage status 2. */
int  cli_unknown(const char *what, const char *word, int list, const char *const *choices, size_t n);
/* table|json|csv to FMT_*; prints the error and returns 2 for anything else. */
int  cli_format(const char *name, int *fmt);
/* Prints a filter error (CD_E_FILTER) with a caret under its column when
 * the expression is known; returns the usage status 2. */
int  cli_filter_fail(const char *expr, const struct cd_err *err);
/* Prints "certdeck: msg" (sanitised); returns status. */
int  cli_msg(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* "QUESTION [y/N]" on a terminal; 0 when answered yes, else the exit status
 * 1 after printing `refused` (no terminal: refused, saying to add --yes). */
int  cli_confirm(const char *question, const char *refused);

/* Certificates named on the command line or picked by a filter, with
 * their CAs: what bulk commands (renew, revoke) act on.  An ID named twice
 * is taken once. */
struct cli_certs { int64_t *ids, *cas; size_t n, cap; };
/* 0, or the exit status after printing why (a bad filter, an unknown ID). */
int  cli_certs_pick(struct cli *c, const char *filter, const char *const *pos, int np, struct cli_certs *s);
void cli_certs_free(struct cli_certs *s);

/* ---- options ----------------------------------------------------------- */
/* OPT_FORMAT: dest is an int, set to FMT_* from table|json|csv. */
enum { OPT_STR, OPT_FLAG, OPT_LONG, OPT_LIST, OPT_FORMAT };
struct copt { const char *name; int kind; void *dest; };
struct strlist { const char *v[64]; int n; };
/* Parses argv[0..argc) against opts; positionals go to pos (at most maxpos).
 * Returns 0, or 2 after printing a usage error.  --help sets *help. */
int cli_parse(int argc, char **argv, const struct copt *opts, const char **pos, int maxpos, int *npos,
              int *help);

/* Parses options + positionals; prints usage on --help (returns -1) or
 * when fewer than `need` positionals (returns 2). */
int cli_args(int argc, char **argv, const struct copt *opts, const char **pos, int maxpos, int need,
             int *np, const char *usage_text);
/* The --format option of a command that prints data (sets c->fmt). */
#define FORMAT_OPT(c) { "format", OPT_FORMAT, &(c)->fmt }

/* In a command handler: parse, then open the store and log in. */
#define ARGS(opts, maxpos, need, usage_text) \
    const char *pos[maxpos]; int np = 0; \
    { int a_ = cli_args(argc, argv, opts, pos, maxpos, need, &np, usage_text); if (a_) return a_ < 0 ? 0 : a_; } \
    { int o_ = cli_open(c, 0); if (o_) return cli_fail(c, o_); }

/* ---- output ------------------------------------------------------------ */
/* A column: its JSON/CSV key, its table title, and what its cells hold
 * (JSON prints OUT_NUM as a number, OUT_LIST "a,b" as an array, OUT_BOOL
 * "yes"/"no" as true/false). */
enum { OUT_TEXT, OUT_NUM, OUT_LIST, OUT_BOOL };
struct out_col { const char *key, *title; int type; };
struct out {
    int fmt;
    const struct out_col *cols;
    int ncols;
    char **cells;          /* exact, row-major; each format makes them safe (out.c) */
    size_t n, cap;
};
void out_begin(struct out *o, int fmt, const struct out_col *cols, int ncols);
void out_row(struct out *o, const char *const *values);
void out_end(struct out *o);              /* prints and frees */
void out_discard(struct out *o);          /* frees without printing (on an error: stdout stays empty) */
/* One object: key/value pairs (show). */
void out_object(int fmt, const struct out_col *cols, int ncols, const char *const *values);
/* Appends row n of a `show` object naming a linked object ("ca 12" in a
 * table, 12 in JSON and CSV) when id is not 0; buf (>= 32 bytes) holds the
 * text until out_object. */
void out_link(int fmt, struct out_col *cols, const char **values, int *n, char *buf, size_t len,
              const char *key, const char *title, const char *kind, int64_t id);
/* The ids a command made: one per line in a table, an "id" column in CSV,
 * {"id": N} or {"count": N, "ids": [...]} in JSON. */
void out_ids(int fmt, const int64_t *ids, size_t n);
/* A JSON text from outside (a server's answer) printed as every JSON output
 * is: re-encoded, exact, ASCII only.  -1 (nothing printed) when it is not JSON. */
int  out_json_text(const char *text, size_t len);

/* ---- secrets and files ------------------------------------------------- */
/* Prompts on /dev/tty without echo; confirm asks twice.  NULL when no terminal. */
char *cli_prompt_secret(const char *prompt, int confirm);
void  cli_free_secret(char *s);
/* Passphrase from file, else prompt when a terminal is there, else NULL. */
char *cli_passphrase(const char *file, const char *prompt, int confirm, int *rc);
/* --out: NULL or "-" is standard output (binary refused on a terminal);
 * anything else a file written by cd_write_file (replaced when it is a
 * regular file; devices, links, folders and the store's files refused). */
int   cli_write_out(struct cli *c, const char *path, const void *data, size_t len, int binary);
/* Before the work: 0 when cli_write_out may write there, else the exit
 * status after printing why not. */
int   cli_check_out(struct cli *c, const char *path, int binary);
/* -1 when path means standard output (NULL or "-"), 0 for a file, else the
 * exit status of a refused binary write to a terminal. */
int   cli_to_stdout(const char *path, int binary);
int   cli_read_file(const char *path, unsigned char **data, size_t *len);
/* The passphrase of CA ca_id (named ref in messages) when its key has one,
 * or when a file is given: from the file, else a prompt.  *out NULL when
 * none is needed.  Returns 0 or the exit status after printing why. */
int   cli_ca_passphrase(struct cli *c, int64_t ca_id, const char *ref, const char *file, char **out);

/* ---- mirrors (mirror_opts.c) ---------------------------------------------- */
/* How the session reaches a mirror; the password is ours to wipe. */
struct cli_mirror {
    struct cd_mirror_opts o;
    char *user, *password;
    int asked, bar;
};
/* 1 when the store is a mirror (mirror+...): --user and --password-file
 * are then the mirror's basic-auth credentials, not a log-in. */
int  cli_is_mirror(const struct cli *c);
/* "4096", "512K", "100M", "4G" (optionally with a B) -> bytes; -1 when bad. */
int  cli_parse_size(const char *s, long *out);
/* Fills m from the session: --signer-ca, --cacert, --insecure-auth,
 * --max-size, the signer's trust asked on a terminal, a progress bar on a
 * terminal's stderr, --user with --password-file or a prompt (else
 * ~/.netrc).  A failure is in c->err. */
int  cli_mirror_begin(struct cli *c, struct cli_mirror *m);
/* After a call that failed with rc: 1 when it was a 401 to no credentials
 * and a user name and password were asked on the terminal (once): try again. */
int  cli_mirror_ask(struct cli *c, struct cli_mirror *m, int rc);
/* Ends the progress line (before anything else is printed). */
void cli_mirror_bar_end(struct cli_mirror *m);
void cli_mirror_end(struct cli_mirror *m);

/* ---- commands ---------------------------------------------------------- */
int cmd_init(struct cli *c, int argc, char **argv);
int cmd_demo(struct cli *c, int argc, char **argv);
int cmd_ca(struct cli *c, int argc, char **argv);
int cmd_cert(struct cli *c, int argc, char **argv);
/* cmd_request.c: APN/ABM requests and external CSRs (cert new --product
 * apn|abm, csr, import-signed, request-renew, sign); cli_product_external:
 * 1 when argv's --product is one Apple signs */
int cli_product_external(int argc, char **argv);
int cli_cert_request(struct cli *c, int argc, char **argv);
int cli_cert_request_renew(struct cli *c, int argc, char **argv);
int cli_cert_csr(struct cli *c, int argc, char **argv);
int cli_cert_import_signed(struct cli *c, int argc, char **argv);
int cli_cert_sign(struct cli *c, int argc, char **argv);
int cmd_tag(struct cli *c, int argc, char **argv);
int cmd_group(struct cli *c, int argc, char **argv);
int cmd_preset(struct cli *c, int argc, char **argv);
int cmd_audit(struct cli *c, int argc, char **argv);
int cmd_crl(struct cli *c, int argc, char **argv);
int cmd_user(struct cli *c, int argc, char **argv);
int cmd_permset(struct cli *c, int argc, char **argv);
int cmd_server(struct cli *c, int argc, char **argv);
int cmd_agent(struct cli *c, int argc, char **argv);
int cmd_mirror(struct cli *c, int argc, char **argv);
int cmd_check(struct cli *c, int argc, char **argv);
int cmd_import(struct cli *c, int argc, char **argv);
int cmd_cert_renew(struct cli *c, int argc, char **argv);    /* cmd_renew.c */
int cmd_ca_rollover(struct cli *c, int argc, char **argv);

/* A subcommand table: name, handler, one-line usage. */
struct subcmd { const char *name; int (*fn)(struct cli *, int, char **); const char *usage; };
int  cli_dispatch(struct cli *c, const char *group, const struct subcmd *t, int argc, char **argv);
void cli_sub_usage(FILE *f, const char *group, const struct subcmd *t);

/* Resolves an ID argument (number, serial or fingerprint prefix). */
int cli_id(struct cli *c, int kind, const char *ref, int64_t *id);
int cli_parse_when(const char *s, int64_t *t);

#endif
