/* certdeck CLI — the HTTP mirror (certdeck mirror ...): publish a signed
 * snapshot of the store into a folder a web server serves, pull one into a
 * local read-only replica, verify one.  The work is the core's
 * (certdeck/mirror.h); this file reads options and prints outcomes. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "cli.h"

/* H1 */
static int publish(struct cli *c, int argc, char **argv)
{
    const char *sign = NULL, *pf = NULL;
    long keep = 1;
    const struct copt opts[] = { { "sign-ca", OPT_STR, &sign }, { "ca-passphrase-file", OPT_STR, &pf },
                                 { "keep", OPT_LONG, &keep }, FORMAT_OPT(c), { NULL, 0, NULL } };
    ARGS(opts, 1, 1, "mirror publish DIR --sign-ca ID [--ca-passphrase-file F] [--keep N] [--format table|json|csv]\n"
         "  writes a signed snapshot of everything public in the store into DIR (a folder a web server\n"
         "  serves); --keep N earlier generations stay for readers under way (default 1)");
    if (!sign) return cli_msg(2, "mirror publish: --sign-ca ID is required (the CA whose key signs the snapshot)");
    if (keep < 1 || keep > 100) return cli_msg(2, "--keep is 1 to 100 (earlier generations kept)");
    int64_t id;
    int rc = cli_id(c, CD_KIND_CA, sign, &id);
    if (rc) return cli_fail(c, rc);
    struct cd_ca a;
    if ((rc = cd_ca_get(c->s, c->u, id, &a, &c->err))) return cli_fail(c, rc);
    int needs = a.has_passphrase;
    cd_ca_clear(&a);
    int prc = 0;
    char *pass = needs ? cli_passphrase(pf, "CA passphrase: ", 0, &prc) : NULL;
    if (prc) return prc;
    if (needs && !pass) return cli_msg(1, "CA %s is protected by a passphrase: give --ca-passphrase-file F", sign);
    struct cd_mirror_publish_opts o = { .sign_ca = id, .ca_passphrase = pass, .keep = (int)keep };
    struct cd_mirror_published r;
    rc = cd_mirror_publish(c->s, c->u, pos[0], &o, &r, &c->err);
    cli_free_secret(pass);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = {
        { "generation", "Generation", OUT_NUM }, { "published", "Published", OUT_TEXT },
        { "index", "Index", OUT_TEXT }, { "files", "Files", OUT_NUM }, { "new_files", "New files", OUT_NUM },
        { "bytes", "Bytes", OUT_NUM }, { "certificates", "Certificates", OUT_NUM }, { "cas", "CAs", OUT_NUM },
        { "signer_sha256", "Signer SHA-256", OUT_TEXT },
    };
    char v[8][32];
    time_t t = (time_t)r.published;
    struct tm tm;
    if (!gmtime_r(&t, &tm) || !strftime(v[1], sizeof v[1], "%Y-%m-%dT%H:%M:%SZ", &tm)) v[1][0] = 0;
    snprintf(v[0], sizeof v[0], "%lld", (long long)r.generation);
    snprintf(v[2], sizeof v[2], "%zu", r.files);
    snprintf(v[3], sizeof v[3], "%zu", r.written);
    snprintf(v[4], sizeof v[4], "%lld", (long long)r.bytes);
    snprintf(v[5], sizeof v[5], "%lld", (long long)r.certs);
    snprintf(v[6], sizeof v[6], "%lld", (long long)r.cas);
    const char *vals[] = { v[0], v[1], r.index, v[2], v[3], v[4], v[5], v[6], r.signer_sha256 };
    out_object(c->fmt, cols, 9, vals);
    return 0;
}

/* H2 */
static int pull(struct cli *c, int argc, char **argv)
{
    (void)c; (void)argc; (void)argv;
    return cli_msg(1, "mirror pull: not in this build yet");
}

/* H2 */
static int verify(struct cli *c, int argc, char **argv)
{
    (void)c; (void)argc; (void)argv;
    return cli_msg(1, "mirror verify: not in this build yet");
}

int cmd_mirror(struct cli *c, int argc, char **argv)
{
    static const struct subcmd t[] = {
        { "publish", publish, "publish DIR --sign-ca ID [--ca-passphrase-file F] [--keep N]" },
        { "pull", pull, "pull URL --into FILE" },
        { "verify", verify, "verify URL|DIR" },
        { NULL, NULL, NULL },
    };
    return cli_dispatch(c, "mirror", t, argc, argv);
}
