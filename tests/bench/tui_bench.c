/* certdeck bench — the console through a pseudo-terminal (not tmux).
 *
 * A frame is finished when the program, having written output since the
 * key, is back blocked in poll() (getch's wait, read from
 * /proc/PID/syscall) and the pty holds nothing more to read.  That is the
 * moment a person sees the whole update. */
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

double bench_now(void);

static size_t drain(int fd)
{
    char buf[65536];
    size_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n > 0) { total += (size_t)n; continue; }
        return total;
    }
}

static int in_poll(pid_t pid)
{
    char p[64], b[64];
    snprintf(p, sizeof p, "/proc/%d/syscall", (int)pid);
    FILE *f = fopen(p, "r");
    if (!f) return 0;
    size_t n = fread(b, 1, sizeof b - 1, f);
    fclose(f);
    b[n] = 0;
    long nr = strtol(b, NULL, 10);
    /* x86_64: poll 7, select 23, pselect6 270, ppoll 271 */
    return b[0] >= '0' && b[0] <= '9' && (nr == 7 || nr == 23 || nr == 270 || nr == 271);
}

/* Waits for the end of the frame; returns its time, or -1 after 10 s. */
static double frame_done(pid_t pid, int fd, double t0)
{
    size_t got = 0;
    struct timespec nap = { 0, 20000 };
    while (bench_now() - t0 < 10) {
        got += drain(fd);
        if (got && in_poll(pid)) {
            if (!drain(fd)) return bench_now();
            got++;
        }
        nanosleep(&nap, NULL);
    }
    return -1;
}

static double key(pid_t pid, int fd, const char *k)
{
    drain(fd);
    double t0 = bench_now();
    if (write(fd, k, strlen(k)) < 0) return -1;
    double t1 = frame_done(pid, fd, t0);
    return t1 < 0 ? -1 : (t1 - t0) * 1000;
}

static int cmpd(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static void stats(const char *label, const char *scale, double *v, int n)
{
    qsort(v, (size_t)n, sizeof v[0], cmpd);
    printf("%-36s %-6s p50 %7.2f ms   p95 %7.2f ms   (%d keys)\n", label, scale, v[n / 2],
           v[(n * 95 + 99) / 100 - 1 < n ? (n * 95 + 99) / 100 - 1 : n - 1], n);
}

void tui_bench(const char *bin, const char *store, const char *scale)
{
    struct winsize ws = { .ws_row = 40, .ws_col = 140 };
    int fd;
    double t0 = bench_now();
    pid_t pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0) { perror("forkpty"); return; }
    if (pid == 0) {
        setenv("TERM", "xterm-256color", 1);
        setenv("LC_ALL", "C.UTF-8", 1);
        /* read-only: the bench must not leave its view in the store */
        execl(bin, "certdeck", "--store", store, "--read-only", (char *)NULL);
        _exit(127);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    double t1 = frame_done(pid, fd, t0);
    printf("%-36s %-6s %7.1f ms\n", "console: start to first frame", scale, t1 < 0 ? -1 : (t1 - t0) * 1000);
    double v[200];
    int n = 0;
    for (int i = 0; i < 60; i++) v[n++] = key(pid, fd, "j");
    for (int i = 0; i < 30; i++) v[n++] = key(pid, fd, "\033[6~");     /* PgDn */
    stats("console: scrolling (j, PgDn)", scale, v, n);
    /* the far end: G counts everything and shows the last page; then up */
    n = 0;
    for (int i = 0; i < 3; i++) {
        v[n++] = key(pid, fd, "G");
        for (int j = 0; j < 5; j++) v[n++] = key(pid, fd, "\033[5~");   /* PgUp */
        v[n++] = key(pid, fd, "g");
    }
    stats("console: end and back (G, PgUp, g)", scale, v, n);
    n = 0;
    key(pid, fd, "/");
    static const char *const words[] = { "node-0004", "site03 and product:server", "tag:pci expires<90d" };
    for (size_t w = 0; w < 3; w++) {
        for (const char *p = words[w]; *p; p++) {
            char k[2] = { *p, 0 };
            v[n++] = key(pid, fd, k);
            if (getenv("BENCH_SLOW") && v[n - 1] > 15) fprintf(stderr, "slow key %c after \"%.*s\": %.1f ms\n", *p, (int)(p - words[w]), words[w], v[n - 1]);
        }
        key(pid, fd, "\025");            /* ^U clears the line */
    }
    key(pid, fd, "\r");
    stats("console: typing a filter", scale, v, n);
    n = 0;
    for (int i = 0; i < 10; i++) v[n++] = key(pid, fd, "r");
    stats("console: toggling show-revoked", scale, v, n);
    char p[64], line[256];
    snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
    FILE *f = fopen(p, "r");
    long hwm = 0;
    while (f && fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) hwm = strtol(line + 6, NULL, 10);
    if (f) fclose(f);
    printf("%-36s %-6s %7.1f MB\n", "console: peak resident memory", scale, hwm / 1024.0);
    if (write(fd, "q", 1) < 0) kill(pid, SIGTERM);
    int st;
    for (int i = 0; i < 200 && waitpid(pid, &st, WNOHANG) == 0; i++) { drain(fd); usleep(10000); }
    kill(pid, SIGKILL);
    waitpid(pid, &st, 0);
    close(fd);
}

/* Start to first frame of the console run as argv (argv[0] the binary),
 * in ms; -1 when no frame came in 10 s.  The console is then quit. */
double tui_first_frame(char *const argv[])
{
    struct winsize ws = { .ws_row = 40, .ws_col = 140 };
    int fd;
    double t0 = bench_now();
    pid_t pid = forkpty(&fd, NULL, NULL, &ws);
    if (pid < 0) { perror("forkpty"); return -1; }
    if (pid == 0) {
        setenv("TERM", "xterm-256color", 1);
        setenv("LC_ALL", "C.UTF-8", 1);
        execv(argv[0], argv);
        _exit(127);
    }
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    double t1 = frame_done(pid, fd, t0);
    if (write(fd, "q", 1) < 0) kill(pid, SIGTERM);
    int st, gone = 0;
    for (int i = 0; i < 200 && !(gone = waitpid(pid, &st, WNOHANG) == pid); i++) { drain(fd); usleep(10000); }
    if (!gone) { kill(pid, SIGKILL); waitpid(pid, &st, 0); }
    close(fd);
    return t1 < 0 ? -1 : (t1 - t0) * 1000;
}
