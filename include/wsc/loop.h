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

/** How the loop waits for its sockets.  docs/architecture.md ("Which loop") has the figures
 *  behind the default. */
typedef enum wsc_loop_backend {
    WSC_LOOP_DEFAULT = 0, /* WSC_LOOP_BACKEND from the environment if set, else the default */
    WSC_LOOP_POLL = 1,    /* lws's own loop: poll(), pays for every socket on each wake-up */
    WSC_LOOP_EPOLL = 2    /* lws on its libev plugin with an epoll backend */
} wsc_loop_backend;

/** Loop options.  Fill with wsc_loop_config_init(), then set what you need. */
typedef struct wsc_loop_config {
    /** WSC_LOOP_DEFAULT lets the environment variable WSC_LOOP_BACKEND (`poll` or `epoll`,
     *  meant for benchmarks and test runs) choose, else the built-in default.  An explicit
     *  WSC_LOOP_POLL or WSC_LOOP_EPOLL ignores the environment. */
    wsc_loop_backend backend;
    /** Upgrades (HTTP requests) whose headers are being read at once: lws's header-table pool
     *  (~4.5 KB per table, freed after the handshake).  More wait in lws until one frees.
     *  Bounding it keeps bursts of handshakes from fragmenting the heap that long-lived
     *  connections then sit in.  While the pool is full, every new connection (WebSocket or
     *  HTTP, /healthz included) waits: wsc_hub_config.max_pending_per_ip and
     *  handshake_timeout_ms bound what one address holds and for how long.  Default 256;
     *  0 = one per descriptor (lws's default). */
    unsigned max_handshakes;
    /** Work handed to the loop from other threads (sends, stops) that may wait for it at once;
     *  beyond it such calls return WSC_ERR_BUSY and queue nothing.  The loop is woken once
     *  per batch and runs everything waiting in one go.  Default 65536; 0 means the default. */
    unsigned max_posts;
} wsc_loop_config;

/** Sets every field of cfg to its default. */
WSC_API void wsc_loop_config_init(wsc_loop_config *cfg);

/** Creates a loop with the defaults (wsc_loop_new_ex with wsc_loop_config_init's config).
 *  Several hubs and clients may share it.  Returns WSC_ERR_NOMEM or WSC_ERR_IO (the
 *  underlying lws context could not be created). */
WSC_API wsc_err wsc_loop_new(wsc_loop **out);

/** Creates a loop as cfg says (copied; NULL means the defaults).  Returns WSC_ERR_INVALID (an
 *  unknown backend, or an unknown name in WSC_LOOP_BACKEND), WSC_ERR_UNSUPPORTED (epoll or
 *  lws's libev plugin not available), WSC_ERR_NOMEM or WSC_ERR_IO. */
WSC_API wsc_err wsc_loop_new_ex(wsc_loop **out, const wsc_loop_config *cfg);

/** The backend the loop actually runs on (never WSC_LOOP_DEFAULT); WSC_LOOP_DEFAULT for NULL. */
WSC_API wsc_loop_backend wsc_loop_get_backend(const wsc_loop *loop);

/** "poll" or "epoll" ("default" for WSC_LOOP_DEFAULT, "?" otherwise): a static string. */
WSC_API const char *wsc_loop_backend_name(wsc_loop_backend backend);

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

/** True when called on the thread currently running the loop, or, while it is not running,
 *  on the thread that last ran it (the creating thread before the first run).  Any thread. */
WSC_API bool wsc_loop_is_loop_thread(const wsc_loop *loop);

#ifdef __cplusplus
}
#endif
#endif
