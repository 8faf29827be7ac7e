/* SPDX-License-Identifier: MIT */
/* Queries (who is online, a user's connections, counters), kicking and closing, and the
 * accessors of wsc_conn. */
#include <arpa/inet.h>
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/strv.h"
#include "protocol/frames.h"

bool
wsc_hub_is_online(const wsc_hub *hub, const char *user_id)
{
    return hub != NULL && wsc__hub_user_find(hub, user_id) != NULL;
}

wsc_err
wsc_hub_user_conns(const wsc_hub *hub, const char *user_id, wsc_conn_id *ids, size_t cap, size_t *n)
{
    if (hub == NULL || user_id == NULL || n == NULL || (ids == NULL && cap > 0))
        return WSC_ERR_INVALID;
    const struct hub_user *u = wsc__hub_user_find(hub, user_id);
    *n = 0;
    if (u == NULL)
        return WSC_ERR_NOT_FOUND;
    const struct wsc_list *pos;
    size_t i = 0;
    wsc_list_foreach(pos, &u->conns) {
        if (i < cap)
            ids[i] = wsc_container_of(pos, wsc_conn, user_link)->id;
        i++;
    }
    *n = i;
    return WSC_OK;
}

static const char *
user_id_of(const struct wsc_list *node)
{
    return wsc_container_of(node, struct hub_user, link)->id;
}

wsc_err
wsc_hub_online_users(const wsc_hub *hub, size_t offset, size_t limit, char ***out, size_t *n,
                     size_t *total)
{
    if (hub == NULL || out == NULL || n == NULL)
        return WSC_ERR_INVALID;
    wsc_err err = wsc__strv_from_list(&hub->user_order, offset, limit, user_id_of, out, n);
    if (err != WSC_OK)
        return err;
    if (total != NULL)
        *total = hub->stats.users;
    return WSC_OK;
}

void
wsc_hub_get_stats(const wsc_hub *hub, wsc_hub_stats *out)
{
    if (hub == NULL || out == NULL)
        return;
    *out = hub->stats;
    out->uptime_ms = wsc__now_ms() - hub->started_ms;
}

static void
kick(wsc_hub *hub, wsc_conn *c, const char *reason)
{
    wsc_msg *m = NULL;
    if (wsc__proto_kick_out(&m, reason ? reason : "kicked", wsc__wall_ms()) == WSC_OK)
        wsc__hub_send_ctl(hub, c, m);
    wsc__hub_conn_close_after_flush(c, 4001, reason ? reason : "kicked");
}

size_t
wsc__hub_kick_local(wsc_hub *hub, const char *user_id, const char *reason)
{
    struct hub_user *u = wsc__hub_user_find(hub, user_id);
    if (u == NULL)
        return 0;
    size_t n = 0;
    struct wsc_list *pos;
    wsc_list_foreach(pos, &u->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, user_link);
        if (c->state == CONN_OPEN) {
            kick(hub, c, reason);
            n++;
        }
    }
    return n;
}

wsc_err
wsc_hub_kick_user(wsc_hub *hub, const char *user_id, const char *reason, size_t *n_kicked)
{
    if (n_kicked != NULL)
        *n_kicked = 0;
    if (hub == NULL || user_id == NULL)
        return WSC_ERR_INVALID;
    size_t n = wsc__hub_kick_local(hub, user_id, reason);
    if (wsc__cluster_on(hub))
        (void)wsc__cluster_kick(hub, user_id, reason, NULL, NULL);
    if (n_kicked != NULL)
        *n_kicked = n;
    return n > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

/* The open connection id of hub in *out: WSC_ERR_INVALID for a NULL hub, WSC_ERR_NOT_FOUND
 * when no open connection has that id. */
static wsc_err
open_conn(wsc_hub *hub, wsc_conn_id id, wsc_conn **out)
{
    if (hub == NULL)
        return WSC_ERR_INVALID;
    *out = wsc__hub_conn_find_open(hub, id);
    return *out != NULL ? WSC_OK : WSC_ERR_NOT_FOUND;
}

wsc_err
wsc_hub_kick_conn(wsc_hub *hub, wsc_conn_id conn, const char *reason)
{
    wsc_conn *c = NULL;
    wsc_err err = open_conn(hub, conn, &c);
    if (err == WSC_OK)
        kick(hub, c, reason);
    return err;
}

static bool
valid_close_code(int code)
{
    return code >= 1000 && code <= 4999 && code != 1004 && code != 1005 && code != 1006 &&
           code != 1015;
}

wsc_err
wsc_hub_close_conn(wsc_hub *hub, wsc_conn_id conn, int code, const char *reason)
{
    wsc_conn *c = NULL;
    wsc_err err = valid_close_code(code) ? open_conn(hub, conn, &c) : WSC_ERR_INVALID;
    if (err == WSC_OK)
        wsc__hub_conn_request_close(c, code, reason);
    return err;
}

wsc_conn_id
wsc_conn_get_id(const wsc_conn *conn)
{
    return conn ? conn->id : 0;
}

const char *
wsc_conn_user_id(const wsc_conn *conn)
{
    return conn && conn->user ? wsc__user_plain(conn->user->id) : NULL;
}

const char *
wsc_conn_user_key(const wsc_conn *conn)
{
    return conn && conn->user ? conn->user->id : NULL;
}

const char *
wsc_conn_app_id(const wsc_conn *conn)
{
    return conn != NULL ? wsc__conn_app_id(conn) : NULL;
}

const char *
wsc_conn_client_id(const wsc_conn *conn)
{
    return conn ? wsc__conn_client_id(conn) : NULL;
}

const char *
wsc_conn_peer(const wsc_conn *conn)
{
    if (conn == NULL || conn->wsi == NULL)
        return NULL;
    /* Formatted on demand into one buffer per hub: connections do not carry the text. */
    wsc_hub *hub = wsc__conn_hub(conn);
    char *out = hub->peer_text;
    out[0] = '\0';
    if (conn->peer_v4 != 0) {
        struct in_addr a = {.s_addr = conn->peer_v4};
        inet_ntop(AF_INET, &a, out, sizeof(hub->peer_text));
    } else if (conn->wsi != NULL) {
        lws_get_peer_simple(conn->wsi, out, sizeof(hub->peer_text));
    }
    return out;
}

void
wsc_conn_set_user(wsc_conn *conn, void *user)
{
    if (conn != NULL)
        conn->app_user = user;
}

void *
wsc_conn_get_user(const wsc_conn *conn)
{
    return conn ? conn->app_user : NULL;
}

wsc_err
wsc_conn_close(wsc_conn *conn, int code, const char *reason)
{
    if (conn == NULL || !valid_close_code(code))
        return WSC_ERR_INVALID;
    if (conn->state != CONN_OPEN)
        return WSC_ERR_STATE;
    wsc__hub_conn_request_close(conn, code, reason);
    return WSC_OK;
}
