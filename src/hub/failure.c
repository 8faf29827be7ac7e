/* SPDX-License-Identifier: MIT */
/* The five failure handlers (send failure, queue full, user offline, connection error,
 * timeout): classification of an error into a kind, the documented defaults, and the
 * fire-and-forget path (failures of messages not tracked for ACK).  Every call counts the
 * failure and logs it; the handler may change the preset action. */
#include <string.h>

#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"

static const char *const kind_names[] = {"send_failure", "queue_full", "user_offline", "conn_error",
                                         "timeout"};

wsc_failure_kind
wsc__failure_kind_of(wsc_err err)
{
    switch (err) {
    case WSC_ERR_QUEUE_FULL:
        return WSC_FAILURE_QUEUE_FULL;
    case WSC_ERR_OFFLINE:
    case WSC_ERR_NOT_FOUND:
        return WSC_FAILURE_OFFLINE;
    case WSC_ERR_CLOSED:
    case WSC_ERR_IO:
        return WSC_FAILURE_CONN_ERROR;
    case WSC_ERR_TIMEOUT:
        return WSC_FAILURE_TIMEOUT;
    default:
        return WSC_FAILURE_SEND;
    }
}

static wsc_failure_cb
handler_of(const wsc_failure_handlers *h, wsc_failure_kind kind)
{
    switch (kind) {
    case WSC_FAILURE_QUEUE_FULL:
        return h->on_queue_full;
    case WSC_FAILURE_OFFLINE:
        return h->on_user_offline;
    case WSC_FAILURE_CONN_ERROR:
        return h->on_conn_error;
    case WSC_FAILURE_TIMEOUT:
        return h->on_timeout;
    default:
        return h->on_send_failure;
    }
}

wsc_failure_action
wsc__failure_fire(struct wsc__rel *rel, const wsc_failure *f, bool store_default)
{
    wsc_hub *hub = rel->hub;
    /* Default: ACK messages go to the offline store when the error is one a later attempt
     * could overcome; everything else is counted and reported. */
    wsc_failure_action a = f->tracked && store_default && wsc_err_is_retryable(f->error)
                               ? WSC_FAILURE_STORE
                               : WSC_FAILURE_DROP;
    rel->stats.failures[f->kind]++;
    wsc__log(&hub->log, WSC_LOG_DEBUG, "delivery_failure", "s:kind,s:user,s:message_id,s:error",
             kind_names[f->kind], f->user_id ? f->user_id : "",
             wsc_msg_get(f->msg, WSC_F_MESSAGE_ID), wsc_err_name(f->error));
    wsc_failure_cb cb = handler_of(&rel->handlers, f->kind);
    if (cb != NULL)
        cb(hub, f, &a, rel->handlers.user);
    return a;
}

wsc_err
wsc_hub_set_failure_handlers(wsc_hub *hub, const wsc_failure_handlers *h)
{
    if (hub == NULL || hub->rel == NULL)
        return WSC_ERR_INVALID;
    if (h == NULL)
        memset(&hub->rel->handlers, 0, sizeof(hub->rel->handlers));
    else
        hub->rel->handlers = *h;
    return WSC_OK;
}

/* Frames the hub makes itself are not application messages: their loss is not reported. */
static bool
is_control(const wsc_msg *msg)
{
    static const char *const types[] = {"connected", "pong", "ack", "error", "kick_out"};
    const char *t = wsc_msg_get(msg, WSC_F_TYPE);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(t, types[i]) == 0)
            return true;
    }
    return false;
}

static void
untracked(struct wsc__rel *rel, const char *user, wsc_conn_id conn, wsc_msg *msg, wsc_err why)
{
    wsc_failure f = {wsc__failure_kind_of(why), why, user, conn, msg, false, 1};
    if (wsc__failure_fire(rel, &f, false) == WSC_FAILURE_STORE && user != NULL &&
        wsc_msg_get(msg, WSC_F_MESSAGE_ID) != NULL)
        wsc__offline_put(rel, user, msg, NULL);
}

void
wsc__rel_send_failed(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, wsc_err why)
{
    struct wsc__rel *rel = hub->rel;
    if (rel == NULL || hub->freeing || is_control(msg))
        return;
    const char *user = conn->user ? conn->user->id : NULL;
    const char *src = wsc_msg_get(msg, WSC_F_SOURCE);
    /* A replayed offline message stays stored: nothing is lost, nothing to report. */
    if (src != NULL && strcmp(src, "offline") == 0)
        return;
    struct wsc__ack_pending *p = wsc__ack_find(rel, wsc_msg_get(msg, WSC_F_SENDER),
                                               wsc_msg_get(msg, WSC_F_MESSAGE_ID), user);
    if (p != NULL && p->msg == msg) {
        /* Tracked: the timer decides what happens next; remember why for the handler. */
        p->last_error = why;
        p->last_conn = conn->id;
        return;
    }
    if (rel->stopping)
        return;
    untracked(rel, user, conn->id, msg, why);
}

void
wsc__rel_user_offline(wsc_hub *hub, const char *user_id, wsc_msg *msg)
{
    struct wsc__rel *rel = hub->rel;
    if (rel == NULL || hub->freeing || msg == NULL || is_control(msg))
        return;
    untracked(rel, user_id, 0, msg, WSC_ERR_OFFLINE);
}
