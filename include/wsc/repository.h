/* SPDX-License-Identifier: MIT */
/* Storage repositories: one opaque repository per entity (offline messages, message records,
 * online status, connection records here; hub stats, queues, workload in wsc/repository_ext.h,
 * which this header includes).  A wsc_store (wsc/store.h) bundles the repositories of one
 * backend (memory, Redis, MySQL/MariaDB, hybrid); each function below checks its arguments
 * and then hands the call to that backend.
 *
 * Contract of every op:  it is asynchronous.  If it returns an error the callback never runs;
 * if it returns WSC_OK the callback runs exactly once, later, on the loop thread (never inside
 * the call), with WSC_ERR_CANCELED when the store is closed first.  Strings and messages are
 * borrowed for the call (the backend copies what it keeps); callback arguments are borrowed
 * for the callback.  Backend failures (server down, reply lost) complete with WSC_ERR_STORE,
 * a command that outlives the store's command timeout with WSC_ERR_TIMEOUT. */
#ifndef WSC_REPOSITORY_H
#define WSC_REPOSITORY_H

#include <stdbool.h>
#include <stdint.h>

#include <wsc/common.h>
#include <wsc/error.h>
#include <wsc/msg.h>
#include <wsc/repository_cb.h>
#include <wsc/repository_ext.h>
#ifdef __cplusplus
extern "C" {
#endif

/* Every function returns WSC_ERR_INVALID for a NULL repository or callback and for an id that
 * is NULL, empty or longer than 255 bytes (user, client, node, message ids, receivers). */

/* ---- Offline messages ---- */
struct wsc_offline_repo;
/** A page of stored messages, oldest first.  msgs and the messages are borrowed for the
 *  callback (keep one with wsc_msg_ref()).  next_cursor is the cursor of the last message
 *  returned (pass it back as after_cursor), or after_cursor unchanged when count is 0. */
typedef void (*wsc_offline_fetch_cb)(wsc_err status, wsc_msg *const *msgs, size_t count,
                                     uint64_t next_cursor, void *user);

/** Stores msg for user_id (msg is encoded and copied; the caller keeps its reference).
 *  Idempotent per (key, user_id), the key being wsc_msg_key() (wsc/msg.h) of the message's
 * sender and message_id: storing the same pair again completes WSC_OK and keeps the first copy
 *  and its position.  Returns WSC_ERR_INVALID (no message_id,
 *  empty user_id), WSC_ERR_UNSUPPORTED (binary message).  Completes WSC_ERR_LIMIT when
 *  the user already holds the configured maximum (nothing is dropped silently). */
WSC_API wsc_err wsc_offline_store(struct wsc_offline_repo *repo, const char *user_id, wsc_msg *msg,
                                  wsc_repo_done_cb cb, void *user);
/** Up to limit (1..1000) messages of user_id stored after after_cursor (0: from the
 *  oldest), in store order.  Expired messages are not returned.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_offline_fetch(struct wsc_offline_repo *repo, const char *user_id,
                                  uint64_t after_cursor, size_t limit, wsc_offline_fetch_cb cb,
                                  void *user);
/** Removes (on ACK) the message of user_id stored under key (wsc_msg_key(); for a
 *  message without sender, its message_id).  Completes WSC_ERR_NOT_FOUND when it was not
 *  stored.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_offline_remove(struct wsc_offline_repo *repo, const char *user_id,
                                   const char *message_id, wsc_repo_done_cb cb, void *user);
/** Number of messages stored for user_id.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_offline_count(struct wsc_offline_repo *repo, const char *user_id,
                                  wsc_repo_count_cb cb, void *user);
/** Removes every message of user_id (completes WSC_OK when there was none). */
WSC_API wsc_err wsc_offline_clear(struct wsc_offline_repo *repo, const char *user_id,
                                  wsc_repo_done_cb cb, void *user);

/* ---- Message records ---- */
/** Delivery state of one message to one receiver (DESIGN.md, Reliability). */
/* clang-format off */
typedef enum wsc_record_state {
    WSC_REC_PENDING = 0, WSC_REC_SENT, WSC_REC_ACKED, WSC_REC_RETRYING, WSC_REC_FAILED,
    WSC_REC_STORED, WSC_REC_DELIVERED, WSC_REC_EXPIRED
} wsc_record_state;
/* clang-format on */

/** The state's lower-case name ("pending"); a static string ("unknown" if out of range). */
WSC_API const char *wsc_record_state_name(wsc_record_state state);
/** One message record, keyed by (message_id, receiver).  Times are wall-clock milliseconds
 *  since the epoch, 0 when unset. */
typedef struct wsc_msg_record {
    const char *message_id; /**< required */
    const char *receiver;   /**< required */
    const char *sender;     /**< may be NULL */
    wsc_record_state state;
    uint32_t retry_count;
    wsc_err last_error;     /**< WSC_OK when none */
    const char *error_text; /**< may be NULL */
    int64_t created_ms;     /**< put: 0 means now */
    int64_t updated_ms;     /**< set by the backend on every put/update */
    int64_t sent_ms;        /**< set by update to SENT when still 0 */
    int64_t acked_ms;       /**< set by update to ACKED or DELIVERED */
} wsc_msg_record;
struct wsc_record_repo;
/** A record (borrowed for the callback, NULL on error). */
typedef void (*wsc_record_get_cb)(wsc_err status, const wsc_msg_record *rec, void *user);

/** Creates or replaces the record (rec is copied).  The record expires after the
 *  configured record TTL.  WSC_ERR_INVALID (missing message_id or receiver). */
WSC_API wsc_err wsc_record_put(struct wsc_record_repo *repo, const wsc_msg_record *rec,
                               wsc_repo_done_cb cb, void *user);
/** Moves the record to state, stamps updated_ms (and sent_ms / acked_ms), adds retry_inc
 *  to retry_count, and sets last_error/error_text (error_text may be NULL).  Completes
 *  WSC_ERR_NOT_FOUND when there is no such record. */
WSC_API wsc_err wsc_record_update(struct wsc_record_repo *repo, const char *message_id,
                                  const char *receiver, wsc_record_state state, uint32_t retry_inc,
                                  wsc_err last_error, const char *error_text, wsc_repo_done_cb cb,
                                  void *user);
/** Reads one record; completes WSC_ERR_NOT_FOUND when absent. */
WSC_API wsc_err wsc_record_get(struct wsc_record_repo *repo, const char *message_id,
                               const char *receiver, wsc_record_get_cb cb, void *user);
/** Deletes one record; completes WSC_ERR_NOT_FOUND when absent. */
WSC_API wsc_err wsc_record_remove(struct wsc_record_repo *repo, const char *message_id,
                                  const char *receiver, wsc_repo_done_cb cb, void *user);

/* ---- Online status ---- */
/** One live client of a user and the node (hub) it is connected to. */
typedef struct wsc_online_entry {
    const char *client_id;
    const char *node_id;
    int64_t expires_ms; /**< wall-clock ms when the entry lapses without a refresh */
} wsc_online_entry;
struct wsc_online_repo;
/** The live clients of a user (borrowed for the callback; count 0 when none). */
typedef void (*wsc_online_get_cb)(wsc_err status, const wsc_online_entry *entries, size_t count,
                                  void *user);

/** Marks client_id of user_id online on node_id for ttl_ms (> 0); replaces an earlier
 *  entry of the same client.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_online_set(struct wsc_online_repo *repo, const char *user_id,
                               const char *client_id, const char *node_id, uint32_t ttl_ms,
                               wsc_repo_done_cb cb, void *user);
/** Extends a live entry by ttl_ms from now (heartbeat); completes WSC_ERR_NOT_FOUND when
 *  the entry is absent or has lapsed (then call set again). */
WSC_API wsc_err wsc_online_refresh(struct wsc_online_repo *repo, const char *user_id,
                                   const char *client_id, uint32_t ttl_ms, wsc_repo_done_cb cb,
                                   void *user);
/** Marks client_id of user_id offline; completes WSC_ERR_NOT_FOUND when it was not live. */
WSC_API wsc_err wsc_online_remove(struct wsc_online_repo *repo, const char *user_id,
                                  const char *client_id, wsc_repo_done_cb cb, void *user);
/** The live (client, node) pairs of user_id; the nodes of a user are their node_ids. */
WSC_API wsc_err wsc_online_get(struct wsc_online_repo *repo, const char *user_id,
                               wsc_online_get_cb cb, void *user);

/* ---- Connection records ---- */
/** The history of one connection, keyed by (node_id, conn_id). */
typedef struct wsc_conn_record {
    const char *node_id;   /**< required */
    wsc_conn_id conn_id;   /**< required, not 0 */
    const char *user_id;   /**< may be NULL */
    const char *client_id; /**< may be NULL */
    const char *remote_ip; /**< may be NULL */
    int64_t connected_ms;  /**< connect: 0 means now */
    int64_t disconnected_ms;
    int close_code;
    const char *close_reason;
    bool active; /**< true between connect and disconnect */
    uint64_t msgs_in, msgs_out, bytes_in, bytes_out, errors;
} wsc_conn_record;
struct wsc_connrec_repo;
typedef void (*wsc_connrec_get_cb)(wsc_err status, const wsc_conn_record *rec, void *user);

/** Records a new connection (rec copied; counters and disconnect fields ignored, active
 *  set).  Replaces an earlier record with the same key.  WSC_ERR_INVALID. */
WSC_API wsc_err wsc_connrec_connect(struct wsc_connrec_repo *repo, const wsc_conn_record *rec,
                                    wsc_repo_done_cb cb, void *user);
/** Adds the counters of delta (msgs_in ... errors) to the record.  NOT_FOUND. */
WSC_API wsc_err wsc_connrec_add_counters(struct wsc_connrec_repo *repo, const char *node_id,
                                         wsc_conn_id conn_id, const wsc_conn_record *delta,
                                         wsc_repo_done_cb cb, void *user);
/** Marks the connection closed now with code and reason (may be NULL).  NOT_FOUND. */
WSC_API wsc_err wsc_connrec_disconnect(struct wsc_connrec_repo *repo, const char *node_id,
                                       wsc_conn_id conn_id, int close_code, const char *reason,
                                       wsc_repo_done_cb cb, void *user);
/** Reads one record; NOT_FOUND. */
WSC_API wsc_err wsc_connrec_get(struct wsc_connrec_repo *repo, const char *node_id,
                                wsc_conn_id conn_id, wsc_connrec_get_cb cb, void *user);

#ifdef __cplusplus
}
#endif
#endif
