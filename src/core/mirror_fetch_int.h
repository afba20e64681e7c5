/* certdeck core — the mirror's transfer layer (mirror_fetch.c): one source,
 * "https://HOST[:PORT]/PATH", "http://...", "file:///PATH" or a folder, from
 * which files are fetched by their path relative to the snapshot's root.
 * Kept apart from http.c (the certdeckd client): a mirror is any static web
 * server, over http:// too, with redirects handled here, and no trust on
 * first use of TLS certificates (the snapshot's signature is what is
 * trusted; TLS is verified against the system's CAs or --cacert).
 *
 * Security rules held here, once: credentials never go to another host,
 * port or scheme (redirects are followed by hand, at most 5; https to http
 * refused); basic auth over plain http only to loopback unless
 * insecure_auth; TLS verification always on; every body capped; the
 * password wiped at close and never in a message (URLs shown without
 * user info). */
#ifndef CERTDECK_MIRROR_FETCH_INT_H
#define CERTDECK_MIRROR_FETCH_INT_H

#include "mirror_int.h"

struct cdi_mfetch;

/* An HTTP validator pair of the pointer file (NULL when none). */
struct cdi_mcond { char *etag, *last_modified; };
void cdi_mcond_clear(struct cdi_mcond *c);

/* Prepares the source (nothing is sent yet).  CD_E_INVAL for a source that
 * is none of the forms above, or credentials in the URL; CD_E_FORBIDDEN
 * for basic auth over plain http to a host not on loopback without
 * o->insecure_auth; CD_E_NOTFOUND for a folder that is not there. */
int  cdi_mfetch_open(const char *src, const struct cd_mirror_opts *o, struct cdi_mfetch **out,
                     struct cd_err *err);
/* Wipes the credentials. */
void cdi_mfetch_close(struct cdi_mfetch *f);
/* The source as shown and remembered: the URL without user info and
 * without a trailing "/", or "file:///ABS/PATH" for a folder. */
const char *cdi_mfetch_source(const struct cdi_mfetch *f);
/* The folder of a local source, NULL for a web server. */
const char *cdi_mfetch_folder(const struct cdi_mfetch *f);
/* 1 when the last failure was the network's or the server's (connection
 * refused, DNS, timeout, a connection lost, 5xx): the mirror could not be
 * reached, as opposed to a refusal (401, 403, 404) or a bad body. */
int  cdi_mfetch_unreachable(const struct cdi_mfetch *f);
/* The last failure was a 401 (CD_E_LOGIN) answered to no credentials at
 * all: a front end may ask for them and try again. */
int  cdi_mfetch_wants_auth(const struct cdi_mfetch *f);

/* GETs rel (e.g. "current", "index-<hex>.json") into out (caller
 * cdi_buf_free; NUL-terminated), at most max bytes.  cond (may be NULL)
 * makes it conditional: a 304 sets *unchanged (may be NULL) and leaves out
 * empty.  got (may be NULL) receives the answer's validators.  Errors:
 * CD_E_LOGIN (401), CD_E_FORBIDDEN (403), CD_E_NOTFOUND (404), CD_E_IO
 * (anything else), each one message naming the mirror and the file. */
int  cdi_mfetch_mem(struct cdi_mfetch *f, const char *rel, size_t max, const struct cdi_mcond *cond,
                    int *unchanged, struct cdi_mcond *got, struct cdi_buf *out, struct cd_err *err);
/* GETs rel into the open file fd (written from its current offset),
 * hashing as it goes: *size and sha256 (lowercase hex) of what arrived.
 * The body is capped at max bytes (o->max_size; a Content-Length over it
 * is refused before reading); o->progress is called once a download has
 * lasted a second. */
int  cdi_mfetch_file(struct cdi_mfetch *f, const char *rel, int64_t max, int fd, char sha256[65], int64_t *size,
                     struct cd_err *err);

#endif
