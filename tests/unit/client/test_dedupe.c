/* SPDX-License-Identifier: MIT */
/* The message_id window: duplicates inside it, eviction of the oldest, a zero-sized window. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <cmocka.h>

#include "client/client_dedupe.h"
#include "models/alloc.h"

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

/* Ids with the same 32-bit hash (known FNV-1a collisions) are still different ids. */
static void
test_dedupe__hash_collision_is_not_a_duplicate(void **state)
{
    (void)state;
    struct wsc__dedupe d;
    assert_int_equal(wsc__dedupe_init(&d, 8), WSC_OK);
    assert_false(wsc__dedupe_check(&d, "liquid"));
    assert_false(wsc__dedupe_check(&d, "costarring"));
    assert_true(wsc__dedupe_check(&d, "liquid"));
    assert_true(wsc__dedupe_check(&d, "costarring"));
    wsc__dedupe_free(&d);
}

/* A tiny window over many ids: the chains of the hash table run through the ring, so evicting
 * the oldest id often unlinks it from behind a newer one in its chain.  After every insert the
 * last two ids are remembered, and the table still finds them. */
static void
test_dedupe__tiny_window_keeps_chains_intact(void **state)
{
    (void)state;
    struct wsc__dedupe d;
    char id[32], prev[32];
    assert_int_equal(wsc__dedupe_init(&d, 2), WSC_OK);
    assert_false(wsc__dedupe_check(&d, "m-0"));
    for (int i = 1; i < 400; i++) {
        snprintf(id, sizeof(id), "m-%d", i);
        snprintf(prev, sizeof(prev), "m-%d", i - 1);
        assert_false(wsc__dedupe_check(&d, id)); /* evicts m-(i-2) */
        assert_true(wsc__dedupe_check(&d, prev));
        assert_true(wsc__dedupe_check(&d, id));
    }
    assert_false(wsc__dedupe_check(&d, "m-0")); /* long gone */
    wsc__dedupe_free(&d);
}

/* Out of memory while remembering an id: the id is reported new, and not remembered. */
static void
test_dedupe__nomem_forgets_the_id(void **state)
{
    (void)state;
    struct wsc__dedupe d;
    assert_int_equal(wsc__dedupe_init(&d, 8), WSC_OK);
    wsc__alloc_fail_nth(1);
    assert_false(wsc__dedupe_check(&d, "a"));
    assert_false(wsc__alloc_fail_armed());
    assert_false(wsc__dedupe_check(&d, "a")); /* remembered only now */
    assert_true(wsc__dedupe_check(&d, "a"));
    /* And the table itself. */
    struct wsc__dedupe e;
    for (long n = 1; n <= 2; n++) {
        wsc__alloc_fail_nth(n);
        assert_int_equal(wsc__dedupe_init(&e, 8), WSC_ERR_NOMEM);
        assert_false(wsc__alloc_fail_armed());
        assert_false(wsc__dedupe_check(&e, "a")); /* an empty window */
        wsc__dedupe_free(&e);
    }
    wsc__alloc_fail_nth(0);
    wsc__dedupe_free(&d);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dedupe__detects_duplicates),
        cmocka_unit_test(test_dedupe__window_evicts_oldest),
        cmocka_unit_test(test_dedupe__zero_window),
        cmocka_unit_test(test_dedupe__hash_collision_is_not_a_duplicate),
        cmocka_unit_test(test_dedupe__tiny_window_keeps_chains_intact),
        cmocka_unit_test(test_dedupe__nomem_forgets_the_id),
    };
    return cmocka_run_group_tests_name("unit.client.dedupe", tests, NULL, NULL);
}
