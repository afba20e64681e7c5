/* certdeck core — imports of an existing PKI (certdeck/lifecycle.h):
 * reading and parsing with GnuTLS, whatever the store; the backend's
 * `import` op writes what was found (import_int.h).
 *
 * One file may hold certificates (PEM blocks or one DER certificate), a
 * PKCS#12 with its key, or private keys (PKCS#8 plain or encrypted, the
 * algorithm's own PEM form).  A key goes with the certificate whose public
 * key it is (key ID compare); a key with none here is handed on alone, for
 * the backend to match against stored certificates without a key. */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include "import_int.h"
#include <gnutls/pkcs12.h>
#include "pki_int.h"

#define GT(call, what) do { int gt_ = (call); if (gt_ < 0) { \
    rc = cdi_fail(err, CD_E_CRYPTO, "%s: %s", what, gnutls_strerror(gt_)); goto out; } } while (0)

static void obj_clear(struct cdi_import_obj *o)
{
    free(o->der);
    if (o->key) { cdi_wipe(o->key, o->key_len); free(o->key); }
    free(o->source); free(o->cn); free(o->subject); free(o->issuer); free(o->host); free(o->key_alg);
    free(o->why); free(o->key_why);
    memset(o, 0, sizeof *o);
}

void cdi_import_clear(struct cdi_import *im)
{
    if (!im) return;
    for (size_t i = 0; i < im->n; i++) obj_clear(&im->rows[i]);
    free(im->rows);
    im->rows = NULL;
    im->n = 0;
}

/* The capacity cdi_grow gave an array it grew to n rows (32, then doubled):
 * the lists here keep no capacity of their own. */
static size_t grown(size_t n)
{
    size_t c = 32;
    if (!n) return 0;
    while (c < n) c *= 2;
    return c;
}

struct cdi_import_obj *cdi_import_add(struct cdi_import *im)
{
    size_t cap = grown(im->n);
    return cdi_grow(&im->rows, im->n++, &cap, sizeof *im->rows) ? &im->rows[im->n - 1] : (im->n--, NULL);
}

int cdi_import_report_add(struct cd_import_report *rep, int what, int taken, int64_t id, const char *name,
                          const char *why, struct cd_err *err)
{
    size_t cap = grown(rep->n);
    struct cd_import_item *it = cdi_grow(&rep->rows, rep->n, &cap, sizeof *rep->rows);
    if (!it) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    it->what = what;
    it->taken = taken;
    it->id = id;
    it->name = cdi_strdup(name ? name : "");
    it->why = cdi_strdup(why ? why : "");
    if (!it->name || !it->why) {
        free(it->name);
        free(it->why);
        return cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    rep->n++;
    if (taken) rep->taken++;
    else rep->skipped++;
    return CD_OK;
}

/* "EC P-256" for the types certdeck issues, else GnuTLS's name and size. */
static char *alg_label(int pk, unsigned bits)
{
    int kt = cdi_keytype_of(pk, bits);
    if (kt >= 0) return cdi_strdup(cdi_keytype_label(kt));
    const char *n = gnutls_pk_algorithm_get_name((gnutls_pk_algorithm_t)pk);
    return cdi_printf("%s %u", n ? n : "unknown", bits);
}

static int host_add(void *ctx, const unsigned char *ip, size_t iplen, const char *name, struct cd_err *err)
{
    (void)ip; (void)iplen; (void)name; (void)ctx; (void)err;
    return CD_OK;
}

/* The SAN's DNS names and IP addresses, "a, b" ("*": none); entries the
 * host rule refuses (cdi_hosts_each) are left out. */
static char *san_hosts(gnutls_x509_crt_t crt)
{
    struct cdi_buf b = { 0 };
    for (unsigned i = 0; i < 256; i++) {
        char buf[512];
        size_t sz = sizeof buf - 1;
        int t = gnutls_x509_crt_get_subject_alt_name(crt, i, buf, &sz, NULL);
        if (t == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
        if (t < 0) continue;
        char one[INET6_ADDRSTRLEN + 1];
        const char *v = NULL;
        if (t == GNUTLS_SAN_DNSNAME && sz < sizeof buf) {
            buf[sz] = 0;
            if (strlen(buf) == sz) v = buf;
        } else if (t == GNUTLS_SAN_IPADDRESS && (sz == 4 || sz == 16)) {
            v = inet_ntop(sz == 4 ? AF_INET : AF_INET6, buf, one, sizeof one);
        }
        if (!v || cdi_hosts_each(v, host_add, NULL, NULL) != CD_OK) continue;
        cdi_buf_addf(&b, "%s%s", b.len ? ", " : "", v);
    }
    if (!b.len) cdi_buf_addf(&b, "*");
    cdi_buf_add(&b, "", 1);
    if (b.oom) { cdi_buf_free(&b); return NULL; }
    return (char *)b.p;
}

int cdi_import_cert(struct cdi_import_obj *o, const unsigned char *der, size_t len, struct cd_err *err)
{
    gnutls_x509_crt_t crt = NULL;
    struct cdi_issued d = { 0 };
    int rc = cdi_crt_load(der, len, &crt, err);
    if (rc) return rc;
    if ((rc = cdi_crt_describe(crt, &d, err))) goto out;
    memcpy(o->fp, d.fp, sizeof o->fp);
    memcpy(o->serial, d.serial, sizeof o->serial);
    o->subject = d.subject; d.subject = NULL;
    o->issuer = d.issuer; d.issuer = NULL;
    o->nb = d.nb;
    o->na = d.na;
    char cn[256];
    size_t sz = sizeof cn;
    if (gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, 0, cn, &sz) < 0)
        snprintf(cn, sizeof cn, "%.200s", o->subject);
    unsigned bits = 0, crit = 0;
    int pk = gnutls_x509_crt_get_pk_algorithm(crt, &bits);
    unsigned char id[64];
    size_t idl = sizeof id;
    GT(gnutls_x509_crt_get_key_id(crt, GNUTLS_KEYID_USE_SHA256, id, &idl), "key ID");
    cdi_hex(id, idl > 32 ? 32 : idl, o->keyid);
    o->what = gnutls_x509_crt_get_basic_constraints(crt, &crit, NULL, NULL) == 1 ? CD_IMPORT_CA : CD_IMPORT_CERT;
    o->cn = cdi_strdup(cn);
    o->host = o->what == CD_IMPORT_CA ? cdi_strdup("*") : san_hosts(crt);
    o->key_alg = alg_label(pk, bits);
    o->der = malloc(len);
    if (!o->cn || !o->host || !o->key_alg || !o->der) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(o->der, der, len);
    o->der_len = len;
out:
    cdi_issued_clear(&d);
    gnutls_x509_crt_deinit(crt);
    return rc;
}

/* A key of k as plain PKCS#8 DER, with its ID; CD_E_UNSUPPORTED (alg set)
 * for a type certdeck cannot handle. */
static int key_take(gnutls_x509_privkey_t k, unsigned char **der, size_t *der_len, char keyid[65], char *alg,
                    size_t algn, struct cd_err *err)
{
    int rc = CD_OK;
    gnutls_datum_t d = { 0 };
    unsigned bits = 0;
    int pk = gnutls_x509_privkey_get_pk_algorithm2(k, &bits);
    char *label = alg_label(pk, bits);
    snprintf(alg, algn, "%s", label ? label : "unknown");
    free(label);
    if (cdi_keytype_of(pk, bits) < 0)
        return cdi_fail(err, CD_E_UNSUPPORTED, "a %s key: certdeck keeps EC P-256, Ed25519 and RSA 2048/3072/4096 "
                        "keys", alg);
    unsigned char id[64];
    size_t idl = sizeof id;
    GT(gnutls_x509_privkey_get_key_id(k, GNUTLS_KEYID_USE_SHA256, id, &idl), "key ID");
    cdi_hex(id, idl > 32 ? 32 : idl, keyid);
    if ((rc = cdi_key_export_plain(k, &d, err))) goto out;
    if (!(*der = malloc(d.size))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(*der, d.data, d.size);
    *der_len = d.size;
out:
    if (d.data) { cdi_wipe(d.data, d.size); gnutls_free(d.data); }
    return rc;
}

int cdi_import_key_read(const void *data, size_t len, int fmt_pem, const char *pass, unsigned char **der,
                        size_t *der_len, char keyid[65], char *alg, size_t algn, struct cd_err *err)
{
    gnutls_x509_privkey_t k = NULL;
    gnutls_datum_t d = { (unsigned char *)data, (unsigned)len };
    int rc = CD_OK;
    *alg = 0;
    GT(gnutls_x509_privkey_init(&k), "key");
    int gt = gnutls_x509_privkey_import2(k, &d, fmt_pem ? GNUTLS_X509_FMT_PEM : GNUTLS_X509_FMT_DER,
                                         pass && *pass ? pass : NULL, 0);
    if (gt == GNUTLS_E_DECRYPTION_FAILED ||
        (gt < 0 && !(pass && *pass) && fmt_pem && memmem(data, len, "ENCRYPTED", 9))) {
        rc = cdi_fail(err, CD_E_PASSPHRASE, pass && *pass ? "wrong passphrase for the private key"
                      : "the private key is encrypted: give its passphrase (--passphrase-file)");
        goto out;
    }
    if (gt < 0) {
        rc = cdi_fail(err, CD_E_INVAL, "not a private key certdeck can read: %s", gnutls_strerror(gt));
        goto out;
    }
    rc = key_take(k, der, der_len, keyid, alg, algn, err);
out:
    if (k) gnutls_x509_privkey_deinit(k);
    return rc;
}

int cdi_import_put_key(struct cdi_import *im, unsigned char *der, size_t len, const char *keyid,
                       const char *source, struct cd_err *err)
{
    for (size_t i = 0; i < im->n; i++) {
        struct cdi_import_obj *o = &im->rows[i];
        if (strcmp(o->keyid, keyid) || (o->what != CD_IMPORT_CA && o->what != CD_IMPORT_CERT &&
                                        o->what != CD_IMPORT_KEY))
            continue;
        if (o->key || o->why) {              /* the same key twice: once is enough */
            cdi_wipe(der, len);
            free(der);
            return CD_OK;
        }
        o->key = der;
        o->key_len = len;
        free(o->key_why);
        o->key_why = NULL;
        return CD_OK;
    }
    struct cdi_import_obj *o = cdi_import_add(im);
    if (!o) { cdi_wipe(der, len); free(der); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    o->what = CD_IMPORT_KEY;
    o->key = der;
    o->key_len = len;
    snprintf(o->keyid, sizeof o->keyid, "%s", keyid);
    if (!(o->source = cdi_strdup(source ? source : "key")))
        return cdi_fail(err, CD_E_NOMEM, "out of memory");
    return CD_OK;
}

/* A report-only object: name (from the file) and why. */
static int note(struct cdi_import *im, int what, const char *name, const char *why, struct cd_err *err)
{
    struct cdi_import_obj *o = cdi_import_add(im);
    if (!o) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    o->what = what;
    o->source = cdi_strdup(name);
    o->why = cdi_strdup(why);
    return o->source && o->why ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
}

static int add_cert(struct cdi_import *im, const unsigned char *der, size_t len, const char *source,
                    struct cd_err *err)
{
    for (size_t i = 0; i < im->n; i++)        /* a chain given twice in one file */
        if (im->rows[i].der_len == len && !memcmp(im->rows[i].der, der, len)) return CD_OK;
    struct cdi_import_obj *o = cdi_import_add(im);
    if (!o) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    o->source = cdi_strdup(source);
    int rc = o->source ? cdi_import_cert(o, der, len, err) : cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (rc) { obj_clear(o); im->n--; }
    return rc;
}

/* A key read (rc from cdi_import_key_read): put with its certificate, or
 * reported when certdeck cannot keep it; a passphrase problem fails the
 * whole import. */
static int key_found(struct cdi_import *im, int rc, unsigned char *der, size_t len, const char *keyid,
                     const char *alg, const char *source, struct cd_err *err)
{
    if (rc == CD_E_UNSUPPORTED) {
        char why[200];
        snprintf(why, sizeof why, "a %s key: certdeck cannot keep keys of this type", alg);
        return note(im, CD_IMPORT_KEY, source, why, err);
    }
    if (rc) return rc;
    return cdi_import_put_key(im, der, len, keyid, source, err);
}

static int parse_p12(struct cdi_import *im, const void *data, size_t len, const char *pass, const char *source,
                     struct cd_err *err)
{
    gnutls_pkcs12_t p12 = NULL;
    gnutls_x509_privkey_t key = NULL;
    gnutls_x509_crt_t *chain = NULL, *extra = NULL;
    unsigned nchain = 0, nextra = 0;
    gnutls_datum_t d = { (unsigned char *)data, (unsigned)len };
    int rc = CD_OK;
    GT(gnutls_pkcs12_init(&p12), "PKCS#12");
    int gt = gnutls_pkcs12_import(p12, &d, GNUTLS_X509_FMT_DER, 0);
    if (gt < 0) { rc = cdi_fail(err, CD_E_INVAL, "not a certificate, PKCS#12 or private key"); goto out; }
    const char *pw = pass ? pass : "";
    if (gnutls_pkcs12_verify_mac(p12, pw) < 0) {
        rc = cdi_fail(err, CD_E_PASSPHRASE, pass ? "wrong passphrase for the PKCS#12 file (its MAC does not verify)"
                      : "the PKCS#12 file needs its passphrase (--passphrase-file)");
        goto out;
    }
    gt = gnutls_pkcs12_simple_parse(p12, pw, &key, &chain, &nchain, &extra, &nextra, NULL,
                                    GNUTLS_PKCS12_SP_INCLUDE_SELF_SIGNED);
    if (gt < 0) {
        rc = cdi_fail(err, gt == GNUTLS_E_DECRYPTION_FAILED ? CD_E_PASSPHRASE : CD_E_INVAL, "PKCS#12: %s",
                      gnutls_strerror(gt));
        goto out;
    }
    for (unsigned pass2 = 0; pass2 < 2 && !rc; pass2++) {
        gnutls_x509_crt_t *list = pass2 ? extra : chain;
        unsigned n = pass2 ? nextra : nchain;
        for (unsigned i = 0; i < n && !rc; i++) {
            gnutls_datum_t c = { 0 };
            GT(gnutls_x509_crt_export2(list[i], GNUTLS_X509_FMT_DER, &c), "PKCS#12 certificate");
            rc = add_cert(im, c.data, c.size, source, err);
            gnutls_free(c.data);
        }
    }
    if (!rc && key) {
        unsigned char *kd = NULL;
        size_t kl = 0;
        char keyid[65] = "", alg[64];
        rc = key_take(key, &kd, &kl, keyid, alg, sizeof alg, err);
        rc = key_found(im, rc, kd, kl, keyid, alg, source, err);
    }
out:
    for (unsigned i = 0; i < nchain; i++) gnutls_x509_crt_deinit(chain[i]);
    for (unsigned i = 0; i < nextra; i++) gnutls_x509_crt_deinit(extra[i]);
    gnutls_free(chain);
    gnutls_free(extra);
    if (key) gnutls_x509_privkey_deinit(key);
    if (p12) gnutls_pkcs12_deinit(p12);
    return rc;
}

static int is_key_block(const char *type)
{
    return !strcmp(type, "PRIVATE KEY") || !strcmp(type, "ENCRYPTED PRIVATE KEY") ||
           !strcmp(type, "RSA PRIVATE KEY") || !strcmp(type, "EC PRIVATE KEY");
}

/* Each "-----BEGIN T-----" ... "-----END T-----" block: certificates on
 * the first round, keys on the second (so a key before its certificate
 * still finds it). */
static int parse_pem(struct cdi_import *im, const char *p, size_t len, const char *pass, const char *source,
                     size_t *found, struct cd_err *err)
{
    int rc = CD_OK;
    *found = 0;
    for (int round = 0; round < 2 && !rc; round++) {
        const char *cur = p, *end = p + len;
        const char *b;
        while (!rc && (b = memmem(cur, (size_t)(end - cur), "-----BEGIN ", 11))) {
            const char *t = b + 11;
            const char *te = memmem(t, (size_t)(end - t), "-----", 5);
            if (!te || te - t > 64) break;
            char type[65];
            snprintf(type, sizeof type, "%.*s", (int)(te - t), t);
            char endmark[96];
            snprintf(endmark, sizeof endmark, "-----END %s-----", type);
            const char *e = memmem(te, (size_t)(end - te), endmark, strlen(endmark));
            if (!e) { rc = round ? CD_OK : cdi_fail(err, CD_E_INVAL, "a PEM block \"%s\" has no end line", type); break; }
            e += strlen(endmark);
            cur = e;
            gnutls_datum_t blk = { (unsigned char *)b, (unsigned)(e - b) };
            if (!round) (*found)++;
            if (!strcmp(type, "CERTIFICATE") || !strcmp(type, "X509 CERTIFICATE")) {
                if (round) continue;
                gnutls_datum_t der = { 0 };
                int gt = gnutls_pem_base64_decode2(type, &blk, &der);
                if (gt < 0) rc = cdi_fail(err, CD_E_INVAL, "a certificate block does not decode: %s", gnutls_strerror(gt));
                else rc = add_cert(im, der.data, der.size, source, err);
                gnutls_free(der.data);
            } else if (is_key_block(type)) {
                if (!round) continue;
                unsigned char *kd = NULL;
                size_t kl = 0;
                char keyid[65] = "", alg[64];
                rc = cdi_import_key_read(blk.data, blk.size, 1, pass, &kd, &kl, keyid, alg, sizeof alg, err);
                rc = key_found(im, rc, kd, kl, keyid, alg, source, err);
            } else if (!round) {
                char why[120];
                snprintf(why, sizeof why, "a \"%s\" block: certdeck imports certificates and keys", type);
                rc = note(im, CD_IMPORT_OTHER, source, why, err);
            }
        }
    }
    return rc;
}

int cdi_import_parse(struct cdi_import *im, const void *data, size_t len, const char *pass, const char *source,
                     struct cd_err *err)
{
    if (!data || !len) return cdi_fail(err, CD_E_INVAL, "the file is empty");
    if (len > CDI_IMPORT_MAX) return cdi_fail(err, CD_E_INVAL, "the file is too large to import");
    size_t before = im->n;
    int rc;
    if (memmem(data, len, "-----BEGIN ", 11)) {
        size_t found = 0;
        rc = parse_pem(im, data, len, pass, source, &found, err);
        if (!rc && !found) rc = cdi_fail(err, CD_E_INVAL, "no certificate or key in this file");
    } else {
        gnutls_x509_crt_t crt = NULL;
        if (cdi_crt_load(data, len, &crt, NULL) == CD_OK) {
            gnutls_x509_crt_deinit(crt);
            rc = add_cert(im, data, len, source, err);
        } else {
            /* a PKCS#12 (first: GnuTLS's key reader would take its key
             * alone), or else a PKCS#8 key, plain or encrypted */
            rc = parse_p12(im, data, len, pass, source, err);
            if (rc == CD_E_INVAL) {
                unsigned char *kd = NULL;
                size_t kl = 0;
                char keyid[65] = "", alg[64];
                rc = cdi_import_key_read(data, len, 0, pass, &kd, &kl, keyid, alg, sizeof alg, err);
                if (rc == CD_E_INVAL)
                    rc = cdi_fail(err, CD_E_INVAL, "not a certificate, PKCS#12 or private key (PEM or DER)");
                else rc = key_found(im, rc, kd, kl, keyid, alg, source, err);
            }
        }
    }
    if (rc) {
        while (im->n > before) obj_clear(&im->rows[--im->n]);
    }
    return rc;
}

/* ---- public entry points ------------------------------------------------ */

int cdi_import_run(cd_store *s, const cd_user *u, struct cdi_import *im, const struct cd_import_opts *o,
                   struct cd_import_report *rep, struct cd_err *err)
{
    im->group = o ? o->group : NULL;
    im->description = o && o->description ? o->description : "Imported";
    int rc = cdi_check_text(err, "description", im->description, 0, 0);
    if (!rc) rc = s->ops->import(s, u, im, rep, err);
    if (rc) cd_import_report_free(rep);
    return rc;
}

int cd_import(cd_store *s, const cd_user *u, const void *data, size_t len, const struct cd_import_opts *o,
              struct cd_import_report *rep, struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    if (!u) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user");
    if (!rep) return cdi_fail(err, CD_E_INVAL, "no report to fill");
    memset(rep, 0, sizeof *rep);
    if (!s->ops->import) return cdi_fail(err, CD_E_UNSUPPORTED, "%s stores do not support this", s->ops->name);
    struct cdi_import im = { 0 };
    int rc = cdi_import_parse(&im, data, len, o ? o->passphrase : NULL, "file", err);
    if (!rc) rc = cdi_import_run(s, u, &im, o, rep, err);
    cdi_import_clear(&im);
    return rc;
}

int cd_import_easyrsa(cd_store *s, const cd_user *u, const char *dir, const struct cd_import_opts *o,
                      struct cd_import_report *rep, struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    if (!u) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user");
    if (!rep) return cdi_fail(err, CD_E_INVAL, "no report to fill");
    memset(rep, 0, sizeof *rep);
    if (!dir || !*dir) return cdi_fail(err, CD_E_INVAL, "no easy-rsa folder given");
    if (!s->ops->import) return cdi_fail(err, CD_E_UNSUPPORTED, "%s stores do not support this", s->ops->name);
    struct cdi_import im = { 0 };
    int rc = cdi_import_easyrsa_parse(s, u, &im, dir, o, err);
    if (!rc) rc = cdi_import_run(s, u, &im, o, rep, err);
    cdi_import_clear(&im);
    return rc;
}
