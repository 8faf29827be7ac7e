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
#include <sys/socket.h>

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

/* j's "content" is exactly the len bytes of want. */
static void
expect_content(json_t *j, const char *want, size_t len)
{
    const char *got = tjson_str(j, "content");
    assert_non_null(got);
    assert_int_equal(strlen(got), len);
    assert_memory_equal(got, want, len);
}

/* Sends the 100 frames of burst_size to user "c". */
static void
send_burst(thub *t, char *buf)
{
    size_t n = 0;
    for (int i = 0; i < 100; i++) {
        bool binary;
        size_t len = burst_size(i, &binary);
        fill(buf, len, i);
        buf[len] = '\0';
        if (binary) {
            assert_int_equal(wsc_hub_send_binary_to_user(t->hub, "c", buf, len, &n), WSC_OK);
        } else {
            wsc_msg *m = NULL;
            assert_int_equal(wsc_msg_new_text(&m, "text", buf), WSC_OK);
            assert_int_equal(wsc_hub_send_to_user(t->hub, "c", m, &n), WSC_OK);
            wsc_msg_unref(m);
        }
    }
}

/* Takes the 100 frames of send_burst from c: each whole, in order. */
static void
expect_burst(tws *c, char *buf)
{
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
            expect_content(j, buf, len);
            json_decref(j);
        }
        free(data);
    }
}

static void
test_hub_fanout__burst_is_coalesced_and_intact(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *c = thub_open(&t, "c", NULL);
    char *buf = malloc(100001);
    assert_non_null(buf);
    send_burst(&t, buf);
    assert_true(thub_wait_msgs(&t, c, 100, 10000));
    expect_burst(c, buf);
    free(buf);
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.messages_out, 101);
    assert_int_equal(t.sent, 101);
    assert_int_equal(tws_state(c), TWS_OPEN);
    thub_free(&t);
}

/* The content length of frame i of test_hub_fanout__a_full_socket_cuts_no_frame: small,
 * 30 KB (framed into the hub's buffer) and 100 KB (longer than it: written from the shared
 * bytes with sendmsg). */
static size_t
cut_len(int i)
{
    static const size_t lens[] = {200, 30000, 100000, 5, 70000};
    return lens[i % 5];
}

/* A receiver that stops reading, its socket filled by frames a WebSocket client sends it one
 * by one: the hub writes each as soon as it is routed (send(), or sendmsg() for one longer
 * than its 64 KiB buffer) until the socket takes only part of one.  What it did not take goes
 * to lws and leaves first, later frames wait in the queue, so once the receiver reads again
 * every frame arrives whole, in order, once, and both connections stay open. */
static void
test_hub_fanout__a_full_socket_cuts_no_frame(void **state)
{
    (void)state;
    enum { N = 240 }; /* ~10 MB: more than the kernel holds for the receiver (4 MB at most) */
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.queue_max_count = N + 16;
    cfg.queue_max_bytes = 64u << 20;
    cfg.msg_limits.max_bytes = 256u << 10;
    thub_start(&t, &cfg);
    tws *c = thub_open(&t, "c", NULL), *p = thub_open(&t, "p", NULL);
    int rcvbuf = 65536;
    assert_int_equal(setsockopt(tws_fd(c), SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf)), 0);
    twait_remove_ws(t.ts, c);
    size_t cap = 100000 + 256;
    char *body = malloc(cap), *content = malloc(cap);
    uint8_t *frame = malloc(cap + 16);
    assert_true(body != NULL && content != NULL && frame != NULL);
    static const uint8_t mask[4] = {0x21, 0x43, 0x65, 0x07};
    for (int i = 0; i < N; i++) {
        size_t len = cut_len(i);
        fill(content, len, i);
        content[len] = '\0';
        int n = snprintf(body, cap, "{\"receiver\":\"c\",\"seq_no\":%d,\"content\":\"%s\"}", i,
                         content);
        size_t flen = tws_frame_encode(frame, cap + 16, TWS_OP_TEXT, true, mask, body, (size_t)n);
        assert_int_equal(tws_send_raw(p, frame, flen), 0);
        thub_run_for(&t, 2);
    }
    thub_run_for(&t, 300);
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    if (st.queued == 0) /* the socket did fill: frames still wait */
        fail_msg("nothing queued: in %llu, out %llu, failed %llu",
                 (unsigned long long)st.messages_in, (unsigned long long)st.messages_out,
                 (unsigned long long)st.send_failed);
    assert_int_equal(twait_add_ws(t.ts, c), 0);
    if (!thub_wait_msgs(&t, c, N, 20000))
        fail_msg("%zu of %d frames, state %s, close %d", tws_pending(c), N,
                 tws_state_name(tws_state(c)), tws_close_code(c));
    for (int i = 0; i < N; i++) {
        json_t *j = thub_recv_type(&t, c, "text", 10);
        assert_int_equal(tjson_int(j, "seq_no", -1), i);
        size_t len = cut_len(i);
        fill(content, len, i);
        expect_content(j, content, len);
        json_decref(j);
    }
    free(body);
    free(content);
    free(frame);
    thub_run_for(&t, 100);
    assert_int_equal(tws_pending(c), 0);
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.send_failed, 0);
    assert_int_equal(tws_state(c), TWS_OPEN);
    assert_int_equal(tws_state(p), TWS_OPEN);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_fanout__broadcast_to_1000_connections),
        cmocka_unit_test(test_hub_fanout__500_messages_in_order),
        cmocka_unit_test(test_hub_fanout__burst_is_coalesced_and_intact),
        cmocka_unit_test(test_hub_fanout__a_full_socket_cuts_no_frame),
    };
    return cmocka_run_group_tests_name("integration.hub_fanout", tests, NULL, NULL);
}
