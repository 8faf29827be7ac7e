/* SPDX-License-Identifier: MIT */
/* Liveness and shutdown.  One sweep timer sends WebSocket pings when a connection's interval
 * is up and closes silent connections with 4003; graceful stop refuses new upgrades, lets
 * queues drain within a deadline and closes everything with 1001. */
#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"

static uint64_t
sweep_period_ms(const wsc_hub *hub)
{
    uint64_t p = hub->cfg.ping_interval_ms < hub->cfg.pong_timeout_ms ? hub->cfg.ping_interval_ms
                                                                      : hub->cfg.pong_timeout_ms;
    if (hub->cfg.sse_path[0] != '\0' && hub->cfg.sse_ping_interval_ms < p)
        p = hub->cfg.sse_ping_interval_ms;
    p /= 4;
    return p < 10 ? 10 : (p > 1000 ? 1000 : p);
}

/* Also ends connections whose token expired (PROTOCOL.md §5: 4004 within a second or two of
 * exp): the sweep runs at least once a second and already visits every connection, so expiry
 * costs a compare per connection and 4 bytes in it, no timer of its own. */
static void
sweep(wsc__timer *t)
{
    wsc_hub *hub = wsc_container_of(t, wsc_hub, sweep);
    uint32_t now = wsc__hub_now32(hub);
    uint64_t wall_s = wsc__wall_ms() / 1000;
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &hub->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, all_link);
        if (c->state != CONN_OPEN)
            continue;
        if (c->exp_s != 0 && wall_s >= c->exp_s) {
            wsc__hub_conn_request_close(c, 4004, "token expired");
            continue;
        }
        const struct wsc__transport *tr = wsc__conn_transport(c);
        if (tr->heartbeat && (uint32_t)(now - c->last_rx_ms) >= hub->cfg.pong_timeout_ms) {
            wsc__hub_conn_request_close(c, 4003, "heartbeat timeout");
            continue;
        }
        if ((uint32_t)(now - c->last_ping_ms) >= tr->ping_interval_ms(hub)) {
            c->last_ping_ms = now;
            c->ping_pending = 1;
            lws_callback_on_writable(c->wsi);
        } else if (wsc__conn_queue_len(&c->q) == 0) {
            wsc__conn_queue_trim(&c->q);
        }
    }
    if (!hub->stopped)
        wsc__timer_start(&hub->sweep, sweep_period_ms(hub));
}

void
wsc__hub_sweep_start(wsc_hub *hub)
{
    hub->sweep.cb = sweep;
    wsc__timer_start(&hub->sweep, sweep_period_ms(hub));
}

static void
finish_stop(wsc_hub *hub)
{
    if (hub->stopped)
        return;
    hub->stopped = true;
    wsc__timer_stop(&hub->drain_deadline);
    wsc__timer_stop(&hub->sweep);
    wsc__metrics_stop(hub);
    wsc__log(&hub->log, WSC_LOG_INFO, "hub_stopped", "u:messages_out", hub->stats.messages_out);
    if (hub->own_loop)
        wsc_loop_stop(hub->loop);
}

void
wsc__hub_drain_check(wsc_hub *hub)
{
    if (hub->draining && hub->n_conns == 0 && wsc__rel_idle(hub) && wsc__cluster_idle(hub))
        finish_stop(hub);
}

/* The deadline passed: whatever is still queued is reported as failed and dropped. */
static void
drain_deadline(wsc__timer *t)
{
    wsc_hub *hub = wsc_container_of(t, wsc_hub, drain_deadline);
    bool last_chance = hub->drain_rounds++ > 0;
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &hub->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, all_link);
        c->close_flush = 0;
        if (c->wsi == NULL)
            continue;
        /* A peer that does not read never makes its socket writeable, so it cannot even be
         * sent a close frame: after one more period lws drops it (still reported as 1001). */
        if (last_chance)
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
        else
            lws_callback_on_writable(c->wsi);
    }
    if (hub->n_conns > 0)
        wsc__timer_start(&hub->drain_deadline, 2 * sweep_period_ms(hub));
}

static void
stop_on_loop(void *arg)
{
    wsc_hub *hub = arg;
    if (hub->draining || hub->freeing)
        return;
    hub->draining = true;
    wsc__rel_stop(hub); /* pending ACK messages go to the store; the stop waits for it */
    wsc__cluster_leave(hub);
    wsc__log(&hub->log, WSC_LOG_INFO, "hub_draining", "u:connections", (uint64_t)hub->n_conns);
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &hub->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, all_link);
        wsc__hub_conn_close_after_flush(c, 1001, "hub shutting down");
    }
    hub->drain_deadline.cb = drain_deadline;
    wsc__timer_start(&hub->drain_deadline, hub->cfg.shutdown_timeout_ms);
    wsc__hub_drain_check(hub);
}

void
wsc_hub_stop(wsc_hub *hub)
{
    if (hub == NULL)
        return;
    if (wsc_loop_is_loop_thread(hub->loop))
        stop_on_loop(hub);
    else
        wsc__loop_post_control(hub->loop, stop_on_loop, hub);
}
