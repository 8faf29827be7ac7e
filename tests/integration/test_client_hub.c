/* SPDX-License-Identifier: MIT */
/* The C client against the real hub on one loop: connect, p2p through the hub, auto-ACK and
 * dedupe of require_ack messages, receipts on the client's own sends, kick (4001: no
 * reconnect), hub shutdown (1001: reconnect). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"
#include "tpeer.h"

static void
peer_start(thub *t, tpeer *p, const char *user)
{
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?user_id=%s&client_id=%s-dev", t->port, user,
             user);
    memset(p, 0, sizeof(*p));
    wsc_client_config cc;
    tpeer_config(&cc, url, p);
    cc.loop = t->loop;
    cc.reconnect.min_delay_ms = 20;
    cc.reconnect.max_delay_ms = 50;
    cc.ack_timeout_ms = 200;
    assert_int_equal(wsc_client_new(&p->c, &cc), WSC_OK);
    assert_int_equal(wsc_client_connect(p->c), WSC_OK);
    assert_true(thub_wait_ge(t, &p->connected, 1, 3000));
}

static void
test_client_hub__p2p_through_the_hub(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tpeer a, b;
    peer_start(&t, &a, "alice");
    peer_start(&t, &b, "bob");
    assert_true(wsc_hub_is_online(t.hub, "alice"));
    const char *hi = "{\"receiver\":\"bob\",\"content\":\"hi bob\",\"sender\":\"mallory\"}";
    assert_int_equal(wsc_client_send_text(a.c, hi, strlen(hi), NULL), WSC_OK);
    assert_true(thub_wait_ge(&t, &b.messages, 1, 3000));
    assert_string_equal(b.last_sender, "alice");
    assert_string_equal(b.last_content, "hi bob");

    /* A receipt for the client's own send: the hub answers "delivered". */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "with receipt"), WSC_OK);
    wsc_msg_set(m, WSC_F_RECEIVER, "bob");
    wsc_msg_set(m, WSC_F_MESSAGE_ID, "r-1");
    wsc_msg_set_require_ack(m, true);
    assert_int_equal(wsc_client_send_msg(a.c, m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_true(thub_wait_ge(&t, &a.receipts, 1, 3000));
    assert_string_equal(a.receipt_status, "delivered");
    assert_true(thub_wait_ge(&t, &b.messages, 2, 3000));
    wsc_client_free(a.c);
    wsc_client_free(b.c);
    thub_free(&t);
}

static void
test_client_hub__require_ack_is_acked_and_deduped(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tpeer b;
    peer_start(&t, &b, "bob");
    for (int i = 0; i < 3; i++) {
        wsc_msg *m = NULL;
        assert_int_equal(wsc_msg_new_text(&m, "notice", "once"), WSC_OK);
        wsc_msg_set(m, WSC_F_MESSAGE_ID, "dup-1");
        wsc_msg_set_require_ack(m, true);
        assert_int_equal(wsc_hub_send_to_user(t.hub, "bob", m, NULL), WSC_OK);
        wsc_msg_unref(m);
    }
    /* Wait until the hub has written all three copies, then give the client time to read
     * them: the application must have seen the message once. */
    wsc_hub_stats st;
    for (int i = 0; i < 100; i++) {
        thub_run_for(&t, 10);
        wsc_hub_get_stats(t.hub, &st);
        if (st.messages_out >= 4) /* connected + 3 */
            break;
    }
    thub_run_for(&t, 50);
    assert_int_equal(b.messages, 1);
    assert_string_equal(b.last_content, "once");
    /* The same message_id from another sender is another message (PROTOCOL.md §2). */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "notice", "other sender"), WSC_OK);
    wsc_msg_set(m, WSC_F_MESSAGE_ID, "dup-1");
    wsc_msg_set(m, WSC_F_SENDER, "carol");
    wsc_msg_set_require_ack(m, true);
    assert_int_equal(wsc_hub_send_to_user(t.hub, "bob", m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_true(thub_wait_ge(&t, &b.messages, 2, 3000));
    assert_string_equal(b.last_content, "other sender");
    wsc_client_free(b.c);
    thub_free(&t);
}

static void
test_client_hub__kick_is_final_and_shutdown_reconnects(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tpeer a, b;
    peer_start(&t, &a, "alice");
    peer_start(&t, &b, "bob");
    size_t kicked = 0;
    assert_int_equal(wsc_hub_kick_user(t.hub, "bob", "bye", &kicked), WSC_OK);
    assert_int_equal(kicked, 1);
    assert_true(thub_wait_ge(&t, &b.closes, 1, 3000));
    assert_int_equal(b.close_code, 4001);
    assert_int_equal(wsc_client_state_get(b.c), WSC_CLIENT_CLOSED);
    assert_int_equal(b.reconnecting, 0);

    wsc_hub_stop(t.hub);
    assert_true(thub_wait_ge(&t, &a.reconnecting, 1, 3000));
    assert_int_equal(a.closes, 0);
    assert_true(wsc_hub_is_stopped(t.hub));
    wsc_client_free(a.c);
    wsc_client_free(b.c);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_hub__p2p_through_the_hub),
        cmocka_unit_test(test_client_hub__require_ack_is_acked_and_deduped),
        cmocka_unit_test(test_client_hub__kick_is_final_and_shutdown_reconnects),
    };
    return cmocka_run_group_tests_name("integration.client_hub", tests, NULL, NULL);
}
