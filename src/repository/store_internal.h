/* SPDX-License-Identifier: MIT */
/* What every backend shares: the wsc_store object, and requests (one per op) that carry the
 * caller's callback and the result until it is delivered on a later loop turn.
 *
 * A request has two owners: the delivery side (its callback runs exactly once, from the
 * store's completion queue, or with WSC_ERR_CANCELED at close) and, optionally, the backend
 * while a command is in flight (hiredis privdata, the MySQL worker).  It is freed when both
 * have let go (wsc__req_unref). */
#ifndef WSC_REPOSITORY_STORE_INTERNAL_H
#define WSC_REPOSITORY_STORE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/store.h>

#include "loop/loop.h"
#include "models/errtext.h"
#include "models/histo.h"
#include "models/list.h"
#include "repository/repo_ops.h"

struct wsc__req;
struct wsc__pending_ops;
struct wsc__repos;

/** The op tables of a backend's repositories (NULL: the backend has no such repository, the
 *  store keeps the unsupported one). */
struct wsc__repo_tables {
    const struct wsc_offline_repo_ops *offline;
    const struct wsc_record_repo_ops *records;
    const struct wsc_online_repo_ops *online;
    const struct wsc_connrec_repo_ops *connrecs;
    const struct wsc_hubstats_repo_ops *hubstats;
    const struct wsc_queue_repo_ops *queues;
    const struct wsc_workload_repo_ops *workload;
};
/** What a backend adds to a store. */
struct wsc__store_ops {
    const char *name;
    /** Issues a round trip; finishes req. */
    wsc_err (*ping)(wsc_store *store, struct wsc__req *req);
    /** Frees the backend (after every request has been canceled). */
    void (*close)(wsc_store *store);
    /** The write-ahead list this backend keeps for the hybrid store (repository/pending.h),
     *  or NULL when it keeps none. */
    const struct wsc__pending_ops *pending;
    /** Its repositories (wsc__store_init gives them to the store). */
    struct wsc__repo_tables repos;
};

enum wsc__req_kind {
    WSC__REQ_DONE,
    WSC__REQ_COUNT,
    WSC__REQ_FETCH,
    WSC__REQ_RECORD,
    WSC__REQ_ONLINE,
    WSC__REQ_CONNREC,
    WSC__REQ_STATS,   /* hubstats get: stats[0..n) */
    WSC__REQ_IDS,     /* hubstats list: strs[0..nstrs) are the ids */
    WSC__REQ_MSGS,    /* queue pop: msgs[0..n) */
    WSC__REQ_ACQUIRE, /* workload acquire: str, count */
};
#define WSC__REQ_KIND_COUNT (WSC__REQ_ACQUIRE + 1)

/** What a request does: one per public op, and the store's own (the "op" label of
 *  wsc_store_op_seconds; names in store_metrics.c). */
enum wsc__op {
    WSC__OP_OFFLINE_STORE,
    WSC__OP_OFFLINE_FETCH,
    WSC__OP_OFFLINE_REMOVE,
    WSC__OP_OFFLINE_COUNT,
    WSC__OP_OFFLINE_CLEAR,
    WSC__OP_RECORD_PUT,
    WSC__OP_RECORD_UPDATE,
    WSC__OP_RECORD_GET,
    WSC__OP_RECORD_REMOVE,
    WSC__OP_ONLINE_SET,
    WSC__OP_ONLINE_REFRESH,
    WSC__OP_ONLINE_REMOVE,
    WSC__OP_ONLINE_GET,
    WSC__OP_CONNREC_CONNECT,
    WSC__OP_CONNREC_ADD_COUNTERS,
    WSC__OP_CONNREC_DISCONNECT,
    WSC__OP_CONNREC_GET,
    WSC__OP_HUBSTATS_PUT,
    WSC__OP_HUBSTATS_GET,
    WSC__OP_HUBSTATS_LIST,
    WSC__OP_HUBSTATS_REMOVE,
    WSC__OP_QUEUE_PUSH,
    WSC__OP_QUEUE_POP,
    WSC__OP_QUEUE_LENGTH,
    WSC__OP_WORKLOAD_SET,
    WSC__OP_WORKLOAD_ADD,
    WSC__OP_WORKLOAD_GET,
    WSC__OP_WORKLOAD_REMOVE,
    WSC__OP_WORKLOAD_ACQUIRE,
    WSC__OP_PING,          /* wsc_store_ping */
    WSC__OP_PENDING,       /* the hybrid store's write-ahead list (pending.h) */
    WSC__OP_BUS,           /* the cluster bus and registry (bus.h) */
    WSC__OP_CLUSTER_SLOTS, /* Redis Cluster: reading the slot map */
    WSC__OP_STEP, /* a step of a multi-step op (the op itself is timed whole under its name) */
};
#define WSC__OP_COUNT (WSC__OP_STEP + 1)

struct wsc_store {
    const struct wsc__store_ops *ops;
    wsc_loop *loop;
    wsc_store_config cfg;
    struct wsc_offline_repo *offline;
    struct wsc_record_repo *records;
    struct wsc_online_repo *online;
    struct wsc_connrec_repo *connrecs;
    struct wsc_hubstats_repo *hubstats; /* default: the unsupported ones (unsupported.c) */
    struct wsc_queue_repo *queues;
    struct wsc_workload_repo *workload;
    struct wsc_list live; /* requests whose callback has not run */
    struct wsc_list done; /* finished requests waiting for the next turn (subset of live) */
    wsc__timer turn;
    bool closing;
    wsc__errtext last_error;
    /* Request start to finish, microseconds, by op (store_metrics.h). */
    wsc__histo op_us[WSC__OP_COUNT];
};

union wsc__req_cb {
    wsc_repo_done_cb done;
    wsc_repo_count_cb count;
    wsc_offline_fetch_cb fetch;
    wsc_record_get_cb record;
    wsc_online_get_cb online;
    wsc_connrec_get_cb connrec;
    wsc_hubstats_get_cb stats;
    wsc_hubstats_list_cb ids;
    wsc_queue_pop_cb msgs;
    wsc_workload_acquire_cb acquire;
};

struct wsc__req {
    struct wsc_list link; /* in store->live, then store->done */
    wsc_store *store;     /* NULL once delivered */
    enum wsc__req_kind kind;
    enum wsc__op op;
    union wsc__req_cb cb;
    void *user;
    unsigned refs;
    bool finished;     /* a status is set; no later finish counts */
    bool oom;          /* a copy of a result failed: an OK finish becomes WSC_ERR_NOMEM */
    uint64_t start_us; /* wsc__mono_us() at creation (the store latency metric) */
    wsc_err status;
    wsc__timer timeout;
    wsc_err timeout_status;  /* what the timeout finishes with (WSC_ERR_TIMEOUT) */
    struct wsc_list bk_link; /* a backend's own queue (waiting for a connection) */
    /* Results, owned by the request. */
    uint64_t count, cursor;
    wsc_msg **msgs;
    wsc_online_entry *entries;
    size_t n, cap;
    wsc_msg_record rec;
    wsc_conn_record conn;
    wsc_node_stats *stats;
    const char *str;
    char **strs;
    size_t nstrs;
    /* Backend data (freed by the backend's own free function, if any). */
    void *bk;
    void (*bk_free)(void *bk);
};

/** A request for op on store with one (delivery) reference in *out.  WSC_ERR_INVALID (cb
 *  NULL), WSC_ERR_STATE (the store is closing), WSC_ERR_NOMEM. */
wsc_err wsc__req_new(wsc_store *store, enum wsc__op op, enum wsc__req_kind kind,
                     union wsc__req_cb cb, void *user, struct wsc__req **out);
/** Takes back a request that was never finished (its callback will not run): the op that was
 *  to finish it refused with an error. */
void wsc__req_drop(struct wsc__req *req);
struct wsc__req *wsc__req_ref(struct wsc__req *req);
void wsc__req_unref(struct wsc__req *req);
/** Sets the status (first call wins) and queues delivery for the next loop turn. */
void wsc__req_finish(struct wsc__req *req, wsc_err status);
/** Arms the command timeout: the request finishes with WSC_ERR_TIMEOUT after timeout_ms. */
void wsc__req_arm_timeout(struct wsc__req *req, uint32_t timeout_ms);
/** A copy of s owned by the request (NULL for NULL or out of memory; then the request
 *  finishes WSC_ERR_NOMEM instead of WSC_OK, never with a value missing from its answer). */
const char *wsc__req_strdup(struct wsc__req *req, const char *s);
const char *wsc__req_strndup(struct wsc__req *req, const char *s, size_t n);
/** Appends a message (takes over the caller's reference).  WSC_ERR_NOMEM (msg then unref'd). */
wsc_err wsc__req_add_msg(struct wsc__req *req, wsc_msg *msg);
/** Appends node stats (node_id copied).  WSC_ERR_NOMEM. */
wsc_err wsc__req_add_stats(struct wsc__req *req, const wsc_node_stats *st);
/** Appends an entry (strings copied).  WSC_ERR_NOMEM. */
wsc_err wsc__req_add_entry(struct wsc__req *req, const char *client_id, const char *node_id,
                           int64_t expires_ms);

/** A store of the backend ops with the common parts set up (cfg NULL: defaults) and, with
 *  repos not NULL, the repositories of ops->repos in repos (wsc__store_set_repos); the
 *  unsupported ones stand in for the rest.  WSC_ERR_INVALID (loop NULL, a bad cfg). */
wsc_err wsc__store_init(wsc_store *store, const struct wsc__store_ops *ops,
                        struct wsc__repos *repos, wsc_loop *loop, const wsc_store_config *cfg);

/** Validation shared by the backends. */
bool wsc__str_ok(const char *s);
bool wsc__record_ok(const wsc_msg_record *rec);
bool wsc__conn_record_ok(const wsc_conn_record *rec);
bool wsc__node_stats_ok(const wsc_node_stats *st);
/** Encodes a queued message (text only: WSC_ERR_UNSUPPORTED for binary, INVALID for NULL). */
wsc_err wsc__queue_encode(wsc_msg *msg, wsc_buf *json);
/** Encodes msg for storage: WSC_ERR_INVALID (no message_id), WSC_ERR_UNSUPPORTED (binary).
 *  *json is the caller's to free with wsc_buf_free. */
wsc_err wsc__offline_encode(wsc_msg *msg, wsc_buf *json);
/** The sender the offline bounds count msg under (wsc_store_config): its WSC_F_SENDER when
 *  that is a valid id, else NULL (the application's own message: exempt). */
const char *wsc__offline_sender(const wsc_msg *msg);
/** A bound of wsc_store_config as a limit: 0 (off) becomes UINT64_MAX. */
static inline uint64_t
wsc__bound(uint64_t v)
{
    return v == 0 ? UINT64_MAX : v;
}
/** Parses and freezes a stored message: WSC_ERR_NOMEM, or WSC_ERR_STORE for a stored copy
 *  that does not parse (out of memory is not a storage failure: callers pass it on). */
wsc_err wsc__offline_decode(const char *json, size_t len, wsc_msg **out);

/** The repositories a backend store embeds (an op finds its store back with
 *  wsc_container_of(repo, struct <backend>_store, repos.<entity>)). */
struct wsc__repos {
    struct wsc_offline_repo offline;
    struct wsc_record_repo records;
    struct wsc_online_repo online;
    struct wsc_connrec_repo connrecs;
    struct wsc_hubstats_repo hubstats;
    struct wsc_queue_repo queues;
    struct wsc_workload_repo workload;
};
/** Gives each of repos its table and points store's slots at those that have one. */
void wsc__store_set_repos(wsc_store *store, struct wsc__repos *repos,
                          const struct wsc__repo_tables *tables);

/** Fills the hub stats, queue and workload slots of store with repositories whose every op
 *  returns WSC_ERR_UNSUPPORTED (wsc__store_init does it; backends override what they have). */
void wsc__store_set_unsupported(wsc_store *store);

/** Backend constructors (wsc_store_open dispatches by URL). */
wsc_err wsc__redis_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg,
                        wsc_store **out);
wsc_err wsc__mysql_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg,
                        wsc_store **out);
/** "hybrid:<redis URL>|<mysql URL>" (src/repository/hybrid/hybrid.c). */
wsc_err wsc__hybrid_open_url(wsc_loop *loop, const char *url, const wsc_store_config *cfg,
                             wsc_store **out);

#endif
