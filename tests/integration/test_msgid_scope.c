/* SPDX-License-Identifier: MIT */
/* A message_id is scoped to its sender (PROTOCOL.md §2): user M who sends first with the
 * message_id that user A will use must not make A's message a "duplicate".  Both reach the
 * receiver, stored or live, each is tracked, stored and ACKed on its own, and an ACK without
 * `sender` confirms every sender's message with that id (§3).  Raw WebSocket peers against a
 * hub on its default memory store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_reliability_util.h"

static void
send_to(tws *c, const char *mid, const char *receiver, const char *content)
{
    char buf[256];
    int n = snprintf(buf, sizeof(buf),
                     "{\"message_id\":\"%s\",\"receiver\":\"%s\",\"require_ack\":true,"
                     "\"content\":\"%s\"}",
                     mid, receiver, content);
    assert_int_equal(tws_send_text(c, buf, (size_t)n), 0);
}

static void
ack_from(tws *c, const char *mid, const char *sender)
{
    char buf[256];
    int n = sender != NULL ? snprintf(buf, sizeof(buf),
                                      "{\"message_type\":\"ack\",\"message_id\":\"%s\","
                                      "\"sender\":\"%s\"}",
                                      mid, sender)
                           : snprintf(buf, sizeof(buf),
                                      "{\"message_type\":\"ack\",\"message_id\":\"%s\"}", mid);
    assert_int_equal(tws_send_text(c, buf, (size_t)n), 0);
}

static void
expect_receipt(struct rt *t, tws *c, const char *mid, const char *status)
{
    json_t *j = rt_next_app(t, c, 3000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "message_type"), "ack");
    assert_string_equal(tjson_str(j, "message_id"), mid);
    assert_string_equal(json_string_value(json_object_get(json_object_get(j, "data"), "status")),
                        status);
    json_decref(j);
}

/* The next two application messages of c: both carry mid, one from each sender. */
static void
expect_both(struct rt *t, tws *c, const char *mid, const char *s1, const char *s2)
{
    bool got1 = false, got2 = false;
    for (int i = 0; i < 2; i++) {
        json_t *j = rt_next_app(t, c, 3000);
        assert_non_null(j);
        assert_string_equal(tjson_str(j, "message_id"), mid);
        const char *s = tjson_str(j, "sender");
        assert_non_null(s);
        got1 |= strcmp(s, s1) == 0;
        got2 |= strcmp(s, s2) == 0;
        json_decref(j);
    }
    assert_true(got1 && got2);
}

static uint64_t
pending(struct rt *t)
{
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t->hub, &st);
    return st.pending;
}

static bool
offline_empty(void *arg)
{
    return rt_offline_count(arg, "scope-r") == 0;
}

static bool
nothing_pending(void *arg)
{
    return pending(arg) == 0;
}

static bool
one_pending(void *arg)
{
    return pending(arg) == 1;
}

static void
test_msgid_scope__stored_for_an_offline_receiver(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *m = rt_connect(&t, "scope-m"), *a = rt_connect(&t, "scope-a");
    assert_non_null(m);
    assert_non_null(a);
    send_to(m, "X", "scope-r", "squatter");
    expect_receipt(&t, m, "X", "stored");
    send_to(a, "X", "scope-r", "real");
    expect_receipt(&t, a, "X", "stored");
    assert_int_equal(rt_offline_count(&t, "scope-r"), 2);

    tws *r = rt_connect(&t, "scope-r");
    assert_non_null(r);
    expect_both(&t, r, "X", "scope-m", "scope-a");
    ack_from(r, "X", NULL); /* no sender: confirms both */
    assert_true(twait_until(t.ts, t.loop, offline_empty, &t, 3000));
    rt_drop(&t, r);
    rt_drop(&t, m);
    rt_drop(&t, a);
    rt_stop(&t);
}

static void
test_msgid_scope__live_and_acked_per_sender(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *m = rt_connect(&t, "scope-m2"), *a = rt_connect(&t, "scope-a2");
    tws *r = rt_connect(&t, "scope-r2");
    assert_non_null(m);
    assert_non_null(a);
    assert_non_null(r);
    send_to(m, "Y", "scope-r2", "squatter");
    expect_receipt(&t, m, "Y", "delivered");
    send_to(a, "Y", "scope-r2", "real");
    expect_receipt(&t, a, "Y", "delivered");
    expect_both(&t, r, "Y", "scope-m2", "scope-a2");
    assert_int_equal(pending(&t), 2);
    ack_from(r, "Y", "scope-a2"); /* names one of the two */
    assert_true(twait_until(t.ts, t.loop, one_pending, &t, 3000));
    ack_from(r, "Y", "scope-m2");
    assert_true(twait_until(t.ts, t.loop, nothing_pending, &t, 3000));
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(t.hub, &st);
    assert_int_equal(st.acked, 2);
    rt_drop(&t, r);
    rt_drop(&t, m);
    rt_drop(&t, a);
    rt_stop(&t);
}

int
main(void)
{
    (void)rt_done; /* the fixture's completion counter: unused here */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msgid_scope__stored_for_an_offline_receiver),
        cmocka_unit_test(test_msgid_scope__live_and_acked_per_sender),
    };
    return cmocka_run_group_tests_name("integration.msgid_scope", tests, NULL, NULL);
}
