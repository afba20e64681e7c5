/* certdeck core — renew and replace (certdeck/lifecycle.h), on the bulk
 * engine (sq_bulk_int.h), in the three phases of sq_issue.c:
 *
 * 1. Checks and reading, no write lock: every old certificate (rights,
 *    state, its CA's certificate and key once per CA, the validity of its
 *    renewal inside that CA).
 * 2. Generation, no lock: worker threads read each old certificate's
 *    subject and key type from its DER, make a key of that type (or unseal
 *    the old one: same_key), issue and seal; the calling thread stages
 *    each result, with what the row carries over (CA, product, host,
 *    description, group, export passphrase, the old ID), in a TEMP table.
 * 3. One short write transaction: the checks again (a certificate revoked
 *    or renewed meanwhile, a right withdrawn), the rows moved into certs
 *    with one INSERT … SELECT (replaces = the old ID), the old rows' tags
 *    copied through that link, the search index, one audit record per new
 *    certificate and the batch's.
 * A CA rollover (sq_rollover.c) runs phases 1 and 2 the same way, no
 * lock held, with the new CA in memory as the issuer (sq_renew_stage),
 * and phase 3 inside its own final transaction (sq_renew_commit). */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"
#include "sq_bulk_int.h"
#include "sq_renew_int.h"

#define CHUNK 256               /* rows per TEMP transaction and progress call */
#define DAY 86400

/* A CA renewals are issued by: its certificate and plain key (wiped). */
struct rca { int64_t id, nb, na; gnutls_datum_t der, plain; };

/* One certificate to renew: what its renewal carries over. */
struct ritem {
    int64_t old, ca_id, group, nb, na;
    int product;
    size_t ca;                  /* index in renew.ca */
    char *host, *desc, *pass_hash;
    char *oldcn;                /* the old row's CN: the template's test */
    int ec256;                  /* the old key is P-256 (templates are) */
    int keyless;                /* signed from a request: the key is the client's, its public key is renewed */
    char cn[80];                /* written by the worker that makes it */
    gnutls_datum_t der, key;    /* the old certificate; its sealed key (same_key only) */
    char fp[65];
};

struct renew {
    struct sq *sq;
    const cd_user *u;
    const struct cd_renew_params *p;
    size_t n;
    struct ritem *it;
    struct rca *ca;
    size_t nca;
    int64_t *groups;            /* groups whose rights are checked */
    size_t ngroups;
    int in_tx;
    /* a rollover: the issuer of every renewal, made in memory (its ID is
     * known in phase 3); the renewals that would outlive it */
    const struct cdi_issued *mem;
    size_t late;
    int64_t late_first, late_first_na, late_max;
    sqlite3_stmt *st;
    cd_progress_fn progress;
    void *ctx;
    int64_t lo;                 /* the new IDs are lo+1 .. lo+n */
};

static const char STAGE_TABLE[] =
    "CREATE TEMP TABLE IF NOT EXISTS renew_stage(seq INTEGER PRIMARY KEY, replaces INTEGER NOT NULL,"
    " ca_id INTEGER NOT NULL, product INTEGER NOT NULL, host TEXT NOT NULL, description TEXT NOT NULL,"
    " pass_hash TEXT, group_id INTEGER NOT NULL, cn TEXT NOT NULL, subject TEXT NOT NULL, issuer TEXT NOT NULL,"
    " serial TEXT NOT NULL, fingerprint TEXT NOT NULL, not_before INTEGER NOT NULL, not_after INTEGER NOT NULL,"
    " key_alg TEXT NOT NULL, der BLOB NOT NULL, key BLOB NOT NULL);"
    "DELETE FROM temp.renew_stage";

static void renew_free(struct renew *R)
{
    for (size_t i = 0; R->it && i < R->n; i++) {
        struct ritem *t = &R->it[i];
        free(t->host);
        free(t->desc);
        free(t->pass_hash);
        free(t->oldcn);
        free(t->der.data);
        free(t->key.data);
    }
    for (size_t c = 0; c < R->nca; c++) {
        gnutls_free(R->ca[c].der.data);
        if (R->ca[c].plain.data) {
            cdi_wipe(R->ca[c].plain.data, R->ca[c].plain.size);
            gnutls_free(R->ca[c].plain.data);
        }
    }
    free(R->it);
    free(R->ca);
    free(R->groups);
    sqlite3_finalize(R->st);
    R->it = NULL;
    R->ca = NULL;
    R->groups = NULL;
    R->st = NULL;
    R->nca = R->ngroups = 0;
}

/* CD_ACT_CERT_NEW (and Read) in a certificate's group, once per group. */
static int check_group(struct renew *R, int64_t id, int64_t group, struct cd_err *err)
{
    for (size_t g = 0; g < R->ngroups; g++)
        if (R->groups[g] == group) return CD_OK;
    int rc = sq_obj_may(R->sq, R->u, CD_ACT_CERT_NEW, CD_KIND_CERT, id, group, err);
    if (rc) return rc;
    int64_t *ng = realloc(R->groups, (R->ngroups + 1) * sizeof *ng);
    if (!ng) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    R->groups = ng;
    R->groups[R->ngroups++] = group;
    return CD_OK;
}

/* The rollover's new CA, in memory: a copy of its certificate and key;
 * its ID stays 0 until phase 3 stored it. */
static int mem_ca(struct renew *R, struct rca *c, struct cd_err *err)
{
    const struct cdi_issued *o = R->mem;
    c->id = 0;
    c->nb = o->nb;
    c->na = o->na;
    c->der.data = gnutls_malloc(o->der.size);
    c->plain.data = gnutls_malloc(o->key.size);
    R->nca++;                   /* freed by renew_free even when it failed */
    if (!c->der.data || !c->plain.data) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    memcpy(c->der.data, o->der.data, c->der.size = o->der.size);
    memcpy(c->plain.data, o->key.data, c->plain.size = o->key.size);
    return CD_OK;
}

/* The CA a renewal is issued by: loaded once (Use right, its key). */
static int find_ca(struct renew *R, int64_t ca_id, size_t *idx, struct cd_err *err)
{
    for (size_t c = 0; c < R->nca; c++)
        if (R->mem || R->ca[c].id == ca_id) { *idx = c; return CD_OK; }
    gnutls_x509_crt_t crt = NULL;
    gnutls_x509_privkey_t key = NULL;
    struct rca *nc = realloc(R->ca, (R->nca + 1) * sizeof *nc);
    if (!nc) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    R->ca = nc;
    struct rca *c = &R->ca[R->nca];
    memset(c, 0, sizeof *c);
    c->id = ca_id;
    if (R->mem) return mem_ca(R, c, err);
    int rc = sq_ca_load(R->sq, R->u, ca_id, R->p->ca_passphrase, CD_RIGHT_USE, &crt, &key, err);
    if (rc) return rc;
    int gt = gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &c->der);
    if (gt < 0) rc = cdi_fail(err, CD_E_CRYPTO, "CA: %s", gnutls_strerror(gt));
    if (!rc) rc = cdi_key_export_plain(key, &c->plain, err);
    c->nb = (int64_t)gnutls_x509_crt_get_activation_time(crt);
    c->na = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
    gnutls_x509_privkey_deinit(key);
    gnutls_x509_crt_deinit(crt);
    R->nca++;                   /* freed by renew_free even when it failed half way */
    *idx = R->nca - 1;
    return rc;
}

static int dup_blob(const void *p, int len, gnutls_datum_t *d, struct cd_err *err)
{
    d->size = len > 0 ? (unsigned)len : 0;
    if (!d->size) return CD_OK;
    if (!(d->data = malloc(d->size))) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    memcpy(d->data, p, d->size);
    return CD_OK;
}

/* Reads old certificate t->old; refuses what cannot be renewed. */
static int load_one(struct renew *R, sqlite3_stmt *st, struct ritem *t, int64_t now, struct cd_err *err)
{
    struct sq *sq = R->sq;
    int64_t id = t->old;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, id);
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW) return r == SQLITE_DONE ? sq_missing(err, CD_KIND_CERT, id) : sq_dberr(sq, err, "certificate");
    t->group = sqlite3_column_int64(st, 4);
    int rc = check_group(R, id, t->group, err);
    if (rc) return rc;
    int64_t ca_id = sqlite3_column_int64(st, 0), old_nb = sqlite3_column_int64(st, 9);
    int64_t old_na = sqlite3_column_int64(st, 10), by = sqlite3_column_int64(st, 13);
    t->product = sqlite3_column_int(st, 1);
    if (sqlite3_column_int(st, 12))
        return cdi_fail(err, CD_E_STATE, "cert %lld is pending (its signed certificate was never imported): "
                        "there is nothing to renew yet (certdeck cert import-signed %lld FILE.pem completes it)",
                        (long long)id, (long long)id);
    if (cd_product_external(t->product))
        return cdi_fail(err, CD_E_STATE, "cert %lld is an %s certificate: Apple signs those, so it is renewed with a "
                        "new request for Apple's portal: certdeck cert request-renew %lld --csr-out FILE", (long long)id,
                        cd_product_label(t->product), (long long)id);
    if (sqlite3_column_int64(st, 11))
        return cdi_fail(err, CD_E_STATE, "cert %lld is revoked; a revoked certificate is not renewed", (long long)id);
    if (by)
        return cdi_fail(err, CD_E_STATE, "cert %lld is already replaced by cert %lld; renew cert %lld instead",
                        (long long)id, (long long)by, (long long)by);
    /* no key here (signed from a request): the renewal certifies the same
     * public key, with or without same_key; a new key made here would be
     * one the client does not have (cd_cert_sign: no key is stored) */
    t->keyless = sqlite3_column_bytes(st, 6) == 0;
    if ((rc = find_ca(R, R->p->ca_id ? R->p->ca_id : ca_id, &t->ca, err))) return rc;
    const struct rca *c = &R->ca[t->ca];
    t->ca_id = c->id;
    t->nb = now - DAY;                  /* as cd_cert_new backdates, inside the CA */
    if (t->nb < c->nb) t->nb = c->nb;
    int64_t life = R->p->days ? (int64_t)R->p->days * DAY : old_na - old_nb;
    if (life <= 0) life = 730 * DAY;
    t->na = t->nb + life;
    if (t->na > c->na && R->mem) {
        /* a rollover keeps every lifetime: all the offenders are counted */
        if (!R->late++) { R->late_first = id; R->late_first_na = t->na; }
        if (t->na > R->late_max) R->late_max = t->na;
    } else if (t->na > c->na) {
        char t1[32], t2[32];
        cdi_fmt_time(t->na, t1, sizeof t1);
        cdi_fmt_time(c->na, t2, sizeof t2);
        return cdi_fail(err, CD_E_INVAL, "cert %lld: its renewal would be valid to %s UTC, after CA %lld's own "
                        "expiry %s UTC; choose fewer days (--days) or another CA (--ca)", (long long)id, t1,
                        (long long)c->id, t2);
    }
    t->ec256 = sqlite3_column_text(st, 15) &&
               !strcmp((const char *)sqlite3_column_text(st, 15), cdi_keytype_label(CD_KEY_EC256));
    if (!(t->host = sq_text(st, 2)) || !(t->desc = sq_text(st, 3)) || !(t->oldcn = sq_text(st, 14)))
        return cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (sqlite3_column_type(st, 8) != SQLITE_NULL && !(t->pass_hash = sq_text(st, 8)))
        return cdi_fail(err, CD_E_NOMEM, "out of memory");
    snprintf(t->fp, sizeof t->fp, "%s", sqlite3_column_text(st, 7) ? (const char *)sqlite3_column_text(st, 7) : "");
    if ((rc = dup_blob(sqlite3_column_blob(st, 5), sqlite3_column_bytes(st, 5), &t->der, err))) return rc;
    if (R->p->same_key && !t->keyless) rc = dup_blob(sqlite3_column_blob(st, 6), sqlite3_column_bytes(st, 6), &t->key, err);
    return rc;
}

static int cmp_id(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* Phase 1.  Reads only: no write lock outside a caller's transaction. */
static int prepare(struct renew *R, const int64_t *ids, struct cd_err *err)
{
    struct sq *sq = R->sq;
    sqlite3_stmt *st = NULL;
    int64_t *sorted = malloc(R->n * sizeof *sorted);
    R->it = calloc(R->n, sizeof *R->it);
    int rc = sorted && R->it ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (rc) goto out;
    memcpy(sorted, ids, R->n * sizeof *sorted);
    qsort(sorted, R->n, sizeof *sorted, cmp_id);
    for (size_t i = 1; i < R->n; i++)
        if (sorted[i] == sorted[i - 1]) {
            rc = cdi_fail(err, CD_E_INVAL, "cert %lld is listed twice", (long long)sorted[i]);
            goto out;
        }
    if ((rc = sq_store_key(sq, err))) goto out;
    rc = sq_prep(sq, "SELECT c.ca_id, c.product, c.host, c.description, c.group_id, c.der, c.key, c.fingerprint,"
                     " c.pass_hash, c.not_before, c.not_after, c.revoked_at, c.pending,"
                     " (SELECT max(r.id) FROM certs r WHERE r.replaces = c.id AND r.replaces <> 0), c.cn, c.key_alg"
                     " FROM certs c WHERE c.id = ?",
                 &st, err);
    int64_t now = cdi_now();
    for (size_t i = 0; i < R->n && !rc; i++) {
        R->it[i].old = ids[i];
        rc = load_one(R, st, &R->it[i], now, err);
    }
    if (!rc && R->late) {
        const struct rca *c = &R->ca[0];
        char t1[32], t2[32];
        cdi_fmt_time(R->late_first_na, t1, sizeof t1);
        cdi_fmt_time(c->na, t2, sizeof t2);
        long long days = (R->late_max - c->nb + DAY - 1) / DAY;
        rc = cdi_fail(err, CD_E_INVAL, "%zu of the %zu certificates to reissue would outlive the new CA (a reissued "
                      "certificate keeps its lifetime): the first, cert %lld, would be valid to %s UTC, after the new "
                      "CA's expiry %s UTC; give the new CA at least %lld days (--days %lld); nothing was changed",
                      R->late, R->n, (long long)R->late_first, t1, t2, days, days);
    }
    if (!rc) rc = sq_exec(sq, STAGE_TABLE, err);
out:
    sqlite3_finalize(st);
    free(sorted);
    return rc;
}

/* ---- phase 2: the engine's callbacks ------------------------------------ */

/* One thread's copies of the CAs, loaded as its items need them, and its
 * template (pki.c): made from a renewal whose CN ends in 6 digits, it
 * issues the renewals of the same shape (same CA, product, host, validity,
 * P-256, old subject DER equal but for those digits: a batch made by
 * cert new --count) at the cost of a key and a signature. */
#define TMPL_MIN 32             /* batches from this size on use templates */
#define TMPL_BUILDS 8           /* templates a thread makes at most */
#define TMPL_MISSES 16          /* renewals in a row of another shape: the template goes */
struct rmaker {
    size_t n;
    gnutls_x509_crt_t *crt;
    gnutls_x509_privkey_t *key;
    struct cdi_tmpl *tmpl;
    size_t tmpl_item;           /* the renewal it was made from */
    size_t digits;              /* where the CN's digits are in that one's old subject DER */
    int builds, misses;
};

/* Where the last 6 characters of t->oldcn are in t's old subject DER: in
 * the one CN attribute (2.5.4.3) whose value is that CN as a UTF8String or
 * PrintableString; (size_t)-1 when not exactly once. */
static size_t cn_digits(const struct ritem *t)
{
    static const unsigned char cn_oid[] = { 0x06, 0x03, 0x55, 0x04, 0x03 };
    size_t off, len, cl = strlen(t->oldcn), at = (size_t)-1, k = sizeof cn_oid;
    if (cl < 6 || cl > 127 || cdi_der_subject(t->der.data, t->der.size, &off, &len)) return at;
    const unsigned char *d = t->der.data + off;
    for (size_t i = 0; i + k + 2 + cl <= len; i++) {
        const unsigned char *v = d + i + k;
        if (memcmp(d + i, cn_oid, k) || (v[0] != 0x0c && v[0] != 0x13) || v[1] != cl || memcmp(v + 2, t->oldcn, cl))
            continue;
        if (at != (size_t)-1) return (size_t)-1;
        at = i + k + 2 + cl - 6;
    }
    return at;
}

/* 1 when m's template makes t's renewal exactly as cdi_pki_issue would:
 * the same shape, and an old subject equal to the template's, byte for
 * byte (string types too), but for the CN's digits. */
static int tmpl_fits(const struct renew *R, const struct rmaker *m, const struct ritem *t)
{
    if (!m->tmpl || !t->ec256 || R->p->same_key || t->keyless) return 0;
    const struct ritem *a = &R->it[m->tmpl_item];
    size_t ao, al, to, tl, p = m->digits, cl = strlen(t->oldcn);
    if (t->ca != a->ca || t->product != a->product || t->nb != a->nb || t->na != a->na || strcmp(t->host, a->host) ||
        cl < 6 || !cdi_tmpl_fits(m->tmpl, t->oldcn) || cdi_der_subject(a->der.data, a->der.size, &ao, &al) ||
        cdi_der_subject(t->der.data, t->der.size, &to, &tl) || al != tl || p + 6 > al)
        return 0;
    const unsigned char *x = a->der.data + ao, *y = t->der.data + to;
    return !memcmp(x, y, p) && !memcmp(y + p, t->oldcn + cl - 6, 6) && !memcmp(x + p + 6, y + p + 6, al - p - 6);
}

static int rm_init(void *ctx, void **state, struct cd_err *err)
{
    const struct renew *R = ctx;
    struct rmaker *m = calloc(1, sizeof *m);
    if (m) {
        m->crt = calloc(R->nca, sizeof *m->crt);
        m->key = calloc(R->nca, sizeof *m->key);
        m->n = R->nca;
    }
    if (!m || !m->crt || !m->key) {
        if (m) { free(m->crt); free(m->key); free(m); }
        return cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    *state = m;
    return CD_OK;
}

static void rm_fini(void *ctx, void *state)
{
    (void)ctx;
    struct rmaker *m = state;
    if (!m) return;
    cdi_tmpl_free(m->tmpl);                     /* before the key it signs with */
    for (size_t c = 0; c < m->n; c++) {
        if (m->key[c]) gnutls_x509_privkey_deinit(m->key[c]);
        if (m->crt[c]) gnutls_x509_crt_deinit(m->crt[c]);
    }
    free(m->crt);
    free(m->key);
    free(m);
}

/* The CN, which names the row (pki.c carries the whole subject over). */
static int read_cn(gnutls_x509_crt_t old, char **cn, int64_t id, struct cd_err *err)
{
    size_t sz = 0;
    int gt = gnutls_x509_crt_get_dn_by_oid(old, GNUTLS_OID_X520_COMMON_NAME, 0, 0, NULL, &sz);
    if (gt == GNUTLS_E_SHORT_MEMORY_BUFFER) {
        if (!(*cn = calloc(1, sz + 1))) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        gt = gnutls_x509_crt_get_dn_by_oid(old, GNUTLS_OID_X520_COMMON_NAME, 0, 0, *cn, &sz);
    }
    if (gt == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE || (gt >= 0 && !**cn))
        return cdi_fail(err, CD_E_INVAL, "cert %lld has no common name to carry over", (long long)id);
    if (gt < 0) return cdi_fail(err, CD_E_CRYPTO, "cert %lld: subject: %s", (long long)id, gnutls_strerror(gt));
    return CD_OK;
}

/* "cert ID: " before a message that does not name it yet (a batch's one
 * refusal must say which certificate refused it). */
static void name_cert(struct cd_err *err, int64_t id)
{
    char m[sizeof err->msg];
    if (!strncmp(err->msg, "cert ", 5)) return;
    snprintf(m, sizeof m, "cert %lld: %.480s", (long long)id, err->msg);     /* 27 + 480 < 512 */
    memcpy(err->msg, m, sizeof m);
}

static int rm_make(void *ctx, void *state, size_t i, struct cdi_issued *o, struct cd_err *err)
{
    const struct renew *R = ctx;
    struct rmaker *m = state;
    struct ritem *t = &R->it[i];
    const struct rca *c = &R->ca[t->ca];
    gnutls_x509_crt_t old = NULL;
    gnutls_x509_privkey_t k = NULL;
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t plain = { 0 }, sealed = { 0 };
    char *cn = NULL;
    int rc = CD_OK;
    if (!m->crt[t->ca]) {
        if ((rc = cdi_crt_load(c->der.data, c->der.size, &m->crt[t->ca], err))) goto out;
        if ((rc = cdi_key_import_plain(c->plain.data, c->plain.size, &m->key[t->ca], err))) goto out;
    }
    if (tmpl_fits(R, m, t)) {
        m->misses = 0;
        if ((rc = cdi_tmpl_issue(m->tmpl, t->oldcn, o, err))) goto out;
        snprintf(t->cn, sizeof t->cn, "%.79s", t->oldcn);
        goto seal;
    }
    if (m->tmpl && ++m->misses >= TMPL_MISSES) {
        cdi_tmpl_free(m->tmpl);
        m->tmpl = NULL;
        m->misses = 0;
    }
    if ((rc = cdi_crt_load(t->der.data, t->der.size, &old, err))) goto out;
    if ((rc = read_cn(old, &cn, t->old, err))) goto out;
    unsigned bits = 0;
    int kt = -1;
    if (gnutls_pubkey_init(&pub) >= 0 && gnutls_pubkey_import_x509(pub, old, 0) >= 0) {
        int pk = gnutls_pubkey_get_pk_algorithm(pub, &bits);   /* sets bits: read after it */
        kt = cdi_keytype_of(pk, bits);
    }
    if (kt < 0) {
        rc = cdi_fail(err, CD_E_UNSUPPORTED, "cert %lld has a key of a type certdeck does not issue for", (long long)t->old);
        goto out;
    }
    if (R->p->same_key && !t->keyless) {
        if ((rc = cdi_unseal(R->sq->key, t->fp, 64, t->key.data, t->key.size, &plain, err))) goto out;
        if ((rc = cdi_key_import_plain(plain.data, plain.size, &k, err))) goto out;
    }
    struct cd_subject sub = { .cn = cn };
    struct cdi_issue_req r = { .sub = &sub, .subject_of = old, .keytype = kt, .nb = t->nb, .na = t->na, .product = t->product,
                               .host = t->host, .issuer = m->crt[t->ca], .issuer_key = m->key[t->ca], .key = k,
                               .pubkey = t->keyless ? pub : NULL };
    if ((rc = cdi_pki_issue(&r, o, err))) { name_cert(err, t->old); goto out; }
    /* the name came over whole, or the renewal is refused */
    size_t no, nl, oo, ol;
    if (cdi_der_subject(o->der.data, o->der.size, &no, &nl) || cdi_der_subject(t->der.data, t->der.size, &oo, &ol) ||
        nl != ol || memcmp(o->der.data + no, t->der.data + oo, nl)) {
        rc = cdi_fail(err, CD_E_UNSUPPORTED, "cert %lld: its subject cannot be carried over exactly", (long long)t->old);
        goto out;
    }
    snprintf(t->cn, sizeof t->cn, "%.79s", cn);
    /* a template costs a probe (a key, a signature, a parse): big batches only */
    size_t at;
    if (!k && !t->keyless && !m->tmpl && R->n >= TMPL_MIN && m->builds < TMPL_BUILDS && t->ec256 && !strcmp(t->oldcn, cn) &&
        (at = cn_digits(t)) != (size_t)-1) {
        m->builds++;
        if ((m->tmpl = cdi_tmpl_new(&r, o))) {
            m->tmpl_item = i;
            m->digits = at;
        }
    }
    if (t->keyless) goto out;                               /* nothing to seal: o->key stays empty */
seal:;
    const gnutls_datum_t *pk = k ? &plain : &o->key;        /* a given key stays ours: pki.c */
    if ((rc = cdi_seal(R->sq->key, o->fp, 64, pk->data, pk->size, &sealed, err))) goto out;
    if (o->key.data) { cdi_wipe(o->key.data, o->key.size); gnutls_free(o->key.data); }
    o->key = sealed;
    sealed.data = NULL;
out:
    if (plain.data) { cdi_wipe(plain.data, plain.size); gnutls_free(plain.data); }
    gnutls_free(sealed.data);
    if (k) gnutls_x509_privkey_deinit(k);
    if (pub) gnutls_pubkey_deinit(pub);
    if (old) gnutls_x509_crt_deinit(old);
    free(cn);
    return rc;
}

/* Stages item i; TEMP rows commit in chunks of their own. */
static int rm_take(void *ctx, size_t i, struct cdi_issued *o, struct cd_err *err)
{
    struct renew *R = ctx;
    struct sq *sq = R->sq;
    const struct ritem *t = &R->it[i];
    sqlite3_stmt *st = R->st;
    int rc = CD_OK;
    if (!R->in_tx && !(rc = sq_exec(sq, "BEGIN", err))) R->in_tx = 1;
    if (rc) return rc;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t)i);
    sqlite3_bind_int64(st, 2, t->old);
    sqlite3_bind_int64(st, 3, t->ca_id);
    sqlite3_bind_int(st, 4, t->product);
    sqlite3_bind_text(st, 5, t->host, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, t->desc, -1, SQLITE_STATIC);
    if (t->pass_hash) sqlite3_bind_text(st, 7, t->pass_hash, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 7);
    sqlite3_bind_int64(st, 8, t->group);
    sqlite3_bind_text(st, 9, t->cn, -1, SQLITE_STATIC);
    sq_bind_issued(st, 10, o);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    if (r != SQLITE_DONE) return sq_dberr(sq, err, "staging certificates");
    if ((i + 1) % CHUNK == 0 || i + 1 == R->n) {
        if (R->in_tx && !(rc = sq_exec(sq, "COMMIT", err))) R->in_tx = 0;
        if (!rc && R->progress) R->progress(R->ctx, i + 1, R->n);
    }
    return rc;
}

static int generate(struct renew *R, struct cd_err *err)
{
    int rc = sq_prep(R->sq, "INSERT INTO temp.renew_stage(seq, replaces, ca_id, product, host, description,"
                            " pass_hash, group_id, cn, subject, issuer, serial, fingerprint, not_before, not_after,"
                            " key_alg, der, key) VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &R->st, err);
    struct sq_bulk b = { .n = R->n, .ctx = R, .init = rm_init, .fini = rm_fini, .make = rm_make, .take = rm_take };
    if (!rc) rc = sq_bulk_run(&b, err);
    if (R->in_tx) sqlite3_exec(R->sq->db, "ROLLBACK", NULL, NULL, NULL);
    R->in_tx = 0;
    return rc;
}

/* ---- phase 3: inside the write transaction ------------------------------ */

/* The checks again: rights, CAs, and no old certificate revoked, renewed
 * or gone meanwhile. */
static int recheck(struct renew *R, struct cd_err *err)
{
    struct sq *sq = R->sq;
    int rc = CD_OK;
    for (size_t g = 0; g < R->ngroups && !rc; g++) rc = sq_may(sq, R->u, CD_ACT_CERT_NEW, R->groups[g], err);
    for (size_t c = 0; c < R->nca && !rc; c++) {
        gnutls_x509_crt_t crt = NULL;
        rc = sq_ca_load(sq, R->u, R->ca[c].id, NULL, CD_RIGHT_USE, &crt, NULL, err);
        if (crt) gnutls_x509_crt_deinit(crt);
    }
    sqlite3_stmt *st = NULL;
    if (!rc) rc = sq_prep(sq, "SELECT s.replaces FROM temp.renew_stage s LEFT JOIN certs c ON c.id = s.replaces"
                              " WHERE c.id IS NULL OR c.revoked_at <> 0 OR c.group_id <> s.group_id"
                              " OR EXISTS(SELECT 1 FROM certs r WHERE r.replaces = s.replaces AND r.replaces <> 0) LIMIT 1", &st, err);
    if (!rc) {
        int r = sqlite3_step(st);
        if (r == SQLITE_ROW)
            rc = cdi_fail(err, CD_E_STATE, "cert %lld was revoked, renewed, moved or deleted while its renewal was "
                          "made; nothing was renewed: try again", (long long)sqlite3_column_int64(st, 0));
        else if (r != SQLITE_DONE) rc = sq_dberr(sq, err, "certificate");
    }
    sqlite3_finalize(st);
    return rc;
}

static int audit_rows(struct renew *R, struct cd_err *err)
{
    struct sq *sq = R->sq;
    char prev[65];
    int64_t aid;
    int rc = sq_audit_last(sq, &aid, prev, err);
    int64_t ts = cdi_now();
    for (size_t i = 0; i < R->n && !rc; i++) {
        char obj[32], detail[160];
        snprintf(obj, sizeof obj, "cert %lld", (long long)(R->lo + 1 + (int64_t)i));
        snprintf(detail, sizeof detail, "renews cert %lld, CN %s", (long long)R->it[i].old, R->it[i].cn);
        rc = sq_audit_next(sq, &aid, prev, ts, R->u->name, "Renew certificate", obj, "Success", detail, err);
    }
    return rc;
}

static int move_in(struct renew *R, int64_t *new_ids, struct cd_err *err)
{
    struct sq *sq = R->sq;
    sqlite3_stmt *st = NULL;
    int rc = recheck(R, err);
    if (!rc && !(rc = sq_prep(sq, "SELECT coalesce(max(id), 0) FROM certs", &st, err))) {
        if (sqlite3_step(st) == SQLITE_ROW) R->lo = sqlite3_column_int64(st, 0);
        else rc = sq_dberr(sq, err, "certificate");
        sqlite3_finalize(st);
        st = NULL;
    }
    if (!rc) rc = sq_prep(sq, "INSERT INTO certs(ca_id, product, host, description, cn, subject, issuer, serial,"
                              " fingerprint, not_before, not_after, key_alg, der, key, pass_hash, group_id, created,"
                              " replaces) SELECT coalesce(nullif(ca_id, 0), ?2), product, host, description, cn, subject, issuer, serial,"
                              " fingerprint, not_before, not_after, key_alg, der, key, pass_hash, group_id, ?1,"
                              " replaces FROM temp.renew_stage ORDER BY seq", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, cdi_now());
        sqlite3_bind_int64(st, 2, R->mem ? R->ca[0].id : 0);   /* the rollover's CA, stored by now */
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "certificate");
        /* rowids are consecutive: this transaction is the only writer */
        else if ((size_t)sqlite3_changes(sq->db) != R->n || sqlite3_last_insert_rowid(sq->db) != R->lo + (int64_t)R->n)
            rc = cdi_fail(err, CD_E_STORE, "certificate: %zu rows staged, %d stored", R->n, sqlite3_changes(sq->db));
        sqlite3_finalize(st);
        st = NULL;
    }
    /* the tags come through the link just made */
    if (!rc) rc = sq_prep(sq, "INSERT OR IGNORE INTO cert_tags(tag_id, cert_id) SELECT t.tag_id, c.id FROM certs c"
                              " JOIN cert_tags t ON t.cert_id = c.replaces WHERE c.id > ?", &st, err);
    if (!rc) {
        sqlite3_bind_int64(st, 1, R->lo);
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "tag");
        sqlite3_finalize(st);
    }
    if (!rc) rc = sq_fts_add_range(sq, R->lo + 1, R->lo + (int64_t)R->n, err);
    if (!rc) rc = audit_rows(R, err);
    for (size_t i = 0; !rc && new_ids && i < R->n; i++) new_ids[i] = R->lo + 1 + (int64_t)i;
    return rc;
}

struct sq_renew_run { struct renew R; };

int sq_renew_stage(struct sq *sq, const cd_user *u, const struct cdi_issued *ca, const int64_t *ids, size_t n,
                   cd_progress_fn progress, void *ctx, struct sq_renew_run **run, struct cd_err *err)
{
    static const struct cd_renew_params none = { 0 };
    struct sq_renew_run *w = calloc(1, sizeof *w);
    if (!w) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    w->R = (struct renew){ .sq = sq, .u = u, .p = &none, .n = n, .mem = ca, .progress = progress, .ctx = ctx };
    int rc = prepare(&w->R, ids, err);
    if (!rc) rc = generate(&w->R, err);
    if (rc) sq_renew_run_free(w);
    else *run = w;
    return rc;
}

int sq_renew_commit(struct sq_renew_run *run, int64_t ca_id, struct cd_err *err)
{
    struct renew *R = &run->R;
    if (R->nca) R->ca[0].id = ca_id;            /* the checks load it as any CA: the Use right */
    return move_in(R, NULL, err);
}

void sq_renew_run_free(struct sq_renew_run *run)
{
    if (!run) return;
    sq_bulk_stage_clear(run->R.sq, "renew_stage");
    renew_free(&run->R);
    free(run);
}

int sq_cert_renew(cd_store *s, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids, size_t n,
                  cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct renew R = { .sq = sq, .u = u, .p = p, .n = n, .progress = progress, .ctx = ctx };
    sq->hidden = 0;             /* what sq_begin would clear: this call's own finding counts */
    int rc = sq->readonly ? sq_begin(sq, err) : CD_OK;
    if (!rc) rc = prepare(&R, ids, err);
    if (!rc) rc = generate(&R, err);
    /* the keys are made: another bulk run's final transaction is worth
     * waiting for well past the busy timeout (as sq_cert_new) */
    int tries = 0;
    if (!rc) while ((rc = sq_begin(sq, err)) == CD_E_BUSY && ++tries < 12) {}
    if (!rc) rc = move_in(&R, new_ids, err);
    char obj[40], detail[160];
    if (p->ca_id) snprintf(obj, sizeof obj, "ca %lld", (long long)p->ca_id);
    else snprintf(obj, sizeof obj, "certs");
    if (n == 1) snprintf(detail, sizeof detail, "1 certificate, cert %lld", (long long)ids[0]);
    else snprintf(detail, sizeof detail, "%zu certificates, cert %lld ...", n, (long long)ids[0]);
    /* success records are per certificate (above); this one is the batch's,
     * and what a refusal or failure leaves behind */
    rc = sq_finish(sq, u, rc, "Renew certificates", obj, detail, err);
    sq_bulk_stage_clear(sq, "renew_stage");
    renew_free(&R);
    return rc;
}
