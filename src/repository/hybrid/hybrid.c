/* SPDX-License-Identifier: MIT */
/* The hybrid store (hybrid_internal.h): opening and closing it, its ping, and which backend
 * holds each repository.  Offline messages are the hybrid's own (hybrid_offline.c).  Online
 * status, hub stats, queues and workload are the Redis store's: they are hot, short-lived
 * and have TTLs (MySQL would write to disk on every heartbeat).  Message and connection
 * records are the MySQL store's: they are the history an operator queries after the fact,
 * and must survive a Redis restart (the price: ~2,900 record writes/s instead of ~74,000,
 * docs/storage.md).  Their ops complete through that store, so the contract holds: closing
 * the hybrid closes both stores, which cancel what is still out. */
#include <stdio.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/hybrid/hybrid_internal.h"

void
wsc_hybrid_config_init(wsc_hybrid_config *cfg)
{
    if (cfg == NULL)
        return;
    *cfg = (wsc_hybrid_config){.retry_ms = 1000, .drain_batch = 100};
}

bool
wsc__hyb_transient(wsc_err st)
{
    return st == WSC_ERR_STORE || st == WSC_ERR_TIMEOUT || st == WSC_ERR_CANCELED ||
           st == WSC_ERR_STATE || st == WSC_ERR_NOMEM;
}

void
wsc__hyb_note_error(struct hybrid *h, wsc_store *sub, wsc_err st)
{
    if (h->closing || st == WSC_OK || !wsc__hyb_transient(st))
        return;
    const char *text = wsc_store_last_error(sub);
    wsc__errtext_set(&h->base.last_error, "%s: %s", wsc_store_backend(sub),
                     text[0] != '\0' ? text : wsc_strerror(st));
}

void
wsc__hyb_ignore_done(wsc_err status, void *user)
{
    (void)status;
    (void)user;
}

void
wsc__hyb_ignore_count(wsc_err status, uint64_t count, void *user)
{
    (void)status;
    (void)count;
    (void)user;
}

/* ---- ping: MySQL decides (Redis too with ack_on_cache, where either copy counts) */

struct ping_op;

/* One sub-store's side of a ping. */
struct ping_side {
    struct ping_op *o;
    wsc_store *sub;
    wsc_err st;
};

struct ping_op {
    struct hybrid *h;
    struct wsc__req *req;
    int waiting;
    struct ping_side rs, my;
};

static void
ping_part(struct ping_op *o)
{
    if (--o->waiting > 0)
        return;
    wsc_err st = o->my.st;
    if (st != WSC_OK && o->h->hcfg.ack_on_cache && o->rs.st == WSC_OK)
        st = WSC_OK;
    wsc__req_finish(o->req, st);
    wsc__req_unref(o->req);
    wsc__free(o);
}

/* A sub-store's answer (user: its side). */
static void
ping_answer(wsc_err status, void *user)
{
    struct ping_side *side = user;
    side->st = status;
    wsc__hyb_note_error(side->o->h, side->sub, status);
    ping_part(side->o);
}

static wsc_err
hy_ping(wsc_store *store, struct wsc__req *req)
{
    struct hybrid *h = (struct hybrid *)store;
    struct ping_op *o = wsc__calloc(1, sizeof(*o));
    if (o == NULL) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return WSC_OK;
    }
    o->h = h;
    o->req = wsc__req_ref(req);
    o->waiting = 2;
    o->rs = (struct ping_side){o, h->redis, WSC_ERR_STORE};
    o->my = (struct ping_side){o, h->mysql, WSC_ERR_STORE};
    if (wsc_store_ping(h->redis, ping_answer, &o->rs) != WSC_OK)
        o->waiting--;
    if (wsc_store_ping(h->mysql, ping_answer, &o->my) != WSC_OK)
        o->waiting--;
    if (o->waiting == 0) { /* both refused: finish with STORE */
        o->waiting = 1;
        ping_part(o);
    }
    return WSC_OK;
}

static void
hy_close(wsc_store *store)
{
    struct hybrid *h = (struct hybrid *)store;
    h->closing = true;
    wsc__hyb_drain_free(h);
    /* Callbacks of ops still out on either store run here (CANCELED) and issue nothing. */
    wsc_store_close(h->redis);
    wsc_store_close(h->mysql);
    wsc__hyb_drain_free(h); /* a page the cancellations may have left */
    wsc__free(h);
}

static const struct wsc__store_ops hy_ops = {.name = "hybrid", .ping = hy_ping, .close = hy_close};

static void
delegate(struct hybrid *h)
{
    h->offline.ops = &wsc__hyb_offline_ops;
    h->offline.store = &h->base;
    h->base.offline = &h->offline;
    h->base.online = wsc_store_online(h->redis);
    h->base.hubstats = wsc_store_hubstats(h->redis);
    h->base.queues = wsc_store_queues(h->redis);
    h->base.workload = wsc_store_workload(h->redis);
    h->base.records = wsc_store_records(h->mysql);
    h->base.connrecs = wsc_store_connrecs(h->mysql);
}

wsc_err
wsc_store_open_hybrid(wsc_loop *loop, const char *redis_url, const char *mysql_url,
                      const wsc_store_config *cfg, const wsc_hybrid_config *hcfg, wsc_store **out)
{
    if (out == NULL)
        return WSC_ERR_INVALID;
    *out = NULL;
    if (loop == NULL || redis_url == NULL || mysql_url == NULL ||
        (strncmp(redis_url, "redis://", 8) != 0 &&
         strncmp(redis_url, "redis+cluster://", 16) != 0) ||
        strncmp(mysql_url, "mysql://", 8) != 0)
        return WSC_ERR_INVALID;
    struct hybrid *h = wsc__calloc(1, sizeof(*h));
    if (h == NULL)
        return WSC_ERR_NOMEM;
    wsc_hybrid_config_init(&h->hcfg);
    if (hcfg != NULL)
        h->hcfg = *hcfg;
    bool attached = false;
    wsc_err err = WSC_ERR_INVALID;
    if (h->hcfg.retry_ms == 0 || h->hcfg.drain_batch == 0 || h->hcfg.drain_batch > 1000)
        goto fail;
    err = wsc__store_init(&h->base, &hy_ops, NULL, loop, cfg);
    if (err != WSC_OK)
        goto fail;
    attached = true;
    err = wsc_store_open(loop, redis_url, cfg, &h->redis);
    if (err == WSC_OK && (h->pending = h->redis->ops->pending) == NULL)
        err = WSC_ERR_INVALID; /* a store without a write-ahead list */
    if (err == WSC_OK)
        err = wsc_store_open(loop, mysql_url, cfg, &h->mysql);
    if (err != WSC_OK)
        goto fail;
    delegate(h);
    wsc__hyb_drain_init(h);
    *out = &h->base;
    return WSC_OK;
fail:
    wsc_store_close(h->redis);
    if (attached)
        wsc__loop_detach(loop);
    wsc__free(h);
    return err;
}

wsc_err
wsc__hybrid_open_url(wsc_loop *loop, const char *url, const wsc_store_config *cfg, wsc_store **out)
{
    /* '|' never appears unescaped in a URL (RFC 3986), so it separates the two. */
    const char *rest = url + strlen("hybrid:");
    const char *bar = strrchr(rest, '|');
    if (bar == NULL || (size_t)(bar - rest) >= 1024)
        return WSC_ERR_INVALID;
    char redis_url[1024];
    memcpy(redis_url, rest, (size_t)(bar - rest));
    redis_url[bar - rest] = '\0';
    return wsc_store_open_hybrid(loop, redis_url, bar + 1, cfg, NULL, out);
}
