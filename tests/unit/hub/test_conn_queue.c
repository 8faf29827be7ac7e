/* SPDX-License-Identifier: MIT */
/* A connection's bounded two-lane send queue: order, lanes, count and byte bounds, trimming. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "hub/conn_queue.h"
#include "models/msg_internal.h"

static wsc_msg *
mk(const char *content, wsc_priority prio)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    assert_int_equal(wsc_msg_set_priority(m, prio), WSC_OK);
    assert_int_equal(wsc__msg_encode(m), WSC_OK);
    return m;
}

/* What the queue charges for m. */
static size_t
wl(const wsc_msg *m)
{
    return wsc__msg_held(m);
}

static wsc_err
push(struct wsc__conn_queue *q, wsc_msg *m, size_t max_count, size_t max_bytes)
{
    return wsc__conn_queue_push(q, m, max_count, max_bytes);
}

static void
drain(struct wsc__conn_queue *q)
{
    wsc_msg *m;
    while ((m = wsc__conn_queue_pop(q)) != NULL)
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
        assert_int_equal(push(&q, mk(buf, WSC_PRIO_NORMAL), 1000, 100000), WSC_OK);
    }
    assert_int_equal(wsc__conn_queue_len(&q), 100);
    for (int i = 0; i < 100; i++) {
        snprintf(buf, sizeof(buf), "%d", i);
        assert_string_equal(wsc_msg_get(wsc__conn_queue_peek(&q, 0), WSC_F_CONTENT), buf);
        wsc_msg_unref(wsc__conn_queue_pop(&q));
    }
    assert_null(wsc__conn_queue_pop(&q));
    wsc__conn_queue_free(&q);
}

/* Pushes and pops interleaved: the ring grows while its contents wrap around the end of the
 * array, and every index still reads in order. */
static void
test_conn_queue__growth_after_wrapping_keeps_order(void **state)
{
    (void)state;
    struct wsc__conn_queue q = {0};
    char buf[16];
    int in = 0, out = 0;
    for (int step = 0; step < 300; step++) {
        /* 1-4 in and 0-3 out per step: the ring fills up while its head is away from 0. */
        int n_in = 1 + step * 7 % 4, n_out = step * 5 % 4;
        for (int k = 0; k < n_in; k++, in++) {
            snprintf(buf, sizeof(buf), "%d", in);
            assert_int_equal(push(&q, mk(buf, WSC_PRIO_NORMAL), 100000, SIZE_MAX), WSC_OK);
        }
        for (int k = 0; k < n_out && out < in; k++, out++) {
            snprintf(buf, sizeof(buf), "%d", out);
            assert_string_equal(wsc_msg_get(wsc__conn_queue_peek(&q, 0), WSC_F_CONTENT), buf);
            wsc_msg_unref(wsc__conn_queue_pop(&q));
        }
        size_t n = wsc__conn_queue_len(&q);
        assert_int_equal(n, (size_t)(in - out));
        for (size_t i = 0; i < n; i++) {
            snprintf(buf, sizeof(buf), "%d", out + (int)i);
            assert_string_equal(wsc_msg_get(wsc__conn_queue_peek(&q, i), WSC_F_CONTENT), buf);
        }
    }
    for (; out < in; out++) {
        snprintf(buf, sizeof(buf), "%d", out);
        assert_string_equal(wsc_msg_get(wsc__conn_queue_peek(&q, 0), WSC_F_CONTENT), buf);
        wsc_msg_unref(wsc__conn_queue_pop(&q));
    }
    assert_null(wsc__conn_queue_pop(&q));
    wsc__conn_queue_free(&q);
}

static void
test_conn_queue__urgent_lane_first(void **state)
{
    (void)state;
    struct wsc__conn_queue q = {0};
    assert_int_equal(push(&q, mk("n1", WSC_PRIO_NORMAL), 10, 100000), WSC_OK);
    assert_int_equal(push(&q, mk("n2", WSC_PRIO_HIGH), 10, 100000), WSC_OK);
    assert_int_equal(push(&q, mk("u1", WSC_PRIO_URGENT), 10, 100000), WSC_OK);
    assert_int_equal(push(&q, mk("c1", WSC_PRIO_CRITICAL), 10, 100000), WSC_OK);
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
        assert_int_equal(push(&q, mk("a", WSC_PRIO_NORMAL), 3, 100000), WSC_OK);
    assert_int_equal(push(&q, extra, 3, 100000), WSC_ERR_QUEUE_FULL);
    /* Control traffic may pass the count bound by one frame. */
    wsc_msg *ctl = mk("ctl", WSC_PRIO_URGENT);
    assert_int_equal(push(&q, ctl, 3, 100000), WSC_OK);
    drain(&q);

    /* Bytes: the first frame always fits, then the bound holds. */
    assert_int_equal(push(&q, mk("big", WSC_PRIO_NORMAL), 10, 5), WSC_OK);
    assert_int_equal(push(&q, extra, 10, 5), WSC_ERR_QUEUE_FULL);
    drain(&q);

    /* Control traffic may pass the byte bound by one frame, and no more: a peer that never
     * reads cannot pile up control frames (errors, receipts) past the bound. */
    wsc_msg *n1 = mk("n1", WSC_PRIO_NORMAL), *u1 = mk("u1", WSC_PRIO_URGENT);
    wsc_msg *u2 = mk("u2", WSC_PRIO_URGENT);
    size_t bound = wl(n1) + wl(u1) - 1;
    assert_int_equal(push(&q, n1, 10, bound), WSC_OK);
    assert_int_equal(push(&q, u1, 10, bound), WSC_OK); /* over the bound by one frame */
    assert_int_equal(push(&q, u2, 10, bound), WSC_ERR_QUEUE_FULL);
    wsc_msg_unref(u2);
    drain(&q);

    /* The lone message's charge counts once lanes hold it (read back from the message). */
    wsc_msg *a = mk("a", WSC_PRIO_NORMAL), *b = mk("b", WSC_PRIO_NORMAL);
    size_t cap = wl(a) + wl(b);
    assert_int_equal(push(&q, a, 10, cap), WSC_OK);
    assert_int_equal(push(&q, b, 10, cap), WSC_OK);
    assert_int_equal(push(&q, extra, 10, cap), WSC_ERR_QUEUE_FULL);
    assert_int_equal(wsc__conn_queue_lanes(&q)->bytes, cap);
    drain(&q);
    wsc_msg_unref(extra);
}

/* A routed message keeps its decoded fields beside its frame: the queue charges both, so that
 * queue_max_bytes bounds the memory waiting frames hold (not only their wire bytes). */
static void
test_conn_queue__charges_what_a_message_holds(void **state)
{
    (void)state;
    char json[2100], content[2001];
    memset(content, 'x', 2000);
    content[2000] = '\0';
    int n = snprintf(json, sizeof(json), "{\"message_type\":\"text\",\"content\":\"%s\"}", content);
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_parse(&m, json, (size_t)n, NULL, NULL), WSC_OK);
    assert_int_equal(wsc__msg_encode(m), WSC_OK);
    size_t wire = 0;
    wsc__msg_wire(m, &wire);
    assert_true(wire >= 2000);
    assert_true(wl(m) >= wire + 2000); /* the frame and the decoded content */
    struct wsc__conn_queue q = {0};
    wsc_msg *other = mk("o", WSC_PRIO_NORMAL);
    assert_int_equal(push(&q, other, 10, wl(other) + wire + 1), WSC_OK);
    wsc_msg_ref(m);
    assert_int_equal(push(&q, m, 10, wl(other) + wire + 1), WSC_ERR_QUEUE_FULL);
    wsc_msg_unref(m);
    assert_int_equal(push(&q, m, 10, wl(other) + wl(m)), WSC_OK);
    assert_int_equal(wsc__conn_queue_lanes(&q)->bytes, wl(other) + wl(m));
    drain(&q);
}

static void
test_conn_queue__trim_frees_idle_rings(void **state)
{
    (void)state;
    struct wsc__conn_queue q = {0};
    /* One message: held in the head, nothing allocated. */
    wsc_msg *a = mk("a", WSC_PRIO_NORMAL);
    assert_int_equal(push(&q, a, 10, 100000), WSC_OK);
    assert_null(wsc__conn_queue_lanes(&q));
    assert_int_equal(wsc__conn_queue_len(&q), 1);
    assert_ptr_equal(wsc__conn_queue_peek(&q, 0), a);
    assert_null(wsc__conn_queue_peek(&q, 1));
    wsc__conn_queue_trim(&q); /* keeps it */
    assert_ptr_equal(wsc_msg_get(wsc__conn_queue_peek(&q, 0), WSC_F_CONTENT),
                     wsc_msg_get(a, WSC_F_CONTENT));
    /* A second one: lanes, in order, urgent first. */
    wsc_msg *u = mk("u", WSC_PRIO_URGENT);
    assert_int_equal(push(&q, u, 10, 100000), WSC_OK);
    assert_non_null(wsc__conn_queue_lanes(&q));
    assert_ptr_equal(wsc__conn_queue_peek(&q, 0), u);
    assert_ptr_equal(wsc__conn_queue_peek(&q, 1), a);
    wsc_msg_unref(wsc__conn_queue_pop(&q));
    wsc_msg_unref(wsc__conn_queue_pop(&q));
    assert_int_equal(wsc__conn_queue_lanes(&q)->bytes, 0);
    wsc__conn_queue_trim(&q);
    assert_int_equal(q.v, 0); /* an idle queue holds no memory */
    assert_int_equal(wsc__conn_queue_len(&q), 0);
    assert_null(wsc__conn_queue_peek(&q, 0));
    assert_null(wsc__conn_queue_pop(&q));
    /* A lone message popped leaves the queue empty at once. */
    a = mk("a", WSC_PRIO_NORMAL);
    assert_int_equal(push(&q, a, 10, 100000), WSC_OK);
    assert_ptr_equal(wsc__conn_queue_pop(&q), a);
    wsc_msg_unref(a);
    assert_int_equal(q.v, 0);
    wsc__conn_queue_free(&q);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conn_queue__fifo_order_and_growth),
        cmocka_unit_test(test_conn_queue__growth_after_wrapping_keeps_order),
        cmocka_unit_test(test_conn_queue__urgent_lane_first),
        cmocka_unit_test(test_conn_queue__count_and_byte_bounds),
        cmocka_unit_test(test_conn_queue__charges_what_a_message_holds),
        cmocka_unit_test(test_conn_queue__trim_frees_idle_rings),
    };
    return cmocka_run_group_tests_name("unit.hub.conn_queue", tests, NULL, NULL);
}
