/* SPDX-License-Identifier: MIT */
/* SipHash-2-4 against the reference vectors of its paper (key 00..0f, message 00..len-1), and
 * the kernel's random bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "models/siphash.h"

static void
test_siphash__reference_vectors(void **state)
{
    (void)state;
    uint8_t key[16], msg[64];
    for (int i = 0; i < 16; i++)
        key[i] = (uint8_t)i;
    for (int i = 0; i < 64; i++)
        msg[i] = (uint8_t)i;
    /* The paper's appendix A example (15 bytes) and the first, 8th and 9th entries of the
     * reference implementation's vectors (0, 7 and 8 bytes: the tail and full-word paths). */
    assert_true(wsc__siphash24(key, msg, 15) == 0xa129ca6149be45e5ull);
    assert_true(wsc__siphash24(key, NULL, 0) == 0x726fdb47dd0e0e31ull);
    assert_true(wsc__siphash24(key, msg, 7) == 0xab0200f58b01d137ull);
    assert_true(wsc__siphash24(key, msg, 8) == 0x93f5f5799a932462ull);
    key[0] ^= 1;
    assert_true(wsc__siphash24(key, msg, 15) != 0xa129ca6149be45e5ull);
}

static void
test_siphash__random_bytes(void **state)
{
    (void)state;
    uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
    assert_int_equal(wsc__random_bytes(a, sizeof(a)), WSC_OK);
    assert_int_equal(wsc__random_bytes(b, sizeof(b)), WSC_OK);
    assert_memory_not_equal(a, zero, sizeof(a));
    assert_memory_not_equal(a, b, sizeof(a));
    assert_int_equal(wsc__random_bytes(NULL, 0), WSC_OK);
    assert_int_equal(wsc__random_bytes(NULL, 1), WSC_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_siphash__reference_vectors),
        cmocka_unit_test(test_siphash__random_bytes),
    };
    return cmocka_run_group_tests_name("unit.models.siphash", tests, NULL, NULL);
}
