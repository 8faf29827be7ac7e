/* SPDX-License-Identifier: MIT */
/* The reliability layer (wsc/reliability.h) as the hub sees it: its life (creation with the hub's
 * store, or a memory store of its own when none is given; graceful stop, when pending messages go
 * to the store; freeing), the hooks the hub calls when a connection opens or closes and when a
 * client's `ack` frame comes, the asynchronous store ops it keeps count of, and the store's health
 * (a ping every store_check_ms; /readyz answers 503 while it fails).  Loop thread only. */
#include <string.h>

#include "hub/cluster.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"

#define WHEEL_SLOTS 1024
/* Replayed stored messages whose sender is remembered until their ACK (replay.c). */
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
    wsc__replay_free_all(rel);
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
wsc__rel_conn_open(wsc_hub *hub, wsc_conn *conn, const char *resume_after)
{
    if (hub->rel == NULL)
        return;
    /* Replay first: it holds the connection's application traffic until the stored
     * messages are queued; the resends of pending messages are held behind them. */
    if (resume_after != NULL && resume_after[0] != '\0')
        wsc__replay_seek(hub->rel, conn, resume_after);
    else
        wsc__replay_start(hub->rel, conn);
    wsc__ack_resend_user(hub->rel, conn);
}

void
wsc__rel_conn_closed(wsc_hub *hub, wsc_conn *conn)
{
    if (hub->rel != NULL)
        wsc__replay_closed(hub->rel, conn);
}

bool
wsc__rel_park(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    return hub->rel != NULL && wsc__replay_park(hub->rel, conn, msg);
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
    if (wsc__ack_acked(rel, sender, message_id, conn->user->id, conn->id) == 0) {
        wsc__offline_acked(rel, conn->id, conn->user->id, sender, message_id);
        /* Maybe another node's message, delivered here: its tracker is there. */
        wsc__cluster_ack(hub, conn->user->id, sender, message_id);
    }
}

void
wsc__rel_stored_elsewhere(wsc_hub *hub, const char *user)
{
    struct hub_user *u = wsc__hub_user_find(hub, user);
    if (hub->rel == NULL || u == NULL)
        return;
    struct wsc_list *pos;
    wsc_list_foreach(pos, &u->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, user_link);
        if (c->state == CONN_OPEN)
            wsc__replay_again(hub->rel, c);
    }
}

void
wsc__rel_remote_ack(wsc_hub *hub, const char *user, const char *sender, const char *message_id)
{
    if (hub->rel != NULL)
        (void)wsc__ack_acked(hub->rel, sender, message_id, user, 0);
}

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

struct wsc_store *
wsc__rel_store(const wsc_hub *hub)
{
    return hub->rel != NULL ? hub->rel->store : NULL;
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

/* --- store health: one ping at a time.  A failed ping (STORE, TIMEOUT) marks the store down
 * until a ping succeeds again; local WebSocket delivery is not affected.  The store may
 * outlive the hub, so a ping in flight when the hub goes is orphaned: its callback only frees
 * it. */

struct wsc__store_probe {
    wsc_hub *hub; /* NULL once orphaned */
};

static void
probe_done(wsc_err status, void *user)
{
    struct wsc__store_probe *p = user;
    wsc_hub *hub = p->hub;
    wsc__free(p);
    if (hub == NULL || status == WSC_ERR_CANCELED)
        return;
    hub->probe = NULL;
    bool down = status != WSC_OK;
    if (down != hub->store_down) {
        wsc__log(&hub->log, down ? WSC_LOG_WARN : WSC_LOG_INFO, down ? "store_down" : "store_up",
                 "s:backend,s:error", wsc_store_backend(hub->rel->store), wsc_strerror(status));
    }
    hub->store_down = down;
}

static void
check(wsc__timer *t)
{
    wsc_hub *hub = wsc_container_of(t, wsc_hub, store_check);
    if (hub->probe == NULL && hub->rel != NULL && hub->rel->store != NULL) {
        struct wsc__store_probe *p = wsc__calloc(1, sizeof(*p));
        if (p != NULL) {
            p->hub = hub;
            if (wsc_store_ping(hub->rel->store, probe_done, p) == WSC_OK)
                hub->probe = p;
            else
                wsc__free(p);
        }
    }
    wsc__timer_start(&hub->store_check, hub->cfg.store_check_ms);
}

void
wsc__hub_store_check_start(wsc_hub *hub)
{
    if (hub->cfg.store_check_ms == 0)
        return;
    hub->store_check.cb = check;
    wsc__timer_start(&hub->store_check, hub->cfg.store_check_ms);
}

void
wsc__hub_store_check_stop(wsc_hub *hub)
{
    wsc__timer_stop(&hub->store_check);
    if (hub->probe != NULL)
        hub->probe->hub = NULL;
    hub->probe = NULL;
}
