/* SPDX-License-Identifier: MIT */
/* Intrusive chained hash table with power-of-two buckets, grown at load factor 2: chains of
 * one or two nodes on average, and half the bucket memory of load factor 1 (the hub keeps two
 * tables with an entry per connection). */
#include "models/hmap.h"

#include <string.h>

#include "models/alloc.h"

void
wsc__hmap_init(wsc__hmap *map)
{
    memset(map, 0, sizeof(*map));
}

void
wsc__hmap_clear(wsc__hmap *map)
{
    if (map->buckets != &map->one)
        wsc__free(map->buckets);
    memset(map, 0, sizeof(*map));
}

static void
grow(wsc__hmap *map)
{
    size_t n = map->buckets ? (map->mask + 1) * 2 : 16;
    wsc__hnode **b = wsc__calloc(n, sizeof(*b));
    if (b == NULL) {
        if (map->buckets == NULL) { /* out of memory at the first insert: one bucket */
            map->one = NULL;
            map->buckets = &map->one;
            map->mask = 0;
        }
        return;
    }
    if (map->buckets != NULL) {
        for (size_t i = 0; i <= map->mask; i++) {
            wsc__hnode *node = map->buckets[i];
            while (node != NULL) {
                wsc__hnode *next = node->next;
                size_t j = (size_t)node->hash & (n - 1);
                node->next = b[j];
                b[j] = node;
                node = next;
            }
        }
        if (map->buckets != &map->one)
            wsc__free(map->buckets);
    }
    map->buckets = b;
    map->mask = n - 1;
}

void
wsc__hmap_insert(wsc__hmap *map, wsc__hnode *node, uint64_t hash)
{
    if (map->buckets == NULL || map->count >= 2 * (map->mask + 1))
        grow(map);
    size_t i = (size_t)hash & map->mask;
    node->hash = hash;
    node->next = map->buckets[i];
    map->buckets[i] = node;
    map->count++;
}

wsc__hnode *
wsc__hmap_find(const wsc__hmap *map, uint64_t hash, wsc__hmap_eq eq, const void *key)
{
    if (map->buckets == NULL)
        return NULL;
    for (wsc__hnode *n = map->buckets[(size_t)hash & map->mask]; n != NULL; n = n->next) {
        if (n->hash == hash && eq(n, key))
            return n;
    }
    return NULL;
}

bool
wsc__hmap_remove(wsc__hmap *map, wsc__hnode *node)
{
    if (map->buckets == NULL)
        return false;
    wsc__hnode **pp = &map->buckets[(size_t)node->hash & map->mask];
    for (; *pp != NULL; pp = &(*pp)->next) {
        if (*pp == node) {
            *pp = node->next;
            node->next = NULL;
            map->count--;
            return true;
        }
    }
    return false;
}

uint64_t
wsc__hash_str(const char *s)
{
    /* FNV-1a, then a final mix so that low bits (the bucket index) depend on every byte. */
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return wsc__hash_u64(h);
}

uint64_t
wsc__hash_pair(const char *scope, const char *id)
{
    return wsc__hash_str(id) ^ (wsc__hash_str(scope) * 0x9e3779b97f4a7c15ull);
}

uint64_t
wsc__hash_u64(uint64_t v)
{
    v ^= v >> 33;
    v *= 0xff51afd7ed558ccdull;
    v ^= v >> 33;
    v *= 0xc4ceb9fe1a85ec53ull;
    v ^= v >> 33;
    return v;
}

static bool
snode_eq(const wsc__hnode *node, const void *key)
{
    return strcmp(wsc_container_of(node, wsc__snode, h)->key, key) == 0;
}

void
wsc__hmap_insert_str(wsc__hmap *map, wsc__snode *node, const char *key)
{
    node->key = key;
    wsc__hmap_insert(map, &node->h, wsc__hash_str(key));
}

wsc__snode *
wsc__hmap_find_str(const wsc__hmap *map, const char *key)
{
    wsc__hnode *n = wsc__hmap_find(map, wsc__hash_str(key), snode_eq, key);
    return n != NULL ? wsc_container_of(n, wsc__snode, h) : NULL;
}

static bool
unode_eq(const wsc__hnode *node, const void *key)
{
    return wsc_container_of(node, wsc__unode, h)->key == *(const uint64_t *)key;
}

void
wsc__hmap_insert_u64(wsc__hmap *map, wsc__unode *node, uint64_t key)
{
    node->key = key;
    wsc__hmap_insert(map, &node->h, wsc__hash_u64(key));
}

wsc__unode *
wsc__hmap_find_u64(const wsc__hmap *map, uint64_t key)
{
    wsc__hnode *n = wsc__hmap_find(map, wsc__hash_u64(key), unode_eq, &key);
    return n != NULL ? wsc_container_of(n, wsc__unode, h) : NULL;
}

void
wsc__hmap_each(wsc__hmap *map, void (*fn)(wsc__hnode *node, void *arg), void *arg)
{
    for (size_t i = 0; map->buckets != NULL && i <= map->mask; i++) {
        wsc__hnode *n = map->buckets[i];
        while (n != NULL) {
            wsc__hnode *next = n->next;
            fn(n, arg);
            n = next;
        }
    }
}
