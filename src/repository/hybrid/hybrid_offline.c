/* SPDX-License-Identifier: MIT */
/* The hybrid store's offline repository (docs/storage.md, "Hybrid").
 *
 * store:  Redis (with its write-ahead marker, one script) and MySQL at once.  Completes with
 *         MySQL's answer, given once Redis has answered too (unless Redis is down); with
 *         ack_on_cache, WSC_OK as soon as Redis has the message, else as without.  The
 *         marker is removed once MySQL has answered for good (stored, duplicate, full);
 *         while MySQL is down it stays, and the drain (hybrid_drain.c) writes the message
 *         later.
 * fetch:  Redis first.  MySQL when Redis fails, or has nothing at cursor 0 (a user Redis has
 *         lost: flushed, restarted, or stored while Redis was down), or when at cursor 0
 *         MySQL counts more messages for the user than Redis (some were stored while Redis
 *         was down: MySQL's set is then the larger; the replay runs on it).  A cursor is Redis's
 *         sequence, or MySQL's row id with WSC__HYB_MYSQL_CURSOR set: a replay that started
 *         on one backend pages on it; a Redis failure mid-replay starts over on MySQL from
 *         its oldest message (repeats, never gaps).
 * remove: both; MySQL's removal is what counts (OK when either removed it).  When MySQL
 *         does not answer, an 'r' marker makes the drain remove it later.
 * count:  the larger of the two (neither is a superset while writes are owed);
 * clear:  both, MySQL's answer. */
#include <stdio.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/hybrid/hybrid_internal.h"

struct hop {
    struct hybrid *h;
    struct wsc__req *req;
    void (*decide)(struct hop *o); /* after each answer; finishes req */
    int waiting;                   /* sub-ops out */
    bool rs_done, my_done;
    wsc_err rs, my;
    uint64_t rs_count, my_count;
    uint64_t after;
    size_t limit;
    wsc_msg **page; /* fetch at cursor 0: Redis's page, kept while the counts are compared */
    size_t page_n;
    uint64_t page_next;
    char *uid, *mid; /* in buf: ids and keys may be long (wsc_user_key, wsc_msg_key) */
    char buf[];
};

static struct hybrid *
hy_of(struct wsc_offline_repo *repo)
{
    return wsc_container_of(repo, struct hybrid, offline);
}

/* The op's state for req, or NULL with req finished (WSC_ERR_NOMEM). */
static struct hop *
hop_new(struct hybrid *h, struct wsc__req *req, const char *uid, const char *mid)
{
    mid = mid != NULL ? mid : "";
    size_t nu = strlen(uid) + 1, nm = strlen(mid) + 1;
    struct hop *o = wsc__calloc(1, sizeof(*o) + nu + nm);
    if (o == NULL) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return NULL;
    }
    o->h = h;
    o->req = wsc__req_ref(req);
    o->rs = o->my = WSC_ERR_STORE;
    o->uid = memcpy(o->buf, uid, nu);
    o->mid = memcpy(o->buf + nu, mid, nm);
    return o;
}

static void
hop_release(struct hop *o)
{
    for (size_t i = 0; o->page != NULL && i < o->page_n; i++)
        wsc_msg_unref(o->page[i]);
    wsc__free(o->page);
    wsc__req_unref(o->req);
    wsc__free(o);
}

/* One answer in (or one sub-op refused): decide, and free the op after the last. */
static void
part(struct hop *o)
{
    o->waiting--;
    o->decide(o);
    if (o->waiting == 0)
        hop_release(o);
}

/* Both sub-ops issued: a refused one counts as answered with its code. */
static void
started(struct hop *o, wsc_err rs_err, wsc_err my_err)
{
    o->waiting = 2;
    if (rs_err != WSC_OK) {
        o->rs = rs_err;
        o->rs_done = true;
        o->waiting--;
    }
    if (my_err != WSC_OK) {
        o->my = my_err;
        o->my_done = true;
        o->waiting--;
    }
    if (o->waiting == 0) {
        o->waiting = 1;
        part(o);
    }
}

/* One sub-store's answer (Redis's when redis, else MySQL's): noted, then decided on. */
static void
answer(struct hop *o, bool redis, wsc_err status)
{
    *(redis ? &o->rs : &o->my) = status;
    *(redis ? &o->rs_done : &o->my_done) = true;
    wsc__hyb_note_error(o->h, redis ? o->h->redis : o->h->mysql, status);
    part(o);
}

static void
rs_done(wsc_err status, void *user)
{
    answer(user, true, status);
}

static void
my_done(wsc_err status, void *user)
{
    answer(user, false, status);
}

static void
rs_count(wsc_err status, uint64_t count, void *user)
{
    ((struct hop *)user)->rs_count = count;
    rs_done(status, user);
}

static void
my_count(wsc_err status, uint64_t count, void *user)
{
    ((struct hop *)user)->my_count = count;
    my_done(status, user);
}

/* ---- store */

static void
store_decide(struct hop *o)
{
    struct hybrid *h = o->h;
    /* MySQL's answer waits for Redis's half while Redis is reachable: on a Redis Cluster that
     * half lands after its marker, a round trip later, and a remove or clear issued on the
     * answer must find it there (else the copy outlives its ACK).  A Redis that is down is not
     * waited for (its requests would only time out). */
    bool my_final = o->my_done && (o->rs_done || !h->pending->reachable(h->redis));
    if (h->hcfg.ack_on_cache && o->rs_done && o->rs == WSC_OK)
        wsc__req_finish(o->req, WSC_OK);
    else if (my_final && (!h->hcfg.ack_on_cache || o->my == WSC_OK))
        wsc__req_finish(o->req, o->my);
    else if (o->waiting == 0) /* ack_on_cache, neither has it */
        wsc__req_finish(o->req, o->rs == WSC_ERR_LIMIT ? WSC_ERR_LIMIT : o->my);
    /* MySQL answered for good: the write is no longer owed. */
    if (o->waiting == 0 && o->rs == WSC_OK && !wsc__hyb_transient(o->my) && !h->closing)
        h->pending->done(h->redis, 's', o->uid, o->mid, 0, wsc__hyb_ignore_count, NULL);
}

static wsc_err
off_store(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, wsc_msg *msg)
{
    struct hybrid *h = hy_of(repo);
    char mid[WSC_MSG_KEY_MAX]; /* the message's key: (sender, message_id) */
    if (wsc_msg_key_of(msg, mid, sizeof(mid)) != WSC_OK)
        return WSC_ERR_INVALID;
    if (wsc_msg_is_binary(msg))
        return WSC_ERR_UNSUPPORTED;
    struct hop *o = hop_new(h, req, uid, mid);
    if (o == NULL)
        return WSC_OK;
    o->decide = store_decide;
    wsc_err e1 = h->pending->store(h->redis, uid, msg, rs_done, o);
    wsc_err e2 = wsc_offline_store(wsc_store_offline(h->mysql), uid, msg, my_done, o);
    started(o, e1, e2);
    return WSC_OK;
}

/* ---- fetch */

static void
fetch_finish(struct hop *o, wsc_err st, wsc_msg *const *msgs, size_t n, uint64_t cursor)
{
    for (size_t i = 0; st == WSC_OK && i < n; i++)
        st = wsc__req_add_msg(o->req, wsc_msg_ref(msgs[i]));
    o->req->cursor = cursor;
    wsc__req_finish(o->req, st);
    hop_release(o);
}

static void
fetch_my(wsc_err status, wsc_msg *const *msgs, size_t n, uint64_t next, void *user)
{
    struct hop *o = user;
    wsc__hyb_note_error(o->h, o->h->mysql, status);
    if (status == WSC_OK)
        fetch_finish(o, WSC_OK, msgs, n, n > 0 ? next | WSC__HYB_MYSQL_CURSOR : o->after);
    else if (o->rs == WSC_OK) /* Redis had nothing and MySQL cannot tell: nothing */
        fetch_finish(o, WSC_OK, NULL, 0, o->after);
    else
        fetch_finish(o, status, NULL, 0, o->after);
}

static void
fetch_mysql(struct hop *o, uint64_t after)
{
    wsc_err err = o->h->closing ? WSC_ERR_CANCELED
                                : wsc_offline_fetch(wsc_store_offline(o->h->mysql), o->uid, after,
                                                    o->limit, fetch_my, o);
    if (err != WSC_OK)
        fetch_finish(o, o->rs == WSC_OK ? WSC_OK : err, NULL, 0, o->after);
}

/* Both counts are in: replay from MySQL when it holds more of the user's messages than Redis,
 * else hand out Redis's page.  A page that is not full is all Redis held when it was read;
 * Redis's count, read after it, may include a store that landed since (one still in flight,
 * or one answered while Redis was unreachable), and would then hide that MySQL has more. */
static void
fetch_pick(struct hop *o)
{
    if (--o->waiting > 0)
        return;
    wsc_msg **page = o->page;
    size_t n = o->page_n;
    o->page = NULL;
    bool whole = n < o->limit;
    uint64_t rs_count = whole ? n : o->rs_count;
    if ((whole || o->rs_done) && o->my_done && o->my_count > rs_count && !o->h->closing) {
        o->rs = WSC_OK;
        fetch_mysql(o, 0);
    } else {
        fetch_finish(o, WSC_OK, page, n, o->page_next);
    }
    for (size_t i = 0; i < n; i++)
        wsc_msg_unref(page[i]);
    wsc__free(page);
}

/* One count of the comparison (Redis's when redis, else MySQL's): a failed one is not used. */
static void
picked(struct hop *o, bool redis, wsc_err status, uint64_t count)
{
    *(redis ? &o->rs_done : &o->my_done) = status == WSC_OK;
    *(redis ? &o->rs_count : &o->my_count) = count;
    fetch_pick(o);
}

static void
pick_rs(wsc_err status, uint64_t count, void *user)
{
    picked(user, true, status, count);
}

static void
pick_my(wsc_err status, uint64_t count, void *user)
{
    picked(user, false, status, count);
}

/* Redis's first page of the user: compare Redis's and MySQL's counts before using it.  False
 * when that cannot start (then the page is used as it is). */
static bool
fetch_compare(struct hop *o, wsc_msg *const *msgs, size_t n, uint64_t next)
{
    if (o->h->closing || (o->page = wsc__calloc(n, sizeof(*o->page))) == NULL)
        return false;
    for (size_t i = 0; i < n; i++)
        o->page[i] = wsc_msg_ref(msgs[i]);
    o->page_n = n;
    o->page_next = next;
    o->rs_done = o->my_done = false;
    o->waiting = 3; /* the two counts, and this call */
    if (wsc_offline_count(wsc_store_offline(o->h->redis), o->uid, pick_rs, o) != WSC_OK)
        o->waiting--;
    if (wsc_offline_count(wsc_store_offline(o->h->mysql), o->uid, pick_my, o) != WSC_OK)
        o->waiting--;
    fetch_pick(o);
    return true;
}

static void
fetch_rs(wsc_err status, wsc_msg *const *msgs, size_t n, uint64_t next, void *user)
{
    struct hop *o = user;
    wsc__hyb_note_error(o->h, o->h->redis, status);
    o->rs = status;
    if (status == WSC_OK && n > 0 && o->after == 0 && fetch_compare(o, msgs, n, next))
        return;
    if (status == WSC_OK && (n > 0 || o->after != 0))
        fetch_finish(o, WSC_OK, msgs, n, n > 0 ? next : o->after);
    else
        fetch_mysql(o, 0);
}

static wsc_err
off_fetch(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, uint64_t after,
          size_t limit)
{
    struct hybrid *h = hy_of(repo);
    struct hop *o = hop_new(h, req, uid, NULL);
    if (o == NULL)
        return WSC_OK;
    o->after = after;
    o->limit = limit;
    if ((after & WSC__HYB_MYSQL_CURSOR) != 0) {
        fetch_mysql(o, after & ~WSC__HYB_MYSQL_CURSOR);
        return WSC_OK;
    }
    wsc_err err = wsc_offline_fetch(wsc_store_offline(h->redis), uid, after, limit, fetch_rs, o);
    if (err != WSC_OK) {
        o->rs = err;
        fetch_mysql(o, 0);
    }
    return WSC_OK;
}

/* ---- remove, count, clear */

static void
remove_decide(struct hop *o)
{
    if (o->waiting > 0)
        return;
    struct hybrid *h = o->h;
    wsc_err st = o->my;
    if (o->my == WSC_ERR_NOT_FOUND) {
        st = o->rs; /* only Redis had it (a write still owed): removed there, nothing owed */
    } else if (wsc__hyb_transient(o->my)) {
        /* MySQL may still hold it: the drain removes it once MySQL answers. */
        if (!h->closing)
            h->pending->mark_remove(h->redis, o->uid, o->mid, wsc__hyb_ignore_done, NULL);
        if (h->hcfg.ack_on_cache && o->rs == WSC_OK)
            st = WSC_OK;
    }
    wsc__req_finish(o->req, st);
}

static void
count_decide(struct hop *o)
{
    if (o->waiting > 0)
        return;
    wsc_err st = o->rs == WSC_OK || o->my == WSC_OK ? WSC_OK : o->my;
    uint64_t rs = o->rs == WSC_OK ? o->rs_count : 0, my = o->my == WSC_OK ? o->my_count : 0;
    o->req->count = rs > my ? rs : my;
    wsc__req_finish(o->req, st);
}

static void
clear_decide(struct hop *o)
{
    if (o->waiting == 0)
        wsc__req_finish(o->req, o->my);
}

/* The sub-op of o's request (remove, count or clear) on one side: Redis's when redis. */
static wsc_err
issue(struct hop *o, bool redis)
{
    struct wsc_offline_repo *r = wsc_store_offline(redis ? o->h->redis : o->h->mysql);
    wsc_repo_done_cb done = redis ? rs_done : my_done;
    switch (o->req->op) {
    case WSC__OP_OFFLINE_REMOVE:
        return wsc_offline_remove(r, o->uid, o->mid, done, o);
    case WSC__OP_OFFLINE_COUNT:
        return wsc_offline_count(r, o->uid, redis ? rs_count : my_count, o);
    default: /* WSC__OP_OFFLINE_CLEAR, the only other op both() is given */
        return wsc_offline_clear(r, o->uid, done, o);
    }
}

/* remove, count and clear: the same op sent to both sides, the answers weighed by decide. */
static wsc_err
both(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, const char *mid,
     void (*decide)(struct hop *o))
{
    struct hop *o = hop_new(hy_of(repo), req, uid, mid);
    if (o == NULL)
        return WSC_OK;
    o->decide = decide;
    wsc_err e1 = issue(o, true);
    wsc_err e2 = issue(o, false);
    started(o, e1, e2);
    return WSC_OK;
}

static wsc_err
off_remove(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid, const char *mid)
{
    return both(repo, req, uid, mid, remove_decide);
}

static wsc_err
off_count(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    return both(repo, req, uid, NULL, count_decide);
}

static wsc_err
off_clear(struct wsc_offline_repo *repo, struct wsc__req *req, const char *uid)
{
    return both(repo, req, uid, NULL, clear_decide);
}

const struct wsc_offline_repo_ops wsc__hyb_offline_ops = {off_store, off_fetch, off_remove,
                                                          off_count, off_clear};
