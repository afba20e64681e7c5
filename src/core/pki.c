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
    if ((rc = keygen(r->keytype, &k, err))) goto out;
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
    if ((rc = set_name(crt, r->sub, err))) goto out;
    GT(gnutls_x509_crt_set_key(crt, k), "public key");
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
        if (r->keytype >= CD_KEY_RSA2048) ku |= GNUTLS_KEY_KEY_ENCIPHERMENT;
        GT(gnutls_x509_crt_set_key_usage(crt, ku), "key usage");
        if (r->product != CD_PRODUCT_AGENT)
            GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0), "extended key usage");
        GT(gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0), "extended key usage");
        if ((rc = set_hosts(crt, r->host, err))) goto out;
    }
    gnutls_x509_crt_t issuer = r->issuer ? r->issuer : crt;
    gnutls_x509_privkey_t ikey = r->issuer ? r->issuer_key : k;
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
    if ((rc = cdi_key_export_plain(k, &o->key, err))) goto out;
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
