/* certdeck console — renewing: the Renew dialog (N on the certificate
 * screen: the current row or the marked rows, from the same or another CA,
 * same key or a new one, a lifetime), the offer to revoke a replaced
 * certificate as superseded once its renewal is seen in use, and the CA
 * rollover (N on the CA screen).  The rules (what may be renewed, by whom)
 * are the core's (certdeck/lifecycle.h); its refusals are shown as they come. */
#include <curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

/* Rows carry the product's label ("APN"). */
static int cert_product(const struct cd_cert *c)
{
    for (int p = 0; p < CD_PRODUCT_COUNT; p++)
        if (!strcmp(cd_product_label(p), c->product) || !strcmp(cd_product_name(p), c->product)) return p;
    return -1;
}

/* the core says which products Apple signs */
int cert_external(const struct cd_cert *c) { return cd_product_external(cert_product(c)); }

/* "ids 101-112" when consecutive, else the first few. */
static void id_span(const int64_t *ids, size_t n, char *out, size_t sz)
{
    int run = 1;
    for (size_t i = 1; i < n; i++) run = run && ids[i] == ids[i - 1] + 1;
    if (n == 1) { snprintf(out, sz, "id %lld", (long long)ids[0]); return; }
    if (run) { snprintf(out, sz, "ids %lld-%lld", (long long)ids[0], (long long)ids[n - 1]); return; }
    size_t l = (size_t)snprintf(out, sz, "ids");
    for (size_t i = 0; i < n && i < 6 && l < sz; i++) l += (size_t)snprintf(out + l, sz - l, " %lld", (long long)ids[i]);
    if (n > 6 && l < sz) snprintf(out + l, sz - l, " ...");
}

/* ---- Renew ------------------------------------------------------------- */

enum { RN_WHAT, RN_CA, RN_KEY, RN_DAYS, RN_CAPASS, RN_N };
static const char *const key_choices[] = { "a new key of the same type", "the same key", NULL };

struct rn_ctx {
    const int64_t *ids;
    size_t n;
    struct cd_ca_list cas;       /* the CAs the user may issue from */
    const char **names;          /* "same CA" then one per CA */
    int own_needs_pass;          /* a row's own CA has a passphrase */
};

/* The passphrase field is there only when the chosen CA (or, for "same
 * CA", one of the rows' own) keeps its key under one. */
static void rn_changed(struct form *fm, int i, void *ctx)
{
    struct rn_ctx *x = ctx;
    if (i != RN_CA) return;
    int pick = fm->f[RN_CA].choice;
    int need = pick == 0 ? x->own_needs_pass : x->cas.rows[pick - 1].has_passphrase;
    struct field *f = &fm->f[RN_CAPASS];
    f->type = need ? F_SECRET : F_LABEL;
    if (need) f->value[0] = 0;
    else snprintf(f->value, sizeof f->value, "(not needed)");
}

static int rn_submit(struct app *a, struct form *fm, void *ctx)
{
    struct rn_ctx *x = ctx;
    struct field *f = fm->f;
    struct cd_renew_params p = { .same_key = f[RN_KEY].choice == 1 };
    if (f[RN_CA].choice > 0) p.ca_id = x->cas.rows[f[RN_CA].choice - 1].id;
    if (f[RN_CAPASS].type == F_SECRET) {
        if (!f[RN_CAPASS].value[0]) { snprintf(fm->err, sizeof fm->err, "the CA's key has a passphrase: type it"); return 1; }
        p.ca_passphrase = f[RN_CAPASS].value;
    }
    if (f[RN_DAYS].value[0]) {
        char *end;
        long d = strtol(f[RN_DAYS].value, &end, 10);
        if (*end || d < 1 || d > 1000000) {
            snprintf(fm->err, sizeof fm->err, "days: a number, or empty for the old lifetime");
            return 1;
        }
        p.days = (int)d;
    }
    int64_t *nids = calloc(x->n, sizeof *nids);
    if (!nids) { snprintf(fm->err, sizeof fm->err, "out of memory"); return 1; }
    struct form_progress pr = { a, "Renewing" };
    form_busy(a, x->n > 1 ? "Renewing certificates..." : "Renewing...");
    struct cd_err e = { 0 };
    int rc = cd_cert_renew(a->s, a->u, &p, x->ids, x->n, form_progress, &pr, nids, &e);
    if (!rc) {
        char span[120];
        id_span(nids, x->n, span, sizeof span);
        app_status(a, 0, "renewed %zu certificate%s: %s; the old ones stay valid until revoked (superseded)", x->n,
                   x->n == 1 ? "" : "s", span);
    }
    free(nids);
    return rc ? form_fail(fm, rc, &e) : 0;
}

/* An APN/ABM row is renewed by a new request to Apple (dlg_request). */
static int renew_external(struct app *a, const int64_t *ids, size_t n)
{
    struct cd_cert c;
    struct cd_err e = { 0 };
    int ext = 0, rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        if ((rc = cd_cert_get(a->s, a->u, ids[i], &c, &e))) break;
        if (cert_external(&c)) ext++;
        cd_cert_clear(&c);
    }
    if (rc || !ext) return -1;                  /* the renew call will say what is wrong */
    if (n > 1) {
        app_status(a, 1, "APN/ABM certificates are renewed one at a time, by a new request (N on the row)");
        return 0;
    }
    if ((rc = cd_cert_get(a->s, a->u, ids[0], &c, &e))) { app_fail(a, rc, &e); return 0; }
    int ok = dlg_request(a, cert_product(&c), c.group, c.id);
    cd_cert_clear(&c);
    return ok;
}

int dlg_renew(struct app *a, const int64_t *ids, size_t n)
{
    int ext = renew_external(a, ids, n);
    if (ext >= 0) return ext;
    struct rn_ctx x = { .ids = ids, .n = n };
    struct cd_err e = { 0 };
    struct cd_query q = { 0 };
    int rc = cd_ca_list(a->s, a->u, &q, &x.cas, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    /* the rows' own CAs: is a passphrase needed for "same CA"? */
    for (size_t i = 0; i < n && !x.own_needs_pass; i++) {
        struct cd_cert c;
        if (cd_cert_get(a->s, a->u, ids[i], &c, &e)) continue;      /* the renew call will say why */
        for (size_t k = 0; k < x.cas.n; k++)
            if (x.cas.rows[k].id == c.ca_id && x.cas.rows[k].has_passphrase) x.own_needs_pass = 1;
        cd_cert_clear(&c);
    }
    /* "another CA": those that can sign and that the user may issue from */
    issuing_cas(a, &x.cas);
    size_t k = x.cas.n;
    x.names = calloc(k + 2, sizeof *x.names);
    char **owned = calloc(k + 1, sizeof *owned);
    if (!x.names || !owned) { free(x.names); free(owned); cd_ca_list_free(&x.cas); app_status(a, 1, "out of memory"); return 0; }
    x.names[0] = "the same CA (each certificate's own)";
    for (size_t i = 0; i < k; i++) {
        if (asprintf(&owned[i], "%lld: %s%s", (long long)x.cas.rows[i].id, x.cas.rows[i].cn,
                     x.cas.rows[i].has_passphrase ? " (passphrase)" : "") < 0) owned[i] = NULL;
        x.names[i + 1] = owned[i] ? owned[i] : "?";
    }
    struct field f[RN_N] = {
        [RN_WHAT] = { .type = F_LABEL, .label = "Renew" },
        [RN_CA] = { .type = F_CHOICE, .label = "Signing CA", .choices = x.names, .changed = rn_changed },
        [RN_KEY] = { .type = F_CHOICE, .label = "Key", .choices = key_choices },
        [RN_DAYS] = { .type = F_TEXT, .label = "Days" },
        [RN_CAPASS] = { .type = F_SECRET, .label = "CA passphrase" },
    };
    if (n == 1) snprintf(f[RN_WHAT].value, sizeof f[RN_WHAT].value, "certificate %lld", (long long)ids[0]);
    else snprintf(f[RN_WHAT].value, sizeof f[RN_WHAT].value, "%zu certificates", n);
    struct form fm = { n == 1 ? "Renew certificate" : "Renew certificates",
                       "Empty days: the old lifetime. The old ones stay valid until revoked (superseded)", f, RN_N,
                       "Renew", rn_submit, &x, "" };
    rn_changed(&fm, RN_CA, &x);
    int ok = form_run(a, &fm);
    explicit_bzero(f[RN_CAPASS].value, sizeof f[RN_CAPASS].value);
    for (size_t i = 0; i < k; i++) free(owned[i]);
    free(owned);
    free(x.names);
    cd_ca_list_free(&x.cas);
    return ok;
}

/* Every row q shows (":cert renew": a filter's worth, not only marked rows),
 * read in pages; then the Renew dialog for all of them. */
int renew_shown(struct app *a, const struct cd_query *q)
{
    struct cd_query pq = *q;
    struct cd_err e = { 0 };
    int64_t *ids = NULL;
    size_t n = 0, cap = 0;
    int rc = 0, ok = 0;
    pq.limit = 1000;
    for (pq.offset = 0;; pq.offset += pq.limit) {
        struct cd_cert_list l;
        if ((rc = cd_cert_list(a->s, a->u, &pq, &l, &e))) break;
        if (n + l.n > cap) {
            size_t ncap = (n + l.n) * 2;
            int64_t *p = realloc(ids, ncap * sizeof *p);
            if (!p) { cd_cert_list_free(&l); rc = CD_E_NOMEM; break; }
            ids = p;
            cap = ncap;
        }
        for (size_t i = 0; i < l.n; i++) ids[n++] = l.rows[i].id;
        size_t got = l.n;
        cd_cert_list_free(&l);
        if ((int64_t)got < pq.limit) break;
    }
    if (rc) app_fail(a, rc, &e);
    else if (!n) app_status(a, 1, "no certificate shown to renew");
    else ok = dlg_renew(a, ids, n);
    free(ids);
    return ok;
}

/* ---- superseded -------------------------------------------------------- */

/* The clients that used c's renewal lately; 0 when c is not replaced,
 * already revoked, or the renewal is not in use yet. */
static int64_t renewal_in_use(struct app *a, const struct cd_cert *c)
{
    int64_t uses = 0;
    struct cd_err e = { 0 };
    if (!c->replaced_by || c->state == CD_STATE_REVOKED) return 0;
    if (cd_cert_usage_count(a->s, a->u, c->replaced_by, &uses, &e)) return 0;
    return uses;
}

void renew_describe(struct app *a, const struct cd_cert *c, char *out, size_t n)
{
    out[0] = 0;
    if (!c->replaced_by) return;
    int64_t uses = renewal_in_use(a, c);
    char k[16];
    if (uses)
        snprintf(out, n, "cert %lld, seen in use by %lld client%s: %s revokes this one as superseded",
                 (long long)c->replaced_by, (long long)uses, uses == 1 ? "" : "s", key_hint(REQ_REVOKE, k, sizeof k));
    else if (c->state != CD_STATE_REVOKED)
        snprintf(out, n, "cert %lld, not seen in use yet (revoke this one once it is)", (long long)c->replaced_by);
    else
        snprintf(out, n, "cert %lld", (long long)c->replaced_by);
}

/* A y/N question on the status line: one key answers it. */
static int ask_yn(struct app *a, const char *question)
{
    app_status(a, 0, "%s [y/N]", question);
    app_redraw(a);
    flushinp();                 /* typeahead does not answer it */
    int ch;
    while ((ch = app_getch()) == ERR || ch == KEY_RESIZE) app_redraw(a);
    a->status[0] = 0;
    return ch == 'y' || ch == 'Y';
}

int renew_offer_superseded(struct app *a, const struct cd_cert *c, int quiet)
{
    int64_t uses = renewal_in_use(a, c);
    if (!uses) {
        if (quiet) return 0;
        if (c->replaced_by && c->state != CD_STATE_REVOKED)
            app_status(a, 1, "certificate %lld's renewal (cert %lld) is not seen in use yet", (long long)c->id,
                       (long long)c->replaced_by);
        else
            app_status(a, 1, "certificate %lld is not replaced by a renewal in use", (long long)c->id);
        return 0;
    }
    /* asked once a session when opening the row; R in its details asks again */
    static int64_t asked[64];
    static size_t nasked;
    if (quiet) {
        for (size_t i = 0; i < nasked && i < 64; i++) if (asked[i] == c->id) return 0;
        asked[nasked++ % 64] = c->id;
    }
    if (!app_allowed(a, REQ_REVOKE, CD_KIND_CERT, c->group, !quiet)) return 0;
    struct cd_err e = { 0 };
    int64_t own = 0;
    cd_cert_usage_count(a->s, a->u, c->id, &own, &e);
    char q[300], still[80] = "";
    if (own) snprintf(still, sizeof still, " (cert %lld itself: %lld client%s lately)", (long long)c->id, (long long)own,
                      own == 1 ? "" : "s");
    snprintf(q, sizeof q, "cert %lld is replaced by cert %lld, seen in use by %lld client%s%s: revoke %lld as superseded?",
             (long long)c->id, (long long)c->replaced_by, (long long)uses, uses == 1 ? "" : "s", still, (long long)c->id);
    if (!ask_yn(a, q)) { app_status(a, 0, "certificate %lld not revoked", (long long)c->id); return 0; }
    int rc = cd_cert_revoke(a->s, a->u, &c->id, 1, cd_reason_parse("superseded"), &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    app_status(a, 0, "revoked certificate %lld (superseded by cert %lld)", (long long)c->id, (long long)c->replaced_by);
    return 1;
}

/* ---- one row's keys ---------------------------------------------------- */

int cert_action(struct app *a, int req, int64_t id)
{
    struct cd_cert c;
    struct cd_err e = { 0 };
    int rc = cd_cert_get(a->s, a->u, id, &c, &e), changed = 0;
    if (rc) { app_fail(a, rc, &e); return 0; }
    char k[16];
    switch (req) {
    case REQ_REVOKE:
        if (renewal_in_use(a, &c)) changed = renew_offer_superseded(a, &c, 0);
        else changed = app_allowed(a, REQ_REVOKE, CD_KIND_CERT, c.group, 1) && dlg_revoke(a, &id, 1, NULL);
        break;
    case REQ_RENEW:
        changed = app_allowed(a, REQ_RENEW, CD_KIND_CERT, c.group, 1) && dlg_renew(a, &id, 1);
        break;
    case REQ_CSR: case REQ_SIGNED:
        /* I changes the store: a read-only one or a missing right says so first */
        if (req == REQ_SIGNED && !app_allowed(a, req, CD_KIND_CERT, c.group, 1)) break;
        if (c.state != CD_STATE_PENDING) {
            app_status(a, 1, "certificate %lld is not a pending APN/ABM request (%s: on a pending row)", (long long)id,
                       key_hint(req, k, sizeof k));
            break;
        }
        if (req == REQ_CSR) dlg_save_csr(a, id, c.cn);
        else changed = dlg_import_signed(a, id);
        break;
    }
    cd_cert_clear(&c);
    return changed;
}

/* ---- CA rollover ------------------------------------------------------- */

enum { RO_OLD, RO_CN, RO_KEY, RO_DAYS, RO_PASS, RO_PASS2, RO_N };
struct ro_ctx { const struct cd_ca *old; int64_t valid; };

static int ro_submit(struct app *a, struct form *fm, void *ctx)
{
    struct ro_ctx *x = ctx;
    struct field *f = fm->f;
    if (strcmp(f[RO_PASS].value, f[RO_PASS2].value)) {
        snprintf(fm->err, sizeof fm->err, "the two passphrases differ");
        return 1;
    }
    struct cd_ca_params p = { .subject = { .cn = f[RO_CN].value }, .keytype = f[RO_KEY].choice,
                              .passphrase = f[RO_PASS].value[0] ? f[RO_PASS].value : NULL };
    if (f[RO_DAYS].value[0]) {
        char *end;
        long d = strtol(f[RO_DAYS].value, &end, 10);
        if (*end || d < 1 || d > 1000000) { snprintf(fm->err, sizeof fm->err, "days: a number, or empty for ten years"); return 1; }
        p.days = (int)d;
    }
    char q[160];
    snprintf(q, sizeof q, "Reissue %lld valid certificate%s of CA %lld under the new CA \"%.30s\"?", (long long)x->valid,
             x->valid == 1 ? "" : "s", (long long)x->old->id, f[RO_CN].value);
    if (!form_confirm(a, "Roll over the CA", q, "Roll over")) { snprintf(fm->err, sizeof fm->err, "not rolled over"); return 1; }
    struct form_progress pr = { a, "Reissuing" };
    form_busy(a, "Making the new CA and reissuing...");
    struct cd_err e = { 0 };
    int64_t nca = 0;
    size_t reissued = 0;
    int rc = cd_ca_rollover(a->s, a->u, x->old->id, &p, form_progress, &pr, &nca, &reissued, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "CA %lld succeeds CA %lld; %zu certificate%s reissued", (long long)nca, (long long)x->old->id,
               reissued, reissued == 1 ? "" : "s");
    return 0;
}

/* The valid certificates of a CA, as the confirmation says (the core's
 * count of what it reissued is in the result). */
static int64_t ca_valid_certs(struct app *a, const struct cd_ca *ca)
{
    char expr[600], *cn = ca->cn;
    size_t l = (size_t)snprintf(expr, sizeof expr, "ca:\"");
    for (; *cn && l + 40 < sizeof expr; cn++) {
        if (*cn == '"' || *cn == '\\') expr[l++] = '\\';
        expr[l++] = *cn;
    }
    snprintf(expr + l, sizeof expr - l, "\" and not status:expired");
    struct cd_query q = { .filter = expr };
    struct cd_err e = { 0 };
    int64_t n = 0;
    if (cd_cert_count(a->s, a->u, &q, &n, &e)) n = 0;
    return n;
}

int dlg_rollover(struct app *a, int64_t ca_id)
{
    struct cd_ca ca;
    struct cd_err e = { 0 };
    int rc = cd_ca_get(a->s, a->u, ca_id, &ca, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    struct ro_ctx x = { &ca, ca_valid_certs(a, &ca) };
    /* the old CA's key type first (the core maps its label); EC P-256 else */
    int kt = cd_keytype_of_label(ca.key_alg);
    struct field f[RO_N] = {
        [RO_OLD] = { .type = F_LABEL, .label = "Roll over" },
        [RO_CN] = { .type = F_TEXT, .label = "New CA's name (CN)" },
        [RO_KEY] = { .type = F_CHOICE, .label = "Key", .choices = key_types, .choice = kt < 0 ? CD_KEY_EC256 : kt },
        [RO_DAYS] = { .type = F_TEXT, .label = "Days" },
        [RO_PASS] = { .type = F_SECRET, .label = "Passphrase" }, [RO_PASS2] = { .type = F_SECRET, .label = "Confirm" },
    };
    snprintf(f[RO_OLD].value, sizeof f[RO_OLD].value, "CA %lld: %lld valid certificate%s to reissue", (long long)ca_id,
             (long long)x.valid, x.valid == 1 ? "" : "s");
    snprintf(f[RO_CN].value, sizeof f[RO_CN].value, "%s", ca.cn);
    char note[120];
    snprintf(note, sizeof note, "Empty days: ten years; no passphrase: the store key protects the new key");
    struct form fm = { "CA rollover", note, f, RO_N, "Roll over", ro_submit, &x, "" };
    int ok = form_run(a, &fm);
    explicit_bzero(f[RO_PASS].value, sizeof f[RO_PASS].value);
    explicit_bzero(f[RO_PASS2].value, sizeof f[RO_PASS2].value);
    cd_ca_clear(&ca);
    return ok;
}
