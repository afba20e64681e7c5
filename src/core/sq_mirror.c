/* certdeck core — the sqlite backend's side of the mirror: the store image
 * a snapshot carries (a new SQLite file in this build's schema holding
 * only what is public), the index's signature by a CA's key, opening an
 * image (schema checked against this build's), and the read-only state of
 * an image or a pulled replica (their mirror.* meta keys).
 *
 * The image is built as a fresh file, never as a copy of the store with
 * the secrets deleted afterwards: freed pages keep old bytes, and a key or
 * a password hash that was never written cannot leak. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gnutls/abstract.h>
#include "mirror_int.h"
#include "sq_int.h"

/* ---- the image --------------------------------------------------------- */

/* What is copied, table by table; everything else of the store (users,
 * audit, audit_head, user_state, login_fails, permission sets, meta's
 * client password and settings, but the warning window) stays behind.  Keys: cas.key NULL with
 * key_prot 0 (none), certs.key empty (the column is NOT NULL).  The FTS5
 * index is copied as its shadow tables: re-tokenising costs seconds per
 * 100k certificates. */
static const char *const copy_sql[] = {
    "INSERT INTO groups SELECT id, parent, path FROM src.groups",
    "INSERT INTO cas(id, description, cn, subject, serial, fingerprint, not_before, not_after, key_alg, der, key,"
    " key_prot, group_id, crl_number, created, successor) SELECT id, description, cn, subject, serial,"
    " fingerprint, not_before, not_after, key_alg, der, NULL, 0, group_id, crl_number, created, successor"
    " FROM src.cas",
    "INSERT INTO certs(id, ca_id, product, host, description, cn, subject, issuer, serial, fingerprint, not_before,"
    " not_after, key_alg, der, key, pass_hash, group_id, revoked_at, revoke_reason, created, replaces, pending,"
    " csr) SELECT id, ca_id, product, host, description, cn, subject, issuer, serial, fingerprint, not_before,"
    " not_after, key_alg, der, X'', NULL, group_id, revoked_at, revoke_reason, created, replaces, pending, csr"
    " FROM src.certs",
    "INSERT INTO tags SELECT id, name FROM src.tags",
    "INSERT INTO cert_tags SELECT tag_id, cert_id FROM src.cert_tags",
    "INSERT INTO ca_tags SELECT tag_id, ca_id FROM src.ca_tags",
    /* the settings readers need to see what the source sees (allow-list) */
    "INSERT INTO meta(k, v) SELECT k, v FROM src.meta WHERE k IN ('" SQ_META_EXPIRY "')",
    /* the triggers counted the rows above; the source's own counts win */
    "DELETE FROM cert_counts",
    "INSERT INTO cert_counts SELECT tag_id, group_id, revoked, n FROM src.cert_counts",
    /* shared presets, all owned by the image's one user (id 1); a name two
     * users shared gets " (2)", " (3)" */
    "INSERT OR IGNORE INTO presets(id, user_id, name, expr, columns, sort, shared, group_id) SELECT id, 1,"
    " name || CASE WHEN k > 1 THEN ' (' || k || ')' ELSE '' END, expr, columns, sort, 1, group_id FROM"
    " (SELECT *, row_number() OVER (PARTITION BY name ORDER BY id) AS k FROM src.presets WHERE shared <> 0)",
    "INSERT INTO usage SELECT id, cert_id, client, address, first_seen, last_seen FROM src.usage",
    "INSERT INTO crls SELECT ca_id, number, this_update, next_update, der, stale FROM src.crls",
    "DELETE FROM cert_fts_data", "INSERT INTO cert_fts_data SELECT * FROM src.cert_fts_data",
    "DELETE FROM cert_fts_idx", "INSERT INTO cert_fts_idx SELECT * FROM src.cert_fts_idx",
    "DELETE FROM cert_fts_content", "INSERT INTO cert_fts_content SELECT * FROM src.cert_fts_content",
    "DELETE FROM cert_fts_docsize", "INSERT INTO cert_fts_docsize SELECT * FROM src.cert_fts_docsize",
    "DELETE FROM cert_fts_config", "INSERT INTO cert_fts_config SELECT * FROM src.cert_fts_config",
};

/* The schema of this build, made from the migrations into db. */
int sq_schema_make(sqlite3 *db)
{
    size_t n = 0;
    const char *const *m = sq_migrations(&n);
    char pragma[96];
    for (size_t i = 0; i < n; i++)
        if (sqlite3_exec(db, m[i], NULL, NULL, NULL) != SQLITE_OK) return -1;
    snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d; PRAGMA user_version=%d", SQ_APP_ID, (int)n);
    return sqlite3_exec(db, pragma, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
}

static int img_fail(sqlite3 *db, struct cd_err *err, const char *what)
{
    return cdi_fail(err, sqlite3_errcode(db) == SQLITE_FULL ? CD_E_FULL : CD_E_STORE, "mirror image: %s: %s", what,
                    sqlite3_errmsg(db));
}

static int img_exec(sqlite3 *db, const char *sql, struct cd_err *err)
{
    return sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK ? CD_OK : img_fail(db, err, "writing");
}

static int img_meta(sqlite3 *db, const char *k, const char *v, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "INSERT INTO meta(k, v) VALUES(?, ?)", -1, &st, NULL) != SQLITE_OK)
        return img_fail(db, err, "meta");
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, v, -1, SQLITE_STATIC);
    int rc = sqlite3_step(st) == SQLITE_DONE ? CD_OK : img_fail(db, err, "meta");
    sqlite3_finalize(st);
    return rc;
}

/* "file:" URI of a path, every byte but [A-Za-z0-9/._-] escaped. */
static char *file_uri(const char *path, const char *query)
{
    struct cdi_buf b = { 0 };
    cdi_buf_addf(&b, "file:");
    for (const unsigned char *p = (const unsigned char *)path; *p; p++) {
        if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || strchr("/._-", *p))
            cdi_buf_add(&b, p, 1);
        else
            cdi_buf_addf(&b, "%%%02X", *p);
    }
    cdi_buf_addf(&b, "%s", query);
    cdi_buf_add(&b, "", 1);
    if (b.oom) { cdi_buf_free(&b); return NULL; }
    return (char *)b.p;
}

static int img_info(sqlite3 *db, struct cdi_mimage_info *info, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    size_t cap = 0;
    int rc = CD_OK, r;
    if (sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM certs), (SELECT count(*) FROM cas)", -1, &st, NULL) ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = img_fail(db, err, "counting");
        goto out;
    }
    info->certs = sqlite3_column_int64(st, 0);
    info->cas = sqlite3_column_int64(st, 1);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT id FROM cas ORDER BY id", -1, &st, NULL)) { rc = img_fail(db, err, "CAs"); goto out; }
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t *x = cdi_grow(&info->ca_ids, info->ncas, &cap, sizeof *x);
        if (!x) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
        *x = sqlite3_column_int64(st, 0);
        info->ncas++;
    }
    if (r != SQLITE_DONE) rc = img_fail(db, err, "CAs");
out:
    sqlite3_finalize(st);
    return rc;
}

/* The indexes and triggers of the tables copied in bulk: their SQL kept,
 * each dropped, to be made again once the rows are in. */
struct deferred { size_t n, cap; char **sql; };

static void deferred_free(struct deferred *d)
{
    for (size_t i = 0; i < d->n; i++) free(d->sql[i]);
    free(d->sql);
    memset(d, 0, sizeof *d);
}

static int later(sqlite3 *db, struct deferred *d, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    struct cdi_buf drop = { 0 };
    int rc = CD_OK, r;
    if (sqlite3_prepare_v2(db, "SELECT type, name, sql FROM sqlite_schema WHERE type IN ('index', 'trigger') AND"
                               " sql IS NOT NULL AND tbl_name IN ('certs', 'cert_tags', 'usage')", -1, &st, NULL))
        return img_fail(db, err, "schema");
    while ((r = sqlite3_step(st)) == SQLITE_ROW) {
        char **x = cdi_grow(&d->sql, d->n, &d->cap, sizeof *x);
        if (!x || !(*x = sq_text(st, 2))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); break; }
        d->n++;
        cdi_buf_addf(&drop, "DROP %s \"%s\";", (const char *)sqlite3_column_text(st, 0),
                     (const char *)sqlite3_column_text(st, 1));
    }
    sqlite3_finalize(st);
    if (!rc && r != SQLITE_DONE) rc = img_fail(db, err, "schema");
    cdi_buf_add(&drop, "", 1);
    if (!rc) rc = drop.oom ? cdi_fail(err, CD_E_NOMEM, "out of memory") : img_exec(db, (char *)drop.p, err);
    cdi_buf_free(&drop);
    return rc;
}

/* Records a refused or failed publish in the source store (one record; a
 * --read-only session records it too, as sq_begin_record allows). */
static int record(struct sq *sq, const cd_user *u, int rc, const char *object, const char *detail, struct cd_err *err)
{
    if (sq->nowrite || sq_begin_record(sq, NULL)) return rc;
    int frc = sq_finish(sq, u, rc, "Publish mirror", object, detail, err);
    sq_end_record(sq);
    return rc ? rc : frc;
}

int sq_mirror_image(cd_store *s, const cd_user *u, const char *path, const struct cdi_mimage_opts *o,
                    struct cdi_mimage_info *info, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    sqlite3 *db = NULL;
    char *uri = NULL;
    struct deferred defer = { 0 };
    int made = 0;
    memset(info, 0, sizeof *info);
    (void)o;                      /* the publish's own facts go into the index, not here */
    sq->hidden = 0;
    int rc = sq_may(sq, u, CD_ACT_MIRROR_PUBLISH, 1, err);
    if (rc) return record(sq, u, rc, "store", "mirror image", err);
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) return cdi_fail(err, CD_E_IO, "cannot create %s: %s", path, strerror(errno));
    close(fd);
    made = 1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
        rc = cdi_fail(err, CD_E_IO, "cannot open %s: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    /* a temporary file until it is whole: no journal while it is built */
    if ((rc = img_exec(db, "PRAGMA journal_mode=OFF; PRAGMA synchronous=OFF; PRAGMA foreign_keys=OFF;"
                           " PRAGMA cache_size=-65536", err))) goto out;
    if (sq_schema_make(db)) { rc = img_fail(db, err, "schema"); goto out; }
    if (!(uri = file_uri(sq->path, "?mode=ro"))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "ATTACH ? AS src", -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, uri, -1, SQLITE_STATIC);
        if (sqlite3_step(st) != SQLITE_DONE) rc = img_fail(db, err, "reading the store");
    } else {
        rc = img_fail(db, err, "reading the store");
    }
    sqlite3_finalize(st);
    if (rc) goto out;
    /* one transaction: one consistent read of the source */
    if ((rc = img_exec(db, "BEGIN", err))) goto out;
    /* the indexes and triggers of the big tables are made after their rows
     * (sorted once, not updated 100k times), from their own SQL: the
     * schema stays exactly this build's */
    if ((rc = later(db, &defer, err))) goto out;
    for (size_t i = 0; !rc && i < sizeof copy_sql / sizeof copy_sql[0]; i++) rc = img_exec(db, copy_sql[i], err);
    for (size_t i = 0; !rc && i < defer.n; i++) rc = img_exec(db, defer.sql[i], err);
    /* the one user a store needs to be opened by its owner (sq_user_owner):
     * an administrator with no password, who can log in nowhere.  Nothing
     * of the publish itself (generation, time, signer: the index has them)
     * goes into the image, so the same store content gives the same bytes:
     * an unchanged store republished makes no new image, and readers fetch
     * only the small index */
    if (!rc) rc = img_exec(db, "INSERT INTO users(id, name, pwhash, home, admin, disabled, created)"
                               " VALUES(1, 'mirror', NULL, 1, 1, 0, 0)", err);
    if (!rc) rc = img_meta(db, "mirror.image", SQ_IMAGE_FORMAT, err);
    if (!rc) rc = img_info(db, info, err);
    if (!rc) rc = img_exec(db, "COMMIT", err);
    if (!rc) rc = img_exec(db, "DETACH src", err);
    /* FTS5 keeps the terms of old row versions (a description overwritten
     * since) in its segments until they are merged: the copied shadow
     * tables carry that history.  Merged into one segment here, in the
     * image only, the deleted entries go (VACUUM then drops their pages);
     * the same rows give the same segment, so the image stays stable */
    if (!rc) rc = img_exec(db, "INSERT INTO cert_fts(cert_fts) VALUES('optimize')", err);
    /* the planner's statistics, as the local store has them (without them
     * the console's first query on 100k rows takes another plan, ~10x
     * slower).  Made here, from the image's own rows, not copied from the
     * store: the store's change whenever it runs PRAGMA optimize, and the
     * image must stay the same bytes while its content does (~0.5 s per
     * 100k); sqlite_stat4, were this SQLite built with it, is left out */
    if (!rc) rc = img_exec(db, "ANALYZE main; DROP TABLE IF EXISTS main.sqlite_stat4", err);
    /* what a reader opens read-only: no WAL (it would need -shm), compact */
    if (!rc) rc = img_exec(db, "PRAGMA journal_mode=DELETE; PRAGMA synchronous=FULL; VACUUM", err);
out:
    if (db) sqlite3_close_v2(db);
    free(uri);
    deferred_free(&defer);
    if (rc) {
        free(info->ca_ids);
        memset(info, 0, sizeof *info);
        if (made) unlink(path);
        if (rc != CD_E_NOMEM) record(sq, u, rc, "store", "mirror image", NULL);
    }
    return rc;
}

/* ---- the signature ----------------------------------------------------- */

int sq_mirror_sign(cd_store *s, const cd_user *u, int64_t ca_id, const char *pass, const void *data, size_t len,
                   unsigned char **sig, size_t *siglen, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    gnutls_x509_crt_t crt = NULL;
    gnutls_x509_privkey_t key = NULL;
    gnutls_privkey_t pk = NULL;
    gnutls_datum_t out = { 0 };
    struct cdi_mindex ix = { 0 };
    char obj[32], detail[200], hex[65];
    *sig = NULL;
    *siglen = 0;
    sq->hidden = 0;
    /* data NULL: the checks a publish makes before it writes anything */
    int check = data == NULL;
    snprintf(obj, sizeof obj, "ca %lld", (long long)ca_id);
    if (check) {
        snprintf(detail, sizeof detail, "before writing the snapshot");
    } else {
        cdi_sha256_hex(data, len, hex);
        if (!cdi_mindex_parse(data, len, &ix, NULL))
            snprintf(detail, sizeof detail, "generation %lld, %lld certificates, index-%s.json",
                     (long long)ix.generation, (long long)ix.certs, hex);
        else
            snprintf(detail, sizeof detail, "index-%s.json", hex);
        cdi_mindex_clear(&ix);
    }
    int rc = sq->mirror ? cdi_fail(err, CD_E_READONLY, "%s: a mirror carries no private keys, and cannot sign",
                                   sq->ro_reason)
                        : sq_may(sq, u, CD_ACT_MIRROR_PUBLISH, 1, err);
    if (!rc) rc = sq_ca_load(sq, u, ca_id, pass, CD_RIGHT_USE, &crt, &key, err);
    if (rc) goto out;
    char who[40];
    snprintf(who, sizeof who, "CA %lld", (long long)ca_id);
    if ((rc = cdi_mirror_validity(who, (int64_t)gnutls_x509_crt_get_activation_time(crt),
                                  (int64_t)gnutls_x509_crt_get_expiration_time(crt), cdi_now(),
                                  "a mirror must be signed by a valid CA", err)))
        goto out;
    int algo = cdi_mirror_sign_algo(gnutls_x509_privkey_get_pk_algorithm(key));
    if (algo == GNUTLS_SIGN_UNKNOWN) {
        rc = cdi_fail(err, CD_E_CRYPTO, "CA %lld has a key of a kind that does not sign mirror indexes", (long long)ca_id);
        goto out;
    }
    if (check) goto out;
    gnutls_datum_t d = { (unsigned char *)data, (unsigned)len };
    int gt = gnutls_privkey_init(&pk);
    if (gt >= 0) gt = gnutls_privkey_import_x509(pk, key, 0);
    if (gt >= 0) gt = gnutls_privkey_sign_data2(pk, (gnutls_sign_algorithm_t)algo, 0, &d, &out);
    if (gt < 0) { rc = cdi_fail(err, CD_E_CRYPTO, "signing the mirror index: %s", gnutls_strerror(gt)); goto out; }
    if (!(*sig = malloc(out.size))) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    memcpy(*sig, out.data, out.size);
    *siglen = out.size;
out:
    gnutls_free(out.data);
    if (pk) gnutls_privkey_deinit(pk);
    if (key) gnutls_x509_privkey_deinit(key);
    if (crt) gnutls_x509_crt_deinit(crt);
    /* a check that passed is no event: the publish records its signature */
    if (!check || rc) rc = record(sq, u, rc, obj, detail, err);
    if (rc) { free(*sig); *sig = NULL; *siglen = 0; }
    return rc;
}

/* ---- images and replicas, read ------------------------------------------ */

/* The schema, but for the planner's statistics table in exactly SQLite's
 * own definition (an image has it, this build's reference does not). */
static int schema_rows(sqlite3 *db, struct cdi_buf *b)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema WHERE NOT (type ="
                               " 'table' AND name = 'sqlite_stat1' AND tbl_name = 'sqlite_stat1' AND sql IS"
                               " 'CREATE TABLE sqlite_stat1(tbl,idx,stat)') ORDER BY type, name", -1, &st, NULL)
        != SQLITE_OK) return -1;
    int r;
    while ((r = sqlite3_step(st)) == SQLITE_ROW)
        for (int i = 0; i < 4; i++) {
            const char *t = (const char *)sqlite3_column_text(st, i);
            cdi_buf_addf(b, "%zu:%s|", strlen(t ? t : ""), t ? t : "");
        }
    sqlite3_finalize(st);
    return r == SQLITE_DONE && !b->oom ? 0 : -1;
}

/* This build's schema as schema_rows gives it, made once per process. */
static struct cdi_buf ref;
static int ref_ok;
static pthread_once_t ref_once = PTHREAD_ONCE_INIT;

static void make_ref(void)
{
    sqlite3 *mem = NULL;
    ref_ok = sqlite3_open_v2(":memory:", &mem, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) == SQLITE_OK &&
             !sq_schema_make(mem) && !schema_rows(mem, &ref);
    sqlite3_close_v2(mem);
}

int cdi_image_quick_check(const char *path, const char *what, struct cd_err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    /* its folder resolved (SQLite's NOFOLLOW refuses a link anywhere in the
     * path, and DIR or $XDG_CACHE_HOME may be named through one), the file
     * itself never through a link; immutable: a file of our own no one
     * writes yet (no locks, no journal) */
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path)) : strdup("."), *real = dir ? realpath(*dir ? dir : "/", NULL) : NULL;
    char *full = real ? cdi_printf("%s/%s", strcmp(real, "/") ? real : "", slash ? slash + 1 : path) : NULL;
    char *uri = full ? file_uri(full, "?mode=ro&immutable=1") : NULL;
    int rc = CD_OK;
    free(dir);
    free(real);
    free(full);
    if (!uri) return cdi_fail(err, CD_E_IO, "%s: cannot open the store image: %s", what, strerror(errno ? errno : ENOMEM));
    if (sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI | SQLITE_OPEN_NOFOLLOW,
                        NULL) != SQLITE_OK) {
        rc = cdi_fail(err, CD_E_IO, "%s: cannot open the store image: %s", what, db ? sqlite3_errmsg(db) : "out of memory");
        goto out;
    }
    /* the first problem is enough to say; mapped, not read page by page
     * (100k: ~0.15 s instead of ~0.35 s; the file is ours, no one
     * truncates it under the map) */
    if (sqlite3_exec(db, "PRAGMA cell_size_check=ON; PRAGMA mmap_size=2147418112", NULL, NULL, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW) {
        rc = cdi_fail(err, CD_E_CORRUPT, "%s: the store image is damaged: %s", what, sqlite3_errmsg(db));
        goto out;
    }
    const char *r = (const char *)sqlite3_column_text(st, 0);
    if (!r || strcmp(r, "ok"))
        rc = cdi_fail(err, CD_E_CORRUPT, "%s: the store image is damaged: %.300s", what, r ? r : "no answer");
out:
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    free(uri);
    return rc;
}

int sq_image_check(struct sq *sq, struct cd_err *err)
{
    /* an image came from elsewhere: its schema may carry no triggers or
     * views of its own making, and SQL in it is not trusted */
    sqlite3_db_config(sq->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    sqlite3_db_config(sq->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    /* a damaged page is found as it is read (the whole image had its
     * quick_check once, when it was fetched) */
    sqlite3_exec(sq->db, "PRAGMA trusted_schema=OFF; PRAGMA cell_size_check=ON", NULL, NULL, NULL);
    struct cdi_buf mine = { 0 };
    int rc = CD_OK;
    pthread_once(&ref_once, make_ref);
    if (!ref_ok) return cdi_fail(err, CD_E_STORE, "cannot make this build's schema");
    if (schema_rows(sq->db, &mine)) {
        rc = sq_dberr(sq, err, "mirror image");
    } else if (mine.len != ref.len || memcmp(mine.p, ref.p, ref.len)) {
        rc = cdi_fail(err, CD_E_CORRUPT, "%s is not a snapshot of this certdeck version (its schema differs from "
                      "schema %d's)", sq->path, SQ_SCHEMA_VERSION);
    }
    cdi_buf_free(&mine);
    return rc;
}

static char *meta_text(struct sq *sq, const char *k)
{
    sqlite3_stmt *st = NULL;
    char *v = NULL;
    if (sqlite3_prepare_v2(sq->db, "SELECT v FROM meta WHERE k = ?", -1, &st, NULL) != SQLITE_OK) return NULL;
    sqlite3_bind_text(st, 1, k, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) v = sq_text(st, 0);
    sqlite3_finalize(st);
    return v;
}

int sq_mirror_detect(struct sq *sq, int image, struct cd_err *err)
{
    char *fmt = meta_text(sq, "mirror.image"), *pub = meta_text(sq, "mirror.published");
    char *src = meta_text(sq, "mirror.source");
    int rc = CD_OK;
    if (!fmt) {
        if (image) rc = cdi_fail(err, CD_E_CORRUPT, "%s is not a mirror snapshot's store image", sq->path);
        goto out;
    }
    if (image && strcmp(fmt, SQ_IMAGE_FORMAT)) {
        rc = cdi_fail(err, CD_E_CORRUPT, "%s is a store image of another format (%.20s), not one this certdeck "
                      "version reads", sq->path, fmt);
        goto out;
    }
    /* an image alone does not know when it was published (the index says;
     * a mirror store's reason is given by mirror_store.c), a replica does */
    char when[64] = "";
    int64_t t = pub ? strtoll(pub, NULL, 10) : 0;
    if (t > 0) {
        char at[32];
        cdi_fmt_time(t, at, sizeof at);
        snprintf(when, sizeof when, " (snapshot of %s UTC)", at);
    }
    free(sq->ro_reason);
    sq->ro_reason = cdi_printf("read-only: a mirror of %.300s%s; change the source store and publish again",
                               src && *src ? src : "a published snapshot", when);
    if (!sq->ro_reason) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    sq->mirror = 1;
    /* nothing is written into a mirror, not even records (a replica is
     * replaced whole by the next pull); SQLite refuses too */
    sq->readonly = sq->nowrite = 1;
    sqlite3_exec(sq->db, "PRAGMA query_only=1; PRAGMA cell_size_check=ON", NULL, NULL, NULL);
out:
    free(fmt);
    free(pub);
    free(src);
    return rc;
}

const char *sq_readonly_reason(const cd_store *s)
{
    struct sq *sq = SQ(s);
    if (!sq->readonly) return NULL;
    if (!sq->ro_reason)
        sq->ro_reason = sq->nowrite ? cdi_printf("read-only: no write permission on the store %s", sq->path)
                                    : cdi_printf("read-only: the store %s is open read-only (--read-only)", sq->path);
    return sq->ro_reason;
}

int sq_mirror_meta(const cd_store *s, struct cd_mirror_info *out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    memset(out, 0, sizeof *out);
    if (!sq->mirror) return cdi_fail(err, CD_E_NOTFOUND, "%s is not a mirror", s->name);
    static const char *const keys[] = { "mirror.generation", "mirror.published", "mirror.checked" };
    int64_t *vals[] = { &out->generation, &out->published, &out->checked };
    for (int i = 0; i < 3; i++) {
        char *v = meta_text(sq, keys[i]);
        *vals[i] = v ? strtoll(v, NULL, 10) : 0;
        free(v);
    }
    char *sha = meta_text(sq, "mirror.signer");
    snprintf(out->signer_sha256, sizeof out->signer_sha256, "%s", sha ? sha : "");
    free(sha);
    out->signer = meta_text(sq, "mirror.signer_subject");
    out->source = meta_text(sq, "mirror.source");
    if (!out->source) out->source = cdi_strdup(sq->path);
    if (!out->source) { cd_mirror_info_clear(out); return cdi_fail(err, CD_E_NOMEM, "out of memory"); }
    return CD_OK;
}
