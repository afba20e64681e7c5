/* certdeck — status codes and the error detail every fallible call fills.
 *
 * Every fallible cd_* function returns one of the statuses below (CD_OK is 0)
 * and, when it fails, writes a message fit to show a person into the
 * caller's struct cd_err.  The library never prints.  Numbers are never
 * reused: append new statuses at the end of the list. */
#ifndef CERTDECK_ERROR_H
#define CERTDECK_ERROR_H

#include <stddef.h>

#define CD_STATUS_LIST(X)                                                    \
    X(CD_OK,            0,  "success")                                       \
    X(CD_E_NOMEM,       1,  "out of memory")                                 \
    X(CD_E_INVAL,       2,  "invalid argument")                              \
    X(CD_E_NOTFOUND,    3,  "not found")                                     \
    X(CD_E_EXISTS,      4,  "already exists")                                \
    X(CD_E_IO,          5,  "input/output error")                            \
    X(CD_E_STORE,       6,  "store error")                                   \
    X(CD_E_CORRUPT,     7,  "not a certdeck store, or the store is damaged") \
    X(CD_E_VERSION,     8,  "the store was made by a newer certdeck")        \
    X(CD_E_CRYPTO,      9,  "cryptographic operation failed")                \
    X(CD_E_PASSPHRASE,  10, "wrong passphrase")                              \
    X(CD_E_FORBIDDEN,   11, "permission denied")                             \
    X(CD_E_FILTER,      12, "invalid filter")                                \
    X(CD_E_STATE,       13, "not possible in the object's current state")    \
    X(CD_E_UNSUPPORTED, 14, "not supported")                                 \
    X(CD_E_READONLY,    15, "the store is read-only")                        \
    X(CD_E_BUSY,        16, "the store is busy")                             \
    X(CD_E_AUDIT,       17, "the audit chain is broken")                     \
    X(CD_E_NOKEY,       18, "the store key is missing")                      \
    X(CD_E_FULL,        19, "disk full")                                     \
    X(CD_E_LOGIN,       20, "login failed")

enum cd_status {
#define CD_X_ENUM(name, num, text) name = num,
    CD_STATUS_LIST(CD_X_ENUM)
#undef CD_X_ENUM
};

/* Filled by a failing call.  `pos` is a 1-based column for filter errors
 * (0 when the error has no position). */
struct cd_err {
    int    code;
    size_t pos;
    char   msg[512];
};

/* The default text of a status; never NULL. */
const char *cd_strerror(int status);

/* The message to show: err->msg when set, else cd_strerror(status). */
const char *cd_errmsg(const struct cd_err *err, int status);

#endif
