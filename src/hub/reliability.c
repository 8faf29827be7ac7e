/* SPDX-License-Identifier: MIT */
/* The reliability layer's life and its hooks into the hub: creation with the hub's store (a
 * memory store of its own when none is given), graceful stop (pending messages to the store),
 * freeing, connection open/close, client `ack` frames, client receipts and the dedupe window,
 * and the public ACK send calls. */
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "hub/retry.h"
#include "models/alloc.h"
#include "models/msg_internal.h"
#include "protocol/frames.h"

#define WHEEL_SLOTS 1024
/* Replayed stored messages whose sender is remembered until their ACK (replayed.h). */
#define REPLAYED_MAX 65536

static wsc_err
attach_store(struct wsc__rel *rel, wsc_hub *hub)
{
    rel->store = hub->cfg.store;
    if (rel->store == NULL) {
        wsc_err err = wsc_repo_memory_new(hub->loop, NULL, &rel->store);
        if (err != WSC_OK)
            return err;
        rel->own_store = true;
    }
    rel->offline = wsc_store_offline(rel->store);
    rel->records = wsc_store_records(rel->store);
    return WSC_OK;
}

wsc_err
wsc__rel_new(wsc_hub *hub)
{
    if (!wsc__retry_opts_valid(&hub->cfg.ack))
        return WSC_ERR_INVALID;
    struct wsc__rel *rel = wsc__calloc(1, sizeof(*rel));
    if (rel == NULL)
        return WSC_ERR_NOMEM;
    rel->hub = hub;
    wsc__hmap_init(&rel->pending);
    wsc__hmap_init(&rel->users);
    wsc__hmap_init(&rel->replays);
    wsc_list_init(&rel->ops);
    wsc_list_init(&rel->accepts);
    wsc__timer_init(&rel->accept_timer, hub->loop, wsc__accept_fire);
    wsc__hub_dedupe_init(&rel->dedupe, hub->cfg.dedupe_window, hub->cfg.dedupe_max_users);
    wsc__replayed_init(&rel->replayed, REPLAYED_MAX);
    rel->rng = hub->cfg.rng_seed ? hub->cfg.rng_seed : wsc__wall_ms() ^ (uintptr_t)hub;
    hub->rel = rel;
    wsc_err err = wsc__wheel_init(&rel->wheel, WHEEL_SLOTS, hub->cfg.ack_tick_ms, wsc__now_ms());
    if (err == WSC_OK) {
        wsc__wheel_attach(&rel->wheel, hub->loop);
        err = attach_store(rel, hub);
    }
    if (err != WSC_OK)
        wsc__rel_free(hub);
    return err;
}

void
wsc__rel_free(wsc_hub *hub)
{
    struct wsc__rel *rel = hub->rel;
    if (rel == NULL)
        return;
    /* A store that outlives the hub still gets what was pending (an ungraceful free). */
    if (!rel->stopping && !rel->own_store && rel->store != NULL)
        wsc__ack_store_all(rel);
    rel->stopping = true;
    if (rel->own_store)
        wsc_store_close(rel->store); /* its ops complete now, with WSC_ERR_CANCELED */
    while (!wsc_list_empty(&rel->ops)) {
        struct wsc__rel_op *op = wsc_container_of(rel->ops.next, struct wsc__rel_op, link);
        wsc_list_remove(&op->link);
        op->rel = NULL;
    }
    wsc__ack_cancel_all(rel);
    wsc__accept_flush_all(rel);
    wsc__timer_stop(&rel->accept_timer);
    wsc__offline_free_replays(rel);
    wsc__wheel_free(&rel->wheel);
    wsc__hmap_clear(&rel->pending);
    wsc__hmap_clear(&rel->users);
    wsc__hub_dedupe_free(&rel->dedupe);
    wsc__replayed_free(&rel->replayed);
    hub->rel = NULL;
    wsc__free(rel);
}

void
wsc__rel_stop(wsc_hub *hub)
{
    if (hub->rel == NULL || hub->rel->stopping)
        return;
    hub->rel->stopping = true;
    wsc__ack_store_all(hub->rel);
}

bool
wsc__rel_idle(const wsc_hub *hub)
{
    return hub->rel == NULL || hub->rel->stores_out == 0;
}

void
wsc__rel_conn_open(wsc_hub *hub, wsc_conn *conn)
{
    if (hub->rel == NULL)
        return;
    /* Replay first: it holds the connection's application traffic until the stored
     * messages are queued; the resends of pending messages are held behind them. */
    wsc__offline_replay_start(hub->rel, conn);
    wsc__ack_resend_user(hub->rel, conn);
}

void
wsc__rel_conn_closed(wsc_hub *hub, wsc_conn *conn)
{
    if (hub->rel != NULL)
        wsc__offline_replay_closed(hub->rel, conn);
}

bool
wsc__rel_park(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    return hub->rel != NULL && wsc__offline_park(hub->rel, conn, msg);
}

void
wsc__rel_client_ack(wsc_hub *hub, wsc_conn *conn, const char *sender, const char *message_id)
{
    struct wsc__rel *rel = hub->rel;
    if (rel == NULL || message_id == NULL)
        return;
    /* Any connection of the receiver counts: the key is (message_id, user). */
    if (sender != NULL && sender[0] == '\0')
        sender = NULL;
    if (wsc__ack_acked(rel, sender, message_id, conn->user->id) == 0) {
        wsc__offline_acked(rel, conn->id, conn->user->id, sender, message_id);
        /* Maybe another node's message, delivered here: its tracker is there. */
        wsc__cluster_ack(hub, conn->user->id, sender, message_id);
    }
}

void
wsc__rel_remote_ack(wsc_hub *hub, const char *user, const char *sender, const char *message_id)
{
    if (hub->rel != NULL)
        (void)wsc__ack_acked(hub->rel, sender, message_id, user);
}

static const char *const receipt_names[] = {NULL, "delivered", "stored", "rejected"};

/* A refusal that a resend may overcome is not remembered: the resend is handled anew. */
static bool
transient_refusal(const char *status, const char *error)
{
    return strcmp(status, "rejected") == 0 && error != NULL &&
           (strcmp(error, "store_unavailable") == 0 || strcmp(error, "internal") == 0 ||
            strcmp(error, "queue_full") == 0 || strcmp(error, "inbox_full") == 0);
}

void
wsc__rel_receipt_to(wsc_hub *hub, wsc_conn *conn, const char *sender, const char *mid,
                    const char *status, const char *error)
{
    if (hub->rel != NULL && transient_refusal(status, error)) {
        wsc__hub_dedupe_forget(&hub->rel->dedupe, sender, mid);
    } else if (hub->rel != NULL) {
        enum wsc__receipt r = WSC__RECEIPT_REJECTED;
        for (int i = 1; i < 4; i++)
            r = strcmp(status, receipt_names[i]) == 0 ? (enum wsc__receipt)i : r;
        wsc__hub_dedupe_put(&hub->rel->dedupe, sender, mid, r, error);
    }
    wsc_msg *m = NULL;
    if (conn == NULL || wsc__proto_ack(&m, mid, status, error) != WSC_OK)
        return;
    wsc__msg_set_urgent_lane(m);
    wsc__hub_enqueue(hub, conn, m);
    wsc_msg_unref(m);
}

void
wsc__rel_receipt(wsc_hub *hub, wsc_conn *conn, const wsc_msg *msg, const char *status,
                 const char *error)
{
    wsc__rel_receipt_to(hub, conn, conn->user->id, wsc_msg_get(msg, WSC_F_MESSAGE_ID), status,
                        error);
}

bool
wsc__rel_inbound_duplicate(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    struct wsc__rel *rel = hub->rel;
    const char *mid = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    if (rel == NULL || mid == NULL)
        return false;
    enum wsc__receipt r = WSC__RECEIPT_NONE;
    const char *error = NULL;
    if (!wsc__hub_dedupe_seen(&rel->dedupe, conn->user->id, mid, &r, &error)) {
        wsc__hub_dedupe_put(&rel->dedupe, conn->user->id, mid, WSC__RECEIPT_NONE, NULL);
        return false;
    }
    rel->stats.duplicates++;
    if (r != WSC__RECEIPT_NONE && wsc_msg_require_ack(msg))
        wsc__rel_receipt(hub, conn, msg, receipt_names[r], error);
    return true;
}

wsc_err
wsc__rel_prepare(wsc_hub *hub, wsc_msg *msg, wsc_msg **out)
{
    bool has_id = wsc_msg_get(msg, WSC_F_MESSAGE_ID) != NULL;
    wsc_msg *m = NULL;
    if (wsc_msg_is_frozen(msg)) {
        if (!has_id || wsc_msg_is_binary(msg))
            return WSC_ERR_INVALID;
        if (wsc_msg_require_ack(msg)) {
            m = wsc_msg_ref(msg);
        } else {
            wsc_err err = wsc_msg_clone(msg, &m);
            if (err == WSC_OK)
                err = wsc_msg_set_require_ack(m, true);
            if (err != WSC_OK) {
                wsc_msg_unref(m);
                return err;
            }
        }
    } else {
        if (wsc_msg_is_binary(msg))
            return WSC_ERR_INVALID;
        if (!has_id) {
            char id[WSC__PROTO_ID_MAX];
            wsc__hub_make_msg_id(hub, id, sizeof(id));
            if (wsc_msg_get(msg, WSC_F_ID) == NULL)
                wsc_msg_set(msg, WSC_F_ID, id);
            wsc_msg_set(msg, WSC_F_MESSAGE_ID, id);
        }
        wsc_msg_set_require_ack(msg, true);
        m = wsc_msg_ref(msg);
    }
    wsc_err err = wsc__msg_encode(m);
    if (err != WSC_OK || wsc_msg_get(m, WSC_F_MESSAGE_ID) == NULL) {
        wsc_msg_unref(m);
        return err != WSC_OK ? err : WSC_ERR_NOMEM;
    }
    *out = m;
    return WSC_OK;
}

bool
wsc__rel_route_client(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    struct wsc__rel *rel = hub->rel;
    const char *receiver = wsc_msg_get(msg, WSC_F_RECEIVER);
    if (rel == NULL || rel->stopping || !wsc_msg_require_ack(msg) || receiver == NULL ||
        wsc_msg_group_count(msg) > 0 || wsc_msg_get(msg, WSC_F_BROADCAST_TYPE) != NULL)
        return false;
    wsc_msg *m = NULL;
    struct wsc__accept *acc = NULL;
    char key[WSC_MSG_KEY_MAX]; /* the receiver in the sender's app */
    if (wsc__conn_scope(conn, receiver, key, sizeof(key)) == WSC_OK &&
        wsc__rel_prepare(hub, msg, &m) == WSC_OK)
        acc = wsc__accept_receipt(hub, conn, m);
    if (acc == NULL) {
        wsc_msg_unref(m);
        wsc__rel_receipt(hub, conn, msg, "rejected", "internal");
        return true;
    }
    /* Already pending from an earlier copy that fell out of the window: a duplicate. */
    wsc__accept_start(acc, key, m, &hub->cfg.ack);
    wsc_msg_unref(m);
    wsc__accept_seal(acc);
    return true;
}

/* --- public API */

/* Arguments only: safe on any thread (reads nothing the loop writes). */
static wsc_err
check_args(wsc_hub *hub, wsc_msg *msg, const wsc_ack_opts *opts)
{
    if (hub == NULL || hub->rel == NULL || msg == NULL)
        return WSC_ERR_INVALID;
    if (opts != NULL && !wsc__retry_opts_valid(opts))
        return WSC_ERR_INVALID;
    /* What prepare() would refuse on the loop is refused here already, on any thread. */
    if (wsc_msg_is_binary(msg) ||
        (wsc_msg_is_frozen(msg) && wsc_msg_get(msg, WSC_F_MESSAGE_ID) == NULL))
        return WSC_ERR_INVALID;
    return WSC_OK;
}

wsc_err
wsc__rel_check_state(const wsc_hub *hub)
{
    if (hub->freeing || hub->rel == NULL)
        return WSC_ERR_CANCELED;
    return hub->rel->stopping || hub->draining ? WSC_ERR_STATE : WSC_OK;
}

static bool
users_valid(const char *const *user_ids, size_t n)
{
    if (user_ids == NULL && n > 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (user_ids[i] == NULL || user_ids[i][0] == '\0')
            return false;
    }
    return true;
}

wsc_err
wsc_hub_send_to_user_ack(wsc_hub *hub, const char *user_id, wsc_msg *msg, const wsc_ack_opts *opts,
                         wsc_delivery_cb done, void *user)
{
    wsc_err err = check_args(hub, msg, opts);
    if (err != WSC_OK || user_id == NULL || user_id[0] == '\0')
        return err != WSC_OK ? err : WSC_ERR_INVALID;
    if (!wsc_loop_is_loop_thread(hub->loop))
        return wsc__ack_post(hub, &user_id, 1, NULL, NULL, msg, opts, done, user);
    if ((err = wsc__rel_check_state(hub)) != WSC_OK)
        return err == WSC_ERR_CANCELED ? WSC_ERR_STATE : err;
    wsc_msg *m = NULL;
    err = wsc__rel_prepare(hub, msg, &m);
    if (err == WSC_OK)
        err = wsc__ack_start(hub->rel, user_id, m, opts ? opts : &hub->cfg.ack, done, user, NULL);
    wsc_msg_unref(m);
    return err;
}

/* Completion of a receiver that could not even be tracked (already pending, or refused when
 * a send handed over from another thread reached the loop). */
struct refused {
    wsc__timer t;
    wsc_err why;
    wsc_delivery_cb done;
    void *user;
    wsc_msg *msg;
    char id[];
};

static void
refused_fire(wsc__timer *t)
{
    struct refused *r = wsc_container_of(t, struct refused, t);
    wsc_delivery d = {WSC_DELIVERY_FAILED, r->why, wsc_msg_get(r->msg, WSC_F_MESSAGE_ID), r->id, 0};
    r->done(r->why, &d, r->user);
    wsc_msg_unref(r->msg);
    wsc__free(r);
}

wsc_err
wsc__rel_refuse_later(wsc_hub *hub, const char *uid, wsc_msg *m, wsc_err why, wsc_delivery_cb done,
                      void *user)
{
    size_t len = strlen(uid);
    struct refused *r = wsc__calloc(1, sizeof(*r) + len + 1);
    if (r == NULL)
        return WSC_ERR_NOMEM;
    memcpy(r->id, uid, len + 1);
    r->why = why;
    r->done = done;
    r->user = user;
    r->msg = wsc_msg_ref(m);
    wsc__timer_init(&r->t, hub->loop, refused_fire);
    wsc__timer_start(&r->t, 0);
    return WSC_OK;
}

wsc_err
wsc__rel_start_many(wsc_hub *hub, const char *uid, wsc_msg *m, const wsc_ack_opts *opts,
                    wsc_delivery_cb done, void *user, size_t *n)
{
    wsc_err err = wsc__ack_start(hub->rel, uid, m, opts, done, user, NULL);
    if (err == WSC_OK)
        (*n)++;
    else if (err == WSC_ERR_EXISTS && done != NULL)
        err = wsc__rel_refuse_later(hub, uid, m, WSC_ERR_EXISTS, done, user);
    return err == WSC_ERR_EXISTS ? WSC_OK : err;
}

wsc_err
wsc_hub_send_to_users_ack(wsc_hub *hub, const char *const *user_ids, size_t n, wsc_msg *msg,
                          const wsc_ack_opts *opts, wsc_delivery_cb done, void *user,
                          size_t *n_started)
{
    if (n_started != NULL)
        *n_started = 0;
    wsc_err err = check_args(hub, msg, opts);
    if (err == WSC_OK && !users_valid(user_ids, n))
        err = WSC_ERR_INVALID;
    if (err != WSC_OK)
        return err;
    if (!wsc_loop_is_loop_thread(hub->loop))
        return wsc__ack_post(hub, user_ids, n, NULL, NULL, msg, opts, done, user);
    if ((err = wsc__rel_check_state(hub)) != WSC_OK)
        return err == WSC_ERR_CANCELED ? WSC_ERR_STATE : err;
    wsc_msg *m = NULL;
    size_t started = 0;
    err = wsc__rel_prepare(hub, msg, &m);
    for (size_t i = 0; err == WSC_OK && i < n; i++)
        err = wsc__rel_start_many(hub, user_ids[i], m, opts ? opts : &hub->cfg.ack, done, user,
                                  &started);
    wsc_msg_unref(m);
    if (n_started != NULL)
        *n_started = started;
    return err;
}

wsc_err
wsc__rel_group_users(wsc_hub *hub, const char *group_id, const char *exclude_user, char ***members,
                     size_t *n)
{
    size_t k = 0;
    wsc_err err = wsc_hub_group_members(hub, group_id, members, n);
    if (err != WSC_OK)
        return err;
    /* Compact the member list without the excluded user, in place. */
    for (size_t i = 0; i < *n; i++) {
        if (exclude_user == NULL || strcmp((*members)[i], exclude_user) != 0)
            (*members)[k++] = (*members)[i];
    }
    *n = k;
    return WSC_OK;
}

wsc_err
wsc_hub_send_to_group_ack(wsc_hub *hub, const char *group_id, wsc_msg *msg,
                          const char *exclude_user, const wsc_ack_opts *opts, wsc_delivery_cb done,
                          void *user, size_t *n_started)
{
    if (n_started != NULL)
        *n_started = 0;
    wsc_err err = check_args(hub, msg, opts);
    if (err != WSC_OK || group_id == NULL)
        return err != WSC_OK ? err : WSC_ERR_INVALID;
    if (!wsc_loop_is_loop_thread(hub->loop))
        return wsc__ack_post(hub, NULL, 0, group_id, exclude_user, msg, opts, done, user);
    if ((err = wsc__rel_check_state(hub)) != WSC_OK)
        return err == WSC_ERR_CANCELED ? WSC_ERR_STATE : err;
    char **members = NULL;
    size_t n = 0;
    err = wsc__rel_group_users(hub, group_id, exclude_user, &members, &n);
    if (err != WSC_OK)
        return err;
    err = wsc_hub_send_to_users_ack(hub, (const char *const *)members, n, msg, opts, done, user,
                                    n_started);
    wsc_free(members);
    return err;
}

void
wsc_hub_get_reliability_stats(const wsc_hub *hub, wsc_reliability_stats *out)
{
    if (out == NULL)
        return;
    memset(out, 0, sizeof(*out));
    if (hub != NULL && hub->rel != NULL)
        *out = hub->rel->stats;
}
