/* certdeck unit tests — a tiny HTTPS server in a thread (GnuTLS), to judge
 * the core's HTTPS client: it binds 127.0.0.1 on a port the kernel picks,
 * serves keep-alive connections with a canned answer, and records what the
 * client sent (request text, connections, the client certificate).
 * Certificate and answer may change between requests (tlsd_set). */
#ifndef CERTDECK_TEST_TLSD_H
#define CERTDECK_TEST_TLSD_H

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <gnutls/gnutls.h>

/* answer; close the connection after the request; or read it and say nothing */
enum { TLSD_ANSWER, TLSD_HANGUP, TLSD_SILENT };

struct tlsd {
    int lfd, port;
    pthread_t th;
    pthread_mutex_t mu;
    /* what to serve (under mu) */
    char cert[256], key[256], cafile[256];
    const char *answer;
    int mode;
    /* what was seen (under mu) */
    int conns, requests, client_certs;
    char last[8192];             /* the last request, headers and body */
};

static void tlsd_set(struct tlsd *d, const char *cert, const char *key, const char *answer, int mode)
{
    pthread_mutex_lock(&d->mu);
    if (cert) snprintf(d->cert, sizeof d->cert, "%s", cert);
    if (key) snprintf(d->key, sizeof d->key, "%s", key);
    d->answer = answer;
    d->mode = mode;
    pthread_mutex_unlock(&d->mu);
}

/* One request (headers, then Content-Length bytes of body) into buf;
 * 0 at the end of the connection. */
static size_t tlsd_read(gnutls_session_t s, char *buf, size_t cap)
{
    size_t n = 0;
    char *end = NULL;
    while (!end) {
        if (n + 1 >= cap) return 0;
        ssize_t r = gnutls_record_recv(s, buf + n, cap - 1 - n);
        if (r <= 0) return 0;
        n += (size_t)r;
        buf[n] = 0;
        end = strstr(buf, "\r\n\r\n");
    }
    size_t want = (size_t)(end + 4 - buf);
    for (char *p = buf; p < end; p = strstr(p, "\r\n") + 2)
        if (!strncasecmp(p, "Content-Length:", 15)) want += strtoul(p + 15, NULL, 10);
    while (n < want && n + 1 < cap) {
        ssize_t r = gnutls_record_recv(s, buf + n, cap - 1 - n);
        if (r <= 0) return 0;
        n += (size_t)r;
        buf[n] = 0;
    }
    return n;
}

static void tlsd_conn(struct tlsd *d, int fd)
{
    /* a client that keeps its connection and goes quiet does not stall the next one for long */
    struct timeval tv = { .tv_sec = 3 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    gnutls_certificate_credentials_t cred;
    gnutls_session_t s;
    char buf[8192];
    pthread_mutex_lock(&d->mu);
    d->conns++;
    gnutls_certificate_allocate_credentials(&cred);
    int ok = gnutls_certificate_set_x509_key_file(cred, d->cert, d->key, GNUTLS_X509_FMT_PEM) >= 0;
    if (d->cafile[0]) gnutls_certificate_set_x509_trust_file(cred, d->cafile, GNUTLS_X509_FMT_PEM);
    pthread_mutex_unlock(&d->mu);
    gnutls_init(&s, GNUTLS_SERVER);
    gnutls_set_default_priority(s);
    gnutls_credentials_set(s, GNUTLS_CRD_CERTIFICATE, cred);
    gnutls_certificate_server_set_request(s, GNUTLS_CERT_REQUEST);
    gnutls_transport_set_int(s, fd);
    gnutls_handshake_set_timeout(s, 5000);
    int r;
    do r = gnutls_handshake(s);
    while (ok && r < 0 && !gnutls_error_is_fatal(r));
    while (ok && r >= 0 && tlsd_read(s, buf, sizeof buf)) {
        unsigned np = 0;
        gnutls_certificate_get_peers(s, &np);
        pthread_mutex_lock(&d->mu);
        d->requests++;
        if (np) d->client_certs++;
        snprintf(d->last, sizeof d->last, "%s", buf);
        const char *answer = d->answer;
        int mode = d->mode;
        pthread_mutex_unlock(&d->mu);
        if (mode == TLSD_SILENT) continue;
        if (mode == TLSD_HANGUP || !answer) break;
        if (gnutls_record_send(s, answer, strlen(answer)) < 0) break;
    }
    gnutls_bye(s, GNUTLS_SHUT_WR);
    gnutls_deinit(s);
    gnutls_certificate_free_credentials(cred);
    close(fd);
}

static void *tlsd_main(void *arg)
{
    struct tlsd *d = arg;
    for (;;) {
        int fd = accept(d->lfd, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED) continue;
            return NULL;        /* shut down */
        }
        tlsd_conn(d, fd);
    }
}

/* A listening socket on 127.0.0.1 with a port the kernel chose. */
static int tlsd_listen(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16) ||
        getsockname(fd, (struct sockaddr *)&a, &l)) {
        if (fd >= 0) close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int tlsd_start(struct tlsd *d, const char *cert, const char *key, const char *cafile, const char *answer)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->mu, NULL);
    tlsd_set(d, cert, key, answer, TLSD_ANSWER);
    if (cafile) snprintf(d->cafile, sizeof d->cafile, "%s", cafile);
    if ((d->lfd = tlsd_listen(&d->port)) < 0) return -1;
    return pthread_create(&d->th, NULL, tlsd_main, d);
}

/* Wakes the accept() and waits for the thread. */
static void tlsd_stop(struct tlsd *d)
{
    shutdown(d->lfd, SHUT_RDWR);
    pthread_join(d->th, NULL);
    close(d->lfd);
    pthread_mutex_destroy(&d->mu);
}

#endif
