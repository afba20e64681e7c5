/* certdeck core — PKCS#10 requests with GnuTLS: made for a key kept here
 * (APN/ABM, signed by Apple), and read from outside (cd_cert_sign).
 *
 * As in pki.c, names are written attribute by attribute, never through a
 * DN string; a request's subject is read the same way, attribute by
 * attribute, and only the attributes certdeck itself writes are taken. */
#include <stdlib.h>
#include <string.h>
#include "csr_int.h"

#define GT(call, what) do { int gt_ = (call); if (gt_ < 0) { \
    rc = cdi_fail(err, CD_E_CRYPTO, "%s: %s", what, gnutls_strerror(gt_)); goto out; } } while (0)

/* The attributes of a name, in the order pki.c writes them. */
static const char *const NAME_OID[6] = {
    GNUTLS_OID_X520_COUNTRY_NAME, GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, GNUTLS_OID_X520_LOCALITY_NAME,
    GNUTLS_OID_X520_ORGANIZATION_NAME, GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, GNUTLS_OID_X520_COMMON_NAME,
};

static const char **name_slot(struct cd_subject *s, size_t i)
{
    const char **slot[6] = { &s->c, &s->st, &s->l, &s->o, &s->ou, &s->cn };
    return slot[i];
}

int cdi_csr_make(gnutls_x509_privkey_t key, const struct cd_subject *sub, gnutls_datum_t *der, char **dn,
                 struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crq_t crq = NULL;
    gnutls_datum_t d = { 0 };
    struct cd_subject s = *sub;
    GT(gnutls_x509_crq_init(&crq), "request");
    GT(gnutls_x509_crq_set_version(crq, 1), "request version");
    for (size_t i = 0; i < 6; i++) {
        const char *v = *name_slot(&s, i);
        if (!v || !*v) continue;
        GT(gnutls_x509_crq_set_dn_by_oid(crq, NAME_OID[i], 0, v, (unsigned)strlen(v)), "subject name");
    }
    GT(gnutls_x509_crq_set_key(crq, key), "request key");
    gnutls_digest_algorithm_t dig = gnutls_x509_privkey_get_pk_algorithm(key) == GNUTLS_PK_EDDSA_ED25519
                                  ? GNUTLS_DIG_UNKNOWN : GNUTLS_DIG_SHA256;
    GT(gnutls_x509_crq_sign2(crq, key, dig, 0), "signing the request");
    GT(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, der), "request export");
    GT(gnutls_x509_crq_get_dn3(crq, &d, 0), "subject");
    if (!(*dn = strndup((char *)d.data, d.size))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    gnutls_free(d.data);
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}

/* A request's own signature proves that its author holds the key only if
 * the hash cannot be collided (SHA-1, MD5: it can) and the key is a key:
 * an RSA exponent of 1 "signs" by leaving the padded hash as it is, so
 * anyone can sign for it and GnuTLS's check passes.  Odd exponents from 3
 * up to 2^256 - 1 (CA/Browser Forum baseline requirements 6.1.6), an odd
 * modulus. */
static int csr_proof_sound(gnutls_x509_crq_t crq, struct cd_err *err)
{
    int rc = CD_OK;
    int sa = gnutls_x509_crq_get_signature_algorithm(crq);
    if (sa <= 0)
        return cdi_fail(err, CD_E_INVAL, "the request is signed with an algorithm certdeck does not know");
    if (!gnutls_sign_is_secure2((gnutls_sign_algorithm_t)sa, GNUTLS_SIGN_FLAG_SECURE_FOR_CERTS)) {
        const char *name = gnutls_sign_get_name((gnutls_sign_algorithm_t)sa);
        return cdi_fail(err, CD_E_INVAL, "the request is signed with %s, whose hash is broken (a signature over it "
                        "proves nothing): make the request again with SHA-256", name ? name : "a weak algorithm");
    }
    if (gnutls_x509_crq_get_pk_algorithm(crq, NULL) != GNUTLS_PK_RSA) return CD_OK;
    gnutls_datum_t m = { 0 }, e = { 0 };
    GT(gnutls_x509_crq_get_key_rsa_raw(crq, &m, &e), "the request's RSA key");
    size_t i = 0;
    while (i < e.size && !e.data[i]) i++;               /* leading zero octets */
    size_t n = e.size - i;
    if (!n || !(e.data[e.size - 1] & 1) || (n == 1 && e.data[i] < 3) || n > 32)
        rc = cdi_fail(err, CD_E_INVAL, "the request's RSA key has an unsound public exponent (it must be odd, at "
                      "least 3; 65537 is usual): its owner's signatures could be made by anyone");
    else if (!m.size || !(m.data[m.size - 1] & 1))
        rc = cdi_fail(err, CD_E_INVAL, "the request's RSA key has an even modulus: it is not an RSA key");
out:
    gnutls_free(m.data);
    gnutls_free(e.data);
    return rc;
}

/* How many PEM blocks data holds. */
static size_t pem_blocks(const void *data, size_t len)
{
    size_t n = 0;
    const char *p = data, *end = p + len;
    while (p < end && (p = memmem(p, (size_t)(end - p), "-----BEGIN", 10))) { n++; p += 10; }
    return n;
}

int cdi_csr_load(const void *data, size_t len, gnutls_x509_crq_t *out, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crq_t crq = NULL;
    *out = NULL;
    if (len > 1 << 20) return cdi_fail(err, CD_E_INVAL, "the certificate request is larger than 1 MiB");
    size_t blocks = pem_blocks(data, len);
    if (blocks > 1)
        return cdi_fail(err, CD_E_INVAL, "the file holds more than one PEM block (%zu): give the one request to "
                        "sign alone", blocks);
    GT(gnutls_x509_crq_init(&crq), "request");
    gnutls_datum_t d = { (unsigned char *)(uintptr_t)data, (unsigned)len };
    int fmt = blocks ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
    if (gnutls_x509_crq_import(crq, &d, fmt) < 0) {
        rc = cdi_fail(err, CD_E_INVAL, "not a PKCS#10 certificate request (PEM \"CERTIFICATE REQUEST\" or DER)");
        goto out;
    }
    if ((rc = csr_proof_sound(crq, err))) goto out;
    if (gnutls_x509_crq_verify(crq, 0) < 0) {
        rc = cdi_fail(err, CD_E_INVAL, "the request's signature does not check out: it was not signed by the key "
                      "it asks a certificate for");
        goto out;
    }
    *out = crq;
    crq = NULL;
out:
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}

void cdi_csr_subject_clear(struct cdi_csr_subject *h)
{
    for (size_t i = 0; i < 6; i++) free(h->v[i]);
    memset(h, 0, sizeof *h);
}

/* One DER header at p (n bytes): *hl gets its length; returns the content
 * length, or (size_t)-1 when it does not fit in n. */
static size_t der_len(const unsigned char *p, size_t n, size_t *hl)
{
    if (n < 2) return (size_t)-1;
    size_t l = p[1], k = l & 0x7f;
    *hl = 2;
    if (l & 0x80) {
        if (k < 1 || k > 3 || n < 2 + k) return (size_t)-1;
        l = 0;
        for (size_t i = 0; i < k; i++) l = l << 8 | p[2 + i];
        *hl = 2 + k;
    }
    return l <= n - *hl ? l : (size_t)-1;
}

/* The subject Name of a request, as a GnuTLS DN: CertificationRequest ::=
 * SEQUENCE { SEQUENCE { version INTEGER, subject Name, ... }, ... }.  GnuTLS
 * has no call for a request's subject as a DN, and its string forms hide
 * how the name is built (several attributes in one RDN) and turn a value it
 * cannot decode into "#hex", which would then be issued as the name. */
static int crq_subject_dn(gnutls_x509_crq_t crq, gnutls_x509_dn_t *dn, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_datum_t der = { 0 };
    GT(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der), "request");
    const unsigned char *p = der.data;
    size_t n = der.size, hl = 0, l = der_len(p, n, &hl);
    for (int step = 0; l != (size_t)-1 && step < 3; step++) {
        if (step < 2) { p += hl; n = l; }              /* into the request, then into its info */
        else { p += hl + l; n -= hl + l; }             /* past the version */
        l = der_len(p, n, &hl);
    }
    if (l == (size_t)-1 || p[0] != 0x30) {
        rc = cdi_fail(err, CD_E_INVAL, "the request's subject cannot be read");
        goto out;
    }
    gnutls_datum_t name = { (unsigned char *)(uintptr_t)p, (unsigned)(hl + l) };
    GT(gnutls_x509_dn_init(dn), "subject");
    if (gnutls_x509_dn_import(*dn, &name) < 0) rc = cdi_fail(err, CD_E_INVAL, "the request's subject cannot be read");
out:
    gnutls_free(der.data);
    return rc;
}

/* An attribute's value as UTF-8 (*out, malloc'd), exactly as the request
 * spells it.  The string types certdeck reads: UTF8String (its bytes,
 * checked as UTF-8 with the rest of the subject), PrintableString and
 * IA5String (ASCII), TeletexString when ASCII (its other bytes have no one
 * meaning) and BMPString (UCS-2, decoded here). */
static int ava_string(const gnutls_x509_ava_st *a, const char *what, char **out, struct cd_err *err)
{
    const unsigned char *v = a->value.data;
    size_t n = a->value.size;
    unsigned long tag = a->value_tag;
    *out = NULL;
    if (tag == 12 || tag == 19 || tag == 22 || tag == 20) {
        if (memchr(v, 0, n)) return cdi_fail(err, CD_E_INVAL, "the request's subject holds a NUL byte");
        for (size_t i = 0; tag != 12 && i < n; i++)
            if (v[i] > 0x7f)
                return cdi_fail(err, CD_E_INVAL, "the request's %s is a %s with bytes beyond ASCII: make the request "
                                "with UTF8String (OpenSSL's default, string_mask = utf8only)", what,
                                tag == 20 ? "TeletexString" : tag == 19 ? "PrintableString" : "IA5String");
        return (*out = strndup((const char *)v, n)) ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    if (tag != 30)
        return cdi_fail(err, CD_E_INVAL, "the request's %s is not a string certdeck reads (ASN.1 tag %lu; "
                        "UTF8String, PrintableString, IA5String or BMPString)", what, tag);
    char *s = malloc(n / 2 * 3 + 1), *o = s;
    if (!s) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int bad = n % 2;
    for (size_t i = 0; !bad && i < n; i += 2) {
        unsigned c = (unsigned)v[i] << 8 | v[i + 1];
        bad = !c || (c >= 0xd800 && c <= 0xdfff);
        if (c < 0x80) *o++ = (char)c;
        else if (c < 0x800) { *o++ = (char)(0xc0 | c >> 6); *o++ = (char)(0x80 | (c & 0x3f)); }
        else { *o++ = (char)(0xe0 | c >> 12); *o++ = (char)(0x80 | (c >> 6 & 0x3f)); *o++ = (char)(0x80 | (c & 0x3f)); }
    }
    if (bad) {
        free(s);
        return cdi_fail(err, CD_E_INVAL, "the request's %s is a BMPString that is not UCS-2 text (a NUL, half a "
                        "surrogate pair or an odd length)", what);
    }
    *o = 0;
    *out = s;
    return CD_OK;
}

static const char *const NAME_WHAT[6] = { "country (C)", "state or province (ST)", "locality (L)",
                                          "organization (O)", "organizational unit (OU)", "common name (CN)" };

int cdi_csr_subject(gnutls_x509_crq_t crq, struct cdi_csr_subject *h, struct cd_err *err)
{
    memset(h, 0, sizeof *h);
    gnutls_x509_dn_t dn = NULL;
    int rc = crq_subject_dn(crq, &dn, err);
    for (int r = 0; !rc; r++) {
        gnutls_x509_ava_st a;
        if (gnutls_x509_dn_get_rdn_ava(dn, r, 0, &a) < 0) break;      /* past the last RDN */
        gnutls_x509_ava_st more;
        if (gnutls_x509_dn_get_rdn_ava(dn, r, 1, &more) >= 0) {
            rc = cdi_fail(err, CD_E_INVAL, "the request's subject has several attributes in one RDN (as in "
                          "CN=a+O=b): certdeck issues one attribute per RDN");
            break;
        }
        char oid[128] = "";
        if (a.oid.size) snprintf(oid, sizeof oid, "%.*s", (int)a.oid.size, (const char *)a.oid.data);
        size_t i = 0;
        while (i < 6 && strcmp(oid, NAME_OID[i])) i++;
        if (i == 6) {
            rc = cdi_fail(err, CD_E_INVAL, "the request's subject has an attribute certdeck does not issue "
                          "(OID %.60s): only C, ST, L, O, OU and CN", oid);
            break;
        }
        if (h->v[i]) {
            rc = cdi_fail(err, CD_E_INVAL, "the request's subject gives an attribute twice (OID %.60s)", oid);
            break;
        }
        if ((rc = ava_string(&a, NAME_WHAT[i], &h->v[i], err))) break;
        *name_slot(&h->sub, i) = h->v[i];
    }
    if (!rc && !h->sub.cn) rc = cdi_fail(err, CD_E_INVAL, "the request's subject has no common name (CN)");
    if (dn) gnutls_x509_dn_deinit(dn);
    if (rc) cdi_csr_subject_clear(h);
    return rc;
}

int cdi_pending_fp(gnutls_x509_privkey_t key, char out[CDI_PENDING_FP_LEN + 1], struct cd_err *err)
{
    int rc = CD_OK;
    unsigned char kid[32];
    size_t sz = sizeof kid;
    GT(gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, kid, &sz), "key id");
    memcpy(out, "pending-", 8);
    cdi_hex(kid, sz, out + 8);
out:
    return rc;
}

int cdi_crt_has_key(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key)
{
    unsigned char a[32], b[32];
    size_t na = sizeof a, nb = sizeof b;
    if (gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, a, &na) < 0) return 0;
    if (gnutls_x509_privkey_get_key_id(key, GNUTLS_KEYID_USE_SHA256, b, &nb) < 0) return 0;
    return na == nb && !memcmp(a, b, na);
}

static int crq_from_der(const unsigned char *der, size_t len, gnutls_x509_crq_t *crq, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_datum_t d = { (unsigned char *)(uintptr_t)der, (unsigned)len };
    GT(gnutls_x509_crq_init(crq), "request");
    if (gnutls_x509_crq_import(*crq, &d, GNUTLS_X509_FMT_DER) < 0)
        rc = cdi_fail(err, CD_E_CORRUPT, "the stored request cannot be read");
out:
    return rc;
}

int cdi_csr_pem(const unsigned char *der, size_t len, char **pem, size_t *pemlen, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crq_t crq = NULL;
    gnutls_datum_t out = { 0 };
    if ((rc = crq_from_der(der, len, &crq, err))) goto out;
    GT(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_PEM, &out), "request export");
    if (!(*pem = strndup((char *)out.data, out.size))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if (pemlen) *pemlen = strlen(*pem);
out:
    gnutls_free(out.data);
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}

int cdi_csr_canon(const char *pem, size_t len, char **out, size_t *outlen, struct cd_err *err)
{
    gnutls_x509_crq_t crq = NULL;
    gnutls_datum_t der = { 0 };
    *out = NULL;
    int rc = cdi_csr_load(pem, len, &crq, err);
    if (!rc) GT(gnutls_x509_crq_export2(crq, GNUTLS_X509_FMT_DER, &der), "request export");
    if (!rc) rc = cdi_csr_pem(der.data, der.size, out, outlen, err);
out:
    gnutls_free(der.data);
    if (crq) gnutls_x509_crq_deinit(crq);
    return rc;
}

int cdi_csr_text(cd_store *s, const cd_user *u, int64_t id, char **text, struct cd_err *err)
{
    int rc = CD_OK;
    char *pem = NULL;
    size_t len = 0;
    gnutls_x509_crq_t crq = NULL;
    gnutls_datum_t out = { 0 };
    *text = NULL;
    if (!s->ops->cert_csr)
        return cdi_fail(err, CD_E_UNSUPPORTED, "%s stores do not support this", s->ops->name);
    if ((rc = s->ops->cert_csr(s, u, id, &pem, &len, err))) return rc;
    if ((rc = cdi_csr_load(pem, len, &crq, err))) goto out;
    GT(gnutls_x509_crq_print(crq, GNUTLS_CRT_PRINT_FULL, &out), "decoding the request");
    static const char head[] = "Pending: this request waits for the certificate Apple signs for it\n"
                               "(certdeck cert csr ID writes it; then certdeck cert import-signed ID FILE.pem)\n\n";
    if (!(*text = malloc(sizeof head + out.size))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(*text, head, sizeof head - 1);
    memcpy(*text + sizeof head - 1, out.data, out.size);
    (*text)[sizeof head - 1 + out.size] = 0;
out:
    gnutls_free(out.data);
    if (crq) gnutls_x509_crq_deinit(crq);
    free(pem);
    return rc;
}
