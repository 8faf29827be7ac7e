/* SPDX-License-Identifier: MIT */
/* The raw WebSocket test peer: its frame codec on its own, then whole sessions against the
 * blocking one-connection tserver (handshake, fragments, pings, echo, close, refusals) and
 * the twait helpers that drive it, with and without a wsc loop. */
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsc/loop.h>

#include "tjson.h"
#include "tserver.h"
#include "twait.h"
#include "tws.h"

static const uint8_t MASK[4] = {0x12, 0x34, 0x56, 0x78};

static uint8_t *
pattern(size_t n)
{
    uint8_t *p = malloc(n);
    assert_non_null(p);
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(i * 7 + 3);
    return p;
}

/* Encodes len pattern bytes, decodes them back and checks header size and payload. */
static void
roundtrip(size_t len, const uint8_t *mask, size_t want_header)
{
    uint8_t *payload = pattern(len);
    size_t need = tws_frame_encode(NULL, 0, TWS_OP_BINARY, true, mask, payload, len);
    assert_int_equal(need, want_header + len);
    uint8_t *buf = malloc(need);
    assert_non_null(buf);
    assert_int_equal(tws_frame_encode(buf, need, TWS_OP_BINARY, true, mask, payload, len), need);
    /* Every proper prefix asks for more bytes. */
    tws_frame f;
    for (size_t cut = 0; cut < need; cut += cut < 16 ? 1 : need / 7 + 1)
        assert_int_equal(tws_frame_decode(buf, cut, &f), 0);
    assert_int_equal(tws_frame_decode(buf, need, &f), (ssize_t)need);
    assert_int_equal(f.opcode, TWS_OP_BINARY);
    assert_true(f.fin);
    assert_int_equal(f.masked, mask != NULL);
    assert_int_equal(f.header_len, want_header);
    assert_int_equal(f.payload_len, len);
    assert_memory_equal(f.payload, payload, len);
    free(buf);
    free(payload);
}

static void
test_tws__frame_unmasked_small_exact_bytes(void **state)
{
    (void)state;
    uint8_t buf[16];
    assert_int_equal(tws_frame_encode(buf, sizeof(buf), TWS_OP_TEXT, true, NULL, "abc", 3), 5);
    const uint8_t want[] = {0x81, 0x03, 'a', 'b', 'c'};
    assert_memory_equal(buf, want, sizeof(want));
}

static void
test_tws__frame_masked_exact_bytes(void **state)
{
    (void)state;
    uint8_t buf[16];
    assert_int_equal(tws_frame_encode(buf, sizeof(buf), TWS_OP_CONT, false, MASK, "ab", 2), 8);
    const uint8_t want[] = {0x00, 0x82, 0x12, 0x34, 0x56, 0x78, 'a' ^ 0x12, 'b' ^ 0x34};
    assert_memory_equal(buf, want, sizeof(want));
    tws_frame f;
    assert_int_equal(tws_frame_decode(buf, 8, &f), 8);
    assert_int_equal(f.opcode, TWS_OP_CONT);
    assert_false(f.fin);
    assert_true(f.masked);
    assert_memory_equal(f.payload, "ab", 2);
}

static void
test_tws__frame_length_encodings(void **state)
{
    (void)state;
    const size_t lens[] = {0, 1, 125, 126, 127, 65535, 65536, 70000};
    const size_t hdr[] = {2, 2, 2, 4, 4, 4, 10, 10};
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
        roundtrip(lens[i], NULL, hdr[i]);
        roundtrip(lens[i], MASK, hdr[i] + 4);
    }
}

static void
test_tws__frame_encode_small_buffer_writes_nothing(void **state)
{
    (void)state;
    uint8_t buf[4] = {0xAA, 0xAA, 0xAA, 0xAA};
    assert_int_equal(tws_frame_encode(buf, sizeof(buf), TWS_OP_TEXT, true, MASK, "abc", 3), 9);
    assert_int_equal(buf[0], 0xAA);
}

static void
test_tws__frame_decode_rejects_huge_length_and_reads_rsv(void **state)
{
    (void)state;
    uint8_t bad[10] = {0x82, 127, 0x80, 0, 0, 0, 0, 0, 0, 1};
    tws_frame f;
    assert_int_equal(tws_frame_decode(bad, sizeof(bad), &f), -1);
    uint8_t rsv[2] = {0xC1, 0x00}; /* FIN + RSV1, text, empty */
    assert_int_equal(tws_frame_decode(rsv, sizeof(rsv), &f), 2);
    assert_int_equal(f.rsv, 4);
    assert_int_equal(f.opcode, TWS_OP_TEXT);
}

/* A full session: sub-protocol, fragments with a ping between them, pongs, echo of a
 * 300-byte text and a 70,000-byte binary, then the server's close 1000. */
static void
test_tws__session_against_echo_server(void **state)
{
    (void)state;
    tserver *srv = tserver_start(TSERVER_WS_ECHO);
    assert_non_null(srv);
    const char *const headers[] = {"X-Test: yes", NULL};
    tws *c = tws_connect(tserver_port(srv), "/ws?user_id=u1", headers, "wsc.v1");
    assert_non_null(c);
    twait_set *ts = twait_set_new();
    assert_int_equal(twait_add_ws(ts, c), 0);

    assert_true(twait_until(ts, NULL, tws_is_open, c, 5000));
    assert_int_equal(tws_http_status(c), 101);
    assert_string_equal(tws_http_header(c, "SEC-WEBSOCKET-PROTOCOL"), "wsc.v1");
    twait_count one = {c, 1};
    assert_true(twait_until(ts, NULL, twait_has_messages, &one, 5000));
    int op;
    char *data;
    size_t len;
    assert_true(tws_next(c, &op, &data, &len));
    assert_int_equal(op, TWS_OP_TEXT);
    assert_int_equal(len, 12);
    assert_string_equal(data, "Hello, world");
    free(data);
    assert_int_equal(tws_pings_received(c), 2);

    char text[300];
    memset(text, 'x', sizeof(text));
    uint8_t *bin = pattern(70000);
    assert_int_equal(tws_send_text(c, text, sizeof(text)), 0);
    assert_int_equal(tws_send_binary(c, bin, 70000), 0);
    twait_count two = {c, 2};
    assert_true(twait_until(ts, NULL, twait_has_messages, &two, 5000));
    assert_true(tws_next(c, &op, &data, &len));
    assert_int_equal(op, TWS_OP_TEXT);
    assert_int_equal(len, sizeof(text));
    assert_memory_equal(data, text, sizeof(text));
    free(data);
    assert_true(tws_next(c, &op, &data, &len));
    assert_int_equal(op, TWS_OP_BINARY);
    assert_int_equal(len, 70000);
    assert_memory_equal(data, bin, 70000);
    free(data);
    free(bin);
    assert_int_equal(tws_pending(c), 0);

    assert_true(twait_until(ts, NULL, tws_is_closed, c, 5000));
    assert_int_equal(tws_state(c), TWS_CLOSED);
    assert_int_equal(tws_close_code(c), 1000);
    assert_string_equal(tws_close_reason(c), "bye");
    assert_true(tserver_join(srv));
    assert_string_equal(tserver_error(srv), "");
    assert_string_equal(tserver_pongs(srv), "hi,p2");
    assert_int_equal(tserver_close_code(srv), 1000);
    assert_non_null(strstr(tserver_request(srv), "GET /ws?user_id=u1 HTTP/1.1\r\n"));
    assert_non_null(strstr(tserver_request(srv), "\r\nX-Test: yes\r\n"));
    twait_set_free(ts);
    tws_free(c);
    tserver_free(srv);
}

/* Deliberate misbehaviour reaches the server as sent: reserved opcode, fragments, raw
 * bytes, a ping, a close with a code; and auto-pong can be turned off. */
static void
test_tws__misbehaving_frames_reach_the_server(void **state)
{
    (void)state;
    tserver *srv = tserver_start(TSERVER_WS_RECORD);
    assert_non_null(srv);
    tws *c = tws_connect(tserver_port(srv), "/ws", NULL, NULL);
    assert_non_null(c);
    tws_set_auto_pong(c, false);
    twait_set *ts = twait_set_new();
    assert_int_equal(twait_add_ws(ts, c), 0);
    assert_true(twait_until(ts, NULL, tws_is_open, c, 5000));
    assert_null(tws_http_header(c, "sec-websocket-protocol"));
    assert_int_equal(tws_send_frame(c, 0x3, true, "r", 1), 0);
    assert_int_equal(tws_send_frame(c, TWS_OP_TEXT, false, "a", 1), 0);
    assert_int_equal(tws_send_frame(c, TWS_OP_CONT, true, "\xff", 1), 0);
    uint8_t raw[16];
    size_t n = tws_frame_encode(raw, sizeof(raw), TWS_OP_BINARY, true, MASK, "raw", 3);
    assert_int_equal(tws_send_raw(c, raw, n), 0);
    assert_int_equal(tws_send_ping(c, NULL, 0), 0);
    assert_int_equal(tws_send_close(c, 4000, "done"), 0);
    assert_true(twait_until(ts, NULL, tws_is_closed, c, 5000));
    assert_int_equal(tws_state(c), TWS_CLOSED);
    assert_int_equal(tws_close_code(c), 4000);
    assert_int_equal(tws_pings_received(c), 1);
    assert_true(tserver_join(srv));
    assert_string_equal(tserver_frames(srv), "3:1:1,1:0:1,0:1:1,2:1:3,9:1:0,8:1:6");
    assert_int_equal(tserver_close_code(srv), 4000);
    twait_set_free_all(ts);
    tserver_free(srv);
}

static void
test_tws__masked_server_frame_is_an_error(void **state)
{
    (void)state;
    tserver *srv = tserver_start(TSERVER_WS_MASKED);
    assert_non_null(srv);
    tws *c = tws_connect(tserver_port(srv), "/ws", NULL, NULL);
    assert_non_null(c);
    twait_set *ts = twait_set_new();
    assert_int_equal(twait_add_ws(ts, c), 0);
    assert_true(twait_until(ts, NULL, tws_is_closed, c, 5000));
    assert_int_equal(tws_state(c), TWS_ERROR);
    assert_non_null(strstr(tws_error_text(c), "masked"));
    assert_int_equal(tws_pending(c), 0);
    assert_true(tserver_join(srv));
    twait_set_free_all(ts);
    tserver_free(srv);
}

static void
check_refusal(tserver_mode mode)
{
    tserver *srv = tserver_start(mode);
    assert_non_null(srv);
    tws *c = tws_connect(tserver_port(srv), "/ws", NULL, NULL);
    assert_non_null(c);
    twait_set *ts = twait_set_new();
    assert_int_equal(twait_add_ws(ts, c), 0);
    assert_true(twait_until(ts, NULL, tws_is_settled, c, 5000));
    assert_int_equal(tws_state(c), TWS_REFUSED);
    assert_int_equal(tws_http_status(c), 401);
    assert_string_equal(tws_http_header(c, "retry-after"), "7");
    json_t *body = tjson_parse(tws_http_body(c));
    assert_non_null(body);
    assert_string_equal(tjson_str(body, "error"), "unauthorized");
    json_decref(body);
    assert_true(tserver_join(srv));
    twait_set_free_all(ts);
    tserver_free(srv);
}

static void
test_tws__refused_with_length_chunked_and_eof_bodies(void **state)
{
    (void)state;
    check_refusal(TSERVER_REFUSE_LENGTH);
    check_refusal(TSERVER_REFUSE_CHUNKED);
    check_refusal(TSERVER_REFUSE_EOF);
}

/* A port nobody listens on: bound, never listening. */
static int
dead_port(int *holder)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    *holder = fd;
    return ntohs(a.sin_port);
}

static void
test_tws__connect_refused_is_an_error(void **state)
{
    (void)state;
    int holder;
    tws *c = tws_connect_from("127.0.0.2", dead_port(&holder), "/ws", NULL, NULL);
    assert_non_null(c);
    twait_set *ts = twait_set_new();
    assert_int_equal(twait_add_ws(ts, c), 0);
    assert_true(twait_until(ts, NULL, tws_is_settled, c, 5000));
    assert_int_equal(tws_state(c), TWS_ERROR);
    assert_non_null(strstr(tws_error_text(c), "connect"));
    assert_int_equal(tws_fd(c), -1);
    twait_set_free_all(ts);
    close(holder);
}

static uint64_t
mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (uint64_t)t.tv_sec * 1000u + (uint64_t)t.tv_nsec / 1000000u;
}

/* A listener that never answers: the peer stays CONNECTING and twait_until gives up at its
 * deadline, with the wsc loop driven in between. */
static void
test_tws__silent_server_times_out_with_loop(void **state)
{
    (void)state;
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(lfd, 64), 0);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&a, &alen), 0);
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    twait_set *ts = twait_set_new();
    for (int i = 0; i < 20; i++) {
        char src[32];
        snprintf(src, sizeof(src), "127.0.0.%d", 1 + i % 5);
        tws *c = tws_connect_from(src, ntohs(a.sin_port), "/ws", NULL, NULL);
        assert_non_null(c);
        assert_int_equal(twait_add_ws(ts, c), 0);
    }
    uint64_t t0 = mono_ms();
    assert_false(twait_until(ts, loop, twait_all_settled, ts, 60));
    uint64_t spent = mono_ms() - t0;
    assert_true(spent >= 60 && spent < 2000);
    for (size_t i = 0; i < twait_ws_count(ts); i++)
        assert_int_equal(tws_state(twait_ws_at(ts, i)), TWS_CONNECTING);
    tws_close_tcp(twait_ws_at(ts, 0));
    assert_int_equal(tws_state(twait_ws_at(ts, 0)), TWS_CLOSED);
    assert_int_equal(tws_close_code(twait_ws_at(ts, 0)), TWS_CLOSE_ABNORMAL);
    twait_set_free_all(ts);
    wsc_loop_free(loop);
    close(lfd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tws__frame_unmasked_small_exact_bytes),
        cmocka_unit_test(test_tws__frame_masked_exact_bytes),
        cmocka_unit_test(test_tws__frame_length_encodings),
        cmocka_unit_test(test_tws__frame_encode_small_buffer_writes_nothing),
        cmocka_unit_test(test_tws__frame_decode_rejects_huge_length_and_reads_rsv),
        cmocka_unit_test(test_tws__session_against_echo_server),
        cmocka_unit_test(test_tws__misbehaving_frames_reach_the_server),
        cmocka_unit_test(test_tws__masked_server_frame_is_an_error),
        cmocka_unit_test(test_tws__refused_with_length_chunked_and_eof_bodies),
        cmocka_unit_test(test_tws__connect_refused_is_an_error),
        cmocka_unit_test(test_tws__silent_server_times_out_with_loop),
    };
    return cmocka_run_group_tests_name("unit.support.tws", tests, NULL, NULL);
}
