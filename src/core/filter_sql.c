/* certdeck core — compiling a parsed filter into SQL, and planning which
 * index drives the query.  Every value becomes a bound parameter.
 *
 * Targets: certificates (alias c), CAs (alias a) and the audit log (alias
 * x, with the fields user, action, result, object, section and time). */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "filter_int.h"

/* ---- SQL --------------------------------------------------------------- */

static void bind_add(struct cdi_sql *q, int is_text, int64_t i, const char *s)
{
    if (q->nb == q->cap) {
        size_t cap = q->cap ? q->cap * 2 : 8;
        struct cdi_bind *b = realloc(q->b, cap * sizeof *b);
        if (!b) { q->sql.oom = 1; return; }
        q->b = b; q->cap = cap;
    }
    q->b[q->nb].is_text = is_text;
    q->b[q->nb].i = i;
    q->b[q->nb].s = is_text ? strdup(s) : NULL;
    if (is_text && !q->b[q->nb].s) q->sql.oom = 1;
    q->nb++;
    cdi_buf_add(&q->sql, "?", 1);
}

void cdi_sql_text(struct cdi_sql *q, const char *s) { bind_add(q, 1, 0, s); }
void cdi_sql_int(struct cdi_sql *q, int64_t v) { bind_add(q, 0, v, NULL); }

void cdi_sql_free(struct cdi_sql *q)
{
    for (size_t i = 0; i < q->nb; i++) free(q->b[i].s);
    free(q->b);
    cdi_buf_free(&q->sql);
    memset(q, 0, sizeof *q);
}

#define ADD(q, s) cdi_buf_add(&(q)->sql, s, strlen(s))

struct ctx { int target; int64_t now, warn; struct cdi_sql *q; struct cd_err *err; const char *a; };

static int term_fail(struct ctx *c, const struct node *n, const char *fmt, const char *v)
    CDI_PRINTF(3, 0);
static int term_fail(struct ctx *c, const struct node *n, const char *fmt, const char *v)
{
    char what[300];
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(what, sizeof what, fmt, v);
#pragma GCC diagnostic pop
    int rc = cdi_fail(c->err, CD_E_FILTER, "column %zu: %s", n->pos, what);
    if (c->err) c->err->pos = n->pos;
    return rc;
}

/* LIKE pattern for "contains", with LIKE's own wildcards escaped. */
static char *like_contains(const char *v)
{
    size_t n = strlen(v);
    char *o = malloc(2 * n + 3), *p = o;
    if (!o) return NULL;
    *p++ = '%';
    for (; *v; v++) {
        if (*v == '%' || *v == '_' || *v == '\\') *p++ = '\\';
        *p++ = *v;
    }
    *p++ = '%';
    *p = 0;
    return o;
}

static int text_cond(struct ctx *c, const struct node *n, const char *col)
{
    struct cdi_sql *q = c->q;
    char tmp[512];
    switch (n->op) {
    case OP_HAS: {
        char *p = like_contains(n->value);
        if (!p) return cdi_fail(c->err, CD_E_NOMEM, "out of memory");
        snprintf(tmp, sizeof tmp, "%s LIKE ", col);
        ADD(q, tmp); cdi_sql_text(q, p); ADD(q, " ESCAPE '\\'");
        free(p);
        return CD_OK;
    }
    case OP_EQ: case OP_NE:
        snprintf(tmp, sizeof tmp, "%s %s ", col, n->op == OP_EQ ? "=" : "<>");
        ADD(q, tmp); cdi_sql_text(q, n->value); ADD(q, " COLLATE NOCASE");
        return CD_OK;
    case OP_GLOB:
        snprintf(tmp, sizeof tmp, "lower(%s) GLOB lower(", col);
        ADD(q, tmp); cdi_sql_text(q, n->value); ADD(q, ")");
        return CD_OK;
    }
    return term_fail(c, n, "this field takes \":\", \"=\", \"!=\" or \"~\"%s", "");
}

/* "30d" "-2w" "6m" "1y" from now, or a date. */
static int when(struct ctx *c, const struct node *n, int64_t *t)
{
    const char *v = n->value;
    char *end;
    errno = 0;
    long long k = strtoll(v, &end, 10);
    if (end != v && end[0] && !end[1] && strchr("hdwmy", end[0])) {
        /* a million units (hours to years) is past any certificate; the cap
         * keeps now + k * unit far from int64 overflow */
        if (errno == ERANGE || k > CDI_FILTER_MAX_DISTANCE || k < -CDI_FILTER_MAX_DISTANCE)
            return term_fail(c, n, "the number in \"%.60s\" is too large (at most " CDI_STR(CDI_FILTER_MAX_DISTANCE)
                             " units)", v);
        int64_t unit = end[0] == 'h' ? 3600 : end[0] == 'd' ? 86400 : end[0] == 'w' ? 7 * 86400
                     : end[0] == 'm' ? 30 * 86400 : 365 * 86400;
        *t = c->now + (int64_t)k * unit;
        return CD_OK;
    }
    if (!strcasecmp(v, "now") || !strcasecmp(v, "today")) { *t = c->now; return CD_OK; }
    if (cdi_parse_date(v, t) == 0) return CD_OK;
    return term_fail(c, n, "\"%.60s\" is neither a date (2026-01-31) nor a distance (30d, 2w, 6m, 1y)", v);
}

static int date_cond(struct ctx *c, const struct node *n, const char *col)
{
    int64_t t;
    int rc = when(c, n, &t);
    if (rc) return rc;
    const char *op;
    switch (n->op) {
    case OP_LT: op = "<"; break;
    case OP_LE: op = "<="; break;
    case OP_GT: op = ">"; break;
    case OP_GE: op = ">="; break;
    case OP_HAS: case OP_EQ: {
        /* the whole UTC day */
        int64_t d0 = t - ((t % 86400) + 86400) % 86400;
        char tmp[128];
        snprintf(tmp, sizeof tmp, "(%s >= ", col);
        ADD(c->q, tmp); cdi_sql_int(c->q, d0);
        snprintf(tmp, sizeof tmp, " AND %s < ", col);
        ADD(c->q, tmp); cdi_sql_int(c->q, d0 + 86400); ADD(c->q, ")");
        return CD_OK;
    }
    default: return term_fail(c, n, "dates take <, <=, >, >=, = or :%s", "");
    }
    char tmp[128];
    snprintf(tmp, sizeof tmp, "%s %s ", col, op);
    ADD(c->q, tmp);
    cdi_sql_int(c->q, t);
    return CD_OK;
}

static int status_cond(struct ctx *c, const struct node *n)
{
    const char *a = c->a, *v = n->value;
    char tmp[400];
    int cert = c->target == CDI_TARGET_CERT;
    const char *notrev = cert ? " AND c.revoked_at = 0" : "";
    if (n->op != OP_HAS && n->op != OP_EQ) return term_fail(c, n, "status takes \":\"%s", "");
    if (!strcasecmp(v, "revoked")) {
        if (!cert) return term_fail(c, n, "CAs are never revoked%s", "");
        ADD(c->q, "c.revoked_at <> 0");
        return CD_OK;
    }
    if (!strcasecmp(v, "pending")) {
        /* APN/ABM requests waiting for Apple's certificate (schema 9) */
        ADD(c->q, cert ? "(c.pending <> 0 AND c.revoked_at = 0)" : "0");
        return CD_OK;
    }
    if (!strcasecmp(v, "expired")) {
        snprintf(tmp, sizeof tmp, "(%s.not_after <= ", a); ADD(c->q, tmp);
    } else if (!strcasecmp(v, "notyet")) {
        /* a pending row sits at SQ_PENDING_TIME: not yet valid, but pending */
        snprintf(tmp, sizeof tmp, "(%s%s.not_before > ", cert ? SQ_NOT_PENDING("c.not_before") " AND " : "", a);
        ADD(c->q, tmp);
    } else if (!strcasecmp(v, "valid") || !strcasecmp(v, "expiring")) {
        int exp = !strcasecmp(v, "expiring");
        snprintf(tmp, sizeof tmp, "(%s.not_before <= ", a); ADD(c->q, tmp); cdi_sql_int(c->q, c->now);
        snprintf(tmp, sizeof tmp, " AND %s.not_after %s ", a, exp ? "<=" : ">"); ADD(c->q, tmp);
        cdi_sql_int(c->q, c->now + c->warn);
        if (exp) { snprintf(tmp, sizeof tmp, " AND %s.not_after > ", a); ADD(c->q, tmp); cdi_sql_int(c->q, c->now); }
        ADD(c->q, notrev); ADD(c->q, ")");
        return CD_OK;
    } else {
        return term_fail(c, n, "unknown status \"%.40s\" (valid, expiring, expired, revoked, notyet, pending)", v);
    }
    cdi_sql_int(c->q, c->now);
    ADD(c->q, notrev); ADD(c->q, ")");
    return CD_OK;
}

/* The FTS5 query for a substring: one quoted phrase, quotes doubled. */
static char *fts_phrase(const char *v)
{
    struct cdi_buf b = { 0 };
    cdi_buf_add(&b, "\"", 1);
    for (const char *p = v; *p; p++) {
        if (*p == '"') cdi_buf_add(&b, "\"", 1);
        cdi_buf_add(&b, p, 1);
    }
    cdi_buf_add(&b, "\"", 1);
    if (b.oom) { cdi_buf_free(&b); return NULL; }
    return (char *)b.p;
}

static int uses_fts(const struct node *n)
{
    return n->kind == N_TERM && n->field == F_TEXT && strlen(n->value) >= 3;
}

static int free_text(struct ctx *c, const struct node *n)
{
    struct cdi_sql *q = c->q;
    /* FTS5 trigram answers substring queries from 3 characters on in well
     * under a millisecond over a million rows; shorter ones fall back to LIKE. */
    if (c->target == CDI_TARGET_CERT && uses_fts(n)) {
        char *ph = fts_phrase(n->value);
        if (!ph) return cdi_fail(c->err, CD_E_NOMEM, "out of memory");
        ADD(q, "c.id IN (SELECT rowid FROM cert_fts WHERE cert_fts MATCH ");
        cdi_sql_text(q, ph);
        ADD(q, ")");
        free(ph);
        return CD_OK;
    }
    static const char *cert_cols[] = { "c.cn", "c.description", "c.host", "c.serial", "c.fingerprint", "c.subject" };
    static const char *ca_cols[] = { "a.cn", "a.description", "a.serial", "a.fingerprint", "a.subject" };
    const char **cols = c->target == CDI_TARGET_CERT ? cert_cols : ca_cols;
    size_t ncols = c->target == CDI_TARGET_CERT ? 6 : 5;
    char *p = like_contains(n->value);
    if (!p) return cdi_fail(c->err, CD_E_NOMEM, "out of memory");
    ADD(q, "(");
    for (size_t i = 0; i < ncols; i++) {
        if (i) ADD(q, " OR ");
        ADD(q, cols[i]); ADD(q, " LIKE "); cdi_sql_text(q, p); ADD(q, " ESCAPE '\\'");
    }
    if (c->target == CDI_TARGET_CA) {
        ADD(q, " OR a.id IN (SELECT x.ca_id FROM ca_tags x JOIN tags t ON t.id = x.tag_id WHERE t.name LIKE ");
        cdi_sql_text(q, p); ADD(q, " ESCAPE '\\')");
    }
    ADD(q, ")");
    free(p);
    return CD_OK;
}

static int group_cond(struct ctx *c, const struct node *n)
{
    struct cdi_sql *q = c->q;
    char tmp[128];
    const char *v = n->value;
    snprintf(tmp, sizeof tmp, "%s.group_id IN (SELECT g.id FROM groups g WHERE ", c->a);
    ADD(q, tmp);
    size_t len = strlen(v);
    while (len > 1 && v[len - 1] == '/') len--;
    char *path = strndup(v, len);
    if (!path) return cdi_fail(c->err, CD_E_NOMEM, "out of memory");
    if (n->op == OP_GLOB) {
        ADD(q, "g.path GLOB "); cdi_sql_text(q, path);
    } else if (path[0] == '/') {
        /* group:/All/X is the group and its subgroups; group=/All/X only it */
        ADD(q, "g.path = "); cdi_sql_text(q, path); ADD(q, " COLLATE NOCASE");
        if (n->op != OP_EQ) {
            char *sub = cdi_printf("%s/*", path);
            if (!sub) { free(path); return cdi_fail(c->err, CD_E_NOMEM, "out of memory"); }
            ADD(q, " OR g.path GLOB "); cdi_sql_text(q, sub);
            free(sub);
        }
    } else {
        /* a bare name: any group of that name, with its subgroups */
        char *a = cdi_printf("*/%s", path), *b = cdi_printf("*/%s/*", path);
        if (!a || !b) { free(a); free(b); free(path); return cdi_fail(c->err, CD_E_NOMEM, "out of memory"); }
        ADD(q, "lower(g.path) GLOB lower("); cdi_sql_text(q, a); ADD(q, ")");
        if (n->op != OP_EQ) { ADD(q, " OR lower(g.path) GLOB lower("); cdi_sql_text(q, b); ADD(q, ")"); }
        free(a); free(b);
    }
    ADD(q, ")");
    free(path);
    return CD_OK;
}

/* The audit log's own fields; the certificate fields mean nothing there. */
static int audit_term(struct ctx *c, const struct node *n)
{
    struct cdi_sql *q = c->q;
    switch (n->field) {
    case F_USER: return text_cond(c, n, "x.user");
    case F_ACTION: return text_cond(c, n, "x.action");
    case F_RESULT: {
        /* the results are three words: a value that matches none of them
         * is a typo, said so like an unknown product, not an empty list */
        static const char *const results[] = { "Success", "Failure", "Forbidden" };
        int any = n->op == OP_GLOB;
        for (size_t i = 0; i < 3 && !any; i++)
            any = n->op == OP_HAS ? strcasestr(results[i], n->value) != NULL : !strcasecmp(results[i], n->value);
        if (!any) return term_fail(c, n, "unknown result \"%.40s\" (Success, Failure, Forbidden)", n->value);
        return text_cond(c, n, "x.result");
    }
    case F_OBJECT: return text_cond(c, n, "x.object");
    case F_SECTION: return text_cond(c, n, CDI_AUDIT_SECTION);
    case F_TIME: return date_cond(c, n, "x.ts");
    case F_TEXT: {
        char *p = like_contains(n->value);
        if (!p) return cdi_fail(c->err, CD_E_NOMEM, "out of memory");
        static const char *const cols[] = { "x.user", "x.action", "x.object", "x.result", "x.detail" };
        ADD(q, "(");
        for (size_t i = 0; i < 5; i++) {
            if (i) ADD(q, " OR ");
            ADD(q, cols[i]); ADD(q, " LIKE "); cdi_sql_text(q, p); ADD(q, " ESCAPE '\\'");
        }
        ADD(q, ")");
        free(p);
        return CD_OK;
    }
    default:
        return term_fail(c, n, "the audit log has user, action, result, object, section, time and id%s", "");
    }
}

static int term_sql(struct ctx *c, const struct node *n)
{
    if (c->target == CDI_TARGET_AUDIT && n->field != F_ID) return audit_term(c, n);
    if (n->field >= F_USER && n->field != F_ID)
        return term_fail(c, n, "only the audit log has user, action, result, object, section and time%s", "");
    struct cdi_sql *q = c->q;
    int cert = c->target == CDI_TARGET_CERT;
    char tmp[256];
    const char *col = NULL;
    switch (n->field) {
    case F_TEXT: return free_text(c, n);
    case F_REVOKED:
        if (!cert) return term_fail(c, n, "CAs are never revoked%s", "");
        ADD(q, "c.revoked_at <> 0");
        return CD_OK;
    case F_STATUS: return status_cond(c, n);
    case F_REPLACED:
    case F_INUSE: {
        /* replaced:yes, a renewal replaces it (certs.replaces, schema 9);
         * inuse:yes, a client presented it in the last CD_USAGE_RECENT_DAYS
         * days (agent check-ins: the usage table) */
        int rep = n->field == F_REPLACED;
        if (!cert) return term_fail(c, n, "%s", rep ? "CAs are not renewed: a rollover gives them a successor"
                                                    : "CAs are not presented by clients: their certificates are");
        int yes = !strcasecmp(n->value, "yes"), no = !strcasecmp(n->value, "no");
        if ((!yes && !no) || (n->op != OP_HAS && n->op != OP_EQ && n->op != OP_NE))
            return term_fail(c, n, "%s", rep ? "replaced takes yes or no (replaced:yes)" : "inuse takes yes or no (inuse:yes)");
        if (n->op == OP_NE) yes = !yes;
        if (rep) {
            ADD(q, yes ? "EXISTS" : "NOT EXISTS");
            ADD(q, "(SELECT 1 FROM certs r WHERE r.replaces = c.id AND r.replaces <> 0)");   /* the partial index */
        } else {
            /* not correlated: the recent clients' certificates are listed
             * once, not looked up per row of a million */
            ADD(q, yes ? "c.id IN" : "c.id NOT IN");
            ADD(q, " (SELECT x.cert_id FROM usage x WHERE x.last_seen >= ");
            cdi_sql_int(q, c->now - (int64_t)CD_USAGE_RECENT_DAYS * 86400);
            ADD(q, ")");
        }
        return CD_OK;
    }
    case F_GROUP: return group_cond(c, n);
    case F_EXPIRES:
    case F_ISSUED: {
        /* a pending row (schema 9) has no dates: its SQ_PENDING_TIME is no answer to a date term */
        snprintf(tmp, sizeof tmp, "%s.%s", c->a, n->field == F_EXPIRES ? "not_after" : "not_before");
        if (cert) ADD(q, n->field == F_EXPIRES ? "(" SQ_NOT_PENDING("c.not_after") " AND "
                                               : "(" SQ_NOT_PENDING("c.not_before") " AND ");
        int rc = date_cond(c, n, tmp);
        if (cert) ADD(q, ")");
        return rc;
    }
    case F_ID: {
        char *end;
        errno = 0;
        long long v = strtoll(n->value, &end, 10);
        if (*end || end == n->value) return term_fail(c, n, "id takes a number, not \"%.40s\"", n->value);
        if (errno == ERANGE) return term_fail(c, n, "the id \"%.40s\" is too large", n->value);
        const char *op = n->op == OP_LT ? "<" : n->op == OP_LE ? "<=" : n->op == OP_GT ? ">"
                       : n->op == OP_GE ? ">=" : n->op == OP_NE ? "<>" : "=";
        if (n->op == OP_GLOB) return term_fail(c, n, "id does not take \"~\"%s", "");
        snprintf(tmp, sizeof tmp, "%s.id %s ", c->a, op);
        ADD(q, tmp); cdi_sql_int(q, v);
        return CD_OK;
    }
    case F_PRODUCT: {
        if (!cert) return term_fail(c, n, "CAs have no product%s", "");
        int p = cd_product_parse(n->value);
        if (p < 0) return term_fail(c, n, "unknown product \"%.40s\" (agent, server, proxy, mdm, custom)", n->value);
        if (n->op != OP_HAS && n->op != OP_EQ && n->op != OP_NE)
            return term_fail(c, n, "product takes \":\", \"=\" or \"!=\"%s", "");
        ADD(q, n->op == OP_NE ? "c.product <> " : "c.product = ");
        cdi_sql_int(q, p);
        return CD_OK;
    }
    case F_TAG: {
        snprintf(tmp, sizeof tmp, "%s.id IN (SELECT x.%s FROM %s x JOIN tags t ON t.id = x.tag_id WHERE ",
                 c->a, cert ? "cert_id" : "ca_id", cert ? "cert_tags" : "ca_tags");
        if (n->op == OP_NE) ADD(q, "NOT ");
        ADD(q, tmp);
        if (n->op == OP_GLOB) { ADD(q, "lower(t.name) GLOB lower("); cdi_sql_text(q, n->value); ADD(q, "))"); }
        else if (n->op == OP_HAS || n->op == OP_EQ || n->op == OP_NE) { ADD(q, "t.name = "); cdi_sql_text(q, n->value); ADD(q, ")"); }
        else return term_fail(c, n, "tag takes \":\", \"=\", \"!=\" or \"~\"%s", "");
        return CD_OK;
    }
    case F_CN: col = cert ? "c.cn" : "a.cn"; break;
    case F_SUBJECT: col = cert ? "c.subject" : "a.subject"; break;
    case F_DESC: col = cert ? "c.description" : "a.description"; break;
    case F_KEY: col = cert ? "c.key_alg" : "a.key_alg"; break;
    case F_HOST: if (!cert) return term_fail(c, n, "CAs have no host%s", ""); col = "c.host"; break;
    case F_ISSUER:
        if (!cert) return term_fail(c, n, "use cn: for a CA's own name%s", "");
        col = "(SELECT i.cn FROM cas i WHERE i.id = c.ca_id)";
        break;
    case F_SERIAL: case F_FP: {
        /* stored as lowercase hex without colons: normalise the value */
        const char *base = n->field == F_SERIAL ? "serial" : "fingerprint";
        snprintf(tmp, sizeof tmp, "%s.%s", c->a, base);
        struct node m = *n;
        char *norm = malloc(strlen(n->value) + 1), *o = norm;
        if (!norm) return cdi_fail(c->err, CD_E_NOMEM, "out of memory");
        for (const char *p = n->value; *p; p++)
            if (*p != ':') *o++ = (char)tolower((unsigned char)*p);
        *o = 0;
        m.value = norm;
        int rc = text_cond(c, &m, tmp);
        free(norm);
        return rc;
    }
    }
    if (n->op > OP_GLOB) return term_fail(c, n, "this field takes \":\", \"=\", \"!=\" or \"~\"%s", "");
    return text_cond(c, n, col);
}

static int node_sql(struct ctx *c, const struct node *n)
{
    int rc;
    if (n->driven) { ADD(c->q, "1"); return CD_OK; }
    switch (n->kind) {
    case N_AND: case N_OR:
        ADD(c->q, "(");
        if ((rc = node_sql(c, n->l))) return rc;
        ADD(c->q, n->kind == N_AND ? " AND " : " OR ");
        if ((rc = node_sql(c, n->r))) return rc;
        ADD(c->q, ")");
        return CD_OK;
    case N_NOT:
        ADD(c->q, "NOT (");
        if ((rc = node_sql(c, n->l))) return rc;
        ADD(c->q, ")");
        return CD_OK;
    }
    return term_sql(c, n);
}

int cdi_filter_sql(const cd_filter *f, int target, int64_t now, int64_t warn, struct cdi_sql *q, struct cd_err *err)
{
    struct ctx c = { target, now, warn, q, err, target == CDI_TARGET_CERT ? "c" : target == CDI_TARGET_CA ? "a" : "x" };
    if (!f || !f->root) { ADD(q, "1"); return CD_OK; }
    ADD(q, "(");
    int rc = node_sql(&c, f->root);
    ADD(q, ")");
    if (!rc && q->sql.oom) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    return rc;
}

/* The first top-level conjunct that can drive the query. */
static struct node *find_driver(struct node *n)
{
    if (!n) return NULL;
    if (n->kind == N_AND) {
        struct node *d = find_driver(n->l);
        return d ? d : find_driver(n->r);
    }
    if (n->kind != N_TERM) return NULL;
    if (n->field == F_TAG && (n->op == OP_HAS || n->op == OP_EQ)) return n;
    if (uses_fts(n)) return n;
    return NULL;
}

/* Every top-level free-text word joins one FTS5 query ("a" AND "b"): one
 * index walk instead of one materialised list per word. */
static void absorb_text(struct node *n, struct cdi_buf *m)
{
    if (!n) return;
    if (n->kind == N_AND) { absorb_text(n->l, m); absorb_text(n->r, m); return; }
    if (n->kind != N_TERM || !uses_fts(n)) return;
    char *ph = fts_phrase(n->value);
    if (!ph) { m->oom = 1; return; }
    if (m->len) cdi_buf_add(m, " AND ", 5);
    cdi_buf_add(m, ph, strlen(ph));
    free(ph);
    n->driven = 1;
}

const char *cdi_filter_join(cd_filter *f, struct cdi_sql *q)
{
    struct node *d = f ? find_driver(f->root) : NULL;
    if (!d) return NULL;
    if (d->field == F_TAG) {
        d->driven = 1;
        ADD(q, " JOIN cert_tags jt ON jt.cert_id = c.id AND jt.tag_id = (SELECT id FROM tags WHERE name = ");
        cdi_sql_text(q, d->value);
        ADD(q, ")");
        return "jt.cert_id";
    }
    struct cdi_buf m = { 0 };
    absorb_text(f->root, &m);
    if (m.oom || !m.p) { cdi_buf_free(&m); q->sql.oom = 1; return NULL; }
    ADD(q, " JOIN cert_fts jf ON jf.rowid = c.id AND jf.cert_fts MATCH ");
    cdi_sql_text(q, (char *)m.p);
    cdi_buf_free(&m);
    return "jf.rowid";
}
