/* SPDX-License-Identifier: MIT */
/* The allocation family: thin wrappers over libc so that every allocation has one entry point
 * (and can be counted or failed by a test build). */
#include "models/alloc.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <wsc/common.h>

#ifdef WSC_ALLOC_HOOKS
#include <stdatomic.h>

/* Test builds only: the countdown to the allocation that fails (0: none armed).  Atomic, as
 * threads other than the test's may allocate; it is the one process-wide state, and only
 * tests touch it. */
static atomic_long fail_countdown;

void
wsc__alloc_fail_nth(long n)
{
    atomic_store(&fail_countdown, n > 0 ? n : 0);
}

bool
wsc__alloc_fail_armed(void)
{
    return atomic_load(&fail_countdown) > 0;
}

static bool
fail_now(void)
{
    long n = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
    while (n > 0) {
        if (atomic_compare_exchange_weak(&fail_countdown, &n, n - 1))
            return n == 1;
    }
    return false;
}
#else
#define fail_now() false
#endif

void *
wsc__malloc(size_t n)
{
    return fail_now() ? NULL : malloc(n ? n : 1);
}

void *
wsc__calloc(size_t count, size_t n)
{
    return fail_now() ? NULL : calloc(count ? count : 1, n ? n : 1);
}

void *
wsc__realloc(void *p, size_t n)
{
    return fail_now() ? NULL : realloc(p, n ? n : 1);
}

char *
wsc__strndup(const char *s, size_t n)
{
    char *d = wsc__malloc(n + 1);
    if (d == NULL)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *
wsc__strdup(const char *s)
{
    return s ? wsc__strndup(s, strlen(s)) : NULL;
}

void
wsc__free(void *p)
{
    free(p);
}

void
wsc_free(void *p)
{
    free(p);
}

void
wsc_buf_free(wsc_buf *buf)
{
    if (buf == NULL)
        return;
    free(buf->data);
    buf->data = NULL;
    buf->len = 0;
}

const char *
wsc_version(void)
{
    return WSC_VERSION_STRING;
}

void *
wsc__alloc_str(size_t size, size_t at, const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = wsc__calloc(1, size + n);
    if (p != NULL)
        memcpy(p + at, s, n);
    return p;
}

void *
wsc__grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first)
{
    if (need <= *cap)
        return arr;
    size_t n = *cap != 0 ? *cap * 2 : first;
    while (n < need)
        n *= 2;
    void *p = wsc__realloc(arr, n * elem);
    if (p != NULL)
        *cap = n;
    return p;
}
