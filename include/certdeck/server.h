/* certdeck — what certdeckd needs from the core besides the store API:
 * the agents' check-in (client certificate, client password, the
 * "unauthenticated clients" switch), certificate usage, the current CRL of
 * each CA, and the server's own TLS certificate.
 *
 * The check-in is split in two so that a busy server does not write one
 * transaction per agent: cd_checkin_verify decides (reads only), and the
 * server hands batches of what happened to cd_checkin_record, which writes
 * usage rows and audit records in one transaction. */
#ifndef CERTDECK_SERVER_H
#define CERTDECK_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <certdeck/error.h>

typedef struct cd_store cd_store;
typedef struct cd_user  cd_user;

/* ---- client settings (the model product's client password) --------------- */

struct cd_client_settings {
    int     has_password;      /* agents must send the client password */
    int     unauthenticated;   /* "Enable unauthenticated access for clients" */
    int64_t unauth_since;      /* when it was turned on (0: off) */
};

/* Anyone logged in may read them (the console warns every user). */
int cd_client_settings_get(cd_store *s, const cd_user *u, struct cd_client_settings *out,
                           struct cd_err *err);
/* Changes the client password: old_pw must match the current one ("" or
 * NULL when none is set yet; CD_E_PASSPHRASE when wrong); new_pw "" or NULL
 * removes it.  Stored as a PBKDF2 hash.  Administrators only
 * (CD_ACT_SERVER_SETTINGS); audited. */
int cd_client_password_set(cd_store *s, const cd_user *u, const char *old_pw, const char *new_pw,
                           struct cd_err *err);
/* Turns the unauthenticated-clients switch on (1) or off (0); audited. */
int cd_client_unauth_set(cd_store *s, const cd_user *u, int on, struct cd_err *err);

/* ---- usage ----------------------------------------------------------------- */

/* Clients seen within this many days count as "still using" a certificate
 * (cd_cert_usage_count; revoking such a one needs a confirmation). */
#define CD_USAGE_RECENT_DAYS 30

struct cd_usage {
    int64_t id, cert_id;
    char   *client, *address;      /* as the agent sent them (unsanitised) */
    int64_t first_seen, last_seen;
};
struct cd_usage_list { size_t n; struct cd_usage *rows; };

/* Every client that presented certificate id at check-in, newest first;
 * needs Read on the certificate. */
int  cd_cert_usage(cd_store *s, const cd_user *u, int64_t id, struct cd_usage_list *out,
                   struct cd_err *err);
void cd_usage_list_free(struct cd_usage_list *l);

/* ---- agent check-in (certdeckd's agent port, local store only) ------------- */

struct cd_checkin_req {
    const unsigned char *cert_der;  /* the client certificate the TLS handshake showed */
    size_t      cert_len;
    const char *name;               /* the client's name, as sent */
    const char *address;            /* the peer address, "127.0.0.1" */
    const char *password;           /* the client password as sent; NULL when none */
    int64_t     now;                /* 0 = now (tests inject a clock) */
};

struct cd_checkin_result {
    int     accepted;
    int     unauthenticated;        /* let in without the password, by the switch */
    int64_t cert_id;                /* the store's certificate; 0 when not one of ours */
    char    fingerprint[65];        /* SHA-256 of the client certificate, hex */
    char    reason[256];            /* why refused ("certificate revoked", ...) */
};

/* Decides a check-in: the certificate must chain to one of the store's CAs
 * (signature checked), be within its validity at `now`, be a certificate of
 * the store, not revoked; and the password must match when one is set
 * (unless the switch is on).  Reads only; a refusal is a result (accepted
 * 0, reason set), not an error.  A verified password is remembered in
 * memory (its SHA-256 under the stored hash) so the 600,000-iteration
 * PBKDF2 is paid once, not per check-in. */
int cd_checkin_verify(cd_store *s, const struct cd_checkin_req *rq, struct cd_checkin_result *out,
                      struct cd_err *err);

/* What happened at one check-in, for cd_checkin_record. */
struct cd_checkin_event {
    int64_t     time;
    int64_t     cert_id;
    const char *name, *address, *fingerprint, *reason;
    int         accepted, unauthenticated;
};
/* Writes a batch in one transaction: usage (client, address, first and
 * last seen) for accepted ones; an audit record (user "agent NAME") for
 * every refusal and every unauthenticated acceptance. */
int cd_checkin_record(cd_store *s, const struct cd_checkin_event *ev, size_t n, struct cd_err *err);

/* ---- CRLs as served ----------------------------------------------------------- */

struct cd_crl_info { int64_t ca_id, number, this_update, next_update; };

/* The current CRL of a CA, DER, as last signed: when a certificate of the
 * CA is revoked (CAs without a passphrase), or when the operator last ran
 * cd_crl.  A CA without a stored CRL and without a passphrase gets one
 * signed now.  No user: CRLs are public.  CD_E_NOTFOUND for no such CA, or
 * one whose key has a passphrase and no CRL signed yet. */
int cd_crl_current(cd_store *s, int64_t ca_id, unsigned char **der, size_t *len,
                   struct cd_crl_info *info, struct cd_err *err);
/* Every CA that has (or can sign) a current CRL. *out caller-owned (free). */
int cd_crl_index(cd_store *s, struct cd_crl_info **out, size_t *n, struct cd_err *err);

/* ---- the server's TLS identity ------------------------------------------------ */

/* The certificate chain (leaf, then its CA; PEM) and the decrypted private
 * key (PEM) of a server certificate: cert_id, or 0 for the installation's
 * "Server certificate" (the first valid one of product server).  Local
 * store, acting as its owner (the key is read with the store key).  Both
 * caller-owned; wipe and free the key. */
int cd_server_tls(cd_store *s, int64_t cert_id, char **chain_pem, char **key_pem, struct cd_err *err);
/* Every CA certificate of the store, PEM, concatenated (the agent port's
 * list of acceptable client CAs).  Caller frees. */
int cd_trust_pem(cd_store *s, char **pem, struct cd_err *err);

/* ---- the mirror agents are told of (certdeck/mirror.h has the settings) ----- */

/* The mirror's address and credentials as handed out at check-in, password
 * in clear.  Every field NULL when no mirror is set; user and password
 * NULL when none. */
struct cd_mirror_secret { char *url, *user, *password; };
/* The server's side (certdeckd, local store only, no user: it acts for the
 * store, as for a check-in): the settings with the password decrypted.
 * Cheap enough for every check-in: one cached statement, and the password
 * decrypted again only when it changed.  The caller clears *out
 * (cd_mirror_secret_clear wipes the password). */
int  cd_mirror_settings_secret(cd_store *s, struct cd_mirror_secret *out, struct cd_err *err);
/* Wipes the password, frees the strings, zeroes *m. */
void cd_mirror_secret_clear(struct cd_mirror_secret *m);

/* ---- the agent's side: one check-in (certdeck agent checkin) ----------------
 * POST /agent/v1/checkin on certdeckd's agent port, TLS with the client
 * certificate, body {"name": NAME[, "password": P]}.  The answer (JSON):
 * {"accepted": true, "certificate": ID, "unauthenticated": false,
 *  "crls": [{"ca": ID, "number": N, "url": "https://HOST:PORT/crl/ID.crl"}, ...],
 *  "mirror": {"url": "https://mirror.example.org/pki", "user": "agents", "password": "..."}}
 * "mirror" only when the store has one set (cd_mirror_settings_set), its
 * "user" and "password" only when set: the model product handed clients
 * the mirror's credentials at check-in, over this mutual-TLS port only.
 * Refused: HTTP 403 {"accepted": false, "error": "certificate revoked"}. */

struct cd_agent_opts {
    const char *server;          /* "https://HOST:PORT" (the agent port) */
    const char *cacert;          /* PEM: the CA that issued certdeckd's certificate (required) */
    const char *cert_file;       /* PEM client certificate */
    const char *key_file;        /* PEM private key, unencrypted */
    const char *name;            /* the client's name */
    const char *password;        /* client password, or NULL */
    long        timeout_ms;      /* 0 = 30 s */
};
struct cd_agent_answer {
    int   accepted;
    long  http_status;
    char  message[512];          /* the server's reason when refused (unsanitised) */
    char *json;                  /* the whole answer body, caller frees */
};
/* CD_OK when the server answered (accepted or not: see out->accepted);
 * CD_E_IO and one clear message when it could not be reached. */
int cd_agent_checkin(const struct cd_agent_opts *o, struct cd_agent_answer *out, struct cd_err *err);
/* What an accepted answer carried about the mirror: CD_OK and *out filled
 * (caller clears), CD_E_NOTFOUND when it named none, CD_E_IO when its
 * "mirror" is not what certdeckd sends (not an object of strings, a URL
 * that is not http(s)). */
int  cd_agent_answer_mirror(const struct cd_agent_answer *a, struct cd_mirror_secret *out, struct cd_err *err);
/* Writes m as {"url": ..., "user": ..., "password": ...} (absent ones left
 * out) to path through cd_write_file: mode 0600, replaced whole. */
int  cd_mirror_secret_save(const struct cd_mirror_secret *m, const char *path, struct cd_err *err);

#endif
