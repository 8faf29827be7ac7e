/* SPDX-License-Identifier: MIT */
/* Counters of the hub as JSON (GET /api/stats) and as Prometheus text (GET /metrics). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "api_internal.h"
#include "webhook.h"

struct stats_ask {
    wsc_hubd_api *api;
    wsc_http_req *req;
};

/* This node's counters, plus "nodes" and the cluster's sums ("cluster"; on a single node the
 * same figures as this node's). */
static void
on_cluster(wsc_hub *hub, wsc_err status, const wsc_hub_cluster_totals *c, void *user)
{
    struct stats_ask *a = user;
    if (status != WSC_OK) {
        wsc_hubd_reply_wsc_err(a->req, status, "cluster stats");
        free(a);
        return;
    }
    wsc_hub_stats st;
    wsc_hub_get_stats(hub, &st);
    json_t *cluster = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}", "connections", (json_int_t)c->total.connections,
        "users", (json_int_t)c->total.users, "messages_in", (json_int_t)c->total.messages_in,
        "messages_out", (json_int_t)c->total.messages_out, "bytes_in",
        (json_int_t)c->total.bytes_in, "bytes_out", (json_int_t)c->total.bytes_out, "send_failed",
        (json_int_t)c->total.send_failed, "queued", (json_int_t)c->total.queued);
    json_t *body = json_pack(
        "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:s, s:s, s:I, s:o}",
        "connections", (json_int_t)st.connections, "users", (json_int_t)st.users, "messages_in",
        (json_int_t)st.messages_in, "messages_out", (json_int_t)st.messages_out, "bytes_in",
        (json_int_t)st.bytes_in, "bytes_out", (json_int_t)st.bytes_out, "send_failed",
        (json_int_t)st.send_failed, "queued", (json_int_t)st.queued, "refused",
        (json_int_t)st.refused, "uptime_ms", (json_int_t)st.uptime_ms, "api_requests",
        (json_int_t)a->api->requests, "node_id", wsc_hub_node_id(hub), "version", wsc_version(),
        "nodes", (json_int_t)c->nodes, "cluster", cluster);
    wsc_hubd_reply_json(a->req, 200, body);
    free(a);
}

void
wsc_hubd_api_stats(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req)
{
    struct stats_ask *a = malloc(sizeof(*a));
    if (a == NULL) {
        wsc_hubd_reply_wsc_err(req, WSC_ERR_NOMEM, "stats");
        return;
    }
    *a = (struct stats_ask){api, req};
    wsc_err e = wsc_hub_cluster_stats(hub, on_cluster, a);
    if (e != WSC_OK) {
        free(a);
        wsc_hubd_reply_wsc_err(req, e, "stats");
    }
}

/* Appends the trips of each limit (one labelled series per kind) and the alert webhook's
 * counters to text; false when they do not fit. */
static bool
limit_metrics(const wsc_hubd_api *api, const wsc_hub_stats *st, char *text, size_t cap, size_t *len)
{
    int n = snprintf(text + *len, cap - *len,
                     "# HELP wsc_rate_limit_trips_total Limits tripped, by kind.\n"
                     "# TYPE wsc_rate_limit_trips_total counter\n");
    for (int k = 0; n >= 0 && (size_t)n < cap - *len && k < WSC_LIMIT_KIND_COUNT; k++) {
        *len += (size_t)n;
        n = snprintf(text + *len, cap - *len,
                     "wsc_rate_limit_trips_total{kind=\"%s\"} %" PRIu64 "\n",
                     wsc_limit_kind_name((wsc_limit_kind)k), st->limit_trips[k]);
    }
    wsc_hubd_webhook_stats w = {0};
    if (api->webhook != NULL)
        wsc_hubd_webhook_stats_get(api->webhook, &w);
    if (n >= 0 && (size_t)n < cap - *len) {
        *len += (size_t)n;
        n = snprintf(text + *len, cap - *len,
                     "# HELP wsc_alert_webhook_total Alerts for the webhook, by outcome.\n"
                     "# TYPE wsc_alert_webhook_total counter\n"
                     "wsc_alert_webhook_total{outcome=\"queued\"} %" PRIu64 "\n"
                     "wsc_alert_webhook_total{outcome=\"sent\"} %" PRIu64 "\n"
                     "wsc_alert_webhook_total{outcome=\"failed\"} %" PRIu64 "\n"
                     "wsc_alert_webhook_total{outcome=\"dropped\"} %" PRIu64 "\n",
                     w.queued, w.sent, w.failed, w.dropped);
    }
    if (n < 0 || (size_t)n >= cap - *len)
        return false;
    *len += (size_t)n;
    return true;
}

/* The hub's metrics (wsc_hub_metrics_text, docs/operations.md) and wsc-hub's own. */
void
wsc_hubd_api_metrics(wsc_hubd_api *api, wsc_hub *hub, wsc_http_req *req)
{
    char *text = NULL;
    size_t len = 0;
    if (wsc_hub_metrics_text(hub, &text, &len) != WSC_OK) {
        wsc_hubd_reply_error(req, 500, "internal", "out of memory");
        return;
    }
    /* wsc-hub's own: API requests, limit trips by kind, the alert webhook. */
    char tail[2048];
    size_t tlen = 0;
    int n = snprintf(tail, sizeof(tail),
                     "# HELP wsc_api_requests_total HTTP API requests served.\n"
                     "# TYPE wsc_api_requests_total counter\nwsc_api_requests_total %" PRIu64 "\n",
                     (uint64_t)api->requests);
    wsc_hub_stats st;
    wsc_hub_get_stats(hub, &st);
    if (n > 0)
        tlen = (size_t)n;
    char *all = n > 0 && limit_metrics(api, &st, tail, sizeof(tail), &tlen)
                    ? realloc(text, len + tlen + 1)
                    : NULL;
    if (all == NULL) {
        wsc_free(text);
        wsc_hubd_reply_error(req, 500, "internal", "metrics text too long or out of memory");
        return;
    }
    memcpy(all + len, tail, tlen + 1);
    wsc_http_req_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", all, len + tlen);
    free(all);
}
