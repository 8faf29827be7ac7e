/* SPDX-License-Identifier: MIT */
/* Connection lifecycle: registration under its user (several connections per user, client id
 * replacement), the `connected` frame, closing, and unregistration with exactly one
 * disconnect callback. */
#include <arpa/inet.h>
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/strv.h"
#include "protocol/frames.h"

static bool
conn_eq(const wsc__hnode *n, const void *key)
{
    const wsc_conn *c = wsc_container_of(n, wsc_conn, by_id);
    return c->id == *(const wsc_conn_id *)key;
}

struct conn_extra *
wsc__conn_extra(wsc_conn *conn)
{
    if (conn->x == NULL)
        conn->x = wsc__calloc(1, sizeof(*conn->x));
    return conn->x;
}

bool
wsc__conn_extra_unused(const struct conn_extra *x)
{
    return x->close_reason == NULL && x->rate.last_ms == 0 && x->app_id == NULL &&
           x->groups == NULL && x->tx_hold == NULL;
}

const char *
wsc__conn_close_reason(const wsc_conn *conn)
{
    return conn->x != NULL && conn->x->close_reason != NULL ? conn->x->close_reason : "";
}

bool
wsc__conn_set_close_reason(wsc_conn *conn, const char *reason, size_t len)
{
    struct conn_extra *x = wsc__conn_extra(conn);
    if (x == NULL)
        return false;
    wsc__free(x->close_reason);
    x->close_reason = wsc__strndup(reason, len);
    return x->close_reason != NULL;
}

struct hub_user *
wsc__hub_user_find(const wsc_hub *hub, const char *user_id)
{
    if (user_id == NULL)
        return NULL;
    wsc__snode *n = wsc__hmap_find_str(&hub->users, user_id);
    return n ? wsc_container_of(n, struct hub_user, node) : NULL;
}

wsc_conn *
wsc__hub_conn_find(const wsc_hub *hub, wsc_conn_id id)
{
    wsc__hnode *n = wsc__hmap_find(&hub->conns_by_id, wsc__hash_u64(id), conn_eq, &id);
    return n ? wsc_container_of(n, wsc_conn, by_id) : NULL;
}

wsc_conn *
wsc__hub_conn_find_open(const wsc_hub *hub, wsc_conn_id id)
{
    wsc_conn *c = wsc__hub_conn_find(hub, id);
    return c != NULL && c->state == CONN_OPEN ? c : NULL;
}

static struct hub_user *
user_get_or_add(wsc_hub *hub, const char *user_id)
{
    struct hub_user *u = wsc__hub_user_find(hub, user_id);
    if (u != NULL)
        return u;
    u = wsc__new_with_str(struct hub_user, id, user_id);
    if (u == NULL)
        return NULL;
    wsc_list_init(&u->conns);
    wsc__hmap_insert_str(&hub->users, &u->node, u->id);
    wsc_list_push_back(&hub->user_order, &u->link);
    hub->stats.users++;
    return u;
}

size_t
wsc__hub_user_conns(const struct hub_user *u)
{
    size_t n = 0;
    const struct wsc_list *pos;
    wsc_list_foreach(pos, &u->conns)
        n++;
    return n;
}

/* A newer connection with the same user and client id replaces the older one (4002). */
static void
replace_same_client(wsc_hub *hub, struct hub_user *u, const char *client_id)
{
    (void)hub;
    struct wsc_list *pos;
    wsc_list_foreach(pos, &u->conns) {
        wsc_conn *old = wsc_container_of(pos, wsc_conn, user_link);
        if (old->state == CONN_OPEN && strcmp(wsc__conn_client_id(old), client_id) == 0)
            wsc__hub_conn_request_close(old, 4002, "replaced by a newer connection");
    }
}

static void
send_connected(wsc_hub *hub, wsc_conn *conn)
{
    wsc_msg *m = NULL;
    bool sent = false;
    if (wsc__proto_connected(&m, wsc__user_plain(conn->user->id), wsc__conn_client_id(conn),
                             hub->cfg.node_id, hub->cfg.ping_interval_ms, wsc__wall_ms()) == WSC_OK)
        sent = wsc__hub_send_ctl(hub, conn, m);
    /* Without its `connected` frame a client would wait for nothing: close it (1011), it
     * reconnects. */
    if (!sent)
        wsc__hub_conn_request_close(conn, 1011, "out of memory");
}

int
wsc__hub_conn_open(wsc_hub *hub, wsc_conn *conn, struct lws *wsi)
{
    conn->transport = WSC_TRANSPORT_WS;
    if (wsc__hub_conn_register(hub, conn, wsi, wsc__hub_pending_take(hub, wsi), NULL) == 0) {
        wsc__hub_deflate_open(hub, conn);
        return 0;
    }
    lws_close_reason(wsi, LWS_CLOSE_STATUS_UNEXPECTED_CONDITION, NULL, 0);
    return -1;
}

/* Moves what conn keeps of identity p into it: peer, expiry, client id, app id and groups
 * (need_x: into the side block, allocated already). */
static void
take_identity(wsc_conn *conn, struct pending_identity *p, bool need_x)
{
    /* 4 bytes instead of the text: the hub listens on IPv4 only (wsc_conn_peer formats it). */
    struct in_addr a;
    conn->peer_v4 = inet_pton(AF_INET, p->peer, &a) == 1 ? a.s_addr : 0;
    /* 32-bit seconds last until 2106: a later expiry is as good as none. */
    conn->exp_s = p->exp_s > 0 && p->exp_s < UINT32_MAX ? (uint32_t)p->exp_s : 0;
    size_t cid_len = strlen(p->client_id);
    if (cid_len < sizeof(conn->cid.text)) {
        memcpy(conn->cid.text, p->client_id, cid_len + 1);
    } else {
        conn->cid.heap = p->client_id;
        conn->cid_heap = 1;
        p->client_id = NULL;
    }
    if (need_x) {
        conn->x->app_id = p->app_id;
        conn->x->groups = p->groups;
        p->app_id = NULL;
        p->groups = NULL;
    }
}

int
wsc__hub_conn_register(wsc_hub *hub, wsc_conn *conn, struct lws *wsi, struct pending_identity *p,
                       const char *resume_after)
{
    conn->wsi = wsi;
    /* The app id and groups go to the side block (most identities have neither). */
    bool need_x = p != NULL && (p->app_id != NULL || p->groups != NULL);
    /* Users are keyed by (app, user id): the same id in two apps is two users. */
    char key[WSC_MSG_KEY_MAX];
    struct hub_user *u = p != NULL && (!need_x || wsc__conn_extra(conn) != NULL) &&
                                 wsc_user_key(p->app_id, p->user_id, key, sizeof(key)) == WSC_OK
                             ? user_get_or_add(hub, key)
                             : NULL;
    if (u == NULL) {
        /* Out of memory, or an upgrade we never accepted: refuse the connection. */
        wsc__free(conn->x);
        conn->x = NULL;
        wsc__pending_free(p);
        return -1;
    }
    conn->id = ++hub->next_conn_id;
    take_identity(conn, p, need_x);
    wsc__hub_ip_conns_add(hub, conn, p->peer); /* every transport counts */
    wsc__pending_free(p);
    replace_same_client(hub, u, wsc__conn_client_id(conn));
    conn->user = u;
    conn->state = CONN_OPEN;
    conn->last_rx_ms = conn->last_ping_ms = wsc__hub_now32(hub);
    wsc_list_push_back(&u->conns, &conn->user_link);
    wsc__hmap_insert(&hub->conns_by_id, &conn->by_id, wsc__hash_u64(conn->id));
    wsc_list_push_back(&hub->conns, &conn->all_link);
    hub->n_conns++;
    hub->stats.connections++;
    hub->stats.connections_sse += conn->transport == WSC_TRANSPORT_SSE;
    wsc__metrics_conn_open(hub, conn);
    size_t n_user = wsc__hub_user_conns(u);
    wsc__cluster_user_count(hub, u->id, n_user);
    /* In a cluster, `connected` leaves only once every node can reach the user. */
    conn->cluster_hold = wsc__cluster_hold(hub, conn) ? 1 : 0;
    send_connected(hub, conn);
    wsc__rel_conn_open(hub, conn, resume_after); /* offline replay before live traffic */
    const char *app = wsc__conn_app_id(conn);
    wsc__log(&hub->log, WSC_LOG_INFO, "conn_open",
             "u:conn,s:user,s:app,s:client,s:peer,s:transport", conn->id, wsc__user_plain(u->id),
             app != NULL ? app : "", wsc__conn_client_id(conn), wsc_conn_peer(conn),
             conn->transport == WSC_TRANSPORT_SSE ? "sse" : "ws");
    if (hub->cfg.on_connect)
        hub->cfg.on_connect(hub, conn, hub->cfg.user);
    /* In a cluster the whole cluster's count decides (cluster.c). */
    if (n_user == 1 && !wsc__cluster_on(hub) && hub->cfg.on_presence)
        hub->cfg.on_presence(hub, u->id, true, hub->cfg.user);
    return 0;
}

/* Takes conn out of every index.  Returns its user when that user has no connection left: the
 * caller frees it after the disconnect callback (which may still read the user id). */
static struct hub_user *
unregister(wsc_hub *hub, wsc_conn *conn)
{
    struct hub_user *u = conn->user;
    wsc__metrics_conn_closed(hub, conn);
    wsc_list_remove(&conn->user_link);
    wsc_list_remove(&conn->all_link);
    wsc__hmap_remove(&hub->conns_by_id, &conn->by_id);
    wsc__hub_ip_conns_remove(hub, conn);
    hub->n_conns--;
    hub->stats.connections--;
    hub->stats.connections_sse -= conn->transport == WSC_TRANSPORT_SSE;
    if (!wsc_list_empty(&u->conns))
        return NULL;
    wsc__hmap_remove(&hub->users, &u->node.h);
    wsc_list_remove(&u->link);
    hub->stats.users--;
    return u;
}

/* Reports every message still queued as failed (WSC_ERR_CLOSED) and drops it. */
static void
fail_queue(wsc_hub *hub, wsc_conn *conn)
{
    wsc_msg *m;
    while ((m = wsc__conn_queue_peek(&conn->q, 0)) != NULL) {
        wsc__conn_queue_pop(&conn->q);
        hub->stats.queued--;
        wsc__hub_report_failed(hub, conn, m, WSC_ERR_CLOSED);
        wsc_msg_unref(m);
    }
    wsc__conn_queue_free(&conn->q);
}

static void
release(wsc_conn *conn)
{
    struct conn_extra *x = conn->x;
    if (x != NULL) {
        if (x->tx_hold != NULL) /* lws closed the wsi: its deflater reads no more */
            wsc_msg_unref(x->tx_hold);
        wsc__free(x->close_reason);
        wsc__free(x->app_id);
        wsc__strv_free(x->groups);
        wsc__free(x);
        conn->x = NULL;
    }
    if (conn->cid_heap)
        wsc__free(conn->cid.heap);
    conn->cid_heap = 0;
    conn->cid.text[0] = '\0';
}

void
wsc__hub_conn_closed(wsc_hub *hub, wsc_conn *conn)
{
    if (conn->state != CONN_OPEN && conn->state != CONN_CLOSING)
        return;
    int code = conn->close_code ? conn->close_code
                                : (conn->peer_close_code ? conn->peer_close_code : 1006);
    const char *reason = wsc__conn_close_reason(conn);
    conn->state = CONN_GONE;
    wsc__hub_cork_forget(hub, conn);
    /* Failed sends are reported first: the disconnect callback is the connection's last. */
    wsc__rel_conn_closed(hub, conn);
    fail_queue(hub, conn);
    struct hub_user *gone = unregister(hub, conn);
    wsc__cluster_user_count(hub, conn->user->id,
                            gone != NULL ? 0 : wsc__hub_user_conns(conn->user));
    wsc__log(&hub->log, WSC_LOG_INFO, "conn_close", "u:conn,s:user,i:code", conn->id,
             conn->user->id, code);
    if (hub->cfg.on_disconnect)
        hub->cfg.on_disconnect(hub, conn, code, reason, hub->cfg.user);
    if (gone != NULL && !wsc__cluster_on(hub) && hub->cfg.on_presence)
        hub->cfg.on_presence(hub, gone->id, false, hub->cfg.user);
    wsc__free(gone);
    conn->user = NULL;
    release(conn);
    conn->wsi = NULL;
    wsc__hub_drain_check(hub);
}

static void
request_close(wsc_conn *conn, int code, const char *reason, bool flush)
{
    if (conn->state != CONN_OPEN && conn->state != CONN_HTTP)
        return;
    conn->close_code = (int16_t)code;
    conn->close_flush = flush;
    conn->cluster_hold = 0; /* a close is written whatever the cluster says */
    /* Out of memory: the close goes ahead without its reason. */
    reason = reason ? reason : "";
    wsc__conn_set_close_reason(conn, reason, strlen(reason));
    if (conn->state == CONN_OPEN)
        conn->state = CONN_CLOSING;
    if (conn->wsi != NULL)
        lws_callback_on_writable(conn->wsi);
}

void
wsc__hub_conn_request_close(wsc_conn *conn, int code, const char *reason)
{
    request_close(conn, code, reason, false);
}

void
wsc__hub_conn_close_after_flush(wsc_conn *conn, int code, const char *reason)
{
    request_close(conn, code, reason, true);
}

void
wsc__hub_conns_drop_all(wsc_hub *hub)
{
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &hub->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, all_link);
        if (c->close_code == 0) {
            c->close_code = 1001;
            wsc__conn_set_close_reason(c, "hub freed", 9);
        }
        wsc__hub_deflate_park(hub, c); /* lws writes on to the wsi after this */
        wsc__hub_conn_closed(hub, c);
    }
}
