/* SPDX-License-Identifier: MIT */
/* A latency histogram in microseconds: exact below 2048 us, then 1024 sub-buckets per power of
 * two (under 0.1 % error), up to about 2^34 us.  Mergeable by adding counts. */
#ifndef WSC_BENCH_LG_HIST_H
#define WSC_BENCH_LG_HIST_H

#include <stdint.h>

#define LG_HIST_BUCKETS (2048 + 24 * 1024)

typedef struct lg_hist {
    uint64_t count;
    uint64_t max_us;
    uint64_t sum_us;
    uint32_t b[LG_HIST_BUCKETS];
} lg_hist;

void lg_hist_add(lg_hist *h, uint64_t us);
void lg_hist_merge(lg_hist *into, const lg_hist *from);
/** The value below which q (0..1) of the samples fall, in microseconds. */
uint64_t lg_hist_quantile(const lg_hist *h, double q);

#endif
