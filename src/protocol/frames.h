/* SPDX-License-Identifier: MIT */
/* The frames the hub itself emits (PROTOCOL.md §1, §3): connected, pong, ack, error, kick_out;
 * ids and timestamps in wire form. */
#ifndef WSC_PROTOCOL_FRAMES_H
#define WSC_PROTOCOL_FRAMES_H

#include <stdint.h>

#include <wsc/msg.h>

/** {"message_type":"connected","data":{"user_id","client_id","node_id","heartbeat_ms",
 *  "server_time"}}; server_time is RFC 3339 with milliseconds of wall_ms. */
wsc_err wsc__proto_connected(wsc_msg **out, const char *user_id, const char *client_id,
                             const char *node_id, unsigned heartbeat_ms, uint64_t wall_ms);
/** {"message_type":"pong"} */
wsc_err wsc__proto_pong(wsc_msg **out);
/** {"message_type":"ack","message_id":ID,"data":{"status":S[,"error":E]}}; error may be NULL. */
wsc_err wsc__proto_ack(wsc_msg **out, const char *message_id, const char *status,
                       const char *error);
/** {"message_type":"error","message_id":REF,"data":{"code":CODE,"reason":TEXT}}; ref may be
 *  NULL (then message_id is omitted). */
wsc_err wsc__proto_error(wsc_msg **out, const char *ref, const char *code, const char *reason);
/** {"message_type":"kick_out","data":{"reason":R,"kicked_at":unix seconds}} */
wsc_err wsc__proto_kick_out(wsc_msg **out, const char *reason, uint64_t wall_ms);

/** Writes wall_ms as "2026-11-26T09:27:18.123Z" into out (at least 32 bytes). */
void wsc__proto_time_rfc3339(uint64_t wall_ms, char *out, size_t cap);

/** Base-36 digits of a 64-bit tag (36^13 > 2^64); tags are written with all of them. */
#define WSC__PROTO_TAG_DIGITS 13
/** Room for any id below, NUL included: a prefix of up to 64 bytes, two '-', 13 + 13 digits. */
#define WSC__PROTO_ID_MAX 96

/** Writes "<prefix>-<base36 seq>-<tag as 13 base36 digits>" into out (cap bytes; the whole id
 *  when cap >= WSC__PROTO_ID_MAX, else truncated); only the first 64 bytes of prefix count.
 *  Unique when seq is; unguessable when tag is (the hub's is keyed, src/hub/hub_ids.c). */
void wsc__proto_make_id(const char *prefix, uint64_t seq, uint64_t tag, char *out, size_t cap);
/** Writes "<prefix>-<tag as 13 base36 digits>" (just the tag when prefix is NULL). */
void wsc__proto_make_tag_id(const char *prefix, uint64_t tag, char *out, size_t cap);

#endif
