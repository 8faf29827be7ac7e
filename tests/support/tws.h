/* SPDX-License-Identifier: MIT */
/* tws: a raw, non-blocking RFC 6455 WebSocket client for tests, on plain sockets.
 *
 * A tws never blocks: tws_connect starts a connect to 127.0.0.1, every send only appends to
 * an out buffer and writes what the socket takes now, and tws_pump reads what has arrived.
 * One thread can therefore drive the hub's loop and thousands of peers (see twait.h).
 * It can also misbehave on purpose: raw bytes, bad opcodes, lone fragments, no pongs. */
#ifndef WSC_TEST_TWS_H
#define WSC_TEST_TWS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef struct tws tws;

typedef enum tws_conn_state {
    TWS_CONNECTING, /* TCP connect or handshake under way */
    TWS_OPEN,       /* got 101 with a valid Sec-WebSocket-Accept */
    TWS_REFUSED,    /* got a complete non-101 answer: see tws_http_status/_header/_body */
    TWS_CLOSED,     /* got a close frame or EOF: see tws_close_code/_reason */
    TWS_ERROR,      /* connect failed, bad handshake, protocol violation by the server */
} tws_conn_state;

enum {
    TWS_OP_CONT = 0x0,
    TWS_OP_TEXT = 0x1,
    TWS_OP_BINARY = 0x2,
    TWS_OP_CLOSE = 0x8,
    TWS_OP_PING = 0x9,
    TWS_OP_PONG = 0xA,
};

/** Close code recorded for a close frame without a code. */
#define TWS_CLOSE_NO_CODE 1005
/** Close code recorded when the connection ended without a close frame. */
#define TWS_CLOSE_ABNORMAL 1006

/** Starts connecting to ws://127.0.0.1:port + path_and_query (e.g. "/ws?user_id=u1").
 *  extra_headers: NULL-terminated "Name: value" lines added to the upgrade request (may be
 *  NULL); subprotocol: offered in Sec-WebSocket-Protocol (may be NULL).  The request is sent
 *  by tws_pump once the socket is writable.  Returns NULL only when out of memory or out of
 *  sockets; a refused connect shows up later as TWS_ERROR.  Free with tws_free. */
tws *tws_connect(int port, const char *path_and_query, const char *const *extra_headers,
                 const char *subprotocol);
/** Same, with the socket bound first to src_ip, any address of 127.0.0.0/8 (e.g.
 *  "127.0.0.7"), to open more connections than one source address has ports for. */
tws *tws_connect_from(const char *src_ip, int port, const char *path_and_query,
                      const char *const *extra_headers, const char *subprotocol);

/** Completes the connect, flushes the out buffer, reads what is available and handles it:
 *  the HTTP answer, then frames (fragments are reassembled; a ping is answered with a pong
 *  unless auto-pong is off; a close frame is recorded and answered).  Never blocks.
 *  Returns 0, or -1 once the peer is in TWS_ERROR. */
int tws_pump(tws *c);

/** Pops the oldest complete message.  *opcode is TWS_OP_TEXT or TWS_OP_BINARY, *data a
 *  NUL-terminated copy the caller frees with free(), *len its length without the NUL.
 *  Any out-parameter may be NULL (then data is freed for you).  False when none is queued. */
bool tws_next(tws *c, int *opcode, char **data, size_t *len);
/** Number of complete messages waiting in tws_next. */
size_t tws_pending(const tws *c);

/** Queues and flushes a text frame (no UTF-8 check, on purpose).  Returns 0, -1 on error. */
int tws_send_text(tws *c, const char *text, size_t len);
/** Queues and flushes a binary frame. */
int tws_send_binary(tws *c, const void *data, size_t len);
/** Queues and flushes one masked frame with any opcode (also reserved ones) and fin bit. */
int tws_send_frame(tws *c, int opcode, bool fin, const void *data, size_t len);
/** Queues and flushes a ping with payload (len <= 125 for a valid one). */
int tws_send_ping(tws *c, const void *data, size_t len);
/** Queues and flushes a close frame with code and reason (reason may be NULL); code 0
 *  sends a close frame without payload.  The state becomes TWS_CLOSED when the answer (or
 *  EOF) arrives. */
int tws_send_close(tws *c, int code, const char *reason);
/** Queues and flushes bytes as they are, without framing. */
int tws_send_raw(tws *c, const void *bytes, size_t len);
/** Whether pings are answered automatically (default true). */
void tws_set_auto_pong(tws *c, bool on);

tws_conn_state tws_state(const tws *c);
/** Name of a state, for assertion messages. */
const char *tws_state_name(tws_conn_state s);
/** HTTP status of the handshake answer (101 when open), 0 before it arrives. */
int tws_http_status(const tws *c);
/** Body of a refused handshake answer (NUL-terminated, "" when none).  Borrowed until
 *  tws_free. */
const char *tws_http_body(const tws *c);
/** Header of the handshake answer, name case-insensitive, or NULL.  Borrowed until tws_free. */
const char *tws_http_header(const tws *c, const char *name);
/** Close code received (TWS_CLOSE_NO_CODE, TWS_CLOSE_ABNORMAL), 0 while not closed. */
int tws_close_code(const tws *c);
/** Close reason received ("" when none).  Borrowed until tws_free. */
const char *tws_close_reason(const tws *c);
/** Why the peer is in TWS_ERROR ("" otherwise).  Borrowed until tws_free. */
const char *tws_error_text(const tws *c);
/** Number of ping and pong frames received. */
unsigned tws_pings_received(const tws *c);
unsigned tws_pongs_received(const tws *c);
/** The socket, or -1 once it is closed. */
int tws_fd(const tws *c);
/** True when there are bytes the socket has not taken yet (or the connect is under way):
 *  the poll events should include POLLOUT. */
bool tws_wants_write(const tws *c);

/** Closes the TCP connection without a close frame (FIN).  State becomes TWS_CLOSED with
 *  TWS_CLOSE_ABNORMAL. */
void tws_close_tcp(tws *c);
/** Same, but resets the connection (RST) instead of a graceful FIN. */
void tws_reset_tcp(tws *c);
/** Closes the socket (without a close frame) and frees everything.  NULL is fine. */
void tws_free(tws *c);

/* Frame codec, exposed for unit tests. */

/** A decoded frame header; payload points into the decoded buffer. */
typedef struct tws_frame {
    int opcode;
    bool fin;
    uint8_t rsv; /* RSV1..3 as bits 2..0 */
    bool masked;
    size_t header_len;
    uint64_t payload_len;
    uint8_t *payload;
} tws_frame;

/** Encodes one frame into out (cap bytes): header, then the payload masked with mask (4
 *  bytes) or unmasked when mask is NULL.  Returns the frame's total size; when that is more
 *  than cap nothing is written (call again with a bigger buffer). */
size_t tws_frame_encode(uint8_t *out, size_t cap, int opcode, bool fin, const uint8_t *mask,
                        const void *payload, size_t len);
/** Decodes the frame at the start of buf (len bytes), unmasking its payload in place.
 *  Returns the frame's total size when it is complete, 0 when more bytes are needed, -1 when
 *  the header is invalid (64-bit length with the top bit set). */
ssize_t tws_frame_decode(uint8_t *buf, size_t len, tws_frame *f);

#endif
