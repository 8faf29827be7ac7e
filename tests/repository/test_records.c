/* SPDX-License-Identifier: MIT */
/* Contract of the message-record repository on every backend: keyed by (message_id,
 * receiver), state changes stamp times and count retries. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

static struct wsc_record_repo *
repo(tstore *ts)
{
    return wsc_store_records(ts->store);
}

static void
put(tstore *ts, const char *mid, const char *rcv, wsc_record_state st)
{
    wsc_msg_record rec = {.message_id = mid, .receiver = rcv, .sender = "snd", .state = st};
    tres r = {0};
    assert_int_equal(wsc_record_put(repo(ts), &rec, tres_done, &r), WSC_OK);
    assert_int_equal(r.calls, 0);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
}

static void
get(tstore *ts, const char *mid, const char *rcv, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_record_get(repo(ts), mid, rcv, tres_record, r), WSC_OK);
    tstore_wait(ts, r);
}

static wsc_err
update(tstore *ts, const char *mid, const char *rcv, wsc_record_state st, uint32_t inc, wsc_err e,
       const char *text)
{
    tres r = {0};
    assert_int_equal(wsc_record_update(repo(ts), mid, rcv, st, inc, e, text, tres_done, &r),
                     WSC_OK);
    tstore_wait(ts, &r);
    return r.status;
}

static void
test_records__put_get(void **state)
{
    tstore *ts = tstore_get(state);
    const char *mid = tstore_id(ts, "m");
    put(ts, mid, "bob", WSC_REC_PENDING);
    tres r;
    get(ts, mid, "bob", &r);
    assert_int_equal(r.status, WSC_OK);
    assert_string_equal(r.mids[0], mid);
    assert_string_equal(r.nodes[0], "bob");
    assert_string_equal(r.rec_sender, "snd");
    assert_int_equal(r.rec.state, WSC_REC_PENDING);
    assert_true(r.rec.created_ms > 0);
    assert_true(r.rec.updated_ms >= r.rec.created_ms);
    assert_int_equal(r.rec.sent_ms, 0);
}

static void
test_records__keyed_by_message_and_receiver(void **state)
{
    tstore *ts = tstore_get(state);
    const char *mid = tstore_id(ts, "grp");
    put(ts, mid, "r1", WSC_REC_PENDING);
    put(ts, mid, "r2", WSC_REC_PENDING);
    assert_int_equal(update(ts, mid, "r1", WSC_REC_ACKED, 0, WSC_OK, NULL), WSC_OK);
    tres r;
    get(ts, mid, "r1", &r);
    assert_int_equal(r.rec.state, WSC_REC_ACKED);
    get(ts, mid, "r2", &r);
    assert_int_equal(r.rec.state, WSC_REC_PENDING); /* never updated by message_id alone */
}

static void
test_records__state_changes_stamp_and_count(void **state)
{
    tstore *ts = tstore_get(state);
    const char *mid = tstore_id(ts, "life");
    put(ts, mid, "bob", WSC_REC_PENDING);
    assert_int_equal(update(ts, mid, "bob", WSC_REC_SENT, 0, WSC_OK, NULL), WSC_OK);
    assert_int_equal(update(ts, mid, "bob", WSC_REC_RETRYING, 1, WSC_ERR_TIMEOUT, "no ack"),
                     WSC_OK);
    assert_int_equal(update(ts, mid, "bob", WSC_REC_RETRYING, 1, WSC_ERR_TIMEOUT, "no ack 2"),
                     WSC_OK);
    tres r;
    get(ts, mid, "bob", &r);
    assert_int_equal(r.rec.state, WSC_REC_RETRYING);
    assert_int_equal(r.rec.retry_count, 2);
    assert_int_equal(r.rec.last_error, WSC_ERR_TIMEOUT);
    assert_string_equal(r.rec_text, "no ack 2");
    assert_true(r.rec.sent_ms > 0);
    assert_int_equal(r.rec.acked_ms, 0);
    assert_int_equal(update(ts, mid, "bob", WSC_REC_ACKED, 0, WSC_OK, NULL), WSC_OK);
    get(ts, mid, "bob", &r);
    assert_int_equal(r.rec.state, WSC_REC_ACKED);
    assert_true(r.rec.acked_ms >= r.rec.sent_ms);
    assert_string_equal(r.rec_text, "");
}

static void
test_records__missing_and_remove(void **state)
{
    tstore *ts = tstore_get(state);
    const char *mid = tstore_id(ts, "gone");
    tres r;
    get(ts, mid, "bob", &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    assert_int_equal(update(ts, mid, "bob", WSC_REC_SENT, 0, WSC_OK, NULL), WSC_ERR_NOT_FOUND);
    put(ts, mid, "bob", WSC_REC_STORED);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_record_remove(repo(ts), mid, "bob", tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    get(ts, mid, "bob", &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
}

static void
test_records__put_replaces(void **state)
{
    tstore *ts = tstore_get(state);
    const char *mid = tstore_id(ts, "rep");
    put(ts, mid, "bob", WSC_REC_FAILED);
    put(ts, mid, "bob", WSC_REC_STORED);
    tres r;
    get(ts, mid, "bob", &r);
    assert_int_equal(r.rec.state, WSC_REC_STORED);
}

static void
test_records__invalid(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    wsc_msg_record rec = {.message_id = "m", .receiver = NULL};
    assert_int_equal(wsc_record_put(repo(ts), &rec, tres_done, &r), WSC_ERR_INVALID);
    rec.receiver = "x";
    rec.state = (wsc_record_state)99;
    assert_int_equal(wsc_record_put(repo(ts), &rec, tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_record_get(repo(ts), "", "x", tres_record, &r), WSC_ERR_INVALID);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
    assert_string_equal(wsc_record_state_name(WSC_REC_DELIVERED), "delivered");
    assert_string_equal(wsc_record_state_name((wsc_record_state)42), "unknown");
}

/* The memory store bounds its records in total: past record_max_total the record written
 * longest ago goes (an update counts as a write). */
static void
test_records__memory_total_bound(void **state)
{
    if (strcmp(wsc_store_backend(tstore_get(state)->store), "memory") != 0) {
        tstore_skip();
        return;
    }
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.record_max_total = 3;
    tstore second = *tstore_get(state), *ts = &second;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, &cfg, &ts->store), WSC_OK);
    put(ts, "m1", "r", WSC_REC_PENDING);
    put(ts, "m2", "r", WSC_REC_PENDING);
    put(ts, "m3", "r", WSC_REC_PENDING);
    put(ts, "m4", "r", WSC_REC_PENDING);
    tres r;
    get(ts, "m1", "r", &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    assert_int_equal(update(ts, "m2", "r", WSC_REC_SENT, 0, WSC_OK, NULL), WSC_OK);
    put(ts, "m5", "r", WSC_REC_PENDING); /* m3 is now the oldest write */
    get(ts, "m3", "r", &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    const char *kept[] = {"m2", "m4", "m5"};
    for (int i = 0; i < 3; i++) {
        get(ts, kept[i], "r", &r);
        assert_int_equal(r.status, WSC_OK);
    }
    put(ts, "m4", "r", WSC_REC_ACKED); /* a put over an existing record replaces it */
    get(ts, "m2", "r", &r);
    assert_int_equal(r.status, WSC_OK);
    wsc_store_close(ts->store);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_records__put_get),
        cmocka_unit_test(test_records__keyed_by_message_and_receiver),
        cmocka_unit_test(test_records__state_changes_stamp_and_count),
        cmocka_unit_test(test_records__missing_and_remove),
        cmocka_unit_test(test_records__put_replaces),
        cmocka_unit_test(test_records__invalid),
        cmocka_unit_test(test_records__memory_total_bound),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.records.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
