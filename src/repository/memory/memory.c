/* SPDX-License-Identifier: MIT */
/* The memory backend's store and its offline repository: per user, a list of frozen message
 * copies in store order (cursor = a per-user sequence number) and an index by message_id
 * that makes storing idempotent.  Expired messages are dropped lazily on access. */
#include <stdio.h>
#include <string.h>

#include "models/alloc.h"
#include "models/msg_internal.h"
#include "repository/memory/memory_internal.h"

struct mem_user {
    struct mem_node node; /* key: user id */
    struct wsc_list msgs;
    wsc__hmap by_mid;
    wsc__hmap shares; /* messages per sender in this inbox: struct mem_tally */
    uint64_t next_seq;
    size_t count;
};

struct mem_off {
    struct mem_node node; /* key: message id */
    struct wsc_list link;
    struct wsc_list all; /* in mem_store.off_all */
    struct mem_user *user;
    uint64_t seq;
    int64_t expires_ms;
    wsc_msg *msg;
    struct mem_off_acct acct; /* its part of the bounds */
};

static bool
key_eq(const wsc__hnode *n, const void *key)
{
    return strcmp(((const struct mem_node *)n)->key, key) == 0;
}

struct mem_node *
wsc__mem_find(const wsc__hmap *map, const char *key)
{
    return (struct mem_node *)wsc__hmap_find(map, wsc__hash_str(key), key_eq, key);
}

wsc_err
wsc__mem_insert(wsc__hmap *map, struct mem_node *node, const char *key)
{
    node->key = wsc__strdup(key);
    if (node->key == NULL)
        return WSC_ERR_NOMEM;
    wsc__hmap_insert(map, &node->h, wsc__hash_str(key));
    return WSC_OK;
}

void *
wsc__mem_add(wsc__hmap *map, size_t size, const char *key)
{
    struct mem_node *node = wsc__calloc(1, size);
    if (node == NULL || wsc__mem_insert(map, node, key) != WSC_OK) {
        wsc__free(node);
        return NULL;
    }
    return node;
}

void *
wsc__mem_find_live(const wsc__hmap *map, const char *key, size_t expires_off,
                   void (*free_node)(struct mem_node *node, void *arg), void *arg)
{
    struct mem_node *node = key != NULL ? wsc__mem_find(map, key) : NULL;
    if (node == NULL)
        return NULL;
    int64_t expires_ms;
    memcpy(&expires_ms, (const char *)node + expires_off, sizeof(expires_ms));
    if (expires_ms > wsc__mem_now())
        return node;
    free_node(node, arg);
    return NULL;
}

/* Writes the key of (a, b) into buf (n bytes); false when it does not fit. */
static bool
key2_fits(char *buf, size_t n, const char *a, const char *b)
{
    int w = snprintf(buf, n, "%zu:%s|%s", strlen(a), a, b);
    return w >= 0 && (size_t)w < n;
}

void *
wsc__mem_find_live2(const wsc__hmap *map, const char *a, const char *b, size_t expires_off,
                    void (*free_node)(struct mem_node *node, void *arg), void *arg)
{
    /* Ids are at most 255 bytes (the API checks them), so the key fits on the stack: a lookup
     * that failed to allocate would read as "absent", and a put would then add a second copy. */
    char buf[3 * 256];
    char *key = key2_fits(buf, sizeof(buf), a, b) ? buf : wsc__mem_key2(a, b);
    void *found = wsc__mem_find_live(map, key, expires_off, free_node, arg);
    if (key != buf)
        wsc__free(key);
    return found;
}

void
wsc__mem_remove(wsc__hmap *map, struct mem_node *node)
{
    wsc__hmap_remove(map, &node->h);
    wsc__free(node->key);
    node->key = NULL;
}

void
wsc__mem_clear(wsc__hmap *map, void (*free_node)(struct mem_node *node, void *arg), void *arg)
{
    wsc__mem_each(map, free_node, arg);
    wsc__hmap_clear(map);
}

wsc_err
wsc__mem_answer(struct wsc__req *req, wsc_err status)
{
    wsc__req_finish(req, status);
    return WSC_OK;
}

wsc_err
wsc__mem_found(struct wsc__req *req, const void *found)
{
    return wsc__mem_answer(req, found != NULL ? WSC_OK : WSC_ERR_NOT_FOUND);
}

char *
wsc__mem_key2(const char *a, const char *b)
{
    size_t n = strlen(a) + strlen(b) + 32;
    char *k = wsc__malloc(n);
    if (k != NULL)
        (void)key2_fits(k, n, a, b);
    return k;
}

struct each_ctx {
    void (*fn)(struct mem_node *node, void *arg);
    void *arg;
};

static void
each_node(wsc__hnode *n, void *arg)
{
    struct each_ctx *c = arg;
    c->fn(wsc_container_of(n, struct mem_node, h), c->arg);
}

void
wsc__mem_each(wsc__hmap *map, void (*fn)(struct mem_node *node, void *arg), void *arg)
{
    struct each_ctx c = {fn, arg};
    wsc__hmap_each(map, each_node, &c);
}

static struct mem_store *
ms_of_offline(struct wsc_offline_repo *repo)
{
    return wsc_container_of(repo, struct mem_store, repos.offline);
}

static void
off_free(struct mem_store *ms, struct mem_user *u, struct mem_off *o)
{
    wsc__mem_bounds_give(ms, &u->shares, &o->acct);
    wsc_list_remove(&o->all);
    wsc_list_remove(&o->link);
    wsc__mem_remove(&u->by_mid, &o->node);
    wsc_msg_unref(o->msg);
    wsc__free(o);
    u->count--;
}

/* The user's entry after dropping expired messages (the list is in expiry order because the
 * TTL is one per store); NULL when the user has none. */
static struct mem_user *
user_get(struct mem_store *ms, const char *uid)
{
    struct mem_user *u = (struct mem_user *)wsc__mem_find(&ms->users, uid);
    if (u == NULL)
        return NULL;
    int64_t now = wsc__mem_now();
    while (!wsc_list_empty(&u->msgs)) {
        struct mem_off *o = wsc_container_of(u->msgs.next, struct mem_off, link);
        if (o->expires_ms > now)
            break;
        off_free(ms, u, o);
    }
    return u;
}

/* Frees one mem_user (node) of the store arg (a wsc__mem_clear callback). */
static void
user_free(struct mem_node *node, void *arg)
{
    struct mem_store *ms = arg;
    struct mem_user *u = (struct mem_user *)node;
    while (!wsc_list_empty(&u->msgs))
        off_free(ms, u, wsc_container_of(u->msgs.next, struct mem_off, link));
    wsc__hmap_clear(&u->by_mid);
    wsc__hmap_clear(&u->shares);
    wsc__mem_remove(&ms->users, &u->node);
    wsc__free(u);
}

static wsc_err
user_add(struct mem_store *ms, const char *uid, struct mem_user **out)
{
    struct mem_user *u = wsc__mem_add(&ms->users, sizeof(*u), uid);
    if (u == NULL)
        return WSC_ERR_NOMEM;
    wsc_list_init(&u->msgs);
    wsc__hmap_init(&u->by_mid);
    wsc__hmap_init(&u->shares);
    *out = u;
    return WSC_OK;
}

/* The message's part of the bounds: its encoded size, under its sender. */
static wsc_err
take_bounds(struct mem_store *ms, struct mem_user *u, struct mem_off *o)
{
    size_t len = 0;
    (void)wsc__msg_wire(o->msg, &len);
    return wsc__mem_bounds_take(ms, &u->shares, wsc__offline_sender(o->msg), len, &o->acct);
}

/* Drops every expired message of every user, so that what expired in inboxes nobody reads
 * leaves the bounds too (one TTL per store: the list is in expiry order). */
static void
purge_all(struct mem_store *ms)
{
    int64_t now = wsc__mem_now();
    while (!wsc_list_empty(&ms->off_all)) {
        struct mem_off *o = wsc_container_of(ms->off_all.next, struct mem_off, all);
        if (o->expires_ms > now)
            break;
        struct mem_user *u = o->user;
        off_free(ms, u, o);
        if (u->count == 0)
            user_free(&u->node, ms);
    }
}

/* Stores msg for uid under mid, its key (sender, message_id). */
static wsc_err
do_store(struct mem_store *ms, const char *uid, const char *mid, wsc_msg *msg)
{
    purge_all(ms);
    struct mem_user *u = user_get(ms, uid);
    if (u != NULL && wsc__mem_find(&u->by_mid, mid) != NULL)
        return WSC_OK;
    if (u != NULL && u->count >= ms->base.cfg.offline_max_per_user)
        return WSC_ERR_LIMIT;
    if (u == NULL && user_add(ms, uid, &u) != WSC_OK)
        return WSC_ERR_NOMEM;
    struct mem_off *o = wsc__calloc(1, sizeof(*o));
    if (o == NULL)
        return WSC_ERR_NOMEM;
    /* Keep a frozen copy: what a fetch hands out must not change under the caller. */
    wsc_err err = wsc_msg_clone(msg, &o->msg) == WSC_OK && wsc__msg_encode(o->msg) == WSC_OK
                      ? take_bounds(ms, u, o)
                      : WSC_ERR_NOMEM;
    if (err == WSC_OK && wsc__mem_insert(&u->by_mid, &o->node, mid) != WSC_OK) {
        wsc__mem_bounds_give(ms, &u->shares, &o->acct);
        err = WSC_ERR_NOMEM;
    }
    if (err != WSC_OK) {
        wsc_msg_unref(o->msg);
        wsc__free(o);
        if (u->count == 0)
            user_free(&u->node, ms);
        return err;
    }
    o->seq = ++u->next_seq;
    o->expires_ms = (int64_t)(wsc__wall_ms() + ms->base.cfg.offline_ttl_ms);
    wsc_list_push_back(&u->msgs, &o->link);
    wsc_list_push_back(&ms->off_all, &o->all);
    o->user = u;
    u->count++;
    return WSC_OK;
}

static wsc_err
off_store(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, wsc_msg *msg)
{
    struct mem_store *ms = ms_of_offline(repo);
    char key[WSC_MSG_KEY_MAX]; /* (sender, message_id): at most 255 bytes, as in every backend */
    if (wsc_msg_key_of(msg, key, sizeof(key)) != WSC_OK || !wsc__str_ok(key))
        return WSC_ERR_INVALID;
    if (wsc_msg_is_binary(msg))
        return WSC_ERR_UNSUPPORTED;
    return wsc__mem_answer(req, do_store(ms, uid, key, msg));
}

static wsc_err
off_fetch(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, uint64_t after,
          size_t limit)
{
    struct mem_store *ms = ms_of_offline(repo);
    req->cursor = after;
    struct mem_user *u = user_get(ms, uid);
    struct wsc_list *pos;
    wsc_err err = WSC_OK;
    if (u != NULL) {
        wsc_list_foreach(pos, &u->msgs) {
            struct mem_off *o = wsc_container_of(pos, struct mem_off, link);
            if (o->seq <= after)
                continue;
            if (req->n == limit || (err = wsc__req_add_msg(req, wsc_msg_ref(o->msg))) != WSC_OK)
                break;
            req->cursor = o->seq;
        }
    }
    return wsc__mem_answer(req, err);
}

static wsc_err
off_remove(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, const char *mid)
{
    struct mem_store *ms = ms_of_offline(repo);
    struct mem_user *u = user_get(ms, uid);
    struct mem_node *n = u != NULL ? wsc__mem_find(&u->by_mid, mid) : NULL;
    if (n != NULL)
        off_free(ms, u, (struct mem_off *)n);
    if (u != NULL && u->count == 0)
        user_free(&u->node, ms);
    return wsc__mem_found(req, n);
}

static wsc_err
off_count(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    struct mem_store *ms = ms_of_offline(repo);
    struct mem_user *u = user_get(ms, uid);
    req->count = u != NULL ? u->count : 0;
    return wsc__mem_answer(req, WSC_OK);
}

static wsc_err
off_clear(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    struct mem_store *ms = ms_of_offline(repo);
    struct mem_user *u = (struct mem_user *)wsc__mem_find(&ms->users, uid);
    if (u != NULL)
        user_free(&u->node, ms);
    return wsc__mem_answer(req, WSC_OK);
}

const struct wsc_offline_repo_ops wsc__mem_offline_ops = {
    .store = off_store,
    .fetch = off_fetch,
    .remove = off_remove,
    .count = off_count,
    .clear = off_clear,
};

void
wsc__mem_offline_free_all(struct mem_store *ms)
{
    wsc__mem_clear(&ms->users, user_free, ms);
    wsc__hmap_clear(&ms->senders);
}

static wsc_err
mem_ping(wsc_store *store, struct wsc__req *req)
{
    (void)store;
    return wsc__mem_answer(req, WSC_OK);
}

static void
mem_close(wsc_store *store)
{
    struct mem_store *ms = (struct mem_store *)store;
    wsc__mem_offline_free_all(ms);
    wsc__mem_records_free_all(ms);
    wsc__mem_hubstats_free_all(ms);
    wsc__mem_queues_free_all(ms);
    wsc__mem_workload_free_all(ms);
    wsc__free(ms);
}

static const struct wsc__store_ops mem_ops = {
    .name = "memory",
    .ping = mem_ping,
    .close = mem_close,
    .pending = NULL,
    .repos =
        {
            .offline = &wsc__mem_offline_ops,
            .records = &wsc__mem_record_ops,
            .online = &wsc__mem_online_ops,
            .connrecs = &wsc__mem_connrec_ops,
            .hubstats = &wsc__mem_hubstats_ops,
            .queues = &wsc__mem_queue_ops,
            .workload = &wsc__mem_workload_ops,
        },
};

wsc_err
wsc_repo_memory_new(wsc_loop *loop, const wsc_store_config *cfg, wsc_store **out)
{
    if (out == NULL)
        return WSC_ERR_INVALID;
    *out = NULL;
    struct mem_store *ms = wsc__calloc(1, sizeof(*ms));
    if (ms == NULL)
        return WSC_ERR_NOMEM;
    wsc_err err = wsc__store_init(&ms->base, &mem_ops, &ms->repos, loop, cfg);
    if (err != WSC_OK) {
        wsc__free(ms);
        return err;
    }
    wsc_list_init(&ms->off_all);
    wsc_list_init(&ms->recs_all);
    *out = &ms->base;
    return WSC_OK;
}
