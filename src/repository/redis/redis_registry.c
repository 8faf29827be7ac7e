/* SPDX-License-Identifier: MIT */
/* The cluster registry in Redis (repository/bus.h): presence per user and group membership.
 *   wsc:pr:{<user key>}  HASH node -> connections there   TTL (renewed by every write)
 *   wsc:grp:{<group>}    SET  user keys                    bounded by the members
 * Each script touches one key, so each runs on one slot of a Redis Cluster. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_bus.h"

/* A node is live while its entry in the hub stats index (KEYS[2]) lies in the future (ARGV
 * "now", wall ms).  The node index is another slot: these two scripts need one Redis (not a
 * Redis Cluster; docs/cluster.md). */
#define LIVE_FN                                                          \
    "local function live(n) local s = redis.call('ZSCORE', KEYS[2], n) " \
    "return s and tonumber(s) > tonumber(ARGV[1]) end "

/* ARGV: now, node, count, ttl.  Fields of nodes no longer live are dropped on the way.
 * Returns the user's connections on live nodes before and after, as text. */
static const char presence_set_lua[] =
    LIVE_FN "local function total() local t = 0 local h = redis.call('HGETALL', KEYS[1]) "
            "for i = 1, #h, 2 do if h[i] == ARGV[2] or live(h[i]) then "
            "t = t + tonumber(h[i + 1]) end end return t end "
            "local h = redis.call('HKEYS', KEYS[1]) "
            "for _, n in ipairs(h) do if n ~= ARGV[2] and not live(n) then "
            "redis.call('HDEL', KEYS[1], n) end end "
            "local before = total() "
            "if tonumber(ARGV[3]) > 0 then redis.call('HSET', KEYS[1], ARGV[2], ARGV[3]) "
            "else redis.call('HDEL', KEYS[1], ARGV[2]) end "
            "if redis.call('EXISTS', KEYS[1]) == 1 then "
            "redis.call('PEXPIRE', KEYS[1], ARGV[4]) end "
            "return {tostring(before), tostring(total())}";

/* ARGV: now.  The live nodes' fields, as node, count, node, count... */
static const char presence_get_lua[] =
    LIVE_FN "local out = {} local h = redis.call('HGETALL', KEYS[1]) "
            "for i = 1, #h, 2 do if live(h[i]) then out[#out + 1] = h[i] out[#out + 1] = h[i + 1] "
            "end end return out";

/* Every group with its members, as group, n, members...  (SCAN: one Redis only.) */
static const char groups_load_lua[] =
    "local out = {} local cur = '0' repeat "
    "local r = redis.call('SCAN', cur, 'MATCH', 'wsc:grp:{*}', 'COUNT', 1000) cur = r[1] "
    "for _, k in ipairs(r[2]) do local m = redis.call('SMEMBERS', k) "
    "out[#out + 1] = k out[#out + 1] = tostring(#m) "
    "for _, u in ipairs(m) do out[#out + 1] = u end end until cur == '0' return out";

static bool
id_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) <= 255;
}

wsc_err
wsc__bus_presence_set(wsc__bus *bus, const char *user, const char *node, uint64_t count,
                      uint32_t ttl_ms, wsc_hubstats_list_cb cb, void *user_data)
{
    if (bus == NULL || !id_ok(user) || !id_ok(node) || cb == NULL || ttl_ms == 0)
        return WSC_ERR_INVALID;
    struct rs_args a = {.script = presence_set_lua, .nkeys = 2};
    wsc__rs_arg_key(&a, "wsc:pr:{", user, "}");
    wsc__rs_arg(&a, HS_INDEX);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    wsc__rs_arg(&a, node);
    wsc__rs_argf(&a, "%" PRIu64, count);
    wsc__rs_argf(&a, "%" PRIu32, ttl_ms);
    return wsc__rs_call(bus->cmd, WSC__REQ_IDS, (union wsc__req_cb){.ids = cb}, user_data, &a,
                        wsc__rs_parse_strs);
}

wsc_err
wsc__bus_presence_get(wsc__bus *bus, const char *user, wsc_hubstats_list_cb cb, void *user_data)
{
    if (bus == NULL || !id_ok(user) || cb == NULL)
        return WSC_ERR_INVALID;
    struct rs_args a = {.script = presence_get_lua, .nkeys = 2};
    wsc__rs_arg_key(&a, "wsc:pr:{", user, "}");
    wsc__rs_arg(&a, HS_INDEX);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    return wsc__rs_call(bus->cmd, WSC__REQ_IDS, (union wsc__req_cb){.ids = cb}, user_data, &a,
                        wsc__rs_parse_strs);
}

wsc_err
wsc__bus_group_set(wsc__bus *bus, const char *group, const char *user, bool join,
                   wsc_repo_done_cb cb, void *user_data)
{
    if (bus == NULL || !id_ok(group) || !id_ok(user) || cb == NULL)
        return WSC_ERR_INVALID;
    struct rs_args a = {.n = 1, .v = {join ? "SADD" : "SREM"}};
    wsc__rs_arg_key(&a, "wsc:grp:{", group, "}");
    wsc__rs_arg(&a, user);
    return wsc__rs_call(bus->cmd, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user_data, &a,
                        wsc__rs_parse_ok);
}

/* Like parse_strs, with each group key turned back into the group id. */
static wsc_err
parse_groups(struct wsc__req *req, const redisReply *r)
{
    wsc_err err = wsc__rs_parse_strs(req, r);
    for (size_t i = 0; err == WSC_OK && i + 1 < req->nstrs;) {
        char *k = req->strs[i];
        size_t klen = strlen(k), head = strlen("wsc:grp:{");
        if (klen < head + 1 || k[klen - 1] != '}')
            return WSC_ERR_STORE;
        k[klen - 1] = '\0';
        wsc__rs_unescape(k + head, k);
        i += 2 + (size_t)strtoull(req->strs[i + 1], NULL, 10);
    }
    return err;
}

wsc_err
wsc__bus_groups_load(wsc__bus *bus, wsc_hubstats_list_cb cb, void *user_data)
{
    if (bus == NULL || cb == NULL)
        return WSC_ERR_INVALID;
    struct rs_args a = {.script = groups_load_lua, .nkeys = 0};
    return wsc__rs_call(bus->cmd, WSC__REQ_IDS, (union wsc__req_cb){.ids = cb}, user_data, &a,
                        parse_groups);
}
