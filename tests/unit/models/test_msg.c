/* SPDX-License-Identifier: MIT */
/* The message model: setters and getters, references, clone, freezing, binary payloads,
 * group ids and UTF-8 validation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/msg.h>

#include "models/msg_internal.h"
#include "models/utf8.h"

static void
test_msg__new_is_text_with_defaults(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    assert_string_equal(wsc_msg_get(msg, WSC_F_TYPE), "text");
    assert_null(wsc_msg_get(msg, WSC_F_RECEIVER));
    assert_int_equal(wsc_msg_priority(msg), WSC_PRIO_NORMAL);
    assert_false(wsc_msg_require_ack(msg));
    assert_false(wsc_msg_is_frozen(msg));
    assert_false(wsc_msg_is_binary(msg));
    assert_int_equal(wsc_msg_group_count(msg), 0);
    assert_null(wsc__msg_data(msg));
    wsc_msg_unref(msg);
}

static void
test_msg__set_and_get_fields(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new_text(&msg, "chat", "hello"), WSC_OK);
    assert_string_equal(wsc_msg_get(msg, WSC_F_TYPE), "chat");
    assert_string_equal(wsc_msg_get(msg, WSC_F_CONTENT), "hello");
    assert_int_equal(wsc_msg_set(msg, WSC_F_RECEIVER, "bob"), WSC_OK);
    assert_string_equal(wsc_msg_get(msg, WSC_F_RECEIVER), "bob");
    assert_int_equal(wsc_msg_set(msg, WSC_F_RECEIVER, "carol"), WSC_OK);
    assert_string_equal(wsc_msg_get(msg, WSC_F_RECEIVER), "carol");
    assert_int_equal(wsc_msg_set(msg, WSC_F_RECEIVER, NULL), WSC_OK);
    assert_null(wsc_msg_get(msg, WSC_F_RECEIVER));
    assert_int_equal(wsc_msg_set(msg, WSC_F_TYPE, NULL), WSC_OK);
    assert_string_equal(wsc_msg_get(msg, WSC_F_TYPE), "text");
    assert_int_equal(wsc_msg_set(msg, WSC_F_COUNT_, "x"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set(msg, (wsc_msg_field)-1, "x"), WSC_ERR_INVALID);
    assert_null(wsc_msg_get(msg, WSC_F_COUNT_));
    wsc_msg_unref(msg);
}

static void
test_msg__scalars(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    assert_int_equal(wsc_msg_set_priority(msg, WSC_PRIO_URGENT), WSC_OK);
    assert_int_equal(wsc_msg_priority(msg), WSC_PRIO_URGENT);
    assert_true(wsc__msg_is_urgent(msg));
    assert_int_equal(wsc_msg_set_priority(msg, WSC_PRIO_HIGH), WSC_OK);
    assert_false(wsc__msg_is_urgent(msg));
    assert_int_equal(wsc_msg_set_priority(msg, (wsc_priority)42), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set_require_ack(msg, true), WSC_OK);
    assert_true(wsc_msg_require_ack(msg));
    assert_int_equal(wsc_msg_set_seq_no(msg, -7), WSC_OK);
    assert_int_equal(wsc_msg_seq_no(msg), -7);
    wsc_msg_unref(msg);
}

static void
test_msg__refcount(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    assert_int_equal(wsc__msg_refs(msg), 1);
    assert_ptr_equal(wsc_msg_ref(msg), msg);
    assert_ptr_equal(wsc_msg_ref(msg), msg);
    assert_int_equal(wsc__msg_refs(msg), 3);
    wsc_msg_unref(msg);
    wsc_msg_unref(msg);
    assert_int_equal(wsc__msg_refs(msg), 1);
    wsc_msg_unref(msg);
    wsc_msg_unref(NULL);
    assert_null(wsc_msg_ref(NULL));
}

static void
test_msg__data_object(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    wsc_buf buf = {0};
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    assert_int_equal(wsc_msg_get_data_json(msg, &buf), WSC_ERR_NOT_FOUND);
    assert_int_equal(wsc_msg_set_data_json(msg, "{\"k\": \"v\", \"n\": 2}"), WSC_OK);
    assert_string_equal(wsc_msg_get_data_string(msg, "k"), "v");
    assert_null(wsc_msg_get_data_string(msg, "n"));
    assert_null(wsc_msg_get_data_string(msg, "missing"));
    assert_int_equal(wsc_msg_get_data_json(msg, &buf), WSC_OK);
    assert_string_equal(buf.data, "{\"k\":\"v\",\"n\":2}");
    assert_int_equal(buf.len, strlen(buf.data));
    wsc_buf_free(&buf);
    assert_int_equal(wsc_msg_set_data_json(msg, "[1,2]"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set_data_json(msg, "{bad"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set_data_json(msg, "{} {}"), WSC_ERR_INVALID);
    assert_string_equal(wsc_msg_get_data_string(msg, "k"), "v");
    assert_int_equal(wsc_msg_set_data_json(msg, NULL), WSC_OK);
    assert_null(wsc__msg_data(msg));
    assert_int_equal(wsc__msg_set_data(msg, json_array()), WSC_ERR_INVALID);
    assert_int_equal(wsc__msg_set_data(msg, json_pack("{s:i}", "x", 1)), WSC_OK);
    assert_non_null(wsc__msg_data(msg));
    wsc_msg_unref(msg);
}

static void
test_msg__group_ids(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    char name[16];
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    for (int i = 0; i < 20; i++) {
        snprintf(name, sizeof(name), "g%d", i);
        assert_int_equal(wsc_msg_add_group(msg, name), WSC_OK);
    }
    assert_int_equal(wsc_msg_group_count(msg), 20);
    assert_string_equal(wsc_msg_group(msg, 0), "g0");
    assert_string_equal(wsc_msg_group(msg, 19), "g19");
    assert_null(wsc_msg_group(msg, 20));
    assert_int_equal(wsc_msg_add_group(msg, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_add_group(msg, "\xff"), WSC_ERR_INVALID);
    wsc_msg_unref(msg);
}

static void
test_msg__binary(void **state)
{
    (void)state;
    const unsigned char bytes[] = {0, 1, 2, 0xff, 0};
    wsc_msg *msg = NULL;
    size_t len = 99;
    wsc_buf buf = {0};
    assert_int_equal(wsc_msg_new_binary(&msg, bytes, sizeof(bytes)), WSC_OK);
    assert_true(wsc_msg_is_binary(msg));
    const unsigned char *got = wsc_msg_binary(msg, &len);
    assert_int_equal(len, sizeof(bytes));
    assert_memory_equal(got, bytes, sizeof(bytes));
    assert_int_equal(wsc_msg_set(msg, WSC_F_RECEIVER, "bob"), WSC_OK);
    assert_int_equal(wsc_msg_to_json(msg, &buf), WSC_ERR_INVALID);
    assert_int_equal(wsc__msg_encode(msg), WSC_OK);
    assert_memory_equal(wsc__msg_wire(msg, &len), bytes, sizeof(bytes));
    assert_int_equal(len, sizeof(bytes));
    wsc_msg_unref(msg);

    assert_int_equal(wsc_msg_new_binary(&msg, NULL, 0), WSC_OK);
    assert_non_null(wsc_msg_binary(msg, &len));
    assert_int_equal(len, 0);
    wsc_msg_unref(msg);
    assert_int_equal(wsc_msg_new_binary(&msg, NULL, 3), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    assert_null(wsc_msg_binary(msg, &len));
    assert_int_equal(len, 0);
    wsc_msg_unref(msg);
}

static void
test_msg__clone_is_deep_and_unfrozen(void **state)
{
    (void)state;
    wsc_msg *msg = NULL, *copy = NULL;
    assert_int_equal(wsc_msg_new_text(&msg, "chat", "hi"), WSC_OK);
    assert_int_equal(wsc_msg_add_group(msg, "g1"), WSC_OK);
    assert_int_equal(wsc_msg_set_data_json(msg, "{\"a\":{\"b\":1}}"), WSC_OK);
    assert_int_equal(wsc_msg_set_seq_no(msg, 5), WSC_OK);
    assert_int_equal(wsc_msg_set_priority(msg, WSC_PRIO_LOW), WSC_OK);
    assert_int_equal(wsc__msg_encode(msg), WSC_OK);
    assert_int_equal(wsc_msg_clone(msg, &copy), WSC_OK);
    assert_false(wsc_msg_is_frozen(copy));
    assert_null(wsc__msg_wire(copy, NULL));
    assert_int_equal(wsc__msg_refs(copy), 1);
    assert_string_equal(wsc_msg_get(copy, WSC_F_CONTENT), "hi");
    assert_ptr_not_equal(wsc_msg_get(copy, WSC_F_CONTENT), wsc_msg_get(msg, WSC_F_CONTENT));
    assert_string_equal(wsc_msg_group(copy, 0), "g1");
    assert_ptr_not_equal(wsc__msg_data(copy), wsc__msg_data(msg));
    assert_true(json_equal(wsc__msg_data(copy), wsc__msg_data(msg)));
    assert_int_equal(wsc_msg_seq_no(copy), 5);
    assert_int_equal(wsc_msg_priority(copy), WSC_PRIO_LOW);
    assert_int_equal(wsc_msg_set(copy, WSC_F_CONTENT, "changed"), WSC_OK);
    assert_string_equal(wsc_msg_get(msg, WSC_F_CONTENT), "hi");
    wsc_msg_unref(copy);
    wsc_msg_unref(msg);

    const char bytes[] = "raw";
    size_t len = 0;
    assert_int_equal(wsc_msg_new_binary(&msg, bytes, 3), WSC_OK);
    assert_int_equal(wsc_msg_clone(msg, &copy), WSC_OK);
    assert_true(wsc_msg_is_binary(copy));
    assert_memory_equal(wsc_msg_binary(copy, &len), "raw", 3);
    wsc_msg_unref(copy);
    wsc_msg_unref(msg);
}

static void
test_msg__frozen_refuses_setters(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    size_t len = 0;
    assert_int_equal(wsc_msg_new_text(&msg, "chat", "hi"), WSC_OK);
    assert_null(wsc__msg_wire(msg, &len));
    assert_int_equal(wsc__msg_encode(msg), WSC_OK);
    assert_true(wsc_msg_is_frozen(msg));
    const unsigned char *wire = wsc__msg_wire(msg, &len);
    assert_non_null(wire);
    assert_int_equal(wsc__msg_encode(msg), WSC_OK); /* idempotent */
    assert_ptr_equal(wsc__msg_wire(msg, NULL), wire);
    assert_int_equal(wsc_msg_set(msg, WSC_F_CONTENT, "x"), WSC_ERR_STATE);
    assert_int_equal(wsc_msg_set_data_json(msg, "{}"), WSC_ERR_STATE);
    assert_int_equal(wsc__msg_set_data(msg, json_object()), WSC_ERR_STATE);
    assert_int_equal(wsc_msg_set_priority(msg, WSC_PRIO_HIGH), WSC_ERR_STATE);
    assert_int_equal(wsc_msg_set_require_ack(msg, true), WSC_ERR_STATE);
    assert_int_equal(wsc_msg_set_seq_no(msg, 1), WSC_ERR_STATE);
    assert_int_equal(wsc_msg_add_group(msg, "g"), WSC_ERR_STATE);
    assert_string_equal(wsc_msg_get(msg, WSC_F_CONTENT), "hi");
    wsc_msg_unref(msg);
}

static void
test_msg__rejects_invalid_utf8(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(wsc_msg_new(&msg), WSC_OK);
    assert_int_equal(wsc_msg_set(msg, WSC_F_CONTENT, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"),
                     WSC_OK);
    assert_int_equal(wsc_msg_set(msg, WSC_F_CONTENT, "\xc0\xaf"), WSC_ERR_INVALID); /* overlong */
    assert_int_equal(wsc_msg_set(msg, WSC_F_CONTENT, "\xed\xa0\x80"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set(msg, WSC_F_CONTENT, "\xf4\x90\x80\x80"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set(msg, WSC_F_CONTENT, "\xe2\x82"), WSC_ERR_INVALID);
    assert_string_equal(wsc_msg_get(msg, WSC_F_CONTENT),
                        "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    wsc_msg_unref(msg);
    assert_int_equal(wsc_msg_new_text(&msg, "\xff", NULL), WSC_ERR_INVALID);
    assert_null(msg);
}

static void
test_msg__utf8_validator_edges(void **state)
{
    (void)state;
    assert_true(wsc__utf8_valid("", 0));
    assert_true(wsc__utf8_valid("\x7f", 1));
    assert_true(wsc__utf8_valid("\xc2\x80", 2));          /* U+0080 */
    assert_true(wsc__utf8_valid("\xe0\xa0\x80", 3));      /* U+0800 */
    assert_true(wsc__utf8_valid("\xed\x9f\xbf", 3));      /* U+D7FF */
    assert_true(wsc__utf8_valid("\xee\x80\x80", 3));      /* U+E000 */
    assert_true(wsc__utf8_valid("\xf0\x90\x80\x80", 4));  /* U+10000 */
    assert_true(wsc__utf8_valid("\xf4\x8f\xbf\xbf", 4));  /* U+10FFFF */
    assert_false(wsc__utf8_valid("\x80", 1));             /* lone continuation */
    assert_false(wsc__utf8_valid("\xc1\xbf", 2));         /* overlong */
    assert_false(wsc__utf8_valid("\xe0\x9f\xbf", 3));     /* overlong */
    assert_false(wsc__utf8_valid("\xf0\x8f\xbf\xbf", 4)); /* overlong */
    assert_false(wsc__utf8_valid("\xed\xbf\xbf", 3));     /* surrogate */
    assert_false(wsc__utf8_valid("\xf5\x80\x80\x80", 4)); /* above U+10FFFF */
    assert_false(wsc__utf8_valid("\xf0\x90\x80", 3));     /* truncated */
    assert_false(wsc__utf8_valid("\xe2\x28\xa1", 3));     /* bad continuation */
    assert_false(wsc__utf8_valid("\xfe", 1));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg__new_is_text_with_defaults),
        cmocka_unit_test(test_msg__set_and_get_fields),
        cmocka_unit_test(test_msg__scalars),
        cmocka_unit_test(test_msg__refcount),
        cmocka_unit_test(test_msg__data_object),
        cmocka_unit_test(test_msg__group_ids),
        cmocka_unit_test(test_msg__binary),
        cmocka_unit_test(test_msg__clone_is_deep_and_unfrozen),
        cmocka_unit_test(test_msg__frozen_refuses_setters),
        cmocka_unit_test(test_msg__rejects_invalid_utf8),
        cmocka_unit_test(test_msg__utf8_validator_edges),
    };
    return cmocka_run_group_tests_name("unit.models.msg", tests, NULL, NULL);
}
