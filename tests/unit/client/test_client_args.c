/* SPDX-License-Identifier: MIT */
/* The client's public API refuses bad input with the documented error and no side effect, and
 * answers the queries of a client that never connected (unit.client.client_args; no network:
 * nothing connects before wsc_client_connect, and a close before that stops at once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "models/alloc.h"
#include "models/msg_internal.h"

static wsc_client_config
config(void)
{
    wsc_client_config cfg;
    wsc_client_config_init(&cfg);
    cfg.url = "ws://127.0.0.1:9/ws";
    cfg.log.level = WSC_LOG_ERROR;
    return cfg;
}

static void
refused(const wsc_client_config *cfg)
{
    wsc_client *c = (wsc_client *)&c; /* must be reset to NULL */
    assert_int_equal(wsc_client_new(&c, cfg), WSC_ERR_INVALID);
    assert_null(c);
}

static void
test_client_args__bad_configs(void **state)
{
    (void)state;
    assert_int_equal(wsc_client_new(NULL, NULL), WSC_ERR_INVALID);
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, NULL), WSC_ERR_INVALID);
    wsc_client_config cfg = config();
    cfg.url = NULL;
    refused(&cfg);
    const char *bad_urls[] = {"http://127.0.0.1/ws", "ws://",        "ws://:80/", "ws://h:0/",
                              "ws://h:70000/",       "127.0.0.1:80", ""};
    for (size_t i = 0; i < sizeof(bad_urls) / sizeof(bad_urls[0]); i++) {
        cfg = config();
        cfg.url = bad_urls[i];
        refused(&cfg);
    }
    cfg = config();
    cfg.max_message_size = 0;
    refused(&cfg);
    cfg = config();
    cfg.queue_max_count = 0;
    refused(&cfg);
    cfg = config();
    cfg.queue_max_bytes = 0;
    refused(&cfg);
    cfg = config();
    cfg.reconnect.enabled = true;
    cfg.reconnect.min_delay_ms = 0;
    refused(&cfg);
    cfg = config();
    cfg.ping_interval_ms = 1000;
    cfg.pong_timeout_ms = 0;
    refused(&cfg);
    /* Headers: a count without an array, a name with ':' or a line break, a value with one. */
    cfg = config();
    cfg.header_count = 1;
    refused(&cfg);
    const wsc_client_header bad_headers[][1] = {{{"X-A:b", "v"}},
                                                {{"X-A\r\nX-B", "v"}},
                                                {{"X-A", "v\r\nX-B: w"}},
                                                {{NULL, "v"}},
                                                {{"X-A", NULL}}};
    for (size_t i = 0; i < sizeof(bad_headers) / sizeof(bad_headers[0]); i++) {
        cfg = config();
        cfg.headers = bad_headers[i];
        cfg.header_count = 1;
        refused(&cfg);
    }
}

static void
test_client_args__calls_on_a_client_that_never_connected(void **state)
{
    (void)state;
    wsc_client_config cfg = config();
    const wsc_client_header ok[] = {{"X-Trace", "abc"}};
    cfg.headers = ok;
    cfg.header_count = 1;
    cfg.token = "t0";
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_state_get(c), WSC_CLIENT_DISCONNECTED);
    assert_string_equal(wsc_client_state_name(wsc_client_state_get(c)), "disconnected");
    assert_string_equal(wsc_client_last_error(c), "");
    assert_non_null(wsc_client_loop(c));
    assert_int_equal(wsc_client_queue_count(c), 0);
    assert_int_equal(wsc_client_receipts_pending(c), 0);
    assert_int_equal(wsc_client_set_token(c, "t1"), WSC_OK);
    assert_int_equal(wsc_client_set_token(c, NULL), WSC_OK);
    /* Sends before the first connect are queued (they survive until a connection). */
    uint64_t id = 0;
    assert_int_equal(wsc_client_send_text(c, "{\"a\":1}", 7, &id), WSC_OK);
    assert_int_not_equal(id, 0);
    assert_int_equal(wsc_client_queue_count(c), 1);
    /* Too large: refused, nothing queued. */
    static char big[(1 << 20) + 1];
    memset(big, 'x', sizeof(big));
    assert_int_equal(wsc_client_send_binary(c, big, sizeof(big), NULL), WSC_ERR_TOO_LARGE);
    assert_int_equal(wsc_client_queue_count(c), 1);
    /* Bad close codes and reasons. */
    assert_int_equal(wsc_client_close(c, 1001, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_close(c, 2999, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_close(c, 5000, NULL), WSC_ERR_INVALID);
    char reason[125];
    memset(reason, 'r', sizeof(reason) - 1);
    reason[sizeof(reason) - 1] = '\0';
    assert_int_equal(wsc_client_close(c, 1000, reason), WSC_ERR_INVALID);
    /* Closed before connecting: at once; then every call answers that it is closed. */
    assert_int_equal(wsc_client_close(c, 4000, "bye"), WSC_OK);
    assert_int_equal(wsc_client_state_get(c), WSC_CLIENT_CLOSED);
    assert_int_equal(wsc_client_close(c, 1000, NULL), WSC_ERR_STATE);
    assert_int_equal(wsc_client_connect(c), WSC_ERR_STATE);
    assert_int_equal(wsc_client_send_text(c, "x", 1, NULL), WSC_ERR_CLOSED);
    assert_int_equal(wsc_client_run(c), WSC_OK); /* its own loop, already closed: returns */
    wsc_client_stop(c);
    wsc_client_free(c);
}

static void
test_client_args__null_client(void **state)
{
    (void)state;
    assert_int_equal(wsc_client_connect(NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_close(NULL, 1000, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_state_get(NULL), WSC_CLIENT_CLOSED);
    assert_int_equal(wsc_client_set_token(NULL, "t"), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_queue_count(NULL), 0);
    assert_int_equal(wsc_client_receipts_pending(NULL), 0);
    assert_null(wsc_client_loop(NULL));
    assert_int_equal(wsc_client_run(NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_send_text(NULL, "x", 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_send_binary(NULL, "x", 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_send_msg(NULL, NULL, NULL), WSC_ERR_INVALID);
    assert_non_null(wsc_client_last_error(NULL));
    wsc_client_stop(NULL);
    wsc_client_free(NULL);
    wsc_client_config_init(NULL); /* ignored */
    /* Every state has a name. */
    const wsc_client_state states[] = {WSC_CLIENT_DISCONNECTED, WSC_CLIENT_CONNECTING,
                                       WSC_CLIENT_CONNECTED, WSC_CLIENT_RECONNECTING,
                                       WSC_CLIENT_CLOSED};
    for (size_t i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
        const char *name = wsc_client_state_name(states[i]);
        assert_non_null(name);
        assert_true(name[0] != '\0' && strcmp(name, "unknown") != 0);
    }
    assert_non_null(wsc_client_state_name((wsc_client_state)99));
}

static void
test_client_args__run_on_a_given_loop_is_refused(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_client_config cfg = config();
    cfg.loop = loop;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cfg), WSC_OK);
    assert_ptr_equal(wsc_client_loop(c), loop);
    assert_int_equal(wsc_client_run(c), WSC_ERR_STATE);
    wsc_client_free(c);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(loop, 1);
    wsc_loop_free(loop);
}

/* Bad arguments to the send family: no data with a length, no message, a message larger than
 * max_message_size once encoded, a frozen message with require_ack but no message_id.  Nothing
 * is queued; an empty text is a valid frame. */
static void
test_client_args__bad_sends(void **state)
{
    (void)state;
    wsc_client_config cfg = config();
    cfg.max_message_size = 64;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_send_text(c, NULL, 5, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_send_binary(c, NULL, 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_send_msg(c, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_client_queue_count(c), 0);
    wsc_msg *m = NULL;
    char content[100];
    memset(content, 'c', sizeof(content) - 1);
    content[sizeof(content) - 1] = '\0';
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    assert_int_equal(wsc_client_send_msg(c, m, NULL), WSC_ERR_TOO_LARGE);
    wsc_msg_unref(m);
    assert_int_equal(wsc_client_queue_count(c), 0);
    /* require_ack needs a message_id, which a frozen (encoded) message can no longer get. */
    assert_int_equal(wsc_msg_new_text(&m, "text", "x"), WSC_OK);
    assert_int_equal(wsc_msg_set_require_ack(m, true), WSC_OK);
    assert_int_equal(wsc__msg_encode(m), WSC_OK);
    assert_true(wsc_msg_is_frozen(m));
    assert_int_equal(wsc_client_send_msg(c, m, NULL), WSC_ERR_INVALID);
    assert_null(wsc_msg_get(m, WSC_F_MESSAGE_ID));
    wsc_msg_unref(m);
    assert_int_equal(wsc_client_queue_count(c), 0);
    uint64_t id = 0;
    assert_int_equal(wsc_client_send_text(c, NULL, 0, &id), WSC_OK);
    assert_int_not_equal(id, 0);
    assert_int_equal(wsc_client_queue_count(c), 1);
    wsc_client_free(c);
}

/* wsc_client_new with every option set (token, CA file, sub-protocol, headers, its own loop)
 * while the Nth allocation fails, for every N: WSC_ERR_NOMEM, *out NULL, nothing leaked (ASan);
 * then a run that allocates everything succeeds. */
static void
test_client_args__new_out_of_memory(void **state)
{
    (void)state;
    wsc_client_config cfg = config();
    const wsc_client_header hs[] = {{"X-A", "1"}, {"X-B", "2"}};
    cfg.headers = hs;
    cfg.header_count = 2;
    cfg.token = "tok";
    cfg.ca_file = "/nonexistent/ca.pem"; /* copied; only read for wss:// */
    cfg.subprotocol = "wsc.v1";
    long n = 1;
    for (; n < 200; n++) {
        wsc_client *c = (wsc_client *)&c;
        wsc__alloc_fail_nth(n);
        wsc_err err = wsc_client_new(&c, &cfg);
        bool fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        if (!fired) {
            assert_int_equal(err, WSC_OK);
            assert_int_equal(wsc_client_state_get(c), WSC_CLIENT_DISCONNECTED);
            wsc_client_free(c);
            break;
        }
        assert_int_equal(err, WSC_ERR_NOMEM);
        assert_null(c);
    }
    assert_true(n > 10 && n < 200); /* every copy above is an allocation */
}

/* Out of memory in set_token and in the send family: WSC_ERR_NOMEM, nothing queued, and the
 * same call succeeds once memory is back. */
static void
test_client_args__calls_out_of_memory(void **state)
{
    (void)state;
    wsc_client_config cfg = config();
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cfg), WSC_OK);
    wsc__alloc_fail_nth(1);
    assert_int_equal(wsc_client_set_token(c, "t2"), WSC_ERR_NOMEM);
    assert_false(wsc__alloc_fail_armed());
    assert_int_equal(wsc_client_set_token(c, "t2"), WSC_OK);

    for (long n = 1; n <= 2; n++) {
        wsc__alloc_fail_nth(n);
        assert_int_equal(wsc_client_send_text(c, "hi", 2, NULL), WSC_ERR_NOMEM);
        assert_false(wsc__alloc_fail_armed());
        assert_int_equal(wsc_client_queue_count(c), 0);
    }
    /* A message with require_ack gets a message_id, is encoded, then queued: each step may
     * fail. */
    size_t queued = 0;
    long n = 1;
    for (; n < 100; n++) {
        wsc_msg *m = NULL;
        assert_int_equal(wsc_msg_new_text(&m, "text", "hello"), WSC_OK);
        assert_int_equal(wsc_msg_set_require_ack(m, true), WSC_OK);
        wsc__alloc_fail_nth(n);
        wsc_err err = wsc_client_send_msg(c, m, NULL);
        bool fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        wsc_msg_unref(m);
        if (!fired) {
            assert_int_equal(err, WSC_OK);
            queued++;
            break;
        }
        assert_int_equal(err, WSC_ERR_NOMEM);
        assert_int_equal(wsc_client_queue_count(c), 0);
    }
    assert_true(n > 2 && n < 100);
    assert_int_equal(wsc_client_queue_count(c), queued);
    wsc_client_free(c);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_args__bad_configs),
        cmocka_unit_test(test_client_args__calls_on_a_client_that_never_connected),
        cmocka_unit_test(test_client_args__null_client),
        cmocka_unit_test(test_client_args__run_on_a_given_loop_is_refused),
        cmocka_unit_test(test_client_args__bad_sends),
        cmocka_unit_test(test_client_args__new_out_of_memory),
        cmocka_unit_test(test_client_args__calls_out_of_memory),
    };
    return cmocka_run_group_tests_name("unit.client.client_args", tests, NULL, NULL);
}
