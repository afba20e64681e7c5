/* certdeck core — the bulk engine (sq_bulk_int.h): worker threads, a
 * bounded ring, in-order consumption on the calling thread. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"
#include "sq_bulk_int.h"

#define MAX_THREADS 64

struct ring {
    pthread_mutex_t mu;
    pthread_cond_t ready, space;
    const struct sq_bulk *b;
    size_t next, consumed;
    struct cdi_issued slot[SQ_BULK_RING];
    unsigned char done[SQ_BULK_RING];
    int stop, rc;
    struct cd_err err;
};

static void ring_fail(struct ring *r, int rc, const struct cd_err *err)
{
    pthread_mutex_lock(&r->mu);
    if (!r->rc) {
        r->rc = rc;
        if (err) r->err = *err;
    }
    r->stop = 1;
    pthread_cond_broadcast(&r->ready);
    pthread_cond_broadcast(&r->space);
    pthread_mutex_unlock(&r->mu);
}

static void *worker(void *arg)
{
    struct ring *r = arg;
    const struct sq_bulk *b = r->b;
    void *state = NULL;
    struct cd_err e = { 0 };
    int rc = b->init ? b->init(b->ctx, &state, &e) : CD_OK;
    if (rc) { ring_fail(r, rc, &e); return NULL; }
    pthread_mutex_lock(&r->mu);
    for (;;) {
        while (!r->stop && r->next < b->n && r->next >= r->consumed + SQ_BULK_RING)
            pthread_cond_wait(&r->space, &r->mu);
        if (r->stop || r->next >= b->n) break;
        size_t i = r->next++;
        pthread_mutex_unlock(&r->mu);
        rc = b->make(b->ctx, state, i, &r->slot[i % SQ_BULK_RING], &e);
        if (rc) { ring_fail(r, rc, &e); pthread_mutex_lock(&r->mu); break; }
        pthread_mutex_lock(&r->mu);
        r->done[i % SQ_BULK_RING] = 1;
        if (i == r->consumed) pthread_cond_signal(&r->ready);
    }
    pthread_mutex_unlock(&r->mu);
    if (b->fini) b->fini(b->ctx, state);
    return NULL;
}

int sq_bulk_run(const struct sq_bulk *b, struct cd_err *err)
{
    struct ring *r = calloc(1, sizeof *r);
    if (!r) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    pthread_mutex_init(&r->mu, NULL);
    pthread_cond_init(&r->ready, NULL);
    pthread_cond_init(&r->space, NULL);
    r->b = b;
    pthread_t tid[MAX_THREADS];
    int threads = 0, want = cdi_ncpu(), rc = CD_OK;
    if ((size_t)want > b->n) want = (int)b->n;
    if (want > MAX_THREADS) want = MAX_THREADS;
    for (int t = 0; t < want; t++)
        if (pthread_create(&tid[threads], NULL, worker, r) == 0) threads++;
    /* no thread at all: the calling thread makes each item itself */
    void *state = NULL;
    int own = 0;
    if (!threads && b->n) {
        rc = b->init ? b->init(b->ctx, &state, err) : CD_OK;
        own = !rc;
    }
    for (size_t i = 0; i < b->n && !rc; i++) {
        struct cdi_issued *o = &r->slot[i % SQ_BULK_RING];
        if (!threads) {
            rc = b->make(b->ctx, state, i, o, err);
        } else {
            pthread_mutex_lock(&r->mu);
            while (!r->done[i % SQ_BULK_RING] && !r->stop) pthread_cond_wait(&r->ready, &r->mu);
            int ok = r->done[i % SQ_BULK_RING];
            pthread_mutex_unlock(&r->mu);
            if (!ok) break;                       /* a worker failed: r->rc says why */
        }
        if (!rc) rc = b->take(b->ctx, i, o, err);
        cdi_issued_clear(o);
        if (threads) {
            pthread_mutex_lock(&r->mu);
            r->done[i % SQ_BULK_RING] = 0;
            r->consumed = i + 1;
            pthread_cond_broadcast(&r->space);
            pthread_mutex_unlock(&r->mu);
        }
    }
    if (rc) ring_fail(r, rc, NULL);
    for (int t = 0; t < threads; t++) pthread_join(tid[t], NULL);
    if (!rc && r->rc) {
        rc = r->rc;
        if (err) *err = r->err;
    }
    if (own && b->fini) b->fini(b->ctx, state);
    for (size_t i = 0; i < SQ_BULK_RING; i++) cdi_issued_clear(&r->slot[i]);   /* wipes what was not taken */
    pthread_cond_destroy(&r->space);
    pthread_cond_destroy(&r->ready);
    pthread_mutex_destroy(&r->mu);
    free(r);
    return rc;
}

void sq_bulk_stage_clear(struct sq *sq, const char *table)
{
    /* Outside a transaction the staged rows go without a rollback journal
     * (half the time: it would copy every page it frees): nothing needs
     * undoing, and a crash takes the TEMP file with it anyway.  Inside a
     * caller's transaction (init, a rollover) the journal mode cannot
     * change. */
    sqlite3 *db = sq->db;
    sqlite3_stmt *st = NULL;
    char mode[64] = "", del[96];
    if (sqlite3_get_autocommit(db) && sqlite3_prepare_v2(db, "PRAGMA temp.journal_mode", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
        snprintf(mode, sizeof mode, "PRAGMA temp.journal_mode=%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (*mode) sqlite3_exec(db, "PRAGMA temp.journal_mode=OFF", NULL, NULL, NULL);
    snprintf(del, sizeof del, "DELETE FROM temp.%s", table);
    sqlite3_exec(db, del, NULL, NULL, NULL);
    if (*mode) sqlite3_exec(db, mode, NULL, NULL, NULL);
}

void sq_bind_issued(sqlite3_stmt *st, int at, const struct cdi_issued *o)
{
    sqlite3_bind_text(st, at, o->subject, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 1, o->issuer, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 2, o->serial, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, at + 3, o->fp, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, at + 4, o->nb);
    sqlite3_bind_int64(st, at + 5, o->na);
    sqlite3_bind_text(st, at + 6, cdi_keytype_label(o->keytype), -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, at + 7, o->der.data, (int)o->der.size, SQLITE_STATIC);
    /* no key (a renewal of a certificate whose key is the client's): X'', not NULL */
    if (o->key.size) sqlite3_bind_blob(st, at + 8, o->key.data, (int)o->key.size, SQLITE_STATIC);
    else sqlite3_bind_zeroblob(st, at + 8, 0);
}
