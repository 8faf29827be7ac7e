/* SPDX-License-Identifier: MIT */
/* Hub stats and message queues in Redis:
 *   wsc:hs:{nodes}:n:<node>  HASH  c u mi mo bi bo sf q up t (counters, updated_ms)  TTL ttl_ms
 *   wsc:hs:{nodes}:z         ZSET  node_id -> expiry (wall ms)   TTL the longest live entry
 *   wsc:mq:{<name>}          LIST  message JSON, oldest first    TTL queue_ttl_ms
 * The stats keys share one hash tag so put/remove are single scripts; get_many is one
 * pipeline of HGETALL (one write, n replies, one completion). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_internal.h"

#define HS_MAX 256

static const char hs_put_lua[] =
    "redis.call('DEL', KEYS[1]) redis.call('HSET', KEYS[1], unpack(ARGV, 4)) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[3]) "
    "redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[2]) "
    "redis.call('ZADD', KEYS[2], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1]) "
    "local top = redis.call('ZRANGE', KEYS[2], -1, -1, 'WITHSCORES') "
    "redis.call('PEXPIRE', KEYS[2], math.max(1, tonumber(top[2]) - tonumber(ARGV[2]))) "
    "return 1";

static const char hs_remove_lua[] = "redis.call('ZREM', KEYS[2], ARGV[1]) "
                                    "return redis.call('DEL', KEYS[1])";

static const char q_push_lua[] = "local n = redis.call('RPUSH', KEYS[1], ARGV[1]) "
                                 "redis.call('PEXPIRE', KEYS[1], ARGV[2]) return n";

static const char q_pop_lua[] = "local n = tonumber(ARGV[1]) "
                                "local r = redis.call('LRANGE', KEYS[1], 0, n - 1) "
                                "redis.call('LTRIM', KEYS[1], n, -1) "
                                "if redis.call('EXISTS', KEYS[1]) == 1 then "
                                "redis.call('PEXPIRE', KEYS[1], ARGV[2]) end return r";

static void
hs_key(const char *node, char *key, size_t n)
{
    wsc__rs_key(key, n, "wsc:hs:{nodes}:n:", node, "");
}

static const char *const hs_fields[] = {"c", "u", "mi", "mo", "bi", "bo", "sf", "q", "up"};
#define HS_NFIELDS (sizeof(hs_fields) / sizeof(hs_fields[0]))

static uint64_t *
hs_slot(wsc_node_stats *st, size_t i)
{
    uint64_t *slots[HS_NFIELDS] = {&st->connections,  &st->users,    &st->messages_in,
                                   &st->messages_out, &st->bytes_in, &st->bytes_out,
                                   &st->send_failed,  &st->queued,   &st->uptime_ms};
    return slots[i];
}

static wsc_err
hs_put(struct wsc_hubstats_repo *repo, struct wsc__req *req, const wsc_node_stats *st,
       uint32_t ttl_ms)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.hubstats);
    uint64_t now = wsc__wall_ms();
    struct rs_args a = {.script = hs_put_lua, .nkeys = 2};
    wsc__rs_arg_key(&a, "wsc:hs:{nodes}:n:", st->node_id, "");
    wsc__rs_arg(&a, HS_INDEX);
    wsc__rs_arg(&a, st->node_id);
    wsc__rs_argf(&a, "%" PRIu64, now);
    wsc__rs_argf(&a, "%" PRIu32, ttl_ms);
    wsc__rs_arg(&a, "t");
    wsc__rs_argf(&a, "%" PRIu64, now);
    wsc_node_stats copy = *st;
    for (size_t i = 0; i < HS_NFIELDS; i++) {
        wsc__rs_arg(&a, hs_fields[i]);
        wsc__rs_argf(&a, "%" PRIu64, *hs_slot(&copy, i));
    }
    return wsc__rs_run(rs, req, &a, wsc__rs_parse_found);
}

static wsc_err
parse_stats(struct wsc__req *req, const redisReply *r)
{
    size_t idx = (size_t)req->cursor++;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return WSC_ERR_STORE;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return WSC_ERR_STORE;
    if (r->elements == 0)
        return WSC_OK; /* absent or lapsed: left out */
    wsc_node_stats st = {.node_id = req->strs[idx]};
    for (size_t i = 0; i < r->elements; i += 2) {
        const char *f = r->element[i]->str, *v = r->element[i + 1]->str;
        if (strcmp(f, "t") == 0)
            st.updated_ms = strtoll(v, NULL, 10);
        for (size_t k = 0; k < HS_NFIELDS; k++)
            if (strcmp(f, hs_fields[k]) == 0)
                *hs_slot(&st, k) = strtoull(v, NULL, 10);
    }
    return wsc__req_add_stats(req, &st);
}

static wsc_err
hs_get_many(struct wsc_hubstats_repo *repo, struct wsc__req *req, const char *const *ids, size_t n)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.hubstats);
    char(*keys)[900] = wsc__malloc(n * sizeof(*keys));
    const char **argv = wsc__malloc(2 * n * sizeof(*argv));
    for (size_t i = 0; keys != NULL && argv != NULL && i < n; i++) {
        if (wsc__req_strdup(req, ids[i]) == NULL)
            break;
        hs_key(ids[i], keys[i], sizeof(keys[i]));
        argv[2 * i] = "HGETALL";
        argv[2 * i + 1] = keys[i];
    }
    if (keys == NULL || argv == NULL || req->nstrs != n)
        wsc__req_finish(req, WSC_ERR_NOMEM);
    else
        wsc__rs_pipeline(rs, req, (int)n, 2, argv, parse_stats);
    wsc__free(keys);
    wsc__free(argv);
    return WSC_OK;
}

static wsc_err
hs_list(struct wsc_hubstats_repo *repo, struct wsc__req *req)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.hubstats);
    struct rs_args a = {.n = 2, .v = {"ZRANGEBYSCORE", HS_INDEX}};
    wsc__rs_argf(&a, "(%" PRIu64, wsc__wall_ms());
    wsc__rs_arg(&a, "+inf");
    return wsc__rs_run(rs, req, &a, wsc__rs_parse_strs);
}

static wsc_err
hs_remove(struct wsc_hubstats_repo *repo, struct wsc__req *req, const char *node)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.hubstats);
    struct rs_args a = {.script = hs_remove_lua, .nkeys = 2};
    wsc__rs_arg_key(&a, "wsc:hs:{nodes}:n:", node, "");
    wsc__rs_arg(&a, HS_INDEX);
    wsc__rs_arg(&a, node);
    return wsc__rs_run(rs, req, &a, wsc__rs_parse_found);
}

const struct wsc_hubstats_repo_ops wsc__rs_hubstats_ops = {hs_put, hs_get_many, hs_list, hs_remove};

/* ---- message queues ---- */

/* A script (or, with script NULL, the command cmd) on the queue name. */
static void
q_args(struct rs_args *a, const char *script, const char *cmd, const char *name)
{
    *a = (struct rs_args){.script = script, .nkeys = 1};
    if (cmd != NULL)
        wsc__rs_arg(a, cmd);
    wsc__rs_arg_key(a, "wsc:mq:{", name, "}");
}

static wsc_err
q_push(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name, wsc_msg *msg)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.queues);
    wsc_buf json = {0};
    wsc_err err = wsc__queue_encode(msg, &json);
    if (err != WSC_OK)
        return err;
    struct rs_args a;
    q_args(&a, q_push_lua, NULL, name);
    wsc__rs_arg(&a, json.data);
    wsc__rs_argf(&a, "%" PRIu64, rs->base.cfg.queue_ttl_ms);
    err = wsc__rs_run(rs, req, &a, wsc__rs_parse_count);
    wsc_buf_free(&json);
    return err;
}

static wsc_err
parse_msgs(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return WSC_ERR_STORE;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *v = r->element[i];
        wsc_msg *m = NULL;
        if (v->type != REDIS_REPLY_STRING)
            return WSC_ERR_STORE;
        wsc_err err = wsc__offline_decode(v->str, (size_t)v->len, &m);
        if (err != WSC_OK)
            return err;
        if (wsc__req_add_msg(req, m) != WSC_OK)
            return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

static wsc_err
q_pop(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name, size_t max)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, repos.queues);
    struct rs_args a;
    q_args(&a, q_pop_lua, NULL, name);
    wsc__rs_argf(&a, "%zu", max);
    wsc__rs_argf(&a, "%" PRIu64, rs->base.cfg.queue_ttl_ms);
    return wsc__rs_run(rs, req, &a, parse_msgs);
}

static wsc_err
q_length(struct wsc_queue_repo *repo, struct wsc__req *req, const char *name)
{
    struct rs_args a;
    q_args(&a, NULL, "LLEN", name);
    return wsc__rs_run(wsc_container_of(repo, struct redis_store, repos.queues), req, &a,
                       wsc__rs_parse_count);
}

const struct wsc_queue_repo_ops wsc__rs_queue_ops = {q_push, q_pop, q_length};
