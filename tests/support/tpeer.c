/* SPDX-License-Identifier: MIT */
/* Counting client callbacks for tests (tpeer.h). */
#include "tpeer.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

uint64_t
tpeer_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
on_connected(wsc_client *c, void *user)
{
    (void)c;
    ((tpeer *)user)->connected++;
}

static void
on_connect_error(wsc_client *c, wsc_err err, int http_status, const char *why, void *user)
{
    (void)c;
    (void)http_status;
    tpeer *p = user;
    p->last_error = err;
    if (p->errors++ == 0) {
        p->first_error_ms = tpeer_now_ms();
        snprintf(p->why, sizeof(p->why), "%s", why ? why : "");
    }
}

static void
on_reconnecting(wsc_client *c, unsigned attempt, uint64_t delay_ms, void *user)
{
    (void)c;
    (void)attempt;
    (void)delay_ms;
    ((tpeer *)user)->reconnecting++;
}

static void
on_close(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    tpeer *p = user;
    p->closes++;
    p->close_code = code;
}

static void
on_message(wsc_client *c, wsc_msg *msg, void *user)
{
    (void)c;
    tpeer *p = user;
    const char *type = wsc_msg_get(msg, WSC_F_TYPE);
    if (strcmp(type, "connected") == 0 || strcmp(type, "ack") == 0 || strcmp(type, "pong") == 0)
        return;
    p->messages++;
    const char *s = wsc_msg_get(msg, WSC_F_SENDER), *content = wsc_msg_get(msg, WSC_F_CONTENT);
    snprintf(p->last_sender, sizeof(p->last_sender), "%s", s ? s : "");
    snprintf(p->last_content, sizeof(p->last_content), "%s", content ? content : "");
}

static void
on_receipt(wsc_client *c, uint64_t id, const wsc_msg *msg, wsc_err status, const char *hub_status,
           void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    (void)status;
    tpeer *p = user;
    p->receipts++;
    snprintf(p->receipt_status, sizeof(p->receipt_status), "%s", hub_status ? hub_status : "");
}

void
tpeer_config(wsc_client_config *cc, const char *url, tpeer *p)
{
    wsc_client_config_init(cc);
    cc->url = url;
    cc->on_connected = on_connected;
    cc->on_connect_error = on_connect_error;
    cc->on_reconnecting = on_reconnecting;
    cc->on_close = on_close;
    cc->on_message = on_message;
    cc->on_receipt = on_receipt;
    cc->user = p;
}
