/* SPDX-License-Identifier: MIT */
/* Reconnect policy as pure functions: the backoff delay of an attempt, and what a close code or
 * an HTTP refusal means for reconnecting.  No state, no clock, no randomness of its own. */
#ifndef WSC_CLIENT_BACKOFF_H
#define WSC_CLIENT_BACKOFF_H

#include <stdint.h>

/** The delay before reconnect attempt `attempt` (1 for the first):
 *  ceiling = min(max_ms, min_ms * factor^attempt), delay = min_ms + rnd01 * (ceiling - min_ms),
 *  so uniform in [min_ms, ceiling] when rnd01 is uniform in [0, 1).  factor < 1 counts as 1;
 *  max_ms < min_ms counts as min_ms. */
uint64_t wsc__backoff_delay_ms(unsigned attempt, uint64_t min_ms, uint64_t max_ms, double factor,
                               double rnd01);

/** A small xorshift generator: the client keeps its own state (no global random state). */
double wsc__backoff_rand01(uint64_t *state);

/** What ends a connection means for the next attempt. */
typedef enum wsc__close_action {
    WSC__RECONNECT = 0,     /* reconnect after the backoff delay */
    WSC__RECONNECT_REFRESH, /* ask for a fresh token, then reconnect */
    WSC__STOP               /* closed for good */
} wsc__close_action;

/** The rule for a WebSocket close code from the peer (1006: connection lost). */
wsc__close_action wsc__close_code_action(int code);

/** The rule for an HTTP status refusing the upgrade (0: no answer at all). */
wsc__close_action wsc__http_status_action(int status);

#endif
