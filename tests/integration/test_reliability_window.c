/* SPDX-License-Identifier: MIT */
/* The replay window of docs/reliability.md ("Offline messages"), on the default memory store:
 * - at most replay_window replayed messages are un-ACKed on a connection; each ACK frees a slot
 *   and the replay goes on, oldest first;
 * - a window that waits a whole ack.ack_timeout_ms without an ACK moves on (what it sent stays
 *   stored);
 * - live traffic waits behind the replay (parked), and arrives after the stored messages;
 * - parked traffic is bounded by queue_max_count: beyond it the parked frames are released
 *   (they may overtake stored ones), never dropped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"
#include "tjson.h"

#define WINDOW 10
#define STORED 40
#define ACK_MS 1000 /* ack.ack_timeout_ms: how long a stalled window waits */

static bool
is_true(void *arg)
{
    return *(bool *)arg;
}

static void
on_accepted(const wsc_accepted *a, void *user)
{
    assert_int_equal(a->stored, 1);
    *(bool *)user = true;
}

/* Stores n messages s0..s(n-1) for the offline user u, each confirmed by the store. */
static void
store_n(thub *t, const char *u, int n)
{
    for (int i = 0; i < n; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "s%d", i);
        wsc_msg *m = NULL;
        assert_int_equal(wsc_msg_new_text(&m, "text", mid), WSC_OK);
        assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
        const char *users[] = {u};
        bool done = false;
        assert_int_equal(
            wsc_hub_publish_ack(t->hub, users, 1, NULL, NULL, m, NULL, on_accepted, &done), WSC_OK);
        wsc_msg_unref(m);
        assert_true(thub_wait(t, is_true, &done, 3000));
    }
}

static void
start(thub *t, size_t queue_max)
{
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    cfg.replay_window = WINDOW;
    cfg.ack.ack_timeout_ms = ACK_MS;
    if (queue_max > 0)
        cfg.queue_max_count = queue_max;
    thub_start(t, &cfg);
}

/* The message ids of the text frames c got within ms (appended to ids, n of them so far). */
static size_t
take(thub *t, tws *c, char ids[][16], size_t n, size_t cap, int ms)
{
    while (thub_wait_msgs(t, c, 1, ms)) {
        int op;
        char *data;
        size_t len;
        assert_true(tws_next(c, &op, &data, &len));
        json_t *j = tjson_parsen(data, len);
        free(data);
        const char *ty = tjson_str(j, "message_type"), *id = tjson_str(j, "message_id");
        if (ty != NULL && strcmp(ty, "text") == 0 && id != NULL) {
            assert_true(n < cap);
            snprintf(ids[n++], 16, "%s", id);
        }
        json_decref(j);
    }
    return n;
}

static void
ack(tws *c, const char *mid)
{
    char frame[128]; /* ids here are at most 15 bytes (the take() buffers) */
    snprintf(frame, sizeof(frame), "{\"message_type\":\"ack\",\"message_id\":\"%.60s\"}", mid);
    thub_send(c, frame);
}

static void
expect_order(char ids[][16], size_t from, size_t to)
{
    for (size_t i = from; i < to; i++) {
        char want[32];
        snprintf(want, sizeof(want), "s%zu", i);
        assert_string_equal(ids[i], want);
    }
}

static void
test_window__bounds_unacked_then_acks_resume(void **state)
{
    (void)state;
    thub t;
    start(&t, 0);
    store_n(&t, "u", STORED);
    tws *c = thub_open(&t, "u", NULL);
    char ids[4 * STORED][16];
    size_t n = take(&t, c, ids, 0, 4 * STORED, 300);
    assert_int_equal(n, WINDOW); /* no more than the window before an ACK */
    expect_order(ids, 0, WINDOW);
    for (int i = 0; i < 5; i++)
        ack(c, ids[i]);
    n = take(&t, c, ids, n, 4 * STORED, 300);
    assert_int_equal(n, WINDOW + 5); /* each ACK freed one slot */
    expect_order(ids, 0, n);
    /* ACK everything as it comes: the rest follows, in order, each once. */
    for (size_t i = 5; i < n; i++)
        ack(c, ids[i]);
    size_t acked = n;
    while (acked < STORED) {
        size_t before = n;
        n = take(&t, c, ids, n, 4 * STORED, 300);
        assert_true(n > before);
        for (; acked < n; acked++)
            ack(c, ids[acked]);
    }
    assert_int_equal(n, STORED);
    expect_order(ids, 0, STORED);
    thub_free(&t);
}

static void
test_window__stalled_window_moves_on_after_ack_timeout(void **state)
{
    (void)state;
    thub t;
    start(&t, 0);
    store_n(&t, "u", STORED);
    tws *c = thub_open(&t, "u", NULL);
    char ids[4 * STORED][16];
    size_t n = take(&t, c, ids, 0, 4 * STORED, 300);
    assert_int_equal(n, WINDOW);
    /* No ACK at all: nothing more before ack_timeout_ms has passed, then the window
     * moves on page by page: at most one more page per ack_timeout, never the whole backlog. */
    uint64_t t0 = wsc_loop_now_ms(t.loop);
    n = take(&t, c, ids, n, 4 * STORED, 250);
    assert_int_equal(n, WINDOW);
    for (uint64_t el = 0; el < 2 * ACK_MS + ACK_MS / 2; el = wsc_loop_now_ms(t.loop) - t0) {
        n = take(&t, c, ids, n, 4 * STORED, 50);
        size_t pages = (size_t)(wsc_loop_now_ms(t.loop) - t0 + 300) / ACK_MS + 1; /* + the first */
        assert_true(n <= (pages + 1) * WINDOW);
    }
    assert_true(n >= 2 * WINDOW);
    expect_order(ids, 0, n);
    thub_free(&t);
}

static void
test_window__live_traffic_waits_behind_the_replay(void **state)
{
    (void)state;
    thub t;
    start(&t, 0);
    store_n(&t, "u", 2 * WINDOW);
    tws *c = thub_open(&t, "u", NULL);
    char ids[8 * WINDOW][16];
    size_t n = take(&t, c, ids, 0, 8 * WINDOW, 300);
    assert_int_equal(n, WINDOW);
    /* A live message while the replay still holds stored ones back: parked. */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "live"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, "live-1"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user(t.hub, "u", m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_int_equal(take(&t, c, ids, n, 8 * WINDOW, 200), n); /* not yet */
    for (size_t i = 0; i < n; i++)
        ack(c, ids[i]);
    size_t acked = n;
    for (int rounds = 0; rounds < 20 && (n == 0 || strcmp(ids[n - 1], "live-1") != 0); rounds++) {
        n = take(&t, c, ids, n, 8 * WINDOW, 300);
        for (; acked < n; acked++)
            ack(c, ids[acked]);
    }
    assert_int_equal(n, 2 * WINDOW + 1);
    expect_order(ids, 0, 2 * WINDOW);
    assert_string_equal(ids[2 * WINDOW], "live-1"); /* after every stored message */
    thub_free(&t);
}

static void
test_window__parked_traffic_is_bounded_and_released(void **state)
{
    (void)state;
    thub t;
    start(&t, 2 * WINDOW); /* queue_max_count: the bound of parked traffic */
    store_n(&t, "u", 4 * WINDOW);
    tws *c = thub_open(&t, "u", NULL);
    char ids[16 * WINDOW][16];
    size_t n = take(&t, c, ids, 0, 16 * WINDOW, 300);
    assert_int_equal(n, WINDOW);
    /* More live messages than the queue holds while the replay is stalled: past the bound the
     * parked frames are released, so they arrive now, every one of them. */
    int live = 3 * WINDOW;
    for (int i = 0; i < live; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "live-%d", i);
        wsc_msg *m = NULL;
        assert_int_equal(wsc_msg_new_text(&m, "text", mid), WSC_OK);
        assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
        (void)wsc_hub_send_to_user(t.hub, "u", m, NULL); /* a full queue refuses, reported */
        wsc_msg_unref(m);
        thub_run_for(&t, 2);
    }
    n = take(&t, c, ids, n, 16 * WINDOW, 300);
    size_t got_live = 0;
    for (size_t i = 0; i < n; i++)
        got_live += strncmp(ids[i], "live-", 5) == 0;
    /* Every live message was either delivered or refused through on_send_failed: none lost. */
    assert_true(got_live > 0);
    assert_int_equal(got_live + t.failed, (size_t)live);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_window__bounds_unacked_then_acks_resume),
        cmocka_unit_test(test_window__stalled_window_moves_on_after_ack_timeout),
        cmocka_unit_test(test_window__live_traffic_waits_behind_the_replay),
        cmocka_unit_test(test_window__parked_traffic_is_bounded_and_released),
    };
    return cmocka_run_group_tests_name("integration.reliability_window", tests, NULL, NULL);
}
