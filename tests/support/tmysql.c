/* SPDX-License-Identifier: MIT */
#include "tmysql.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

MYSQL *
tmysql_connect(void)
{
    char user[64], pass[64], host[64], db[64];
    unsigned port = 0;
    const char *url = getenv("WSC_TEST_MYSQL_URL");
    assert_non_null(url);
    assert_int_equal(
        sscanf(url, "mysql://%63[^:]:%63[^@]@%63[^:]:%u/%63s", user, pass, host, &port, db), 5);
    MYSQL *m = mysql_init(NULL);
    assert_non_null(m);
    assert_non_null(mysql_real_connect(m, host, user, pass, db, port, NULL, 0));
    return m;
}

void
tmysql_exec(MYSQL *m, const char *sql)
{
    if (mysql_query(m, sql) != 0)
        fail_msg("%s: %s", sql, mysql_error(m));
    MYSQL_RES *res = mysql_store_result(m);
    if (res != NULL)
        mysql_free_result(res);
}

long long
tmysql_num(MYSQL *m, const char *sql)
{
    if (mysql_query(m, sql) != 0)
        fail_msg("%s: %s", sql, mysql_error(m));
    MYSQL_RES *res = mysql_store_result(m);
    assert_non_null(res);
    MYSQL_ROW row = mysql_fetch_row(res);
    long long v = row != NULL && row[0] != NULL ? strtoll(row[0], NULL, 10) : -1;
    mysql_free_result(res);
    return v;
}
