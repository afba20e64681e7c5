/* certdeck console — the one filter bar (certificates and CA screens): the
 * expression edited in place and applied as it is typed, and an invalid one
 * shown with a caret under its column.  What "applying" means is the
 * screen's: the bar only edits the text and says when it changed. */
#include <curses.h>
#include <stdio.h>
#include <string.h>
#include "tui.h"

/* 1 when the filter ends in a bare word of one or two characters: the
 * person is mid-word, and a substring that short has no index to use, so
 * the live filter waits for the third letter (Enter applies it anyway). */
int fbar_mid_word(const char *f)
{
    size_t n = strlen(f), k = 0;
    while (k < n && (f[n - k - 1] == '-' || f[n - k - 1] == '.' || f[n - k - 1] == '_' ||
                     (unsigned char)f[n - k - 1] >= 0x80 || (f[n - k - 1] >= '0' && f[n - k - 1] <= '9') ||
                     ((f[n - k - 1] | 32) >= 'a' && (f[n - k - 1] | 32) <= 'z')))
        k++;
    if (k == 0 || k > 2) return 0;
    char before = k < n ? f[n - k - 1] : ' ';
    return before == ' ' || before == '(' || before == '!';
}

int fbar_key(struct fbar *b, int key)
{
    size_t n = strlen(b->text);
    if (key == 27) { b->text[0] = 0; b->editing = 0; return FB_CLEAR; }
    if (key == '\n' || key == '\r' || key == KEY_ENTER || key == '\t' || key == KEY_DOWN) {
        b->editing = 0;
        return FB_DONE;
    }
    if (key == KEY_BACKSPACE || key == 127 || key == 8) {
        while (n && ((unsigned char)b->text[n - 1] & 0xc0) == 0x80) n--;
        if (n) n--;
        b->text[n] = 0;
    } else if (key == 21 /* ^U */) {
        b->text[0] = 0;
    } else if (key >= 32 && key < 256 && n + 1 < sizeof b->text) {
        b->text[n] = (char)key;
        b->text[n + 1] = 0;
        /* wait for the rest of a UTF-8 sequence before filtering */
        if (key >= 0xc0) return FB_NONE;
    } else {
        return FB_NONE;
    }
    return FB_EDIT;
}

void fbar_fail(struct fbar *b, const struct cd_err *e)
{
    snprintf(b->err, sizeof b->err, "%s", e->msg[0] ? e->msg : "invalid filter");
    b->pos = e->pos;
}

int fbar_draw(const struct fbar *b, int y, int x, int w, int errw)
{
    char bar[600];
    snprintf(bar, sizeof bar, "Filter: %s%s", b->text, b->editing ? "_" : b->text[0] ? "" : "(press / to filter)");
    draw_text(y, x, w, bar, b->editing ? theme_attr(C_FIELD) : theme_attr(C_NORMAL));
    int used = 1;
    if (b->err[0]) {
        char caret[900];
        int col = (int)b->pos + 7;
        snprintf(caret, sizeof caret, "%*s^ %s", col > 0 ? col : 0, "", b->err);
        draw_text(y + 1, x, errw, caret, theme_attr(C_ERROR));
        used = 2;
    }
    return used;
}

void fbar_cursor(const struct fbar *b, int y, int x)
{
    if (b->editing) {
        curs_set(1);
        move(y, x + 8 + (int)cd_display_width(b->text));
    } else {
        curs_set(0);
    }
}
