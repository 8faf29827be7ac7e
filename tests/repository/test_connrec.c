/* SPDX-License-Identifier: MIT */
/* Contract of the connection-record repository on every backend: connect, counters,
 * disconnect, keyed by (node, connection id). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

static struct wsc_connrec_repo *
repo(tstore *ts)
{
    return wsc_store_connrecs(ts->store);
}

static void
get(tstore *ts, const char *node, wsc_conn_id id, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_connrec_get(repo(ts), node, id, tres_connrec, r), WSC_OK);
    tstore_wait(ts, r);
}

static void
test_connrec__lifecycle(void **state)
{
    tstore *ts = tstore_get(state);
    const char *node = tstore_id(ts, "node");
    wsc_conn_record rec = {.node_id = node,
                           .conn_id = 7,
                           .user_id = "alice",
                           .client_id = "c1",
                           .remote_ip = "127.0.0.1"};
    tres r = {0};
    assert_int_equal(wsc_connrec_connect(repo(ts), &rec, tres_done, &r), WSC_OK);
    assert_int_equal(r.calls, 0);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    wsc_conn_record d = {.msgs_in = 3, .msgs_out = 5, .bytes_in = 30, .bytes_out = 50};
    for (int i = 0; i < 2; i++) {
        memset(&r, 0, sizeof(r));
        assert_int_equal(wsc_connrec_add_counters(repo(ts), node, 7, &d, tres_done, &r), WSC_OK);
        tstore_wait(ts, &r);
        assert_int_equal(r.status, WSC_OK);
    }
    get(ts, node, 7, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_true(r.conn.active);
    assert_string_equal(r.conn_user, "alice");
    assert_int_equal(r.conn.msgs_in, 6);
    assert_int_equal(r.conn.bytes_out, 100);
    assert_true(r.conn.connected_ms > 0);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_connrec_disconnect(repo(ts), node, 7, 1001, "going away", tres_done, &r),
                     WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    get(ts, node, 7, &r);
    assert_false(r.conn.active);
    assert_int_equal(r.conn.close_code, 1001);
    assert_string_equal(r.conn_reason, "going away");
    assert_true(r.conn.disconnected_ms >= r.conn.connected_ms);
}

static void
test_connrec__missing(void **state)
{
    tstore *ts = tstore_get(state);
    const char *node = tstore_id(ts, "empty-node");
    tres r;
    get(ts, node, 1, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    wsc_conn_record d = {.errors = 1};
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_connrec_add_counters(repo(ts), node, 1, &d, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_connrec_disconnect(repo(ts), node, 1, 1000, NULL, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_NOT_FOUND);
}

static void
test_connrec__same_id_on_two_nodes(void **state)
{
    tstore *ts = tstore_get(state);
    const char *a = tstore_id(ts, "na");
    const char *b = tstore_id(ts, "nb");
    wsc_conn_record rec = {.node_id = a, .conn_id = 1, .user_id = "ua"};
    tres r = {0};
    assert_int_equal(wsc_connrec_connect(repo(ts), &rec, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    rec.node_id = b;
    rec.user_id = "ub";
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_connrec_connect(repo(ts), &rec, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    get(ts, a, 1, &r);
    assert_string_equal(r.conn_user, "ua");
    get(ts, b, 1, &r);
    assert_string_equal(r.conn_user, "ub");
}

static void
test_connrec__invalid(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    wsc_conn_record rec = {.node_id = "n", .conn_id = 0};
    assert_int_equal(wsc_connrec_connect(repo(ts), &rec, tres_done, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_connrec_get(repo(ts), NULL, 1, tres_connrec, &r), WSC_ERR_INVALID);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_connrec__lifecycle),
        cmocka_unit_test(test_connrec__missing),
        cmocka_unit_test(test_connrec__same_id_on_two_nodes),
        cmocka_unit_test(test_connrec__invalid),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.connrec.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
