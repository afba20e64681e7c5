/* certdeck unit tests — a fresh store in a temporary folder per test. */
#ifndef CERTDECK_TEST_HELPERS_H
#define CERTDECK_TEST_HELPERS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <certdeck/certdeck.h>

struct fx {
    char dir[64];
    char path[128];
    cd_store *s;
    cd_user *u;
    struct cd_err err;
};

/* SQL that takes a current store back to schema 8 (tests of older upgrades
 * put it before their own steps back). */
#define FX_UNDO_SCHEMA9 "DROP INDEX certs_replaces; DROP INDEX certs_pending; ALTER TABLE certs DROP COLUMN replaces;" \
    " ALTER TABLE certs DROP COLUMN pending; ALTER TABLE certs DROP COLUMN csr; ALTER TABLE cas DROP COLUMN successor;"

static inline void fx_rm(const char *dir)
{
    char cmd[256];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd)) { /* best effort */ }
}

/* New initialised store (init makes CA 1 and certificates 1..3). */
static inline int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    strcpy(f->dir, "/tmp/cdtest-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    snprintf(f->path, sizeof f->path, "%s/store.db", f->dir);
    if (cd_store_open(f->path, CD_OPEN_CREATE, &f->s, &f->err)) return -1;
    if (cd_store_init(f->s, "admin", &f->err)) return -1;
    if (cd_user_owner(f->s, &f->u, &f->err)) return -1;
    *state = f;
    return 0;
}

static inline int fx_teardown(void **state)
{
    struct fx *f = *state;
    cd_user_free(f->u);
    cd_store_close(f->s);
    fx_rm(f->dir);
    free(f);
    return 0;
}

/* Closes the store and the acting user (both NULL afterwards). */
static inline void fx_close(struct fx *f)
{
    cd_user_free(f->u);
    cd_store_close(f->s);
    f->u = NULL;
    f->s = NULL;
}

/* Closes and opens the store again, as its owner. */
static inline void fx_reopen(struct fx *f)
{
    fx_close(f);
    assert_int_equal(cd_store_open(f->path, 0, &f->s, &f->err), CD_OK);
    assert_int_equal(cd_user_owner(f->s, &f->u, &f->err), CD_OK);
}

/* The store key's path and a name to move it away to (160 and 170 bytes). */
static inline void fx_key_paths(const struct fx *f, char *key, char *moved)
{
    snprintf(key, 160, "%s.key", f->path);
    snprintf(moved, 170, "%s.away", key);
}

/* Issues one agent certificate from CA 1; returns its id. */
static inline int64_t fx_cert(struct fx *f, const char *cn)
{
    struct cd_cert_params p = { .ca_id = 1, .product = CD_PRODUCT_AGENT, .subject = { .cn = cn },
                                .keytype = CD_KEY_EC256, .days = 30 };
    int64_t id = 0;
    int rc = cd_cert_new(f->s, f->u, &p, 1, NULL, NULL, &id, &f->err);
    if (rc) fail_msg("cd_cert_new: %s", cd_errmsg(&f->err, rc));
    return id;
}

static inline int64_t fx_count(struct fx *f, const char *filter, int revoked)
{
    struct cd_query q = { .filter = filter, .revoked = revoked };
    int64_t n = -1;
    int rc = cd_cert_count(f->s, f->u, &q, &n, &f->err);
    if (rc) fail_msg("cd_cert_count(%s): %s", filter ? filter : "", cd_errmsg(&f->err, rc));
    return n;
}

/* Fails the test with the core's message when rc is not CD_OK. */
static inline void fx_must(struct fx *f, int rc, const char *what)
{
    if (rc) fail_msg("%s: %s", what, cd_errmsg(&f->err, rc));
}

/* Writes n bytes to path (replacing it). */
static inline void fx_put(const char *path, const void *data, size_t n)
{
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, n, fp), n);
    fclose(fp);
}

/* The whole file, NUL-terminated (caller frees); NULL when unreadable. */
static inline char *fx_slurp(const char *path, size_t *len)
{
    *len = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return NULL;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fseek(fp, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, fp) != (size_t)n) n = 0;
    fclose(fp);
    b[n] = 0;
    *len = (size_t)n;
    return b;
}

#endif
