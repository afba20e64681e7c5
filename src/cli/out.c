/* certdeck CLI — printing lists and objects as an aligned table, JSON or CSV.
 *
 * Cells are kept exact, as the core gave them, and each format makes them
 * safe on its own way out:
 *  - table: sanitised (cd_sanitize: \x1b, \u202e), aligned by display width;
 *  - json: the exact value, encoded by jansson with ASCII-only output, so
 *    ESC is \u001b and U+202E is \u202e: exact for a program, inert on a
 *    terminal.  DEL, which jansson leaves raw, becomes \u007f.  JSON strings
 *    must be UTF-8: a byte that is not valid UTF-8 becomes U+FFFD (\ufffd),
 *    the one place JSON is not exact.  Numeric columns are numbers, list
 *    columns (tags) arrays of strings,
 *    yes/no columns true/false;
 *  - csv (RFC 4180 quoting, LF line ends): sanitised as the table, because
 *    CSV is read in terminals as often as in spreadsheets, and a cell that
 *    begins with = + - @ tab or CR gets a leading ' so a spreadsheet does
 *    not run it as a formula (a plain number such as -5, and a lone "-",
 *    stay as they are).  Programs that need exact bytes read JSON. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

#define MAXW 48   /* a table cell wider than this is cut with "…" */

static void oom(void)
{
    fprintf(stderr, "certdeck: out of memory\n");
    exit(1);
}

static char *sanitised(const char *v)
{
    char *s = cd_sanitize(v ? v : "", (size_t)-1);
    if (!s) oom();
    return s;
}

void out_begin(struct out *o, int fmt, const struct out_col *cols, int ncols)
{
    memset(o, 0, sizeof *o);
    o->fmt = fmt;
    o->cols = cols;
    o->ncols = ncols;
}

void out_row(struct out *o, const char *const *values)
{
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 64;
        char **p = realloc(o->cells, o->cap * (size_t)o->ncols * sizeof *p);
        if (!p) oom();
        o->cells = p;
    }
    for (int i = 0; i < o->ncols; i++) {
        char *s = strdup(values[i] ? values[i] : "");
        if (!s) oom();
        o->cells[o->n * (size_t)o->ncols + (size_t)i] = s;
    }
    o->n++;
}

static int is_integer(const char *v)
{
    char *end;
    strtoll(v, &end, 10);
    return end != v && !*end;
}

/* A cell a spreadsheet could run: one that begins with = + - @ tab or CR,
 * except a plain number ("-5", "+1.5") and a lone "-" (no value), which
 * cannot be formulas. */
static int csv_formula(const char *s)
{
    if (!s[0] || !strchr("=+-@\t\r", s[0])) return 0;
    if (!strcmp(s, "-")) return 0;
    const char *p = s + (s[0] == '-' || s[0] == '+');
    size_t digits = strspn(p, "0123456789");
    if (digits && p[digits] == '.') p += digits + 1, digits = strspn(p, "0123456789");
    return !(digits && !p[digits]);
}

static void csv_cell(const char *v)
{
    char *s = sanitised(v);
    /* spreadsheet formula injection: a leading ' makes the cell text */
    int formula = csv_formula(s);
    if (!strpbrk(s, ",\"\n\r")) {
        if (formula) putchar('\'');
        fputs(s, stdout);
    } else {
        putchar('"');
        if (formula) putchar('\'');
        for (const char *p = s; *p; p++) {
            if (*p == '"') putchar('"');
            putchar(*p);
        }
        putchar('"');
    }
    free(s);
}

/* A JSON string of the exact value; invalid UTF-8 bytes become U+FFFD. */
static json_t *json_text(const char *v)
{
    json_t *j = json_string(v);
    if (j) return j;
    char *fixed = cd_utf8_repair(v, (size_t)-1);
    if (!fixed || !(j = json_string(fixed))) oom();
    free(fixed);
    return j;
}

static json_t *json_cell(const struct out_col *col, const char *v)
{
    if (col->type == OUT_NUM && is_integer(v)) return json_integer(strtoll(v, NULL, 10));
    if (col->type == OUT_BOOL && (!strcmp(v, "yes") || !strcmp(v, "no"))) return json_boolean(!strcmp(v, "yes"));
    if (col->type == OUT_LIST) {
        /* "a,b" from the core: names in a list column never hold a comma */
        json_t *arr = json_array();
        if (!arr) oom();
        for (const char *p = v; *p;) {
            size_t k = strcspn(p, ",");
            if (k) {
                char *item = strndup(p, k);
                if (!item) oom();
                json_array_append_new(arr, json_text(item));
                free(item);
            }
            p += k;
            if (*p) p++;
        }
        return arr;
    }
    return json_text(v);
}

static json_t *json_row(const struct out_col *cols, size_t nc, char *const *cells)
{
    json_t *obj = json_object();
    if (!obj) oom();
    for (size_t i = 0; i < nc; i++) json_object_set_new(obj, cols[i].key, json_cell(&cols[i], cells[i]));
    return obj;
}

/* Prints and frees j: ASCII only; DEL, which jansson leaves raw, escaped
 * too (it can only be inside a string, so the six characters \u007f are
 * the same JSON); the hex of \uXXXX in lower case, as cd_sanitize writes
 * it (jansson writes \u001B). */
static void json_print(json_t *j)
{
    char *s = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(j);
    if (!s) oom();
    for (const char *p = s; *p; p++) {
        if (*p == 0x7f) { fputs("\\u007f", stdout); continue; }
        putchar(*p);
        if (*p != '\\' || !p[1]) continue;
        /* an escape: its letter, and for \u the four hex digits */
        putchar(*++p);
        if (*p == 'u')
            for (int k = 0; k < 4 && p[1]; k++) {
                char h = *++p;
                putchar(h >= 'A' && h <= 'F' ? h - 'A' + 'a' : h);
            }
    }
    putchar('\n');
    free(s);
}

static void print_pad(const char *s, size_t w, int last)
{
    char buf[MAXW * 4 + 8];
    size_t dw = cd_display_width(s);
    if (dw > MAXW) {
        dw = cd_fit_width(s, MAXW - 1, buf, sizeof buf);
        fputs(buf, stdout);
        fputs("…", stdout);
        dw++;
    } else {
        fputs(s, stdout);
    }
    if (!last) for (size_t i = dw; i < w + 2; i++) putchar(' ');
}

static void print_table(struct out *o)
{
    size_t nc = (size_t)o->ncols;
    for (size_t k = 0; k < o->n * nc; k++) {
        char *s = sanitised(o->cells[k]);
        free(o->cells[k]);
        o->cells[k] = s;
    }
    size_t *w = calloc(nc, sizeof *w);
    if (!w) oom();
    for (size_t i = 0; i < nc; i++) {
        w[i] = cd_display_width(o->cols[i].title);
        for (size_t r = 0; r < o->n; r++) {
            size_t d = cd_display_width(o->cells[r * nc + i]);
            if (d > MAXW) d = MAXW;
            if (d > w[i]) w[i] = d;
        }
    }
    for (size_t i = 0; i < nc; i++) print_pad(o->cols[i].title, w[i], i + 1 == nc);
    putchar('\n');
    for (size_t r = 0; r < o->n; r++) {
        for (size_t i = 0; i < nc; i++) print_pad(o->cells[r * nc + i], w[i], i + 1 == nc);
        putchar('\n');
    }
    free(w);
}

void out_discard(struct out *o)
{
    for (size_t k = 0; k < o->n * (size_t)o->ncols; k++) free(o->cells[k]);
    free(o->cells);
    memset(o, 0, sizeof *o);
}

void out_end(struct out *o)
{
    size_t nc = (size_t)o->ncols;
    if (o->fmt == FMT_JSON) {
        json_t *arr = json_array();
        if (!arr) oom();
        for (size_t r = 0; r < o->n; r++) json_array_append_new(arr, json_row(o->cols, nc, o->cells + r * nc));
        json_print(arr);
    } else if (o->fmt == FMT_CSV) {
        for (size_t i = 0; i < nc; i++) { if (i) putchar(','); csv_cell(o->cols[i].key); }
        putchar('\n');
        for (size_t r = 0; r < o->n; r++) {
            for (size_t i = 0; i < nc; i++) { if (i) putchar(','); csv_cell(o->cells[r * nc + i]); }
            putchar('\n');
        }
    } else {
        print_table(o);
    }
    out_discard(o);
}

void out_object(int fmt, const struct out_col *cols, int ncols, const char *const *values)
{
    if (fmt != FMT_TABLE) {
        struct out o;
        out_begin(&o, fmt, cols, ncols);
        out_row(&o, values);
        if (fmt == FMT_JSON) {
            /* one object, not an array of one */
            json_print(json_row(cols, (size_t)ncols, o.cells));
            out_discard(&o);
            return;
        }
        out_end(&o);
        return;
    }
    size_t w = 0;
    for (int i = 0; i < ncols; i++) {
        size_t d = cd_display_width(cols[i].title);
        if (d > w) w = d;
    }
    for (int i = 0; i < ncols; i++) {
        char *s = sanitised(values[i]);
        fputs(cols[i].title, stdout);
        putchar(':');
        for (size_t k = cd_display_width(cols[i].title); k < w + 1; k++) putchar(' ');
        puts(s);
        free(s);
    }
}

void out_ids(int fmt, const int64_t *ids, size_t n)
{
    static const struct out_col col[] = { { "id", "ID", OUT_NUM } };
    char buf[32];
    const char *v[] = { buf };
    if (fmt == FMT_JSON && n != 1) {
        json_t *arr = json_array(), *obj = json_object();
        if (!arr || !obj) oom();
        for (size_t i = 0; i < n; i++) json_array_append_new(arr, json_integer((json_int_t)ids[i]));
        json_object_set_new(obj, "count", json_integer((json_int_t)n));
        json_object_set_new(obj, "ids", arr);
        json_print(obj);
    } else if (fmt == FMT_JSON) {
        snprintf(buf, sizeof buf, "%lld", (long long)ids[0]);
        out_object(fmt, col, 1, v);
    } else if (fmt == FMT_CSV) {
        struct out o;
        out_begin(&o, fmt, col, 1);
        for (size_t i = 0; i < n; i++) {
            snprintf(buf, sizeof buf, "%lld", (long long)ids[i]);
            out_row(&o, v);
        }
        out_end(&o);
    } else {
        for (size_t i = 0; i < n; i++) printf("%lld\n", (long long)ids[i]);
    }
}

int out_json_text(const char *text, size_t len)
{
    json_t *j = json_loadb(text, len, 0, NULL);
    if (!j) return -1;
    json_print(j);
    return 0;
}

void out_link(int fmt, struct out_col *cols, const char **values, int *n, char *buf, size_t len,
              const char *key, const char *title, const char *kind, int64_t id)
{
    if (!id) return;
    snprintf(buf, len, "%s%s%lld", fmt == FMT_TABLE ? kind : "", fmt == FMT_TABLE ? " " : "", (long long)id);
    cols[*n] = (struct out_col){ key, title, OUT_NUM };
    values[(*n)++] = buf;
}
