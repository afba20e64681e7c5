/* certdeck console — the Certification authorities screen: the filter bar
 * (the filter language over CA fields, applied as you type), New CA,
 * Import public key, Export public key, CRL, Tags, Edit description, Audit
 * log, Access group, Delete.  CAs are never revoked, so there is no Revoke
 * here. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

/* applied: the filter the list was last loaded with (the bar may hold an
 * invalid one being typed) */
struct cas { struct table t; struct cd_ca_list list; struct fbar fb; char applied[256]; };

enum { K_ID, K_DESC, K_CN, K_KEY, K_FROM, K_TO, K_STATUS, K_SIGNS, K_CERTS, K_TAGS, K_GROUP };

static int ca_count(struct app *a, void *ctx, int64_t *total, struct cd_err *e)
{
    struct cas *c = ctx;
    cd_ca_list_free(&c->list);
    struct cd_query q = { .filter = c->applied };
    int rc = cd_ca_list(a->s, a->u, &q, &c->list, e);
    *total = rc ? 0 : (int64_t)c->list.n;
    return rc;
}

static int ca_fetch(struct app *a, void *ctx, int64_t off, int limit, int reverse, void **rows, size_t *n,
                    struct cd_err *e)
{
    (void)a; (void)e; (void)reverse;
    struct cas *c = ctx;
    table_window(c->list.rows, c->list.n, sizeof c->list.rows[0], off, limit, rows, n);
    return 0;
}

static const char *ca_cell(const void *row, int col, char *buf, size_t n)
{
    const struct cd_ca *r = row;
    switch (col) {
    case K_ID: snprintf(buf, n, "%lld", (long long)r->id); return buf;
    case K_DESC: return r->description;
    case K_CN: return r->cn;
    case K_KEY: return r->key_alg;
    case K_FROM: return cd_format_time(r->not_before, buf, n);
    case K_TO: return cd_format_time(r->not_after, buf, n);
    case K_STATUS: return cd_state_name(r->state);
    case K_SIGNS: return !r->can_sign ? "public key only" : r->has_passphrase ? "yes, passphrase" : "yes";
    case K_CERTS: snprintf(buf, n, "%lld", (long long)r->cert_count); return buf;
    case K_TAGS: return r->tags;
    case K_GROUP: return r->group;
    }
    return "";
}
static int64_t ca_id(const void *row) { return ((const struct cd_ca *)row)->id; }
static int ca_attr(const void *row, int col) { return col == K_STATUS ? state_attr(((const struct cd_ca *)row)->state) : 0; }

static const struct table_src ca_src = { ca_fetch, ca_count, ca_cell, ca_id, ca_attr, table_borrowed_free, sizeof(struct cd_ca), 1, 0 };

static void *open_cas(struct app *a, const void *arg)
{
    (void)arg;
    struct cas *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    table_init(&c->t, &ca_src, c);
    static const struct tcol_def cols[] = {
        { K_ID, "ID", 4 }, { K_DESC, "Description", 30 }, { K_CN, "Subject", 30 }, { K_KEY, "Key", 9 },
        { K_FROM, "Valid from", 16 }, { K_TO, "Valid to", 16 }, { K_STATUS, "Status", 8 }, { K_SIGNS, "Signs", 15 },
        { K_CERTS, "Certs", 6 }, { K_TAGS, "Tags", 12 }, { K_GROUP, "Group", 16 },
    };
    table_columns(&c->t, cols, sizeof cols / sizeof cols[0]);
    table_reload(a, &c->t);
    return c;
}

static void close_cas(void *st)
{
    struct cas *c = st;
    c->t.page = NULL;               /* borrowed from the list */
    table_free(&c->t);
    cd_ca_list_free(&c->list);
    free(c);
}

static void draw_cas(struct app *a, void *st, int y, int h)
{
    struct cas *c = st;
    c->t.focused = !c->fb.editing;
    int used = fbar_draw(&c->fb, y, 0, a->cols, a->cols);
    table_draw(a, &c->t, y + used, 0, h - used, a->cols);
    fbar_cursor(&c->fb, y, 0);
}

static const char *counts_cas(struct app *a, void *st, char *buf, size_t n)
{
    (void)a;
    struct cas *c = st;
    snprintf(buf, n, c->applied[0] ? "%zu CAs (filtered)" : "%zu CAs", c->list.n);
    return buf;
}

/* The bar's filter, tried first: a field CAs lack ("product:") is found
 * when the core compiles it, and then the last good list stays. */
static void apply(struct app *a, struct cas *c)
{
    struct cd_err e = { 0 };
    struct cd_query q = { .filter = c->fb.text, .limit = 1 };
    struct cd_ca_list probe;
    c->fb.err[0] = 0;
    if (cd_ca_list(a->s, a->u, &q, &probe, &e)) { fbar_fail(&c->fb, &e); return; }
    cd_ca_list_free(&probe);
    snprintf(c->applied, sizeof c->applied, "%s", c->fb.text);
    c->t.cur = c->t.top = 0;
    table_reload(a, &c->t);
}

static void edit_filter(struct app *a, struct cas *c, int key)
{
    int r = fbar_key(&c->fb, key);
    if (r == FB_CLEAR || (r == FB_DONE && fbar_mid_word(c->fb.text))) apply(a, c);
    else if (r == FB_EDIT && fbar_mid_word(c->fb.text)) c->fb.err[0] = 0;
    else if (r == FB_EDIT) apply(a, c);
}

/* ---- CRL --------------------------------------------------------------- */

static const char *const crl_formats[] = { "pem", "der", NULL };
enum { CR_FORMAT, CR_PASS, CR_PATH, CR_N };

static int crl_submit(struct app *a, struct form *fm, void *ctx)
{
    int64_t id = *(int64_t *)ctx;
    struct field *f = fm->f;
    if (!f[CR_PATH].value[0]) { snprintf(fm->err, sizeof fm->err, "a file name is needed"); return 1; }
    int pem = f[CR_FORMAT].choice == 0;
    struct cd_err e = { 0 };
    unsigned char *crl = NULL;
    size_t len = 0;
    unsigned flags;
    /* asked before signing: a refused target must not use up a CRL number */
    if (form_may_write(a, fm, f[CR_PATH].value, &flags)) return 1;
    int rc = cd_crl(a->s, a->u, id, f[CR_PASS].type == F_SECRET ? f[CR_PASS].value : NULL, 0, pem, &crl, &len, &e);
    if (!rc) rc = cd_write_file(a->s, f[CR_PATH].value, crl, len, flags, &e);
    free(crl);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "wrote the CRL of CA %lld to %s (%s)", (long long)id, f[CR_PATH].value, crl_formats[!pem]);
    return 0;
}

/* The name's ending follows the format: ".crl.pem" for PEM, ".crl" for DER
 * (a name of the user's own stays). */
static void crl_changed(struct form *fm, int i, void *ctx)
{
    (void)ctx;
    char *v = fm->f[CR_PATH].value;
    size_t len = strlen(v), cap = sizeof fm->f[CR_PATH].value;
    int pem = fm->f[i].choice == 0;
    if (pem && len > 4 && !strcmp(v + len - 4, ".crl") && len + 4 < cap) strcat(v, ".pem");
    else if (!pem && len > 8 && !strcmp(v + len - 8, ".crl.pem")) v[len - 4] = 0;
}

static void dlg_crl(struct app *a, const struct cd_ca *ca)
{
    int64_t id = ca->id;
    struct field f[CR_N] = {
        [CR_FORMAT] = { .type = F_CHOICE, .label = "Format", .choices = crl_formats, .changed = crl_changed },
        [CR_PASS] = { .type = ca->has_passphrase ? F_SECRET : F_LABEL, .label = "CA passphrase",
                      .value = "(none: the store key protects it)" },
        [CR_PATH] = { .type = F_TEXT, .label = "Save to" },
    };
    if (ca->has_passphrase) f[CR_PASS].value[0] = 0;
    snprintf(f[CR_PATH].value, sizeof f[CR_PATH].value, "ca-%lld.crl.pem", (long long)id);
    char title[64];
    snprintf(title, sizeof title, "CRL of CA %lld", (long long)id);
    struct form fm = { title, "Signed now, next update in 7 days; lists every certificate it revoked", f, CR_N,
                       "Write", crl_submit, &id, "" };
    form_run(a, &fm);
    explicit_bzero(f[CR_PASS].value, sizeof f[CR_PASS].value);
}

static int export_submit(struct app *a, struct form *fm, void *ctx)
{
    int64_t id = *(int64_t *)ctx;
    struct cd_err e = { 0 };
    char *pem = NULL;
    size_t len = 0;
    unsigned flags;
    if (form_may_write(a, fm, fm->f[0].value, &flags)) return 1;
    int rc = cd_ca_export(a->s, a->u, id, &pem, &len, &e);
    if (!rc) rc = cd_write_file(a->s, fm->f[0].value, pem, len, flags, &e);
    free(pem);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "exported the public key of CA %lld to %s", (long long)id, fm->f[0].value);
    return 0;
}

static int delete_submit(struct app *a, struct form *fm, void *ctx)
{
    int64_t id = *(int64_t *)ctx;
    struct cd_err e = { 0 };
    int rc = cd_ca_delete(a->s, a->u, id, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "deleted CA %lld", (long long)id);
    return 0;
}

static int allowed_cas(struct app *a, void *st, int req)
{
    struct cas *c = st;
    const struct cd_ca *cur = req == REQ_NEW || req == REQ_IMPORT ? NULL : table_current(a, &c->t);
    return app_allowed(a, req, CD_KIND_CA, cur ? cur->group : NULL, 0);
}

static int request_cas(struct app *a, void *st, int req, int key)
{
    (void)key;
    struct cas *c = st;
    if (c->fb.editing) { edit_filter(a, c, key); return 1; }
    if (req == REQ_REDRAW) { table_reload(a, &c->t); return 0; }
    if (table_request(a, &c->t, req)) return 1;
    if (req == REQ_FILTER) { c->fb.editing = 1; return 1; }
    if (req == REQ_ESCAPE && (c->fb.text[0] || c->applied[0])) {    /* clears the filter first, then closes */
        c->fb.text[0] = 0;
        apply(a, c);
        return 1;
    }
    const struct cd_ca *cur = table_current(a, &c->t);
    int changed = 0;
    int64_t id = cur ? cur->id : 0;
    switch (req) {
    case REQ_NEW: changed = app_allowed(a, req, CD_KIND_CA, NULL, 1) && dlg_new_ca(a); break;
    case REQ_IMPORT: changed = app_allowed(a, req, CD_KIND_CA, NULL, 1) && dlg_import_ca(a); break;
    case REQ_CERTS: app_pop(a); return 1;
    case REQ_CAS: return 1;
    }
    if (!cur && !changed) return req == REQ_NEW || req == REQ_IMPORT;
    if (cur && !changed && !app_allowed(a, req, CD_KIND_CA, cur->group, 1)) return 1;
    switch (req) {
    case REQ_EXPORT: {
        struct field f[1] = { { .type = F_TEXT, .label = "Save to" } };
        snprintf(f[0].value, sizeof f[0].value, "ca-%lld.pem", (long long)id);
        struct form fm = { "Export CA public key", "PEM; the private key never leaves the store", f, 1, "Export",
                           export_submit, &id, "" };
        form_run(a, &fm);
        return 1;
    }
    case REQ_DELETE: {
        struct field f[1] = { { .type = F_LABEL, .label = "Delete" } };
        snprintf(f[0].value, sizeof f[0].value, "CA %lld", (long long)id);
        struct form fm = { "Delete CA", "Deleting is permanent. A CA with valid certificates cannot be deleted.", f, 1,
                           "Delete", delete_submit, &id, "" };
        flushinp();             /* typeahead does not confirm a permanent step */
        changed = form_run(a, &fm);
        break;
    }
    case REQ_CRL:
        if (!cur->can_sign) { app_status(a, 1, "CA %lld is a public key only: it signs no CRL", (long long)id); return 1; }
        dlg_crl(a, cur);
        return 1;
    case REQ_DESCRIBE: changed = dlg_describe(a, CD_KIND_CA, id, cur->description); break;
    case REQ_TAGS: changed = dlg_tags(a, CD_KIND_CA, &id, 1, cur->tags); break;
    case REQ_MOVE: changed = dlg_move(a, CD_KIND_CA, &id, 1, cur->group); break;
    case REQ_AUDIT: { char obj[32]; snprintf(obj, sizeof obj, "ca %lld", (long long)id); app_push(a, &scr_audit, obj); return 1; }
    case REQ_RENEW:
        if (!cur->can_sign) { app_status(a, 1, "CA %lld is a public key only: it cannot be rolled over here", (long long)id); return 1; }
        changed = dlg_rollover(a, id);
        break;
    case REQ_ENTER: app_push(a, &scr_ca_details, &id); return 1;
    case REQ_REVOKE:
        app_status(a, 1, "CAs are not revoked; delete one with D when none of its certificates is valid");
        return 1;
    default: if (!changed) return 0;
    }
    if (changed) { table_reload(a, &c->t); app_warnings(a); }
    return 1;
}

static const int keybar_cas[] = { REQ_HELP, REQ_NEW, REQ_IMPORT, REQ_TAGS, REQ_DESCRIBE, REQ_AUDIT, REQ_EXPORT,
                                  REQ_MOVE, REQ_DELETE, REQ_CRL, REQ_FILTER, REQ_CERTS, REQ_QUIT, REQ_RENEW, REQ_NONE };

const struct scr_ops scr_cas = {
    "Certification authorities", open_cas, draw_cas, request_cas, close_cas, keybar_cas, counts_cas, allowed_cas,
};
