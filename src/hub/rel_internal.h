/* SPDX-License-Identifier: MIT */
/* The hub's reliability layer (wsc/reliability.h): ACK tracker, timer wheel, failure
 * handlers, records, offline store and replay, client message_id window.  Loop thread only.
 * The hub calls the wsc__rel_* hooks below from a handful of places; everything else lives in
 * ack_tracker.c, failure.c, records.c, reliability.c and offline.c. */
#ifndef WSC_HUB_REL_INTERNAL_H
#define WSC_HUB_REL_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <wsc/hub.h>
#include <wsc/reliability.h>
#include <wsc/repository.h>
#include <wsc/store.h>

#include "hub/ack_wheel.h"
#include "hub/dedupe.h"
#include "hub/replayed.h"
#include "models/hmap.h"
#include "models/list.h"

/* Context of an asynchronous store op.  When the layer is freed while ops are still out
 * (a store that outlives the hub), rel is set to NULL and the callback only frees the op. */
struct wsc__rel_op {
    struct wsc_list link; /* rel->ops */
    struct wsc__rel *rel;
};

/* Phases of a tracked (message, receiver).  WAIT_STORE: a store write failed after the
 * message had been accepted; it is tried again after a backoff. */
enum wsc__ack_phase {
    WSC__PH_WAIT_ACK = 0,
    WSC__PH_WAIT_RETRY,
    WSC__PH_STORING,
    WSC__PH_WAIT_STORE,
    WSC__PH_WAIT_REMOTE /* sent to the other nodes of a cluster: their answer decides */
};

struct wsc__ack_pending {
    wsc__hnode node;           /* rel->pending, key (message_id, user) */
    struct wsc_list user_link; /* ack_user->list, in send order */
    struct wsc__wheel_entry timer;
    struct wsc__rel *rel;
    struct wsc__ack_user *au;
    wsc_msg *msg;           /* own reference, frozen */
    const char *message_id; /* borrowed from msg */
    wsc_ack_opts opts;
    unsigned attempts, retries;
    unsigned store_tries; /* failed store writes so far */
    wsc_err last_error;
    wsc_conn_id last_conn;
    uint32_t remote_seq; /* the forward WAIT_REMOTE waits for (rel_cluster.c) */
    uint8_t phase;
    bool sending;            /* inside a send: failures only note their reason */
    bool acked_storing;      /* an ACK came while the store op was out */
    bool accepted;           /* accounted for: delivered, stored or refused (accept.c) */
    struct wsc__accept *acc; /* the send's answer waiting for this receiver, or NULL */
    wsc_delivery_cb done;
    void *done_user;
    char user[];
};

struct wsc__ack_user {
    wsc__hnode node;      /* rel->users */
    struct wsc_list list; /* pending of this user, oldest first */
    char id[];
};

struct wsc__rel {
    wsc_hub *hub;
    struct wsc__wheel wheel;
    wsc__hmap pending;
    wsc__hmap users;
    wsc__hmap replays; /* conn id -> replay in progress */
    struct wsc_list ops;
    struct wsc_list accepts; /* answers not given yet, in send order (accept.c) */
    wsc__timer accept_timer; /* answers the ready ones (wsc__accept_fire) */
    size_t stores_out;       /* store ops a graceful stop waits for */
    struct wsc__hub_dedupe dedupe;
    struct wsc__replayed replayed; /* senders of replayed stored messages, until ACKed */
    wsc_failure_handlers handlers;
    wsc_store *store;
    bool own_store;
    bool stopping;
    bool replay_bypass; /* replay's own enqueues skip the park */
    struct wsc_offline_repo *offline;
    struct wsc_record_repo *records;
    uint64_t rng;
    uint32_t remote_seq; /* forwards to other nodes so far (rel_cluster.c) */
    wsc_reliability_stats stats;
};

/* --- hooks called by the hub files (hub.c, hub_conn.c, hub_send.c, ...) */
wsc_err wsc__rel_new(wsc_hub *hub);
void wsc__rel_free(wsc_hub *hub);
/** Graceful stop begins: pending messages go to the store; new ACK sends are refused. */
void wsc__rel_stop(wsc_hub *hub);
/** True when no store op a graceful stop waits for is out. */
bool wsc__rel_idle(const wsc_hub *hub);
/** A connection was registered: offline replay, then resends of pending messages. */
void wsc__rel_conn_open(wsc_hub *hub, wsc_conn *conn);
/** A connection is going away (before its queue is failed). */
void wsc__rel_conn_closed(wsc_hub *hub, wsc_conn *conn);
/** Every (message, connection) failure reported by the hub. */
void wsc__rel_send_failed(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, wsc_err why);
/** conn is replaying: keeps msg (refs it) to be queued after the replay.  False when the
 *  message must be queued now. */
bool wsc__rel_park(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** An `ack` frame from conn's user (sender: the frame's `sender`, naming one of several
 *  messages that share the id; NULL for all of them). */
void wsc__rel_client_ack(wsc_hub *hub, wsc_conn *conn, const char *sender, const char *message_id);
/** An ACK that another node of the cluster got from user for a message this node tracks. */
void wsc__rel_remote_ack(wsc_hub *hub, const char *user, const char *sender,
                         const char *message_id);
/** A client message seen before (inside the window): its receipt is sent again and true is
 *  returned (do not route).  Otherwise it is remembered and false returned. */
bool wsc__rel_inbound_duplicate(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** The receipt answered to conn (NULL: gone) for sender's message mid, remembered in the
 *  window (a refusal a resend may overcome is forgotten instead). */
void wsc__rel_receipt_to(wsc_hub *hub, wsc_conn *conn, const char *sender, const char *mid,
                         const char *status, const char *error);
/** The receipt answered to conn for msg, remembered in the window. */
void wsc__rel_receipt(wsc_hub *hub, wsc_conn *conn, const wsc_msg *msg, const char *status,
                      const char *error);
/** A client message with require_ack to one receiver: delivered through the ACK tracker; the
 *  receipt is answered when it is queued or stored.  False when not handled here. */
bool wsc__rel_route_client(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** A client message with require_ack to one or more groups (no broadcast): tracked per
 *  receiver (rel_groups.c); the receipt is answered here.  False when not handled here (the
 *  caller routes it fire-and-forget).  Group permissions are the caller's to check first. */
bool wsc__rel_route_client_groups(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** A fire-and-forget send addressed directly to user_id, who has no connection. */
void wsc__rel_user_offline(wsc_hub *hub, const char *user_id, wsc_msg *msg);

/* --- inside the layer */
/* reliability.c */
/** The message an ACK send tracks: msg itself when it can carry a message_id and
 *  require_ack, else a copy that does.  Encoded (frozen) on return; unref *out. */
wsc_err wsc__rel_prepare(wsc_hub *hub, wsc_msg *msg, wsc_msg **out);
/** WSC_OK when ACK sends are taken now; WSC_ERR_STATE (stopping), WSC_ERR_CANCELED (freed). */
wsc_err wsc__rel_check_state(const wsc_hub *hub);
/** Tracks (m, uid) and counts it in *n; an already pending pair gets done FAILED/EXISTS on
 *  the next loop turn.  Other errors: nothing started, done not called. */
wsc_err wsc__rel_start_many(wsc_hub *hub, const char *uid, wsc_msg *m, const wsc_ack_opts *opts,
                            wsc_delivery_cb done, void *user, size_t *n);
/** done(FAILED, why) for (m, uid) on the next loop turn.  WSC_ERR_NOMEM. */
wsc_err wsc__rel_refuse_later(wsc_hub *hub, const char *uid, wsc_msg *m, wsc_err why,
                              wsc_delivery_cb done, void *user);
/** The members of group_id but exclude_user (may be NULL); wsc_free(*members). */
wsc_err wsc__rel_group_users(wsc_hub *hub, const char *group_id, const char *exclude_user,
                             char ***members, size_t *n);

/* ack_post.c */
/** An ACK send from another thread, handed to the loop: to the n users, or to the members of
 *  group (but exclude) when group is not NULL.  msg is copied here; done runs on the loop,
 *  once per receiver.  WSC_ERR_NOMEM, WSC_ERR_STATE (the loop is being freed). */
wsc_err wsc__ack_post(wsc_hub *hub, const char *const *users, size_t n, const char *group,
                      const char *exclude, wsc_msg *msg, const wsc_ack_opts *opts,
                      wsc_delivery_cb done, void *user);

wsc_err wsc__ack_start(struct wsc__rel *rel, const char *user, wsc_msg *msg,
                       const wsc_ack_opts *opts, wsc_delivery_cb done, void *done_user,
                       struct wsc__ack_pending **out);
/** The entry of (sender, message_id, user); sender NULL means the message has none. */
struct wsc__ack_pending *wsc__ack_find(struct wsc__rel *rel, const char *sender,
                                       const char *message_id, const char *user);
/** Resends every pending message of conn's user to conn. */
void wsc__ack_resend_user(struct wsc__rel *rel, wsc_conn *conn);
/** An ACK of user for message_id from sender, or from every sender when sender is NULL
 *  (PROTOCOL.md §3).  Returns how many tracked entries it confirmed. */
size_t wsc__ack_acked(struct wsc__rel *rel, const char *sender, const char *message_id,
                      const char *user);
/** Every pending message to the store (stop) or cancelled (free). */
void wsc__ack_store_all(struct wsc__rel *rel);
void wsc__ack_cancel_all(struct wsc__rel *rel);
/** The end of a store op started for p. */
void wsc__ack_stored(struct wsc__ack_pending *p, wsc_err status);
/** p was queued to n connections (here or on other nodes): it waits for its ACK. */
void wsc__ack_sent(struct wsc__ack_pending *p, size_t n);
/** p's attempt reached nobody (p->last_error says why): retried, stored or failed. */
void wsc__ack_attempt_failed(struct wsc__ack_pending *p);

/* rel_cluster.c: an attempt in a cluster */
/** After p's attempt queued it to local connections here: in a cluster it goes to the
 *  receiver's connections on the other nodes too, and when local is 0 their answer decides
 *  (true: p now waits for it).  False: go on as on a single node. */
bool wsc__rel_cluster_attempt(struct wsc__ack_pending *p, size_t local);

/* accept.c: the answer of one send with ACK (a client's receipt, wsc_hub_publish_ack), given
 * once every receiver is accounted for: queued to a live connection, confirmed by the store,
 * or refused.  Never "stored" before the store has confirmed. */
struct wsc__accept;
enum wsc__acc_kind {
    WSC__ACC_DELIVERED,   /* queued to conns connections */
    WSC__ACC_STORED,      /* the offline store confirmed the write */
    WSC__ACC_DUPLICATE,   /* already tracked for this message_id */
    WSC__ACC_UNREACHABLE, /* offline and not stored (storage off, or a handler dropped it) */
    WSC__ACC_FAILED       /* not taken: err says why */
};
/** A new answer that calls cb (user) when sealed and every tracked receiver is accounted for.
 *  mid is copied.  NULL when out of memory. */
struct wsc__accept *wsc__accept_new(struct wsc__rel *rel, const char *mid, wsc_accepted_cb cb,
                                    void *user);
/** The answer of a client's message with require_ack: the receipt to conn (PROTOCOL.md §3),
 *  remembered in the dedupe window.  NULL when out of memory. */
struct wsc__accept *wsc__accept_receipt(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg);
/** Tracks (m, uid) with the ACK engine for acc (its answer comes through wsc__accept_note),
 *  or counts it at once: DUPLICATE when already tracked, FAILED when it cannot be. */
void wsc__accept_start(struct wsc__accept *acc, const char *uid, wsc_msg *m,
                       const wsc_ack_opts *opts);
/** Counts one receiver that needs no tracking (DUPLICATE, UNREACHABLE, FAILED). */
void wsc__accept_count(struct wsc__accept *acc, enum wsc__acc_kind kind, wsc_err err);
/** Every receiver has been tracked or counted: the answer goes out once they are accounted
 *  for (on a later loop turn, never inside this call). */
void wsc__accept_seal(struct wsc__accept *acc);
/** p's receiver is accounted for; the first call counts, later ones do nothing. */
void wsc__accept_note(struct wsc__ack_pending *p, enum wsc__acc_kind kind, size_t conns,
                      wsc_err err);
/** The layer's accept_timer callback: gives every ready answer, in send order. */
void wsc__accept_fire(wsc__timer *t);
/** The layer goes: answers still out are given now, with what they have. */
void wsc__accept_flush_all(struct wsc__rel *rel);
/** The receipt error code for a refusal caused by err ("store_unavailable", ...). */
const char *wsc__accept_error_code(wsc_err err);

/* failure.c */
wsc_failure_kind wsc__failure_kind_of(wsc_err err);
/** Runs the handler of f->kind with the default preset; returns the action. */
wsc_failure_action wsc__failure_fire(struct wsc__rel *rel, const wsc_failure *f,
                                     bool store_default);

/* records.c: fire-and-forget writes (errors are logged, never block delivery) */
void wsc__records_put(struct wsc__rel *rel, const char *message_id, const char *receiver,
                      const char *sender, wsc_record_state state);
void wsc__records_update(struct wsc__rel *rel, const char *message_id, const char *receiver,
                         wsc_record_state state, uint32_t retry_inc, wsc_err last_error);

/* offline.c */
/** Stores msg for user as an offline message (source "offline", require_ack true); p (may be
 *  NULL) is told the result through wsc__ack_stored.  WSC_ERR_* when the op cannot start. */
wsc_err wsc__offline_put(struct wsc__rel *rel, const char *user, wsc_msg *msg,
                         struct wsc__ack_pending *p);
/** Removes the stored messages of user ACKed with message_id (from sender; NULL: every
 *  sender's) after an ACK that came on conn (0: none); unknown ones count as acks_unknown.  A
 *  replay of conn waiting for room resumes. */
void wsc__offline_acked(struct wsc__rel *rel, wsc_conn_id conn, const char *user,
                        const char *sender, const char *message_id);
/** A replay on conn may go on (room in the queue or, acked: an ACK of a stored message came
 *  on conn, freeing a slot of its window). */
void wsc__offline_replay_resume(struct wsc__rel *rel, wsc_conn *conn, bool acked);
void wsc__offline_replay_start(struct wsc__rel *rel, wsc_conn *conn);
void wsc__offline_replay_closed(struct wsc__rel *rel, wsc_conn *conn);
bool wsc__offline_park(struct wsc__rel *rel, wsc_conn *conn, wsc_msg *msg);
void wsc__offline_free_replays(struct wsc__rel *rel);

void wsc__rel_op_begin(struct wsc__rel *rel, struct wsc__rel_op *op);
/** Ends op; returns the layer, or NULL when it was orphaned (then only free op). */
struct wsc__rel *wsc__rel_op_end(struct wsc__rel_op *op);

#endif
