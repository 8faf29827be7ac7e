/* SPDX-License-Identifier: MIT */
/* The error table: names, texts, retryability. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/error.h>

static void
test_error__names_and_texts(void **state)
{
    (void)state;
    assert_string_equal(wsc_err_name(WSC_OK), "OK");
    assert_string_equal(wsc_err_name(WSC_ERR_QUEUE_FULL), "QUEUE_FULL");
    assert_string_equal(wsc_strerror(WSC_ERR_TIMEOUT), "timed out");
    assert_string_equal(wsc_strerror((wsc_err)9999), "unknown error");
    assert_string_equal(wsc_err_name((wsc_err)-1), "UNKNOWN");
}

static void
test_error__retryable_classification(void **state)
{
    (void)state;
    assert_true(wsc_err_is_retryable(WSC_ERR_QUEUE_FULL));
    assert_true(wsc_err_is_retryable(WSC_ERR_CLOSED));
    assert_true(wsc_err_is_retryable(WSC_ERR_TIMEOUT));
    assert_true(wsc_err_is_retryable(WSC_ERR_STORE));
    assert_false(wsc_err_is_retryable(WSC_ERR_INVALID));
    assert_false(wsc_err_is_retryable(WSC_ERR_FORBIDDEN));
    assert_false(wsc_err_is_retryable(WSC_ERR_TOO_LARGE));
    assert_false(wsc_err_is_retryable(WSC_OK));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_error__names_and_texts),
        cmocka_unit_test(test_error__retryable_classification),
    };
    return cmocka_run_group_tests_name("unit.models.error", tests, NULL, NULL);
}
