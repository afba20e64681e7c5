/* certdeck core — PKI primitives over GnuTLS (cdi_ tier).
 *
 * Everything cryptographic happens in-process: an exec of certtool costs
 * ~17 ms against ~0.15 ms for an in-process P-256 keygen + issue, and bulk
 * issuance depends on that difference. */
#ifndef CERTDECK_PKI_INT_H
#define CERTDECK_PKI_INT_H

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <gnutls/abstract.h>
#include "core_int.h"

#define CDI_PBKDF2_ITER 600000
#define CDI_STORE_KEY_LEN 32

/* What issuing produced, ready to insert. */
struct cdi_issued {
    gnutls_datum_t der;        /* certificate */
    gnutls_datum_t key;        /* plain PKCS#8 DER (wipe!) or, when sealed, the sealed blob */
    char serial[41];           /* hex */
    char fp[65];               /* SHA-256 hex */
    char *subject;             /* RFC 4514 */
    char *issuer;
    int64_t nb, na;
    int keytype;
};

struct cdi_issue_req {
    const struct cd_subject *sub;
    int keytype;
    int64_t nb, na;
    int is_ca;
    int product;                      /* for EKUs; ignored for a CA */
    const char *host;                 /* SAN list; NULL / "*" = none */
    gnutls_x509_crt_t issuer;         /* NULL: self-signed */
    gnutls_x509_privkey_t issuer_key;
    /* The key pair to certify: key (an existing one, kept: a renewal with
     * the same key), else pubkey (a CSR's: out->key stays empty), else a
     * new one of keytype (out->key gets it).  With either, keytype is
     * taken from the key. */
    gnutls_x509_privkey_t key;
    gnutls_pubkey_t pubkey;
    gnutls_x509_crt_t subject_of;     /* NULL, or whose subject to carry over exactly (a renewal) */
};

/* Where the subject Name (its whole TLV) is in a certificate's DER; -1
 * when it is not where RFC 5280 puts it. */
int  cdi_der_subject(const unsigned char *der, size_t n, size_t *off, size_t *len);
int  cdi_pki_init(struct cd_err *err);
int  cdi_pki_issue(const struct cdi_issue_req *r, struct cdi_issued *out, struct cd_err *err);
void cdi_issued_clear(struct cdi_issued *o);
const char *cdi_keytype_label(int keytype);
/* A new key pair of enum cd_keytype. */
int  cdi_keygen(int keytype, gnutls_x509_privkey_t *out, struct cd_err *err);
/* enum cd_keytype of a GnuTLS algorithm and size; -1 when certdeck does not issue for it. */
int  cdi_keytype_of(int pk, unsigned bits);

/* A batch's template (pki.c): made from its first certificate `first`
 * (issued by cdi_pki_issue from r, key still plain PKCS#8), it issues the
 * others — same issuer, validity, extensions, subject but for the CN's
 * last 6 digits — without GnuTLS's certificate builder; GnuTLS still makes
 * each key and signature.  NULL when it does not apply (not a P-256 leaf,
 * no digits, a probe that did not check out): use cdi_pki_issue.  Uses
 * r->issuer_key, which must outlive it; one thread's own. */
struct cdi_tmpl;
struct cdi_tmpl *cdi_tmpl_new(const struct cdi_issue_req *r, const struct cdi_issued *first);
int  cdi_tmpl_fits(const struct cdi_tmpl *t, const char *cn);          /* 1: cdi_tmpl_issue may make it */
int  cdi_tmpl_issue(const struct cdi_tmpl *t, const char *cn, struct cdi_issued *out, struct cd_err *err);
void cdi_tmpl_free(struct cdi_tmpl *t);

/* Key storage. */
int  cdi_key_import_plain(const unsigned char *der, size_t len, gnutls_x509_privkey_t *out,
                          struct cd_err *err);
int  cdi_key_export_plain(gnutls_x509_privkey_t k, gnutls_datum_t *der, struct cd_err *err);
/* PKCS#8 PBES2-AES-256 (PBKDF2, GnuTLS's 600,000 iterations). fmt: GNUTLS_X509_FMT_*. */
int  cdi_key_export_pkcs8(gnutls_x509_privkey_t k, const char *pass, int fmt,
                          gnutls_datum_t *out, struct cd_err *err);
int  cdi_key_import_pkcs8(const unsigned char *der, size_t len, const char *pass,
                          gnutls_x509_privkey_t *out, struct cd_err *err);

/* AES-256-GCM under the store key: out = nonce(12) | ciphertext | tag(16). */
int  cdi_seal(const unsigned char *key, const void *aad, size_t aadlen, const unsigned char *in,
              size_t inlen, gnutls_datum_t *out, struct cd_err *err);
int  cdi_unseal(const unsigned char *key, const void *aad, size_t aadlen, const unsigned char *in,
                size_t inlen, gnutls_datum_t *out, struct cd_err *err);

/* The audit head's tag: HMAC-SHA256 over (last id, its hash, record count)
 * under a key derived from the store key with its own label, so the tag
 * cannot be made without the store key and the store key is never used
 * directly for two purposes.  out: 64 hex digits + NUL. */
int  cdi_audit_head_mac(const unsigned char *store_key, int64_t last_id, const char *hash, int64_t n,
                        char out[65], struct cd_err *err);

/* Passphrase verifier "pbkdf2-sha256$ITER$SALTHEX$HASHHEX" (caller frees). */
char *cdi_pass_hash(const char *pass, struct cd_err *err);
int   cdi_pass_check(const char *stored, const char *pass);   /* 1 = matches */

/* Parses a certificate (PEM or DER). */
int  cdi_crt_load(const void *data, size_t len, gnutls_x509_crt_t *out, struct cd_err *err);
/* Fills the descriptive fields of `o` (serial, fp, subject, issuer, dates). */
int  cdi_crt_describe(gnutls_x509_crt_t crt, struct cdi_issued *o, struct cd_err *err);

/* PKCS#12 of cert + key + CA chain, bags PBES2-AES-256, SHA-256 MAC. */
int  cdi_pki_pfx(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, gnutls_x509_crt_t ca,
                 const char *pass, const char *name, gnutls_datum_t *out, struct cd_err *err);

struct cdi_crl_entry { unsigned char serial[20]; size_t serial_len; int64_t when; int reason; };
int  cdi_pki_crl(gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key,
                 const struct cdi_crl_entry *e, size_t n, int64_t number, int64_t this_update,
                 int64_t next_update, gnutls_datum_t *der, struct cd_err *err);

int  cdi_hex_decode(const char *hex, unsigned char *out, size_t max, size_t *len);

#endif
