/* SPDX-License-Identifier: MIT */
/* Offline replay: a user's stored messages are queued on a new connection before any live
 * traffic; while a replay is under way the connection's application messages are parked here
 * and queued after the replayed ones.  A connection that drops mid-replay leaves the rest, and
 * the whole backlog, for the next one (a stored message leaves the store only on ACK,
 * offline.c).  The senders of what was replayed are remembered until the ACK comes, so that an
 * `ack` naming only a message_id removes the right copies. */
#include <stdint.h>
#include <string.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

#define REPLAY_PAGE 100
/* Queue slots a replay leaves free for control frames and the parked messages' head (at most
 * half of the queue: a queue of a few frames still takes stored messages, a page at a time). */
#define REPLAY_SLACK 8

struct replay {
    struct wsc__rel_op op;
    wsc__unode by_conn; /* rel->replays while the connection lives, keyed by its id */
    struct wsc__rel *owner;
    wsc__timer stall; /* the window has waited ack_timeout_ms for an ACK */
    uint64_t cursor;
    size_t inflight; /* replayed on this connection and not ACKed yet (the window) */
    wsc_msg **parked;
    size_t n_parked, cap;
    size_t limit;  /* size of the page asked for */
    bool fetching; /* a fetch is out (the op is in rel->ops) */
    bool holding;  /* the connection's application frames are parked here */
    bool gone;     /* the connection closed while a fetch was out */
    bool again;    /* more was stored meanwhile: go on past the end (wsc__replay_again) */
    bool waiting;  /* holding, but the first fetch waits for wsc__replay_go (a seek) */
};

/* --- replay
 *
 * Pages are fetched no larger than the room left in the connection's queue nor than the
 * window (hub config replay_window: replayed messages not yet ACKed on this connection), so
 * every page is queued whole and the cursor stays exact.  Each ACK of a replayed message on
 * the connection frees a slot of the window and resumes the replay; a window that waits
 * ack_timeout_ms without any ACK moves on (its messages stay stored for the next connect).
 * The window bounds what a dropped connection can have read without the hub seeing the
 * ACKs: that is what the next connect replays again.  When the queue's room runs out the
 * held live traffic is released and the replay waits for ACKs too. */

static struct replay *
replay_find(struct wsc__rel *rel, wsc_conn_id id)
{
    wsc__unode *n = wsc__hmap_find_u64(&rel->replays, id);
    return n ? wsc_container_of(n, struct replay, by_conn) : NULL;
}

static void
replay_free(struct replay *r)
{
    wsc__timer_stop(&r->stall);
    for (size_t i = 0; i < r->n_parked; i++)
        wsc_msg_unref(r->parked[i]);
    wsc__free(r->parked);
    wsc__free(r);
}

/* The connection takes live traffic again, parked messages first. */
static void
replay_release(struct wsc__rel *rel, struct replay *r, wsc_conn *conn)
{
    conn->replay_hold = false;
    r->holding = false;
    for (size_t i = 0; i < r->n_parked; i++) {
        wsc__hub_enqueue(rel->hub, conn, r->parked[i]);
        wsc_msg_unref(r->parked[i]);
    }
    r->n_parked = 0;
}

static void
replay_end(struct wsc__rel *rel, struct replay *r, wsc_conn *conn)
{
    replay_release(rel, r, conn);
    wsc__hmap_remove(&rel->replays, &r->by_conn.h);
    replay_free(r);
}

static size_t
queue_room(const wsc_hub *hub, const wsc_conn *conn)
{
    size_t len = wsc__conn_queue_len(&conn->q), max = hub->cfg.queue_max_count;
    size_t slack = max / 2 < REPLAY_SLACK ? max / 2 : REPLAY_SLACK;
    return len + slack >= max ? 0 : max - len - slack;
}

/* Free slots of r's window (SIZE_MAX without a window). */
static size_t
window_room(const struct wsc__rel *rel, const struct replay *r)
{
    size_t w = rel->hub->cfg.replay_window;
    if (w == 0)
        return SIZE_MAX;
    return r->inflight >= w ? 0 : w - r->inflight;
}

static void replay_fetch(struct wsc__rel *rel, struct replay *r, wsc_conn *conn);

/* After a page: go on, wait for ACKs (window full), or release the held traffic and wait
 * (queue full). */
static void
replay_next(struct wsc__rel *rel, struct replay *r, wsc_conn *conn)
{
    if (queue_room(rel->hub, conn) == 0) {
        replay_release(rel, r, conn); /* resumed by the next ACK */
    } else if (window_room(rel, r) == 0) {
        wsc__timer_start(&r->stall, rel->hub->cfg.ack.ack_timeout_ms);
    } else {
        replay_fetch(rel, r, conn);
    }
}

static void
replay_page(wsc_err status, wsc_msg *const *msgs, size_t count, uint64_t next_cursor, void *user)
{
    struct replay *r = user;
    struct wsc__rel *rel = wsc__rel_op_end(&r->op);
    r->fetching = false;
    wsc_conn *conn = rel && !r->gone ? wsc__hub_conn_find_open(rel->hub, r->by_conn.key) : NULL;
    if (conn == NULL) {
        /* Closing (not gone yet): the live messages parked behind the replay will never be
         * queued; they fail now, once, as its queue will (on_send_failed, WSC_ERR_CLOSED). */
        wsc_conn *closing = rel && !r->gone ? wsc__hub_conn_find(rel->hub, r->by_conn.key) : NULL;
        if (closing != NULL) {
            wsc__replay_closed(rel, closing);
            return;
        }
        if (rel != NULL && !r->gone)
            wsc__hmap_remove(&rel->replays, &r->by_conn.h);
        replay_free(r);
        return;
    }
    rel->replay_bypass = true;
    for (size_t i = 0; status == WSC_OK && i < count; i++) {
        wsc__hub_enqueue(rel->hub, conn, msgs[i]);
        rel->stats.replayed++;
        r->inflight++;
        wsc__replayed_put(&rel->replayed, conn->user->id, wsc_msg_get(msgs[i], WSC_F_MESSAGE_ID),
                          wsc_msg_get(msgs[i], WSC_F_SENDER));
        wsc__records_update(rel, wsc_msg_get(msgs[i], WSC_F_MESSAGE_ID), conn->user->id,
                            WSC_REC_DELIVERED, 1, WSC_OK);
    }
    rel->replay_bypass = false;
    if (status == WSC_OK && count < r->limit && r->again) {
        r->again = false; /* what was stored meanwhile lies past the end: fetch on */
    } else if (status != WSC_OK || count < r->limit) {
        replay_end(rel, r, conn); /* everything stored has been queued */
        return;
    }
    r->cursor = next_cursor;
    replay_next(rel, r, conn);
}

static void
replay_fetch(struct wsc__rel *rel, struct replay *r, wsc_conn *conn)
{
    size_t room = queue_room(rel->hub, conn), win = window_room(rel, r);
    r->limit = room < REPLAY_PAGE ? room : REPLAY_PAGE;
    r->limit = win < r->limit ? win : r->limit;
    wsc__timer_stop(&r->stall);
    wsc__rel_op_begin(rel, &r->op);
    r->fetching = true;
    wsc_err err =
        wsc_offline_fetch(rel->offline, conn->user->id, r->cursor, r->limit, replay_page, r);
    if (err != WSC_OK) {
        r->fetching = false;
        wsc__rel_op_end(&r->op);
        replay_end(rel, r, conn);
    }
}

/* No ACK for a whole ack timeout with the window full: what is in flight stays stored (the
 * next connect replays it) and the window moves on. */
static void
replay_stalled(wsc__timer *t)
{
    struct replay *r = wsc_container_of(t, struct replay, stall);
    struct wsc__rel *rel = r->owner;
    wsc_conn *conn = wsc__hub_conn_find(rel->hub, r->by_conn.key);
    r->inflight = 0;
    if (conn != NULL && conn->state == CONN_OPEN && !r->fetching)
        replay_next(rel, r, conn);
}

bool
wsc__replay_hold(struct wsc__rel *rel, wsc_conn *conn)
{
    if (rel->offline == NULL || queue_room(rel->hub, conn) == 0)
        return false;
    struct replay *r = wsc__calloc(1, sizeof(*r));
    if (r == NULL)
        return false;
    *r = (struct replay){.owner = rel, .holding = true};
    wsc__timer_init(&r->stall, rel->hub->loop, replay_stalled);
    wsc__hmap_insert_u64(&rel->replays, &r->by_conn, conn->id);
    conn->replay_hold = true;
    r->waiting = true;
    return true;
}

void
wsc__replay_go(struct wsc__rel *rel, wsc_conn *conn, uint64_t cursor)
{
    struct replay *r = replay_find(rel, conn->id);
    if (r == NULL || !r->waiting)
        return;
    r->waiting = false;
    r->cursor = cursor;
    replay_fetch(rel, r, conn);
}

void
wsc__replay_start(struct wsc__rel *rel, wsc_conn *conn)
{
    if (wsc__replay_hold(rel, conn))
        wsc__replay_go(rel, conn, 0);
}

void
wsc__replay_again(struct wsc__rel *rel, wsc_conn *conn)
{
    struct replay *r = replay_find(rel, conn->id);
    if (r == NULL)
        wsc__replay_start(rel, conn);
    else
        r->again = true;
}

void
wsc__replay_resume(struct wsc__rel *rel, wsc_conn *conn, bool acked)
{
    struct replay *r = replay_find(rel, conn->id);
    if (r == NULL)
        return;
    if (acked && r->inflight > 0)
        r->inflight--;
    if (!r->fetching && !r->waiting && queue_room(rel->hub, conn) > 0 && window_room(rel, r) > 0)
        replay_fetch(rel, r, conn);
}

bool
wsc__replay_park(struct wsc__rel *rel, wsc_conn *conn, wsc_msg *msg)
{
    if (rel->replay_bypass || wsc__msg_is_urgent(msg))
        return false;
    struct replay *r = replay_find(rel, conn->id);
    if (r == NULL || !r->holding)
        return false;
    /* A resend of a tracked message that is already parked: it is queued once. */
    for (size_t i = 0; i < r->n_parked; i++) {
        if (r->parked[i] == msg)
            return true;
    }
    /* Parked traffic is bounded like a queue: beyond that it goes out now, behind what
     * was parked (live messages may then overtake stored ones). */
    if (r->n_parked >= rel->hub->cfg.queue_max_count) {
        replay_release(rel, r, conn);
        return false;
    }
    if (r->n_parked == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 16;
        wsc_msg **v = wsc__realloc(r->parked, cap * sizeof(*v));
        if (v == NULL)
            return false;
        r->parked = v;
        r->cap = cap;
    }
    r->parked[r->n_parked++] = wsc_msg_ref(msg);
    return true;
}

void
wsc__replay_closed(struct wsc__rel *rel, wsc_conn *conn)
{
    struct replay *r = replay_find(rel, conn->id);
    if (r == NULL)
        return;
    wsc__hmap_remove(&rel->replays, &r->by_conn.h);
    conn->replay_hold = false;
    /* Parked messages were never queued: they fail like the rest of the queue. */
    for (size_t i = 0; i < r->n_parked; i++) {
        wsc__hub_report_failed(rel->hub, conn, r->parked[i], WSC_ERR_CLOSED);
        wsc_msg_unref(r->parked[i]);
    }
    r->n_parked = 0;
    if (r->fetching)
        r->gone = true; /* the fetch still out frees it */
    else
        replay_free(r);
}

/* The layer goes (a wsc__hmap_each callback): the messages parked behind the replay of node
 * fail like the rest of its connection's queue; the replay is freed unless its fetch is out
 * (that one is freed by its orphaned callback). */
static void
free_idle(wsc__hnode *node, void *arg)
{
    struct wsc__rel *rel = arg;
    struct replay *r = wsc_container_of(node, struct replay, by_conn.h);
    wsc_conn *conn = wsc__hub_conn_find(rel->hub, r->by_conn.key);
    for (size_t i = 0; i < r->n_parked; i++) {
        if (conn != NULL)
            wsc__hub_report_failed(rel->hub, conn, r->parked[i], WSC_ERR_CLOSED);
        wsc_msg_unref(r->parked[i]);
    }
    r->n_parked = 0;
    if (!r->fetching)
        replay_free(r);
}

void
wsc__replay_free_all(struct wsc__rel *rel)
{
    wsc__hmap_each(&rel->replays, free_idle, rel);
    wsc__hmap_clear(&rel->replays);
}

/* --- replayed senders
 *
 * A message_id is scoped to its sender (PROTOCOL.md §2) and the offline store keeps a copy
 * under (sender, message_id); an `ack` frame usually names only the message_id, so the hub
 * looks up here which copies it confirms: (user, message_id) -> senders, in one chained hash
 * table and a FIFO for the bound.  Beyond the bound the oldest entries are forgotten (their
 * ACK then removes only a copy without sender; the rest stays stored and is replayed again:
 * at-least-once, never lost). */

struct entry {
    wsc__fnode node;          /* r->entries */
    const char *mid, *sender; /* point into user[] */
    char user[];
};

struct rkey {
    const char *user, *mid;
};

static bool
entry_eq(const wsc__hnode *n, const void *key)
{
    const struct entry *e = wsc_container_of(n, struct entry, node.h);
    const struct rkey *k = key;
    return strcmp(e->mid, k->mid) == 0 && strcmp(e->user, k->user) == 0;
}

static void
entry_free(wsc__fnode *node)
{
    wsc__free(wsc_container_of(node, struct entry, node));
}

void
wsc__replayed_init(struct wsc__replayed *r, size_t cap)
{
    wsc__hfifo_init(&r->entries, cap, entry_free);
}

void
wsc__replayed_free(struct wsc__replayed *r)
{
    wsc__hfifo_clear(&r->entries);
}

/* The next entry of (user, mid) after n (NULL: the first). */
static struct entry *
find_next(struct wsc__replayed *r, const char *user, const char *mid, wsc__hnode *after)
{
    struct rkey k = {user, mid};
    uint64_t h = wsc__hash_pair(user, mid);
    wsc__hnode *n = after != NULL ? after->next : wsc__hmap_find(&r->entries.map, h, entry_eq, &k);
    if (after == NULL)
        return n != NULL ? wsc_container_of(n, struct entry, node.h) : NULL;
    for (; n != NULL; n = n->next) {
        if (n->hash == h && entry_eq(n, &k))
            return wsc_container_of(n, struct entry, node.h);
    }
    return NULL;
}

wsc_err
wsc__replayed_put(struct wsc__replayed *r, const char *user, const char *message_id,
                  const char *sender)
{
    sender = sender != NULL ? sender : "";
    for (struct entry *e = find_next(r, user, message_id, NULL); e != NULL;
         e = find_next(r, user, message_id, &e->node.h)) {
        if (strcmp(e->sender, sender) == 0)
            return WSC_OK;
    }
    size_t nu = strlen(user) + 1, nm = strlen(message_id) + 1, ns = strlen(sender) + 1;
    struct entry *e = wsc__malloc(sizeof(*e) + nu + nm + ns);
    if (e == NULL)
        return WSC_ERR_NOMEM;
    memcpy(e->user, user, nu);
    e->mid = memcpy(e->user + nu, message_id, nm);
    e->sender = memcpy(e->user + nu + nm, sender, ns);
    wsc__hfifo_push(&r->entries, &e->node, wsc__hash_pair(user, message_id));
    return WSC_OK;
}

size_t
wsc__replayed_take(struct wsc__replayed *r, const char *user, const char *message_id,
                   const char *sender, void (*fn)(const char *sender, void *arg), void *arg)
{
    size_t n = 0;
    struct entry *e = find_next(r, user, message_id, NULL);
    while (e != NULL) {
        struct entry *next = find_next(r, user, message_id, &e->node.h);
        if (sender == NULL || strcmp(e->sender, sender) == 0) {
            fn(e->sender, arg);
            wsc__hfifo_drop(&r->entries, &e->node);
            n++;
        }
        e = next;
    }
    return n;
}
