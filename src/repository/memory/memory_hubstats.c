/* SPDX-License-Identifier: MIT */
/* The memory backend's hub stats (one entry per node, lapsing ttl_ms after its last put) and
 * message queues (per name, a list of frozen message copies; a queue lapses queue_ttl_ms
 * after its last push or pop).  Lapsed entries are dropped when they are next looked at. */
#include <string.h>

#include "models/alloc.h"
#include "models/msg_internal.h"
#include "repository/memory/memory_internal.h"

struct mem_hs {
    struct mem_node node; /* key: node id */
    wsc_node_stats st;    /* st.node_id points at node.key */
    int64_t expires_ms;
};

struct mem_q {
    struct mem_node node; /* key: queue name */
    struct wsc_list items;
    size_t n;
    int64_t expires_ms;
};

struct mem_qi {
    struct wsc_list link;
    wsc_msg *msg; /* own reference, frozen */
};

/* ---- hub stats ---- */

/* Frees one mem_hs (node) of the store arg (a wsc__mem_clear callback). */
static void
hs_free(struct mem_node *node, void *arg)
{
    struct mem_store *ms = arg;
    struct mem_hs *h = (struct mem_hs *)node;
    wsc__mem_remove(&ms->hstats, &h->node);
    wsc__free(h);
}

/* The live entry of node, or NULL (a lapsed one is dropped). */
static struct mem_hs *
hs_find(struct mem_store *ms, const char *node)
{
    return wsc__mem_find_live(&ms->hstats, node, offsetof(struct mem_hs, expires_ms), hs_free, ms);
}

static wsc_err
hs_put_now(struct mem_store *ms, const wsc_node_stats *st, uint32_t ttl_ms)
{
    struct mem_hs *h = hs_find(ms, st->node_id);
    if (h == NULL) {
        h = wsc__mem_add(&ms->hstats, sizeof(*h), st->node_id);
        if (h == NULL)
            return WSC_ERR_NOMEM;
    }
    h->st = *st;
    h->st.node_id = h->node.key;
    h->st.updated_ms = wsc__mem_now();
    h->expires_ms = h->st.updated_ms + ttl_ms;
    return WSC_OK;
}

static wsc_err
hs_put(struct wsc_hubstats_repo *repo, struct wsc__req *req, const wsc_node_stats *st,
       uint32_t ttl_ms)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.hubstats);
    return wsc__mem_answer(req, hs_put_now(ms, st, ttl_ms));
}

static wsc_err
hs_get_many(struct wsc_hubstats_repo *repo, struct wsc__req *req, const char *const *ids, size_t n)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.hubstats);
    wsc_err err = WSC_OK;
    for (size_t i = 0; i < n && err == WSC_OK; i++) {
        struct mem_hs *h = hs_find(ms, ids[i]);
        if (h != NULL)
            err = wsc__req_add_stats(req, &h->st);
    }
    return wsc__mem_answer(req, err);
}

struct list_ctx {
    struct mem_store *ms;
    struct wsc__req *req;
    wsc_err err;
};

static void
hs_list_node(struct mem_node *n, void *arg)
{
    struct list_ctx *c = arg;
    struct mem_hs *h = (struct mem_hs *)n;
    if (h->expires_ms <= wsc__mem_now())
        hs_free(&h->node, c->ms);
    else if (c->err == WSC_OK && wsc__req_strdup(c->req, h->node.key) == NULL)
        c->err = WSC_ERR_NOMEM;
}

static wsc_err
hs_list(struct wsc_hubstats_repo *repo, struct wsc__req *req)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.hubstats);
    struct list_ctx c = {ms, req, WSC_OK};
    wsc__mem_each(&ms->hstats, hs_list_node, &c);
    return wsc__mem_answer(req, c.err);
}

static wsc_err
hs_remove(struct wsc_hubstats_repo *repo, struct wsc__req *req, const char *node)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.hubstats);
    struct mem_hs *h = hs_find(ms, node);
    if (h != NULL)
        hs_free(&h->node, ms);
    return wsc__mem_found(req, h);
}

const struct wsc_hubstats_repo_ops wsc__mem_hubstats_ops = {hs_put, hs_get_many, hs_list,
                                                            hs_remove};

void
wsc__mem_hubstats_free_all(struct mem_store *ms)
{
    wsc__mem_clear(&ms->hstats, hs_free, ms);
}

/* ---- message queues ---- */

/* Frees one mem_q (node) of the store arg (a wsc__mem_clear callback). */
static void
q_free(struct mem_node *node, void *arg)
{
    struct mem_store *ms = arg;
    struct mem_q *q = (struct mem_q *)node;
    while (!wsc_list_empty(&q->items)) {
        struct mem_qi *it = wsc_container_of(q->items.next, struct mem_qi, link);
        wsc_list_remove(&it->link);
        wsc_msg_unref(it->msg);
        wsc__free(it);
    }
    wsc__mem_remove(&ms->mqs, &q->node);
    wsc__free(q);
}

static struct mem_q *
q_find(struct mem_store *ms, const char *name)
{
    return wsc__mem_find_live(&ms->mqs, name, offsetof(struct mem_q, expires_ms), q_free, ms);
}

static wsc_err
q_push_now(struct mem_store *ms, const char *name, wsc_msg *msg, uint64_t *len)
{
    struct mem_q *q = q_find(ms, name);
    if (q == NULL) {
        q = wsc__mem_add(&ms->mqs, sizeof(*q), name);
        if (q == NULL)
            return WSC_ERR_NOMEM;
        wsc_list_init(&q->items);
    }
    q->expires_ms = wsc__mem_now() + (int64_t)ms->base.cfg.queue_ttl_ms;
    struct mem_qi *it = wsc__calloc(1, sizeof(*it));
    /* A frozen copy: what a pop hands out must not change under the pusher. */
    if (it == NULL || wsc_msg_clone(msg, &it->msg) != WSC_OK ||
        wsc__msg_encode(it->msg) != WSC_OK) {
        if (it != NULL)
            wsc_msg_unref(it->msg);
        wsc__free(it);
        if (q->n == 0)
            q_free(&q->node, ms);
        return WSC_ERR_NOMEM;
    }
    wsc_list_push_back(&q->items, &it->link);
    *len = ++q->n;
    return WSC_OK;
}

static wsc_err
q_push(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name, wsc_msg *msg)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.queues);
    if (wsc_msg_is_binary(msg))
        return WSC_ERR_UNSUPPORTED;
    return wsc__mem_answer(req, q_push_now(ms, name, msg, &req->count));
}

static wsc_err
q_pop(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name, size_t max)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.queues);
    struct mem_q *q = q_find(ms, name);
    wsc_err err = WSC_OK;
    while (q != NULL && req->n < max && !wsc_list_empty(&q->items) && err == WSC_OK) {
        struct mem_qi *it = wsc_container_of(q->items.next, struct mem_qi, link);
        wsc_list_remove(&it->link);
        q->n--;
        err = wsc__req_add_msg(req, it->msg); /* the item's reference moves to req */
        wsc__free(it);
    }
    if (q != NULL) {
        q->expires_ms = wsc__mem_now() + (int64_t)ms->base.cfg.queue_ttl_ms;
        if (q->n == 0)
            q_free(&q->node, ms);
    }
    return wsc__mem_answer(req, err);
}

static wsc_err
q_length(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.queues);
    struct mem_q *q = q_find(ms, name);
    req->count = q != NULL ? q->n : 0;
    return wsc__mem_answer(req, WSC_OK);
}

const struct wsc_queue_repo_ops wsc__mem_queue_ops = {q_push, q_pop, q_length};

void
wsc__mem_queues_free_all(struct mem_store *ms)
{
    wsc__mem_clear(&ms->mqs, q_free, ms);
}
