/* certdeck core — the expiry check (certdeck/check.h): counts and the first
 * offenders of each kind, as of a given time.
 *
 * Built on the store's own queries (cd_ca_list, cd_cert_count, cd_cert_list
 * with an "expires <= T" filter), so every backend answers it the same way
 * and with the same permissions; on sqlite the filter is a range over the
 * certs_na index (not_after, revoked_at, not_before), not a scan. */
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "core_int.h"

/* The latest time a window may reach: 9999-12-31 23:59:59 UTC. */
#define CHECK_MAX_TIME 253402300799LL

const char *cd_check_level_name(int level)
{
    switch (level) {
    case CD_CHECK_OK: return "OK";
    case CD_CHECK_WARNING: return "WARNING";
    case CD_CHECK_CRITICAL: return "CRITICAL";
    default: return "UNKNOWN";
    }
}

/* Class of an object that expires at na: -1 none, else CD_CHECK_N_*. */
static int classify(const struct cd_check_result *r, int64_t na)
{
    if (na <= r->at) return CD_CHECK_N_EXPIRED;
    if (na <= r->at + r->crit) return CD_CHECK_N_CRITICAL;
    if (na <= r->at + r->warn) return CD_CHECK_N_WARNING;
    return -1;
}

static int64_t days_left(int64_t at, int64_t na)
{
    int64_t d = na - at;
    return d >= 0 ? d / 86400 : -((-d + 86399) / 86400);
}

static struct cd_check_item *add_item(struct cd_check_result *r, size_t *cap, int kind, int64_t id,
                                      int cls, int64_t na, const char *cn, const char *group)
{
    struct cd_check_item *it = cdi_grow(&r->rows, r->n, cap, sizeof *it);
    if (!it) return NULL;
    it->kind = kind;
    it->id = id;
    it->level = cls == CD_CHECK_N_WARNING ? CD_CHECK_WARNING : CD_CHECK_CRITICAL;
    it->expired = cls == CD_CHECK_N_EXPIRED;
    it->not_after = na;
    it->days_left = days_left(r->at, na);
    it->cn = cdi_strdup(cn);
    it->group = cdi_strdup(group);
    r->n++;
    if ((cn && !it->cn) || (group && !it->group)) return NULL;
    if (it->level > r->level) r->level = it->level;
    return it;
}

static int cmp_ca(const void *a, const void *b)
{
    const struct cd_ca *x = a, *y = b;
    return x->not_after < y->not_after ? -1 : x->not_after > y->not_after ? 1 : (x->id > y->id) - (x->id < y->id);
}

/* The filter "(user) and expires <= T" (T as a quoted UTC date). */
static char *upto_filter(const char *user, int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    char when[32];
    if (!gmtime_r(&tt, &tm) || !strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm)) return NULL;
    if (user && *user) return cdi_printf("(%s) and expires <= \"%s\"", user, when);
    return cdi_printf("expires <= \"%s\"", when);
}

static int count_upto(cd_store *s, const cd_user *u, const char *user, int64_t t, int64_t *n,
                      struct cd_err *err)
{
    char *f = upto_filter(user, t);
    if (!f) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    struct cd_query q = { .filter = f, .revoked = 0 };
    int rc = cd_cert_count(s, u, &q, n, err);
    free(f);
    return rc;
}

static int check_cas(cd_store *s, const cd_user *u, const struct cd_check_opts *o, struct cd_check_result *r,
                     size_t *cap, struct cd_err *err)
{
    struct cd_ca_list l = { 0 };
    struct cd_query q = { 0 };
    int rc = cd_ca_list(s, u, &q, &l, err);
    if (rc) return rc;
    qsort(l.rows, l.n, sizeof *l.rows, cmp_ca);
    int64_t listed = 0;
    for (size_t i = 0; i < l.n; i++) {
        int cls = classify(r, l.rows[i].not_after);
        if (cls < 0) continue;
        r->cas[cls]++;
        if (o->limit > 0 && listed >= o->limit) continue;
        listed++;
        if (!add_item(r, cap, CD_KIND_CA, l.rows[i].id, cls, l.rows[i].not_after, l.rows[i].cn, l.rows[i].group)) {
            rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
            break;
        }
    }
    cd_ca_list_free(&l);
    return rc;
}

static int check_certs(cd_store *s, const cd_user *u, const struct cd_check_opts *o, struct cd_check_result *r,
                       size_t *cap, struct cd_err *err)
{
    int64_t upto[3];
    int64_t t[3] = { r->at, r->at + r->crit, r->at + r->warn };
    for (int i = 0; i < 3; i++) {
        int rc = count_upto(s, u, o->filter, t[i], &upto[i], err);
        if (rc) return rc;
    }
    r->certs[CD_CHECK_N_EXPIRED] = upto[0];
    r->certs[CD_CHECK_N_CRITICAL] = upto[1] - upto[0];
    r->certs[CD_CHECK_N_WARNING] = upto[2] - upto[1];
    if (!upto[2]) return CD_OK;
    /* the level does not wait for the rows: a limit of one still says CRITICAL */
    int worst = upto[1] ? CD_CHECK_CRITICAL : CD_CHECK_WARNING;
    if (worst > r->level) r->level = worst;

    char *f = upto_filter(o->filter, t[2]);
    if (!f) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    struct cd_query q = { .filter = f, .revoked = 0, .sort = CD_COL_VALID_TO, .limit = o->limit > 0 ? o->limit : 0 };
    struct cd_cert_list l = { 0 };
    int rc = cd_cert_list(s, u, &q, &l, err);
    free(f);
    for (size_t i = 0; !rc && i < l.n; i++) {
        int cls = classify(r, l.rows[i].not_after);
        if (cls < 0) continue;   /* a row added since the counts */
        if (!add_item(r, cap, CD_KIND_CERT, l.rows[i].id, cls, l.rows[i].not_after, l.rows[i].cn, l.rows[i].group))
            rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    cd_cert_list_free(&l);
    return rc;
}

/* A backend without the operation says so by name. */
#define OP(s, op) ((s)->ops->op ? CD_OK : cdi_fail(err, CD_E_UNSUPPORTED, \
                   "%s stores do not support this", (s)->ops->name))

int cd_expiry_warning_get(cd_store *s, const cd_user *u, int *days, struct cd_err *err)
{
    if (!s || !days) return cdi_fail(err, CD_E_INVAL, "no store is open");
    if (!u) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user");
    *days = CDI_EXPIRY_WARN_DEFAULT_DAYS;
    int rc = OP(s, expiry_warning_get);
    return rc ? rc : s->ops->expiry_warning_get(s, u, days, err);
}

int cd_expiry_warning_set(cd_store *s, const cd_user *u, int days, struct cd_err *err)
{
    if (!s) return cdi_fail(err, CD_E_INVAL, "no store is open");
    if (!u) return cdi_fail(err, CD_E_FORBIDDEN, "no acting user");
    if (days < CD_EXPIRY_WARN_MIN_DAYS || days > CD_EXPIRY_WARN_MAX_DAYS)
        return cdi_fail(err, CD_E_INVAL, "the expiry warning window must be %d to %d days", CD_EXPIRY_WARN_MIN_DAYS,
                        CD_EXPIRY_WARN_MAX_DAYS);
    int rc = OP(s, expiry_warning_set);
    return rc ? rc : s->ops->expiry_warning_set(s, u, days, err);
}

int cd_check(cd_store *s, const cd_user *u, const struct cd_check_opts *o, struct cd_check_result *out,
             struct cd_err *err)
{
    if (!s || !o || !out) return cdi_fail(err, CD_E_INVAL, "cd_check: missing argument");
    memset(out, 0, sizeof *out);
    struct cd_check_result *r = out;
    r->at = o->at ? o->at : cdi_now();
    r->warn = o->warn;
    if (!r->warn) {
        int days, rc = cd_expiry_warning_get(s, u, &days, err);
        if (rc) return rc;
        r->warn = (int64_t)days * 86400;
    }
    r->crit = o->crit ? o->crit : CD_CHECK_CRIT_DEFAULT;
    if (r->crit > r->warn && !o->crit) r->crit = r->warn;   /* a short --warn alone narrows the default */
    if (r->warn < 0 || r->crit < 0)
        return cdi_fail(err, CD_E_INVAL, "the warning and critical windows cannot be negative");
    if (r->crit > r->warn)
        return cdi_fail(err, CD_E_INVAL, "the critical window (%lld days) is longer than the warning window (%lld days)",
                        (long long)(r->crit / 86400), (long long)(r->warn / 86400));
    if (r->at < 0 || r->at > CHECK_MAX_TIME - r->warn)
        return cdi_fail(err, CD_E_INVAL, "the time and window reach past the year 9999");
    if (o->filter && *o->filter) {
        /* checked alone first, so an error's column is the user's */
        int rc = cd_filter_check(o->filter, err);
        if (rc) return rc;
    }
    size_t cap = 0;
    int rc = check_cas(s, u, o, r, &cap, err);
    if (!rc) rc = check_certs(s, u, o, r, &cap, err);
    if (rc) cd_check_free(r);
    return rc;
}

void cd_check_free(struct cd_check_result *r)
{
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->rows[i].cn);
        free(r->rows[i].group);
    }
    free(r->rows);
    r->rows = NULL;
    r->n = 0;
}
