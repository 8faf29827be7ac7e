/* SPDX-License-Identifier: MIT */
/* tfakeredis: a fake Redis server inside a test (127.0.0.1, port 0), pumped from the test's own
 * thread while the loop runs: what a real server seldom does on demand (error replies, replies
 * of the wrong shape, a reset, silence, cluster redirections, subscription messages).  It
 * serves up to TFAKEREDIS_CONNS connections, answers AUTH with +OK and SELECT with select_says,
 * and every other command with what reply() returns, else by its mode.
 *
 *     tfakeredis f;
 *     tfakeredis_start(&f);               (listening; f.port)
 *     ... open a store on redis://127.0.0.1:<f.port>/0, issue ops ...
 *     tfakeredis_pump(&f);                (in a twait condition: accept, read, answer)
 *     tfakeredis_stop(&f); */
#ifndef WSC_TEST_TFAKEREDIS_H
#define WSC_TEST_TFAKEREDIS_H

#include <stdbool.h>
#include <stddef.h>

#include <wsc/loop.h>
#include <wsc/store.h>

enum tfakeredis_mode {
    TFAKEREDIS_REPLY,  /* every command but the handshake gets canned */
    TFAKEREDIS_RESET,  /* the first command resets the connection (RST) */
    TFAKEREDIS_SILENT, /* commands are read and never answered */
};

#define TFAKEREDIS_CONNS 8
#define TFAKEREDIS_ARGS  80 /* a command's words seen by reply(), each cut to 63 bytes */

typedef struct tfakeredis tfakeredis;

/** The answer to one command (argv[0] its name as sent; argc at most TFAKEREDIS_ARGS, the
 *  rest not shown), or NULL for the mode's.  The string is sent as is (RESP).  f->cur is the
 *  connection it came on. */
typedef const char *(*tfakeredis_reply_fn)(tfakeredis *f, int argc, char argv[][64], void *user);

struct tfakeredis_conn {
    int fd; /* -1: free */
    char in[1 << 16];
    size_t inlen;
};

struct tfakeredis {
    int lfd, port;
    int accepted, commands; /* connections accepted; commands other than AUTH and SELECT */
    enum tfakeredis_mode mode;
    const char *canned;      /* TFAKEREDIS_REPLY's answer ("+PONG\r\n") */
    const char *select_says; /* the answer to SELECT ("+OK\r\n") */
    tfakeredis_reply_fn reply;
    void *user;
    int cur; /* the connection being answered */
    struct tfakeredis_conn conns[TFAKEREDIS_CONNS];
};

/** Listens on 127.0.0.1, a free port (the test fails when it cannot). */
void tfakeredis_start(tfakeredis *f);
/** Closes every connection (reset: with an RST instead of a FIN); none is fine. */
void tfakeredis_drop(tfakeredis *f, bool reset);
/** Closes connection i (an index into conns) if it is open. */
void tfakeredis_drop_conn(tfakeredis *f, int i, bool reset);
/** Closes the connections and the listener. */
void tfakeredis_stop(tfakeredis *f);
/** Writes s on connection i (all of it). */
void tfakeredis_send(tfakeredis *f, int i, const char *s);
/** Accepts, reads and answers what has arrived; never blocks for long. */
void tfakeredis_pump(tfakeredis *f);
/** Opens a Redis store on loop at f's address (database 0), with the default config but
 *  command_timeout_ms, and reconnects after 20-50 ms.  The open's result. */
wsc_err tfakeredis_open_store(tfakeredis *f, wsc_loop *loop, unsigned command_timeout_ms,
                              wsc_store **out);
/** Runs loop, pumping f, until r (a tstore.h result) has its one callback (5 s at most, then
 *  one more turn); asserts exactly one. */
struct tres;
void tfakeredis_wait_one(tfakeredis *f, wsc_loop *loop, struct tres *r);
/** Closes store, lets loop finish with it, and stops f. */
void tfakeredis_close_store(tfakeredis *f, wsc_loop *loop, wsc_store *store);

#endif
