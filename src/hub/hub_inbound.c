/* SPDX-License-Identifier: MIT */
/* Frames from clients (PROTOCOL.md §2-§3): validation, ping/pong, stamping, the application's
 * veto, routing by receiver, groups or broadcast, receipts, and the penalty for bad input. */
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "protocol/frames.h"

/* An error frame that does not count as a violation (the frame itself was fine). */
static void
send_error(wsc_hub *hub, wsc_conn *conn, const char *ref, const char *code, const char *reason)
{
    wsc_msg *m = NULL;
    wsc__proto_error(&m, ref, code, reason);
    wsc__hub_send_ctl(hub, conn, m);
}

void
wsc__hub_violation(wsc_hub *hub, wsc_conn *conn, const char *ref, const char *code,
                   const char *reason)
{
    send_error(hub, conn, ref, code, reason);
    wsc__log(&hub->log, WSC_LOG_INFO, "bad_frame", "u:conn,s:code,s:reason", conn->id, code,
             reason);
    if (conn->violations < UINT16_MAX)
        conn->violations++;
    /* The count saturates: a max_violations above 65535 acts as 65535. */
    if (conn->violations >= hub->cfg.max_violations || conn->violations == UINT16_MAX)
        wsc__hub_conn_close_after_flush(conn, 1008, "too many invalid frames");
}

static void
answer_ack(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, const char *status, const char *error)
{
    if (!wsc_msg_require_ack(msg))
        return;
    wsc__rel_receipt(hub, conn, msg, status, error); /* remembered for resends */
}

static bool
conn_may_use_group(const wsc_hub *hub, const wsc_conn *conn, const char *group)
{
    char gkey[WSC_MSG_KEY_MAX]; /* groups, like users, are per app */
    if (wsc__conn_scope(conn, group, gkey, sizeof(gkey)) == WSC_OK &&
        wsc_hub_group_has(hub, gkey, conn->user->id))
        return true;
    char *const *groups = wsc__conn_groups(conn);
    for (size_t i = 0; groups != NULL && groups[i] != NULL; i++) {
        if (strcmp(groups[i], group) == 0)
            return true;
    }
    return false;
}

/* Sets what the hub decides on a client message.  Any failure (out of memory) refuses the
 * message: a field left unset could keep what the client wrote in it (a forged sender). */
static wsc_err
stamp(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    char id[WSC__PROTO_ID_MAX], ts[40];
    wsc__hub_make_msg_id(hub, id, sizeof(id));
    wsc__proto_time_rfc3339(wsc__wall_ms(), ts, sizeof(ts));
    wsc_err err = wsc_msg_set(msg, WSC_F_ID, id);
    if (err == WSC_OK && wsc_msg_get(msg, WSC_F_MESSAGE_ID) == NULL)
        err = wsc_msg_set(msg, WSC_F_MESSAGE_ID, id);
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_SENDER, wsc__user_plain(conn->user->id));
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_SENDER_CLIENT, wsc__conn_client_id(conn));
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_CREATE_AT, ts);
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_APP_ID, wsc__conn_app_id(conn));
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_NAMESPACE, NULL);
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_SOURCE, NULL);
    return err;
}

/* stamp() failed: neither the application nor any receiver sees the message. */
static void
refuse_unstamped(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    wsc__log(&hub->log, WSC_LOG_WARN, "message_refused", "u:conn,s:error", conn->id,
             "out of memory while stamping");
    answer_ack(hub, conn, msg, "rejected", "internal");
    send_error(hub, conn, wsc_msg_get(msg, WSC_F_MESSAGE_ID), "internal",
               "the hub could not stamp the message (out of memory)");
}

/* A message to receiver reached none of its connections (why: the last enqueue failure, or
 * WSC_OK when none was tried): the sender is told what happened. */
static void
refuse_undelivered(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, const char *receiver, wsc_err why)
{
    const char *code = "unknown_receiver", *reason = "receiver is not online";
    if (wsc__hub_user_find(hub, receiver) == NULL) { /* receiver: the key */
        /* as set */
    } else if (why == WSC_ERR_QUEUE_FULL) {
        code = "queue_full";
        reason = "the receiver's send queue is full: message dropped";
    } else if (why == WSC_ERR_CLOSED) {
        reason = "the receiver's connection is closing";
    } else if (why != WSC_OK) {
        code = "internal";
        reason = "the message could not be queued";
    } else if (wsc_msg_get(msg, WSC_F_RECEIVER_CLIENT) != NULL) {
        reason = "receiver has no connection with that receiver_client";
    }
    answer_ack(hub, conn, msg, "rejected", code);
    send_error(hub, conn, wsc_msg_get(msg, WSC_F_MESSAGE_ID), code, reason);
}

/* A message to receiver that no connection here took: refused once the other nodes have
 * answered that none of theirs took it either (a wsc__cluster_untaken_cb). */
static void
forward_untaken(wsc_hub *hub, wsc_conn_id from, wsc_msg *msg, const char *receiver)
{
    wsc_conn *conn = wsc__hub_conn_find_open(hub, from);
    if (conn != NULL)
        refuse_undelivered(hub, conn, msg, receiver, WSC_OK);
}

/* Routes a stamped message to its targets; answers the sender when something is refused. */
static void
route_targets(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    const char *ref = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    const char *receiver = wsc_msg_get(msg, WSC_F_RECEIVER);
    const char *bcast = wsc_msg_get(msg, WSC_F_BROADCAST_TYPE);
    size_t groups = wsc_msg_group_count(msg);
    bool targeted = receiver != NULL || groups > 0 || bcast != NULL;
    if (bcast != NULL) {
        bool allow = hub->cfg.allow_client_broadcast;
        if (hub->cfg.on_broadcast_check)
            hub->cfg.on_broadcast_check(hub, conn, &allow, hub->cfg.user);
        if (strcmp(bcast, "global") != 0 || !allow) {
            answer_ack(hub, conn, msg, "rejected", "forbidden");
            wsc__hub_violation(hub, conn, ref, "forbidden", "broadcast not allowed");
            return;
        }
        wsc__hub_send_all(hub, msg, conn);
    }
    for (size_t i = 0; i < groups; i++) {
        const char *g = wsc_msg_group(msg, i);
        if (!conn_may_use_group(hub, conn, g)) {
            answer_ack(hub, conn, msg, "rejected", "forbidden");
            wsc__hub_violation(hub, conn, ref, "forbidden", "not a member of the group");
            return;
        }
    }
    /* With ACK: every member (and the receiver) is tracked; the tracker's side answers. */
    if (groups > 0 && bcast == NULL && wsc__rel_route_client_groups(hub, conn, msg))
        return;
    /* Receivers and groups are named in the sender's app (the app id is part of identity). */
    char key[WSC_MSG_KEY_MAX];
    for (size_t i = 0; i < groups; i++) {
        if (wsc__conn_scope(conn, wsc_msg_group(msg, i), key, sizeof(key)) == WSC_OK)
            wsc__hub_send_group(hub, key, msg, NULL, conn);
    }
    if (receiver != NULL && wsc__rel_route_client(hub, conn, msg))
        return; /* with ACK: the tracker answers the receipt */
    if (receiver != NULL && wsc__conn_scope(conn, receiver, key, sizeof(key)) == WSC_OK) {
        /* The sender's own connection included: a message to oneself is echoed (§3). */
        hub->last_send_error = WSC_OK;
        size_t r = wsc__hub_route_user(hub, key, msg, NULL);
        /* Taken by no one here and sent to no one else: refused, in a cluster once the other
         * nodes have answered that none of theirs took it either. */
        bool refuse = r == 0 && groups == 0 && bcast == NULL;
        if (wsc__cluster_on(hub) &&
            wsc__cluster_to_user_untaken(hub, key, msg, conn->id, refuse ? forward_untaken : NULL))
            return; /* the other nodes' answer decides */
        if (refuse) {
            refuse_undelivered(hub, conn, msg, key, hub->last_send_error);
            return;
        }
    }
    if (targeted)
        answer_ack(hub, conn, msg, "delivered", NULL);
}

/* A connection reached through several targets gets the message once. */
static void
route(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    uint64_t outer = wsc__hub_route_begin(hub);
    route_targets(hub, conn, msg);
    wsc__hub_route_end(hub, outer);
}

/* Types only the hub sends (PROTOCOL.md §3): refused from clients, never relayed. */
bool
wsc__hub_only_type(const char *type)
{
    static const char *const types[] = {"connected", "kick_out", "error", "pong"};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(type, types[i]) == 0)
            return true;
    }
    return false;
}

static const char *
error_code_of(wsc_err err)
{
    switch (err) {
    case WSC_ERR_TOO_LARGE:
        return "too_large";
    case WSC_ERR_PROTOCOL:
        return "invalid_json";
    default:
        return "invalid_message";
    }
}

wsc_err
wsc__hub_frame_parse(wsc_hub *hub, const char *text, size_t len, wsc_msg **out, const char **code,
                     const char **why)
{
    *why = NULL;
    wsc_err err = wsc_msg_parse(out, text, len, &hub->cfg.msg_limits, why);
    if (err != WSC_OK) {
        *code = error_code_of(err);
        *why = *why ? *why : wsc_strerror(err);
    }
    return err;
}

void
wsc__hub_on_text(wsc_hub *hub, wsc_conn *conn, const char *text, size_t len)
{
    wsc_msg *msg = NULL;
    const char *code = NULL, *why = NULL;
    if (wsc__hub_frame_parse(hub, text, len, &msg, &code, &why) != WSC_OK) {
        wsc__hub_violation(hub, conn, NULL, code, why);
        return;
    }
    if (wsc__hub_only_type(wsc_msg_get(msg, WSC_F_TYPE)))
        wsc__hub_violation(hub, conn, wsc_msg_get(msg, WSC_F_MESSAGE_ID), "invalid_message",
                           "message_type is sent only by the hub");
    else
        wsc__hub_on_msg(hub, conn, msg);
    wsc_msg_unref(msg);
}

void
wsc__hub_on_msg(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    const char *type = wsc_msg_get(msg, WSC_F_TYPE);
    hub->metrics.frames_in[wsc__metrics_mtype(type)]++;
    if (strcmp(type, "ping") == 0 || strcmp(type, "heartbeat") == 0) {
        wsc_msg *pong = NULL;
        wsc__proto_pong(&pong);
        wsc__hub_send_ctl(hub, conn, pong);
    } else if (strcmp(type, "ack") == 0) {
        /* Consumed here whatever it names (receiver, group...): never relayed. */
        wsc__rel_client_ack(hub, conn, wsc_msg_get(msg, WSC_F_SENDER),
                            wsc_msg_get(msg, WSC_F_MESSAGE_ID));
    } else if (wsc__rel_inbound_duplicate(hub, conn, msg)) {
        hub->stats.messages_in++; /* a resend: answered again, not routed twice */
    } else {
        hub->stats.messages_in++;
        if (stamp(hub, conn, msg) != WSC_OK) {
            refuse_unstamped(hub, conn, msg);
            return;
        }
        bool do_route = hub->cfg.client_routing;
        if (hub->cfg.on_message)
            hub->cfg.on_message(hub, conn, msg, &do_route, hub->cfg.user);
        if (do_route && conn->state == CONN_OPEN)
            route(hub, conn, msg);
    }
}
