/* SPDX-License-Identifier: MIT */
/* The MySQL/MariaDB store, loop side: URL parsing, open (starts the worker, which connects
 * in the background) and close (stops and joins it), and jobs: built on the loop thread
 * with copies of their arguments, queued for the worker under the store's mutex, and bound
 * by the request's command timeout on the loop, whatever the worker is doing. */
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/mysql/mysql_internal.h"

struct my_job *
wsc__my_job_new(enum my_stmt_id stmt, my_run_fn run, my_done_fn done)
{
    struct my_job *job = wsc__calloc(1, sizeof(*job));
    if (job != NULL)
        *job = (struct my_job){.stmt = stmt, .run = run, .done = done};
    return job;
}

void
wsc__my_job_free(struct my_job *job)
{
    if (job == NULL)
        return;
    for (unsigned i = 0; i < job->nargs; i++)
        wsc__free(job->args[i].s);
    for (size_t i = 0; i < job->nrows * job->ncols; i++)
        wsc__free(job->cells[i].s);
    wsc__free(job->cells);
    wsc__req_unref(job->req);
    wsc__free(job);
}

static struct my_arg *
next_arg(struct my_job *job)
{
    if (job == NULL) /* its allocation failed: wsc__my_start reports it */
        return NULL;
    if (job->nargs >= MY_MAX_ARGS) {
        job->oom = true;
        return NULL;
    }
    return &job->args[job->nargs++];
}

void
wsc__my_arg_strn(struct my_job *job, const char *s, size_t len)
{
    struct my_arg *a = next_arg(job);
    if (a == NULL)
        return;
    if (s == NULL) {
        a->type = MY_NULL;
        return;
    }
    a->type = MY_STR;
    a->s = wsc__strndup(s, len);
    a->len = (unsigned long)len;
    if (a->s == NULL)
        job->oom = true;
}

void
wsc__my_arg_str(struct my_job *job, const char *s)
{
    wsc__my_arg_strn(job, s, s != NULL ? strlen(s) : 0);
}

void
wsc__my_arg_i64(struct my_job *job, int64_t v)
{
    struct my_arg *a = next_arg(job);
    if (a != NULL) {
        a->type = MY_I64;
        a->i = v;
    }
}

void
wsc__my_arg_u64(struct my_job *job, uint64_t v)
{
    struct my_arg *a = next_arg(job);
    if (a != NULL) {
        a->type = MY_U64;
        a->i = (int64_t)v;
    }
}

/* Queues job (which takes a reference to req) and arms req's command timeout. */
static void
submit(struct my_store *ms, struct my_job *job, struct wsc__req *req)
{
    job->req = wsc__req_ref(req);
    job->enqueued_ms = wsc__now_ms();
    /* The caller's deadline, kept on the loop: TIMEOUT when the server is up but slow,
     * STORE when it is down (the worker cannot be interrupted mid-call). */
    req->timeout_status = atomic_load(&ms->up) ? WSC_ERR_TIMEOUT : WSC_ERR_STORE;
    wsc__req_arm_timeout(req, ms->base.cfg.command_timeout_ms);
    pthread_mutex_lock(&ms->mu);
    if (ms->q_tail != NULL)
        ms->q_tail->next = job;
    else
        ms->q_head = job;
    ms->q_tail = job;
    ms->q_reads += wsc__my_job_first(job->stmt);
    pthread_cond_signal(&ms->cv);
    pthread_mutex_unlock(&ms->mu);
}

wsc_err
wsc__my_start(struct my_store *ms, struct wsc__req *req, struct my_job *job)
{
    if (job == NULL)
        return WSC_ERR_NOMEM;
    if (job->oom) {
        wsc__my_job_free(job);
        return WSC_ERR_NOMEM;
    }
    submit(ms, job, req);
    return WSC_OK;
}

wsc_err
wsc__my_done_ok(struct wsc__req *req, struct my_job *job)
{
    (void)req;
    (void)job;
    return WSC_OK;
}

wsc_err
wsc__my_done_affected(struct wsc__req *req, struct my_job *job)
{
    (void)req;
    return job->affected > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

/* ---- store ---- */

static wsc_err
my_ping(wsc_store *store, struct wsc__req *req)
{
    struct my_store *ms = (struct my_store *)store;
    struct my_job *job = wsc__my_job_new(MY_PING, NULL, wsc__my_done_ok);
    if (job == NULL) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return WSC_OK;
    }
    submit(ms, job, req);
    return WSC_OK;
}

static void
my_close(wsc_store *store)
{
    struct my_store *ms = (struct my_store *)store;
    wsc__my_worker_stop(ms);
    /* Jobs the worker never ran: their requests were canceled by wsc_store_close. */
    while (ms->q_head != NULL) {
        struct my_job *job = ms->q_head;
        ms->q_head = job->next;
        wsc__my_job_free(job);
    }
    wsc__free(ms);
}

static const struct wsc__store_ops my_ops = {
    .name = "mysql",
    .ping = my_ping,
    .close = my_close,
    .pending = NULL,
    .repos =
        {
            .offline = &wsc__my_offline_ops,
            .records = &wsc__my_record_ops,
            .online = &wsc__my_online_ops,
            .connrecs = &wsc__my_connrec_ops,
        },
};

static wsc_err
copy_part(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap)
        return WSC_ERR_INVALID;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return WSC_OK;
}

/* mysql://user[:password]@host[:port]/database */
static wsc_err
parse_url(struct my_store *ms, const char *url)
{
    const char *p = url + strlen("mysql://");
    const char *at = strrchr(p, '@');
    if (at == NULL)
        return WSC_ERR_INVALID;
    const char *colon = memchr(p, ':', (size_t)(at - p));
    const char *uend = colon ? colon : at;
    if (uend == p || copy_part(ms->user, sizeof(ms->user), p, (size_t)(uend - p)) != WSC_OK)
        return WSC_ERR_INVALID;
    if (colon != NULL &&
        copy_part(ms->password, sizeof(ms->password), colon + 1, (size_t)(at - colon - 1)))
        return WSC_ERR_INVALID;
    p = at + 1;
    size_t hl = strcspn(p, ":/");
    if (hl == 0 || copy_part(ms->host, sizeof(ms->host), p, hl) != WSC_OK)
        return WSC_ERR_INVALID;
    p += hl;
    ms->port = 3306;
    if (*p == ':') {
        char *end;
        long port = strtol(p + 1, &end, 10);
        if (end == p + 1 || port <= 0 || port > 65535)
            return WSC_ERR_INVALID;
        ms->port = (unsigned)port;
        p = end;
    }
    if (*p != '/' || p[1] == '\0' || strchr(p + 1, '/') != NULL)
        return WSC_ERR_INVALID;
    return copy_part(ms->db, sizeof(ms->db), p + 1, strlen(p + 1));
}

wsc_err
wsc__mysql_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg, wsc_store **out)
{
    struct my_store *ms = wsc__calloc(1, sizeof(*ms));
    if (ms == NULL)
        return WSC_ERR_NOMEM;
    wsc_err err = parse_url(ms, url);
    if (err == WSC_OK)
        err = wsc__store_init(&ms->base, &my_ops, &ms->repos, loop, cfg);
    if (err != WSC_OK) {
        wsc__free(ms);
        return err;
    }
    ms->sock = -1;
    atomic_init(&ms->up, false);
    err = wsc__my_worker_start(ms);
    if (err != WSC_OK) {
        wsc__loop_detach(loop);
        wsc__free(ms);
        return err;
    }
    *out = &ms->base;
    return WSC_OK;
}
