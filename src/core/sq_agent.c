/* certdeck core — the agents' side of the sqlite backend (certdeck/server.h):
 * the client settings (client password, the unauthenticated-clients
 * switch), the check-in's decision and its records (usage rows, audit), and
 * what certdeckd needs to speak TLS (its certificate and key, the CAs its
 * agent port accepts).  CRLs live in sq_crl.c.
 *
 * A check-in must be cheap: certdeckd is asked for a thousand a second.  So
 * the decision reads two cached statements (the settings and the CA list's
 * key; the certificate by fingerprint), checks the signature against CA
 * certificates parsed once per handle, and never runs the 600,000-iteration
 * PBKDF2 of the client password twice for the same password: the SHA-256 of
 * the last password that matched the stored hash (and of a few that did
 * not) is kept process-wide, under a mutex, since certdeckd's threads each
 * have a handle of their own. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <gnutls/crypto.h>
#include "sq_int.h"

#define META_PW     "client_password"        /* PBKDF2 verifier; absent: none set */
#define META_UNAUTH "client_unauth_since"    /* when the switch was turned on; absent: off */
#define NAME_MAX_BYTES 255                   /* a client name as recorded */

/* ---- settings ------------------------------------------------------------ */

static int meta_get(struct sq *sq, const char *k, char **v, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    *v = NULL;
    int rc = sq_prep(sq, "SELECT v FROM meta WHERE k = ?", &st, err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        if (!(*v = sq_text(st, 0))) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
    } else if (r != SQLITE_ROW) {
        rc = sq_done(sq, r, "settings", err);
    }
    sqlite3_finalize(st);
    return rc;
}

int sq_meta_set(struct sq *sq, const char *k, const char *v, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, v ? "INSERT OR REPLACE INTO meta(k, v) VALUES(?, ?)" : "DELETE FROM meta WHERE k = ?", &st,
                     err);
    if (rc) return rc;
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    if (v) sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "settings");
    sqlite3_finalize(st);
    return rc;
}

int sq_client_settings_get(cd_store *s, const cd_user *u, struct cd_client_settings *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char *pw = NULL, *since = NULL;
    (void)u;                       /* every user is warned: no right needed */
    memset(out, 0, sizeof *out);
    if (sq->mirror) return sq_unpublished(err, "the server settings");
    int rc = meta_get(sq, META_PW, &pw, err);
    if (!rc) rc = meta_get(sq, META_UNAUTH, &since, err);
    if (!rc) {
        out->has_password = pw != NULL;
        out->unauthenticated = since != NULL;
        out->unauth_since = since ? strtoll(since, NULL, 10) : 0;
    }
    if (pw) { cdi_wipe(pw, strlen(pw)); free(pw); }
    free(since);
    return rc;
}

int sq_client_password_set(cd_store *s, const cd_user *u, const char *old_pw, const char *new_pw,
                           struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char *cur = NULL, *hash = NULL;
    const char *what = "Change client password";
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_SERVER_SETTINGS, 1, err);
    if (!rc && *new_pw && cdi_check_text(NULL, "client password", new_pw, CD_SECRET_FILE_MAX, 1))
        /* the passphrase rule (store.c): agents send it as JSON text */
        rc = cdi_fail(err, CD_E_INVAL, "a client password must be valid UTF-8 text of at most %d bytes",
                      CD_SECRET_FILE_MAX);
    if (!rc) rc = meta_get(sq, META_PW, &cur, err);
    if (!rc && ((cur && !cdi_pass_check(cur, old_pw)) || (!cur && *old_pw)))
        rc = cdi_fail(err, CD_E_PASSPHRASE, "the old client password is wrong%s",
                      cur ? "" : " (none is set: leave the old password empty)");
    if (!rc && *new_pw && !(hash = cdi_pass_hash(new_pw, err))) rc = CD_E_CRYPTO;
    if (!rc) rc = sq_meta_set(sq, META_PW, hash, err);
    if (!rc) what = !*new_pw ? "Remove client password" : cur ? "Change client password" : "Set client password";
    if (cur) { cdi_wipe(cur, strlen(cur)); free(cur); }
    free(hash);
    return sq_finish(sq, u, rc, what, "server", NULL, err);
}

int sq_client_unauth_set(cd_store *s, const cd_user *u, int on, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    char *since = NULL;
    int rc = sq_begin(sq, err);
    if (!rc) rc = sq_may(sq, u, CD_ACT_SERVER_SETTINGS, 1, err);
    if (!rc) rc = meta_get(sq, META_UNAUTH, &since, err);
    /* turning it on again keeps the time it has been on since */
    if (!rc && on && !since) {
        char now[24];
        snprintf(now, sizeof now, "%lld", (long long)cdi_now());
        rc = sq_meta_set(sq, META_UNAUTH, now, err);
    }
    if (!rc && !on) rc = sq_meta_set(sq, META_UNAUTH, NULL, err);
    free(since);
    return sq_finish(sq, u, rc, on ? "Allow unauthenticated clients" : "Refuse unauthenticated clients", "server",
                     on ? "on: agents without the client password are let in" : "off", err);
}

/* ---- usage ------------------------------------------------------------------ */

int sq_cert_usage(cd_store *s, const cd_user *u, int64_t id, struct cd_usage_list *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct cd_cert c;
    sqlite3_stmt *st = NULL;
    memset(out, 0, sizeof *out);
    /* Read on the certificate; a hidden one answers as a missing one */
    int rc = sq_cert_get(s, u, id, &c, err);
    if (rc) return rc;
    cd_cert_clear(&c);
    if ((rc = sq_prep(sq, "SELECT id, cert_id, client, address, first_seen, last_seen FROM usage WHERE cert_id = ?"
                          " ORDER BY last_seen DESC, id DESC", &st, err))) return rc;
    sqlite3_bind_int64(st, 1, id);
    size_t cap = 0;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        struct cd_usage *x = cdi_grow(&out->rows, out->n, &cap, sizeof *x);
        if (!x) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
        out->n++;
        x->id = sqlite3_column_int64(st, 0);
        x->cert_id = sqlite3_column_int64(st, 1);
        x->client = sq_text(st, 2);
        x->address = sq_text(st, 3);
        x->first_seen = sqlite3_column_int64(st, 4);
        x->last_seen = sqlite3_column_int64(st, 5);
        if (!x->client || !x->address) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
    }
    if (!rc) rc = sq_done(sq, r, "usage", err);
    sqlite3_finalize(st);
    if (rc) cd_usage_list_free(out);
    return rc;
}

/* ---- the check-in ------------------------------------------------------------ */

void sq_agent_free(struct sq *sq)
{
    struct sq_cacache *c = &sq->cas;
    for (size_t i = 0; i < c->n; i++) gnutls_x509_crt_deinit(c->ca[i].crt);
    free(c->ca);
    memset(c, 0, sizeof *c);
}

/* Parses every CA certificate again when the list changed. */
static int cas_load(struct sq *sq, int64_t count, int64_t max_id, struct cd_err *err)
{
    struct sq_cacache *c = &sq->cas;
    if (c->loaded && c->count == count && c->max_id == max_id) return CD_OK;
    sq_agent_free(sq);
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT id, der, not_before, not_after FROM cas ORDER BY id", &st, err);
    if (rc) return rc;
    size_t cap = 0;
    int r;
    int64_t n = 0, hi = 0;
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        n++;
        hi = sqlite3_column_int64(st, 0);
        const void *der = sqlite3_column_blob(st, 1);
        size_t len = (size_t)sqlite3_column_bytes(st, 1);
        gnutls_x509_crt_t crt = NULL;
        struct cd_err e = { 0 };
        /* a CA that does not parse can vouch for no one: left out */
        if (cdi_crt_load(der, len, &crt, &e)) continue;
        struct sq_ca_entry *x = cdi_grow(&c->ca, c->n, &cap, sizeof *x);
        if (!x) { gnutls_x509_crt_deinit(crt); rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
        *x = (struct sq_ca_entry){ hi, sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), crt, { 0 } };
        c->n++;
        if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, x->fp) < 0) {
            rc = cdi_fail(err, CD_E_CRYPTO, "SHA-256 failed");
            break;
        }
    }
    if (!rc) rc = sq_done(sq, r, "CA list", err);
    sqlite3_finalize(st);
    if (rc) { sq_agent_free(sq); return rc; }
    /* the key of what was read, which may be newer than the caller's */
    c->count = n;
    c->max_id = hi;
    c->loaded = 1;
    return CD_OK;
}

/* Signatures found good, process-wide: "the certificate with SHA-256 X is
 * signed by the CA certificate with SHA-256 Y" stays true for ever, so the
 * ECDSA or RSA verification (a third of a millisecond on a small server) is
 * paid once per agent certificate, not at every check-in.  Direct-mapped:
 * an entry pushed out is only verified again. */
#define SIG_SLOTS 8192
static struct {
    pthread_mutex_t lock;
    unsigned char key[SIG_SLOTS][32];
} sigc = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void sig_key(const unsigned char *cert_fp, const unsigned char *ca_fp, unsigned char key[32])
{
    unsigned char both[64];
    memcpy(both, cert_fp, 32);
    memcpy(both + 32, ca_fp, 32);
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, both, sizeof both, key) < 0) memset(key, 0, 32);
}

static int sig_known(const unsigned char key[32])
{
    unsigned slot = ((unsigned)key[0] << 8 | key[1]) % SIG_SLOTS;
    pthread_mutex_lock(&sigc.lock);
    int hit = !memcmp(sigc.key[slot], key, 32);
    pthread_mutex_unlock(&sigc.lock);
    return hit;
}

static void sig_remember(const unsigned char key[32])
{
    unsigned slot = ((unsigned)key[0] << 8 | key[1]) % SIG_SLOTS;
    pthread_mutex_lock(&sigc.lock);
    memcpy(sigc.key[slot], key, 32);
    pthread_mutex_unlock(&sigc.lock);
}

/* The process-wide memory of client passwords checked against the stored
 * verifier `for_hash`: the SHA-256 of the one that matched, and of the
 * last few that did not (agents still sending an old password after a
 * change must not cost a PBKDF2 each). */
#define PW_BAD 16
static struct {
    pthread_mutex_t lock;
    char for_hash[200];
    unsigned char good[32];
    int has_good;
    unsigned char bad[PW_BAD][32];
    int nbad, next_bad;
} pwc = { .lock = PTHREAD_MUTEX_INITIALIZER };

static int same32(const unsigned char *a, const unsigned char *b)
{
    unsigned char d = 0;
    for (int i = 0; i < 32; i++) d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

/* 1 when pw matches the stored verifier. */
static int password_ok(const char *stored, const char *pw)
{
    unsigned char h[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, pw, strlen(pw), h) < 0) return cdi_pass_check(stored, pw);
    int known = -1;
    size_t sl = strlen(stored);
    pthread_mutex_lock(&pwc.lock);
    if (sl < sizeof pwc.for_hash && !strcmp(pwc.for_hash, stored)) {
        if (pwc.has_good && same32(h, pwc.good)) known = 1;
        for (int i = 0; known < 0 && i < pwc.nbad; i++)
            if (same32(h, pwc.bad[i])) known = 0;
    }
    pthread_mutex_unlock(&pwc.lock);
    if (known >= 0) { cdi_wipe(h, sizeof h); return known; }
    /* the slow check, outside the lock: other check-ins go on meanwhile */
    int ok = cdi_pass_check(stored, pw);
    pthread_mutex_lock(&pwc.lock);
    if (sl < sizeof pwc.for_hash) {
        if (strcmp(pwc.for_hash, stored)) {
            /* a new verifier (the password was changed): forget the old answers */
            memset(&pwc.good, 0, sizeof pwc.good);
            pwc.has_good = pwc.nbad = pwc.next_bad = 0;
            memcpy(pwc.for_hash, stored, sl + 1);
        }
        if (ok) { memcpy(pwc.good, h, 32); pwc.has_good = 1; }
        else {
            memcpy(pwc.bad[pwc.next_bad], h, 32);
            pwc.next_bad = (pwc.next_bad + 1) % PW_BAD;
            if (pwc.nbad < PW_BAD) pwc.nbad++;
        }
    }
    pthread_mutex_unlock(&pwc.lock);
    cdi_wipe(h, sizeof h);
    return ok;
}

static int refuse(struct cd_checkin_result *out, const char *why)
{
    out->accepted = 0;
    snprintf(out->reason, sizeof out->reason, "%s", why);
    return CD_OK;
}

/* 1 when the CA of cache entry ca signed the certificate (DER der, SHA-256
 * fp); *crt is parsed on the first need and kept for the caller. */
static int signed_by(const struct sq_ca_entry *ca, const struct cd_checkin_req *rq, const unsigned char *fp,
                     gnutls_x509_crt_t *crt)
{
    unsigned char key[32];
    sig_key(fp, ca->fp, key);
    if (sig_known(key)) return 1;
    if (!*crt) {
        gnutls_datum_t d = { (unsigned char *)rq->cert_der, (unsigned)rq->cert_len };
        if (gnutls_x509_crt_init(crt) < 0) return 0;
        if (gnutls_x509_crt_import(*crt, &d, GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(*crt);
            *crt = NULL;
            return 0;
        }
    }
    if (!gnutls_x509_crt_check_issuer(*crt, ca->crt)) return 0;
    unsigned status = 0;
    /* dates are checked against the request's clock, not GnuTLS's */
    unsigned flags = GNUTLS_VERIFY_DISABLE_TIME_CHECKS | GNUTLS_VERIFY_DISABLE_TRUSTED_TIME_CHECKS;
    if (gnutls_x509_crt_verify(*crt, &ca->crt, 1, flags, &status) < 0 || status) return 0;
    sig_remember(key);
    return 1;
}

int sq_checkin_verify(cd_store *s, const struct cd_checkin_req *rq, struct cd_checkin_result *out,
                      struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    gnutls_x509_crt_t crt = NULL;
    char *pwhash = NULL;
    int unauth = 0;
    int64_t now = rq->now ? rq->now : cdi_now();
    memset(out, 0, sizeof *out);
    if (rq->cert_len > 65536) return refuse(out, "the client certificate cannot be read");

    unsigned char fp[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, rq->cert_der, rq->cert_len, fp) < 0)
        return cdi_fail(err, CD_E_CRYPTO, "SHA-256 failed");
    cdi_hex(fp, sizeof fp, out->fingerprint);

    /* one statement: the settings and the key of the CA list */
    int rc = sq_cached(sq, SQC_CHECKIN_STATE, "SELECT (SELECT v FROM meta WHERE k = '" META_PW "'),"
                       " (SELECT v FROM meta WHERE k = '" META_UNAUTH "'), (SELECT count(*) FROM cas),"
                       " (SELECT coalesce(max(id), 0) FROM cas)", &st, err);
    if (rc) return rc;
    int r = sqlite3_step(st);
    if (r == SQLITE_ROW) {
        if (sqlite3_column_type(st, 0) != SQLITE_NULL && !(pwhash = sq_text(st, 0)))
            rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
        unauth = sqlite3_column_type(st, 1) != SQLITE_NULL;
        int64_t count = sqlite3_column_int64(st, 2), max_id = sqlite3_column_int64(st, 3);
        sqlite3_reset(st);
        if (!rc) rc = cas_load(sq, count, max_id, err);
    } else {
        rc = sq_dberr(sq, err, "check-in");
        sqlite3_reset(st);
    }
    if (rc) goto out;

    /* the store's certificate with these exact bytes, if any */
    if ((rc = sq_cached(sq, SQC_CHECKIN_CERT, "SELECT id, ca_id, revoked_at, not_before, not_after FROM certs"
                        " WHERE fingerprint = ?", &st, err))) goto out;
    sqlite3_bind_text(st, 1, out->fingerprint, -1, SQLITE_STATIC);
    r = sqlite3_step(st);
    int64_t id = 0, ca_id = 0, revoked = 0, nb = 0, na = 0;
    if (r == SQLITE_ROW) {
        id = sqlite3_column_int64(st, 0);
        ca_id = sqlite3_column_int64(st, 1);
        revoked = sqlite3_column_int64(st, 2);
        nb = sqlite3_column_int64(st, 3);
        na = sqlite3_column_int64(st, 4);
    } else if (r != SQLITE_DONE) {
        rc = sq_dberr(sq, err, "check-in");
    }
    sqlite3_reset(st);
    if (rc) goto out;
    out->cert_id = id;

    /* the signature: by the certificate's own CA when the store holds it,
     * else by whichever of the store's CAs issued it */
    const struct sq_ca_entry *ca = NULL;
    for (size_t i = 0; i < sq->cas.n && !ca; i++)
        if ((!id || sq->cas.ca[i].id == ca_id) && signed_by(&sq->cas.ca[i], rq, fp, &crt)) ca = &sq->cas.ca[i];
    if (!ca) {
        /* (a certificate that was never parsed, yet tried, did not parse) */
        refuse(out, !id && !crt && sq->cas.n ? "the client certificate cannot be read"
                                             : "certificate not issued by a CA of this server");
        goto out;
    }
    if (now < ca->nb || now >= ca->na) {
        refuse(out, now < ca->nb ? "the issuing CA is not yet valid" : "the issuing CA has expired");
        goto out;
    }
    /* signed by our CA but not in the store (a restored backup, a copy of the CA key used elsewhere) */
    if (!id) { refuse(out, "certificate unknown to this server"); goto out; }
    /* revoked is revoked: no switch lets it in */
    if (revoked) { refuse(out, "certificate revoked"); goto out; }
    if (now < nb) { refuse(out, "certificate not yet valid"); goto out; }
    if (now >= na) { refuse(out, "certificate expired"); goto out; }
    if (!rq->name || !*rq->name) { refuse(out, "no client name"); goto out; }
    if (cdi_check_text(NULL, "client name", rq->name, NAME_MAX_BYTES, 0)) {
        refuse(out, "invalid client name (text without control characters, at most 255 bytes)");
        goto out;
    }
    if (pwhash) {
        const char *why = !rq->password || !*rq->password ? "client password required"
                        : !password_ok(pwhash, rq->password) ? "wrong client password" : NULL;
        if (why && !unauth) { refuse(out, why); goto out; }
        out->unauthenticated = why != NULL;
    }
    out->accepted = 1;
out:
    if (crt) gnutls_x509_crt_deinit(crt);
    if (pwhash) { cdi_wipe(pwhash, strlen(pwhash)); free(pwhash); }
    if (rc) memset(out, 0, sizeof *out);
    return rc;
}

/* A name as it may be recorded: valid text kept exactly, anything else
 * escaped (the audit log and the usage rows go to JSON and terminals);
 * at most NAME_MAX_BYTES, never cut inside a character. */
static char *record_name(const char *in)
{
    char *s = !in ? strdup("") : cdi_check_text(NULL, "name", in, 0, 0) ? cd_sanitize(in, (size_t)-1) : strdup(in);
    if (s && strlen(s) > NAME_MAX_BYTES) {
        size_t n = NAME_MAX_BYTES;
        while (n && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
        s[n] = 0;
    }
    return s;
}

static int usage_upsert(struct sq *sq, const struct cd_checkin_event *e, const char *name, const char *addr,
                        int64_t t, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_cached(sq, SQC_USAGE_UPSERT, "INSERT INTO usage(cert_id, client, address, first_seen, last_seen)"
                       " VALUES(?1, ?2, ?3, ?4, ?4) ON CONFLICT(cert_id, client) DO UPDATE SET"
                       " address = excluded.address, last_seen = max(last_seen, excluded.last_seen)", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, e->cert_id);
    sqlite3_bind_text(st, 2, name, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, addr, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 4, t);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "usage");
    sqlite3_reset(st);
    return rc;
}

int sq_checkin_record(cd_store *s, const struct cd_checkin_event *ev, size_t n, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    int64_t last = 0;
    char prev[65];
    /* records of what happened: written even by a --read-only session */
    int rc = sq_begin_record(sq, err);
    if (rc) return rc;
    int audited = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        const struct cd_checkin_event *e = &ev[i];
        int64_t t = e->time ? e->time : cdi_now();
        char *name = record_name(e->name), *addr = record_name(e->address);
        if (!name || !addr) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
        if (!rc && e->accepted && e->cert_id) rc = usage_upsert(sq, e, name, addr, t, err);
        if (!rc && (!e->accepted || e->unauthenticated)) {
            if (!audited && !(rc = sq_audit_last(sq, &last, prev, err))) audited = 1;
            char user[NAME_MAX_BYTES + 8], obj[32], detail[512];
            snprintf(user, sizeof user, "agent %s", name);
            if (e->cert_id) snprintf(obj, sizeof obj, "cert %lld", (long long)e->cert_id);
            else snprintf(obj, sizeof obj, "server");
            snprintf(detail, sizeof detail, "%s (from %s%s%.64s)",
                     e->accepted ? "unauthenticated access" : e->reason && *e->reason ? e->reason : "refused",
                     addr, e->cert_id ? "" : ", certificate SHA-256 ", e->cert_id || !e->fingerprint ? ""
                     : e->fingerprint);
            if (!rc) rc = sq_audit_next(sq, &last, prev, t, user, "Agent check-in", obj,
                                        e->accepted ? "Success" : "Forbidden", detail, err);
        }
        free(name);
        free(addr);
    }
    if (!rc && audited) rc = sq_audit_head_update(sq, err);
    if (!rc && sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) rc = sq_dberr(sq, err, "commit");
    if (rc && !sqlite3_get_autocommit(sq->db)) sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    sq_end_record(sq);
    return rc;
}

/* ---- the server's TLS identity ------------------------------------------------- */

static int pem_add(struct cdi_buf *b, const void *der, size_t len, const char *label, struct cd_err *err)
{
    gnutls_datum_t in = { (unsigned char *)der, (unsigned)len }, out = { 0 };
    int gt = gnutls_pem_base64_encode2(label, &in, &out);
    if (gt < 0) return cdi_fail(err, CD_E_CRYPTO, "PEM: %s", gnutls_strerror(gt));
    cdi_buf_add(b, out.data, out.size);
    gnutls_free(out.data);
    return b->oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : CD_OK;
}

/* The buffer as a C string, handed to the caller. */
static int buf_take(struct cdi_buf *b, char **out, struct cd_err *err)
{
    cdi_buf_add(b, "", 1);
    if (b->oom) { cdi_buf_free(b); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    *out = (char *)b->p;
    return CD_OK;
}

int sq_server_tls(cd_store *s, int64_t cert_id, char **chain_pem, char **key_pem, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    struct cdi_buf chain = { 0 };
    gnutls_datum_t plain = { 0 }, pk8 = { 0 };
    gnutls_x509_privkey_t key = NULL;
    int64_t now = cdi_now();
    int rc = sq_prep(sq, cert_id
        ? "SELECT c.id, c.der, c.key, c.fingerprint, a.der, c.product, c.revoked_at, c.not_before, c.not_after"
          " FROM certs c LEFT JOIN cas a ON a.id = c.ca_id WHERE c.id = ?1"
        : "SELECT c.id, c.der, c.key, c.fingerprint, a.der, c.product, c.revoked_at, c.not_before, c.not_after"
          " FROM certs c LEFT JOIN cas a ON a.id = c.ca_id WHERE c.product = ?2 AND c.revoked_at = 0"
          " AND c.not_before <= ?3 AND c.not_after > ?3 ORDER BY c.id LIMIT 1", &st, err);
    if (rc) return rc;
    if (cert_id) sqlite3_bind_int64(st, 1, cert_id);
    sqlite3_bind_int(st, 2, CD_PRODUCT_SERVER);
    sqlite3_bind_int64(st, 3, now);
    int r = sqlite3_step(st);
    if (r != SQLITE_ROW) {
        rc = r != SQLITE_DONE ? sq_dberr(sq, err, "server certificate")
           : cert_id ? sq_missing(err, CD_KIND_CERT, cert_id)
           : cdi_fail(err, CD_E_NOTFOUND, "the store has no valid server certificate; make one with \"certdeck cert "
                      "new --ca 1 --product server --cn NAME --host NAME\", then choose it with --tls-cert ID");
        goto out;
    }
    if (cert_id && sqlite3_column_int(st, 5) != CD_PRODUCT_SERVER) {
        rc = cdi_fail(err, CD_E_STATE, "certificate %lld is not a server certificate", (long long)cert_id);
        goto out;
    }
    if (cert_id && (sqlite3_column_int64(st, 6) || now < sqlite3_column_int64(st, 7) ||
                    now >= sqlite3_column_int64(st, 8))) {
        rc = cdi_fail(err, CD_E_STATE, "certificate %lld is %s", (long long)cert_id,
                      sqlite3_column_int64(st, 6) ? "revoked" : "not valid now");
        goto out;
    }
    if ((rc = pem_add(&chain, sqlite3_column_blob(st, 1), (size_t)sqlite3_column_bytes(st, 1), "CERTIFICATE", err)))
        goto out;
    if (sqlite3_column_type(st, 4) != SQLITE_NULL &&
        (rc = pem_add(&chain, sqlite3_column_blob(st, 4), (size_t)sqlite3_column_bytes(st, 4), "CERTIFICATE", err)))
        goto out;
    if ((rc = sq_store_key(sq, err))) goto out;
    if ((rc = cdi_unseal(sq->key, sqlite3_column_text(st, 3), 64, sqlite3_column_blob(st, 2),
                         (size_t)sqlite3_column_bytes(st, 2), &plain, err))) goto out;
    if ((rc = cdi_key_import_plain(plain.data, plain.size, &key, err))) goto out;
    int gt = gnutls_x509_privkey_export2_pkcs8(key, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &pk8);
    if (gt < 0) { rc = cdi_fail(err, CD_E_CRYPTO, "server key: %s", gnutls_strerror(gt)); goto out; }
    if (!(*key_pem = malloc(pk8.size + 1))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(*key_pem, pk8.data, pk8.size);
    (*key_pem)[pk8.size] = 0;
    rc = buf_take(&chain, chain_pem, err);
    chain.p = NULL;
out:
    if (rc) {
        if (*key_pem) { cdi_wipe(*key_pem, strlen(*key_pem)); free(*key_pem); *key_pem = NULL; }
        cdi_buf_free(&chain);
    }
    if (plain.data) { cdi_wipe(plain.data, plain.size); gnutls_free(plain.data); }
    if (pk8.data) { cdi_wipe(pk8.data, pk8.size); gnutls_free(pk8.data); }
    if (key) gnutls_x509_privkey_deinit(key);
    sqlite3_finalize(st);
    return rc;
}

int sq_trust_pem(cd_store *s, char **pem, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3_stmt *st = NULL;
    struct cdi_buf b = { 0 };
    int rc = sq_prep(sq, "SELECT der FROM cas ORDER BY id", &st, err);
    if (rc) return rc;
    int r = SQLITE_DONE;
    while (!rc && (r = sqlite3_step(st)) == SQLITE_ROW)
        rc = pem_add(&b, sqlite3_column_blob(st, 0), (size_t)sqlite3_column_bytes(st, 0), "CERTIFICATE", err);
    if (!rc) rc = sq_done(sq, r, "CA list", err);
    sqlite3_finalize(st);
    if (!rc) rc = buf_take(&b, pem, err);
    else cdi_buf_free(&b);
    return rc;
}
