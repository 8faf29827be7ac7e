/* SPDX-License-Identifier: MIT */
/* The client against test servers that behave and misbehave: echo, close codes and the
 * reconnect rules, refusals (401, 503) with recorded backoff, a peer that stops answering
 * pings, a dropped TCP connection, the queue across a reconnect, dedupe and auto-ACK, receipts,
 * and close during backoff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_client_servers.h"

struct fx {
    wsc_loop *loop;
    struct ts_ws ws;
    struct ts_raw raw;
    struct ts_rec rec;
    wsc_client *c;
    char url[128];
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL || wsc_loop_new(&f->loop) != WSC_OK)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    wsc_client_free(f->c);
    wsc_loop_free(f->loop);
    free(f);
    return 0;
}

static wsc_client *
start_ws(struct fx *f, wsc_client_config *cfg)
{
    assert_true(ts_ws_start(&f->ws, f->loop, NULL, NULL));
    snprintf(f->url, sizeof(f->url), "ws://127.0.0.1:%d/ws", f->ws.port);
    ts_client_config(cfg, f->loop, f->url, &f->rec);
    return NULL;
}

static void
connect_client(struct fx *f, const wsc_client_config *cfg)
{
    assert_int_equal(wsc_client_new(&f->c, cfg), WSC_OK);
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_DISCONNECTED);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_ERR_STATE);
}

static void
test_client__echo_headers_and_clean_close(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    start_ws(f, &cfg);
    cfg.token = "tok.en/1";
    cfg.token_in_query = true;
    wsc_client_header h[] = {{"X-Tenant", "acme"}};
    cfg.headers = h;
    cfg.header_count = 1;
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 1, 3000));
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_CONNECTED);
    assert_string_equal(f->ws.auth[0], "Bearer tok.en/1");
    assert_string_equal(f->ws.args[0], "token=tok.en/1"); /* lws decodes %2F */
    assert_string_equal(f->ws.proto[0], "wsc.v1");

    uint64_t id = 0;
    assert_int_equal(wsc_client_send_text(f->c, "hello", 5, &id), WSC_OK);
    assert_true(id != 0);
    assert_true(ts_wait_ge(f->loop, &f->rec.texts, 1, 3000));
    assert_string_equal(f->rec.text[0], "hello");
    assert_int_equal(f->rec.sent, 1);
    assert_int_equal(f->rec.sent_ids[0], id);

    assert_int_equal(wsc_client_close(f->c, 1000, "done"), WSC_OK);
    assert_int_equal(wsc_client_close(f->c, 1000, "done"), WSC_ERR_STATE);
    assert_int_equal(f->rec.closed, 0); /* never inside the call */
    assert_true(ts_wait_ge(f->loop, &f->rec.closed, 1, 3000));
    assert_int_equal(f->rec.close_code, 1000);
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_CLOSED);
    assert_int_equal(wsc_client_send_text(f->c, "x", 1, NULL), WSC_ERR_CLOSED);
    ts_run_for(f->loop, 200);
    assert_int_equal(f->rec.reconnecting, 0);
    assert_int_equal(f->ws.conns, 1);
}

static void
check_code(int code, bool reconnects)
{
    struct fx *f = NULL;
    assert_int_equal(setup((void **)&f), 0);
    wsc_client_config cfg;
    f->ws.plan[0].close_code = code;
    f->ws.plan[1].echo = true;
    f->ws.plans = 2;
    start_ws(f, &cfg);
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.disconnected, 1, 3000));
    /* lws 4.1 reports 1012-1015 from a server as 1002 (it predates RFC 6455's registry). */
    if (code >= 1012 && code <= 1015)
        assert_int_equal(f->rec.disc_codes[0], 1002);
    else
        assert_int_equal(f->rec.disc_codes[0], code);
    if (reconnects) {
        assert_true(ts_wait_ge(f->loop, &f->rec.connected, 2, 3000));
        assert_int_equal(f->rec.reconnecting, 1);
        assert_int_equal(f->rec.attempts[0], 1);
        assert_int_equal(f->rec.closed, 0);
    } else {
        assert_true(ts_wait_ge(f->loop, &f->rec.closed, 1, 3000));
        assert_int_equal(f->rec.close_code, code);
        ts_run_for(f->loop, 150);
        assert_int_equal(f->rec.reconnecting, 0);
        assert_int_equal(f->ws.conns, 1);
    }
    teardown((void **)&f);
}

static void
test_client__reconnect_rules_by_close_code(void **state)
{
    (void)state;
    const int again[] = {1001, 1011, 1013, 4003};
    for (size_t i = 0; i < sizeof(again) / sizeof(again[0]); i++)
        check_code(again[i], true);
    const int stop[] = {1000, 1008, 4001, 4002};
    for (size_t i = 0; i < sizeof(stop) / sizeof(stop[0]); i++)
        check_code(stop[i], false);
}

static void
test_client__4004_refreshes_token(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    f->ws.plan[0].close_code = 4004;
    f->ws.plan[1].echo = true;
    f->ws.plans = 2;
    start_ws(f, &cfg);
    cfg.token = "old";
    cfg.on_token_refresh = ts_on_token_refresh;
    f->rec.refresh_token = "new";
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 2, 3000));
    assert_int_equal(f->rec.refreshes, 1);
    assert_string_equal(f->ws.auth[0], "Bearer old");
    assert_string_equal(f->ws.auth[1], "Bearer new");
}

static void
test_client__backoff_against_503(void **state)
{
    struct fx *f = *state;
    assert_true(ts_raw_start(&f->raw, f->loop, 503));
    snprintf(f->url, sizeof(f->url), "ws://127.0.0.1:%d/ws", f->raw.port);
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    cfg.reconnect.min_delay_ms = 40;
    cfg.reconnect.max_delay_ms = 250;
    cfg.reconnect.factor = 2.0;
    cfg.reconnect.max_attempts = 5;
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.closed, 1, 5000));
    assert_int_equal(f->raw.conns, 6); /* the first attempt and 5 reconnects */
    assert_int_equal(f->rec.connect_errors, 6);
    assert_int_equal(f->rec.last_http_status, 503);
    assert_int_equal(f->rec.last_connect_err, WSC_ERR_LIMIT);
    assert_int_equal(f->rec.reconnecting, 5);
    for (int i = 1; i < 6; i++) {
        uint64_t gap = f->raw.attempt_ms[i] - f->raw.attempt_ms[i - 1];
        uint64_t ceiling = 40u << i; /* min * factor^attempt */
        ceiling = ceiling > 250 ? 250 : ceiling;
        assert_int_equal(f->rec.attempts[i - 1], (unsigned)i);
        assert_in_range(f->rec.delays[i - 1], 40, ceiling);
        /* the recorded gap: at least the floor, at most the ceiling plus scheduling slack */
        assert_in_range(gap, 40 - 2, ceiling + 100);
    }
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_CLOSED);
}

static void
test_client__401_without_refresh_stops(void **state)
{
    struct fx *f = *state;
    assert_true(ts_raw_start(&f->raw, f->loop, 401));
    snprintf(f->url, sizeof(f->url), "ws://127.0.0.1:%d/ws", f->raw.port);
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.closed, 1, 3000));
    assert_int_equal(f->rec.last_http_status, 401);
    assert_int_equal(f->rec.last_connect_err, WSC_ERR_UNAUTHORIZED);
    assert_int_equal(f->rec.reconnecting, 0);
    assert_int_equal(f->raw.conns, 1);
}

static void
test_client__silent_peer_detected_by_keepalive(void **state)
{
    struct fx *f = *state;
    assert_true(ts_raw_start(&f->raw, f->loop, 0));
    snprintf(f->url, sizeof(f->url), "ws://127.0.0.1:%d/ws", f->raw.port);
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    cfg.ping_interval_ms = 100;
    cfg.pong_timeout_ms = 150;
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 1, 3000));
    uint64_t t0 = wsc__now_ms();
    assert_true(ts_wait_ge(f->loop, &f->rec.disconnected, 1, 3000));
    uint64_t took = wsc__now_ms() - t0;
    assert_int_equal(f->rec.disc_codes[0], 1006);
    assert_in_range(took, 200, 100 + 150 + 300); /* first ping + pong timeout + slack */
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 2, 3000));
}

static void
test_client__dropped_tcp_reconnects(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    f->ws.plan[0].drop_tcp = true;
    f->ws.plan[1].echo = true;
    f->ws.plans = 2;
    start_ws(f, &cfg);
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 2, 3000));
    assert_int_equal(f->rec.disc_codes[0], 1006);
}

static void
test_client__queue_order_across_reconnect(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    f->ws.plan[0].echo = false;
    f->ws.plans = 1;
    start_ws(f, &cfg);
    cfg.reconnect.min_delay_ms = 300;
    cfg.reconnect.max_delay_ms = 300;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    char buf[16];
    for (int i = 0; i < 3; i++) {
        snprintf(buf, sizeof(buf), "m%d", i);
        assert_int_equal(wsc_client_send_text(f->c, buf, strlen(buf), NULL), WSC_OK);
    }
    assert_int_equal(wsc_client_queue_count(f->c), 3);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->ws.received, 3, 3000));
    /* The server closes with 1001; what is sent while reconnecting waits and leaves in order. */
    ts_ws_kick(&f->ws, 1001);
    assert_true(ts_wait_ge(f->loop, &f->rec.disconnected, 1, 3000));
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_RECONNECTING);
    for (int i = 3; i < 8; i++) {
        snprintf(buf, sizeof(buf), "m%d", i);
        assert_int_equal(wsc_client_send_text(f->c, buf, strlen(buf), NULL), WSC_OK);
    }
    assert_int_equal(wsc_client_queue_count(f->c), 5);
    assert_true(ts_wait_ge(f->loop, &f->ws.received, 8, 3000));
    for (int i = 0; i < 8; i++) {
        snprintf(buf, sizeof(buf), "m%d", i);
        assert_string_equal(f->ws.rx[i], buf);
    }
    assert_int_equal(f->ws.established, 2);
    assert_int_equal(f->rec.failed, 0);
    assert_int_equal(f->rec.sent, 8);
}

static void
test_client__queue_full_and_final_close_reports_all(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    start_ws(f, &cfg);
    cfg.queue_max_count = 3;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    uint64_t ids[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(wsc_client_send_text(f->c, "x", 1, &ids[i]), WSC_OK);
    assert_int_equal(wsc_client_send_text(f->c, "x", 1, NULL), WSC_ERR_QUEUE_FULL);
    assert_int_equal(wsc_client_send_binary(f->c, "x", 1, NULL), WSC_ERR_QUEUE_FULL);
    assert_int_equal(wsc_client_close(f->c, 1000, NULL), WSC_OK);
    assert_int_equal(f->rec.failed, 0);
    assert_true(ts_wait_ge(f->loop, &f->rec.closed, 1, 3000));
    assert_int_equal(f->rec.failed, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(f->rec.failed_ids[i], ids[i]);
        assert_int_equal(f->rec.failed_reason[i], WSC_ERR_CLOSED);
    }
}

#define HUB_MSG(id, ack)                                                                          \
    "{\"message_id\":\"" id "\",\"message_type\":\"text\",\"content\":\"c\",\"require_ack\":" ack \
    "}"

static void
test_client__auto_ack_and_dedupe(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    f->ws.plan[0].frames[0] = "{\"message_type\":\"connected\",\"data\":{\"user_id\":\"u\"}}";
    f->ws.plan[0].frames[1] = HUB_MSG("m1", "true");
    f->ws.plan[0].frames[2] = HUB_MSG("m1", "true");
    f->ws.plan[0].frames[3] = HUB_MSG("m2", "false");
    f->ws.plan[1].frames[0] = HUB_MSG("m1", "true"); /* replayed after the reconnect */
    f->ws.plan[1].frames[1] = HUB_MSG("m3", "true");
    f->ws.plans = 2;
    start_ws(f, &cfg);
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->ws.acks, 2, 3000));
    ts_ws_kick(&f->ws, 1001);
    assert_true(ts_wait_ge(f->loop, &f->ws.acks, 4, 3000));
    ts_run_for(f->loop, 100);
    /* connected, m1, m2, m3: each once */
    assert_int_equal(f->rec.messages, 4);
    assert_int_equal(f->rec.texts, 4);
    assert_string_equal(f->rec.msg_ids[1], "m1");
    assert_string_equal(f->rec.msg_ids[2], "m2");
    assert_string_equal(f->rec.msg_ids[3], "m3");
    /* every copy with require_ack was ACKed (the hub resends when an ACK is lost) */
    assert_int_equal(f->ws.acks, 4);
    assert_non_null(strstr(f->ws.rx[0], "\"message_id\":\"m1\""));
    assert_non_null(strstr(f->ws.rx[0], "\"message_type\":\"ack\""));
}

static void
test_client__no_auto_ack_when_disabled(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    f->ws.plan[0].frames[0] = HUB_MSG("m1", "true");
    f->ws.plans = 1;
    start_ws(f, &cfg);
    cfg.auto_ack = false;
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.messages, 1, 3000));
    ts_run_for(f->loop, 100);
    assert_int_equal(f->ws.acks, 0);
}

static void
test_client__receipt_after_resend(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    f->ws.plan[0].ack_receipts_after = 2; /* ignore the first copy */
    f->ws.plan[0].ack_status = "stored";
    f->ws.plans = 1;
    start_ws(f, &cfg);
    cfg.ack_timeout_ms = 100;
    connect_client(f, &cfg);
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "hi"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_RECEIVER, "bob"), WSC_OK);
    assert_int_equal(wsc_msg_set_require_ack(m, true), WSC_OK);
    assert_int_equal(wsc_client_send_msg(f->c, m, NULL), WSC_OK);
    assert_non_null(wsc_msg_get(m, WSC_F_MESSAGE_ID));
    assert_true(ts_wait_ge(f->loop, &f->rec.receipts, 1, 3000));
    assert_int_equal(f->rec.receipt_status, WSC_OK);
    assert_string_equal(f->rec.receipt_hub_status, "stored");
    assert_int_equal(f->ws.receipt_copies, 2);
    char want[96];
    snprintf(want, sizeof(want), "\"message_id\":\"%s\"", wsc_msg_get(m, WSC_F_MESSAGE_ID));
    assert_non_null(strstr(f->ws.rx[0], want));
    assert_non_null(strstr(f->ws.rx[1], want));
    assert_int_equal(f->rec.sent, 1); /* a resend is not a new send */
    assert_int_equal(wsc_client_receipts_pending(f->c), 0);
    wsc_msg_unref(m);
}

static void
test_client__receipt_timeout(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    f->ws.plans = 1; /* plan 0: neither echo nor ack */
    start_ws(f, &cfg);
    cfg.ack_timeout_ms = 50;
    cfg.ack_max_retries = 2;
    connect_client(f, &cfg);
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "hi"), WSC_OK);
    assert_int_equal(wsc_msg_set_require_ack(m, true), WSC_OK);
    assert_int_equal(wsc_client_send_msg(f->c, m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_true(ts_wait_ge(f->loop, &f->rec.receipts, 1, 3000));
    assert_int_equal(f->rec.receipt_status, WSC_ERR_TIMEOUT);
    assert_int_equal(f->ws.receipt_copies, 3);
}

static void
test_client__close_during_backoff_is_immediate(void **state)
{
    struct fx *f = *state;
    assert_true(ts_raw_start(&f->raw, f->loop, 503));
    snprintf(f->url, sizeof(f->url), "ws://127.0.0.1:%d/ws", f->raw.port);
    wsc_client_config cfg;
    ts_client_config(&cfg, f->loop, f->url, &f->rec);
    cfg.reconnect.min_delay_ms = 5000;
    cfg.reconnect.max_delay_ms = 10000;
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.reconnecting, 1, 3000));
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_RECONNECTING);
    uint64_t t0 = wsc__now_ms();
    assert_int_equal(wsc_client_close(f->c, 1000, "bye"), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.closed, 1, 1000));
    assert_true(wsc__now_ms() - t0 < 500);
    assert_int_equal(f->raw.conns, 1);
}

static void
test_client__large_message_and_free_in_callback(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    start_ws(f, &cfg);
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 1, 3000));
    /* 200 KB in one frame: the echo server answers only the first bytes, but the client
     * writes it whole and the server reassembles... enough to show it leaves. */
    size_t n = 200 * 1024;
    char *big = malloc(n);
    memset(big, 'a', n);
    assert_int_equal(wsc_client_send_text(f->c, big, n, NULL), WSC_OK);
    free(big);
    assert_true(ts_wait_ge(f->loop, &f->rec.sent, 1, 3000));
    f->rec.free_on_text = true;
    assert_int_equal(wsc_client_send_text(f->c, "bye", 3, NULL), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.texts, 1, 3000));
    f->c = NULL; /* freed inside on_text */
    ts_run_for(f->loop, 50);
}

/* A message above max_message_size: the client closes with 1009 ("message too big"), drops
 * it unseen, and connects again (a later connection may do better). */
static void
test_client__too_big_message_closes_1009(void **state)
{
    struct fx *f = *state;
    static char big[2049];
    memset(big, 'b', sizeof(big) - 1);
    f->ws.plan[0].frames[0] = big;
    f->ws.plan[1].echo = true;
    f->ws.plans = 2;
    wsc_client_config cfg;
    start_ws(f, &cfg);
    cfg.max_message_size = 1024;
    connect_client(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->rec.disconnected, 1, 3000));
    assert_int_equal(f->rec.disc_codes[0], 1009);
    assert_int_equal(f->rec.texts, 0);
    assert_true(ts_wait_ge(f->loop, &f->rec.connected, 2, 3000));
    assert_int_equal(f->rec.closed, 0);
    assert_int_equal(wsc_client_send_text(f->c, "again", 5, NULL), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->rec.texts, 1, 3000));
    assert_string_equal(f->rec.text[0], "again");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_client__echo_headers_and_clean_close, setup, teardown),
        cmocka_unit_test(test_client__reconnect_rules_by_close_code),
        cmocka_unit_test_setup_teardown(test_client__4004_refreshes_token, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__backoff_against_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__401_without_refresh_stops, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__silent_peer_detected_by_keepalive, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client__dropped_tcp_reconnects, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__queue_order_across_reconnect, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__queue_full_and_final_close_reports_all, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client__auto_ack_and_dedupe, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__no_auto_ack_when_disabled, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__receipt_after_resend, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__receipt_timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__close_during_backoff_is_immediate, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_client__too_big_message_closes_1009, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client__large_message_and_free_in_callback, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.client_misbehave", tests, NULL, NULL);
}
