/* certdeck console — the driver: terminal set-up and restore, the screen
 * stack, the top line, the key bar, the status line, generic requests and
 * the ":" command line.
 *
 * The terminal is restored on every way out: normal quit, a fatal signal
 * (SIGSEGV/SIGABRT/SIGBUS re-raised after endwin), SIGINT/SIGTERM/SIGHUP
 * (a flag the loop polls), and Ctrl-Z (ncurses' own SIGTSTP handling). */
#include <curses.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>
#include "tui.h"

static volatile sig_atomic_t stop_flag;
static int curses_on;

static void on_stop(int sig) { (void)sig; stop_flag = 1; }

static void on_fatal(int sig)
{
    if (curses_on) endwin();     /* not async-signal-safe, but the alternative is a wrecked terminal */
    signal(sig, SIG_DFL);
    raise(sig);
}

/* getch for every loop of the console (screens, dialogs, the command
 * line): ERR on a timeout as usual, APP_STOP once the app must end — a
 * SIGINT/SIGTERM/SIGHUP, or input that has gone away (the terminal closed:
 * getch then fails at once, again and again, instead of waiting). */
int app_getch(void)
{
    static int fast_errs;
    if (stop_flag) return APP_STOP;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int ch = getch();
    if (ch != ERR) { fast_errs = 0; return ch; }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    fast_errs = ms < 100 ? fast_errs + 1 : 0;
    if (stop_flag || fast_errs > 50) { stop_flag = 1; return APP_STOP; }
    return ERR;
}

static void restore_at_exit(void)
{
    if (curses_on) { endwin(); curses_on = 0; }
}

void app_status(struct app *a, int is_err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a->status, sizeof a->status, fmt, ap);
    va_end(ap);
    a->status_err = is_err;
}

void app_fail(struct app *a, int rc, const struct cd_err *err)
{
    app_status(a, 1, "%s", cd_errmsg(err, rc));
}

int app_readonly(struct app *a)
{
    if (!cd_store_readonly(a->s)) return 0;
    app_status(a, 1, "%s", cd_store_readonly_reason(a->s));
    return 1;
}

/* Which action of the core's list (CD_ACTION_LIST) a request is; the right
 * it needs is the core's business, asked with cd_user_may.  -1: no check. */
static int req_action(int req, int kind)
{
    int ca = kind == CD_KIND_CA;
    switch (req) {
    case REQ_NEW: return ca ? CD_ACT_CA_NEW : CD_ACT_CERT_NEW;
    case REQ_IMPORT: return CD_ACT_CA_IMPORT;
    case REQ_DESCRIBE: return ca ? CD_ACT_CA_DESCRIBE : CD_ACT_CERT_DESCRIBE;
    case REQ_MOVE: return ca ? CD_ACT_CA_MOVE : CD_ACT_CERT_MOVE;
    case REQ_DELETE: return ca ? CD_ACT_CA_DELETE : -1;
    case REQ_REVOKE: return ca ? -1 : CD_ACT_CERT_REVOKE;
    case REQ_TAGS: return ca ? CD_ACT_CA_TAG : CD_ACT_CERT_TAG;
    case REQ_EXPORT: return ca ? CD_ACT_CA_EXPORT : CD_ACT_CERT_EXPORT;
    case REQ_CRL: return ca ? CD_ACT_CA_CRL : -1;
    case REQ_RENEW: return ca ? CD_ACT_CA_NEW : CD_ACT_CERT_NEW;
    case REQ_SIGNED: return ca ? -1 : CD_ACT_CERT_NEW;     /* as the core checks completing a request */
    }
    return -1;
}

int app_allowed(struct app *a, int req, int kind, const char *group, int say)
{
    int act = req_action(req, kind);
    if (act < 0) return 1;
    char why[256];
    if (cd_user_may(a->s, a->u, act, req == REQ_NEW || req == REQ_IMPORT ? NULL : group, why, sizeof why))
        return 1;
    /* the read-only refusal in the console's own words (what --read-only users see) */
    if (say && !(!strncmp(why, "read-only", 9) && app_readonly(a))) app_status(a, 1, "%s", why);
    return 0;
}

int app_push(struct app *a, const struct scr_ops *ops, const void *arg)
{
    if (a->depth >= 8) return -1;
    void *st = ops->open(a, arg);
    if (!st) return -1;
    a->stack[a->depth].ops = ops;
    a->stack[a->depth].st = st;
    a->depth++;
    return 0;
}

void app_pop(struct app *a)
{
    if (a->depth <= 1) { a->quit = 1; return; }
    a->depth--;
    a->stack[a->depth].ops->close(a->stack[a->depth].st);
    /* the screen below may show data the popped one changed */
    struct scr_ops const *ops = a->stack[a->depth - 1].ops;
    ops->request(a, a->stack[a->depth - 1].st, REQ_REDRAW, 0);
}

/* The banner row every screen shows while the switch is on: the long
 * words when they fit, the short ones else. */
static const char UNAUTH_LONG[] =
    " Unauthenticated access for clients is ON — a security risk: turn it off once all clients have checked in";
static const char UNAUTH_SHORT[] = " Unauthenticated client access is ON — a security risk (:server)";

/* A mirror store (mirror+...) or a replica pulled from one: its source
 * and the snapshot's time for the top line, and the offline warning for
 * the banner.  The strings came from the mirror's meta data: draw_text
 * sanitises the lines they end up in. */
void app_mirror(struct app *a)
{
    struct cd_mirror_info mi;
    struct cd_err e = { 0 };
    a->mirror[0] = a->mirror_warning[0] = 0;
    if (cd_store_mirror_info(a->s, &mi, &e) != CD_OK) return;
    const char *name = cd_store_name(a->s), *src = mi.source ? mi.source : "";
    const char *path = strncmp(name, "file:", 5) ? name : name + 5;
    if (!strncmp(name, "mirror+", 7)) snprintf(a->mirror, sizeof a->mirror, "mirror %s", src);
    else if (*src && strcmp(src, path) && strcmp(src, name))      /* a replica pulled from src */
        snprintf(a->mirror, sizeof a->mirror, "%s, a mirror of %s", name, src);
    else snprintf(a->mirror, sizeof a->mirror, "%s, a mirror snapshot", name);
    a->mirror_published = mi.published;
    if (mi.warning) snprintf(a->mirror_warning, sizeof a->mirror_warning, " ! %s ", mi.warning);
    cd_mirror_info_clear(&mi);
}

/* "snapshot 2026-12-07 10:00 UTC, 3 h old" */
static void snapshot_age(int64_t published, char *out, size_t n)
{
    char when[40] = "?";
    time_t t = (time_t)published;
    struct tm tmv;
    if (gmtime_r(&t, &tmv)) strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tmv);
    int64_t age = (int64_t)time(NULL) - published;
    if (age < 0) age = 0;               /* the publisher's clock ahead of ours */
    if (age < 3600) snprintf(out, n, "snapshot %s, %lld min old", when, (long long)(age / 60));
    else if (age < 48 * 3600) snprintf(out, n, "snapshot %s, %lld h old", when, (long long)(age / 3600));
    else snprintf(out, n, "snapshot %s, %lld d old", when, (long long)(age / 86400));
}

/* The banner: the mirror's warning, the CAs (looked up by app_warnings)
 * and the certificate counts once counted. */
static void compose_warning(struct app *a)
{
    snprintf(a->warning, sizeof a->warning, "%s", a->mirror_warning);
    size_t l = strlen(a->warning);
    int np = a->nca_parts;
    for (int i = 0; i < np && l < sizeof a->warning; i++)
        l += (size_t)snprintf(a->warning + l, sizeof a->warning - l, "%s%s", i ? "; " : " ! ", a->ca_parts[i]);
    if ((a->nexpired > 0 || a->nexpiring > 0) && l < sizeof a->warning) {
        l += (size_t)snprintf(a->warning + l, sizeof a->warning - l, "%s%lld certificate%s expired, %lld expiring",
                              np ? "; " : " ! ", (long long)a->nexpired, a->nexpired == 1 ? "" : "s",
                              (long long)(a->nexpiring > 0 ? a->nexpiring : 0));
        np++;
    }
    if (np && a->warn_days && l < sizeof a->warning)
        snprintf(a->warning + l, sizeof a->warning - l, " (<%dd) ", a->warn_days);
}

void app_warnings(struct app *a)
{
    struct cd_err e = { 0 };
    struct cd_client_settings cs;
    /* one cheap read; a store without the settings (an old server) shows no banner */
    a->unauth_on = cd_client_settings_get(a->s, a->u, &cs, &e) == CD_OK && cs.unauthenticated;
    if (cd_expiry_warning_get(a->s, a->u, &a->warn_days, &e)) a->warn_days = 0;
    /* CAs first, by name (one takes its whole fleet with it), then certificates */
    static const char *const terms[2] = { "status:expired", "status:expiring" };
    static const char *const words[2] = { "expired", "expiring" };
    a->nca_parts = 0;
    for (int k = 0; k < 2; k++) {
        struct cd_query q = { .filter = terms[k] };
        struct cd_ca_list cl;
        if (cd_ca_list(a->s, a->u, &q, &cl, &e) != CD_OK) continue;
        if (cl.n) {
            char *name = cd_sanitize(cl.rows[0].cn, (size_t)-1), fit[80];
            cd_fit_width(name ? name : "?", 24, fit, sizeof fit);
            free(name);
            char *p = a->ca_parts[a->nca_parts++];
            if (cl.n == 1) snprintf(p, sizeof a->ca_parts[0], "CA %s %s", fit, words[k]);
            else snprintf(p, sizeof a->ca_parts[0], "CAs %s and %zu more %s", fit, cl.n - 1, words[k]);
        }
        cd_ca_list_free(&cl);
    }
    a->nexpired = a->nexpiring = -1;     /* counted after the next frame */
    compose_warning(a);
}

void app_expiry_counts(struct app *a)
{
    struct cd_err e = { 0 };
    struct cd_query q = { .filter = "status:expired" };
    if (cd_cert_count(a->s, a->u, &q, &a->nexpired, &e)) a->nexpired = 0;
    q.filter = "status:expiring";
    if (cd_cert_count(a->s, a->u, &q, &a->nexpiring, &e)) a->nexpiring = 0;
    compose_warning(a);
}

static const char *short_label(int req)
{
    switch (req) {
    case REQ_HELP: return "Help";
    case REQ_NEW: return "New";
    case REQ_USAGE: return "Usage";
    case REQ_TAGS: return "Tags";
    case REQ_DESCRIBE: return "Descr";
    case REQ_AUDIT: return "Audit";
    case REQ_EXPORT: return "Export";
    case REQ_REVOKE: return "Revoke";
    case REQ_MOVE: return "Group";
    case REQ_REVOKED: return "Revoked";
    case REQ_CAS: return "CAs";
    case REQ_CERTS: return "Certs";
    case REQ_IMPORT: return "Import";
    case REQ_DELETE: return "Delete";
    case REQ_CRL: return "CRL";
    case REQ_USERS: return "Users";
    case REQ_DISABLE: return "Disable";
    case REQ_PASSWORD: return "Password";
    case REQ_GRANT: return "Sets";
    case REQ_PERMSETS: return "PermSets";
    case REQ_SERVER: return "Server";
    case REQ_RENEW: return "Renew";
    case REQ_CSR: return "SaveCSR";
    case REQ_SIGNED: return "ImportSigned";
    case REQ_FILTER: return "Filter";
    case REQ_ESCAPE: return "Back";
    case REQ_QUIT: return "Quit";
    }
    return req_name(req);
}

static void draw_chrome(struct app *a)
{
    int top = theme_attr(C_TOP);
    const struct scr_ops *ops = a->stack[a->depth - 1].ops;
    char counts[64] = "", where[400], line[600];
    if (ops->counts) ops->counts(a, a->stack[a->depth - 1].st, counts, sizeof counts);
    if (a->mirror[0]) {
        char age[96];
        snapshot_age(a->mirror_published, age, sizeof age);
        snprintf(where, sizeof where, "%s | %s", a->mirror, age);
    } else {
        snprintf(where, sizeof where, "%s", cd_store_name(a->s));
    }
    snprintf(line, sizeof line, " certdeck | %s | %s%s | %s%s%s", where, cd_user_name(a->u),
             cd_store_readonly(a->s) ? " (read-only)" : "", ops->name, counts[0] ? " | " : "", counts);
    draw_text(0, 0, a->cols, line, top);
    int w = (int)cd_display_width(a->warning), on_top = a->warning[0] && (int)cd_display_width(line) + w < a->cols;
    if (on_top) draw_text(0, a->cols - w, w, a->warning, theme_attr(C_WARN));
    /* status line; the banner goes there when the top line is too narrow */
    if (!a->status[0] && a->warning[0] && !on_top)
        draw_text(a->rows - 2, 0, a->cols, a->warning, theme_attr(C_WARN));
    else
        draw_text(a->rows - 2, 0, a->cols, a->status, a->status_err ? theme_attr(C_ERROR) : theme_attr(C_NORMAL));
    /* key bar */
    int x = 0, y = a->rows - 1;
    draw_fill(y, 0, a->cols, theme_attr(C_KEYBAR));
    for (const int *r = ops->keybar; r && *r != REQ_NONE && x < a->cols; r++) {
        char k[16];
        key_label(*r, k, sizeof k);
        const char *l = short_label(*r);
        int kw = (int)strlen(k), lw = (int)strlen(l);
        if (x + kw + lw + 1 > a->cols) break;
        /* what the user may not do here stays in its place, dimmed */
        int dim = ops->allowed && !ops->allowed(a, a->stack[a->depth - 1].st, *r) ? (int)A_DIM : 0;
        draw_text(y, x, kw, k, dim ? theme_attr(C_KEYBAR) | dim : theme_attr(C_KEY));
        draw_text(y, x + kw, lw + 1, l, theme_attr(C_KEYBAR) | dim);
        x += kw + lw + 1;
    }
}

void app_redraw(struct app *a)
{
    getmaxyx(stdscr, a->rows, a->cols);
    erase();
    if (a->rows < 6 || a->cols < 30) {
        draw_text(0, 0, a->cols, "certdeck: the terminal is too small", A_BOLD);
        refresh();
        return;
    }
    if (a->depth == 0) {                 /* before the first screen: the login dialog */
        char line[300];
        snprintf(line, sizeof line, " certdeck | %s | log in", cd_store_name(a->s));
        draw_text(0, 0, a->cols, line, theme_attr(C_TOP));
        refresh();
        return;
    }
    const struct scr_ops *ops = a->stack[a->depth - 1].ops;
    int y = 1, h = a->rows - 3;
    if (a->unauth_on) {
        const char *b = (int)cd_display_width(UNAUTH_LONG) <= a->cols ? UNAUTH_LONG : UNAUTH_SHORT;
        draw_text(1, 0, a->cols, b, theme_attr(C_WARN) | A_BOLD);
        y++;
        h--;
    }
    ops->draw(a, a->stack[a->depth - 1].st, y, h);
    draw_chrome(a);
    refresh();
}

/* --user without --password-file: the console asks for the password in a
 * dialog; a failure says only that the name or the password is wrong. */
static int login_submit(struct app *a, struct form *fm, void *ctx)
{
    (void)ctx;
    struct cd_err e = { 0 };
    int rc = cd_user_login(a->s, fm->f[0].value, fm->f[1].value, &a->u, &e);
    memset(fm->f[1].value, 0, sizeof fm->f[1].value);
    return rc ? form_fail(fm, rc, &e) : 0;
}

static int login(struct app *a, const char *name)
{
    /* the name given with --user is fixed: the cursor starts on the password */
    struct field f[2] = { { .type = name && *name ? F_LABEL : F_TEXT, .label = "User" },
                          { .type = F_SECRET, .label = "Password" } };
    snprintf(f[0].value, sizeof f[0].value, "%s", name ? name : "");
    struct form fm = { "Log in", "Esc leaves certdeck", f, 2, "Log in", login_submit, NULL, "" };
    return form_run(a, &fm) && a->u;
}

/* Splits a command line into words; "quoted words" keep their spaces. */
static int split(char *s, char **argv, int max)
{
    int n = 0;
    while (*s && n < max) {
        while (*s == ' ') s++;
        if (!*s) break;
        if (*s == '"') {
            argv[n++] = ++s;
            while (*s && *s != '"') s++;
        } else {
            argv[n++] = s;
            while (*s && *s != ' ') s++;
        }
        if (*s) *s++ = 0;
    }
    return n;
}

int certs_command(struct app *a, int argc, char **argv);   /* scr_certs.c */

int app_command(struct app *a, const char *line)
{
    char buf[512], *argv[16];
    snprintf(buf, sizeof buf, "%s", line);
    int argc = split(buf, argv, 16);
    if (!argc) return 0;
    if (!strcmp(argv[0], "q") || !strcmp(argv[0], "quit")) { a->quit = 1; return 0; }
    if (!strcmp(argv[0], "help")) return app_push(a, &scr_help, NULL);
    if (!strcmp(argv[0], "ca") || !strcmp(argv[0], "cas")) return app_push(a, &scr_cas, NULL);
    if (!strcmp(argv[0], "audit") && argc == 1) return app_push(a, &scr_audit, NULL);
    if (!strcmp(argv[0], "server") && argc == 1) { dlg_server(a); return 0; }
    return certs_command(a, argc, argv);
}

static int read_line(struct app *a, const char *prompt, char *out, size_t n)
{
    size_t len = 0;
    out[0] = 0;
    curs_set(1);
    for (;;) {
        char shown[600];
        snprintf(shown, sizeof shown, "%s%s", prompt, out);
        draw_text(a->rows - 2, 0, a->cols, shown, theme_attr(C_NORMAL));
        move(a->rows - 2, (int)cd_display_width(shown) < a->cols ? (int)cd_display_width(shown) : a->cols - 1);
        refresh();
        int ch = app_getch();
        if (ch == APP_STOP) { curs_set(0); return -1; }
        if (ch == ERR) continue;
        if (ch == 27) { len = 0; out[0] = 0; curs_set(0); return -1; }
        if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) break;
        if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && len) out[--len] = 0;
        else if (ch >= 32 && ch < 256 && len + 1 < n) { out[len++] = (char)ch; out[len] = 0; }
    }
    curs_set(0);
    return 0;
}

static int generic(struct app *a, int req)
{
    switch (req) {
    case REQ_QUIT: a->quit = 1; return 1;
    case REQ_HELP: app_push(a, &scr_help, NULL); return 1;
    case REQ_CAS: app_push(a, &scr_cas, NULL); return 1;
    case REQ_AUDIT_ALL: app_push(a, &scr_audit, NULL); return 1;
    case REQ_USERS: app_push(a, &scr_users, NULL); return 1;
    case REQ_SERVER: dlg_server(a); return 1;
    case REQ_ESCAPE: if (a->depth > 1) app_pop(a); return 1;
    case REQ_REDRAW: clearok(curscr, TRUE); return 1;
    case REQ_COMMAND: {
        char line[400];
        if (read_line(a, ":", line, sizeof line) == 0 && line[0]) {
            a->status[0] = 0;
            app_command(a, line);
        }
        return 1;
    }
    }
    return 0;
}

int tui_run(cd_store *s, cd_user *u, const char *theme, const char *login_name)
{
    const char *term = getenv("TERM");
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || !term || !*term || !strcmp(term, "dumb")) {
        fprintf(stderr, "certdeck: the console needs a terminal (TERM is %s); use the command line instead, "
                        "e.g. \"certdeck cert list\" (certdeck --help)\n", term && *term ? term : "unset");
        return 1;
    }
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        fprintf(stderr, "certdeck: cannot drive the terminal \"%s\"; use the command line (certdeck --help)\n", term);
        return 1;
    }
    curses_on = 1;
    atexit(restore_at_exit);
    struct sigaction sa = { .sa_handler = on_stop };
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    signal(SIGSEGV, on_fatal);
    signal(SIGABRT, on_fatal);
    signal(SIGBUS, on_fatal);
    cbreak();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    curs_set(0);
    set_escdelay(25);
    timeout(500);          /* wake up to notice SIGINT/SIGTERM */
    char err[200] = "";
    int trc = theme_load(theme, err, sizeof err);
    struct app a = { .s = s, .u = u, .nexpired = -1, .nexpiring = -1 };
    getmaxyx(stdscr, a.rows, a.cols);
    if (trc) app_status(&a, 1, "theme: %s", err);
    int rc = 0;
    if (!a.u && !login(&a, login_name)) rc = 1;
    app_mirror(&a);
    if (!rc) app_warnings(&a);
    if (!rc && app_push(&a, &scr_certs, NULL)) rc = 1;
    /* back on the screen the user left */
    char *last = NULL;
    struct cd_err e = { 0 };
    if (!rc && cd_state_get(s, a.u, "screen", &last, &e) == CD_OK && last && !strcmp(last, scr_cas.name))
        app_push(&a, &scr_cas, NULL);
    free(last);
    while (!rc && !a.quit && !stop_flag) {
        app_redraw(&a);
        /* the frame first, then the expiry counts (slow on a big store),
         * unless a key is already waiting: it goes first */
        int ch;
        if (a.nexpired < 0) {
            timeout(1);
            ch = getch();
            timeout(500);
            if (ch == ERR) { app_expiry_counts(&a); continue; }
        } else {
            ch = app_getch();
        }
        if (ch == APP_STOP) break;
        if (ch == ERR) continue;
        if (ch == KEY_RESIZE) continue;           /* app_redraw re-reads the size */
        /* a resize can land between the last frame and this key, before
         * ncurses has seen SIGWINCH: ask the terminal itself */
        struct winsize ws;
        if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row && ws.ws_col &&
            (ws.ws_row != LINES || ws.ws_col != COLS))
            resizeterm(ws.ws_row, ws.ws_col);
        getmaxyx(stdscr, a.rows, a.cols);
        int req = keymap_lookup(ch);
        const struct scr_ops *ops = a.stack[a.depth - 1].ops;
        /* every key goes to the screen first, q too: in a filter bar it is
         * a letter (no screen takes REQ_QUIT otherwise) */
        if (ops->request(&a, a.stack[a.depth - 1].st, req, ch)) continue;
        generic(&a, req);
    }
    if (a.depth > 0) {
        const struct scr_ops *top = a.stack[a.depth - 1].ops;
        cd_state_set(s, a.u, "screen", top == &scr_cas ? scr_cas.name : scr_certs.name, &e);
    }
    while (a.depth > 0) { a.depth--; a.stack[a.depth].ops->close(a.stack[a.depth].st); }
    endwin();
    curses_on = 0;
    delscreen(scr);
    if (a.u != u) cd_user_free(a.u);     /* logged in here */
    return rc;
}

/* ---- drawing helpers --------------------------------------------------- */

void draw_fill(int y, int x, int w, int attr)
{
    attrset(attr);
    mvhline(y, x, ' ', w);
    attrset(A_NORMAL);
}

void draw_text(int y, int x, int w, const char *s, int attr)
{
    if (w <= 0) return;
    char *clean = cd_sanitize(s ? s : "", (size_t)-1);
    char buf[1024];
    int used = (int)cd_fit_width(clean ? clean : "", (size_t)w, buf, sizeof buf);
    attrset(attr);
    mvaddstr(y, x, buf);
    if (used < w) mvhline(y, x + used, ' ', w - used);
    attrset(A_NORMAL);
    free(clean);
}

int state_attr(int state)
{
    switch (state) {
    case CD_STATE_VALID: return theme_attr(C_ST_VALID);
    case CD_STATE_EXPIRING: return theme_attr(C_ST_EXPIRING);
    case CD_STATE_EXPIRED: return theme_attr(C_ST_EXPIRED);
    case CD_STATE_REVOKED: return theme_attr(C_ST_REVOKED);
    case CD_STATE_NOTYET: case CD_STATE_PENDING: return theme_attr(C_ST_NOTYET);
    }
    return theme_attr(C_NORMAL);
}
