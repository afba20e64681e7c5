/* certdeck core — the sqlite backend: opening, schema and migrations, the
 * store key, transactions and the audit chain.  Objects live in sq_cas.c,
 * sq_certs.c and sq_misc.c; the permission checks in sq_perms.c.
 *
 * Durability: WAL with synchronous=FULL, so a committed issuance survives a
 * power cut.  The file is created 0600 before SQLite opens it (SQLite would
 * use the umask), and the -wal/-shm files inherit that mode. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <gnutls/crypto.h>
#include "mirror_int.h"
#include "sq_int.h"
#include "sq_renew_int.h"

int sq_dberr(struct sq *sq, struct cd_err *err, const char *what)
{
    int ec = sqlite3_errcode(sq->db);
    const char *m = sqlite3_errmsg(sq->db);
    switch (ec & 0xff) {
    case SQLITE_FULL:
        return cdi_fail(err, CD_E_FULL, "%s: the disk is full; nothing was changed", what);
    case SQLITE_READONLY:
        return cdi_fail(err, CD_E_READONLY, "read-only: %s: the store %s cannot be written; nothing was changed", what,
                        sq->path);
    case SQLITE_BUSY: case SQLITE_LOCKED:
        return cdi_fail(err, CD_E_BUSY, "%s: the store is busy (another certdeck is writing)", what);
    case SQLITE_NOTADB: case SQLITE_CORRUPT:
        return cdi_fail(err, CD_E_CORRUPT, "%s: %s is not a certdeck store, or it is damaged", what, sq->path);
    case SQLITE_IOERR: case SQLITE_CANTOPEN: case SQLITE_PERM:
        return cdi_fail(err, CD_E_IO, "%s: %s (%s)", what, m, sq->path);
    }
    return cdi_fail(err, CD_E_STORE, "%s: %s", what, m);
}

int sq_done(struct sq *sq, int r, const char *what, struct cd_err *err)
{
    return r == SQLITE_DONE ? CD_OK : sq_dberr(sq, err, what);
}

int sq_prep(struct sq *sq, const char *sql, sqlite3_stmt **st, struct cd_err *err)
{
    if (sqlite3_prepare_v2(sq->db, sql, -1, st, NULL) != SQLITE_OK)
        return sq_dberr(sq, err, "query");
    return CD_OK;
}

int sq_cached(struct sq *sq, int which, const char *sql, sqlite3_stmt **st, struct cd_err *err)
{
    if (!sq->cache[which]) {
        int rc = sq_prep(sq, sql, &sq->cache[which], err);
        if (rc) return rc;
    } else {
        sqlite3_reset(sq->cache[which]);
        sqlite3_clear_bindings(sq->cache[which]);
    }
    *st = sq->cache[which];
    return CD_OK;
}

int sq_exec(struct sq *sq, const char *sql, struct cd_err *err)
{
    if (sqlite3_exec(sq->db, sql, NULL, NULL, NULL) != SQLITE_OK)
        return sq_dberr(sq, err, "store");
    return CD_OK;
}

int sq_begin(struct sq *sq, struct cd_err *err)
{
    if (sq->mirror) return cdi_fail(err, CD_E_READONLY, "%s; nothing was changed", sq->ro_reason);
    if (sq->nowrite)
        return cdi_fail(err, CD_E_READONLY, "read-only: no write permission on the store %s; nothing was changed",
                        sq->path);
    if (sq->readonly)
        return cdi_fail(err, CD_E_READONLY, "read-only: the store %s is open read-only (--read-only); nothing was "
                        "changed", sq->path);
    sq->hidden = 0;
    sq->tx_audit_first = 0;
    return sq_exec(sq, "BEGIN IMMEDIATE", err);
}

/* In a --read-only session SQLite itself refuses changes too (query_only),
 * so a path of the core that forgot sq_begin could not write either; the
 * record transactions lift it for their own span. */
static void query_only(struct sq *sq, int on)
{
    if (sq->readonly && !sq->nowrite)
        sqlite3_exec(sq->db, on ? "PRAGMA query_only=1" : "PRAGMA query_only=0", NULL, NULL, NULL);
}

int sq_begin_record(struct sq *sq, struct cd_err *err)
{
    if (sq->mirror) return cdi_fail(err, CD_E_READONLY, "%s", sq->ro_reason);
    if (sq->nowrite)
        return cdi_fail(err, CD_E_READONLY, "read-only: no write permission on the store %s", sq->path);
    query_only(sq, 0);
    sq->tx_audit_first = 0;
    int rc = sq_exec(sq, "BEGIN IMMEDIATE", err);
    if (rc) query_only(sq, 1);
    return rc;
}

void sq_end_record(struct sq *sq) { query_only(sq, 1); }

static int sq_is_readonly(const cd_store *s) { return SQ(s)->readonly; }

char *sq_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return strdup(t ? (const char *)t : "");
}

int sq_bind_all(sqlite3_stmt *st, const struct cdi_sql *q)
{
    for (size_t i = 0; i < q->nb; i++) {
        int r = q->b[i].is_text ? sqlite3_bind_text(st, (int)i + 1, q->b[i].s, -1, SQLITE_TRANSIENT)
                                : sqlite3_bind_int64(st, (int)i + 1, q->b[i].i);
        if (r != SQLITE_OK) return r;
    }
    return SQLITE_OK;
}

int sq_check_group(struct sq *sq, const cd_user *u, const struct cd_query *q, struct cd_err *err)
{
    if (!q || !q->group || !*q->group) return CD_OK;
    /* a group u may read nothing in answers as a missing one (sq_group_id) */
    int64_t id;
    return sq_group_id(sq, u, q->group, &id, err);
}

void sq_in_subtree(struct cdi_sql *w, const char *col, const char *path)
{
    cdi_buf_addf(&w->sql, " AND %s IN (SELECT id FROM groups WHERE path = ", col);
    cdi_sql_text(w, path);
    char *sub = cdi_printf("%s/*", path);
    cdi_buf_addf(&w->sql, " OR path GLOB ");
    cdi_sql_text(w, sub ? sub : "");
    if (!sub) w->sql.oom = 1;
    free(sub);
    cdi_buf_addf(&w->sql, ")");
}

void sq_page(struct cdi_sql *w, const struct cd_query *q)
{
    cdi_buf_addf(&w->sql, " LIMIT ");
    cdi_sql_int(w, q && q->limit > 0 ? q->limit : -1);
    cdi_buf_addf(&w->sql, " OFFSET ");
    cdi_sql_int(w, q && q->offset > 0 ? q->offset : 0);
}

/* ---- audit chain --------------------------------------------------------
 * hash = SHA-256(prev || each field length-prefixed), hex.  Length prefixes
 * make ("ab","c") and ("a","bc") hash differently. */
void sq_audit_hash(const char *prev, int64_t id, int64_t ts, const char *const f[5], char out[65])
{
    struct cdi_buf b = { 0 };
    cdi_buf_addf(&b, "%s|%lld|%lld", prev, (long long)id, (long long)ts);
    for (int i = 0; i < 5; i++) cdi_buf_addf(&b, "|%zu:%s", strlen(f[i]), f[i]);
    unsigned char h[32];
    gnutls_hash_fast(GNUTLS_DIG_SHA256, b.p, b.len, h);
    cdi_hex(h, 32, out);
    cdi_buf_free(&b);
}

const char SQ_ZERO_HASH[] = "0000000000000000000000000000000000000000000000000000000000000000";

int sq_audit_next(struct sq *sq, int64_t *id, char prev[65], int64_t ts, const char *user, const char *action,
                  const char *object, const char *result, const char *detail, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    char hash[65];
    const char *f[5] = { user ? user : "", action, object ? object : "", result, detail ? detail : "" };
    sq_audit_hash(prev, *id + 1, ts, f, hash);
    int rc = sq_cached(sq, SQC_AUDIT_INS, "INSERT INTO audit(id, ts, user, action, object, result, detail, prev,"
                                          " hash) VALUES(?,?,?,?,?,?,?,?,?)", &st, err);
    if (rc) return rc;
    sqlite3_bind_int64(st, 1, *id + 1);
    sqlite3_bind_int64(st, 2, ts);
    for (int i = 0; i < 5; i++) sqlite3_bind_text(st, 3 + i, f[i], -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 8, prev, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 9, hash, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "audit");
    sqlite3_reset(st);
    if (rc) return rc;
    ++*id;
    memcpy(prev, hash, 65);
    /* what sq_audit_head_update takes for this transaction's own records */
    if (!sq->tx_audit_first) sq->tx_audit_first = *id;
    return CD_OK;
}

int sq_audit(struct sq *sq, const char *user, const char *action, const char *object,
             const char *result, const char *detail, struct cd_err *err)
{
    char prev[65];
    int64_t id;
    int rc = sq_audit_last(sq, &id, prev, err);
    return rc ? rc : sq_audit_next(sq, &id, prev, cdi_now(), user, action, object, result, detail, err);
}

int sq_finish(struct sq *sq, const cd_user *u, int rc, const char *action, const char *object,
              const char *detail, struct cd_err *err)
{
    const char *who = u ? u->name : "";
    if (!rc) rc = sq_audit(sq, who, action, object, "Success", detail, err);
    if (!rc) rc = sq_audit_head_update(sq, err);
    if (!rc) {
        if (sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL) == SQLITE_OK) return CD_OK;
        rc = sq_dberr(sq, err, "commit");
    }
    if (!sqlite3_get_autocommit(sq->db)) sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    /* The refusal itself is recorded; if even that cannot be written (disk
     * full, read-only file) the caller still gets the original error. */
    if (rc == CD_E_READONLY || rc == CD_E_FULL || rc == CD_E_BUSY || rc == CD_E_CORRUPT || sq->nowrite)
        return rc;
    sq->tx_audit_first = 0;
    if (sqlite3_exec(sq->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK) {
        char d[700];
        snprintf(d, sizeof d, "%s%s%s", detail ? detail : "", detail && *detail ? ": " : "",
                 cd_errmsg(err, rc));
        /* a hidden object was answered "not found", but it was a refusal */
        /* (only a "not found" can be a hidden object's: a flag left from an
         * earlier call cannot turn another failure into a refusal) */
        const char *res = rc == CD_E_FORBIDDEN || (sq->hidden && rc == CD_E_NOTFOUND) ? "Forbidden" : "Failure";
        sq->hidden = 0;
        if (sq_audit(sq, who, action, object, res, d, NULL) == CD_OK && sq_audit_head_update(sq, NULL) == CD_OK)
            sqlite3_exec(sq->db, "COMMIT", NULL, NULL, NULL);
        else
            sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    }
    return rc;
}


int sq_group_id(struct sq *sq, const cd_user *u, const char *path, int64_t *id, struct cd_err *err)
{
    if (!path || !*path) { *id = u->home_group; return CD_OK; }
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "SELECT id FROM groups WHERE path = ?", &st, err);
    if (rc) return rc;
    size_t len = strlen(path);
    while (len > 1 && path[len - 1] == '/') len--;
    sqlite3_bind_text(st, 1, path, (int)len, SQLITE_TRANSIENT);
    int found = sqlite3_step(st) == SQLITE_ROW;
    if (found) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    /* a group u may read nothing in is, to u, not there (as in its group
     * list): the same words, so paths cannot be probed */
    if (found && !sq_sees_group(sq, u, *id)) { sq->hidden = 1; found = 0; }
    if (!found) rc = cdi_fail(err, CD_E_NOTFOUND, "no access group \"%.200s\" (paths look like /All/San Diego)", path);
    return rc;
}

/* ---- the store key ------------------------------------------------------
 * Kept in PATH.key (0600) beside the store: the local owner who can read the
 * store file can read its key, as with an ssh key.  Loaded once per session,
 * wiped at close. */
int sq_store_key(struct sq *sq, struct cd_err *err)
{
    if (sq->key_loaded) return CD_OK;
    int fd = open(sq->keypath, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return cdi_fail(err, CD_E_NOKEY, "cannot read the store key %s (%s); private keys cannot be used "
                        "without it", sq->keypath, strerror(errno));
    ssize_t n = read(fd, sq->key, sizeof sq->key);
    close(fd);
    if (n != (ssize_t)sizeof sq->key) {
        cdi_wipe(sq->key, sizeof sq->key);
        return cdi_fail(err, CD_E_NOKEY, "the store key %s is damaged", sq->keypath);
    }
    sq->key_loaded = 1;
    return CD_OK;
}

static int make_key_file(struct sq *sq, struct cd_err *err)
{
    unsigned char k[CDI_STORE_KEY_LEN];
    if (gnutls_rnd(GNUTLS_RND_KEY, k, sizeof k) < 0)
        return cdi_fail(err, CD_E_CRYPTO, "no randomness for the store key");
    int fd = open(sq->keypath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        cdi_wipe(k, sizeof k);
        return cdi_fail(err, CD_E_IO, "cannot create the store key %s: %s", sq->keypath, strerror(errno));
    }
    ssize_t w = write(fd, k, sizeof k);
    int fs = fsync(fd);
    close(fd);
    if (w != (ssize_t)sizeof k || fs) {
        cdi_wipe(k, sizeof k);
        unlink(sq->keypath);
        return cdi_fail(err, CD_E_IO, "cannot write the store key %s", sq->keypath);
    }
    memcpy(sq->key, k, sizeof k);
    cdi_wipe(k, sizeof k);
    sq->key_loaded = 1;
    return CD_OK;
}

/* ---- open / close ------------------------------------------------------ */

/* mkdir -p of the folder that will hold the file at path (cdi_mkdirs). */
static int mkdirs(const char *path)
{
    char *d = strdup(path);
    if (!d) return -1;
    char *slash = strrchr(d, '/');
    int r = 0;
    if (slash && slash != d) {
        *slash = 0;
        r = cdi_mkdirs(d);
    }
    free(d);
    return r;
}

/* fresh: the file was created empty by this open (init); only then is an
 * empty database ours to fill. */
static int migrate(struct sq *sq, int fresh, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    int rc = sq_prep(sq, "PRAGMA application_id", &st, err);
    if (rc) return rc;
    int r = sqlite3_step(st);
    int64_t app = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    sqlite3_finalize(st);
    if (r != SQLITE_ROW) return sq_dberr(sq, err, "open");
    if ((rc = sq_prep(sq, "PRAGMA user_version", &st, err))) return rc;
    int ver = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
    sqlite3_finalize(st);
    if (ver == 0 && app == 0) {
        if ((rc = sq_prep(sq, "SELECT count(*) FROM sqlite_master", &st, err))) return rc;
        int64_t tables = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 1;
        sqlite3_finalize(st);
        if (tables) return cdi_fail(err, CD_E_CORRUPT, "%s is an SQLite database of another program, "
                                    "not a certdeck store", sq->path);
        /* an empty database is ours to fill only when this open created the
         * file: one that was already there may be anything */
        if (!fresh)
            return cdi_fail(err, CD_E_CORRUPT, "%s is an empty database, not a certdeck store; \"certdeck init\" "
                            "creates a new store and never fills a file that exists", sq->path);
    } else if (app != SQ_APP_ID) {
        return cdi_fail(err, CD_E_CORRUPT, "%s is an SQLite database of another program, not a certdeck store",
                        sq->path);
    }
    if (ver > SQ_SCHEMA_VERSION)
        return cdi_fail(err, CD_E_VERSION, "%s has schema %d; this certdeck knows up to %d — upgrade certdeck",
                        sq->path, ver, SQ_SCHEMA_VERSION);
    if (ver == SQ_SCHEMA_VERSION) return CD_OK;
    if (sq->readonly) return cdi_fail(err, CD_E_READONLY, "%s needs an upgrade but is read-only", sq->path);
    size_t nm;
    const char *const *mig = sq_migrations(&nm);
    if ((rc = sq_begin(sq, err))) return rc;
    for (int v = ver; v < (int)nm && !rc; v++) rc = sq_exec(sq, mig[v], err);
    /* schema 7 brought the audit head: seal it over the log as it stands */
    if (!rc && ver < 7) rc = sq_audit_head_seal(sq, err);
    char pragma[96];
    snprintf(pragma, sizeof pragma, "PRAGMA application_id=%d; PRAGMA user_version=%d", SQ_APP_ID,
             (int)nm);
    if (!rc) rc = sq_exec(sq, pragma, err);
    if (!rc) rc = sq_exec(sq, "COMMIT", err);
    if (rc) sqlite3_exec(sq->db, "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

/* Partial indexes with no row: PRAGMA optimize analyses a table again
 * whenever one of its indexes has no sqlite_stat1 row, and ANALYZE writes
 * none for an empty index; certs_replaces and certs_pending are empty in
 * most stores, so every close analysed all of certs (1.5 s at 1M rows).
 * A partial index left without a row (empty when last analysed) gets "1 1"
 * (next to nothing to find); a real ANALYZE, once the table has grown 25
 * times, replaces it. */
#define SQ_UNSTATED_PARTIAL \
    " FROM sqlite_master m WHERE m.type = 'index' AND m.sql LIKE '% WHERE %'" \
    " AND EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.tbl = m.tbl_name)" \
    " AND NOT EXISTS (SELECT 1 FROM sqlite_stat1 s WHERE s.idx = m.name)"

static void sq_optimize(struct sq *sq)
{
    sqlite3_stmt *st = NULL;
    sqlite3_exec(sq->db, "PRAGMA optimize", NULL, NULL, NULL);
    /* read first: the common case (nothing missing) takes no write lock */
    if (sqlite3_prepare_v2(sq->db, "SELECT 1" SQ_UNSTATED_PARTIAL, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW) {
        sqlite3_finalize(st);
        st = NULL;
        sqlite3_exec(sq->db, "INSERT INTO sqlite_stat1(tbl, idx, stat) SELECT m.tbl_name, m.name, '1 1'"
                     SQ_UNSTATED_PARTIAL, NULL, NULL, NULL);
    }
    sqlite3_finalize(st);
}

static void sq_close(cd_store *s)
{
    struct sq *sq = SQ(s);
    if (!sq) return;
    for (int i = 0; i < SQC_N; i++) sqlite3_finalize(sq->cache[i]);
    sq_agent_free(sq);
    /* keeps the planner's statistics current (SQLite's advice for long-lived files) */
    if (sq->db && !sq->readonly) sq_optimize(sq);
    if (sq->db) sqlite3_close_v2(sq->db);
    cdi_wipe(sq->key, sizeof sq->key);
    free(sq->path);
    free(sq->ro_reason);
    free(sq->keypath);
    free(sq);
    s->impl = NULL;
}

/* SQLite rolls a hot -journal back into the database on the first read
 * and replays a -wal: one planted beside a store by another user (in a
 * folder others may write in) would rewrite it.  Each that exists must be
 * a regular file of the store file's owner or ours. */
static int companions_ok(const char *path, uid_t owner, struct cd_err *err)
{
    static const char *const side[] = { "-journal", "-wal", "-shm" };
    for (size_t i = 0; i < sizeof side / sizeof side[0]; i++) {
        char *p = cdi_printf("%s%s", path, side[i]);
        struct stat st;
        if (!p) return cdi_fail(err, CD_E_NOMEM, "out of memory");
        int bad = !lstat(p, &st) && (!S_ISREG(st.st_mode) || (st.st_uid != owner && st.st_uid != geteuid()));
        int rc = bad ? cdi_fail(err, CD_E_INVAL, "%s is not a file of the store's owner (%s): SQLite would apply it to "
                                "the store %s, so it is not opened; remove it if neither of you made it", p,
                                S_ISREG(st.st_mode) ? "another user's" : "not a regular file", path) : CD_OK;
        free(p);
        if (rc) return rc;
    }
    return CD_OK;
}

int cdi_sqlite_open(cd_store *s, const char *path, unsigned flags, struct cd_err *err)
{
    int created = 0;        /* the file is ours: remove it when the open fails */
    int rc = cdi_pki_init(err), made_key = 0;
    if (rc) return rc;
    struct sq *sq = calloc(1, sizeof *sq);
    if (!sq) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    s->impl = sq;
    s->ops = &cdi_sqlite_ops;
    char *abs = realpath(path, NULL);
    sq->path = abs ? abs : strdup(path);
    s->name = cdi_printf("file:%s", sq->path ? sq->path : path);
    if (!sq->path || !s->name) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    struct stat stt;
    int exists = stat(path, &stt) == 0;
    if (flags & CD_OPEN_CREATE) {
        if (exists) { rc = cdi_fail(err, CD_E_EXISTS, "a store already exists at %s", path); goto out; }
        if (mkdirs(path)) { rc = cdi_fail(err, CD_E_IO, "cannot create the folder for %s: %s", path, strerror(errno)); goto out; }
        /* O_EXCL decides between two concurrent inits: the loser is told the
         * store exists, and must not remove the winner's file below */
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        if (fd < 0 && errno == EEXIST) { rc = cdi_fail(err, CD_E_EXISTS, "a store already exists at %s", path); goto out; }
        if (fd < 0) { rc = cdi_fail(err, CD_E_IO, "cannot create %s: %s", path, strerror(errno)); goto out; }
        close(fd);
        created = 1;
        free(sq->path);
        sq->path = realpath(path, NULL);
        free(s->name);
        s->name = cdi_printf("file:%s", sq->path ? sq->path : path);
        if (!sq->path || !s->name) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    } else if (!exists) {
        rc = cdi_fail(err, CD_E_NOTFOUND, "no store at %s; create one with \"certdeck init\" "
                      "(or \"certdeck demo\" for a demo fleet)", path);
        goto out;
    } else if (!S_ISREG(stt.st_mode)) {
        rc = cdi_not_a_store_file(path, err);
        goto out;
    } else if (stt.st_size == 0) {
        /* SQLite would take it for an empty database and we would fill it */
        rc = cdi_fail(err, CD_E_CORRUPT, "%s is an empty file, not a certdeck store; \"certdeck init\" creates "
                      "a new store and never fills a file that exists", path);
        goto out;
    }
    sq->keypath = cdi_printf("%s.key", sq->path);
    if (!sq->keypath) { rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); goto out; }
    /* --read-only on a writable file keeps a writable connection: changes
     * are refused by sq_begin, records of log-ins and key exports are not */
    int image = (flags & CDI_OPEN_IMAGE) != 0;
    if ((rc = companions_ok(sq->path, exists ? stt.st_uid : geteuid(), err))) goto out;
    /* a file no one may write (a pulled replica is 0444) is read-only for
     * root too, whom access() lets write anything */
    sq->nowrite = image || (!(flags & CD_OPEN_CREATE) && (access(sq->path, W_OK) != 0 || !(stt.st_mode & 0222)));
    sq->readonly = (flags & CD_OPEN_READONLY) || sq->nowrite;
    /* an image is a cached file of ours: never through a symbolic link */
    int oflags = (sq->nowrite ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE) | SQLITE_OPEN_NOMUTEX |
                 (image ? SQLITE_OPEN_NOFOLLOW : 0);
    if (sqlite3_open_v2(sq->path, &sq->db, oflags, NULL) != SQLITE_OK) {
        rc = cdi_fail(err, CD_E_IO, "cannot open %s: %s", sq->path, sq->db ? sqlite3_errmsg(sq->db) : "out of memory");
        goto out;
    }
    sqlite3_busy_timeout(sq->db, 5000);
    sqlite3_extended_result_codes(sq->db, 0);
    /* an image: schema first, before anything reads it; an image or a
     * pulled replica is never written (no WAL switch either) */
    if (image && (rc = sq_image_check(sq, err))) goto out;
    if (!(flags & CD_OPEN_CREATE) && (rc = sq_mirror_detect(sq, image, err))) goto out;
    if (!sq->nowrite) {
        /* journal_mode answers with a row; a non-database file fails here first */
        if ((rc = sq_exec(sq, "PRAGMA journal_mode=WAL", err))) goto out;
    } else if (!image && sqlite3_exec(sq->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL) == SQLITE_READONLY) {
        /* a WAL store is read through its -shm file: a reader that may write
         * neither the file nor its folder cannot even read it */
        rc = cdi_fail(err, CD_E_READONLY, "cannot read the store %s without write access: SQLite needs to write its "
                      "%s-shm and -wal files beside it (ask its owner for write access to the folder, or use a copy)",
                      sq->path, sq->path);
        goto out;
    }
    if ((rc = sq_exec(sq, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-32000", err)))
        goto out;
    /* the key first: sealing the new store's audit head needs it */
    if ((flags & CD_OPEN_CREATE) && (rc = make_key_file(sq, err))) goto out;
    made_key = (flags & CD_OPEN_CREATE) != 0;
    if (!image && (rc = migrate(sq, created, err))) goto out;
    query_only(sq, 1);
out:
    if (rc) {
        char *p = created && sq->path ? strdup(sq->path) : NULL;
        if (made_key) unlink(sq->keypath);
        sq_close(s);
        s->ops = NULL;
        if (p) {
            /* a store that failed to come into being leaves nothing behind */
            char *w = cdi_printf("%s-wal", p), *m = cdi_printf("%s-shm", p);
            unlink(p);
            if (w) unlink(w);
            if (m) unlink(m);
            free(w); free(m); free(p);
        }
    }
    return rc;
}

/* What no export may overwrite: the database, its key, and SQLite's
 * companions (WAL, shared memory, rollback journal) whether or not they
 * exist at this moment. */
static size_t sq_own_files(cd_store *s, char **out, size_t max)
{
    struct sq *sq = SQ(s);
    static const char *const suffix[] = { "", ".key", "-wal", "-shm", "-journal" };
    size_t n = 0;
    for (size_t i = 0; i < sizeof suffix / sizeof suffix[0] && n < max; i++)
        if ((out[n] = cdi_printf("%s%s", sq->path, suffix[i]))) n++;
    return n;
}

/* ---- users and init ---------------------------------------------------- */

int sq_load_user(struct sq *sq, const char *where, const char *arg, cd_user **out, struct cd_err *err)
{
    sqlite3_stmt *st = NULL;
    char sql[200];
    snprintf(sql, sizeof sql, "SELECT id, name, admin, home FROM users WHERE %s AND disabled = 0 ORDER BY id LIMIT 1",
             where);
    int rc = sq_prep(sq, sql, &st, err);
    if (rc) return rc;
    if (arg) sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW) {
        cd_user *u = calloc(1, sizeof *u);
        if (u) {
            u->id = sqlite3_column_int64(st, 0);
            u->name = sq_text(st, 1);
            u->admin = sqlite3_column_int(st, 2);
            u->home_group = sqlite3_column_int64(st, 3);
        }
        if (!u || !u->name) { cd_user_free(u); rc = cdi_fail(err, CD_E_NOMEM, "out of memory"); }
        else *out = u;
    } else {
        rc = cdi_fail(err, CD_E_STATE, "the store %s has no administrator yet; run \"certdeck init\"", sq->path);
    }
    sqlite3_finalize(st);
    return rc;
}

/* Whoever can open the file is not thereby its administrator (a store left
 * mode 666 would give everyone everything): only the file's Unix owner.
 * Root is no exception: root may read the key anyway, but acting as the
 * administrator of another user's store by accident is what this stops;
 * root logs in with --user like anyone else, or runs as the owner. */
static int sq_user_owner(cd_store *s, cd_user **out, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    struct stat st;
    *out = NULL;
    if (stat(sq->path, &st))
        return cdi_fail(err, CD_E_IO, "cannot read the owner of %s: %s", sq->path, strerror(errno));
    if (st.st_uid != geteuid())
        return cdi_fail(err, CD_E_FORBIDDEN, "only the owner of %s (uid %lu) acts as its administrator without "
                        "logging in; log in with --user NAME", sq->path, (unsigned long)st.st_uid);
    return sq_load_user(sq, "admin = 1", NULL, out, err);
}

/* The installation's server certificate names loopback, so a fresh
 * store's certdeckd verifies on this machine, and the machine's name when
 * it is one a certificate may carry. */
static void server_hosts(char *buf, size_t n)
{
    char h[256] = "";
    snprintf(buf, n, "localhost, 127.0.0.1, ::1");
    if (gethostname(h, sizeof h - 1) || !*h || !strcasecmp(h, "localhost")) return;
    unsigned char ip[16];
    if (inet_pton(AF_INET, h, ip) == 1 || inet_pton(AF_INET6, h, ip) == 1) return;
    if (!cdi_hosts_each(h, NULL, NULL, NULL) && !strchr(h, '*') && !strchr(h, ','))
        snprintf(buf + strlen(buf), n - strlen(buf), ", %s", h);
}

static int sq_init(cd_store *s, const char *admin, struct cd_err *err)
{
    struct sq *sq = SQ(s);
    cd_user *u = NULL;
    int rc = sq_begin(sq, err);
    if (rc) return rc;
    sqlite3_stmt *st = NULL;
    if (!(rc = sq_prep(sq, "SELECT count(*) FROM users", &st, err))) {
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int64(st, 0) > 0)
            rc = cdi_fail(err, CD_E_EXISTS, "the store %s is already initialised", sq->path);
        sqlite3_finalize(st);
    }
    if (!rc) rc = sq_exec(sq, "INSERT INTO groups(id, parent, path) VALUES(1, NULL, '/All')", err);
    if (!rc && !(rc = sq_prep(sq, "INSERT INTO users(name, home, admin, created) VALUES(?, 1, 1, ?)", &st, err))) {
        sqlite3_bind_text(st, 1, admin, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, cdi_now());
        if (sqlite3_step(st) != SQLITE_DONE) rc = sq_dberr(sq, err, "init");
        sqlite3_finalize(st);
    }
    if (!rc) rc = sq_load_user(sq, "name = ?", admin, &u, err);
    /* What the model console's installer makes, all in /All. */
    int64_t ca = 0;
    if (!rc) {
        struct cd_ca_params p = { .subject = { .cn = "Server Certification Authority" },
                                  .description = "Server Certification Authority",
                                  .keytype = CD_KEY_EC256, .days = 3650 };
        rc = sq_ca_new_tx(sq, u, &p, &ca, err);
        if (!rc) rc = sq_audit(sq, u->name, "Create CA", "ca 1", "Success", p.subject.cn, err);
    }
    static const struct { int product; const char *cn, *desc; } inst[] = {
        { CD_PRODUCT_SERVER, "Server", "Server certificate" },
        { CD_PRODUCT_AGENT, "Agent", "Agent certificate" },
        { CD_PRODUCT_AGENT, "Agent", "Agent certificate for server assisted installation" },
    };
    char hosts[320];
    server_hosts(hosts, sizeof hosts);
    for (size_t i = 0; !rc && i < sizeof inst / sizeof inst[0]; i++) {
        struct cd_cert_params p = { .ca_id = ca, .product = inst[i].product,
                                    .host = inst[i].product == CD_PRODUCT_SERVER ? hosts : "*",
                                    .subject = { .cn = inst[i].cn }, .description = inst[i].desc,
                                    .keytype = CD_KEY_EC256, .days = 3650 - 2 };
        rc = sq_cert_new_tx(sq, u, &p, 1, NULL, NULL, NULL, err);
    }
    rc = sq_finish(sq, u, rc, "Initialise store", "store", admin, err);
    cd_user_free(u);
    return rc;
}

const struct cdi_store_ops cdi_sqlite_ops = {
    .name = "sqlite",
    .close = sq_close,
    .init = sq_init,
    .user_owner = sq_user_owner,
    .is_readonly = sq_is_readonly,
    .ca_new = sq_ca_new, .ca_import = sq_ca_import, .ca_list = sq_ca_list, .ca_get = sq_ca_get,
    .ca_export = sq_ca_export, .ca_delete = sq_ca_delete,
    .cert_new = sq_cert_new, .cert_list = sq_cert_list, .cert_count = sq_cert_count,
    .cert_get = sq_cert_get, .cert_export = sq_cert_export, .export_audit = sq_export_audit,
    .cert_revoke = sq_cert_revoke,
    .cert_usage_count = sq_cert_usage_count, .resolve = sq_resolve, .describe = sq_describe,
    .move = sq_move, .crl = sq_crl, .own_files = sq_own_files,
    .group_add = sq_group_add, .group_rm = sq_group_rm, .group_list = sq_group_list,
    .tag_list = sq_tag_list, .tag_create = sq_tag_create, .tag_delete = sq_tag_delete,
    .tag_set = sq_tag_set,
    .preset_list = sq_preset_list, .preset_save = sq_preset_save, .preset_rm = sq_preset_rm,
    .preset_share = sq_preset_share,
    .state_get = sq_state_get, .state_set = sq_state_set,
    .audit_list = sq_audit_list, .audit_verify = sq_audit_verify,
    .user_login = sq_user_login, .user_can = sq_user_can, .user_add = sq_user_add, .user_rm = sq_user_rm,
    .user_set_disabled = sq_user_set_disabled, .user_passwd = sq_user_passwd, .user_list = sq_user_list,
    .permset_add = sq_permset_add, .permset_rm = sq_permset_rm, .permset_grant = sq_permset_grant,
    .permset_list = sq_permset_list,
    .cert_usage = sq_cert_usage, .client_settings_get = sq_client_settings_get,
    .client_password_set = sq_client_password_set, .client_unauth_set = sq_client_unauth_set,
    .checkin_verify = sq_checkin_verify, .checkin_record = sq_checkin_record,
    .crl_current = sq_crl_current, .crl_index = sq_crl_index, .server_tls = sq_server_tls, .trust_pem = sq_trust_pem,
    /* the mirror agents are told of (sq_mirror_agent.c) */
    .expiry_warning_get = sq_expiry_warning_get, .expiry_warning_set = sq_expiry_warning_set,
    .cert_renew = sq_cert_renew, .ca_rollover = sq_ca_rollover,
    .mirror_settings_get = sq_mirror_settings_get, .mirror_settings_set = sq_mirror_settings_set,
    .mirror_settings_secret = sq_mirror_settings_secret,
    .readonly_reason = sq_readonly_reason, .mirror_image = sq_mirror_image, .mirror_sign = sq_mirror_sign,
    .mirror_meta = sq_mirror_meta,
    /* APN/ABM requests and external CSRs (sq_request.c) */
    .cert_request = sq_cert_request, .cert_csr = sq_cert_csr, .cert_import_signed = sq_cert_import_signed,
    .cert_sign = sq_cert_sign,
    /* imports (sq_import.c) */
    .import = sq_import,
};
