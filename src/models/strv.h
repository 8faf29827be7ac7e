/* SPDX-License-Identifier: MIT */
/* NULL-terminated string arrays handed to applications in one block (one wsc_free). */
#ifndef WSC_MODELS_STRV_H
#define WSC_MODELS_STRV_H

#include <stddef.h>

#include <wsc/error.h>

#include "models/list.h"

/** The string of one list node. */
typedef const char *(*wsc__strv_get)(const struct wsc_list *node);

/** Copies the strings of up to limit nodes of the list, skipping the first offset, into one
 *  block: the pointer array (NULL-terminated), then the strings.  *n gets the count.
 *  WSC_ERR_NOMEM. */
wsc_err wsc__strv_from_list(const struct wsc_list *head, size_t offset, size_t limit,
                            wsc__strv_get get, char ***out, size_t *n);

#endif
