/* SPDX-License-Identifier: MIT */
/* The hub's metrics registry (/metrics, docs/operations.md): plain counters and fixed-bucket
 * histograms owned by one hub and touched only on its loop thread.  The hot path adds to an
 * array slot or observes a histogram; nothing allocates, and the text is made only when
 * someone asks (metrics_text.c). */
#ifndef WSC_HUB_HUB_METRICS_H
#define WSC_HUB_HUB_METRICS_H

#include <stdint.h>

#include "loop/loop.h"
#include "models/histo.h"

struct wsc_conn;
struct wsc_hub;

/* How a connection reaches the hub (the "transport" label; a conn's 2-bit field). */
/* Transports, as labels: enum wsc__transport_kind (hub_internal.h) indexes them. */
#define WSC__TRANSPORT_COUNT 2

/* The "type" label of frames in and out: the message_type, with every application type other
 * than "text" counted as "other" (the label's values stay few). */
enum wsc__mtype {
    WSC__MT_TEXT = 0,
    WSC__MT_PING,
    WSC__MT_PONG,
    WSC__MT_ACK,
    WSC__MT_ERROR,
    WSC__MT_CONNECTED,
    WSC__MT_KICK_OUT,
    WSC__MT_OTHER,
    WSC__MT_COUNT
};

/* Why an upgrade was refused (the "reason" label). */
enum wsc__refusal {
    WSC__REFUSE_DRAINING = 0, /* 503: shutting down */
    WSC__REFUSE_RATE,         /* 429: connect rate per address */
    WSC__REFUSE_ORIGIN,       /* 403: origin not in the allow-list */
    WSC__REFUSE_AUTH,         /* 401: no or bad identity */
    WSC__REFUSE_FORBIDDEN,    /* 403: the application said no */
    WSC__REFUSE_CAPACITY,     /* 503: connection limits or out of memory */
    WSC__REFUSE_PENDING,      /* socket closed: too many not-yet-WebSocket connections */
    WSC__REFUSE_COUNT
};

/* Which rate limit tripped (the "limit" label). */
enum wsc__limit { WSC__LIMIT_CONNECT = 0, WSC__LIMIT_FRAME, WSC__LIMIT_COUNT };

struct wsc__hub_metrics {
    uint64_t conns[WSC__TRANSPORT_COUNT];  /* live now */
    uint64_t users[WSC__TRANSPORT_COUNT];  /* users with a connection of that transport */
    uint64_t opened[WSC__TRANSPORT_COUNT]; /* connections opened so far */
    uint64_t frames_in[WSC__MT_COUNT];     /* client frames parsed, by type */
    uint64_t frames_out[WSC__MT_COUNT];    /* frames written, by type */
    uint64_t refused[WSC__REFUSE_COUNT];
    uint64_t limited[WSC__LIMIT_COUNT];
    wsc__histo queue_depth; /* a connection's queue length after each enqueue */
    wsc__histo deliver_us;  /* queued -> written, microseconds */
    wsc__histo ack_rtt_us;  /* ACK send sent -> its ACK, microseconds */
    wsc__histo lag_us;      /* how late the loop's lag timer fired, microseconds */
    /* The queuing stamp (hub_send.c): of route now_mark, or when now_mark is 0 of single sends
     * in loop pass now_pass, taken now_uses times so far. */
    uint64_t now_us, now_mark, now_pass;
    unsigned now_uses;
    /* The written stamp (hub_send.c): read in loop pass sent_pass, used sent_uses times. */
    uint64_t sent_us, sent_pass;
    unsigned sent_uses;
    wsc__timer lag_timer;
    uint64_t lag_due_us; /* when the lag timer should fire */
};

/** Sets up the registry and starts the loop-lag timer on hub's loop. */
void wsc__metrics_init(struct wsc_hub *hub);
/** Stops the lag timer. */
void wsc__metrics_stop(struct wsc_hub *hub);
/** The type class of a message_type. */
enum wsc__mtype wsc__metrics_mtype(const char *type);
/** conn was registered (call after it joined its user's list). */
void wsc__metrics_conn_open(struct wsc_hub *hub, const struct wsc_conn *conn);
/** conn is being unregistered (call while it is still in its user's list). */
void wsc__metrics_conn_closed(struct wsc_hub *hub, const struct wsc_conn *conn);

#endif
