/* SPDX-License-Identifier: MIT */
/* The timer wheel, driven by hand: never early, order, cancel, re-arm from a callback, timers
 * longer than one turn, and a stall that skips many ticks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"

struct probe {
    struct wsc__wheel_entry e;
    struct wsc__wheel *w;
    int fired;
    int order;
    int *counter;
    uint64_t rearm_ms; /* re-arm itself once with this delay */
    uint64_t now;
};

static void
probe_cb(struct wsc__wheel_entry *e)
{
    struct probe *p = wsc_container_of(e, struct probe, e);
    p->fired++;
    p->order = ++*p->counter;
    if (p->rearm_ms > 0) {
        uint64_t d = p->rearm_ms;
        p->rearm_ms = 0;
        wsc__wheel_add(p->w, &p->e, p->now, d);
    }
}

static void
probe_init(struct probe *p, struct wsc__wheel *w, int *counter)
{
    *p = (struct probe){.w = w, .counter = counter};
    p->e.cb = probe_cb;
}

static void
test_ack_wheel__never_early_and_in_order(void **state)
{
    (void)state;
    struct wsc__wheel w;
    int counter = 0;
    assert_int_equal(wsc__wheel_init(&w, 8, 10, 1000), WSC_OK);
    struct probe a, b, c;
    probe_init(&a, &w, &counter);
    probe_init(&b, &w, &counter);
    probe_init(&c, &w, &counter);
    wsc__wheel_add(&w, &a.e, 1000, 50);
    wsc__wheel_add(&w, &b.e, 1000, 15);
    wsc__wheel_add(&w, &c.e, 1003, 0);
    assert_int_equal(w.count, 3);
    assert_int_equal(wsc__wheel_advance(&w, 1009), 0);
    assert_int_equal(wsc__wheel_advance(&w, 1010), 1); /* c: due at once, next tick */
    assert_int_equal(wsc__wheel_advance(&w, 1019), 0); /* b is due at 1015: tick 2 (1020) */
    assert_int_equal(wsc__wheel_advance(&w, 1020), 1);
    assert_int_equal(wsc__wheel_advance(&w, 1049), 0);
    assert_int_equal(wsc__wheel_advance(&w, 1050), 1);
    assert_int_equal(c.order, 1);
    assert_int_equal(b.order, 2);
    assert_int_equal(a.order, 3);
    assert_int_equal(w.count, 0);
    wsc__wheel_free(&w);
}

static void
test_ack_wheel__cancel_and_rearm(void **state)
{
    (void)state;
    struct wsc__wheel w;
    int counter = 0;
    assert_int_equal(wsc__wheel_init(&w, 4, 10, 0), WSC_OK);
    struct probe a, b;
    probe_init(&a, &w, &counter);
    probe_init(&b, &w, &counter);
    wsc__wheel_add(&w, &a.e, 0, 30);
    wsc__wheel_add(&w, &b.e, 0, 30);
    wsc__wheel_cancel(&w, &a.e);
    wsc__wheel_cancel(&w, &a.e);     /* twice is fine */
    wsc__wheel_add(&w, &b.e, 0, 60); /* moves */
    assert_int_equal(wsc__wheel_advance(&w, 50), 0);
    b.rearm_ms = 25;
    b.now = 60;
    assert_int_equal(wsc__wheel_advance(&w, 60), 1);
    assert_true(b.e.armed);
    assert_int_equal(wsc__wheel_advance(&w, 89), 0);
    assert_int_equal(wsc__wheel_advance(&w, 90), 1);
    assert_int_equal(a.fired, 0);
    assert_int_equal(b.fired, 2);
    wsc__wheel_free(&w);
}

static void
test_ack_wheel__longer_than_one_turn(void **state)
{
    (void)state;
    struct wsc__wheel w;
    int counter = 0;
    assert_int_equal(wsc__wheel_init(&w, 4, 10, 0), WSC_OK); /* one turn = 40 ms */
    struct probe a, b;
    probe_init(&a, &w, &counter);
    probe_init(&b, &w, &counter);
    wsc__wheel_add(&w, &a.e, 0, 1000);
    wsc__wheel_add(&w, &b.e, 0, 10);
    for (uint64_t t = 0; t < 1000; t += 10)
        wsc__wheel_advance(&w, t);
    assert_int_equal(a.fired, 0);
    assert_int_equal(b.fired, 1);
    wsc__wheel_advance(&w, 1000);
    assert_int_equal(a.fired, 1);
    wsc__wheel_free(&w);
}

static void
test_ack_wheel__stall_fires_everything_due(void **state)
{
    (void)state;
    struct wsc__wheel w;
    int counter = 0;
    assert_int_equal(wsc__wheel_init(&w, 16, 5, 0), WSC_OK);
    struct probe p[100];
    for (int i = 0; i < 100; i++) {
        probe_init(&p[i], &w, &counter);
        wsc__wheel_add(&w, &p[i].e, 0, (uint64_t)(i * 37 % 500));
    }
    struct probe late;
    probe_init(&late, &w, &counter);
    wsc__wheel_add(&w, &late.e, 0, 100000);
    assert_int_equal(wsc__wheel_advance(&w, 10000), 100);
    for (int i = 0; i < 100; i++)
        assert_int_equal(p[i].fired, 1);
    assert_int_equal(late.fired, 0);
    assert_int_equal(w.count, 1);
    wsc__wheel_cancel(&w, &late.e);
    assert_int_equal(w.count, 0);
    wsc__wheel_free(&w);
}

/* A tick of 0 ms acts as 1 ms; an idle wheel that was not driven for a long time skips the
 * empty turns at once and still never fires a later entry early. */
static void
test_ack_wheel__zero_tick_and_idle_stall(void **state)
{
    (void)state;
    struct wsc__wheel w;
    int counter = 0;
    assert_int_equal(wsc__wheel_init(&w, 4, 0, 0), WSC_OK);
    assert_int_equal(w.tick_ms, 1);
    struct probe p;
    probe_init(&p, &w, &counter);
    wsc__wheel_add(&w, &p.e, 0, 3);
    assert_int_equal(wsc__wheel_advance(&w, 2), 0);
    assert_int_equal(wsc__wheel_advance(&w, 3), 1);
    assert_int_equal(w.count, 0);
    assert_int_equal(wsc__wheel_advance(&w, 1000000), 0); /* idle: skipped in one step */
    assert_int_equal(w.done_tick, 1000000);
    wsc__wheel_add(&w, &p.e, 1000000, 5);
    assert_int_equal(wsc__wheel_advance(&w, 1000004), 0);
    assert_int_equal(wsc__wheel_advance(&w, 1000005), 1);
    assert_int_equal(p.fired, 2);
    wsc__wheel_free(&w);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_wheel__never_early_and_in_order),
        cmocka_unit_test(test_ack_wheel__cancel_and_rearm),
        cmocka_unit_test(test_ack_wheel__longer_than_one_turn),
        cmocka_unit_test(test_ack_wheel__stall_fires_everything_due),
        cmocka_unit_test(test_ack_wheel__zero_tick_and_idle_stall),
    };
    return cmocka_run_group_tests_name("unit.hub.ack_wheel", tests, NULL, NULL);
}
