/* certdeck CLI — certificates signed elsewhere and requests signed here:
 *   cert new --product apn|abm ... --csr-out F   (a key and its request; pending)
 *   cert csr ID [--out F]                        (the request again)
 *   cert import-signed ID FILE                   (Apple's certificate completes it)
 *   cert request-renew ID --csr-out F            (a new request renewing an APN/ABM one)
 *   cert sign CSR --ca ID --product P ...        (an external request signed by a CA here)
 * Every rule is the core's (certdeck/lifecycle.h); this file parses and prints. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "cli.h"

#define PARSE(opts, pos, max, np, help, usage_text) do { \
    if (cli_parse(argc, argv, opts, pos, max, &np, &help)) return 2; \
    if (help) { printf("usage: certdeck cert %s\n", usage_text); return 0; } } while (0)
#define OPEN(c) do { int orc_ = cli_open(c, 0); if (orc_) return cli_fail(c, orc_); } while (0)

int cli_product_external(int argc, char **argv)
{
    for (int i = 0; i < argc; i++) {
        const char *v = NULL;
        if (!strcmp(argv[i], "--")) break;
        if (!strcmp(argv[i], "--product") && i + 1 < argc) v = argv[i + 1];
        else if (!strncmp(argv[i], "--product=", 10)) v = argv[i] + 10;
        if (v) return cd_product_external(cd_product_parse(v));
    }
    return 0;
}

/* Where the request goes, then what to do with it. */
static int request_done(struct cli *c, int64_t id, const char *out, const char *pem, size_t len)
{
    int rc = cli_write_out(c, out, pem, len, 0);
    if (rc) return rc;
    if (c->fmt != FMT_TABLE) {
        out_ids(c->fmt, &id, 1);
        return 0;
    }
    const char *where = out && strcmp(out, "-") ? out : "the request";
    char *safe = cd_sanitize(where, strlen(where));
    printf("%lld\n", (long long)id);
    fprintf(stderr, "pending: take %s to Apple's portal, then certdeck cert import-signed %lld FILE.pem\n",
            safe ? safe : "the request", (long long)id);
    free(safe);
    return 0;
}

static const char U_REQ[] = "new --product apn|abm --cn CN --csr-out F [--key rsa2048|rsa3072|rsa4096|ec256|ed25519]\n"
    "      [--group G] [--tag T]... [--description D] [--o O] [--ou OU] [--l L] [--st ST] [--c C]\n"
    "  (Apple signs these: the key stays in the store, F is the request to take to Apple's portal)";

int cli_cert_request(struct cli *c, int argc, char **argv)
{
    const char *product = NULL, *key = "rsa2048", *out = NULL, *ca = NULL;
    struct cd_cert_params p = { 0 };
    struct strlist tags = { 0 };
    int help = 0, np = 0;
    const struct copt opts[] = {
        { "product", OPT_STR, &product }, { "cn", OPT_STR, &p.subject.cn }, { "key", OPT_STR, &key },
        { "csr-out", OPT_STR, &out }, { "description", OPT_STR, &p.description }, { "tag", OPT_LIST, &tags },
        { "group", OPT_STR, &p.group }, { "o", OPT_STR, &p.subject.o }, { "ou", OPT_STR, &p.subject.ou },
        { "l", OPT_STR, &p.subject.l }, { "st", OPT_STR, &p.subject.st }, { "c", OPT_STR, &p.subject.c },
        { "ca", OPT_STR, &ca }, FORMAT_OPT(c), { NULL, 0, NULL },
    };
    const char *pos[1];
    PARSE(opts, pos, 0, np, help, U_REQ);
    if (ca) return cli_msg(2, "cert new: --ca does not apply to %s certificates: Apple signs them (leave it out)",
                           product);
    if (!p.subject.cn) return cli_msg(2, "cert new: --cn is required");
    if (!out) return cli_msg(2, "cert new: --csr-out F is required for %s certificates (the request for Apple's "
                             "portal; - for standard output)", product);
    if ((p.product = cd_product_parse(product)) < 0) return cli_unknown("product", product, CD_NAMES_PRODUCT, NULL, 0);
    if ((p.keytype = cd_keytype_parse(key)) < 0) return cli_unknown("key type", key, CD_NAMES_KEYTYPE, NULL, 0);
    p.tags = tags.n ? tags.v : NULL;
    OPEN(c);
    int rc = cli_check_out(c, out, 0);
    if (rc) return rc;
    int64_t id = 0;
    char *pem = NULL;
    size_t len = 0;
    if ((rc = cd_cert_request(c->s, c->u, &p, 0, &id, &pem, &len, &c->err))) return cli_fail(c, rc);
    rc = request_done(c, id, out, pem, len);
    free(pem);
    return rc;
}

int cli_cert_request_renew(struct cli *c, int argc, char **argv)
{
    static const char u[] = "request-renew ID --csr-out F\n"
        "  (an APN/ABM certificate's renewal: a new key and request, same CN, product, key type, group, tags and\n"
        "   description, linked to ID; then certdeck cert import-signed NEWID FILE.pem)";
    const char *out = NULL;
    int help = 0, np = 0;
    const struct copt opts[] = { { "csr-out", OPT_STR, &out }, FORMAT_OPT(c), { NULL, 0, NULL } };
    const char *pos[1];
    PARSE(opts, pos, 1, np, help, u);
    if (np < 1) return cli_msg(2, "usage: certdeck cert %s", u);
    if (!out) return cli_msg(2, "cert request-renew: --csr-out F is required (- for standard output)");
    OPEN(c);
    int64_t old = 0;
    int rc = cli_id(c, CD_KIND_CERT, pos[0], &old);
    if (rc) return cli_fail(c, rc);
    if ((rc = cli_check_out(c, out, 0))) return rc;
    struct cd_cert ce;
    if ((rc = cd_cert_get(c->s, c->u, old, &ce, &c->err))) return cli_fail(c, rc);
    /* the old row's tags ("a,b") as a list */
    struct strlist tags = { 0 };
    char *tagbuf = strdup(ce.tags ? ce.tags : "");
    for (char *t = tagbuf, *save = NULL; tagbuf && (t = strtok_r(t, ",", &save)) && tags.n < 63; t = NULL)
        tags.v[tags.n++] = t;
    struct cd_cert_params p = { .product = cd_product_parse(ce.product), .subject = { .cn = ce.cn },
                                .description = ce.description, .group = ce.group,
                                .keytype = cd_keytype_of_label(ce.key_alg), .tags = tags.n ? tags.v : NULL };
    if (p.keytype < 0) p.keytype = CD_KEY_RSA2048;
    int64_t id = 0;
    char *pem = NULL;
    size_t len = 0;
    rc = cd_cert_request(c->s, c->u, &p, old, &id, &pem, &len, &c->err);
    free(tagbuf);
    cd_cert_clear(&ce);
    if (rc) return cli_fail(c, rc);
    rc = request_done(c, id, out, pem, len);
    free(pem);
    return rc;
}

int cli_cert_csr(struct cli *c, int argc, char **argv)
{
    static const char u[] = "csr ID [--out F]";
    const char *out = NULL;
    int help = 0, np = 0;
    const struct copt opts[] = { { "out", OPT_STR, &out }, { NULL, 0, NULL } };
    const char *pos[1];
    PARSE(opts, pos, 1, np, help, u);
    if (np < 1) return cli_msg(2, "usage: certdeck cert %s", u);
    OPEN(c);
    int64_t id = 0;
    int rc = cli_id(c, CD_KIND_CERT, pos[0], &id);
    if (rc) return cli_fail(c, rc);
    char *pem = NULL;
    size_t len = 0;
    if ((rc = cd_cert_csr(c->s, c->u, id, &pem, &len, &c->err))) return cli_fail(c, rc);
    rc = cli_write_out(c, out, pem, len, 0);
    free(pem);
    return rc;
}

int cli_cert_import_signed(struct cli *c, int argc, char **argv)
{
    static const char u[] = "import-signed ID FILE   (the certificate Apple signed for ID's request, PEM or DER)";
    int help = 0, np = 0;
    const struct copt opts[] = { { NULL, 0, NULL } };
    const char *pos[2];
    PARSE(opts, pos, 2, np, help, u);
    if (np < 2) return cli_msg(2, "usage: certdeck cert %s", u);
    unsigned char *data = NULL;
    size_t len = 0;
    int rc = cli_read_file(pos[1], &data, &len);
    if (rc) return rc;
    int64_t id = 0;
    if ((rc = cli_open(c, 0)) || (rc = cli_id(c, CD_KIND_CERT, pos[0], &id)) ||
        (rc = cd_cert_import_signed(c->s, c->u, id, data, len, &c->err))) {
        free(data);
        return cli_fail(c, rc);
    }
    free(data);
    struct cd_cert ce;
    if (!cd_cert_get(c->s, c->u, id, &ce, &c->err)) {
        char to[32];
        char *safe = cd_sanitize(ce.subject, strlen(ce.subject));
        printf("certificate %lld complete: %s, valid to %s UTC\n", (long long)id, safe ? safe : "",
               cd_format_time(ce.not_after, to, sizeof to));
        free(safe);
        cd_cert_clear(&ce);
    }
    return 0;
}

static const char U_SIGN[] = "sign CSR --ca ID --product agent|server|proxy|mdm|custom [--days N | --valid-from DATE"
    " --valid-to DATE]\n      [--host H] [--group G] [--tag T]... [--description D] [--ca-passphrase-file F] [--out F]\n"
    "  The request's signature is checked; the certificate takes its subject and public key, key usage and\n"
    "  EKU by --product (requested extensions are not copied), SAN from --host; no key is stored.  Prints\n"
    "  the new ID; --out F also writes the certificate (PEM); the chain: cert export ID --format chain.";

int cli_cert_sign(struct cli *c, int argc, char **argv)
{
    const char *ca = NULL, *product = NULL, *vf = NULL, *vt = NULL, *capf = NULL, *out = NULL;
    struct cd_cert_params p = { 0 };
    struct strlist tags = { 0 };
    long days = -1;
    int help = 0, np = 0;
    const struct copt opts[] = {
        { "ca", OPT_STR, &ca }, { "product", OPT_STR, &product }, { "host", OPT_STR, &p.host },
        { "days", OPT_LONG, &days }, { "valid-from", OPT_STR, &vf }, { "valid-to", OPT_STR, &vt },
        { "description", OPT_STR, &p.description }, { "tag", OPT_LIST, &tags }, { "group", OPT_STR, &p.group },
        { "ca-passphrase-file", OPT_STR, &capf }, { "out", OPT_STR, &out }, FORMAT_OPT(c), { NULL, 0, NULL },
    };
    const char *pos[1];
    PARSE(opts, pos, 1, np, help, U_SIGN);
    if (np < 1) return cli_msg(2, "usage: certdeck cert %s", U_SIGN);
    if (!ca) return cli_msg(2, "cert sign: --ca ID is required");
    if (!product) return cli_msg(2, "cert sign: --product agent|server|proxy|mdm|custom is required");
    if ((p.product = cd_product_parse(product)) < 0) return cli_unknown("product", product, CD_NAMES_PRODUCT, NULL, 0);
    if (days != -1 && (days < 1 || days > 36500)) return cli_msg(2, "--days is 1 to 36500");
    p.days = days < 0 ? 0 : (int)days;
    if (vf && cli_parse_when(vf, &p.not_before)) return cli_msg(2, "--valid-from: expected 2026-01-31 or 2026-01-31T10:00:00Z");
    if (vt && cli_parse_when(vt, &p.not_after)) return cli_msg(2, "--valid-to: expected 2026-01-31 or 2026-01-31T10:00:00Z");
    p.tags = tags.n ? tags.v : NULL;
    unsigned char *csr = NULL;
    size_t len = 0;
    int rc = cli_read_file(pos[0], &csr, &len);
    if (rc) return rc;
    if ((rc = cli_open(c, 0)) || (rc = cli_id(c, CD_KIND_CA, ca, &p.ca_id))) {
        free(csr);
        return cli_fail(c, rc);
    }
    if (out && (rc = cli_check_out(c, out, 0))) { free(csr); return rc; }
    char *capass = NULL;
    if ((rc = cli_ca_passphrase(c, p.ca_id, ca, capf, &capass))) { free(csr); return rc; }
    p.ca_passphrase = capass;
    int64_t id = 0;
    rc = cd_cert_sign(c->s, c->u, &p, csr, len, &id, &c->err);
    cli_free_secret(capass);
    free(csr);
    if (rc) return cli_fail(c, rc);
    out_ids(c->fmt, &id, 1);
    if (c->fmt == FMT_TABLE)
        fprintf(stderr, "signed: certificate %lld (no private key stored: it stays where the request was made); "
                "the chain: certdeck cert export %lld --format chain\n", (long long)id, (long long)id);
    if (!out) return 0;
    unsigned char *pem = NULL;
    size_t plen = 0;
    if ((rc = cd_cert_export(c->s, c->u, id, CD_EXPORT_PEM, NULL, &pem, &plen, &c->err))) return cli_fail(c, rc);
    rc = cli_write_out(c, out, pem, plen, 0);
    free(pem);
    return rc;
}
