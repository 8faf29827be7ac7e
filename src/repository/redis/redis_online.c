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

struct keys {
    char z[800], h[800];
};

static void
make_keys(const char *uid, struct keys *k)
{
    wsc__rs_key(k->z, sizeof(k->z), "wsc:on:{", uid, "}:z");
    wsc__rs_key(k->h, sizeof(k->h), "wsc:on:{", uid, "}:h");
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

static wsc_err
start(struct wsc_online_repo *repo, enum wsc__req_kind kind, union wsc__req_cb cb, void *user,
      struct wsc__req **req)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, online);
    return wsc__req_new(&rs->base, kind, cb, user, req);
}

static void
eval(struct wsc_online_repo *repo, struct wsc__req *req, const char *script, const char *uid,
     int nargs, const char **args, rs_parse_fn fn)
{
    struct redis_store *rs = wsc_container_of(repo, struct redis_store, online);
    struct keys k;
    make_keys(uid, &k);
    const char *all[8] = {k.z, k.h};
    for (int i = 0; i < nargs; i++)
        all[2 + i] = args[i];
    wsc__rs_eval(rs, req, script, 2, 2 + nargs, all, fn);
}

static wsc_err
on_set(struct wsc_online_repo *repo, const char *uid, const char *cid, const char *node,
       uint32_t ttl_ms, wsc_repo_done_cb cb, void *user)
{
    struct wsc__req *req;
    wsc_err err = start(repo, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char now[24], ttl[24];
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    snprintf(ttl, sizeof(ttl), "%" PRIu32, ttl_ms);
    const char *args[] = {cid, node, now, ttl};
    eval(repo, req, set_lua, uid, 4, args, parse_done);
    return WSC_OK;
}

static wsc_err
on_refresh(struct wsc_online_repo *repo, const char *uid, const char *cid, uint32_t ttl_ms,
           wsc_repo_done_cb cb, void *user)
{
    struct wsc__req *req;
    wsc_err err = start(repo, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char now[24], ttl[24];
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    snprintf(ttl, sizeof(ttl), "%" PRIu32, ttl_ms);
    const char *args[] = {cid, now, ttl};
    eval(repo, req, refresh_lua, uid, 3, args, parse_done);
    return WSC_OK;
}

static wsc_err
on_remove(struct wsc_online_repo *repo, const char *uid, const char *cid, wsc_repo_done_cb cb,
          void *user)
{
    struct wsc__req *req;
    wsc_err err = start(repo, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char now[24];
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    const char *args[] = {cid, now};
    eval(repo, req, remove_lua, uid, 2, args, parse_done);
    return WSC_OK;
}

static wsc_err
parse_get(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 3 != 0)
        return WSC_ERR_STORE;
    for (size_t i = 0; i < r->elements; i += 3) {
        if (wsc__req_add_entry(req, r->element[i]->str, r->element[i + 1]->str,
                               strtoll(r->element[i + 2]->str, NULL, 10)) != WSC_OK)
            return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

static wsc_err
on_get(struct wsc_online_repo *repo, const char *uid, wsc_online_get_cb cb, void *user)
{
    struct wsc__req *req;
    wsc_err err = start(repo, WSC__REQ_ONLINE, (union wsc__req_cb){.online = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char now[24];
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    const char *args[] = {now};
    eval(repo, req, get_lua, uid, 1, args, parse_get);
    return WSC_OK;
}

const struct wsc_online_repo_ops wsc__rs_online_ops = {on_set, on_refresh, on_remove, on_get};
