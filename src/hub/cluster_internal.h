/* SPDX-License-Identifier: MIT */
/* The cluster's private state, shared by cluster.c (membership: lifecycle, heartbeat,
 * presence, groups), cluster_route.c (messages between nodes) and cluster_gather.c (answers
 * the origin waits for).  Loop thread only. */
#ifndef WSC_HUB_CLUSTER_INTERNAL_H
#define WSC_HUB_CLUSTER_INTERNAL_H

#include <wsc/store.h>

#include "hub/cluster.h"
#include "hub/cluster_env.h"
#include "hub/hub_internal.h"
#include "loop/loop.h"
#include "models/hfifo.h"
#include "models/hmap.h"
#include "models/list.h"
#include "repository/bus.h"

#define WSC__CL_BEAT_MS     5000u  /* heartbeat period */
#define WSC__CL_NODE_TTL_MS 15000u /* a node missing 3 heartbeats is dead */
#define WSC__CL_PRES_TTL_MS 90000u /* presence keys, rewritten every 30 s */
#define WSC__CL_PRES_EVERY  6u     /* heartbeats between presence rewrites */
#define WSC__CL_ACKS_MAX    100000u
#define WSC__CL_CHAN_MAX    300u

struct wsc__cluster {
    wsc_hub *hub;
    wsc_store *store; /* owned: the Redis commands */
    wsc__bus *bus;    /* owned */
    char chan_node[WSC__CL_CHAN_MAX];
    char chan_all[WSC__CL_CHAN_MAX];
    wsc__timer beat;
    unsigned beats;
    wsc__hmap gathers; /* token -> struct cl_gather (cluster_gather.c) */
    uint64_t next_token;
    wsc__hfifo acks;      /* struct cl_ack (cluster_route.c): who sent what we delivered,
                             bounded by WSC__CL_ACKS_MAX */
    size_t writes_out;    /* registry writes not answered yet (a graceful stop waits) */
    struct wsc_list held; /* struct cl_held (cluster_hold.c): new connections not written yet */
    wsc__timer hold_timer;
    struct wsc_list owed; /* struct cl_owed (cluster_owed.c): answers to send, per origin */
    wsc__soon owed_soon;  /* publishes the owed answers at the end of the pass */
    bool left;            /* wsc__cluster_leave ran: no more heartbeats */
    bool closing;
};

/** "wsc:n:<node>" into out. */
void wsc__cl_node_channel(const char *node, char *out, size_t cap);
/** "wsc:u:<user key>" into out; false when it does not fit. */
bool wsc__cl_user_channel(const char *user, char *out, size_t cap);
/** Publishes env on channel (a report for env->token comes back through on_message). */
wsc_err wsc__cl_publish(struct wsc__cluster *cl, const char *channel, const struct wsc__env *env,
                        wsc_repo_count_cb cb, void *arg);

/** Runs the application's presence callback (a user came online or went offline). */
void wsc__cl_presence_event(wsc_hub *hub, const char *user, bool online);

/* cluster_hold.c */
/** The channel of a held connection's user is subscribed: those connections go. */
void wsc__cl_hold_subscribed(struct wsc__cluster *cl, const char *channel);
/** The hold timer's callback: the waits older than cluster_timeout_ms go. */
void wsc__cl_hold_timer(wsc__timer *t);
/** Every held connection goes (cut off from Redis, or closing). */
void wsc__cl_hold_release_all(struct wsc__cluster *cl);

/* cluster_route.c */
/** An envelope from another node (or this node's own, echoed). */
void wsc__cl_on_env(struct wsc__cluster *cl, const struct wsc__env *env);
/** Empty remembered ACK origins (cannot fail). */
void wsc__cl_acks_init(struct wsc__cluster *cl);
/** Frees the remembered ACK origins. */
void wsc__cl_acks_free(struct wsc__cluster *cl);

/* cluster_owed.c: the answers this node owes the others, batched per loop turn */
void wsc__cl_owed_init(struct wsc__cluster *cl);
/** Drops what was not sent yet (closing: the origins' waits end on their own). */
void wsc__cl_owed_free(struct wsc__cluster *cl);
/** Owes origin the answer count to its wait token (0: none asked); sent on the next turn. */
void wsc__cl_owe(struct wsc__cluster *cl, const char *origin, uint64_t token, uint64_t count);
/** A REPORTS envelope's payload: every pair goes to its wait. */
void wsc__cl_owed_reports(struct wsc__cluster *cl, const char *payload, size_t len);

/* cluster_gather.c: the origin's wait for the other nodes' answers */
/** A new wait; its token goes into the envelope.  NULL when out of memory. */
struct cl_gather *wsc__cl_gather_new(struct wsc__cluster *cl, wsc__cluster_done_cb cb, void *arg);
uint64_t wsc__cl_gather_token(const struct cl_gather *g);
/** The PUBLISH reached n subscribers (st not OK: it failed): n answers are due. */
void wsc__cl_gather_published(struct wsc__cluster *cl, uint64_t token, wsc_err st, uint64_t n);
/** The PUBLISH for token could not start: the wait ends with err on a later loop turn (never
 *  inside the call that tried). */
void wsc__cl_gather_fail_later(struct wsc__cluster *cl, uint64_t token, wsc_err err);
/** One answer for token with count. */
void wsc__cl_gather_report(struct wsc__cluster *cl, uint64_t token, uint64_t count);
/** Ends every wait with WSC_ERR_CANCELED. */
void wsc__cl_gather_free_all(struct wsc__cluster *cl);
/** The PUBLISH callback that feeds a gather (arg: the token as a pointer-sized integer). */
void wsc__cl_gather_published_cb(wsc_err st, uint64_t n, void *arg);

#endif
