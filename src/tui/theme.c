/* certdeck console — colour themes: plain text files the user can copy and
 * edit (doc/certdeck-theme.5).  One line a slot: "slot fg bg [bold|reverse|underline]"
 * with the eight curses colour names or "default".  NO_COLOR or a terminal
 * without colours gives monochrome attributes. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include "tui.h"

static const char *const slot_names[C_COUNT] = {
    "normal", "header", "cursor", "marked", "top", "keybar", "key", "error", "ok", "panel",
    "panel-selected", "dialog", "field", "warning", "valid", "expiring", "expired", "revoked", "notyet",
};

/* monochrome: what each slot looks like without colour */
static const int mono[C_COUNT] = {  /* attr_t values fit an int */
    A_NORMAL, A_BOLD | A_UNDERLINE, A_REVERSE, A_BOLD, A_REVERSE, A_REVERSE, A_BOLD, A_BOLD, A_NORMAL,
    A_NORMAL, A_REVERSE, A_NORMAL, A_UNDERLINE, A_BOLD, A_NORMAL, A_BOLD, A_DIM, A_DIM, A_DIM,
};

static int attrs[C_COUNT];


static int colour(const char *s)
{
    static const char *const n[] = { "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white" };
    for (int i = 0; i < 8; i++) if (!strcasecmp(s, n[i])) return i;
    return -1;   /* default */
}

int theme_attr(int slot) { return slot >= 0 && slot < C_COUNT ? attrs[slot] : (int)A_NORMAL; }

static int parse_line(char *line, int lineno, int *pair, char *err, size_t errsz)
{
    char *save = NULL, *name = strtok_r(line, " \t\r\n", &save);
    if (!name || name[0] == '#') return 0;
    int slot = -1;
    for (int i = 0; i < C_COUNT; i++) if (!strcasecmp(name, slot_names[i])) slot = i;
    char *fg = strtok_r(NULL, " \t\r\n", &save), *bg = strtok_r(NULL, " \t\r\n", &save);
    if (slot < 0 || !fg || !bg) {
        snprintf(err, errsz, "line %d: expected \"slot fg bg [bold|reverse|underline|dim]\"", lineno);
        return -1;
    }
    int a = 0;
    for (char *w; (w = strtok_r(NULL, " \t\r\n", &save));) {
        if (!strcasecmp(w, "bold")) a |= A_BOLD;
        else if (!strcasecmp(w, "reverse")) a |= A_REVERSE;
        else if (!strcasecmp(w, "underline")) a |= A_UNDERLINE;
        else if (!strcasecmp(w, "dim")) a |= A_DIM;
        else { snprintf(err, errsz, "line %d: unknown attribute \"%.40s\"", lineno, w); return -1; }
    }
    if (has_colors() && !getenv("NO_COLOR")) {
        init_pair((short)*pair, (short)colour(fg), (short)colour(bg));
        attrs[slot] = COLOR_PAIR(*pair) | a;
        (*pair)++;
    } else {
        attrs[slot] = mono[slot];
    }
    return 0;
}

/* The themes folder of an installed binary, PREFIX/bin/certdeck ->
 * PREFIX/share/certdeck/themes, so `make install PREFIX=...` works whatever
 * PREFIX the objects were compiled with; and the source tree's themes/ beside
 * build/.  Empty strings when /proc/self/exe cannot be read. */
static void exe_theme_dirs(char *inst, char *src, size_t n)
{
    char exe[300];
    inst[0] = src[0] = 0;
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0) return;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (!slash) return;
    *slash = 0;                                    /* PREFIX/bin */
    snprintf(inst, n, "%s/../share/certdeck/themes", exe);
    snprintf(src, n, "%s/../themes", exe);
}

/* A theme is a small regular file: a device (/dev/zero would be read
 * forever) or a fifo (would block the start) is not opened as one. */
static FILE *open_theme_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) return NULL;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > 65536) { close(fd); return NULL; }
    FILE *f = fdopen(fd, "r");
    if (!f) close(fd);
    return f;
}

/* Looks for NAME as a path, then in $XDG_CONFIG_HOME/certdeck/themes (or
 * ~/.config), then beside the binary, in the compiled-in folder and in
 * ./themes. */
static FILE *open_theme(const char *name)
{
    if (strchr(name, '/')) return open_theme_file(name);
    char p[512];
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char d0[400] = "", d1[400] = "", d2[400], d3[400];
    exe_theme_dirs(d2, d3, sizeof d2);
    const char *dirs[] = { d0, d1, d2, CERTDECK_THEMEDIR, d3, "themes" };
    if (xdg && *xdg) snprintf(d0, sizeof d0, "%s/certdeck/themes", xdg);
    if (home && *home) snprintf(d1, sizeof d1, "%s/.config/certdeck/themes", home);
    for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++) {
        if (!*dirs[i]) continue;
        snprintf(p, sizeof p, "%s/%s.theme", dirs[i], name);
        FILE *f = open_theme_file(p);
        if (f) return f;
    }
    return NULL;
}

int theme_load(const char *name, char *err, size_t errsz)
{
    for (int i = 0; i < C_COUNT; i++) attrs[i] = mono[i];
    if (!has_colors() || getenv("NO_COLOR")) return 0;
    start_color();
    use_default_colors();
    /* built-in default, so the console works without any theme file */
    static const char *const builtin[] = {
        "normal default default", "header white blue bold", "cursor black cyan", "marked yellow default bold",
        "top black cyan", "keybar black cyan", "key white black bold", "error white red bold",
        "ok green default", "panel default default", "panel-selected black cyan", "dialog default default",
        "field white blue", "warning black yellow", "valid green default", "expiring yellow default bold",
        "expired red default bold", "revoked magenta default", "notyet cyan default",
    };
    int pair = 1, lineno = 0;
    for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++) {
        char l[80];
        snprintf(l, sizeof l, "%s", builtin[i]);
        parse_line(l, 0, &pair, err, errsz);
    }
    if (!name || !*name || !strcmp(name, "default")) return 0;
    FILE *f = open_theme(name);
    if (!f) { snprintf(err, errsz, "no theme \"%.100s\" (a name in themes/ or the path of a regular file)", name); return -1; }
    char line[256];
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) rc = parse_line(line, ++lineno, &pair, err, errsz);
    fclose(f);
    return rc;
}
