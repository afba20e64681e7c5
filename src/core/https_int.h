/* certdeck core — the https backend's shared state (store_https*.c) and
 * its test seam.
 *
 * The backend speaks the console API through a transport: normally one
 * cdi_http connection (libcurl, keep-alive); in unit tests an in-process
 * one that hands each request to cd_api_handle on a local store
 * (cdi_https_open_local), so the whole path client -> JSON -> API -> core
 * runs without a network. */
#ifndef CERTDECK_HTTPS_INT_H
#define CERTDECK_HTTPS_INT_H

#include "json_int.h"

struct cdi_https_transport {
    void *ctx;
    /* One request; CD_OK with *status and resp (caller frees) for any
     * answer; CD_E_IO when none came. */
    int  (*request)(void *ctx, const char *method, const char *path_query, const char *body, size_t len,
                    long *status, struct cdi_buf *resp, struct cd_err *err);
    /* Credentials for the requests that follow; user NULL: ~/.netrc. */
    int  (*set_auth)(void *ctx, const char *user, const char *password, struct cd_err *err);
    /* Percent-encodes a query value (caller frees). */
    char *(*escape)(const char *s);
    void (*close)(void *ctx);
    /* The whole-request timeout of the requests that follow, in ms (0 leaves
     * it); returns the one before.  NULL: the transport has no clock. */
    long (*timeout)(void *ctx, long ms);
};

/* Opens an https-backend store over transport t (taken: closed with the
 * store).  name is the store's name ("https://HOST:PORT"), hostport what
 * messages call the server. */
int cdi_https_open_with(cd_store *s, const char *name, const char *hostport, const struct cdi_https_transport *t,
                        unsigned flags, struct cd_err *err);

/* Test seam: a new https-backend store whose requests are answered in
 * process by cd_api_handle on `inner` as `as` (cd_user_login on inner when
 * the store's user_login is called; `as` for cd_user_owner, like a
 * ~/.netrc entry).  inner and as stay the caller's and must outlive *out. */
int cdi_https_open_local(cd_store *inner, const cd_user *as, unsigned flags, cd_store **out, struct cd_err *err);

/* ---- between store_https.c and store_https_ops.c ------------------------ */

#define HS_BLOCK   200      /* rows per cached block of a certificate list */
#define HS_BLOCKS  4        /* blocks kept */
#define HS_CHUNK   5000     /* rows per request when a whole list is asked for */
#define HS_CAN     64       /* user_can answers kept */
#define HS_COUNTS  4        /* cert_count answers kept */
#define HS_TTL     5        /* seconds a cached answer is trusted */
#define HS_DOWN    3        /* seconds a server that did not answer is not asked again */

struct hs_block { char *key; int64_t start, at, used; struct cd_cert_list l; };
struct hs_count { char *key; int64_t limit, at, n; };
struct hs_can   { int otype, right, yes; char *group, *why; int64_t at; };

struct hs {
    struct cdi_https_transport t;
    char    *hostport;
    unsigned flags;
    int      server_readonly;    /* /me said the server's store is read-only */
    int64_t  tick;               /* use counter for the block cache */
    int64_t  requests;           /* requests sent (tests and the bench read it) */
    struct hs_block blocks[HS_BLOCKS];
    struct hs_count counts[HS_COUNTS];
    struct hs_can   can[HS_CAN];
    size_t   can_next, count_next;
    /* the last request that got no answer (connection refused, timed out,
     * lost): when, and what it said.  Within HS_DOWN seconds of it every
     * call fails at once with the same words, so a console redrawing (a
     * dozen calls a key) waits for one timeout, not a dozen. */
    int64_t  down_at;
    char     down_msg[sizeof ((struct cd_err *)0)->msg];
};

#define HS(s) ((struct hs *)(s)->impl)

/* One API call: method, path (with query), body (may be NULL; wiped after
 * sending).  On success *out (when out is non-NULL) gets the answer object;
 * a refusal gives the server's status and message in err, and *out the
 * error object (callers that want what it carries). */
int  hs_call(cd_store *s, const char *method, const char *path, json_t *body, json_t **out, struct cd_err *err);
/* hs_call for a change: refused before any request on a read-only store;
 * every cache dropped afterwards, whatever happened. */
int  hs_change(cd_store *s, const char *method, const char *path, json_t *body, json_t **out, struct cd_err *err);
/* Appends "k=v&..." of a JSON object of scalars to b (escaped). */
int  hs_query(cd_store *s, const json_t *o, struct cdi_buf *b);
void hs_drop_caches(struct hs *h);
/* Rows of a list answer ({"rows": [...]}) into *rows / *n. */
int  hs_rows(const json_t *o, const struct cdi_jfield *t, void **rows, size_t *n, size_t elsz,
             void (*clear)(void *), struct cd_err *err);
/* The ops of store_https.c (the table is in store_https_ops.c). */
void hs_close(cd_store *s);
int  hs_init(cd_store *s, const char *admin, struct cd_err *err);
int  hs_is_readonly(const cd_store *s);
int  hs_user_owner(cd_store *s, cd_user **out, struct cd_err *err);
int  hs_user_login(cd_store *s, const char *name, const char *password, cd_user **out, struct cd_err *err);
int  hs_user_can(cd_store *s, const cd_user *u, int otype, int right, const char *group, char *why, size_t n);
/* The mirror agents are told of (store_https_mirror.c). */
int  hs_mirror_settings_get(cd_store *s, const cd_user *u, struct cd_mirror_settings *out, struct cd_err *err);
int  hs_mirror_settings_set(cd_store *s, const cd_user *u, const char *url, const char *user, const char *password,
                            struct cd_err *err);
/* The import op (store_https_import.c). */
struct cdi_import;
int  hs_import(cd_store *s, const cd_user *u, const struct cdi_import *im, struct cd_import_report *rep,
               struct cd_err *err);
/* The warning window (store_https_mirror.c). */
int  hs_expiry_warning_get(cd_store *s, const cd_user *u, int *days, struct cd_err *err);
int  hs_expiry_warning_set(cd_store *s, const cd_user *u, int days, struct cd_err *err);
/* APN/ABM requests and external CSRs (store_https_request.c). */
int  hs_cert_request(cd_store *s, const cd_user *u, const struct cd_cert_params *p, int64_t replaces, int64_t *id,
                     char **csr_pem, size_t *len, struct cd_err *err);
int  hs_cert_csr(cd_store *s, const cd_user *u, int64_t id, char **csr_pem, size_t *len, struct cd_err *err);
int  hs_cert_import_signed(cd_store *s, const cd_user *u, int64_t id, const void *data, size_t len,
                           struct cd_err *err);
int  hs_cert_sign(cd_store *s, const cd_user *u, const struct cd_cert_params *p, const void *csr, size_t len,
                  int64_t *id, struct cd_err *err);
/* Renew and CA rollover (store_https_renew.c). */
int  hs_cert_renew(cd_store *s, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids, size_t n,
                   cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err);
int  hs_ca_rollover(cd_store *s, const cd_user *u, int64_t old_ca, const struct cd_ca_params *p,
                    cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued, struct cd_err *err);

#endif
