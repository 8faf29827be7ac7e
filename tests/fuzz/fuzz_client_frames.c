/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the client's receive path (src/client/client_rx.c): the input is a
 * run of frames separated by 0xFF bytes (a byte that never occurs in UTF-8 text), each handed
 * to one client as a received text frame, the way the loop hands them over.  Whatever the hub
 * (or a man in the middle of ws://) sends must be taken safely: no crash, no leak, and the
 * application sees each (sender, message_id) at most once (the input is shorter than the
 * dedupe window).  The client is never connected: ACKs it owes wait in its bounded queue.
 * Making a client builds an lws context, far slower than a frame, so one client takes every
 * input (its dedupe window then spans inputs, which only hides repeats: never makes one). */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsc/client.h>
#include <wsc/msg.h>

#include "client/client_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_SEEN 64

struct seen {
    char *keys[MAX_SEEN];
    size_t n;
};

static void
on_message(wsc_client *c, wsc_msg *msg, void *user)
{
    (void)c;
    struct seen *s = user;
    const char *id = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    const char *type = wsc_msg_get(msg, WSC_F_TYPE);
    static const char *const control[] = {"connected", "pong", "ack", "error", "kick_out"};
    for (size_t i = 0; i < sizeof(control) / sizeof(control[0]); i++) {
        if (strcmp(type, control[i]) == 0)
            return; /* the client's own business: not deduped */
    }
    char buf[WSC_MSG_KEY_MAX];
    if (id == NULL || s->n == MAX_SEEN ||
        wsc_msg_key(wsc_msg_get(msg, WSC_F_SENDER), id, buf, sizeof(buf)) != WSC_OK)
        return; /* without a key the client cannot tell repeats apart */
    char *key = strdup(buf);
    if (key == NULL)
        return;
    for (size_t i = 0; i < s->n; i++) {
        if (strcmp(s->keys[i], key) == 0) {
            fprintf(stderr, "fuzz_client_frames: message %s seen twice\n", id);
            abort();
        }
    }
    s->keys[s->n++] = key;
}

static struct seen seen;
static wsc_client *client;

static void
free_client(void)
{
    wsc_client_free(client);
}

static wsc_client *
the_client(void)
{
    if (client != NULL)
        return client;
    wsc_client_config cfg;
    wsc_client_config_init(&cfg);
    cfg.url = "ws://127.0.0.1:9/ws";
    cfg.on_message = on_message;
    cfg.user = &seen;
    cfg.max_message_size = 4096;
    if (wsc_client_new(&client, &cfg) != WSC_OK)
        return NULL;
    atexit(free_client);
    return client;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    wsc_client *c = the_client();
    if (c == NULL)
        return 0;
    struct seen *s = &seen;
    size_t start = 0, frames = 0;
    for (size_t i = 0; i <= size && frames < MAX_SEEN; i++) {
        if (i == size || data[i] == 0xFF) {
            wsc__client_on_message(c, data + start, i - start, false);
            start = i + 1;
            frames++;
        }
    }
    for (size_t i = 0; i < s->n; i++)
        free(s->keys[i]);
    s->n = 0;
    return 0;
}
