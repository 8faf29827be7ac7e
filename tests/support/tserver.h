/* SPDX-License-Identifier: MIT */
/* tserver: a tiny blocking server on its own thread that serves exactly one connection on
 * 127.0.0.1 (port chosen by the kernel), used to test the test peers themselves (tws, thttp)
 * without a hub.  Every wait it does is bounded (poll and socket timeouts of 5 s), so a
 * broken peer makes a test fail instead of hang. */
#ifndef WSC_TEST_TSERVER_H
#define WSC_TEST_TSERVER_H

#include <stdbool.h>

typedef struct tserver tserver;

typedef enum tserver_mode {
    /* Answers 101 (selecting the offered sub-protocol), sends ping "hi", then the text
     * "Hello, world" in three fragments with ping "p2" between them; echoes (unmasked) the
     * first text and the first binary message it receives; sends close 1000 "bye" and reads
     * the client's close frame. */
    TSERVER_WS_ECHO,
    /* Answers 101, sends ping "z", then logs every client frame as "opcode:fin:len" (see
     * tserver_frames) until a close frame, which it answers with the same code. */
    TSERVER_WS_RECORD,
    /* Answers 101, then sends a masked text frame, which clients must reject. */
    TSERVER_WS_MASKED,
    /* Answers 401 with Retry-After: 7 and a JSON body delimited by Content-Length. */
    TSERVER_REFUSE_LENGTH,
    /* The same with the body in two chunks (Transfer-Encoding: chunked). */
    TSERVER_REFUSE_CHUNKED,
    /* The same with the body delimited by the end of the connection. */
    TSERVER_REFUSE_EOF,
} tserver_mode;

/** The JSON body of the refusals. */
#define TSERVER_REFUSAL_BODY "{\"error\":\"unauthorized\",\"reason\":\"no token\"}"

/** Listens and starts the thread.  Returns NULL on failure. */
tserver *tserver_start(tserver_mode mode);
/** The port it listens on. */
int tserver_port(const tserver *s);
/** Waits for the thread to finish serving (bounded by the server's own timeouts).  Returns
 *  true when everything it expected from the client happened. */
bool tserver_join(tserver *s);
/** What went wrong on the server side ("" if nothing).  Valid after tserver_join. */
const char *tserver_error(const tserver *s);
/** The request as received: head and body.  Valid after tserver_join. */
const char *tserver_request(const tserver *s);
/** Payloads of the pongs received, joined with ',' (e.g. "hi,p2").  After tserver_join. */
const char *tserver_pongs(const tserver *s);
/** The client's frames logged by TSERVER_WS_RECORD, e.g. "1:0:1,0:1:1,8:1:6".  After
 *  tserver_join. */
const char *tserver_frames(const tserver *s);
/** Code of the close frame received from the client (0 if none).  After tserver_join. */
int tserver_close_code(const tserver *s);
/** Joins the thread if needed, then frees.  NULL is fine. */
void tserver_free(tserver *s);

#endif
