/* SPDX-License-Identifier: MIT */
/* Receipts of client messages with require_ack (PROTOCOL.md §3, src/hub/receipt.c) in the
 * cases the other tests leave out:
 * - offline storage off (ack.store_offline false): a message to a user with no connection is
 *   answered `rejected` with error `unknown_receiver`, and a resend of the same message_id gets
 *   the same receipt from the window without being routed again;
 * - a message to a receiver and groups at once reaches the receiver and the members, once
 *   each, and the sender (a member too) gets one `delivered` receipt and no copy;
 * - with the window off (dedupe_window 0) a resend is handled anew: routed and answered again;
 * - a message without require_ack gets no receipt;
 * - out of memory while a require_ack message is handled (to a receiver, to a group, the first
 *   message of a sender) never crashes or leaks: a receipt comes, or the resend gets one. */
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

/* The next `ack` frame of c for message_id mid; asserts its status and error (may be NULL). */
static void
expect_receipt(thub *t, tws *c, const char *mid, const char *status, const char *error)
{
    for (int i = 0; i < 10; i++) {
        json_t *j = thub_recv(t, c, 2000);
        assert_non_null(j);
        const char *type = tjson_str(j, "message_type");
        if (strcmp(type, "ack") == 0 && strcmp(tjson_str(j, "message_id"), mid) == 0) {
            assert_string_equal(tjson_str(j, "data.status"), status);
            if (error != NULL)
                assert_string_equal(tjson_str(j, "data.error"), error);
            json_decref(j);
            return;
        }
        json_decref(j);
    }
    fail_msg("no receipt for %s", mid);
}

/* Reads c's next application frame (skipping nothing else) and checks its content. */
static void
expect_text(thub *t, tws *c, const char *content)
{
    json_t *j = thub_recv_type(t, c, "text", 2000);
    assert_string_equal(tjson_str(j, "content"), content);
    json_decref(j);
}

static void
test_receipts__offline_without_storage_is_rejected_once(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.ack.store_offline = false;
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL);
    static const char msg[] = "{\"message_type\":\"text\",\"receiver\":\"zed\","
                              "\"message_id\":\"r1\",\"require_ack\":true,\"content\":\"hi\"}";
    thub_send(a, msg);
    expect_receipt(&t, a, "r1", "rejected", "unknown_receiver");
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    uint64_t stored = st.stored, duplicates = st.duplicates;
    /* The resend: the same receipt, from the window; nothing routed or stored again. */
    thub_send(a, msg);
    expect_receipt(&t, a, "r1", "rejected", "unknown_receiver");
    thub_run_for(&t, 30);
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_int_equal(st.stored, stored);
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.duplicates, duplicates + 1); /* answered from the window */
    thub_free(&t);
}

static void
test_receipts__receiver_and_groups_at_once(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    tws *b = thub_open(&t, "b", NULL);
    tws *c = thub_open(&t, "c", NULL);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "c"), WSC_OK);
    thub_send(a, "{\"message_type\":\"text\",\"receiver\":\"b\",\"group_ids\":[\"g\"],"
                 "\"message_id\":\"rg1\",\"require_ack\":true,\"content\":\"both\"}");
    expect_receipt(&t, a, "rg1", "delivered", NULL);
    expect_text(&t, b, "both");
    expect_text(&t, c, "both");
    thub_send(b, "{\"message_type\":\"ack\",\"message_id\":\"rg1\",\"sender\":\"a\"}");
    thub_send(c, "{\"message_type\":\"ack\",\"message_id\":\"rg1\",\"sender\":\"a\"}");
    thub_run_for(&t, 100);
    assert_int_equal(tws_pending(a), 0); /* no copy for the sender, no second receipt */
    assert_int_equal(tws_pending(b), 0); /* once each */
    assert_int_equal(tws_pending(c), 0);
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_int_equal(st.acked, 2);
    assert_int_equal(st.pending, 0);
    thub_free(&t);
}

static void
test_receipts__without_window_a_resend_is_routed_again(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.dedupe_window = 0;
    cfg.dedupe_max_users = 0;
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL);
    tws *b = thub_open(&t, "b", NULL);
    static const char msg[] = "{\"message_type\":\"text\",\"receiver\":\"b\","
                              "\"message_id\":\"w1\",\"require_ack\":true,\"content\":\"x\"}";
    thub_send(a, msg);
    expect_receipt(&t, a, "w1", "delivered", NULL);
    expect_text(&t, b, "x");
    thub_send(b, "{\"message_type\":\"ack\",\"message_id\":\"w1\",\"sender\":\"a\"}");
    thub_run_for(&t, 50);
    thub_send(a, msg);
    expect_receipt(&t, a, "w1", "delivered", NULL);
    expect_text(&t, b, "x"); /* routed again: nothing remembered it */
    /* Without require_ack: routed, no receipt. */
    thub_send(a, "{\"message_type\":\"text\",\"receiver\":\"b\",\"message_id\":\"n1\","
                 "\"content\":\"plain\"}");
    expect_text(&t, b, "plain");
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(a), 0);
    thub_free(&t);
}

/* The next receipt for mid within ms: its status into st ("" when none came). */
static void
try_receipt(thub *t, tws *c, const char *mid, char *st, size_t cap, int ms)
{
    st[0] = '\0';
    while (thub_wait_msgs(t, c, 1, ms)) {
        json_t *j = thub_recv(t, c, 100);
        bool hit = strcmp(tjson_str(j, "message_type"), "ack") == 0 &&
                   strcmp(tjson_str(j, "message_id"), mid) == 0;
        if (hit)
            snprintf(st, cap, "%s", tjson_str(j, "data.status"));
        json_decref(j);
        if (hit)
            return;
    }
}

/* One run of the out-of-memory sweeps: the nth allocation from now fails while the hub handles
 * a's require_ack message to target ("\"receiver\":\"b\"" or a group) with message_id mid.
 * The receipt says delivered, stored or rejected, or none comes (the ack frame itself could not
 * be made); the client's resend then gets one.  b ACKs what it got.  True when the hook fired. */
static bool
nomem_run(thub *t, tws *a, tws *b, long n, const char *target, const char *mid)
{
    char msg[192], st[32];
    snprintf(msg, sizeof(msg),
             "{\"message_type\":\"text\",%s,\"message_id\":\"%s\","
             "\"require_ack\":true,\"content\":\"x\"}",
             target, mid);
    wsc__alloc_fail_nth(n);
    thub_send(a, msg);
    try_receipt(t, a, mid, st, sizeof(st), 300);
    bool fired = !wsc__alloc_fail_armed();
    wsc__alloc_fail_nth(0);
    if (st[0] == '\0') {
        thub_send(a, msg); /* the client's resend */
        try_receipt(t, a, mid, st, sizeof(st), 2000);
    }
    assert_true(strcmp(st, "delivered") == 0 || strcmp(st, "stored") == 0 ||
                strcmp(st, "rejected") == 0);
    while (tws_pending(b) > 0) { /* b ACKs what it got */
        json_t *j = thub_recv(t, b, 100);
        const char *m = tjson_str(j, "message_id"), *sender = tjson_str(j, "sender");
        if (m != NULL && strcmp(tjson_str(j, "message_type"), "text") == 0) {
            char ackf[128];
            snprintf(ackf, sizeof(ackf),
                     "{\"message_type\":\"ack\",\"message_id\":\"%s\",\"sender\":\"%s\"}", m,
                     sender != NULL ? sender : "");
            thub_send(b, ackf);
        }
        json_decref(j);
    }
    return fired;
}

static void
nomem_start(thub *t, tws **a, tws **b)
{
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    cfg.max_violations = 100000;
    thub_start(t, &cfg);
    *a = thub_open(t, "a", NULL);
    *b = thub_open(t, "b", NULL);
    assert_int_equal(wsc_hub_group_join(t->hub, "g", "a"), WSC_OK); /* may send to it */
    assert_int_equal(wsc_hub_group_join(t->hub, "g", "b"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t->hub, "g", "off"), WSC_OK);
}

/* Out of memory at any allocation while the hub handles a client's require_ack message (to a
 * live receiver and a group with an offline member, in turn).  Never a crash or a leak; the hub
 * serves on. */
static void
test_receipts__out_of_memory(void **state)
{
    (void)state;
    thub t;
    tws *a, *b;
    nomem_start(&t, &a, &b);
    bool fired = true;
    for (long n = 1; fired && n < 400; n++) {
        char mid[32];
        snprintf(mid, sizeof(mid), "om%ld", n);
        fired = nomem_run(&t, a, b, n, n % 2 ? "\"receiver\":\"b\"" : "\"group_ids\":[\"g\"]", mid);
    }
    assert_false(fired);
    tws *p = thub_open(&t, "probe", NULL);
    (void)p;
    thub_free(&t);
}

/* The same for a message to the group alone, at every allocation. */
static void
test_receipts__out_of_memory_group(void **state)
{
    (void)state;
    thub t;
    tws *a, *b;
    nomem_start(&t, &a, &b);
    bool fired = true;
    for (long n = 1; fired && n < 400; n++) {
        char mid[32];
        snprintf(mid, sizeof(mid), "og%ld", n);
        fired = nomem_run(&t, a, b, n, "\"group_ids\":[\"g\"]", mid);
    }
    assert_false(fired);
    thub_free(&t);
}

/* The same for the first message of each sender (whose window of message_ids does not exist
 * yet). */
static void
test_receipts__out_of_memory_first_message(void **state)
{
    (void)state;
    thub t;
    tws *a, *b;
    nomem_start(&t, &a, &b);
    bool fired = true;
    for (long n = 1; fired && n < 400; n++) {
        char uid[32];
        snprintf(uid, sizeof(uid), "s%ld", n);
        tws *s = thub_open(&t, uid, NULL);
        fired = nomem_run(&t, s, b, n, "\"receiver\":\"b\"", "first");
        twait_remove_ws(t.ts, s);
        tws_free(s);
    }
    assert_false(fired);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_receipts__offline_without_storage_is_rejected_once),
        cmocka_unit_test(test_receipts__receiver_and_groups_at_once),
        cmocka_unit_test(test_receipts__without_window_a_resend_is_routed_again),
        cmocka_unit_test(test_receipts__out_of_memory),
        cmocka_unit_test(test_receipts__out_of_memory_group),
        cmocka_unit_test(test_receipts__out_of_memory_first_message),
    };
    return cmocka_run_group_tests_name("integration.hub_receipts", tests, NULL, NULL);
}
