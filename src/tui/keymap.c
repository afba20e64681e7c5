/* certdeck console — the default key bindings: one table.  The help screen
 * and the key bar are generated from it and from the request list. */
#include <curses.h>
#include <stdio.h>
#include "tui.h"

static const struct { int key; int req; } bindings[] = {
    { KEY_UP, REQ_UP }, { 'k', REQ_UP }, { KEY_DOWN, REQ_DOWN }, { 'j', REQ_DOWN },
    { KEY_PPAGE, REQ_PGUP }, { KEY_NPAGE, REQ_PGDN }, { 'g', REQ_HOME }, { KEY_HOME, REQ_HOME },
    { 'G', REQ_END }, { KEY_END, REQ_END }, { KEY_LEFT, REQ_LEFT }, { 'h', REQ_LEFT },
    { KEY_RIGHT, REQ_RIGHT }, { 'l', REQ_RIGHT }, { '\t', REQ_FOCUS }, { KEY_BTAB, REQ_FOCUS_BACK },
    { '\n', REQ_ENTER }, { '\r', REQ_ENTER }, { KEY_ENTER, REQ_ENTER }, { '/', REQ_FILTER },
    { 27, REQ_ESCAPE }, { '?', REQ_HELP }, { KEY_F(1), REQ_HELP }, { ':', REQ_COMMAND },
    { 'r', REQ_REVOKED }, { ' ', REQ_MARK }, { 'n', REQ_NEW }, { KEY_F(2), REQ_NEW },
    { 'u', REQ_USAGE }, { KEY_F(3), REQ_USAGE }, { 't', REQ_TAGS }, { KEY_F(4), REQ_TAGS },
    { 'e', REQ_DESCRIBE }, { KEY_F(5), REQ_DESCRIBE }, { 'a', REQ_AUDIT }, { KEY_F(6), REQ_AUDIT },
    { 'A', REQ_AUDIT_ALL }, { 'x', REQ_EXPORT }, { KEY_F(7), REQ_EXPORT }, { 'R', REQ_REVOKE },
    { KEY_F(8), REQ_REVOKE }, { 'm', REQ_MOVE }, { KEY_F(9), REQ_MOVE }, { 'c', REQ_CAS },
    { 'p', REQ_CERTS }, { 's', REQ_SORT }, { 'S', REQ_SORT_REV }, { 'i', REQ_IMPORT },
    { 'D', REQ_DELETE }, { 'L', REQ_CRL }, { 'b', REQ_PANEL }, { 'C', REQ_COLUMNS }, { 'P', REQ_PRESETS }, { '+', REQ_WIDER },
    { '-', REQ_NARROWER }, { 'U', REQ_USERS }, { 'd', REQ_DISABLE }, { 'w', REQ_PASSWORD }, { 'o', REQ_GRANT },
    { 'O', REQ_PERMSETS }, { 'V', REQ_SERVER }, { 'N', REQ_RENEW }, { 'W', REQ_CSR }, { 'I', REQ_SIGNED }, { 12 /* ^L */, REQ_REDRAW }, { 'q', REQ_QUIT },
    { KEY_F(10), REQ_QUIT },
};
#define NB (sizeof bindings / sizeof bindings[0])

static const char *const names[] = {
#define REQ_X(e, n, h) n,
    REQ_LIST(REQ_X)
#undef REQ_X
};
static const char *const helps[] = {
#define REQ_X(e, n, h) h,
    REQ_LIST(REQ_X)
#undef REQ_X
};

int keymap_lookup(int key)
{
    for (size_t i = 0; i < NB; i++)
        if (bindings[i].key == key) return bindings[i].req;
    return REQ_NONE;
}

const char *req_name(int req) { return req >= 0 && req < REQ_COUNT ? names[req] : ""; }
const char *req_help(int req) { return req >= 0 && req < REQ_COUNT ? helps[req] : ""; }

static const char *keyname_of(int key, char *buf, size_t n)
{
    if (key >= KEY_F(1) && key <= KEY_F(12)) snprintf(buf, n, "F%d", key - KEY_F(0));
    else if (key == KEY_UP) snprintf(buf, n, "Up");
    else if (key == KEY_DOWN) snprintf(buf, n, "Down");
    else if (key == KEY_LEFT) snprintf(buf, n, "Left");
    else if (key == KEY_RIGHT) snprintf(buf, n, "Right");
    else if (key == KEY_PPAGE) snprintf(buf, n, "PgUp");
    else if (key == KEY_NPAGE) snprintf(buf, n, "PgDn");
    else if (key == KEY_HOME) snprintf(buf, n, "Home");
    else if (key == KEY_END) snprintf(buf, n, "End");
    else if (key == KEY_BTAB) snprintf(buf, n, "S-Tab");
    else if (key == KEY_ENTER || key == '\n' || key == '\r') snprintf(buf, n, "Enter");
    else if (key == '\t') snprintf(buf, n, "Tab");
    else if (key == 27) snprintf(buf, n, "Esc");
    else if (key == ' ') snprintf(buf, n, "Space");
    else if (key < 32) snprintf(buf, n, "^%c", key + 64);
    else snprintf(buf, n, "%c", key);
    return buf;
}

/* The F-key when there is one (for the key bar), else the first key. */
const char *key_label(int req, char *buf, size_t n)
{
    int first = -1;
    for (size_t i = 0; i < NB; i++) {
        if (bindings[i].req != req) continue;
        if (bindings[i].key >= KEY_F(1) && bindings[i].key <= KEY_F(12)) return keyname_of(bindings[i].key, buf, n);
        if (first < 0) first = bindings[i].key;
    }
    if (first < 0) { snprintf(buf, n, "-"); return buf; }
    return keyname_of(first, buf, n);
}

/* The first letter bound, for a hint in prose ("R revokes ..."); else key_label. */
const char *key_hint(int req, char *buf, size_t n)
{
    for (size_t i = 0; i < NB; i++)
        if (bindings[i].req == req && bindings[i].key > 32 && bindings[i].key < 127) return keyname_of(bindings[i].key, buf, n);
    return key_label(req, buf, n);
}

int keymap_at(size_t i, int *key, int *req)
{
    if (i >= NB) return 0;
    *key = bindings[i].key;
    *req = bindings[i].req;
    return 1;
}

/* Used by the help screen. */
const char *keymap_keyname(int key, char *buf, size_t n) { return keyname_of(key, buf, n); }
