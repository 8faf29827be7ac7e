/* SPDX-License-Identifier: MIT */
/* Token buckets: tokens accrue continuously at a fixed rate up to a burst ceiling, and each
 * allowed event spends one.  Refilling is computed lazily from the time elapsed since the last
 * call, so an idle bucket costs nothing. */
#include "middleware/rate_limit.h"

#include <math.h>

/* Floating-point refills (for instance ten steps of 0.1) can land a hair below a whole token;
 * treat anything that close as a whole token so that the advertised rate is really met. */
#define BUCKET_EPSILON 1e-9

static double
refilled(const wsc__bucket *b, double rate_per_s, double burst, uint64_t now_ms)
{
    double tokens = b->tokens;
    if (now_ms > b->last_ms && rate_per_s > 0)
        tokens += (double)(now_ms - b->last_ms) * rate_per_s / 1000.0;
    if (tokens > burst)
        tokens = burst;
    return tokens;
}

void
wsc__bucket_init(wsc__bucket *b, double burst, uint64_t now_ms)
{
    b->tokens = burst > 0 ? burst : 0;
    b->last_ms = now_ms;
}

bool
wsc__bucket_take(wsc__bucket *b, double rate_per_s, double burst, uint64_t now_ms)
{
    b->tokens = refilled(b, rate_per_s, burst, now_ms);
    /* A clock that steps backwards must not rewind last_ms, or the same interval would be
     * credited twice once it moves forward again. */
    if (now_ms > b->last_ms)
        b->last_ms = now_ms;
    if (b->tokens + BUCKET_EPSILON < 1.0)
        return false;
    b->tokens -= 1.0;
    if (b->tokens < 0)
        b->tokens = 0;
    return true;
}

bool
wsc__bucket_take_n(wsc__bucket *b, double rate_per_s, double burst, uint64_t now_ms, double n)
{
    b->tokens = refilled(b, rate_per_s, burst, now_ms);
    if (now_ms > b->last_ms)
        b->last_ms = now_ms;
    double need = n < burst ? n : burst;
    if (b->tokens + BUCKET_EPSILON < need)
        return false;
    b->tokens -= n;
    return true;
}

uint32_t
wsc__bucket_retry_after_ms(const wsc__bucket *b, double rate_per_s, double burst, uint64_t now_ms)
{
    if (burst < 1.0)
        return UINT32_MAX;
    double tokens = refilled(b, rate_per_s, burst, now_ms);
    if (tokens + BUCKET_EPSILON >= 1.0)
        return 0;
    if (rate_per_s <= 0)
        return UINT32_MAX;
    double ms = ceil((1.0 - tokens) * 1000.0 / rate_per_s - BUCKET_EPSILON);
    if (ms < 1.0)
        return 1;
    if (ms >= (double)UINT32_MAX)
        return UINT32_MAX;
    return (uint32_t)ms;
}
