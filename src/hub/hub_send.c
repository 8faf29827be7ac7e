/* SPDX-License-Identifier: MIT */
/* The hot path: queuing shared message references on connections and writing them, at once
 * after a routed frame (wsc__hub_write_now) or on WRITEABLE.  Waiting frames are framed here
 * and leave in one write: send() on a plain socket, lws_write on the others. */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "hub/hub_internal.h"
#include "models/msg_internal.h"

void
wsc__hub_report_failed(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, wsc_err why)
{
    hub->stats.send_failed++;
    hub->last_send_error = why;
    wsc__log(&hub->log, WSC_LOG_DEBUG, "send_failed", "u:conn,s:message_id,s:error", conn->id,
             wsc_msg_get(msg, WSC_F_MESSAGE_ID), wsc_err_name(why));
    if (hub->cfg.on_send_failed)
        hub->cfg.on_send_failed(hub, conn->id, conn->user ? conn->user->id : NULL, msg, why,
                                hub->cfg.user);
    wsc__rel_send_failed(hub, conn, msg, why);
}

/* Single sends in one loop pass share a clock reading this many times: a pass may take tens
 * of thousands of them (sends posted from other threads), and a reading then stays within a
 * few microseconds. */
#define STAMP_REUSE 16

/* The time a message is queued at, for the delivery-latency metric: read once per
 * multi-target route (every conn of a broadcast shares the stamp), and at most once per
 * STAMP_REUSE single sends of one pass. */
static uint64_t
queued_clock(wsc_hub *hub)
{
    struct wsc__hub_metrics *m = &hub->metrics;
    uint64_t pass = wsc__loop_pass_count(hub->loop);
    bool fresh = hub->route_mark != 0
                     ? m->now_mark == hub->route_mark
                     : m->now_mark == 0 && m->now_pass == pass && ++m->now_uses < STAMP_REUSE;
    if (!fresh) {
        m->now_us = wsc__mono_us();
        m->now_mark = hub->route_mark;
        m->now_pass = pass;
        m->now_uses = 0;
    }
    return m->now_us;
}

/* Stamps msg for the delivery-latency and frames-out metrics; the type class is worked out
 * once per message. */
static void
stamp_queued(wsc_hub *hub, wsc_msg *msg, size_t depth)
{
    struct wsc__hub_metrics *m = &hub->metrics;
    uint64_t now = queued_clock(hub);
    uint8_t tag = 0;
    wsc__msg_queued_us(msg, &tag);
    if (tag == 0)
        tag = (uint8_t)(1 + wsc__metrics_mtype(wsc_msg_get(msg, WSC_F_TYPE)));
    wsc__msg_stamp_queued(msg, now, tag);
    wsc__histo_observe(&m->queue_depth, depth);
}

bool
wsc__hub_enqueue(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    if (conn->state != CONN_OPEN) {
        wsc__hub_report_failed(hub, conn, msg, WSC_ERR_CLOSED);
        return false;
    }
    wsc_err err = wsc__msg_encode(msg);
    if (err == WSC_OK && wsc_msg_is_binary(msg) && !wsc__conn_transport(conn)->binary)
        err = WSC_ERR_UNSUPPORTED; /* an event stream carries text only */
    if (err == WSC_OK && conn->replay_hold && wsc__rel_park(hub, conn, msg))
        return true;
    if (err == WSC_OK) {
        wsc__hub_ref(&hub->refs, msg);
        err =
            wsc__conn_queue_push(&conn->q, msg, hub->cfg.queue_max_count, hub->cfg.queue_max_bytes);
        if (err != WSC_OK)
            wsc__hub_unref(&hub->refs, msg);
    }
    if (err != WSC_OK) {
        wsc__hub_report_failed(hub, conn, msg, err);
        return false;
    }
    hub->stats.queued++;
    if (hub->cork.on)
        hub->cork.touched++;
    size_t depth = wsc__conn_queue_len(&conn->q);
    stamp_queued(hub, msg, depth);
    if (depth == 1 && !wsc__hub_cork_defer(hub, conn))
        lws_callback_on_writable(conn->wsi);
    return true;
}

bool
wsc__hub_send_ctl(wsc_hub *hub, wsc_conn *conn, wsc_msg *m)
{
    if (m == NULL)
        return false;
    wsc__msg_set_urgent_lane(m);
    bool queued = wsc__hub_enqueue(hub, conn, m);
    wsc_msg_unref(m);
    return queued;
}

static size_t
frame_header(unsigned char *p, bool binary, size_t len)
{
    p[0] = (unsigned char)(0x80 | (binary ? 2 : 1));
    if (len < 126) {
        p[1] = (unsigned char)len;
        return 2;
    }
    if (len <= 0xffff) {
        p[1] = 126;
        p[2] = (unsigned char)(len >> 8);
        p[3] = (unsigned char)len;
        return 4;
    }
    p[1] = 127;
    for (int i = 0; i < 8; i++)
        p[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

/* The time frames are written at, for the same metric: a fan-out writes thousands of sockets
 * in one pass, each write a few microseconds, so a reading serves STAMP_REUSE writes (it is
 * then at most their time behind) and a new pass always reads anew. */
static uint64_t
sent_clock(wsc_hub *hub)
{
    struct wsc__hub_metrics *m = &hub->metrics;
    uint64_t pass = wsc__loop_pass_count(hub->loop);
    if (m->sent_us == 0 || m->sent_pass != pass || ++m->sent_uses >= STAMP_REUSE) {
        m->sent_us = wsc__mono_us();
        m->sent_pass = pass;
        m->sent_uses = 0;
    }
    return m->sent_us;
}

void
wsc__hub_sent(wsc_hub *hub, wsc_conn *conn, size_t n, size_t bytes)
{
    struct wsc__hub_metrics *mx = &hub->metrics;
    uint64_t now = sent_clock(hub);
    for (size_t i = 0; i < n; i++) {
        wsc_msg *m = wsc__conn_queue_peek(&conn->q, 0);
        uint8_t tag = 0;
        uint64_t at = wsc__msg_queued_us(m, &tag);
        wsc__histo_observe(&mx->deliver_us, now > at ? now - at : 0);
        mx->frames_out[tag > 0 && tag <= WSC__MT_COUNT ? tag - 1 : WSC__MT_OTHER]++;
        wsc__conn_queue_pop(&conn->q);
        hub->stats.queued--;
        if (hub->cfg.on_sent)
            hub->cfg.on_sent(hub, conn->id, conn->user->id, m, hub->cfg.user);
        wsc__hub_unref(&hub->refs, m);
    }
    hub->stats.messages_out += n;
    hub->stats.bytes_out += bytes;
}

/* Whether conn's frames may go to its socket with send()/sendmsg() instead of lws_write: a
 * plain TCP WebSocket without permessage-deflate, with nothing of an earlier write left in
 * lws's buffer (which must leave first).  lws_write's own work per call (role dispatch, the frame
 * state, its logging calls) was about 4 % of the hub's CPU per delivery in paced broadcast. */
static bool
direct_ok(const wsc_conn *conn)
{
    return conn->transport == WSC_TRANSPORT_WS && !conn->deflate && !lws_is_ssl(conn->wsi) &&
           !lws_partial_buffered(conn->wsi);
}

/* Sends the bytes of iov[0..cnt) in order on conn's socket; what the socket does not take
 * now goes to lws as LWS_WRITE_RAW (copied into its buffer, sent on WRITEABLE before anything
 * else, and seen by lws_partial_buffered).  -1 when the socket failed. */
static int
send_direct(wsc_conn *conn, struct iovec *iov, int cnt)
{
    int fd = (int)lws_get_socket_fd(conn->wsi), flags = MSG_NOSIGNAL | MSG_DONTWAIT;
    struct msghdr mh = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
    /* send() when there is one piece: sendmsg's copy of the header and the iovecs is
     * measurable at one call per delivery */
    ssize_t n =
        cnt == 1 ? send(fd, iov[0].iov_base, iov[0].iov_len, flags) : sendmsg(fd, &mh, flags);
    if (n < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return -1;
        n = 0;
    }
    size_t done = (size_t)n;
    for (int i = 0; i < cnt; i++) {
        if (done >= iov[i].iov_len) {
            done -= iov[i].iov_len;
            continue;
        }
        unsigned char *rest = (unsigned char *)iov[i].iov_base + done;
        size_t left = iov[i].iov_len - done;
        done = 0;
        if (lws_write(conn->wsi, rest, left, LWS_WRITE_RAW) < (int)left)
            return -1;
    }
    return 0;
}

/* A plain socket (direct_ok) gets the frame header from the stack and the shared wire bytes
 * in one sendmsg, so the message's headroom is not written; the others lws_write(TEXT|BINARY),
 * which puts the header there (and compresses on a deflate connection). */
int
wsc__hub_write_one(wsc_hub *hub, wsc_conn *conn, wsc_msg *m)
{
    size_t len = 0;
    unsigned char *wire = wsc__msg_wire(m, &len);
    if (direct_ok(conn)) {
        unsigned char head[10];
        struct iovec iov[2] = {
            {.iov_base = head, .iov_len = frame_header(head, wsc_msg_is_binary(m), len)},
            {.iov_base = wire, .iov_len = len}};
        if (send_direct(conn, iov, 2) < 0)
            return -1;
    } else if (lws_write(conn->wsi, wire, len,
                         wsc_msg_is_binary(m) ? LWS_WRITE_BINARY : LWS_WRITE_TEXT) < (int)len) {
        return -1;
    }
    wsc__hub_sent(hub, conn, 1, len);
    return 0;
}

size_t
wsc__hub_frame_run(wsc_hub *hub, wsc_conn *conn, size_t waiting, size_t limit, size_t *total)
{
    unsigned char *start = hub->wbuf + LWS_PRE, *p = start;
    size_t n = 0;
    for (; n < waiting; n++) {
        wsc_msg *m = wsc__conn_queue_peek(&conn->q, n);
        size_t len = 0;
        const unsigned char *wire = wsc__msg_wire(m, &len);
        if (len >= limit || (size_t)(p - start) + len + 10 > WSC_HUB_WBUF)
            break;
        p += frame_header(p, wsc_msg_is_binary(m), len);
        memcpy(p, wire, len);
        p += len;
    }
    *total = (size_t)(p - start);
    return n;
}

int
wsc__hub_write_run(wsc_hub *hub, wsc_conn *conn, size_t n, size_t total)
{
    struct iovec iov = {.iov_base = hub->wbuf + LWS_PRE, .iov_len = total};
    if (direct_ok(conn)
            ? send_direct(conn, &iov, 1) < 0
            : lws_write(conn->wsi, hub->wbuf + LWS_PRE, total, LWS_WRITE_RAW) < (int)total)
        return -1;
    wsc__hub_sent(hub, conn, n, total);
    return 0;
}

/* Frames as many waiting messages as fit in the hub's buffer and writes them at once. */
static int
ws_write_run(wsc_hub *hub, wsc_conn *conn, size_t waiting, size_t *total)
{
    *total = 0;
    size_t n = wsc__hub_frame_run(hub, conn, waiting, SIZE_MAX, total);
    if (n == 0) { /* longer than the buffer: from the message's own bytes */
        wsc_msg *m = wsc__conn_queue_peek(&conn->q, 0);
        wsc__msg_wire(m, total);
        return wsc__hub_write_one(hub, conn, m);
    }
    return wsc__hub_write_run(hub, conn, n, *total);
}

/* Writes runs while frames wait and the socket takes each whole, up to WSC_HUB_WRITE_BUDGET
 * bytes: a deep queue empties in few passes, and the other connections still get their turn.
 * A connection with permessage-deflate goes through hub_deflate.c. */
static int
ws_write(wsc_hub *hub, wsc_conn *conn, size_t waiting)
{
    if (conn->deflate)
        return wsc__hub_deflate_write(hub, conn, waiting);
    for (size_t sent = 0;;) {
        size_t total = 0;
        if (ws_write_run(hub, conn, waiting, &total) < 0)
            return -1;
        sent += total;
        waiting = wsc__conn_queue_len(&conn->q);
        if (waiting == 0 || sent >= WSC_HUB_WRITE_BUDGET || lws_partial_buffered(conn->wsi))
            return 0;
    }
}

static int
ws_close(wsc_conn *conn)
{
    const char *reason = wsc__conn_close_reason(conn);
    size_t rlen = strlen(reason);
    lws_close_reason(conn->wsi, (enum lws_close_status)conn->close_code,
                     (unsigned char *)(uintptr_t)reason, rlen > 123 ? 123 : rlen);
    return -1;
}

static int
ws_ping(wsc_hub *hub, wsc_conn *conn)
{
    (void)hub;
    /* lws never reports an empty pong (RECEIVE_PONG needs a payload), and a pong echoes the
     * ping's payload: an empty ping would leave answering peers looking silent. */
    unsigned char buf[LWS_PRE + 4];
    memcpy(buf + LWS_PRE, "wsc", 4);
    return lws_write(conn->wsi, buf + LWS_PRE, 4, LWS_WRITE_PING) < 0 ? -1 : 0;
}

static unsigned
ws_ping_interval(const wsc_hub *hub)
{
    return hub->cfg.ping_interval_ms;
}

bool
wsc__hub_write_warm(const wsc_conn *conn)
{
    __builtin_prefetch(&conn->q);
    return lws_partial_buffered(conn->wsi) != 0;
}

void
wsc__hub_write_now(wsc_hub *hub, wsc_conn *conn)
{
    size_t waiting = wsc__conn_queue_len(&conn->q);
    if (waiting == 0)
        return;
    /* lws_partial_buffered: lws still holds bytes of an earlier write, which must leave first
     * (its WRITEABLE drains them, then calls ours). */
    bool direct = conn->state == CONN_OPEN && conn->transport == WSC_TRANSPORT_WS &&
                  !conn->deflate && !conn->cluster_hold && !conn->ping_pending &&
                  !lws_partial_buffered(conn->wsi);
    if (direct && ws_write(hub, conn, waiting) == 0 && wsc__conn_queue_len(&conn->q) == 0) {
        wsc__conn_queue_trim(&conn->q);
        return;
    }
    lws_callback_on_writable(conn->wsi);
}

const struct wsc__transport wsc__transport_ws = {
    .write = ws_write,
    .ping = ws_ping,
    .close = ws_close,
    .ping_interval_ms = ws_ping_interval,
    .binary = true,
    .heartbeat = true,
};

int
wsc__hub_writeable(wsc_hub *hub, wsc_conn *conn)
{
    if (conn->deflate)
        wsc__hub_deflate_writeable(conn);
    if ((conn->state != CONN_OPEN && conn->state != CONN_CLOSING) || conn->cluster_hold)
        return 0; /* held: wsc__cluster_release asks for WRITEABLE again */
    const struct wsc__transport *t = wsc__conn_transport(conn);
    size_t waiting = wsc__conn_queue_len(&conn->q);
    if (conn->state == CONN_CLOSING && (!conn->close_flush || waiting == 0))
        return t->close(conn);
    if (conn->ping_pending) {
        conn->ping_pending = 0;
        if (t->ping(hub, conn) < 0)
            return -1;
        if (waiting > 0)
            lws_callback_on_writable(conn->wsi);
        return 0;
    }
    if (waiting == 0) {
        wsc__conn_queue_trim(&conn->q);
        return 0;
    }
    if (t->write(hub, conn, waiting) < 0)
        return -1;
    if (wsc__conn_queue_len(&conn->q) > 0 || conn->state == CONN_CLOSING)
        lws_callback_on_writable(conn->wsi);
    else
        wsc__conn_queue_trim(&conn->q);
    return 0;
}
