/* SPDX-License-Identifier: MIT */
/* The one allocation family of wsc.  Every allocation goes through here. */
#ifndef WSC_MODELS_ALLOC_H
#define WSC_MODELS_ALLOC_H

#include <stddef.h>
#include <stdint.h>

void *wsc__malloc(size_t n);
void *wsc__calloc(size_t count, size_t n);
void *wsc__realloc(void *p, size_t n);
char *wsc__strdup(const char *s);
char *wsc__strndup(const char *s, size_t n);
void wsc__free(void *p);

/* arr, an array of *cap elements of elem bytes, with room for at least need (> 0) of them:
 * arr itself when it has that room, else arr reallocated to *cap doubled (from first when 0)
 * until need fits, and *cap updated.  NULL when out of memory (arr and *cap unchanged). */
void *wsc__grow(void *arr, size_t *cap, size_t need, size_t elem, size_t first);

/* A zeroed block of size bytes plus room for a copy of s (with its NUL), s copied in at offset
 * at (the block's trailing char array).  NULL when out of memory. */
void *wsc__alloc_str(size_t size, size_t at, const char *s);

/* A zeroed `type` whose trailing char array `member` holds a copy of s.  NULL when out of
 * memory. */
#define wsc__new_with_str(type, member, s) \
    ((type *)wsc__alloc_str(sizeof(type), offsetof(type, member), (s)))

#ifdef WSC_ALLOC_HOOKS
#include <stdbool.h>
/* Test builds only (WSC_ALLOC_HOOKS, on with WSC_BUILD_TESTS): the nth call of the family
 * from now (1: the next one) returns NULL, once; n <= 0 disarms.  Armed is true until it has
 * fired. */
void wsc__alloc_fail_nth(long n);
bool wsc__alloc_fail_armed(void);
#endif

/* The object holding member at ptr.  Works on const pointers too (the caller keeps const-ness
 * in mind); goes through uintptr_t so -Wcast-qual stays quiet. */
#define wsc_container_of(ptr, type, member) \
    ((type *)(uintptr_t)((const char *)(ptr)-offsetof(type, member)))

#endif
