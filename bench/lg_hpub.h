/* SPDX-License-Identifier: MIT */
/* The HTTP publisher of the load generator (--publish-http batch|keepalive): one keep-alive
 * connection from the parent process to wsc-hub's POST /api/publish (PROTOCOL.md §7; the hub
 * runs with --insecure-api or the key is in --api-key).  batch: the n broadcasts in one request
 * ("messages":[…]); keepalive: n requests of one broadcast each, one at a time, each answered
 * before the next is written (the hub does not take pipelined requests: docs/protocol.md). */
#ifndef WSC_BENCH_LG_HPUB_H
#define WSC_BENCH_LG_HPUB_H

#include <stdbool.h>
#include <stdint.h>

#include "lg.h"

typedef struct lg_hpub {
    int fd;
    uint32_t seq; /* next sequence number (its tag, with --count) */
} lg_hpub;

/** Connects to o->host and the port of connection 0.  False, with a message on stderr, when
 *  it cannot. */
bool lg_hpub_open(lg_hpub *p, const lg_opts *o);

/** Publishes n broadcasts of o->size content bytes as o->publish_http says, each stamped with
 *  the time and (with o->count) tagged, and reads every answer.  False, with a message on
 *  stderr, when the socket fails or an answer is not 200. */
bool lg_hpub_send(lg_hpub *p, const lg_opts *o, unsigned n);

void lg_hpub_close(lg_hpub *p);

#endif
