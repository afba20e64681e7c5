/* certdeck core — names of the enumerations, for every front end and the
 * filter language, generated from the X-macro lists in store.h. */
#include <string.h>
#include <strings.h>
#include "core_int.h"

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
const char *cd_state_name(int st) { return st >= 0 && st < N(state_names) ? state_names[st] : "?"; }
const char *cd_col_key(int c) { return c >= 0 && c < N(col_keys) ? col_keys[c] : "?"; }
const char *cd_col_title(int c) { return c >= 0 && c < N(col_titles) ? col_titles[c] : "?"; }
int cd_col_parse(const char *s) { return lookup(col_keys, N(col_keys), s); }
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
    case CD_COL_VALID_FROM: cdi_fmt_time(c->not_before, buf, n); return buf;
    case CD_COL_VALID_TO: cdi_fmt_time(c->not_after, buf, n); return buf;
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
