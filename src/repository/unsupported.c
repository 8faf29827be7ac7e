/* SPDX-License-Identifier: MIT */
/* Repositories a backend does not have (MySQL has no hub stats, queues or workload): every op
 * returns WSC_ERR_UNSUPPORTED, so the callback never runs and callers need no NULL checks.
 * wsc__store_init puts them in every store; backends replace the ones they implement. */
#include "repository/store_internal.h"

static wsc_err
hs_put(struct wsc_hubstats_repo *r, const wsc_node_stats *st, uint32_t ttl, wsc_repo_done_cb cb,
       void *user)
{
    (void)r, (void)st, (void)ttl, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
hs_get_many(struct wsc_hubstats_repo *r, const char *const *ids, size_t n, wsc_hubstats_get_cb cb,
            void *user)
{
    (void)r, (void)ids, (void)n, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
hs_list(struct wsc_hubstats_repo *r, wsc_hubstats_list_cb cb, void *user)
{
    (void)r, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
hs_remove(struct wsc_hubstats_repo *r, const char *id, wsc_repo_done_cb cb, void *user)
{
    (void)r, (void)id, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
q_push(struct wsc_queue_repo *r, const char *name, wsc_msg *msg, wsc_repo_count_cb cb, void *user)
{
    (void)r, (void)name, (void)msg, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
q_pop(struct wsc_queue_repo *r, const char *name, size_t max, wsc_queue_pop_cb cb, void *user)
{
    (void)r, (void)name, (void)max, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
q_length(struct wsc_queue_repo *r, const char *name, wsc_repo_count_cb cb, void *user)
{
    (void)r, (void)name, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
wl_set(struct wsc_workload_repo *r, const char *ns, const char *agent, uint64_t load,
       wsc_repo_done_cb cb, void *user)
{
    (void)r, (void)ns, (void)agent, (void)load, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
wl_add(struct wsc_workload_repo *r, const char *ns, const char *agent, int64_t delta,
       wsc_repo_count_cb cb, void *user)
{
    (void)r, (void)ns, (void)agent, (void)delta, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
wl_get(struct wsc_workload_repo *r, const char *ns, const char *agent, wsc_repo_count_cb cb,
       void *user)
{
    (void)r, (void)ns, (void)agent, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
wl_remove(struct wsc_workload_repo *r, const char *ns, const char *agent, wsc_repo_done_cb cb,
          void *user)
{
    (void)r, (void)ns, (void)agent, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static wsc_err
wl_acquire(struct wsc_workload_repo *r, const char *ns, const char *const *cands, size_t n,
           uint64_t max_load, wsc_workload_acquire_cb cb, void *user)
{
    (void)r, (void)ns, (void)cands, (void)n, (void)max_load, (void)cb, (void)user;
    return WSC_ERR_UNSUPPORTED;
}

static const struct wsc_hubstats_repo_ops hs_ops = {hs_put, hs_get_many, hs_list, hs_remove};
static const struct wsc_queue_repo_ops q_ops = {q_push, q_pop, q_length};
static const struct wsc_workload_repo_ops wl_ops = {wl_set, wl_add, wl_get, wl_remove, wl_acquire};

/* Stateless and const: one instance serves every store (no mutable global state). */
static struct wsc_hubstats_repo hs_repo = {&hs_ops};
static struct wsc_queue_repo q_repo = {&q_ops};
static struct wsc_workload_repo wl_repo = {&wl_ops};

void
wsc__store_set_unsupported(wsc_store *store)
{
    store->hubstats = &hs_repo;
    store->queues = &q_repo;
    store->workload = &wl_repo;
}
