/* certdeck core — the one reading of a --host list (cd_cert_params.host).
 *
 * Separate from pki.c so that store.c can refuse a bad list before any key
 * is generated, with the very rule the SAN is later written by: both walk
 * the list through cdi_hosts_each.  Each entry becomes a SAN as it is (case
 * kept), so whatever openssl or a TLS client would misread is refused here
 * rather than issued: "a..b", "-x.example", "*.*.example", "1.2.3.4.5". */
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include "core_int.h"

#define LABEL_MAX 63     /* RFC 1035 2.3.4 */
#define DNS_NAME_MAX 253 /* 255 octets on the wire, less the length bytes */

static int ldh(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-';
}

/* A name whose last label is a number (decimal, or 0x hex) is read as an
 * IPv4 address by inet_aton and by browsers (WHATWG URL "ends in a
 * number"), so it is no DNS name: this is what refuses 1.2.3.4.5. */
static int numeric_label(const char *l, size_t n)
{
    size_t i = 0;
    int hex = n > 2 && l[0] == '0' && (l[1] == 'x' || l[1] == 'X');
    if (hex) i = 2;
    for (; i < n; i++) {
        char ch = l[i];
        if (!(ch >= '0' && ch <= '9') && !(hex && ((ch >= 'a' && ch <= 'f') || (ch >= 'A' && ch <= 'F'))))
            return 0;
    }
    return 1;
}

/* Why the entry h (n bytes, NUL-terminated) is no DNS name per RFC 1123 /
 * RFC 5280 4.2.1.6, or NULL when it is one.  why gets room for a detail. */
static const char *dns_why(const char *h, size_t n, char *why, size_t whysz)
{
    if (n > DNS_NAME_MAX) return "is longer than 253 characters";
    if (h[n - 1] == '.') return "ends with a dot (leave the trailing dot out)";
    const char *last = h;
    for (const char *l = h; l <= h + n; ) {
        const char *e = strchr(l, '.');
        if (!e) e = h + n;
        size_t ln = (size_t)(e - l);
        if (!ln) return "has an empty label (two dots in a row, or a leading dot)";
        if (ln > LABEL_MAX) return "has a label longer than 63 characters";
        if (ln == 1 && l[0] == '*') {
            if (l != h) return "has a wildcard \"*\" that is not the leftmost label";
        } else {
            for (size_t i = 0; i < ln; i++) {
                unsigned char ch = (unsigned char)l[i];
                if (ldh((char)ch)) continue;
                if (ch == '*') return "has a \"*\" inside a label (a wildcard is a whole leftmost label)";
                if (ch == ' ') return "holds a space (entries are separated by commas)";
                if (ch >= 0x80) return "holds a character that is not ASCII (write a name in its xn-- form)";
                snprintf(why, whysz, "holds \"%c\" (a name has letters, digits, hyphens and dots)", ch);
                return why;
            }
            if (l[0] == '-' || l[ln - 1] == '-') return "has a label that begins or ends with a hyphen";
        }
        last = l;
        l = e + 1;
    }
    if (numeric_label(last, strlen(last)))
        return "ends in an all-numeric label (it reads as an IPv4 address, and it is not one)";
    return NULL;
}

int cdi_hosts_each(const char *hosts, cdi_host_fn fn, void *ctx, struct cd_err *err)
{
    if (!hosts) return CD_OK;
    /* controls and invalid UTF-8 first, so that every message below can
     * quote an entry as it is */
    int rc = cdi_check_text(err, "host list", hosts, 0, 0);
    if (rc) return rc;
    const char *p = hosts;
    while (*p == ' ') p++;
    size_t all = strlen(p);
    while (all && p[all - 1] == ' ') all--;
    if (!*hosts || (all == 1 && *p == '*')) return CD_OK;
    char *dup = strdup(hosts);
    if (!dup) return cdi_fail(err, CD_E_NOMEM, "out of memory");
    for (char *h = dup, *next; h && !rc; h = next) {
        next = strchr(h, ',');
        if (next) *next++ = 0;
        while (*h == ' ') h++;
        size_t n = strlen(h);
        while (n && h[n - 1] == ' ') h[--n] = 0;
        if (!n) {
            rc = cdi_fail(err, CD_E_INVAL, "the host list has an empty entry (between commas, or at an end)");
            break;
        }
        unsigned char ip[16];
        int len = inet_pton(AF_INET, h, ip) == 1 ? 4 : inet_pton(AF_INET6, h, ip) == 1 ? 16 : 0;
        if (len) {
            if (fn) rc = fn(ctx, ip, (size_t)len, NULL, err);
            continue;
        }
        if (n == 1 && *h == '*') {
            rc = cdi_fail(err, CD_E_INVAL, "host \"*\" means no host names: it cannot be one entry of several");
            break;
        }
        char detail[96];
        const char *why = dns_why(h, n, detail, sizeof detail);
        if (why) {
            /* quote at most 100 bytes, cut at a character boundary */
            size_t q = n > 100 ? 100 : n;
            while (q < n && ((unsigned char)h[q] & 0xc0) == 0x80) q--;
            rc = cdi_fail(err, CD_E_INVAL, "host \"%.*s%s\" is neither an IP address nor a DNS name: it %s",
                          (int)q, h, q < n ? "..." : "", why);
            break;
        }
        if (fn) rc = fn(ctx, NULL, 0, h, err);
    }
    free(dup);
    return rc;
}
