/* SPDX-License-Identifier: MIT */
/* The cluster bus's pub/sub (repository/bus.h): a second Redis connection of the bus's own
 * that holds the subscriptions (made again on every reconnect), and PUBLISH on the store's
 * command connection.  The subscription set is a hash set of channel names, each marked
 * confirmed once Redis has answered its SUBSCRIBE.  On a Redis Cluster the subscriptions are
 * sharded instead (redis_shard.c) and messages go out with SPUBLISH. */
#include "repository/redis/redis_bus.h"

#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>

#include "models/alloc.h"
#include "models/hmap.h"
#include "repository/bus.h"

#define WIRE_MAX (256 + 16)

/* The command connection's writes are at least this far apart (redis_lws.c): a busy node sends
 * Redis a few publishes per write instead of one per loop pass, which costs Redis (one thread
 * for the whole cluster) about 40% less CPU at 20,000 cross-node messages/s for at most this
 * much more latency; a node that writes less often than this is not delayed at all. */
#define BUS_COALESCE_US 250

struct bus_chan *
wsc__bus_chan_find(const wsc__bus *bus, const char *wire)
{
    wsc__snode *n = wsc__hmap_find_str(&bus->chans, wire);
    return n ? wsc_container_of(n, struct bus_chan, node) : NULL;
}

static struct bus_chan *
chan_of(wsc__hnode *n)
{
    return wsc_container_of(n, struct bus_chan, node.h);
}

void
wsc__bus_went_up(wsc__bus *bus)
{
    if (bus->up)
        return;
    bus->up = true;
    if (bus->cbs.on_up != NULL)
        bus->cbs.on_up(bus->user);
}

void
wsc__bus_went_down(wsc__bus *bus)
{
    if (!bus->up)
        return;
    bus->up = false;
    if (bus->cbs.on_down != NULL)
        bus->cbs.on_down(bus->user);
}

void
wsc__bus_deliver(wsc__bus *bus, const char *wire, const char *data, size_t len)
{
    if (strncmp(wire, bus->prefix, bus->prefix_len) != 0 || bus->cbs.on_message == NULL)
        return;
    bus->cbs.on_message(bus->user, wire + bus->prefix_len, data, len);
}

void
wsc__bus_confirmed(wsc__bus *bus, struct bus_chan *c)
{
    c->confirmed = true;
    if (bus->cbs.on_subscribed != NULL)
        bus->cbs.on_subscribed(bus->user, c->name + bus->prefix_len);
}

static void
on_sub_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    wsc__bus *bus = privdata;
    const redisReply *r = reply;
    if (r == NULL || bus->closing || r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str;
    const char *wire = r->element[1]->str;
    if (strcmp(kind, "message") == 0 && r->element[2]->type == REDIS_REPLY_STRING) {
        wsc__bus_deliver(bus, wire, r->element[2]->str, r->element[2]->len);
    } else if (strcmp(kind, "subscribe") == 0) {
        struct bus_chan *c = wsc__bus_chan_find(bus, wire);
        if (c != NULL)
            c->confirmed = true;
        if (bus->resubscribing > 0 && --bus->resubscribing == 0)
            wsc__bus_went_up(bus);
        if (c != NULL)
            wsc__bus_confirmed(bus, c);
    }
}

/* Sends SUBSCRIBE for the given names (at most 64 at a time). */
static void
subscribe_names(wsc__bus *bus, const char **names, size_t n)
{
    const char *argv[65];
    size_t lens[65];
    argv[0] = "SUBSCRIBE";
    lens[0] = 9;
    for (size_t i = 0; i < n; i++) {
        argv[i + 1] = names[i];
        lens[i + 1] = strlen(names[i]);
    }
    if (bus->ac != NULL)
        redisAsyncCommandArgv(bus->ac, on_sub_reply, bus, (int)n + 1, argv, lens);
}

struct batch {
    wsc__bus *bus;
    const char *names[64];
    size_t n;
};

/* A wsc__hmap_each callback over the channels. */
static void
add_to_batch(wsc__hnode *n, void *arg)
{
    struct batch *b = arg;
    struct bus_chan *c = chan_of(n);
    c->confirmed = false;
    b->names[b->n++] = c->name;
    if (b->n == 64) {
        subscribe_names(b->bus, b->names, b->n);
        b->n = 0;
    }
}

/* The subscription connection is ready (again): subscribe to every channel; up once Redis has
 * confirmed them all. */
static void
on_ready(void *user, redisAsyncContext *ac)
{
    wsc__bus *bus = user;
    bus->ac = ac;
    bus->resubscribing = bus->chans.count;
    if (bus->chans.count == 0) {
        wsc__bus_went_up(bus);
        return;
    }
    struct batch b = {.bus = bus, .n = 0};
    wsc__hmap_each(&bus->chans, add_to_batch, &b);
    if (b.n > 0)
        subscribe_names(bus, b.names, b.n);
}

/* A wsc__hmap_each callback over the channels. */
static void
unconfirm(wsc__hnode *n, void *arg)
{
    (void)arg;
    chan_of(n)->confirmed = false;
}

/* Frees a channel at close (a wsc__hmap_each callback). */
static void
chan_free(wsc__hnode *n, void *arg)
{
    (void)arg;
    wsc__free(chan_of(n));
}

static void
on_lost(void *user)
{
    wsc__bus *bus = user;
    bus->ac = NULL;
    bus->resubscribing = 0;
    wsc__hmap_each(&bus->chans, unconfirm, NULL);
    wsc__bus_went_down(bus);
}

wsc_err
wsc__bus_open(wsc_store *store, const wsc__bus_cbs *cbs, void *user, wsc__bus **out)
{
    if (out != NULL)
        *out = NULL;
    if (store == NULL || cbs == NULL || out == NULL)
        return WSC_ERR_INVALID;
    struct redis_store *rs = wsc__rs_of(store);
    if (rs == NULL)
        return WSC_ERR_UNSUPPORTED;
    wsc__bus *bus = wsc__calloc(1, sizeof(*bus));
    if (bus == NULL)
        return WSC_ERR_NOMEM;
    bus->cmd = rs;
    rs->coalesce_us = BUS_COALESCE_US;
    bus->cbs = *cbs;
    bus->prefix_len = (size_t)snprintf(bus->prefix, sizeof(bus->prefix), "%d/", rs->db);
    bus->user = user;
    wsc__hmap_init(&bus->chans);
    bus->live = wsc__rs_live_new(rs);
    /* A Redis Cluster: sharded pub/sub, a connection per master (redis_shard.c). */
    bus->sharded = rs->cl != NULL;
    wsc_err err = bus->live == NULL ? WSC_ERR_NOMEM
                  : bus->sharded    ? wsc__shard_open(bus)
                                    : wsc__rs_open_like(rs, &bus->sub);
    if (err != WSC_OK) {
        wsc__rs_live_free(bus->live);
        wsc__free(bus);
        return err;
    }
    if (bus->sub != NULL) {
        bus->sub->on_ready = on_ready;
        bus->sub->on_lost = on_lost;
        bus->sub->hook_user = bus;
    }
    *out = bus;
    return WSC_OK;
}

void
wsc__bus_close(wsc__bus *bus)
{
    if (bus == NULL)
        return;
    bus->closing = true;
    if (bus->sharded)
        wsc__shard_close(bus);
    else
        wsc_store_close(&bus->sub->base);
    wsc__rs_live_free(bus->live);
    wsc__hmap_each(&bus->chans, chan_free, NULL);
    wsc__hmap_clear(&bus->chans);
    wsc__free(bus);
}

bool
wsc__bus_up(const wsc__bus *bus)
{
    return bus != NULL && bus->up;
}

bool
wsc__bus_more_waiting(const wsc__bus *bus)
{
    if (bus == NULL || bus->sharded || bus->ac == NULL)
        return false;
    const redisReader *r = bus->ac->c.reader;
    if (r != NULL && r->len > r->pos)
        return true;
    int n = 0;
    return bus->ac->c.fd >= 0 && ioctl(bus->ac->c.fd, FIONREAD, &n) == 0 && n > 0;
}

static bool
channel_ok(const char *channel)
{
    return channel != NULL && channel[0] != '\0' && strlen(channel) <= 255;
}

/* The name on the wire: the database's prefix, then channel (channels are shared by every
 * database of a Redis server, so two clusters in two databases must not meet). */
static bool
wire_name(const wsc__bus *bus, const char *channel, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "%s%s", bus->prefix, channel) < cap;
}

wsc_err
wsc__bus_subscribe(wsc__bus *bus, const char *channel)
{
    char w[WIRE_MAX];
    if (bus == NULL || !channel_ok(channel) || !wire_name(bus, channel, w, sizeof(w)))
        return WSC_ERR_INVALID;
    if (wsc__bus_chan_find(bus, w) != NULL)
        return WSC_OK;
    struct bus_chan *c = wsc__new_with_str(struct bus_chan, name, w);
    if (c == NULL)
        return WSC_ERR_NOMEM;
    c->shard = -1;
    wsc__hmap_insert_str(&bus->chans, &c->node, c->name);
    if (bus->sharded) {
        wsc__shard_add(bus, c);
    } else if (bus->ac != NULL && bus->sub->state == RS_READY) {
        const char *names[1] = {c->name};
        subscribe_names(bus, names, 1);
    }
    return WSC_OK;
}

wsc_err
wsc__bus_unsubscribe(wsc__bus *bus, const char *channel)
{
    char w[WIRE_MAX];
    if (bus == NULL || !channel_ok(channel) || !wire_name(bus, channel, w, sizeof(w)))
        return WSC_ERR_INVALID;
    struct bus_chan *c = wsc__bus_chan_find(bus, w);
    if (c == NULL)
        return WSC_ERR_NOT_FOUND;
    wsc__hmap_remove(&bus->chans, &c->node.h);
    if (bus->sharded) {
        wsc__shard_remove(bus, c);
    } else if (bus->ac != NULL && bus->sub->state == RS_READY) {
        const char *argv[2] = {"UNSUBSCRIBE", c->name};
        size_t lens[2] = {11, strlen(c->name)};
        redisAsyncCommandArgv(bus->ac, on_sub_reply, bus, 2, argv, lens);
    }
    wsc__free(c);
    return WSC_OK;
}

bool
wsc__bus_subscribed(const wsc__bus *bus, const char *channel)
{
    char w[WIRE_MAX];
    const struct bus_chan *c =
        bus != NULL && channel != NULL && wire_name(bus, channel, w, sizeof(w))
            ? wsc__bus_chan_find(bus, w)
            : NULL;
    return c != NULL && c->confirmed;
}

static void
ignore_count(wsc_err status, uint64_t count, void *user)
{
    (void)status;
    (void)count;
    (void)user;
}

void
wsc__bus_hold(wsc__bus *bus, bool on)
{
    if (bus != NULL && !bus->sharded && bus->cmd->cl == NULL)
        wsc__rs_hold(bus->cmd, on);
}

wsc_err
wsc__bus_publish(wsc__bus *bus, const char *channel, const void *data, size_t len,
                 wsc_repo_count_cb cb, void *user)
{
    char w[WIRE_MAX];
    if (bus == NULL || !channel_ok(channel) || (data == NULL && len > 0) ||
        !wire_name(bus, channel, w, sizeof(w)))
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err = wsc__req_new(&bus->cmd->base, WSC__OP_BUS, WSC__REQ_COUNT,
                               (union wsc__req_cb){.count = cb ? cb : ignore_count}, user, &req);
    if (err != WSC_OK)
        return err;
    /* On a Redis Cluster, SPUBLISH on the master of the channel's slot, where every node's
     * subscription to it is (redis_shard.c), so that the count is every node's. */
    const char *argv[3] = {bus->sharded ? "SPUBLISH" : "PUBLISH", w, data ? data : ""};
    size_t lens[3] = {strlen(argv[0]), strlen(w), len};
    wsc__rs_submit(bus->cmd, req, bus->sharded ? w : NULL, 3, argv, lens,
                   wsc__rs_parse_count); /* binary-safe */
    return WSC_OK;
}
