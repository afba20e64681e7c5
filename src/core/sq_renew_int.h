/* certdeck core — renewal inside a caller's transaction (sq_renew.c), for
 * the CA rollover (sq_rollover.c), and the two ops of the table. */
#ifndef CERTDECK_SQ_RENEW_INT_H
#define CERTDECK_SQ_RENEW_INT_H

#include <certdeck/lifecycle.h>
#include "sq_int.h"

/* Renews ids[0..n-1] as sq_cert_renew does, with keys made inside the
 * caller's open transaction, and the per-certificate audit records; the
 * caller writes the batch's record (sq_finish). */
int sq_renew_tx(struct sq *sq, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids, size_t n,
                cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err);
int sq_cert_renew(cd_store *s, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids, size_t n,
                  cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err);
int sq_ca_rollover(cd_store *s, const cd_user *u, int64_t old_ca, const struct cd_ca_params *p,
                   cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued, struct cd_err *err);

#endif
