/* certdeck core — the https backend's mirror settings (the mirror agents
 * are told of, certdeck/mirror.h): GET and PUT /client/mirror, like the
 * client password's calls; and the warning window (certdeck/check.h):
 * GET and PUT /expiry-warning, {"days": N}.  The password travels only in a request body
 * (wiped once sent) and never comes back: the answer says has_password. */
#include <stdlib.h>
#include <string.h>
#include "https_int.h"

int hs_mirror_settings_get(cd_store *s, const cd_user *u, struct cd_mirror_settings *out, struct cd_err *err)
{
    (void)u;
    json_t *j = NULL;
    int rc = hs_call(s, "GET", "/client/mirror", NULL, &j, err);
    if (!rc) rc = cdi_json_decode(cdi_jt_mirror, j, out, CDI_J_COPY, err);
    json_decref(j);
    return rc;
}

int hs_mirror_settings_set(cd_store *s, const cd_user *u, const char *url, const char *user, const char *password,
                           struct cd_err *err)
{
    (void)u;
    /* absent: NULL (no address, no user; the stored password kept) */
    json_t *b = json_object();
    int bad = !b;
    if (!bad && url) bad = json_object_set_new(b, "url", cdi_json_str(url));
    if (!bad && user) bad = json_object_set_new(b, "user", cdi_json_str(user));
    if (!bad && password) bad = json_object_set_new(b, "password", cdi_json_str(password));
    int rc = bad ? cdi_fail(err, CD_E_NOMEM, "out of memory") : hs_change(s, "PUT", "/client/mirror", b, NULL, err);
    if (b) cdi_json_wipe(b);
    json_decref(b);
    return rc;
}

int hs_expiry_warning_get(cd_store *s, const cd_user *u, int *days, struct cd_err *err)
{
    (void)u;
    json_t *j = NULL;
    int rc = hs_call(s, "GET", "/expiry-warning", NULL, &j, err);
    if (!rc) {
        json_t *x = json_object_get(j, "days");
        json_int_t d = json_is_integer(x) ? json_integer_value(x) : 0;
        /* the server's answer is checked like any input */
        if (d < CD_EXPIRY_WARN_MIN_DAYS || d > CD_EXPIRY_WARN_MAX_DAYS)
            rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: no valid \"days\" in the answer", HS(s)->hostport);
        else *days = (int)d;
    }
    json_decref(j);
    return rc;
}

int hs_expiry_warning_set(cd_store *s, const cd_user *u, int days, struct cd_err *err)
{
    (void)u;
    json_t *b = json_pack("{sI}", "days", (json_int_t)days);
    int rc = b ? hs_change(s, "PUT", "/expiry-warning", b, NULL, err) : cdi_fail(err, CD_E_NOMEM, "out of memory");
    json_decref(b);
    return rc;
}
