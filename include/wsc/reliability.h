/* SPDX-License-Identifier: MIT */
/* Reliable delivery on the hub (docs/reliability.md): sends that wait for the receiver's ACK
 * with retries and exponential backoff, the five failure handlers, message records keyed by
 * (message_id, receiver), the offline store replayed on connect, and the batch sender.  Every
 * call here is made on the hub's loop thread; every callback runs there, later, never inside
 * the call that registered it. */
#ifndef WSC_RELIABILITY_H
#define WSC_RELIABILITY_H

#include <stdbool.h>

#include <wsc/common.h>
#include <wsc/error.h>
#include <wsc/msg.h>
#include <wsc/repository.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_hub wsc_hub; /* also in wsc/hub.h */

/** How a message sent with ACK is retried.  After each send the hub waits ack_timeout_ms for
 *  an ACK; without one, resend number k (1 for the first) follows after
 *  min(max_delay_ms, base_delay_ms * backoff_factor^(k-1)), scaled by a random factor in
 *  [1 - jitter, 1 + jitter] and capped at max_delay_ms again.  After max_retries resends
 *  without an ACK the message goes to the timeout handler (default: offline store). */
typedef struct wsc_ack_opts {
    uint64_t ack_timeout_ms; /**< default 5000 */
    unsigned max_retries;    /**< resends after the first send; default 3 */
    uint64_t base_delay_ms;  /**< default 1000 */
    double backoff_factor;   /**< >= 1; default 2.0 */
    uint64_t max_delay_ms;   /**< default 10000 */
    double jitter;           /**< 0..1; default 0.2 */
    bool store_offline;      /**< offline receivers and final failures go to the offline store
                                  (unless a failure handler says otherwise); default true */
} wsc_ack_opts;

/** Fills opts with the defaults above: an unACKed message to a live connection is resent
 *  after 5-6.2 s, then after about 7, 9 and 13 s more, and stored offline about 27 s after the
 *  first send if no ACK ever came. */
WSC_API void wsc_ack_opts_init(wsc_ack_opts *opts);

/** The end of one (message, receiver) delivery. */
typedef enum wsc_delivery_outcome {
    WSC_DELIVERY_ACKED = 0, /**< an ACK came from one of the receiver's connections */
    WSC_DELIVERY_STORED,    /**< kept in the offline store; replayed on the next connect */
    WSC_DELIVERY_FAILED     /**< neither; error says why */
} wsc_delivery_outcome;

/** What a completion callback gets; all borrowed for the call. */
typedef struct wsc_delivery {
    wsc_delivery_outcome outcome;
    wsc_err error;          /**< WSC_OK for ACKED; the last send error otherwise */
    const char *message_id; /**< the ACK key */
    const char *user_id;    /**< the receiver */
    unsigned attempts;      /**< sends to live connections (first send + resends) */
} wsc_delivery;

/** Completion of one (message, receiver): exactly once per receiver when the send call
 *  returned WSC_OK; WSC_ERR_CANCELED in error (outcome FAILED) when the hub is freed and the
 *  message could not be stored. */
typedef void (*wsc_delivery_cb)(wsc_err status, const wsc_delivery *d, void *user);

/** Sends msg to every connection of user_id and waits for an ACK from any of them.  msg must
 *  carry a message_id or not be frozen (one is then set); require_ack is set when the message
 *  is not frozen, and a frozen message without it is copied with it.  The hub keeps its own
 *  reference.  opts NULL: the hub's config (wsc_hub_config.ack).  done may be NULL.
 *  Returns WSC_ERR_INVALID (bad arguments or opts), WSC_ERR_EXISTS (the same message_id is
 *  already pending for this user), WSC_ERR_STATE (hub stopping), WSC_ERR_NOMEM.  An offline
 *  user is not an error: the outcome then comes from the user-offline handler (STORED by
 *  default; FAILED with WSC_ERR_NOT_FOUND when offline storage is off). */
WSC_API wsc_err wsc_hub_send_to_user_ack(wsc_hub *hub, const char *user_id, wsc_msg *msg,
                                         const wsc_ack_opts *opts, wsc_delivery_cb done,
                                         void *user);
/** The same for n users: done runs once per user.  Users already pending for this message_id
 *  get done with FAILED / WSC_ERR_EXISTS.  *n_started (may be NULL) gets how many were
 *  tracked. */
WSC_API wsc_err wsc_hub_send_to_users_ack(wsc_hub *hub, const char *const *user_ids, size_t n,
                                          wsc_msg *msg, const wsc_ack_opts *opts,
                                          wsc_delivery_cb done, void *user, size_t *n_started);
/** The same for the members of group_id (except exclude_user, may be NULL), online or not. */
WSC_API wsc_err wsc_hub_send_to_group_ack(wsc_hub *hub, const char *group_id, wsc_msg *msg,
                                          const char *exclude_user, const wsc_ack_opts *opts,
                                          wsc_delivery_cb done, void *user, size_t *n_started);

/* --- failure handlers */

/** The five kinds of delivery failure. */
typedef enum wsc_failure_kind {
    WSC_FAILURE_SEND = 0,   /**< terminal send error (too large, encoding, ...) */
    WSC_FAILURE_QUEUE_FULL, /**< the connection's send queue was full */
    WSC_FAILURE_OFFLINE,    /**< the user has no live connection */
    WSC_FAILURE_CONN_ERROR, /**< the connection was lost with the message queued */
    WSC_FAILURE_TIMEOUT     /**< no ACK after the last retry */
} wsc_failure_kind;

/** What happens after a handler returns.  The handler may change the preset action. */
typedef enum wsc_failure_action {
    WSC_FAILURE_DROP = 0, /**< count and report only */
    WSC_FAILURE_STORE     /**< keep in the offline store (outcome STORED) */
} wsc_failure_action;

/** One failure; borrowed for the call. */
typedef struct wsc_failure {
    wsc_failure_kind kind;
    wsc_err error;       /**< the cause */
    const char *user_id; /**< the receiver (NULL if unknown) */
    wsc_conn_id conn;    /**< the connection concerned, 0 if none */
    const wsc_msg *msg;  /**< wsc_msg_ref() it to keep it */
    bool tracked;        /**< sent with ACK (this is its final failure) */
    unsigned attempts;
} wsc_failure;

/** A failure handler.  *action is preset to the default: WSC_FAILURE_STORE for messages sent
 *  with ACK whose error is retryable (and offline storage on), WSC_FAILURE_DROP otherwise. */
typedef void (*wsc_failure_cb)(wsc_hub *hub, const wsc_failure *f, wsc_failure_action *action,
                               void *user);

/** The five handlers; NULL members keep the default.  Each fires exactly once per failure of
 *  a (message, receiver): for ACK sends once at the end (never for a retry that follows); for
 *  fire-and-forget sends once per (message, connection) for queue full / connection errors and
 *  once per (message, user) for an offline user addressed directly. */
typedef struct wsc_failure_handlers {
    wsc_failure_cb on_send_failure;
    wsc_failure_cb on_queue_full;
    wsc_failure_cb on_user_offline;
    wsc_failure_cb on_conn_error;
    wsc_failure_cb on_timeout;
    void *user;
} wsc_failure_handlers;

/** Replaces the handlers (copied).  NULL restores every default. */
WSC_API wsc_err wsc_hub_set_failure_handlers(wsc_hub *hub, const wsc_failure_handlers *h);

/* --- message records and the offline store (through the hub's wsc_store) */

/** Reads the record of (message_id, receiver) from the hub's record repository; cb gets
 *  WSC_ERR_NOT_FOUND when there is none (never created, or expired after the store's
 *  record_ttl_ms).  Errors as the repository's get. */
WSC_API wsc_err wsc_hub_record_get(wsc_hub *hub, const char *message_id, const char *receiver,
                                   wsc_record_get_cb cb, void *user);

/** Up to limit (1..1000) of user_id's stored messages after after_cursor (0: the oldest),
 *  oldest first; pass next_cursor back for the next page. */
WSC_API wsc_err wsc_hub_offline_fetch(wsc_hub *hub, const char *user_id, uint64_t after_cursor,
                                      size_t limit, wsc_offline_fetch_cb cb, void *user);
/** Records that (message_id, user_id) was delivered by the application's own means (record
 *  state DELIVERED).  It stays stored, and is replayed, until ACKed or cleared. */
WSC_API wsc_err wsc_hub_offline_mark_delivered(wsc_hub *hub, const char *user_id,
                                               const char *message_id, wsc_repo_done_cb cb,
                                               void *user);
/** Number of messages stored for user_id. */
WSC_API wsc_err wsc_hub_offline_count(wsc_hub *hub, const char *user_id, wsc_repo_count_cb cb,
                                      void *user);
/** Removes every stored message of user_id. */
WSC_API wsc_err wsc_hub_offline_clear(wsc_hub *hub, const char *user_id, wsc_repo_done_cb cb,
                                      void *user);

/* --- counters */

typedef struct wsc_reliability_stats {
    uint64_t pending;               /**< (message, receiver) pairs waiting for an ACK now */
    uint64_t acked, stored, failed; /**< outcomes so far */
    uint64_t resends;               /**< resends after a timeout or a reconnect */
    uint64_t acks_unknown;          /**< ACKs for nothing pending or stored (ignored) */
    uint64_t offline_acked;         /**< stored messages removed by an ACK */
    uint64_t replayed;              /**< offline messages queued on connect */
    uint64_t duplicates;            /**< client messages dropped by the dedupe window */
    uint64_t failures[5];           /**< handler calls by wsc_failure_kind */
} wsc_reliability_stats;

WSC_API void wsc_hub_get_reliability_stats(const wsc_hub *hub, wsc_reliability_stats *out);

/* The batch sender (wsc_batch_new/add/run/free) is not written yet: see docs/reliability.md. */

#ifdef __cplusplus
}
#endif
#endif
