/* certdeck core — the console API's other routes: who am I, tags, groups,
 * presets, console state, audit, users, permission sets, rights, and the
 * agents' client settings (the client password, the mirror they are told of). */
#include <stdlib.h>
#include <string.h>
#include "api_int.h"

#define END { NULL, 0, 0, 0, 0, NULL }
#define FLD(st, name, ty) { #name, CDI_JT_##ty, offsetof(st, name), 0, 0, NULL }
#define SECRET(st, name) { #name, CDI_JT_STR, offsetof(st, name), 0, CDI_JF_SECRET, NULL }
#define ENUM(st, name, en) { #name, CDI_JT_ENUM, offsetof(st, name), 0, 0, &cdi_je_##en }

/* ---- who am I ---------------------------------------------------------- */

static int me(struct api_ctx *c, void *args)
{
    (void)args;
    /* the home group's path: the group list always holds one's home */
    struct cd_group_list g = { 0 };
    struct cd_err e = { 0 };
    const char *home = "";
    if (!cd_group_list(c->s, c->u, &g, &e))
        for (size_t i = 0; i < g.n; i++)
            if (g.rows[i].id == c->u->home_group) home = g.rows[i].path;
    int rc = api_out(c, json_pack("{sI, s:o, sb, s:o, sI, sb}", "id", (json_int_t)c->u->id, "name",
                                  cdi_json_str(c->u->name), "admin", c->u->admin, "home_group", cdi_json_str(home),
                                  "home_group_id", (json_int_t)c->u->home_group, "readonly", cd_store_readonly(c->s)));
    cd_group_list_free(&g);
    return rc;
}

struct can { int otype, right; const char *group; };
static const struct cdi_jfield t_can[] = {
    ENUM(struct can, otype, otype), ENUM(struct can, right, right), FLD(struct can, group, STR), END
};

static int can(struct api_ctx *c, void *args)
{
    struct can *a = args;
    char why[512] = "";
    int yes = cd_user_can(c->s, c->u, a->otype, a->right, a->group, why, sizeof why);
    return api_out(c, json_pack("{sb, s:o}", "can", yes, "why", cdi_json_str(why)));
}

/* ---- tags and groups ----------------------------------------------------- */

static int tag_list(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_tag_list l = { 0 };
    int rc = cd_tag_list(c->s, c->u, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_tag, l.rows, l.n, sizeof *l.rows);
    cd_tag_list_free(&l);
    return rc;
}

static int tag_create(struct api_ctx *c, void *args)
{
    c->created = 1;
    return cd_tag_create(c->s, c->u, ((struct api_name *)args)->name, &c->err);
}

static int tag_delete(struct api_ctx *c, void *args)
{
    return cd_tag_delete(c->s, c->u, ((struct api_name *)args)->name, &c->err);
}

struct tagset { int kind; int64_t *ids; size_t n; const char *tag; };
static const struct cdi_jfield t_tagset[] = {
    ENUM(struct tagset, kind, kind), { "ids", CDI_JT_I64V, offsetof(struct tagset, ids), offsetof(struct tagset, n), 0, NULL },
    FLD(struct tagset, tag, STR), END
};

static int tag_set(struct api_ctx *c, struct tagset *a, int assign)
{
    return cd_tag_set(c->s, c->u, a->kind, a->ids, a->n, a->tag, assign, &c->err);
}
static int tag_assign(struct api_ctx *c, void *args) { return tag_set(c, args, 1); }
static int tag_unassign(struct api_ctx *c, void *args) { return tag_set(c, args, 0); }

static int group_list(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_group_list l = { 0 };
    int rc = cd_group_list(c->s, c->u, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_group, l.rows, l.n, sizeof *l.rows);
    cd_group_list_free(&l);
    return rc;
}

static int group_add(struct api_ctx *c, void *args)
{
    c->created = 1;
    return cd_group_add(c->s, c->u, ((struct api_name *)args)->name, &c->err);
}

static int group_rm(struct api_ctx *c, void *args)
{
    return cd_group_rm(c->s, c->u, ((struct api_name *)args)->name, &c->err);
}

/* ---- presets and console state -------------------------------------------- */

static int preset_list(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_preset_list l = { 0 };
    int rc = cd_preset_list(c->s, c->u, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_preset, l.rows, l.n, sizeof *l.rows);
    cd_preset_list_free(&l);
    return rc;
}

struct preset { const char *name, *expr, *columns, *sort; int shared; };
static const struct cdi_jfield t_preset[] = {
    FLD(struct preset, name, STR), FLD(struct preset, expr, STR), FLD(struct preset, columns, STR),
    FLD(struct preset, sort, STR), END
};
static const struct cdi_jfield t_share[] = { FLD(struct preset, name, STR), FLD(struct preset, shared, BOOL), END };

static int preset_save(struct api_ctx *c, void *args)
{
    struct preset *a = args;
    return cd_preset_save(c->s, c->u, a->name, a->expr, a->columns, a->sort, &c->err);
}

static int preset_rm(struct api_ctx *c, void *args)
{
    return cd_preset_rm(c->s, c->u, ((struct api_name *)args)->name, &c->err);
}

static int preset_share(struct api_ctx *c, void *args)
{
    struct preset *a = args;
    return cd_preset_share(c->s, c->u, a->name, a->shared, &c->err);
}

struct state { const char *key, *value; };
static const struct cdi_jfield t_state_get[] = { FLD(struct state, key, STR), END };
static const struct cdi_jfield t_state_set[] = { FLD(struct state, key, STR), FLD(struct state, value, STR), END };

static int state_get(struct api_ctx *c, void *args)
{
    struct state *a = args;
    char *v = NULL;
    int rc = cd_state_get(c->s, c->u, a->key, &v, &c->err);
    if (!rc) rc = api_out(c, json_pack("{s:o, s:o}", "key", cdi_json_str(a->key), "value", v ? cdi_json_str(v) : json_null()));
    free(v);
    return rc;
}

static int state_set(struct api_ctx *c, void *args)
{
    struct state *a = args;
    return cd_state_set(c->s, c->u, a->key, a->value, &c->err);
}

/* ---- audit --------------------------------------------------------------- */

struct audq { const char *object, *filter; int64_t limit; };
static const struct cdi_jfield t_audq[] = {
    FLD(struct audq, object, STR), FLD(struct audq, filter, STR), FLD(struct audq, limit, I64), END
};

static int audit_list(struct api_ctx *c, void *args)
{
    struct audq *a = args;
    struct cd_audit_list l = { 0 };
    int rc = cd_audit_list(c->s, c->u, a->object, a->filter, a->limit, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_audit, l.rows, l.n, sizeof *l.rows);
    cd_audit_list_free(&l);
    return rc;
}

static int audit_verify(struct api_ctx *c, void *args)
{
    (void)args;
    int64_t checked = 0, bad = 0;
    int rc = cd_audit_verify(c->s, c->u, &checked, &bad, &c->err);
    /* kept with an error too: which record broke the chain */
    json_t *o = json_pack("{sI, sI}", "checked", (json_int_t)checked, "bad_id", (json_int_t)bad);
    int orc = api_out(c, o);
    return rc ? rc : orc;
}

/* ---- users and permission sets --------------------------------------------- */

static int user_list(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_user_list l = { 0 };
    int rc = cd_user_list(c->s, c->u, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_user_info, l.rows, l.n, sizeof *l.rows);
    cd_user_list_free(&l);
    return rc;
}

struct user { const char *name, *home, *password, *old_password, *new_password; int disabled; };
static const struct cdi_jfield t_user_add[] = {
    FLD(struct user, name, STR), FLD(struct user, home, STR), SECRET(struct user, password), END
};
static const struct cdi_jfield t_user_disable[] = { FLD(struct user, name, STR), FLD(struct user, disabled, BOOL), END };
static const struct cdi_jfield t_user_passwd[] = {
    FLD(struct user, name, STR), SECRET(struct user, old_password), SECRET(struct user, new_password), END
};
static const struct cdi_jfield t_client_pw[] = { SECRET(struct user, old_password), SECRET(struct user, new_password), END };

static int user_add(struct api_ctx *c, void *args)
{
    struct user *a = args;
    c->created = 1;
    return cd_user_add(c->s, c->u, a->name, a->home, a->password, &c->err);
}

static int user_rm(struct api_ctx *c, void *args)
{
    return cd_user_rm(c->s, c->u, ((struct api_name *)args)->name, &c->err);
}

static int user_disable(struct api_ctx *c, void *args)
{
    struct user *a = args;
    return cd_user_set_disabled(c->s, c->u, a->name, a->disabled, &c->err);
}

static int user_passwd(struct api_ctx *c, void *args)
{
    struct user *a = args;
    return cd_user_passwd(c->s, c->u, a->name, a->old_password, a->new_password, &c->err);
}

static int permset_list(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_permset_list l = { 0 };
    int rc = cd_permset_list(c->s, c->u, &l, &c->err);
    if (!rc) rc = api_rows(c, cdi_jt_permset, l.rows, l.n, sizeof *l.rows);
    cd_permset_list_free(&l);
    return rc;
}

struct permset { const char *name; const char *const *groups; int level[CD_OT_COUNT]; };
static const struct cdi_jfield t_permset[] = {
    FLD(struct permset, name, STR), FLD(struct permset, groups, STRV),
    { "levels", CDI_JT_OBJ, offsetof(struct permset, level), 0, 0, cdi_jt_levels }, END
};

static int permset_add(struct api_ctx *c, void *args)
{
    struct permset *a = args;
    size_t n = 0;
    while (a->groups && a->groups[n]) n++;
    c->created = 1;
    return cd_permset_add(c->s, c->u, a->name, a->groups, n, a->level, &c->err);
}

static int permset_rm(struct api_ctx *c, void *args)
{
    return cd_permset_rm(c->s, c->u, ((struct api_name *)args)->name, &c->err);
}

struct grant { const char *set, *user; int grant; };
static const struct cdi_jfield t_grant[] = {
    FLD(struct grant, set, STR), FLD(struct grant, user, STR), FLD(struct grant, grant, BOOL), END
};

static int permset_grant(struct api_ctx *c, void *args)
{
    struct grant *a = args;
    return cd_permset_grant(c->s, c->u, a->set, a->user, a->grant, &c->err);
}

/* ---- client settings ------------------------------------------------------- */

static int client_get(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_client_settings cs;
    int rc = cd_client_settings_get(c->s, c->u, &cs, &c->err);
    return rc ? rc : api_obj(c, cdi_jt_client, &cs);
}

static int client_password(struct api_ctx *c, void *args)
{
    struct user *a = args;
    return cd_client_password_set(c->s, c->u, a->old_password, a->new_password, &c->err);
}

struct onoff { int on; };
static const struct cdi_jfield t_onoff[] = { FLD(struct onoff, on, BOOL), END };

static int client_unauth(struct api_ctx *c, void *args)
{
    return cd_client_unauth_set(c->s, c->u, ((struct onoff *)args)->on, &c->err);
}

/* The mirror agents are told of: the password only ever in a request. */
static int mirror_get(struct api_ctx *c, void *args)
{
    (void)args;
    struct cd_mirror_settings ms;
    int rc = cd_mirror_settings_get(c->s, c->u, &ms, &c->err);
    if (!rc) rc = api_obj(c, cdi_jt_mirror, &ms);
    cd_mirror_settings_clear(&ms);
    return rc;
}

struct mirror { const char *url, *user, *password; };
static const struct cdi_jfield t_mirror[] = {
    FLD(struct mirror, url, STR), FLD(struct mirror, user, STR), SECRET(struct mirror, password), END
};

static int mirror_set(struct api_ctx *c, void *args)
{
    struct mirror *a = args;
    return cd_mirror_settings_set(c->s, c->u, a->url, a->user, a->password, &c->err);
}

/* The warning window: read by everyone, set by administrators. */
static int expiry_get(struct api_ctx *c, void *args)
{
    (void)args;
    int days = 0;
    int rc = cd_expiry_warning_get(c->s, c->u, &days, &c->err);
    return rc ? rc : api_int(c, "days", days, 0);
}

struct days { int64_t days; };
static const struct cdi_jfield t_days[] = { FLD(struct days, days, I64), END };

static int expiry_set(struct api_ctx *c, void *args)
{
    int64_t d = ((struct days *)args)->days;
    /* out of int's range is out of the window's: the core says which */
    int days = d < 0 || d > CD_EXPIRY_WARN_MAX_DAYS ? 0 : (int)d;
    return cd_expiry_warning_set(c->s, c->u, days, &c->err);
}

#define NAME sizeof(struct api_name)
const struct api_route api_misc_routes[] = {
    { "GET", "/me", me, NULL, 0 },
    { "GET", "/can", can, t_can, sizeof(struct can) },
    { "GET", "/tags", tag_list, NULL, 0 },
    { "POST", "/tags", tag_create, api_t_name, NAME },
    { "DELETE", "/tags", tag_delete, api_t_name, NAME },
    { "POST", "/tags/assign", tag_assign, t_tagset, sizeof(struct tagset) },
    { "POST", "/tags/unassign", tag_unassign, t_tagset, sizeof(struct tagset) },
    { "GET", "/groups", group_list, NULL, 0 },
    { "POST", "/groups", group_add, api_t_path, NAME },
    { "DELETE", "/groups", group_rm, api_t_path, NAME },
    { "GET", "/presets", preset_list, NULL, 0 },
    { "PUT", "/presets", preset_save, t_preset, sizeof(struct preset) },
    { "DELETE", "/presets", preset_rm, api_t_name, NAME },
    { "POST", "/presets/share", preset_share, t_share, sizeof(struct preset) },
    { "GET", "/state", state_get, t_state_get, sizeof(struct state) },
    { "PUT", "/state", state_set, t_state_set, sizeof(struct state) },
    { "GET", "/audit", audit_list, t_audq, sizeof(struct audq) },
    { "GET", "/audit/verify", audit_verify, NULL, 0 },
    { "GET", "/users", user_list, NULL, 0 },
    { "POST", "/users", user_add, t_user_add, sizeof(struct user) },
    { "DELETE", "/users", user_rm, api_t_name, NAME },
    { "POST", "/users/disable", user_disable, t_user_disable, sizeof(struct user) },
    { "POST", "/users/passwd", user_passwd, t_user_passwd, sizeof(struct user) },
    { "GET", "/permsets", permset_list, NULL, 0 },
    { "POST", "/permsets", permset_add, t_permset, sizeof(struct permset) },
    { "DELETE", "/permsets", permset_rm, api_t_name, NAME },
    { "POST", "/permsets/grant", permset_grant, t_grant, sizeof(struct grant) },
    { "GET", "/client", client_get, NULL, 0 },
    { "POST", "/client/password", client_password, t_client_pw, sizeof(struct user) },
    { "PUT", "/client/unauthenticated", client_unauth, t_onoff, sizeof(struct onoff) },
    { "GET", "/client/mirror", mirror_get, NULL, 0 },
    { "PUT", "/client/mirror", mirror_set, t_mirror, sizeof(struct mirror) },
    { "GET", "/expiry-warning", expiry_get, NULL, 0 },
    { "PUT", "/expiry-warning", expiry_set, t_days, sizeof(struct days) },
    { NULL, NULL, NULL, NULL, 0 }
};
