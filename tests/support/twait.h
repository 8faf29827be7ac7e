/* SPDX-License-Identifier: MIT */
/* twait: drives a wsc loop and a set of test peers from the test's own thread until a
 * condition holds or a deadline passes.  Tests never sleep; they wait for what they expect:
 *
 *     twait_set *ts = twait_set_new();
 *     tws *c = tws_connect(port, "/ws?user_id=u1", NULL, NULL);
 *     twait_add_ws(ts, c);
 *     assert_true(twait_until(ts, loop, tws_is_open, c, 2000));
 *     ...
 *     twait_set_free(ts);  (the peers stay the test's to free)
 *     tws_free(c);
 *
 * The set holds no global state; it is the test's, and only borrows the peers. */
#ifndef WSC_TEST_TWAIT_H
#define WSC_TEST_TWAIT_H

#include <stdbool.h>
#include <stddef.h>

#include <wsc/loop.h>

#include "thttp.h"
#include "tws.h"

typedef struct twait_set twait_set;

/** A condition polled by twait_until; arg is the one given to twait_until. */
typedef bool (*twait_cond)(void *arg);

/** Creates an empty set of peers.  Returns NULL when out of memory. */
twait_set *twait_set_new(void);
/** Frees the set, not the peers in it.  NULL is fine. */
void twait_set_free(twait_set *ts);
/** Frees the set and every peer in it.  NULL is fine. */
void twait_set_free_all(twait_set *ts);
/** Adds a peer (borrowed: remove it before freeing it, or use twait_set_free_all).
 *  Returns 0, or -1 when out of memory. */
int twait_add_ws(twait_set *ts, tws *c);
int twait_add_http(twait_set *ts, thttp *h);
/** Removes a peer; unknown peers are ignored. */
void twait_remove_ws(twait_set *ts, tws *c);
void twait_remove_http(twait_set *ts, thttp *h);
/** Number of WebSocket / HTTP peers in the set. */
size_t twait_ws_count(const twait_set *ts);
size_t twait_http_count(const twait_set *ts);
/** The i-th WebSocket / HTTP peer, in the order they were added (removal keeps the order). */
tws *twait_ws_at(const twait_set *ts, size_t i);
thttp *twait_http_at(const twait_set *ts, size_t i);

/** One round: runs the loop once (up to 1 ms of waiting) when loop is not NULL, then polls
 *  every peer's socket with one poll() (waiting up to wait_ms when loop is NULL, else not at
 *  all) and pumps the peers that have events.  ts may be NULL.  Returns the number of peers
 *  pumped, or -1 when poll() failed. */
int twait_pump(twait_set *ts, wsc_loop *loop, int wait_ms);

/** Calls twait_pump until cond(arg) holds or timeout_ms (monotonic clock) has passed, and
 *  returns cond's final value.  cond is checked first, so a condition already true returns
 *  at once.  loop may be NULL (a hub in another thread or process: only the peers are
 *  pumped); ts may be NULL (only the loop runs). */
bool twait_until(twait_set *ts, wsc_loop *loop, twait_cond cond, void *arg, int timeout_ms);

/** Pumps for exactly timeout_ms and returns; for "nothing happens" checks. */
void twait_for(twait_set *ts, wsc_loop *loop, int timeout_ms);

/* Ready-made conditions. */

/** arg is a tws: it is TWS_OPEN. */
bool tws_is_open(void *arg);
/** arg is a tws: it is no longer TWS_CONNECTING (open, refused, closed or failed). */
bool tws_is_settled(void *arg);
/** arg is a tws: it is TWS_CLOSED or TWS_ERROR (the connection is over). */
bool tws_is_closed(void *arg);
/** arg is a thttp: thttp_done. */
bool thttp_is_done(void *arg);

/** arg for twait_has_messages: the peer has at least n complete messages queued. */
typedef struct twait_count {
    tws *c;
    size_t n;
} twait_count;
bool twait_has_messages(void *arg);

/** arg is a twait_set: every WebSocket peer is open. */
bool twait_all_open(void *arg);
/** arg is a twait_set: no WebSocket peer is connecting and every HTTP peer is done. */
bool twait_all_settled(void *arg);
/** arg is a twait_set: every WebSocket peer is closed (or failed). */
bool twait_all_closed(void *arg);

#endif
