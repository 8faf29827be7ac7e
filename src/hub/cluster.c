/* SPDX-License-Identifier: MIT */
/* Cluster membership (cluster.h): joining and leaving, the heartbeat (this node's stats with a
 * TTL in the hub stats repository: a node is live while its entry there has not lapsed),
 * presence in Redis,
 * group membership shared through Redis, and the cluster-wide queries. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/cluster_internal.h"
#include "models/alloc.h"

void
wsc__cl_node_channel(const char *node, char *out, size_t cap)
{
    snprintf(out, cap, "wsc:n:%s", node);
}

bool
wsc__cl_user_channel(const char *user, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "wsc:u:%s", user) < cap;
}

wsc_err
wsc__cl_publish(struct wsc__cluster *cl, const char *channel, const struct wsc__env *env,
                wsc_repo_count_cb cb, void *arg)
{
    wsc_buf b = {0};
    wsc_err err = wsc__env_encode(env, &b);
    if (err == WSC_OK)
        err = wsc__bus_publish(cl->bus, channel, b.data, b.len, cb, arg);
    wsc_buf_free(&b);
    return err;
}

bool
wsc__cluster_on(const wsc_hub *hub)
{
    return hub->cluster != NULL && !hub->cluster->closing;
}

/* ---- presence ---- */

static void
log_store_error(wsc_err st, void *arg)
{
    struct wsc__cluster *cl = arg;
    if (st != WSC_OK && st != WSC_ERR_CANCELED && !cl->closing)
        wsc__log(&cl->hub->log, WSC_LOG_WARN, "cluster_write", "s:error,s:detail", wsc_err_name(st),
                 wsc_store_last_error(cl->store));
}

/* The end of a write this node started (a graceful stop waits for them: wsc__cluster_idle). */
static void
write_end(wsc_err st, void *arg)
{
    struct wsc__cluster *cl = arg;
    log_store_error(st, cl);
    if (cl->writes_out > 0)
        cl->writes_out--;
    if (cl->writes_out == 0 && !cl->closing)
        wsc__hub_drain_check(cl->hub);
}

/* A presence write made for a connect or disconnect: the change of the user's count across
 * the cluster decides whether the user came online or went offline (Redis runs the writes one
 * at a time, so exactly one node sees each change). */
struct presence_change {
    struct wsc__cluster *cl;
    char user[];
};

static void
on_presence_set(wsc_err st, const char *const *v, size_t n, void *arg)
{
    struct presence_change *c = arg;
    struct wsc__cluster *cl = c->cl;
    if (st == WSC_OK && n != 2)
        st = WSC_ERR_STORE;
    if (st == WSC_OK && (strcmp(v[0], "0") == 0) != (strcmp(v[1], "0") == 0) && !cl->closing) {
        bool online = strcmp(v[1], "0") != 0;
        wsc__cl_presence_event(cl->hub, c->user, online);
        struct wsc__env env = {.kind = WSC__ENV_ONLINE,
                               .origin = cl->hub->cfg.node_id,
                               .target = c->user,
                               .payload = online ? "1" : "0",
                               .payload_len = 1};
        (void)wsc__cl_publish(cl, cl->chan_all, &env, NULL, NULL);
    }
    wsc__free(c);
    write_end(st, cl);
}

static void
ignore_totals(wsc_err st, const char *const *v, size_t n, void *arg)
{
    (void)v;
    (void)n;
    write_end(st, arg);
}

/* Writes this node's count of user; with events, a change of the user's presence across the
 * cluster is told to every node. */
static void
presence_write(struct wsc__cluster *cl, const char *user, size_t conns, bool events)
{
    size_t len = strlen(user) + 1;
    struct presence_change *c = events ? wsc__malloc(sizeof(*c) + len) : NULL;
    if (c != NULL) {
        c->cl = cl;
        memcpy(c->user, user, len);
    }
    wsc_err err =
        wsc__bus_presence_set(cl->bus, user, cl->hub->cfg.node_id, conns, WSC__CL_PRES_TTL_MS,
                              c ? on_presence_set : ignore_totals, c ? (void *)c : (void *)cl);
    if (err != WSC_OK) {
        wsc__free(c);
        log_store_error(err, cl);
    } else {
        cl->writes_out++;
    }
}

void
wsc__cl_presence_event(wsc_hub *hub, const char *user, bool online)
{
    wsc__log(&hub->log, WSC_LOG_INFO, online ? "user_online" : "user_offline", "s:user", user);
    if (hub->cfg.on_presence != NULL)
        hub->cfg.on_presence(hub, user, online, hub->cfg.user);
}

void
wsc__cluster_user_count(wsc_hub *hub, const char *user, size_t conns)
{
    struct wsc__cluster *cl = hub->cluster;
    if (!wsc__cluster_on(hub))
        return;
    char ch[WSC__CL_CHAN_MAX];
    if (wsc__cl_user_channel(user, ch, sizeof(ch))) {
        if (conns > 0)
            (void)wsc__bus_subscribe(cl->bus, ch);
        else
            (void)wsc__bus_unsubscribe(cl->bus, ch);
    }
    presence_write(cl, user, conns, true);
}

/* Every local user again (Redis may have lost them, or their keys near their TTL). */
static void
presence_rewrite_all(struct wsc__cluster *cl)
{
    struct wsc_list *pos;
    wsc_list_foreach(pos, &cl->hub->user_order) {
        struct hub_user *u = wsc_container_of(pos, struct hub_user, link);
        presence_write(cl, u->id, wsc__hub_user_conns(u), false);
    }
}

/* ---- heartbeat ---- */

static void
on_beat_put(wsc_err st, void *arg)
{
    write_end(st, arg);
}

static void
beat(struct wsc__cluster *cl)
{
    wsc_hub_stats s;
    wsc_hub_get_stats(cl->hub, &s);
    wsc_node_stats ns = {.node_id = cl->hub->cfg.node_id,
                         .connections = s.connections,
                         .users = s.users,
                         .messages_in = s.messages_in,
                         .messages_out = s.messages_out,
                         .bytes_in = s.bytes_in,
                         .bytes_out = s.bytes_out,
                         .send_failed = s.send_failed,
                         .queued = s.queued,
                         .uptime_ms = s.uptime_ms};
    wsc_err err =
        wsc_hubstats_put(wsc_store_hubstats(cl->store), &ns, WSC__CL_NODE_TTL_MS, on_beat_put, cl);
    if (err != WSC_OK)
        log_store_error(err, cl);
    else
        cl->writes_out++;
    if (++cl->beats % WSC__CL_PRES_EVERY == 0 && !cl->left)
        presence_rewrite_all(cl);
}

static void
beat_cb(wsc__timer *t)
{
    struct wsc__cluster *cl = wsc_container_of(t, struct wsc__cluster, beat);
    beat(cl);
    wsc__timer_start(&cl->beat, WSC__CL_BEAT_MS);
}

/* ---- groups ---- */

static void
on_groups(wsc_err st, const char *const *v, size_t n, void *arg)
{
    struct wsc__cluster *cl = arg;
    if (st != WSC_OK || cl->closing) {
        log_store_error(st, cl);
        return;
    }
    for (size_t i = 0; i + 1 < n;) {
        size_t members = (size_t)strtoull(v[i + 1], NULL, 10);
        for (size_t j = 0; j < members && i + 2 + j < n; j++)
            (void)wsc__hub_group_apply(cl->hub, v[i], v[i + 2 + j], true);
        i += 2 + members;
    }
}

void
wsc__cluster_group_changed(wsc_hub *hub, const char *group, const char *user, bool join)
{
    struct wsc__cluster *cl = hub->cluster;
    if (!wsc__cluster_on(hub))
        return;
    wsc_err err = wsc__bus_group_set(cl->bus, group, user, join, write_end, cl);
    if (err != WSC_OK)
        log_store_error(err, cl);
    else
        cl->writes_out++;
    struct wsc__env env = {.kind = join ? WSC__ENV_JOIN : WSC__ENV_LEAVE,
                           .origin = hub->cfg.node_id,
                           .target = group,
                           .extra = user};
    (void)wsc__cl_publish(cl, cl->chan_all, &env, NULL, NULL);
}

bool
wsc__cluster_more_waiting(const wsc_hub *hub)
{
    return wsc__cluster_on(hub) && wsc__bus_more_waiting(hub->cluster->bus);
}

void
wsc__cluster_hold_publishes(wsc_hub *hub, bool on)
{
    if (hub->cluster != NULL && hub->cluster->bus != NULL)
        wsc__bus_hold(hub->cluster->bus, on);
}

/* ---- the bus ---- */

static void
on_message(void *user, const char *channel, const char *data, size_t len)
{
    struct wsc__cluster *cl = user;
    (void)channel;
    struct wsc__env env;
    char *copy = NULL;
    if (cl->closing || wsc__env_decode(data, len, &env, &copy) != WSC_OK) {
        wsc__free(copy);
        return;
    }
    /* Corked: the connections it queues to are written directly at the end of the loop's
     * pass, together with those of the rest of this read of the bus (hub_cork.c). */
    bool outer = !cl->hub->cork.on;
    if (outer)
        wsc__hub_cork_begin(cl->hub);
    wsc__cl_on_env(cl, &env);
    if (outer)
        wsc__hub_cork_end_soon(cl->hub, len);
    wsc__free(copy);
}

/* Subscribed (again): whatever Redis lost or this node missed is written and read again. */
static void
on_up(void *user)
{
    struct wsc__cluster *cl = user;
    wsc__log(&cl->hub->log, WSC_LOG_INFO, "cluster_up", "s:node", cl->hub->cfg.node_id);
    /* A node that has left (wsc__cluster_leave) and resubscribes while its connections close
     * writes nothing: a heartbeat now would make the others count it for another TTL. */
    if (cl->left)
        return;
    beat(cl);
    presence_rewrite_all(cl);
    wsc_err err = wsc__bus_groups_load(cl->bus, on_groups, cl);
    if (err != WSC_OK)
        log_store_error(err, cl);
}

static void
on_subscribed(void *user, const char *channel)
{
    wsc__cl_hold_subscribed(user, channel);
}

static void
on_down(void *user)
{
    struct wsc__cluster *cl = user;
    wsc__cl_hold_release_all(cl); /* nothing to wait for while cut off */
    wsc__log(&cl->hub->log, WSC_LOG_WARN, "cluster_down", "s:node", cl->hub->cfg.node_id);
}

wsc_err
wsc__cluster_open(wsc_hub *hub)
{
    const char *url = hub->cfg.cluster_redis;
    if (url == NULL || url[0] == '\0')
        return WSC_OK;
    struct wsc__cluster *cl = wsc__calloc(1, sizeof(*cl));
    if (cl == NULL)
        return WSC_ERR_NOMEM;
    cl->hub = hub;
    wsc__hmap_init(&cl->gathers);
    wsc__cl_acks_init(cl);
    wsc_list_init(&cl->held);
    wsc__timer_init(&cl->hold_timer, hub->loop, wsc__cl_hold_timer);
    wsc__cl_owed_init(cl);
    wsc__cl_node_channel(hub->cfg.node_id, cl->chan_node, sizeof(cl->chan_node));
    snprintf(cl->chan_all, sizeof(cl->chan_all), "wsc:all");
    static const wsc__bus_cbs cbs = {on_message, on_up, on_down, on_subscribed};
    wsc_err err = wsc_store_open(hub->loop, url, NULL, &cl->store);
    if (err == WSC_OK)
        err = wsc__bus_open(cl->store, &cbs, cl, &cl->bus);
    if (err == WSC_OK)
        err = wsc__bus_subscribe(cl->bus, cl->chan_node);
    if (err == WSC_OK)
        err = wsc__bus_subscribe(cl->bus, cl->chan_all);
    if (err != WSC_OK) {
        wsc__bus_close(cl->bus);
        wsc_store_close(cl->store);
        wsc__free(cl);
        return err == WSC_ERR_UNSUPPORTED ? WSC_ERR_INVALID : err;
    }
    wsc__timer_init(&cl->beat, hub->loop, beat_cb);
    wsc__timer_start(&cl->beat, WSC__CL_BEAT_MS);
    hub->cluster = cl;
    return WSC_OK;
}

void
wsc__cluster_leave(wsc_hub *hub)
{
    struct wsc__cluster *cl = hub->cluster;
    if (!wsc__cluster_on(hub) || cl->left)
        return;
    cl->left = true;
    wsc__timer_stop(&cl->beat);
    /* The others stop counting this node now, not when its heartbeat lapses; the connections
     * closing meanwhile write their users' counts down. */
    wsc_err err =
        wsc_hubstats_remove(wsc_store_hubstats(cl->store), hub->cfg.node_id, write_end, cl);
    if (err == WSC_OK)
        cl->writes_out++;
}

bool
wsc__cluster_idle(const wsc_hub *hub)
{
    return hub->cluster == NULL || hub->cluster->writes_out == 0;
}

void
wsc__cluster_close(wsc_hub *hub)
{
    struct wsc__cluster *cl = hub->cluster;
    if (cl == NULL)
        return;
    wsc__cl_hold_release_all(cl);
    cl->closing = true;
    wsc__timer_stop(&cl->beat);
    wsc__cl_owed_free(cl);
    wsc__bus_close(cl->bus);
    wsc_store_close(cl->store); /* writes still out are canceled: a hub freed without a stop */
    wsc__cl_gather_free_all(cl);
    wsc__cl_acks_free(cl);
    hub->cluster = NULL;
    wsc__free(cl);
}
