/* SPDX-License-Identifier: MIT */
/* A Redis store that cannot get in (label redis; WSC_TEST_REDIS_URL, whose server has a
 * password, else skipped): with a wrong password every attempt fails its AUTH, commands fail
 * (no later than the command timeout) instead of waiting forever, the store's last error names
 * the handshake, and it keeps retrying; with the right password the same server answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/store.h>

#include "tstore.h"
#include "twait.h"

static bool
answered(void *arg)
{
    return ((tres *)arg)->calls > 0;
}

/* The test server's URL with password pw instead of its own ("host:port/db" kept). */
static bool
with_password(const char *pw, char *out, size_t cap)
{
    const char *url = getenv("WSC_TEST_REDIS_URL");
    const char *at = url != NULL ? strchr(url, '@') : NULL;
    if (at == NULL)
        return false; /* no password on this server: nothing to get wrong */
    return (size_t)snprintf(out, cap, "redis://:%s@%s", pw, at + 1) < cap;
}

static wsc_err
ping(wsc_loop *loop, wsc_store *store)
{
    tres r = {0};
    assert_int_equal(wsc_store_ping(store, tres_done, &r), WSC_OK);
    assert_true(twait_until(NULL, loop, answered, &r, 5000));
    return r.status;
}

static void
test_store_auth__wrong_password_fails_and_says_why(void **state)
{
    (void)state;
    char bad[512], good[512];
    if (!with_password("not-the-password", bad, sizeof(bad)) ||
        !with_password("", good, sizeof(good))) {
        tstore_skip();
        return;
    }
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 500;
    cfg.reconnect_min_ms = 20;
    cfg.reconnect_max_ms = 50;
    wsc_store *store = NULL;
    assert_int_equal(wsc_store_open(loop, bad, &cfg, &store), WSC_OK);
    wsc_err st = ping(loop, store);
    assert_true(st == WSC_ERR_STORE || st == WSC_ERR_TIMEOUT);
    assert_non_null(strstr(wsc_store_last_error(store), "handshake"));
    /* Still failing on the next tries, not stuck. */
    st = ping(loop, store);
    assert_true(st == WSC_ERR_STORE || st == WSC_ERR_TIMEOUT);
    wsc_store_close(store);
    /* The right password on the same server. */
    assert_int_equal(wsc_store_open(loop, getenv("WSC_TEST_REDIS_URL"), &cfg, &store), WSC_OK);
    assert_int_equal(ping(loop, store), WSC_OK);
    wsc_store_close(store);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(loop, 1);
    wsc_loop_free(loop);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_auth__wrong_password_fails_and_says_why),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("integration.store_auth_redis", tests, NULL, NULL),
        sizeof(tests) / sizeof(tests[0]));
}
