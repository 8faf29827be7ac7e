/* SPDX-License-Identifier: MIT */
/* The batch sender over real sockets (fire-and-forget and ACK mode, before/after callbacks
 * per item, the whole-batch timeout reporting unfinished items once as TIMEOUT, one
 * completion, freeing a running batch) and ACK sends made on another thread, whose
 * completions run on the loop. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_reliability_util.h"

struct bt {
    struct rt t;
    int befores, afters, dones;
    size_t after_order[8];
    wsc_batch_state states[8];
    wsc_err errors[8];
    int after_per_item[8];
    wsc_err done_status;
    size_t done_n;
    bool free_in_after;
};

static void
bt_before(wsc_batch *b, size_t index, const char *user_id, wsc_msg *msg, void *user)
{
    (void)b;
    (void)user_id;
    (void)msg;
    struct bt *x = user;
    assert_int_equal((size_t)x->befores, index); /* in order */
    x->befores++;
}

static void
bt_after(wsc_batch *b, size_t index, const wsc_batch_result *r, void *user)
{
    struct bt *x = user;
    x->after_order[x->afters++] = index;
    x->after_per_item[index]++;
    x->states[index] = r->state;
    x->errors[index] = r->error;
    if (x->free_in_after)
        wsc_batch_free(b);
}

static void
bt_done(wsc_err status, wsc_batch *b, const wsc_batch_result *results, size_t n, void *user)
{
    (void)b;
    struct bt *x = user;
    x->dones++;
    x->done_status = status;
    x->done_n = n;
    for (size_t i = 0; i < n; i++)
        assert_int_equal(results[i].state, x->states[i]); /* after came first, same result */
}

static bool
bt_done_ge1(void *arg)
{
    return ((struct bt *)arg)->dones >= 1;
}

static void
bt_config(struct bt *x, wsc_batch_config *cfg, wsc_batch_mode mode)
{
    wsc_batch_config_init(cfg);
    cfg->mode = mode;
    cfg->before = bt_before;
    cfg->after = bt_after;
    cfg->done = bt_done;
    cfg->user = x;
}

static void
add(wsc_batch *b, const char *user, const char *mid)
{
    wsc_msg *m = rt_msg(mid, "batch");
    assert_int_equal(wsc_batch_add(b, user, m, NULL), WSC_OK);
    wsc_msg_unref(m);
}

static void
test_batch__fire_and_forget(void **state)
{
    (void)state;
    struct bt x = {0};
    assert_int_equal(rt_start(&x.t, 3), WSC_OK);
    tws *c = rt_connect(&x.t, "u1");
    assert_non_null(c);
    wsc_batch_config cfg;
    bt_config(&x, &cfg, WSC_BATCH_FIRE_AND_FORGET);
    wsc_batch *b = NULL;
    assert_int_equal(wsc_batch_new(&b, x.t.hub, &cfg), WSC_OK);
    add(b, "u1", "f1");
    add(b, "nobody", "f2");
    add(b, "u1", "f3");
    assert_int_equal(wsc_batch_run(b), WSC_OK);
    assert_int_equal(x.befores + x.afters + x.dones, 0); /* never inside the call */
    assert_int_equal(wsc_batch_run(b), WSC_ERR_INVALID);
    assert_true(twait_until(x.t.ts, x.t.loop, bt_done_ge1, &x, 2000));
    assert_int_equal(x.befores, 3);
    assert_int_equal(x.afters, 3);
    assert_int_equal(x.states[0], WSC_BATCH_QUEUED);
    assert_int_equal(x.states[1], WSC_BATCH_FAILED);
    assert_int_equal(x.errors[1], WSC_ERR_NOT_FOUND);
    assert_int_equal(x.states[2], WSC_BATCH_QUEUED);
    assert_int_equal(x.done_status, WSC_ERR_NOT_FOUND);
    assert_int_equal(x.done_n, 3);
    json_t *j = rt_next_app(&x.t, c, 2000);
    assert_string_equal(tjson_str(j, "message_id"), "f1");
    json_decref(j);
    j = rt_next_app(&x.t, c, 2000);
    assert_string_equal(tjson_str(j, "message_id"), "f3");
    json_decref(j);
    twait_for(x.t.ts, x.t.loop, 100);
    assert_int_equal(x.dones, 1);
    wsc_batch_free(b);
    rt_stop(&x.t);
}

/* ACKed, never ACKed (reported TIMEOUT once at the batch timeout), offline (stored). */
static void
test_batch__ack_mode_timeout(void **state)
{
    (void)state;
    struct bt x = {0};
    assert_int_equal(rt_start(&x.t, 3), WSC_OK);
    tws *c1 = rt_connect(&x.t, "u1");
    tws *c2 = rt_connect(&x.t, "u2");
    assert_non_null(c1);
    assert_non_null(c2);
    wsc_batch_config cfg;
    bt_config(&x, &cfg, WSC_BATCH_ACK);
    cfg.timeout_ms = 400;
    cfg.ack.ack_timeout_ms = 5000; /* u2's message stays pending past the batch timeout */
    wsc_batch *b = NULL;
    assert_int_equal(wsc_batch_new(&b, x.t.hub, &cfg), WSC_OK);
    add(b, "u1", "a1");
    add(b, "u2", "a2");
    add(b, "away", "a3");
    assert_int_equal(wsc_batch_run(b), WSC_OK);
    json_t *j = rt_next_app(&x.t, c1, 2000);
    assert_string_equal(tjson_str(j, "message_id"), "a1");
    json_decref(j);
    rt_ack(c1, "a1");
    assert_true(twait_until(x.t.ts, x.t.loop, bt_done_ge1, &x, 3000));
    assert_int_equal(x.befores, 3);
    assert_int_equal(x.afters, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(x.after_per_item[i], 1);
    assert_int_equal(x.states[0], WSC_BATCH_ACKED);
    assert_int_equal(x.states[1], WSC_BATCH_TIMEOUT);
    assert_int_equal(x.errors[1], WSC_ERR_TIMEOUT);
    assert_int_equal(x.states[2], WSC_BATCH_STORED);
    assert_int_equal(x.done_status, WSC_ERR_TIMEOUT);
    /* a2 is still tracked; its ACK now is swallowed by the finished batch */
    j = rt_next_app(&x.t, c2, 2000);
    assert_string_equal(tjson_str(j, "message_id"), "a2");
    json_decref(j);
    rt_ack(c2, "a2");
    struct rt_until acked = {&x.t, NULL, NULL, 2};
    assert_true(twait_until(x.t.ts, x.t.loop, rt_until_acked, &acked, 3000));
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(x.t.hub, &st);
    assert_int_equal(st.acked, 2);
    assert_int_equal(x.afters, 3);
    assert_int_equal(x.dones, 1);
    wsc_batch_free(b);
    rt_stop(&x.t);
}

/* Freed from its own after callback while ACKs are pending: the rest ends CANCELED once,
 * done once; the tracker's later completions (hub freed) are swallowed. */
static void
test_batch__free_while_running(void **state)
{
    (void)state;
    struct bt x = {0};
    assert_int_equal(rt_start(&x.t, 3), WSC_OK);
    wsc_batch_config cfg;
    bt_config(&x, &cfg, WSC_BATCH_ACK);
    cfg.ack.ack_timeout_ms = 5000;
    wsc_batch *b = NULL;
    assert_int_equal(wsc_batch_new(&b, x.t.hub, &cfg), WSC_OK);
    tws *c = rt_connect(&x.t, "u1");
    assert_non_null(c);
    add(b, "away", "c1"); /* stored soon: its after frees the batch */
    add(b, "u1", "c2");
    add(b, "u1", "c3");
    x.free_in_after = true;
    assert_int_equal(wsc_batch_run(b), WSC_OK);
    assert_true(twait_until(x.t.ts, x.t.loop, bt_done_ge1, &x, 3000));
    assert_int_equal(x.afters, 3);
    assert_int_equal(x.states[0], WSC_BATCH_STORED);
    assert_int_equal(x.states[1], WSC_BATCH_FAILED);
    assert_int_equal(x.errors[2], WSC_ERR_CANCELED);
    assert_int_equal(x.done_status, WSC_ERR_CANCELED);
    twait_for(x.t.ts, x.t.loop, 50);
    rt_stop(&x.t); /* c2 and c3 cancelled by the hub: the freed batch's memory goes now */
    assert_int_equal(x.dones, 1);
}

/* --- ACK sends from another thread */

struct th {
    wsc_hub *hub;
    atomic_int sent;
    wsc_err err_user, err_group;
    bool caller_msg_untouched; /* the caller's message is left alone */
    pthread_t loop_thread;
    int done_on_loop, done_elsewhere;
    struct rt *t;
};

static void
th_done(wsc_err status, const wsc_delivery *d, void *user)
{
    struct th *h = user;
    if (pthread_equal(pthread_self(), h->loop_thread))
        h->done_on_loop++;
    else
        h->done_elsewhere++;
    rt_done(status, d, h->t);
}

static void *
th_main(void *arg)
{
    struct th *h = arg;
    wsc_msg *m = rt_msg("t1", "from a thread");
    h->err_user = wsc_hub_send_to_user_ack(h->hub, "u1", m, NULL, th_done, h);
    wsc_msg_unref(m);
    m = rt_msg(NULL, "group from a thread"); /* the id is set on the loop's copy */
    h->err_group = wsc_hub_send_to_group_ack(h->hub, "g", m, NULL, NULL, th_done, h, NULL);
    h->caller_msg_untouched = wsc_msg_get(m, WSC_F_MESSAGE_ID) == NULL;
    wsc_msg_unref(m);
    atomic_store(&h->sent, 1);
    return NULL;
}

static bool
th_sent(void *arg)
{
    return atomic_load(&((struct th *)arg)->sent) != 0;
}

static void
test_batch__ack_send_from_another_thread(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *c1 = rt_connect(&t, "u1");
    tws *c2 = rt_connect(&t, "u2");
    assert_non_null(c1);
    assert_non_null(c2);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "u1"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "u2"), WSC_OK);
    struct th h = {.hub = t.hub, .loop_thread = pthread_self(), .t = &t};
    pthread_t tid;
    assert_int_equal(pthread_create(&tid, NULL, th_main, &h), 0);
    assert_true(twait_until(t.ts, t.loop, th_sent, &h, 3000));
    pthread_join(tid, NULL);
    assert_int_equal(h.err_user, WSC_OK);
    assert_int_equal(h.err_group, WSC_OK);
    assert_true(h.caller_msg_untouched);
    /* u1 gets t1 and the group message, u2 the group message; everyone ACKs */
    tws *peers[] = {c1, c1, c2};
    for (int i = 0; i < 3; i++) {
        json_t *j = rt_next_app(&t, peers[i], 2000);
        assert_non_null(j);
        rt_ack(peers[i], tjson_str(j, "message_id"));
        json_decref(j);
    }
    assert_true(rt_wait_done(&t, 3, 3000));
    assert_int_equal(t.outcomes[WSC_DELIVERY_ACKED], 3);
    assert_int_equal(h.done_on_loop, 3);
    assert_int_equal(h.done_elsewhere, 0);
    rt_stop(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch__fire_and_forget),
        cmocka_unit_test(test_batch__ack_mode_timeout),
        cmocka_unit_test(test_batch__free_while_running),
        cmocka_unit_test(test_batch__ack_send_from_another_thread),
    };
    return cmocka_run_group_tests_name("integration.reliability_batch", tests, NULL, NULL);
}
