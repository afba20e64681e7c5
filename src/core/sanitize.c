/* certdeck core — the one sanitiser for text that leaves the program.
 *
 * Why by hand and not with iconv/mbrtowc: the result must not depend on the
 * locale, and invalid UTF-8 must come out as visible \xNN bytes rather than
 * stop the conversion.  Bidi controls (U+061C, U+200E/F, U+202A..E,
 * U+2066..9) are escaped because they reorder what a terminal shows around
 * them ("Trojan Source"); C1 controls because some terminals act on them. */

#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <stdio.h>
#include "core_int.h"

/* Decodes one UTF-8 sequence; returns its length, or 0 when invalid. */
static size_t utf8_dec(const unsigned char *p, size_t n, uint32_t *cp)
{
    if (p[0] < 0x80) { *cp = p[0]; return 1; }
    size_t len; uint32_t c, min;
    if ((p[0] & 0xe0) == 0xc0) { len = 2; c = p[0] & 0x1f; min = 0x80; }
    else if ((p[0] & 0xf0) == 0xe0) { len = 3; c = p[0] & 0x0f; min = 0x800; }
    else if ((p[0] & 0xf8) == 0xf0) { len = 4; c = p[0] & 0x07; min = 0x10000; }
    else return 0;
    if (len > n) return 0;
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) return 0;
        c = (c << 6) | (p[i] & 0x3f);
    }
    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return 0;
    *cp = c;
    return len;
}

static int is_bidi(uint32_t c)
{
    return c == 0x061c || c == 0x200e || c == 0x200f || (c >= 0x202a && c <= 0x202e) ||
           (c >= 0x2066 && c <= 0x2069);
}

/* C0, DEL, C1 and bidi controls: what a terminal may act on. */
static int is_control(uint32_t c)
{
    return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) || is_bidi(c);
}

/* Writes the escaped form of the input into out (when non-NULL); returns the
 * output length.  Used twice: once to size, once to write. */
static size_t run(const unsigned char *p, size_t n, char *out, int *dirty)
{
    size_t o = 0, i = 0;
    char tmp[16];
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_dec(p + i, n - i, &cp);
        const char *esc = NULL;
        if (k == 0) {
            snprintf(tmp, sizeof tmp, "\\x%02x", p[i]);
            esc = tmp; k = 1;
        } else if (cp == '\\') {
            esc = "\\\\";
        } else if (is_control(cp)) {
            snprintf(tmp, sizeof tmp, cp < 0x80 ? "\\x%02x" : "\\u%04x", (unsigned)cp);
            esc = tmp;
        }
        if (esc) {
            size_t el = strlen(esc);
            if (out) memcpy(out + o, esc, el);
            o += el;
            if (dirty) *dirty = 1;
        } else {
            if (out) memcpy(out + o, p + i, k);
            o += k;
        }
        i += k;
    }
    return o;
}

char *cd_sanitize(const char *in, size_t len)
{
    if (!in) in = "";
    if (len == (size_t)-1) len = strlen(in);
    size_t need = run((const unsigned char *)in, len, NULL, NULL);
    char *out = malloc(need + 1);
    if (!out) return NULL;
    run((const unsigned char *)in, len, out, NULL);
    out[need] = 0;
    return out;
}

int cd_is_clean(const char *in, size_t len)
{
    if (!in) return 1;
    if (len == (size_t)-1) len = strlen(in);
    int dirty = 0;
    run((const unsigned char *)in, len, NULL, &dirty);
    return !dirty;
}

/* Width of one code point; wcwidth needs a UTF-8 locale, so fall back to
 * the East Asian wide ranges when the C locale says -1. */
static int cp_width(uint32_t c)
{
    int w = wcwidth((wchar_t)c);
    if (w >= 0) return w;
    if ((c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) ||
        (c >= 0xac00 && c <= 0xd7a3) || (c >= 0xf900 && c <= 0xfaff) ||
        (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
        (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x1f300 && c <= 0x1faff) ||
        (c >= 0x20000 && c <= 0x3fffd))
        return 2;
    return 1;
}

size_t cd_fit_width(const char *s, size_t cols, char *out, size_t outsz)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    size_t n = strlen((const char *)p), i = 0, o = 0, w = 0;
    while (i < n) {
        uint32_t cp;
        size_t k = utf8_dec(p + i, n - i, &cp);
        if (!k) { k = 1; cp = '?'; }
        int cw = cp_width(cp);
        if (w + (size_t)cw > cols || (out && o + k + 1 > outsz)) break;
        if (out) memcpy(out + o, p + i, k);
        o += k; w += (size_t)cw; i += k;
    }
    if (out && outsz) out[o] = 0;
    return w;
}

size_t cd_display_width(const char *s)
{
    return cd_fit_width(s, (size_t)-1, NULL, 0);
}

char *cd_utf8_repair(const char *in, size_t len)
{
    if (!in) in = "";
    if (len == (size_t)-1) len = strlen(in);
    /* at most 3 bytes (U+FFFD) for every input byte */
    if (len > ((size_t)-1 - 1) / 3) return NULL;
    char *out = malloc(3 * len + 1), *o = out;
    if (!out) return NULL;
    const unsigned char *p = (const unsigned char *)in;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t k = utf8_dec(p + i, len - i, &cp);
        if (k) { memcpy(o, p + i, k); o += k; i += k; continue; }
        memcpy(o, "\xef\xbf\xbd", 3);
        o += 3;
        i++;
    }
    *o = 0;
    return out;
}

int cdi_check_text(struct cd_err *err, const char *what, const char *s, size_t max, int controls_ok)
{
    if (!s) return CD_OK;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    if (max && n > max) return cdi_fail(err, CD_E_INVAL, "the %s is longer than %zu bytes", what, max);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t k = utf8_dec(p + i, n - i, &cp);
        /* no backslash in these messages: front ends escape them once more */
        if (!k) return cdi_fail(err, CD_E_INVAL, "the %s is not valid UTF-8 (byte %zu is 0x%02x)", what, i + 1, p[i]);
        if (!controls_ok && is_control(cp))
            return cdi_fail(err, CD_E_INVAL, "the %s holds a control character (U+%04X at byte %zu)", what,
                            (unsigned)cp, i + 1);
        i += k;
    }
    return CD_OK;
}

/* Unicode White_Space that is not a control: what a reader cannot see at
 * the ends of a name (U+0085 and the C0 spaces are controls, refused
 * anyway by cdi_check_text). */
static int is_space(uint32_t c)
{
    return c == 0x20 || c == 0xa0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200a) || c == 0x2028 ||
           c == 0x2029 || c == 0x202f || c == 0x205f || c == 0x3000;
}

int cdi_space_at_ends(const char *s)
{
    if (!s || !*s) return 0;
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s), last = n - 1;
    while (last && (p[last] & 0xc0) == 0x80) last--;
    uint32_t first_cp, last_cp;
    return (utf8_dec(p, n, &first_cp) && is_space(first_cp)) ||
           (utf8_dec(p + last, n - last, &last_cp) && is_space(last_cp));
}
