/* SPDX-License-Identifier: MIT */
/* The batch sender (wsc/reliability.h): (user, message) items sent in order on one loop turn,
 * fire-and-forget or with ACK through the tracker, a before and an after callback per item,
 * a timeout for the whole batch and one completion with every item's result.  Each item is
 * finished exactly once (result, after callback); the batch completes once, after its last
 * item.  The batch's memory lives until the user has freed it and the tracker has returned
 * every completion it owes (an item that timed out may still be delivered later: that
 * completion is swallowed).  Everything runs on the hub's loop. */
#include <string.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"

enum batch_phase { B_NEW = 0, B_RUNNING, B_DONE };

struct item {
    struct wsc_batch *b;
    size_t index;
    char *user;
    wsc_msg *msg;
    char *mid;     /* copy of the message_id once sent */
    bool finished; /* result given */
    bool owed;     /* the tracker owes a completion */
};

struct wsc_batch {
    wsc_hub *hub;
    wsc_batch_config cfg;
    struct item *items;
    wsc_batch_result *res;
    size_t n, cap, unfinished, owed;
    wsc__timer kick, deadline;
    enum batch_phase phase;
    unsigned depth; /* inside an entry point (callbacks may call wsc_batch_free) */
    bool released;  /* wsc_batch_free was called */
    wsc_err status;
};

void
wsc_batch_config_init(wsc_batch_config *cfg)
{
    if (cfg == NULL)
        return;
    *cfg = (wsc_batch_config){.mode = WSC_BATCH_FIRE_AND_FORGET, .timeout_ms = 30000};
    wsc_ack_opts_init(&cfg->ack);
}

static void
destroy(struct wsc_batch *b)
{
    wsc__timer_stop(&b->kick);
    wsc__timer_stop(&b->deadline);
    for (size_t i = 0; i < b->n; i++) {
        wsc__free(b->items[i].user);
        wsc__free(b->items[i].mid);
        wsc_msg_unref(b->items[i].msg);
    }
    wsc__free(b->items);
    wsc__free(b->res);
    wsc__free(b);
}

static void
complete(struct wsc_batch *b)
{
    b->phase = B_DONE;
    wsc__timer_stop(&b->deadline);
    wsc__timer_stop(&b->kick);
    if (b->cfg.done != NULL)
        b->cfg.done(b->status, b, b->res, b->n, b->cfg.user);
}

static void
finish_item(struct wsc_batch *b, struct item *it, wsc_batch_state state, wsc_err err, size_t queued)
{
    if (it->finished || b->phase != B_RUNNING)
        return;
    it->finished = true;
    wsc_batch_result *r = &b->res[it->index];
    r->state = state;
    r->error = err;
    r->queued = queued;
    r->message_id = it->mid;
    if (b->status == WSC_OK && err != WSC_OK)
        b->status = err;
    b->unfinished--;
    if (b->cfg.after != NULL)
        b->cfg.after(b, it->index, r, b->cfg.user);
    if (b->unfinished == 0)
        complete(b);
}

/* Every unfinished item ends with state/why; the batch completes with why. */
static void
finish_rest(struct wsc_batch *b, wsc_batch_state state, wsc_err why)
{
    b->status = why;
    for (size_t i = 0; i < b->n && b->phase == B_RUNNING; i++)
        finish_item(b, &b->items[i], state, why, 0);
    if (b->phase == B_RUNNING)
        complete(b); /* no item left unfinished (not reached with n > 0) */
}

/* Leaves an entry point: a free requested inside a callback takes effect now. */
static void
settle(struct wsc_batch *b)
{
    if (--b->depth > 0 || !b->released)
        return;
    if (b->phase == B_RUNNING) {
        b->depth++;
        finish_rest(b, WSC_BATCH_FAILED, WSC_ERR_CANCELED);
        b->depth--;
    }
    if (b->owed == 0)
        destroy(b);
}

static void
item_delivered(wsc_err status, const wsc_delivery *d, void *user)
{
    (void)status;
    struct item *it = user;
    struct wsc_batch *b = it->b;
    b->depth++;
    it->owed = false;
    b->owed--;
    static const wsc_batch_state map[] = {WSC_BATCH_ACKED, WSC_BATCH_STORED, WSC_BATCH_FAILED};
    finish_item(b, it, map[d->outcome], d->outcome == WSC_DELIVERY_FAILED ? d->error : WSC_OK, 0);
    settle(b);
}

static void
send_item(struct wsc_batch *b, struct item *it)
{
    wsc_err err;
    size_t queued = 0;
    if (b->cfg.mode == WSC_BATCH_ACK) {
        it->owed = true;
        b->owed++;
        err = wsc_hub_send_to_user_ack(b->hub, it->user, it->msg, &b->cfg.ack, item_delivered, it);
        if (err != WSC_OK) {
            it->owed = false;
            b->owed--;
        }
    } else {
        err = wsc_hub_send_to_user(b->hub, it->user, it->msg, &queued);
    }
    const char *mid = wsc_msg_get(it->msg, WSC_F_MESSAGE_ID);
    if (mid != NULL && it->mid == NULL)
        it->mid = wsc__strdup(mid);
    if (err != WSC_OK)
        finish_item(b, it, WSC_BATCH_FAILED, err, 0);
    else if (b->cfg.mode == WSC_BATCH_FIRE_AND_FORGET)
        finish_item(b, it, WSC_BATCH_QUEUED, WSC_OK, queued);
}

static void
kick_fire(wsc__timer *t)
{
    struct wsc_batch *b = wsc_container_of(t, struct wsc_batch, kick);
    b->depth++;
    if (b->n == 0 && b->phase == B_RUNNING)
        complete(b);
    for (size_t i = 0; i < b->n && b->phase == B_RUNNING && !b->released; i++) {
        struct item *it = &b->items[i];
        if (it->finished)
            continue;
        if (b->cfg.before != NULL)
            b->cfg.before(b, i, it->user, it->msg, b->cfg.user);
        if (b->phase == B_RUNNING && !b->released)
            send_item(b, it);
    }
    settle(b);
}

static void
deadline_fire(wsc__timer *t)
{
    struct wsc_batch *b = wsc_container_of(t, struct wsc_batch, deadline);
    b->depth++;
    if (b->phase == B_RUNNING)
        finish_rest(b, WSC_BATCH_TIMEOUT, WSC_ERR_TIMEOUT);
    settle(b);
}

wsc_err
wsc_batch_new(wsc_batch **out, wsc_hub *hub, const wsc_batch_config *cfg)
{
    if (out == NULL || hub == NULL || cfg == NULL || !wsc__retry_opts_valid(&cfg->ack) ||
        (cfg->mode != WSC_BATCH_FIRE_AND_FORGET && cfg->mode != WSC_BATCH_ACK))
        return WSC_ERR_INVALID;
    if (!wsc_loop_is_loop_thread(hub->loop))
        return WSC_ERR_STATE;
    struct wsc_batch *b = wsc__calloc(1, sizeof(*b));
    if (b == NULL)
        return WSC_ERR_NOMEM;
    b->hub = hub;
    b->cfg = *cfg;
    wsc__timer_init(&b->kick, hub->loop, kick_fire);
    wsc__timer_init(&b->deadline, hub->loop, deadline_fire);
    *out = b;
    return WSC_OK;
}

static wsc_err
grow(struct wsc_batch *b)
{
    if (b->n < b->cap)
        return WSC_OK;
    size_t cap = b->cap; /* res follows items to the same capacity */
    struct item *items = wsc__grow(b->items, &cap, b->n + 1, sizeof(*items), 8);
    if (items == NULL)
        return WSC_ERR_NOMEM;
    b->items = items;
    wsc_batch_result *res = wsc__realloc(b->res, cap * sizeof(*res));
    if (res == NULL)
        return WSC_ERR_NOMEM;
    b->res = res;
    b->cap = cap;
    return WSC_OK;
}

wsc_err
wsc_batch_add(wsc_batch *b, const char *user_id, wsc_msg *msg, size_t *index)
{
    if (b == NULL || user_id == NULL || user_id[0] == '\0' || msg == NULL || b->phase != B_NEW)
        return WSC_ERR_INVALID;
    if (!wsc_loop_is_loop_thread(b->hub->loop))
        return WSC_ERR_STATE;
    char *user = wsc__strdup(user_id);
    if (user == NULL || grow(b) != WSC_OK) {
        wsc__free(user);
        return WSC_ERR_NOMEM;
    }
    struct item *it = &b->items[b->n];
    memset(it, 0, sizeof(*it));
    it->b = b;
    it->index = b->n;
    it->user = user;
    it->msg = wsc_msg_ref(msg);
    wsc_batch_result *r = &b->res[b->n];
    memset(r, 0, sizeof(*r));
    r->state = WSC_BATCH_FAILED;
    r->user_id = user;
    if (index != NULL)
        *index = b->n;
    b->n++;
    return WSC_OK;
}

wsc_err
wsc_batch_run(wsc_batch *b)
{
    if (b == NULL || b->phase != B_NEW || b->released)
        return WSC_ERR_INVALID;
    if (!wsc_loop_is_loop_thread(b->hub->loop) || wsc__rel_check_state(b->hub) != WSC_OK)
        return WSC_ERR_STATE;
    /* The items' back pointers are final now: the arrays no longer grow. */
    for (size_t i = 0; i < b->n; i++)
        b->items[i].b = b;
    b->phase = B_RUNNING;
    b->unfinished = b->n;
    wsc__timer_start(&b->kick, 0);
    if (b->cfg.timeout_ms > 0)
        wsc__timer_start(&b->deadline, b->cfg.timeout_ms);
    return WSC_OK;
}

void
wsc_batch_free(wsc_batch *b)
{
    if (b == NULL || b->released)
        return;
    b->released = true;
    b->depth++;
    settle(b);
}
