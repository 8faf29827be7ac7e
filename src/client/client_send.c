/* SPDX-License-Identifier: MIT */
/* The send family of wsc_client: frames are queued under the client's lock from any thread; from
 * another thread the loop is woken with one posted "kick" (coalesced) that asks lws for
 * WRITEABLE.  Also what every queued frame becomes when it cannot be sent. */
#include <stdio.h>
#include <string.h>

#include "client/client_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

static void
kick_cb(void *arg)
{
    wsc_client *c = arg;
    pthread_mutex_lock(&c->lock);
    c->posts--;
    c->kick_posted = false;
    bool last = c->posts == 0;
    pthread_mutex_unlock(&c->lock);
    if (c->freed) {
        if (last)
            wsc__client_release(c);
        return;
    }
    wsc__client_enter(c);
    wsc__client_want_write(c);
    wsc__client_leave(c);
}

/* Queues it under the lock; from another thread the loop is woken by a post. */
static wsc_err
enqueue(wsc_client *c, struct wsc__citem *it, uint64_t *id_out)
{
    bool on_loop = wsc_loop_is_loop_thread(c->loop);
    pthread_mutex_lock(&c->lock);
    if (c->state == WSC_CLIENT_CLOSED || c->closing) {
        pthread_mutex_unlock(&c->lock);
        return WSC_ERR_CLOSED;
    }
    it->id = ++c->next_id; /* items come fresh from the send family */
    wsc_err err = wsc__cqueue_push(&c->queue, it);
    bool post = err == WSC_OK && !on_loop && !c->kick_posted;
    if (post) {
        c->kick_posted = true;
        c->posts++;
    }
    pthread_mutex_unlock(&c->lock);
    if (err != WSC_OK)
        return err;
    if (id_out != NULL)
        *id_out = it->id;
    if (on_loop) {
        wsc__client_want_write(c);
    } else if (post && wsc__loop_post_control(c->loop, kick_cb, c) != WSC_OK) {
        /* The frame stays queued and leaves with the next write. */
        pthread_mutex_lock(&c->lock);
        c->kick_posted = false;
        c->posts--;
        pthread_mutex_unlock(&c->lock);
        wsc__loop_wake(c->loop);
    }
    return WSC_OK;
}

wsc_err
wsc__client_enqueue(wsc_client *c, struct wsc__citem *it)
{
    pthread_mutex_lock(&c->lock);
    wsc_err err = wsc__cqueue_push(&c->queue, it);
    pthread_mutex_unlock(&c->lock);
    if (err == WSC_OK)
        wsc__client_want_write(c);
    return err;
}

static wsc_err
send_raw(wsc_client *c, const void *data, size_t len, bool binary, uint64_t *id_out)
{
    if (c == NULL || (data == NULL && len > 0))
        return WSC_ERR_INVALID;
    if (c->state == WSC_CLIENT_CLOSED)
        return WSC_ERR_CLOSED;
    if (len > c->cfg.max_message_size)
        return WSC_ERR_TOO_LARGE;
    struct wsc__citem *it = wsc__calloc(1, sizeof(*it));
    unsigned char *buf = wsc__wire_copy(data, len);
    if (it == NULL || buf == NULL) {
        wsc__free(it);
        wsc__free(buf);
        return WSC_ERR_NOMEM;
    }
    it->buf = buf;
    it->len = len;
    it->binary = binary;
    it->bounded = true;
    wsc_err err = enqueue(c, it, id_out);
    if (err != WSC_OK)
        wsc__client_item_free(it);
    return err;
}

wsc_err
wsc_client_send_text(wsc_client *c, const char *text, size_t len, uint64_t *id_out)
{
    return send_raw(c, text, len, false, id_out);
}

wsc_err
wsc_client_send_binary(wsc_client *c, const void *data, size_t len, uint64_t *id_out)
{
    return send_raw(c, data, len, true, id_out);
}

/* A receipt needs a message_id: one is made from the client's address, time and a counter. */
static wsc_err
ensure_message_id(wsc_client *c, wsc_msg *msg)
{
    if (!wsc_msg_require_ack(msg) || wsc_msg_get(msg, WSC_F_MESSAGE_ID) != NULL)
        return WSC_OK;
    if (wsc_msg_is_frozen(msg))
        return WSC_ERR_INVALID;
    char id[64];
    pthread_mutex_lock(&c->lock);
    uint64_t seq = ++c->next_id;
    pthread_mutex_unlock(&c->lock);
    snprintf(id, sizeof(id), "c%llx-%llx-%llx", (unsigned long long)wsc__wall_ms(),
             (unsigned long long)((uintptr_t)c & 0xffffff), (unsigned long long)seq);
    return wsc_msg_set(msg, WSC_F_MESSAGE_ID, id);
}

wsc_err
wsc_client_send_msg(wsc_client *c, wsc_msg *msg, uint64_t *id_out)
{
    if (c == NULL || msg == NULL)
        return WSC_ERR_INVALID;
    if (c->state == WSC_CLIENT_CLOSED)
        return WSC_ERR_CLOSED;
    wsc_err err = ensure_message_id(c, msg);
    if (err == WSC_OK)
        err = wsc__msg_encode(msg);
    if (err != WSC_OK)
        return err;
    size_t len = 0;
    (void)wsc__msg_wire(msg, &len);
    if (len > c->cfg.max_message_size)
        return WSC_ERR_TOO_LARGE;
    struct wsc__citem *it = wsc__calloc(1, sizeof(*it));
    if (it == NULL)
        return WSC_ERR_NOMEM;
    it->msg = wsc_msg_ref(msg);
    it->len = len;
    it->binary = wsc_msg_is_binary(msg);
    it->urgent = wsc__msg_is_urgent(msg);
    it->bounded = true;
    err = enqueue(c, it, id_out);
    if (err != WSC_OK)
        wsc__client_item_free(it);
    return err;
}

void
wsc__client_item_free(struct wsc__citem *it)
{
    if (it == NULL)
        return;
    wsc_msg_unref(it->msg);
    wsc__free(it->buf);
    wsc__free(it);
}

void
wsc__client_fail_queue(wsc_client *c, wsc_err reason)
{
    for (;;) {
        pthread_mutex_lock(&c->lock);
        struct wsc__citem *it = wsc__cqueue_pop(&c->queue);
        pthread_mutex_unlock(&c->lock);
        if (it == NULL)
            return;
        /* Internal frames (ACKs) and receipt resends were never the application's sends. */
        if (it->id != 0 && !it->resend && c->cfg.on_send_failed != NULL) {
            size_t len = it->len;
            const void *data = it->msg ? wsc__msg_wire(it->msg, &len) : it->buf + WSC_PRE;
            c->cfg.on_send_failed(c, it->id, it->msg, data, len, reason, c->cfg.user);
        }
        wsc__client_item_free(it);
    }
}
