/* SPDX-License-Identifier: MIT */
/* wsc_ack_opts.durable over real sockets (the hub's default store, in memory): the answer
 * "delivered" is given only once the store holds the message's copy (the count is taken inside
 * the answer's callback, where a lie would show), the receiver's ACK removes the copy, a message
 * never ACKed is stored once (the copy is the stored message), replayed and removed on ACK;
 * without durable the answer comes before any write.  The kill -9 half of the promise is
 * integration.store_kill's delivered_answers_survive_kill9_durable. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_reliability_util.h"

struct answer {
    struct rt *t;
    int calls;
    wsc_accepted res;
    struct rt_async at_answer; /* the offline count asked for inside the callback */
};

/* The memory store reads the count when it is asked: what the store held at the answer. */
static void
on_accepted(const wsc_accepted *a, void *user)
{
    struct answer *x = user;
    x->calls++;
    x->res = *a;
    x->res.message_id = NULL;
    assert_int_equal(wsc_hub_offline_count(x->t->hub, "u1", rt_count_cb, &x->at_answer), WSC_OK);
}

static bool
answered(void *arg)
{
    struct answer *x = arg;
    return x->calls > 0 && x->at_answer.done;
}

static void
publish(struct rt *t, const char *mid, struct answer *x)
{
    const char *users[] = {"u1"};
    wsc_msg *m = rt_msg(mid, "x");
    x->t = t;
    assert_int_equal(wsc_hub_publish_ack(t->hub, users, 1, NULL, NULL, m, NULL, on_accepted, x),
                     WSC_OK);
    wsc_msg_unref(m);
    assert_true(twait_until(t->ts, t->loop, answered, x, 3000));
    assert_int_equal(x->at_answer.status, WSC_OK);
}

static void
expect_msg(struct rt *t, tws *c, const char *mid, const char *source)
{
    json_t *j = rt_next_app(t, c, 3000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "message_id"), mid);
    if (source != NULL)
        assert_string_equal(tjson_str(j, "source"), source);
    else
        assert_false(tjson_has(j, "source"));
    json_decref(j);
}

struct count_wait {
    struct rt *t;
    uint64_t want;
};

static bool
count_is(void *arg)
{
    struct count_wait *w = arg;
    return rt_offline_count(w->t, "u1") == w->want;
}

static bool
stored_one(void *arg)
{
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(((struct rt *)arg)->hub, &st);
    return st.stored == 1;
}

static wsc_err
start(struct rt *t, unsigned retries, bool durable)
{
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    rt_fast_ack(&cfg.ack, retries);
    cfg.ack.ack_timeout_ms = 300;
    cfg.ack.durable = durable;
    return rt_start_cfg(t, &cfg);
}

static void
test_durable__delivered_only_once_copied_and_ack_removes_it(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(start(&t, 3, true), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    assert_non_null(c);
    struct answer x = {0};
    publish(&t, "d1", &x);
    assert_int_equal(x.res.delivered, 1);
    assert_int_equal(x.res.stored, 0);
    assert_int_equal(x.at_answer.count, 1); /* the copy was in the store at the answer */
    expect_msg(&t, c, "d1", NULL);          /* the live copy, as without durable */
    rt_ack(c, "d1");
    struct count_wait w = {&t, 0};
    assert_true(twait_until(t.ts, t.loop, count_is, &w, 3000));
    assert_int_equal(rt_record_state(&t, "d1", "u1"), WSC_REC_ACKED);
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_int_equal(st.acked, 1);
    assert_int_equal(st.stored, 0);
    assert_int_equal(st.pending, 0);
    rt_stop(&t);
}

static void
test_durable__never_acked_is_stored_once_then_replayed(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(start(&t, 1, true), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    assert_non_null(c);
    struct answer x = {0};
    publish(&t, "d2", &x);
    assert_int_equal(x.res.delivered, 1);
    assert_int_equal(x.at_answer.count, 1);
    /* No ACK: first send and one retry, then the store, which already holds the copy. */
    for (int i = 0; i < 2; i++)
        expect_msg(&t, c, "d2", NULL);
    assert_true(twait_until(t.ts, t.loop, stored_one, &t, 5000));
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_int_equal(st.stored, 1);
    assert_int_equal(st.pending, 0);
    assert_int_equal(rt_offline_count(&t, "u1"), 1); /* one copy, not two */
    assert_int_equal(rt_record_state(&t, "d2", "u1"), WSC_REC_STORED);
    rt_drop(&t, c);
    c = rt_connect(&t, "u1");
    assert_non_null(c);
    expect_msg(&t, c, "d2", "offline");
    rt_ack(c, "d2");
    assert_true(rt_wait_acked_offline(&t, "d2", "u1", 3000));
    assert_int_equal(rt_offline_count(&t, "u1"), 0);
    rt_stop(&t);
}

/* The control: without durable the answer is given with nothing in the store. */
static void
test_durable__off_answers_before_any_write(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(start(&t, 3, false), WSC_OK);
    tws *c = rt_connect(&t, "u1");
    assert_non_null(c);
    struct answer x = {0};
    publish(&t, "d3", &x);
    assert_int_equal(x.res.delivered, 1);
    assert_int_equal(x.at_answer.count, 0);
    expect_msg(&t, c, "d3", NULL);
    rt_ack(c, "d3");
    rt_stop(&t);
}

int
main(void)
{
    (void)rt_done; /* the fixture's completion counter: these tests read the answer instead */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durable__delivered_only_once_copied_and_ack_removes_it),
        cmocka_unit_test(test_durable__never_acked_is_stored_once_then_replayed),
        cmocka_unit_test(test_durable__off_answers_before_any_write),
    };
    return cmocka_run_group_tests_name("integration.reliability_durable", tests, NULL, NULL);
}
