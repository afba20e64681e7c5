/* certdeck core — the mirror agents are told of, in the sqlite backend
 * (certdeck/mirror.h cd_mirror_settings_*, certdeck/server.h
 * cd_mirror_settings_secret): three meta keys, the password sealed under the
 * store key the way private keys are (cdi_seal, AES-256-GCM), so the
 * database file alone does not give it away.
 *
 * Apart from sq_agent.c (the check-in's decision) because it is a setting of
 * its own with its own rules (what an address may be), and apart from the
 * publisher (sq_mirror.c): these keys are never part of a snapshot.
 *
 * certdeckd hands the settings out at every accepted check-in, so reading
 * them is one cached statement, and the password is unsealed again only
 * when its sealed text changes (a process-wide memory of the last one,
 * under a mutex: certdeckd's threads each have a handle of their own). */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include "sq_int.h"

#define K_URL  "mirror.agent.url"
#define K_USER "mirror.agent.user"
#define K_PW   "mirror.agent.password"   /* hex of nonce | ciphertext | tag */
/* binds the sealed password to its purpose: a sealed private key moved
 * into this key (or this one into a key's row) does not open */
#define PW_AAD "certdeck mirror.agent.password"

#define URL_MAX  2048
#define USER_MAX 255

/* ---- the rules ---------------------------------------------------------------- */

/* host[:port] or [v6][:port], the authority of an http(s) URL. */
static int check_authority(const char *a, size_t n, struct cd_err *err)
{
    char host[300];
    const char *port = NULL;
    size_t hl;
    if (memchr(a, '@', n))
        return cdi_fail(err, CD_E_INVAL, "the mirror URL must not hold a user or password (user:password@): "
                        "give them as the mirror's user and password, which are kept apart and encrypted");
    if (n && a[0] == '[') {
        const char *close = memchr(a, ']', n);
        if (!close) return cdi_fail(err, CD_E_INVAL, "the mirror URL's IPv6 address has no closing ]");
        hl = (size_t)(close - a - 1);
        if (hl >= sizeof host) return cdi_fail(err, CD_E_INVAL, "the mirror URL's host is too long");
        memcpy(host, a + 1, hl);
        host[hl] = 0;
        unsigned char ip[16];
        if (inet_pton(AF_INET6, host, ip) != 1)
            return cdi_fail(err, CD_E_INVAL, "the mirror URL's host [%s] is not an IPv6 address", host);
        if (close + 1 < a + n) {
            if (close[1] != ':') return cdi_fail(err, CD_E_INVAL, "the mirror URL has text after its IPv6 address");
            port = close + 2;
        }
    } else {
        const char *colon = memchr(a, ':', n);
        hl = colon ? (size_t)(colon - a) : n;
        if (!hl) return cdi_fail(err, CD_E_INVAL, "the mirror URL has no host (http://HOST/PATH or https://HOST/PATH)");
        if (hl >= sizeof host) return cdi_fail(err, CD_E_INVAL, "the mirror URL's host is too long");
        memcpy(host, a, hl);
        host[hl] = 0;
        /* one name, no wildcard: the host list's rule for a single entry */
        struct cd_err e = { 0 };
        if (strpbrk(host, "*,") || cdi_hosts_each(host, NULL, NULL, &e))
            return cdi_fail(err, CD_E_INVAL, "the mirror URL's host \"%s\" is not a DNS name or an IP address", host);
        if (colon) port = colon + 1;
    }
    if (port) {
        size_t pl = (size_t)(a + n - port);
        long v = 0;
        for (size_t i = 0; i < pl && v <= 65535; i++)
            v = port[i] >= '0' && port[i] <= '9' ? v * 10 + (port[i] - '0') : 70000;
        if (!pl || v < 1 || v > 65535)
            return cdi_fail(err, CD_E_INVAL, "the mirror URL's port must be a number from 1 to 65535");
    }
    return CD_OK;
}

static int check_url(const char *url, struct cd_err *err)
{
    int rc = cdi_check_text(err, "mirror URL", url, URL_MAX, 0);
    if (rc) return rc;
    for (const unsigned char *p = (const unsigned char *)url; *p; p++)
        if (*p <= ' ' || *p >= 0x7f || *p == '\\' || *p == '"')
            return cdi_fail(err, CD_E_INVAL, "the mirror URL holds %s at byte %zu; write it percent-encoded (%%20 for a "
                            "space)", *p == ' ' ? "a space" : "a character not allowed in a URL",
                            (size_t)(p - (const unsigned char *)url) + 1);
    size_t skip = !strncasecmp(url, "https://", 8) ? 8 : !strncasecmp(url, "http://", 7) ? 7 : 0;
    if (!skip) return cdi_fail(err, CD_E_INVAL, "the mirror URL must begin with http:// or https://");
    const char *a = url + skip;
    return check_authority(a, strcspn(a, "/?#"), err);
}

static int check_settings(const char *url, const char *user, const char *pw, struct cd_err *err)
{
    if (!url && (user || (pw && *pw)))
        return cdi_fail(err, CD_E_INVAL, "a mirror user or password needs the mirror's URL");
    if (!url) return CD_OK;
    int rc = check_url(url, err);
    if (!rc) rc = cdi_check_text(err, "mirror user", user, USER_MAX, 0);
    if (!rc && user && strchr(user, ':'))
        rc = cdi_fail(err, CD_E_INVAL, "the mirror user must not hold a colon (basic auth cannot carry one)");
    if (!rc && pw && *pw && !user) rc = cdi_fail(err, CD_E_INVAL, "a mirror password needs a mirror user");
    if (!rc && pw && *pw && cdi_check_text(NULL, "mirror password", pw, CD_SECRET_FILE_MAX, 1))
        /* the passphrase rule: agents receive it as JSON text */
        rc = cdi_fail(err, CD_E_INVAL, "a mirror password must be valid UTF-8 text of at most %d bytes",
                      CD_SECRET_FILE_MAX);
    return rc;
}

/* ---- sealing ------------------------------------------------------------------ */

static int seal_pw(struct sq *sq, const char *pw, char **hex, struct cd_err *err)
{
    gnutls_datum_t d = { 0 };
    *hex = NULL;
    int rc = sq_store_key(sq, err);
    if (!rc) rc = cdi_seal(sq->key, PW_AAD, strlen(PW_AAD), (const unsigned char *)pw, strlen(pw), &d, err);
    if (rc) return rc;
    if ((*hex = malloc(2 * (size_t)d.size + 1))) cdi_hex(d.data, d.size, *hex);
    gnutls_free(d.data);
    return *hex ? CD_OK : cdi_fail(err, CD_E_NOMEM, "out of memory");
}

static int unhex(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }

static int unseal_pw(struct sq *sq, const char *hex, char **pw, struct cd_err *err)
{
    size_t n = strlen(hex) / 2;
    gnutls_datum_t plain = { 0 };
    unsigned char *bin = malloc(n ? n : 1);
    *pw = NULL;
    if (!bin) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    int rc = CD_OK;
    for (size_t i = 0; i < n && !rc; i++) {
        int hi = unhex(hex[2 * i]), lo = unhex(hex[2 * i + 1]);
        if (hi < 0 || lo < 0) rc = cdi_fail(err, CD_E_CORRUPT, "the stored mirror password is damaged");
        else bin[i] = (unsigned char)(hi << 4 | lo);
    }
    if (!rc && strlen(hex) % 2) rc = cdi_fail(err, CD_E_CORRUPT, "the stored mirror password is damaged");
    if (!rc) rc = sq_store_key(sq, err);
    if (!rc) rc = cdi_unseal(sq->key, PW_AAD, strlen(PW_AAD), bin, n, &plain, err);
    if (!rc && !(*pw = malloc((size_t)plain.size + 1))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (!rc) {
        memcpy(*pw, plain.data, plain.size);
        (*pw)[plain.size] = 0;
    }
    if (plain.data) { cdi_wipe(plain.data, plain.size); gnutls_free(plain.data); }
    free(bin);
    return rc;
}

/* The last password unsealed, process-wide: by its sealed text and the
 * store key it opened with (so a copy of the text in another store does
 * not pass for opened). */
static struct {
    pthread_mutex_t lock;
    char *sealed, *plain;
    unsigned char key[CDI_STORE_KEY_LEN];
} pwmem = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int pw_remembered(struct sq *sq, const char *sealed, char **pw)
{
    int hit = 0;
    pthread_mutex_lock(&pwmem.lock);
    if (pwmem.sealed && !strcmp(pwmem.sealed, sealed) && !memcmp(pwmem.key, sq->key, sizeof pwmem.key)) {
        *pw = strdup(pwmem.plain);
        hit = 1;
    }
    pthread_mutex_unlock(&pwmem.lock);
    return hit;
}

static void pw_remember(struct sq *sq, const char *sealed, const char *pw)
{
    char *s = strdup(sealed), *p = strdup(pw);
    pthread_mutex_lock(&pwmem.lock);
    if (pwmem.plain) { cdi_wipe(pwmem.plain, strlen(pwmem.plain)); free(pwmem.plain); }
    free(pwmem.sealed);
    pwmem.sealed = s && p ? s : NULL;
    pwmem.plain = s && p ? p : NULL;
    memcpy(pwmem.key, sq->key, sizeof pwmem.key);
    pthread_mutex_unlock(&pwmem.lock);
    if (!s || !p) { free(s); if (p) { cdi_wipe(p, strlen(p)); free(p); } }
}

/* ---- reading ------------------------------------------------------------------ */

/* url, user and the sealed password (each NULL when absent) with the
 * cached statement. */
static int read_keys(struct sq *sq, char **url, char **user, char **sealed, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    *url = *user = *sealed = NULL;
    int rc = sq_cached(sq, SQC_MIRROR_AGENT, "SELECT (SELECT v FROM meta WHERE k = '" K_URL "'),"
                       " (SELECT v FROM meta WHERE k = '" K_USER "'), (SELECT v FROM meta WHERE k = '" K_PW "')",
                       &st, err);
    if (rc) return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        char **dst[3] = { url, user, sealed };
        for (int i = 0; i < 3 && !rc; i++)
            if (sqlite3_column_type(st, i) != SQLITE_NULL && !(*dst[i] = sq_text(st, i)))
                rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    } else {
        rc = sq_dberr(sq, err, "mirror settings");
    }
    sqlite3_reset(st);
    if (rc) { free(*url); free(*user); free(*sealed); *url = *user = *sealed = NULL; }
    return rc;
}

int sq_mirror_settings_get(cd_store *s, const cd_user *u, struct cd_mirror_settings *out, struct cd_err *err)
{
    (void)u;                       /* anyone logged in may read them */
    memset(out, 0, sizeof *out);
    if (SQ(s)->mirror) return sq_unpublished(err, "the server settings");
    char *sealed = NULL;
    int rc = read_keys(SQ(s), &out->url, &out->user, &sealed, err);
    out->has_password = sealed != NULL;
    free(sealed);
    return rc;
}

int sq_mirror_settings_secret(cd_store *s, struct cd_mirror_secret *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char *sealed = NULL;
    int rc = read_keys(sq, &out->url, &out->user, &sealed, err);
    if (!rc && sealed && out->url) {
        rc = sq_store_key(sq, err);
        if (!rc && !pw_remembered(sq, sealed, &out->password)) {
            rc = unseal_pw(sq, sealed, &out->password, err);
            if (!rc) pw_remember(sq, sealed, out->password);
        } else if (!rc && !out->password) {
            rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
        }
    }
    free(sealed);
    return rc;
}

/* ---- changing ----------------------------------------------------------------- */

int sq_mirror_settings_set(cd_store *s, const cd_user *u, const char *url, const char *user, const char *pw,
                           struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char *o_url = NULL, *o_user = NULL, *o_sealed = NULL, *sealed = NULL, *detail = NULL;
    const char *pwis = "no password";
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_SERVER_SETTINGS, 1, err);
    if (!rc) rc = check_settings(url, user, pw, err);
    if (!rc) rc = read_keys(sq, &o_url, &o_user, &o_sealed, err);
    if (!rc && url && user && pw && *pw && !(rc = seal_pw(sq, pw, &sealed, err))) pwis = "password set";
    else if (!rc && url && user && !pw && o_sealed) pwis = "password kept";
    if (!rc) rc = sq_meta_set(sq, K_URL, url, err);
    if (!rc) rc = sq_meta_set(sq, K_USER, url ? user : NULL, err);
    /* a password needs a user; NULL keeps the stored one, "" removes it */
    if (!rc && !(url && user && !pw)) rc = sq_meta_set(sq, K_PW, url && user ? sealed : NULL, err);
    if (!rc && url && !(detail = cdi_printf("URL %s, %s%s, %s", url, user ? "user " : "no user", user ? user : "", pwis)))
        rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    if (!rc && !url && !o_url) detail = cdi_strdup("none was set");
    rc = sq_finish(sq, u, rc, url ? "Set mirror for agents" : "Remove mirror for agents", "server", detail, err);
    free(o_url);
    free(o_user);
    free(o_sealed);
    free(sealed);
    free(detail);
    return rc;
}
