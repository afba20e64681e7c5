/* certdeck core — CRLs in the sqlite backend: signing one (the operator's
 * `certdeck crl`), keeping the last one signed per CA (table crls, schema 8)
 * as the CA's current CRL, signing a new one after a revocation, and
 * serving the current ones (certdeckd's GET /crl/N.crl and the check-in's
 * list of CRLs).
 *
 * A CA whose key is sealed under the store key gets a new CRL as soon as
 * one of its certificates is revoked, and whenever its current one has run
 * out or is marked stale (a revocation whose CRL could not be signed).  A
 * CA whose key has a passphrase keeps the CRL its operator last signed: the
 * server never holds that passphrase.  The DER encoding is crl.c's. */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"

/* The validity of a CRL signed without an operator (after a revocation, or
 * on demand): cd_crl's default. */
#define AUTO_DAYS 7

/* Acts with every right, for signing done on the store's own behalf; the
 * audit record names who caused it. */
static cd_user *owner(cd_user *buf, const char *name)
{
    memset(buf, 0, sizeof *buf);
    buf->name = (char *)name;
    buf->admin = 1;
    buf->home_group = 1;
    return buf;
}

struct signed_crl { gnutls_datum_t der; int64_t number, this_update, next_update; size_t revoked; };

/* Inside the caller's transaction: signs a CRL of ca_id as u (Use on the
 * CA; its passphrase when it has one) listing every revoked certificate of
 * the CA, and stores it as the CA's current CRL. */
static int sign_tx(struct sq *sq, const cd_user *u, int64_t ca_id, const char *pass, int days,
                   struct signed_crl *out, struct cd_err *err)
{
    gnutls_x509_crt_t ca = NULL;
    gnutls_x509_privkey_t key = NULL;
    struct cdi_crl_entry *e = NULL;
    size_t n = 0, cap = 0;
    sqlite3_stmt *st = NULL;
    int64_t now = cdi_now();
    memset(out, 0, sizeof *out);
    int rc = sq_ca_load(sq, u, ca_id, pass, CD_RIGHT_USE, &ca, &key, err);
    if (rc) return rc;
    if ((rc = sq_prep(sq, "SELECT serial, revoked_at, revoke_reason FROM certs WHERE ca_id = ? AND"
                          " revoked_at <> 0 ORDER BY id", &st, err))) goto out;
    sqlite3_bind_int64(st, 1, ca_id);
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cdi_crl_entry *x = cdi_grow(&e, n, &cap, sizeof *x);
        if (!x) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
        if (cdi_hex_decode((const char *)sqlite3_column_text(st, 0), x->serial, sizeof x->serial,
                           &x->serial_len) || !x->serial_len) continue;
        x->when = sqlite3_column_int64(st, 1);
        x->reason = sqlite3_column_int(st, 2);
        n++;
    }
    /* a CRL cut short by a failing read would leave revoked serials out */
    if ((rc = sq_done(sq, r, "CRL", err))) goto out;
    sqlite3_finalize(st);
    st = NULL;
    if ((rc = sq_prep(sq, "UPDATE cas SET crl_number = crl_number + 1 WHERE id = ? RETURNING crl_number", &st, err)))
        goto out;
    sqlite3_bind_int64(st, 1, ca_id);
    if (sqlite3_step(st) == SQLITE_ROW) out->number = sqlite3_column_int64(st, 0);
    else { rc = sq_dberr(sq, err, "CRL number"); goto out; }
    sqlite3_finalize(st);
    st = NULL;
    out->this_update = now;
    out->next_update = now + (int64_t)days * 86400;
    out->revoked = n;
    if ((rc = cdi_pki_crl(ca, key, e, n, out->number, now, out->next_update, &out->der, err))) goto out;
    if ((rc = sq_prep(sq, "INSERT OR REPLACE INTO crls(ca_id, number, this_update, next_update, der, stale)"
                          " VALUES(?,?,?,?,?,0)", &st, err))) goto out;
    sqlite3_bind_int64(st, 1, ca_id);
    sqlite3_bind_int64(st, 2, out->number);
    sqlite3_bind_int64(st, 3, out->this_update);
    sqlite3_bind_int64(st, 4, out->next_update);
    sqlite3_bind_blob(st, 5, out->der.data, (int)out->der.size, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "CRL");
out:
    sqlite3_finalize(st);
    free(e);
    if (rc) { gnutls_free(out->der.data); out->der.data = NULL; out->der.size = 0; }
    if (key) gnutls_x509_privkey_deinit(key);
    if (ca) gnutls_x509_crt_deinit(ca);
    return rc;
}

static void crl_detail(char *buf, size_t n, const struct signed_crl *c, const char *why)
{
    snprintf(buf, n, "CRL %lld, %zu revoked%s", (long long)c->number, c->revoked, why ? why : "");
}

static int mirror_crl(struct sq *sq, int64_t ca_id, int pem, unsigned char **out, size_t *len, struct cd_err *err);

int sq_crl(cd_store *s, const cd_user *u, int64_t ca_id, const char *pass, int days, int pem,
           unsigned char **out, size_t *len, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct signed_crl c = { 0 };
    gnutls_datum_t txt = { 0 };
    char obj[32], detail[96] = "";
    snprintf(obj, sizeof obj, "ca %lld", (long long)ca_id);
    *out = NULL;
    *len = 0;
    if (sq->mirror) return mirror_crl(sq, ca_id, pem, out, len, err);
    int rc = sq_begin(sq, err);
    if (!rc) rc = sign_tx(sq, u, ca_id, pass, days, &c, err);
    if (!rc && pem) {
        int gt = gnutls_pem_base64_encode2("X509 CRL", &c.der, &txt);
        if (gt < 0) rc = cdi_fail(err, CD_E_CRYPTO, "CRL: %s", gnutls_strerror(gt));
    }
    gnutls_datum_t *res = pem ? &txt : &c.der;
    if (!rc && !(*out = malloc(res->size ? res->size : 1))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (!rc) { memcpy(*out, res->data, res->size); *len = res->size; }
    crl_detail(detail, sizeof detail, &c, NULL);
    rc = sq_finish(sq, u, rc, "Publish CRL", obj, detail, err);
    if (rc) { free(*out); *out = NULL; *len = 0; }
    gnutls_free(c.der.data);
    gnutls_free(txt.data);
    return rc;
}

int sq_crl_mark_stale(struct sq *sq, int64_t ca_id, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "UPDATE crls SET stale = 1 WHERE ca_id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, ca_id);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "CRL");
    sqlite3_finalize(st);
    return rc;
}

static int key_prot(struct sq *sq, int64_t ca_id, int *prot, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT key_prot FROM cas WHERE id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, ca_id);
    if (sqlite3_step(st) == SQLITE_ROW) *prot = sqlite3_column_int(st, 0);
    else rc = sq_missing(err, CD_KIND_CA, ca_id);
    sqlite3_finalize(st);
    return rc;
}

/* Signs and stores a CRL of a store-key CA in a transaction of its own,
 * audited under `who` with `why` in the detail. */
static int sign_own(struct sq *sq, const cd_user *who, int64_t ca_id, const char *why, struct signed_crl *c,
                    struct cd_err *err)
{
    cd_user sys;
    char obj[32], detail[128] = "";
    snprintf(obj, sizeof obj, "ca %lld", (long long)ca_id);
    int rc = sq_begin(sq, err);
    if (!rc) rc = sign_tx(sq, owner(&sys, who->name), ca_id, NULL, AUTO_DAYS, c, err);
    crl_detail(detail, sizeof detail, c, why);
    return sq_finish(sq, who, rc, "Publish CRL", obj, detail, err);
}

int sq_crl_regen(struct sq *sq, const cd_user *u, const int64_t *ca_ids, size_t n, struct cd_err *err)
{
    int first = CD_OK;
    for (size_t i = 0; i < n; i++) {
        int prot = SQ_KEY_NONE;
        struct cd_err e = { 0 };
        struct signed_crl c = { 0 };
        int rc = key_prot(sq, ca_ids[i], &prot, &e);
        if (!rc && prot == SQ_KEY_STORE) rc = sign_own(sq, u, ca_ids[i], ", after a revocation", &c, &e);
        gnutls_free(c.der.data);
        if (rc && !first) {
            first = rc;
            if (err) {
                cdi_fail(err, rc, "revoked, but the CRL of CA %lld could not be signed: %s (certdeckd signs it "
                         "when it is next asked for)", (long long)ca_ids[i], cd_errmsg(&e, rc));
            }
        }
    }
    return first;
}

/* The stored CRL row of a CA, and how its key is kept. */
struct crl_row { int found, ca, prot, stale; int64_t number, this_update, next_update; unsigned char *der; size_t len; };

static int read_row(struct sq *sq, int64_t ca_id, int want_der, struct crl_row *r, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    memset(r, 0, sizeof *r);
    int rc = sq_prep(sq, "SELECT a.key_prot, c.ca_id IS NOT NULL, c.number, c.this_update, c.next_update, c.stale,"
                         " c.der FROM cas a LEFT JOIN crls c ON c.ca_id = a.id WHERE a.id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, ca_id);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW) {
        r->ca = 1;
        r->prot = sqlite3_column_int(st, 0);
        r->found = sqlite3_column_int(st, 1);
        r->number = sqlite3_column_int64(st, 2);
        r->this_update = sqlite3_column_int64(st, 3);
        r->next_update = sqlite3_column_int64(st, 4);
        r->stale = sqlite3_column_int(st, 5);
        if (r->found && want_der) {
            r->len = (size_t)sqlite3_column_bytes(st, 6);
            if (!(r->der = malloc(r->len ? r->len : 1))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
            else memcpy(r->der, sqlite3_column_blob(st, 6), r->len);
        }
    } else if (s != SQLITE_DONE) {
        rc = sq_dberr(sq, err, "CRL");
    }
    sqlite3_finalize(st);
    return rc;
}

/* A stored CRL that will do: current and complete, or the best there is
 * for a CA the server cannot sign for. */
static int usable(const struct crl_row *r, int64_t now)
{
    return r->found && ((!r->stale && now < r->next_update) || r->prot != SQ_KEY_STORE);
}

int sq_crl_current(cd_store *s, int64_t ca_id, unsigned char **der, size_t *len, struct cd_crl_info *info,
                   struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct crl_row r;
    int64_t now = cdi_now();
    int rc = read_row(sq, ca_id, der != NULL, &r, err);
    if (rc) return rc;
    if (!r.ca) return sq_missing(err, CD_KIND_CA, ca_id);
    if (!usable(&r, now)) {
        if (r.prot != SQ_KEY_STORE) {
            if (sq->mirror)
                return cdi_fail(err, CD_E_NOTFOUND, "CA %lld has no CRL in this mirror (a mirror cannot sign one: sign "
                                "it on the source store, certdeck crl %lld, and publish again)", (long long)ca_id,
                                (long long)ca_id);
            return r.prot == SQ_KEY_NONE
                ? cdi_fail(err, CD_E_NOTFOUND, "CA %lld has no private key in this store (it was imported); it "
                           "publishes no CRL here", (long long)ca_id)
                : cdi_fail(err, CD_E_NOTFOUND, "no CRL published for CA %lld yet: run certdeck crl %lld",
                           (long long)ca_id, (long long)ca_id);
        }
        /* another handle may have signed it meanwhile: read again under the
         * write lock, and sign only when it is still needed */
        cd_user sys;
        struct signed_crl c = { 0 };
        struct cd_err e = { 0 };
        int have = r.found;
        rc = sq_begin(sq, &e);
        if (!rc) {
            free(r.der);
            rc = read_row(sq, ca_id, der != NULL, &r, &e);
        }
        if (!rc && !usable(&r, now)) {
            char obj[32], detail[128] = "";
            snprintf(obj, sizeof obj, "ca %lld", (long long)ca_id);
            rc = sign_tx(sq, owner(&sys, "certdeckd"), ca_id, NULL, AUTO_DAYS, &c, &e);
            crl_detail(detail, sizeof detail, &c, r.found ? ", the current one was out of date" : ", the first one");
            rc = sq_finish(sq, &sys, rc, "Publish CRL", obj, detail, &e);
            if (!rc) {
                free(r.der);
                r = (struct crl_row){ .found = 1, .ca = 1, .prot = SQ_KEY_STORE, .number = c.number,
                                      .this_update = c.this_update, .next_update = c.next_update };
                if (der && !(r.der = malloc(c.der.size))) rc = cdi_fail(&e, CD_E_NOMEM, "out of memory");
                else if (der) { memcpy(r.der, c.der.data, c.der.size); r.len = c.der.size; }
            }
            gnutls_free(c.der.data);
        } else if (!sqlite3_get_autocommit(sq->db)) {
            /* nothing written: it was signed meanwhile, or the read failed */
            sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
        }
        /* a store that cannot be written still serves what it has */
        if (rc && !(have && r.found)) {
            free(r.der);
            if (err) *err = e;
            return rc;
        }
    }
    if (der) { *der = r.der; *len = r.len; }
    else free(r.der);
    if (info) *info = (struct cd_crl_info){ ca_id, r.number, r.this_update, r.next_update };
    return CD_OK;
}

int sq_crl_index(cd_store *s, struct cd_crl_info **out, size_t *n, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    struct cd_crl_info *rows = NULL;
    size_t cap = 0, k = 0;
    int64_t now = cdi_now();
    *out = NULL;
    *n = 0;
    int rc = sq_prep(sq, "SELECT a.id, a.key_prot, c.ca_id IS NOT NULL, c.number, c.this_update, c.next_update,"
                         " c.stale FROM cas a LEFT JOIN crls c ON c.ca_id = a.id ORDER BY a.id", &st, err);
    if (rc) return rc;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct crl_row x = { .ca = 1, .prot = sqlite3_column_int(st, 1), .found = sqlite3_column_int(st, 2),
                             .number = sqlite3_column_int64(st, 3), .this_update = sqlite3_column_int64(st, 4),
                             .next_update = sqlite3_column_int64(st, 5), .stale = sqlite3_column_int(st, 6) };
        if (!x.found && x.prot != SQ_KEY_STORE) continue;
        struct cd_crl_info *i = cdi_grow(&rows, k, &cap, sizeof *i);
        if (!i) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
        k++;
        /* number 0: to be signed below, once this statement is done */
        *i = (struct cd_crl_info){ sqlite3_column_int64(st, 0), usable(&x, now) ? x.number : 0, x.this_update,
                                   x.next_update };
    }
    if (!rc) rc = sq_done(sq, r, "CRL list", err);
    sqlite3_finalize(st);
    for (size_t i = 0; !rc && i < k; i++)
        if (!rows[i].number) rc = sq_crl_current(s, rows[i].ca_id, NULL, NULL, &rows[i], err);
    if (rc) { free(rows); return rc; }
    *out = rows;
    *n = k;
    return CD_OK;
}

/* A mirror (image or replica) cannot sign: `certdeck crl` there gives the
 * CA's current CRL as published, and says so when there is none. */
static int mirror_crl(struct sq *sq, int64_t ca_id, int pem, unsigned char **out, size_t *len, struct cd_err *err)
{
    struct crl_row r;
    gnutls_datum_t txt = { 0 };
    int rc = read_row(sq, ca_id, 1, &r, err);
    if (rc) return rc;
    if (!r.ca) return sq_missing(err, CD_KIND_CA, ca_id);
    if (!r.found)
        return cdi_fail(err, CD_E_READONLY, "%s: a mirror cannot sign a CRL, and CA %lld has none in this snapshot "
                        "(sign it on the source store and publish again)", sq->ro_reason, (long long)ca_id);
    if (pem) {
        gnutls_datum_t d = { r.der, (unsigned)r.len };
        int gt = gnutls_pem_base64_encode2("X509 CRL", &d, &txt);
        free(r.der);
        if (gt < 0) return cdi_fail(err, CD_E_CRYPTO, "CRL: %s", gnutls_strerror(gt));
        r.der = malloc(txt.size ? txt.size : 1);
        if (r.der) memcpy(r.der, txt.data, txt.size);
        r.len = txt.size;
        gnutls_free(txt.data);
        if (!r.der) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    *out = r.der;
    *len = r.len;
    return CD_OK;
}
