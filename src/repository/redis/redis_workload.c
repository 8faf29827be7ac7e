/* SPDX-License-Identifier: MIT */
/* Workload in Redis, one sorted set per namespace:
 *   wsc:wl:{<ns>}:z  ZSET  agent_id -> load   TTL workload_ttl_ms, renewed by every write
 * "Acquire the least loaded agent" is one script (it declares its one KEY): the lowest score
 * (ZRANGE 0 0, or ZRANGEBYSCORE below the cap with LIMIT 0 1; ties go to the smaller member,
 * Redis's own order), or the lowest ZSCORE among the candidates, then ZINCRBY 1. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repository/redis/redis_internal.h"

static const char set_lua[] = "redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1]) "
                              "redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1";

static const char add_lua[] = "local s = redis.call('ZSCORE', KEYS[1], ARGV[1]) "
                              "if not s then return -1 end "
                              "local n = math.max(0, tonumber(s) + tonumber(ARGV[2])) "
                              "redis.call('ZADD', KEYS[1], n, ARGV[1]) "
                              "redis.call('PEXPIRE', KEYS[1], ARGV[3]) return n";

static const char acquire_lua[] =
    "local maxl = tonumber(ARGV[2]) local best, bl "
    "if #ARGV == 2 then local r "
    "if maxl > 0 then r = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. maxl, "
    "'WITHSCORES', 'LIMIT', 0, 1) "
    "else r = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES') end "
    "if #r == 0 then return {redis.call('EXISTS', KEYS[1]) == 1 and -2 or -1} end "
    "best = r[1] bl = tonumber(r[2]) "
    "else local any = false "
    "for i = 3, #ARGV do local s = redis.call('ZSCORE', KEYS[1], ARGV[i]) "
    "if s then any = true s = tonumber(s) "
    "if (maxl == 0 or s < maxl) and (not best or s < bl or (s == bl and ARGV[i] < best)) "
    "then best = ARGV[i] bl = s end end end "
    "if not best then return {any and -2 or -1} end end "
    "local n = redis.call('ZINCRBY', KEYS[1], 1, best) "
    "redis.call('PEXPIRE', KEYS[1], ARGV[1]) return {best, n}";

static struct redis_store *
rs_of(struct wsc_workload_repo *repo)
{
    return wsc_container_of(repo, struct redis_store, repos.workload);
}

/* A script call on ns's set: the key, then the arguments the caller appends. */
static void
wl_args(struct rs_args *a, const char *script, const char *ns)
{
    *a = (struct rs_args){.script = script, .nkeys = 1};
    wsc__rs_arg_key(a, "wsc:wl:{", ns, "}:z");
}

static wsc_err
parse_load(struct wsc__req *req, const redisReply *r)
{
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    if (v < 0)
        return WSC_ERR_NOT_FOUND;
    req->count = (uint64_t)v;
    return WSC_OK;
}

/* The script that sets or adds value (a number) for agent in ns, renewing ns's TTL. */
static wsc_err
wl_write(struct wsc_workload_repo *repo, struct wsc__req *req, const char *script, const char *ns,
         const char *agent, const char *value, rs_parse_fn parse)
{
    struct redis_store *rs = rs_of(repo);
    struct rs_args a;
    wl_args(&a, script, ns);
    wsc__rs_arg(&a, agent);
    wsc__rs_arg(&a, value);
    wsc__rs_argf(&a, "%" PRIu64, rs->base.cfg.workload_ttl_ms);
    return wsc__rs_run(rs, req, &a, parse);
}

static wsc_err
wl_set(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent,
       uint64_t load)
{
    if (load > (1ull << 53))
        return WSC_ERR_INVALID;
    char v[24];
    snprintf(v, sizeof(v), "%" PRIu64, load);
    return wl_write(repo, req, set_lua, ns, agent, v, wsc__rs_parse_found);
}

static wsc_err
wl_add(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent,
       int64_t delta)
{
    char v[24];
    snprintf(v, sizeof(v), "%" PRId64, delta);
    return wl_write(repo, req, add_lua, ns, agent, v, parse_load);
}

static wsc_err
parse_score(struct wsc__req *req, const redisReply *r)
{
    if (r->type == REDIS_REPLY_NIL)
        return WSC_ERR_NOT_FOUND;
    if (r->type != REDIS_REPLY_STRING)
        return WSC_ERR_STORE;
    req->count = strtoull(r->str, NULL, 10);
    return WSC_OK;
}

/* A plain command "<cmd> <key of ns> <agent>". */
static void
wl_cmd(struct rs_args *a, const char *cmd, const char *ns, const char *agent)
{
    *a = (struct rs_args){.n = 1, .v = {cmd}};
    wsc__rs_arg_key(a, "wsc:wl:{", ns, "}:z");
    wsc__rs_arg(a, agent);
}

static wsc_err
wl_get(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent)
{
    struct rs_args a;
    wl_cmd(&a, "ZSCORE", ns, agent);
    return wsc__rs_run(rs_of(repo), req, &a, parse_score);
}

static wsc_err
wl_remove(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns, const char *agent)
{
    struct rs_args a;
    wl_cmd(&a, "ZREM", ns, agent);
    return wsc__rs_run(rs_of(repo), req, &a, wsc__rs_parse_found);
}

static wsc_err
parse_acquire(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements == 0)
        return WSC_ERR_STORE;
    const redisReply *a = r->element[0];
    if (a->type == REDIS_REPLY_INTEGER && r->elements == 1 &&
        (a->integer == -1 || a->integer == -2))
        return a->integer == -2 ? WSC_ERR_LIMIT : WSC_ERR_NOT_FOUND; /* the script's {-1}/{-2} */
    if (a->type != REDIS_REPLY_STRING || r->elements != 2 ||
        r->element[1]->type != REDIS_REPLY_STRING)
        return WSC_ERR_STORE;
    req->str = wsc__req_strndup(req, a->str, (size_t)a->len);
    req->count = strtoull(r->element[1]->str, NULL, 10);
    return req->str != NULL ? WSC_OK : WSC_ERR_NOMEM;
}

static wsc_err
wl_acquire(struct wsc_workload_repo *repo, struct wsc__req *req, const char *ns,
           const char *const *cands, size_t n, uint64_t max_load)
{
    struct redis_store *rs = rs_of(repo);
    struct rs_args a;
    wl_args(&a, acquire_lua, ns);
    wsc__rs_argf(&a, "%" PRIu64, rs->base.cfg.workload_ttl_ms);
    wsc__rs_argf(&a, "%" PRIu64, max_load);
    for (size_t i = 0; i < n; i++)
        wsc__rs_arg(&a, cands[i]);
    return wsc__rs_run(rs, req, &a, parse_acquire);
}

const struct wsc_workload_repo_ops wsc__rs_workload_ops = {wl_set, wl_add, wl_get, wl_remove,
                                                           wl_acquire};
