/* SPDX-License-Identifier: MIT */
/* NULL-terminated string arrays: length, a deep copy, and a copy that fails whole. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "models/alloc.h"
#include "models/strv.h"

static void
test_strv__len_copy_free(void **state)
{
    (void)state;
    const char *const v[] = {"a", "bc", "", NULL};
    assert_int_equal(wsc__strv_len(NULL), 0);
    assert_int_equal(wsc__strv_len(v + 3), 0);
    assert_int_equal(wsc__strv_len(v), 3);
    assert_null(wsc__strv_copy(NULL));
    char **c = wsc__strv_copy(v);
    assert_non_null(c);
    for (size_t i = 0; i < 3; i++) {
        assert_ptr_not_equal(c[i], v[i]);
        assert_string_equal(c[i], v[i]);
    }
    assert_null(c[3]);
    wsc__strv_free(c);
    wsc__strv_free(NULL);
}

/* Every allocation of a copy failing in turn: NULL, nothing left behind (ASan checks). */
static void
test_strv__copy_out_of_memory(void **state)
{
    (void)state;
    const char *const v[] = {"x", "y", NULL};
    for (long n = 1; n <= 3; n++) {
        wsc__alloc_fail_nth(n);
        assert_null(wsc__strv_copy(v));
        wsc__alloc_fail_nth(0);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_strv__len_copy_free),
        cmocka_unit_test(test_strv__copy_out_of_memory),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
