/* SPDX-License-Identifier: MIT */
/* Internal side of wsc_loop: the lws context, timers on lws's sorted-usec lists, and a
 * thread-safe queue of work handed to the loop thread. */
#ifndef WSC_LOOP_LOOP_H
#define WSC_LOOP_LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include <libwebsockets.h>

#include <wsc/loop.h>

#include "models/list.h"

/** A wsi whose opaque user data points at one of these is dispatched to cb by the loop's own
 *  protocol (client connections, adopted descriptors). */
struct wsc__handler {
    int (*cb)(struct wsc__handler *h, struct lws *wsi, enum lws_callback_reasons reason, void *in,
              size_t len);
};

/** Work handed to the loop thread. */
typedef void (*wsc__post_fn)(void *arg);

/** Room for a libev ev_timer (checked in loop_ev.c). */
#define WSC__EV_TIMER_SIZE 64

/** A one-shot timer on the loop.  Embed it; init once, start/stop as needed. */
typedef struct wsc__timer wsc__timer;
typedef void (*wsc__timer_cb)(wsc__timer *t);
struct wsc__timer {
    lws_sorted_usec_list_t sul; /* must stay first; WSC_LOOP_POLL */
    wsc_loop *loop;
    wsc__timer_cb cb;
    bool armed;
    /* WSC_LOOP_EPOLL: a libev timer (loop_ev.c), exact whatever lws's own timer does. */
    _Alignas(8) unsigned char ev[WSC__EV_TIMER_SIZE];
};

struct lws_context *wsc__loop_lws(wsc_loop *loop);
/** The loop's own vhost (no listener): client connections and adopted fds live here. */
struct lws_vhost *wsc__loop_vhost(wsc_loop *loop);
/** Runs fn(arg) on the loop thread soon, after the work posted before it.  Safe from any
 *  thread.  fn owns arg: it runs exactly once if this returns WSC_OK (at the latest when the
 *  loop is freed, when fn must only free arg).  WSC_ERR_BUSY when wsc_loop_config.max_posts
 *  pieces of work already wait; WSC_ERR_NOMEM. */
wsc_err wsc__loop_post(wsc_loop *loop, wsc__post_fn fn, void *arg);
/** The same without the bound, for work that must not be refused and of which each object
 *  has at most one waiting (a hub's stop, a client's wake-up, a store's completion flush).
 *  WSC_ERR_NOMEM only. */
wsc_err wsc__loop_post_control(wsc_loop *loop, wsc__post_fn fn, void *arg);
/** How many passes the loop has begun (loop thread): work done under one count ran in one
 *  pass, between two waits for events. */
uint64_t wsc__loop_pass_count(const wsc_loop *loop);
/** The most bytes wsc__loop_post_copy carries. */
#define WSC__LOOP_POST_INLINE 64
/** Like wsc__loop_post, without an allocation: len bytes of data are copied into the queue,
 *  and fn gets a pointer to that copy (8-byte aligned), valid while it runs.  What the
 *  bytes refer to (a reference they hold) is fn's to release, as with wsc__loop_post's arg.
 *  WSC_ERR_INVALID when len is 0 or above WSC__LOOP_POST_INLINE; WSC_ERR_BUSY; WSC_ERR_NOMEM. */
wsc_err wsc__loop_post_copy(wsc_loop *loop, wsc__post_fn fn, const void *data, size_t len);
/** Posts accepted so far, and how many of them woke the loop (tests). */
void wsc__loop_post_stats(wsc_loop *loop, uint64_t *posts, uint64_t *wakes);
/** Objects built on a loop hold a reference so that the loop is not freed under them. */
void wsc__loop_attach(wsc_loop *loop);
void wsc__loop_detach(wsc_loop *loop);
/** Runs every posted piece of work now (loop thread; used when an object is freed). */
void wsc__loop_drain(wsc_loop *loop);
/** Wakes the loop from another thread. */
void wsc__loop_wake(wsc_loop *loop);

/* Work run at the end of the loop's current pass, once every event the pass found is handled
 * and before the loop waits again: a write that gathers what many events queued, with no
 * POLLOUT round and no extra pass. */
typedef struct wsc__soon wsc__soon;
typedef void (*wsc__soon_fn)(wsc__soon *s);
struct wsc__soon {
    struct wsc_list link; /* in the loop's list while queued */
    wsc__soon_fn fn;
    bool queued;
};
void wsc__soon_init(wsc__soon *s, wsc__soon_fn fn);
/** Queues s (loop thread; nothing when it is queued already): s->fn runs once at the end of
 *  this pass of the loop; called outside a pass (between wsc_loop_run_once calls), at the end
 *  of the next pass, which then does not wait for events.  Work queued by s->fn runs in the
 *  same end of pass. */
void wsc__loop_soon(wsc_loop *loop, wsc__soon *s);
/** Takes s out of the queue (nothing when it is not queued). */
void wsc__soon_cancel(wsc__soon *s);

void wsc__timer_init(wsc__timer *t, wsc_loop *loop, wsc__timer_cb cb);
/** (Re)arms t to fire once after delay_ms. */
void wsc__timer_start(wsc__timer *t, uint64_t delay_ms);
/** wsc__timer_start in microseconds. */
void wsc__timer_start_us(wsc__timer *t, uint64_t delay_us);
void wsc__timer_stop(wsc__timer *t);

uint64_t wsc__now_ms(void);
uint64_t wsc__wall_ms(void);

#endif
