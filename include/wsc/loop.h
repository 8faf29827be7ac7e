/* SPDX-License-Identifier: MIT */
/* The event loop that carries hubs and clients: every socket, timer and callback of the
 * objects created on it runs on the thread that runs it. */
#ifndef WSC_LOOP_H
#define WSC_LOOP_H

#include <stdbool.h>

#include <wsc/common.h>
#include <wsc/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_loop wsc_loop;

/** Creates a loop.  Several hubs and clients may share it.  Returns WSC_ERR_NOMEM or
 *  WSC_ERR_IO (the underlying lws context could not be created). */
WSC_API wsc_err wsc_loop_new(wsc_loop **out);

/** Frees the loop.  Every hub and client created on it must have been freed first
 *  (returns without freeing and logs otherwise).  NULL is fine. */
WSC_API void wsc_loop_free(wsc_loop *loop);

/** Runs the loop on the calling thread until wsc_loop_stop().  Returns WSC_ERR_STATE when
 *  called from inside a callback of the same loop. */
WSC_API wsc_err wsc_loop_run(wsc_loop *loop);

/** Runs at most one round of the loop, waiting up to timeout_ms for events (0: no wait).
 *  This is how an embedder drives wsc from its own main loop or tests poll a condition. */
WSC_API wsc_err wsc_loop_run_once(wsc_loop *loop, int timeout_ms);

/** Makes wsc_loop_run() return soon.  Safe from any thread and from signal handlers. */
WSC_API void wsc_loop_stop(wsc_loop *loop);

/** Monotonic milliseconds as the loop sees them. */
WSC_API uint64_t wsc_loop_now_ms(const wsc_loop *loop);

/** True when called on the thread currently running the loop. */
WSC_API bool wsc_loop_is_loop_thread(const wsc_loop *loop);

#ifdef __cplusplus
}
#endif
#endif
