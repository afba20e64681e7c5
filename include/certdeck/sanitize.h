/* certdeck — making untrusted text safe to show.
 *
 * Every string that came from a certificate, a file, a server or a user goes
 * through cd_sanitize() where it leaves the program (terminal, stdout, log,
 * export).  C0 controls, DEL, C1 controls, Unicode bidi controls and invalid
 * UTF-8 come out as visible escapes (\x1b, \u202e); a backslash becomes "\\"
 * so an escape in the output is never ambiguous.  Valid printable UTF-8,
 * wide characters included, passes unchanged. */
#ifndef CERTDECK_SANITIZE_H
#define CERTDECK_SANITIZE_H

#include <stddef.h>

/* Returns a new NUL-terminated string the caller frees, or NULL when out of
 * memory.  `in` may be NULL (treated as ""); `len` (size_t)-1 means strlen. */
char *cd_sanitize(const char *in, size_t len);

/* A copy of `in` that is valid UTF-8: every byte that does not start a
 * valid sequence becomes U+FFFD; valid text (controls included) is kept
 * exactly.  For encoders that need UTF-8 (JSON); not a sanitiser.  Caller
 * frees; NULL when out of memory. */
char *cd_utf8_repair(const char *in, size_t len);

/* 1 when cd_sanitize would return the input unchanged. */
int cd_is_clean(const char *in, size_t len);

/* Terminal columns the (already sanitised) UTF-8 string takes. */
size_t cd_display_width(const char *s);

/* Copies at most `cols` display columns of sanitised `s` into `out`
 * (size `outsz`), never splitting a character; returns columns used. */
size_t cd_fit_width(const char *s, size_t cols, char *out, size_t outsz);

#endif
