/* certdeck bench — certdeckd over loopback TLS.
 *
 *   - the remote store: opening https://127.0.0.1:P and logging in, the
 *     console's first page (count + 50 rows) and every page of 100k
 *     certificates read through the https backend
 *   - agent check-ins: a bounded load generator of its own (raw GnuTLS, a
 *     new TLS handshake with a client certificate per check-in, HTTP/1.1
 *     POST, Connection: close) from several threads for a fixed count;
 *     rate, p50/p99 latency, errors, and the server's RSS (VmHWM) under it
 *
 * certdeckd is the real binary, started on free ports (port 0) and found
 * by the line it prints once it listens. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <certdeck/certdeck.h>

double bench_now(void);

struct srv { pid_t pid; int api_port, agent_port; };

static int srv_cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Starts certdeckd on the store; 0 when both ports were read in 30 s. */
static int srv_start(const char *bin, const char *store, struct srv *sv)
{
    int pfd[2];
    if (pipe(pfd)) return -1;
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        dup2(pfd[1], 2);
        close(pfd[0]);
        close(pfd[1]);
        execl(bin, bin, "--store", store, "--listen", "127.0.0.1:0", "--agent-listen", "127.0.0.1:0", (char *)NULL);
        _exit(127);
    }
    close(pfd[1]);
    sv->pid = pid;
    FILE *f = fdopen(pfd[0], "r");
    char line[1024];
    double t0 = bench_now();
    int ok = -1;
    while (bench_now() - t0 < 30 && fgets(line, sizeof line, f)) {
        const char *p = strstr(line, "listening on https://");
        if (!p) continue;
        const char *a = strchr(p + 21, ':'), *b = strstr(p + 21, "https://");
        b = b ? strchr(b + 8, ':') : NULL;
        if (a && b) {
            sv->api_port = atoi(a + 1);
            sv->agent_port = atoi(b + 1);
            ok = 0;
        }
        break;
    }
    /* the server logs a line per request: keep draining so it never blocks */
    if (!ok && fork() == 0) {
        while (fgets(line, sizeof line, f)) { }
        _exit(0);
    }
    fclose(f);
    if (ok) { kill(pid, SIGTERM); waitpid(pid, NULL, 0); }
    return ok;
}

static long srv_stop(struct srv *sv)
{
    kill(sv->pid, SIGTERM);
    int st = 0;
    waitpid(sv->pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static long rss_kb(pid_t pid, const char *field)
{
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "r");
    long v = -1;
    size_t n = strlen(field);
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, field, n)) v = atol(line + n + 1);
    if (f) fclose(f);
    return v;
}

/* CPU seconds (user + system) a process has used so far. */
static double cpu_s(pid_t pid)
{
    char p[64], b[1024];
    snprintf(p, sizeof p, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = 0;
    /* fields 14 and 15, counted after the ")" that ends the name */
    char *q = strrchr(b, ')');
    unsigned long ut = 0, st = 0;
    if (q) sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st);
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void fail(const char *what, const struct cd_err *e, int rc)
{
    fprintf(stderr, "bench: %s: %s\n", what, cd_errmsg(e, rc));
}

/* A user with Write on everything in /All and a password: the https
 * backend logs in (the store's owner has no password). */
static const char BENCH_PW[] = "bench-admin-password";
static int bench_admin(cd_store *s, cd_user *owner)
{
    struct cd_err e = { 0 };
    const char *g[] = { "/All" };
    int lv[CD_OT_COUNT];
    for (int i = 0; i < CD_OT_COUNT; i++) lv[i] = CD_RIGHT_WRITE;
    cd_user_add(s, owner, "bench-admin", "/All", BENCH_PW, &e);
    cd_permset_add(s, owner, "bench-all", g, 1, lv, &e);
    cd_permset_grant(s, owner, "bench-all", "bench-admin", 1, &e);
    return 0;
}

static int write_ca(cd_store *s, cd_user *u, const char *path)
{
    struct cd_err e = { 0 };
    char *pem = NULL;
    size_t len = 0;
    int rc = cd_ca_export(s, u, 1, &pem, &len, &e);
    if (rc) { fail("CA export", &e, rc); return rc; }
    rc = cd_write_file(NULL, path, pem, len, 0, &e);
    free(pem);
    return rc;
}

/* ---- the remote store ---------------------------------------------------- */

static void remote_list(const char *bin, const char *store, const char *label)
{
    struct cd_err e = { 0 };
    cd_store *s;
    cd_user *own;
    int rc = cd_store_open(store, 0, &s, &e);
    if (!rc) rc = cd_user_owner(s, &own, &e);
    if (rc) { fail("open", &e, rc); return; }
    bench_admin(s, own);
    write_ca(s, own, "build/bench/tmp/api-ca.pem");
    cd_user_free(own);
    cd_store_close(s);

    struct srv sv;
    if (srv_start(bin, store, &sv)) { fprintf(stderr, "bench: certdeckd did not start\n"); return; }
    char url[64];
    snprintf(url, sizeof url, "https://127.0.0.1:%d", sv.api_port);
    struct cd_open_opts o = { .cacert = "build/bench/tmp/api-ca.pem" };
    cd_user *u = NULL;
    double t0 = bench_now();
    rc = cd_store_open_ex(url, &o, &s, &e);
    if (!rc) rc = cd_user_login(s, "bench-admin", BENCH_PW, &u, &e);
    double t_open = bench_now() - t0;
    if (rc) { fail("remote open", &e, rc); srv_stop(&sv); return; }
    /* the console's first frame: the count (capped) and the first 50 rows */
    enum { RUNS = 10 };
    double first[RUNS];
    for (int i = 0; i < RUNS; i++) {
        cd_store *s2;
        cd_user *u2 = NULL;
        rc = cd_store_open_ex(url, &o, &s2, &e);
        if (!rc) rc = cd_user_login(s2, "bench-admin", BENCH_PW, &u2, &e);
        if (rc) { fail("remote open", &e, rc); break; }
        t0 = bench_now();
        struct cd_query q = { .limit = 10001 };
        int64_t total = 0;
        struct cd_cert_list l = { 0 };
        rc = cd_cert_count(s2, u2, &q, &total, &e);
        q.limit = 50;
        if (!rc) rc = cd_cert_list(s2, u2, &q, &l, &e);
        first[i] = (bench_now() - t0) * 1000;
        cd_cert_list_free(&l);
        cd_user_free(u2);
        cd_store_close(s2);
        if (rc) { fail("first page", &e, rc); break; }
    }
    qsort(first, RUNS, sizeof *first, srv_cmpd);
    /* every page, as a script or a long scroll reads them */
    size_t rows = 0;
    t0 = bench_now();
    for (int64_t off = 0; !rc; off += 1000) {
        struct cd_query q = { .offset = off, .limit = 1000 };
        struct cd_cert_list l = { 0 };
        rc = cd_cert_list(s, u, &q, &l, &e);
        if (rc) { fail("page", &e, rc); break; }
        rows += l.n;
        size_t n = l.n;
        cd_cert_list_free(&l);
        if (n < 1000) break;
    }
    double t_all = bench_now() - t0;
    printf("%-36s %-6s open + log in %6.0f ms (PBKDF2 on the server)\n", "remote store over loopback TLS", label,
           t_open * 1000);
    printf("%-36s %-6s p50 %7.2f ms   max %7.2f ms\n", "  first page (count + 50 rows)", label, first[RUNS / 2],
           first[RUNS - 1]);
    printf("%-36s %-6s %7.0f ms for %zu rows (pages of 1000)\n", "  every page", label, t_all * 1000, rows);
    cd_user_free(u);
    cd_store_close(s);
    srv_stop(&sv);
}

/* ---- agent check-ins ------------------------------------------------------ */

struct agent { gnutls_certificate_credentials_t cred; };
struct load {
    int port, per_thread;
    struct agent *agents;
    int nagents;
    double *lat;          /* per_thread per thread */
    int errors;
    pthread_mutex_t mu;
    char first_error[256];
};
struct worker { struct load *l; int idx; };

static int checkin_once(struct load *l, struct agent *a, char *why, size_t whyn)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)l->port) };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct timeval tv = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (connect(fd, (struct sockaddr *)&sa, sizeof sa)) {
        snprintf(why, whyn, "connect: %s", strerror(errno));
        close(fd);
        return -1;
    }
    gnutls_session_t sess;
    gnutls_init(&sess, GNUTLS_CLIENT);
    /* The generator spends as little as it can so the two cores go to the
     * server: one key share (X25519, the cheapest group both offer), and
     * the server's chain is not verified here (the tests do that). */
    gnutls_priority_set_direct(sess, "NORMAL:-GROUP-ALL:+GROUP-X25519", NULL);
    gnutls_credentials_set(sess, GNUTLS_CRD_CERTIFICATE, a->cred);
    gnutls_transport_set_int(sess, fd);
    int r, ok = -1;
    do r = gnutls_handshake(sess); while (r < 0 && !gnutls_error_is_fatal(r));
    if (r < 0) { snprintf(why, whyn, "handshake: %s", gnutls_strerror(r)); goto out; }
    char req[512];
    static const char body[] = "{\"name\":\"bench-agent\"}";
    int n = snprintf(req, sizeof req,
                     "POST /agent/v1/checkin HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nContent-Type: application/json\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s", l->port, sizeof body - 1, body);
    if (gnutls_record_send(sess, req, (size_t)n) != n) { snprintf(why, whyn, "send failed"); goto out; }
    char resp[4096];
    size_t got = 0;
    while (got < sizeof resp - 1) {
        ssize_t k = gnutls_record_recv(sess, resp + got, sizeof resp - 1 - got);
        if (k == GNUTLS_E_AGAIN || k == GNUTLS_E_INTERRUPTED) continue;
        if (k <= 0) break;
        got += (size_t)k;
    }
    resp[got] = 0;
    if (!strncmp(resp, "HTTP/1.1 200", 12) && strstr(resp, "\"accepted\":true")) ok = 0;
    else snprintf(why, whyn, "answer: %.80s", resp);
    gnutls_bye(sess, GNUTLS_SHUT_WR);
out:
    gnutls_deinit(sess);
    close(fd);
    return ok;
}

static void *load_worker(void *arg)
{
    struct worker *w = arg;
    struct load *l = w->l;
    struct agent *a = &l->agents[w->idx % l->nagents];
    for (int i = 0; i < l->per_thread; i++) {
        char why[200] = "";
        double t0 = bench_now();
        int rc = checkin_once(l, a, why, sizeof why);
        l->lat[(size_t)w->idx * (size_t)l->per_thread + (size_t)i] = (bench_now() - t0) * 1000;
        if (rc) {
            pthread_mutex_lock(&l->mu);
            if (!l->errors++) snprintf(l->first_error, sizeof l->first_error, "%s", why);
            pthread_mutex_unlock(&l->mu);
        }
    }
    return NULL;
}

static int agent_creds(cd_store *s, cd_user *u, int64_t id, const char *ca, struct agent *a)
{
    struct cd_err e = { 0 };
    unsigned char *crt = NULL, *key = NULL;
    size_t clen = 0, klen = 0;
    static const char pass[] = "bench-key-pass";
    int rc = cd_cert_export(s, u, id, CD_EXPORT_PEM, NULL, &crt, &clen, &e);
    if (!rc) rc = cd_cert_export(s, u, id, CD_EXPORT_KEY, pass, &key, &klen, &e);
    if (rc) { fail("agent export", &e, rc); free(crt); free(key); return rc; }
    gnutls_certificate_allocate_credentials(&a->cred);
    gnutls_datum_t c = { crt, (unsigned)clen }, k = { key, (unsigned)klen };
    int gt = gnutls_certificate_set_x509_key_mem2(a->cred, &c, &k, GNUTLS_X509_FMT_PEM, pass, 0);
    if (gt >= 0) gt = gnutls_certificate_set_x509_trust_file(a->cred, ca, GNUTLS_X509_FMT_PEM);
    free(crt);
    free(key);
    if (gt < 0) fprintf(stderr, "bench: agent credentials: %s\n", gnutls_strerror(gt));
    return gt < 0;
}

/* ---- the raw limit: a GnuTLS server of a few lines ---------------------
 * The same handshakes (server certificate, client certificate requested
 * and verified against the CA) and a fixed answer, on as many threads as
 * certdeckd's pool, in this process: what TLS alone costs on this machine,
 * measured in the same run. */
struct raw_srv {
    int fd, port, nth;
    volatile int stop;
    gnutls_certificate_credentials_t cred;
    pthread_t th[8];
};

static void *raw_srv_worker(void *arg)
{
    struct raw_srv *r = arg;
    static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n"
                                 "Connection: close\r\n\r\n{\"accepted\":true}";
    while (!r->stop) {
        int c = accept(r->fd, NULL, NULL);
        if (c < 0) { if (r->stop) break; continue; }
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        gnutls_session_t sess;
        gnutls_init(&sess, GNUTLS_SERVER);
        gnutls_set_default_priority(sess);
        gnutls_credentials_set(sess, GNUTLS_CRD_CERTIFICATE, r->cred);
        gnutls_certificate_server_set_request(sess, GNUTLS_CERT_REQUEST);
        gnutls_transport_set_int(sess, c);
        int k;
        do k = gnutls_handshake(sess); while (k < 0 && !gnutls_error_is_fatal(k));
        unsigned status = 1;
        if (k >= 0 && gnutls_certificate_verify_peers2(sess, &status) >= 0 && status == 0) {
            char buf[2048];
            size_t got = 0;
            while (got < sizeof buf - 1 && !memchr(buf, '}', got)) {
                ssize_t n = gnutls_record_recv(sess, buf + got, sizeof buf - 1 - got);
                if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;
                if (n <= 0) break;
                got += (size_t)n;
            }
            gnutls_record_send(sess, answer, sizeof answer - 1);
            gnutls_bye(sess, GNUTLS_SHUT_WR);
        }
        gnutls_deinit(sess);
        close(c);
    }
    return NULL;
}

static int raw_srv_start(struct raw_srv *r, cd_store *s, const char *ca, int nth)
{
    struct cd_err e = { 0 };
    char *chain = NULL, *key = NULL;
    int rc = cd_server_tls(s, 0, &chain, &key, &e);
    if (rc) { fail("server TLS", &e, rc); return -1; }
    gnutls_certificate_allocate_credentials(&r->cred);
    gnutls_datum_t c = { (unsigned char *)chain, (unsigned)strlen(chain) },
                   k = { (unsigned char *)key, (unsigned)strlen(key) };
    int gt = gnutls_certificate_set_x509_key_mem(r->cred, &c, &k, GNUTLS_X509_FMT_PEM);
    if (gt >= 0) gt = gnutls_certificate_set_x509_trust_file(r->cred, ca, GNUTLS_X509_FMT_PEM);
    free(chain);
    free(key);
    if (gt < 0) { fprintf(stderr, "bench: raw server: %s\n", gnutls_strerror(gt)); return -1; }
    r->fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = { .sin_family = AF_INET };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof sa;
    if (bind(r->fd, (struct sockaddr *)&sa, sizeof sa) || listen(r->fd, 256) ||
        getsockname(r->fd, (struct sockaddr *)&sa, &sl))
        return -1;
    r->port = ntohs(sa.sin_port);
    r->nth = nth;
    r->stop = 0;
    for (int i = 0; i < nth; i++) pthread_create(&r->th[i], NULL, raw_srv_worker, r);
    return 0;
}

static void raw_srv_stop(struct raw_srv *r)
{
    r->stop = 1;
    shutdown(r->fd, SHUT_RDWR);
    for (int i = 0; i < r->nth; i++) pthread_join(r->th[i], NULL);
    close(r->fd);
    gnutls_certificate_free_credentials(r->cred);
}

enum { AGENTS = 8, THREADS = 8, PER = 750 };

/* A warm-up, then THREADS x PER check-ins against the port: rate, sorted
 * latencies in l->lat, errors. */
static double run_load(struct load *l, int port)
{
    pthread_t th[THREADS];
    struct worker w[THREADS];
    l->port = port;
    l->per_thread = 50;
    for (int i = 0; i < THREADS; i++) { w[i] = (struct worker){ l, i }; pthread_create(&th[i], NULL, load_worker, &w[i]); }
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    l->per_thread = PER;
    l->errors = 0;
    l->first_error[0] = 0;
    double t0 = bench_now();
    for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, load_worker, &w[i]);
    for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
    double dt = bench_now() - t0;
    qsort(l->lat, (size_t)THREADS * PER, sizeof *l->lat, srv_cmpd);
    return (double)THREADS * PER / dt;
}

static void checkin_load(const char *bin)
{
    struct cd_err e = { 0 };
    const char *store = "build/bench/tmp/agents.db", *ca = "build/bench/tmp/agents-ca.pem";
    if (system("rm -f build/bench/tmp/agents.db*")) { }
    cd_store *s;
    cd_user *u;
    int rc = cd_store_open(store, CD_OPEN_CREATE, &s, &e);
    if (!rc) rc = cd_store_init(s, "admin", &e);
    if (!rc) rc = cd_user_owner(s, &u, &e);
    if (rc) { fail("agents store", &e, rc); return; }
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bench-agent" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    int64_t ids[AGENTS];
    rc = cd_cert_new(s, u, &p, AGENTS, NULL, NULL, ids, &e);
    /* a mirror set: every answer carries it, its password unsealed (the heavier path) */
    if (!rc) rc = cd_mirror_settings_set(s, u, "https://mirror.example.org/pki", "agents", "bench-mirror-pw", &e);
    if (!rc) rc = write_ca(s, u, ca);
    struct agent agents[AGENTS];
    for (int i = 0; !rc && i < AGENTS; i++) rc = agent_creds(s, u, ids[i], ca, &agents[i]);
    struct raw_srv raw;
    if (!rc && raw_srv_start(&raw, s, ca, 4)) rc = -1;
    cd_user_free(u);
    cd_store_close(s);
    if (rc) { fprintf(stderr, "bench: agents: %s\n", cd_errmsg(&e, rc)); return; }

    struct load l = { .agents = agents, .nagents = AGENTS };
    pthread_mutex_init(&l.mu, NULL);
    l.lat = calloc((size_t)THREADS * PER, sizeof *l.lat);
    size_t n = (size_t)THREADS * PER;
    double raw_rate = run_load(&l, raw.port);
    double raw_p50 = l.lat[n / 2], raw_p99 = l.lat[n * 99 / 100];
    int raw_err = l.errors;
    raw_srv_stop(&raw);

    struct srv sv;
    if (srv_start(bin, store, &sv)) { fprintf(stderr, "bench: certdeckd did not start\n"); return; }
    long rss_before = rss_kb(sv.pid, "VmRSS:");
    double srv_cpu0 = cpu_s(sv.pid), me_cpu0 = cpu_s(getpid()), t0 = bench_now();
    double rate = run_load(&l, sv.agent_port);
    double dt = bench_now() - t0;
    double srv_cpu = cpu_s(sv.pid) - srv_cpu0, me_cpu = cpu_s(getpid()) - me_cpu0;
    long hwm = rss_kb(sv.pid, "VmHWM:"), rss = rss_kb(sv.pid, "VmRSS:");
    long st = srv_stop(&sv);
    printf("%-36s %10.0f /s   %zu check-ins, %d threads, new TLS handshake each (P-256 certificates)\n",
           "agent check-ins", rate, n, THREADS);
    printf("%-36s p50 %6.2f ms   p99 %6.2f ms   max %6.2f ms   errors %d%s%s\n", "  latency", l.lat[n / 2],
           l.lat[n * 99 / 100], l.lat[n - 1], l.errors, l.errors ? ": " : "", l.first_error);
    printf("%-36s %10.0f /s   p50 %.2f ms, p99 %.2f ms, errors %d (4 threads, same handshakes)\n",
           "  raw GnuTLS server, fixed answer", raw_rate, raw_p50, raw_p99, raw_err);
    printf("%-36s %10.2fx\n", "  certdeckd / raw GnuTLS", rate / raw_rate);
    printf("%-36s certdeckd %.0f us/check-in, load generator %.0f us (%.2f + %.2f of %ld cores busy)\n",
           "  CPU", srv_cpu / (double)n * 1e6, me_cpu / (double)n * 1e6, srv_cpu / dt, me_cpu / dt,
           sysconf(_SC_NPROCESSORS_ONLN));
    printf("%-36s RSS %ld kB before, %ld kB after, peak %ld kB; SIGTERM exit %ld\n", "  certdeckd memory",
           rss_before, rss, hwm, st);
    for (int i = 0; i < AGENTS; i++) gnutls_certificate_free_credentials(agents[i].cred);
    free(l.lat);
}

/* store100k NULL: the check-in load alone */
void server_bench(const char *bin, const char *store100k);
void server_bench(const char *bin, const char *store100k)
{
    if (access(bin, X_OK)) { printf("(no %s: server rows skipped)\n", bin); return; }
    printf("\ncertdeckd over loopback TLS\n");
    if (store100k) remote_list(bin, store100k, "100k");
    checkin_load(bin);
}
