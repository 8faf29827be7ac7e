/* SPDX-License-Identifier: MIT */
/* A bounded hash table that also keeps its entries in insertion order: past its cap the oldest
 * entry is dropped.  For what the hub remembers for a while and may forget (who sent a message
 * it replayed or delivered for another node): lookups go through the table, the bound through
 * the order.  Entries are intrusive (a wsc__fnode inside the object) and dropped through the
 * function given at init, which frees the object. */
#ifndef WSC_MODELS_HFIFO_H
#define WSC_MODELS_HFIFO_H

#include "models/hmap.h"
#include "models/list.h"

typedef struct wsc__fnode {
    wsc__hnode h;         /* in map; its key is the object's */
    struct wsc_list link; /* in order, oldest first */
} wsc__fnode;

typedef struct wsc__hfifo {
    wsc__hmap map;
    struct wsc_list order;
    size_t n, cap;
    void (*drop)(wsc__fnode *node); /* frees the object holding node (already unlinked) */
} wsc__hfifo;

/** Empty, bounded to cap entries (0: 1); drop frees an entry once it has left the table. */
void wsc__hfifo_init(wsc__hfifo *f, size_t cap, void (*drop)(wsc__fnode *node));
/** Drops every entry and frees the bucket array; f is empty and usable again. */
void wsc__hfifo_clear(wsc__hfifo *f);
/** Inserts node under hash as the newest entry (no duplicate check), then drops the oldest
 *  when that makes more than cap.  Cannot fail. */
void wsc__hfifo_push(wsc__hfifo *f, wsc__fnode *node, uint64_t hash);
/** Removes node from f and drops it. */
void wsc__hfifo_drop(wsc__hfifo *f, wsc__fnode *node);

#endif
