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

/** Writes a unique id "<prefix>-<base36 seq>" into out (at least 64 bytes). */
void wsc__proto_make_id(const char *prefix, uint64_t seq, char *out, size_t cap);

#endif
