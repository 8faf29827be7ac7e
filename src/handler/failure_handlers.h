/* SPDX-License-Identifier: MIT */
/* The failure handlers (wsc/reliability.h) as a policy the hub calls down into: which of the
 * five handlers an error goes to, the documented default action, and running the application's
 * handler with that default preset.  Pure functions over the public types: nothing here knows
 * the hub's internals, counts or logs (the hub does, before it calls in). */
#ifndef WSC_HANDLER_FAILURE_HANDLERS_H
#define WSC_HANDLER_FAILURE_HANDLERS_H

#include <stdbool.h>

#include <wsc/error.h>
#include <wsc/hub.h>
#include <wsc/reliability.h>

/** The kind of failure err is, naming the handler that decides: QUEUE_FULL, OFFLINE
 *  (WSC_ERR_OFFLINE, WSC_ERR_NOT_FOUND), CONN_ERROR (WSC_ERR_CLOSED, WSC_ERR_IO), TIMEOUT, else
 *  SEND. */
wsc_failure_kind wsc__failure_kind_of(wsc_err err);

/** The kind's name for logs ("send_failure", "queue_full", "user_offline", "conn_error",
 *  "timeout"); a static string. */
const char *wsc__failure_kind_name(wsc_failure_kind kind);

/** The action for f: the default (WSC_FAILURE_STORE for a message tracked for ACK whose error
 *  is retryable, when store_default is set; WSC_FAILURE_DROP otherwise), then the handler of
 *  f->kind in h, if set, called with hub and the default preset, which it may change. */
wsc_failure_action wsc__failure_decide(const wsc_failure_handlers *h, wsc_hub *hub,
                                       const wsc_failure *f, bool store_default);

#endif
