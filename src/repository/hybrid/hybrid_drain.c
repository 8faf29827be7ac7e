/* SPDX-License-Identifier: MIT */
/* The drain: every retry_ms, the hybrid store reads a page of its write-ahead list (markers
 * at least command_timeout_ms old, so a write-through still in flight is left alone) and
 * settles the markers one at a time:
 *   's' (store): read the Redis copy; gone (ACKed, cleared, expired) -> drop the marker;
 *        else store it in MySQL (idempotent) and drop the marker.  Dropping it also tells
 *        whether the Redis copy is still there: if an ACK removed it while the MySQL write
 *        was under way, the row just written is removed again, so no copy outlives its ACK.
 *        A copy gone because Redis lost the user meanwhile (a restart without persistence:
 *        the user's epoch changed since the copy was read) is not taken for an ACK: the
 *        MySQL row is then the only copy and stays.
 *   'r' (remove): remove the row from MySQL (OK or NOT_FOUND) and drop the marker.
 * A backend that does not answer ends the turn; the next one tries again.  A full page is
 * followed by the next turn at once.  One marker at a time keeps it simple and gentle on a
 * MySQL that just came back (~1 ms per marker on loopback). */
#include <string.h>

#include "models/alloc.h"
#include "repository/hybrid/hybrid_internal.h"

static void drain_step(struct hybrid *h);

static void
page_free(struct hybrid_drain *d)
{
    for (size_t i = 0; i < d->n; i++)
        wsc__free(d->markers[i]);
    wsc__free(d->markers);
    d->markers = NULL;
    d->n = d->next = 0;
}

/* The turn is over: the next one after delay_ms. */
static void
turn_end(struct hybrid *h, uint64_t delay_ms)
{
    struct hybrid_drain *d = &h->drain;
    page_free(d);
    d->running = false;
    if (!h->closing)
        wsc__timer_start(&d->timer, delay_ms);
}

/* The current marker is settled (or skipped, when it is not one): on to the next. */
static void
marker_next(struct hybrid *h)
{
    struct hybrid_drain *d = &h->drain;
    d->next++;
    if (d->next < d->n) {
        drain_step(h);
    } else {
        bool full = d->n == h->hcfg.drain_batch;
        turn_end(h, full ? 0 : h->hcfg.retry_ms);
    }
}

static void
dropped(wsc_err status, uint64_t still_in_redis, void *user)
{
    struct hybrid *h = user;
    struct hybrid_drain *d = &h->drain;
    if (h->closing || status != WSC_OK) {
        turn_end(h, h->hcfg.retry_ms);
        return;
    }
    d->drained++;
    /* 1: still there; 2: Redis lost it (epoch changed), not an ACK; 0: ACKed or cleared. */
    if (d->op == 's' && d->wrote && still_in_redis == 0)
        wsc_offline_remove(wsc_store_offline(h->mysql), d->uid, d->mid, wsc__hyb_ignore_done, NULL);
    marker_next(h);
}

static void
drop_marker(struct hybrid *h)
{
    struct hybrid_drain *d = &h->drain;
    if (h->pending->done(h->redis, d->op, d->uid, d->mid, d->epoch, dropped, h) != WSC_OK)
        turn_end(h, h->hcfg.retry_ms);
}

/* MySQL's answer to the write or the removal of the current marker. */
static void
mysql_answered(wsc_err status, void *user)
{
    struct hybrid *h = user;
    if (h->closing || wsc__hyb_transient(status)) {
        wsc__hyb_note_error(h, h->mysql, status);
        turn_end(h, h->hcfg.retry_ms);
        return;
    }
    h->drain.wrote = status == WSC_OK;
    drop_marker(h);
}

static void
got_body(wsc_err status, wsc_msg *const *msgs, size_t n, uint64_t epoch, void *user)
{
    struct hybrid *h = user;
    struct hybrid_drain *d = &h->drain;
    if (h->closing || status != WSC_OK) {
        turn_end(h, h->hcfg.retry_ms);
        return;
    }
    d->epoch = epoch;
    if (n == 0) {
        drop_marker(h); /* nothing left to write */
        return;
    }
    if (wsc_offline_store(wsc_store_offline(h->mysql), d->uid, msgs[0], mysql_answered, h) !=
        WSC_OK)
        drop_marker(h); /* a message MySQL refuses outright is not retried */
}

/* An entry that is no marker is gone from the list: on to the next. */
static void
forgotten(wsc_err status, void *user)
{
    struct hybrid *h = user;
    if (h->closing || status != WSC_OK) {
        turn_end(h, h->hcfg.retry_ms);
        return;
    }
    marker_next(h);
}

static void
drain_step(struct hybrid *h)
{
    struct hybrid_drain *d = &h->drain;
    d->wrote = false;
    d->epoch = 0;
    if (!h->pending->parse(d->markers[d->next], &d->op, d->uid, &d->mid)) {
        /* Kept, it would come back first in every page: a page full of them would never let
         * the drain reach a marker (and would start the next turn at once, forever). */
        if (h->pending->forget(h->redis, d->markers[d->next], forgotten, h) != WSC_OK)
            turn_end(h, h->hcfg.retry_ms);
        return;
    }
    wsc_err err = d->op == 's' ? h->pending->body(h->redis, d->uid, d->mid, got_body, h)
                               : wsc_offline_remove(wsc_store_offline(h->mysql), d->uid, d->mid,
                                                    mysql_answered, h);
    if (err != WSC_OK)
        turn_end(h, h->hcfg.retry_ms);
}

static void
got_page(wsc_err status, const char *const *markers, size_t n, void *user)
{
    struct hybrid *h = user;
    struct hybrid_drain *d = &h->drain;
    if (h->closing || status != WSC_OK || n == 0) {
        turn_end(h, h->hcfg.retry_ms);
        return;
    }
    d->markers = wsc__calloc(n, sizeof(*d->markers));
    for (size_t i = 0; d->markers != NULL && i < n; i++) {
        d->markers[i] = wsc__strdup(markers[i]);
        if (d->markers[i] == NULL)
            break;
        d->n++;
    }
    if (d->n == 0) {
        turn_end(h, h->hcfg.retry_ms);
        return;
    }
    d->next = 0;
    drain_step(h);
}

static void
drain_turn(wsc__timer *t)
{
    struct hybrid *h = wsc_container_of(t, struct hybrid, drain.timer);
    struct hybrid_drain *d = &h->drain;
    if (h->closing || d->running)
        return;
    uint64_t now = wsc__wall_ms(), age = h->base.cfg.command_timeout_ms;
    d->running = true;
    if (h->pending->list(h->redis, now > age ? now - age : 0, h->hcfg.drain_batch, got_page, h) !=
        WSC_OK)
        turn_end(h, h->hcfg.retry_ms);
}

void
wsc__hyb_drain_init(struct hybrid *h)
{
    wsc__timer_init(&h->drain.timer, h->base.loop, drain_turn);
    wsc__timer_start(&h->drain.timer, h->hcfg.retry_ms);
}

void
wsc__hyb_drain_free(struct hybrid *h)
{
    wsc__timer_stop(&h->drain.timer);
    page_free(&h->drain);
}
