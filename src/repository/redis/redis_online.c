/* SPDX-License-Identifier: MIT */
/* Online status in Redis, per user (one hash tag):
 *   wsc:on:{<user>}:z  ZSET  client_id -> expiry (wall ms); live = score > now
 *   wsc:on:{<user>}:h  HASH  client_id -> node_id
 * Both keys carry a TTL at least as long as the longest live entry; lapsed entries are
 * purged by set and get.  "now" comes from the caller so scripts stay deterministic. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repository/redis/redis_internal.h"

#define PURGE                                                         \
    "local gone = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', NOW) " \
    "for _, c in ipairs(gone) do redis.call('HDEL', KEYS[2], c) end " \
    "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', NOW) "
#define EXTEND(ttl)                                                            \
    "for i = 1, 2 do if redis.call('PTTL', KEYS[i]) < tonumber(" ttl ") then " \
    "redis.call('PEXPIRE', KEYS[i], " ttl ") end end "

static const char set_lua[] =
    "local NOW = ARGV[3] " PURGE
    "redis.call('ZADD', KEYS[1], tonumber(ARGV[3]) + tonumber(ARGV[4]), "
    "ARGV[1]) redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) " EXTEND("ARGV[4]") "return 1";

static const char refresh_lua[] =
    "local s = redis.call('ZSCORE', KEYS[1], ARGV[1]) "
    "if not s or tonumber(s) <= tonumber(ARGV[2]) then return 0 end "
    "redis.call('ZADD', KEYS[1], tonumber(ARGV[2]) + tonumber(ARGV[3]), ARGV[1]) " EXTEND(
        "ARGV[3]") "return 1";

static const char remove_lua[] = "local s = redis.call('ZSCORE', KEYS[1], ARGV[1]) "
                                 "redis.call('ZREM', KEYS[1], ARGV[1]) "
                                 "redis.call('HDEL', KEYS[2], ARGV[1]) "
                                 "if not s or tonumber(s) <= tonumber(ARGV[2]) then return 0 end "
                                 "return 1";

static const char get_lua[] = "local NOW = ARGV[1] " PURGE
                              "local r = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. NOW, '+inf', "
                              "'WITHSCORES') local out = {} "
                              "for i = 1, #r, 2 do out[#out + 1] = r[i] "
                              "out[#out + 1] = redis.call('HGET', KEYS[2], r[i]) or '' "
                              "out[#out + 1] = r[i + 1] end return out";

static struct redis_store *
rs_of(struct wsc_online_repo *repo)
{
    return wsc_container_of(repo, struct redis_store, repos.online);
}

/* A script call on uid's two keys, then client_id and the caller's arguments. */
static void
on_args(struct rs_args *a, const char *script, const char *uid, const char *cid)
{
    *a = (struct rs_args){.script = script, .nkeys = 2};
    wsc__rs_arg_key(a, "wsc:on:{", uid, "}:z");
    wsc__rs_arg_key(a, "wsc:on:{", uid, "}:h");
    if (cid != NULL)
        wsc__rs_arg(a, cid);
}

static wsc_err
on_set(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid,
       const char *node, uint32_t ttl_ms)
{
    struct rs_args a;
    on_args(&a, set_lua, uid, cid);
    wsc__rs_arg(&a, node);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    wsc__rs_argf(&a, "%" PRIu32, ttl_ms);
    return wsc__rs_run(rs_of(repo), req, &a, wsc__rs_parse_found);
}

static wsc_err
on_refresh(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid,
           uint32_t ttl_ms)
{
    struct rs_args a;
    on_args(&a, refresh_lua, uid, cid);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    wsc__rs_argf(&a, "%" PRIu32, ttl_ms);
    return wsc__rs_run(rs_of(repo), req, &a, wsc__rs_parse_found);
}

static wsc_err
on_remove(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid)
{
    struct rs_args a;
    on_args(&a, remove_lua, uid, cid);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    return wsc__rs_run(rs_of(repo), req, &a, wsc__rs_parse_found);
}

static wsc_err
parse_get(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 3 != 0)
        return WSC_ERR_STORE;
    for (size_t i = 0; i < r->elements; i++)
        if (r->element[i]->type != REDIS_REPLY_STRING)
            return WSC_ERR_STORE;
    for (size_t i = 0; i < r->elements; i += 3) {
        if (wsc__req_add_entry(req, r->element[i]->str, r->element[i + 1]->str,
                               strtoll(r->element[i + 2]->str, NULL, 10)) != WSC_OK)
            return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

static wsc_err
on_get(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid)
{
    struct rs_args a;
    on_args(&a, get_lua, uid, NULL);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    return wsc__rs_run(rs_of(repo), req, &a, parse_get);
}

const struct wsc_online_repo_ops wsc__rs_online_ops = {on_set, on_refresh, on_remove, on_get};
