/* SPDX-License-Identifier: MIT */
/* docs/schema.sql is the exact DDL the MySQL backend runs: its statements (after the leading
 * "--" comment) equal wsc__my_schema, in order, each ended by ";". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repository/mysql/mysql_internal.h"

static char *
slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *buf = calloc(1, 1 << 16);
    size_t n = buf ? fread(buf, 1, (1 << 16) - 1, f) : 0;
    (void)n;
    fclose(f);
    return buf;
}

static void
test_mysql_schema__docs_schema_sql_is_the_ddl_the_library_runs(void **state)
{
    (void)state;
    const char *src = getenv("WSC_TEST_SRC");
    assert_non_null(src);
    char path[1024];
    snprintf(path, sizeof(path), "%s/docs/schema.sql", src);
    char *text = slurp(path);
    assert_non_null(text);
    const char *p = text;
    while (strncmp(p, "--", 2) == 0 || *p == '\n')
        p = *p == '\n' ? p + 1 : strchr(p, '\n') + 1;
    for (size_t i = 0; wsc__my_schema[i] != NULL; i++) {
        size_t n = strlen(wsc__my_schema[i]);
        if (strncmp(p, wsc__my_schema[i], n) != 0 || p[n] != ';')
            fail_msg("docs/schema.sql differs from statement %zu:\n%s", i, wsc__my_schema[i]);
        p += n + 1;
        while (*p == '\n')
            p++;
    }
    assert_string_equal(p, "");
    free(text);
}

static void
test_mysql_schema__every_statement_has_sql(void **state)
{
    (void)state;
    for (size_t i = 0; i < MY_STMT_COUNT; i++)
        assert_non_null(wsc__my_sql[i]);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mysql_schema__docs_schema_sql_is_the_ddl_the_library_runs),
        cmocka_unit_test(test_mysql_schema__every_statement_has_sql),
    };
    return cmocka_run_group_tests_name("unit.repository.mysql_schema", tests, NULL, NULL);
}
