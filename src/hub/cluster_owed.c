/* SPDX-License-Identifier: MIT */
/* The answers this node owes other nodes (the other side of cluster_gather.c), batched: every
 * answer of one loop turn for one origin node goes out in one envelope (kind REPORTS, payload
 * "<token> <count>" pairs separated by spaces), published at the end of the loop's pass, once
 * every envelope the pass read has been handled (wsc__loop_soon), or when the batch reaches
 * OWED_MAX_BYTES.  A burst of messages
 * read from one node in one go thus costs one PUBLISH back, not one per message.  A node that
 * still sends single REPORTs is understood too (cluster_route.c). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hub/cluster_internal.h"
#include "models/alloc.h"

#define OWED_MAX_BYTES 16384 /* one envelope's pairs: flushed early beyond this */

struct cl_owed {
    struct wsc_list link; /* cl->owed */
    char *text;           /* "<token> <count> <token> <count> ..." */
    size_t len, cap;
    char origin[];
};

static void
drop_one(struct cl_owed *o)
{
    wsc_list_remove(&o->link);
    wsc__free(o->text);
    wsc__free(o);
}

/* Publishes o's pairs to its origin's node channel and frees o. */
static void
flush_one(struct wsc__cluster *cl, struct cl_owed *o)
{
    char ch[WSC__CL_CHAN_MAX];
    wsc__cl_node_channel(o->origin, ch, sizeof(ch));
    struct wsc__env r = {.kind = WSC__ENV_REPORTS,
                         .origin = cl->hub->cfg.node_id,
                         .payload = o->text,
                         .payload_len = o->len};
    (void)wsc__cl_publish(cl, ch, &r, NULL, NULL); /* lost: the origin's wait times out */
    drop_one(o);
}

static void
flush_cb(wsc__soon *s)
{
    struct wsc__cluster *cl = wsc_container_of(s, struct wsc__cluster, owed_soon);
    while (!wsc_list_empty(&cl->owed))
        flush_one(cl, wsc_container_of(cl->owed.next, struct cl_owed, link));
}

static struct cl_owed *
owed_for(struct wsc__cluster *cl, const char *origin)
{
    struct wsc_list *pos;
    wsc_list_foreach(pos, &cl->owed) {
        struct cl_owed *o = wsc_container_of(pos, struct cl_owed, link);
        if (strcmp(o->origin, origin) == 0)
            return o;
    }
    struct cl_owed *o = wsc__new_with_str(struct cl_owed, origin, origin);
    if (o != NULL)
        wsc_list_push_back(&cl->owed, &o->link);
    return o;
}

void
wsc__cl_owe(struct wsc__cluster *cl, const char *origin, uint64_t token, uint64_t count)
{
    if (token == 0 || cl->closing)
        return;
    struct cl_owed *o = owed_for(cl, origin);
    char pair[48];
    int n = snprintf(pair, sizeof(pair), "%s%" PRIu64 " %" PRIu64, o && o->len ? " " : "", token,
                     count);
    char *text = o != NULL ? wsc__grow(o->text, &o->cap, o->len + (size_t)n + 1, 1, 256) : NULL;
    if (text == NULL) {
        /* Out of memory: this answer is lost, and the origin's wait times out. */
        if (o != NULL && o->len == 0)
            drop_one(o);
        return;
    }
    o->text = text;
    memcpy(o->text + o->len, pair, (size_t)n + 1);
    o->len += (size_t)n;
    if (o->len >= OWED_MAX_BYTES)
        flush_one(cl, o);
    else
        wsc__loop_soon(cl->hub->loop, &cl->owed_soon);
}

void
wsc__cl_owed_reports(struct wsc__cluster *cl, const char *payload, size_t len)
{
    const char *p = payload, *end = payload + len;
    while (p < end) {
        char *stop;
        uint64_t token = strtoull(p, &stop, 10);
        if (stop == p || stop >= end || *stop != ' ')
            return; /* malformed: the rest is dropped (those waits time out) */
        p = stop + 1;
        uint64_t count = strtoull(p, &stop, 10);
        if (stop == p)
            return;
        wsc__cl_gather_report(cl, token, count);
        p = stop < end && *stop == ' ' ? stop + 1 : end;
    }
}

void
wsc__cl_owed_init(struct wsc__cluster *cl)
{
    wsc_list_init(&cl->owed);
    wsc__soon_init(&cl->owed_soon, flush_cb);
}

void
wsc__cl_owed_free(struct wsc__cluster *cl)
{
    wsc__soon_cancel(&cl->owed_soon);
    while (!wsc_list_empty(&cl->owed))
        drop_one(wsc_container_of(cl->owed.next, struct cl_owed, link));
}
