/* certdeck bench — bulk renewal: 10,000 P-256 certificates (each with its
 * own subject, host, tags) renewed in one cd_cert_renew, with an audit
 * record each (target: >= 2,000 per second on 2 cores), against the raw
 * limit measured in the same run (GnuTLS keygen + sign, bulk_bench.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sq_int.h"

double bench_now(void);
double renew_rate(const char *path, size_t n);

static void die(const char *what, struct cd_err *e, int rc)
{
    fprintf(stderr, "bench: %s: %s\n", what, cd_errmsg(e, rc));
    exit(1);
}

/* certs/s of renewing n certificates issued by cd_cert_new into a fresh
 * store at path (the issuing is not timed) */
double renew_rate(const char *path, size_t n)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s.key' '%s-wal' '%s-shm'", path, path, path, path);
    if (system(cmd)) { fprintf(stderr, "bench: %s failed\n", cmd); exit(1); }
    cd_store *s;
    cd_user *u;
    struct cd_err e = { 0 };
    int rc = cd_store_open(path, CD_OPEN_CREATE, &s, &e);
    if (!rc) rc = cd_store_init(s, "admin", &e);
    if (rc) die("store", &e, rc);
    if ((rc = cd_user_owner(s, &u, &e))) die("owner", &e, rc);
    int64_t *ids = calloc(n, sizeof *ids), *nids = calloc(n, sizeof *nids);
    const char *tags[] = { "fleet", "bench", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .host = "node.example.org",
                                .subject = { .cn = "node", .o = "Bench Ltd", .c = "SK" }, .tags = tags,
                                .description = "renew bench", .keytype = CD_KEY_EC256, .days = 365 };
    if ((rc = cd_cert_new(s, u, &p, n, NULL, NULL, ids, &e))) die("issue", &e, rc);
    struct cd_renew_params rp = { 0 };
    double t0 = bench_now();
    if ((rc = cd_cert_renew(s, u, &rp, ids, n, NULL, NULL, nids, &e))) die("renew", &e, rc);
    double dt = bench_now() - t0;
    struct cd_cert c = { 0 };
    if ((rc = cd_cert_get(s, u, ids[n - 1], &c, &e))) die("get", &e, rc);
    if (c.replaced_by != nids[n - 1]) { fprintf(stderr, "bench: renewal not linked\n"); exit(1); }
    cd_cert_clear(&c);
    free(ids);
    free(nids);
    cd_user_free(u);
    cd_store_close(s);
    return (double)n / dt;
}
