/* certdeck CLI — how a mirror is reached from the command line and the
 * console (struct cd_mirror_opts): --signer-ca, --cacert, --insecure-auth,
 * --max-size, the basic-auth credentials (--user with --password-file or a
 * prompt, else ~/.netrc), trust on first use of a snapshot's signer asked
 * on the terminal, and a progress bar on stderr for long downloads. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

int cli_is_mirror(const struct cli *c)
{
    return c->store && !strncmp(c->store, "mirror+", 7);
}

int cli_parse_size(const char *s, long *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    long long mul = 1;
    if (end == s || v < 0 || errno) return -1;
    switch (*end) {
    case 'k': case 'K': mul = 1LL << 10; end++; break;
    case 'm': case 'M': mul = 1LL << 20; end++; break;
    case 'g': case 'G': mul = 1LL << 30; end++; break;
    default: break;
    }
    if (*end == 'B' || *end == 'b') end++;
    if (*end || v == 0 || v > (long long)(0x7fffffffffffffffLL / mul)) return -1;
    *out = (long)(v * mul);
    return 0;
}

/* Trust on first use of the CA that signs a mirror's snapshots: asked on
 * the terminal, never assumed; the core remembers the answer. */
static int ask_signer(void *ctx, const char *mirror, const char *subject, const char *sha256)
{
    (void)ctx;
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return 0;
    char *m = cd_sanitize(mirror, (size_t)-1), *sub = cd_sanitize(subject, (size_t)-1),
         *fp = cd_sanitize(sha256, (size_t)-1);
    /* also as `certdeck ca show` prints it: lower case, no colons */
    char plain[80] = "";
    size_t k = 0;
    for (const char *q = fp ? fp : ""; *q && k + 1 < sizeof plain; q++)
        if (*q != ':') plain[k++] = (char)(*q >= 'A' && *q <= 'F' ? *q - 'A' + 'a' : *q);
    plain[k] = 0;
    fprintf(tty, "The mirror %s is not known yet.\n"
                 "Its snapshot is signed by the CA: %s\n"
                 "CA fingerprint (SHA-256): %s\n"
                 "  (as `certdeck ca show ID` prints it: %s)\n"
                 "Compare it on the source store, or with the CA's certificate from a channel you trust\n"
                 "(openssl x509 -in CA.pem -noout -fingerprint -sha256).  Trust this CA for this mirror and "
                 "remember it? [y/N] ", m ? m : "?", sub ? sub : "?", fp ? fp : "?", plain);
    fflush(tty);
    free(m);
    free(sub);
    free(fp);
    char ans[16] = "";
    int yes = fgets(ans, sizeof ans, tty) && (ans[0] == 'y' || ans[0] == 'Y');
    fclose(tty);
    return yes;
}

static void bar(void *ctx, int64_t done, int64_t total)
{
    struct cli_mirror *m = ctx;
    m->bar = 1;
    if (total > 0)
        fprintf(stderr, "\rcertdeck: downloading %.1f of %.1f MB (%d%%)   ", (double)done / 1e6, (double)total / 1e6,
                (int)(done * 100 / total));
    else
        fprintf(stderr, "\rcertdeck: downloading %.1f MB   ", (double)done / 1e6);
    fflush(stderr);
}

/* The progress line ends before anything else is printed. */
void cli_mirror_bar_end(struct cli_mirror *m)
{
    if (m->bar) fputc('\n', stderr);
    m->bar = 0;
}

int cli_mirror_begin(struct cli *c, struct cli_mirror *m)
{
    memset(m, 0, sizeof *m);
    m->o.signer_ca = c->signer_ca;
    m->o.cacert = c->cacert;
    m->o.insecure_auth = c->insecure_auth;
    m->o.max_size = c->max_size;
    if (c->console) m->o.timeout_ms = 20000;
    if (isatty(STDIN_FILENO)) m->o.trust = ask_signer;
    if (isatty(STDERR_FILENO)) {
        m->o.progress = bar;
        m->o.progress_ctx = m;
    }
    if (!c->user) return CD_OK;           /* ~/.netrc, when it names the host */
    m->o.user = c->user;
    if (c->password_file) {
        int rc = cd_read_secret_file(c->password_file, &m->password, &c->err);
        if (rc) return rc;
    } else {
        char prompt[160];
        snprintf(prompt, sizeof prompt, "Mirror password for %.100s: ", c->user);
        if (!(m->password = cli_prompt_secret(prompt, 0))) {
            snprintf(c->err.msg, sizeof c->err.msg, "--user %.100s: no terminal to ask the mirror's password on; "
                     "give --password-file F", c->user);
            return CD_E_INVAL;
        }
    }
    m->o.password = m->password;
    return CD_OK;
}

int cli_mirror_ask(struct cli *c, struct cli_mirror *m, int rc)
{
    /* only once, only for a 401 to no credentials, only with someone to ask */
    if (rc != CD_E_LOGIN || m->o.user || m->asked || !isatty(STDIN_FILENO)) return 0;
    m->asked = 1;
    cli_mirror_bar_end(m);
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return 0;
    char *why = cd_sanitize(c->err.msg, (size_t)-1);
    fprintf(tty, "%s\nUser name: ", why ? why : "the mirror needs a user name and password");
    fflush(tty);
    free(why);
    char name[256] = "";
    int got = fgets(name, sizeof name, tty) != NULL;
    fclose(tty);
    name[strcspn(name, "\r\n")] = 0;
    if (!got || !*name) return 0;
    if (!(m->user = strdup(name)) || !(m->password = cli_prompt_secret("Password: ", 0))) return 0;
    m->o.user = m->user;
    m->o.password = m->password;
    return 1;
}

void cli_mirror_end(struct cli_mirror *m)
{
    cli_mirror_bar_end(m);
    cli_free_secret(m->password);
    free(m->user);
    m->password = m->user = NULL;
}
