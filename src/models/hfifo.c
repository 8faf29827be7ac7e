/* SPDX-License-Identifier: MIT */
/* A bounded hash table in insertion order (hfifo.h). */
#include "models/hfifo.h"

#include "models/alloc.h"

void
wsc__hfifo_init(wsc__hfifo *f, size_t cap, void (*drop)(wsc__fnode *node))
{
    wsc__hmap_init(&f->map);
    wsc_list_init(&f->order);
    f->n = 0;
    f->cap = cap > 0 ? cap : 1;
    f->drop = drop;
}

void
wsc__hfifo_drop(wsc__hfifo *f, wsc__fnode *node)
{
    wsc__hmap_remove(&f->map, &node->h);
    wsc_list_remove(&node->link);
    f->n--;
    f->drop(node);
}

void
wsc__hfifo_clear(wsc__hfifo *f)
{
    while (!wsc_list_empty(&f->order))
        wsc__hfifo_drop(f, wsc_container_of(f->order.next, wsc__fnode, link));
    wsc__hmap_clear(&f->map);
}

void
wsc__hfifo_push(wsc__hfifo *f, wsc__fnode *node, uint64_t hash)
{
    wsc__hmap_insert(&f->map, &node->h, hash);
    wsc_list_push_back(&f->order, &node->link);
    if (++f->n > f->cap)
        wsc__hfifo_drop(f, wsc_container_of(f->order.next, wsc__fnode, link));
}
