/* SPDX-License-Identifier: MIT */
/* A connection's bounded two-lane send queue: order, lanes, count and byte bounds, trimming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hub/conn_queue.h"
#include "models/msg_internal.h"

static wsc_msg *
mk(const char *content, wsc_priority prio)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    assert_int_equal(wsc_msg_set_priority(m, prio), WSC_OK);
    return m;
}

static void
drain(struct wsc__conn_queue *q)
{
    wsc_msg *m;
    while ((m = wsc__conn_queue_pop(q, 1)) != NULL)
        wsc_msg_unref(m);
    wsc__conn_queue_free(q);
}

static void
test_conn_queue__fifo_order_and_growth(void **state)
{
    (void)state;
    struct wsc__conn_queue q = {0};
    char buf[16];
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof(buf), "%d", i);
        assert_int_equal(wsc__conn_queue_push(&q, mk(buf, WSC_PRIO_NORMAL), 1, 1000, 1000), WSC_OK);
    }
    assert_int_equal(wsc__conn_queue_len(&q), 100);
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof(buf), "%d", i);
        assert_string_equal(wsc_msg_get(wsc__conn_queue_peek(&q, 0), WSC_F_CONTENT), buf);
        wsc_msg_unref(wsc__conn_queue_pop(&q, 1));
    }
    assert_null(wsc__conn_queue_pop(&q, 1));
    wsc__conn_queue_free(&q);
}

static void
test_conn_queue__urgent_lane_first(void **state)
{
    (void)state;
    struct wsc__conn_queue q = {0};
    assert_int_equal(wsc__conn_queue_push(&q, mk("n1", WSC_PRIO_NORMAL), 1, 10, 100), WSC_OK);
    assert_int_equal(wsc__conn_queue_push(&q, mk("n2", WSC_PRIO_HIGH), 1, 10, 100), WSC_OK);
    assert_int_equal(wsc__conn_queue_push(&q, mk("u1", WSC_PRIO_URGENT), 1, 10, 100), WSC_OK);
    assert_int_equal(wsc__conn_queue_push(&q, mk("c1", WSC_PRIO_CRITICAL), 1, 10, 100), WSC_OK);
    const char *want[] = {"u1", "c1", "n1", "n2"};
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(wsc_msg_get(wsc__conn_queue_peek(&q, i), WSC_F_CONTENT), want[i]);
    assert_null(wsc__conn_queue_peek(&q, 4));
    drain(&q);
}

static void
test_conn_queue__count_and_byte_bounds(void **state)
{
    (void)state;
    struct wsc__conn_queue q = {0};
    wsc_msg *extra = mk("x", WSC_PRIO_NORMAL);
    for (int i = 0; i < 3; i++)
        assert_int_equal(wsc__conn_queue_push(&q, mk("a", WSC_PRIO_NORMAL), 10, 3, 1000), WSC_OK);
    assert_int_equal(wsc__conn_queue_push(&q, extra, 10, 3, 1000), WSC_ERR_QUEUE_FULL);
    /* Control traffic may pass the count bound by one frame. */
    wsc_msg *ctl = mk("ctl", WSC_PRIO_URGENT);
    assert_int_equal(wsc__conn_queue_push(&q, ctl, 10, 3, 1000), WSC_OK);
    drain(&q);

    /* Bytes: the first frame always fits, then the bound holds. */
    assert_int_equal(wsc__conn_queue_push(&q, mk("big", WSC_PRIO_NORMAL), 500, 10, 100), WSC_OK);
    assert_int_equal(wsc__conn_queue_push(&q, extra, 1, 10, 100), WSC_ERR_QUEUE_FULL);
    drain(&q);
    wsc_msg_unref(extra);
}

static void
test_conn_queue__trim_frees_idle_rings(void **state)
{
    (void)state;
    struct wsc__conn_queue q = {0};
    assert_int_equal(wsc__conn_queue_push(&q, mk("a", WSC_PRIO_NORMAL), 5, 10, 100), WSC_OK);
    assert_non_null(q.l);
    assert_non_null(q.l->normal.slots);
    wsc_msg_unref(wsc__conn_queue_pop(&q, 5));
    assert_int_equal(q.l->bytes, 0);
    wsc__conn_queue_trim(&q);
    assert_null(q.l); /* an idle queue holds no memory */
    assert_int_equal(wsc__conn_queue_len(&q), 0);
    assert_null(wsc__conn_queue_peek(&q, 0));
    assert_null(wsc__conn_queue_pop(&q, 0));
    wsc__conn_queue_free(&q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conn_queue__fifo_order_and_growth),
        cmocka_unit_test(test_conn_queue__urgent_lane_first),
        cmocka_unit_test(test_conn_queue__count_and_byte_bounds),
        cmocka_unit_test(test_conn_queue__trim_frees_idle_rings),
    };
    return cmocka_run_group_tests_name("unit.hub.conn_queue", tests, NULL, NULL);
}
