/* SPDX-License-Identifier: MIT */
/* The argument checks of the public repository functions (wsc/repository.h), the same on every
 * backend: a NULL repository or callback, an id that is NULL, empty or longer than 255 bytes,
 * a NULL record, message or stats, a message without a key, a limit, count or state out of
 * range, a zero TTL or connection id return WSC_ERR_INVALID and the callback never runs; a
 * 255-byte id is accepted; a backend
 * without hub stats, queues and workload (MySQL) answers WSC_ERR_UNSUPPORTED whatever the
 * arguments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

#define INV(expr) assert_int_equal((expr), WSC_ERR_INVALID)

static char long_id[257]; /* 256 bytes: one too many */

static void
fill_long_id(void)
{
    memset(long_id, 'a', 256);
    long_id[256] = '\0';
}

static void
test_api__null_repository(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    wsc_msg *m = tstore_msg("m1", "x");
    wsc_msg_record rec = {.message_id = "m", .receiver = "r"};
    wsc_conn_record cr = {.node_id = "n", .conn_id = 1};
    wsc_node_stats st = {.node_id = "n"};
    const char *ids[] = {"n"};
    INV(wsc_offline_store(NULL, "u", m, tres_done, &r));
    INV(wsc_offline_fetch(NULL, "u", 0, 10, tres_fetch, &r));
    INV(wsc_offline_remove(NULL, "u", "m1", tres_done, &r));
    INV(wsc_offline_count(NULL, "u", tres_count, &r));
    INV(wsc_offline_clear(NULL, "u", tres_done, &r));
    INV(wsc_record_put(NULL, &rec, tres_done, &r));
    INV(wsc_record_update(NULL, "m", "r", WSC_REC_SENT, 0, WSC_OK, NULL, tres_done, &r));
    INV(wsc_record_get(NULL, "m", "r", tres_record, &r));
    INV(wsc_record_remove(NULL, "m", "r", tres_done, &r));
    INV(wsc_online_set(NULL, "u", "c", "n", 5, tres_done, &r));
    INV(wsc_online_refresh(NULL, "u", "c", 5, tres_done, &r));
    INV(wsc_online_remove(NULL, "u", "c", tres_done, &r));
    INV(wsc_online_get(NULL, "u", tres_online, &r));
    INV(wsc_connrec_connect(NULL, &cr, tres_done, &r));
    INV(wsc_connrec_add_counters(NULL, "n", 1, &cr, tres_done, &r));
    INV(wsc_connrec_disconnect(NULL, "n", 1, 1000, NULL, tres_done, &r));
    INV(wsc_connrec_get(NULL, "n", 1, tres_connrec, &r));
    INV(wsc_hubstats_put(NULL, &st, 5, tres_done, &r));
    INV(wsc_hubstats_get_many(NULL, ids, 1, tres_stats, &r));
    INV(wsc_hubstats_get(NULL, "n", tres_stats, &r));
    INV(wsc_hubstats_list(NULL, tres_ids, &r));
    INV(wsc_hubstats_remove(NULL, "n", tres_done, &r));
    INV(wsc_queue_push(NULL, "q", m, tres_count, &r));
    INV(wsc_queue_pop(NULL, "q", 1, tres_msgs, &r));
    INV(wsc_queue_length(NULL, "q", tres_count, &r));
    INV(wsc_workload_set(NULL, "ns", "a", 1, tres_done, &r));
    INV(wsc_workload_add(NULL, "ns", "a", 1, tres_count, &r));
    INV(wsc_workload_incr(NULL, "ns", "a", tres_count, &r));
    INV(wsc_workload_decr(NULL, "ns", "a", tres_count, &r));
    INV(wsc_workload_get(NULL, "ns", "a", tres_count, &r));
    INV(wsc_workload_remove(NULL, "ns", "a", tres_done, &r));
    INV(wsc_workload_acquire_least_loaded(NULL, "ns", NULL, 0, 0, tres_acquire, &r));
    wsc_msg_unref(m);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

static void
test_api__core_ids_and_callbacks(void **state)
{
    tstore *ts = tstore_get(state);
    struct wsc_offline_repo *off = wsc_store_offline(ts->store);
    struct wsc_record_repo *recs = wsc_store_records(ts->store);
    struct wsc_online_repo *on = wsc_store_online(ts->store);
    struct wsc_connrec_repo *conns = wsc_store_connrecs(ts->store);
    tres r = {0};
    wsc_msg *m = tstore_msg("m1", "x");
    fill_long_id();
    const char *bad[] = {NULL, "", long_id};
    for (size_t i = 0; i < 3; i++) {
        const char *b = bad[i];
        wsc_msg_record rec = {.message_id = b, .receiver = "r"};
        wsc_conn_record cr = {.node_id = b, .conn_id = 1};
        INV(wsc_offline_store(off, b, m, tres_done, &r));
        INV(wsc_offline_fetch(off, b, 0, 10, tres_fetch, &r));
        INV(wsc_offline_remove(off, "u", b, tres_done, &r));
        INV(wsc_offline_count(off, b, tres_count, &r));
        INV(wsc_offline_clear(off, b, tres_done, &r));
        INV(wsc_record_put(recs, &rec, tres_done, &r));
        INV(wsc_record_update(recs, "m", b, WSC_REC_SENT, 0, WSC_OK, NULL, tres_done, &r));
        INV(wsc_record_get(recs, b, "r", tres_record, &r));
        INV(wsc_record_remove(recs, "m", b, tres_done, &r));
        INV(wsc_online_set(on, "u", "c", b, 5, tres_done, &r));
        INV(wsc_online_refresh(on, b, "c", 5, tres_done, &r));
        INV(wsc_online_remove(on, "u", b, tres_done, &r));
        INV(wsc_online_get(on, b, tres_online, &r));
        INV(wsc_connrec_connect(conns, &cr, tres_done, &r));
        INV(wsc_connrec_add_counters(conns, b, 1, &cr, tres_done, &r));
        INV(wsc_connrec_disconnect(conns, b, 1, 1000, NULL, tres_done, &r));
        INV(wsc_connrec_get(conns, b, 1, tres_connrec, &r));
    }
    INV(wsc_offline_store(off, "u", m, NULL, &r));
    INV(wsc_offline_count(off, "u", NULL, &r));
    INV(wsc_record_get(recs, "m", "r", NULL, &r));
    INV(wsc_online_get(on, "u", NULL, &r));
    INV(wsc_connrec_get(conns, "n", 1, NULL, &r));
    INV(wsc_connrec_get(conns, "n", 0, tres_connrec, &r));
    wsc_msg_unref(m);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

static void
test_api__longest_id_accepted(void **state)
{
    tstore *ts = tstore_get(state);
    char uid[256];
    snprintf(uid, sizeof(uid), "%s", tstore_id(ts, "u"));
    size_t len = strlen(uid);
    memset(uid + len, 'a', 255 - len);
    uid[255] = '\0';
    tres r = {0};
    assert_int_equal(
        wsc_online_set(wsc_store_online(ts->store), uid, "c", "n", 5000, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_online_get(wsc_store_online(ts->store), uid, tres_online, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 1);
}

/* What the ext functions answer for bad arguments: INVALID, or UNSUPPORTED on a backend
 * without them (whatever the arguments). */
static wsc_err
ext_bad(tstore *ts)
{
    tres r = {0};
    wsc_err err = wsc_hubstats_list(wsc_store_hubstats(ts->store), tres_ids, &r);
    if (err == WSC_ERR_UNSUPPORTED)
        return err;
    assert_int_equal(err, WSC_OK);
    tstore_wait(ts, &r);
    return WSC_ERR_INVALID;
}

static void
test_api__ext_ids_and_callbacks(void **state)
{
    tstore *ts = tstore_get(state);
    struct wsc_hubstats_repo *hs = wsc_store_hubstats(ts->store);
    struct wsc_queue_repo *q = wsc_store_queues(ts->store);
    struct wsc_workload_repo *wl = wsc_store_workload(ts->store);
    wsc_err want = ext_bad(ts);
    tres r = {0};
    wsc_msg *m = tstore_msg("m1", "x");
    fill_long_id();
    const char *bad[] = {NULL, "", long_id};
    for (size_t i = 0; i < 3; i++) {
        const char *b = bad[i];
        wsc_node_stats st = {.node_id = b};
        const char *ids[] = {"n", b};
        assert_int_equal(wsc_hubstats_put(hs, &st, 5, tres_done, &r), want);
        assert_int_equal(wsc_hubstats_get_many(hs, ids, 2, tres_stats, &r), want);
        assert_int_equal(wsc_hubstats_get(hs, b, tres_stats, &r), want);
        assert_int_equal(wsc_hubstats_remove(hs, b, tres_done, &r), want);
        assert_int_equal(wsc_queue_push(q, b, m, tres_count, &r), want);
        assert_int_equal(wsc_queue_pop(q, b, 1, tres_msgs, &r), want);
        assert_int_equal(wsc_queue_length(q, b, tres_count, &r), want);
        assert_int_equal(wsc_workload_set(wl, b, "a", 1, tres_done, &r), want);
        assert_int_equal(wsc_workload_add(wl, "ns", b, 1, tres_count, &r), want);
        assert_int_equal(wsc_workload_incr(wl, b, "a", tres_count, &r), want);
        assert_int_equal(wsc_workload_get(wl, "ns", b, tres_count, &r), want);
        assert_int_equal(wsc_workload_remove(wl, b, "a", tres_done, &r), want);
        assert_int_equal(wsc_workload_acquire_least_loaded(wl, "ns", ids, 2, 0, tres_acquire, &r),
                         want);
    }
    assert_int_equal(wsc_hubstats_list(hs, NULL, &r), want);
    assert_int_equal(wsc_queue_length(q, "q", NULL, &r), want);
    assert_int_equal(wsc_workload_decr(wl, "ns", "a", NULL, &r), want);
    wsc_msg_unref(m);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

/* The other arguments each function checks: a NULL callback, a NULL record or stats, a limit
 * or count out of range, a state past WSC_REC_EXPIRED, a zero TTL or connection id, a message
 * without a key, and n ids at NULL.  Each is WSC_ERR_INVALID (UNSUPPORTED for the ext functions
 * on a backend without them) and no callback runs. */
static void
test_api__bad_values_and_null_callbacks(void **state)
{
    tstore *ts = tstore_get(state);
    struct wsc_offline_repo *off = wsc_store_offline(ts->store);
    struct wsc_record_repo *recs = wsc_store_records(ts->store);
    struct wsc_online_repo *on = wsc_store_online(ts->store);
    struct wsc_connrec_repo *conns = wsc_store_connrecs(ts->store);
    tres r = {0};
    wsc_msg *m = tstore_msg("m1", "x");
    wsc_msg *nokey = tstore_msg(NULL, "x");
    wsc_msg_record rec = {.message_id = "m", .receiver = "r"};
    wsc_msg_record bad_state = {
        .message_id = "m", .receiver = "r", .state = (wsc_record_state)(WSC_REC_EXPIRED + 1)};
    wsc_conn_record cr = {.node_id = "n", .conn_id = 1};
    wsc_conn_record no_id = {.node_id = "n", .conn_id = 0};
    /* A NULL callback, every other argument good. */
    INV(wsc_offline_fetch(off, "u", 0, 10, NULL, &r));
    INV(wsc_offline_remove(off, "u", "m1", NULL, &r));
    INV(wsc_offline_clear(off, "u", NULL, &r));
    INV(wsc_record_put(recs, &rec, NULL, &r));
    INV(wsc_record_update(recs, "m", "r", WSC_REC_SENT, 0, WSC_OK, NULL, NULL, &r));
    INV(wsc_record_remove(recs, "m", "r", NULL, &r));
    INV(wsc_online_set(on, "u", "c", "n", 5, NULL, &r));
    INV(wsc_online_refresh(on, "u", "c", 5, NULL, &r));
    INV(wsc_online_remove(on, "u", "c", NULL, &r));
    INV(wsc_connrec_connect(conns, &cr, NULL, &r));
    INV(wsc_connrec_add_counters(conns, "n", 1, &cr, NULL, &r));
    INV(wsc_connrec_disconnect(conns, "n", 1, 1000, NULL, NULL, &r));
    /* One bad value each. */
    INV(wsc_offline_store(off, "u", NULL, tres_done, &r));
    INV(wsc_offline_store(off, "u", nokey, tres_done, &r));
    INV(wsc_offline_fetch(off, "u", 0, 0, tres_fetch, &r));
    INV(wsc_offline_fetch(off, "u", 0, 1001, tres_fetch, &r));
    INV(wsc_offline_remove(off, NULL, "m1", tres_done, &r));
    INV(wsc_record_put(recs, NULL, tres_done, &r));
    INV(wsc_record_put(recs, &bad_state, tres_done, &r));
    INV(wsc_record_update(recs, NULL, "r", WSC_REC_SENT, 0, WSC_OK, NULL, tres_done, &r));
    INV(wsc_record_update(recs, "m", "r", (wsc_record_state)(WSC_REC_EXPIRED + 1), 0, WSC_OK, NULL,
                          tres_done, &r));
    INV(wsc_record_get(recs, "m", NULL, tres_record, &r));
    INV(wsc_record_remove(recs, NULL, "r", tres_done, &r));
    INV(wsc_online_set(on, NULL, "c", "n", 5, tres_done, &r));
    INV(wsc_online_set(on, "u", NULL, "n", 5, tres_done, &r));
    INV(wsc_online_set(on, "u", "c", "n", 0, tres_done, &r));
    INV(wsc_online_refresh(on, "u", NULL, 5, tres_done, &r));
    INV(wsc_online_refresh(on, "u", "c", 0, tres_done, &r));
    INV(wsc_online_remove(on, NULL, "c", tres_done, &r));
    INV(wsc_connrec_connect(conns, NULL, tres_done, &r));
    INV(wsc_connrec_connect(conns, &no_id, tres_done, &r));
    INV(wsc_connrec_add_counters(conns, "n", 0, &cr, tres_done, &r));
    INV(wsc_connrec_add_counters(conns, "n", 1, NULL, tres_done, &r));
    INV(wsc_connrec_disconnect(conns, "n", 0, 1000, NULL, tres_done, &r));
    wsc_msg_unref(nokey);
    wsc_msg_unref(m);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

static void
test_api__ext_bad_values_and_null_callbacks(void **state)
{
    tstore *ts = tstore_get(state);
    struct wsc_hubstats_repo *hs = wsc_store_hubstats(ts->store);
    struct wsc_queue_repo *q = wsc_store_queues(ts->store);
    struct wsc_workload_repo *wl = wsc_store_workload(ts->store);
    wsc_err want = ext_bad(ts);
    tres r = {0};
    wsc_msg *m = tstore_msg("m1", "x");
    wsc_node_stats st = {.node_id = "n"};
    const char *ids[257];
    for (size_t i = 0; i < 257; i++)
        ids[i] = "n";
    /* A NULL callback, every other argument good. */
    assert_int_equal(wsc_hubstats_put(hs, &st, 5, NULL, &r), want);
    assert_int_equal(wsc_hubstats_get_many(hs, ids, 1, NULL, &r), want);
    assert_int_equal(wsc_hubstats_remove(hs, "n", NULL, &r), want);
    assert_int_equal(wsc_queue_push(q, "q", m, NULL, &r), want);
    assert_int_equal(wsc_queue_pop(q, "q", 1, NULL, &r), want);
    assert_int_equal(wsc_workload_set(wl, "ns", "a", 1, NULL, &r), want);
    assert_int_equal(wsc_workload_add(wl, "ns", "a", 1, NULL, &r), want);
    assert_int_equal(wsc_workload_get(wl, "ns", "a", NULL, &r), want);
    assert_int_equal(wsc_workload_remove(wl, "ns", "a", NULL, &r), want);
    assert_int_equal(wsc_workload_acquire_least_loaded(wl, "ns", ids, 1, 0, NULL, &r), want);
    /* One bad value each. */
    assert_int_equal(wsc_hubstats_put(hs, NULL, 5, tres_done, &r), want);
    assert_int_equal(wsc_hubstats_put(hs, &st, 0, tres_done, &r), want);
    assert_int_equal(wsc_hubstats_get_many(hs, ids, 0, tres_stats, &r), want);
    assert_int_equal(wsc_hubstats_get_many(hs, ids, 257, tres_stats, &r), want);
    assert_int_equal(wsc_hubstats_get_many(hs, NULL, 1, tres_stats, &r), want);
    assert_int_equal(wsc_queue_push(q, "q", NULL, tres_count, &r), want);
    assert_int_equal(wsc_queue_pop(q, "q", 0, tres_msgs, &r), want);
    assert_int_equal(wsc_queue_pop(q, "q", 1001, tres_msgs, &r), want);
    assert_int_equal(wsc_workload_set(wl, "ns", NULL, 1, tres_done, &r), want);
    assert_int_equal(wsc_workload_add(wl, NULL, "a", 1, tres_count, &r), want);
    assert_int_equal(wsc_workload_get(wl, NULL, "a", tres_count, &r), want);
    assert_int_equal(wsc_workload_remove(wl, "ns", NULL, tres_done, &r), want);
    assert_int_equal(wsc_workload_acquire_least_loaded(wl, NULL, ids, 1, 0, tres_acquire, &r),
                     want);
    assert_int_equal(wsc_workload_acquire_least_loaded(wl, "ns", ids, 25, 0, tres_acquire, &r),
                     want);
    assert_int_equal(wsc_workload_acquire_least_loaded(wl, "ns", NULL, 1, 0, tres_acquire, &r),
                     want);
    wsc_msg_unref(m);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api__null_repository),
        cmocka_unit_test(test_api__core_ids_and_callbacks),
        cmocka_unit_test(test_api__longest_id_accepted),
        cmocka_unit_test(test_api__ext_ids_and_callbacks),
        cmocka_unit_test(test_api__bad_values_and_null_callbacks),
        cmocka_unit_test(test_api__ext_bad_values_and_null_callbacks),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.api.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
