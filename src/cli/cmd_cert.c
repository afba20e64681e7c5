/* certdeck CLI — "certdeck cert ...": peer certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "cli.h"

#define OPEN(c) do { int orc_ = cli_open(c, 0); if (orc_) return cli_fail(c, orc_); } while (0)
#define PARSE(opts, pos, max, np, help, usage_text) do { \
    if (cli_parse(argc, argv, opts, pos, max, &np, &help)) return 2; \
    if (help) { printf("usage: certdeck cert %s\n", usage_text); return 0; } } while (0)

/* ctx: an int, 1 while the progress line is open (an error then starts a
 * line of its own) */
static void progress(void *ctx, size_t done, size_t total)
{
    fprintf(stderr, "\rissuing certificates: %zu / %zu", done, total);
    if (done == total) fputc('\n', stderr);
    *(int *)ctx = done != total;
}

static const char U_NEW[] = "new --ca ID --product agent|server|proxy|mdm|custom --cn CN [--host H] [--key ec256|ed25519|rsa2048|rsa3072|rsa4096]\n"
    "      [--days N | --valid-from DATE --valid-to DATE] [--description D] [--tag T]... [--group G]\n"
    "      [--o O] [--ou OU] [--l L] [--st ST] [--c C] [--passphrase-file F | --ask-passphrase]\n"
    "      [--ca-passphrase-file F] [--count N]\n"
    "  APN/ABM (Apple signs them): cert new --product apn|abm --cn CN --csr-out F (cert new --product apn --help)";

static int cert_new(struct cli *c, int argc, char **argv)
{
    if (cli_product_external(argc, argv)) return cli_cert_request(c, argc, argv);    /* Apple signs it */
    const char *ca = NULL, *product = NULL, *key = "ec256", *vf = NULL, *vt = NULL, *pf = NULL, *capf = NULL;
    struct cd_cert_params p = { 0 };
    struct strlist tags = { 0 };
    long days = -1, count = 1;          /* -1: --days not given (the core's default) */
    int ask = 0, help = 0, np = 0;
    const struct copt opts[] = {
        { "ca", OPT_STR, &ca }, { "product", OPT_STR, &product }, { "cn", OPT_STR, &p.subject.cn },
        { "host", OPT_STR, &p.host }, { "key", OPT_STR, &key }, { "days", OPT_LONG, &days },
        { "valid-from", OPT_STR, &vf }, { "valid-to", OPT_STR, &vt }, { "description", OPT_STR, &p.description },
        { "tag", OPT_LIST, &tags }, { "group", OPT_STR, &p.group }, { "o", OPT_STR, &p.subject.o },
        { "ou", OPT_STR, &p.subject.ou }, { "l", OPT_STR, &p.subject.l }, { "st", OPT_STR, &p.subject.st },
        { "c", OPT_STR, &p.subject.c }, { "passphrase-file", OPT_STR, &pf }, { "ask-passphrase", OPT_FLAG, &ask },
        { "ca-passphrase-file", OPT_STR, &capf }, { "count", OPT_LONG, &count }, FORMAT_OPT(c), { NULL, 0, NULL },
    };
    const char *pos[1];
    PARSE(opts, pos, 0, np, help, U_NEW);
    if (!ca) return cli_msg(2, "cert new: --ca ID is required");
    if (!p.subject.cn) return cli_msg(2, "cert new: --cn is required");
    if (!product) return cli_msg(2, "cert new: --product agent|server|proxy|mdm|custom is required");
    if ((p.product = cd_product_parse(product)) < 0) return cli_unknown("product", product, CD_NAMES_PRODUCT, NULL, 0);
    if ((p.keytype = cd_keytype_parse(key)) < 0) return cli_unknown("key type", key, CD_NAMES_KEYTYPE, NULL, 0);
    if (count < 1 || count > 1000000) return cli_msg(2, "--count is 1 to 1000000");
    if (days != -1 && (days < 1 || days > 36500)) return cli_msg(2, "--days is 1 to 36500");
    p.days = days < 0 ? 0 : (int)days;
    if (vf && cli_parse_when(vf, &p.not_before)) return cli_msg(2, "--valid-from: expected 2026-01-31 or 2026-01-31T10:00:00Z");
    if (vt && cli_parse_when(vt, &p.not_after)) return cli_msg(2, "--valid-to: expected 2026-01-31 or 2026-01-31T10:00:00Z");
    p.tags = tags.n ? tags.v : NULL;
    OPEN(c);
    int rc = cli_id(c, CD_KIND_CA, ca, &p.ca_id);
    if (rc) return cli_fail(c, rc);
    char *capass = NULL, *pass = NULL;
    int prc = 0;
    if ((rc = cli_ca_passphrase(c, p.ca_id, ca, capf, &capass))) return rc;
    if (pf || ask) {
        pass = cli_passphrase(pf, "Certificate passphrase: ", 1, &prc);
        if (prc || !pass) { cli_free_secret(capass); return prc ? prc : cli_msg(1, "no terminal to ask the passphrase"); }
    }
    p.ca_passphrase = capass;
    p.passphrase = pass;
    int64_t *ids = calloc((size_t)count, sizeof *ids);
    if (!ids) return cli_msg(1, "out of memory");
    int open_line = 0;
    rc = cd_cert_new(c->s, c->u, &p, (size_t)count, count > 1 && isatty(STDERR_FILENO) ? progress : NULL, &open_line,
                     ids, &c->err);
    if (open_line) fputc('\n', stderr);
    cli_free_secret(capass);
    cli_free_secret(pass);
    if (!rc) {
        if (count == 1 || c->fmt != FMT_TABLE) out_ids(c->fmt, ids, (size_t)count);
        else printf("%ld certificates, IDs %lld to %lld\n", count, (long long)ids[0], (long long)ids[count - 1]);
    }
    free(ids);
    return rc ? cli_fail(c, rc) : 0;
}

/* Columns: all of them for json/csv, a readable subset for the table. */
static const int table_cols[] = { CD_COL_ID, CD_COL_DESCRIPTION, CD_COL_PRODUCT, CD_COL_HOST, CD_COL_CN,
                                  CD_COL_ISSUER, CD_COL_VALID_TO, CD_COL_STATUS, CD_COL_TAGS, CD_COL_GROUP };

/* A certificate column for out.c: ids are numbers, tags a list. */
static struct out_col cert_col(int col)
{
    int type = col == CD_COL_ID ? OUT_NUM : col == CD_COL_TAGS ? OUT_LIST : OUT_TEXT;
    return (struct out_col){ cd_col_key(col), cd_col_title(col), type };
}

static int parse_columns(const char *spec, int *cols, int *n)
{
    char *dup = strdup(spec), *save = NULL;
    *n = 0;
    for (char *t = strtok_r(dup, ",", &save); t && *n < CD_COL_COUNT; t = strtok_r(NULL, ",", &save)) {
        int col = cd_col_parse(t);
        if (col < 0) { cli_unknown("column", t, CD_NAMES_COLUMN, NULL, 0); free(dup); return 2; }
        cols[(*n)++] = col;
    }
    free(dup);
    return *n ? 0 : cli_msg(2, "--columns needs at least one column");
}

static int cert_list(struct cli *c, int argc, char **argv)
{
    const char *filter = NULL, *group = NULL, *sort = NULL, *columns = NULL;
    int revoked = 0, desc = 0, help = 0, np = 0, ofmt = c->fmt;
    long offset = 0, limit = c->limit;
    const struct copt opts[] = {
        { "filter", OPT_STR, &filter }, { "revoked", OPT_FLAG, &revoked }, { "group", OPT_STR, &group },
        { "sort", OPT_STR, &sort }, { "desc", OPT_FLAG, &desc }, { "columns", OPT_STR, &columns },
        { "offset", OPT_LONG, &offset }, { "limit", OPT_LONG, &limit }, { "format", OPT_FORMAT, &ofmt },
        { NULL, 0, NULL },
    };
    const char *pos[1];
    PARSE(opts, pos, 1, np, help, "list [--filter EXPR] [--revoked] [--group G] [--sort COL[:desc]] [--desc]\n"
          "      [--columns c1,c2,...] [--offset N] [--limit N] [--format table|json|csv]\n"
          "  columns: id description product host cn issuer valid_from valid_to serial fingerprint tags group status");
    if (np) filter = pos[0];
    int cols[CD_COL_COUNT], ncols = 0;
    if (columns) { if (parse_columns(columns, cols, &ncols)) return 2; }
    else if (ofmt == FMT_TABLE) { ncols = (int)(sizeof table_cols / sizeof table_cols[0]); memcpy(cols, table_cols, sizeof table_cols); }
    else { for (int i = 0; i < CD_COL_COUNT; i++) cols[i] = i; ncols = CD_COL_COUNT; }
    struct cd_query q = { .filter = filter, .group = group, .revoked = revoked, .desc = desc,
                          .offset = offset, .limit = limit };
    q.sort = CD_COL_ID;
    if (sort) {
        /* "subject", "Valid to", "cn:desc" (--desc reverses what the spec says) */
        struct cd_err serr = { 0 };
        int sdesc = 0;
        if (cd_sort_parse(sort, &q.sort, &sdesc, &serr)) return cli_msg(2, "%s", serr.msg);
        q.desc = sdesc != desc;
    }
    /* check the filter before opening anything: a usage error, with its column */
    struct cd_err ferr = { 0 };
    if (filter && cd_filter_check(filter, &ferr)) return cli_filter_fail(filter, &ferr);
    OPEN(c);
    struct out_col oc[CD_COL_COUNT];
    for (int i = 0; i < ncols; i++) oc[i] = cert_col(cols[i]);
    struct out o;
    out_begin(&o, ofmt, oc, ncols);
    /* page through the store: a list of a million rows never sits in memory */
    int64_t left = limit > 0 ? limit : -1;
    q.limit = 1000;
    for (;;) {
        if (left >= 0 && left < q.limit) q.limit = left;
        if (q.limit == 0) break;
        struct cd_cert_list l;
        int rc = cd_cert_list(c->s, c->u, &q, &l, &c->err);
        if (rc) {
            /* nothing on stdout: a script sees the error, not an empty list */
            out_discard(&o);
            return rc == CD_E_FILTER ? cli_filter_fail(filter, &c->err) : cli_fail(c, rc);
        }
        for (size_t r = 0; r < l.n; r++) {
            char bufs[CD_COL_COUNT][64];
            const char *v[CD_COL_COUNT];
            for (int i = 0; i < ncols; i++) v[i] = cd_cert_field(&l.rows[r], cols[i], bufs[i], sizeof bufs[i]);
            out_row(&o, v);
        }
        size_t got = l.n;
        cd_cert_list_free(&l);
        if (left > 0) left -= (int64_t)got;
        if ((int64_t)got < q.limit) break;
        q.offset += (int64_t)got;
    }
    out_end(&o);
    return 0;
}

static int with_cert(struct cli *c, int argc, char **argv, const char *usage_text, int *np,
                     const char **pos, int maxpos, const struct copt *opts, int64_t *id)
{
    int help = 0;
    if (cli_parse(argc, argv, opts, pos, maxpos, np, &help)) return 2;
    if (help) { printf("usage: certdeck cert %s\n", usage_text); return -1; }
    if (*np < 1) return cli_msg(2, "usage: certdeck cert %s", usage_text);
    int rc = cli_open(c, 0);
    if (rc) return cli_fail(c, rc);
    rc = cli_id(c, CD_KIND_CERT, pos[0], id);
    return rc ? cli_fail(c, rc) : 0;
}
#define WITH_CERT(usage_text, maxpos, opts) \
    int64_t id; const char *pos[maxpos]; int np = 0; \
    { int w_ = with_cert(c, argc, argv, usage_text, &np, pos, maxpos, opts, &id); \
      if (w_) return w_ < 0 ? 0 : w_; }

static int cert_show(struct cli *c, int argc, char **argv)
{
    int ofmt = c->fmt;
    const struct copt opts[] = { { "format", OPT_FORMAT, &ofmt }, { NULL, 0, NULL } };
    WITH_CERT("show ID [--format table|json|csv]", 1, opts);
    struct cd_cert ce;
    int rc = cd_cert_get(c->s, c->u, id, &ce, &c->err);
    if (rc) return cli_fail(c, rc);
    int64_t uses = 0;
    cd_cert_usage_count(c->s, c->u, id, &uses, &c->err);
    char b[CD_COL_COUNT][64], t1[32], t2[32], t3[32];
    struct out_col oc[CD_COL_COUNT + 16];
    const char *v[CD_COL_COUNT + 16];
    int n = 0;
    for (int i = 0; i < CD_COL_COUNT; i++) {
        oc[n] = cert_col(i);
        v[n++] = cd_cert_field(&ce, i, b[i], sizeof b[i]);
    }
    snprintf(t1, sizeof t1, "%lld", (long long)ce.ca_id);
    snprintf(t2, sizeof t2, "%lld", (long long)uses);
    /* 0: signed outside the store (APN/ABM: Apple), no CA here */
    oc[n] = (struct out_col){ "ca_id", "CA ID", 1 };
    v[n++] = !ce.ca_id && ofmt == FMT_TABLE ? "none (signed outside this store)" : t1;
    oc[n] = (struct out_col){ "subject_dn", "Subject DN", 0 }; v[n++] = ce.subject;
    oc[n] = (struct out_col){ "key", "Key", 0 }; v[n++] = ce.key_alg;
    oc[n] = (struct out_col){ "has_key", "Private key", OUT_BOOL }; v[n++] = ce.has_key ? "yes" : "no";
    oc[n] = (struct out_col){ "passphrase", "Passphrase", OUT_BOOL }; v[n++] = ce.has_passphrase ? "yes" : "no";
    oc[n] = (struct out_col){ "usage", "Used by", 1 }; v[n++] = t2;
    char next[160];
    if (ce.state == CD_STATE_PENDING) {
        snprintf(next, sizeof next, "pending: certdeck cert csr %lld gives the request for Apple's portal; then "
                 "certdeck cert import-signed %lld FILE.pem", (long long)id, (long long)id);
        oc[n] = (struct out_col){ "next_step", "Next step", 0 }; v[n++] = next;
    }
    if (ce.revoked_at) {
        cd_format_time(ce.revoked_at, t3, sizeof t3);
        oc[n] = (struct out_col){ "revoked_at", "Revoked", 0 }; v[n++] = t3;
        oc[n] = (struct out_col){ "revoke_reason", "Reason", 0 }; v[n++] = ce.revoke_reason;
    }
    char t4[40], t5[40];                   /* the renewal links (lifecycle.h) */
    out_link(ofmt, oc, v, &n, t4, sizeof t4, "replaces", "Replaces", "cert", ce.replaces);
    out_link(ofmt, oc, v, &n, t5, sizeof t5, "replaced_by", "Replaced by", "cert", ce.replaced_by);
    out_object(ofmt, oc, n, v);
    cd_cert_clear(&ce);
    return 0;
}

static int cert_usage(struct cli *c, int argc, char **argv)
{
    int ofmt = c->fmt;
    const struct copt opts[] = { { "format", OPT_FORMAT, &ofmt }, { NULL, 0, NULL } };
    WITH_CERT("usage ID [--format table|json|csv]", 1, opts);
    struct cd_usage_list l;
    int rc = cd_cert_usage(c->s, c->u, id, &l, &c->err);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = {
        { "client", "Client", OUT_TEXT }, { "address", "Address", OUT_TEXT },
        { "first_seen", "First seen", OUT_TEXT }, { "last_seen", "Last seen", OUT_TEXT },
    };
    struct out o;
    out_begin(&o, ofmt, cols, 4);
    for (size_t i = 0; i < l.n; i++) {
        char a[32], b[32];
        const char *v[] = { l.rows[i].client, l.rows[i].address, cd_format_time(l.rows[i].first_seen, a, sizeof a),
                            cd_format_time(l.rows[i].last_seen, b, sizeof b) };
        out_row(&o, v);
    }
    if (ofmt == FMT_TABLE && !l.n) {
        out_discard(&o);
        printf("No client has presented certificate %lld\n", (long long)id);
    } else {
        out_end(&o);
    }
    cd_usage_list_free(&l);
    return 0;
}

static int cert_export(struct cli *c, int argc, char **argv)
{
    const char *fmt = "pem", *out = NULL, *pf = NULL;
    const struct copt opts[] = { { "format", OPT_STR, &fmt }, { "out", OPT_STR, &out },
                                 { "passphrase-file", OPT_STR, &pf }, { NULL, 0, NULL } };
    WITH_CERT("export ID --format pem|der|chain|pfx|base64|key [--passphrase-file F] [--out F]", 1, opts);
    int f = cd_export_parse(fmt);
    if (f < 0) return cli_unknown("export format", fmt, CD_NAMES_EXPORT, NULL, 0);
    int binary = f == CD_EXPORT_DER || f == CD_EXPORT_PFX;
    int to_stdout = cli_to_stdout(out, binary);
    if (to_stdout > 0) return to_stdout;
    char *pass = NULL;
    int prc = 0;
    if (f == CD_EXPORT_PFX || f == CD_EXPORT_BASE64 || f == CD_EXPORT_KEY) {
        /* a mirror carries no keys: said before a passphrase is asked for
         * nothing (a refusal by right is the core's, and audited) */
        struct cd_mirror_info mi;
        if (!cd_store_mirror_info(c->s, &mi, NULL)) {
            cd_mirror_info_clear(&mi);
            char why[300];
            cd_user_may(c->s, c->u, CD_ACT_CERT_EXPORT_KEY, NULL, why, sizeof why);
            return cli_msg(1, "%s", why);
        }
        /* no key here (a signed CSR, a pending request): the core says so
         * before a passphrase is asked for nothing */
        struct cd_cert ce;
        if (!cd_cert_get(c->s, c->u, id, &ce, &c->err)) {
            int nokey = !ce.has_key || ce.state == CD_STATE_PENDING;
            cd_cert_clear(&ce);
            unsigned char *d = NULL;
            size_t dl = 0;
            int krc = nokey ? cd_cert_export(c->s, c->u, id, f, NULL, &d, &dl, &c->err) : CD_OK;
            free(d);
            if (krc) return cli_fail(c, krc);
        }
        pass = cli_passphrase(pf, "Export passphrase: ", 1, &prc);
        if (prc) return prc;
        if (!pass) return cli_msg(1, "a passphrase protects the exported key: give --passphrase-file F");
        if (isatty(STDERR_FILENO)) fprintf(stderr, "protecting the key (PBKDF2, 600,000 rounds)...\n");
    }
    if (!to_stdout) {
        /* the core writes the file and audits whether it was written */
        int rc = cd_cert_export_file(c->s, c->u, id, f, pass, out, 0, &c->err);
        cli_free_secret(pass);
        return rc ? cli_fail(c, rc) : 0;
    }
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = cd_cert_export(c->s, c->u, id, f, pass, &data, &len, &c->err);
    cli_free_secret(pass);
    if (rc) return cli_fail(c, rc);
    rc = cli_write_out(c, out, data, len, binary);
    explicit_bzero(data, len);
    free(data);
    return rc;
}

/* The core re-signs the CRL of a CA the store key protects at revocation;
 * one whose key has a passphrase needs it: signed now with
 * --ca-passphrase-file, else the operator is told that the published CRL
 * does not list the revocation yet (certdeckd serves what was signed). */
static int revoke_crls(struct cli *c, const struct cli_certs *s, const char *capf)
{
    int status = 0;
    for (size_t i = 0; i < s->n; i++) {
        int64_t caid = s->cas[i];
        int seen = !caid;                          /* an APN/ABM certificate has no CA here */
        for (size_t k = 0; k < i && !seen; k++) seen = s->cas[k] == caid;
        struct cd_ca ca;
        if (seen || cd_ca_get(c->s, c->u, caid, &ca, &c->err)) continue;
        int pass = ca.has_passphrase;
        cd_ca_clear(&ca);
        if (!pass) continue;
        if (!capf) {
            cli_msg(0, "CA %lld's key has a passphrase: its published CRL lists this revocation once you run "
                       "certdeck crl %lld (or revoke with --ca-passphrase-file F)", (long long)caid, (long long)caid);
            continue;
        }
        int prc = 0;
        char *pw = cli_passphrase(capf, NULL, 0, &prc);
        unsigned char *der = NULL;
        size_t len = 0;
        int rc = prc ? prc : cd_crl(c->s, c->u, caid, pw, 0, 0, &der, &len, &c->err);
        cli_free_secret(pw);
        free(der);
        if (rc) status = prc ? prc : cli_msg(1, "revoked, but the CRL of CA %lld was not signed: %s", (long long)caid,
                                             cd_errmsg(&c->err, rc));
    }
    return status;
}

/* Revoking certificates that clients still present needs a second yes:
 * named ones are asked about one by one; a filter's once for all, with
 * how many of them clients still present (one count: inuse:yes). */
static int revoke_asks(struct cli *c, const struct cli_certs *s, const char *filter, int reason)
{
    if (filter) {
        size_t fl = strlen(filter) + 32;
        char *f = malloc(fl);
        if (!f) return cli_msg(1, "out of memory");
        snprintf(f, fl, "(%s) and inuse:yes", filter);
        struct cd_query q = { .filter = f };
        int64_t inuse = 0;
        int rc = cd_cert_count(c->s, c->u, &q, &inuse, &c->err);
        free(f);
        if (rc) return cli_fail(c, rc);
        char ask[300], also[160] = "";
        if (inuse)
            snprintf(also, sizeof also, ", %lld of them in use by clients (seen in the last %d days: add inuse:no to "
                     "leave those out)", (long long)inuse, CD_USAGE_RECENT_DAYS);
        snprintf(ask, sizeof ask, "revoke %zu certificate%s permanently (%s)%s?", s->n, s->n == 1 ? "" : "s",
                 cd_reason_name(reason), also);
        return cli_confirm(ask, "not revoked");
    }
    for (size_t i = 0; i < s->n; i++) {
        int64_t u = 0;
        int rc = cd_cert_usage_count(c->s, c->u, s->ids[i], &u, &c->err);
        if (rc) return cli_fail(c, rc);
        if (!u) continue;
        char ask[200];
        snprintf(ask, sizeof ask, "certificate %lld is in use by %lld clients (seen in the last %d days). Revoke it "
                 "permanently?", (long long)s->ids[i], (long long)u, CD_USAGE_RECENT_DAYS);
        int st = cli_confirm(ask, "not revoked");
        if (st) return st;
    }
    return 0;
}

static int cert_revoke(struct cli *c, int argc, char **argv)
{
    static const char usage[] =
        "revoke ID... | --filter EXPR [--reason R] [--yes] [--ca-passphrase-file F] [--format table|json|csv]\n"
        "  reasons: unspecified keyCompromise cACompromise "
        "affiliationChanged superseded cessationOfOperation privilegeWithdrawn\n"
        "  --filter: every certificate it lists, asked first unless --yes (after a renewal:\n"
        "  --filter 'replaced:yes inuse:no' --reason superseded)\n"
        "  A CA whose key has a passphrase signs its new CRL with --ca-passphrase-file (or later: certdeck crl CA)";
    const char *reason = "unspecified", *capf = NULL, *filter = NULL;
    int yes = 0, help = 0, np = 0;
    const char *pos[64];
    const struct copt opts[] = { { "reason", OPT_STR, &reason }, { "yes", OPT_FLAG, &yes },
                                 { "filter", OPT_STR, &filter }, { "ca-passphrase-file", OPT_STR, &capf },
                                 FORMAT_OPT(c), { NULL, 0, NULL } };
    if (cli_parse(argc, argv, opts, pos, 64, &np, &help)) return 2;
    if (help) { printf("usage: certdeck cert %s\n", usage); return 0; }
    if (!filter == !np) return cli_msg(2, "cert revoke: give certificate IDs or --filter EXPR (one of them)");
    int r = cd_reason_parse(reason);
    if (r < 0) return cli_unknown("reason", reason, CD_NAMES_REASON, NULL, 0);
    struct cd_err ferr = { 0 };
    if (filter && cd_filter_check(filter, &ferr)) return cli_filter_fail(filter, &ferr);
    int rc = cli_open(c, 0);
    if (rc) return cli_fail(c, rc);
    struct cli_certs s = { 0 };
    int status = cli_certs_pick(c, filter, pos, np, &s);
    if (!status && !s.n) status = cli_msg(1, "no certificate matches the filter; nothing revoked");
    if (!status && !yes) status = revoke_asks(c, &s, filter, r);
    if (!status && (rc = cd_cert_revoke(c->s, c->u, s.ids, s.n, r, &c->err))) {
        status = cli_fail(c, rc);
        /* one refused certificate refuses the batch: say how to leave such out */
        if (rc == CD_E_STATE && filter)
            fputs("certdeck: nothing revoked; a filter leaves out what revoke refuses with "
                  "'not status:revoked not product:apn not product:abm'\n", stderr);
    }
    if (!status) {
        if (c->fmt != FMT_TABLE) out_ids(c->fmt, s.ids, s.n);
        else printf("revoked %zu certificate%s (%s)\n", s.n, s.n == 1 ? "" : "s", cd_reason_name(r));
        status = revoke_crls(c, &s, capf);
    }
    cli_certs_free(&s);
    return status;
}

static int cert_describe(struct cli *c, int argc, char **argv)
{
    WITH_CERT("describe ID TEXT", 2, NULL);
    if (np < 2) return cli_msg(2, "usage: certdeck cert describe ID TEXT");
    int rc = cd_cert_describe(c->s, c->u, id, pos[1], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static int cert_move(struct cli *c, int argc, char **argv)
{
    WITH_CERT("move ID GROUP", 2, NULL);
    if (np < 2) return cli_msg(2, "usage: certdeck cert move ID GROUP");
    int rc = cd_cert_move(c->s, c->u, &id, 1, pos[1], &c->err);
    return rc ? cli_fail(c, rc) : 0;
}

static const struct subcmd cert_cmds[] = {
    { "new", cert_new, "new --ca ID --product P --cn CN [options] (cert new --help)" },
    { "csr", cli_cert_csr, "csr ID [--out F]   (an APN/ABM certificate's request)" },
    { "import-signed", cli_cert_import_signed, "import-signed ID FILE   (completes a pending APN/ABM certificate)" },
    { "request-renew", cli_cert_request_renew, "request-renew ID --csr-out F   (renews an APN/ABM certificate)" },
    { "sign", cli_cert_sign, "sign CSR --ca ID --product P [options] (cert sign --help)" },
    { "list", cert_list, "list [--filter EXPR] [--revoked] [--sort COL] [--columns ...]" },
    { "show", cert_show, "show ID [--format table|json|csv]" },
    { "usage", cert_usage, "usage ID [--format table|json|csv]" },
    { "export", cert_export, "export ID --format pem|der|chain|pfx|base64|key [--passphrase-file F] [--out F]" },
    { "revoke", cert_revoke, "revoke ID... | --filter EXPR [--reason R] [--yes]" },
    { "describe", cert_describe, "describe ID TEXT" },
    { "move", cert_move, "move ID GROUP" },
    { "renew", cmd_cert_renew, "renew ID... | --filter EXPR [--ca ID] [--same-key] [--days N] [--yes]" },
    { NULL, NULL, NULL },
};

int cmd_cert(struct cli *c, int argc, char **argv)
{
    return cli_dispatch(c, "cert", cert_cmds, argc, argv);
}
