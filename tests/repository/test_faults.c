/* SPDX-License-Identifier: MIT */
/* Faults of a real server (labels redis/mysql): the server is stopped under the store and
 * started again through scripts/services.sh (WSC_SERVICES_SCRIPT, WSC_SERVICES_DIR, set by
 * scripts/test-storage.sh).  In-flight and later ops complete with an error, never hang;
 * once the server is back, ops succeed again without reopening the store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

static int
services(const char *what)
{
    const char *script = getenv("WSC_SERVICES_SCRIPT");
    const char *dir = getenv("WSC_SERVICES_DIR");
    const char *b = getenv("WSC_TEST_BACKEND");
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "%s %s-%s %s >/dev/null 2>&1", script, what, b, dir);
    return system(cmd);
}

static int
setup(void **state)
{
    const char *b = getenv("WSC_TEST_BACKEND");
    if (b == NULL || strcmp(b, "memory") == 0 || getenv("WSC_SERVICES_SCRIPT") == NULL) {
        print_message(
            "[  SKIP    ] faults need a real server started by scripts/test-storage.sh\n");
        *state = NULL;
        return 0;
    }
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 1500;
    cfg.reconnect_max_ms = 300;
    return tstore_setup_cfg(state, &cfg);
}

struct batch {
    tres r[64];
};

static bool
all_done(void *arg)
{
    struct batch *b = arg;
    for (int i = 0; i < 64; i++)
        if (b->r[i].calls == 0)
            return false;
    return true;
}

struct retry {
    tstore *ts;
    const char *uid;
    tres r;
    bool ok;
};

static bool
count_ok(void *arg)
{
    struct retry *rt = arg;
    if (rt->r.calls > 0) {
        rt->ok = rt->r.status == WSC_OK;
        memset(&rt->r, 0, sizeof(rt->r));
        if (rt->ok)
            return true;
    }
    if (rt->r.calls == 0 && !rt->ok)
        wsc_offline_count(wsc_store_offline(rt->ts->store), rt->uid, tres_count, &rt->r);
    return false;
}

static void
test_faults__server_down_then_back(void **state)
{
    tstore *ts = tstore_get(state);
    struct wsc_offline_repo *off = wsc_store_offline(ts->store);
    const char *uid = tstore_id(ts, "fault");
    struct batch *b = calloc(1, sizeof(*b));
    char mid[16];
    for (int i = 0; i < 64; i++) {
        snprintf(mid, sizeof(mid), "f%d", i);
        wsc_msg *m = tstore_msg(mid, "x");
        assert_int_equal(wsc_offline_store(off, uid, m, tres_done, &b->r[i]), WSC_OK);
        wsc_msg_unref(m);
    }
    assert_int_equal(services("stop"), 0);
    /* Every op completes: OK if it made it before the kill, else STORE/TIMEOUT. */
    assert_true(tstore_until(ts, all_done, b, 10000));
    for (int i = 0; i < 64; i++) {
        assert_int_equal(b->r[i].calls, 1);
        assert_true(b->r[i].status == WSC_OK || b->r[i].status == WSC_ERR_STORE ||
                    b->r[i].status == WSC_ERR_TIMEOUT);
    }
    /* While down: a new op fails with a storage error, within the command timeout. */
    tres r = {0};
    assert_int_equal(wsc_offline_count(off, uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_true(r.status == WSC_ERR_STORE || r.status == WSC_ERR_TIMEOUT);
    assert_int_equal(services("start"), 0);
    struct retry rt = {ts, uid, {0}, false};
    assert_true(tstore_until(ts, count_ok, &rt, 15000));
    /* Drain the last probe, if one is still in flight. */
    tstore_until(ts, all_done, b, 50);
    free(b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_faults__server_down_then_back),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.faults.%s", b ? b : "url");
    return cmocka_run_group_tests_name(name, tests, setup, tstore_teardown);
}
