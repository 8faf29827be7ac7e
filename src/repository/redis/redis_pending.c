/* SPDX-License-Identifier: MIT */
/* The hybrid store's write-ahead list (see redis_pending.h for the key and the markers).
 * The 's' marker is added by the offline store script itself (redis_offline.c), so a
 * message is never in Redis without its marker until MySQL has answered for it. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/pending.h"
#include "repository/redis/redis_internal.h"

static const char mark_lua[] = "redis.call('ZADD', KEYS[1], 'NX', ARGV[1], ARGV[2]) "
                               "redis.call('PEXPIRE', KEYS[1], ARGV[3]) return 1";

static const char done_lua[] = "redis.call('ZREM', KEYS[1], ARGV[1]) "
                               "return redis.call('HEXISTS', KEYS[2], ARGV[2])";

static struct redis_store *
rs_of(wsc_store *store)
{
    if (store == NULL || strcmp(store->ops->name, "redis") != 0)
        return NULL;
    return (struct redis_store *)store;
}

/* "<op> <escaped uid> <mid>" into out (size >= 4 * 256 + 4). */
static void
make_marker(char op, const char *uid, const char *mid, char *out, size_t size)
{
    char esc[3 * 256 + 1];
    wsc__rs_escape(uid, esc);
    snprintf(out, size, "%c %s %s", op, esc, mid);
}

/* The offline hash of uid (the layout is redis_offline.c's). */
static void
body_key(const char *uid, char *out, size_t size)
{
    wsc__rs_offline_key(uid, 'h', out, size);
}

wsc_err
wsc__rs_pending_store(wsc_store *redis, const char *user_id, wsc_msg *msg, wsc_repo_done_cb cb,
                      void *user)
{
    struct redis_store *rs = rs_of(redis);
    char mid[WSC_MSG_KEY_MAX]; /* the message's key: (sender, message_id) */
    if (rs == NULL || !wsc__str_ok(user_id) || wsc_msg_key_of(msg, mid, sizeof(mid)) != WSC_OK)
        return WSC_ERR_INVALID;
    char marker[WSC_MSG_KEY_MAX + 800];
    make_marker('s', user_id, mid, marker, sizeof(marker));
    return wsc__rs_offline_store(rs, user_id, msg, WSC__PEND_KEY, marker, cb, user);
}

static wsc_err
parse_ok(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    return r->type == REDIS_REPLY_ERROR ? WSC_ERR_STORE : WSC_OK;
}

wsc_err
wsc__rs_pending_mark_remove(wsc_store *redis, const char *user_id, const char *message_id,
                            wsc_repo_done_cb cb, void *user)
{
    struct redis_store *rs = rs_of(redis);
    if (rs == NULL || !wsc__str_ok(user_id) || !wsc__str_ok(message_id))
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_DONE, (union wsc__req_cb){.done = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char marker[WSC_MSG_KEY_MAX + 800], now[24], ttl[24];
    make_marker('r', user_id, message_id, marker, sizeof(marker));
    snprintf(now, sizeof(now), "%" PRIu64, wsc__wall_ms());
    snprintf(ttl, sizeof(ttl), "%" PRIu64, rs->base.cfg.offline_ttl_ms);
    const char *args[] = {WSC__PEND_KEY, now, marker, ttl};
    wsc__rs_eval(rs, req, mark_lua, 1, 4, args, parse_ok);
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

wsc_err
wsc__rs_pending_list(wsc_store *redis, uint64_t max_ms, size_t limit, wsc_hubstats_list_cb cb,
                     void *user)
{
    struct redis_store *rs = rs_of(redis);
    if (rs == NULL || limit == 0 || limit > 1000)
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err = wsc__req_new(&rs->base, WSC__REQ_IDS, (union wsc__req_cb){.ids = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char max[24], lim[24];
    snprintf(max, sizeof(max), "%" PRIu64, max_ms);
    snprintf(lim, sizeof(lim), "%zu", limit);
    const char *argv[] = {"ZRANGEBYSCORE", WSC__PEND_KEY, "-inf", max, "LIMIT", "0", lim};
    size_t lens[7];
    for (int i = 0; i < 7; i++)
        lens[i] = strlen(argv[i]);
    wsc__rs_submit(rs, req, 7, argv, lens, parse_ids);
    return WSC_OK;
}

static wsc_err
parse_body(struct wsc__req *req, const redisReply *r)
{
    if (r->type == REDIS_REPLY_NIL)
        return WSC_OK;
    if (r->type != REDIS_REPLY_STRING)
        return WSC_ERR_STORE;
    const char *sp = memchr(r->str, ' ', (size_t)r->len);
    if (sp == NULL)
        return WSC_ERR_STORE;
    if (strtoull(r->str, NULL, 10) <= wsc__wall_ms())
        return WSC_OK; /* expired: as good as gone */
    wsc_msg *m = NULL;
    if (wsc__offline_decode(sp + 1, (size_t)(r->str + r->len - sp - 1), &m) != WSC_OK)
        return WSC_ERR_STORE;
    return wsc__req_add_msg(req, m);
}

wsc_err
wsc__rs_pending_body(wsc_store *redis, const char *user_id, const char *message_id,
                     wsc_offline_fetch_cb cb, void *user)
{
    struct redis_store *rs = rs_of(redis);
    if (rs == NULL || !wsc__str_ok(user_id) || !wsc__str_ok(message_id))
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_FETCH, (union wsc__req_cb){.fetch = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[900];
    body_key(user_id, key, sizeof(key));
    const char *argv[] = {"HGET", key, message_id};
    size_t lens[] = {4, strlen(key), strlen(message_id)};
    wsc__rs_submit(rs, req, 3, argv, lens, parse_body);
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

wsc_err
wsc__rs_pending_done(wsc_store *redis, char op, const char *uid, const char *mid,
                     wsc_repo_count_cb cb, void *user)
{
    struct redis_store *rs = rs_of(redis);
    if (rs == NULL || (op != 's' && op != 'r') || !wsc__str_ok(uid) || !wsc__str_ok(mid))
        return WSC_ERR_INVALID;
    struct wsc__req *req;
    wsc_err err =
        wsc__req_new(&rs->base, WSC__REQ_COUNT, (union wsc__req_cb){.count = cb}, user, &req);
    if (err != WSC_OK)
        return err;
    char key[900], marker[WSC_MSG_KEY_MAX + 800];
    body_key(uid, key, sizeof(key));
    make_marker(op, uid, mid, marker, sizeof(marker));
    const char *args[] = {WSC__PEND_KEY, key, marker, mid};
    wsc__rs_eval(rs, req, done_lua, 2, 4, args, parse_count);
    return WSC_OK;
}

static int
hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool
wsc__rs_pending_parse(const char *marker, char *op, char *uid, const char **message_id)
{
    if ((marker[0] != 's' && marker[0] != 'r') || marker[1] != ' ')
        return false;
    *op = marker[0];
    const char *p = marker + 2;
    size_t n = 0;
    for (; *p != '\0' && *p != ' ' && n < 255; p++) {
        if (*p == '%') {
            int hi = hexval(p[1]), lo = hi >= 0 ? hexval(p[2]) : -1;
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
