/* certdeck core — the console API's lifecycle routes (certdeck/lifecycle.h):
 * POST /certs/renew and POST /cas/{id}/rollover, one core call each. */
#include <stdlib.h>
#include <string.h>
#include "api_int.h"

#define END { NULL, 0, 0, 0, 0, NULL }
#define FLD(st, name, ty) { #name, CDI_JT_##ty, offsetof(st, name), 0, 0, NULL }

struct renew { int64_t *ids; size_t n; int64_t ca_id; const char *ca_passphrase; int same_key, days; };
static const struct cdi_jfield t_renew[] = {
    { "ids", CDI_JT_I64V, offsetof(struct renew, ids), offsetof(struct renew, n), 0, NULL },
    FLD(struct renew, ca_id, I64),
    { "ca_passphrase", CDI_JT_STR, offsetof(struct renew, ca_passphrase), 0, CDI_JF_SECRET, NULL },
    FLD(struct renew, same_key, BOOL), FLD(struct renew, days, INT), END
};

/* {"ids": [new IDs, in the order of the old ones]} */
static int cert_renew(struct api_ctx *c, void *args)
{
    struct renew *a = args;
    struct cd_renew_params p = { .ca_id = a->ca_id, .ca_passphrase = a->ca_passphrase, .same_key = a->same_key,
                                 .days = a->days };
    int64_t *nids = a->n ? calloc(a->n, sizeof *nids) : NULL;
    if (a->n && !nids) return cdi_fail(&c->err, CD_E_NOMEM, "out of memory");
    int rc = cd_cert_renew(c->s, c->u, &p, a->ids, a->n, NULL, NULL, nids, &c->err);
    if (!rc) {
        json_t *arr = json_array();
        for (size_t i = 0; arr && i < a->n; i++)
            if (json_array_append_new(arr, json_integer(nids[i]))) { json_decref(arr); arr = NULL; }
        c->created = 1;
        rc = api_out(c, arr ? json_pack("{s:o}", "ids", arr) : NULL);
    }
    free(nids);
    return rc;
}

/* {"id": the successor CA, "reissued": how many certificates} */
static int ca_rollover(struct api_ctx *c, void *args)
{
    int64_t nid = 0;
    size_t n = 0;
    int rc = cd_ca_rollover(c->s, c->u, c->id, args, NULL, NULL, &nid, &n, &c->err);
    if (rc) return rc;
    c->created = 1;
    return api_out(c, json_pack("{s:I, s:I}", "id", (json_int_t)nid, "reissued", (json_int_t)n));
}

const struct api_route api_renew_routes[] = {
    { "POST", "/certs/renew", cert_renew, t_renew, sizeof(struct renew) },
    { "POST", "/cas/{id}/rollover", ca_rollover, cdi_jt_ca_params, sizeof(struct cd_ca_params) },
    { NULL, NULL, NULL, NULL, 0 }
};
