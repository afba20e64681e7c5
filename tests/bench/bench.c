/* certdeck bench — `make bench`.  Prints one table of figures measured in
 * this run, with ratios against certtool and openssl loops run alongside:
 *   - bulk issue of 5,000 P-256 certificates with audit records (certs/s)
 *   - the same work as a certtool loop and an openssl loop (2 execs a cert)
 *   - the raw limit (GnuTLS P-256 keygen + sign on every core, no store) and
 *     bulk issuance as a share of it (bulk_bench.c): 5 rounds, the two
 *     interleaved (order alternating), best and median of each and the
 *     spread of the rounds' ratios
 *   - bulk renew of 10,000 P-256 certificates with audit records, and a CA
 *     rollover of 10,000 with the longest wait of another writer (renew_bench.c)
 *   - RSA-2048 bulk on 1 thread and on 2
 *   - a revoke's and a tag change's latency from another process during a
 *     bulk RSA run (bulk_bench.c)
 *   - first-page filter latency (p50/p95) at 100k and 1M certificates
 *   - certdeckd: the remote store over loopback TLS and agent check-ins
 *     under load (server_bench.c)
 *   - the HTTP mirror: publish, a full and an unchanged pull from lighttpd,
 *     the console on the mirror (mirror_bench.c)
 * The 100k/1M stores are seeded once into build/bench/ with synthetic rows
 * (real DER and sealed key blobs copied, random names, dates, tags, groups)
 * and reused by later runs.  Usage: bench [--quick] (no 1M store)
 * [--console | --bulk | --server | --checkins | --mirror | --renew] (only that part). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <sqlite3.h>
#include "sq_int.h"

void tui_bench(const char *bin, const char *store, const char *scale);   /* tui_bench.c */
void server_bench(const char *bin, const char *store100k);              /* server_bench.c */
void mirror_bench(const char *bin, const char *store100k);              /* mirror_bench.c */
double bulk_raw_rate(size_t n, int bare);                               /* bulk_bench.c */
void bulk_revoke_latency(const char *path, int keytype, size_t count);
void renew_rows(double raw);                                            /* renew_bench.c */
void rollover_row(size_t n);

double bench_now(void);
double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, struct cd_err *e, int rc)
{
    fprintf(stderr, "bench: %s: %s\n", what, cd_errmsg(e, rc));
    exit(1);
}

static void sh(const char *cmd)
{
    if (system(cmd) != 0) { fprintf(stderr, "bench: command failed: %s\n", cmd); exit(1); }
}

static cd_store *fresh(const char *path, cd_user **u)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -f '%s' '%s.key' '%s-wal' '%s-shm'", path, path, path, path);
    sh(cmd);
    cd_store *s;
    struct cd_err e = { 0 };
    int rc = cd_store_open(path, CD_OPEN_CREATE, &s, &e);
    if (!rc) rc = cd_store_init(s, "admin", &e);
    if (!rc) rc = cd_user_owner(s, u, &e);
    if (rc) die("store", &e, rc);
    return s;
}

/* certs/s of issuing n certificates of keytype into one transaction */
static double issue_rate(cd_store *s, cd_user *u, int keytype, size_t n, int threads)
{
    struct cd_ca_params cp = { .subject = { .cn = "Bench CA" }, .keytype = CD_KEY_EC256 };
    struct cd_err e = { 0 };
    int64_t ca;
    int rc = cd_ca_new(s, u, &cp, &ca, &e);
    if (rc) die("CA", &e, rc);
    struct cd_cert_params p = { .ca_id = ca, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bench" },
                                .keytype = keytype, .days = 365 };
    cdi_max_threads = threads;
    double t0 = bench_now();
    rc = cd_cert_new(s, u, &p, n, NULL, NULL, NULL, &e);
    double t = bench_now() - t0;
    cdi_max_threads = 0;
    if (rc) die("issue", &e, rc);
    return (double)n / t;
}

static double loop_rate(const char *setup, const char *iter, int n)
{
    sh(setup);
    double t0 = bench_now();
    for (int i = 0; i < n; i++) sh(iter);
    return n / (bench_now() - t0);
}

/* ---- seeding a large store ------------------------------------------- */

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t rnd(void) { rng ^= rng << 13; rng ^= rng >> 7; rng ^= rng << 17; return rng; }

static const char *const tags[] = { "prod", "staging", "dev", "pci", "linux", "windows", "macos", "critical" };

static void seed(const char *path, long n)
{
    struct stat st;
    char mark[300];
    snprintf(mark, sizeof mark, "%s.done", path);
    if (stat(mark, &st) == 0) return;
    fprintf(stderr, "bench: seeding %ld certificates into %s (once) ...\n", n, path);
    double t0 = bench_now();
    cd_user *u;
    cd_store *s = fresh(path, &u);
    struct cd_err e = { 0 };
    for (int site = 0; site < 5; site++) {
        char g[64];
        snprintf(g, sizeof g, "/All/Site-%02d", site);
        cd_group_add(s, u, g, &e);
        for (int d = 0; d < 3; d++) {
            snprintf(g, sizeof g, "/All/Site-%02d/Dept-%d", site, d);
            cd_group_add(s, u, g, &e);
        }
    }
    for (size_t t = 0; t < 8; t++) cd_tag_create(s, u, tags[t], &e);
    sqlite3 *db = ((struct sq *)s->impl)->db;
    sqlite3_stmt *src, *ins, *tag;
    sqlite3_prepare_v2(db, "SELECT der, key FROM certs WHERE id = 1", -1, &src, NULL);
    sqlite3_step(src);
    sqlite3_exec(db, "PRAGMA synchronous=OFF; BEGIN", NULL, NULL, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO certs(ca_id, product, host, description, cn, subject, issuer, serial,"
                       " fingerprint, not_before, not_after, key_alg, der, key, group_id, revoked_at, revoke_reason,"
                       " created) VALUES(1,?,'*',?,?,?,'CN=Server Certification Authority',?,?,?,?,'EC P-256',?,?,?,?,?,?)",
                       -1, &ins, NULL);
    sqlite3_prepare_v2(db, "INSERT INTO cert_tags(tag_id, cert_id) VALUES(?,?)", -1, &tag, NULL);
    int64_t now = cdi_now();
    for (long i = 0; i < n; i++) {
        int g = (int)(rnd() % 21) + 1, site = (g - 2) / 4;
        char cn[80], desc[80], subj[96], serial[41], fp[65];
        snprintf(cn, sizeof cn, "node-%07ld.site%02d.example.org", i, site < 0 ? 0 : site);
        int product = (int)(rnd() % 4);
        snprintf(desc, sizeof desc, "%s for site %02d", cd_product_label(product), site < 0 ? 0 : site);
        snprintf(subj, sizeof subj, "CN=%s", cn);
        unsigned char r[32];
        for (int k = 0; k < 32; k += 8) { uint64_t v = rnd(); memcpy(r + k, &v, 8); }
        r[0] = (unsigned char)((r[0] & 0x7f) | 1);
        cdi_hex(r, 20, serial);
        for (int k = 0; k < 32; k += 8) { uint64_t v = rnd(); memcpy(r + k, &v, 8); }
        cdi_hex(r, 32, fp);
        int64_t nb = now - (int64_t)(rnd() % 700) * 86400, na = nb + (int64_t)(30 + rnd() % 1100) * 86400;
        int revoked = rnd() % 100 < 3;
        sqlite3_reset(ins);
        sqlite3_bind_int(ins, 1, product);
        sqlite3_bind_text(ins, 2, desc, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, cn, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 4, subj, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 5, serial, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 6, fp, -1, SQLITE_STATIC);
        sqlite3_bind_int64(ins, 7, nb);
        sqlite3_bind_int64(ins, 8, na);
        sqlite3_bind_blob(ins, 9, sqlite3_column_blob(src, 0), sqlite3_column_bytes(src, 0), SQLITE_STATIC);
        sqlite3_bind_blob(ins, 10, sqlite3_column_blob(src, 1), sqlite3_column_bytes(src, 1), SQLITE_STATIC);
        sqlite3_bind_int(ins, 11, g);
        sqlite3_bind_int64(ins, 12, revoked ? now - 86400 : 0);
        sqlite3_bind_int(ins, 13, revoked ? 1 : 0);
        sqlite3_bind_int64(ins, 14, nb);
        if (sqlite3_step(ins) != SQLITE_DONE) { fprintf(stderr, "bench: %s\n", sqlite3_errmsg(db)); exit(1); }
        int64_t id = sqlite3_last_insert_rowid(db);
        int t1 = (int)(rnd() % 8), t2 = (int)(rnd() % 8);
        int nt = (int)(rnd() % 3);
        for (int k = 0; k < nt; k++) {
            int t = k ? t2 : t1;
            if (k && t2 == t1) break;
            sqlite3_reset(tag);
            sqlite3_bind_int(tag, 1, t + 1);
            sqlite3_bind_int64(tag, 2, id);
            sqlite3_step(tag);
        }
        /* the search index in ranges, as the store itself does (one FTS5
         * statement per row would flush FTS5's pending terms every row) */
        if (i % 50000 == 49999 || i == n - 1) {
            struct cd_err fe = { 0 };
            int64_t lo = id - (i % 50000);
            if (sq_fts_add_range((struct sq *)s->impl, lo, id, &fe)) die("index", &fe, CD_E_STORE);
            fprintf(stderr, "bench:   %ld\n", i + 1);
        }
    }
    sqlite3_exec(db, "COMMIT; ANALYZE; PRAGMA synchronous=FULL", NULL, NULL, NULL);
    sqlite3_finalize(src); sqlite3_finalize(ins); sqlite3_finalize(tag);
    cd_user_free(u);
    cd_store_close(s);
    FILE *f = fopen(mark, "w");
    if (f) fclose(f);
    fprintf(stderr, "bench: seeded in %.0f s\n", bench_now() - t0);
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* p50/p95 in ms of the first page (50 rows) for filters made by mk(i). */
static void latency(cd_store *s, cd_user *u, const char *label, const char *scale,
                    void (*mk)(int, char *, size_t))
{
    enum { RUNS = 40 };
    double t[RUNS];
    struct cd_err e = { 0 };
    for (int i = -3; i < RUNS; i++) {
        char f[128];
        mk(i < 0 ? 0 : i, f, sizeof f);
        struct cd_query q = { .filter = f, .limit = 50 };
        struct cd_cert_list l;
        double t0 = bench_now();
        int rc = cd_cert_list(s, u, &q, &l, &e);
        double dt = (bench_now() - t0) * 1000;
        if (rc) die(f, &e, rc);
        cd_cert_list_free(&l);
        if (i >= 0) t[i] = dt;
    }
    qsort(t, RUNS, sizeof t[0], cmpd);
    printf("%-36s %-6s p50 %7.2f ms   p95 %7.2f ms\n", label, scale, t[RUNS / 2], t[RUNS * 95 / 100]);
}

/* certdeck check (the monitoring summary: three counts and the first 20
 * offenders per kind) against the same three counts in raw SQL on the
 * same file, best of 5 each. */
static void check_bench(cd_store *s, cd_user *u, const char *path, const char *scale)
{
    double best = 1e9, raw = 1e9;
    struct cd_err e = { 0 };
    int64_t now = cdi_now(), counts[3] = { 0, 0, 0 };
    for (int i = 0; i < 5; i++) {
        struct cd_check_opts o = { .limit = 20 };
        struct cd_check_result r;
        double t0 = bench_now();
        int rc = cd_check(s, u, &o, &r, &e);
        double dt = bench_now() - t0;
        if (rc) die("check", &e, rc);
        cd_check_free(&r);
        if (dt < best) best = dt;
    }
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "SELECT count(*) FROM certs WHERE revoked_at = 0 AND not_after <= ?", -1, &st, NULL)) {
        fprintf(stderr, "bench: %s: %s\n", path, sqlite3_errmsg(db));
        exit(1);
    }
    for (int i = 0; i < 5; i++) {
        double t0 = bench_now();
        static const int64_t days[3] = { 0, 14, 90 };
        for (int k = 0; k < 3; k++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, now + days[k] * 86400);
            if (sqlite3_step(st) == SQLITE_ROW) counts[k] = sqlite3_column_int64(st, 0);
        }
        double dt = bench_now() - t0;
        if (dt < raw) raw = dt;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    printf("%-36s %-6s %7.1f ms   raw SQL, the same 3 counts %6.1f ms (%.1fx; %lld expired, %lld within 90 days;"
           " target < 1000 ms)\n", "certdeck check (summary, 20 listed)", scale, best * 1000, raw * 1000,
           raw > 0 ? best / raw : 0, (long long)counts[0], (long long)counts[2]);
}

static void mk_text(int i, char *b, size_t n) { snprintf(b, n, "%04d", (i * 7919) % 10000); }
static void mk_tag(int i, char *b, size_t n) { snprintf(b, n, "tag:%s", tags[i % 8]); }
static void mk_prod(int i, char *b, size_t n)
{
    snprintf(b, n, "product:%s and expires<%dd", cd_product_name(i % 4), 30 + 30 * (i % 3));
}
static void mk_group(int i, char *b, size_t n) { snprintf(b, n, "group:\"/All/Site-%02d\"", i % 5); }
static void mk_all(int i, char *b, size_t n) { (void)i; snprintf(b, n, "%s", ""); }

/* "bench-ro": Read on certificates in /All/Site-01 and below, logged in.
 * Made once per store; the password is fixed, the store is a bench's own. */
static cd_user *restricted(cd_store *s, cd_user *admin)
{
    struct cd_err e = { 0 };
    static const char pw[] = "bench-ro-password";
    const char *g[] = { "/All/Site-01" };
    int lv[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_READ };
    cd_user_add(s, admin, "bench-ro", "/All/Site-01", pw, &e);
    cd_permset_add(s, admin, "bench-site01", g, 1, lv, &e);
    cd_permset_grant(s, admin, "bench-site01", "bench-ro", 1, &e);
    cd_user *u = NULL;
    if (cd_user_login(s, "bench-ro", pw, &u, &e)) fprintf(stderr, "bench: restricted user: %s\n", e.msg);
    return u;
}

int main(int argc, char **argv)
{
    /* --quick: 100k only; --console: only the console part (seeds first);
     * --bulk: only bulk issuance and the lock rows */
    int quick = 0, console = 0, bulk = 0, server = 0, checkins = 0, mirror = 0;
    int renew = 0;              /* --renew: only the raw limit, bulk renewal and the rollover */
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--console")) console = 1;
        else if (!strcmp(argv[i], "--bulk")) bulk = 1;
        else if (!strcmp(argv[i], "--server")) server = 1;
        else if (!strcmp(argv[i], "--checkins")) checkins = 1;
        else if (!strcmp(argv[i], "--mirror")) mirror = 1;
        else if (!strcmp(argv[i], "--renew")) renew = 1;
        else {
            fprintf(stderr, "usage: certdeck-bench [--quick] [--console] [--bulk] [--server] [--checkins] [--mirror] [--renew]\n");
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);           /* the table appears as it is measured */
    mkdir("build/bench", 0700);
    const char *dir = "build/bench/tmp";
    mkdir(dir, 0700);
    char tm[64];
    time_t now = time(NULL);
    strftime(tm, sizeof tm, "%Y-%m-%d %H:%M UTC", gmtime(&now));
    printf("certdeck bench, %s, %ld cores\n\n", tm, sysconf(_SC_NPROCESSORS_ONLN));

    struct { const char *path, *label; long n; } sizes[] = {
        { "build/bench/100k.db", "100k", 100000 }, { "build/bench/1m.db", "1M", 1000000 },
    };
    cd_user *u;
    cd_store *s;
    if (server || checkins) {
        if (server) seed(sizes[0].path, sizes[0].n);
        server_bench("build/certdeckd", server ? sizes[0].path : NULL);
        sh("rm -rf build/bench/tmp");
        return 0;
    }
    if (mirror) {
        seed(sizes[0].path, sizes[0].n);
        mirror_bench("build/certdeck", sizes[0].path);
        sh("rm -rf build/bench/tmp");
        return 0;
    }
    if (renew) {
        double raw = 0;
        bulk_raw_rate(500, 0);
        for (int k = 0; k < 3; k++) { double r = bulk_raw_rate(5000, 0); if (r > raw) raw = r; }
        printf("%-36s %10.0f   (best of 3; %d threads)\n", "raw limit (GnuTLS keygen+sign)", raw, cdi_ncpu());
        renew_rows(raw);
        rollover_row(10000);
        sh("rm -rf build/bench/tmp");
        return 0;
    }
    if (console) goto console_only;
    /* 5 rounds, the two interleaved and their order alternating: on a
     * shared machine the load moves between one measurement and the next,
     * and a round's two figures see about the same load.  A warm-up of
     * each first (threads, page cache, GnuTLS's tables). */
    enum { ROUNDS = 5 };
    double raws[ROUNDS], ourss[ROUNDS], ratios[ROUNDS], floors[ROUNDS];
    bulk_raw_rate(500, 0);
    s = fresh("build/bench/tmp/issue.db", &u);
    issue_rate(s, u, CD_KEY_EC256, 500, 0);
    cd_user_free(u);
    cd_store_close(s);
    for (int k = 0; k < ROUNDS; k++) {
        if (k % 2 == 0) raws[k] = bulk_raw_rate(5000, 0);
        s = fresh("build/bench/tmp/issue.db", &u);
        ourss[k] = issue_rate(s, u, CD_KEY_EC256, 5000, 0);
        cd_user_free(u);
        cd_store_close(s);
        if (k % 2 == 1) raws[k] = bulk_raw_rate(5000, 0);
        ratios[k] = ourss[k] / raws[k];
        floors[k] = bulk_raw_rate(5000, 1);
    }
    qsort(floors, ROUNDS, sizeof *floors, cmpd);
    qsort(raws, ROUNDS, sizeof *raws, cmpd);
    qsort(ourss, ROUNDS, sizeof *ourss, cmpd);
    qsort(ratios, ROUNDS, sizeof *ratios, cmpd);
    double ours = ourss[ROUNDS - 1], raw = raws[ROUNDS - 1];
    double ct = loop_rate(
        "cd build/bench/tmp && certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile cakey.pem 2>/dev/null &&"
        " printf 'cn = CA\\nca\\ncert_signing_key\\nexpiration_days = 365\\n' > ca.tmpl &&"
        " certtool --generate-self-signed --load-privkey cakey.pem --template ca.tmpl --outfile ca.pem 2>/dev/null &&"
        " printf 'cn = leaf\\ntls_www_client\\nsigning_key\\nexpiration_days = 365\\n' > leaf.tmpl",
        "cd build/bench/tmp && certtool --generate-privkey --key-type ecdsa --curve secp256r1 --outfile k.pem 2>/dev/null &&"
        " certtool --generate-certificate --load-privkey k.pem --load-ca-certificate ca.pem --load-ca-privkey cakey.pem"
        " --template leaf.tmpl --outfile c.pem 2>/dev/null", 40);
    double os = loop_rate(
        "cd build/bench/tmp && openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ocakey.pem"
        " -out oca.pem -subj /CN=CA -days 365 2>/dev/null",
        "cd build/bench/tmp && openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ok.pem"
        " -subj /CN=leaf -out o.csr 2>/dev/null && openssl x509 -req -in o.csr -CA oca.pem -CAkey ocakey.pem"
        " -CAcreateserial -days 365 -out oc.pem 2>/dev/null", 40);
    printf("%-36s %10s %12s %12s\n", "bulk issue, P-256, audited", "certs/s", "vs certtool", "vs openssl");
    printf("%-36s %10.0f %11.0fx %11.0fx   (best of %d; median %.0f)\n", "certdeck cert new --count 5000", ours,
           ours / ct, ours / os, ROUNDS, ourss[ROUNDS / 2]);
    printf("%-36s %10.0f   (best of %d; median %.0f; %d threads, as bulk issuance)\n",
           "raw limit (GnuTLS keygen+sign)", raw, ROUNDS, raws[ROUNDS / 2], cdi_ncpu());
    printf("%-36s %10.2fx  (best/best; rounds' ratios: median %.2f, %.2f-%.2f)\n", "certdeck / raw limit",
           ours / raw, ratios[ROUNDS / 2], ratios[0], ratios[ROUNDS - 1]);
    printf("%-36s %10.0f   (best of %d; certdeck reaches %.2fx of it)\n", "floor (GnuTLS keygen + 1 signature)",
           floors[ROUNDS - 1], ROUNDS, ours / floors[ROUNDS - 1]);
    printf("%-36s %10.1f\n", "certtool loop (keygen + sign, 40)", ct);
    printf("%-36s %10.1f\n\n", "openssl loop (req + x509, 40)", os);

    s = fresh("build/bench/tmp/rsa.db", &u);
    double r1 = issue_rate(s, u, CD_KEY_RSA2048, 64, 1);
    double r2 = issue_rate(s, u, CD_KEY_RSA2048, 64, 2);
    cd_user_free(u);
    cd_store_close(s);
    printf("%-36s %10s %12s\n", "bulk issue, RSA-2048 (64 certs)", "certs/s", "speed-up");
    printf("%-36s %10.1f\n", "1 thread", r1);
    printf("%-36s %10.1f %11.2fx\n\n", "2 threads", r2, r2 / r1);

    renew_rows(raw);
    rollover_row(10000);

    printf("other writers during a bulk run (the store's write lock)\n");
    s = fresh("build/bench/tmp/lock.db", &u);
    cd_user_free(u);
    cd_store_close(s);
    bulk_revoke_latency("build/bench/tmp/lock.db", CD_KEY_RSA2048, 200);
    /* P-256: the keys come fast, so what others wait for is the batch's
     * final transaction (moving 20,000 rows in) */
    bulk_revoke_latency("build/bench/tmp/lock.db", CD_KEY_EC256, 20000);
    printf("\n");
    if (bulk) { sh("rm -rf build/bench/tmp"); return 0; }

    printf("first page (50 rows), filter latency\n");
    for (int k = 0; k < (quick ? 1 : 2); k++) {
        seed(sizes[k].path, sizes[k].n);
        struct cd_err e = { 0 };
        int rc = cd_store_open(sizes[k].path, 0, &s, &e);
        if (!rc) rc = cd_user_owner(s, &u, &e);
        if (rc) die("open", &e, rc);
        latency(s, u, "free text (\"0421\")", sizes[k].label, mk_text);
        latency(s, u, "tag (tag:pci)", sizes[k].label, mk_tag);
        latency(s, u, "product + expiry", sizes[k].label, mk_prod);
        latency(s, u, "group subtree", sizes[k].label, mk_group);
        check_bench(s, u, sizes[k].path, sizes[k].label);
        /* a user with Read on one site only: every query also passes the
         * permission filter (schema 6's user_rights) */
        cd_user *ro = restricted(s, u);
        if (ro) {
            latency(s, ro, "one-site user: free text", sizes[k].label, mk_text);
            latency(s, ro, "one-site user: tag", sizes[k].label, mk_tag);
            latency(s, ro, "one-site user: everything", sizes[k].label, mk_all);
            cd_user_free(ro);
        }
        cd_user_free(u);
        cd_store_close(s);
    }
    server_bench("build/certdeckd", sizes[0].path);
    printf("\n");
    mirror_bench("build/certdeck", sizes[0].path);
console_only:
    for (int k = 0; console && k < (quick ? 1 : 2); k++) seed(sizes[k].path, sizes[k].n);
    printf("\nthe console, driven through a pseudo-terminal (140x40)\n");
    for (int k = 0; k < (quick ? 1 : 2); k++) tui_bench("build/certdeck", sizes[k].path, sizes[k].label);
    sh("rm -rf build/bench/tmp");
    return 0;
}
