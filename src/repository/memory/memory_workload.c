/* SPDX-License-Identifier: MIT */
/* The memory backend's workload: per namespace a table agent -> load.  Acquire scans the
 * candidates on the loop thread, so it is atomic like the Redis script: no other op runs in
 * between.  A namespace lapses workload_ttl_ms after its last write. */
#include <string.h>

#include "models/alloc.h"
#include "repository/memory/memory_internal.h"

struct mem_wl_ns {
    struct mem_node node; /* key: namespace */
    wsc__hmap agents;     /* struct mem_agent */
    int64_t expires_ms;
};

struct mem_agent {
    struct mem_node node; /* key: agent id */
    uint64_t load;
};

static void
agent_free(struct mem_node *n, void *arg)
{
    wsc__mem_remove(arg, n);
    wsc__free(n);
}

/* Frees one mem_wl_ns (node) of the store arg (a wsc__mem_clear callback). */
static void
ns_free(struct mem_node *node, void *arg)
{
    struct mem_store *ms = arg;
    struct mem_wl_ns *ns = (struct mem_wl_ns *)node;
    wsc__mem_clear(&ns->agents, agent_free, &ns->agents);
    wsc__mem_remove(&ms->wlns, &ns->node);
    wsc__free(ns);
}

/* The live namespace (a lapsed one is dropped), created when create is set.  NULL when absent
 * or out of memory. */
static struct mem_wl_ns *
ns_get(struct mem_store *ms, const char *name, bool create)
{
    struct mem_wl_ns *ns =
        wsc__mem_find_live(&ms->wlns, name, offsetof(struct mem_wl_ns, expires_ms), ns_free, ms);
    if (ns == NULL && create) {
        ns = wsc__mem_add(&ms->wlns, sizeof(*ns), name);
        if (ns == NULL)
            return NULL;
        wsc__hmap_init(&ns->agents);
    }
    return ns;
}

static void
touch(struct mem_store *ms, struct mem_wl_ns *ns)
{
    ns->expires_ms = wsc__mem_now() + (int64_t)ms->base.cfg.workload_ttl_ms;
}

static struct mem_agent *
agent_find(struct mem_store *ms, const char *name, const char *agent, struct mem_wl_ns **nsp)
{
    struct mem_wl_ns *ns = ns_get(ms, name, false);
    if (nsp != NULL)
        *nsp = ns;
    return ns != NULL ? (struct mem_agent *)wsc__mem_find(&ns->agents, agent) : NULL;
}

static wsc_err
set_now(struct mem_store *ms, const char *name, const char *agent, uint64_t load)
{
    struct mem_wl_ns *ns = ns_get(ms, name, true);
    if (ns == NULL)
        return WSC_ERR_NOMEM;
    touch(ms, ns);
    struct mem_agent *a = (struct mem_agent *)wsc__mem_find(&ns->agents, agent);
    if (a == NULL) {
        a = wsc__mem_add(&ns->agents, sizeof(*a), agent);
        if (a == NULL) {
            if (ns->agents.count == 0)
                ns_free(&ns->node, ms);
            return WSC_ERR_NOMEM;
        }
    }
    a->load = load;
    return WSC_OK;
}

static wsc_err
wl_set(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent,
       uint64_t load)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.workload);
    if (load > INT64_MAX)
        return WSC_ERR_INVALID;
    return wsc__mem_answer(req, set_now(ms, ns, agent, load));
}

static wsc_err
wl_add(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent,
       int64_t delta)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.workload);
    struct mem_wl_ns *n;
    struct mem_agent *a = agent_find(ms, ns, agent, &n);
    if (a != NULL) {
        if (delta < 0)
            a->load = (uint64_t)-delta >= a->load ? 0 : a->load - (uint64_t)-delta;
        else
            a->load += (uint64_t)delta;
        req->count = a->load;
        touch(ms, n);
    }
    return wsc__mem_found(req, a);
}

static wsc_err
wl_get(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.workload);
    struct mem_agent *a = agent_find(ms, ns, agent, NULL);
    req->count = a != NULL ? a->load : 0;
    return wsc__mem_found(req, a);
}

static wsc_err
wl_remove(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.workload);
    struct mem_wl_ns *n;
    struct mem_agent *a = agent_find(ms, ns, agent, &n);
    if (a != NULL) {
        agent_free(&a->node, &n->agents);
        if (n->agents.count == 0)
            ns_free(&n->node, ms);
    }
    return wsc__mem_found(req, a);
}

/* The choice so far: the lowest load below the cap, ties to the smaller id. */
struct pick {
    struct mem_agent *best;
    uint64_t max_load;
    bool any; /* a registered candidate was seen (at the cap or not) */
};

static void
consider(struct mem_node *n, void *arg)
{
    struct pick *p = arg;
    struct mem_agent *a = (struct mem_agent *)n;
    p->any = true;
    if (p->max_load > 0 && a->load >= p->max_load)
        return;
    if (p->best == NULL || a->load < p->best->load ||
        (a->load == p->best->load && strcmp(a->node.key, p->best->node.key) < 0))
        p->best = a;
}

static wsc_err
acquire_now(struct mem_store *ms, const char *name, const char *const *cands, size_t n,
            struct pick *p)
{
    struct mem_wl_ns *ns = ns_get(ms, name, false);
    if (ns == NULL)
        return WSC_ERR_NOT_FOUND;
    if (cands == NULL || n == 0) {
        wsc__mem_each(&ns->agents, consider, p);
    } else {
        for (size_t i = 0; i < n; i++) {
            struct mem_node *a = wsc__mem_find(&ns->agents, cands[i]);
            if (a != NULL)
                consider(a, p);
        }
    }
    if (p->best == NULL)
        return p->any ? WSC_ERR_LIMIT : WSC_ERR_NOT_FOUND;
    p->best->load++;
    touch(ms, ns);
    return WSC_OK;
}

static wsc_err
wl_acquire(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns,
           const char *const *cands, size_t n, uint64_t max_load)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.workload);
    struct pick p = {NULL, max_load, false};
    wsc_err err = acquire_now(ms, ns, cands, n, &p);
    if (err == WSC_OK) {
        req->str = wsc__req_strdup(req, p.best->node.key);
        req->count = p.best->load;
        if (req->str == NULL)
            err = WSC_ERR_NOMEM;
    }
    return wsc__mem_answer(req, err);
}

const struct wsc_workload_repo_ops wsc__mem_workload_ops = {wl_set, wl_add, wl_get, wl_remove,
                                                            wl_acquire};

void
wsc__mem_workload_free_all(struct mem_store *ms)
{
    wsc__mem_clear(&ms->wlns, ns_free, ms);
}
