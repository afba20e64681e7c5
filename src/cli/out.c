/* certdeck CLI — printing lists and objects as an aligned table, JSON or CSV.
 *
 * Every cell is sanitised once, on the way in, so no format can carry a
 * control or bidi character from a certificate to the terminal.  Table
 * columns are aligned by display width, so wide characters line up. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

#define MAXW 48   /* a table cell wider than this is cut with "…" */

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
        if (!p) { fprintf(stderr, "certdeck: out of memory\n"); exit(1); }
        o->cells = p;
    }
    for (int i = 0; i < o->ncols; i++) {
        char *s = cd_sanitize(values[i] ? values[i] : "", (size_t)-1);
        if (!s) { fprintf(stderr, "certdeck: out of memory\n"); exit(1); }
        o->cells[o->n * (size_t)o->ncols + (size_t)i] = s;
    }
    o->n++;
}

static void csv_cell(const char *s)
{
    if (!strpbrk(s, ",\"\n\r")) { fputs(s, stdout); return; }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"') putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static json_t *json_cell(const struct out_col *col, const char *v)
{
    if (col->numeric) {
        char *end;
        long long n = strtoll(v, &end, 10);
        if (!*end && end != v) return json_integer(n);
    }
    return json_string(v);
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

void out_end(struct out *o)
{
    size_t nc = (size_t)o->ncols;
    if (o->fmt == FMT_JSON) {
        json_t *arr = json_array();
        for (size_t r = 0; r < o->n; r++) {
            json_t *obj = json_object();
            for (size_t i = 0; i < nc; i++)
                json_object_set_new(obj, o->cols[i].key, json_cell(&o->cols[i], o->cells[r * nc + i]));
            json_array_append_new(arr, obj);
        }
        json_dumpf(arr, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
        putchar('\n');
        json_decref(arr);
    } else if (o->fmt == FMT_CSV) {
        for (size_t i = 0; i < nc; i++) { if (i) putchar(','); csv_cell(o->cols[i].key); }
        putchar('\n');
        for (size_t r = 0; r < o->n; r++) {
            for (size_t i = 0; i < nc; i++) { if (i) putchar(','); csv_cell(o->cells[r * nc + i]); }
            putchar('\n');
        }
    } else {
        size_t *w = calloc(nc, sizeof *w);
        for (size_t i = 0; w && i < nc; i++) {
            w[i] = cd_display_width(o->cols[i].title);
            for (size_t r = 0; r < o->n; r++) {
                size_t d = cd_display_width(o->cells[r * nc + i]);
                if (d > MAXW) d = MAXW;
                if (d > w[i]) w[i] = d;
            }
        }
        for (size_t i = 0; w && i < nc; i++) print_pad(o->cols[i].title, w[i], i + 1 == nc);
        putchar('\n');
        for (size_t r = 0; w && r < o->n; r++) {
            for (size_t i = 0; i < nc; i++) print_pad(o->cells[r * nc + i], w[i], i + 1 == nc);
            putchar('\n');
        }
        free(w);
    }
    for (size_t k = 0; k < o->n * nc; k++) free(o->cells[k]);
    free(o->cells);
    memset(o, 0, sizeof *o);
}

void out_object(int fmt, const struct out_col *cols, int ncols, const char *const *values)
{
    if (fmt != FMT_TABLE) {
        struct out o;
        out_begin(&o, fmt, cols, ncols);
        out_row(&o, values);
        if (fmt == FMT_JSON) {
            /* one object, not an array of one */
            json_t *obj = json_object();
            for (int i = 0; i < ncols; i++)
                json_object_set_new(obj, cols[i].key, json_cell(&cols[i], o.cells[i]));
            json_dumpf(obj, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
            putchar('\n');
            json_decref(obj);
            for (int i = 0; i < ncols; i++) free(o.cells[i]);
            free(o.cells);
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
        char *s = cd_sanitize(values[i] ? values[i] : "", (size_t)-1);
        fputs(cols[i].title, stdout);
        putchar(':');
        for (size_t k = cd_display_width(cols[i].title); k < w + 1; k++) putchar(' ');
        puts(s ? s : "");
        free(s);
    }
}
