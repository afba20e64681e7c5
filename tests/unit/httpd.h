/* certdeck unit tests — a tiny plain HTTP/1.1 server in a thread, to judge
 * the mirror's reader: it binds 127.0.0.1 on a port the kernel picks,
 * answers one request per connection (then closes), and records every
 * request it saw.  What it answers: a canned answer per path (any bytes:
 * broken ones too), an answer held back until the client gives up, an
 * answer dripped slowly, or the files of a folder (with an ETag, and 304
 * to a matching If-None-Match). */
#ifndef CERTDECK_TEST_HTTPD_H
#define CERTDECK_TEST_HTTPD_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* send the answer and close; read the request and say nothing until the
 * client leaves; send the answer in 10 pieces, 150 ms apart */
enum { HTTPD_ANSWER, HTTPD_SILENT, HTTPD_DRIP };

#define HTTPD_ROUTES 16
struct httpd_route { char path[256]; char *answer; size_t len; int mode; };

struct httpd {
    int lfd, port;
    pthread_t th;
    pthread_mutex_t mu;
    struct httpd_route r[HTTPD_ROUTES];
    int nr;
    char root[256];              /* "" or a folder whose files are served under prefix */
    char prefix[64];
    int requests, not_modified;
    char log[65536];             /* every request's head, one after the other */
};

/* Serves `answer` (len bytes; 0: strlen) for requests of path. */
static inline void httpd_route(struct httpd *d, const char *path, const char *answer, size_t len, int mode)
{
    pthread_mutex_lock(&d->mu);
    int i = 0;
    while (i < d->nr && strcmp(d->r[i].path, path)) i++;
    if (i == d->nr && d->nr < HTTPD_ROUTES) d->nr++;
    if (i < HTTPD_ROUTES) {
        free(d->r[i].answer);
        snprintf(d->r[i].path, sizeof d->r[i].path, "%s", path);
        d->r[i].len = len ? len : strlen(answer);
        d->r[i].answer = malloc(d->r[i].len);
        memcpy(d->r[i].answer, answer, d->r[i].len);
        d->r[i].mode = mode;
    }
    pthread_mutex_unlock(&d->mu);
}

static inline void httpd_unroute(struct httpd *d)
{
    pthread_mutex_lock(&d->mu);
    for (int i = 0; i < d->nr; i++) { free(d->r[i].answer); d->r[i].answer = NULL; }
    d->nr = 0;
    pthread_mutex_unlock(&d->mu);
}

static inline void httpd_serve_dir(struct httpd *d, const char *prefix, const char *root)
{
    pthread_mutex_lock(&d->mu);
    snprintf(d->prefix, sizeof d->prefix, "%s", prefix);
    snprintf(d->root, sizeof d->root, "%s", root);
    pthread_mutex_unlock(&d->mu);
}

/* How many requests of the log asked for path (a substring of the request line). */
static inline int httpd_count(struct httpd *d, const char *what)
{
    int n = 0;
    pthread_mutex_lock(&d->mu);
    for (const char *p = d->log; (p = strstr(p, what)); p++) n++;
    pthread_mutex_unlock(&d->mu);
    return n;
}

static inline void httpd_clear_log(struct httpd *d)
{
    pthread_mutex_lock(&d->mu);
    d->log[0] = 0;
    d->requests = d->not_modified = 0;
    pthread_mutex_unlock(&d->mu);
}

static inline void httpd_send(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

/* A file of the served folder, with an ETag of its size and time. */
static inline void httpd_file(struct httpd *d, int fd, const char *rel, const char *req)
{
    char path[600], head[512], etag[64];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", d->root, rel);
    int f = strstr(rel, "..") ? -1 : open(path, O_RDONLY);
    if (f < 0 || fstat(f, &st)) {
        if (f >= 0) close(f);
        const char *nf = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        httpd_send(fd, nf, strlen(nf));
        return;
    }
    snprintf(etag, sizeof etag, "\"%llx-%llx-%llx\"", (unsigned long long)st.st_size,
             (unsigned long long)st.st_mtim.tv_sec, (unsigned long long)st.st_mtim.tv_nsec);
    const char *inm = strcasestr(req, "\r\nIf-None-Match: ");
    if (inm && !strncmp(inm + 17, etag, strlen(etag))) {
        pthread_mutex_lock(&d->mu);
        d->not_modified++;
        pthread_mutex_unlock(&d->mu);
        int n = snprintf(head, sizeof head, "HTTP/1.1 304 Not Modified\r\nETag: %s\r\nConnection: close\r\n\r\n", etag);
        httpd_send(fd, head, (size_t)n);
        close(f);
        return;
    }
    int n = snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %lld\r\nETag: %s\r\nConnection: close\r\n\r\n",
                     (long long)st.st_size, etag);
    httpd_send(fd, head, (size_t)n);
    char buf[65536];
    ssize_t r;
    while ((r = read(f, buf, sizeof buf)) > 0) httpd_send(fd, buf, (size_t)r);
    close(f);
}

static inline void httpd_conn(struct httpd *d, int fd)
{
    char req[8192];
    size_t n = 0;
    struct pollfd pf = { .fd = fd, .events = POLLIN };
    while (n + 1 < sizeof req) {
        if (poll(&pf, 1, 5000) <= 0) { close(fd); return; }
        ssize_t r = recv(fd, req + n, sizeof req - 1 - n, 0);
        if (r <= 0) { close(fd); return; }
        n += (size_t)r;
        req[n] = 0;
        if (strstr(req, "\r\n\r\n")) break;
    }
    char path[256] = "";
    sscanf(req, "GET %255s ", path);
    pthread_mutex_lock(&d->mu);
    d->requests++;
    size_t l = strlen(d->log);
    snprintf(d->log + l, sizeof d->log - l, "%s", req);
    struct httpd_route r = { .answer = NULL };
    for (int i = 0; i < d->nr; i++)
        if (!strcmp(d->r[i].path, path)) {
            r = d->r[i];
            r.answer = malloc(r.len);
            memcpy(r.answer, d->r[i].answer, r.len);
        }
    int dir = !r.answer && d->root[0] && !strncmp(path, d->prefix, strlen(d->prefix));
    pthread_mutex_unlock(&d->mu);
    if (r.answer && r.mode == HTTPD_ANSWER) {
        httpd_send(fd, r.answer, r.len);
    } else if (r.answer && r.mode == HTTPD_DRIP) {
        size_t step = r.len / 10 + 1;
        for (size_t off = 0; off < r.len; off += step) {
            httpd_send(fd, r.answer + off, off + step > r.len ? r.len - off : step);
            poll(NULL, 0, 150);      /* the server's pace, not a wait for anything */
        }
    } else if (r.answer) {
        /* silent: until the client gives up and closes */
        char sink[256];
        while (poll(&pf, 1, 30000) > 0 && recv(fd, sink, sizeof sink, 0) > 0) { }
    } else if (dir) {
        httpd_file(d, fd, path + strlen(d->prefix), req);
    } else {
        const char *nf = "HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found";
        httpd_send(fd, nf, strlen(nf));
    }
    free(r.answer);
    shutdown(fd, SHUT_WR);
    close(fd);
}

static inline void *httpd_main(void *arg)
{
    struct httpd *d = arg;
    for (;;) {
        int fd = accept(d->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return NULL;        /* shut down */
        }
        httpd_conn(d, fd);
    }
}

static inline int httpd_start(struct httpd *d)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->mu, NULL);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&a, &l)) {
        if (fd >= 0) close(fd);
        return -1;
    }
    d->lfd = fd;
    d->port = ntohs(a.sin_port);
    return pthread_create(&d->th, NULL, httpd_main, d);
}

static inline void httpd_stop(struct httpd *d)
{
    shutdown(d->lfd, SHUT_RDWR);
    close(d->lfd);
    pthread_join(d->th, NULL);
    httpd_unroute(d);
    pthread_mutex_destroy(&d->mu);
}

/* A port nobody listens on (bound, then closed): connection refused. */
static inline int httpd_closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || getsockname(fd, (struct sockaddr *)&a, &l)) return -1;
    close(fd);
    return ntohs(a.sin_port);
}

#endif
