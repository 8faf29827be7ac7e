/* SPDX-License-Identifier: MIT */
/* Routing: to a user's connections, a group's members, or everyone.  The public send calls run
 * here directly on the loop thread; from other threads they are handed to the loop as one job
 * on the loop's bounded post queue: inside the queue's item when the ids fit (no allocation),
 * else one allocation holding the strings.  Either way the message is encoded and frozen on
 * the calling thread before the call returns (msg.h). */
#include <string.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"

uint64_t
wsc__hub_route_begin(wsc_hub *hub)
{
    uint64_t outer = hub->route_mark;
    hub->route_mark = wsc__hub_next_seq(hub);
    return outer;
}

void
wsc__hub_route_end(wsc_hub *hub, uint64_t outer)
{
    hub->route_mark = outer;
}

/* False when conn already got the message in the current multi-target route. */
static bool
first_visit(wsc_hub *hub, wsc_conn *conn)
{
    if (hub->route_mark == 0)
        return true;
    if (conn->route_mark == hub->route_mark)
        return false;
    conn->route_mark = hub->route_mark;
    return true;
}

size_t
wsc__hub_route_user(wsc_hub *hub, const char *user_id, wsc_msg *msg, wsc_conn *exclude)
{
    struct hub_user *u = wsc__hub_user_find(hub, user_id);
    return u != NULL ? wsc__hub_route_to(hub, u, msg, exclude) : 0;
}

size_t
wsc__hub_route_to(wsc_hub *hub, struct hub_user *u, wsc_msg *msg, wsc_conn *exclude)
{
    const char *only = wsc_msg_get(msg, WSC_F_RECEIVER_CLIENT);
    size_t n = 0;
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &u->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, user_link);
        if (c == exclude || (only != NULL && strcmp(only, wsc__conn_client_id(c)) != 0) ||
            !first_visit(hub, c))
            continue;
        n += wsc__hub_enqueue(hub, c, msg) ? 1 : 0;
    }
    return n;
}

size_t
wsc__hub_route_all(wsc_hub *hub, wsc_msg *msg, wsc_conn *exclude)
{
    size_t n = 0;
    if (wsc__msg_encode(msg) != WSC_OK)
        return 0;
    /* Everyone of the message's app: messages never cross apps. */
    const char *app = wsc_msg_get(msg, WSC_F_APP_ID);
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &hub->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, all_link);
        /* the next one comes in while this one is queued to (thousands of cold conns) */
        if (tmp != &hub->conns) {
            wsc_conn *next = wsc_container_of(tmp, wsc_conn, all_link);
            __builtin_prefetch(next);
            __builtin_prefetch(&next->q);
        }
        if (c != exclude && c->state == CONN_OPEN && wsc__conn_in_app(c, app) &&
            first_visit(hub, c))
            n += wsc__hub_enqueue(hub, c, msg) ? 1 : 0;
    }
    return n;
}

/* No other node took a message for a user this node does not hold: the user is offline (a
 * wsc__cluster_untaken_cb). */
static void
direct_untaken(wsc_hub *hub, wsc_conn_id from, wsc_msg *msg, const char *user)
{
    (void)from;
    wsc__rel_user_offline(hub, user, msg);
}

/* A fire-and-forget send addressed to one user: an offline user goes to the user-offline
 * failure handler.  In a cluster the user's connections on other nodes get it too, and a
 * user this node does not hold is offline only when no other node queued it. */
static size_t
route_direct(wsc_hub *hub, const char *user_id, wsc_msg *msg)
{
    struct hub_user *u = wsc__hub_user_find(hub, user_id);
    size_t n = u != NULL ? wsc__hub_route_to(hub, u, msg, NULL) : 0;
    bool here = u != NULL;
    bool waiting = wsc__cluster_on(hub) &&
                   wsc__cluster_to_user_untaken(hub, user_id, msg, 0, here ? NULL : direct_untaken);
    if (!waiting && n == 0 && !here)
        wsc__rel_user_offline(hub, user_id, msg);
    return n;
}

size_t
wsc__hub_send_group(wsc_hub *hub, const char *group_id, wsc_msg *msg, const char *exclude_user,
                    wsc_conn *exclude)
{
    size_t n = wsc__hub_route_group(hub, group_id, msg, exclude_user, exclude);
    if (wsc__cluster_on(hub))
        (void)wsc__cluster_to_group(hub, group_id, msg, exclude_user, NULL, NULL);
    return n;
}

size_t
wsc__hub_send_all(wsc_hub *hub, wsc_msg *msg, wsc_conn *exclude)
{
    size_t n = wsc__hub_route_all(hub, msg, exclude);
    if (wsc__cluster_on(hub))
        (void)wsc__cluster_to_all(hub, msg, NULL, NULL);
    return n;
}

/* A send handed over from another thread. */
enum job_kind { JOB_USER, JOB_USERS, JOB_GROUP, JOB_ALL, JOB_CONN };
struct send_job {
    wsc_hub *hub;
    enum job_kind kind;
    wsc_msg *msg;
    wsc_conn_id conn;
    const char *target;  /* user or group (in the job's own block when posted) */
    const char *exclude; /* group: excluded user (likewise) */
    char **users;
    size_t n_users;
};

static void
job_free(struct send_job *j)
{
    wsc_msg_unref(j->msg);
    for (size_t i = 0; i < j->n_users; i++)
        wsc__free(j->users[i]);
    wsc__free(j->users);
    wsc__free(j);
}

static size_t
route_users(wsc_hub *hub, const char *const *user_ids, size_t n_users, wsc_msg *msg)
{
    size_t n = 0;
    uint64_t outer = wsc__hub_route_begin(hub);
    for (size_t i = 0; i < n_users; i++)
        n += user_ids[i] ? route_direct(hub, user_ids[i], msg) : 0;
    wsc__hub_route_end(hub, outer);
    return n;
}

static size_t
run_job(struct send_job *j)
{
    wsc_hub *hub = j->hub;
    switch (j->kind) {
    case JOB_USER:
        return route_direct(hub, j->target, j->msg);
    case JOB_USERS:
        return route_users(hub, (const char *const *)j->users, j->n_users, j->msg);
    case JOB_GROUP:
        return wsc__hub_send_group(hub, j->target, j->msg, j->exclude, NULL);
    case JOB_ALL:
        return wsc__hub_send_all(hub, j->msg, NULL);
    case JOB_CONN: {
        wsc_conn *c = wsc__hub_conn_find(hub, j->conn);
        return c != NULL && wsc__hub_enqueue(hub, c, j->msg) ? 1 : 0;
    }
    }
    return 0;
}

static void
job_run_posted(void *arg)
{
    struct send_job *j = arg;
    if (!j->hub->freeing)
        run_job(j);
    job_free(j);
}

/* A send job small enough to travel inside the loop's post queue (wsc__loop_post_copy), so
 * that a send from another thread allocates nothing: most user and group ids fit. */
struct small_job {
    wsc_hub *hub;
    wsc_msg *msg; /* a reference, released once the job has run */
    wsc_conn_id conn;
    uint8_t kind;
    bool has_target, has_exclude;
    char names[]; /* the target, then the excluded user, each with its NUL */
};
_Static_assert(sizeof(struct small_job) <= WSC__LOOP_POST_INLINE, "a send to a connection fits");

static void
small_job_run(void *data)
{
    const struct small_job *s = data;
    const char *target = s->has_target ? s->names : NULL;
    const char *exclude = NULL;
    if (s->has_exclude)
        exclude = target ? target + strlen(target) + 1 : s->names;
    struct send_job j = {.hub = s->hub,
                         .kind = (enum job_kind)s->kind,
                         .msg = s->msg,
                         .conn = s->conn,
                         .target = target,
                         .exclude = exclude};
    if (!s->hub->freeing)
        run_job(&j);
    wsc__hub_unref(&s->hub->refs, s->msg);
}

/* Posts the job inline when it fits: true with *err the post's result, false when it does
 * not fit (nothing done). */
static bool
post_small(wsc_hub *hub, enum job_kind kind, wsc_msg *msg, wsc_conn_id conn, const char *target,
           const char *exclude, wsc_err *err)
{
    size_t nt = target ? strlen(target) + 1 : 0, ne = exclude ? strlen(exclude) + 1 : 0;
    union {
        struct small_job s;
        unsigned char bytes[WSC__LOOP_POST_INLINE];
    } u;
    size_t len = sizeof(u.s) + nt + ne;
    if (len > sizeof(u.bytes))
        return false;
    u.s = (struct small_job){.hub = hub,
                             .msg = msg,
                             .conn = conn,
                             .kind = (uint8_t)kind,
                             .has_target = target != NULL,
                             .has_exclude = exclude != NULL};
    if (nt > 0)
        memcpy(u.s.names, target, nt);
    if (ne > 0)
        memcpy(u.s.names + nt, exclude, ne);
    wsc_msg_ref(msg);
    *err = wsc__loop_post_copy(hub->loop, small_job_run, u.bytes, len);
    if (*err != WSC_OK)
        wsc_msg_unref(msg);
    return true;
}

/* Hands j to the loop thread; always consumes j.  WSC_ERR_BUSY when the loop's post queue is
 * full (wsc_loop_config.max_posts). */
static wsc_err
submit(struct send_job *j, size_t *n_queued)
{
    if (n_queued != NULL)
        *n_queued = 0;
    wsc_err err = wsc__loop_post(j->hub->loop, job_run_posted, j);
    if (err != WSC_OK)
        job_free(j);
    return err;
}

/* The loop-thread result of a send. */
static wsc_err
direct(size_t n, size_t *n_queued)
{
    if (n_queued != NULL)
        *n_queued = n;
    return n > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

static bool
on_loop(const wsc_hub *hub)
{
    return wsc_loop_is_loop_thread(hub->loop);
}

/* Every send freezes msg on the caller's thread, so that the loop only ever reads it and the
 * caller's later setters fail (WSC_ERR_STATE) instead of racing with the loop. */
static wsc_err
freeze(wsc_msg *msg)
{
    return wsc__msg_encode(msg);
}

static char *
copy_into(char **at, const char *s)
{
    if (s == NULL)
        return NULL;
    size_t n = strlen(s) + 1;
    char *p = memcpy(*at, s, n);
    *at += n;
    return p;
}

static struct send_job *
job_new(wsc_hub *hub, enum job_kind kind, wsc_msg *msg, const char *target, const char *exclude)
{
    size_t extra = (target ? strlen(target) + 1 : 0) + (exclude ? strlen(exclude) + 1 : 0);
    struct send_job *j = wsc__calloc(1, sizeof(*j) + extra);
    if (j == NULL)
        return NULL;
    char *at = (char *)(j + 1);
    j->hub = hub;
    j->kind = kind;
    j->msg = wsc_msg_ref(msg);
    j->target = copy_into(&at, target);
    j->exclude = copy_into(&at, exclude);
    return j;
}

/* A send to one target (a user, a group, everyone): routed now on the loop thread, else
 * handed to the loop as a job. */
static wsc_err
send_target(wsc_hub *hub, enum job_kind kind, const char *target, const char *exclude, wsc_msg *msg,
            size_t *n_queued)
{
    if (freeze(msg) != WSC_OK)
        return WSC_ERR_NOMEM;
    if (on_loop(hub)) {
        struct send_job now = {
            .hub = hub, .kind = kind, .msg = msg, .target = target, .exclude = exclude};
        return direct(run_job(&now), n_queued);
    }
    if (n_queued != NULL)
        *n_queued = 0;
    wsc_err err = WSC_OK;
    if (post_small(hub, kind, msg, 0, target, exclude, &err))
        return err;
    struct send_job *j = job_new(hub, kind, msg, target, exclude);
    return j ? submit(j, n_queued) : WSC_ERR_NOMEM;
}

wsc_err
wsc_hub_send_to_user(wsc_hub *hub, const char *user_id, wsc_msg *msg, size_t *n_queued)
{
    if (hub == NULL || user_id == NULL || msg == NULL)
        return WSC_ERR_INVALID;
    return send_target(hub, JOB_USER, user_id, NULL, msg, n_queued);
}

wsc_err
wsc_hub_send_to_users(wsc_hub *hub, const char *const *user_ids, size_t n_users, wsc_msg *msg,
                      size_t *n_queued)
{
    if (hub == NULL || (user_ids == NULL && n_users > 0) || msg == NULL)
        return WSC_ERR_INVALID;
    if (freeze(msg) != WSC_OK)
        return WSC_ERR_NOMEM;
    if (on_loop(hub))
        return direct(route_users(hub, user_ids, n_users, msg), n_queued);
    struct send_job *j = job_new(hub, JOB_USERS, msg, NULL, NULL);
    if (j == NULL)
        return WSC_ERR_NOMEM;
    j->users = wsc__calloc(n_users, sizeof(char *));
    if (j->users == NULL) {
        job_free(j);
        return WSC_ERR_NOMEM;
    }
    for (size_t i = 0; i < n_users; i++, j->n_users++) {
        if (user_ids[i] == NULL || (j->users[i] = wsc__strdup(user_ids[i])) == NULL) {
            wsc_err err = user_ids[i] == NULL ? WSC_ERR_INVALID : WSC_ERR_NOMEM;
            job_free(j);
            return err;
        }
    }
    return submit(j, n_queued);
}

wsc_err
wsc_hub_send_to_group(wsc_hub *hub, const char *group_id, wsc_msg *msg, const char *exclude_user,
                      size_t *n_queued)
{
    if (hub == NULL || group_id == NULL || msg == NULL)
        return WSC_ERR_INVALID;
    return send_target(hub, JOB_GROUP, group_id, exclude_user, msg, n_queued);
}

wsc_err
wsc_hub_broadcast(wsc_hub *hub, wsc_msg *msg, size_t *n_queued)
{
    if (hub == NULL || msg == NULL)
        return WSC_ERR_INVALID;
    return send_target(hub, JOB_ALL, NULL, NULL, msg, n_queued);
}

wsc_err
wsc_hub_send_to_conn(wsc_hub *hub, wsc_conn_id conn, wsc_msg *msg)
{
    if (hub == NULL || conn == 0 || msg == NULL)
        return WSC_ERR_INVALID;
    if (freeze(msg) != WSC_OK)
        return WSC_ERR_NOMEM;
    if (on_loop(hub)) {
        wsc_conn *c = wsc__hub_conn_find(hub, conn);
        if (c == NULL)
            return WSC_ERR_NOT_FOUND;
        if (wsc__hub_enqueue(hub, c, msg))
            return WSC_OK;
        return c->state == CONN_OPEN ? WSC_ERR_QUEUE_FULL : WSC_ERR_CLOSED;
    }
    wsc_err err = WSC_OK;
    post_small(hub, JOB_CONN, msg, conn, NULL, NULL, &err); /* always fits */
    return err;
}

/* A binary message of data (len bytes) sent to one target like its text counterpart. */
static wsc_err
send_binary(wsc_hub *hub, enum job_kind kind, const char *target, const void *data, size_t len,
            size_t *n_queued)
{
    if (data == NULL && len > 0)
        return WSC_ERR_INVALID;
    wsc_msg *m = NULL;
    wsc_err err = wsc_msg_new_binary(&m, data, len);
    if (err == WSC_OK && (hub == NULL || (kind != JOB_ALL && target == NULL)))
        err = WSC_ERR_INVALID;
    if (err == WSC_OK)
        err = send_target(hub, kind, target, NULL, m, n_queued);
    wsc_msg_unref(m);
    return err;
}

wsc_err
wsc_hub_send_binary_to_user(wsc_hub *hub, const char *user_id, const void *data, size_t len,
                            size_t *n_queued)
{
    return send_binary(hub, JOB_USER, user_id, data, len, n_queued);
}

wsc_err
wsc_hub_send_binary_to_group(wsc_hub *hub, const char *group_id, const void *data, size_t len,
                             size_t *n_queued)
{
    return send_binary(hub, JOB_GROUP, group_id, data, len, n_queued);
}

wsc_err
wsc_hub_broadcast_binary(wsc_hub *hub, const void *data, size_t len, size_t *n_queued)
{
    return send_binary(hub, JOB_ALL, NULL, data, len, n_queued);
}
