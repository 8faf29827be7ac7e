/* SPDX-License-Identifier: MIT */
/* A new connection's first write waits until the other nodes can reach its user (cluster.h,
 * wsc__cluster_hold): a client that has its `connected` frame can be sent to from any node.
 * The wait ends when Redis confirms the user's channel, when the node is cut off from Redis
 * (nothing to wait for), or after cluster_timeout_ms.  Meanwhile everything else goes on:
 * frames from the client are handled, messages to it are queued; only the writing waits. */
#include <string.h>

#include "hub/cluster_internal.h"
#include "models/alloc.h"

struct cl_held {
    struct wsc_list link; /* cl->held, oldest first */
    wsc_conn_id conn;
    uint64_t since_ms;
    char channel[];
};

static void
go(wsc_hub *hub, struct cl_held *h)
{
    wsc_conn *c = wsc__hub_conn_find(hub, h->conn);
    if (c != NULL && c->cluster_hold) {
        c->cluster_hold = 0;
        if (c->wsi != NULL)
            lws_callback_on_writable(c->wsi);
    }
    wsc_list_remove(&h->link);
    wsc__free(h);
}

static void
arm(struct wsc__cluster *cl)
{
    if (wsc_list_empty(&cl->held) || cl->hold_timer.armed)
        return;
    struct cl_held *h = wsc_container_of(cl->held.next, struct cl_held, link);
    uint64_t now = wsc__now_ms(), end = h->since_ms + cl->hub->cfg.cluster_timeout_ms;
    wsc__timer_start(&cl->hold_timer, end > now ? end - now : 0);
}

/* The oldest waits have lasted cluster_timeout_ms: they go without the confirmation. */
void
wsc__cl_hold_timer(wsc__timer *t)
{
    struct wsc__cluster *cl = wsc_container_of(t, struct wsc__cluster, hold_timer);
    uint64_t now = wsc__now_ms();
    while (!wsc_list_empty(&cl->held)) {
        struct cl_held *h = wsc_container_of(cl->held.next, struct cl_held, link);
        if (h->since_ms + cl->hub->cfg.cluster_timeout_ms > now)
            break;
        go(cl->hub, h);
    }
    arm(cl);
}

bool
wsc__cluster_hold(wsc_hub *hub, wsc_conn *conn)
{
    struct wsc__cluster *cl = hub->cluster;
    char ch[WSC__CL_CHAN_MAX];
    if (!wsc__cluster_on(hub) || !wsc__bus_up(cl->bus) ||
        !wsc__cl_user_channel(conn->user->id, ch, sizeof(ch)) || wsc__bus_subscribed(cl->bus, ch))
        return false;
    size_t len = strlen(ch) + 1;
    struct cl_held *h = wsc__malloc(sizeof(*h) + len);
    if (h == NULL)
        return false; /* out of memory: write at once rather than never */
    h->conn = conn->id;
    h->since_ms = wsc__now_ms();
    memcpy(h->channel, ch, len);
    wsc_list_push_back(&cl->held, &h->link);
    arm(cl);
    return true;
}

void
wsc__cl_hold_subscribed(struct wsc__cluster *cl, const char *channel)
{
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &cl->held) {
        struct cl_held *h = wsc_container_of(pos, struct cl_held, link);
        if (strcmp(h->channel, channel) == 0)
            go(cl->hub, h);
    }
}

void
wsc__cl_hold_release_all(struct wsc__cluster *cl)
{
    while (!wsc_list_empty(&cl->held))
        go(cl->hub, wsc_container_of(cl->held.next, struct cl_held, link));
    wsc__timer_stop(&cl->hold_timer);
}
