/* SPDX-License-Identifier: MIT */
/* Contract of the offline-message repository, run on every backend (tstore.h): ordered per
 * user, idempotent per (message_id, user), paged by cursor, removed on ACK, bounded. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

static struct wsc_offline_repo *
repo(tstore *ts)
{
    return wsc_store_offline(ts->store);
}

static void
store_one(tstore *ts, const char *uid, const char *mid, const char *content, wsc_err want)
{
    wsc_msg *m = tstore_msg(mid, content);
    tres r = {0};
    assert_int_equal(wsc_offline_store(repo(ts), uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);             /* the repository keeps its own copy */
    assert_int_equal(r.calls, 0); /* never inside the call */
    tstore_wait(ts, &r);
    assert_int_equal(r.status, want);
}

static uint64_t
count_of(tstore *ts, const char *uid)
{
    tres r = {0};
    assert_int_equal(wsc_offline_count(repo(ts), uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    return r.count;
}

static void
fetch(tstore *ts, const char *uid, uint64_t after, size_t limit, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_offline_fetch(repo(ts), uid, after, limit, tres_fetch, r), WSC_OK);
    tstore_wait(ts, r);
    assert_int_equal(r->status, WSC_OK);
}

static void
test_offline__store_fetch_in_order(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "alice");
    store_one(ts, uid, "m1", "one", WSC_OK);
    store_one(ts, uid, "m2", "two", WSC_OK);
    store_one(ts, uid, "m3", "three", WSC_OK);
    tres r;
    fetch(ts, uid, 0, 10, &r);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.mids[0], "m1");
    assert_string_equal(r.mids[1], "m2");
    assert_string_equal(r.mids[2], "m3");
    assert_string_equal(r.nodes[2], "three");
    assert_int_equal(count_of(ts, uid), 3);
}

static void
test_offline__store_is_idempotent_per_message_and_user(void **state)
{
    tstore *ts = tstore_get(state);
    const char *a = tstore_id(ts, "a");
    const char *b = tstore_id(ts, "b");
    store_one(ts, a, "dup", "first", WSC_OK);
    store_one(ts, a, "other", "x", WSC_OK);
    store_one(ts, a, "dup", "second", WSC_OK);
    store_one(ts, b, "dup", "for b", WSC_OK);
    assert_int_equal(count_of(ts, a), 2);
    assert_int_equal(count_of(ts, b), 1);
    tres r;
    fetch(ts, a, 0, 10, &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.mids[0], "dup");
    assert_string_equal(r.nodes[0], "first"); /* the first copy and its place stay */
}

static void
test_offline__cursor_pages(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "pager");
    char mid[16];
    for (int i = 0; i < 7; i++) {
        snprintf(mid, sizeof(mid), "p%d", i);
        store_one(ts, uid, mid, "x", WSC_OK);
    }
    tres r;
    fetch(ts, uid, 0, 3, &r);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.mids[2], "p2");
    uint64_t c = r.cursor;
    assert_true(c != 0);
    fetch(ts, uid, c, 3, &r);
    assert_int_equal(r.n, 3);
    assert_string_equal(r.mids[0], "p3");
    fetch(ts, uid, r.cursor, 3, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "p6");
    uint64_t last = r.cursor;
    fetch(ts, uid, last, 3, &r);
    assert_int_equal(r.n, 0);
    assert_true(r.cursor == last); /* unchanged when nothing follows */
}

static void
test_offline__remove_on_ack(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "acker");
    store_one(ts, uid, "k1", "x", WSC_OK);
    store_one(ts, uid, "k2", "y", WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_remove(repo(ts), uid, "k1", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_remove(repo(ts), uid, "k1", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    fetch(ts, uid, 0, 10, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "k2");
    /* A removed message may be stored again (a new delivery of the same id). */
    store_one(ts, uid, "k1", "again", WSC_OK);
    assert_int_equal(count_of(ts, uid), 2);
}

static void
test_offline__clear_and_unknown_user(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "clearme");
    store_one(ts, uid, "c1", "x", WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_clear(repo(ts), uid, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(count_of(ts, uid), 0);
    assert_int_equal(count_of(ts, tstore_id(ts, "nobody")), 0);
    fetch(ts, tstore_id(ts, "nobody"), 0, 5, &r);
    assert_int_equal(r.n, 0);
}

static void
test_offline__invalid_input_never_calls_back(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    wsc_msg *no_id = tstore_msg(NULL, "x");
    assert_int_equal(wsc_offline_store(repo(ts), "u", no_id, tres_done, &r), WSC_ERR_INVALID);
    wsc_msg_unref(no_id);
    wsc_msg *m = tstore_msg("id", "x");
    assert_int_equal(wsc_offline_store(repo(ts), "", m, tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_offline_store(repo(ts), "u", m, NULL, &r), WSC_ERR_INVALID);
    wsc_msg_unref(m);
    wsc_msg *bin = NULL;
    assert_int_equal(wsc_msg_new_binary(&bin, "ab", 2), WSC_OK);
    wsc_msg_set(bin, WSC_F_MESSAGE_ID, "b1");
    assert_int_equal(wsc_offline_store(repo(ts), "u", bin, tres_done, &r), WSC_ERR_UNSUPPORTED);
    wsc_msg_unref(bin);
    assert_int_equal(wsc_offline_fetch(repo(ts), "u", 0, 0, tres_fetch, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_offline_remove(repo(ts), "u", NULL, tres_done, &r), WSC_ERR_INVALID);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

static void
test_offline__fetched_messages_are_whole_and_frozen(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "whole");
    wsc_msg *m = tstore_msg("w1", "hello \xc3\xa9");
    wsc_msg_set(m, WSC_F_SENDER, "bob");
    wsc_msg_set_require_ack(m, true);
    wsc_msg_set_data_json(m, "{\"k\":[1,2]}");
    tres r = {0};
    assert_int_equal(wsc_offline_store(repo(ts), uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    fetch(ts, uid, 0, 1, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.nodes[0], "hello \xc3\xa9");
}

/* A bounded store refuses (WSC_ERR_LIMIT) instead of dropping silently. */
static void
test_offline__max_per_user(void **state)
{
    tstore *main_ts = tstore_get(state);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_max_per_user = 2;
    /* A second store on the same loop (one lws context per process keeps OpenSSL quiet). */
    tstore second = *main_ts, *ts = &second;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, &cfg, &ts->store), WSC_OK);
    const char *uid = tstore_id(ts, "bounded");
    store_one(ts, uid, "b1", "x", WSC_OK);
    store_one(ts, uid, "b2", "x", WSC_OK);
    store_one(ts, uid, "b3", "x", WSC_ERR_LIMIT);
    store_one(ts, uid, "b1", "x", WSC_OK); /* idempotent even when full */
    assert_int_equal(count_of(ts, uid), 2);
    wsc_store_close(ts->store);
}

static void
test_offline__close_cancels_pending(void **state)
{
    tstore *main_ts = tstore_get(state);
    tstore second = *main_ts, *ts = &second;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, NULL, &ts->store), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_count(repo(ts), "u", tres_count, &r), WSC_OK);
    wsc_store_close(ts->store);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, WSC_ERR_CANCELED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offline__store_fetch_in_order),
        cmocka_unit_test(test_offline__store_is_idempotent_per_message_and_user),
        cmocka_unit_test(test_offline__cursor_pages),
        cmocka_unit_test(test_offline__remove_on_ack),
        cmocka_unit_test(test_offline__clear_and_unknown_user),
        cmocka_unit_test(test_offline__invalid_input_never_calls_back),
        cmocka_unit_test(test_offline__fetched_messages_are_whole_and_frozen),
        cmocka_unit_test(test_offline__max_per_user),
        cmocka_unit_test(test_offline__close_cancels_pending),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.offline.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
