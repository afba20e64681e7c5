/* certdeck core — what the console API's files share (api.c routes and
 * answers; api_certs.c and api_misc.c hold the handlers).
 *
 * A route is (method, pattern, handler, argument table): the dispatcher
 * matches the path, decodes the arguments (the query string of a GET or
 * DELETE, the JSON body of a POST or PUT) strictly through the table into a
 * zeroed struct of the handler's own, and the handler makes one core call
 * and fills c->out.  So no handler parses text, and an unknown field is
 * refused before any handler runs. */
#ifndef CERTDECK_API_INT_H
#define CERTDECK_API_INT_H

#include "json_int.h"

struct api_ctx {
    cd_store      *s;
    const cd_user *u;
    int64_t        id;       /* the {id} of the path; 0 when it has none */
    json_t        *out;      /* the answer, set by the handler (NULL: {}) */
    int            created;  /* 1: 201 Created */
    int            secret;   /* 1: the answer carries key material (wiped after) */
    struct cd_err  err;
};

typedef int (*api_fn)(struct api_ctx *c, void *args);

struct api_route {
    const char *method;
    const char *pattern;                  /* "/certs/{id}/export", under /api/v1 */
    api_fn      fn;
    const struct cdi_jfield *args;        /* NULL: takes none */
    size_t      args_size;
};

/* The handlers' tables, joined by api.c. */
extern const struct api_route api_cert_routes[], api_misc_routes[];
/* APN/ABM requests and external CSRs (api_request.c) */
extern const struct api_route api_request_routes[];
/* renew and CA rollover (api_renew.c) */
extern const struct api_route api_renew_routes[];
/* imports (api_import.c) */
extern const struct api_route api_import_routes[];

/* c->out = {"rows": [...]} for n rows of elsz bytes; CD_E_NOMEM. */
int api_rows(struct api_ctx *c, const struct cdi_jfield *t, const void *rows, size_t n, size_t elsz);
/* c->out = obj encoded by t. */
int api_obj(struct api_ctx *c, const struct cdi_jfield *t, const void *obj);
/* c->out = {key: v} (v an integer); with created 1 the answer is 201. */
int api_int(struct api_ctx *c, const char *key, int64_t v, int created);
/* c->out = o (taken), or CD_E_NOMEM when NULL. */
int api_out(struct api_ctx *c, json_t *o);

/* Most routes: one name (or path) in the query or the body. */
struct api_name { const char *name; };
extern const struct cdi_jfield api_t_name[], api_t_path[];

#endif
