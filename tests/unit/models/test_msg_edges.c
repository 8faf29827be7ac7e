/* SPDX-License-Identifier: MIT */
/* wsc_msg at its edges (include/wsc/msg.h): every call given a NULL message answers
 * WSC_ERR_INVALID, NULL, 0 or false as documented; out-of-range fields and priorities are
 * refused; set_data_json refuses what is not one JSON object or nests deeper than the limit;
 * a binary message has no JSON form; the getters of "data" work on a parsed message (raw data
 * decoded on first use) and on one built with setters; wsc_msg_to_json of a frozen message is
 * exactly its wire bytes; out of memory in clone (strings, groups, data, binary bytes) and in
 * to_json / get_data_json answers WSC_ERR_NOMEM with nothing half-made. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "models/alloc.h"
#include "models/msg_internal.h"

static void
test_msg_edges__null_message(void **state)
{
    (void)state;
    assert_int_equal(wsc_msg_new(NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_new_text(NULL, "text", "x"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_new_binary(NULL, "x", 1), WSC_ERR_INVALID);
    wsc_msg *m = (wsc_msg *)&m;
    assert_int_equal(wsc_msg_new_binary(&m, NULL, 3), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_clone(NULL, &m), WSC_ERR_INVALID);
    assert_null(wsc_msg_ref(NULL));
    wsc_msg_unref(NULL);
    assert_false(wsc_msg_is_frozen(NULL));
    assert_false(wsc_msg_is_binary(NULL));
    assert_int_equal(wsc_msg_set(NULL, WSC_F_CONTENT, "x"), WSC_ERR_INVALID);
    assert_null(wsc_msg_get(NULL, WSC_F_TYPE));
    assert_int_equal(wsc_msg_set_data_json(NULL, "{}"), WSC_ERR_INVALID);
    static char junk[] = "junk";
    wsc_buf b = {junk, 4};
    assert_int_equal(wsc_msg_get_data_json(NULL, &b), WSC_ERR_INVALID);
    assert_null(wsc_msg_get_data_string(NULL, "k"));
    assert_int_equal(wsc_msg_set_priority(NULL, WSC_PRIO_HIGH), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_priority(NULL), WSC_PRIO_NORMAL);
    assert_int_equal(wsc_msg_set_require_ack(NULL, true), WSC_ERR_INVALID);
    assert_false(wsc_msg_require_ack(NULL));
    assert_int_equal(wsc_msg_set_seq_no(NULL, 5), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_seq_no(NULL), 0);
    assert_int_equal(wsc_msg_add_group(NULL, "g"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_group_count(NULL), 0);
    assert_null(wsc_msg_group(NULL, 0));
    size_t len = 9;
    assert_null(wsc_msg_binary(NULL, &len));
    assert_int_equal(len, 0);
    b = (wsc_buf){junk, 4};
    assert_int_equal(wsc_msg_to_json(NULL, &b), WSC_ERR_INVALID);
    assert_null(b.data); /* reset even when refused */
    char key[16];
    assert_int_equal(wsc_msg_key_of(NULL, key, sizeof(key)), WSC_ERR_INVALID);
}

static void
test_msg_edges__bad_values(void **state)
{
    (void)state;
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new(&m), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_COUNT_, "x"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set(m, (wsc_msg_field)-1, "x"), WSC_ERR_INVALID);
    assert_null(wsc_msg_get(m, WSC_F_COUNT_));
    assert_int_equal(wsc_msg_set_priority(m, (wsc_priority)99), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_priority(m), WSC_PRIO_NORMAL);
    assert_int_equal(wsc_msg_add_group(m, NULL), WSC_ERR_INVALID);
    assert_null(wsc_msg_group(m, 0));
    /* data: one JSON object, not too deep. */
    assert_int_equal(wsc_msg_set_data_json(m, "[1,2]"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set_data_json(m, "{\"a\":1"), WSC_ERR_INVALID);
    assert_int_equal(wsc_msg_set_data_json(m, "{\"a\":1,\"a\":2}"), WSC_ERR_INVALID);
    char deep[200] = "{\"a\":";
    size_t at = strlen(deep);
    for (int i = 0; i < 40; i++)
        deep[at++] = '[';
    for (int i = 0; i < 40; i++)
        deep[at++] = ']';
    deep[at++] = '}';
    deep[at] = '\0';
    assert_int_equal(wsc_msg_set_data_json(m, deep), WSC_ERR_INVALID);
    wsc_buf b;
    assert_int_equal(wsc_msg_get_data_json(m, &b), WSC_ERR_NOT_FOUND);
    assert_null(wsc_msg_get_data_string(m, NULL));
    assert_int_equal(wsc_msg_set_data_json(m, "{\"k\":\"v\",\"n\":1}"), WSC_OK);
    assert_string_equal(wsc_msg_get_data_string(m, "k"), "v");
    assert_null(wsc_msg_get_data_string(m, "n")); /* not a string */
    assert_null(wsc_msg_get_data_string(m, "zz"));
    assert_int_equal(wsc_msg_set_data_json(m, NULL), WSC_OK); /* cleared */
    assert_int_equal(wsc_msg_get_data_json(m, &b), WSC_ERR_NOT_FOUND);
    wsc_msg_unref(m);

    /* A binary message has no JSON form; its bytes are what was given. */
    assert_int_equal(wsc_msg_new_binary(&m, "\x00\x01", 2), WSC_OK);
    assert_true(wsc_msg_is_binary(m));
    size_t len = 0;
    assert_memory_equal(wsc_msg_binary(m, &len), "\x00\x01", 2);
    assert_int_equal(len, 2);
    assert_int_equal(wsc_msg_to_json(m, &b), WSC_ERR_INVALID);
    wsc_msg *c = NULL;
    assert_int_equal(wsc_msg_clone(m, &c), WSC_OK);
    assert_true(wsc_msg_is_binary(c));
    assert_memory_equal(wsc_msg_binary(c, &len), "\x00\x01", 2);
    wsc_msg_unref(c);
    wsc_msg_unref(m);
    /* A text message has no binary bytes. */
    assert_int_equal(wsc_msg_new_text(&m, NULL, NULL), WSC_OK);
    assert_string_equal(wsc_msg_get(m, WSC_F_TYPE), "text");
    len = 9;
    assert_null(wsc_msg_binary(m, &len));
    assert_int_equal(len, 0);
    wsc_msg_unref(m);
}

static void
test_msg_edges__parsed_data_and_frozen_json(void **state)
{
    (void)state;
    static const char json[] = "{\"message_type\":\"text\",\"message_id\":\"m1\","
                               "\"data\":{\"k\":\"v\",\"o\":{\"x\":[1,2]}},\"group_ids\":[\"g1\"]}";
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_parse(&m, json, sizeof(json) - 1, NULL, NULL), WSC_OK);
    wsc_buf b;
    assert_int_equal(wsc_msg_get_data_json(m, &b), WSC_OK); /* from the raw text */
    assert_string_equal(b.data, "{\"k\":\"v\",\"o\":{\"x\":[1,2]}}");
    wsc_buf_free(&b);
    assert_string_equal(wsc_msg_get_data_string(m, "k"), "v");
    /* Frozen: to_json hands out exactly the wire bytes. */
    assert_int_equal(wsc__msg_encode(m), WSC_OK);
    assert_true(wsc_msg_is_frozen(m));
    size_t wl = 0;
    const unsigned char *wire = wsc__msg_wire(m, &wl);
    assert_int_equal(wsc_msg_to_json(m, &b), WSC_OK);
    assert_int_equal(b.len, wl);
    assert_memory_equal(b.data, wire, wl);
    wsc_buf_free(&b);
    assert_int_equal(wsc_msg_set(m, WSC_F_CONTENT, "late"), WSC_ERR_STATE);
    assert_int_equal(wsc_msg_set_data_json(m, "{}"), WSC_ERR_STATE);
    /* A clone is open again and equal in content. */
    wsc_msg *c = NULL;
    assert_int_equal(wsc_msg_clone(m, &c), WSC_OK);
    assert_false(wsc_msg_is_frozen(c));
    assert_string_equal(wsc_msg_group(c, 0), "g1");
    assert_string_equal(wsc_msg_get_data_string(c, "k"), "v");
    wsc_msg_unref(c);
    wsc_msg_unref(m);
}

/* fn under the sweep: NOMEM (nothing made) while the hook fires, then WSC_OK. */
static void
sweep(wsc_err (*fn)(wsc_msg *src, wsc_buf *out, wsc_msg **copy), wsc_msg *src)
{
    bool fired = true;
    size_t failures = 0;
    for (long n = 1; fired && n < 500; n++) {
        wsc_buf b = {NULL, 0};
        wsc_msg *copy = NULL;
        wsc__alloc_fail_nth(n);
        wsc_err err = fn(src, &b, &copy);
        fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        if (err != WSC_OK) {
            assert_true(fired);
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_null(b.data);
            assert_null(copy);
            failures++;
        }
        wsc_buf_free(&b);
        wsc_msg_unref(copy);
    }
    assert_false(fired);
    assert_true(failures >= 1);
}

static wsc_err
do_clone(wsc_msg *src, wsc_buf *out, wsc_msg **copy)
{
    (void)out;
    return wsc_msg_clone(src, copy);
}

static wsc_err
do_to_json(wsc_msg *src, wsc_buf *out, wsc_msg **copy)
{
    (void)copy;
    return wsc_msg_to_json(src, out);
}

static wsc_err
do_data_json(wsc_msg *src, wsc_buf *out, wsc_msg **copy)
{
    (void)copy;
    return wsc_msg_get_data_json(src, out);
}

static void
test_msg_edges__out_of_memory(void **state)
{
    (void)state;
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "chat", "hello \"world\"\n"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, "m1"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, "alice"), WSC_OK);
    assert_int_equal(wsc_msg_add_group(m, "g1"), WSC_OK);
    assert_int_equal(wsc_msg_add_group(m, "g2"), WSC_OK);
    assert_int_equal(wsc_msg_set_data_json(m, "{\"a\":[1,{\"b\":\"c\"}]}"), WSC_OK);
    sweep(do_clone, m);
    sweep(do_to_json, m);
    sweep(do_data_json, m);
    assert_int_equal(wsc__msg_encode(m), WSC_OK);
    sweep(do_to_json, m); /* frozen: a copy of the wire bytes */
    wsc_msg_unref(m);
    wsc_msg *bin = NULL;
    assert_int_equal(wsc_msg_new_binary(&bin, "abc", 3), WSC_OK);
    sweep(do_clone, bin);
    wsc_msg_unref(bin);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_edges__null_message),
        cmocka_unit_test(test_msg_edges__bad_values),
        cmocka_unit_test(test_msg_edges__parsed_data_and_frozen_json),
        cmocka_unit_test(test_msg_edges__out_of_memory),
    };
    return cmocka_run_group_tests_name("unit.models.msg_edges", tests, NULL, NULL);
}
