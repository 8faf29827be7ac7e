/* SPDX-License-Identifier: MIT */
/* The hub's private state, shared by the files of src/hub/.  Everything here is touched only on
 * the loop thread. */
#ifndef WSC_HUB_HUB_INTERNAL_H
#define WSC_HUB_HUB_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include <libwebsockets.h>

#include <wsc/hub.h>

#include "hub/conn_queue.h"
#include "hub/hub_metrics.h"
#include "loop/loop.h"
#include "middleware/logger.h"
#include "middleware/rate_limit.h"
#include "models/errtext.h"
#include "models/hmap.h"
#include "models/list.h"

/* Connection states. */
enum conn_state {
    CONN_HTTP = 0, /* a plain HTTP transaction (or an upgrade not yet accepted) */
    CONN_OPEN,     /* registered WebSocket */
    CONN_CLOSING,  /* close requested; no more traffic queued */
    CONN_GONE      /* unregistered */
};

struct hub_user;
struct wsc_http_req;
struct wsc__rel;

/* The identity decided before the upgrade, kept until ESTABLISHED. */
struct pending_identity {
    char peer[48];
    char *user_id;
    char *client_id;
    char *app_id;
    char **groups; /* NULL-terminated, owned */
    int64_t exp_s; /* JWT expiry, seconds since the epoch; 0: none */
};

/* What few connections need, allocated on first use and freed when empty (conn_extra_trim):
 * the close reason, a message arriving in fragments, the per-connection rate bucket, and the
 * identity's optional app id and groups (most tokens carry neither). */
struct conn_extra {
    char *close_reason; /* owned */
    char *app_id;       /* owned, NULL when the identity has none */
    char **groups;      /* JWT gid, NULL-terminated, owned */
    wsc__bucket rate;   /* client frames (msg_rate_per_conn); last_ms 0: unused */
    wsc__bucket bytes;  /* client bytes (bytes_rate_per_conn), set up with rate */
    wsc_msg *tx_hold;   /* a reference to the message lws's deflater may still read */
    size_t rx_len, rx_cap;
    char rx[]; /* rx_cap bytes: reassembly of a fragmented message */
};

/* Client ids shorter than this live inline (the hub's own "c-<13 base36>" always does);
 * longer ones are allocated. */
#define WSC_CONN_CID_INLINE 16

/* One WebSocket connection; lives in the lws per-session storage of its wsi, so every byte
 * here is paid by every idle connection (docs/architecture.md, "Memory per connection").
 * 152 bytes (a 160-byte malloc chunk): the hub is the vhost's user (wsc__conn_hub), the send
 * queue head is one pointer, rarely set fields live in conn_extra. */
struct wsc_conn {
    struct lws *wsi;
    wsc_conn_id id;
    uint8_t state : 2;   /* enum conn_state */
    uint8_t deflate : 1; /* permessage-deflate negotiated (hub_deflate.c) */
    uint8_t ping_pending : 1;
    uint8_t rx_binary : 1;
    uint8_t close_flush : 1;  /* write what is queued before closing */
    uint8_t replay_hold : 1;  /* offline replay under way: application frames wait (rel) */
    uint8_t cid_heap : 1;     /* the client id is in cid.heap (else inline in cid.text) */
    uint8_t cluster_hold : 1; /* nothing is written until the other nodes can reach the user */
    uint8_t ip_counted : 1;   /* counted in hub->ip_conns (hub_ip_conns.c) */
    uint8_t transport : 1;    /* enum wsc__transport_kind: how frames leave (wsc__transport); the
                                 metrics' label */
    uint8_t corked : 1;       /* in hub->cork: written when the window ends */
    int16_t close_code;       /* close we asked for (0: none) */
    int16_t peer_close_code;  /* from the peer's close frame (0: none) */
    uint16_t violations;      /* bad frames so far, saturating (fits the padding here) */
    uint32_t exp_s;           /* token expiry, seconds since the epoch (0: none); see sweep */
    uint32_t peer_v4;         /* peer IPv4 address, network order (0: ask lws) */
    /* Milliseconds since the hub started (wsc__hub_now32), compared modulo 2^32: correct for
     * any interval under 49 days, and the sweep looks at every connection each second. */
    uint32_t last_rx_ms;
    uint32_t last_ping_ms;
    uint64_t route_mark;  /* the multi-target route that last queued to this conn */
    struct conn_extra *x; /* lazy, see above */
    struct hub_user *user;
    union {
        char text[WSC_CONN_CID_INLINE]; /* NUL-terminated */
        char *heap;                     /* owned */
    } cid;
    wsc__hnode by_id;          /* hub->conns_by_id */
    struct wsc_list user_link; /* hub_user->conns */
    struct wsc_list all_link;  /* hub->conns */
    struct wsc__conn_queue q;
    void *app_user;
    struct wsc_http_req *http;
};

/* How a connection's frames reach its client.  The kind lives in wsc_conn.transport (one
 * bit); everything else about a connection (registry, queue, routing, kick) is shared. */
enum wsc__transport_kind {
    WSC_TRANSPORT_WS = 0, /* WebSocket (hub_send.c) */
    WSC_TRANSPORT_SSE = 1 /* HTTP event stream, PROTOCOL.md §6 (sse_stream.c) */
};

/* What differs between transports: how queued frames, keep-alives and the close are written,
 * and the liveness rules.  One const table per kind. */
struct wsc__transport {
    /** Writes the first queued frames (waiting >= 1 of them; as many as one write holds) and
     *  reports them sent (wsc__hub_sent).  -1 when the connection must close. */
    int (*write)(wsc_hub *hub, wsc_conn *conn, size_t waiting);
    /** Writes a keep-alive.  -1 when the connection must close. */
    int (*ping)(wsc_hub *hub, wsc_conn *conn);
    /** Ends conn as conn->close_code asks; returns what the lws callback returns (-1). */
    int (*close)(wsc_conn *conn);
    /** The keep-alive period of this transport's connections. */
    unsigned (*ping_interval_ms)(const wsc_hub *hub);
    bool binary;    /* binary frames can be carried (else refused: WSC_ERR_UNSUPPORTED) */
    bool heartbeat; /* the client answers pings: silence for pong_timeout_ms closes (4003) */
};

extern const struct wsc__transport wsc__transport_ws;  /* hub_send.c */
extern const struct wsc__transport wsc__transport_sse; /* sse_stream.c */

/** The hub conn belongs to (the user of its wsi's vhost). */
static inline wsc_hub *
wsc__conn_hub(const wsc_conn *conn)
{
    return (wsc_hub *)lws_get_vhost_user(lws_get_vhost(conn->wsi));
}

/** The transport of conn. */
static inline const struct wsc__transport *
wsc__conn_transport(const wsc_conn *conn)
{
    return conn->transport == WSC_TRANSPORT_SSE ? &wsc__transport_sse : &wsc__transport_ws;
}

/** conn's client id ("" before the connection opened). */
static inline const char *
wsc__conn_client_id(const wsc_conn *conn)
{
    return conn->cid_heap ? conn->cid.heap : conn->cid.text;
}

/** conn's app id, or NULL. */
static inline const char *
wsc__conn_app_id(const wsc_conn *conn)
{
    return conn->x != NULL ? conn->x->app_id : NULL;
}

/** The plain user id of a user key (wsc_user_key: the part after the app id, if any). */
static inline const char *
wsc__user_plain(const char *key)
{
    const char *s = key != NULL ? strchr(key, '\x1f') : NULL;
    return s != NULL ? s + 1 : key;
}

/** The key of user or group id in conn's app (wsc_user_key).  WSC_ERR_INVALID,
 *  WSC_ERR_TOO_LARGE. */
static inline wsc_err
wsc__conn_scope(const wsc_conn *conn, const char *id, char *out, size_t cap)
{
    return wsc_user_key(wsc__conn_app_id(conn), id, out, cap);
}

/** True when conn belongs to app_id (NULL or "" is the app-less tenant). */
static inline bool
wsc__conn_in_app(const wsc_conn *conn, const char *app_id)
{
    const char *a = wsc__conn_app_id(conn);
    return strcmp(a != NULL ? a : "", app_id != NULL ? app_id : "") == 0;
}

/** conn's groups (NULL-terminated), or NULL. */
static inline char *const *
wsc__conn_groups(const wsc_conn *conn)
{
    return conn->x != NULL ? conn->x->groups : NULL;
}

/* A user with at least one live connection.  48 bytes before the id, so ids of up to 7 bytes
 * fit a 64-byte malloc chunk (no connection count: the list is walked when a limit asks). */
struct hub_user {
    wsc__snode node;      /* hub->users, keyed by id */
    struct wsc_list link; /* hub->user_order (registration order) */
    struct wsc_list conns;
    char id[]; /* NUL-terminated */
};

/* The connections written when a received frame is handled or a burst ends (hub_cork.c). */
struct wsc__cork {
    wsc_hub *hub;
    wsc_conn **v; /* deferred connections (NULL: closed since), n of cap */
    size_t n, cap;
    size_t woken;      /* connections the current frame deferred */
    size_t touched;    /* frames the current one queued (deferred or not) */
    size_t bus_woken;  /* frames the last message from the bus queued (touched) */
    size_t bytes;      /* received in the window so far */
    uint64_t since_us; /* wsc__mono_us() of the window's first deferral (0: no window) */
    wsc__timer timer;  /* ends a window no frame kept open for WSC__CORK_IDLE_MS */
    bool on;           /* a received frame is being handled: enqueues may defer */
    wsc__soon soon;    /* writes the window at the end of the loop's pass */
    bool held; /* the cluster's publishes wait for the window (wsc__cluster_hold_publishes) */
};

/* References to one message whose drops wait (hub_refs.c). */
struct wsc__hub_refs {
    wsc_msg *msg;   /* NULL: none wait */
    unsigned n;     /* drops owed on msg */
    wsc_loop *loop; /* flushed at the end of its pass */
    wsc__soon soon;
};
void wsc__hub_refs_init(struct wsc__hub_refs *r, wsc_loop *loop);
/** Drops what waits (hub free, and the end of every pass that deferred one). */
void wsc__hub_refs_flush(struct wsc__hub_refs *r);
/** wsc_msg_ref on the loop thread, cancelling a deferred drop of msg when one waits. */
void wsc__hub_ref(struct wsc__hub_refs *r, wsc_msg *msg);
/** wsc_msg_unref on the loop thread, deferred to the end of the pass. */
void wsc__hub_unref(struct wsc__hub_refs *r, wsc_msg *msg);

/* A window lasts at most this long and this many received bytes (a burst of 50 frames of 1 KB
 * fits), and ends when no frame kept it open for WSC__CORK_IDLE_MS; only a frame that queued
 * to this many connections looks for more bytes behind it. */
#define WSC__CORK_MAX_US    100000
#define WSC__CORK_IDLE_MS   2
#define WSC__CORK_MAX_BYTES (64 * 1024)
#define WSC__CORK_MIN_CONNS 8
/* Frames that woke fewer connections (point-to-point) leave their receivers listed until the
 * end of the loop's pass, or until this many connections wait: one burst of writes per pass
 * instead of a write between every two reads (hub_cork.c). */
#define WSC__CORK_PASS_CONNS 16

struct wsc_hub {
    wsc_hub_config cfg; /* strings point into owned copies below */
    char *str_host, *str_path, *str_node, *str_cert, *str_key, *str_secret;
    char **str_origins;
    wsc_loop *loop;
    bool own_loop;
    struct lws_vhost *vh;
    char vh_name[32]; /* lws keeps a pointer to it */
    struct lws_protocols protocols[2];
    int port;
    wsc__logger log;

    wsc__hmap users; /* id -> hub_user */
    struct wsc_list user_order;
    wsc__hmap conns_by_id; /* id -> wsc_conn */
    struct wsc_list conns; /* every registered conn */
    size_t n_conns;
    size_t n_upgrading;        /* accepted upgrades not yet established */
    wsc__hmap groups;          /* id -> hub_group */
    struct wsc_list http_reqs; /* live plain HTTP requests */
    uint64_t next_conn_id;
    uint64_t next_msg_seq;
    uint64_t route_mark;     /* current multi-target route (0: none): one copy per conn */
    wsc_err last_send_error; /* why the last enqueue failed (wsc__hub_report_failed) */

    wsc__timer sweep;          /* pings and heartbeat timeouts */
    wsc__timer drain_deadline; /* graceful shutdown */
    bool draining, stopped, ready, freeing;
    bool vh_created;       /* the vhost exists: its finalize releases the hub (hub.c) */
    unsigned drain_rounds; /* deadline firings since the stop */
    uint64_t started_ms;   /* wsc__now_ms() at creation; see wsc__hub_now32 */
    wsc_hub_stats stats;
    struct wsc__hub_metrics metrics;  /* /metrics (hub_metrics.h) */
    struct ip_bucket *ip_buckets;     /* connect rate per peer address (lazy, fixed size) */
    struct user_bucket *user_buckets; /* frame and byte rates per user (lazy, fixed size) */
    wsc__hmap ip_conns;               /* open connections per address (hub_ip_conns.c) */
    unsigned char *wbuf;              /* coalescing buffer (LWS_PRE + WSC_HUB_WBUF) */
    struct wsc__cork cork;            /* writes held while a burst is read (hub_cork.c) */
    struct wsc__hub_refs refs;        /* message references dropped in bulk (hub_refs.c) */
    wsc_msg **deflate_parked;         /* owned refs (hub_deflate.c), n_parked of them */
    size_t n_parked;
    wsc__errtext last_error;
    struct wsc__rel *rel;           /* reliable delivery (rel_internal.h) */
    wsc__timer store_check;         /* store health (reliability.c) */
    struct wsc__store_probe *probe; /* the ping in flight, or NULL */
    bool store_down;                /* the last ping failed: /readyz answers 503 */
    char peer_text[48];             /* what wsc_conn_peer() returned last */
    char **str_secrets;             /* owned copy of cfg.jwt_secrets */
    char kept[256];                 /* fields the last reconfiguration kept (hub_reconfig.c) */
    /* connections not (yet) WebSockets, per peer address (hub_accept.c) */
    wsc__hmap hs_ips, hs_wsis;
    struct wsc_list hs_marks;
    uint8_t id_key[16];           /* keys the unguessable part of assigned ids (hub_ids.c) */
    struct wsc__cluster *cluster; /* the other nodes (cluster.h), NULL on a single node */
    char *str_cluster;
    char *str_sse; /* owned copy of cfg.sse_path ("" when SSE is off) */
};

/* configuration (hub.c, hub_reconfig.c) */
/** Checks cfg as wsc_hub_new and wsc_hub_reconfigure do; on failure writes "field: why" into
 *  why and returns WSC_ERR_INVALID. */
wsc_err wsc__hub_config_check(const wsc_hub_config *cfg, char *why, size_t cap);

/* reliable delivery (rel_internal.h is the layer's own header): the hooks the hub calls */
/** Creates hub->rel over cfg.store (a memory store of its own when NULL).  WSC_ERR_INVALID
 *  (cfg.ack), WSC_ERR_NOMEM, or the memory store's error; nothing is left on failure. */
wsc_err wsc__rel_new(wsc_hub *hub);
/** Frees hub->rel (NULL is fine).  Messages still pending are written to a store that
 *  outlives the hub; every pending send then completes (FAILED, WSC_ERR_CANCELED) and the
 *  answers still out are given. */
void wsc__rel_free(wsc_hub *hub);
/** Graceful stop begins: pending messages go to the store; new ACK sends are refused. */
void wsc__rel_stop(wsc_hub *hub);
/** True when no store op a graceful stop waits for is out. */
bool wsc__rel_idle(const wsc_hub *hub);
/** A connection was registered: offline replay, then resends of pending messages.
 *  resume_after (NULL: none): the message_id of the last stored message the client says it
 *  has (SSE Last-Event-ID, PROTOCOL.md §6): the stored messages up to and including it are
 *  removed as if ACKed, those after it replayed; an id not in the store changes nothing. */
void wsc__rel_conn_open(wsc_hub *hub, wsc_conn *conn, const char *resume_after);
/** A connection is going away (before its queue is failed). */
void wsc__rel_conn_closed(wsc_hub *hub, wsc_conn *conn);
/** Every (message, connection) failure reported by the hub. */
void wsc__rel_send_failed(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, wsc_err why);
/** conn is replaying: keeps msg (refs it) to be queued after the replay.  False when the
 *  message must be queued now. */
bool wsc__rel_park(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** An `ack` frame from conn's user (sender: the frame's `sender`, naming one of several
 *  messages that share the id; NULL for all of them). */
void wsc__rel_client_ack(wsc_hub *hub, wsc_conn *conn, const char *sender, const char *message_id);
/** Another node of the cluster stored a message for user: user's connections here replay. */
void wsc__rel_stored_elsewhere(wsc_hub *hub, const char *user);
/** An ACK that another node of the cluster got from user for a message this node tracks. */
void wsc__rel_remote_ack(wsc_hub *hub, const char *user, const char *sender,
                         const char *message_id);
/** A client message seen before (inside the window): its receipt is sent again and true is
 *  returned (do not route).  Otherwise it is remembered and false returned. */
bool wsc__rel_inbound_duplicate(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** The receipt answered to conn (NULL: gone) for sender's message mid, remembered in the
 *  window (a refusal a resend may overcome is forgotten instead). */
void wsc__rel_receipt_to(wsc_hub *hub, wsc_conn *conn, const char *sender, const char *mid,
                         const char *status, const char *error);
/** The receipt answered to conn for msg, remembered in the window. */
void wsc__rel_receipt(wsc_hub *hub, wsc_conn *conn, const wsc_msg *msg, const char *status,
                      const char *error);
/** A client message with require_ack to one receiver: delivered through the ACK tracker; the
 *  receipt is answered when it is queued or stored.  False when not handled here. */
bool wsc__rel_route_client(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** A client message with require_ack to one or more groups (no broadcast): tracked per
 *  receiver (receipt.c); the receipt is answered here.  False when not handled here (the
 *  caller routes it fire-and-forget).  Group permissions are the caller's to check first. */
bool wsc__rel_route_client_groups(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** The store the layer writes to (cfg.store, or its own memory store). */
struct wsc_store *wsc__rel_store(const wsc_hub *hub);
/** A fire-and-forget send addressed directly to user_id, who has no connection. */
void wsc__rel_user_offline(wsc_hub *hub, const char *user_id, wsc_msg *msg);

/** True when opts can be used: ack_timeout_ms > 0, backoff_factor >= 1 (and finite),
 *  jitter in [0, 1], base_delay_ms <= max_delay_ms (failure.c). */
bool wsc__retry_opts_valid(const wsc_ack_opts *opts);

/* store health (reliability.c): pings the store every store_check_ms */
void wsc__hub_store_check_start(wsc_hub *hub);
/** Stops the pings; a ping in flight is orphaned (its callback only frees it). */
void wsc__hub_store_check_stop(wsc_hub *hub);

/* conn lifecycle (hub_conn.c) */
/** A WebSocket was established: registers it with the identity kept on wsi.  0, or -1 (the
 *  connection is refused). */
int wsc__hub_conn_open(wsc_hub *hub, wsc_conn *conn, struct lws *wsi);
/** Registers conn (its transport set) on wsi with identity p (taken, freed here): the
 *  `connected` frame, offline replay (resume_after: see wsc__rel_conn_open), callbacks.
 *  0, or -1 when out of memory (conn stays unregistered). */
int wsc__hub_conn_register(wsc_hub *hub, wsc_conn *conn, struct lws *wsi,
                           struct pending_identity *p, const char *resume_after);
void wsc__hub_conn_closed(wsc_hub *hub, wsc_conn *conn);

/* corking (hub_cork.c) */
void wsc__hub_cork_init(wsc_hub *hub);
/** Ends any window (without asking for WRITEABLE: the hub is going) and frees the list. */
void wsc__hub_cork_free(wsc_hub *hub);
/** A received frame is about to be handled: what it queues may wait for the window. */
void wsc__hub_cork_begin(wsc_hub *hub);
/** The frame (or piece) of len bytes read from from is handled (open: from stays open): the
 * window stays open while from's socket holds more bytes, else it is flushed. */
void wsc__hub_cork_end(wsc_hub *hub, struct lws *from, bool open, size_t len);
/** A message that did not come from a client (one from the cluster bus) is handled: what it
 *  deferred is written at the end of the loop's pass, with what the rest of the read adds. */
void wsc__hub_cork_end_soon(wsc_hub *hub, size_t len);
/** conn's queue went from empty to one: true when its WRITEABLE is deferred to the window's
 *  end, false when the caller must ask for it now. */
bool wsc__hub_cork_defer(wsc_hub *hub, wsc_conn *conn);
/** Writes every deferred connection now (wsc__hub_write_now) and closes the window. */
void wsc__hub_cork_flush(wsc_hub *hub);
/** conn is closing: it leaves the window. */
void wsc__hub_cork_forget(wsc_hub *hub, wsc_conn *conn);
/** Closes conn with code at its next WRITEABLE; queued frames are dropped (reported). */
void wsc__hub_conn_request_close(wsc_conn *conn, int code, const char *reason);
/** Closes conn with code once its queue has been written. */
void wsc__hub_conn_close_after_flush(wsc_conn *conn, int code, const char *reason);
/** Unregisters every connection at once with 1001 (hub being freed). */
void wsc__hub_conns_drop_all(wsc_hub *hub);
wsc_conn *wsc__hub_conn_find(const wsc_hub *hub, wsc_conn_id id);
/** The connection id while it is open (CONN_OPEN), else NULL: the one a late answer (a store
 *  callback, a cluster reply) may still write to. */
wsc_conn *wsc__hub_conn_find_open(const wsc_hub *hub, wsc_conn_id id);
/** conn's side block, allocated if needed (NULL when out of memory). */
struct conn_extra *wsc__conn_extra(wsc_conn *conn);
/** Whether nothing in x but the reassembly buffer is in use. */
bool wsc__conn_extra_unused(const struct conn_extra *x);
/** The close reason kept for conn ("" when none). */
const char *wsc__conn_close_reason(const wsc_conn *conn);
/** Keeps a copy of reason (len bytes) as conn's close reason; false when out of memory. */
bool wsc__conn_set_close_reason(wsc_conn *conn, const char *reason, size_t len);
struct hub_user *wsc__hub_user_find(const wsc_hub *hub, const char *user_id);
/** How many connections u has. */
size_t wsc__hub_user_conns(const struct hub_user *u);

/* queuing and writing (hub_send.c) */
/** The first n queued frames of conn (bytes on the wire) were written: dequeued, counted and
 *  reported to on_sent. */
void wsc__hub_sent(wsc_hub *hub, wsc_conn *conn, size_t n, size_t bytes);
/** Queues msg on conn (refs it); a full queue goes to on_send_failed.  true when queued. */
bool wsc__hub_enqueue(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** Queues m, a frame of the hub's own (protocol/frames.h), on conn's urgent lane and drops the
 *  caller's reference, as wsc__hub_enqueue.  A NULL m (not made) is not sent: false. */
bool wsc__hub_send_ctl(wsc_hub *hub, wsc_conn *conn, wsc_msg *m);
int wsc__hub_writeable(wsc_hub *hub, wsc_conn *conn);
/** Writes what waits on conn now, from outside its WRITEABLE callback (also from inside its
 *  own receive callback: a message to oneself): one system call where WRITEABLE costs three
 *  (POLLOUT on, the write, POLLOUT off).  Only a plain open WebSocket (no permessage-deflate,
 *  no hold, no ping due) whose earlier writes lws has all sent; any other, or whatever the
 *  write leaves (the buffer was full, or the socket failed), asks for WRITEABLE as before.
 *  Cannot fail. */
void wsc__hub_write_now(wsc_hub *hub, wsc_conn *conn);
/** Reads what wsc__hub_write_now will read of conn and its socket's lws state: called for a
 *  batch of connections before writing them, it brings their memory in with the cache misses
 *  overlapping.  Changes nothing; returns whether lws holds bytes of an earlier write. */
bool wsc__hub_write_warm(const wsc_conn *conn);
/** Writes message m (the head of conn's queue) from its own bytes, with sendmsg on a plain
 *  socket lws holds nothing for, else lws_write(TEXT|BINARY), and reports it sent.  -1 when
 *  the connection must close. */
int wsc__hub_write_one(wsc_hub *hub, wsc_conn *conn, wsc_msg *m);
/** Frames into hub->wbuf the first of conn's waiting messages, in order, while each is
 *  shorter than limit bytes and they fit; returns how many (0 when the first does not
 *  qualify) and their bytes on the wire in *total.  Cannot fail. */
size_t wsc__hub_frame_run(wsc_hub *hub, wsc_conn *conn, size_t waiting, size_t limit,
                          size_t *total);
/** Writes the n frames (total bytes) wsc__hub_frame_run left in hub->wbuf as one
 *  LWS_WRITE_RAW and reports them sent.  -1 when the connection must close. */
int wsc__hub_write_run(wsc_hub *hub, wsc_conn *conn, size_t n, size_t total);

/* permessage-deflate, RFC 7692 (hub_deflate.c) */
/** The vhost's extensions when cfg.deflate is on: lws's permessage-deflate. */
extern const struct lws_extension wsc__hub_deflate_exts[];
/** Notes in conn->deflate whether its upgrade negotiated permessage-deflate.  Cannot fail. */
void wsc__hub_deflate_open(wsc_hub *hub, wsc_conn *conn);
/** A WRITEABLE of conn: lws is not compressing for it (it calls WRITEABLE only once the
 *  last fragment of a compressed message is out), so the message it held is released.
 *  Cannot fail. */
void wsc__hub_deflate_writeable(wsc_conn *conn);
/** Whether lws may still be writing the fragments of a compressed message to conn: nothing
 *  may then be written to its wsi outside WRITEABLE (lws would take it for the message's
 *  next fragment). */
bool wsc__hub_deflate_busy(const wsc_conn *conn);
/** The write of a deflate connection: a run of messages shorter than deflate_threshold
 *  leaves uncompressed in one raw write, else the first message is compressed by lws.
 *  -1 when the connection must close. */
int wsc__hub_deflate_write(wsc_hub *hub, wsc_conn *conn, size_t waiting);
/** conn is being dropped while its wsi lives on (wsc_hub_free): the message lws's deflater
 *  may still read moves to the hub, released with it.  Cannot fail. */
void wsc__hub_deflate_park(wsc_hub *hub, wsc_conn *conn);
/** Releases the messages wsc__hub_deflate_park kept.  Cannot fail. */
void wsc__hub_deflate_free(wsc_hub *hub);
void wsc__hub_report_failed(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, wsc_err why);

/* routing (hub_route.c): loop-thread versions of the public sends; the route_* functions
 * reach this node's connections only.  Between route_begin and
 * route_end, a connection reached through several targets (users listed twice, a user in
 * several groups, receiver and group) gets the message once. */
/** Starts a route; returns the enclosing one (a callback may send while routing). */
uint64_t wsc__hub_route_begin(wsc_hub *hub);
/** Ends a route, restoring the enclosing one returned by wsc__hub_route_begin. */
void wsc__hub_route_end(wsc_hub *hub, uint64_t outer);
size_t wsc__hub_route_user(wsc_hub *hub, const char *user_id, wsc_msg *msg, wsc_conn *exclude);
/** wsc__hub_route_user to a user already looked up. */
size_t wsc__hub_route_to(wsc_hub *hub, struct hub_user *u, wsc_msg *msg, wsc_conn *exclude);
size_t wsc__hub_route_group(wsc_hub *hub, const char *group_id, wsc_msg *msg,
                            const char *exclude_user, wsc_conn *exclude);
size_t wsc__hub_route_all(wsc_hub *hub, wsc_msg *msg, wsc_conn *exclude);
/** wsc__hub_route_group and wsc__hub_route_all here, and on the other nodes of a cluster
 *  (the count is this node's). */
size_t wsc__hub_send_group(wsc_hub *hub, const char *group_id, wsc_msg *msg,
                           const char *exclude_user, wsc_conn *exclude);
size_t wsc__hub_send_all(wsc_hub *hub, wsc_msg *msg, wsc_conn *exclude);

/* inbound frames (hub_inbound.c) */
void wsc__hub_on_text(wsc_hub *hub, wsc_conn *conn, const char *text, size_t len);
/** Parses a client frame (UTF-8 checked by the caller).  WSC_OK with *out (the caller's
 *  reference), or the parse error with *code (PROTOCOL.md §3 error code) and *why set. */
wsc_err wsc__hub_frame_parse(wsc_hub *hub, const char *text, size_t len, wsc_msg **out,
                             const char **code, const char **why);
/** True for the message types only the hub sends (refused from clients). */
bool wsc__hub_only_type(const char *type);
/** Handles a parsed client frame of conn (not a hub-only type): ping, ack, or a message to
 *  stamp, veto and route.  Borrows msg. */
void wsc__hub_on_msg(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
void wsc__hub_violation(wsc_hub *hub, wsc_conn *conn, const char *ref, const char *code,
                        const char *reason);

/* upgrade and identity (hub_handshake.c) */
/* A request's credentials, read from its headers and query (PROTOCOL.md §1). */
struct wsc__creds {
    const char *path; /* what the authenticate callback is told */
    char token[2048], user_id[256], client_id[256], origin[256], peer[48];
    char why[128]; /* the application's reason for a refusal */
};
/** Decides who c is.  open: c asks for a new connection (draining, the connect rate and
 *  capacity are checked too).  Returns 0 with *out (owned by the caller), or the HTTP status
 *  of the refusal (401, 403, 429, 503) with *why and *retry_s (Retry-After, 0: none) set;
 *  refusals are counted and logged. */
int wsc__hub_admit(wsc_hub *hub, struct wsc__creds *c, bool open, struct pending_identity **out,
                   const char **why, int *retry_s);
/** The error code of a refusal status (PROTOCOL.md §1). */
const char *wsc__hub_refusal_code(int status);
/** Copies s into out as the inside of a JSON string (quotes and backslashes escaped, control
 *  bytes dropped, cut to fit cap). */
void wsc__json_escape(const char *s, char *out, size_t cap);
/** Decides an upgrade; an accepted identity is kept as the wsi's opaque user data. */
int wsc__hub_confirm_upgrade(wsc_hub *hub, struct lws *wsi);
/** Takes the identity kept on wsi (NULL if none) and forgets it there. */
struct pending_identity *wsc__hub_pending_take(wsc_hub *hub, struct lws *wsi);
/** Frees an identity still kept on a wsi that goes away. */
void wsc__hub_pending_drop(wsc_hub *hub, struct lws *wsi);
void wsc__pending_free(struct pending_identity *p);
/** Writes a complete HTTP error answer {"error":CODE,"reason":TEXT}; returns 1 (handled). */
int wsc__hub_http_refuse(struct lws *wsi, int status, const char *code, const char *reason,
                         int retry_after_s);

/* rate limits (hub_limits.c) */
/** Checks every rate (0 or more) and its burst (1 or more when the rate is on): NULL, or a
 *  static "field: why". */
const char *wsc__hub_limits_check(const wsc_hub_config *cfg);
/** 0 when a connect from peer may proceed, else the seconds to put in Retry-After (an alert
 *  is raised). */
int wsc__hub_connect_limited(wsc_hub *hub, const char *peer);
/** NULL when conn may send one more frame of len bytes now (its and its user's frame and byte
 *  rates); else the reason for the client ("too many messages", "too many bytes"), and an
 *  alert names the limit. */
const char *wsc__hub_frame_limited(wsc_hub *hub, wsc_conn *conn, size_t len);

/* open connections per address (hub_ip_conns.c) */
/** True (and an alert) when addr holds max_conns_per_ip open connections already. */
bool wsc__hub_ip_conns_full(wsc_hub *hub, const char *addr);
/** Counts conn against addr (when the cap is on). */
void wsc__hub_ip_conns_add(wsc_hub *hub, wsc_conn *conn, const char *addr);
/** Uncounts conn (if counted). */
void wsc__hub_ip_conns_remove(wsc_hub *hub, wsc_conn *conn);
void wsc__hub_ip_conns_free_all(wsc_hub *hub);

/* alerts (hub_alert.c) */
/** A limit tripped: counts it, logs "limit_tripped" and calls on_alert.  conn may be NULL
 *  (before the upgrade: ip names the peer); ip NULL takes conn's address. */
void wsc__hub_alert(wsc_hub *hub, wsc_limit_kind kind, wsc_conn *conn, const char *ip, double limit,
                    double value);

/* connections that are not WebSockets yet (hub_accept.c) */
/** A socket was accepted: 0 to keep it (counted against its address), -1 to close it (its
 *  address has max_pending_per_ip such connections already). */
int wsc__hub_accept_admit(wsc_hub *hub, struct lws *wsi);
/** wsi became a WebSocket or goes away: it no longer counts.  Unknown wsis are fine. */
void wsc__hub_accept_release(wsc_hub *hub, struct lws *wsi);
/** Frees every entry (hub released). */
void wsc__hub_accept_free_all(wsc_hub *hub);

/* plain HTTP (hub_http.c) */
/** Answers req with the error body of PROTOCOL.md §1 ({"error":code,"reason":why}), with
 *  WWW-Authenticate on 401 and Retry-After when retry_s > 0.  Errors as wsc_http_req_respond. */
wsc_err wsc__http_req_refuse(wsc_http_req *req, int status, const char *code, const char *why,
                             int retry_s);
/** The wsi of req (NULL once its client left). */
struct lws *wsc__http_req_wsi(const wsc_http_req *req);

/* the SSE transport (sse_stream.c, sse_send.c; PROTOCOL.md §6) */
/** The credentials of req (PROTOCOL.md §1: Authorization: Bearer or ?token=, ?user_id=,
 *  ?client_id=, Origin) into c; c->path is sse_path. */
void wsc__sse_creds(const wsc_hub *hub, wsc_http_req *req, struct wsc__creds *c);
/** True when req is for the event stream (GET sse_path) or its upstream (POST
 *  sse_path/send). */
bool wsc__sse_is_stream(const wsc_hub *hub, const wsc_http_req *req);
bool wsc__sse_is_send(const wsc_hub *hub, const wsc_http_req *req);
/** GET sse_path on pss (a plain HTTP session): identity, then the stream's headers, and pss
 *  becomes a registered connection.  0: the stream is open (req is no longer needed); 1:
 *  refused, req answers; -1: the socket must close. */
int wsc__sse_open(wsc_hub *hub, wsc_conn *pss, struct lws *wsi, wsc_http_req *req);
/** POST sse_path/send: the body is one frame of the caller's open stream; req is answered. */
void wsc__sse_send(wsc_hub *hub, wsc_http_req *req);
/** The lws events of an SSE connection (an HTTP wsi whose pss is registered). */
int wsc__sse_event(wsc_hub *hub, wsc_conn *conn, struct lws *wsi, enum lws_callback_reasons reason,
                   void *in, size_t len);
/** Frees every live HTTP request, answered or not (hub being freed). */
void wsc__hub_http_abandon_all(wsc_hub *hub);
int wsc__hub_http(wsc_hub *hub, wsc_conn *pss, struct lws *wsi, enum lws_callback_reasons reason,
                  void *in, size_t len);

/* groups (hub_groups.c) */
void wsc__hub_groups_free(wsc_hub *hub);
/** Adds (join) or removes user in group on this node only (the cluster's copy of a change
 *  made elsewhere).  WSC_ERR_EXISTS, WSC_ERR_NOT_FOUND, WSC_ERR_NOMEM as the public calls. */
wsc_err wsc__hub_group_apply(wsc_hub *hub, const char *group_id, const char *user_id, bool join);

/* control (hub_query.c) */
/** Kicks user's connections on this node (4001); returns how many. */
size_t wsc__hub_kick_local(wsc_hub *hub, const char *user_id, const char *reason);

/* liveness and shutdown (hub_lifecycle.c) */
void wsc__hub_sweep_start(wsc_hub *hub);
void wsc__hub_drain_check(wsc_hub *hub);

/* the lws protocol callback (hub_lws.c) */
int wsc__hub_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len);

/** Milliseconds since the hub started, modulo 2^32 (connection timestamps). */
uint32_t wsc__hub_now32(const wsc_hub *hub);
uint64_t wsc__hub_next_seq(wsc_hub *hub);

/* ids the hub assigns (hub_ids.c); out holds WSC__PROTO_ID_MAX bytes for whole ids */
/** Draws the id key from the kernel's CSPRNG and writes a random default node id
 *  ("node-<13 base36>") into node_out.  WSC_ERR_IO when the kernel gives no random bytes. */
wsc_err wsc__hub_ids_init(wsc_hub *hub, char *node_out, size_t cap);
/** "<node_id>-<base36 seq>-<13 base36 tag>": unique, with 64 unguessable bits. */
void wsc__hub_make_msg_id(wsc_hub *hub, char *out, size_t cap);
/** "c-<13 base36 tag>" (15 bytes): 64 unguessable bits. */
void wsc__hub_make_client_id(wsc_hub *hub, char *out, size_t cap);

#define WSC_HUB_WBUF (64 * 1024)
/* The most one connection's write turn sends (hub_send.c), in WSC_HUB_WBUF runs. */
#define WSC_HUB_WRITE_BUDGET (256 * 1024)

#endif
