/* certdeck — the certificate lifecycle: renew and replace, CA rollover,
 * certificates signed elsewhere (APN/ABM requests to Apple), external CSRs
 * signed here, and imports of an existing PKI (files, easy-rsa 3).
 *
 * Like every mutation (certdeck/store.h), each call checks the acting
 * user's rights and writes its change and its audit records in one
 * transaction; slow work (keys, signatures, parsing) happens before it.
 * Strings in returned reports are exact (possibly hostile): sanitise them
 * before they reach a terminal. */
#ifndef CERTDECK_LIFECYCLE_H
#define CERTDECK_LIFECYCLE_H

#include <stddef.h>
#include <stdint.h>
#include <certdeck/error.h>
#include <certdeck/store.h>

/* ---- renew and replace ------------------------------------------------- */

/* A renewal is a new certificate with the old one's product, host,
 * subject, tags, access group and description, linked to it.  The subject
 * carried over is the old one's CN, O, OU, L, ST and C (the first value
 * of each, written in pki.c's order C, ST, L, O, OU, CN); other attributes
 * (emailAddress, serialNumber, DC, a second OU ...) are not.  The new
 * row's `replaces` is the old one's ID, the old row's `replaced_by` the
 * newest renewal (struct cd_cert; filter replaced:yes|no).  The old
 * certificate stays valid until someone revokes it (reason superseded). */
struct cd_renew_params {
    int64_t     ca_id;            /* 0: each certificate's own CA */
    const char *ca_passphrase;    /* when that CA's key has one */
    int         same_key;         /* 1: keep the old key pair; 0: a new one of the same type */
    int         days;             /* 0: the old certificate's lifetime (valid to - valid from) */
};

/* Renews n certificates in one transaction (all or nothing), keys made
 * before it on every core; progress as cd_cert_new.  new_ids (may be NULL)
 * gets n IDs in the order of ids.  Refused: a revoked or pending
 * certificate, one already replaced (renew its successor), an APN/ABM
 * certificate (they are renewed with cd_cert_request, as Apple signs
 * them).  A certificate without a stored key (signed from a request: its
 * key is the client's) is renewed for the same public key whatever
 * same_key says, and its renewal keeps no key either (so is it in a CA
 * rollover). */
int cd_cert_renew(cd_store *s, const cd_user *u, const struct cd_renew_params *p, const int64_t *ids,
                  size_t n, cd_progress_fn progress, void *ctx, int64_t *new_ids, struct cd_err *err);

/* CA rollover: a successor CA (p: subject, key type, days, passphrase, group
 * and description; group NULL = the old CA's) and a renewal under it of
 * every valid (not revoked, not expired, not renewed) certificate of the
 * old CA, each keeping its lifetime, linked as cd_cert_renew links them;
 * all or nothing.  Keys and signatures are made with no write lock held
 * (progress then); one short transaction stores the CA and the renewals.
 * Refused (nothing changed): a renewal that would outlive the new CA
 * (CD_E_INVAL: how many, the first, the days the CA needs); a certificate
 * of the old CA revoked, renewed, issued or moved meanwhile (CD_E_STATE:
 * run it again).
 * The old CA stays, with `successor` set (struct cd_ca), until its
 * certificates are gone.  old_passphrase: not needed today (the old CA
 * signs nothing), kept for the CRL a caller may want next.
 * *reissued (may be NULL) gets the count of renewed certificates. */
int cd_ca_rollover(cd_store *s, const cd_user *u, int64_t old_ca, const struct cd_ca_params *p,
                   cd_progress_fn progress, void *ctx, int64_t *new_ca, size_t *reissued,
                   struct cd_err *err);

/* ---- certificates signed elsewhere (APN / ABM) ------------------------- */

/* 1 for products whose certificates a third party signs (Apple: apn, abm):
 * made by cd_cert_request, completed by cd_cert_import_signed, never
 * revoked here (refused, saying why), never issued by cd_cert_new. */
int cd_product_external(int product);

/* Makes a key (kept in the store, sealed like every peer key) and a
 * PKCS#10 request for it; the certificate is listed as pending (state
 * CD_STATE_PENDING) until cd_cert_import_signed.  p: product (apn or abm),
 * subject (cn mandatory), key type (0 = P-256; RSA 2048 is what Apple's
 * portal takes), group, description, tags; ca_id, host, validity ignored.
 * replaces: 0, or the APN/ABM certificate this request renews (the new row
 * is linked to it; complete, and not renewed already: CD_E_STATE).  *csr_pem (caller frees) is the request, PEM. */
int cd_cert_request(cd_store *s, const cd_user *u, const struct cd_cert_params *p, int64_t replaces,
                    int64_t *id, char **csr_pem, size_t *len, struct cd_err *err);
/* The request of a pending certificate again (PEM; caller frees). */
int cd_cert_csr(cd_store *s, const cd_user *u, int64_t id, char **csr_pem, size_t *len,
                struct cd_err *err);
/* Completes pending certificate id with the certificate the portal
 * returned (PEM or DER; with its chain in any order: the certificate taken
 * is the one for the pending key, the others are ignored).  CD_E_INVAL and
 * nothing changes when no certificate in the file is for the pending key,
 * when it is a CA certificate, or when it has expired already (the request
 * stays pending); CD_E_EXISTS when the store holds that certificate
 * already as another row; one not valid yet is taken and shows as not yet
 * valid. */
int cd_cert_import_signed(cd_store *s, const cd_user *u, int64_t id, const void *data, size_t len,
                          struct cd_err *err);

/* ---- external CSRs signed here ----------------------------------------- */

/* Signs a PKCS#10 request (PEM or DER) with CA p->ca_id: the request's
 * signature is checked (refused: SHA-1 or MD5, an RSA exponent that is
 * not odd and at least 3, a file of several PEM blocks); its subject is
 * kept, read attribute by attribute (one per RDN, C ST L O OU CN, strings
 * that decode exactly, else refused), its public key is certified;
 * requested extensions are not copied: the product decides key usage and
 * EKU, host (p->host, else none) the SAN.  No private key is stored:
 * exports offer the certificate and chain only.  Uses p's ca_id,
 * ca_passphrase, product, host, days / not_before / not_after, group,
 * description, tags; subject and keytype come from the request. */
int cd_cert_sign(cd_store *s, const cd_user *u, const struct cd_cert_params *p, const void *csr,
                 size_t len, int64_t *id, struct cd_err *err);

/* ---- imports of an existing PKI ---------------------------------------- */

/* What an import did with each thing it found. */
enum cd_import_what { CD_IMPORT_CA, CD_IMPORT_CERT, CD_IMPORT_KEY, CD_IMPORT_REVOCATION, CD_IMPORT_OTHER };
struct cd_import_item {
    int     what;          /* enum cd_import_what */
    int     taken;         /* 1: imported; 0: skipped (why says why) */
    int64_t id;            /* the CA or certificate it became or already is; 0: none */
    char   *name;          /* CN, or the file it came from (exact) */
    char   *why;           /* for a skip: "already in the store as cert 12", ... */
};
struct cd_import_report { size_t n; struct cd_import_item *rows; size_t taken, skipped; };
void cd_import_report_free(struct cd_import_report *r);

struct cd_import_opts {
    const char *passphrase;   /* the file's (PKCS#12, encrypted PKCS#8 or PEM key); NULL: none */
    const char *group;        /* NULL: the user's home group */
    const char *description;  /* NULL: "Imported" */
    /* easy-rsa: asked for the CA key's passphrase when it is encrypted and
     * passphrase does not open it: returns 0 and fills buf (NUL-ended), or
     * -1 to import the CA without its key.  NULL: never asked. */
    int       (*ask)(void *ctx, const char *prompt, char *buf, size_t n);
    void       *ask_ctx;
};

/* One file (PEM or DER): certificates (a chain), a PKCS#12 with its key,
 * or a PKCS#8 / PEM private key matching a certificate already stored.  CA
 * certificates (basicConstraints CA) become CAs (with their key when one
 * is given), others peer certificates (product custom, issuer linked when
 * it is a stored CA).  Anything already stored (same fingerprint) is
 * skipped and reported, so importing twice imports nothing twice.  One
 * transaction. */
int cd_import(cd_store *s, const cd_user *u, const void *data, size_t len, const struct cd_import_opts *o,
              struct cd_import_report *rep, struct cd_err *err);
/* An easy-rsa 3 PKI folder (the one holding ca.crt, private/, issued/,
 * index.txt): the CA with its key, every issued certificate with its key
 * where present, revocations from index.txt with their dates and reasons.
 * Idempotent like cd_import.  One transaction. */
int cd_import_easyrsa(cd_store *s, const cd_user *u, const char *dir, const struct cd_import_opts *o,
                      struct cd_import_report *rep, struct cd_err *err);

#endif
