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

/* Argument builder: strings are copied into one scratch buffer. */
struct args {
    const char *v[32];
    int n;
    char buf[2048];
    size_t used;
};

static void
add(struct args *a, const char *s)
{
    a->v[a->n++] = s ? s : "";
}

static void
addi(struct args *a, int64_t x)
{
    char *p = a->buf + a->used;
    int w = snprintf(p, sizeof(a->buf) - a->used, "%" PRId64, x);
    a->used += (size_t)w + 1;
    a->v[a->n++] = p;
}

static wsc_err
parse_done(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    return v > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

/* The value of field f in an HGETALL reply, or NULL. */
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

static void
submit(wsc_store *s, struct wsc__req *req, const char *script, struct args *a, rs_parse_fn fn)
{
    wsc__rs_eval((struct redis_store *)s, req, script, 1, a->n, a->v, fn);
}

static void
hgetall(wsc_store *s, struct wsc__req *req, const char *key, rs_parse_fn fn)
{
    const char *argv[] = {"HGETALL", key};
    size_t lens[] = {7, strlen(key)};
    wsc__rs_submit((struct redis_store *)s, req, 2, argv, lens, fn);
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
rec_put(struct wsc_record_repo *repo, const wsc_msg_record *rec, wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, records);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[1600];
    rec_key(key, sizeof(key), rec->message_id, rec->receiver);
    int64_t now = (int64_t)wsc__wall_ms();
    struct args a = {.n = 0};
    add(&a, key);
    addi(&a, (int64_t)rs->base.cfg.record_ttl_ms);
    add(&a, "s"), add(&a, rec->sender);
    add(&a, "st"), addi(&a, rec->state);
    add(&a, "rc"), addi(&a, rec->retry_count);
    add(&a, "le"), addi(&a, rec->last_error);
    add(&a, "et"), add(&a, rec->error_text);
    add(&a, "c"), addi(&a, rec->created_ms ? rec->created_ms : now);
    add(&a, "u"), addi(&a, now);
    if (rec->sent_ms != 0)
        add(&a, "sn"), addi(&a, rec->sent_ms);
    if (rec->acked_ms != 0)
        add(&a, "ak"), addi(&a, rec->acked_ms);
    submit(&rs->base, req, replace_lua, &a, parse_done);
    return WSC_OK;
}

static wsc_err
rec_update(struct wsc_record_repo *repo, const char *mid, const char *rcv, wsc_record_state st,
           uint32_t inc, wsc_err le, const char *text, wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, records);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[1600];
    rec_key(key, sizeof(key), mid, rcv);
    int64_t now = (int64_t)wsc__wall_ms();
    bool acked = st == WSC_REC_ACKED || st == WSC_REC_DELIVERED;
    struct args a = {.n = 0};
    add(&a, key);
    addi(&a, (int64_t)rs->base.cfg.record_ttl_ms);
    addi(&a, acked ? 5 : 4), add(&a, "1"), addi(&a, st == WSC_REC_SENT ? 1 : 0);
    add(&a, "st"), addi(&a, st);
    add(&a, "le"), addi(&a, le);
    add(&a, "et"), add(&a, text);
    add(&a, "u"), addi(&a, now);
    if (acked)
        add(&a, "ak"), addi(&a, now);
    add(&a, "rc"), addi(&a, inc);
    if (st == WSC_REC_SENT)
        add(&a, "sn"), addi(&a, now);
    submit(&rs->base, req, patch_lua, &a, parse_done);
    return WSC_OK;
}

static wsc_err
parse_rec(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
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
rec_get(struct wsc_record_repo *repo, const char *mid, const char *rcv, wsc_record_get_cb cb,
        void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, records);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_RECORD, (union wsc__req_cb){.record = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    req->rec.message_id = wsc__req_strdup(req, mid);
    req->rec.receiver = wsc__req_strdup(req, rcv);
    char key[1600];
    rec_key(key, sizeof(key), mid, rcv);
    hgetall(&rs->base, req, key, parse_rec);
    return WSC_OK;
}

static wsc_err
rec_remove(struct wsc_record_repo *repo, const char *mid, const char *rcv, wsc_repo_done_cb cb,
           void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, records);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[1600];
    rec_key(key, sizeof(key), mid, rcv);
    const char *argv[] = {"DEL", key};
    size_t lens[] = {3, strlen(key)};
    wsc__rs_submit(rs, req, 2, argv, lens, parse_done);
    return WSC_OK;
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

static wsc_err
cr_connect(struct wsc_connrec_repo *repo, const wsc_conn_record *rec, wsc_repo_done_cb cb,
           void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, connrecs);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[900];
    conn_key(key, sizeof(key), rec->node_id, rec->conn_id);
    struct args a = {.n = 0};
    add(&a, key);
    addi(&a, (int64_t)rs->base.cfg.connrec_ttl_ms);
    add(&a, "u"), add(&a, rec->user_id);
    add(&a, "cl"), add(&a, rec->client_id);
    add(&a, "ip"), add(&a, rec->remote_ip);
    add(&a, "c"), addi(&a, rec->connected_ms ? rec->connected_ms : (int64_t)wsc__wall_ms());
    add(&a, "a"), add(&a, "1");
    submit(&rs->base, req, replace_lua, &a, parse_done);
    return WSC_OK;
}

static wsc_err
cr_add(struct wsc_connrec_repo *repo, const char *node, wsc_conn_id id, const wsc_conn_record *d,
       wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, connrecs);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[900];
    conn_key(key, sizeof(key), node, id);
    struct args a = {.n = 0};
    add(&a, key);
    addi(&a, (int64_t)rs->base.cfg.connrec_ttl_ms);
    add(&a, "0"), add(&a, "5"), add(&a, "0");
    add(&a, "mi"), addi(&a, (int64_t)d->msgs_in);
    add(&a, "mo"), addi(&a, (int64_t)d->msgs_out);
    add(&a, "bi"), addi(&a, (int64_t)d->bytes_in);
    add(&a, "bo"), addi(&a, (int64_t)d->bytes_out);
    add(&a, "e"), addi(&a, (int64_t)d->errors);
    submit(&rs->base, req, patch_lua, &a, parse_done);
    return WSC_OK;
}

static wsc_err
cr_disconnect(struct wsc_connrec_repo *repo, const char *node, wsc_conn_id id, int code,
              const char *reason, wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, connrecs);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[900];
    conn_key(key, sizeof(key), node, id);
    struct args a = {.n = 0};
    add(&a, key);
    addi(&a, (int64_t)rs->base.cfg.connrec_ttl_ms);
    add(&a, "4"), add(&a, "0"), add(&a, "0");
    add(&a, "a"), add(&a, "0");
    add(&a, "d"), addi(&a, (int64_t)wsc__wall_ms());
    add(&a, "cc"), addi(&a, code);
    add(&a, "cr"), add(&a, reason);
    submit(&rs->base, req, patch_lua, &a, parse_done);
    return WSC_OK;
}

static wsc_err
parse_conn(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
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
cr_get(struct wsc_connrec_repo *repo, const char *node, wsc_conn_id id, wsc_connrec_get_cb cb,
       void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, connrecs);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_CONNREC, (union wsc__req_cb){.connrec = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    req->conn.node_id = wsc__req_strdup(req, node);
    req->conn.conn_id = id;
    char key[900];
    conn_key(key, sizeof(key), node, id);
    hgetall(&rs->base, req, key, parse_conn);
    return WSC_OK;
}

const struct wsc_connrec_repo_ops wsc__rs_connrec_ops = {cr_connect, cr_add, cr_disconnect, cr_get};
