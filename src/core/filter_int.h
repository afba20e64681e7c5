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

enum cdi_target { CDI_TARGET_CERT, CDI_TARGET_CA };

void cdi_sql_text(struct cdi_sql *q, const char *s);        /* appends "?" bound to s */
void cdi_sql_int(struct cdi_sql *q, int64_t v);             /* appends "?" bound to v */
void cdi_sql_free(struct cdi_sql *q);

/* Appends "(condition)" for the filter over alias c (certs) or a (cas). */
int  cdi_filter_sql(const cd_filter *f, int target, int64_t now, struct cdi_sql *q,
                    struct cd_err *err);
/* 1 when the filter asks about revocation, so revoked rows must not be hidden. */
int  cdi_filter_wants_revoked(const cd_filter *f);

#endif
