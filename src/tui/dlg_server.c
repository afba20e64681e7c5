/* certdeck console — the Server settings dialog (V, or :server): the client
 * password agents send at check-in (old / new / confirm, masked), the
 * mirror agents are told of at check-in (address, user, a password that is
 * never shown back: typing one replaces it, empty keeps it, "remove" takes
 * it away) and the transitional "unauthenticated access for clients"
 * switch, which asks before it lets agents in without the password; and
 * the expiry warning window (days: what "expiring" means everywhere).  The
 * core checks the right (CD_ACT_SERVER_SETTINGS), the mirror's address and
 * audits; a refusal shows its reason. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

enum { SV_PW, SV_OLD, SV_NEW, SV_NEW2, SV_MURL, SV_MUSER, SV_MPW, SV_MPWST, SV_UNAUTH, SV_WARN, SV_N };

static const char *const pw_choices[] = { "keep", "change", "remove", NULL };
static const char *const unauth_choices[] = { "off", "on", NULL };
static const char *const stored_choices[] = { "keep", "remove", NULL };

struct server_ctx {
    struct cd_client_settings cs;
    struct cd_mirror_settings ms;   /* as stored: what the fields started from */
    int mirror_fixed;               /* an address too long for the field: shown, not edited here */
    int warn_days;                  /* the expiry warning window as stored */
};

/* The window's part of Apply: the core checks the range and the right. */
static int warn_submit(struct app *a, struct form *fm, struct server_ctx *x, char *done, size_t donesz)
{
    const char *v = fm->f[SV_WARN].value;
    char *end;
    long days = strtol(v, &end, 10);
    while (*end == ' ') end++;
    if (*end == 'd' && !end[1]) end++;          /* "90d" as check --warn writes it */
    if (!*v || *end || days < 0 || days > 1000000) {
        snprintf(fm->err, sizeof fm->err, "the expiry warning window is a number of days");
        return 1;
    }
    if (days == x->warn_days) return 0;
    struct cd_err e = { 0 };
    int rc = cd_expiry_warning_set(a->s, a->u, (int)days, &e);
    if (rc) return form_fail(fm, rc, &e);
    x->warn_days = (int)days;
    size_t l = strlen(done);
    snprintf(done + l, donesz - l, "%sexpiry warning window %ld days", l ? "; " : "", days);
    return 0;
}

/* The mirror's part of Apply: nothing when its fields are as they were. */
static int mirror_submit(struct app *a, struct form *fm, struct server_ctx *x, char *done, size_t donesz)
{
    struct field *f = fm->f;
    const char *url = f[SV_MURL].value, *user = f[SV_MUSER].value, *pw = f[SV_MPW].value;
    int rm = x->ms.has_password && f[SV_MPWST].choice == 1;
    if (x->mirror_fixed) return 0;
    if (!strcmp(url, x->ms.url ? x->ms.url : "") && !strcmp(user, x->ms.user ? x->ms.user : "") && !*pw && !rm)
        return 0;
    if (*pw && rm) {
        snprintf(fm->err, sizeof fm->err, "type a new mirror password or remove the stored one, not both");
        return 1;
    }
    struct cd_err e = { 0 };
    /* an empty address removes the mirror, its user with it */
    int rc = cd_mirror_settings_set(a->s, a->u, url, *url ? user : NULL, *pw ? pw : rm ? "" : NULL, &e);
    if (rc) return form_fail(fm, rc, &e);
    memset(f[SV_MPW].value, 0, sizeof f[SV_MPW].value);
    f[SV_MPWST].choice = 0;
    /* what is stored now: a second Apply (after a later refusal) changes nothing again */
    cd_mirror_settings_clear(&x->ms);
    if ((rc = cd_mirror_settings_get(a->s, a->u, &x->ms, &e))) return form_fail(fm, rc, &e);
    size_t l = strlen(done);
    snprintf(done + l, donesz - l, "%smirror for agents %s", l ? "; " : "", *url ? "set" : "removed");
    return 0;
}

static int server_submit(struct app *a, struct form *fm, void *ctx)
{
    struct server_ctx *x = ctx;
    struct field *f = fm->f;
    struct cd_err e = { 0 };
    int what = f[SV_PW].choice, on = f[SV_UNAUTH].choice == 1;
    if (what == 1 && !f[SV_NEW].value[0]) { snprintf(fm->err, sizeof fm->err, "type the new client password"); return 1; }
    if (what == 1 && strcmp(f[SV_NEW].value, f[SV_NEW2].value)) {
        snprintf(fm->err, sizeof fm->err, "the two new passwords differ");
        return 1;
    }
    if (what == 2 && !x->cs.has_password) { snprintf(fm->err, sizeof fm->err, "no client password is set"); return 1; }
    /* turning the switch on is asked about first: nothing is changed if not */
    if (on && !x->cs.unauthenticated &&
        !form_confirm(a, "Unauthenticated access for clients",
                      "Let agents in without the client password? A security risk: turn it off once all clients "
                      "have checked in.", "Turn on")) {
        snprintf(fm->err, sizeof fm->err, "unauthenticated access left off");
        f[SV_UNAUTH].choice = 0;
        return 1;
    }
    char done[300] = "";
    if (warn_submit(a, fm, x, done, sizeof done)) return 1;
    if (what) {
        form_busy(a, "Setting the client password...");
        const char *old = x->cs.has_password ? f[SV_OLD].value : "";     /* else the label's text */
        int rc = cd_client_password_set(a->s, a->u, old, what == 1 ? f[SV_NEW].value : "", &e);
        memset(f[SV_OLD].value, 0, sizeof f[SV_OLD].value);
        if (rc) return form_fail(fm, rc, &e);
        memset(f[SV_NEW].value, 0, sizeof f[SV_NEW].value);
        memset(f[SV_NEW2].value, 0, sizeof f[SV_NEW2].value);
        x->cs.has_password = what == 1;
        f[SV_PW].choice = 0;
        size_t l = strlen(done);
        snprintf(done + l, sizeof done - l, "%sclient password %s", l ? "; " : "", what == 1 ? "set" : "removed");
    }
    if (mirror_submit(a, fm, x, done, sizeof done)) return 1;
    if (on != x->cs.unauthenticated) {
        int rc = cd_client_unauth_set(a->s, a->u, on, &e);
        if (rc) return form_fail(fm, rc, &e);
        x->cs.unauthenticated = on;
        size_t l = strlen(done);
        snprintf(done + l, sizeof done - l, "%sunauthenticated access for clients %s", l ? "; " : "", on ? "ON" : "off");
    }
    app_status(a, 0, "%s", done[0] ? done : "server settings unchanged");
    return 0;
}

int dlg_server(struct app *a)
{
    char why[256] = "";
    if (!cd_user_may(a->s, a->u, CD_ACT_SERVER_SETTINGS, NULL, why, sizeof why)) {
        app_status(a, 1, "%s", why);
        return 0;
    }
    struct server_ctx x = { 0 };
    struct cd_err e = { 0 };
    int rc = cd_client_settings_get(a->s, a->u, &x.cs, &e);
    if (!rc) rc = cd_mirror_settings_get(a->s, a->u, &x.ms, &e);
    if (!rc) rc = cd_expiry_warning_get(a->s, a->u, &x.warn_days, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    const size_t room = sizeof ((struct field *)0)->value;
    x.mirror_fixed = (x.ms.url && strlen(x.ms.url) >= room) || (x.ms.user && strlen(x.ms.user) >= room);
    struct field f[SV_N] = {
        [SV_PW] = { .type = F_CHOICE, .label = "Client password", .choices = pw_choices },
        [SV_OLD] = { .type = x.cs.has_password ? F_SECRET : F_LABEL, .label = "Old password" },
        [SV_NEW] = { .type = F_SECRET, .label = "New password" },
        [SV_NEW2] = { .type = F_SECRET, .label = "Confirm new" },
        [SV_MURL] = { .type = x.mirror_fixed ? F_LABEL : F_TEXT, .label = "Mirror URL" },
        [SV_MUSER] = { .type = x.mirror_fixed ? F_LABEL : F_TEXT, .label = "Mirror user" },
        [SV_MPW] = { .type = x.mirror_fixed ? F_LABEL : F_SECRET, .label = "New mirror password" },
        [SV_MPWST] = { .type = x.ms.has_password && !x.mirror_fixed ? F_CHOICE : F_LABEL,
                       .label = "Stored mirror password", .choices = stored_choices },
        [SV_UNAUTH] = { .type = F_CHOICE, .label = "Unauthenticated access", .choices = unauth_choices,
                        .choice = x.cs.unauthenticated },
        [SV_WARN] = { .type = F_TEXT, .label = "Expiry warning (days)" },
    };
    snprintf(f[SV_WARN].value, sizeof f[SV_WARN].value, "%d", x.warn_days);
    if (!x.cs.has_password) snprintf(f[SV_OLD].value, sizeof f[SV_OLD].value, "(none is set)");
    /* the fields draw their text sanitised; the password is never filled back */
    if (x.mirror_fixed) {
        snprintf(f[SV_MURL].value, sizeof f[SV_MURL].value, "%s", x.ms.url);
        snprintf(f[SV_MUSER].value, sizeof f[SV_MUSER].value, "%s", x.ms.user ? x.ms.user : "");
        snprintf(f[SV_MPW].value, sizeof f[SV_MPW].value, "(too long to edit here: certdeck server mirror)");
    } else {
        snprintf(f[SV_MURL].value, sizeof f[SV_MURL].value, "%s", x.ms.url ? x.ms.url : "");
        snprintf(f[SV_MUSER].value, sizeof f[SV_MUSER].value, "%s", x.ms.user ? x.ms.user : "");
    }
    if (f[SV_MPWST].type == F_LABEL)
        snprintf(f[SV_MPWST].value, sizeof f[SV_MPWST].value, "%s", x.ms.has_password ? "set" : "none");
    char note[160], since[32] = "";
    if (x.cs.unauthenticated) cd_format_time(x.cs.unauth_since, since, sizeof since);
    snprintf(note, sizeof note, "Client password %s; unauthenticated access %s%s", x.cs.has_password ? "set" : "not set",
             x.cs.unauthenticated ? "ON since " : "off", since);
    struct form fm = { "Server settings", note, f, SV_N, "Apply", server_submit, &x, "" };
    int ok = form_run(a, &fm);
    memset(f, 0, sizeof f);
    cd_mirror_settings_clear(&x.ms);
    app_warnings(a);           /* the banner follows the switch */
    return ok;
}
