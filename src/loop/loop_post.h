/* SPDX-License-Identifier: MIT */
/* The queue of work that other threads hand to a loop: bounded, one lock per post, and no
 * allocation per post (an array that grows by doubling up to the bound and is reused; a small
 * job can travel inside its item, so that the poster allocates nothing either).  The
 * caller wakes the loop only when a post finds the queue empty; the loop takes the whole queue
 * in one go.  Owned by wsc_loop (loop.c), which does the waking. */
#ifndef WSC_LOOP_LOOP_POST_H
#define WSC_LOOP_LOOP_POST_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop/loop.h"

struct wsc__post_item {
    wsc__post_fn fn;
    uint32_t len; /* 0: run fn(u.arg); else fn(u.data), len bytes copied there */
    union {
        void *arg;
        _Alignas(8) unsigned char data[WSC__LOOP_POST_INLINE];
    } u;
};

struct wsc__postq {
    pthread_mutex_t lock;         /* guards every member below */
    struct wsc__post_item *in;    /* waiting work, in post order */
    size_t n_in, cap_in;          /* n_in <= max unless forced (wsc__postq_push) */
    struct wsc__post_item *spare; /* an emptied array kept for the next swap, or NULL */
    size_t cap_spare;
    size_t max;            /* the bound on n_in for ordinary posts */
    uint64_t posts, wakes; /* counters (wsc__loop_post_stats) */
};

void wsc__postq_init(struct wsc__postq *q, size_t max);
/** Frees the arrays; work still waiting is not run (wsc__postq_drain first). */
void wsc__postq_fini(struct wsc__postq *q);
/** Appends fn(arg).  Unless force, WSC_ERR_BUSY when max items already wait; WSC_ERR_NOMEM
 *  when the array cannot grow.  *wake is set when the queue was empty: the caller must then
 *  wake the loop (later posts ride on that wake-up). */
wsc_err wsc__postq_push(struct wsc__postq *q, wsc__post_fn fn, void *arg, bool force, bool *wake);
/** The same with len (1..WSC__LOOP_POST_INLINE) bytes copied from data into the item: fn then gets
 *  a pointer to the copy, valid while it runs (WSC_ERR_INVALID for another len). */
wsc_err wsc__postq_push_copy(struct wsc__postq *q, wsc__post_fn fn, const void *data, size_t len,
                             bool *wake);
/** Runs every item waiting now, in order, on the calling thread; returns how many.  Work
 *  posted meanwhile (also by the items themselves) waits for the next drain.  Re-entrant:
 *  an item may drain again (an object freed in a posted job drains its own work). */
size_t wsc__postq_drain(struct wsc__postq *q);

#endif
