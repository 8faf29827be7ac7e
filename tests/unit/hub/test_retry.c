/* SPDX-License-Identifier: MIT */
/* Backoff of ACK resends: growth, cap, jitter bounds, the documented defaults, validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hub/rel_internal.h"

static void
test_retry__defaults_resend_within_10s(void **state)
{
    (void)state;
    wsc_ack_opts o;
    wsc_ack_opts_init(&o);
    assert_true(wsc__retry_opts_valid(&o));
    assert_int_equal(o.max_retries, 3);
    /* the first resend comes at the latest ack_timeout + base * (1 + jitter) after the send */
    assert_true(wsc__retry_latest_ms(&o, 1) <= 10000);
    assert_true(wsc__retry_latest_ms(&o, 1) >= 5000 + 1199);
    assert_true(o.store_offline);
}

static void
test_retry__grows_and_caps_without_jitter(void **state)
{
    (void)state;
    wsc_ack_opts o;
    wsc_ack_opts_init(&o);
    o.jitter = 0;
    assert_int_equal(wsc__retry_delay_ms(&o, 1, 0.5), 1000);
    assert_int_equal(wsc__retry_delay_ms(&o, 2, 0.5), 2000);
    assert_int_equal(wsc__retry_delay_ms(&o, 3, 0.5), 4000);
    assert_int_equal(wsc__retry_delay_ms(&o, 4, 0.5), 8000);
    assert_int_equal(wsc__retry_delay_ms(&o, 5, 0.5), 10000);
    assert_int_equal(wsc__retry_delay_ms(&o, 4000000000u, 0.5), 10000);
    o.backoff_factor = 1.0;
    assert_int_equal(wsc__retry_delay_ms(&o, 9, 0.1), 1000);
}

static void
test_retry__jitter_stays_in_bounds(void **state)
{
    (void)state;
    wsc_ack_opts o;
    wsc_ack_opts_init(&o);
    assert_int_equal(wsc__retry_delay_ms(&o, 1, 0.0), 800);
    assert_int_equal(wsc__retry_delay_ms(&o, 1, 0.999999999), 1199);
    assert_int_equal(wsc__retry_delay_ms(&o, 5, 0.999999), 10000); /* capped after jitter */
    /* A random number out of [0, 1) is clamped into it. */
    assert_int_equal(wsc__retry_delay_ms(&o, 1, -0.5), 800);
    assert_int_equal(wsc__retry_delay_ms(&o, 1, 1.0), 1199);
    assert_int_equal(wsc__retry_delay_ms(&o, 1, 7.0), 1199);
    wsc_ack_opts_init(NULL); /* harmless */
    uint64_t seed = 42, lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 10000; i++) {
        uint64_t d = wsc__retry_delay_ms(&o, 2, wsc__retry_rand01(&seed));
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    assert_true(lo >= 1600 && lo < 1650);
    assert_true(hi <= 2400 && hi > 2350);
}

static void
test_retry__rand_is_deterministic_and_in_range(void **state)
{
    (void)state;
    uint64_t a = 7, b = 7;
    for (int i = 0; i < 1000; i++) {
        double x = wsc__retry_rand01(&a);
        assert_true(x >= 0.0 && x < 1.0);
        assert_true(x == wsc__retry_rand01(&b));
    }
}

static void
test_retry__validation(void **state)
{
    (void)state;
    wsc_ack_opts o;
    wsc_ack_opts_init(&o);
    o.ack_timeout_ms = 0;
    assert_false(wsc__retry_opts_valid(&o));
    wsc_ack_opts_init(&o);
    o.backoff_factor = 0.5;
    assert_false(wsc__retry_opts_valid(&o));
    wsc_ack_opts_init(&o);
    o.jitter = 1.5;
    assert_false(wsc__retry_opts_valid(&o));
    wsc_ack_opts_init(&o);
    o.base_delay_ms = o.max_delay_ms + 1;
    assert_false(wsc__retry_opts_valid(&o));
    assert_false(wsc__retry_opts_valid(NULL));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_retry__defaults_resend_within_10s),
        cmocka_unit_test(test_retry__grows_and_caps_without_jitter),
        cmocka_unit_test(test_retry__jitter_stays_in_bounds),
        cmocka_unit_test(test_retry__rand_is_deterministic_and_in_range),
        cmocka_unit_test(test_retry__validation),
    };
    return cmocka_run_group_tests_name("unit.hub.retry", tests, NULL, NULL);
}
