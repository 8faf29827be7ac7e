/* SPDX-License-Identifier: MIT */
/* What /metrics reads of a store: its backend's name and the latency of its requests, from
 * the call that starts one to the backend's answer, by op.  Owned by the store;
 * read on its loop thread. */
#ifndef WSC_REPOSITORY_STORE_METRICS_H
#define WSC_REPOSITORY_STORE_METRICS_H

#include <stddef.h>

#include <wsc/store.h>

#include "models/histo.h"

/** The backend's name ("memory", "redis", "mysql", "hybrid"). */
const char *wsc__store_backend(const wsc_store *store);

/** The number of ops (enum wsc__op); *names[i] is the "op" label of (*hist)[i].  Borrowed while
 *  the store lives. */
size_t wsc__store_latency(const wsc_store *store, const char *const **names,
                          const wsc__histo **hist);

#endif
