/* certdeck core — issuing peer certificates, one or a million, all or
 * nothing, without holding the store's write lock while keys are made.
 *
 * 1. Checks (rights, CA, validity): reads only, no write lock.
 * 2. Generation, with no lock on the store: worker threads (one per core,
 *    each with its own copy of the CA key, so no GnuTLS object is shared
 *    between threads) make, sign and seal certificates into a bounded ring;
 *    a worker's first certificate of a batch becomes its template (pki.c),
 *    so the rest cost little more than GnuTLS's key generation and
 *    signature.  The main thread copies each finished one, in order, into
 *    a TEMP table of this connection.  SQLite keeps TEMP in a file of its
 *    own that it deletes itself, and writing it locks nothing in the
 *    store: other writers go on, and a run killed here leaves nothing
 *    behind.  Memory stays bounded by the ring whatever the count.
 * 3. One short write transaction, once every key is made: the checks
 *    again (rights or the CA may have changed meanwhile), the rows moved
 *    into certs with one INSERT … SELECT, their tags, the search index, and
 *    one audit record per certificate, chained as sq_audit chains them.
 * So another writer waits only for phase 3, which does no cryptography:
 * its length grows with the batch (about 0.05-0.07 ms a certificate on 2
 * cores, mostly the search index and writing the pages), not with the key
 * type. */
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"
#include "sq_bulk_int.h"

#define CHUNK 256         /* rows per TEMP transaction and progress call */
#define TMPL_MIN 32       /* batches from this size on use templates (pki.c) */


/* Everything the three phases share. */
struct bulk {
    size_t n;
    int64_t group;
    char *pass_hash;
    gnutls_datum_t ca_der, ca_plain;              /* plain PKCS#8: wiped at the end */
    struct cd_subject sub;
    struct cdi_issue_req base;
    const unsigned char *store_key;
};


static void name_cn(char *buf, size_t len, const char *cn, size_t n, size_t i)
{
    if (n > 1) snprintf(buf, len, "%s-%06zu", cn, i + 1);
    else snprintf(buf, len, "%s", cn);
}

/* What one thread makes certificates with: its own copy of the CA, and
 * the template its first certificate became (pki.c), if it could. */
struct maker {
    gnutls_x509_crt_t ca;
    gnutls_x509_privkey_t key;
    struct cdi_tmpl *tmpl;
    int tried;
};

static int load_ca(const struct bulk *b, struct maker *m, struct cd_err *err)
{
    int rc = cdi_crt_load(b->ca_der.data, b->ca_der.size, &m->ca, err);
    if (!rc && (rc = cdi_key_import_plain(b->ca_plain.data, b->ca_plain.size, &m->key, err))) {
        gnutls_x509_crt_deinit(m->ca);
        m->ca = NULL;
    }
    return rc;
}

static void maker_free(struct maker *m)
{
    cdi_tmpl_free(m->tmpl);                     /* before the key it signs with */
    if (m->key) gnutls_x509_privkey_deinit(m->key);
    if (m->ca) gnutls_x509_crt_deinit(m->ca);
    memset(m, 0, sizeof *m);
}

/* Makes item i; seals the key on this core, so the main thread only
 * copies bytes. */
static int make_one(const struct bulk *b, struct maker *m, size_t i, struct cdi_issued *o, struct cd_err *err)
{
    struct cd_subject sub = b->sub;
    char cn[80];
    name_cn(cn, sizeof cn, b->sub.cn, b->n, i);
    sub.cn = cn;
    int rc;
    if (m->tmpl && cdi_tmpl_fits(m->tmpl, cn)) {
        rc = cdi_tmpl_issue(m->tmpl, cn, o, err);
    } else {
        struct cdi_issue_req r = b->base;
        r.sub = &sub;
        r.issuer = m->ca;
        r.issuer_key = m->key;
        rc = cdi_pki_issue(&r, o, err);
        /* a template costs a probe (a key, a signature, a parse: about
         * 0.4 ms), so small batches go without; it may be declined for its
         * key alone (a private scalar GnuTLS wrote shorter, 1 in 256):
         * the next ones try too */
        if (!rc && b->n >= TMPL_MIN && !m->tmpl && m->tried < 3) {
            m->tried++;
            m->tmpl = cdi_tmpl_new(&r, o);
        }
    }
    if (rc) return rc;
    gnutls_datum_t sealed = { 0 };
    rc = cdi_seal(b->store_key, o->fp, 64, o->key.data, o->key.size, &sealed, err);
    cdi_wipe(o->key.data, o->key.size);
    gnutls_free(o->key.data);
    o->key = sealed;
    return rc;
}

/* One call of sq_cert_new: the phases' shared state. */
struct run {
    struct sq *sq;
    const cd_user *u;
    const struct cd_cert_params *p;
    struct bulk *b;
    int64_t *ids;
    cd_progress_fn progress;
    void *ctx;
    int final;                 /* the final transaction is open: staged rows move in */
    size_t moved;              /* staged rows already in certs */
    int64_t lo;                /* the batch's IDs are lo+1 .. lo+n */
    int64_t *tag_ids;
    size_t ntags;
    sqlite3_stmt *ins, *tag;
};

static int move_rows(struct run *run, size_t to, struct cd_err *err);

/* ---- phase 2: generation into TEMP -------------------------------------- */

static const char STAGE_TABLE[] =
    "CREATE TEMP TABLE IF NOT EXISTS bulk_stage(seq INTEGER PRIMARY KEY, cn TEXT NOT NULL, subject TEXT NOT NULL,"
    " issuer TEXT NOT NULL, serial TEXT NOT NULL, fingerprint TEXT NOT NULL, not_before INTEGER NOT NULL,"
    " not_after INTEGER NOT NULL, key_alg TEXT NOT NULL, der BLOB NOT NULL, key BLOB NOT NULL);"
    "DELETE FROM temp.bulk_stage";

static int stage_one(struct sq *sq, sqlite3_stmt *st, const struct bulk *b, size_t i, const struct cdi_issued *o,
                     struct cd_err *err)
{
    char cn[80];
    name_cn(cn, sizeof cn, b->sub.cn, b->n, i);
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, (int64_t)i);
    sqlite3_bind_text(st, 2, cn, -1, SQLITE_TRANSIENT);
    sq_bind_issued(st, 3, o);
    int r = sqlite3_step(st);
    sqlite3_reset(st);
    return r == SQLITE_DONE ? CD_OK : sq_dberr(sq, err, "staging certificates");
}

/* The engine's callbacks (sq_bulk_int.h): a maker per thread. */
struct gen { struct run *run; sqlite3_stmt *st; int in_tx; };

static int gen_init(void *ctx, void **state, struct cd_err *err)
{
    const struct gen *g = ctx;
    struct maker *m = calloc(1, sizeof *m);
    if (!m) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = load_ca(g->run->b, m, err);
    if (rc) free(m);
    else *state = m;
    return rc;
}

static void gen_fini(void *ctx, void *state)
{
    (void)ctx;
    if (!state) return;
    maker_free(state);
    free(state);
}

static int gen_make(void *ctx, void *state, size_t i, struct cdi_issued *o, struct cd_err *err)
{
    const struct gen *g = ctx;
    return make_one(g->run->b, state, i, o, err);
}

/* TEMP rows commit in chunks of their own, except inside a caller's
 * transaction (init): there they move in chunk by chunk. */
static int gen_take(void *ctx, size_t i, struct cdi_issued *o, struct cd_err *err)
{
    struct gen *g = ctx;
    struct run *run = g->run;
    struct sq *sq = run->sq;
    size_t n = run->b->n;
    int rc = CD_OK;
    if (!run->final && !g->in_tx && !(rc = sq_exec(sq, "BEGIN", err))) g->in_tx = 1;
    if (!rc) rc = stage_one(sq, g->st, run->b, i, o, err);
    if (!rc && ((i + 1) % CHUNK == 0 || i + 1 == n)) {
        if (g->in_tx && !(rc = sq_exec(sq, "COMMIT", err))) g->in_tx = 0;
        if (!rc && run->final) rc = move_rows(run, i + 1, err);
        if (!rc && run->progress) run->progress(run->ctx, i + 1, n);
    }
    return rc;
}

/* Fills temp.bulk_stage with the run's certificates.
 *
 * Why the final transaction does not open early, to overlap moving in
 * with the last keys: measured on 2 busy cores (P-256 x 20,000) the move
 * then competes with the workers for the CPU, and the lock was held twice
 * as long (3.5-4.2 s against 1.5-1.9 s) for a run that took longer too.
 * Opening it with one worker less, once the keys still to come take no
 * longer than half the moving in of those made, did no better: P-256 x
 * 20,000 throughput the same (medians 6,465 and 6,430 certificates/s), the
 * lock held 8 % longer (medians 1.36 and 1.26 s); x 5,000 on loaded cores
 * 2-10 % slower and the lock held up to 30 % longer (the tail's worker
 * competes with the mover for a core shared with others). */
static int generate(struct run *run, struct cd_err *err)
{
    struct gen g = { .run = run };
    int rc = sq_prep(run->sq, "INSERT INTO temp.bulk_stage(seq, cn, subject, issuer, serial, fingerprint,"
                              " not_before, not_after, key_alg, der, key) VALUES(?,?,?,?,?,?,?,?,?,?,?)", &g.st, err);
    struct sq_bulk b = { .n = run->b->n, .ctx = &g, .init = gen_init, .fini = gen_fini, .make = gen_make,
                         .take = gen_take };
    if (!rc) rc = sq_bulk_run(&b, err);
    if (g.in_tx) sqlite3_exec(run->sq->db, "ROLLBACK", NULL, NULL, NULL);
    sqlite3_finalize(g.st);
    return rc;
}

/* ---- phases 1 and 3: checks, and the move into the store ---------------- */

/* The rights on the target group and the CA (Use); checked before the keys
 * are made and again in the final transaction, as either may have changed
 * meanwhile (cakey NULL: the certificate only). */
static int check_rights(struct sq *sq, const cd_user *u, const struct cd_cert_params *p, int64_t *group,
                        gnutls_x509_crt_t *ca, gnutls_x509_privkey_t *cakey, struct cd_err *err)
{
    int rc = sq_group_id(sq, u, p->group, group, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_CERT_NEW, *group, err);        /* the one action map */
    if (!rc) rc = sq_ca_load(sq, u, p->ca_id, p->ca_passphrase, CD_RIGHT_USE, ca, cakey, err);
    return rc;
}

/* The validity of a certificate CA ca issues for p: days, not_before and
 * not_after as asked, the default backdating kept inside the CA, and never
 * outside the CA's own validity (the one rule for every way of issuing). */
int sq_cert_validity(const struct cd_cert_params *p, gnutls_x509_crt_t ca, int64_t *nb_out, int64_t *na_out,
                     struct cd_err *err)
{
    int64_t ca_nb = (int64_t)gnutls_x509_crt_get_activation_time(ca);
    int64_t ca_na = (int64_t)gnutls_x509_crt_get_expiration_time(ca);
    int64_t nb = p->not_before ? p->not_before : cdi_now() - 86400;
    if (nb < ca_nb) nb = p->not_before ? nb : ca_nb;      /* the default backdating stays inside the CA */
    int64_t na = p->not_after ? p->not_after : nb + (int64_t)(p->days ? p->days : 730) * 86400;
    char t1[32], t2[32];
    if (na > ca_na) {
        cdi_fmt_time(na, t1, sizeof t1);
        cdi_fmt_time(ca_na, t2, sizeof t2);
        return cdi_fail(err, CD_E_INVAL, "\"valid to\" %s UTC is after the CA's own expiry %s UTC; choose fewer "
                        "days or another CA", t1, t2);
    }
    if (nb < ca_nb) {
        cdi_fmt_time(nb, t1, sizeof t1);
        cdi_fmt_time(ca_nb, t2, sizeof t2);
        return cdi_fail(err, CD_E_INVAL, "\"valid from\" %s UTC is before the CA's own start %s UTC", t1, t2);
    }
    *nb_out = nb;
    *na_out = na;
    return CD_OK;
}

static int prepare(struct sq *sq, const cd_user *u, const struct cd_cert_params *p, size_t n, struct bulk *b,
                   struct cd_err *err)
{
    gnutls_x509_crt_t ca = NULL;
    gnutls_x509_privkey_t cakey = NULL;
    b->n = n;
    int rc = sq_store_key(sq, err);
    if (!rc) rc = check_rights(sq, u, p, &b->group, &ca, &cakey, err);
    if (rc) goto out;
    if (n > 1 && strlen(p->subject.cn) > 57) {
        rc = cdi_fail(err, CD_E_INVAL, "with --count the CN gets a \"-000001\" suffix: keep it within 57 characters");
        goto out;
    }
    int64_t nb = 0, na = 0;
    if ((rc = sq_cert_validity(p, ca, &nb, &na, err))) goto out;
    if (p->passphrase && *p->passphrase && !(b->pass_hash = cdi_pass_hash(p->passphrase, err))) {
        rc = CD_E_CRYPTO;
        goto out;
    }
    int gt;
    if ((gt = gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_DER, &b->ca_der)) < 0) {
        rc = cdi_fail(err, CD_E_CRYPTO, "CA: %s", gnutls_strerror(gt));
        goto out;
    }
    if ((rc = cdi_key_export_plain(cakey, &b->ca_plain, err))) goto out;
    b->sub = p->subject;
    b->base = (struct cdi_issue_req){ .sub = &b->sub, .keytype = p->keytype, .nb = nb, .na = na,
                                      .product = p->product, .host = p->host };
    b->store_key = sq->key;
    rc = sq_exec(sq, STAGE_TABLE, err);
out:
    if (cakey) gnutls_x509_privkey_deinit(cakey);
    if (ca) gnutls_x509_crt_deinit(ca);
    return rc;
}

static void bulk_free(struct bulk *b)
{
    free(b->pass_hash);
    gnutls_free(b->ca_der.data);
    if (b->ca_plain.data) { cdi_wipe(b->ca_plain.data, b->ca_plain.size); gnutls_free(b->ca_plain.data); }
    memset(b, 0, sizeof *b);
}

/* Inside the write transaction: the checks again, and where the batch's
 * IDs start.  Marks the run final: from now on staged rows move in. */
static int move_begin(struct run *run, struct cd_err *err)
{
    struct sq *sq = run->sq;
    const struct cd_cert_params *p = run->p;
    gnutls_x509_crt_t ca = NULL;
    sqlite3_stmt *st = NULL;
    int64_t group = 0;
    run->final = 1;
    int rc = check_rights(sq, run->u, p, &group, &ca, NULL, err);
    if (ca) gnutls_x509_crt_deinit(ca);
    if (!rc && group != run->b->group)
        rc = cdi_fail(err, CD_E_STATE, "the access group changed while issuing; try again");
    if (!rc && !(rc = sq_prep(sq, "SELECT coalesce(max(id), 0) FROM certs", &st, err))) {
        if (sqlite3_step(st) == SQLITE_ROW) run->lo = sqlite3_column_int64(st, 0);
        else rc = sq_dberr(sq, err, "certificate");
        sqlite3_finalize(st);
    }
    for (const char *const *t = p->tags; !rc && t && *t; t++) run->ntags++;
    if (!rc && run->ntags && !(run->tag_ids = calloc(run->ntags, sizeof *run->tag_ids)))
        rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    for (size_t t = 0; !rc && t < run->ntags; t++) rc = sq_tag_id(sq, p->tags[t], 1, &run->tag_ids[t], err);
    if (!rc) rc = sq_prep(sq, "INSERT INTO certs(ca_id, product, host, description, cn, subject, issuer, serial,"
                              " fingerprint, not_before, not_after, key_alg, der, key, pass_hash, group_id, created)"
                              " SELECT ?1, ?2, ?3, ?4, cn, subject, issuer, serial, fingerprint, not_before, not_after,"
                              " key_alg, der, key, ?5, ?6, ?7 FROM temp.bulk_stage WHERE seq >= ?8 AND seq < ?9"
                              " ORDER BY seq", &run->ins, err);
    if (!rc) rc = sq_prep(sq, "INSERT OR IGNORE INTO cert_tags(tag_id, cert_id) SELECT ?1, id FROM certs"
                              " WHERE id BETWEEN ?2 AND ?3", &run->tag, err);
    if (rc) return rc;
    sqlite3_stmt *s = run->ins;
    sqlite3_bind_int64(s, 1, p->ca_id);
    sqlite3_bind_int(s, 2, p->product);
    sqlite3_bind_text(s, 3, p->host && *p->host ? p->host : "*", -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 4, p->description ? p->description : "", -1, SQLITE_STATIC);
    if (run->b->pass_hash) sqlite3_bind_text(s, 5, run->b->pass_hash, -1, SQLITE_STATIC);
    else sqlite3_bind_null(s, 5);
    sqlite3_bind_int64(s, 6, group);
    sqlite3_bind_int64(s, 7, cdi_now());
    return CD_OK;
}

/* One audit record per certificate of rows run->moved .. to-1, the
 * chain's last record read once for the lot (sq_audit_next). */
static int audit_rows(struct run *run, size_t to, struct cd_err *err)
{
    struct sq *sq = run->sq;
    char prev[65];
    int64_t id;
    int rc = sq_audit_last(sq, &id, prev, err);
    int64_t ts = cdi_now();
    for (size_t i = run->moved; i < to && !rc; i++) {
        char obj[32], cn[80];
        snprintf(obj, sizeof obj, "cert %lld", (long long)(run->lo + 1 + (int64_t)i));
        name_cn(cn, sizeof cn, run->p->subject.cn, run->b->n, i);
        rc = sq_audit_next(sq, &id, prev, ts, run->u->name, "Create certificate", obj, "Success", cn, err);
    }
    return rc;
}

/* Staged rows run->moved .. to-1 into certs (IDs lo+moved+1 ..), with
 * their tags and one audit record each; the search index follows in
 * move_done. */
static int move_rows(struct run *run, size_t to, struct cd_err *err)
{
    struct sq *sq = run->sq;
    if (to <= run->moved) return CD_OK;
    int64_t first = run->lo + (int64_t)run->moved + 1, last = run->lo + (int64_t)to;
    int rc = CD_OK;
    sqlite3_reset(run->ins);
    sqlite3_bind_int64(run->ins, 8, (int64_t)run->moved);
    sqlite3_bind_int64(run->ins, 9, (int64_t)to);
    if (sqlite3_step(run->ins) != SQLITE_DONE) return sq_dberr(sq, err, "certificate");
    /* rowids are consecutive: this transaction is the only writer and
     * certs has no AUTOINCREMENT gaps to fill */
    int changed = sqlite3_changes(sq->db);
    if ((size_t)changed != to - run->moved || sqlite3_last_insert_rowid(sq->db) != last)
        return cdi_fail(err, CD_E_STORE, "certificate: %zu rows staged, %d stored", to - run->moved, changed);
    for (size_t t = 0; t < run->ntags && !rc; t++) {
        sqlite3_reset(run->tag);
        sqlite3_bind_int64(run->tag, 1, run->tag_ids[t]);
        sqlite3_bind_int64(run->tag, 2, first);
        sqlite3_bind_int64(run->tag, 3, last);
        if (sqlite3_step(run->tag) != SQLITE_DONE) rc = sq_dberr(sq, err, "tag");
    }
    if (!rc) rc = audit_rows(run, to, err);
    for (size_t i = run->moved; i < to && !rc; i++)
        if (run->ids) run->ids[i] = run->lo + 1 + (int64_t)i;
    if (!rc) run->moved = to;
    return rc;
}

/* The search index for the whole batch in one statement: FTS5 flushes and
 * merges its segments at the end of every statement, so one per chunk
 * costs about three times as much. */
static int move_done(struct run *run, struct cd_err *err)
{
    if (run->moved != run->b->n) return cdi_fail(err, CD_E_STORE, "certificate: the batch is incomplete");
    return sq_fts_add_range(run->sq, run->lo + 1, run->lo + (int64_t)run->b->n, err);
}

static void run_free(struct run *run)
{
    sqlite3_finalize(run->ins);
    sqlite3_finalize(run->tag);
    free(run->tag_ids);
    sq_bulk_stage_clear(run->sq, "bulk_stage");
    bulk_free(run->b);
}

int sq_cert_new_tx(struct sq *sq, const cd_user *u, const struct cd_cert_params *p, size_t n,
                   cd_progress_fn progress, void *ctx, int64_t *ids, struct cd_err *err)
{
    struct bulk b = { 0 };
    struct run run = { .sq = sq, .u = u, .p = p, .b = &b, .ids = ids, .progress = progress, .ctx = ctx };
    /* the caller's transaction is already open: rows move in as they come */
    int rc = prepare(sq, u, p, n, &b, err);
    if (!rc) rc = move_begin(&run, err);
    if (!rc) rc = generate(&run, err);
    if (!rc) rc = move_done(&run, err);
    run_free(&run);
    return rc;
}

int sq_cert_new(cd_store *s, const cd_user *u, const struct cd_cert_params *p, size_t n,
                cd_progress_fn progress, void *ctx, int64_t *ids, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct bulk b = { 0 };
    struct run run = { .sq = sq, .u = u, .p = p, .b = &b, .ids = ids, .progress = progress, .ctx = ctx };
    /* the checks only read (the final transaction repeats them), so they
     * take no write lock; sq_begin is called here only to refuse a
     * read-only store early, with its words */
    sq->hidden = 0;         /* what sq_begin would clear: this call's own finding counts */
    int rc = sq->readonly ? sq_begin(sq, err) : CD_OK;
    if (!rc) rc = prepare(sq, u, p, n, &b, err);
    if (!rc) rc = generate(&run, err);
    /* the keys are made: another bulk run's final transaction is worth
     * waiting for well past the busy timeout (each try waits that long) */
    int tries = 0;
    if (!rc) while ((rc = sq_begin(sq, err)) == CD_E_BUSY && ++tries < 12) {}
    if (!rc) rc = move_begin(&run, err);
    if (!rc) rc = move_rows(&run, n, err);
    if (!rc) rc = move_done(&run, err);
    char obj[40], detail[160];
    snprintf(obj, sizeof obj, "ca %lld", (long long)p->ca_id);
    snprintf(detail, sizeof detail, "%zu certificate%s, CN %.60s", n, n == 1 ? "" : "s", p->subject.cn);
    /* success records are per certificate (written above); this one is for
     * the batch, and is what a refusal or failure leaves behind */
    rc = sq_finish(sq, u, rc, "Issue certificates", obj, detail, err);
    run_free(&run);
    return rc;
}
