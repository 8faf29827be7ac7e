/* SPDX-License-Identifier: MIT */
/* The wire codec: encoding in the fixed field order, parsing with limits, and the round trip
 * between them, including every kind of bad input a client can send. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/msg.h>

#include "models/msg_internal.h"

/* Parses text expecting failure with err and an explanation containing needle. */
static void
expect_reject(const char *text, const wsc_msg_limits *lim, wsc_err err, const char *needle)
{
    wsc_msg *msg = (wsc_msg *)&msg; /* any non-NULL value: parse must reset it */
    const char *why = NULL;
    wsc_err got = wsc_msg_parse(&msg, text, strlen(text), lim, &why);
    if (got != err || why == NULL || strstr(why, needle) == NULL)
        fail_msg("input %.60s: got %d (%s), want %d (%s)", text, got, why ? why : "-", err, needle);
    assert_null(msg);
}

static wsc_msg *
parse_ok(const char *text)
{
    wsc_msg *msg = NULL;
    const char *why = NULL;
    wsc_err err = wsc_msg_parse(&msg, text, strlen(text), NULL, &why);
    if (err != WSC_OK)
        fail_msg("input %.60s: %s", text, why ? why : "-");
    return msg;
}

static void
expect_json(const wsc_msg *msg, const char *want)
{
    wsc_buf buf = {0};
    assert_int_equal(wsc_msg_to_json(msg, &buf), WSC_OK);
    assert_string_equal(buf.data, want);
    assert_int_equal(buf.len, strlen(want));
    wsc_buf_free(&buf);
}

static void
test_codec__empty_message_encodes_type_only(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    expect_json(msg, "{\"message_type\":\"text\"}");
    wsc_msg_unref(msg);
}

static wsc_msg *
full_message(void)
{
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    /* Set in reverse so that the output order cannot come from the order of the calls. */
    for (int f = WSC_F_COUNT_ - 1; f >= 0; f--) {
        char value[32];
        snprintf(value, sizeof(value), "v%d", f);
        assert_int_equal(wsc_msg_set(msg, (wsc_msg_field)f, value), WSC_OK);
    }
    assert_int_equal(wsc_msg_add_group(msg, "g1"), WSC_OK);
    assert_int_equal(wsc_msg_add_group(msg, "g2"), WSC_OK);
    assert_int_equal(wsc_msg_set_data_json(msg, "{\"k\":[1,{\"x\":null}],\"s\":\"t\"}"), WSC_OK);
    assert_int_equal(wsc_msg_set_seq_no(msg, 42), WSC_OK);
    assert_int_equal(wsc_msg_set_priority(msg, WSC_PRIO_CRITICAL), WSC_OK);
    assert_int_equal(wsc_msg_set_require_ack(msg, true), WSC_OK);
    return msg;
}

#define FULL_JSON                                                                              \
    "{\"id\":\"v0\",\"message_id\":\"v1\",\"message_type\":\"v2\",\"sender\":\"v3\","          \
    "\"sender_client\":\"v4\",\"receiver\":\"v5\",\"receiver_client\":\"v6\","                 \
    "\"group_ids\":[\"g1\",\"g2\"],\"broadcast_type\":\"v16\",\"content\":\"v7\","             \
    "\"data\":{\"k\":[1,{\"x\":null}],\"s\":\"t\"},\"session_id\":\"v8\",\"trace_id\":\"v9\"," \
    "\"reply_to_msg_id\":\"v10\",\"sender_name\":\"v11\",\"receiver_name\":\"v12\","           \
    "\"create_at\":\"v13\",\"seq_no\":42,\"priority\":\"critical\",\"source\":\"v17\","        \
    "\"require_ack\":true,\"app_id\":\"v14\",\"namespace\":\"v15\"}"

static void
test_codec__encodes_every_field_in_wire_order(void **state)
{
    (void)state;
    wsc_msg *msg = full_message();
    expect_json(msg, FULL_JSON);
    wsc_msg_unref(msg);
}

static void
test_codec__round_trip(void **state)
{
    (void)state;
    wsc_msg *msg = full_message();
    wsc_msg *back = parse_ok(FULL_JSON);
    for (int f = 0; f < WSC_F_COUNT_; f++)
        assert_string_equal(wsc_msg_get(back, (wsc_msg_field)f),
                            wsc_msg_get(msg, (wsc_msg_field)f));
    assert_int_equal(wsc_msg_group_count(back), 2);
    assert_string_equal(wsc_msg_group(back, 1), "g2");
    assert_true(json_equal(wsc__msg_data(back), wsc__msg_data(msg)));
    assert_int_equal(wsc_msg_seq_no(back), 42);
    assert_int_equal(wsc_msg_priority(back), WSC_PRIO_CRITICAL);
    assert_true(wsc_msg_require_ack(back));
    expect_json(back, FULL_JSON);
    wsc_msg_unref(back);
    wsc_msg_unref(msg);
}

static void
test_codec__wire_has_headroom_and_same_bytes(void **state)
{
    (void)state;
    wsc_msg *msg = full_message();
    size_t len = 0;
    assert_int_equal(wsc__msg_encode(msg), WSC_OK);
    unsigned char *wire = wsc__msg_wire(msg, &len);
    assert_int_equal(len, strlen(FULL_JSON));
    assert_memory_equal(wire, FULL_JSON, len);
    memset(wire - WSC_PRE, 0xAB, WSC_PRE); /* the headroom is ours to write */
    expect_json(msg, FULL_JSON);           /* a frozen message hands out the sent bytes */
    wsc_msg_unref(msg);
}

static void
test_codec__seq_no_extremes_and_priorities(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    assert_int_equal(wsc_msg_set_seq_no(msg, INT64_MIN), WSC_OK);
    assert_int_equal(wsc_msg_set_priority(msg, WSC_PRIO_LOW), WSC_OK);
    expect_json(msg, "{\"message_type\":\"text\",\"seq_no\":-9223372036854775808,"
                     "\"priority\":\"low\"}");
    assert_int_equal(wsc_msg_set_seq_no(msg, INT64_MAX), WSC_OK);
    assert_int_equal(wsc_msg_set_seq_no(msg, 0), WSC_OK);
    expect_json(msg, "{\"message_type\":\"text\",\"seq_no\":0,\"priority\":\"low\"}");
    wsc_msg_unref(msg);
    msg = parse_ok("{\"seq_no\":9223372036854775807,\"priority\":\"normal\"}");
    assert_int_equal(wsc_msg_seq_no(msg), INT64_MAX);
    assert_int_equal(wsc_msg_priority(msg), WSC_PRIO_NORMAL);
    expect_json(msg, "{\"message_type\":\"text\",\"seq_no\":9223372036854775807}");
    wsc_msg_unref(msg);
}

static void
test_codec__escapes_quotes_controls_and_keeps_unicode(void **state)
{
    (void)state;
    const char *content = "q\"b\\s/n\nt\tr\rb\bf\f\x01\x1f\x7f caf\xc3\xa9 \xf0\x9f\x98\x80";
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new_text(&msg, NULL, content), WSC_OK);
    assert_int_equal(wsc_msg_add_group(msg, "a\"b"), WSC_OK);
    expect_json(msg, "{\"message_type\":\"text\",\"group_ids\":[\"a\\\"b\"],"
                     "\"content\":\"q\\\"b\\\\s/n\\nt\\tr\\rb\\bf\\f\\u0001\\u001f\x7f "
                     "caf\xc3\xa9 \xf0\x9f\x98\x80\"}");
    wsc_buf buf = {0};
    assert_int_equal(wsc_msg_to_json(msg, &buf), WSC_OK);
    wsc_msg *back = parse_ok(buf.data);
    assert_string_equal(wsc_msg_get(back, WSC_F_CONTENT), content);
    assert_string_equal(wsc_msg_group(back, 0), "a\"b");
    wsc_buf_free(&buf);
    wsc_msg_unref(back);
    wsc_msg_unref(msg);
    /* \u escapes on input, including a surrogate pair, come out as UTF-8. */
    back = parse_ok("{\"content\":\"\\u00e9\\ud83d\\ude00\\\"\"}");
    assert_string_equal(wsc_msg_get(back, WSC_F_CONTENT), "\xc3\xa9\xf0\x9f\x98\x80\"");
    wsc_msg_unref(back);
}

static void
test_codec__defaults_unknown_fields_and_nulls(void **state)
{
    (void)state;
    wsc_msg *msg = parse_ok("{\"receiver\":\"bob\",\"extra\":{\"deep\":[1,2]},\"n\":5,"
                            "\"sender\":null,\"data\":null}");
    assert_string_equal(wsc_msg_get(msg, WSC_F_TYPE), "text");
    assert_string_equal(wsc_msg_get(msg, WSC_F_RECEIVER), "bob");
    assert_null(wsc_msg_get(msg, WSC_F_SENDER));
    assert_null(wsc__msg_data(msg));
    assert_false(wsc_msg_is_frozen(msg));
    assert_int_equal(wsc__msg_refs(msg), 1);
    expect_json(msg, "{\"message_type\":\"text\",\"receiver\":\"bob\"}");
    wsc_msg_unref(msg);
    msg = parse_ok("{}");
    expect_json(msg, "{\"message_type\":\"text\"}");
    wsc_msg_unref(msg);
}

static void
test_codec__rejects_non_objects(void **state)
{
    (void)state;
    expect_reject("", NULL, WSC_ERR_PROTOCOL, "invalid JSON");
    expect_reject("hello", NULL, WSC_ERR_PROTOCOL, "invalid JSON");
    expect_reject("{\"a\":1", NULL, WSC_ERR_PROTOCOL, "invalid JSON");
    expect_reject("{\"a\":1} x", NULL, WSC_ERR_PROTOCOL, "invalid JSON");
    expect_reject("{\"a\":1,\"a\":2}", NULL, WSC_ERR_PROTOCOL, "invalid JSON");
    expect_reject("{\"content\":\"\xff\"}", NULL, WSC_ERR_PROTOCOL, "invalid JSON");
    expect_reject("{\"content\":\"a\\u0000b\"}", NULL, WSC_ERR_PROTOCOL, "invalid JSON");
    expect_reject("[1,2]", NULL, WSC_ERR_PROTOCOL, "not a JSON object");
    expect_reject("5", NULL, WSC_ERR_PROTOCOL, "not a JSON object");
    expect_reject("\"str\"", NULL, WSC_ERR_PROTOCOL, "not a JSON object");
    expect_reject("null", NULL, WSC_ERR_PROTOCOL, "not a JSON object");
    /* A NULL err_text is allowed. */
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_parse(&msg, "[]", 2, NULL, NULL), WSC_ERR_PROTOCOL);
    assert_null(msg);
}

static void
test_codec__rejects_wrong_field_types(void **state)
{
    (void)state;
    static const char *const cases[][2] = {
        {"{\"receiver\":5}", "receiver"},
        {"{\"message_type\":true}", "message_type"},
        {"{\"content\":{}}", "content"},
        {"{\"reply_to_msg_id\":[]}", "reply_to_msg_id"},
        {"{\"group_ids\":\"g1\"}", "group_ids"},
        {"{\"group_ids\":[\"g1\",2]}", "group_ids"},
        {"{\"group_ids\":[null]}", "group_ids"},
        {"{\"require_ack\":\"true\"}", "require_ack"},
        {"{\"require_ack\":1}", "require_ack"},
        {"{\"seq_no\":\"1\"}", "seq_no"},
        {"{\"seq_no\":1.5}", "seq_no"},
        {"{\"priority\":\"asap\"}", "priority"},
        {"{\"priority\":3}", "priority"},
        {"{\"priority\":\"HIGH\"}", "priority"},
        {"{\"data\":[1]}", "data"},
        {"{\"data\":\"x\"}", "data"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        expect_reject(cases[i][0], NULL, WSC_ERR_INVALID, cases[i][1]);
}

static void
test_codec__rejects_too_large(void **state)
{
    (void)state;
    wsc_msg_limits lim;
    wsc_msg_limits_init(&lim);
    assert_int_equal(lim.max_bytes, 65536);
    assert_int_equal(lim.max_depth, 32);
    assert_int_equal(lim.max_string, 1024);
    assert_int_equal(lim.max_group_ids, 64);
    lim.max_bytes = 16;
    expect_reject("{\"content\":\"0123456789\"}", &lim, WSC_ERR_TOO_LARGE, "too large");
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_parse(&msg, "{\"content\":\"1\"}", 15, &lim, NULL), WSC_OK);
    wsc_msg_unref(msg);
    /* The default limit: one byte over 64 KiB. */
    size_t n = 65537;
    char *big = malloc(n + 1);
    assert_non_null(big);
    memset(big, ' ', n);
    memcpy(big, "{}", 2);
    big[n] = '\0';
    expect_reject(big, NULL, WSC_ERR_TOO_LARGE, "too large");
    free(big);
}

static char *
nested(size_t depth, char open, char close)
{
    char *s = malloc(2 * depth + 16);
    assert_non_null(s);
    size_t n = 0;
    s[n++] = '{';
    memcpy(s + n, "\"d\":", 4);
    n += 4;
    for (size_t i = 1; i < depth; i++)
        s[n++] = open;
    for (size_t i = 1; i < depth; i++)
        s[n++] = close;
    s[n++] = '}';
    s[n] = '\0';
    return s;
}

static void
test_codec__rejects_too_deep(void **state)
{
    (void)state;
    char *s = nested(10000, '[', ']');
    expect_reject(s, NULL, WSC_ERR_PROTOCOL, "deep");
    free(s);
    /* Unbalanced hostile input is refused before jansson sees it. */
    s = malloc(10001);
    assert_non_null(s);
    memset(s, '[', 10000);
    s[10000] = '\0';
    expect_reject(s, NULL, WSC_ERR_PROTOCOL, "deep");
    free(s);
    s = nested(33, '[', ']');
    expect_reject(s, NULL, WSC_ERR_PROTOCOL, "deep");
    free(s);
    s = nested(32, '[', ']');
    wsc_msg_unref(parse_ok(s));
    free(s);
    /* Brackets inside strings (even after escaped quotes) do not count. */
    wsc_msg *msg = parse_ok("{\"content\":\"\\\"[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\"}");
    wsc_msg_unref(msg);
}

static void
test_codec__rejects_long_strings(void **state)
{
    (void)state;
    wsc_msg_limits lim;
    wsc_msg_limits_init(&lim);
    lim.max_string = 8;
    expect_reject("{\"receiver\":\"123456789\"}", &lim, WSC_ERR_INVALID, "receiver");
    expect_reject("{\"message_type\":\"123456789\"}", &lim, WSC_ERR_INVALID, "message_type");
    expect_reject("{\"group_ids\":[\"123456789\"]}", &lim, WSC_ERR_INVALID, "group_ids");
    wsc_msg *msg = NULL;
    const char *ok = "{\"receiver\":\"12345678\",\"content\":\"content may be longer\","
                     "\"data\":{\"k\":\"so may strings in data\"}}";
    assert_int_equal(wsc_msg_parse(&msg, ok, strlen(ok), &lim, NULL), WSC_OK);
    assert_string_equal(wsc_msg_get(msg, WSC_F_CONTENT), "content may be longer");
    wsc_msg_unref(msg);
}

static void
test_codec__rejects_too_many_group_ids(void **state)
{
    (void)state;
    char text[1024];
    size_t n = (size_t)snprintf(text, sizeof(text), "{\"group_ids\":[");
    for (int i = 0; i < 65; i++)
        n += (size_t)snprintf(text + n, sizeof(text) - n, "%s\"g%d\"", i ? "," : "", i);
    snprintf(text + n, sizeof(text) - n, "]}");
    expect_reject(text, NULL, WSC_ERR_INVALID, "group_ids");
    wsc_msg_limits lim;
    wsc_msg_limits_init(&lim);
    lim.max_group_ids = 65;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_parse(&msg, text, strlen(text), &lim, NULL), WSC_OK);
    assert_int_equal(wsc_msg_group_count(msg), 65);
    assert_string_equal(wsc_msg_group(msg, 64), "g64");
    wsc_msg_unref(msg);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_codec__empty_message_encodes_type_only),
        cmocka_unit_test(test_codec__encodes_every_field_in_wire_order),
        cmocka_unit_test(test_codec__round_trip),
        cmocka_unit_test(test_codec__wire_has_headroom_and_same_bytes),
        cmocka_unit_test(test_codec__seq_no_extremes_and_priorities),
        cmocka_unit_test(test_codec__escapes_quotes_controls_and_keeps_unicode),
        cmocka_unit_test(test_codec__defaults_unknown_fields_and_nulls),
        cmocka_unit_test(test_codec__rejects_non_objects),
        cmocka_unit_test(test_codec__rejects_wrong_field_types),
        cmocka_unit_test(test_codec__rejects_too_large),
        cmocka_unit_test(test_codec__rejects_too_deep),
        cmocka_unit_test(test_codec__rejects_long_strings),
        cmocka_unit_test(test_codec__rejects_too_many_group_ids),
    };
    return cmocka_run_group_tests_name("unit.protocol.codec", tests, NULL, NULL);
}
