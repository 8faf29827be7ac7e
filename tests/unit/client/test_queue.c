/* SPDX-License-Identifier: MIT */
/* The send queue: order, lanes, count and byte bounds, push-back, the bound of ACK frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client/client_queue.h"

static struct wsc__citem
item(uint64_t id, size_t len, bool urgent, bool bounded)
{
    struct wsc__citem it = {0};
    it.id = id;
    it.len = len;
    it.urgent = urgent;
    it.bounded = bounded;
    return it;
}

static void
test_queue__fifo_order(void **state)
{
    (void)state;
    struct wsc__cqueue q;
    wsc__cqueue_init(&q, 100, 10000);
    struct wsc__citem it[10];
    for (int i = 0; i < 10; i++) {
        it[i] = item((uint64_t)i + 1, 10, false, true);
        assert_int_equal(wsc__cqueue_push(&q, &it[i]), WSC_OK);
    }
    assert_int_equal(wsc__cqueue_size(&q), 10);
    for (int i = 0; i < 10; i++)
        assert_int_equal(wsc__cqueue_pop(&q)->id, (uint64_t)i + 1);
    assert_null(wsc__cqueue_pop(&q));
    assert_int_equal(q.count, 0);
    assert_int_equal(q.bytes, 0);
}

static void
test_queue__urgent_lane_first(void **state)
{
    (void)state;
    struct wsc__cqueue q;
    wsc__cqueue_init(&q, 100, 10000);
    struct wsc__citem a = item(1, 1, false, true), b = item(2, 1, true, false),
                      c = item(3, 1, false, true), d = item(4, 1, true, true);
    wsc__cqueue_push(&q, &a);
    wsc__cqueue_push(&q, &b);
    wsc__cqueue_push(&q, &c);
    wsc__cqueue_push(&q, &d);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 2);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 4);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 1);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 3);
}

static void
test_queue__count_bound(void **state)
{
    (void)state;
    struct wsc__cqueue q;
    wsc__cqueue_init(&q, 3, 10000);
    struct wsc__citem it[5];
    for (int i = 0; i < 3; i++) {
        it[i] = item((uint64_t)i + 1, 1, false, true);
        assert_int_equal(wsc__cqueue_push(&q, &it[i]), WSC_OK);
    }
    it[3] = item(4, 1, false, true);
    assert_int_equal(wsc__cqueue_push(&q, &it[3]), WSC_ERR_QUEUE_FULL);
    assert_int_equal(wsc__cqueue_size(&q), 3);
    /* the client's ACK frames do not count against the bounds of sends */
    it[4] = item(0, 1, true, false);
    assert_int_equal(wsc__cqueue_push(&q, &it[4]), WSC_OK);
    assert_int_equal(wsc__cqueue_size(&q), 4);
    assert_int_equal(q.count, 3);
}

static void
test_queue__acks_have_their_own_bound(void **state)
{
    (void)state;
    struct wsc__cqueue q;
    wsc__cqueue_init(&q, 3, 10000);
    struct wsc__citem acks[4], resend = item(9, 1, false, false), send = item(7, 1, false, true);
    resend.resend = true;
    for (int i = 0; i < 3; i++) {
        acks[i] = item(0, 1, true, false);
        assert_int_equal(wsc__cqueue_push(&q, &acks[i]), WSC_OK);
    }
    acks[3] = item(0, 1, true, false);
    assert_int_equal(wsc__cqueue_push(&q, &acks[3]), WSC_ERR_QUEUE_FULL);
    assert_int_equal(q.acks, 3);
    /* neither sends nor receipt resends are held back by waiting ACKs */
    assert_int_equal(wsc__cqueue_push(&q, &send), WSC_OK);
    assert_int_equal(wsc__cqueue_push(&q, &resend), WSC_OK);
    assert_int_equal(wsc__cqueue_size(&q), 5);
    /* one ACK written: room for the next */
    assert_ptr_equal(wsc__cqueue_pop(&q), &acks[0]);
    assert_int_equal(q.acks, 2);
    assert_int_equal(wsc__cqueue_push(&q, &acks[3]), WSC_OK);
    /* pushed back after a failed write, an ACK keeps its place whatever the count */
    struct wsc__citem *first = wsc__cqueue_pop(&q);
    wsc__cqueue_push_front(&q, first);
    assert_int_equal(q.acks, 3);
    assert_ptr_equal(wsc__cqueue_pop(&q), &acks[1]);
}

static void
test_queue__byte_bound(void **state)
{
    (void)state;
    struct wsc__cqueue q;
    wsc__cqueue_init(&q, 100, 100);
    struct wsc__citem a = item(1, 60, false, true), b = item(2, 41, false, true),
                      c = item(3, 40, false, true), big = item(4, 101, false, true);
    assert_int_equal(wsc__cqueue_push(&q, &big), WSC_ERR_QUEUE_FULL);
    assert_int_equal(wsc__cqueue_push(&q, &a), WSC_OK);
    assert_int_equal(wsc__cqueue_push(&q, &b), WSC_ERR_QUEUE_FULL);
    assert_int_equal(wsc__cqueue_push(&q, &c), WSC_OK);
    assert_int_equal(q.bytes, 100);
    wsc__cqueue_pop(&q);
    assert_int_equal(q.bytes, 40);
    assert_int_equal(wsc__cqueue_push(&q, &b), WSC_OK);
}

static void
test_queue__push_front_keeps_place(void **state)
{
    (void)state;
    struct wsc__cqueue q;
    wsc__cqueue_init(&q, 2, 100);
    struct wsc__citem a = item(1, 1, false, true), b = item(2, 1, false, true);
    wsc__cqueue_push(&q, &a);
    wsc__cqueue_push(&q, &b);
    struct wsc__citem *first = wsc__cqueue_pop(&q);
    wsc__cqueue_push_front(&q, first);
    assert_int_equal(q.count, 2);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 1);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 2);
    /* push-front into an empty lane sets its tail too */
    wsc__cqueue_push_front(&q, &a);
    wsc__cqueue_push(&q, &b);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 1);
    assert_int_equal(wsc__cqueue_pop(&q)->id, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue__fifo_order),
        cmocka_unit_test(test_queue__urgent_lane_first),
        cmocka_unit_test(test_queue__count_bound),
        cmocka_unit_test(test_queue__acks_have_their_own_bound),
        cmocka_unit_test(test_queue__byte_bound),
        cmocka_unit_test(test_queue__push_front_keeps_place),
    };
    return cmocka_run_group_tests_name("unit.client.queue", tests, NULL, NULL);
}
