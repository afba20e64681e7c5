/* certdeck console — the one table widget every list screen uses.
 *
 * Virtual: it knows the row count and asks its source for the visible page
 * only, so a million certificates scroll like a hundred.  Columns have a
 * width and can be hidden; marks are kept by row id, so they survive
 * re-sorting and refiltering. */
#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

void table_init(struct table *t, const struct table_src *src, void *ctx)
{
    memset(t, 0, sizeof *t);
    t->src = src;
    t->ctx = ctx;
    t->focused = 1;
}

static void drop_page(struct table *t)
{
    if (t->page) t->src->free_rows(t->page, t->npage);
    t->page = NULL;
    t->npage = 0;
}

static int fetch(struct app *a, struct table *t)
{
    struct cd_err e = { 0 };
    void *rows = NULL;
    size_t n = 0;
    int lim = t->height > 0 ? t->height : 50;
    /* past the middle, OFFSET from the far end: the store skips rows one by
     * one, so the last page of a million is as quick as the first */
    int64_t off = t->top;
    int rev = t->src->can_reverse && t->total > 2 * (int64_t)lim && off > t->total / 2;
    if (rev) {
        off = t->total - t->top - lim;
        if (off < 0) { lim += (int)off; off = 0; }
    }
    int rc = t->src->fetch(a, t->ctx, off, lim, rev, &rows, &n, &e);
    if (rc) { app_fail(a, rc, &e); return rc; }
    if (rev) {
        unsigned char *p = rows;
        size_t sz = t->src->elsz;
        for (size_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--)
            for (size_t k = 0; k < sz; k++) {
                unsigned char b = p[i * sz + k];
                p[i * sz + k] = p[j * sz + k];
                p[j * sz + k] = b;
            }
    }
    drop_page(t);
    t->page = rows;
    t->npage = n;
    t->page_off = t->top;
    return 0;
}

static void clamp(struct table *t)
{
    if (t->cur >= t->total) t->cur = t->total - 1;
    if (t->cur < 0) t->cur = 0;
    int h = t->height > 0 ? t->height : 1;
    if (t->top > t->cur) t->top = t->cur;
    if (t->cur >= t->top + h) t->top = t->cur - h + 1;
    if (t->top > t->total - h) t->top = t->total - h;
    if (t->top < 0) t->top = 0;
}

void table_columns(struct table *t, const struct tcol_def *d, size_t n)
{
    for (size_t i = 0; i < n && t->ncols < (int)(sizeof t->cols / sizeof t->cols[0]); i++)
        t->cols[t->ncols++] = (struct tcol){ d[i].id, d[i].title, d[i].width, 1 };
}

void table_window(void *base, size_t n, size_t elsz, int64_t off, int limit, void **rows, size_t *nrows)
{
    size_t o = off < 0 ? 0 : (size_t)off;
    *rows = o < n ? (char *)base + o * elsz : NULL;
    *nrows = o < n ? (n - o < (size_t)limit ? n - o : (size_t)limit) : 0;
}

void table_borrowed_free(void *rows, size_t n) { (void)rows; (void)n; }

int table_reload(struct app *a, struct table *t)
{
    struct cd_err e = { 0 };
    int64_t total = 0;
    /* at the top, a short first page is the whole answer: no count needed */
    int fetched = 0;
    if (t->top == 0 && t->height > 0 && !t->src->count_first) {
        if (fetch(a, t)) return -1;
        fetched = 1;
        if (t->npage < (size_t)t->height) {
            t->total = (int64_t)t->npage;
            clamp(t);
            return 0;
        }
    }
    int rc = t->src->count(a, t->ctx, &total, &e);
    if (rc) { app_fail(a, rc, &e); return rc; }
    t->total = total;
    clamp(t);
    /* the full first page fetched above is still the page to show */
    if (fetched && t->top == 0) return 0;
    return fetch(a, t);
}

const void *table_current(struct app *a, struct table *t)
{
    if (t->total == 0) return NULL;
    if (t->cur < t->page_off || t->cur >= t->page_off + (int64_t)t->npage) {
        clamp(t);
        if (fetch(a, t)) return NULL;
    }
    int64_t i = t->cur - t->page_off;
    if (i < 0 || i >= (int64_t)t->npage) return NULL;
    return (const char *)t->page + (size_t)i * t->src->elsz;
}

int table_marked(const struct table *t, int64_t id)
{
    for (size_t i = 0; i < t->nmarks; i++) if (t->marks[i] == id) return 1;
    return 0;
}

void table_toggle_mark(struct table *t, int64_t id)
{
    for (size_t i = 0; i < t->nmarks; i++)
        if (t->marks[i] == id) { t->marks[i] = t->marks[--t->nmarks]; return; }
    if (t->nmarks == t->capmarks) {
        size_t cap = t->capmarks ? t->capmarks * 2 : 64;
        int64_t *p = realloc(t->marks, cap * sizeof *p);
        if (!p) return;
        t->marks = p;
        t->capmarks = cap;
    }
    t->marks[t->nmarks++] = id;
}

int64_t *table_targets(struct app *a, struct table *t, size_t *n)
{
    *n = 0;
    if (t->nmarks) {
        int64_t *ids = malloc(t->nmarks * sizeof *ids);
        if (!ids) return NULL;
        memcpy(ids, t->marks, t->nmarks * sizeof *ids);
        *n = t->nmarks;
        return ids;
    }
    const void *row = table_current(a, t);
    if (!row) return NULL;
    int64_t *ids = malloc(sizeof *ids);
    if (!ids) return NULL;
    ids[0] = t->src->id(row);
    *n = 1;
    return ids;
}

int table_request(struct app *a, struct table *t, int req)
{
    int64_t old_top = t->top;
    int h = t->height > 0 ? t->height : 1;
    switch (req) {
    case REQ_UP: t->cur--; break;
    case REQ_DOWN: t->cur++; break;
    case REQ_PGUP: t->cur -= h; t->top -= h; break;
    case REQ_PGDN: t->cur += h; t->top += h; break;
    case REQ_HOME: t->cur = 0; break;
    case REQ_END: t->cur = t->total - 1; break;
    case REQ_LEFT: if (t->hscroll) t->hscroll--; return 1;
    case REQ_RIGHT: if (t->hscroll < t->ncols - 1) t->hscroll++; return 1;
    default: return 0;
    }
    clamp(t);
    if (t->top != old_top || t->cur < t->page_off || t->cur >= t->page_off + (int64_t)t->npage) fetch(a, t);
    return 1;
}

void table_draw(struct app *a, struct table *t, int y, int x, int h, int w)
{
    int rows = h - 1;
    if (rows < 1) return;
    if (rows != t->height) {
        t->height = rows;
        clamp(t);
        fetch(a, t);
    }
    /* header */
    draw_fill(y, x, w, theme_attr(C_HEADER));
    int cx = x;
    for (int c = t->hscroll; c < t->ncols && cx < x + w; c++) {
        if (!t->cols[c].visible) continue;
        int cw = t->cols[c].width;
        if (cx + cw > x + w) cw = x + w - cx;
        draw_text(y, cx, cw, t->cols[c].title, theme_attr(C_HEADER));
        cx += cw + 1;
    }
    for (int r = 0; r < rows; r++) {
        int64_t i = t->top + r - t->page_off;
        int yy = y + 1 + r;
        if (i < 0 || i >= (int64_t)t->npage) { draw_fill(yy, x, w, theme_attr(C_NORMAL)); continue; }
        const void *row = (const char *)t->page + (size_t)i * t->src->elsz;
        int cur = t->top + r == t->cur;
        int marked = t->nmarks && table_marked(t, t->src->id(row));
        int base = cur && t->focused ? theme_attr(C_CURSOR) : marked ? theme_attr(C_MARKED) : theme_attr(C_NORMAL);
        draw_fill(yy, x, w, base);
        cx = x;
        for (int c = t->hscroll; c < t->ncols && cx < x + w; c++) {
            if (!t->cols[c].visible) continue;
            int cw = t->cols[c].width;
            if (cx + cw > x + w) cw = x + w - cx;
            char buf[128];
            const char *v = t->src->cell(row, t->cols[c].id, buf, sizeof buf);
            int attr = base;
            if (!(cur && t->focused) && t->src->attr) {
                int ca = t->src->attr(row, t->cols[c].id);
                if (ca) attr = ca | (marked ? A_BOLD : 0);
            }
            if (c == t->hscroll && marked) {
                draw_text(yy, cx, 1, "*", attr | A_BOLD);
                draw_text(yy, cx + 1, cw - 1, v, attr);
            } else {
                draw_text(yy, cx, cw, v, attr);
            }
            cx += cw + 1;
        }
    }
}

void table_free(struct table *t)
{
    drop_page(t);
    free(t->marks);
    t->marks = NULL;
    t->nmarks = t->capmarks = 0;
}
