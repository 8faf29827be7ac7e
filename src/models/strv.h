/* SPDX-License-Identifier: MIT */
/* NULL-terminated string arrays: counted, copied and freed string by string (the hub's
 * configuration lists), or handed to applications in one block (one wsc_free). */
#ifndef WSC_MODELS_STRV_H
#define WSC_MODELS_STRV_H

#include <stddef.h>

#include <wsc/error.h>

#include "models/list.h"

/** The number of strings of the NULL-terminated array v (0 for NULL). */
size_t wsc__strv_len(const char *const *v);
/** A copy of the NULL-terminated array v, each string copied (free with wsc__strv_free):
 *  NULL for NULL, or when out of memory. */
char **wsc__strv_copy(const char *const *v);
/** Frees a copy made by wsc__strv_copy, its strings first.  NULL is fine. */
void wsc__strv_free(char **v);

/** The string of one list node. */
typedef const char *(*wsc__strv_get)(const struct wsc_list *node);

/** Copies the strings of up to limit nodes of the list, skipping the first offset, into one
 *  block: the pointer array (NULL-terminated), then the strings.  *n gets the count.
 *  WSC_ERR_NOMEM. */
wsc_err wsc__strv_from_list(const struct wsc_list *head, size_t offset, size_t limit,
                            wsc__strv_get get, char ***out, size_t *n);

#endif
