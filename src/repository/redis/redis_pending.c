/* SPDX-License-Identifier: MIT */
/* The hybrid store's write-ahead list (repository/pending.h) in Redis: a ZSET wsc:hyb:pend of
 * markers scored by the wall-clock ms they were added; its TTL (offline_ttl_ms) is renewed by
 * every add.  The 's' marker is added by the offline store script itself (redis_offline.c)
 * on one Redis; on a Redis Cluster the list (one key, one slot) and the users' keys lie in
 * other slots, so the store adds the marker first and stores the message only once Redis has
 * confirmed it (a marker whose store then failed or was refused names no message, and the
 * drain drops it).  Either way a message is never in Redis without its marker until MySQL
 * has answered for it.  "done" removes the marker, then reads whether the message is still
 * there and whether the user's epoch (redis_offline.c's key e) is the one the body was read
 * with: a copy gone with the epoch changed was lost by Redis, not ACKed.  The table is handed
 * out
 * through the Redis store's ops (redis.c), so every op gets a Redis store. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/pending.h"
#include "repository/redis/redis_internal.h"

#define PEND_KEY "wsc:hyb:pend"

static const char mark_lua[] = "redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2]) "
                               "redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1";

/* "<op> <escaped uid> <mid>" into out (size >= 4 * 256 + 4). */
static void
make_marker(char op, const char *uid, const char *mid, char *out, size_t size)
{
    char esc[3 * 256 + 1];
    wsc__rs_escape(uid, esc);
    snprintf(out, size, "%c %s %s", op, esc, mid);
}

static wsc_err
pend_store(wsc_store *redis, const char *user_id, wsc_msg *msg, wsc_repo_done_cb cb, void *user)
{
    char mid[WSC_MSG_KEY_MAX]; /* the message's key: (sender, message_id) */
    if (!wsc__str_ok(user_id) || wsc_msg_key_of(msg, mid, sizeof(mid)) != WSC_OK)
        return WSC_ERR_INVALID;
    char marker[WSC_MSG_KEY_MAX + 800];
    make_marker('s', user_id, mid, marker, sizeof(marker));
    struct wsc__req *req;
    wsc_err err = wsc__req_new(redis, WSC__OP_PENDING, WSC__REQ_DONE,
                               (union wsc__req_cb){.done = cb}, user, &req);
    if (err == WSC_OK && (err = wsc__rs_offline_store((struct redis_store *)redis, req, user_id,
                                                      msg, PEND_KEY, marker)) != WSC_OK)
        wsc__req_drop(req);
    return err;
}

static wsc_err
pend_mark_remove(wsc_store *redis, const char *user_id, const char *message_id, wsc_repo_done_cb cb,
                 void *user)
{
    if (!wsc__str_ok(user_id) || !wsc__str_ok(message_id))
        return WSC_ERR_INVALID;
    char marker[WSC_MSG_KEY_MAX + 800];
    make_marker('r', user_id, message_id, marker, sizeof(marker));
    struct rs_args a = {.script = mark_lua, .nkeys = 1, .n = 1, .v = {PEND_KEY}};
    wsc__rs_argf(&a, "%" PRIu64, wsc__wall_ms());
    wsc__rs_arg(&a, marker);
    wsc__rs_argf(&a, "%" PRIu64, redis->cfg.offline_ttl_ms);
    return wsc__rs_call((struct redis_store *)redis, WSC__OP_PENDING, WSC__REQ_DONE,
                        (union wsc__req_cb){.done = cb}, user, &a, wsc__rs_parse_ok);
}

static wsc_err
pend_list(wsc_store *redis, uint64_t max_ms, size_t limit, wsc_hubstats_list_cb cb, void *user)
{
    if (limit == 0 || limit > 1000)
        return WSC_ERR_INVALID;
    struct rs_args a = {.n = 3, .v = {"ZRANGEBYSCORE", PEND_KEY, "-inf"}};
    wsc__rs_argf(&a, "%" PRIu64, max_ms);
    wsc__rs_arg(&a, "LIMIT");
    wsc__rs_arg(&a, "0");
    wsc__rs_argf(&a, "%zu", limit);
    return wsc__rs_call((struct redis_store *)redis, WSC__OP_PENDING, WSC__REQ_IDS,
                        (union wsc__req_cb){.ids = cb}, user, &a, wsc__rs_parse_strs);
}

/* KEYS h e of a user; ARGV message key.  Returns {copy or "", epoch or "0"}. */
static const char body_lua[] = "return {redis.call('HGET', KEYS[1], ARGV[1]) or '', "
                               "redis.call('GET', KEYS[2]) or '0'}";

/* KEYS h e of a user; ARGV message key, the epoch the body was read with.  Returns 1 (the copy
 * is there), 0 (gone, same epoch), 2 (gone, the epoch changed). */
static const char still_lua[] =
    "if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 1 end "
    "if (redis.call('GET', KEYS[2]) or '0') ~= ARGV[2] then return 2 end return 0";

/* The user's keys h and e (the layout is redis_offline.c's) as a script's KEYS. */
static void
copy_keys(struct rs_args *a, const char *script, const char *uid)
{
    char h[900], e[900];
    wsc__rs_offline_key(uid, 'h', h, sizeof(h));
    wsc__rs_offline_key(uid, 'e', e, sizeof(e));
    *a = (struct rs_args){.script = script, .nkeys = 2};
    wsc__rs_argf(a, "%s", h);
    wsc__rs_argf(a, "%s", e);
}

static wsc_err
parse_body(struct wsc__req *req, const redisReply *a)
{
    if (a->type != REDIS_REPLY_ARRAY || a->elements != 2 ||
        a->element[0]->type != REDIS_REPLY_STRING || a->element[1]->type != REDIS_REPLY_STRING)
        return WSC_ERR_STORE;
    req->cursor = strtoull(a->element[1]->str, NULL, 10);
    const redisReply *r = a->element[0];
    if (r->len == 0)
        return WSC_OK; /* gone */
    const char *sp = memchr(r->str, ' ', (size_t)r->len);
    if (sp == NULL)
        return WSC_ERR_STORE;
    if (strtoull(r->str, NULL, 10) <= wsc__wall_ms())
        return WSC_OK; /* expired: as good as gone */
    wsc_msg *m = NULL;
    wsc_err err = wsc__offline_decode(sp + 1, (size_t)(r->str + r->len - sp - 1), &m);
    return err == WSC_OK ? wsc__req_add_msg(req, m) : err;
}

static wsc_err
pend_body(wsc_store *redis, const char *user_id, const char *message_id, wsc_offline_fetch_cb cb,
          void *user)
{
    if (!wsc__str_ok(user_id) || !wsc__str_ok(message_id))
        return WSC_ERR_INVALID;
    struct rs_args a;
    copy_keys(&a, body_lua, user_id);
    wsc__rs_arg(&a, message_id);
    return wsc__rs_call((struct redis_store *)redis, WSC__OP_PENDING, WSC__REQ_FETCH,
                        (union wsc__req_cb){.fetch = cb}, user, &a, parse_body);
}

/* pend_done's second step: whether the message is still in Redis, and the epoch. */
struct done_step {
    struct wsc__req *req; /* the caller's (a reference of ours) */
    char uid[256], mid[WSC_MSG_KEY_MAX];
    uint64_t epoch;
};

static void
marker_dropped(wsc_err status, void *user)
{
    struct done_step *d = user;
    struct redis_store *rs = (struct redis_store *)d->req->store;
    if (status == WSC_OK && rs != NULL && !rs->base.closing) {
        struct rs_args a;
        copy_keys(&a, still_lua, d->uid);
        wsc__rs_arg(&a, d->mid);
        wsc__rs_argf(&a, "%" PRIu64, d->epoch);
        wsc__rs_send(rs, d->req, &a, wsc__rs_parse_count);
    } else {
        wsc__req_finish(d->req, status == WSC_OK ? WSC_ERR_CANCELED : status);
    }
    wsc__req_unref(d->req);
    wsc__free(d);
}

/* Two steps: ZREM the marker, then whether the message is still there (read after the
 * durable write it answers for, so a removal that raced with that write is seen). */
static wsc_err
pend_done(wsc_store *redis, char op, const char *uid, const char *mid, uint64_t epoch,
          wsc_repo_count_cb cb, void *user)
{
    if ((op != 's' && op != 'r') || !wsc__str_ok(uid) || !wsc__str_ok(mid))
        return WSC_ERR_INVALID;
    struct redis_store *rs = (struct redis_store *)redis;
    char marker[WSC_MSG_KEY_MAX + 800];
    make_marker(op, uid, mid, marker, sizeof(marker));
    struct done_step *d = wsc__calloc(1, sizeof(*d));
    if (d == NULL)
        return WSC_ERR_NOMEM;
    snprintf(d->uid, sizeof(d->uid), "%s", uid);
    snprintf(d->mid, sizeof(d->mid), "%s", mid);
    d->epoch = epoch;
    wsc_err err = wsc__req_new(redis, WSC__OP_PENDING, WSC__REQ_COUNT,
                               (union wsc__req_cb){.count = cb}, user, &d->req);
    if (err != WSC_OK) {
        wsc__free(d);
        return err;
    }
    wsc__req_ref(d->req);
    struct rs_args a = {.n = 3, .v = {"ZREM", PEND_KEY, marker}};
    wsc_err sent =
        wsc__rs_call(rs, WSC__OP_PENDING, WSC__REQ_DONE,
                     (union wsc__req_cb){.done = marker_dropped}, d, &a, wsc__rs_parse_ok);
    if (sent != WSC_OK) { /* the caller's request is made: its callback reports it */
        wsc__req_finish(d->req, sent);
        wsc__req_unref(d->req);
        wsc__free(d);
    }
    return err;
}

static bool
pend_parse(const char *marker, char *op, char *uid, const char **message_id)
{
    if ((marker[0] != 's' && marker[0] != 'r') || marker[1] != ' ')
        return false;
    *op = marker[0];
    const char *p = marker + 2;
    size_t n = 0;
    for (; *p != '\0' && *p != ' ' && n < 255; p++) {
        if (*p == '%') {
            int hi = wsc__rs_hexval(p[1]), lo = hi >= 0 ? wsc__rs_hexval(p[2]) : -1;
            if (lo < 0)
                return false;
            uid[n++] = (char)(hi << 4 | lo);
            p += 2;
        } else {
            uid[n++] = *p;
        }
    }
    uid[n] = '\0';
    if (*p != ' ' || n == 0 || p[1] == '\0')
        return false;
    *message_id = p + 1;
    return true;
}

static bool
pend_reachable(wsc_store *redis)
{
    return wsc__rs_reachable((struct redis_store *)redis);
}

static wsc_err
pend_forget(wsc_store *redis, const char *entry, wsc_repo_done_cb cb, void *user)
{
    if (entry == NULL)
        return WSC_ERR_INVALID;
    struct rs_args a = {.n = 3, .v = {"ZREM", PEND_KEY, entry}};
    return wsc__rs_call((struct redis_store *)redis, WSC__OP_PENDING, WSC__REQ_DONE,
                        (union wsc__req_cb){.done = cb}, user, &a, wsc__rs_parse_ok);
}

const struct wsc__pending_ops wsc__rs_pending_ops = {
    pend_store, pend_mark_remove, pend_list,  pend_body,
    pend_done,  pend_reachable,   pend_parse, pend_forget,
};
