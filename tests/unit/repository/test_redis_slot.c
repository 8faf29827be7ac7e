/* SPDX-License-Identifier: MIT */
/* Redis Cluster's key -> slot function (redis_slot.c) against the values of the cluster
 * specification and of a real server (CLUSTER KEYSLOT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "repository/redis/redis_internal.h"

static int
slot(const char *key)
{
    return wsc__rs_slot(key, strlen(key));
}

static void
test_redis_slot__crc16_is_xmodem(void **state)
{
    (void)state;
    assert_int_equal(wsc__rs_crc16("123456789", 9), 0x31C3);
    assert_int_equal(wsc__rs_crc16("", 0), 0);
}

static void
test_redis_slot__known_slots(void **state)
{
    (void)state;
    assert_int_equal(slot("foo"), 12182);
    assert_int_equal(slot("bar"), 5061);
    assert_int_equal(slot("hello"), 866);
    assert_int_equal(slot("123456789"), 0x31C3 % 16384);
}

static void
test_redis_slot__hash_tags(void **state)
{
    (void)state;
    /* The specification's examples: only the first "{...}" counts, when not empty. */
    assert_int_equal(slot("{user1000}.following"), slot("{user1000}.followers"));
    assert_int_equal(slot("{user1000}.following"), slot("user1000"));
    assert_int_equal(slot("foo{}{bar}"), slot("foo{}{bar}")); /* whole key: the first is empty */
    assert_int_not_equal(slot("foo{}{bar}"), slot("bar"));
    assert_int_equal(slot("foo{{bar}}zap"), slot("{bar"));
    assert_int_equal(slot("foo{bar}{zap}"), slot("bar"));
    assert_int_equal(slot("no{close"), slot("no{close"));
    assert_int_not_equal(slot("no{close"), slot("close"));
    /* wsc's keys of one user share a slot. */
    assert_int_equal(slot("wsc:off:{alice}:z"), slot("wsc:off:{alice}:h"));
    assert_int_equal(slot("wsc:hs:{nodes}:z"), slot("wsc:hs:{nodes}:n:node-1"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_redis_slot__crc16_is_xmodem),
        cmocka_unit_test(test_redis_slot__known_slots),
        cmocka_unit_test(test_redis_slot__hash_tags),
    };
    return cmocka_run_group_tests_name("unit.repository.redis_slot", tests, NULL, NULL);
}
