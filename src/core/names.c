/* certdeck core — names of the enumerations, for every front end and the
 * filter language, generated from the X-macro lists in store.h; and the one
 * "unknown X; did you mean Y? (valid: ...)" (names.h) that every parser of
 * those names answers with. */
#include <string.h>
#include <strings.h>
#include "core_int.h"
#include "pki_int.h"

#define X_NAME(e, n, l) [e] = n,
#define X_LABEL(e, n, l) [e] = l,
static const char *const product_names[] = { CD_PRODUCT_LIST(X_NAME) };
static const char *const product_labels[] = { CD_PRODUCT_LIST(X_LABEL) };
#undef X_NAME
#undef X_LABEL
#define X_NAME(e, n) [e] = n,
static const char *const key_names[] = { CD_KEY_LIST(X_NAME) };
static const char *const state_names[] = { CD_STATE_LIST(X_NAME) };
#undef X_NAME
#define X_KEY(e, k, t) [e] = k,
#define X_TITLE(e, k, t) [e] = t,
static const char *const col_keys[] = { CD_COL_LIST(X_KEY) };
static const char *const col_titles[] = { CD_COL_LIST(X_TITLE) };
#undef X_KEY
#undef X_TITLE
#define X_EXP(e, n, d) [e] = n,
static const char *const export_names[] = { CD_EXPORT_LIST(X_EXP) };
#undef X_EXP
/* what cd_col_parse accepts: the keys (index = column), then the titles
 * (index - CD_COL_COUNT), so "--sort subject" works as the header reads */
#define X_KEY(e, k, t) k,
#define X_TITLE(e, k, t) t,
static const char *const col_names[] = { CD_COL_LIST(X_KEY) CD_COL_LIST(X_TITLE) };
#undef X_KEY
#undef X_TITLE
#define X_RN(v, n) n,
static const char *const reason_names[] = { CD_REASON_LIST(X_RN) };
#undef X_RN
static const char *const format_names[] = { "table", "json", "csv" };

#define N(a) ((int)(sizeof(a) / sizeof((a)[0])))

static int lookup(const char *const *names, int n, const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < n; i++)
        if (names[i] && strcasecmp(names[i], s) == 0) return i;
    return -1;
}

const char *cd_product_name(int p) { return p >= 0 && p < N(product_names) ? product_names[p] : "?"; }
const char *cd_product_label(int p) { return p >= 0 && p < N(product_labels) ? product_labels[p] : "?"; }
int cd_product_parse(const char *s) { return lookup(product_names, N(product_names), s); }
const char *cd_keytype_name(int k) { return k >= 0 && k < N(key_names) ? key_names[k] : "?"; }
int cd_keytype_parse(const char *s) { return lookup(key_names, N(key_names), s); }
int cd_keytype_of_label(const char *label)
{
    for (int k = 0; label && k < CD_KEY_COUNT; k++)
        if (!strcmp(cdi_keytype_label(k), label)) return k;
    return -1;
}
const char *cd_state_name(int st) { return st >= 0 && st < N(state_names) ? state_names[st] : "?"; }
const char *cd_col_key(int c) { return c >= 0 && c < N(col_keys) ? col_keys[c] : "?"; }
const char *cd_col_title(int c) { return c >= 0 && c < N(col_titles) ? col_titles[c] : "?"; }
int cd_col_parse(const char *s)
{
    int i = lookup(col_names, N(col_names), s);
    return i < 0 ? -1 : i % CD_COL_COUNT;
}
const char *cd_export_name(int f) { return f >= 0 && f < N(export_names) ? export_names[f] : "?"; }
int cd_export_parse(const char *s) { return lookup(export_names, N(export_names), s); }

struct reason { int v; const char *name; };
#define X_R(v, n) { v, n },
static const struct reason reasons[] = { CD_REASON_LIST(X_R) };
#undef X_R

const char *cd_reason_name(int r)
{
    for (int i = 0; i < N(reasons); i++)
        if (reasons[i].v == r) return reasons[i].name;
    return "unspecified";
}

int cd_reason_parse(const char *s)
{
    if (!s) return -1;
    for (int i = 0; i < N(reasons); i++)
        if (strcasecmp(reasons[i].name, s) == 0) return reasons[i].v;
    return -1;
}

const char *cd_cert_field(const struct cd_cert *c, int col, char *buf, size_t n)
{
    switch (col) {
    case CD_COL_ID: snprintf(buf, n, "%lld", (long long)c->id); return buf;
    case CD_COL_DESCRIPTION: return c->description;
    case CD_COL_PRODUCT: return c->product;
    case CD_COL_HOST: return c->host;
    case CD_COL_CN: return c->cn;
    case CD_COL_ISSUER: return c->issuer;
    /* a pending request (APN/ABM) has no validity yet: its stored placeholder
     * dates (SQ_PENDING_TIME) are not shown as dates */
    case CD_COL_VALID_FROM:
        if (c->state == CD_STATE_PENDING) return "-";
        cdi_fmt_time(c->not_before, buf, n);
        return buf;
    case CD_COL_VALID_TO:
        if (c->state == CD_STATE_PENDING) return "-";
        cdi_fmt_time(c->not_after, buf, n);
        return buf;
    case CD_COL_SERIAL: return c->serial;
    case CD_COL_FINGERPRINT: return c->fingerprint;
    case CD_COL_TAGS: return c->tags;
    case CD_COL_GROUP: return c->group;
    case CD_COL_STATUS: return cd_state_name(c->state);
    }
    return "";
}

const char *cd_format_time(int64_t t, char *buf, size_t n)
{
    cdi_fmt_time(t, buf, n);
    return buf;
}

/* ---- names a parser accepts, and the "did you mean" -------------------- */

const char *const *cd_names(int list, size_t *n)
{
    static const struct { const char *const *v; size_t n; } lists[CD_NAMES_COUNT] = {
        [CD_NAMES_PRODUCT] = { product_names, N(product_names) },
        [CD_NAMES_KEYTYPE] = { key_names, N(key_names) },
        [CD_NAMES_REASON] = { reason_names, N(reason_names) },
        [CD_NAMES_COLUMN] = { col_names, N(col_names) },
        [CD_NAMES_EXPORT] = { export_names, N(export_names) },
        [CD_NAMES_FORMAT] = { format_names, N(format_names) },
    };
    if (list < 0 || list >= CD_NAMES_COUNT) { *n = 0; return NULL; }
    *n = lists[list].n;
    return lists[list].v;
}

#define SUGGEST_MAX 64   /* longer words are not typos of any name here */

static int lower(int ch) { return ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch; }

/* Optimal string alignment distance, case-insensitive, both <= SUGGEST_MAX. */
static size_t distance(const char *a, size_t la, const char *b, size_t lb)
{
    size_t d[SUGGEST_MAX + 1][SUGGEST_MAX + 1];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && lower((unsigned char)a[i - 1]) == lower((unsigned char)b[j - 2]) &&
                lower((unsigned char)a[i - 2]) == lower((unsigned char)b[j - 1]) && d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[la][lb];
}

const char *cd_suggest(const char *word, const char *const *choices, size_t n)
{
    size_t lw = word ? strlen(word) : 0;
    if (!lw || lw > SUGGEST_MAX) return NULL;
    size_t limit = lw <= 4 ? 1 : lw / 3;
    const char *best = NULL, *prefix = NULL;
    size_t best_d = limit + 1, nprefix = 0;
    for (size_t i = 0; i < n; i++) {
        const char *c = choices[i];
        size_t lc = c ? strlen(c) : 0;
        if (!lc || lc > SUGGEST_MAX) continue;
        if (lw >= 2 && lw < lc && !strncasecmp(word, c, lw)) {
            /* the same name listed twice (a key and its title) is one prefix */
            if (!prefix || strcasecmp(prefix, c)) nprefix++;
            if (!prefix) prefix = c;
        }
        size_t d = distance(word, lw, c, lc);
        if (d < best_d) { best_d = d; best = c; }
    }
    if (best) return best;
    return nprefix == 1 ? prefix : NULL;
}

int cd_name_error(struct cd_err *err, const char *what, const char *word, const char *const *choices,
                  size_t n)
{
    char list[400] = "";
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        if (!choices[i]) continue;
        int dup = 0;
        for (size_t k = 0; k < i && !dup; k++) dup = choices[k] && !strcasecmp(choices[k], choices[i]);
        if (dup) continue;
        int w = snprintf(list + len, sizeof list - len, "%s%s", len ? ", " : "", choices[i]);
        if (w < 0 || (size_t)w >= sizeof list - len) break;
        len += (size_t)w;
    }
    const char *near = cd_suggest(word, choices, n);
    if (near)
        return cdi_fail(err, CD_E_INVAL, "unknown %s \"%.100s\"; did you mean \"%s\"? (valid: %s)", what,
                        word ? word : "", near, list);
    return cdi_fail(err, CD_E_INVAL, "unknown %s \"%.100s\" (valid: %s)", what, word ? word : "", list);
}

int cd_sort_parse(const char *spec, int *col, int *desc, struct cd_err *err)
{
    char key[80];
    const char *colon = spec ? strrchr(spec, ':') : NULL;
    size_t len = spec ? (colon ? (size_t)(colon - spec) : strlen(spec)) : 0;
    if (len >= sizeof key) len = sizeof key - 1;
    memcpy(key, spec ? spec : "", len);
    key[len] = 0;
    int d = 0;
    if (colon && !strcasecmp(colon + 1, "desc")) d = 1;
    else if (colon && strcasecmp(colon + 1, "asc"))
        return cdi_fail(err, CD_E_INVAL, "sort order \"%.40s\": asc or desc", colon + 1);
    int c = cd_col_parse(key);
    if (c < 0) return cd_name_error(err, "sort column", key, col_names, N(col_names));
    *col = c;
    if (desc) *desc = d;
    return CD_OK;
}
