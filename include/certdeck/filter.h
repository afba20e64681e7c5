/* certdeck — the filter language (doc/certdeck-filter.7).
 *
 * One parser serves the TUI, the CLI and the server.  A parsed filter is
 * compiled by the store backend into its own query (SQL with bound
 * parameters for the sqlite backend); front ends only parse to report errors
 * early, with the column where the expression went wrong. */
#ifndef CERTDECK_FILTER_H
#define CERTDECK_FILTER_H

#include <certdeck/error.h>

typedef struct cd_filter cd_filter;

/* Parses `expr`; on CD_E_FILTER err->pos is the 1-based column of the problem. */
int  cd_filter_parse(const char *expr, cd_filter **out, struct cd_err *err);
void cd_filter_free(cd_filter *f);

/* Parse-only check: CD_OK or CD_E_FILTER with err->pos. */
int  cd_filter_check(const char *expr, struct cd_err *err);

#endif
