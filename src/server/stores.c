/* certdeckd — one store handle per thread.  A cd_store is not shared
 * between threads: each worker opens its own on first use (SQLite in WAL
 * mode takes concurrent readers and serialises writers with its busy
 * timeout).  Every handle is also listed here, so that main() closes them
 * all once the daemons' threads have stopped. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include "srv.h"

static _Thread_local cd_store *mine;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static cd_store **all;
static size_t nall, capall;

int srv_err(struct cd_err *err, int code)
{
    err->code = code;
    err->pos = 0;
    snprintf(err->msg, sizeof err->msg, "%s", cd_strerror(code));
    return code;
}

cd_store *srv_store(const struct srv *sv, struct cd_err *err)
{
    if (mine) return mine;
    cd_store *s = NULL;
    if (cd_store_open(sv->conf.store, 0, &s, err)) return NULL;
    pthread_mutex_lock(&lock);
    if (nall == capall) {
        size_t cap = capall ? capall * 2 : 16;
        cd_store **p = realloc(all, cap * sizeof *p);
        if (!p) {
            pthread_mutex_unlock(&lock);
            cd_store_close(s);
            srv_err(err, CD_E_NOMEM);
            return NULL;
        }
        all = p;
        capall = cap;
    }
    all[nall++] = s;
    pthread_mutex_unlock(&lock);
    mine = s;
    return s;
}

void srv_stores_close(void)
{
    pthread_mutex_lock(&lock);
    for (size_t i = 0; i < nall; i++) cd_store_close(all[i]);
    free(all);
    all = NULL;
    nall = capall = 0;
    pthread_mutex_unlock(&lock);
    mine = NULL;
}
