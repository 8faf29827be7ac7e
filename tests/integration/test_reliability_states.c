/* SPDX-License-Identifier: MIT */
/* Every state transition of an ACK send over real sockets with short timers: ACK on time,
 * ACK after a timeout (resend), retries exhausted (timeout handler, stored, replayed, ACKed),
 * unknown / duplicate / late ACKs, offline receiver with and without storage, reconnect
 * during a retry, queue full, connection error, graceful shutdown with ACKs pending. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_reliability_util.h"

static void
expect_msg(struct rt *t, tws *c, const char *mid, const char *source)
{
    json_t *j = rt_next_app(t, c, 2000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "message_id"), mid);
    assert_true(tjson_bool(j, "require_ack", false));
    if (source != NULL)
        assert_string_equal(tjson_str(j, "source"), source);
    else
        assert_false(tjson_has(j, "source"));
    json_decref(j);
}

static bool
conn_errors_2(void *arg)
{
    return ((struct rt *)arg)->failures[WSC_FAILURE_CONN_ERROR] >= 2;
}

static void
test_reliability__acked_on_time(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    assert_non_null(c);
    wsc_msg *m = rt_msg("m1", "hello");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m, NULL, rt_done, &t), WSC_OK);
    assert_int_equal(t.n_done, 0); /* never inside the call */
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m, NULL, rt_done, &t), WSC_ERR_EXISTS);
    expect_msg(&t, c, "m1", NULL);
    assert_int_equal(rt_record_state(&t, "m1", "u1"), WSC_REC_SENT);
    rt_ack(c, "m1");
    assert_true(rt_wait_done(&t, 1, 2000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_ACKED);
    assert_int_equal(t.last_status, WSC_OK);
    assert_int_equal(t.last.attempts, 1);
    assert_int_equal(rt_record_state(&t, "m1", "u1"), WSC_REC_ACKED);
    /* duplicate and late ACKs, and one for nothing, change nothing */
    rt_ack(c, "m1");
    rt_ack(c, "nope");
    struct rt_until unknown = {&t, NULL, NULL, 2};
    assert_true(twait_until(t.ts, t.loop, rt_until_acks_unknown, &unknown, 3000));
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_int_equal(st.acks_unknown, 2);
    assert_int_equal(st.acked, 1);
    assert_int_equal(st.pending, 0);
    assert_int_equal(t.n_done, 1);
    for (int k = 0; k < 5; k++)
        assert_int_equal(t.failures[k], 0);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static void
test_reliability__ack_after_timeout_is_resent(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    wsc_msg *m = rt_msg("m2", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m, NULL, rt_done, &t), WSC_OK);
    expect_msg(&t, c, "m2", NULL);
    expect_msg(&t, c, "m2", NULL); /* no ACK within 50 ms: the same message_id again */
    assert_int_equal(t.n_done, 0);
    rt_ack(c, "m2");
    assert_true(rt_wait_done(&t, 1, 2000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_ACKED);
    assert_true(t.last.attempts >= 2);
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_true(st.resends >= 1);
    assert_int_equal(t.failures[WSC_FAILURE_TIMEOUT], 0);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static void
test_reliability__retries_exhausted_store_replay_ack(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 2), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    wsc_msg *m = rt_msg("m3", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m, NULL, rt_done, &t), WSC_OK);
    assert_true(rt_wait_done(&t, 1, 3000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_STORED);
    assert_int_equal(t.last.attempts, 3); /* first send + 2 retries */
    assert_int_equal(t.failures[WSC_FAILURE_TIMEOUT], 1);
    assert_int_equal(rt_record_state(&t, "m3", "u1"), WSC_REC_STORED);
    assert_int_equal(rt_offline_count(&t, "u1"), 1);
    for (int i = 0; i < 3; i++)
        expect_msg(&t, c, "m3", NULL);
    /* a new connection gets it from the store, marked offline; the ACK removes it */
    rt_drop(&t, c);
    c = rt_connect(&t, "u1");
    assert_non_null(c);
    expect_msg(&t, c, "m3", "offline");
    assert_int_equal(rt_record_state(&t, "m3", "u1"), WSC_REC_DELIVERED);
    rt_ack(c, "m3");
    assert_true(rt_wait_acked_offline(&t, "m3", "u1", 3000));
    assert_int_equal(rt_offline_count(&t, "u1"), 0);
    assert_int_equal(rt_record_state(&t, "m3", "u1"), WSC_REC_ACKED);
    assert_int_equal(t.n_done, 1);
    assert_int_equal(t.failures[WSC_FAILURE_TIMEOUT], 1);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static void
test_reliability__offline_user_stored_or_failed(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    wsc_msg *m = rt_msg("m4", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "nobody", m, NULL, rt_done, &t), WSC_OK);
    assert_true(rt_wait_done(&t, 1, 2000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_STORED);
    assert_int_equal(t.failures[WSC_FAILURE_OFFLINE], 1);
    assert_int_equal(rt_offline_count(&t, "nobody"), 1);
    wsc_ack_opts o;
    rt_fast_ack(&o, 3);
    o.store_offline = false;
    wsc_msg *m2 = rt_msg("m5", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "nobody", m2, &o, rt_done, &t), WSC_OK);
    assert_true(rt_wait_done(&t, 2, 2000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_FAILED);
    assert_int_equal(t.last_status, WSC_ERR_NOT_FOUND);
    assert_false(wsc_err_is_retryable(t.last_status));
    assert_int_equal(t.failures[WSC_FAILURE_OFFLINE], 2);
    assert_int_equal(rt_record_state(&t, "m5", "nobody"), WSC_REC_FAILED);
    /* fire-and-forget to an offline user: the handler once, nothing stored */
    assert_int_equal(wsc_hub_send_to_user(t.hub, "nobody", m2, NULL), WSC_ERR_NOT_FOUND);
    assert_int_equal(t.failures[WSC_FAILURE_OFFLINE], 3);
    assert_int_equal(rt_offline_count(&t, "nobody"), 1);
    wsc_msg_unref(m);
    wsc_msg_unref(m2);
    rt_stop(&t);
}

static void
test_reliability__reconnect_during_retry_gets_it_again(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    wsc_ack_opts o;
    rt_fast_ack(&o, 3);
    o.base_delay_ms = o.max_delay_ms = 5000; /* the retry would come much later */
    tws *c = rt_connect(&t, "u1");
    wsc_msg *m = rt_msg("m6", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m, &o, rt_done, &t), WSC_OK);
    expect_msg(&t, c, "m6", NULL);
    /* Timed out: now waiting out the 5 s backoff. */
    struct rt_until retrying = {&t, "m6", "u1", WSC_REC_RETRYING};
    assert_true(twait_until(t.ts, t.loop, rt_until_record, &retrying, 3000));
    tws_reset_tcp(c);
    rt_drop(&t, c);
    c = rt_connect(&t, "u1");
    assert_non_null(c);
    expect_msg(&t, c, "m6", NULL); /* at once, not after 5 s */
    rt_ack(c, "m6");
    assert_true(rt_wait_done(&t, 1, 1000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_ACKED);
    assert_int_equal(t.last.attempts, 2);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static void
test_reliability__ack_from_any_connection(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *a = rt_connect(&t, "u1");
    tws *b = rt_connect(&t, "u1");
    wsc_msg *m = rt_msg("m7", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m, NULL, rt_done, &t), WSC_OK);
    expect_msg(&t, a, "m7", NULL);
    expect_msg(&t, b, "m7", NULL);
    rt_ack(b, "m7");
    assert_true(rt_wait_done(&t, 1, 1000));
    assert_int_equal(t.last.outcome, WSC_DELIVERY_ACKED);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static void
test_reliability__queue_full_fires_once(void **state)
{
    (void)state;
    struct rt t = {0};
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    rt_fast_ack(&cfg.ack, 0);
    cfg.queue_max_count = 3;
    assert_int_equal(rt_start_cfg(&t, &cfg), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    assert_non_null(c);
    /* four in one loop turn: the queue takes three, the fourth finds it full */
    wsc_msg *m[4];
    char id[8];
    for (int i = 0; i < 4; i++) {
        snprintf(id, sizeof(id), "q%d", i);
        m[i] = rt_msg(id, "x");
        assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m[i], NULL, rt_done, &t), WSC_OK);
    }
    assert_true(rt_wait_done(&t, 1, 2000));
    assert_int_equal(t.failures[WSC_FAILURE_QUEUE_FULL], 1);
    assert_int_equal(t.last.outcome, WSC_DELIVERY_STORED);
    assert_int_equal(t.last.error, WSC_OK);
    /* fire-and-forget: one call per (message, connection) that did not fit */
    for (int i = 0; i < 4; i++)
        wsc_hub_send_to_user(t.hub, "u1", m[i], NULL);
    assert_int_equal(t.failures[WSC_FAILURE_QUEUE_FULL], 2);
    for (int i = 0; i < 4; i++)
        wsc_msg_unref(m[i]);
    rt_stop(&t);
}

static void
test_reliability__conn_error_fires_once_per_message(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    wsc_conn_id id = 0;
    size_t n = 0;
    assert_int_equal(wsc_hub_user_conns(t.hub, "u1", &id, 1, &n), WSC_OK);
    wsc_msg *m = rt_msg("f1", "x");
    wsc_hub_send_to_user(t.hub, "u1", m, NULL);
    wsc_hub_send_to_user(t.hub, "u1", m, NULL);
    /* closed before the next WRITEABLE: both queued frames are lost with the connection */
    assert_int_equal(wsc_hub_close_conn(t.hub, id, 1000, "bye"), WSC_OK);
    assert_true(twait_until(t.ts, t.loop, tws_is_closed, c, 2000));
    assert_true(twait_until(t.ts, t.loop, conn_errors_2, &t, 2000));
    assert_int_equal(t.failures[WSC_FAILURE_CONN_ERROR], 2);
    assert_int_equal(t.failures[WSC_FAILURE_OFFLINE], 0);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static bool
hub_stopped(void *arg)
{
    return wsc_hub_is_stopped(arg);
}

static void
test_reliability__shutdown_stores_pending(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(wsc_loop_new(&t.loop), WSC_OK);
    assert_int_equal(wsc_repo_memory_new(t.loop, NULL, &t.store), WSC_OK);
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    wsc_ack_opts_init(&cfg.ack); /* 5 s timeout: nothing would happen before the stop */
    assert_int_equal(rt_start_cfg(&t, &cfg), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    wsc_msg *m1 = rt_msg("s1", "x"), *m2 = rt_msg("s2", "y");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m1, NULL, rt_done, &t), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u2", m2, NULL, rt_done, &t), WSC_OK);
    expect_msg(&t, c, "s1", NULL);
    assert_true(rt_wait_done(&t, 1, 1000)); /* u2 offline: stored */
    wsc_hub_stop(t.hub);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m2, NULL, rt_done, &t), WSC_ERR_STATE);
    assert_true(twait_until(t.ts, t.loop, hub_stopped, t.hub, 3000));
    assert_int_equal(t.n_done, 2);
    assert_int_equal(t.outcomes[WSC_DELIVERY_STORED], 2);
    /* the store outlives the hub and holds both */
    assert_int_equal(rt_offline_count(&t, "u1"), 1);
    wsc_hub_free(t.hub);
    t.hub = NULL;
    struct rt_async a = {0};
    wsc_offline_count(wsc_store_offline(t.store), "u1", rt_count_cb, &a);
    assert_true(twait_until(NULL, t.loop, rt_async_done, &a, 2000));
    assert_int_equal(a.count, 1);
    wsc_msg_unref(m1);
    wsc_msg_unref(m2);
    rt_stop(&t);
}

static void
test_reliability__free_cancels_pending(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    wsc_msg *m = rt_msg("z1", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "u1", m, NULL, rt_done, &t), WSC_OK);
    expect_msg(&t, c, "z1", NULL);
    twait_set_free_all(t.ts);
    t.ts = NULL;
    wsc_hub_free(t.hub);
    t.hub = NULL;
    assert_int_equal(t.n_done, 1);
    assert_int_equal(t.last.outcome, WSC_DELIVERY_FAILED);
    assert_int_equal(t.last_status, WSC_ERR_CANCELED);
    wsc_msg_unref(m);
    rt_stop(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reliability__acked_on_time),
        cmocka_unit_test(test_reliability__ack_after_timeout_is_resent),
        cmocka_unit_test(test_reliability__retries_exhausted_store_replay_ack),
        cmocka_unit_test(test_reliability__offline_user_stored_or_failed),
        cmocka_unit_test(test_reliability__reconnect_during_retry_gets_it_again),
        cmocka_unit_test(test_reliability__ack_from_any_connection),
        cmocka_unit_test(test_reliability__queue_full_fires_once),
        cmocka_unit_test(test_reliability__conn_error_fires_once_per_message),
        cmocka_unit_test(test_reliability__shutdown_stores_pending),
        cmocka_unit_test(test_reliability__free_cancels_pending),
    };
    return cmocka_run_group_tests_name("integration.reliability_states", tests, NULL, NULL);
}
