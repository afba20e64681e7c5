/* certdeck core — trust for the HTTPS client: the CA file each request is
 * verified against, trust on first use, and the explanation of a refused
 * server.  See http_trust_int.h for why this is apart from http.c.
 *
 * The probe here is a plain GnuTLS handshake that verifies nothing; what it
 * learns (the chain the server sends) is only ever shown to a person or
 * checked against a CA file with GnuTLS's own verifier, and the CA chosen
 * on first use becomes a CA file that curl then verifies every request
 * against (host name included).  Verification is never switched off. */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "http_trust_int.h"
#include "mirror_int.h"

#define FP_LEN 96    /* "AB:CD:..." for 32 bytes, NUL */

/* The chain a server sent, leaf first. */
struct chain { size_t n; gnutls_datum_t *der; };

static void chain_clear(struct chain *c)
{
    for (size_t i = 0; i < c->n; i++) gnutls_free(c->der[i].data);
    free(c->der);
    c->der = NULL;
    c->n = 0;
}

/* host without the brackets of an IPv6 literal; caller frees. */
static char *bare_host(const char *host)
{
    size_t n = strlen(host);
    if (n >= 2 && host[0] == '[' && host[n - 1] == ']') return strndup(host + 1, n - 2);
    return strdup(host);
}

static int is_ip(const char *bare)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, bare, buf) == 1 || inet_pton(AF_INET6, bare, buf) == 1;
}

static void fingerprint(const gnutls_datum_t *der, char out[FP_LEN])
{
    unsigned char md[32];
    size_t n = sizeof md;
    out[0] = 0;
    if (gnutls_fingerprint(GNUTLS_DIG_SHA256, der, md, &n) < 0) return;
    static const char d[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        out[3 * i] = d[md[i] >> 4];
        out[3 * i + 1] = d[md[i] & 15];
        out[3 * i + 2] = i + 1 < n ? ':' : 0;
    }
}

/* The subject of a DER certificate (RFC 4514); caller frees. */
static char *subject_of(const gnutls_datum_t *der)
{
    gnutls_x509_crt_t crt;
    gnutls_datum_t dn = { NULL, 0 };
    char *s = NULL;
    if (gnutls_x509_crt_init(&crt) < 0) return NULL;
    if (gnutls_x509_crt_import(crt, der, GNUTLS_X509_FMT_DER) >= 0 && gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0)
        s = strndup((const char *)dn.data, dn.size);
    gnutls_free(dn.data);
    gnutls_x509_crt_deinit(crt);
    return s ? s : strdup("(unreadable subject)");
}

/* ---- the probe: one TLS handshake, nothing verified, chain collected ----- */

static int tcp_connect(const struct cdi_trust *t, const char *bare, int *out, struct cd_err *err)
{
    struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV }, *res = NULL;
    int g = getaddrinfo(bare, t->port, &hints, &res);
    if (g) return cdi_fail(err, CD_E_IO, "certdeckd at %s: could not resolve host %s", t->hostport, bare);
    int fd = -1, e = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) { e = errno; continue; }
        if (connect(fd, a->ai_addr, a->ai_addrlen) && errno != EINPROGRESS) e = errno;
        else {
            struct pollfd p = { .fd = fd, .events = POLLOUT };
            int r = poll(&p, 1, (int)t->connect_timeout_ms);
            socklen_t l = sizeof e;
            e = 0;
            if (r == 0) e = ETIMEDOUT;
            else if (r < 0) e = errno;
            else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &l)) e = errno;
        }
        if (e) { close(fd); fd = -1; }
    }
    freeaddrinfo(res);
    if (fd < 0) {
        if (e == ECONNREFUSED) return cdi_fail(err, CD_E_IO, "certdeckd at %s: connection refused", t->hostport);
        if (e == ETIMEDOUT)
            return cdi_fail(err, CD_E_IO, "certdeckd at %s: timed out after %g s while connecting", t->hostport,
                            (double)t->connect_timeout_ms / 1000);
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: cannot connect: %s", t->hostport, strerror(e));
    }
    /* blocking from here, bounded by the handshake timeout and these */
    int fl = fcntl(fd, F_GETFL);
    if (fl >= 0) fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
    struct timeval tv = { .tv_sec = t->connect_timeout_ms / 1000, .tv_usec = (t->connect_timeout_ms % 1000) * 1000 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    *out = fd;
    return CD_OK;
}

static int probe(const struct cdi_trust *t, struct chain *out, struct cd_err *err)
{
    gnutls_certificate_credentials_t cred = NULL;
    gnutls_session_t ses = NULL;
    int fd = -1, rc, r;
    char *bare = bare_host(t->host);
    if (!bare) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    if ((rc = tcp_connect(t, bare, &fd, err))) goto out;
    rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (gnutls_certificate_allocate_credentials(&cred) < 0) goto out;
    /* a server that asks for a client certificate (the agent port) may end
     * a handshake without one before its chain is known */
    if (t->client_cert && t->client_key)
        (void)gnutls_certificate_set_x509_key_file(cred, t->client_cert, t->client_key, GNUTLS_X509_FMT_PEM);
    if (gnutls_init(&ses, GNUTLS_CLIENT | GNUTLS_NO_SIGNAL) < 0) goto out;
    if (gnutls_set_default_priority(ses) < 0 || gnutls_credentials_set(ses, GNUTLS_CRD_CERTIFICATE, cred) < 0)
        goto out;
    if (!is_ip(bare)) gnutls_server_name_set(ses, GNUTLS_NAME_DNS, bare, strlen(bare));
    gnutls_transport_set_int(ses, fd);
    gnutls_handshake_set_timeout(ses, (unsigned)t->connect_timeout_ms);
    do r = gnutls_handshake(ses);
    while (r < 0 && !gnutls_error_is_fatal(r));
    unsigned n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(ses, &n);
    if (!peers || !n) {
        if (r == GNUTLS_E_TIMEDOUT || r == GNUTLS_E_PULL_ERROR)
            rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: timed out after %g s in the TLS handshake", t->hostport,
                          (double)t->connect_timeout_ms / 1000);
        else if (r < 0)
            rc = cdi_fail(err, CD_E_IO, "certdeckd at %s: TLS handshake failed: %s", t->hostport, gnutls_strerror(r));
        else
            rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: the server sent no certificate", t->hostport);
        goto out;
    }
    if (!(out->der = calloc(n, sizeof *out->der))) goto out;
    for (unsigned i = 0; i < n; i++, out->n++) {
        out->der[i].data = gnutls_malloc(peers[i].size);
        if (!out->der[i].data) { chain_clear(out); goto out; }
        memcpy(out->der[i].data, peers[i].data, peers[i].size);
        out->der[i].size = peers[i].size;
    }
    if (r >= 0) gnutls_bye(ses, GNUTLS_SHUT_WR);
    rc = CD_OK;
out:
    if (ses) gnutls_deinit(ses);
    if (cred) gnutls_certificate_free_credentials(cred);
    if (fd >= 0) close(fd);
    free(bare);
    return rc;
}

/* ---- CA files ----------------------------------------------------------- */

/* The first certificate of a PEM file: its SHA-256 fingerprint.  CD_E_IO when
 * unreadable, CD_E_CRYPTO when it holds none. */
static int ca_file_first(const struct cdi_trust *t, const char *path, const char *what, char fp[FP_LEN],
                         struct cd_err *err)
{
    gnutls_datum_t pem = { NULL, 0 }, der = { NULL, 0 };
    int rc = CD_OK, fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: cannot read %s %s: %s", t->hostport, what, path, strerror(errno));
    close(fd);
    if (gnutls_load_file(path, &pem) < 0)
        return cdi_fail(err, CD_E_IO, "certdeckd at %s: cannot read %s %s", t->hostport, what, path);
    gnutls_x509_crt_t crt = NULL;
    if (gnutls_x509_crt_init(&crt) < 0 || gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) < 0)
        rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: %s %s holds no PEM certificate", t->hostport, what, path);
    else
        fingerprint(&der, fp);
    if (crt) gnutls_x509_crt_deinit(crt);
    gnutls_free(der.data);
    gnutls_free(pem.data);
    return rc;
}

/* mkdir -p, each folder made 0700 (it holds whom this user trusts). */
int cdi_mkdirs(const char *dir)
{
    char *p = strdup(dir);
    if (!p) return -1;
    int rc = 0;
    for (char *s = p + 1; ; s++) {
        if (*s != '/' && *s) continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0700) && errno != EEXIST) { rc = -1; break; }
        *s = c;
        if (!c) break;
    }
    free(p);
    return rc;
}

char *cdi_trust_known_path(const char *hostport)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    char *base = xdg && xdg[0] == '/' ? cdi_printf("%s", xdg)
               : home && home[0] == '/' ? cdi_printf("%s/.config", home) : NULL;
    if (!base) return NULL;
    /* HOST:PORT as a file name: letters, digits, '.' and '-' kept (host
     * names are case-blind), the rest '_' ("[::1]:8443" -> "___1__8443") */
    char *name = strdup(hostport);
    for (char *c = name; c && *c; c++) {
        if (*c >= 'A' && *c <= 'Z') *c = (char)(*c - 'A' + 'a');
        else if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '-')) *c = '_';
    }
    char *path = name ? cdi_printf("%s/certdeck/known/%s.pem", base, name) : NULL;
    free(name);
    free(base);
    return path;
}

/* The remembered CA decides whom this user trusts: its folders (below
 * $XDG_CONFIG_HOME) and the file itself must be this user's alone, as the
 * mirror's remembered signers are (mirror_local.c); make: create the
 * folders first. */
static int known_safe(const struct cdi_trust *t, const char *known, int make, struct cd_err *err)
{
    const char *k = strstr(known, "/certdeck/known/"), *slash = strrchr(known, '/');
    char *dir = strndup(known, (size_t)(slash - known));
    if (!dir) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    size_t base = k ? (size_t)(k - known) : 0;
    const char *what = "the CAs remembered for certdeckd servers";
    int rc = make ? cdi_own_dirs(dir, base, what, "XDG_CONFIG_HOME", err)
                  : cdi_check_dirs(dir, base, what, "XDG_CONFIG_HOME", err);
    free(dir);
    struct stat st;
    if (!rc && !make && (lstat(known, &st) || !cdi_file_ours(&st)))
        rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: the remembered CA file %s is not a file of yours that only "
                      "you may write (a link, or another's, or writable by others): remove it", t->hostport, known);
    return rc;
}

/* Trust on first use: probe, show the CA to trust(), remember it. */
static int first_use(struct cdi_trust *t, const struct cdi_http_opts *o, const char *known, struct cd_err *err)
{
    struct chain ch = { 0, NULL };
    char fp[FP_LEN], *subject = NULL;
    gnutls_datum_t pem = { NULL, 0 };
    int rc = probe(t, &ch, err);
    if (rc) return rc;
    /* the CA is the last certificate sent (certdeckd sends leaf, then its
     * self-signed CA); a lone leaf stands for itself */
    const gnutls_datum_t *ca = &ch.der[ch.n - 1];
    fingerprint(ca, fp);
    if (!(subject = subject_of(ca))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if (o->trust(o->trust_ctx, t->hostport, subject, fp) != 1) {
        rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: not trusted: its CA (SHA-256 %s) was not accepted",
                      t->hostport, fp);
        goto out;
    }
    if (gnutls_pem_base64_encode2("CERTIFICATE", ca, &pem) < 0) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    if ((rc = known_safe(t, known, 1, err))) goto out;
    if ((rc = cd_write_file(NULL, known, pem.data, pem.size, 0, err))) goto out;
    if (!(t->cafile = strdup(known))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
out:
    gnutls_free(pem.data);
    free(subject);
    chain_clear(&ch);
    return rc;
}

/* A client certificate and key that GnuTLS cannot load as a pair (unreadable,
 * not PEM, a key of another certificate) are named here, before the TLS
 * library reports them as a failed handshake. */
static int client_usable(const struct cdi_trust *t, struct cd_err *err)
{
    gnutls_certificate_credentials_t cred;
    if (gnutls_certificate_allocate_credentials(&cred) < 0) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int r = gnutls_certificate_set_x509_key_file(cred, t->client_cert, t->client_key, GNUTLS_X509_FMT_PEM);
    gnutls_certificate_free_credentials(cred);
    if (r >= 0) return CD_OK;
    return cdi_fail(err, r == GNUTLS_E_FILE_ERROR ? CD_E_IO : CD_E_CRYPTO, "certdeckd at %s: cannot use the client "
                    "certificate %s with the key %s: %s", t->hostport, t->client_cert, t->client_key, gnutls_strerror(r));
}

int cdi_trust_settle(struct cdi_trust *t, const struct cdi_http_opts *o, struct cd_err *err)
{
    char fp[FP_LEN];
    int rc;
    if (t->client_cert && (rc = client_usable(t, err))) return rc;
    if (o->cacert) {
        if ((rc = ca_file_first(t, o->cacert, "the CA file", fp, err))) return rc;
        return (t->cafile = strdup(o->cacert)) ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
    }
    char *known = cdi_trust_known_path(t->hostport);
    struct stat st;
    if (known && lstat(known, &st) == 0) {
        if ((rc = known_safe(t, known, 0, err))) {
            free(known);
            return rc;
        }
        if ((rc = ca_file_first(t, known, "the remembered CA file", fp, err))) {
            if (rc == CD_E_CRYPTO)
                rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: the remembered CA file %s is damaged: remove it",
                              t->hostport, known);
            free(known);
            return rc;
        }
        t->cafile = known;
        t->remembered = 1;
        return CD_OK;
    }
    if (!o->trust || !known) {
        free(known);
        return cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: the server is not trusted yet: give --cacert FILE "
                        "(the CA that issued its certificate: certdeck ca export 1 on the server's store)", t->hostport);
    }
    rc = first_use(t, o, known, err);
    free(known);
    return rc;
}

/* Verifies ch against the CA file (and the host name): GnuTLS's status bits. */
static int verify(const struct cdi_trust *t, const struct chain *ch, unsigned *status, struct cd_err *err)
{
    gnutls_x509_trust_list_t tl = NULL;
    gnutls_x509_crt_t *crts = calloc(ch->n, sizeof *crts);
    char *bare = bare_host(t->host);
    int rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    size_t n = 0;
    if (!crts || !bare || gnutls_x509_trust_list_init(&tl, 0) < 0) goto out;
    if (gnutls_x509_trust_list_add_trust_file(tl, t->cafile, NULL, GNUTLS_X509_FMT_PEM, 0, 0) <= 0) {
        rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: the CA file %s holds no usable certificate", t->hostport,
                      t->cafile);
        goto out;
    }
    for (; n < ch->n; n++)
        if (gnutls_x509_crt_init(&crts[n]) < 0 || gnutls_x509_crt_import(crts[n], &ch->der[n], GNUTLS_X509_FMT_DER) < 0) {
            if (crts[n]) gnutls_x509_crt_deinit(crts[n]);
            rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: the server sent a certificate that cannot be read",
                          t->hostport);
            goto out;
        }
    gnutls_typed_vdata_st vd = { .type = GNUTLS_DT_DNS_HOSTNAME, .data = (unsigned char *)bare, .size = 0 };
    if (gnutls_x509_trust_list_verify_crt2(tl, crts, (unsigned)n, &vd, 1, 0, status, NULL) < 0) {
        rc = cdi_fail(err, CD_E_CRYPTO, "certdeckd at %s: its certificate chain cannot be checked", t->hostport);
        goto out;
    }
    rc = CD_OK;
out:
    for (size_t i = 0; i < n; i++) gnutls_x509_crt_deinit(crts[i]);
    free(crts);
    free(bare);
    if (tl) gnutls_x509_trust_list_deinit(tl, 1);
    return rc;
}

int cdi_trust_explain(const struct cdi_trust *t, const char *detail, struct cd_err *err)
{
    struct chain ch = { 0, NULL };
    char now_fp[FP_LEN], old_fp[FP_LEN], when[20];
    unsigned status = 0;
    int rc = probe(t, &ch, err);
    if (rc) return rc;
    if ((rc = verify(t, &ch, &status, err))) goto out;
    rc = CD_E_CRYPTO;
    fingerprint(&ch.der[ch.n - 1], now_fp);
    if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_CA |
                  GNUTLS_CERT_INVALID) &&
        !(status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED | GNUTLS_CERT_UNEXPECTED_OWNER)) &&
        t->remembered) {
        struct stat st;
        struct cd_err e2 = { 0 };
        if (ca_file_first(t, t->cafile, "the remembered CA file", old_fp, &e2)) snprintf(old_fp, sizeof old_fp, "?");
        cdi_fmt_time(stat(t->cafile, &st) ? 0 : (int64_t)st.st_mtime, when, sizeof when);
        cdi_fail(err, rc, "certdeckd at %s: its certificate has CHANGED and is not signed by the CA trusted on "
                 "%s (SHA-256 %s); now CA SHA-256 %s: if this is expected, remove %s",
                 t->hostport, when, old_fp, now_fp, t->cafile);
    } else if (status & GNUTLS_CERT_EXPIRED) {
        cdi_fail(err, rc, "certdeckd at %s: TLS: the server's certificate has expired", t->hostport);
    } else if (status & GNUTLS_CERT_NOT_ACTIVATED) {
        cdi_fail(err, rc, "certdeckd at %s: TLS: the server's certificate is not valid yet", t->hostport);
    } else if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNATURE_FAILURE | GNUTLS_CERT_SIGNER_NOT_CA)) {
        char *subject = subject_of(&ch.der[ch.n - 1]);
        cdi_fail(err, rc, "certdeckd at %s: TLS: the server's certificate is not trusted: not issued by the CA in %s "
                 "(the server's CA: %.120s, SHA-256 %s)", t->hostport, t->cafile, subject ? subject : "?", now_fp);
        free(subject);
    } else if (status & GNUTLS_CERT_UNEXPECTED_OWNER) {
        cdi_fail(err, rc, "certdeckd at %s: TLS: the server's certificate does not match %s", t->hostport, t->host);
    } else if (status) {
        gnutls_datum_t txt = { NULL, 0 };
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt, 0);
        cdi_fail(err, rc, "certdeckd at %s: TLS: %.200s", t->hostport, txt.data ? (char *)txt.data : "not trusted");
        gnutls_free(txt.data);
    } else {
        cdi_fail(err, rc, "certdeckd at %s: TLS: the server's certificate was refused: %.200s", t->hostport,
                 detail && *detail ? detail : "verification failed");
    }
out:
    chain_clear(&ch);
    return rc;
}

void cdi_trust_clear(struct cdi_trust *t)
{
    free(t->cafile);
    t->cafile = NULL;
    t->remembered = 0;
}
