/* certdeck core — status texts and the one way the core reports detail. */
#include <stdio.h>
#include <string.h>
#include "core_int.h"

const char *cd_strerror(int status)
{
    switch (status) {
#define CD_X_CASE(name, num, text) case name: return text;
    CD_STATUS_LIST(CD_X_CASE)
#undef CD_X_CASE
    }
    return "unknown error";
}

const char *cd_errmsg(const struct cd_err *err, int status)
{
    if (err && err->msg[0])
        return err->msg;
    return cd_strerror(status);
}

int cdi_fail(struct cd_err *err, int code, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        err->code = code;
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
    }
    return code;
}
