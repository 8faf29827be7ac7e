/* SPDX-License-Identifier: MIT */
/* The memory backend's connection records, keyed by (node id, connection id); a record lapses
 * connrec_ttl_ms after its last change. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/memory/memory_internal.h"

struct mem_conn {
    struct mem_node node; /* key: node id, conn id */
    wsc_conn_record r;    /* strings owned below */
    char *strs[5];        /* node_id, user_id, client_id, remote_ip, close_reason */
    int64_t expires_ms;
};

/* Frees one mem_conn (node) of the store arg (a wsc__mem_clear callback). */
static void
conn_free(struct mem_node *node, void *arg)
{
    struct mem_store *ms = arg;
    struct mem_conn *c = (struct mem_conn *)node;
    wsc__mem_remove(&ms->conns, &c->node);
    for (size_t i = 0; i < 5; i++)
        wsc__free(c->strs[i]);
    wsc__free(c);
}

/* The decimal digits of id in num (24 bytes): the second part of a connection's key. */
static const char *
conn_num(char *num, wsc_conn_id id)
{
    snprintf(num, 24, "%" PRIu64, (uint64_t)id);
    return num;
}

static void
touch(struct mem_store *ms, struct mem_conn *c)
{
    c->expires_ms = wsc__mem_now() + (int64_t)ms->base.cfg.connrec_ttl_ms;
}

static struct mem_conn *
conn_find(struct mem_store *ms, const char *node, wsc_conn_id id)
{
    char num[24];
    return wsc__mem_find_live2(&ms->conns, node, conn_num(num, id),
                               offsetof(struct mem_conn, expires_ms), conn_free, ms);
}

static bool
dup_into(char **slot, const char *s)
{
    *slot = s ? wsc__strdup(s) : NULL;
    return s == NULL || *slot != NULL;
}

static wsc_err
cr_connect(struct wsc_connrec_repo *repo, struct wsc__req *req, const wsc_conn_record *rec)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.connrecs);
    struct mem_conn *old = conn_find(ms, rec->node_id, rec->conn_id);
    if (old != NULL)
        conn_free(&old->node, ms);
    struct mem_conn *c = wsc__calloc(1, sizeof(*c));
    char num[24];
    char *key = wsc__mem_key2(rec->node_id, conn_num(num, rec->conn_id));
    if (c == NULL || key == NULL || !dup_into(&c->strs[0], rec->node_id) ||
        !dup_into(&c->strs[1], rec->user_id) || !dup_into(&c->strs[2], rec->client_id) ||
        !dup_into(&c->strs[3], rec->remote_ip) || wsc__mem_insert(&ms->conns, &c->node, key)) {
        for (size_t i = 0; c != NULL && i < 5; i++)
            wsc__free(c->strs[i]);
        wsc__free(c);
        wsc__free(key);
        return wsc__mem_answer(req, WSC_ERR_NOMEM);
    }
    wsc__free(key);
    c->r.node_id = c->strs[0];
    c->r.conn_id = rec->conn_id;
    c->r.user_id = c->strs[1];
    c->r.client_id = c->strs[2];
    c->r.remote_ip = c->strs[3];
    c->r.connected_ms = rec->connected_ms ? rec->connected_ms : wsc__mem_now();
    c->r.active = true;
    touch(ms, c);
    return wsc__mem_answer(req, WSC_OK);
}

static wsc_err
cr_add(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id,
       const wsc_conn_record *d)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.connrecs);
    struct mem_conn *c = conn_find(ms, node, id);
    if (c != NULL) {
        c->r.msgs_in += d->msgs_in;
        c->r.msgs_out += d->msgs_out;
        c->r.bytes_in += d->bytes_in;
        c->r.bytes_out += d->bytes_out;
        c->r.errors += d->errors;
        touch(ms, c);
    }
    return wsc__mem_found(req, c);
}

static wsc_err
cr_disconnect(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id,
              int code, const char *reason)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.connrecs);
    struct mem_conn *c = conn_find(ms, node, id);
    wsc_err err = c != NULL ? WSC_OK : WSC_ERR_NOT_FOUND;
    if (c != NULL) {
        char *r = NULL;
        if (!dup_into(&r, reason))
            err = WSC_ERR_NOMEM;
        wsc__free(c->strs[4]);
        c->strs[4] = r;
        c->r.close_reason = r;
        c->r.close_code = code;
        c->r.disconnected_ms = wsc__mem_now();
        c->r.active = false;
        touch(ms, c);
    }
    return wsc__mem_answer(req, err);
}

static wsc_err
cr_get(struct wsc_connrec_repo *repo, struct wsc__req *req, const char *node, wsc_conn_id id)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.connrecs);
    struct mem_conn *c = conn_find(ms, node, id);
    if (c != NULL) {
        req->conn = c->r;
        req->conn.node_id = wsc__req_strdup(req, c->r.node_id);
        req->conn.user_id = wsc__req_strdup(req, c->r.user_id);
        req->conn.client_id = wsc__req_strdup(req, c->r.client_id);
        req->conn.remote_ip = wsc__req_strdup(req, c->r.remote_ip);
        req->conn.close_reason = wsc__req_strdup(req, c->r.close_reason);
    }
    return wsc__mem_found(req, c);
}

const struct wsc_connrec_repo_ops wsc__mem_connrec_ops = {cr_connect, cr_add, cr_disconnect,
                                                          cr_get};

void
wsc__mem_connrecs_free_all(struct mem_store *ms)
{
    wsc__mem_clear(&ms->conns, conn_free, ms);
}
