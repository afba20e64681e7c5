/* certdeck core — small helpers: strings, buffers, time, hex. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "core_int.h"

char *cdi_strdup(const char *s)
{
    return s ? strdup(s) : NULL;
}

char *cdi_printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *out = NULL;
    if (vasprintf(&out, fmt, ap) < 0) out = NULL;
    va_end(ap);
    return out;
}

void cdi_hex(const unsigned char *in, size_t n, char *out)
{
    static const char d[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = d[in[i] >> 4];
        out[2 * i + 1] = d[in[i] & 15];
    }
    out[2 * n] = 0;
}

int64_t cdi_now(void)
{
    return (int64_t)time(NULL);
}

void cdi_wipe(void *p, size_t n)
{
    if (p) explicit_bzero(p, n);
}

int cdi_parse_date(const char *s, int64_t *out)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    int y, mo, d, h = 0, mi = 0, sec = 0, used = 0;
    if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &used) != 3)
        return -1;
    const char *rest = s + used;
    if (*rest == 'T' || *rest == ' ') {
        int u2 = 0;
        if (sscanf(rest + 1, "%2d:%2d%n", &h, &mi, &u2) != 2) return -1;
        rest += 1 + u2;
        if (*rest == ':') {
            if (sscanf(rest + 1, "%2d%n", &sec, &u2) != 1) return -1;
            rest += 1 + u2;
        }
        if (*rest == 'Z') rest++;
    }
    if (*rest) return -1;
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60 || y < 1950 || y > 9999)
        return -1;
    tm.tm_year = y - 1900; tm.tm_mon = mo - 1; tm.tm_mday = d;
    tm.tm_hour = h; tm.tm_min = mi; tm.tm_sec = sec;
    time_t t = timegm(&tm);
    if (t == (time_t)-1) return -1;
    *out = (int64_t)t;
    return 0;
}

void cdi_fmt_time(int64_t t, char *buf, size_t n)
{
    if (t == 0) { snprintf(buf, n, "-"); return; }
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(buf, n, "%Y-%m-%d %H:%M", &tm);
}

int cdi_max_threads;

int cdi_ncpu(void)
{
    if (cdi_max_threads > 0) return cdi_max_threads;
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : n > 64 ? 64 : (int)n;
}

void *cdi_grow(void *rows, size_t n, size_t *cap, size_t elsz)
{
    void **pp = rows;
    if (n >= *cap) {
        size_t nc = *cap ? *cap * 2 : 32;
        void *p = realloc(*pp, nc * elsz);
        if (!p) return NULL;
        *pp = p;
        *cap = nc;
    }
    unsigned char *slot = (unsigned char *)*pp + n * elsz;
    memset(slot, 0, elsz);
    return slot;
}

void cdi_buf_add(struct cdi_buf *b, const void *data, size_t n)
{
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) { b->oom = 1; return; }
        b->p = p; b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    b->p[b->len] = 0;
}

void cdi_buf_addf(struct cdi_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = NULL;
    int n = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (n < 0) { b->oom = 1; return; }
    cdi_buf_add(b, s, (size_t)n);
    free(s);
}

void cdi_buf_free(struct cdi_buf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

int cdi_state(int64_t nb, int64_t na, int64_t revoked_at, int64_t now, int64_t warn)
{
    if (revoked_at) return CD_STATE_REVOKED;
    if (now < nb) return CD_STATE_NOTYET;
    if (now >= na) return CD_STATE_EXPIRED;
    if (na - now <= warn) return CD_STATE_EXPIRING;
    return CD_STATE_VALID;
}
