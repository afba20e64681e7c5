/* certdeck core — an import on the wire (POST /api/v1/import): what the
 * https store sends certdeckd, and the report it gets back.
 *
 * The body is {"group", "description", "items": ["record", ...]}, one
 * record per parsed object, "WHAT REVOKED_AT REASON DER KEY SOURCE WHY
 * KEY_WHY": three integers, then Base64 fields ("-" for none); KEY is plain
 * PKCS#8 (the request travels over TLS and is wiped on both sides, as a
 * .pfx export is).  The server trusts none of what the client read: it
 * parses each certificate again (cdi_import_cert) and puts a key with a
 * certificate only when its own key ID compare says it is its. */
#include <stdlib.h>
#include <string.h>
#include "import_wire_int.h"

static const char *what_name(int w)
{
    static const char *const n[] = { "ca", "certificate", "key", "revocation", "other" };
    return w >= 0 && w <= CD_IMPORT_OTHER ? n[w] : "other";
}

static int what_parse(const char *s)
{
    for (int w = 0; w <= CD_IMPORT_OTHER; w++) if (!strcmp(s, what_name(w))) return w;
    return -1;
}

static const struct cdi_jenum je_what = { "import item", what_name, what_parse, -1 };

#define FLD(st, name, ty) { #name, CDI_JT_##ty, offsetof(st, name), 0, 0, NULL }
const struct cdi_jfield cdi_jt_import_item[] = {
    { "what", CDI_JT_ENUM, offsetof(struct cd_import_item, what), 0, 0, &je_what },
    { "imported", CDI_JT_BOOL, offsetof(struct cd_import_item, taken), 0, 0, NULL },
    FLD(struct cd_import_item, id, I64), FLD(struct cd_import_item, name, STR), FLD(struct cd_import_item, why, STR),
    { NULL, 0, 0, 0, 0, NULL }
};

/* Appends " <base64>" (or " -") of n bytes at p. */
static void field(struct cdi_buf *b, const void *p, size_t n)
{
    char *e = p && n ? cdi_b64_encode(p, n) : NULL;
    if (p && n && !e) { b->oom = 1; return; }
    cdi_buf_addf(b, " %s", e ? e : "-");
    if (e) { cdi_wipe(e, strlen(e)); free(e); }
}

static void text(struct cdi_buf *b, const char *s) { field(b, s, s ? strlen(s) : 0); }

json_t *cdi_import_encode(const struct cdi_import *im)
{
    json_t *items = json_array();
    for (size_t i = 0; items && i < im->n; i++) {
        const struct cdi_import_obj *o = &im->rows[i];
        struct cdi_buf b = { 0 };
        cdi_buf_addf(&b, "%d %lld %d", o->what, (long long)o->revoked_at, o->reason);
        field(&b, o->der, o->der_len);
        field(&b, o->key, o->key_len);
        text(&b, o->source);
        text(&b, o->why);
        text(&b, o->key_why);
        cdi_buf_add(&b, "", 1);
        json_t *s = b.oom ? NULL : json_string((char *)b.p);
        if (b.p) cdi_wipe(b.p, b.len);
        cdi_buf_free(&b);
        if (!s || json_array_append_new(items, s)) { cdi_json_wipe(items); json_decref(items); return NULL; }
    }
    if (!items) return NULL;
    json_t *j = json_pack("{s:o, s:o, s:o}", "group", cdi_json_str(im->group ? im->group : ""),
                          "description", cdi_json_str(im->description ? im->description : ""), "items", items);
    if (!j) { cdi_json_wipe(items); json_decref(items); }
    return j;
}

/* Base64 field f ("-": none) into *out (a C string too), *n. */
static int unfield(const char *f, unsigned char **out, size_t *n, struct cd_err *err)
{
    *out = NULL;
    *n = 0;
    if (!strcmp(f, "-")) return CD_OK;
    unsigned char *d = NULL;
    size_t len = 0;
    int rc = cdi_b64_decode(f, &d, &len, err);
    if (rc) return rc;
    unsigned char *z = realloc(d, len + 1);
    if (!z) { cdi_wipe(d, len); free(d); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    z[len] = 0;
    *out = z;
    *n = len;
    return CD_OK;
}

static int text_ok(const unsigned char *s, size_t n, struct cd_err *err)
{
    if (s && strlen((const char *)s) != n) return cdi_fail(err, CD_E_INVAL, "an import item holds a NUL");
    return CD_OK;
}

int cdi_import_decode_item(struct cdi_import *im, const char *rec, struct cd_err *err)
{
    char *copy = strdup(rec), *f[8] = { 0 }, *save = NULL;
    if (!copy) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int nf = 0;
    for (char *t = strtok_r(copy, " ", &save); t && nf < 8; t = strtok_r(NULL, " ", &save)) f[nf++] = t;
    unsigned char *der = NULL, *key = NULL, *src = NULL, *why = NULL, *kwhy = NULL;
    size_t dl = 0, kl = 0, sl = 0, wl = 0, kwl = 0;
    char *end = NULL;
    int rc = nf == 8 && !strtok_r(NULL, " ", &save) ? CD_OK : cdi_fail(err, CD_E_INVAL, "an import item is malformed");
    int what = rc ? 0 : (int)strtol(f[0], &end, 10);
    if (!rc && (*end || what < 0 || what > CD_IMPORT_OTHER)) rc = cdi_fail(err, CD_E_INVAL, "an import item's kind");
    long long revoked = rc ? 0 : strtoll(f[1], &end, 10);
    if (!rc && (*end || revoked < 0)) rc = cdi_fail(err, CD_E_INVAL, "an import item's revocation time");
    int reason = rc ? 0 : (int)strtol(f[2], &end, 10);
    if (!rc && (*end || cd_reason_parse(cd_reason_name(reason)) != reason))
        rc = cdi_fail(err, CD_E_INVAL, "an import item's revocation reason");
    if (!rc) rc = unfield(f[3], &der, &dl, err);
    if (!rc) rc = unfield(f[4], &key, &kl, err);
    if (!rc) rc = unfield(f[5], &src, &sl, err);
    if (!rc) rc = unfield(f[6], &why, &wl, err);
    if (!rc) rc = unfield(f[7], &kwhy, &kwl, err);
    if (!rc) rc = text_ok(src, sl, err);
    if (!rc) rc = text_ok(why, wl, err);
    if (!rc) rc = text_ok(kwhy, kwl, err);
    if (rc) goto out;
    struct cdi_import_obj *o = NULL;
    if (der || why) {
        if (!(o = cdi_import_add(im))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
        o->what = what;
        o->source = (char *)src; src = NULL;
        o->why = (char *)why; why = NULL;
        o->key_why = (char *)kwhy; kwhy = NULL;
        o->revoked_at = revoked;
        o->reason = reason;
        /* parsed here again: only the certificate's own bytes count */
        if (der && !o->why && (rc = cdi_import_cert(o, der, dl, err))) goto out;
    }
    if (key) {
        char keyid[65] = "", alg[64];
        unsigned char *plain = NULL;
        size_t pl = 0;
        rc = cdi_import_key_read(key, kl, 0, NULL, &plain, &pl, keyid, alg, sizeof alg, err);
        if (!rc) rc = cdi_import_put_key(im, plain, pl, keyid, o && o->source ? o->source : (char *)src, err);
    }
out:
    cdi_wipe(copy, strlen(rec));
    free(copy);
    free(der);
    if (key) { cdi_wipe(key, kl); free(key); }
    free(src); free(why); free(kwhy);
    return rc;
}
