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
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repository/mysql/mysql_internal.h"

#define TRG "wsc_offline_tally_"

/* The six triggers: after an insert each adds the row to one tally row, after a delete each
 * takes it back; a tally row's key is (kind, k1, k2), k2 '' when the kind has one column. */
static const struct trigger {
    const char *name;
    bool insert;
    char kind;
    const char *k1, *k2; /* columns of the row (k2 NULL: '') */
} triggers[] = {
    {"ins_user", true, '0', "user_id", NULL},      {"ins_pair", true, '1', "user_id", "sender"},
    {"ins_sender", true, '2', "sender", NULL},     {"del_user", false, '0', "user_id", NULL},
    {"del_pair", false, '1', "user_id", "sender"}, {"del_sender", false, '2', "sender", NULL},
};

/* The rows already there (a table written before the tally, or while a trigger was missing). */
static const char *const counts[] = {
    "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT 0, user_id, '', COUNT(*), "
    "SUM(body_bytes) FROM wsc_offline GROUP BY user_id",
    "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT 1, user_id, sender, "
    "COUNT(*), SUM(body_bytes) FROM wsc_offline WHERE sender IS NOT NULL "
    "GROUP BY user_id, sender",
    "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT 2, sender, '', COUNT(*), "
    "SUM(body_bytes) FROM wsc_offline WHERE sender IS NOT NULL GROUP BY sender",
};

#define NTRIGGERS (sizeof(triggers) / sizeof(triggers[0]))

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
count_triggers(MYSQL *m, struct my_job *job)
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

/* The SQL that drops trigger t, or (create) creates it, into buf. */
static const char *
trigger_sql(const struct trigger *t, bool create, char *buf, size_t size)
{
    if (!create) {
        snprintf(buf, size, "DROP TRIGGER IF EXISTS " TRG "%s", t->name);
        return buf;
    }
    const char *row = t->insert ? "NEW" : "OLD";
    char k2[32] = "''";
    if (t->k2 != NULL)
        snprintf(k2, sizeof(k2), "%s.%s", row, t->k2);
    int n = snprintf(buf, size, "CREATE TRIGGER " TRG "%s AFTER %s ON wsc_offline FOR EACH ROW ",
                     t->name, t->insert ? "INSERT" : "DELETE");
    if (t->insert)
        snprintf(buf + n, size - (size_t)n,
                 "INSERT INTO wsc_offline_tally (kind, k1, k2, n, bytes) SELECT %c, NEW.%s, %s, 1, "
                 "NEW.body_bytes FROM DUAL WHERE NEW.%s IS NOT NULL AND %s IS NOT NULL "
                 "ON DUPLICATE KEY UPDATE n = n + 1, bytes = bytes + NEW.body_bytes",
                 t->kind, t->k1, k2, t->k1, k2);
    else
        snprintf(buf + n, size - (size_t)n,
                 "UPDATE wsc_offline_tally SET n = n - 1, bytes = bytes - OLD.body_bytes "
                 "WHERE kind = %c AND k1 = OLD.%s AND k2 = %s",
                 t->kind, t->k1, k2);
    return buf;
}

/* Drops every trigger (keeping the first error's text when keep_error). */
static bool
drop_all(MYSQL *m, struct my_job *job, bool keep_error)
{
    char why[sizeof(job->errtext)], sql[600];
    memcpy(why, job->errtext, sizeof(why));
    bool ok = true;
    for (size_t i = 0; i < NTRIGGERS; i++)
        ok = text(m, trigger_sql(&triggers[i], false, sql, sizeof(sql)), job) && ok;
    if (keep_error)
        memcpy(job->errtext, why, sizeof(why));
    return ok;
}

/* Under the lock: drops whatever is there, then creates the triggers and counts the rows.
 * false (with every trigger dropped again) when that fails. */
static bool
build(MYSQL *m, struct my_job *job)
{
    char sql[600];
    bool ok = drop_all(m, job, false) && text(m, "DELETE FROM wsc_offline_tally", job);
    for (size_t i = 0; ok && i < NTRIGGERS; i++)
        ok = text(m, trigger_sql(&triggers[i], true, sql, sizeof(sql)), job);
    for (size_t i = 0; ok && i < sizeof(counts) / sizeof(counts[0]); i++)
        ok = text(m, counts[i], job);
    if (!ok)
        (void)drop_all(m, job, true);
    return ok;
}

bool
wsc__my_tally_setup(MYSQL *m, struct my_job *job)
{
    if (count_triggers(m, job) == (long)NTRIGGERS)
        return true;
    if (!text(m, "LOCK TABLES wsc_offline WRITE, wsc_offline_tally WRITE", job))
        return false;
    /* Another node may have built it while this one waited for the lock. */
    long n = count_triggers(m, job);
    bool ok = n == (long)NTRIGGERS || (n >= 0 && build(m, job));
    (void)text(m, "UNLOCK TABLES", job);
    return ok;
}
