/* SPDX-License-Identifier: MIT */
/* thttp: a non-blocking HTTP/1.1 client for tests of the hub's plain HTTP endpoints (/api,
 * /healthz, /sse/send, ...).  One request per connection, sent with "Connection: close"
 * unless the caller passes its own Connection header (e.g. keep-alive; the client still
 * closes after the answer); the answer may be delimited by Content-Length, chunked encoding or the
 * end of the connection.  Drive it with thttp_pump (or twait_until) until thttp_done. */
#ifndef WSC_TEST_THTTP_H
#define WSC_TEST_THTTP_H

#include <stdbool.h>
#include <stddef.h>

typedef struct thttp thttp;

/** Starts METHOD path on 127.0.0.1:port.  headers: NULL-terminated "Name: value" lines (may
 *  be NULL); body/body_len: request body (may be NULL/0; Content-Length is sent whenever a
 *  body is given or the method is POST, PUT or PATCH).  Returns NULL only when out of memory
 *  or out of sockets; connect failures show up as thttp_failed.  Free with thttp_free. */
thttp *thttp_request(int port, const char *method, const char *path, const char *const *headers,
                     const char *body, size_t body_len);
/** Sends and reads what it can without blocking.  Returns 0, or -1 once the request failed. */
int thttp_pump(thttp *h);
/** True once a complete answer arrived or the request failed. */
bool thttp_done(const thttp *h);
/** True when the request failed (connect refused, malformed answer, connection lost). */
bool thttp_failed(const thttp *h);
/** Why it failed ("" otherwise).  Borrowed until thttp_free. */
const char *thttp_error_text(const thttp *h);
/** Status code of the answer, 0 until its status line arrived. */
int thttp_status(const thttp *h);
/** Decoded body, NUL-terminated; "" until done.  Borrowed until thttp_free. */
const char *thttp_body(const thttp *h);
/** Length of thttp_body. */
size_t thttp_body_len(const thttp *h);
/** First header of the answer called name (case-insensitive), or NULL.  Borrowed until
 *  thttp_free. */
const char *thttp_header(const thttp *h, const char *name);
/** The socket, or -1 once it is closed. */
int thttp_fd(const thttp *h);
/** True when the poll events should include POLLOUT (connect or request still under way). */
bool thttp_wants_write(const thttp *h);
/** Closes the connection and frees everything.  NULL is fine. */
void thttp_free(thttp *h);

#endif
