/* SPDX-License-Identifier: MIT */
/* Client messages with require_ack (PROTOCOL.md §3): routed through the ACK tracker to one
 * receiver or to the members of groups, and answered with a receipt once every receiver is
 * accounted for (accept.c): "delivered" when one has a live connection, "stored" when the
 * offline store confirmed, "rejected" with a reason otherwise.  The hub's window of client
 * message_ids answers a resend with the receipt it got and does not route it twice; a refusal a
 * resend may overcome is forgotten so that the resend is handled anew.
 *
 * The window: per user, the last dedupe_window message_ids with their receipts; the windows of
 * at most dedupe_max_users users are kept, the least recently used one goes first.  One hash
 * table indexes every remembered (user, id) pair; each user's window is a FIFO list so eviction
 * is O(1), and the windows sit in an LRU list. */
#include <string.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"
#include "protocol/frames.h"

/* --- the window of client message_ids */

#include "models/alloc.h"

struct window {
    wsc__snode node;      /* d->users, by user */
    struct wsc_list lru;  /* d->lru */
    struct wsc_list fifo; /* entries, oldest first */
    size_t n;
    char user[];
};

struct entry {
    wsc__hnode node;      /* d->ids */
    struct wsc_list link; /* window->fifo */
    struct window *w;
    enum wsc__receipt receipt;
    const char *error;
    char id[];
};

struct ukey {
    const char *user;
    const char *id;
};

static bool
entry_eq(const wsc__hnode *n, const void *key)
{
    const struct entry *e = wsc_container_of(n, struct entry, node);
    const struct ukey *k = key;
    return strcmp(e->id, k->id) == 0 && strcmp(e->w->user, k->user) == 0;
}

void
wsc__hub_dedupe_init(struct wsc__hub_dedupe *d, size_t per_user, size_t max_users)
{
    memset(d, 0, sizeof(*d));
    wsc__hmap_init(&d->ids);
    wsc__hmap_init(&d->users);
    wsc_list_init(&d->lru);
    d->per_user = per_user;
    d->max_users = max_users ? max_users : 1;
}

static void
entry_drop(struct wsc__hub_dedupe *d, struct entry *e)
{
    wsc__hmap_remove(&d->ids, &e->node);
    wsc_list_remove(&e->link);
    e->w->n--;
    wsc__free(e);
}

static void
window_drop(struct wsc__hub_dedupe *d, struct window *w)
{
    while (!wsc_list_empty(&w->fifo))
        entry_drop(d, wsc_container_of(w->fifo.next, struct entry, link));
    wsc__hmap_remove(&d->users, &w->node.h);
    wsc_list_remove(&w->lru);
    d->n_users--;
    wsc__free(w);
}

void
wsc__hub_dedupe_free(struct wsc__hub_dedupe *d)
{
    while (!wsc_list_empty(&d->lru))
        window_drop(d, wsc_container_of(d->lru.next, struct window, lru));
    wsc__hmap_clear(&d->ids);
    wsc__hmap_clear(&d->users);
}

static struct entry *
find(const struct wsc__hub_dedupe *d, const char *user, const char *id)
{
    struct ukey k = {user, id};
    wsc__hnode *n = wsc__hmap_find(&d->ids, wsc__hash_pair(user, id), entry_eq, &k);
    return n ? wsc_container_of(n, struct entry, node) : NULL;
}

bool
wsc__hub_dedupe_seen(struct wsc__hub_dedupe *d, const char *user, const char *id,
                     enum wsc__receipt *receipt, const char **error)
{
    if (user == NULL || id == NULL || d->per_user == 0)
        return false;
    struct entry *e = find(d, user, id);
    if (e == NULL)
        return false;
    wsc_list_remove(&e->w->lru);
    wsc_list_push_back(&d->lru, &e->w->lru);
    if (receipt != NULL)
        *receipt = e->receipt;
    if (error != NULL)
        *error = e->error;
    return true;
}

static struct window *
window_get(struct wsc__hub_dedupe *d, const char *user)
{
    wsc__snode *n = wsc__hmap_find_str(&d->users, user);
    if (n != NULL)
        return wsc_container_of(n, struct window, node);
    struct window *w = wsc__new_with_str(struct window, user, user);
    if (w == NULL)
        return NULL;
    wsc_list_init(&w->fifo);
    w->n = 0;
    wsc__hmap_insert_str(&d->users, &w->node, w->user);
    wsc_list_push_back(&d->lru, &w->lru);
    d->n_users++;
    return w;
}

wsc_err
wsc__hub_dedupe_put(struct wsc__hub_dedupe *d, const char *user, const char *id,
                    enum wsc__receipt receipt, const char *error)
{
    if (user == NULL || id == NULL || d->per_user == 0)
        return WSC_OK;
    struct entry *e = find(d, user, id);
    if (e != NULL) {
        e->receipt = receipt;
        e->error = error;
        return WSC_OK;
    }
    struct window *w = window_get(d, user);
    if (w == NULL)
        return WSC_ERR_NOMEM;
    e = wsc__new_with_str(struct entry, id, id);
    if (e == NULL)
        return WSC_ERR_NOMEM;
    e->w = w;
    e->receipt = receipt;
    e->error = error;
    wsc__hmap_insert(&d->ids, &e->node, wsc__hash_pair(user, id));
    wsc_list_push_back(&w->fifo, &e->link);
    if (++w->n > d->per_user)
        entry_drop(d, wsc_container_of(w->fifo.next, struct entry, link));
    wsc_list_remove(&w->lru);
    wsc_list_push_back(&d->lru, &w->lru);
    while (d->n_users > d->max_users)
        window_drop(d, wsc_container_of(d->lru.next, struct window, lru));
    return WSC_OK;
}

void
wsc__hub_dedupe_forget(struct wsc__hub_dedupe *d, const char *user, const char *id)
{
    if (user == NULL || id == NULL || d->per_user == 0)
        return;
    struct entry *e = find(d, user, id);
    if (e != NULL)
        entry_drop(d, e);
}

/* --- receipts */

/* The context of a client receipt. */
struct receipt {
    wsc_hub *hub;
    wsc_conn_id conn;
    char sender[];
};

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
    if (conn != NULL && wsc__proto_ack(&m, mid, status, error) == WSC_OK)
        wsc__hub_send_ctl(hub, conn, m);
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

/* The receipt error code for a refusal caused by err. */
static const char *
error_code(wsc_err err)
{
    switch (err) {
    case WSC_ERR_LIMIT:
        return "inbox_full";
    case WSC_ERR_QUEUE_FULL:
        return "queue_full";
    case WSC_ERR_NOMEM:
    case WSC_ERR_INTERNAL:
    case WSC_ERR_INVALID:
        return "internal";
    case WSC_ERR_NOT_FOUND:
    case WSC_ERR_OFFLINE:
        return "unknown_receiver";
    default: /* STORE, TIMEOUT, IO, CANCELED, STATE, UNSUPPORTED: the store did not confirm */
        return "store_unavailable";
    }
}

/* The receipt a client gets for its message (PROTOCOL.md §3). */
static const char *
receipt_status(const wsc_accepted *a, const char **error)
{
    *error = NULL;
    if (a->failed > 0) {
        *error = error_code(a->error);
        return "rejected";
    }
    if (a->online > 0 || a->duplicates > 0)
        return "delivered";
    if (a->stored > 0)
        return "stored";
    *error = "unknown_receiver";
    return "rejected";
}

static void
receipt_cb(const wsc_accepted *a, void *user)
{
    struct receipt *rc = user;
    wsc_hub *hub = rc->hub;
    const char *error = NULL;
    const char *status = receipt_status(a, &error);
    wsc__rel_receipt_to(hub, wsc__hub_conn_find_open(hub, rc->conn), rc->sender, a->message_id,
                        status, error);
    wsc__free(rc);
}

/* The answer of a client's message with require_ack: the receipt to conn, remembered in the
 * window.  NULL when out of memory. */
static struct wsc__accept *
receipt_new(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    const char *sender = conn->user->id;
    size_t n = strlen(sender);
    struct receipt *rc = wsc__malloc(sizeof(*rc) + n + 1);
    if (rc == NULL)
        return NULL;
    rc->hub = hub;
    rc->conn = conn->id;
    memcpy(rc->sender, sender, n + 1);
    struct wsc__accept *acc =
        wsc__accept_new(hub->rel, wsc_msg_get(msg, WSC_F_MESSAGE_ID), receipt_cb, rc);
    if (acc == NULL)
        wsc__free(rc);
    return acc;
}

/* --- routing with ACK */

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
        acc = receipt_new(hub, conn, m);
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

/* Client group messages with require_ack: tracked per receiver like wsc_hub_send_to_group_ack,
 * one (message_id, member) entry for every member of every named group (and the receiver,
 * when the frame names one too), the sender excluded; a user reached through several targets
 * is tracked once. */
static void
track_one(wsc_hub *hub, const char *uid, wsc_msg *m, struct wsc__accept *acc)
{
    /* Already tracked: the same user through another target, or an earlier copy. */
    wsc__accept_start(acc, uid, m, &hub->cfg.ack);
}

static void
track_groups(wsc_hub *hub, wsc_conn *conn, wsc_msg *m, struct wsc__accept *acc)
{
    for (size_t i = 0; i < wsc_msg_group_count(m); i++) {
        char **members = NULL;
        size_t n = 0;
        char gkey[WSC_MSG_KEY_MAX]; /* the group in the sender's app */
        wsc_err err = wsc__conn_scope(conn, wsc_msg_group(m, i), gkey, sizeof(gkey));
        if (err == WSC_OK)
            err = wsc__rel_group_users(hub, gkey, conn->user->id, &members, &n);
        if (err != WSC_OK) {
            wsc__accept_count(acc, WSC__ACC_FAILED, err);
            continue;
        }
        for (size_t k = 0; k < n; k++)
            track_one(hub, members[k], m, acc);
        wsc_free(members);
    }
}

bool
wsc__rel_route_client_groups(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg)
{
    if (!wsc_msg_require_ack(msg) || wsc_msg_group_count(msg) == 0 ||
        wsc_msg_get(msg, WSC_F_BROADCAST_TYPE) != NULL || wsc__rel_check_state(hub) != WSC_OK)
        return false;
    wsc_msg *m = NULL;
    struct wsc__accept *acc = NULL;
    if (wsc__rel_prepare(hub, msg, &m) != WSC_OK || (acc = receipt_new(hub, conn, m)) == NULL) {
        wsc_msg_unref(m);
        wsc__rel_receipt(hub, conn, msg, "rejected", "internal");
        return true;
    }
    const char *receiver = wsc_msg_get(m, WSC_F_RECEIVER);
    char rkey[WSC_MSG_KEY_MAX];
    if (receiver != NULL && wsc__conn_scope(conn, receiver, rkey, sizeof(rkey)) == WSC_OK &&
        strcmp(rkey, conn->user->id) != 0)
        track_one(hub, rkey, m, acc);
    track_groups(hub, conn, m, acc);
    wsc_msg_unref(m);
    wsc__accept_seal(acc);
    return true;
}
