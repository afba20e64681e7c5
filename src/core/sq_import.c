/* certdeck core — the sqlite backend's `import` op: what import.c parsed,
 * written in one transaction.
 *
 * CAs first (so certificates of the same import find their issuer), then
 * certificates, then keys that came alone.  An object whose fingerprint
 * is stored already is skipped and reported, except that a stored object
 * without its key takes the key now given, and a revocation the store
 * does not have yet is applied.  One audit record per object written
 * ("Import CA", "Import certificate", "Import key", "Import revocation");
 * a refusal (a missing right) rolls everything back and records only the
 * refusal. */
#include <stdlib.h>
#include <string.h>
#include "import_int.h"
#include "sq_int.h"

struct imp {
    struct sq *sq;
    const cd_user *u;
    const struct cdi_import *im;
    struct cd_import_report *rep;
    int64_t group;
    int may_cert, may_ca;          /* checked once, when first needed */
    int64_t *cas;                  /* the CAs whose CRL changes, each once */
    size_t ncas, capcas;
};

static const char *obj_name(const struct cdi_import_obj *o)
{
    return o->cn && *o->cn ? o->cn : o->source ? o->source : "";
}

static int audit(struct imp *x, const char *action, int kind, int64_t id, const char *detail, struct cd_err *err)
{
    char obj[32];
    snprintf(obj, sizeof obj, "%s %lld", kind == CD_KIND_CA ? "ca" : "cert", (long long)id);
    return sq_audit(x->sq, x->u->name, action, obj, "Success", detail, err);
}

static int report(struct imp *x, int what, int taken, int64_t id, const char *name, const char *why,
                  struct cd_err *err)
{
    return cdi_import_report_add(x->rep, what, taken, id, name, why, err);
}

static int crl_changes(struct imp *x, int64_t ca, struct cd_err *err)
{
    if (!ca) return CD_OK;
    for (size_t i = 0; i < x->ncas; i++) if (x->cas[i] == ca) return CD_OK;
    int64_t *slot = cdi_grow(&x->cas, x->ncas, &x->capcas, sizeof *x->cas);
    if (!slot) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    *slot = ca;
    x->ncas++;
    return sq_crl_mark_stale(x->sq, ca, err);
}

/* The key sealed under the store key, the fingerprint as associated data
 * (as every stored key is). */
static int seal(struct imp *x, const struct cdi_import_obj *o, const char *fp, gnutls_datum_t *out,
                struct cd_err *err)
{
    return cdi_seal(x->sq->key, fp, 64, o->key, o->key_len, out, err);
}

/* The name checks of names made here, for names from outside: a skip
 * (why filled) rather than a refusal of the whole import. */
static int names_ok(const struct cdi_import_obj *o, char *why, size_t n)
{
    struct cd_err e = { 0 };
    if (cdi_check_text(&e, "its common name", o->cn, 0, 0) || cdi_check_text(&e, "its subject", o->subject, 0, 0) ||
        cdi_check_text(&e, "its issuer", o->issuer, 0, 0)) {
        snprintf(why, n, "%s", e.msg);
        return 0;
    }
    return 1;
}

/* ---- CAs ----------------------------------------------------------------- */

static int ca_key_add(struct imp *x, const struct cdi_import_obj *o, int64_t id, int64_t group, struct cd_err *err)
{
    gnutls_datum_t sealed = { 0 };
    sqlite3_stmt *st = NULL;
    int rc = sq_obj_may(x->sq, x->u, CD_ACT_CA_IMPORT, CD_KIND_CA, id, group, err);
    if (!rc) rc = seal(x, o, o->fp, &sealed, err);
    if (!rc) rc = sq_prep(x->sq, "UPDATE cas SET key = ?, key_prot = ? WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_blob(st, 1, sealed.data, (int)sealed.size, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, SQ_KEY_STORE);
        sqlite3_bind_int64(st, 3, id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(x->sq, err, "CA key");
    }
    if (!rc) rc = audit(x, "Import key", CD_KIND_CA, id, o->cn, err);
    if (!rc) rc = report(x, CD_IMPORT_KEY, 1, id, obj_name(o), "the key of a CA stored without it", err);
    sqlite3_finalize(st);
    gnutls_free(sealed.data);
    return rc;
}

static int ca_new(struct imp *x, const struct cdi_import_obj *o, struct cd_err *err)
{
    gnutls_datum_t sealed = { 0 };
    sqlite3_stmt *st = NULL;
    char why[600];
    if (!names_ok(o, why, sizeof why)) return report(x, CD_IMPORT_CA, 0, 0, obj_name(o), why, err);
    int rc = CD_OK;
    if (!x->may_ca && !(rc = sq_may(x->sq, x->u, CD_ACT_CA_IMPORT, x->group, err))) x->may_ca = 1;
    if (!rc && o->key) rc = seal(x, o, o->fp, &sealed, err);
    if (!rc) rc = sq_prep(x->sq, "INSERT INTO cas(description, cn, subject, serial, fingerprint, not_before, not_after,"
                                 " key_alg, der, key, key_prot, group_id, created) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                          &st, err);
    if (rc) goto out;
    sqlite3_bind_text(st, 1, x->im->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, o->cn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, o->nb);
    sqlite3_bind_int64(st, 7, o->na);
    sqlite3_bind_text(st, 8, o->key_alg, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, o->der, (int)o->der_len, SQLITE_STATIC);
    if (o->key) sqlite3_bind_blob(st, 10, sealed.data, (int)sealed.size, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, o->key ? SQ_KEY_STORE : SQ_KEY_NONE);
    sqlite3_bind_int64(st, 12, x->group);
    sqlite3_bind_int64(st, 13, cdi_now());
    if (sqlite3_step(st) != SQLITE_DONE) { rc = sq_dberr(x->sq, err, "CA"); goto out; }
    int64_t id = sqlite3_last_insert_rowid(x->sq->db);
    rc = audit(x, "Import CA", CD_KIND_CA, id, o->cn, err);
    if (!rc) rc = report(x, CD_IMPORT_CA, 1, id, obj_name(o), o->key ? "with its key" : "without a key", err);
out:
    sqlite3_finalize(st);
    gnutls_free(sealed.data);
    return rc;
}

static int one_ca(struct imp *x, const struct cdi_import_obj *o, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(x->sq, "SELECT id, key_prot, group_id FROM cas WHERE fingerprint = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, o->fp, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0), group = sqlite3_column_int64(st, 2);
        int prot = sqlite3_column_int(st, 1);
        sqlite3_finalize(st);
        char why[64];
        snprintf(why, sizeof why, "already in the store as ca %lld", (long long)id);
        rc = report(x, CD_IMPORT_CA, 0, id, obj_name(o), why, err);
        if (!rc && o->key && prot == SQ_KEY_NONE) rc = ca_key_add(x, o, id, group, err);
        return rc;
    }
    sqlite3_finalize(st);
    rc = ca_new(x, o, err);
    if (!rc && o->key_why) rc = report(x, CD_IMPORT_KEY, 0, 0, obj_name(o), o->key_why, err);
    return rc;
}

/* ---- certificates -------------------------------------------------------- */

/* The stored CA whose certificate issued o (issuer DN, then the signature). */
static int find_issuer(struct imp *x, const struct cdi_import_obj *o, int64_t *ca_id, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    gnutls_x509_crt_t crt = NULL;
    *ca_id = 0;
    int rc = sq_prep(x->sq, "SELECT id, der FROM cas WHERE subject = ? ORDER BY id DESC", &st, err);
    if (!rc) rc = cdi_crt_load(o->der, o->der_len, &crt, err);
    if (rc) goto out;
    sqlite3_bind_text(st, 1, o->issuer, -1, SQLITE_STATIC);
    while (!*ca_id && sqlite3_step(st) == SQLITE_ROW) {
        gnutls_x509_crt_t ca = NULL;
        if (cdi_crt_load(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &ca, NULL)) continue;
        unsigned status = 1;
        if (gnutls_x509_crt_verify(crt, &ca, 1, GNUTLS_VERIFY_DISABLE_TIME_CHECKS |
                                   GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS, &status) >= 0 && !status)
            *ca_id = sqlite3_column_int64(st, 0);
        gnutls_x509_crt_deinit(ca);
    }
out:
    if (crt) gnutls_x509_crt_deinit(crt);
    sqlite3_finalize(st);
    return rc;
}

static int cert_key_add(struct imp *x, const struct cdi_import_obj *o, const char *fp, int64_t id, int64_t group,
                        const char *name, struct cd_err *err)
{
    gnutls_datum_t sealed = { 0 };
    sqlite3_stmt *st = NULL;
    int rc = sq_obj_may(x->sq, x->u, CD_ACT_CERT_NEW, CD_KIND_CERT, id, group, err);
    if (!rc) rc = seal(x, o, fp, &sealed, err);
    if (!rc) rc = sq_prep(x->sq, "UPDATE certs SET key = ? WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_blob(st, 1, sealed.data, (int)sealed.size, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(x->sq, err, "certificate key");
    }
    if (!rc) rc = audit(x, "Import key", CD_KIND_CERT, id, name, err);
    if (!rc) rc = report(x, CD_IMPORT_KEY, 1, id, name, "the key of a certificate stored without it", err);
    sqlite3_finalize(st);
    gnutls_free(sealed.data);
    return rc;
}

static int revoke(struct imp *x, const struct cdi_import_obj *o, int64_t id, int64_t ca, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(x->sq, "UPDATE certs SET revoked_at = ?, revoke_reason = ? WHERE id = ?", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, o->revoked_at);
        sqlite3_bind_int(st, 2, o->reason);
        sqlite3_bind_int64(st, 3, id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(x->sq, err, "revocation");
    }
    sqlite3_finalize(st);
    char when[32], d[96];
    cdi_fmt_time(o->revoked_at, when, sizeof when);
    snprintf(d, sizeof d, "%s, %s UTC", cd_reason_name(o->reason), when);
    if (!rc) rc = crl_changes(x, ca, err);
    if (!rc) rc = audit(x, "Import revocation", CD_KIND_CERT, id, d, err);
    if (!rc) rc = report(x, CD_IMPORT_REVOCATION, 1, id, obj_name(o), d, err);
    return rc;
}

static int cert_new(struct imp *x, const struct cdi_import_obj *o, struct cd_err *err)
{
    gnutls_datum_t sealed = { 0 };
    sqlite3_stmt *st = NULL;
    char why[600];
    if (!names_ok(o, why, sizeof why)) return report(x, CD_IMPORT_CERT, 0, 0, obj_name(o), why, err);
    int rc = CD_OK;
    int64_t ca = 0;
    if (!x->may_cert && !(rc = sq_may(x->sq, x->u, CD_ACT_CERT_NEW, x->group, err))) x->may_cert = 1;
    if (!rc) rc = find_issuer(x, o, &ca, err);
    if (!rc && o->key) rc = seal(x, o, o->fp, &sealed, err);
    if (!rc) rc = sq_prep(x->sq, "INSERT INTO certs(ca_id, product, host, description, cn, subject, issuer, serial,"
                                 " fingerprint, not_before, not_after, key_alg, der, key, group_id, created)"
                                 " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &st, err);
    if (rc) goto out;
    sqlite3_bind_int64(st, 1, ca);
    sqlite3_bind_int(st, 2, CD_PRODUCT_CUSTOM);
    sqlite3_bind_text(st, 3, o->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, x->im->description, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->cn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, o->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, o->issuer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, o->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, o->fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, o->nb);
    sqlite3_bind_int64(st, 11, o->na);
    sqlite3_bind_text(st, 12, o->key_alg, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 13, o->der, (int)o->der_len, SQLITE_STATIC);
    if (o->key) sqlite3_bind_blob(st, 14, sealed.data, (int)sealed.size, SQLITE_STATIC);
    else sqlite3_bind_zeroblob(st, 14, 0);                    /* X'': no key here (schema 9) */
    sqlite3_bind_int64(st, 15, x->group);
    sqlite3_bind_int64(st, 16, cdi_now());
    if (sqlite3_step(st) != SQLITE_DONE) { rc = sq_dberr(x->sq, err, "certificate"); goto out; }
    int64_t id = sqlite3_last_insert_rowid(x->sq->db);
    rc = sq_fts_refresh(x->sq, id, err);
    if (!rc) rc = audit(x, "Import certificate", CD_KIND_CERT, id, o->cn, err);
    char note[80];
    snprintf(note, sizeof note, "%s%s", o->key ? "with its key" : "without a key",
             ca ? "" : ", issuer not in the store");
    if (!rc) rc = report(x, CD_IMPORT_CERT, 1, id, obj_name(o), note, err);
    if (!rc && o->key_why) rc = report(x, CD_IMPORT_KEY, 0, id, obj_name(o), o->key_why, err);
    if (!rc && o->revoked_at) rc = revoke(x, o, id, ca, err);
out:
    sqlite3_finalize(st);
    gnutls_free(sealed.data);
    return rc;
}

static int one_cert(struct imp *x, const struct cdi_import_obj *o, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(x->sq, "SELECT id, length(key), revoked_at, group_id, ca_id FROM certs WHERE fingerprint = ?",
                     &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, o->fp, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_finalize(st);
        return cert_new(x, o, err);
    }
    int64_t id = sqlite3_column_int64(st, 0), group = sqlite3_column_int64(st, 3), ca = sqlite3_column_int64(st, 4);
    int has_key = sqlite3_column_int(st, 1) > 0;
    int64_t revoked = sqlite3_column_int64(st, 2);
    sqlite3_finalize(st);
    char why[64];
    snprintf(why, sizeof why, "already in the store as cert %lld", (long long)id);
    rc = report(x, CD_IMPORT_CERT, 0, id, obj_name(o), why, err);
    if (!rc && o->key && !has_key) rc = cert_key_add(x, o, o->fp, id, group, obj_name(o), err);
    if (!rc && o->revoked_at && !revoked) {
        rc = sq_obj_may(x->sq, x->u, CD_ACT_CERT_REVOKE, CD_KIND_CERT, id, group, err);
        if (!rc) rc = revoke(x, o, id, ca, err);
    } else if (!rc && o->revoked_at) {
        snprintf(why, sizeof why, "cert %lld is revoked already", (long long)id);
        rc = report(x, CD_IMPORT_REVOCATION, 0, id, obj_name(o), why, err);
    }
    return rc;
}

/* ---- keys alone ---------------------------------------------------------- */

/* The stored certificate or CA without a key whose public key has this ID. */
static int key_owner(struct imp *x, const char *keyid, int *kind, int64_t *id, int64_t *group, char fp[65],
                     char **cn, struct cd_err *err)
{
    static const char *const sql[2] = {
        "SELECT id, der, group_id, fingerprint, cn FROM certs WHERE length(key) = 0 AND pending = 0",
        "SELECT id, der, group_id, fingerprint, cn FROM cas WHERE key_prot = 0",
    };
    *id = 0;
    int rc = CD_OK;
    for (int k = 0; k < 2 && !*id && !rc; k++) {
        sqlite3_stmt *st = NULL;
        if ((rc = sq_prep(x->sq, sql[k], &st, err))) break;
        int r;
        while (!*id && (r = sqlite3_step(st)) == SQLITE_ROW) {
            gnutls_x509_crt_t crt = NULL;
            if (cdi_crt_load(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), &crt, NULL)) continue;
            unsigned char kid[64];
            size_t kl = sizeof kid;
            char hex[65] = "";
            if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, kid, &kl) >= 0)
                cdi_hex(kid, kl > 32 ? 32 : kl, hex);
            gnutls_x509_crt_deinit(crt);
            if (strcmp(hex, keyid)) continue;
            *kind = k ? CD_KIND_CA : CD_KIND_CERT;
            *id = sqlite3_column_int64(st, 0);
            *group = sqlite3_column_int64(st, 2);
            snprintf(fp, 65, "%s", (const char *)sqlite3_column_text(st, 3));
            if (!(*cn = cdi_strdup((const char *)sqlite3_column_text(st, 4))))
                rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
        }
        sqlite3_finalize(st);
    }
    return rc;
}

static int one_key(struct imp *x, const struct cdi_import_obj *o, struct cd_err *err)
{
    int kind = 0;
    int64_t id = 0, group = 0;
    char fp[65] = "", *cn = NULL;
    int rc = key_owner(x, o->keyid, &kind, &id, &group, fp, &cn, err);
    if (!rc && !id)
        rc = report(x, CD_IMPORT_KEY, 0, 0, obj_name(o), "matches no certificate or CA here without a key", err);
    else if (!rc && kind == CD_KIND_CA) {
        struct cdi_import_obj k = *o;
        memcpy(k.fp, fp, sizeof k.fp);
        k.cn = cn;
        rc = ca_key_add(x, &k, id, group, err);
    } else if (!rc) {
        rc = cert_key_add(x, o, fp, id, group, cn, err);
    }
    free(cn);
    return rc;
}

int sq_import(cd_store *s, const cd_user *u, const struct cdi_import *im, struct cd_import_report *rep,
              struct cd_err *err)
{
    struct imp x = { .sq = SQ(s), .u = u, .im = im, .rep = rep };
    struct sq *sq = x.sq;
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_store_key(sq, err);
    if (!rc) rc = sq_group_id(sq, u, im->group, &x.group, err);
    for (size_t i = 0; i < im->n && !rc; i++) {
        const struct cdi_import_obj *o = &im->rows[i];
        if (o->why) rc = report(&x, o->what, 0, 0, obj_name(o), o->why, err);
    }
    static const int order[3] = { CD_IMPORT_CA, CD_IMPORT_CERT, CD_IMPORT_KEY };
    for (int pass = 0; pass < 3 && !rc; pass++)
        for (size_t i = 0; i < im->n && !rc; i++) {
            const struct cdi_import_obj *o = &im->rows[i];
            if (o->why || o->what != order[pass]) continue;
            rc = pass == 0 ? one_ca(&x, o, err) : pass == 1 ? one_cert(&x, o, err) : one_key(&x, o, err);
        }
    if (!rc) rc = sq_audit_head_update(sq, err);
    if (!rc && sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) rc = sq_dberr(sq, err, "commit");
    if (rc) {
        /* rolls back, and records the refusal or failure alone */
        rc = sq_finish(sq, u, rc, "Import", "import", NULL, err);
        cd_import_report_free(rep);
    } else {
        /* the CRLs certdeckd hands out, signed now the revocations are in;
         * one left unsigned stays marked stale and is signed when next asked
         * for (sq_crl_current): the import itself is done */
        struct cd_err cerr = { 0 };
        (void)sq_crl_regen(sq, u, x.cas, x.ncas, &cerr);
    }
    free(x.cas);
    return rc;
}
