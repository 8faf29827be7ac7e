/* SPDX-License-Identifier: MIT */
/* tfakeredis: a fake Redis server inside a test (127.0.0.1, port 0), pumped from the test's own
 * thread while the loop runs: what a real server seldom does on demand (error replies, replies
 * of the wrong shape, a reset, silence, cluster redirections).  It serves one connection at a
 * time (a new one replaces the old), answers AUTH with +OK and SELECT with select_says, and
 * every other command with what reply() returns, else by its mode.
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

enum tfakeredis_mode {
    TFAKEREDIS_REPLY,  /* every command but the handshake gets canned */
    TFAKEREDIS_RESET,  /* the first command resets the connection (RST) */
    TFAKEREDIS_SILENT, /* commands are read and never answered */
};

typedef struct tfakeredis tfakeredis;

/** The answer to one command (name: its first word as sent, arg1: its second or ""), or NULL
 *  for the mode's.  The string is sent as is (RESP). */
typedef const char *(*tfakeredis_reply_fn)(tfakeredis *f, const char *name, const char *arg1,
                                           void *user);

struct tfakeredis {
    int lfd, port, fd;
    int accepted, commands; /* connections accepted; commands other than AUTH and SELECT */
    enum tfakeredis_mode mode;
    const char *canned;      /* TFAKEREDIS_REPLY's answer ("+PONG\r\n") */
    const char *select_says; /* the answer to SELECT ("+OK\r\n") */
    tfakeredis_reply_fn reply;
    void *user;
    char in[1 << 16];
    size_t inlen;
};

/** Listens on 127.0.0.1, a free port (the test fails when it cannot). */
void tfakeredis_start(tfakeredis *f);
/** Closes the connection (reset: with an RST instead of a FIN); none is fine. */
void tfakeredis_drop(tfakeredis *f, bool reset);
/** Closes the connection and the listener. */
void tfakeredis_stop(tfakeredis *f);
/** Writes s on the connection (all of it). */
void tfakeredis_send(tfakeredis *f, const char *s);
/** Accepts, reads and answers what has arrived; never blocks for long. */
void tfakeredis_pump(tfakeredis *f);

#endif
