/* SPDX-License-Identifier: MIT */
/* Several hubs as one (PROTOCOL.md §8, docs/cluster.md): the nodes that share a Redis talk
 * over its pub/sub (repository/bus.h).  Each node subscribes to its own channel, to the
 * cluster's channel and to one channel per user it holds connections of; a message for a user
 * is published once on that user's channel and reaches exactly the nodes holding the user;
 * groups and broadcast go once on the cluster channel and each node delivers to its own
 * connections.  The origin of a message drops its own copy.  Presence and group membership
 * live in Redis; node liveness is the hub stats repository's (a heartbeat with a TTL).
 *
 * Loop thread only.  Every function is a no-op (or answers for this node alone) when the hub
 * is not in a cluster (hub->cluster NULL). */
#ifndef WSC_HUB_CLUSTER_H
#define WSC_HUB_CLUSTER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/hub.h>

struct hub_user;
struct wsc__cluster;

/** Joins the cluster of hub->cfg.cluster_redis (no-op without it).  WSC_ERR_INVALID (a bad
 *  URL), WSC_ERR_NOMEM, WSC_ERR_IO. */
wsc_err wsc__cluster_open(wsc_hub *hub);
/** A graceful stop begins: the heartbeat stops and this node's entry is removed, so that the
 *  other nodes stop counting it at once (the closing connections write their users down). */
void wsc__cluster_leave(wsc_hub *hub);
/** True when no registry write of this node is waiting for Redis (a graceful stop waits for
 *  them, bounded by the store's command timeout). */
bool wsc__cluster_idle(const wsc_hub *hub);
/** Closes the cluster link: nothing more runs; writes still out are canceled. */
void wsc__cluster_close(wsc_hub *hub);

/** conn just opened: true when its writes must wait (its `connected` frame first) until the
 *  other nodes can reach its user (the user's channel is subscribed), at most
 *  cluster_timeout_ms; cut off from Redis it never waits.  The cluster clears
 *  conn->cluster_hold and asks for WRITEABLE when the wait ends. */
bool wsc__cluster_hold(wsc_hub *hub, wsc_conn *conn);

/** u's local connection count changed to conns (0: u is gone from this node). */
void wsc__cluster_user_count(wsc_hub *hub, const char *user, size_t conns);

/** Called with the number of connections the other nodes queued the message to (or kicked),
 *  or an error (WSC_ERR_TIMEOUT: not every node answered; sum has those that did). */
typedef void (*wsc__cluster_done_cb)(wsc_hub *hub, wsc_err status, uint64_t sum, void *arg);

/** Forwards msg (frozen) for user to the other nodes holding the user.  With cb, it is called
 *  once with what they queued (0 when no other node holds the user), always on a later loop
 *  turn, never inside the call: WSC_ERR_STORE when the publish failed (nobody got it),
 *  WSC_ERR_TIMEOUT when not every node answered in time (some may have queued it).  Returns
 *  WSC_ERR_NOMEM, WSC_ERR_STATE (not in a cluster), WSC_ERR_STORE (cut off from Redis right
 *  now: no other node can be reached); cb then never runs.  The other forwards below answer
 *  the same way. */
wsc_err wsc__cluster_to_user(wsc_hub *hub, const char *user, wsc_msg *msg, wsc__cluster_done_cb cb,
                             void *arg);
/** Runs when no other node took a message (wsc__cluster_to_user_untaken); from is the id given
 *  there, msg and user are borrowed for the call. */
typedef void (*wsc__cluster_untaken_cb)(wsc_hub *hub, wsc_conn_id from, wsc_msg *msg,
                                        const char *user);
/** wsc__cluster_to_user, waiting (with untaken) for the answer: untaken runs once, later, when
 *  the other nodes queued msg to none of the user's connections (sum 0, whatever the status
 *  but WSC_ERR_CANCELED).  True when untaken will learn the answer; false when msg could not
 *  be forwarded, untaken is NULL or the wait could not be allocated (msg is then forwarded
 *  without it): untaken never runs and the caller decides now. */
bool wsc__cluster_to_user_untaken(wsc_hub *hub, const char *user, wsc_msg *msg, wsc_conn_id from,
                                  wsc__cluster_untaken_cb untaken);
/** Forwards msg to the members of group (but exclude_user) on the other nodes. */
wsc_err wsc__cluster_to_group(wsc_hub *hub, const char *group, wsc_msg *msg,
                              const char *exclude_user, wsc__cluster_done_cb cb, void *arg);
/** Forwards msg to everyone of its app on the other nodes. */
wsc_err wsc__cluster_to_all(wsc_hub *hub, wsc_msg *msg, wsc__cluster_done_cb cb, void *arg);
/** Closes user's connections on the other nodes with 4001; cb gets how many. */
wsc_err wsc__cluster_kick(wsc_hub *hub, const char *user, const char *reason,
                          wsc__cluster_done_cb cb, void *arg);
/** Membership changed here: written to Redis and told to the other nodes. */
void wsc__cluster_group_changed(wsc_hub *hub, const char *group, const char *user, bool join);
/** The offline store confirmed a message for user: the nodes holding the user replay again
 *  (their replay on connect may have read the store before the write landed). */
void wsc__cluster_stored(wsc_hub *hub, const char *user);
/** An ACK from user for (sender, message_id) that no tracker of this node knew: handed to the
 *  node that sent the message (or every node when that is not known). */
void wsc__cluster_ack(wsc_hub *hub, const char *user, const char *sender, const char *message_id);
/** user's connections on every live node (this one counted from its own registry). */
wsc_err wsc__cluster_presence(wsc_hub *hub, const char *user, wsc__cluster_done_cb cb, void *arg);
/** The live nodes (this one included) and the sum of their stats. */
wsc_err wsc__cluster_stats(wsc_hub *hub, wsc_hub_cluster_stats_cb cb, void *user);
/** True when the hub is in a cluster. */
bool wsc__cluster_on(const wsc_hub *hub);
/** True when more messages from the other nodes wait to be read (wsc__bus_more_waiting). */
bool wsc__cluster_more_waiting(const wsc_hub *hub);
/** on: what this node publishes waits in the process (wsc__bus_hold) while a client's burst is
 *  read, so that the other nodes get the burst in one piece; off: it leaves at the end of the
 *  pass.  Nothing when the hub is not in a cluster. */
void wsc__cluster_hold_publishes(wsc_hub *hub, bool on);

#endif
