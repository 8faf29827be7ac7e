/* SPDX-License-Identifier: MIT */
/* Numbers and escapes at the edges of the frame parser (src/models/json_scan*.c, used by
 * wsc_msg_parse): a number is accepted exactly when it fits a double (jansson's rule), also
 * when its token is longer than the scanner's small buffer and sits at the border
 * (1e308 <= |x| < 1e309, where strtod decides); zero is zero whatever its exponent; a huge
 * exponent is clamped, not overflowed; a high surrogate must be followed by a low one.  Also
 * the hub frames' time stamps past year 9999 and ids with long or no prefixes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "protocol/frames.h"

/* Parses {"message_type":"text","data":{"x":<num>}}; returns the result. */
static wsc_err
parse_num(const char *num)
{
    char json[512];
    int n = snprintf(json, sizeof(json), "{\"message_type\":\"text\",\"data\":{\"x\":%s}}", num);
    assert_true(n > 0 && (size_t)n < sizeof(json));
    wsc_msg *m = NULL;
    wsc_err err = wsc_msg_parse(&m, json, (size_t)n, NULL, NULL);
    if (err == WSC_OK) {
        wsc_buf b;
        assert_int_equal(wsc_msg_get_data_json(m, &b), WSC_OK); /* jansson agrees */
        wsc_buf_free(&b);
    } else {
        assert_null(m);
    }
    wsc_msg_unref(m);
    return err;
}

static void
test_json_numbers__range(void **state)
{
    (void)state;
    assert_int_equal(parse_num("1.7976931348623157e308"), WSC_OK);
    assert_int_not_equal(parse_num("1.8e308"), WSC_OK);
    assert_int_not_equal(parse_num("-1.8e+308"), WSC_OK);
    assert_int_equal(parse_num("-1e+308"), WSC_OK);
    assert_int_equal(parse_num("0.000e99999"), WSC_OK);
    assert_int_equal(parse_num("0e-99999999999999999999999"), WSC_OK);
    assert_int_not_equal(parse_num("1e99999999999999999999999"), WSC_OK);
    assert_int_equal(parse_num("1e-99999"), WSC_OK); /* underflows to 0: fine */
    assert_int_not_equal(parse_num("01"), WSC_OK);
    assert_int_not_equal(parse_num("1e"), WSC_OK);
    assert_int_not_equal(parse_num("-"), WSC_OK);
    /* Long tokens at the border: 71 integer digits and exponent 238 (strtod decides). */
    char num[128];
    memset(num, '0', sizeof(num));
    num[0] = '1';
    memcpy(num + 71, "e238", 5);
    assert_int_equal(parse_num(num), WSC_OK); /* 1e308 */
    num[0] = '2';
    assert_int_not_equal(parse_num(num), WSC_OK); /* 2e308 */
    memcpy(num, "1.", 2);
    memset(num + 2, '9', 70);
    memcpy(num + 72, "e308", 5);
    assert_int_not_equal(parse_num(num), WSC_OK); /* 1.99...e308 */
}

static void
test_json_numbers__seq_no_and_surrogates(void **state)
{
    (void)state;
    wsc_msg *m = NULL;
    static const char ok[] = "{\"message_type\":\"text\",\"seq_no\":-9223372036854775808}";
    assert_int_equal(wsc_msg_parse(&m, ok, sizeof(ok) - 1, NULL, NULL), WSC_OK);
    assert_true(wsc_msg_seq_no(m) == INT64_MIN);
    wsc_msg_unref(m);
    static const char big[] = "{\"message_type\":\"text\",\"seq_no\":99999999999999999999}";
    assert_int_not_equal(wsc_msg_parse(&m, big, sizeof(big) - 1, NULL, NULL), WSC_OK);
    assert_null(m);
    static const char pair[] = "{\"message_type\":\"text\",\"content\":\"\\ud83d\\ude00\"}";
    assert_int_equal(wsc_msg_parse(&m, pair, sizeof(pair) - 1, NULL, NULL), WSC_OK);
    assert_string_equal(wsc_msg_get(m, WSC_F_CONTENT), "\xf0\x9f\x98\x80");
    wsc_msg_unref(m);
    static const char lone[] = "{\"message_type\":\"text\",\"content\":\"\\ud83d\\u0041\"}";
    assert_int_not_equal(wsc_msg_parse(&m, lone, sizeof(lone) - 1, NULL, NULL), WSC_OK);
    assert_null(m);
}

static void
test_json_numbers__frame_times_and_ids(void **state)
{
    (void)state;
    char out[40] = "unchanged";
    wsc__proto_time_rfc3339(0, out, 0); /* no room: nothing written */
    assert_string_equal(out, "unchanged");
    wsc__proto_time_rfc3339(1700000000123ULL, out, sizeof(out));
    assert_string_equal(out, "2023-11-14T22:13:20.123Z");
    wsc__proto_time_rfc3339(300000000000000ULL, out, sizeof(out)); /* year 11476 */
    assert_string_equal(out, "");
    char id[WSC__PROTO_ID_MAX];
    wsc__proto_make_tag_id(NULL, 35, id, sizeof(id));
    assert_int_equal(strlen(id), WSC__PROTO_TAG_DIGITS);
    assert_string_equal(id, "000000000000z");
    char prefix[100];
    memset(prefix, 'p', sizeof(prefix) - 1);
    prefix[sizeof(prefix) - 1] = '\0';
    wsc__proto_make_id(prefix, 1, 2, id, sizeof(id)); /* only 64 bytes of prefix count */
    assert_int_equal(strspn(id, "p"), 64);
    assert_true(strlen(id) < sizeof(id));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_numbers__range),
        cmocka_unit_test(test_json_numbers__seq_no_and_surrogates),
        cmocka_unit_test(test_json_numbers__frame_times_and_ids),
    };
    return cmocka_run_group_tests_name("unit.models.json_numbers", tests, NULL, NULL);
}
