/* SPDX-License-Identifier: MIT */
/* The ACK tracker: one entry per (sender, message_id, receiver) sent with ACK (a message_id
 * is scoped to its sender, PROTOCOL.md §2).  An entry is sent to
 * every live connection of its receiver and waits on the timer wheel for an ACK; without one
 * it is resent with backoff, and after the last retry (or at once when the receiver is
 * offline) its failure handler decides: the offline store (default) or a FAILED outcome.
 * The completion callback runs exactly once per entry, always from the loop (never inside
 * the send call that created the entry). */
#include <string.h>

#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "hub/retry.h"
#include "models/alloc.h"

struct pkey {
    const char *sender; /* "" when the message has none */
    const char *mid;
    const char *user;
};

static const char *
sender_of(const wsc_msg *msg)
{
    const char *s = wsc_msg_get(msg, WSC_F_SENDER);
    return s != NULL ? s : "";
}

/* The sender is left out of the hash (user, message_id): an ACK without one finds every
 * sender's entry in the receiver's list (wsc__ack_acked). */
static bool
pending_eq(const wsc__hnode *n, const void *key)
{
    const struct wsc__ack_pending *p = wsc_container_of(n, struct wsc__ack_pending, node);
    const struct pkey *k = key;
    return strcmp(p->message_id, k->mid) == 0 && strcmp(p->user, k->user) == 0 &&
           strcmp(sender_of(p->msg), k->sender) == 0;
}

static bool
user_eq(const wsc__hnode *n, const void *key)
{
    return strcmp(wsc_container_of(n, struct wsc__ack_user, node)->id, key) == 0;
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
    wsc__hnode *n = wsc__hmap_find(&rel->users, wsc__hash_str(user), user_eq, user);
    return n ? wsc_container_of(n, struct wsc__ack_user, node) : NULL;
}

static struct wsc__ack_user *
user_get(struct wsc__rel *rel, const char *user)
{
    struct wsc__ack_user *au = user_find(rel, user);
    if (au != NULL)
        return au;
    size_t n = strlen(user);
    au = wsc__malloc(sizeof(*au) + n + 1);
    if (au == NULL)
        return NULL;
    memcpy(au->id, user, n + 1);
    wsc_list_init(&au->list);
    wsc__hmap_insert(&rel->users, &au->node, wsc__hash_str(user));
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

/* Takes p out of every index and frees it after its completion callback. */
static void
finish(struct wsc__ack_pending *p, wsc_delivery_outcome outcome, wsc_err err)
{
    struct wsc__rel *rel = p->rel;
    wsc__wheel_cancel(&rel->wheel, &p->timer);
    wsc__hmap_remove(&rel->pending, &p->node);
    wsc_list_remove(&p->user_link);
    if (wsc_list_empty(&p->au->list)) {
        wsc__hmap_remove(&rel->users, &p->au->node);
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

static void final_failure(struct wsc__ack_pending *p);
static void store(struct wsc__ack_pending *p);

static void
wait_retry(struct wsc__ack_pending *p)
{
    struct wsc__rel *rel = p->rel;
    p->phase = WSC__PH_WAIT_RETRY;
    uint64_t d = wsc__retry_delay_ms(&p->opts, p->retries + 1, wsc__retry_rand01(&rel->rng));
    wsc__wheel_add(&rel->wheel, &p->timer, wsc__now_ms(), d);
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_RETRYING, 0, p->last_error);
}

/* One failed attempt: retry while the error is retryable and retries remain; an offline
 * receiver goes to its handler at once (a retry could only find it offline again). */
void
wsc__ack_attempt_failed(struct wsc__ack_pending *p)
{
    if (p->last_error != WSC_ERR_OFFLINE && wsc_err_is_retryable(p->last_error) &&
        p->retries < p->opts.max_retries)
        wait_retry(p);
    else
        final_failure(p);
}

void
wsc__ack_sent(struct wsc__ack_pending *p, size_t n)
{
    struct wsc__rel *rel = p->rel;
    p->attempts++;
    p->phase = WSC__PH_WAIT_ACK;
    wsc__wheel_add(&rel->wheel, &p->timer, wsc__now_ms(), p->opts.ack_timeout_ms);
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_SENT, p->attempts > 1 ? 1 : 0, WSC_OK);
    wsc__accept_note(p, WSC__ACC_DELIVERED, n, WSC_OK);
}

static void
attempt(struct wsc__ack_pending *p, wsc_conn *only)
{
    p->last_error = WSC_OK;
    size_t n = send_live(p, only);
    if (only == NULL && wsc__rel_cluster_attempt(p, n))
        return;
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
        store(p);
    }
}

static void
final_failure(struct wsc__ack_pending *p)
{
    struct wsc__rel *rel = p->rel;
    wsc_failure f = {wsc__failure_kind_of(p->last_error),
                     p->last_error,
                     p->user,
                     p->last_conn,
                     p->msg,
                     true,
                     p->attempts};
    wsc_failure_action a = wsc__failure_fire(rel, &f, p->opts.store_offline);
    wsc__wheel_cancel(&rel->wheel, &p->timer);
    if (a == WSC_FAILURE_STORE) {
        store(p);
        return;
    }
    wsc_err err = p->last_error;
    /* An offline receiver without storage is an unknown user: terminal. */
    if (err == WSC_ERR_OFFLINE)
        err = WSC_ERR_NOT_FOUND;
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_FAILED, 0, err);
    finish(p, WSC_DELIVERY_FAILED, err);
}

/* Hands p to the offline store; its answer comes to wsc__ack_stored. */
static void
store(struct wsc__ack_pending *p)
{
    p->phase = WSC__PH_STORING;
    wsc_err err = wsc__offline_put(p->rel, p->user, p->msg, p);
    if (err != WSC_OK)
        wsc__ack_stored(p, err);
}

/* A store write failed for a message the hub has already answered for (delivered, then not
 * ACKed): it stays tracked and the write is tried again after a backoff, until the store
 * confirms, the receiver ACKs it, or a reconnect delivers it again. */
static bool
store_later(struct wsc__ack_pending *p, wsc_err status)
{
    struct wsc__rel *rel = p->rel;
    if (!p->accepted || rel->stopping)
        return false;
    p->store_tries++;
    p->last_error = status;
    p->phase = WSC__PH_WAIT_STORE;
    uint64_t d = wsc__retry_delay_ms(&p->opts, p->store_tries, wsc__retry_rand01(&rel->rng));
    wsc__wheel_add(&rel->wheel, &p->timer, wsc__now_ms(), d);
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_RETRYING, 0, status);
    wsc__log(&rel->hub->log, WSC_LOG_WARN, "store_retry", "s:message_id,s:user,s:error,i:tries",
             p->message_id, p->user, wsc_err_name(status), (int)p->store_tries);
    return true;
}

void
wsc__ack_stored(struct wsc__ack_pending *p, wsc_err status)
{
    struct wsc__rel *rel = p->rel;
    if (p->acked_storing) {
        /* The receiver has it: a copy the store kept meanwhile goes again. */
        if (status == WSC_OK)
            wsc__offline_acked(rel, 0, p->user, sender_of(p->msg), p->message_id);
        finish(p, WSC_DELIVERY_ACKED, WSC_OK);
        return;
    }
    if (status == WSC_OK) {
        wsc__records_update(rel, p->message_id, p->user, WSC_REC_STORED, 0, p->last_error);
        finish(p, WSC_DELIVERY_STORED, WSC_OK);
        return;
    }
    if (store_later(p, status))
        return;
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_FAILED, 0, status);
    finish(p, WSC_DELIVERY_FAILED, status);
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

/* One tracked entry ACKed. */
static void
acked_one(struct wsc__ack_pending *p)
{
    if (p->phase == WSC__PH_STORING) {
        p->acked_storing = true;
        return;
    }
    wsc__records_update(p->rel, p->message_id, p->user, WSC_REC_ACKED, 0, WSC_OK);
    finish(p, WSC_DELIVERY_ACKED, WSC_OK);
}

size_t
wsc__ack_acked(struct wsc__rel *rel, const char *sender, const char *message_id, const char *user)
{
    if (sender != NULL) {
        struct wsc__ack_pending *p = wsc__ack_find(rel, sender, message_id, user);
        if (p != NULL)
            acked_one(p);
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
        acked_one(p);
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
        if (wsc__offline_put(rel, p->user, p->msg, p) != WSC_OK) {
            wsc__records_update(rel, p->message_id, p->user, WSC_REC_FAILED, 0, WSC_ERR_CANCELED);
            finish(p, WSC_DELIVERY_FAILED, WSC_ERR_CANCELED);
        }
    }
}

void
wsc__ack_cancel_all(struct wsc__rel *rel)
{
    struct wsc__ack_pending *p;
    while ((p = first_pending(rel, false)) != NULL)
        finish(p, WSC_DELIVERY_FAILED, WSC_ERR_CANCELED);
}
