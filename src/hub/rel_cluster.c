/* SPDX-License-Identifier: MIT */
/* An ACK send's attempt in a cluster (cluster.h): the tracker stays on the node that took the
 * message; each attempt also goes to the receiver's channel, so it reaches the receiver on
 * whichever node the receiver is connected to now.  When no connection here took it, the
 * other nodes' answer decides: queued somewhere (waits for the ACK, which comes back through
 * wsc__rel_remote_ack), or nowhere (offline: stored once, here).  The answer finds its entry
 * again by key, and only while that entry still waits for this very forward. */
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"

struct remote_wait {
    struct wsc__rel *rel;
    uint32_t seq;
    const char *sender; /* NULL when the message has none; in text */
    const char *mid;
    char text[]; /* user \0 sender \0 mid \0 */
};

static void
remote_answered(wsc_hub *hub, wsc_err status, uint64_t sum, void *arg)
{
    (void)hub;
    struct remote_wait *w = arg;
    struct wsc__ack_pending *p =
        status == WSC_ERR_CANCELED ? NULL : wsc__ack_find(w->rel, w->sender, w->mid, w->text);
    if (p != NULL && p->phase == WSC__PH_WAIT_REMOTE && p->remote_seq == w->seq) {
        if (sum > 0) {
            wsc__ack_sent(p, (size_t)sum);
        } else {
            /* Nobody took it: offline (also when the publish failed: nobody got it), unless
             * some node did not answer in time (it may have: try again). */
            p->last_error = status == WSC_ERR_TIMEOUT ? WSC_ERR_TIMEOUT : WSC_ERR_OFFLINE;
            wsc__ack_attempt_failed(p);
        }
    }
    wsc__free(w);
}

static struct remote_wait *
wait_new(struct wsc__ack_pending *p)
{
    const char *sender = wsc_msg_get(p->msg, WSC_F_SENDER);
    size_t lu = strlen(p->user) + 1, ls = sender ? strlen(sender) + 1 : 1;
    size_t lm = strlen(p->message_id) + 1;
    struct remote_wait *w = wsc__malloc(sizeof(*w) + lu + ls + lm);
    if (w == NULL)
        return NULL;
    char *at = w->text;
    memcpy(at, p->user, lu);
    at += lu;
    w->sender = sender ? memcpy(at, sender, ls) : NULL;
    at += ls;
    w->mid = memcpy(at, p->message_id, lm);
    w->rel = p->rel;
    w->seq = ++p->rel->remote_seq;
    return w;
}

bool
wsc__rel_cluster_attempt(struct wsc__ack_pending *p, size_t local)
{
    wsc_hub *hub = p->rel->hub;
    if (!wsc__cluster_on(hub))
        return false;
    if (local > 0) {
        /* Taken here: the user's connections elsewhere get it too, without a wait. */
        (void)wsc__cluster_to_user(hub, p->user, p->msg, NULL, NULL);
        return false;
    }
    struct remote_wait *w = wait_new(p);
    if (w == NULL)
        return false;
    uint32_t seq = w->seq;
    if (wsc__cluster_to_user(hub, p->user, p->msg, remote_answered, w) != WSC_OK) {
        wsc__free(w);
        return false;
    }
    wsc__wheel_cancel(&p->rel->wheel, &p->timer);
    p->phase = WSC__PH_WAIT_REMOTE;
    p->remote_seq = seq;
    return true;
}
