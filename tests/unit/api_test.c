/* certdeck unit tests — the console API and the https backend, end to end
 * in process: an https-backend store (cdi_https_open_local) whose requests
 * cd_api_handle answers on a fresh local store.  Every call through it must
 * give what the same call on the local store gives; the API itself must
 * refuse bad input with 400 and change nothing. */
#include "helpers.h"
#include "https_int.h"

struct afx { struct fx f; cd_store *r; cd_user *ru; };

static int afx_setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct afx *a = calloc(1, sizeof *a);
    a->f = *(struct fx *)*state;
    free(*state);
    *state = a;
    if (cdi_https_open_local(a->f.s, a->f.u, 0, &a->r, &a->f.err)) return -1;
    return cd_user_owner(a->r, &a->ru, &a->f.err) ? -1 : 0;
}

static int afx_teardown(void **state)
{
    struct afx *a = *state;
    cd_user_free(a->ru);
    cd_store_close(a->r);
    struct fx *f = malloc(sizeof *f);
    *f = a->f;
    free(a);
    *state = f;
    return fx_teardown(state);
}

#define OK(call) do { int rc_ = (call); if (rc_) fail_msg("%s: %s", #call, cd_errmsg(&f->err, rc_)); } while (0)

static void same_cert(const struct cd_cert *x, const struct cd_cert *y)
{
    assert_int_equal(x->id, y->id);
    assert_int_equal(x->ca_id, y->ca_id);
    const char *const xs[] = { x->description, x->product, x->host, x->cn, x->subject, x->issuer, x->serial,
                               x->fingerprint, x->key_alg, x->tags, x->group, x->revoke_reason };
    const char *const ys[] = { y->description, y->product, y->host, y->cn, y->subject, y->issuer, y->serial,
                               y->fingerprint, y->key_alg, y->tags, y->group, y->revoke_reason };
    for (size_t i = 0; i < sizeof xs / sizeof xs[0]; i++) assert_string_equal(xs[i], ys[i]);
    assert_int_equal(x->not_before, y->not_before);
    assert_int_equal(x->not_after, y->not_after);
    assert_int_equal(x->revoked_at, y->revoked_at);
    assert_int_equal(x->state, y->state);
    assert_int_equal(x->has_passphrase, y->has_passphrase);
}

/* The same query on both stores gives the same rows. */
static void same_list(struct afx *a, const struct cd_query *q)
{
    struct fx *f = &a->f;
    struct cd_cert_list l = { 0 }, r = { 0 };
    OK(cd_cert_list(f->s, f->u, q, &l, &f->err));
    OK(cd_cert_list(a->r, a->ru, q, &r, &f->err));
    assert_int_equal(l.n, r.n);
    for (size_t i = 0; i < l.n; i++) same_cert(&l.rows[i], &r.rows[i]);
    int64_t nl = -1, nr = -2;
    OK(cd_cert_count(f->s, f->u, q, &nl, &f->err));
    OK(cd_cert_count(a->r, a->ru, q, &nr, &f->err));
    assert_int_equal(nl, nr);
    cd_cert_list_free(&l);
    cd_cert_list_free(&r);
}

/* Audit records of action by user (newest first, local store). */
static int64_t audit_count(struct fx *f, const char *user, const char *action, const char *result)
{
    struct cd_audit_list al;
    OK(cd_audit_list(f->s, f->u, NULL, NULL, 0, &al, &f->err));
    int64_t n = 0;
    for (size_t i = 0; i < al.n; i++)
        n += !strcmp(al.rows[i].user, user) && !strcmp(al.rows[i].action, action) &&
             (!result || !strcmp(al.rows[i].result, result));
    cd_audit_list_free(&al);
    return n;
}

static void test_me(void **state)
{
    struct afx *a = *state;
    assert_true(cd_store_remote(a->r));
    assert_false(cd_store_remote(a->f.s));
    assert_int_equal(a->ru->id, a->f.u->id);
    assert_string_equal(cd_user_name(a->ru), cd_user_name(a->f.u));
    assert_int_equal(cd_user_is_admin(a->ru), 1);
    assert_int_equal(a->ru->home_group, a->f.u->home_group);
    assert_false(cd_store_readonly(a->r));
    struct cd_err e = { 0 };
    assert_int_equal(cd_store_init(a->r, "admin", &e), CD_E_UNSUPPORTED);
}

static void test_lists(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    const char *cns[] = { "web-b", "web-a", "db-1", "zeta" };
    for (size_t i = 0; i < 4; i++) fx_cert(f, cns[i]);
    struct cd_query qs[] = {
        { 0 },
        { .revoked = 1 },
        { .sort = CD_COL_CN },
        { .sort = CD_COL_CN, .desc = 1, .offset = 1, .limit = 3 },
        { .filter = "web" },
        { .filter = "cn=zeta" },
        { .filter = "id>2", .sort = CD_COL_VALID_TO, .limit = 2 },
        { .group = "/All" },
    };
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) same_list(a, &qs[i]);
    /* a filter error keeps its status and its position */
    struct cd_query bad = { .filter = "id>2 and (cn=x" };
    struct cd_cert_list l;
    struct cd_err el = { 0 }, er = { 0 };
    int rl = cd_cert_list(f->s, f->u, &bad, &l, &el), rr = cd_cert_list(a->r, a->ru, &bad, &l, &er);
    assert_int_equal(rl, CD_E_FILTER);
    assert_int_equal(rr, rl);
    assert_string_equal(er.msg, el.msg);
    assert_int_equal(er.pos, el.pos);
    assert_true(er.pos > 1);
    /* a missing group: same answer */
    struct cd_query nog = { .group = "/All/nowhere" };
    rl = cd_cert_list(f->s, f->u, &nog, &l, &el);
    rr = cd_cert_list(a->r, a->ru, &nog, &l, &er);
    assert_int_equal(rr, rl);
    assert_string_equal(er.msg, el.msg);
    /* resolve by a fingerprint prefix (with a colon: never read as an ID) */
    struct cd_cert c;
    OK(cd_cert_get(f->s, f->u, 5, &c, &f->err));
    int64_t id = 0;
    char pre[16];
    snprintf(pre, sizeof pre, "%.2s:%.6s", c.fingerprint, c.fingerprint + 2);
    OK(cd_resolve(a->r, a->ru, CD_KIND_CERT, pre, &id, &f->err));
    assert_int_equal(id, 5);
    cd_cert_clear(&c);
    assert_int_equal(cd_resolve(a->r, a->ru, CD_KIND_CERT, "999", &id, &er), CD_E_NOTFOUND);
}

static void test_get_text_export(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    struct cd_cert x, y;
    OK(cd_cert_get(f->s, f->u, 2, &x, &f->err));
    OK(cd_cert_get(a->r, a->ru, 2, &y, &f->err));
    same_cert(&x, &y);
    cd_cert_clear(&x);
    cd_cert_clear(&y);
    struct cd_err e = { 0 }, e2 = { 0 };
    assert_int_equal(cd_cert_get(a->r, a->ru, 77, &y, &e), CD_E_NOTFOUND);
    assert_int_equal(cd_cert_get(f->s, f->u, 77, &x, &e2), CD_E_NOTFOUND);
    assert_string_equal(e.msg, e2.msg);

    char *t1 = NULL, *t2 = NULL;
    OK(cd_cert_text(f->s, f->u, 2, &t1, &f->err));
    OK(cd_cert_text(a->r, a->ru, 2, &t2, &f->err));
    assert_string_equal(t1, t2);
    free(t1);
    free(t2);

    for (int fmt = CD_EXPORT_PEM; fmt <= CD_EXPORT_CHAIN; fmt++) {
        unsigned char *d1, *d2;
        size_t n1, n2;
        OK(cd_cert_export(f->s, f->u, 2, fmt, NULL, &d1, &n1, &f->err));
        OK(cd_cert_export(a->r, a->ru, 2, fmt, NULL, &d2, &n2, &f->err));
        assert_int_equal(n1, n2);
        assert_memory_equal(d1, d2, n1);
        free(d1);
        free(d2);
    }
    /* a key leaves as PKCS#12 under a passphrase, audited once, by the server */
    int64_t before = audit_count(f, "admin", "Export certificate", "Success");
    unsigned char *p12;
    size_t n;
    OK(cd_cert_export(a->r, a->ru, 2, CD_EXPORT_PFX, "export-pass-1", &p12, &n, &f->err));
    assert_true(n > 100);
    assert_int_equal(p12[0], 0x30);        /* DER SEQUENCE */
    free(p12);
    assert_int_equal(audit_count(f, "admin", "Export certificate", "Success"), before + 1);
    char *pem;
    size_t pn;
    OK(cd_ca_export(a->r, a->ru, 1, &pem, &pn, &f->err));
    assert_non_null(strstr(pem, "BEGIN CERTIFICATE"));
    assert_int_equal(strlen(pem), pn);
    free(pem);
}

static int progress_calls;
static void progress(void *ctx, size_t done, size_t total)
{
    (void)ctx;
    /* one request: its start (0) and its end only */
    assert_true(done == 0 || done == total);
    progress_calls += done == total;
}

static void test_mutations(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    OK(cd_group_add(a->r, a->ru, "/All/Remote", &f->err));
    const char *tags[] = { "remote", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_SERVER, .host = "web.example.org",
                                .subject = { .cn = "made-remotely", .o = "Org" }, .description = "über",
                                .tags = tags, .group = "/All/Remote", .keytype = CD_KEY_EC256, .days = 10 };
    int64_t ids[2] = { 0 };
    OK(cd_cert_new(a->r, a->ru, &p, 2, progress, NULL, ids, &f->err));
    assert_int_equal(progress_calls, 1);
    assert_true(ids[0] > 3 && ids[1] == ids[0] + 1);
    struct cd_cert c;
    OK(cd_cert_get(f->s, f->u, ids[0], &c, &f->err));
    assert_string_equal(c.group, "/All/Remote");
    assert_string_equal(c.tags, "remote");
    assert_string_equal(c.description, "über");
    cd_cert_clear(&c);
    assert_true(audit_count(f, "admin", "Create certificate", "Success") >= 1);

    /* a refusal keeps the core's status and message */
    struct cd_err e = { 0 };
    p.subject.cn = "";
    assert_int_equal(cd_cert_new(a->r, a->ru, &p, 1, NULL, NULL, NULL, &e), CD_E_INVAL);
    p.subject.cn = "x";
    p.ca_id = 99;
    assert_int_equal(cd_cert_new(a->r, a->ru, &p, 1, NULL, NULL, NULL, &e), CD_E_NOTFOUND);

    OK(cd_cert_describe(a->r, a->ru, ids[0], "described remotely", &f->err));
    OK(cd_cert_move(a->r, a->ru, ids, 2, "/All", &f->err));
    OK(cd_cert_revoke(a->r, a->ru, &ids[1], 1, 1, &f->err));
    OK(cd_cert_get(f->s, f->u, ids[1], &c, &f->err));
    assert_int_equal(c.state, CD_STATE_REVOKED);
    assert_string_equal(c.revoke_reason, "keyCompromise");
    assert_string_equal(c.group, "/All");
    cd_cert_clear(&c);
    assert_int_equal(cd_cert_revoke(a->r, a->ru, &ids[1], 1, 1, &e), CD_E_STATE);

    struct cd_ca_params cp = { .subject = { .cn = "Remote CA" }, .description = "d", .keytype = CD_KEY_EC256,
                               .days = 100, .passphrase = "ca-pass-123" };
    int64_t ca = 0;
    OK(cd_ca_new(a->r, a->ru, &cp, &ca, &f->err));
    struct cd_ca x, y;
    OK(cd_ca_get(f->s, f->u, ca, &x, &f->err));
    OK(cd_ca_get(a->r, a->ru, ca, &y, &f->err));
    assert_string_equal(x.fingerprint, y.fingerprint);
    assert_int_equal(y.has_passphrase, 1);
    assert_int_equal(y.state, x.state);
    cd_ca_clear(&x);
    cd_ca_clear(&y);
    OK(cd_ca_describe(a->r, a->ru, ca, "remote CA", &f->err));
    OK(cd_ca_move(a->r, a->ru, ca, "/All/Remote", &f->err));
    struct cd_ca_list cl1, cl2;
    OK(cd_ca_list(f->s, f->u, NULL, &cl1, &f->err));
    OK(cd_ca_list(a->r, a->ru, NULL, &cl2, &f->err));
    assert_int_equal(cl1.n, cl2.n);
    for (size_t i = 0; i < cl1.n; i++) {
        assert_int_equal(cl1.rows[i].id, cl2.rows[i].id);
        assert_string_equal(cl1.rows[i].group, cl2.rows[i].group);
        assert_string_equal(cl1.rows[i].description, cl2.rows[i].description);
    }
    cd_ca_list_free(&cl1);
    cd_ca_list_free(&cl2);

    /* a CRL needs the CA's passphrase, sent in the body */
    unsigned char *der;
    size_t n;
    assert_int_equal(cd_crl(a->r, a->ru, ca, "wrong", 7, 0, &der, &n, &e), CD_E_PASSPHRASE);
    OK(cd_crl(a->r, a->ru, ca, "ca-pass-123", 7, 0, &der, &n, &f->err));
    assert_true(n > 50);
    assert_int_equal(der[0], 0x30);
    free(der);

    /* import the CA's certificate back as a public-only CA: refused as a duplicate */
    char *pem;
    size_t pn;
    OK(cd_ca_export(a->r, a->ru, 1, &pem, &pn, &f->err));
    assert_int_equal(cd_ca_import(a->r, a->ru, pem, pn, "again", NULL, &ca, &e), CD_E_EXISTS);
    free(pem);
    OK(cd_ca_delete(a->r, a->ru, ca, &f->err));
    assert_int_equal(cd_ca_get(f->s, f->u, ca, &x, &e), CD_E_NOTFOUND);
}

static void test_tags_groups_presets_state(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    OK(cd_tag_create(a->r, a->ru, "  spaced  ", &f->err));
    int64_t ids[] = { 1, 2 };
    OK(cd_tag_set(a->r, a->ru, CD_KIND_CERT, ids, 2, "spaced", 1, &f->err));
    OK(cd_tag_set(a->r, a->ru, CD_KIND_CA, ids, 1, "ca-tag", 1, &f->err));
    assert_int_equal(fx_count(f, "tag:spaced", 0), 2);
    OK(cd_tag_set(a->r, a->ru, CD_KIND_CERT, ids, 1, "spaced", 0, &f->err));
    struct cd_tag_list t;
    OK(cd_tag_list(a->r, a->ru, &t, &f->err));
    assert_int_equal(t.n, 2);
    int seen = 0;
    for (size_t i = 0; i < t.n; i++)
        if (!strcmp(t.rows[i].name, "spaced")) { seen = 1; assert_int_equal(t.rows[i].certs, 1); }
    assert_true(seen);
    cd_tag_list_free(&t);
    OK(cd_tag_delete(a->r, a->ru, "spaced", &f->err));
    struct cd_err e = { 0 };
    assert_int_equal(cd_tag_delete(a->r, a->ru, "spaced", &e), CD_E_NOTFOUND);

    OK(cd_group_add(a->r, a->ru, "/All/G1", &f->err));
    OK(cd_group_add(a->r, a->ru, "/All/G1/Sub", &f->err));
    assert_int_equal(cd_group_add(a->r, a->ru, "/All/G1", &e), CD_E_EXISTS);
    struct cd_group_list g1, g2;
    OK(cd_group_list(f->s, f->u, &g1, &f->err));
    OK(cd_group_list(a->r, a->ru, &g2, &f->err));
    assert_int_equal(g1.n, g2.n);
    for (size_t i = 0; i < g1.n; i++) {
        assert_string_equal(g1.rows[i].path, g2.rows[i].path);
        assert_int_equal(g1.rows[i].certs, g2.rows[i].certs);
    }
    cd_group_list_free(&g1);
    cd_group_list_free(&g2);
    OK(cd_group_rm(a->r, a->ru, "/All/G1/Sub", &f->err));

    OK(cd_preset_save(a->r, a->ru, "mine", "cn=web", "id,cn", "cn:desc", &f->err));
    OK(cd_preset_share(a->r, a->ru, "mine", 1, &f->err));
    struct cd_preset_list pl;
    OK(cd_preset_list(a->r, a->ru, &pl, &f->err));
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.rows[0].expr, "cn=web");
    assert_string_equal(pl.rows[0].sort, "cn:desc");
    assert_int_equal(pl.rows[0].shared, 1);
    assert_int_equal(pl.rows[0].mine, 1);
    cd_preset_list_free(&pl);
    assert_int_equal(cd_preset_save(a->r, a->ru, "bad", "cn=", NULL, NULL, &e), CD_E_FILTER);
    OK(cd_preset_rm(a->r, a->ru, "mine", &f->err));

    char *v = (char *)1;
    OK(cd_state_get(a->r, a->ru, "screen", &v, &f->err));
    assert_null(v);
    OK(cd_state_set(a->r, a->ru, "screen", "cas", &f->err));
    OK(cd_state_get(a->r, a->ru, "screen", &v, &f->err));
    assert_string_equal(v, "cas");
    free(v);
    OK(cd_state_get(f->s, f->u, "screen", &v, &f->err));
    assert_string_equal(v, "cas");
    free(v);
}

static void test_audit_users_permsets(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    OK(cd_group_add(a->r, a->ru, "/All/A", &f->err));
    OK(cd_user_add(a->r, a->ru, "carol", "/All/A", NULL, &f->err));
    OK(cd_user_set_disabled(a->r, a->ru, "carol", 1, &f->err));
    OK(cd_user_passwd(a->r, a->ru, "carol", NULL, "carol-password", &f->err));
    const char *groups[] = { "/All/A" };
    int level[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_USE, [CD_OT_TAGS] = CD_RIGHT_READ };
    OK(cd_permset_add(a->r, a->ru, "readers", groups, 1, level, &f->err));
    OK(cd_permset_grant(a->r, a->ru, "readers", "carol", 1, &f->err));
    struct cd_permset_list p1, p2;
    OK(cd_permset_list(f->s, f->u, &p1, &f->err));
    OK(cd_permset_list(a->r, a->ru, &p2, &f->err));
    assert_int_equal(p1.n, p2.n);
    for (size_t i = 0; i < p1.n; i++) {
        assert_string_equal(p1.rows[i].name, p2.rows[i].name);
        assert_string_equal(p1.rows[i].groups, p2.rows[i].groups);
        assert_string_equal(p1.rows[i].users, p2.rows[i].users);
        assert_memory_equal(p1.rows[i].level, p2.rows[i].level, sizeof p1.rows[i].level);
    }
    cd_permset_list_free(&p1);
    cd_permset_list_free(&p2);
    struct cd_user_list u1, u2;
    OK(cd_user_list(f->s, f->u, &u1, &f->err));
    OK(cd_user_list(a->r, a->ru, &u2, &f->err));
    assert_int_equal(u1.n, u2.n);
    for (size_t i = 0; i < u1.n; i++) {
        assert_string_equal(u1.rows[i].name, u2.rows[i].name);
        assert_string_equal(u1.rows[i].home, u2.rows[i].home);
        assert_string_equal(u1.rows[i].permsets, u2.rows[i].permsets);
        assert_int_equal(u1.rows[i].disabled, u2.rows[i].disabled);
        assert_int_equal(u1.rows[i].has_password, u2.rows[i].has_password);
    }
    cd_user_list_free(&u1);
    cd_user_list_free(&u2);
    OK(cd_permset_grant(a->r, a->ru, "readers", "carol", 0, &f->err));
    OK(cd_permset_rm(a->r, a->ru, "readers", &f->err));
    OK(cd_user_rm(a->r, a->ru, "carol", &f->err));

    struct cd_audit_list l1, l2;
    OK(cd_audit_list(f->s, f->u, NULL, NULL, 30, &l1, &f->err));
    OK(cd_audit_list(a->r, a->ru, NULL, NULL, 30, &l2, &f->err));
    assert_int_equal(l1.n, l2.n);
    for (size_t i = 0; i < l1.n; i++) {
        assert_int_equal(l1.rows[i].id, l2.rows[i].id);
        assert_string_equal(l1.rows[i].action, l2.rows[i].action);
        assert_string_equal(l1.rows[i].detail, l2.rows[i].detail);
        assert_string_equal(l1.rows[i].section, l2.rows[i].section);
    }
    cd_audit_list_free(&l1);
    cd_audit_list_free(&l2);
    OK(cd_audit_list(a->r, a->ru, "user carol", "result=Success", 0, &l2, &f->err));
    assert_true(l2.n >= 2);
    cd_audit_list_free(&l2);
    int64_t checked = 0, bad = -1;
    OK(cd_audit_verify(a->r, a->ru, &checked, &bad, &f->err));
    assert_true(checked > 5);
}

/* bob reads certificates in /All/A and writes nothing. */
static void test_limited_user(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    OK(cd_group_add(f->s, f->u, "/All/A", &f->err));
    OK(cd_user_add(f->s, f->u, "bob", "/All/A", "bob-password-1", &f->err));
    const char *groups[] = { "/All/A" };
    int level[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_READ };
    OK(cd_permset_add(f->s, f->u, "read-a", groups, 1, level, &f->err));
    OK(cd_permset_grant(f->s, f->u, "read-a", "bob", 1, &f->err));
    int64_t mine = fx_cert(f, "in-a");
    OK(cd_cert_move(f->s, f->u, &mine, 1, "/All/A", &f->err));

    struct cd_err e = { 0 };
    cd_user *bob = NULL;
    assert_int_equal(cd_user_login(a->r, "bob", "wrong-password", &bob, &e), CD_E_LOGIN);
    assert_null(bob);
    OK(cd_user_login(a->r, "bob", "bob-password-1", &bob, &f->err));
    assert_false(cd_user_is_admin(bob));
    assert_string_equal(cd_user_name(bob), "bob");

    struct cd_query q = { 0 };
    struct cd_cert_list l;
    OK(cd_cert_list(a->r, bob, &q, &l, &f->err));
    assert_int_equal(l.n, 1);
    assert_int_equal(l.rows[0].id, mine);
    cd_cert_list_free(&l);

    int64_t forbidden = audit_count(f, "bob", "Revoke certificate", "Forbidden");
    assert_int_equal(cd_cert_revoke(a->r, bob, &mine, 1, 0, &e), CD_E_FORBIDDEN);
    assert_int_equal(audit_count(f, "bob", "Revoke certificate", "Forbidden"), forbidden + 1);
    struct cd_cert c;
    OK(cd_cert_get(f->s, f->u, mine, &c, &f->err));
    assert_int_equal(c.revoked_at, 0);
    cd_cert_clear(&c);

    /* rights as the console asks them, cached or not, same as locally */
    char why1[256], why2[256];
    for (int pass = 0; pass < 2; pass++) {
        assert_true(cd_user_can(a->r, bob, CD_OT_CERTS, CD_RIGHT_READ, "/All/A", why1, sizeof why1));
        assert_false(cd_user_can(a->r, bob, CD_OT_CERTS, CD_RIGHT_WRITE, "/All/A", why1, sizeof why1));
    }
    cd_user *lbob = NULL;
    OK(cd_user_login(f->s, "bob", "bob-password-1", &lbob, &f->err));
    assert_false(cd_user_can(f->s, lbob, CD_OT_CERTS, CD_RIGHT_WRITE, "/All/A", why2, sizeof why2));
    assert_string_equal(why1, why2);
    assert_int_equal(cd_user_may(a->r, bob, CD_ACT_CERT_EXPORT, "/All/A", NULL, 0),
                     cd_user_may(f->s, lbob, CD_ACT_CERT_EXPORT, "/All/A", NULL, 0));
    cd_user_free(lbob);
    cd_user_free(bob);
}

/* Usage and client settings: the sqlite side lands with h-agent; until
 * then both stores must at least agree (CD_E_UNSUPPORTED passes through). */
static void test_usage_client(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    struct cd_usage_list u1, u2;
    struct cd_err e1 = { 0 }, e2 = { 0 };
    int r1 = cd_cert_usage(f->s, f->u, 1, &u1, &e1), r2 = cd_cert_usage(a->r, a->ru, 1, &u2, &e2);
    assert_int_equal(r1, r2);
    if (!r1) {
        assert_int_equal(u1.n, u2.n);
        cd_usage_list_free(&u1);
        cd_usage_list_free(&u2);
    }
    int64_t n1 = -1, n2 = -2;
    r1 = cd_cert_usage_count(f->s, f->u, 1, &n1, &e1);
    r2 = cd_cert_usage_count(a->r, a->ru, 1, &n2, &e2);
    assert_int_equal(r1, r2);
    if (!r1) assert_int_equal(n1, n2);
    struct cd_client_settings s1, s2;
    r1 = cd_client_settings_get(f->s, f->u, &s1, &e1);
    r2 = cd_client_settings_get(a->r, a->ru, &s2, &e2);
    assert_int_equal(r1, r2);
    if (r1) { assert_int_equal(r1, CD_E_UNSUPPORTED); return; }
    assert_memory_equal(&s1, &s2, sizeof s1);
    OK(cd_client_password_set(a->r, a->ru, "", "client-pass-1", &f->err));
    assert_int_equal(cd_client_password_set(a->r, a->ru, "wrong", "x-pass-2", &e2), CD_E_PASSPHRASE);
    OK(cd_client_unauth_set(a->r, a->ru, 1, &f->err));
    OK(cd_client_settings_get(f->s, f->u, &s1, &f->err));
    assert_int_equal(s1.has_password, 1);
    assert_int_equal(s1.unauthenticated, 1);
}

/* Pages come from cached aligned blocks; a change drops them. */
static void test_paging_cache(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bulk" },
                                .keytype = CD_KEY_EC256, .days = 30 };
    OK(cd_cert_new(f->s, f->u, &p, 450, NULL, NULL, NULL, &f->err));
    struct hs *h = HS(a->r);
    for (int64_t off = 0; off < 460; off += 50) {
        struct cd_query q = { .offset = off, .limit = 50 };
        same_list(a, &q);
    }
    struct cd_query q = { .offset = 0, .limit = 50 };
    struct cd_cert_list l;
    int64_t n;
    OK(cd_cert_list(a->r, a->ru, &q, &l, &f->err));
    cd_cert_list_free(&l);
    int64_t before = h->requests;
    for (q.offset = 50; q.offset < 200; q.offset += 50) {
        OK(cd_cert_list(a->r, a->ru, &q, &l, &f->err));
        assert_int_equal(l.n, 50);
        cd_cert_list_free(&l);
    }
    assert_int_equal(h->requests, before);            /* one block served four pages */
    struct cd_query cq = { .limit = 60 };     /* a count not asked yet */
    OK(cd_cert_count(a->r, a->ru, &cq, &n, &f->err));
    OK(cd_cert_count(a->r, a->ru, &cq, &n, &f->err));
    assert_int_equal(h->requests, before + 1);
    OK(cd_tag_create(a->r, a->ru, "drops-caches", &f->err));
    before = h->requests;
    OK(cd_cert_list(a->r, a->ru, &q, &l, &f->err));
    cd_cert_list_free(&l);
    assert_int_equal(h->requests, before + 1);
    /* the whole list, past one answer's largest page, in chunks */
    struct cd_query all = { .revoked = 1 };
    same_list(a, &all);
}

static void test_readonly(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    cd_store *ro = NULL;
    cd_user *u = NULL;
    OK(cdi_https_open_local(f->s, f->u, CD_OPEN_READONLY, &ro, &f->err));
    OK(cd_user_owner(ro, &u, &f->err));
    assert_true(cd_store_readonly(ro));
    int64_t before = HS(ro)->requests;
    struct cd_err e = { 0 };
    assert_int_equal(cd_tag_create(ro, u, "nope", &e), CD_E_READONLY);
    assert_non_null(strstr(e.msg, "read-only"));
    int64_t id = 1;
    assert_int_equal(cd_cert_revoke(ro, u, &id, 1, 0, &e), CD_E_READONLY);
    assert_int_equal(HS(ro)->requests, before);        /* refused before any request */
    assert_false(cd_user_may(ro, u, CD_ACT_TAG_CREATE, NULL, NULL, 0));
    assert_int_equal(fx_count(f, "", 0), 3);
    cd_user_free(u);
    cd_store_close(ro);

    /* a server whose own store is read-only says so in /me, and refuses */
    cd_store *inner = NULL;
    cd_user *owner = NULL;
    OK(cd_store_open(f->path, CD_OPEN_READONLY, &inner, &f->err));
    OK(cd_user_owner(inner, &owner, &f->err));
    OK(cdi_https_open_local(inner, owner, 0, &ro, &f->err));
    OK(cd_user_owner(ro, &u, &f->err));
    assert_true(cd_store_readonly(ro));
    struct cd_err el = { 0 };
    assert_int_equal(cd_tag_create(ro, u, "nope", &e), CD_E_READONLY);
    assert_int_equal(cd_tag_create(inner, owner, "nope", &el), CD_E_READONLY);
    assert_string_equal(e.msg, el.msg);
    cd_user_free(u);
    cd_store_close(ro);
    cd_user_free(owner);
    cd_store_close(inner);
    assert_int_equal(fx_count(f, "", 0), 3);
}

/* ---- the API directly ------------------------------------------------------ */

static int call(struct fx *f, const char *method, const char *path, const char *query, const char *body,
                char **out)
{
    struct cd_api_request rq = { method, path, query, body, body ? strlen(body) : 0 };
    struct cd_api_response rs;
    cd_api_handle(f->s, f->u, &rq, &rs);
    int st = rs.status;
    if (out) *out = strndup(rs.body, rs.len);
    cd_api_response_free(&rs);
    return st;
}

static int64_t audit_rows(struct fx *f)
{
    struct cd_audit_list al;
    OK(cd_audit_list(f->s, f->u, NULL, NULL, 0, &al, &f->err));
    int64_t n = (int64_t)al.n;
    cd_audit_list_free(&al);
    return n;
}

static void test_api_bad_input(void **state)
{
    struct afx *a = *state;
    struct fx *f = &a->f;
    int64_t records = audit_rows(f);
    static const char *const bodies[] = {
        "{\"name\": ",                        /* not JSON */
        "[\"x\"]",                            /* not an object */
        "{\"name\": \"x\", \"extra\": 1}",      /* unknown field */
        "{\"name\": 5}",                      /* wrong type */
        "{\"name\": \"\xff\"}",               /* not UTF-8 */
        "{\"name\": \"a\\u0000b\"}",          /* NUL */
        "{\"name\": \"x\", \"name\": \"y\"}",   /* twice */
        "",                                   /* nothing */
    };
    for (size_t i = 0; i < sizeof bodies / sizeof bodies[0]; i++) {
        char *out = NULL;
        assert_int_equal(call(f, "POST", "/api/v1/tags", NULL, bodies[i], &out), 400);
        assert_non_null(strstr(out, "\"status\":2"));
        assert_non_null(strstr(out, "\"error\":"));
        free(out);
    }
    assert_int_equal(call(f, "POST", "/api/v1/certs", NULL,
                          "{\"ca_id\": 1, \"product\": \"agent\", \"subject\": {\"cn\": \"x\", \"bogus\": \"y\"}}", NULL), 400);
    assert_int_equal(call(f, "POST", "/api/v1/certs", NULL,
                          "{\"ca_id\": \"1\", \"product\": \"agent\", \"subject\": {\"cn\": \"x\"}}", NULL), 400);
    assert_int_equal(call(f, "POST", "/api/v1/certs", NULL,
                          "{\"ca_id\": 1, \"product\": \"toaster\", \"subject\": {\"cn\": \"x\"}}", NULL), 400);
    assert_int_equal(call(f, "POST", "/api/v1/certs/revoke", NULL, "{\"ids\": [1, \"2\"]}", NULL), 400);
    assert_int_equal(call(f, "POST", "/api/v1/tags", "name=x", "{\"name\": \"x\"}", NULL), 400);
    assert_int_equal(call(f, "GET", "/api/v1/certs", "limit=abc", NULL, NULL), 400);
    assert_int_equal(call(f, "GET", "/api/v1/certs", "bogus=1", NULL, NULL), 400);
    assert_int_equal(call(f, "GET", "/api/v1/certs", "filter=%zz", NULL, NULL), 400);
    assert_int_equal(call(f, "GET", "/api/v1/certs", "filter=%ff", NULL, NULL), 400);
    assert_int_equal(call(f, "GET", "/api/v1/certs", "limit=1&limit=2", NULL, NULL), 400);
    assert_int_equal(call(f, "GET", "/api/v1/certs", "limit=100000", NULL, NULL), 400);
    assert_int_equal(call(f, "GET", "/api/v1/certs", NULL, "{}", NULL), 400);
    char *big = malloc(CD_API_MAX_BODY + 2);
    memset(big, ' ', CD_API_MAX_BODY + 1);
    big[CD_API_MAX_BODY + 1] = 0;
    assert_int_equal(call(f, "POST", "/api/v1/tags", NULL, big, NULL), 413);
    free(big);
    /* nothing changed, nothing recorded */
    assert_int_equal(fx_count(f, "", 1), 3);
    assert_int_equal(audit_rows(f), records);
    struct cd_tag_list t;
    OK(cd_tag_list(f->s, f->u, &t, &f->err));
    assert_int_equal(t.n, 0);
    cd_tag_list_free(&t);

    char *out = NULL;
    assert_int_equal(call(f, "GET", "/api/v1/nothing", NULL, NULL, &out), 404);
    assert_non_null(strstr(out, "\"status\":3"));
    /* the message names the path asked for, not the method */
    assert_non_null(strstr(out, "no such API call: /api/v1/nothing"));
    free(out);
    assert_int_equal(call(f, "GET", "/api/v2/certs", NULL, NULL, NULL), 404);
    assert_int_equal(call(f, "GET", "/api/v1/certs/", NULL, NULL, NULL), 404);
    assert_int_equal(call(f, "GET", "/api/v1/certs/1x", NULL, NULL, NULL), 404);
    assert_int_equal(call(f, "DELETE", "/api/v1/certs/1", NULL, NULL, NULL), 405);
    assert_int_equal(call(f, "PATCH", "/api/v1/me", NULL, NULL, NULL), 405);
    assert_int_equal(call(f, "GET", "/api/v1/certs/99", NULL, NULL, NULL), 404);

    /* a good call: exact values, ASCII only, '+' and %20 are spaces */
    assert_int_equal(call(f, "POST", "/api/v1/tags", NULL, "{\"name\": \"caf\xc3\xa9\"}", NULL), 201);
    assert_int_equal(call(f, "GET", "/api/v1/tags", NULL, NULL, &out), 200);
    assert_non_null(strstr(out, "caf\\u00E9"));
    free(out);
    assert_int_equal(call(f, "GET", "/api/v1/certs", "filter=product%3DAgent+&sort=cn&desc=1&limit=2&total=1", NULL, &out), 200);
    assert_non_null(strstr(out, "\"total\":"));
    free(out);
    assert_int_equal(call(f, "GET", "/api/v1/can", "otype=certificates&right=write&group=%2FAll", NULL, &out), 200);
    assert_non_null(strstr(out, "\"can\":true"));
    free(out);
}

static void test_status_map(void **state)
{
    (void)state;
    assert_int_equal(cd_api_http_status(CD_E_INVAL), 400);
    assert_int_equal(cd_api_http_status(CD_E_FILTER), 400);
    assert_int_equal(cd_api_http_status(CD_E_PASSPHRASE), 400);
    assert_int_equal(cd_api_http_status(CD_E_LOGIN), 401);
    assert_int_equal(cd_api_http_status(CD_E_FORBIDDEN), 403);
    assert_int_equal(cd_api_http_status(CD_E_READONLY), 403);
    assert_int_equal(cd_api_http_status(CD_E_NOTFOUND), 404);
    assert_int_equal(cd_api_http_status(CD_E_EXISTS), 409);
    assert_int_equal(cd_api_http_status(CD_E_STATE), 409);
    assert_int_equal(cd_api_http_status(CD_E_UNSUPPORTED), 501);
    assert_int_equal(cd_api_http_status(CD_E_BUSY), 503);
    assert_int_equal(cd_api_http_status(CD_E_AUDIT), 500);
    struct cd_api_response rs;
    cd_api_error(&rs, 413, CD_E_INVAL, "too large \x1b");
    assert_int_equal(rs.status, 413);
    assert_non_null(strstr(rs.body, "\"status\":2"));
    assert_non_null(strstr(rs.body, "\\u001B"));
    cd_api_response_free(&rs);
    cd_api_error(&rs, 0, CD_E_FORBIDDEN, NULL);
    assert_int_equal(rs.status, 403);
    cd_api_response_free(&rs);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_me, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_lists, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_get_text_export, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_mutations, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_tags_groups_presets_state, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_audit_users_permsets, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_limited_user, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_usage_client, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_paging_cache, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_readonly, afx_setup, afx_teardown),
        cmocka_unit_test_setup_teardown(test_api_bad_input, afx_setup, afx_teardown),
        cmocka_unit_test(test_status_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
