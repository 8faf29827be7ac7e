/* SPDX-License-Identifier: MIT */
/* Contract of the online-status repository on every backend: user -> client -> node with a
 * TTL that heartbeats refresh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

static struct wsc_online_repo *
repo(tstore *ts)
{
    return wsc_store_online(ts->store);
}

static wsc_err
set(tstore *ts, const char *uid, const char *cid, const char *node, uint32_t ttl)
{
    tres r = {0};
    assert_int_equal(wsc_online_set(repo(ts), uid, cid, node, ttl, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    return r.status;
}

static void
get(tstore *ts, const char *uid, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_online_get(repo(ts), uid, tres_online, r), WSC_OK);
    tstore_wait(ts, r);
    assert_int_equal(r->status, WSC_OK);
}

static bool
has(const tres *r, const char *cid, const char *node)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->mids[i], cid) == 0 && strcmp(r->nodes[i], node) == 0)
            return true;
    return false;
}

static void
test_online__set_and_get_nodes(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "u");
    assert_int_equal(set(ts, uid, "c1", "node-a", 60000), WSC_OK);
    assert_int_equal(set(ts, uid, "c2", "node-b", 60000), WSC_OK);
    tres r;
    get(ts, uid, &r);
    assert_int_equal(r.n, 2);
    assert_true(has(&r, "c1", "node-a"));
    assert_true(has(&r, "c2", "node-b"));
    /* The same client moving to another node replaces its entry. */
    assert_int_equal(set(ts, uid, "c1", "node-c", 60000), WSC_OK);
    get(ts, uid, &r);
    assert_int_equal(r.n, 2);
    assert_true(has(&r, "c1", "node-c"));
    get(ts, tstore_id(ts, "nobody"), &r);
    assert_int_equal(r.n, 0);
}

static void
test_online__remove(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "rm");
    assert_int_equal(set(ts, uid, "c1", "n", 60000), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_online_remove(repo(ts), uid, "c1", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_online_remove(repo(ts), uid, "c1", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    get(ts, uid, &r);
    assert_int_equal(r.n, 0);
}

struct lapse {
    tstore *ts;
    const char *uid;
    bool gone;
};

static void
lapse_cb(wsc_err st, const wsc_online_entry *e, size_t n, void *user)
{
    (void)e;
    struct lapse *l = user;
    l->gone = st == WSC_OK && n == 0;
}

static bool
lapsed(void *arg)
{
    struct lapse *l = arg;
    if (!l->gone)
        wsc_online_get(repo(l->ts), l->uid, lapse_cb, l);
    return l->gone;
}

static void
test_online__ttl_lapses_and_refresh_extends(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "ttl");
    assert_int_equal(set(ts, uid, "short", "n", 150), WSC_OK);
    assert_int_equal(set(ts, uid, "kept", "n", 150), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_online_refresh(repo(ts), uid, "kept", 60000, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    /* Wait (by polling, never sleeping) until the short entry has lapsed. */
    struct lapse l = {ts, uid, false};
    bool only_kept = false;
    for (int i = 0; i < 200 && !only_kept; i++) {
        get(ts, uid, &r);
        only_kept = r.n == 1 && strcmp(r.mids[0], "kept") == 0;
        if (!only_kept)
            tstore_until(ts, lapsed, &l, 20);
    }
    assert_true(only_kept);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_online_refresh(repo(ts), uid, "short", 60000, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    /* Drain a get still in flight from the poll above. */
    wsc_loop_run_once(ts->loop, 20);
}

static void
test_online__invalid(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    assert_int_equal(wsc_online_set(repo(ts), "u", "c", "n", 0, tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_online_set(repo(ts), "u", NULL, "n", 5, tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_online_get(repo(ts), "", tres_online, &r), WSC_ERR_INVALID);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_online__set_and_get_nodes),
        cmocka_unit_test(test_online__remove),
        cmocka_unit_test(test_online__ttl_lapses_and_refresh_extends),
        cmocka_unit_test(test_online__invalid),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.online.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
