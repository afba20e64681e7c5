/* certdeck core — declarations shared by the core's files (the cdi_ tier).
 *
 * The store is a handle over one backend's function table (curl's
 * struct Curl_ssl per TLS backend): store.c validates arguments and
 * dispatches, store_sqlite*.c implements.  A new backend is a new file that
 * fills one struct cdi_store_ops. */
#ifndef CERTDECK_CORE_INT_H
#define CERTDECK_CORE_INT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <certdeck/certdeck.h>

#define CDI_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Sets err (when non-NULL) and returns `code`, so callers write
 * `return cdi_fail(err, CD_E_INVAL, "...", ...)`. */
int cdi_fail(struct cd_err *err, int code, const char *fmt, ...) CDI_PRINTF(3, 4);

/* ---- small utilities (util.c) ----------------------------------------- */
char   *cdi_strdup(const char *s);               /* NULL-safe */
char   *cdi_printf(const char *fmt, ...) CDI_PRINTF(1, 2);
void    cdi_hex(const unsigned char *in, size_t n, char *out);  /* out: 2n+1, lowercase */
int64_t cdi_now(void);
void    cdi_wipe(void *p, size_t n);
/* mkdir -p, each folder it makes 0700 (http_trust.c); -1 with errno on failure. */
int     cdi_mkdirs(const char *dir);
/* "2026-01-01" or "2026-01-01T10:00:00Z" or "2026-01-01 10:00:00" -> UTC seconds. */
int     cdi_parse_date(const char *s, int64_t *out);
/* Formats UTC seconds as "2026-01-01 10:00" (buf >= 20). */
void    cdi_fmt_time(int64_t t, char *buf, size_t n);
int     cdi_ncpu(void);
/* Caps the worker threads of bulk issuance (0 = one per core); the bench
 * sets it to compare 1 against 2 threads. */
extern int cdi_max_threads;

/* Makes room for element n of a growing array (*rows, capacity *cap) and
 * returns its address, zeroed; NULL when out of memory (the array stays). */
void   *cdi_grow(void *rows, size_t n, size_t *cap, size_t elsz);

/* Defines fn(), the _free of a list type { size_t n; T *rows; }: clear()
 * each row, then the array. */
#define LIST_FREE(fn, type, clear) \
    void fn(type *l) { if (!l) return; for (size_t i = 0; i < l->n; i++) clear(&l->rows[i]); \
                       free(l->rows); l->rows = NULL; l->n = 0; }

/* CD_OK when s (NULL is fine) is valid UTF-8 of at most max bytes (0: no
 * cap) and, unless controls_ok, holds no C0, DEL, C1 or bidi control (the
 * characters cd_sanitize escapes).  `what` names the field in the message.
 * One rule for every name the core stores (subject fields, tags, groups,
 * users, permission sets, presets). */
int     cdi_check_text(struct cd_err *err, const char *what, const char *s, size_t max, int controls_ok);
/* 1 when s begins or ends with white space (U+0020, U+00A0, U+3000 and the
 * other Unicode spaces that are not controls); 0 for NULL or "". */
int     cdi_space_at_ends(const char *s);

/* Walks a host list (cd_cert_params.host: "web.example.org, 10.0.0.1,
 * *.example.org"; NULL, "" or "*" alone: none) entry by entry, entries
 * separated by commas and trimmed of spaces.  Each must be an IPv4 or IPv6
 * literal (inet_pton) or a DNS name: labels of 1..63 letters, digits and
 * hyphens, none at a label's ends, 253 characters at most, no trailing dot,
 * not ending in an all-numeric label, "*" only as the whole leftmost label
 * of two or more.  fn (NULL: check only) gets each, an address as ip/iplen
 * (4 or 16 bytes) or a name as name (case kept), and may fail; the first
 * bad entry fails with CD_E_INVAL, the message naming it and why. */
typedef int (*cdi_host_fn)(void *ctx, const unsigned char *ip, size_t iplen, const char *name,
                           struct cd_err *err);
int     cdi_hosts_each(const char *hosts, cdi_host_fn fn, void *ctx, struct cd_err *err);

/* Growable byte buffer. */
struct cdi_buf { unsigned char *p; size_t len, cap; int oom; };
void cdi_buf_add(struct cdi_buf *b, const void *data, size_t n);
void cdi_buf_addf(struct cdi_buf *b, const char *fmt, ...) CDI_PRINTF(2, 3);
void cdi_buf_free(struct cdi_buf *b);

/* ---- users ------------------------------------------------------------- */
struct cd_user {
    int64_t id;
    char   *name;
    int     admin;
    int64_t home_group;
};

/* One row of CD_ACTION_LIST (users.c): what the core checks for an action. */
struct cdi_action { const char *name; int otype, right, otype2, right2, scope, changes; };
const struct cdi_action *cdi_action(int action);   /* NULL when unknown */

/* ---- backends ---------------------------------------------------------- */
struct cdi_mimage_opts;
struct cdi_mimage_info;
struct cdi_mstate;
struct cdi_import;
struct cdi_store_ops {
    const char *name;
    void (*close)(cd_store *s);
    int (*init)(cd_store *s, const char *admin, struct cd_err *err);
    int (*user_owner)(cd_store *s, cd_user **out, struct cd_err *err);
    int (*is_readonly)(const cd_store *s);

    int (*ca_new)(cd_store *, const cd_user *, const struct cd_ca_params *, int64_t *, struct cd_err *);
    int (*ca_import)(cd_store *, const cd_user *, const void *, size_t, const char *, const char *,
                     int64_t *, struct cd_err *);
    int (*ca_list)(cd_store *, const cd_user *, const struct cd_query *, struct cd_ca_list *, struct cd_err *);
    int (*ca_get)(cd_store *, const cd_user *, int64_t, struct cd_ca *, struct cd_err *);
    int (*ca_export)(cd_store *, const cd_user *, int64_t, char **, size_t *, struct cd_err *);
    int (*ca_delete)(cd_store *, const cd_user *, int64_t, struct cd_err *);

    int (*cert_new)(cd_store *, const cd_user *, const struct cd_cert_params *, size_t,
                    cd_progress_fn, void *, int64_t *, struct cd_err *);
    int (*cert_list)(cd_store *, const cd_user *, const struct cd_query *, struct cd_cert_list *,
                     struct cd_err *);
    int (*cert_count)(cd_store *, const cd_user *, const struct cd_query *, int64_t *, struct cd_err *);
    int (*cert_get)(cd_store *, const cd_user *, int64_t, struct cd_cert *, struct cd_err *);
    /* The export alone, not audited: store.c records it through
     * export_audit once the outcome is known (a file written, or not). */
    int (*cert_export)(cd_store *, const cd_user *, int64_t, int, const char *, unsigned char **,
                       size_t *, struct cd_err *);
    /* Records the outcome rc of an export of certificate id in format fmt
     * (detail: the file, or NULL) where the backend audits exports; returns
     * rc, or the audit's own error when rc was CD_OK.  NULL: not audited. */
    int (*export_audit)(cd_store *, const cd_user *, int64_t id, int fmt, int rc, const char *detail,
                        struct cd_err *);
    int (*cert_revoke)(cd_store *, const cd_user *, const int64_t *, size_t, int, struct cd_err *);
    int (*cert_usage_count)(cd_store *, const cd_user *, int64_t, int64_t *, struct cd_err *);
    int (*resolve)(cd_store *, const cd_user *, int, const char *, int64_t *, struct cd_err *);
    int (*describe)(cd_store *, const cd_user *, int kind, int64_t, const char *, struct cd_err *);
    int (*move)(cd_store *, const cd_user *, int kind, const int64_t *, size_t, const char *,
                struct cd_err *);
    int (*crl)(cd_store *, const cd_user *, int64_t, const char *, int, int, unsigned char **,
               size_t *, struct cd_err *);
    /* The local files that make up the store (database, key, journals),
     * which no export may overwrite: up to max malloc'd paths into out
     * (caller frees); returns how many.  NULL for a remote store. */
    size_t (*own_files)(cd_store *, char **out, size_t max);

    int (*group_add)(cd_store *, const cd_user *, const char *, struct cd_err *);
    int (*group_rm)(cd_store *, const cd_user *, const char *, struct cd_err *);
    int (*group_list)(cd_store *, const cd_user *, struct cd_group_list *, struct cd_err *);

    int (*tag_list)(cd_store *, const cd_user *, struct cd_tag_list *, struct cd_err *);
    int (*tag_create)(cd_store *, const cd_user *, const char *, struct cd_err *);
    int (*tag_delete)(cd_store *, const cd_user *, const char *, struct cd_err *);
    int (*tag_set)(cd_store *, const cd_user *, int, const int64_t *, size_t, const char *, int,
                   struct cd_err *);

    int (*preset_list)(cd_store *, const cd_user *, struct cd_preset_list *, struct cd_err *);
    int (*preset_save)(cd_store *, const cd_user *, const char *, const char *, const char *,
                       const char *, struct cd_err *);
    int (*preset_rm)(cd_store *, const cd_user *, const char *, struct cd_err *);
    int (*preset_share)(cd_store *, const cd_user *, const char *, int, struct cd_err *);

    int (*state_get)(cd_store *, const cd_user *, const char *, char **, struct cd_err *);
    int (*state_set)(cd_store *, const cd_user *, const char *, const char *, struct cd_err *);

    int (*audit_list)(cd_store *, const cd_user *, const char *, const char *, int64_t, struct cd_audit_list *,
                      struct cd_err *);
    int (*audit_verify)(cd_store *, const cd_user *, int64_t *, int64_t *, struct cd_err *);

    int (*user_login)(cd_store *, const char *, const char *, cd_user **, struct cd_err *);
    int (*user_can)(cd_store *, const cd_user *, int, int, const char *, char *, size_t);
    int (*user_add)(cd_store *, const cd_user *, const char *, const char *, const char *, struct cd_err *);
    int (*user_rm)(cd_store *, const cd_user *, const char *, struct cd_err *);
    int (*user_set_disabled)(cd_store *, const cd_user *, const char *, int, struct cd_err *);
    int (*user_passwd)(cd_store *, const cd_user *, const char *, const char *, const char *, struct cd_err *);
    int (*user_list)(cd_store *, const cd_user *, struct cd_user_list *, struct cd_err *);
    int (*permset_add)(cd_store *, const cd_user *, const char *, const char *const *, size_t, const int [CD_OT_COUNT],
                       struct cd_err *);
    int (*permset_rm)(cd_store *, const cd_user *, const char *, struct cd_err *);
    int (*permset_grant)(cd_store *, const cd_user *, const char *, const char *, int, struct cd_err *);
    int (*permset_list)(cd_store *, const cd_user *, struct cd_permset_list *, struct cd_err *);

    /* certdeck/server.h: every backend */
    int (*cert_usage)(cd_store *, const cd_user *, int64_t, struct cd_usage_list *, struct cd_err *);
    int (*client_settings_get)(cd_store *, const cd_user *, struct cd_client_settings *, struct cd_err *);
    int (*client_password_set)(cd_store *, const cd_user *, const char *, const char *, struct cd_err *);
    int (*client_unauth_set)(cd_store *, const cd_user *, int, struct cd_err *);
    /* certdeck/server.h: the server's side, local stores only (NULL elsewhere:
     * CD_E_UNSUPPORTED) */
    int (*checkin_verify)(cd_store *, const struct cd_checkin_req *, struct cd_checkin_result *, struct cd_err *);
    int (*checkin_record)(cd_store *, const struct cd_checkin_event *, size_t, struct cd_err *);
    int (*crl_current)(cd_store *, int64_t, unsigned char **, size_t *, struct cd_crl_info *, struct cd_err *);
    int (*crl_index)(cd_store *, struct cd_crl_info **, size_t *, struct cd_err *);
    int (*server_tls)(cd_store *, int64_t, char **, char **, struct cd_err *);
    int (*trust_pem)(cd_store *, char **, struct cd_err *);

    /* certdeck/mirror.h */
    /* Why every change is refused ("read-only: ..."), NULL when changes are
     * allowed; NULL op: "read-only: the store is open read-only". */
    const char *(*readonly_reason)(const cd_store *s);
    /* Publisher (sqlite only; NULL elsewhere: CD_E_UNSUPPORTED): the store
     * image of a snapshot, a new file at `path` (see mirror_int.h), and the
     * index signature by CA ca_id's key (caller frees *sig).  mirror_sign
     * with data NULL signs nothing: it checks all a publish needs of u and
     * the CA (the right, Use on the CA, its key and passphrase, its
     * validity) before anything is written, recording only a refusal. */
    int (*mirror_image)(cd_store *, const cd_user *, const char *path, const struct cdi_mimage_opts *,
                        struct cdi_mimage_info *, struct cd_err *);
    int (*mirror_sign)(cd_store *, const cd_user *, int64_t ca_id, const char *passphrase, const void *data,
                       size_t len, unsigned char **sig, size_t *siglen, struct cd_err *);
    /* The snapshot a store image or a pulled replica holds (its meta keys);
     * CD_E_NOTFOUND when it is neither. */
    int (*mirror_meta)(const cd_store *, struct cd_mirror_info *, struct cd_err *);
    int (*mirror_settings_get)(cd_store *, const cd_user *, struct cd_mirror_settings *, struct cd_err *);
    int (*mirror_settings_set)(cd_store *, const cd_user *, const char *, const char *, const char *,
                               struct cd_err *);
    /* certdeck/server.h cd_mirror_settings_secret: local stores only (NULL
     * elsewhere: CD_E_UNSUPPORTED) */
    int (*mirror_settings_secret)(cd_store *, struct cd_mirror_secret *, struct cd_err *);

    /* certdeck/check.h: the warning window, in days */
    int (*expiry_warning_get)(cd_store *, const cd_user *, int *, struct cd_err *);
    int (*expiry_warning_set)(cd_store *, const cd_user *, int, struct cd_err *);

    /* certdeck/lifecycle.h (lifecycle.c checks the arguments, then these;
     * NULL: CD_E_UNSUPPORTED) */
    int (*cert_renew)(cd_store *, const cd_user *, const struct cd_renew_params *, const int64_t *, size_t,
                      cd_progress_fn, void *, int64_t *, struct cd_err *);
    int (*ca_rollover)(cd_store *, const cd_user *, int64_t, const struct cd_ca_params *, cd_progress_fn, void *,
                       int64_t *, size_t *, struct cd_err *);
    int (*cert_request)(cd_store *, const cd_user *, const struct cd_cert_params *, int64_t, int64_t *, char **,
                        size_t *, struct cd_err *);
    int (*cert_csr)(cd_store *, const cd_user *, int64_t, char **, size_t *, struct cd_err *);
    int (*cert_import_signed)(cd_store *, const cd_user *, int64_t, const void *, size_t, struct cd_err *);
    int (*cert_sign)(cd_store *, const cd_user *, const struct cd_cert_params *, const void *, size_t, int64_t *,
                     struct cd_err *);
    /* Writes what an import parsed (import.c, backend-independent): the
     * items in one transaction, skipping what is stored already, and fills
     * rep.  See struct cdi_import in import_int.h. */
    int (*import)(cd_store *, const cd_user *, const struct cdi_import *, struct cd_import_report *,
                  struct cd_err *);
};

struct cd_store {
    const struct cdi_store_ops *ops;
    char *name;       /* "file:/abs/path" */
    void *impl;       /* the backend's own state */
    struct cdi_mstate *mirror;   /* a mirror+ store: where the snapshot came from (mirror_int.h) */
};

#define CDI_OWN_FILES_MAX 8

/* 1 when s is a mirror+ store, a store image or a pulled replica. */
int cdi_store_is_mirror(const cd_store *s);

extern const struct cdi_store_ops cdi_sqlite_ops;
int cdi_sqlite_open(cd_store *s, const char *path, unsigned flags, struct cd_err *err);
/* store_https.c: spec is "https://HOST[:PORT]" */
extern const struct cdi_store_ops cdi_https_ops;
int cdi_https_open(cd_store *s, const char *spec, const struct cd_open_opts *o, struct cd_err *err);

/* A cd_cert_params checked as every way of making a peer certificate
 * checks it (store.c): subject (with CDI_PARAMS_SUBJECT), description,
 * validity, passphrase, product, hosts, key type (with CDI_PARAMS_KEYTYPE);
 * out->p is a copy whose tags are trimmed and checked.  Clear it with
 * cdi_params_clear, also after a failure. */
enum { CDI_PARAMS_SUBJECT = 1 << 0, CDI_PARAMS_KEYTYPE = 1 << 1 };
struct cdi_params { struct cd_cert_params p; void *names; const char **tags; };
int  cdi_cert_params_check(const struct cd_cert_params *p, unsigned what, struct cdi_params *out,
                           struct cd_err *err);
void cdi_params_clear(struct cdi_params *q);

/* The warning window when the store sets none (certdeck/check.h). */
#define CDI_EXPIRY_WARN_DEFAULT_DAYS 90
/* Full text of a DER certificate (pki.c). */
int cdi_crt_print(const unsigned char *der, size_t len, char **text, struct cd_err *err);
/* State of a certificate at `now`; expiring: within `warn` seconds (the
 * store's window, cd_expiry_warning_get): the one rule. */
int cdi_state(int64_t not_before, int64_t not_after, int64_t revoked_at, int64_t now, int64_t warn);

#endif
