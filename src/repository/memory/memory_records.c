/* SPDX-License-Identifier: MIT */
/* The memory backend's message records and online status.  Records sit in a list in expiry
 * order (one TTL for all, renewed by every write: a written record moves to the tail); each
 * put drops the expired ones from the head, and the oldest past record_max_total.  Online
 * entries past their TTL are dropped when they are next looked up (per user, on access). */
#include <string.h>

#include "models/alloc.h"
#include "repository/memory/memory_internal.h"

struct mem_rec {
    struct mem_node node; /* key: message_id, receiver */
    struct wsc_list all;  /* ms->recs_all */
    wsc_msg_record r;     /* strings owned below */
    char *mid, *rcv, *snd, *etext;
    int64_t expires_ms;
};

struct mem_oclient {
    struct wsc_list link;
    char *cid, *node;
    int64_t expires_ms;
};

struct mem_ouser {
    struct mem_node node; /* key: user id */
    struct wsc_list clients;
};

/* ---- message records ---- */

/* Frees one mem_rec (node) of the store arg (a wsc__mem_clear callback). */
static void
rec_free(struct mem_node *node, void *arg)
{
    struct mem_store *ms = arg;
    struct mem_rec *m = (struct mem_rec *)node;
    wsc__mem_remove(&ms->recs, &m->node);
    wsc_list_remove(&m->all);
    ms->recs_n--;
    wsc__free(m->mid);
    wsc__free(m->rcv);
    wsc__free(m->snd);
    wsc__free(m->etext);
    wsc__free(m);
}

static struct mem_rec *
rec_find(struct mem_store *ms, const char *mid, const char *rcv)
{
    return wsc__mem_find_live2(&ms->recs, mid, rcv, offsetof(struct mem_rec, expires_ms), rec_free,
                               ms);
}

static wsc_err
rec_set_text(struct mem_rec *m, const char *text)
{
    char *t = text ? wsc__strdup(text) : NULL;
    if (text != NULL && t == NULL)
        return WSC_ERR_NOMEM;
    wsc__free(m->etext);
    m->etext = t;
    m->r.error_text = t;
    return WSC_OK;
}

/* A write renews m's TTL: it moves to the tail of the expiry order. */
static void
rec_touch(struct mem_store *ms, struct mem_rec *m, int64_t now)
{
    m->expires_ms = now + (int64_t)ms->base.cfg.record_ttl_ms;
    wsc_list_remove(&m->all);
    wsc_list_push_back(&ms->recs_all, &m->all);
}

/* Drops the expired records, then the oldest while a new one would pass record_max_total. */
static void
rec_trim(struct mem_store *ms)
{
    int64_t now = wsc__mem_now();
    uint64_t max = wsc__bound(ms->base.cfg.record_max_total);
    while (!wsc_list_empty(&ms->recs_all)) {
        struct mem_rec *m = wsc_container_of(ms->recs_all.next, struct mem_rec, all);
        if (m->expires_ms > now && ms->recs_n < max)
            break;
        rec_free(&m->node, ms);
    }
}

static wsc_err
rec_put(struct wsc_record_repo *repo, struct wsc__req *req, const wsc_msg_record *rec)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.records);
    struct mem_rec *old = rec_find(ms, rec->message_id, rec->receiver);
    if (old != NULL)
        rec_free(&old->node, ms);
    rec_trim(ms);
    struct mem_rec *m = wsc__calloc(1, sizeof(*m));
    char *key = wsc__mem_key2(rec->message_id, rec->receiver);
    if (m == NULL || key == NULL)
        goto fail;
    wsc_list_init(&m->all);
    m->r = *rec;
    m->mid = wsc__strdup(rec->message_id);
    m->rcv = wsc__strdup(rec->receiver);
    m->snd = rec->sender ? wsc__strdup(rec->sender) : NULL;
    if (m->mid == NULL || m->rcv == NULL || (rec->sender && m->snd == NULL) ||
        rec_set_text(m, rec->error_text) != WSC_OK || wsc__mem_insert(&ms->recs, &m->node, key))
        goto fail;
    m->r.message_id = m->mid;
    m->r.receiver = m->rcv;
    m->r.sender = m->snd;
    m->r.updated_ms = wsc__mem_now();
    if (m->r.created_ms == 0)
        m->r.created_ms = m->r.updated_ms;
    ms->recs_n++;
    rec_touch(ms, m, m->r.updated_ms);
    wsc__free(key);
    return wsc__mem_answer(req, WSC_OK);
fail:
    if (m != NULL) {
        wsc__free(m->mid);
        wsc__free(m->rcv);
        wsc__free(m->snd);
        wsc__free(m->etext);
    }
    wsc__free(m);
    wsc__free(key);
    return wsc__mem_answer(req, WSC_ERR_NOMEM);
}

static wsc_err
rec_update(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv,
           wsc_record_state st, uint32_t retry_inc, wsc_err last_error, const char *text)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.records);
    struct mem_rec *m = rec_find(ms, mid, rcv);
    if (m == NULL)
        return wsc__mem_answer(req, WSC_ERR_NOT_FOUND);
    int64_t now = wsc__mem_now();
    rec_touch(ms, m, now);
    m->r.state = st;
    m->r.retry_count += retry_inc;
    m->r.last_error = last_error;
    m->r.updated_ms = now;
    if (st == WSC_REC_SENT && m->r.sent_ms == 0)
        m->r.sent_ms = now;
    if (st == WSC_REC_ACKED || st == WSC_REC_DELIVERED)
        m->r.acked_ms = now;
    return wsc__mem_answer(req, rec_set_text(m, text));
}

static wsc_err
rec_get(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.records);
    struct mem_rec *m = rec_find(ms, mid, rcv);
    if (m != NULL) {
        req->rec = m->r;
        req->rec.message_id = wsc__req_strdup(req, m->mid);
        req->rec.receiver = wsc__req_strdup(req, m->rcv);
        req->rec.sender = wsc__req_strdup(req, m->snd);
        req->rec.error_text = wsc__req_strdup(req, m->etext);
    }
    return wsc__mem_found(req, m);
}

static wsc_err
rec_remove(struct wsc_record_repo *repo, struct wsc__req *req, const char *mid, const char *rcv)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.records);
    struct mem_rec *m = rec_find(ms, mid, rcv);
    if (m != NULL)
        rec_free(&m->node, ms);
    return wsc__mem_found(req, m);
}

const struct wsc_record_repo_ops wsc__mem_record_ops = {rec_put, rec_update, rec_get, rec_remove};

/* ---- online status ---- */

static void
oc_free(struct mem_oclient *c)
{
    wsc_list_remove(&c->link);
    wsc__free(c->cid);
    wsc__free(c->node);
    wsc__free(c);
}

/* Frees one mem_ouser (node) of the store arg (a wsc__mem_clear callback). */
static void
ou_free(struct mem_node *node, void *arg)
{
    struct mem_store *ms = arg;
    struct mem_ouser *u = (struct mem_ouser *)node;
    while (!wsc_list_empty(&u->clients))
        oc_free(wsc_container_of(u->clients.next, struct mem_oclient, link));
    wsc__mem_remove(&ms->ousers, &u->node);
    wsc__free(u);
}

/* The live client cid of uid (lapsed ones are dropped on the way); NULL when absent. */
static struct mem_oclient *
oc_find(struct mem_store *ms, const char *uid, const char *cid, struct mem_ouser **uout)
{
    struct mem_ouser *u = (struct mem_ouser *)wsc__mem_find(&ms->ousers, uid);
    struct mem_oclient *found = NULL;
    if (uout != NULL)
        *uout = NULL;
    if (u == NULL)
        return NULL;
    struct wsc_list *pos, *tmp;
    wsc_list_foreach_safe(pos, tmp, &u->clients) {
        struct mem_oclient *c = wsc_container_of(pos, struct mem_oclient, link);
        if (c->expires_ms <= wsc__mem_now())
            oc_free(c);
        else if (cid != NULL && strcmp(c->cid, cid) == 0)
            found = c;
    }
    if (wsc_list_empty(&u->clients)) {
        ou_free(&u->node, ms);
        u = NULL;
    }
    if (uout != NULL)
        *uout = u;
    return found;
}

static wsc_err
on_set_now(struct mem_store *ms, const char *uid, const char *cid, const char *node, uint32_t ttl)
{
    struct mem_ouser *u;
    struct mem_oclient *c = oc_find(ms, uid, cid, &u);
    if (c != NULL)
        oc_free(c);
    if (u == NULL) {
        u = wsc__mem_add(&ms->ousers, sizeof(*u), uid);
        if (u == NULL)
            return WSC_ERR_NOMEM;
        wsc_list_init(&u->clients);
    }
    c = wsc__calloc(1, sizeof(*c));
    if (c == NULL)
        return WSC_ERR_NOMEM;
    wsc_list_push_back(&u->clients, &c->link);
    c->cid = wsc__strdup(cid);
    c->node = wsc__strdup(node);
    c->expires_ms = wsc__mem_now() + ttl;
    if (c->cid == NULL || c->node == NULL) {
        oc_free(c);
        return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}

static wsc_err
on_set(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid,
       const char *node, uint32_t ttl_ms)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.online);
    return wsc__mem_answer(req, on_set_now(ms, uid, cid, node, ttl_ms));
}

static wsc_err
on_refresh(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid,
           uint32_t ttl_ms)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.online);
    struct mem_oclient *c = oc_find(ms, uid, cid, NULL);
    if (c != NULL)
        c->expires_ms = wsc__mem_now() + ttl_ms;
    return wsc__mem_found(req, c);
}

static wsc_err
on_remove(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid, const char *cid)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.online);
    struct mem_ouser *u;
    struct mem_oclient *c = oc_find(ms, uid, cid, &u);
    if (c != NULL)
        oc_free(c);
    if (u != NULL && wsc_list_empty(&u->clients))
        ou_free(&u->node, ms);
    return wsc__mem_found(req, c);
}

static wsc_err
on_get(struct wsc_online_repo *repo, struct wsc__req *req, const char *uid)
{
    struct mem_store *ms = wsc_container_of(repo, struct mem_store, repos.online);
    struct mem_ouser *u;
    (void)oc_find(ms, uid, NULL, &u);
    struct wsc_list *pos;
    wsc_err err = WSC_OK;
    if (u != NULL) {
        wsc_list_foreach(pos, &u->clients) {
            struct mem_oclient *c = wsc_container_of(pos, struct mem_oclient, link);
            if ((err = wsc__req_add_entry(req, c->cid, c->node, c->expires_ms)) != WSC_OK)
                break;
        }
    }
    return wsc__mem_answer(req, err);
}

const struct wsc_online_repo_ops wsc__mem_online_ops = {on_set, on_refresh, on_remove, on_get};

void
wsc__mem_records_free_all(struct mem_store *ms)
{
    wsc__mem_clear(&ms->recs, rec_free, ms);
    wsc__mem_clear(&ms->ousers, ou_free, ms);
    wsc__mem_connrecs_free_all(ms);
}
