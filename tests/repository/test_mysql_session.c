/* SPDX-License-Identifier: MIT */
/* The MySQL worker's connection (repository.mysql_session.mysql, label mysql; docs/storage.md,
 * "Reconnect" and "Statements and schema"), with a second connection (libmysqlclient) doing to
 * the database what a real one sometimes does:
 * - the connection killed while a store waits on a tally row lock: that op completes
 *   WSC_ERR_STORE (it is not retried), the next one runs on a new connection;
 * - a statement that fails (its table dropped under the store): that op completes WSC_ERR_STORE
 *   and wsc_store_last_error quotes the server; the connection stays for the others;
 * - a database whose wsc_schema_version is newer than the library's: every op fails with
 *   WSC_ERR_STORE saying so, until the version is back (the store then connects by itself);
 * - a wsc_offline made by the first release (no sender, no body_bytes, no tally triggers): on
 *   connect the worker adds the columns, sets body_bytes of the rows already there, and the
 *   tally counts them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "tmysql.h"
#include "tstore.h"
#include "twait.h"

static wsc_store *
open_store(tstore *ts, const wsc_store_config *cfg)
{
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, cfg, &s), WSC_OK);
    return s;
}

static wsc_err
ping(tstore *ts, wsc_store *s)
{
    tres r = {0};
    assert_int_equal(wsc_store_ping(s, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    return r.status;
}

static wsc_err
store_msg(tstore *ts, wsc_store *s, const char *uid, const char *mid, const char *sender)
{
    wsc_msg *m = tstore_msg(mid, "session");
    if (sender != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, sender), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    return r.status;
}

/* ---- a connection killed mid-job ---- */

struct running {
    MYSQL *m;
    const char *head;
    long long id;
};

/* The session (not m's own) running a statement that starts with r->head. */
static bool
is_running(void *arg)
{
    struct running *r = arg;
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT COALESCE(MAX(ID), -1) FROM information_schema.PROCESSLIST WHERE ID <> "
             "CONNECTION_ID() AND INFO LIKE '%s%%'",
             r->head);
    r->id = tmysql_num(r->m, sql);
    return r->id >= 0;
}

static void
test_mysql_session__killed_mid_job_fails_that_op_only(void **state)
{
    tstore *ts = tstore_get(state);
    wsc_store *s = open_store(ts, NULL);
    const char *uid = tstore_id(ts, "killed");
    assert_int_equal(store_msg(ts, s, uid, "m1", NULL), WSC_OK);
    /* Another session holds the user's tally row: the next store waits on it (FOR UPDATE). */
    MYSQL *m = tmysql_connect(), *holder = tmysql_connect();
    char sql[512];
    tmysql_exec(holder, "START TRANSACTION");
    snprintf(sql, sizeof(sql),
             "SELECT n FROM wsc_offline_tally WHERE kind = 0 AND k1 = '%s' AND k2 = '' FOR UPDATE",
             uid);
    assert_int_equal(tmysql_num(holder, sql), 1);
    wsc_msg *msg = tstore_msg("m2", "session");
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), uid, msg, tres_done, &r), WSC_OK);
    wsc_msg_unref(msg);
    struct running run = {.m = m, .head = "SELECT kind, n, bytes FROM wsc_offline_tally"};
    assert_true(tstore_until(ts, is_running, &run, 4000));
    snprintf(sql, sizeof(sql), "KILL CONNECTION %lld", run.id);
    tmysql_exec(m, sql);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_STORE);
    print_message("[  INFO    ] %s\n", wsc_store_last_error(s));
    tmysql_exec(holder, "ROLLBACK");
    /* The next op runs on a new connection. */
    assert_int_equal(store_msg(ts, s, uid, "m3", NULL), WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(s), uid, 0, 10, tres_fetch, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_true(r.n >= 2);
    assert_string_equal(r.mids[0], "m1");
    assert_string_equal(r.mids[r.n - 1], "m3");
    mysql_close(holder);
    mysql_close(m);
    wsc_store_close(s);
}

/* ---- a statement that fails ---- */

static void
test_mysql_session__failed_statement_fails_its_op_only(void **state)
{
    tstore *ts = tstore_get(state);
    wsc_store *s = open_store(ts, NULL);
    assert_int_equal(ping(ts, s), WSC_OK);
    const char *uid = tstore_id(ts, "failing");
    MYSQL *m = tmysql_connect();
    tmysql_exec(m, "DROP TABLE wsc_online");
    tres r = {0};
    assert_int_equal(wsc_online_set(wsc_store_online(s), uid, "c1", "n1", 60000, tres_done, &r),
                     WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_ERR_STORE);
    const char *why = wsc_store_last_error(s);
    print_message("[  INFO    ] %s\n", why);
    assert_non_null(strstr(why, "1146")); /* ER_NO_SUCH_TABLE */
    assert_non_null(strstr(why, "wsc_online"));
    /* The connection is not dropped for it: the other ops go on. */
    assert_int_equal(store_msg(ts, s, uid, "m1", NULL), WSC_OK);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_count(wsc_store_offline(s), uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.count, 1);
    wsc_store_close(s);
    /* A connection made afterwards creates the table again. */
    s = open_store(ts, NULL);
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_online_set(wsc_store_online(s), uid, "c1", "n1", 60000, tres_done, &r),
                     WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    wsc_store_close(s);
    mysql_close(m);
}

/* ---- a newer schema ---- */

static int
schema_version_back(void **state)
{
    (void)state;
    if (getenv("WSC_TEST_MYSQL_URL") != NULL) {
        MYSQL *m = tmysql_connect();
        tmysql_exec(m, "UPDATE wsc_schema_version SET version = 1 WHERE id = 1");
        mysql_close(m);
    }
    return 0;
}

static void
test_mysql_session__newer_schema_is_refused(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect();
    tmysql_exec(m, "UPDATE wsc_schema_version SET version = 2 WHERE id = 1");
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 500;
    cfg.reconnect_max_ms = 200;
    wsc_store *s = open_store(ts, &cfg);
    assert_int_equal(ping(ts, s), WSC_ERR_STORE);
    const char *why = wsc_store_last_error(s);
    print_message("[  INFO    ] %s\n", why);
    assert_non_null(strstr(why, "schema version 2 is newer than this library's (1)"));
    assert_int_equal(ping(ts, s), WSC_ERR_STORE); /* it stays refused */
    /* Back to this library's version: the store connects on its own. */
    tmysql_exec(m, "UPDATE wsc_schema_version SET version = 1 WHERE id = 1");
    assert_true(tstore_until_ping_ok(ts, s, 5000));
    wsc_store_close(s);
    mysql_close(m);
}

/* ---- a table of the first release ---- */

/* Column col (n or bytes) of the tally row (kind, k1, ''); -1 when there is none. */
static long long
tally(MYSQL *m, int kind, const char *k1, const char *col)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT %s FROM wsc_offline_tally WHERE kind = %d AND k1 = '%s' AND k2 = ''", col,
             kind, k1);
    return tmysql_num(m, sql);
}

static void
test_mysql_session__first_release_table_is_migrated(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect();
    static const char *const trg[] = {"ins_user", "ins_pair", "ins_sender",
                                      "del_user", "del_pair", "del_sender"};
    char sql[4096];
    for (size_t i = 0; i < sizeof(trg) / sizeof(trg[0]); i++) {
        snprintf(sql, sizeof(sql), "DROP TRIGGER IF EXISTS wsc_offline_tally_%s", trg[i]);
        tmysql_exec(m, sql);
    }
    tmysql_exec(m, "ALTER TABLE wsc_offline DROP KEY ix_offline_user_sender, DROP KEY "
                   "ix_offline_sender, DROP COLUMN sender, DROP COLUMN body_bytes");
    /* A message stored by that release. */
    const char *uid = tstore_id(ts, "old"), *snd = tstore_id(ts, "sender");
    wsc_msg *msg = tstore_msg("old1", "from the first release");
    wsc_buf json = {0};
    assert_int_equal(wsc_msg_to_json(msg, &json), WSC_OK);
    wsc_msg_unref(msg);
    char body[1024];
    assert_true(json.len < sizeof(body) / 2);
    mysql_real_escape_string(m, body, json.data, (unsigned long)json.len);
    struct timespec now;
    clock_gettime(CLOCK_REALTIME, &now);
    long long now_ms = (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000;
    snprintf(sql, sizeof(sql),
             "INSERT INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms) VALUES "
             "('%s', 'old1', '%s', %lld, %lld)",
             uid, body, now_ms, now_ms + 3600 * 1000);
    tmysql_exec(m, sql);
    long long len = (long long)json.len;
    wsc_buf_free(&json);
    /* A new connection brings it up to date. */
    wsc_store *s = open_store(ts, NULL);
    assert_int_equal(ping(ts, s), WSC_OK);
    assert_int_equal(tmysql_num(m, "SELECT COUNT(*) FROM information_schema.COLUMNS WHERE "
                                   "TABLE_SCHEMA = DATABASE() AND TABLE_NAME = 'wsc_offline' "
                                   "AND COLUMN_NAME IN ('sender', 'body_bytes')"),
                     2);
    snprintf(sql, sizeof(sql), "SELECT body_bytes FROM wsc_offline WHERE user_id = '%s'", uid);
    assert_int_equal(tmysql_num(m, sql), len);
    assert_int_equal(tally(m, 0, uid, "n"), 1); /* the rows already there are counted */
    assert_int_equal(tally(m, 0, uid, "bytes"), len);
    /* The old message reads back; a new one with a sender is stored and tallied. */
    tres r = {0};
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(s), uid, 0, 10, tres_fetch, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "old1");
    assert_int_equal(store_msg(ts, s, uid, "new1", snd), WSC_OK);
    assert_int_equal(tally(m, 2, snd, "n"), 1);
    assert_int_equal(tally(m, 0, uid, "n"), 2);
    wsc_store_close(s);
    mysql_close(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mysql_session__killed_mid_job_fails_that_op_only),
        cmocka_unit_test(test_mysql_session__failed_statement_fails_its_op_only),
        cmocka_unit_test_teardown(test_mysql_session__newer_schema_is_refused, schema_version_back),
        cmocka_unit_test(test_mysql_session__first_release_table_is_migrated),
    };
    return tstore_exit(cmocka_run_group_tests_name("repository.mysql_session", tests, tstore_setup,
                                                   tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
