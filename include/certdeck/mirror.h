/* certdeck — the HTTP mirror: a signed snapshot of everything public in a
 * store, published into a folder any static web server serves (or a USB
 * stick carries), read back read-only through libcurl with basic auth, and
 * the mirror's address and credentials a store hands its agents.
 *
 * A snapshot (doc/mirror.md has the format):
 *     DIR/current                    one line: the name of the current index
 *     DIR/index-<sha256>.json        the index: every file, its size and SHA-256
 *     DIR/index-<sha256>.sig         the index's detached signature by a CA's key
 *     DIR/files/<sha256>.<ext>       the files, named by their content
 * Publishing writes a new generation's files, then replaces `current` (one
 * rename), so a reader sees the old snapshot or the new one, never a mix.
 * Never in a snapshot: private keys, passphrases, users, password hashes,
 * the audit log, the client password, the mirror credentials. */
#ifndef CERTDECK_MIRROR_H
#define CERTDECK_MIRROR_H

#include <stddef.h>
#include <stdint.h>
#include <certdeck/error.h>
#include <certdeck/store.h>

/* ---- publishing ------------------------------------------------------------- */

struct cd_mirror_publish_opts {
    int64_t     sign_ca;          /* the CA whose key signs the index */
    const char *ca_passphrase;    /* that CA's own passphrase, when its key has one */
    int         keep;             /* earlier generations kept for readers under way; 0 = 1 */
};
struct cd_mirror_published {
    int64_t generation;           /* 1 for the first publish into DIR, then +1 */
    int64_t published;            /* UTC seconds */
    int64_t certs, cas;
    size_t  files, written;       /* distinct files in the snapshot; of them, new in DIR */
    int64_t bytes;                /* total size of the snapshot's files */
    char    index[96];            /* "index-<sha256>.json" */
    char    signer_sha256[96];    /* SHA-256 fingerprint of the signing CA's certificate, hex with colons */
};
/* Writes a snapshot of s into dir (made when missing), signed by o->sign_ca.
 * Needs Use on the signing CA and Read on certificates and CAs in /All
 * (CD_ACT_MIRROR_PUBLISH); audited in s.  A local store only. */
int cd_mirror_publish(cd_store *s, const cd_user *u, const char *dir, const struct cd_mirror_publish_opts *o,
                      struct cd_mirror_published *out, struct cd_err *err);

/* ---- reading ----------------------------------------------------------------- */

/* How to reach and trust a mirror: given to cd_store_open_ex (struct
 * cd_open_opts .mirror) for "mirror+https://HOST/PATH", "mirror+http://..."
 * and "mirror+file:///PATH", and to cd_mirror_pull / cd_mirror_verify. */
struct cd_mirror_opts {
    /* The CA that must have signed the index (PEM file); NULL: the one
     * remembered for this mirror under $XDG_CONFIG_HOME/certdeck/mirrors/,
     * else trust on first use through trust() (the index's signer shown by
     * subject and SHA-256 fingerprint; return 1 to trust and remember it).
     * A snapshot signed by any other CA is refused. */
    const char *signer_ca;
    int       (*trust)(void *ctx, const char *mirror, const char *subject, const char *sha256);
    void       *trust_ctx;
    const char *cacert;           /* https: the web server's CA (PEM); NULL: the system's CAs */
    const char *user;             /* basic auth; NULL: ~/.netrc when it names the host, else none */
    const char *password;
    int         insecure_auth;    /* allow basic auth over plain http to a host that is not loopback */
    int64_t     max_size;         /* cap on one file; 0 = CD_MIRROR_MAX_SIZE */
    long        connect_timeout_ms;   /* 0 = 10 s */
    long        timeout_ms;           /* a transfer that stalls this long fails; 0 = 60 s */
    /* downloads: bytes so far and the total (0 when unknown), first called
     * once a download has lasted a second, then a few times a second */
    void      (*progress)(void *ctx, int64_t done, int64_t total);
    void       *progress_ctx;
};
#define CD_MIRROR_MAX_SIZE (4LL << 30)

/* What a mirror store (or a pulled replica) shows. */
struct cd_mirror_info {
    char   *source;               /* the mirror's address (no credentials), or the replica's origin */
    int64_t generation, published;  /* the snapshot's generation and when it was published (UTC s) */
    int64_t checked;              /* when the mirror was last seen to serve this snapshot */
    char   *signer;               /* the signing CA's subject */
    char    signer_sha256[96];
    char   *warning;              /* NULL, or why an older cached snapshot is shown */
};
/* CD_OK and *out filled when s is a mirror (mirror+...) or a replica made by
 * cd_mirror_pull; CD_E_NOTFOUND otherwise.  cd_mirror_info_clear frees. */
int  cd_store_mirror_info(const cd_store *s, struct cd_mirror_info *out, struct cd_err *err);
void cd_mirror_info_clear(struct cd_mirror_info *i);

/* The reason every change to s is refused ("read-only: a mirror of URL
 * (snapshot of 2026-12-07 10:00 UTC); change the source store and publish
 * again", "read-only: the store ... is open read-only (--read-only)"), or
 * NULL when s may be changed. */
const char *cd_store_readonly_reason(const cd_store *s);

struct cd_mirror_pull_result {
    int     updated;              /* 0: the replica already had this snapshot */
    int64_t generation, published, certs;
    size_t  fetched_files;        /* files downloaded (not in the cache yet) */
    int64_t fetched_bytes;
};
/* Fetches and verifies the snapshot at url (as for a mirror store, without
 * "mirror+": https://, http://, file:///PATH or a folder), then makes or
 * replaces the read-only replica store `into` in one step: a reader of
 * `into` sees the old replica or the new one.  `into` must be missing or a
 * replica made by cd_mirror_pull (a store of any other kind is refused).
 * On any failure the cache and `into` are as they were. */
int cd_mirror_pull(const char *url, const char *into, const struct cd_mirror_opts *o,
                   struct cd_mirror_pull_result *out, struct cd_err *err);

/* Checks a snapshot (url or a folder) completely: the pointer, the index's
 * signature by the trusted CA, every file's size and SHA-256.  CD_OK and
 * *out filled (may be NULL) when it is whole; else the first problem found,
 * exactly ("files/ab12...db: SHA-256 does not match the index").  Writes
 * nothing but the cache of a remote mirror. */
int cd_mirror_verify(const char *url, const struct cd_mirror_opts *o, struct cd_mirror_info *out,
                     struct cd_err *err);

/* ---- the mirror as agents are told of it (ERA 5: clients received it at check-in) -- */

struct cd_mirror_settings {
    char *url;                    /* NULL when none is set */
    char *user;                   /* NULL when none */
    int   has_password;
};
/* Anyone logged in may read them; the password is never given back. */
int  cd_mirror_settings_get(cd_store *s, const cd_user *u, struct cd_mirror_settings *out, struct cd_err *err);
/* Sets the mirror agents are told of: url NULL or "" removes the setting
 * (user and password too); password NULL keeps the one stored, "" removes
 * it.  The password is kept encrypted under the store key.  Administrators
 * only (CD_ACT_SERVER_SETTINGS); audited (never the password). */
int  cd_mirror_settings_set(cd_store *s, const cd_user *u, const char *url, const char *user,
                            const char *password, struct cd_err *err);
void cd_mirror_settings_clear(struct cd_mirror_settings *m);

#endif
