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
    char *pass = NULL;
    if ((rc = cli_ca_passphrase(c, id, sign, pf, &pass))) return rc;
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
/* UTC seconds as "2026-12-07T10:00:00Z" (empty when unknown). */
static void iso_time(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (t <= 0 || !gmtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm)) buf[0] = 0;
}

/* One call of the core on a mirror, with the session's options; a 401 to
 * no credentials asks for them on a terminal and tries once more. */
static int with_mirror(struct cli *c, int (*call)(struct cli *, const struct cd_mirror_opts *, void *), void *arg)
{
    struct cli_mirror m;
    int rc = cli_mirror_begin(c, &m);
    if (!rc) rc = call(c, &m.o, arg);
    if (rc && cli_mirror_ask(c, &m, rc)) rc = call(c, &m.o, arg);
    cli_mirror_end(&m);
    return rc;
}

struct pull_arg { const char *url, *into; struct cd_mirror_pull_result r; };
static int pull_call(struct cli *c, const struct cd_mirror_opts *o, void *arg)
{
    struct pull_arg *p = arg;
    return cd_mirror_pull(p->url, p->into, o, &p->r, &c->err);
}

static int pull(struct cli *c, int argc, char **argv)
{
    const char *into = NULL, *pos[1];
    int np = 0;
    const struct copt opts[] = { { "into", OPT_STR, &into }, FORMAT_OPT(c), { NULL, 0, NULL } };
    int a = cli_args(argc, argv, opts, pos, 1, 1, &np,
                     "mirror pull URL --into FILE [--format table|json|csv]\n"
                     "  fetches and verifies the snapshot at URL (https://, http://, file:///PATH or a folder)\n"
                     "  and makes or updates the read-only replica store FILE (never a store of another kind)");
    if (a) return a < 0 ? 0 : a;
    if (!into || !*into) return cli_msg(2, "mirror pull: --into FILE is required (the replica store to make or update)");
    struct pull_arg p = { .url = pos[0], .into = into };
    int rc = with_mirror(c, pull_call, &p);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = {
        { "updated", "Updated", OUT_BOOL }, { "replica", "Replica", OUT_TEXT },
        { "generation", "Generation", OUT_NUM }, { "published", "Published", OUT_TEXT },
        { "certificates", "Certificates", OUT_NUM }, { "fetched_files", "Files fetched", OUT_NUM },
        { "fetched_bytes", "Bytes fetched", OUT_NUM },
    };
    char v[5][32];
    snprintf(v[0], sizeof v[0], "%lld", (long long)p.r.generation);
    iso_time(p.r.published, v[1], sizeof v[1]);
    snprintf(v[2], sizeof v[2], "%lld", (long long)p.r.certs);
    snprintf(v[3], sizeof v[3], "%zu", p.r.fetched_files);
    snprintf(v[4], sizeof v[4], "%lld", (long long)p.r.fetched_bytes);
    const char *vals[] = { p.r.updated ? "yes" : "no", into, v[0], v[1], v[2], v[3], v[4] };
    out_object(c->fmt, cols, 7, vals);
    return 0;
}

struct verify_arg { const char *url; struct cd_mirror_info i; };
static int verify_call(struct cli *c, const struct cd_mirror_opts *o, void *arg)
{
    struct verify_arg *p = arg;
    return cd_mirror_verify(p->url, o, &p->i, &c->err);
}

static int verify(struct cli *c, int argc, char **argv)
{
    const char *pos[1];
    int np = 0;
    const struct copt opts[] = { FORMAT_OPT(c), { NULL, 0, NULL } };
    int a = cli_args(argc, argv, opts, pos, 1, 1, &np,
                     "mirror verify URL|DIR [--format table|json|csv]\n"
                     "  checks a snapshot completely: the pointer, the index's signature by the trusted CA\n"
                     "  (--signer-ca F, or the one remembered for the mirror), every file's size and SHA-256;\n"
                     "  says exactly what is wrong, writes nothing");
    if (a) return a < 0 ? 0 : a;
    struct verify_arg p = { .url = pos[0] };
    int rc = with_mirror(c, verify_call, &p);
    if (rc) return cli_fail(c, rc);
    static const struct out_col cols[] = {
        { "ok", "Verified", OUT_BOOL }, { "source", "Source", OUT_TEXT }, { "generation", "Generation", OUT_NUM },
        { "published", "Published", OUT_TEXT }, { "signer", "Signer", OUT_TEXT },
        { "signer_sha256", "Signer SHA-256", OUT_TEXT },
    };
    char gen[32], pub[32];
    snprintf(gen, sizeof gen, "%lld", (long long)p.i.generation);
    iso_time(p.i.published, pub, sizeof pub);
    const char *vals[] = { "yes", p.i.source, gen, pub, p.i.signer ? p.i.signer : "", p.i.signer_sha256 };
    out_object(c->fmt, cols, 6, vals);
    cd_mirror_info_clear(&p.i);
    return 0;
}

int cmd_mirror(struct cli *c, int argc, char **argv)
{
    static const struct subcmd t[] = {
        { "publish", publish, "publish DIR --sign-ca ID [--ca-passphrase-file F] [--keep N] [--format table|json|csv]" },
        { "pull", pull, "pull URL --into FILE [--format table|json|csv]" },
        { "verify", verify, "verify URL|DIR [--format table|json|csv]" },
        { NULL, NULL, NULL },
    };
    return cli_dispatch(c, "mirror", t, argc, argv);
}
