/* certdeck core — whom a mirror's reader trusts to sign its snapshots:
 * --signer-ca, else the signer remembered for the mirror under
 * $XDG_CONFIG_HOME/certdeck/mirrors/ (a file of ours, in folders of ours),
 * else the snapshot's own signer after a question (trust on first use),
 * remembered once a snapshot it signed has been verified.  A signer
 * outside its validity signs nothing a reader accepts. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "mirror_sync_int.h"

/* ---- whom to trust ------------------------------------------------------------- */

/* b (a signer's certificate, PEM) becomes the trusted signer. */
static void take_pem(struct run *r, struct cdi_buf *b)
{
    r->pem = (char *)b->p;
    r->pemlen = b->len;
    b->p = NULL;
}

/* The signer's certificate as the snapshot carries it (from the cache or
 * the mirror), checked against the index. */
static int signer_file(struct run *r, const struct cdi_mindex *ix, int from_cache, struct cdi_buf *pem,
                       struct cd_err *err)
{
    const struct cdi_mfile *sf = cdi_mindex_find(ix, "signer");
    if (!sf) return cdi_fail(err, CD_E_CORRUPT, "mirror %s: the index lists no signer certificate", r->w);
    if (sf->size > (int64_t)PEM_MAX)
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s: too large for a certificate", r->w, sf->name);
    int rc;
    if (from_cache) {
        char *p = in_dir(r, sf->name);
        rc = p && !cdi_read_small(p, PEM_MAX, 1, pem) ? CD_OK
                                               : cdi_fail(err, CD_E_IO, "mirror %s: the cached %s cannot be read", r->w, sf->name);
        free(p);
    } else {
        rc = cdi_mfetch_mem(r->f, sf->name, (size_t)sf->size, NULL, NULL, NULL, pem, err);
    }
    if (rc) return rc;
    char hex[65];
    cdi_sha256_hex(pem->p, pem->len, hex);
    if ((int64_t)pem->len != sf->size || strcmp(hex, sf->sha256)) {
        cdi_buf_free(pem);
        return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s: SHA-256 does not match the index", r->w, sf->name);
    }
    return CD_OK;
}

/* The signer already trusted for this mirror: o->signer_ca, else the one
 * remembered for it (a file of ours in folders of ours); r->pem stays
 * NULL when there is none (trust on first use).  Known before the index
 * is read: its signature is checked over its raw bytes before it is
 * parsed. */
static int known_signer(struct run *r, struct cd_err *err)
{
    struct cdi_buf b = { 0 };
    char *subject = NULL;
    const char *given = r->o->signer_ca;
    int rc;
    if (r->pem) return CD_OK;
    if (given) {
        if (cdi_read_small(given, PEM_MAX, 0, &b)) return cdi_fail(err, CD_E_IO, "--signer-ca %s: %s", given, strerror(errno));
    } else {
        char *d = strdup(r->known), *slash = d ? strrchr(d, '/') : NULL;
        if (slash) *slash = 0;
        rc = slash ? cdi_check_dirs(d, r->known_base, "the signers it trusts", "XDG_CONFIG_HOME", err) : oom(err);
        free(d);
        if (rc) return rc;
        if (cdi_read_small(r->known, PEM_MAX, 1, &b)) {
            if (errno == ENOENT) return CD_OK;
            return cdi_fail(err, CD_E_IO, "%s: %s; the signer remembered for a mirror must be a file of your own "
                            "that no one else may write: remove it (certdeck asks again) or give --signer-ca",
                            r->known, errno == EPERM ? "not a file of yours, or others may write it"
                            : errno == ELOOP ? "a symbolic link" : strerror(errno));
        }
    }
    if ((rc = cdi_mirror_ca_id((const char *)b.p, b.len, r->fp, &subject, err))) {
        wrap(err, rc, r->w, given ? given : r->known);
        goto out;
    }
    take_pem(r, &b);
out:
    cdi_buf_free(&b);
    free(subject);
    return rc;
}

/* The trusted signer (PEM) must be within its validity now: an expired CA
 * (its key perhaps retired carelessly) or one not valid yet signs nothing
 * a reader accepts. */
static int signer_valid(struct run *r, const char *pem, size_t len, const char *subject, struct cd_err *err)
{
    int64_t nb = 0, na = 0;
    char who[600], from[32], to[32];
    int rc = cdi_mirror_ca_times(pem, len, &nb, &na, err);
    if (rc) return wrap(err, rc, r->w, "the signer's certificate");
    cdi_fmt_time(nb, from, sizeof from);
    cdi_fmt_time(na, to, sizeof to);
    snprintf(who, sizeof who, "mirror %s: the snapshot's signer %s (SHA-256 %s, valid %s to %s UTC)", r->w,
             subject ? subject : "", r->fp, from, to);
    if (!cdi_mirror_validity(who, nb, na, cdi_now(), "a snapshot signed by a CA outside its validity is refused", err))
        return CD_OK;
    char m[sizeof err->msg];
    snprintf(m, sizeof m, "%s", err->msg);
    return cdi_fail(err, CD_E_CRYPTO, "%s", m);
}

/* Trust on first use of the snapshot's own signer, through o->trust. */
static int first_use(struct run *r, const struct cdi_mindex *ix, int from_cache, struct cd_err *err)
{
    char *subject = NULL;
    struct cdi_buf b = { 0 };
    int rc;
    if ((rc = signer_file(r, ix, from_cache, &b, err))) goto out;
    if ((rc = cdi_mirror_ca_id((const char *)b.p, b.len, r->fp, &subject, err))) goto out;
    if (strcasecmp(r->fp, ix->signer_sha256)) {
        rc = cdi_fail(err, CD_E_CORRUPT, "mirror %s: the signer's certificate is not the one the index names", r->w);
        goto out;
    }
    if ((rc = signer_valid(r, (const char *)b.p, b.len, subject, err))) goto out;
    if (!r->o->trust) {
        rc = cdi_fail(err, CD_E_CRYPTO, "mirror %s: its signer is not known yet: %s (SHA-256 %s); give that CA's "
                      "certificate with --signer-ca F, or open the mirror once on a terminal to be asked", r->w,
                      subject, r->fp);
        goto out;
    }
    if (!r->o->trust(r->o->trust_ctx, cdi_mfetch_source(r->f), subject, r->fp)) {
        rc = cdi_fail(err, CD_E_CRYPTO, "mirror %s: its signer %s (SHA-256 %s) was not trusted", r->w, subject, r->fp);
        goto out;
    }
    r->remember = 1;
    take_pem(r, &b);
out:
    cdi_buf_free(&b);
    free(subject);
    return rc;
}

static int check_sig(struct run *r, const struct cdi_buf *idx, const struct cdi_buf *sig, struct cd_err *err)
{
    int rc = cdi_mirror_sig_check(r->pem, r->pemlen, idx->p, idx->len, sig->p, sig->len, err);
    if (!rc) return CD_OK;
    if (r->remember) return wrap(err, rc, r->w, NULL);
    /* a signer known beforehand: say which */
    if (r->o->signer_ca) return wrap(err, rc, r->w, "--signer-ca");
    char m[sizeof err->msg];
    snprintf(m, sizeof m, "%s", err->msg);
    return cdi_fail(err, rc, "mirror %s: %s; that CA is the one remembered for this mirror (%s): if the mirror's "
                    "signer has CHANGED and that is expected, remove that file (or give --signer-ca)", r->w, m, r->known);
}

/* The index `name` (idx, its signature sig) verified, into ix: with a
 * signer known beforehand, its signature over the raw bytes first, then
 * it is parsed; on first use it must be parsed first (it names its
 * signer).  parsed: ix holds it already (the cache's, read from a folder
 * of ours). */
int cdi_msync_verify_index(struct run *r, const char *name, const struct cdi_buf *idx, const struct cdi_buf *sig,
                        struct cdi_mindex *ix, int parsed, int from_cache, struct cd_err *err)
{
    int rc = known_signer(r, err), known = r->pem != NULL;
    if (rc) return rc;
    if (known && (rc = check_sig(r, idx, sig, err))) return rc;
    if (!parsed && (rc = cdi_mindex_parse((const char *)idx->p, idx->len, ix, err))) return wrap(err, rc, r->w, name);
    if (known) {
        if (strcasecmp(r->fp, ix->signer_sha256))
            return cdi_fail(err, CD_E_CORRUPT, "mirror %s: %s names the signer %s (SHA-256 %s), but the CA that signed "
                            "it is another (SHA-256 %s)", r->w, name, ix->signer_subject, ix->signer_sha256, r->fp);
        return signer_valid(r, r->pem, r->pemlen, ix->signer_subject, err);
    }
    if ((rc = first_use(r, ix, from_cache, err))) return rc;
    return check_sig(r, idx, sig, err);
}

/* Remembered once a snapshot it signed has been verified. */
int cdi_msync_remember(struct run *r, struct cd_err *err)
{
    if (!r->remember) return CD_OK;
    char *d = strdup(r->known), *slash = d ? strrchr(d, '/') : NULL;
    if (!slash) { free(d); return oom(err); }
    *slash = 0;
    int rc = cdi_own_dirs(d, r->known_base, "the signers it trusts", "XDG_CONFIG_HOME", err);
    if (!rc) rc = cd_write_file(NULL, r->known, r->pem, r->pemlen, 0, err);
    free(d);
    if (!rc) r->remember = 0;
    return rc;
}

