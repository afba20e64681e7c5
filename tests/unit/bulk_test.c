/* bulk issuance and the write lock: while a bulk run makes its keys, another
 * connection writes at once and sees none of the batch; the batch appears
 * whole (rows, tags, counts, search index, audit records) or not at all,
 * also when the world changed under it (its CA deleted meanwhile).
 *
 * The progress callback is the probe: it runs between chunks, in the middle
 * of the run, on the issuing thread. */
#include <pthread.h>
#include <time.h>
#include <sqlite3.h>
#include "helpers.h"
#include "sq_int.h"

struct probe {
    cd_store *s2;              /* a second connection to the same file */
    cd_user *u2;
    int64_t victim, ca_to_delete;
    int calls, rc_revoke, rc_tag, rc_delete;
    int64_t visible;           /* batch certificates the other connection saw */
    int64_t visible_late;      /* ... and at the last progress call (-2: none) */
};

static void probe_open(struct fx *f, struct probe *p)
{
    memset(p, 0, sizeof *p);
    p->visible_late = -2;
    assert_int_equal(cd_store_open(f->path, 0, &p->s2, &f->err), CD_OK);
    assert_int_equal(cd_user_owner(p->s2, &p->u2, &f->err), CD_OK);
}

static void probe_close(struct probe *p)
{
    cd_user_free(p->u2);
    cd_store_close(p->s2);
}

static void on_progress(void *ctx, size_t done, size_t total)
{
    struct probe *p = ctx;
    struct cd_err e = { 0 };
    if (done == total) {                      /* the last keys are made: still nothing to see */
        struct cd_query q = { .filter = "bulk-" };
        if (cd_cert_count(p->s2, p->u2, &q, &p->visible_late, &e)) p->visible_late = -1;
    }
    if (p->calls++) return;                   /* the first chunk: well inside the run */
    p->rc_revoke = cd_cert_revoke(p->s2, p->u2, &p->victim, 1, 4, &e);
    p->rc_tag = cd_tag_set(p->s2, p->u2, CD_KIND_CERT, &p->victim, 1, "meanwhile", 1, &e);
    if (p->ca_to_delete) p->rc_delete = cd_ca_delete(p->s2, p->u2, p->ca_to_delete, &e);
    struct cd_query q = { .filter = "bulk-" };
    if (cd_cert_count(p->s2, p->u2, &q, &p->visible, &e)) p->visible = -1;
}

static int64_t count(struct fx *f, const char *filter)
{
    struct cd_query q = { .filter = filter, .revoked = 1 };
    int64_t n = -1;
    assert_int_equal(cd_cert_count(f->s, f->u, &q, &n, &f->err), CD_OK);
    return n;
}

static void test_others_write_during_bulk(void **state)
{
    struct fx *f = *state;
    struct probe p;
    probe_open(f, &p);
    p.victim = fx_cert(f, "victim");
    enum { N = 1500 };
    int64_t *ids = calloc(N, sizeof *ids);
    const char *tags[] = { "batch", NULL };
    struct cd_cert_params cp = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bulk" },
                                 .keytype = CD_KEY_EC256, .days = 30, .tags = tags };
    int rc = cd_cert_new(f->s, f->u, &cp, N, on_progress, &p, ids, &f->err);
    assert_int_equal(rc, CD_OK);
    assert_true(p.calls > 1);
    /* the other connection was not locked out, and saw nothing of the batch */
    assert_int_equal(p.rc_revoke, CD_OK);
    assert_int_equal(p.rc_tag, CD_OK);
    assert_int_equal(p.visible, 0);
    assert_int_equal(p.visible_late, 0);
    /* the whole batch, after the other's writes, IDs consecutive */
    assert_int_equal(count(f, "bulk-"), N);
    assert_true(ids[0] > p.victim);
    for (int i = 1; i < N; i++) assert_int_equal(ids[i], ids[0] + i);
    assert_int_equal(count(f, "tag:batch"), N);
    assert_int_equal(count(f, "bulk-001234"), 1);             /* search index */
    assert_int_equal(count(f, "bulk-000100"), 1);
    assert_int_equal(count(f, "tag:meanwhile"), 1);
    struct cd_cert c;
    assert_int_equal(cd_cert_get(f->s, f->u, ids[N - 1], &c, &f->err), CD_OK);
    assert_string_equal(c.cn, "bulk-001500");
    cd_cert_clear(&c);
    /* side-panel counts follow the batch */
    struct cd_tag_list tl;
    assert_int_equal(cd_tag_list(f->s, f->u, &tl, &f->err), CD_OK);
    int64_t tagged = -1;
    for (size_t i = 0; i < tl.n; i++) if (!strcmp(tl.rows[i].name, "batch")) tagged = tl.rows[i].certs;
    cd_tag_list_free(&tl);
    assert_int_equal(tagged, N);
    /* one audit record per certificate, chain intact */
    int64_t checked = 0, bad = 0;
    assert_int_equal(cd_audit_verify(f->s, f->u, &checked, &bad, &f->err), CD_OK);
    struct cd_audit_list al;
    char obj[32];
    snprintf(obj, sizeof obj, "cert %lld", (long long)ids[N - 1]);
    assert_int_equal(cd_audit_list(f->s, f->u, obj, NULL, 0, &al, &f->err), CD_OK);
    assert_int_equal(al.n, 1);
    assert_string_equal(al.rows[0].action, "Create certificate");
    assert_string_equal(al.rows[0].detail, "bulk-001500");
    cd_audit_list_free(&al);
    free(ids);
    probe_close(&p);
}

/* The CA is deleted while the keys are made: the batch is refused whole
 * and the refusal audited; nothing of it is left. */
static void test_ca_gone_midway_leaves_nothing(void **state)
{
    struct fx *f = *state;
    struct probe p;
    probe_open(f, &p);
    p.victim = fx_cert(f, "victim");
    struct cd_ca_params ca = { .subject = { .cn = "Short-lived CA" }, .keytype = CD_KEY_EC256, .days = 365 };
    assert_int_equal(cd_ca_new(f->s, f->u, &ca, &p.ca_to_delete, &f->err), CD_OK);
    int64_t before = count(f, "");
    struct cd_cert_params cp = { .ca_id = p.ca_to_delete, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bulk" },
                                 .keytype = CD_KEY_EC256, .days = 30 };
    int rc = cd_cert_new(f->s, f->u, &cp, 800, on_progress, &p, NULL, &f->err);
    assert_int_equal(p.rc_delete, CD_OK);
    assert_int_equal(rc, CD_E_NOTFOUND);
    assert_int_equal(count(f, "bulk-"), 0);
    assert_int_equal(count(f, ""), before);
    int64_t checked = 0, bad = 0;
    assert_int_equal(cd_audit_verify(f->s, f->u, &checked, &bad, &f->err), CD_OK);
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(f->s, f->u, NULL, "result:Failure", 1, &al, &f->err), CD_OK);
    assert_int_equal(al.n, 1);
    assert_string_equal(al.rows[0].action, "Issue certificates");
    cd_audit_list_free(&al);
    /* and the same connection issues again as usual */
    cp.ca_id = 1;
    assert_int_equal(cd_cert_new(f->s, f->u, &cp, 300, NULL, NULL, NULL, &f->err), CD_OK);
    assert_int_equal(count(f, "bulk-"), 300);
    probe_close(&p);
}

/* Another writer holds the lock longer than the busy timeout (5 s) just
 * as the keys are done: the finished batch waits for it, it is not lost as
 * "busy". */
struct holder { sqlite3 *db; int begun; pthread_t tid; };

static void *release_later(void *arg)
{
    struct holder *h = arg;
    struct timespec ts = { 6, 500000000 };
    nanosleep(&ts, NULL);
    sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
    return NULL;
}

static void hold_lock(void *ctx, size_t done, size_t total)
{
    struct holder *h = ctx;
    (void)done; (void)total;
    if (h->begun) return;
    h->begun = sqlite3_exec(h->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK ? 1 : -1;
    if (h->begun == 1 && pthread_create(&h->tid, NULL, release_later, h)) h->begun = -1;
}

static void test_finished_batch_outwaits_busy_timeout(void **state)
{
    struct fx *f = *state;
    struct probe p;
    probe_open(f, &p);
    struct holder h = { .db = ((struct sq *)p.s2->impl)->db };
    struct cd_cert_params cp = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "bulk" },
                                 .keytype = CD_KEY_EC256, .days = 30 };
    int rc = cd_cert_new(f->s, f->u, &cp, 600, hold_lock, &h, NULL, &f->err);
    if (h.begun == 1) pthread_join(h.tid, NULL);
    assert_int_equal(h.begun, 1);
    assert_int_equal(rc, CD_OK);
    assert_int_equal(count(f, "bulk-"), 600);
    probe_close(&p);
}

int main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(name, fx_setup, fx_teardown)
    const struct CMUnitTest tests[] = {
        T(test_others_write_during_bulk), T(test_ca_gone_midway_leaves_nothing),
        T(test_finished_batch_outwaits_busy_timeout),
    };
    return cmocka_run_group_tests_name("bulk", tests, NULL, NULL);
}
