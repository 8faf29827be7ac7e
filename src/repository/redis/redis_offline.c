/* SPDX-License-Identifier: MIT */
/* Offline messages in Redis, per user (keys share the hash tag {user} so that one script
 * touches one slot):
 *   wsc:off:{<user>}:z  ZSET  key -> sequence (the cursor; store order)
 *   wsc:off:{<user>}:h  HASH  key -> "<expires_ms> <message JSON>"
 * where key is wsc_msg_key(sender, message_id) (wsc/msg.h: message_ids are scoped to their
 * sender).
 *   wsc:off:{<user>}:q  STRING the user's last sequence number
 *   wsc:off:{<user>}:s  HASH  message_id -> sender (messages that have one)
 *   wsc:off:{<user>}:c  HASH  sender -> messages of that sender here (its share)
 *   wsc:off:{<user>}:e  STRING the user's epoch: Redis's TIME (us) when the first store found
 *                       no epoch.  Remove and clear keep it, so it changes only when Redis
 *                       lost the user's keys (a restart without persistence, a flush): the
 *                       hybrid drain tells such a loss from an ACK by it (redis_pending.c)
 * and per sender, what it holds in all inboxes (the per-sender bounds):
 *   wsc:offs:{<sender>}:z  ZSET  "<escaped user> <message_id>" -> expires_ms
 *   wsc:offs:{<sender>}:h  HASH  the same member -> bytes; field "#" -> their sum
 * Every script declares its KEYS and touches one hash tag (one slot of a Redis Cluster); each
 * store renews the TTL of the keys it writes.  Expired messages are purged from the head (one
 * TTL per store, so the head expires first), and a sender's expired entries from its ZSET.
 * A store is up to three steps, each sent once the one before has answered: the hybrid
 * store's write-ahead mark (when asked, on a Redis Cluster; on one Redis the store script
 * marks the message itself), the sender's tally (when its bounds across inboxes are on: the
 * reservation is taken in the sender's slot first), then the store script in the user's
 * slot, which checks the user's bounds; a store it refuses gives the reservation back.
 * Remove and clear return the senders of what they removed, and a second script on the
 * sender's keys gives it back (so a sender's tally is exact but for a give-back that is
 * lost, or a store that stops between its steps: that entry then lapses with the message's
 * TTL; meanwhile the sender's bound counts it). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_internal.h"

/* unshare(c, s, mid): the message leaves its sender's share of the inbox. */
#define PURGE_FN                                                                     \
    "local function unshare(c, s, mid) local snd = redis.call('HGET', s, mid) "      \
    "if not snd then return false end redis.call('HDEL', s, mid) "                   \
    "if redis.call('HINCRBY', c, snd, -1) <= 0 then redis.call('HDEL', c, snd) end " \
    "return snd end "                                                                \
    "local function purge(z, h, c, s, now) "                                         \
    "while true do local m = redis.call('ZRANGE', z, 0, 0) "                         \
    "if #m == 0 then return end "                                                    \
    "local v = redis.call('HGET', h, m[1]) "                                         \
    "if v and tonumber(string.match(v, '^%d+')) > now then return end "              \
    "redis.call('ZREM', z, m[1]) redis.call('HDEL', h, m[1]) unshare(c, s, m[1]) end end "

/* KEYS z h q c s e, then (on one Redis) the hybrid's write-ahead list when ARGV[8], a marker,
 * is not "": the message is marked there whenever Redis holds it after the script.  ARGV:
 * mid, value, max per user, now, ttl, sender ("" for none), the sender's share of one inbox,
 * marker.  Returns the sequence, 0 for a duplicate, -1 (user full), -2 (the sender's share
 * of the inbox). */
static const char store_lua[] = PURGE_FN
    "local snd, now = ARGV[6], tonumber(ARGV[4]) "
    "local function mark() if ARGV[8] ~= '' then local p = KEYS[7] "
    "redis.call('ZADD', p, 'NX', ARGV[4], ARGV[8]) "
    "redis.call('PEXPIRE', p, ARGV[5]) end end "
    "purge(KEYS[1], KEYS[2], KEYS[4], KEYS[5], now) "
    "if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then mark() return 0 end "
    "if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return -1 end "
    "if snd ~= '' and tonumber(redis.call('HGET', KEYS[4], snd) or '0') >= tonumber(ARGV[7]) "
    "then return -2 end "
    "local s = redis.call('INCR', KEYS[3]) "
    "redis.call('ZADD', KEYS[1], s, ARGV[1]) "
    "redis.call('HSET', KEYS[2], ARGV[1], ARGV[2]) "
    "for i = 1, 3 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end "
    "if redis.call('EXISTS', KEYS[6]) == 0 then local t = redis.call('TIME') "
    "redis.call('SET', KEYS[6], t[1] .. string.format('%06d', tonumber(t[2])), 'PX', ARGV[5]) "
    "else redis.call('PEXPIRE', KEYS[6], ARGV[5]) end "
    "if snd ~= '' then redis.call('HSET', KEYS[5], ARGV[1], snd) "
    "redis.call('HINCRBY', KEYS[4], snd, 1) "
    "for i = 4, 5 do redis.call('PEXPIRE', KEYS[i], ARGV[5]) end end "
    "mark() return s";

/* The sender's tally, before the store (its own slot): KEYS sz sh; ARGV now, ttl, count max,
 * bytes max, member, bytes.  Drops lapsed entries, then takes member's share when it fits
 * (a member already there, a duplicate, is renewed).  Returns 1, or -3 (the sender's bounds
 * in all inboxes). */
static const char reserve_lua[] =
    "local sz, sh, now, ttl = KEYS[1], KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[2]) "
    "local old = redis.call('ZRANGEBYSCORE', sz, '-inf', now) "
    "for i = 1, #old do local b = redis.call('HGET', sh, old[i]) "
    "if b then redis.call('HDEL', sh, old[i]) redis.call('HINCRBY', sh, '#', -tonumber(b)) end end "
    "if #old > 0 then redis.call('ZREMRANGEBYSCORE', sz, '-inf', now) end "
    "if not redis.call('ZSCORE', sz, ARGV[5]) then "
    "if redis.call('ZCARD', sz) >= tonumber(ARGV[3]) then return -3 end "
    "if tonumber(redis.call('HGET', sh, '#') or '0') + tonumber(ARGV[6]) > tonumber(ARGV[4]) "
    "then return -3 end "
    "redis.call('HSET', sh, ARGV[5], ARGV[6]) redis.call('HINCRBY', sh, '#', tonumber(ARGV[6])) "
    "end "
    "redis.call('ZADD', sz, now + ttl, ARGV[5]) "
    "redis.call('PEXPIRE', sz, ttl) redis.call('PEXPIRE', sh, ttl) return 1";

/* The hybrid's write-ahead mark (redis_pending.c's list): KEYS pend; ARGV now, marker, ttl. */
static const char mark_lua[] = "redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2]) "
                               "redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1";

static const char fetch_lua[] =
    PURGE_FN "purge(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[3])) "
             "local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', "
             "'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[2])) "
             "local out = {} "
             "for i = 1, #ids, 2 do out[#out + 1] = ids[i + 1] "
             "out[#out + 1] = redis.call('HGET', KEYS[2], ids[i]) or '' end "
             "return out";

static const char count_lua[] =
    PURGE_FN "purge(KEYS[1], KEYS[2], KEYS[3], KEYS[4], tonumber(ARGV[1])) "
             "return redis.call('ZCARD', KEYS[1])";

/* KEYS z h c s; ARGV mid, escaped user.  Returns {removed, sender, member} (sender and
 * member when the message had a sender: its tally is given back by untally_lua). */
static const char remove_lua[] =
    PURGE_FN "local n = redis.call('ZREM', KEYS[1], ARGV[1]) "
             "redis.call('HDEL', KEYS[2], ARGV[1]) "
             "local snd = unshare(KEYS[3], KEYS[4], ARGV[1]) "
             "if snd then return {n, snd, ARGV[2] .. ' ' .. ARGV[1]} end return {n}";

/* KEYS z h c s; ARGV escaped user.  Returns {0, sender, member, sender, member ...}. */
static const char clear_lua[] = "local out = {0} "
                                "local all = redis.call('HGETALL', KEYS[4]) "
                                "for i = 1, #all, 2 do out[#out + 1] = all[i + 1] "
                                "out[#out + 1] = ARGV[1] .. ' ' .. all[i] end "
                                "redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4]) return out";

/* KEYS sz sh of a sender; ARGV members that left the store. */
static const char untally_lua[] =
    "for i = 1, #ARGV do if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then "
    "local b = redis.call('HGET', KEYS[2], ARGV[i]) "
    "if b then redis.call('HDEL', KEYS[2], ARGV[i]) "
    "redis.call('HINCRBY', KEYS[2], '#', -tonumber(b)) end end end return 1";

/* Appends the key of part of uid's offline structures (wsc__rs_offline_key). */
static void
arg_part(struct rs_args *a, const char *uid, char part)
{
    char key[800];
    wsc__rs_offline_key(uid, part, key, sizeof(key));
    wsc__rs_argf(a, "%s", key);
}

/* A script call on uid's keys z h c s (the store script adds q and more itself). */
static void
off_args(struct rs_args *a, const char *script, const char *uid)
{
    *a = (struct rs_args){.script = script, .nkeys = 4};
    arg_part(a, uid, 'z');
    arg_part(a, uid, 'h');
    arg_part(a, uid, 'c');
    arg_part(a, uid, 's');
}

static wsc_err
parse_ok_any(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    (void)r;
    return WSC_OK;
}

static void
ignore_done(wsc_err status, void *user)
{
    (void)status;
    (void)user;
}

/* Gives member's part of sender's tally back (fire and forget: sent before anything the
 * caller issues after its completion, so that sees the tally already given back). */
static void
untally(struct redis_store *rs, const char *sender, const char *member)
{
    if (!wsc__str_ok(sender))
        return;
    struct rs_args a = {.script = untally_lua, .nkeys = 2};
    wsc__rs_arg_key(&a, "wsc:offs:{", sender, "}:z");
    wsc__rs_arg_key(&a, "wsc:offs:{", sender, "}:h");
    wsc__rs_arg(&a, member);
    (void)wsc__rs_call(rs, WSC__OP_STEP, WSC__REQ_DONE, (union wsc__req_cb){.done = ignore_done},
                       NULL, &a, parse_ok_any);
}

/* Replies of remove and clear: {n, sender, member, ...}; the senders get their part back. */
static wsc_err
parse_untally(struct wsc__req *req, const redisReply *r, long long *n)
{
    if (r->type != REDIS_REPLY_ARRAY || r->elements % 2 != 1 ||
        r->element[0]->type != REDIS_REPLY_INTEGER)
        return WSC_ERR_STORE;
    *n = r->element[0]->integer;
    struct redis_store *rs = (struct redis_store *)req->store;
    for (size_t i = 1; rs != NULL && i + 1 < r->elements; i += 2) {
        const redisReply *snd = r->element[i], *mem = r->element[i + 1];
        if (snd->type == REDIS_REPLY_STRING && mem->type == REDIS_REPLY_STRING)
            untally(rs, snd->str, mem->str);
    }
    return WSC_OK;
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
    return wsc_container_of(repo, struct redis_store, repos.offline);
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

/* One store in steps (mark, reserve, store: those that apply), each sent once the one before
 * has answered; the last, or the first that fails, finishes the caller's request. */
struct off_chain {
    struct redis_store *rs;
    struct wsc__req *req; /* the caller's (a reference of ours) */
    int step;             /* 0 mark, 1 reserve, 2 store */
    bool tally, reserved;
    const char *pend_key; /* static */
    char *val;            /* owned: "<expires_ms> <json>" */
    size_t jlen;
    char uid[256], snd[256], key[WSC_MSG_KEY_MAX], marker[WSC_MSG_KEY_MAX + 800];
};

static void
chain_end(struct off_chain *ch, wsc_err status)
{
    if (ch->reserved && status != WSC_OK && !ch->rs->base.closing) {
        char esc[3 * 256 + 1], member[3 * 256 + WSC_MSG_KEY_MAX + 2];
        wsc__rs_escape(ch->uid, esc);
        snprintf(member, sizeof(member), "%s %s", esc, ch->key);
        untally(ch->rs, ch->snd, member);
    }
    wsc__req_finish(ch->req, status);
    wsc__req_unref(ch->req);
    wsc__free(ch->val);
    wsc__free(ch);
}

/* The script arguments of ch's current step. */
static void
step_args(const struct off_chain *ch, struct rs_args *a)
{
    const wsc_store_config *c = &ch->rs->base.cfg;
    if (ch->step == 0) {
        *a = (struct rs_args){.script = mark_lua, .nkeys = 1, .n = 1, .v = {ch->pend_key}};
        wsc__rs_argf(a, "%" PRIu64, wsc__wall_ms());
        wsc__rs_arg(a, ch->marker);
        wsc__rs_argf(a, "%" PRIu64, c->offline_ttl_ms);
        return;
    }
    if (ch->step == 1) {
        char esc[3 * 256 + 1];
        *a = (struct rs_args){.script = reserve_lua, .nkeys = 2};
        wsc__rs_arg_key(a, "wsc:offs:{", ch->snd, "}:z");
        wsc__rs_arg_key(a, "wsc:offs:{", ch->snd, "}:h");
        wsc__rs_argf(a, "%" PRIu64, wsc__wall_ms());
        wsc__rs_argf(a, "%" PRIu64, c->offline_ttl_ms);
        wsc__rs_argf(a, "%" PRIu64, wsc__bound(c->offline_max_msgs_per_sender));
        wsc__rs_argf(a, "%" PRIu64, wsc__bound(c->offline_max_bytes_per_sender));
        wsc__rs_escape(ch->uid, esc);
        wsc__rs_argf(a, "%s %s", esc, ch->key);
        wsc__rs_argf(a, "%zu", ch->jlen);
        return;
    }
    /* One Redis: the store script marks the message (atomic); a Redis Cluster: step 0 did. */
    bool mark = ch->pend_key != NULL && ch->rs->cl == NULL;
    *a = (struct rs_args){.script = store_lua, .nkeys = mark ? 7 : 6};
    arg_part(a, ch->uid, 'z');
    arg_part(a, ch->uid, 'h');
    arg_part(a, ch->uid, 'q');
    arg_part(a, ch->uid, 'c');
    arg_part(a, ch->uid, 's');
    arg_part(a, ch->uid, 'e');
    if (mark)
        wsc__rs_arg(a, ch->pend_key);
    wsc__rs_arg(a, ch->key);
    wsc__rs_arg(a, ch->val);
    wsc__rs_argf(a, "%" PRIu32, c->offline_max_per_user);
    wsc__rs_argf(a, "%" PRIu64, wsc__wall_ms());
    wsc__rs_argf(a, "%" PRIu64, c->offline_ttl_ms);
    wsc__rs_arg(a, ch->snd);
    wsc__rs_argf(a, "%" PRIu64, wsc__bound(c->offline_max_per_sender));
    wsc__rs_arg(a, mark ? ch->marker : "");
}

static void chain_next(struct off_chain *ch);

static void
step_done(wsc_err status, uint64_t count, void *user)
{
    struct off_chain *ch = user;
    int64_t v = (int64_t)count;
    if (status != WSC_OK || ch->rs->base.closing) {
        chain_end(ch, status != WSC_OK ? status : WSC_ERR_CANCELED);
    } else if (ch->step == 2 || v < 0) {
        chain_end(ch, v < 0 ? WSC_ERR_LIMIT : WSC_OK);
    } else {
        ch->reserved = ch->reserved || ch->step == 1;
        ch->step++;
        chain_next(ch);
    }
}

/* Sends the next step that applies. */
static void
chain_next(struct off_chain *ch)
{
    if (ch->step == 0 && (ch->pend_key == NULL || ch->rs->cl == NULL))
        ch->step++;
    if (ch->step == 1 && !ch->tally)
        ch->step++;
    struct rs_args a;
    step_args(ch, &a);
    wsc_err err =
        wsc__rs_call(ch->rs, WSC__OP_STEP, WSC__REQ_COUNT, (union wsc__req_cb){.count = step_done},
                     ch, &a, wsc__rs_parse_count);
    if (err != WSC_OK)
        chain_end(ch, err);
}

/* Starts the store of msg (value val) for req: one script, or the steps of struct off_chain. */
static void
eval_store(struct redis_store *rs, struct wsc__req *req, const char *uid, const char *key,
           wsc_msg *msg, char *val, size_t jlen, const char *pend_key, const char *marker)
{
    const wsc_store_config *c = &rs->base.cfg;
    const char *snd = wsc__offline_sender(msg);
    struct off_chain one = {.rs = rs, .req = req, .val = val, .jlen = jlen};
    one.tally = snd != NULL && (c->offline_max_msgs_per_sender || c->offline_max_bytes_per_sender);
    one.pend_key = marker != NULL ? pend_key : NULL;
    snprintf(one.uid, sizeof(one.uid), "%s", uid);
    snprintf(one.snd, sizeof(one.snd), "%s", snd != NULL ? snd : "");
    snprintf(one.key, sizeof(one.key), "%s", key);
    snprintf(one.marker, sizeof(one.marker), "%s", marker != NULL ? marker : "");
    if ((one.pend_key == NULL || rs->cl == NULL) && !one.tally) {
        /* One step: the caller's request carries it. */
        struct rs_args a;
        one.step = 2;
        step_args(&one, &a);
        wsc__rs_send(rs, req, &a, parse_store);
        wsc__free(val);
        return;
    }
    struct off_chain *ch = wsc__malloc(sizeof(*ch));
    if (ch == NULL) {
        wsc__free(val);
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return;
    }
    *ch = one;
    wsc__req_ref(req);
    chain_next(ch);
}

wsc_err
wsc__rs_offline_store(struct redis_store *rs, struct wsc__req *req, const char *uid, wsc_msg *msg,
                      const char *pend_key, const char *marker)
{
    char key[WSC_MSG_KEY_MAX]; /* (sender, message_id), at most 255 bytes like every id */
    if (!wsc__str_ok(uid) || wsc_msg_key_of(msg, key, sizeof(key)) != WSC_OK || !wsc__str_ok(key))
        return WSC_ERR_INVALID;
    wsc_buf json = {0};
    wsc_err err = wsc__offline_encode(msg, &json);
    if (err != WSC_OK)
        return err;
    char *val = wsc__malloc(json.len + 32);
    if (val != NULL) {
        snprintf(val, json.len + 32, "%" PRIu64 " %s", wsc__wall_ms() + rs->base.cfg.offline_ttl_ms,
                 json.data);
        eval_store(rs, req, uid, key, msg, val, json.len, pend_key, marker); /* takes val */
    }
    wsc_buf_free(&json);
    return val != NULL ? WSC_OK : WSC_ERR_NOMEM;
}

static wsc_err
off_store(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, wsc_msg *msg)
{
    return wsc__rs_offline_store(rs_of(repo), req, uid, msg, NULL, NULL);
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
        if (sp == NULL)
            return WSC_ERR_STORE;
        wsc_err err = wsc__offline_decode(sp + 1, (size_t)(val->str + val->len - sp - 1), &m);
        if (err != WSC_OK)
            return err;
        if (wsc__req_add_msg(req, m) != WSC_OK)
            return WSC_ERR_NOMEM;
        req->cursor = strtoull(seq->str, NULL, 10);
    }
    return WSC_OK;
}

static wsc_err
off_fetch(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, uint64_t after,
          size_t limit)
{
    struct redis_store *rs = rs_of(repo);
    struct rs_args a;
    off_args(&a, fetch_lua, uid);
    wsc__rs_argf(&a, "%" PRIu64, after);
    wsc__rs_argf(&a, "%zu", limit);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    req->cursor = after;
    wsc__rs_send(rs, req, &a, parse_fetch);
    return WSC_OK;
}

static wsc_err
parse_removed(struct wsc__req *req, const redisReply *r)
{
    long long n = 0;
    wsc_err err = parse_untally(req, r, &n);
    return err != WSC_OK ? err : n > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

static wsc_err
parse_cleared(struct wsc__req *req, const redisReply *r)
{
    long long n = 0;
    return parse_untally(req, r, &n);
}

/* The script on uid's keys, then message_id (remove only) and the escaped uid. */
static wsc_err
off_drop(struct wsc_offline_repo *repo, struct wsc__req *req, const char *script, const char *uid,
         const char *mid, rs_parse_fn parse)
{
    struct rs_args a;
    off_args(&a, script, uid);
    if (mid != NULL)
        wsc__rs_arg(&a, mid);
    char esc[3 * 256 + 1];
    wsc__rs_escape(uid, esc);
    wsc__rs_arg(&a, esc);
    return wsc__rs_run(rs_of(repo), req, &a, parse);
}

static wsc_err
off_remove(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, const char *mid)
{
    return off_drop(repo, req, remove_lua, uid, mid, parse_removed);
}

static wsc_err
off_count(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    struct rs_args a;
    off_args(&a, count_lua, uid);
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    return wsc__rs_run(rs_of(repo), req, &a, wsc__rs_parse_count);
}

static wsc_err
off_clear(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    return off_drop(repo, req, clear_lua, uid, NULL, parse_cleared);
}

const struct wsc_offline_repo_ops wsc__rs_offline_ops = {off_store, off_fetch, off_remove,
                                                         off_count, off_clear};
