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

/* A second store on the main one's loop with cfg (one lws context per process keeps OpenSSL
 * quiet); the caller closes second->store. */
static tstore *
open_second(void **state, tstore *second, const wsc_store_config *cfg)
{
    *second = *tstore_get(state);
    assert_int_equal(wsc_store_open(second->loop, second->url, cfg, &second->store), WSC_OK);
    return second;
}

/* Stores a message from sender (NULL: none) with content of size bytes. */
static void
store_from(tstore *ts, const char *uid, const char *mid, const char *sender, size_t size,
           wsc_err want)
{
    char *content = malloc(size + 1);
    assert_non_null(content);
    memset(content, 'x', size);
    content[size] = '\0';
    wsc_msg *m = tstore_msg(mid, content);
    free(content);
    if (sender != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, sender), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_store(repo(ts), uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, want);
}

/* Removes the message mid from sender (NULL: none): its key is (sender, mid), wsc_msg_key. */
static void
remove_one(tstore *ts, const char *uid, const char *mid, const char *sender)
{
    tres r = {0};
    char key[WSC_MSG_KEY_MAX];
    assert_int_equal(wsc_msg_key(sender, mid, key, sizeof(key)), WSC_OK);
    assert_int_equal(wsc_offline_remove(repo(ts), uid, key, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
}

/* One sender fills its share of an inbox, not the inbox: others still reach the user. */
static void
test_offline__per_sender_share_of_an_inbox(void **state)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_max_per_user = 10;
    cfg.offline_max_per_sender = 3;
    tstore second, *ts = open_second(state, &second, &cfg);
    const char *uid = tstore_id(ts, "victim");
    const char *mallory = tstore_id(ts, "mallory"), *alice = tstore_id(ts, "alice");
    store_from(ts, uid, "j1", mallory, 10, WSC_OK);
    store_from(ts, uid, "j2", mallory, 10, WSC_OK);
    store_from(ts, uid, "j3", mallory, 10, WSC_OK);
    store_from(ts, uid, "j4", mallory, 10, WSC_ERR_LIMIT);
    store_from(ts, uid, "j1", mallory, 10, WSC_OK); /* idempotent even over the share */
    store_from(ts, uid, "a1", alice, 10, WSC_OK);
    store_from(ts, uid, "s1", NULL, 10, WSC_OK); /* the application's own: exempt */
    store_from(ts, tstore_id(ts, "other"), "j4", mallory, 10, WSC_OK); /* a share per inbox */
    assert_int_equal(count_of(ts, uid), 5);
    /* An ACK gives the share back. */
    remove_one(ts, uid, "j2", mallory);
    store_from(ts, uid, "j4", mallory, 10, WSC_OK);
    store_from(ts, uid, "j5", mallory, 10, WSC_ERR_LIMIT);
    /* So does a clear. */
    tres r = {0};
    assert_int_equal(wsc_offline_clear(repo(ts), uid, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    store_from(ts, uid, "j5", mallory, 10, WSC_OK);
    store_from(ts, uid, "j6", mallory, 10, WSC_OK);
    store_from(ts, uid, "j7", mallory, 10, WSC_OK);
    store_from(ts, uid, "j8", mallory, 10, WSC_ERR_LIMIT);
    wsc_store_close(ts->store);
}

/* What one sender holds in all inboxes is bounded in count and in bytes. */
static void
test_offline__sender_bounds_across_inboxes(void **state)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_max_msgs_per_sender = 3;
    cfg.offline_max_bytes_per_sender = 2500; /* two messages of ~1,100 bytes, not three */
    tstore second, *ts = open_second(state, &second, &cfg);
    const char *counted = tstore_id(ts, "counted"), *big = tstore_id(ts, "big");
    const char *u1 = tstore_id(ts, "u1"), *u2 = tstore_id(ts, "u2"), *u3 = tstore_id(ts, "u3");
    const char *u4 = tstore_id(ts, "u4");
    store_from(ts, u1, "c1", counted, 10, WSC_OK);
    store_from(ts, u2, "c2", counted, 10, WSC_OK);
    store_from(ts, u3, "c3", counted, 10, WSC_OK);
    store_from(ts, u4, "c4", counted, 10, WSC_ERR_LIMIT);
    store_from(ts, u4, "b1", big, 1000, WSC_OK);
    store_from(ts, u1, "b2", big, 1000, WSC_OK);
    store_from(ts, u2, "b3", big, 1000, WSC_ERR_LIMIT);
    store_from(ts, u2, "b3", big, 10, WSC_OK); /* a small one still fits the bytes */
    store_from(ts, u4, "c4", tstore_id(ts, "someone"), 10, WSC_OK);
    store_from(ts, u4, "n1", NULL, 5000, WSC_OK); /* exempt */
    remove_one(ts, u1, "c1", counted);            /* an ACK gives back count */
    store_from(ts, u4, "c5", counted, 10, WSC_OK);
    remove_one(ts, u4, "b1", big); /* and bytes */
    store_from(ts, u3, "b4", big, 1000, WSC_OK);
    wsc_store_close(ts->store);
}

static bool
never(void *arg)
{
    (void)arg;
    return false;
}

/* Expired messages leave the bounds, even in inboxes nobody reads. */
static void
test_offline__expired_messages_leave_the_bounds(void **state)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_ttl_ms = 300;
    cfg.offline_max_msgs_per_sender = 2;
    tstore second, *ts = open_second(state, &second, &cfg);
    const char *s = tstore_id(ts, "expiring");
    store_from(ts, tstore_id(ts, "e1"), "x1", s, 10, WSC_OK);
    store_from(ts, tstore_id(ts, "e2"), "x2", s, 10, WSC_OK);
    store_from(ts, tstore_id(ts, "e3"), "x3", s, 10, WSC_ERR_LIMIT);
    (void)tstore_until(ts, never, NULL, 600); /* past the TTL (MySQL times are ms) */
    store_from(ts, tstore_id(ts, "e3"), "x3", s, 10, WSC_OK);
    wsc_store_close(ts->store);
}

/* The memory store is bounded in total too (Redis and MySQL leave that to the database). */
static void
test_offline__memory_total_bounds(void **state)
{
    if (strcmp(wsc_store_backend(tstore_get(state)->store), "memory") != 0) {
        tstore_skip();
        return;
    }
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_max_total = 3;
    cfg.offline_max_bytes = 2000;
    tstore second, *ts = open_second(state, &second, &cfg);
    store_from(ts, "t1", "m1", "s1", 10, WSC_OK);
    store_from(ts, "t2", "m2", NULL, 10, WSC_OK); /* exempt from the per-sender bounds only */
    store_from(ts, "t3", "m3", "s3", 10, WSC_OK);
    store_from(ts, "t4", "m4", "s4", 10, WSC_ERR_LIMIT);
    store_from(ts, "t4", "m4", NULL, 10, WSC_ERR_LIMIT);
    remove_one(ts, "t1", "m1", "s1");
    store_from(ts, "t4", "m4", NULL, 1000, WSC_OK);
    remove_one(ts, "t2", "m2", NULL);
    store_from(ts, "t5", "m5", "s5", 1000, WSC_ERR_LIMIT); /* count fits, bytes do not */
    store_from(ts, "t5", "m5", "s5", 10, WSC_OK);
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
        cmocka_unit_test(test_offline__per_sender_share_of_an_inbox),
        cmocka_unit_test(test_offline__sender_bounds_across_inboxes),
        cmocka_unit_test(test_offline__expired_messages_leave_the_bounds),
        cmocka_unit_test(test_offline__memory_total_bounds),
        cmocka_unit_test(test_offline__close_cancels_pending),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.offline.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
