/* SPDX-License-Identifier: MIT */
/* Bounded two-lane FIFO of outgoing frames.  Order inside a lane is the order of push; a pushed-
 * back item returns to the head of its lane so that a failed write keeps its place. */
#include "client/client_queue.h"

#include <stdbool.h>
#include <stddef.h>

void
wsc__cqueue_init(struct wsc__cqueue *q, size_t max_count, size_t max_bytes)
{
    q->head[0] = q->head[1] = NULL;
    q->tail[0] = q->tail[1] = NULL;
    q->count = q->bytes = q->acks = q->all = 0;
    q->max_count = max_count;
    q->max_bytes = max_bytes;
}

static bool
is_ack(const struct wsc__citem *it)
{
    return !it->bounded && !it->resend;
}

static void
account(struct wsc__cqueue *q, const struct wsc__citem *it, int sign)
{
    if (it->bounded) {
        q->count = sign > 0 ? q->count + 1 : q->count - 1;
        q->bytes = sign > 0 ? q->bytes + it->len : q->bytes - it->len;
    }
    if (is_ack(it))
        q->acks = sign > 0 ? q->acks + 1 : q->acks - 1;
    q->all = sign > 0 ? q->all + 1 : q->all - 1;
}

wsc_err
wsc__cqueue_push(struct wsc__cqueue *q, struct wsc__citem *it)
{
    if (it->bounded && (q->count + 1 > q->max_count || it->len > q->max_bytes ||
                        q->bytes + it->len > q->max_bytes))
        return WSC_ERR_QUEUE_FULL;
    if (is_ack(it) && q->acks + 1 > q->max_count)
        return WSC_ERR_QUEUE_FULL;
    int lane = it->urgent ? 0 : 1;
    it->next = NULL;
    if (q->tail[lane] != NULL)
        q->tail[lane]->next = it;
    else
        q->head[lane] = it;
    q->tail[lane] = it;
    account(q, it, 1);
    return WSC_OK;
}

void
wsc__cqueue_push_front(struct wsc__cqueue *q, struct wsc__citem *it)
{
    int lane = it->urgent ? 0 : 1;
    it->next = q->head[lane];
    q->head[lane] = it;
    if (q->tail[lane] == NULL)
        q->tail[lane] = it;
    account(q, it, 1);
}

struct wsc__citem *
wsc__cqueue_pop(struct wsc__cqueue *q)
{
    for (int lane = 0; lane < 2; lane++) {
        struct wsc__citem *it = q->head[lane];
        if (it == NULL)
            continue;
        q->head[lane] = it->next;
        if (q->head[lane] == NULL)
            q->tail[lane] = NULL;
        it->next = NULL;
        account(q, it, -1);
        return it;
    }
    return NULL;
}

size_t
wsc__cqueue_size(const struct wsc__cqueue *q)
{
    return q->all;
}
