/* certdeckd — main(): configuration, the store and the server's TLS
 * identity, the two daemons, then waiting for SIGTERM or SIGINT.
 *
 * Signals are blocked in every thread (the mask is set before any thread
 * starts) and taken by sigwait() here, so no work happens in a signal
 * handler.  A stop: no new connections, requests in flight answered, the
 * check-in queue written, every store handle closed, exit 0. */
#include <locale.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include "srv.h"

int main(int argc, char **argv)
{
    setlocale(LC_ALL, "");
    /* no core file of a process that holds keys and passwords */
    prctl(PR_SET_DUMPABLE, 0);
    struct srv sv;
    memset(&sv, 0, sizeof sv);
    int rc = conf_load(&sv.conf, argc, argv);
    if (rc) {
        conf_free(&sv.conf);
        return rc < 0 ? 0 : rc;
    }

    int status = 1;
    char *chain = NULL, *key = NULL, aerr[200];
    cd_user *owner = NULL;
    struct cd_err err = { 0 };
    if ((rc = conf_addr(sv.conf.listen, &sv.api.addr, aerr, sizeof aerr))) {
        log_msg("--listen %s: %s", sv.conf.listen, aerr);
        status = rc;
        goto out;
    }
    if ((rc = conf_addr(sv.conf.agent_listen, &sv.agent.addr, aerr, sizeof aerr))) {
        log_msg("--agent-listen %s: %s", sv.conf.agent_listen, aerr);
        status = rc;
        goto out;
    }

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (auth_init()) {
        log_msg("no random key for the login cache");
        goto out;
    }
    cd_store *s = srv_store(&sv, &err);
    if (!s) {
        log_msg("%s", cd_errmsg(&err, CD_E_STORE));
        goto out;
    }
    /* the server reads the store key and its own private key: only the
     * store's owner runs it */
    if ((rc = cd_user_owner(s, &owner, &err))) {
        log_msg("%s", cd_errmsg(&err, rc));
        goto out;
    }
    if ((rc = cd_server_tls(s, sv.conf.tls_cert, &chain, &key, &err))) {
        log_msg("the server's TLS certificate: %s", cd_errmsg(&err, rc));
        goto out;
    }
    if ((rc = cd_trust_pem(s, &sv.trust_pem, &err))) {
        log_msg("the store's CAs (agent port): %s", cd_errmsg(&err, rc));
        goto out;
    }
    rc = srv_start(&sv, chain, key);
    /* libmicrohttpd has loaded the key into its credentials */
    cd_secret_free(key);
    key = NULL;
    if (rc) goto out;
    if (agent_start(&sv)) {
        log_msg("cannot start the check-in recorder thread");
        srv_stop(&sv);
        goto out;
    }
    fprintf(stderr, "certdeckd: listening on %s (console API), %s (agents)\n", sv.api.url, sv.agent.url);

    int sig = 0;
    while (sigwait(&set, &sig) != 0) {}
    log_msg("%s: stopping", sig == SIGINT ? "SIGINT" : "SIGTERM");
    srv_stop(&sv);
    agent_stop();
    log_msg("stopped");
    status = 0;
out:
    cd_secret_free(key);
    free(chain);
    free(sv.trust_pem);
    cd_user_free(owner);
    srv_stores_close();
    auth_free();
    conf_free(&sv.conf);
    return status;
}
