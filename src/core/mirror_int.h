/* certdeck core — the mirror's pieces (cdi_ tier): the snapshot format
 * (mirror_index.c: the index, its signature), the publisher (mirror_pub.c
 * over the sqlite backend's image, sq_mirror.c), the reader (mirror_fetch.c:
 * libcurl or a folder; mirror_sync.c: the verified local cache) and the
 * mirror store (mirror_store.c: the cached image opened read-only by the
 * sqlite backend).
 *
 * The snapshot's data is one SQLite database in certdeck's own schema (the
 * "store image"), holding only what is public, with its search index and
 * counts built: a reader opens it as it is, so a 100k-certificate mirror is
 * ready as soon as its bytes are verified, and everything the local store
 * can show (filters, sorting, the tree, presets, usage, CRLs) works alike.
 * Beside it: each CA's certificate and current CRL as files of their own
 * (agents and scripts fetch those directly), and the signer's certificate. */
#ifndef CERTDECK_MIRROR_INT_H
#define CERTDECK_MIRROR_INT_H

#include "core_int.h"

#define CDI_MIRROR_FORMAT "certdeck-mirror/1"
/* The index and the pointer file are small; a bigger one is refused. */
#define CDI_MIRROR_INDEX_MAX (4u << 20)
#define CDI_MIRROR_POINTER_MAX 256

/* ---- the index (mirror_index.c) ------------------------------------------------ */

/* One file of a snapshot.  name: "files/<64 hex>.<ext>", the hex being
 * the SHA-256 of its content; role: "store" (the image, exactly one),
 * "ca" (a CA certificate, PEM), "crl" (a CA's current CRL, DER), "signer"
 * (the signing CA's certificate, PEM, exactly one). */
struct cdi_mfile {
    char   *name;
    char   *role;
    int64_t ca_id;          /* "ca" and "crl": the CA's ID; else 0 */
    int64_t size;
    char    sha256[65];     /* lowercase hex */
};
struct cdi_mindex {
    int64_t generation, published;
    int64_t certs, cas;
    int64_t signer_ca;                  /* the signing CA's ID in the source store */
    char   *signer_subject;
    char    signer_sha256[96];          /* of its certificate (DER), hex with colons */
    size_t  n;
    struct cdi_mfile *files;
};
/* The index as published: compact JSON, ASCII, files in a stable order.
 * Caller frees. */
char *cdi_mindex_dump(const struct cdi_mindex *ix, size_t *len);
/* Strict: the format string, every field of the right type, names of the
 * form above (no "..", no "/" but the one after "files"), one store and one
 * signer; CD_E_CORRUPT naming what is wrong. */
int  cdi_mindex_parse(const char *text, size_t len, struct cdi_mindex *out, struct cd_err *err);
void cdi_mindex_clear(struct cdi_mindex *ix);
/* The file of the given role (the first), NULL when none. */
const struct cdi_mfile *cdi_mindex_find(const struct cdi_mindex *ix, const char *role);

/* The detached signature of the index: the raw signature of its exact
 * bytes by the CA's key with SHA-256 (ECDSA: DER; RSA: PKCS#1 v1.5;
 * Ed25519: pure), checkable with openssl (doc/mirror.md).  ca_pem: the
 * trusted CA certificate.  CD_E_CRYPTO "the index is not signed by ..." */
int  cdi_mirror_sig_check(const char *ca_pem, size_t ca_len, const void *data, size_t len, const void *sig,
                          size_t siglen, struct cd_err *err);
/* SHA-256 of a certificate (PEM) as "AB:CD:..." and its subject (caller
 * frees *subject). */
int  cdi_mirror_ca_id(const char *ca_pem, size_t ca_len, char sha256[96], char **subject, struct cd_err *err);
/* SHA-256 of n bytes, lowercase hex (65 bytes). */
void cdi_sha256_hex(const void *p, size_t n, char out[65]);
/* SHA-256 of what is left to read in fd, lowercase hex, and its length;
 * -1 with errno on a read error. */
int  cdi_sha256_fd(int fd, char out[65], int64_t *size);
/* The signature algorithm (gnutls_sign_algorithm_t) a CA key of this kind
 * (gnutls_pk_algorithm_t) signs an index with; GNUTLS_SIGN_UNKNOWN (0)
 * for a kind that does not sign indexes. */
int  cdi_mirror_sign_algo(int pk_algo);
/* CD_OK when now is within a signing CA's validity [not_before, not_after];
 * else CD_E_STATE "<who> expired on 2026-11-07 10:00 UTC" or "<who> is
 * not valid before ...", then "; " and tail. */
int  cdi_mirror_validity(const char *who, int64_t not_before, int64_t not_after, int64_t now, const char *tail,
                         struct cd_err *err);
/* The validity of a CA certificate (PEM), UTC seconds. */
int  cdi_mirror_ca_times(const char *ca_pem, size_t ca_len, int64_t *not_before, int64_t *not_after,
                         struct cd_err *err);

/* ---- local files of our own (mirror_local.c) --------------------------------------- */

struct stat;
/* 1: st (from fstat/lstat) is a regular file of geteuid() that neither its
 * group nor others may write. */
int  cdi_file_ours(const struct stat *st);
/* A whole small local file (at most max bytes, NUL-terminated, the NUL not
 * counted), never through a symbolic link (ELOOP); own: it must be ours
 * (cdi_file_ours, else EPERM).  -1 with errno set. */
int  cdi_read_small(const char *path, size_t max, int own, struct cdi_buf *b);
/* Why the folder is not one certdeck may use: a symbolic link, not a
 * folder, another user's, writable by group or others (why: room for the
 * text); NULL when it is fine or missing (errno ENOENT). */
const char *cdi_dir_unsafe(const char *path, char *why, size_t n);
/* Each existing folder of path after its first `base` bytes (the user's
 * $XDG_..._HOME, not ours to judge) checked with cdi_dir_unsafe;
 * CD_E_INVAL naming the folder, what it holds (`what`) and the variable
 * that moves it (`var`). */
int  cdi_check_dirs(const char *path, size_t base, const char *what, const char *var, struct cd_err *err);
/* mkdir -p path (new folders 0700), then cdi_check_dirs. */
int  cdi_own_dirs(const char *path, size_t base, const char *what, const char *var, struct cd_err *err);
/* The first folder of path, from the root, that does not exist (caller
 * frees), NULL when all do: what a later mkdir -p of path makes. */
char *cdi_first_missing(const char *path);
/* The reader's cache folder dir ($XDG_CACHE_HOME/certdeck/mirrors/<key>):
 * after a new snapshot is in place, every file the index ix does not name
 * and every index but `index` go (cdi_cache_prune); after a failed sync
 * that found no cache there, under its lock, what it made goes: the
 * cache's own names, the folder, and its parents up to `made` (the first
 * folder that sync made; NULL: none), each only while empty. */
void cdi_cache_prune(const char *dir, const char *index, const struct cdi_mindex *ix);
void cdi_cache_unmake(const char *dir, const char *made);
/* A store path that is not a regular file: CD_E_INVAL "PATH is a mirror
 * snapshot's folder: open it as mirror+file://ABS" when it is one (it
 * holds `current`), else CD_E_CORRUPT "PATH is not a file". */
int  cdi_not_a_store_file(const char *path, struct cd_err *err);

/* ---- the publisher's store image (sqlite backend, sq_mirror.c) -------------------- */

struct cdi_mimage_opts {
    int64_t generation, published;
    int64_t signer_ca;
    const char *signer_sha256;
};
struct cdi_mimage_info {
    int64_t certs, cas;
    size_t  ncas;
    int64_t *ca_ids;        /* every CA in the image (malloc'd; caller frees) */
};

/* cdi_sqlite_open flag: open a store image (a snapshot's "store" file)
 * read-only and unwritten: SQLite's read-only mode, no journal change, no
 * migration; its schema must be exactly the one this build makes
 * (CD_E_CORRUPT otherwise).  Changes are refused with the mirror's reason. */
#define CDI_OPEN_IMAGE (1u << 16)

/* PRAGMA quick_check of a store image file of our own (a new one: fetched,
 * or just built), not yet in use; CD_E_CORRUPT "<what>: the store image is
 * damaged: <SQLite's first finding>".  ~0.4 s per 100k certificates: run
 * once per new image, never on an open. */
int  cdi_image_quick_check(const char *path, const char *what, struct cd_err *err);

/* ---- the reader ------------------------------------------------------------------ */

/* A snapshot verified into the local cache (mirror_sync.c):
 * $XDG_CACHE_HOME/certdeck/mirrors/<key>/ (else ~/.cache/...). */
struct cdi_msnap {
    char   *source;           /* the mirror's address without credentials */
    char   *dir;              /* its cache folder */
    char   *image;            /* the verified store image in the cache */
    struct cdi_mindex ix;     /* the verified index */
    char    index[80];        /* its name, "index-<sha256>.json" */
    int     changed;          /* 1: this sync fetched a generation new to the cache */
    size_t  fetched_files;
    int64_t fetched_bytes;
    int64_t checked;          /* when the mirror last served this snapshot */
    char   *warning;          /* NULL, or why the cached snapshot is shown (offline) */
};
/* Brings the cache of `src` ("https://...", "http://...", "file:///PATH"
 * or a folder) up to date: one conditional request for the pointer (a 304
 * ends it), then the index, its signature (trust: o->signer_ca, the
 * remembered signer, or o->trust), and only the files the cache lacks,
 * each checked against the index before it is kept.  The cache changes
 * only once all is verified (a new generation's files, then its record of
 * the current index, by rename); on any failure it is as it was.
 * offline_ok: when the mirror cannot be reached (connection refused,
 * timeout, DNS), a verified cached snapshot is used with out->warning. */
int  cdi_mirror_sync(const char *src, const struct cd_mirror_opts *o, int offline_ok, struct cdi_msnap *out,
                     struct cd_err *err);
void cdi_msnap_clear(struct cdi_msnap *m);
/* What a replica holds: its snapshot's generation, index name and
 * signer's SHA-256 (hex with colons). */
struct cdi_mseen {
    int64_t generation;
    const char *index;
    const char *signer_sha256;
};
/* cdi_mirror_sync (not offline) for a pull.  It refuses also a snapshot
 * older than *seen (the replica's; NULL: none), or another snapshot under
 * its generation, when it has the same signer (CD_E_CRYPTO "... older than
 * generation N already seen here ..."), the cache then as it was; every
 * sync refuses the same against the cache's own snapshot.  hook (NULL:
 * none): ready() gets a store image new to the cache, verified by its
 * hash, as a file descriptor of its own (ready closes it), just before the
 * image's quick_check, so that the replica's copy and its flush to disk
 * overlap that check; whether the sync succeeds decides if it is used. */
struct cdi_mhook { void (*ready)(void *ctx, int fd); void *ctx; };
int  cdi_mirror_sync_hook(const char *src, const struct cd_mirror_opts *o, const struct cdi_mseen *seen,
                          const struct cdi_mhook *hook, struct cdi_msnap *out, struct cd_err *err);

/* A mirror+ store's own state (struct cd_store .mirror), freed by
 * cd_store_close through cdi_mstate_free. */
struct cdi_mstate {
    struct cd_mirror_info info;
    char *reason;             /* the read-only reason */
};
void cdi_mstate_free(struct cdi_mstate *m);
/* Opens "mirror+https://...", "mirror+http://...", "mirror+file:///...":
 * cdi_mirror_sync (offline_ok), then the cached image with cdi_sqlite_open
 * (CD_OPEN_READONLY | CDI_OPEN_IMAGE); s->name becomes the spec. */
int  cdi_mirror_open(cd_store *s, const char *spec, const struct cd_open_opts *o, struct cd_err *err);

#endif
