/* SPDX-License-Identifier: MIT */
/* Offline messages in MySQL (table wsc_offline): one row per (user, message), the message
 * as its encoded JSON, the cursor is the auto-increment id (increasing in store order).
 * Store is one INSERT IGNORE ... SELECT guarded by the user's live count and, for a message
 * with a sender, by that sender's live count in the inbox and its live count and bytes
 * (body_bytes) in all inboxes (wsc_store_config's offline bounds); when it inserts
 * nothing, a lookup tells a duplicate (WSC_OK, the first copy stays) from a full user
 * (WSC_ERR_LIMIT); an expired duplicate is deleted and the insert tried again.  Expired
 * rows are filtered on read and purged by the worker.  With the tally (mysql_tally.c) a
 * store first reads three tally rows instead of counting (store_tally). */
#include <string.h>

#include "models/alloc.h"
#include "repository/mysql/mysql_internal.h"

/* The leading arguments of both exact inserts; "now" follows the guard's user id (and the
 * sender, for MY_OFF_INSERT_SENDER), and the sender's guards come after (add_sender_guards). */
enum { A_UID, A_MID, A_BODY, A_CREATED, A_EXPIRES, A_BYTES, A_SENDER };
/* Where the bounds are among them: without a sender, and with one. */
enum { N_MAX_USER = 8 };
enum { S_MAX_USER = 9, S_MAX_SHARE = 13, S_MAX_MSGS = 16, S_MAX_BYTES = 20 };

static unsigned
now_at(const struct my_job *job)
{
    return job->stmt == MY_OFF_INSERT ? 7 : 8;
}

static struct my_store *
ms_of(struct wsc_offline_repo *repo)
{
    return wsc_container_of(repo, struct my_store, repos.offline);
}

/* Worker: the tally's rows of the message (user, user and sender, sender) within every
 * bound, read under a row lock (FOR UPDATE: a store of another node for the same keys waits);
 * the tally never counts fewer than the live rows. */
static bool
tally_allows(struct my_conn *c, struct my_job *job, const char *snd)
{
    bool sender = snd != NULL;
    struct my_arg a[4] = {job->args[A_UID], job->args[A_UID], {.type = MY_NULL}, {.type = MY_NULL}};
    if (sender)
        a[2] = a[3] = job->args[A_SENDER];
    if (wsc__my_exec(c, MY_OFF_TALLY_LOCK, a, 4, job) != WSC_OK)
        return false;
    /* The exact insert's bounds (off_store, add_sender_guards). */
    uint64_t lim[3] = {(uint64_t)job->args[sender ? S_MAX_USER : N_MAX_USER].i,
                       sender ? (uint64_t)job->args[S_MAX_SHARE].i : UINT64_MAX,
                       sender ? (uint64_t)job->args[S_MAX_MSGS].i : UINT64_MAX};
    uint64_t bytes = (uint64_t)job->args[A_BYTES].i;
    uint64_t max_bytes = sender ? (uint64_t)job->args[S_MAX_BYTES].i : UINT64_MAX;
    for (size_t r = 0; r < job->nrows; r++) {
        int64_t kind = wsc__my_cell(job, r, 0)->i, n = wsc__my_cell(job, r, 1)->i;
        int64_t held = wsc__my_cell(job, r, 2)->i;
        if (kind < 0 || kind > 2 || n < 0 || held < 0 || (uint64_t)n >= lim[kind])
            return false;
        if (kind == 2 && (bytes > max_bytes || (uint64_t)held > max_bytes - bytes))
            return false;
    }
    return !(sender && bytes > max_bytes);
}

/* Worker: with the tally (mysql_tally.c), the store in one transaction: the tally's rows
 * locked and read, then a plain insert.  true when it inserted the message; false leaves the
 * decision to the exact insert (a bound near, a duplicate, or a failure: a deadlock between
 * nodes over a tally row). */
static bool
store_tally(struct my_conn *c, struct my_job *job)
{
    if (!c->tally || c->mysql == NULL)
        return false;
    if (mysql_query(c->mysql, "START TRANSACTION") != 0) {
        if (wsc__my_lost(mysql_errno(c->mysql)))
            wsc__my_conn_close(c);
        return false;
    }
    const char *snd = job->stmt == MY_OFF_INSERT_SENDER ? job->args[A_SENDER].s : NULL;
    bool ok = tally_allows(c, job, snd);
    if (ok) {
        struct my_arg a[7];
        memcpy(a, job->args, A_SENDER * sizeof(*a));
        a[A_SENDER] = snd != NULL ? job->args[A_SENDER] : (struct my_arg){.type = MY_NULL};
        ok = wsc__my_exec(c, MY_OFF_INSERT_PLAIN, a, 7, job) == WSC_OK && job->affected == 1;
    }
    if (c->mysql == NULL)
        return false; /* the connection is gone, and the transaction with it */
    if (ok)
        ok = mysql_commit(c->mysql) == 0;
    else
        (void)mysql_rollback(c->mysql);
    if (!ok && wsc__my_lost(mysql_errno(c->mysql)))
        wsc__my_conn_close(c); /* the job fails (STORE); a store again is idempotent */
    return ok;
}

/* Worker: the insert, and the lookup when it inserted nothing. */
static wsc_err
store_run(struct my_conn *c, struct my_job *job)
{
    if (store_tally(c, job))
        return WSC_OK;
    for (int attempt = 0; attempt < 2; attempt++) {
        wsc_err err = wsc__my_exec(c, job->stmt, job->args, job->nargs, job);
        if (err != WSC_OK || job->affected == 1)
            return err;
        struct my_arg key[3] = {job->args[A_UID], job->args[A_MID], job->args[now_at(job)]};
        err = wsc__my_exec(c, MY_OFF_EXPIRES, key, 2, job);
        if (err != WSC_OK)
            return err;
        if (job->nrows == 0)
            return WSC_ERR_LIMIT;
        if (wsc__my_cell(job, 0, 0)->i > job->args[now_at(job)].i)
            return WSC_OK; /* already stored and live */
        err = wsc__my_exec(c, MY_OFF_DROP_EXPIRED, key, 3, job);
        if (err != WSC_OK)
            return err;
    }
    return WSC_ERR_LIMIT;
}

/* The arguments of MY_OFF_INSERT_SENDER's per-sender guards. */
static void
add_sender_guards(struct my_job *job, const wsc_store_config *cfg, const char *uid, const char *snd,
                  int64_t now, size_t bytes)
{
    wsc__my_arg_str(job, uid);
    wsc__my_arg_str(job, snd);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_u64(job, wsc__bound(cfg->offline_max_per_sender));
    wsc__my_arg_str(job, snd);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_u64(job, wsc__bound(cfg->offline_max_msgs_per_sender));
    wsc__my_arg_str(job, snd);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_u64(job, bytes);
    wsc__my_arg_u64(job, wsc__bound(cfg->offline_max_bytes_per_sender));
}

static wsc_err
off_store(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, wsc_msg *msg)
{
    struct my_store *ms = ms_of(repo);
    char key[WSC_MSG_KEY_MAX]; /* (sender, message_id) */
    if (wsc_msg_key_of(msg, key, sizeof(key)) != WSC_OK)
        return WSC_ERR_INVALID;
    wsc_buf json = {0};
    wsc_err err = wsc__offline_encode(msg, &json);
    if (err != WSC_OK)
        return err;
    int64_t now = (int64_t)wsc__wall_ms();
    const char *snd = wsc__offline_sender(msg);
    struct my_job *job = wsc__my_job_new(snd != NULL ? MY_OFF_INSERT_SENDER : MY_OFF_INSERT,
                                         store_run, wsc__my_done_ok);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_str(job, key);
    wsc__my_arg_strn(job, json.data, json.len);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_i64(job, now + (int64_t)ms->base.cfg.offline_ttl_ms);
    wsc__my_arg_i64(job, (int64_t)json.len);
    if (snd != NULL)
        wsc__my_arg_str(job, snd);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_i64(job, (int64_t)ms->base.cfg.offline_max_per_user);
    if (snd != NULL)
        add_sender_guards(job, &ms->base.cfg, uid, snd, now, json.len);
    wsc_buf_free(&json);
    return wsc__my_start(ms, req, job);
}

/* Loop thread: rows (id, body) become frozen messages; the cursor is the last id. */
static wsc_err
fetch_done(struct wsc__req *req, struct my_job *job)
{
    for (size_t r = 0; r < job->nrows; r++) {
        const struct my_cell *body = wsc__my_cell(job, r, 1);
        wsc_msg *m = NULL;
        if (body->null)
            return WSC_ERR_STORE;
        wsc_err err = wsc__offline_decode(body->s, body->len, &m);
        if (err != WSC_OK)
            return err;
        if (wsc__req_add_msg(req, m) != WSC_OK)
            return WSC_ERR_NOMEM;
        req->cursor = (uint64_t)wsc__my_cell(job, r, 0)->i;
    }
    return WSC_OK;
}

static wsc_err
off_fetch(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, uint64_t after,
          size_t limit)
{
    struct my_job *job = wsc__my_job_new(MY_OFF_FETCH, NULL, fetch_done);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_u64(job, after);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
    wsc__my_arg_i64(job, (int64_t)limit);
    req->cursor = after;
    return wsc__my_start(ms_of(repo), req, job);
}

static wsc_err
off_remove(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, const char *mid)
{
    struct my_job *job = wsc__my_job_new(MY_OFF_REMOVE, NULL, wsc__my_done_affected);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_str(job, mid);
    return wsc__my_start(ms_of(repo), req, job);
}

static wsc_err
count_done(struct wsc__req *req, struct my_job *job)
{
    if (job->nrows != 1)
        return WSC_ERR_STORE;
    req->count = (uint64_t)wsc__my_cell(job, 0, 0)->i;
    return WSC_OK;
}

static wsc_err
off_count(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    struct my_job *job = wsc__my_job_new(MY_OFF_COUNT, NULL, count_done);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
    return wsc__my_start(ms_of(repo), req, job);
}

static wsc_err
off_clear(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    struct my_job *job = wsc__my_job_new(MY_OFF_CLEAR, NULL, wsc__my_done_ok);
    wsc__my_arg_str(job, uid);
    return wsc__my_start(ms_of(repo), req, job);
}

const struct wsc_offline_repo_ops wsc__my_offline_ops = {off_store, off_fetch, off_remove,
                                                         off_count, off_clear};
