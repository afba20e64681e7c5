/* certdeck core — what an import hands its backend (cdi_ tier).
 *
 * import.c reads files (PEM, DER, PKCS#12, PKCS#8, an easy-rsa folder) and
 * parses them with GnuTLS, whatever the store; the backend's `import` op
 * (core_int.h) then writes the objects in one transaction, skipping what
 * is stored already (same fingerprint), and reports each. */
#ifndef CERTDECK_IMPORT_INT_H
#define CERTDECK_IMPORT_INT_H

#include "core_int.h"

struct cdi_import_obj {
    int            what;          /* CD_IMPORT_CA or CD_IMPORT_CERT (CD_IMPORT_KEY: a key alone) */
    unsigned char *der;           /* the certificate, DER (NULL for a key alone) */
    size_t         der_len;
    unsigned char *key;           /* its private key, plain PKCS#8 DER, or NULL; wiped by cdi_import_clear */
    size_t         key_len;
    int64_t        revoked_at;    /* 0: not revoked */
    int            reason;        /* RFC 5280 reason when revoked_at */
    char          *source;        /* where it came from (a file name), for the report */
};

struct cdi_import {
    size_t n;
    struct cdi_import_obj *rows;
    const char *group;            /* NULL: the user's home group */
    const char *description;      /* NULL: "Imported" */
};
void cdi_import_clear(struct cdi_import *im);

#endif
