/* SPDX-License-Identifier: MIT */
/* Token buckets: burst, refill, the burst ceiling, retry-after and odd clocks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "middleware/rate_limit.h"

static void
test_bucket__allows_burst_then_refuses(void **state)
{
    (void)state;
    wsc__bucket b;
    wsc__bucket_init(&b, 3, 1000);
    assert_true(wsc__bucket_take(&b, 1, 3, 1000));
    assert_true(wsc__bucket_take(&b, 1, 3, 1000));
    assert_true(wsc__bucket_take(&b, 1, 3, 1000));
    assert_false(wsc__bucket_take(&b, 1, 3, 1000));
    assert_false(wsc__bucket_take(&b, 1, 3, 1000));
}

static void
test_bucket__refills_at_rate(void **state)
{
    (void)state;
    wsc__bucket b;
    wsc__bucket_init(&b, 1, 0);
    assert_true(wsc__bucket_take(&b, 10, 1, 0));
    assert_false(wsc__bucket_take(&b, 10, 1, 50));
    assert_false(wsc__bucket_take(&b, 10, 1, 99));
    assert_true(wsc__bucket_take(&b, 10, 1, 100));
    /* Ten steps of 10 ms each add up to a whole token despite rounding. */
    for (uint64_t t = 110; t < 200; t += 10)
        assert_false(wsc__bucket_take(&b, 10, 1, t));
    assert_true(wsc__bucket_take(&b, 10, 1, 200));
}

static void
test_bucket__caps_at_burst(void **state)
{
    (void)state;
    wsc__bucket b;
    wsc__bucket_init(&b, 2, 0);
    /* An hour idle still gives only burst tokens. */
    int allowed = 0;
    for (int i = 0; i < 10; i++)
        allowed += wsc__bucket_take(&b, 100, 2, 3600 * 1000);
    assert_int_equal(allowed, 2);
}

static void
test_bucket__retry_after(void **state)
{
    (void)state;
    wsc__bucket b;
    wsc__bucket_init(&b, 2, 0);
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 4, 2, 0), 0);
    assert_true(wsc__bucket_take(&b, 4, 2, 0));
    assert_true(wsc__bucket_take(&b, 4, 2, 0));
    assert_false(wsc__bucket_take(&b, 4, 2, 0));
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 4, 2, 0), 250);
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 4, 2, 100), 150);
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 4, 2, 249), 1);
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 4, 2, 250), 0);
    /* The helper does not spend or refill. */
    assert_true(wsc__bucket_take(&b, 4, 2, 250));
    assert_false(wsc__bucket_take(&b, 4, 2, 250));
    /* Rounds up: 1/3 s is 333.33 ms, so 334. */
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 3, 2, 250), 334);
}

static void
test_bucket__never_refills_without_rate(void **state)
{
    (void)state;
    wsc__bucket b;
    wsc__bucket_init(&b, 1, 0);
    assert_true(wsc__bucket_take(&b, 0, 1, 0));
    assert_false(wsc__bucket_take(&b, 0, 1, 1000000));
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 0, 1, 1000000), UINT32_MAX);
    wsc__bucket_init(&b, 0.5, 0);
    assert_false(wsc__bucket_take(&b, 10, 0.5, 1000));
    assert_int_equal(wsc__bucket_retry_after_ms(&b, 10, 0.5, 1000), UINT32_MAX);
}

static void
test_bucket__ignores_clock_going_back(void **state)
{
    (void)state;
    wsc__bucket b;
    wsc__bucket_init(&b, 1, 1000);
    assert_true(wsc__bucket_take(&b, 1, 1, 1000));
    assert_false(wsc__bucket_take(&b, 1, 1, 500));
    /* Time did not advance past 1000, so nothing has been earned yet. */
    assert_false(wsc__bucket_take(&b, 1, 1, 1999));
    assert_true(wsc__bucket_take(&b, 1, 1, 2000));
}

static void
test_bucket__take_n_spends_bytes_and_allows_a_large_event_on_a_full_bucket(void **state)
{
    (void)state;
    wsc__bucket b;
    wsc__bucket_init(&b, 100, 1000);
    assert_true(wsc__bucket_take_n(&b, 10, 100, 1000, 60));
    assert_false(wsc__bucket_take_n(&b, 10, 100, 1000, 60)); /* 40 left */
    assert_true(wsc__bucket_take_n(&b, 10, 100, 3000, 60));  /* +20 after 2 s */
    /* 0 left; a full bucket lets an event larger than the burst pass, with a debt. */
    assert_true(wsc__bucket_take_n(&b, 10, 100, 13000, 250));
    assert_false(wsc__bucket_take_n(&b, 10, 100, 13000, 1));
    assert_false(wsc__bucket_take_n(&b, 10, 100, 27000, 1)); /* -150 + 140 */
    assert_true(wsc__bucket_take_n(&b, 10, 100, 29000, 1));  /* +20 */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bucket__allows_burst_then_refuses),
        cmocka_unit_test(test_bucket__refills_at_rate),
        cmocka_unit_test(test_bucket__caps_at_burst),
        cmocka_unit_test(test_bucket__retry_after),
        cmocka_unit_test(test_bucket__never_refills_without_rate),
        cmocka_unit_test(test_bucket__ignores_clock_going_back),
        cmocka_unit_test(
            test_bucket__take_n_spends_bytes_and_allows_a_large_event_on_a_full_bucket),
    };
    return cmocka_run_group_tests_name("unit.middleware.rate_limit", tests, NULL, NULL);
}
