/* certdeck unit tests — a store with a folder to publish its mirror into,
 * the signing CA's certificate in a file, and a cache and a config folder
 * of the test's own ($XDG_CACHE_HOME, $XDG_CONFIG_HOME, $HOME). */
#ifndef CERTDECK_TEST_MIRROR_FX_H
#define CERTDECK_TEST_MIRROR_FX_H

#include "helpers.h"

struct mfx {
    struct fx f;
    char pub[128], ca[128], replica[128], cache[160], conf[160], spec[200];
};

static inline int mfx_setup(void **state)
{
    if (fx_setup(state)) return -1;
    struct mfx *m = calloc(1, sizeof *m);
    m->f = *(struct fx *)*state;
    free(*state);
    *state = m;
    snprintf(m->pub, sizeof m->pub, "%s/pub", m->f.dir);
    snprintf(m->ca, sizeof m->ca, "%s/ca.pem", m->f.dir);
    snprintf(m->replica, sizeof m->replica, "%s/replica.db", m->f.dir);
    snprintf(m->cache, sizeof m->cache, "%s/cache", m->f.dir);
    snprintf(m->conf, sizeof m->conf, "%s/conf", m->f.dir);
    snprintf(m->spec, sizeof m->spec, "mirror+file://%s", m->pub);
    setenv("XDG_CACHE_HOME", m->cache, 1);
    setenv("XDG_CONFIG_HOME", m->conf, 1);
    setenv("HOME", m->f.dir, 1);
    char *pem = NULL;
    size_t n = 0;
    fx_must(&m->f, cd_ca_export(m->f.s, m->f.u, 1, &pem, &n, &m->f.err), "export");
    fx_put(m->ca, pem, n);
    free(pem);
    return 0;
}

static inline int mfx_teardown(void **state)
{
    struct mfx *m = *state;
    struct fx *f = malloc(sizeof *f);
    *f = m->f;
    free(m);
    *state = f;
    return fx_teardown(state);
}

#endif
