/* SPDX-License-Identifier: MIT */
/* The hub's per-user window of client message_ids: receipts remembered, users kept apart,
 * FIFO eviction per user, LRU eviction of whole windows, a window of zero. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "hub/rel_internal.h"

static void
test_dedupe__remembers_receipts_per_user(void **state)
{
    (void)state;
    struct wsc__hub_dedupe d;
    wsc__hub_dedupe_init(&d, 4, 10);
    enum wsc__receipt r = WSC__RECEIPT_NONE;
    const char *err = "x";
    assert_false(wsc__hub_dedupe_seen(&d, "u1", "m1", &r, &err));
    assert_int_equal(wsc__hub_dedupe_put(&d, "u1", "m1", WSC__RECEIPT_NONE, NULL), WSC_OK);
    assert_true(wsc__hub_dedupe_seen(&d, "u1", "m1", &r, &err));
    assert_int_equal(r, WSC__RECEIPT_NONE);
    assert_int_equal(wsc__hub_dedupe_put(&d, "u1", "m1", WSC__RECEIPT_REJECTED, "forbidden"),
                     WSC_OK);
    assert_true(wsc__hub_dedupe_seen(&d, "u1", "m1", &r, &err));
    assert_int_equal(r, WSC__RECEIPT_REJECTED);
    assert_string_equal(err, "forbidden");
    assert_false(wsc__hub_dedupe_seen(&d, "u2", "m1", &r, &err)); /* other user */
    assert_false(wsc__hub_dedupe_seen(&d, NULL, "m1", &r, &err));
    wsc__hub_dedupe_free(&d);
}

static void
test_dedupe__window_evicts_oldest_of_that_user(void **state)
{
    (void)state;
    struct wsc__hub_dedupe d;
    wsc__hub_dedupe_init(&d, 3, 10);
    char id[16];
    for (int i = 0; i < 5; i++) {
        snprintf(id, sizeof(id), "m%d", i);
        assert_int_equal(wsc__hub_dedupe_put(&d, "u", id, WSC__RECEIPT_DELIVERED, NULL), WSC_OK);
    }
    wsc__hub_dedupe_put(&d, "v", "m0", WSC__RECEIPT_STORED, NULL);
    assert_false(wsc__hub_dedupe_seen(&d, "u", "m0", NULL, NULL));
    assert_false(wsc__hub_dedupe_seen(&d, "u", "m1", NULL, NULL));
    assert_true(wsc__hub_dedupe_seen(&d, "u", "m2", NULL, NULL));
    assert_true(wsc__hub_dedupe_seen(&d, "u", "m4", NULL, NULL));
    assert_true(wsc__hub_dedupe_seen(&d, "v", "m0", NULL, NULL));
    assert_int_equal(d.ids.count, 4);
    wsc__hub_dedupe_free(&d);
}

static void
test_dedupe__least_recent_user_goes_first(void **state)
{
    (void)state;
    struct wsc__hub_dedupe d;
    wsc__hub_dedupe_init(&d, 8, 2);
    wsc__hub_dedupe_put(&d, "a", "m", WSC__RECEIPT_DELIVERED, NULL);
    wsc__hub_dedupe_put(&d, "b", "m", WSC__RECEIPT_DELIVERED, NULL);
    assert_true(wsc__hub_dedupe_seen(&d, "a", "m", NULL, NULL)); /* a is now the newest */
    wsc__hub_dedupe_put(&d, "c", "m", WSC__RECEIPT_DELIVERED, NULL);
    assert_true(wsc__hub_dedupe_seen(&d, "a", "m", NULL, NULL));
    assert_false(wsc__hub_dedupe_seen(&d, "b", "m", NULL, NULL));
    assert_true(wsc__hub_dedupe_seen(&d, "c", "m", NULL, NULL));
    assert_int_equal(d.n_users, 2);
    wsc__hub_dedupe_free(&d);
}

static void
test_dedupe__zero_window_remembers_nothing(void **state)
{
    (void)state;
    struct wsc__hub_dedupe d;
    wsc__hub_dedupe_init(&d, 0, 2);
    assert_int_equal(wsc__hub_dedupe_put(&d, "a", "m", WSC__RECEIPT_DELIVERED, NULL), WSC_OK);
    assert_false(wsc__hub_dedupe_seen(&d, "a", "m", NULL, NULL));
    wsc__hub_dedupe_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedupe__remembers_receipts_per_user),
        cmocka_unit_test(test_dedupe__window_evicts_oldest_of_that_user),
        cmocka_unit_test(test_dedupe__least_recent_user_goes_first),
        cmocka_unit_test(test_dedupe__zero_window_remembers_nothing),
    };
    return cmocka_run_group_tests_name("unit.hub.dedupe", tests, NULL, NULL);
}
