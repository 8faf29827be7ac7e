/* SPDX-License-Identifier: MIT */
/* The public functions of wsc/repository_ext.h (hub stats, queues, workload): argument checks
 * once, then the backend's op (repository/repo_ops.h).  Limits only one backend has (the
 * largest workload load) stay in that backend. */
#include "repository/repo_api.h"

wsc_err
wsc_hubstats_put(struct wsc_hubstats_repo *r, const wsc_node_stats *st, uint32_t ttl_ms,
                 wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_OP(r, put, cb);
    if (!wsc__node_stats_ok(st) || ttl_ms == 0)
        return WSC_ERR_INVALID;
    return r->ops->put(r, st, ttl_ms, cb, user);
}

wsc_err
wsc_hubstats_get_many(struct wsc_hubstats_repo *r, const char *const *node_ids, size_t n,
                      wsc_hubstats_get_cb cb, void *user)
{
    WSC__REPO_OP(r, get_many, cb);
    if (node_ids == NULL || n == 0 || n > 256)
        return WSC_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!wsc__str_ok(node_ids[i]))
            return WSC_ERR_INVALID;
    return r->ops->get_many(r, node_ids, n, cb, user);
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
    WSC__REPO_OP(r, list, cb);
    return r->ops->list(r, cb, user);
}

wsc_err
wsc_hubstats_remove(struct wsc_hubstats_repo *r, const char *node_id, wsc_repo_done_cb cb,
                    void *user)
{
    WSC__REPO_OP(r, remove, cb);
    if (!wsc__str_ok(node_id))
        return WSC_ERR_INVALID;
    return r->ops->remove(r, node_id, cb, user);
}

wsc_err
wsc_queue_push(struct wsc_queue_repo *r, const char *name, wsc_msg *msg, wsc_repo_count_cb cb,
               void *user)
{
    WSC__REPO_OP(r, push, cb);
    if (!wsc__str_ok(name) || msg == NULL)
        return WSC_ERR_INVALID;
    return r->ops->push(r, name, msg, cb, user);
}

wsc_err
wsc_queue_pop(struct wsc_queue_repo *r, const char *name, size_t max, wsc_queue_pop_cb cb,
              void *user)
{
    WSC__REPO_OP(r, pop, cb);
    if (!wsc__str_ok(name) || max == 0 || max > 1000)
        return WSC_ERR_INVALID;
    return r->ops->pop(r, name, max, cb, user);
}

wsc_err
wsc_queue_length(struct wsc_queue_repo *r, const char *name, wsc_repo_count_cb cb, void *user)
{
    WSC__REPO_OP(r, length, cb);
    if (!wsc__str_ok(name))
        return WSC_ERR_INVALID;
    return r->ops->length(r, name, cb, user);
}

wsc_err
wsc_workload_set(struct wsc_workload_repo *r, const char *ns, const char *agent, uint64_t load,
                 wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_OP(r, set, cb);
    if (!wsc__str_ok(ns) || !wsc__str_ok(agent))
        return WSC_ERR_INVALID;
    return r->ops->set(r, ns, agent, load, cb, user);
}

wsc_err
wsc_workload_add(struct wsc_workload_repo *r, const char *ns, const char *agent, int64_t delta,
                 wsc_repo_count_cb cb, void *user)
{
    WSC__REPO_OP(r, add, cb);
    if (!wsc__str_ok(ns) || !wsc__str_ok(agent))
        return WSC_ERR_INVALID;
    return r->ops->add(r, ns, agent, delta, cb, user);
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
    WSC__REPO_OP(r, get, cb);
    if (!wsc__str_ok(ns) || !wsc__str_ok(agent))
        return WSC_ERR_INVALID;
    return r->ops->get(r, ns, agent, cb, user);
}

wsc_err
wsc_workload_remove(struct wsc_workload_repo *r, const char *ns, const char *agent,
                    wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_OP(r, remove, cb);
    if (!wsc__str_ok(ns) || !wsc__str_ok(agent))
        return WSC_ERR_INVALID;
    return r->ops->remove(r, ns, agent, cb, user);
}

wsc_err
wsc_workload_acquire_least_loaded(struct wsc_workload_repo *r, const char *ns,
                                  const char *const *candidates, size_t n, uint64_t max_load,
                                  wsc_workload_acquire_cb cb, void *user)
{
    WSC__REPO_OP(r, acquire_least_loaded, cb);
    if (!wsc__str_ok(ns) || n > 24 || (n > 0 && candidates == NULL))
        return WSC_ERR_INVALID;
    for (size_t i = 0; i < n; i++)
        if (!wsc__str_ok(candidates[i]))
            return WSC_ERR_INVALID;
    return r->ops->acquire_least_loaded(r, ns, candidates, n, max_load, cb, user);
}
