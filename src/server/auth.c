/* certdeckd — the console API's logins, remembered for a minute.
 *
 * cd_user_login costs a 600,000-iteration PBKDF2 and writes a "Log in"
 * audit record; HTTP Basic sends the password with every request.  So a
 * successful login is kept for AUTH_TTL: the key is HMAC-SHA256, under a
 * random key made at start, of "name NUL password" (the password itself is
 * never kept), the value the cd_user the core gave.  Failures are never
 * cached, so every wrong password reaches the core and its slow-down.
 *
 * A cd_user is the core's record of who acts (id, name, rights are looked
 * up per call); it holds no reference to the store handle it came from, so
 * the one user serves every thread's own handle on the same store.  Entries
 * are reference counted: one evicted or flushed while a request uses it is
 * freed by the last auth_put.  Because the rights of a user are checked by
 * the core on every call, a cached entry only delays, by at most AUTH_TTL,
 * a password change or a disabled account made outside this server; changes
 * made through this server's API flush the cache (http.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/gnutls.h>
#include <gnutls/crypto.h>
#include "srv.h"

#define AUTH_TTL_US (60LL * 1000000)
#define AUTH_MAX    256
/* Failed logins a client network may make in AUTH_FAIL_WINDOW_US before
 * its logins are refused until the window ends.  Each failure costs the
 * server a 600,000-iteration PBKDF2 (a fifth of a second of a core) and the
 * core's own slow-down counts per name, so a client trying a new name each
 * time kept every pool thread busy: measured on 2 cores, eight such
 * clients made a remembered login's request take 1.6 s instead of 8 ms. */
#define AUTH_FAIL_MAX       10
#define AUTH_FAIL_WINDOW_US (60LL * 1000000)
#define AUTH_FAIL_SLOTS     1024

struct auth_entry {
    unsigned char mac[32];
    cd_user      *user;
    int64_t       expires;
    int           refs;
    int           cached;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct auth_entry *cache[AUTH_MAX];
static unsigned char key[32];
/* Bumped by every flush.  A login runs outside the lock, so a change to
 * users can commit (and flush) while it runs: what it found may already be
 * out of date (a disabled account, a new password), and it is then used for
 * this one request but not remembered. */
static uint64_t generation;

/* Failed logins per client network, direct-mapped: a network pushed out
 * by another only starts counting again. */
static struct fail_slot {
    unsigned char net[8];
    size_t        netlen;
    unsigned      n;
    int64_t       since;
} fails[AUTH_FAIL_SLOTS];

static struct fail_slot *fail_slot(const unsigned char *net, size_t netlen)
{
    unsigned h = 2166136261u;                   /* FNV-1a */
    for (size_t i = 0; i < netlen; i++) h = (h ^ net[i]) * 16777619u;
    return &fails[h % AUTH_FAIL_SLOTS];
}

/* Seconds until net may log in again; 0 when it may now (lock held). */
static int64_t fail_wait(const unsigned char *net, size_t netlen, int64_t now)
{
    const struct fail_slot *f = fail_slot(net, netlen);
    if (!netlen || f->netlen != netlen || memcmp(f->net, net, netlen)) return 0;
    if (f->n < AUTH_FAIL_MAX || now - f->since >= AUTH_FAIL_WINDOW_US) return 0;
    return (f->since + AUTH_FAIL_WINDOW_US - now) / 1000000 + 1;
}

static void fail_count(const unsigned char *net, size_t netlen, int64_t now)
{
    if (!netlen) return;
    pthread_mutex_lock(&lock);
    struct fail_slot *f = fail_slot(net, netlen);
    if (f->netlen != netlen || memcmp(f->net, net, netlen) || now - f->since >= AUTH_FAIL_WINDOW_US) {
        memcpy(f->net, net, netlen);
        f->netlen = netlen;
        f->n = 0;
        f->since = now;
    }
    f->n++;
    pthread_mutex_unlock(&lock);
}

int auth_init(void)
{
    return gnutls_rnd(GNUTLS_RND_KEY, key, sizeof key) ? CD_E_CRYPTO : CD_OK;
}

static int mac_of(const char *name, const char *password, unsigned char out[32])
{
    gnutls_hmac_hd_t h;
    if (gnutls_hmac_init(&h, GNUTLS_MAC_SHA256, key, sizeof key) < 0) return CD_E_CRYPTO;
    int bad = gnutls_hmac(h, name, strlen(name) + 1) < 0;
    bad |= gnutls_hmac(h, password, strlen(password)) < 0;
    gnutls_hmac_deinit(h, out);
    return bad ? CD_E_CRYPTO : CD_OK;
}

static int same(const unsigned char *a, const unsigned char *b)
{
    unsigned char d = 0;
    for (size_t i = 0; i < 32; i++) d |= a[i] ^ b[i];
    return d == 0;
}

static void entry_free(struct auth_entry *e)
{
    cd_user_free(e->user);
    free(e);
}

/* Takes e out of the cache (lock held); freed now unless in use. */
static void drop(struct auth_entry *e)
{
    e->cached = 0;
    if (!e->refs) entry_free(e);
}

int auth_get(cd_store *s, const char *name, const char *password, const unsigned char *net, size_t netlen,
             struct auth_entry **out, struct cd_err *err)
{
    *out = NULL;
    unsigned char mac[32];
    if (mac_of(name, password, mac)) return srv_err(err, CD_E_CRYPTO);
    int64_t now = srv_now_us();
    pthread_mutex_lock(&lock);
    uint64_t gen = generation;
    for (size_t i = 0; i < AUTH_MAX; i++) {
        struct auth_entry *e = cache[i];
        if (!e || !same(e->mac, mac)) continue;
        if (e->expires > now) {
            e->refs++;
            pthread_mutex_unlock(&lock);
            *out = e;
            return CD_OK;
        }
        cache[i] = NULL;
        drop(e);
    }
    int64_t wait = netlen > sizeof fails[0].net ? 0 : fail_wait(net, netlen, now);
    pthread_mutex_unlock(&lock);
    if (wait) {
        err->code = CD_E_BUSY;
        err->pos = 0;
        snprintf(err->msg, sizeof err->msg, "login failed: too many failed logins from this address; try again "
                 "in %lld s", (long long)wait);
        return CD_E_BUSY;
    }

    /* outside the lock: a login must not hold up anyone else's request */
    cd_user *u = NULL;
    int rc = cd_user_login(s, name, password, &u, err);
    if (rc == CD_E_LOGIN && netlen <= sizeof fails[0].net) fail_count(net, netlen, srv_now_us());
    if (rc) return rc;
    struct auth_entry *e = calloc(1, sizeof *e);
    if (!e) {
        cd_user_free(u);
        return srv_err(err, CD_E_NOMEM);
    }
    memcpy(e->mac, mac, sizeof mac);
    e->user = u;
    e->expires = srv_now_us() + AUTH_TTL_US;
    e->refs = 1;
    pthread_mutex_lock(&lock);
    if (gen != generation) {
        pthread_mutex_unlock(&lock);
        *out = e;
        return CD_OK;
    }
    e->cached = 1;
    size_t slot = 0;
    for (size_t i = 0; i < AUTH_MAX; i++) {
        if (!cache[i]) { slot = i; break; }
        if (cache[i]->expires < cache[slot]->expires) slot = i;   /* else the oldest goes */
    }
    if (cache[slot]) drop(cache[slot]);
    cache[slot] = e;
    pthread_mutex_unlock(&lock);
    *out = e;
    return CD_OK;
}

const cd_user *auth_user(const struct auth_entry *e)
{
    return e->user;
}

void auth_put(struct auth_entry *e)
{
    if (!e) return;
    pthread_mutex_lock(&lock);
    if (--e->refs == 0 && !e->cached) entry_free(e);
    pthread_mutex_unlock(&lock);
}

void auth_flush(void)
{
    pthread_mutex_lock(&lock);
    generation++;
    for (size_t i = 0; i < AUTH_MAX; i++)
        if (cache[i]) {
            drop(cache[i]);
            cache[i] = NULL;
        }
    pthread_mutex_unlock(&lock);
}

void auth_free(void)
{
    auth_flush();
    gnutls_memset(key, 0, sizeof key);
}
