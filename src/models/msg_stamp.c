/* SPDX-License-Identifier: MIT */
/* The queuing stamp a message carries for the delivery-latency metric (msg_internal.h). */
#include <stdatomic.h>

#include "models/msg_internal.h"
#include "models/msg_priv.h"

void
wsc__msg_stamp_queued(wsc_msg *msg, uint64_t now_us, uint8_t tag)
{
    atomic_store_explicit(&msg->queued_us, now_us, memory_order_relaxed);
    atomic_store_explicit(&msg->metric_tag, tag, memory_order_relaxed);
}

uint64_t
wsc__msg_queued_us(const wsc_msg *msg, uint8_t *tag)
{
    wsc_msg *m = (wsc_msg *)(uintptr_t)msg; /* older clangs refuse atomic loads through const */
    *tag = atomic_load_explicit(&m->metric_tag, memory_order_relaxed);
    return atomic_load_explicit(&m->queued_us, memory_order_relaxed);
}
