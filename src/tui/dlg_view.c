/* certdeck console — dialogs about the view itself: the column chooser and
 * the filter-preset manager.  They change the table they are given and the
 * user's presets; the screen remembers the result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

/* ---- columns ----------------------------------------------------------- */

enum { CO_SHOW, CO_ORDER, CO_N };

/* "key:width,key:width" for the visible columns, in order. */
void columns_spec(const struct table *t, char *out, size_t n)
{
    size_t l = 0;
    out[0] = 0;
    for (int i = 0; i < t->ncols && l < n; i++)
        if (t->cols[i].visible)
            l += (size_t)snprintf(out + l, n - l, "%s%s:%d", l ? "," : "", cd_col_key(t->cols[i].id), t->cols[i].width);
}

/* Applies a spec: listed columns come first, in order, visible, with their
 * widths; the rest keep their order and are hidden.  -1 on a bad spec. */
int columns_apply(struct table *t, const char *spec, char *err, size_t errsz)
{
    struct tcol cols[16];
    int n = 0, used[16] = { 0 };
    char buf[512], *save = NULL;
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
        char *colon = strchr(tok, ':');
        int w = 0;
        if (colon) { *colon = 0; w = atoi(colon + 1); }
        int id = cd_col_parse(tok), k = -1;
        for (int i = 0; i < t->ncols; i++) if (t->cols[i].id == id) k = i;
        if (k < 0 || used[k]) { snprintf(err, errsz, "unknown or repeated column \"%.40s\"", tok); return -1; }
        if (colon && (w < 2 || w > 200)) { snprintf(err, errsz, "width of %.40s: 2 to 200", tok); return -1; }
        used[k] = 1;
        cols[n] = t->cols[k];
        cols[n].visible = 1;
        if (w) cols[n].width = w;
        n++;
    }
    if (!n) { snprintf(err, errsz, "at least one column"); return -1; }
    for (int i = 0; i < t->ncols; i++)
        if (!used[i]) { cols[n] = t->cols[i]; cols[n].visible = 0; n++; }
    memcpy(t->cols, cols, sizeof cols[0] * (size_t)n);
    return 0;
}

struct co_ctx { struct table *t; unsigned char was[16]; };

static int co_submit(struct app *a, struct form *fm, void *ctx)
{
    (void)a;
    struct co_ctx *x = ctx;
    struct table *t = x->t;
    /* the order line says what is shown; a tick changed in the dialog adds
     * the column at the end or takes it out */
    char spec[512];
    snprintf(spec, sizeof spec, "%s", fm->f[CO_ORDER].value);
    for (int i = 0; fm->f[CO_SHOW].choices[i]; i++) {
        const char *key = fm->f[CO_SHOW].choices[i];
        char *hit = strstr(spec, key);
        size_t kl = strlen(key);
        int listed = hit && (hit == spec || hit[-1] == ',') && (hit[kl] == ':' || hit[kl] == ',' || !hit[kl]);
        if (fm->f[CO_SHOW].checked[i] == x->was[i]) continue;
        if (fm->f[CO_SHOW].checked[i] && !listed) {
            size_t l = strlen(spec);
            snprintf(spec + l, sizeof spec - l, "%s%s", l ? "," : "", key);
        } else if (!fm->f[CO_SHOW].checked[i] && listed) {
            char *end = strchr(hit, ',');
            if (end) memmove(hit, end + 1, strlen(end + 1) + 1);
            else if (hit > spec) hit[-1] = 0;
            else hit[0] = 0;
        }
    }
    return columns_apply(t, spec, fm->err, sizeof fm->err) ? 1 : 0;
}

int dlg_columns(struct app *a, struct table *t)
{
    struct co_ctx x = { .t = t };
    const char *keys[17] = { 0 };
    unsigned char checked[16] = { 0 };
    struct field f[CO_N] = {
        [CO_SHOW] = { .type = F_CHECKS, .label = "Show", .choices = keys, .checked = checked },
        [CO_ORDER] = { .type = F_TEXT, .label = "Order:width" },
    };
    for (int i = 0; i < t->ncols && i < 16; i++) {
        keys[i] = cd_col_key(t->cols[i].id);
        f[CO_SHOW].checked[i] = x.was[i] = (unsigned char)t->cols[i].visible;
    }
    columns_spec(t, f[CO_ORDER].value, sizeof f[CO_ORDER].value);
    struct form fm = { "Columns", "Tick to show; the order line sets order and widths", f, CO_N, "Apply",
                       co_submit, &x, "" };
    int ok = form_run(a, &fm);
    if (ok) app_status(a, 0, "columns: %s", f[CO_ORDER].value);
    return ok;
}

/* ---- presets ----------------------------------------------------------- */

static const char *const actions[] = { "load", "save the current view as", "delete", "make default", "no default",
                                       "share (others see it, read-only)", "stop sharing", NULL };
enum { PR_PICK, PR_ACTION, PR_NAME, PR_N };
struct pr_ctx { struct cd_preset_list l; const char *filter, *columns, *sort; char *loaded; };

static int pr_submit(struct app *a, struct form *fm, void *ctx)
{
    struct pr_ctx *x = ctx;
    struct cd_err e = { 0 };
    int act = fm->f[PR_ACTION].choice, rc = 0;
    const char *pick = x->l.n ? x->l.rows[fm->f[PR_PICK].choice].name : NULL;
    if (act != 1 && act != 4 && !pick) { snprintf(fm->err, sizeof fm->err, "there are no presets yet"); return 1; }
    switch (act) {
    case 0: x->loaded = strdup(pick); app_status(a, 0, "preset %s loaded", pick); return 0;
    case 1:
        if (!fm->f[PR_NAME].value[0]) { snprintf(fm->err, sizeof fm->err, "give the preset a name"); return 1; }
        rc = cd_preset_save(a->s, a->u, fm->f[PR_NAME].value, x->filter, x->columns, x->sort, &e);
        if (!rc) app_status(a, 0, "preset %s saved", fm->f[PR_NAME].value);
        break;
    case 2:
        rc = cd_preset_rm(a->s, a->u, pick, &e);
        if (!rc) app_status(a, 0, "preset %s deleted", pick);
        break;
    case 3: case 4:
        rc = cd_state_set(a->s, a->u, "certs.default_preset", act == 3 ? pick : NULL, &e);
        if (!rc) app_status(a, 0, act == 3 ? "preset %s opens by default" : "no default preset%.0s", pick ? pick : "");
        break;
    case 5: case 6:
        rc = cd_preset_share(a->s, a->u, pick, act == 5, &e);
        if (!rc) app_status(a, 0, "preset %s %s", pick, act == 5 ? "shared" : "no longer shared");
        break;
    }
    if (rc) return form_fail(fm, rc, &e);
    return 0;
}

/* Returns the name of a preset to load (caller frees), or NULL. */
char *dlg_presets(struct app *a, const char *filter, const char *columns, const char *sort)
{
    struct pr_ctx x = { .filter = filter, .columns = columns, .sort = sort };
    struct cd_err e = { 0 };
    int rc = cd_preset_list(a->s, a->u, &x.l, &e);
    if (rc) { app_fail(a, rc, &e); return NULL; }
    const char **names = calloc(x.l.n + 2, sizeof *names);
    char **shown = calloc(x.l.n + 1, sizeof *shown);
    for (size_t i = 0; names && shown && i < x.l.n; i++) {
        const struct cd_preset *p = &x.l.rows[i];
        /* another's shared preset says whose it is: it can be loaded, not changed */
        if (asprintf(&shown[i], "%s  (%s)%s%s%s", p->name, p->expr, !p->mine ? "  [by " : p->shared ? "  [shared]" : "",
                     !p->mine ? p->owner : "", !p->mine ? "]" : "") < 0)
            shown[i] = NULL;
        names[i] = shown[i] ? shown[i] : x.l.rows[i].name;
    }
    if (names && !x.l.n) names[0] = "(no presets yet)";
    struct field f[PR_N] = {
        [PR_PICK] = { .type = F_CHOICE, .label = "Preset", .choices = names },
        [PR_ACTION] = { .type = F_CHOICE, .label = "Action", .choices = actions },
        [PR_NAME] = { .type = F_TEXT, .label = "New name" },
    };
    struct form fm = { "Filter presets", "A preset holds the filter, the columns and the sort", f, PR_N, "Do it",
                       pr_submit, &x, "" };
    if (names) form_run(a, &fm);
    for (size_t i = 0; shown && i < x.l.n; i++) free(shown[i]);
    free(shown);
    free(names);
    cd_preset_list_free(&x.l);
    return x.loaded;
}
