/* SPDX-License-Identifier: MIT */
/* wsc_hub_metrics_text: the hub's counters, the reliability layer's and the store's latency in
 * the Prometheus text format.  Made only when asked (a scrape), from the registry the hot path
 * fills (hub_metrics.h). */
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>

#include <wsc/reliability.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "repository/store_metrics.h"

struct out {
    char *buf;
    size_t cap, len;
    bool full; /* something did not fit: render again into a larger buffer */
};

static void __attribute__((format(printf, 2, 3))) put(struct out *o, const char *fmt, ...)
{
    if (o->full)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->full = true;
    else
        o->len += (size_t)n;
}

static void
head(struct out *o, const char *name, const char *type, const char *help)
{
    put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void
one(struct out *o, const char *name, const char *type, const char *help, uint64_t v)
{
    head(o, name, type, help);
    put(o, "%s %" PRIu64 "\n", name, v);
}

/* A metric with one label: n values, names[i] labelling v[i]. */
static void
labelled(struct out *o, const char *name, const char *type, const char *help, const char *label,
         const char *const *names, const uint64_t *v, size_t n)
{
    head(o, name, type, help);
    for (size_t i = 0; i < n; i++)
        put(o, "%s{%s=\"%s\"} %" PRIu64 "\n", name, label, names[i], v[i]);
}

static void
histo(struct out *o, const char *name, const char *help, const wsc__histo *h, double div)
{
    head(o, name, "histogram", help);
    if (!o->full && !wsc__histo_render(h, name, "", div, o->buf, o->cap, &o->len))
        o->full = true;
}

static const char *const transports[WSC__TRANSPORT_COUNT] = {"ws", "sse"};
static const char *const mtypes[WSC__MT_COUNT] = {"text",  "ping",      "pong",     "ack",
                                                  "error", "connected", "kick_out", "other"};
static const char *const refusals[WSC__REFUSE_COUNT] = {"draining",      "rate_limited", "origin",
                                                        "unauthorized",  "forbidden",    "capacity",
                                                        "pending_per_ip"};
static const char *const limits[WSC__LIMIT_COUNT] = {"connect", "frame"};
static const char *const kinds[5] = {"send_failure", "queue_full", "user_offline",
                                     "connection_error", "timeout"};
static const char *const outcomes[3] = {"acked", "stored", "failed"};

static void
render_hub(struct out *o, const wsc_hub *hub)
{
    const struct wsc__hub_metrics *m = &hub->metrics;
    wsc_hub_stats st;
    wsc_hub_get_stats(hub, &st);
    one(o, "wsc_connections", "gauge", "Live connections (every transport).", st.connections);
    one(o, "wsc_users", "gauge", "Distinct online users.", st.users);
    labelled(o, "wsc_transport_connections", "gauge", "Live connections by transport.", "transport",
             transports, m->conns, WSC__TRANSPORT_COUNT);
    labelled(o, "wsc_transport_users", "gauge", "Users with a connection of that transport.",
             "transport", transports, m->users, WSC__TRANSPORT_COUNT);
    labelled(o, "wsc_connections_opened_total", "counter", "Connections registered so far.",
             "transport", transports, m->opened, WSC__TRANSPORT_COUNT);
    one(o, "wsc_messages_in_total", "counter", "Client messages accepted.", st.messages_in);
    one(o, "wsc_messages_out_total", "counter", "Frames written to sockets.", st.messages_out);
    labelled(o, "wsc_frames_in_total", "counter", "Client frames parsed, by message_type.", "type",
             mtypes, m->frames_in, WSC__MT_COUNT);
    labelled(o, "wsc_frames_out_total", "counter", "Frames written, by message_type.", "type",
             mtypes, m->frames_out, WSC__MT_COUNT);
    one(o, "wsc_bytes_in_total", "counter", "Bytes received in frames.", st.bytes_in);
    one(o, "wsc_bytes_out_total", "counter", "Bytes written in frames.", st.bytes_out);
    one(o, "wsc_send_failed_total", "counter", "Messages that could not be sent to a connection.",
        st.send_failed);
    one(o, "wsc_queued", "gauge", "Frames waiting in connection queues.", st.queued);
    histo(o, "wsc_queue_depth", "A connection's queue length after each enqueue.", &m->queue_depth,
          1);
    histo(o, "wsc_delivery_latency_seconds", "From queued on a connection to written.",
          &m->deliver_us, 1e6);
    one(o, "wsc_refused_total", "counter", "Upgrades refused (401/403/429/503).", st.refused);
    labelled(o, "wsc_handshakes_refused_total", "counter", "Refused connections by reason.",
             "reason", refusals, m->refused, WSC__REFUSE_COUNT);
    labelled(o, "wsc_rate_limited_total", "counter", "Rate-limit trips by limit.", "limit", limits,
             m->limited, WSC__LIMIT_COUNT);
    histo(o, "wsc_loop_lag_seconds", "How late a 250 ms timer of the loop fired.", &m->lag_us, 1e6);
    one(o, "wsc_uptime_seconds", "gauge", "Seconds since the hub started.", st.uptime_ms / 1000);
}

static void
render_rel(struct out *o, const wsc_hub *hub)
{
    wsc_reliability_stats r;
    wsc_hub_get_reliability_stats(hub, &r);
    one(o, "wsc_acks_pending", "gauge", "(message, receiver) pairs waiting for an ACK.", r.pending);
    uint64_t oc[3] = {r.acked, r.stored, r.failed};
    labelled(o, "wsc_ack_outcomes_total", "counter", "Outcomes of ACK sends.", "outcome", outcomes,
             oc, 3);
    histo(o, "wsc_ack_rtt_seconds", "From an ACK send's last attempt to its ACK.",
          &hub->metrics.ack_rtt_us, 1e6);
    one(o, "wsc_retries_total", "counter", "Resends after a timeout or a reconnect.", r.resends);
    one(o, "wsc_store_retries_total", "counter", "Store writes tried again.", r.store_retries);
    labelled(o, "wsc_failures_total", "counter", "Failure handler calls by kind.", "kind", kinds,
             r.failures, 5);
    one(o, "wsc_offline_stored_total", "counter", "ACK sends stored offline.", r.stored);
    one(o, "wsc_offline_replayed_total", "counter", "Offline messages queued on connect.",
        r.replayed);
    one(o, "wsc_offline_removed_total", "counter", "Stored messages removed by an ACK.",
        r.offline_acked);
    one(o, "wsc_acks_unknown_total", "counter", "ACKs for nothing pending or stored.",
        r.acks_unknown);
    one(o, "wsc_duplicates_total", "counter", "Client messages dropped by the dedupe window.",
        r.duplicates);
}

static void
render_store(struct out *o, const wsc_hub *hub)
{
    const wsc_store *store = wsc__rel_store(hub);
    const char *name = "wsc_store_op_seconds";
    head(o, name, "histogram", "Store requests from start to the backend's answer.");
    if (store == NULL)
        return;
    const char *const *ops;
    const wsc__histo *h;
    size_t n = wsc__store_latency(store, &ops, &h);
    for (size_t i = 0; i < n && !o->full; i++) {
        if (h[i].count == 0)
            continue; /* a series appears once its op is used */
        char labels[96];
        snprintf(labels, sizeof(labels), "backend=\"%s\",op=\"%s\"", wsc__store_backend(store),
                 ops[i]);
        if (!wsc__histo_render(&h[i], name, labels, 1e6, o->buf, o->cap, &o->len))
            o->full = true;
    }
}

wsc_err
wsc_hub_metrics_text(const wsc_hub *hub, char **out, size_t *len)
{
    if (hub == NULL || out == NULL || len == NULL)
        return WSC_ERR_INVALID;
    for (size_t cap = 16384;; cap *= 2) {
        struct out o = {wsc__malloc(cap), cap, 0, false};
        if (o.buf == NULL)
            return WSC_ERR_NOMEM;
        render_hub(&o, hub);
        render_rel(&o, hub);
        render_store(&o, hub);
        if (!o.full) {
            *out = o.buf;
            *len = o.len;
            return WSC_OK;
        }
        wsc__free(o.buf);
    }
}
