/* SPDX-License-Identifier: MIT */
/* The order of the MySQL worker's jobs (repository.mysql_order.mysql, label mysql): offline
 * reads (fetch, count) go ahead of the writes queued before them, so that a replay is not
 * held behind a backlog of stores (src/repository/mysql/mysql_internal.h,
 * wsc__my_job_first); writes keep their order.  Another session holds wsc_offline locked
 * while 40 stores and then a fetch are queued; once it unlocks, the fetch answers before the
 * stores still queued behind the first (the one the worker was blocked on).  A job that waited
 * in the queue past the command timeout (its caller was told WSC_ERR_TIMEOUT) is not run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmysql.h"
#include "tstore.h"
#include "twait.h"

#define NSTORES 40

struct order {
    int done;     /* completions so far */
    int store_ok; /* stores that completed OK */
    int fetch_at; /* done when the fetch completed (-1: not yet) */
    int fetch_n;  /* messages it returned */
    wsc_err fetch_status;
};

static void
stored(wsc_err status, void *user)
{
    struct order *o = user;
    o->done++;
    o->store_ok += status == WSC_OK;
}

static void
fetched(wsc_err status, wsc_msg *const *msgs, size_t n, uint64_t next, void *user)
{
    (void)msgs;
    (void)next;
    struct order *o = user;
    o->fetch_at = o->done++;
    o->fetch_n = (int)n;
    o->fetch_status = status;
}

static bool
all_done(void *arg)
{
    return ((struct order *)arg)->done == NSTORES + 1;
}

static void
test_mysql_order__fetch_goes_before_queued_stores(void **state)
{
    tstore *ts = tstore_get(state);
    struct wsc_offline_repo *off = wsc_store_offline(ts->store);
    const char *reader = tstore_id(ts, "reader"), *writer = tstore_id(ts, "writer");
    wsc_msg *m = tstore_msg("old", "x");
    tres r = {0};
    assert_int_equal(wsc_offline_store(off, reader, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    MYSQL *raw = tmysql_connect();
    assert_int_equal(mysql_query(raw, "LOCK TABLES wsc_offline WRITE"), 0);
    struct order o = {.fetch_at = -1};
    char mid[16];
    for (int i = 0; i < NSTORES; i++) {
        snprintf(mid, sizeof(mid), "w%d", i);
        m = tstore_msg(mid, "x");
        assert_int_equal(wsc_offline_store(off, writer, m, stored, &o), WSC_OK);
        wsc_msg_unref(m);
    }
    assert_int_equal(wsc_offline_fetch(off, reader, 0, 10, fetched, &o), WSC_OK);
    twait_for(NULL, ts->loop, 300); /* the worker waits on the lock */
    assert_int_equal(o.done, 0);
    assert_int_equal(mysql_query(raw, "UNLOCK TABLES"), 0);
    assert_true(tstore_until(ts, all_done, &o, 4000));
    print_message("[  INFO    ] the fetch answered after %d of %d stores\n", o.fetch_at, NSTORES);
    assert_int_equal(o.fetch_status, WSC_OK);
    assert_int_equal(o.fetch_n, 1);
    assert_true(o.fetch_at <= 1); /* at most the store the worker was blocked on */
    assert_int_equal(o.store_ok, NSTORES);
    mysql_close(raw);
}

/* Rows of uid in wsc_offline, read by raw. */
static long long
rows_of(MYSQL *raw, const char *uid)
{
    char sql[512];
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM wsc_offline WHERE user_id = '%s'", uid);
    return tmysql_num(raw, sql);
}

static void
test_mysql_order__job_past_its_timeout_is_not_run(void **state)
{
    tstore *ts = tstore_get(state);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 1000;
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, &cfg, &s), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_store_ping(s, tres_done, &r), WSC_OK); /* connected */
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    const char *first = tstore_id(ts, "blocked"), *second = tstore_id(ts, "stale");
    MYSQL *raw = tmysql_connect();
    assert_int_equal(mysql_query(raw, "LOCK TABLES wsc_offline WRITE"), 0);
    /* The first store holds the worker on the lock; the second waits behind it. */
    tres r1 = {0}, r2 = {0};
    wsc_msg *m = tstore_msg("m1", "x");
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), first, m, tres_done, &r1), WSC_OK);
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), second, m, tres_done, &r2), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r1);
    tstore_wait(ts, &r2);
    assert_int_equal(r1.status, WSC_ERR_TIMEOUT);
    assert_int_equal(r2.status, WSC_ERR_TIMEOUT);
    /* Well past the second's timeout, the worker gets to it: its caller heard TIMEOUT, so it
     * must not be stored now. */
    twait_for(NULL, ts->loop, 500);
    assert_int_equal(mysql_query(raw, "UNLOCK TABLES"), 0);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_store_ping(s, tres_done, &r), WSC_OK); /* after both, in order */
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(rows_of(raw, second), 0);
    wsc_store_close(s);
    mysql_close(raw);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mysql_order__fetch_goes_before_queued_stores),
        cmocka_unit_test(test_mysql_order__job_past_its_timeout_is_not_run),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("repository.mysql_order", tests, tstore_setup, tstore_teardown),
        sizeof(tests) / sizeof(tests[0]));
}
