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
        wsc__hmap_insert(&m, &items[i].node, wsc__hash_str(items[i].key));
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
        wsc__hmap_insert_u64(&m, &nodes[i], i * 7 + 1);
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

/* Out of memory at the first insert: the table takes the node in its one inline bucket, finds
 * and removes it, and moves to a real array at a later insert once memory is back. */
static void
test_hmap__first_insert_out_of_memory(void **state)
{
    (void)state;
    enum { N = 100 };
    static struct item items[N];
    wsc__hmap m;
    wsc__hmap_init(&m);
    for (int i = 0; i < N; i++)
        snprintf(items[i].key, sizeof(items[i].key), "k%d", i);
    wsc__alloc_fail_nth(1);
    wsc__hmap_insert(&m, &items[0].node, wsc__hash_str(items[0].key));
    assert_false(wsc__alloc_fail_armed()); /* the bucket array was refused */
    assert_ptr_equal(find(&m, "k0"), &items[0]);
    for (int i = 1; i < 3; i++) { /* still full: every growth refused */
        wsc__alloc_fail_nth(1);
        wsc__hmap_insert(&m, &items[i].node, wsc__hash_str(items[i].key));
    }
    for (int i = 0; i < 3; i++)
        assert_ptr_equal(find(&m, items[i].key), &items[i]);
    assert_true(wsc__hmap_remove(&m, &items[1].node));
    assert_null(find(&m, "k1"));
    wsc__hmap_insert(&m, &items[1].node, wsc__hash_str(items[1].key));
    for (int i = 3; i < N; i++) /* memory back: the table grows out of its inline bucket */
        wsc__hmap_insert(&m, &items[i].node, wsc__hash_str(items[i].key));
    assert_true(m.buckets != &m.one);
    assert_int_equal(m.count, N);
    for (int i = 0; i < N; i++)
        assert_ptr_equal(find(&m, items[i].key), &items[i]);
    wsc__hmap_clear(&m);
    /* cleared while still on the inline bucket: nothing to free */
    wsc__alloc_fail_nth(1);
    wsc__hmap_insert(&m, &items[0].node, wsc__hash_str(items[0].key));
    assert_ptr_equal(m.buckets, &m.one);
    wsc__hmap_clear(&m);
    assert_null(m.buckets);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hmap__insert_find_remove_many),
        cmocka_unit_test(test_hmap__u64_keys),
        cmocka_unit_test(test_hmap__hashes_spread),
        cmocka_unit_test(test_hmap__first_insert_out_of_memory),
    };
    return cmocka_run_group_tests_name("unit.models.hmap", tests, NULL, NULL);
}
