/* SPDX-License-Identifier: MIT */
/* The load generator's minimal WebSocket client side (RFC 6455): the upgrade request, masked
 * client frames, and a parser for unmasked server frames that may arrive several per read or
 * split across reads.  No extensions, no fragmentation on send. */
#ifndef WSC_BENCH_LG_WS_H
#define WSC_BENCH_LG_WS_H

#include <stddef.h>
#include <stdint.h>

enum {
    LG_OP_CONT = 0,
    LG_OP_TEXT = 1,
    LG_OP_BIN = 2,
    LG_OP_CLOSE = 8,
    LG_OP_PING = 9,
    LG_OP_PONG = 10
};

/** Writes the upgrade request for path?user_id=user into out; returns its length. */
size_t lg_ws_request(char *out, size_t cap, const char *host, int port, const char *path,
                     const char *user);

/** Frames payload as one masked client frame into out (needs len + 14 bytes); returns the
 *  frame length. */
size_t lg_ws_frame(unsigned char *out, int opcode, const void *payload, size_t len, uint32_t mask);

/** One parsed server frame, pointing into the caller's buffer. */
typedef struct lg_frame {
    int opcode;
    int fin;
    const unsigned char *payload;
    size_t len;
} lg_frame;

/** Parses the frame at the start of buf.  Returns the bytes it takes, 0 when buf holds only
 *  part of it, or -1 on a protocol error (masked server frame, reserved bits). */
long lg_ws_parse(const unsigned char *buf, size_t avail, lg_frame *f);

#endif
