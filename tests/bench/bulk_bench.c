/* certdeck bench — the limits of bulk issuance and what it costs others.
 *   - the raw limit: in-process GnuTLS P-256 key generation + signing +
 *     DER export on every core, no store, no audit, no sealing; bulk
 *     issuance is measured against it
 *   - the floor under both: GnuTLS key generation + one signature alone,
 *     no certificate built (bulk issuance builds none either but the
 *     first, from a template: pki.c)
 *   - a revoke's and a tag change's latency from a second process while a
 *     bulk RSA run is in progress in the first (the write lock is the
 *     question: they must wait milliseconds, never fail as busy). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include <gnutls/abstract.h>
#include "sq_int.h"

double bench_now(void);
double bulk_raw_rate(size_t n, int bare);
void bulk_revoke_latency(const char *path, int keytype, size_t count);

struct raw { size_t n; int fail; int bare; };

#define RT(x) do { if ((x) < 0) { r->fail = 1; goto out; } } while (0)

/* The floor under both: a fresh P-256 key and one signature over 400 bytes
 * (a TBSCertificate's size) each, no certificate built. */
static void floor_worker(struct raw *r)
{
    gnutls_privkey_t ca = NULL, k = NULL;
    unsigned char tbs[400];
    memset(tbs, 0x5a, sizeof tbs);
    gnutls_datum_t td = { tbs, sizeof tbs }, sig = { 0 };
    unsigned bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
    RT(gnutls_privkey_init(&ca));
    RT(gnutls_privkey_generate2(ca, GNUTLS_PK_ECDSA, bits, 0, NULL, 0));
    for (size_t i = 0; i < r->n; i++) {
        RT(gnutls_privkey_init(&k));
        RT(gnutls_privkey_generate2(k, GNUTLS_PK_ECDSA, bits, 0, NULL, 0));
        RT(gnutls_privkey_sign_data2(ca, GNUTLS_SIGN_ECDSA_SHA256, 0, &td, &sig));
        gnutls_free(sig.data);
        sig.data = NULL;
        gnutls_privkey_deinit(k);
        k = NULL;
    }
out:
    if (k) gnutls_privkey_deinit(k);
    if (ca) gnutls_privkey_deinit(ca);
}

/* n certificates: a fresh P-256 key each, signed by this thread's own CA. */
static void *raw_worker(void *arg)
{
    struct raw *r = arg;
    if (r->bare) { floor_worker(r); return NULL; }
    gnutls_x509_privkey_t cakey = NULL, k = NULL;
    gnutls_x509_crt_t ca = NULL, crt = NULL;
    unsigned bits = GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1);
    time_t now = time(NULL);
    RT(gnutls_x509_privkey_init(&cakey));
    RT(gnutls_x509_privkey_generate(cakey, GNUTLS_PK_ECDSA, bits, 0));
    RT(gnutls_x509_crt_init(&ca));
    RT(gnutls_x509_crt_set_version(ca, 3));
    RT(gnutls_x509_crt_set_serial(ca, "\x01", 1));
    RT(gnutls_x509_crt_set_activation_time(ca, now - 86400));
    RT(gnutls_x509_crt_set_expiration_time(ca, now + 3650 * 86400L));
    RT(gnutls_x509_crt_set_dn_by_oid(ca, GNUTLS_OID_X520_COMMON_NAME, 0, "Raw CA", 6));
    RT(gnutls_x509_crt_set_key(ca, cakey));
    RT(gnutls_x509_crt_set_basic_constraints(ca, 1, -1));
    RT(gnutls_x509_crt_sign2(ca, ca, cakey, GNUTLS_DIG_SHA256, 0));
    for (size_t i = 0; i < r->n; i++) {
        unsigned char serial[20];
        char cn[32];
        gnutls_datum_t der = { 0 };
        int len = snprintf(cn, sizeof cn, "raw-%06zu", i + 1);
        RT(gnutls_x509_privkey_init(&k));
        RT(gnutls_x509_privkey_generate(k, GNUTLS_PK_ECDSA, bits, 0));
        RT(gnutls_x509_crt_init(&crt));
        RT(gnutls_x509_crt_set_version(crt, 3));
        RT(gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof serial));
        serial[0] = (unsigned char)((serial[0] & 0x7f) | 1);
        RT(gnutls_x509_crt_set_serial(crt, serial, sizeof serial));
        RT(gnutls_x509_crt_set_activation_time(crt, now - 86400));
        RT(gnutls_x509_crt_set_expiration_time(crt, now + 365 * 86400L));
        RT(gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, (unsigned)len));
        RT(gnutls_x509_crt_set_key(crt, k));
        RT(gnutls_x509_crt_set_basic_constraints(crt, 0, -1));
        RT(gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE));
        RT(gnutls_x509_crt_sign2(crt, ca, cakey, GNUTLS_DIG_SHA256, 0));
        RT(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der));
        gnutls_free(der.data);
        gnutls_x509_crt_deinit(crt);
        gnutls_x509_privkey_deinit(k);
        crt = NULL;
        k = NULL;
    }
out:
    if (crt) gnutls_x509_crt_deinit(crt);
    if (k) gnutls_x509_privkey_deinit(k);
    if (ca) gnutls_x509_crt_deinit(ca);
    if (cakey) gnutls_x509_privkey_deinit(cakey);
    return NULL;
}

/* certificates/s of the raw limit (bare: of the floor), n certificates over
 * as many threads as bulk issuance runs workers (cdi_ncpu), so the two
 * compare like for like */
double bulk_raw_rate(size_t n, int bare)
{
    int t = cdi_ncpu();
    pthread_t tid[64];
    struct raw r[64];
    double t0 = bench_now();
    for (int i = 0; i < t; i++) {
        r[i] = (struct raw){ .n = n / (size_t)t + (i < (int)(n % (size_t)t)), .bare = bare };
        if (pthread_create(&tid[i], NULL, raw_worker, &r[i])) raw_worker(&r[i]), tid[i] = 0;
    }
    for (int i = 0; i < t; i++) if (tid[i]) pthread_join(tid[i], NULL);
    double dt = bench_now() - t0;
    for (int i = 0; i < t; i++)
        if (r[i].fail) { fprintf(stderr, "bench: raw GnuTLS issuance failed\n"); exit(1); }
    return (double)n / dt;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void die(const char *what, struct cd_err *e, int rc)
{
    fprintf(stderr, "bench: %s: %s\n", what, cd_errmsg(e, rc));
    exit(1);
}

/* A child process issues `count` certificates of keytype in one bulk run on
 * the store at path; meanwhile this process, on its own connection,
 * revokes one certificate and adds a tag to another, in turn, until the
 * child is done.  Prints p50/max latency of each and how many failed. */
void bulk_revoke_latency(const char *path, int keytype, size_t count)
{
    enum { MAXOPS = 4096, VICTIMS = 2000 };
    struct cd_err e = { 0 };
    cd_store *s;
    cd_user *u;
    int rc = cd_store_open(path, 0, &s, &e);
    if (!rc) rc = cd_user_owner(s, &u, &e);
    if (rc) die("open", &e, rc);
    struct cd_cert_params vp = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "victim" },
                                 .keytype = CD_KEY_EC256, .days = 365 };
    int64_t *victims = calloc(VICTIMS, sizeof *victims);
    double *rev = calloc(MAXOPS, sizeof *rev), *tag = calloc(MAXOPS, sizeof *tag);
    if (!victims || !rev || !tag) { fprintf(stderr, "bench: out of memory\n"); exit(1); }
    if ((rc = cd_cert_new(s, u, &vp, VICTIMS, NULL, NULL, victims, &e))) die("victims", &e, rc);
    int go[2];
    if (pipe(go)) { perror("bench: pipe"); exit(1); }
    double t0 = bench_now();
    pid_t pid = fork();
    if (pid < 0) { perror("bench: fork"); exit(1); }
    if (pid == 0) {
        /* the bulk writer: its own connection, opened after the fork */
        close(go[0]);
        cd_store *cs;
        cd_user *cu;
        struct cd_err ce = { 0 };
        int crc = cd_store_open(path, 0, &cs, &ce);
        if (!crc) crc = cd_user_owner(cs, &cu, &ce);
        if (crc) die("child open", &ce, crc);
        struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bulk" },
                                    .keytype = keytype, .days = 365 };
        if (write(go[1], "g", 1) != 1) _exit(1);
        close(go[1]);
        crc = cd_cert_new(cs, cu, &p, count, NULL, NULL, NULL, &ce);
        if (crc) fprintf(stderr, "bench: bulk run: %s\n", cd_errmsg(&ce, crc));
        _exit(crc ? 1 : 0);
    }
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) != 1) { fprintf(stderr, "bench: the bulk child did not start\n"); exit(1); }
    close(go[0]);
    size_t nrev = 0, ntag = 0, frev = 0, ftag = 0;
    int status = 0, done = 0;
    while (!done && nrev < MAXOPS && nrev < VICTIMS - 1) {
        double a = bench_now();
        rc = cd_cert_revoke(s, u, &victims[nrev], 1, 4 /* superseded */, &e);
        rev[nrev++] = (bench_now() - a) * 1000;
        if (rc) frev++;
        a = bench_now();
        rc = cd_tag_set(s, u, CD_KIND_CERT, &victims[VICTIMS - 1], 1, "bench", ntag % 2 == 0, &e);
        tag[ntag++] = (bench_now() - a) * 1000;
        if (rc) ftag++;
        usleep(20000);                       /* a person's pace, not a flood */
        done = waitpid(pid, &status, WNOHANG) == pid;
    }
    if (!done) waitpid(pid, &status, 0);
    double run = bench_now() - t0;
    int ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    qsort(rev, nrev, sizeof *rev, cmpd);
    qsort(tag, ntag, sizeof *tag, cmpd);
    printf("%-36s %s x %zu in %.1f s, %s\n", "bulk run in another process", cdi_keytype_label(keytype), count, run,
           ok ? "completed" : "FAILED");
    printf("%-36s n %4zu  p50 %7.2f ms   max %7.2f ms   %zu failed\n", "  revoke meanwhile", nrev,
           rev[nrev / 2], rev[nrev - 1], frev);
    printf("%-36s n %4zu  p50 %7.2f ms   max %7.2f ms   %zu failed\n", "  tag add meanwhile", ntag,
           tag[ntag / 2], tag[ntag - 1], ftag);
    free(victims);
    free(rev);
    free(tag);
    cd_user_free(u);
    cd_store_close(s);
}
