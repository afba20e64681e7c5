/* certdeck core — certification authorities in the sqlite backend.
 *
 * A CA key is either sealed under the store key (empty passphrase) or kept
 * as PKCS#8 PBES2-AES-256 under the CA passphrase (600,000 PBKDF2
 * iterations), in which case nothing can be issued without that passphrase.
 * An imported CA has no key at all: it is shown but cannot sign.  CAs are
 * deleted, never revoked. */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"


static const char CA_COLS[] =
    "a.id, a.description, a.cn, a.subject, a.serial, a.fingerprint, a.key_alg,"
    " (SELECT group_concat(t.name, ',') FROM ca_tags x JOIN tags t ON t.id = x.tag_id WHERE x.ca_id = a.id),"
    " g.path, a.not_before, a.not_after, a.created, a.key_prot,"
    " (SELECT count(*) FROM certs c WHERE c.ca_id = a.id AND c.revoked_at = 0 AND ";
static const char CA_FROM[] = "), a.successor, (SELECT max(p.id) FROM cas p WHERE p.successor = a.id)"
    " FROM cas a JOIN groups g ON g.id = a.group_id";

/* "SELECT <columns> FROM ..." with the certificate count limited to what u may read */
static void ca_select(const cd_user *u, struct cdi_sql *w)
{
    cdi_buf_addf(&w->sql, "SELECT %s", CA_COLS);
    sq_visible(u, CD_OT_CERTS, "c.group_id", w);
    cdi_buf_addf(&w->sql, "%s", CA_FROM);
}

static void ca_row(sqlite3_stmt *st, struct cd_ca *ca, int64_t now, int64_t warn)
{
    ca->id = sqlite3_column_int64(st, 0);
    ca->description = sq_text(st, 1); ca->cn = sq_text(st, 2); ca->subject = sq_text(st, 3);
    ca->serial = sq_text(st, 4); ca->fingerprint = sq_text(st, 5); ca->key_alg = sq_text(st, 6);
    ca->tags = sq_text(st, 7); ca->group = sq_text(st, 8);
    ca->not_before = sqlite3_column_int64(st, 9);
    ca->not_after = sqlite3_column_int64(st, 10);
    ca->created = sqlite3_column_int64(st, 11);
    int prot = sqlite3_column_int(st, 12);
    ca->can_sign = prot != SQ_KEY_NONE;
    ca->has_passphrase = prot == SQ_KEY_PASS;
    ca->cert_count = sqlite3_column_int64(st, 13);
    ca->successor = sqlite3_column_int64(st, 14);
    ca->predecessor = sqlite3_column_int64(st, 15);
    ca->state = cdi_state(ca->not_before, ca->not_after, 0, now, warn);
}

static int insert_ca(struct sq *sq, const cd_user *u, const struct cdi_issued *o, const char *desc,
                     const char *cn, const void *key, size_t keylen, int prot, int64_t group,
                     int64_t *id, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "INSERT INTO cas(description, cn, subject, serial, fingerprint, not_before, not_after,"
                         " key_alg, der, key, key_prot, group_id, created) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?)",
                     &st, err);
    if (rc) return rc;
    (void)u;
    sqlite3_bind_text(st, 1, desc ? desc : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, cn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, o->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, o->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, o->fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 6, o->nb);
    sqlite3_bind_int64(st, 7, o->na);
    sqlite3_bind_text(st, 8, o->keytype >= 0 ? cdi_keytype_label(o->keytype) : "?", -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 9, o->der.data, (int)o->der.size, SQLITE_STATIC);
    if (key) sqlite3_bind_blob(st, 10, key, (int)keylen, SQLITE_STATIC);
    sqlite3_bind_int(st, 11, prot);
    sqlite3_bind_int64(st, 12, group);
    sqlite3_bind_int64(st, 13, cdi_now());
    int r = sqlite3_step(st);
    sqlite3_finalize(st);
    if (r == SQLITE_CONSTRAINT) return cdi_fail(err, CD_E_EXISTS, "this CA is already in the store");
    if (r != SQLITE_DONE) return sq_dberr(sq, err, "CA");
    *id = sqlite3_last_insert_rowid(sq->db);
    return CD_OK;
}

int sq_ca_make(struct sq *sq, const struct cd_ca_params *p, struct sq_ca_made *m, struct cd_err *err)
{
    gnutls_x509_privkey_t k = NULL;
    memset(m, 0, sizeof *m);
    int rc = sq_store_key(sq, err);
    if (rc) return rc;
    int64_t nb = p->not_before ? p->not_before : cdi_now() - 86400;
    int64_t na = p->not_after ? p->not_after : nb + (int64_t)(p->days ? p->days : 3650) * 86400;
    struct cdi_issue_req r = { .sub = &p->subject, .keytype = p->keytype, .nb = nb, .na = na, .is_ca = 1 };
    if ((rc = cdi_pki_issue(&r, &m->o, err))) goto out;
    m->prot = p->passphrase && *p->passphrase ? SQ_KEY_PASS : SQ_KEY_STORE;
    if (m->prot == SQ_KEY_PASS) {
        if ((rc = cdi_key_import_plain(m->o.key.data, m->o.key.size, &k, err))) goto out;
        rc = cdi_key_export_pkcs8(k, p->passphrase, GNUTLS_X509_FMT_DER, &m->blob, err);
    } else {
        rc = cdi_seal(sq->key, m->o.fp, 64, m->o.key.data, m->o.key.size, &m->blob, err);
    }
out:
    if (k) gnutls_x509_privkey_deinit(k);
    if (rc) sq_ca_made_clear(m);
    return rc;
}

void sq_ca_made_clear(struct sq_ca_made *m)
{
    gnutls_free(m->blob.data);
    cdi_issued_clear(&m->o);
    memset(m, 0, sizeof *m);
}

int sq_ca_insert(struct sq *sq, const cd_user *u, const struct cd_ca_params *p, const struct sq_ca_made *m,
                 int64_t *id, struct cd_err *err)
{
    int64_t group;
    int rc = sq_group_id(sq, u, p->group, &group, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CA_NEW, group, err);
    if (!rc) rc = insert_ca(sq, u, &m->o, p->description, p->subject.cn, m->blob.data, m->blob.size, m->prot,
                            group, id, err);
    return rc;
}

int sq_ca_new_tx(struct sq *sq, const cd_user *u, const struct cd_ca_params *p, int64_t *id,
                 struct cd_err *err)
{
    struct sq_ca_made m;
    int64_t group;
    /* the rights first: no key for a refusal */
    int rc = sq_group_id(sq, u, p->group, &group, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CA_NEW, group, err);
    if (!rc) rc = sq_ca_make(sq, p, &m, err);
    if (rc) return rc;
    rc = sq_ca_insert(sq, u, p, &m, id, err);
    sq_ca_made_clear(&m);
    return rc;
}

int sq_ca_new(cd_store *s, const cd_user *u, const struct cd_ca_params *p, int64_t *id, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct sq_ca_made m = { 0 };
    int64_t nid = 0, group;
    /* the key and the certificate are made before the write lock is taken
     * (rights checked before and again inside it) */
    sq->hidden = 0;
    int rc = sq->readonly ? sq_begin(sq, err) : CD_OK;
    if (!rc) rc = sq_group_id(sq, u, p->group, &group, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CA_NEW, group, err);
    if (!rc) rc = sq_ca_make(sq, p, &m, err);
    if (!rc) rc = sq_begin(sq, err);
    if (!rc) rc = sq_ca_insert(sq, u, p, &m, &nid, err);
    char obj[32];
    snprintf(obj, sizeof obj, "ca %lld", (long long)nid);
    rc = sq_finish(sq, u, rc, "Create CA", rc ? "ca" : obj, p->subject.cn, err);
    sq_ca_made_clear(&m);
    if (!rc && id) *id = nid;
    return rc;
}

int sq_ca_import(cd_store *s, const cd_user *u, const void *data, size_t len, const char *desc,
                 const char *group, int64_t *id, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    gnutls_x509_crt_t crt = NULL;
    struct cdi_issued o = { .keytype = -1 };
    int64_t gid = 0, nid = 0;
    char cn[256] = "";
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_group_id(sq, u, group, &gid, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CA_IMPORT, gid, err);
    if (!rc) rc = cdi_crt_load(data, len, &crt, err);
    if (!rc) {
        unsigned crit = 0;
        int ca = gnutls_x509_crt_get_basic_constraints(crt, &crit, NULL, NULL);
        if (ca != 1) rc = cdi_fail(err, CD_E_INVAL, "this certificate is not a CA (its basic constraints do "
                                   "not say CA:TRUE); import it as a CA only if it is one");
    }
    if (!rc) rc = cdi_crt_describe(crt, &o, err);
    if (!rc) {
        size_t sz = sizeof cn;
        if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &sz) < 0)
            snprintf(cn, sizeof cn, "%.200s", o.subject);
        /* names from outside follow the rule of names made here: one that
         * would print other than it is (controls, bidi, bad UTF-8) is refused */
        rc = cdi_check_text(err, "common name of this certificate", cn, 0, 0);
        if (!rc) rc = cdi_check_text(err, "subject of this certificate", o.subject, 0, 0);
    }
    if (!rc) {
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &o.der);
        unsigned bits = 0;
        int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
        o.keytype = pk == GNUTLS_PK_ECDSA ? CD_KEY_EC256 : pk == GNUTLS_PK_EDDSA_ED25519 ? CD_KEY_ED25519
                  : bits >= 4096 ? CD_KEY_RSA4096 : bits >= 3072 ? CD_KEY_RSA3072 : CD_KEY_RSA2048;
        rc = insert_ca(sq, u, &o, desc, cn, NULL, 0, SQ_KEY_NONE, gid, &nid, err);
    }
    char obj[32];
    snprintf(obj, sizeof obj, "ca %lld", (long long)nid);
    rc = sq_finish(sq, u, rc, "Import CA", rc ? "ca" : obj, cn, err);
    if (crt) gnutls_x509_crt_deinit(crt);
    cdi_issued_clear(&o);
    if (!rc && id) *id = nid;
    return rc;
}

int sq_ca_list(cd_store *s, const cd_user *u, const struct cd_query *q, struct cd_ca_list *out,
               struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    cd_filter *f = NULL;
    sqlite3_stmt *st = NULL;
    int64_t now = cdi_now(), warn = 0;
    memset(out, 0, sizeof *out);
    int rc = sq_check_group(sq, u, q, err);
    if (!rc) rc = sq_expiry_secs(sq, &warn, err);
    if (!rc) rc = cd_filter_parse(q && q->filter ? q->filter : "", &f, err);
    if (rc) return rc;
    ca_select(u, &w);
    cdi_buf_addf(&w.sql, " WHERE ");
    sq_visible(u, CD_OT_CAS, "a.group_id", &w);
    cdi_buf_addf(&w.sql, " AND ");
    if ((rc = cdi_filter_sql(f, CDI_TARGET_CA, now, warn, &w, err))) goto out;
    if (q && q->group && *q->group) sq_in_subtree(&w, "a.group_id", q->group);
    cdi_buf_addf(&w.sql, " ORDER BY a.id");
    sq_page(&w, q);
    if (w.sql.oom) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if ((rc = sq_prep(sq, (char *)w.sql.p, &st, err))) goto out;
    sq_bind_all(st, &w);
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cd_ca *row = cdi_grow(&out->rows, out->n, &cap, sizeof *row);
        if (!row) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
        ca_row(st, row, now, warn);
        out->n++;
    }
    rc = sq_done(sq, r, "CA list", err);
out:
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    cd_filter_free(f);
    if (rc) cd_ca_list_free(out);
    return rc;
}

int sq_ca_get(cd_store *s, const cd_user *u, int64_t id, struct cd_ca *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cdi_sql w = { 0 };
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    ca_select(u, &w);
    cdi_buf_addf(&w.sql, " WHERE a.id = ");
    cdi_sql_int(&w, id);
    cdi_buf_addf(&w.sql, " AND ");
    sq_visible(u, CD_OT_CAS, "a.group_id", &w);
    int64_t warn = 0;
    int rc = w.sql.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : sq_prep(sq, (char *)w.sql.p, &st, err);
    if (!rc) rc = sq_expiry_secs(sq, &warn, err);
    if (!rc) {
        sq_bind_all(st, &w);
        if (sqlite3_step(st) == SQLITE_ROW) ca_row(st, out, cdi_now(), warn);
        else rc = sq_missing(err, CD_KIND_CA, id);
    }
    sqlite3_finalize(st);
    cdi_sql_free(&w);
    return rc;
}

/* Reads a CA row; checks `right` on its group; decrypts the key when asked. */
int sq_ca_load(struct sq *sq, const cd_user *u, int64_t id, const char *pass, int right,
               gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    gnutls_datum_t plain = { 0 };
    int rc = sq_prep(sq, "SELECT der, key, key_prot, group_id, fingerprint, cn FROM cas WHERE id = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, id);
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = sq_missing(err, CD_KIND_CA, id);
        goto out;
    }
    if ((rc = sq_obj_may(sq, u, -1, CD_KIND_CA, id, sqlite3_column_int64(st, 3), err))) goto out;
    if ((rc = sq_can(sq, u, CD_OT_CAS, right, sqlite3_column_int64(st, 3), err))) goto out;
    if ((rc = cdi_crt_load(sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), crt, err))) goto out;
    if (!key) goto out;
    int prot = sqlite3_column_int(st, 2);
    const unsigned char *blob = sqlite3_column_blob(st, 1);
    size_t bl = (size_t)sqlite3_column_bytes(st, 1);
    if (prot == SQ_KEY_NONE) {
        rc = cdi_fail(err, CD_E_STATE, "CA %lld has only a public key (it was imported); it cannot sign", (long long)id);
    } else if (prot == SQ_KEY_PASS) {
        if (!pass || !*pass) rc = cdi_fail(err, CD_E_PASSPHRASE, "CA %lld needs its passphrase", (long long)id);
        else rc = cdi_key_import_pkcs8(blob, bl, pass, key, err);
    } else {
        const char *fp = (const char *)sqlite3_column_text(st, 4);
        if (!(rc = sq_store_key(sq, err)) && !(rc = cdi_unseal(sq->key, fp, 64, blob, bl, &plain, err)))
            rc = cdi_key_import_plain(plain.data, plain.size, key, err);
    }
    if (rc && *crt) { gnutls_x509_crt_deinit(*crt); *crt = NULL; }
out:
    if (plain.data) { cdi_wipe(plain.data, plain.size); gnutls_free(plain.data); }
    sqlite3_finalize(st);
    return rc;
}

int sq_ca_export(cd_store *s, const cd_user *u, int64_t id, char **pem, size_t *len, struct cd_err *err)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = { 0 };
    int rc = sq_ca_load(SQ(s), u, id, NULL, CD_RIGHT_READ, &crt, NULL, err);
    if (rc) return rc;
    int gt = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &d);
    gnutls_x509_crt_deinit(crt);
    if (gt < 0) return cdi_fail(err, CD_E_CRYPTO, "export: %s", gnutls_strerror(gt));
    *pem = strndup((char *)d.data, d.size);
    *len = d.size;
    gnutls_free(d.data);
    return *pem ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
}

int sq_ca_delete(cd_store *s, const cd_user *u, int64_t id, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    char obj[32], cn[200] = "";
    snprintf(obj, sizeof obj, "ca %lld", (long long)id);
    int rc = sq_begin(sq, err);
    if (!rc && !(rc = sq_prep(sq, "SELECT group_id, cn, (SELECT count(*) FROM certs c WHERE c.ca_id = cas.id AND"
                                  " c.revoked_at = 0 AND c.not_after > ?) FROM cas WHERE id = ?", &st, err))) {
        sqlite3_bind_int64(st, 1, cdi_now());
        sqlite3_bind_int64(st, 2, id);
        if (sqlite3_step(st) != SQLITE_ROW) rc = sq_missing(err, CD_KIND_CA, id);
        else {
            snprintf(cn, sizeof cn, "%s", (const char *)sqlite3_column_text(st, 1));
            rc = sq_obj_may(sq, u, CD_ACT_CA_DELETE, CD_KIND_CA, id, sqlite3_column_int64(st, 0), err);
            int64_t live = sqlite3_column_int64(st, 2);
            if (!rc && live)
                rc = cdi_fail(err, CD_E_STATE, "CA %lld still has %lld valid certificates; revoke them or let them "
                              "expire first", (long long)id, (long long)live);
        }
        sqlite3_finalize(st);
    }
    if (!rc) {
        char sql[160];
        snprintf(sql, sizeof sql, "DELETE FROM ca_tags WHERE ca_id = %lld; DELETE FROM cas WHERE id = %lld",
                 (long long)id, (long long)id);
        rc = sq_exec(sq, sql, err);
    }
    return sq_finish(sq, u, rc, "Delete CA", obj, cn, err);
}
