/* SPDX-License-Identifier: MIT */
/* Reconnect policy: exponential backoff with full jitter above a floor, and the table of close
 * codes and HTTP statuses that allow a reconnect (docs/client.md). */
#include "client/client_backoff.h"

#include <math.h>

uint64_t
wsc__backoff_delay_ms(unsigned attempt, uint64_t min_ms, uint64_t max_ms, double factor,
                      double rnd01)
{
    if (max_ms < min_ms)
        max_ms = min_ms;
    if (factor < 1.0)
        factor = 1.0;
    if (rnd01 < 0.0)
        rnd01 = 0.0;
    if (rnd01 >= 1.0)
        rnd01 = 0.999999;
    /* pow() may overflow to +inf for large attempts: the comparison below still caps it. */
    double ceiling = (double)min_ms * pow(factor, (double)attempt);
    if (!(ceiling < (double)max_ms))
        ceiling = (double)max_ms;
    double span = ceiling - (double)min_ms;
    uint64_t delay = min_ms + (uint64_t)(rnd01 * span);
    return delay > max_ms ? max_ms : delay;
}

double
wsc__backoff_rand01(uint64_t *state)
{
    uint64_t x = *state ? *state : 0x9e3779b97f4a7c15ull;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *state = x;
    return (double)(x >> 11) / 9007199254740992.0; /* 2^53 */
}

wsc__close_action
wsc__close_code_action(int code)
{
    switch (code) {
    case 1000: /* normal closure, by us or by the server */
    case 1003: /* unsupported data */
    case 1007: /* invalid payload */
    case 1008: /* policy violation: needs new credentials (PROTOCOL §5) */
    case 1010: /* missing extension */
    case 4001: /* kicked */
    case 4002: /* replaced by a newer connection of the same client_id */
        return WSC__STOP;
    case 4004: /* token expired */
        return WSC__RECONNECT_REFRESH;
    default:
        /* 1002 is here because lws 4.1 reports a server's 1012-1015 (restart, try again
         * later, ...) as 1002: a protocol error must not end a client that should retry.
         * 1001 going away, 1006 lost, 1009 too big, 1011 internal, 1012 restart, 1013 try
         * later, 4003 heartbeat timeout and anything unknown: try again with backoff. */
        return WSC__RECONNECT;
    }
}

wsc__close_action
wsc__http_status_action(int status)
{
    switch (status) {
    case 401:
        return WSC__RECONNECT_REFRESH;
    case 400:
    case 403:
    case 404:
        return WSC__STOP;
    default:
        /* No answer, 429, 5xx: the server may be back soon. */
        return WSC__RECONNECT;
    }
}
