/* SPDX-License-Identifier: MIT */
/* The libev side of the epoll backend: wsc owns the libev loop and hands it to lws as a
 * "foreign" loop (lws's libev plugin attaches its watchers to it), so that wsc, not lws,
 * decides how long one round of the loop may wait and when wsc_loop_run() returns.  lws's own
 * lws_service() would run ev_run() until ev_break, with no bounded single round. */
#include "loop/loop_ev.h"

#include <ev.h>

#include "loop/loop.h"

_Static_assert(sizeof(ev_timer) <= WSC__EV_TIMER_SIZE, "WSC__EV_TIMER_SIZE is too small");
_Static_assert(_Alignof(ev_timer) <= 8, "wsc__timer.ev is aligned to 8");

void *
wsc__ev_loop_new(void)
{
    /* epoll explicitly: libev's automatic choice could also be select or poll.  EVFLAG_NOENV:
     * LIBEV_FLAGS in the environment must not silently change the backend. */
    if (!(ev_supported_backends() & EVBACKEND_EPOLL))
        return NULL;
    return ev_loop_new(EVBACKEND_EPOLL | EVFLAG_NOENV);
}

void
wsc__ev_loop_free(void *evloop)
{
    if (evloop != NULL)
        ev_loop_destroy(evloop);
}

static void
bound_cb(struct ev_loop *evloop, ev_timer *w, int revents)
{
    /* Nothing to do: firing ends the round's wait. */
    (void)evloop;
    (void)w;
    (void)revents;
}

void
wsc__ev_loop_once(void *evloop, int timeout_ms)
{
    if (timeout_ms == 0) {
        ev_run(evloop, EVRUN_NOWAIT);
        return;
    }
    if (timeout_ms < 0) {
        ev_run(evloop, EVRUN_ONCE);
        return;
    }
    ev_timer bound;
    ev_timer_init(&bound, bound_cb, (ev_tstamp)timeout_ms / 1000.0, 0.);
    ev_timer_start(evloop, &bound);
    ev_run(evloop, EVRUN_ONCE);
    ev_timer_stop(evloop, &bound);
}

static void
timer_cb(struct ev_loop *evloop, ev_timer *w, int revents)
{
    (void)evloop;
    (void)revents;
    wsc__ev_timer_fired(w->data);
}

void
wsc__ev_timer_init(void *storage, void *arg)
{
    ev_timer *w = storage;
    ev_timer_init(w, timer_cb, 0., 0.);
    w->data = arg;
}

void
wsc__ev_timer_start(void *evloop, void *storage, uint64_t delay_us)
{
    ev_timer *w = storage;
    ev_timer_stop(evloop, w);
    /* libev counts from the time it last looked at the clock, which is stale when the
     * application ran for a while outside the loop. */
    ev_now_update(evloop);
    ev_timer_set(w, (ev_tstamp)delay_us / 1e6, 0.);
    ev_timer_start(evloop, w);
}

void
wsc__ev_timer_stop(void *evloop, void *storage)
{
    ev_timer_stop(evloop, storage);
}
