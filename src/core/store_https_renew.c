/* certdeck core — the https backend's lifecycle calls (certdeck/lifecycle.h):
 * renew and CA rollover, one API call each (api_renew.c serves them).  The
 * server does the work in one transaction; progress comes once, at the end. */
#include <stdlib.h>
#include <string.h>
#include "https_int.h"

int hs_cert_renew(cd_store *s, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids, size_t n,
                  cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err)
{
    (void)u;
    json_t *a = json_array(), *b = NULL, *j = NULL;
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_integer(ids[i]))) { json_decref(a); a = NULL; }
    if (a) b = json_pack("{s:o, s:I, s:b, s:i}", "ids", a, "ca_id", (json_int_t)p->ca_id, "same_key", p->same_key,
                         "days", p->days);
    else return cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (b && p->ca_passphrase && json_object_set_new(b, "ca_passphrase", cdi_json_str(p->ca_passphrase))) {
        json_decref(b);
        b = NULL;
    }
    if (!b) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = hs_change(s, "POST", "/certs/renew", b, &j, err);
    json_decref(b);
    const json_t *got = rc ? NULL : json_object_get(j, "ids");
    if (!rc && (!json_is_array(got) || json_array_size(got) != n))
        rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"ids\" for %zu certificates in the answer", HS(s)->hostport, n);
    for (size_t i = 0; !rc && new_ids && i < n; i++) new_ids[i] = json_integer_value(json_array_get(got, i));
    json_decref(j);
    if (!rc && progress) progress(ctx, n, n);
    return rc;
}

int hs_ca_rollover(cd_store *s, const cd_user *u, int64_t old_ca, const struct cd_ca_params *p,
                   cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued, struct cd_err *err)
{
    (void)u;
    char path[64];
    snprintf(path, sizeof path, "/cas/%lld/rollover", (long long)old_ca);
    json_t *b = cdi_json_encode(cdi_jt_ca_params, p), *j = NULL;
    if (!b) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = hs_change(s, "POST", path, b, &j, err);
    json_decref(b);
    json_t *id = rc ? NULL : json_object_get(j, "id"), *n = rc ? NULL : json_object_get(j, "reissued");
    if (!rc && (!json_is_integer(id) || !json_is_integer(n)))
        rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no \"id\" and \"reissued\" in the answer", HS(s)->hostport);
    if (!rc) {
        if (new_ca) *new_ca = json_integer_value(id);
        if (reissued) *reissued = (size_t)json_integer_value(n);
        if (progress) progress(ctx, (size_t)json_integer_value(n), (size_t)json_integer_value(n));
    }
    json_decref(j);
    return rc;
}
