/* SPDX-License-Identifier: MIT */
/* The offline store as the hub uses it, over the offline repository of its store: storing a
 * message for a receiver (once per (sender, message_id, receiver); the copy says source
 * "offline" and require_ack true), removing it when the receiver ACKs (every sender's copy of
 * that message_id the receiver was replayed, or the one the ACK's `sender` names), and the
 * public wsc_hub_offline_* calls.  A stored message leaves the store only on ACK (or clear/TTL).
 * Replaying it on a new connection is replay.c's. */
#include <string.h>

#include "hub/cluster.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"

struct put_op {
    struct wsc__rel_op op;
    struct wsc__ack_pending *p; /* NULL for fire-and-forget stores */
    char user[];                /* the receiver */
};

struct remove_op {
    struct wsc__rel_op op;
    wsc_conn_id conn;
    char *user;
    char *mid;
};

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
        /* A node of the cluster holding the user may have replayed before this landed (not
         * for a durable copy: its message is on its way live). */
        if (status == WSC_OK && (o->p == NULL || !o->p->copying))
            wsc__cluster_stored(rel->hub, o->user);
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
    size_t len = strlen(user) + 1;
    struct put_op *o = wsc__calloc(1, sizeof(*o) + len);
    wsc_msg *copy = o ? offline_copy(msg) : NULL;
    if (copy == NULL) {
        wsc__free(o);
        return WSC_ERR_NOMEM;
    }
    o->p = p;
    memcpy(o->user, user, len);
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
remove_op_free(struct remove_op *o)
{
    wsc__free(o->user);
    wsc__free(o->mid);
    wsc__free(o);
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
            wsc_conn *c = wsc__hub_conn_find_open(rel->hub, o->conn);
            if (c != NULL)
                wsc__replay_resume(rel, c, true);
        } else {
            rel->stats.acks_unknown++;
        }
    }
    remove_op_free(o);
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
        remove_op_free(o);
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
    return wsc_offline_fetch(repo_of(hub), user_id, after_cursor, limit, cb, user);
}

wsc_err
wsc_hub_offline_mark_delivered(wsc_hub *hub, const char *user_id, const char *message_id,
                               wsc_repo_done_cb cb, void *user)
{
    struct wsc_record_repo *r = hub != NULL && hub->rel != NULL ? hub->rel->records : NULL;
    return wsc_record_update(r, message_id, user_id, WSC_REC_DELIVERED, 0, WSC_OK, NULL, cb, user);
}

wsc_err
wsc_hub_offline_count(wsc_hub *hub, const char *user_id, wsc_repo_count_cb cb, void *user)
{
    return wsc_offline_count(repo_of(hub), user_id, cb, user);
}

wsc_err
wsc_hub_offline_clear(wsc_hub *hub, const char *user_id, wsc_repo_done_cb cb, void *user)
{
    return wsc_offline_clear(repo_of(hub), user_id, cb, user);
}
