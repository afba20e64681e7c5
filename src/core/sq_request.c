/* certdeck core — certificates signed elsewhere and requests signed here
 * (certdeck/lifecycle.h), sqlite backend.
 *
 * APN/ABM (Apple signs them): cd_cert_request makes a key and its PKCS#10
 * request and stores a pending row (schema 9: der X'', serial '', the
 * fingerprint "pending-" + the key's SHA-256 id, not_before = not_after =
 * SQ_PENDING_TIME, the request in csr).  Its key is sealed under the store
 * key like every peer key, bound (AAD) to the row's fingerprint as they
 * are; the fingerprint changes at completion, so cd_cert_import_signed
 * opens the key under the pending one and seals it again under the
 * certificate's, and every reader of a completed row (export, check-in)
 * opens it as it opens any other.
 *
 * cd_cert_sign: an external request signed by a CA here, its subject read
 * attribute by attribute and checked as a typed one is, its public key
 * certified, its extensions ignored (pki.c writes what the product
 * decides); no private key is stored (key X''). */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"
#include "csr_int.h"

/* A row to insert: what a request or a signature produced. */
struct newrow {
    const struct cd_cert_params *p;
    int64_t ca_id, group, replaces;
    const char *cn, *subject, *issuer, *serial, *fp, *key_alg;
    int64_t nb, na;
    const gnutls_datum_t *der, *key, *csr;     /* der, key: may be empty */
    int pending;
};

static void bind_blob(sqlite3_stmt *st, int i, const gnutls_datum_t *d)
{
    if (d && d->size) sqlite3_bind_blob(st, i, d->data, (int)d->size, SQLITE_STATIC);
    else sqlite3_bind_zeroblob(st, i, 0);
}

/* Inserts r with its tags and its search index row; *id gets its ID. */
static int insert_row(struct sq *sq, const struct newrow *r, int64_t *id, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    const struct cd_cert_params *p = r->p;
    int rc = sq_prep(sq, "INSERT INTO certs(ca_id, product, host, description, cn, subject, issuer, serial, fingerprint,"
                         " not_before, not_after, key_alg, der, key, pass_hash, group_id, created, replaces, pending, csr)"
                         " VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, NULL, ?15, ?16, ?17, ?18, ?19)",
                     &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, r->ca_id);
    sqlite3_bind_int(st, 2, p->product);
    sqlite3_bind_text(st, 3, p->host && *p->host ? p->host : "*", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p->description ? p->description : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, r->cn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, r->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, r->issuer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, r->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, r->fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, r->nb);
    sqlite3_bind_int64(st, 11, r->na);
    sqlite3_bind_text(st, 12, r->key_alg, -1, SQLITE_STATIC);
    bind_blob(st, 13, r->der);
    bind_blob(st, 14, r->key);
    sqlite3_bind_int64(st, 15, r->group);
    sqlite3_bind_int64(st, 16, cdi_now());
    sqlite3_bind_int64(st, 17, r->replaces);
    sqlite3_bind_int(st, 18, r->pending);
    if (r->csr) bind_blob(st, 19, r->csr);
    else sqlite3_bind_null(st, 19);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "certificate");
    sqlite3_finalize(st);
    if (rc) return rc;
    *id = sqlite3_last_insert_rowid(sq->db);
    for (const char *const *t = p->tags; !rc && t && *t; t++) {
        int64_t tag = 0;
        if ((rc = sq_tag_id(sq, *t, 1, &tag, err))) break;
        if ((rc = sq_prep(sq, "INSERT OR IGNORE INTO cert_tags(tag_id, cert_id) VALUES(?, ?)", &st, err))) break;
        sqlite3_bind_int64(st, 1, tag);
        sqlite3_bind_int64(st, 2, *id);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "tag");
        sqlite3_finalize(st);
    }
    if (!rc) rc = sq_fts_refresh(sq, *id, err);
    return rc;
}

/* ---- APN / ABM ----------------------------------------------------------- */

/* The rights a request needs (Create certificates in the target group)
 * and, for a renewal, the certificate it renews: one u can read, an
 * APN/ABM one, complete, not renewed already.  Checked before the key is made and again in the
 * transaction. */
static int request_check(struct sq *sq, const cd_user *u, const struct cd_cert_params *p, int64_t replaces,
                         int64_t *group, struct cd_err *err)
{
    int rc = sq_group_id(sq, u, p->group, group, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CERT_NEW, *group, err);
    if (rc || !replaces) return rc;
    sqlite3_stmt *st = NULL;
    if ((rc = sq_prep(sq, "SELECT group_id, product, pending, (SELECT max(r.id) FROM certs r WHERE r.replaces = ?1"
                          " AND r.replaces <> 0) FROM certs WHERE id = ?1", &st, err)))
        return rc;
    sqlite3_bind_int64(st, 1, replaces);
    if (sqlite3_step(st) != SQLITE_ROW) rc = sq_missing(err, CD_KIND_CERT, replaces);
    else if (!(rc = sq_obj_may(sq, u, -1, CD_KIND_CERT, replaces, sqlite3_column_int64(st, 0), err))) {
        if (!cd_product_external(sqlite3_column_int(st, 1)))
            rc = cdi_fail(err, CD_E_INVAL, "certificate %lld is not an APN or ABM certificate: a CA here renews it "
                          "(certdeck cert renew)", (long long)replaces);
        else if (sqlite3_column_int(st, 2))
            rc = cdi_fail(err, CD_E_STATE, "certificate %lld is still pending: complete it first (certdeck cert "
                          "import-signed %lld FILE); its request is there again with certdeck cert csr %lld",
                          (long long)replaces, (long long)replaces, (long long)replaces);
        else if (sqlite3_column_int64(st, 3))      /* one line of renewals, as cd_cert_renew keeps it */
            rc = cdi_fail(err, CD_E_STATE, "certificate %lld was already renewed by certificate %lld: renew that one "
                          "(or, while it is pending, take its request again: certdeck cert csr %lld)",
                          (long long)replaces, (long long)sqlite3_column_int64(st, 3),
                          (long long)sqlite3_column_int64(st, 3));
    }
    sqlite3_finalize(st);
    return rc;
}

int sq_cert_request(cd_store *s, const cd_user *u, const struct cd_cert_params *p, int64_t replaces, int64_t *id,
                    char **csr_pem, size_t *len, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    gnutls_x509_privkey_t key = NULL;
    gnutls_datum_t csr = { 0 }, plain = { 0 }, sealed = { 0 };
    char fp[CDI_PENDING_FP_LEN + 1] = "", *pem = NULL, *dn = NULL;
    int64_t group = 0, group2 = 0, newid = 0;
    if (id) *id = 0;
    if (csr_pem) *csr_pem = NULL;
    if (len) *len = 0;
    sq->hidden = 0;
    /* the key is made before the write transaction, which repeats the checks */
    int rc = sq->readonly ? sq_begin(sq, err) : CD_OK;
    if (!rc) rc = sq_store_key(sq, err);
    if (!rc) rc = request_check(sq, u, p, replaces, &group, err);
    if (!rc) rc = cdi_keygen(p->keytype, &key, err);
    if (!rc) rc = cdi_csr_make(key, &p->subject, &csr, &dn, err);
    if (!rc) rc = cdi_pending_fp(key, fp, err);
    if (!rc) rc = cdi_key_export_plain(key, &plain, err);
    if (!rc) rc = cdi_seal(sq->key, fp, strlen(fp), plain.data, plain.size, &sealed, err);
    if (!rc) rc = cdi_csr_pem(csr.data, csr.size, &pem, len, err);
    if (!rc) rc = sq_begin(sq, err);
    if (!rc) rc = request_check(sq, u, p, replaces, &group2, err);
    if (!rc && group2 != group) rc = cdi_fail(err, CD_E_STATE, "the access group changed meanwhile; try again");
    if (!rc) {
        struct newrow r = { .p = p, .group = group, .replaces = replaces, .cn = p->subject.cn,
                            .subject = dn, .issuer = "Apple (pending)", .serial = "", .fp = fp,
                            .key_alg = cdi_keytype_label(p->keytype), .nb = SQ_PENDING_TIME,
                            .na = SQ_PENDING_TIME, .key = &sealed, .csr = &csr, .pending = 1 };
        rc = insert_row(sq, &r, &newid, err);
    }
    char obj[32], detail[200];
    snprintf(obj, sizeof obj, newid ? "cert %lld" : "cert", (long long)newid);
    snprintf(detail, sizeof detail, "%s request, CN %.60s%s", cd_product_label(p->product), p->subject.cn,
             replaces ? ", renews" : "");
    if (replaces) snprintf(detail + strlen(detail), sizeof detail - strlen(detail), " cert %lld", (long long)replaces);
    rc = sq_finish(sq, u, rc, "Request certificate", obj, detail, err);
    if (!rc) {
        if (id) *id = newid;
        if (csr_pem) { *csr_pem = pem; pem = NULL; }
    } else if (len) {
        *len = 0;
    }
    free(pem);
    free(dn);
    if (plain.data) { cdi_wipe(plain.data, plain.size); gnutls_free(plain.data); }
    gnutls_free(sealed.data);
    gnutls_free(csr.data);
    if (key) gnutls_x509_privkey_deinit(key);
    return rc;
}

int sq_cert_csr(cd_store *s, const cd_user *u, int64_t id, char **csr_pem, size_t *len, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    *csr_pem = NULL;
    if (len) *len = 0;
    sq->hidden = 0;
    int rc = sq_prep(sq, "SELECT group_id, csr FROM certs WHERE id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) rc = sq_missing(err, CD_KIND_CERT, id);
    else if (!(rc = sq_obj_may(sq, u, -1, CD_KIND_CERT, id, sqlite3_column_int64(st, 0), err))) {
        if (sqlite3_column_type(st, 1) == SQLITE_NULL || !sqlite3_column_bytes(st, 1))
            rc = cdi_fail(err, CD_E_STATE, "certificate %lld was not requested from Apple here: it has no stored "
                          "request", (long long)id);
        else
            rc = cdi_csr_pem(sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), csr_pem, len, err);
    }
    sqlite3_finalize(st);
    return rc;
}

/* What completing a pending row writes. */
struct done {
    gnutls_datum_t der, sealed;
    struct cdi_issued o;         /* serial, fp, subject, issuer, dates */
    const char *key_alg;
};

/* The certificates of the portal's answer (PEM or DER), in file order. */
struct answer { gnutls_x509_crt_t *crt; unsigned n; };

static void answer_free(struct answer *a)
{
    for (unsigned i = 0; i < a->n; i++) gnutls_x509_crt_deinit(a->crt[i]);
    gnutls_free(a->crt);
    memset(a, 0, sizeof *a);
}

static int answer_load(const void *data, size_t len, struct answer *a, struct cd_err *err)
{
    memset(a, 0, sizeof *a);
    if (len > 1 << 20) return cdi_fail(err, CD_E_INVAL, "the certificate file is larger than 1 MiB");
    gnutls_datum_t d = { (unsigned char *)(uintptr_t)data, (unsigned)len };
    int fmt = len > 10 && memmem(data, len, "-----BEGIN", 10) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
    int gt = gnutls_x509_crt_list_import2(&a->crt, &a->n, &d, (gnutls_x509_crt_fmt_t)fmt, 0);
    if (gt < 0 || !a->n) {
        a->n = 0;
        return cdi_fail(err, CD_E_INVAL, "not an X.509 certificate, PEM or DER (%s)",
                        gt < 0 ? gnutls_strerror(gt) : "no certificate in the file");
    }
    return CD_OK;
}

/* The certificate of the answer that certifies key, checked: a leaf (Apple
 * signs leaves; a CA certificate for the key is refused), not expired (it
 * would spend the request for nothing: ask the portal again).  One not
 * valid yet is taken and shows as such.  Its place in the file does not
 * matter: a chain may come in either order. */
static int answer_leaf(const struct answer *a, int64_t id, gnutls_x509_privkey_t key, gnutls_x509_crt_t *out,
                       struct cd_err *err)
{
    gnutls_x509_crt_t crt = NULL;
    for (unsigned i = 0; !crt && i < a->n; i++)
        if (cdi_crt_has_key(a->crt[i], key)) crt = a->crt[i];
    if (!crt)
        return cdi_fail(err, CD_E_INVAL, "this certificate is for another key than the request of certificate %lld: "
                        "nothing changed (was it signed for another request?)", (long long)id);
    unsigned crit = 0, ca = 0;
    int pathlen = 0;
    if (gnutls_x509_crt_get_basic_constraints(crt, &crit, &ca, &pathlen) >= 0 && ca)
        return cdi_fail(err, CD_E_INVAL, "this is a CA certificate (basicConstraints CA:TRUE), not the leaf "
                        "certificate the portal signs for a request: nothing changed");
    int64_t na = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
    if (na <= cdi_now()) {
        char t[32];
        cdi_fmt_time(na, t, sizeof t);
        return cdi_fail(err, CD_E_INVAL, "this certificate expired on %s UTC: nothing changed, certificate %lld is "
                        "still pending (take its request to the portal again: certdeck cert csr %lld)", t,
                        (long long)id, (long long)id);
    }
    *out = crt;
    return CD_OK;
}

/* A certificate the store holds already, as another row (imported on its
 * own before): completing with it would list it twice.  The other row is
 * not named: u may not be allowed to see it. */
static int stored_already(struct sq *sq, int64_t id, const char *fp, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT 1 FROM certs WHERE fingerprint = ? AND id <> ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, id);
    if (sqlite3_step(st) == SQLITE_ROW)
        rc = cdi_fail(err, CD_E_EXISTS, "this certificate is in the store already, as another row: nothing changed "
                      "(certificate %lld stays pending)", (long long)id);
    sqlite3_finalize(st);
    return rc;
}

/* Opens the pending key (bound to the pending fingerprint), finds the
 * answer's certificate for it, and seals the key again under that
 * certificate's fingerprint. */
static int complete(struct sq *sq, int64_t id, sqlite3_stmt *row, const struct answer *a, struct done *d,
                    struct cd_err *err)
{
    gnutls_datum_t plain = { 0 };
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t crt = NULL;
    const char *pfp = (const char *)sqlite3_column_text(row, 2);
    int rc = cdi_unseal(sq->key, pfp, strlen(pfp), sqlite3_column_blob(row, 1), (size_t)sqlite3_column_bytes(row, 1),
                        &plain, err);
    if (!rc) rc = cdi_key_import_plain(plain.data, plain.size, &key, err);
    if (!rc) rc = answer_leaf(a, id, key, &crt, err);
    if (!rc) rc = cdi_crt_describe(crt, &d->o, err);
    if (!rc) rc = stored_already(sq, id, d->o.fp, err);
    if (rc) goto out;
    unsigned bits = 0;
    int pk = gnutls_x509_privkey_get_pk_algorithm2(key, &bits);     /* before bits is read */
    d->key_alg = cdi_keytype_label(cdi_keytype_of(pk, bits));
    int gt = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &d->der);
    if (gt < 0) { rc = cdi_fail(err, CD_E_CRYPTO, "certificate: %s", gnutls_strerror(gt)); goto out; }
    rc = cdi_seal(sq->key, d->o.fp, 64, plain.data, plain.size, &d->sealed, err);
out:
    if (plain.data) { cdi_wipe(plain.data, plain.size); gnutls_free(plain.data); }
    if (key) gnutls_x509_privkey_deinit(key);
    return rc;
}

int sq_cert_import_signed(cd_store *s, const cd_user *u, int64_t id, const void *data, size_t len,
                          struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct answer a = { 0 };
    sqlite3_stmt *row = NULL, *upd = NULL;
    struct done d = { 0 };
    sq->hidden = 0;
    int rc = sq->readonly ? sq_begin(sq, err) : CD_OK;
    if (!rc) rc = answer_load(data, len, &a, err);
    if (!rc) rc = sq_store_key(sq, err);
    if (!rc) rc = sq_begin(sq, err);
    if (!rc) rc = sq_prep(sq, "SELECT group_id, key, fingerprint, pending FROM certs WHERE id = ?", &row, err);
    if (!rc) {
        sqlite3_bind_int64(row, 1, id);
        if (sqlite3_step(row) != SQLITE_ROW) rc = sq_missing(err, CD_KIND_CERT, id);
    }
    if (!rc) rc = sq_obj_may(sq, u, CD_ACT_CERT_NEW, CD_KIND_CERT, id, sqlite3_column_int64(row, 0), err);
    if (!rc && !sqlite3_column_int(row, 3))
        rc = cdi_fail(err, CD_E_STATE, "certificate %lld is not pending: only a request waiting for its signed "
                      "certificate can be completed", (long long)id);
    if (!rc) rc = complete(sq, id, row, &a, &d, err);
    if (!rc) rc = sq_prep(sq, "UPDATE certs SET der = ?1, serial = ?2, fingerprint = ?3, subject = ?4, issuer = ?5,"
                              " not_before = ?6, not_after = ?7, key_alg = ?8, key = ?9, pending = 0"
                              " WHERE id = ?10 AND pending <> 0", &upd, err);
    if (!rc) {
        sqlite3_bind_blob(upd, 1, d.der.data, (int)d.der.size, SQLITE_STATIC);
        sqlite3_bind_text(upd, 2, d.o.serial, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 3, d.o.fp, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 4, d.o.subject, -1, SQLITE_STATIC);
        sqlite3_bind_text(upd, 5, d.o.issuer, -1, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 6, d.o.nb);
        sqlite3_bind_int64(upd, 7, d.o.na);
        sqlite3_bind_text(upd, 8, d.key_alg, -1, SQLITE_STATIC);
        sqlite3_bind_blob(upd, 9, d.sealed.data, (int)d.sealed.size, SQLITE_STATIC);
        sqlite3_bind_int64(upd, 10, id);
        if (sqlite3_step(upd) != SQLITE_DONE || sqlite3_changes(sq->db) != 1) rc = sq_dberr(sq, err, "certificate");
    }
    if (!rc) rc = sq_fts_refresh(sq, id, err);
    sqlite3_finalize(row);
    sqlite3_finalize(upd);
    char obj[32], detail[160];
    snprintf(obj, sizeof obj, "cert %lld", (long long)id);
    snprintf(detail, sizeof detail, "signed certificate, serial %.40s", d.o.serial[0] ? d.o.serial : "-");
    rc = sq_finish(sq, u, rc, "Import signed certificate", obj, detail, err);
    gnutls_free(d.der.data);
    gnutls_free(d.sealed.data);
    cdi_issued_clear(&d.o);
    answer_free(&a);
    return rc;
}

/* ---- external requests --------------------------------------------------- */

/* Rights as cd_cert_new's: Create certificates in the group, Use on the CA
 * (with its key when cakey is not NULL). */
static int sign_check(struct sq *sq, const cd_user *u, const struct cd_cert_params *p, int64_t *group,
                      gnutls_x509_crt_t *ca, gnutls_x509_privkey_t *cakey, struct cd_err *err)
{
    int rc = sq_group_id(sq, u, p->group, group, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CERT_NEW, *group, err);
    if (!rc) rc = sq_ca_load(sq, u, p->ca_id, p->ca_passphrase, CD_RIGHT_USE, ca, cakey, err);
    return rc;
}

/* The request's subject, checked as a typed one is (store.c). */
static int csr_subject(gnutls_x509_crq_t crq, const struct cd_cert_params *p, struct cdi_csr_subject *h,
                       struct cd_err *err)
{
    int rc = cdi_csr_subject(crq, h, err);
    if (rc) return rc;
    struct cd_cert_params only = { .product = p->product, .subject = h->sub };
    struct cdi_params q;
    rc = cdi_cert_params_check(&only, CDI_PARAMS_SUBJECT, &q, err);
    cdi_params_clear(&q);
    return rc;
}

int sq_cert_sign(cd_store *s, const cd_user *u, const struct cd_cert_params *p, const void *data, size_t len,
                 int64_t *id, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    gnutls_x509_crq_t crq = NULL;
    gnutls_pubkey_t pub = NULL;
    gnutls_x509_crt_t ca = NULL, ca2 = NULL;
    gnutls_x509_privkey_t cakey = NULL;
    struct cdi_csr_subject h = { 0 };
    struct cdi_issued o = { 0 };
    int64_t group = 0, group2 = 0, newid = 0, nb = 0, na = 0;
    if (id) *id = 0;
    sq->hidden = 0;
    int rc = sq->readonly ? sq_begin(sq, err) : CD_OK;
    if (!rc) rc = cdi_csr_load(data, len, &crq, err);
    if (!rc) rc = csr_subject(crq, p, &h, err);
    if (!rc && (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_x509_crq(pub, crq, 0) < 0))
        rc = cdi_fail(err, CD_E_INVAL, "the request's public key cannot be read");
    if (!rc) rc = sign_check(sq, u, p, &group, &ca, &cakey, err);
    if (!rc) rc = sq_cert_validity(p, ca, &nb, &na, err);
    if (!rc) {
        struct cdi_issue_req r = { .sub = &h.sub, .nb = nb, .na = na, .product = p->product, .host = p->host,
                                   .issuer = ca, .issuer_key = cakey, .pubkey = pub };
        rc = cdi_pki_issue(&r, &o, err);
    }
    if (!rc) rc = sq_begin(sq, err);
    if (!rc) rc = sign_check(sq, u, p, &group2, &ca2, NULL, err);
    if (!rc && group2 != group) rc = cdi_fail(err, CD_E_STATE, "the access group changed meanwhile; try again");
    if (!rc) {
        struct newrow r = { .p = p, .ca_id = p->ca_id, .group = group, .cn = h.sub.cn, .subject = o.subject,
                            .issuer = o.issuer, .serial = o.serial, .fp = o.fp, .key_alg = cdi_keytype_label(o.keytype),
                            .nb = o.nb, .na = o.na, .der = &o.der };
        rc = insert_row(sq, &r, &newid, err);
    }
    char obj[40], detail[200];
    snprintf(obj, sizeof obj, "ca %lld", (long long)p->ca_id);
    char made[48] = "a request";             /* a refusal made no certificate */
    if (newid) snprintf(made, sizeof made, "cert %lld from a request", (long long)newid);
    snprintf(detail, sizeof detail, "%s, CN %.60s", made, h.sub.cn ? h.sub.cn : "-");
    rc = sq_finish(sq, u, rc, "Sign certificate request", obj, detail, err);
    if (!rc && id) *id = newid;
    cdi_issued_clear(&o);
    cdi_csr_subject_clear(&h);
    if (cakey) gnutls_x509_privkey_deinit(cakey);
    if (ca) gnutls_x509_crt_deinit(ca);
    if (ca2) gnutls_x509_crt_deinit(ca2);
    if (pub) gnutls_pubkey_deinit(pub);
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}
