/* SPDX-License-Identifier: MIT */
/* The Redis backend: one hiredis async connection on the loop (its fd adopted into lws as a
 * raw file), AUTH/SELECT on every connect, reconnect with exponential backoff, and
 * commands that wait (bounded by the command timeout) while the connection is down.
 * On a Redis Cluster (redis+cluster://, redis_cluster.c) the store holds no connection of its
 * own: it holds one such store per master (its nodes) and the slot map, and routes every
 * command to the node of its first key's slot. */
#ifndef WSC_REPOSITORY_REDIS_INTERNAL_H
#define WSC_REPOSITORY_REDIS_INTERNAL_H

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include "models/alloc.h"
#include "repository/pending.h"
#include "repository/store_internal.h"

/* The index of live nodes (redis_hubstats.c): ZSET node_id -> expiry (wall ms). */
#define HS_INDEX "wsc:hs:{nodes}:z"

enum rs_state { RS_DOWN, RS_CONNECTING, RS_READY };

struct wsc__req;
/** Parses a reply into req's result; returns the request's status. */
typedef wsc_err (*rs_parse_fn)(struct wsc__req *req, const redisReply *reply);

struct rs_ev;      /* the lws side of one connection (redis_lws.c) */
struct rs_cluster; /* the nodes and the slot map of a Redis Cluster (redis_cluster.c) */

struct redis_store {
    wsc_store base; /* must stay first */
    struct wsc__repos repos;
    char host[256]; /* as in the URL (a name or an address) */
    char addr[64];  /* its numeric address, resolved once by wsc__rs_resolve at open */
    int port, db;
    char password[256];
    redisAsyncContext *ac;
    struct rs_ev *ev;
    enum rs_state state;
    bool refused; /* this connection's AUTH or SELECT was refused (its reason is kept) */
    wsc__timer retry;
    uint32_t backoff_ms;
    struct wsc_list waiting; /* requests (bk_link) waiting for RS_READY */
    /* Optional hooks (the cluster bus, redis_bus.c): the connection became ready (after
     * AUTH/SELECT), or was lost or failed to connect. */
    void (*on_ready)(void *hook_user, redisAsyncContext *ac);
    void (*on_lost)(void *hook_user);
    /* Optional (the bus's sharded subscriptions, redis_shard.c): once ready, the socket is
     * readable; the hook reads and parses the replies itself instead of hiredis. */
    void (*on_readable)(void *hook_user, redisAsyncContext *ac);
    void *hook_user;
    struct rs_cluster *cl; /* a Redis Cluster: owned; NULL on one Redis (and in its nodes) */
    bool hold;             /* commands wait in hiredis's buffer until wsc__rs_hold(rs, false) */
    uint32_t coalesce_us;  /* 0, or: its writes at least this far apart (redis_lws.c) */
};

/* The commands of one request: one, or several sent back to back (a pipeline: hiredis
 * writes them in one go and the replies come back in order).  One send is in flight at a
 * time: commands [from, n) to one connection.  On a Redis Cluster a redirect of the reply
 * to command redo sends [redo, n) again, to target (after ASKING when asking), once the
 * send's last reply is in. */
struct rs_cmd {
    char **cmds;
    int *lens;
    int n;
    int replies; /* replies still due */
    rs_parse_fn parse;
    int slot; /* of the first key, or -1 (any node) */
    int from, got, redo;
    struct redis_store *target; /* the node to resend to (NULL: route again) */
    bool asking, later, armed;
    int redirects;
};

/** Parses redis://[:password@]host[:port][/db] into rs.  WSC_ERR_INVALID. */
wsc_err wsc__rs_parse_url(struct redis_store *rs, const char *url);
/** The seed nodes and password of a redis+cluster:// URL (redis_addr.c). */
#define RS_MAX_SEEDS 16
struct rs_seeds {
    int n;
    char host[RS_MAX_SEEDS][256];
    int port[RS_MAX_SEEDS];
    char password[256];
};
/** Parses redis+cluster://host[:port][,host[:port]...][?password=PW].  WSC_ERR_INVALID. */
wsc_err wsc__rs_parse_cluster_url(const char *url, struct rs_seeds *out);

/** Resolves rs->host into rs->addr (blocking: at open, on the caller's thread, never on the
 *  loop).  WSC_ERR_IO when it does not resolve, WSC_ERR_NOMEM. */
wsc_err wsc__rs_resolve(struct redis_store *rs);

/** Sends the command argv on req's behalf (the reply goes to parse), now or once connected,
 *  to the node of key's slot on a Redis Cluster (key NULL: any node).  Finishes req itself on
 *  failure. */
void wsc__rs_submit(struct redis_store *rs, struct wsc__req *req, const char *key, int argc,
                    const char **argv, const size_t *lens, rs_parse_fn parse);
/** Sends n commands of argc (<= 16) arguments each (argvs[i * argc + j], C strings) as one
 *  pipeline: written together, replies parsed in order by parse, the request finished by the
 *  first non-OK parse or after the last reply.  Each command's key is its argument 1, and
 *  every key of one pipeline must lie in one slot (asserted), so that a Redis Cluster runs it
 *  on one node in order.  Finishes req itself on failure. */
void wsc__rs_pipeline(struct redis_store *rs, struct wsc__req *req, int n, int argc,
                      const char *const *argvs, rs_parse_fn parse);
/** The arguments of one command, built in order by wsc__rs_arg*: a plain command (script NULL,
 *  v[0] is its name) or an EVAL of script with nkeys keys first.  Strings given to wsc__rs_arg
 *  are borrowed until the send; formatted ones live in buf.  full is set (and the send then
 *  finishes the request with WSC_ERR_NOMEM) when v or buf ran out. */
#define RS_MAX_ARGS 48
struct rs_args {
    const char *script;
    int nkeys;
    int n;
    bool full;
    const char *v[RS_MAX_ARGS];
    char buf[8192];
    size_t used;
};
/** Appends s (NULL as ""). */
void wsc__rs_arg(struct rs_args *a, const char *s);
/** Appends a formatted argument (copied into a->buf). */
void wsc__rs_argf(struct rs_args *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** Appends the key head + escaped id + tail (wsc__rs_key's layout). */
void wsc__rs_arg_key(struct rs_args *a, const char *head, const char *id, const char *tail);
/** Sends a on req's behalf (the reply goes to parse).  Finishes req itself on failure. */
void wsc__rs_send(struct redis_store *rs, struct wsc__req *req, const struct rs_args *a,
                  rs_parse_fn parse);
/** Sends a for the request of a repository op: every op's one call.  WSC_OK (the request
 *  finishes exactly once, on failure too). */
wsc_err wsc__rs_run(struct redis_store *rs, struct wsc__req *req, const struct rs_args *a,
                    rs_parse_fn parse);
/** The store's own request (op, kind, cb, user as wsc__req_new) that sends a.  Returns
 *  wsc__req_new's errors; once WSC_OK, cb runs exactly once. */
wsc_err wsc__rs_call(struct redis_store *rs, enum wsc__op op, enum wsc__req_kind kind,
                     union wsc__req_cb cb, void *user, const struct rs_args *a, rs_parse_fn parse);
/** Common reply shapes: an integer > 0 (else WSC_ERR_NOT_FOUND); an integer into req->count;
 *  anything but an error; an array of strings into req->strs. */
wsc_err wsc__rs_parse_found(struct wsc__req *req, const redisReply *r);
wsc_err wsc__rs_parse_count(struct wsc__req *req, const redisReply *r);
wsc_err wsc__rs_parse_ok(struct wsc__req *req, const redisReply *r);
wsc_err wsc__rs_parse_strs(struct wsc__req *req, const redisReply *r);
/** Redis Cluster's slots: CRC16/XMODEM of buf (redis_slot.c), and the slot of a key or sharded
 *  channel (the CRC16 of its hash tag, the part inside the first non-empty "{...}", else of the
 *  whole key, mod RS_SLOTS). */
#define RS_SLOTS 16384
uint16_t wsc__rs_crc16(const char *buf, size_t len);
int wsc__rs_slot(const char *key, size_t len);
/** Escapes an id for a key (':', '%', '{', '}', control bytes and space as %XX) into out
 *  (size >= 3 * strlen(id) + 1). */
void wsc__rs_escape(const char *id, char *out);
/** The value of an upper-case hex digit (wsc__rs_escape's), or -1. */
int wsc__rs_hexval(char c);
/** Undoes wsc__rs_escape (out may be in; a '%' not followed by two hex digits stays). */
void wsc__rs_unescape(const char *in, char *out);
/** Writes head, the escaped id, then tail into out (cap bytes, truncated safely): every key of
 *  the Redis backend is built this way ("wsc:off:{" uid "}:z"). */
void wsc__rs_key(char *out, size_t cap, const char *head, const char *id, const char *tail);
/** The key of one of a user's offline structures (part 'z', 'h' or 'q'; redis_offline.c owns the
 *  layout, which the hybrid's pending list reuses). */
void wsc__rs_offline_key(const char *user_id, char part, char *out, size_t cap);
/** The integer of an integer reply, or -1 with *err set for an error reply. */
wsc_err wsc__rs_int(const redisReply *r, long long *out);

/** The offline store op for req (WSC__REQ_DONE); with marker (and pend_key) not NULL, the
 *  same script also adds marker to the ZSET pend_key (the hybrid store's write-ahead list,
 *  redis_pending.c).  WSC_ERR_INVALID (a bad id or key), WSC_ERR_UNSUPPORTED (binary) and
 *  NOMEM leave req untouched; WSC_OK: req finishes exactly once. */
wsc_err wsc__rs_offline_store(struct redis_store *rs, struct wsc__req *req, const char *uid,
                              wsc_msg *msg, const char *pend_key, const char *marker);
/** Opens another Redis store on the same server, database and password as rs (its own
 *  connection).  Errors as wsc_store_open. */
wsc_err wsc__rs_open_like(const struct redis_store *rs, struct redis_store **out);
/** rs when store is a Redis store, else NULL. */
struct redis_store *wsc__rs_of(wsc_store *store);
/** Attaches ac to the loop (adopts its fd).  WSC_ERR_IO. */
wsc_err wsc__rs_ev_attach(struct redis_store *rs, redisAsyncContext *ac);
/** on: the commands submitted from now wait in hiredis's buffer instead of leaving at the end
 *  of the pass; off: what waits leaves at the end of this pass, in one write. */
void wsc__rs_hold(struct redis_store *rs, bool on);
/** Called by the adapter when lws closed the descriptor under hiredis. */
void wsc__rs_lost(struct redis_store *rs);
/** Sends req's commands on rs's own connection: now, or once connected (bounded by the
 *  command timeout, armed once per request). */
void wsc__rs_conn_submit(struct redis_store *rs, struct wsc__req *req);

/* ---- Redis Cluster (redis_cluster.c) ---- */
/** Makes rs a Redis Cluster store for the URL: a node store per seed, then the slot map
 *  (CLUSTER SLOTS) as soon as a seed answers.  WSC_ERR_INVALID, WSC_ERR_IO, WSC_ERR_NOMEM. */
wsc_err wsc__rs_cl_open(struct redis_store *rs, const char *url);
/** Closes the nodes and frees the map. */
void wsc__rs_cl_close(struct redis_store *rs);
/** Sends req to the node of its slot (once the map is known). */
void wsc__rs_cl_submit(struct redis_store *rs, struct wsc__req *req);
/** The reply to command idx of req's send is the error err: true when it is a redirect
 *  (MOVED, ASK) or a retry (TRYAGAIN, CLUSTERDOWN) that req takes, noted for the resend. */
bool wsc__rs_cl_redirect(struct wsc__req *req, const char *err, int idx);
/** Sends req again as its redirect said (its send's replies are all in). */
void wsc__rs_cl_resend(struct wsc__req *req);
/** The number of nodes rs knows (every master the map ever named, by index; an index stays the
 *  same node for the store's life), 0 on one Redis. */
int wsc__rs_cl_count(const struct redis_store *rs);
/** The node store at index (borrowed), or NULL. */
struct redis_store *wsc__rs_cl_node(const struct redis_store *rs, int index);
/** The index of the node that serves slot, or -1 while the map is unknown. */
int wsc__rs_cl_owner(const struct redis_store *rs, int slot);
/** Sets owns[i] for every node i that serves a slot (cap entries); false (and nothing set)
 *  while the map is unknown, has a slot nobody serves, or names a node at cap or above. */
bool wsc__rs_cl_masters(const struct redis_store *rs, bool *owns, int cap);
/** Reads the slot map again (one read at a time; nothing on one Redis). */
void wsc__rs_cl_refresh(struct redis_store *rs);
/** True while rs's connection is up; on a Redis Cluster, while the slot map is known and
 *  every master's connection is up. */
bool wsc__rs_reachable(const struct redis_store *rs);
/** Sends the script a (no keys) to every master; parse gets each master's reply in turn. */
void wsc__rs_cl_each_master(struct redis_store *rs, struct wsc__req *req, const char *script,
                            rs_parse_fn parse);

extern const struct wsc_offline_repo_ops wsc__rs_offline_ops;
extern const struct wsc_record_repo_ops wsc__rs_record_ops;
extern const struct wsc_online_repo_ops wsc__rs_online_ops;
extern const struct wsc_connrec_repo_ops wsc__rs_connrec_ops;
extern const struct wsc_hubstats_repo_ops wsc__rs_hubstats_ops;
extern const struct wsc_queue_repo_ops wsc__rs_queue_ops;
extern const struct wsc_workload_repo_ops wsc__rs_workload_ops;
extern const struct wsc__pending_ops wsc__rs_pending_ops;

#endif
