/* SPDX-License-Identifier: MIT */
/* Redis Cluster (redis+cluster://): the store keeps one node store per master (each the plain
 * one-connection store of redis.c, with its reconnect and its waiting list) and the slot map
 * (CLUSTER SLOTS, fetched from any node that answers: at open, after a MOVED, when a node is
 * lost or CLUSTERDOWN is seen).  Every request goes to the node of its slot (redis.c computes
 * it from the first key); keyless ones go to any node.  Replies that redirect are followed:
 * MOVED (the map is updated, the command sent again to the named node), ASK (ASKING, then the
 * command, on the named node), TRYAGAIN and CLUSTERDOWN (sent again 50 ms later); all of it
 * within the request's one command timeout.  Requests made before the map is known wait for
 * it, bounded by that timeout too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_internal.h"

#define RS_EACH_MASTER   (-2) /* rs_cmd.slot of a request for every master */
#define RS_RETRY_MS      50
#define RS_MAX_REDIRECTS 16

struct rs_cluster {
    struct redis_store *top;
    struct redis_store **nodes; /* owned */
    int n, cap;
    int16_t slot_node[RS_SLOTS]; /* index into nodes, or -1 */
    bool known, refreshing;
    struct redis_store *asked; /* the node the running refresh asked */
    struct wsc_list waiting;   /* requests (bk_link) waiting for the map */
    struct wsc_list later;     /* requests (bk_link) to send again after RS_RETRY_MS */
    wsc__timer later_timer, refresh_timer;
    const char *each_script; /* of the RS_EACH_MASTER requests (a static string) */
    rs_parse_fn each_parse;
};

static void refresh(struct rs_cluster *cl);

static void
node_lost(void *user)
{
    struct rs_cluster *cl = user;
    if (!cl->top->base.closing)
        refresh(cl);
}

static void
node_ready(void *user, redisAsyncContext *ac)
{
    (void)ac;
    struct rs_cluster *cl = user;
    if (!cl->known)
        refresh(cl);
}

/* The node at addr:port, opened on first use; NULL when it cannot be opened, with *err saying
 * why (WSC_ERR_NOMEM, or WSC_ERR_IO for an address that does not resolve). */
static struct redis_store *
node_get(struct rs_cluster *cl, const char *addr, int port, int *index, wsc_err *err)
{
    *err = WSC_ERR_NOMEM;
    for (int i = 0; i < cl->n; i++) {
        struct redis_store *n = cl->nodes[i];
        if (n->port == port && (strcmp(n->addr, addr) == 0 || strcmp(n->host, addr) == 0)) {
            *index = i;
            return n;
        }
    }
    if (cl->n == cl->cap) {
        int cap = cl->cap ? cl->cap * 2 : 4;
        struct redis_store **nodes = wsc__realloc(cl->nodes, (size_t)cap * sizeof(*nodes));
        if (nodes == NULL)
            return NULL;
        cl->nodes = nodes;
        cl->cap = cap;
    }
    const struct redis_store *top = cl->top;
    char url[sizeof(top->password) + 256 + 64];
    snprintf(url, sizeof(url), "redis://%s%s%s%s:%d/0", top->password[0] ? ":" : "", top->password,
             top->password[0] ? "@" : "", addr, port);
    wsc_store *s = NULL;
    if ((*err = wsc__redis_open(top->base.loop, url, &top->base.cfg, &s)) != WSC_OK)
        return NULL;
    struct redis_store *n = (struct redis_store *)s;
    n->on_lost = node_lost;
    n->on_ready = node_ready;
    n->hook_user = cl;
    *index = cl->n;
    cl->nodes[cl->n++] = n;
    return n;
}

/* The node of slot, else a ready node, else the first. */
static struct redis_store *
route(struct rs_cluster *cl, int slot)
{
    if (slot >= 0 && cl->slot_node[slot] >= 0)
        return cl->nodes[cl->slot_node[slot]];
    for (int i = 0; i < cl->n; i++)
        if (cl->nodes[i]->state == RS_READY)
            return cl->nodes[i];
    return cl->nodes[0];
}

/* One entry of CLUSTER SLOTS: start, end, master [ip, port, id...], replicas... */
static wsc_err
slots_entry(struct rs_cluster *cl, const redisReply *e)
{
    if (e->type != REDIS_REPLY_ARRAY || e->elements < 3 ||
        e->element[0]->type != REDIS_REPLY_INTEGER || e->element[1]->type != REDIS_REPLY_INTEGER)
        return WSC_ERR_STORE;
    const redisReply *m = e->element[2];
    long long lo = e->element[0]->integer, hi = e->element[1]->integer;
    if (m->type != REDIS_REPLY_ARRAY || m->elements < 2 ||
        m->element[0]->type != REDIS_REPLY_STRING || m->element[1]->type != REDIS_REPLY_INTEGER ||
        lo < 0 || hi >= RS_SLOTS || lo > hi)
        return WSC_ERR_STORE;
    /* An empty address is the asked node's own. */
    const char *ip = m->element[0]->len > 0 ? m->element[0]->str : cl->asked->addr;
    int idx;
    wsc_err err;
    if (node_get(cl, ip, (int)m->element[1]->integer, &idx, &err) == NULL)
        return err;
    for (long long s = lo; s <= hi; s++)
        cl->slot_node[s] = (int16_t)idx;
    return WSC_OK;
}

static wsc_err
parse_slots(struct wsc__req *req, const redisReply *r)
{
    struct redis_store *top = wsc__rs_of(req->store);
    if (top == NULL || top->cl == NULL || r->type != REDIS_REPLY_ARRAY)
        return WSC_ERR_STORE;
    struct rs_cluster *cl = top->cl;
    memset(cl->slot_node, 0xff, sizeof(cl->slot_node)); /* -1: nobody */
    for (size_t i = 0; i < r->elements; i++) {
        wsc_err err = slots_entry(cl, r->element[i]);
        if (err != WSC_OK)
            return err;
    }
    cl->known = true;
    return WSC_OK;
}

static void fan_out(struct rs_cluster *cl, struct wsc__req *req);

/* Sends every request that waited for the map. */
static void
flush_waiting(struct rs_cluster *cl)
{
    while (!wsc_list_empty(&cl->waiting) && cl->known) {
        struct wsc__req *req = wsc_container_of(cl->waiting.next, struct wsc__req, bk_link);
        wsc_list_remove(&req->bk_link);
        if (!req->finished) {
            req->timeout_status = WSC_ERR_TIMEOUT;
            wsc__rs_cl_submit(cl->top, req);
        }
        wsc__req_unref(req);
    }
}

static void
slots_done(wsc_err status, void *user)
{
    struct rs_cluster *cl = user;
    if (cl->top->base.closing)
        return;
    cl->refreshing = false;
    if (status != WSC_OK)
        wsc__timer_start(&cl->refresh_timer, cl->top->base.cfg.reconnect_min_ms);
    flush_waiting(cl);
}

/* Asks a ready node (else the first seed, once it connects) for the slot map; one at a time. */
static void
refresh(struct rs_cluster *cl)
{
    if (cl->refreshing || cl->top->base.closing)
        return;
    struct wsc__req *req;
    if (wsc__req_new(&cl->top->base, WSC__OP_CLUSTER_SLOTS, WSC__REQ_DONE,
                     (union wsc__req_cb){.done = slots_done}, cl, &req) != WSC_OK)
        return;
    cl->refreshing = true;
    cl->asked = route(cl, -1);
    const char *argv[] = {"CLUSTER", "SLOTS"};
    size_t lens[] = {7, 5};
    wsc__rs_submit(cl->asked, req, NULL, 2, argv, lens, parse_slots);
}

static void
refresh_cb(wsc__timer *t)
{
    refresh(wsc_container_of(t, struct rs_cluster, refresh_timer));
}

static void
later_cb(wsc__timer *t)
{
    struct rs_cluster *cl = wsc_container_of(t, struct rs_cluster, later_timer);
    struct wsc_list due;
    wsc_list_init(&due);
    while (!wsc_list_empty(&cl->later)) {
        struct wsc_list *l = cl->later.next;
        wsc_list_remove(l);
        wsc_list_push_back(&due, l);
    }
    while (!wsc_list_empty(&due)) {
        struct wsc__req *req = wsc_container_of(due.next, struct wsc__req, bk_link);
        wsc_list_remove(&req->bk_link);
        if (!req->finished)
            wsc__rs_cl_submit(cl->top, req);
        wsc__req_unref(req);
    }
}

void
wsc__rs_cl_submit(struct redis_store *rs, struct wsc__req *req)
{
    struct rs_cluster *cl = rs->cl;
    struct rs_cmd *c = req->bk;
    if (!cl->known) {
        if (!c->armed) {
            c->armed = true;
            wsc__req_arm_timeout(req, rs->base.cfg.command_timeout_ms);
        }
        req->timeout_status = WSC_ERR_STORE;
        wsc_list_push_back(&cl->waiting, &wsc__req_ref(req)->bk_link);
        refresh(cl);
        return;
    }
    if (c->slot == RS_EACH_MASTER)
        fan_out(cl, req);
    else
        wsc__rs_conn_submit(route(cl, c->slot), req);
}

/* "MOVED 3999 127.0.0.1:6381" / "ASK ...": the slot and the node named. */
static struct redis_store *
named_node(struct rs_cluster *cl, const char *err, int *slot, int *idx)
{
    const char *sp = strchr(err, ' ');
    char *end;
    long s = sp != NULL ? strtol(sp + 1, &end, 10) : -1;
    if (sp == NULL || s < 0 || s >= RS_SLOTS || *end != ' ')
        return NULL;
    const char *hostport = end + 1, *colon = strrchr(hostport, ':');
    char host[256];
    size_t hl = colon != NULL ? (size_t)(colon - hostport) : 0;
    if (hl == 0 || hl >= sizeof(host))
        return NULL;
    memcpy(host, hostport, hl);
    host[hl] = '\0';
    *slot = (int)s;
    wsc_err why;
    return node_get(cl, host, atoi(colon + 1), idx, &why);
}

bool
wsc__rs_cl_redirect(struct wsc__req *req, const char *err, int idx)
{
    struct redis_store *top = req->store != NULL ? wsc__rs_of(req->store) : NULL;
    struct rs_cmd *c = req->bk;
    if (top == NULL || top->cl == NULL || c->redirects >= RS_MAX_REDIRECTS)
        return false;
    struct rs_cluster *cl = top->cl;
    int slot, node;
    bool moved = strncmp(err, "MOVED ", 6) == 0, ask = strncmp(err, "ASK ", 4) == 0;
    if (moved || ask) {
        c->target = named_node(cl, err, &slot, &node);
        if (c->target == NULL)
            return false;
        c->asking = ask;
        if (moved) {
            cl->slot_node[slot] = (int16_t)node;
            refresh(cl); /* more slots probably moved with it */
        }
    } else if (strncmp(err, "TRYAGAIN", 8) == 0 || strncmp(err, "CLUSTERDOWN", 11) == 0) {
        c->later = true;
        c->target = NULL;
        if (err[0] == 'C')
            refresh(cl);
    } else {
        return false;
    }
    c->redo = idx;
    c->redirects++;
    return true;
}

void
wsc__rs_cl_resend(struct wsc__req *req)
{
    struct redis_store *top = wsc__rs_of(req->store);
    struct rs_cmd *c = req->bk;
    c->from = c->redo;
    c->redo = -1;
    if (c->later) {
        c->later = false;
        wsc_list_push_back(&top->cl->later, &wsc__req_ref(req)->bk_link);
        if (!top->cl->later_timer.armed)
            wsc__timer_start(&top->cl->later_timer, RS_RETRY_MS);
        return;
    }
    struct redis_store *node = c->target != NULL ? c->target : route(top->cl, c->slot);
    c->target = NULL;
    wsc__rs_conn_submit(node, req);
}

int
wsc__rs_cl_count(const struct redis_store *rs)
{
    return rs->cl != NULL ? rs->cl->n : 0;
}

struct redis_store *
wsc__rs_cl_node(const struct redis_store *rs, int index)
{
    return rs->cl != NULL && index >= 0 && index < rs->cl->n ? rs->cl->nodes[index] : NULL;
}

int
wsc__rs_cl_owner(const struct redis_store *rs, int slot)
{
    if (rs->cl == NULL || !rs->cl->known || slot < 0 || slot >= RS_SLOTS)
        return -1;
    return rs->cl->slot_node[slot];
}

bool
wsc__rs_cl_masters(const struct redis_store *rs, bool *owns, int cap)
{
    memset(owns, 0, (size_t)cap * sizeof(*owns));
    if (rs->cl == NULL || !rs->cl->known)
        return false;
    for (int s = 0; s < RS_SLOTS; s++) {
        int i = rs->cl->slot_node[s];
        if (i < 0 || i >= cap)
            return false; /* a slot nobody serves, or more nodes than the caller holds */
        owns[i] = true;
    }
    return true;
}

void
wsc__rs_cl_refresh(struct redis_store *rs)
{
    if (rs->cl != NULL)
        refresh(rs->cl);
}

bool
wsc__rs_reachable(const struct redis_store *rs)
{
    if (rs->cl == NULL)
        return rs->state == RS_READY;
    for (int i = 0; rs->cl->known && i < rs->cl->n; i++)
        if (rs->cl->nodes[i]->state != RS_READY)
            return false;
    return rs->cl->known;
}

/* ---- a script on every master (groups_load: SCAN runs per node) ---- */

struct each {
    struct wsc__req *outer;
    int due;
};

static void
each_done(wsc_err status, const char *const *strs, size_t n, void *user)
{
    struct each *e = user;
    struct wsc__req *outer = e->outer;
    for (size_t i = 0; status == WSC_OK && i < n; i++)
        if (wsc__req_strdup(outer, strs[i]) == NULL)
            status = WSC_ERR_NOMEM;
    if (status != WSC_OK)
        wsc__req_finish(outer, status);
    if (--e->due == 0) {
        wsc__req_finish(outer, WSC_OK);
        wsc__req_unref(outer);
        wsc__free(e);
    }
}

/* Runs the script on every node that owns a slot (one request each); req finishes once all
 * have answered, with their strings in node order. */
static void
fan_out(struct rs_cluster *cl, struct wsc__req *req)
{
    bool owns[256] = {false};
    int masters = 0;
    for (int s = 0; s < RS_SLOTS; s++)
        if (cl->slot_node[s] >= 0 && cl->slot_node[s] < 256 && !owns[cl->slot_node[s]]) {
            owns[cl->slot_node[s]] = true;
            masters++;
        }
    struct each *e = wsc__calloc(1, sizeof(*e));
    if (e == NULL || masters == 0) {
        wsc__free(e);
        wsc__req_finish(req, masters == 0 ? WSC_ERR_STORE : WSC_ERR_NOMEM);
        return;
    }
    e->outer = wsc__req_ref(req);
    e->due = masters + 1; /* one more, dropped below, so no answer finishes it early */
    const char *argv[] = {"EVAL", cl->each_script, "0"};
    size_t lens[] = {4, strlen(cl->each_script), 1};
    for (int i = 0; i < cl->n && i < 256; i++) {
        struct wsc__req *one;
        if (!owns[i])
            continue;
        if (wsc__req_new(&cl->top->base, WSC__OP_STEP, WSC__REQ_IDS,
                         (union wsc__req_cb){.ids = each_done}, e, &one) != WSC_OK) {
            e->due--;
            wsc__req_finish(req, WSC_ERR_NOMEM);
            continue;
        }
        wsc__rs_submit(cl->nodes[i], one, NULL, 3, argv, lens, cl->each_parse);
    }
    each_done(WSC_OK, NULL, 0, e);
}

void
wsc__rs_cl_each_master(struct redis_store *rs, struct wsc__req *req, const char *script,
                       rs_parse_fn parse)
{
    if (rs->cl == NULL) {
        struct rs_args a = {.script = script, .nkeys = 0};
        wsc__rs_send(rs, req, &a, parse);
        return;
    }
    struct rs_cmd *c = wsc__calloc(1, sizeof(*c));
    if (c == NULL) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return;
    }
    c->slot = RS_EACH_MASTER;
    c->redo = -1;
    req->bk = c;
    req->bk_free = wsc__free;
    rs->cl->each_script = script;
    rs->cl->each_parse = parse;
    wsc__rs_cl_submit(rs, req);
}

/* ---- open and close ---- */

wsc_err
wsc__rs_cl_open(struct redis_store *rs, const char *url)
{
    struct rs_seeds seeds;
    if (wsc__rs_parse_cluster_url(url, &seeds) != WSC_OK)
        return WSC_ERR_INVALID;
    struct rs_cluster *cl = wsc__calloc(1, sizeof(*cl));
    if (cl == NULL)
        return WSC_ERR_NOMEM;
    cl->top = rs;
    memset(cl->slot_node, 0xff, sizeof(cl->slot_node));
    wsc_list_init(&cl->waiting);
    wsc_list_init(&cl->later);
    wsc__timer_init(&cl->later_timer, rs->base.loop, later_cb);
    wsc__timer_init(&cl->refresh_timer, rs->base.loop, refresh_cb);
    rs->cl = cl;
    memcpy(rs->password, seeds.password, sizeof(rs->password));
    for (int i = 0; i < seeds.n; i++) {
        int idx;
        wsc_err err;
        if (node_get(cl, seeds.host[i], seeds.port[i], &idx, &err) == NULL)
            return err; /* out of memory, or a seed that does not resolve */
    }
    /* The store's own address: the first seed's. */
    memcpy(rs->host, cl->nodes[0]->host, sizeof(rs->host));
    memcpy(rs->addr, cl->nodes[0]->addr, sizeof(rs->addr));
    rs->port = cl->nodes[0]->port;
    rs->db = 0;
    refresh(cl);
    return WSC_OK;
}

static void
drop_list(struct wsc_list *l)
{
    while (!wsc_list_empty(l)) {
        struct wsc__req *req = wsc_container_of(l->next, struct wsc__req, bk_link);
        wsc_list_remove(&req->bk_link);
        wsc__req_unref(req);
    }
}

void
wsc__rs_cl_close(struct redis_store *rs)
{
    struct rs_cluster *cl = rs->cl;
    if (cl == NULL)
        return;
    wsc__timer_stop(&cl->later_timer);
    wsc__timer_stop(&cl->refresh_timer);
    drop_list(&cl->waiting);
    drop_list(&cl->later);
    for (int i = 0; i < cl->n; i++)
        wsc_store_close(&cl->nodes[i]->base);
    wsc__free(cl->nodes);
    wsc__free(cl);
    rs->cl = NULL;
}
