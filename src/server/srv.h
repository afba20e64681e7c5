/* certdeckd — what the server's files share.  The server is a thin HTTP
 * layer over the core: configuration (conf.c), one store handle per thread
 * (stores.c), the console API's logins (auth.c), the two libmicrohttpd
 * daemons and request plumbing (http.c), the agent check-in and its
 * batched records (agent.c), the request log (log.c), main() (main.c).
 * Only <certdeck/...> of the core; libmicrohttpd, GnuTLS and jansson are
 * the server's own business. */
#ifndef CERTDECKD_SRV_H
#define CERTDECKD_SRV_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <certdeck/certdeck.h>
#include <certdeck/api.h>
#include <certdeck/server.h>

struct MHD_Connection;
struct MHD_Daemon;

/* ---- configuration (conf.c) ------------------------------------------- */

struct srv_addr {
    struct sockaddr_storage ss;
    socklen_t len;
    char host[256];            /* as given, IPv6 in brackets: "[::1]" */
    unsigned port;             /* as given; the bound port is asked of the daemon */
};

struct srv_conf {
    char    *store, *listen, *agent_listen, *config;
    int64_t  tls_cert;         /* 0 = the installation's server certificate */
    unsigned threads;          /* 0 = max(4, 2 x cores) */
    unsigned connection_limit, per_ip_limit, timeout;
};

/* argv, then the config file (--config) for what argv left unset, then the
 * defaults.  2 on a usage error (message printed), -1 when --help was
 * printed, 0 otherwise. */
int  conf_load(struct srv_conf *c, int argc, char **argv);
void conf_free(struct srv_conf *c);
/* "HOST:PORT" or "[V6]:PORT" into a socket address; message into err. */
int  conf_addr(const char *spec, struct srv_addr *a, char *err, size_t errlen);

/* ---- the server -------------------------------------------------------- */

enum srv_port { SRV_API, SRV_AGENT };

struct srv;
struct srv_listener {
    struct srv        *sv;
    int                port_kind;      /* enum srv_port */
    struct MHD_Daemon *d;
    struct srv_addr    addr;
    char               url[300];       /* https://HOST:PORT once bound */
};

struct srv {
    struct srv_conf     conf;
    struct srv_listener api, agent;
    char               *trust_pem;     /* every CA of the store (agent port) */
};

/* ---- one store handle per thread (stores.c) --------------------------- */

/* The calling thread's own handle on the server's store, opened on first
 * use; NULL (err set) when it cannot be opened.  Never shared. */
cd_store *srv_store(const struct srv *sv, struct cd_err *err);
/* Fills err with the default text of code; returns code. */
int srv_err(struct cd_err *err, int code);
/* Closes every handle opened; only once no thread uses one. */
void srv_stores_close(void);

/* ---- console API logins (auth.c) --------------------------------------- */

struct auth_entry;
int  auth_init(void);
/* The logged-in user for name + password: from the cache (60 s) or through
 * cd_user_login on s.  Failures are never cached; they are counted per
 * client network (net: an IPv4 address, or an IPv6 /64), and past
 * AUTH_FAIL_MAX in a minute a login from there is refused with CD_E_BUSY
 * before it costs a PBKDF2 (remembered logins still pass).  Release with
 * auth_put. */
int  auth_get(cd_store *s, const char *name, const char *password, const unsigned char *net, size_t netlen,
              struct auth_entry **out, struct cd_err *err);
const cd_user *auth_user(const struct auth_entry *e);
void auth_put(struct auth_entry *e);
/* Forgets every cached login (after a change to users or permission sets). */
void auth_flush(void);
void auth_free(void);

/* ---- requests (http.c) ------------------------------------------------- */

struct srv_req {
    char     *uri;           /* raw, as the client sent it */
    char     *method;
    char      peer[64];
    unsigned char net[8];    /* the peer's IPv4 address or IPv6 /64 */
    size_t    netlen;
    char     *who;           /* user name, "agent NAME", or NULL */
    int       kind;          /* enum srv_port */
    int       started;       /* the access handler has seen the headers */
    int       status;
    size_t    bytes;
    char     *body;          /* the request body gathered so far */
    size_t    len, cap;
    int64_t   t0_us;         /* monotonic start */
};

int  srv_start(struct srv *sv, const char *chain_pem, const char *key_pem);
/* Stops accepting, lets in-flight requests finish (bounded), stops both. */
void srv_stop(struct srv *sv);
/* The path part of the raw URI: its length (up to '?' or the end). */
size_t srv_path_len(const char *uri);
/* Queues status with body (malloc'd, taken over; NULL when len is 0). */
int  srv_respond(struct MHD_Connection *c, struct srv_req *r, int status, char *body, size_t len,
                 const char *ctype);
/* An error in the API's one shape {"error": msg, "status": cd_status}. */
int  srv_error(struct MHD_Connection *c, struct srv_req *r, int http_status, int cd_status,
               const char *msg);
int64_t srv_now_us(void);

/* ---- agents (agent.c) --------------------------------------------------- */

int  agent_start(struct srv *sv);
/* Flushes what is queued and stops the flusher (after the daemons stop). */
void agent_stop(void);
int  agent_checkin(struct srv *sv, struct MHD_Connection *c, struct srv_req *r);

/* ---- logging (log.c) --------------------------------------------------- */

void log_request(const struct srv_req *r);
/* "certdeckd: " + message (sanitised) on stderr, one line. */
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
