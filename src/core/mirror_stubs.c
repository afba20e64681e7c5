/* certdeck core — placeholders of the mirror's functions while they are
 * being written (each section is removed by whoever implements it). */
#include <stdlib.h>
#include <string.h>
#include "mirror_int.h"

#define NOT_YET(err) cdi_fail(err, CD_E_UNSUPPORTED, "mirrors are not available in this build yet")

/* ==== H3: mirror settings for agents (sq_agent.c / store_https*.c / api*.c) ==== */
int  cd_mirror_settings_get(cd_store *s, const cd_user *u, struct cd_mirror_settings *out, struct cd_err *err)
{ (void)s; (void)u; memset(out, 0, sizeof *out); return NOT_YET(err); }
int  cd_mirror_settings_set(cd_store *s, const cd_user *u, const char *url, const char *user,
                            const char *password, struct cd_err *err)
{ (void)s; (void)u; (void)url; (void)user; (void)password; return NOT_YET(err); }
void cd_mirror_settings_clear(struct cd_mirror_settings *m) { (void)m; }
