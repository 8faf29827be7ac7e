/* SPDX-License-Identifier: MIT */
/* How the Redis backend puts ids into keys (redis.c): wsc__rs_escape writes ':', '%', '{', '}',
 * control bytes, space and DEL as %XX so that an id can neither end a key's part nor open a hash
 * tag; wsc__rs_unescape gives the id back; a '%' not followed by two hex digits stays as it is;
 * wsc__rs_key cuts safely at its capacity. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "repository/redis/redis_internal.h"

static void
test_redis_keys__escape_and_back(void **state)
{
    (void)state;
    const char *ids[] = {"alice",     "a:b",      "100%", "{tag}", "sp ace",
                         "tab\tnl\n", "\x7f\x01", "%41",  "é-ü",   ""};
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char esc[3 * 64 + 1], back[64];
        wsc__rs_escape(ids[i], esc);
        assert_null(strpbrk(esc, ":{} \t\n\x7f\x01"));
        wsc__rs_unescape(esc, back);
        assert_string_equal(back, ids[i]);
    }
    char esc[64];
    wsc__rs_escape("a:b{c}%", esc);
    assert_string_equal(esc, "a%3Ab%7Bc%7D%25");
}

static void
test_redis_keys__unescape_leaves_what_is_no_escape(void **state)
{
    (void)state;
    char out[32];
    wsc__rs_unescape("%G1%4%", out);
    assert_string_equal(out, "%G1%4%");
    wsc__rs_unescape("%4a", out); /* lower case is not ours: kept */
    assert_string_equal(out, "%4a");
    char inplace[] = "x%3Ay";
    wsc__rs_unescape(inplace, inplace);
    assert_string_equal(inplace, "x:y");
    assert_int_equal(wsc__rs_hexval('0'), 0);
    assert_int_equal(wsc__rs_hexval('9'), 9);
    assert_int_equal(wsc__rs_hexval('A'), 10);
    assert_int_equal(wsc__rs_hexval('F'), 15);
    assert_int_equal(wsc__rs_hexval('a'), -1);
    assert_int_equal(wsc__rs_hexval('G'), -1);
}

static void
test_redis_keys__key_layout_and_cut(void **state)
{
    (void)state;
    char key[64];
    wsc__rs_key(key, sizeof(key), "wsc:off:{", "a:b", "}:z");
    assert_string_equal(key, "wsc:off:{a%3Ab}:z");
    char small[8];
    wsc__rs_key(small, sizeof(small), "wsc:off:{", "alice", "}:z");
    assert_int_equal(strlen(small), sizeof(small) - 1);
    assert_memory_equal(small, "wsc:off", 7);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_keys__escape_and_back),
        cmocka_unit_test(test_redis_keys__unescape_leaves_what_is_no_escape),
        cmocka_unit_test(test_redis_keys__key_layout_and_cut),
    };
    return cmocka_run_group_tests_name("unit.repository.redis_keys", tests, NULL, NULL);
}
