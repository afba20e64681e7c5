/* certdeckd — configuration: the command line, the config file (simple
 * "key = value" lines whose keys are the long option names; flags win),
 * and listen addresses. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "srv.h"

#define CONF_FILE_MAX (64 * 1024)

enum { K_STORE, K_LISTEN, K_AGENT_LISTEN, K_TLS_CERT, K_THREADS, K_CONN_LIMIT, K_PER_IP, K_TIMEOUT,
       K_CONFIG, K_COUNT };
static const char *const keys[K_COUNT] = {
    "store", "listen", "agent-listen", "tls-cert", "threads", "connection-limit", "per-ip-limit",
    "timeout", "config",
};

static void usage(FILE *f)
{
    fputs("usage: certdeckd --store S [--listen HOST:PORT] [--agent-listen HOST:PORT] [--config F]\n"
          "                 [--tls-cert ID] [--threads N] [--connection-limit N] [--per-ip-limit N]\n"
          "                 [--timeout SECONDS]\n\n"
          "Serves the store's console API (default 127.0.0.1:8443) and the agents' check-in\n"
          "(default 127.0.0.1:2222) over TLS with the store's server certificate.  Port 0 takes\n"
          "a free port.  The config file holds `key = value` lines with the long option names as\n"
          "keys; options on the command line win.  SIGTERM or SIGINT stops it.  See certdeckd(8).\n",
          f);
}

static int parse_uint(const char *what, const char *v, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long n = strtoul(v, &end, 10);
    if (!*v || *end || errno || *v == '-' || n > max) {
        fprintf(stderr, "certdeckd: %s: not a number from 0 to %lu\n", what, max);
        return 2;
    }
    *out = n;
    return 0;
}

/* Sets key k to v unless it is already set (argv comes first). */
static int set_key(struct srv_conf *c, int k, const char *v, int *set)
{
    if (set[k]) return 0;
    set[k] = 1;
    unsigned long n = 0;
    char **str = k == K_STORE ? &c->store : k == K_LISTEN ? &c->listen
               : k == K_AGENT_LISTEN ? &c->agent_listen : k == K_CONFIG ? &c->config : NULL;
    if (str) {
        if (!*v) { fprintf(stderr, "certdeckd: --%s is empty\n", keys[k]); return 2; }
        free(*str);
        *str = strdup(v);
        return *str ? 0 : 2;
    }
    switch (k) {
    case K_TLS_CERT:
        if (parse_uint("--tls-cert", v, LONG_MAX, &n)) return 2;
        c->tls_cert = (int64_t)n;
        return 0;
    case K_THREADS:
        if (parse_uint("--threads", v, 256, &n)) return 2;
        c->threads = (unsigned)n;
        return 0;
    case K_CONN_LIMIT:
        if (parse_uint("--connection-limit", v, 100000, &n)) return 2;
        c->connection_limit = (unsigned)n;
        return 0;
    case K_PER_IP:
        if (parse_uint("--per-ip-limit", v, 100000, &n)) return 2;
        c->per_ip_limit = (unsigned)n;
        return 0;
    default:
        if (parse_uint("--timeout", v, 3600, &n)) return 2;
        c->timeout = (unsigned)n;
        return 0;
    }
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = 0;
    return s;
}

static int load_file(struct srv_conf *c, const char *path, int *set)
{
    int rc = 2;
    char *text = NULL;
    FILE *f = fopen(path, "r");
    if (!f) { fprintf(stderr, "certdeckd: %s: %s\n", path, strerror(errno)); return 2; }
    text = malloc(CONF_FILE_MAX + 1);
    if (!text) goto out;
    size_t n = fread(text, 1, CONF_FILE_MAX + 1, f);
    if (ferror(f)) { fprintf(stderr, "certdeckd: %s: %s\n", path, strerror(errno)); goto out; }
    if (n > CONF_FILE_MAX) { fprintf(stderr, "certdeckd: %s: larger than %d bytes\n", path, CONF_FILE_MAX); goto out; }
    if (memchr(text, 0, n)) { fprintf(stderr, "certdeckd: %s: holds a NUL byte\n", path); goto out; }
    text[n] = 0;
    int lineno = 0;
    for (char *line = text, *next; line; line = next) {
        next = strchr(line, '\n');
        if (next) *next++ = 0;
        lineno++;
        char *l = trim(line);
        if (!*l || *l == '#') continue;
        char *eq = strchr(l, '=');
        if (!eq) { fprintf(stderr, "certdeckd: %s:%d: not `key = value`\n", path, lineno); goto out; }
        *eq = 0;
        char *k = trim(l), *v = trim(eq + 1);
        int ki = -1;
        for (int i = 0; i < K_COUNT; i++)
            if (!strcmp(k, keys[i])) ki = i;
        if (ki < 0 || ki == K_CONFIG) {
            char *sk = cd_sanitize(k, (size_t)-1);
            fprintf(stderr, "certdeckd: %s:%d: unknown key \"%s\"\n", path, lineno, sk ? sk : "?");
            free(sk);
            goto out;
        }
        if (set_key(c, ki, v, set)) goto out;
    }
    rc = 0;
out:
    free(text);
    fclose(f);
    return rc;
}

int conf_load(struct srv_conf *c, int argc, char **argv)
{
    static const struct option lo[] = {
        { "store", required_argument, NULL, K_STORE },
        { "listen", required_argument, NULL, K_LISTEN },
        { "agent-listen", required_argument, NULL, K_AGENT_LISTEN },
        { "tls-cert", required_argument, NULL, K_TLS_CERT },
        { "threads", required_argument, NULL, K_THREADS },
        { "connection-limit", required_argument, NULL, K_CONN_LIMIT },
        { "per-ip-limit", required_argument, NULL, K_PER_IP },
        { "timeout", required_argument, NULL, K_TIMEOUT },
        { "config", required_argument, NULL, K_CONFIG },
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int set[K_COUNT] = { 0 };
    memset(c, 0, sizeof *c);
    opterr = 0;
    int o;
    while ((o = getopt_long(argc, argv, "+h", lo, NULL)) != -1) {
        if (o == 'h') { usage(stdout); return -1; }
        if (o == 'V') { puts("certdeckd " CERTDECK_VERSION); return -1; }
        if (o == '?' || o == ':') {
            fprintf(stderr, "certdeckd: bad option or missing value: %s\n", argv[optind - 1]);
            usage(stderr);
            return 2;
        }
        /* the last of a repeated option wins, as in the config file */
        set[o] = 0;
        if (set_key(c, o, optarg, set)) return 2;
    }
    if (optind < argc) {
        fprintf(stderr, "certdeckd: unexpected argument: %s\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    if (c->config && load_file(c, c->config, set)) return 2;
    if (!c->store) { fputs("certdeckd: --store is required\n", stderr); usage(stderr); return 2; }
    if (!c->listen && !(c->listen = strdup("127.0.0.1:8443"))) return 2;
    if (!c->agent_listen && !(c->agent_listen = strdup("127.0.0.1:2222"))) return 2;
    if (!set[K_CONN_LIMIT]) c->connection_limit = 4096;
    if (!set[K_PER_IP]) c->per_ip_limit = 64;
    if (!set[K_TIMEOUT]) c->timeout = 15;
    if (c->timeout == 0) { fputs("certdeckd: --timeout must be at least 1 second\n", stderr); return 2; }
    return 0;
}

void conf_free(struct srv_conf *c)
{
    free(c->store);
    free(c->listen);
    free(c->agent_listen);
    free(c->config);
    memset(c, 0, sizeof *c);
}

int conf_addr(const char *spec, struct srv_addr *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    const char *colon = strrchr(spec, ':');
    size_t hl = colon ? (size_t)(colon - spec) : 0;
    if (!colon || !hl || hl >= sizeof a->host) {
        snprintf(err, errlen, "not HOST:PORT");
        return 2;
    }
    memcpy(a->host, spec, hl);
    a->host[hl] = 0;
    char name[256];
    if (a->host[0] == '[') {
        if (hl < 3 || a->host[hl - 1] != ']') { snprintf(err, errlen, "an IPv6 address goes in brackets: [::1]:PORT"); return 2; }
        memcpy(name, a->host + 1, hl - 2);
        name[hl - 2] = 0;
    } else {
        if (strchr(a->host, ':')) { snprintf(err, errlen, "an IPv6 address goes in brackets: [::1]:PORT"); return 2; }
        memcpy(name, a->host, hl + 1);
    }
    char *end;
    errno = 0;
    unsigned long port = strtoul(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || colon[1] == '-' || colon[1] == '+' || port > 65535) {
        snprintf(err, errlen, "the port is not a number from 0 to 65535");
        return 2;
    }
    a->port = (unsigned)port;
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM }, *res = NULL;
    int g = getaddrinfo(name, NULL, &hints, &res);
    if (g || !res) {
        snprintf(err, errlen, "%s", gai_strerror(g));
        return 1;
    }
    memcpy(&a->ss, res->ai_addr, res->ai_addrlen);
    a->len = res->ai_addrlen;
    freeaddrinfo(res);
    if (a->ss.ss_family == AF_INET6) ((struct sockaddr_in6 *)&a->ss)->sin6_port = htons((uint16_t)port);
    else ((struct sockaddr_in *)&a->ss)->sin_port = htons((uint16_t)port);
    return 0;
}
