/* SPDX-License-Identifier: MIT */
/* Corking: while a client's frame (or an HTTP request) is handled, the connections it queues
 * to are listed instead of asking lws for WRITEABLE, and written directly once it is handled
 * (wsc__hub_write_now: one system call each instead of three).  While the socket the frame came
 * from already holds more bytes (a publisher sending a burst), the list waits: lws reads a
 * WebSocket at most rx_buffer_size + 16 bytes per loop pass, so a burst of N frames takes N
 * passes; written between them, every receiver would get N writes of one frame.  Held until
 * the sender's socket is drained, each receiver gets one write of N frames.
 *
 * Bounded: a window lasts at most WSC__CORK_MAX_US from its first deferral and ends once
 * WSC__CORK_MAX_BYTES were read in it, so a sender that never stops cannot starve the
 * receivers; a timer ends the window when no frame kept it open for WSC__CORK_IDLE_MS (the
 * sender stalled in the middle of a frame, or left).  The routing of the burst is most of a
 * window's length: 50 frames to 10,000 connections is 500,000 enqueues.  Only a frame that woke at
 * least WSC__CORK_MIN_CONNS connections asks the kernel how much is waiting: point-to-point traffic
 * pays nothing.  A connection in the window keeps its place in the queue order; a failure to
 * grow the list asks for WRITEABLE at once.
 *
 * Messages from the cluster bus open a window too (wsc__hub_cork_end_soon): one read of the bus
 * may hold many messages, so their connections are written at the end of the loop's pass
 * (wsc__loop_soon), once the whole read is handled, not after each message.
 *
 * Point-to-point frames (fewer than WSC__CORK_MIN_CONNS receivers) wait for the end of the pass
 * as well, or until WSC__CORK_PASS_CONNS connections wait.  A write wakes the peer that sleeps
 * on its socket; from a busy loop that reads many frames per pass, a write after every frame
 * woke each peer once per message, and on a virtual machine a wake-up costs the writer more
 * than the write (echo at 1,000 connections: bench/analysis.md).  Written in one burst, the
 * peers wake once per pass.  The wait is bounded by the pass (what the loop handles before the
 * write) and by WSC__CORK_PASS_CONNS listed connections. */
#include <sys/ioctl.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"

/* Lets the publishes held during a client's burst go (wsc__cluster_hold_publishes). */
static void
release(wsc_hub *hub)
{
    if (hub->cork.held) {
        hub->cork.held = false;
        wsc__cluster_hold_publishes(hub, false);
    }
}

static void
cork_fire(wsc__timer *t)
{
    struct wsc__cork *c = wsc_container_of(t, struct wsc__cork, timer);
    wsc__hub_cork_flush(c->hub);
}

/* The end of a pass that handled point-to-point frames or messages from the bus.  While more
 * of the bus waits to be read after one that fanned out (another node's burst), the window
 * stays open for it, within the same bounds as a client's burst; the idle timer ends it if
 * nothing more comes. */
static void
cork_soon(wsc__soon *s)
{
    struct wsc__cork *c = wsc_container_of(s, struct wsc__cork, soon);
    if (c->bus_woken >= WSC__CORK_MIN_CONNS && c->bytes < WSC__CORK_MAX_BYTES &&
        wsc__mono_us() - c->since_us < WSC__CORK_MAX_US && wsc__cluster_more_waiting(c->hub)) {
        wsc__timer_start(&c->timer, WSC__CORK_IDLE_MS);
        return;
    }
    wsc__hub_cork_flush(c->hub);
}

void
wsc__hub_cork_init(wsc_hub *hub)
{
    hub->cork.hub = hub;
    wsc__timer_init(&hub->cork.timer, hub->loop, cork_fire);
    wsc__soon_init(&hub->cork.soon, cork_soon);
}

void
wsc__hub_cork_free(wsc_hub *hub)
{
    wsc__timer_stop(&hub->cork.timer);
    wsc__soon_cancel(&hub->cork.soon);
    release(hub);
    wsc__free(hub->cork.v);
    hub->cork.v = NULL;
    hub->cork.n = hub->cork.cap = 0;
}

bool
wsc__hub_cork_defer(wsc_hub *hub, wsc_conn *conn)
{
    struct wsc__cork *c = &hub->cork;
    if (!c->on)
        return false;
    if (conn->corked)
        return true;
    if (c->n == c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        wsc_conn **v = wsc__realloc(c->v, cap * sizeof(*v));
        if (v == NULL)
            return false;
        c->v = v;
        c->cap = cap;
    }
    c->v[c->n++] = conn;
    conn->corked = 1;
    c->woken++;
    if (c->since_us == 0) {
        c->since_us = wsc__mono_us();
        wsc__timer_start(&c->timer, WSC__CORK_IDLE_MS);
    }
    return true;
}

void
wsc__hub_cork_begin(wsc_hub *hub)
{
    hub->cork.on = true;
    hub->cork.woken = 0;
    hub->cork.touched = 0;
}

/* Bytes the kernel holds for wsi's socket, not yet read (0 when unknown). */
static int
waiting_bytes(struct lws *wsi)
{
    int fd = (int)lws_get_socket_fd(wsi), n = 0;
    if (fd < 0 || ioctl(fd, FIONREAD, &n) < 0)
        return 0;
    return n;
}

void
wsc__hub_cork_end(wsc_hub *hub, struct lws *from, bool open, size_t len)
{
    struct wsc__cork *c = &hub->cork;
    c->on = false;
    if (c->n == 0)
        return;
    c->bytes += len;
    /* A frame that woke few connections does not look: its receivers go at the end of the
     * pass (or once WSC__CORK_PASS_CONNS wait), with what the window held before it (their
     * frames are queued in order).  A frame that woke none (a piece of a longer message, or
     * one to connections already waiting) keeps an open window while its socket has more. */
    bool fanout = c->woken == 0 || c->woken >= WSC__CORK_MIN_CONNS;
    if (!fanout && c->n < WSC__CORK_PASS_CONNS) {
        wsc__loop_soon(hub->loop, &c->soon);
        return;
    }
    if (fanout && c->bytes < WSC__CORK_MAX_BYTES &&
        wsc__mono_us() - c->since_us < WSC__CORK_MAX_US && open && waiting_bytes(from) > 0) {
        if (!c->soon.queued) /* else the bus's deliveries in it go at the end of the pass */
            wsc__timer_start(&c->timer, WSC__CORK_IDLE_MS);
        /* The burst's copies for the other nodes wait with it: published one frame per pass,
         * they would reach the other nodes spread over the window and be written there in
         * as many pieces. */
        if (!c->held) {
            c->held = true;
            wsc__cluster_hold_publishes(hub, true);
        }
        return;
    }
    wsc__hub_cork_flush(hub);
}

void
wsc__hub_cork_end_soon(wsc_hub *hub, size_t len)
{
    struct wsc__cork *c = &hub->cork;
    c->on = false;
    c->bus_woken = c->touched;
    /* A message that queued to no connection (our own copy of a broadcast, one for nobody
     * here) leaves an open window as it was: a publisher's burst keeps its one write per
     * receiver. */
    if (c->touched > 0) {
        c->bytes += len;
        wsc__loop_soon(hub->loop, &c->soon);
    }
}

/* Connections are written in batches of this many, each batch warmed first. */
#define FLUSH_BATCH 16

/* A fan-out writes thousands of connections whose memory went cold since the last message:
 * warming a batch first (wsc__hub_write_warm) lets their cache misses overlap instead of
 * each write waiting for its own. */
void
wsc__hub_cork_flush(wsc_hub *hub)
{
    struct wsc__cork *c = &hub->cork;
    for (size_t i = 0; i < c->n; i += FLUSH_BATCH) {
        size_t end = c->n - i < FLUSH_BATCH ? c->n : i + FLUSH_BATCH;
        for (size_t k = i; k < end; k++)
            if (c->v[k] != NULL)
                wsc__hub_write_warm(c->v[k]);
        for (size_t k = i; k < end; k++) {
            wsc_conn *conn = c->v[k]; /* NULL: closed meanwhile (wsc__hub_cork_forget) */
            if (conn == NULL)
                continue;
            conn->corked = 0;
            wsc__hub_write_now(hub, conn);
        }
    }
    c->n = 0;
    c->bytes = 0;
    c->since_us = 0;
    c->bus_woken = 0;
    wsc__soon_cancel(&c->soon);
    wsc__timer_stop(&c->timer);
    release(hub);
}

void
wsc__hub_cork_forget(wsc_hub *hub, wsc_conn *conn)
{
    struct wsc__cork *c = &hub->cork;
    if (!conn->corked)
        return;
    conn->corked = 0;
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i] == conn) {
            c->v[i] = NULL;
            return;
        }
}
