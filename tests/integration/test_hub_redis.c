/* SPDX-License-Identifier: MIT */
/* The hub on a Redis store (label redis; skipped without WSC_TEST_REDIS_URL, set by
 * scripts/test-storage.sh): offline store -> reconnect -> replay -> ACK removes it; a stop
 * stores pending ACK messages; and Redis stopped under traffic: local WebSocket delivery goes
 * on, storage ops fail with STORE/TIMEOUT (never hang), /readyz answers 503, and everything
 * resumes once Redis is back (WSC_SERVICES_SCRIPT/DIR stop and start it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_reliability_util.h"
#include "thttp.h"
#include "tstore.h"

/* Ids unique per run: the Redis database outlives a test. */
static const char *
uid(const char *name)
{
    static char ids[8][96];
    static unsigned next;
    char *slot = ids[next++ % 8];
    snprintf(slot, 96, "%s-%ld-%ld", name, (long)getpid(), (long)time(NULL));
    return slot;
}

/* A loop and a Redis store for t; skips without a URL. */
static void
open_redis(struct rt *t, uint32_t timeout_ms)
{
    const char *url = getenv("WSC_TEST_REDIS_URL");
    if (url == NULL || url[0] == '\0')
        tstore_skip();
    wsc_store_config sc;
    wsc_store_config_init(&sc);
    sc.command_timeout_ms = timeout_ms;
    sc.reconnect_max_ms = 200;
    assert_int_equal(wsc_loop_new(&t->loop), WSC_OK);
    assert_int_equal(wsc_store_open(t->loop, url, &sc, &t->store), WSC_OK);
    assert_string_equal(wsc_store_backend(t->store), "redis");
}

static void
expect_msg(struct rt *t, tws *c, const char *mid, const char *source)
{
    json_t *j = rt_next_app(t, c, 3000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "message_id"), mid);
    if (source != NULL)
        assert_string_equal(tjson_str(j, "source"), source);
    json_decref(j);
}

static void
test_hub_redis__offline_replay_ack_removes(void **state)
{
    (void)state;
    struct rt t = {0};
    open_redis(&t, 2000);
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    const char *u = uid("off");
    wsc_msg *m = rt_msg(uid("m-off"), "kept in redis");
    const char *mid = wsc_msg_get(m, WSC_F_MESSAGE_ID);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, u, m, NULL, rt_done, &t), WSC_OK);
    assert_true(rt_wait_done(&t, 1, 3000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_STORED);
    assert_int_equal(rt_offline_count(&t, u), 1);
    assert_int_equal(rt_record_state(&t, mid, u), WSC_REC_STORED);
    tws *c = rt_connect(&t, u);
    assert_non_null(c);
    expect_msg(&t, c, mid, "offline");
    rt_ack(c, mid);
    assert_true(rt_wait_acked_offline(&t, mid, u, 3000));
    assert_int_equal(rt_offline_count(&t, u), 0);
    assert_int_equal(rt_record_state(&t, mid, u), WSC_REC_ACKED);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static bool
hub_stopped(void *arg)
{
    return wsc_hub_is_stopped(arg);
}

static void
test_hub_redis__stop_stores_pending(void **state)
{
    (void)state;
    struct rt t = {0};
    open_redis(&t, 2000);
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    wsc_ack_opts_init(&cfg.ack); /* 5 s: still pending at the stop */
    assert_int_equal(rt_start_cfg(&t, &cfg), WSC_OK);
    const char *u = uid("stop");
    tws *c = rt_connect(&t, u);
    assert_non_null(c);
    wsc_msg *m = rt_msg(uid("m-stop"), "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, u, m, NULL, rt_done, &t), WSC_OK);
    expect_msg(&t, c, wsc_msg_get(m, WSC_F_MESSAGE_ID), NULL);
    wsc_hub_stop(t.hub);
    assert_true(twait_until(t.ts, t.loop, hub_stopped, t.hub, 5000));
    assert_int_equal(t.n_done, 1);
    assert_int_equal(t.last.outcome, WSC_DELIVERY_STORED);
    wsc_hub_free(t.hub);
    t.hub = NULL;
    /* Redis holds it after the hub is gone. */
    struct rt_async a = {0};
    assert_int_equal(wsc_offline_count(wsc_store_offline(t.store), u, rt_count_cb, &a), WSC_OK);
    assert_true(twait_until(NULL, t.loop, rt_async_done, &a, 3000));
    assert_int_equal(a.status, WSC_OK);
    assert_int_equal(a.count, 1);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static int
readyz(struct rt *t)
{
    thttp *h = thttp_request(t->port, "GET", "/readyz", NULL, NULL, 0);
    assert_non_null(h);
    assert_int_equal(twait_add_http(t->ts, h), 0);
    twait_until(t->ts, t->loop, thttp_is_done, h, 3000);
    int status = thttp_status(h);
    twait_remove_http(t->ts, h);
    thttp_free(h);
    return status;
}

/* Polls /readyz (never sleeping: the loop runs between polls) until it answers want. */
static bool
readyz_becomes(struct rt *t, int want, int timeout_ms)
{
    for (int waited = 0; waited <= timeout_ms; waited += 100) {
        if (readyz(t) == want)
            return true;
        twait_for(t->ts, t->loop, 100);
    }
    return false;
}

/* Local delivery without the store: a fire-and-forget send and an ACK send to online users. */
static void
deliver_locally(struct rt *t, tws *b, const char *ub, const char *tag)
{
    wsc_msg *m = rt_msg(uid(tag), "live");
    size_t n = 0;
    assert_int_equal(wsc_hub_send_to_user(t->hub, ub, m, &n), WSC_OK);
    assert_int_equal(n, 1);
    expect_msg(t, b, wsc_msg_get(m, WSC_F_MESSAGE_ID), NULL);
    wsc_msg_unref(m);
    int before = t->n_done;
    m = rt_msg(uid(tag[0] == 'd' ? "ack-down" : "ack-up"), "acked");
    const char *mid = wsc_msg_get(m, WSC_F_MESSAGE_ID);
    assert_int_equal(wsc_hub_send_to_user_ack(t->hub, ub, m, NULL, rt_done, t), WSC_OK);
    expect_msg(t, b, mid, NULL);
    rt_ack(b, mid);
    assert_true(rt_wait_done(t, before + 1, 3000));
    assert_int_equal(t->last.outcome, WSC_DELIVERY_ACKED);
    wsc_msg_unref(m);
}

/* conn's receipt for mid: status and data.error (NULL: none) are what is expected. */
static void
expect_receipt(struct rt *t, tws *c, const char *mid, const char *status, const char *error)
{
    json_t *j = rt_next_app(t, c, 8000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "message_type"), "ack");
    assert_string_equal(tjson_str(j, "message_id"), mid);
    json_t *data = json_object_get(j, "data");
    assert_string_equal(json_string_value(json_object_get(data, "status")), status);
    const char *e = json_string_value(json_object_get(data, "error"));
    if (error == NULL)
        assert_null(e);
    else
        assert_string_equal(e, error);
    json_decref(j);
}

static void
client_send(tws *c, const char *mid, const char *receiver, const char *group)
{
    char buf[512];
    int n = snprintf(buf, sizeof(buf),
                     "{\"message_id\":\"%s\",\"require_ack\":true,\"content\":\"x\",%s\"%s\"%s}",
                     mid, receiver ? "\"receiver\":" : "\"group_ids\":[",
                     receiver ? receiver : group, receiver ? "" : "]");
    assert_int_equal(tws_send_text(c, buf, (size_t)n), 0);
}

/* A client's receipt says "stored" only once Redis has the message; with Redis down it says
 * "rejected" store_unavailable (point-to-point and group), and a resend of the same
 * message_id once Redis is back is handled anew (not answered from the dedupe window). */
static void
test_hub_redis__receipts_wait_for_the_store(void **state)
{
    (void)state;
    if (getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL)
        tstore_skip();
    struct rt t = {0};
    open_redis(&t, 500);
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    rt_fast_ack(&cfg.ack, 3);
    cfg.store_check_ms = 100;
    assert_int_equal(rt_start_cfg(&t, &cfg), WSC_OK);
    const char *ua = uid("ra"), *uc = uid("rc"), *g = uid("rg");
    assert_int_equal(wsc_hub_group_join(t.hub, g, ua), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, g, uc), WSC_OK);
    tws *a = rt_connect(&t, ua);
    assert_non_null(a);
    assert_true(readyz_becomes(&t, 200, 3000));

    assert_int_equal(tstore_services("stop-redis"), 0);
    char p2p[128], grp[128];
    snprintf(p2p, sizeof(p2p), "%s-p2p", uc);
    snprintf(grp, sizeof(grp), "%s-grp", uc);
    client_send(a, p2p, uc, NULL);
    expect_receipt(&t, a, p2p, "rejected", "store_unavailable");
    client_send(a, grp, NULL, g);
    expect_receipt(&t, a, grp, "rejected", "store_unavailable");

    assert_int_equal(tstore_services("start-redis"), 0);
    assert_true(readyz_becomes(&t, 200, 15000));
    client_send(a, p2p, uc, NULL);
    expect_receipt(&t, a, p2p, "stored", NULL);
    assert_int_equal(rt_offline_count(&t, uc), 1); /* true when it was said */
    client_send(a, grp, NULL, g);
    expect_receipt(&t, a, grp, "stored", NULL);
    assert_int_equal(rt_offline_count(&t, uc), 2);
    rt_drop(&t, a);
    rt_stop(&t);
}

static bool
store_retried(void *arg)
{
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(arg, &st);
    return st.store_retries >= 2;
}

/* A message delivered but never ACKed goes to the store after its retries; with the store
 * down it stays tracked (the write is tried again) until the store confirms: STORED, never
 * FAILED. */
static void
test_hub_redis__delivered_then_store_down_stays_tracked(void **state)
{
    (void)state;
    if (getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL)
        tstore_skip();
    struct rt t = {0};
    open_redis(&t, 300);
    assert_int_equal(rt_start(&t, 1), WSC_OK);
    const char *ub = uid("silent");
    tws *b = rt_connect(&t, ub);
    assert_non_null(b);
    assert_int_equal(tstore_services("stop-redis"), 0);
    wsc_msg *m = rt_msg(uid("m-silent"), "never acked");
    const char *mid = wsc_msg_get(m, WSC_F_MESSAGE_ID);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, ub, m, NULL, rt_done, &t), WSC_OK);
    expect_msg(&t, b, mid, NULL); /* delivered; b never ACKs */
    assert_true(twait_until(t.ts, t.loop, store_retried, t.hub, 8000));
    assert_int_equal(t.n_done, 0); /* still tracked */
    assert_int_equal(tstore_services("start-redis"), 0);
    assert_true(rt_wait_done(&t, 1, 15000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_STORED);
    assert_int_equal(rt_offline_count(&t, ub), 1);
    wsc_msg_unref(m);
    rt_drop(&t, b);
    rt_stop(&t);
}

static void
test_hub_redis__redis_down_then_back(void **state)
{
    (void)state;
    if (getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL)
        tstore_skip();
    struct rt t = {0};
    open_redis(&t, 500);
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    rt_fast_ack(&cfg.ack, 3);
    cfg.store_check_ms = 100;
    assert_int_equal(rt_start_cfg(&t, &cfg), WSC_OK);
    const char *ub = uid("b"), *uc = uid("c");
    tws *a = rt_connect(&t, uid("a")), *b = rt_connect(&t, ub);
    assert_non_null(a);
    assert_non_null(b);
    assert_true(readyz_becomes(&t, 200, 3000));

    assert_int_equal(tstore_services("stop-redis"), 0);
    assert_true(readyz_becomes(&t, 503, 5000));
    deliver_locally(&t, b, ub, "down");
    /* A store op fails (within the command timeout), never hangs. */
    int before = t.n_done;
    wsc_msg *m = rt_msg(uid("m-down"), "for an offline user");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, uc, m, NULL, rt_done, &t), WSC_OK);
    assert_true(rt_wait_done(&t, before + 1, 3000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_FAILED);
    assert_true(t.last_status == WSC_ERR_STORE || t.last_status == WSC_ERR_TIMEOUT);
    assert_int_equal(rt_offline_count(&t, uc), UINT64_MAX);
    wsc_msg_unref(m);

    assert_int_equal(tstore_services("start-redis"), 0);
    assert_true(readyz_becomes(&t, 200, 15000));
    deliver_locally(&t, b, ub, "up");
    before = t.n_done;
    m = rt_msg(uid("m-up"), "stored again");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, uc, m, NULL, rt_done, &t), WSC_OK);
    assert_true(rt_wait_done(&t, before + 1, 3000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_STORED);
    assert_int_equal(rt_offline_count(&t, uc), 1);
    wsc_msg_unref(m);
    rt_stop(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_redis__offline_replay_ack_removes),
        cmocka_unit_test(test_hub_redis__stop_stores_pending),
        cmocka_unit_test(test_hub_redis__redis_down_then_back),
        cmocka_unit_test(test_hub_redis__receipts_wait_for_the_store),
        cmocka_unit_test(test_hub_redis__delivered_then_store_down_stays_tracked),
    };
    return tstore_exit(cmocka_run_group_tests_name("integration.hub_redis", tests, NULL, NULL),
                       sizeof(tests) / sizeof(tests[0]));
}
