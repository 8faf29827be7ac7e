/* SPDX-License-Identifier: MIT */
/* The C send API of a hub that is one node of a cluster (integration.hub_cluster_api_redis;
 * label redis, skipped without WSC_TEST_REDIS_URL).  Two hubs on one loop, in a Redis database
 * of their own, each a node (wsc_hub_config.cluster_redis): a fire-and-forget send made on
 * node A reaches the user's connections on node B; the call answers for A's own connections
 * (WSC_ERR_NOT_FOUND, 0 queued); the user-offline handler runs only for a user that no node
 * holds, once, after the other node has answered; a broadcast reaches every connection of both
 * nodes once; a send from another thread does the same; a client's burst of broadcasts, whose
 * copies A publishes in one piece, reaches both nodes' connections once each, in order.  A node
 * that never answers (a plain subscriber to its channels) makes wsc_hub_publish answer
 * WSC_ERR_TIMEOUT after cluster_timeout_ms with the count of those that did.  Both hubs share one
 * loop. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"
#include "tjson.h"
#include "tstore.h"

#define CLUSTER_API_DB 8

struct two {
    thub a, b; /* b on a's loop and wait set, with its own recorder */
    /* wait_seen's question (a_sees) */
    const char *want_user;
    uint64_t want, seen;
    bool asking;
    char url[512];
    size_t offline;
    char offline_user[64];
};

static void
on_offline(wsc_hub *hub, const wsc_failure *f, wsc_failure_action *action, void *user)
{
    (void)hub;
    (void)action;
    struct two *w = user;
    if (f->kind != WSC_FAILURE_OFFLINE)
        return;
    w->offline++;
    snprintf(w->offline_user, sizeof(w->offline_user), "%s", f->user_id ? f->user_id : "");
}

/* A's cluster-wide count of a user's connections, asked again until it is the one wanted.
 * One question at a time; the state lives in struct two, which outlives any late answer. */
static void
on_count(wsc_hub *hub, wsc_err status, uint64_t count, void *user)
{
    (void)hub;
    struct two *w = user;
    w->asking = false;
    w->seen = status == WSC_OK ? count : UINT64_MAX;
}

static bool
a_sees(void *arg)
{
    struct two *w = arg;
    if (!w->asking && w->seen == w->want)
        return true;
    if (!w->asking) {
        w->asking = true;
        if (wsc_hub_user_connections(w->a.hub, w->want_user, on_count, w) != WSC_OK)
            w->asking = false;
    }
    return false;
}

static void
wait_seen(struct two *w, const char *user, uint64_t want)
{
    w->want_user = user;
    w->want = want;
    w->seen = UINT64_MAX;
    assert_true(thub_wait(&w->a, a_sees, w, 10000));
}

/* Two nodes on one loop (cluster_timeout_ms 0: the default); clients of A may broadcast when
 * client_broadcast. */
static void
two_start_full(struct two *w, unsigned cluster_timeout_ms, bool client_broadcast)
{
    memset(w, 0, sizeof(*w));
    if (tstore_redis_db_url(CLUSTER_API_DB, w->url, sizeof(w->url)) == NULL) {
        tstore_skip();
        return;
    }
    wsc_hub_config ca, cb;
    thub_config(&w->a, &ca);
    ca.cluster_redis = w->url;
    ca.node_id = "api-a";
    if (cluster_timeout_ms > 0)
        ca.cluster_timeout_ms = cluster_timeout_ms;
    ca.allow_client_broadcast = client_broadcast;
    thub_start(&w->a, &ca);
    thub_config_beside(&w->b, &cb, &w->a);
    cb.cluster_redis = w->url;
    cb.node_id = "api-b";
    thub_start(&w->b, &cb);
    wsc_failure_handlers h = {NULL, NULL, on_offline, NULL, NULL, w};
    assert_int_equal(wsc_hub_set_failure_handlers(w->a.hub, &h), WSC_OK);
}

static void
two_start_with(struct two *w, unsigned cluster_timeout_ms)
{
    two_start_full(w, cluster_timeout_ms, false);
}

static void
two_start(struct two *w)
{
    two_start_with(w, 0);
}

static void
two_free(struct two *w)
{
    thub_free(&w->b);
    thub_free(&w->a);
}

static void
expect_content(struct two *w, tws *c, const char *content)
{
    json_t *j = thub_recv(&w->a, c, 5000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "content"), content);
    json_decref(j);
}

/* After 200 ms more of both nodes, none of the n connections has anything more (each got what
 * it was sent once). */
static void
expect_no_more(struct two *w, tws **c, size_t n)
{
    thub_run_for(&w->a, 200);
    char *data = NULL;
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        assert_false(tws_next(c[i], NULL, &data, &len));
}

static wsc_msg *
text(const char *content)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    return m;
}

static bool
offline_seen(void *arg)
{
    return ((struct two *)arg)->offline > 0;
}

static void
test_cluster_api__sends_reach_the_other_node(void **state)
{
    (void)state;
    struct two w;
    two_start(&w);
    tws *alice = thub_open(&w.a, "alice", NULL); /* on A */
    tws *bob = thub_open(&w.b, "bob", NULL);     /* on B */
    wait_seen(&w, "bob", 1);
    /* To bob, from A: none of A's connections, bob's on B gets it. */
    wsc_msg *m = text("to bob");
    size_t n = 99;
    assert_int_equal(wsc_hub_send_to_user(w.a.hub, "bob", m, &n), WSC_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    wsc_msg_unref(m);
    expect_content(&w, bob, "to bob");
    /* To a user nobody holds: the offline handler once, after B answered. */
    m = text("to ghost");
    assert_int_equal(wsc_hub_send_to_user(w.a.hub, "ghost", m, NULL), WSC_ERR_NOT_FOUND);
    wsc_msg_unref(m);
    assert_true(thub_wait(&w.a, offline_seen, &w, 5000));
    assert_string_equal(w.offline_user, "ghost");
    thub_run_for(&w.a, 200);
    assert_int_equal(w.offline, 1); /* bob's send above did not count */
    /* A broadcast from A: alice (on A) and bob (on B), once each. */
    m = text("to all");
    n = 0;
    assert_int_equal(wsc_hub_broadcast(w.a.hub, m, &n), WSC_OK);
    assert_int_equal(n, 1); /* A's own */
    wsc_msg_unref(m);
    expect_content(&w, alice, "to all");
    expect_content(&w, bob, "to all");
    expect_no_more(&w, (tws *[]){alice, bob}, 2); /* once each */
    two_free(&w);
}

struct thread_send {
    wsc_hub *hub;
    wsc_err err;
};

static void *
send_from_thread(void *arg)
{
    struct thread_send *s = arg;
    wsc_msg *m = NULL;
    if (wsc_msg_new_text(&m, "text", "from a thread") == WSC_OK)
        s->err = wsc_hub_send_to_user(s->hub, "bob", m, NULL);
    wsc_msg_unref(m);
    return NULL;
}

static void
test_cluster_api__send_from_another_thread(void **state)
{
    (void)state;
    struct two w;
    two_start(&w);
    tws *bob = thub_open(&w.b, "bob", NULL);
    wait_seen(&w, "bob", 1);
    struct thread_send s = {w.a.hub, WSC_ERR_STATE};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, send_from_thread, &s), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(s.err, WSC_OK); /* handed to the loop */
    expect_content(&w, bob, "from a thread");
    thub_run_for(&w.a, 200);
    assert_int_equal(w.offline, 0);
    two_free(&w);
}

/* ---- a node that does not answer ---- */

struct counted {
    int calls;
    wsc_err status;
    uint64_t count;
};

static void
on_counted(wsc_hub *hub, wsc_err status, uint64_t count, void *user)
{
    (void)hub;
    struct counted *c = user;
    c->calls++;
    c->status = status;
    c->count = count;
}

static bool
counted_once(void *arg)
{
    return ((struct counted *)arg)->calls > 0;
}

/* A node that never answers, as the others see it: a plain Redis client subscribed to the
 * channels a node holds (redis-cli SUBSCRIBE, a child process), counted by every PUBLISH. */
struct silent {
    pid_t pid;
    FILE *out;
};

static struct silent
silent_node(const char *chan1, const char *chan2)
{
    const char *url = getenv("WSC_TEST_REDIS_URL");
    const char *at = strrchr(url, '@'), *colon = strrchr(url, ':');
    char pw[128] = "", port[16], c1[128], c2[128];
    if (at != NULL && at - url > 9)
        snprintf(pw, sizeof(pw), "%.*s", (int)(at - url - 9), url + 9); /* redis://:PW@ */
    snprintf(port, sizeof(port), "%d", colon != NULL ? atoi(colon + 1) : 6379);
    snprintf(c1, sizeof(c1), "%d/%s", CLUSTER_API_DB, chan1);
    snprintf(c2, sizeof(c2), "%d/%s", CLUSTER_API_DB, chan2);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    struct silent s = {.pid = fork()};
    assert_true(s.pid >= 0);
    if (s.pid == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        if (pw[0] != '\0')
            execlp("redis-cli", "redis-cli", "--no-auth-warning", "-p", port, "-a", pw, "SUBSCRIBE",
                   c1, c2, (char *)NULL);
        else
            execlp("redis-cli", "redis-cli", "-p", port, "SUBSCRIBE", c1, c2, (char *)NULL);
        _exit(127);
    }
    close(fds[1]);
    s.out = fdopen(fds[0], "r");
    assert_non_null(s.out);
    /* Subscribed once it has printed a confirmation (3 lines) per channel. */
    char line[256];
    for (int i = 0; i < 6; i++)
        assert_non_null(fgets(line, sizeof(line), s.out));
    return s;
}

static void
silent_node_stop(struct silent *s)
{
    kill(s->pid, SIGTERM);
    waitpid(s->pid, NULL, 0);
    fclose(s->out);
}

static void
test_cluster_api__silent_node_times_out(void **state)
{
    (void)state;
    struct two w;
    two_start_with(&w, 300);
    tws *alice = thub_open(&w.a, "alice", NULL);
    tws *bob = thub_open(&w.b, "bob", NULL);
    wait_seen(&w, "bob", 1);
    struct silent silent = silent_node("wsc:u:bob", "wsc:all");
    /* Redis counts the silent subscriber, so a waits for its answer too, and gives up after
     * cluster_timeout_ms with what came: b's. */
    wsc_msg *m = text("to bob");
    const char *users[] = {"bob"};
    wsc_publish_target to_bob = {.user_ids = users, .n_users = 1};
    struct counted c = {0};
    uint64_t t0 = wsc_loop_now_ms(w.a.loop);
    assert_int_equal(wsc_hub_publish(w.a.hub, &to_bob, m, on_counted, &c), WSC_OK);
    assert_int_equal(c.calls, 0); /* never inside the call */
    assert_true(thub_wait(&w.a, counted_once, &c, 5000));
    uint64_t waited = wsc_loop_now_ms(w.a.loop) - t0;
    assert_int_equal(c.status, WSC_ERR_TIMEOUT);
    assert_int_equal(c.count, 1); /* b's connection */
    assert_true(waited >= 250 && waited < 3000);
    wsc_msg_unref(m);
    expect_content(&w, bob, "to bob");
    /* A broadcast: a's own connection and b's counted, the silent one's answer missing. */
    m = text("to all");
    wsc_publish_target all = {.broadcast = true};
    struct counted cb = {0};
    assert_int_equal(wsc_hub_publish(w.a.hub, &all, m, on_counted, &cb), WSC_OK);
    assert_true(thub_wait(&w.a, counted_once, &cb, 5000));
    assert_int_equal(cb.status, WSC_ERR_TIMEOUT);
    assert_int_equal(cb.count, 2);
    wsc_msg_unref(m);
    expect_content(&w, alice, "to all");
    expect_content(&w, bob, "to all");
    silent_node_stop(&silent);
    /* Without it, the same answers come in full and at once. */
    struct counted ok = {0};
    m = text("to bob again");
    assert_int_equal(wsc_hub_publish(w.a.hub, &to_bob, m, on_counted, &ok), WSC_OK);
    assert_true(thub_wait(&w.a, counted_once, &ok, 5000));
    assert_int_equal(ok.status, WSC_OK);
    assert_int_equal(ok.count, 1);
    wsc_msg_unref(m);
    two_free(&w);
}

/* Many waits answered in one go: the other node's answers come back batched (one envelope per
 * loop turn), each to its own wait, long before cluster_timeout_ms. */
struct many {
    int calls, ok, counted;
};

static void
on_many(wsc_hub *hub, wsc_err status, uint64_t count, void *user)
{
    (void)hub;
    struct many *m = user;
    m->calls++;
    m->ok += status == WSC_OK;
    m->counted += (int)count;
}

static bool
many_done(void *arg)
{
    return ((struct many *)arg)->calls >= 60;
}

/* A publish from A to bob counted by B: B's subscription to bob's channel is in place (B's
 * bus may come up after bob connected, on a loaded machine; presence does not show that).
 * Exactly one probe reaches bob, the first one counted. */
static void
wait_reachable(struct two *w, const wsc_publish_target *to, tws *c)
{
    for (int tries = 0; tries < 100; tries++) {
        struct counted got = {0};
        wsc_msg *m = text("probe");
        assert_int_equal(wsc_hub_publish(w->a.hub, to, m, on_counted, &got), WSC_OK);
        wsc_msg_unref(m);
        assert_true(thub_wait(&w->a, counted_once, &got, 5000));
        if (got.status == WSC_OK && got.count == 1) {
            expect_content(w, c, "probe");
            return;
        }
        thub_run_for(&w->a, 50);
    }
    fail_msg("a publish to the user never reached the other node");
}

static void
test_cluster_api__answers_in_batches(void **state)
{
    (void)state;
    struct two w;
    two_start_with(&w, 5000);
    tws *bob = thub_open(&w.b, "bob", NULL);
    wait_seen(&w, "bob", 1);
    const char *bobs[] = {"bob"}, *ghosts[] = {"ghost"};
    wsc_publish_target to_bob = {.user_ids = bobs, .n_users = 1};
    wait_reachable(&w, &to_bob, bob);
    wsc_publish_target to_ghost = {.user_ids = ghosts, .n_users = 1};
    struct many m = {0};
    uint64_t t0 = wsc_loop_now_ms(w.a.loop);
    for (int i = 0; i < 60; i++) {
        wsc_msg *msg = text(i % 3 == 2 ? "to ghost" : "to bob");
        assert_int_equal(
            wsc_hub_publish(w.a.hub, i % 3 == 2 ? &to_ghost : &to_bob, msg, on_many, &m), WSC_OK);
        wsc_msg_unref(msg);
    }
    assert_true(thub_wait(&w.a, many_done, &m, 4000));
    assert_true(wsc_loop_now_ms(w.a.loop) - t0 < 2000); /* answered, not timed out */
    assert_int_equal(m.calls, 60);
    assert_int_equal(m.ok, 60);
    assert_int_equal(m.counted, 40); /* bob's 40, the ghost's 20 reached nobody */
    for (int i = 0; i < 40; i++)
        expect_content(&w, bob, "to bob");
    two_free(&w);
}

/* Many messages from the bus in one read of it: every connection of the user on the other node
 * gets each once, in the order sent (the node writes them when the whole read is handled). */
static void
test_cluster_api__a_burst_from_the_bus_arrives_in_order(void **state)
{
    (void)state;
    struct two w;
    two_start(&w);
    tws *b1 = thub_open(&w.b, "bob", "client_id=one");
    tws *b2 = thub_open(&w.b, "bob", "client_id=two");
    wait_seen(&w, "bob", 2);
    enum { N = 300 };
    for (int i = 0; i < N; i++) {
        char content[16];
        snprintf(content, sizeof(content), "b%d", i);
        wsc_msg *m = text(content);
        assert_int_equal(wsc_hub_send_to_user(w.a.hub, "bob", m, NULL), WSC_ERR_NOT_FOUND);
        wsc_msg_unref(m);
    }
    for (int i = 0; i < N; i++) {
        char content[16];
        snprintf(content, sizeof(content), "b%d", i);
        expect_content(&w, b1, content);
        expect_content(&w, b2, content);
    }
    expect_no_more(&w, (tws *[]){b1, b2}, 2);
    two_free(&w);
}

/* A burst of broadcasts from another node, to more connections than a window holds for
 * (hub_cork.c: the node waits for the rest of the burst while more of the bus is unread):
 * every connection gets each once, in order, and nothing waits past the burst. */
static void
test_cluster_api__a_broadcast_burst_from_the_bus_arrives_in_order(void **state)
{
    (void)state;
    struct two w;
    two_start(&w);
    enum { USERS = 12, N = 100 };
    tws *c[USERS];
    char name[16];
    for (int u = 0; u < USERS; u++) {
        snprintf(name, sizeof(name), "u%d", u);
        c[u] = thub_open(&w.b, name, NULL);
    }
    wait_seen(&w, "u11", 1);
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "all%d", i);
        wsc_msg *m = text(name);
        /* No connection on A: NOT_FOUND answers for A's own (B's get it all the same). */
        assert_int_equal(wsc_hub_broadcast(w.a.hub, m, NULL), WSC_ERR_NOT_FOUND);
        wsc_msg_unref(m);
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "all%d", i);
        for (int u = 0; u < USERS; u++)
            expect_content(&w, c[u], name);
    }
    expect_no_more(&w, c, USERS);
    two_free(&w);
}

/* A client of A sends a burst of broadcasts back to back, to enough connections on A that A
 * waits for the rest of the burst (hub_cork.c) and holds its publishes meanwhile
 * (wsc__cluster_hold_publishes): every connection on both nodes gets each once, in order, the
 * held publishes leave once the burst is read, and a message sent after it is not held. */
static void
test_cluster_api__a_client_burst_reaches_the_other_node_in_order(void **state)
{
    (void)state;
    struct two w;
    two_start_full(&w, 0, true);
    enum { USERS = 10, N = 50 };
    tws *c[2 * USERS];
    char name[96];
    for (int u = 0; u < 2 * USERS; u++) {
        snprintf(name, sizeof(name), "u%d", u);
        c[u] = thub_open(u < USERS ? &w.a : &w.b, name, NULL);
    }
    tws *pub = thub_open(&w.a, "pub", NULL);
    snprintf(name, sizeof(name), "u%d", 2 * USERS - 1);
    wait_seen(&w, name, 1);
    for (int i = 0; i < N; i++) { /* all in A's socket before A reads any */
        snprintf(name, sizeof(name), "{\"broadcast_type\":\"global\",\"content\":\"x%d\"}", i);
        thub_send(pub, name);
    }
    for (int i = 0; i < N; i++) {
        snprintf(name, sizeof(name), "x%d", i);
        for (int u = 0; u < 2 * USERS; u++)
            expect_content(&w, c[u], name);
    }
    thub_send(pub, "{\"receiver\":\"u19\",\"content\":\"after\"}");
    expect_content(&w, c[2 * USERS - 1], "after");
    expect_no_more(&w, c, 2 * USERS);
    two_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_api__sends_reach_the_other_node),
        cmocka_unit_test(test_cluster_api__send_from_another_thread),
        cmocka_unit_test(test_cluster_api__silent_node_times_out),
        cmocka_unit_test(test_cluster_api__answers_in_batches),
        cmocka_unit_test(test_cluster_api__a_burst_from_the_bus_arrives_in_order),
        cmocka_unit_test(test_cluster_api__a_broadcast_burst_from_the_bus_arrives_in_order),
        cmocka_unit_test(test_cluster_api__a_client_burst_reaches_the_other_node_in_order),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("integration.hub_cluster_api_redis", tests, NULL, NULL),
        sizeof(tests) / sizeof(tests[0]));
}
