/* certdeck console — the one form widget: every dialog is a list of fields
 * (text, masked secret, choice, check list, label) drawn in a centred box
 * over the current screen.  Tab / Shift-Tab / Up / Down move between fields,
 * Left / Right / Space change a choice, Space ticks a check, Enter submits,
 * Esc cancels.  A submit callback that fails keeps the dialog open with its
 * message, so a wrong passphrase can be typed again. */
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include "tui.h"

#define CHECK_ROWS 8

static int nchoices(const struct field *f)
{
    int n = 0;
    while (f->choices && f->choices[n]) n++;
    return n;
}

static int field_rows(const struct field *f)
{
    if (f->type != F_CHECKS) return 1;
    int n = nchoices(f);
    return n < CHECK_ROWS ? (n ? n : 1) : CHECK_ROWS;
}

static void box_at(int y, int x, int h, int w, int attr)
{
    attrset(attr);
    for (int r = 0; r < h; r++) mvhline(y + r, x, ' ', w);
    /* the wide-character forms draw real box characters in a UTF-8 locale */
    mvhline_set(y, x + 1, WACS_HLINE, w - 2);
    mvhline_set(y + h - 1, x + 1, WACS_HLINE, w - 2);
    mvvline_set(y + 1, x, WACS_VLINE, h - 2);
    mvvline_set(y + 1, x + w - 1, WACS_VLINE, h - 2);
    mvadd_wch(y, x, WACS_ULCORNER);
    mvadd_wch(y, x + w - 1, WACS_URCORNER);
    mvadd_wch(y + h - 1, x, WACS_LLCORNER);
    mvadd_wch(y + h - 1, x + w - 1, WACS_LRCORNER);
    attrset(A_NORMAL);
}

void form_busy(struct app *a, const char *what)
{
    int w = (int)cd_display_width(what) + 6;
    if (w > a->cols) w = a->cols;
    int y = a->rows / 2 - 1, x = (a->cols - w) / 2;
    box_at(y, x, 3, w, theme_attr(C_DIALOG) | A_BOLD);
    draw_text(y + 1, x + 2, w - 4, what, theme_attr(C_DIALOG) | A_BOLD);
    refresh();
}

void form_progress(void *ctx, size_t done, size_t total)
{
    const struct form_progress *p = ctx;
    char msg[120];
    snprintf(msg, sizeof msg, "%s %zu of %zu...", p->verb, done, total);
    form_busy(p->a, msg);
}

/* *top: the first field shown.  A form taller than the terminal scrolls so
 * the focused field is always whole on screen, with "more" on the border
 * on the side where fields are hidden. */
static void draw_form(struct app *a, struct form *fm, int focus, int sub, int *top)
{
    app_redraw(a);
    int w = a->cols - 4 < 76 ? a->cols - 4 : 76;
    int h = 4 + (fm->note ? 1 : 0) + 2;
    for (int i = 0; i < fm->n; i++) h += field_rows(&fm->f[i]);
    if (h > a->rows - 2) h = a->rows - 2;
    int y = (a->rows - h) / 2, x = (a->cols - w) / 2;
    int dia = theme_attr(C_DIALOG);
    box_at(y, x, h, w, dia);
    draw_text(y, x + 2, (int)cd_display_width(fm->title) + 2 < w - 4 ? (int)cd_display_width(fm->title) + 2 : w - 4,
              fm->title, dia | A_BOLD);
    int yy = y + 1, lw = 0;
    for (int i = 0; i < fm->n; i++) {
        int l = (int)cd_display_width(fm->f[i].label);
        if (l > lw) lw = l;
    }
    if (lw > w / 3) lw = w / 3;
    if (fm->note) draw_text(yy++, x + 2, w - 4, fm->note, dia | A_BOLD);
    int cx = -1, cy = -1, bottom = y + h - 3;
    if (*top > focus) *top = focus;
    for (;;) {
        int used = 0;
        for (int i = *top; i <= focus && i < fm->n; i++) used += field_rows(&fm->f[i]);
        if (used <= bottom - yy || *top >= focus) break;
        (*top)++;
    }
    if (*top < 0) *top = 0;
    int i = *top;
    for (; i < fm->n && yy < bottom; i++) {
        struct field *f = &fm->f[i];
        int foc = i == focus, vx = x + 3 + lw, vw = w - lw - 5;
        draw_text(yy, x + 2, lw, f->label, dia | (foc ? A_BOLD : 0));
        int fa = foc ? theme_attr(C_CURSOR) : theme_attr(C_FIELD);
        char buf[300];
        switch (f->type) {
        case F_LABEL:
            draw_text(yy, vx, vw, f->value, dia);
            break;
        case F_TEXT:
        case F_SECRET:
            if (f->type == F_SECRET) {
                size_t n = 0;
                for (const char *p = f->value; *p; p++) if (((unsigned char)*p & 0xc0) != 0x80) n++;
                memset(buf, '*', n < sizeof buf - 1 ? n : sizeof buf - 1);
                buf[n < sizeof buf - 1 ? n : sizeof buf - 1] = 0;
            } else {
                snprintf(buf, sizeof buf, "%s", f->value);
            }
            draw_text(yy, vx, vw, buf, fa);
            if (foc) { cy = yy; cx = vx + (int)cd_display_width(buf); if (cx >= vx + vw) cx = vx + vw - 1; }
            break;
        case F_CHOICE:
            snprintf(buf, sizeof buf, "< %s >", nchoices(f) ? f->choices[f->choice] : "");
            draw_text(yy, vx, vw, buf, fa);
            break;
        case F_CHECKS: {
            int n = nchoices(f), rows = field_rows(f);
            if (rows > bottom - yy) rows = bottom - yy;       /* cut by the bottom of the box */
            if (!n) draw_text(yy, vx, vw, "(none)", dia);
            for (int k = 0; k < rows && f->top + k < n; k++) {
                int idx = f->top + k;
                snprintf(buf, sizeof buf, "[%c] %s", f->checked && f->checked[idx] ? 'x' : ' ', f->choices[idx]);
                draw_text(yy + k, vx, vw, buf, foc && idx == sub ? theme_attr(C_CURSOR) : theme_attr(C_FIELD));
            }
            yy += rows - 1;
            break;
        }
        }
        yy++;
    }
    if (*top > 0) draw_text(y, x + w - 16, 14, " ^ more above ", dia | A_BOLD);
    if (i < fm->n) draw_text(y + h - 1, x + w - 16, 14, " v more below ", dia | A_BOLD);
    if (fm->err[0]) draw_text(y + h - 3, x + 2, w - 4, fm->err, theme_attr(C_ERROR));
    char buttons[80];
    snprintf(buttons, sizeof buttons, "Enter: %s   Esc: Cancel   Tab: next field", fm->ok ? fm->ok : "OK");
    draw_text(y + h - 2, x + 2, w - 4, buttons, dia);
    if (cx >= 0) { curs_set(1); move(cy, cx); } else curs_set(0);
    refresh();
}

static void backspace(char *s)
{
    size_t n = strlen(s);
    while (n && ((unsigned char)s[n - 1] & 0xc0) == 0x80) n--;   /* continuation bytes */
    if (n) n--;
    s[n] = 0;
}

int form_fail(struct form *fm, int rc, const struct cd_err *e)
{
    snprintf(fm->err, sizeof fm->err, "%s", cd_errmsg(e, rc));
    return 1;
}

int list_has(const char *csv, const char *name)
{
    size_t l = strlen(name);
    for (const char *p = csv; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (n == l && !strncmp(p, name, l)) return 1;
        p = comma ? comma + 1 : NULL;
    }
    return 0;
}

int form_run(struct app *a, struct form *fm)
{
    int focus = 0, sub = 0, top = 0;
    while (focus < fm->n && fm->f[focus].type == F_LABEL) focus++;
    fm->err[0] = 0;
    for (;;) {
        draw_form(a, fm, focus, sub, &top);
        int ch = app_getch();
        if (ch == APP_STOP) { curs_set(0); return 0; }       /* a signal, or the terminal is gone */
        if (ch == ERR || ch == KEY_RESIZE) continue;
        struct field *f = focus < fm->n ? &fm->f[focus] : NULL;
        if (ch == 27) { curs_set(0); return 0; }
        if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
            fm->err[0] = 0;
            if (!fm->submit || fm->submit(a, fm, fm->ctx) == 0) { curs_set(0); return 1; }
            continue;
        }
        int move_by = 0, was = f ? f->choice : 0;
        if (ch == '\t') move_by = 1;
        else if (ch == KEY_BTAB) move_by = -1;
        else if (ch == KEY_DOWN) {
            if (f && f->type == F_CHECKS && sub + 1 < nchoices(f)) {
                sub++;
                if (sub >= f->top + CHECK_ROWS) f->top++;
            } else move_by = 1;
        } else if (ch == KEY_UP) {
            if (f && f->type == F_CHECKS && sub > 0) {
                sub--;
                if (sub < f->top) f->top--;
            } else move_by = -1;
        } else if (f && f->type == F_CHOICE && (ch == KEY_RIGHT || ch == ' ')) {
            int n = nchoices(f);
            if (n) f->choice = (f->choice + 1) % n;
        } else if (f && f->type == F_CHOICE && ch == KEY_LEFT) {
            int n = nchoices(f);
            if (n) f->choice = (f->choice + n - 1) % n;
        } else if (f && f->type == F_CHECKS && ch == ' ') {
            if (sub < nchoices(f) && f->checked) f->checked[sub] = !f->checked[sub];
        } else if (f && (f->type == F_TEXT || f->type == F_SECRET)) {
            size_t was_len = strlen(f->value);
            int edited = 1;
            if (ch == KEY_BACKSPACE || ch == 127 || ch == 8) backspace(f->value);
            else if (ch == 21 /* ^U */) f->value[0] = 0;
            else if (ch >= 32 && ch < 256 && was_len + 1 < sizeof f->value) {
                f->value[was_len] = (char)ch;
                f->value[was_len + 1] = 0;
            } else edited = 0;
            if (edited && f->changed) f->changed(fm, focus, fm->ctx);
        }
        if (f && f->type == F_CHOICE && f->choice != was && f->changed) f->changed(fm, focus, fm->ctx);
        if (move_by) {
            int i = focus;
            do { i = (i + move_by + fm->n) % fm->n; } while (fm->f[i].type == F_LABEL && i != focus);
            focus = i;
            sub = 0;
        }
    }
}
