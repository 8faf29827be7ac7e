/* SPDX-License-Identifier: MIT */
/* The intrusive hash table behind the registry: insert, find, remove, growth. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "models/alloc.h"
#include "models/hmap.h"

struct item {
    wsc__hnode node;
    char key[16];
};

static bool
item_eq(const wsc__hnode *n, const void *key)
{
    return strcmp(wsc_container_of(n, struct item, node)->key, key) == 0;
}

static struct item *
find(const wsc__hmap *m, const char *key)
{
    wsc__hnode *n = wsc__hmap_find(m, wsc__hash_str(key), item_eq, key);
    return n ? wsc_container_of(n, struct item, node) : NULL;
}

static void
test_hmap__insert_find_remove_many(void **state)
{
    (void)state;
    enum { N = 20000 };
    static struct item items[N];
    wsc__hmap m;
    wsc__hmap_init(&m);
    assert_null(find(&m, "nothing"));
    for (int i = 0; i < N; i++) {
        snprintf(items[i].key, sizeof(items[i].key), "u%d", i);
        assert_int_equal(wsc__hmap_insert(&m, &items[i].node, wsc__hash_str(items[i].key)), WSC_OK);
    }
    assert_int_equal(m.count, N);
    assert_true(2 * (m.mask + 1) >= N); /* grown to load factor <= 2 */
    for (int i = 0; i < N; i++)
        assert_ptr_equal(find(&m, items[i].key), &items[i]);
    for (int i = 0; i < N; i += 2)
        assert_true(wsc__hmap_remove(&m, &items[i].node));
    assert_false(wsc__hmap_remove(&m, &items[0].node));
    for (int i = 0; i < N; i++)
        assert_ptr_equal(find(&m, items[i].key), (i % 2) ? &items[i] : NULL);
    assert_int_equal(m.count, N / 2);
    wsc__hmap_clear(&m);
    assert_null(find(&m, "u1"));
}

/* Nodes keyed by a number: each found under its own key, none under a key never inserted. */
static void
test_hmap__u64_keys(void **state)
{
    (void)state;
    wsc__hmap m;
    wsc__hmap_init(&m);
    static wsc__unode nodes[300];
    for (uint64_t i = 0; i < 300; i++)
        assert_int_equal(wsc__hmap_insert_u64(&m, &nodes[i], i * 7 + 1), WSC_OK);
    for (uint64_t i = 0; i < 300; i++) {
        assert_ptr_equal(wsc__hmap_find_u64(&m, i * 7 + 1), &nodes[i]);
        assert_null(wsc__hmap_find_u64(&m, i * 7 + 2));
    }
    assert_true(wsc__hmap_remove(&m, &nodes[5].h));
    assert_null(wsc__hmap_find_u64(&m, 5 * 7 + 1));
    assert_int_equal(m.count, 299);
    wsc__hmap_clear(&m);
}

static void
test_hmap__hashes_spread(void **state)
{
    (void)state;
    assert_int_not_equal(wsc__hash_str("a"), wsc__hash_str("b"));
    assert_int_not_equal(wsc__hash_u64(1), wsc__hash_u64(2));
    assert_int_equal(wsc__hash_str("same"), wsc__hash_str("same"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmap__insert_find_remove_many),
        cmocka_unit_test(test_hmap__u64_keys),
        cmocka_unit_test(test_hmap__hashes_spread),
    };
    return cmocka_run_group_tests_name("unit.models.hmap", tests, NULL, NULL);
}
