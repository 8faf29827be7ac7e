/* SPDX-License-Identifier: MIT */
/* The hub: a WebSocket server that registers users' connections and routes messages to users,
 * groups and everyone (PROTOCOL.md).  Every call except the send family must be made on the
 * hub's loop thread (inside a callback, or between wsc_loop_run_once() calls); the send family
 * may be called from any thread. */
#ifndef WSC_HUB_H
#define WSC_HUB_H

#include <stdbool.h>

#include <wsc/common.h>
#include <wsc/conn.h>
#include <wsc/error.h>
#include <wsc/http.h>
#include <wsc/log.h>
#include <wsc/loop.h>
#include <wsc/msg.h>
#include <wsc/reliability.h>
#include <wsc/store.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_hub wsc_hub;

/** What the authenticate callback sees of an upgrade request.  All borrowed for the call. */
typedef struct wsc_auth_request {
    const char *path;      /**< "/ws" */
    const char *token;     /**< bearer token from Authorization or ?token=, or NULL */
    const char *user_id;   /**< ?user_id= (never trusted by wsc itself), or NULL */
    const char *client_id; /**< ?client_id=, or NULL */
    const char *origin;    /**< Origin header, or NULL */
    const char *peer;      /**< peer address */
} wsc_auth_request;

/** What the authenticate callback decides.  Leave status 0 and set user_id to accept; set
 *  status to 401, 403 or 429 (with reason) to refuse.  Strings are copied after the call. */
typedef struct wsc_auth_result {
    int status;
    char user_id[128];
    char app_id[64];
    char reason[128];
    const char *const *groups; /**< groups the user may use (copied), NULL-terminated, or NULL */
} wsc_auth_result;

/** Decides who a connecting peer is.  Runs on the loop before the upgrade; must not block. */
typedef void (*wsc_hub_auth_cb)(wsc_hub *hub, const wsc_auth_request *req, wsc_auth_result *res,
                                void *user);
/** A connection was registered; the `connected` frame is queued. */
typedef void (*wsc_hub_connect_cb)(wsc_hub *hub, wsc_conn *conn, void *user);
/** A connection is gone: exactly once per connection that was connected; the last callback. */
typedef void (*wsc_hub_disconnect_cb)(wsc_hub *hub, wsc_conn *conn, int code, const char *reason,
                                      void *user);
/** A client message was accepted and stamped (id, sender, create_at).  Set *route to false to
 *  veto routing (the message is then not delivered; the sender gets no error).  msg is
 *  borrowed: wsc_msg_ref() it to keep it. */
typedef void (*wsc_hub_message_cb)(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, bool *route,
                                   void *user);
/** A user came online (first connection anywhere: on any node of a cluster) or went offline
 *  (last connection gone everywhere).  user_key as wsc_conn_user_key; borrowed for the call.
 *  In a cluster every node's callback runs, once per change, within a Redis round trip. */
typedef void (*wsc_hub_presence_cb)(wsc_hub *hub, const char *user_key, bool online, void *user);
/** A binary frame from a client (whole message, reassembled).  Borrowed for the call. */
typedef void (*wsc_hub_binary_cb)(wsc_hub *hub, wsc_conn *conn, const void *data, size_t len,
                                  void *user);
/** A message was handed to a connection's socket. */
typedef void (*wsc_hub_sent_cb)(wsc_hub *hub, wsc_conn_id conn, const char *user_id,
                                const wsc_msg *msg, void *user);
/** A message could not be queued or sent to one connection (queue full, connection closed
 *  before the write, ...), with the reason.  Exactly once per (message, connection). */
typedef void (*wsc_hub_send_failed_cb)(wsc_hub *hub, wsc_conn_id conn, const char *user_id,
                                       const wsc_msg *msg, wsc_err reason, void *user);
/** May this connection broadcast to everyone?  Set *allow.  Default: allow_client_broadcast. */
typedef void (*wsc_hub_broadcast_check_cb)(wsc_hub *hub, wsc_conn *conn, bool *allow, void *user);
/** A plain HTTP request for a path the hub does not serve itself (see wsc/http.h).  Without
 *  this callback such requests get 404. */
typedef void (*wsc_hub_http_cb)(wsc_hub *hub, wsc_http_req *req, void *user);

/** Which limit a client ran into (wsc_hub_alert.kind, wsc_hub_stats.limit_trips).  Append
 *  only: the values index wsc_hub_stats.limit_trips. */
typedef enum wsc_limit_kind {
    WSC_LIMIT_CONNECT_RATE_IP = 0, /**< "connect_rate_ip": upgrades per second of an address */
    WSC_LIMIT_CONNS_PER_IP,        /**< "conns_per_ip": open connections of an address */
    WSC_LIMIT_MSG_RATE_CONN,       /**< "msg_rate_conn": frames per second of a connection */
    WSC_LIMIT_BYTE_RATE_CONN,      /**< "byte_rate_conn": bytes per second of a connection */
    WSC_LIMIT_MSG_RATE_USER,       /**< "msg_rate_user": frames per second of a user */
    WSC_LIMIT_BYTE_RATE_USER,      /**< "byte_rate_user": bytes per second of a user */
    WSC_LIMIT_ORIGIN,              /**< "origin": an Origin not in the allow-list */
    WSC_LIMIT_KIND_COUNT
} wsc_limit_kind;

/** The name of kind ("msg_rate_conn", see wsc_limit_kind); "unknown" when out of range. */
WSC_API const char *wsc_limit_kind_name(wsc_limit_kind kind);

/** One trip of a limit (wsc_hub_config.on_alert).  Everything is borrowed for the call. */
typedef struct wsc_hub_alert {
    wsc_limit_kind kind;
    const char *kind_name; /**< wsc_limit_kind_name(kind) */
    const char *user_id;   /**< the user's key; NULL before the upgrade (connect limits) */
    const char *ip;        /**< the peer address */
    wsc_conn_id conn;      /**< the connection, 0 before the upgrade */
    double limit;          /**< the configured rate (per second) or count */
    double value;          /**< what did not fit: 1 (one frame or upgrade), the frame's bytes,
                                the connections the address holds, 0 for origin */
} wsc_hub_alert;

/** A limit tripped: the client got `error rate_limited` (429, 503 or 403 before the upgrade).
 *  Runs on the loop, once per trip; must not block (hand slow work to another thread). */
typedef void (*wsc_hub_alert_cb)(wsc_hub *hub, const wsc_hub_alert *alert, void *user);

/** Hub configuration.  wsc_hub_config_init() sets the defaults given here; wsc_hub_new() copies
 *  everything (strings included). */
typedef struct wsc_hub_config {
    wsc_loop *loop;       /**< NULL: the hub makes and owns a loop (wsc_hub_run) */
    const char *host;     /**< listen address; default "0.0.0.0" */
    int port;             /**< default 8080; 0 picks a free port (see wsc_hub_port) */
    const char *ws_path;  /**< default "/ws" */
    const char *node_id;  /**< default: generated */
    const char *tls_cert; /**< PEM file: serve wss:// and https:// */
    const char *tls_key;

    /* identity (PROTOCOL.md §1) */
    const char *jwt_secret;     /**< HS256 secret; NULL: JWT off */
    bool insecure_user_id;      /**< trust ?user_id= (demos and tests only); default false */
    const char *const *origins; /**< allowed Origin values, NULL-terminated; NULL: any */

    /* limits */
    wsc_msg_limits msg_limits;   /**< frame limits (frame size default 64 KiB -> 1009) */
    unsigned max_conns;          /**< per node; default 100000; 503 beyond */
    unsigned max_conns_per_user; /**< default 16; 503 beyond; 0 = unlimited */
    size_t queue_max_count;      /**< frames waiting per connection; default 1024 */
    size_t queue_max_bytes;      /**< memory the frames waiting on one connection hold (each
                                      frame and the decoded fields a routed message keeps
                                      beside it: about twice its wire size); default 4 MiB */
    unsigned max_violations;     /**< bad frames before close 1008; default 10; at most 65535
                                      (a larger value acts as 65535) */
    size_t rx_buffer_size;       /**< lws receive buffer per connection; default 128 */

    /* permessage-deflate, RFC 7692 (docs/configuration.md, docs/protocol.md section 1) */
    bool deflate;             /**< accept permessage-deflate from clients that offer it (with
                                   context takeover); default false.  Fixed at creation.
                                   Needs rx_buffer_size 0 or >= 128. */
    size_t deflate_threshold; /**< messages the hub sends shorter than this many bytes leave
                                   uncompressed (RSV1 clear) on a deflate connection; default
                                   1024; 0 compresses every message */

    /* liveness and shutdown (PROTOCOL.md §5) */
    unsigned ping_interval_ms;    /**< default 25000 */
    unsigned pong_timeout_ms;     /**< default 60000: no frame for this long -> 4003 */
    unsigned shutdown_timeout_ms; /**< default 5000: time to flush queues on stop */

    /* routing by clients (PROTOCOL.md §3) */
    bool client_routing;         /**< route clients' messages; default true */
    bool allow_client_broadcast; /**< let every client broadcast; default false */

    wsc_log_config log;

    /* callbacks (all optional) and the pointer passed to them */
    wsc_hub_auth_cb on_auth;
    wsc_hub_connect_cb on_connect;
    wsc_hub_disconnect_cb on_disconnect;
    wsc_hub_presence_cb on_presence;
    wsc_hub_message_cb on_message;
    wsc_hub_binary_cb on_binary;
    wsc_hub_sent_cb on_sent;
    wsc_hub_send_failed_cb on_send_failed;
    wsc_hub_broadcast_check_cb on_broadcast_check;
    wsc_hub_http_cb on_http;
    void *user;

    /* rate limits (token buckets; 0 = off) */
    double connect_rate_per_ip;  /**< upgrades per second per peer address; default 0 (off);
                                      beyond it: 429 rate_limited with Retry-After */
    double connect_burst_per_ip; /**< default 20 */
    double msg_rate_per_conn;    /**< client frames per second per connection; default 0
                                      (off); beyond it: error frame rate_limited (a violation) */
    double msg_burst_per_conn;   /**< default 50 */

    /* reliable delivery (wsc/reliability.h, docs/reliability.md) */
    wsc_ack_opts ack;        /**< defaults of the ACK sends (wsc_ack_opts_init) */
    wsc_store *store;        /**< offline messages and records; borrowed, must outlive the
                                  hub.  NULL: the hub makes and owns a memory store */
    size_t dedupe_window;    /**< client message_ids remembered per user; default 1024 */
    size_t dedupe_max_users; /**< users whose window is kept; default 100000 */
    unsigned ack_tick_ms;    /**< resolution of ACK timers; default 10 */
    uint64_t rng_seed;       /**< jitter seed; 0 (default): from the clock */
    size_t replay_window;    /**< offline messages replayed to a connection and not yet ACKed
                                  at any time; more follow as ACKs come (a window without an
                                  ACK for ack.ack_timeout_ms moves on).  Bounds the duplicates
                                  a reconnect causes.  Default 64; 0: no window (pages sized
                                  to the queue's room only) */
    unsigned store_check_ms; /**< the store is pinged this often (wsc_store_ping); while a
                                  ping fails /readyz answers 503.  Default 1000; 0: off */

    /* identity, continued */
    const char *const *jwt_secrets; /**< more HS256 secrets, NULL-terminated (NULL: none):
                                         a token signed with jwt_secret or any of these is
                                         accepted, so a secret can be rotated without a
                                         restart (wsc_hub_reconfigure).  JWT is on when
                                         jwt_secret or one of these is set */

    /* handshakes: what a client that never logs in may hold (docs/configuration.md) */
    unsigned handshake_timeout_ms; /**< a connection whose request headers are not all in by
                                        then is closed (lws counts whole seconds: rounded up).
                                        Default 5000; 0 is invalid */
    unsigned max_pending_per_ip;   /**< connections of one peer address that are not
                                        WebSockets: in their handshake, or plain HTTP.  More
                                        are closed at accept, before lws gives them a header
                                        table (wsc_loop_config.max_handshakes).  Default 32;
                                        0: no cap */

    /* cluster (PROTOCOL.md §8, docs/cluster.md) */
    const char *cluster_redis;   /**< "redis://[:password@]host[:port][/db]" (or
                                      "redis+cluster://host:port,..."): this hub is one
                                      node of the cluster of every hub given the same Redis
                                      (node_id must then be unique: the default is).  NULL
                                      (default): a single node */
    unsigned cluster_timeout_ms; /**< how long a node waits for the others' answers (a
                                      receipt, a kick count, a query); default 2000 */

    /* more limits (docs/configuration.md, "Limits and alerts"); 0 = off, like the rates above.
     * Beyond a rate: error frame rate_limited, which counts as a violation (max_violations of
     * them close with 1008).  A frame larger than a byte burst passes when the bucket is full
     * and is paid back over time. */
    double bytes_rate_per_conn;  /**< client bytes per second per connection; default 0 */
    double bytes_burst_per_conn; /**< default 1 MiB */
    double msg_rate_per_user;    /**< client frames per second, all of a user's connections on
                                      this node; default 0 */
    double msg_burst_per_user;   /**< default 100 */
    double bytes_rate_per_user;  /**< client bytes per second per user; default 0 */
    double bytes_burst_per_user; /**< default 2 MiB */
    unsigned max_conns_per_ip;   /**< open WebSockets of one peer address; 503 beyond;
                                      default 0 (no cap) */
    wsc_hub_alert_cb on_alert;   /**< every trip of a limit (with user); optional */
    /* SSE transport (PROTOCOL.md §6, docs/protocol.md) */
    const char *sse_path;          /**< event stream: GET here, upstream frames POST to
                                        sse_path + "/send"; default "/sse"; NULL or "": off
                                        (those paths then go to on_http) */
    unsigned sse_ping_interval_ms; /**< a `: ping` comment on idle streams this often;
                                        default 15000 */
} wsc_hub_config;

/** A user's key (PROTOCOL.md §1: the app id is part of the user's identity): user_id when
 *  app_id is NULL or empty, else app_id, the byte 0x1F, user_id (ids never hold control
 *  characters).  Every hub call that takes a user id (or a group id) takes this key, so a user
 *  of an app is named wsc_user_key(app, user); calls that report user ids report keys too,
 *  except wsc_conn_user_id() (the plain id; wsc_conn_user_key() gives the key).  Writes it
 *  NUL-terminated into out.  WSC_ERR_INVALID (user_id NULL or empty, out NULL),
 *  WSC_ERR_TOO_LARGE (cap too small; WSC_MSG_KEY_MAX always suffices within the default
 *  string limit). */
WSC_API wsc_err wsc_user_key(const char *app_id, const char *user_id, char *out, size_t cap);

/** Counters of one hub. */
typedef struct wsc_hub_stats {
    uint64_t connections;  /**< live registered connections */
    uint64_t users;        /**< distinct online users */
    uint64_t messages_in;  /**< client frames accepted */
    uint64_t messages_out; /**< frames written to sockets */
    uint64_t bytes_in, bytes_out;
    uint64_t send_failed; /**< (message, connection) pairs reported through on_send_failed */
    uint64_t queued;      /**< frames waiting in connection queues now */
    uint64_t refused;     /**< upgrades refused (401/403/429/503) */
    uint64_t uptime_ms;
    uint64_t limit_trips[WSC_LIMIT_KIND_COUNT]; /**< trips of each limit (wsc_limit_kind) */
    uint64_t connections_sse; /**< of connections: those over SSE (PROTOCOL.md §6) */
} wsc_hub_stats;

/** Fills cfg with the defaults. */
WSC_API void wsc_hub_config_init(wsc_hub_config *cfg);

/** Creates a hub and starts listening.  Errors: WSC_ERR_INVALID (bad config), WSC_ERR_IO (the
 *  port could not be bound, e.g. it is in use; or cluster_redis names a host that does not
 *  resolve), WSC_ERR_NOMEM.  On error *out is NULL and nothing is left behind. */
WSC_API wsc_err wsc_hub_new(wsc_hub **out, const wsc_hub_config *cfg);

/** Frees the hub: connections are dropped at once (1001) without draining; call
 *  wsc_hub_stop() first for a graceful shutdown.  NULL is fine. */
WSC_API void wsc_hub_free(wsc_hub *hub);

/** Runs the hub's loop until the hub has stopped (or wsc_loop_stop()). */
WSC_API wsc_err wsc_hub_run(wsc_hub *hub);

/** Graceful shutdown: stop accepting (new upgrades get 503), flush queues for up to
 *  shutdown_timeout_ms, close everything with 1001, fire the disconnect callbacks, then stop
 *  the hub's own loop.  Safe from any thread and from a signal handler's deferred call. */
WSC_API void wsc_hub_stop(wsc_hub *hub);

/** True once wsc_hub_stop() has finished closing every connection. */
WSC_API bool wsc_hub_is_stopped(const wsc_hub *hub);

/** The loop the hub runs on. */
WSC_API wsc_loop *wsc_hub_loop(wsc_hub *hub);
/** The bound port (useful with port 0). */
WSC_API int wsc_hub_port(const wsc_hub *hub);
/** This node's id; borrowed while the hub lives. */
WSC_API const char *wsc_hub_node_id(const wsc_hub *hub);
/** Explanation of the last failure of a call on this hub (never NULL). */
WSC_API const char *wsc_hub_last_error(const wsc_hub *hub);

/* --- sending: any thread.  On the loop thread n_queued (may be NULL) gets the number of
 * connections the message was queued to and WSC_ERR_NOT_FOUND is returned when there were
 * none; from another thread the work is handed to the loop, WSC_OK is returned and failures
 * reach on_send_failed.  The hub takes its own references to msg; the caller keeps theirs.
 * Every send encodes and freezes msg on the calling thread first (wsc/msg.h, "Threads").
 * Also WSC_ERR_NOMEM (encoding, or the hand-over), and from another thread WSC_ERR_BUSY when
 * the loop's post queue is full (wsc_loop_config.max_posts): nothing was queued; try again
 * once the loop has caught up.  In a cluster (cluster_redis) a send to users, a group or
 * everyone also reaches their connections on the other nodes; n_queued and WSC_ERR_NOT_FOUND
 * still answer for this node's connections only (wsc_hub_publish counts every node's), and a
 * user no node holds goes to the user-offline handler once the other nodes have answered. */

/** Every connection of user_id (or only the one whose client id is the message's
 *  receiver_client, when set). */
WSC_API wsc_err wsc_hub_send_to_user(wsc_hub *hub, const char *user_id, wsc_msg *msg,
                                     size_t *n_queued);
/** Every connection of each listed user. */
WSC_API wsc_err wsc_hub_send_to_users(wsc_hub *hub, const char *const *user_ids, size_t n_users,
                                      wsc_msg *msg, size_t *n_queued);
/** Every connection of every member of group_id, except exclude_user's (may be NULL). */
WSC_API wsc_err wsc_hub_send_to_group(wsc_hub *hub, const char *group_id, wsc_msg *msg,
                                      const char *exclude_user, size_t *n_queued);
/** Every connection of the hub. */
WSC_API wsc_err wsc_hub_broadcast(wsc_hub *hub, wsc_msg *msg, size_t *n_queued);
/** One connection. */
WSC_API wsc_err wsc_hub_send_to_conn(wsc_hub *hub, wsc_conn_id conn, wsc_msg *msg);
/** Binary variants: the bytes are copied once and shared by all receivers. */
WSC_API wsc_err wsc_hub_send_binary_to_user(wsc_hub *hub, const char *user_id, const void *data,
                                            size_t len, size_t *n_queued);
WSC_API wsc_err wsc_hub_send_binary_to_group(wsc_hub *hub, const char *group_id, const void *data,
                                             size_t len, size_t *n_queued);
WSC_API wsc_err wsc_hub_broadcast_binary(wsc_hub *hub, const void *data, size_t len,
                                         size_t *n_queued);

/* --- groups (loop thread) */

/** Adds user_id to group_id (creating the group).  WSC_ERR_EXISTS when already a member. */
WSC_API wsc_err wsc_hub_group_join(wsc_hub *hub, const char *group_id, const char *user_id);
/** Removes user_id; the group disappears with its last member.  WSC_ERR_NOT_FOUND if absent. */
WSC_API wsc_err wsc_hub_group_leave(wsc_hub *hub, const char *group_id, const char *user_id);
/** True when user_id is a member of group_id. */
WSC_API bool wsc_hub_group_has(const wsc_hub *hub, const char *group_id, const char *user_id);
/** The members of group_id as a NULL-terminated array (free with wsc_free; one block) and
 *  their count.  An unknown group gives an empty array. */
WSC_API wsc_err wsc_hub_group_members(const wsc_hub *hub, const char *group_id, char ***out,
                                      size_t *n);

/* --- queries (loop thread).  They answer for this node: in a cluster, the cluster-wide
 * counts are asynchronous (wsc_hub_user_connections, wsc_hub_cluster_stats). */

WSC_API bool wsc_hub_is_online(const wsc_hub *hub, const char *user_id);
/** Up to cap ids of user_id's connections into ids; *n gets how many there are in all. */
WSC_API wsc_err wsc_hub_user_conns(const wsc_hub *hub, const char *user_id, wsc_conn_id *ids,
                                   size_t cap, size_t *n);
/** Online users, paged: up to limit ids starting at offset, in a stable order (registration
 *  order) as a NULL-terminated array (free with wsc_free; one block); *n gets the number
 *  returned and *total (may be NULL) the number online. */
WSC_API wsc_err wsc_hub_online_users(const wsc_hub *hub, size_t offset, size_t limit, char ***out,
                                     size_t *n, size_t *total);
WSC_API void wsc_hub_get_stats(const wsc_hub *hub, wsc_hub_stats *out);
/** Every metric of this node in the Prometheus text format 0.0.4 (names start with wsc_;
 *  docs/operations.md): *out is NUL-terminated (free with wsc_free), *len its length.  Loop
 *  thread.  WSC_ERR_INVALID (a NULL argument), WSC_ERR_NOMEM. */
WSC_API wsc_err wsc_hub_metrics_text(const wsc_hub *hub, char **out, size_t *len);

/* --- the cluster (PROTOCOL.md §8; loop thread).  On a single node these answer for it. */

/** The live nodes of the cluster (this one included) and the sum of their stats (the others'
 *  as of their last heartbeat, at most 5 s old).  Borrowed for the call. */
typedef struct wsc_hub_cluster_totals {
    size_t nodes;
    wsc_hub_stats total;
} wsc_hub_cluster_totals;
typedef void (*wsc_hub_cluster_stats_cb)(wsc_hub *hub, wsc_err status,
                                         const wsc_hub_cluster_totals *stats, void *user);
/** A count from every node (status WSC_ERR_TIMEOUT: some node did not answer in
 *  cluster_timeout_ms; count has those that did). */
typedef void (*wsc_hub_count_cb)(wsc_hub *hub, wsc_err status, uint64_t count, void *user);

/** Calls cb (on a later loop turn) with the cluster's stats.  WSC_ERR_INVALID, WSC_ERR_NOMEM. */
WSC_API wsc_err wsc_hub_cluster_stats(wsc_hub *hub, wsc_hub_cluster_stats_cb cb, void *user);
/** Calls cb with user_id's connections on every live node. */
WSC_API wsc_err wsc_hub_user_connections(wsc_hub *hub, const char *user_id, wsc_hub_count_cb cb,
                                         void *user);
/** Where wsc_hub_publish sends: exactly one of user_ids (n_users of them), group_id (but
 *  exclude_user, may be NULL) or broadcast. */
typedef struct wsc_publish_target {
    const char *const *user_ids;
    size_t n_users;
    const char *group_id;
    const char *exclude_user;
    bool broadcast;
} wsc_publish_target;
/** A fire-and-forget send (as wsc_hub_send_to_users, _to_group or wsc_hub_broadcast) whose cb
 *  gets the connections it was queued to on every node, once the other nodes have answered
 *  (never inside the call; WSC_ERR_TIMEOUT: some node did not answer in cluster_timeout_ms,
 *  the count has those that did).  A receiver with no connection on any node goes to the
 *  user-offline handler.  A hub freed before the answer runs cb inside wsc_hub_free with
 *  WSC_ERR_CANCELED.  msg is frozen.  Loop thread only.  WSC_ERR_INVALID (bad target, not
 *  on the loop thread), WSC_ERR_NOMEM, WSC_ERR_BUSY; cb then never runs. */
WSC_API wsc_err wsc_hub_publish(wsc_hub *hub, const wsc_publish_target *target, wsc_msg *msg,
                                wsc_hub_count_cb cb, void *user);
/** wsc_hub_kick_user on every node; cb (may be NULL) gets how many connections were closed. */
WSC_API wsc_err wsc_hub_kick_user_all(wsc_hub *hub, const char *user_id, const char *reason,
                                      wsc_hub_count_cb cb, void *user);

/* --- control (loop thread) */

/** Sends `kick_out` with reason to every connection of user_id, then closes them with 4001.
 *  *n_kicked (may be NULL) gets the count on this node; WSC_ERR_NOT_FOUND when the user has
 *  none here.  In a cluster the other nodes close theirs too (wsc_hub_kick_user_all counts
 *  them). */
WSC_API wsc_err wsc_hub_kick_user(wsc_hub *hub, const char *user_id, const char *reason,
                                  size_t *n_kicked);
/** The same for one connection. */
WSC_API wsc_err wsc_hub_kick_conn(wsc_hub *hub, wsc_conn_id conn, const char *reason);
/** Closes one connection with code and reason. */
WSC_API wsc_err wsc_hub_close_conn(wsc_hub *hub, wsc_conn_id conn, int code, const char *reason);

/** Marks the hub not ready (/readyz answers 503) or ready again; a store that goes down uses
 *  this too. */
WSC_API void wsc_hub_set_ready(wsc_hub *hub, bool ready);

/* --- live reconfiguration (loop thread) */

/** Applies cfg to the running hub, all or nothing.  cfg is checked as a whole first (the
 *  rules of wsc_hub_new); a bad value changes nothing and returns WSC_ERR_INVALID with
 *  wsc_hub_last_error naming the field ("jwt_secrets[1]: empty secret").  WSC_ERR_NOMEM also
 *  changes nothing.  Strings and lists are copied; cfg is borrowed for the call.
 *
 *  What changes live: identity (jwt_secret, jwt_secrets, insecure_user_id, origins: for new
 *  upgrades; connections keep the identity they have), limits (msg_limits, max_conns,
 *  max_conns_per_user, max_conns_per_ip, queue_max_count, queue_max_bytes, max_violations:
 *  existing connections
 *  included, from their next frame; nobody is closed for being over a lowered connection
 *  limit), ping_interval_ms and pong_timeout_ms (from the next sweep, within a second),
 *  shutdown_timeout_ms, client_routing, allow_client_broadcast, log, the rate limits
 *  (existing connections and addresses keep their buckets under the new rate and burst), ack
 *  (defaults of later sends), replay_window, deflate_threshold (from the next write), and the
 *  callbacks with user (they are replaced
 *  too: start from wsc_hub_get_config() to keep them).
 *
 *  What cannot change while the hub runs keeps its running value: loop, host, port, ws_path,
 *  sse_path, node_id (NULL or "" means "the running one"), tls_cert, tls_key, rx_buffer_size,
 * deflate, store, dedupe_window, dedupe_max_users, ack_tick_ms, rng_seed, store_check_ms,
 * handshake_timeout_ms, cluster_redis. When cfg asks for another value of one of these, its name is
 * listed in *kept (may be NULL): comma-separated
 *  ("port,tls_cert"), "" when none, borrowed until the next call on the hub.  The hub logs
 *  "hub_reconfigured" with the same list (key "kept"). */
WSC_API wsc_err wsc_hub_reconfigure(wsc_hub *hub, const wsc_hub_config *cfg, const char **kept);

/** Fills out with the running configuration (after wsc_hub_new's defaults and any
 *  wsc_hub_reconfigure).  Its strings and lists are the hub's: borrowed until the next
 *  wsc_hub_reconfigure or wsc_hub_free.  out->node_id is the effective id and out->port the
 *  port asked for (wsc_hub_port gives the bound one). */
WSC_API void wsc_hub_get_config(const wsc_hub *hub, wsc_hub_config *out);

#ifdef __cplusplus
}
#endif
#endif
