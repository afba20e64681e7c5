/* certdeck — expiry check for monitoring (`certdeck check`, the console's
 * banner): what the user can read that expires within a warning or a
 * critical window, or has expired, as of a given time.
 *
 * Levels follow the monitoring plugin convention (Nagios, Icinga), so a
 * level is also the exit status of `certdeck check`. */
#ifndef CERTDECK_CHECK_H
#define CERTDECK_CHECK_H

#include <stdint.h>
#include <certdeck/error.h>

typedef struct cd_store cd_store;
typedef struct cd_user  cd_user;

enum cd_check_level { CD_CHECK_OK = 0, CD_CHECK_WARNING = 1, CD_CHECK_CRITICAL = 2, CD_CHECK_UNKNOWN = 3 };

/* Default windows: warning within 90 days, critical within 14. */
#define CD_CHECK_WARN_DEFAULT (90 * 86400LL)
#define CD_CHECK_CRIT_DEFAULT (14 * 86400LL)

/* The store's warning window, in days: what "expiring" means everywhere (the
 * status of CAs and certificates, the filter status:expiring, the console's
 * banner and side panel, check's default --warn).  Stored in the store
 * (default 90 days), carried by mirror images.  Anyone logged in may read
 * it; setting it (CD_EXPIRY_WARN_MIN_DAYS..CD_EXPIRY_WARN_MAX_DAYS) is for
 * administrators (CD_ACT_SERVER_SETTINGS) and audited. */
#define CD_EXPIRY_WARN_MIN_DAYS 1
#define CD_EXPIRY_WARN_MAX_DAYS 3650
int cd_expiry_warning_get(cd_store *s, const cd_user *u, int *days, struct cd_err *err);
int cd_expiry_warning_set(cd_store *s, const cd_user *u, int days, struct cd_err *err);

struct cd_check_opts {
    int64_t     at;      /* evaluate as of this time (UTC seconds); 0 = now */
    int64_t     warn;    /* warning window in seconds; 0 = the store's (cd_expiry_warning_get) */
    int64_t     crit;    /* critical window in seconds; 0 = CD_CHECK_CRIT_DEFAULT; <= warn */
    const char *filter;  /* filter language: restricts the certificates (not the CAs) */
    int64_t     limit;   /* offenders listed per kind (CAs, certificates); <= 0: all */
};

/* One offender: a CA (kind CD_KIND_CA) or a certificate (CD_KIND_CERT). */
struct cd_check_item {
    int     kind;        /* enum cd_kind */
    int64_t id;
    int     level;       /* CD_CHECK_WARNING or CD_CHECK_CRITICAL */
    int     expired;     /* 1: not_after <= at */
    int64_t not_after;
    int64_t days_left;   /* whole days from at to not_after, rounded down; negative when expired */
    char   *cn, *group;  /* exact (unsanitised) */
};

/* Counts by kind: [0] expired, [1] critical (not yet expired), [2] warning. */
enum { CD_CHECK_N_EXPIRED, CD_CHECK_N_CRITICAL, CD_CHECK_N_WARNING };
struct cd_check_result {
    int     level;       /* the worst of the offenders; CD_CHECK_OK when none */
    int64_t at, warn, crit;   /* as evaluated */
    int64_t cas[3], certs[3];
    size_t  n;           /* rows: CAs first (a CA that expires takes its fleet with it), */
    struct cd_check_item *rows;   /* then certificates; each kind soonest first */
};

/* Evaluates the expiry of every CA and of every unrevoked certificate u can
 * read (certificates not yet valid at `at` count too: they will expire).
 * Counts are exact; rows hold at most o->limit per kind.  Errors: CD_E_INVAL
 * (windows), CD_E_FILTER (o->filter, err->pos), the store's.  Free the
 * result with cd_check_free. */
int  cd_check(cd_store *s, const cd_user *u, const struct cd_check_opts *o,
              struct cd_check_result *out, struct cd_err *err);
void cd_check_free(struct cd_check_result *r);
/* "OK", "WARNING", "CRITICAL", "UNKNOWN" */
const char *cd_check_level_name(int level);

#endif
