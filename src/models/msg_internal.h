/* SPDX-License-Identifier: MIT */
/* What the library (not applications) needs of a wsc_msg: the encode-once wire bytes with
 * headroom for the WebSocket header, and the parsed "data" object. */
#ifndef WSC_MODELS_MSG_INTERNAL_H
#define WSC_MODELS_MSG_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <wsc/msg.h>

/** Bytes of headroom before the wire bytes of every encoded message; the transport writes the
 *  WebSocket frame header there.  Must be >= LWS_PRE (checked where lws is included). */
#define WSC_PRE 16

/** A new buffer of WSC_PRE + len + 1 bytes holding the len bytes of data after the headroom
 *  and a NUL after them (free with wsc__free).  NULL when out of memory. */
unsigned char *wsc__wire_copy(const void *data, size_t len);

/** Encodes msg once (JSON text, or the raw bytes of a binary message) into one buffer with
 *  WSC_PRE bytes in front, and freezes it.  Idempotent: later calls return at once.
 *  WSC_ERR_NOMEM. */
wsc_err wsc__msg_encode(wsc_msg *msg);

/** The encoded wire bytes (after wsc__msg_encode), with WSC_PRE writable bytes before the
 *  returned pointer; NULL before encoding.  Not const: lws writes the header into the
 *  headroom (the same bytes for every receiver, so sharing is safe on one thread). */
unsigned char *wsc__msg_wire(const wsc_msg *msg, size_t *len);
/** The memory msg holds, in bytes: the struct and its string area, the encoded frame, the
 *  strings and raw "data" allocated apart (a tree set through the API is counted by its
 *  encoded form only).  Stable once msg is encoded: what a send queue charges for it. */
size_t wsc__msg_held(const wsc_msg *msg);

/** Notes when msg was queued (monotonic microseconds) and the metrics tag of the queuing
 *  side (never 0 once set).  Any thread; never fails. */
void wsc__msg_stamp_queued(wsc_msg *msg, uint64_t now_us, uint8_t tag);
/** The last stamp of wsc__msg_stamp_queued (0, 0 when none). */
uint64_t wsc__msg_queued_us(const wsc_msg *msg, uint8_t *tag);

/** True for priority urgent and critical. */
bool wsc__msg_is_urgent(const wsc_msg *msg);

/** Puts msg in the urgent lane of send queues without changing its wire priority (the
 *  hub's own control frames: pong, ack, error, connected, kick_out). */
void wsc__msg_set_urgent_lane(wsc_msg *msg);

/** The "data" object, borrowed for the life of msg (NULL when unset, or when a parsed
 *  message's data cannot be turned into a tree for lack of memory).  Read only: a parsed
 *  message is encoded from its data text, so change data with wsc__msg_set_data. */
json_t *wsc__msg_data(const wsc_msg *msg);

/** Takes over a reference to obj (a JSON object) as "data".  WSC_ERR_STATE when frozen. */
wsc_err wsc__msg_set_data(wsc_msg *msg, json_t *obj);

/** The current reference count (tests). */
unsigned wsc__msg_refs(const wsc_msg *msg);
/** Drops n references at once (n wsc_msg_unref calls in one atomic step). */
void wsc__msg_unref_n(wsc_msg *msg, unsigned n);

#endif
