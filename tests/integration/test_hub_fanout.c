/* SPDX-License-Identifier: MIT */
/* Volume: a broadcast to 1,000 connections (each gets it exactly once), 500 messages from one
 * sender to one receiver in order, and a burst of 100 queued frames (text and binary, small,
 * > 125 and > 65535 bytes) that the hub frames itself and writes coalesced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thub.h"
#include "tjson.h"

#define FANOUT 1000

struct all_have {
    twait_set *ts;
    size_t n;
};

static bool
all_have(void *arg)
{
    const struct all_have *w = arg;
    for (size_t i = 0; i < twait_ws_count(w->ts); i++) {
        if (tws_pending(twait_ws_at(w->ts, i)) < w->n)
            return false;
    }
    return true;
}

static void
test_hub_fanout__broadcast_to_1000_connections(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    char path[64], src[32];
    for (int i = 0; i < FANOUT; i++) {
        snprintf(path, sizeof(path), "/ws?user_id=u%d", i);
        snprintf(src, sizeof(src), "127.0.0.%d", 1 + i % 4);
        tws *c = tws_connect_from(src, t.port, path, NULL, NULL);
        assert_non_null(c);
        assert_int_equal(twait_add_ws(t.ts, c), 0);
        if (i % 100 == 99)
            assert_true(thub_wait(&t, twait_all_settled, t.ts, 10000));
    }
    assert_true(thub_wait(&t, twait_all_open, t.ts, 10000));
    struct all_have w = {t.ts, 1};
    assert_true(thub_wait(&t, all_have, &w, 10000)); /* the connected frames */
    for (size_t i = 0; i < FANOUT; i++)
        json_decref(thub_recv_type(&t, twait_ws_at(t.ts, i), "connected", 10));
    assert_int_equal(t.connects, FANOUT);

    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "to everyone"), WSC_OK);
    size_t n = 0;
    assert_int_equal(wsc_hub_broadcast(t.hub, m, &n), WSC_OK);
    wsc_msg_unref(m);
    assert_int_equal(n, FANOUT);
    assert_true(thub_wait(&t, all_have, &w, 20000));
    thub_run_for(&t, 50);
    size_t delivered = 0;
    for (size_t i = 0; i < FANOUT; i++) {
        tws *c = twait_ws_at(t.ts, i);
        assert_int_equal(tws_pending(c), 1);
        json_t *j = thub_recv_type(&t, c, "text", 10);
        assert_string_equal(tjson_str(j, "content"), "to everyone");
        json_decref(j);
        delivered++;
    }
    assert_int_equal(delivered, FANOUT);
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.messages_out, 2 * FANOUT);
    assert_int_equal(st.send_failed, 0);
    thub_free(&t);
}

static void
test_hub_fanout__500_messages_in_order(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL), *b = thub_open(&t, "b", NULL);
    char frame[96];
    for (int i = 0; i < 500; i++) {
        snprintf(frame, sizeof(frame), "{\"receiver\":\"b\",\"seq_no\":%d,\"content\":\"m%d\"}", i,
                 i);
        thub_send(a, frame);
    }
    assert_true(thub_wait_msgs(&t, b, 500, 10000));
    for (int i = 0; i < 500; i++) {
        json_t *j = thub_recv_type(&t, b, "text", 10);
        assert_int_equal(tjson_int(j, "seq_no", -1), i);
        snprintf(frame, sizeof(frame), "m%d", i);
        assert_string_equal(tjson_str(j, "content"), frame);
        json_decref(j);
    }
    thub_free(&t);
}

/* The size of burst frame i, and whether it is binary. */
static size_t
burst_size(int i, bool *binary)
{
    *binary = i % 3 == 1;
    if (i == 40)
        return 70000; /* > 65535: 64-bit length */
    if (i == 41)
        return 100000;
    if (i % 10 == 5)
        return 126 + (size_t)i; /* > 125: 16-bit length */
    return 1 + (size_t)i;
}

static void
fill(char *buf, size_t len, int i)
{
    for (size_t k = 0; k < len; k++)
        buf[k] = (char)('a' + (k + (size_t)i) % 26);
}

static void
test_hub_fanout__burst_is_coalesced_and_intact(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *c = thub_open(&t, "c", NULL);
    char *buf = malloc(100001);
    size_t n = 0;
    for (int i = 0; i < 100; i++) {
        bool binary;
        size_t len = burst_size(i, &binary);
        fill(buf, len, i);
        buf[len] = '\0';
        if (binary) {
            assert_int_equal(wsc_hub_send_binary_to_user(t.hub, "c", buf, len, &n), WSC_OK);
        } else {
            wsc_msg *m = NULL;
            assert_int_equal(wsc_msg_new_text(&m, "text", buf), WSC_OK);
            assert_int_equal(wsc_hub_send_to_user(t.hub, "c", m, &n), WSC_OK);
            wsc_msg_unref(m);
        }
    }
    assert_true(thub_wait_msgs(&t, c, 100, 10000));
    for (int i = 0; i < 100; i++) {
        bool binary;
        size_t len = burst_size(i, &binary);
        fill(buf, len, i);
        int op = 0;
        char *data = NULL;
        size_t got = 0;
        assert_true(tws_next(c, &op, &data, &got));
        if (binary) {
            assert_int_equal(op, TWS_OP_BINARY);
            assert_int_equal(got, len);
            assert_memory_equal(data, buf, len);
        } else {
            assert_int_equal(op, TWS_OP_TEXT);
            json_t *j = tjson_parsen(data, got);
            assert_non_null(j);
            const char *content = tjson_str(j, "content");
            assert_non_null(content);
            assert_int_equal(strlen(content), len);
            assert_memory_equal(content, buf, len);
            json_decref(j);
        }
        free(data);
    }
    free(buf);
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.messages_out, 101);
    assert_int_equal(t.sent, 101);
    assert_int_equal(tws_state(c), TWS_OPEN);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_fanout__broadcast_to_1000_connections),
        cmocka_unit_test(test_hub_fanout__500_messages_in_order),
        cmocka_unit_test(test_hub_fanout__burst_is_coalesced_and_intact),
    };
    return cmocka_run_group_tests_name("integration.hub_fanout", tests, NULL, NULL);
}
