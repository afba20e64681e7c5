/* certdeck core — a mirror snapshot's index and its signature: the JSON
 * that lists every file of a snapshot with its size and SHA-256, read
 * strictly (a reader trusts nothing it has not checked), and the detached
 * signature over its exact bytes by a CA's key, which a shell script with
 * openssl checks too (doc/mirror.md).  Separate from the publisher and the
 * reader because both sides use it, alike. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include "json_int.h"
#include "mirror_int.h"
#include "pki_int.h"

void cdi_sha256_hex(const void *p, size_t n, char out[65])
{
    unsigned char h[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, p, n, h);
    cdi_hex(h, sizeof h, out);
}

int cdi_sha256_fd(int fd, char out[65], int64_t *size)
{
    gnutls_hash_hd_t h;
    unsigned char buf[1 << 16], d[32];
    if (gnutls_hash_init(&h, GNUTLS_DIG_SHA256) < 0) { errno = ENOMEM; return -1; }
    ssize_t r;
    *size = 0;
    while ((r = read(fd, buf, sizeof buf)) != 0) {
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) break;
        gnutls_hash(h, buf, (size_t)r);
        *size += r;
    }
    int e = r < 0 ? errno : 0;
    gnutls_hash_deinit(h, d);
    if (e) { errno = e; return -1; }
    cdi_hex(d, sizeof d, out);
    return 0;
}

/* "AB:CD:..." of 32 bytes (96 bytes with the NUL). */
static void colon_hex(const unsigned char *h, char out[96])
{
    static const char x[] = "0123456789ABCDEF";
    for (int i = 0; i < 32; i++) {
        out[i * 3] = x[h[i] >> 4];
        out[i * 3 + 1] = x[h[i] & 15];
        out[i * 3 + 2] = i == 31 ? 0 : ':';
    }
}

int cdi_mirror_sign_algo(int pk)
{
    switch (pk) {
    case GNUTLS_PK_RSA: return GNUTLS_SIGN_RSA_SHA256;
    case GNUTLS_PK_ECDSA: return GNUTLS_SIGN_ECDSA_SHA256;
    /* pure Ed25519: the message itself, no digest first (RFC 8032) */
    case GNUTLS_PK_EDDSA_ED25519: return GNUTLS_SIGN_EDDSA_ED25519;
    }
    return GNUTLS_SIGN_UNKNOWN;
}

/* ---- the index --------------------------------------------------------- */

static const char *const roles[] = { "store", "ca", "crl", "signer" };
static const char *const exts[] = { ".db", ".pem", ".crl", ".pem" };

static int role_index(const char *r)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) if (!strcmp(r, roles[i])) return (int)i;
    return -1;
}

char *cdi_mindex_dump(const struct cdi_mindex *ix, size_t *len)
{
    char when[32];
    time_t t = (time_t)ix->published;
    struct tm tm;
    *len = 0;
    if (!gmtime_r(&t, &tm) || !strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm)) return NULL;
    json_t *files = json_array();
    json_t *signer = json_pack("{s:I}", "ca_id", (json_int_t)ix->signer_ca);
    json_t *j = json_pack("{s:s,s:I,s:s,s:I,s:I,s:I}", "format", CDI_MIRROR_FORMAT,
                          "generation", (json_int_t)ix->generation, "published", when,
                          "published_unix", (json_int_t)ix->published, "certificates", (json_int_t)ix->certs,
                          "cas", (json_int_t)ix->cas);
    char *out = NULL;
    if (!files || !j || !signer) goto out;
    /* set_new takes the value, also when it fails */
    if (json_object_set_new(signer, "subject", cdi_json_str(ix->signer_subject ? ix->signer_subject : ""))) goto out;
    if (json_object_set_new(signer, "sha256", json_string(ix->signer_sha256))) goto out;
    int bad = json_object_set_new(j, "signer", signer);
    signer = NULL;
    if (bad) goto out;
    for (size_t i = 0; i < ix->n; i++) {
        const struct cdi_mfile *f = &ix->files[i];
        json_t *o = json_pack("{s:s,s:s}", "name", f->name, "role", f->role);
        if (!o) goto out;
        if (f->ca_id) json_object_set_new(o, "ca_id", json_integer(f->ca_id));
        json_object_set_new(o, "size", json_integer(f->size));
        json_object_set_new(o, "sha256", json_string(f->sha256));
        if (json_array_append_new(files, o)) goto out;
    }
    int fb = json_object_set_new(j, "files", files);
    files = NULL;
    if (!fb) out = cdi_json_dump(j, len, 0);
out:
    json_decref(signer);
    json_decref(files);
    json_decref(j);
    return out;
}

/* One integer field of o (>= min). */
static int get_int(const json_t *o, const char *where, const char *k, int64_t min, int64_t *v, struct cd_err *err)
{
    json_t *x = json_object_get(o, k);
    if (!x) return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s has no \"%s\"", where, k);
    if (!json_is_integer(x) || json_integer_value(x) < min)
        return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s: \"%s\" is not an integer of at least "
                        "%lld", where, k, (long long)min);
    *v = json_integer_value(x);
    return CD_OK;
}

static int get_str(const json_t *o, const char *where, const char *k, const char **v, struct cd_err *err)
{
    json_t *x = json_object_get(o, k);
    if (!x) return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s has no \"%s\"", where, k);
    if (!json_is_string(x)) return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s: \"%s\" is not a "
                                            "string", where, k);
    *v = json_string_value(x);
    return CD_OK;
}

static int is_hex64(const char *s)
{
    for (int i = 0; i < 64; i++)
        if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'))) return 0;
    return 1;
}

/* "AB:CD:..." with 32 groups of two upper-case hex digits. */
static int is_colon_hex(const char *s)
{
    if (strlen(s) != 95) return 0;
    for (int i = 0; i < 95; i++) {
        char c = s[i];
        if (i % 3 == 2 ? c != ':' : !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'))) return 0;
    }
    return 1;
}

static int parse_file(const json_t *o, size_t i, struct cdi_mfile *f, struct cd_err *err)
{
    char where[32];
    snprintf(where, sizeof where, "files[%zu]", i);
    if (!json_is_object(o)) return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s is not an object", where);
    const char *name, *role, *sha;
    int rc = get_str(o, where, "name", &name, err);
    if (!rc) rc = get_str(o, where, "role", &role, err);
    if (!rc) rc = get_str(o, where, "sha256", &sha, err);
    if (!rc) rc = get_int(o, where, "size", 0, &f->size, err);
    if (rc) return rc;
    int r = role_index(role);
    if (r < 0) return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s: unknown role \"%.40s\"", where, role);
    if (strlen(sha) != 64 || !is_hex64(sha))
        return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s: \"sha256\" is not 64 lower-case hex "
                        "digits", where);
    /* exactly files/<the sha256>.<ext of the role>: no other path can come
     * out of a name, whatever a reader joins it to */
    size_t el = strlen(exts[r]);
    if (strlen(name) != 6 + 64 + el || strncmp(name, "files/", 6) || memcmp(name + 6, sha, 64) ||
        strcmp(name + 70, exts[r]))
        return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s: the name of a %s file must be "
                        "files/<its sha256>%s", where, role, exts[r]);
    json_t *ca = json_object_get(o, "ca_id");
    if (r == 1 || r == 2) {
        if ((rc = get_int(o, where, "ca_id", 1, &f->ca_id, err))) return rc;
    } else if (ca) {
        return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s: a %s file has no \"ca_id\"", where, role);
    }
    f->name = strdup(name);
    f->role = strdup(roles[r]);
    memcpy(f->sha256, sha, 65);
    return f->name && f->role ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
}

int cdi_mindex_parse(const char *text, size_t len, struct cdi_mindex *out, struct cd_err *err)
{
    json_t *j = NULL;
    struct cd_err je = { 0 };
    memset(out, 0, sizeof *out);
    if (len > CDI_MIRROR_INDEX_MAX)
        return cdi_fail(err, CD_E_CORRUPT, "the mirror index is %zu bytes; an index has at most %u", len,
                        CDI_MIRROR_INDEX_MAX);
    int rc = cdi_json_parse(text, len, &j, &je);
    if (rc) return cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: %s", cd_errmsg(&je, rc));
    const char *fmt, *when, *subj, *sha;
    int64_t t;
    if ((rc = get_str(j, "the index", "format", &fmt, err))) goto out;
    if (strcmp(fmt, CDI_MIRROR_FORMAT)) {
        rc = cdi_fail(err, CD_E_CORRUPT, "the mirror index is of format \"%.40s\"; this certdeck reads \"%s\"", fmt,
                      CDI_MIRROR_FORMAT);
        goto out;
    }
    if ((rc = get_int(j, "the index", "generation", 1, &out->generation, err))) goto out;
    if ((rc = get_int(j, "the index", "published_unix", 0, &out->published, err))) goto out;
    if ((rc = get_str(j, "the index", "published", &when, err))) goto out;
    if (cdi_parse_date(when, &t) || t != out->published) {
        rc = cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: \"published\" does not say published_unix");
        goto out;
    }
    if ((rc = get_int(j, "the index", "certificates", 0, &out->certs, err))) goto out;
    if ((rc = get_int(j, "the index", "cas", 0, &out->cas, err))) goto out;
    json_t *sg = json_object_get(j, "signer"), *files = json_object_get(j, "files");
    if (!json_is_object(sg)) {
        rc = cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: no \"signer\" object");
        goto out;
    }
    if ((rc = get_int(sg, "signer", "ca_id", 1, &out->signer_ca, err))) goto out;
    if ((rc = get_str(sg, "signer", "subject", &subj, err))) goto out;
    if ((rc = get_str(sg, "signer", "sha256", &sha, err))) goto out;
    if (!is_colon_hex(sha)) {
        rc = cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: signer: \"sha256\" is not AB:CD:... (32 bytes)");
        goto out;
    }
    memcpy(out->signer_sha256, sha, 96);
    if (!(out->signer_subject = strdup(subj))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if (!json_is_array(files)) {
        rc = cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: no \"files\" array");
        goto out;
    }
    size_t n = json_array_size(files);
    if (n && !(out->files = calloc(n, sizeof *out->files))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    int stores = 0, signers = 0;
    for (size_t i = 0; i < n; i++) {
        if ((rc = parse_file(json_array_get(files, i), i, &out->files[i], err))) goto out;
        out->n = i + 1;
        stores += !strcmp(out->files[i].role, "store");
        signers += !strcmp(out->files[i].role, "signer");
    }
    if (stores != 1 || signers != 1)
        rc = cdi_fail(err, CD_E_CORRUPT, "the mirror index is malformed: it lists %d store files and %d signer "
                      "files (one of each)", stores, signers);
out:
    json_decref(j);
    if (rc) cdi_mindex_clear(out);
    return rc;
}

void cdi_mindex_clear(struct cdi_mindex *ix)
{
    if (!ix) return;
    for (size_t i = 0; i < ix->n; i++) { free(ix->files[i].name); free(ix->files[i].role); }
    free(ix->files);
    free(ix->signer_subject);
    memset(ix, 0, sizeof *ix);
}

const struct cdi_mfile *cdi_mindex_find(const struct cdi_mindex *ix, const char *role)
{
    for (size_t i = 0; ix && i < ix->n; i++)
        if (!strcmp(ix->files[i].role, role)) return &ix->files[i];
    return NULL;
}

/* ---- the signature ----------------------------------------------------- */

int cdi_mirror_ca_id(const char *ca_pem, size_t ca_len, char sha256[96], char **subject, struct cd_err *err)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t dn = { 0 };
    unsigned char h[32];
    size_t hl = sizeof h;
    *subject = NULL;
    sha256[0] = 0;
    int rc = cdi_crt_load(ca_pem, ca_len, &crt, err);
    if (rc) return rc;
    if (gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, h, &hl) < 0 || hl != 32 ||
        gnutls_x509_crt_get_dn3(crt, &dn, 0) < 0) {
        rc = cdi_fail(err, CD_E_CRYPTO, "cannot read the CA certificate's fingerprint and subject");
        goto out;
    }
    colon_hex(h, sha256);
    if (!(*subject = strndup((const char *)dn.data, dn.size))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

int cdi_mirror_validity(const char *who, int64_t nb, int64_t na, int64_t now, const char *tail, struct cd_err *err)
{
    char when[32];
    if (now >= nb && now <= na) return CD_OK;
    cdi_fmt_time(now > na ? na : nb, when, sizeof when);
    return cdi_fail(err, CD_E_STATE, "%s %s %s UTC; %s", who, now > na ? "expired on" : "is not valid before", when,
                    tail);
}

int cdi_mirror_ca_times(const char *ca_pem, size_t ca_len, int64_t *nb, int64_t *na, struct cd_err *err)
{
    gnutls_x509_crt_t crt = NULL;
    int rc = cdi_crt_load(ca_pem, ca_len, &crt, err);
    if (rc) return rc;
    *nb = (int64_t)gnutls_x509_crt_get_activation_time(crt);
    *na = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
    gnutls_x509_crt_deinit(crt);
    if (*nb == -1 || *na == -1) return cdi_fail(err, CD_E_CRYPTO, "cannot read the CA certificate's validity");
    return CD_OK;
}

int cdi_mirror_sig_check(const char *ca_pem, size_t ca_len, const void *data, size_t len, const void *sig,
                         size_t siglen, struct cd_err *err)
{
    gnutls_x509_crt_t crt = NULL;
    gnutls_pubkey_t pub = NULL;
    char fp[96], *subject = NULL;
    int rc = cdi_mirror_ca_id(ca_pem, ca_len, fp, &subject, err);
    if (!rc) rc = cdi_crt_load(ca_pem, ca_len, &crt, err);
    if (rc) goto out;
    if (gnutls_pubkey_init(&pub) < 0 || gnutls_pubkey_import_x509(pub, crt, 0) < 0) {
        rc = cdi_fail(err, CD_E_CRYPTO, "cannot read the public key of the CA %s", subject);
        goto out;
    }
    int algo = cdi_mirror_sign_algo(gnutls_pubkey_get_pk_algorithm(pub, NULL));
    if (algo == GNUTLS_SIGN_UNKNOWN) {
        rc = cdi_fail(err, CD_E_CRYPTO, "the CA %s has a key of a kind that does not sign mirror indexes", subject);
        goto out;
    }
    gnutls_datum_t d = { (unsigned char *)data, (unsigned)len }, s = { (unsigned char *)sig, (unsigned)siglen };
    if (!siglen || gnutls_pubkey_verify_data2(pub, (gnutls_sign_algorithm_t)algo, 0, &d, &s) < 0)
        rc = cdi_fail(err, CD_E_CRYPTO, "the mirror index is not signed by the CA %s (SHA-256 %s): it was signed by "
                      "another CA, or changed after it was signed", subject, fp);
out:
    if (pub) gnutls_pubkey_deinit(pub);
    if (crt) gnutls_x509_crt_deinit(crt);
    free(subject);
    return rc;
}
