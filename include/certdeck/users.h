/* certdeck — users, permission sets and logging in.
 *
 * A permission set grants, on a list of access groups (each with its
 * subgroups), a level per object type: Read, Use or Write, each including
 * the ones below it.  A user holds any number of sets; they add up.  The
 * administrator (the store's owner, home group All) holds every right.
 * Every core call takes the acting user and checks it before acting; a
 * refusal changes nothing and is audited with the result Forbidden. */
#ifndef CERTDECK_USERS_H
#define CERTDECK_USERS_H

#include <stddef.h>
#include <stdint.h>
#include <certdeck/error.h>

typedef struct cd_store cd_store;
typedef struct cd_user  cd_user;

enum cd_otype { CD_OT_CERTS, CD_OT_CAS, CD_OT_TAGS, CD_OT_PRESETS, CD_OT_USERS, CD_OT_COUNT };
enum cd_right { CD_RIGHT_NONE, CD_RIGHT_READ, CD_RIGHT_USE, CD_RIGHT_WRITE };

const char *cd_otype_name(int otype);          /* "certificates", "cas", "tags", "presets", "users" */
int         cd_otype_parse(const char *name);   /* -1 when unknown; "certs" and "ca" accepted */
const char *cd_right_name(int right);           /* "none", "Read", "Use", "Write" */

/* Logs in with a password.  A wrong name and a wrong password give the same
 * answer; after three failures for a name (existing or not) each further
 * try must wait, doubling from 1 s up to 5 minutes.  The cd_user holds no
 * link to the handle s: it may act on any other handle of the same local
 * store (certdeckd's threads each have their own), and its rights are
 * looked up on every call, never copied into it. */
int  cd_user_login(cd_store *s, const char *name, const char *password, cd_user **out,
                   struct cd_err *err);
int  cd_user_is_admin(const cd_user *u);
/* 1 when u holds `right` on objects of `otype` in the group (a path; NULL
 * or "" = u's home group), else 0 and, when why is given, the reason. */
int  cd_user_can(cd_store *s, const cd_user *u, int otype, int right, const char *group,
                 char *why, size_t whylen);

/* ---- which right each action needs ---------------------------------------
 * Every action the front ends offer, declared once with what the core
 * checks before doing it, so a console or a CLI never keeps its own copy:
 *   X(enum, name, otype, right, otype2, right2, scope, changes)
 * u must hold `right` on `otype` objects (and `right2` on `otype2`, when not
 * CD_RIGHT_NONE) in the group the scope names: CD_SCOPE_OBJECT the group
 * given to cd_user_may (the object's own group; for a new object the group
 * it is made in, NULL = u's home group), CD_SCOPE_HOME u's home group
 * whatever is given, CD_SCOPE_ALL /All.  `changes`: refused on a read-only
 * store.  Two checks the table cannot hold stay in the core: a new
 * certificate also needs CD_ACT_CA_ISSUE on its CA's group, a move needs
 * the action's right in the target group too; and acting on another user
 * (CD_ACT_USER_MANAGE, CD_ACT_PERMSET) needs every right that user, or
 * that permission set, holds. */
enum { CD_SCOPE_OBJECT, CD_SCOPE_HOME, CD_SCOPE_ALL };
#define CD_ACTION_LIST(X) \
    X(CD_ACT_CERT_NEW,        "create certificates",        CD_OT_CERTS,   CD_RIGHT_WRITE, CD_OT_CERTS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CERT_EXPORT,     "export a certificate",       CD_OT_CERTS,   CD_RIGHT_READ,  CD_OT_CERTS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 0) \
    X(CD_ACT_CERT_EXPORT_KEY, "export a private key",       CD_OT_CERTS,   CD_RIGHT_USE,   CD_OT_CERTS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 0) \
    X(CD_ACT_CERT_REVOKE,     "revoke a certificate",       CD_OT_CERTS,   CD_RIGHT_WRITE, CD_OT_CERTS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CERT_DESCRIBE,   "describe a certificate",     CD_OT_CERTS,   CD_RIGHT_WRITE, CD_OT_CERTS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CERT_MOVE,       "move a certificate",         CD_OT_CERTS,   CD_RIGHT_WRITE, CD_OT_CERTS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CERT_TAG,        "tag a certificate",          CD_OT_CERTS,   CD_RIGHT_READ,  CD_OT_TAGS,  CD_RIGHT_USE,  CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_NEW,          "create a CA",                CD_OT_CAS,     CD_RIGHT_WRITE, CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_IMPORT,       "import a CA",                CD_OT_CAS,     CD_RIGHT_WRITE, CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_EXPORT,       "export a CA certificate",    CD_OT_CAS,     CD_RIGHT_READ,  CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 0) \
    X(CD_ACT_CA_ISSUE,        "issue from a CA",            CD_OT_CAS,     CD_RIGHT_USE,   CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_CRL,          "publish a CRL",              CD_OT_CAS,     CD_RIGHT_USE,   CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_DESCRIBE,     "describe a CA",              CD_OT_CAS,     CD_RIGHT_WRITE, CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_MOVE,         "move a CA",                  CD_OT_CAS,     CD_RIGHT_WRITE, CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_DELETE,       "delete a CA",                CD_OT_CAS,     CD_RIGHT_WRITE, CD_OT_CAS,   CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_CA_TAG,          "tag a CA",                   CD_OT_CAS,     CD_RIGHT_READ,  CD_OT_TAGS,  CD_RIGHT_USE,  CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_TAG_CREATE,      "create a tag",               CD_OT_TAGS,    CD_RIGHT_WRITE, CD_OT_TAGS,  CD_RIGHT_NONE, CD_SCOPE_HOME,   1) \
    X(CD_ACT_TAG_DELETE,      "delete a tag",               CD_OT_TAGS,    CD_RIGHT_WRITE, CD_OT_TAGS,  CD_RIGHT_NONE, CD_SCOPE_ALL,    1) \
    X(CD_ACT_PRESET_SAVE,     "save a filter preset",       CD_OT_PRESETS, CD_RIGHT_WRITE, CD_OT_PRESETS, CD_RIGHT_NONE, CD_SCOPE_HOME, 1) \
    X(CD_ACT_PRESET_SHARE,    "share a filter preset",      CD_OT_PRESETS, CD_RIGHT_WRITE, CD_OT_PRESETS, CD_RIGHT_NONE, CD_SCOPE_HOME, 1) \
    X(CD_ACT_PRESET_RM,       "remove one's filter preset", CD_OT_PRESETS, CD_RIGHT_NONE,  CD_OT_PRESETS, CD_RIGHT_NONE, CD_SCOPE_HOME, 1) \
    X(CD_ACT_GROUP_ADD,       "add an access group",        CD_OT_USERS,   CD_RIGHT_WRITE, CD_OT_USERS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_GROUP_RM,        "remove an access group",     CD_OT_USERS,   CD_RIGHT_WRITE, CD_OT_USERS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_USER_ADD,        "create a user",              CD_OT_USERS,   CD_RIGHT_WRITE, CD_OT_USERS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_USER_MANAGE,     "manage a user",              CD_OT_USERS,   CD_RIGHT_WRITE, CD_OT_USERS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_PERMSET,         "manage a permission set",    CD_OT_USERS,   CD_RIGHT_WRITE, CD_OT_USERS, CD_RIGHT_NONE, CD_SCOPE_OBJECT, 1) \
    X(CD_ACT_SERVER_SETTINGS, "change server settings",     CD_OT_USERS,   CD_RIGHT_WRITE, CD_OT_USERS, CD_RIGHT_NONE, CD_SCOPE_ALL,    1) \
    X(CD_ACT_MIRROR_PUBLISH,  "publish a mirror snapshot",  CD_OT_CERTS,   CD_RIGHT_READ,  CD_OT_CAS,   CD_RIGHT_READ, CD_SCOPE_ALL,    0)
enum cd_action {
#define CD_X(e, n, t, r, t2, r2, sc, ch) e,
    CD_ACTION_LIST(CD_X)
#undef CD_X
    CD_ACT_COUNT
};
const char *cd_action_name(int action);         /* "revoke a certificate"; "?" when unknown */
/* 1 when u may do `action` in `group` (a path; see CD_ACTION_LIST for
 * which group counts), as the core will check it; else 0 and, when why is
 * given, the reason: the missing right, or "read-only: ..." when the action
 * changes the store and the store is read-only. */
int  cd_user_may(cd_store *s, const cd_user *u, int action, const char *group, char *why, size_t whylen);

struct cd_user_info {
    int64_t id;
    char   *name, *home, *permsets;   /* permsets: names, comma-separated */
    int     admin, disabled, has_password;
    int64_t created;
};
struct cd_user_list { size_t n; struct cd_user_info *rows; };

/* password may be NULL (no login until one is set).  Needs Write on users in home. */
int  cd_user_add(cd_store *s, const cd_user *u, const char *name, const char *home,
                 const char *password, struct cd_err *err);
int  cd_user_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err);
int  cd_user_set_disabled(cd_store *s, const cd_user *u, const char *name, int disabled,
                          struct cd_err *err);
/* One's own password needs the old one; another's needs Write on users. */
int  cd_user_passwd(cd_store *s, const cd_user *u, const char *name, const char *old_password,
                    const char *new_password, struct cd_err *err);
/* The users whose home group u may read users in. */
int  cd_user_list(cd_store *s, const cd_user *u, struct cd_user_list *out, struct cd_err *err);
void cd_user_list_free(struct cd_user_list *l);

struct cd_permset {
    int64_t id;
    char   *name, *groups, *users;    /* paths / names, comma-separated */
    int     level[CD_OT_COUNT];       /* enum cd_right per enum cd_otype */
};
struct cd_permset_list { size_t n; struct cd_permset *rows; };

/* No one grants what they do not hold: a non-administrator needs Write on
 * users in every group of the set, and every level of the set there. */
int  cd_permset_add(cd_store *s, const cd_user *u, const char *name, const char *const *groups,
                    size_t ngroups, const int level[CD_OT_COUNT], struct cd_err *err);
int  cd_permset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err);
int  cd_permset_list(cd_store *s, const cd_user *u, struct cd_permset_list *out, struct cd_err *err);
void cd_permset_list_free(struct cd_permset_list *l);
/* grant 1: gives the set to the user; 0: takes it back. */
int  cd_permset_grant(cd_store *s, const cd_user *u, const char *set, const char *user, int grant,
                      struct cd_err *err);

#endif
