/* SPDX-License-Identifier: MIT */
/* Receipts for our own sends: a message sent with require_ack waits for the hub's
 * {"message_type":"ack","message_id":X,"data":{"status":S}}.  Each wait has a timer; on timeout
 * the same message (same message_id) is queued again, up to ack_max_retries times, then the
 * receipt ends with WSC_ERR_TIMEOUT.  A client has few of these, so a list is enough. */
#include <string.h>

#include "client/client_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

static void
receipt_end(struct wsc_client *c, struct wsc__receipt *r, wsc_err status, const char *hub_status)
{
    /* r is always on the list: it leaves it only here. */
    struct wsc__receipt **link = &c->receipts;
    while (*link != r)
        link = &(*link)->next;
    *link = r->next;
    c->receipt_count--;
    wsc__timer_stop(&r->timer);
    if (c->cfg.on_receipt != NULL)
        c->cfg.on_receipt(c, r->id, r->msg, status, hub_status, c->cfg.user);
    wsc_msg_unref(r->msg);
    wsc__free(r);
}

static void
resend(struct wsc_client *c, struct wsc__receipt *r)
{
    struct wsc__citem *it = wsc__calloc(1, sizeof(*it));
    if (it == NULL) {
        wsc__timer_start(&r->timer, c->cfg.ack_timeout_ms);
        return;
    }
    size_t len = 0;
    (void)wsc__msg_wire(r->msg, &len);
    it->id = r->id;
    it->msg = wsc_msg_ref(r->msg);
    it->len = len;
    it->urgent = wsc__msg_is_urgent(r->msg);
    it->resend = true;
    r->resends++;
    /* A resend is owed to a frame the application already queued once: it bypasses the
     * bounds rather than fail with QUEUE_FULL, so queuing it cannot fail. */
    (void)wsc__client_enqueue(c, it);
    /* The timer restarts when the resend is written; while disconnected it waits queued. */
}

static void
timer_fire(wsc__timer *t)
{
    struct wsc__receipt *r = wsc_container_of(t, struct wsc__receipt, timer);
    struct wsc_client *c = r->client;
    wsc__client_enter(c);
    if (r->resends >= c->cfg.ack_max_retries)
        receipt_end(c, r, WSC_ERR_TIMEOUT, NULL);
    else
        resend(c, r);
    wsc__client_leave(c);
}

static struct wsc__receipt *
find_by_id(struct wsc_client *c, uint64_t id)
{
    for (struct wsc__receipt *r = c->receipts; r != NULL; r = r->next)
        if (r->id == id)
            return r;
    return NULL;
}

void
wsc__client_receipt_written(struct wsc_client *c, struct wsc__citem *it)
{
    struct wsc__receipt *r = find_by_id(c, it->id);
    if (r == NULL && it->resend)
        return; /* answered while the resend was queued */
    if (r == NULL) {
        r = wsc__calloc(1, sizeof(*r));
        if (r == NULL) {
            /* on_receipt runs once for every require_ack send: without memory to wait for the
             * answer, it runs now. */
            if (c->cfg.on_receipt != NULL)
                c->cfg.on_receipt(c, it->id, it->msg, WSC_ERR_NOMEM, NULL, c->cfg.user);
            return;
        }
        r->client = c;
        r->id = it->id;
        r->msg = wsc_msg_ref(it->msg);
        wsc__timer_init(&r->timer, c->loop, timer_fire);
        r->next = c->receipts;
        c->receipts = r;
        c->receipt_count++;
    }
    wsc__timer_start(&r->timer, c->cfg.ack_timeout_ms);
}

bool
wsc__client_receipt_acked(struct wsc_client *c, const wsc_msg *ack)
{
    const char *mid = wsc_msg_get(ack, WSC_F_MESSAGE_ID);
    if (mid == NULL)
        return false;
    for (struct wsc__receipt *r = c->receipts; r != NULL; r = r->next) {
        const char *own = wsc_msg_get(r->msg, WSC_F_MESSAGE_ID);
        if (own != NULL && strcmp(own, mid) == 0) {
            const char *status = wsc_msg_get_data_string(ack, "status");
            wsc_err err = WSC_OK;
            receipt_end(c, r, err, status != NULL ? status : "delivered");
            return true;
        }
    }
    return false;
}

void
wsc__client_receipts_fail(struct wsc_client *c, wsc_err status)
{
    while (c->receipts != NULL)
        receipt_end(c, c->receipts, status, NULL);
}
