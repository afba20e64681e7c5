/* certdeck — reading a secret (passphrase, password) from a file.
 *
 * One rule for every front end (CLI today, the server's configuration
 * tomorrow): a secret file is small, text, and its first line is the
 * secret. */
#ifndef CERTDECK_SECRET_H
#define CERTDECK_SECRET_H

#include <certdeck/error.h>

/* The largest secret file read, in bytes. */
#define CD_SECRET_FILE_MAX 4096

/* Reads the first line of `path` ("-" = standard input, left open), without
 * its line end, into *out (caller frees with cd_secret_free).  Refused with
 * CD_E_INVAL: a regular file larger than CD_SECRET_FILE_MAX, or from a pipe,
 * device or terminal a first line longer than that (so /dev/zero fails at
 * once); a NUL byte (anywhere in a regular file, in the first line
 * otherwise: it would cut the secret short); an empty file.  CD_E_IO when
 * it cannot be read.  Nothing read stays in memory on failure. */
int  cd_read_secret_file(const char *path, char **out, struct cd_err *err);
/* Wipes and frees a secret; NULL is fine. */
void cd_secret_free(char *s);

#endif
