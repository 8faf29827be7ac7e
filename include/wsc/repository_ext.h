/* SPDX-License-Identifier: MIT */
/* The repositories of scale-out and routing (wsc/repository.h includes this header and holds the
 * contract every op follows; this one stands alone): hub stats (each node's counters, with a TTL),
 * message queues (per-name FIFOs of messages handed between nodes) and workload (agent load per
 * namespace for customer-service routing, with an atomic "acquire the least loaded agent").  A
 * backend without one of them (MySQL for now) returns WSC_ERR_UNSUPPORTED from every op. */
#ifndef WSC_REPOSITORY_EXT_H
#define WSC_REPOSITORY_EXT_H

#include <stddef.h>
#include <stdint.h>

#include <wsc/common.h>
#include <wsc/error.h>
#include <wsc/msg.h>
#include <wsc/repository_cb.h>
#ifdef __cplusplus
extern "C" {
#endif

/* ---- Hub stats ---- */
/** The counters one node (hub) publishes.  Times are wall-clock ms since the epoch. */
typedef struct wsc_node_stats {
    const char *node_id; /**< required */
    uint64_t connections, users, messages_in, messages_out, bytes_in, bytes_out;
    uint64_t send_failed, queued, uptime_ms;
    int64_t updated_ms; /**< set by the backend on put */
} wsc_node_stats;
struct wsc_hubstats_repo;
/** The stats of the nodes asked for that are live, in the order asked (absent or lapsed
 *  nodes are left out, so count may be less).  Borrowed for the callback. */
typedef void (*wsc_hubstats_get_cb)(wsc_err status, const wsc_node_stats *stats, size_t count,
                                    void *user);
/** Ids of the live nodes (borrowed for the callback), in no particular order. */
typedef void (*wsc_hubstats_list_cb)(wsc_err status, const char *const *node_ids, size_t count,
                                     void *user);

/** Replaces the stats of st->node_id (copied; updated_ms set now); they lapse after
 *  ttl_ms (> 0) without another put.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_hubstats_put(struct wsc_hubstats_repo *repo, const wsc_node_stats *st,
                                 uint32_t ttl_ms, wsc_repo_done_cb cb, void *user);
/** The stats of n (1..256) nodes in one round trip (Redis: one pipeline of n HGETALL).
 *  WSC_ERR_INVALID (a bad id, n out of range). */
WSC_API wsc_err wsc_hubstats_get_many(struct wsc_hubstats_repo *repo, const char *const *node_ids,
                                      size_t n, wsc_hubstats_get_cb cb, void *user);
/** The live nodes.  */
WSC_API wsc_err wsc_hubstats_list(struct wsc_hubstats_repo *repo, wsc_hubstats_list_cb cb,
                                  void *user);
/** Removes a node's stats (a node that stops).  Completes WSC_ERR_NOT_FOUND when absent. */
WSC_API wsc_err wsc_hubstats_remove(struct wsc_hubstats_repo *repo, const char *node_id,
                                    wsc_repo_done_cb cb, void *user);

/* ---- Message queue ---- */
struct wsc_queue_repo;
/** Messages popped, oldest first (frozen; borrowed for the callback, keep one with
 *  wsc_msg_ref()); count 0 when the queue is empty. */
typedef void (*wsc_queue_pop_cb)(wsc_err status, wsc_msg *const *msgs, size_t count, void *user);

/** Appends msg (encoded and copied; the caller keeps its reference) to the queue name;
 *  completes with the queue's new length.  The queue lapses queue_ttl_ms after its last
 *  push or pop.  WSC_ERR_INVALID (empty name, NULL msg), WSC_ERR_UNSUPPORTED (binary). */
WSC_API wsc_err wsc_queue_push(struct wsc_queue_repo *repo, const char *name, wsc_msg *msg,
                               wsc_repo_count_cb cb, void *user);
/** Removes and returns up to max (1..1000) messages from the head of name, atomically
 *  (two nodes popping never get the same message).  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_queue_pop(struct wsc_queue_repo *repo, const char *name, size_t max,
                              wsc_queue_pop_cb cb, void *user);
/** Number of messages in name (0 for an unknown queue).  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_queue_length(struct wsc_queue_repo *repo, const char *name,
                                 wsc_repo_count_cb cb, void *user);

/* ---- Workload ---- */
struct wsc_workload_repo;
/** The agent chosen and its load after the acquire (agent_id borrowed for the callback, NULL
 *  on error). */
typedef void (*wsc_workload_acquire_cb)(wsc_err status, const char *agent_id, uint64_t load,
                                        void *user);

/** Registers agent in namespace ns with load (replacing its load).  The namespace lapses
 *  workload_ttl_ms after its last write.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_workload_set(struct wsc_workload_repo *repo, const char *ns, const char *agent,
                                 uint64_t load, wsc_repo_done_cb cb, void *user);
/** Adds delta (may be negative; the load stops at 0) to a registered agent's load and
 *  completes with the new load.  WSC_ERR_NOT_FOUND when the agent is not registered. */
WSC_API wsc_err wsc_workload_add(struct wsc_workload_repo *repo, const char *ns, const char *agent,
                                 int64_t delta, wsc_repo_count_cb cb, void *user);
/** The agent's load; WSC_ERR_NOT_FOUND when not registered. */
WSC_API wsc_err wsc_workload_get(struct wsc_workload_repo *repo, const char *ns, const char *agent,
                                 wsc_repo_count_cb cb, void *user);
/** Unregisters the agent; WSC_ERR_NOT_FOUND when not registered. */
WSC_API wsc_err wsc_workload_remove(struct wsc_workload_repo *repo, const char *ns,
                                    const char *agent, wsc_repo_done_cb cb, void *user);
/** Atomically picks the registered agent with the lowest load among candidates (n of
 *  them, 1..24; NULL/0: every agent of ns), ties broken by the smaller id, and adds 1 to
 *  its load.  max_load > 0 skips agents already at max_load or above.  Completes
 *  WSC_ERR_NOT_FOUND when no candidate is registered, WSC_ERR_LIMIT when every one is at
 *  max_load.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_workload_acquire_least_loaded(struct wsc_workload_repo *repo, const char *ns,
                                                  const char *const *candidates, size_t n,
                                                  uint64_t max_load, wsc_workload_acquire_cb cb,
                                                  void *user);

/** One node's stats (count 0 when absent); wsc_hubstats_get_many() with one id. */
WSC_API wsc_err wsc_hubstats_get(struct wsc_hubstats_repo *repo, const char *node_id,
                                 wsc_hubstats_get_cb cb, void *user);
/** Adds 1 to the agent's load (wsc_workload_add() with delta 1). */
WSC_API wsc_err wsc_workload_incr(struct wsc_workload_repo *repo, const char *ns, const char *agent,
                                  wsc_repo_count_cb cb, void *user);
/** Takes 1 from the agent's load, not below 0 (wsc_workload_add() with delta -1). */
WSC_API wsc_err wsc_workload_decr(struct wsc_workload_repo *repo, const char *ns, const char *agent,
                                  wsc_repo_count_cb cb, void *user);

#ifdef __cplusplus
}
#endif
#endif
