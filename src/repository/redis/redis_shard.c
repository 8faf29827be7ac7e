/* SPDX-License-Identifier: MIT */
/* The cluster bus's subscriptions on a Redis Cluster: sharded pub/sub.  A channel lives in the
 * slot of its name; the bus subscribes to it (SSUBSCRIBE, one channel per command) on the
 * master that serves that slot, over a connection of its own per master (a shard, opened like
 * the command store's node of the same index), and messages go out with SPUBLISH to that same
 * master (redis_bus.c), so a publish's count is every node's subscription.
 *
 * hiredis 0.14 knows only "message" and "pmessage" on a subscribed connection, so once a shard's
 * connection is ready (AUTH done) its replies are read here (the store's on_readable hook):
 * "ssubscribe" confirms a channel, "smessage" delivers one, "sunsubscribe" for a channel still
 * wanted means Redis dropped it (its slot moved away), and an error (MOVED) means the map is
 * stale.  Commands are appended to the connection's output buffer with no callback.
 *
 * The sync timer follows the map: every channel not subscribed on its slot's master (the map
 * changed, a shard reconnected, Redis dropped it) is moved or subscribed again.  The bus is up
 * once every master's shard is connected and has confirmed what it was sent; it is down while
 * a master has no connected shard. */
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_bus.h"

#define SHARD_SYNC_MS      1000 /* the sync while everything is in place */
#define SHARD_SYNC_FAST_MS 100  /* while something is missing */
#define SHARD_MAX          256  /* nodes followed */

struct rs_shard {
    wsc__bus *bus;
    int idx;                /* the command store's node of the same address */
    struct redis_store *rs; /* owned: the subscription connection */
    redisAsyncContext *ac;  /* while ready */
    size_t outstanding;     /* SSUBSCRIBEs sent and not yet answered */
};

static void sync_soon(wsc__bus *bus);

static struct rs_shard *
shard_at(const wsc__bus *bus, int idx)
{
    return idx >= 0 && idx < bus->nshards ? bus->shards[idx] : NULL;
}

static bool
shard_ready(const struct rs_shard *sh)
{
    return sh != NULL && sh->ac != NULL;
}

/* Appends one command (no callback: the replies are read by shard_readable). */
static bool
shard_send(struct rs_shard *sh, const char *cmd, const char *channel)
{
    const char *argv[2] = {cmd, channel};
    size_t lens[2] = {strlen(cmd), strlen(channel)};
    char *buf = NULL;
    int len = redisFormatCommandArgv(&buf, 2, argv, lens);
    if (len < 0)
        return false;
    bool ok = redisAppendFormattedCommand(&sh->ac->c, buf, (size_t)len) == REDIS_OK;
    redisFreeCommand(buf);
    if (ok && sh->ac->ev.addWrite != NULL)
        sh->ac->ev.addWrite(sh->ac->ev.data);
    return ok;
}

static void
subscribe_on(struct rs_shard *sh, struct bus_chan *c)
{
    if (shard_send(sh, "SSUBSCRIBE", c->name)) {
        c->sent = true;
        sh->outstanding++;
    }
}

/* Puts c where the map says it belongs: off its old master, onto its slot's. */
static void
place(wsc__bus *bus, struct bus_chan *c)
{
    int owner = wsc__rs_cl_owner(bus->cmd, c->slot);
    struct rs_shard *now = shard_at(bus, c->shard);
    if (owner != c->shard) {
        if (c->sent && shard_ready(now))
            (void)shard_send(now, "SUNSUBSCRIBE", c->name);
        c->sent = false;
        c->confirmed = false;
        c->shard = owner;
        now = shard_at(bus, owner);
    }
    if (!c->sent && shard_ready(now))
        subscribe_on(now, c);
}

static void
place_each(wsc__hnode *n, void *arg)
{
    place(arg, wsc_container_of(n, struct bus_chan, node.h));
}

/* Forgets what was sent on shard idx (its connection is gone, or it answered an error). */
struct forget {
    int idx;
    bool confirmed_too;
};

static void
forget_each(wsc__hnode *n, void *arg)
{
    const struct forget *f = arg;
    struct bus_chan *c = wsc_container_of(n, struct bus_chan, node.h);
    if (c->shard == f->idx && (f->confirmed_too || !c->confirmed)) {
        c->sent = false;
        c->confirmed = false;
    }
}

/* ---- one shard's connection ---- */

static void
shard_reply(struct rs_shard *sh, const redisReply *r)
{
    wsc__bus *bus = sh->bus;
    if (r->type == REDIS_REPLY_ERROR) {
        /* A command this shard may not take (MOVED: the map is stale): what is unconfirmed
         * here is sent again once the map is read again. */
        if (sh->outstanding > 0)
            sh->outstanding--;
        struct forget f = {sh->idx, false};
        wsc__hmap_each(&bus->chans, forget_each, &f);
        wsc__rs_cl_refresh(bus->cmd);
        sync_soon(bus);
        return;
    }
    if (r->type != REDIS_REPLY_ARRAY || r->elements < 3 ||
        r->element[0]->type != REDIS_REPLY_STRING || r->element[1]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = r->element[0]->str, *wire = r->element[1]->str;
    struct bus_chan *c = wsc__bus_chan_find(bus, wire);
    if (strcmp(kind, "smessage") == 0 && r->element[2]->type == REDIS_REPLY_STRING) {
        wsc__bus_deliver(bus, wire, r->element[2]->str, r->element[2]->len);
    } else if (strcmp(kind, "ssubscribe") == 0) {
        if (sh->outstanding > 0)
            sh->outstanding--;
        if (c != NULL && c->shard == sh->idx && c->sent)
            wsc__bus_confirmed(bus, c);
        if (!bus->up && sh->outstanding == 0)
            sync_soon(bus); /* the bus may be up now */
    } else if (strcmp(kind, "sunsubscribe") == 0 && c != NULL && c->shard == sh->idx &&
               c->confirmed) {
        /* Not ours (ours name a channel gone, or moved and no longer confirmed here): Redis
         * dropped it, its slot moved to another master. */
        c->confirmed = false;
        c->sent = false;
        wsc__rs_cl_refresh(bus->cmd);
        sync_soon(bus);
    }
}

/* The shard's socket is readable (the store's on_readable hook): read, then every whole reply. */
static void
shard_readable(void *user, redisAsyncContext *ac)
{
    struct rs_shard *sh = user;
    redisContext *c = &ac->c;
    if (redisBufferRead(c) != REDIS_OK) {
        wsc__rs_lost(sh->rs); /* on_lost runs */
        return;
    }
    while (sh->ac == ac && !sh->bus->closing) {
        void *reply = NULL;
        if (redisGetReplyFromReader(c, &reply) != REDIS_OK) {
            wsc__rs_lost(sh->rs);
            return;
        }
        if (reply == NULL)
            break;
        shard_reply(sh, reply);
        freeReplyObject(reply);
    }
}

static void
shard_ready_cb(void *user, redisAsyncContext *ac)
{
    struct rs_shard *sh = user;
    sh->ac = ac;
    sh->outstanding = 0;
    wsc__hmap_each(&sh->bus->chans, place_each, sh->bus);
    sync_soon(sh->bus);
}

static void
shard_lost(void *user)
{
    struct rs_shard *sh = user;
    wsc__bus *bus = sh->bus;
    sh->ac = NULL;
    sh->outstanding = 0;
    if (bus->closing)
        return;
    struct forget f = {sh->idx, true};
    wsc__hmap_each(&bus->chans, forget_each, &f);
    wsc__rs_cl_refresh(bus->cmd); /* the master may have failed over */
    sync_soon(bus);
}

/* Opens the shard for the command store's node idx (same address, its own connection). */
static struct rs_shard *
shard_new(wsc__bus *bus, int idx)
{
    const struct redis_store *node = wsc__rs_cl_node(bus->cmd, idx);
    struct rs_shard *sh = node != NULL ? wsc__calloc(1, sizeof(*sh)) : NULL;
    if (sh == NULL)
        return NULL;
    sh->bus = bus;
    sh->idx = idx;
    if (wsc__rs_open_like(node, &sh->rs) != WSC_OK) {
        wsc__free(sh);
        return NULL;
    }
    sh->rs->on_ready = shard_ready_cb;
    sh->rs->on_lost = shard_lost;
    sh->rs->on_readable = shard_readable;
    sh->rs->hook_user = sh;
    return sh;
}

/* ---- following the map ---- */

/* Opens a shard for every node the map named since the last look (out of memory: next time). */
static void
grow(wsc__bus *bus)
{
    int n = wsc__rs_cl_count(bus->cmd);
    if (n > SHARD_MAX)
        n = SHARD_MAX;
    if (n > bus->nshards) {
        struct rs_shard **s = wsc__realloc(bus->shards, (size_t)n * sizeof(*s));
        if (s == NULL)
            return;
        for (int i = bus->nshards; i < n; i++)
            s[i] = NULL;
        bus->shards = s;
        bus->nshards = n;
    }
    for (int i = 0; i < bus->nshards; i++)
        if (bus->shards[i] == NULL)
            bus->shards[i] = shard_new(bus, i);
}

/* Up: the map is known, every master's shard is connected and has answered what it was sent.
 * Down: a master's shard is not connected. */
static bool
settle(wsc__bus *bus)
{
    bool owns[SHARD_MAX];
    if (!wsc__rs_cl_masters(bus->cmd, owns, bus->nshards < SHARD_MAX ? bus->nshards : SHARD_MAX))
        return false;
    bool connected = true, answered = true;
    for (int i = 0; i < bus->nshards; i++) {
        if (!owns[i])
            continue;
        connected = connected && shard_ready(bus->shards[i]);
        answered = answered && shard_ready(bus->shards[i]) && bus->shards[i]->outstanding == 0;
    }
    if (!connected)
        wsc__bus_went_down(bus);
    else if (answered)
        wsc__bus_went_up(bus);
    return connected && answered;
}

static void
sync_cb(wsc__timer *t)
{
    wsc__bus *bus = wsc_container_of(t, wsc__bus, sync);
    grow(bus);
    wsc__hmap_each(&bus->chans, place_each, bus);
    bool settled = settle(bus);
    wsc__timer_start(&bus->sync, settled ? SHARD_SYNC_MS : SHARD_SYNC_FAST_MS);
}

/* Runs the sync on the next turn (it may free nothing the caller holds, but it may call the
 * hub back, which must not happen inside the call that started it). */
static void
sync_soon(wsc__bus *bus)
{
    if (!bus->closing)
        wsc__timer_start(&bus->sync, 0);
}

wsc_err
wsc__shard_open(wsc__bus *bus)
{
    wsc__timer_init(&bus->sync, bus->cmd->base.loop, sync_cb);
    sync_soon(bus);
    return WSC_OK;
}

void
wsc__shard_close(wsc__bus *bus)
{
    wsc__timer_stop(&bus->sync);
    for (int i = 0; i < bus->nshards; i++) {
        if (bus->shards[i] == NULL)
            continue;
        wsc_store_close(&bus->shards[i]->rs->base);
        wsc__free(bus->shards[i]);
    }
    wsc__free(bus->shards);
    bus->shards = NULL;
    bus->nshards = 0;
}

void
wsc__shard_add(wsc__bus *bus, struct bus_chan *c)
{
    c->slot = wsc__rs_slot(c->name, strlen(c->name));
    c->shard = -1;
    place(bus, c);
}

void
wsc__shard_remove(wsc__bus *bus, struct bus_chan *c)
{
    struct rs_shard *sh = shard_at(bus, c->shard);
    if (c->sent && shard_ready(sh))
        (void)shard_send(sh, "SUNSUBSCRIBE", c->name);
}
