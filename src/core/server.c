/* certdeck core — the public half of certdeck/server.h: argument checks,
 * then dispatch to the backend.  Client settings and usage work on every
 * backend; the check-in, served CRLs and the server's TLS identity only on
 * a local store (certdeckd's own), CD_E_UNSUPPORTED elsewhere. */
#include <stdlib.h>
#include <string.h>
#include "core_int.h"

#define CHECK(s, u) do { \
    if (!(s)) return cdi_fail(err, CD_E_INVAL, "no store is open"); \
    if (!(u)) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user"); } while (0)

/* A backend without the operation says so by name. */
#define OP(s, op) ((s)->ops->op ? CD_OK : cdi_fail(err, CD_E_UNSUPPORTED, \
                   "%s stores do not support this", (s)->ops->name))

int cd_client_settings_get(cd_store *s, const cd_user *u, struct cd_client_settings *out, struct cd_err *err)
{
    CHECK(s, u);
    memset(out, 0, sizeof *out);
    int rc = OP(s, client_settings_get);
    return rc ? rc : s->ops->client_settings_get(s, u, out, err);
}

int cd_client_password_set(cd_store *s, const cd_user *u, const char *old_pw, const char *new_pw,
                           struct cd_err *err)
{
    CHECK(s, u);
    int rc = OP(s, client_password_set);
    return rc ? rc : s->ops->client_password_set(s, u, old_pw ? old_pw : "", new_pw ? new_pw : "", err);
}

int cd_client_unauth_set(cd_store *s, const cd_user *u, int on, struct cd_err *err)
{
    CHECK(s, u);
    int rc = OP(s, client_unauth_set);
    return rc ? rc : s->ops->client_unauth_set(s, u, on ? 1 : 0, err);
}

static void usage_clear(struct cd_usage *x)
{
    free(x->client);
    free(x->address);
}
LIST_FREE(cd_usage_list_free, struct cd_usage_list, usage_clear)

int cd_cert_usage(cd_store *s, const cd_user *u, int64_t id, struct cd_usage_list *out, struct cd_err *err)
{
    CHECK(s, u);
    memset(out, 0, sizeof *out);
    int rc = OP(s, cert_usage);
    return rc ? rc : s->ops->cert_usage(s, u, id, out, err);
}

int cd_checkin_verify(cd_store *s, const struct cd_checkin_req *rq, struct cd_checkin_result *out,
                      struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    memset(out, 0, sizeof *out);
    if (!rq->cert_der || !rq->cert_len) {
        snprintf(out->reason, sizeof out->reason, "no client certificate");
        return CD_OK;
    }
    int rc = OP(s, checkin_verify);
    return rc ? rc : s->ops->checkin_verify(s, rq, out, err);
}

int cd_checkin_record(cd_store *s, const struct cd_checkin_event *ev, size_t n, struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    if (!n) return CD_OK;
    int rc = OP(s, checkin_record);
    return rc ? rc : s->ops->checkin_record(s, ev, n, err);
}

int cd_crl_current(cd_store *s, int64_t ca_id, unsigned char **der, size_t *len, struct cd_crl_info *info,
                   struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    *der = NULL;
    *len = 0;
    struct cd_crl_info dummy;
    if (!info) info = &dummy;
    memset(info, 0, sizeof *info);
    int rc = OP(s, crl_current);
    return rc ? rc : s->ops->crl_current(s, ca_id, der, len, info, err);
}

int cd_crl_index(cd_store *s, struct cd_crl_info **out, size_t *n, struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    *out = NULL;
    *n = 0;
    int rc = OP(s, crl_index);
    return rc ? rc : s->ops->crl_index(s, out, n, err);
}

int cd_server_tls(cd_store *s, int64_t cert_id, char **chain_pem, char **key_pem, struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    *chain_pem = *key_pem = NULL;
    int rc = OP(s, server_tls);
    return rc ? rc : s->ops->server_tls(s, cert_id, chain_pem, key_pem, err);
}

int cd_trust_pem(cd_store *s, char **pem, struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    *pem = NULL;
    int rc = OP(s, trust_pem);
    return rc ? rc : s->ops->trust_pem(s, pem, err);
}

/* ---- the mirror agents are told of (certdeck/mirror.h) -------------------------- */

int cd_mirror_settings_get(cd_store *s, const cd_user *u, struct cd_mirror_settings *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    CHECK(s, u);
    int rc = OP(s, mirror_settings_get);
    if (!rc) rc = s->ops->mirror_settings_get(s, u, out, err);
    if (rc) cd_mirror_settings_clear(out);
    return rc;
}

int cd_mirror_settings_set(cd_store *s, const cd_user *u, const char *url, const char *user, const char *password,
                           struct cd_err *err)
{
    CHECK(s, u);
    int rc = OP(s, mirror_settings_set);
    /* "" and NULL alike for the address and the user; the password keeps
     * the difference (NULL: keep the stored one) */
    return rc ? rc : s->ops->mirror_settings_set(s, u, url && *url ? url : NULL, user && *user ? user : NULL,
                                                 password, err);
}

void cd_mirror_settings_clear(struct cd_mirror_settings *m)
{
    if (!m) return;
    free(m->url);
    free(m->user);
    memset(m, 0, sizeof *m);
}

int cd_mirror_settings_secret(cd_store *s, struct cd_mirror_secret *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    int rc = OP(s, mirror_settings_secret);
    if (!rc) rc = s->ops->mirror_settings_secret(s, out, err);
    if (rc) cd_mirror_secret_clear(out);
    return rc;
}

void cd_mirror_secret_clear(struct cd_mirror_secret *m)
{
    if (!m) return;
    if (m->password) cdi_wipe(m->password, strlen(m->password));
    free(m->url);
    free(m->user);
    free(m->password);
    memset(m, 0, sizeof *m);
}
