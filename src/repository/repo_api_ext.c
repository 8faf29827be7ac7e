/* SPDX-License-Identifier: MIT */
/* The public functions of wsc/repository_ext.h (hub stats, queues, workload): argument checks
 * once, then the backend's op (repository/repo_ops.h).  Limits only one backend has (the
 * largest workload load) stay in that backend. */
#include "repository/repo_api.h"

/* n valid ids at ids (none: true; ids may then be NULL). */
static bool
ids_ok(const char *const *ids, size_t n)
{
    if (n > 0 && ids == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!wsc__str_ok(ids[i]))
            return false;
    return true;
}

wsc_err
wsc_hubstats_put(struct wsc_hubstats_repo *r, const wsc_node_stats *st, uint32_t ttl_ms,
                 wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, put, wsc__node_stats_ok(st) && ttl_ms != 0, WSC__OP_HUBSTATS_PUT,
                   WSC__REQ_DONE, done, cb, user, st, ttl_ms);
}

wsc_err
wsc_hubstats_get_many(struct wsc_hubstats_repo *r, const char *const *node_ids, size_t n,
                      wsc_hubstats_get_cb cb, void *user)
{
    WSC__REPO_CALL(r, get_many, n != 0 && n <= 256 && ids_ok(node_ids, n), WSC__OP_HUBSTATS_GET,
                   WSC__REQ_STATS, stats, cb, user, node_ids, n);
}

wsc_err
wsc_hubstats_get(struct wsc_hubstats_repo *r, const char *node_id, wsc_hubstats_get_cb cb,
                 void *user)
{
    return wsc_hubstats_get_many(r, &node_id, 1, cb, user);
}

wsc_err
wsc_hubstats_list(struct wsc_hubstats_repo *r, wsc_hubstats_list_cb cb, void *user)
{
    WSC__REPO_CHECK(r, list, cb, true);
    struct wsc__req *req;
    wsc_err err = wsc__req_new(r->store, WSC__OP_HUBSTATS_LIST, WSC__REQ_IDS,
                               (union wsc__req_cb){.ids = cb}, user, &req);
    if (err == WSC_OK && (err = r->ops->list(r, req)) != WSC_OK)
        wsc__req_drop(req);
    return err;
}

wsc_err
wsc_hubstats_remove(struct wsc_hubstats_repo *r, const char *node_id, wsc_repo_done_cb cb,
                    void *user)
{
    WSC__REPO_CALL(r, remove, wsc__str_ok(node_id), WSC__OP_HUBSTATS_REMOVE, WSC__REQ_DONE, done,
                   cb, user, node_id);
}

wsc_err
wsc_queue_push(struct wsc_queue_repo *r, const char *name, wsc_msg *msg, wsc_repo_count_cb cb,
               void *user)
{
    WSC__REPO_CALL(r, push, wsc__str_ok(name) && msg != NULL, WSC__OP_QUEUE_PUSH, WSC__REQ_COUNT,
                   count, cb, user, name, msg);
}

wsc_err
wsc_queue_pop(struct wsc_queue_repo *r, const char *name, size_t max, wsc_queue_pop_cb cb,
              void *user)
{
    WSC__REPO_CALL(r, pop, wsc__str_ok(name) && max != 0 && max <= 1000, WSC__OP_QUEUE_POP,
                   WSC__REQ_MSGS, msgs, cb, user, name, max);
}

wsc_err
wsc_queue_length(struct wsc_queue_repo *r, const char *name, wsc_repo_count_cb cb, void *user)
{
    WSC__REPO_CALL(r, length, wsc__str_ok(name), WSC__OP_QUEUE_LENGTH, WSC__REQ_COUNT, count, cb,
                   user, name);
}

wsc_err
wsc_workload_set(struct wsc_workload_repo *r, const char *ns, const char *agent, uint64_t load,
                 wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, set, wsc__str_ok(ns) && wsc__str_ok(agent), WSC__OP_WORKLOAD_SET,
                   WSC__REQ_DONE, done, cb, user, ns, agent, load);
}

wsc_err
wsc_workload_add(struct wsc_workload_repo *r, const char *ns, const char *agent, int64_t delta,
                 wsc_repo_count_cb cb, void *user)
{
    WSC__REPO_CALL(r, add, wsc__str_ok(ns) && wsc__str_ok(agent), WSC__OP_WORKLOAD_ADD,
                   WSC__REQ_COUNT, count, cb, user, ns, agent, delta);
}

wsc_err
wsc_workload_incr(struct wsc_workload_repo *r, const char *ns, const char *agent,
                  wsc_repo_count_cb cb, void *user)
{
    return wsc_workload_add(r, ns, agent, 1, cb, user);
}

wsc_err
wsc_workload_decr(struct wsc_workload_repo *r, const char *ns, const char *agent,
                  wsc_repo_count_cb cb, void *user)
{
    return wsc_workload_add(r, ns, agent, -1, cb, user);
}

wsc_err
wsc_workload_get(struct wsc_workload_repo *r, const char *ns, const char *agent,
                 wsc_repo_count_cb cb, void *user)
{
    WSC__REPO_CALL(r, get, wsc__str_ok(ns) && wsc__str_ok(agent), WSC__OP_WORKLOAD_GET,
                   WSC__REQ_COUNT, count, cb, user, ns, agent);
}

wsc_err
wsc_workload_remove(struct wsc_workload_repo *r, const char *ns, const char *agent,
                    wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, remove, wsc__str_ok(ns) && wsc__str_ok(agent), WSC__OP_WORKLOAD_REMOVE,
                   WSC__REQ_DONE, done, cb, user, ns, agent);
}

wsc_err
wsc_workload_acquire_least_loaded(struct wsc_workload_repo *r, const char *ns,
                                  const char *const *candidates, size_t n, uint64_t max_load,
                                  wsc_workload_acquire_cb cb, void *user)
{
    WSC__REPO_CALL(r, acquire_least_loaded, wsc__str_ok(ns) && n <= 24 && ids_ok(candidates, n),
                   WSC__OP_WORKLOAD_ACQUIRE, WSC__REQ_ACQUIRE, acquire, cb, user, ns, candidates, n,
                   max_load);
}
