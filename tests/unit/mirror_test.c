/* certdeck unit tests — publishing a mirror snapshot: the index (round
 * trip, strict refusals), its signature (another CA, an edited index), the
 * store image (no secrets in its bytes, lists like the source, opened
 * read-only with the mirror's reason, its schema checked), generations and
 * the garbage collection of a publish folder. */
#include "helpers.h"
#include <sys/stat.h>
#include <sqlite3.h>
#include "mirror_int.h"
#include "sq_int.h"

static const char CA_PASS[] = "ca-passphrase-123";
static const char CERT_PASS[] = "cert-passphrase-456";
static const char CLIENT_PW[] = "client-password-789";

struct mt {
    struct fx f;
    char pub[128];
    int64_t ca_pass, ca_rsa, ca_ed;
};

/* A store with a bit of everything, public and secret. */
static int mt_setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct mt *m = calloc(1, sizeof *m);
    m->f = *(struct fx *)*state;
    free(*state);
    *state = m;
    struct fx *f = &m->f;
    snprintf(m->pub, sizeof m->pub, "%s/pub", f->dir);
    fx_must(f, cd_group_add(f->s, f->u, "/All/Lab", &f->err), "group");
    fx_must(f, cd_user_add(f->s, f->u, "alice", "/All/Lab", "alice-password-1", &f->err), "user");
    struct cd_ca_params c = { .subject = { .cn = "Pass CA" }, .keytype = CD_KEY_EC256, .days = 365,
                              .passphrase = CA_PASS };
    fx_must(f, cd_ca_new(f->s, f->u, &c, &m->ca_pass, &f->err), "ca");
    struct cd_ca_params r = { .subject = { .cn = "RSA CA" }, .keytype = CD_KEY_RSA2048, .days = 365 };
    fx_must(f, cd_ca_new(f->s, f->u, &r, &m->ca_rsa, &f->err), "rsa ca");
    struct cd_ca_params e = { .subject = { .cn = "Ed CA" }, .keytype = CD_KEY_ED25519, .days = 365 };
    fx_must(f, cd_ca_new(f->s, f->u, &e, &m->ca_ed, &f->err), "ed ca");
    const char *tags[] = { "berlin", NULL };
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = "host" },
                                .description = "lab agent", .tags = tags, .group = "/All/Lab",
                                .keytype = CD_KEY_EC256, .days = 90, .passphrase = CERT_PASS };
    fx_must(f, cd_cert_new(f->s, f->u, &p, 12, NULL, NULL, NULL, &f->err), "certs");
    int64_t id = 5;
    fx_must(f, cd_cert_revoke(f->s, f->u, &id, 1, 1, &f->err), "revoke");
    fx_must(f, cd_preset_save(f->s, f->u, "lab", "group:/All/Lab", NULL, NULL, &f->err), "preset");
    fx_must(f, cd_preset_share(f->s, f->u, "lab", 1, &f->err), "share");
    fx_must(f, cd_preset_save(f->s, f->u, "private", "product:agent", NULL, NULL, &f->err), "preset 2");
    fx_must(f, cd_client_password_set(f->s, f->u, NULL, CLIENT_PW, &f->err), "client password");
    return 0;
}

static int mt_teardown(void **state)
{
    struct mt *m = *state;
    struct fx *f = malloc(sizeof *f);
    *f = m->f;
    free(m);
    *state = f;
    return fx_teardown(state);
}

static void publish(struct mt *m, int64_t ca, const char *pass, int keep, struct cd_mirror_published *r)
{
    struct cd_mirror_publish_opts o = { .sign_ca = ca, .ca_passphrase = pass, .keep = keep };
    fx_must(&m->f, cd_mirror_publish(m->f.s, m->f.u, m->pub, &o, r, &m->f.err), "publish");
}

/* The current index of the publish folder, parsed, and its text. */
static char *current_index(struct mt *m, struct cdi_mindex *ix, size_t *len)
{
    char path[256], name[128];
    snprintf(path, sizeof path, "%s/current", m->pub);
    size_t n;
    char *cur = fx_slurp(path, &n);
    assert_non_null(cur);
    assert_true(n > 1 && cur[n - 1] == '\n');
    cur[n - 1] = 0;
    snprintf(name, sizeof name, "%s", cur);
    free(cur);
    snprintf(path, sizeof path, "%s/%s", m->pub, name);
    char *t = fx_slurp(path, len);
    assert_non_null(t);
    struct cd_err e = { 0 };
    int rc = cdi_mindex_parse(t, *len, ix, &e);
    if (rc) fail_msg("parse: %s", e.msg);
    return t;
}

static char *image_path(struct mt *m, const struct cdi_mindex *ix)
{
    const struct cdi_mfile *f = cdi_mindex_find(ix, "store");
    assert_non_null(f);
    char *p = malloc(256);
    snprintf(p, 256, "%s/%s", m->pub, f->name);
    return p;
}

static void test_publish_and_index(void **state)
{
    struct mt *m = *state;
    struct cd_mirror_published r;
    publish(m, 1, NULL, 0, &r);
    assert_int_equal(r.generation, 1);
    assert_int_equal(r.certs, 15);
    assert_int_equal(r.cas, 4);
    /* image + 4 CA certificates + CRLs (not the passphrase CA's: none signed);
     * the signer's certificate is CA 1's: one file, listed twice */
    assert_int_equal(r.files, 1 + 4 + 3);
    struct cdi_mindex ix;
    size_t len;
    char *t = current_index(m, &ix, &len);
    assert_int_equal(ix.n, 1 + 4 + 3 + 1);
    int64_t bytes = 0;
    for (size_t i = 0; i < ix.n; i++)
        if (strcmp(ix.files[i].role, "signer")) bytes += ix.files[i].size;
    assert_int_equal(r.bytes, bytes);
    assert_int_equal(ix.generation, 1);
    assert_int_equal(ix.certs, 15);
    assert_int_equal(ix.signer_ca, 1);
    assert_string_equal(ix.signer_subject, "CN=Server Certification Authority");
    assert_string_equal(ix.signer_sha256, r.signer_sha256);
    /* every file is there, with the size and SHA-256 the index says, 0644 */
    for (size_t i = 0; i < ix.n; i++) {
        char path[256], hex[65];
        snprintf(path, sizeof path, "%s/%s", m->pub, ix.files[i].name);
        size_t n;
        char *b = fx_slurp(path, &n);
        assert_non_null(b);
        assert_int_equal(n, ix.files[i].size);
        cdi_sha256_hex(b, n, hex);
        assert_string_equal(hex, ix.files[i].sha256);
        struct stat st;
        assert_int_equal(stat(path, &st), 0);
        assert_int_equal(st.st_mode & 0777, 0644);
        free(b);
    }
    /* round trip: the same bytes */
    size_t l2;
    char *again = cdi_mindex_dump(&ix, &l2);
    assert_int_equal(l2, len);
    assert_memory_equal(again, t, len);
    /* the signature checks with the signer's certificate */
    char *pem = NULL, sigp[256];
    size_t pl, sl;
    fx_must(&m->f, cd_ca_export(m->f.s, m->f.u, 1, &pem, &pl, &m->f.err), "export");
    char hex[65];
    cdi_sha256_hex(t, len, hex);
    snprintf(sigp, sizeof sigp, "%s/index-%s.sig", m->pub, hex);
    char *sig = fx_slurp(sigp, &sl);
    assert_non_null(sig);
    struct cd_err e = { 0 };
    assert_int_equal(cdi_mirror_sig_check(pem, pl, t, len, sig, sl, &e), CD_OK);
    /* audited once in the source */
    struct cd_audit_list al = { 0 };
    fx_must(&m->f, cd_audit_list(m->f.s, m->f.u, NULL, "action:\"Publish mirror\"", 0, &al, &m->f.err), "audit");
    assert_int_equal(al.n, 1);
    cd_audit_list_free(&al);
    free(sig); free(pem); free(again); free(t);
    cdi_mindex_clear(&ix);
}

static void test_index_refusals(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{}",
        "[]",
        "{\"format\":\"certdeck-mirror/2\"}",
        /* name not its hash */
        "{\"format\":\"certdeck-mirror/1\",\"generation\":1,\"published\":\"2026-12-07T10:00:00Z\",\"published_unix\":"
        "1796637600,\"certificates\":0,\"cas\":0,\"signer\":{\"ca_id\":1,\"subject\":\"CN=x\",\"sha256\":\"%S\"},"
        "\"files\":[{\"name\":\"files/%H.db\",\"role\":\"store\",\"size\":1,\"sha256\":\"%G\"},"
        "{\"name\":\"files/%H.pem\",\"role\":\"signer\",\"size\":1,\"sha256\":\"%H\"}]}",
        /* a path out of files/ */
        "{\"format\":\"certdeck-mirror/1\",\"generation\":1,\"published\":\"2026-12-07T10:00:00Z\",\"published_unix\":"
        "1796637600,\"certificates\":0,\"cas\":0,\"signer\":{\"ca_id\":1,\"subject\":\"CN=x\",\"sha256\":\"%S\"},"
        "\"files\":[{\"name\":\"files/../%H.db\",\"role\":\"store\",\"size\":1,\"sha256\":\"%H\"},"
        "{\"name\":\"files/%H.pem\",\"role\":\"signer\",\"size\":1,\"sha256\":\"%H\"}]}",
        /* no signer file */
        "{\"format\":\"certdeck-mirror/1\",\"generation\":1,\"published\":\"2026-12-07T10:00:00Z\",\"published_unix\":"
        "1796637600,\"certificates\":0,\"cas\":0,\"signer\":{\"ca_id\":1,\"subject\":\"CN=x\",\"sha256\":\"%S\"},"
        "\"files\":[{\"name\":\"files/%H.db\",\"role\":\"store\",\"size\":1,\"sha256\":\"%H\"}]}",
        /* a size that is a string */
        "{\"format\":\"certdeck-mirror/1\",\"generation\":1,\"published\":\"2026-12-07T10:00:00Z\",\"published_unix\":"
        "1796637600,\"certificates\":0,\"cas\":0,\"signer\":{\"ca_id\":1,\"subject\":\"CN=x\",\"sha256\":\"%S\"},"
        "\"files\":[{\"name\":\"files/%H.db\",\"role\":\"store\",\"size\":\"1\",\"sha256\":\"%H\"},"
        "{\"name\":\"files/%H.pem\",\"role\":\"signer\",\"size\":1,\"sha256\":\"%H\"}]}",
        /* published and published_unix disagree */
        "{\"format\":\"certdeck-mirror/1\",\"generation\":1,\"published\":\"2026-12-08T10:00:00Z\",\"published_unix\":"
        "1796637600,\"certificates\":0,\"cas\":0,\"signer\":{\"ca_id\":1,\"subject\":\"CN=x\",\"sha256\":\"%S\"},"
        "\"files\":[{\"name\":\"files/%H.db\",\"role\":\"store\",\"size\":1,\"sha256\":\"%H\"},"
        "{\"name\":\"files/%H.pem\",\"role\":\"signer\",\"size\":1,\"sha256\":\"%H\"}]}",
        /* generation 0 */
        "{\"format\":\"certdeck-mirror/1\",\"generation\":0,\"published\":\"2026-12-07T10:00:00Z\",\"published_unix\":"
        "1796637600,\"certificates\":0,\"cas\":0,\"signer\":{\"ca_id\":1,\"subject\":\"CN=x\",\"sha256\":\"%S\"},"
        "\"files\":[{\"name\":\"files/%H.db\",\"role\":\"store\",\"size\":1,\"sha256\":\"%H\"},"
        "{\"name\":\"files/%H.pem\",\"role\":\"signer\",\"size\":1,\"sha256\":\"%H\"}]}",
    };
    const char *H = "ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01";
    const char *G = "cd01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01ab01";
    const char *S = "AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01:AB:01";
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct cdi_buf b = { 0 };
        for (const char *p = bad[i]; *p; p++) {
            if (*p == '%' && p[1] == 'H') { cdi_buf_addf(&b, "%s", H); p++; }
            else if (*p == '%' && p[1] == 'G') { cdi_buf_addf(&b, "%s", G); p++; }
            else if (*p == '%' && p[1] == 'S') { cdi_buf_addf(&b, "%s", S); p++; }
            else cdi_buf_add(&b, p, 1);
        }
        struct cdi_mindex ix;
        struct cd_err e = { 0 };
        int rc = cdi_mindex_parse((char *)b.p, b.len, &ix, &e);
        if (rc != CD_E_CORRUPT) fail_msg("index %zu: rc %d (%s)", i, rc, e.msg);
        assert_true(strstr(e.msg, "index") != NULL);
        assert_int_equal(ix.n, 0);
        cdi_buf_free(&b);
    }
    /* the good one of the same shape parses */
    char good[1024];
    snprintf(good, sizeof good, "{\"format\":\"certdeck-mirror/1\",\"generation\":1,\"published\":"
             "\"2026-12-07T10:00:00Z\",\"published_unix\":1796637600,\"certificates\":0,\"cas\":0,\"signer\":"
             "{\"ca_id\":1,\"subject\":\"CN=x\",\"sha256\":\"%s\"},\"files\":[{\"name\":\"files/%s.db\",\"role\":"
             "\"store\",\"size\":1,\"sha256\":\"%s\"},{\"name\":\"files/%s.pem\",\"role\":\"signer\",\"size\":1,"
             "\"sha256\":\"%s\"}]}", S, H, H, H, H);
    struct cdi_mindex ix;
    struct cd_err e = { 0 };
    assert_int_equal(cdi_mindex_parse(good, strlen(good), &ix, &e), CD_OK);
    assert_int_equal(ix.n, 2);
    cdi_mindex_clear(&ix);
}

static void test_signature_refusals(void **state)
{
    struct mt *m = *state;
    struct cd_mirror_published r;
    struct cd_err e = { 0 };
    /* every kind of key signs, and its signature checks */
    int64_t cas[] = { m->ca_rsa, m->ca_ed, m->ca_pass };
    for (int k = 0; k < 3; k++) {
        publish(m, cas[k], cas[k] == m->ca_pass ? CA_PASS : NULL, 0, &r);
        struct cdi_mindex ix;
        size_t len, sl, pl;
        char *t = current_index(m, &ix, &len), hex[65], path[256], *pem = NULL;
        cdi_sha256_hex(t, len, hex);
        snprintf(path, sizeof path, "%s/index-%s.sig", m->pub, hex);
        char *sig = fx_slurp(path, &sl);
        fx_must(&m->f, cd_ca_export(m->f.s, m->f.u, cas[k], &pem, &pl, &m->f.err), "export");
        assert_int_equal(cdi_mirror_sig_check(pem, pl, t, len, sig, sl, &e), CD_OK);
        /* another CA's certificate: refused */
        char *other = NULL;
        size_t ol;
        fx_must(&m->f, cd_ca_export(m->f.s, m->f.u, 1, &other, &ol, &m->f.err), "export 1");
        assert_int_equal(cdi_mirror_sig_check(other, ol, t, len, sig, sl, &e), CD_E_CRYPTO);
        assert_non_null(strstr(e.msg, "not signed by"));
        /* an index edited after signing: refused */
        char *p = strstr(t, "\"certificates\":15");
        assert_non_null(p);
        p[16] = '6';
        assert_int_equal(cdi_mirror_sig_check(pem, pl, t, len, sig, sl, &e), CD_E_CRYPTO);
        free(other); free(pem); free(sig); free(t);
        cdi_mindex_clear(&ix);
    }
    /* the passphrase CA without its passphrase signs nothing */
    struct cd_mirror_publish_opts o = { .sign_ca = m->ca_pass };
    assert_int_not_equal(cd_mirror_publish(m->f.s, m->f.u, m->pub, &o, &r, &e), CD_OK);
}

static int contains(const char *hay, size_t n, const void *needle, size_t nl)
{
    return nl && memmem(hay, n, needle, nl) != NULL;
}

static void test_image_has_no_secrets(void **state)
{
    struct mt *m = *state;
    struct cd_mirror_published r;
    publish(m, 1, NULL, 0, &r);
    struct cdi_mindex ix;
    size_t len;
    free(current_index(m, &ix, &len));
    char *img = image_path(m, &ix);
    sqlite3 *db = NULL;
    assert_int_equal(sqlite3_open_v2(img, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
    static const char *const zero[] = {
        "SELECT count(*) FROM users WHERE name <> 'mirror' OR pwhash IS NOT NULL",
        "SELECT count(*) FROM audit", "SELECT count(*) FROM audit_head", "SELECT count(*) FROM user_state",
        "SELECT count(*) FROM login_fails", "SELECT count(*) FROM permsets", "SELECT count(*) FROM user_permsets",
        "SELECT count(*) FROM certs WHERE length(key) > 0 OR pass_hash IS NOT NULL",
        "SELECT count(*) FROM cas WHERE key IS NOT NULL OR key_prot <> 0",
        "SELECT count(*) FROM presets WHERE NOT shared OR user_id <> 1",
        "SELECT count(*) FROM meta WHERE k NOT LIKE 'mirror.%'",
    };
    for (size_t i = 0; i < sizeof zero / sizeof zero[0]; i++) {
        sqlite3_stmt *st = NULL;
        assert_int_equal(sqlite3_prepare_v2(db, zero[i], -1, &st, NULL), SQLITE_OK);
        assert_int_equal(sqlite3_step(st), SQLITE_ROW);
        if (sqlite3_column_int64(st, 0)) fail_msg("%s: %lld", zero[i], (long long)sqlite3_column_int64(st, 0));
        sqlite3_finalize(st);
    }
    sqlite3_stmt *st = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM presets), (SELECT count(*) FROM users),"
                                            " (SELECT journal_mode FROM pragma_journal_mode)", -1, &st, NULL), SQLITE_OK);
    assert_int_equal(sqlite3_step(st), SQLITE_ROW);
    assert_int_equal(sqlite3_column_int(st, 0), 1);
    assert_int_equal(sqlite3_column_int(st, 1), 1);
    assert_string_equal((const char *)sqlite3_column_text(st, 2), "delete");
    sqlite3_finalize(st);
    sqlite3_close(db);
    /* the bytes: no store key, no key blob, no passphrase or password hash */
    size_t n;
    char *bytes = fx_slurp(img, &n);
    char keyp[200];
    snprintf(keyp, sizeof keyp, "%s.key", m->f.path);
    size_t kl;
    char *key = fx_slurp(keyp, &kl);
    assert_int_equal(kl, 32);
    assert_false(contains(bytes, n, key, kl));
    sqlite3 *src = ((struct sq *)m->f.s->impl)->db;
    static const char *const secrets[] = {
        "SELECT key FROM certs WHERE length(key) > 0", "SELECT key FROM cas WHERE key IS NOT NULL",
        "SELECT pass_hash FROM certs WHERE pass_hash IS NOT NULL", "SELECT pwhash FROM users WHERE pwhash IS NOT NULL",
        "SELECT v FROM meta", "SELECT hash FROM audit", "SELECT mac FROM audit_head",
    };
    int checked = 0;
    for (size_t i = 0; i < sizeof secrets / sizeof secrets[0]; i++) {
        assert_int_equal(sqlite3_prepare_v2(src, secrets[i], -1, &st, NULL), SQLITE_OK);
        while (sqlite3_step(st) == SQLITE_ROW) {
            const void *v = sqlite3_column_blob(st, 0);
            size_t vl = (size_t)sqlite3_column_bytes(st, 0);
            /* a fragment is enough to tell */
            if (vl > 24) vl = 24;
            if (contains(bytes, n, v, vl)) fail_msg("%s: a secret is in the image", secrets[i]);
            checked++;
        }
        sqlite3_finalize(st);
    }
    assert_true(checked > 20);
    free(key); free(bytes); free(img);
    cdi_mindex_clear(&ix);
}

/* Opens the image as a reader does. */
static cd_store *open_image(const char *path, struct cd_err *e, int *rc)
{
    cd_store *s = calloc(1, sizeof *s);
    *rc = cdi_sqlite_open(s, path, CD_OPEN_READONLY | CDI_OPEN_IMAGE, e);
    if (*rc) { free(s->name); free(s); return NULL; }
    return s;
}

static void same_list(struct fx *f, cd_store *img, cd_user *iu, const char *filter)
{
    struct cd_query q = { .filter = filter, .revoked = 1 };
    struct cd_cert_list a = { 0 }, b = { 0 };
    fx_must(f, cd_cert_list(f->s, f->u, &q, &a, &f->err), "source list");
    fx_must(f, cd_cert_list(img, iu, &q, &b, &f->err), "image list");
    if (a.n != b.n) fail_msg("filter %s: %zu rows in the store, %zu in the image", filter ? filter : "", a.n, b.n);
    for (size_t i = 0; i < a.n; i++) {
        assert_int_equal(a.rows[i].id, b.rows[i].id);
        assert_string_equal(a.rows[i].cn, b.rows[i].cn);
        assert_string_equal(a.rows[i].serial, b.rows[i].serial);
        assert_string_equal(a.rows[i].fingerprint, b.rows[i].fingerprint);
        assert_string_equal(a.rows[i].tags, b.rows[i].tags);
        assert_string_equal(a.rows[i].group, b.rows[i].group);
        assert_string_equal(a.rows[i].description, b.rows[i].description);
        assert_int_equal(a.rows[i].state, b.rows[i].state);
        assert_int_equal(a.rows[i].revoked_at, b.rows[i].revoked_at);
    }
    assert_true(a.n > 0);
    cd_cert_list_free(&a);
    cd_cert_list_free(&b);
}

static void test_image_reads_like_the_store(void **state)
{
    struct mt *m = *state;
    struct fx *f = &m->f;
    struct cd_mirror_published r;
    /* the warning window travels with the image: states read the same */
    fx_must(f, cd_expiry_warning_set(f->s, f->u, 45, &f->err), "expiry window");
    publish(m, 1, NULL, 0, &r);
    struct cdi_mindex ix;
    size_t len;
    free(current_index(m, &ix, &len));
    char *path = image_path(m, &ix);
    int rc;
    cd_store *img = open_image(path, &f->err, &rc);
    fx_must(f, rc, "open image");
    cd_user *iu = NULL;
    fx_must(f, cd_user_owner(img, &iu, &f->err), "owner");
    assert_string_equal(iu->name, "mirror");
    int days = 0;
    fx_must(f, cd_expiry_warning_get(img, iu, &days, &f->err), "image window");
    assert_int_equal(days, 45);
    assert_int_equal(cd_expiry_warning_set(img, iu, 30, &f->err), CD_E_READONLY);
    same_list(f, img, iu, NULL);
    same_list(f, img, iu, "tag:berlin");
    same_list(f, img, iu, "host-00000");          /* free text: the copied search index */
    same_list(f, img, iu, "group:/All/Lab status:revoked");
    assert_int_equal(cd_store_readonly(img), 1);
    const char *why = cd_store_readonly_reason(img);
    assert_non_null(why);
    /* the image alone knows nothing of its publish (the index does) */
    assert_string_equal(why, "read-only: a mirror of a published snapshot; change the source store and publish again");
    struct cd_mirror_info mi;
    fx_must(f, cd_store_mirror_info(img, &mi, &f->err), "mirror info");
    assert_int_equal(mi.generation, 0);
    assert_int_equal(mi.published, 0);
    assert_string_equal(mi.signer_sha256, "");
    cd_mirror_info_clear(&mi);
    /* presets: the shared one; tags; groups */
    struct cd_preset_list pl = { 0 };
    fx_must(f, cd_preset_list(img, iu, &pl, &f->err), "presets");
    assert_int_equal(pl.n, 1);
    assert_string_equal(pl.rows[0].name, "lab");
    cd_preset_list_free(&pl);
    struct cd_group_list gl = { 0 };
    fx_must(f, cd_group_list(img, iu, &gl, &f->err), "groups");
    assert_int_equal(gl.n, 2);
    cd_group_list_free(&gl);
    /* public exports work; keys do not exist here */
    unsigned char *out = NULL;
    size_t ol = 0;
    fx_must(f, cd_cert_export(img, iu, 4, CD_EXPORT_PEM, NULL, &out, &ol, &f->err), "export pem");
    free(out);
    struct cd_err e = { 0 };
    assert_int_equal(cd_cert_export(img, iu, 4, CD_EXPORT_KEY, "x-passphrase-1", &out, &ol, &e), CD_E_READONLY);
    assert_non_null(strstr(e.msg, "a mirror carries no private keys"));
    /* the CRL as stored; none for the passphrase CA, said plainly */
    fx_must(f, cd_crl(img, iu, 1, NULL, 7, 0, &out, &ol, &f->err), "crl");
    free(out);
    assert_int_equal(cd_crl(img, iu, m->ca_pass, NULL, 7, 0, &out, &ol, &e), CD_E_READONLY);
    assert_non_null(strstr(e.msg, "cannot sign"));
    /* every change: refused with the mirror's reason */
    int64_t id = 4;
    struct cd_ca_params c = { .subject = { .cn = "x" }, .keytype = CD_KEY_EC256, .days = 30 };
    int rcs[] = {
        cd_cert_revoke(img, iu, &id, 1, 1, &e), cd_tag_create(img, iu, "new", &e),
        cd_group_add(img, iu, "/All/New", &e), cd_ca_new(img, iu, &c, NULL, &e),
        cd_cert_describe(img, iu, 4, "d", &e), cd_preset_save(img, iu, "p", "product:agent", NULL, NULL, &e),
        cd_user_add(img, iu, "bob", NULL, NULL, &e),
    };
    for (size_t i = 0; i < sizeof rcs / sizeof rcs[0]; i++) assert_int_equal(rcs[i], CD_E_READONLY);
    assert_int_equal(cd_tag_create(img, iu, "new", &e), CD_E_READONLY);
    assert_int_equal(strncmp(e.msg, "read-only: a mirror", 19), 0);
    char whyb[300];
    assert_false(cd_user_may(img, iu, CD_ACT_CERT_REVOKE, "/All", whyb, sizeof whyb));
    assert_int_equal(strncmp(whyb, "read-only: a mirror", 19), 0);
    /* what a front end asks before it offers an action: no key export; the
     * published CRL is no change */
    assert_false(cd_user_may(img, iu, CD_ACT_CERT_EXPORT_KEY, "/All", whyb, sizeof whyb));
    assert_non_null(strstr(whyb, "a mirror carries no private keys"));
    assert_true(cd_user_may(img, iu, CD_ACT_CA_CRL, "/All", whyb, sizeof whyb));
    /* what a mirror does not carry is said, not shown empty */
    struct cd_audit_list al;
    assert_int_equal(cd_audit_list(img, iu, NULL, NULL, 10, &al, &e), CD_E_NOTFOUND);
    assert_non_null(strstr(e.msg, "a mirror does not carry the audit log"));
    int64_t n1, n2;
    assert_int_equal(cd_audit_verify(img, iu, &n1, &n2, &e), CD_E_NOTFOUND);
    struct cd_client_settings cs;
    assert_int_equal(cd_client_settings_get(img, iu, &cs, &e), CD_E_NOTFOUND);
    assert_non_null(strstr(e.msg, "server settings"));
    struct cd_mirror_settings ms;
    assert_int_equal(cd_mirror_settings_get(img, iu, &ms, &e), CD_E_NOTFOUND);
    cd_user_free(iu);
    cd_store_close(img);
    free(path);
    cdi_mindex_clear(&ix);
}

static void test_schema_and_replica(void **state)
{
    struct mt *m = *state;
    struct fx *f = &m->f;
    struct cd_mirror_published r;
    publish(m, 1, NULL, 0, &r);
    struct cdi_mindex ix;
    size_t len;
    free(current_index(m, &ix, &len));
    char *path = image_path(m, &ix), copy[256], cmd[600];
    snprintf(copy, sizeof copy, "%s/copy.db", f->dir);
    snprintf(cmd, sizeof cmd, "cp '%s' '%s'", path, copy);
    assert_int_equal(system(cmd), 0);
    /* the planner's statistics are in the image (made at publish) */
    sqlite3 *db = NULL;
    sqlite3_stmt *q = NULL;
    assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
    assert_int_equal(sqlite3_prepare_v2(db, "SELECT count(*) FROM sqlite_stat1 WHERE tbl = 'certs'", -1, &q, NULL),
                     SQLITE_OK);
    assert_int_equal(sqlite3_step(q), SQLITE_ROW);
    assert_true(sqlite3_column_int(q, 0) >= 5);
    sqlite3_finalize(q);
    /* a replica: the image with its origin; opened as a plain store */
    assert_int_equal(sqlite3_exec(db, "INSERT INTO meta VALUES('mirror.source', 'https://m.example/pki');"
                                      "INSERT INTO meta VALUES('mirror.published', '1796637600');"
                                      "INSERT INTO meta VALUES('mirror.generation', '1')", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    cd_store *rs = NULL;
    cd_user *ru = NULL;
    fx_must(f, cd_store_open(copy, 0, &rs, &f->err), "open replica");
    fx_must(f, cd_user_owner(rs, &ru, &f->err), "owner");
    assert_true(cd_store_readonly(rs));
    assert_string_equal(cd_store_readonly_reason(rs), "read-only: a mirror of https://m.example/pki (snapshot of "
                        "2026-12-07 10:00 UTC); change the source store and publish again");
    struct cd_err e = { 0 };
    assert_int_equal(cd_tag_create(rs, ru, "x", &e), CD_E_READONLY);
    struct cd_mirror_info mi;
    fx_must(f, cd_store_mirror_info(rs, &mi, &f->err), "info");
    assert_string_equal(mi.source, "https://m.example/pki");
    cd_mirror_info_clear(&mi);
    cd_user_free(ru);
    cd_store_close(rs);
    /* nothing was written beside it: no WAL switch */
    char wal[300];
    snprintf(wal, sizeof wal, "%s-wal", copy);
    assert_int_not_equal(access(wal, F_OK), 0);
    /* the source store is no mirror */
    assert_int_equal(cd_store_mirror_info(f->s, &mi, &e), CD_E_NOTFOUND);
    /* an altered schema: refused as an image */
    assert_int_equal(sqlite3_open(copy, &db), SQLITE_OK);
    assert_int_equal(sqlite3_exec(db, "CREATE VIEW v AS SELECT 1", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    int rc;
    assert_null(open_image(copy, &e, &rc));
    assert_int_equal(rc, CD_E_CORRUPT);
    assert_non_null(strstr(e.msg, "not a snapshot of this certdeck version"));
    /* a plain store is no image either */
    assert_null(open_image(f->path, &e, &rc));
    assert_int_equal(rc, CD_E_CORRUPT);
    free(path);
    cdi_mindex_clear(&ix);
}

static int count_dir(const char *dir, const char *prefix)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "ls -A '%s' | grep -c '^%s' > '%s.count'", dir, prefix, dir);
    if (system(cmd)) { /* grep -c exits 1 on 0 */ }
    char p[300];
    snprintf(p, sizeof p, "%s.count", dir);
    size_t n;
    char *t = fx_slurp(p, &n);
    int v = t ? atoi(t) : -1;
    free(t);
    unlink(p);
    return v;
}

static void test_generations_and_gc(void **state)
{
    struct mt *m = *state;
    struct fx *f = &m->f;
    struct cd_mirror_published r;
    char path[300], files[200];
    snprintf(files, sizeof files, "%s/files", m->pub);
    publish(m, 1, NULL, 0, &r);
    /* foreign files in the folder, some looking almost like ours */
    static const char *const foreign[] = { "README", ".htaccess", "index-old.json", "files/notes.txt",
                                           "files/ABCD.db", "current.bak" };
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", m->pub, foreign[i]);
        FILE *fp = fopen(path, "w");
        assert_non_null(fp);
        fputs("keep me\n", fp);
        fclose(fp);
    }
    /* a leftover temporary file of a publish that died */
    snprintf(path, sizeof path, "%s/.tmp-dead.db", files);
    FILE *fp = fopen(path, "w");
    fclose(fp);
    for (int g = 2; g <= 4; g++) {
        fx_cert(f, "more");
        publish(m, 1, NULL, 0, &r);
        assert_int_equal(r.generation, g);
    }
    /* the current generation and one before it: two indexes, two images */
    assert_int_equal(count_dir(m->pub, "index-.*json$"), 2 + 1);     /* + index-old.json */
    assert_int_equal(count_dir(m->pub, "index-.*sig$"), 2);
    assert_int_equal(count_dir(files, ".*\\.db$"), 2 + 1);           /* + ABCD.db */
    assert_int_equal(count_dir(files, "\\.tmp-"), 0);
    for (size_t i = 0; i < sizeof foreign / sizeof foreign[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", m->pub, foreign[i]);
        assert_int_equal(access(path, F_OK), 0);
    }
    /* keep 3: nothing goes until there are more */
    fx_cert(f, "more");
    publish(m, 1, NULL, 3, &r);
    assert_int_equal(r.generation, 5);
    assert_int_equal(count_dir(m->pub, "index-.*sig$"), 3);
    /* publishing the same store twice writes no file but the new index:
     * the image is the same, byte for byte */
    char before[120], after[120];
    struct cdi_mindex ix;
    size_t len;
    free(current_index(m, &ix, &len));
    snprintf(before, sizeof before, "%s", cdi_mindex_find(&ix, "store")->name);
    cdi_mindex_clear(&ix);
    publish(m, 1, NULL, 3, &r);
    assert_int_equal(r.generation, 6);
    assert_int_equal(r.written, 0);
    free(current_index(m, &ix, &len));
    snprintf(after, sizeof after, "%s", cdi_mindex_find(&ix, "store")->name);
    assert_int_equal(ix.generation, 6);
    cdi_mindex_clear(&ix);
    assert_string_equal(before, after);
    /* a copy damaged in place (same size) is not kept: the next publish
     * writes the image again */
    snprintf(path, sizeof path, "%s/%s", m->pub, after);
    fp = fopen(path, "r+b");
    assert_non_null(fp);
    fseek(fp, 5000, SEEK_SET);
    fputc('X', fp);
    fclose(fp);
    publish(m, 1, NULL, 3, &r);
    assert_int_equal(r.written, 1);
    size_t n = 0;
    char *b = fx_slurp(path, &n);
    char hex[65];
    cdi_sha256_hex(b, n, hex);
    free(b);
    assert_memory_equal(hex, after + 6, 64);
    /* a damaged pointer is not taken for a fresh start */
    snprintf(path, sizeof path, "%s/current", m->pub);
    fp = fopen(path, "w");
    fputs("index-nothing.json\n", fp);
    fclose(fp);
    struct cd_mirror_publish_opts o = { .sign_ca = 1 };
    struct cd_err e = { 0 };
    assert_int_equal(cd_mirror_publish(f->s, f->u, m->pub, &o, &r, &e), CD_E_CORRUPT);
    assert_non_null(strstr(e.msg, "current"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_publish_and_index, mt_setup, mt_teardown),
        cmocka_unit_test(test_index_refusals),
        cmocka_unit_test_setup_teardown(test_signature_refusals, mt_setup, mt_teardown),
        cmocka_unit_test_setup_teardown(test_image_has_no_secrets, mt_setup, mt_teardown),
        cmocka_unit_test_setup_teardown(test_image_reads_like_the_store, mt_setup, mt_teardown),
        cmocka_unit_test_setup_teardown(test_schema_and_replica, mt_setup, mt_teardown),
        cmocka_unit_test_setup_teardown(test_generations_and_gc, mt_setup, mt_teardown),
    };
    return cmocka_run_group_tests_name("mirror", tests, NULL, NULL);
}
