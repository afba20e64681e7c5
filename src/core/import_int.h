/* certdeck core — what an import hands its backend (cdi_ tier).
 *
 * import.c reads files (PEM, DER, PKCS#12, PKCS#8, an easy-rsa folder) and
 * parses them with GnuTLS, whatever the store; the backend's `import` op
 * (core_int.h) then writes the objects in one transaction, skipping what
 * is stored already (same fingerprint), and reports each. */
#ifndef CERTDECK_IMPORT_INT_H
#define CERTDECK_IMPORT_INT_H

#include "core_int.h"

/* Files an import reads are at most this big (an easy-rsa index.txt of a
 * very large PKI included). */
#define CDI_IMPORT_MAX (64u << 20)

struct cdi_import_obj {
    int            what;          /* CD_IMPORT_CA or CD_IMPORT_CERT (CD_IMPORT_KEY: a key alone;
                                   * CD_IMPORT_OTHER: nothing to write, only `why` to report) */
    unsigned char *der;           /* the certificate, DER (NULL for a key alone) */
    size_t         der_len;
    unsigned char *key;           /* its private key, plain PKCS#8 DER, or NULL; wiped by cdi_import_clear */
    size_t         key_len;
    int64_t        revoked_at;    /* 0: not revoked */
    int            reason;        /* RFC 5280 reason when revoked_at */
    char          *source;        /* where it came from (a file name), for the report */
    /* what import.c read from the certificate (none for a key alone) */
    char           fp[65];        /* SHA-256, hex */
    char           serial[41];    /* hex */
    char          *cn, *subject, *issuer;
    char          *host;          /* its SAN DNS names and addresses, "a, b"; "*" for none */
    char          *key_alg;       /* "EC P-256", ..., or GnuTLS's name of the algorithm and its size */
    int64_t        nb, na;
    /* the public key's SHA-256 key ID, hex: a key alone is matched by it */
    char           keyid[65];
    /* set: nothing is written for this object; it is reported as skipped
     * with this reason (a parse-time finding: a block of another kind, a
     * key of a type certdeck cannot handle, a missing file, ...) */
    char          *why;
    /* for an object with a certificate: why its key is missing, reported
     * as a skipped key beside the certificate (NULL: nothing to say) */
    char          *key_why;
};

struct cdi_import {
    size_t n;
    struct cdi_import_obj *rows;
    const char *group;            /* NULL: the user's home group */
    const char *description;      /* NULL: "Imported" */
};
void cdi_import_clear(struct cdi_import *im);

/* Appends a report row (name and why copied; NULL allowed) and counts it
 * as taken or skipped; CD_E_NOMEM when it cannot. */
int cdi_import_report_add(struct cd_import_report *rep, int what, int taken, int64_t id, const char *name,
                          const char *why, struct cd_err *err);

/* import.c: parses one file's bytes (PEM of any number of blocks, DER
 * certificate, PKCS#12, PKCS#8) into im, keys put with their certificates
 * (public key compare), source naming the file in reports.  A wrong or
 * missing passphrase is CD_E_PASSPHRASE and nothing is kept. */
int cdi_import_parse(struct cdi_import *im, const void *data, size_t len, const char *pass, const char *source,
                     struct cd_err *err);
/* A new object of im (zeroed), NULL when out of memory. */
struct cdi_import_obj *cdi_import_add(struct cdi_import *im);
/* Fills obj from a certificate (DER). */
int cdi_import_cert(struct cdi_import_obj *o, const unsigned char *der, size_t len, struct cd_err *err);
/* Reads a private key (PEM or DER, plain or encrypted, PKCS#8 or the
 * algorithm's own form) into plain PKCS#8 DER and its key ID (hex);
 * CD_E_PASSPHRASE when a passphrase is needed and pass does not open it,
 * CD_E_UNSUPPORTED for a key type certdeck cannot handle (alg says which). */
int cdi_import_key_read(const void *data, size_t len, int fmt_pem, const char *pass, unsigned char **der,
                        size_t *der_len, char keyid[65], char *alg, size_t algn, struct cd_err *err);
/* The object for a key alone, or the key put with the certificate it is
 * of among im's objects. */
int cdi_import_put_key(struct cdi_import *im, unsigned char *der, size_t len, const char *keyid,
                       const char *source, struct cd_err *err);

/* Hands im to the store's import op with o's group and description
 * (checked), filling rep; rep is emptied on failure. */
int cdi_import_run(cd_store *s, const cd_user *u, struct cdi_import *im, const struct cd_import_opts *o,
                   struct cd_import_report *rep, struct cd_err *err);

/* import_easyrsa.c: an easy-rsa 3 PKI folder into im (the CA first, its
 * key opened with o->passphrase or asked for with o->ask, unless u sees
 * the CA in s with its key already; certificates with their keys;
 * index.txt's revocations on them).  A folder that is not an easy-rsa PKI
 * is CD_E_INVAL, saying so. */
int cdi_import_easyrsa_parse(cd_store *s, const cd_user *u, struct cdi_import *im, const char *dir,
                             const struct cd_import_opts *o, struct cd_err *err);

#endif
