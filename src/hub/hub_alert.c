/* SPDX-License-Identifier: MIT */
/* Alerts: every trip of a limit (a rate, the connections of an address, the origin
 * allow-list) is counted per kind in the hub's stats, logged as one JSON line
 * ("limit_tripped", level warn) and handed to the application's on_alert callback. */
#include "hub/hub_internal.h"

static const char *const kind_names[WSC_LIMIT_KIND_COUNT] = {
    [WSC_LIMIT_CONNECT_RATE_IP] = "connect_rate_ip",
    [WSC_LIMIT_CONNS_PER_IP] = "conns_per_ip",
    [WSC_LIMIT_MSG_RATE_CONN] = "msg_rate_conn",
    [WSC_LIMIT_BYTE_RATE_CONN] = "byte_rate_conn",
    [WSC_LIMIT_MSG_RATE_USER] = "msg_rate_user",
    [WSC_LIMIT_BYTE_RATE_USER] = "byte_rate_user",
    [WSC_LIMIT_ORIGIN] = "origin",
};

const char *
wsc_limit_kind_name(wsc_limit_kind kind)
{
    return (unsigned)kind < WSC_LIMIT_KIND_COUNT ? kind_names[kind] : "unknown";
}

void
wsc__hub_alert(wsc_hub *hub, wsc_limit_kind kind, wsc_conn *conn, const char *ip, double limit,
               double value)
{
    hub->stats.limit_trips[kind]++;
    char peer[48] = "";
    if (ip == NULL && conn != NULL)
        snprintf(peer, sizeof(peer), "%s", wsc_conn_peer(conn));
    wsc_hub_alert a = {
        .kind = kind,
        .kind_name = wsc_limit_kind_name(kind),
        .user_id = conn != NULL && conn->user != NULL ? conn->user->id : NULL,
        .ip = ip != NULL ? ip : peer,
        .conn = conn != NULL ? conn->id : 0,
        .limit = limit,
        .value = value,
    };
    wsc__log(&hub->log, WSC_LOG_WARN, "limit_tripped", "s:kind,s:user,s:ip,u:conn,d:limit,d:value",
             a.kind_name, a.user_id != NULL ? wsc__user_plain(a.user_id) : NULL, a.ip,
             (uint64_t)a.conn, limit, value);
    if (hub->cfg.on_alert != NULL)
        hub->cfg.on_alert(hub, &a, hub->cfg.user);
}
