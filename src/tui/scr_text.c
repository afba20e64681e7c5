/* certdeck console — scrolling text screens built from the store or the
 * keymap: certificate Details (with the lifecycle's keys: revoke as
 * superseded, renew, the pending request's steps), CA details, Certificate
 * usage, and Help (generated from the request list and the key bindings). */
#include <curses.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

struct text { char **lines; size_t n, cap; int64_t top; const char *title; int64_t id; /* details: the cert */ };

static void add(struct text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct text *t, const char *fmt, ...)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 64;
        char **p = realloc(t->lines, cap * sizeof *p);
        if (!p) return;
        t->lines = p;
        t->cap = cap;
    }
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&t->lines[t->n], fmt, ap) >= 0) t->n++;
    va_end(ap);
}

static void close_text(void *st)
{
    struct text *t = st;
    for (size_t i = 0; i < t->n; i++) free(t->lines[i]);
    free(t->lines);
    free(t);
}

static void draw_textview(struct app *a, void *st, int y, int h)
{
    struct text *t = st;
    for (int r = 0; r < h; r++) {
        int64_t i = t->top + r;
        draw_text(y + r, 0, a->cols, i < (int64_t)t->n ? t->lines[i] : "",
                  i == 0 ? theme_attr(C_HEADER) : theme_attr(C_NORMAL));
    }
}

static int request_text(struct app *a, void *st, int req, int key)
{
    (void)key;
    struct text *t = st;
    int h = a->rows - 3;
    switch (req) {
    case REQ_UP: t->top--; break;
    case REQ_DOWN: t->top++; break;
    case REQ_PGUP: t->top -= h; break;
    case REQ_PGDN: t->top += h; break;
    case REQ_HOME: t->top = 0; break;
    case REQ_END: t->top = (int64_t)t->n - h; break;
    case REQ_ENTER: case REQ_HELP: return req == REQ_ENTER;
    case REQ_REDRAW: return 0;
    case REQ_REVOKE: case REQ_RENEW: case REQ_CSR: case REQ_SIGNED:
        if (t->id > 0) {
            int64_t id = t->id;
            /* changed: the details again, the screen below refreshed by the pop */
            if (cert_action(a, req, id)) { app_pop(a); app_push(a, &scr_details, &id); }
            return 1;
        }
        return 0;
    default: return 0;
    }
    if (t->top > (int64_t)t->n - h) t->top = (int64_t)t->n - h;
    if (t->top < 0) t->top = 0;
    return 1;
}

static const int keybar_text[] = { REQ_ESCAPE, REQ_QUIT, REQ_NONE };

/* GnuTLS lays its text out with tabs: two spaces per leading tab, and an
 * inner one ("Curve:<TAB>SECP256R1") to the next stop of 8.  Only this
 * text is ours to lay out: a tab anywhere else (a description) stays
 * escaped by the sanitiser, and everything else odd in here does too.
 * Caller frees; NULL when out of memory. */
static char *expand_tabs(const char *l)
{
    size_t tabs = 0;
    for (const char *p = l; *p; p++) tabs += *p == '\t';
    char *out = malloc(strlen(l) + tabs * 8 + 1);
    if (!out) return NULL;
    size_t k = 0, col = 0;
    const char *p = l;
    for (; *p == '\t'; p++) { out[k++] = ' '; out[k++] = ' '; }
    for (; *p; p++) {
        if (*p != '\t') {
            out[k++] = *p;
            col += ((unsigned char)*p & 0xc0) != 0x80;    /* columns, not UTF-8 bytes */
            continue;
        }
        do { out[k++] = ' '; col++; } while (col % 8);
    }
    out[k] = 0;
    return out;
}

/* ---- Details and Usage (arg: id, negative for usage) -------------------- */

/* A column of w display columns: s (from the network) cut and padded by
 * the width it takes once draw_text has sanitised the line, so escaped
 * characters keep the columns in line; the text itself stays raw here. */
static const char *cell(const char *s, int w, char *out, size_t n)
{
    size_t cut = strlen(s), width;
    for (;;) {
        char *c = cd_sanitize(s, cut);
        width = c ? cd_display_width(c) : 0;
        free(c);
        if (width <= (size_t)w || !cut) break;
        do cut--; while (cut && ((unsigned char)s[cut] & 0xc0) == 0x80);
    }
    snprintf(out, n, "%.*s%*s", (int)cut, s, (int)((size_t)w - width), "");
    return out;
}

static void *open_details(struct app *a, const void *arg)
{
    int64_t id = *(const int64_t *)arg;
    int usage = id < 0;
    if (usage) id = -id;
    struct text *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    struct cd_err e = { 0 };
    struct cd_cert c;
    int rc = cd_cert_get(a->s, a->u, id, &c, &e);
    if (rc) { app_fail(a, rc, &e); free(t); return NULL; }
    int64_t uses = 0;
    cd_cert_usage_count(a->s, a->u, id, &uses, &e);
    char b1[32], b2[32];
    if (usage) {
        add(t, "Certificate usage: %s (ID %lld)", c.cn, (long long)id);
        add(t, "%s", "");
        struct cd_usage_list ul;
        rc = cd_cert_usage(a->s, a->u, id, &ul, &e);
        if (rc) {
            add(t, "The usage cannot be read: %s", cd_errmsg(&e, rc));
        } else if (!ul.n) {
            add(t, "No client has presented this certificate");
        } else {
            add(t, "%lld client%s seen in the last %d days; newest first:", (long long)uses, uses == 1 ? "" : "s",
                CD_USAGE_RECENT_DAYS);
            add(t, "%s", "");
            add(t, "  %-32s %-40s %-17s %s", "Client", "Address", "First seen", "Last seen");
            for (size_t i = 0; i < ul.n; i++) {
                char n[300], ad[300];
                add(t, "  %s %s %-17s %s", cell(ul.rows[i].client, 32, n, sizeof n),
                    cell(ul.rows[i].address, 40, ad, sizeof ad), cd_format_time(ul.rows[i].first_seen, b1, sizeof b1),
                    cd_format_time(ul.rows[i].last_seen, b2, sizeof b2));
            }
            cd_usage_list_free(&ul);
        }
    } else {
        add(t, "Certificate %lld: %s", (long long)id, c.cn);
        add(t, "%s", "");
        add(t, "  Description   %s", c.description);
        add(t, "  Product       %s", c.product);
        add(t, "  Host          %s", c.host);
        add(t, "  Subject       %s", c.subject);
        if (c.ca_id) add(t, "  Issuer (CA)   %s  (CA %lld)", c.issuer, (long long)c.ca_id);
        else add(t, "  Issuer        %s%s", c.issuer, c.state == CD_STATE_PENDING ? "(not signed yet)" : "  (not a CA of this store)");
        /* the core's text: "-" for a pending request, which has no validity yet */
        const char *tz = c.state == CD_STATE_PENDING ? " (set by the signed certificate)" : " UTC";
        add(t, "  Valid from    %s%s", cd_cert_field(&c, CD_COL_VALID_FROM, b1, sizeof b1), tz);
        add(t, "  Valid to      %s%s", cd_cert_field(&c, CD_COL_VALID_TO, b2, sizeof b2), tz);
        char k1[16], k2[16];
        if (c.state == CD_STATE_PENDING)
            add(t, "  Status        pending: the request waits for Apple's signature — %s saves the request again, "
                   "%s imports the signed certificate", key_hint(REQ_CSR, k1, sizeof k1), key_hint(REQ_SIGNED, k2, sizeof k2));
        else
            add(t, "  Status        %s", cd_state_name(c.state));
        if (c.replaces) add(t, "  Replaces      cert %lld", (long long)c.replaces);
        char rb[200];
        renew_describe(a, &c, rb, sizeof rb);
        if (rb[0]) add(t, "  Replaced by   %s", rb);
        add(t, "  Serial        %s", c.serial);
        add(t, "  SHA-256       %s", c.fingerprint);
        if (!c.has_key) add(t, "  Key           %s, no private key in the store", c.key_alg);
        else add(t, "  Key           %s%s", c.key_alg, c.has_passphrase ? ", protected by a certificate passphrase" : "");
        add(t, "  Tags          %s", c.tags);
        add(t, "  Access group  %s", c.group);
        add(t, "  Used by       %lld clients", (long long)uses);
        if (c.revoked_at) add(t, "  Revoked       %s UTC, reason %s", cd_format_time(c.revoked_at, b1, sizeof b1), c.revoke_reason);
        /* every field and extension, decoded; then the chain as PEM */
        char *txt = NULL;
        if (cd_cert_text(a->s, a->u, id, &txt, &e) == CD_OK) {
            add(t, "%s", "");
            char *save = NULL;
            for (char *l = strtok_r(txt, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
                char *x = expand_tabs(l);
                add(t, "  %s", x ? x : l);
                free(x);
            }
            free(txt);
        }
        unsigned char *pem = NULL;
        size_t len = 0;
        if (cd_cert_export(a->s, a->u, id, CD_EXPORT_CHAIN, NULL, &pem, &len, &e) == CD_OK) {
            add(t, "%s", "");
            add(t, "  Chain (PEM: this certificate, then its CA)");
            char *s = strndup((char *)pem, len), *save = NULL;
            for (char *l = strtok_r(s, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) add(t, "  %s", l);
            free(s);
            free(pem);
        }
    }
    t->title = usage ? "Certificate usage" : "Details";
    t->id = usage ? 0 : id;
    cd_cert_clear(&c);
    return t;
}

static const int keybar_details[] = { REQ_ESCAPE, REQ_REVOKE, REQ_RENEW, REQ_CSR, REQ_SIGNED, REQ_QUIT, REQ_NONE };

static int allowed_details(struct app *a, void *st, int req)
{
    (void)a;
    return ((struct text *)st)->id > 0 || (req != REQ_REVOKE && req != REQ_RENEW && req != REQ_CSR && req != REQ_SIGNED);
}

const struct scr_ops scr_details = {
    "Details", open_details, draw_textview, request_text, close_text, keybar_details, NULL, allowed_details,
};

/* ---- CA details (arg: id) ------------------------------------------------ */

static void *open_ca_details(struct app *a, const void *arg)
{
    int64_t id = *(const int64_t *)arg;
    struct text *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    struct cd_err e = { 0 };
    struct cd_ca c;
    int rc = cd_ca_get(a->s, a->u, id, &c, &e);
    if (rc) { app_fail(a, rc, &e); free(t); return NULL; }
    char b1[32], b2[32], k[16];
    add(t, "CA %lld: %s", (long long)id, c.cn);
    add(t, "%s", "");
    add(t, "  Description   %s", c.description);
    add(t, "  Subject       %s", c.subject);
    add(t, "  Valid from    %s UTC", cd_format_time(c.not_before, b1, sizeof b1));
    add(t, "  Valid to      %s UTC", cd_format_time(c.not_after, b2, sizeof b2));
    add(t, "  Status        %s", cd_state_name(c.state));
    add(t, "  Key           %s%s%s", c.key_alg, c.can_sign ? "" : ", public key only (it cannot sign)",
        c.has_passphrase ? ", protected by a passphrase" : "");
    add(t, "  Serial        %s", c.serial);
    add(t, "  SHA-256       %s", c.fingerprint);
    add(t, "  Certificates  %lld", (long long)c.cert_count);
    add(t, "  Tags          %s", c.tags);
    add(t, "  Access group  %s", c.group);
    if (c.predecessor) add(t, "  Predecessor   CA %lld (this CA took over from it at a rollover)", (long long)c.predecessor);
    if (c.successor) add(t, "  Successor     CA %lld (took over at a rollover; this CA stays until its certificates are gone)",
                         (long long)c.successor);
    else if (c.can_sign) add(t, "  Successor     none (%s rolls the CA over)", key_hint(REQ_RENEW, k, sizeof k));
    char *pem = NULL;
    size_t len = 0;
    if (cd_ca_export(a->s, a->u, id, &pem, &len, &e) == CD_OK) {
        add(t, "%s", "");
        char *txt = strndup(pem, len), *save = NULL;
        for (char *l = txt ? strtok_r(txt, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) add(t, "  %s", l);
        free(txt);
        free(pem);
    }
    t->title = "CA details";
    cd_ca_clear(&c);
    return t;
}

const struct scr_ops scr_ca_details = {
    "CA details", open_ca_details, draw_textview, request_text, close_text, keybar_text, NULL, NULL,
};

/* ---- Help ---------------------------------------------------------------- */

const char *keymap_keyname(int key, char *buf, size_t n);

static void *open_help(struct app *a, const void *arg)
{
    (void)a; (void)arg;
    struct text *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    add(t, "certdeck keys (Esc closes this help)");
    add(t, "%s", "");
    for (int r = 1; r < REQ_COUNT; r++) {
        char keys[80] = "";
        int key, req;
        for (size_t i = 0; keymap_at(i, &key, &req); i++) {
            if (req != r) continue;
            char k[16];
            size_t l = strlen(keys);
            snprintf(keys + l, sizeof keys - l, "%s%s", l ? " " : "", keymap_keyname(key, k, sizeof k));
        }
        add(t, "  %-22s %s", keys, req_help(r));
    }
    add(t, "%s", "");
    add(t, "Commands after \":\": filter EXPR, preset load|save|rm NAME, cert revoke|describe|move ID ...,");
    add(t, "cert renew (every row shown), tag add|rm ID TAG, tag create|delete TAG, group add|rm PATH, ca, audit, help, quit");
    add(t, "Filter language: see certdeck-filter(7); e.g. product:agent and expires<30d");
    return t;
}

const struct scr_ops scr_help = {
    "Help", open_help, draw_textview, request_text, close_text, keybar_text, NULL, NULL,
};
