/* SPDX-License-Identifier: MIT */
/* Message records through the hub store's record repository: one record per
 * (message_id, receiver), written as the tracker moves (pending, sent, retrying, acked,
 * failed, stored, delivered).  Writes are fire-and-forget: a failing record store is logged
 * and never holds up delivery.  Reads go straight to the repository. */
#include "hub/rel_internal.h"

/* Completion of a record write.  user is the hub's logger only while the hub lives: writes
 * are issued without a context so that a store outliving the hub never calls into it. */
static void
write_done(wsc_err status, void *user)
{
    (void)user;
    (void)status;
}

void
wsc__records_put(struct wsc__rel *rel, const char *message_id, const char *receiver,
                 const char *sender, wsc_record_state state)
{
    if (rel->records == NULL)
        return;
    wsc_msg_record rec = {0};
    rec.message_id = message_id;
    rec.receiver = receiver;
    rec.sender = sender;
    rec.state = state;
    wsc_err err = wsc_record_put(rel->records, &rec, write_done, NULL);
    if (err != WSC_OK)
        wsc__log(&rel->hub->log, WSC_LOG_WARN, "record_put_failed", "s:message_id,s:error",
                 message_id, wsc_err_name(err));
}

void
wsc__records_update(struct wsc__rel *rel, const char *message_id, const char *receiver,
                    wsc_record_state state, uint32_t retry_inc, wsc_err last_error)
{
    if (rel->records == NULL)
        return;
    wsc_err err =
        wsc_record_update(rel->records, message_id, receiver, state, retry_inc, last_error,
                          last_error == WSC_OK ? NULL : wsc_err_name(last_error), write_done, NULL);
    if (err != WSC_OK)
        wsc__log(&rel->hub->log, WSC_LOG_WARN, "record_update_failed", "s:message_id,s:error",
                 message_id, wsc_err_name(err));
}

wsc_err
wsc_hub_record_get(wsc_hub *hub, const char *message_id, const char *receiver, wsc_record_get_cb cb,
                   void *user)
{
    if (hub == NULL || hub->rel == NULL || message_id == NULL || receiver == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    if (hub->rel->records == NULL)
        return WSC_ERR_UNSUPPORTED;
    return wsc_record_get(hub->rel->records, message_id, receiver, cb, user);
}
