/* SPDX-License-Identifier: MIT */
/* Fixed-bucket histograms: bucket edges (scale << i, inclusive), the overflow bucket, and
 * their Prometheus text (cumulative buckets, +Inf = _count, _sum in the shown unit). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "models/histo.h"

static void
test_histo__bucket_edges(void **state)
{
    (void)state;
    wsc__histo h;
    wsc__histo_init(&h, 10);
    const uint64_t v[] = {0, 10, 11, 20, 21, 40, 10ull << 15, (10ull << 15) + 1, UINT32_MAX};
    for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++)
        wsc__histo_observe(&h, v[i]);
    assert_int_equal(h.b[0], 2);  /* 0, 10 */
    assert_int_equal(h.b[1], 2);  /* 11, 20 */
    assert_int_equal(h.b[2], 2);  /* 21, 40 */
    assert_int_equal(h.b[15], 1); /* 10 << 15 */
    assert_int_equal(h.b[WSC__HISTO_BUCKETS], 2);
    assert_int_equal(h.count, 9);
}

static void
test_histo__prometheus_text(void **state)
{
    (void)state;
    wsc__histo h;
    wsc__histo_init(&h, 50);
    wsc__histo_observe(&h, 40);
    wsc__histo_observe(&h, 120);
    wsc__histo_observe(&h, UINT64_C(1) << 40);
    char out[4096];
    size_t len = 0;
    assert_true(wsc__histo_render(&h, "wsc_x_seconds", "op=\"w\"", 1e6, out, sizeof(out), &len));
    assert_int_equal(strlen(out), len);
    assert_non_null(strstr(out, "wsc_x_seconds_bucket{op=\"w\",le=\"5e-05\"} 1\n"));
    assert_non_null(strstr(out, "wsc_x_seconds_bucket{op=\"w\",le=\"0.0001\"} 1\n"));
    assert_non_null(strstr(out, "wsc_x_seconds_bucket{op=\"w\",le=\"0.0002\"} 2\n"));
    assert_non_null(strstr(out, "wsc_x_seconds_bucket{op=\"w\",le=\"1.6384\"} 2\n"));
    assert_non_null(strstr(out, "wsc_x_seconds_bucket{op=\"w\",le=\"+Inf\"} 3\n"));
    assert_non_null(strstr(out, "wsc_x_seconds_count{op=\"w\"} 3\n"));
    assert_non_null(strstr(out, "wsc_x_seconds_sum{op=\"w\"} 1099511.63\n"));
    len = 0;
    assert_true(wsc__histo_render(&h, "wsc_d", "", 1, out, sizeof(out), &len));
    assert_non_null(strstr(out, "wsc_d_bucket{le=\"50\"} 1\n"));
    assert_non_null(strstr(out, "\nwsc_d_count 3\n"));
    len = 0;
    assert_false(wsc__histo_render(&h, "wsc_d", "", 1, out, 100, &len)); /* too small */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_histo__bucket_edges),
        cmocka_unit_test(test_histo__prometheus_text),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
