/* SPDX-License-Identifier: MIT */
/* The client: one WebSocket connection to a hub (or any WebSocket server) that reconnects with
 * backoff, keeps itself alive with pings, queues what is sent while disconnected, ACKs and
 * de-duplicates hub messages (PROTOCOL.md), and asks the hub for receipts.  Every call except
 * the send family must be made on the client's loop thread (inside a callback, or between
 * wsc_loop_run_once() calls, or before wsc_client_run()); the send family may be called from
 * any thread.  Every callback runs on the loop thread.  docs/client.md has the reconnect rules. */
#ifndef WSC_CLIENT_H
#define WSC_CLIENT_H

#include <stdbool.h>

#include <wsc/common.h>
#include <wsc/error.h>
#include <wsc/log.h>
#include <wsc/loop.h>
#include <wsc/msg.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_client wsc_client;

/** Where the client is in its life. */
typedef enum wsc_client_state {
    WSC_CLIENT_DISCONNECTED = 0, /**< created, wsc_client_connect() not called yet */
    WSC_CLIENT_CONNECTING,       /**< a connection attempt is under way */
    WSC_CLIENT_CONNECTED,        /**< the WebSocket is open */
    WSC_CLIENT_RECONNECTING,     /**< waiting out a backoff delay before the next attempt */
    WSC_CLIENT_CLOSED            /**< final: closed for good, no more attempts */
} wsc_client_state;

/** One extra handshake header, for example {"X-Tenant", "acme"}.  Both copied by _new. */
typedef struct wsc_client_header {
    const char *name;
    const char *value;
} wsc_client_header;

/** The WebSocket is open (each time, also after a reconnect). */
typedef void (*wsc_client_connected_cb)(wsc_client *c, void *user);
/** A connection attempt failed before the WebSocket opened.  http_status is the server's answer
 *  (401, 503, ...) or 0 when there was none (refused, DNS, TLS); err is WSC_ERR_UNAUTHORIZED
 *  (401), WSC_ERR_FORBIDDEN (403), WSC_ERR_LIMIT (429, 503) or WSC_ERR_IO.  reason is borrowed. */
typedef void (*wsc_client_connect_error_cb)(wsc_client *c, wsc_err err, int http_status,
                                            const char *reason, void *user);
/** An open WebSocket closed: code is the peer's close code, 1006 for a lost connection or a
 *  keepalive timeout, or our own code after wsc_client_close().  reason is borrowed. */
typedef void (*wsc_client_disconnected_cb)(wsc_client *c, int code, const char *reason, void *user);
/** The next attempt (1 for the first reconnect) starts in delay_ms. */
typedef void (*wsc_client_reconnecting_cb)(wsc_client *c, unsigned attempt, uint64_t delay_ms,
                                           void *user);
/** The client reached WSC_CLIENT_CLOSED; the last callback.  code is the close code that ended
 *  it (see disconnected), or 0 when it ended without one (attempts exhausted, refused). */
typedef void (*wsc_client_close_cb)(wsc_client *c, int code, const char *reason, void *user);
/** A text frame arrived (whole message, reassembled).  Borrowed for the call.  Hub messages
 *  whose message_id was already seen inside the dedupe window never get here. */
typedef void (*wsc_client_text_cb)(wsc_client *c, const char *text, size_t len, void *user);
/** A binary frame arrived (whole message).  Borrowed for the call. */
typedef void (*wsc_client_binary_cb)(wsc_client *c, const void *data, size_t len, void *user);
/** A text frame that parsed as a hub frame, after the text callback.  Borrowed: wsc_msg_ref() it
 *  to keep it. */
typedef void (*wsc_client_message_cb)(wsc_client *c, wsc_msg *msg, void *user);
/** A frame queued by a send call was handed to the socket.  id is the one the send returned;
 *  msg is the message of wsc_client_send_msg() or NULL; data/len are the frame's payload.
 *  All borrowed for the call. */
typedef void (*wsc_client_sent_cb)(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data,
                                   size_t len, void *user);
/** A queued frame will never be sent: WSC_ERR_CLOSED (closed for good) or WSC_ERR_CANCELED
 *  (client freed).  Exactly once for every queued frame that was not sent. */
typedef void (*wsc_client_send_failed_cb)(wsc_client *c, uint64_t id, const wsc_msg *msg,
                                          const void *data, size_t len, wsc_err reason, void *user);
/** The end of a receipt request (a message sent with require_ack).  status WSC_OK: the hub
 *  answered with hub_status ("delivered", "stored" or "rejected"); WSC_ERR_TIMEOUT: no answer
 *  after ack_max_retries resends; WSC_ERR_CLOSED / WSC_ERR_CANCELED: closed or freed first;
 *  WSC_ERR_NOMEM: the message was sent but there was no memory to wait for its answer. */
typedef void (*wsc_client_receipt_cb)(wsc_client *c, uint64_t id, const wsc_msg *msg,
                                      wsc_err status, const char *hub_status, void *user);
/** The hub closed with 4004 (token expired) or refused with 401.  Call wsc_client_set_token()
 *  now or before the reconnect delay ends; the next attempt uses whatever token is set then. */
typedef void (*wsc_client_token_refresh_cb)(wsc_client *c, void *user);

/** Reconnection: exponential backoff with full jitter (docs/client.md). */
typedef struct wsc_client_reconnect {
    bool enabled;          /**< default true */
    uint64_t min_delay_ms; /**< default 500 */
    uint64_t max_delay_ms; /**< default 30000 */
    double factor;         /**< default 2.0 */
    unsigned
        max_attempts; /**< consecutive failed attempts before giving up; 0 (default) = no limit */
} wsc_client_reconnect;

/** Client configuration.  wsc_client_config_init() sets the defaults given here;
 *  wsc_client_new() copies everything (strings and header arrays included). */
typedef struct wsc_client_config {
    const char *url;      /**< ws://host[:port]/path[?query] or wss://...; required */
    wsc_loop *loop;       /**< NULL: the client makes and owns a loop (wsc_client_run) */
    const char *token;    /**< bearer token or NULL */
    bool token_in_header; /**< send "Authorization: Bearer <token>"; default true */
    bool token_in_query;  /**< append "token=<token>" to the query; default false */
    const wsc_client_header *headers; /**< extra handshake headers, or NULL */
    size_t header_count;
    const char *subprotocol;   /**< offered sub-protocol; default "wsc.v1"; NULL: none */
    const char *ca_file;       /**< PEM CA bundle for wss://; NULL: the system store */
    bool insecure_skip_verify; /**< wss:// without certificate or host name checks; default
                                    false.  For tests only. */
    size_t max_message_size;   /**< largest received message; default 1 MiB */
    wsc_client_reconnect reconnect;
    uint64_t ping_interval_ms; /**< WebSocket ping period; default 20000; 0: no keepalive */
    uint64_t pong_timeout_ms; /**< silence after a ping that counts as a dead peer; default 10000 */
    uint64_t connect_timeout_ms; /**< one attempt, TCP + TLS + handshake; default 10000 */
    size_t queue_max_count;      /**< frames waiting to be sent; default 1024 */
    size_t queue_max_bytes;      /**< their payload bytes; default 4 MiB */
    bool auto_ack;               /**< ACK hub messages with require_ack; default true */
    size_t dedupe_window;        /**< message_ids remembered; default 1024; 0: no dedupe */
    uint64_t ack_timeout_ms;     /**< receipt wait before a resend; default 5000 */
    unsigned ack_max_retries;    /**< resends before WSC_ERR_TIMEOUT; default 3 */

    wsc_client_connected_cb on_connected;
    wsc_client_connect_error_cb on_connect_error;
    wsc_client_disconnected_cb on_disconnected;
    wsc_client_reconnecting_cb on_reconnecting;
    wsc_client_close_cb on_close;
    wsc_client_text_cb on_text;
    wsc_client_binary_cb on_binary;
    wsc_client_message_cb on_message;
    wsc_client_sent_cb on_sent;
    wsc_client_send_failed_cb on_send_failed;
    wsc_client_receipt_cb on_receipt;
    wsc_client_token_refresh_cb on_token_refresh;
    void *user; /**< passed to every callback */
    wsc_log_config log;
} wsc_client_config;

/** Fills cfg with the defaults documented on each field; url stays NULL. */
WSC_API void wsc_client_config_init(wsc_client_config *cfg);

/** Creates a client (state WSC_CLIENT_DISCONNECTED); nothing connects until
 *  wsc_client_connect().  Returns WSC_ERR_INVALID (no or bad url, bad limits),
 *  WSC_ERR_NOMEM, WSC_ERR_IO (own loop or TLS setup failed). */
WSC_API wsc_err wsc_client_new(wsc_client **out, const wsc_client_config *cfg);

/** Frees the client: the connection is dropped without a close handshake, every queued frame is
 *  reported through on_send_failed with WSC_ERR_CANCELED and every open receipt with
 *  WSC_ERR_CANCELED (inside this call); on_close does not run.  Allowed inside the client's own
 *  callbacks (released after the callback returns), except for a client that owns its loop,
 *  which must be freed after wsc_client_run() returned.  NULL is fine. */
WSC_API void wsc_client_free(wsc_client *c);

/** Starts connecting, asynchronously: on_connected or on_connect_error runs later.  Returns
 *  WSC_ERR_STATE unless the state is WSC_CLIENT_DISCONNECTED. */
WSC_API wsc_err wsc_client_connect(wsc_client *c);

/** Closes for good with code (1000 or 3000-4999) and reason (<= 123 bytes, may be NULL).  An
 *  open connection gets a close frame; an attempt or a backoff wait is canceled at once.  Then
 *  queued frames fail with WSC_ERR_CLOSED and on_close runs, later.  Returns WSC_ERR_INVALID
 *  for a bad code or reason, WSC_ERR_STATE when already closed or closing. */
WSC_API wsc_err wsc_client_close(wsc_client *c, int code, const char *reason);

/** The current state. */
WSC_API wsc_client_state wsc_client_state_get(const wsc_client *c);

/** Queues one text frame (copied).  Any thread.  *id_out (may be NULL) gets the id reported
 *  by on_sent / on_send_failed.  Returns WSC_ERR_QUEUE_FULL at once when the queue is at its
 *  count or byte bound, WSC_ERR_TOO_LARGE over max_message_size, WSC_ERR_CLOSED when closed,
 *  WSC_ERR_NOMEM.  On error nothing is queued and no callback runs. */
WSC_API wsc_err wsc_client_send_text(wsc_client *c, const char *text, size_t len, uint64_t *id_out);

/** Queues one binary frame (copied).  Any thread.  Errors as wsc_client_send_text(). */
WSC_API wsc_err wsc_client_send_binary(wsc_client *c, const void *data, size_t len,
                                       uint64_t *id_out);

/** Queues a hub message (adds its own reference; the message is encoded and frozen on the
 *  calling thread before the call returns, see wsc/msg.h "Threads").  If it has
 *  require_ack, a message_id is set when missing (WSC_ERR_INVALID if it is frozen without one)
 *  and a receipt is awaited: on_receipt runs once for it.  Urgent and critical messages go ahead
 *  of queued normal traffic.  Any thread.  Errors as wsc_client_send_text(). */
WSC_API wsc_err wsc_client_send_msg(wsc_client *c, wsc_msg *msg, uint64_t *id_out);

/** Replaces the token used by the next connection attempt (copied; NULL clears it). */
WSC_API wsc_err wsc_client_set_token(wsc_client *c, const char *token);

/** Frames waiting in the send queue (any thread). */
WSC_API size_t wsc_client_queue_count(const wsc_client *c);

/** Receipts awaited (messages sent with require_ack and not answered yet). */
WSC_API size_t wsc_client_receipts_pending(const wsc_client *c);

/** The loop the client runs on (its own or the one it was given). */
WSC_API wsc_loop *wsc_client_loop(const wsc_client *c);

/** Runs the client's own loop until the client is closed for good or wsc_client_stop().
 *  Returns WSC_ERR_STATE for a client on a loop it was given. */
WSC_API wsc_err wsc_client_run(wsc_client *c);

/** Makes wsc_client_run() return soon.  Safe from any thread and from signal handlers. */
WSC_API void wsc_client_stop(wsc_client *c);

/** A sentence about the last failure (connect error, close reason); borrowed until the next
 *  call on c; "" when none. */
WSC_API const char *wsc_client_last_error(const wsc_client *c);

/** A state as text ("connected"); a static string. */
WSC_API const char *wsc_client_state_name(wsc_client_state state);

#ifdef __cplusplus
}
#endif
#endif
