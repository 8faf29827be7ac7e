/* SPDX-License-Identifier: MIT */
/* The JSON scanner behind wsc_msg_parse: its edge cases (escapes, surrogates, numbers,
 * control characters, whitespace, trailing text, depth, duplicates) and a differential run
 * against jansson over random and mutated frames. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include <wsc/msg.h>

#include "models/msg_internal.h"
#include "tparse_oracle.h"

static wsc_err
parse(const char *text, wsc_msg **out, const char **why)
{
    return wsc_msg_parse(out, text, strlen(text), NULL, why);
}

static void
expect_invalid_json(const char *text)
{
    wsc_msg *msg = NULL;
    const char *why = NULL;
    wsc_err err = parse(text, &msg, &why);
    if (err != WSC_ERR_PROTOCOL || strcmp(why, "invalid JSON") != 0)
        fail_msg("%s: got %d (%s), want invalid JSON", text, err, why ? why : "-");
    assert_null(msg);
    assert_null(tparse_compare(text, strlen(text)));
}

static void
expect_content(const char *text, const char *want)
{
    wsc_msg *msg = NULL;
    const char *why = NULL;
    if (parse(text, &msg, &why) != WSC_OK)
        fail_msg("%s: %s", text, why ? why : "-");
    assert_string_equal(wsc_msg_get(msg, WSC_F_CONTENT), want);
    wsc_msg_unref(msg);
    assert_null(tparse_compare(text, strlen(text)));
}

static void
test_json_scan__string_escapes_and_surrogates(void **state)
{
    (void)state;
    expect_content("{\"content\":\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"}", "\"\\/\b\f\n\r\t");
    expect_content("{\"content\":\"\\u0041\\u00E9\\u20ac\\uD83D\\uDE00\"}",
                   "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    expect_content("{\"content\":\"\\udbff\\udfff\"}", "\xf4\x8f\xbf\xbf");
    expect_content("{\"content\":\"\"}", "");
    expect_invalid_json("{\"content\":\"\\ud800\"}");        /* lone high surrogate */
    expect_invalid_json("{\"content\":\"\\ud800x\"}");       /* high, then not an escape */
    expect_invalid_json("{\"content\":\"\\ud800\\u0041\"}"); /* high, then not a low */
    expect_invalid_json("{\"content\":\"\\udc00\"}");        /* lone low surrogate */
    expect_invalid_json("{\"content\":\"\\u00\"}");          /* short */
    expect_invalid_json("{\"content\":\"\\u00g0\"}");        /* not hex */
    expect_invalid_json("{\"content\":\"\\x41\"}");          /* unknown escape */
    expect_invalid_json("{\"content\":\"\\u0000\"}");        /* NUL */
    expect_invalid_json("{\"content\":\"a\nb\"}");           /* raw control characters */
    expect_invalid_json("{\"content\":\"a\x1f\"}");
    expect_invalid_json("{\"content\":\"\xc0\xaf\"}");         /* overlong */
    expect_invalid_json("{\"content\":\"\xed\xa0\x80\"}");     /* encoded surrogate */
    expect_invalid_json("{\"content\":\"\xf4\x90\x80\x80\"}"); /* above U+10FFFF */
    expect_invalid_json("{\"content\":\"\xe2\x82\"}");         /* truncated */
    expect_invalid_json("{\"content\":\"abc");                 /* unterminated */
    expect_invalid_json("{\"k\\u0000\":1}");                   /* NUL in a key */
}

static void
test_json_scan__numbers(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "{\"n\":0}",
        "{\"n\":-0}",
        "{\"n\":-0.0}",
        "{\"n\":1e5}",
        "{\"n\":1E+5}",
        "{\"n\":1e-400}",
        "{\"n\":0.5e308}",
        "{\"n\":1.7976931348623157e308}",
        "{\"n\":1e308}",
        "{\"n\":-1e308}",
        "{\"n\":0e999999}",
        "{\"n\":9223372036854775807}",
        "{\"n\":-9223372036854775808}",
        "{\"n\":123.456e-7}",
    };
    static const char *const bad[] = {
        "{\"n\":01}",
        "{\"n\":-01}",
        "{\"n\":1.}",
        "{\"n\":.5}",
        "{\"n\":1e}",
        "{\"n\":1e+}",
        "{\"n\":-}",
        "{\"n\":+1}",
        "{\"n\":1e400}",
        "{\"n\":-1e400}",
        "{\"n\":1.8e308}",
        "{\"n\":9223372036854775808}",
        "{\"n\":-9223372036854775809}",
        "{\"n\":99999999999999999999999}",
        "{\"n\":0x10}",
        "{\"n\":NaN}",
        "{\"n\":Infinity}",
        "{\"n\":1 2}",
    };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        wsc_msg *msg = NULL;
        if (parse(ok[i], &msg, NULL) != WSC_OK)
            fail_msg("%s refused", ok[i]);
        wsc_msg_unref(msg);
        assert_null(tparse_compare(ok[i], strlen(ok[i])));
    }
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_invalid_json(bad[i]);
    wsc_msg *msg = NULL;
    assert_int_equal(parse("{\"seq_no\":-0}", &msg, NULL), WSC_OK);
    assert_int_equal(wsc_msg_seq_no(msg), 0);
    wsc_msg_unref(msg);
    assert_int_equal(parse("{\"seq_no\":1e2}", &msg, NULL), WSC_ERR_INVALID);
}

static void
test_json_scan__whitespace_literals_and_trailing_text(void **state)
{
    (void)state;
    const char *spaced = " \t\r\n{ \"content\" :\t\"x\" , \"require_ack\" : true ,\n\"data\" : "
                         "{ \"a\" : [ 1 , { } , [ ] , null , false ] , \"b\" : \"c d\" } } \n";
    wsc_msg *msg = NULL;
    assert_int_equal(parse(spaced, &msg, NULL), WSC_OK);
    assert_true(wsc_msg_require_ack(msg));
    wsc_buf buf = {0};
    assert_int_equal(wsc_msg_to_json(msg, &buf), WSC_OK);
    /* data is relayed compact, as it was written otherwise. */
    assert_non_null(strstr(buf.data, "\"data\":{\"a\":[1,{},[],null,false],\"b\":\"c d\"}"));
    wsc_buf_free(&buf);
    wsc_msg_unref(msg);
    assert_null(tparse_compare(spaced, strlen(spaced)));
    static const char *const bad[] = {
        "{} {}",           "{}x",          "{},",          "{\"a\":tru}",
        "{\"a\":truex}",   "{\"a\":nul}",  "{\"a\":1,}",   "{,\"a\":1}",
        "{\"a\" 1}",       "{\"a\":[1,]}", "{\"a\":[,1]}", "{\"a\":[1 2]}",
        "{\"a\":{\"b\"}}", "{'a':1}",      "{a:1}",        "\xef\xbb\xbf{}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        expect_invalid_json(bad[i]);
    const char nul_after[] = "{}\0";
    assert_int_equal(wsc_msg_parse(&msg, nul_after, 3, NULL, NULL), WSC_ERR_PROTOCOL);
    /* Stricter than jansson 2.14, which skips a NUL right after a number or literal. */
    const char nul_in[] = "{\"a\":1\0}";
    assert_int_equal(wsc_msg_parse(&msg, nul_in, 8, NULL, NULL), WSC_ERR_PROTOCOL);
}

static void
test_json_scan__duplicates_at_any_level(void **state)
{
    (void)state;
    expect_invalid_json("{\"x\":1,\"x\":2}");
    expect_invalid_json("{\"a\":1,\"\\u0061\":2}"); /* the same key once decoded */
    expect_invalid_json("{\"data\":{\"k\":1,\"k\":2}}");
    expect_invalid_json("{\"e\":[{\"k\":1,\"k\":2}]}");
    /* Same key in sibling objects is fine. */
    wsc_msg *msg = NULL;
    assert_int_equal(parse("{\"data\":{\"a\":{\"k\":1},\"b\":{\"k\":1}},\"k\":0}", &msg, NULL),
                     WSC_OK);
    wsc_msg_unref(msg);
    /* Objects with many keys (checked by sorting). */
    char big[4096];
    size_t n = (size_t)snprintf(big, sizeof(big), "{\"data\":{");
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"k%d\":%d", i ? "," : "", i, i);
    snprintf(big + n, sizeof(big) - n, "}}");
    assert_int_equal(parse(big, &msg, NULL), WSC_OK);
    assert_null(wsc_msg_get_data_string(msg, "k0")); /* a number */
    wsc_msg_unref(msg);
    assert_null(tparse_compare(big, strlen(big)));
    memcpy(strstr(big, "\"k99\""), "\"k42\"", 5);
    expect_invalid_json(big);
}

static void
test_json_scan__depth_and_type_errors_after_syntax(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    const char *why = NULL;
    /* Invalid JSON wins over a field of the wrong type, wherever they are. */
    assert_int_equal(parse("{\"receiver\":5,\"x\":}", &msg, &why), WSC_ERR_PROTOCOL);
    assert_string_equal(why, "invalid JSON");
    assert_int_equal(parse("{\"receiver\":5,\"x\":1,\"x\":2}", &msg, &why), WSC_ERR_PROTOCOL);
    /* The first wrong field is the one named. */
    assert_int_equal(parse("{\"receiver\":5,\"content\":1}", &msg, &why), WSC_ERR_INVALID);
    assert_non_null(strstr(why, "receiver"));
    /* Depth inside data and in unknown members, and in invalid text. */
    wsc_msg_limits lim;
    wsc_msg_limits_init(&lim);
    lim.max_depth = 3;
    const char *deep = "{\"data\":{\"a\":{\"b\":[1]}}}";
    assert_int_equal(wsc_msg_parse(&msg, deep, strlen(deep), &lim, &why), WSC_ERR_PROTOCOL);
    assert_non_null(strstr(why, "deep"));
    const char *ok = "{\"data\":{\"a\":[1]},\"g\":[[]]}";
    assert_int_equal(wsc_msg_parse(&msg, ok, strlen(ok), &lim, &why), WSC_OK);
    wsc_msg_unref(msg);
    const char *bad_deep = "{\"x\":[[[[[}";
    assert_int_equal(wsc_msg_parse(&msg, bad_deep, strlen(bad_deep), &lim, &why), WSC_ERR_PROTOCOL);
    assert_non_null(strstr(why, "deep"));
}

static void
test_json_scan__data_is_lazy_and_relayed(void **state)
{
    (void)state;
    wsc_msg *msg = NULL;
    assert_int_equal(parse("{\"data\":{\"status\":\"caf\\u00e9\",\"n\":1.5}}", &msg, NULL), WSC_OK);
    assert_string_equal(wsc_msg_get_data_string(msg, "status"), "caf\xc3\xa9");
    assert_ptr_equal(wsc__msg_data(msg), wsc__msg_data(msg)); /* made once */
    wsc_buf buf = {0};
    assert_int_equal(wsc_msg_get_data_json(msg, &buf), WSC_OK);
    assert_string_equal(buf.data, "{\"status\":\"caf\xc3\xa9\",\"n\":1.5}"); /* as before */
    wsc_buf_free(&buf);
    assert_int_equal(wsc__msg_encode(msg), WSC_OK);
    size_t len = 0;
    const char *wire = (const char *)wsc__msg_wire(msg, &len);
    assert_non_null(strstr(wire, "\"data\":{\"status\":\"caf\\u00e9\",\"n\":1.5}"));
    wsc_msg *copy = NULL;
    assert_int_equal(wsc_msg_clone(msg, &copy), WSC_OK);
    assert_true(json_real_value(json_object_get(wsc__msg_data(copy), "n")) == 1.5);
    assert_int_equal(wsc_msg_set_data_json(copy, "{\"z\":true}"), WSC_OK);
    assert_int_equal(wsc_msg_to_json(copy, &buf), WSC_OK);
    assert_non_null(strstr(buf.data, "\"data\":{\"z\":true}"));
    wsc_buf_free(&buf);
    wsc_msg_unref(copy);
    wsc_msg_unref(msg);
}

/* Frames the mutations start from: every member kind, escapes, numbers, nesting. */
static const char *const seeds[] = {
    "{\"receiver\":\"u17\",\"content\":\"0123456789012345678901234567890123456789\"}",
    "{\"message_id\":\"c-1\",\"message_type\":\"chat\",\"group_ids\":[\"g1\",\"g2\"],"
    "\"content\":\"h\\u00e9\\ud83d\\ude00\\n\",\"data\":{\"k\":[1,2.5,-0,1e3,{\"x\":null}],"
    "\"s\":\"caf\\u00e9\",\"t\":true,\"f\":false},\"seq_no\":-7,\"priority\":\"high\","
    "\"require_ack\":true,\"sender\":null,\"extra\":[{\"a\":{}},[]]}",
    "{ \"id\" : \"x\" , \"data\" : { \"a\" : { \"b\" : [ \"c\" , 0.5E-3 ] } } }",
    "{\"seq_no\":9223372036854775807,\"priority\":\"critical\",\"session_id\":\"\\\"q\\\\\"}",
    "[1,\"a\",{\"b\":null}]",
};

/* Pieces the mutations insert: the edges of the grammar. */
static const char *const pieces[] = {
    "\\u",
    "\\ud800",
    "\\udc00",
    "\\u0000",
    "\\ud83d\\ude00",
    "\xff",
    "\xc3",
    "\xc0\xaf",
    "\xed\xa0\x80",
    "\xf4\x90\x80\x80",
    "\xe2\x82\xac",
    "\x01",
    "\\",
    "\"",
    ",",
    ":",
    "{",
    "}",
    "[",
    "]",
    "1e400",
    "-0",
    "01",
    "1.",
    "9223372036854775808",
    "-",
    "e5",
    "null",
    "true",
    "tru",
    " ",
    "\n",
    "\"k\":1,",
    "\"data\":",
    "\"receiver\":",
    "\"group_ids\":",
    "\"seq_no\":",
    "1.5",
    "{\"k\":1,\"k\":2}",
};

static uint64_t rng_state = 0x9E3779B97F4A7C15u;

static unsigned
rnd(unsigned n)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return (unsigned)(rng_state % n);
}

/* One random edit of buf (len bytes, room for cap). */
static size_t
mutate(char *buf, size_t len, size_t cap)
{
    size_t at = len ? rnd((unsigned)len + 1) : 0;
    switch (rnd(4)) {
    case 0: { /* insert a piece */
        const char *p = pieces[rnd(sizeof(pieces) / sizeof(pieces[0]))];
        size_t n = strlen(p);
        if (len + n >= cap)
            return len;
        memmove(buf + at + n, buf + at, len - at);
        memcpy(buf + at, p, n);
        return len + n;
    }
    case 1: /* delete a few bytes */
        if (at < len) {
            size_t n = 1 + rnd(4);
            n = n > len - at ? len - at : n;
            memmove(buf + at, buf + at + n, len - at - n);
            return len - n;
        }
        return len;
    case 2: /* replace a byte */
        if (at < len)
            buf[at] = (char)rnd(256);
        return len;
    default: /* duplicate a span */
        if (at < len) {
            size_t n = 1 + rnd(12);
            n = n > len - at ? len - at : n;
            if (len + n >= cap)
                return len;
            memmove(buf + at + n, buf + at, len - at);
            return len + n;
        }
        return len;
    }
}

static void
test_json_scan__agrees_with_jansson(void **state)
{
    (void)state;
    /* WSC_DIFF_ROUNDS=N runs longer (by hand; the default keeps ctest fast). */
    const char *env = getenv("WSC_DIFF_ROUNDS");
    unsigned rounds = env != NULL ? (unsigned)strtoul(env, NULL, 10) : 40000;
    char buf[1024];
    size_t accepted = 0;
    for (unsigned i = 0; i < rounds; i++) {
        const char *seed = seeds[rnd(sizeof(seeds) / sizeof(seeds[0]))];
        size_t len = strlen(seed);
        memcpy(buf, seed, len);
        for (unsigned m = rnd(4); m > 0; m--)
            len = mutate(buf, len, sizeof(buf));
        const char *why = tparse_compare(buf, len);
        if (why != NULL)
            fail_msg("round %u: %s: %.*s", i, why, (int)len, buf);
        wsc_msg *msg = NULL;
        if (wsc_msg_parse(&msg, buf, len, NULL, NULL) == WSC_OK)
            accepted++;
        wsc_msg_unref(msg);
    }
    /* Both sides of the verdict are exercised. */
    assert_true(accepted > rounds / 10 && accepted < rounds - rounds / 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_scan__string_escapes_and_surrogates),
        cmocka_unit_test(test_json_scan__numbers),
        cmocka_unit_test(test_json_scan__whitespace_literals_and_trailing_text),
        cmocka_unit_test(test_json_scan__duplicates_at_any_level),
        cmocka_unit_test(test_json_scan__depth_and_type_errors_after_syntax),
        cmocka_unit_test(test_json_scan__data_is_lazy_and_relayed),
        cmocka_unit_test(test_json_scan__agrees_with_jansson),
    };
    return cmocka_run_group_tests_name("unit.models.json_scan", tests, NULL, NULL);
}
