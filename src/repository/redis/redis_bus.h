/* SPDX-License-Identifier: MIT */
/* The cluster bus object (repository/bus.h), shared by its pub/sub (redis_bus.c) and its
 * registry scripts (redis_registry.c). */
#ifndef WSC_REPOSITORY_REDIS_BUS_H
#define WSC_REPOSITORY_REDIS_BUS_H

#include "loop/loop.h"
#include "models/hmap.h"
#include "repository/bus.h"
#include "repository/redis/redis_internal.h"
#include "repository/redis/redis_live.h"

/* One subscription, by its name on the wire (with the database's prefix). */
struct bus_chan {
    wsc__snode node; /* bus->chans, by name */
    bool confirmed;  /* Redis has answered its (S)SUBSCRIBE, and not dropped it since */
    /* Sharded (redis_shard.c): the node it is subscribed on (an index of the command store's
     * cluster, -1 none yet), its slot, and whether its SSUBSCRIBE went out there. */
    int shard, slot;
    bool sent;
    char name[];
};

struct rs_shard; /* one subscription connection per master (redis_shard.c) */

struct wsc__bus {
    struct redis_store *cmd; /* borrowed: PUBLISH and the registry scripts */
    struct redis_store *sub; /* owned: the subscription connection (one Redis) */
    struct rs_live *live;    /* owned: the live nodes for the presence scripts */
    redisAsyncContext *ac;   /* sub's connection while it is ready, else NULL */
    wsc__bus_cbs cbs;
    void *user;
    wsc__hmap chans;      /* struct chan (redis_bus.c) by name */
    size_t resubscribing; /* confirmations still due after a (re)connect */
    char prefix[16];      /* "<db>/": channels on the wire (redis_bus.c) */
    size_t prefix_len;
    bool up, closing;
    /* On a Redis Cluster: sharded pub/sub (redis_shard.c), one connection per master, by the
     * index of the command store's node; sub is NULL. */
    bool sharded;
    struct rs_shard **shards; /* owned, nshards entries (NULL: not opened yet) */
    int nshards;
    wsc__timer sync; /* follows the slot map: (re)subscribes what is not where it belongs */
};

/** The channel named wire (on the wire), or NULL. */
struct bus_chan *wsc__bus_chan_find(const wsc__bus *bus, const char *wire);
/** A message on the channel named wire: handed to on_message (redis_bus.c). */
void wsc__bus_deliver(wsc__bus *bus, const char *wire, const char *data, size_t len);
/** Redis confirmed c: on_subscribed runs. */
void wsc__bus_confirmed(wsc__bus *bus, struct bus_chan *c);
/** The subscriptions are all in place (on_up once), or were lost (on_down once). */
void wsc__bus_went_up(wsc__bus *bus);
void wsc__bus_went_down(wsc__bus *bus);

/* ---- Sharded pub/sub on a Redis Cluster (redis_shard.c) ---- */
/** Starts following the map.  WSC_OK. */
wsc_err wsc__shard_open(wsc__bus *bus);
/** Closes every shard's connection (no callback afterwards). */
void wsc__shard_close(wsc__bus *bus);
/** c was added: subscribed on its slot's master now or once that is known and connected. */
void wsc__shard_add(wsc__bus *bus, struct bus_chan *c);
/** c is being removed (freed by the caller afterwards): SUNSUBSCRIBE where it was sent. */
void wsc__shard_remove(wsc__bus *bus, struct bus_chan *c);

#endif
