/* SPDX-License-Identifier: MIT */
/* Token buckets for rate limits (messages per second per connection, connects per second per
 * IP).  A bucket is two numbers embedded in its owner: no allocation, no clock of its own (the
 * caller passes a monotonic "now" in milliseconds), and the rate and burst are passed on every
 * call so that a configuration reload applies to existing buckets at once. */
#ifndef WSC_MIDDLEWARE_RATE_LIMIT_H
#define WSC_MIDDLEWARE_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

/** A token bucket.  Embed it and call wsc__bucket_init() once. */
typedef struct wsc__bucket {
    double tokens;    /* tokens available at last_ms, up to burst (below 0: a debt, take_n) */
    uint64_t last_ms; /* time of the last refill, monotonic milliseconds */
} wsc__bucket;

/** Starts b full: burst tokens at now_ms. */
void wsc__bucket_init(wsc__bucket *b, double burst, uint64_t now_ms);

/** Refills b at rate_per_s tokens per second (capped at burst), then takes one token if there
 *  is one.  True when the event is allowed.  A burst below 1 allows nothing; a rate of 0 or
 *  less never refills.  A clock that goes backwards refills nothing. */
bool wsc__bucket_take(wsc__bucket *b, double rate_per_s, double burst, uint64_t now_ms);

/** As wsc__bucket_take() for an event that costs n tokens (bytes of a frame): allowed when
 *  at least min(n, burst) tokens are there, so an event larger than the burst passes on a full
 *  bucket; the tokens then go below 0 (a debt paid back at rate_per_s before the next one). */
bool wsc__bucket_take_n(wsc__bucket *b, double rate_per_s, double burst, uint64_t now_ms, double n);

/** Milliseconds from now_ms until wsc__bucket_take() would succeed with the same rate and
 *  burst: 0 when a token is available now, UINT32_MAX when one never will be (rate <= 0 or
 *  burst < 1).  Rounded up; b is not changed.  For HTTP Retry-After, round up to seconds. */
uint32_t wsc__bucket_retry_after_ms(const wsc__bucket *b, double rate_per_s, double burst,
                                    uint64_t now_ms);

#endif
