/* SPDX-License-Identifier: MIT */
/* The frames the hub emits (connected, pong, ack, error, kick_out), RFC 3339 timestamps and
 * hub message ids. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/msg.h>

#include "models/msg_internal.h"
#include "protocol/frames.h"

/* 2026-11-26T09:27:18.123Z */
#define WALL_MS UINT64_C(1795685238123)

static void
expect_json(wsc_msg *msg, const char *want)
{
    wsc_buf buf = {0};
    assert_int_equal(wsc_msg_to_json(msg, &buf), WSC_OK);
    assert_string_equal(buf.data, want);
    wsc_buf_free(&buf);
    wsc_msg_unref(msg);
}

static void
test_frames__time_rfc3339(void **state)
{
    (void)state;
    char out[32];
    wsc__proto_time_rfc3339(WALL_MS, out, sizeof(out));
    assert_string_equal(out, "2026-11-26T09:27:18.123Z");
    wsc__proto_time_rfc3339(0, out, sizeof(out));
    assert_string_equal(out, "1970-01-01T00:00:00.000Z");
    wsc__proto_time_rfc3339(951782400007, out, sizeof(out)); /* a leap day */
    assert_string_equal(out, "2000-02-29T00:00:00.007Z");
    wsc__proto_time_rfc3339(WALL_MS, out, 11); /* truncated, still terminated */
    assert_string_equal(out, "2026-11-26");
}

static void
test_frames__make_id(void **state)
{
    (void)state;
    char out[WSC__PROTO_ID_MAX];
    wsc__proto_make_id("n1", 0, 0, out, sizeof(out));
    assert_string_equal(out, "n1-0-0000000000000");
    wsc__proto_make_id("n1", 35, 35, out, sizeof(out));
    assert_string_equal(out, "n1-z-000000000000z");
    wsc__proto_make_id("n1", 36, 36, out, sizeof(out));
    assert_string_equal(out, "n1-10-0000000000010");
    wsc__proto_make_id("hub", UINT64_MAX, UINT64_MAX, out, sizeof(out));
    assert_string_equal(out, "hub-3w5e11264sgsf-3w5e11264sgsf");
    wsc__proto_make_id("hub", UINT64_MAX, 1, out, 6);
    assert_string_equal(out, "hub-3");
    /* A 64-byte prefix (longer ones are cut) and both numbers at their widest still fit. */
    char prefix[80];
    memset(prefix, 'p', 79);
    prefix[79] = '\0';
    wsc__proto_make_id(prefix, UINT64_MAX, UINT64_MAX, out, sizeof(out));
    assert_int_equal(strlen(out), 64 + 1 + 13 + 1 + 13);
    assert_string_equal(out + 64, "-3w5e11264sgsf-3w5e11264sgsf");
    wsc__proto_make_tag_id("c", 1, out, sizeof(out));
    assert_string_equal(out, "c-0000000000001");
    wsc__proto_make_tag_id(NULL, UINT64_MAX, out, sizeof(out));
    assert_string_equal(out, "3w5e11264sgsf");
}

static void
test_frames__connected(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc__proto_connected(&msg, "u1", "c1", "node-a", 25000, WALL_MS), WSC_OK);
    assert_int_equal(wsc__msg_refs(msg), 1);
    assert_false(wsc_msg_is_frozen(msg));
    assert_string_equal(wsc_msg_get_data_string(msg, "server_time"), "2026-11-26T09:27:18.123Z");
    assert_true(json_is_integer(json_object_get(wsc__msg_data(msg), "heartbeat_ms")));
    expect_json(msg, "{\"message_type\":\"connected\",\"data\":{\"user_id\":\"u1\","
                     "\"client_id\":\"c1\",\"node_id\":\"node-a\",\"heartbeat_ms\":25000,"
                     "\"server_time\":\"2026-11-26T09:27:18.123Z\"}}");
    assert_int_equal(wsc__proto_connected(&msg, "u1", NULL, "n", 1, 0), WSC_OK);
    assert_null(wsc_msg_get_data_string(msg, "client_id"));
    wsc_msg_unref(msg);
    assert_int_equal(wsc__proto_connected(&msg, "\xff", NULL, "n", 1, 0), WSC_ERR_INVALID);
    assert_null(msg);
}

static void
test_frames__pong(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc__proto_pong(&msg), WSC_OK);
    expect_json(msg, "{\"message_type\":\"pong\"}");
}

static void
test_frames__ack(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc__proto_ack(&msg, "m-1", "delivered", NULL), WSC_OK);
    expect_json(msg, "{\"message_id\":\"m-1\",\"message_type\":\"ack\","
                     "\"data\":{\"status\":\"delivered\"}}");
    assert_int_equal(wsc__proto_ack(&msg, "m-2", "rejected", "forbidden"), WSC_OK);
    expect_json(msg, "{\"message_id\":\"m-2\",\"message_type\":\"ack\","
                     "\"data\":{\"status\":\"rejected\",\"error\":\"forbidden\"}}");
}

static void
test_frames__error(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc__proto_error(&msg, "m-9", "invalid_message", "receiver: too \"long\""),
                     WSC_OK);
    expect_json(msg, "{\"message_id\":\"m-9\",\"message_type\":\"error\","
                     "\"data\":{\"code\":\"invalid_message\","
                     "\"reason\":\"receiver: too \\\"long\\\"\"}}");
    assert_int_equal(wsc__proto_error(&msg, NULL, "invalid_json", "not a JSON object"), WSC_OK);
    expect_json(msg, "{\"message_type\":\"error\",\"data\":{\"code\":\"invalid_json\","
                     "\"reason\":\"not a JSON object\"}}");
}

static void
test_frames__kick_out(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc__proto_kick_out(&msg, "admin", WALL_MS), WSC_OK);
    expect_json(msg, "{\"message_type\":\"kick_out\","
                     "\"data\":{\"reason\":\"admin\",\"kicked_at\":1795685238}}");
}

static void
test_frames__parse_back(void **state)
{
    (void)state;
    wsc_msg *msg = NULL, *back = NULL;
    size_t len = 0;
    assert_int_equal(wsc__proto_connected(&msg, "u1", "c1", "n", 30000, WALL_MS), WSC_OK);
    assert_int_equal(wsc__msg_encode(msg), WSC_OK);
    const unsigned char *wire = wsc__msg_wire(msg, &len);
    assert_int_equal(wsc_msg_parse(&back, (const char *)wire, len, NULL, NULL), WSC_OK);
    assert_string_equal(wsc_msg_get(back, WSC_F_TYPE), "connected");
    assert_string_equal(wsc_msg_get_data_string(back, "user_id"), "u1");
    wsc_msg_unref(back);
    wsc_msg_unref(msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames__time_rfc3339), cmocka_unit_test(test_frames__make_id),
        cmocka_unit_test(test_frames__connected),    cmocka_unit_test(test_frames__pong),
        cmocka_unit_test(test_frames__ack),          cmocka_unit_test(test_frames__error),
        cmocka_unit_test(test_frames__kick_out),     cmocka_unit_test(test_frames__parse_back),
    };
    return cmocka_run_group_tests_name("unit.protocol.frames", tests, NULL, NULL);
}
