/* SPDX-License-Identifier: MIT */
/* Contract of the hub-stats repository on every backend: a node's counters with a TTL, read
 * back one or many at a time (Redis: one pipeline), listed while live, removed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loop/loop.h"
#include "tstore.h"

static struct wsc_hubstats_repo *
repo(tstore *ts)
{
    return wsc_store_hubstats(ts->store);
}

static wsc_err
put(tstore *ts, const char *node, uint64_t conns, uint32_t ttl)
{
    wsc_node_stats st = {.node_id = node,
                         .connections = conns,
                         .users = conns / 2,
                         .messages_in = 7,
                         .messages_out = 9,
                         .bytes_in = 1u << 20,
                         .bytes_out = 5000000000ull,
                         .send_failed = 1,
                         .queued = 3,
                         .uptime_ms = 1234};
    tres r = {0};
    assert_int_equal(tstore_supported(wsc_hubstats_put(repo(ts), &st, ttl, tres_done, &r)), WSC_OK);
    tstore_wait(ts, &r);
    return r.status;
}

static bool
listed(tstore *ts, const char *node)
{
    tres r = {0};
    assert_int_equal(wsc_hubstats_list(repo(ts), tres_ids, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    for (size_t i = 0; i < r.n && i < 64; i++)
        if (strcmp(r.mids[i], node) == 0)
            return true;
    return false;
}

static void
test_hubstats__put_get_list_remove(void **state)
{
    tstore *ts = tstore_get(state);
    char a[128], b[128];
    snprintf(a, sizeof(a), "%s", tstore_id(ts, "node:a"));
    snprintf(b, sizeof(b), "%s", tstore_id(ts, "node b"));
    int64_t before = (int64_t)wsc__wall_ms();
    assert_int_equal(put(ts, a, 10, 60000), WSC_OK);
    assert_int_equal(put(ts, b, 20, 60000), WSC_OK);
    assert_int_equal(put(ts, a, 11, 60000), WSC_OK); /* replaces */
    tres r = {0};
    const char *ids[] = {b, "missing-node", a};
    assert_int_equal(wsc_hubstats_get_many(repo(ts), ids, 3, tres_stats, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 2); /* the absent one is left out, the order is kept */
    assert_string_equal(r.stats[0].node_id, b);
    assert_int_equal(r.stats[0].connections, 20);
    assert_string_equal(r.stats[1].node_id, a);
    assert_int_equal(r.stats[1].connections, 11);
    assert_int_equal(r.stats[1].users, 5);
    assert_int_equal(r.stats[1].bytes_out, 5000000000ull);
    assert_int_equal(r.stats[1].uptime_ms, 1234);
    assert_true(r.stats[1].updated_ms >= before);
    assert_true(listed(ts, a) && listed(ts, b));
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_hubstats_remove(repo(ts), a, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_hubstats_remove(repo(ts), a, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    assert_false(listed(ts, a));
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_hubstats_get(repo(ts), a, tres_stats, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.n, 0);
    /* b leaves too: on a Redis Cluster (database 0 only) the node index is the one that
     * integration.cluster_redis.redis_cluster counts. */
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_hubstats_remove(repo(ts), b, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
}

struct lapse {
    tstore *ts;
    const char *node;
    tres r;
    bool gone;
};

static bool
lapsed(void *arg)
{
    struct lapse *l = arg;
    if (l->r.calls > 0) {
        l->gone = l->r.status == WSC_OK && l->r.n == 0;
        memset(&l->r, 0, sizeof(l->r));
    }
    if (!l->gone && l->r.calls == 0)
        wsc_hubstats_get(repo(l->ts), l->node, tres_stats, &l->r);
    return l->gone;
}

static void
test_hubstats__ttl_lapses(void **state)
{
    tstore *ts = tstore_get(state);
    const char *node = tstore_id(ts, "short");
    assert_int_equal(put(ts, node, 1, 150), WSC_OK);
    assert_true(listed(ts, node));
    struct lapse *l = calloc(1, sizeof(*l));
    l->ts = ts;
    l->node = node;
    /* Poll (never sleep) until the entry has lapsed; then it is not listed either. */
    assert_true(tstore_until(ts, lapsed, l, 5000));
    assert_false(listed(ts, node));
    tstore_until(ts, lapsed, l, 20); /* drain a probe still in flight */
    free(l);
}

static void
test_hubstats__invalid(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    wsc_node_stats st = {.node_id = ""};
    assert_int_equal(tstore_supported(wsc_hubstats_put(repo(ts), &st, 10, tres_done, &r)),
                     WSC_ERR_INVALID);
    st.node_id = "n";
    assert_int_equal(wsc_hubstats_put(repo(ts), &st, 0, tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_hubstats_get_many(repo(ts), NULL, 1, tres_stats, &r), WSC_ERR_INVALID);
    const char *ids[] = {"a", ""};
    assert_int_equal(wsc_hubstats_get_many(repo(ts), ids, 2, tres_stats, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_hubstats_remove(repo(ts), NULL, tres_done, &r), WSC_ERR_INVALID);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hubstats__put_get_list_remove),
        cmocka_unit_test(test_hubstats__ttl_lapses),
        cmocka_unit_test(test_hubstats__invalid),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.hubstats.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
