/* SPDX-License-Identifier: MIT */
/* ACK sends to several receivers made on the loop thread (integration.reliability_many):
 * wsc_hub_send_to_users_ack and wsc_hub_send_to_group_ack (docs/reliability.md).  One message,
 * one message_id, one completion per receiver and never inside the call: online receivers
 * that ACK end ACKED, an offline one STORED, a user named twice FAILED/EXISTS once; a group send
 * skips exclude_user; bad arguments and a stopping hub are refused at the call with nothing
 * started and no completion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#include "test_reliability_util.h"

/* The next app message of c: the message_id the send gave it (copied into mid). */
static void
expect_ack_msg(struct rt *t, tws *c, char *mid, size_t cap)
{
    json_t *j = rt_next_app(t, c, 3000);
    assert_non_null(j);
    assert_true(tjson_bool(j, "require_ack", false));
    assert_string_equal(tjson_str(j, "content"), "to many");
    snprintf(mid, cap, "%s", tjson_str(j, "message_id"));
    json_decref(j);
}

static void
test_many__users_ack_on_the_loop(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *c1 = rt_connect(&t, "u1"), *c2 = rt_connect(&t, "u2");
    assert_non_null(c1);
    assert_non_null(c2);
    wsc_msg *m = rt_msg(NULL, "to many"); /* no message_id: the send makes one */
    const char *users[] = {"u1", "u2", "u1", "ghost"};
    size_t started = 99;
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, users, 4, m, NULL, rt_done, &t, &started),
                     WSC_OK);
    assert_int_equal(started, 3);  /* u1's second entry is already pending */
    assert_int_equal(t.n_done, 0); /* never inside the call */
    char mid1[64], mid2[64];
    expect_ack_msg(&t, c1, mid1, sizeof(mid1));
    expect_ack_msg(&t, c2, mid2, sizeof(mid2));
    assert_string_equal(mid1, mid2);
    assert_string_equal(mid1, wsc_msg_get(m, WSC_F_MESSAGE_ID)); /* set on the caller's msg */
    rt_ack(c1, mid1);
    rt_ack(c2, mid2);
    assert_true(rt_wait_done(&t, 4, 3000));
    assert_int_equal(t.outcomes[WSC_DELIVERY_ACKED], 2);
    assert_int_equal(t.outcomes[WSC_DELIVERY_STORED], 1);
    assert_int_equal(t.outcomes[WSC_DELIVERY_FAILED], 1);
    assert_int_equal(rt_offline_count(&t, "ghost"), 1);
    assert_int_equal(rt_record_state(&t, mid1, "u1"), WSC_REC_ACKED);
    assert_int_equal(rt_record_state(&t, mid1, "u2"), WSC_REC_ACKED);
    /* Nothing more: one completion per receiver. */
    for (int k = 0; k < 20; k++)
        wsc_loop_run_once(t.loop, 5);
    assert_int_equal(t.n_done, 4);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static void
test_many__group_ack_on_the_loop(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    tws *c1 = rt_connect(&t, "u1"), *c2 = rt_connect(&t, "u2");
    assert_non_null(c1);
    assert_non_null(c2);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "u1"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "u2"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "away"), WSC_OK);
    wsc_msg *m = rt_msg("gm1", "to many");
    size_t started = 0;
    assert_int_equal(wsc_hub_send_to_group_ack(t.hub, "g", m, "u2", NULL, rt_done, &t, &started),
                     WSC_OK);
    assert_int_equal(started, 2); /* u1 and away; u2 excluded */
    char mid[64];
    expect_ack_msg(&t, c1, mid, sizeof(mid));
    assert_string_equal(mid, "gm1");
    rt_ack(c1, mid);
    assert_true(rt_wait_done(&t, 2, 3000));
    assert_int_equal(t.outcomes[WSC_DELIVERY_ACKED], 1);
    assert_int_equal(t.outcomes[WSC_DELIVERY_STORED], 1);
    assert_int_equal(rt_offline_count(&t, "away"), 1);
    /* u2 got nothing: the next message it reads is one sent after. */
    wsc_msg *marker = rt_msg(NULL, "marker");
    assert_int_equal(wsc_hub_send_to_user(t.hub, "u2", marker, NULL), WSC_OK);
    wsc_msg_unref(marker);
    json_t *j = rt_next_app(&t, c2, 3000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "content"), "marker");
    json_decref(j);
    /* An unknown group has no member: nothing started, no completion. */
    assert_int_equal(
        wsc_hub_send_to_group_ack(t.hub, "nogroup", m, NULL, NULL, rt_done, &t, &started), WSC_OK);
    assert_int_equal(started, 0);
    for (int k = 0; k < 10; k++)
        wsc_loop_run_once(t.loop, 5);
    assert_int_equal(t.n_done, 2);
    wsc_msg_unref(m);
    rt_stop(&t);
}

static void
test_many__refused_at_the_call(void **state)
{
    (void)state;
    struct rt t = {0};
    assert_int_equal(rt_start(&t, 3), WSC_OK);
    wsc_msg *m = rt_msg("r1", "to many");
    size_t started = 99;
    const char *empty[] = {"u1", ""};
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, empty, 2, m, NULL, rt_done, &t, &started),
                     WSC_ERR_INVALID);
    assert_int_equal(started, 0);
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, NULL, 1, m, NULL, rt_done, &t, &started),
                     WSC_ERR_INVALID);
    wsc_ack_opts bad;
    rt_fast_ack(&bad, 3);
    bad.backoff_factor = 0.5; /* a backoff that shrinks */
    const char *one[] = {"u1"};
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, one, 1, m, &bad, rt_done, &t, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_group_ack(t.hub, NULL, m, NULL, NULL, rt_done, &t, &started),
                     WSC_ERR_INVALID);
    wsc_msg *bin = NULL;
    assert_int_equal(wsc_msg_new_binary(&bin, "\x01\x02", 2), WSC_OK);
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, one, 1, bin, NULL, rt_done, &t, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_group_ack(t.hub, "g", bin, NULL, NULL, rt_done, &t, NULL),
                     WSC_ERR_INVALID);
    /* A stopping hub takes no new ACK send. */
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "u1"), WSC_OK);
    wsc_hub_stop(t.hub);
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, one, 1, m, NULL, rt_done, &t, &started),
                     WSC_ERR_STATE);
    assert_int_equal(started, 0);
    assert_int_equal(wsc_hub_send_to_group_ack(t.hub, "g", m, NULL, NULL, rt_done, &t, &started),
                     WSC_ERR_STATE);
    for (int k = 0; k < 10; k++)
        wsc_loop_run_once(t.loop, 5);
    assert_int_equal(t.n_done, 0);
    wsc_msg_unref(bin);
    wsc_msg_unref(m);
    rt_stop(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_many__users_ack_on_the_loop),
        cmocka_unit_test(test_many__group_ack_on_the_loop),
        cmocka_unit_test(test_many__refused_at_the_call),
    };
    return cmocka_run_group_tests_name("integration.reliability_many", tests, NULL, NULL);
}
