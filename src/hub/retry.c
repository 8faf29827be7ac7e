/* SPDX-License-Identifier: MIT */
/* Backoff arithmetic for ACK resends.  No clock and no state of its own: the tracker passes
 * its random number, so tests can pin every delay. */
#include "hub/retry.h"

#include <math.h>

void
wsc_ack_opts_init(wsc_ack_opts *opts)
{
    if (opts == NULL)
        return;
    opts->ack_timeout_ms = 5000;
    opts->max_retries = 3;
    opts->base_delay_ms = 1000;
    opts->backoff_factor = 2.0;
    opts->max_delay_ms = 10000;
    opts->jitter = 0.2;
    opts->store_offline = true;
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
