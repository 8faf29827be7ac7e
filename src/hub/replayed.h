/* SPDX-License-Identifier: MIT */
/* The senders of the stored messages a user was replayed, by (user, message_id), until ACKed.
 * A message_id is scoped to its sender (PROTOCOL.md §2) and the offline store keeps a copy
 * under (sender, message_id); an `ack` frame usually names only the message_id, so the hub
 * looks up here which copies it confirms.  Bounded: beyond cap the oldest entries are
 * forgotten (their ACK then removes only a copy without sender; the rest stays stored and is
 * replayed again: at-least-once, never lost).  Loop thread only. */
#ifndef WSC_HUB_REPLAYED_H
#define WSC_HUB_REPLAYED_H

#include <stddef.h>

#include <wsc/error.h>

#include "models/hmap.h"
#include "models/list.h"

struct wsc__replayed {
    wsc__hmap map;        /* (user, message_id) -> entries */
    struct wsc_list fifo; /* entries, oldest first */
    size_t n, cap;
};

void wsc__replayed_init(struct wsc__replayed *r, size_t cap);
void wsc__replayed_free(struct wsc__replayed *r);
/** Remembers that user was replayed message_id from sender (NULL or "": none); once per
 *  triple.  WSC_ERR_NOMEM (nothing remembered). */
wsc_err wsc__replayed_put(struct wsc__replayed *r, const char *user, const char *message_id,
                          const char *sender);
/** Forgets the entries of (user, message_id) — only sender's when sender is not NULL — and
 *  calls fn with the sender of each ("" for none) before it goes.  Returns how many. */
size_t wsc__replayed_take(struct wsc__replayed *r, const char *user, const char *message_id,
                          const char *sender, void (*fn)(const char *sender, void *arg), void *arg);

#endif
