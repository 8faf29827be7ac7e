/* SPDX-License-Identifier: MIT */
/* Out of memory while the hub stamps a client message (id, sender, sender_client...): the
 * message is refused (error internal), never delivered with what the client wrote in the
 * fields the hub owns.  Each allocation on the path fails in turn (models/alloc.h hook). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/alloc.h"
#include "thub.h"
#include "tjson.h"

/* Long ids, so that stamping outgrows the room a parsed message keeps for it and allocates. */
static char node[61], uid[128], cid[128];

static void
fill(char *s, size_t n, char c)
{
    memset(s, c, n - 1);
    s[n - 1] = '\0';
}

struct outcome {
    size_t delivered, refused_internal, forged;
};

/* Reads what a and b got for message mid. */
static void
collect(thub *t, tws *a, tws *b, const char *mid, struct outcome *o)
{
    int op;
    char *data;
    size_t len;
    while (tws_next(b, &op, &data, &len)) {
        json_t *j = json_loads(data, 0, NULL);
        free(data);
        const char *type = tjson_str(j, "message_type");
        if (type != NULL && strcmp(type, "text") == 0) {
            const char *s = tjson_str(j, "sender"), *sc = tjson_str(j, "sender_client");
            if (s == NULL || strcmp(s, uid) != 0 || sc == NULL || strcmp(sc, cid) != 0)
                o->forged++;
            o->delivered++;
        }
        json_decref(j);
    }
    while (tws_next(a, &op, &data, &len)) {
        json_t *j = json_loads(data, 0, NULL);
        free(data);
        const char *code = tjson_str(j, "data.code"), *ref = tjson_str(j, "message_id");
        if (code != NULL && strcmp(code, "internal") == 0 && ref != NULL && strcmp(ref, mid) == 0)
            o->refused_internal++;
        json_decref(j);
    }
    (void)t;
}

/* Opens the pair and sends one message through, so that the per-user state the first message
 * creates (the dedupe window) exists: each later message allocates the same way. */
static void
open_pair(thub *t, tws **a, tws **b)
{
    char extra[160];
    snprintf(extra, sizeof(extra), "client_id=%s", cid);
    *a = thub_open(t, uid, extra);
    *b = thub_open(t, "b", NULL);
    thub_send(*a, "{\"receiver\":\"b\",\"message_id\":\"warm-up\"}");
    json_decref(thub_recv_type(t, *b, "text", 3000));
}

static void
test_hub_stamp_nomem__refused_never_forged(void **state)
{
    (void)state;
    fill(node, sizeof(node), 'n');
    fill(uid, sizeof(uid), 'u');
    fill(cid, sizeof(cid), 'c');
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.node_id = node;
    cfg.max_violations = 1000;
    thub_start(&t, &cfg);
    tws *a, *b;
    open_pair(&t, &a, &b);
    struct outcome o = {0};
    bool fired = true;
    for (long k = 1; fired && k < 500; k++) {
        char frame[256], mid[32];
        snprintf(mid, sizeof(mid), "m%ld", k);
        snprintf(frame, sizeof(frame),
                 "{\"receiver\":\"b\",\"sender\":\"mallory\",\"sender_client\":\"evil\","
                 "\"message_id\":\"%s\",\"content\":\"x\"}",
                 mid);
        thub_send(a, frame);
        wsc__alloc_fail_nth(k);
        thub_wait_msgs(&t, b, 1, 150); /* a delivery, or an error to a, or nothing */
        thub_run_for(&t, 20);
        fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        thub_run_for(&t, 20);
        collect(&t, a, b, mid, &o);
        if (tws_state(a) != TWS_OPEN || tws_state(b) != TWS_OPEN) {
            thub_free(&t); /* an allocation failure elsewhere closed one: start over */
            thub_config(&t, &cfg);
            cfg.node_id = node;
            cfg.max_violations = 1000;
            thub_start(&t, &cfg);
            open_pair(&t, &a, &b);
        }
    }
    assert_false(fired); /* went past every allocation of the path */
    assert_int_equal(o.forged, 0);
    assert_true(o.refused_internal >= 1); /* the stamp's own allocations were hit */
    assert_true(o.delivered >= 1);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_stamp_nomem__refused_never_forged),
    };
    return cmocka_run_group_tests_name("integration.hub_stamp_nomem", tests, NULL, NULL);
}
