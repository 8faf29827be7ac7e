/* SPDX-License-Identifier: MIT */
/* The Prometheus text of a fixed-bucket histogram (histo.h). */
#include "models/histo.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>

/* Appends a formatted line; false when it does not fit. */
static bool __attribute__((format(printf, 4, 5)))
put(char *out, size_t cap, size_t *len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(out + *len, cap - *len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    return true;
}

bool
wsc__histo_render(const wsc__histo *h, const char *name, const char *labels, double div, char *out,
                  size_t cap, size_t *len)
{
    const char *sep = labels[0] != '\0' ? "," : "";
    uint64_t cum = 0;
    for (unsigned i = 0; i < WSC__HISTO_BUCKETS; i++) {
        cum += h->b[i];
        double le = (double)(h->scale << i) / div;
        if (!put(out, cap, len, "%s_bucket{%s%sle=\"%.9g\"} %" PRIu64 "\n", name, labels, sep, le,
                 cum))
            return false;
    }
    const char *lb = labels[0] != '\0' ? "{" : "", *rb = labels[0] != '\0' ? "}" : "";
    return put(out, cap, len, "%s_bucket{%s%sle=\"+Inf\"} %" PRIu64 "\n", name, labels, sep,
               h->count) &&
           put(out, cap, len, "%s_sum%s%s%s %.9g\n", name, lb, labels, rb, (double)h->sum / div) &&
           put(out, cap, len, "%s_count%s%s%s %" PRIu64 "\n", name, lb, labels, rb, h->count);
}
