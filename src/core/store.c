/* certdeck core — the public store API: argument checks, then dispatch to
 * the backend's function table.  Rules that hold for every backend (a CN is
 * mandatory, a count is positive) live here so each backend need not repeat
 * them; rules that need the data (permissions, validity against the CA) live
 * where the data is. */
#include <stdlib.h>
#include <string.h>
#include "mirror_int.h"
#include "csr_int.h"

static int null_store(struct cd_err *err)
{
    return cdi_fail(err, CD_E_INVAL, "no store is open");
}

char *cd_store_default_spec(void)
{
    const char *x = getenv("XDG_DATA_HOME");
    if (x && *x) return cdi_printf("%s/certdeck/store.db", x);
    const char *h = getenv("HOME");
    return cdi_printf("%s/.local/share/certdeck/store.db", h && *h ? h : ".");
}

int cd_store_open(const char *spec, unsigned flags, cd_store **out, struct cd_err *err)
{
    struct cd_open_opts o = { .flags = flags };
    return cd_store_open_ex(spec, &o, out, err);
}

int cd_store_open_ex(const char *spec, const struct cd_open_opts *o, cd_store **out, struct cd_err *err)
{
    *out = NULL;
    static const struct cd_open_opts none = { 0 };
    if (!o) o = &none;
    unsigned flags = o->flags;
    char *def = NULL;
    if (!spec || !*spec) spec = def = cd_store_default_spec();
    if (!spec) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc;
    if (!strncmp(spec, "http://", 7)) {
        rc = cdi_fail(err, CD_E_UNSUPPORTED, "store \"%.200s\": certdeckd is reached over https:// only "
                      "(a mirror is mirror+http://...)", spec);
        free(def);
        return rc;
    }
    if ((flags & CD_OPEN_CREATE) && (flags & CD_OPEN_READONLY)) {
        free(def);
        return cdi_fail(err, CD_E_READONLY, "read-only: a new store cannot be made in a read-only session");
    }
    cd_store *s = calloc(1, sizeof *s);
    if (!s) { free(def); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    if (!strncmp(spec, "mirror+", 7)) {
        rc = (flags & CD_OPEN_CREATE)
                 ? cdi_fail(err, CD_E_READONLY, "read-only: a mirror is made by \"certdeck mirror publish\" "
                            "on its source store")
                 : cdi_mirror_open(s, spec, o, err);
    } else if (!strncmp(spec, "https://", 8)) {
        rc = (flags & CD_OPEN_CREATE)
                 ? cdi_fail(err, CD_E_UNSUPPORTED, "a remote store is made on its server (certdeck init there)")
                 : cdi_https_open(s, spec, o, err);
    } else {
        const char *path = !strncmp(spec, "file:", 5) ? spec + 5 : spec;
        rc = cdi_sqlite_open(s, path, flags, err);
    }
    free(def);
    if (rc) { free(s->name); cdi_mstate_free(s->mirror); free(s); return rc; }
    *out = s;
    return CD_OK;
}

int cd_store_remote(const cd_store *s) { return s && s->ops == &cdi_https_ops; }

void cd_store_close(cd_store *s)
{
    if (!s) return;
    if (s->ops) s->ops->close(s);
    free(s->name);
    cdi_mstate_free(s->mirror);
    free(s);
}

const char *cd_store_name(const cd_store *s) { return s ? s->name : ""; }

/* no store at all changes nothing either */
int cd_store_readonly(const cd_store *s) { return !s || !s->ops || s->ops->is_readonly(s); }

void cd_user_free(cd_user *u)
{
    if (!u) return;
    free(u->name);
    free(u);
}

const char *cd_user_name(const cd_user *u) { return u ? u->name : ""; }

/* Every call below checks its handles the same way. */
#define CHECK(s, u) do { \
    if (!(s)) return null_store(err); \
    if (!(u)) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user"); } while (0)

int cd_store_init(cd_store *s, const char *admin, struct cd_err *err)
{
    if (!s) return null_store(err);
    return s->ops->init(s, admin && *admin ? admin : "admin", err);
}

int cd_user_owner(cd_store *s, cd_user **out, struct cd_err *err)
{
    if (!s) return null_store(err);
    return s->ops->user_owner(s, out, err);
}

static int ascii_alpha(char ch) { return (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z'); }

/* Every subject field is valid UTF-8 without control or bidi characters:
 * GnuTLS would put any bytes into a UTF8String (openssl then refuses the
 * certificate), and a name must read the same on every terminal.  Lengths
 * are RFC 5280's upper bounds.  White space at either end is refused, not
 * trimmed: it is invisible in every listing, makes " web" a second "web",
 * and a CN of spaces alone would pass for one; the caller's text is kept
 * exactly or refused.  C is an ISO 3166 alpha-2 code, written in capitals;
 * "us" is refused with the spelling to use rather than changed, so that what
 * is issued is what was asked for. */
static int check_subject(const struct cd_subject *sub, struct cd_err *err)
{
    if (!sub->cn || !*sub->cn)
        return cdi_fail(err, CD_E_INVAL, "a common name (CN) is required");
    if (strlen(sub->cn) > 64)
        return cdi_fail(err, CD_E_INVAL, "the common name is longer than 64 characters (RFC 5280 ub-common-name)");
    const struct { const char *v; size_t max; const char *what; } f[] = {
        { sub->cn, 64, "common name (CN)" }, { sub->o, 64, "organization (O)" },
        { sub->ou, 64, "organizational unit (OU)" }, { sub->l, 128, "locality (L)" },
        { sub->st, 128, "state or province (ST)" },
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        int rc = cdi_check_text(err, f[i].what, f[i].v, f[i].max, 0);
        if (rc) return rc;
        if (cdi_space_at_ends(f[i].v))
            return cdi_fail(err, CD_E_INVAL, "the %s begins or ends with white space", f[i].what);
    }
    const char *c = sub->c;
    if (c && *c && (strlen(c) != 2 || !ascii_alpha(c[0]) || !ascii_alpha(c[1])))
        return cdi_fail(err, CD_E_INVAL, "the country (C) must be a two-letter code");
    if (c && *c && (c[0] > 'Z' || c[1] > 'Z'))
        return cdi_fail(err, CD_E_INVAL, "the country (C) is written in capitals: use \"%c%c\"",
                        c[0] & ~0x20, c[1] & ~0x20);
    return CD_OK;
}

/* A description is free text, always shown sanitised (a tab or a new line
 * is fine there), but it must be valid UTF-8 so that every consumer of the
 * store (JSON, a server) can carry it exactly. */
static int check_description(const char *d, struct cd_err *err)
{
    return cdi_check_text(err, "description", d, 4096, 1);
}

#define TAG_MAX 64

/* A tag name is trimmed of white space at both ends; what remains is 1..64
 * bytes of valid UTF-8 without control characters or commas (tables, CSV
 * and the list form of a row's tags join names with ","): `out` gets it,
 * and that is the name stored and looked up. */
static int tag_name(const char *t, char out[TAG_MAX + 1], struct cd_err *err)
{
    if (!t) t = "";
    while (*t && strchr(" \t\n\v\f\r", *t)) t++;
    size_t n = strlen(t);
    while (n && strchr(" \t\n\v\f\r", t[n - 1])) n--;
    if (!n) return cdi_fail(err, CD_E_INVAL, "a tag name is required (white space alone is not a name)");
    if (n > TAG_MAX) return cdi_fail(err, CD_E_INVAL, "a tag name is at most %d bytes", TAG_MAX);
    memcpy(out, t, n);
    out[n] = 0;
    if (strchr(out, ',')) return cdi_fail(err, CD_E_INVAL, "a tag name cannot hold a comma");
    return cdi_check_text(err, "tag name", out, TAG_MAX, 0);
}

/* A passphrase that will protect a key: GnuTLS encrypts PKCS#8 and PKCS#12
 * only under UTF-8 text, so one it would refuse at export is refused here,
 * before it locks a key away for good.  No byte of it is quoted. */
static int check_passphrase(const char *pass, struct cd_err *err)
{
    struct cd_err ue = { 0 };
    if (pass && *pass && cdi_check_text(&ue, "passphrase", pass, CD_SECRET_FILE_MAX, 1))
        return cdi_fail(err, CD_E_INVAL, "a passphrase must be valid UTF-8 text of at most %d bytes",
                        CD_SECRET_FILE_MAX);
    return CD_OK;
}

static int check_validity(int64_t nb, int64_t na, int days, struct cd_err *err)
{
    if (days < 0 || days > 36500)
        return cdi_fail(err, CD_E_INVAL, "days must be between 1 and 36500");
    if (nb && na && na <= nb)
        return cdi_fail(err, CD_E_INVAL, "\"valid to\" must come after \"valid from\"");
    return CD_OK;
}

int cd_ca_new(cd_store *s, const cd_user *u, const struct cd_ca_params *p, int64_t *id,
              struct cd_err *err)
{
    CHECK(s, u);
    int rc = check_subject(&p->subject, err);
    if (!rc) rc = check_description(p->description, err);
    if (!rc) rc = check_validity(p->not_before, p->not_after, p->days, err);
    if (!rc) rc = check_passphrase(p->passphrase, err);
    if (!rc && (p->keytype < 0 || p->keytype >= CD_KEY_COUNT))
        rc = cdi_fail(err, CD_E_INVAL, "unknown key type");
    return rc ? rc : s->ops->ca_new(s, u, p, id, err);
}

int cd_ca_import(cd_store *s, const cd_user *u, const void *data, size_t len, const char *desc,
                 const char *group, int64_t *id, struct cd_err *err)
{
    CHECK(s, u);
    int rc = check_description(desc, err);
    if (rc) return rc;
    return s->ops->ca_import(s, u, data, len, desc, group, id, err);
}

int cd_ca_list(cd_store *s, const cd_user *u, const struct cd_query *q, struct cd_ca_list *out,
               struct cd_err *err)
{
    CHECK(s, u);
    if (q && q->offset < 0) return cdi_fail(err, CD_E_INVAL, "the offset cannot be negative");
    return s->ops->ca_list(s, u, q, out, err);
}

int cd_ca_get(cd_store *s, const cd_user *u, int64_t id, struct cd_ca *out, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->ca_get(s, u, id, out, err);
}

int cd_ca_export(cd_store *s, const cd_user *u, int64_t id, char **pem, size_t *len,
                 struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->ca_export(s, u, id, pem, len, err);
}

int cd_ca_delete(cd_store *s, const cd_user *u, int64_t id, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->ca_delete(s, u, id, err);
}

int cd_ca_describe(cd_store *s, const cd_user *u, int64_t id, const char *text, struct cd_err *err)
{
    CHECK(s, u);
    int rc = check_description(text, err);
    if (rc) return rc;
    return s->ops->describe(s, u, CD_KIND_CA, id, text ? text : "", err);
}

int cd_ca_move(cd_store *s, const cd_user *u, int64_t id, const char *group, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->move(s, u, CD_KIND_CA, &id, 1, group, err);
}

/* The checks every way of making a peer certificate shares (core_int.h). */
int cdi_cert_params_check(const struct cd_cert_params *p, unsigned what, struct cdi_params *out,
                          struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    out->p = *p;
    int rc = (what & CDI_PARAMS_SUBJECT) ? check_subject(&p->subject, err) : CD_OK;
    if (!rc) rc = check_description(p->description, err);
    if (!rc) rc = check_validity(p->not_before, p->not_after, p->days, err);
    if (!rc) rc = check_passphrase(p->passphrase, err);
    if (!rc && (p->product < 0 || p->product >= CD_PRODUCT_COUNT))
        rc = cdi_fail(err, CD_E_INVAL, "unknown product");
    /* the SAN rule pki.c writes by, before a single key is generated */
    if (!rc) rc = cdi_hosts_each(p->host, NULL, NULL, err);
    if (!rc && (what & CDI_PARAMS_KEYTYPE) && (p->keytype < 0 || p->keytype >= CD_KEY_COUNT))
        rc = cdi_fail(err, CD_E_INVAL, "unknown key type");
    if (rc) return rc;
    /* the tags to create and assign, checked and trimmed like tag_create's */
    size_t nt = 0;
    while (p->tags && p->tags[nt]) nt++;
    if (!nt) return CD_OK;
    char (*names)[TAG_MAX + 1] = calloc(nt, sizeof *names);
    const char **tags = calloc(nt + 1, sizeof *tags);
    out->names = names;
    out->tags = tags;
    if (!names || !tags) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    for (size_t i = 0; !rc && i < nt; i++) {
        rc = tag_name(p->tags[i], names[i], err);
        tags[i] = names[i];
    }
    out->p.tags = tags;
    return rc;
}

void cdi_params_clear(struct cdi_params *q)
{
    free(q->names);
    free(q->tags);
    memset(q, 0, sizeof *q);
}

int cd_cert_new(cd_store *s, const cd_user *u, const struct cd_cert_params *p, size_t n,
                cd_progress_fn progress, void *ctx, int64_t *ids, struct cd_err *err)
{
    CHECK(s, u);
    if (n < 1 || n > 1000000)
        return cdi_fail(err, CD_E_INVAL, "the count must be between 1 and 1000000");
    if (cd_product_external(p->product))
        return cdi_fail(err, CD_E_INVAL, "%s certificates are signed by Apple, not by a CA here: make a request "
                        "(certdeck cert new --product %s --cn CN --csr-out FILE), then import what Apple returns "
                        "(certdeck cert import-signed ID FILE)", cd_product_label(p->product),
                        cd_product_name(p->product));
    struct cdi_params q;
    int rc = cdi_cert_params_check(p, CDI_PARAMS_SUBJECT | CDI_PARAMS_KEYTYPE, &q, err);
    if (!rc) rc = s->ops->cert_new(s, u, &q.p, n, progress, ctx, ids, err);
    cdi_params_clear(&q);
    return rc;
}

int cd_cert_list(cd_store *s, const cd_user *u, const struct cd_query *q, struct cd_cert_list *out,
                 struct cd_err *err)
{
    CHECK(s, u);
    if (q && q->offset < 0) return cdi_fail(err, CD_E_INVAL, "the offset cannot be negative");
    return s->ops->cert_list(s, u, q, out, err);
}

int cd_cert_count(cd_store *s, const cd_user *u, const struct cd_query *q, int64_t *count,
                  struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->cert_count(s, u, q, count, err);
}

int cd_cert_get(cd_store *s, const cd_user *u, int64_t id, struct cd_cert *out, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->cert_get(s, u, id, out, err);
}

int cd_resolve(cd_store *s, const cd_user *u, int kind, const char *ref, int64_t *id,
               struct cd_err *err)
{
    CHECK(s, u);
    if (!ref || !*ref) return cdi_fail(err, CD_E_INVAL, "an ID is required");
    return s->ops->resolve(s, u, kind, ref, id, err);
}

int cd_cert_export(cd_store *s, const cd_user *u, int64_t id, int fmt, const char *pass,
                   unsigned char **out, size_t *len, struct cd_err *err)
{
    CHECK(s, u);
    if (fmt < CD_EXPORT_PEM || fmt > CD_EXPORT_KEY)
        return cdi_fail(err, CD_E_INVAL, "unknown export format");
    *out = NULL;
    *len = 0;
    int rc = s->ops->cert_export(s, u, id, fmt, pass, out, len, err);
    if (s->ops->export_audit) rc = s->ops->export_audit(s, u, id, fmt, rc, NULL, err);
    if (rc && *out) { cdi_wipe(*out, *len); free(*out); *out = NULL; *len = 0; }
    return rc;
}

int cd_cert_export_file(cd_store *s, const cd_user *u, int64_t id, int fmt, const char *pass,
                        const char *path, unsigned flags, struct cd_err *err)
{
    CHECK(s, u);
    if (fmt < CD_EXPORT_PEM || fmt > CD_EXPORT_KEY)
        return cdi_fail(err, CD_E_INVAL, "unknown export format");
    unsigned char *data = NULL;
    size_t len = 0;
    /* a refused target is known before the (slow, key-protecting) export */
    int rc = cd_file_check(s, path, err);
    if (rc == CD_E_EXISTS && !(flags & CD_WRITE_NOREPLACE)) rc = CD_OK;
    if (!rc) rc = s->ops->cert_export(s, u, id, fmt, pass, &data, &len, err);
    if (!rc) rc = cd_write_file(s, path, data, len, flags, err);
    if (data) { cdi_wipe(data, len); free(data); }
    /* audited once the file is in place or not: a failed write is a Failure */
    return s->ops->export_audit ? s->ops->export_audit(s, u, id, fmt, rc, path, err) : rc;
}

int cd_cert_text(cd_store *s, const cd_user *u, int64_t id, char **text, struct cd_err *err)
{
    CHECK(s, u);
    *text = NULL;
    /* decoding is the same for every backend: fetch the DER, print it here;
     * a pending certificate (APN/ABM) has none yet: its request instead */
    struct cd_cert ce;
    int rc = s->ops->cert_get(s, u, id, &ce, err);
    if (rc) return rc;
    int pending = ce.state == CD_STATE_PENDING;
    cd_cert_clear(&ce);
    if (pending) return cdi_csr_text(s, u, id, text, err);
    unsigned char *der = NULL;
    size_t len = 0;
    rc = s->ops->cert_export(s, u, id, CD_EXPORT_DER, NULL, &der, &len, err);
    if (rc) return rc;
    rc = cdi_crt_print(der, len, text, err);
    free(der);
    return rc;
}

int cd_cert_revoke(cd_store *s, const cd_user *u, const int64_t *ids, size_t n, int reason,
                   struct cd_err *err)
{
    CHECK(s, u);
    if (!n) return cdi_fail(err, CD_E_INVAL, "no certificate to revoke");
    if (reason < 0 || reason == 7 || reason == 8 || reason > 10)
        return cdi_fail(err, CD_E_INVAL, "unknown revocation reason");
    return s->ops->cert_revoke(s, u, ids, n, reason, err);
}

int cd_cert_describe(cd_store *s, const cd_user *u, int64_t id, const char *text, struct cd_err *err)
{
    CHECK(s, u);
    int rc = check_description(text, err);
    if (rc) return rc;
    return s->ops->describe(s, u, CD_KIND_CERT, id, text ? text : "", err);
}

int cd_cert_move(cd_store *s, const cd_user *u, const int64_t *ids, size_t n, const char *group,
                 struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->move(s, u, CD_KIND_CERT, ids, n, group, err);
}

int cd_cert_usage_count(cd_store *s, const cd_user *u, int64_t id, int64_t *count,
                        struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->cert_usage_count(s, u, id, count, err);
}

int cd_crl(cd_store *s, const cd_user *u, int64_t ca_id, const char *pass, int days, int pem,
           unsigned char **out, size_t *len, struct cd_err *err)
{
    CHECK(s, u);
    if (days < 0 || days > 3650) return cdi_fail(err, CD_E_INVAL, "CRL days must be 1..3650");
    return s->ops->crl(s, u, ca_id, pass, days ? days : 7, pem, out, len, err);
}

int cd_group_add(cd_store *s, const cd_user *u, const char *path, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->group_add(s, u, path, err);
}

int cd_group_rm(cd_store *s, const cd_user *u, const char *path, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->group_rm(s, u, path, err);
}

int cd_group_list(cd_store *s, const cd_user *u, struct cd_group_list *out, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->group_list(s, u, out, err);
}

int cd_tag_list(cd_store *s, const cd_user *u, struct cd_tag_list *out, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->tag_list(s, u, out, err);
}

int cd_tag_create(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    CHECK(s, u);
    char t[TAG_MAX + 1];
    int rc = tag_name(name, t, err);
    return rc ? rc : s->ops->tag_create(s, u, t, err);
}

int cd_tag_delete(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    CHECK(s, u);
    char t[TAG_MAX + 1];
    int rc = tag_name(name, t, err);
    return rc ? rc : s->ops->tag_delete(s, u, t, err);
}

int cd_tag_set(cd_store *s, const cd_user *u, int kind, const int64_t *ids, size_t n,
               const char *tag, int assign, struct cd_err *err)
{
    CHECK(s, u);
    char t[TAG_MAX + 1];
    int rc = tag_name(tag, t, err);
    return rc ? rc : s->ops->tag_set(s, u, kind, ids, n, t, assign, err);
}

int cd_preset_list(cd_store *s, const cd_user *u, struct cd_preset_list *out, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->preset_list(s, u, out, err);
}

int cd_preset_save(cd_store *s, const cd_user *u, const char *name, const char *expr,
                   const char *columns, const char *sort, struct cd_err *err)
{
    CHECK(s, u);
    if (!name || !*name) return cdi_fail(err, CD_E_INVAL, "a preset name is required");
    int rc = cdi_check_text(err, "preset name", name, 128, 0), col;
    if (!rc) rc = cd_filter_check(expr ? expr : "", err);
    /* a sort no screen can apply is refused here, with the valid columns */
    if (!rc && sort && *sort) rc = cd_sort_parse(sort, &col, NULL, err);
    return rc ? rc : s->ops->preset_save(s, u, name, expr ? expr : "", columns, sort, err);
}

int cd_preset_share(cd_store *s, const cd_user *u, const char *name, int shared, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->preset_share(s, u, name ? name : "", shared, err);
}

int cd_preset_rm(cd_store *s, const cd_user *u, const char *name, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->preset_rm(s, u, name, err);
}

int cd_state_get(cd_store *s, const cd_user *u, const char *key, char **value, struct cd_err *err)
{
    CHECK(s, u);
    *value = NULL;
    return s->ops->state_get(s, u, key, value, err);
}

int cd_state_set(cd_store *s, const cd_user *u, const char *key, const char *value, struct cd_err *err)
{
    CHECK(s, u);
    if (!key || !*key || strlen(key) > 64 || (value && strlen(value) > 4096))
        return cdi_fail(err, CD_E_INVAL, "a state key is 1..64 bytes, a value at most 4096");
    return s->ops->state_set(s, u, key, value, err);
}

int cd_audit_list(cd_store *s, const cd_user *u, const char *object, const char *filter, int64_t limit,
                  struct cd_audit_list *out, struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->audit_list(s, u, object, filter, limit, out, err);
}

int cd_audit_verify(cd_store *s, const cd_user *u, int64_t *checked, int64_t *bad_id,
                    struct cd_err *err)
{
    CHECK(s, u);
    return s->ops->audit_verify(s, u, checked, bad_id, err);
}

/* ---- freeing rows ------------------------------------------------------ */

void cd_cert_clear(struct cd_cert *c)
{
    if (!c) return;
    free(c->description); free(c->product); free(c->host); free(c->cn); free(c->subject);
    free(c->issuer); free(c->serial); free(c->fingerprint); free(c->key_alg); free(c->tags);
    free(c->group); free(c->revoke_reason);
    memset(c, 0, sizeof *c);
}

void cd_ca_clear(struct cd_ca *ca)
{
    if (!ca) return;
    free(ca->description); free(ca->cn); free(ca->subject); free(ca->serial);
    free(ca->fingerprint); free(ca->key_alg); free(ca->tags); free(ca->group);
    memset(ca, 0, sizeof *ca);
}

static void group_clear(struct cd_group *g) { free(g->path); }
static void tag_clear(struct cd_tag *t) { free(t->name); }
static void preset_clear(struct cd_preset *p)
{
    free(p->name); free(p->expr); free(p->columns); free(p->sort); free(p->owner);
}
static void audit_clear(struct cd_audit *a)
{
    free(a->user); free(a->action); free(a->object); free(a->result); free(a->detail); free(a->section);
}

LIST_FREE(cd_cert_list_free, struct cd_cert_list, cd_cert_clear)
LIST_FREE(cd_ca_list_free, struct cd_ca_list, cd_ca_clear)
LIST_FREE(cd_group_list_free, struct cd_group_list, group_clear)
LIST_FREE(cd_tag_list_free, struct cd_tag_list, tag_clear)
LIST_FREE(cd_preset_list_free, struct cd_preset_list, preset_clear)
LIST_FREE(cd_audit_list_free, struct cd_audit_list, audit_clear)

const char *cd_store_readonly_reason(const cd_store *s)
{
    if (!cd_store_readonly(s)) return NULL;
    if (s && s->mirror && s->mirror->reason) return s->mirror->reason;
    const char *r = s && s->ops && s->ops->readonly_reason ? s->ops->readonly_reason(s) : NULL;
    return r ? r : "read-only: the store is open read-only";
}

int cd_store_mirror_info(const cd_store *s, struct cd_mirror_info *out, struct cd_err *err)
{
    memset(out, 0, sizeof *out);
    if (!s || !s->ops) return null_store(err);
    if (s->mirror) {
        const struct cd_mirror_info *m = &s->mirror->info;
        *out = *m;
        out->source = cdi_strdup(m->source);
        out->signer = cdi_strdup(m->signer);
        out->warning = cdi_strdup(m->warning);
        if ((m->source && !out->source) || (m->signer && !out->signer) || (m->warning && !out->warning)) {
            cd_mirror_info_clear(out);
            return cdi_fail(err, CD_E_NOMEM, "out of memory");
        }
        return CD_OK;
    }
    if (!s->ops->mirror_meta)
        return cdi_fail(err, CD_E_NOTFOUND, "%s is not a mirror", s->name);
    return s->ops->mirror_meta(s, out, err);
}

void cd_mirror_info_clear(struct cd_mirror_info *i)
{
    if (!i) return;
    free(i->source);
    free(i->signer);
    free(i->warning);
    memset(i, 0, sizeof *i);
}

int cdi_store_is_mirror(const cd_store *s)
{
    if (!s || !s->ops) return 0;
    if (s->mirror) return 1;
    struct cd_mirror_info i;
    if (!s->ops->mirror_meta || s->ops->mirror_meta(s, &i, NULL)) return 0;
    cd_mirror_info_clear(&i);
    return 1;
}
