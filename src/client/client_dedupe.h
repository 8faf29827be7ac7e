/* SPDX-License-Identifier: MIT */
/* A window of the most recent message_ids: a ring of ids in arrival order plus a chained hash
 * index over it, so that "seen?" is O(1) and the oldest id leaves when the window is full. */
#ifndef WSC_CLIENT_DEDUPE_H
#define WSC_CLIENT_DEDUPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/error.h>

struct wsc__dedupe_slot {
    char *id; /* owned; NULL when the slot is empty */
    uint32_t hash;
    int32_t next; /* next slot in the same bucket, -1 ends */
};

struct wsc__dedupe {
    struct wsc__dedupe_slot *slots; /* the ring, capacity entries */
    int32_t *buckets;               /* nbuckets heads, -1 empty */
    size_t capacity, nbuckets, oldest, used;
};

/** Prepares a window of capacity ids (0: an empty window that never reports a duplicate).
 *  WSC_ERR_NOMEM. */
wsc_err wsc__dedupe_init(struct wsc__dedupe *d, size_t capacity);

/** Frees every id.  Safe on a zeroed or already freed window. */
void wsc__dedupe_free(struct wsc__dedupe *d);

/** True if id is inside the window.  Otherwise records it (evicting the oldest id when full)
 *  and returns false; when the copy cannot be allocated it is not recorded. */
bool wsc__dedupe_check(struct wsc__dedupe *d, const char *id);

#endif
