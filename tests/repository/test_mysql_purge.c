/* SPDX-License-Identifier: MIT */
/* The MySQL worker's purge (repository.mysql_purge.mysql, label mysql; docs/storage.md,
 * "Statements and schema"): every purge_interval_ms it deletes the expired rows of every table,
 * 1000 per table per turn, and goes again at once (not an interval later) while a turn found
 * 1000; the offline tally's rows whose count is back to 0 go too ("Offline bounds"), live rows
 * and their tally stay.  A purge cut off by a lost connection leaves the store working, and the
 * rows go on a later turn.  Rows are written and counted by a second connection
 * (libmysqlclient). */
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

#define NEXPIRED 1500 /* per table: two turns for each table, five for the tally */
#define NLIVE    10

static long long
wall_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static long long
mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Appends one row's values for table (0: offline, 1: records, 2: online, 3: connection
 * records) to sql: ids p<i>, expiring at expires. */
static size_t
row_values(char *sql, size_t cap, int table, const char *p, int i, long long expires)
{
    switch (table) {
    case 0: /* a user and a sender of its own: three tally rows per message */
        return (size_t)snprintf(sql, cap, "('%su%d','m','{}',0,%lld,'%ss%d',2)", p, i, expires, p,
                                i);
    case 1:
        return (size_t)snprintf(sql, cap, "('%sm%d','r',NULL,1,0,0,NULL,0,0,0,0,%lld)", p, i,
                                expires);
    case 2:
        return (size_t)snprintf(sql, cap, "('%su%d','c','n',%lld)", p, i, expires);
    default:
        return (size_t)snprintf(sql, cap, "('%sn',%d,NULL,NULL,NULL,0,0,0,NULL,1,0,0,0,0,0,%lld)",
                                p, i, expires);
    }
}

/* Inserts rows first..first+n-1 of every table, expiring at expires. */
static void
insert_rows(MYSQL *m, const char *p, int first, int n, long long expires)
{
    static const char *const heads[] = {
        "INSERT INTO wsc_offline (user_id, message_id, body, created_ms, expires_ms, sender, "
        "body_bytes) VALUES ",
        "INSERT INTO wsc_msg_record (message_id, receiver, sender, state, retry_count, "
        "last_error, error_text, created_ms, updated_ms, sent_ms, acked_ms, expires_ms) VALUES ",
        "INSERT INTO wsc_online (user_id, client_id, node_id, expires_ms) VALUES ",
        "INSERT INTO wsc_conn_record (node_id, conn_id, user_id, client_id, remote_ip, "
        "connected_ms, disconnected_ms, close_code, close_reason, active, msgs_in, msgs_out, "
        "bytes_in, bytes_out, errors, expires_ms) VALUES ",
    };
    size_t cap = (size_t)n * 128 + 512;
    char *sql = malloc(cap);
    assert_non_null(sql);
    for (int t = 0; t < 4; t++) {
        size_t len = (size_t)snprintf(sql, cap, "%s", heads[t]);
        for (int i = first; i < first + n; i++) {
            if (i > first)
                sql[len++] = ',';
            len += row_values(sql + len, cap - len, t, p, i, expires);
            assert_true(len < cap);
        }
        tmysql_exec(m, sql);
    }
    free(sql);
}

/* Rows of prefix p: [0..3] in the four tables, [4] tally rows, [5] the tally's count sum. */
static void
count_rows(MYSQL *m, const char *p, long long out[6])
{
    static const char *const what[][2] = {
        {"COUNT(*) FROM wsc_offline", "user_id"},
        {"COUNT(*) FROM wsc_msg_record", "message_id"},
        {"COUNT(*) FROM wsc_online", "user_id"},
        {"COUNT(*) FROM wsc_conn_record", "node_id"},
        {"COUNT(*) FROM wsc_offline_tally", "kind IN (0, 1, 2) AND k1"},
        {"COALESCE(SUM(n), 0) FROM wsc_offline_tally", "kind IN (0, 1, 2) AND k1"},
    };
    char sql[256];
    for (int i = 0; i < 6; i++) {
        snprintf(sql, sizeof(sql), "SELECT %s WHERE %s LIKE '%s%%'", what[i][0], what[i][1], p);
        out[i] = tmysql_num(m, sql);
    }
}

struct watch {
    MYSQL *m;
    const char *p;
    long long want[6]; /* -1: any */
    long long rows[6];
    long long next_ms; /* the next look (every 20 ms: the database has the purge to run) */
    bool below;        /* want[0] is a bound: fewer offline rows than it, the rest ignored */
};

static bool
rows_are(void *arg)
{
    struct watch *w = arg;
    if (mono_ms() < w->next_ms)
        return false;
    w->next_ms = mono_ms() + 20;
    count_rows(w->m, w->p, w->rows);
    if (w->below)
        return w->rows[0] < w->want[0];
    for (int i = 0; i < 6; i++)
        if (w->want[i] >= 0 && w->rows[i] != w->want[i])
            return false;
    return true;
}

static wsc_store *
open_store(tstore *ts, uint32_t purge_interval_ms)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.purge_interval_ms = purge_interval_ms;
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(ts->loop, ts->url, &cfg, &s), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_store_ping(s, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    return s;
}

static void
test_mysql_purge__in_batches_until_none_are_left(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect();
    char p[64];
    snprintf(p, sizeof(p), "pg%s-", ts->run);
    insert_rows(m, p, 0, NEXPIRED, 1);
    insert_rows(m, p, NEXPIRED, NLIVE, wall_ms() + 3600 * 1000);
    struct watch w = {.m = m, .p = p};
    count_rows(m, p, w.rows);
    assert_int_equal(w.rows[0], NEXPIRED + NLIVE);
    assert_int_equal(w.rows[4], 3 * (NEXPIRED + NLIVE)); /* the triggers counted them */
    /* The first turn comes an interval after connecting; the others must not wait for the
     * next interval: all is gone well within it. */
    const uint32_t interval = 4000;
    wsc_store *s = open_store(ts, interval);
    w.below = true;
    w.want[0] = NEXPIRED + NLIVE;
    assert_true(tstore_until(ts, rows_are, &w, (int)interval + 4000));
    long long first = mono_ms();
    w.below = false;
    for (int i = 0; i < 4; i++)
        w.want[i] = NLIVE;
    w.want[4] = 3 * NLIVE;
    w.want[5] = 3 * NLIVE;
    bool done = tstore_until(ts, rows_are, &w, (int)interval - 1000);
    print_message("[  INFO    ] left %lld %lld %lld %lld rows, %lld tally rows, %lld ms after "
                  "the first turn\n",
                  w.rows[0], w.rows[1], w.rows[2], w.rows[3], w.rows[4], mono_ms() - first);
    assert_true(done);
    /* The live rows are still read through the store. */
    char uid[96];
    snprintf(uid, sizeof(uid), "%su%d", p, NEXPIRED);
    tres r = {0};
    assert_int_equal(wsc_offline_count(wsc_store_offline(s), uid, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 1);
    wsc_store_close(s);
    mysql_close(m);
}

/* The id of the session running a statement that starts with sql_head, or -1. */
static long long
session_running(MYSQL *m, const char *sql_head)
{
    char sql[512];
    snprintf(sql, sizeof(sql),
             "SELECT COALESCE(MAX(ID), -1) FROM information_schema.PROCESSLIST WHERE ID <> "
             "CONNECTION_ID() AND INFO LIKE '%s%%'",
             sql_head);
    return tmysql_num(m, sql);
}

struct running {
    MYSQL *m;
    const char *head;
    long long id;
};

static bool
is_running(void *arg)
{
    struct running *r = arg;
    r->id = session_running(r->m, r->head);
    return r->id >= 0;
}

static void
test_mysql_purge__cut_off_by_a_lost_connection_then_done(void **state)
{
    tstore *ts = tstore_get(state);
    MYSQL *m = tmysql_connect(), *locker = tmysql_connect();
    char p[64];
    snprintf(p, sizeof(p), "pk%s-", ts->run);
    insert_rows(m, p, 0, 5, 1);
    /* Connected first (connect creates the tables: the lock would hold it too), then the
     * purge's DELETE waits on the lock, and its connection is killed there. */
    wsc_store *s = open_store(ts, 1000);
    tmysql_exec(locker, "LOCK TABLES wsc_offline WRITE");
    struct running run = {.m = m, .head = "DELETE FROM wsc_offline WHERE expires_ms"};
    assert_true(tstore_until(ts, is_running, &run, 5000));
    char sql[64];
    snprintf(sql, sizeof(sql), "KILL CONNECTION %lld", run.id);
    tmysql_exec(m, sql);
    tmysql_exec(locker, "UNLOCK TABLES");
    struct watch w = {.m = m, .p = p, .want = {0, 0, 0, 0, 0, 0}};
    assert_true(tstore_until(ts, rows_are, &w, 8000));
    tres r = {0};
    assert_int_equal(wsc_store_ping(s, tres_done, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    wsc_store_close(s);
    mysql_close(locker);
    mysql_close(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mysql_purge__in_batches_until_none_are_left),
        cmocka_unit_test(test_mysql_purge__cut_off_by_a_lost_connection_then_done),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("repository.mysql_purge", tests, tstore_setup, tstore_teardown),
        sizeof(tests) / sizeof(tests[0]));
}
