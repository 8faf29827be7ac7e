/* SPDX-License-Identifier: MIT */
/* An embedded hub that is one node of a cluster (docs/cluster.md): run it twice, in two
 * processes, on the same Redis, and the two hubs act as one.
 *
 *     cluster-node 8081 redis://127.0.0.1:6379 &
 *     cluster-node 8082 redis://127.0.0.1:6379 &
 *     # a client of alice on :8081 reaches bob on :8082:
 *     websocat 'ws://127.0.0.1:8082/ws?user_id=bob' &
 *     echo '{"receiver":"bob","content":"hi"}' | websocat 'ws://127.0.0.1:8081/ws?user_id=alice'
 *
 * Only the public API: wsc_hub_config.cluster_redis is all it takes.  SIGINT or SIGTERM stops
 * it gracefully. */
#define _POSIX_C_SOURCE 200809L /* sigwait, pthread_sigmask */

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>

#include <wsc/wsc.h>

/* Every node hears of every user who joins anywhere through the shared groups; here each
 * user simply joins "lobby" on connect, and the membership is the cluster's. */
static void
on_connect(wsc_hub *hub, wsc_conn *conn, void *user)
{
    (void)user;
    (void)wsc_hub_group_join(hub, "lobby", wsc_conn_user_key(conn));
}

struct stopper {
    sigset_t set;
    wsc_hub *hub;
};

/* SIGINT/SIGTERM are blocked in every thread and taken here: wsc_hub_stop is safe from any
 * thread. */
static void *
stop_on_signal(void *arg)
{
    struct stopper *s = arg;
    int sig = 0;
    sigwait(&s->set, &sig);
    wsc_hub_stop(s->hub);
    return NULL;
}

int
main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s PORT redis://HOST:PORT[/DB]\n", argv[0]);
        return 2;
    }
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = atoi(argv[1]);
    cfg.insecure_user_id = true; /* a demo: ?user_id= is the identity */
    cfg.cluster_redis = argv[2];
    cfg.on_connect = on_connect;
    wsc_hub *hub = NULL;
    wsc_err err = wsc_hub_new(&hub, &cfg);
    if (err != WSC_OK) {
        fprintf(stderr, "cluster-node: %s\n", wsc_strerror(err));
        return 1;
    }
    printf("node %s on ws://127.0.0.1:%d/ws, cluster %s\n", wsc_hub_node_id(hub), wsc_hub_port(hub),
           argv[2]);
    fflush(stdout);
    struct stopper stop = {.hub = hub};
    sigemptyset(&stop.set);
    sigaddset(&stop.set, SIGINT);
    sigaddset(&stop.set, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop.set, NULL);
    pthread_t t;
    if (pthread_create(&t, NULL, stop_on_signal, &stop) != 0) {
        wsc_hub_free(hub);
        return 1;
    }
    err = wsc_hub_run(hub);
    pthread_kill(t, SIGTERM); /* stopped some other way: end the waiting thread */
    pthread_join(t, NULL);
    wsc_hub_free(hub);
    return err == WSC_OK ? 0 : 1;
}
