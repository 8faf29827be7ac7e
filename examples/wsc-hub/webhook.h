/* SPDX-License-Identifier: MIT */
/* The alert webhook of wsc-hub: alerts (JSON bodies) are POSTed to an http:// URL by one
 * worker thread that this object owns, so the loop never waits for the network.  The loop
 * only queues a copy of the body (a bounded queue: beyond it the alert is dropped and
 * counted); the worker connects, posts, and retries a failed post with exponential backoff. */
#ifndef WSC_HUBD_WEBHOOK_H
#define WSC_HUBD_WEBHOOK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/error.h>

typedef struct wsc_hubd_webhook wsc_hubd_webhook;

/** Counters of a webhook (wsc_hubd_webhook_stats). */
typedef struct wsc_hubd_webhook_stats {
    uint64_t queued;  /**< alerts accepted into the queue */
    uint64_t sent;    /**< posts answered 2xx */
    uint64_t failed;  /**< alerts given up after every retry */
    uint64_t dropped; /**< alerts refused because the queue was full */
} wsc_hubd_webhook_stats;

/** Starts the worker thread.  WSC_ERR_NOMEM, WSC_ERR_IO (no thread). */
wsc_err wsc_hubd_webhook_new(wsc_hubd_webhook **out);

/** Sets the URL ("http://host[:port][/path]"; NULL or "": alerts are not posted), the queue
 *  bound (at least 1), the retries after a first failed post and the per-attempt timeout.
 *  Any thread; applies to the posts that start afterwards.  WSC_ERR_INVALID (a URL that is not
 *  http://host...), WSC_ERR_NOMEM; nothing changes then. */
wsc_err wsc_hubd_webhook_configure(wsc_hubd_webhook *w, const char *url, size_t max_queue,
                                   unsigned retries, unsigned timeout_ms);

/** True when url is a URL wsc_hubd_webhook_configure accepts (NULL and "" too). */
bool wsc_hubd_webhook_url_valid(const char *url);

/** Queues a copy of the body (len bytes) without blocking.  WSC_OK (queued), WSC_ERR_QUEUE_FULL
 *  (dropped and counted), WSC_ERR_STATE (no URL is set: nothing to do), WSC_ERR_NOMEM. */
wsc_err wsc_hubd_webhook_post(wsc_hubd_webhook *w, const char *body, size_t len);

/** The counters so far (any thread). */
void wsc_hubd_webhook_stats_get(wsc_hubd_webhook *w, wsc_hubd_webhook_stats *out);

/** Stops the worker (a post under way finishes or times out; what is queued is dropped) and
 *  frees w.  NULL is fine. */
void wsc_hubd_webhook_free(wsc_hubd_webhook *w);

#endif
