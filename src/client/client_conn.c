/* SPDX-License-Identifier: MIT */
/* The client's lws connection: the url, the TLS vhost (when a CA file is given), one connection
 * attempt, the handshake headers, and the lws callback that turns socket events into the
 * client's events.  Frames are written only on WRITEABLE, one per callback: close first, then a
 * due ping, then the queue (urgent lane first). */
#include <stdio.h>
#include <string.h>

#include "client/client_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

static int
vhost_protocol_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    /* The loop's own protocol drains posted work on EVENT_WAIT_CANCELLED; this vhost only
     * forwards the callbacks of client connections to their handlers. */
    struct wsc__handler *h = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (reason != LWS_CALLBACK_EVENT_WAIT_CANCELLED && h != NULL && h->cb != NULL)
        return h->cb(h, wsi, reason, in, len);
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols vhost_protocols[] = {
    {"wsc-loop", vhost_protocol_cb, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

wsc_err
wsc__client_vhost_new(struct wsc_client *c)
{
    c->vhost = wsc__loop_vhost(c->loop);
    if (!c->tls || c->cfg.ca_file == NULL)
        return WSC_OK;
    /* A CA file belongs to the TLS context of a vhost: this client gets a vhost of its own. */
    char name[48];
    snprintf(name, sizeof(name), "wsc-client-%p", (void *)c);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.vhost_name = name;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = vhost_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = c->cfg.ca_file;
    struct lws_vhost *vh = lws_create_vhost(wsc__loop_lws(c->loop), &info);
    if (vh == NULL) {
        wsc__errtext_set(&c->last_error, "cannot create the TLS context (ca_file)");
        return WSC_ERR_IO;
    }
    c->vhost = vh;
    return WSC_OK;
}

wsc_err
wsc__client_parse_url(struct wsc_client *c)
{
    const char *prot = NULL, *ads = NULL, *path = NULL;
    int port = 0;
    c->url_parts = wsc__malloc(strlen(c->url) + 2);
    if (c->url_parts == NULL)
        return WSC_ERR_NOMEM;
    /* lws_parse_uri drops the leading '/' of the path: keep one in front of it. */
    strcpy(c->url_parts, c->url);
    if (lws_parse_uri(c->url_parts, &prot, &ads, &port, &path) != 0 || ads[0] == '\0' ||
        port <= 0 || port > 65535)
        return WSC_ERR_INVALID;
    if (strcmp(prot, "ws") == 0)
        c->tls = false;
    else if (strcmp(prot, "wss") == 0)
        c->tls = true;
    else
        return WSC_ERR_INVALID;
    c->scheme = prot;
    c->host = ads;
    c->port = port;
    c->path_query = path;
    return WSC_OK;
}

/* Writes the request path with the token in its query; false when it does not fit in cap. */
static bool
append_query(char *out, size_t cap, const char *path, const char *token)
{
    /* Only [A-Za-z0-9-._~] go through unescaped: JWTs and random tokens survive intact. */
    int w = snprintf(out, cap, "/%s%s", path, strchr(path, '?') ? "&token=" : "?token=");
    if ((size_t)w >= cap) /* a (never seen) negative w is huge as a size_t */
        return false;
    size_t n = (size_t)w;
    for (const unsigned char *p = (const unsigned char *)token; *p; p++) {
        if (n + 4 > cap)
            return false;
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            strchr("-._~", *p) != NULL)
            out[n++] = (char)*p;
        else
            n += (size_t)snprintf(out + n, cap - n, "%%%02X", *p);
    }
    out[n] = '\0';
    return true;
}

static int
ssl_flags(const struct wsc_client *c)
{
    if (!c->tls)
        return 0;
    int flags = LCCSCF_USE_SSL;
    if (c->cfg.insecure_skip_verify)
        flags |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK |
                 LCCSCF_ALLOW_EXPIRED | LCCSCF_ALLOW_INSECURE;
    return flags;
}

static void
reset_attempt(struct wsc_client *c)
{
    c->established = false;
    c->close_sent = false;
    c->drop = false;
    c->ping_due = false;
    c->http_status = 0;
    c->rx_len = 0;
    if (!c->closing) {
        c->close_code = 0;
        c->close_reason[0] = '\0';
    }
}

void
wsc__client_attempt(struct wsc_client *c)
{
    char path[2048];
    bool fits;
    if (c->cfg.token != NULL && c->cfg.token_in_query)
        fits = append_query(path, sizeof(path), c->path_query, c->cfg.token);
    else
        fits = (size_t)snprintf(path, sizeof(path), "/%s", c->path_query) < sizeof(path);
    reset_attempt(c);
    c->state = WSC_CLIENT_CONNECTING;
    if (!fits) {
        /* A cut path (or token) would reach the server as a different request. */
        wsc__errtext_set(&c->last_error, "request path with token longer than %zu bytes",
                         sizeof(path) - 1);
        wsc__client_on_end(c);
        return;
    }

    struct lws_client_connect_info info;
    memset(&info, 0, sizeof(info));
    info.context = wsc__loop_lws(c->loop);
    info.vhost = c->vhost;
    info.address = c->host;
    info.port = c->port;
    info.host = c->host;
    info.origin = c->host;
    info.path = path;
    info.ssl_connection = ssl_flags(c);
    info.protocol = c->cfg.subprotocol;
    info.local_protocol_name = "wsc-loop";
    info.opaque_user_data = &c->handler;
    info.pwsi = &c->wsi;
    if (c->cfg.connect_timeout_ms > 0)
        wsc__timer_start(&c->connect_timer, c->cfg.connect_timeout_ms);
    /* Errors found inside the call are reported through CLIENT_CONNECTION_ERROR (which clears
     * c->wsi through pwsi and ends the attempt); a NULL without that callback is ours to end. */
    struct lws *wsi = lws_client_connect_via_info(&info);
    if (wsi == NULL && c->state == WSC_CLIENT_CONNECTING && c->wsi == NULL) {
        wsc__errtext_set(&c->last_error, "cannot start a connection to %s", c->host);
        wsc__client_on_end(c);
    }
}

void
wsc__client_want_write(struct wsc_client *c)
{
    if (c->wsi != NULL && c->established)
        lws_callback_on_writable(c->wsi);
}

static int
write_item(struct wsc_client *c, struct lws *wsi)
{
    pthread_mutex_lock(&c->lock);
    struct wsc__citem *it = wsc__cqueue_pop(&c->queue);
    bool more = wsc__cqueue_size(&c->queue) > 0;
    pthread_mutex_unlock(&c->lock);
    if (it == NULL)
        return 0;
    size_t len = it->len;
    unsigned char *wire = it->msg ? wsc__msg_wire(it->msg, &len) : it->buf + WSC_PRE;
    /* A client masks its frames and lws masks in place: the shared, encode-once bytes of a
     * message (and a frame that may be written again) are copied to a scratch buffer first. */
    if (LWS_PRE + len > c->tx_cap) {
        unsigned char *p = wsc__realloc(c->tx, LWS_PRE + len);
        if (p == NULL) {
            pthread_mutex_lock(&c->lock);
            wsc__cqueue_push_front(&c->queue, it);
            pthread_mutex_unlock(&c->lock);
            return -1;
        }
        c->tx = p;
        c->tx_cap = LWS_PRE + len;
    }
    memcpy(c->tx + LWS_PRE, wire, len);
    int n = lws_write(wsi, c->tx + LWS_PRE, len, it->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    if (n < 0) {
        /* The connection is dying: the frame keeps its place for the next connection. */
        pthread_mutex_lock(&c->lock);
        wsc__cqueue_push_front(&c->queue, it);
        pthread_mutex_unlock(&c->lock);
        return -1;
    }
    /* Items with require_ack always have an id: enqueue() or the receipt gives one. */
    if (it->msg != NULL && wsc_msg_require_ack(it->msg))
        wsc__client_receipt_written(c, it);
    if (it->id != 0 && !it->resend && !c->freed && c->cfg.on_sent != NULL)
        c->cfg.on_sent(c, it->id, it->msg, wire, len, c->cfg.user);
    wsc__client_item_free(it);
    if (more && c->wsi == wsi) /* wsc_client_free() clears c->wsi */
        lws_callback_on_writable(wsi);
    return 0;
}

static int
on_writeable(struct wsc_client *c, struct lws *wsi)
{
    if (c->drop)
        return -1;
    if (c->closing) {
        size_t rlen = strlen(c->close_reason);
        lws_close_reason(wsi, (enum lws_close_status)c->close_code,
                         (unsigned char *)c->close_reason, rlen);
        c->close_sent = true;
        return -1;
    }
    if (c->ping_due) {
        unsigned char buf[LWS_PRE + 4];
        c->ping_due = false;
        if (lws_write(wsi, buf + LWS_PRE, 0, LWS_WRITE_PING) < 0)
            return -1;
        wsc__client_ping_sent(c);
        lws_callback_on_writable(wsi);
        return 0;
    }
    return write_item(c, wsi);
}

static int
on_receive(struct wsc_client *c, struct lws *wsi, const void *in, size_t len)
{
    wsc__client_alive(c);
    if (lws_is_first_fragment(wsi)) {
        c->rx_len = 0;
        c->rx_binary = lws_frame_is_binary(wsi) != 0;
    }
    if (c->rx_len + len > c->cfg.max_message_size) {
        /* Our own 1009: the connection is reset and a later one may do better. */
        c->close_code = 1009;
        snprintf(c->close_reason, sizeof(c->close_reason), "message too big");
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    if (c->rx_len + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 4096;
        while (cap < c->rx_len + len + 1)
            cap *= 2;
        unsigned char *p = wsc__realloc(c->rx, cap);
        if (p == NULL)
            return -1;
        c->rx = p;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi))
        return 0;
    c->rx[c->rx_len] = '\0';
    size_t n = c->rx_len;
    c->rx_len = 0;
    wsc__client_on_message(c, c->rx, n, c->rx_binary);
    return 0;
}

static void
on_peer_close(struct wsc_client *c, const unsigned char *in, size_t len)
{
    if (len >= 2) {
        c->close_code = (in[0] << 8) | in[1];
        size_t rlen = len - 2 < sizeof(c->close_reason) - 1 ? len - 2 : sizeof(c->close_reason) - 1;
        memcpy(c->close_reason, in + 2, rlen);
        c->close_reason[rlen] = '\0';
    } else {
        c->close_code = 1005; /* no status in the close frame */
        c->close_reason[0] = '\0';
    }
}

static void
on_connection_error(struct wsc_client *c, struct lws *wsi, const char *in, size_t len)
{
    unsigned status = lws_http_client_http_response(wsi);
    if (status == 0 && in != NULL && len >= 3) {
        /* Some refusals only surface in the text, e.g. "... 401 ...".  Only 4xx and 5xx count:
         * other numbers there are errno values ("connect SYSCALL 104") or the 101 lws
         * expected, never the server's answer. */
        const char *p = in;
        for (size_t i = 0; i + 3 <= len; i++, p++)
            if (p[0] >= '4' && p[0] <= '5' && p[1] >= '0' && p[1] <= '9' && p[2] >= '0' &&
                p[2] <= '9' && (i + 3 == len || p[3] < '0' || p[3] > '9') &&
                (i == 0 || p[-1] < '0' || p[-1] > '9')) {
                status = (unsigned)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
                break;
            }
    }
    c->http_status = (int)status;
    wsc__errtext_set(&c->last_error, "connect failed: %.*s", (int)(in ? len : 0), in ? in : "");
}

static int
add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
           unsigned char *end)
{
    char key[256];
    snprintf(key, sizeof(key), "%s:", name);
    return lws_add_http_header_by_name(wsi, (const unsigned char *)key,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

static int
append_headers(struct wsc_client *c, struct lws *wsi, void *in, size_t len)
{
    unsigned char **p = (unsigned char **)in, *end = *p + len;
    if (c->cfg.token != NULL && c->cfg.token_in_header) {
        char bearer[2048];
        if ((size_t)snprintf(bearer, sizeof(bearer), "Bearer %s", c->cfg.token) >= sizeof(bearer))
            return -1;
        if (add_header(wsi, "Authorization", bearer, p, end) != 0)
            return -1;
    }
    for (size_t i = 0; i < c->cfg.header_count; i++)
        if (add_header(wsi, c->headers[i].name, c->headers[i].value, p, end) != 0)
            return -1;
    return 0;
}

static int
dispatch(struct wsc_client *c, struct lws *wsi, enum lws_callback_reasons reason, void *in,
         size_t len)
{
    switch (reason) {
    case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
        return append_headers(c, wsi, in, len);
    case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
        c->http_status = (int)lws_http_client_http_response(wsi);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        c->established = true;
        wsc__client_on_open(c);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(c, wsi);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return on_receive(c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_RECEIVE_PONG:
        wsc__client_alive(c);
        return 0;
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        on_peer_close(c, in, len);
        return 0;
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        on_connection_error(c, wsi, in, len);
        lws_set_opaque_user_data(wsi, NULL);
        c->wsi = NULL;
        wsc__client_on_end(c);
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        lws_set_opaque_user_data(wsi, NULL);
        c->wsi = NULL;
        wsc__client_on_end(c);
        return 0;
    case LWS_CALLBACK_WSI_DESTROY:
        /* The wsi went without CONNECTION_ERROR or CLIENT_CLOSED: lws 4.1 drops a client
         * whose handshake it cannot build (headers too long for its buffer) that way.  End
         * the attempt here, so that no pointer to the freed wsi stays behind. */
        wsc__errtext_set(&c->last_error, "connection closed during the handshake");
        c->wsi = NULL;
        wsc__client_on_end(c);
        return 0;
    default:
        return 0;
    }
}

int
wsc__client_lws_cb(struct wsc__handler *h, struct lws *wsi, enum lws_callback_reasons reason,
                   void *in, size_t len)
{
    struct wsc_client *c = wsc_container_of(h, struct wsc_client, handler);
    /* Callbacks of an earlier wsi (already ended) must not touch the current attempt. */
    if (c->freed || (c->wsi != NULL && wsi != c->wsi) ||
        (c->wsi == NULL && reason != LWS_CALLBACK_CLIENT_CONNECTION_ERROR))
        return reason == LWS_CALLBACK_CLIENT_WRITEABLE ? -1 : 0;
    wsc__client_enter(c);
    int r = dispatch(c, wsi, reason, in, len);
    wsc__client_leave(c);
    return r;
}
