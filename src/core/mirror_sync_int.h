/* certdeck core — what the verified cache of a mirror (mirror_sync.c) and
 * its choice of whom to trust (mirror_signer.c) share: one sync's state. */
#ifndef CERTDECK_MIRROR_SYNC_INT_H
#define CERTDECK_MIRROR_SYNC_INT_H

#include "mirror_fetch_int.h"

#define SIG_MAX (64u << 10)
#define PEM_MAX (1u << 20)

/* The identity of a verified store image: the same file, unchanged. */
struct ident { char name[80]; int64_t dev, ino, size, mtime_ns; };
struct state { char *source, *index; struct cdi_mcond cond; int64_t checked; struct ident img; };

struct run {
    const struct cd_mirror_opts *o;
    struct cdi_mfetch *f;
    const char *w;              /* the mirror as messages name it */
    int verify;                 /* cd_mirror_verify: all fetched afresh, nothing kept */
    char *dir, *known;          /* the cache folder; the remembered signer */
    size_t dir_base, known_base;    /* their $XDG_..._HOME part: not ours to judge */
    int lockfd;
    char *made;                 /* the first folder this sync made, or NULL */
    int fresh;                  /* the cache had no state.json when locked */
    struct state st;
    int cached;                 /* the cache holds the whole snapshot st.index names */
    struct cdi_buf cidx, csig;  /* its index and signature */
    struct cdi_mindex cix;
    char *pem;                  /* the trusted signer (PEM) */
    char fp[96];                /* its SHA-256 */
    size_t pemlen;
    int remember;               /* trusted on first use: remember it once verified */
    char **tmps;                /* downloads not yet in place */
    char *vimage;               /* verifying: the store image's temporary copy, removed at the end */
    size_t ntmps;
    size_t fetched;
    int64_t fetched_bytes;
    const struct cdi_mseen *seen;   /* a replica's snapshot, or NULL */
};

static inline int oom(struct cd_err *err) { return cdi_fail(err, CD_E_NOMEM, "out of memory"); }

/* err's message, prefixed with the mirror and what it is about. */
static inline int wrap(struct cd_err *err, int rc, const char *w, const char *what)
{
    char m[sizeof err->msg];
    snprintf(m, sizeof m, "%s", err->msg);
    return cdi_fail(err, rc, "mirror %s: %s%s%s", w, what ? what : "", what ? ": " : "", m);
}

static inline char *in_dir(const struct run *r, const char *rel) { return cdi_printf("%s/%s", r->dir, rel); }

/* The index `name` (idx, its signature sig) verified into ix against the
 * signer trusted for this mirror (mirror_signer.c: --signer-ca, the one
 * remembered, or trust on first use); parsed: ix holds it already;
 * from_cache: the signer's certificate is read from the cache. */
int cdi_msync_verify_index(struct run *r, const char *name, const struct cdi_buf *idx, const struct cdi_buf *sig,
                           struct cdi_mindex *ix, int parsed, int from_cache, struct cd_err *err);
/* A signer trusted on first use, remembered once a snapshot it signed has
 * been verified (nothing to do otherwise). */
int cdi_msync_remember(struct run *r, struct cd_err *err);

#endif
