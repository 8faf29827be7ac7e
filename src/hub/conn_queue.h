/* SPDX-License-Identifier: MIT */
/* A connection's bounded send queue: two lanes (urgent first), each a ring of message
 * references that grows lazily up to the count limit; the memory the queued messages hold
 * (wsc__msg_held: the frame, and the decoded fields that a routed message also keeps) is
 * bounded too.  The queue head a
 * connection holds is one word: empty, one message (most connections have at most one frame in
 * flight: no allocation), or the lanes, allocated when a second message arrives and freed by
 * wsc__conn_queue_trim once empty.  An idle connection pays 8 bytes for its queue. */
#ifndef WSC_HUB_CONN_QUEUE_H
#define WSC_HUB_CONN_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/msg.h>

struct wsc__ring {
    wsc_msg **slots;         /* NULL until first use */
    uint32_t cap, head, len; /* cap: 0 or a power of two (indices are masked) */
};

struct wsc__conn_lanes {
    struct wsc__ring urgent, normal;
    size_t bytes;
};

struct wsc__conn_queue {
    /* 0: empty; low bit set: one message (this pointer without the bit); else the lanes
     * (struct wsc__conn_lanes *).  Read through the functions below. */
    uintptr_t v;
};

/** The lanes, or NULL when the queue holds none (empty or a single message). */
struct wsc__conn_lanes *wsc__conn_queue_lanes(const struct wsc__conn_queue *q);

/** Queues one reference to msg (taken by the caller beforehand, msg encoded) in the lane its
 *  priority chooses, charging wsc__msg_held(msg) bytes (read back from the message when
 *  popped: it does not change once encoded).  WSC_ERR_QUEUE_FULL when count or bytes would
 *  pass the limits (an urgent frame may exceed the count limit by one and the byte limit
 *  by itself, so control traffic still flows, but none is taken once the bytes are past the
 *  limit; a lone message is always taken), WSC_ERR_NOMEM. */
wsc_err wsc__conn_queue_push(struct wsc__conn_queue *q, wsc_msg *msg, size_t max_count,
                             size_t max_bytes);
/** The next message (urgent lane first) without removing it, or NULL. */
wsc_msg *wsc__conn_queue_peek(const struct wsc__conn_queue *q, size_t index);
/** Removes the first message and returns its reference to the caller. */
wsc_msg *wsc__conn_queue_pop(struct wsc__conn_queue *q);
size_t wsc__conn_queue_len(const struct wsc__conn_queue *q);
/** Frees the ring storage of empty lanes, and the lanes once both are empty (keeps idle
 *  connections small). */
void wsc__conn_queue_trim(struct wsc__conn_queue *q);
/** Frees the storage; the queue must be empty. */
void wsc__conn_queue_free(struct wsc__conn_queue *q);

#endif
