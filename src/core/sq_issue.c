/* certdeck core — issuing peer certificates, one or a million, in one
 * transaction.
 *
 * Key generation and signing run on every core (each worker holds its own
 * copy of the CA key, so no GnuTLS object is shared between threads); the
 * main thread inserts each finished batch, so memory stays bounded by the
 * batch size whatever the count.  Every certificate gets its own audit
 * record in the same transaction. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"

#define BATCH 512

struct job {
    const struct cdi_issue_req *base;
    const gnutls_datum_t *ca_der, *ca_key;   /* plain PKCS#8 */
    const unsigned char *store_key;
    const char *cn;
    size_t count;                  /* total requested, for naming */
    size_t first, n, stride, offset;
    struct cdi_issued *out;        /* n slots of the batch */
    int rc;
    struct cd_err err;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    gnutls_x509_crt_t ca = NULL;
    gnutls_x509_privkey_t key = NULL;
    if ((j->rc = cdi_crt_load(j->ca_der->data, j->ca_der->size, &ca, &j->err))) return NULL;
    if ((j->rc = cdi_key_import_plain(j->ca_key->data, j->ca_key->size, &key, &j->err))) goto out;
    struct cdi_issue_req r = *j->base;
    r.issuer = ca;
    r.issuer_key = key;
    for (size_t i = j->offset; i < j->n; i += j->stride) {
        struct cd_subject sub = *j->base->sub;
        char cn[80];
        if (j->count > 1) {
            snprintf(cn, sizeof cn, "%s-%06zu", j->cn, j->first + i + 1);
            sub.cn = cn;
        }
        r.sub = &sub;
        struct cdi_issued *o = &j->out[i];
        if ((j->rc = cdi_pki_issue(&r, o, &j->err))) break;
        /* seal the key now, on this core, so the main thread only inserts */
        gnutls_datum_t sealed = { 0 };
        if ((j->rc = cdi_seal(j->store_key, o->fp, 64, o->key.data, o->key.size, &sealed, &j->err))) break;
        cdi_wipe(o->key.data, o->key.size);
        gnutls_free(o->key.data);
        o->key = sealed;
    }
out:
    if (key) gnutls_x509_privkey_deinit(key);
    if (ca) gnutls_x509_crt_deinit(ca);
    return NULL;
}

/* A batch being generated in the background while the previous one is
 * inserted: on 2 cores keygen and SQLite then overlap instead of taking
 * turns. */
struct gen {
    pthread_t tid[64];
    int started[64];
    struct job jobs[64];
    int threads;
};

static void gen_start(struct gen *g, const struct job *tmpl, int threads)
{
    g->threads = threads;
    for (int t = 0; t < threads; t++) {
        g->jobs[t] = *tmpl;
        g->jobs[t].offset = (size_t)t;
        g->jobs[t].stride = (size_t)threads;
        memset(&g->jobs[t].err, 0, sizeof g->jobs[t].err);
        g->started[t] = pthread_create(&g->tid[t], NULL, worker, &g->jobs[t]) == 0;
    }
}

static int gen_wait(struct gen *g, struct cd_err *err)
{
    int rc = CD_OK;
    for (int t = 0; t < g->threads; t++) {
        /* a thread that could not start has its share done here */
        if (g->started[t]) pthread_join(g->tid[t], NULL);
        else worker(&g->jobs[t]);
    }
    for (int t = 0; t < g->threads; t++)
        if (g->jobs[t].rc && !rc) {
            rc = g->jobs[t].rc;
            if (err) *err = g->jobs[t].err;
        }
    g->threads = 0;
    return rc;
}

struct ins {
    sqlite3_stmt *cert, *tag, *fts;
};

static int insert_one(struct sq *sq, const cd_user *u, struct ins *s, const struct cd_cert_params *p,
                      const struct cdi_issued *o, const char *cn, const char *pass_hash, int64_t group,
                      const int64_t *tags, size_t ntags, int64_t *id, struct cd_err *err)
{
    sqlite3_stmt *st = s->cert;
    sqlite3_reset(st);
    sqlite3_bind_int64(st, 1, p->ca_id);
    sqlite3_bind_int(st, 2, p->product);
    sqlite3_bind_text(st, 3, p->host && *p->host ? p->host : "*", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, p->description ? p->description : "", -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 5, cn, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, o->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, o->issuer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, o->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, o->fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 10, o->nb);
    sqlite3_bind_int64(st, 11, o->na);
    sqlite3_bind_text(st, 12, cdi_keytype_label(o->keytype), -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 13, o->der.data, (int)o->der.size, SQLITE_STATIC);
    sqlite3_bind_blob(st, 14, o->key.data, (int)o->key.size, SQLITE_STATIC);
    if (pass_hash) sqlite3_bind_text(st, 15, pass_hash, -1, SQLITE_STATIC);
    else sqlite3_bind_null(st, 15);
    sqlite3_bind_int64(st, 16, group);
    sqlite3_bind_int64(st, 17, cdi_now());
    if (sqlite3_step(st) != SQLITE_DONE) return sq_dberr(sq, err, "certificate");
    *id = sqlite3_last_insert_rowid(sq->db);
    for (size_t t = 0; t < ntags; t++) {
        sqlite3_reset(s->tag);
        sqlite3_bind_int64(s->tag, 1, tags[t]);
        sqlite3_bind_int64(s->tag, 2, *id);
        if (sqlite3_step(s->tag) != SQLITE_DONE) return sq_dberr(sq, err, "tag");
    }
    char obj[32];
    snprintf(obj, sizeof obj, "cert %lld", (long long)*id);
    return sq_audit(sq, u->name, "Create certificate", obj, "Success", cn, err);
}

int sq_cert_new_tx(struct sq *sq, const cd_user *u, const struct cd_cert_params *p, size_t n,
                   cd_progress_fn progress, void *ctx, int64_t *ids, struct cd_err *err)
{
    gnutls_x509_crt_t ca = NULL;
    gnutls_x509_privkey_t cakey = NULL;
    gnutls_datum_t ca_der = { 0 }, ca_plain = { 0 };
    struct cdi_issued *out = NULL;
    struct ins ins = { 0 };
    int64_t *tag_ids = NULL;
    size_t ntags = 0;
    char *pass_hash = NULL;
    int64_t group;
    int rc = sq_group_id(sq, u, p->group, &group, err);
    if (!rc) rc = sq_can(sq, u, CD_OT_CERTS, CD_RIGHT_WRITE, group, err);
    if (!rc) rc = sq_store_key(sq, err);
    if (!rc) rc = sq_ca_load(sq, u, p->ca_id, p->ca_passphrase, CD_RIGHT_USE, &ca, &cakey, err);
    if (rc) goto out;
    if (n > 1 && strlen(p->subject.cn) > 57) {
        rc = cdi_fail(err, CD_E_INVAL, "with --count the CN gets a \"-000001\" suffix: keep it within 57 characters");
        goto out;
    }
    int64_t ca_nb = (int64_t)gnutls_x509_crt_get_activation_time(ca);
    int64_t ca_na = (int64_t)gnutls_x509_crt_get_expiration_time(ca);
    int64_t nb = p->not_before ? p->not_before : cdi_now() - 86400;
    if (nb < ca_nb) nb = p->not_before ? nb : ca_nb;      /* the default backdating stays inside the CA */
    int64_t na = p->not_after ? p->not_after : nb + (int64_t)(p->days ? p->days : 730) * 86400;
    char t1[32], t2[32];
    if (na > ca_na) {
        cdi_fmt_time(na, t1, sizeof t1);
        cdi_fmt_time(ca_na, t2, sizeof t2);
        rc = cdi_fail(err, CD_E_INVAL, "\"valid to\" %s UTC is after the CA's own expiry %s UTC; choose fewer "
                      "days or another CA", t1, t2);
        goto out;
    }
    if (nb < ca_nb) {
        cdi_fmt_time(nb, t1, sizeof t1);
        cdi_fmt_time(ca_nb, t2, sizeof t2);
        rc = cdi_fail(err, CD_E_INVAL, "\"valid from\" %s UTC is before the CA's own start %s UTC", t1, t2);
        goto out;
    }
    if (p->passphrase && *p->passphrase && !(pass_hash = cdi_pass_hash(p->passphrase, err))) { rc = CD_E_CRYPTO; goto out; }
    for (const char *const *t = p->tags; t && *t; t++) ntags++;
    if (ntags && !(tag_ids = calloc(ntags, sizeof *tag_ids))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    for (size_t t = 0; t < ntags && !rc; t++) rc = sq_tag_id(sq, p->tags[t], 1, &tag_ids[t], err);
    if (rc) goto out;
    int gt;
    if ((gt = gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_DER, &ca_der)) < 0) {
        rc = cdi_fail(err, CD_E_CRYPTO, "CA: %s", gnutls_strerror(gt));
        goto out;
    }
    if ((rc = cdi_key_export_plain(cakey, &ca_plain, err))) goto out;
    if ((rc = sq_prep(sq, "INSERT INTO certs(ca_id, product, host, description, cn, subject, issuer, serial,"
                          " fingerprint, not_before, not_after, key_alg, der, key, pass_hash, group_id, created)"
                          " VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", &ins.cert, err))) goto out;
    if ((rc = sq_prep(sq, "INSERT OR IGNORE INTO cert_tags(tag_id, cert_id) VALUES(?,?)", &ins.tag, err))) goto out;

    struct cdi_issue_req base = { .sub = &p->subject, .keytype = p->keytype, .nb = nb, .na = na,
                                  .product = p->product, .host = p->host };
    size_t bsz = n < BATCH ? n : BATCH;
    out = calloc(2 * bsz, sizeof *out);          /* two buffers: one filling, one inserting */
    if (!out) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    int threads = cdi_ncpu();
    struct gen g = { 0 };
    struct job j = { .base = &base, .ca_der = &ca_der, .ca_key = &ca_plain, .store_key = sq->key,
                     .cn = p->subject.cn, .count = n, .first = 0, .n = bsz, .out = out };
    gen_start(&g, &j, (size_t)threads > bsz ? (int)bsz : threads);
    for (size_t done = 0, b = 0; done < n; done += bsz, b++) {
        size_t k = n - done < bsz ? n - done : bsz;
        struct cdi_issued *cur = out + (b % 2) * bsz;
        int grc = gen_wait(&g, rc ? NULL : err);
        if (!rc) rc = grc;
        if (!rc && done + k < n) {
            size_t nk = n - done - k < bsz ? n - done - k : bsz;
            j.first = done + k;
            j.n = nk;
            j.out = out + ((b + 1) % 2) * bsz;
            gen_start(&g, &j, (size_t)threads > nk ? (int)nk : threads);
        }
        int64_t lo = 0, id = 0;
        for (size_t i = 0; i < k && !rc; i++) {
            char cn[80];
            if (n > 1) snprintf(cn, sizeof cn, "%s-%06zu", p->subject.cn, done + i + 1);
            else snprintf(cn, sizeof cn, "%s", p->subject.cn);
            rc = insert_one(sq, u, &ins, p, &cur[i], cn, pass_hash, group, tag_ids, ntags, &id, err);
            if (!rc && ids) ids[done + i] = id;
            if (!lo) lo = id;
        }
        /* rowids are consecutive: this transaction is the only writer */
        if (!rc) rc = sq_fts_add_range(sq, lo, id, err);
        for (size_t i = 0; i < k; i++) cdi_issued_clear(&cur[i]);
        if (rc) {
            if (g.threads) {
                gen_wait(&g, NULL);
                for (size_t i = 0; i < bsz; i++) cdi_issued_clear(&out[((b + 1) % 2) * bsz + i]);
            }
            break;
        }
        if (progress) progress(ctx, done + k, n);
    }
out:
    sqlite3_finalize(ins.cert);
    sqlite3_finalize(ins.tag);
    free(out);
    free(tag_ids);
    free(pass_hash);
    gnutls_free(ca_der.data);
    if (ca_plain.data) { cdi_wipe(ca_plain.data, ca_plain.size); gnutls_free(ca_plain.data); }
    if (cakey) gnutls_x509_privkey_deinit(cakey);
    if (ca) gnutls_x509_crt_deinit(ca);
    return rc;
}

int sq_cert_new(cd_store *s, const cd_user *u, const struct cd_cert_params *p, size_t n,
                cd_progress_fn progress, void *ctx, int64_t *ids, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_cert_new_tx(sq, u, p, n, progress, ctx, ids, err);
    char obj[40], detail[160];
    snprintf(obj, sizeof obj, "ca %lld", (long long)p->ca_id);
    snprintf(detail, sizeof detail, "%zu certificate%s, CN %.60s", n, n == 1 ? "" : "s", p->subject.cn);
    /* success records are per certificate (written above); this one is for
     * the batch, and is what a refusal or failure leaves behind */
    return sq_finish(sq, u, rc, "Issue certificates", obj, detail, err);
}
