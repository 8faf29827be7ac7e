/* SPDX-License-Identifier: MIT */
/* The allocation family: thin wrappers over libc so that every allocation has one entry point
 * (and can be counted or failed by a test build). */
#include "models/alloc.h"

#include <stdlib.h>
#include <string.h>

#include <wsc/common.h>

void *
wsc__malloc(size_t n)
{
    return malloc(n ? n : 1);
}

void *
wsc__calloc(size_t count, size_t n)
{
    return calloc(count ? count : 1, n ? n : 1);
}

void *
wsc__realloc(void *p, size_t n)
{
    return realloc(p, n ? n : 1);
}

char *
wsc__strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
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
