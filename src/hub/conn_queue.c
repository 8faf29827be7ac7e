/* SPDX-License-Identifier: MIT */
/* Bounded two-lane send queue of a hub connection.  Rings start small and double up to the
 * count limit, and are freed when trimmed empty, so idle connections hold no queue memory. */
#include "hub/conn_queue.h"

#include <string.h>

#include "models/alloc.h"
#include "models/msg_internal.h"

#define RING_MIN 4u

static wsc_err
ring_push(struct wsc__ring *r, wsc_msg *msg)
{
    if (r->len == r->cap) {
        /* Doubled in place (a large array moves by remapping, without a copy), then the part
         * that wrapped to the front moves behind the old end. */
        uint32_t ncap = r->cap ? r->cap * 2 : RING_MIN;
        wsc_msg **s = wsc__realloc(r->slots, ncap * sizeof(*s));
        if (s == NULL)
            return WSC_ERR_NOMEM;
        if (r->head > 0)
            memcpy(s + r->cap, s, r->head * sizeof(*s));
        r->slots = s;
        r->cap = ncap;
    }
    r->slots[(r->head + r->len) & (r->cap - 1)] = msg;
    r->len++;
    return WSC_OK;
}

static wsc_msg *
single(const struct wsc__conn_queue *q)
{
    return (q->v & 1u) ? (wsc_msg *)(q->v & ~(uintptr_t)1) : NULL;
}

struct wsc__conn_lanes *
wsc__conn_queue_lanes(const struct wsc__conn_queue *q)
{
    return (q->v & 1u) ? NULL : (struct wsc__conn_lanes *)q->v;
}

/* Moves a lone message into newly allocated lanes. */
static wsc_err
promote(struct wsc__conn_queue *q)
{
    wsc_msg *m = single(q);
    struct wsc__conn_lanes *l = wsc__calloc(1, sizeof(*l));
    if (l == NULL)
        return WSC_ERR_NOMEM;
    wsc_err err = ring_push(wsc__msg_is_urgent(m) ? &l->urgent : &l->normal, m);
    if (err != WSC_OK) {
        wsc__free(l);
        return err;
    }
    l->bytes = wsc__msg_held(m);
    q->v = (uintptr_t)l;
    return WSC_OK;
}

wsc_err
wsc__conn_queue_push(struct wsc__conn_queue *q, wsc_msg *msg, size_t max_count, size_t max_bytes)
{
    bool urgent = wsc__msg_is_urgent(msg);
    size_t n = wsc__conn_queue_len(q);
    if (n >= max_count + (urgent ? 1u : 0u))
        return WSC_ERR_QUEUE_FULL;
    if (n == 0) {
        if (((uintptr_t)msg & 1u) != 0)
            return WSC_ERR_INVALID; /* never: messages are malloc'd */
        q->v = (uintptr_t)msg | 1u;
        return WSC_OK;
    }
    size_t held = wsc__msg_held(msg);
    size_t queued = single(q) != NULL ? wsc__msg_held(single(q)) : wsc__conn_queue_lanes(q)->bytes;
    /* An urgent frame may pass the byte bound by itself alone, not pile up beyond it. */
    if (queued + held > max_bytes && (!urgent || queued >= max_bytes))
        return WSC_ERR_QUEUE_FULL;
    if (single(q) != NULL) {
        wsc_err err = promote(q);
        if (err != WSC_OK)
            return err;
    }
    struct wsc__conn_lanes *l = wsc__conn_queue_lanes(q);
    wsc_err err = ring_push(urgent ? &l->urgent : &l->normal, msg);
    if (err == WSC_OK)
        l->bytes += held;
    return err;
}

wsc_msg *
wsc__conn_queue_peek(const struct wsc__conn_queue *q, size_t index)
{
    if (q->v == 0)
        return NULL;
    if (single(q) != NULL)
        return index == 0 ? single(q) : NULL;
    const struct wsc__conn_lanes *l = wsc__conn_queue_lanes(q);
    const struct wsc__ring *r = &l->urgent;
    if (index >= r->len) {
        index -= r->len;
        r = &l->normal;
        if (index >= r->len)
            return NULL;
    }
    return r->slots[(r->head + index) & (r->cap - 1)];
}

wsc_msg *
wsc__conn_queue_pop(struct wsc__conn_queue *q)
{
    if (q->v == 0)
        return NULL;
    wsc_msg *m = single(q);
    if (m != NULL) {
        q->v = 0;
        return m;
    }
    struct wsc__conn_lanes *l = wsc__conn_queue_lanes(q);
    struct wsc__ring *r = l->urgent.len ? &l->urgent : &l->normal;
    if (r->len == 0)
        return NULL;
    m = r->slots[r->head];
    r->head = (r->head + 1) & (r->cap - 1);
    r->len--;
    size_t held = wsc__msg_held(m);
    l->bytes -= held <= l->bytes ? held : l->bytes;
    return m;
}

size_t
wsc__conn_queue_len(const struct wsc__conn_queue *q)
{
    if (q->v == 0)
        return 0;
    if (single(q) != NULL)
        return 1;
    const struct wsc__conn_lanes *l = wsc__conn_queue_lanes(q);
    return l->urgent.len + l->normal.len;
}

static void
ring_trim(struct wsc__ring *r)
{
    if (r->len == 0 && r->slots != NULL) {
        wsc__free(r->slots);
        r->slots = NULL;
        r->cap = r->head = 0;
    }
}

void
wsc__conn_queue_trim(struct wsc__conn_queue *q)
{
    struct wsc__conn_lanes *l = wsc__conn_queue_lanes(q);
    if (l == NULL)
        return;
    ring_trim(&l->urgent);
    ring_trim(&l->normal);
    if (l->urgent.len + l->normal.len == 0) {
        wsc__free(l);
        q->v = 0;
    }
}

void
wsc__conn_queue_free(struct wsc__conn_queue *q)
{
    struct wsc__conn_lanes *l = wsc__conn_queue_lanes(q);
    if (l != NULL) {
        wsc__free(l->urgent.slots);
        wsc__free(l->normal.slots);
        wsc__free(l);
    }
    q->v = 0;
}
