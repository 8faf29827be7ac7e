/* SPDX-License-Identifier: MIT */
/* wsc_client lifecycle and API: configuration, creation and release (deferred while one of our
 * callbacks is running, or while a posted kick still holds the client), connect, close, and the
 * small accessors.  The send family is in client_send.c. */
#include <stdio.h>
#include <string.h>

#include "client/client_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

_Static_assert(WSC_PRE >= LWS_PRE, "WSC_PRE must leave room for the lws frame header");

void
wsc_client_config_init(wsc_client_config *cfg)
{
    if (cfg == NULL)
        return;
    *cfg = (wsc_client_config){.token_in_header = true,
                               .subprotocol = "wsc.v1",
                               .max_message_size = 1024 * 1024,
                               .reconnect.enabled = true,
                               .reconnect.min_delay_ms = 500,
                               .reconnect.max_delay_ms = 30000,
                               .reconnect.factor = 2.0,
                               .reconnect.max_attempts = 0,
                               .ping_interval_ms = 20000,
                               .pong_timeout_ms = 10000,
                               .connect_timeout_ms = 10000,
                               .queue_max_count = 1024,
                               .queue_max_bytes = 4 * 1024 * 1024,
                               .auto_ack = true,
                               .dedupe_window = 1024,
                               .ack_timeout_ms = 5000,
                               .ack_max_retries = 3};
}

static bool
dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (src == NULL)
        return true;
    *dst = wsc__strdup(src);
    return *dst != NULL;
}

static wsc_err
copy_headers(wsc_client *c, const wsc_client_config *cfg)
{
    if (cfg->header_count == 0)
        return WSC_OK;
    if (cfg->headers == NULL)
        return WSC_ERR_INVALID;
    c->headers = wsc__calloc(cfg->header_count, sizeof(*c->headers));
    if (c->headers == NULL)
        return WSC_ERR_NOMEM;
    c->cfg.headers = c->headers;
    for (size_t i = 0; i < cfg->header_count; i++) {
        const wsc_client_header *h = &cfg->headers[i];
        if (h->name == NULL || h->value == NULL || strpbrk(h->name, ":\r\n") != NULL ||
            strpbrk(h->value, "\r\n") != NULL)
            return WSC_ERR_INVALID;
        char *name = wsc__strdup(h->name);
        char *value = wsc__strdup(h->value);
        c->headers[i].name = name;
        c->headers[i].value = value;
        if (name == NULL || value == NULL)
            return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

static wsc_err
copy_config(wsc_client *c, const wsc_client_config *cfg)
{
    c->cfg = *cfg;
    c->cfg.headers = NULL;
    c->cfg.header_count = cfg->header_count;
    if (!dup_opt(&c->url, cfg->url) || !dup_opt(&c->token, cfg->token) ||
        !dup_opt(&c->ca_file, cfg->ca_file) || !dup_opt(&c->subprotocol, cfg->subprotocol))
        return WSC_ERR_NOMEM;
    c->cfg.url = c->url;
    c->cfg.token = c->token;
    c->cfg.ca_file = c->ca_file;
    c->cfg.subprotocol = c->subprotocol;
    return copy_headers(c, cfg);
}

static wsc_err
check_config(const wsc_client_config *cfg)
{
    if (cfg->url == NULL || cfg->max_message_size == 0 || cfg->queue_max_count == 0 ||
        cfg->queue_max_bytes == 0)
        return WSC_ERR_INVALID;
    if (cfg->reconnect.enabled && cfg->reconnect.min_delay_ms == 0)
        return WSC_ERR_INVALID;
    if (cfg->ping_interval_ms > 0 && cfg->pong_timeout_ms == 0)
        return WSC_ERR_INVALID;
    return WSC_OK;
}

void
wsc__client_release(wsc_client *c)
{
    wsc__dedupe_free(&c->dedupe);
    wsc__free(c->rx);
    wsc__free(c->tx);
    for (size_t i = 0; c->headers != NULL && i < c->cfg.header_count; i++) {
        wsc__free((void *)(uintptr_t)c->headers[i].name);
        wsc__free((void *)(uintptr_t)c->headers[i].value);
    }
    wsc__free(c->headers);
    wsc__free(c->url);
    wsc__free(c->url_parts);
    wsc__free(c->token);
    wsc__free(c->ca_file);
    wsc__free(c->subprotocol);
    pthread_mutex_destroy(&c->lock);
    wsc__free(c);
}

static wsc_err
setup_loop(wsc_client *c, const wsc_client_config *cfg)
{
    if (cfg->loop != NULL) {
        c->loop = cfg->loop;
    } else {
        wsc_err err = wsc_loop_new(&c->loop);
        if (err != WSC_OK)
            return err;
        c->own_loop = true;
    }
    c->cfg.loop = c->loop;
    wsc__loop_attach(c->loop);
    return wsc__client_vhost_new(c);
}

wsc_err
wsc_client_new(wsc_client **out, const wsc_client_config *cfg)
{
    if (out == NULL)
        return WSC_ERR_INVALID;
    *out = NULL;
    if (cfg == NULL || check_config(cfg) != WSC_OK)
        return WSC_ERR_INVALID;
    wsc_client *c = wsc__calloc(1, sizeof(*c));
    if (c == NULL)
        return WSC_ERR_NOMEM;
    pthread_mutex_init(&c->lock, NULL);
    c->handler.cb = wsc__client_lws_cb;
    c->rng = wsc__now_ms() ^ (uint64_t)(uintptr_t)c ^ 0x5851f42d4c957f2dull;
    wsc_msg_limits_init(&c->limits);
    c->limits.max_bytes = cfg->max_message_size;
    wsc__cqueue_init(&c->queue, cfg->queue_max_count, cfg->queue_max_bytes);
    wsc__logger_init(&c->log, &cfg->log, "client");
    wsc_err err = copy_config(c, cfg);
    if (err == WSC_OK)
        err = wsc__client_parse_url(c);
    if (err == WSC_OK)
        err = wsc__dedupe_init(&c->dedupe, cfg->dedupe_window);
    if (err == WSC_OK)
        err = setup_loop(c, cfg);
    if (err != WSC_OK)
        goto fail;
    wsc__client_timers_init(c);
    *out = c;
    return WSC_OK;
fail:
    if (c->vhost != NULL && c->vhost != wsc__loop_vhost(c->loop) && !c->own_loop)
        lws_vhost_destroy(c->vhost);
    if (c->loop != NULL) {
        wsc__loop_detach(c->loop);
        if (c->own_loop)
            wsc_loop_free(c->loop);
    }
    wsc__client_release(c);
    return err;
}

static void
drop_wsi(wsc_client *c)
{
    if (c->wsi == NULL)
        return;
    /* The wsi may still call back while lws closes it; with no opaque data those callbacks go
     * to the loop's default handler, not to us. */
    lws_set_opaque_user_data(c->wsi, NULL);
    lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    c->wsi = NULL;
}

static void
release_when_idle(wsc_client *c)
{
    pthread_mutex_lock(&c->lock);
    bool posts = c->posts > 0;
    pthread_mutex_unlock(&c->lock);
    wsc_loop *own = c->own_loop ? c->loop : NULL;
    /* A pending kick post still holds c: it releases it when it runs (wsc_loop_free runs the
     * posts left over, so this also holds when the loop goes first). */
    if (!posts)
        wsc__client_release(c);
    if (own != NULL)
        wsc_loop_free(own);
}

void
wsc_client_free(wsc_client *c)
{
    if (c == NULL || c->freed)
        return;
    c->freed = true;
    wsc__client_timers_stop(c);
    drop_wsi(c);
    c->state = WSC_CLIENT_CLOSED;
    wsc__client_fail_queue(c, WSC_ERR_CANCELED);
    wsc__client_receipts_fail(c, WSC_ERR_CANCELED);
    if (c->vhost != wsc__loop_vhost(c->loop) && !c->own_loop)
        lws_vhost_destroy(c->vhost);
    c->vhost = NULL;
    wsc__loop_detach(c->loop);
    if (c->depth == 0)
        release_when_idle(c);
}

void
wsc__client_enter(wsc_client *c)
{
    c->depth++;
}

bool
wsc__client_leave(wsc_client *c)
{
    c->depth--;
    if (c->depth == 0 && c->freed) {
        release_when_idle(c);
        return true;
    }
    return false;
}

wsc_err
wsc_client_connect(wsc_client *c)
{
    if (c == NULL)
        return WSC_ERR_INVALID;
    /* A freed client is CLOSED (wsc_client_free sets it and nothing leaves CLOSED). */
    if (c->state != WSC_CLIENT_DISCONNECTED)
        return WSC_ERR_STATE;
    /* The attempt starts from a timer so that no callback runs inside this call. */
    c->state = WSC_CLIENT_CONNECTING;
    wsc__timer_start(&c->start_timer, 0);
    return WSC_OK;
}

static bool
valid_close_code(int code)
{
    return code == 1000 || (code >= 3000 && code <= 4999);
}

wsc_err
wsc_client_close(wsc_client *c, int code, const char *reason)
{
    if (c == NULL || !valid_close_code(code) || (reason != NULL && strlen(reason) > 123))
        return WSC_ERR_INVALID;
    if (c->state == WSC_CLIENT_CLOSED || c->closing) /* freed clients are CLOSED */
        return WSC_ERR_STATE;
    c->closing = true;
    c->close_code = code;
    snprintf(c->close_reason, sizeof(c->close_reason), "%s", reason ? reason : "");
    if (c->state == WSC_CLIENT_CONNECTED && c->wsi != NULL) {
        /* The close frame leaves on the next WRITEABLE; CLIENT_CLOSED then finishes. */
        wsc__client_want_write(c);
        return WSC_OK;
    }
    /* Connecting, waiting out a backoff delay, or never started: stop at once. */
    wsc__client_timers_stop(c);
    drop_wsi(c);
    wsc__client_finish(c, code, c->close_reason);
    return WSC_OK;
}

wsc_client_state
wsc_client_state_get(const wsc_client *c)
{
    return c != NULL ? c->state : WSC_CLIENT_CLOSED;
}

wsc_err
wsc_client_set_token(wsc_client *c, const char *token)
{
    if (c == NULL)
        return WSC_ERR_INVALID;
    char *copy = NULL;
    if (!dup_opt(&copy, token))
        return WSC_ERR_NOMEM;
    wsc__free(c->token);
    c->token = copy;
    c->cfg.token = copy;
    return WSC_OK;
}

size_t
wsc_client_queue_count(const wsc_client *c)
{
    if (c == NULL)
        return 0;
    wsc_client *m = (wsc_client *)(uintptr_t)c; /* the lock is not part of the value */
    pthread_mutex_lock(&m->lock);
    size_t n = wsc__cqueue_size(&m->queue);
    pthread_mutex_unlock(&m->lock);
    return n;
}

size_t
wsc_client_receipts_pending(const wsc_client *c)
{
    return c != NULL ? c->receipt_count : 0;
}

wsc_loop *
wsc_client_loop(const wsc_client *c)
{
    return c != NULL ? c->loop : NULL;
}

wsc_err
wsc_client_run(wsc_client *c)
{
    if (c == NULL)
        return WSC_ERR_INVALID;
    if (!c->own_loop)
        return WSC_ERR_STATE;
    if (c->state == WSC_CLIENT_CLOSED)
        return WSC_OK;
    return wsc_loop_run(c->loop);
}

void
wsc_client_stop(wsc_client *c)
{
    if (c != NULL)
        wsc_loop_stop(c->loop);
}

const char *
wsc_client_last_error(const wsc_client *c)
{
    return c != NULL ? c->last_error.text : "";
}

const char *
wsc_client_state_name(wsc_client_state state)
{
    switch (state) {
    case WSC_CLIENT_DISCONNECTED:
        return "disconnected";
    case WSC_CLIENT_CONNECTING:
        return "connecting";
    case WSC_CLIENT_CONNECTED:
        return "connected";
    case WSC_CLIENT_RECONNECTING:
        return "reconnecting";
    case WSC_CLIENT_CLOSED:
        return "closed";
    }
    return "unknown";
}
