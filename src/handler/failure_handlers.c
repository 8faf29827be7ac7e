/* SPDX-License-Identifier: MIT */
/* The failure policy: classification of an error into one of the five kinds, the default
 * action, and the dispatch to the application's handler of that kind (failure_handlers.h). */
#include "handler/failure_handlers.h"

#include <stddef.h>

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

const char *
wsc__failure_kind_name(wsc_failure_kind kind)
{
    return (unsigned)kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[kind]
                                                                       : "send_failure";
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
wsc__failure_decide(const wsc_failure_handlers *h, wsc_hub *hub, const wsc_failure *f,
                    bool store_default)
{
    /* Default: ACK messages go to the offline store when the error is one a later attempt
     * could overcome; everything else is counted and reported. */
    wsc_failure_action a = f->tracked && store_default && wsc_err_is_retryable(f->error)
                               ? WSC_FAILURE_STORE
                               : WSC_FAILURE_DROP;
    wsc_failure_cb cb = handler_of(h, f->kind);
    if (cb != NULL)
        cb(hub, f, &a, h->user);
    return a;
}
