/* SPDX-License-Identifier: MIT */
/* The MySQL offline repository and rows it did not write the way it writes them
 * (repository.mysql_rows.mysql, label mysql), changed by a second connection (libmysqlclient):
 * - a stored body that does not parse: the fetch that reaches it completes WSC_ERR_STORE (no
 *   made-up message), the count still counts it and a remove takes it out;
 * - an expired copy of the message being stored (not purged yet): the store replaces it and
 *   the message is fetchable again;
 * - a tally row that disagrees with the rows (negative, or at the bound): the tally only
 *   speeds the store up, the exact count decides, so a store the rows allow succeeds;
 * - a message larger than the sender byte bound: WSC_ERR_LIMIT, the sender known or not;
 * - a tally that cannot be built (the tally table changed): the connection runs without it,
 *   and one made once the table is fixed builds it again. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmysql.h"
#include "tstore.h"

static wsc_err
store_msg(tstore *ts, const char *uid, const char *mid, const char *sender)
{
    wsc_msg *m = tstore_msg(mid, "rows");
    if (sender != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, sender), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(ts->store), uid, m, tres_done, &r),
                     WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    return r.status;
}

static void
fetch(tstore *ts, const char *uid, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(ts->store), uid, 0, 10, tres_fetch, r),
                     WSC_OK);
    tstore_wait(ts, r);
}

static uint64_t
count(tstore *ts, const char *uid)
{
    tres r = {0};
    assert_int_equal(wsc_offline_count(wsc_store_offline(ts->store), uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    return r.count;
}

static void
test_mysql_rows__body_that_does_not_parse(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "badbody");
    MYSQL *m = tmysql_connect();
    char sql[512];
    snprintf(sql, sizeof(sql),
             "INSERT INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms, "
             "body_bytes) VALUES ('%s', 'k1', 'not json', 0, 9000000000000000, 8)",
             uid);
    tmysql_exec(m, sql);
    tres r;
    fetch(ts, uid, &r);
    assert_int_equal(r.status, WSC_ERR_STORE);
    assert_int_equal(r.n, 0);
    assert_int_equal(count(ts, uid), 1);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_remove(wsc_store_offline(ts->store), uid, "k1", tres_done, &r),
                     WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    /* Gone: the user's next message is fetched. */
    assert_int_equal(store_msg(ts, uid, "m1", NULL), WSC_OK);
    fetch(ts, uid, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "m1");
    mysql_close(m);
}

static void
test_mysql_rows__expired_copy_is_replaced(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "expired");
    assert_int_equal(store_msg(ts, uid, "m1", NULL), WSC_OK);
    /* Stored again while live: nothing changes. */
    assert_int_equal(store_msg(ts, uid, "m1", NULL), WSC_OK);
    assert_int_equal(count(ts, uid), 1);
    MYSQL *m = tmysql_connect();
    char sql[512];
    snprintf(sql, sizeof(sql), "UPDATE wsc_offline SET expires_ms = 1 WHERE user_id = '%s'", uid);
    tmysql_exec(m, sql);
    assert_int_equal(count(ts, uid), 0);
    assert_int_equal(store_msg(ts, uid, "m1", NULL), WSC_OK);
    tres r;
    fetch(ts, uid, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "m1");
    snprintf(sql, sizeof(sql), "SELECT COUNT(*) FROM wsc_offline WHERE user_id = '%s'", uid);
    assert_int_equal(tmysql_num(m, sql), 1);
    mysql_close(m);
}

static void
test_mysql_rows__tally_that_disagrees_does_not_decide(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "tallied");
    const char *snd = tstore_id(ts, "sender");
    assert_int_equal(store_msg(ts, uid, "m1", NULL), WSC_OK);
    assert_int_equal(store_msg(ts, uid, "m2", snd), WSC_OK);
    MYSQL *m = tmysql_connect();
    char sql[512];
    /* The user's row below zero. */
    snprintf(sql, sizeof(sql),
             "UPDATE wsc_offline_tally SET n = -5 WHERE kind = 0 AND k1 = '%s' AND k2 = ''", uid);
    tmysql_exec(m, sql);
    assert_int_equal(store_msg(ts, uid, "m3", NULL), WSC_OK);
    /* The user's row at its bound (offline_max_per_user, 1000 by default). */
    snprintf(sql, sizeof(sql),
             "UPDATE wsc_offline_tally SET n = 5000 WHERE kind = 0 AND k1 = '%s' AND k2 = ''", uid);
    tmysql_exec(m, sql);
    assert_int_equal(store_msg(ts, uid, "m4", NULL), WSC_OK);
    /* The sender's bytes at their bound (offline_max_bytes_per_sender, 64 MiB). */
    snprintf(sql, sizeof(sql),
             "UPDATE wsc_offline_tally SET bytes = 1099511627776 WHERE kind = 2 AND k1 = '%s'",
             snd);
    tmysql_exec(m, sql);
    assert_int_equal(store_msg(ts, uid, "m5", snd), WSC_OK);
    /* The user's bytes below zero. */
    snprintf(sql, sizeof(sql),
             "UPDATE wsc_offline_tally SET bytes = -1 WHERE kind = 0 AND k1 = '%s' AND k2 = ''",
             uid);
    tmysql_exec(m, sql);
    assert_int_equal(store_msg(ts, uid, "m6", NULL), WSC_OK);
    assert_int_equal(count(ts, uid), 6);
    tres r;
    fetch(ts, uid, &r);
    assert_int_equal(r.n, 6);
    assert_string_equal(r.mids[4], "m5");
    mysql_close(m);
}

/* A store whose sender byte bound is smaller than one message: refused WSC_ERR_LIMIT, on the
 * tally's path as on the exact one, whether the sender has a tally row yet or not. */
static void
test_mysql_rows__message_over_the_sender_byte_bound(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "bigmsg");
    const char *known = tstore_id(ts, "known");
    const char *fresh = tstore_id(ts, "fresh");
    assert_int_equal(store_msg(ts, uid, "m1", known), WSC_OK); /* known has a tally row */
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_max_bytes_per_sender = 10;
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, &cfg, &s), WSC_OK);
    const char *senders[] = {known, fresh};
    for (size_t i = 0; i < 2; i++) {
        wsc_msg *m = tstore_msg("m2", "more than ten bytes of content");
        assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, senders[i]), WSC_OK);
        tres r = {0};
        assert_int_equal(wsc_offline_store(wsc_store_offline(s), uid, m, tres_done, &r), WSC_OK);
        wsc_msg_unref(m);
        tstore_wait(ts, &r);
        assert_int_equal(r.status, WSC_ERR_LIMIT);
    }
    wsc_store_close(s);
    assert_int_equal(count(ts, uid), 1);
}

static int
tally_table_back(void **state)
{
    (void)state;
    if (getenv("WSC_TEST_MYSQL_URL") != NULL) {
        MYSQL *m = tmysql_connect();
        tmysql_exec(m, "ALTER TABLE wsc_offline_tally DROP COLUMN IF EXISTS wsc_test_x");
        mysql_close(m);
    }
    return 0;
}

static long long
triggers(MYSQL *m)
{
    return tmysql_num(m, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE "
                         "TRIGGER_SCHEMA = DATABASE() AND EVENT_OBJECT_TABLE = 'wsc_offline'");
}

/* A tally that cannot be built (a trigger missing, and the tally table changed so that
 * counting the rows fails): the connection drops every trigger, stores on the exact path, and
 * a connection made once the table is fixed builds the tally again, counting every row. */
static void
test_mysql_rows__tally_that_cannot_be_built(void **state)
{
    tstore *ts = tstore_get(state);
    const char *uid = tstore_id(ts, "untallied");
    assert_int_equal(store_msg(ts, uid, "m1", NULL), WSC_OK); /* wsc_offline has a row */
    MYSQL *m = tmysql_connect();
    tmysql_exec(m, "DROP TRIGGER IF EXISTS wsc_offline_tally_ins_user");
    tmysql_exec(m, "ALTER TABLE wsc_offline_tally ADD COLUMN wsc_test_x INT NOT NULL");
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, NULL, &s), WSC_OK);
    wsc_msg *msg = tstore_msg("m2", "rows");
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), uid, msg, tres_done, &r), WSC_OK);
    wsc_msg_unref(msg);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(triggers(m), 0);
    wsc_store_close(s);
    /* Fixed: the next connection builds it. */
    tmysql_exec(m, "ALTER TABLE wsc_offline_tally DROP COLUMN wsc_test_x");
    s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, NULL, &s), WSC_OK);
    msg = tstore_msg("m3", "rows");
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), uid, msg, tres_done, &r), WSC_OK);
    wsc_msg_unref(msg);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    wsc_store_close(s);
    assert_int_equal(triggers(m), 6);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT n FROM wsc_offline_tally WHERE kind = 0 AND k1 = '%s' AND k2 = ''", uid);
    assert_int_equal(tmysql_num(m, sql), 3);
    mysql_close(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mysql_rows__body_that_does_not_parse),
        cmocka_unit_test(test_mysql_rows__expired_copy_is_replaced),
        cmocka_unit_test(test_mysql_rows__tally_that_disagrees_does_not_decide),
        cmocka_unit_test(test_mysql_rows__message_over_the_sender_byte_bound),
        cmocka_unit_test_teardown(test_mysql_rows__tally_that_cannot_be_built, tally_table_back),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.mysql_rows.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
