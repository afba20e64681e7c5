/* certdeck core — the sqlite store's schema: one migration per version,
 * applied in order by store_sqlite.c's migrate() (a new store runs them
 * all), and run on an empty database to make the reference a store image's
 * schema must equal (sq_mirror.c). */
#include "sq_int.h"

/* Migrations: entry i takes the schema from version i to i+1. */
static const char *const migrations[] = {
    "CREATE TABLE meta(k TEXT PRIMARY KEY, v TEXT);"
    "CREATE TABLE groups(id INTEGER PRIMARY KEY, parent INTEGER, path TEXT NOT NULL UNIQUE COLLATE NOCASE);"
    "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, pwhash TEXT,"
    "  home INTEGER NOT NULL, admin INTEGER NOT NULL DEFAULT 0, disabled INTEGER NOT NULL DEFAULT 0,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE cas(id INTEGER PRIMARY KEY, description TEXT NOT NULL DEFAULT '', cn TEXT NOT NULL,"
    "  subject TEXT NOT NULL, serial TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,"
    "  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, key_alg TEXT NOT NULL,"
    "  der BLOB NOT NULL, key BLOB, key_prot INTEGER NOT NULL, group_id INTEGER NOT NULL,"
    "  crl_number INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE TABLE certs(id INTEGER PRIMARY KEY, ca_id INTEGER NOT NULL, product INTEGER NOT NULL,"
    "  host TEXT NOT NULL, description TEXT NOT NULL DEFAULT '', cn TEXT NOT NULL, subject TEXT NOT NULL,"
    "  issuer TEXT NOT NULL, serial TEXT NOT NULL, fingerprint TEXT NOT NULL, not_before INTEGER NOT NULL,"
    "  not_after INTEGER NOT NULL, key_alg TEXT NOT NULL, der BLOB NOT NULL, key BLOB NOT NULL,"
    "  pass_hash TEXT, group_id INTEGER NOT NULL, revoked_at INTEGER NOT NULL DEFAULT 0,"
    "  revoke_reason INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "CREATE INDEX certs_group ON certs(group_id);"
    "CREATE INDEX certs_na ON certs(not_after);"
    "CREATE INDEX certs_nb ON certs(not_before);"
    "CREATE INDEX certs_serial ON certs(serial);"
    "CREATE INDEX certs_fp ON certs(fingerprint);"
    "CREATE INDEX certs_ca ON certs(ca_id, revoked_at);"
    "CREATE INDEX certs_prod ON certs(product, not_after);"
    /* product with a broad condition: walk one product in id order */
    "CREATE INDEX certs_prod_id ON certs(product, revoked_at, id);"
    "CREATE INDEX certs_cn ON certs(cn COLLATE NOCASE);"
    "CREATE INDEX certs_revoked ON certs(revoked_at);"
    "CREATE TABLE tags(id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE COLLATE NOCASE);"
    "CREATE TABLE cert_tags(tag_id INTEGER NOT NULL, cert_id INTEGER NOT NULL,"
    "  PRIMARY KEY(tag_id, cert_id)) WITHOUT ROWID;"
    "CREATE INDEX cert_tags_cert ON cert_tags(cert_id);"
    "CREATE TABLE ca_tags(tag_id INTEGER NOT NULL, ca_id INTEGER NOT NULL,"
    "  PRIMARY KEY(tag_id, ca_id)) WITHOUT ROWID;"
    "CREATE TABLE presets(id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL, name TEXT NOT NULL,"
    "  expr TEXT NOT NULL, columns TEXT, sort TEXT, UNIQUE(user_id, name));"
    "CREATE TABLE usage(id INTEGER PRIMARY KEY, cert_id INTEGER NOT NULL, client TEXT NOT NULL,"
    "  address TEXT, first_seen INTEGER, last_seen INTEGER);"
    "CREATE INDEX usage_cert ON usage(cert_id);"
    "CREATE TABLE audit(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, user TEXT NOT NULL,"
    "  action TEXT NOT NULL, object TEXT NOT NULL, result TEXT NOT NULL, detail TEXT NOT NULL,"
    "  prev TEXT NOT NULL, hash TEXT NOT NULL);"
    "CREATE INDEX audit_object ON audit(object);"
    /* trigram: substring search over cn, subject, description, host, serial,
     * fingerprint and tag names without a table scan */
    "CREATE VIRTUAL TABLE cert_fts USING fts5(body, tokenize='trigram');",
    /* 1 -> 2: the console's remembered state, per user */
    "CREATE TABLE user_state(user_id INTEGER NOT NULL, k TEXT NOT NULL, v TEXT NOT NULL,"
    "  PRIMARY KEY(user_id, k)) WITHOUT ROWID;",
    /* 2 -> 3: the console's per-group counts and the expiry banner answered
     * from the index alone, without reading certificate rows */
    "DROP INDEX certs_group; CREATE INDEX certs_group ON certs(group_id, revoked_at);"
    "DROP INDEX certs_na; CREATE INDEX certs_na ON certs(not_after, revoked_at, not_before);",
    /* 3 -> 4: a deleted CA's ID is never given again, so "ca 2" in the audit
     * log names one CA for ever (certificates are never deleted) */
    "CREATE TABLE cas_new(id INTEGER PRIMARY KEY AUTOINCREMENT, description TEXT NOT NULL DEFAULT '',"
    "  cn TEXT NOT NULL, subject TEXT NOT NULL, serial TEXT NOT NULL, fingerprint TEXT NOT NULL UNIQUE,"
    "  not_before INTEGER NOT NULL, not_after INTEGER NOT NULL, key_alg TEXT NOT NULL,"
    "  der BLOB NOT NULL, key BLOB, key_prot INTEGER NOT NULL, group_id INTEGER NOT NULL,"
    "  crl_number INTEGER NOT NULL DEFAULT 0, created INTEGER NOT NULL);"
    "INSERT INTO cas_new SELECT * FROM cas;"
    "DROP TABLE cas;"
    "ALTER TABLE cas_new RENAME TO cas;",
    /* 4 -> 5: certificate counts per (tag, group, revoked), tag 0 = all,
     * kept by triggers.  The side panel's group and tag counts, the top
     * line's total and the show-revoked switch read a few hundred rows
     * instead of joining a million; the group key keeps counts limited to
     * what a user may see. */
    "CREATE TABLE cert_counts(tag_id INTEGER NOT NULL, group_id INTEGER NOT NULL, revoked INTEGER NOT NULL,"
    "  n INTEGER NOT NULL, PRIMARY KEY(tag_id, group_id, revoked)) WITHOUT ROWID;"
    "INSERT INTO cert_counts SELECT 0, group_id, revoked_at <> 0, count(*) FROM certs GROUP BY 2, 3;"
    "INSERT INTO cert_counts SELECT x.tag_id, c.group_id, c.revoked_at <> 0, count(*)"
    "  FROM cert_tags x JOIN certs c ON c.id = x.cert_id GROUP BY 1, 2, 3;"
    /* "WHERE true": an upsert's SELECT needs a WHERE, or ON reads as a join */
    "CREATE TRIGGER cc_cert_ins AFTER INSERT ON certs BEGIN"
    "  INSERT INTO cert_counts SELECT 0, NEW.group_id, NEW.revoked_at <> 0, 1 WHERE true"
    "    ON CONFLICT DO UPDATE SET n = n + 1; END;"
    "CREATE TRIGGER cc_cert_del AFTER DELETE ON certs BEGIN"
    "  UPDATE cert_counts SET n = n - 1 WHERE group_id = OLD.group_id AND revoked = (OLD.revoked_at <> 0)"
    "    AND (tag_id = 0 OR tag_id IN (SELECT tag_id FROM cert_tags WHERE cert_id = OLD.id)); END;"
    "CREATE TRIGGER cc_cert_upd AFTER UPDATE OF group_id, revoked_at ON certs"
    "  WHEN OLD.group_id <> NEW.group_id OR (OLD.revoked_at <> 0) <> (NEW.revoked_at <> 0) BEGIN"
    "  UPDATE cert_counts SET n = n - 1 WHERE group_id = OLD.group_id AND revoked = (OLD.revoked_at <> 0)"
    "    AND (tag_id = 0 OR tag_id IN (SELECT tag_id FROM cert_tags WHERE cert_id = OLD.id));"
    "  INSERT INTO cert_counts SELECT k, NEW.group_id, NEW.revoked_at <> 0, 1 FROM"
    "    (SELECT 0 AS k UNION ALL SELECT tag_id FROM cert_tags WHERE cert_id = NEW.id) WHERE true"
    "    ON CONFLICT DO UPDATE SET n = n + 1; END;"
    "CREATE TRIGGER cc_tag_ins AFTER INSERT ON cert_tags BEGIN"
    "  INSERT INTO cert_counts SELECT NEW.tag_id, c.group_id, c.revoked_at <> 0, 1 FROM certs c"
    "    WHERE c.id = NEW.cert_id ON CONFLICT DO UPDATE SET n = n + 1; END;"
    "CREATE TRIGGER cc_tag_del AFTER DELETE ON cert_tags BEGIN"
    "  UPDATE cert_counts SET n = n - 1 WHERE tag_id = OLD.tag_id AND (group_id, revoked) ="
    "    (SELECT c.group_id, c.revoked_at <> 0 FROM certs c WHERE c.id = OLD.cert_id); END;",
    /* 5 -> 6: permission sets.  A set grants a level (1 Read, 2 Use,
     * 3 Write; each includes the ones below) per object type on a list of
     * groups and their subgroups; a user holds any number of sets and the
     * levels add up (the highest wins).  login_fails slows down guessing,
     * per name, whether or not the name exists.  Presets get a group (the
     * maker's home) and can be shared. */
    "CREATE TABLE permsets(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE permset_groups(set_id INTEGER NOT NULL, group_id INTEGER NOT NULL,"
    "  PRIMARY KEY(set_id, group_id)) WITHOUT ROWID;"
    "CREATE TABLE permset_rights(set_id INTEGER NOT NULL, type INTEGER NOT NULL, level INTEGER NOT NULL,"
    "  PRIMARY KEY(set_id, type)) WITHOUT ROWID;"
    "CREATE TABLE user_permsets(user_id INTEGER NOT NULL, set_id INTEGER NOT NULL,"
    "  PRIMARY KEY(user_id, set_id)) WITHOUT ROWID;"
    "CREATE TABLE login_fails(name TEXT PRIMARY KEY COLLATE NOCASE, n INTEGER NOT NULL, until INTEGER NOT NULL)"
    "  WITHOUT ROWID;"
    /* (user, group, type) -> level, every group under a set's group included */
    "CREATE VIEW user_rights AS SELECT up.user_id AS user_id, g.id AS group_id, r.type AS type,"
    "  max(r.level) AS level FROM user_permsets up JOIN permset_rights r ON r.set_id = up.set_id"
    "  JOIN permset_groups pg ON pg.set_id = up.set_id JOIN groups top ON top.id = pg.group_id"
    "  JOIN groups g ON g.id = top.id OR substr(g.path, 1, length(top.path) + 1) = top.path || '/'"
    "  GROUP BY 1, 2, 3;"
    "ALTER TABLE presets ADD COLUMN shared INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE presets ADD COLUMN group_id INTEGER NOT NULL DEFAULT 1;",
    /* 6 -> 7: the audit chain's head (last id, its hash, the record count)
     * with an HMAC under a key derived from the store key, so deleting the
     * newest records or rewriting the log shows (sq_audit.c).  One row;
     * migrate() seals it over the log as it stands. */
    "CREATE TABLE audit_head(id INTEGER PRIMARY KEY CHECK(id = 1), last_id INTEGER NOT NULL,"
    "  hash TEXT NOT NULL, n INTEGER NOT NULL, mac TEXT NOT NULL);",
    /* 7 -> 8: certdeckd.  Each CA's current CRL as last signed (what GET
     * /crl/N.crl serves; stale: a revocation since that it does not list
     * yet); one usage row per (certificate, client), updated at each
     * check-in.  The client settings are keys of meta (sq_agent.c). */
    "CREATE TABLE crls(ca_id INTEGER PRIMARY KEY, number INTEGER NOT NULL, this_update INTEGER NOT NULL,"
    "  next_update INTEGER NOT NULL, der BLOB NOT NULL, stale INTEGER NOT NULL DEFAULT 0);"
    "DELETE FROM usage WHERE id NOT IN (SELECT max(id) FROM usage GROUP BY cert_id, client);"
    "DROP INDEX usage_cert;"
    "CREATE UNIQUE INDEX usage_cert ON usage(cert_id, client);",
    /* 8 -> 9: the lifecycle (certdeck/lifecycle.h).  replaces: the
     * certificate a renewal replaces (0: none); the old row's replaced_by
     * is found through certs_replaces.  A certificate with no private key
     * here (a signed CSR, an imported certificate) has key X''.  pending
     * (APN/ABM, signed by Apple): a key and its request (csr, DER) wait for
     * the signed certificate; der and serial are X'' and '', the
     * fingerprint 'pending-' and the row's key id, not_before = not_after =
     * SQ_PENDING_TIME, so no expiry query ever counts it.  cas.successor:
     * the CA that took over at a rollover (0: none). */
    "ALTER TABLE certs ADD COLUMN replaces INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE certs ADD COLUMN pending INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE certs ADD COLUMN csr BLOB;"
    "CREATE INDEX certs_replaces ON certs(replaces) WHERE replaces <> 0;"
    "CREATE INDEX certs_pending ON certs(pending) WHERE pending <> 0;"
    "ALTER TABLE cas ADD COLUMN successor INTEGER NOT NULL DEFAULT 0;",
};
#define N_MIGRATIONS (sizeof migrations / sizeof migrations[0])
_Static_assert(N_MIGRATIONS == SQ_SCHEMA_VERSION, "one migration per schema version");

const char *const *sq_migrations(size_t *n) { *n = N_MIGRATIONS; return migrations; }
