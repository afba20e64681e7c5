/* certdeck core — the https backend's in-process transport (https_int.h):
 * each request is answered by cd_api_handle on a local store, as the user
 * the credentials name, the way certdeckd would answer it.  Unit tests run
 * the whole backend and the whole API with it, without a network. */
#include <stdlib.h>
#include <string.h>
#include "https_int.h"
#include "http_int.h"

struct local {
    cd_store      *inner;
    const cd_user *as;        /* the "~/.netrc" user */
    cd_user       *logged;    /* from the last set_auth with a name */
    int            use_as;
    int            login_rc;
    struct cd_err  login_err;
};

static int local_auth(void *ctx, const char *user, const char *password, struct cd_err *err)
{
    (void)err;
    struct local *l = ctx;
    cd_user_free(l->logged);
    l->logged = NULL;
    l->use_as = !user;
    memset(&l->login_err, 0, sizeof l->login_err);
    /* like Basic auth, a wrong password shows at the next request (401) */
    l->login_rc = user ? cd_user_login(l->inner, user, password, &l->logged, &l->login_err) : CD_OK;
    return CD_OK;
}

static int local_request(void *ctx, const char *method, const char *path_query, const char *body, size_t len,
                         long *status, struct cdi_buf *resp, struct cd_err *err)
{
    struct local *l = ctx;
    struct cd_api_response rs;
    const char *q = strchr(path_query, '?');
    char *path = q ? strndup(path_query, (size_t)(q - path_query)) : strdup(path_query);
    if (!path) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    const cd_user *u = l->use_as ? l->as : l->logged;
    if (l->login_rc || !u) {
        cd_api_error(&rs, 401, CD_E_LOGIN, l->login_rc ? cd_errmsg(&l->login_err, l->login_rc) : "no credentials");
    } else {
        struct cd_api_request rq = { method, path, q ? q + 1 : NULL, body, body ? len : 0 };
        cd_api_handle(l->inner, u, &rq, &rs);
    }
    free(path);
    *status = rs.status;
    resp->len = 0;
    cdi_buf_add(resp, rs.body ? rs.body : "", rs.len);
    cd_api_response_free(&rs);
    return resp->oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : CD_OK;
}

static void local_close(void *ctx)
{
    struct local *l = ctx;
    cd_user_free(l->logged);
    free(l);
}

int cdi_https_open_local(cd_store *inner, const cd_user *as, unsigned flags, cd_store **out, struct cd_err *err)
{
    *out = NULL;
    cd_store *s = calloc(1, sizeof *s);
    struct local *l = calloc(1, sizeof *l);
    if (!s || !l) {
        free(s);
        free(l);
        return cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    l->inner = inner;
    l->as = as;
    struct cdi_https_transport t = { l, local_request, local_auth, cdi_http_escape, local_close, NULL };
    int rc = cdi_https_open_with(s, "https://in-process", "in-process", &t, flags, err);
    if (rc) {
        free(s->name);
        free(s);
        return rc;
    }
    *out = s;
    return CD_OK;
}
