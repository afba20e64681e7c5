/* certdeck console — the small dialogs shared by the certificate and CA
 * screens: Edit description, Tags, Access group, New CA, Import CA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

/* ---- Edit description -------------------------------------------------- */

struct obj_ctx { int kind; const int64_t *ids; size_t n; };

static int desc_submit(struct app *a, struct form *fm, void *ctx)
{
    struct obj_ctx *x = ctx;
    struct cd_err e = { 0 };
    int rc = x->kind == CD_KIND_CA ? cd_ca_describe(a->s, a->u, x->ids[0], fm->f[0].value, &e)
                                   : cd_cert_describe(a->s, a->u, x->ids[0], fm->f[0].value, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "description saved");
    return 0;
}

int dlg_describe(struct app *a, int kind, int64_t id, const char *current)
{
    struct obj_ctx x = { kind, &id, 1 };
    struct field f[1] = { { .type = F_TEXT, .label = "Description" } };
    snprintf(f[0].value, sizeof f[0].value, "%s", current ? current : "");
    struct form fm = { "Edit description", NULL, f, 1, "Save", desc_submit, &x, "" };
    return form_run(a, &fm);
}

/* ---- Tags -------------------------------------------------------------- */

static const char *const tag_actions[] = { "set the ticks", "delete the ticked tags everywhere", NULL };
enum { TG_LIST, TG_NEW, TG_ACTION, TG_N };
struct tag_ctx { struct obj_ctx o; struct cd_tag_list tags; unsigned char *had; };

static int tags_submit(struct app *a, struct form *fm, void *ctx)
{
    struct tag_ctx *x = ctx;
    struct cd_err e = { 0 };
    int rc = 0, changes = 0;
    for (size_t i = 0; i < x->tags.n && !rc; i++) {
        int on = fm->f[TG_LIST].checked[i];
        if (fm->f[TG_ACTION].choice == 1) {
            if (on) { rc = cd_tag_delete(a->s, a->u, x->tags.rows[i].name, &e); changes++; }
        } else if (on != x->had[i]) {
            /* for marked rows nothing starts ticked: a tick assigns, and an
             * untick of a tag some rows had is not guessed at */
            if (on || x->o.n == 1) {
                rc = cd_tag_set(a->s, a->u, x->o.kind, x->o.ids, x->o.n, x->tags.rows[i].name, on, &e);
                changes++;
            }
        }
    }
    if (!rc && fm->f[TG_NEW].value[0]) {
        rc = cd_tag_set(a->s, a->u, x->o.kind, x->o.ids, x->o.n, fm->f[TG_NEW].value, 1, &e);
        changes++;
    }
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "tags updated (%d change%s)", changes, changes == 1 ? "" : "s");
    return 0;
}

int dlg_tags(struct app *a, int kind, const int64_t *ids, size_t n, const char *current)
{
    struct tag_ctx x = { .o = { kind, ids, n } };
    struct cd_err e = { 0 };
    int rc = cd_tag_list(a->s, a->u, &x.tags, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    const char **names = calloc(x.tags.n + 1, sizeof *names);
    unsigned char *checked = calloc(x.tags.n + 1, 1);
    x.had = calloc(x.tags.n + 1, 1);
    if (!names || !checked || !x.had) {
        free(names); free(checked); free(x.had);
        cd_tag_list_free(&x.tags);
        app_status(a, 1, "out of memory");
        return 0;
    }
    struct field f[TG_N] = {
        [TG_LIST] = { .type = F_CHECKS, .label = "Tags", .choices = names, .checked = checked },
        [TG_NEW] = { .type = F_TEXT, .label = "New tag" },
        [TG_ACTION] = { .type = F_CHOICE, .label = "On Enter", .choices = tag_actions },
    };
    for (size_t i = 0; i < x.tags.n; i++) {
        names[i] = x.tags.rows[i].name;
        if (n == 1) f[TG_LIST].checked[i] = x.had[i] = (unsigned char)list_has(current, names[i]);
    }
    char title[64];
    if (n == 1) snprintf(title, sizeof title, "Tags of %s %lld", kind == CD_KIND_CA ? "CA" : "certificate", (long long)ids[0]);
    else snprintf(title, sizeof title, "Tags of %zu marked rows", n);
    struct form fm = { title, "Space ticks; a new tag is created and assigned", f, TG_N, "Apply", tags_submit, &x, "" };
    int ok = form_run(a, &fm);
    free(names);
    free(checked);
    free(x.had);
    cd_tag_list_free(&x.tags);
    return ok;
}

/* ---- Access group ------------------------------------------------------ */

struct grp_ctx { struct obj_ctx o; const char **paths; };

static int move_submit(struct app *a, struct form *fm, void *ctx)
{
    struct grp_ctx *x = ctx;
    struct cd_err e = { 0 };
    const char *to = x->paths[fm->f[0].choice];
    int rc = x->o.kind == CD_KIND_CA ? cd_ca_move(a->s, a->u, x->o.ids[0], to, &e)
                                     : cd_cert_move(a->s, a->u, x->o.ids, x->o.n, to, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "moved %zu to %s", x->o.n, to);
    return 0;
}

int dlg_move(struct app *a, int kind, const int64_t *ids, size_t n, const char *current)
{
    struct cd_group_list gl;
    struct cd_err e = { 0 };
    int rc = cd_group_list(a->s, a->u, &gl, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    struct grp_ctx x = { .o = { kind, ids, n }, .paths = calloc(gl.n + 2, sizeof(char *)) };
    if (!x.paths) { cd_group_list_free(&gl); return 0; }
    /* the first line is the object's current home group */
    size_t k = 0;
    if (current && *current) x.paths[k++] = current;
    for (size_t i = 0; i < gl.n; i++)
        if (!current || strcmp(gl.rows[i].path, current)) x.paths[k++] = gl.rows[i].path;
    struct field f[1] = { { .type = F_CHOICE, .label = "Access group", .choices = x.paths } };
    struct form fm = { "Access group", "Left / Right choose; the first is the current home group", f, 1, "Move",
                       move_submit, &x, "" };
    int ok = form_run(a, &fm);
    free(x.paths);
    cd_group_list_free(&gl);
    return ok;
}

/* ---- New CA ------------------------------------------------------------ */

static const char *const ca_keys[] = { "ec256", "ed25519", "rsa2048", "rsa3072", "rsa4096", NULL };
enum { CA_CN, CA_O, CA_OU, CA_C, CA_DESC, CA_KEY, CA_DAYS, CA_PASS, CA_PASS2, CA_N };

static int ca_submit(struct app *a, struct form *fm, void *ctx)
{
    (void)ctx;
    struct field *f = fm->f;
    if (strcmp(f[CA_PASS].value, f[CA_PASS2].value)) { snprintf(fm->err, sizeof fm->err, "the two passphrases differ"); return 1; }
    char *end;
    long days = strtol(f[CA_DAYS].value, &end, 10);
    /* 0 would mean "the default" to the core: a typed 0 is a mistake */
    if (end == f[CA_DAYS].value || *end || days < 1 || days > 36500) {
        snprintf(fm->err, sizeof fm->err, "valid days is a number from 1 to 36500");
        return 1;
    }
    struct cd_ca_params p = { .subject = { .cn = f[CA_CN].value, .o = f[CA_O].value, .ou = f[CA_OU].value,
                                           .c = f[CA_C].value },
                              .description = f[CA_DESC].value, .keytype = f[CA_KEY].choice, .days = (int)days,
                              .passphrase = f[CA_PASS].value };
    form_busy(a, f[CA_KEY].choice >= CD_KEY_RSA2048 ? "Generating the RSA key..." : "Creating the CA...");
    struct cd_err e = { 0 };
    int64_t id = 0;
    int rc = cd_ca_new(a->s, a->u, &p, &id, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "created CA %lld", (long long)id);
    return 0;
}

int dlg_new_ca(struct app *a)
{
    struct field f[CA_N] = {
        [CA_CN] = { .type = F_TEXT, .label = "Common name" }, [CA_O] = { .type = F_TEXT, .label = "Organization" }, [CA_OU] = { .type = F_TEXT, .label = "Org. unit" },
        [CA_C] = { .type = F_TEXT, .label = "Country (2)" }, [CA_DESC] = { .type = F_TEXT, .label = "Description" },
        [CA_KEY] = { .type = F_CHOICE, .label = "Key", .choices = ca_keys }, [CA_DAYS] = { .type = F_TEXT, .label = "Valid days", .value = "3650" },
        [CA_PASS] = { .type = F_SECRET, .label = "Passphrase" }, [CA_PASS2] = { .type = F_SECRET, .label = "Confirm" },
    };
    struct form fm = { "New certification authority", "An empty passphrase protects the key with the store key",
                       f, CA_N, "Create", ca_submit, NULL, "" };
    int ok = form_run(a, &fm);
    explicit_bzero(f[CA_PASS].value, sizeof f[CA_PASS].value);
    explicit_bzero(f[CA_PASS2].value, sizeof f[CA_PASS2].value);
    return ok;
}

/* ---- Import CA (public key only) --------------------------------------- */

static int import_submit(struct app *a, struct form *fm, void *ctx)
{
    (void)ctx;
    unsigned char buf[65536];
    size_t n;
    if (form_read_file(fm, fm->f[0].value, buf, sizeof buf, &n)) return 1;
    struct cd_err e = { 0 };
    int64_t id = 0;
    int rc = cd_ca_import(a->s, a->u, buf, n, fm->f[1].value, NULL, &id, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "imported CA %lld (public key only: it cannot sign)", (long long)id);
    return 0;
}

int dlg_import_ca(struct app *a)
{
    struct field f[2] = { { .type = F_TEXT, .label = "Certificate file" }, { .type = F_TEXT, .label = "Description" } };
    struct form fm = { "Import CA public key", "PEM or DER; the CA will be shown but cannot sign", f, 2, "Import",
                       import_submit, NULL, "" };
    return form_run(a, &fm);
}
