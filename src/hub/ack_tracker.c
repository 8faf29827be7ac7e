/* SPDX-License-Identifier: MIT */
/* The ACK tracker: one entry per (sender, message_id, receiver) sent with ACK (a message_id
 * is scoped to its sender, PROTOCOL.md §2).  An entry is sent to every live connection of its
 * receiver and waits on the timer wheel for an ACK; without one it is resent with backoff, and
 * after the last retry (or at once when the receiver is offline) its failure handler decides
 * (failure.c): the offline store (default) or a FAILED outcome.  The completion callback runs
 * exactly once per entry, always from the loop (never inside the send call that created the
 * entry).
 *
 * Every ACK timer of the hub sits in one hashed timer wheel driven by one loop timer that ticks
 * only while entries are armed (an idle hub has no wake-ups from here).  An entry due at tick t
 * sits in slot t & mask and fires when the wheel has processed tick t; entries further away
 * than one turn wait in their slot until their own tick comes round.  Insert and cancel are
 * O(1); a tick visits one slot.  The wheel takes the time as an argument so tests can drive it
 * without a loop. */
#include <string.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"

/* --- the timer wheel */

wsc_err
wsc__wheel_init(struct wsc__wheel *w, size_t slots, uint64_t tick_ms, uint64_t now_ms)
{
    size_t n = 1;
    while (n < slots)
        n <<= 1;
    *w = (struct wsc__wheel){0};
    w->slots = wsc__malloc(n * sizeof(*w->slots));
    if (w->slots == NULL)
        return WSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++)
        wsc_list_init(&w->slots[i]);
    w->mask = n - 1;
    w->tick_ms = tick_ms ? tick_ms : 1;
    w->origin_ms = now_ms;
    return WSC_OK;
}

static void
wheel_tick(wsc__timer *t)
{
    struct wsc__wheel *w = wsc_container_of(t, struct wsc__wheel, timer);
    wsc__wheel_advance(w, wsc__now_ms());
    if (w->count > 0)
        wsc__timer_start(&w->timer, w->tick_ms);
}

void
wsc__wheel_attach(struct wsc__wheel *w, wsc_loop *loop)
{
    wsc__timer_init(&w->timer, loop, wheel_tick);
    w->attached = true;
}

void
wsc__wheel_free(struct wsc__wheel *w)
{
    if (w->attached)
        wsc__timer_stop(&w->timer);
    w->attached = false;
    wsc__free(w->slots);
    w->slots = NULL;
}

/* The tick whose processing covers time ms (rounded up: never fire early). */
static uint64_t
tick_of(const struct wsc__wheel *w, uint64_t ms)
{
    if (ms <= w->origin_ms)
        return 0;
    return (ms - w->origin_ms + w->tick_ms - 1) / w->tick_ms;
}

void
wsc__wheel_add(struct wsc__wheel *w, struct wsc__wheel_entry *e, uint64_t now_ms, uint64_t delay_ms)
{
    wsc__wheel_cancel(w, e);
    uint64_t due = tick_of(w, now_ms + delay_ms);
    if (due <= w->done_tick)
        due = w->done_tick + 1;
    e->due_tick = due;
    e->armed = true;
    wsc_list_push_back(&w->slots[due & w->mask], &e->link);
    if (w->count++ == 0 && w->attached)
        wsc__timer_start(&w->timer, w->tick_ms);
}

void
wsc__wheel_cancel(struct wsc__wheel *w, struct wsc__wheel_entry *e)
{
    if (!e->armed)
        return;
    wsc_list_remove(&e->link);
    e->armed = false;
    w->count--;
    if (w->count == 0 && w->attached)
        wsc__timer_stop(&w->timer);
}

/* Fires the entries of one tick.  They are moved to a private list first, so callbacks that
 * add entries to this very slot (a later turn) do not run again now. */
static size_t
fire_tick(struct wsc__wheel *w, uint64_t tick)
{
    struct wsc_list due, *pos, *tmp;
    wsc_list_init(&due);
    struct wsc_list *slot = &w->slots[tick & w->mask];
    wsc_list_foreach_safe(pos, tmp, slot) {
        struct wsc__wheel_entry *e = wsc_container_of(pos, struct wsc__wheel_entry, link);
        if (e->due_tick <= tick) {
            wsc_list_remove(&e->link);
            wsc_list_push_back(&due, &e->link);
        }
    }
    size_t n = 0;
    while (!wsc_list_empty(&due)) {
        struct wsc__wheel_entry *e = wsc_container_of(due.next, struct wsc__wheel_entry, link);
        wsc_list_remove(&e->link);
        e->armed = false;
        w->count--;
        n++;
        e->cb(e);
    }
    return n;
}

size_t
wsc__wheel_advance(struct wsc__wheel *w, uint64_t now_ms)
{
    uint64_t target = now_ms <= w->origin_ms ? 0 : (now_ms - w->origin_ms) / w->tick_ms;
    size_t n = 0;
    /* After a long stall, skip empty turns: visiting each slot once covers every entry. */
    if (target > w->done_tick + w->mask + 1 && w->count == 0)
        w->done_tick = target;
    while (w->done_tick < target) {
        w->done_tick++;
        if (w->count > 0)
            n += fire_tick(w, w->done_tick);
    }
    return n;
}

/* --- tracked entries */

struct pkey {
    const char *sender; /* "" when the message has none */
    const char *mid;
    const char *user;
};

/* The sender is left out of the hash (user, message_id): an ACK without one finds every
 * sender's entry in the receiver's list (wsc__ack_acked). */
static bool
pending_eq(const wsc__hnode *n, const void *key)
{
    const struct wsc__ack_pending *p = wsc_container_of(n, struct wsc__ack_pending, node);
    const struct pkey *k = key;
    return strcmp(p->message_id, k->mid) == 0 && strcmp(p->user, k->user) == 0 &&
           strcmp(wsc__ack_sender(p), k->sender) == 0;
}

struct wsc__ack_pending *
wsc__ack_find(struct wsc__rel *rel, const char *sender, const char *message_id, const char *user)
{
    if (message_id == NULL || user == NULL)
        return NULL;
    struct pkey k = {sender != NULL ? sender : "", message_id, user};
    wsc__hnode *n = wsc__hmap_find(&rel->pending, wsc__hash_pair(user, message_id), pending_eq, &k);
    return n ? wsc_container_of(n, struct wsc__ack_pending, node) : NULL;
}

static struct wsc__ack_user *
user_find(struct wsc__rel *rel, const char *user)
{
    wsc__snode *n = wsc__hmap_find_str(&rel->users, user);
    return n ? wsc_container_of(n, struct wsc__ack_user, node) : NULL;
}

static struct wsc__ack_user *
user_get(struct wsc__rel *rel, const char *user)
{
    struct wsc__ack_user *au = user_find(rel, user);
    if (au != NULL)
        return au;
    au = wsc__new_with_str(struct wsc__ack_user, id, user);
    if (au == NULL)
        return NULL;
    wsc_list_init(&au->list);
    wsc__hmap_insert_str(&rel->users, &au->node, au->id);
    return au;
}

static void
delivery_done(struct wsc__ack_pending *p, wsc_delivery_outcome outcome, wsc_err err)
{
    struct wsc__rel *rel = p->rel;
    if (outcome == WSC_DELIVERY_ACKED)
        rel->stats.acked++;
    else if (outcome == WSC_DELIVERY_STORED)
        rel->stats.stored++;
    else
        rel->stats.failed++;
    if (!p->accepted) {
        enum wsc__acc_kind k = outcome == WSC_DELIVERY_ACKED    ? WSC__ACC_DELIVERED
                               : outcome == WSC_DELIVERY_STORED ? WSC__ACC_STORED
                               : err == WSC_ERR_NOT_FOUND || err == WSC_ERR_OFFLINE
                                   ? WSC__ACC_UNREACHABLE
                                   : WSC__ACC_FAILED;
        wsc__accept_note(p, k, 0, err);
    }
    if (p->done != NULL) {
        wsc_delivery d = {outcome, err, p->message_id, p->user, p->attempts};
        p->done(outcome == WSC_DELIVERY_FAILED ? err : WSC_OK, &d, p->done_user);
    }
}

void
wsc__ack_finish(struct wsc__ack_pending *p, wsc_delivery_outcome outcome, wsc_err err)
{
    struct wsc__rel *rel = p->rel;
    wsc__wheel_cancel(&rel->wheel, &p->timer);
    wsc__hmap_remove(&rel->pending, &p->node);
    wsc_list_remove(&p->user_link);
    if (wsc_list_empty(&p->au->list)) {
        wsc__hmap_remove(&rel->users, &p->au->node.h);
        wsc__free(p->au);
    }
    rel->stats.pending--;
    delivery_done(p, outcome, err);
    wsc_msg_unref(p->msg);
    wsc__free(p);
}

/* Queues p's message on the live connections of its user (only the one named by
 * receiver_client, when set).  Returns how many took it; failures note their reason. */
static size_t
send_live(struct wsc__ack_pending *p, wsc_conn *only)
{
    wsc_hub *hub = p->rel->hub;
    struct hub_user *u = wsc__hub_user_find(hub, p->user);
    if (u == NULL) {
        p->last_error = WSC_ERR_OFFLINE;
        return 0;
    }
    const char *rc = wsc_msg_get(p->msg, WSC_F_RECEIVER_CLIENT);
    size_t n = 0;
    p->sending = true;
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &u->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, user_link);
        if ((only != NULL && c != only) || (rc != NULL && strcmp(rc, wsc__conn_client_id(c)) != 0))
            continue;
        if (c->state == CONN_OPEN && wsc__hub_enqueue(hub, c, p->msg)) {
            n++;
            p->last_conn = c->id;
        }
    }
    p->sending = false;
    if (n == 0 && p->last_error == WSC_OK)
        p->last_error = WSC_ERR_OFFLINE;
    return n;
}

void
wsc__ack_sent(struct wsc__ack_pending *p, size_t n)
{
    struct wsc__rel *rel = p->rel;
    p->attempts++;
    p->sent_us = wsc__mono_us();
    p->phase = WSC__PH_WAIT_ACK;
    wsc__wheel_add(&rel->wheel, &p->timer, wsc__now_ms(), p->opts.ack_timeout_ms);
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_SENT, p->attempts > 1 ? 1 : 0, WSC_OK);
    if (!p->accepted && p->opts.durable && wsc__ack_copy(p, n))
        return; /* answered once the store holds the copy (wsc__ack_stored) */
    wsc__accept_note(p, WSC__ACC_DELIVERED, n, WSC_OK);
}

static void
attempt(struct wsc__ack_pending *p, wsc_conn *only)
{
    p->last_error = WSC_OK;
    size_t n = send_live(p, only);
    if (only == NULL && wsc__rel_cluster_attempt(p, n))
        return; /* the other nodes' answer decides (rel_cluster.c) */
    if (n == 0)
        wsc__ack_attempt_failed(p);
    else
        wsc__ack_sent(p, n);
}

static void
on_timer(struct wsc__wheel_entry *e)
{
    struct wsc__ack_pending *p = wsc_container_of(e, struct wsc__ack_pending, timer);
    if (p->phase == WSC__PH_WAIT_ACK) {
        p->last_error = WSC_ERR_TIMEOUT;
        wsc__ack_attempt_failed(p);
    } else if (p->phase == WSC__PH_WAIT_RETRY) {
        p->retries++;
        p->rel->stats.resends++;
        attempt(p, NULL);
    } else if (p->phase == WSC__PH_WAIT_STORE) {
        p->rel->stats.store_retries++;
        wsc__ack_store(p);
    }
}

/* Defers the first attempt of a new entry by one loop turn, so that the completion never
 * runs inside the send call (STYLE §3). */
static void
first_attempt(struct wsc__wheel_entry *e)
{
    struct wsc__ack_pending *p = wsc_container_of(e, struct wsc__ack_pending, timer);
    p->timer.cb = on_timer;
    attempt(p, NULL);
}

wsc_err
wsc__ack_start(struct wsc__rel *rel, const char *user, wsc_msg *msg, const wsc_ack_opts *opts,
               wsc_delivery_cb done, void *done_user, struct wsc__ack_pending **out)
{
    const char *mid = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    if (wsc__ack_find(rel, wsc_msg_get(msg, WSC_F_SENDER), mid, user) != NULL)
        return WSC_ERR_EXISTS;
    size_t n = strlen(user);
    struct wsc__ack_pending *p = wsc__calloc(1, sizeof(*p) + n + 1);
    struct wsc__ack_user *au = p ? user_get(rel, user) : NULL;
    if (au == NULL) {
        wsc__free(p);
        return WSC_ERR_NOMEM;
    }
    memcpy(p->user, user, n + 1);
    p->rel = rel;
    p->au = au;
    p->msg = wsc_msg_ref(msg);
    p->message_id = mid;
    p->opts = *opts;
    p->done = done;
    p->done_user = done_user;
    p->timer.cb = first_attempt;
    wsc__hmap_insert(&rel->pending, &p->node, wsc__hash_pair(user, mid));
    wsc_list_push_back(&au->list, &p->user_link);
    rel->stats.pending++;
    wsc__records_put(rel, mid, user, wsc_msg_get(msg, WSC_F_SENDER), WSC_REC_PENDING);
    wsc__wheel_add(&rel->wheel, &p->timer, wsc__now_ms(), 0);
    if (out != NULL)
        *out = p;
    return WSC_OK;
}

void
wsc__ack_resend_user(struct wsc__rel *rel, wsc_conn *conn)
{
    struct wsc__ack_user *au = user_find(rel, conn->user->id);
    if (au == NULL)
        return;
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &au->list) {
        struct wsc__ack_pending *p = wsc_container_of(pos, struct wsc__ack_pending, user_link);
        if (p->phase == WSC__PH_STORING || p->timer.cb == first_attempt)
            continue;
        if (p->phase == WSC__PH_WAIT_STORE)
            wsc__wheel_cancel(&rel->wheel, &p->timer);
        /* A reconnect is not a failed attempt: the retry budget stays as it was. */
        rel->stats.resends++;
        attempt(p, conn);
    }
}

/* One tracked entry ACKed on conn (0: not known). */
static void
acked_one(struct wsc__ack_pending *p, wsc_conn_id conn)
{
    if (p->phase == WSC__PH_STORING || p->copying) {
        p->acked_storing = true;
        return;
    }
    if (p->copied) /* the durable copy goes too */
        wsc__offline_acked(p->rel, conn, p->user, wsc__ack_sender(p), p->message_id);
    if (p->sent_us != 0) {
        uint64_t now = wsc__mono_us();
        wsc__histo_observe(&p->rel->hub->metrics.ack_rtt_us,
                           now > p->sent_us ? now - p->sent_us : 0);
    }
    wsc__records_update(p->rel, p->message_id, p->user, WSC_REC_ACKED, 0, WSC_OK);
    wsc__ack_finish(p, WSC_DELIVERY_ACKED, WSC_OK);
}

size_t
wsc__ack_acked(struct wsc__rel *rel, const char *sender, const char *message_id, const char *user,
               wsc_conn_id conn)
{
    if (sender != NULL) {
        struct wsc__ack_pending *p = wsc__ack_find(rel, sender, message_id, user);
        if (p != NULL)
            acked_one(p, conn);
        return p != NULL ? 1 : 0;
    }
    /* No sender named: every sender's message with that id to this user. */
    struct wsc__ack_user *au = user_find(rel, user);
    size_t n = 0;
    if (au == NULL || message_id == NULL)
        return 0;
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &au->list) {
        struct wsc__ack_pending *p = wsc_container_of(pos, struct wsc__ack_pending, user_link);
        if (strcmp(p->message_id, message_id) != 0)
            continue;
        bool last = tmp == &au->list; /* finishing the user's last entry frees au */
        acked_one(p, conn);
        n++;
        if (last)
            break;
    }
    return n;
}

static struct wsc__ack_pending *
first_pending(struct wsc__rel *rel, bool skip_storing)
{
    if (rel->pending.buckets == NULL)
        return NULL;
    for (size_t i = 0; i <= rel->pending.mask; i++) {
        for (wsc__hnode *n = rel->pending.buckets[i]; n != NULL; n = n->next) {
            struct wsc__ack_pending *p = wsc_container_of(n, struct wsc__ack_pending, node);
            if (!skip_storing || p->phase != WSC__PH_STORING)
                return p;
        }
    }
    return NULL;
}

void
wsc__ack_store_all(struct wsc__rel *rel)
{
    struct wsc__ack_pending *p;
    while ((p = first_pending(rel, true)) != NULL) {
        wsc__wheel_cancel(&rel->wheel, &p->timer);
        p->phase = WSC__PH_STORING;
        if (p->copying) {
            continue; /* the durable copy's write answers for it */
        } else if (p->copied) {
            wsc__ack_stored(p, WSC_OK);
        } else if (wsc__offline_put(rel, p->user, p->msg, p) != WSC_OK) {
            wsc__records_update(rel, p->message_id, p->user, WSC_REC_FAILED, 0, WSC_ERR_CANCELED);
            wsc__ack_finish(p, WSC_DELIVERY_FAILED, WSC_ERR_CANCELED);
        }
    }
}

void
wsc__ack_cancel_all(struct wsc__rel *rel)
{
    struct wsc__ack_pending *p;
    while ((p = first_pending(rel, false)) != NULL)
        wsc__ack_finish(p, WSC_DELIVERY_FAILED, WSC_ERR_CANCELED);
}
