/* SPDX-License-Identifier: MIT */
/* The private header of the hub's reliability layer (wsc/reliability.h, docs/reliability.md):
 * delivery with ACK, failure handlers, records, offline store and replay, the client message_id
 * window.  Loop thread only.  The hub calls the layer through the wsc__rel_* hooks declared in
 * hub_internal.h; only the layer's own files include this header:
 *   reliability.c  the layer's life, its hooks into the hub, store ops and store health
 *   ack_send.c     the public ACK sends, from the loop or handed over from another thread
 *   ack_tracker.c  the tracker: one entry per (sender, message_id, receiver), its timer wheel
 *   failure.c      retry with backoff, the failure handlers, storing what could not be delivered
 *   accept.c       the answer of one send (receipt, wsc_hub_publish_ack) once all are accounted
 *   receipt.c      client messages with require_ack: routing, receipts, the message_id window
 *   offline.c      the offline store: put, remove on ACK, the wsc_hub_offline_* calls
 *   replay.c       replay of stored messages on connect, the senders replayed until ACKed
 *   records.c      message records, written as the tracker moves
 *   batch.c        the batch sender (wsc_batch) over the ACK sends */
#ifndef WSC_HUB_REL_INTERNAL_H
#define WSC_HUB_REL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <wsc/hub.h>
#include <wsc/reliability.h>
#include <wsc/repository.h>
#include <wsc/store.h>

#include "hub/hub_internal.h"
#include "loop/loop.h"
#include "models/hfifo.h"
#include "models/hmap.h"
#include "models/list.h"

/* --- the timer wheel (ack_tracker.c): every ACK timer of the hub in one structure driven by
 * one loop timer that ticks only while entries are armed.  Insert and cancel are O(1); a tick
 * visits one slot.  The core takes the time as an argument so tests can drive it without a
 * loop. */
struct wsc__wheel_entry;
typedef void (*wsc__wheel_cb)(struct wsc__wheel_entry *e);

/** Embed one per timer; zeroed memory is a valid unarmed entry once cb is set. */
struct wsc__wheel_entry {
    struct wsc_list link; /* slot list while armed */
    uint64_t due_tick;
    wsc__wheel_cb cb;
    bool armed;
};

struct wsc__wheel {
    struct wsc_list *slots;
    size_t mask; /* slot count - 1 */
    uint64_t tick_ms;
    uint64_t origin_ms; /* time of tick 0 */
    uint64_t done_tick; /* every tick up to this one has been processed */
    size_t count;       /* armed entries */
    wsc__timer timer;   /* drives wsc__wheel_advance; only when attached to a loop */
    bool attached;
};

/** slots is rounded up to a power of two.  WSC_ERR_NOMEM. */
wsc_err wsc__wheel_init(struct wsc__wheel *w, size_t slots, uint64_t tick_ms, uint64_t now_ms);
/** Lets the wheel arm a loop timer (one tick period) whenever entries are armed. */
void wsc__wheel_attach(struct wsc__wheel *w, wsc_loop *loop);
/** The entries stay where they are (cancel them first); stops the loop timer. */
void wsc__wheel_free(struct wsc__wheel *w);
/** Arms e to fire once delay_ms after now_ms, rounded up to the next tick (never early).
 *  Re-arming an armed entry moves it. */
void wsc__wheel_add(struct wsc__wheel *w, struct wsc__wheel_entry *e, uint64_t now_ms,
                    uint64_t delay_ms);
/** Disarms e; unarmed entries are fine. */
void wsc__wheel_cancel(struct wsc__wheel *w, struct wsc__wheel_entry *e);
/** Fires every entry due at or before now_ms, in due order per tick.  Callbacks may add and
 *  cancel entries (also the one firing).  Returns the number fired. */
size_t wsc__wheel_advance(struct wsc__wheel *w, uint64_t now_ms);

/* --- the retry policy (failure.c) as pure functions: the backoff delay of a resend, and a
 * small random generator whose state the caller owns (no global random state).  Validation,
 * wsc__retry_opts_valid, is in hub_internal.h. */
/** The delay before resend number retry (1 for the first):
 *  d = min(max_delay_ms, base_delay_ms * backoff_factor^(retry-1)), then
 *  d * (1 - jitter + 2 * jitter * rnd01), capped at max_delay_ms.  rnd01 in [0, 1). */
uint64_t wsc__retry_delay_ms(const wsc_ack_opts *opts, unsigned retry, double rnd01);

/** The latest time after the first send at which resend number retry happens (jitter at its
 *  maximum): retry * ack_timeout_ms + the sum of the largest delays.  For documentation and
 *  tests. */
uint64_t wsc__retry_latest_ms(const wsc_ack_opts *opts, unsigned retry);

/** splitmix64 over *state, as a double in [0, 1). */
double wsc__retry_rand01(uint64_t *state);

/* --- the window of client message_ids (receipt.c, PROTOCOL.md §3): per user, the last N
 * message_ids seen from that user's clients and the receipt each got, so that a resend is
 * answered with the same receipt and not routed twice.  The windows of at most max_users users
 * are kept; the least recently used one goes first. */
/** The receipt remembered with an id. */
enum wsc__receipt {
    WSC__RECEIPT_NONE = 0, /* seen, no receipt sent (vetoed, not routed) */
    WSC__RECEIPT_DELIVERED,
    WSC__RECEIPT_STORED,
    WSC__RECEIPT_REJECTED
};

struct wsc__hub_dedupe {
    wsc__hmap ids;       /* (user, id) -> entry */
    wsc__hmap users;     /* user -> window */
    struct wsc_list lru; /* windows, least recently used first */
    size_t per_user, max_users, n_users;
};

/** per_user 0 turns the window off (nothing is remembered). */
void wsc__hub_dedupe_init(struct wsc__hub_dedupe *d, size_t per_user, size_t max_users);
void wsc__hub_dedupe_free(struct wsc__hub_dedupe *d);
/** True when (user, id) is in the window; *receipt and *error (static string or NULL) get
 *  what was remembered.  Refreshes the user's window in the LRU order. */
bool wsc__hub_dedupe_seen(struct wsc__hub_dedupe *d, const char *user, const char *id,
                          enum wsc__receipt *receipt, const char **error);
/** Remembers (user, id) with a receipt, or updates the receipt of a remembered one; evicts the
 *  user's oldest id beyond per_user and the least recently used window beyond max_users.
 *  error must be a static string or NULL.  WSC_ERR_NOMEM. */
wsc_err wsc__hub_dedupe_put(struct wsc__hub_dedupe *d, const char *user, const char *id,
                            enum wsc__receipt receipt, const char *error);
/** Forgets (user, id): a resend of it is then handled as new (after a refusal that a resend
 *  may overcome, such as a store that did not answer). */
void wsc__hub_dedupe_forget(struct wsc__hub_dedupe *d, const char *user, const char *id);

/* --- replayed senders (replay.c): the senders of the stored messages a user was replayed, by
 * (user, message_id), until ACKed.  Bounded: beyond cap the oldest entries are forgotten (their
 * ACK then removes only a copy without sender; the rest is replayed again). */
struct wsc__replayed {
    wsc__hfifo entries; /* by (user, message_id), oldest first */
};

void wsc__replayed_init(struct wsc__replayed *r, size_t cap);
void wsc__replayed_free(struct wsc__replayed *r);
/** Remembers that user was replayed message_id from sender (NULL or "": none); once per
 *  triple.  WSC_ERR_NOMEM (nothing remembered). */
wsc_err wsc__replayed_put(struct wsc__replayed *r, const char *user, const char *message_id,
                          const char *sender);
/** Forgets the entries of (user, message_id) — only sender's when sender is not NULL — and
 *  calls fn with the sender of each ("" for none) before it goes.  Returns how many. */
size_t wsc__replayed_take(struct wsc__replayed *r, const char *user, const char *message_id,
                          const char *sender, void (*fn)(const char *sender, void *arg), void *arg);

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
    uint64_t sent_us;     /* the last attempt's queuing (the ACK round-trip metric) */
    unsigned store_tries; /* failed store writes so far */
    wsc_err last_error;
    wsc_conn_id last_conn;
    uint32_t remote_seq; /* the forward WAIT_REMOTE waits for (rel_cluster.c) */
    uint8_t phase;
    bool sending;            /* inside a send: failures only note their reason */
    bool acked_storing;      /* an ACK came while the store op was out */
    bool copying;            /* opts.durable: the store write of the durable copy is out */
    bool copied;             /* opts.durable: the store holds the copy (removed on ACK) */
    size_t copy_conns;       /* the connections the answer waiting for the copy counts */
    bool accepted;           /* accounted for: delivered, stored or refused (accept.c) */
    struct wsc__accept *acc; /* the send's answer waiting for this receiver, or NULL */
    wsc_delivery_cb done;
    void *done_user;
    char user[];
};

struct wsc__ack_user {
    wsc__snode node;      /* rel->users, by id */
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

/* --- ack_send.c */
/** The message an ACK send tracks: msg itself when it can carry a message_id and
 *  require_ack, else a copy that does.  Encoded (frozen) on return; unref *out. */
wsc_err wsc__rel_prepare(wsc_hub *hub, wsc_msg *msg, wsc_msg **out);
/** WSC_OK when ACK sends are taken now; WSC_ERR_STATE (stopping), WSC_ERR_CANCELED (freed). */
wsc_err wsc__rel_check_state(const wsc_hub *hub);
/** The members of group_id but exclude_user (may be NULL); wsc_free(*members). */
wsc_err wsc__rel_group_users(wsc_hub *hub, const char *group_id, const char *exclude_user,
                             char ***members, size_t *n);

/* --- ack_tracker.c */
/** The sender of p's message ("" when it has none). */
static inline const char *
wsc__ack_sender(const struct wsc__ack_pending *p)
{
    const char *s = wsc_msg_get(p->msg, WSC_F_SENDER);
    return s != NULL ? s : "";
}
/** Tracks (msg, user): the first attempt is made on the next loop turn; done runs once, from
 *  the loop.  WSC_ERR_EXISTS when the pair is pending already, WSC_ERR_NOMEM. */
wsc_err wsc__ack_start(struct wsc__rel *rel, const char *user, wsc_msg *msg,
                       const wsc_ack_opts *opts, wsc_delivery_cb done, void *done_user,
                       struct wsc__ack_pending **out);
/** The entry of (sender, message_id, user); sender NULL means the message has none. */
struct wsc__ack_pending *wsc__ack_find(struct wsc__rel *rel, const char *sender,
                                       const char *message_id, const char *user);
/** Resends every pending message of conn's user to conn. */
void wsc__ack_resend_user(struct wsc__rel *rel, wsc_conn *conn);
/** An ACK of user for message_id from sender, or from every sender when sender is NULL
 *  (PROTOCOL.md §3), on connection conn (0: not known, e.g. from another node).  Returns how
 *  many tracked entries it confirmed. */
size_t wsc__ack_acked(struct wsc__rel *rel, const char *sender, const char *message_id,
                      const char *user, wsc_conn_id conn);
/** Every pending message to the store (stop) or cancelled (free). */
void wsc__ack_store_all(struct wsc__rel *rel);
void wsc__ack_cancel_all(struct wsc__rel *rel);
/** Takes p out of every index and frees it after its completion callback. */
void wsc__ack_finish(struct wsc__ack_pending *p, wsc_delivery_outcome outcome, wsc_err err);
/** p was queued to n connections (here or on other nodes): it waits for its ACK. */
void wsc__ack_sent(struct wsc__ack_pending *p, size_t n);

/* --- rel_cluster.c: an attempt in a cluster */
/** After p's attempt queued it to local connections here: in a cluster it goes to the
 *  receiver's connections on the other nodes too, and when local is 0 their answer decides
 *  (true: p now waits for it).  False: go on as on a single node. */
bool wsc__rel_cluster_attempt(struct wsc__ack_pending *p, size_t local);

/* --- failure.c */
/** An attempt of p failed (p->last_error says why): a retry after a backoff, or the failure
 *  handler. */
void wsc__ack_attempt_failed(struct wsc__ack_pending *p);
/** Hands p to the offline store; its answer comes to wsc__ack_stored. */
void wsc__ack_store(struct wsc__ack_pending *p);
/** opts.durable: p was queued to n connections and not answered yet: writes its durable copy.
 *  True: the answer waits (for the copy, wsc__ack_stored; or, when it cannot be written, for
 *  the ACK or the store after the retries); false: the hub has no store, answer now. */
bool wsc__ack_copy(struct wsc__ack_pending *p, size_t n);
/** The end of a store op started for p. */
void wsc__ack_stored(struct wsc__ack_pending *p, wsc_err status);
/** Counts and logs f, then runs the failure policy (handler/failure_handlers.h): the handler
 *  of f->kind with the default preset.  Returns the action. */
wsc_failure_action wsc__failure_fire(struct wsc__rel *rel, const wsc_failure *f,
                                     bool store_default);

/* --- accept.c: the answer of one send with ACK (a client's receipt, wsc_hub_publish_ack), given
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

/* --- records.c: fire-and-forget writes (errors are logged, never block delivery) */
void wsc__records_put(struct wsc__rel *rel, const char *message_id, const char *receiver,
                      const char *sender, wsc_record_state state);
void wsc__records_update(struct wsc__rel *rel, const char *message_id, const char *receiver,
                         wsc_record_state state, uint32_t retry_inc, wsc_err last_error);

/* --- offline.c */
/** Stores msg for user as an offline message (source "offline", require_ack true); p (may be
 *  NULL) is told the result through wsc__ack_stored.  WSC_ERR_* when the op cannot start. */
wsc_err wsc__offline_put(struct wsc__rel *rel, const char *user, wsc_msg *msg,
                         struct wsc__ack_pending *p);
/** Removes the stored messages of user ACKed with message_id (from sender; NULL: every
 *  sender's) after an ACK that came on conn (0: none); unknown ones count as acks_unknown.  A
 *  replay of conn waiting for room resumes. */
void wsc__offline_acked(struct wsc__rel *rel, wsc_conn_id conn, const char *user,
                        const char *sender, const char *message_id);

/* --- replay.c */
/** A replay on conn may go on (room in the queue or, acked: an ACK of a stored message came
 *  on conn, freeing a slot of its window). */
void wsc__replay_resume(struct wsc__rel *rel, wsc_conn *conn, bool acked);
/** Starts replaying the stored messages of conn's user on conn, holding its live traffic. */
void wsc__replay_start(struct wsc__rel *rel, wsc_conn *conn);
/** Holds conn's live traffic for a replay that starts at wsc__replay_go.  False when no
 *  replay will run (no store, no room in the queue, out of memory). */
bool wsc__replay_hold(struct wsc__rel *rel, wsc_conn *conn);
/** The held replay of conn starts after cursor (0: from the oldest stored message). */
void wsc__replay_go(struct wsc__rel *rel, wsc_conn *conn, uint64_t cursor);
/* --- replay_seek.c */
/** Replays conn's stored messages after the one whose message_id is last_id (SSE
 *  Last-Event-ID, PROTOCOL.md §6), removing it and those before it as if ACKed; when no stored
 *  message has that id, replays everything, like wsc__replay_start. */
void wsc__replay_seek(struct wsc__rel *rel, wsc_conn *conn, const char *last_id);
/** Something was stored for conn's user after its replay began (another node of a cluster
 *  stored it): a replay starts, or the one under way goes on past its end. */
void wsc__replay_again(struct wsc__rel *rel, wsc_conn *conn);
/** conn goes away: its parked messages fail like the rest of its queue. */
void wsc__replay_closed(struct wsc__rel *rel, wsc_conn *conn);
/** conn is replaying: keeps msg (refs it) to be queued after the replay.  False when the
 *  message must be queued now. */
bool wsc__replay_park(struct wsc__rel *rel, wsc_conn *conn, wsc_msg *msg);
/** Frees every replay (the layer goes); one whose fetch is out is freed by its callback. */
void wsc__replay_free_all(struct wsc__rel *rel);

/* --- reliability.c */
/** Counts op as out (a store op whose callback may come after the layer has gone). */
void wsc__rel_op_begin(struct wsc__rel *rel, struct wsc__rel_op *op);
/** Ends op; returns the layer, or NULL when it was orphaned (then only free op). */
struct wsc__rel *wsc__rel_op_end(struct wsc__rel_op *op);

#endif
