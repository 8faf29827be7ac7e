/* SPDX-License-Identifier: MIT */
/* A client group message with require_ack is tracked per member (PROTOCOL.md §3, issue 4):
 * an online member that ACKs is done, an online member that never ACKs gets resends and is
 * finally stored, an offline member is stored at once; the sender's receipt says "delivered"
 * (queued to at least one member), or "stored" when every member is offline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_reliability_util.h"

static void
send_text(tws *c, const char *text)
{
    assert_int_equal(tws_send_text(c, text, strlen(text)), 0);
}

static void
expect_receipt(struct rt *t, tws *c, const char *mid, const char *status)
{
    json_t *j = rt_next_app(t, c, 2000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "message_type"), "ack");
    assert_string_equal(tjson_str(j, "message_id"), mid);
    json_t *data = json_object_get(j, "data");
    assert_string_equal(json_string_value(json_object_get(data, "status")), status);
    json_decref(j);
}

static bool
pending_zero(void *arg)
{
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(((struct rt *)arg)->hub, &st);
    return st.pending == 0;
}

static void
test_groups__client_require_ack_tracked_per_member(void **state)
{
    (void)state;
    struct rt t = {0};
    (void)rt_done; /* shared fixture: this file needs no completion callback */
    assert_int_equal(rt_start(&t, 2), WSC_OK);
    tws *snd = rt_connect(&t, "snd");
    tws *good = rt_connect(&t, "good");
    tws *mute = rt_connect(&t, "mute");
    assert_non_null(snd);
    assert_non_null(good);
    assert_non_null(mute);
    const char *members[] = {"snd", "good", "mute", "away"};
    for (int i = 0; i < 4; i++)
        assert_int_equal(wsc_hub_group_join(t.hub, "g", members[i]), WSC_OK);
    send_text(snd, "{\"message_type\":\"text\",\"group_ids\":[\"g\"],\"message_id\":\"gm1\","
                   "\"require_ack\":true,\"content\":\"hi\"}");
    expect_receipt(&t, snd, "gm1", "delivered");
    json_t *j = rt_next_app(&t, good, 2000);
    assert_string_equal(tjson_str(j, "message_id"), "gm1");
    json_decref(j);
    rt_ack(good, "gm1");
    /* mute reads every copy (first send + 2 resends) and never ACKs */
    for (int i = 0; i < 3; i++) {
        j = rt_next_app(&t, mute, 2000);
        assert_non_null(j);
        assert_string_equal(tjson_str(j, "message_id"), "gm1");
        json_decref(j);
    }
    assert_true(twait_until(t.ts, t.loop, pending_zero, &t, 3000));
    assert_int_equal(rt_record_state(&t, "gm1", "good"), WSC_REC_ACKED);
    assert_int_equal(rt_record_state(&t, "gm1", "mute"), WSC_REC_STORED);
    assert_int_equal(rt_record_state(&t, "gm1", "away"), WSC_REC_STORED);
    assert_int_equal(rt_record_state(&t, "gm1", "snd"), -1); /* the sender is not a receiver */
    assert_int_equal(rt_offline_count(&t, "mute"), 1);
    assert_int_equal(rt_offline_count(&t, "away"), 1);
    /* every member offline: the receipt says stored */
    rt_drop(&t, good);
    rt_drop(&t, mute);
    wsc_hub_group_leave(t.hub, "g", "good");
    wsc_hub_group_leave(t.hub, "g", "mute");
    send_text(snd, "{\"message_type\":\"text\",\"group_ids\":[\"g\"],\"message_id\":\"gm2\","
                   "\"require_ack\":true,\"content\":\"anyone?\"}");
    expect_receipt(&t, snd, "gm2", "stored");
    assert_true(twait_until(t.ts, t.loop, pending_zero, &t, 3000));
    assert_int_equal(rt_offline_count(&t, "away"), 2);
    rt_stop(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_groups__client_require_ack_tracked_per_member),
    };
    return cmocka_run_group_tests_name("integration.reliability_groups", tests, NULL, NULL);
}
