/* SPDX-License-Identifier: MIT */
/* The libev loop behind WSC_LOOP_EPOLL (loop_ev.c), kept apart so that only one file sees
 * libev's header. */
#ifndef WSC_LOOP_LOOP_EV_H
#define WSC_LOOP_LOOP_EV_H

#include <stdbool.h>
#include <stdint.h>

/** A new libev loop on epoll (a struct ev_loop *), or NULL when epoll is not available. */
void *wsc__ev_loop_new(void);
/** Destroys it; the lws context using it must be destroyed first.  NULL is fine. */
void wsc__ev_loop_free(void *evloop);
/** One round: handles what is ready, waiting for the first event up to timeout_ms (0: no
 *  wait, negative: no bound). */
void wsc__ev_loop_once(void *evloop, int timeout_ms);

/** Sets up the libev timer in storage (WSC__EV_TIMER_SIZE bytes); firing calls
 *  wsc__ev_timer_fired(arg). */
void wsc__ev_timer_init(void *storage, void *arg);
/** (Re)arms it to fire once after delay_us from now. */
void wsc__ev_timer_start(void *evloop, void *storage, uint64_t delay_us);
void wsc__ev_timer_stop(void *evloop, void *storage);
/** Defined by loop.c: a timer set up with wsc__ev_timer_init fired. */
void wsc__ev_timer_fired(void *arg);

#endif
