/* certdeck core — keys and certificates with GnuTLS.
 *
 * Names are written attribute by attribute with gnutls_x509_crt_set_dn_by_oid
 * and never through a DN string, so a hostile CN such as "x,CN=evil" is
 * stored as the single value it is instead of being parsed as syntax. */
#include <stdlib.h>
#include <string.h>
#include <gnutls/abstract.h>
#include <gnutls/pkcs12.h>
#include <gnutls/crypto.h>
#include "pki_int.h"

#define GT(call, what) do { int gt_ = (call); if (gt_ < 0) { \
    rc = cdi_fail(err, CD_E_CRYPTO, "%s: %s", what, gnutls_strerror(gt_)); goto out; } } while (0)

int cdi_pki_init(struct cd_err *err)
{
    int gt = gnutls_global_init();
    return gt < 0 ? cdi_fail(err, CD_E_CRYPTO, "GnuTLS: %s", gnutls_strerror(gt)) : CD_OK;
}

const char *cdi_keytype_label(int k)
{
    switch (k) {
    case CD_KEY_EC256: return "EC P-256";
    case CD_KEY_ED25519: return "Ed25519";
    case CD_KEY_RSA2048: return "RSA 2048";
    case CD_KEY_RSA3072: return "RSA 3072";
    case CD_KEY_RSA4096: return "RSA 4096";
    }
    return "?";
}

int cdi_keytype_of(int pk, unsigned bits)
{
    switch (pk) {
    case GNUTLS_PK_ECDSA: return bits == 256 ? CD_KEY_EC256 : -1;
    case GNUTLS_PK_EDDSA_ED25519: return CD_KEY_ED25519;
    case GNUTLS_PK_RSA:
        return bits == 2048 ? CD_KEY_RSA2048 : bits == 3072 ? CD_KEY_RSA3072 : bits == 4096 ? CD_KEY_RSA4096 : -1;
    }
    return -1;
}

static int keygen(int keytype, gnutls_x509_privkey_t *out, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_pk_algorithm_t pk = GNUTLS_PK_RSA;
    unsigned bits = 2048;
    switch (keytype) {
    case CD_KEY_EC256: pk = GNUTLS_PK_ECDSA; bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1); break;
    case CD_KEY_ED25519: pk = GNUTLS_PK_EDDSA_ED25519; bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_ED25519); break;
    case CD_KEY_RSA3072: bits = 3072; break;
    case CD_KEY_RSA4096: bits = 4096; break;
    default: break;
    }
    gnutls_x509_privkey_t k = NULL;
    GT(gnutls_x509_privkey_init(&k), "key");
    GT(gnutls_x509_privkey_generate2(k, pk, bits, 0, NULL, 0), "key generation");
    *out = k;
    k = NULL;
out:
    if (k) gnutls_x509_privkey_deinit(k);
    return rc;
}

int cdi_keygen(int keytype, gnutls_x509_privkey_t *out, struct cd_err *err)
{
    return keygen(keytype, out, err);
}

static int set_name(gnutls_x509_crt_t crt, const struct cd_subject *s, struct cd_err *err)
{
    int rc = CD_OK;
    struct { const char *oid; const char *v; } a[] = {
        { GNUTLS_OID_X520_COUNTRY_NAME, s->c },
        { GNUTLS_OID_X520_STATE_OR_PROVINCE_NAME, s->st },
        { GNUTLS_OID_X520_LOCALITY_NAME, s->l },
        { GNUTLS_OID_X520_ORGANIZATION_NAME, s->o },
        { GNUTLS_OID_X520_ORGANIZATIONAL_UNIT_NAME, s->ou },
        { GNUTLS_OID_X520_COMMON_NAME, s->cn },
    };
    for (size_t i = 0; i < sizeof a / sizeof a[0]; i++) {
        if (!a[i].v || !*a[i].v) continue;
        GT(gnutls_x509_crt_set_dn_by_oid(crt, a[i].oid, 0, a[i].v, (unsigned)strlen(a[i].v)),
           "subject name");
    }
out:
    return rc;
}

static size_t der_len_put(unsigned char *p, size_t l);

/* The subject of `from`, exactly: every attribute in its order with its
 * own string type (a renewal keeps emailAddress, a second OU, a
 * PrintableString), each written back as the DER it was.  GnuTLS writes one
 * attribute per RDN, so a name with several in one (CN=a+O=b) is refused. */
static int copy_name(gnutls_x509_crt_t crt, gnutls_x509_crt_t from, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_dn_t dn;                          /* from's own: not freed */
    GT(gnutls_x509_crt_get_subject(from, &dn), "subject");
    for (int i = 0;; i++) {
        gnutls_x509_ava_st a, more;
        if (gnutls_x509_dn_get_rdn_ava(dn, i, 0, &a) < 0) break;
        if (gnutls_x509_dn_get_rdn_ava(dn, i, 1, &more) >= 0)
            return cdi_fail(err, CD_E_UNSUPPORTED, "the subject has several attributes in one RDN (as in "
                            "CN=a+O=b): certdeck issues one attribute per RDN");
        char oid[128];
        unsigned char der[4 + 1024];
        size_t n = a.value.size;
        /* value_tag is a tag number alone (no class, no constructed bit):
         * the primitive universal string types are what it can name */
        static const unsigned char strtag[] = { 12, 18, 19, 20, 22, 26, 28, 30 };
        int known = 0;
        for (size_t k = 0; k < sizeof strtag; k++) known |= a.value_tag == strtag[k];
        if (!a.oid.size || a.oid.size >= sizeof oid || !known || n > 1024)
            return cdi_fail(err, CD_E_UNSUPPORTED, "the subject has an attribute certdeck cannot carry over "
                            "(not a string of at most 1024 bytes)");
        snprintf(oid, sizeof oid, "%.*s", (int)a.oid.size, (const char *)a.oid.data);
        der[0] = (unsigned char)a.value_tag;
        size_t h = 1 + der_len_put(der + 1, n);
        if (n) memcpy(der + h, a.value.data, n);
        GT(gnutls_x509_crt_set_dn_by_oid(crt, oid, 1, der, (unsigned)(h + n)), "subject name");
    }
out:
    return rc;
}

static int add_san(void *ctx, const unsigned char *ip, size_t iplen, const char *name, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crt_t crt = ctx;
    if (ip)
        GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, (unsigned)iplen,
                                                GNUTLS_FSAN_APPEND), "host");
    else
        GT(gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name, (unsigned)strlen(name),
                                                GNUTLS_FSAN_APPEND), "host");
out:
    return rc;
}

/* SAN entries from "host1,10.0.0.1,*.example.org" by the rule store.c
 * checked before any key was made (cdi_hosts_each); "*" alone means none. */
static int set_hosts(gnutls_x509_crt_t crt, const char *hosts, struct cd_err *err)
{
    return cdi_hosts_each(hosts, add_san, crt, err);
}

static gnutls_digest_algorithm_t sign_digest(gnutls_x509_privkey_t k)
{
    /* EdDSA signs the message itself: GnuTLS wants no digest for it. */
    return gnutls_x509_privkey_get_pk_algorithm(k) == GNUTLS_PK_EDDSA_ED25519 ? GNUTLS_DIG_UNKNOWN
                                                                               : GNUTLS_DIG_SHA256;
}

/* Subject and issuer as RFC 4514 strings. */
static int crt_names(gnutls_x509_crt_t crt, struct cdi_issued *o, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_datum_t dn = { 0 };
    GT(gnutls_x509_crt_get_dn3(crt, &dn, 0), "subject");
    o->subject = strndup((char *)dn.data, dn.size);
    gnutls_free(dn.data);
    dn.data = NULL;
    GT(gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0), "issuer");
    o->issuer = strndup((char *)dn.data, dn.size);
    gnutls_free(dn.data);
    if (!o->subject || !o->issuer) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    return rc;
}

int cdi_crt_describe(gnutls_x509_crt_t crt, struct cdi_issued *o, struct cd_err *err)
{
    int rc = CD_OK;
    unsigned char buf[64];
    size_t sz = sizeof buf;
    GT(gnutls_x509_crt_get_serial(crt, buf, &sz), "serial");
    if (sz > 20) sz = 20;
    cdi_hex(buf, sz, o->serial);
    sz = sizeof buf;
    GT(gnutls_x509_crt_get_fingerprint(crt, GNUTLS_DIG_SHA256, buf, &sz), "fingerprint");
    cdi_hex(buf, 32, o->fp);
    o->nb = (int64_t)gnutls_x509_crt_get_activation_time(crt);
    o->na = (int64_t)gnutls_x509_crt_get_expiration_time(crt);
    rc = crt_names(crt, o, err);
out:
    return rc;
}

int cdi_pki_issue(const struct cdi_issue_req *r, struct cdi_issued *o, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_privkey_t k = NULL;
    gnutls_x509_crt_t crt = NULL;
    memset(o, 0, sizeof *o);
    o->keytype = r->keytype;
    if (r->pubkey) {
        unsigned bits = 0;
        int pk = gnutls_pubkey_get_pk_algorithm(r->pubkey, &bits);     /* before bits is read */
        o->keytype = cdi_keytype_of(pk, bits);
    } else if (r->key) {
        unsigned bits = 0;
        int pk = gnutls_x509_privkey_get_pk_algorithm2(r->key, &bits);  /* before bits is read */
        o->keytype = cdi_keytype_of(pk, bits);
    } else if ((rc = keygen(r->keytype, &k, err))) {
        goto out;
    }
    if (o->keytype < 0) {
        rc = cdi_fail(err, CD_E_UNSUPPORTED, "the key is of a type certdeck does not issue for "
                      "(EC P-256, Ed25519, RSA 2048/3072/4096)");
        goto out;
    }
    GT(gnutls_x509_crt_init(&crt), "certificate");
    GT(gnutls_x509_crt_set_version(crt, 3), "version");
    /* 20 random octets, top bit clear (positive) and non-zero first octet
     * (minimal DER encoding stays 20 octets; RFC 5280 allows at most 20). */
    unsigned char serial[20];
    GT(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial), "random");
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
    GT(gnutls_x509_crt_set_serial(crt, serial, sizeof serial), "serial");
    GT(gnutls_x509_crt_set_activation_time(crt, (time_t)r->nb), "validity");
    GT(gnutls_x509_crt_set_expiration_time(crt, (time_t)r->na), "validity");
    if ((rc = r->subject_of ? copy_name(crt, r->subject_of, err) : set_name(crt, r->sub, err))) goto out;
    if (r->pubkey) GT(gnutls_x509_crt_set_pubkey(crt, r->pubkey), "public key");
    else GT(gnutls_x509_crt_set_key(crt, r->key ? r->key : k), "public key");
    unsigned char kid[64];
    size_t kidsz = sizeof kid;
    GT(gnutls_x509_crt_get_key_id(crt, 0, kid, &kidsz), "key id");
    GT(gnutls_x509_crt_set_subject_key_id(crt, kid, kidsz), "subject key id");
    if (r->is_ca) {
        GT(gnutls_x509_crt_set_basic_constraints(crt, 1, -1), "basic constraints");
        GT(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN), "key usage");
    } else {
        GT(gnutls_x509_crt_set_basic_constraints(crt, 0, -1), "basic constraints");
        unsigned ku = GNUTLS_KEY_DIGITAL_SIGNATURE;
        if (o->keytype >= CD_KEY_RSA2048) ku |= GNUTLS_KEY_KEY_ENCIPHERMENT;
        GT(gnutls_x509_crt_set_key_usage(crt, ku), "key usage");
        if (r->product != CD_PRODUCT_AGENT)
            GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0), "extended key usage");
        GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0), "extended key usage");
        if ((rc = set_hosts(crt, r->host, err))) goto out;
    }
    gnutls_x509_crt_t issuer = r->issuer ? r->issuer : crt;
    gnutls_x509_privkey_t ikey = r->issuer ? r->issuer_key : r->key ? r->key : k;
    if (!ikey) {
        rc = cdi_fail(err, CD_E_INVAL, "a self-signed certificate needs its private key");
        goto out;
    }
    if (r->issuer) {
        unsigned char akid[64];
        size_t akidsz = sizeof akid;
        unsigned crit;
        if (gnutls_x509_crt_get_subject_key_id(r->issuer, akid, &akidsz, &crit) >= 0)
            GT(gnutls_x509_crt_set_authority_key_id(crt, akid, akidsz), "authority key id");
    }
    GT(gnutls_x509_crt_sign2(crt, issuer, ikey, sign_digest(ikey), 0), "signing");
    GT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &o->der), "certificate export");
    /* what we wrote we know: serial, dates and fingerprint need no re-parse */
    cdi_hex(serial, sizeof serial, o->serial);
    unsigned char fp[32];
    GT(gnutls_hash_fast(GNUTLS_DIG_SHA256, o->der.data, o->der.size, fp), "fingerprint");
    cdi_hex(fp, sizeof fp, o->fp);
    o->nb = r->nb;
    o->na = r->na;
    if ((rc = crt_names(crt, o, err))) goto out;
    /* a given key stays the caller's; a CSR's leaves none */
    if (k && (rc = cdi_key_export_plain(k, &o->key, err))) goto out;
out:
    if (crt) gnutls_x509_crt_deinit(crt);
    if (k) gnutls_x509_privkey_deinit(k);
    if (rc) cdi_issued_clear(o);
    return rc;
}

void cdi_issued_clear(struct cdi_issued *o)
{
    gnutls_free(o->der.data);
    if (o->key.data) { cdi_wipe(o->key.data, o->key.size); gnutls_free(o->key.data); }
    free(o->subject);
    free(o->issuer);
    memset(o, 0, sizeof *o);
}

int cdi_key_export_plain(gnutls_x509_privkey_t k, gnutls_datum_t *der, struct cd_err *err)
{
    int rc = CD_OK;
    GT(gnutls_x509_privkey_export2_pkcs8(k, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN, der), "key export");
out:
    return rc;
}

int cdi_key_import_plain(const unsigned char *der, size_t len, gnutls_x509_privkey_t *out,
                         struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_privkey_t k = NULL;
    gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
    GT(gnutls_x509_privkey_init(&k), "key");
    GT(gnutls_x509_privkey_import_pkcs8(k, &d, GNUTLS_X509_FMT_DER, NULL, GNUTLS_PKCS_PLAIN), "key import");
    *out = k;
    k = NULL;
out:
    if (k) gnutls_x509_privkey_deinit(k);
    return rc;
}

int cdi_key_export_pkcs8(gnutls_x509_privkey_t k, const char *pass, int fmt, gnutls_datum_t *out,
                         struct cd_err *err)
{
    int rc = CD_OK;
    GT(gnutls_x509_privkey_export2_pkcs8(k, (gnutls_x509_crt_fmt_t)fmt, pass, GNUTLS_PKCS_PBES2_AES_256, out),
       "key encryption");
out:
    return rc;
}

int cdi_key_import_pkcs8(const unsigned char *der, size_t len, const char *pass,
                         gnutls_x509_privkey_t *out, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_privkey_t k = NULL;
    gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
    GT(gnutls_x509_privkey_init(&k), "key");
    int gt = gnutls_x509_privkey_import_pkcs8(k, &d, GNUTLS_X509_FMT_DER, pass ? pass : "", 0);
    if (gt == GNUTLS_E_DECRYPTION_FAILED || gt == GNUTLS_E_ASN1_DER_ERROR || gt == GNUTLS_E_PK_INVALID_PRIVKEY) {
        rc = cdi_fail(err, CD_E_PASSPHRASE, "wrong passphrase for the CA key");
        goto out;
    }
    GT(gt, "key import");
    *out = k;
    k = NULL;
out:
    if (k) gnutls_x509_privkey_deinit(k);
    return rc;
}

int cdi_crt_load(const void *data, size_t len, gnutls_x509_crt_t *out, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t d = { (unsigned char *)data, (unsigned)len };
    GT(gnutls_x509_crt_init(&crt), "certificate");
    int fmt = (len > 10 && memmem(data, len, "-----BEGIN", 10)) ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER;
    int gt = gnutls_x509_crt_import(crt, &d, (gnutls_x509_crt_fmt_t)fmt);
    if (gt < 0) {
        rc = cdi_fail(err, CD_E_INVAL, "not an X.509 certificate (%s)", gnutls_strerror(gt));
        goto out;
    }
    *out = crt;
    crt = NULL;
out:
    if (crt) gnutls_x509_crt_deinit(crt);
    return rc;
}

int cdi_pki_pfx(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, gnutls_x509_crt_t ca,
                const char *pass, const char *name, gnutls_datum_t *out, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_pkcs12_t p12 = NULL;
    gnutls_pkcs12_bag_t cbag = NULL, kbag = NULL;
    unsigned char kid[64];
    size_t kidsz = sizeof kid;
    GT(gnutls_x509_crt_get_key_id(crt, 0, kid, &kidsz), "key id");
    gnutls_datum_t id = { kid, (unsigned)kidsz };
    GT(gnutls_pkcs12_init(&p12), "pkcs12");
    GT(gnutls_pkcs12_bag_init(&cbag), "pkcs12");
    GT(gnutls_pkcs12_bag_init(&kbag), "pkcs12");
    int idx;
    GT(idx = gnutls_pkcs12_bag_set_crt(cbag, crt), "pkcs12 certificate");
    GT(gnutls_pkcs12_bag_set_key_id(cbag, idx, &id), "pkcs12 key id");
    if (name) GT(gnutls_pkcs12_bag_set_friendly_name(cbag, idx, name), "pkcs12 name");
    if (ca) GT(gnutls_pkcs12_bag_set_crt(cbag, ca), "pkcs12 CA certificate");
    /* PBES2-AES-256: the RC2-40 default is unreadable by OpenSSL 3. */
    GT(gnutls_pkcs12_bag_encrypt(cbag, pass, GNUTLS_PKCS_PBES2_AES_256), "pkcs12 encryption");
    GT(idx = gnutls_pkcs12_bag_set_privkey(kbag, key, pass, GNUTLS_PKCS_PBES2_AES_256), "pkcs12 key");
    GT(gnutls_pkcs12_bag_set_key_id(kbag, idx, &id), "pkcs12 key id");
    if (name) GT(gnutls_pkcs12_bag_set_friendly_name(kbag, idx, name), "pkcs12 name");
    GT(gnutls_pkcs12_set_bag(p12, cbag), "pkcs12");
    GT(gnutls_pkcs12_set_bag(p12, kbag), "pkcs12");
    GT(gnutls_pkcs12_generate_mac2(p12, GNUTLS_MAC_SHA256, pass), "pkcs12 MAC");
    GT(gnutls_pkcs12_export2(p12, GNUTLS_X509_FMT_DER, out), "pkcs12 export");
out:
    if (cbag) gnutls_pkcs12_bag_deinit(cbag);
    if (kbag) gnutls_pkcs12_bag_deinit(kbag);
    if (p12) gnutls_pkcs12_deinit(p12);
    return rc;
}

int cdi_hex_decode(const char *hex, unsigned char *out, size_t max, size_t *len)
{
    size_t n = 0;
    for (const char *p = hex; *p;) {
        if (*p == ':') { p++; continue; }
        int v[2];
        for (int i = 0; i < 2; i++, p++) {
            char c = *p;
            if (c >= '0' && c <= '9') v[i] = c - '0';
            else if (c >= 'a' && c <= 'f') v[i] = c - 'a' + 10;
            else if (c >= 'A' && c <= 'F') v[i] = c - 'A' + 10;
            else return -1;
        }
        if (n >= max) return -1;
        out[n++] = (unsigned char)(v[0] << 4 | v[1]);
    }
    *len = n;
    return 0;
}

int cdi_crt_print(const unsigned char *der, size_t len, char **text, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_crt_t crt = NULL;
    gnutls_datum_t out = { 0 };
    if ((rc = cdi_crt_load(der, len, &crt, err))) return rc;
    GT(gnutls_x509_crt_print(crt, GNUTLS_CRT_PRINT_FULL, &out), "decoding");
    *text = strndup((char *)out.data, out.size);
    if (!*text) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    gnutls_free(out.data);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

/* ---- a batch from a template --------------------------------------------
 * In a batch every certificate has the same issuer, validity, extensions
 * and name but for the CN's last digits, and GnuTLS's certificate builder
 * spends about as long encoding those (libtasn1) as P-256 key generation
 * takes.  So a batch's first certificate, made by cdi_pki_issue, becomes
 * its template: later ones copy its TBSCertificate, put in the fields that
 * differ, all of fixed length (serial, public key, subject key id, the
 * CN's digits), and have GnuTLS sign that.  Before a template is used, a
 * probe made from it is parsed back by GnuTLS and every field compared
 * with what was meant; anything unexpected and the batch stays on
 * cdi_pki_issue.  P-256 leaf keys only: the batch size that matters. */

#define TMPL_DIGITS 6

struct cdi_tmpl {
    unsigned char *crt;            /* the first certificate's DER */
    size_t tbs_off, tbs_len;       /* its TBSCertificate, header included */
    size_t alg_off, alg_len;       /* its signatureAlgorithm */
    size_t serial_off, spki_off, point_off, ski_off, cn_off;   /* in crt */
    size_t cn_len, spki_len;
    int ski_of_spki;               /* the key id hashes the whole SPKI, else its point */
    unsigned char *p8;             /* the first key's PKCS#8, and where its parts are */
    size_t p8_len, p8_k_off, p8_point_off;
    char *subject, *issuer;
    size_t subject_digits;         /* where the CN's digits are in subject */
    gnutls_privkey_t signer;       /* wraps the caller's CA key; owns nothing */
    gnutls_sign_algorithm_t sign_algo;
    int64_t nb, na;
};

static int der_tlv(const unsigned char *p, size_t avail, unsigned char tag, size_t *hdr, size_t *len)
{
    if (avail < 2 || p[0] != tag) return -1;
    size_t l = p[1], h = 2;
    if (l & 0x80) {
        size_t nb = l & 0x7f;
        if (nb < 1 || nb > 3 || avail < 2 + nb) return -1;
        l = 0;
        for (size_t i = 0; i < nb; i++) l = l << 8 | p[2 + i];
        h += nb;
    }
    if (h + l > avail) return -1;
    *hdr = h;
    *len = l;
    return 0;
}

int cdi_der_subject(const unsigned char *c, size_t n, size_t *off, size_t *len)
{
    size_t h, l, at, end;
    if (der_tlv(c, n, 0x30, &h, &l)) return -1;                     /* Certificate */
    at = h;
    if (der_tlv(c + at, n - at, 0x30, &h, &l)) return -1;           /* TBSCertificate */
    at += h;
    end = at + l;
    if (at < end && c[at] == 0xa0) {                                /* [0] version */
        if (der_tlv(c + at, end - at, 0xa0, &h, &l)) return -1;
        at += h + l;
    }
    static const unsigned char skip[] = { 0x02, 0x30, 0x30, 0x30 }; /* serial, signature, issuer, validity */
    for (size_t i = 0; i < sizeof skip; i++) {
        if (der_tlv(c + at, end - at, skip[i], &h, &l)) return -1;
        at += h + l;
    }
    if (der_tlv(c + at, end - at, 0x30, &h, &l)) return -1;
    *off = at;
    *len = h + l;
    return 0;
}

static size_t der_len_put(unsigned char *p, size_t l)
{
    if (l < 0x80) { p[0] = (unsigned char)l; return 1; }
    if (l < 0x100) { p[0] = 0x81; p[1] = (unsigned char)l; return 2; }
    p[0] = 0x82; p[1] = (unsigned char)(l >> 8); p[2] = (unsigned char)l;
    return 3;
}

/* The only place of needle in hay (offset), or -1 when absent or repeated. */
static long find_once(const unsigned char *hay, size_t n, const void *needle, size_t m)
{
    const unsigned char *p = memmem(hay, n, needle, m);
    if (!p) return -1;
    size_t off = (size_t)(p - hay);
    if (memmem(p + 1, n - off - 1, needle, m)) return -1;
    return (long)off;
}

/* The public point (04 | X | Y) and the private scalar, fixed length. */
static int ec_parts(gnutls_x509_privkey_t k, unsigned char pt[65], unsigned char priv[32])
{
    gnutls_datum_t x = { 0 }, y = { 0 }, d = { 0 };
    gnutls_ecc_curve_t curve;
    int ok = gnutls_x509_privkey_export_ecc_raw(k, &curve, &x, &y, &d) >= 0 && curve == GNUTLS_ECC_CURVE_SECP256R1;
    const gnutls_datum_t *v[3] = { &x, &y, &d };
    unsigned char *to[3] = { pt + 1, pt + 33, priv };
    for (int i = 0; ok && i < 3; i++) {
        const unsigned char *s = v[i]->data;
        size_t n = v[i]->size;
        while (n > 32 && !*s) { s++; n--; }           /* a sign octet */
        if (n > 32) { ok = 0; break; }
        memset(to[i], 0, 32 - n);
        memcpy(to[i] + 32 - n, s, n);
    }
    pt[0] = 0x04;
    if (d.data) { cdi_wipe(d.data, d.size); gnutls_free(d.data); }
    gnutls_free(x.data);
    gnutls_free(y.data);
    return ok ? 0 : -1;
}

void cdi_tmpl_free(struct cdi_tmpl *t)
{
    if (!t) return;
    free(t->crt);
    if (t->p8) { cdi_wipe(t->p8, t->p8_len); free(t->p8); }
    free(t->subject);
    free(t->issuer);
    if (t->signer) gnutls_privkey_deinit(t->signer);
    free(t);
}

int cdi_tmpl_fits(const struct cdi_tmpl *t, const char *cn)
{
    if (strlen(cn) != t->cn_len || memcmp(cn, t->crt + t->cn_off, t->cn_len - TMPL_DIGITS)) return 0;
    for (size_t i = t->cn_len - TMPL_DIGITS; i < t->cn_len; i++)
        if (cn[i] < '0' || cn[i] > '9') return 0;
    return 1;
}

/* Makes one certificate from t for a CN that fits; with_subject 0 (the
 * probe, before the digits' place in it is known): no subject string. */
static int tmpl_make(const struct cdi_tmpl *t, const char *cn, int with_subject, struct cdi_issued *o,
                     struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_x509_privkey_t k = NULL;
    gnutls_datum_t sig = { 0 };
    unsigned char pt[65], priv[32], serial[20], h[32];
    unsigned char *tbs = NULL;
    memset(o, 0, sizeof *o);
    o->keytype = CD_KEY_EC256;
    if ((rc = keygen(CD_KEY_EC256, &k, err))) goto out;
    if (ec_parts(k, pt, priv)) { rc = cdi_fail(err, CD_E_CRYPTO, "key export"); goto out; }
    GT(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial), "random");
    serial[0] = (unsigned char)((serial[0] & 0x7f) | 0x01);
    if (!(tbs = malloc(t->tbs_len))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(tbs, t->crt + t->tbs_off, t->tbs_len);
    memcpy(tbs + t->serial_off - t->tbs_off, serial, sizeof serial);
    memcpy(tbs + t->point_off - t->tbs_off, pt, sizeof pt);
    memcpy(tbs + t->cn_off - t->tbs_off + t->cn_len - TMPL_DIGITS, cn + t->cn_len - TMPL_DIGITS, TMPL_DIGITS);
    unsigned char kid[32];
    if (t->ski_of_spki) GT(gnutls_hash_fast(GNUTLS_DIG_SHA1, tbs + t->spki_off - t->tbs_off, t->spki_len, kid), "key id");
    else GT(gnutls_hash_fast(GNUTLS_DIG_SHA1, pt, sizeof pt, kid), "key id");
    memcpy(tbs + t->ski_off - t->tbs_off, kid, 20);
    gnutls_datum_t td = { tbs, (unsigned)t->tbs_len };
    GT(gnutls_privkey_sign_data2(t->signer, t->sign_algo, 0, &td, &sig), "signing");
    /* Certificate ::= SEQUENCE { tbs, signatureAlgorithm, BIT STRING } */
    size_t bits = 1 + sig.size, body = t->tbs_len + t->alg_len + 1 + (bits < 0x80 ? 1 : bits < 0x100 ? 2 : 3) + bits;
    if (!(o->der.data = gnutls_malloc(body + 4))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    unsigned char *p = o->der.data;
    *p++ = 0x30;
    p += der_len_put(p, body);
    memcpy(p, tbs, t->tbs_len);
    p += t->tbs_len;
    memcpy(p, t->crt + t->alg_off, t->alg_len);
    p += t->alg_len;
    *p++ = 0x03;
    p += der_len_put(p, bits);
    *p++ = 0x00;
    memcpy(p, sig.data, sig.size);
    p += sig.size;
    o->der.size = (unsigned)(p - o->der.data);
    GT(gnutls_hash_fast(GNUTLS_DIG_SHA256, o->der.data, o->der.size, h), "fingerprint");
    cdi_hex(h, sizeof h, o->fp);
    cdi_hex(serial, sizeof serial, o->serial);
    o->nb = t->nb;
    o->na = t->na;
    if (!(o->key.data = gnutls_malloc(t->p8_len))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(o->key.data, t->p8, t->p8_len);
    memcpy(o->key.data + t->p8_k_off, priv, sizeof priv);
    memcpy(o->key.data + t->p8_point_off, pt, sizeof pt);
    o->key.size = (unsigned)t->p8_len;
    o->issuer = strdup(t->issuer);
    if (with_subject && (o->subject = strdup(t->subject)))
        memcpy(o->subject + t->subject_digits, cn + t->cn_len - TMPL_DIGITS, TMPL_DIGITS);
    if (!o->issuer || (with_subject && !o->subject)) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    cdi_wipe(priv, sizeof priv);
    gnutls_free(sig.data);
    free(tbs);
    if (k) gnutls_x509_privkey_deinit(k);
    if (rc) cdi_issued_clear(o);
    return rc;
}

int cdi_tmpl_issue(const struct cdi_tmpl *t, const char *cn, struct cdi_issued *o, struct cd_err *err)
{
    if (!cdi_tmpl_fits(t, cn)) return cdi_fail(err, CD_E_INVAL, "CN \"%.80s\" does not fit the batch", cn);
    return tmpl_make(t, cn, 1, o, err);
}

/* Where the parts of the first certificate and key are. */
static int tmpl_locate(struct cdi_tmpl *t, const struct cdi_issue_req *r, const struct cdi_issued *first)
{
    size_t h, l, n = first->der.size;
    const unsigned char *c = t->crt;
    if (der_tlv(c, n, 0x30, &h, &l) || h + l != n) return -1;
    t->tbs_off = h;
    if (der_tlv(c + h, n - h, 0x30, &h, &l)) return -1;
    t->tbs_len = h + l;
    t->alg_off = t->tbs_off + t->tbs_len;
    if (der_tlv(c + t->alg_off, n - t->alg_off, 0x30, &h, &l)) return -1;
    t->alg_len = h + l;
    if (der_tlv(c + t->alg_off + t->alg_len, n - t->alg_off - t->alg_len, 0x03, &h, &l) ||
        t->alg_off + t->alg_len + h + l != n) return -1;
    const unsigned char *tbs = c + t->tbs_off;
    unsigned char serial[20], pt[65], priv[32], ski[64];
    size_t sl;
    long at;
    if (cdi_hex_decode(first->serial, serial, sizeof serial, &sl) || sl != sizeof serial) return -1;
    if ((at = find_once(tbs, t->tbs_len, serial, sl)) < 0) return -1;
    t->serial_off = t->tbs_off + (size_t)at;
    gnutls_x509_privkey_t k = NULL;
    if (cdi_key_import_plain(first->key.data, first->key.size, &k, NULL)) return -1;
    int bad = ec_parts(k, pt, priv);
    gnutls_x509_privkey_deinit(k);
    if (!bad && (at = find_once(tbs, t->tbs_len, pt, sizeof pt)) < 0) bad = 1;
    if (!bad) t->point_off = t->tbs_off + (size_t)at;
    if (!bad && (at = find_once(t->p8, t->p8_len, priv, sizeof priv)) < 0) bad = 1;
    if (!bad) t->p8_k_off = (size_t)at;
    if (!bad && (at = find_once(t->p8, t->p8_len, pt, sizeof pt)) < 0) bad = 1;
    if (!bad) t->p8_point_off = (size_t)at;
    cdi_wipe(priv, sizeof priv);
    if (bad) return -1;
    /* SubjectPublicKeyInfo ::= SEQUENCE { AlgorithmIdentifier (21 octets
     * for P-256), BIT STRING 00 | point }: 26 octets before the point */
    if (t->point_off < 26 + t->tbs_off) return -1;
    t->spki_off = t->point_off - 26;
    if (der_tlv(c + t->spki_off, n - t->spki_off, 0x30, &h, &l) || t->spki_off + h + l != t->point_off + 65)
        return -1;
    t->spki_len = h + l;
    /* the subject key id GnuTLS wrote, and what it is the hash of */
    gnutls_x509_crt_t crt = NULL;
    size_t skisz = sizeof ski;
    unsigned crit;
    if (cdi_crt_load(first->der.data, first->der.size, &crt, NULL)) return -1;
    bad = gnutls_x509_crt_get_subject_key_id(crt, ski, &skisz, &crit) < 0 || skisz != 20;
    t->sign_algo = (gnutls_sign_algorithm_t)gnutls_x509_crt_get_signature_algorithm(crt);
    gnutls_x509_crt_deinit(crt);
    unsigned char hs[20], hp[20];
    if (bad || gnutls_hash_fast(GNUTLS_DIG_SHA1, c + t->spki_off, t->spki_len, hs) < 0 ||
        gnutls_hash_fast(GNUTLS_DIG_SHA1, pt, sizeof pt, hp) < 0) return -1;
    if (!memcmp(hs, ski, 20)) t->ski_of_spki = 1;
    else if (memcmp(hp, ski, 20)) return -1;
    if ((at = find_once(tbs, t->tbs_len, ski, 20)) < 0) return -1;
    t->ski_off = t->tbs_off + (size_t)at;
    /* the CN: the last [UTF8String|PrintableString] of its octets before
     * the public key, which is the subject's (the issuer comes first) */
    t->cn_len = strlen(r->sub->cn);
    if (t->cn_len < TMPL_DIGITS || t->cn_len > 64) return -1;
    for (size_t i = t->cn_len - TMPL_DIGITS; i < t->cn_len; i++)
        if (r->sub->cn[i] < '0' || r->sub->cn[i] > '9') return -1;
    size_t cn_end = 0;
    for (size_t i = 0; i + 2 + t->cn_len <= t->spki_off - t->tbs_off; i++)
        if ((tbs[i] == 0x0c || tbs[i] == 0x13) && tbs[i + 1] == t->cn_len &&
            !memcmp(tbs + i + 2, r->sub->cn, t->cn_len)) cn_end = i + 2;
    if (!cn_end) return -1;
    t->cn_off = t->tbs_off + cn_end;
    /* nothing that changes may overlap */
    size_t off[4] = { t->serial_off, t->point_off, t->ski_off, t->cn_off + t->cn_len - TMPL_DIGITS };
    size_t len[4] = { 20, 65, 20, TMPL_DIGITS };
    for (int i = 0; i < 4; i++)
        for (int j = i + 1; j < 4; j++)
            if (off[i] < off[j] + len[j] && off[j] < off[i] + len[i]) return -1;
    return 0;
}

/* The probe: made from t with other digits, parsed back by GnuTLS; finds
 * where the digits are in the subject string and checks everything else. */
static int tmpl_probe(struct cdi_tmpl *t, const struct cdi_issue_req *r)
{
    char cn[72];
    memcpy(cn, r->sub->cn, t->cn_len + 1);
    for (size_t i = t->cn_len - TMPL_DIGITS; i < t->cn_len; i++) cn[i] = (char)('0' + (cn[i] - '0' + 1) % 10);
    struct cdi_issued o, d;
    memset(&d, 0, sizeof d);
    if (tmpl_make(t, cn, 0, &o, NULL)) return -1;
    gnutls_x509_crt_t crt = NULL;
    gnutls_x509_privkey_t k = NULL;
    gnutls_pubkey_t pub = NULL;
    int ok = cdi_crt_load(o.der.data, o.der.size, &crt, NULL) == CD_OK && cdi_crt_describe(crt, &d, NULL) == CD_OK;
    ok = ok && !strcmp(d.serial, o.serial) && !strcmp(d.fp, o.fp) && d.nb == o.nb && d.na == o.na &&
         !strcmp(d.issuer, t->issuer) && strlen(d.subject) == strlen(t->subject);
    if (ok) {
        /* the digits differ everywhere, so the first difference is where they start */
        size_t p = 0;
        while (d.subject[p] && d.subject[p] == t->subject[p]) p++;
        ok = p + TMPL_DIGITS <= strlen(t->subject) &&
             !memcmp(t->subject + p, r->sub->cn + t->cn_len - TMPL_DIGITS, TMPL_DIGITS) &&
             !memcmp(d.subject + p, cn + t->cn_len - TMPL_DIGITS, TMPL_DIGITS) &&
             !strcmp(d.subject + p + TMPL_DIGITS, t->subject + p + TMPL_DIGITS);
        t->subject_digits = p;
    }
    /* the key belongs to the certificate, whose key id is the one GnuTLS makes */
    unsigned char a[64], b[64], s[64];
    size_t as = sizeof a, bs = sizeof b, ss = sizeof s;
    unsigned crit;
    ok = ok && cdi_key_import_plain(o.key.data, o.key.size, &k, NULL) == CD_OK &&
         gnutls_x509_privkey_get_key_id(k, 0, a, &as) >= 0 && gnutls_x509_crt_get_key_id(crt, 0, b, &bs) >= 0 &&
         gnutls_x509_crt_get_subject_key_id(crt, s, &ss, &crit) >= 0 && as == bs && !memcmp(a, b, as) &&
         ss == as && !memcmp(s, a, as);
    /* and the issuer's signature holds */
    ok = ok && gnutls_pubkey_init(&pub) >= 0 && gnutls_pubkey_import_x509(pub, r->issuer, 0) >= 0;
    if (ok) {
        char sigbuf[600];
        size_t sigsz = sizeof sigbuf;
        gnutls_datum_t tbs = { o.der.data + t->tbs_off, (unsigned)t->tbs_len };
        gnutls_datum_t sig = { (unsigned char *)sigbuf, 0 };
        ok = gnutls_x509_crt_get_signature(crt, sigbuf, &sigsz) >= 0;
        sig.size = (unsigned)sigsz;
        ok = ok && gnutls_pubkey_verify_data2(pub, t->sign_algo, 0, &tbs, &sig) >= 0;
    }
    if (pub) gnutls_pubkey_deinit(pub);
    if (k) gnutls_x509_privkey_deinit(k);
    if (crt) gnutls_x509_crt_deinit(crt);
    cdi_issued_clear(&d);
    cdi_issued_clear(&o);
    return ok ? 0 : -1;
}

struct cdi_tmpl *cdi_tmpl_new(const struct cdi_issue_req *r, const struct cdi_issued *first)
{
    if (r->keytype != CD_KEY_EC256 || r->is_ca || !r->issuer || !r->issuer_key || !first->subject ||
        !first->issuer || !first->key.data)
        return NULL;
    struct cdi_tmpl *t = calloc(1, sizeof *t);
    if (!t) return NULL;
    t->nb = first->nb;
    t->na = first->na;
    t->p8_len = first->key.size;
    if (!(t->crt = malloc(first->der.size)) || !(t->p8 = malloc(t->p8_len)) ||
        !(t->subject = strdup(first->subject)) || !(t->issuer = strdup(first->issuer)))
        goto fail;
    memcpy(t->crt, first->der.data, first->der.size);
    memcpy(t->p8, first->key.data, t->p8_len);
    if (tmpl_locate(t, r, first)) goto fail;
    if (gnutls_privkey_init(&t->signer) < 0) { t->signer = NULL; goto fail; }
    if (gnutls_privkey_import_x509(t->signer, r->issuer_key, 0) < 0) goto fail;
    if (tmpl_probe(t, r)) goto fail;
    return t;
fail:
    cdi_tmpl_free(t);
    return NULL;
}
