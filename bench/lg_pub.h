/* SPDX-License-Identifier: MIT */
/* The broadcast publisher of the load generator (--publisher USER): one blocking WebSocket
 * connection in the parent process, outside the hub, that sends frames with
 * "broadcast_type":"global" (the user must be allowed to broadcast: wsc-hub
 * --broadcast-users).  With --proto raw it sends the bare content, and the baselines send
 * what the connection whose query has user_id=USER sends to every other connection. */
#ifndef WSC_BENCH_LG_PUB_H
#define WSC_BENCH_LG_PUB_H

#include <stdbool.h>
#include <stdint.h>

#include "lg.h"

typedef struct lg_pub {
    int fd;
    uint32_t seq; /* next sequence number (its tag, with --count) */
} lg_pub;

/** Connects as o->publisher to o->host and the port of connection 0, completes the upgrade
 *  and (--proto wsc) waits for the hub's first frame (its "connected").  False, with a message on
 * stderr, when any step fails or takes over 10 s; p is closed then. */
bool lg_pub_open(lg_pub *p, const lg_opts *o);

/** Sends n broadcasts of o->size content bytes back to back in one write, each stamped with
 *  the time and (with o->count) tagged with the next sequence number.  What the hub sent the
 *  publisher is read and dropped first.  False when the socket fails. */
bool lg_pub_send(lg_pub *p, const lg_opts *o, unsigned n);

/** Closes the connection (no close handshake: the hub sees the TCP close). */
void lg_pub_close(lg_pub *p);

#endif
