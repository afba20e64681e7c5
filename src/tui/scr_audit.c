/* certdeck console — the Audit log screen: every change, refusal and
 * failure, newest first, for the whole store or one object, narrowed with
 * the filter language (/: user=alice result:Forbidden time>7d). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

struct audit { struct table t; struct cd_audit_list list; char object[64]; char title[96]; char filter[256]; };
enum { K_TIME, K_USER, K_ACTION, K_OBJECT, K_RESULT, K_SECTION, K_DETAIL };

static int au_count(struct app *a, void *ctx, int64_t *total, struct cd_err *e)
{
    struct audit *x = ctx;
    cd_audit_list_free(&x->list);
    int rc = cd_audit_list(a->s, a->u, x->object[0] ? x->object : NULL, x->filter, 10000, &x->list, e);
    *total = rc ? 0 : (int64_t)x->list.n;
    return rc;
}

static int au_fetch(struct app *a, void *ctx, int64_t off, int limit, int reverse, void **rows, size_t *n,
                    struct cd_err *e)
{
    (void)a; (void)e; (void)reverse;
    struct audit *x = ctx;
    table_window(x->list.rows, x->list.n, sizeof x->list.rows[0], off, limit, rows, n);
    return 0;
}

static const char *au_cell(const void *row, int col, char *buf, size_t n)
{
    const struct cd_audit *r = row;
    switch (col) {
    case K_TIME: return cd_format_time(r->time, buf, n);
    case K_USER: return r->user;
    case K_ACTION: return r->action;
    case K_OBJECT: return r->object;
    case K_RESULT: return r->result;
    case K_SECTION: return r->section;
    case K_DETAIL: return r->detail;
    }
    return "";
}
static int64_t au_id(const void *row) { return ((const struct cd_audit *)row)->id; }
static int au_attr(const void *row, int col)
{
    const struct cd_audit *r = row;
    if (col != K_RESULT) return 0;
    return strcmp(r->result, "Success") ? theme_attr(C_ERROR) : theme_attr(C_OK);
}

static const struct table_src au_src = { au_fetch, au_count, au_cell, au_id, au_attr, table_borrowed_free, sizeof(struct cd_audit), 1, 0 };

static void *open_audit(struct app *a, const void *arg)
{
    struct audit *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    if (arg) snprintf(x->object, sizeof x->object, "%s", (const char *)arg);
    snprintf(x->title, sizeof x->title, "Audit log%s%s", x->object[0] ? " of " : "", x->object);
    table_init(&x->t, &au_src, x);
    static const struct tcol_def cols[] = {
        { K_TIME, "Time (UTC)", 16 }, { K_USER, "User", 10 }, { K_ACTION, "Action", 20 }, { K_OBJECT, "Object", 12 },
        { K_RESULT, "Result", 9 }, { K_SECTION, "Section", 14 }, { K_DETAIL, "Detail", 60 },
    };
    table_columns(&x->t, cols, sizeof cols / sizeof cols[0]);
    table_reload(a, &x->t);
    return x;
}

static void close_audit(void *st)
{
    struct audit *x = st;
    x->t.page = NULL;
    table_free(&x->t);
    cd_audit_list_free(&x->list);
    free(x);
}

static void draw_audit(struct app *a, void *st, int y, int h)
{
    struct audit *x = st;
    char line[400];
    snprintf(line, sizeof line, "%s   Filter: %s", x->title, x->filter[0] ? x->filter : "(press / to filter)");
    draw_text(y, 0, a->cols, line, theme_attr(C_NORMAL));
    table_draw(a, &x->t, y + 1, 0, h - 1, a->cols);
}

static const char *counts_audit(struct app *a, void *st, char *buf, size_t n)
{
    (void)a;
    snprintf(buf, n, "%zu records", ((struct audit *)st)->list.n);
    return buf;
}

static int filter_submit(struct app *a, struct form *fm, void *ctx)
{
    struct audit *x = ctx;
    struct cd_err e = { 0 };
    struct cd_audit_list probe;
    /* a field the audit log lacks is found when compiling: try it first */
    int rc = cd_audit_list(a->s, a->u, NULL, fm->f[0].value, 1, &probe, &e);
    if (rc) return form_fail(fm, rc, &e);
    cd_audit_list_free(&probe);
    snprintf(x->filter, sizeof x->filter, "%s", fm->f[0].value);
    x->t.cur = x->t.top = 0;
    table_reload(a, &x->t);
    return 0;
}

static int request_audit(struct app *a, void *st, int req, int key)
{
    (void)key;
    struct audit *x = st;
    if (req == REQ_REDRAW) { table_reload(a, &x->t); return 0; }
    if (table_request(a, &x->t, req)) return 1;
    if (req == REQ_FILTER) {
        struct field f[1] = { { .type = F_TEXT, .label = "Filter" } };
        snprintf(f[0].value, sizeof f[0].value, "%s", x->filter);
        struct form fm = { "Filter the audit log", "user=alice  result:Forbidden  action:revoke  section:users  "
                           "time>7d  object=\"cert 12\"", f, 1, "Apply", filter_submit, x, "" };
        form_run(a, &fm);
        return 1;
    }
    if (req == REQ_ESCAPE && x->filter[0]) {      /* Esc clears the filter first, then closes */
        x->filter[0] = 0;
        x->t.cur = x->t.top = 0;
        table_reload(a, &x->t);
        return 1;
    }
    if (req == REQ_AUDIT || req == REQ_AUDIT_ALL || req == REQ_ENTER) return 1;
    if (req == REQ_CERTS) { app_pop(a); return 1; }
    return 0;
}

static const int keybar_audit[] = { REQ_HELP, REQ_FILTER, REQ_ESCAPE, REQ_QUIT, REQ_NONE };

const struct scr_ops scr_audit = {
    "Audit log", open_audit, draw_audit, request_audit, close_audit, keybar_audit, counts_audit, NULL,
};
