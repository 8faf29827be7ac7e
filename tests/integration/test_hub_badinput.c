/* SPDX-License-Identifier: MIT */
/* Bad input from clients: each bad frame gets an `error` frame or the right close code, and
 * another connection on the same hub keeps working afterwards. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thub.h"
#include "tjson.h"

struct fx {
    thub t;
    tws *bad;
    tws *a, *b; /* a healthy pair */
    int round;
};

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    wsc_hub_config cfg;
    thub_config(&f->t, &cfg);
    cfg.msg_limits.max_bytes = 4096;
    cfg.max_violations = 5;
    thub_start(&f->t, &cfg);
    f->bad = thub_open(&f->t, "bad", NULL);
    f->a = thub_open(&f->t, "a", NULL);
    f->b = thub_open(&f->t, "b", NULL);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    thub_free(&f->t);
    free(f);
    return 0;
}

/* The healthy pair still talks. */
static void
healthy(struct fx *f)
{
    char msg[96];
    snprintf(msg, sizeof(msg), "{\"receiver\":\"b\",\"content\":\"ok %d\"}", ++f->round);
    thub_send(f->a, msg);
    json_t *j = thub_recv_type(&f->t, f->b, "text", 3000);
    assert_string_equal(tjson_str(j, "sender"), "a");
    json_decref(j);
}

static void
expect_error(struct fx *f, const char *code)
{
    json_t *j = thub_recv_type(&f->t, f->bad, "error", 3000);
    assert_string_equal(tjson_str(j, "data.code"), code);
    assert_non_null(tjson_str(j, "data.reason"));
    json_decref(j);
    assert_int_equal(tws_state(f->bad), TWS_OPEN);
    healthy(f);
}

static void
expect_close(struct fx *f, int code)
{
    assert_true(thub_wait(&f->t, tws_is_closed, f->bad, 3000));
    assert_int_equal(tws_close_code(f->bad), code);
    assert_true(thub_wait_ge(&f->t, &f->t.disconnects, 1, 3000));
    assert_int_equal(f->t.disc[0].code, code);
    assert_false(wsc_hub_is_online(f->t.hub, "bad"));
    healthy(f);
}

static void
test_hub_badinput__not_json_array_and_wrong_types(void **state)
{
    struct fx *f = *state;
    thub_send(f->bad, "hello, not json");
    expect_error(f, "invalid_json");
    thub_send(f->bad, "[1,2,3]");
    expect_error(f, "invalid_json");
    thub_send(f->bad, "{\"receiver\":42}");
    expect_error(f, "invalid_message");
    thub_send(f->bad, "{\"group_ids\":\"not-an-array\"}");
    expect_error(f, "invalid_message");
    thub_send(f->bad, "{\"receiver\":\"nobody\"}");
    expect_error(f, "unknown_receiver");
    assert_int_equal(f->t.messages, 1 + f->round);
}

static void
test_hub_badinput__deep_nesting(void **state)
{
    struct fx *f = *state;
    size_t depth = 3000; /* fits the 4 KiB frame limit of this fixture */
    char *s = malloc(depth + 1);
    memset(s, '[', depth);
    s[depth] = '\0';
    thub_send(f->bad, s);
    expect_error(f, "invalid_json");
    memset(s, '{', 1);
    snprintf(s, depth, "{\"data\":");
    size_t n = strlen(s);
    for (size_t i = 0; i < 40; i++)
        n += (size_t)snprintf(s + n, depth - n, "{\"k\":");
    snprintf(s + n, depth - n, "1");
    thub_send(f->bad, s);
    json_t *j = thub_recv_type(&f->t, f->bad, "error", 3000);
    json_decref(j);
    free(s);
    healthy(f);
}

static void
test_hub_badinput__deep_nesting_10000(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg); /* default 64 KiB frames */
    thub_start(&t, &cfg);
    tws *bad = thub_open(&t, "bad", NULL);
    tws *a = thub_open(&t, "a", NULL);
    char *s = malloc(10001);
    memset(s, '[', 10000);
    s[10000] = '\0';
    thub_send(bad, s);
    free(s);
    json_t *j = thub_recv_type(&t, bad, "error", 3000);
    assert_string_equal(tjson_str(j, "data.code"), "invalid_json");
    json_decref(j);
    thub_send(a, "{\"message_type\":\"ping\"}");
    json_decref(thub_recv_type(&t, a, "pong", 3000));
    thub_free(&t);
}

static void
test_hub_badinput__oversize_frame_1009(void **state)
{
    struct fx *f = *state;
    size_t len = 5000;
    char *s = malloc(len + 1);
    memset(s, ' ', len);
    s[0] = '{';
    s[len - 1] = '}';
    s[len] = '\0';
    thub_send(f->bad, s);
    free(s);
    expect_close(f, 1009);
}

static void
test_hub_badinput__oversize_fragmented_1009(void **state)
{
    struct fx *f = *state;
    char chunk[1000];
    memset(chunk, ' ', sizeof(chunk));
    chunk[0] = '{';
    assert_int_equal(tws_send_frame(f->bad, TWS_OP_TEXT, false, chunk, sizeof(chunk)), 0);
    chunk[0] = ' ';
    for (int i = 0; i < 6; i++)
        assert_int_equal(tws_send_frame(f->bad, TWS_OP_CONT, false, chunk, sizeof(chunk)), 0);
    assert_int_equal(tws_send_frame(f->bad, TWS_OP_CONT, true, "}", 1), 0);
    expect_close(f, 1009);
}

static void
test_hub_badinput__fragmented_message_reassembled(void **state)
{
    struct fx *f = *state;
    const char *p1 = "{\"receiver\":\"b\",", *p2 = "\"content\":\"in ", *p3 = "pieces\"}";
    assert_int_equal(tws_send_frame(f->bad, TWS_OP_TEXT, false, p1, strlen(p1)), 0);
    assert_int_equal(tws_send_frame(f->bad, TWS_OP_CONT, false, p2, strlen(p2)), 0);
    assert_int_equal(tws_send_frame(f->bad, TWS_OP_CONT, true, p3, strlen(p3)), 0);
    json_t *j = thub_recv_type(&f->t, f->b, "text", 3000);
    assert_string_equal(tjson_str(j, "content"), "in pieces");
    json_decref(j);
}

static void
test_hub_badinput__invalid_utf8_1007(void **state)
{
    struct fx *f = *state;
    const char bad[] = "{\"content\":\"\xc3\x28\"}";
    assert_int_equal(tws_send_text(f->bad, bad, sizeof(bad) - 1), 0);
    expect_close(f, 1007);
}

static void
test_hub_badinput__repeated_violations_1008(void **state)
{
    struct fx *f = *state;
    for (int i = 0; i < 5; i++)
        thub_send(f->bad, "nope");
    for (int i = 0; i < 5; i++) {
        json_t *j = thub_recv_type(&f->t, f->bad, "error", 3000);
        json_decref(j);
    }
    expect_close(f, 1008);
}

static void
test_hub_badinput__raw_garbage(void **state)
{
    struct fx *f = *state;
    const unsigned char junk[] = {0xff, 0xfe, 0x00, 0x13, 0x37, 0x42, 0x99, 0x01, 0x02, 0x03};
    assert_int_equal(tws_send_raw(f->bad, junk, sizeof(junk)), 0);
    assert_true(thub_wait(&f->t, tws_is_closed, f->bad, 3000));
    assert_true(thub_wait_ge(&f->t, &f->t.disconnects, 1, 3000));
    assert_false(wsc_hub_is_online(f->t.hub, "bad"));
    healthy(f);
}

static void
test_hub_badinput__binary_goes_to_on_binary(void **state)
{
    struct fx *f = *state;
    const unsigned char bytes[] = {0, 1, 2, 0xff, 'x'};
    assert_int_equal(tws_send_binary(f->bad, bytes, sizeof(bytes)), 0);
    assert_true(thub_wait_ge(&f->t, &f->t.binaries, 1, 3000));
    assert_int_equal(f->t.bin_len, sizeof(bytes));
    assert_memory_equal(f->t.bin, bytes, sizeof(bytes));
    assert_int_equal(f->t.messages, 0);
    healthy(f);
}

static void
test_hub_badinput__max_violations_above_255(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.max_violations = 300;
    thub_start(&t, &cfg);
    tws *bad = thub_open(&t, "bad", NULL);
    for (int i = 0; i < 300; i++)
        thub_send(bad, "x");
    assert_true(thub_wait(&t, tws_is_closed, bad, 5000));
    assert_int_equal(tws_close_code(bad), 1008);
    thub_free(&t);
}

/* Types only the hub sends are refused from clients and reach nobody, whatever they name as
 * target (PROTOCOL.md §3); an ack is consumed by the hub, never relayed. */
static void
test_hub_badinput__hub_only_types_refused_not_relayed(void **state)
{
    struct fx *f = *state;
    static const char *const types[] = {"connected", "kick_out", "error", "pong"};
    for (size_t i = 0; i < 4; i++) {
        char frame[160];
        snprintf(frame, sizeof(frame),
                 "{\"message_type\":\"%s\",\"receiver\":\"b\",\"message_id\":\"m%zu\"}", types[i],
                 i);
        thub_send(f->bad, frame);
        json_t *j = thub_recv_type(&f->t, f->bad, "error", 3000);
        assert_string_equal(tjson_str(j, "data.code"), "invalid_message");
        char ref[8];
        snprintf(ref, sizeof(ref), "m%zu", i);
        assert_string_equal(tjson_str(j, "message_id"), ref);
        json_decref(j);
        healthy(f); /* b's next frame is the healthy text: nothing of bad's reached it */
    }
    thub_send(f->bad, "{\"message_type\":\"ack\",\"message_id\":\"x1\",\"receiver\":\"b\"}");
    thub_send(f->bad, "{\"message_type\":\"ack\",\"message_id\":\"x2\",\"group_ids\":[\"g\"],"
                      "\"broadcast_type\":\"global\"}");
    healthy(f);
    thub_run_for(&f->t, 100);
    assert_int_equal(tws_pending(f->b), 0);
    assert_int_equal(tws_pending(f->bad), 0);          /* an ack is no violation: no error frame */
    assert_int_equal(f->t.messages, (size_t)f->round); /* none reached on_message either */
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int
main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_hub_badinput__not_json_array_and_wrong_types),
        T(test_hub_badinput__hub_only_types_refused_not_relayed),
        T(test_hub_badinput__deep_nesting),
        cmocka_unit_test(test_hub_badinput__deep_nesting_10000),
        T(test_hub_badinput__oversize_frame_1009),
        T(test_hub_badinput__oversize_fragmented_1009),
        T(test_hub_badinput__fragmented_message_reassembled),
        T(test_hub_badinput__invalid_utf8_1007),
        T(test_hub_badinput__repeated_violations_1008),
        cmocka_unit_test(test_hub_badinput__max_violations_above_255),
        T(test_hub_badinput__raw_garbage),
        T(test_hub_badinput__binary_goes_to_on_binary),
    };
    return cmocka_run_group_tests_name("integration.hub_badinput", tests, NULL, NULL);
}
