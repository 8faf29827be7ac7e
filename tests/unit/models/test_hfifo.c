/* SPDX-License-Identifier: MIT */
/* The bounded hash table in insertion order: the oldest entry goes past the cap, a dropped
 * entry is freed through the table's drop function, clear frees what is left. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/alloc.h"
#include "models/hfifo.h"

struct item {
    wsc__fnode node;
    uint64_t key;
};

static size_t dropped;

static void
item_drop(wsc__fnode *node)
{
    dropped++;
    wsc__free(wsc_container_of(node, struct item, node));
}

static bool
item_eq(const wsc__hnode *n, const void *key)
{
    return wsc_container_of(n, struct item, node.h)->key == *(const uint64_t *)key;
}

static struct item *
find(const wsc__hfifo *f, uint64_t key)
{
    wsc__hnode *n = wsc__hmap_find(&f->map, wsc__hash_u64(key), item_eq, &key);
    return n ? wsc_container_of(n, struct item, node.h) : NULL;
}

static void
push(wsc__hfifo *f, uint64_t key)
{
    struct item *it = wsc__calloc(1, sizeof(*it));
    assert_non_null(it);
    it->key = key;
    wsc__hfifo_push(f, &it->node, wsc__hash_u64(key));
}

static void
test_hfifo__oldest_goes_past_cap(void **state)
{
    (void)state;
    wsc__hfifo f;
    dropped = 0;
    wsc__hfifo_init(&f, 3, item_drop);
    for (uint64_t k = 1; k <= 5; k++)
        push(&f, k);
    assert_int_equal(f.n, 3);
    assert_int_equal(dropped, 2);
    assert_null(find(&f, 1));
    assert_null(find(&f, 2));
    for (uint64_t k = 3; k <= 5; k++)
        assert_non_null(find(&f, k));
    /* A dropped entry leaves its place in the order: the next push evicts 3, then 5. */
    wsc__hfifo_drop(&f, &find(&f, 4)->node);
    assert_int_equal(f.n, 2);
    push(&f, 6);
    assert_non_null(find(&f, 3));
    push(&f, 7);
    assert_null(find(&f, 3));
    assert_non_null(find(&f, 5));
    wsc__hfifo_clear(&f);
    assert_int_equal(f.n, 0);
    assert_int_equal(dropped, 7);
    push(&f, 8); /* usable again after clear */
    assert_non_null(find(&f, 8));
    wsc__hfifo_clear(&f);
}

static void
test_hfifo__cap_zero_keeps_one(void **state)
{
    (void)state;
    wsc__hfifo f;
    dropped = 0;
    wsc__hfifo_init(&f, 0, item_drop);
    push(&f, 1);
    push(&f, 2);
    assert_int_equal(f.n, 1);
    assert_null(find(&f, 1));
    assert_non_null(find(&f, 2));
    wsc__hfifo_clear(&f);
    assert_int_equal(dropped, 2);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hfifo__oldest_goes_past_cap),
        cmocka_unit_test(test_hfifo__cap_zero_keeps_one),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
