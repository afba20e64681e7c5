/* certdeck core — the public users and permission-set API: names of types
 * and rights, argument checks, dispatch to the backend. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "core_int.h"

static const char *const otypes[CD_OT_COUNT] = { "certificates", "cas", "tags", "presets", "users" };
static const char *const rights[] = { "no", "Read", "Use", "Write" };

const char *cd_otype_name(int t) { return t >= 0 && t < CD_OT_COUNT ? otypes[t] : "objects"; }
const char *cd_right_name(int r) { return r >= 0 && r <= CD_RIGHT_WRITE ? rights[r] : "?"; }

int cd_otype_parse(const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < CD_OT_COUNT; i++) if (!strcasecmp(s, otypes[i])) return i;
    if (!strcasecmp(s, "certs") || !strcasecmp(s, "cert") || !strcasecmp(s, "certificate")) return CD_OT_CERTS;
    if (!strcasecmp(s, "ca") || !strcasecmp(s, "authorities")) return CD_OT_CAS;
    if (!strcasecmp(s, "tag")) return CD_OT_TAGS;
    if (!strcasecmp(s, "preset")) return CD_OT_PRESETS;
    if (!strcasecmp(s, "user")) return CD_OT_USERS;
    return -1;
}

int cd_user_is_admin(const cd_user *u) { return u && u->admin; }

static const struct cdi_action actions[CD_ACT_COUNT] = {
#define CD_X(e, n, t, r, t2, r2, sc, ch) [e] = { n, t, r, t2, r2, sc, ch },
    CD_ACTION_LIST(CD_X)
#undef CD_X
};

const struct cdi_action *cdi_action(int a) { return a >= 0 && a < CD_ACT_COUNT ? &actions[a] : NULL; }
const char *cd_action_name(int a) { return a >= 0 && a < CD_ACT_COUNT ? actions[a].name : "?"; }

/* The same table the core's checks read (sq_may), asked through
 * cd_user_can so that every backend answers it. */
int cd_user_may(cd_store *s, const cd_user *u, int action, const char *group, char *why, size_t n)
{
    if (why && n) *why = 0;
    const struct cdi_action *a = cdi_action(action);
    if (!s || !u || !a) return 0;
    /* a mirror carries no private keys, and answers a CRL with the one it
     * published instead of signing one: not a change there */
    int mirror = cdi_store_is_mirror(s);
    if (mirror && action == CD_ACT_CERT_EXPORT_KEY) {
        if (why && n) snprintf(why, n, "a mirror carries no private keys; cannot %s", a->name);
        return 0;
    }
    if (a->changes && cd_store_readonly(s) && !(mirror && action == CD_ACT_CA_CRL)) {
        if (why && n) snprintf(why, n, "%s; cannot %s", cd_store_readonly_reason(s), a->name);
        return 0;
    }
    const char *g = a->scope == CD_SCOPE_HOME ? NULL : a->scope == CD_SCOPE_ALL ? "/All" : group;
    if (!cd_user_can(s, u, a->otype, a->right, g, why, n)) return 0;
    return a->right2 == CD_RIGHT_NONE || cd_user_can(s, u, a->otype2, a->right2, g, why, n);
}

#define CHECK(s, u) do { \
    if (!(s)) return cdi_fail(err, CD_E_INVAL, "no store is open"); \
    if (!(u)) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user"); } while (0)

static int need(const char *v, const char *what, struct cd_err *err)
{
    return v && *v ? CD_OK : cdi_fail(err, CD_E_INVAL, "%s is required", what);
}

int cd_user_login(cd_store *s, const char *name, const char *password, cd_user **out, struct cd_err *err)
{
    *out = NULL;
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    int rc = need(name, "a user name", err);
    return rc ? rc : s->ops->user_login(s, name, password ? password : "", out, err);
}

int cd_user_can(cd_store *s, const cd_user *u, int otype, int right, const char *group, char *why, size_t n)
{
    if (why && n) *why = 0;
    if (!s || !u || otype < 0 || otype >= CD_OT_COUNT) return 0;
    return s->ops->user_can(s, u, otype, right, group, why, n);
}

int cd_user_add(cd_store *s, const cd_user *u, const char *name, const char *home, const char *password,
                struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->user_add(s, u, name, home, password, err);
}

int cd_user_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->user_rm(s, u, name, err);
}

int cd_user_set_disabled(cd_store *s, const cd_user *u, const char *name, int disabled, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->user_set_disabled(s, u, name, disabled, err);
}

int cd_user_passwd(cd_store *s, const cd_user *u, const char *name, const char *old, const char *pw,
                   struct cd_err *err)
{
    CHECK(s, u);
    int rc = need(pw, "a new password", err);
    if (!rc && strlen(pw) < 8) rc = cdi_fail(err, CD_E_INVAL, "a password has at least 8 characters");
    return rc ? rc : s->ops->user_passwd(s, u, name, old, pw, err);
}

int cd_user_list(cd_store *s, const cd_user *u, struct cd_user_list *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    CHECK(s, u);
    return s->ops->user_list(s, u, out, err);
}

static void user_clear(struct cd_user_info *r) { free(r->name); free(r->home); free(r->permsets); }
LIST_FREE(cd_user_list_free, struct cd_user_list, user_clear)

int cd_permset_add(cd_store *s, const cd_user *u, const char *name, const char *const *groups, size_t ng,
                   const int level[CD_OT_COUNT], struct cd_err *err)
{
    CHECK(s, u);
    if (!ng) return cdi_fail(err, CD_E_INVAL, "a permission set needs at least one access group");
    int any = 0;
    for (int t = 0; t < CD_OT_COUNT; t++) {
        if (level[t] < CD_RIGHT_NONE || level[t] > CD_RIGHT_WRITE) return cdi_fail(err, CD_E_INVAL, "unknown right");
        any |= level[t] > CD_RIGHT_NONE;
    }
    if (!any) return cdi_fail(err, CD_E_INVAL, "a permission set grants at least Read on one object type");
    return s->ops->permset_add(s, u, name, groups, ng, level, err);
}

int cd_permset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->permset_rm(s, u, name, err);
}

int cd_permset_grant(cd_store *s, const cd_user *u, const char *set, const char *user, int grant,
                     struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->permset_grant(s, u, set, user, grant, err);
}

int cd_permset_list(cd_store *s, const cd_user *u, struct cd_permset_list *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    CHECK(s, u);
    return s->ops->permset_list(s, u, out, err);
}

static void permset_clear(struct cd_permset *p) { free(p->name); free(p->groups); free(p->users); }
LIST_FREE(cd_permset_list_free, struct cd_permset_list, permset_clear)
