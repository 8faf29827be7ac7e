/* SPDX-License-Identifier: MIT */
/* What happens between connections: the open and end of each connection, the reconnect
 * decision and its backoff timer, the keepalive (ping every interval, a pong deadline after
 * each ping), the attempt deadline, and the final close. */
#include <stdio.h>
#include <string.h>

#include "client/client_backoff.h"
#include "client/client_internal.h"
#include "models/alloc.h"

static void start_fire(wsc__timer *t);
static void ping_fire(wsc__timer *t);
static void pong_fire(wsc__timer *t);
static void connect_fire(wsc__timer *t);
static void finish_fire(wsc__timer *t);

void
wsc__client_timers_init(struct wsc_client *c)
{
    wsc__timer_init(&c->start_timer, c->loop, start_fire);
    wsc__timer_init(&c->ping_timer, c->loop, ping_fire);
    wsc__timer_init(&c->pong_timer, c->loop, pong_fire);
    wsc__timer_init(&c->connect_timer, c->loop, connect_fire);
    wsc__timer_init(&c->finish_timer, c->loop, finish_fire);
}

void
wsc__client_timers_stop(struct wsc_client *c)
{
    wsc__timer_stop(&c->start_timer);
    wsc__timer_stop(&c->ping_timer);
    wsc__timer_stop(&c->pong_timer);
    wsc__timer_stop(&c->connect_timer);
    wsc__timer_stop(&c->finish_timer);
}

static void
start_fire(wsc__timer *t)
{
    struct wsc_client *c = wsc_container_of(t, struct wsc_client, start_timer);
    if (c->state != WSC_CLIENT_CONNECTING && c->state != WSC_CLIENT_RECONNECTING)
        return;
    wsc__client_enter(c);
    wsc__client_attempt(c);
    wsc__client_leave(c);
}

static void
ping_fire(wsc__timer *t)
{
    struct wsc_client *c = wsc_container_of(t, struct wsc_client, ping_timer);
    if (c->state != WSC_CLIENT_CONNECTED || c->wsi == NULL)
        return;
    c->ping_due = true;
    wsc__client_want_write(c);
    wsc__timer_start(&c->ping_timer, c->cfg.ping_interval_ms);
}

static void
kill_wsi(struct wsc_client *c)
{
    /* Violent close: no close handshake with a peer that stopped answering.  CLIENT_CLOSED
     * still reaches us and ends the connection. */
    c->drop = true;
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
}

static void
pong_fire(wsc__timer *t)
{
    struct wsc_client *c = wsc_container_of(t, struct wsc_client, pong_timer);
    if (c->state != WSC_CLIENT_CONNECTED || c->wsi == NULL)
        return;
    c->close_code = 1006;
    snprintf(c->close_reason, sizeof(c->close_reason), "keepalive timeout");
    wsc__errtext_set(&c->last_error, "no pong within %llu ms",
                     (unsigned long long)c->cfg.pong_timeout_ms);
    kill_wsi(c);
}

static void
connect_fire(wsc__timer *t)
{
    struct wsc_client *c = wsc_container_of(t, struct wsc_client, connect_timer);
    if (c->state != WSC_CLIENT_CONNECTING || c->established)
        return;
    wsc__client_enter(c);
    if (c->wsi != NULL) {
        lws_set_opaque_user_data(c->wsi, NULL);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
        c->wsi = NULL;
    }
    c->http_status = 0;
    wsc__errtext_set(&c->last_error, "connect timed out after %llu ms",
                     (unsigned long long)c->cfg.connect_timeout_ms);
    wsc__client_on_end(c);
    wsc__client_leave(c);
}

static void
finish_fire(wsc__timer *t)
{
    struct wsc_client *c = wsc_container_of(t, struct wsc_client, finish_timer);
    wsc__client_enter(c);
    wsc__client_fail_queue(c, WSC_ERR_CLOSED);
    if (!c->freed)
        wsc__client_receipts_fail(c, WSC_ERR_CLOSED);
    if (!c->freed && c->cfg.on_close != NULL)
        c->cfg.on_close(c, c->close_code, c->close_reason, c->cfg.user);
    if (!c->freed && c->own_loop)
        wsc_loop_stop(c->loop);
    wsc__client_leave(c);
}

void
wsc__client_finish(struct wsc_client *c, int code, const char *reason)
{
    if (c->state == WSC_CLIENT_CLOSED)
        return;
    c->state = WSC_CLIENT_CLOSED;
    wsc__client_timers_stop(c);
    c->close_code = code;
    if (reason != c->close_reason) {
        /* A close reason is at most 123 bytes on the wire; longer local ones are cut. */
        size_t n = strnlen(reason, sizeof(c->close_reason) - 1);
        memcpy(c->close_reason, reason, n);
        c->close_reason[n] = '\0';
    }
    wsc__log(&c->log, WSC_LOG_INFO, "closed", "i:code,s:reason", code, c->close_reason);
    /* The final callbacks run from a timer: never inside wsc_client_close(). */
    wsc__timer_start(&c->finish_timer, 0);
}

void
wsc__client_on_open(struct wsc_client *c)
{
    c->state = WSC_CLIENT_CONNECTED;
    c->attempt = 0;
    c->last_error.text[0] = '\0';
    wsc__timer_stop(&c->connect_timer);
    if (c->cfg.ping_interval_ms > 0)
        wsc__timer_start(&c->ping_timer, c->cfg.ping_interval_ms);
    if (c->closing) {
        wsc__client_want_write(c);
        return;
    }
    wsc__log(&c->log, WSC_LOG_INFO, "connected", "s:host,i:port", c->host, c->port);
    if (c->cfg.on_connected != NULL)
        c->cfg.on_connected(c, c->cfg.user);
    if (!c->freed)
        wsc__client_want_write(c);
}

static wsc_err
status_err(int status)
{
    switch (status) {
    case 401:
        return WSC_ERR_UNAUTHORIZED;
    case 403:
        return WSC_ERR_FORBIDDEN;
    case 429:
    case 503:
        return WSC_ERR_LIMIT;
    default:
        return WSC_ERR_IO;
    }
}

static void
schedule(struct wsc_client *c, bool refresh, int code)
{
    const wsc_client_reconnect *r = &c->cfg.reconnect;
    c->attempt++;
    if (r->max_attempts != 0 && c->attempt > r->max_attempts) {
        wsc__client_finish(c, code, "reconnect attempts exhausted");
        return;
    }
    uint64_t delay = wsc__backoff_delay_ms(c->attempt, r->min_delay_ms, r->max_delay_ms, r->factor,
                                           wsc__backoff_rand01(&c->rng));
    c->state = WSC_CLIENT_RECONNECTING;
    wsc__log(&c->log, WSC_LOG_INFO, "reconnecting", "u:attempt,u:delay_ms,i:code",
             (uint64_t)c->attempt, delay, code);
    wsc__timer_start(&c->start_timer, delay);
    if (refresh && c->cfg.on_token_refresh != NULL)
        c->cfg.on_token_refresh(c, c->cfg.user);
    if (!c->freed && c->state == WSC_CLIENT_RECONNECTING && c->cfg.on_reconnecting != NULL)
        c->cfg.on_reconnecting(c, c->attempt, delay, c->cfg.user);
}

static void
report_end(struct wsc_client *c, bool was_open, int code)
{
    if (was_open)
        wsc__log(&c->log, WSC_LOG_INFO, "disconnected", "i:code,s:reason", code, c->close_reason);
    else
        wsc__log(&c->log, WSC_LOG_WARN, "connect_error", "i:status,s:error", c->http_status,
                 c->last_error.text);
    if (was_open) {
        if (c->cfg.on_disconnected != NULL)
            c->cfg.on_disconnected(c, code, c->close_reason, c->cfg.user);
    } else if (!c->closing && c->cfg.on_connect_error != NULL) {
        c->cfg.on_connect_error(c, status_err(c->http_status), c->http_status, c->last_error.text,
                                c->cfg.user);
    }
}

void
wsc__client_on_end(struct wsc_client *c)
{
    if (c->state != WSC_CLIENT_CONNECTING && c->state != WSC_CLIENT_CONNECTED)
        return;
    bool was_open = c->established;
    c->established = false;
    wsc__timer_stop(&c->connect_timer);
    wsc__timer_stop(&c->ping_timer);
    wsc__timer_stop(&c->pong_timer);
    int code = c->close_code != 0 ? c->close_code : 1006;
    if (was_open && c->close_code == 0)
        snprintf(c->close_reason, sizeof(c->close_reason), "connection lost");
    /* Leave CONNECTING/CONNECTED first, so that a wsc_client_close() from the callbacks
     * below finishes at once instead of waiting for a connection that is gone. */
    c->state = WSC_CLIENT_RECONNECTING;
    report_end(c, was_open, code);
    if (c->freed || c->state != WSC_CLIENT_RECONNECTING)
        return;
    if (c->closing) {
        wsc__client_finish(c, c->close_code, c->close_reason);
        return;
    }
    wsc__close_action act =
        was_open ? wsc__close_code_action(code) : wsc__http_status_action(c->http_status);
    if (act == WSC__RECONNECT_REFRESH && c->cfg.on_token_refresh == NULL)
        act = WSC__STOP;
    if (!c->cfg.reconnect.enabled)
        act = WSC__STOP;
    if (act == WSC__STOP) {
        wsc__client_finish(c, was_open ? code : 0, was_open ? c->close_reason : c->last_error.text);
        return;
    }
    schedule(c, act == WSC__RECONNECT_REFRESH, was_open ? code : 0);
}

void
wsc__client_alive(struct wsc_client *c)
{
    wsc__timer_stop(&c->pong_timer);
}

void
wsc__client_ping_sent(struct wsc_client *c)
{
    if (!c->pong_timer.armed)
        wsc__timer_start(&c->pong_timer, c->cfg.pong_timeout_ms);
}
