/* SPDX-License-Identifier: MIT */
/* The live nodes for the presence scripts (redis_registry.c): the hub stats index
 * (HS_INDEX, redis_hubstats.c) lies in another slot than a user's presence key, so a Redis
 * Cluster cannot run one script on both.  This cache reads the index (ZRANGEBYSCORE, the
 * entries not yet lapsed) at most once per RS_LIVE_MS and hands the list to each presence op;
 * ops that come while it is stale wait for the one read under way. */
#include "repository/redis/redis_live.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/alloc.h"

#define RS_LIVE_MS 1000

struct live_wait {
    struct wsc_list link;
    struct wsc__rs_live_op op; /* op.req: a reference of ours */
    rs_live_send_fn send;
};

struct rs_live {
    struct redis_store *rs;
    char *ids; /* escaped node ids, space-separated (owned) */
    uint64_t at_ms;
    bool fetching, orphan; /* orphan: freed by its owner while the read was under way */
    struct wsc_list waiting;
};

struct rs_live *
wsc__rs_live_new(struct redis_store *rs)
{
    struct rs_live *lv = wsc__calloc(1, sizeof(*lv));
    if (lv != NULL) {
        lv->rs = rs;
        wsc_list_init(&lv->waiting);
    }
    return lv;
}

/* The ids as one argument: each escaped (no space inside), space-separated. */
static char *
join(const char *const *ids, size_t n)
{
    size_t cap = 1;
    for (size_t i = 0; i < n; i++)
        cap += 3 * strlen(ids[i]) + 1;
    char *out = wsc__malloc(cap), *p = out;
    for (size_t i = 0; out != NULL && i < n; i++) {
        if (strlen(ids[i]) > 255)
            continue;
        wsc__rs_escape(ids[i], p);
        p += strlen(p);
        *p++ = ' ';
    }
    if (out != NULL)
        *p = '\0';
    return out;
}

static void
run_waiting(struct rs_live *lv, wsc_err status)
{
    while (!wsc_list_empty(&lv->waiting)) {
        struct live_wait *w = wsc_container_of(lv->waiting.next, struct live_wait, link);
        wsc_list_remove(&w->link);
        if (!w->op.req->finished)
            w->send(lv->rs, &w->op, status == WSC_OK ? lv->ids : NULL, status);
        wsc__req_unref(w->op.req);
        wsc__free(w);
    }
}

static void
fetched(wsc_err status, const char *const *ids, size_t n, void *user)
{
    struct rs_live *lv = user;
    lv->fetching = false;
    if (lv->orphan) {
        wsc__free(lv->ids);
        wsc__free(lv);
        return;
    }
    char *joined = status == WSC_OK ? join(ids, n) : NULL;
    if (joined != NULL) {
        wsc__free(lv->ids);
        lv->ids = joined;
        lv->at_ms = wsc__now_ms();
    } else if (status == WSC_OK) {
        status = WSC_ERR_NOMEM;
    }
    run_waiting(lv, status);
}

static void
fetch(struct rs_live *lv)
{
    struct rs_args a = {.n = 2, .v = {"ZRANGEBYSCORE", HS_INDEX}};
    wsc__rs_argf(&a, "(%" PRIu64, wsc__wall_ms());
    wsc__rs_arg(&a, "+inf");
    lv->fetching =
        wsc__rs_call(lv->rs, WSC__OP_BUS, WSC__REQ_IDS, (union wsc__req_cb){.ids = fetched}, lv, &a,
                     wsc__rs_parse_strs) == WSC_OK;
    if (!lv->fetching)
        run_waiting(lv, WSC_ERR_STORE);
}

void
wsc__rs_live_run(struct rs_live *lv, const struct wsc__rs_live_op *op, rs_live_send_fn send)
{
    if (lv->ids != NULL && wsc__now_ms() - lv->at_ms < RS_LIVE_MS) {
        send(lv->rs, op, lv->ids, WSC_OK);
        return;
    }
    struct live_wait *w = wsc__malloc(sizeof(*w));
    if (w == NULL) {
        send(lv->rs, op, NULL, WSC_ERR_NOMEM);
        return;
    }
    w->op = *op;
    w->send = send;
    wsc__req_ref(op->req);
    wsc_list_push_back(&lv->waiting, &w->link);
    if (!lv->fetching)
        fetch(lv);
}

void
wsc__rs_live_free(struct rs_live *lv)
{
    if (lv == NULL)
        return;
    run_waiting(lv, WSC_ERR_CANCELED);
    if (lv->fetching) {
        lv->orphan = true;
        return;
    }
    wsc__free(lv->ids);
    wsc__free(lv);
}
