/* SPDX-License-Identifier: MIT */
/* The SSE transport through the library's C API (PROTOCOL.md §6; the wire-level checks against
 * the real wsc-hub are in tests/interop/sse_clients.py): an event stream is a connection like a
 * WebSocket one for the API (on_connect, stats.connections and connections_sse, sends to the
 * user), a binary send to it fails with WSC_ERR_UNSUPPORTED exactly once, a client id shared
 * with a WebSocket replaces it, close ends the stream with one disconnect; and the config
 * checks of sse_path and sse_ping_interval_ms. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "thub.h"
#include "tnet.h"
#include "tsse.h"

static void
test_stream_is_a_connection(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.sse_ping_interval_ms = 50;
    thub_start(&t, &cfg);
    tsse s;
    tsse_open(&t, &s, "user_id=sam&client_id=tab", NULL);
    assert_true(tsse_wait(&t, &s, "event: connected", 2000));
    assert_true(tsse_wait(&t, &s, "text/event-stream", 0));
    assert_true(thub_wait_ge(&t, &t.connects, 1, 2000));
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.connections_sse, 1);
    assert_true(tsse_wait(&t, &s, ": ping\n\n", 2000));

    /* A text send reaches the stream as an event; a binary one cannot. */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new(&m), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, "api-1"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_CONTENT, "hello"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user(t.hub, "sam", m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_true(tsse_wait(&t, &s, "id: api-1\nevent: text\ndata: {", 2000));
    size_t failed = t.failed;
    size_t queued = 1;
    wsc_hub_send_binary_to_user(t.hub, "sam", "\x01\x02", 2, &queued);
    assert_int_equal(queued, 0);
    assert_true(thub_wait_ge(&t, &t.failed, failed + 1, 2000));
    assert_int_equal(t.fails[failed].why, WSC_ERR_UNSUPPORTED);
    thub_run_for(&t, 50);
    assert_int_equal(t.failed, failed + 1);

    /* A WebSocket with the same client id replaces the stream, which ends. */
    tws *ws = thub_open(&t, "sam", "client_id=tab");
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 2000));
    assert_int_equal(t.disc[0].code, 4002);
    assert_false(tsse_wait(&t, &s, "never", 2000));
    assert_true(s.eof);
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.connections, 1);
    assert_int_equal(st.connections_sse, 0);
    (void)ws;
    tsse_close(&s);
    thub_free(&t);
}

static void
test_config_checks(void **state)
{
    (void)state;
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    assert_string_equal(cfg.sse_path, "/sse");
    assert_int_equal(cfg.sse_ping_interval_ms, 15000);
    cfg.port = 0;
    cfg.sse_path = "/ws";
    wsc_hub *hub = NULL;
    assert_int_equal(wsc_hub_new(&hub, &cfg), WSC_ERR_INVALID);
    cfg.sse_path = "sse";
    assert_int_equal(wsc_hub_new(&hub, &cfg), WSC_ERR_INVALID);
    cfg.sse_path = "/sse";
    cfg.sse_ping_interval_ms = 0;
    assert_int_equal(wsc_hub_new(&hub, &cfg), WSC_ERR_INVALID);
    assert_null(hub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stream_is_a_connection),
        cmocka_unit_test(test_config_checks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
