/* certdeck console — certificates Apple signs (APN, ABM): a request made
 * here (the New certificate dialog in request mode, or N on such a row: a
 * renewal), its CSR written to a file for Apple's portal, written again
 * from a pending row (W), and the signed certificate imported (I).  The
 * core keeps the key and checks that the certificate Apple returns is for
 * it (certdeck/lifecycle.h); its refusals are shown as they come. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tui.h"

/* "<cn>.csr", the CN made a safe file name. */
void request_path(const char *cn, char *out, size_t n)
{
    char stem[128];
    safe_name(cn, stem, sizeof stem);
    snprintf(out, n, "%s.csr", stem);
}

int request_submit(struct app *a, struct form *fm, const struct cd_cert_params *p, int64_t replaces, const char *path)
{
    if (!path[0]) { snprintf(fm->err, sizeof fm->err, "a file name for the request is needed"); return 1; }
    unsigned flags;
    /* asked before the request is made: a file refused now makes no pending row */
    if (form_may_write(a, fm, path, &flags)) return 1;
    form_busy(a, "Making the key and the request...");
    struct cd_err e = { 0 };
    int64_t id = 0;
    char *csr = NULL;
    size_t len = 0;
    int rc = cd_cert_request(a->s, a->u, p, replaces, &id, &csr, &len, &e);
    if (rc) return form_fail(fm, rc, &e);
    rc = cd_write_file(a->s, path, csr, len, flags, &e);
    free(csr);
    char k[16];
    key_hint(REQ_CSR, k, sizeof k);
    if (rc) {
        /* the pending row is made: the request can be saved again */
        app_status(a, 1, "request made (certificate %lld, pending) but not written: %s; %s on the row saves it again",
                   (long long)id, cd_errmsg(&e, rc), k);
        return 0;
    }
    char r[40] = "";
    if (replaces) snprintf(r, sizeof r, ", renewing certificate %lld", (long long)replaces);
    app_status(a, 0, "certificate %lld pending%s: request written to %s; take it to Apple's portal, then %s imports the "
               "signed certificate", (long long)id, r, path, key_hint(REQ_SIGNED, k, sizeof k));
    return 0;
}

/* ---- a renewal: a new request for the same subject -------------------- */

enum { RQ_WHAT, RQ_KEY, RQ_PATH, RQ_N };
struct rq_ctx { const struct cd_cert *old; int product; };

static int rq_submit(struct app *a, struct form *fm, void *ctx)
{
    struct rq_ctx *x = ctx;
    char tagbuf[256];
    const char *tags[33];
    struct cd_cert_params p = {
        .product = x->product, .subject = { .cn = x->old->cn }, .description = x->old->description,
        .group = x->old->group,
        .tags = nc_tags(x->old->tags ? x->old->tags : "", tagbuf, sizeof tagbuf, tags), .keytype = fm->f[RQ_KEY].choice,
    };
    return request_submit(a, fm, &p, x->old->id, fm->f[RQ_PATH].value);
}

int dlg_request(struct app *a, int product, const char *group, int64_t replaces)
{
    (void)group;                 /* the renewal keeps the old row's group */
    struct cd_cert old;
    struct cd_err e = { 0 };
    int rc = cd_cert_get(a->s, a->u, replaces, &old, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    struct rq_ctx x = { &old, product };
    int kt = cd_keytype_of_label(old.key_alg);          /* the old key's type, as cert request-renew keeps it */
    struct field f[RQ_N] = {
        [RQ_WHAT] = { .type = F_LABEL, .label = "Renew" },
        [RQ_KEY] = { .type = F_CHOICE, .label = "Key", .choices = key_types, .choice = kt < 0 ? CD_KEY_RSA2048 : kt },
        [RQ_PATH] = { .type = F_TEXT, .label = "Save request to" },
    };
    snprintf(f[RQ_WHAT].value, sizeof f[RQ_WHAT].value, "%s certificate %lld by a new request", cd_product_label(product),
             (long long)replaces);
    request_path(old.cn, f[RQ_PATH].value, sizeof f[RQ_PATH].value);
    struct form fm = { "Renew (Apple signs it)", "A new key and request (PKCS#10); Apple's portal signs it", f, RQ_N,
                       "Make request", rq_submit, &x, "" };
    int ok = form_run(a, &fm);
    cd_cert_clear(&old);
    return ok;
}

/* ---- a pending row: the request again, the signed certificate --------- */

/* The request, read before the dialog opens (a store that cannot give it
 * says why at once); writing it is a read of the store, so W works on a
 * read-only store as Export does. */
struct csr_ctx { int64_t id; char *pem; size_t len; };

static int csr_submit(struct app *a, struct form *fm, void *ctx)
{
    struct csr_ctx *x = ctx;
    unsigned flags;
    if (!fm->f[0].value[0]) { snprintf(fm->err, sizeof fm->err, "a file name is needed"); return 1; }
    if (form_may_write(a, fm, fm->f[0].value, &flags)) return 1;
    struct cd_err e = { 0 };
    int rc = cd_write_file(a->s, fm->f[0].value, x->pem, x->len, flags, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "request of certificate %lld written to %s", (long long)x->id, fm->f[0].value);
    return 0;
}

int dlg_save_csr(struct app *a, int64_t id, const char *cn)
{
    struct csr_ctx x = { id, NULL, 0 };
    struct cd_err e = { 0 };
    int rc = cd_cert_csr(a->s, a->u, id, &x.pem, &x.len, &e);
    if (rc) { app_fail(a, rc, &e); return 0; }
    struct field f[1] = { { .type = F_TEXT, .label = "Save request to" } };
    request_path(cn, f[0].value, sizeof f[0].value);
    char title[64];
    snprintf(title, sizeof title, "Request of certificate %lld", (long long)id);
    struct form fm = { title, "PKCS#10, PEM: the request to take to Apple's portal", f, 1, "Save", csr_submit, &x, "" };
    int ok = form_run(a, &fm);
    free(x.pem);
    return ok;
}

static int signed_submit(struct app *a, struct form *fm, void *ctx)
{
    int64_t id = *(int64_t *)ctx;
    unsigned char buf[65536];
    size_t n;
    if (form_read_file(fm, fm->f[0].value, buf, sizeof buf, &n)) return 1;
    form_busy(a, "Checking the certificate...");
    struct cd_err e = { 0 };
    int rc = cd_cert_import_signed(a->s, a->u, id, buf, n, &e);
    if (rc) return form_fail(fm, rc, &e);
    app_status(a, 0, "certificate %lld completed with the signed certificate from %s", (long long)id, fm->f[0].value);
    return 0;
}

int dlg_import_signed(struct app *a, int64_t id)
{
    struct field f[1] = { { .type = F_TEXT, .label = "Signed certificate" } };
    char title[64];
    snprintf(title, sizeof title, "Import signed certificate %lld", (long long)id);
    struct form fm = { title, "PEM or DER from Apple's portal; its key must be the request's", f, 1, "Import",
                       signed_submit, &id, "" };
    return form_run(a, &fm);
}
