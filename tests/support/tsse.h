/* SPDX-License-Identifier: MIT */
/* tsse: a raw event-stream reader for tests of the hub's SSE transport (PROTOCOL.md §6).  It
 * opens GET /sse?query on a thub's port with a plain socket and collects what arrives; the
 * checks are on the raw text, so a test sees exactly what a browser would parse.  Failures to
 * connect or send fail the running cmocka test. */
#ifndef WSC_TEST_TSSE_H
#define WSC_TEST_TSSE_H

#include <stdbool.h>
#include <stddef.h>

#include "thub.h"
#include "tnet.h"

typedef struct tsse {
    int fd;
    tnet_buf in; /* everything received so far */
    bool eof;    /* the hub closed the stream */
} tsse;

/** Connects to the hub of t and sends GET /sse?query, with one extra header line when header
 *  is not NULL (e.g. "Last-Event-ID: x"). */
void tsse_open(thub *t, tsse *s, const char *query, const char *header);
/** What the stream received so far, NUL-terminated.  Borrowed until the next tsse call. */
const char *tsse_text(tsse *s);
/** Runs the hub until what the stream received holds text (true), or ms pass or the stream
 *  ended (false). */
bool tsse_wait(thub *t, tsse *s, const char *text, int ms);
/** Number of events received that carry an id line. */
size_t tsse_ids(tsse *s);
/** Closes the socket and frees what was received. */
void tsse_close(tsse *s);

#endif
