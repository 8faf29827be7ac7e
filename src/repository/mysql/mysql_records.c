/* SPDX-License-Identifier: MIT */
/* Message records (wsc_msg_record), online status (wsc_online) and connection records
 * (wsc_conn_record) in MySQL.  Each op is one prepared statement; "now" is taken on the
 * loop thread when the op is issued.  Rows carry expires_ms: reads and updates ignore
 * expired rows (so an expired record is NOT_FOUND), writes renew it, the worker purges.
 * Online status works here but belongs in Redis (key TTLs, no purge, no disk writes per
 * heartbeat); the table is there so a MySQL-only deployment has every repository. */
#include "models/alloc.h"
#include "repository/mysql/mysql_internal.h"

static wsc_err
start_done(struct my_store *ms, struct wsc__req *req, struct my_job *job, my_done_fn done)
{
    if (job != NULL)
        job->done = done;
    return wsc__my_start(ms, req, job);
}

static const char *
cell_str(struct wsc__req *req, struct my_job *job, size_t col)
{
    const struct my_cell *c = wsc__my_cell(job, 0, col);
    return c->null || c->len == 0 ? NULL : wsc__req_strndup(req, c->s, c->len);
}

static int64_t
cell_i(struct my_job *job, size_t col)
{
    return wsc__my_cell(job, 0, col)->i;
}

/* ---- message records ---- */

static struct my_store *
rec_ms(struct wsc_record_repo *repo)
{
    return wsc_container_of(repo, struct my_store, repos.records);
}

static wsc_err
rec_put(struct wsc_record_repo *repo, struct wsc__req *req, const wsc_msg_record *rec)
{
    struct my_store *ms = rec_ms(repo);
    int64_t now = (int64_t)wsc__wall_ms();
    struct my_job *job = wsc__my_job_new(MY_REC_PUT, NULL, NULL);
    wsc__my_arg_str(job, rec->message_id);
    wsc__my_arg_str(job, rec->receiver);
    wsc__my_arg_str(job, rec->sender);
    wsc__my_arg_i64(job, rec->state);
    wsc__my_arg_i64(job, rec->retry_count);
    wsc__my_arg_i64(job, rec->last_error);
    wsc__my_arg_str(job, rec->error_text);
    wsc__my_arg_i64(job, rec->created_ms ? rec->created_ms : now);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_i64(job, rec->sent_ms);
    wsc__my_arg_i64(job, rec->acked_ms);
    wsc__my_arg_i64(job, now + (int64_t)ms->base.cfg.record_ttl_ms);
    return start_done(ms, req, job, wsc__my_done_ok);
}

static wsc_err
rec_update(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv,
           wsc_record_state st, uint32_t inc, wsc_err le, const char *text)
{
    struct my_store *ms = rec_ms(repo);
    int64_t now = (int64_t)wsc__wall_ms();
    struct my_job *job = wsc__my_job_new(MY_REC_UPDATE, NULL, NULL);
    wsc__my_arg_i64(job, st);
    wsc__my_arg_i64(job, inc);
    wsc__my_arg_i64(job, le);
    wsc__my_arg_str(job, text);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_i64(job, st == WSC_REC_SENT);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_i64(job, st == WSC_REC_ACKED || st == WSC_REC_DELIVERED);
    wsc__my_arg_i64(job, now);
    wsc__my_arg_i64(job, now + (int64_t)ms->base.cfg.record_ttl_ms);
    wsc__my_arg_str(job, mid);
    wsc__my_arg_str(job, rcv);
    wsc__my_arg_i64(job, now);
    return start_done(ms, req, job, wsc__my_done_affected);
}

static wsc_err
rec_get_done(struct wsc__req *req, struct my_job *job)
{
    if (job->nrows == 0)
        return WSC_ERR_NOT_FOUND;
    wsc_msg_record *rec = &req->rec;
    rec->message_id = wsc__req_strndup(req, job->args[0].s, job->args[0].len);
    rec->receiver = wsc__req_strndup(req, job->args[1].s, job->args[1].len);
    rec->sender = cell_str(req, job, 0);
    rec->state = (wsc_record_state)cell_i(job, 1);
    rec->retry_count = (uint32_t)cell_i(job, 2);
    rec->last_error = (wsc_err)cell_i(job, 3);
    rec->error_text = cell_str(req, job, 4);
    rec->created_ms = cell_i(job, 5);
    rec->updated_ms = cell_i(job, 6);
    rec->sent_ms = cell_i(job, 7);
    rec->acked_ms = cell_i(job, 8);
    return rec->message_id != NULL && rec->receiver != NULL ? WSC_OK : WSC_ERR_NOMEM;
}

static wsc_err
rec_get(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv)
{
    struct my_job *job = wsc__my_job_new(MY_REC_GET, NULL, rec_get_done);
    wsc__my_arg_str(job, mid);
    wsc__my_arg_str(job, rcv);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
    return wsc__my_start(rec_ms(repo), req, job);
}

static wsc_err
rec_remove(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv)
{
    struct my_job *job = wsc__my_job_new(MY_REC_REMOVE, NULL, NULL);
    wsc__my_arg_str(job, mid);
    wsc__my_arg_str(job, rcv);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
    return start_done(rec_ms(repo), req, job, wsc__my_done_affected);
}

const struct wsc_record_repo_ops wsc__my_record_ops = {rec_put, rec_update, rec_get, rec_remove};

/* ---- online status ---- */

static struct my_store *
on_ms(struct wsc_online_repo *repo)
{
    return wsc_container_of(repo, struct my_store, repos.online);
}

static wsc_err
on_set(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid,
       const char *node, uint32_t ttl_ms)
{
    struct my_job *job = wsc__my_job_new(MY_ON_SET, NULL, NULL);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_str(job, cid);
    wsc__my_arg_str(job, node);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms() + ttl_ms);
    return start_done(on_ms(repo), req, job, wsc__my_done_ok);
}

static wsc_err
on_refresh(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid,
           uint32_t ttl_ms)
{
    int64_t now = (int64_t)wsc__wall_ms();
    struct my_job *job = wsc__my_job_new(MY_ON_REFRESH, NULL, NULL);
    wsc__my_arg_i64(job, now + ttl_ms);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_str(job, cid);
    wsc__my_arg_i64(job, now);
    return start_done(on_ms(repo), req, job, wsc__my_done_affected);
}

static wsc_err
on_remove(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid)
{
    struct my_job *job = wsc__my_job_new(MY_ON_REMOVE, NULL, NULL);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_str(job, cid);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
    return start_done(on_ms(repo), req, job, wsc__my_done_affected);
}

static wsc_err
on_get_done(struct wsc__req *req, struct my_job *job)
{
    for (size_t r = 0; r < job->nrows; r++) {
        const struct my_cell *cid = wsc__my_cell(job, r, 0), *node = wsc__my_cell(job, r, 1);
        if (cid->null || node->null)
            return WSC_ERR_STORE;
        wsc_err err = wsc__req_add_entry(req, cid->s, node->s, wsc__my_cell(job, r, 2)->i);
        if (err != WSC_OK)
            return err;
    }
    return WSC_OK;
}

static wsc_err
on_get(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid)
{
    struct my_job *job = wsc__my_job_new(MY_ON_GET, NULL, on_get_done);
    wsc__my_arg_str(job, uid);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
    return wsc__my_start(on_ms(repo), req, job);
}

const struct wsc_online_repo_ops wsc__my_online_ops = {on_set, on_refresh, on_remove, on_get};

/* ---- connection records ---- */

static struct my_store *
cr_ms(struct wsc_connrec_repo *repo)
{
    return wsc_container_of(repo, struct my_store, repos.connrecs);
}

static int64_t
conn_expiry(struct my_store *ms)
{
    return (int64_t)(wsc__wall_ms() + ms->base.cfg.connrec_ttl_ms);
}

static wsc_err
cr_connect(struct wsc_connrec_repo *repo, struct wsc__req *req, const wsc_conn_record *rec)
{
    struct my_store *ms = cr_ms(repo);
    struct my_job *job = wsc__my_job_new(MY_CONN_CONNECT, NULL, NULL);
    wsc__my_arg_str(job, rec->node_id);
    wsc__my_arg_u64(job, rec->conn_id);
    wsc__my_arg_str(job, rec->user_id);
    wsc__my_arg_str(job, rec->client_id);
    wsc__my_arg_str(job, rec->remote_ip);
    wsc__my_arg_i64(job, rec->connected_ms ? rec->connected_ms : (int64_t)wsc__wall_ms());
    wsc__my_arg_i64(job, conn_expiry(ms));
    return start_done(ms, req, job, wsc__my_done_ok);
}

static void
arg_key(struct my_job *job, const char *node, wsc_conn_id id)
{
    wsc__my_arg_str(job, node);
    wsc__my_arg_u64(job, id);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
}

static wsc_err
cr_add(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id,
       const wsc_conn_record *d)
{
    struct my_store *ms = cr_ms(repo);
    struct my_job *job = wsc__my_job_new(MY_CONN_ADD, NULL, NULL);
    wsc__my_arg_u64(job, d->msgs_in);
    wsc__my_arg_u64(job, d->msgs_out);
    wsc__my_arg_u64(job, d->bytes_in);
    wsc__my_arg_u64(job, d->bytes_out);
    wsc__my_arg_u64(job, d->errors);
    wsc__my_arg_i64(job, conn_expiry(ms));
    arg_key(job, node, id);
    return start_done(ms, req, job, wsc__my_done_affected);
}

static wsc_err
cr_disconnect(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id,
              int code, const char *reason)
{
    struct my_store *ms = cr_ms(repo);
    struct my_job *job = wsc__my_job_new(MY_CONN_DISCONNECT, NULL, NULL);
    wsc__my_arg_i64(job, (int64_t)wsc__wall_ms());
    wsc__my_arg_i64(job, code);
    wsc__my_arg_str(job, reason);
    wsc__my_arg_i64(job, conn_expiry(ms));
    arg_key(job, node, id);
    return start_done(ms, req, job, wsc__my_done_affected);
}

static wsc_err
cr_get_done(struct wsc__req *req, struct my_job *job)
{
    if (job->nrows == 0)
        return WSC_ERR_NOT_FOUND;
    wsc_conn_record *c = &req->conn;
    c->node_id = wsc__req_strndup(req, job->args[0].s, job->args[0].len);
    c->conn_id = (wsc_conn_id)job->args[1].i;
    c->user_id = cell_str(req, job, 0);
    c->client_id = cell_str(req, job, 1);
    c->remote_ip = cell_str(req, job, 2);
    c->connected_ms = cell_i(job, 3);
    c->disconnected_ms = cell_i(job, 4);
    c->close_code = (int)cell_i(job, 5);
    c->close_reason = cell_str(req, job, 6);
    c->active = cell_i(job, 7) != 0;
    c->msgs_in = (uint64_t)cell_i(job, 8);
    c->msgs_out = (uint64_t)cell_i(job, 9);
    c->bytes_in = (uint64_t)cell_i(job, 10);
    c->bytes_out = (uint64_t)cell_i(job, 11);
    c->errors = (uint64_t)cell_i(job, 12);
    return c->node_id != NULL ? WSC_OK : WSC_ERR_NOMEM;
}

static wsc_err
cr_get(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id)
{
    struct my_job *job = wsc__my_job_new(MY_CONN_GET, NULL, cr_get_done);
    arg_key(job, node, id);
    return wsc__my_start(cr_ms(repo), req, job);
}

const struct wsc_connrec_repo_ops wsc__my_connrec_ops = {cr_connect, cr_add, cr_disconnect, cr_get};
