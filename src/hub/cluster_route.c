/* SPDX-License-Identifier: MIT */
/* Messages between nodes (cluster.h): the origin publishes one envelope per target (a user's
 * channel, or the cluster's channel for groups, broadcast and membership), each node that gets
 * it delivers to its own connections once (one parse and one encode per node) and answers
 * with a REPORT when the origin asked for one.  ACKs of messages delivered for another node go
 * back to that node. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/cluster_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

/* ---- the origin's side ---- */

static wsc_err
forward(wsc_hub *hub, const char *channel, struct wsc__env *env, wsc_msg *msg,
        wsc__cluster_done_cb cb, void *arg)
{
    struct wsc__cluster *cl = hub->cluster;
    if (!wsc__cluster_on(hub))
        return WSC_ERR_STATE;
    /* Cut off from Redis: no other node can be reached now, so nobody waits for one (the
     * caller goes on as a single node would). */
    if (!wsc__bus_up(cl->bus))
        return WSC_ERR_STORE;
    env->origin = hub->cfg.node_id;
    if (msg != NULL) {
        const char *app = wsc_msg_get(msg, WSC_F_APP_ID);
        env->app = app != NULL ? app : "";
        if (wsc_msg_is_binary(msg)) {
            env->binary = '1';
            env->payload = wsc_msg_binary(msg, &env->payload_len);
        } else if (wsc__msg_encode(msg) == WSC_OK) {
            env->payload = (const char *)wsc__msg_wire(msg, &env->payload_len);
        } else {
            return WSC_ERR_NOMEM;
        }
    }
    if (cb == NULL)
        return wsc__cl_publish(cl, channel, env, NULL, NULL);
    struct cl_gather *g = wsc__cl_gather_new(cl, cb, arg);
    if (g == NULL)
        return WSC_ERR_NOMEM;
    env->token = wsc__cl_gather_token(g);
    wsc_err err = wsc__cl_publish(cl, channel, env, wsc__cl_gather_published_cb, g);
    if (err != WSC_OK)
        wsc__cl_gather_fail_later(cl, env->token, err); /* cb gets err, on a later turn */
    return WSC_OK;
}

wsc_err
wsc__cluster_to_user(wsc_hub *hub, const char *user, wsc_msg *msg, wsc__cluster_done_cb cb,
                     void *arg)
{
    char ch[WSC__CL_CHAN_MAX];
    if (!wsc__cl_user_channel(user, ch, sizeof(ch)))
        return WSC_ERR_TOO_LARGE;
    struct wsc__env env = {.kind = WSC__ENV_USER, .target = user};
    return forward(hub, ch, &env, msg, cb, arg);
}

/* A wait for the answer to a message forwarded to a user (wsc__cluster_to_user_untaken). */
struct untaken_ctx {
    wsc__cluster_untaken_cb untaken;
    wsc_conn_id from;
    wsc_msg *msg;
    char user[];
};

static void
untaken_free(struct untaken_ctx *u)
{
    wsc_msg_unref(u->msg);
    wsc__free(u);
}

static void
untaken_answered(wsc_hub *hub, wsc_err status, uint64_t sum, void *arg)
{
    struct untaken_ctx *u = arg;
    if (sum == 0 && status != WSC_ERR_CANCELED)
        u->untaken(hub, u->from, u->msg, u->user);
    untaken_free(u);
}

bool
wsc__cluster_to_user_untaken(wsc_hub *hub, const char *user, wsc_msg *msg, wsc_conn_id from,
                             wsc__cluster_untaken_cb untaken)
{
    size_t len = strlen(user) + 1;
    struct untaken_ctx *u = untaken != NULL ? wsc__malloc(sizeof(*u) + len) : NULL;
    if (u != NULL) {
        u->untaken = untaken;
        u->from = from;
        u->msg = wsc_msg_ref(msg);
        memcpy(u->user, user, len);
    }
    wsc_err err = wsc__cluster_to_user(hub, user, msg, u != NULL ? untaken_answered : NULL, u);
    if (err == WSC_OK)
        return u != NULL;
    if (u != NULL)
        untaken_free(u);
    return false;
}

wsc_err
wsc__cluster_to_group(wsc_hub *hub, const char *group, wsc_msg *msg, const char *exclude_user,
                      wsc__cluster_done_cb cb, void *arg)
{
    struct wsc__env env = {.kind = WSC__ENV_GROUP, .target = group, .extra = exclude_user};
    return forward(hub, hub->cluster ? hub->cluster->chan_all : "", &env, msg, cb, arg);
}

wsc_err
wsc__cluster_to_all(wsc_hub *hub, wsc_msg *msg, wsc__cluster_done_cb cb, void *arg)
{
    struct wsc__env env = {.kind = WSC__ENV_ALL};
    return forward(hub, hub->cluster ? hub->cluster->chan_all : "", &env, msg, cb, arg);
}

wsc_err
wsc__cluster_kick(wsc_hub *hub, const char *user, const char *reason, wsc__cluster_done_cb cb,
                  void *arg)
{
    char ch[WSC__CL_CHAN_MAX];
    if (!wsc__cl_user_channel(user, ch, sizeof(ch)))
        return WSC_ERR_TOO_LARGE;
    struct wsc__env env = {.kind = WSC__ENV_KICK,
                           .target = user,
                           .payload = reason != NULL ? reason : "",
                           .payload_len = reason != NULL ? strlen(reason) : 0};
    return forward(hub, ch, &env, NULL, cb, arg);
}

/* ---- who sent what this node delivered for another (ACKs go back there) ---- */

struct cl_ack {
    wsc__fnode node;                   /* cl->acks */
    const char *sender, *mid, *origin; /* in text */
    char text[];                       /* user \0 sender \0 mid \0 origin \0 */
};

struct ack_key {
    const char *user, *sender, *mid;
};

static bool
ack_eq(const wsc__hnode *n, const void *key)
{
    const struct cl_ack *a = wsc_container_of(n, struct cl_ack, node.h);
    const struct ack_key *k = key;
    return strcmp(a->text, k->user) == 0 && strcmp(a->sender, k->sender) == 0 &&
           strcmp(a->mid, k->mid) == 0;
}

static uint64_t
ack_hash(const struct ack_key *k)
{
    return wsc__hash_pair(k->user, k->mid) ^ wsc__hash_str(k->sender);
}

static void
ack_free(wsc__fnode *node)
{
    wsc__free(wsc_container_of(node, struct cl_ack, node));
}

void
wsc__cl_acks_init(struct wsc__cluster *cl)
{
    wsc__hfifo_init(&cl->acks, WSC__CL_ACKS_MAX, ack_free);
}

static struct cl_ack *
ack_find(struct wsc__cluster *cl, const struct ack_key *k)
{
    wsc__hnode *n = wsc__hmap_find(&cl->acks.map, ack_hash(k), ack_eq, k);
    return n ? wsc_container_of(n, struct cl_ack, node.h) : NULL;
}

/* Remembers that origin sent (sender, mid) to user; the oldest entry goes beyond the bound. */
static void
ack_remember(struct wsc__cluster *cl, const char *user, const char *sender, const char *mid,
             const char *origin)
{
    struct ack_key k = {user, sender, mid};
    if (ack_find(cl, &k) != NULL)
        return;
    size_t lu = strlen(user) + 1, ls = strlen(sender) + 1, lm = strlen(mid) + 1;
    size_t lo = strlen(origin) + 1;
    struct cl_ack *a = wsc__malloc(sizeof(*a) + lu + ls + lm + lo);
    if (a == NULL)
        return; /* the ACK then goes to every node */
    char *at = a->text;
    memcpy(at, user, lu);
    a->sender = memcpy(at += lu, sender, ls);
    a->mid = memcpy(at += ls, mid, lm);
    a->origin = memcpy(at += lm, origin, lo);
    wsc__hfifo_push(&cl->acks, &a->node, ack_hash(&k));
}

void
wsc__cl_acks_free(struct wsc__cluster *cl)
{
    wsc__hfifo_clear(&cl->acks);
}

void
wsc__cluster_ack(wsc_hub *hub, const char *user, const char *sender, const char *message_id)
{
    struct wsc__cluster *cl = hub->cluster;
    if (!wsc__cluster_on(hub) || message_id == NULL)
        return;
    struct ack_key k = {user, sender != NULL ? sender : "", message_id};
    struct cl_ack *a = sender != NULL ? ack_find(cl, &k) : NULL;
    char ch[WSC__CL_CHAN_MAX];
    if (a != NULL)
        wsc__cl_node_channel(a->origin, ch, sizeof(ch));
    else
        snprintf(ch, sizeof(ch), "%s", cl->chan_all);
    struct wsc__env env = {.kind = WSC__ENV_ACK,
                           .origin = hub->cfg.node_id,
                           .target = user,
                           .extra = sender != NULL ? sender : "",
                           .payload = message_id,
                           .payload_len = strlen(message_id)};
    (void)wsc__cl_publish(cl, ch, &env, NULL, NULL);
    if (a != NULL)
        wsc__hfifo_drop(&cl->acks, &a->node);
}

void
wsc__cluster_stored(wsc_hub *hub, const char *user)
{
    char ch[WSC__CL_CHAN_MAX];
    if (!wsc__cluster_on(hub) || !wsc__cl_user_channel(user, ch, sizeof(ch)))
        return;
    struct wsc__env env = {.kind = WSC__ENV_STORED, .origin = hub->cfg.node_id, .target = user};
    (void)wsc__cl_publish(hub->cluster, ch, &env, NULL, NULL);
}

/* ---- the receiving side ---- */

/* The answer the origin waits for: batched with the others of this loop turn (cluster_owed.c). */
static void
report(struct wsc__cluster *cl, const struct wsc__env *env, uint64_t count)
{
    wsc__cl_owe(cl, env->origin, env->token, count);
}

/* The message an envelope carries, frozen; NULL when it cannot be read. */
static wsc_msg *
env_msg(struct wsc__cluster *cl, const struct wsc__env *env)
{
    wsc_msg *m = NULL;
    if (env->binary == '1') {
        if (wsc_msg_new_binary(&m, env->payload, env->payload_len) == WSC_OK && env->app[0] != '\0')
            (void)wsc_msg_set(m, WSC_F_APP_ID, env->app);
    } else {
        /* Checked by the origin already: only this node's size limit applies again. */
        wsc_msg_limits lim;
        wsc_msg_limits_init(&lim);
        lim.max_bytes = env->payload_len + 1;
        if (wsc_msg_parse(&m, env->payload, env->payload_len, &lim, NULL) != WSC_OK)
            m = NULL;
    }
    if (m != NULL && wsc__msg_encode(m) != WSC_OK) {
        wsc_msg_unref(m);
        m = NULL;
    }
    if (m == NULL)
        wsc__log(&cl->hub->log, WSC_LOG_WARN, "cluster_bad_envelope", "s:origin", env->origin);
    return m;
}

static uint64_t
deliver(struct wsc__cluster *cl, const struct wsc__env *env)
{
    wsc_hub *hub = cl->hub;
    wsc_msg *m = env_msg(cl, env);
    if (m == NULL)
        return 0;
    size_t n = 0;
    uint64_t outer = wsc__hub_route_begin(hub);
    if (env->kind == WSC__ENV_USER) {
        n = wsc__hub_route_user(hub, env->target, m, NULL);
        const char *mid = wsc_msg_get(m, WSC_F_MESSAGE_ID);
        if (n > 0 && wsc_msg_require_ack(m) && mid != NULL) {
            const char *sender = wsc_msg_get(m, WSC_F_SENDER);
            ack_remember(cl, env->target, sender != NULL ? sender : "", mid, env->origin);
        }
    } else if (env->kind == WSC__ENV_GROUP) {
        n = wsc__hub_route_group(hub, env->target, m, env->extra[0] ? env->extra : NULL, NULL);
    } else {
        n = wsc__hub_route_all(hub, m, NULL);
    }
    wsc__hub_route_end(hub, outer);
    wsc_msg_unref(m);
    return n;
}

void
wsc__cl_on_env(struct wsc__cluster *cl, const struct wsc__env *env)
{
    wsc_hub *hub = cl->hub;
    bool own = strcmp(env->origin, hub->cfg.node_id) == 0;
    if (env->kind == WSC__ENV_REPORTS) {
        wsc__cl_owed_reports(cl, env->payload, env->payload_len);
        return;
    }
    if (env->kind == WSC__ENV_REPORT) { /* one answer, as nodes before the batches sent it */
        wsc__cl_gather_report(cl, env->token, strtoull(env->payload, NULL, 10));
        return;
    }
    if (own) {
        /* Our own copy (we hold the user too, or it went to everyone): an answer of 0. */
        if (env->token != 0)
            wsc__cl_gather_report(cl, env->token, 0);
        return;
    }
    uint64_t n = 0;
    switch (env->kind) {
    case WSC__ENV_USER:
    case WSC__ENV_GROUP:
    case WSC__ENV_ALL:
        n = deliver(cl, env);
        break;
    case WSC__ENV_KICK: {
        char reason[256];
        snprintf(reason, sizeof(reason), "%.*s", (int)env->payload_len, env->payload);
        n = wsc__hub_kick_local(hub, env->target, reason[0] ? reason : NULL);
        break;
    }
    case WSC__ENV_ACK: {
        char mid[512];
        snprintf(mid, sizeof(mid), "%.*s", (int)env->payload_len, env->payload);
        wsc__rel_remote_ack(hub, env->target, env->extra[0] ? env->extra : NULL, mid);
        break;
    }
    case WSC__ENV_STORED:
        wsc__rel_stored_elsewhere(hub, env->target);
        break;
    case WSC__ENV_ONLINE:
        wsc__cl_presence_event(hub, env->target, env->payload_len > 0 && env->payload[0] == '1');
        break;
    case WSC__ENV_JOIN:
    case WSC__ENV_LEAVE:
        (void)wsc__hub_group_apply(hub, env->target, env->extra, env->kind == WSC__ENV_JOIN);
        break;
    default:
        break;
    }
    report(cl, env, n);
}
