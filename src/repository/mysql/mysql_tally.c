/* SPDX-License-Identifier: MIT */
/* The offline tally: per user, per (user, sender) and per sender, how many rows wsc_offline
 * holds and their bytes, kept by triggers on wsc_offline (every insert and delete, whoever
 * runs it: a store, a remove, a clear, the purge, another node).  The tally counts expired
 * rows until they are purged, so it never counts fewer than the live rows: a store whose
 * tally is under every bound is under it for the live rows too, and is inserted by one
 * statement that reads three tally rows (MY_OFF_INSERT_TALLY*) instead of counting the
 * user's and the sender's rows.  A store the tally refuses (near a bound, or a duplicate)
 * takes the exact path (mysql_offline.c).
 *
 * The triggers and the tally are set up on connect, under LOCK TABLES (no other session
 * writes wsc_offline between the triggers' creation and the tally's first count, so it
 * starts exact).  They need the TRIGGER privilege (and, with binary logging, SUPER or
 * log_bin_trust_function_creators); without it the connection runs on the exact path only
 * (docs/storage.md, "Offline bounds"). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repository/mysql/mysql_internal.h"

#define TRG "wsc_offline_tally_"

/* clang-format off */
static const char *const drops[] = {
    "DROP TRIGGER IF EXISTS " TRG "ins_user",
    "DROP TRIGGER IF EXISTS " TRG "ins_pair",
    "DROP TRIGGER IF EXISTS " TRG "ins_sender",
    "DROP TRIGGER IF EXISTS " TRG "del_user",
    "DROP TRIGGER IF EXISTS " TRG "del_pair",
    "DROP TRIGGER IF EXISTS " TRG "del_sender",
};

#define ADD(kind, k1, k2)                                                                          \
    "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT " kind ", " k1 ", " k2         \
    ", 1, NEW.body_bytes FROM DUAL WHERE " k1 " IS NOT NULL AND " k2 " IS NOT NULL "             \
    "ON DUPLICATE KEY UPDATE n = n + 1, bytes = bytes + NEW.body_bytes"
#define SUB(kind, k1, k2)                                                                          \
    "UPDATE wsc_offline_tally SET n = n - 1, bytes = bytes - OLD.body_bytes "                    \
    "WHERE kind = " kind " AND k1 = " k1 " AND k2 = " k2

static const char *const creates[] = {
    "CREATE TRIGGER " TRG "ins_user AFTER INSERT ON wsc_offline FOR EACH ROW "
        ADD("0", "NEW.user_id", "''"),
    "CREATE TRIGGER " TRG "ins_pair AFTER INSERT ON wsc_offline FOR EACH ROW "
        ADD("1", "NEW.user_id", "NEW.sender"),
    "CREATE TRIGGER " TRG "ins_sender AFTER INSERT ON wsc_offline FOR EACH ROW "
        ADD("2", "NEW.sender", "''"),
    "CREATE TRIGGER " TRG "del_user AFTER DELETE ON wsc_offline FOR EACH ROW "
        SUB("0", "OLD.user_id", "''"),
    "CREATE TRIGGER " TRG "del_pair AFTER DELETE ON wsc_offline FOR EACH ROW "
        SUB("1", "OLD.user_id", "OLD.sender"),
    "CREATE TRIGGER " TRG "del_sender AFTER DELETE ON wsc_offline FOR EACH ROW "
        SUB("2", "OLD.sender", "''"),
    /* The rows already there (a table written before the tally, or by a connection that
     * could not set it up). */
    "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT 0, user_id, '', COUNT(*), "
        "SUM(body_bytes) FROM wsc_offline GROUP BY user_id",
    "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT 1, user_id, sender, "
        "COUNT(*), SUM(body_bytes) FROM wsc_offline WHERE sender IS NOT NULL "
        "GROUP BY user_id, sender",
    "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT 2, sender, '', COUNT(*), "
        "SUM(body_bytes) FROM wsc_offline WHERE sender IS NOT NULL GROUP BY sender",
};
/* clang-format on */

#define NTRIGGERS (sizeof(drops) / sizeof(drops[0]))

static const char count_sql[] =
    "SELECT COUNT(*) FROM information_schema.TRIGGERS WHERE TRIGGER_SCHEMA = DATABASE() "
    "AND EVENT_OBJECT_TABLE = 'wsc_offline' AND TRIGGER_NAME LIKE 'wsc\\_offline\\_tally\\_%'";

/* One statement on the text protocol (LOCK TABLES and trigger DDL are not preparable
 * everywhere); its result, if any, is read and dropped. */
static bool
text(MYSQL *m, const char *sql, struct my_job *job)
{
    if (mysql_real_query(m, sql, (unsigned long)strlen(sql)) != 0) {
        snprintf(job->errtext, sizeof(job->errtext), "mysql: tally: %u %s", mysql_errno(m),
                 mysql_error(m));
        return false;
    }
    MYSQL_RES *res = mysql_store_result(m);
    if (res != NULL)
        mysql_free_result(res);
    return true;
}

/* The number of tally triggers, or -1. */
static long
triggers(MYSQL *m, struct my_job *job)
{
    if (mysql_real_query(m, count_sql, (unsigned long)strlen(count_sql)) != 0) {
        snprintf(job->errtext, sizeof(job->errtext), "mysql: tally: %u %s", mysql_errno(m),
                 mysql_error(m));
        return -1;
    }
    MYSQL_RES *res = mysql_store_result(m);
    MYSQL_ROW row = res != NULL ? mysql_fetch_row(res) : NULL;
    long n = row != NULL && row[0] != NULL ? strtol(row[0], NULL, 10) : -1;
    if (res != NULL)
        mysql_free_result(res);
    return n;
}

/* Under the lock: drops whatever is there, then creates the triggers and counts the rows.
 * false (with every trigger dropped again) when that fails. */
static bool
build(MYSQL *m, struct my_job *job)
{
    bool ok = true;
    for (size_t i = 0; ok && i < NTRIGGERS; i++)
        ok = text(m, drops[i], job);
    ok = ok && text(m, "DELETE FROM wsc_offline_tally", job);
    for (size_t i = 0; ok && i < sizeof(creates) / sizeof(creates[0]); i++)
        ok = text(m, creates[i], job);
    if (!ok) {
        char why[sizeof(job->errtext)];
        memcpy(why, job->errtext, sizeof(why));
        for (size_t i = 0; i < NTRIGGERS; i++)
            (void)text(m, drops[i], job);
        memcpy(job->errtext, why, sizeof(why));
    }
    return ok;
}

bool
wsc__my_tally_setup(MYSQL *m, struct my_job *job)
{
    if (triggers(m, job) == (long)NTRIGGERS)
        return true;
    if (!text(m, "LOCK TABLES wsc_offline WRITE, wsc_offline_tally WRITE", job))
        return false;
    /* Another node may have built it while this one waited for the lock. */
    long n = triggers(m, job);
    bool ok = n == (long)NTRIGGERS || (n >= 0 && build(m, job));
    (void)text(m, "UNLOCK TABLES", job);
    return ok;
}
