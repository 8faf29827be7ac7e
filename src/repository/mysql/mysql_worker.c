/* SPDX-License-Identifier: MIT */
/* The store's worker thread.  It owns the MYSQL connection: connects at start, reconnects
 * after a loss (first at once, then with backoff from reconnect_min_ms doubling to
 * reconnect_max_ms), runs queued jobs in order (offline reads first: wsc__my_job_first), and
 * purges expired rows every purge_interval_ms (a minute by default) while idle.  A job that waited
 * longer than the command timeout is not run: it completes with WSC_ERR_TIMEOUT (WSC_ERR_STORE
 * while the server is down). Finished jobs go to the done list; the first one of a batch posts a
 * flush to the loop (wsc__loop_post).
 *
 * Locking: mu guards the queue, the done list, post_pending, stop and sock; the worker
 * never holds it during a database call, so the loop thread waits for it only briefly. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "models/alloc.h"
#include "repository/mysql/mysql_internal.h"

static void flush_done(void *arg);

/* Asks the loop thread for a flush unless one is pending (mu held; returns with it released). */
static void
post_flush_unlock(struct my_store *ms)
{
    bool post = !ms->post_pending;
    ms->post_pending = true;
    pthread_mutex_unlock(&ms->mu);
    /* If the post fails (out of memory), the next completion posts again; close drains. */
    if (post && wsc__loop_post_control(ms->base.loop, flush_done, ms) != WSC_OK) {
        pthread_mutex_lock(&ms->mu);
        ms->post_pending = false;
        pthread_mutex_unlock(&ms->mu);
    }
}

/* Hands a finished job to the loop thread. */
static void
complete(struct my_store *ms, struct my_job *job, wsc_err status)
{
    job->status = status;
    job->next = NULL;
    pthread_mutex_lock(&ms->mu);
    if (ms->done_tail != NULL)
        ms->done_tail->next = job;
    else
        ms->done_head = job;
    ms->done_tail = job;
    post_flush_unlock(ms);
}

/* Loop thread: delivers the finished jobs to their requests. */
static void
flush_done(void *arg)
{
    struct my_store *ms = arg;
    pthread_mutex_lock(&ms->mu);
    struct my_job *job = ms->done_head;
    ms->done_head = ms->done_tail = NULL;
    ms->post_pending = false;
    char why[sizeof(ms->conn_err)];
    memcpy(why, ms->conn_err, sizeof(why));
    ms->conn_err[0] = '\0';
    pthread_mutex_unlock(&ms->mu);
    /* Why the server cannot be used (a refused login, a newer schema): the request timer of an
     * op waiting for the connection quotes it (req.c), as Redis's does. */
    if (why[0] != '\0')
        wsc__errtext_set(&ms->base.last_error, "%s", why);
    while (job != NULL) {
        struct my_job *next = job->next;
        struct wsc__req *req = job->req;
        if (req->store != NULL && !req->finished) {
            wsc_err st = job->status;
            if (st == WSC_OK && job->done != NULL)
                st = job->done(req, job);
            if (st == WSC_ERR_STORE && job->errtext[0] != '\0')
                wsc__errtext_set(&req->store->last_error, "%s", job->errtext);
            wsc__req_finish(req, st);
        }
        wsc__my_job_free(job);
        job = next;
    }
}

static wsc_err
run_default(struct my_conn *c, struct my_job *job)
{
    return wsc__my_exec(c, job->stmt, job->args, job->nargs, job);
}

static void
run_job(struct my_store *ms, struct my_conn *c, struct my_job *job)
{
    uint64_t now = wsc__now_ms();
    if (now - job->enqueued_ms >= ms->base.cfg.command_timeout_ms) {
        complete(ms, job, c->mysql != NULL ? WSC_ERR_TIMEOUT : WSC_ERR_STORE);
        return;
    }
    wsc_err st = job->run != NULL ? job->run(c, job) : run_default(c, job);
    if (c->mysql == NULL) {
        c->retry_at_ms = wsc__now_ms(); /* lost: reconnect at once, then back off */
        c->backoff_ms = ms->base.cfg.reconnect_min_ms;
    }
    complete(ms, job, st);
}

/* How long until the next purge (wsc_store_config.purge_interval_ms). */
static uint64_t
purge_interval(const struct my_store *ms)
{
    return ms->base.cfg.purge_interval_ms > 0 ? ms->base.cfg.purge_interval_ms : 60000u;
}

static void
try_connect(struct my_store *ms, struct my_conn *c)
{
    char err[sizeof(((struct my_job *)0)->errtext)];
    if (wsc__my_conn_open(c, err, sizeof(err)) != WSC_OK) {
        uint64_t now = wsc__now_ms();
        c->retry_at_ms = now + c->backoff_ms;
        c->backoff_ms = c->backoff_ms * 2 > ms->base.cfg.reconnect_max_ms
                            ? ms->base.cfg.reconnect_max_ms
                            : c->backoff_ms * 2;
        /* The text reaches wsc_store_last_error at once (the flush), and through the jobs
         * that fail meanwhile. */
        pthread_mutex_lock(&ms->mu);
        for (struct my_job *j = ms->q_head; j != NULL; j = j->next)
            memcpy(j->errtext, err, sizeof(err));
        memcpy(ms->conn_err, err, sizeof(err));
        post_flush_unlock(ms);
        return;
    }
    c->backoff_ms = ms->base.cfg.reconnect_min_ms;
    c->purge_at_ms = wsc__now_ms() + purge_interval(ms);
    pthread_mutex_lock(&ms->mu);
    ms->sock = (int)mysql_get_socket(c->mysql);
    pthread_mutex_unlock(&ms->mu);
    atomic_store(&ms->up, true);
}

/* Deletes expired rows, at most 1000 per table and turn, and the tally's empty rows. */
static void
purge(struct my_conn *c)
{
    static const enum my_stmt_id ids[] = {MY_PURGE_OFF, MY_PURGE_REC, MY_PURGE_ON, MY_PURGE_CONN};
    struct my_job scratch = {0};
    struct my_arg now = {.type = MY_I64, .i = (int64_t)wsc__wall_ms()};
    bool more = false;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]) && c->mysql != NULL; i++) {
        if (wsc__my_exec(c, ids[i], &now, 1, &scratch) == WSC_OK && scratch.affected >= 1000)
            more = true;
    }
    struct my_arg zero = {.type = MY_I64, .i = 0};
    if (c->tally && c->mysql != NULL &&
        wsc__my_exec(c, MY_PURGE_TALLY, &zero, 1, &scratch) == WSC_OK && scratch.affected >= 1000)
        more = true;
    wsc__free(scratch.cells);
    c->purge_at_ms = wsc__now_ms() + (more ? 100 : purge_interval(c->ms));
    if (c->mysql == NULL)
        c->retry_at_ms = wsc__now_ms();
}

static void
wait_until(struct my_store *ms, uint64_t when_ms)
{
    uint64_t now = wsc__now_ms();
    if (when_ms <= now)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    uint64_t ns = (uint64_t)ts.tv_nsec + (when_ms - now) * 1000000u;
    ts.tv_sec += (time_t)(ns / 1000000000u);
    ts.tv_nsec = (long)(ns % 1000000000u);
    pthread_cond_timedwait(&ms->cv, &ms->mu, &ts);
}

/* Takes job (after prev, NULL: the head) off the queue (mu held). */
static struct my_job *
unlink_job(struct my_store *ms, struct my_job *prev, struct my_job *job)
{
    *(prev != NULL ? &prev->next : &ms->q_head) = job->next;
    if (ms->q_tail == job)
        ms->q_tail = prev;
    ms->q_reads -= wsc__my_job_first(job->stmt);
    job->next = NULL;
    return job;
}

/* While down: jobs that outlived the command timeout fail with WSC_ERR_STORE (called with
 * mu held; returns with it held). */
static void
fail_stale(struct my_store *ms)
{
    uint64_t now = wsc__now_ms();
    while (ms->q_head != NULL && now - ms->q_head->enqueued_ms >= ms->base.cfg.command_timeout_ms) {
        struct my_job *job = unlink_job(ms, NULL, ms->q_head);
        pthread_mutex_unlock(&ms->mu);
        complete(ms, job, WSC_ERR_STORE);
        pthread_mutex_lock(&ms->mu);
    }
}

/* The next job: the oldest offline read when one is queued, else the head (mu held). */
static struct my_job *
pop(struct my_store *ms)
{
    struct my_job *prev = NULL, *job = ms->q_head;
    while (ms->q_reads > 0 && job != NULL && !wsc__my_job_first(job->stmt)) {
        prev = job;
        job = job->next;
    }
    if (job == NULL) { /* q_reads out of step: never, but the head is a fine answer */
        prev = NULL;
        job = ms->q_head;
    }
    return job != NULL ? unlink_job(ms, prev, job) : NULL;
}

/* One step of the worker (mu held on entry and exit). */
static void
step(struct my_store *ms, struct my_conn *c)
{
    uint64_t now = wsc__now_ms();
    if (c->mysql == NULL) {
        if (now >= c->retry_at_ms) {
            pthread_mutex_unlock(&ms->mu);
            try_connect(ms, c);
            pthread_mutex_lock(&ms->mu);
            return;
        }
        fail_stale(ms);
        uint64_t when = c->retry_at_ms;
        if (ms->q_head != NULL && ms->q_head->enqueued_ms + ms->base.cfg.command_timeout_ms < when)
            when = ms->q_head->enqueued_ms + ms->base.cfg.command_timeout_ms;
        if (!ms->stop)
            wait_until(ms, when);
        return;
    }
    struct my_job *job = pop(ms);
    pthread_mutex_unlock(&ms->mu);
    if (job != NULL && wsc__my_conn_dead(c)) {
        wsc__my_conn_close(c); /* closed while idle (restart): reconnect before running */
        try_connect(ms, c);
    }
    if (job != NULL && c->mysql == NULL) {
        pthread_mutex_lock(&ms->mu); /* still down: back to the head, wait for the server */
        job->next = ms->q_head;
        ms->q_head = job;
        if (ms->q_tail == NULL)
            ms->q_tail = job;
        ms->q_reads += wsc__my_job_first(job->stmt);
        return;
    }
    if (job != NULL)
        run_job(ms, c, job);
    else if (now >= c->purge_at_ms)
        purge(c);
    pthread_mutex_lock(&ms->mu);
    if (job == NULL && ms->q_head == NULL && !ms->stop && c->mysql != NULL)
        wait_until(ms, c->purge_at_ms);
}

static void *
worker_main(void *arg)
{
    struct my_store *ms = arg;
    struct my_conn c = {.ms = ms, .backoff_ms = ms->base.cfg.reconnect_min_ms};
    mysql_thread_init();
    pthread_mutex_lock(&ms->mu);
    while (!ms->stop)
        step(ms, &c);
    pthread_mutex_unlock(&ms->mu);
    wsc__my_conn_close(&c);
    mysql_thread_end();
    return NULL;
}

wsc_err
wsc__my_worker_start(struct my_store *ms)
{
    pthread_condattr_t ca;
    if (pthread_condattr_init(&ca) != 0)
        return WSC_ERR_NOMEM;
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    int rc = pthread_cond_init(&ms->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (rc != 0)
        return WSC_ERR_NOMEM;
    if (pthread_mutex_init(&ms->mu, NULL) != 0) {
        pthread_cond_destroy(&ms->cv);
        return WSC_ERR_NOMEM;
    }
    if (pthread_create(&ms->thread, NULL, worker_main, ms) != 0) {
        pthread_mutex_destroy(&ms->mu);
        pthread_cond_destroy(&ms->cv);
        return WSC_ERR_IO;
    }
    ms->started = true;
    return WSC_OK;
}

void
wsc__my_worker_stop(struct my_store *ms)
{
    if (!ms->started)
        return;
    pthread_mutex_lock(&ms->mu);
    ms->stop = true;
    /* A statement in progress (a held lock, a slow server) ends at once with a lost
     * connection instead of holding close up to the connector's read timeout. */
    if (ms->sock >= 0)
        shutdown(ms->sock, SHUT_RDWR);
    pthread_cond_signal(&ms->cv);
    pthread_mutex_unlock(&ms->mu);
    pthread_join(ms->thread, NULL);
    ms->started = false;
    /* Completions posted before the join run now, while the store is still alive. */
    wsc__loop_drain(ms->base.loop);
    flush_done(ms);
    pthread_mutex_destroy(&ms->mu);
    pthread_cond_destroy(&ms->cv);
}
