/* SPDX-License-Identifier: MIT */
/* The load generator's clock and the time stamp it puts into each message's content. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "lg.h"

uint64_t
lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
lg_stamp(char *out, unsigned size, uint64_t ns)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "@%020llu@", (unsigned long long)ns);
    memset(out, 'x', size);
    memcpy(out, head, (size_t)n < size ? (size_t)n : size);
    out[size] = '\0';
}

uint64_t
lg_find_stamp(const unsigned char *p, size_t len)
{
    const unsigned char *a = memchr(p, '@', len);
    if (a == NULL || (size_t)(p + len - a) < 22 || a[21] != '@')
        return 0;
    uint64_t v = 0;
    for (int i = 1; i <= 20; i++) {
        if (a[i] < '0' || a[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(a[i] - '0');
    }
    return v;
}
