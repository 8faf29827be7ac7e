/* SPDX-License-Identifier: MIT */
/* The MySQL offline tally (src/repository/mysql/mysql_tally.c; repository.tally.mysql, label
 * mysql): the triggers keep per-user, per-(user, sender) and per-sender counts and bytes equal
 * to the rows through stores, removes, clears and the purge; a tally that is missing or
 * broken (a table written before it, a trigger dropped) is rebuilt on connect and counts the
 * rows already there; a store reads the tally instead of counting the sender's rows (the
 * server's Handler_read_next), and the bounds stay exact at the edge; a connection that
 * cannot set the tally up (its lock times out) answers the same on the exact path.  A second
 * connection (libmysqlclient) reads the tables. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tmysql.h"
#include "tstore.h"

/* Tally rows that differ from the rows of wsc_offline whose user or sender starts with
 * prefix (the test's own ids), both ways; 0 when they agree. */
static long long
mismatches(MYSQL *m, const char *prefix)
{
    char sql[2048];
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM ("
             " SELECT 0 kind, user_id k1, '' k2, COUNT(*) n, SUM(body_bytes) b FROM wsc_offline"
             "  WHERE user_id LIKE '%s%%' GROUP BY user_id"
             " UNION ALL SELECT 1, user_id, sender, COUNT(*), SUM(body_bytes) FROM wsc_offline"
             "  WHERE user_id LIKE '%s%%' AND sender IS NOT NULL GROUP BY user_id, sender"
             " UNION ALL SELECT 2, sender, '', COUNT(*), SUM(body_bytes) FROM wsc_offline"
             "  WHERE sender LIKE '%s%%' GROUP BY sender) e"
             " LEFT JOIN wsc_offline_tally t ON t.kind = e.kind AND t.k1 = e.k1 AND t.k2 = e.k2"
             " WHERE t.n IS NULL OR t.n <> e.n OR t.bytes <> e.b",
             prefix, prefix, prefix);
    long long missing = tmysql_num(m, sql);
    snprintf(sql, sizeof(sql),
             "SELECT COUNT(*) FROM wsc_offline_tally t WHERE t.n <> 0 AND ("
             " (t.kind = 0 AND t.k1 LIKE '%s%%' AND t.n <> (SELECT COUNT(*) FROM wsc_offline o"
             "   WHERE o.user_id = t.k1))"
             " OR (t.kind = 2 AND t.k1 LIKE '%s%%' AND t.n <> (SELECT COUNT(*) FROM wsc_offline o"
             "   WHERE o.sender = t.k1)))",
             prefix, prefix);
    return missing + tmysql_num(m, sql);
}

static void
store_from(tstore *ts, wsc_store *s, const char *uid, const char *mid, const char *sender,
           wsc_err want)
{
    wsc_msg *m = tstore_msg(mid, "tally");
    if (sender != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, sender), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), uid, m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, want);
}

static void
done_ok(tstore *ts, tres *r, wsc_err sent)
{
    assert_int_equal(sent, WSC_OK);
    tstore_wait(ts, r);
    assert_int_equal(r->status, WSC_OK);
}

/* A store of its own on ts's URL (cfg may be NULL), connected. */
static wsc_store *
open_connected(tstore *ts, const wsc_store_config *cfg)
{
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, cfg, &s), WSC_OK);
    tres r = {0};
    done_ok(ts, &r, wsc_store_ping(s, tres_done, &r));
    return s;
}

static void
test_tally__follows_every_write(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect();
    char prefix[64], a[96], b[96], s1[96], s2[96];
    snprintf(prefix, sizeof(prefix), "tl%s-", ts->run);
    snprintf(a, sizeof(a), "%sa", prefix);
    snprintf(b, sizeof(b), "%sb", prefix);
    snprintf(s1, sizeof(s1), "%ss1", prefix);
    snprintf(s2, sizeof(s2), "%ss2", prefix);
    store_from(ts, ts->store, a, "m1", s1, WSC_OK);
    store_from(ts, ts->store, a, "m2", s1, WSC_OK);
    store_from(ts, ts->store, a, "m3", s2, WSC_OK);
    store_from(ts, ts->store, a, "m4", NULL, WSC_OK);
    store_from(ts, ts->store, b, "m1", s1, WSC_OK);
    store_from(ts, ts->store, b, "m2", s2, WSC_OK);
    store_from(ts, ts->store, a, "m1", s1, WSC_OK); /* a duplicate: counted once */
    assert_int_equal(mismatches(m, prefix), 0);
    char key[WSC_MSG_KEY_MAX];
    assert_int_equal(wsc_msg_key(s1, "m2", key, sizeof(key)), WSC_OK);
    tres r = {0};
    done_ok(ts, &r, wsc_offline_remove(wsc_store_offline(ts->store), a, key, tres_done, &r));
    memset(&r, 0, sizeof(r));
    done_ok(ts, &r, wsc_offline_clear(wsc_store_offline(ts->store), b, tres_done, &r));
    assert_int_equal(mismatches(m, prefix), 0);
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT n FROM wsc_offline_tally WHERE kind = 2 AND k1 = '%s' AND k2 = ''", s1);
    assert_int_equal(tmysql_num(m, sql), 1); /* a's m1 */
    /* A delete by anyone (the purge's of expired rows, here one by hand) leaves it too. */
    snprintf(sql, sizeof(sql), "DELETE FROM wsc_offline WHERE user_id = '%s'", a);
    tmysql_exec(m, sql);
    assert_int_equal(mismatches(m, prefix), 0);
    snprintf(sql, sizeof(sql),
             "SELECT COALESCE(SUM(n), 0) FROM wsc_offline_tally WHERE k1 LIKE '%s%%'", prefix);
    assert_int_equal(tmysql_num(m, sql), 0);
    mysql_close(m);
}

/* Rows written while the tally was not kept (a table from before it, a trigger dropped by
 * hand) are counted when a connection finds the triggers incomplete and rebuilds it. */
static void
test_tally__rebuilt_on_connect(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect();
    char prefix[64], a[96], s1[96], sql[1024];
    snprintf(prefix, sizeof(prefix), "tr%s-", ts->run);
    snprintf(a, sizeof(a), "%sa", prefix);
    snprintf(s1, sizeof(s1), "%ss1", prefix);
    store_from(ts, ts->store, a, "m1", s1, WSC_OK);
    tmysql_exec(m, "DROP TRIGGER IF EXISTS wsc_offline_tally_ins_sender");
    snprintf(sql, sizeof(sql),
             "INSERT INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms, "
             "sender, body_bytes) VALUES ('%s', 'x1', '{}', 0, 9000000000000, '%s', 2), "
             "('%s', 'x2', '{}', 0, 9000000000000, '%s', 2)",
             a, s1, a, s1);
    tmysql_exec(m, sql);
    assert_true(mismatches(m, prefix) > 0); /* the sender's count missed two rows */
    wsc_store *fresh = open_connected(ts, NULL);
    assert_int_equal(tmysql_num(m, "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE "
                                   "TRIGGER_SCHEMA = DATABASE() AND TRIGGER_NAME LIKE "
                                   "'wsc\\_offline\\_tally\\_%'"),
                     6);
    assert_int_equal(mismatches(m, prefix), 0);
    wsc_store_close(fresh);
    mysql_close(m);
}

/* A store reads three tally rows, not the sender's rows: with 3,000 of them in place, 20
 * stores read far fewer index entries than one count would (Handler_read_next, the server's
 * rows-read-in-index-order counter; the tests of this server run one at a time).  The bound
 * is still exact: 3,010 allowed, ten more pass and the next ten are refused. */
static void
test_tally__store_reads_the_tally_not_the_rows(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect();
    char prefix[64], snd[96], uid[96], sql[1024];
    snprintf(prefix, sizeof(prefix), "tp%s-", ts->run);
    snprintf(snd, sizeof(snd), "%ssender", prefix);
    snprintf(uid, sizeof(uid), "%sreader", prefix);
    snprintf(sql, sizeof(sql),
             "INSERT INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms, "
             "sender, body_bytes) SELECT CONCAT('%su', seq %% 100), CONCAT('p', seq), '{}', 0, "
             "9000000000000, '%s', 2 FROM seq_1_to_3000",
             prefix, snd);
    tmysql_exec(m, sql);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_max_msgs_per_sender = 3010;
    wsc_store *s = open_connected(ts, &cfg);
    long long before = tmysql_num(m, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                     "WHERE VARIABLE_NAME = 'HANDLER_READ_NEXT'");
    char mid[32];
    for (int i = 0; i < 10; i++) {
        snprintf(mid, sizeof(mid), "q%d", i);
        store_from(ts, s, uid, mid, snd, WSC_OK);
    }
    long long reads = tmysql_num(m, "SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS "
                                    "WHERE VARIABLE_NAME = 'HANDLER_READ_NEXT'") -
                      before;
    print_message("[  INFO    ] 10 stores read %lld index rows (the sender holds 3,000)\n", reads);
    assert_true(reads < 3000);
    for (int i = 10; i < 20; i++) {
        snprintf(mid, sizeof(mid), "q%d", i);
        store_from(ts, s, uid, mid, snd, WSC_ERR_LIMIT);
    }
    assert_int_equal(mismatches(m, prefix), 0);
    snprintf(sql, sizeof(sql), "DELETE FROM wsc_offline WHERE sender = '%s'", snd);
    tmysql_exec(m, sql);
    wsc_store_close(s);
    mysql_close(m);
}

/* The session (not m's own) running a statement that starts with head: its id, or -1. */
static long long
running(MYSQL *m, const char *head)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT COALESCE(MAX(ID), -1) FROM information_schema.PROCESSLIST WHERE ID <> "
             "CONNECTION_ID() AND INFO LIKE '%s%%'",
             head);
    return tmysql_num(m, sql);
}

struct waits {
    MYSQL *m;
    bool seen; /* the connection was seen waiting for the tally's lock */
};

/* The new connection waited for the tally's lock and gave up. */
static bool
gave_up_on_the_lock(void *arg)
{
    struct waits *w = arg;
    bool now = running(w->m, "LOCK TABLES wsc_offline WRITE") >= 0;
    w->seen = w->seen || now;
    return w->seen && !now;
}

/* A connection that cannot set the tally up (here: another session holds the tally table, so
 * its LOCK TABLES times out) runs on the exact path only: the same answers.  Its triggers stay
 * as they were; the next connection that can rebuilds them. */
static void
test_tally__without_it_the_exact_path_answers_the_same(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect(), *holder = tmysql_connect();
    static const char count_sql[] =
        "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() AND "
        "TRIGGER_NAME LIKE 'wsc\\_offline\\_tally\\_%'";
    tmysql_exec(m, "DROP TRIGGER IF EXISTS wsc_offline_tally_del_sender");
    tmysql_exec(holder, "LOCK TABLES wsc_offline_tally READ");
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 1000; /* the lock wait: 1 s */
    cfg.offline_max_per_user = 2;
    cfg.offline_max_per_sender = 1;
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, &cfg, &s), WSC_OK);
    struct waits w = {.m = m};
    assert_true(tstore_until(ts, gave_up_on_the_lock, &w, 8000));
    tmysql_exec(holder, "UNLOCK TABLES");
    assert_true(tstore_until_ping_ok(ts, s, 5000));
    assert_int_equal(tmysql_num(m, count_sql), 5); /* not rebuilt by this connection */
    char uid[96], snd[96];
    snprintf(uid, sizeof(uid), "tx%s-u", ts->run);
    snprintf(snd, sizeof(snd), "tx%s-s", ts->run);
    store_from(ts, s, uid, "m1", NULL, WSC_OK);
    store_from(ts, s, uid, "m2", snd, WSC_OK);
    store_from(ts, s, uid, "m3", snd, WSC_ERR_LIMIT);  /* the sender's share of the inbox */
    store_from(ts, s, uid, "m4", NULL, WSC_ERR_LIMIT); /* the inbox */
    store_from(ts, s, uid, "m1", NULL, WSC_OK);        /* a duplicate */
    tres r = {0};
    done_ok(ts, &r, wsc_offline_count(wsc_store_offline(s), uid, tres_count, &r));
    assert_int_equal(r.count, 2);
    wsc_store_close(s);
    /* The next connection sets the tally up again. */
    s = open_connected(ts, NULL);
    assert_int_equal(tmysql_num(m, count_sql), 6);
    wsc_store_close(s);
    mysql_close(holder);
    mysql_close(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tally__follows_every_write),
        cmocka_unit_test(test_tally__rebuilt_on_connect),
        cmocka_unit_test(test_tally__store_reads_the_tally_not_the_rows),
        cmocka_unit_test(test_tally__without_it_the_exact_path_answers_the_same),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("repository.tally", tests, tstore_setup, tstore_teardown),
        sizeof(tests) / sizeof(tests[0]));
}
