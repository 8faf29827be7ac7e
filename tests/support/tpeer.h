/* SPDX-License-Identifier: MIT */
/* tpeer: a wsc_client whose callbacks only count and remember what they saw, for tests that
 * check what the client reported:
 *
 *     tpeer p = {0};
 *     wsc_client_config cc;
 *     tpeer_config(&cc, url, &p);     (every callback set, user = &p)
 *     cc.loop = loop;                 (then the test's own settings)
 *     wsc_client_new(&p.c, &cc);
 *
 * Control frames (connected, ack, pong) that the client hands to on_message are not counted
 * as messages. */
#ifndef WSC_TEST_TPEER_H
#define WSC_TEST_TPEER_H

#include <stddef.h>
#include <stdint.h>

#include <wsc/wsc.h>

typedef struct tpeer {
    wsc_client *c; /* the test's to create and free */
    size_t connected, errors, reconnecting, closes, messages, receipts;
    wsc_err last_error;      /* of the last connect error */
    uint64_t first_error_ms; /* CLOCK_MONOTONIC time of the first connect error */
    char why[160];           /* reason of the first connect error */
    int close_code;          /* of the last close */
    char last_sender[64], last_content[128], receipt_status[32];
} tpeer;

/** wsc_client_config_init(cc), then url and every callback, reporting into p. */
void tpeer_config(wsc_client_config *cc, const char *url, tpeer *p);

/** CLOCK_MONOTONIC now, in milliseconds. */
uint64_t tpeer_now_ms(void);

#endif
