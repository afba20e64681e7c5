/* certdeck check — expiry for monitoring (cron, Nagios/Icinga, Prometheus
 * textfile): one summary line, then the offenders, CAs first; the exit
 * status is the monitoring plugin convention (0 OK, 1 WARNING, 2 CRITICAL,
 * 3 UNKNOWN), so a store that cannot be read or a bad option is 3. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "cli.h"

#define CHECK_USAGE \
    "check [--warn 90d] [--crit 14d] [--at DATE] [--filter EXPR] [--format table|json|csv]\n" \
    "  WARNING: a CA or an unrevoked certificate expires within --warn;\n" \
    "  CRITICAL: within --crit, or expired.  --warn/--crit: N (days), Nd, Nw, Nh;\n" \
    "  --warn defaults to the store's expiry warning window (certdeck server expiry-warning).\n" \
    "  --at DATE (2026-01-31, 2026-01-31T10:00:00Z) evaluates as of that time;\n" \
    "  --filter restricts the certificates (CAs are always checked).\n" \
    "  --limit N lists at most N objects of each kind (default: 20 in a table or CSV, all in JSON).\n" \
    "  Exit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."

/* "90", "90d", "2w", "36h" -> seconds; -1 when bad. */
static int64_t parse_window(const char *s)
{
    char *end;
    long long k = strtoll(s, &end, 10);
    if (end == s || k < 0 || k > 100000) return -1;
    if (!*end || !strcmp(end, "d")) return k * 86400;
    if (!strcmp(end, "w")) return k * 7 * 86400;
    if (!strcmp(end, "h")) return k * 3600;
    return -1;
}

static void summary(const struct cd_check_result *r, char *buf, size_t n)
{
    size_t len = (size_t)snprintf(buf, n, "CERTDECK %s - ", cd_check_level_name(r->level));
    int any = 0;
    for (int kind = 0; kind < 2; kind++)
        for (int i = 0; i < 3; i++) {
            int64_t k = kind ? r->certs[i] : r->cas[i];
            if (!k || len >= n) continue;
            char w[64];
            if (i == 0) snprintf(w, sizeof w, "expired");
            else snprintf(w, sizeof w, "expiring within %lld days", (long long)((i == 1 ? r->crit : r->warn) / 86400));
            len += (size_t)snprintf(buf + len, n - len, "%s%lld %s %s", any ? ", " : "", (long long)k,
                                    kind ? (k == 1 ? "certificate" : "certificates") : (k == 1 ? "CA" : "CAs"), w);
            any = 1;
        }
    if (!any && len < n)
        len += (size_t)snprintf(buf + len, n - len, "nothing expires within %lld days", (long long)(r->warn / 86400));
    if (len < n)
        snprintf(buf + len, n - len, " | cas_expired=%lld cas_critical=%lld cas_warning=%lld certs_expired=%lld"
                 " certs_critical=%lld certs_warning=%lld", (long long)r->cas[0], (long long)r->cas[1],
                 (long long)r->cas[2], (long long)r->certs[0], (long long)r->certs[1], (long long)r->certs[2]);
}

static json_t *jstr(const char *s)
{
    json_t *j = s ? json_string(s) : json_null();
    if (!j) {   /* not UTF-8: the escaped text */
        char *t = cd_sanitize(s, (size_t)-1);
        j = json_string(t ? t : "");
        free(t);
    }
    return j;
}

static void print_json(const struct cd_check_result *r, const char *line)
{
    static const char *const keys[3] = { "expired", "critical", "warning" };
    json_t *o = json_object(), *counts = json_object(), *cas = json_object(), *certs = json_object(),
           *rows = json_array();
    char when[32];
    json_object_set_new(o, "status", json_string(cd_check_level_name(r->level)));
    json_object_set_new(o, "exit", json_integer(r->level));
    json_object_set_new(o, "summary", jstr(line));
    json_object_set_new(o, "at", json_string(cd_format_time(r->at, when, sizeof when)));
    json_object_set_new(o, "warn_days", json_integer(r->warn / 86400));
    json_object_set_new(o, "crit_days", json_integer(r->crit / 86400));
    for (int i = 0; i < 3; i++) {
        json_object_set_new(cas, keys[i], json_integer(r->cas[i]));
        json_object_set_new(certs, keys[i], json_integer(r->certs[i]));
    }
    json_object_set_new(counts, "cas", cas);
    json_object_set_new(counts, "certificates", certs);
    json_object_set_new(o, "counts", counts);
    for (size_t i = 0; i < r->n; i++) {
        const struct cd_check_item *it = &r->rows[i];
        json_t *x = json_object();
        json_object_set_new(x, "kind", json_string(it->kind == CD_KIND_CA ? "ca" : "cert"));
        json_object_set_new(x, "id", json_integer(it->id));
        json_object_set_new(x, "cn", jstr(it->cn));
        json_object_set_new(x, "group", jstr(it->group));
        json_object_set_new(x, "expires", json_string(cd_format_time(it->not_after, when, sizeof when)));
        json_object_set_new(x, "not_after", json_integer(it->not_after));
        json_object_set_new(x, "days_left", json_integer(it->days_left));
        json_object_set_new(x, "status", json_string(it->expired ? "expired" : cd_check_level_name(it->level)));
        json_array_append_new(rows, x);
    }
    json_object_set_new(o, "objects", rows);
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
    json_decref(o);
    if (s) puts(s);
    free(s);
}

static void print_rows(const struct cd_check_result *r, int fmt)
{
    static const struct out_col cols[] = {
        { "kind", "Kind", OUT_TEXT }, { "id", "ID", OUT_NUM }, { "cn", "Subject", OUT_TEXT },
        { "group", "Group", OUT_TEXT }, { "expires", "Expires", OUT_TEXT }, { "days_left", "Days left", OUT_NUM },
        { "status", "Status", OUT_TEXT },
    };
    struct out o;
    out_begin(&o, fmt, cols, (int)(sizeof cols / sizeof cols[0]));
    for (size_t i = 0; i < r->n; i++) {
        const struct cd_check_item *it = &r->rows[i];
        char id[24], days[24], when[32];
        snprintf(id, sizeof id, "%lld", (long long)it->id);
        snprintf(days, sizeof days, "%lld", (long long)it->days_left);
        const char *v[] = { it->kind == CD_KIND_CA ? "ca" : "cert", id, it->cn ? it->cn : "",
                            it->group ? it->group : "", cd_format_time(it->not_after, when, sizeof when), days,
                            it->expired ? "expired" : cd_check_level_name(it->level) };
        out_row(&o, v);
    }
    out_end(&o);
}

/* UNKNOWN (3): the reason on stderr (when not said there already) and, for
 * the monitoring system that reads only stdout, its one summary line, or in
 * JSON an object with the status, so that a script's jq still parses it. */
static int unknown(const struct cli *c, const char *msg, int say)
{
    char line[600];
    snprintf(line, sizeof line, "CERTDECK UNKNOWN - %s", msg);
    if (say) cli_msg(0, "%s", msg);
    if (c->fmt == FMT_JSON) {
        json_t *o = json_object();
        json_object_set_new(o, "status", json_string("UNKNOWN"));
        json_object_set_new(o, "exit", json_integer(CD_CHECK_UNKNOWN));
        json_object_set_new(o, "summary", jstr(line));
        char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_ENSURE_ASCII);
        json_decref(o);
        if (s) puts(s);
        free(s);
    } else if (c->fmt == FMT_TABLE) {
        char *s = cd_sanitize(line, (size_t)-1);
        puts(s ? s : "CERTDECK UNKNOWN");
        free(s);
    }
    return CD_CHECK_UNKNOWN;
}

int cmd_check(struct cli *c, int argc, char **argv)
{
    const char *warn = NULL, *crit = NULL, *at = NULL, *filter = NULL;
    long limit = c->limit;
    const struct copt opts[] = { { "warn", OPT_STR, &warn }, { "crit", OPT_STR, &crit }, { "at", OPT_STR, &at },
                                 { "filter", OPT_STR, &filter }, { "limit", OPT_LONG, &limit }, FORMAT_OPT(c),
                                 { NULL, 0, NULL } };
    const char *pos[1];
    int np = 0;
    int a = cli_args(argc, argv, opts, pos, 0, 0, &np, CHECK_USAGE);
    if (a) return a < 0 ? 0 : unknown(c, "bad arguments (certdeck check --help)", 0);
    /* a monitoring line is read by a person: the first 20 of each kind (the
     * counts stay exact); JSON is for programs and carries every object */
    if (limit <= 0) limit = c->fmt == FMT_JSON ? 0 : 20;
    struct cd_check_opts o = { .filter = filter, .limit = limit };
    char msg[300];
    if (warn && (o.warn = parse_window(warn)) < 0) {
        snprintf(msg, sizeof msg, "--warn takes days (90, 90d), weeks (12w) or hours (36h), not \"%.100s\"", warn);
        return unknown(c, msg, 1);
    }
    if (crit && (o.crit = parse_window(crit)) < 0) {
        snprintf(msg, sizeof msg, "--crit takes days (14, 14d), weeks (2w) or hours (36h), not \"%.100s\"", crit);
        return unknown(c, msg, 1);
    }
    if (at && cli_parse_when(at, &o.at)) {
        snprintf(msg, sizeof msg, "--at takes a date (2026-01-31 or 2026-01-31T10:00:00Z), not \"%.100s\"", at);
        return unknown(c, msg, 1);
    }
    /* a zero window given on purpose is "none", not the default */
    if (warn && !o.warn) o.warn = 1;
    if (crit && !o.crit) o.crit = 1;
    if (filter && *filter && cd_filter_check(filter, &c->err)) {
        cli_filter_fail(filter, &c->err);
        snprintf(msg, sizeof msg, "invalid filter: %s", cd_errmsg(&c->err, CD_E_FILTER));
        return unknown(c, msg, 0);
    }
    int rc = cli_open(c, 0);
    if (rc) return unknown(c, cd_errmsg(&c->err, rc), 1);
    struct cd_check_result r;
    rc = cd_check(c->s, c->u, &o, &r, &c->err);
    if (rc) return unknown(c, cd_errmsg(&c->err, rc), 1);
    char line[512];
    summary(&r, line, sizeof line);
    if (c->fmt == FMT_JSON) {
        print_json(&r, line);
    } else {
        if (c->fmt == FMT_TABLE) puts(line);
        if (r.n || c->fmt == FMT_CSV) print_rows(&r, c->fmt);
    }
    int level = r.level;
    cd_check_free(&r);
    return level;
}
