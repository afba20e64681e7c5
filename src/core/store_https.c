/* certdeck core — the https backend: a certdeckd server through libcurl.
 * (Placeholder until the backend lands: opening one says so.) */
#include "core_int.h"

const struct cdi_store_ops cdi_https_ops = { .name = "https" };

int cdi_https_open(cd_store *s, const char *spec, const struct cd_open_opts *o, struct cd_err *err)
{
    (void)s; (void)o;
    return cdi_fail(err, CD_E_UNSUPPORTED, "store \"%.200s\": the https backend is not built yet", spec);
}
