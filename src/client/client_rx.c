/* SPDX-License-Identifier: MIT */
/* The receive path of whole messages: hub frames are parsed once; those with require_ack are
 * ACKed at once (urgent lane) when auto_ack is on, also when they are duplicates (the hub resends
 * because our ACK may have been lost; the ACK names the sender, PROTOCOL.md §3); duplicates by
 * (sender, message_id) are then dropped (a message_id is scoped to its sender, §2), so the
 * application sees each message once; receipts for our own sends are matched. */
#include <string.h>

#include "client/client_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

/* Control frames besides "ack" (handled before this is asked). */
static bool
is_control(const char *type)
{
    return strcmp(type, "connected") == 0 || strcmp(type, "pong") == 0 ||
           strcmp(type, "error") == 0 || strcmp(type, "kick_out") == 0;
}

static void
send_ack(struct wsc_client *c, const char *sender, const char *message_id)
{
    wsc_msg *ack = NULL;
    if (wsc_msg_new_text(&ack, "ack", NULL) != WSC_OK)
        return;
    struct wsc__citem *it = NULL;
    if (wsc_msg_set(ack, WSC_F_MESSAGE_ID, message_id) == WSC_OK &&
        (sender == NULL || wsc_msg_set(ack, WSC_F_SENDER, sender) == WSC_OK) &&
        wsc__msg_encode(ack) == WSC_OK)
        it = wsc__calloc(1, sizeof(*it));
    if (it != NULL) {
        size_t len = 0;
        (void)wsc__msg_wire(ack, &len);
        it->msg = wsc_msg_ref(ack);
        it->len = len;
        it->urgent = true; /* ahead of queued traffic; a bound of its own (client_queue.h) */
        if (wsc__client_enqueue(c, it) != WSC_OK)
            wsc__client_item_free(it);
    }
    wsc_msg_unref(ack);
}

/* Returns false when the frame is a duplicate the application must not see. */
static bool
handle_hub_frame(struct wsc_client *c, wsc_msg *msg)
{
    const char *type = wsc_msg_get(msg, WSC_F_TYPE);
    const char *mid = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    if (strcmp(type, "ack") == 0) {
        wsc__client_receipt_acked(c, msg);
        return true;
    }
    if (mid == NULL || is_control(type))
        return true;
    const char *sender = wsc_msg_get(msg, WSC_F_SENDER);
    if (wsc_msg_require_ack(msg) && c->cfg.auto_ack)
        send_ack(c, sender, mid);
    char key[WSC_MSG_KEY_MAX]; /* (sender, message_id), as the hub keys it */
    if (wsc_msg_key(sender, mid, key, sizeof(key)) != WSC_OK)
        return true;
    return !wsc__dedupe_check(&c->dedupe, key);
}

void
wsc__client_on_message(struct wsc_client *c, const unsigned char *data, size_t len, bool binary)
{
    if (binary) {
        if (c->cfg.on_binary != NULL)
            c->cfg.on_binary(c, data, len, c->cfg.user);
        return;
    }
    wsc_msg *msg = NULL;
    /* Frames that are not hub JSON are fine: they go to on_text only. */
    if (len > 0 && data[0] == '{')
        (void)wsc_msg_parse(&msg, (const char *)data, len, &c->limits, NULL);
    if (msg != NULL && !handle_hub_frame(c, msg)) {
        wsc_msg_unref(msg);
        return;
    }
    if (c->cfg.on_text != NULL)
        c->cfg.on_text(c, (const char *)data, len, c->cfg.user);
    if (msg != NULL && !c->freed && c->cfg.on_message != NULL)
        c->cfg.on_message(c, msg, c->cfg.user);
    wsc_msg_unref(msg);
}
