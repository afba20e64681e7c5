/* certdeck unit tests — renew and replace, CA rollover (certdeck/lifecycle.h):
 * the links both ways, what a renewal carries over (product, host, subject
 * RDNs, tags, group, description), the key (same or new), the refusals
 * (which leave the store as it was), the rights, bulk renewal by IDs, and
 * the rollover (successor, the valid certificates reissued under the new
 * CA and linked, revoked and expired ones left alone; refused with the
 * count and the days the new CA needs when renewals would outlive it;
 * another writer gets in while its keys are made; a certificate revoked
 * meanwhile refuses it, leaving nothing). */
#include <time.h>
#include <gnutls/x509.h>
#include <sqlite3.h>
#include "helpers.h"

static const char PW[] = "user-password-1";

static int64_t total(struct fx *f)
{
    return fx_count(f, NULL, 1);
}

/* Rows of the audit log with this action (read straight from the file). */
static int64_t audits(struct fx *f, const char *action)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM audit WHERE action = ? AND result = 'Success'",
                                        -1, &st, NULL), SQLITE_OK);
    sqlite3_bind_text(st, 1, action, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return n;
}

/* The certificate's public key id (SHA-1 of the key, GnuTLS's). */
static void key_id(struct fx *f, int64_t id, unsigned char kid[20])
{
    unsigned char *der = NULL;
    size_t len = 0;
    fx_must(f, cd_cert_export(f->s, f->u, id, CD_EXPORT_DER, NULL, &der, &len, &f->err), "export");
    gnutls_x509_crt_t crt;
    gnutls_datum_t d = { der, (unsigned)len };
    assert_int_equal(gnutls_x509_crt_init(&crt), 0);
    assert_int_equal(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_DER), 0);
    size_t sz = 20;
    assert_int_equal(gnutls_x509_crt_get_key_id(crt, 0, kid, &sz), 0);
    gnutls_x509_crt_deinit(crt);
    free(der);
}

static int64_t rich_cert(struct fx *f)
{
    const char *tags[] = { "web", "eu-west", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .host = "www.example.org,10.1.2.3",
                                .subject = { .cn = "www.example.org", .o = "Example Ltd", .ou = "Ops",
                                             .l = "Bratislava", .st = "BA", .c = "SK" },
                                .description = "the shop front", .tags = tags, .group = "/All/Web",
                                .keytype = CD_KEY_EC256, .days = 90 };
    int64_t id = 0;
    fx_must(f, cd_group_add(f->s, f->u, "/All/Web", &f->err), "group");
    fx_must(f, cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err), "cert");
    return id;
}

static void test_renew_carries_and_links(void **state)
{
    struct fx *f = *state;
    int64_t old = rich_cert(f), nid = 0;
    struct cd_renew_params p = { 0 };
    int64_t before = audits(f, "Renew certificate");
    fx_must(f, cd_cert_renew(f->s, f->u, &p, &old, 1, NULL, NULL, &nid, &f->err), "renew");
    assert_true(nid > old);
    assert_int_equal(audits(f, "Renew certificate"), before + 1);
    struct cd_cert a = { 0 }, b = { 0 };
    fx_must(f, cd_cert_get(f->s, f->u, old, &a, &f->err), "get old");
    fx_must(f, cd_cert_get(f->s, f->u, nid, &b, &f->err), "get new");
    assert_int_equal(a.replaced_by, nid);
    assert_int_equal(a.replaces, 0);
    assert_int_equal(b.replaces, old);
    assert_int_equal(b.replaced_by, 0);
    assert_int_equal(a.revoked_at, 0);                /* the old one stays valid */
    assert_string_equal(a.product, b.product);
    assert_string_equal(a.host, b.host);
    assert_string_equal(a.subject, b.subject);
    assert_non_null(strstr(b.subject, "OU=Ops"));
    assert_non_null(strstr(b.subject, "L=Bratislava"));
    assert_string_equal(a.description, b.description);
    assert_string_equal(a.group, b.group);
    assert_string_equal(a.tags, b.tags);
    assert_string_equal(a.key_alg, b.key_alg);
    assert_int_equal(b.ca_id, 1);
    assert_int_equal(b.has_key, 1);
    assert_string_not_equal(a.serial, b.serial);
    /* the old lifetime (90 days), from now minus a day */
    assert_int_equal(b.not_after - b.not_before, a.not_after - a.not_before);
    assert_true(llabs(b.not_before - ((int64_t)time(NULL) - 86400)) < 120);
    unsigned char k1[20], k2[20];
    key_id(f, old, k1);
    key_id(f, nid, k2);
    assert_memory_not_equal(k1, k2, 20);             /* a new key */
    /* the filter sees the link */
    assert_int_equal(fx_count(f, "replaced:yes", 1), 1);
    assert_int_equal(fx_count(f, "replaced:no", 1), total(f) - 1);
    cd_cert_clear(&a);
    cd_cert_clear(&b);
}

static void test_same_key_and_days(void **state)
{
    struct fx *f = *state;
    int64_t old = fx_cert(f, "same-key"), nid = 0;
    struct cd_renew_params p = { .same_key = 1, .days = 10 };
    fx_must(f, cd_cert_renew(f->s, f->u, &p, &old, 1, NULL, NULL, &nid, &f->err), "renew");
    unsigned char k1[20], k2[20];
    key_id(f, old, k1);
    key_id(f, nid, k2);
    assert_memory_equal(k1, k2, 20);
    struct cd_cert b = { 0 };
    fx_must(f, cd_cert_get(f->s, f->u, nid, &b, &f->err), "get");
    assert_int_equal(b.not_after - b.not_before, 10 * 86400);
    cd_cert_clear(&b);
    /* the key went into the new row sealed under the new fingerprint: it exports */
    unsigned char *out = NULL;
    size_t len = 0;
    fx_must(f, cd_cert_export(f->s, f->u, nid, CD_EXPORT_KEY, "export-pass-1", &out, &len, &f->err), "key");
    assert_true(len > 0);
    free(out);
}

/* --ca: the renewal comes from another CA, its passphrase given */
static void test_other_ca(void **state)
{
    struct fx *f = *state;
    int64_t old = fx_cert(f, "moving"), ca2 = 0, nid = 0;
    struct cd_ca_params cp = { .subject = { .cn = "Second CA" }, .keytype = CD_KEY_EC256, .passphrase = "ca-pass-12345" };
    fx_must(f, cd_ca_new(f->s, f->u, &cp, &ca2, &f->err), "ca");
    struct cd_renew_params p = { .ca_id = ca2 };
    assert_int_equal(cd_cert_renew(f->s, f->u, &p, &old, 1, NULL, NULL, &nid, &f->err), CD_E_PASSPHRASE);
    p.ca_passphrase = "ca-pass-12345";
    fx_must(f, cd_cert_renew(f->s, f->u, &p, &old, 1, NULL, NULL, &nid, &f->err), "renew");
    struct cd_cert b = { 0 };
    fx_must(f, cd_cert_get(f->s, f->u, nid, &b, &f->err), "get");
    assert_int_equal(b.ca_id, ca2);
    assert_int_equal(b.replaces, old);
    assert_non_null(strstr(b.issuer, "Second CA"));
    cd_cert_clear(&b);
}

static void test_refusals_change_nothing(void **state)
{
    struct fx *f = *state;
    int64_t ok = fx_cert(f, "fine"), rev = fx_cert(f, "revoked"), nid = 0;
    fx_must(f, cd_cert_revoke(f->s, f->u, &rev, 1, 4, &f->err), "revoke");
    int64_t n0 = total(f), r0 = audits(f, "Renew certificate");
    struct cd_renew_params p = { 0 };
    int64_t ids[2] = { ok, rev };
    assert_int_equal(cd_cert_renew(f->s, f->u, &p, ids, 2, NULL, NULL, NULL, &f->err), CD_E_STATE);
    assert_non_null(strstr(f->err.msg, "revoked"));
    int64_t twice[2] = { ok, ok };
    assert_int_equal(cd_cert_renew(f->s, f->u, &p, twice, 2, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    int64_t missing = 99999;
    assert_int_equal(cd_cert_renew(f->s, f->u, &p, &missing, 1, NULL, NULL, NULL, &f->err), CD_E_NOTFOUND);
    /* longer than the CA lives */
    struct cd_renew_params longp = { .days = 36500 };
    assert_int_equal(cd_cert_renew(f->s, f->u, &longp, &ok, 1, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    assert_non_null(strstr(f->err.msg, "after CA"));
    assert_int_equal(total(f), n0);
    assert_int_equal(audits(f, "Renew certificate"), r0);
    assert_int_equal(fx_count(f, "replaced:yes", 1), 0);
    /* renewed once: the old one is refused, its successor is not */
    fx_must(f, cd_cert_renew(f->s, f->u, &p, &ok, 1, NULL, NULL, &nid, &f->err), "renew");
    assert_int_equal(cd_cert_renew(f->s, f->u, &p, &ok, 1, NULL, NULL, NULL, &f->err), CD_E_STATE);
    assert_non_null(strstr(f->err.msg, "already replaced"));
    int64_t n1 = total(f);
    int64_t third = 0;
    fx_must(f, cd_cert_renew(f->s, f->u, &p, &nid, 1, NULL, NULL, &third, &f->err), "renew the renewal");
    assert_int_equal(total(f), n1 + 1);
    /* no stored key (signed from a request: the key is the client's): renewed for the same public key, with
     * same_key too, and still no key here */
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
    char sql[96];
    snprintf(sql, sizeof sql, "UPDATE certs SET key = X'' WHERE id = %lld", (long long)third);
    assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    struct cd_renew_params same = { .same_key = 1 };
    int64_t fourth = 0;
    fx_must(f, cd_cert_renew(f->s, f->u, &same, &third, 1, NULL, NULL, &fourth, &f->err), "renew a key-less one");
    assert_int_equal(total(f), n1 + 2);
    struct cd_cert a, b;
    fx_must(f, cd_cert_get(f->s, f->u, third, &a, &f->err), "get");
    fx_must(f, cd_cert_get(f->s, f->u, fourth, &b, &f->err), "get");
    assert_int_equal(b.has_key, 0);
    assert_string_equal(a.key_alg, b.key_alg);
    cd_cert_clear(&a);
    cd_cert_clear(&b);
}

static void test_rights(void **state)
{
    struct fx *f = *state;
    int64_t old = fx_cert(f, "guarded");
    const char *g[] = { "/All" };
    int lv[CD_OT_COUNT];
    for (int t = 0; t < CD_OT_COUNT; t++) lv[t] = CD_RIGHT_READ;
    fx_must(f, cd_user_add(f->s, f->u, "reader", "/All", PW, &f->err), "user");
    fx_must(f, cd_user_add(f->s, f->u, "nobody", "/All", PW, &f->err), "user");
    fx_must(f, cd_permset_add(f->s, f->u, "readers", g, 1, lv, &f->err), "set");
    fx_must(f, cd_permset_grant(f->s, f->u, "readers", "reader", 1, &f->err), "grant");
    cd_user *r = NULL, *nb = NULL;
    fx_must(f, cd_user_login(f->s, "reader", PW, &r, &f->err), "login");
    fx_must(f, cd_user_login(f->s, "nobody", PW, &nb, &f->err), "login");
    int64_t n0 = total(f);
    struct cd_renew_params p = { 0 };
    assert_int_equal(cd_cert_renew(f->s, r, &p, &old, 1, NULL, NULL, NULL, &f->err), CD_E_FORBIDDEN);
    int rc = cd_cert_renew(f->s, nb, &p, &old, 1, NULL, NULL, NULL, &f->err);
    assert_true(rc == CD_E_NOTFOUND || rc == CD_E_FORBIDDEN);
    assert_int_equal(total(f), n0);
    cd_user_free(r);
    cd_user_free(nb);
}

static void count_progress(void *ctx, size_t done, size_t n)
{
    size_t *last = ctx;
    assert_true(done <= n);
    assert_true(done > *last);
    *last = done;
}

static void test_bulk_by_ids(void **state)
{
    struct fx *f = *state;
    enum { N = 600 };
    int64_t *ids = calloc(N, sizeof *ids), *nids = calloc(N, sizeof *nids);
    const char *tags[] = { "fleet", NULL };
    struct cd_cert_params cp = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .host = "node.example.org",
                                 .subject = { .cn = "node", .o = "Fleet Ltd", .c = "SK" },
                                 .keytype = CD_KEY_EC256, .days = 60, .tags = tags };
    fx_must(f, cd_cert_new(f->s, f->u, &cp, N, NULL, NULL, ids, &f->err), "bulk");
    int64_t r0 = audits(f, "Renew certificate");
    size_t last = 0;
    struct cd_renew_params p = { 0 };
    fx_must(f, cd_cert_renew(f->s, f->u, &p, ids, N, count_progress, &last, nids, &f->err), "bulk renew");
    assert_int_equal(last, N);
    assert_int_equal(audits(f, "Renew certificate"), r0 + N);
    assert_int_equal(fx_count(f, "replaced:yes", 1), N);
    assert_int_equal(fx_count(f, "tag:fleet", 1), 2 * N);
    for (size_t i = 0; i < N; i += 97) {
        struct cd_cert a = { 0 }, b = { 0 };
        fx_must(f, cd_cert_get(f->s, f->u, ids[i], &a, &f->err), "get");
        fx_must(f, cd_cert_get(f->s, f->u, nids[i], &b, &f->err), "get");
        assert_int_equal(b.replaces, ids[i]);
        assert_int_equal(a.replaced_by, nids[i]);
        assert_string_equal(a.cn, b.cn);
        assert_string_equal(a.subject, b.subject);     /* made by the template (pki.c) or not */
        assert_string_equal(a.host, b.host);
        assert_string_equal(a.key_alg, b.key_alg);
        assert_int_equal(b.not_after - b.not_before, a.not_after - a.not_before);
        assert_string_not_equal(a.fingerprint, b.fingerprint);
        cd_cert_clear(&a);
        cd_cert_clear(&b);
    }
    /* the search index has the new rows */
    assert_int_equal(fx_count(f, "node-000600", 1), 2);
    free(ids);
    free(nids);
}

static void test_rollover(void **state)
{
    struct fx *f = *state;
    int64_t valid = fx_cert(f, "valid"), rev = fx_cert(f, "gone"), exp = 0;
    fx_must(f, cd_cert_revoke(f->s, f->u, &rev, 1, 4, &f->err), "revoke");
    int64_t now = (int64_t)time(NULL);
    struct cd_cert_params ep = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "expired" },
                                 .keytype = CD_KEY_EC256, .not_before = now - 3600, .not_after = now - 60 };
    fx_must(f, cd_cert_new(f->s, f->u, &ep, 1, NULL, NULL, &exp, &f->err), "expired");
    struct cd_ca_params cp = { .subject = { .cn = "Next CA" }, .keytype = CD_KEY_EC256, .days = 3650 };
    int64_t nca = 0;
    size_t reissued = 0;
    size_t last = 0;
    fx_must(f, cd_ca_rollover(f->s, f->u, 1, &cp, count_progress, &last, &nca, &reissued, &f->err), "rollover");
    assert_true(nca > 1);
    assert_true(reissued >= 1);
    assert_int_equal(last, reissued);
    assert_int_equal(audits(f, "Roll over CA"), 1);
    struct cd_ca a = { 0 }, b = { 0 };
    fx_must(f, cd_ca_get(f->s, f->u, 1, &a, &f->err), "ca");
    fx_must(f, cd_ca_get(f->s, f->u, nca, &b, &f->err), "ca");
    assert_int_equal(a.successor, nca);
    assert_int_equal(b.predecessor, 1);
    assert_int_equal((size_t)b.cert_count, reissued);
    cd_ca_clear(&a);
    cd_ca_clear(&b);
    struct cd_cert c = { 0 }, d = { 0 };
    fx_must(f, cd_cert_get(f->s, f->u, valid, &c, &f->err), "get");
    assert_true(c.replaced_by > 0);
    fx_must(f, cd_cert_get(f->s, f->u, c.replaced_by, &d, &f->err), "get");
    assert_int_equal(d.ca_id, nca);
    assert_int_equal(d.replaces, valid);
    assert_non_null(strstr(d.issuer, "Next CA"));
    cd_cert_clear(&c);
    cd_cert_clear(&d);
    fx_must(f, cd_cert_get(f->s, f->u, rev, &c, &f->err), "get");
    assert_int_equal(c.replaced_by, 0);
    cd_cert_clear(&c);
    fx_must(f, cd_cert_get(f->s, f->u, exp, &c, &f->err), "get");
    assert_int_equal(c.replaced_by, 0);
    cd_cert_clear(&c);
    /* every reissued one links back to a certificate of CA 1 */
    assert_int_equal(fx_count(f, "replaced:yes", 1), (int64_t)reissued);
    /* a second rollover of the same CA is refused, and changes nothing */
    int64_t n0 = total(f);
    assert_int_equal(cd_ca_rollover(f->s, f->u, 1, &cp, NULL, NULL, NULL, NULL, &f->err), CD_E_STATE);
    assert_int_equal(total(f), n0);
}

/* a rollover is all or nothing: a renewal that does not fit the new CA, or
 * a user without the rights, leaves no new CA and no successor */
static void test_rollover_refusals(void **state)
{
    struct fx *f = *state;
    fx_cert(f, "thirty-days");
    struct cd_ca_list l0 = { 0 }, l1 = { 0 };
    struct cd_query q = { 0 };
    fx_must(f, cd_ca_list(f->s, f->u, &q, &l0, &f->err), "cas");
    int64_t n0 = total(f);
    struct cd_ca_params cp = { .subject = { .cn = "Too short" }, .keytype = CD_KEY_EC256, .days = 2 };
    assert_int_equal(cd_ca_rollover(f->s, f->u, 1, &cp, NULL, NULL, NULL, NULL, &f->err), CD_E_INVAL);
    /* every offender counted, the first named, the days the new CA needs */
    assert_non_null(strstr(f->err.msg, "would outlive the new CA"));
    assert_non_null(strstr(f->err.msg, "the first, cert "));
    assert_non_null(strstr(f->err.msg, "--days "));
    const char *g[] = { "/All" };
    int lv[CD_OT_COUNT];
    for (int t = 0; t < CD_OT_COUNT; t++) lv[t] = CD_RIGHT_READ;
    fx_must(f, cd_user_add(f->s, f->u, "viewer", "/All", PW, &f->err), "user");
    fx_must(f, cd_permset_add(f->s, f->u, "viewers", g, 1, lv, &f->err), "set");
    fx_must(f, cd_permset_grant(f->s, f->u, "viewers", "viewer", 1, &f->err), "grant");
    cd_user *v = NULL;
    fx_must(f, cd_user_login(f->s, "viewer", PW, &v, &f->err), "login");
    cp.days = 3650;
    assert_int_equal(cd_ca_rollover(f->s, v, 1, &cp, NULL, NULL, NULL, NULL, &f->err), CD_E_FORBIDDEN);
    cd_user_free(v);
    fx_must(f, cd_ca_list(f->s, f->u, &q, &l1, &f->err), "cas");
    assert_int_equal(l1.n, l0.n);
    assert_int_equal(total(f), n0);
    struct cd_ca a = { 0 };
    fx_must(f, cd_ca_get(f->s, f->u, 1, &a, &f->err), "ca");
    assert_int_equal(a.successor, 0);
    cd_ca_clear(&a);
    cd_ca_list_free(&l0);
    cd_ca_list_free(&l1);
    assert_int_equal(audits(f, "Roll over CA"), 0);
}

/* Another writer during a rollover: a second handle on the same store,
 * called back from the rollover's progress (its renewals are being made). */
struct other {
    const char *path;
    int mode;                   /* 0: describe CA 1; 1: revoke cert `victim` */
    int64_t victim;
    int calls, rc;
    size_t cas_seen;            /* CAs the other handle saw meanwhile */
};

static void other_writer(void *ctx, size_t done, size_t n)
{
    struct other *o = ctx;
    (void)done; (void)n;
    if (o->calls++) return;
    cd_store *s = NULL;
    cd_user *u = NULL;
    struct cd_err e = { 0 };
    struct cd_ca_list l = { 0 };
    struct cd_query q = { 0 };
    o->rc = cd_store_open(o->path, 0, &s, &e);
    if (!o->rc) o->rc = cd_user_owner(s, &u, &e);
    if (!o->rc) o->rc = o->mode ? cd_cert_revoke(s, u, &o->victim, 1, 4, &e)
                                : cd_ca_describe(s, u, 1, "described meanwhile", &e);
    if (!o->rc) o->rc = cd_ca_list(s, u, &q, &l, &e);
    o->cas_seen = l.n;
    cd_ca_list_free(&l);
    cd_user_free(u);
    cd_store_close(s);
}

/* The rollover's keys are made with no write lock held: another writer
 * gets in while it runs (before, it waited the busy timeout and failed),
 * and the rollover, committed after it, keeps what it wrote. */
static void test_rollover_lets_writers_in(void **state)
{
    struct fx *f = *state;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "many" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    fx_must(f, cd_cert_new(f->s, f->u, &p, 40, NULL, NULL, NULL, &f->err), "issue");
    struct other o = { .path = f->path };
    struct cd_ca_params cp = { .subject = { .cn = "Next CA" }, .keytype = CD_KEY_EC256, .days = 3650 };
    int64_t nca = 0;
    size_t reissued = 0;
    fx_must(f, cd_ca_rollover(f->s, f->u, 1, &cp, other_writer, &o, &nca, &reissued, &f->err), "rollover");
    assert_true(o.calls > 0);
    assert_int_equal(o.rc, CD_OK);              /* the other writer got in ... */
    assert_int_equal(o.cas_seen, 1);            /* ... before the rollover's CA was stored */
    assert_true(reissued >= 40);
    struct cd_ca a = { 0 };
    fx_must(f, cd_ca_get(f->s, f->u, 1, &a, &f->err), "ca");
    assert_string_equal(a.description, "described meanwhile");
    assert_int_equal(a.successor, nca);
    cd_ca_clear(&a);
}

/* A certificate of the old CA revoked while the renewals were made: the
 * whole rollover is refused (it would have reissued a revoked one), and
 * nothing of it is stored; run again, it reissues the rest. */
static void test_rollover_changed_meanwhile(void **state)
{
    struct fx *f = *state;
    int64_t victim = fx_cert(f, "victim");
    struct cd_ca_list l0 = { 0 }, l1 = { 0 };
    struct cd_query q = { 0 };
    fx_must(f, cd_ca_list(f->s, f->u, &q, &l0, &f->err), "cas");
    int64_t n0 = total(f);
    struct other o = { .path = f->path, .mode = 1, .victim = victim };
    struct cd_ca_params cp = { .subject = { .cn = "Next CA" }, .keytype = CD_KEY_EC256, .days = 3650 };
    assert_int_equal(cd_ca_rollover(f->s, f->u, 1, &cp, other_writer, &o, NULL, NULL, &f->err), CD_E_STATE);
    assert_int_equal(o.rc, CD_OK);
    assert_non_null(strstr(f->err.msg, "changed while the rollover was prepared"));
    assert_non_null(strstr(f->err.msg, "run the rollover again"));
    fx_must(f, cd_ca_list(f->s, f->u, &q, &l1, &f->err), "cas");
    assert_int_equal(l1.n, l0.n);
    assert_int_equal(total(f), n0);
    assert_int_equal(audits(f, "Roll over CA"), 0);
    struct cd_ca a = { 0 };
    fx_must(f, cd_ca_get(f->s, f->u, 1, &a, &f->err), "ca");
    assert_int_equal(a.successor, 0);
    cd_ca_clear(&a);
    cd_ca_list_free(&l0);
    cd_ca_list_free(&l1);
    /* again: the revoked one is left alone, the others reissued */
    size_t reissued = 0;
    int64_t nca = 0;
    fx_must(f, cd_ca_rollover(f->s, f->u, 1, &cp, NULL, NULL, &nca, &reissued, &f->err), "rollover");
    struct cd_cert c = { 0 };
    fx_must(f, cd_cert_get(f->s, f->u, victim, &c, &f->err), "get");
    assert_int_equal(c.replaced_by, 0);
    cd_cert_clear(&c);
    assert_int_equal(fx_count(f, "replaced:yes", 1), (int64_t)reissued);
}

int main(void)
{
    const struct CMUnitTest t[] = {
        cmocka_unit_test_setup_teardown(test_renew_carries_and_links, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_same_key_and_days, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_other_ca, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_refusals_change_nothing, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rights, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_bulk_by_ids, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover_refusals, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover_lets_writers_in, fx_setup, fx_teardown),
        cmocka_unit_test_setup_teardown(test_rollover_changed_meanwhile, fx_setup, fx_teardown),
    };
    return cmocka_run_group_tests(t, NULL, NULL);
}
