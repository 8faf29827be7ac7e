/* SPDX-License-Identifier: MIT */
/* The hub's window of client message_ids (PROTOCOL.md §3): per user, the last N message_ids
 * seen from that user's clients and the receipt each got, so that a resend is answered with
 * the same receipt and not routed twice.  The windows of at most max_users users are kept;
 * the least recently used one goes first. */
#ifndef WSC_HUB_DEDUPE_H
#define WSC_HUB_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>

#include <wsc/error.h>

#include "models/hmap.h"
#include "models/list.h"

/** The receipt remembered with an id. */
enum wsc__receipt {
    WSC__RECEIPT_NONE = 0, /* seen, no receipt sent (vetoed, not routed) */
    WSC__RECEIPT_DELIVERED,
    WSC__RECEIPT_STORED,
    WSC__RECEIPT_REJECTED
};

struct wsc__hub_dedupe {
    wsc__hmap ids;       /* (user, id) -> entry */
    wsc__hmap users;     /* user -> window */
    struct wsc_list lru; /* windows, least recently used first */
    size_t per_user, max_users, n_users;
};

/** per_user 0 turns the window off (nothing is remembered). */
void wsc__hub_dedupe_init(struct wsc__hub_dedupe *d, size_t per_user, size_t max_users);
void wsc__hub_dedupe_free(struct wsc__hub_dedupe *d);
/** True when (user, id) is in the window; *receipt and *error (static string or NULL) get
 *  what was remembered.  Refreshes the user's window in the LRU order. */
bool wsc__hub_dedupe_seen(struct wsc__hub_dedupe *d, const char *user, const char *id,
                          enum wsc__receipt *receipt, const char **error);
/** Remembers (user, id) with a receipt, or updates the receipt of a remembered one; evicts the
 *  user's oldest id beyond per_user and the least recently used window beyond max_users.
 *  error must be a static string or NULL.  WSC_ERR_NOMEM. */
wsc_err wsc__hub_dedupe_put(struct wsc__hub_dedupe *d, const char *user, const char *id,
                            enum wsc__receipt receipt, const char *error);
/** Forgets (user, id): a resend of it is then handled as new (after a refusal that a resend
 *  may overcome, such as a store that did not answer). */
void wsc__hub_dedupe_forget(struct wsc__hub_dedupe *d, const char *user, const char *id);

#endif
