/* SPDX-License-Identifier: MIT */
/* A plain libmysqlclient connection to the test database, for tests that read or lock the
 * MySQL backend's tables from outside the store (WSC_TEST_MYSQL_URL:
 * mysql://user:password@host:port/db). */
#ifndef WSC_TEST_TMYSQL_H
#define WSC_TEST_TMYSQL_H

#include <mysql.h>

/** Connects (the test fails when it cannot). */
MYSQL *tmysql_connect(void);
/** Runs sql and drops its result (the test fails on an error). */
void tmysql_exec(MYSQL *m, const char *sql);
/** The first column of the first row as a number; -1 for no row or NULL. */
long long tmysql_num(MYSQL *m, const char *sql);

#endif
