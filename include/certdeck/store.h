/* certdeck — the store API: every object of the model and every mutation.
 *
 * A store is named by one string (see cd_store_open).  All reads take a
 * query (filter, sort, page) and return only that page, and counts are their
 * own call, so a remote backend never ships a million rows to draw a screen.
 * Every call takes the acting user; every mutation checks that user's rights
 * and writes its change and its audit record in one transaction, so a failed
 * or refused call leaves the store as it was.
 *
 * Strings in returned rows are exactly as stored (possibly hostile): run them
 * through cd_sanitize() before they reach a terminal or a file. */
#ifndef CERTDECK_STORE_H
#define CERTDECK_STORE_H

#include <stddef.h>
#include <stdint.h>
#include <certdeck/error.h>

typedef struct cd_store cd_store;
typedef struct cd_user  cd_user;
struct cd_mirror_opts;

/* ---- enumerations shared by every front end ---------------------------- */

#define CD_PRODUCT_LIST(X) \
    X(CD_PRODUCT_AGENT,  "agent",  "Agent")  \
    X(CD_PRODUCT_SERVER, "server", "Server") \
    X(CD_PRODUCT_PROXY,  "proxy",  "Proxy")  \
    X(CD_PRODUCT_MDM,    "mdm",    "MDM")    \
    X(CD_PRODUCT_CUSTOM, "custom", "Custom") \
    X(CD_PRODUCT_APN,    "apn",    "APN")    \
    X(CD_PRODUCT_ABM,    "abm",    "ABM")
/* apn (Apple Push Notification service, the MDM's push certificate) and abm
 * (Apple Business Manager) are signed by Apple, not by a CA of the store:
 * certdeck/lifecycle.h cd_cert_request. */
enum cd_product {
#define CD_X(e, n, l) e,
    CD_PRODUCT_LIST(CD_X)
#undef CD_X
    CD_PRODUCT_COUNT
};

#define CD_KEY_LIST(X) \
    X(CD_KEY_EC256,   "ec256")   \
    X(CD_KEY_ED25519, "ed25519") \
    X(CD_KEY_RSA2048, "rsa2048") \
    X(CD_KEY_RSA3072, "rsa3072") \
    X(CD_KEY_RSA4096, "rsa4096")
enum cd_keytype {
#define CD_X(e, n) e,
    CD_KEY_LIST(CD_X)
#undef CD_X
    CD_KEY_COUNT
};

/* RFC 5280 CRLReason values (8 is unused by the RFC). */
#define CD_REASON_LIST(X) \
    X(0, "unspecified")          \
    X(1, "keyCompromise")        \
    X(2, "cACompromise")         \
    X(3, "affiliationChanged")   \
    X(4, "superseded")           \
    X(5, "cessationOfOperation") \
    X(6, "certificateHold")      \
    X(9, "privilegeWithdrawn")

#define CD_STATE_LIST(X) \
    X(CD_STATE_VALID,    "valid")    \
    X(CD_STATE_EXPIRING, "expiring") \
    X(CD_STATE_EXPIRED,  "expired")  \
    X(CD_STATE_REVOKED,  "revoked")  \
    X(CD_STATE_NOTYET,   "notyet")   \
    X(CD_STATE_PENDING,  "pending")
/* pending: a request made here (APN/ABM) whose signed certificate has not
 * been imported yet (certdeck/lifecycle.h) */
enum cd_state {
#define CD_X(e, n) e,
    CD_STATE_LIST(CD_X)
#undef CD_X
};

/* Columns of the certificate table: key (CLI/filter name), title, sortable SQL
 * is the backend's business. */
#define CD_COL_LIST(X) \
    X(CD_COL_ID,          "id",          "ID")          \
    X(CD_COL_DESCRIPTION, "description", "Description") \
    X(CD_COL_PRODUCT,     "product",     "Product")     \
    X(CD_COL_HOST,        "host",        "Host")        \
    X(CD_COL_CN,          "cn",          "Subject")     \
    X(CD_COL_ISSUER,      "issuer",      "Issuer")      \
    X(CD_COL_VALID_FROM,  "valid_from",  "Valid from")  \
    X(CD_COL_VALID_TO,    "valid_to",    "Valid to")    \
    X(CD_COL_SERIAL,      "serial",      "Serial")      \
    X(CD_COL_FINGERPRINT, "fingerprint", "Fingerprint") \
    X(CD_COL_TAGS,        "tags",        "Tags")        \
    X(CD_COL_GROUP,       "group",       "Group")       \
    X(CD_COL_STATUS,      "status",      "Status")
enum cd_col {
#define CD_X(e, k, t) e,
    CD_COL_LIST(CD_X)
#undef CD_X
    CD_COL_COUNT
};

enum cd_kind { CD_KIND_CERT, CD_KIND_CA };

/* Name <-> value helpers; lookups return -1 when the name is unknown. */
const char *cd_product_name(int product);   /* "agent" */
const char *cd_product_label(int product);  /* "Agent" */
int         cd_product_parse(const char *name);
const char *cd_keytype_name(int keytype);
int         cd_keytype_parse(const char *name);
/* The key type of a stored key's label (cd_cert.key_alg, cd_ca.key_alg:
 * "EC P-256", "RSA 2048"); -1 for a key type certdeck does not make. */
int         cd_keytype_of_label(const char *label);
const char *cd_reason_name(int reason);
int         cd_reason_parse(const char *name);
const char *cd_state_name(int state);
const char *cd_col_key(int col);
const char *cd_col_title(int col);
int         cd_col_parse(const char *name);     /* a key ("cn") or a title ("Subject"), any case */
/* UTC seconds as "2026-01-31 10:00" (UTC); "-" for 0.  buf >= 20 bytes. */
const char *cd_format_time(int64_t t, char *buf, size_t n);

/* ---- opening ----------------------------------------------------------- */

enum {
    CD_OPEN_CREATE   = 1 << 0,  /* make a new, empty store (fails if it exists) */
    CD_OPEN_READONLY = 1 << 1,  /* refuse every change (not with CD_OPEN_CREATE) */
};

/* Opens the store named by `spec`: "PATH", "file:PATH" (sqlite),
 * "https://HOST[:PORT]" (certdeckd; see cd_store_open_ex for trust) or
 * "mirror+http(s)://HOST/PATH" or "mirror+file:///PATH" (a signed snapshot,
 * read-only; certdeck/mirror.h).
 * NULL spec means cd_store_default_spec(). */
int  cd_store_open(const char *spec, unsigned flags, cd_store **out, struct cd_err *err);
void cd_store_close(cd_store *s);

/* How to reach a remote store (https://HOST[:PORT], a certdeckd server).
 * Trust: cacert, a PEM file of the CA that issued the server's TLS
 * certificate; else a CA remembered for HOST:PORT under
 * $XDG_CONFIG_HOME/certdeck/known/; else, when `trust` is given, trust on
 * first use: trust() sees the server's CA (its SHA-256 fingerprint, hex
 * with colons, and subject) and returns 1 to trust and remember it.  A
 * server whose certificate no longer verifies under the remembered CA is
 * refused loudly (CD_E_CRYPTO, "... certificate has CHANGED ...").  TLS
 * verification is never turned off.  Credentials come with cd_user_login,
 * or from ~/.netrc through cd_user_owner. */
struct cd_open_opts {
    unsigned    flags;             /* CD_OPEN_* */
    const char *cacert;            /* NULL: remembered, or ask */
    int       (*trust)(void *ctx, const char *hostport, const char *subject, const char *sha256);
    void       *trust_ctx;
    long        connect_timeout_ms;   /* 0 = 5 s */
    long        timeout_ms;           /* whole request; 0 = 60 s */
    /* "mirror+https://HOST/PATH", "mirror+http://...", "mirror+file:///PATH":
     * how to reach and trust it (certdeck/mirror.h); NULL: the defaults */
    const struct cd_mirror_opts *mirror;
};
int  cd_store_open_ex(const char *spec, const struct cd_open_opts *o, cd_store **out, struct cd_err *err);
/* 1 when the store is reached over the network (https://). */
int  cd_store_remote(const cd_store *s);

/* The default store string: $XDG_DATA_HOME/certdeck/store.db, else
 * ~/.local/share/certdeck/store.db.  Caller frees. */
char *cd_store_default_spec(void);

/* Human description of the open store ("file:/path/store.db"). */
const char *cd_store_name(const cd_store *s);

/* 1 when the store refuses every change: opened with CD_OPEN_READONLY, or
 * the file cannot be written.  Every mutation then fails with CD_E_READONLY
 * ("read-only: ...") before it changes anything, whichever front end asks. */
int cd_store_readonly(const cd_store *s);

/* Fills a new store: group All, the administrator `admin` (default "admin"),
 * the installation's server CA, server certificate, agent certificate and
 * "Agent certificate for server assisted installation". */
int cd_store_init(cd_store *s, const char *admin, struct cd_err *err);

/* ---- users ------------------------------------------------------------- */

/* The local store's owner, acting as the administrator: only the Unix
 * owner of the store file (its st_uid is the effective uid; root included,
 * root too must own it) gets this; anyone else is CD_E_FORBIDDEN and must
 * log in (cd_user_login). */
int  cd_user_owner(cd_store *s, cd_user **out, struct cd_err *err);
void cd_user_free(cd_user *u);
const char *cd_user_name(const cd_user *u);

/* ---- queries ----------------------------------------------------------- */

struct cd_query {
    const char *filter;     /* filter language, NULL or "" for all */
    const char *group;      /* restrict to a group path and its subgroups */
    int         revoked;    /* 0: hide revoked, 1: include them */
    int         sort;       /* enum cd_col */
    int         desc;       /* 1: descending */
    int64_t     offset;     /* first row of the page */
    int64_t     limit;      /* rows in the page; <= 0 means all */
};

/* ---- certification authorities ---------------------------------------- */

struct cd_subject {
    const char *cn, *o, *ou, *l, *st, *c;
};

struct cd_ca_params {
    struct cd_subject subject;     /* cn mandatory */
    const char *description;
    const char *group;             /* path; NULL = the user's home group */
    int         keytype;           /* enum cd_keytype */
    int64_t     not_before;        /* 0 = now minus one day */
    int64_t     not_after;         /* 0 = not_before + days */
    int         days;              /* 0 = 3650 */
    const char *passphrase;        /* NULL or "" = protected by the store key */
};

struct cd_ca {
    int64_t id;
    char   *description, *cn, *subject, *serial, *fingerprint, *key_alg, *tags, *group;
    int64_t not_before, not_after, created;
    int     can_sign;          /* 0 for a public-key-only (imported) CA */
    int     has_passphrase;
    int64_t cert_count;
    int     state;             /* enum cd_state */
    int64_t successor;         /* the CA that took over at a rollover, 0: none (lifecycle.h) */
    int64_t predecessor;       /* the CA this one took over from, 0: none */
};
struct cd_ca_list { size_t n; struct cd_ca *rows; };

int  cd_ca_new(cd_store *s, const cd_user *u, const struct cd_ca_params *p,
               int64_t *id, struct cd_err *err);
int  cd_ca_import(cd_store *s, const cd_user *u, const void *data, size_t len,
                  const char *description, const char *group, int64_t *id, struct cd_err *err);
int  cd_ca_list(cd_store *s, const cd_user *u, const struct cd_query *q,
                struct cd_ca_list *out, struct cd_err *err);
int  cd_ca_get(cd_store *s, const cd_user *u, int64_t id, struct cd_ca *out, struct cd_err *err);
/* PEM of the CA certificate (public part only); caller frees *pem. */
int  cd_ca_export(cd_store *s, const cd_user *u, int64_t id, char **pem, size_t *len,
                  struct cd_err *err);
int  cd_ca_delete(cd_store *s, const cd_user *u, int64_t id, struct cd_err *err);
int  cd_ca_describe(cd_store *s, const cd_user *u, int64_t id, const char *text, struct cd_err *err);
int  cd_ca_move(cd_store *s, const cd_user *u, int64_t id, const char *group, struct cd_err *err);
void cd_ca_clear(struct cd_ca *ca);
void cd_ca_list_free(struct cd_ca_list *l);

/* ---- peer certificates ------------------------------------------------- */

struct cd_cert_params {
    int64_t     ca_id;
    const char *ca_passphrase;     /* when the CA key has one */
    int         product;           /* enum cd_product */
    const char *host;              /* NULL / "" / "*" = none; else DNS names / IPs, comma separated
                                      (rules: certdeck(1) SECURITY; bad entry: CD_E_INVAL) */
    struct cd_subject subject;     /* cn mandatory */
    const char *description;
    const char *const *tags;       /* NULL-terminated, created when missing */
    const char *group;             /* NULL = the user's home group */
    int         keytype;
    int64_t     not_before;        /* 0 = now minus one day */
    int64_t     not_after;         /* 0 = not_before + days */
    int         days;              /* 0 = 730 */
    const char *passphrase;        /* optional certificate passphrase */
};

struct cd_cert {
    int64_t id, ca_id;
    char   *description, *product, *host, *cn, *subject, *issuer, *serial,
           *fingerprint, *key_alg, *tags, *group, *revoke_reason;
    int64_t not_before, not_after, created, revoked_at;
    int     has_passphrase;
    int     state;             /* enum cd_state */
    int     has_key;           /* 0: no private key in the store (a signed CSR, an imported
                                  certificate): exports offer the certificate and chain only */
    int64_t replaces;          /* the certificate this one renews, 0: none (lifecycle.h) */
    int64_t replaced_by;       /* the newest certificate renewing this one, 0: none */
};
struct cd_cert_list { size_t n; struct cd_cert *rows; };

/* Progress of a bulk operation: done of total. */
typedef void (*cd_progress_fn)(void *ctx, size_t done, size_t total);

/* Issues n certificates in one transaction (keys generated on every core).
 * ids (may be NULL) receives n ids.  All or nothing. */
int  cd_cert_new(cd_store *s, const cd_user *u, const struct cd_cert_params *p, size_t n,
                 cd_progress_fn progress, void *ctx, int64_t *ids, struct cd_err *err);
int  cd_cert_list(cd_store *s, const cd_user *u, const struct cd_query *q,
                  struct cd_cert_list *out, struct cd_err *err);
/* Rows matching q (offset ignored).  With q->limit > 0 counting stops at
 * that many, so a screen can say "10000+" without reading a million rows. */
int  cd_cert_count(cd_store *s, const cd_user *u, const struct cd_query *q,
                   int64_t *count, struct cd_err *err);
int  cd_cert_get(cd_store *s, const cd_user *u, int64_t id, struct cd_cert *out,
                 struct cd_err *err);
void cd_cert_clear(struct cd_cert *c);
/* The text of one column of a row (enum cd_col), as stored (unsanitised):
 * points into c or into buf (size n).  A pending row (CD_STATE_PENDING) has
 * no validity yet: its valid from / valid to are "-" (struct cd_cert keeps
 * the exact stored numbers, as the https API's JSON does). */
const char *cd_cert_field(const struct cd_cert *c, int col, char *buf, size_t n);
void cd_cert_list_free(struct cd_cert_list *l);

/* Resolves "12", a serial prefix or a SHA-256 fingerprint prefix (hex, colons
 * allowed, at least 4 digits) to one id; an ambiguous prefix is CD_E_INVAL. */
int  cd_resolve(cd_store *s, const cd_user *u, int kind, const char *ref, int64_t *id,
                struct cd_err *err);

#define CD_EXPORT_LIST(X)                                                   \
    X(CD_EXPORT_PEM,    "pem",    "certificate, PEM")                       \
    X(CD_EXPORT_DER,    "der",    "certificate, DER")                       \
    X(CD_EXPORT_CHAIN,  "chain",  "certificate and its CA, PEM")            \
    X(CD_EXPORT_PFX,    "pfx",    "PKCS#12 with key and chain (.pfx)")      \
    X(CD_EXPORT_BASE64, "base64", "the .pfx as Base64 text")                \
    X(CD_EXPORT_KEY,    "key",    "private key, encrypted PKCS#8 PEM")
enum cd_export {
#define CD_X(e, n, d) e,
    CD_EXPORT_LIST(CD_X)
#undef CD_X
};
int cd_export_parse(const char *name);
const char *cd_export_name(int fmt);

/* Exports one certificate.  pfx/base64/key need `passphrase` (it protects the
 * output; when the certificate has its own passphrase it must be that one).
 * *out is caller-owned (free()).  A key export is audited as handed over
 * here; to write a file use cd_cert_export_file, audited once it is written. */
int  cd_cert_export(cd_store *s, const cd_user *u, int64_t id, int fmt, const char *passphrase,
                    unsigned char **out, size_t *len, struct cd_err *err);
/* The certificate decoded for people: every field and extension (key
 * usage, EKU, SAN, key ids...), as GnuTLS prints it.  Caller frees; the
 * text holds names from the certificate: sanitise before showing. */
int  cd_cert_text(cd_store *s, const cd_user *u, int64_t id, char **text, struct cd_err *err);

/* Permanent.  reason: an RFC 5280 value. */
int  cd_cert_revoke(cd_store *s, const cd_user *u, const int64_t *ids, size_t n, int reason,
                    struct cd_err *err);
int  cd_cert_describe(cd_store *s, const cd_user *u, int64_t id, const char *text,
                      struct cd_err *err);
int  cd_cert_move(cd_store *s, const cd_user *u, const int64_t *ids, size_t n,
                  const char *group, struct cd_err *err);
/* Clients that presented the certificate at check-in within the last
 * CD_USAGE_RECENT_DAYS days (certdeck/server.h has the whole list). */
int  cd_cert_usage_count(cd_store *s, const cd_user *u, int64_t id, int64_t *count,
                         struct cd_err *err);

/* Signed CRL of a CA listing every revoked certificate it issued; bumps the
 * CRL number.  days: nextUpdate distance (0 = 7).  pem: 1 PEM, 0 DER. */
int  cd_crl(cd_store *s, const cd_user *u, int64_t ca_id, const char *ca_passphrase, int days,
            int pem, unsigned char **out, size_t *len, struct cd_err *err);

/* ---- files certdeck writes (exports, CRLs, --out) ----------------------
 * A file is never written in place: a new file of certdeck's own is made
 * beside the target (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600 from the first
 * byte: exports may hold private keys), written, fsynced and renamed over
 * the target, and the folder is synced.  Nothing that exists is opened,
 * truncated, chmodded or unlinked, so a replaced file is a new inode owned
 * by the caller.  Refused, with nothing touched: a target that exists and
 * is not a regular file (symbolic link, device such as /dev/null, named
 * pipe, folder), and any file of the open store s (database, key, -wal,
 * -shm, -journal; by inode and by resolved name).  s may be NULL. */
enum {
    CD_WRITE_NOREPLACE = 1 << 0,   /* an existing file is CD_E_EXISTS, not replaced */
};
/* Whether path may be written: CD_OK when nothing is there, CD_E_EXISTS
 * when a regular file is (a write would replace it: a front end asks
 * first), else the refusal cd_write_file would give. */
int  cd_file_check(cd_store *s, const char *path, struct cd_err *err);
/* Writes data to path as above; flags: CD_WRITE_*.  On failure the target
 * is as it was and no temporary file is left. */
int  cd_write_file(cd_store *s, const char *path, const void *data, size_t len, unsigned flags,
                   struct cd_err *err);
/* cd_cert_export into a file written by cd_write_file, audited with the
 * real outcome: an export whose file is refused or cannot be written is
 * recorded as a Failure, never a Success. */
int  cd_cert_export_file(cd_store *s, const cd_user *u, int64_t id, int fmt, const char *passphrase,
                         const char *path, unsigned flags, struct cd_err *err);

/* ---- access groups ----------------------------------------------------- */

struct cd_group { int64_t id; char *path; int depth; int64_t cas, certs; };
struct cd_group_list { size_t n; struct cd_group *rows; };

int  cd_group_add(cd_store *s, const cd_user *u, const char *path, struct cd_err *err);
int  cd_group_rm(cd_store *s, const cd_user *u, const char *path, struct cd_err *err);
/* Depth-first, counts are of objects directly in each group (revoked excluded). */
int  cd_group_list(cd_store *s, const cd_user *u, struct cd_group_list *out, struct cd_err *err);
void cd_group_list_free(struct cd_group_list *l);

/* ---- tags -------------------------------------------------------------- */

struct cd_tag { int64_t id; char *name; int64_t certs, cas; };
struct cd_tag_list { size_t n; struct cd_tag *rows; };

int  cd_tag_list(cd_store *s, const cd_user *u, struct cd_tag_list *out, struct cd_err *err);
int  cd_tag_create(cd_store *s, const cd_user *u, const char *name, struct cd_err *err);
/* Deletes the tag and unassigns it everywhere. */
int  cd_tag_delete(cd_store *s, const cd_user *u, const char *name, struct cd_err *err);
/* Assigns (assign=1) or unassigns tag on the objects; creates a missing tag on assign. */
int  cd_tag_set(cd_store *s, const cd_user *u, int kind, const int64_t *ids, size_t n,
                const char *tag, int assign, struct cd_err *err);
void cd_tag_list_free(struct cd_tag_list *l);

/* ---- filter presets ---------------------------------------------------- */

/* A preset belongs to its maker; a shared one is listed, read-only, to
 * those who may read presets in the maker's home group. */
struct cd_preset { char *name, *expr, *columns, *sort, *owner; int shared, mine; };
struct cd_preset_list { size_t n; struct cd_preset *rows; };

int  cd_preset_list(cd_store *s, const cd_user *u, struct cd_preset_list *out, struct cd_err *err);
/* Creates or replaces; the expression is parsed first.  columns/sort may be NULL. */
int  cd_preset_save(cd_store *s, const cd_user *u, const char *name, const char *expr,
                    const char *columns, const char *sort, struct cd_err *err);
int  cd_preset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err);
/* Shares (1) or stops sharing (0) one of u's own presets. */
int  cd_preset_share(cd_store *s, const cd_user *u, const char *name, int shared, struct cd_err *err);
void cd_preset_list_free(struct cd_preset_list *l);

/* ---- remembered console state ------------------------------------------ */

/* Small per-user settings of the front ends (screen, columns, sort, preset,
 * show-revoked).  Not audited: they change nothing anyone else can see.
 * get: *value is NULL when unset; caller frees. */
int  cd_state_get(cd_store *s, const cd_user *u, const char *key, char **value, struct cd_err *err);
int  cd_state_set(cd_store *s, const cd_user *u, const char *key, const char *value, struct cd_err *err);

/* ---- audit ------------------------------------------------------------- */

struct cd_audit {
    int64_t id, time;
    char   *user, *action, *object, *result, *detail;
    char   *section;          /* Certificates, Certification authorities, Tags, Users, ... */
};
struct cd_audit_list { size_t n; struct cd_audit *rows; };

/* Newest first, only what u may see.  object: NULL for all, else "cert 12"
 * / "ca 3" / "user NAME"...; filter: the filter language over user, action,
 * result, object, section, time and id (NULL for all). */
int  cd_audit_list(cd_store *s, const cd_user *u, const char *object, const char *filter, int64_t limit,
                   struct cd_audit_list *out, struct cd_err *err);
/* Recomputes the hash chain and checks it against the authenticated head
 * (last record, hash, count; HMAC under the store key).  On a break, a
 * truncation (newest records deleted) or a head that does not match returns
 * CD_E_AUDIT and sets *bad_id to the first record that does not match or is
 * missing; CD_E_NOKEY when the store key cannot be read (the head cannot be
 * checked without it); *checked gets the records read. */
int  cd_audit_verify(cd_store *s, const cd_user *u, int64_t *checked, int64_t *bad_id,
                     struct cd_err *err);
void cd_audit_list_free(struct cd_audit_list *l);

#endif
