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

struct peer {
    wsc_client *c;
    size_t connected, messages, closes, reconnecting, receipts;
    int close_code;
    char last_sender[64], last_content[128], receipt_status[32];
};

static void
on_connected(wsc_client *c, void *user)
{
    (void)c;
    ((struct peer *)user)->connected++;
}

static void
on_message(wsc_client *c, wsc_msg *msg, void *user)
{
    (void)c;
    struct peer *p = user;
    /* The client hands every hub frame to on_message, control frames included. */
    const char *type = wsc_msg_get(msg, WSC_F_TYPE);
    if (strcmp(type, "connected") == 0 || strcmp(type, "ack") == 0 || strcmp(type, "pong") == 0)
        return;
    p->messages++;
    const char *s = wsc_msg_get(msg, WSC_F_SENDER), *content = wsc_msg_get(msg, WSC_F_CONTENT);
    snprintf(p->last_sender, sizeof(p->last_sender), "%s", s ? s : "");
    snprintf(p->last_content, sizeof(p->last_content), "%s", content ? content : "");
}

static void
on_close(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    struct peer *p = user;
    p->closes++;
    p->close_code = code;
}

static void
on_reconnecting(wsc_client *c, unsigned attempt, uint64_t delay_ms, void *user)
{
    (void)c;
    (void)attempt;
    (void)delay_ms;
    ((struct peer *)user)->reconnecting++;
}

static void
on_receipt(wsc_client *c, uint64_t id, const wsc_msg *msg, wsc_err status, const char *hub_status,
           void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    (void)status;
    struct peer *p = user;
    p->receipts++;
    snprintf(p->receipt_status, sizeof(p->receipt_status), "%s", hub_status ? hub_status : "");
}

static void
peer_start(thub *t, struct peer *p, const char *user)
{
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?user_id=%s&client_id=%s-dev", t->port, user,
             user);
    memset(p, 0, sizeof(*p));
    wsc_client_config cc;
    wsc_client_config_init(&cc);
    cc.url = url;
    cc.loop = t->loop;
    cc.reconnect.min_delay_ms = 20;
    cc.reconnect.max_delay_ms = 50;
    cc.ack_timeout_ms = 200;
    cc.on_connected = on_connected;
    cc.on_message = on_message;
    cc.on_close = on_close;
    cc.on_reconnecting = on_reconnecting;
    cc.on_receipt = on_receipt;
    cc.user = p;
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
    struct peer a, b;
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
    struct peer b;
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
    struct peer a, b;
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
