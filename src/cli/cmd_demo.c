/* certdeck CLI — "certdeck demo": seeds a realistic fleet to look at.
 *
 * A tree of ~20 access groups, four CAs (one expired, one public-key only is
 * not needed: the installation CA is there too), every product, tags, about
 * 3% revoked, expiries spread so that some are expired and some expire
 * within 90 days, and a few awkward names: wide characters, a 64-character
 * CN, terminal escapes and a bidi override, which must all show escaped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "cli.h"

static const char *const groups[] = {
    "/All/San Diego", "/All/San Diego/Servers", "/All/San Diego/Workstations", "/All/London",
    "/All/London/Finance", "/All/London/HR", "/All/Tokyo", "/All/Tokyo/R&D", "/All/Berlin",
    "/All/Berlin/Lab", "/All/New York", "/All/New York/Trading", "/All/New York/Legal", "/All/Sydney",
    "/All/Sydney/Support", "/All/DMZ", "/All/DMZ/Proxies", "/All/Mobile", "/All/Mobile/iOS",
    "/All/Mobile/Android", "/All/Quarantine",
};
#define NGROUPS (sizeof groups / sizeof groups[0])

static const char *const short_names[NGROUPS] = {
    "sd", "sd-srv", "sd-ws", "lon", "lon-fin", "lon-hr", "tyo", "tyo-rnd", "ber", "ber-lab", "nyc",
    "nyc-trd", "nyc-legal", "syd", "syd-sup", "dmz", "dmz-proxy", "mob", "mob-ios", "mob-and", "quar",
};

static void progress(void *ctx, size_t done, size_t total)
{
    (void)done; (void)total;
    size_t *sofar = ctx;
    fprintf(stderr, "\rdemo: %zu certificates", *sofar + done);
}

int cmd_demo(struct cli *c, int argc, char **argv)
{
    long total = 500;
    int help = 0, np = 0;
    const struct copt opts[] = { { "certs", OPT_LONG, &total }, { NULL, 0, NULL } };
    const char *pos[1];
    if (cli_parse(argc, argv, opts, pos, 0, &np, &help)) return 2;
    if (help) { puts("usage: certdeck demo [--certs N]   (N from 20 to 1000000; default 500)"); return 0; }
    if (total < 20 || total > 1000000) return cli_msg(2, "--certs is 20 to 1000000");
    int rc = cli_open(c, 0);
    if (rc == CD_E_NOTFOUND) {
        memset(&c->err, 0, sizeof c->err);
        if ((rc = cli_open(c, 1)) || (rc = cd_store_init(c->s, "admin", &c->err))) return cli_fail(c, rc);
        cli_close(c);
        rc = cli_open(c, 0);
    }
    if (rc) return cli_fail(c, rc);
    for (size_t g = 0; g < NGROUPS; g++) {
        rc = cd_group_add(c->s, c->u, groups[g], &c->err);
        if (rc && rc != CD_E_EXISTS) return cli_fail(c, rc);
    }
    int64_t now = (int64_t)time(NULL), day = 86400;
    struct { const char *cn, *desc; int key; int64_t nb, na; const char *group; int64_t id; } cas[] = {
        { "Fleet Root CA 2024", "Fleet root for agents and servers", CD_KEY_EC256, now - 800 * day, now + 2900 * day, "/All", 0 },
        { "Mobile Device CA", "MDM enrolment", CD_KEY_RSA2048, now - 420 * day, now + 1400 * day, "/All/Mobile", 0 },
        { "Legacy CA 2019", "Replaced by Fleet Root CA 2024", CD_KEY_EC256, now - 7 * 365 * day, now - 30 * day, "/All", 0 },
    };
    for (size_t i = 0; i < 3; i++) {
        struct cd_ca_params p = { .subject = { .cn = cas[i].cn, .o = "Example Corp" }, .description = cas[i].desc,
                                  .keytype = cas[i].key, .not_before = cas[i].nb, .not_after = cas[i].na,
                                  .group = cas[i].group };
        if ((rc = cd_ca_new(c->s, c->u, &p, &cas[i].id, &c->err))) return cli_fail(c, rc);
    }
    static const char *const tagnames[] = { "prod", "staging", "dev", "pci", "linux", "windows", "macos", "critical" };
    for (size_t i = 0; i < sizeof tagnames / sizeof tagnames[0]; i++) cd_tag_create(c->s, c->u, tagnames[i], NULL);

    /* spread: validity windows as (not_before, not_after) offsets from now, in days */
    static const int windows[][2] = { { -1, 729 }, { -200, 530 }, { -700, 30 }, { -650, 75 }, { -400, 300 },
                                      { -1, 365 }, { -400, -35 }, { 10, 375 } };
    size_t done = 0, batches = 48, per = (size_t)total / batches;
    if (per < 1) per = 1;
    int tty = isatty(STDERR_FILENO);
    for (size_t b = 0; done < (size_t)total; b++) {
        size_t g = b % NGROUPS, w = b % (sizeof windows / sizeof windows[0]);
        size_t n = b + 1 >= batches ? (size_t)total - done : per;
        if (n > (size_t)total - done) n = (size_t)total - done;
        int product = g >= 17 ? CD_PRODUCT_MDM : g == 15 || g == 16 ? CD_PRODUCT_PROXY
                    : (b % 5 == 1) ? CD_PRODUCT_SERVER : CD_PRODUCT_AGENT;
        int ca = product == CD_PRODUCT_MDM ? 1 : windows[w][1] < 0 ? 2 : 0;
        char cn[64], desc[128];
        snprintf(cn, sizeof cn, "%s-%s", short_names[g], cd_product_name(product));
        snprintf(desc, sizeof desc, "%s %s", cd_product_label(product), groups[g] + 5);
        const char *tags[3] = { tagnames[b % 3], tagnames[4 + b % 3], NULL };
        if (b % 7 == 0) tags[1] = "critical";
        struct cd_cert_params p = {
            .ca_id = cas[ca].id, .product = product, .subject = { .cn = cn, .o = "Example Corp" },
            .description = desc, .tags = tags, .group = groups[g],
            .keytype = b % 11 == 3 ? CD_KEY_ED25519 : CD_KEY_EC256,
            .host = product == CD_PRODUCT_SERVER || product == CD_PRODUCT_PROXY ? "*" : "*",
            .not_before = now + windows[w][0] * day, .not_after = now + windows[w][1] * day,
        };
        if (ca == 1) { p.not_before = now - 100 * day; p.not_after = now + (b % 2 ? 60 : 500) * day; }
        rc = cd_cert_new(c->s, c->u, &p, n, tty ? progress : NULL, &done, NULL, &c->err);
        if (rc) return cli_fail(c, rc);
        done += n;
    }
    if (tty) fputc('\n', stderr);
    /* awkward text: stored faithfully, always shown escaped.  Names (CNs)
     * cannot hold control or bidi characters; descriptions can. */
    static const struct { const char *cn, *desc; } odd[] = {
        { "東京オフィス-サーバー", "ワイド文字の説明 (wide characters)" },
        { "a-very-long-common-name-that-fills-all-64-characters-of-the-cn.x", "A description long enough to be cut "
          "in every narrow column of every table, to see how truncation with an ellipsis looks on screen" },
        { "evil-escapes", "evil\x1b[31mRED\x1b[0m\x07: terminal escapes in the description\tand\na newline" },
        { "invoice-bidi", "invoice\xe2\x80\xae" "fdp.exe: a bidi override (U+202E) in the description" },
        { "ctrl-c1", "ctrl\xc2\x9b" "31m-c1: a C1 control (CSI) in the description" },
    };
    for (size_t i = 0; i < sizeof odd / sizeof odd[0]; i++) {
        struct cd_cert_params p = { .ca_id = cas[0].id, .product = CD_PRODUCT_CUSTOM,
                                    .subject = { .cn = odd[i].cn }, .description = odd[i].desc,
                                    .group = "/All/Quarantine", .keytype = CD_KEY_EC256, .days = 365 };
        if ((rc = cd_cert_new(c->s, c->u, &p, 1, NULL, NULL, NULL, &c->err))) return cli_fail(c, rc);
    }
    /* about 3% revoked, with a spread of reasons */
    struct cd_query q = { .limit = -1 };
    int64_t count = 0;
    cd_cert_count(c->s, c->u, &q, &count, &c->err);
    static const int reasons[] = { 1, 4, 5, 3, 0, 9 };
    int64_t ids[64];
    size_t nid = 0, revoked = 0;
    for (int64_t id = 7; id <= count; id += 33) {
        ids[nid++] = id;
        if (nid == 64 || id + 33 > count) {
            if ((rc = cd_cert_revoke(c->s, c->u, ids, nid, reasons[revoked % 6], &c->err))) return cli_fail(c, rc);
            revoked += nid;
            nid = 0;
        }
    }
    /* two users to log in as (certdeck --user sandiego): an operator who
     * sees one site, an auditor who reads everything and changes nothing */
    const char *sd[] = { "/All/San Diego" }, *all[] = { "/All" };
    int ops[CD_OT_COUNT] = { [CD_OT_CERTS] = CD_RIGHT_WRITE, [CD_OT_TAGS] = CD_RIGHT_USE,
                             [CD_OT_PRESETS] = CD_RIGHT_WRITE };
    int useca[CD_OT_COUNT] = { [CD_OT_CAS] = CD_RIGHT_USE };
    int ro[CD_OT_COUNT] = { CD_RIGHT_READ, CD_RIGHT_READ, CD_RIGHT_READ, CD_RIGHT_READ, CD_RIGHT_READ };
    cd_permset_add(c->s, c->u, "san-diego-operators", sd, 1, ops, NULL);
    cd_permset_add(c->s, c->u, "use-any-ca", all, 1, useca, NULL);
    cd_permset_add(c->s, c->u, "read-everything", all, 1, ro, NULL);
    if (cd_user_add(c->s, c->u, "sandiego", "/All/San Diego", "demo-password", NULL) == CD_OK) {
        cd_permset_grant(c->s, c->u, "san-diego-operators", "sandiego", 1, NULL);
        cd_permset_grant(c->s, c->u, "use-any-ca", "sandiego", 1, NULL);
    }
    if (cd_user_add(c->s, c->u, "auditor", "/All", "demo-password", NULL) == CD_OK)
        cd_permset_grant(c->s, c->u, "read-everything", "auditor", 1, NULL);
    char *n = cd_sanitize(cd_store_name(c->s), (size_t)-1);
    printf("demo: %s now holds %lld certificates (%zu revoked), %zu groups, 4 CAs;\n"
           "      users sandiego (one site) and auditor (reads all), password \"demo-password\"\n", n ? n : "",
           (long long)count, revoked, NGROUPS + 1);
    free(n);
    return 0;
}
