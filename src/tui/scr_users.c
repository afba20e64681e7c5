/* certdeck console — the Users and Permission sets screens.
 *
 * Users: New (name, home group, password), Disable / enable, Password
 * (one's own asks for the old one), Permission sets of the user (a tick
 * list: ticking grants, unticking takes back), Remove, Audit log.
 * Permission sets: New (name, groups, a level per object type), Remove.
 * Everyone may open them; the core decides, per row, what a user may do,
 * and a refusal shows its reason in the dialog or the status line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

/* ---- Users ------------------------------------------------------------- */

struct users { struct table t; struct cd_user_list list; };
enum { U_NAME, U_HOME, U_SETS, U_STATE, U_CREATED };

static int us_count(struct app *a, void *ctx, int64_t *total, struct cd_err *e)
{
    struct users *x = ctx;
    cd_user_list_free(&x->list);
    int rc = cd_user_list(a->s, a->u, &x->list, e);
    *total = rc ? 0 : (int64_t)x->list.n;
    return rc;
}

static int us_fetch(struct app *a, void *ctx, int64_t off, int limit, int reverse, void **rows, size_t *n,
                    struct cd_err *e)
{
    (void)a; (void)e; (void)reverse;
    struct users *x = ctx;
    table_window(x->list.rows, x->list.n, sizeof x->list.rows[0], off, limit, rows, n);
    return 0;
}

static const char *us_state(const struct cd_user_info *r)
{
    return r->disabled ? "disabled" : r->admin ? "administrator" : r->has_password ? "enabled" : "no password";
}

static const char *us_cell(const void *row, int col, char *buf, size_t n)
{
    const struct cd_user_info *r = row;
    switch (col) {
    case U_NAME: return r->name;
    case U_HOME: return r->home;
    case U_SETS: return r->permsets;
    case U_STATE: return us_state(r);
    case U_CREATED: return cd_format_time(r->created, buf, n);
    }
    return "";
}
static int64_t us_id(const void *row) { return ((const struct cd_user_info *)row)->id; }
static int us_attr(const void *row, int col)
{
    return col == U_STATE && ((const struct cd_user_info *)row)->disabled ? theme_attr(C_ERROR) : 0;
}

static const struct table_src us_src = { us_fetch, us_count, us_cell, us_id, us_attr, table_borrowed_free,
                                         sizeof(struct cd_user_info), 1, 0 };

static void *open_users(struct app *a, const void *arg)
{
    (void)arg;
    struct users *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    table_init(&x->t, &us_src, x);
    static const struct tcol_def cols[] = { { U_NAME, "User", 16 }, { U_HOME, "Home group", 22 },
                                            { U_SETS, "Permission sets", 30 }, { U_STATE, "State", 14 },
                                            { U_CREATED, "Created", 16 } };
    table_columns(&x->t, cols, sizeof cols / sizeof cols[0]);
    table_reload(a, &x->t);
    return x;
}

static void close_users(void *st)
{
    struct users *x = st;
    x->t.page = NULL;
    table_free(&x->t);
    cd_user_list_free(&x->list);
    free(x);
}

static void draw_users(struct app *a, void *st, int y, int h)
{
    table_draw(a, &((struct users *)st)->t, y, 0, h, a->cols);
}

static const char *counts_users(struct app *a, void *st, char *buf, size_t n)
{
    (void)a;
    snprintf(buf, n, "%zu users", ((struct users *)st)->list.n);
    return buf;
}

/* The paths of the groups u sees, NULL-terminated (the list keeps them). */
static const char **group_paths(struct app *a, struct cd_group_list *gl)
{
    struct cd_err e = { 0 };
    int rc = cd_group_list(a->s, a->u, gl, &e);
    if (rc) { app_fail(a, rc, &e); return NULL; }
    const char **p = calloc(gl->n + 1, sizeof *p);
    for (size_t i = 0; p && i < gl->n; i++) p[i] = gl->rows[i].path;
    if (!p) cd_group_list_free(gl);
    return p;
}

enum { NU_NAME, NU_HOME, NU_PASS, NU_PASS2, NU_N };
struct nu_ctx { const char **paths; };

static int new_user_submit(struct app *a, struct form *fm, void *ctx)
{
    struct nu_ctx *x = ctx;
    struct field *f = fm->f;
    if (strcmp(f[NU_PASS].value, f[NU_PASS2].value)) { snprintf(fm->err, sizeof fm->err, "the two passwords differ"); return 1; }
    if (f[NU_PASS].value[0] && strlen(f[NU_PASS].value) < 8) {
        snprintf(fm->err, sizeof fm->err, "a password has at least 8 characters");
        return 1;
    }
    form_busy(a, "Creating the user...");
    struct cd_err e = { 0 };
    int rc = cd_user_add(a->s, a->u, f[NU_NAME].value, x->paths[f[NU_HOME].choice],
                         f[NU_PASS].value[0] ? f[NU_PASS].value : NULL, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "created user %s in %s", f[NU_NAME].value, x->paths[f[NU_HOME].choice]);
    return 0;
}

static int dlg_new_user(struct app *a)
{
    struct cd_group_list gl;
    struct nu_ctx x = { group_paths(a, &gl) };
    if (!x.paths) return 0;
    struct field f[NU_N] = {
        [NU_NAME] = { .type = F_TEXT, .label = "Name" },
        [NU_HOME] = { .type = F_CHOICE, .label = "Home group", .choices = x.paths },
        [NU_PASS] = { .type = F_SECRET, .label = "Password" }, [NU_PASS2] = { .type = F_SECRET, .label = "Confirm" },
    };
    struct form fm = { "New user", "Objects the user creates land in its home group", f, NU_N, "Create",
                       new_user_submit, &x, "" };
    int ok = form_run(a, &fm);
    free(x.paths);
    cd_group_list_free(&gl);
    return ok;
}

enum { PW_OLD, PW_NEW, PW_NEW2, PW_N };

static int password_submit(struct app *a, struct form *fm, void *ctx)
{
    const char *name = ctx;
    struct field *f = fm->f;
    if (strcmp(f[PW_NEW].value, f[PW_NEW2].value)) { snprintf(fm->err, sizeof fm->err, "the two passwords differ"); return 1; }
    form_busy(a, "Setting the password...");
    struct cd_err e = { 0 };
    int rc = cd_user_passwd(a->s, a->u, name, f[PW_OLD].value, f[PW_NEW].value, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "password of %s changed", name);
    return 0;
}

static int dlg_password(struct app *a, const char *name)
{
    /* one's own needs the old password, unless one is the administrator */
    int own = !strcmp(name, cd_user_name(a->u)) && !cd_user_is_admin(a->u);
    struct field f[PW_N] = {
        [PW_OLD] = { .type = own ? F_SECRET : F_LABEL, .label = "Old password" },
        [PW_NEW] = { .type = F_SECRET, .label = "New password" }, [PW_NEW2] = { .type = F_SECRET, .label = "Confirm" },
    };
    if (!own) snprintf(f[PW_OLD].value, sizeof f[PW_OLD].value, "(not needed)");
    char title[120];
    snprintf(title, sizeof title, "Password of %s", name);
    struct form fm = { title, "At least 8 characters", f, PW_N, "Set", password_submit, (void *)name, "" };
    return form_run(a, &fm);
}

struct grant_ctx { struct cd_permset_list sets; const char *user; unsigned char *had; };

static int grant_submit(struct app *a, struct form *fm, void *ctx)
{
    struct grant_ctx *x = ctx;
    struct cd_err e = { 0 };
    int changes = 0;
    for (size_t i = 0; i < x->sets.n; i++) {
        int want = fm->f[0].checked[i];
        if (want == x->had[i]) continue;
        int rc = cd_permset_grant(a->s, a->u, x->sets.rows[i].name, x->user, want, &e);
        if (rc) return form_fail(fm, rc, &e);
        x->had[i] = (unsigned char)want;
        changes++;
    }
    app_status(a, 0, "%d change%s to the permission sets of %s", changes, changes == 1 ? "" : "s", x->user);
    return 0;
}

static int dlg_grant(struct app *a, const struct cd_user_info *who)
{
    struct grant_ctx x = { .user = who->name };
    struct cd_err e = { 0 };
    int rc = cd_permset_list(a->s, a->u, &x.sets, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    if (!x.sets.n) { app_status(a, 1, "no permission sets yet: O opens them, n there makes one"); return 0; }
    const char **names = calloc(x.sets.n + 1, sizeof *names);
    unsigned char *checked = calloc(x.sets.n + 1, 1);
    x.had = calloc(x.sets.n + 1, 1);
    struct field f[1] = { { .type = F_CHECKS, .label = "Sets", .choices = names, .checked = checked } };
    if (!names || !checked || !x.had) { free(names); free(checked); names = NULL; checked = NULL; }
    for (size_t i = 0; names && i < x.sets.n; i++) {
        names[i] = x.sets.rows[i].name;
        f[0].checked[i] = x.had[i] = (unsigned char)list_has(who->permsets, names[i]);
    }
    char title[120];
    snprintf(title, sizeof title, "Permission sets of %s", who->name);
    struct form fm = { title, "Space ticks: ticked sets are granted, the others taken back", f, 1, "Apply",
                       grant_submit, &x, "" };
    int ok = names && form_run(a, &fm);
    free(names);
    free(checked);
    free(x.had);
    cd_permset_list_free(&x.sets);
    return ok;
}

static int remove_submit(struct app *a, struct form *fm, void *ctx)
{
    const char *const *what = ctx;          /* { "user" | "permset", name } */
    struct cd_err e = { 0 };
    int rc = !strcmp(what[0], "user") ? cd_user_rm(a->s, a->u, what[1], &e) : cd_permset_rm(a->s, a->u, what[1], &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "removed %s %s", what[0], what[1]);
    return 0;
}

static int dlg_remove(struct app *a, const char *kind, const char *name)
{
    const char *what[2] = { kind, name };
    struct field f[1] = { { .type = F_LABEL, .label = "Remove" } };
    snprintf(f[0].value, sizeof f[0].value, "%s %s", kind, name);
    struct form fm = { "Remove", "Permanent; the audit log keeps what it did", f, 1, "Remove", remove_submit, what, "" };
    return form_run(a, &fm);
}

/* Managing a user takes Write on users in its home group; one's own
 * password is always one's own to change. */
static int allowed_users(struct app *a, void *st, int req)
{
    struct users *x = st;
    if (req == REQ_SERVER) return cd_user_may(a->s, a->u, CD_ACT_SERVER_SETTINGS, NULL, NULL, 0);
    if (req != REQ_NEW && req != REQ_DISABLE && req != REQ_PASSWORD && req != REQ_GRANT && req != REQ_DELETE) return 1;
    if (cd_store_readonly(a->s)) return 0;
    const struct cd_user_info *cur = req == REQ_NEW ? NULL : table_current(a, &x->t);
    if (req == REQ_PASSWORD && cur && !strcmp(cur->name, cd_user_name(a->u))) return 1;
    if (cur && cur->admin && !cd_user_is_admin(a->u)) return 0;
    return cd_user_may(a->s, a->u, req == REQ_NEW ? CD_ACT_USER_ADD : CD_ACT_USER_MANAGE, cur ? cur->home : NULL,
                       NULL, 0);
}

static int request_users(struct app *a, void *st, int req, int key)
{
    (void)key;
    struct users *x = st;
    if (req == REQ_REDRAW) { table_reload(a, &x->t); return 0; }
    if (table_request(a, &x->t, req)) return 1;
    const struct cd_user_info *cur = table_current(a, &x->t);
    int changed = 0;
    struct cd_err e = { 0 };
    if ((req == REQ_NEW || req == REQ_DISABLE || req == REQ_PASSWORD || req == REQ_GRANT || req == REQ_DELETE) &&
        app_readonly(a))
        return 1;
    switch (req) {
    case REQ_NEW: changed = dlg_new_user(a); break;
    case REQ_PERMSETS: app_push(a, &scr_permsets, NULL); return 1;
    case REQ_USERS: case REQ_ENTER: return 1;
    case REQ_CERTS: app_pop(a); return 1;
    }
    if (!cur) return changed || req == REQ_NEW;
    switch (req) {
    case REQ_DISABLE: {
        int rc = cd_user_set_disabled(a->s, a->u, cur->name, !cur->disabled, &e);
        if (rc) app_fail(a, rc, &e);
        else app_status(a, 0, "%s %s", cur->name, cur->disabled ? "enabled" : "disabled");
        changed = !rc;
        break;
    }
    case REQ_PASSWORD: changed = dlg_password(a, cur->name); break;
    case REQ_GRANT: changed = dlg_grant(a, cur); break;
    case REQ_DELETE: changed = dlg_remove(a, "user", cur->name); break;
    case REQ_AUDIT: {
        char obj[160];
        snprintf(obj, sizeof obj, "user %s", cur->name);
        app_push(a, &scr_audit, obj);
        return 1;
    }
    default: if (!changed) return 0;
    }
    if (changed) table_reload(a, &x->t);
    return 1;
}

static const int keybar_users[] = { REQ_HELP, REQ_NEW, REQ_PASSWORD, REQ_DISABLE, REQ_GRANT, REQ_DELETE, REQ_AUDIT,
                                    REQ_PERMSETS, REQ_SERVER, REQ_ESCAPE, REQ_QUIT, REQ_NONE };

const struct scr_ops scr_users = {
    "Users", open_users, draw_users, request_users, close_users, keybar_users, counts_users, allowed_users,
};

/* ---- Permission sets --------------------------------------------------- */

struct sets { struct table t; struct cd_permset_list list; };
enum { S_NAME, S_GROUPS, S_CERTS, S_CAS, S_TAGS, S_PRESETS, S_USERS, S_MEMBERS };

static int ps_count(struct app *a, void *ctx, int64_t *total, struct cd_err *e)
{
    struct sets *x = ctx;
    cd_permset_list_free(&x->list);
    int rc = cd_permset_list(a->s, a->u, &x->list, e);
    *total = rc ? 0 : (int64_t)x->list.n;
    return rc;
}

static int ps_fetch(struct app *a, void *ctx, int64_t off, int limit, int reverse, void **rows, size_t *n,
                    struct cd_err *e)
{
    (void)a; (void)e; (void)reverse;
    struct sets *x = ctx;
    table_window(x->list.rows, x->list.n, sizeof x->list.rows[0], off, limit, rows, n);
    return 0;
}

static const char *ps_cell(const void *row, int col, char *buf, size_t n)
{
    (void)buf; (void)n;
    const struct cd_permset *r = row;
    if (col >= S_CERTS && col <= S_USERS) {
        int l = r->level[col - S_CERTS];
        return l ? cd_right_name(l) : "-";
    }
    return col == S_NAME ? r->name : col == S_GROUPS ? r->groups : col == S_MEMBERS ? r->users : "";
}
static int64_t ps_id(const void *row) { return ((const struct cd_permset *)row)->id; }
static int ps_attr(const void *row, int col) { (void)row; (void)col; return 0; }

static const struct table_src ps_src = { ps_fetch, ps_count, ps_cell, ps_id, ps_attr, table_borrowed_free,
                                         sizeof(struct cd_permset), 1, 0 };

static void *open_sets(struct app *a, const void *arg)
{
    (void)arg;
    struct sets *x = calloc(1, sizeof *x);
    if (!x) return NULL;
    table_init(&x->t, &ps_src, x);
    static const struct tcol_def cols[] = { { S_NAME, "Set", 16 }, { S_GROUPS, "Groups", 26 },
                                            { S_CERTS, "Certs", 6 }, { S_CAS, "CAs", 6 }, { S_TAGS, "Tags", 6 },
                                            { S_PRESETS, "Presets", 7 }, { S_USERS, "Users", 6 },
                                            { S_MEMBERS, "Members", 30 } };
    table_columns(&x->t, cols, sizeof cols / sizeof cols[0]);
    table_reload(a, &x->t);
    return x;
}

static void close_sets(void *st)
{
    struct sets *x = st;
    x->t.page = NULL;
    table_free(&x->t);
    cd_permset_list_free(&x->list);
    free(x);
}

static void draw_sets(struct app *a, void *st, int y, int h)
{
    table_draw(a, &((struct sets *)st)->t, y, 0, h, a->cols);
}

static const char *counts_sets(struct app *a, void *st, char *buf, size_t n)
{
    (void)a;
    snprintf(buf, n, "%zu sets", ((struct sets *)st)->list.n);
    return buf;
}

static const char *const levels[] = { "none", "Read", "Use", "Write", NULL };
enum { NS_NAME, NS_GROUPS, NS_LEVEL0, NS_N = NS_LEVEL0 + CD_OT_COUNT };
struct ns_ctx { const char **paths; size_t npaths; };

static int new_set_submit(struct app *a, struct form *fm, void *ctx)
{
    struct ns_ctx *x = ctx;
    const char **groups = calloc(x->npaths + 1, sizeof *groups);
    if (!groups) { snprintf(fm->err, sizeof fm->err, "out of memory"); return 1; }
    size_t ng = 0;
    for (size_t i = 0; i < x->npaths; i++)
        if (fm->f[NS_GROUPS].checked[i]) groups[ng++] = x->paths[i];
    int level[CD_OT_COUNT];
    for (int t = 0; t < CD_OT_COUNT; t++) level[t] = fm->f[NS_LEVEL0 + t].choice;
    struct cd_err e = { 0 };
    int rc = cd_permset_add(a->s, a->u, fm->f[NS_NAME].value, groups, ng, level, &e);
    free(groups);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "created permission set %s", fm->f[NS_NAME].value);
    return 0;
}

static int dlg_new_set(struct app *a)
{
    struct cd_group_list gl;
    struct ns_ctx x = { group_paths(a, &gl), 0 };
    if (!x.paths) return 0;
    x.npaths = gl.n;
    unsigned char *checked = calloc(gl.n + 1, 1);
    if (!checked) { free(x.paths); cd_group_list_free(&gl); app_status(a, 1, "out of memory"); return 0; }
    static char labels[CD_OT_COUNT][24];
    struct field f[NS_N] = {
        [NS_NAME] = { .type = F_TEXT, .label = "Name" },
        [NS_GROUPS] = { .type = F_CHECKS, .label = "Groups", .choices = x.paths, .checked = checked },
    };
    for (int t = 0; t < CD_OT_COUNT; t++) {
        snprintf(labels[t], sizeof labels[t], "%s", cd_otype_name(t));
        f[NS_LEVEL0 + t] = (struct field){ .type = F_CHOICE, .label = labels[t], .choices = levels };
    }
    struct form fm = { "New permission set", "Each group includes its subgroups; Write includes Use, Use includes Read",
                       f, NS_N, "Create", new_set_submit, &x, "" };
    int ok = form_run(a, &fm);
    free(checked);
    free(x.paths);
    cd_group_list_free(&gl);
    return ok;
}

static int request_sets(struct app *a, void *st, int req, int key)
{
    (void)key;
    struct sets *x = st;
    if (req == REQ_REDRAW) { table_reload(a, &x->t); return 0; }
    if (table_request(a, &x->t, req)) return 1;
    const struct cd_permset *cur = table_current(a, &x->t);
    int changed = 0;
    if ((req == REQ_NEW || req == REQ_DELETE) && app_readonly(a)) return 1;
    switch (req) {
    case REQ_NEW: changed = dlg_new_set(a); break;
    case REQ_DELETE: if (cur) changed = dlg_remove(a, "permset", cur->name); break;
    case REQ_AUDIT:
        if (cur) {
            char obj[160];
            snprintf(obj, sizeof obj, "permset %s", cur->name);
            app_push(a, &scr_audit, obj);
        }
        return 1;
    case REQ_PERMSETS: case REQ_ENTER: return 1;
    default: return 0;
    }
    if (changed) table_reload(a, &x->t);
    return 1;
}

static const int keybar_sets[] = { REQ_HELP, REQ_NEW, REQ_DELETE, REQ_AUDIT, REQ_ESCAPE, REQ_QUIT, REQ_NONE };

const struct scr_ops scr_permsets = {
    "Permission sets", open_sets, draw_sets, request_sets, close_sets, keybar_sets, counts_sets, NULL,
};
