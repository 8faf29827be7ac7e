/* SPDX-License-Identifier: MIT */
/* Reconnect policy: backoff bounds, growth, cap, jitter spread, and the close-code table. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "client/client_backoff.h"

static void
test_backoff__floor_and_ceiling(void **state)
{
    (void)state;
    /* attempt n: uniform in [min, min(max, min * factor^n)] */
    assert_int_equal(wsc__backoff_delay_ms(1, 500, 30000, 2.0, 0.0), 500);
    assert_in_range(wsc__backoff_delay_ms(1, 500, 30000, 2.0, 0.999999), 999, 1000);
    assert_int_equal(wsc__backoff_delay_ms(3, 500, 30000, 2.0, 0.5), 500 + 1750);
    assert_int_equal(wsc__backoff_delay_ms(4, 100, 1000, 3.0, 0.0), 100);
    assert_in_range(wsc__backoff_delay_ms(4, 100, 1000, 3.0, 0.999999), 999, 1000);
}

static void
test_backoff__caps_at_max_without_overflow(void **state)
{
    (void)state;
    for (unsigned a = 1; a < 5000; a += 97) {
        uint64_t d = wsc__backoff_delay_ms(a, 500, 30000, 2.0, 0.999);
        assert_in_range(d, 500, 30000);
    }
    assert_int_equal(wsc__backoff_delay_ms(1000000, 500, 30000, 10.0, 0.999999), 29999);
}

static void
test_backoff__odd_parameters(void **state)
{
    (void)state;
    /* factor below 1 counts as 1; max below min counts as min */
    assert_int_equal(wsc__backoff_delay_ms(5, 200, 10000, 0.5, 0.9), 200);
    assert_int_equal(wsc__backoff_delay_ms(5, 200, 100, 2.0, 0.9), 200);
    assert_int_equal(wsc__backoff_delay_ms(2, 200, 10000, 2.0, -1.0), 200);
    /* rnd01 of 1 or more counts as just below 1: at most the ceiling, never past max */
    assert_int_equal(wsc__backoff_delay_ms(1, 100, 10000, 2.0, 1.0), 199);
    assert_int_equal(wsc__backoff_delay_ms(30, 100, 5000, 2.0, 7.5), 4999);
}

static void
test_backoff__zero_seed(void **state)
{
    (void)state;
    /* A zero state would stay zero in xorshift: it is replaced by a fixed seed, and the
     * sequence moves on from there. */
    uint64_t rng = 0;
    double a = wsc__backoff_rand01(&rng);
    assert_int_not_equal(rng, 0);
    assert_true(a >= 0.0 && a < 1.0);
    double b = wsc__backoff_rand01(&rng);
    assert_true(b >= 0.0 && b < 1.0);
    assert_true(a != b);
}

static void
test_backoff__jitter_spreads(void **state)
{
    (void)state;
    uint64_t rng = 42, lo = UINT64_MAX, hi = 0;
    for (int i = 0; i < 1000; i++) {
        double r = wsc__backoff_rand01(&rng);
        assert_true(r >= 0.0 && r < 1.0);
        uint64_t d = wsc__backoff_delay_ms(5, 100, 100000, 2.0, r);
        lo = d < lo ? d : lo;
        hi = d > hi ? d : hi;
    }
    /* attempt 5: [100, 3200]; 1000 draws cover most of it */
    assert_true(lo < 300);
    assert_true(hi > 2900);
}

static void
test_backoff__close_code_table(void **state)
{
    (void)state;
    const int reconnect[] = {1001, 1002, 1006, 1009, 1011, 1012, 1013, 4003, 4999};
    for (size_t i = 0; i < sizeof(reconnect) / sizeof(reconnect[0]); i++)
        assert_int_equal(wsc__close_code_action(reconnect[i]), WSC__RECONNECT);
    const int stop[] = {1000, 1003, 1007, 1008, 1010, 4001, 4002};
    for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
        assert_int_equal(wsc__close_code_action(stop[i]), WSC__STOP);
    assert_int_equal(wsc__close_code_action(4004), WSC__RECONNECT_REFRESH);
    assert_int_equal(wsc__http_status_action(0), WSC__RECONNECT);
    assert_int_equal(wsc__http_status_action(503), WSC__RECONNECT);
    assert_int_equal(wsc__http_status_action(429), WSC__RECONNECT);
    assert_int_equal(wsc__http_status_action(401), WSC__RECONNECT_REFRESH);
    assert_int_equal(wsc__http_status_action(403), WSC__STOP);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_backoff__floor_and_ceiling),
        cmocka_unit_test(test_backoff__caps_at_max_without_overflow),
        cmocka_unit_test(test_backoff__odd_parameters),
        cmocka_unit_test(test_backoff__jitter_spreads),
        cmocka_unit_test(test_backoff__zero_seed),
        cmocka_unit_test(test_backoff__close_code_table),
    };
    return cmocka_run_group_tests_name("unit.client.backoff", tests, NULL, NULL);
}
