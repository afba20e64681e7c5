/* certdeckd — the log on stderr: one line per request (time, peer, who,
 * method, path, status, bytes, milliseconds) and the server's own
 * messages.  Every field that came from the network is sanitised: a path
 * or an agent's name can hold escape sequences.  Each line is written with
 * one call, so lines of concurrent requests do not interleave. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "srv.h"

/* At most this much of a path, of who asked, or of a method reaches the
 * log: a long one is cut and marked "...", so one request cannot write a
 * line of the header limit's size. */
#define LOG_PATH_MAX   512
#define LOG_WHO_MAX    300
#define LOG_METHOD_MAX 32

static void iso_now(char *buf, size_t n)
{
    struct timespec ts;
    struct tm tm;
    clock_gettime(CLOCK_REALTIME, &ts);
    gmtime_r(&ts.tv_sec, &tm);
    char t[24];
    strftime(t, sizeof t, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf, n, "%s.%03dZ", t, (int)(ts.tv_nsec / 1000000) % 1000);
}

/* s (or "-") sanitised, cut to max bytes and marked; NULL when out of memory. */
static char *field(const char *s, size_t max)
{
    if (!s || !*s) s = "-";
    size_t n = strlen(s);
    char *v = cd_sanitize(s, n > max ? max : n);
    if (!v || n <= max) return v;
    size_t vl = strlen(v);
    char *w = realloc(v, vl + 4);
    if (!w) { free(v); return NULL; }
    memcpy(w + vl, "...", 4);
    return w;
}

void log_request(const struct srv_req *r)
{
    char when[40];
    iso_now(when, sizeof when);
    char *path = field(r->uri, LOG_PATH_MAX);
    char *who = field(r->who, LOG_WHO_MAX);
    char *method = field(r->method, LOG_METHOD_MAX);
    char *peer = field(r->peer, sizeof r->peer);
    int64_t ms = (srv_now_us() - r->t0_us) / 1000;
    if (path && who && method && peer)
        fprintf(stderr, "%s %s %s %s %s %d %zu %lldms\n", when, peer, who, method, path, r->status, r->bytes,
                (long long)ms);
    free(path);
    free(who);
    free(method);
    free(peer);
}

void log_msg(const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char *s = cd_sanitize(buf, (size_t)-1);
    char when[40];
    iso_now(when, sizeof when);
    fprintf(stderr, "%s certdeckd: %s\n", when, s ? s : "(out of memory)");
    free(s);
}
