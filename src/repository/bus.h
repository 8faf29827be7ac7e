/* SPDX-License-Identifier: MIT */
/* The cluster bus: what the hub's cluster (src/hub/cluster*.c, docs/cluster.md) needs of Redis,
 * as an interface of the repository layer that the Redis backend implements
 * (redis/redis_bus.c, redis/redis_registry.c), so that the hub never includes a backend.
 *
 * A bus rides on a store opened on a redis:// URL: it publishes and runs its scripts on the
 * store's command connection, and opens one more connection of its own for its subscriptions
 * (a subscribed Redis connection can run nothing else).  Subscriptions survive a lost
 * connection: they are made again on every reconnect, after which on_up runs (state kept in
 * Redis may be gone: the hub writes its share again).  Everything runs on the store's loop
 * thread; every callback runs there too, never from inside the call that started it.
 * Channel names go on the wire behind the database's number ("3/wsc:all"): Redis shares
 * channels between its databases, and two clusters in two databases must not meet. */
#ifndef WSC_REPOSITORY_BUS_H
#define WSC_REPOSITORY_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/repository.h>
#include <wsc/repository_ext.h>
#include <wsc/store.h>

typedef struct wsc__bus wsc__bus;

typedef struct wsc__bus_cbs {
    /** A message on a subscribed channel (borrowed for the call). */
    void (*on_message)(void *user, const char *channel, const char *data, size_t len);
    /** The subscriptions are (again) in place: after the first connect and every reconnect. */
    void (*on_up)(void *user);
    /** The subscription connection was lost: messages published meanwhile are missed. */
    void (*on_down)(void *user);
    /** Redis confirmed the subscription to channel (may be NULL). */
    void (*on_subscribed)(void *user, const char *channel);
} wsc__bus_cbs;

/** A bus on store (borrowed: it must outlive the bus), reporting to cbs/user.  On one Redis the
 *  store's writes are coalesced from then on: while busy, at most one per 250 µs.
 *  WSC_ERR_UNSUPPORTED when store is not a Redis store, WSC_ERR_INVALID, WSC_ERR_NOMEM. */
wsc_err wsc__bus_open(wsc_store *store, const wsc__bus_cbs *cbs, void *user, wsc__bus **out);
/** Closes the bus: no callback runs after this returns.  NULL is ignored. */
void wsc__bus_close(wsc__bus *bus);
/** True while the subscription connection is up and subscribed. */
bool wsc__bus_up(const wsc__bus *bus);
/** True when more of what Redis sent the subscription connection waits to be read (bytes in
 *  its socket, or a message read in part): what on_message delivered is not the end of a
 *  burst.  Always false on a Redis Cluster (sharded pub/sub: several connections). */
bool wsc__bus_more_waiting(const wsc__bus *bus);

/** Subscribes to channel (kept across reconnects).  Subscribing twice is one subscription.
 *  WSC_ERR_INVALID (empty or longer than 255), WSC_ERR_NOMEM. */
wsc_err wsc__bus_subscribe(wsc__bus *bus, const char *channel);
/** Drops the subscription; WSC_ERR_NOT_FOUND when there was none. */
wsc_err wsc__bus_unsubscribe(wsc__bus *bus, const char *channel);
/** True once Redis has confirmed the subscription (and it has not been lost since). */
bool wsc__bus_subscribed(const wsc__bus *bus, const char *channel);

/** on: the publishes (and the other commands of the bus's command connection) wait in the
 *  process from now, so that a burst of them leaves in one write; off: what waits leaves at
 *  the end of the loop's pass.  The caller releases it within a bounded time.  Nothing on a
 *  Redis Cluster (the commands go to several connections). */
void wsc__bus_hold(wsc__bus *bus, bool on);

/** Publishes len bytes on channel; cb (may be NULL) gets the number of subscribers that got
 *  it (connections, this bus's own among them when subscribed), or an error
 *  (WSC_ERR_STORE, WSC_ERR_TIMEOUT).  WSC_ERR_INVALID, WSC_ERR_NOMEM, WSC_ERR_STATE. */
wsc_err wsc__bus_publish(wsc__bus *bus, const char *channel, const void *data, size_t len,
                         wsc_repo_count_cb cb, void *user);

/* ---- The registry (one key each, so that every script touches one slot) ----
 * Presence   wsc:pr:{<user key>}   HASH node -> connections there   TTL ttl_ms
 * Groups     wsc:grp:{<group>}     SET  user keys                    bounded by the members
 * Node liveness is the hub stats repository's (wsc/repository_ext.h): a node is live while
 * its entry there has not lapsed. */

/** Sets node's count of user's connections (0 removes the field), drops the fields of nodes
 *  that are no longer live (their hub stats entry lapsed) and renews the key's TTL.  strs are
 *  the user's connections on live nodes before and after the write (as text). */
wsc_err wsc__bus_presence_set(wsc__bus *bus, const char *user, const char *node, uint64_t count,
                              uint32_t ttl_ms, wsc_hubstats_list_cb cb, void *user_data);
/** The live nodes holding user's connections: strs alternate node id and count (as text). */
wsc_err wsc__bus_presence_get(wsc__bus *bus, const char *user, wsc_hubstats_list_cb cb,
                              void *user_data);
/** Adds (join true) or removes user from group's members. */
wsc_err wsc__bus_group_set(wsc__bus *bus, const char *group, const char *user, bool join,
                           wsc_repo_done_cb cb, void *user_data);
/** Every group with its members: strs is group, member count n (as text), then n members, and
 *  so on. */
wsc_err wsc__bus_groups_load(wsc__bus *bus, wsc_hubstats_list_cb cb, void *user_data);

#endif
