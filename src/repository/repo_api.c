/* SPDX-License-Identifier: MIT */
/* The public repository functions of wsc/repository.h: each checks its arguments once (the
 * rules that header states), then starts the request and hands it to the backend's op
 * (repository/repo_ops.h), which may rely on them.  Hub stats, queues and workload:
 * repo_api_ext.c. */
#include "repository/repo_api.h"

#include <wsc/msg.h>

/* A message that has a key (sender, message_id); memory and Redis also bound its length. */
static bool
keyed(const wsc_msg *msg)
{
    char key[WSC_MSG_KEY_MAX];
    return wsc_msg_key_of(msg, key, sizeof(key)) == WSC_OK;
}

wsc_err
wsc_offline_store(struct wsc_offline_repo *r, const char *uid, wsc_msg *msg, wsc_repo_done_cb cb,
                  void *user)
{
    WSC__REPO_CALL(r, store, wsc__str_ok(uid) && keyed(msg), WSC__OP_OFFLINE_STORE, WSC__REQ_DONE,
                   done, cb, user, uid, msg);
}

wsc_err
wsc_offline_fetch(struct wsc_offline_repo *r, const char *uid, uint64_t after, size_t limit,
                  wsc_offline_fetch_cb cb, void *user)
{
    WSC__REPO_CALL(r, fetch, wsc__str_ok(uid) && limit != 0 && limit <= 1000, WSC__OP_OFFLINE_FETCH,
                   WSC__REQ_FETCH, fetch, cb, user, uid, after, limit);
}

wsc_err
wsc_offline_remove(struct wsc_offline_repo *r, const char *uid, const char *message_id,
                   wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, remove, wsc__str_ok(uid) && wsc__str_ok(message_id), WSC__OP_OFFLINE_REMOVE,
                   WSC__REQ_DONE, done, cb, user, uid, message_id);
}

wsc_err
wsc_offline_count(struct wsc_offline_repo *r, const char *uid, wsc_repo_count_cb cb, void *user)
{
    WSC__REPO_CALL(r, count, wsc__str_ok(uid), WSC__OP_OFFLINE_COUNT, WSC__REQ_COUNT, count, cb,
                   user, uid);
}

wsc_err
wsc_offline_clear(struct wsc_offline_repo *r, const char *uid, wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, clear, wsc__str_ok(uid), WSC__OP_OFFLINE_CLEAR, WSC__REQ_DONE, done, cb, user,
                   uid);
}

wsc_err
wsc_record_put(struct wsc_record_repo *r, const wsc_msg_record *rec, wsc_repo_done_cb cb,
               void *user)
{
    WSC__REPO_CALL(r, put, wsc__record_ok(rec), WSC__OP_RECORD_PUT, WSC__REQ_DONE, done, cb, user,
                   rec);
}

wsc_err
wsc_record_update(struct wsc_record_repo *r, const char *message_id, const char *receiver,
                  wsc_record_state state, uint32_t retry_inc, wsc_err last_error,
                  const char *error_text, wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, update,
                   wsc__str_ok(message_id) && wsc__str_ok(receiver) &&
                       (unsigned)state <= (unsigned)WSC_REC_EXPIRED,
                   WSC__OP_RECORD_UPDATE, WSC__REQ_DONE, done, cb, user, message_id, receiver,
                   state, retry_inc, last_error, error_text);
}

wsc_err
wsc_record_get(struct wsc_record_repo *r, const char *message_id, const char *receiver,
               wsc_record_get_cb cb, void *user)
{
    WSC__REPO_CALL(r, get, wsc__str_ok(message_id) && wsc__str_ok(receiver), WSC__OP_RECORD_GET,
                   WSC__REQ_RECORD, record, cb, user, message_id, receiver);
}

wsc_err
wsc_record_remove(struct wsc_record_repo *r, const char *message_id, const char *receiver,
                  wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, remove, wsc__str_ok(message_id) && wsc__str_ok(receiver),
                   WSC__OP_RECORD_REMOVE, WSC__REQ_DONE, done, cb, user, message_id, receiver);
}

wsc_err
wsc_online_set(struct wsc_online_repo *r, const char *uid, const char *client_id,
               const char *node_id, uint32_t ttl_ms, wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(
        r, set, wsc__str_ok(uid) && wsc__str_ok(client_id) && wsc__str_ok(node_id) && ttl_ms != 0,
        WSC__OP_ONLINE_SET, WSC__REQ_DONE, done, cb, user, uid, client_id, node_id, ttl_ms);
}

wsc_err
wsc_online_refresh(struct wsc_online_repo *r, const char *uid, const char *client_id,
                   uint32_t ttl_ms, wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, refresh, wsc__str_ok(uid) && wsc__str_ok(client_id) && ttl_ms != 0,
                   WSC__OP_ONLINE_REFRESH, WSC__REQ_DONE, done, cb, user, uid, client_id, ttl_ms);
}

wsc_err
wsc_online_remove(struct wsc_online_repo *r, const char *uid, const char *client_id,
                  wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, remove, wsc__str_ok(uid) && wsc__str_ok(client_id), WSC__OP_ONLINE_REMOVE,
                   WSC__REQ_DONE, done, cb, user, uid, client_id);
}

wsc_err
wsc_online_get(struct wsc_online_repo *r, const char *uid, wsc_online_get_cb cb, void *user)
{
    WSC__REPO_CALL(r, get, wsc__str_ok(uid), WSC__OP_ONLINE_GET, WSC__REQ_ONLINE, online, cb, user,
                   uid);
}

wsc_err
wsc_connrec_connect(struct wsc_connrec_repo *r, const wsc_conn_record *rec, wsc_repo_done_cb cb,
                    void *user)
{
    WSC__REPO_CALL(r, connect, wsc__conn_record_ok(rec), WSC__OP_CONNREC_CONNECT, WSC__REQ_DONE,
                   done, cb, user, rec);
}

wsc_err
wsc_connrec_add_counters(struct wsc_connrec_repo *r, const char *node_id, wsc_conn_id id,
                         const wsc_conn_record *delta, wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, add_counters, wsc__str_ok(node_id) && id != 0 && delta != NULL,
                   WSC__OP_CONNREC_ADD_COUNTERS, WSC__REQ_DONE, done, cb, user, node_id, id, delta);
}

wsc_err
wsc_connrec_disconnect(struct wsc_connrec_repo *r, const char *node_id, wsc_conn_id id, int code,
                       const char *reason, wsc_repo_done_cb cb, void *user)
{
    WSC__REPO_CALL(r, disconnect, wsc__str_ok(node_id) && id != 0, WSC__OP_CONNREC_DISCONNECT,
                   WSC__REQ_DONE, done, cb, user, node_id, id, code, reason);
}

wsc_err
wsc_connrec_get(struct wsc_connrec_repo *r, const char *node_id, wsc_conn_id id,
                wsc_connrec_get_cb cb, void *user)
{
    WSC__REPO_CALL(r, get, wsc__str_ok(node_id) && id != 0, WSC__OP_CONNREC_GET, WSC__REQ_CONNREC,
                   connrec, cb, user, node_id, id);
}
