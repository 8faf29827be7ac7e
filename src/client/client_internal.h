/* SPDX-License-Identifier: MIT */
/* The inside of wsc_client, shared by the files of src/client/: lifecycle and API (client.c), the
 * send family (client_send.c), the lws connection (client_conn.c), the reconnect and keepalive
 * timers (client_life.c), the receive path (client_rx.c) and receipts (client_ack.c). */
#ifndef WSC_CLIENT_INTERNAL_H
#define WSC_CLIENT_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <wsc/client.h>

#include "client/client_dedupe.h"
#include "client/client_queue.h"
#include "loop/loop.h"
#include "middleware/logger.h"
#include "models/errtext.h"

/** A receipt awaited for one of our messages (require_ack). */
struct wsc__receipt {
    struct wsc__receipt *next;
    struct wsc_client *client;
    uint64_t id;
    wsc_msg *msg; /* reference */
    unsigned resends;
    wsc__timer timer;
};

struct wsc_client {
    struct wsc__handler handler; /* the lws dispatcher finds us through this */
    wsc_client_config cfg;       /* strings point at the copies below */
    char *url, *token, *ca_file, *subprotocol;
    wsc_client_header *headers;
    wsc_loop *loop;
    bool own_loop;
    wsc__logger log;
    struct lws_vhost *vhost; /* own vhost for a CA file, else the loop's */

    /* Parsed url (pointers into url_parts). */
    char *url_parts;
    const char *scheme, *host, *path_query;
    int port;
    bool tls;

    /* Written on the loop, read by senders on any thread (and wsc_client_state_get): atomic. */
    _Atomic(wsc_client_state) state;
    struct lws *wsi;     /* the current attempt or connection */
    bool established;    /* wsi reached the open WebSocket */
    atomic_bool closing; /* wsc_client_close() was called (read by senders too) */
    bool close_sent;     /* our close frame is on its way */
    bool drop;           /* kill the connection (keepalive timeout) */
    int close_code;      /* what ends this connection */
    char close_reason[128];
    int http_status;  /* of a refused upgrade */
    unsigned attempt; /* consecutive failed attempts since the last open */
    uint64_t rng;

    /* Timers (loop thread only). */
    wsc__timer start_timer;   /* the first attempt, and the next after a backoff delay */
    wsc__timer ping_timer;    /* next ping */
    wsc__timer pong_timer;    /* liveness deadline after a ping */
    wsc__timer connect_timer; /* bounds one attempt */
    wsc__timer finish_timer;  /* runs the final close callbacks outside API calls */
    bool ping_due;

    /* Send side: the queue and its counters are shared with other threads under lock. */
    pthread_mutex_t lock;
    struct wsc__cqueue queue;
    uint64_t next_id;
    unsigned posts; /* kick posts not yet run */
    bool kick_posted;

    /* Receive side. */
    unsigned char *rx;
    size_t rx_len, rx_cap;
    unsigned char *tx; /* LWS_PRE + frame: lws masks client frames in place */
    size_t tx_cap;
    bool rx_binary;
    struct wsc__dedupe dedupe;
    wsc_msg_limits limits;

    struct wsc__receipt *receipts;
    size_t receipt_count;

    unsigned depth; /* nesting of entries from the loop (callbacks, timers, posts) */
    bool freed;     /* wsc_client_free() was called */
    wsc__errtext last_error;
};

/* client.c */
/** Frees the client's memory (after wsc_client_free() and the last pending post). */
void wsc__client_release(struct wsc_client *c);
/** Marks an entry from the loop into the client. */
void wsc__client_enter(struct wsc_client *c);
/** Ends an entry; returns true when the client was released (do not touch it any more). */
bool wsc__client_leave(struct wsc_client *c);
/* client_send.c */
/** Frees one queue item (drops its message reference). */
void wsc__client_item_free(struct wsc__citem *it);
/** Enqueues an item from the loop thread (lock taken inside) and asks for WRITEABLE. */
wsc_err wsc__client_enqueue(struct wsc_client *c, struct wsc__citem *it);
/** Reports every queued item through on_send_failed with reason and frees it. */
void wsc__client_fail_queue(struct wsc_client *c, wsc_err reason);

/* client_conn.c */
/** Starts one connection attempt now (state CONNECTING). */
void wsc__client_attempt(struct wsc_client *c);
/** The lws callback of our wsi (through the handler). */
int wsc__client_lws_cb(struct wsc__handler *h, struct lws *wsi, enum lws_callback_reasons reason,
                       void *in, size_t len);
/** Asks lws for WRITEABLE when there is an open connection. */
void wsc__client_want_write(struct wsc_client *c);
/** Splits cfg->url; WSC_ERR_INVALID. */
wsc_err wsc__client_parse_url(struct wsc_client *c);
/** Creates the own vhost when TLS needs a CA file; WSC_ERR_IO. */
wsc_err wsc__client_vhost_new(struct wsc_client *c);

/* client_life.c */
void wsc__client_timers_init(struct wsc_client *c);
void wsc__client_timers_stop(struct wsc_client *c);
/** The WebSocket opened. */
void wsc__client_on_open(struct wsc_client *c);
/** The attempt or the connection ended (wsi is gone): report and decide what comes next. */
void wsc__client_on_end(struct wsc_client *c);
/** Any frame or pong arrived: the peer is alive. */
void wsc__client_alive(struct wsc_client *c);
/** A ping left: start the pong deadline if not running. */
void wsc__client_ping_sent(struct wsc_client *c);
/** Enters CLOSED for good: fails the queue and receipts, then on_close (later).  reason is
 *  never NULL (it is copied, cut to 127 bytes). */
void wsc__client_finish(struct wsc_client *c, int code, const char *reason);

/* client_rx.c */
/** A complete received message (text or binary). */
void wsc__client_on_message(struct wsc_client *c, const unsigned char *data, size_t len,
                            bool binary);

/* client_ack.c */
/** A frame with a require_ack message was written: start or restart its receipt timer. */
void wsc__client_receipt_written(struct wsc_client *c, struct wsc__citem *it);
/** An "ack" frame from the hub; true when it answered one of our receipts. */
bool wsc__client_receipt_acked(struct wsc_client *c, const wsc_msg *ack);
/** Ends every receipt with status (closed, canceled). */
void wsc__client_receipts_fail(struct wsc_client *c, wsc_err status);

#endif
