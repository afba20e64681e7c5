/* certdeck core — CRLs, encoded by hand.
 *
 * Why not gnutls_x509_crl_*: GnuTLS cannot write a reasonCode entry
 * extension, and RFC 5280 CRLs should say why a certificate was revoked.  The
 * structure is small, so we write the DER of TBSCertList ourselves, let
 * GnuTLS sign it, and let OpenSSL and certtool judge the result in the
 * interop tests. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <gnutls/abstract.h>
#include "pki_int.h"

static void der_len(struct cdi_buf *b, size_t n)
{
    unsigned char l[5];
    if (n < 128) { l[0] = (unsigned char)n; cdi_buf_add(b, l, 1); return; }
    int k = n > 0xffffff ? 4 : n > 0xffff ? 3 : n > 0xff ? 2 : 1;
    l[0] = (unsigned char)(0x80 | k);
    for (int i = 0; i < k; i++) l[1 + i] = (unsigned char)(n >> (8 * (k - 1 - i)));
    cdi_buf_add(b, l, (size_t)k + 1);
}

/* Appends tag | length | content. */
static void tlv(struct cdi_buf *b, unsigned char tag, const void *p, size_t n)
{
    cdi_buf_add(b, &tag, 1);
    der_len(b, n);
    cdi_buf_add(b, p, n);
}

/* Wraps the whole of `in` as one TLV appended to `out`, then frees `in`. */
static void wrap(struct cdi_buf *out, unsigned char tag, struct cdi_buf *in)
{
    if (in->oom) out->oom = 1;
    tlv(out, tag, in->p ? in->p : (unsigned char *)"", in->len);
    cdi_buf_free(in);
}

static void der_uint(struct cdi_buf *b, const unsigned char *v, size_t n)
{
    while (n > 1 && v[0] == 0 && !(v[1] & 0x80)) { v++; n--; }
    unsigned char tmp[24];
    size_t k = 0;
    if (v[0] & 0x80) tmp[k++] = 0;
    memcpy(tmp + k, v, n);
    tlv(b, 0x02, tmp, n + k);
}

static void der_int64(struct cdi_buf *b, int64_t x)
{
    unsigned char v[8];
    for (int i = 0; i < 8; i++) v[i] = (unsigned char)((uint64_t)x >> (56 - 8 * i));
    der_uint(b, v, 8);
}

static void der_time(struct cdi_buf *b, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char s[20];
    gmtime_r(&tt, &tm);
    /* RFC 5280 5.1.2.4: UTCTime through 2049, GeneralizedTime after. */
    if (tm.tm_year + 1900 < 2050) {
        /* UTCTime carries two year digits by definition. */
        strftime(s, sizeof s, "%Y%m%d%H%M%SZ", &tm);
        tlv(b, 0x17, s + 2, strlen(s + 2));
    } else {
        strftime(s, sizeof s, "%Y%m%d%H%M%SZ", &tm);
        tlv(b, 0x18, s, strlen(s));
    }
}

/* extension: SEQUENCE { OID, OCTET STRING { value } } */
static void der_ext(struct cdi_buf *b, const unsigned char *oid, size_t oidlen, struct cdi_buf *val)
{
    struct cdi_buf e = { 0 };
    tlv(&e, 0x06, oid, oidlen);
    wrap(&e, 0x04, val);
    wrap(b, 0x30, &e);
}

static const unsigned char OID_REASON[] = { 0x55, 0x1d, 0x15 };
static const unsigned char OID_CRLNUM[] = { 0x55, 0x1d, 0x14 };
static const unsigned char OID_AKI[] = { 0x55, 0x1d, 0x23 };

int cdi_pki_crl(gnutls_x509_crt_t ca, gnutls_x509_privkey_t ca_key, const struct cdi_crl_entry *e,
                size_t n, int64_t number, int64_t this_update, int64_t next_update,
                gnutls_datum_t *der, struct cd_err *err)
{
    int rc = CD_OK;
    struct cdi_buf alg = { 0 }, tbs = { 0 }, all = { 0 };
    gnutls_privkey_t pk = NULL;
    gnutls_datum_t dn = { 0 }, sig = { 0 };
    gnutls_sign_algorithm_t salgo;
    static const unsigned char ecdsa_sha256[] = { 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
    static const unsigned char rsa_sha256[] = { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b };
    static const unsigned char ed25519[] = { 0x2b, 0x65, 0x70 };
    struct cdi_buf a = { 0 };
    switch (gnutls_x509_privkey_get_pk_algorithm(ca_key)) {
    case GNUTLS_PK_ECDSA: salgo = GNUTLS_SIGN_ECDSA_SHA256; tlv(&a, 0x06, ecdsa_sha256, sizeof ecdsa_sha256); break;
    case GNUTLS_PK_RSA: salgo = GNUTLS_SIGN_RSA_SHA256; tlv(&a, 0x06, rsa_sha256, sizeof rsa_sha256); tlv(&a, 0x05, "", 0); break;
    case GNUTLS_PK_EDDSA_ED25519: salgo = GNUTLS_SIGN_EDDSA_ED25519; tlv(&a, 0x06, ed25519, sizeof ed25519); break;
    default:
        cdi_buf_free(&a);
        return cdi_fail(err, CD_E_UNSUPPORTED, "this CA's key type cannot sign CRLs");
    }
    wrap(&alg, 0x30, &a);

    int gt = gnutls_x509_crt_get_raw_dn(ca, &dn);
    if (gt < 0) { rc = cdi_fail(err, CD_E_CRYPTO, "CA name: %s", gnutls_strerror(gt)); goto out; }

    tlv(&tbs, 0x02, "\x01", 1);                       /* version v2 */
    cdi_buf_add(&tbs, alg.p, alg.len);
    cdi_buf_add(&tbs, dn.data, dn.size);              /* issuer: the CA's subject, raw */
    der_time(&tbs, this_update);
    der_time(&tbs, next_update);
    if (n) {
        struct cdi_buf list = { 0 };
        for (size_t i = 0; i < n; i++) {
            struct cdi_buf ent = { 0 };
            der_uint(&ent, e[i].serial, e[i].serial_len);
            der_time(&ent, e[i].when);
            /* RFC 5280 5.3.1: reasonCode "unspecified" SHOULD be absent. */
            if (e[i].reason > 0) {
                struct cdi_buf v = { 0 }, exts = { 0 };
                unsigned char r = (unsigned char)e[i].reason;
                tlv(&v, 0x0a, &r, 1);
                der_ext(&exts, OID_REASON, sizeof OID_REASON, &v);
                wrap(&ent, 0x30, &exts);
            }
            wrap(&list, 0x30, &ent);
        }
        wrap(&tbs, 0x30, &list);
    }
    {
        struct cdi_buf exts = { 0 }, v = { 0 }, seq = { 0 };
        unsigned char kid[64];
        size_t kidsz = sizeof kid;
        unsigned crit;
        if (gnutls_x509_crt_get_subject_key_id(ca, kid, &kidsz, &crit) >= 0) {
            tlv(&seq, 0x80, kid, kidsz);              /* [0] keyIdentifier */
            wrap(&v, 0x30, &seq);
            der_ext(&exts, OID_AKI, sizeof OID_AKI, &v);
        }
        der_int64(&v, number);
        der_ext(&exts, OID_CRLNUM, sizeof OID_CRLNUM, &v);
        struct cdi_buf ctx = { 0 };
        wrap(&ctx, 0x30, &exts);
        wrap(&tbs, 0xa0, &ctx);                       /* [0] EXPLICIT crlExtensions */
    }
    struct cdi_buf tbsseq = { 0 };
    wrap(&tbsseq, 0x30, &tbs);
    if (tbsseq.oom || alg.oom) { cdi_buf_free(&tbsseq); rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }

    if ((gt = gnutls_privkey_init(&pk)) < 0 ||
        (gt = gnutls_privkey_import_x509(pk, ca_key, 0)) < 0) {
        cdi_buf_free(&tbsseq);
        rc = cdi_fail(err, CD_E_CRYPTO, "CA key: %s", gnutls_strerror(gt));
        goto out;
    }
    gnutls_datum_t td = { tbsseq.p, (unsigned)tbsseq.len };
    gt = gnutls_privkey_sign_data2(pk, salgo, 0, &td, &sig);
    if (gt < 0) { cdi_buf_free(&tbsseq); rc = cdi_fail(err, CD_E_CRYPTO, "CRL signing: %s", gnutls_strerror(gt)); goto out; }

    cdi_buf_add(&all, tbsseq.p, tbsseq.len);
    cdi_buf_free(&tbsseq);
    cdi_buf_add(&all, alg.p, alg.len);
    {
        struct cdi_buf bits = { 0 };
        cdi_buf_add(&bits, "", 1);                    /* 0 unused bits */
        cdi_buf_add(&bits, sig.data, sig.size);
        wrap(&all, 0x03, &bits);
    }
    {
        struct cdi_buf crl = { 0 };
        wrap(&crl, 0x30, &all);
        if (crl.oom) { cdi_buf_free(&crl); rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
        der->data = gnutls_malloc(crl.len);
        if (!der->data) { cdi_buf_free(&crl); rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
        memcpy(der->data, crl.p, crl.len);
        der->size = (unsigned)crl.len;
        cdi_buf_free(&crl);
    }
out:
    cdi_buf_free(&alg);
    cdi_buf_free(&all);
    gnutls_free(dn.data);
    gnutls_free(sig.data);
    if (pk) gnutls_privkey_deinit(pk);
    return rc;
}
