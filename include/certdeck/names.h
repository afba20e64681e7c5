/* certdeck — the names a front end accepts for an enumeration (sort column,
 * revocation reason, export format, product, key type, command ...), and one
 * way to say that a word is none of them: the valid names, with a "did you
 * mean" for a near miss.  Every front end uses these, so the words and the
 * suggestions are the same in the CLI, the console and the server. */
#ifndef CERTDECK_NAMES_H
#define CERTDECK_NAMES_H

#include <stddef.h>
#include <certdeck/error.h>

enum cd_names {
    CD_NAMES_PRODUCT,   /* agent server proxy mdm custom */
    CD_NAMES_KEYTYPE,   /* ec256 ed25519 rsa2048 ... */
    CD_NAMES_REASON,    /* RFC 5280 revocation reasons */
    CD_NAMES_COLUMN,    /* certificate columns: keys, then the titles that differ */
    CD_NAMES_EXPORT,    /* pem der chain pfx base64 key */
    CD_NAMES_FORMAT,    /* output formats: table json csv */
    CD_NAMES_COUNT
};

/* The names a parser of `list` accepts (static, never freed); *n gets their
 * number.  NULL (and *n = 0) for an unknown list. */
const char *const *cd_names(int list, size_t *n);

/* The choice nearest to `word` by case-insensitive edit distance (a swap of
 * two neighbours counts one), when it is near enough to be a typo: at most
 * one edit for words up to 4 characters, else a third of the word's length.
 * A word that is a prefix of exactly one choice suggests it too.  NULL when
 * nothing is near; NULL entries of `choices` are skipped. */
const char *cd_suggest(const char *word, const char *const *choices, size_t n);

/* Fills err with `unknown WHAT "WORD"; did you mean "X"? (valid: a, b, c)`
 * (the suggestion only when cd_suggest finds one; names equal but for case
 * are listed once) and returns CD_E_INVAL.  WORD is put in as given: the
 * front end sanitises the message as every other one. */
int cd_name_error(struct cd_err *err, const char *what, const char *word, const char *const *choices,
                  size_t n);

/* A sort spec, "COL" or "COL:asc" or "COL:desc", COL a column key or title
 * (any case), into *col and *desc (desc may be NULL); CD_E_INVAL with
 * cd_name_error's message for an unknown column. */
int cd_sort_parse(const char *spec, int *col, int *desc, struct cd_err *err);

#endif
