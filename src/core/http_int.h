/* certdeck core — one HTTPS client connection (libcurl), shared by the
 * remote backends (store_https.c; later the mirror) and the agent check-in
 * client (cd_agent_checkin).  One reused curl handle with keep-alive.
 *
 * Security rules held here, once: TLS verification is never turned off
 * (CURLOPT_SSL_VERIFYPEER stays 1); a CA file is set with CURLOPT_CAPATH
 * NULL; credentials never follow a redirect (CURLOPT_UNRESTRICTED_AUTH 0,
 * redirects limited to https, and not followed at all for the API);
 * connect and whole-request timeouts; a cap on every response body. */
#ifndef CERTDECK_HTTP_INT_H
#define CERTDECK_HTTP_INT_H

#include "core_int.h"

struct cdi_http;

struct cdi_http_opts {
    const char *base_url;          /* "https://HOST[:PORT]" (no path) */
    const char *cacert;            /* PEM file; NULL: remembered CA for HOST:PORT, else trust() */
    int       (*trust)(void *ctx, const char *hostport, const char *subject, const char *sha256);
    void       *trust_ctx;
    const char *client_cert;       /* PEM files of a client certificate and its key (agent), or NULL */
    const char *client_key;
    long        connect_timeout_ms;   /* 0 = 5000 */
    long        timeout_ms;           /* 0 = 60000 */
    size_t      max_body;             /* 0 = 256 MiB */
};

/* Prepares the connection (trust settled here: a remembered or given CA, or
 * trust on first use; CD_E_CRYPTO when the server's certificate changed or
 * was not trusted).  Nothing is sent but a TLS handshake. */
int  cdi_http_open(const struct cdi_http_opts *o, struct cdi_http **out, struct cd_err *err);
void cdi_http_close(struct cdi_http *h);
/* Basic credentials for every later request; user NULL: from ~/.netrc
 * (CURLOPT_NETRC optional).  Copies are wiped at close. */
int  cdi_http_set_auth(struct cdi_http *h, const char *user, const char *password, struct cd_err *err);
/* The whole-request timeout of the requests that follow, in ms (0 leaves
 * it); returns the one in force before.  For a request the server may work
 * on for long (a bulk issuance), set back afterwards. */
long cdi_http_timeout(struct cdi_http *h, long ms);
/* "HOST:PORT" as shown in messages ("certdeckd at HOST:PORT: ..."). */
const char *cdi_http_hostport(const struct cdi_http *h);

/* One request.  path_query: "/api/v1/certs?limit=50" (already
 * percent-encoded; cdi_http_escape helps).  body may be NULL.  On a
 * response of any status: CD_OK, *status set, resp filled (caller
 * cdi_buf_free).  A network failure or a body over the cap is CD_E_IO with
 * one clear message ("certdeckd at 127.0.0.1:8443: connection refused",
 * "... timed out after 60 s", "... answer larger than N bytes"). */
int  cdi_http_request(struct cdi_http *h, const char *method, const char *path_query,
                      const char *body, size_t len, long *status, struct cdi_buf *resp,
                      struct cd_err *err);
/* Percent-encodes s for a query value or a path segment; caller frees. */
char *cdi_http_escape(const char *s);

#endif
