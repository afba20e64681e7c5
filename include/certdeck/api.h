/* certdeck — the console API: the store API as JSON over HTTP.
 *
 * certdeckd serves it; the https store backend (store string https://...)
 * speaks it.  The request -> core call -> response mapping lives here in the
 * core, once, so the server stays a thin HTTP layer (TLS, Basic auth,
 * limits, logging) and the mapping can be tested without a network: the
 * unit tests run the https backend against cd_api_handle in-process.
 * Every route and its JSON are in doc/api.md. */
#ifndef CERTDECK_API_H
#define CERTDECK_API_H

#include <stddef.h>
#include <stdint.h>
#include <certdeck/error.h>

typedef struct cd_store cd_store;
typedef struct cd_user  cd_user;

/* Largest request body the API takes (413 past it). */
#define CD_API_MAX_BODY (1024 * 1024)

struct cd_api_request {
    const char *method;       /* "GET", "POST", "PUT", "DELETE" */
    const char *path;         /* "/api/v1/certs/12", percent-decoded by the caller? no: raw */
    const char *query;        /* raw query string without '?', NULL when none */
    const char *body;         /* request body (JSON), NULL when none */
    size_t      body_len;
};

struct cd_api_response {
    int   status;             /* HTTP status: 200, 201, 400, 401, 403, 404, 409, 413, 500 */
    char *body;               /* malloc'd; JSON unless content_type says otherwise */
    size_t len;
    const char *content_type; /* static string */
};

/* Answers one request of the console API as the logged-in user u (every
 * core check applies: permissions, Forbidden audit records, read-only).
 * Invalid JSON, invalid UTF-8 and unknown fields are 400 with nothing
 * changed.  Errors are {"error": "message", "status": N} where N is the
 * core status (enum cd_status), so a client can give back the same status
 * and message as a local store would.  Always fills rs (free with
 * cd_api_response_free); returns the core status of the call (CD_OK on
 * success). */
int  cd_api_handle(cd_store *s, const cd_user *u, const struct cd_api_request *rq,
                   struct cd_api_response *rs);
void cd_api_response_free(struct cd_api_response *rs);

/* The HTTP status for a core status (CD_E_NOTFOUND -> 404, ...). */
int  cd_api_http_status(int cd_status);
/* Fills rs with {"error": msg, "status": cd_status} and the fitting HTTP
 * status (or http_status when non-zero): for the server's own refusals
 * (401 no credentials, 413 too large) in the API's one error shape. */
void cd_api_error(struct cd_api_response *rs, int http_status, int cd_status, const char *msg);

#endif
