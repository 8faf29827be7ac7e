/* SPDX-License-Identifier: MIT */
/* Offline messages in Redis, per user (keys share the hash tag {user} so that one script
 * touches one slot):
 *   wsc:off:{<user>}:z  ZSET  key -> sequence (the cursor; store order)
 *   wsc:off:{<user>}:h  HASH  key -> "<expires_ms> <message JSON>"
 * where key is wsc_msg_key(sender, message_id) (wsc/msg.h: message_ids are scoped to their
 * sender).
 *   wsc:off:{<user>}:q  STRING the user's last sequence number
 * Every script declares its KEYS; each store renews the TTL of all three keys.  Expired
 * messages are purged from the head (one TTL per store, so the head expires first). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_internal.h"

#define PURGE_FN                                                        \
    "local function purge(z, h, now) "                                  \
    "while true do local m = redis.call('ZRANGE', z, 0, 0) "            \
    "if #m == 0 then return end "                                       \
    "local v = redis.call('HGET', h, m[1]) "                            \
    "if v and tonumber(string.match(v, '^%d+')) > now then return end " \
    "redis.call('ZREM', z, m[1]) redis.call('HDEL', h, m[1]) end end "

/* KEYS[4], when given, is the hybrid store's write-ahead list (redis_pending.c): the message
 * is marked there as owed to MySQL (ARGV[6]) whenever Redis holds it after the script. */
static const char store_lua[] =
    PURGE_FN "local function mark() if #KEYS == 4 then "
             "redis.call('ZADD', KEYS[4], 'NX', ARGV[4], ARGV[6]) "
             "redis.call('PEXPIRE', KEYS[4], ARGV[5]) end end "
             "purge(KEYS[1], KEYS[2], tonumber(ARGV[4])) "
             "if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then mark() return 0 end "
             "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end "
             "local s = redis.call('INCR', KEYS[3]) "
             "redis.call('ZADD', KEYS[1], s, ARGV[1]) "
             "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) "
             "for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end "
             "mark() return s";

static const char fetch_lua[] =
    PURGE_FN "purge(KEYS[1], KEYS[2], tonumber(ARGV[3])) "
             "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', "
             "'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2])) "
             "local out = {} "
             "for i = 1, #ids, 2 do out[#out + 1] = ids[i + 1] "
             "out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or '' end "
             "return out";

static const char count_lua[] = PURGE_FN "purge(KEYS[1], KEYS[2], tonumber(ARGV[1])) "
                                         "return redis.call('ZCARD', KEYS[1])";

static const char remove_lua[] = "local n = redis.call('ZREM', KEYS[1], ARGV[1]) "
                                 "redis.call('HDEL', KEYS[2], ARGV[1]) return n";

static const char clear_lua[] = "redis.call('DEL', KEYS[1], KEYS[2]) return 1";

struct keys {
    char z[800], h[800], q[800];
};

static void
make_keys(const char *uid, struct keys *k)
{
    wsc__rs_offline_key(uid, 'z', k->z, sizeof(k->z));
    wsc__rs_offline_key(uid, 'h', k->h, sizeof(k->h));
    wsc__rs_offline_key(uid, 'q', k->q, sizeof(k->q));
}

void
wsc__rs_offline_key(const char *user_id, char part, char *out, size_t cap)
{
    char tail[4] = {'}', ':', part, '\0'};
    wsc__rs_key(out, cap, "wsc:off:{", user_id, tail);
}

static struct redis_store *
rs_of(struct wsc_offline_repo *repo)
{
    return wsc_container_of(repo, struct redis_store, offline);
}

static wsc_err
parse_store(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    return v < 0 ? WSC_ERR_LIMIT : WSC_OK;
}

wsc_err
wsc__rs_offline_store(struct redis_store *rs, const char *uid, wsc_msg *msg, const char *pend_key,
                      const char *marker, wsc_repo_done_cb cb, void *user)
{
    char key[WSC_MSG_KEY_MAX]; /* (sender, message_id) */
    if (!wsc__str_ok(uid) || wsc_msg_key_of(msg, key, sizeof(key)) != WSC_OK)
        return WSC_ERR_INVALID;
    wsc_buf json = {0};
    wsc_err err = wsc__offline_encode(msg, &json);
    if (err != WSC_OK)
        return err;
    struct wsc__req *req;
    err = wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    char *val = err == WSC_OK ? wsc__malloc(json.len + 32) : NULL;
    if (err == WSC_OK && val == NULL)
        err = WSC_ERR_NOMEM; /* (req then finishes below) */
    if (val != NULL) {
        uint64_t now = wsc__wall_ms();
        snprintf(val, json.len + 32, "%" PRIu64 " %s", now + rs->base.cfg.offline_ttl_ms,
                 json.data);
        char max[24], nows[24], ttl[24];
        snprintf(max, sizeof(max), "%" PRIu32, rs->base.cfg.offline_max_per_user);
        snprintf(nows, sizeof(nows), "%" PRIu64, now);
        snprintf(ttl, sizeof(ttl), "%" PRIu64, rs->base.cfg.offline_ttl_ms);
        struct keys k;
        make_keys(uid, &k);
        const char *args[] = {k.z, k.h, k.q, pend_key, key, val, max, nows, ttl, marker};
        if (marker != NULL)
            wsc__rs_eval(rs, req, store_lua, 4, 10, args, parse_store);
        else {
            const char *plain[] = {k.z, k.h, k.q, args[4], val, max, nows, ttl};
            wsc__rs_eval(rs, req, store_lua, 3, 8, plain, parse_store);
        }
    } else if (err == WSC_ERR_NOMEM) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        err = WSC_OK;
    }
    wsc__free(val);
    wsc_buf_free(&json);
    return err;
}

static wsc_err
off_store(struct wsc_offline_repo *repo, const char *uid, wsc_msg *msg, wsc_repo_done_cb cb,
          void *user)
{
    return wsc__rs_offline_store(rs_of(repo), uid, msg, NULL, NULL, cb, user);
}

static wsc_err
parse_fetch(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 0)
        return WSC_ERR_STORE;
    for (size_t i = 0; i + 1 < r->elements; i += 2) {
        const redisReply *seq = r->element[i], *val = r->element[i + 1];
        if (seq->type != REDIS_REPLY_STRING || val->type != REDIS_REPLY_STRING)
            return WSC_ERR_STORE;
        const char *sp = memchr(val->str, ' ', (size_t)val->len);
        wsc_msg *m = NULL;
        if (sp == NULL ||
            wsc__offline_decode(sp + 1, (size_t)(val->str + val->len - sp - 1), &m) != WSC_OK)
            return WSC_ERR_STORE;
        if (wsc__req_add_msg(req, m) != WSC_OK)
            return WSC_ERR_NOMEM;
        req->cursor = strtoull(seq->str, NULL, 10);
    }
    return WSC_OK;
}

static wsc_err
off_fetch(struct wsc_offline_repo *repo, const char *uid, uint64_t after, size_t limit,
          wsc_offline_fetch_cb cb, void *user)
{
    struct redis_store *rs = rs_of(repo);
    if (!wsc__str_ok(uid) || limit == 0 || limit > 1000)
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_FETCH, (union wsc__req_cb){.fetch = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    req->cursor = after;
    char a[24], l[24], now[24];
    snprintf(a, sizeof(a), "%" PRIu64, after);
    snprintf(l, sizeof(l), "%zu", limit);
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    struct keys k;
    make_keys(uid, &k);
    const char *args[] = {k.z, k.h, a, l, now};
    wsc__rs_eval(rs, req, fetch_lua, 2, 5, args, parse_fetch);
    return WSC_OK;
}

static wsc_err
parse_removed(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    return v > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

static wsc_err
off_remove(struct wsc_offline_repo *repo, const char *uid, const char *mid, wsc_repo_done_cb cb,
           void *user)
{
    struct redis_store *rs = rs_of(repo);
    if (!wsc__str_ok(uid) || !wsc__str_ok(mid))
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    struct keys k;
    make_keys(uid, &k);
    const char *args[] = {k.z, k.h, mid};
    wsc__rs_eval(rs, req, remove_lua, 2, 3, args, parse_removed);
    return WSC_OK;
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
off_count(struct wsc_offline_repo *repo, const char *uid, wsc_repo_count_cb cb, void *user)
{
    struct redis_store *rs = rs_of(repo);
    if (!wsc__str_ok(uid))
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_COUNT, (union wsc__req_cb){.count = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char now[24];
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    struct keys k;
    make_keys(uid, &k);
    const char *args[] = {k.z, k.h, now};
    wsc__rs_eval(rs, req, count_lua, 2, 3, args, parse_count);
    return WSC_OK;
}

static wsc_err
parse_ok(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    (void)r;
    return WSC_OK;
}

static wsc_err
off_clear(struct wsc_offline_repo *repo, const char *uid, wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = rs_of(repo);
    if (!wsc__str_ok(uid))
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    struct keys k;
    make_keys(uid, &k);
    const char *args[] = {k.z, k.h};
    wsc__rs_eval(rs, req, clear_lua, 2, 2, args, parse_ok);
    return WSC_OK;
}

const struct wsc_offline_repo_ops wsc__rs_offline_ops = {off_store, off_fetch, off_remove,
                                                         off_count, off_clear};
