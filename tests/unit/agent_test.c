/* certdeck unit tests — the server side of the core (certdeck/server.h) on
 * the sqlite backend: the check-in's decision (certificate, dates,
 * revocation, CA, client password, the unauthenticated switch), its records
 * (usage, audit), the client settings and who may change them, the CRLs the
 * server hands out, and its TLS identity. */
#include "helpers.h"
#include <sqlite3.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include "sq_int.h"

#define DAY 86400LL

static sqlite3 *raw(struct fx *f) { return ((struct sq *)f->s->impl)->db; }

static int64_t one(struct fx *f, const char *sql)
{
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(raw(f), sql, -1, &st, NULL), SQLITE_OK);
    int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    return v;
}

/* DER of a store certificate, as a TLS handshake would show it. */
static unsigned char *der_of(cd_store *s, const cd_user *u, int64_t id, size_t *len)
{
    unsigned char *d = NULL;
    struct cd_err e = { 0 };
    int rc = cd_cert_export(s, u, id, CD_EXPORT_DER, NULL, &d, len, &e);
    if (rc) fail_msg("export %lld: %s", (long long)id, cd_errmsg(&e, rc));
    return d;
}

/* The check-in of certificate id (by DER) with a password and a clock. */
static struct cd_checkin_result check(struct fx *f, const unsigned char *der, size_t len, const char *pw, int64_t now)
{
    struct cd_checkin_req rq = { .cert_der = der, .cert_len = len, .name = "host-1", .address = "127.0.0.1",
                                 .password = pw, .now = now };
    struct cd_checkin_result r;
    int rc = cd_checkin_verify(f->s, &rq, &r, &f->err);
    if (rc) fail_msg("checkin_verify: %s", cd_errmsg(&f->err, rc));
    return r;
}

static struct cd_checkin_result check_id(struct fx *f, int64_t id, const char *pw, int64_t now)
{
    size_t len = 0;
    unsigned char *d = der_of(f->s, f->u, id, &len);
    struct cd_checkin_result r = check(f, d, len, pw, now);
    free(d);
    return r;
}

static int audit_ok(struct fx *f)
{
    int64_t checked = 0, bad = 0;
    return cd_audit_verify(f->s, f->u, &checked, &bad, &f->err);
}

#define REFUSED(r, why) do { assert_int_equal((r).accepted, 0); assert_string_equal((r).reason, why); } while (0)

static void test_valid_certificate_accepted(void **state)
{
    struct fx *f = *state;
    struct cd_checkin_result r = check_id(f, 2, NULL, 0);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.unauthenticated, 0);
    assert_int_equal(r.cert_id, 2);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, 2, &c, &f->err), CD_OK);
    assert_string_equal(r.fingerprint, c.fingerprint);
    cd_cert_clear(&c);
    /* again: the CA certificates and the signature come from the caches now */
    r = check_id(f, 2, NULL, 0);
    assert_int_equal(r.accepted, 1);
    /* the same certificate with one byte of its signature changed is not let in on the strength of the cache */
    size_t len = 0;
    unsigned char *d = der_of(f->s, f->u, 2, &len);
    d[len - 1] ^= 0x01;
    r = check(f, d, len, NULL, 0);
    REFUSED(r, "certificate not issued by a CA of this server");
    assert_int_equal(r.cert_id, 0);
    free(d);
    /* a certificate of the store whose CA is gone chains to nothing */
    struct cd_ca_params cap = { .subject = { .cn = "Short-lived CA" }, .keytype = CD_KEY_EC256, .days = 365 };
    int64_t ca2 = 0, id = 0;
    assert_int_equal(cd_ca_new(f->s, f->u, &cap, &ca2, &f->err), CD_OK);
    struct cd_cert_params p = { .ca_id = ca2, .product = CD_PRODUCT_AGENT, .subject = { .cn = "orphan" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), CD_OK);
    assert_int_equal(check_id(f, id, NULL, 0).accepted, 1);
    d = der_of(f->s, f->u, id, &len);
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 5, &f->err), CD_OK);
    assert_int_equal(cd_ca_delete(f->s, f->u, ca2, &f->err), CD_OK);
    r = check(f, d, len, NULL, 0);
    REFUSED(r, "certificate not issued by a CA of this server");
    assert_int_equal(r.cert_id, id);
    free(d);
}

static void test_dates_and_revocation(void **state)
{
    struct fx *f = *state;
    int64_t id = fx_cert(f, "short-lived");           /* 30 days */
    int64_t now = cdi_now();
    REFUSED(check_id(f, id, NULL, now + 40 * DAY), "certificate expired");
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "later" },
                                .keytype = CD_KEY_EC256, .not_before = now + 10 * DAY, .days = 30 };
    int64_t later = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &later, &f->err), CD_OK);
    REFUSED(check_id(f, later, NULL, now), "certificate not yet valid");
    assert_int_equal(check_id(f, later, NULL, now + 11 * DAY).accepted, 1);
    assert_int_equal(check_id(f, id, NULL, now).accepted, 1);
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 1, &f->err), CD_OK);
    struct cd_checkin_result r = check_id(f, id, NULL, now);
    REFUSED(r, "certificate revoked");
    assert_int_equal(r.cert_id, id);
    /* the switch never lets a revoked certificate in, password or not */
    assert_int_equal(cd_client_password_set(f->s, f->u, "", "client-pw", &f->err), CD_OK);
    assert_int_equal(cd_client_unauth_set(f->s, f->u, 1, &f->err), CD_OK);
    REFUSED(check_id(f, id, NULL, now), "certificate revoked");
    REFUSED(check_id(f, id, "client-pw", now), "certificate revoked");
}

static void test_foreign_and_unknown_certificates(void **state)
{
    struct fx *f = *state;
    /* another store: its CA is not ours */
    void *other = NULL;
    assert_int_equal(fx_setup(&other), 0);
    struct fx *g = other;
    size_t len = 0;
    unsigned char *d = der_of(g->s, g->u, 2, &len);
    struct cd_checkin_result r = check(f, d, len, NULL, 0);
    REFUSED(r, "certificate not issued by a CA of this server");
    assert_int_equal(r.cert_id, 0);
    free(d);
    fx_teardown(&other);
    /* our CA signed it, but the store does not hold it */
    int64_t id = fx_cert(f, "gone");
    d = der_of(f->s, f->u, id, &len);
    char sql[120];
    snprintf(sql, sizeof sql, "DELETE FROM certs WHERE id = %lld; DELETE FROM cert_fts WHERE rowid = %lld", (long long)id,
             (long long)id);
    if (sqlite3_exec(raw(f), sql, NULL, NULL, NULL) != SQLITE_OK) fail_msg("%s", sqlite3_errmsg(raw(f)));
    REFUSED(check(f, d, len, NULL, 0), "certificate unknown to this server");
    /* garbage */
    d[len / 2] ^= 0x55;
    r = check(f, d, len, NULL, 0);
    assert_int_equal(r.accepted, 0);
    free(d);
    REFUSED(check(f, (const unsigned char *)"not DER", 7, NULL, 0), "the client certificate cannot be read");
    /* a CA made after the handle cached the list is known at once */
    struct cd_ca_params c = { .subject = { .cn = "Second CA" }, .keytype = CD_KEY_EC256, .days = 365 };
    int64_t ca2 = 0;
    assert_int_equal(cd_ca_new(f->s, f->u, &c, &ca2, &f->err), CD_OK);
    struct cd_cert_params p = { .ca_id = ca2, .product = CD_PRODUCT_AGENT, .subject = { .cn = "of ca2" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    assert_int_equal(cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), CD_OK);
    assert_int_equal(check_id(f, id, NULL, 0).accepted, 1);
}

static void test_client_name_checked(void **state)
{
    struct fx *f = *state;
    size_t len = 0;
    unsigned char *d = der_of(f->s, f->u, 2, &len);
    struct cd_checkin_req rq = { .cert_der = d, .cert_len = len, .name = "evil\x1b[2J", .address = "127.0.0.1" };
    struct cd_checkin_result r;
    assert_int_equal(cd_checkin_verify(f->s, &rq, &r, &f->err), CD_OK);
    assert_int_equal(r.accepted, 0);
    rq.name = "";
    assert_int_equal(cd_checkin_verify(f->s, &rq, &r, &f->err), CD_OK);
    REFUSED(r, "no client name");
    free(d);
}

static void test_client_password(void **state)
{
    struct fx *f = *state;
    struct cd_client_settings cs;
    assert_int_equal(cd_client_settings_get(f->s, f->u, &cs, &f->err), CD_OK);
    assert_int_equal(cs.has_password, 0);
    assert_int_equal(cs.unauthenticated, 0);
    /* none set: the old one is empty */
    assert_int_equal(cd_client_password_set(f->s, f->u, "x", "first-pw", &f->err), CD_E_PASSPHRASE);
    assert_int_equal(cd_client_password_set(f->s, f->u, NULL, "first-pw", &f->err), CD_OK);
    assert_int_equal(cd_client_settings_get(f->s, f->u, &cs, &f->err), CD_OK);
    assert_int_equal(cs.has_password, 1);
    /* stored as a verifier, never in clear */
    assert_int_equal(one(f, "SELECT count(*) FROM meta WHERE v LIKE '%first-pw%'"), 0);
    assert_int_equal(one(f, "SELECT count(*) FROM meta WHERE k = 'client_password' AND v LIKE 'pbkdf2-sha256$%'"), 1);

    REFUSED(check_id(f, 2, NULL, 0), "client password required");
    REFUSED(check_id(f, 2, "", 0), "client password required");
    REFUSED(check_id(f, 2, "wrong-pw", 0), "wrong client password");
    REFUSED(check_id(f, 2, "wrong-pw", 0), "wrong client password");   /* remembered as wrong */
    assert_int_equal(check_id(f, 2, "first-pw", 0).accepted, 1);
    assert_int_equal(check_id(f, 2, "first-pw", 0).accepted, 1);       /* from the cache */
    REFUSED(check_id(f, 2, "first-pw ", 0), "wrong client password");

    /* change: the old must match; the cache follows the new verifier */
    assert_int_equal(cd_client_password_set(f->s, f->u, "nope", "second-pw", &f->err), CD_E_PASSPHRASE);
    assert_non_null(strstr(f->err.msg, "old client password is wrong"));
    assert_int_equal(cd_client_password_set(f->s, f->u, "first-pw", "second-pw", &f->err), CD_OK);
    REFUSED(check_id(f, 2, "first-pw", 0), "wrong client password");
    assert_int_equal(check_id(f, 2, "second-pw", 0).accepted, 1);

    /* the switch: without or with a wrong password, in, but unauthenticated */
    assert_int_equal(cd_client_unauth_set(f->s, f->u, 1, &f->err), CD_OK);
    assert_int_equal(cd_client_settings_get(f->s, f->u, &cs, &f->err), CD_OK);
    assert_int_equal(cs.unauthenticated, 1);
    assert_true(cs.unauth_since > 0 && cs.unauth_since <= cdi_now());
    struct cd_checkin_result r = check_id(f, 2, NULL, 0);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.unauthenticated, 1);
    r = check_id(f, 2, "first-pw", 0);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.unauthenticated, 1);
    r = check_id(f, 2, "second-pw", 0);
    assert_int_equal(r.accepted, 1);
    assert_int_equal(r.unauthenticated, 0);
    assert_int_equal(cd_client_unauth_set(f->s, f->u, 0, &f->err), CD_OK);
    REFUSED(check_id(f, 2, NULL, 0), "client password required");

    /* not text: refused before anything is stored */
    assert_int_equal(cd_client_password_set(f->s, f->u, "second-pw", "bad\xff", &f->err), CD_E_INVAL);
    /* removed: no password needed any more */
    assert_int_equal(cd_client_password_set(f->s, f->u, "second-pw", "", &f->err), CD_OK);
    assert_int_equal(cd_client_settings_get(f->s, f->u, &cs, &f->err), CD_OK);
    assert_int_equal(cs.has_password, 0);
    assert_int_equal(check_id(f, 2, NULL, 0).accepted, 1);

    /* every change audited, in the Server section */
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(f->s, f->u, "server", NULL, 0, &al, &f->err), CD_OK);
    int set = 0, changed = 0, removed = 0, failed = 0, unauth = 0;
    for (size_t i = 0; i < al.n; i++) {
        assert_string_equal(al.rows[i].section, "Server");
        assert_null(strstr(al.rows[i].detail, "-pw"));
        set += !strcmp(al.rows[i].action, "Set client password") && !strcmp(al.rows[i].result, "Success");
        changed += !strcmp(al.rows[i].action, "Change client password") && !strcmp(al.rows[i].result, "Success");
        removed += !strcmp(al.rows[i].action, "Remove client password");
        failed += !strcmp(al.rows[i].result, "Failure");
        unauth += strstr(al.rows[i].action, "unauthenticated clients") != NULL;
    }
    cd_audit_list_free(&al);
    assert_int_equal(set, 1);
    assert_int_equal(changed, 1);
    assert_int_equal(removed, 1);
    assert_int_equal(failed, 3);
    assert_int_equal(unauth, 2);
    assert_int_equal(audit_ok(f), CD_OK);
}

static void test_settings_need_the_right(void **state)
{
    struct fx *f = *state;
    assert_int_equal(cd_group_add(f->s, f->u, "/All/B", &f->err), CD_OK);
    assert_int_equal(cd_user_add(f->s, f->u, "bob", "/All/B", "bob-password-1", &f->err), CD_OK);
    const char *g[] = { "/All/B" };
    int lv[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_WRITE, [CD_OT_USERS] = CD_RIGHT_WRITE };
    assert_int_equal(cd_permset_add(f->s, f->u, "b", g, 1, lv, &f->err), CD_OK);
    assert_int_equal(cd_permset_grant(f->s, f->u, "b", "bob", 1, &f->err), CD_OK);
    cd_user *bob = NULL;
    assert_int_equal(cd_user_login(f->s, "bob", "bob-password-1", &bob, &f->err), CD_OK);
    char why[200];
    assert_int_equal(cd_user_may(f->s, bob, CD_ACT_SERVER_SETTINGS, NULL, why, sizeof why), 0);
    assert_int_equal(cd_client_unauth_set(f->s, bob, 1, &f->err), CD_E_FORBIDDEN);
    assert_int_equal(cd_client_password_set(f->s, bob, "", "bobs-pw", &f->err), CD_E_FORBIDDEN);
    /* but anyone may read them: the console warns every user */
    struct cd_client_settings cs;
    assert_int_equal(cd_client_settings_get(f->s, bob, &cs, &f->err), CD_OK);
    assert_int_equal(cs.unauthenticated, 0);
    assert_int_equal(cs.has_password, 0);
    assert_int_equal(one(f, "SELECT count(*) FROM audit WHERE user = 'bob' AND object = 'server' AND result = 'Forbidden'"),
                     2);
    /* usage of a certificate bob cannot read answers as a missing one */
    struct cd_usage_list ul;
    assert_int_equal(cd_cert_usage(f->s, bob, 2, &ul, &f->err), CD_E_NOTFOUND);
    assert_string_equal(f->err.msg, "no certificate with ID 2");
    cd_user_free(bob);
}

static void test_checkin_record(void **state)
{
    struct fx *f = *state;
    int64_t now = cdi_now(), t1 = now - 100, t2 = now - 10;
    int64_t audit_before = one(f, "SELECT count(*) FROM audit");
    struct cd_checkin_event ev[] = {
        { .time = t1, .cert_id = 2, .name = "host-1", .address = "10.0.0.1", .accepted = 1 },
        { .time = t1, .cert_id = 2, .name = "host-2", .address = "10.0.0.2", .accepted = 1, .unauthenticated = 1 },
        { .time = t2, .cert_id = 2, .name = "host-1", .address = "10.0.0.9", .accepted = 1 },
        { .time = t2, .cert_id = 3, .name = "host-3", .address = "10.0.0.3", .reason = "certificate revoked" },
        { .time = t2, .cert_id = 0, .name = "stranger\x1b]0;", .address = "10.0.0.4",
          .fingerprint = "abcdef", .reason = "certificate not issued by a CA of this server" },
    };
    assert_int_equal(cd_checkin_record(f->s, ev, 5, &f->err), CD_OK);
    /* usage: one row per (certificate, client), first seen kept, last seen and address moved on */
    struct cd_usage_list ul;
    assert_int_equal(cd_cert_usage(f->s, f->u, 2, &ul, &f->err), CD_OK);
    assert_int_equal(ul.n, 2);
    assert_string_equal(ul.rows[0].client, "host-1");           /* newest first */
    assert_string_equal(ul.rows[0].address, "10.0.0.9");
    assert_int_equal(ul.rows[0].first_seen, t1);
    assert_int_equal(ul.rows[0].last_seen, t2);
    assert_string_equal(ul.rows[1].client, "host-2");
    assert_int_equal(ul.rows[1].cert_id, 2);
    cd_usage_list_free(&ul);
    assert_int_equal(cd_cert_usage(f->s, f->u, 3, &ul, &f->err), CD_OK);
    assert_int_equal(ul.n, 0);                                  /* refused: no usage */
    cd_usage_list_free(&ul);
    int64_t n = -1;
    assert_int_equal(cd_cert_usage_count(f->s, f->u, 2, &n, &f->err), CD_OK);
    assert_int_equal(n, 2);
    /* a client last seen long ago is not "still using" it */
    struct cd_checkin_event old = { .time = now - (CD_USAGE_RECENT_DAYS + 5) * DAY, .cert_id = 2, .name = "host-old",
                                    .address = "10.0.0.5", .accepted = 1 };
    assert_int_equal(cd_checkin_record(f->s, &old, 1, &f->err), CD_OK);
    assert_int_equal(cd_cert_usage_count(f->s, f->u, 2, &n, &f->err), CD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(cd_cert_usage(f->s, f->u, 2, &ul, &f->err), CD_OK);
    assert_int_equal(ul.n, 3);
    cd_usage_list_free(&ul);

    /* audit: the unauthenticated acceptance and the two refusals, nothing for plain check-ins */
    assert_int_equal(one(f, "SELECT count(*) FROM audit") - audit_before, 3);
    assert_int_equal(one(f, "SELECT count(*) FROM audit WHERE user = 'agent host-2' AND action = 'Agent check-in'"
                            " AND object = 'cert 2' AND result = 'Success' AND detail LIKE 'unauthenticated access%'"), 1);
    assert_int_equal(one(f, "SELECT count(*) FROM audit WHERE user = 'agent host-3' AND object = 'cert 3'"
                            " AND result = 'Forbidden' AND detail LIKE 'certificate revoked%'"), 1);
    /* a hostile name is recorded escaped */
    assert_int_equal(one(f, "SELECT count(*) FROM audit WHERE user LIKE 'agent stranger\\x1b%' AND object = 'server'"
                            " AND result = 'Forbidden' AND detail LIKE '%not issued%abcdef%'"), 1);
    assert_int_equal(one(f, "SELECT count(*) FROM audit WHERE instr(user, char(27)) > 0"), 0);
    int64_t checked = 0, bad = 0;
    assert_int_equal(cd_audit_verify(f->s, f->u, &checked, &bad, &f->err), CD_OK);
    assert_int_equal(checked, one(f, "SELECT count(*) FROM audit"));
    assert_int_equal(one(f, "SELECT last_id FROM audit_head"), one(f, "SELECT max(id) FROM audit"));
}

/* The serials (lowercase hex) a DER CRL lists; returns how many. */
static int crl_has(const unsigned char *der, size_t len, const char *serial_hex, int64_t *number)
{
    gnutls_x509_crl_t crl;
    gnutls_x509_crl_init(&crl);
    gnutls_datum_t d = { (unsigned char *)der, (unsigned)len };
    assert_int_equal(gnutls_x509_crl_import(crl, &d, GNUTLS_X509_FMT_DER), 0);
    int found = 0, n = gnutls_x509_crl_get_crt_count(crl);
    for (int i = 0; i < n; i++) {
        unsigned char s[32];
        size_t sl = sizeof s;
        time_t t;
        assert_int_equal(gnutls_x509_crl_get_crt_serial(crl, i, s, &sl, &t), 0);
        char hex[70];
        cdi_hex(s, sl, hex);
        const char *h = hex;
        while (h[0] == '0' && h[1] == '0' && strlen(h) > strlen(serial_hex)) h += 2;
        found |= !strcmp(h, serial_hex);
    }
    unsigned char num[8];
    size_t nl = sizeof num;
    unsigned crit;
    assert_int_equal(gnutls_x509_crl_get_number(crl, num, &nl, &crit), 0);
    *number = 0;
    for (size_t i = 0; i < nl; i++) *number = *number << 8 | num[i];
    gnutls_x509_crl_deinit(crl);
    return found;
}

static void test_crls(void **state)
{
    struct fx *f = *state;
    unsigned char *der = NULL;
    size_t len = 0;
    struct cd_crl_info info;
    int64_t number = 0;
    /* none stored yet: signed on demand, then kept */
    assert_int_equal(one(f, "SELECT count(*) FROM crls"), 0);
    assert_int_equal(cd_crl_current(f->s, 1, &der, &len, &info, &f->err), CD_OK);
    assert_int_equal(info.ca_id, 1);
    assert_int_equal(info.number, 1);
    assert_true(info.next_update > info.this_update);
    free(der);
    assert_int_equal(cd_crl_current(f->s, 1, &der, &len, &info, &f->err), CD_OK);
    assert_int_equal(info.number, 1);
    free(der);

    /* a revocation signs a new one before it returns, listing the serial */
    int64_t id = fx_cert(f, "to-revoke");
    assert_int_equal(cd_cert_revoke(f->s, f->u, &id, 1, 1, &f->err), CD_OK);
    assert_int_equal(one(f, "SELECT number FROM crls WHERE ca_id = 1"), 2);
    assert_int_equal(one(f, "SELECT stale FROM crls WHERE ca_id = 1"), 0);
    assert_int_equal(cd_crl_current(f->s, 1, &der, &len, &info, &f->err), CD_OK);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, id, &c, &f->err), CD_OK);
    assert_true(crl_has(der, len, c.serial, &number));
    assert_int_equal(number, 2);
    assert_int_equal(info.number, 2);
    cd_cert_clear(&c);
    free(der);

    /* a CRL left stale (its signing failed) is signed again when asked for */
    assert_int_equal(sqlite3_exec(raw(f), "UPDATE crls SET stale = 1", NULL, NULL, NULL), SQLITE_OK);
    assert_int_equal(cd_crl_current(f->s, 1, &der, &len, &info, &f->err), CD_OK);
    assert_int_equal(info.number, 3);
    free(der);

    /* a CA with a passphrase: nothing until its operator signs one */
    struct cd_ca_params p = { .subject = { .cn = "Locked CA" }, .keytype = CD_KEY_EC256, .days = 365,
                              .passphrase = "ca-pass-1" };
    int64_t ca2 = 0;
    assert_int_equal(cd_ca_new(f->s, f->u, &p, &ca2, &f->err), CD_OK);
    assert_int_equal(cd_crl_current(f->s, ca2, &der, &len, &info, &f->err), CD_E_NOTFOUND);
    assert_non_null(strstr(f->err.msg, "run certdeck crl"));
    struct cd_crl_info *idx = NULL;
    size_t n = 0;
    assert_int_equal(cd_crl_index(f->s, &idx, &n, &f->err), CD_OK);
    assert_int_equal(n, 1);
    assert_int_equal(idx[0].ca_id, 1);
    assert_int_equal(idx[0].number, 3);
    free(idx);
    struct cd_cert_params cp = { .ca_id = ca2, .ca_passphrase = "ca-pass-1", .product = CD_PRODUCT_AGENT,
                                 .subject = { .cn = "locked-leaf" }, .keytype = CD_KEY_EC256, .days = 30 };
    int64_t leaf = 0;
    assert_int_equal(cd_cert_new(f->s, f->u, &cp, 1, NULL, NULL, &leaf, &f->err), CD_OK);
    unsigned char *o = NULL;
    assert_int_equal(cd_crl(f->s, f->u, ca2, "ca-pass-1", 0, 1, &o, &len, &f->err), CD_OK);
    free(o);
    /* revoking keeps the operator's CRL (the server has no passphrase) */
    assert_int_equal(cd_cert_revoke(f->s, f->u, &leaf, 1, 1, &f->err), CD_OK);
    assert_int_equal(cd_crl_current(f->s, ca2, &der, &len, &info, &f->err), CD_OK);
    assert_int_equal(info.number, 1);
    assert_int_equal(one(f, "SELECT stale FROM crls WHERE ca_id = 2"), 1);
    assert_int_equal(cd_cert_get(f->s, f->u, leaf, &c, &f->err), CD_OK);
    assert_false(crl_has(der, len, c.serial, &number));
    free(der);
    /* until the operator signs again */
    assert_int_equal(cd_crl(f->s, f->u, ca2, "ca-pass-1", 0, 0, &o, &len, &f->err), CD_OK);
    free(o);
    assert_int_equal(cd_crl_current(f->s, ca2, &der, &len, &info, &f->err), CD_OK);
    assert_true(crl_has(der, len, c.serial, &number));
    assert_int_equal(number, 2);
    cd_cert_clear(&c);
    free(der);
    assert_int_equal(cd_crl_index(f->s, &idx, &n, &f->err), CD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(idx[1].ca_id, ca2);
    assert_int_equal(idx[1].number, 2);
    free(idx);
    assert_int_equal(cd_crl_current(f->s, 99, &der, &len, &info, &f->err), CD_E_NOTFOUND);
    assert_int_equal(audit_ok(f), CD_OK);
}

static void test_server_tls(void **state)
{
    struct fx *f = *state;
    char *chain = NULL, *key = NULL;
    assert_int_equal(cd_server_tls(f->s, 0, &chain, &key, &f->err), CD_OK);
    assert_non_null(strstr(key, "-----BEGIN PRIVATE KEY-----"));
    gnutls_x509_crt_t crts[4];
    unsigned ncrt = 4;
    gnutls_datum_t cd = { (unsigned char *)chain, (unsigned)strlen(chain) };
    assert_int_equal(gnutls_x509_crt_list_import(crts, &ncrt, &cd, GNUTLS_X509_FMT_PEM, 0), 2);
    gnutls_x509_privkey_t k;
    gnutls_x509_privkey_init(&k);
    gnutls_datum_t kd = { (unsigned char *)key, (unsigned)strlen(key) };
    assert_int_equal(gnutls_x509_privkey_import(k, &kd, GNUTLS_X509_FMT_PEM), 0);
    unsigned char a[64], b[64];
    size_t al = sizeof a, bl = sizeof b;
    assert_int_equal(gnutls_x509_crt_get_key_id(crts[0], 0, a, &al), 0);
    assert_int_equal(gnutls_x509_privkey_get_key_id(k, 0, b, &bl), 0);
    assert_int_equal(al, bl);
    assert_memory_equal(a, b, al);
    /* the leaf names loopback, the second is its CA */
    assert_true(gnutls_x509_crt_check_hostname(crts[0], "localhost"));
    assert_true(gnutls_x509_crt_check_hostname(crts[0], "127.0.0.1"));
    assert_true(gnutls_x509_crt_check_issuer(crts[0], crts[1]));
    for (unsigned i = 0; i < ncrt; i++) gnutls_x509_crt_deinit(crts[i]);
    gnutls_x509_privkey_deinit(k);
    free(chain);
    free(key);
    /* a chosen one must be a valid server certificate */
    assert_int_equal(cd_server_tls(f->s, 2, &chain, &key, &f->err), CD_E_STATE);
    assert_int_equal(cd_server_tls(f->s, 1, &chain, &key, &f->err), CD_OK);
    free(chain);
    free(key);
    int64_t one_id = 1;
    assert_int_equal(cd_cert_revoke(f->s, f->u, &one_id, 1, 4, &f->err), CD_OK);
    assert_int_equal(cd_server_tls(f->s, 1, &chain, &key, &f->err), CD_E_STATE);
    assert_int_equal(cd_server_tls(f->s, 0, &chain, &key, &f->err), CD_E_NOTFOUND);
    /* the trust list: every CA */
    struct cd_ca_params p = { .subject = { .cn = "Second CA" }, .keytype = CD_KEY_EC256, .days = 365 };
    assert_int_equal(cd_ca_new(f->s, f->u, &p, NULL, &f->err), CD_OK);
    char *pem = NULL;
    assert_int_equal(cd_trust_pem(f->s, &pem, &f->err), CD_OK);
    ncrt = 4;
    cd = (gnutls_datum_t){ (unsigned char *)pem, (unsigned)strlen(pem) };
    assert_int_equal(gnutls_x509_crt_list_import(crts, &ncrt, &cd, GNUTLS_X509_FMT_PEM, 0), 2);
    for (unsigned i = 0; i < ncrt; i++) gnutls_x509_crt_deinit(crts[i]);
    free(pem);
}

/* A schema-7 store with duplicate usage rows comes up with one per client. */
static void test_schema7_upgrade(void **state)
{
    struct fx *f = *state;
    assert_int_equal(sqlite3_exec(raw(f), FX_UNDO_SCHEMA9 "DROP TABLE crls; DROP INDEX usage_cert; CREATE INDEX usage_cert ON usage(cert_id);"
                                  "INSERT INTO usage(cert_id, client, address, first_seen, last_seen) VALUES"
                                  " (2, 'a', '1', 1, 2), (2, 'a', '2', 3, 4), (2, 'b', '3', 5, 6);"
                                  "PRAGMA user_version=7", NULL, NULL, NULL), SQLITE_OK);
    fx_reopen(f);
    assert_int_equal(one(f, "PRAGMA user_version"), SQ_SCHEMA_VERSION);
    assert_int_equal(one(f, "SELECT count(*) FROM usage"), 2);
    assert_int_equal(one(f, "SELECT count(*) FROM crls"), 0);
}

int main(void)
{
#define T(t) cmocka_unit_test_setup_teardown(t, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_valid_certificate_accepted), T(test_dates_and_revocation), T(test_foreign_and_unknown_certificates),
        T(test_client_name_checked), T(test_client_password), T(test_settings_need_the_right),
        T(test_checkin_record), T(test_crls), T(test_server_tls), T(test_schema7_upgrade),
    };
    return cmocka_run_group_tests_name("agent", tests, NULL, NULL);
}
