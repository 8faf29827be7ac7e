/* SPDX-License-Identifier: MIT */
/* Reliable delivery on the hub (docs/reliability.md): sends that wait for the receiver's ACK
 * with retries and exponential backoff, the five failure handlers, message records keyed by
 * (message_id, receiver), the offline store replayed on connect, and the batch sender.  The
 * ACK send calls may be made on any thread (handed over to the loop); the others on the hub's
 * loop thread.  Every callback runs on the loop, later, never inside the call that registered
 * it. */
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
    bool durable; /**< a message queued to a live connection is also written to the offline
                       store, and the send is answered `delivered` only once the store has
                       confirmed that copy; the receiver's ACK removes it.  A hub killed before
                       the ACK loses nothing: the copy is replayed on the receiver's next
                       connect.  Costs a store write and a remove per message.  A failed write
                       is logged ("durable_copy_failed") and the answer waits: `delivered` once
                       a resend's copy is stored or the receiver ACKs, else the retries end in
                       the store as without it.  Default false. */
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
 *  Returns WSC_ERR_INVALID (bad arguments or opts, a binary message, a frozen one without
 *  message_id), WSC_ERR_EXISTS (the same message_id is already pending for this user),
 *  WSC_ERR_STATE (hub stopping), WSC_ERR_NOMEM.  An offline user is not an error: the outcome
 *  then comes from the user-offline handler (STORED by default; FAILED with
 *  WSC_ERR_NOT_FOUND when offline storage is off).
 *
 *  Any thread: off the loop thread the call copies msg (the caller's message is left as it
 *  is: a missing message_id is set on the copy, and done's wsc_delivery names it), user_id
 *  and opts, and hands the send to the loop; it returns WSC_ERR_INVALID or WSC_ERR_NOMEM, or
 *  WSC_ERR_BUSY when the loop's post queue is full (wsc_loop_config.max_posts; done never
 *  runs then).  What the loop then refuses arrives in done
 *  (FAILED): WSC_ERR_EXISTS, WSC_ERR_STATE (hub stopping), WSC_ERR_CANCELED (hub freed). */
WSC_API wsc_err wsc_hub_send_to_user_ack(wsc_hub *hub, const char *user_id, wsc_msg *msg,
                                         const wsc_ack_opts *opts, wsc_delivery_cb done,
                                         void *user);
/** The same for n users: done runs once per user.  Users already pending for this message_id
 *  get done with FAILED / WSC_ERR_EXISTS.  *n_started (may be NULL) gets how many were
 *  tracked (0 off the loop thread: not known yet; done still runs once per user, FAILED with
 *  the error for a user the loop could not track).  On the loop thread an error part-way
 *  (WSC_ERR_NOMEM) is returned with *n_started set: done runs once for each user before the one
 *  that failed (tracked, or already pending) and never for that one or those after it. */
WSC_API wsc_err wsc_hub_send_to_users_ack(wsc_hub *hub, const char *const *user_ids, size_t n,
                                          wsc_msg *msg, const wsc_ack_opts *opts,
                                          wsc_delivery_cb done, void *user, size_t *n_started);
/** The same for the members of group_id (except exclude_user, may be NULL), online or not.
 *  Off the loop thread the members are those of the group when the loop runs the send (an
 *  empty group then gives no completion at all). */
WSC_API wsc_err wsc_hub_send_to_group_ack(wsc_hub *hub, const char *group_id, wsc_msg *msg,
                                          const char *exclude_user, const wsc_ack_opts *opts,
                                          wsc_delivery_cb done, void *user, size_t *n_started);

/** What the hub has taken responsibility for in one ACK send (wsc_hub_publish_ack), once every
 *  receiver is accounted for.  A receiver counts as stored only once the offline store has
 *  confirmed the write (Redis replied, MySQL committed; docs/reliability.md). */
typedef struct wsc_accepted {
    const char *message_id; /**< borrowed for the call */
    size_t delivered;       /**< connections the message was queued to */
    size_t online;          /**< receivers it was queued to (on at least one connection) */
    size_t stored;          /**< receivers whose copy the offline store confirmed */
    size_t duplicates;      /**< receivers already tracked for this message_id (earlier send) */
    size_t unreachable;     /**< receivers offline with offline storage off (or a handler's drop) */
    size_t failed;          /**< receivers not taken: the store failed or did not answer in
                                 time (WSC_ERR_STORE, WSC_ERR_TIMEOUT, ...), the inbox is full
                                 (WSC_ERR_LIMIT), out of memory */
    wsc_err error;          /**< the first failure's error; WSC_OK when failed == 0 */
} wsc_accepted;

/** The answer of wsc_hub_publish_ack: runs once, on the loop, never inside the call. */
typedef void (*wsc_accepted_cb)(const wsc_accepted *a, void *user);

/** An ACK send (as wsc_hub_send_to_users_ack, or to the members of group_id but exclude_user
 *  when group_id is not NULL; then user_ids must be NULL) whose answer says what the hub has
 *  taken responsibility for: accepted runs once every receiver is queued to a live connection,
 *  confirmed by the offline store, or refused.  Receivers refused (failed) are not tracked
 *  any further: the caller may send again with the same message_id.  The others stay tracked
 *  until their ACK (resent, then stored; a store that fails after the message was delivered
 *  is retried until it confirms).  Loop thread only.  Returns WSC_ERR_INVALID (bad arguments,
 *  a binary message, a frozen one without message_id, not on the loop thread), WSC_ERR_STATE
 *  (hub stopping), WSC_ERR_NOMEM; accepted then never runs.  An empty group is not an error:
 *  accepted runs with every count 0. */
WSC_API wsc_err wsc_hub_publish_ack(wsc_hub *hub, const char *const *user_ids, size_t n,
                                    const char *group_id, const char *exclude_user, wsc_msg *msg,
                                    const wsc_ack_opts *opts, wsc_accepted_cb accepted, void *user);

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
    uint64_t store_retries;         /**< store writes tried again after a failure (a message
                                         already delivered stays tracked until stored) */
} wsc_reliability_stats;

WSC_API void wsc_hub_get_reliability_stats(const wsc_hub *hub, wsc_reliability_stats *out);

/* --- the batch sender (loop thread only; WSC_ERR_STATE elsewhere) */

typedef struct wsc_batch wsc_batch;

/** How a batch sends each (user, message) item. */
typedef enum wsc_batch_mode {
    WSC_BATCH_FIRE_AND_FORGET = 0, /**< wsc_hub_send_to_user: the result is known at once */
    WSC_BATCH_ACK                  /**< wsc_hub_send_to_user_ack: the result is the outcome */
} wsc_batch_mode;

/** The result of one item. */
typedef enum wsc_batch_state {
    WSC_BATCH_QUEUED = 0, /**< fire-and-forget: queued to at least one connection */
    WSC_BATCH_ACKED,      /**< ACK mode: ACKed by the receiver */
    WSC_BATCH_STORED,     /**< ACK mode: kept in the offline store */
    WSC_BATCH_FAILED,     /**< not sent or not delivered: error says why */
    WSC_BATCH_TIMEOUT     /**< no result when the batch's timeout passed (error TIMEOUT) */
} wsc_batch_state;

/** One item's result; strings borrowed until the batch is freed. */
typedef struct wsc_batch_result {
    wsc_batch_state state;
    wsc_err error;          /**< WSC_OK for QUEUED, ACKED and STORED */
    const char *user_id;    /**< the receiver */
    const char *message_id; /**< NULL when the message had none and was never sent */
    size_t queued;          /**< fire-and-forget: connections queued to */
} wsc_batch_result;

/** Runs just before item index is sent.  msg is the item's message (borrowed; one that is
 *  not frozen may still be changed here). */
typedef void (*wsc_batch_before_cb)(wsc_batch *b, size_t index, const char *user_id, wsc_msg *msg,
                                    void *user);
/** Runs once per item, when its result is known (fire-and-forget: right after its send; ACK
 *  mode: at its outcome, or at the batch timeout with WSC_BATCH_TIMEOUT). */
typedef void (*wsc_batch_after_cb)(wsc_batch *b, size_t index, const wsc_batch_result *r,
                                   void *user);
/** The batch's completion: once, after every item's after callback.  status is WSC_OK when
 *  every item is QUEUED, ACKED or STORED; WSC_ERR_TIMEOUT when the batch timed out;
 *  WSC_ERR_CANCELED when it was freed (or its hub freed) before the end; else the error of
 *  the first failed item.  results[i] is item i (n items); borrowed for the call. */
typedef void (*wsc_batch_done_cb)(wsc_err status, wsc_batch *b, const wsc_batch_result *results,
                                  size_t n, void *user);

typedef struct wsc_batch_config {
    wsc_batch_mode mode;        /**< default WSC_BATCH_FIRE_AND_FORGET */
    uint64_t timeout_ms;        /**< for the whole batch, from wsc_batch_run; 0: none.  Default
                                     30000 */
    wsc_ack_opts ack;           /**< ACK mode: retries (default wsc_ack_opts_init) */
    wsc_batch_before_cb before; /**< may be NULL */
    wsc_batch_after_cb after;   /**< may be NULL */
    wsc_batch_done_cb done;     /**< may be NULL */
    void *user;
} wsc_batch_config;

/** Fills cfg with the defaults above. */
WSC_API void wsc_batch_config_init(wsc_batch_config *cfg);
/** Creates an empty batch for hub; cfg is copied.  WSC_ERR_INVALID (bad arguments or ack
 *  options), WSC_ERR_STATE (not on the hub's loop thread), WSC_ERR_NOMEM. */
WSC_API wsc_err wsc_batch_new(wsc_batch **out, wsc_hub *hub, const wsc_batch_config *cfg);
/** Adds the item (user_id, msg): user_id is copied, msg referenced (the same message may
 *  be added for several users).  *index (may be NULL) gets the item's index.
 *  WSC_ERR_INVALID (bad arguments, the batch already runs), WSC_ERR_NOMEM. */
WSC_API wsc_err wsc_batch_add(wsc_batch *b, const char *user_id, wsc_msg *msg, size_t *index);
/** Sends every item, in order, on the next loop turn (before, send, and for
 *  fire-and-forget after, per item) and starts the batch timeout.  WSC_OK: done runs exactly
 *  once, later (never inside this call), also for an empty batch.  WSC_ERR_INVALID (already
 *  run), WSC_ERR_STATE (not on the loop thread, or the hub is stopping). */
WSC_API wsc_err wsc_batch_run(wsc_batch *b);
/** Frees b (NULL is fine).  A batch still running ends first: its unfinished items get
 *  FAILED / WSC_ERR_CANCELED through after, then done gets WSC_ERR_CANCELED.  Inside one of
 *  its own callbacks, that happens when the callback returns.  ACK sends already started go
 *  on in the tracker (their results are no longer reported). */
WSC_API void wsc_batch_free(wsc_batch *b);

#ifdef __cplusplus
}
#endif
#endif
