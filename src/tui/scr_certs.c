/* certdeck console — the Peer certificates screen: the side panel (access
 * group tree with counts, tags with counts), the filter bar (applied as you
 * type, errors shown with their column), and the certificate table. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

#define PANEL_W 28
/* Counting stops here while filtering: "10000+" is all a person needs, and
 * an exact count of a million rows per keystroke is not free.  Scrolling to
 * the end counts exactly. */
#define COUNT_CAP 1000

struct certs {
    struct table t;
    struct fbar fb;
    int revoked;
    int sort, desc;
    int panel;                   /* -1 auto (by width), 0 hidden, 1 shown */
    int panel_focus;
    int panel_cur;
    char group[256];             /* "" = all */
    struct cd_group_list groups;
    struct cd_tag_list tags;
    /* one entry per row of groups / tags, reallocated with the lists */
    unsigned char *collapsed, *tag_on;
    int64_t *subtree;            /* certificates in each group and its subgroups */
    int status;                  /* the panel's status entry chosen: 0 none, else 1 + STATUS_* */
    char query[1024];            /* filter + chosen tags, as sent */
    int64_t all;                 /* rows without filter, for the counts; -1 = to count */
    int capped, exact;           /* the count stopped at COUNT_CAP / count to the end */
    char last[1400];             /* the query the exact count was for */
    char titles[CD_COL_COUNT][40];
};

/* ---- the table's source ----------------------------------------------- */

static void fill_query(struct certs *c, struct cd_query *q, int with_filter)
{
    memset(q, 0, sizeof *q);
    q->filter = with_filter ? c->query : "";
    q->group = c->group[0] ? c->group : NULL;
    q->revoked = c->revoked;
    q->sort = c->sort;
    q->desc = c->desc;
}

static int src_fetch(struct app *a, void *ctx, int64_t off, int limit, int reverse, void **rows, size_t *n,
                     struct cd_err *e)
{
    struct certs *c = ctx;
    struct cd_query q;
    fill_query(c, &q, 1);
    if (reverse) q.desc = !q.desc;      /* every order ends in a unique key: exactly backwards */
    q.offset = off;
    q.limit = limit;
    struct cd_cert_list l;
    int rc = cd_cert_list(a->s, a->u, &q, &l, e);
    if (rc) return rc;
    *rows = l.rows;
    *n = l.n;
    return 0;
}

static int src_count(struct app *a, void *ctx, int64_t *total, struct cd_err *e)
{
    struct certs *c = ctx;
    struct cd_query q;
    fill_query(c, &q, 1);
    q.limit = c->exact ? 0 : COUNT_CAP + 1;
    int rc = cd_cert_count(a->s, a->u, &q, total, e);
    c->capped = !c->exact && *total > COUNT_CAP;
    if (c->capped) *total = COUNT_CAP;
    return rc;
}

static const char *src_cell(const void *row, int col, char *buf, size_t n)
{
    return cd_cert_field(row, col, buf, n);
}
static int64_t src_id(const void *row) { return ((const struct cd_cert *)row)->id; }
static int src_attr(const void *row, int col)
{
    return col == CD_COL_STATUS ? state_attr(((const struct cd_cert *)row)->state) : 0;
}
static void src_free(void *rows, size_t n)
{
    struct cd_cert_list l = { n, rows };
    cd_cert_list_free(&l);
}

static const struct table_src cert_src = {
    src_fetch, src_count, src_cell, src_id, src_attr, src_free, sizeof(struct cd_cert), 0, 1,
};

/* ---- side panel -------------------------------------------------------- */

/* The panel's status entries: each a filter term, counted over all the user
 * may read (revoked excluded), the core's window deciding "expiring". */
enum { STATUS_EXPIRING, STATUS_EXPIRED, STATUS_N };
static const char *const STATUS_LABEL[STATUS_N] = { "Expiring", "Expired" };
static const char *const STATUS_TERM[STATUS_N] = { "status:expiring", "status:expired" };

static int hidden_by_collapse(struct certs *c, size_t i)
{
    const char *p = c->groups.rows[i].path;
    for (size_t k = 0; k < c->groups.n; k++) {
        if (!c->collapsed[k] || k == i) continue;
        size_t l = strlen(c->groups.rows[k].path);
        if (!strncmp(p, c->groups.rows[k].path, l) && p[l] == '/') return 1;
    }
    return 0;
}

/* Panel items: the status entries (kind 2), visible groups (0), then tags
 * (1).  Returns the count; kind and idx of item `at`. */
static int panel_items(struct certs *c, int at, int *kind, size_t *idx)
{
    int n = 0;
    for (size_t i = 0; i < STATUS_N; i++) {
        if (n == at) { *kind = 2; *idx = i; }
        n++;
    }
    for (size_t i = 0; i < c->groups.n; i++) {
        if (hidden_by_collapse(c, i)) continue;
        if (n == at) { *kind = 0; *idx = i; }
        n++;
    }
    for (size_t i = 0; i < c->tags.n; i++) {
        if (n == at) { *kind = 1; *idx = i; }
        n++;
    }
    return n;
}

/* The side panel's lists, reloaded after every change.  What the person
 * chose (collapsed groups, ticked tags) follows the group path / tag name,
 * not the row number: a group or tag made in between shifts the rows. */
static void load_side(struct app *a, struct certs *c)
{
    struct cd_err e = { 0 };
    struct cd_group_list gl = { 0 };
    struct cd_tag_list tl = { 0 };
    if (cd_group_list(a->s, a->u, &gl, &e)) gl = (struct cd_group_list){ 0 };
    if (cd_tag_list(a->s, a->u, &tl, &e)) tl = (struct cd_tag_list){ 0 };
    unsigned char *collapsed = calloc(gl.n + 1, 1), *tag_on = calloc(tl.n + 1, 1);
    int64_t *subtree = calloc(gl.n + 1, sizeof *subtree);
    if (!collapsed || !tag_on || !subtree) {
        free(collapsed); free(tag_on); free(subtree);
        cd_group_list_free(&gl);
        cd_tag_list_free(&tl);
        app_status(a, 1, "out of memory for the side panel");
        return;                  /* keep the lists shown so far */
    }
    for (size_t i = 0; i < c->groups.n; i++) {
        if (!c->collapsed[i]) continue;
        for (size_t j = 0; j < gl.n; j++)
            if (!strcmp(gl.rows[j].path, c->groups.rows[i].path)) collapsed[j] = 1;
    }
    for (size_t i = 0; i < c->tags.n; i++) {
        if (!c->tag_on[i]) continue;
        for (size_t j = 0; j < tl.n; j++)
            if (!strcmp(tl.rows[j].name, c->tags.rows[i].name)) tag_on[j] = 1;
    }
    cd_group_list_free(&c->groups);
    cd_tag_list_free(&c->tags);
    free(c->collapsed); free(c->tag_on); free(c->subtree);
    c->groups = gl; c->tags = tl;
    c->collapsed = collapsed; c->tag_on = tag_on; c->subtree = subtree;
    /* a group's number is what choosing it shows: its subtree.  The list is
     * depth-first, so a subtree is the run of paths under the group's own. */
    for (size_t i = 0; i < c->groups.n; i++) {
        const char *p = c->groups.rows[i].path;
        size_t l = strlen(p);
        c->subtree[i] = c->groups.rows[i].certs;
        for (size_t j = i + 1; j < c->groups.n && !strncmp(c->groups.rows[j].path, p, l) &&
                               c->groups.rows[j].path[l] == '/'; j++)
            c->subtree[i] += c->groups.rows[j].certs;
    }
}

static void compose_query(struct certs *c)
{
    size_t l = (size_t)snprintf(c->query, sizeof c->query, "%s", c->fb.text);
    if (c->status)
        l += (size_t)snprintf(c->query + l, sizeof c->query - l, "%s%s", l ? " and " : "", STATUS_TERM[c->status - 1]);
    for (size_t i = 0; i < c->tags.n; i++) {
        if (!c->tag_on[i]) continue;
        char *q = c->tags.rows[i].name;
        /* a tag name goes in quoted, its quotes and backslashes escaped */
        l += (size_t)snprintf(c->query + l, sizeof c->query - l, "%stag:\"", l ? " and " : "");
        for (; *q && l + 3 < sizeof c->query; q++) {
            if (*q == '"' || *q == '\\') c->query[l++] = '\\';
            c->query[l++] = *q;
        }
        l += (size_t)snprintf(c->query + l, sizeof c->query - l, "\"");
    }
    if (c->fb.text[0] && l > strlen(c->fb.text)) {
        /* the user's expression may hold "or": keep it together */
        char tmp[1024];
        snprintf(tmp, sizeof tmp, "(%s)%s", c->fb.text, c->query + strlen(c->fb.text));
        snprintf(c->query, sizeof c->query, "%s", tmp);
    }
}

static void apply(struct app *a, struct certs *c)
{
    struct cd_err e = { 0 };
    c->fb.err[0] = 0;
    if (cd_filter_check(c->fb.text, &e)) {
        fbar_fail(&c->fb, &e);
        return;                      /* keep showing the last good result */
    }
    compose_query(c);
    /* an exact count holds until the query itself changes */
    char key[sizeof c->last];
    snprintf(key, sizeof key, "%d|%s|%s", c->revoked, c->group, c->query);
    if (strcmp(key, c->last)) { c->exact = 0; memcpy(c->last, key, sizeof key); }
    c->capped = 0;               /* the count callback says so again if it runs */
    table_reload(a, &c->t);
}

void certs_set_filter(struct app *a, const char *expr)
{
    struct certs *c = a->stack[0].st;
    snprintf(c->fb.text, sizeof c->fb.text, "%s", expr ? expr : "");
    apply(a, c);
}

static void set_titles(struct certs *c)
{
    for (int i = 0; i < c->t.ncols; i++) {
        int id = c->t.cols[i].id;
        snprintf(c->titles[id], sizeof c->titles[id], "%s%s", cd_col_title(id),
                 id == c->sort ? (c->desc ? " v" : " ^") : "");
        c->t.cols[i].title = c->titles[id];
    }
}

static void sort_spec(const struct certs *c, char *out, size_t n)
{
    snprintf(out, n, "%s%s", cd_col_key(c->sort), c->desc ? ":desc" : "");
}

static void parse_sort(struct certs *c, const char *spec)
{
    int col, desc = 0;
    struct cd_err e = { 0 };
    if (cd_sort_parse(spec, &col, &desc, &e)) return;      /* a sort no longer known keeps the current one */
    c->sort = col;
    c->desc = desc;
}

/* Version of the stored column set: "2" since the ID column is shown by
 * default (a set without it from before is from the old default). */
#define COLUMNS_V "2"

/* 1 when a column spec ("key:width,...") lists the ID column. */
static int spec_has_id(const char *spec)
{
    for (const char *p = spec; p && *p; p = strchr(p, ',') ? strchr(p, ',') + 1 : NULL) {
        size_t n = strcspn(p, ":,");
        if (n == strlen(cd_col_key(CD_COL_ID)) && !strncmp(p, cd_col_key(CD_COL_ID), n)) return 1;
    }
    return 0;
}

/* Remembers the view for this user (not in --read-only, where the core
 * quietly keeps nothing). */
static void persist(struct app *a, struct certs *c)
{
    struct cd_err e = { 0 };
    char buf[512];
    columns_spec(&c->t, buf, sizeof buf);
    cd_state_set(a->s, a->u, "certs.columns", buf, &e);
    cd_state_set(a->s, a->u, "certs.columns_v", COLUMNS_V, &e);
    sort_spec(c, buf, sizeof buf);
    cd_state_set(a->s, a->u, "certs.sort", buf, &e);
    cd_state_set(a->s, a->u, "certs.revoked", c->revoked ? "1" : "0", &e);
    cd_state_set(a->s, a->u, "certs.filter", c->fb.text, &e);
}

static int load_preset(struct app *a, struct certs *c, const char *name)
{
    struct cd_err e = { 0 };
    struct cd_preset_list l;
    int rc = cd_preset_list(a->s, a->u, &l, &e);
    if (rc) { app_fail(a, rc, &e); return rc; }
    rc = CD_E_NOTFOUND;
    for (size_t i = 0; i < l.n; i++) {
        if (strcmp(l.rows[i].name, name)) continue;
        snprintf(c->fb.text, sizeof c->fb.text, "%s", l.rows[i].expr);
        if (c->tag_on) memset(c->tag_on, 0, c->tags.n);     /* the preset's expression says it all */
        char err[200];
        if (l.rows[i].columns[0]) columns_apply(&c->t, l.rows[i].columns, err, sizeof err);
        if (l.rows[i].sort[0]) parse_sort(c, l.rows[i].sort);
        rc = 0;
    }
    cd_preset_list_free(&l);
    if (rc) { app_status(a, 1, "no preset \"%s\"", name); return rc; }
    set_titles(c);
    apply(a, c);
    persist(a, c);
    app_status(a, 0, "preset %s loaded", name);
    return 0;
}

static void restore(struct app *a, struct certs *c)
{
    struct cd_err e = { 0 };
    char *v = NULL, err[200];
    if (cd_state_get(a->s, a->u, "certs.columns", &v, &e) == CD_OK && v) {
        /* a column set stored before the ID column was shown by default
         * (no COLUMNS_V beside it) gets ID in front: the ":" commands need
         * the IDs, and hiding it then was no choice of the person's.  Once
         * stored again with COLUMNS_V, a hidden ID stays hidden. */
        char *ver = NULL, spec[600];
        int current = cd_state_get(a->s, a->u, "certs.columns_v", &ver, &e) == CD_OK && ver &&
                      !strcmp(ver, COLUMNS_V);
        free(ver);
        snprintf(spec, sizeof spec, "%s%s", current || spec_has_id(v) ? "" : "id,", v);
        columns_apply(&c->t, spec, err, sizeof err);
    }
    free(v); v = NULL;
    if (cd_state_get(a->s, a->u, "certs.sort", &v, &e) == CD_OK && v) parse_sort(c, v);
    free(v); v = NULL;
    if (cd_state_get(a->s, a->u, "certs.revoked", &v, &e) == CD_OK && v) c->revoked = !strcmp(v, "1");
    free(v); v = NULL;
    if (cd_state_get(a->s, a->u, "certs.filter", &v, &e) == CD_OK && v && !cd_filter_check(v, &e))
        snprintf(c->fb.text, sizeof c->fb.text, "%s", v);
    free(v); v = NULL;
    set_titles(c);
}

static void *open_certs(struct app *a, const void *arg)
{
    (void)arg;
    struct certs *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    table_init(&c->t, &cert_src, c);
    static const struct { int id, w, vis; } cols[] = {
        { CD_COL_ID, 6, 1 }, { CD_COL_DESCRIPTION, 24, 1 }, { CD_COL_PRODUCT, 7, 1 }, { CD_COL_HOST, 10, 1 },
        { CD_COL_CN, 22, 1 }, { CD_COL_ISSUER, 16, 1 }, { CD_COL_VALID_FROM, 16, 0 }, { CD_COL_VALID_TO, 16, 1 },
        { CD_COL_STATUS, 8, 1 }, { CD_COL_TAGS, 14, 1 }, { CD_COL_GROUP, 18, 1 }, { CD_COL_SERIAL, 40, 0 },
        { CD_COL_FINGERPRINT, 64, 0 },
    };
    for (size_t i = 0; i < sizeof cols / sizeof cols[0]; i++)
        c->t.cols[c->t.ncols++] = (struct tcol){ cols[i].id, cd_col_title(cols[i].id), cols[i].w, cols[i].vis };
    c->sort = CD_COL_ID;
    c->panel = -1;
    c->panel_cur = STATUS_N;     /* on the group "All" */
    c->all = -1;
    set_titles(c);
    restore(a, c);
    load_side(a, c);
    apply(a, c);
    /* a default preset wins over the remembered view */
    char *def = NULL;
    struct cd_err e = { 0 };
    if (cd_state_get(a->s, a->u, "certs.default_preset", &def, &e) == CD_OK && def) load_preset(a, c, def);
    free(def);
    return c;
}

static void close_certs(void *st)
{
    struct certs *c = st;
    table_free(&c->t);
    cd_group_list_free(&c->groups);
    cd_tag_list_free(&c->tags);
    free(c->collapsed);
    free(c->tag_on);
    free(c->subtree);
    free(c);
}

static int panel_shown(struct app *a, struct certs *c)
{
    return c->panel == 1 || (c->panel == -1 && a->cols >= 110);
}

static void draw_panel(struct app *a, struct certs *c, int y, int h)
{
    int n = panel_items(c, -1, &(int){ 0 }, &(size_t){ 0 });
    if (c->panel_cur >= n) c->panel_cur = n - 1;
    if (c->panel_cur < 0) c->panel_cur = 0;
    static const char *const hdr[3] = { " Access groups", " Tags", " Expiry" };
    int row = y, shown = -1;
    /* room for the three headings above the cursor */
    int first = c->panel_cur - (h - 5) > 0 ? c->panel_cur - (h - 5) : 0;
    for (int i = first; i < n && row < y + h; i++) {
        int kind;
        size_t idx;
        panel_items(c, i, &kind, &idx);
        if (kind != shown) {
            shown = kind;
            draw_text(row++, 0, PANEL_W, hdr[kind], theme_attr(C_HEADER));
            if (row >= y + h) break;
        }
        char line[300];
        int sel = i == c->panel_cur && c->panel_focus;
        int attr = sel ? theme_attr(C_PANEL_SEL) : theme_attr(C_PANEL);
        if (kind == 0) {
            struct cd_group *g = &c->groups.rows[idx];
            const char *name = strrchr(g->path, '/');
            int has_kids = idx + 1 < c->groups.n && !strncmp(c->groups.rows[idx + 1].path, g->path, strlen(g->path)) &&
                           c->groups.rows[idx + 1].path[strlen(g->path)] == '/';
            int chosen = (!c->group[0] && idx == 0) || !strcmp(c->group, g->path);
            snprintf(line, sizeof line, "%*s%s%s %s (%lld)", g->depth * 2, "", chosen ? ">" : " ",
                     has_kids ? (c->collapsed[idx] ? "+" : "-") : " ", name ? name + 1 : g->path,
                     (long long)c->subtree[idx]);
        } else if (kind == 1) {
            struct cd_tag *t = &c->tags.rows[idx];
            snprintf(line, sizeof line, " [%c] %s (%lld)", c->tag_on[idx] ? 'x' : ' ', t->name,
                     (long long)t->certs);
        } else {
            int64_t k = idx == STATUS_EXPIRING ? a->nexpiring : a->nexpired;
            char num[24] = "...";          /* counted right after this frame */
            if (k >= 0) snprintf(num, sizeof num, "%lld", (long long)k);
            snprintf(line, sizeof line, " %s %s (%s)", c->status == (int)idx + 1 ? ">" : " ", STATUS_LABEL[idx], num);
        }
        draw_text(row++, 0, PANEL_W, line, attr);
    }
    while (row < y + h) draw_fill(row++, 0, PANEL_W, theme_attr(C_PANEL));
    attrset(theme_attr(C_PANEL));
    mvvline_set(y, PANEL_W, WACS_VLINE, h);
    attrset(A_NORMAL);
}

static void draw_certs(struct app *a, void *st, int y, int h)
{
    struct certs *c = st;
    int x = 0;
    if (panel_shown(a, c)) {
        draw_panel(a, c, y, h);
        x = PANEL_W + 1;
    } else {
        c->panel_focus = 0;
    }
    c->t.focused = !c->panel_focus && !c->fb.editing;
    int w = a->cols - x;
    int used = fbar_draw(&c->fb, y, x, w - 16, w);
    draw_text(y, x + w - 16, 16, c->revoked ? " revoked: shown" : " revoked: hidden", theme_attr(C_NORMAL));
    table_draw(a, &c->t, y + used, x, h - used, w);
    fbar_cursor(&c->fb, y, x);
}

static const char *counts_certs(struct app *a, void *st, char *buf, size_t n)
{
    struct certs *c = st;
    if (c->all < 0) {            /* the unfiltered total, counted once per change */
        struct cd_query q;
        struct cd_err e = { 0 };
        fill_query(c, &q, 0);
        q.group = NULL;
        if (cd_cert_count(a->s, a->u, &q, &c->all, &e)) c->all = 0;
    }
    snprintf(buf, n, "%lld%s / %lld", (long long)c->t.total, c->capped ? "+" : "", (long long)c->all);
    if (c->t.nmarks) {
        size_t l = strlen(buf);
        snprintf(buf + l, n - l, " | %zu marked", c->t.nmarks);
    }
    return buf;
}

/* After a change: the side panel, the table, and the banner with the
 * expiry counts the panel shows too (counted once, by the app). */
static void refresh_all(struct app *a, struct certs *c)
{
    c->all = -1;
    load_side(a, c);
    apply(a, c);
    app_warnings(a);
}

static int edit_filter(struct app *a, struct certs *c, int key)
{
    switch (fbar_key(&c->fb, key)) {
    case FB_CLEAR: apply(a, c); persist(a, c); break;
    case FB_DONE:
        if (fbar_mid_word(c->fb.text)) apply(a, c);      /* Enter applies a short word too */
        if (!c->fb.err[0]) persist(a, c);
        break;
    case FB_EDIT:
        if (fbar_mid_word(c->fb.text)) c->fb.err[0] = 0;
        else apply(a, c);
        break;
    }
    return 1;
}

static int panel_request(struct app *a, struct certs *c, int req)
{
    int kind = 0;
    size_t idx = 0;
    int n = panel_items(c, -1, &kind, &idx);
    switch (req) {
    case REQ_UP: if (c->panel_cur > 0) c->panel_cur--; return 1;
    case REQ_DOWN: if (c->panel_cur + 1 < n) c->panel_cur++; return 1;
    case REQ_HOME: c->panel_cur = 0; return 1;
    case REQ_END: c->panel_cur = n - 1; return 1;
    case REQ_LEFT: case REQ_RIGHT: case REQ_ENTER: case REQ_MARK:
        if (panel_items(c, c->panel_cur, &kind, &idx) <= 0) return 1;
        if (kind == 0 && (req == REQ_LEFT || req == REQ_RIGHT)) {
            c->collapsed[idx] = req == REQ_LEFT;
        } else if (kind == 0) {
            snprintf(c->group, sizeof c->group, "%s", idx == 0 ? "" : c->groups.rows[idx].path);
            c->t.cur = 0;
            apply(a, c);
        } else if (kind == 1) {
            c->tag_on[idx] = !c->tag_on[idx];
            c->t.cur = 0;
            apply(a, c);
        } else if (req != REQ_LEFT && req != REQ_RIGHT) {
            /* chosen again: off */
            c->status = c->status == (int)idx + 1 ? 0 : (int)idx + 1;
            c->t.cur = 0;
            apply(a, c);
        }
        return 1;
    }
    return 0;
}

static int allowed_certs(struct app *a, void *st, int req)
{
    struct certs *c = st;
    const struct cd_cert *cur = req == REQ_NEW ? NULL : table_current(a, &c->t);
    if (!cur && req != REQ_NEW) return 1;
    return app_allowed(a, req, CD_KIND_CERT, cur ? cur->group : NULL, 0);
}

/* The one way to revoke from this screen, for R and ":cert revoke": the
 * right first, then the dialog that asks (and asks again when in use). */
static int revoke(struct app *a, struct certs *c, const int64_t *ids, size_t n, const char *group, const char *reason)
{
    if (!app_allowed(a, REQ_REVOKE, CD_KIND_CERT, group, 1) || !dlg_revoke(a, ids, n, reason)) return 0;
    c->t.nmarks = 0;
    refresh_all(a, c);
    return 1;
}

static int request_certs(struct app *a, void *st, int req, int key)
{
    struct certs *c = st;
    if (c->fb.editing) return edit_filter(a, c, key);
    if (req == REQ_REDRAW) { refresh_all(a, c); return 0; }
    if (c->panel_focus && panel_request(a, c, req)) return 1;
    if (c->capped && (req == REQ_END || ((req == REQ_DOWN || req == REQ_PGDN) &&
                                         c->t.cur + c->t.height >= c->t.total - 1))) {
        c->exact = 1;                /* going past the cap: count it all */
        table_reload(a, &c->t);
    }
    if (table_request(a, &c->t, req)) return 1;
    const struct cd_cert *cur = table_current(a, &c->t);
    size_t n = 0;
    int64_t *ids = NULL;
    switch (req) {
    case REQ_FOCUS: case REQ_FOCUS_BACK:
        if (panel_shown(a, c)) c->panel_focus = !c->panel_focus;
        return 1;
    case REQ_PANEL:
        c->panel = panel_shown(a, c) ? 0 : 1;
        return 1;
    case REQ_FILTER: c->fb.editing = 1; return 1;
    case REQ_ESCAPE:
        if (c->fb.text[0]) { c->fb.text[0] = 0; apply(a, c); }
        else if (c->t.nmarks) { c->t.nmarks = 0; }
        return 1;
    case REQ_REVOKED:
        c->revoked = !c->revoked;
        c->all = -1;
        apply(a, c);
        persist(a, c);
        app_status(a, 0, "revoked certificates %s", c->revoked ? "shown" : "hidden");
        return 1;
    case REQ_MARK:
        if (cur) { table_toggle_mark(&c->t, cur->id); table_request(a, &c->t, REQ_DOWN); }
        return 1;
    case REQ_SORT: case REQ_SORT_REV:
        if (req == REQ_SORT) {
            int i = 0;
            while (i < c->t.ncols && c->t.cols[i].id != c->sort) i++;
            do { i = (i + 1) % c->t.ncols; } while (!c->t.cols[i].visible && c->t.cols[i].id != CD_COL_ID);
            c->sort = c->t.cols[i].id;
            c->desc = 0;
        } else {
            c->desc = !c->desc;
        }
        set_titles(c);
        apply(a, c);
        persist(a, c);
        app_status(a, 0, "sorted by %s, %s", cd_col_title(c->sort), c->desc ? "descending" : "ascending");
        return 1;
    case REQ_WIDER: case REQ_NARROWER:
        for (int i = 0; i < c->t.ncols; i++) {
            if (c->t.cols[i].id != c->sort) continue;
            int w = c->t.cols[i].width + (req == REQ_WIDER ? 2 : -2);
            c->t.cols[i].width = w < 3 ? 3 : w > 120 ? 120 : w;
            app_status(a, 0, "%s: %d columns wide", cd_col_title(c->sort), c->t.cols[i].width);
        }
        persist(a, c);
        return 1;
    case REQ_COLUMNS:
        if (dlg_columns(a, &c->t)) { set_titles(c); persist(a, c); }
        return 1;
    case REQ_PRESETS: {
        char cols[512], sort[80];
        columns_spec(&c->t, cols, sizeof cols);
        sort_spec(c, sort, sizeof sort);
        /* the side panel's tag choice goes into the preset's expression */
        char *name = dlg_presets(a, c->query, cols, sort);
        if (name) load_preset(a, c, name);
        free(name);
        return 1;
    }
    case REQ_ENTER:
        if (cur) {
            int64_t id = cur->id;
            /* a replaced row whose renewal is in use: revoke it as superseded? */
            if (renew_offer_superseded(a, cur, 1)) refresh_all(a, c);
            app_push(a, &scr_details, &id);
        }
        return 1;
    case REQ_RENEW:
        if (cur && app_allowed(a, req, CD_KIND_CERT, cur->group, 1) && (ids = table_targets(a, &c->t, &n))) {
            if (dlg_renew(a, ids, n)) { c->t.nmarks = 0; refresh_all(a, c); }
            free(ids);
        }
        return 1;
    case REQ_CSR: case REQ_SIGNED:
        if (cur && cert_action(a, req, cur->id)) refresh_all(a, c);
        return 1;
    case REQ_NEW:
        if (app_allowed(a, req, CD_KIND_CERT, NULL, 1) && dlg_new_cert(a, c->group)) refresh_all(a, c);
        return 1;
    case REQ_DESCRIBE:
        if (cur && app_allowed(a, req, CD_KIND_CERT, cur->group, 1) &&
            dlg_describe(a, CD_KIND_CERT, cur->id, cur->description))
            refresh_all(a, c);
        return 1;
    case REQ_EXPORT:
        if (cur && app_allowed(a, req, CD_KIND_CERT, cur->group, 1) && (ids = table_targets(a, &c->t, &n))) {
            if (dlg_export(a, ids, n, n == 1 && cur ? cur->cn : "")) c->t.nmarks = 0;
            free(ids);
        }
        return 1;
    case REQ_USAGE:
        if (cur) { int64_t id = -cur->id; app_push(a, &scr_details, &id); }
        return 1;
    case REQ_AUDIT:
        if (cur) { char obj[32]; snprintf(obj, sizeof obj, "cert %lld", (long long)cur->id); app_push(a, &scr_audit, obj); }
        return 1;
    case REQ_REVOKE:
        if (cur && (ids = table_targets(a, &c->t, &n))) {
            revoke(a, c, ids, n, cur->group, NULL);
            free(ids);
        }
        return 1;
    case REQ_TAGS: case REQ_MOVE:
        if (!cur || !app_allowed(a, req, CD_KIND_CERT, cur->group, 1) || !(ids = table_targets(a, &c->t, &n)))
            return 1;
        int done = req == REQ_TAGS ? dlg_tags(a, CD_KIND_CERT, ids, n, n == 1 && cur ? cur->tags : "")
                 : dlg_move(a, CD_KIND_CERT, ids, n, n == 1 && cur ? cur->group : "");
        free(ids);
        if (done) { c->t.nmarks = 0; refresh_all(a, c); }
        return 1;
    }
    return 0;
}

/* ":" commands that act on certificates, tags, groups and presets. */
int certs_command(struct app *a, int argc, char **argv)
{
    struct certs *c = a->stack[0].st;
    struct cd_err e = { 0 };
    int rc = -1;
    int64_t id = 0;
#define IS(x, y) (!strcmp(argv[0], x) && argc > 1 && !strcmp(argv[1], y))
    if (!strcmp(argv[0], "filter")) {
        char expr[256] = "";
        for (int i = 1; i < argc; i++) {
            size_t l = strlen(expr);
            snprintf(expr + l, sizeof expr - l, "%s%s", i > 1 ? " " : "", argv[i]);
        }
        certs_set_filter(a, expr);
        persist(a, c);
        return 0;
    }
    if (IS("preset", "load") && argc == 3) return load_preset(a, c, argv[2]);
    if (IS("preset", "save") && argc >= 3) {
        if (app_readonly(a)) return 1;
        char cols[512], sort[80];
        columns_spec(&c->t, cols, sizeof cols);
        sort_spec(c, sort, sizeof sort);
        rc = cd_preset_save(a->s, a->u, argv[2], argc > 3 ? argv[3] : c->fb.text, cols, sort, &e);
    } else if (IS("preset", "rm") && argc == 3) {
        rc = app_readonly(a) ? 1 : cd_preset_rm(a->s, a->u, argv[2], &e);
    } else if (IS("cert", "renew") && argc == 2) {          /* every row shown: a filter's worth */
        struct cd_query q;
        fill_query(c, &q, 1);
        if (app_allowed(a, REQ_RENEW, CD_KIND_CERT, NULL, 1) && renew_shown(a, &q)) { c->t.nmarks = 0; refresh_all(a, c); }
        return 0;
    } else if (argc >= 3 && !strcmp(argv[0], "cert") &&
               (rc = cd_resolve(a->s, a->u, CD_KIND_CERT, argv[2], &id, &e)) != 0) {
        /* the id did not resolve: rc and e say why */
    } else if (IS("cert", "revoke") && (argc == 3 || argc == 4)) {
        /* asks like R does: revocation is permanent, and a typo in an ID
         * should not be */
        struct cd_cert cert;
        if ((rc = cd_cert_get(a->s, a->u, id, &cert, &e))) { app_fail(a, rc, &e); return rc; }
        if (!revoke(a, c, &id, 1, cert.group, argc > 3 ? argv[3] : NULL) && !a->status[0])
            app_status(a, 0, "certificate %lld not revoked", (long long)id);
        cd_cert_clear(&cert);
        return 0;
    } else if (IS("cert", "describe") && argc == 4) {
        rc = app_readonly(a) ? 1 : cd_cert_describe(a->s, a->u, id, argv[3], &e);
    } else if (IS("cert", "move") && argc == 4) {
        rc = app_readonly(a) ? 1 : cd_cert_move(a->s, a->u, &id, 1, argv[3], &e);
    } else if ((IS("tag", "add") || IS("tag", "rm")) && argc == 4) {
        rc = cd_resolve(a->s, a->u, CD_KIND_CERT, argv[2], &id, &e);
        if (!rc) rc = app_readonly(a) ? 1 : cd_tag_set(a->s, a->u, CD_KIND_CERT, &id, 1, argv[3], IS("tag", "add"), &e);
    } else if (IS("tag", "create") && argc == 3) {
        rc = app_readonly(a) ? 1 : cd_tag_create(a->s, a->u, argv[2], &e);
    } else if (IS("tag", "delete") && argc == 3) {
        rc = app_readonly(a) ? 1 : cd_tag_delete(a->s, a->u, argv[2], &e);
    } else if (IS("group", "add") && argc == 3) {
        rc = app_readonly(a) ? 1 : cd_group_add(a->s, a->u, argv[2], &e);
    } else if (IS("group", "rm") && argc == 3) {
        rc = app_readonly(a) ? 1 : cd_group_rm(a->s, a->u, argv[2], &e);
    } else {
        app_status(a, 1, "unknown command \"%s\" (? lists the keys; commands: filter, preset load|save|rm, "
                   "cert renew|revoke|describe|move, tag add|rm|create|delete, group add|rm, quit)", argv[0]);
        return -1;
    }
#undef IS
    if (rc > 0 && rc != CD_E_NOTFOUND && !e.msg[0] && a->status_err) return rc;   /* already said */
    if (rc) { app_fail(a, rc, &e); return rc; }
    app_status(a, 0, "done: %s %s", argv[0], argc > 1 ? argv[1] : "");
    refresh_all(a, c);
    return 0;
}

static const int keybar_certs[] = { REQ_HELP, REQ_NEW, REQ_USAGE, REQ_TAGS, REQ_DESCRIBE, REQ_AUDIT, REQ_EXPORT,
                                    REQ_REVOKE, REQ_MOVE, REQ_QUIT, REQ_FILTER, REQ_REVOKED, REQ_CAS, REQ_RENEW, REQ_NONE };

const struct scr_ops scr_certs = {
    "Peer certificates", open_certs, draw_certs, request_certs, close_certs, keybar_certs, counts_certs,
    allowed_certs,
};
