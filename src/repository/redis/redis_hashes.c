/* SPDX-License-Identifier: MIT */
/* Message records and connection records in Redis, one HASH each with a TTL:
 *   wsc:rec:{<message_id>}:<receiver>  fields s st rc le et c u sn ak
 *   wsc:conn:{<node>}:<conn_id>         fields u cl ip c d cc cr a mi mo bi bo e
 * Writes go through two scripts: "replace" (DEL + HSET + PEXPIRE) and "patch" (only when the
 * key exists: HSET, HINCRBY and HSETNX groups, then PEXPIRE), so every change is atomic. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repository/redis/redis_internal.h"

static const char replace_lua[] = "redis.call('DEL', KEYS[1]) "
                                  "redis.call('HSET', KEYS[1], unpack(ARGV, 2)) "
                                  "redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1";

static const char patch_lua[] =
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end local i = 5 "
    "for j = 1, tonumber(ARGV[2]) do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) "
    "i = i + 2 end "
    "for j = 1, tonumber(ARGV[3]) do redis.call('HINCRBY', KEYS[1], ARGV[i], ARGV[i + 1]) "
    "i = i + 2 end "
    "for j = 1, tonumber(ARGV[4]) do redis.call('HSETNX', KEYS[1], ARGV[i], ARGV[i + 1]) "
    "i = i + 2 end "
    "redis.call('PEXPIRE', KEYS[1], ARGV[1]) return 1";

/* An HGETALL reply: field, value, ... all strings (anything else is not ours to read). */
static bool
is_hash(const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return false;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return false;
    return true;
}

/* The value of field f in an HGETALL reply (is_hash), or NULL. */
static const char *
field(const redisReply *r, const char *f)
{
    for (size_t i = 0; i + 1 < r->elements; i += 2)
        if (strcmp(r->element[i]->str, f) == 0)
            return r->element[i + 1]->str;
    return NULL;
}

static int64_t
fnum(const redisReply *r, const char *f)
{
    const char *v = field(r, f);
    return v ? strtoll(v, NULL, 10) : 0;
}

static const char *
fstr(struct wsc__req *req, const redisReply *r, const char *f)
{
    const char *v = field(r, f);
    return (v == NULL || v[0] == '\0') ? NULL : wsc__req_strdup(req, v);
}

/* A script call on key (TTL ttl_ms); the caller appends the rest. */
static void
script_args(struct rs_args *a, const char *script, const char *key, uint64_t ttl_ms)
{
    *a = (struct rs_args){.script = script, .nkeys = 1};
    wsc__rs_arg(a, key);
    wsc__rs_argf(a, "%" PRIu64, ttl_ms);
}

/* Appends the field f and its number. */
static void
addi(struct rs_args *a, const char *f, int64_t x)
{
    wsc__rs_arg(a, f);
    wsc__rs_argf(a, "%" PRId64, x);
}

/* Appends the field f and its string. */
static void
adds(struct rs_args *a, const char *f, const char *v)
{
    wsc__rs_arg(a, f);
    wsc__rs_arg(a, v);
}

static wsc_err
call_done(struct redis_store *rs, struct wsc__req *req, const struct rs_args *a)
{
    return wsc__rs_run(rs, req, a, wsc__rs_parse_found);
}

/* Sends a get: the fields parse fills into req from HGETALL key. */
static void
hgetall(struct redis_store *rs, struct wsc__req *req, const char *key, rs_parse_fn parse)
{
    struct rs_args a = {.n = 2, .v = {"HGETALL", key}};
    wsc__rs_send(rs, req, &a, parse);
}

/* ---- message records ---- */

static void
rec_key(char *key, size_t n, const char *mid, const char *rcv)
{
    char a[3 * 256 + 1], b[3 * 256 + 1];
    wsc__rs_escape(mid, a);
    wsc__rs_escape(rcv, b);
    snprintf(key, n, "wsc:rec:{%s}:%s", a, b);
}

static wsc_err
rec_put(struct wsc_record_repo *repo, struct wsc__req *req, const wsc_msg_record *rec)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.records);
    char key[1600];
    rec_key(key, sizeof(key), rec->message_id, rec->receiver);
    int64_t now = (int64_t)wsc__wall_ms();
    struct rs_args a;
    script_args(&a, replace_lua, key, rs->base.cfg.record_ttl_ms);
    adds(&a, "s", rec->sender);
    addi(&a, "st", rec->state);
    addi(&a, "rc", rec->retry_count);
    addi(&a, "le", rec->last_error);
    adds(&a, "et", rec->error_text);
    addi(&a, "c", rec->created_ms ? rec->created_ms : now);
    addi(&a, "u", now);
    if (rec->sent_ms != 0)
        addi(&a, "sn", rec->sent_ms);
    if (rec->acked_ms != 0)
        addi(&a, "ak", rec->acked_ms);
    return call_done(rs, req, &a);
}

static wsc_err
rec_update(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv,
           wsc_record_state st, uint32_t inc, wsc_err le, const char *text)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.records);
    char key[1600];
    rec_key(key, sizeof(key), mid, rcv);
    int64_t now = (int64_t)wsc__wall_ms();
    bool acked = st == WSC_REC_ACKED || st == WSC_REC_DELIVERED;
    struct rs_args a;
    script_args(&a, patch_lua, key, rs->base.cfg.record_ttl_ms);
    wsc__rs_argf(&a, "%d", acked ? 5 : 4);
    wsc__rs_arg(&a, "1");
    wsc__rs_argf(&a, "%d", st == WSC_REC_SENT ? 1 : 0);
    addi(&a, "st", st);
    addi(&a, "le", le);
    adds(&a, "et", text);
    addi(&a, "u", now);
    if (acked)
        addi(&a, "ak", now);
    addi(&a, "rc", inc);
    if (st == WSC_REC_SENT)
        addi(&a, "sn", now);
    return call_done(rs, req, &a);
}

static wsc_err
parse_rec(struct wsc__req *req, const redisReply *r)
{
    if (!is_hash(r))
        return WSC_ERR_STORE;
    if (r->elements == 0)
        return WSC_ERR_NOT_FOUND;
    wsc_msg_record *rec = &req->rec;
    rec->sender = fstr(req, r, "s");
    rec->state = (wsc_record_state)fnum(r, "st");
    rec->retry_count = (uint32_t)fnum(r, "rc");
    rec->last_error = (wsc_err)fnum(r, "le");
    rec->error_text = fstr(req, r, "et");
    rec->created_ms = fnum(r, "c");
    rec->updated_ms = fnum(r, "u");
    rec->sent_ms = fnum(r, "sn");
    rec->acked_ms = fnum(r, "ak");
    return WSC_OK;
}

static wsc_err
rec_get(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.records);
    char key[1600];
    rec_key(key, sizeof(key), mid, rcv);
    req->rec.message_id = wsc__req_strdup(req, mid);
    req->rec.receiver = wsc__req_strdup(req, rcv);
    hgetall(rs, req, key, parse_rec);
    return WSC_OK;
}

static wsc_err
rec_remove(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv)
{
    char key[1600];
    rec_key(key, sizeof(key), mid, rcv);
    struct rs_args a = {.n = 2, .v = {"DEL", key}};
    return call_done(wsc_container_of(repo, struct redis_store, repos.records), req, &a);
}

const struct wsc_record_repo_ops wsc__rs_record_ops = {rec_put, rec_update, rec_get, rec_remove};

/* ---- connection records ---- */

static void
conn_key(char *key, size_t n, const char *node, wsc_conn_id id)
{
    char a[3 * 256 + 1];
    wsc__rs_escape(node, a);
    snprintf(key, n, "wsc:conn:{%s}:%" PRIu64, a, (uint64_t)id);
}

/* A script call on the record (node, id); the caller appends the rest. */
static void
conn_args(struct redis_store *rs, struct rs_args *a, const char *script, const char *node,
          wsc_conn_id id)
{
    char key[900];
    conn_key(key, sizeof(key), node, id);
    *a = (struct rs_args){.script = script, .nkeys = 1};
    wsc__rs_argf(a, "%s", key);
    wsc__rs_argf(a, "%" PRIu64, rs->base.cfg.connrec_ttl_ms);
}

static wsc_err
cr_connect(struct wsc_connrec_repo *repo, struct wsc__req *req, const wsc_conn_record *rec)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.connrecs);
    struct rs_args a;
    conn_args(rs, &a, replace_lua, rec->node_id, rec->conn_id);
    adds(&a, "u", rec->user_id);
    adds(&a, "cl", rec->client_id);
    adds(&a, "ip", rec->remote_ip);
    addi(&a, "c", rec->connected_ms ? rec->connected_ms : (int64_t)wsc__wall_ms());
    adds(&a, "a", "1");
    return call_done(rs, req, &a);
}

static wsc_err
cr_add(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id,
       const wsc_conn_record *d)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.connrecs);
    struct rs_args a;
    conn_args(rs, &a, patch_lua, node, id);
    wsc__rs_arg(&a, "0"), wsc__rs_arg(&a, "5"), wsc__rs_arg(&a, "0");
    addi(&a, "mi", (int64_t)d->msgs_in);
    addi(&a, "mo", (int64_t)d->msgs_out);
    addi(&a, "bi", (int64_t)d->bytes_in);
    addi(&a, "bo", (int64_t)d->bytes_out);
    addi(&a, "e", (int64_t)d->errors);
    return call_done(rs, req, &a);
}

static wsc_err
cr_disconnect(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id,
              int code, const char *reason)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.connrecs);
    struct rs_args a;
    conn_args(rs, &a, patch_lua, node, id);
    wsc__rs_arg(&a, "4"), wsc__rs_arg(&a, "0"), wsc__rs_arg(&a, "0");
    adds(&a, "a", "0");
    addi(&a, "d", (int64_t)wsc__wall_ms());
    addi(&a, "cc", code);
    adds(&a, "cr", reason);
    return call_done(rs, req, &a);
}

static wsc_err
parse_conn(struct wsc__req *req, const redisReply *r)
{
    if (!is_hash(r))
        return WSC_ERR_STORE;
    if (r->elements == 0)
        return WSC_ERR_NOT_FOUND;
    wsc_conn_record *c = &req->conn;
    c->user_id = fstr(req, r, "u");
    c->client_id = fstr(req, r, "cl");
    c->remote_ip = fstr(req, r, "ip");
    c->connected_ms = fnum(r, "c");
    c->disconnected_ms = fnum(r, "d");
    c->close_code = (int)fnum(r, "cc");
    c->close_reason = fstr(req, r, "cr");
    c->active = fnum(r, "a") != 0;
    c->msgs_in = (uint64_t)fnum(r, "mi");
    c->msgs_out = (uint64_t)fnum(r, "mo");
    c->bytes_in = (uint64_t)fnum(r, "bi");
    c->bytes_out = (uint64_t)fnum(r, "bo");
    c->errors = (uint64_t)fnum(r, "e");
    return WSC_OK;
}

static wsc_err
cr_get(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.connrecs);
    char key[900];
    conn_key(key, sizeof(key), node, id);
    req->conn.node_id = wsc__req_strdup(req, node);
    req->conn.conn_id = id;
    hgetall(rs, req, key, parse_conn);
    return WSC_OK;
}

const struct wsc_connrec_repo_ops wsc__rs_connrec_ops = {cr_connect, cr_add, cr_disconnect, cr_get};
