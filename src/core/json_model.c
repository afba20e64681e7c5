/* certdeck core — the console API's wire model: one table per struct of the
 * store API, read by one encoder and one decoder (json_int.h), plus the
 * small pieces of text handling the API needs (strict parsing, compact
 * ASCII dumps, query strings, Base64).  Both ends of the API use this file:
 * what the server writes is what the https backend reads. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <gnutls/gnutls.h>
#include "json_int.h"

#define F(st, ty, fl) { #fl, CDI_JT_##ty, offsetof(st, fl), 0, 0, NULL }
#define E(st, fl, en) { #fl, CDI_JT_ENUM, offsetof(st, fl), 0, 0, &cdi_je_##en }

/* ---- enumerations ------------------------------------------------------ */

static const char *state_name(int v) { return cd_state_name(v); }
static int state_parse(const char *s)
{
    for (int i = CD_STATE_VALID; i <= CD_STATE_PENDING; i++)      /* every state a row can be in */
        if (!strcmp(s, cd_state_name(i))) return i;
    return -1;
}

static const char *const right_names[] = { "none", "read", "use", "write" };
static const char *right_name(int v) { return v >= 0 && v <= CD_RIGHT_WRITE ? right_names[v] : "none"; }
static int right_parse(const char *s)
{
    for (int i = 0; i <= CD_RIGHT_WRITE; i++)
        if (!strcasecmp(s, right_names[i])) return i;
    return -1;
}

static const char *kind_name(int v) { return v == CD_KIND_CA ? "ca" : "cert"; }
static int kind_parse(const char *s) { return !strcmp(s, "cert") ? CD_KIND_CERT : !strcmp(s, "ca") ? CD_KIND_CA : -1; }

const struct cdi_jenum cdi_je_product = { "product", cd_product_name, cd_product_parse, CD_NAMES_PRODUCT };
const struct cdi_jenum cdi_je_keytype = { "key type", cd_keytype_name, cd_keytype_parse, CD_NAMES_KEYTYPE };
const struct cdi_jenum cdi_je_reason = { "revocation reason", cd_reason_name, cd_reason_parse, CD_NAMES_REASON };
const struct cdi_jenum cdi_je_state = { "state", state_name, state_parse, -1 };
const struct cdi_jenum cdi_je_col = { "column", cd_col_key, cd_col_parse, CD_NAMES_COLUMN };
const struct cdi_jenum cdi_je_right = { "right", right_name, right_parse, -1 };
const struct cdi_jenum cdi_je_otype = { "object type", cd_otype_name, cd_otype_parse, -1 };
const struct cdi_jenum cdi_je_export = { "export format", cd_export_name, cd_export_parse, CD_NAMES_EXPORT };
const struct cdi_jenum cdi_je_kind = { "kind (cert or ca)", kind_name, kind_parse, -1 };

/* ---- the tables -------------------------------------------------------- */

#define S struct cd_cert
const struct cdi_jfield cdi_jt_cert[] = {
    F(S, I64, id), F(S, I64, ca_id), F(S, STR, description), F(S, STR, product), F(S, STR, host),
    F(S, STR, cn), F(S, STR, subject), F(S, STR, issuer), F(S, STR, serial), F(S, STR, fingerprint),
    F(S, STR, key_alg), F(S, STR, tags), F(S, STR, group), F(S, STR, revoke_reason),
    F(S, I64, not_before), F(S, I64, not_after), F(S, I64, created), F(S, I64, revoked_at),
    F(S, BOOL, has_passphrase), E(S, state, state), F(S, BOOL, has_key), F(S, I64, replaces),
    F(S, I64, replaced_by), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_ca
const struct cdi_jfield cdi_jt_ca[] = {
    F(S, I64, id), F(S, STR, description), F(S, STR, cn), F(S, STR, subject), F(S, STR, serial),
    F(S, STR, fingerprint), F(S, STR, key_alg), F(S, STR, tags), F(S, STR, group),
    F(S, I64, not_before), F(S, I64, not_after), F(S, I64, created), F(S, BOOL, can_sign),
    F(S, BOOL, has_passphrase), F(S, I64, cert_count), E(S, state, state), F(S, I64, successor),
    F(S, I64, predecessor), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_group
const struct cdi_jfield cdi_jt_group[] = {
    F(S, I64, id), F(S, STR, path), F(S, INT, depth), F(S, I64, cas), F(S, I64, certs),
    { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_tag
const struct cdi_jfield cdi_jt_tag[] = {
    F(S, I64, id), F(S, STR, name), F(S, I64, certs), F(S, I64, cas), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_preset
const struct cdi_jfield cdi_jt_preset[] = {
    F(S, STR, name), F(S, STR, expr), F(S, STR, columns), F(S, STR, sort), F(S, STR, owner),
    F(S, BOOL, shared), F(S, BOOL, mine), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_audit
const struct cdi_jfield cdi_jt_audit[] = {
    F(S, I64, id), F(S, I64, time), F(S, STR, user), F(S, STR, action), F(S, STR, object),
    F(S, STR, result), F(S, STR, detail), F(S, STR, section), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_user_info
const struct cdi_jfield cdi_jt_user_info[] = {
    F(S, I64, id), F(S, STR, name), F(S, STR, home), F(S, STR, permsets), F(S, BOOL, admin),
    F(S, BOOL, disabled), F(S, BOOL, has_password), F(S, I64, created), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
/* a level per object type, at the offset of level[] */
const struct cdi_jfield cdi_jt_levels[] = {
    { "certificates", CDI_JT_ENUM, CD_OT_CERTS * sizeof(int), 0, 0, &cdi_je_right },
    { "cas", CDI_JT_ENUM, CD_OT_CAS * sizeof(int), 0, 0, &cdi_je_right },
    { "tags", CDI_JT_ENUM, CD_OT_TAGS * sizeof(int), 0, 0, &cdi_je_right },
    { "presets", CDI_JT_ENUM, CD_OT_PRESETS * sizeof(int), 0, 0, &cdi_je_right },
    { "users", CDI_JT_ENUM, CD_OT_USERS * sizeof(int), 0, 0, &cdi_je_right },
    { NULL, 0, 0, 0, 0, NULL }
};
#define S struct cd_permset
const struct cdi_jfield cdi_jt_permset[] = {
    F(S, I64, id), F(S, STR, name), F(S, STR, groups), F(S, STR, users),
    { "levels", CDI_JT_OBJ, offsetof(S, level), 0, 0, cdi_jt_levels }, { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_usage
const struct cdi_jfield cdi_jt_usage[] = {
    F(S, I64, id), F(S, I64, cert_id), F(S, STR, client), F(S, STR, address), F(S, I64, first_seen),
    F(S, I64, last_seen), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_client_settings
const struct cdi_jfield cdi_jt_client[] = {
    F(S, BOOL, has_password), F(S, BOOL, unauthenticated), F(S, I64, unauth_since),
    { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_mirror_settings
const struct cdi_jfield cdi_jt_mirror[] = {
    F(S, STR, url), F(S, STR, user), F(S, BOOL, has_password), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_query
const struct cdi_jfield cdi_jt_query[] = {
    F(S, STR, filter), F(S, STR, group), F(S, BOOL, revoked), E(S, sort, col), F(S, BOOL, desc),
    F(S, I64, offset), F(S, I64, limit), { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_subject
const struct cdi_jfield cdi_jt_subject[] = {
    F(S, STR, cn), F(S, STR, o), F(S, STR, ou), F(S, STR, l), F(S, STR, st), F(S, STR, c),
    { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_ca_params
const struct cdi_jfield cdi_jt_ca_params[] = {
    { "subject", CDI_JT_OBJ, offsetof(S, subject), 0, 0, cdi_jt_subject }, F(S, STR, description),
    F(S, STR, group), E(S, keytype, keytype), F(S, I64, not_before), F(S, I64, not_after),
    F(S, INT, days), { "passphrase", CDI_JT_STR, offsetof(S, passphrase), 0, CDI_JF_SECRET, NULL },
    { NULL, 0, 0, 0, 0, NULL }
};
#undef S
#define S struct cd_cert_params
const struct cdi_jfield cdi_jt_cert_params[] = {
    F(S, I64, ca_id), { "ca_passphrase", CDI_JT_STR, offsetof(S, ca_passphrase), 0, CDI_JF_SECRET, NULL },
    E(S, product, product), F(S, STR, host), { "subject", CDI_JT_OBJ, offsetof(S, subject), 0, 0, cdi_jt_subject },
    F(S, STR, description), F(S, STRV, tags), F(S, STR, group), E(S, keytype, keytype),
    F(S, I64, not_before), F(S, I64, not_after), F(S, INT, days),
    { "passphrase", CDI_JT_STR, offsetof(S, passphrase), 0, CDI_JF_SECRET, NULL }, { NULL, 0, 0, 0, 0, NULL }
};
#undef S

/* ---- encoding ---------------------------------------------------------- */

json_t *cdi_json_str(const char *s)
{
    if (!s) s = "";
    json_t *j = json_stringn(s, strlen(s));
    if (j) return j;
    /* not UTF-8 (a hostile certificate, a message cut mid-character): the
     * bad bytes become U+FFFD, the rest stays exact */
    char *r = cd_utf8_repair(s, (size_t)-1);
    j = r ? json_string(r) : NULL;
    free(r);
    return j;
}

#define AT(obj, off) ((unsigned char *)(obj) + (off))

static json_t *encode_field(const struct cdi_jfield *f, const void *obj)
{
    const void *p = AT(obj, f->off);
    switch (f->type) {
    case CDI_JT_I64: return json_integer(*(const int64_t *)p);
    case CDI_JT_INT: return json_integer(*(const int *)p);
    case CDI_JT_BOOL: return json_boolean(*(const int *)p);
    case CDI_JT_STR: return *(char *const *)p ? cdi_json_str(*(char *const *)p) : NULL;
    case CDI_JT_ENUM: return cdi_json_str(((const struct cdi_jenum *)f->aux)->name(*(const int *)p));
    case CDI_JT_OBJ: return cdi_json_encode(f->aux, p);
    case CDI_JT_STRV: {
        const char *const *v = *(const char *const *const *)p;
        if (!v) return NULL;
        json_t *a = json_array();
        for (; a && *v; v++)
            if (json_array_append_new(a, cdi_json_str(*v))) { json_decref(a); return NULL; }
        return a;
    }
    case CDI_JT_I64V: {
        const int64_t *v = *(const int64_t *const *)p;
        size_t n = *(const size_t *)AT(obj, f->off2);
        json_t *a = json_array();
        for (size_t i = 0; a && v && i < n; i++)
            if (json_array_append_new(a, json_integer(v[i]))) { json_decref(a); return NULL; }
        return a;
    }
    }
    return NULL;
}

int cdi_json_encode_into(const struct cdi_jfield *t, const void *obj, json_t *o)
{
    for (const struct cdi_jfield *f = t; f->name; f++) {
        if (f->type == CDI_JT_INLINE) {
            if (cdi_json_encode_into(f->aux, AT(obj, f->off), o)) return -1;
            continue;
        }
        /* a NULL string or list is left out, and read back as NULL */
        if ((f->type == CDI_JT_STR || f->type == CDI_JT_STRV) && !*(void *const *)AT(obj, f->off)) continue;
        json_t *v = encode_field(f, obj);
        if (!v || json_object_set_new(o, f->name, v)) return -1;
    }
    return 0;
}

json_t *cdi_json_encode(const struct cdi_jfield *t, const void *obj)
{
    json_t *o = json_object();
    if (o && cdi_json_encode_into(t, obj, o)) { json_decref(o); o = NULL; }
    return o;
}

json_t *cdi_json_rows(const struct cdi_jfield *t, const void *rows, size_t n, size_t elsz)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, cdi_json_encode(t, (const unsigned char *)rows + i * elsz))) {
            json_decref(a);
            a = NULL;
        }
    return a;
}

/* ---- decoding ---------------------------------------------------------- */

/* The field called name in t, looking into inline parts; *base gets the
 * offset of the struct it belongs to. */
static const struct cdi_jfield *find(const struct cdi_jfield *t, const char *name, size_t *base)
{
    for (const struct cdi_jfield *f = t; f->name; f++) {
        if (f->type == CDI_JT_INLINE) {
            size_t b = 0;
            const struct cdi_jfield *g = find(f->aux, name, &b);
            if (g) { *base += f->off + b; return g; }
        } else if (!strcmp(f->name, name)) {
            return f;
        }
    }
    return NULL;
}

static int bad_type(struct cd_err *err, const char *name, const char *want)
{
    return cdi_fail(err, CD_E_INVAL, "field \"%.100s\": expected %s", name, want);
}

static int parse_i64(const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (!*s || *end || errno || (*s != '-' && (*s < '0' || *s > '9'))) return -1;
    *out = v;
    return 0;
}

static int decode_enum(const struct cdi_jfield *f, const char *s, int *out, struct cd_err *err)
{
    const struct cdi_jenum *e = f->aux;
    int v = e->parse(s);
    if (v >= 0) { *out = v; return CD_OK; }
    if (e->names < 0) return cdi_fail(err, CD_E_INVAL, "field \"%s\": unknown %s \"%.100s\"", f->name, e->what, s);
    size_t n;
    const char *const *names = cd_names(e->names, &n);
    return cd_name_error(err, e->what, s, names, n);
}

/* One scalar given as text (a query string). */
static int decode_text(const struct cdi_jfield *f, const char *s, void *p, struct cd_err *err)
{
    int64_t v;
    switch (f->type) {
    case CDI_JT_STR: *(const char **)p = s; return CD_OK;
    case CDI_JT_ENUM: return decode_enum(f, s, p, err);
    case CDI_JT_BOOL:
        if (!strcmp(s, "1") || !strcmp(s, "true")) { *(int *)p = 1; return CD_OK; }
        if (!strcmp(s, "0") || !strcmp(s, "false")) { *(int *)p = 0; return CD_OK; }
        return bad_type(err, f->name, "1 or 0");
    case CDI_JT_I64:
    case CDI_JT_INT:
        if (parse_i64(s, &v)) return bad_type(err, f->name, "an integer");
        if (f->type == CDI_JT_I64) { *(int64_t *)p = v; return CD_OK; }
        if (v < -2147483647 || v > 2147483647) return bad_type(err, f->name, "a smaller integer");
        *(int *)p = (int)v;
        return CD_OK;
    }
    return cdi_fail(err, CD_E_INVAL, "field \"%s\" cannot be given in a query string", f->name);
}

static int decode_field(const struct cdi_jfield *f, const json_t *v, void *obj, unsigned mode, struct cd_err *err)
{
    void *p = AT(obj, f->off);
    if (json_is_null(v)) return CD_OK;
    if (mode & CDI_J_TEXT) {
        if (!json_is_string(v)) return bad_type(err, f->name, "text");
        return decode_text(f, json_string_value(v), p, err);
    }
    switch (f->type) {
    case CDI_JT_I64:
    case CDI_JT_INT:
        if (!json_is_integer(v)) return bad_type(err, f->name, "an integer");
        if (f->type == CDI_JT_I64) { *(int64_t *)p = json_integer_value(v); return CD_OK; }
        if (json_integer_value(v) < -2147483647 || json_integer_value(v) > 2147483647)
            return bad_type(err, f->name, "a smaller integer");
        *(int *)p = (int)json_integer_value(v);
        return CD_OK;
    case CDI_JT_BOOL:
        if (!json_is_boolean(v)) return bad_type(err, f->name, "true or false");
        *(int *)p = json_is_true(v);
        return CD_OK;
    case CDI_JT_STR:
        if (!json_is_string(v)) return bad_type(err, f->name, "a string");
        *(char **)p = mode & CDI_J_COPY ? strdup(json_string_value(v)) : (char *)json_string_value(v);
        return *(char **)p ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
    case CDI_JT_ENUM:
        if (!json_is_string(v)) return bad_type(err, f->name, "a string");
        return decode_enum(f, json_string_value(v), p, err);
    case CDI_JT_OBJ:
        if (!json_is_object(v)) return bad_type(err, f->name, "an object");
        return cdi_json_decode(f->aux, v, p, mode, err);
    case CDI_JT_STRV: {
        if (!json_is_array(v)) return bad_type(err, f->name, "an array of strings");
        size_t n = json_array_size(v);
        char **a = calloc(n + 1, sizeof *a);
        if (!a) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        *(char ***)p = a;
        for (size_t i = 0; i < n; i++) {
            const json_t *e = json_array_get(v, i);
            if (!json_is_string(e)) return bad_type(err, f->name, "an array of strings");
            a[i] = mode & CDI_J_COPY ? strdup(json_string_value(e)) : (char *)json_string_value(e);
            if (!a[i]) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        }
        return CD_OK;
    }
    case CDI_JT_I64V: {
        if (!json_is_array(v)) return bad_type(err, f->name, "an array of integers");
        size_t n = json_array_size(v);
        int64_t *a = calloc(n ? n : 1, sizeof *a);
        if (!a) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        *(int64_t **)p = a;
        for (size_t i = 0; i < n; i++) {
            if (!json_is_integer(json_array_get(v, i))) return bad_type(err, f->name, "an array of integers");
            a[i] = json_integer_value(json_array_get(v, i));
        }
        *(size_t *)AT(obj, f->off2) = n;
        return CD_OK;
    }
    }
    return bad_type(err, f->name, "something else");
}

/* Zeroes the struct t describes, member by member (inline parts are only
 * part of a struct; the caller zeroes whole ones). */
int cdi_json_decode(const struct cdi_jfield *t, const json_t *o, void *obj, unsigned mode, struct cd_err *err)
{
    if (!json_is_object(o)) return cdi_fail(err, CD_E_INVAL, "expected a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)o, key, v) {
        size_t base = 0;
        const struct cdi_jfield *f = find(t, key, &base);
        if (!f) {
            if (mode & CDI_J_STRICT) return cdi_fail(err, CD_E_INVAL, "unknown field \"%.100s\"", key);
            continue;
        }
        int rc = decode_field(f, v, AT(obj, base), mode, err);
        if (rc) return rc;
    }
    return CD_OK;
}

void cdi_json_release(const struct cdi_jfield *t, void *obj, unsigned mode)
{
    for (const struct cdi_jfield *f = t; f->name; f++) {
        void **p = (void **)AT(obj, f->off);
        switch (f->type) {
        case CDI_JT_INLINE:
        case CDI_JT_OBJ:
            cdi_json_release(f->aux, p, mode);
            continue;
        case CDI_JT_STRV:
            for (char **s = *p; s && (mode & CDI_J_COPY) && *s; s++) free(*s);
            break;
        case CDI_JT_I64V:
            break;
        case CDI_JT_STR:
            if (!(mode & CDI_J_COPY)) continue;
            if ((f->flags & CDI_JF_SECRET) && *p) cdi_wipe(*p, strlen(*p));
            break;
        default:
            continue;
        }
        free(*p);
        *p = NULL;
    }
}

int cdi_json_rows_decode(const struct cdi_jfield *t, const json_t *a, void **rows, size_t *n, size_t elsz,
                         void (*clear)(void *), struct cd_err *err)
{
    *rows = NULL;
    *n = 0;
    if (!json_is_array(a)) return cdi_fail(err, CD_E_INVAL, "expected a JSON array of rows");
    size_t cnt = json_array_size(a);
    unsigned char *r = calloc(cnt ? cnt : 1, elsz);
    if (!r) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = CD_OK;
    size_t i;
    for (i = 0; !rc && i < cnt; i++)
        rc = cdi_json_decode(t, json_array_get(a, i), r + i * elsz, CDI_J_COPY, err);
    if (rc) {
        for (size_t k = 0; k < i; k++) clear(r + k * elsz);
        free(r);
        return rc;
    }
    *rows = r;
    *n = cnt;
    return CD_OK;
}

int cdi_json_copy(const struct cdi_jfield *t, void *dst, const void *src, size_t size)
{
    memcpy(dst, src, size);
    int rc = 0;
    for (const struct cdi_jfield *f = t; f->name; f++)
        if (f->type == CDI_JT_STR) {
            char **d = (char **)AT(dst, f->off);
            /* after a failure the rest is NULL, never shared with src */
            if (*d) *d = rc ? NULL : strdup(*d);
            if (!*d && *(char *const *)AT(src, f->off)) rc = -1;
        }
    return rc;
}

/* ---- text -------------------------------------------------------------- */

int cdi_json_parse(const char *text, size_t len, json_t **out, struct cd_err *err)
{
    json_error_t je;
    *out = NULL;
    if (!text || !len) return cdi_fail(err, CD_E_INVAL, "a JSON object is required");
    /* jansson refuses invalid UTF-8 and, without JSON_ALLOW_NUL, "\u0000" */
    json_t *j = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!j) return cdi_fail(err, CD_E_INVAL, "invalid JSON: %.200s (line %d, column %d)", je.text, je.line, je.column);
    if (!json_is_object(j)) {
        json_decref(j);
        return cdi_fail(err, CD_E_INVAL, "invalid JSON: expected an object");
    }
    *out = j;
    return CD_OK;
}

char *cdi_json_dump(const json_t *j, size_t *len, int secret)
{
    const size_t flags = JSON_ENSURE_ASCII | JSON_COMPACT;
    if (!secret) {
        char *s = json_dumps(j, flags);
        if (s && len) *len = strlen(s);
        return s;
    }
    size_t n = json_dumpb(j, NULL, 0, flags);
    char *s = n ? malloc(n + 1) : NULL;
    if (!s || json_dumpb(j, s, n, flags) != n) { free(s); return NULL; }
    s[n] = 0;
    if (len) *len = n;
    return s;
}

void cdi_json_wipe(json_t *j)
{
    const char *key;
    json_t *v;
    size_t i;
    if (json_is_string(j)) {
        cdi_wipe((char *)json_string_value(j), json_string_length(j));
    } else if (json_is_object(j)) {
        json_object_foreach(j, key, v) cdi_json_wipe(v);
    } else if (json_is_array(j)) {
        json_array_foreach(j, i, v) cdi_json_wipe(v);
    }
}

static int hexval(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

char *cdi_pct_decode(const char *s, size_t n, int plus_is_space)
{
    char *o = malloc(n + 1), *q = o;
    if (!o) return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '%') {
            int hi = i + 2 < n ? hexval(s[i + 1]) : -1;
            int lo = hi >= 0 ? hexval(s[i + 2]) : -1;
            if (lo < 0 || (hi == 0 && lo == 0)) { free(o); return NULL; }
            *q++ = (char)(hi << 4 | lo);
            i += 2;
        } else {
            *q++ = plus_is_space && s[i] == '+' ? ' ' : s[i];
        }
    }
    *q = 0;
    return o;
}

int cdi_query_parse(const char *query, json_t **out, struct cd_err *err)
{
    json_t *o = json_object();
    *out = NULL;
    if (!o) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = CD_OK;
    for (const char *p = query ? query : ""; !rc && *p;) {
        size_t n = strcspn(p, "&");
        const char *eq = memchr(p, '=', n);
        size_t kn = eq ? (size_t)(eq - p) : n;
        if (n) {
            char *k = cdi_pct_decode(p, kn, 1), *v = cdi_pct_decode(eq ? eq + 1 : "", eq ? n - kn - 1 : 0, 1);
            json_t *jv = v ? json_stringn(v, strlen(v)) : NULL;
            struct cd_err ue = { 0 };
            if (!k || !v) rc = cdi_fail(err, CD_E_INVAL, "query string: a bad %%-escape");
            else if (!*k) rc = cdi_fail(err, CD_E_INVAL, "query string: a value without a name");
            else if (!jv || cdi_check_text(&ue, "name", k, 0, 1)) rc = cdi_fail(err, CD_E_INVAL, "query string: not UTF-8");
            else if (json_object_get(o, k)) rc = cdi_fail(err, CD_E_INVAL, "query string: \"%.100s\" given twice", k);
            else if (json_object_set(o, k, jv)) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
            json_decref(jv);
            free(k);
            free(v);
        }
        p += n + (p[n] == '&');
    }
    if (rc) json_decref(o);
    else *out = o;
    return rc;
}

/* ---- Base64 ------------------------------------------------------------ */

char *cdi_b64_encode(const unsigned char *p, size_t n)
{
    gnutls_datum_t in = { (unsigned char *)p, (unsigned)n }, res = { NULL, 0 };
    if (!n) return strdup("");
    if (gnutls_base64_encode2(&in, &res) < 0) return NULL;
    char *s = malloc(res.size + 1);
    if (s) { memcpy(s, res.data, res.size); s[res.size] = 0; }
    gnutls_free(res.data);
    return s;
}

int cdi_b64_decode(const char *s, unsigned char **out, size_t *len, struct cd_err *err)
{
    *out = NULL;
    *len = 0;
    size_t n = strlen(s);
    if (!n) { *out = malloc(1); return *out ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    gnutls_datum_t in = { (unsigned char *)s, (unsigned)n }, res = { NULL, 0 };
    if (n > 0x7fffffff || gnutls_base64_decode2(&in, &res) < 0) return cdi_fail(err, CD_E_INVAL, "invalid Base64");
    *out = malloc(res.size ? res.size : 1);
    if (*out) { memcpy(*out, res.data, res.size); *len = res.size; }
    cdi_wipe(res.data, res.size);
    gnutls_free(res.data);
    return *out ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
}
