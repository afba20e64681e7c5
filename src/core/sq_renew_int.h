/* certdeck core — renewal under a CA made in memory, around a caller's
 * transaction (sq_renew.c), for the CA rollover (sq_rollover.c), and the
 * two ops of the table. */
#ifndef CERTDECK_SQ_RENEW_INT_H
#define CERTDECK_SQ_RENEW_INT_H

#include <certdeck/lifecycle.h>
#include "sq_int.h"

/* A CA rollover's renewals, in two steps around its final transaction.
 * sq_renew_stage: outside any transaction (no write lock), the checks of
 * sq_cert_renew (rights, state) and every renewal of ids[0..n-1] made
 * and staged in TEMP, issued by ca (a CA made in memory, not stored yet:
 * its certificate and plain key), each keeping its old lifetime; when
 * some would outlive ca, the refusal counts them and names the first and
 * the days ca would need.  sq_renew_commit: inside the caller's write
 * transaction, once ca is stored as ca_id: the checks again (rights, the
 * Use right on ca_id, an old certificate revoked, renewed, moved or
 * deleted meanwhile refuses it all) and the rows moved in with their
 * links, tags and audit records; the caller writes the batch's record
 * (sq_finish).  sq_renew_run_free: always, after either (clears TEMP). */
struct sq_renew_run;
int sq_renew_stage(struct sq *sq, const cd_user *u, const struct cdi_issued *ca, const int64_t *ids, size_t n,
                   cd_progress_fn progress, void *ctx, struct sq_renew_run **run, struct cd_err *err);
int sq_renew_commit(struct sq_renew_run *run, int64_t ca_id, struct cd_err *err);
void sq_renew_run_free(struct sq_renew_run *run);
int sq_cert_renew(cd_store *s, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids, size_t n,
                  cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err);
int sq_ca_rollover(cd_store *s, const cd_user *u, int64_t old_ca, const struct cd_ca_params *p,
                   cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued, struct cd_err *err);

#endif
