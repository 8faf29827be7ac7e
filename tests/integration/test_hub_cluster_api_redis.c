/* SPDX-License-Identifier: MIT */
/* The C send API of a hub that is one node of a cluster (integration.hub_cluster_api_redis;
 * label redis, skipped without WSC_TEST_REDIS_URL).  Two hubs on one loop, in a Redis database
 * of their own, each a node (wsc_hub_config.cluster_redis): a fire-and-forget send made on
 * node A reaches the user's connections on node B; the call answers for A's own connections
 * (WSC_ERR_NOT_FOUND, 0 queued); the user-offline handler runs only for a user that no node
 * holds, once, after the other node has answered; a broadcast reaches every connection of both
 * nodes once; a send from another thread does the same. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"
#include "tjson.h"
#include "tstore.h"

#define CLUSTER_API_DB 8

struct two {
    thub a, b; /* b shares a's loop and wait set (its own recorder) */
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

struct presence {
    struct two *w;
    const char *user;
    uint64_t want;
    bool answered;
    uint64_t count;
};

static void
on_count(wsc_hub *hub, wsc_err status, uint64_t count, void *user)
{
    (void)hub;
    struct presence *p = user;
    p->answered = true;
    p->count = status == WSC_OK ? count : 0;
}

/* Node A sees want connections of user cluster-wide (asked again until it does). */
static bool
a_sees(void *arg)
{
    struct presence *p = arg;
    if (p->answered && p->count == p->want)
        return true;
    if (p->answered || p->count == UINT64_MAX - 1) {
        p->answered = false;
        p->count = UINT64_MAX - 1; /* asked, no answer yet */
        (void)wsc_hub_user_connections(p->w->a.hub, p->user, on_count, p);
    }
    return false;
}

static void
wait_seen(struct two *w, const char *user, uint64_t want)
{
    struct presence p = {w, user, want, true, UINT64_MAX};
    assert_true(thub_wait(&w->a, a_sees, &p, 10000));
}

static void
two_start(struct two *w)
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
    thub_start(&w->a, &ca);
    /* b: its own recorder on a's loop. */
    thub_config(&w->b, &cb);
    wsc_loop_free(w->b.loop);
    twait_set_free(w->b.ts);
    w->b.loop = w->a.loop;
    w->b.ts = w->a.ts;
    cb.loop = w->a.loop;
    cb.cluster_redis = w->url;
    cb.node_id = "api-b";
    w->b.hub = NULL;
    assert_int_equal(wsc_hub_new(&w->b.hub, &cb), WSC_OK);
    w->b.port = wsc_hub_port(w->b.hub);
    wsc_failure_handlers h = {NULL, NULL, on_offline, NULL, NULL, w};
    assert_int_equal(wsc_hub_set_failure_handlers(w->a.hub, &h), WSC_OK);
}

static void
two_free(struct two *w)
{
    wsc_hub_free(w->b.hub);
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
    thub_run_for(&w.a, 200);
    char *data = NULL;
    size_t len = 0;
    assert_false(tws_next(alice, NULL, &data, &len)); /* nothing more: once each */
    assert_false(tws_next(bob, NULL, &data, &len));
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

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cluster_api__sends_reach_the_other_node),
        cmocka_unit_test(test_cluster_api__send_from_another_thread),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("integration.hub_cluster_api_redis", tests, NULL, NULL),
        sizeof(tests) / sizeof(tests[0]));
}
