/* certdeck CLI — the session, option parsing, secrets and files. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

int cli_msg(int status, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = cd_sanitize(buf, (size_t)-1);
    fprintf(stderr, "certdeck: %s\n", s ? s : "out of memory");
    free(s);
    return status;
}

int cli_fail(struct cli *c, int rc)
{
    /* a filter the core refused (syntax or a value) is a usage error */
    if (rc == CD_E_FILTER) return cli_filter_fail(NULL, &c->err);
    return cli_msg(1, "%s", cd_errmsg(&c->err, rc));
}

int cli_filter_fail(const char *expr, const struct cd_err *err)
{
    cli_msg(2, "invalid filter: %s", cd_errmsg(err, CD_E_FILTER));
    if (expr && err->pos) {
        size_t k = strlen(expr);
        if (err->pos - 1 < k) k = err->pos - 1;
        char *s = cd_sanitize(expr, k);
        /* the caret under the column: the sanitised prefix is as wide as shown */
        char *all = cd_sanitize(expr, (size_t)-1);
        if (s && all) fprintf(stderr, "  %s\n  %*s^\n", all, (int)cd_display_width(s), "");
        free(s);
        free(all);
    }
    return 2;
}

int cli_unknown(const char *what, const char *word, int list, const char *const *choices, size_t n)
{
    struct cd_err err = { 0 };
    if (list >= 0) choices = cd_names(list, &n);
    return cli_msg(2, "%s", cd_errmsg(&err, cd_name_error(&err, what, word, choices, n)));
}

int cli_format(const char *name, int *fmt)
{
    size_t n;
    const char *const *names = cd_names(CD_NAMES_FORMAT, &n);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(name, names[i])) {
            *fmt = (int)i;   /* the names are in FMT_* order */
            return 0;
        }
    return cli_unknown("output format", name, CD_NAMES_FORMAT, NULL, 0);
}

/* Trust on first use of a certdeckd server: asked on the terminal, never
 * assumed.  The answer is remembered by the core. */
static int ask_trust(void *ctx, const char *hostport, const char *subject, const char *sha256)
{
    (void)ctx;
    FILE *tty = fopen("/dev/tty", "r+");
    if (!tty) return 0;
    char *h = cd_sanitize(hostport, (size_t)-1), *sub = cd_sanitize(subject, (size_t)-1);
    fprintf(tty, "certdeckd at %s is not known yet.\n"
                 "Its certificate is issued by: %s\n"
                 "CA fingerprint (SHA-256): %s\n"
                 "Compare it with `certdeck ca show 1` on the server.  Trust this CA for %s and remember it? [y/N] ",
            h ? h : "?", sub ? sub : "?", sha256, h ? h : "?");
    fflush(tty);
    free(h);
    free(sub);
    char ans[16] = "";
    int yes = fgets(ans, sizeof ans, tty) && (ans[0] == 'y' || ans[0] == 'Y');
    fclose(tty);
    return yes;
}

int cli_open_store(struct cli *c, unsigned flags)
{
    if (c->readonly) flags |= CD_OPEN_READONLY;
    struct cd_open_opts o = { .flags = flags, .cacert = c->cacert };
    /* a person at the console waits on each request: a server that stopped
     * answering is reported after 20 s, not the 60 s a script may wait */
    if (c->console) o.timeout_ms = 20000;
    /* a question needs someone to answer it: only with a terminal on stdin */
    if (isatty(STDIN_FILENO)) o.trust = ask_trust;
    if (!cli_is_mirror(c)) return cd_store_open_ex(c->store, &o, &c->s, &c->err);
    struct cli_mirror m;
    int rc = cli_mirror_begin(c, &m);
    o.mirror = &m.o;
    if (!rc) rc = cd_store_open_ex(c->store, &o, &c->s, &c->err);
    if (rc && cli_mirror_ask(c, &m, rc)) rc = cd_store_open_ex(c->store, &o, &c->s, &c->err);
    cli_mirror_end(&m);
    if (rc) return rc;
    /* an older snapshot shown because the mirror could not be reached: said once */
    struct cd_mirror_info mi;
    if (!cd_store_mirror_info(c->s, &mi, &c->err)) {
        if (mi.warning) cli_msg(0, "warning: %s", mi.warning);
        cd_mirror_info_clear(&mi);
    }
    return CD_OK;
}

int cli_open(struct cli *c, int create)
{
    int rc = cli_open_store(c, create ? CD_OPEN_CREATE : 0);
    if (rc) return rc;
    if (create) return CD_OK;
    /* a mirror's --user is its web server's; the snapshot's owner acts */
    if (c->user && !cli_is_mirror(c)) return cli_login(c);
    return cd_user_owner(c->s, &c->u, &c->err);
}

/* --user NAME: the password from --password-file, else a prompt on the
 * terminal; never from argv or the environment. */
int cli_login(struct cli *c)
{
    char prompt[160];
    snprintf(prompt, sizeof prompt, "Password for %.100s: ", c->user);
    char *pw = NULL;
    if (c->password_file) {
        int rc = cd_read_secret_file(c->password_file, &pw, &c->err);
        if (rc) return rc;
    } else if (!(pw = cli_prompt_secret(prompt, 0))) {
        snprintf(c->err.msg, sizeof c->err.msg, "--user %.100s: no terminal to ask the password on; "
                 "give --password-file F", c->user);
        return CD_E_INVAL;
    }
    int rc = cd_user_login(c->s, c->user, pw, &c->u, &c->err);
    cli_free_secret(pw);
    return rc;
}

void cli_close(struct cli *c)
{
    cd_user_free(c->u);
    cd_store_close(c->s);
    c->u = NULL;
    c->s = NULL;
}

static int set_opt(const struct copt *o, const char *val)
{
    switch (o->kind) {
    case OPT_STR: *(const char **)o->dest = val; return 0;
    case OPT_LONG: {
        char *end;
        errno = 0;
        long v = strtol(val, &end, 10);
        if (*end || end == val) return cli_msg(2, "--%s takes a number, not \"%s\"", o->name, val);
        /* every number option is a count, an offset or a number of days */
        if (v < 0) return cli_msg(2, "--%s cannot be negative (%s)", o->name, val);
        if (errno == ERANGE) return cli_msg(2, "--%s: %s is too large", o->name, val);
        *(long *)o->dest = v;
        return 0;
    }
    case OPT_FORMAT: return cli_format(val, (int *)o->dest);
    case OPT_LIST: {
        struct strlist *l = o->dest;
        if (l->n >= 63) return cli_msg(2, "too many --%s", o->name);
        l->v[l->n++] = val;
        l->v[l->n] = NULL;
        return 0;
    }
    }
    return 0;
}

int cli_args(int argc, char **argv, const struct copt *opts, const char **pos, int maxpos, int need,
             int *np, const char *usage_text)
{
    int help = 0;
    if (cli_parse(argc, argv, opts, pos, maxpos, np, &help)) return 2;
    if (help) { printf("usage: certdeck %s\n", usage_text); return -1; }
    if (*np < need) return cli_msg(2, "usage: certdeck %s", usage_text);
    return 0;
}

int cli_parse(int argc, char **argv, const struct copt *opts, const char **pos, int maxpos, int *npos,
              int *help)
{
    int np = 0, only_pos = 0;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || !a[1]) {
            if (np >= maxpos) return cli_msg(2, "unexpected argument \"%s\" (see --help)", a);
            pos[np++] = a;
            continue;
        }
        if (!strcmp(a, "--")) { only_pos = 1; continue; }
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) { *help = 1; continue; }
        if (strncmp(a, "--", 2)) return cli_msg(2, "unknown option \"%s\" (options are spelled --name)", a);
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nl = eq ? (size_t)(eq - name) : strlen(name);
        const struct copt *o = NULL;
        for (const struct copt *p = opts; p && p->name; p++)
            if (strlen(p->name) == nl && !strncmp(p->name, name, nl)) o = p;
        if (!o) {
            char word[80];
            const char *names[64];
            size_t n = 0;
            snprintf(word, sizeof word, "%.*s", (int)nl, name);
            for (const struct copt *p = opts; p && p->name && n < 64; p++) names[n++] = p->name;
            const char *near = cd_suggest(word, names, n);
            if (near) return cli_msg(2, "unknown option \"--%s\"; did you mean \"--%s\"? (see --help)", word, near);
            return cli_msg(2, "unknown option \"--%s\" (see --help)", word);
        }
        if (o->kind == OPT_FLAG) {
            if (eq) return cli_msg(2, "--%s takes no value", o->name);
            *(int *)o->dest = 1;
            continue;
        }
        const char *val = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!val) return cli_msg(2, "--%s needs a value", o->name);
        if (set_opt(o, val)) return 2;
    }
    *npos = np;
    return 0;
}

int cli_dispatch(struct cli *c, const char *group, const struct subcmd *t, int argc, char **argv)
{
    if (argc < 1 || !strcmp(argv[0], "--help") || !strcmp(argv[0], "-h")) {
        cli_sub_usage(argc < 1 ? stderr : stdout, group, t);
        return argc < 1 ? 2 : 0;
    }
    for (const struct subcmd *p = t; p->name; p++)
        if (!strcmp(p->name, argv[0])) return p->fn(c, argc - 1, argv + 1);
    const char *names[32];
    size_t n = 0;
    for (const struct subcmd *p = t; p->name && n < 32; p++) names[n++] = p->name;
    char what[64];
    snprintf(what, sizeof what, "%s command", group);
    cli_unknown(what, argv[0], -1, names, n);
    cli_sub_usage(stderr, group, t);
    return 2;
}

void cli_sub_usage(FILE *f, const char *group, const struct subcmd *t)
{
    fprintf(f, "usage:\n");
    for (const struct subcmd *p = t; p->name; p++) fprintf(f, "  certdeck %s %s\n", group, p->usage);
}

int cli_id(struct cli *c, int kind, const char *ref, int64_t *id)
{
    return cd_resolve(c->s, c->u, kind, ref, id, &c->err);
}

int cli_parse_when(const char *s, int64_t *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char *end = strptime(s, "%Y-%m-%d", &tm);
    if (end && *end) {
        char *e2 = strptime(end, "T%H:%M:%S", &tm);
        if (!e2) e2 = strptime(end, " %H:%M", &tm);
        end = e2;
        if (end && *end == 'Z') end++;
    }
    if (!end || *end) return -1;
    *t = (int64_t)timegm(&tm);
    return 0;
}

/* ---- secrets ----------------------------------------------------------- */

void cli_free_secret(char *s) { cd_secret_free(s); }

static char *prompt_once(int fd, const char *prompt)
{
    struct termios old, raw;
    if (tcgetattr(fd, &old)) return NULL;
    raw = old;
    raw.c_lflag &= ~(tcflag_t)ECHO;
    raw.c_lflag |= ECHONL;
    if (write(fd, prompt, strlen(prompt)) < 0) return NULL;
    tcsetattr(fd, TCSAFLUSH, &raw);
    char buf[1024];
    size_t n = 0;
    char ch;
    while (n < sizeof buf - 1 && read(fd, &ch, 1) == 1 && ch != '\n') buf[n++] = ch;
    tcsetattr(fd, TCSAFLUSH, &old);
    buf[n] = 0;
    char *s = strdup(buf);
    explicit_bzero(buf, sizeof buf);
    return s;
}

char *cli_prompt_secret(const char *prompt, int confirm)
{
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0) return NULL;
    char *a = prompt_once(fd, prompt);
    if (a && confirm) {
        char *b = prompt_once(fd, "Repeat: ");
        if (!b || strcmp(a, b)) {
            const char m[] = "The two entries differ.\n";
            if (write(fd, m, sizeof m - 1) < 0) { /* nothing to do */ }
            cli_free_secret(a);
            a = NULL;
        }
        cli_free_secret(b);
    }
    close(fd);
    return a;
}

char *cli_passphrase(const char *file, const char *prompt, int confirm, int *rc)
{
    *rc = 0;
    if (file) {
        struct cd_err err = { 0 };
        char *p = NULL;
        int r = cd_read_secret_file(file, &p, &err);
        if (r) *rc = cli_msg(1, "%s", cd_errmsg(&err, r));
        return p;
    }
    if (!prompt || !isatty(STDIN_FILENO)) return NULL;
    char *p = cli_prompt_secret(prompt, confirm);
    if (!p && confirm) *rc = cli_msg(1, "passphrase not confirmed");
    return p;
}

int cli_to_stdout(const char *path, int binary)
{
    if (path && strcmp(path, "-")) return 0;
    if (binary && isatty(STDOUT_FILENO))
        return cli_msg(1, "refusing to write binary data to a terminal; use --out FILE");
    return -1;
}

int cli_check_out(struct cli *c, const char *path, int binary)
{
    int t = cli_to_stdout(path, binary);
    if (t) return t < 0 ? 0 : t;
    int rc = cd_file_check(c->s, path, &c->err);
    return rc && rc != CD_E_EXISTS ? cli_fail(c, rc) : 0;
}

int cli_write_out(struct cli *c, const char *path, const void *data, size_t len, int binary)
{
    int t = cli_to_stdout(path, binary);
    if (t > 0) return t;
    if (t < 0) {
        if (fwrite(data, 1, len, stdout) != len || fflush(stdout))
            return cli_msg(1, "cannot write to standard output: %s", strerror(errno));
        return 0;
    }
    int rc = cd_write_file(c->s, path, data, len, 0, &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

int cli_read_file(const char *path, unsigned char **data, size_t *len)
{
    FILE *f = strcmp(path, "-") ? fopen(path, "rbe") : stdin;
    if (!f) return cli_msg(1, "cannot read %s: %s", path, strerror(errno));
    size_t cap = 4096, n = 0;
    unsigned char *buf = malloc(cap);
    while (buf) {
        size_t r = fread(buf + n, 1, cap - n, f);
        n += r;
        if (r == 0) break;
        if (n == cap) {
            if (cap > (64u << 20)) { free(buf); buf = NULL; break; }
            unsigned char *p = realloc(buf, cap *= 2);
            if (!p) { free(buf); buf = NULL; break; }
            buf = p;
        }
    }
    int bad = ferror(f);
    if (f != stdin) fclose(f);
    if (!buf || bad) { free(buf); return cli_msg(1, "cannot read %s", path); }
    *data = buf;
    *len = n;
    return 0;
}

int cli_ca_passphrase(struct cli *c, int64_t ca_id, const char *ref, const char *file, char **out)
{
    *out = NULL;
    struct cd_ca a;
    int rc = cd_ca_get(c->s, c->u, ca_id, &a, &c->err);
    if (rc) return cli_fail(c, rc);
    int needs = a.has_passphrase;
    cd_ca_clear(&a);
    /* a file given for a CA without a passphrase is read all the same: the
     * core then says the passphrase was not expected */
    if (!needs && !file) return 0;
    int prc = 0;
    *out = cli_passphrase(file, "CA passphrase: ", 0, &prc);
    if (prc) return prc;
    if (!*out) return cli_msg(1, "CA %s is protected by a passphrase: give --ca-passphrase-file F", ref);
    return 0;
}

/* ---- confirmation, and the certificates a bulk command acts on ---------- */

int cli_confirm(const char *question, const char *refused)
{
    if (!isatty(STDIN_FILENO)) return cli_msg(1, "%s (no terminal to ask: add --yes)", question);
    fprintf(stderr, "%s [y/N] ", question);
    char ans[8] = "";
    if (!fgets(ans, sizeof ans, stdin) || (ans[0] != 'y' && ans[0] != 'Y')) return cli_msg(1, "%s", refused);
    return 0;
}

static int certs_add(struct cli_certs *s, int64_t id, int64_t ca)
{
    if (s->n == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        int64_t *a = realloc(s->ids, cap * sizeof *a);
        if (!a) return -1;
        s->ids = a;
        int64_t *b = realloc(s->cas, cap * sizeof *b);
        if (!b) return -1;
        s->cas = b;
        s->cap = cap;
    }
    s->ids[s->n] = id;
    s->cas[s->n++] = ca;
    return 0;
}

int cli_certs_pick(struct cli *c, const char *filter, const char *const *pos, int np, struct cli_certs *s)
{
    if (filter && !filter[strspn(filter, " \t")])
        /* an unset "$F" in a script must not mean every certificate */
        return cli_msg(2, "--filter is empty, which would select every certificate; to mean all of them, say so: "
                          "--filter 'id>0'");
    if (filter) {
        struct cd_query q = { .filter = filter };
        struct cd_cert_list l;
        int rc = cd_cert_list(c->s, c->u, &q, &l, &c->err);
        if (rc) return rc == CD_E_FILTER ? cli_filter_fail(filter, &c->err) : cli_fail(c, rc);
        for (size_t i = 0; i < l.n; i++)
            if (certs_add(s, l.rows[i].id, l.rows[i].ca_id)) { cd_cert_list_free(&l); return cli_msg(1, "out of memory"); }
        cd_cert_list_free(&l);
        return 0;
    }
    for (int i = 0; i < np; i++) {
        int64_t id;
        struct cd_cert ce;
        int rc = cli_id(c, CD_KIND_CERT, pos[i], &id);
        if (!rc) rc = cd_cert_get(c->s, c->u, id, &ce, &c->err);
        if (rc) return cli_fail(c, rc);
        int64_t ca = ce.ca_id;
        cd_cert_clear(&ce);
        int dup = 0;
        for (size_t k = 0; k < s->n && !dup; k++) dup = s->ids[k] == id;
        if (!dup && certs_add(s, id, ca)) return cli_msg(1, "out of memory");
    }
    return 0;
}

void cli_certs_free(struct cli_certs *s)
{
    free(s->ids);
    free(s->cas);
    memset(s, 0, sizeof *s);
}
