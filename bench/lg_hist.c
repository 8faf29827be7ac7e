/* SPDX-License-Identifier: MIT */
/* Latency histogram: see lg_hist.h. */
#include "lg_hist.h"

static unsigned
idx_of(uint64_t us)
{
    if (us < 2048)
        return (unsigned)us;
    unsigned e = 63u - (unsigned)__builtin_clzll(us); /* >= 11 */
    if (e > 34)
        return LG_HIST_BUCKETS - 1;
    unsigned sub = (unsigned)((us >> (e - 10)) & 1023u);
    return 2048u + (e - 11u) * 1024u + sub;
}

static uint64_t
value_of(unsigned i)
{
    if (i < 2048)
        return i;
    unsigned e = (i - 2048u) / 1024u + 11u, sub = (i - 2048u) % 1024u;
    return ((uint64_t)1 << e) + ((uint64_t)sub << (e - 10));
}

void
lg_hist_add(lg_hist *h, uint64_t us)
{
    h->b[idx_of(us)]++;
    h->count++;
    h->sum_us += us;
    if (us > h->max_us)
        h->max_us = us;
}

void
lg_hist_merge(lg_hist *into, const lg_hist *from)
{
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++)
        into->b[i] += from->b[i];
    into->count += from->count;
    into->sum_us += from->sum_us;
    if (from->max_us > into->max_us)
        into->max_us = from->max_us;
}

uint64_t
lg_hist_quantile(const lg_hist *h, double q)
{
    if (h->count == 0)
        return 0;
    uint64_t want = (uint64_t)(q * (double)h->count);
    if (want >= h->count)
        want = h->count - 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < LG_HIST_BUCKETS; i++) {
        seen += h->b[i];
        if (seen > want)
            return value_of(i);
    }
    return h->max_us;
}
