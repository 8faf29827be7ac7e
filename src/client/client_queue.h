/* SPDX-License-Identifier: MIT */
/* The client's send queue: a FIFO of frames in two lanes (urgent first), bounded in count and
 * payload bytes.  The client's own ACK frames do not count against those bounds (they must not
 * make a send fail) but have one of their own: at most max_count of them wait at a time.  It
 * only links items; the caller owns them, allocates and frees them, and guards the queue with
 * its lock when several threads use it. */
#ifndef WSC_CLIENT_QUEUE_H
#define WSC_CLIENT_QUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/error.h>
#include <wsc/msg.h>

/** One frame waiting to be written. */
struct wsc__citem {
    struct wsc__citem *next;
    uint64_t id;        /* the send id reported to the application; 0 for internal frames */
    wsc_msg *msg;       /* a reference, or NULL for raw text/binary */
    unsigned char *buf; /* raw frames: WSC_PRE headroom + len bytes, owned */
    size_t len;         /* payload bytes (what the bound counts) */
    bool binary;
    bool urgent;  /* goes in the urgent lane */
    bool bounded; /* counts against the bounds (ACK frames and receipt resends do not) */
    bool resend;  /* a receipt resend: already tracked */
};

struct wsc__cqueue {
    struct wsc__citem *head[2], *tail[2]; /* [0] urgent, [1] normal */
    size_t count, bytes;                  /* of bounded items */
    size_t acks;                          /* ACK frames: neither bounded nor resends */
    size_t all;                           /* every item */
    size_t max_count, max_bytes;
};

void wsc__cqueue_init(struct wsc__cqueue *q, size_t max_count, size_t max_bytes);

/** Appends it to its lane.  WSC_ERR_QUEUE_FULL (nothing changed) when it is bounded and would
 *  pass max_count or max_bytes, or is an ACK frame and max_count ACK frames wait already. */
wsc_err wsc__cqueue_push(struct wsc__cqueue *q, struct wsc__citem *it);

/** Puts it back at the head of its lane (a write that did not happen); never fails. */
void wsc__cqueue_push_front(struct wsc__cqueue *q, struct wsc__citem *it);

/** Removes and returns the next item (urgent lane first), or NULL. */
struct wsc__citem *wsc__cqueue_pop(struct wsc__cqueue *q);

/** Items of either lane. */
size_t wsc__cqueue_size(const struct wsc__cqueue *q);

#endif
