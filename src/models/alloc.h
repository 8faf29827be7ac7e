/* SPDX-License-Identifier: MIT */
/* The one allocation family of wsc.  Every allocation goes through here. */
#ifndef WSC_MODELS_ALLOC_H
#define WSC_MODELS_ALLOC_H

#include <stddef.h>

void *wsc__malloc(size_t n);
void *wsc__calloc(size_t count, size_t n);
void *wsc__realloc(void *p, size_t n);
char *wsc__strdup(const char *s);
char *wsc__strndup(const char *s, size_t n);
void wsc__free(void *p);

#define wsc_container_of(ptr, type, member) ((type *)(void *)((char *)(ptr)-offsetof(type, member)))

#endif
