/* SPDX-License-Identifier: MIT */
/* The hub's metrics registry (hub_metrics.h): connections and users per transport, the frame
 * type classes, and the loop-lag timer. */
#include <string.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"

/* The lag timer's period: its lateness is the loop's lag. */
#define LAG_PERIOD_MS 250u

static void
lag_tick(wsc__timer *t)
{
    struct wsc__hub_metrics *m = wsc_container_of(t, struct wsc__hub_metrics, lag_timer);
    uint64_t now = wsc__mono_us();
    wsc__histo_observe(&m->lag_us, now > m->lag_due_us ? now - m->lag_due_us : 0);
    m->lag_due_us = now + LAG_PERIOD_MS * 1000u;
    wsc__timer_start(t, LAG_PERIOD_MS);
}

void
wsc__metrics_init(wsc_hub *hub)
{
    struct wsc__hub_metrics *m = &hub->metrics;
    memset(m, 0, sizeof(*m));
    wsc__histo_init(&m->queue_depth, 1);  /* 1 .. 32768 frames */
    wsc__histo_init(&m->deliver_us, 50);  /* 50 us .. 1.6 s */
    wsc__histo_init(&m->ack_rtt_us, 250); /* 250 us .. 8 s */
    wsc__histo_init(&m->lag_us, 250);     /* 250 us .. 8 s */
    wsc__timer_init(&m->lag_timer, hub->loop, lag_tick);
    m->lag_due_us = wsc__mono_us() + LAG_PERIOD_MS * 1000u;
    wsc__timer_start(&m->lag_timer, LAG_PERIOD_MS);
}

void
wsc__metrics_stop(wsc_hub *hub)
{
    wsc__timer_stop(&hub->metrics.lag_timer);
}

enum wsc__mtype
wsc__metrics_mtype(const char *type)
{
    static const char *const names[] = {"text",  "ping",      "pong",    "ack",
                                        "error", "connected", "kick_out"};
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (strcmp(type, names[i]) == 0)
            return (enum wsc__mtype)i;
    }
    return strcmp(type, "heartbeat") == 0 ? WSC__MT_PING : WSC__MT_OTHER;
}

/* True when u has a connection other than conn on conn's transport. */
static bool
user_has_other(const wsc_conn *conn)
{
    const struct wsc_list *pos;
    wsc_list_foreach(pos, &conn->user->conns) {
        const wsc_conn *c = wsc_container_of(pos, wsc_conn, user_link);
        if (c != conn && c->transport == conn->transport)
            return true;
    }
    return false;
}

void
wsc__metrics_conn_open(wsc_hub *hub, const wsc_conn *conn)
{
    struct wsc__hub_metrics *m = &hub->metrics;
    m->conns[conn->transport]++;
    m->opened[conn->transport]++;
    if (!user_has_other(conn))
        m->users[conn->transport]++;
}

void
wsc__metrics_conn_closed(wsc_hub *hub, const wsc_conn *conn)
{
    struct wsc__hub_metrics *m = &hub->metrics;
    m->conns[conn->transport]--;
    if (!user_has_other(conn))
        m->users[conn->transport]--;
}
