/* SPDX-License-Identifier: MIT */
/* thub: a hub on its own loop for integration tests, with every callback recorded, plus
 * helpers to open raw peers (tws) and read their JSON frames.  Everything runs on the test's
 * thread through twait; thub_free() releases the peers, the hub and the loop. */
#ifndef WSC_TEST_THUB_H
#define WSC_TEST_THUB_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#include <wsc/hub.h>

#include "twait.h"
#include "tws.h"

#define THUB_REC 64

/** One disconnect callback. */
typedef struct thub_disc {
    wsc_conn_id id;
    int code;
    char reason[128];
    char user[64];
} thub_disc;

/** One on_send_failed report. */
typedef struct thub_fail {
    wsc_conn_id conn;
    wsc_err why;
    char message_id[64];
} thub_fail;

typedef struct thub {
    wsc_loop *loop;
    wsc_hub *hub;
    twait_set *ts;
    int port;
    /* recorded callbacks */
    size_t connects, disconnects, messages, binaries, sent, failed, bcast_checks;
    wsc_conn_id conn_ids[THUB_REC]; /* in connect order */
    thub_disc disc[THUB_REC];
    thub_fail fails[4 * THUB_REC];
    char last_text[256];    /* content of the last on_message */
    unsigned char bin[256]; /* the last on_binary bytes (first 256) */
    size_t bin_len;
    bool veto;            /* on_message vetoes routing */
    bool allow_broadcast; /* on_broadcast_check answer (when installed) */
    bool dup_report;      /* a (message_id, conn) failure was reported twice */
    void *ext;            /* the test's own state */
    bool shares;          /* loop and ts are another thub's (thub_config_beside) */
} thub;

/** Zeroes t, creates its loop and peer set, and fills cfg with defaults for tests: the loop,
 *  127.0.0.1, port 0, insecure_user_id, logging at WARN, and recording callbacks (all but
 *  on_auth, on_broadcast_check and on_http) with user = t. */
void thub_config(thub *t, wsc_hub_config *cfg);
/** The same for a second hub on other's loop and peer set (a second loop in one process
 *  would be a second lws context, which lws 4.1 leaks OpenSSL memory for): t records its own
 *  callbacks; thub_free(t) frees its hub only, and must come before thub_free(other). */
void thub_config_beside(thub *t, wsc_hub_config *cfg, thub *other);
/** Creates the hub (asserting success) and reads its port. */
void thub_start(thub *t, const wsc_hub_config *cfg);
/** Both of the above with the default test config. */
void thub_start_default(thub *t);
/** Frees every peer, the hub (if still there) and the loop. */
void thub_free(thub *t);

/** Starts a peer on path_and_query ("/ws?user_id=u1") and adds it to the set. */
tws *thub_ws(thub *t, const char *path_and_query, const char *const *headers);
/** Opens "/ws?user_id=user" (plus "&" extra when not NULL), waits until it is open and takes
 *  its `connected` frame (asserting each step). */
tws *thub_open(thub *t, const char *user, const char *extra);
/** Waits for the upgrade answer of c; true when it is settled. */
bool thub_settle(thub *t, tws *c);
/** Pumps the loop and peers until cond(arg) or ms pass. */
bool thub_wait(thub *t, twait_cond cond, void *arg, int ms);
/** Pumps until *counter >= n or ms pass. */
bool thub_wait_ge(thub *t, const size_t *counter, size_t n, int ms);
/** Pumps until c has n messages waiting or ms pass. */
bool thub_wait_msgs(thub *t, tws *c, size_t n, int ms);
/** Pumps for ms (nothing expected to happen). */
void thub_run_for(thub *t, int ms);
/** Starts a request to t's hub (body: len bytes, may be NULL; headers: NULL-terminated "Name:
 *  value" lines, may be NULL) and adds it to t's peers.  Fails the test when it cannot. */
thttp *thub_http(thub *t, const char *method, const char *path, const char *const *headers,
                 const char *body, size_t len);
/** Waits up to 3 s for h's whole answer and checks its status (fails the test otherwise). */
void thub_http_expect(thub *t, thttp *h, int status);

/** Waits up to ms for the next message of c and parses it (asserting it is a JSON text
 *  frame).  json_decref the result. */
json_t *thub_recv(thub *t, tws *c, int ms);
/** Same, asserting its message_type. */
json_t *thub_recv_type(thub *t, tws *c, const char *type, int ms);
/** Reads c's frames until one of message_type type (and message_id mid when not NULL) comes;
 *  false when the connection ends or ms pass first (ms is per frame).  Other frames are
 *  dropped; when ack is true, every frame that asks for an ACK is ACKed, the awaited one too. */
bool thub_recv_until(thub *t, tws *c, const char *type, const char *mid, bool ack, int ms);
/** Sends a NUL-terminated text frame (asserting success). */
void thub_send(tws *c, const char *text);

#endif
