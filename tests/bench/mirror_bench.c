/* certdeck bench — the HTTP mirror, with the real binaries against
 * lighttpd (basic auth, htpasswd) on loopback, over a copy of the 100k
 * store the other benches seed:
 *   - certdeck mirror publish of the 100k store
 *   - a full pull (empty cache, new replica), against curl fetching the
 *     same files over one connection in the same run (the raw transfer)
 *   - an unchanged pull (one conditional request answered 304, end to
 *     end), against one conditional GET by curl; the requests each made,
 *     counted in lighttpd's access log
 *   - the console on the mirror with a warm cache: start to first frame,
 *     against the console on the local 100k file and on the replica
 * Paths are under build/bench/tmp/mirror; XDG_CACHE_HOME/XDG_CONFIG_HOME
 * point there while it runs (the user's own cache is never touched). */
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

double bench_now(void);
double tui_first_frame(char *const argv[]);   /* tui_bench.c */

static char D[PATH_MAX];          /* build/bench/tmp/mirror, absolute */

/* snprintf into an array, -1 (said) when it does not fit */
#define FMT(buf, ...) \
    (snprintf(buf, sizeof buf, __VA_ARGS__) >= (int)sizeof buf ? (fprintf(stderr, "bench: mirror: too long\n"), -1) : 0)

static int mb_cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* Runs a shell command, output to D/log; its time in s, -1 on failure. */
static double timed(const char *cmd)
{
    char full[16384];
    if (FMT(full, "( %s ) >>'%s/log' 2>&1", cmd, D)) return -1;
    double t0 = bench_now();
    int rc = system(full);
    double t = bench_now() - t0;
    if (rc != 0) {
        fprintf(stderr, "bench: mirror: failed (see %s/log): %s\n", D, cmd);
        return -1;
    }
    return t;
}

static long lines(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    long n = 0;
    for (int ch; (ch = fgetc(f)) != EOF;) n += ch == '\n';
    fclose(f);
    return n;
}

static int file_has(const char *path, const char *text)
{
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    char line[1024];
    int found = 0;
    while (!found && fgets(line, sizeof line, f)) found = strstr(line, text) != NULL;
    fclose(f);
    return found;
}

/* lighttpd on a free loopback port (another one when the port is taken),
 * ready once its error log says it started; 0 or -1. */
static int lighttpd_start(pid_t *pid, int *port)
{
    char conf[PATH_MAX + 16], elog[PATH_MAX + 16];
    snprintf(conf, sizeof conf, "%s/lighttpd.conf", D);
    snprintf(elog, sizeof elog, "%s/error.log", D);
    for (int attempt = 0; attempt < 10; attempt++) {
        int p = 20000 + (int)((unsigned)getpid() * 7919u + (unsigned)attempt * 104729u + (unsigned)(bench_now() * 1000)) % 30000;
        FILE *f = fopen(conf, "w");
        if (!f) return -1;
        fprintf(f, "server.document-root = \"%s/www\"\nserver.bind = \"127.0.0.1\"\nserver.port = %d\n"
                   "server.errorlog = \"%s\"\n"
                   "server.modules += ( \"mod_auth\", \"mod_authn_file\", \"mod_accesslog\" )\n"
                   "accesslog.filename = \"|cat >>%s/access.log\"\n"
                   "accesslog.format = \"%%m %%U %%>s\"\n"
                   "mimetype.assign = ( \"\" => \"application/octet-stream\" )\n"
                   "auth.backend = \"htpasswd\"\nauth.backend.htpasswd.userfile = \"%s/htpasswd\"\n"
                   "auth.require = ( \"/mirror/\" => ( \"method\" => \"basic\", \"realm\" => \"bench\", "
                   "\"require\" => \"valid-user\" ) )\n", D, p, elog, D, D);
        fclose(f);
        unlink(elog);
        pid_t c = fork();
        if (c < 0) return -1;
        if (c == 0) {
            int nul = open("/dev/null", O_WRONLY);
            if (nul >= 0) { dup2(nul, 1); dup2(nul, 2); }
            execlp("lighttpd", "lighttpd", "-D", "-f", conf, (char *)NULL);
            _exit(127);
        }
        double t0 = bench_now();
        int st, up = 0, dead = 0;
        while (bench_now() - t0 < 5 && !(up = file_has(elog, "server started"))) {
            if (waitpid(c, &st, WNOHANG) == c) { dead = 1; break; }
            usleep(20000);
        }
        if (up) { *pid = c; *port = p; return 0; }
        if (!dead) { kill(c, SIGTERM); waitpid(c, &st, 0); }
    }
    return -1;
}

static void stop(pid_t pid)
{
    int st;
    kill(pid, SIGTERM);
    waitpid(pid, &st, 0);
}

static void setenv_saved(const char *name, const char *value, char **saved)
{
    const char *old = getenv(name);
    *saved = old ? strdup(old) : NULL;
    setenv(name, value, 1);
}

static void restore_env(const char *name, char *saved)
{
    if (saved) setenv(name, saved, 1);
    else unsetenv(name);
    free(saved);
}

static void first_frames(char *const argv[], double *best, double *median)
{
    enum { N = 5 };
    double v[N];
    tui_first_frame(argv);                    /* warm-up: page cache, the mirror's 304 path */
    for (int i = 0; i < N; i++) v[i] = tui_first_frame(argv);
    qsort(v, N, sizeof v[0], mb_cmpd);
    *best = v[0];
    *median = v[N / 2];
}

void mirror_bench(const char *bin, const char *store100k)
{
    char cmd[16384], abin[PATH_MAX];
    if (!realpath(bin, abin)) { fprintf(stderr, "bench: mirror: no %s\n", bin); return; }
    if (system("command -v lighttpd >/dev/null && command -v htpasswd >/dev/null && command -v curl >/dev/null"
               " && command -v jq >/dev/null") != 0) {
        printf("the HTTP mirror: skipped (needs lighttpd, htpasswd, curl, jq: make deps)\n\n");
        return;
    }
    mkdir("build/bench/tmp", 0700);
    mkdir("build/bench/tmp/mirror", 0700);
    if (!realpath("build/bench/tmp/mirror", D)) return;
    printf("the HTTP mirror, 100k certificates (lighttpd with basic auth on loopback)\n");
    /* a copy of the store: publishing audits in its source */
    if (FMT(cmd,
             "rm -rf '%s'/* && mkdir -p '%s/www/mirror' '%s/cache' '%s/cfg' && cp '%s' '%s/src.db' && cp '%s.key' '%s/src.db.key'"
             " && printf 'bench-mirror-pw\\n' >'%s/pw' && chmod 600 '%s/pw'"
             " && htpasswd -i -B -C 4 -c '%s/htpasswd' bench <'%s/pw'"
             " && printf 'machine 127.0.0.1 login bench password bench-mirror-pw\\n' >'%s/netrc' && chmod 600 '%s/netrc'"
             " && '%s' --store '%s/src.db' ca export 1 --out '%s/ca.pem'",
             D, D, D, D, store100k, D, store100k, D, D, D, D, D, D, D, abin, D, D)) return;
    if (timed(cmd) < 0) return;
    char *old_cache, *old_cfg, path[PATH_MAX + 16];
    snprintf(path, sizeof path, "%s/cache", D);
    setenv_saved("XDG_CACHE_HOME", path, &old_cache);
    snprintf(path, sizeof path, "%s/cfg", D);
    setenv_saved("XDG_CONFIG_HOME", path, &old_cfg);
    pid_t lpid = 0;
    int port = 0;

    if (FMT(cmd, "'%s' --store '%s/src.db' mirror publish '%s/www/mirror' --sign-ca 1", abin, D, D)) goto out;
    double tpub = timed(cmd);
    if (tpub < 0) goto out;
    /* the snapshot's files, their count and bytes, and a curl config
     * fetching them all over one connection (what a pull must move) */
    if (FMT(cmd,
             "cd '%s/www/mirror' && ix=$(cat current) && jq -r '.files | length, (map(.size) | add)' \"$ix\" >'%s/sizes'"
             " && { for f in current \"$ix\" \"${ix%%.json}.sig\" $(jq -r '.files[].name' \"$ix\"); do"
             " printf 'url = \"http://127.0.0.1:PORT/mirror/%%s\"\\noutput = /dev/null\\n' \"$f\"; done; } >'%s/curl.tmpl'",
             D, D, D)) goto out;
    if (timed(cmd) < 0) goto out;
    long nfiles = 0;
    double bytes = 0;
    FILE *sf = fopen(strcat(strcpy(path, D), "/sizes"), "r");
    if (!sf || fscanf(sf, "%ld %lf", &nfiles, &bytes) != 2) { if (sf) fclose(sf); goto out; }
    fclose(sf);
    printf("%-40s %8.2f s    (%ld files, %.1f MB)\n", "mirror publish", tpub, nfiles, bytes / 1e6);

    if (lighttpd_start(&lpid, &port)) { fprintf(stderr, "bench: mirror: lighttpd did not start\n"); goto out; }
    if (FMT(cmd, "sed 's/PORT/%d/' '%s/curl.tmpl' >'%s/curl.cfg'", port, D, D)) goto out;
    if (timed(cmd) < 0) goto out;
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/mirror", port);

    /* (a) a full pull: empty cache, no replica; curl moving the same bytes */
    enum { FULL = 3, SAME = 15 };
    double full[FULL], raw[FULL];
    char pull[8192];
    if (FMT(pull, "'%s' --user bench --password-file '%s/pw' --signer-ca '%s/ca.pem' mirror pull '%s' --into '%s/replica.db'",
             abin, D, D, url, D)) goto out;
    for (int k = 0; k < FULL; k++) {
        if (FMT(cmd, "rm -rf '%s/cache/certdeck' '%s/replica.db'", D, D)) goto out;
        if (timed(cmd) < 0) goto out;
        if ((full[k] = timed(pull)) < 0) goto out;
        if (FMT(cmd, "curl -sS --fail --netrc-file '%s/netrc' -K '%s/curl.cfg'", D, D)) goto out;
        if ((raw[k] = timed(cmd)) < 0) goto out;
    }
    qsort(full, FULL, sizeof *full, mb_cmpd);
    qsort(raw, FULL, sizeof *raw, mb_cmpd);
    printf("%-40s %8.1f ms   (best of %d; median %.1f; target < 1000)\n", "pull, empty cache -> new replica",
           full[0] * 1000, FULL, full[FULL / 2] * 1000);
    printf("%-40s %8.1f ms   (best of %d; %.0f MB/s); the pull takes %.2fx it\n", "  curl, the same files (raw transfer)",
           raw[0] * 1000, FULL, bytes / 1e6 / raw[0], full[0] / raw[0]);

    /* (b) unchanged: one conditional request answered 304, end to end */
    double same[SAME], cond[SAME];
    char alog[PATH_MAX + 16];
    snprintf(alog, sizeof alog, "%s/access.log", D);
    long before = lines(alog);
    for (int k = 0; k < SAME; k++)
        if ((same[k] = timed(pull)) < 0) goto out;
    long reqs = lines(alog) - before;        /* the piped logger may lag a little: polled below */
    for (int w = 0; w < 100 && reqs < SAME; w++) { usleep(10000); reqs = lines(alog) - before; }
    if (FMT(cmd, "curl -sS --fail --netrc-file '%s/netrc' -o /dev/null -z '%s/www/mirror/current' '%s/current'",
             D, D, url)) goto out;
    for (int k = 0; k < SAME; k++)
        if ((cond[k] = timed(cmd)) < 0) goto out;
    qsort(same, SAME, sizeof *same, mb_cmpd);
    qsort(cond, SAME, sizeof *cond, mb_cmpd);
    printf("%-40s %8.1f ms   p50 (p95 %.1f; %d pulls; %.2f requests a pull; target < 50)\n",
           "pull, unchanged snapshot (304)", same[SAME / 2] * 1000, same[SAME * 95 / 100] * 1000, SAME,
           (double)reqs / SAME);
    printf("%-40s %8.1f ms   p50; the pull takes %.2fx it\n", "  curl, one conditional GET (-z)",
           cond[SAME / 2] * 1000, same[SAME / 2] / cond[SAME / 2]);

    /* (c) the console on the mirror, warm cache; the same on the local
     * file and on the replica */
    char spec[256], pwf[PATH_MAX + 8], caf[PATH_MAX + 8], rep[PATH_MAX + 16];
    snprintf(spec, sizeof spec, "mirror+%s", url);
    snprintf(pwf, sizeof pwf, "%s/pw", D);
    snprintf(caf, sizeof caf, "%s/ca.pem", D);
    snprintf(rep, sizeof rep, "%s/replica.db", D);
    char *on_mirror[] = { abin, "--store", spec, "--user", "bench", "--password-file", pwf, "--signer-ca", caf, NULL };
    char *on_file[] = { abin, "--store", (char *)store100k, "--read-only", NULL };
    char *on_replica[] = { abin, "--store", rep, NULL };
    double mb, mm, fb, fm, rb, rm;
    first_frames(on_mirror, &mb, &mm);
    first_frames(on_file, &fb, &fm);
    first_frames(on_replica, &rb, &rm);
    printf("%-40s %8.1f ms   (best of 5; median %.1f; target < 300)\n", "console on the mirror: first frame", mb, mm);
    printf("%-40s %8.1f ms   (best of 5; median %.1f); the mirror takes %.2fx it\n",
           "  on the local 100k file", fb, fm, mb / fb);
    printf("%-40s %8.1f ms   (best of 5; median %.1f)\n\n", "  on the pulled replica", rb, rm);
out:
    if (lpid > 0) stop(lpid);
    restore_env("XDG_CACHE_HOME", old_cache);
    restore_env("XDG_CONFIG_HOME", old_cfg);
}
