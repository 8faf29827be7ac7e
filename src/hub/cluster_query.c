/* SPDX-License-Identifier: MIT */
/* The cluster-wide queries: a user's connections on every live node, and the live nodes with
 * the sum of their stats (from the heartbeats in the hub stats repository). */
#include <stdlib.h>
#include <string.h>

#include "hub/cluster_internal.h"
#include "loop/loop.h"
#include "models/alloc.h"

struct presence_q {
    struct wsc__cluster *cl;
    uint64_t local;
    wsc__cluster_done_cb cb;
    void *arg;
};

static void
presence_done(struct presence_q *q, wsc_err st, uint64_t sum)
{
    q->cb(q->cl->hub, st, sum, q->arg);
    wsc__free(q);
}

/* This node's own count is its registry's; the other live nodes' come from Redis. */
static void
on_presence(wsc_err st, const char *const *v, size_t n, void *arg)
{
    struct presence_q *q = arg;
    struct wsc__cluster *cl = q->cl;
    uint64_t sum = q->local;
    for (size_t i = 0; st == WSC_OK && i + 1 < n; i += 2)
        if (strcmp(v[i], cl->hub->cfg.node_id) != 0)
            sum += strtoull(v[i + 1], NULL, 10);
    presence_done(q, st, sum);
}

wsc_err
wsc__cluster_presence(wsc_hub *hub, const char *user, wsc__cluster_done_cb cb, void *arg)
{
    struct presence_q *q = wsc__calloc(1, sizeof(*q));
    if (q == NULL)
        return WSC_ERR_NOMEM;
    struct hub_user *u = wsc__hub_user_find(hub, user);
    q->cl = hub->cluster;
    q->local = u != NULL ? wsc__hub_user_conns(u) : 0;
    q->cb = cb;
    q->arg = arg;
    wsc_err err = wsc__bus_presence_get(hub->cluster->bus, user, on_presence, q);
    if (err != WSC_OK)
        wsc__free(q);
    return err;
}

struct stats_q {
    struct wsc__cluster *cl;
    wsc_hub_cluster_stats_cb cb;
    void *user;
};

static void
stats_done(struct stats_q *q, wsc_err st, const wsc_hub_cluster_totals *out)
{
    wsc_hub_cluster_totals none = {0};
    q->cb(q->cl->hub, st, st == WSC_OK ? out : &none, q->user);
    wsc__free(q);
}

static void
on_stats(wsc_err st, const wsc_node_stats *v, size_t n, void *arg)
{
    struct stats_q *q = arg;
    wsc_hub_cluster_totals out = {0};
    for (size_t i = 0; st == WSC_OK && i < n; i++) {
        /* This node's own figures are the live ones, not its last heartbeat's. */
        if (strcmp(v[i].node_id, q->cl->hub->cfg.node_id) == 0)
            continue;
        out.nodes++;
        out.total.connections += v[i].connections;
        out.total.users += v[i].users;
        out.total.messages_in += v[i].messages_in;
        out.total.messages_out += v[i].messages_out;
        out.total.bytes_in += v[i].bytes_in;
        out.total.bytes_out += v[i].bytes_out;
        out.total.send_failed += v[i].send_failed;
        out.total.queued += v[i].queued;
    }
    wsc_hub_stats mine;
    wsc_hub_get_stats(q->cl->hub, &mine);
    out.nodes++;
    out.total.connections += mine.connections;
    out.total.users += mine.users;
    out.total.messages_in += mine.messages_in;
    out.total.messages_out += mine.messages_out;
    out.total.bytes_in += mine.bytes_in;
    out.total.bytes_out += mine.bytes_out;
    out.total.send_failed += mine.send_failed;
    out.total.queued += mine.queued;
    out.total.refused = mine.refused;
    out.total.uptime_ms = mine.uptime_ms;
    stats_done(q, st, &out);
}

static void
on_nodes(wsc_err st, const char *const *ids, size_t n, void *arg)
{
    struct stats_q *q = arg;
    if (st == WSC_OK && n == 0) {
        on_stats(WSC_OK, NULL, 0, q);
        return;
    }
    if (st == WSC_OK)
        st = wsc_hubstats_get_many(wsc_store_hubstats(q->cl->store), ids, n > 256 ? 256 : n,
                                   on_stats, q);
    if (st != WSC_OK)
        stats_done(q, st, NULL);
}

wsc_err
wsc__cluster_stats(wsc_hub *hub, wsc_hub_cluster_stats_cb cb, void *user)
{
    struct stats_q *q = wsc__calloc(1, sizeof(*q));
    if (q == NULL)
        return WSC_ERR_NOMEM;
    *q = (struct stats_q){hub->cluster, cb, user};
    wsc_err err = wsc_hubstats_list(wsc_store_hubstats(hub->cluster->store), on_nodes, q);
    if (err != WSC_OK)
        wsc__free(q);
    return err;
}

/* ---- the public calls (wsc/hub.h); on a single node they answer on a later loop turn ---- */

struct later {
    wsc_hub *hub;
    wsc_hub_count_cb count_cb;
    wsc_hub_cluster_stats_cb stats_cb;
    void *user;
    uint64_t count;
};

static void
later_run(void *arg)
{
    struct later *l = arg;
    wsc_err st = l->hub->freeing ? WSC_ERR_CANCELED : WSC_OK;
    if (l->count_cb != NULL) {
        l->count_cb(l->hub, st, l->count, l->user);
    } else {
        wsc_hub_cluster_totals s = {.nodes = 1};
        wsc_hub_get_stats(l->hub, &s.total);
        l->stats_cb(l->hub, st, &s, l->user);
    }
    wsc__free(l);
}

static wsc_err
answer_later(wsc_hub *hub, wsc_hub_count_cb ccb, wsc_hub_cluster_stats_cb scb, void *user,
             uint64_t count)
{
    struct later *l = wsc__calloc(1, sizeof(*l));
    if (l == NULL)
        return WSC_ERR_NOMEM;
    *l = (struct later){hub, ccb, scb, user, count};
    wsc_err err = wsc__loop_post(hub->loop, later_run, l);
    if (err != WSC_OK)
        wsc__free(l);
    return err;
}

wsc_err
wsc_hub_cluster_stats(wsc_hub *hub, wsc_hub_cluster_stats_cb cb, void *user)
{
    if (hub == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    if (!wsc__cluster_on(hub))
        return answer_later(hub, NULL, cb, user, 0);
    return wsc__cluster_stats(hub, cb, user);
}

wsc_err
wsc_hub_user_connections(wsc_hub *hub, const char *user_id, wsc_hub_count_cb cb, void *user)
{
    if (hub == NULL || user_id == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    if (!wsc__cluster_on(hub)) {
        struct hub_user *u = wsc__hub_user_find(hub, user_id);
        return answer_later(hub, cb, NULL, user, u != NULL ? wsc__hub_user_conns(u) : 0);
    }
    return wsc__cluster_presence(hub, user_id, cb, user);
}

struct kick_q {
    wsc_hub_count_cb cb;
    void *user;
    uint64_t local;
};

static void
kicked_all(wsc_hub *hub, wsc_err st, uint64_t sum, void *arg)
{
    struct kick_q *k = arg;
    if (k->cb != NULL)
        k->cb(hub, st, k->local + sum, k->user);
    wsc__free(k);
}

wsc_err
wsc_hub_kick_user_all(wsc_hub *hub, const char *user_id, const char *reason, wsc_hub_count_cb cb,
                      void *user)
{
    if (hub == NULL || user_id == NULL)
        return WSC_ERR_INVALID;
    struct kick_q *k = wsc__calloc(1, sizeof(*k));
    if (k == NULL)
        return WSC_ERR_NOMEM;
    *k = (struct kick_q){cb, user, wsc__hub_kick_local(hub, user_id, reason)};
    if (!wsc__cluster_on(hub)) {
        wsc_err err = cb != NULL ? answer_later(hub, cb, NULL, user, k->local) : WSC_OK;
        wsc__free(k);
        return err;
    }
    wsc_err err = wsc__cluster_kick(hub, user_id, reason, kicked_all, k);
    if (err != WSC_OK)
        wsc__free(k);
    return err;
}
