/* certdeck core — what the sqlite backend's files share (cdi_ tier).
 *
 * Mutations follow one shape:
 *     rc = sq_begin(sq, err);
 *     if (!rc) rc = work(...);                 checks permission, writes
 *     return sq_finish(sq, u, rc, action, object, detail, err);
 * sq_finish writes the Success audit record, moves the authenticated audit
 * head (sq_audit_head_update) and commits, or rolls back and
 * then records Failure / Forbidden in a transaction of its own, so a refused
 * or failed call changes nothing but the audit log. */
#ifndef CERTDECK_SQ_INT_H
#define CERTDECK_SQ_INT_H

#include <sqlite3.h>
#include "pki_int.h"
#include "filter_int.h"

#define SQ_SCHEMA_VERSION 9
#define SQ_APP_ID 0x43444b31   /* "CDK1" */

/* Statements run once per row in bulk work, prepared once per session. */
enum { SQC_AUDIT_LAST, SQC_AUDIT_INS, SQC_FTS_DEL, SQC_FTS_INS, SQC_FTS_RANGE,
       SQC_CHECKIN_STATE, SQC_CHECKIN_CERT, SQC_USAGE_UPSERT, SQC_MIRROR_AGENT, SQC_EXPIRY, SQC_N };

/* How a CA's key is kept (cas.key_prot): none (imported), sealed under the
 * store key, or PKCS#8 under the CA's own passphrase. */
enum { SQ_KEY_NONE = 0, SQ_KEY_STORE = 1, SQ_KEY_PASS = 2 };

/* The store's CA certificates, parsed, for the agents' check-ins
 * (sq_agent.c): reloaded when the CA list changes (its count or highest
 * id: CA ids are never given twice, and CA rows are never edited in a way
 * that changes their certificate). */
struct sq_ca_entry { int64_t id, nb, na; gnutls_x509_crt_t crt; unsigned char fp[32]; };
struct sq_cacache {
    int     loaded;
    int64_t count, max_id;
    size_t  n;
    struct sq_ca_entry *ca;
};

struct sq {
    sqlite3 *db;
    sqlite3_stmt *cache[SQC_N];
    char *path, *keypath;
    unsigned char key[CDI_STORE_KEY_LEN];
    int key_loaded;
    int readonly;      /* refuses every change: --read-only, or nowrite */
    int nowrite;       /* the file itself cannot be written: not even audit records */
    int hidden;        /* the refusal under way was of an object u may not read (sq_obj_may) */
    int64_t tx_audit_first;   /* the first audit record this transaction wrote (0: none yet) */
    struct sq_cacache cas;    /* the check-in's CA certificates (sq_agent.c) */
    int mirror;        /* a store image or a pulled replica (meta mirror.*): never written */
    char *ro_reason;   /* why changes are refused (sq_readonly_reason), once known */
};

#define SQ(s) ((struct sq *)(s)->impl)


int  sq_dberr(struct sq *sq, struct cd_err *err, const char *what);
/* The warning window (sq_expiry.c), meta key SQ_META_EXPIRY (days): read
 * once per list or get, never per row, and never cached across calls (other
 * handles, certdeckd's threads, may change it). */
#define SQ_META_EXPIRY "expiry_warning_days"
int  sq_expiry_secs(struct sq *sq, int64_t *secs, struct cd_err *err);
int  sq_expiry_warning_get(cd_store *s, const cd_user *u, int *days, struct cd_err *err);
int  sq_expiry_warning_set(cd_store *s, const cd_user *u, int days, struct cd_err *err);
/* How a row loop ends: CD_OK when the last step r was SQLITE_DONE, else the
 * database's error (a loop that stopped on an error must not pass for a
 * short list). */
int  sq_done(struct sq *sq, int r, const char *what, struct cd_err *err);
int  sq_prep(struct sq *sq, const char *sql, sqlite3_stmt **st, struct cd_err *err);
int  sq_exec(struct sq *sq, const char *sql, struct cd_err *err);
/* A cached statement, reset and unbound; the caller resets it after use. */
int  sq_cached(struct sq *sq, int which, const char *sql, sqlite3_stmt **st, struct cd_err *err);
/* Starts a change; CD_E_READONLY on a read-only store, before anything. */
int  sq_begin(struct sq *sq, struct cd_err *err);
/* Starts a transaction that writes only records of what happened (log-ins,
 * the audit of a key export), not changes: a --read-only session still
 * writes them, so read-only is no way around accountability; only a file
 * that cannot be written loses them. */
int  sq_begin_record(struct sq *sq, struct cd_err *err);
/* After a record's transaction has ended (committed or rolled back). */
void sq_end_record(struct sq *sq);
int  sq_finish(struct sq *sq, const cd_user *u, int rc, const char *action, const char *object,
               const char *detail, struct cd_err *err);
int  sq_audit(struct sq *sq, const char *user, const char *action, const char *object,
              const char *result, const char *detail, struct cd_err *err);
/* Appends the record after (*id, prev) — the chain's last record, as
 * sq_audit_last gives it — and moves both on, so a bulk writer reads the
 * last record once for many; sq_audit is this after a sq_audit_last. */
int  sq_audit_next(struct sq *sq, int64_t *id, char prev[65], int64_t ts, const char *user, const char *action,
                   const char *object, const char *result, const char *detail, struct cd_err *err);
/* The audit chain: a record's hash given the one before (64 hex + NUL),
 * the prev of the first record, and the newest record (0 and the zero hash
 * for an empty log). */
void sq_audit_hash(const char *prev, int64_t id, int64_t ts, const char *const f[5], char out[65]);
extern const char SQ_ZERO_HASH[];
int  sq_audit_last(struct sq *sq, int64_t *id, char hash[65], struct cd_err *err);
/* Every transaction that wrote audit records calls this just before its
 * COMMIT (sq_finish does): it moves the authenticated audit head (schema 7)
 * to the newest record, one UPDATE however many records were written.
 * Without the store key, or over a head that no longer matches, it leaves
 * the head alone and succeeds; audit verify reports either. */
int  sq_audit_head_update(struct sq *sq, struct cd_err *err);
/* Sets the head over the log as it is (schema upgrade); needs the key. */
int  sq_audit_head_seal(struct sq *sq, struct cd_err *err);
int  sq_store_key(struct sq *sq, struct cd_err *err);
/* CD_OK when u holds `right` (enum cd_right) on `otype` objects in the
 * group, else CD_E_FORBIDDEN saying which right is missing where. */
int  sq_can(struct sq *sq, const cd_user *u, int otype, int right, int64_t group_id, struct cd_err *err);
int  sq_level(struct sq *sq, const cd_user *u, int otype, int64_t group_id);
/* sq_can for an action of CD_ACTION_LIST: its right(s) in the group its
 * scope names (group_id for CD_SCOPE_OBJECT). */
int  sq_may(struct sq *sq, const cd_user *u, int action, int64_t group_id, struct cd_err *err);
/* "no certificate with ID 12" / "no CA with ID 3": the one answer for an
 * object that is not there, CD_E_NOTFOUND. */
int  sq_missing(struct cd_err *err, int kind, int64_t id);
/* CD_E_NOTFOUND "a mirror does not carry WHAT (the source store alone has it)"
 * (WHAT: "the audit log", "the server settings"). */
int  sq_unpublished(struct cd_err *err, const char *what);
/* sq_may for an existing object (kind, id) in group_id; action -1 checks
 * only that u may read it.  An object u may not read gets sq_missing's
 * answer, word for word, so IDs cannot be probed; its audit record still
 * says Forbidden (sq->hidden, read by sq_finish). */
int  sq_obj_may(struct sq *sq, const cd_user *u, int action, int kind, int64_t id, int64_t group_id,
                struct cd_err *err);
/* SQL condition limiting the group column `col` to the groups where u may
 * read `otype` objects ("1" for administrators). */
void sq_visible(const cd_user *u, int otype, const char *col, struct cdi_sql *q);
/* 1 when u may read something in the group, or it is /All or u's home. */
int  sq_sees_group(struct sq *sq, const cd_user *u, int64_t group_id);
/* Resolves a group path (NULL/"" = u's home group); a group u does not
 * see (sq_sees_group) answers as a missing one. */
int  sq_group_id(struct sq *sq, const cd_user *u, const char *path, int64_t *id, struct cd_err *err);
int  sq_bind_all(sqlite3_stmt *st, const struct cdi_sql *q);
/* Appends " AND col IN (the group `path` and its subgroups)". */
void sq_in_subtree(struct cdi_sql *w, const char *col, const char *path);
/* CD_E_NOTFOUND when q names a group (q->group) that does not exist or that
 * u may read nothing in, worded alike: a list of an unknown group is an
 * error, not an empty list, and a hidden one answers as a missing one. */
int  sq_check_group(struct sq *sq, const cd_user *u, const struct cd_query *q, struct cd_err *err);
/* Appends " LIMIT ? OFFSET ?" for a query's page (limit <= 0: all). */
void sq_page(struct cdi_sql *w, const struct cd_query *q);
char *sq_text(sqlite3_stmt *st, int col);   /* strdup of a column, "" for NULL */
int  sq_tag_id(struct sq *sq, const char *name, int create, int64_t *id, struct cd_err *err);
int  sq_fts_refresh(struct sq *sq, int64_t cert_id, struct cd_err *err);
/* Indexes new rows lo..hi in one statement (bulk issuance). */
int  sq_fts_add_range(struct sq *sq, int64_t lo, int64_t hi, struct cd_err *err);

/* Internal issuing, inside a caller's transaction (used by init and cert_new). */
int  sq_ca_new_tx(struct sq *sq, const cd_user *u, const struct cd_ca_params *p, int64_t *id,
                  struct cd_err *err);
/* A CA made in memory, outside any transaction: its certificate and plain
 * key (o) and the key as stored (blob: sealed, or PKCS#8 under p's
 * passphrase; prot SQ_KEY_*); sq_ca_insert stores it inside one (group and
 * CA-new right checked there). */
struct sq_ca_made { struct cdi_issued o; gnutls_datum_t blob; int prot; };
int  sq_ca_make(struct sq *sq, const struct cd_ca_params *p, struct sq_ca_made *m, struct cd_err *err);
int  sq_ca_insert(struct sq *sq, const cd_user *u, const struct cd_ca_params *p, const struct sq_ca_made *m,
                  int64_t *id, struct cd_err *err);
void sq_ca_made_clear(struct sq_ca_made *m);     /* wipes the key */
int  sq_cert_new_tx(struct sq *sq, const cd_user *u, const struct cd_cert_params *p, size_t n,
                    cd_progress_fn progress, void *ctx, int64_t *ids, struct cd_err *err);
/* Validity of a certificate CA ca issues for p (days, not_before,
 * not_after), inside the CA's own (sq_issue.c). */
int  sq_cert_validity(const struct cd_cert_params *p, gnutls_x509_crt_t ca, int64_t *nb, int64_t *na,
                      struct cd_err *err);
/* Loads a CA's certificate and (unless want_key is 0) its decrypted key. */
int  sq_ca_load(struct sq *sq, const cd_user *u, int64_t id, const char *pass, int right,
                gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key, struct cd_err *err);

/* The enabled user matching `where` (one "?" bound to arg, or none). */
int  sq_load_user(struct sq *sq, const char *where, const char *arg, cd_user **out, struct cd_err *err);

char *sq_base64(const unsigned char *p, size_t n);

/* Sets key k of the meta table to v; v NULL removes it (sq_agent.c). */
int  sq_meta_set(struct sq *sq, const char *k, const char *v, struct cd_err *err);
/* Frees what the check-in keeps per handle (sq_close). */
void sq_agent_free(struct sq *sq);
/* After revoking certificates of these CAs (committed): signs and stores a
 * new CRL for each whose key is sealed under the store key, in a short
 * transaction of its own, audited as u's "Publish CRL".  The first failure
 * is returned; a CRL left unsigned is marked stale and re-signed by
 * sq_crl_current. */
int  sq_crl_regen(struct sq *sq, const cd_user *u, const int64_t *ca_ids, size_t n, struct cd_err *err);
/* Marks the stored CRL of a CA stale (inside the revoking transaction). */
int  sq_crl_mark_stale(struct sq *sq, int64_t ca_id, struct cd_err *err);

/* The per-file halves of the ops table. */
int sq_ca_new(cd_store *, const cd_user *, const struct cd_ca_params *, int64_t *, struct cd_err *);
int sq_ca_import(cd_store *, const cd_user *, const void *, size_t, const char *, const char *,
                 int64_t *, struct cd_err *);
int sq_ca_list(cd_store *, const cd_user *, const struct cd_query *, struct cd_ca_list *, struct cd_err *);
int sq_ca_get(cd_store *, const cd_user *, int64_t, struct cd_ca *, struct cd_err *);
int sq_ca_export(cd_store *, const cd_user *, int64_t, char **, size_t *, struct cd_err *);
int sq_ca_delete(cd_store *, const cd_user *, int64_t, struct cd_err *);
int sq_cert_new(cd_store *, const cd_user *, const struct cd_cert_params *, size_t, cd_progress_fn,
                void *, int64_t *, struct cd_err *);
int sq_cert_list(cd_store *, const cd_user *, const struct cd_query *, struct cd_cert_list *, struct cd_err *);
int sq_cert_count(cd_store *, const cd_user *, const struct cd_query *, int64_t *, struct cd_err *);
int sq_cert_get(cd_store *, const cd_user *, int64_t, struct cd_cert *, struct cd_err *);
int sq_cert_export(cd_store *, const cd_user *, int64_t, int, const char *, unsigned char **, size_t *,
                   struct cd_err *);
int sq_export_audit(cd_store *, const cd_user *, int64_t, int, int, const char *, struct cd_err *);
struct cdi_import;
int sq_import(cd_store *, const cd_user *, const struct cdi_import *, struct cd_import_report *, struct cd_err *);
int sq_cert_revoke(cd_store *, const cd_user *, const int64_t *, size_t, int, struct cd_err *);
int sq_cert_usage_count(cd_store *, const cd_user *, int64_t, int64_t *, struct cd_err *);
int sq_resolve(cd_store *, const cd_user *, int, const char *, int64_t *, struct cd_err *);
int sq_describe(cd_store *, const cd_user *, int, int64_t, const char *, struct cd_err *);
int sq_move(cd_store *, const cd_user *, int, const int64_t *, size_t, const char *, struct cd_err *);
int sq_crl(cd_store *, const cd_user *, int64_t, const char *, int, int, unsigned char **, size_t *,
           struct cd_err *);
int sq_group_add(cd_store *, const cd_user *, const char *, struct cd_err *);
int sq_group_rm(cd_store *, const cd_user *, const char *, struct cd_err *);
int sq_group_list(cd_store *, const cd_user *, struct cd_group_list *, struct cd_err *);
int sq_tag_list(cd_store *, const cd_user *, struct cd_tag_list *, struct cd_err *);
int sq_tag_create(cd_store *, const cd_user *, const char *, struct cd_err *);
int sq_tag_delete(cd_store *, const cd_user *, const char *, struct cd_err *);
int sq_tag_set(cd_store *, const cd_user *, int, const int64_t *, size_t, const char *, int, struct cd_err *);
int sq_preset_list(cd_store *, const cd_user *, struct cd_preset_list *, struct cd_err *);
int sq_preset_save(cd_store *, const cd_user *, const char *, const char *, const char *, const char *,
                   struct cd_err *);
int sq_preset_rm(cd_store *, const cd_user *, const char *, struct cd_err *);
int sq_preset_share(cd_store *, const cd_user *, const char *, int, struct cd_err *);
int sq_state_get(cd_store *, const cd_user *, const char *, char **, struct cd_err *);
int sq_state_set(cd_store *, const cd_user *, const char *, const char *, struct cd_err *);
int sq_audit_list(cd_store *, const cd_user *, const char *, const char *, int64_t, struct cd_audit_list *,
                  struct cd_err *);
int sq_audit_verify(cd_store *, const cd_user *, int64_t *, int64_t *, struct cd_err *);
int sq_user_login(cd_store *, const char *, const char *, cd_user **, struct cd_err *);
int sq_user_can(cd_store *, const cd_user *, int, int, const char *, char *, size_t);
int sq_user_add(cd_store *, const cd_user *, const char *, const char *, const char *, struct cd_err *);
int sq_user_rm(cd_store *, const cd_user *, const char *, struct cd_err *);
int sq_user_set_disabled(cd_store *, const cd_user *, const char *, int, struct cd_err *);
int sq_user_passwd(cd_store *, const cd_user *, const char *, const char *, const char *, struct cd_err *);
int sq_user_list(cd_store *, const cd_user *, struct cd_user_list *, struct cd_err *);
int sq_permset_add(cd_store *, const cd_user *, const char *, const char *const *, size_t, const int [CD_OT_COUNT],
                   struct cd_err *);
int sq_permset_rm(cd_store *, const cd_user *, const char *, struct cd_err *);
int sq_permset_grant(cd_store *, const cd_user *, const char *, const char *, int, struct cd_err *);
int sq_permset_list(cd_store *, const cd_user *, struct cd_permset_list *, struct cd_err *);
/* certdeck/lifecycle.h: requests signed elsewhere (APN/ABM) and external
 * requests signed here (sq_request.c) */
int sq_cert_request(cd_store *, const cd_user *, const struct cd_cert_params *, int64_t, int64_t *, char **,
                    size_t *, struct cd_err *);
int sq_cert_csr(cd_store *, const cd_user *, int64_t, char **, size_t *, struct cd_err *);
int sq_cert_import_signed(cd_store *, const cd_user *, int64_t, const void *, size_t, struct cd_err *);
int sq_cert_sign(cd_store *, const cd_user *, const struct cd_cert_params *, const void *, size_t, int64_t *,
                 struct cd_err *);
/* certdeck/server.h (sq_agent.c, sq_crl.c) */
int sq_cert_usage(cd_store *, const cd_user *, int64_t, struct cd_usage_list *, struct cd_err *);
int sq_client_settings_get(cd_store *, const cd_user *, struct cd_client_settings *, struct cd_err *);
int sq_client_password_set(cd_store *, const cd_user *, const char *, const char *, struct cd_err *);
int sq_client_unauth_set(cd_store *, const cd_user *, int, struct cd_err *);
int sq_checkin_verify(cd_store *, const struct cd_checkin_req *, struct cd_checkin_result *, struct cd_err *);
int sq_checkin_record(cd_store *, const struct cd_checkin_event *, size_t, struct cd_err *);
int sq_crl_current(cd_store *, int64_t, unsigned char **, size_t *, struct cd_crl_info *, struct cd_err *);
int sq_crl_index(cd_store *, struct cd_crl_info **, size_t *, struct cd_err *);
int sq_server_tls(cd_store *, int64_t, char **, char **, struct cd_err *);
int sq_trust_pem(cd_store *, char **, struct cd_err *);
/* certdeck/mirror.h: the mirror agents are told of (sq_mirror_agent.c) */
int sq_mirror_settings_get(cd_store *, const cd_user *, struct cd_mirror_settings *, struct cd_err *);
int sq_mirror_settings_set(cd_store *, const cd_user *, const char *, const char *, const char *, struct cd_err *);
int sq_mirror_settings_secret(cd_store *, struct cd_mirror_secret *, struct cd_err *);
/* certdeck/mirror.h (sq_mirror.c) */
struct cdi_mimage_opts;
struct cdi_mimage_info;
int sq_mirror_image(cd_store *, const cd_user *, const char *, const struct cdi_mimage_opts *,
                    struct cdi_mimage_info *, struct cd_err *);
int sq_mirror_sign(cd_store *, const cd_user *, int64_t, const char *, const void *, size_t, unsigned char **,
                   size_t *, struct cd_err *);
int sq_mirror_meta(const cd_store *, struct cd_mirror_info *, struct cd_err *);
const char *sq_readonly_reason(const cd_store *);
/* This build's migrations, in order (sq_schema.c); sq_schema_make runs
 * them all on an empty database (0, or -1 on an SQLite error). */
const char *const *sq_migrations(size_t *n);
int sq_schema_make(sqlite3 *db);
/* CDI_OPEN_IMAGE: the image's schema must be exactly this build's
 * (CD_E_CORRUPT otherwise); SQLite's defensive mode, untrusted schema. */
int sq_image_check(struct sq *sq, struct cd_err *err);
/* A store image's one meta key: mirror.image = this format.  A store
 * whose meta has mirror.image (an image, or a replica: the image with
 * mirror.generation, .published, .signer, .signer_subject, .source,
 * .checked and .image_sha256 written at pull) is marked read-only with the
 * mirror's reason; image: it must have mirror.image of this format. */
#define SQ_IMAGE_FORMAT "1"
int sq_mirror_detect(struct sq *sq, int image, struct cd_err *err);

#endif
