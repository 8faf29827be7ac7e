/* SPDX-License-Identifier: MIT */
/* Upstream for SSE clients (PROTOCOL.md §6): POST sse_path/send, one JSON frame as the body,
 * authenticated like the stream (§1).  The frame is handled exactly as a WebSocket text frame
 * of the caller's open stream: stamped with that connection's user and client id, counted
 * against its rate limit, and its receipts, error frames and pong arrive on that stream.
 *
 * Which stream: one of the caller's user (in the caller's app); with ?client_id= (the stream's
 * `connected` event announces it) that connection, else the user's newest stream.  A request
 * without one is refused (409 no_stream): a receipt would have nowhere to go.
 *
 * Answers: 200 {"ok":true} once the frame was handed over (what became of it arrives on the
 * stream); 400 invalid_json / invalid_message / too_large for a body that is no valid client
 * frame; 401 / 403 as the stream's refusals; 429 rate_limited beyond msg_rate_per_conn. */
#include <string.h>

#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/utf8.h"

static wsc_conn *
find_stream(const wsc_hub *hub, const struct pending_identity *p, const char *client_id)
{
    char key[WSC_MSG_KEY_MAX];
    if (wsc_user_key(p->app_id, p->user_id, key, sizeof(key)) != WSC_OK)
        return NULL;
    const struct hub_user *u = wsc__hub_user_find(hub, key);
    if (u == NULL)
        return NULL;
    wsc_conn *newest = NULL; /* the user's list is in registration order */
    const struct wsc_list *pos;
    wsc_list_foreach(pos, &u->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, user_link);
        if (c->transport == WSC_TRANSPORT_SSE && c->state == CONN_OPEN &&
            (client_id == NULL || strcmp(wsc__conn_client_id(c), client_id) == 0))
            newest = c;
    }
    return newest;
}

/* The stream req speaks for, or NULL when req was answered (refused). */
static wsc_conn *
stream_of(wsc_hub *hub, wsc_http_req *req)
{
    struct wsc__creds c;
    wsc__sse_creds(hub, req, &c);
    struct pending_identity *p = NULL;
    const char *why = "refused";
    int retry = 0, status = wsc__hub_admit(hub, &c, false, &p, &why, &retry);
    if (status != 0) {
        wsc__http_req_refuse(req, status, wsc__hub_refusal_code(status), why, retry);
        return NULL;
    }
    wsc_conn *conn = find_stream(hub, p, c.client_id[0] ? c.client_id : NULL);
    wsc__pending_free(p);
    if (conn == NULL)
        wsc__http_req_refuse(req, 409, "no_stream",
                             "no open event stream of this user (GET the stream first)", 0);
    return conn;
}

void
wsc__sse_send(wsc_hub *hub, wsc_http_req *req)
{
    wsc_conn *conn = stream_of(hub, req);
    if (conn == NULL)
        return;
    size_t len = 0;
    const char *body = wsc_http_req_body(req, &len);
    const char *limited = wsc__hub_frame_limited(hub, conn, len);
    if (limited != NULL) { /* the same limits as a WebSocket frame (and the same alert) */
        wsc__http_req_refuse(req, 429, "rate_limited", limited, 1);
        return;
    }
    if (!wsc__utf8_valid(body, len)) {
        wsc__http_req_refuse(req, 400, "invalid_json", "invalid UTF-8", 0);
        return;
    }
    wsc_msg *msg = NULL;
    const char *code = NULL, *why = NULL;
    if (wsc__hub_frame_parse(hub, body, len, &msg, &code, &why) != WSC_OK) {
        wsc__http_req_refuse(req, 400, code, why, 0);
        return;
    }
    if (wsc__hub_only_type(wsc_msg_get(msg, WSC_F_TYPE))) {
        wsc__http_req_refuse(req, 400, "invalid_message", "message_type is sent only by the hub",
                             0);
    } else {
        conn->last_rx_ms = wsc__hub_now32(hub);
        hub->stats.bytes_in += len;
        wsc__hub_on_msg(hub, conn, msg);
        wsc_http_req_respond(req, 200, NULL, "{\"ok\":true}", 11);
    }
    wsc_msg_unref(msg);
}
