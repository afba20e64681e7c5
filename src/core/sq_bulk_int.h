/* certdeck core — the bulk engine shared by issuance (sq_issue.c) and
 * renewal (sq_renew.c): worker threads make certificates into a bounded
 * ring, the calling thread takes each finished one, in order.
 *
 * Item i lives in ring slot i % SQ_BULK_RING; a worker claims i only while
 * i < taken + SQ_BULK_RING, so memory stays bounded whatever the count.
 * Each worker has a state of its own (init / fini: its own copy of the CA
 * key, so no GnuTLS object is shared between threads); with no thread at
 * all the calling thread makes each item itself. */
#ifndef CERTDECK_SQ_BULK_INT_H
#define CERTDECK_SQ_BULK_INT_H

#include "pki_int.h"

#define SQ_BULK_RING 512

struct sq_bulk {
    size_t n;
    void *ctx;
    /* per thread: *state for make (may stay NULL) */
    int  (*init)(void *ctx, void **state, struct cd_err *err);
    void (*fini)(void *ctx, void *state);
    /* item i into o, on a worker thread (o is cleared after take) */
    int  (*make)(void *ctx, void *state, size_t i, struct cdi_issued *o, struct cd_err *err);
    /* on the calling thread, i = 0, 1, ... n-1 in order */
    int  (*take)(void *ctx, size_t i, struct cdi_issued *o, struct cd_err *err);
};

/* Runs b to the end or to the first failure (make's or take's), which is
 * returned; every worker is joined and every slot wiped before it returns. */
int sq_bulk_run(const struct sq_bulk *b, struct cd_err *err);

/* Empties TEMP table `table` (a constant name) after a run, wiping its
 * staged keys' pages from use without journalling them where it may. */
struct sq;
void sq_bulk_stage_clear(struct sq *sq, const char *table);

/* Binds what issuing made, as a staged row holds it: subject, issuer,
 * serial, fingerprint, not_before, not_after, key_alg, der, key to
 * parameters at .. at+8 of st (o must outlive the step). */
typedef struct sqlite3_stmt sqlite3_stmt;
void sq_bind_issued(sqlite3_stmt *st, int at, const struct cdi_issued *o);

#endif
