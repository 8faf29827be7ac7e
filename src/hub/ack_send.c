/* SPDX-License-Identifier: MIT */
/* The public ACK sends (wsc_hub_send_to_user_ack, _users_ack, _group_ack): the arguments are
 * checked on the calling thread; on the loop the message is prepared (a message_id and
 * require_ack, encoded once) and every receiver is handed to the tracker (ack_tracker.c).  A
 * call made on another thread copies what it needs (the message, the user ids, the group, the
 * options) into a job and hands it to the loop with wsc__loop_post, as the plain sends do
 * (hub_route.c); on the loop the job starts the tracker exactly like a call made there.  A
 * receiver that cannot be tracked (hub stopping or freed, already pending, out of memory) gets
 * its completion with FAILED and the reason.  Every completion runs on the loop, once per
 * receiver, never inside the call. */
#include <string.h>

#include "hub/rel_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"
#include "protocol/frames.h"

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

static wsc_err
refuse_later(wsc_hub *hub, const char *uid, wsc_msg *m, wsc_err why, wsc_delivery_cb done,
             void *user)
{
    struct refused *r = wsc__new_with_str(struct refused, id, uid);
    if (r == NULL)
        return WSC_ERR_NOMEM;
    r->why = why;
    r->done = done;
    r->user = user;
    r->msg = wsc_msg_ref(m);
    wsc__timer_init(&r->t, hub->loop, refused_fire);
    wsc__timer_start(&r->t, 0);
    return WSC_OK;
}

/* Tracks (m, uid) and counts it in *n; an already pending pair gets done FAILED/EXISTS on the
 * next loop turn.  Other errors: nothing started, done not called. */
static wsc_err
start_many(wsc_hub *hub, const char *uid, wsc_msg *m, const wsc_ack_opts *opts,
           wsc_delivery_cb done, void *user, size_t *n)
{
    wsc_err err = wsc__ack_start(hub->rel, uid, m, opts, done, user, NULL);
    if (err == WSC_OK)
        (*n)++;
    else if (err == WSC_ERR_EXISTS && done != NULL)
        err = refuse_later(hub, uid, m, WSC_ERR_EXISTS, done, user);
    return err == WSC_ERR_EXISTS ? WSC_OK : err;
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

/* --- ACK sends made on another thread */

struct ack_job {
    wsc_hub *hub;
    wsc_msg *msg; /* own copy, not yet frozen */
    char **users; /* owned, or the members found on the loop (group) */
    size_t n_users;
    bool users_are_members; /* users is one wsc_hub_group_members block */
    char *group, *exclude;
    bool has_opts;
    wsc_ack_opts opts;
    wsc_delivery_cb done;
    void *user;
};

static void
job_free(struct ack_job *j)
{
    if (j->users_are_members) {
        wsc_free(j->users);
    } else {
        for (size_t i = 0; i < j->n_users; i++)
            wsc__free(j->users[i]);
        wsc__free(j->users);
    }
    wsc_msg_unref(j->msg);
    wsc__free(j->group);
    wsc__free(j->exclude);
    wsc__free(j);
}

/* A receiver the job cannot track: its completion, now (we are in a posted job, not in the
 * caller's send call). */
static void
fail_now(struct ack_job *j, const char *uid, wsc_msg *m, wsc_err why)
{
    if (j->done == NULL)
        return;
    wsc_delivery d = {WSC_DELIVERY_FAILED, why, wsc_msg_get(m, WSC_F_MESSAGE_ID), uid, 0};
    j->done(why, &d, j->user);
}

static void
job_run(void *arg)
{
    struct ack_job *j = arg;
    wsc_hub *hub = j->hub;
    wsc_err st = wsc__rel_check_state(hub);
    if (j->group != NULL) {
        char **members = NULL;
        size_t n = 0;
        if (wsc__rel_group_users(hub, j->group, j->exclude, &members, &n) == WSC_OK) {
            j->users = members;
            j->n_users = n;
            j->users_are_members = true;
        }
    }
    wsc_msg *m = NULL;
    if (st == WSC_OK)
        st = wsc__rel_prepare(hub, j->msg, &m);
    const wsc_ack_opts *opts = j->has_opts ? &j->opts : &hub->cfg.ack;
    size_t started = 0;
    for (size_t i = 0; i < j->n_users; i++) {
        wsc_err e = st;
        if (e == WSC_OK)
            e = start_many(hub, j->users[i], m, opts, j->done, j->user, &started);
        if (e != WSC_OK)
            fail_now(j, j->users[i], m ? m : j->msg, e);
    }
    wsc_msg_unref(m);
    job_free(j);
}

static wsc_err
copy_users(struct ack_job *j, const char *const *users, size_t n)
{
    if (n == 0)
        return WSC_OK;
    j->users = wsc__calloc(n, sizeof(char *));
    if (j->users == NULL)
        return WSC_ERR_NOMEM;
    for (; j->n_users < n; j->n_users++) {
        if ((j->users[j->n_users] = wsc__strdup(users[j->n_users])) == NULL)
            return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

/* An ACK send from another thread, handed to the loop: to the n users, or to the members of
 * group (but exclude) when group is not NULL.  msg is copied here; done runs on the loop, once
 * per receiver.  WSC_ERR_NOMEM, WSC_ERR_STATE (the loop is being freed). */
static wsc_err
post(wsc_hub *hub, const char *const *users, size_t n, const char *group, const char *exclude,
     wsc_msg *msg, const wsc_ack_opts *opts, wsc_delivery_cb done, void *user)
{
    struct ack_job *j = wsc__calloc(1, sizeof(*j));
    if (j == NULL)
        return WSC_ERR_NOMEM;
    *j = (struct ack_job){.hub = hub, .done = done, .user = user, .has_opts = opts != NULL};
    if (opts != NULL)
        j->opts = *opts;
    /* A copy: the caller's message may be shared with the loop, which must never see it
     * change, and its reference count is not ours to touch from this thread. */
    wsc_err err = wsc_msg_clone(msg, &j->msg);
    if (err == WSC_OK)
        err = copy_users(j, users, n);
    if (err == WSC_OK && group != NULL && (j->group = wsc__strdup(group)) == NULL)
        err = WSC_ERR_NOMEM;
    if (err == WSC_OK && exclude != NULL && (j->exclude = wsc__strdup(exclude)) == NULL)
        err = WSC_ERR_NOMEM;
    if (err == WSC_OK)
        err = wsc__loop_post(hub->loop, job_run, j);
    if (err != WSC_OK)
        job_free(j);
    return err;
}

/* --- public API */

wsc_err
wsc_hub_send_to_user_ack(wsc_hub *hub, const char *user_id, wsc_msg *msg, const wsc_ack_opts *opts,
                         wsc_delivery_cb done, void *user)
{
    wsc_err err = check_args(hub, msg, opts);
    if (err != WSC_OK || user_id == NULL || user_id[0] == '\0')
        return err != WSC_OK ? err : WSC_ERR_INVALID;
    if (!wsc_loop_is_loop_thread(hub->loop))
        return post(hub, &user_id, 1, NULL, NULL, msg, opts, done, user);
    if ((err = wsc__rel_check_state(hub)) != WSC_OK)
        return err == WSC_ERR_CANCELED ? WSC_ERR_STATE : err;
    wsc_msg *m = NULL;
    err = wsc__rel_prepare(hub, msg, &m);
    if (err == WSC_OK)
        err = wsc__ack_start(hub->rel, user_id, m, opts ? opts : &hub->cfg.ack, done, user, NULL);
    wsc_msg_unref(m);
    return err;
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
        return post(hub, user_ids, n, NULL, NULL, msg, opts, done, user);
    if ((err = wsc__rel_check_state(hub)) != WSC_OK)
        return err == WSC_ERR_CANCELED ? WSC_ERR_STATE : err;
    wsc_msg *m = NULL;
    size_t started = 0;
    err = wsc__rel_prepare(hub, msg, &m);
    for (size_t i = 0; err == WSC_OK && i < n; i++)
        err = start_many(hub, user_ids[i], m, opts ? opts : &hub->cfg.ack, done, user, &started);
    wsc_msg_unref(m);
    if (n_started != NULL)
        *n_started = started;
    return err;
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
        return post(hub, NULL, 0, group_id, exclude_user, msg, opts, done, user);
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
