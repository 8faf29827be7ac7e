/* SPDX-License-Identifier: MIT */
/* An intrusive chained hash table: nodes live inside the objects they index, so inserting
 * allocates nothing but the occasional bucket array.  Keys stay with the objects; the table
 * keeps each node's hash and asks an equality function to compare keys. */
#ifndef WSC_MODELS_HMAP_H
#define WSC_MODELS_HMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/error.h>

typedef struct wsc__hnode {
    struct wsc__hnode *next;
    uint64_t hash;
} wsc__hnode;

typedef struct wsc__hmap {
    wsc__hnode **buckets; /* NULL before the first insert; &one while none could be allocated */
    size_t mask;          /* bucket count - 1 (a power of two) */
    size_t count;
    wsc__hnode *one; /* the single bucket of a table that could not allocate its array: inserting
                        never fails (the table must then not be moved in memory) */
} wsc__hmap;

/** A node keyed by a string: key points at the object's own copy, which lives as long as the
 *  node is in a table.  The table needs no equality function of its own. */
typedef struct wsc__snode {
    wsc__hnode h;
    const char *key;
} wsc__snode;

/** A node keyed by a 64-bit number (a connection id, a token), kept in the node.  The table
 *  needs no equality function of its own. */
typedef struct wsc__unode {
    wsc__hnode h;
    uint64_t key;
} wsc__unode;

/** Compares the key of the object holding node with key. */
typedef bool (*wsc__hmap_eq)(const wsc__hnode *node, const void *key);

void wsc__hmap_init(wsc__hmap *map);
/** Frees the bucket array (not the nodes). */
void wsc__hmap_clear(wsc__hmap *map);
/** Inserts node with hash (no duplicate check).  Cannot fail: a table that cannot grow
 *  inserts all the same (it only grows for speed), in its one inline bucket when it could not
 *  allocate any array. */
void wsc__hmap_insert(wsc__hmap *map, wsc__hnode *node, uint64_t hash);
wsc__hnode *wsc__hmap_find(const wsc__hmap *map, uint64_t hash, wsc__hmap_eq eq, const void *key);
/** Calls fn on every node of map.  fn may remove and free the node it is given (the walk has
 *  already read its successor), no other. */
void wsc__hmap_each(wsc__hmap *map, void (*fn)(wsc__hnode *node, void *arg), void *arg);
/** Removes node; returns false when it was not in the table. */
bool wsc__hmap_remove(wsc__hmap *map, wsc__hnode *node);

/** Inserts node under key (borrowed, see wsc__snode), hashed with wsc__hash_str.  Cannot
 *  fail. */
void wsc__hmap_insert_str(wsc__hmap *map, wsc__snode *node, const char *key);
/** The node of map (filled with wsc__hmap_insert_str) under key, or NULL. */
wsc__snode *wsc__hmap_find_str(const wsc__hmap *map, const char *key);

/** Inserts node under key, hashed with wsc__hash_u64.  Cannot fail. */
void wsc__hmap_insert_u64(wsc__hmap *map, wsc__unode *node, uint64_t key);
/** The node of map (filled with wsc__hmap_insert_u64) under key, or NULL. */
wsc__unode *wsc__hmap_find_u64(const wsc__hmap *map, uint64_t key);

uint64_t wsc__hash_str(const char *s);
uint64_t wsc__hash_u64(uint64_t v);
/** The hash of the pair (scope, id), e.g. (user, message_id). */
uint64_t wsc__hash_pair(const char *scope, const char *id);

#endif
