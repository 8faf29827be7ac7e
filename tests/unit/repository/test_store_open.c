/* SPDX-License-Identifier: MIT */
/* Opening a store by URL (docs/storage.md), without any server: every malformed redis://,
 * redis+cluster://, mysql:// and hybrid: URL and every bad argument is refused with
 * WSC_ERR_INVALID and no store; out of memory at any allocation of an open answers
 * WSC_ERR_NOMEM and leaks nothing (the asan preset runs this too); a well-formed URL of a
 * server that is not there opens, and its ops end with WSC_ERR_STORE within the command
 * timeout, wsc_store_last_error() saying why.  127.0.0.1 port 1: nothing listens there. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/store.h>

#include "models/alloc.h"
#include "tstore.h"
#include "twait.h"

#define REDIS_DOWN   "redis://:pw@127.0.0.1:1/2"
#define MYSQL_DOWN   "mysql://u:p@127.0.0.1:1/db"
#define CLUSTER_DOWN "redis+cluster://127.0.0.1:1,127.0.0.1:2?password=pw"

static int
setup(void **state)
{
    wsc_loop *loop = NULL;
    if (wsc_loop_new(&loop) != WSC_OK)
        return -1;
    *state = loop;
    return 0;
}

static int
teardown(void **state)
{
    wsc_loop_free(*state);
    return 0;
}

static wsc_store_config
quick_cfg(void)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = 300;
    cfg.reconnect_min_ms = 50;
    cfg.reconnect_max_ms = 100;
    return cfg;
}

/* url is refused with WSC_ERR_INVALID and no store. */
static void
refused(wsc_loop *loop, const char *url)
{
    wsc_store *s = (wsc_store *)&s; /* not NULL: open must clear it */
    wsc_err err = wsc_store_open(loop, url, NULL, &s);
    if (err != WSC_ERR_INVALID)
        fail_msg("%s: %s, not INVALID", url ? url : "(NULL)", wsc_err_name(err));
    assert_null(s);
}

/* url opens (no server needed for that) and closes. */
static void
opens(wsc_loop *loop, const char *url)
{
    wsc_store_config cfg = quick_cfg();
    wsc_store *s = NULL;
    wsc_err err = wsc_store_open(loop, url, &cfg, &s);
    if (err != WSC_OK)
        fail_msg("%s: %s", url, wsc_err_name(err));
    assert_non_null(s);
    wsc_store_close(s);
}

static char *
repeat(char c, size_t n)
{
    char *s = malloc(n + 1);
    assert_non_null(s);
    memset(s, c, n);
    s[n] = '\0';
    return s;
}

static void
test_store_open__bad_arguments(void **state)
{
    wsc_loop *loop = *state;
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(loop, "memory:", NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_store_open(NULL, "memory:", NULL, &s), WSC_ERR_INVALID);
    assert_null(s);
    refused(loop, NULL);
    refused(loop, "");
    refused(loop, "postgres://u@h/db");
    refused(loop, "memory:x");
    /* A configuration without its required bounds. */
    wsc_store_config cfg = quick_cfg();
    cfg.offline_max_per_user = 0;
    assert_int_equal(wsc_store_open(loop, "memory:", &cfg, &s), WSC_ERR_INVALID);
    cfg = quick_cfg();
    cfg.command_timeout_ms = 0;
    assert_int_equal(wsc_store_open(loop, REDIS_DOWN, &cfg, &s), WSC_ERR_INVALID);
    assert_int_equal(wsc_store_open(loop, MYSQL_DOWN, &cfg, &s), WSC_ERR_INVALID);
    assert_null(s);
    /* The getters and close take NULL. */
    assert_null(wsc_store_offline(NULL));
    assert_string_equal(wsc_store_backend(NULL), "");
    assert_string_equal(wsc_store_last_error(NULL), "");
    assert_int_equal(wsc_store_ping(NULL, tres_done, NULL), WSC_ERR_INVALID);
    wsc_store_close(NULL);
    assert_string_equal(wsc_record_state_name(WSC_REC_EXPIRED), "expired");
    assert_string_equal(wsc_record_state_name((wsc_record_state)99), "unknown");
}

static void
test_store_open__redis_urls(void **state)
{
    wsc_loop *loop = *state;
    static const char *const bad[] = {
        "redis://",                  /* no host */
        "redis://:pw@",              /* no host after the password */
        "redis://:pw@:6379",         /* the same */
        "redis://127.0.0.1:",        /* a colon without a port */
        "redis://127.0.0.1:0",       /* port out of range */
        "redis://127.0.0.1:65536",   /* the same */
        "redis://127.0.0.1:-5",      /* the same */
        "redis://127.0.0.1:63x",     /* junk after the port */
        "redis://127.0.0.1/db",      /* a database that is not a number */
        "redis://127.0.0.1/1001",    /* a database out of range */
        "redis://127.0.0.1/-1",      /* the same */
        "redis://127.0.0.1/3/extra", /* junk after the database */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(loop, bad[i]);
    /* A password or a host that does not fit (255 bytes at most). */
    char url[700];
    char *long_part = repeat('p', 256);
    snprintf(url, sizeof(url), "redis://:%s@127.0.0.1", long_part);
    refused(loop, url);
    snprintf(url, sizeof(url), "redis://%s:6379", long_part);
    refused(loop, url);
    free(long_part);
    opens(loop, "redis://127.0.0.1:1");
    opens(loop, "redis://127.0.0.1:1/");
    opens(loop, "redis://user:pw@127.0.0.1:1/1000"); /* a user name is ignored */
    opens(loop, REDIS_DOWN);
}

static void
test_store_open__cluster_urls(void **state)
{
    wsc_loop *loop = *state;
    static const char *const bad[] = {
        "redis+cluster://",                             /* no seed */
        "redis+cluster:///",                            /* the same */
        "redis+cluster://?password=pw",                 /* the same */
        "redis+cluster://127.0.0.1:1,",                 /* a trailing comma */
        "redis+cluster://127.0.0.1:1,,127.0.0.1:2",     /* an empty seed */
        "redis+cluster://:1",                           /* a seed without a host */
        "redis+cluster://127.0.0.1:",                   /* a colon without a port */
        "redis+cluster://127.0.0.1:0",                  /* port out of range */
        "redis+cluster://127.0.0.1:65536",              /* the same */
        "redis+cluster://127.0.0.1:12345678",           /* too many digits */
        "redis+cluster://127.0.0.1:1x",                 /* junk in the port */
        "redis+cluster://127.0.0.1:1?pass=pw",          /* not password= */
        "redis+cluster://127.0.0.1:1?password=pw&db=1", /* another parameter */
        "redis+cluster://127.0.0.1:1/0",                /* a database */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(loop, bad[i]);
    /* 17 seeds: 16 at most. */
    char url[1024] = "redis+cluster://";
    for (int i = 0; i < 17; i++)
        snprintf(url + strlen(url), sizeof(url) - strlen(url), "%s127.0.0.1:%d", i ? "," : "",
                 i + 1);
    refused(loop, url);
    char *long_part = repeat('h', 256);
    snprintf(url, sizeof(url), "redis+cluster://%s:1", long_part);
    refused(loop, url);
    snprintf(url, sizeof(url), "redis+cluster://127.0.0.1:1?password=%s", long_part);
    refused(loop, url);
    free(long_part);
    opens(loop, "redis+cluster://127.0.0.1");
    opens(loop, "redis+cluster://127.0.0.1:1/");
    opens(loop, CLUSTER_DOWN);
}

static void
test_store_open__mysql_urls(void **state)
{
    wsc_loop *loop = *state;
    static const char *const bad[] = {
        "mysql://127.0.0.1/db",       /* no user */
        "mysql://@127.0.0.1/db",      /* an empty user */
        "mysql://:pw@127.0.0.1/db",   /* the same */
        "mysql://u:p@/db",            /* no host */
        "mysql://u:p@:3306/db",       /* the same */
        "mysql://u:p@127.0.0.1",      /* no database */
        "mysql://u:p@127.0.0.1/",     /* an empty database */
        "mysql://u:p@127.0.0.1/a/b",  /* a path, not a database */
        "mysql://u:p@127.0.0.1:/db",  /* a colon without a port */
        "mysql://u:p@127.0.0.1:0/db", /* port out of range */
        "mysql://u:p@127.0.0.1:70000/db",
        "mysql://u:p@127.0.0.1:33x/db", /* junk after the port */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        refused(loop, bad[i]);
    char url[700];
    char *long_part = repeat('x', 128); /* user, password and database: 127 bytes at most */
    snprintf(url, sizeof(url), "mysql://%s:p@127.0.0.1/db", long_part);
    refused(loop, url);
    snprintf(url, sizeof(url), "mysql://u:%s@127.0.0.1/db", long_part);
    refused(loop, url);
    snprintf(url, sizeof(url), "mysql://u:p@127.0.0.1/%s", long_part);
    refused(loop, url);
    free(long_part);
    long_part = repeat('h', 256);
    snprintf(url, sizeof(url), "mysql://u:p@%s/db", long_part);
    refused(loop, url);
    free(long_part);
    opens(loop, "mysql://u@127.0.0.1:1/db"); /* no password */
    opens(loop, MYSQL_DOWN);
}

static void
test_store_open__hybrid_urls(void **state)
{
    wsc_loop *loop = *state;
    refused(loop, "hybrid:");
    refused(loop, "hybrid:" REDIS_DOWN);                /* no '|' */
    refused(loop, "hybrid:" REDIS_DOWN "|");            /* no MySQL URL */
    refused(loop, "hybrid:|" MYSQL_DOWN);               /* no Redis URL */
    refused(loop, "hybrid:" MYSQL_DOWN "|" REDIS_DOWN); /* the wrong way round */
    refused(loop, "hybrid:redis://|" MYSQL_DOWN);       /* a bad Redis URL */
    /* A bad MySQL URL, found after the Redis store is open: that one is closed again. */
    refused(loop, "hybrid:" REDIS_DOWN "|mysql://127.0.0.1/db");
    char url[1200] = "hybrid:redis://";
    char *long_part = repeat('h', 1030); /* the Redis URL: under 1024 bytes */
    strcat(url, long_part);
    strcat(url, "|" MYSQL_DOWN);
    refused(loop, url);
    free(long_part);
    opens(loop, "hybrid:" REDIS_DOWN "|" MYSQL_DOWN);
    opens(loop, "hybrid:" CLUSTER_DOWN "|" MYSQL_DOWN);

    /* wsc_store_open_hybrid: its arguments and configuration. */
    wsc_store *s = NULL;
    wsc_hybrid_config hcfg;
    wsc_hybrid_config_init(NULL);
    wsc_hybrid_config_init(&hcfg);
    assert_int_equal(hcfg.retry_ms, 1000);
    assert_int_equal(hcfg.drain_batch, 100);
    assert_int_equal(wsc_store_open_hybrid(loop, REDIS_DOWN, MYSQL_DOWN, NULL, NULL, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_store_open_hybrid(NULL, REDIS_DOWN, MYSQL_DOWN, NULL, NULL, &s),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_store_open_hybrid(loop, NULL, MYSQL_DOWN, NULL, NULL, &s),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_store_open_hybrid(loop, REDIS_DOWN, NULL, NULL, NULL, &s),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_store_open_hybrid(loop, "memory:", MYSQL_DOWN, NULL, NULL, &s),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_store_open_hybrid(loop, REDIS_DOWN, "memory:", NULL, NULL, &s),
                     WSC_ERR_INVALID);
    hcfg.retry_ms = 0;
    assert_int_equal(wsc_store_open_hybrid(loop, REDIS_DOWN, MYSQL_DOWN, NULL, &hcfg, &s),
                     WSC_ERR_INVALID);
    wsc_hybrid_config_init(&hcfg);
    hcfg.drain_batch = 0;
    assert_int_equal(wsc_store_open_hybrid(loop, REDIS_DOWN, MYSQL_DOWN, NULL, &hcfg, &s),
                     WSC_ERR_INVALID);
    hcfg.drain_batch = 1001;
    assert_int_equal(wsc_store_open_hybrid(loop, REDIS_DOWN, MYSQL_DOWN, NULL, &hcfg, &s),
                     WSC_ERR_INVALID);
    wsc_store_config cfg = quick_cfg();
    cfg.queue_ttl_ms = 0;
    assert_int_equal(wsc_store_open_hybrid(loop, REDIS_DOWN, MYSQL_DOWN, &cfg, NULL, &s),
                     WSC_ERR_INVALID);
    assert_null(s);
    /* The store's own loop turns: nothing was left attached by the refusals. */
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(loop, 1);
}

/* Every allocation of an open fails in turn: WSC_ERR_NOMEM and no store, or a store. */
static void
open_nomem(wsc_loop *loop, const char *url)
{
    wsc_store_config cfg = quick_cfg();
    bool fired = true;
    size_t refusals = 0;
    long n;
    for (n = 1; fired && n < 500; n++) {
        wsc_store *s = NULL;
        wsc__alloc_fail_nth(n);
        wsc_err err = wsc_store_open(loop, url, &cfg, &s);
        fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        if (err != WSC_OK) {
            if (err != WSC_ERR_NOMEM)
                fail_msg("%s, allocation %ld failed: %s", url, n, wsc_err_name(err));
            assert_null(s);
            refusals++;
        } else {
            assert_non_null(s);
            wsc_store_close(s);
        }
        wsc_loop_run_once(loop, 1);
    }
    print_message("[  INFO    ] %s: %ld allocations failed in turn, %zu refused\n", url, n - 1,
                  refusals);
    assert_false(fired);
    assert_true(refusals >= 1);
}

static void
test_store_open__out_of_memory(void **state)
{
    wsc_loop *loop = *state;
    open_nomem(loop, "memory:");
    open_nomem(loop, REDIS_DOWN);
    open_nomem(loop, CLUSTER_DOWN);
    open_nomem(loop, MYSQL_DOWN);
    open_nomem(loop, "hybrid:" REDIS_DOWN "|" MYSQL_DOWN);
}

static bool
answered(void *arg)
{
    return ((tres *)arg)->calls > 0;
}

/* A server that is not there: the store opens, a ping ends with WSC_ERR_STORE within the
 * command timeout, and the last error says what happened (why: a part of it, or NULL). */
static void
ping_down(wsc_loop *loop, const char *url, const char *why)
{
    wsc_store_config cfg = quick_cfg();
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(loop, url, &cfg, &s), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_store_ping(s, tres_done, &r), WSC_OK);
    assert_true(twait_until(NULL, loop, answered, &r, 5000));
    assert_int_equal(r.calls, 1);
    if (r.status != WSC_ERR_STORE)
        fail_msg("%s: ping %s", url, wsc_err_name(r.status));
    const char *text = wsc_store_last_error(s);
    if (text[0] == '\0' || (why != NULL && strstr(text, why) == NULL))
        fail_msg("%s: last error \"%s\" does not say \"%s\"", url, text, why);
    wsc_store_close(s);
    wsc_loop_run_once(loop, 1);
}

static void
test_store_open__server_not_there(void **state)
{
    wsc_loop *loop = *state;
    ping_down(loop, REDIS_DOWN, "connect");
    /* An address the kernel refuses at once (TCP to a broadcast address): the same. */
    ping_down(loop, "redis://:pw@255.255.255.255:6379/2", "unreachable");
    ping_down(loop, CLUSTER_DOWN, "timed out");
    /* MySQL's worker publishes why its connect failed; the request timer quotes it. */
    ping_down(loop, MYSQL_DOWN, "mysql: connect:");
    ping_down(loop, "hybrid:" REDIS_DOWN "|" MYSQL_DOWN, NULL); /* either side's */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_open__bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__redis_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__cluster_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__mysql_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__hybrid_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__out_of_memory, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_open__server_not_there, setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.repository.store_open", tests, NULL, NULL);
}
