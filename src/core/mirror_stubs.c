/* certdeck core — placeholders of the mirror's functions while they are
 * being written (each section is removed by whoever implements it). */
#include <stdlib.h>
#include <string.h>
#include "mirror_int.h"

#define NOT_YET(err) cdi_fail(err, CD_E_UNSUPPORTED, "mirrors are not available in this build yet")

/* ==== H2: fetch, cache, mirror store, pull, verify (mirror_fetch.c, mirror_sync.c, mirror_store.c) ==== */
int  cdi_mirror_sync(const char *src, const struct cd_mirror_opts *o, int offline_ok, struct cdi_msnap *out,
                     struct cd_err *err)
{ (void)src; (void)o; (void)offline_ok; memset(out, 0, sizeof *out); return NOT_YET(err); }
void cdi_msnap_clear(struct cdi_msnap *m) { (void)m; }
void cdi_mstate_free(struct cdi_mstate *m) { free(m); }
int  cdi_mirror_open(cd_store *s, const char *spec, const struct cd_open_opts *o, struct cd_err *err)
{ (void)s; (void)spec; (void)o; return NOT_YET(err); }
int cd_mirror_pull(const char *url, const char *into, const struct cd_mirror_opts *o,
                   struct cd_mirror_pull_result *out, struct cd_err *err)
{ (void)url; (void)into; (void)o; memset(out, 0, sizeof *out); return NOT_YET(err); }
int cd_mirror_verify(const char *url, const struct cd_mirror_opts *o, struct cd_mirror_info *out,
                     struct cd_err *err)
{ (void)url; (void)o; if (out) memset(out, 0, sizeof *out); return NOT_YET(err); }

/* ==== H3: mirror settings for agents (sq_agent.c / store_https*.c / api*.c) ==== */
int  cd_mirror_settings_get(cd_store *s, const cd_user *u, struct cd_mirror_settings *out, struct cd_err *err)
{ (void)s; (void)u; memset(out, 0, sizeof *out); return NOT_YET(err); }
int  cd_mirror_settings_set(cd_store *s, const cd_user *u, const char *url, const char *user,
                            const char *password, struct cd_err *err)
{ (void)s; (void)u; (void)url; (void)user; (void)password; return NOT_YET(err); }
void cd_mirror_settings_clear(struct cd_mirror_settings *m) { (void)m; }
