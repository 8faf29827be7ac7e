/* SPDX-License-Identifier: MIT */
/* The origin's wait for the other nodes' answers: a message published with a token is
 * answered by every node that got it (this node's own copy counts as an answer of 0), and
 * PUBLISH says how many got it.  The wait ends when that many answers are in, or at
 * cluster_timeout_ms with what came (WSC_ERR_TIMEOUT).  A wait stays in the table until its
 * PUBLISH has been answered too, so that the PUBLISH callback always finds it. */
#include "hub/cluster_internal.h"
#include "models/alloc.h"

struct cl_gather {
    wsc__unode by_token; /* cl->gathers, keyed by the gather's token */
    struct wsc__cluster *cl;
    uint64_t expected; /* answers due (valid once published) */
    uint64_t got, sum;
    bool published, done;
    wsc_err fail; /* the PUBLISH could not start: the wait ends with this on the next turn */
    wsc__timer timer;
    wsc__cluster_done_cb cb;
    void *arg;
};

static struct cl_gather *
find(struct wsc__cluster *cl, uint64_t token)
{
    wsc__unode *n = wsc__hmap_find_u64(&cl->gathers, token);
    return n ? wsc_container_of(n, struct cl_gather, by_token) : NULL;
}

static void
drop(struct cl_gather *g)
{
    wsc__timer_stop(&g->timer);
    wsc__hmap_remove(&g->cl->gathers, &g->by_token.h);
    wsc__free(g);
}

/* Calls the callback once; frees g when its PUBLISH has been answered. */
static void
finish(struct cl_gather *g, wsc_err st)
{
    if (!g->done) {
        g->done = true;
        wsc__timer_stop(&g->timer);
        if (g->cb != NULL)
            g->cb(g->cl->hub, st, g->sum, g->arg);
    }
    if (g->published)
        drop(g);
}

static void
check(struct cl_gather *g)
{
    if (g->published && g->got >= g->expected)
        finish(g, WSC_OK);
}

static void
on_timeout(wsc__timer *t)
{
    struct cl_gather *g = wsc_container_of(t, struct cl_gather, timer);
    finish(g, g->fail != WSC_OK ? g->fail : WSC_ERR_TIMEOUT);
}

void
wsc__cl_gather_fail_later(struct wsc__cluster *cl, uint64_t token, wsc_err err)
{
    struct cl_gather *g = find(cl, token);
    if (g == NULL)
        return;
    g->published = true;
    g->expected = UINT64_MAX;
    g->fail = err;
    wsc__timer_stop(&g->timer);
    wsc__timer_start(&g->timer, 0);
}

struct cl_gather *
wsc__cl_gather_new(struct wsc__cluster *cl, wsc__cluster_done_cb cb, void *arg)
{
    struct cl_gather *g = wsc__calloc(1, sizeof(*g));
    if (g == NULL)
        return NULL;
    *g = (struct cl_gather){.cl = cl, .cb = cb, .arg = arg};
    wsc__timer_init(&g->timer, cl->hub->loop, on_timeout);
    wsc__timer_start(&g->timer, cl->hub->cfg.cluster_timeout_ms);
    wsc__hmap_insert_u64(&cl->gathers, &g->by_token, ++cl->next_token);
    return g;
}

uint64_t
wsc__cl_gather_token(const struct cl_gather *g)
{
    return g->by_token.key;
}

void
wsc__cl_gather_published(struct wsc__cluster *cl, uint64_t token, wsc_err st, uint64_t n)
{
    struct cl_gather *g = find(cl, token);
    if (g == NULL)
        return;
    g->published = true;
    g->expected = n;
    if (st != WSC_OK)
        finish(g, st);
    else if (g->done)
        drop(g);
    else
        check(g);
}

void
wsc__cl_gather_published_cb(wsc_err st, uint64_t n, void *arg)
{
    struct cl_gather *g = arg;
    wsc__cl_gather_published(g->cl, g->by_token.key, st, n);
}

void
wsc__cl_gather_report(struct wsc__cluster *cl, uint64_t token, uint64_t count)
{
    struct cl_gather *g = find(cl, token);
    if (g == NULL || g->done)
        return;
    g->got++;
    g->sum += count;
    check(g);
}

void
wsc__cl_gather_free_all(struct wsc__cluster *cl)
{
    while (cl->gathers.count > 0) {
        for (size_t i = 0; i <= cl->gathers.mask; i++) {
            wsc__hnode *n = cl->gathers.buckets[i];
            if (n != NULL) {
                struct cl_gather *g = wsc_container_of(n, struct cl_gather, by_token.h);
                g->published = true;
                finish(g, WSC_ERR_CANCELED);
                break;
            }
        }
    }
    wsc__hmap_clear(&cl->gathers);
}
