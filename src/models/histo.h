/* SPDX-License-Identifier: MIT */
/* A fixed-bucket histogram for /metrics: bucket i counts observations up to scale * 2^i (in the
 * caller's integer unit), the last bucket everything above.  Observing costs a division and a
 * count of leading zeros; nothing allocates.  Owned by whoever embeds it; not thread-safe (each
 * histogram is written by one loop thread). */
#ifndef WSC_MODELS_HISTO_H
#define WSC_MODELS_HISTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define WSC__HISTO_BUCKETS 16

typedef struct wsc__histo {
    uint64_t scale; /* upper bound of bucket 0; bucket i ends at scale << i */
    uint64_t count, sum;
    uint64_t b[WSC__HISTO_BUCKETS + 1]; /* per bucket (not cumulative); [16] is +Inf */
} wsc__histo;

/** A histogram whose first bucket ends at scale (> 0). */
static inline void
wsc__histo_init(wsc__histo *h, uint64_t scale)
{
    *h = (wsc__histo){.scale = scale > 0 ? scale : 1};
}

/** Counts one observation v. */
static inline void
wsc__histo_observe(wsc__histo *h, uint64_t v)
{
    uint64_t q = (v + h->scale - 1) / h->scale; /* v <= scale << i  <=>  q <= 2^i */
    unsigned i = q <= 1 ? 0 : 64u - (unsigned)__builtin_clzll(q - 1);
    h->b[i < WSC__HISTO_BUCKETS ? i : WSC__HISTO_BUCKETS]++;
    h->count++;
    h->sum += v;
}

/** Monotonic microseconds (the unit of the latency histograms). */
static inline uint64_t
wsc__mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/** Appends h in Prometheus text format to out (cap bytes, *len used so far): name_bucket
 *  lines with le in the unit divided by div (1e6: microseconds shown as seconds), then _sum
 *  and _count.  labels is "" or "k=\"v\"" (no braces).  False when out is too small. */
bool wsc__histo_render(const wsc__histo *h, const char *name, const char *labels, double div,
                       char *out, size_t cap, size_t *len);

#endif
