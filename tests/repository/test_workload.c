/* SPDX-License-Identifier: MIT */
/* Contract of the workload repository on every backend: agent loads per namespace (set, incr,
 * decr, get, remove) and the atomic "acquire the least loaded agent". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

static struct wsc_workload_repo *
repo(tstore *ts)
{
    return wsc_store_workload(ts->store);
}

static void
set(tstore *ts, const char *ns, const char *agent, uint64_t load)
{
    tres r = {0};
    assert_int_equal(tstore_supported(wsc_workload_set(repo(ts), ns, agent, load, tres_done, &r)),
                     WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
}

/* The load after adding delta, or -1 for NOT_FOUND. */
static int64_t
add(tstore *ts, const char *ns, const char *agent, int64_t delta)
{
    tres r = {0};
    assert_int_equal(wsc_workload_add(repo(ts), ns, agent, delta, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    if (r.status == WSC_ERR_NOT_FOUND)
        return -1;
    assert_int_equal(r.status, WSC_OK);
    return (int64_t)r.count;
}

static int64_t
get(tstore *ts, const char *ns, const char *agent)
{
    tres r = {0};
    assert_int_equal(wsc_workload_get(repo(ts), ns, agent, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    if (r.status == WSC_ERR_NOT_FOUND)
        return -1;
    assert_int_equal(r.status, WSC_OK);
    return (int64_t)r.count;
}

/* Acquire; the status, with the agent in r. */
static wsc_err
acquire(tstore *ts, const char *ns, const char *const *c, size_t n, uint64_t max, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_workload_acquire_least_loaded(repo(ts), ns, c, n, max, tres_acquire, r),
                     WSC_OK);
    tstore_wait(ts, r);
    return r->status;
}

static void
test_workload__set_incr_decr_get_remove(void **state)
{
    tstore *ts = tstore_get(state);
    const char *ns = tstore_id(ts, "support:en");
    set(ts, ns, "alice", 2);
    assert_int_equal(get(ts, ns, "alice"), 2);
    tres r = {0};
    assert_int_equal(wsc_workload_incr(repo(ts), ns, "alice", tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.count, 3);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_workload_decr(repo(ts), ns, "alice", tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.count, 2);
    assert_int_equal(add(ts, ns, "alice", -10), 0); /* never below 0 */
    assert_int_equal(add(ts, ns, "alice", 5), 5);
    assert_int_equal(add(ts, ns, "bob", 1), -1); /* not registered: not created */
    assert_int_equal(get(ts, ns, "bob"), -1);
    set(ts, ns, "alice", 1); /* set replaces */
    assert_int_equal(get(ts, ns, "alice"), 1);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_workload_remove(repo(ts), ns, "alice", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_workload_remove(repo(ts), ns, "alice", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    assert_int_equal(get(ts, ns, "alice"), -1);
}

static void
test_workload__acquire_least_loaded(void **state)
{
    tstore *ts = tstore_get(state);
    const char *ns = tstore_id(ts, "sales");
    tres r;
    assert_int_equal(acquire(ts, ns, NULL, 0, 0, &r), WSC_ERR_NOT_FOUND);
    set(ts, ns, "c", 2);
    set(ts, ns, "b", 1);
    set(ts, ns, "a", 1);
    /* Lowest load; a tie goes to the smaller id. */
    assert_int_equal(acquire(ts, ns, NULL, 0, 0, &r), WSC_OK);
    assert_string_equal(r.mids[0], "a");
    assert_int_equal(r.count, 2);
    assert_int_equal(acquire(ts, ns, NULL, 0, 0, &r), WSC_OK);
    assert_string_equal(r.mids[0], "b");
    assert_int_equal(r.count, 2);
    assert_int_equal(get(ts, ns, "a"), 2);
    /* Among candidates only (unregistered ones are ignored). */
    const char *cands[] = {"ghost", "c", "b"};
    assert_int_equal(acquire(ts, ns, cands, 3, 0, &r), WSC_OK);
    assert_string_equal(r.mids[0], "b");
    assert_int_equal(r.count, 3);
    const char *ghosts[] = {"ghost"};
    assert_int_equal(acquire(ts, ns, ghosts, 1, 0, &r), WSC_ERR_NOT_FOUND);
    /* a=2 b=3 c=2: with a cap of 3 only a and c qualify; with a cap of 2 nobody does. */
    assert_int_equal(acquire(ts, ns, NULL, 0, 3, &r), WSC_OK);
    assert_string_equal(r.mids[0], "a");
    assert_int_equal(acquire(ts, ns, NULL, 0, 3, &r), WSC_OK);
    assert_string_equal(r.mids[0], "c");
    assert_int_equal(acquire(ts, ns, NULL, 0, 3, &r), WSC_ERR_LIMIT);
    assert_int_equal(acquire(ts, ns, cands, 3, 3, &r), WSC_ERR_LIMIT);
}

struct many {
    tres r[12];
};

static bool
all_acquired(void *arg)
{
    struct many *m = arg;
    for (int i = 0; i < 12; i++)
        if (m->r[i].calls == 0)
            return false;
    return true;
}

static void
test_workload__concurrent_acquires_spread_evenly(void **state)
{
    tstore *ts = tstore_get(state);
    const char *ns = tstore_id(ts, "burst");
    set(ts, ns, "x", 0);
    set(ts, ns, "y", 0);
    set(ts, ns, "z", 0);
    struct many *m = calloc(1, sizeof(*m));
    for (int i = 0; i < 12; i++)
        assert_int_equal(
            wsc_workload_acquire_least_loaded(repo(ts), ns, NULL, 0, 0, tres_acquire, &m->r[i]),
            WSC_OK);
    assert_true(tstore_until(ts, all_acquired, m, 5000));
    int per[3] = {0};
    for (int i = 0; i < 12; i++) {
        assert_int_equal(m->r[i].status, WSC_OK);
        per[m->r[i].mids[0][0] - 'x']++;
    }
    for (int k = 0; k < 3; k++)
        assert_int_equal(per[k], 4);
    assert_int_equal(get(ts, ns, "y"), 4);
    free(m);
}

static void
test_workload__invalid(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    assert_int_equal(tstore_supported(wsc_workload_set(repo(ts), "", "a", 1, tres_done, &r)),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_workload_get(repo(ts), "n", NULL, tres_count, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_workload_acquire_least_loaded(repo(ts), "n", NULL, 2, 0, tres_acquire, &r),
                     WSC_ERR_INVALID);
    const char *bad[] = {"a", ""};
    assert_int_equal(wsc_workload_acquire_least_loaded(repo(ts), "n", bad, 2, 0, tres_acquire, &r),
                     WSC_ERR_INVALID);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_workload__set_incr_decr_get_remove),
        cmocka_unit_test(test_workload__acquire_least_loaded),
        cmocka_unit_test(test_workload__concurrent_acquires_spread_evenly),
        cmocka_unit_test(test_workload__invalid),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.workload.%s", b ? b : "url");
    return cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown);
}
