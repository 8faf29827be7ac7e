/* SPDX-License-Identifier: MIT */
/* The message_id window: duplicates inside it, eviction of the oldest, a zero-sized window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "client/client_dedupe.h"

static void
test_dedupe__detects_duplicates(void **state)
{
    (void)state;
    struct wsc__dedupe d;
    assert_int_equal(wsc__dedupe_init(&d, 8), WSC_OK);
    assert_false(wsc__dedupe_check(&d, "a"));
    assert_false(wsc__dedupe_check(&d, "b"));
    assert_true(wsc__dedupe_check(&d, "a"));
    assert_true(wsc__dedupe_check(&d, "b"));
    assert_false(wsc__dedupe_check(&d, "c"));
    assert_false(wsc__dedupe_check(&d, NULL));
    wsc__dedupe_free(&d);
}

static void
test_dedupe__window_evicts_oldest(void **state)
{
    (void)state;
    struct wsc__dedupe d;
    char id[32];
    assert_int_equal(wsc__dedupe_init(&d, 100), WSC_OK);
    for (int i = 0; i < 1000; i++) {
        snprintf(id, sizeof(id), "m-%d", i);
        assert_false(wsc__dedupe_check(&d, id));
    }
    /* the last 100 are remembered, the ones before are gone */
    for (int i = 900; i < 1000; i++) {
        snprintf(id, sizeof(id), "m-%d", i);
        assert_true(wsc__dedupe_check(&d, id));
    }
    snprintf(id, sizeof(id), "m-%d", 899);
    assert_false(wsc__dedupe_check(&d, id));
    /* that insert evicted m-900 */
    snprintf(id, sizeof(id), "m-%d", 900);
    assert_false(wsc__dedupe_check(&d, id));
    wsc__dedupe_free(&d);
    wsc__dedupe_free(&d); /* twice is fine */
}

static void
test_dedupe__zero_window(void **state)
{
    (void)state;
    struct wsc__dedupe d;
    assert_int_equal(wsc__dedupe_init(&d, 0), WSC_OK);
    assert_false(wsc__dedupe_check(&d, "a"));
    assert_false(wsc__dedupe_check(&d, "a"));
    wsc__dedupe_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedupe__detects_duplicates),
        cmocka_unit_test(test_dedupe__window_evicts_oldest),
        cmocka_unit_test(test_dedupe__zero_window),
    };
    return cmocka_run_group_tests_name("unit.client.dedupe", tests, NULL, NULL);
}
