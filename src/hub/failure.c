/* SPDX-License-Identifier: MIT */
/* When delivery fails.  A tracked entry whose attempt failed is resent with exponential backoff
 * and jitter while the error is retryable and retries remain; after the last one (at once when
 * the receiver is offline) its failure handler decides: the offline store (the default for ACK
 * messages) or a FAILED outcome.  A store write that fails for a message already answered for
 * is tried again after a backoff.  With wsc_ack_opts.durable, a delivered message's copy is
 * written to the store before the answer (wsc__ack_copy, copy_done).  The five failure handlers
 * (send failure, queue full, user offline, connection error, timeout) also see the failures of
 * messages not tracked for ACK (fire-and-forget); every failure is counted and logged here, then
 * handed to the failure policy (src/handler/failure_handlers.c: the default action and the
 * application's handler, which may change it).  The backoff arithmetic has no clock and no state of
 * its own: the tracker passes its random number, so tests can pin every delay. */
#include <math.h>
#include <string.h>

#include "handler/failure_handlers.h"
#include "hub/rel_internal.h"

/* --- retry policy */

void
wsc_ack_opts_init(wsc_ack_opts *opts)
{
    if (opts == NULL)
        return;
    *opts = (wsc_ack_opts){.ack_timeout_ms = 5000,
                           .max_retries = 3,
                           .base_delay_ms = 1000,
                           .backoff_factor = 2.0,
                           .max_delay_ms = 10000,
                           .jitter = 0.2,
                           .store_offline = true};
}

bool
wsc__retry_opts_valid(const wsc_ack_opts *opts)
{
    if (opts == NULL || opts->ack_timeout_ms == 0)
        return false;
    if (!isfinite(opts->backoff_factor) || opts->backoff_factor < 1.0)
        return false;
    if (!isfinite(opts->jitter) || opts->jitter < 0.0 || opts->jitter > 1.0)
        return false;
    return opts->base_delay_ms <= opts->max_delay_ms;
}

uint64_t
wsc__retry_delay_ms(const wsc_ack_opts *opts, unsigned retry, double rnd01)
{
    double max = (double)opts->max_delay_ms;
    double d = (double)opts->base_delay_ms;
    /* Multiply step by step and stop at the cap, so huge retry counts cannot overflow. */
    for (unsigned i = 1; i < retry && d < max; i++)
        d *= opts->backoff_factor;
    if (d > max)
        d = max;
    if (rnd01 < 0.0)
        rnd01 = 0.0;
    if (rnd01 >= 1.0)
        rnd01 = 0.999999999;
    d *= 1.0 - opts->jitter + 2.0 * opts->jitter * rnd01;
    if (d > max)
        d = max;
    return d < 0.0 ? 0 : (uint64_t)d;
}

uint64_t
wsc__retry_latest_ms(const wsc_ack_opts *opts, unsigned retry)
{
    uint64_t t = 0;
    for (unsigned k = 1; k <= retry; k++)
        t += opts->ack_timeout_ms + wsc__retry_delay_ms(opts, k, 0.999999999);
    return t;
}

double
wsc__retry_rand01(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (double)(z >> 11) * (1.0 / 9007199254740992.0);
}

/* --- failure handlers */

wsc_failure_action
wsc__failure_fire(struct wsc__rel *rel, const wsc_failure *f, bool store_default)
{
    wsc_hub *hub = rel->hub;
    rel->stats.failures[f->kind]++;
    wsc__log(&hub->log, WSC_LOG_DEBUG, "delivery_failure", "s:kind,s:user,s:message_id,s:error",
             wsc__failure_kind_name(f->kind), f->user_id ? f->user_id : "",
             wsc_msg_get(f->msg, WSC_F_MESSAGE_ID), wsc_err_name(f->error));
    return wsc__failure_decide(&rel->handlers, hub, f, store_default);
}

wsc_err
wsc_hub_set_failure_handlers(wsc_hub *hub, const wsc_failure_handlers *h)
{
    if (hub == NULL || hub->rel == NULL)
        return WSC_ERR_INVALID;
    if (h == NULL)
        memset(&hub->rel->handlers, 0, sizeof(hub->rel->handlers));
    else
        hub->rel->handlers = *h;
    return WSC_OK;
}

/* Frames the hub makes itself are not application messages: their loss is not reported. */
static bool
is_control(const wsc_msg *msg)
{
    static const char *const types[] = {"connected", "pong", "ack", "error", "kick_out"};
    const char *t = wsc_msg_get(msg, WSC_F_TYPE);
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
        if (strcmp(t, types[i]) == 0)
            return true;
    }
    return false;
}

static void
untracked(struct wsc__rel *rel, const char *user, wsc_conn_id conn, wsc_msg *msg, wsc_err why)
{
    wsc_failure f = {wsc__failure_kind_of(why), why, user, conn, msg, false, 1};
    if (wsc__failure_fire(rel, &f, false) == WSC_FAILURE_STORE && user != NULL &&
        wsc_msg_get(msg, WSC_F_MESSAGE_ID) != NULL)
        wsc__offline_put(rel, user, msg, NULL);
}

void
wsc__rel_send_failed(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, wsc_err why)
{
    struct wsc__rel *rel = hub->rel;
    if (rel == NULL || hub->freeing || is_control(msg))
        return;
    const char *user = conn->user ? conn->user->id : NULL;
    const char *src = wsc_msg_get(msg, WSC_F_SOURCE);
    /* A replayed offline message stays stored: nothing is lost, nothing to report. */
    if (src != NULL && strcmp(src, "offline") == 0)
        return;
    struct wsc__ack_pending *p = wsc__ack_find(rel, wsc_msg_get(msg, WSC_F_SENDER),
                                               wsc_msg_get(msg, WSC_F_MESSAGE_ID), user);
    if (p != NULL && p->msg == msg) {
        /* Tracked: the timer decides what happens next; remember why for the handler. */
        p->last_error = why;
        p->last_conn = conn->id;
        return;
    }
    if (rel->stopping)
        return;
    untracked(rel, user, conn->id, msg, why);
}

void
wsc__rel_user_offline(wsc_hub *hub, const char *user_id, wsc_msg *msg)
{
    struct wsc__rel *rel = hub->rel;
    if (rel == NULL || hub->freeing || msg == NULL || is_control(msg))
        return;
    untracked(rel, user_id, 0, msg, WSC_ERR_OFFLINE);
}

/* --- failed attempts of tracked entries */

static void final_failure(struct wsc__ack_pending *p);

static void
wait_retry(struct wsc__ack_pending *p)
{
    struct wsc__rel *rel = p->rel;
    p->phase = WSC__PH_WAIT_RETRY;
    uint64_t d = wsc__retry_delay_ms(&p->opts, p->retries + 1, wsc__retry_rand01(&rel->rng));
    wsc__wheel_add(&rel->wheel, &p->timer, wsc__now_ms(), d);
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_RETRYING, 0, p->last_error);
}

/* One failed attempt: retry while the error is retryable and retries remain; an offline
 * receiver goes to its handler at once (a retry could only find it offline again). */
void
wsc__ack_attempt_failed(struct wsc__ack_pending *p)
{
    if (p->last_error != WSC_ERR_OFFLINE && wsc_err_is_retryable(p->last_error) &&
        p->retries < p->opts.max_retries)
        wait_retry(p);
    else
        final_failure(p);
}

static void
final_failure(struct wsc__ack_pending *p)
{
    struct wsc__rel *rel = p->rel;
    wsc_failure f = {wsc__failure_kind_of(p->last_error),
                     p->last_error,
                     p->user,
                     p->last_conn,
                     p->msg,
                     true,
                     p->attempts};
    wsc_failure_action a = wsc__failure_fire(rel, &f, p->opts.store_offline);
    wsc__wheel_cancel(&rel->wheel, &p->timer);
    if (a == WSC_FAILURE_STORE) {
        wsc__ack_store(p);
        return;
    }
    wsc_err err = p->last_error;
    /* An offline receiver without storage is an unknown user: terminal. */
    if (err == WSC_ERR_OFFLINE)
        err = WSC_ERR_NOT_FOUND;
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_FAILED, 0, err);
    wsc__ack_finish(p, WSC_DELIVERY_FAILED, err);
}

static void
copy_failed(struct wsc__ack_pending *p, wsc_err err)
{
    wsc__log(&p->rel->hub->log, WSC_LOG_WARN, "durable_copy_failed", "s:message_id,s:user,s:error",
             p->message_id, p->user, wsc_err_name(err));
}

void
wsc__ack_store(struct wsc__ack_pending *p)
{
    p->phase = WSC__PH_STORING;
    if (p->copying)
        return; /* the durable copy's write answers for it */
    wsc_err err = p->copied ? WSC_OK : wsc__offline_put(p->rel, p->user, p->msg, p);
    if (err != WSC_OK || p->copied)
        wsc__ack_stored(p, err);
}

bool
wsc__ack_copy(struct wsc__ack_pending *p, size_t n)
{
    if (p->copying)
        return true; /* sent again before the store answered: the same answer waits */
    if (p->rel->offline == NULL)
        return false; /* no store to copy to */
    p->copy_conns = n;
    wsc_err err = wsc__offline_put(p->rel, p->user, p->msg, p);
    if (err != WSC_OK)
        copy_failed(p, err); /* the answer waits: see copy_done */
    else
        p->copying = true;
    return true;
}

/* The durable copy's write answered.  True when that is all; false when p went to the store
 * meanwhile (retries ran out, or a stop): then this write is that store's answer.  A failed
 * write gives no answer: "delivered" is said once a copy is stored (the next resend tries
 * again) or the receiver ACKs; with neither, the retries end in the store as without durable
 * ("stored", or "rejected" when that write fails too). */
static bool
copy_done(struct wsc__ack_pending *p, wsc_err status)
{
    p->copying = false;
    p->copied = status == WSC_OK;
    if (p->phase == WSC__PH_STORING)
        return false;
    if (!p->copied)
        copy_failed(p, status);
    if (p->acked_storing) {
        /* ACKed while the copy was written: the copy goes, the answer is `delivered`. */
        if (p->copied)
            wsc__offline_acked(p->rel, 0, p->user, wsc__ack_sender(p), p->message_id);
        wsc__records_update(p->rel, p->message_id, p->user, WSC_REC_ACKED, 0, WSC_OK);
        wsc__ack_finish(p, WSC_DELIVERY_ACKED, WSC_OK);
        return true;
    }
    if (p->copied)
        wsc__accept_note(p, WSC__ACC_DELIVERED, p->copy_conns, WSC_OK);
    return true;
}

/* A store write failed for a message the hub has already answered for (delivered, then not
 * ACKed): it stays tracked and the write is tried again after a backoff, until the store
 * confirms, the receiver ACKs it, or a reconnect delivers it again. */
static bool
store_later(struct wsc__ack_pending *p, wsc_err status)
{
    struct wsc__rel *rel = p->rel;
    if (!p->accepted || rel->stopping)
        return false;
    p->store_tries++;
    p->last_error = status;
    p->phase = WSC__PH_WAIT_STORE;
    uint64_t d = wsc__retry_delay_ms(&p->opts, p->store_tries, wsc__retry_rand01(&rel->rng));
    wsc__wheel_add(&rel->wheel, &p->timer, wsc__now_ms(), d);
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_RETRYING, 0, status);
    /* At tries 1, 2, 4, 8...: a receiver's inbox full for hours must not flood the log. */
    if ((p->store_tries & (p->store_tries - 1)) == 0)
        wsc__log(&rel->hub->log, WSC_LOG_WARN, "store_retry", "s:message_id,s:user,s:error,i:tries",
                 p->message_id, p->user, wsc_err_name(status), (int)p->store_tries);
    return true;
}

void
wsc__ack_stored(struct wsc__ack_pending *p, wsc_err status)
{
    struct wsc__rel *rel = p->rel;
    if (p->copying && copy_done(p, status))
        return;
    if (p->acked_storing) {
        /* The receiver has it: a copy the store kept meanwhile goes again. */
        if (status == WSC_OK)
            wsc__offline_acked(rel, 0, p->user, wsc__ack_sender(p), p->message_id);
        wsc__ack_finish(p, WSC_DELIVERY_ACKED, WSC_OK);
        return;
    }
    if (status == WSC_OK) {
        wsc__records_update(rel, p->message_id, p->user, WSC_REC_STORED, 0, p->last_error);
        wsc__ack_finish(p, WSC_DELIVERY_STORED, WSC_OK);
        return;
    }
    if (store_later(p, status))
        return;
    wsc__records_update(rel, p->message_id, p->user, WSC_REC_FAILED, 0, status);
    wsc__ack_finish(p, WSC_DELIVERY_FAILED, status);
}
