/* SPDX-License-Identifier: MIT */
/* wsc_hub_publish: a fire-and-forget send whose answer counts the connections it reached on
 * every node.  This node routes at once; each forward to the other nodes waits for their
 * answers (cluster.h), and the caller hears once the last wait has ended. */
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

struct publish {
    wsc_hub *hub;
    wsc_msg *msg;
    wsc_hub_count_cb cb;
    void *user;
    uint64_t sum;
    size_t waits; /* forwards not answered yet, plus one until all are started */
    wsc_err status;
};

/* One user's forward: the user-offline handler runs when no node holds the user. */
struct user_wait {
    struct publish *p;
    bool here;
    char user[];
};

static void
wait_done(struct publish *p)
{
    if (--p->waits > 0)
        return;
    if (p->cb != NULL)
        p->cb(p->hub, p->status, p->sum, p->user);
    wsc_msg_unref(p->msg);
    wsc__free(p);
}

/* A forward that failed (WSC_ERR_STORE: cut off from Redis) reached no other node: the count
 * stays what was queued, and the answer is still true.  A node that did not answer in time
 * may have queued it: WSC_ERR_TIMEOUT tells the caller the count may be short. */
static void
answered(wsc_hub *hub, wsc_err status, uint64_t sum, void *arg)
{
    (void)hub;
    struct publish *p = arg;
    p->sum += sum;
    if (status != WSC_OK && status != WSC_ERR_STORE && p->status == WSC_OK)
        p->status = status;
    wait_done(p);
}

static void
user_answered(wsc_hub *hub, wsc_err status, uint64_t sum, void *arg)
{
    struct user_wait *w = arg;
    if (sum == 0 && !w->here && status != WSC_ERR_CANCELED)
        wsc__rel_user_offline(hub, w->user, w->p->msg);
    answered(hub, status, sum, w->p);
    wsc__free(w);
}

static bool
listed_before(const char *const *ids, size_t i)
{
    for (size_t j = 0; j < i; j++)
        if (strcmp(ids[j], ids[i]) == 0)
            return true;
    return false;
}

/* Starts one forward (p->waits counts it); a forward that cannot start counts as answered
 * with its error. */
static void
forward_user(struct publish *p, const char *user_id, bool here)
{
    size_t len = strlen(user_id) + 1;
    struct user_wait *w = wsc__malloc(sizeof(*w) + len);
    wsc_err err = WSC_ERR_NOMEM;
    p->waits++;
    if (w != NULL) {
        w->p = p;
        w->here = here;
        memcpy(w->user, user_id, len);
        err = wsc__cluster_to_user(p->hub, user_id, p->msg, user_answered, w);
    }
    if (err != WSC_OK) {
        wsc__free(w);
        if (!here)
            wsc__rel_user_offline(p->hub, user_id, p->msg);
        answered(p->hub, err, 0, p);
    }
}

static void
route_users(struct publish *p, const wsc_publish_target *t)
{
    wsc_hub *hub = p->hub;
    bool cluster = wsc__cluster_on(hub);
    uint64_t outer = wsc__hub_route_begin(hub);
    for (size_t i = 0; i < t->n_users; i++) {
        if (listed_before(t->user_ids, i))
            continue;
        const char *u = t->user_ids[i];
        struct hub_user *found = wsc__hub_user_find(hub, u);
        p->sum += found != NULL ? wsc__hub_route_to(hub, found, p->msg, NULL) : 0;
        bool here = found != NULL;
        if (cluster)
            forward_user(p, u, here);
        else if (!here)
            wsc__rel_user_offline(hub, u, p->msg);
    }
    wsc__hub_route_end(hub, outer);
}

static void
route_many(struct publish *p, const wsc_publish_target *t)
{
    wsc_hub *hub = p->hub;
    if (t->broadcast)
        p->sum += wsc__hub_route_all(hub, p->msg, NULL);
    else
        p->sum += wsc__hub_route_group(hub, t->group_id, p->msg, t->exclude_user, NULL);
    if (!wsc__cluster_on(hub))
        return;
    p->waits++;
    wsc_err err = t->broadcast ? wsc__cluster_to_all(hub, p->msg, answered, p)
                               : wsc__cluster_to_group(hub, t->group_id, p->msg, t->exclude_user,
                                                       answered, p);
    if (err != WSC_OK)
        answered(hub, err, 0, p);
}

/* The call's own wait ends on the next loop turn (the whole answer on a single node). */
static void
answer_posted(void *arg)
{
    struct publish *p = arg;
    if (p->hub->freeing)
        p->status = WSC_ERR_CANCELED;
    wait_done(p);
}

static bool
target_ok(const wsc_publish_target *t)
{
    int kinds = (t->user_ids != NULL) + (t->group_id != NULL) + (t->broadcast ? 1 : 0);
    if (kinds != 1 || (t->user_ids != NULL && t->n_users == 0))
        return false;
    for (size_t i = 0; t->user_ids != NULL && i < t->n_users; i++)
        if (t->user_ids[i] == NULL)
            return false;
    return true;
}

wsc_err
wsc_hub_publish(wsc_hub *hub, const wsc_publish_target *target, wsc_msg *msg, wsc_hub_count_cb cb,
                void *user)
{
    if (hub == NULL || target == NULL || msg == NULL || !target_ok(target) ||
        !wsc_loop_is_loop_thread(hub->loop))
        return WSC_ERR_INVALID;
    if (wsc__msg_encode(msg) != WSC_OK)
        return WSC_ERR_NOMEM;
    struct publish *p = wsc__calloc(1, sizeof(*p));
    if (p == NULL)
        return WSC_ERR_NOMEM;
    *p = (struct publish){hub, wsc_msg_ref(msg), cb, user, 0, 1, WSC_OK};
    /* The extra wait is this call's, ended on the next loop turn: never inside the call. */
    wsc_err err = wsc__loop_post(hub->loop, answer_posted, p);
    if (err != WSC_OK) {
        wsc_msg_unref(p->msg);
        wsc__free(p);
        return err;
    }
    if (target->user_ids != NULL)
        route_users(p, target);
    else
        route_many(p, target);
    return WSC_OK;
}
