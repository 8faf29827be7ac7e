/* SPDX-License-Identifier: MIT */
/* The answer of one send with ACK: a client's receipt (PROTOCOL.md §3) or the callback of
 * wsc_hub_publish_ack (the HTTP API's publish, §7).  It counts the send's receivers as they are
 * accounted for, each once: queued to a live connection, confirmed by the offline store (the
 * store's callback has said OK: Redis replied, MySQL committed), or refused.  The answer goes
 * out when the last one is in, from one zero-delay timer of the layer (never inside the call
 * that started the send) that answers every ready one in send order.  "stored" is therefore never
 * said while a write is still in flight. */
#include <string.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"

struct wsc__accept {
    struct wsc_list link; /* rel->accepts */
    struct wsc__rel *rel;
    size_t outstanding; /* tracked receivers not accounted for yet */
    bool sealed;
    wsc_accepted res;
    wsc_accepted_cb cb;
    void *user;
    char mid[];
};

static void
answer(struct wsc__accept *acc)
{
    /* res.message_id points into acc: free acc only after the callback.  Unlinked first, so
     * that nothing the callback does can answer it again. */
    wsc_list_remove(&acc->link);
    acc->res.message_id = acc->mid;
    acc->cb(&acc->res, acc->user);
    wsc__free(acc);
}

static bool
ready(const struct wsc__accept *acc)
{
    return acc->sealed && acc->outstanding == 0;
}

/* The layer's timer: every ready answer, oldest send first (the list is in send order), so a
 * client's receipts come in the order of its messages when they are ready together. */
void
wsc__accept_fire(wsc__timer *t)
{
    struct wsc__rel *rel = wsc_container_of(t, struct wsc__rel, accept_timer);
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &rel->accepts) {
        struct wsc__accept *acc = wsc_container_of(pos, struct wsc__accept, link);
        if (ready(acc)) {
            answer(acc);
            /* The callback may have changed the list: start again from its head. */
            tmp = rel->accepts.next;
        }
    }
}

static void
maybe_fire(struct wsc__accept *acc)
{
    if (ready(acc))
        wsc__timer_start(&acc->rel->accept_timer, 0);
}

struct wsc__accept *
wsc__accept_new(struct wsc__rel *rel, const char *mid, wsc_accepted_cb cb, void *user)
{
    struct wsc__accept *acc = wsc__new_with_str(struct wsc__accept, mid, mid);
    if (acc == NULL)
        return NULL;
    acc->rel = rel;
    acc->cb = cb;
    acc->user = user;
    wsc_list_push_back(&rel->accepts, &acc->link);
    return acc;
}

static void
count(struct wsc__accept *acc, enum wsc__acc_kind kind, size_t conns, wsc_err err)
{
    wsc_accepted *r = &acc->res;
    switch (kind) {
    case WSC__ACC_DELIVERED:
        r->online++;
        r->delivered += conns;
        break;
    case WSC__ACC_STORED:
        r->stored++;
        break;
    case WSC__ACC_DUPLICATE:
        r->duplicates++;
        break;
    case WSC__ACC_UNREACHABLE:
        r->unreachable++;
        break;
    case WSC__ACC_FAILED:
        r->failed++;
        if (r->error == WSC_OK)
            r->error = err != WSC_OK ? err : WSC_ERR_INTERNAL;
        break;
    }
}

void
wsc__accept_start(struct wsc__accept *acc, const char *uid, wsc_msg *m, const wsc_ack_opts *opts)
{
    struct wsc__ack_pending *p = NULL;
    wsc_err err = wsc__ack_start(acc->rel, uid, m, opts, NULL, NULL, &p);
    if (err == WSC_OK) {
        p->acc = acc;
        acc->outstanding++;
    } else {
        count(acc, err == WSC_ERR_EXISTS ? WSC__ACC_DUPLICATE : WSC__ACC_FAILED, 0, err);
    }
}

void
wsc__accept_count(struct wsc__accept *acc, enum wsc__acc_kind kind, wsc_err err)
{
    count(acc, kind, 0, err);
}

void
wsc__accept_seal(struct wsc__accept *acc)
{
    acc->sealed = true;
    maybe_fire(acc);
}

void
wsc__accept_note(struct wsc__ack_pending *p, enum wsc__acc_kind kind, size_t conns, wsc_err err)
{
    if (p->accepted)
        return;
    p->accepted = true;
    struct wsc__accept *acc = p->acc;
    if (acc == NULL)
        return;
    p->acc = NULL;
    count(acc, kind, conns, err);
    acc->outstanding--;
    maybe_fire(acc);
}

void
wsc__accept_flush_all(struct wsc__rel *rel)
{
    while (!wsc_list_empty(&rel->accepts)) {
        struct wsc__accept *acc = wsc_container_of(rel->accepts.next, struct wsc__accept, link);
        /* Receivers still out are not taken: the hub is going away. */
        while (acc->outstanding > 0) {
            count(acc, WSC__ACC_FAILED, 0, WSC_ERR_CANCELED);
            acc->outstanding--;
        }
        answer(acc);
    }
}

/* --- wsc_hub_publish_ack */

static wsc_err
publish_args(wsc_hub *hub, const char *const *user_ids, size_t n, const char *group_id,
             wsc_msg *msg, const wsc_ack_opts *opts, wsc_accepted_cb accepted)
{
    if (hub == NULL || hub->rel == NULL || msg == NULL || accepted == NULL ||
        !wsc_loop_is_loop_thread(hub->loop) || wsc_msg_is_binary(msg) ||
        (wsc_msg_is_frozen(msg) && wsc_msg_get(msg, WSC_F_MESSAGE_ID) == NULL) ||
        (opts != NULL && !wsc__retry_opts_valid(opts)))
        return WSC_ERR_INVALID;
    if (group_id != NULL ? user_ids != NULL || n > 0 : user_ids == NULL && n > 0)
        return WSC_ERR_INVALID;
    for (size_t i = 0; i < n; i++) {
        if (user_ids[i] == NULL || user_ids[i][0] == '\0')
            return WSC_ERR_INVALID;
    }
    wsc_err err = wsc__rel_check_state(hub);
    return err == WSC_ERR_CANCELED ? WSC_ERR_STATE : err;
}

wsc_err
wsc_hub_publish_ack(wsc_hub *hub, const char *const *user_ids, size_t n, const char *group_id,
                    const char *exclude_user, wsc_msg *msg, const wsc_ack_opts *opts,
                    wsc_accepted_cb accepted, void *user)
{
    wsc_err err = publish_args(hub, user_ids, n, group_id, msg, opts, accepted);
    if (err != WSC_OK)
        return err;
    char **members = NULL;
    if (group_id != NULL) {
        if ((err = wsc__rel_group_users(hub, group_id, exclude_user, &members, &n)) != WSC_OK)
            return err;
        user_ids = (const char *const *)members;
    }
    wsc_msg *m = NULL;
    struct wsc__accept *acc = NULL;
    err = wsc__rel_prepare(hub, msg, &m);
    if (err == WSC_OK &&
        (acc = wsc__accept_new(hub->rel, wsc_msg_get(m, WSC_F_MESSAGE_ID), accepted, user)) == NULL)
        err = WSC_ERR_NOMEM;
    if (err == WSC_OK) {
        for (size_t i = 0; i < n; i++)
            wsc__accept_start(acc, user_ids[i], m, opts != NULL ? opts : &hub->cfg.ack);
        wsc__accept_seal(acc);
    }
    wsc_msg_unref(m);
    wsc_free(members);
    return err;
}
