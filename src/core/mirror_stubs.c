/* certdeck core — placeholders of the mirror's functions while they are
 * being written (each section is removed by whoever implements it). */
#include <stdlib.h>
#include <string.h>
#include "mirror_int.h"

#define NOT_YET(err) cdi_fail(err, CD_E_UNSUPPORTED, "mirrors are not available in this build yet")

/* ==== H1: index, signature, publish (mirror_index.c, mirror_pub.c) ==== */
char *cdi_mindex_dump(const struct cdi_mindex *ix, size_t *len) { (void)ix; *len = 0; return NULL; }
int  cdi_mindex_parse(const char *text, size_t len, struct cdi_mindex *out, struct cd_err *err)
{ (void)text; (void)len; memset(out, 0, sizeof *out); return NOT_YET(err); }
void cdi_mindex_clear(struct cdi_mindex *ix) { (void)ix; }
const struct cdi_mfile *cdi_mindex_find(const struct cdi_mindex *ix, const char *role) { (void)ix; (void)role; return NULL; }
int  cdi_mirror_sig_check(const char *ca_pem, size_t ca_len, const void *data, size_t len, const void *sig,
                          size_t siglen, struct cd_err *err)
{ (void)ca_pem; (void)ca_len; (void)data; (void)len; (void)sig; (void)siglen; return NOT_YET(err); }
int  cdi_mirror_ca_id(const char *ca_pem, size_t ca_len, char sha256[96], char **subject, struct cd_err *err)
{ (void)ca_pem; (void)ca_len; sha256[0] = 0; *subject = NULL; return NOT_YET(err); }
void cdi_sha256_hex(const void *p, size_t n, char out[65]) { (void)p; (void)n; out[0] = 0; }
int cd_mirror_publish(cd_store *s, const cd_user *u, const char *dir, const struct cd_mirror_publish_opts *o,
                      struct cd_mirror_published *out, struct cd_err *err)
{ (void)s; (void)u; (void)dir; (void)o; memset(out, 0, sizeof *out); return NOT_YET(err); }

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

