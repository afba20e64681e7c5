/* certdeck core — reading an easy-rsa 3 PKI folder for an import.
 *
 * The folder (EASYRSA_PKI, "pki/") holds ca.crt and private/ca.key (PEM,
 * encrypted unless built nopass), issued/<name>.crt with
 * private/<name>.key, index.txt (OpenSSL's ca database: one line per
 * certificate, "R" ones with their revocation date and reason) and
 * certs_by_serial/<SERIAL>.pem copies.  easy-rsa 3.1 moves a revoked
 * certificate and its key to revoked/certs_by_serial/<SERIAL>.crt and
 * revoked/private_by_serial/<SERIAL>.key; older versions leave them in
 * issued/.  Files are read whole, size-capped, never through a symbolic
 * link. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "import_int.h"
#include "mirror_int.h"

#define FILE_MAX (1u << 20)      /* a certificate or key file */
#define PASS_MAX 1024
#define ASK_TRIES 3

struct era {
    struct cdi_import *im;
    const char *dir;
    const struct cd_import_opts *o;
    cd_store *s;              /* where it goes: a CA stored with its key already is not asked for again */
    const cd_user *u;
};

/* 1 when the store holds the CA of this fingerprint with its key. */
static int ca_has_key(const struct era *e, const char *fp)
{
    char filter[80];
    snprintf(filter, sizeof filter, "fp=%s", fp);
    struct cd_query q = { .filter = filter };
    struct cd_ca_list l = { 0 };
    struct cd_err err = { 0 };
    int yes = e->s && cd_ca_list(e->s, e->u, &q, &l, &err) == CD_OK && l.n == 1 && l.rows[0].can_sign;
    cd_ca_list_free(&l);
    return yes;
}

/* dir/rel, malloc'd (NULL when out of memory). */
static char *path_of(const struct era *e, const char *rel)
{
    return cdi_printf("%s/%s", e->dir, rel);
}

/* Reads dir/rel: CD_OK, CD_E_NOTFOUND when it is not there, or an error
 * naming it. */
static int read_rel(const struct era *e, const char *rel, size_t max, struct cdi_buf *b, struct cd_err *err)
{
    char *p = path_of(e, rel);
    if (!p) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = CD_OK;
    if (cdi_read_small(p, max, 0, b)) {
        int en = errno;
        rc = en == ENOENT ? CD_E_NOTFOUND
           : cdi_fail(err, CD_E_IO, "cannot read %s: %s", p, en == ELOOP ? "it is a symbolic link"
                      : en == EFBIG ? "too large" : en == EINVAL ? "not a regular file" : strerror(en));
    }
    free(p);
    return rc;
}

static int set_why(char **slot, struct cd_err *err, const char *fmt, ...) CDI_PRINTF(3, 4);
static int set_why(char **slot, struct cd_err *err, const char *fmt, ...)
{
    char buf[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    free(*slot);
    *slot = cdi_strdup(buf);
    return *slot ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
}

/* The object of the certificate just parsed from rel (the last one). */
static int add_cert_file(struct era *e, const char *rel, struct cdi_import_obj **obj, struct cd_err *err)
{
    struct cdi_buf b = { 0 };
    *obj = NULL;
    struct cd_err perr = { 0 };
    int prc = read_rel(e, rel, FILE_MAX, &b, &perr);
    if (prc == CD_E_NOTFOUND) return prc;
    if (prc == CD_E_NOMEM) return cdi_fail(err, prc, "out of memory");
    size_t before = e->im->n;
    /* a file that cannot be read (a link, too large) is skipped, saying why */
    if (!prc) prc = cdi_import_parse(e->im, b.p, b.len, NULL, rel, &perr);
    cdi_buf_free(&b);
    if (prc) {
        struct cdi_import_obj *o = cdi_import_add(e->im);
        if (!o) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        o->what = CD_IMPORT_CERT;
        o->source = cdi_strdup(rel);
        *obj = o;
        return o->source ? set_why(&o->why, err, "%s", perr.msg) : cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    /* the file's certificate (or the same one met before under another name) */
    if (e->im->n > before) *obj = &e->im->rows[before];
    return CD_OK;
}

/* The key file for obj (rel), when there is one: put with its certificate,
 * or why not said on obj. */
static int add_key_file(struct era *e, struct cdi_import_obj *obj, const char *rel, const char *pass,
                        int missing_ok, struct cd_err *err)
{
    struct cdi_buf b = { 0 };
    struct cd_err rerr = { 0 };
    int rc = read_rel(e, rel, FILE_MAX, &b, &rerr);
    if (rc == CD_E_NOTFOUND)
        return missing_ok || !obj ? CD_OK : set_why(&obj->key_why, err, "no key file %s", rel);
    if (rc == CD_E_NOMEM) return cdi_fail(err, rc, "out of memory");
    if (rc) return obj ? set_why(&obj->key_why, err, "%s", rerr.msg) : CD_OK;
    unsigned char *der = NULL;
    size_t len = 0;
    char keyid[65] = "", alg[64];
    struct cd_err kerr = { 0 };
    int krc = cdi_import_key_read(b.p, b.len, 1, pass, &der, &len, keyid, alg, sizeof alg, &kerr);
    cdi_buf_free(&b);
    if (krc == CD_E_NOMEM) return cdi_fail(err, krc, "out of memory");
    if (krc) return obj ? set_why(&obj->key_why, err, "%s: %s", rel, kerr.msg) : CD_OK;
    return cdi_import_put_key(e->im, der, len, keyid, rel, err);
}

/* The CA and its key, asking for the passphrase when the one given does
 * not open it. */
static int add_ca(struct era *e, struct cd_err *err)
{
    struct cdi_import_obj *ca = NULL;
    int rc = add_cert_file(e, "ca.crt", &ca, err);
    if (rc == CD_E_NOTFOUND)
        return cdi_fail(err, CD_E_INVAL, "%s is not an easy-rsa PKI: it has no ca.crt (give the pki folder, the one "
                        "holding ca.crt, index.txt, issued/ and private/)", e->dir);
    if (rc) return rc;
    if (!ca || ca->why) return ca ? cdi_fail(err, CD_E_INVAL, "ca.crt: %s", ca->why) : CD_OK;
    if (ca->what != CD_IMPORT_CA)
        return cdi_fail(err, CD_E_INVAL, "%s/ca.crt is not a CA certificate", e->dir);
    /* a second run: the key is there, its passphrase is not asked again */
    if (ca_has_key(e, ca->fp)) return CD_OK;
    struct cdi_buf b = { 0 };
    rc = read_rel(e, "private/ca.key", FILE_MAX, &b, err);
    if (rc == CD_E_NOTFOUND) return set_why(&ca->key_why, err, "no private/ca.key: the CA comes without its key");
    if (rc) return rc;
    unsigned char *der = NULL;
    size_t len = 0;
    char keyid[65] = "", alg[64], asked[PASS_MAX] = "";
    const char *pass = e->o ? e->o->passphrase : NULL;
    struct cd_err kerr = { 0 };
    int krc = cdi_import_key_read(b.p, b.len, 1, pass, &der, &len, keyid, alg, sizeof alg, &kerr);
    for (int t = 0; krc == CD_E_PASSPHRASE && e->o && e->o->ask && t < ASK_TRIES; t++) {
        if (e->o->ask(e->o->ask_ctx, t ? "Wrong passphrase; the easy-rsa CA key's passphrase again: "
                                       : "Passphrase of the easy-rsa CA key (private/ca.key): ",
                      asked, sizeof asked) != 0)
            break;
        krc = cdi_import_key_read(b.p, b.len, 1, asked, &der, &len, keyid, alg, sizeof alg, &kerr);
    }
    cdi_wipe(asked, sizeof asked);
    cdi_buf_free(&b);
    /* a passphrase given that opens nothing is a mistake to fix, not a
     * choice to leave the key behind */
    if (krc == CD_E_PASSPHRASE && pass && *pass)
        return cdi_fail(err, CD_E_PASSPHRASE, "private/ca.key: %s", kerr.msg);
    if (krc == CD_E_PASSPHRASE)
        return set_why(&ca->key_why, err, "encrypted, no passphrase: the CA came without it");
    if (krc) return set_why(&ca->key_why, err, "private/ca.key: %s", kerr.msg);
    return cdi_import_put_key(e->im, der, len, keyid, "private/ca.key", err);
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The file names in dir/sub ending in suffix, sorted; none when the folder
 * is not there. */
static int list_dir(const struct era *e, const char *sub, const char *suffix, char ***names, size_t *n,
                    struct cd_err *err)
{
    *names = NULL;
    *n = 0;
    char *p = path_of(e, sub);
    if (!p) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    DIR *d = opendir(p);
    free(p);
    if (!d) return errno == ENOENT ? CD_OK : cdi_fail(err, CD_E_IO, "cannot read %s/%s: %s", e->dir, sub, strerror(errno));
    size_t cap = 0, sl = strlen(suffix);
    int rc = CD_OK;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= sl || de->d_name[0] == '.' || strcmp(de->d_name + l - sl, suffix)) continue;
        char **slot = cdi_grow(names, *n, &cap, sizeof **names);
        if (!slot || !(*slot = strdup(de->d_name))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
        (*n)++;
    }
    closedir(d);
    if (*n) qsort(*names, *n, sizeof **names, cmp_names);
    return rc;
}

static void names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

/* Each certificate of dir/sub (names ending in suffix) with its key,
 * keydir/<name without suffix>.key. */
static int add_certs(struct era *e, const char *sub, const char *suffix, const char *keydir, struct cd_err *err)
{
    char **names = NULL;
    size_t n = 0;
    int rc = list_dir(e, sub, suffix, &names, &n, err);
    for (size_t i = 0; i < n && !rc; i++) {
        char *rel = cdi_printf("%s/%s", sub, names[i]);
        char *krel = keydir ? cdi_printf("%s/%.*s.key", keydir, (int)(strlen(names[i]) - strlen(suffix)), names[i]) : NULL;
        struct cdi_import_obj *o = NULL;
        if (!rel || (keydir && !krel)) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
        if (!rc) rc = add_cert_file(e, rel, &o, err);
        if (!rc && o && !o->why && keydir)
            rc = add_key_file(e, o, krel, e->o ? e->o->passphrase : NULL, 0, err);
        free(rel);
        free(krel);
    }
    names_free(names, n);
    return rc;
}

/* A serial in hex, lower case, without leading zeros. */
static void serial_norm(const char *in, char *out, size_t n)
{
    while (*in == '0' && in[1]) in++;
    size_t i = 0;
    for (; in[i] && i + 1 < n; i++) out[i] = (char)(in[i] >= 'A' && in[i] <= 'F' ? in[i] + 32 : in[i]);
    out[i] = 0;
}

/* index.txt's times: YYMMDDHHMMSSZ (UTCTime) or YYYYMMDDHHMMSSZ. */
static int parse_asn1_time(const char *s, size_t len, int64_t *out)
{
    if (len != 13 && len != 15) return -1;
    if (s[len - 1] != 'Z') return -1;
    for (size_t i = 0; i + 1 < len; i++) if (s[i] < '0' || s[i] > '9') return -1;
    int v[7], k = 0;
    size_t i = 0;
    if (len == 13) { int yy = (s[0] - '0') * 10 + (s[1] - '0'); v[k++] = yy < 50 ? 2000 + yy : 1900 + yy; i = 2; }
    else { v[k++] = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0'); i = 4; }
    for (; k < 6; k++, i += 2) v[k] = (s[i] - '0') * 10 + (s[i + 1] - '0');
    if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60) return -1;
    struct tm tm = { .tm_year = v[0] - 1900, .tm_mon = v[1] - 1, .tm_mday = v[2], .tm_hour = v[3], .tm_min = v[4],
                     .tm_sec = v[5] };
    *out = (int64_t)timegm(&tm);
    return 0;
}

/* One line of index.txt: a revocation put on its certificate; a listed
 * certificate whose file is missing is reported. */
static int index_line(struct era *e, char *line, size_t lineno, struct cd_err *err)
{
    char *f[6] = { 0 };
    int nf = 0;
    for (char *p = line; nf < 6; ) {
        f[nf++] = p;
        char *t = nf < 6 ? strchr(p, '\t') : NULL;
        if (!t) break;
        *t = 0;
        p = t + 1;
    }
    if (nf < 6 || (strcmp(f[0], "V") && strcmp(f[0], "R") && strcmp(f[0], "E"))) {
        char why[80];
        snprintf(why, sizeof why, "line %zu of index.txt is not an OpenSSL ca database line", lineno);
        struct cdi_import_obj *o = cdi_import_add(e->im);
        if (!o) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        o->what = CD_IMPORT_OTHER;
        o->source = cdi_strdup("index.txt");
        return o->source ? set_why(&o->why, err, "%s", why) : cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    char want[48], have[48];
    serial_norm(f[3], want, sizeof want);
    struct cdi_import_obj *hit = NULL;
    for (size_t i = 0; i < e->im->n && !hit; i++) {
        struct cdi_import_obj *o = &e->im->rows[i];
        if (!o->der || o->why) continue;
        serial_norm(o->serial, have, sizeof have);
        if (!strcmp(have, want) && o->what == CD_IMPORT_CERT) hit = o;
    }
    if (!hit) {
        struct cdi_import_obj *o = cdi_import_add(e->im);
        if (!o) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        o->what = CD_IMPORT_CERT;
        o->source = cdi_strdup(f[5]);
        if (!o->source) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        return set_why(&o->why, err, "serial %.40s is in index.txt (%s) but its certificate file is missing "
                       "(not in issued/, revoked/certs_by_serial/ or certs_by_serial/)", f[3],
                       f[0][0] == 'R' ? "revoked" : f[0][0] == 'E' ? "expired" : "valid");
    }
    if (f[0][0] != 'R') return CD_OK;
    char *comma = strchr(f[2], ',');
    int64_t when = 0;
    if (parse_asn1_time(f[2], comma ? (size_t)(comma - f[2]) : strlen(f[2]), &when)) {
        char *name = cdi_strdup(hit->cn);
        struct cdi_import_obj *o = name ? cdi_import_add(e->im) : NULL;      /* hit moves */
        if (!o) { free(name); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
        o->what = CD_IMPORT_REVOCATION;
        o->source = name;
        return set_why(&o->why, err, "index.txt line %zu: the date \"%.20s\" does not read", lineno, f[2]);
    }
    int reason = comma ? cd_reason_parse(comma + 1) : 0;
    hit->revoked_at = when;
    hit->reason = reason < 0 ? 0 : reason;
    return CD_OK;
}

static int read_index(struct era *e, struct cd_err *err)
{
    struct cdi_buf b = { 0 };
    int rc = read_rel(e, "index.txt", CDI_IMPORT_MAX, &b, err);
    if (rc == CD_E_NOTFOUND)
        return cdi_fail(err, CD_E_INVAL, "%s is not an easy-rsa PKI: it has no index.txt", e->dir);
    if (rc) return rc;
    char *p = (char *)b.p;
    size_t lineno = 0;
    while (!rc && p && *p) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        size_t l = strlen(p);
        if (l && p[l - 1] == '\r') p[l - 1] = 0;
        lineno++;
        if (*p) rc = index_line(e, p, lineno, err);
        p = nl ? nl + 1 : NULL;
    }
    cdi_buf_free(&b);
    return rc;
}

int cdi_import_easyrsa_parse(cd_store *s, const cd_user *u, struct cdi_import *im, const char *dir,
                             const struct cd_import_opts *o, struct cd_err *err)
{
    struct era e = { .im = im, .dir = dir, .o = o, .s = s, .u = u };
    char *idx = path_of(&e, "index.txt");
    if (!idx) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int missing = access(idx, F_OK) != 0;
    free(idx);
    if (missing)
        return cdi_fail(err, CD_E_INVAL, "%s is not an easy-rsa PKI: it has no index.txt (give the pki folder, the "
                        "one holding ca.crt, index.txt, issued/ and private/)", dir);
    int rc = add_ca(&e, err);
    if (!rc) rc = add_certs(&e, "issued", ".crt", "private", err);
    if (!rc) rc = add_certs(&e, "revoked/certs_by_serial", ".crt", "revoked/private_by_serial", err);
    /* copies of every certificate signed, by serial: what the two above did
     * not have (a certificate whose issued/ file was removed) */
    if (!rc) rc = add_certs(&e, "certs_by_serial", ".pem", NULL, err);
    if (!rc) rc = read_index(&e, err);
    return rc;
}
