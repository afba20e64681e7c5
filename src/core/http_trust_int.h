/* certdeck core — whom the HTTPS client trusts (http_trust.c), kept apart
 * from the transfer itself (http.c) because it speaks TLS on its own: a
 * raw GnuTLS handshake that only looks at the certificates a server sends,
 * for trust on first use and for explaining a verification failure.  It
 * never decides that a server is trusted: curl verifies every request
 * against the CA file settled here, with verification always on. */
#ifndef CERTDECK_HTTP_TRUST_INT_H
#define CERTDECK_HTTP_TRUST_INT_H

#include "http_int.h"

struct cdi_trust {
    /* in: the server and how to reach it */
    const char *host;          /* as in the URL; an IPv6 literal in brackets */
    const char *port;
    const char *hostport;      /* "HOST:PORT" for messages */
    const char *client_cert, *client_key;
    long        connect_timeout_ms;
    /* out */
    char       *cafile;        /* the CA file every request verifies against */
    int         remembered;    /* 1: cafile is the CA remembered for HOST:PORT */
};

/* Settles trust (see struct cdi_http_opts): the given CA file, else the CA
 * remembered for HOST:PORT, else trust on first use through o->trust.
 * CD_E_CRYPTO when the server is not trusted; CD_E_IO when a probe could
 * not reach it. */
int  cdi_trust_settle(struct cdi_trust *t, const struct cdi_http_opts *o, struct cd_err *err);
/* After the TLS library refused the server: looks at what it sends now and
 * fills err with why (certificate CHANGED since it was remembered, not
 * signed by the CA file, not for HOST, expired); `detail` is the TLS
 * library's own text, used when nothing better is known.  Returns the
 * status to give (CD_E_CRYPTO, or CD_E_IO when the probe fails). */
int  cdi_trust_explain(const struct cdi_trust *t, const char *detail, struct cd_err *err);
void cdi_trust_clear(struct cdi_trust *t);

/* The file a CA for hostport is remembered in:
 * $XDG_CONFIG_HOME/certdeck/known/HOST_PORT.pem (else ~/.config/...).
 * Caller frees; NULL without a home. */
char *cdi_trust_known_path(const char *hostport);

#endif
