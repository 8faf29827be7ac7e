/* SPDX-License-Identifier: MIT */
/* Requests: one per repository op.  Finishing a request queues it on its store; a zero-delay
 * timer delivers the queue on the next loop turn, so no callback ever runs inside the call
 * that started it, whatever the backend. */
#include <string.h>

#include "models/alloc.h"
#include "models/msg_internal.h"
#include "repository/store_internal.h"

static void
req_timeout(wsc__timer *t)
{
    struct wsc__req *req = wsc_container_of(t, struct wsc__req, timeout);
    wsc__errtext *e = req->store != NULL ? &req->store->last_error : NULL;
    if (e != NULL && req->timeout_status == WSC_ERR_STORE && e->text[0] != '\0' &&
        strncmp(e->text, "command timed out", 17) != 0) {
        /* It waited for a connection that never came: keep why (a refused AUTH, say). */
        char why[sizeof(e->text)];
        memcpy(why, e->text, sizeof(why));
        wsc__errtext_set(e, "command timed out waiting for the connection: %s", why);
    } else if (e != NULL) {
        wsc__errtext_set(e, "command timed out");
    }
    wsc__req_finish(req, req->timeout_status);
}

wsc_err
wsc__req_new(wsc_store *store, enum wsc__op op, enum wsc__req_kind kind, union wsc__req_cb cb,
             void *user, struct wsc__req **out)
{
    *out = NULL;
    if (cb.done == NULL)
        return WSC_ERR_INVALID;
    if (store->closing)
        return WSC_ERR_STATE;
    struct wsc__req *req = wsc__calloc(1, sizeof(*req));
    if (req == NULL)
        return WSC_ERR_NOMEM;
    *req = (struct wsc__req){.store = store,
                             .kind = kind,
                             .op = op,
                             .cb = cb,
                             .user = user,
                             .refs = 1,
                             .timeout_status = WSC_ERR_TIMEOUT,
                             .start_us = wsc__mono_us()};
    wsc_list_init(&req->bk_link);
    wsc__timer_init(&req->timeout, store->loop, req_timeout);
    wsc_list_push_back(&store->live, &req->link);
    *out = req;
    return WSC_OK;
}

void
wsc__req_drop(struct wsc__req *req)
{
    wsc_list_remove(&req->link);
    req->store = NULL;
    req->finished = true;
    wsc__req_unref(req);
}

struct wsc__req *
wsc__req_ref(struct wsc__req *req)
{
    req->refs++;
    return req;
}

void
wsc__req_unref(struct wsc__req *req)
{
    if (req == NULL || --req->refs > 0)
        return;
    wsc__timer_stop(&req->timeout);
    for (size_t i = 0; req->msgs != NULL && i < req->n; i++)
        wsc_msg_unref(req->msgs[i]);
    wsc__free(req->msgs);
    wsc__free(req->entries);
    wsc__free(req->stats);
    for (size_t i = 0; i < req->nstrs; i++)
        wsc__free(req->strs[i]);
    wsc__free(req->strs);
    if (req->bk_free != NULL)
        req->bk_free(req->bk);
    wsc__free(req);
}

void
wsc__req_finish(struct wsc__req *req, wsc_err status)
{
    /* A closing store delivers every request still live with WSC_ERR_CANCELED itself; one
     * finished by a callback during that (a step of a multi-step op) must stay there, or it
     * would wait in the done list, with the turn timer armed, for a store that is freed. */
    if (req->finished || req->store == NULL || req->store->closing)
        return;
    req->finished = true;
    req->status = status == WSC_OK && req->oom ? WSC_ERR_NOMEM : status;
    wsc__timer_stop(&req->timeout);
    wsc_store *store = req->store;
    uint64_t now = wsc__mono_us();
    wsc__histo_observe(&store->op_us[req->op], now > req->start_us ? now - req->start_us : 0);
    wsc_list_remove(&req->link);
    wsc_list_push_back(&store->done, &req->link);
    if (!store->turn.armed)
        wsc__timer_start(&store->turn, 0);
}

void
wsc__req_arm_timeout(struct wsc__req *req, uint32_t timeout_ms)
{
    if (!req->finished)
        wsc__timer_start(&req->timeout, timeout_ms);
}

const char *
wsc__req_strndup(struct wsc__req *req, const char *s, size_t n)
{
    if (s == NULL)
        return NULL;
    char **strs = wsc__realloc(req->strs, (req->nstrs + 1) * sizeof(*strs));
    char *copy = strs != NULL ? wsc__strndup(s, n) : NULL;
    if (strs != NULL)
        req->strs = strs;
    if (copy == NULL) {
        req->oom = true;
        return NULL;
    }
    strs[req->nstrs++] = copy;
    return copy;
}

const char *
wsc__req_strdup(struct wsc__req *req, const char *s)
{
    return s == NULL ? NULL : wsc__req_strndup(req, s, strlen(s));
}

static bool
grow(struct wsc__req *req, void **arr, size_t elem)
{
    void *p = wsc__grow(*arr, &req->cap, req->n + 1, elem, 8);
    if (p == NULL)
        return false;
    *arr = p;
    return true;
}

wsc_err
wsc__req_add_msg(struct wsc__req *req, wsc_msg *msg)
{
    void *arr = req->msgs;
    if (!grow(req, &arr, sizeof(*req->msgs))) {
        wsc_msg_unref(msg);
        return WSC_ERR_NOMEM;
    }
    req->msgs = arr;
    req->msgs[req->n++] = msg;
    return WSC_OK;
}

wsc_err
wsc__req_add_stats(struct wsc__req *req, const wsc_node_stats *st)
{
    void *arr = req->stats;
    if (!grow(req, &arr, sizeof(*req->stats)))
        return WSC_ERR_NOMEM;
    req->stats = arr;
    wsc_node_stats *s = &req->stats[req->n];
    *s = *st;
    s->node_id = wsc__req_strdup(req, st->node_id);
    if (s->node_id == NULL)
        return WSC_ERR_NOMEM;
    req->n++;
    return WSC_OK;
}

wsc_err
wsc__req_add_entry(struct wsc__req *req, const char *client_id, const char *node_id,
                   int64_t expires_ms)
{
    void *arr = req->entries;
    if (!grow(req, &arr, sizeof(*req->entries)))
        return WSC_ERR_NOMEM;
    req->entries = arr;
    wsc_online_entry *e = &req->entries[req->n];
    e->client_id = wsc__req_strdup(req, client_id);
    e->node_id = wsc__req_strdup(req, node_id);
    e->expires_ms = expires_ms;
    if (e->client_id == NULL || e->node_id == NULL)
        return WSC_ERR_NOMEM;
    req->n++;
    return WSC_OK;
}

bool
wsc__str_ok(const char *s)
{
    return s != NULL && s[0] != '\0' && strlen(s) <= 255;
}

bool
wsc__record_ok(const wsc_msg_record *rec)
{
    return rec != NULL && wsc__str_ok(rec->message_id) && wsc__str_ok(rec->receiver) &&
           (unsigned)rec->state <= (unsigned)WSC_REC_EXPIRED;
}

bool
wsc__conn_record_ok(const wsc_conn_record *rec)
{
    return rec != NULL && wsc__str_ok(rec->node_id) && rec->conn_id != 0;
}

bool
wsc__node_stats_ok(const wsc_node_stats *st)
{
    return st != NULL && wsc__str_ok(st->node_id);
}

wsc_err
wsc__queue_encode(wsc_msg *msg, wsc_buf *json)
{
    if (msg == NULL)
        return WSC_ERR_INVALID;
    if (wsc_msg_is_binary(msg))
        return WSC_ERR_UNSUPPORTED;
    return wsc_msg_to_json(msg, json);
}

wsc_err
wsc__offline_encode(wsc_msg *msg, wsc_buf *json)
{
    if (msg == NULL || !wsc__str_ok(wsc_msg_get(msg, WSC_F_MESSAGE_ID)))
        return WSC_ERR_INVALID;
    if (wsc_msg_is_binary(msg))
        return WSC_ERR_UNSUPPORTED;
    return wsc_msg_to_json(msg, json);
}

const char *
wsc__offline_sender(const wsc_msg *msg)
{
    const char *s = msg != NULL ? wsc_msg_get(msg, WSC_F_SENDER) : NULL;
    return wsc__str_ok(s) ? s : NULL;
}

wsc_err
wsc__offline_decode(const char *json, size_t len, wsc_msg **out)
{
    /* Stored messages passed our own limits once; parse them back without the wire limits. */
    wsc_msg_limits lim;
    wsc_msg_limits_init(&lim);
    lim.max_bytes = len + 1;
    lim.max_string = len + 1;
    lim.max_group_ids = 1u << 20;
    wsc_err err = wsc_msg_parse(out, json, len, &lim, NULL);
    if (err == WSC_OK && (err = wsc__msg_encode(*out)) != WSC_OK) {
        wsc_msg_unref(*out);
        *out = NULL;
    }
    return err == WSC_OK || err == WSC_ERR_NOMEM ? err : WSC_ERR_STORE;
}
