/* certdeck core — compiling a parsed filter into SQL (cdi_ tier).
 *
 * Values never enter the SQL text: every literal becomes a bound parameter,
 * so a filter can only ever select rows, never change the statement. */
#ifndef CERTDECK_FILTER_INT_H
#define CERTDECK_FILTER_INT_H

#include "core_int.h"

struct cdi_bind { int is_text; int64_t i; char *s; };
struct cdi_sql {
    struct cdi_buf sql;
    struct cdi_bind *b;
    size_t nb, cap;
};

/* Limits of the language (doc/certdeck-filter.7).  The parser recurses per
 * "(" and "not", so their nesting is capped; and/or chains are loops that
 * build balanced trees, so many terms cost little depth.  MAX_HEIGHT bounds
 * the nesting of the SQL made from a tree: SQLite's parser stack (100
 * entries) overflows at about 25 of its levels (measured), whatever the terms. */
#define CDI_FILTER_MAX_DEPTH  32
#define CDI_FILTER_MAX_TERMS  4000
#define CDI_FILTER_MAX_HEIGHT 16
#define CDI_FILTER_MAX_DISTANCE 1000000     /* "30d": at most this many units */
#define CDI_STR_(x) #x
#define CDI_STR(x) CDI_STR_(x)

/* not_before and not_after of a pending certificate (schema 9):
 * 9999-12-31 23:59:59 UTC, after every window any query asks about.  Also
 * the date of a real certificate "without an expiry" (RFC 5280, 4.1.2.5),
 * so a term that must skip pending rows says "the date is earlier, or the
 * row is not pending": the first half is read from the date's index and
 * only rows at that very date are looked up (a plain "pending = 0" made
 * every row of an expiry range a table read: check over 1M, 0.2 s -> 4 s) */
#define SQ_PENDING_DIGITS 253402300799
#define SQ_PENDING_TIME ((int64_t)SQ_PENDING_DIGITS)
#define SQ_NOT_PENDING(col) "(" col " < " CDI_STR(SQ_PENDING_DIGITS) " OR c.pending = 0)"

enum cdi_target { CDI_TARGET_CERT, CDI_TARGET_CA, CDI_TARGET_AUDIT };

/* The parsed tree (filter.c builds it, filter_sql.c compiles it). */
enum fld {
    F_TEXT, F_CN, F_SUBJECT, F_DESC, F_HOST, F_SERIAL, F_FP, F_ISSUER, F_KEY, F_PRODUCT,
    F_TAG, F_GROUP, F_STATUS, F_REVOKED, F_EXPIRES, F_ISSUED, F_ID, F_REPLACED, F_INUSE,
    F_USER, F_ACTION, F_RESULT, F_OBJECT, F_SECTION, F_TIME      /* the audit log */
};
enum op { OP_NONE, OP_HAS, OP_EQ, OP_NE, OP_GLOB, OP_LT, OP_LE, OP_GT, OP_GE };
enum kind { N_AND, N_OR, N_NOT, N_TERM };

struct node {
    int kind;
    struct node *l, *r;
    int field, op;
    char *value;
    size_t pos;          /* column of the term, for errors found while compiling */
    int driven;          /* taken over by cdi_filter_join: compiles to "1" */
    int height;          /* and/or/not levels from here down (0 for a term) */
};

struct cd_filter { struct node *root; int revoked; };


/* An audit record's section, from its object and action (alias x). */
#define CDI_AUDIT_SECTION \
    "(CASE WHEN x.object GLOB 'cert [0-9]*' THEN 'Certificates'" \
    " WHEN x.object GLOB 'ca [0-9]*' OR x.object = 'ca' THEN 'Certification authorities'" \
    " WHEN x.object = 'server' THEN 'Server' WHEN x.object GLOB 'user *' THEN 'Users' WHEN x.object GLOB 'permset *' THEN 'Permission sets'" \
    " WHEN x.action GLOB '*access group' THEN 'Access groups' WHEN x.action GLOB '* tag' THEN 'Tags'" \
    " WHEN x.action GLOB '*preset' THEN 'Presets' ELSE 'Store' END)"

void cdi_sql_text(struct cdi_sql *q, const char *s);        /* appends "?" bound to s */
void cdi_sql_int(struct cdi_sql *q, int64_t v);             /* appends "?" bound to v */
void cdi_sql_free(struct cdi_sql *q);

/* Appends "(condition)" for the filter over alias c (certs) or a (cas);
 * status:expiring means within `warn` seconds of `now`. */
int  cdi_filter_sql(const cd_filter *f, int target, int64_t now, int64_t warn, struct cdi_sql *q,
                    struct cd_err *err);
/* Query planning: when the filter is an "and" of terms and one of them is a
 * tag (tag:x) or a free-text word of 3+ characters, appends a JOIN on
 * cert_tags / cert_fts that drives the query in id order, and takes that term
 * out of what cdi_filter_sql emits.  Returns the driver's key for ORDER BY
 * ("jt.cert_id", "jf.rowid") or NULL when nothing was appended.  Why: with
 * the join, a first page of 50 rows reads about 50 index entries whether the
 * term matches ten rows or a million; "c.id IN (subquery)" reads them all. */
const char *cdi_filter_join(cd_filter *f, struct cdi_sql *q);
/* 1 when the filter asks about revocation, so revoked rows must not be hidden. */
int  cdi_filter_wants_revoked(const cd_filter *f);

#endif
