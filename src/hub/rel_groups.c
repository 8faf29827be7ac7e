/* SPDX-License-Identifier: MIT */
/* Client group messages with require_ack (PROTOCOL.md §3): tracked per receiver like
 * wsc_hub_send_to_group_ack, one (message_id, member) entry for every member of every named
 * group (and the receiver, when the frame names one too), the sender excluded; a user reached
 * through several targets is tracked once.  The sender's receipt is answered at once with
 * what is known when the message is handed to the tracker: "delivered" when at least one
 * receiver has a live connection (it is queued there on the next loop turn, then retried and
 * stored like any ACK send), "stored" when every receiver is offline and offline storage is
 * on, "rejected" (unknown_receiver) otherwise. */
#include <string.h>

#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"

static void
track_one(wsc_hub *hub, const char *uid, wsc_msg *m, struct wsc__accept *acc)
{
    /* Already tracked: the same user through another target, or an earlier copy. */
    wsc__accept_start(acc, uid, m, &hub->cfg.ack);
}

static void
track_groups(wsc_hub *hub, wsc_conn *conn, wsc_msg *m, struct wsc__accept *acc)
{
    for (size_t i = 0; i < wsc_msg_group_count(m); i++) {
        char **members = NULL;
        size_t n = 0;
        char gkey[WSC_MSG_KEY_MAX]; /* the group in the sender's app */
        wsc_err err = wsc__conn_scope(conn, wsc_msg_group(m, i), gkey, sizeof(gkey));
        if (err == WSC_OK)
            err = wsc__rel_group_users(hub, gkey, conn->user->id, &members, &n);
        if (err != WSC_OK) {
            wsc__accept_count(acc, WSC__ACC_FAILED, err);
            continue;
        }
        for (size_t k = 0; k < n; k++)
            track_one(hub, members[k], m, acc);
        wsc_free(members);
    }
}

bool
wsc__rel_route_client_groups(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    if (!wsc_msg_require_ack(msg) || wsc_msg_group_count(msg) == 0 ||
        wsc_msg_get(msg, WSC_F_BROADCAST_TYPE) != NULL || wsc__rel_check_state(hub) != WSC_OK)
        return false;
    wsc_msg *m = NULL;
    struct wsc__accept *acc = NULL;
    if (wsc__rel_prepare(hub, msg, &m) != WSC_OK ||
        (acc = wsc__accept_receipt(hub, conn, m)) == NULL) {
        wsc_msg_unref(m);
        wsc__rel_receipt(hub, conn, msg, "rejected", "internal");
        return true;
    }
    const char *receiver = wsc_msg_get(m, WSC_F_RECEIVER);
    char rkey[WSC_MSG_KEY_MAX];
    if (receiver != NULL && wsc__conn_scope(conn, receiver, rkey, sizeof(rkey)) == WSC_OK &&
        strcmp(rkey, conn->user->id) != 0)
        track_one(hub, rkey, m, acc);
    track_groups(hub, conn, m, acc);
    wsc_msg_unref(m);
    wsc__accept_seal(acc);
    return true;
}
