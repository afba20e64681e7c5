/* certdeck core — PKCS#10 requests (pki_csr.c, cdi_ tier): the requests
 * certdeck makes for a third party to sign (APN/ABM: Apple), and the
 * external requests it signs (cd_cert_sign). */
#ifndef CERTDECK_CSR_INT_H
#define CERTDECK_CSR_INT_H

#include "pki_int.h"

/* A request for key, subject written attribute by attribute (never by DN
 * string), signed by key with SHA-256 (Ed25519: its own scheme).  der:
 * gnutls_free; dn (RFC 4514, for the row's subject): free. */
int  cdi_csr_make(gnutls_x509_privkey_t key, const struct cd_subject *sub, gnutls_datum_t *der, char **dn,
                  struct cd_err *err);
/* Parses a request (PEM or DER, one PEM block) and checks its signature:
 * a request not signed by the key it holds, signed with a broken hash
 * (SHA-1, MD5), or for an RSA key whose signatures anyone could make (an
 * exponent of 1, an even one) is CD_E_INVAL. */
int  cdi_csr_load(const void *data, size_t len, gnutls_x509_crq_t *out, struct cd_err *err);
/* The subject of a request as certdeck writes names: C, ST, L, O, OU, CN,
 * each at most once, one per RDN, each a string that decodes exactly
 * (UTF8String, PrintableString, IA5String, ASCII TeletexString, BMPString).
 * Anything else is refused (CD_E_INVAL) rather than dropped or rewritten:
 * what is issued is what was asked for, or nothing.  Strings in *h (free
 * with cdi_csr_subject_clear). */
struct cdi_csr_subject { struct cd_subject sub; char *v[6]; };
int  cdi_csr_subject(gnutls_x509_crq_t crq, struct cdi_csr_subject *h, struct cd_err *err);
void cdi_csr_subject_clear(struct cdi_csr_subject *h);
/* "pending-" and the SHA-256 key id of key, hex (73 bytes with the NUL):
 * a pending row's fingerprint, and the AAD its sealed key is bound to. */
#define CDI_PENDING_FP_LEN 72
int  cdi_pending_fp(gnutls_x509_privkey_t key, char out[CDI_PENDING_FP_LEN + 1], struct cd_err *err);
/* 1 when crt certifies key's public key, 0 when not. */
int  cdi_crt_has_key(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key);
/* PEM of a request's DER (NUL-ended; caller frees). */
int  cdi_csr_pem(const unsigned char *der, size_t len, char **pem, size_t *pemlen, struct cd_err *err);
/* A request that came from elsewhere (a server's answer) as GnuTLS writes
 * it again: checked as cdi_csr_load checks it, nothing of the text it came
 * in kept (*out: NUL-ended PEM, caller frees). */
int  cdi_csr_canon(const char *pem, size_t len, char **out, size_t *outlen, struct cd_err *err);
/* cd_cert_text of a pending certificate: what it is waiting for, then its
 * request in full (the backend's cert_csr). */
int  cdi_csr_text(cd_store *s, const cd_user *u, int64_t id, char **text, struct cd_err *err);

#endif
