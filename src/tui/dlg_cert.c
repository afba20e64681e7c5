/* certdeck console — dialogs for a peer certificate: New certificate,
 * Export (busy indicator during the 600,000-iteration key protection) and
 * Revoke (permanent; asks again when the certificate is in use). */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "tui.h"

/* in the order of enum cd_keytype: a choice is the key type */
const char *const key_types[] = { "ec256", "ed25519", "rsa2048", "rsa3072", "rsa4096", NULL };

static int parse_when(const char *s, int64_t *t)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    char *end = strptime(s, "%Y-%m-%d", &tm);
    if (!end || *end) return -1;
    *t = (int64_t)timegm(&tm);
    return 0;
}

/* ---- New certificate --------------------------------------------------- */

enum { NC_DESC, NC_TAGS, NC_PRODUCT, NC_HOST, NC_PASS, NC_PASS2, NC_CN, NC_O, NC_OU, NC_L, NC_ST, NC_C,
       NC_FROM, NC_TO, NC_KEY, NC_CA, NC_CAPASS, NC_GROUP, NC_COUNT, NC_CSR, NC_N };

/* groups: the paths the user may make certificates in (borrowed from gl).
 * request: the product is one Apple signs (APN/ABM): the dialog makes a
 * request, and the fields a CA would use are set aside (types kept).
 * prod: the product of each choice (names: the choices); only APN/ABM when
 * the user may issue from no CA.  csr_auto: the request's file name as last
 * made from the CN (a name the user typed is left alone). */
struct nc_ctx {
    struct cd_ca_list cas; const char **ca_names; struct cd_group_list gl; const char **groups;
    int request; int type[NC_N];
    int prod[CD_PRODUCT_COUNT]; const char *names[CD_PRODUCT_COUNT + 1];
    char csr_auto[sizeof ((struct field *)0)->value];
};

/* The request's file follows the CN ("<cn>.csr") until the user edits it. */
static void nc_csr_name(struct nc_ctx *x, struct field *f, int force)
{
    if (!force && strcmp(f[NC_CSR].value, x->csr_auto)) return;
    request_path(f[NC_CN].value[0] ? f[NC_CN].value : "request", f[NC_CSR].value, sizeof f[NC_CSR].value);
    snprintf(x->csr_auto, sizeof x->csr_auto, "%s", f[NC_CSR].value);
}

/* What a request does not use: no CA signs it, Apple sets host and dates. */
static const int unused_in_request[] = { NC_HOST, NC_PASS, NC_PASS2, NC_FROM, NC_TO, NC_CA, NC_CAPASS, NC_COUNT };

/* Choosing APN/ABM turns the dialog into request mode (RSA 2048, the
 * request's file asked for); another product turns it back. */
static void nc_changed(struct form *fm, int i, void *ctx)
{
    struct nc_ctx *x = ctx;
    struct field *f = fm->f;
    if (i == NC_CN && x->request) nc_csr_name(x, f, 0);
    if (i != NC_PRODUCT) return;
    int req = cd_product_external(x->prod[f[NC_PRODUCT].choice]);
    if (req == x->request) return;
    x->request = req;
    for (size_t k = 0; k < sizeof unused_in_request / sizeof unused_in_request[0]; k++) {
        struct field *u = &f[unused_in_request[k]];
        if (req) { x->type[unused_in_request[k]] = u->type; u->type = F_LABEL; }
        else u->type = x->type[unused_in_request[k]];
        if (req) snprintf(u->value, sizeof u->value, "%s", "(set by Apple)");
        else if (u->type != F_CHOICE) u->value[0] = 0;
    }
    if (!req) {
        snprintf(f[NC_HOST].value, sizeof f[NC_HOST].value, "*");
        snprintf(f[NC_COUNT].value, sizeof f[NC_COUNT].value, "1");
    }
    f[NC_KEY].choice = req ? CD_KEY_RSA2048 : CD_KEY_EC256;
    f[NC_CSR].type = req ? F_TEXT : F_LABEL;
    if (req) nc_csr_name(x, f, 1);
    else snprintf(f[NC_CSR].value, sizeof f[NC_CSR].value, "(APN/ABM only)");
    fm->note = req ? "Apple signs it: a key and a request (CSR) for Apple's portal; the row stays pending"
                   : "Empty dates: from yesterday, for two years (YYYY-MM-DD)";
}

const char *const *nc_tags(const char *csv, char *buf, size_t n, const char **tags)
{
    int nt = 0;
    snprintf(buf, n, "%s", csv);
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t && nt < 32; t = strtok_r(NULL, ",", &save)) {
        while (*t == ' ') t++;
        if (*t) tags[nt++] = t;
    }
    tags[nt] = NULL;
    return nt ? tags : NULL;
}

static int nc_submit(struct app *a, struct form *fm, void *ctx)
{
    char tagbuf[256];
    const char *tags[33] = { 0 };
    struct nc_ctx *x = ctx;
    struct field *f = fm->f;
    if (!x->request && !x->cas.n) {
        snprintf(fm->err, sizeof fm->err, "there is no CA that can sign: make one on the CA screen");
        return 1;
    }
    if (strcmp(f[NC_PASS].value, f[NC_PASS2].value)) {
        snprintf(fm->err, sizeof fm->err, "the two passphrases differ");
        return 1;
    }
    struct cd_cert_params p = {
        .ca_id = x->cas.n ? x->cas.rows[f[NC_CA].choice].id : 0, .ca_passphrase = f[NC_CAPASS].value,
        .product = x->prod[f[NC_PRODUCT].choice], .host = f[NC_HOST].value,
        .subject = { f[NC_CN].value, f[NC_O].value, f[NC_OU].value, f[NC_L].value, f[NC_ST].value, f[NC_C].value },
        .description = f[NC_DESC].value, .keytype = f[NC_KEY].choice,
        .passphrase = f[NC_PASS].value[0] ? f[NC_PASS].value : NULL,
        .group = x->groups && x->groups[0] ? x->groups[f[NC_GROUP].choice] : NULL,
    };
    if (x->request) {
        p.host = NULL;
        p.ca_passphrase = p.passphrase = NULL;
        p.tags = nc_tags(f[NC_TAGS].value, tagbuf, sizeof tagbuf, tags);
        return request_submit(a, fm, &p, 0, f[NC_CSR].value);
    }
    if (f[NC_FROM].value[0] && parse_when(f[NC_FROM].value, &p.not_before)) {
        snprintf(fm->err, sizeof fm->err, "valid from: a date like 2026-12-31");
        return 1;
    }
    if (f[NC_TO].value[0] && parse_when(f[NC_TO].value, &p.not_after)) {
        snprintf(fm->err, sizeof fm->err, "valid to: a date like 2027-12-31");
        return 1;
    }
    long count = strtol(f[NC_COUNT].value, NULL, 10);
    if (count < 1 || count > 1000000) { snprintf(fm->err, sizeof fm->err, "count: 1 to 1000000"); return 1; }
    p.tags = nc_tags(f[NC_TAGS].value, tagbuf, sizeof tagbuf, tags);
    form_busy(a, count > 1 ? "Issuing certificates..." : p.passphrase ? "Issuing (protecting the passphrase)..." : "Issuing...");
    struct cd_err e = { 0 };
    int64_t first = 0, *ids = calloc((size_t)count, sizeof *ids);
    if (!ids) { snprintf(fm->err, sizeof fm->err, "out of memory"); return 1; }
    struct form_progress pr = { a, "Issuing" };
    int rc = cd_cert_new(a->s, a->u, &p, (size_t)count, count > 1 ? form_progress : NULL, &pr, ids, &e);
    first = ids[0];
    free(ids);
    if (rc) return form_fail(fm, rc, &e);
    if (count > 1) app_status(a, 0, "issued %ld certificates from ID %lld", count, (long long)first);
    else app_status(a, 0, "issued certificate %lld", (long long)first);
    return 0;
}

/* The groups the user may make certificates in, depth-first as listed; the
 * index of `want` (the side panel's choice; "" = All) in *pick, else 0.
 * The core checks again when issuing. */
static int nc_groups(struct app *a, struct nc_ctx *x, const char *want, int *pick, struct cd_err *e)
{
    int rc = cd_group_list(a->s, a->u, &x->gl, e);
    if (rc) return rc;
    x->groups = calloc(x->gl.n + 1, sizeof *x->groups);
    if (!x->groups) return CD_E_NOMEM;      /* cd_errmsg says it */
    size_t k = 0;
    *pick = 0;
    for (size_t i = 0; i < x->gl.n; i++) {
        const char *p = x->gl.rows[i].path;
        if (!cd_user_may(a->s, a->u, CD_ACT_CERT_NEW, p, NULL, 0)) continue;
        if (want && (!strcmp(want, p) || (!*want && i == 0))) *pick = (int)k;
        x->groups[k++] = p;
    }
    return 0;
}

void issuing_cas(struct app *a, struct cd_ca_list *l)
{
    size_t k = 0;
    for (size_t i = 0; i < l->n; i++) {
        if (l->rows[i].can_sign && cd_user_may(a->s, a->u, CD_ACT_CA_ISSUE, l->rows[i].group, NULL, 0))
            l->rows[k++] = l->rows[i];
        else cd_ca_clear(&l->rows[i]);
    }
    l->n = k;
}

int dlg_new_cert(struct app *a, const char *group)
{
    struct nc_ctx x = { 0 };
    struct cd_err e = { 0 };
    struct cd_query q = { 0 };
    int pick = 0;
    int rc = cd_ca_list(a->s, a->u, &q, &x.cas, &e);
    if (!rc && (rc = nc_groups(a, &x, group, &pick, &e))) cd_ca_list_free(&x.cas);
    if (rc) { cd_group_list_free(&x.gl); free(x.groups); app_fail(a, rc, &e); return 0; }
    issuing_cas(a, &x.cas);
    size_t k = x.cas.n;
    /* the products: all when a CA may sign; else only those no CA of the store
     * signs (the core says which: APN/ABM requests) */
    int np = 0;
    for (int p = 0; p < CD_PRODUCT_COUNT; p++) {
        if (!k && !cd_product_external(p)) continue;
        x.prod[np] = p;
        x.names[np++] = cd_product_name(p);
    }
    if (!np || !x.groups[0]) {
        if (!np) app_status(a, 1, "%s may issue from no CA (that needs Use on CAs in the CA's group)", cd_user_name(a->u));
        else app_status(a, 1, "%s may create certificates in no access group (that needs Write on certificates)",
                        cd_user_name(a->u));
        cd_ca_list_free(&x.cas);
        free(x.groups);
        cd_group_list_free(&x.gl);
        return 0;
    }
    x.ca_names = calloc(k + 1, sizeof *x.ca_names);
    char **owned = calloc(k + 1, sizeof *owned);
    for (size_t i = 0; x.ca_names && owned && i < k; i++) {
        owned[i] = NULL;
        if (asprintf(&owned[i], "%lld: %s%s", (long long)x.cas.rows[i].id, x.cas.rows[i].cn,
                     x.cas.rows[i].has_passphrase ? " (passphrase)" : "") < 0) owned[i] = NULL;
        x.ca_names[i] = owned[i] ? owned[i] : "?";
    }
    struct field f[NC_N] = {
        [NC_DESC] = { .type = F_TEXT, .label = "Description" }, [NC_TAGS] = { .type = F_TEXT, .label = "Tags (a,b)" },
        [NC_PRODUCT] = { .type = F_CHOICE, .label = "Product", .choices = x.names, .changed = nc_changed }, [NC_HOST] = { .type = F_TEXT, .label = "Host", .value = "*" },
        [NC_PASS] = { .type = F_SECRET, .label = "Passphrase" }, [NC_PASS2] = { .type = F_SECRET, .label = "Confirm" },
        [NC_CN] = { .type = F_TEXT, .label = "Common name", .changed = nc_changed }, [NC_O] = { .type = F_TEXT, .label = "Organization" }, [NC_OU] = { .type = F_TEXT, .label = "Org. unit" },
        [NC_L] = { .type = F_TEXT, .label = "Locality" }, [NC_ST] = { .type = F_TEXT, .label = "State" }, [NC_C] = { .type = F_TEXT, .label = "Country (2)" },
        [NC_FROM] = { .type = F_TEXT, .label = "Valid from" }, [NC_TO] = { .type = F_TEXT, .label = "Valid to" },
        [NC_KEY] = { .type = F_CHOICE, .label = "Key", .choices = key_types }, [NC_CA] = { .type = F_CHOICE, .label = "Signing CA", .choices = x.ca_names },
        [NC_CAPASS] = { .type = F_SECRET, .label = "CA passphrase" },
        [NC_GROUP] = { .type = F_CHOICE, .label = "Access group", .choices = x.groups, .choice = pick },
        [NC_COUNT] = { .type = F_TEXT, .label = "Count", .value = "1" },
        [NC_CSR] = { .type = F_LABEL, .label = "Save request to", .value = "(APN/ABM only)" },
    };
    struct form fm = { "New certificate", "Empty dates: from yesterday, for two years (YYYY-MM-DD)", f, NC_N,
                       "Create", nc_submit, &x, "" };
    if (!k) {                   /* only requests: the dialog starts in request mode */
        nc_changed(&fm, NC_PRODUCT, &x);
        fm.note = "No CA you may issue from (that needs Use on CAs): APN/ABM requests only";
    }
    int ok = form_run(a, &fm);
    for (int i = 0; i < NC_N; i++) if (f[i].type == F_SECRET) explicit_bzero(f[i].value, sizeof f[i].value);
    for (size_t i = 0; owned && i < k; i++) free(owned[i]);
    free(owned);
    free(x.ca_names);
    cd_ca_list_free(&x.cas);
    free(x.groups);
    cd_group_list_free(&x.gl);
    return ok;
}

/* ---- Export ------------------------------------------------------------ */

static const char *const all_formats[] = { "pfx", "base64", "pem", "chain", "der", "key", NULL };
/* for a user who may read the certificates but not use their keys */
static const char *const public_formats[] = { "pem", "chain", "der", NULL };
enum { EX_FORMAT, EX_PASS, EX_PASS2, EX_PATH, EX_N };
struct ex_ctx { const int64_t *ids; size_t n; const char *const *formats; };

/* The file name ending of each format; longest first where one ends another. */
static const struct { int fmt; const char *ext; } exts[] = {
    { CD_EXPORT_CHAIN, ".chain.pem" }, { CD_EXPORT_KEY, ".key.pem" }, { CD_EXPORT_PEM, ".pem" },
    { CD_EXPORT_PFX, ".pfx" }, { CD_EXPORT_BASE64, ".b64" }, { CD_EXPORT_DER, ".der" },
};

static const char *ext_of(int fmt)
{
    for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) if (exts[i].fmt == fmt) return exts[i].ext;
    return "";
}

/* Switching the format switches a known ending ("x.pem" -> "x.pfx"); the
 * stem the user typed stays, and a name with an ending of their own
 * ("x.crt") is left alone. */
static void ex_changed(struct form *fm, int i, void *ctx)
{
    const struct ex_ctx *x = ctx;
    if (i != EX_FORMAT || x->n != 1) return;
    char *v = fm->f[EX_PATH].value;
    size_t len = strlen(v);
    for (size_t k = 0; k < sizeof exts / sizeof exts[0]; k++) {
        size_t el = strlen(exts[k].ext);
        if (len <= el || strcmp(v + len - el, exts[k].ext) || v[len - el - 1] == '/') continue;
        const char *ne = ext_of(cd_export_parse(x->formats[fm->f[EX_FORMAT].choice]));
        if (len - el + strlen(ne) < sizeof fm->f[EX_PATH].value) strcpy(v + len - el, ne);
        return;
    }
}

static int ex_submit(struct app *a, struct form *fm, void *ctx)
{
    struct ex_ctx *x = ctx;
    struct field *f = fm->f;
    const char *fname = x->formats[f[EX_FORMAT].choice];
    int fmt = cd_export_parse(fname);
    int keyed = fmt == CD_EXPORT_PFX || fmt == CD_EXPORT_BASE64 || fmt == CD_EXPORT_KEY;
    if (!f[EX_PATH].value[0]) { snprintf(fm->err, sizeof fm->err, "a file name is needed"); return 1; }
    if (keyed && !f[EX_PASS].value[0]) {
        snprintf(fm->err, sizeof fm->err, "a passphrase protects the exported private key");
        return 1;
    }
    if (keyed && strcmp(f[EX_PASS].value, f[EX_PASS2].value)) {
        snprintf(fm->err, sizeof fm->err, "the two passphrases differ");
        return 1;
    }
    struct cd_err e = { 0 };
    int rc = 0;
    if (x->n == 1) {
        unsigned flags;
        if (form_may_write(a, fm, f[EX_PATH].value, &flags)) return 1;
        if (keyed) form_busy(a, "Protecting the private key (PBKDF2, 600,000 rounds)...");
        rc = cd_cert_export_file(a->s, a->u, x->ids[0], fmt, keyed ? f[EX_PASS].value : NULL, f[EX_PATH].value,
                                 flags, &e);
    } else {
        /* marked rows: one file each in the folder, named ID-CN.FORMAT */
        for (size_t i = 0; i < x->n && !rc; i++) {
            char msg[80], name[128], path[600];
            snprintf(msg, sizeof msg, "Exporting %zu of %zu...", i + 1, x->n);
            struct cd_cert c;
            if ((rc = cd_cert_get(a->s, a->u, x->ids[i], &c, &e))) break;
            safe_name(c.cn, name, sizeof name);
            cd_cert_clear(&c);
            snprintf(path, sizeof path, "%s/%lld-%s%s", f[EX_PATH].value, (long long)x->ids[i], name, ext_of(fmt));
            unsigned flags;
            if (form_may_write(a, fm, path, &flags)) return 1;
            form_busy(a, msg);
            rc = cd_cert_export_file(a->s, a->u, x->ids[i], fmt, keyed ? f[EX_PASS].value : NULL, path, flags, &e);
        }
    }
    if (rc) return form_fail(fm, rc, &e);
    if (x->n == 1) app_status(a, 0, "exported certificate %lld to %s (%s)", (long long)x->ids[0], f[EX_PATH].value, fname);
    else app_status(a, 0, "exported %zu certificates to %s (%s)", x->n, f[EX_PATH].value, fname);
    return 0;
}

int dlg_export(struct app *a, const int64_t *ids, size_t n, const char *cn)
{
    /* the key formats only when the core lets u use every key asked for */
    struct ex_ctx x = { ids, n, all_formats };
    int keyless = 0;
    for (size_t i = 0; i < n && x.formats == all_formats; i++) {
        struct cd_cert c;
        struct cd_err e = { 0 };
        if (cd_cert_get(a->s, a->u, ids[i], &c, &e)) continue;     /* the export itself will say why */
        /* no key in the store (a signed CSR, an import): the core says so in has_key */
        keyless = !c.has_key;
        if (keyless || !cd_user_may(a->s, a->u, CD_ACT_CERT_EXPORT_KEY, c.group, NULL, 0)) x.formats = public_formats;
        cd_cert_clear(&c);
    }
    const char *const *formats = x.formats;
    struct field f[EX_N] = {
        [EX_FORMAT] = { .type = F_CHOICE, .label = "Format", .choices = formats, .changed = ex_changed },
        [EX_PASS] = { .type = F_SECRET, .label = "Passphrase" }, [EX_PASS2] = { .type = F_SECRET, .label = "Confirm" },
        [EX_PATH] = { .type = F_TEXT, .label = n == 1 ? "Save to" : "Into folder" },
    };
    char name[128];
    safe_name(cn, name, sizeof name);
    if (n == 1) snprintf(f[EX_PATH].value, sizeof f[EX_PATH].value, "%s%s", name, ext_of(cd_export_parse(formats[0])));
    else snprintf(f[EX_PATH].value, sizeof f[EX_PATH].value, ".");
    char title[64];
    if (n == 1) snprintf(title, sizeof title, "Export certificate %lld", (long long)ids[0]);
    else snprintf(title, sizeof title, "Export %zu marked certificates", n);
    struct form fm = { title, formats == all_formats ? ".pfx/Base64/key need a passphrase; files are written 0600"
                                   : keyless ? "certificates only: no private key in the store"
                                             : "certificates only: you may not use these private keys",
                       f, EX_N,
                       "Export", ex_submit, &x, "" };
    int ok = form_run(a, &fm);
    explicit_bzero(f[EX_PASS].value, sizeof f[EX_PASS].value);
    explicit_bzero(f[EX_PASS2].value, sizeof f[EX_PASS2].value);
    return ok;
}

/* ---- Revoke ------------------------------------------------------------ */

static const char *const reasons[] = { "unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
                                       "superseded", "cessationOfOperation", "privilegeWithdrawn", NULL };
enum { RV_WHAT, RV_REASON, RV_CONFIRM, RV_N };
struct rv_ctx { const int64_t *ids; size_t n; int64_t in_use; };

static int rv_submit(struct app *a, struct form *fm, void *ctx)
{
    struct rv_ctx *x = ctx;
    if (x->in_use && strcmp(fm->f[RV_CONFIRM].value, "REVOKE")) {
        snprintf(fm->err, sizeof fm->err, "in use by %lld clients: type REVOKE to confirm", (long long)x->in_use);
        return 1;
    }
    struct cd_err e = { 0 };
    int r = cd_reason_parse(reasons[fm->f[RV_REASON].choice]);
    int rc = cd_cert_revoke(a->s, a->u, x->ids, x->n, r, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "revoked %zu certificate%s (%s)", x->n, x->n == 1 ? "" : "s", reasons[fm->f[RV_REASON].choice]);
    return 0;
}

int dlg_revoke(struct app *a, const int64_t *ids, size_t n, const char *reason)
{
    int pick = 0;
    if (reason) {
        /* the core's names (any case, "did you mean"), then the dialog's own choices */
        int r = cd_reason_parse(reason);
        while (r >= 0 && reasons[pick] && strcmp(reasons[pick], cd_reason_name(r))) pick++;
        if (r < 0 || !reasons[pick]) {
            struct cd_err ne = { 0 };
            size_t nn;
            const char *const *names = cd_names(CD_NAMES_REASON, &nn);
            app_fail(a, cd_name_error(&ne, "reason", reason, names, nn), &ne);
            return 0;
        }
    }
    struct rv_ctx x = { ids, n, 0 };
    struct cd_err e = { 0 };
    for (size_t i = 0; i < n; i++) {
        int64_t u = 0;
        if (cd_cert_usage_count(a->s, a->u, ids[i], &u, &e) == CD_OK) x.in_use += u;
    }
    struct field f[RV_N] = {
        [RV_WHAT] = { .type = F_LABEL, .label = "Revoke" }, [RV_REASON] = { .type = F_CHOICE, .label = "Reason", .choices = reasons, .choice = pick },
        [RV_CONFIRM] = { .type = x.in_use ? F_TEXT : F_LABEL, .label = x.in_use ? "Type REVOKE" : "" },
    };
    if (n == 1) snprintf(f[RV_WHAT].value, sizeof f[RV_WHAT].value, "certificate %lld", (long long)ids[0]);
    else snprintf(f[RV_WHAT].value, sizeof f[RV_WHAT].value, "%zu marked certificates", n);
    char note[160] = "Revocation is permanent: it cannot be undone.";
    if (x.in_use)
        snprintf(note, sizeof note, "Permanent. Still in use: %lld client%s seen in the last %d days.", (long long)x.in_use,
                 x.in_use == 1 ? "" : "s", CD_USAGE_RECENT_DAYS);
    struct form fm = { "Revoke", note, f, RV_N, "Revoke", rv_submit, &x, "" };
    /* keys typed before the dialog was drawn must not answer it (a queued
     * Enter would revoke for good): a permanent step starts from no typeahead */
    flushinp();
    return form_run(a, &fm);
}
