/* SPDX-License-Identifier: MIT */
/* ACK sends made on another thread: the call copies what it needs (the message, the user
 * ids, the group, the options) into a job and hands it to the loop with wsc__loop_post, as the
 * plain sends do (hub_route.c).  On the loop the job starts the tracker exactly like a call
 * made there; a receiver that cannot be tracked (hub stopping or freed, already pending, out
 * of memory) gets its completion with FAILED and the reason.  Either way every completion
 * runs on the loop, once per receiver, never inside the call. */
#include <string.h>

#include "hub/hub_internal.h"
#include "hub/rel_internal.h"
#include "models/alloc.h"

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
            e = wsc__rel_start_many(hub, j->users[i], m, opts, j->done, j->user, &started);
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

wsc_err
wsc__ack_post(wsc_hub *hub, const char *const *users, size_t n, const char *group,
              const char *exclude, wsc_msg *msg, const wsc_ack_opts *opts, wsc_delivery_cb done,
              void *user)
{
    struct ack_job *j = wsc__calloc(1, sizeof(*j));
    if (j == NULL)
        return WSC_ERR_NOMEM;
    j->hub = hub;
    j->done = done;
    j->user = user;
    j->has_opts = opts != NULL;
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
