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

static wsc_err
parse_int_found(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    return v > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

/* Field names of the stats hash and where their values live. */
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
hs_put(struct wsc_hubstats_repo *repo, const wsc_node_stats *st, uint32_t ttl_ms,
       wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, hubstats);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[900], now[24], ttl[24], vals[HS_NFIELDS][24];
    hs_key(st->node_id, key, sizeof(key));
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    snprintf(ttl, sizeof(ttl), "%" PRIu32, ttl_ms);
    const char *args[8 + 2 * HS_NFIELDS] = {key, HS_INDEX, st->node_id, now, ttl, "t", now};
    int n = 7;
    wsc_node_stats copy = *st;
    for (size_t i = 0; i < HS_NFIELDS; i++) {
        snprintf(vals[i], sizeof(vals[i]), "%" PRIu64, *hs_slot(&copy, i));
        args[n++] = hs_fields[i];
        args[n++] = vals[i];
    }
    wsc__rs_eval(rs, req, hs_put_lua, 2, n, args, parse_int_found);
    return WSC_OK;
}

/* One HGETALL reply of the pipeline; req->cursor counts the replies seen, req->strs[0..n)
 * hold the ids asked for. */
static wsc_err
parse_stats(struct wsc__req *req, const redisReply *r)
{
    size_t idx = (size_t)req->cursor++;
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
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
hs_get_many(struct wsc_hubstats_repo *repo, const char *const *ids, size_t n,
            wsc_hubstats_get_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, hubstats);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_STATS, (union wsc__req_cb){.stats = cb}, user, &req);
    if (err != WSC_OK)
        return err;
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
parse_ids(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return WSC_ERR_STORE;
    for (size_t i = 0; i < r->elements; i++)
        if (wsc__req_strdup(req, r->element[i]->str) == NULL)
            return WSC_ERR_NOMEM;
    return WSC_OK;
}

static wsc_err
hs_list(struct wsc_hubstats_repo *repo, wsc_hubstats_list_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, hubstats);
    struct wsc__req *req;
    wsc_err err = wsc__req_new(&rs->base, WSC__REQ_IDS, (union wsc__req_cb){.ids = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char now[24];
    snprintf(now, sizeof(now), "(%" PRIu64, wsc__wall_ms());
    const char *argv[] = {"ZRANGEBYSCORE", HS_INDEX, now, "+inf"};
    size_t lens[] = {13, strlen(HS_INDEX), strlen(now), 4};
    wsc__rs_submit(rs, req, 4, argv, lens, parse_ids);
    return WSC_OK;
}

static wsc_err
hs_remove(struct wsc_hubstats_repo *repo, const char *node, wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, hubstats);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[900];
    hs_key(node, key, sizeof(key));
    const char *args[] = {key, HS_INDEX, node};
    wsc__rs_eval(rs, req, hs_remove_lua, 2, 3, args, parse_int_found);
    return WSC_OK;
}

const struct wsc_hubstats_repo_ops wsc__rs_hubstats_ops = {hs_put, hs_get_many, hs_list, hs_remove};

/* ---- message queues ---- */

static void
q_key(const char *name, char *key, size_t n)
{
    wsc__rs_key(key, n, "wsc:mq:{", name, "}");
}

static wsc_err
parse_count(struct wsc__req *req, const redisReply *r)
{
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    req->count = (uint64_t)v;
    return WSC_OK;
}

static wsc_err
q_push(struct wsc_queue_repo *repo, const char *name, wsc_msg *msg, wsc_repo_count_cb cb,
       void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, queues);
    wsc_buf json = {0};
    wsc_err err = wsc__queue_encode(msg, &json);
    if (err != WSC_OK)
        return err;
    struct wsc__req *req;
    err = wsc__req_new(&rs->base, WSC__REQ_COUNT, (union wsc__req_cb){.count = cb}, user, &req);
    if (err == WSC_OK) {
        char key[800], ttl[24];
        q_key(name, key, sizeof(key));
        snprintf(ttl, sizeof(ttl), "%" PRIu64, rs->base.cfg.queue_ttl_ms);
        const char *args[] = {key, json.data, ttl};
        wsc__rs_eval(rs, req, q_push_lua, 1, 3, args, parse_count);
    }
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
        if (v->type != REDIS_REPLY_STRING ||
            wsc__offline_decode(v->str, (size_t)v->len, &m) != WSC_OK)
            return WSC_ERR_STORE;
        if (wsc__req_add_msg(req, m) != WSC_OK)
            return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

static wsc_err
q_pop(struct wsc_queue_repo *repo, const char *name, size_t max, wsc_queue_pop_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, queues);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_MSGS, (union wsc__req_cb){.msgs = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[800], n[24], ttl[24];
    q_key(name, key, sizeof(key));
    snprintf(n, sizeof(n), "%zu", max);
    snprintf(ttl, sizeof(ttl), "%" PRIu64, rs->base.cfg.queue_ttl_ms);
    const char *args[] = {key, n, ttl};
    wsc__rs_eval(rs, req, q_pop_lua, 1, 3, args, parse_msgs);
    return WSC_OK;
}

static wsc_err
q_length(struct wsc_queue_repo *repo, const char *name, wsc_repo_count_cb cb, void *user)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, queues);
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_COUNT, (union wsc__req_cb){.count = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[800];
    q_key(name, key, sizeof(key));
    const char *argv[] = {"LLEN", key};
    size_t lens[] = {4, strlen(key)};
    wsc__rs_submit(rs, req, 2, argv, lens, parse_count);
    return WSC_OK;
}

const struct wsc_queue_repo_ops wsc__rs_queue_ops = {q_push, q_pop, q_length};
