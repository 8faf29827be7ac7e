/* SPDX-License-Identifier: MIT */
/* The cluster registry in Redis (repository/bus.h): presence per user and group membership.
 *   wsc:pr:{<user key>}  HASH node -> connections there   TTL (renewed by every write)
 *   wsc:grp:{<group>}    SET  user keys                    bounded by the members
 * Each script touches one key, so each runs on one slot of a Redis Cluster; the presence
 * scripts get the live nodes (the hub stats index, another slot) as an argument. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_bus.h"

/* A node is live while its entry in the hub stats index lies in the future.  The index is
 * another slot than the user's key, so the scripts get the live nodes in ARGV (escaped ids,
 * space-separated: redis_live.c reads them at most RS_LIVE_MS before). */
#define LIVE_FN                                                                            \
    "local L = {} for n in string.gmatch(ARGV[1], '%S+') do "                              \
    "L[(n:gsub('%%(%x%x)', function(h) return string.char(tonumber(h, 16)) end))] = true " \
    "end local function live(n) return L[n] end "

/* ARGV: live nodes, node, count, ttl.  Fields of nodes no longer live are dropped on the way.
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

/* ARGV: live nodes.  The live nodes' fields, as node, count, node, count... */
static const char presence_get_lua[] =
    LIVE_FN "local out = {} local h = redis.call('HGETALL', KEYS[1]) "
            "for i = 1, #h, 2 do if live(h[i]) then out[#out + 1] = h[i] out[#out + 1] = h[i + 1] "
            "end end return out";

/* Every group with its members, as group, n, members...  SCAN and the keys it finds are the
 * node's own: on a Redis Cluster the script runs on each master (a script that declares no
 * keys may read any key of its node). */
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

/* Sends op's script once the live nodes are known (live NULL: they could not be read). */
static void
presence_send(struct redis_store *rs, const struct wsc__rs_live_op *op, const char *live,
              wsc_err status)
{
    if (live == NULL) {
        wsc__req_finish(op->req, status);
        return;
    }
    struct rs_args a = {.script = op->set ? presence_set_lua : presence_get_lua, .nkeys = 1};
    wsc__rs_arg_key(&a, "wsc:pr:{", op->user, "}");
    wsc__rs_arg(&a, live);
    if (op->set) {
        wsc__rs_arg(&a, op->node);
        wsc__rs_argf(&a, "%" PRIu64, op->count);
        wsc__rs_argf(&a, "%" PRIu32, op->ttl_ms);
    }
    wsc__rs_send(rs, op->req, &a, wsc__rs_parse_strs);
}

static wsc_err
presence_op(wsc__bus *bus, bool set, const char *user, const char *node, uint64_t count,
            uint32_t ttl_ms, wsc_hubstats_list_cb cb, void *user_data)
{
    struct wsc__rs_live_op op = {.set = set, .count = count, .ttl_ms = ttl_ms};
    snprintf(op.user, sizeof(op.user), "%s", user);
    snprintf(op.node, sizeof(op.node), "%s", node != NULL ? node : "");
    wsc_err err = wsc__req_new(&bus->cmd->base, WSC__OP_BUS, WSC__REQ_IDS,
                               (union wsc__req_cb){.ids = cb}, user_data, &op.req);
    if (err == WSC_OK)
        wsc__rs_live_run(bus->live, &op, presence_send);
    return err;
}

wsc_err
wsc__bus_presence_set(wsc__bus *bus, const char *user, const char *node, uint64_t count,
                      uint32_t ttl_ms, wsc_hubstats_list_cb cb, void *user_data)
{
    if (bus == NULL || !id_ok(user) || !id_ok(node) || cb == NULL || ttl_ms == 0)
        return WSC_ERR_INVALID;
    return presence_op(bus, true, user, node, count, ttl_ms, cb, user_data);
}

wsc_err
wsc__bus_presence_get(wsc__bus *bus, const char *user, wsc_hubstats_list_cb cb, void *user_data)
{
    if (bus == NULL || !id_ok(user) || cb == NULL)
        return WSC_ERR_INVALID;
    return presence_op(bus, false, user, NULL, 0, 0, cb, user_data);
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
    return wsc__rs_call(bus->cmd, WSC__OP_BUS, WSC__REQ_DONE, (union wsc__req_cb){.done = cb},
                        user_data, &a, wsc__rs_parse_ok);
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
    struct wsc__req *req;
    wsc_err err = wsc__req_new(&bus->cmd->base, WSC__OP_BUS, WSC__REQ_IDS,
                               (union wsc__req_cb){.ids = cb}, user_data, &req);
    if (err == WSC_OK) /* SCAN sees one node's keys: on a Redis Cluster, run it on every master */
        wsc__rs_cl_each_master(bus->cmd, req, groups_load_lua, parse_groups);
    return err;
}
