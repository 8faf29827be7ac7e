/* SPDX-License-Identifier: MIT */
/* The retry policy of ACK sends as pure functions: validation, the backoff delay of a resend,
 * and a small random generator whose state the caller owns (no global random state). */
#ifndef WSC_HUB_RETRY_H
#define WSC_HUB_RETRY_H

#include <stdbool.h>
#include <stdint.h>

#include <wsc/reliability.h>

/** True when opts can be used: ack_timeout_ms > 0, backoff_factor >= 1 (and finite),
 *  jitter in [0, 1], base_delay_ms <= max_delay_ms. */
bool wsc__retry_opts_valid(const wsc_ack_opts *opts);

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

#endif
