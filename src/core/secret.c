/* certdeck core — secret files (include/certdeck/secret.h).  Read with
 * read(2) rather than stdio so that no copy of the secret is left in a
 * FILE buffer, and so that the cap holds for pipes and devices too. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "core_int.h"

void cd_secret_free(char *s)
{
    if (!s) return;
    cdi_wipe(s, strlen(s));
    free(s);
}

int cd_read_secret_file(const char *path, char **out, struct cd_err *err)
{
    *out = NULL;
    if (!path || !*path) return cdi_fail(err, CD_E_INVAL, "no passphrase file given");
    int std = !strcmp(path, "-");
    const char *name = std ? "standard input" : path;
    int fd = std ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return cdi_fail(err, CD_E_IO, "cannot read the passphrase file %.300s: %s", name, strerror(errno));
    /* A regular file is read whole (its size is the file's, and a NUL
     * anywhere is refused); from a pipe or a terminal ("-") the first line
     * is enough, so a prompt-less "--passphrase-file -" ends at Enter.  One
     * byte more than the cap tells "too large" from "exactly the cap". */
    struct stat st;
    int whole = fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
    char buf[CD_SECRET_FILE_MAX + 1];
    size_t n = 0;
    int rc = CD_OK;
    while (n < sizeof buf) {
        ssize_t r = read(fd, buf + n, sizeof buf - n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) { rc = cdi_fail(err, CD_E_IO, "cannot read the passphrase file %.300s: %s", name, strerror(errno)); break; }
        if (r == 0) break;
        n += (size_t)r;
        if (!whole && memchr(buf + n - (size_t)r, '\n', (size_t)r)) break;
    }
    if (!std) close(fd);
    size_t len = 0;                     /* the first line */
    while (len < n && buf[len] != '\n') len++;
    if (!rc && (whole ? n : len) > CD_SECRET_FILE_MAX)
        rc = cdi_fail(err, CD_E_INVAL, "the passphrase file %.300s is larger than %d bytes", name, CD_SECRET_FILE_MAX);
    if (!rc && memchr(buf, 0, whole ? n : len))
        rc = cdi_fail(err, CD_E_INVAL, "the passphrase file %.300s holds a NUL byte", name);
    while (len && buf[len - 1] == '\r') len--;
    /* an empty first line is no passphrase at all, not "no passphrase" */
    if (!rc && len == 0)
        rc = cdi_fail(err, CD_E_INVAL, "the passphrase file %.300s is empty (its first line is the passphrase)", name);
    if (!rc) {
        buf[len] = 0;
        /* GnuTLS encrypts keys only under UTF-8 passphrases: one it would
         * refuse at export must not protect a key in the first place (no
         * byte of it is quoted in the message) */
        struct cd_err ue = { 0 };
        if (cdi_check_text(&ue, "passphrase", buf, 0, 1))
            rc = cdi_fail(err, CD_E_INVAL, "the passphrase in %.300s is not valid UTF-8 text", name);
    }
    if (!rc) {
        char *s = malloc(len + 1);
        if (!s) rc = cdi_fail(err, CD_E_NOMEM, "out of memory");
        else {
            memcpy(s, buf, len);
            s[len] = 0;
            *out = s;
        }
    }
    cdi_wipe(buf, sizeof buf);
    return rc;
}
