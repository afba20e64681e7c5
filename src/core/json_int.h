/* certdeck core — the console API's wire model (cdi_ tier): every struct
 * of the store API <-> JSON, through one table per struct, read in both
 * directions.  The server (api*.c) encodes rows and decodes parameters; the
 * https backend (store_https*.c) encodes parameters and decodes rows, with
 * the same tables, so the two sides cannot drift apart.  Query strings use
 * the same tables too: cdi_query_parse turns one into a JSON object of
 * strings that cdi_json_decode reads with CDI_J_TEXT. */
#ifndef CERTDECK_JSON_INT_H
#define CERTDECK_JSON_INT_H

#include <jansson.h>
#include "core_int.h"

enum cdi_jtype {
    CDI_JT_I64,      /* int64_t */
    CDI_JT_INT,      /* int */
    CDI_JT_BOOL,     /* int, JSON true/false */
    CDI_JT_STR,      /* char * (const char * in parameters); NULL is left out */
    CDI_JT_ENUM,     /* int by name; aux: struct cdi_jenum */
    CDI_JT_STRV,     /* const char *const *, NULL-terminated; JSON array of strings */
    CDI_JT_I64V,     /* int64_t * at off, its count (size_t) at off2; JSON array of integers */
    CDI_JT_OBJ,      /* a nested struct at off; aux: its table; a JSON object */
    CDI_JT_INLINE,   /* a nested struct at off whose fields sit at this level; aux: its table */
};

/* A table ends with a { NULL } entry. */
struct cdi_jfield {
    const char *name;
    int         type;
    size_t      off, off2;
    unsigned    flags;        /* CDI_JF_* */
    const void *aux;
};
enum { CDI_JF_SECRET = 1 };   /* a passphrase or password: wiped after use */

struct cdi_jenum {
    const char *what;                 /* "product", for the message */
    const char *(*name)(int v);
    int         (*parse)(const char *s);   /* -1 when unknown */
    int         names;                /* enum cd_names list for the message, -1: none */
};

/* Decoding modes. */
enum {
    CDI_J_STRICT = 1 << 0,   /* an unknown field is CD_E_INVAL (requests); else skipped (answers) */
    CDI_J_COPY   = 1 << 1,   /* strings are strdup'd (free with the struct's _clear);
                                else they point into the JSON, which must outlive the struct */
    CDI_J_TEXT   = 1 << 2,   /* every value is a string to parse (a query string) */
};

/* The tables. */
extern const struct cdi_jfield cdi_jt_cert[], cdi_jt_ca[], cdi_jt_group[], cdi_jt_tag[], cdi_jt_preset[],
    cdi_jt_audit[], cdi_jt_user_info[], cdi_jt_permset[], cdi_jt_usage[], cdi_jt_client[], cdi_jt_mirror[],
    cdi_jt_query[], cdi_jt_subject[], cdi_jt_ca_params[], cdi_jt_cert_params[], cdi_jt_levels[];
extern const struct cdi_jenum cdi_je_product, cdi_je_keytype, cdi_je_reason, cdi_je_state, cdi_je_col,
    cdi_je_right, cdi_je_otype, cdi_je_export, cdi_je_kind;

/* obj -> a new JSON object; NULL when out of memory. */
json_t *cdi_json_encode(const struct cdi_jfield *t, const void *obj);
/* Adds obj's fields to the object o (for answers that carry more). */
int     cdi_json_encode_into(const struct cdi_jfield *t, const void *obj, json_t *o);
/* JSON object -> obj (zeroed first); CD_E_INVAL naming the field on a wrong
 * type, an unknown name, or (CDI_J_STRICT) an unknown field.  Arrays
 * (STRV, I64V) are always malloc'd: cdi_json_release frees them. */
int     cdi_json_decode(const struct cdi_jfield *t, const json_t *o, void *obj, unsigned mode,
                        struct cd_err *err);
void    cdi_json_release(const struct cdi_jfield *t, void *obj, unsigned mode);

/* n rows of elsz bytes -> a JSON array; NULL when out of memory. */
json_t *cdi_json_rows(const struct cdi_jfield *t, const void *rows, size_t n, size_t elsz);
/* A JSON array -> *rows (malloc'd, CDI_J_COPY), *n; on failure every row
 * decoded so far is cleared with clear() and nothing is returned. */
int     cdi_json_rows_decode(const struct cdi_jfield *t, const json_t *a, void **rows, size_t *n, size_t elsz,
                             void (*clear)(void *), struct cd_err *err);

/* A copy of a row (size bytes) with its STR fields strdup'd (flat tables
 * only); -1 when out of memory (the copy then holds NULLs: clear it). */
int     cdi_json_copy(const struct cdi_jfield *t, void *dst, const void *src, size_t size);

/* Strict JSON: one object, UTF-8, no duplicate keys, no NUL in strings. */
int     cdi_json_parse(const char *text, size_t len, json_t **out, struct cd_err *err);
/* Compact, ASCII-only text (caller frees; wipes it when it held a secret).
 * secret: written in one buffer sized first (twice the work), so that no
 * grown-out copy of a passphrase or key is left in freed memory. */
char   *cdi_json_dump(const json_t *j, size_t *len, int secret);
/* A JSON string of s as it is when it is UTF-8, else repaired (U+FFFD). */
json_t *cdi_json_str(const char *s);
/* Overwrites every string value in j (request bodies holding secrets). */
void    cdi_json_wipe(json_t *j);

/* "a=1&b=x%20y" -> {"a": "1", "b": "x y"} ('+' is a space); CD_E_INVAL for
 * a bad escape, a NUL, invalid UTF-8 or a key given twice.  NULL or "" is {}. */
int     cdi_query_parse(const char *query, json_t **out, struct cd_err *err);
/* Percent-decodes n bytes of s into a new string; NULL on a bad escape or %00. */
char   *cdi_pct_decode(const char *s, size_t n, int plus_is_space);

/* Base64 (RFC 4648, no line breaks).  decode: CD_E_INVAL when not Base64. */
char   *cdi_b64_encode(const unsigned char *p, size_t n);
int     cdi_b64_decode(const char *s, unsigned char **out, size_t *len, struct cd_err *err);

#endif
