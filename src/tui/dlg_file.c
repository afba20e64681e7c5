/* certdeck console — the questions before a dialog writes a file: a yes/no
 * confirm, and "replace the file that is there?".  The rules (which
 * targets are refused) are the core's, cd_file_check; this only asks.
 * And the one way a dialog reads a small file (a certificate). */
#include <curses.h>
#include <stdio.h>
#include "tui.h"

int form_confirm(struct app *a, const char *title, const char *question, const char *ok)
{
    struct field f[1] = { { .type = F_LABEL, .label = "" } };
    snprintf(f[0].value, sizeof f[0].value, "%s", question);
    struct form fm = { title, NULL, f, 1, ok, NULL, NULL, "" };
    flushinp();                 /* typeahead does not answer a yes/no question */
    return form_run(a, &fm);
}

int form_may_write(struct app *a, struct form *fm, const char *path, unsigned *flags)
{
    struct cd_err e = { 0 };
    int rc = cd_file_check(a->s, path, &e);
    *flags = CD_WRITE_NOREPLACE;
    if (rc == CD_OK) return 0;
    if (rc != CD_E_EXISTS) return form_fail(fm, rc, &e);
    char q[300];
    snprintf(q, sizeof q, "%s exists. Replace it?", path);    /* drawn sanitised */
    if (!form_confirm(a, "Replace file", q, "Replace")) {
        snprintf(fm->err, sizeof fm->err, "not replaced: choose another file name");
        return 1;
    }
    *flags = 0;
    return 0;
}

int form_read_file(struct form *fm, const char *path, unsigned char *buf, size_t cap, size_t *n)
{
    FILE *fp = path[0] ? fopen(path, "rb") : NULL;
    if (!fp) { snprintf(fm->err, sizeof fm->err, "cannot read %.200s", path[0] ? path : "(no file name)"); return 1; }
    *n = fread(buf, 1, cap, fp);
    int big = *n == cap && fgetc(fp) != EOF;
    fclose(fp);
    if (big) { snprintf(fm->err, sizeof fm->err, "%.200s is too big for a certificate", path); return 1; }
    return 0;
}

void safe_name(const char *cn, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = cn; *p && k + 1 < n && k < 100; p++)
        out[k++] = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                   *p == '-' || *p == '.' ? *p : '_';
    out[k] = 0;
    if (!k) snprintf(out, n, "certificate");
}
