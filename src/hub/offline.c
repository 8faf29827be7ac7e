/* SPDX-License-Identifier: MIT */
/* The offline-message handler, over the offline repository of the hub's store: storing a
 * message for a receiver (once per (sender, message_id, receiver); the copy says source
 * "offline" and require_ack true), removing it when the receiver ACKs (every sender's copy of
 * that message_id the receiver was replayed, or the one the ACK's `sender` names), and replaying a
 * user's messages on a new connection before any live traffic.  While a replay is under way the
 * connection's application messages are parked here and queued after the replayed ones.  A stored
 * message leaves the store only on ACK (or clear/TTL): a connection that drops mid-replay leaves
 * the rest, and the whole backlog, for the next one. */
#include <stdint.h>
#include <string.h>

#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

#define REPLAY_PAGE 100
/* Queue slots a replay leaves free for control frames and the parked messages' head. */
#define REPLAY_SLACK 8

struct put_op {
    struct wsc__rel_op op;
    struct wsc__ack_pending *p; /* NULL for fire-and-forget stores */
};

struct remove_op {
    struct wsc__rel_op op;
    wsc_conn_id conn;
    char *user;
    char *mid;
};

struct replay {
    struct wsc__rel_op op;
    wsc__hnode node; /* rel->replays while the connection lives */
    struct wsc__rel *owner;
    wsc__timer stall; /* the window has waited ack_timeout_ms for an ACK */
    wsc_conn_id conn;
    uint64_t cursor;
    size_t inflight; /* replayed on this connection and not ACKed yet (the window) */
    wsc_msg **parked;
    size_t n_parked, cap;
    size_t limit;  /* size of the page asked for */
    bool fetching; /* a fetch is out (the op is in rel->ops) */
    bool holding;  /* the connection's application frames are parked here */
    bool gone;     /* the connection closed while a fetch was out */
};

void
wsc__rel_op_begin(struct wsc__rel *rel, struct wsc__rel_op *op)
{
    op->rel = rel;
    wsc_list_push_back(&rel->ops, &op->link);
}

struct wsc__rel *
wsc__rel_op_end(struct wsc__rel_op *op)
{
    if (op->rel != NULL)
        wsc_list_remove(&op->link);
    return op->rel;
}

/* The stored copy: the same message marked as a replay that must be ACKed. */
static wsc_msg *
offline_copy(wsc_msg *msg)
{
    wsc_msg *c = NULL;
    if (wsc_msg_clone(msg, &c) != WSC_OK)
        return NULL;
    if (wsc_msg_set(c, WSC_F_SOURCE, "offline") != WSC_OK ||
        wsc_msg_set_require_ack(c, true) != WSC_OK) {
        wsc_msg_unref(c);
        return NULL;
    }
    return c;
}

static void
put_done(wsc_err status, void *user)
{
    struct put_op *o = user;
    struct wsc__rel *rel = wsc__rel_op_end(&o->op);
    if (rel != NULL) {
        rel->stores_out--;
        if (o->p != NULL)
            wsc__ack_stored(o->p, status);
        if (rel->stopping)
            wsc__hub_drain_check(rel->hub);
    }
    wsc__free(o);
}

wsc_err
wsc__offline_put(struct wsc__rel *rel, const char *user, wsc_msg *msg, struct wsc__ack_pending *p)
{
    if (rel->offline == NULL)
        return WSC_ERR_UNSUPPORTED;
    struct put_op *o = wsc__calloc(1, sizeof(*o));
    wsc_msg *copy = o ? offline_copy(msg) : NULL;
    if (copy == NULL) {
        wsc__free(o);
        return WSC_ERR_NOMEM;
    }
    o->p = p;
    wsc__rel_op_begin(rel, &o->op);
    wsc_err err = wsc_offline_store(rel->offline, user, copy, put_done, o);
    wsc_msg_unref(copy);
    if (err != WSC_OK) {
        wsc__rel_op_end(&o->op);
        wsc__free(o);
        return err;
    }
    rel->stores_out++;
    return WSC_OK;
}

static void
remove_done(wsc_err status, void *user)
{
    struct remove_op *o = user;
    struct wsc__rel *rel = wsc__rel_op_end(&o->op);
    if (rel != NULL) {
        if (status == WSC_OK) {
            rel->stats.offline_acked++;
            wsc__records_update(rel, o->mid, o->user, WSC_REC_ACKED, 0, WSC_OK);
            wsc_conn *c = wsc__hub_conn_find(rel->hub, o->conn);
            if (c != NULL && c->state == CONN_OPEN)
                wsc__offline_replay_resume(rel, c, true);
        } else {
            rel->stats.acks_unknown++;
        }
    }
    wsc__free(o->user);
    wsc__free(o->mid);
    wsc__free(o);
}

struct ack_ctx {
    struct wsc__rel *rel;
    wsc_conn_id conn;
    const char *user, *mid;
};

/* Removes the copy of (sender, mid) stored for the user ("" sender: a message without one). */
static void
remove_copy(const char *sender, void *arg)
{
    struct ack_ctx *a = arg;
    struct wsc__rel *rel = a->rel;
    char key[WSC_MSG_KEY_MAX];
    struct remove_op *o = wsc__calloc(1, sizeof(*o));
    if (o == NULL)
        return;
    o->conn = a->conn;
    o->user = wsc__strdup(a->user);
    o->mid = wsc__strdup(a->mid);
    wsc__rel_op_begin(rel, &o->op);
    if (o->user == NULL || o->mid == NULL ||
        wsc_msg_key(sender, a->mid, key, sizeof(key)) != WSC_OK ||
        wsc_offline_remove(rel->offline, a->user, key, remove_done, o) != WSC_OK) {
        wsc__rel_op_end(&o->op);
        wsc__free(o->user);
        wsc__free(o->mid);
        wsc__free(o);
    }
}

void
wsc__offline_acked(struct wsc__rel *rel, wsc_conn_id conn, const char *user, const char *sender,
                   const char *message_id)
{
    if (rel->offline == NULL) {
        rel->stats.acks_unknown++;
        return;
    }
    struct ack_ctx a = {rel, conn, user, message_id};
    /* The copies replayed to the user under that id (only sender's, when named); when none is
     * known, the copy the ACK names (sender's, or the one without a sender). */
    if (wsc__replayed_take(&rel->replayed, user, message_id, sender, remove_copy, &a) == 0)
        remove_copy(sender != NULL ? sender : "", &a);
}

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

static bool
replay_eq(const wsc__hnode *n, const void *key)
{
    return wsc_container_of(n, struct replay, node)->conn == *(const wsc_conn_id *)key;
}

static struct replay *
replay_find(struct wsc__rel *rel, wsc_conn_id id)
{
    wsc__hnode *n = wsc__hmap_find(&rel->replays, wsc__hash_u64(id), replay_eq, &id);
    return n ? wsc_container_of(n, struct replay, node) : NULL;
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
    wsc__hmap_remove(&rel->replays, &r->node);
    replay_free(r);
}

static size_t
queue_room(const wsc_hub *hub, const wsc_conn *conn)
{
    size_t len = wsc__conn_queue_len(&conn->q), max = hub->cfg.queue_max_count;
    return len + REPLAY_SLACK >= max ? 0 : max - len - REPLAY_SLACK;
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
    wsc_conn *conn = rel && !r->gone ? wsc__hub_conn_find(rel->hub, r->conn) : NULL;
    if (conn == NULL || conn->state != CONN_OPEN) {
        if (rel != NULL && !r->gone)
            wsc__hmap_remove(&rel->replays, &r->node);
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
    if (status != WSC_OK || count < r->limit) {
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
    wsc_conn *conn = wsc__hub_conn_find(rel->hub, r->conn);
    r->inflight = 0;
    if (conn != NULL && conn->state == CONN_OPEN && !r->fetching)
        replay_next(rel, r, conn);
}

void
wsc__offline_replay_start(struct wsc__rel *rel, wsc_conn *conn)
{
    if (rel->offline == NULL || queue_room(rel->hub, conn) == 0)
        return;
    struct replay *r = wsc__calloc(1, sizeof(*r));
    if (r == NULL)
        return;
    r->conn = conn->id;
    r->owner = rel;
    r->holding = true;
    wsc__timer_init(&r->stall, rel->hub->loop, replay_stalled);
    wsc__hmap_insert(&rel->replays, &r->node, wsc__hash_u64(conn->id));
    conn->replay_hold = true;
    replay_fetch(rel, r, conn);
}

void
wsc__offline_replay_resume(struct wsc__rel *rel, wsc_conn *conn, bool acked)
{
    struct replay *r = replay_find(rel, conn->id);
    if (r == NULL)
        return;
    if (acked && r->inflight > 0)
        r->inflight--;
    if (!r->fetching && queue_room(rel->hub, conn) > 0 && window_room(rel, r) > 0)
        replay_fetch(rel, r, conn);
}

bool
wsc__offline_park(struct wsc__rel *rel, wsc_conn *conn, wsc_msg *msg)
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
wsc__offline_replay_closed(struct wsc__rel *rel, wsc_conn *conn)
{
    struct replay *r = replay_find(rel, conn->id);
    if (r == NULL)
        return;
    wsc__hmap_remove(&rel->replays, &r->node);
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

void
wsc__offline_free_replays(struct wsc__rel *rel)
{
    /* Replays whose fetch is out are freed by its (orphaned) callback; the others here. */
    if (rel->replays.buckets != NULL) {
        for (size_t i = 0; i <= rel->replays.mask; i++) {
            wsc__hnode *n = rel->replays.buckets[i];
            while (n != NULL) {
                wsc__hnode *next = n->next;
                struct replay *r = wsc_container_of(n, struct replay, node);
                if (!r->fetching)
                    replay_free(r);
                n = next;
            }
        }
    }
    wsc__hmap_clear(&rel->replays);
}

/* --- public API */

static struct wsc_offline_repo *
repo_of(wsc_hub *hub)
{
    return hub && hub->rel ? hub->rel->offline : NULL;
}

wsc_err
wsc_hub_offline_fetch(wsc_hub *hub, const char *user_id, uint64_t after_cursor, size_t limit,
                      wsc_offline_fetch_cb cb, void *user)
{
    struct wsc_offline_repo *r = repo_of(hub);
    if (r == NULL || user_id == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    return wsc_offline_fetch(r, user_id, after_cursor, limit, cb, user);
}

wsc_err
wsc_hub_offline_mark_delivered(wsc_hub *hub, const char *user_id, const char *message_id,
                               wsc_repo_done_cb cb, void *user)
{
    if (hub == NULL || hub->rel == NULL || hub->rel->records == NULL || user_id == NULL ||
        message_id == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    return wsc_record_update(hub->rel->records, message_id, user_id, WSC_REC_DELIVERED, 0, WSC_OK,
                             NULL, cb, user);
}

wsc_err
wsc_hub_offline_count(wsc_hub *hub, const char *user_id, wsc_repo_count_cb cb, void *user)
{
    struct wsc_offline_repo *r = repo_of(hub);
    if (r == NULL || user_id == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    return wsc_offline_count(r, user_id, cb, user);
}

wsc_err
wsc_hub_offline_clear(wsc_hub *hub, const char *user_id, wsc_repo_done_cb cb, void *user)
{
    struct wsc_offline_repo *r = repo_of(hub);
    if (r == NULL || user_id == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    return wsc_offline_clear(r, user_id, cb, user);
}
