/* SPDX-License-Identifier: MIT */
/* wsc_store: the backend-independent half of a store.  Opens a backend by URL scheme, hands
 * out its repositories, delivers finished requests on the next loop turn and cancels the
 * unfinished ones at close. */
#include <string.h>

#include "models/alloc.h"
#include "repository/store_internal.h"

void
wsc_store_config_init(wsc_store_config *cfg)
{
    if (cfg == NULL)
        return;
    *cfg = (wsc_store_config){.offline_max_per_user = 1000,
                              .offline_ttl_ms = 7ull * 24 * 3600 * 1000,
                              .record_ttl_ms = 24ull * 3600 * 1000,
                              .connrec_ttl_ms = 7ull * 24 * 3600 * 1000,
                              .command_timeout_ms = 5000,
                              .reconnect_min_ms = 100,
                              .reconnect_max_ms = 5000,
                              .queue_ttl_ms = 24ull * 3600 * 1000,
                              .workload_ttl_ms = 24ull * 3600 * 1000,
                              .offline_max_per_sender = 100,
                              .offline_max_msgs_per_sender = 10000,
                              .offline_max_bytes_per_sender = 64ull << 20,
                              .offline_max_total = 1000000,
                              .offline_max_bytes = 1ull << 30,
                              .purge_interval_ms = 60000,
                              .record_max_total = 100000};
}

const char *
wsc_record_state_name(wsc_record_state state)
{
    static const char *const names[] = {"pending", "sent",   "acked",     "retrying",
                                        "failed",  "stored", "delivered", "expired"};
    if ((unsigned)state >= sizeof(names) / sizeof(names[0]))
        return "unknown";
    return names[state];
}

static void
deliver(struct wsc__req *req, wsc_err st)
{
    bool ok = st == WSC_OK;
    void *u = req->user;
    switch (req->kind) {
    case WSC__REQ_DONE:
        req->cb.done(st, u);
        break;
    case WSC__REQ_COUNT:
        req->cb.count(st, ok ? req->count : 0, u);
        break;
    case WSC__REQ_FETCH:
        req->cb.fetch(st, ok ? req->msgs : NULL, ok ? req->n : 0, req->cursor, u);
        break;
    case WSC__REQ_RECORD:
        req->cb.record(st, ok ? &req->rec : NULL, u);
        break;
    case WSC__REQ_ONLINE:
        req->cb.online(st, ok ? req->entries : NULL, ok ? req->n : 0, u);
        break;
    case WSC__REQ_CONNREC:
        req->cb.connrec(st, ok ? &req->conn : NULL, u);
        break;
    case WSC__REQ_STATS:
        req->cb.stats(st, ok ? req->stats : NULL, ok ? req->n : 0, u);
        break;
    case WSC__REQ_IDS:
        req->cb.ids(st, ok ? (const char *const *)req->strs : NULL, ok ? req->nstrs : 0, u);
        break;
    case WSC__REQ_MSGS:
        req->cb.msgs(st, ok ? req->msgs : NULL, ok ? req->n : 0, u);
        break;
    case WSC__REQ_ACQUIRE:
        req->cb.acquire(st, ok ? req->str : NULL, ok ? req->count : 0, u);
        break;
    }
}

/* Unlinks req from its store and runs its callback once. */
static void
deliver_and_release(struct wsc__req *req, wsc_err st)
{
    wsc_list_remove(&req->link);
    req->store = NULL;
    req->finished = true;
    wsc__timer_stop(&req->timeout);
    deliver(req, st);
    wsc__req_unref(req);
}

static void
turn_cb(wsc__timer *t)
{
    wsc_store *store = wsc_container_of(t, wsc_store, turn);
    /* Take the current batch: requests finished by these callbacks wait for the next turn. */
    struct wsc_list batch;
    wsc_list_init(&batch);
    if (!wsc_list_empty(&store->done)) {
        batch.next = store->done.next;
        batch.prev = store->done.prev;
        batch.next->prev = &batch;
        batch.prev->next = &batch;
        wsc_list_init(&store->done);
    }
    while (!wsc_list_empty(&batch)) {
        struct wsc__req *req = wsc_container_of(batch.next, struct wsc__req, link);
        deliver_and_release(req, req->status);
    }
}

wsc_err
wsc__store_init(wsc_store *store, const struct wsc__store_ops *ops, struct wsc__repos *repos,
                wsc_loop *loop, const wsc_store_config *cfg)
{
    if (loop == NULL)
        return WSC_ERR_INVALID;
    store->loop = loop;
    if (cfg != NULL)
        store->cfg = *cfg;
    else
        wsc_store_config_init(&store->cfg);
    if (store->cfg.offline_max_per_user == 0 || store->cfg.command_timeout_ms == 0 ||
        store->cfg.queue_ttl_ms == 0 || store->cfg.workload_ttl_ms == 0)
        return WSC_ERR_INVALID;
    if (store->cfg.reconnect_min_ms == 0)
        store->cfg.reconnect_min_ms = 1;
    if (store->cfg.reconnect_max_ms < store->cfg.reconnect_min_ms)
        store->cfg.reconnect_max_ms = store->cfg.reconnect_min_ms;
    wsc_list_init(&store->live);
    wsc_list_init(&store->done);
    for (size_t i = 0; i < WSC__OP_COUNT; i++)
        wsc__histo_init(&store->op_us[i], 100); /* 100 us .. 3.3 s */
    store->ops = ops;
    wsc__store_set_unsupported(store);
    if (repos != NULL)
        wsc__store_set_repos(store, repos, &ops->repos);
    wsc__timer_init(&store->turn, loop, turn_cb);
    wsc__loop_attach(loop);
    return WSC_OK;
}

void
wsc__store_set_repos(wsc_store *store, struct wsc__repos *repos,
                     const struct wsc__repo_tables *tables)
{
#define SET_REPO(slot)                  \
    if (tables->slot != NULL) {         \
        repos->slot.ops = tables->slot; \
        repos->slot.store = store;      \
        store->slot = &repos->slot;     \
    }
    SET_REPO(offline)
    SET_REPO(records)
    SET_REPO(online)
    SET_REPO(connrecs)
    SET_REPO(hubstats)
    SET_REPO(queues)
    SET_REPO(workload)
#undef SET_REPO
}

wsc_err
wsc_store_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg, wsc_store **out)
{
    if (out == NULL)
        return WSC_ERR_INVALID;
    *out = NULL;
    if (loop == NULL || url == NULL)
        return WSC_ERR_INVALID;
    if (strcmp(url, "memory:") == 0 || strcmp(url, "memory://") == 0)
        return wsc_repo_memory_new(loop, cfg, out);
    if (strncmp(url, "redis://", 8) == 0 || strncmp(url, "redis+cluster://", 16) == 0)
        return wsc__redis_open(loop, url, cfg, out);
    if (strncmp(url, "mysql://", 8) == 0)
        return wsc__mysql_open(loop, url, cfg, out);
    if (strncmp(url, "hybrid:", 7) == 0)
        return wsc__hybrid_open_url(loop, url, cfg, out);
    return WSC_ERR_INVALID;
}

wsc_err
wsc_store_ping(wsc_store *store, wsc_repo_done_cb cb, void *user)
{
    if (store == NULL)
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err = wsc__req_new(store, WSC__OP_PING, WSC__REQ_DONE, (union wsc__req_cb){.done = cb},
                               user, &req);
    if (err != WSC_OK)
        return err;
    err = store->ops->ping(store, req);
    if (err != WSC_OK)
        wsc__req_drop(req);
    return err;
}

void
wsc_store_close(wsc_store *store)
{
    if (store == NULL || store->closing)
        return;
    store->closing = true;
    wsc__timer_stop(&store->turn);
    while (!wsc_list_empty(&store->done)) {
        struct wsc__req *req = wsc_container_of(store->done.next, struct wsc__req, link);
        deliver_and_release(req, WSC_ERR_CANCELED);
    }
    while (!wsc_list_empty(&store->live)) {
        struct wsc__req *req = wsc_container_of(store->live.next, struct wsc__req, link);
        deliver_and_release(req, WSC_ERR_CANCELED);
    }
    wsc_loop *loop = store->loop;
    store->ops->close(store);
    wsc__loop_detach(loop);
}

const char *
wsc_store_backend(const wsc_store *store)
{
    return store != NULL ? store->ops->name : "";
}

const char *
wsc_store_last_error(const wsc_store *store)
{
    return store != NULL ? store->last_error.text : "";
}

/* The repository getters of wsc/store.h: the store's slot (never NULL), NULL for a NULL store. */
#define REPO_GETTER(fn, type, slot)                \
    struct type *fn(wsc_store *store)              \
    {                                              \
        return store != NULL ? store->slot : NULL; \
    }

REPO_GETTER(wsc_store_offline, wsc_offline_repo, offline)
REPO_GETTER(wsc_store_records, wsc_record_repo, records)
REPO_GETTER(wsc_store_online, wsc_online_repo, online)
REPO_GETTER(wsc_store_connrecs, wsc_connrec_repo, connrecs)
REPO_GETTER(wsc_store_hubstats, wsc_hubstats_repo, hubstats)
REPO_GETTER(wsc_store_queues, wsc_queue_repo, queues)
REPO_GETTER(wsc_store_workload, wsc_workload_repo, workload)
#undef REPO_GETTER
