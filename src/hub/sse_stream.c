/* SPDX-License-Identifier: MIT */
/* The SSE transport's stream (PROTOCOL.md §6): GET sse_path with the identity rules of the
 * WebSocket (§1) opens a `text/event-stream` answer that never ends, and the HTTP session
 * becomes a registered connection like a WebSocket one: registry, presence, routing (a
 * cluster's too), kick, limits and stats see no difference.  What differs is in the transport
 * table below: each queued frame leaves as
 *
 *     id: <message_id>\nevent: <message_type>\ndata: <the frame's JSON>\n\n
 *
 * (the id line only on routed messages: the hub's own frames — connected, ack, error, pong,
 * kick_out — name no message to resume after), framed around the frame's
 * shared bytes (encoded once, as for every connection) in the hub's write buffer; the
 * keep-alive is the comment `: ping`; a close ends the stream (the close code is for the
 * disconnect callback only).  Binary frames cannot be carried (refused when queued). */
#include <string.h>

#include "hub/hub_internal.h"
#include "middleware/auth_jwt.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

#define SSE_ID_MAX 256 /* a Last-Event-ID longer than this is ignored */

static bool
path_is(const wsc_hub *hub, const wsc_http_req *req, const char *suffix)
{
    const char *base = hub->cfg.sse_path, *path = wsc_http_req_path(req);
    size_t n = strlen(base);
    return n > 0 && strncmp(path, base, n) == 0 && strcmp(path + n, suffix) == 0;
}

bool
wsc__sse_is_stream(const wsc_hub *hub, const wsc_http_req *req)
{
    return strcmp(wsc_http_req_method(req), "GET") == 0 && path_is(hub, req, "");
}

bool
wsc__sse_is_send(const wsc_hub *hub, const wsc_http_req *req)
{
    return strcmp(wsc_http_req_method(req), "POST") == 0 && path_is(hub, req, "/send");
}

static void
copy_arg(char *out, size_t cap, const char *v)
{
    if (v != NULL)
        snprintf(out, cap, "%s", v);
}

void
wsc__sse_creds(const wsc_hub *hub, wsc_http_req *req, struct wsc__creds *c)
{
    memset(c, 0, sizeof(*c));
    c->path = hub->cfg.sse_path;
    struct lws *wsi = wsc__http_req_wsi(req);
    if (wsi != NULL)
        lws_get_peer_simple(wsi, c->peer, sizeof(c->peer));
    const char *auth = wsc_http_req_header(req, "authorization");
    if (auth == NULL || !wsc__bearer_token(auth, c->token, sizeof(c->token)))
        copy_arg(c->token, sizeof(c->token), wsc_http_req_query(req, "token"));
    copy_arg(c->user_id, sizeof(c->user_id), wsc_http_req_query(req, "user_id"));
    copy_arg(c->client_id, sizeof(c->client_id), wsc_http_req_query(req, "client_id"));
    copy_arg(c->origin, sizeof(c->origin), wsc_http_req_header(req, "origin"));
}

/* The answer's headers: 200, text/event-stream, no length (the stream ends with the
 * connection), never cached. */
static int
write_headers(struct lws *wsi)
{
    unsigned char buf[LWS_PRE + 512], *start = buf + LWS_PRE, *p = start, *end = buf + sizeof(buf);
    static const char nc[] = "no-cache";
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "text/event-stream",
                                    LWS_ILLEGAL_HTTP_CONTENT_LEN, &p, end) ||
        lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CACHE_CONTROL, (const unsigned char *)nc,
                                     (int)sizeof(nc) - 1, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    return 0;
}

int
wsc__sse_open(wsc_hub *hub, wsc_conn *pss, struct lws *wsi, wsc_http_req *req)
{
    struct wsc__creds c;
    wsc__sse_creds(hub, req, &c);
    /* EventSource sends Last-Event-ID itself when it reconnects; the query parameter lets a
     * page that was reloaded resume too. */
    char last[SSE_ID_MAX] = "";
    const char *h = wsc_http_req_header(req, "last-event-id");
    h = h != NULL ? h : wsc_http_req_query(req, "last_event_id");
    if (h != NULL && strlen(h) < sizeof(last))
        memcpy(last, h, strlen(h) + 1);
    struct pending_identity *p = NULL;
    const char *why = "refused";
    int retry = 0, status = wsc__hub_admit(hub, &c, true, &p, &why, &retry);
    if (status != 0) {
        wsc__http_req_refuse(req, status, wsc__hub_refusal_code(status), why, retry);
        return 1;
    }
    if (write_headers(wsi) < 0) {
        wsc__pending_free(p);
        return -1;
    }
    /* A stream is no handshake: no timeout, and the header table goes back to the pool
     * (the loop bounds them to max_handshakes).  lws_http_mark_sse() does both, and makes an
     * h2 connection carrying the stream immortal, but logs an error for HTTP/1.1. */
    if (lws_get_network_wsi(wsi) != wsi) {
        lws_http_mark_sse(wsi);
    } else {
        lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
        lws_http_headers_detach(wsi);
    }
    wsc__hub_accept_release(hub, wsi); /* no longer a pending connection of its address */
    pss->transport = WSC_TRANSPORT_SSE;
    if (wsc__hub_conn_register(hub, pss, wsi, p, last[0] ? last : NULL) != 0) {
        pss->transport = WSC_TRANSPORT_WS;
        return -1;
    }
    return 0;
}

int
wsc__sse_event(wsc_hub *hub, wsc_conn *conn, struct lws *wsi, enum lws_callback_reasons reason,
               void *in, size_t len)
{
    (void)wsi;
    (void)in;
    (void)len;
    switch (reason) {
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return wsc__hub_writeable(hub, conn);
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
        wsc__hub_conn_closed(hub, conn); /* once: it does nothing for a closed conn */
        return 0;
    default:
        return 0; /* a stream reads nothing more from its client */
    }
}

/* --- the transport */

static bool
line_safe(const char *s)
{
    return s != NULL && s[0] != '\0' && strpbrk(s, "\r\n") == NULL;
}

/* The id line names a message the client may resume after: routed messages only, not the
 * hub's own frames (an `ack` receipt carries the id of the client's own message, which may
 * equal a stored message's id from another sender: PROTOCOL.md §2). */
static const char *
event_id(const wsc_msg *m)
{
    const char *id = wsc_msg_get(m, WSC_F_MESSAGE_ID), *type = wsc_msg_get(m, WSC_F_TYPE);
    if (!line_safe(id) || wsc__hub_only_type(type) || strcmp(type, "ack") == 0)
        return NULL;
    return id;
}

static unsigned char *
put(unsigned char *p, const char *s, size_t n)
{
    memcpy(p, s, n);
    return p + n;
}

/* The length of m's event. */
static size_t
event_len(const wsc_msg *m)
{
    const char *id = event_id(m), *type = wsc_msg_get(m, WSC_F_TYPE);
    size_t len = 0;
    wsc__msg_wire(m, &len);
    return (id != NULL ? strlen(id) + 5 : 0) + strlen(line_safe(type) ? type : "message") + 16 +
           len;
}

/* Writes the event of m at p (event_len(m) bytes). */
static void
put_event(unsigned char *p, const wsc_msg *m)
{
    const char *id = event_id(m), *type = wsc_msg_get(m, WSC_F_TYPE);
    size_t len = 0;
    const unsigned char *wire = wsc__msg_wire(m, &len);
    if (id != NULL) {
        p = put(p, "id: ", 4);
        p = put(p, id, strlen(id));
        p = put(p, "\n", 1);
    }
    type = line_safe(type) ? type : "message";
    p = put(p, "event: ", 7);
    p = put(p, type, strlen(type));
    p = put(p, "\ndata: ", 7);
    unsigned char *json = p;
    p = put(p, (const char *)wire, len);
    /* Compact JSON holds no line break; should one come, it is whitespace outside strings
     * (raw ones are invalid inside): a space keeps the same JSON on one data line. */
    for (unsigned char *q = json; (q = memchr(q, '\n', (size_t)(p - q))) != NULL;)
        *q = ' ';
    for (unsigned char *q = json; (q = memchr(q, '\r', (size_t)(p - q))) != NULL;)
        *q = ' ';
    put(p, "\n\n", 2);
}

/* The events of the waiting frames that fit in the hub's buffer leave in one write; a single
 * event larger than the buffer gets a buffer of its own. */
static int
sse_write(wsc_hub *hub, wsc_conn *conn, size_t waiting)
{
    unsigned char *start = hub->wbuf + LWS_PRE, *own = NULL;
    size_t used = 0, n = 0;
    for (; n < waiting; n++) {
        const wsc_msg *m = wsc__conn_queue_peek(&conn->q, n);
        size_t k = event_len(m);
        if (used + k > WSC_HUB_WBUF)
            break;
        put_event(start + used, m);
        used += k;
    }
    if (n == 0) {
        const wsc_msg *m = wsc__conn_queue_peek(&conn->q, 0);
        used = event_len(m);
        if ((own = wsc__malloc(LWS_PRE + used)) == NULL)
            return -1;
        start = own + LWS_PRE;
        put_event(start, m);
        n = 1;
    }
    int r = lws_write(conn->wsi, start, used, LWS_WRITE_HTTP);
    wsc__free(own);
    if (r < (int)used)
        return -1;
    wsc__hub_sent(hub, conn, n, used);
    return 0;
}

static int
sse_ping(wsc_hub *hub, wsc_conn *conn)
{
    (void)hub;
    unsigned char buf[LWS_PRE + 8];
    memcpy(buf + LWS_PRE, ": ping\n\n", 8);
    return lws_write(conn->wsi, buf + LWS_PRE, 8, LWS_WRITE_HTTP) < 8 ? -1 : 0;
}

static int
sse_close(wsc_conn *conn)
{
    (void)conn;
    return -1; /* the stream ends with its connection */
}

static unsigned
sse_ping_interval(const wsc_hub *hub)
{
    return hub->cfg.sse_ping_interval_ms;
}

const struct wsc__transport wsc__transport_sse = {
    .write = sse_write,
    .ping = sse_ping,
    .close = sse_close,
    .ping_interval_ms = sse_ping_interval,
    .binary = false,
    .heartbeat = false, /* EventSource cannot answer; a dead peer fails a write */
};
