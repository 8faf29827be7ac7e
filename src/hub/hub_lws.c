/* SPDX-License-Identifier: MIT */
/* The hub's lws protocol callback: turns lws events into connection lifecycle, inbound frames,
 * writes and plain HTTP requests. */
#include <string.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/utf8.h"

static int
close_code_of(const void *in, size_t len)
{
    const unsigned char *p = in;
    return len >= 2 ? (p[0] << 8) | p[1] : 1005;
}

/* Closes conn from inside a receive callback: the close frame carries code and why. */
static int
close_from_rx(wsc_conn *conn, struct lws *wsi, int code, const char *why)
{
    wsc__hub_conn_request_close(conn, code, why);
    lws_close_reason(wsi, (enum lws_close_status)code, (unsigned char *)(uintptr_t)why,
                     strlen(why));
    return -1;
}

/* Hands a whole message to the application or the protocol.  Text must be UTF-8 (RFC 6455
 * 1007); lws validates only when the option is set on the context, which the loop owns. */
static int
deliver(wsc_hub *hub, wsc_conn *conn, struct lws *wsi, bool binary, const char *in, size_t len)
{
    const char *limited = wsc__hub_frame_limited(hub, conn, len);
    if (limited != NULL) {
        wsc__hub_violation(hub, conn, NULL, "rate_limited", limited);
        return 0;
    }
    if (binary) {
        if (hub->cfg.on_binary)
            hub->cfg.on_binary(hub, conn, in, len, hub->cfg.user);
        return 0;
    }
    if (!wsc__utf8_valid(in, len))
        return close_from_rx(conn, wsi, 1007, "invalid UTF-8");
    wsc__hub_on_text(hub, conn, in, len);
    return 0;
}

/* Makes room for len more bytes (and a NUL) in conn's reassembly buffer, or returns NULL.
 * The buffer lives at the end of the side block: one allocation per fragmented message. */
static struct conn_extra *
rx_reserve(wsc_conn *conn, size_t len)
{
    struct conn_extra *x = wsc__conn_extra(conn);
    if (x == NULL || x->rx_len + len + 1 <= x->rx_cap)
        return x;
    size_t cap = x->rx_cap ? x->rx_cap * 2 : 512;
    while (cap < x->rx_len + len + 1)
        cap *= 2;
    x = wsc__realloc(x, sizeof(*x) + cap);
    if (x == NULL)
        return NULL;
    x->rx_cap = cap;
    conn->x = x;
    return x;
}

/* Collects one (possibly fragmented) message; returns -1 when the connection must close.
 * With the default 128-byte receive buffer a message above ~128 bytes arrives in pieces. */
static int
on_receive(wsc_hub *hub, wsc_conn *conn, struct lws *wsi, const char *in, size_t len)
{
    bool first = lws_is_first_fragment(wsi), final = lws_is_final_fragment(wsi);
    conn->last_rx_ms = wsc__hub_now32(hub);
    if (conn->state != CONN_OPEN)
        return 0;
    size_t have = conn->x ? conn->x->rx_len : 0, max = hub->cfg.msg_limits.max_bytes;
    hub->stats.bytes_in += len;
    /* The frame header announced the frame's length: what has come, this piece and the rest
     * of the frame must fit, so an oversized message is refused as soon as its header is
     * read, not after bytes that may never come (2^62 announced, 5 sent). */
    size_t rest = lws_remaining_packet_payload(wsi);
    if (len > max || rest > max - len || have > max - len - rest)
        return close_from_rx(conn, wsi, 1009, "message too big");
    if (first && final && have == 0)
        return deliver(hub, conn, wsi, lws_frame_is_binary(wsi), in, len);
    if (first)
        conn->rx_binary = (uint8_t)lws_frame_is_binary(wsi);
    struct conn_extra *x = rx_reserve(conn, len);
    if (x == NULL) {
        wsc__hub_conn_request_close(conn, 1011, "out of memory");
        return -1;
    }
    memcpy(x->rx + x->rx_len, in, len);
    x->rx_len += len;
    if (!final)
        return 0;
    x->rx[x->rx_len] = '\0';
    /* deliver() may close the connection or set a close reason (which reallocates nothing:
     * the block only grows here), so the buffer stays valid through the call. */
    int rc = deliver(hub, conn, wsi, conn->rx_binary, x->rx, x->rx_len);
    /* Release the reassembly buffer: idle connections keep no receive memory of ours. */
    x = conn->x;
    if (x != NULL) {
        x->rx_len = 0;
        if (wsc__conn_extra_unused(x)) {
            wsc__free(x);
            conn->x = NULL;
        } else {
            struct conn_extra *small = wsc__realloc(x, sizeof(*x));
            if (small != NULL) {
                small->rx_cap = 0;
                conn->x = small;
            }
        }
    }
    return rc;
}

static int
ws_event(wsc_hub *hub, wsc_conn *conn, struct lws *wsi, enum lws_callback_reasons reason, void *in,
         size_t len)
{
    if (conn->transport == WSC_TRANSPORT_SSE)
        return wsc__sse_event(hub, conn, wsi, reason, in, len);
    switch (reason) {
    case LWS_CALLBACK_ESTABLISHED:
        wsc__hub_accept_release(hub, wsi);
        return wsc__hub_conn_open(hub, conn, wsi);
    case LWS_CALLBACK_RECEIVE: {
        wsc__hub_cork_begin(hub);
        int rc = on_receive(hub, conn, wsi, in, len);
        wsc__hub_cork_end(hub, wsi, rc == 0, len);
        return rc;
    }
    case LWS_CALLBACK_RECEIVE_PONG:
        conn->last_rx_ms = wsc__hub_now32(hub);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return wsc__hub_writeable(hub, conn);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        conn->peer_close_code = (int16_t)close_code_of(in, len);
        if (wsc__conn_close_reason(conn)[0] == '\0' && len > 2)
            wsc__conn_set_close_reason(conn, (char *)in + 2, len - 2);
        return 0;
    case LWS_CALLBACK_CLOSED:
        wsc__hub_conn_closed(hub, conn);
        return 0;
    default:
        return wsc__hub_http(hub, conn, wsi, reason, in, len);
    }
}

int
wsc__hub_lws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    /* These reach every protocol of every vhost, including a vhost being destroyed after its
     * hub is gone: never look at the hub for them. */
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED || reason == LWS_CALLBACK_PROTOCOL_INIT ||
        reason == LWS_CALLBACK_PROTOCOL_DESTROY || wsi == NULL)
        return 0;
    struct lws_vhost *vh = lws_get_vhost(wsi);
    wsc_hub *hub = vh ? lws_get_vhost_user(vh) : NULL;
    if (hub == NULL)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    /* The identity decided before the upgrade rides on the wsi itself: lws gives the
     * WebSocket its own per-session storage, so nothing in the HTTP one survives.  It is
     * freed with its wsi even while the hub is being freed. */
    if (reason == LWS_CALLBACK_WSI_DESTROY) {
        wsc__hub_pending_drop(hub, wsi);
        wsc__hub_accept_release(hub, wsi);
        return 0;
    }
    if (hub->freeing)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    if (reason == LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED)
        return wsc__hub_accept_admit(hub, wsi);
    if (reason == LWS_CALLBACK_HTTP_CONFIRM_UPGRADE)
        return wsc__hub_confirm_upgrade(hub, wsi);
    if (user == NULL)
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    return ws_event(hub, (wsc_conn *)user, wsi, reason, in, len);
}
