/* SPDX-License-Identifier: MIT */
/* No name resolution on the loop (label redis): a Redis URL with a host name is resolved once
 * by wsc_store_open on the caller's thread; every connect and reconnect on the loop hands hiredis
 * the numeric address.  getaddrinfo is interposed here (this program's definition comes first for
 * the library and for libhiredis) and records whether each call was made while the loop ran and
 * whether its host was a name.  Without a server: retries against a closed port.  With
 * WSC_TEST_REDIS_URL (else that test is skipped): "localhost" instead of its address works, and
 * after the connection is cut the store reconnects and answers again. */
#include <arpa/inet.h>
#include <dlfcn.h>
#include <netdb.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <cmocka.h>

#include <wsc/store.h>

#include "loop/loop.h"
#include "repository/redis/redis_internal.h"
#include "tstore.h"

/* What the interposed getaddrinfo saw.  Written on the test's thread only (the loop runs here). */
static struct {
    bool in_loop;
    unsigned names_in_loop, numeric_in_loop, names_outside;
} seen;

static bool
is_numeric(const char *host)
{
    unsigned char buf[sizeof(struct in6_addr)];
    return host != NULL &&
           (inet_pton(AF_INET, host, buf) == 1 || inet_pton(AF_INET6, host, buf) == 1);
}

typedef int (*gai_fn)(const char *, const char *, const struct addrinfo *, struct addrinfo **);

int
getaddrinfo(const char *node, const char *service, const struct addrinfo *hints,
            struct addrinfo **res)
{
    if (node != NULL) {
        if (seen.in_loop && is_numeric(node))
            seen.numeric_in_loop++;
        else if (seen.in_loop)
            seen.names_in_loop++;
        else if (!is_numeric(node))
            seen.names_outside++;
    }
    gai_fn real = (gai_fn)(uintptr_t)dlsym(RTLD_NEXT, "getaddrinfo");
    return real(node, service, hints, res);
}

typedef bool (*cond_fn)(void *arg);

static bool
run_until(wsc_loop *loop, cond_fn cond, void *arg, uint64_t ms)
{
    uint64_t end = wsc__now_ms() + ms;
    while (!cond(arg) && wsc__now_ms() < end) {
        seen.in_loop = true;
        wsc_loop_run_once(loop, 10);
        seen.in_loop = false;
    }
    return cond(arg);
}

static bool
three_connects(void *arg)
{
    (void)arg;
    return seen.numeric_in_loop + seen.names_in_loop >= 3;
}

static wsc_store_config
fast_reconnect(void)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.reconnect_min_ms = 5;
    cfg.reconnect_max_ms = 20;
    cfg.command_timeout_ms = 3000;
    return cfg;
}

static void
test_store_resolve__reconnects_on_the_loop_never_resolve_a_name(void **state)
{
    (void)state;
    memset(&seen, 0, sizeof(seen));
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_store_config cfg = fast_reconnect();
    wsc_store *store = NULL;
    /* Nothing listens on port 1: every attempt is refused and retried on the loop. */
    assert_int_equal(wsc_store_open(loop, "redis://localhost:1/0", &cfg, &store), WSC_OK);
    assert_true(seen.names_outside >= 1); /* resolved at open, on this (caller's) thread */
    assert_true(run_until(loop, three_connects, NULL, 5000));
    assert_int_equal(seen.names_in_loop, 0);
    assert_true(seen.numeric_in_loop >= 3);
    wsc_store_close(store);
    wsc_loop_free(loop);
}

struct pinged {
    bool done;
    wsc_err status;
};

static void
on_ping(wsc_err status, void *user)
{
    struct pinged *p = user;
    p->done = true;
    p->status = status;
}

static bool
ping_done(void *arg)
{
    return ((struct pinged *)arg)->done;
}

static wsc_err
ping(wsc_loop *loop, wsc_store *store)
{
    struct pinged p = {false, WSC_OK};
    assert_int_equal(wsc_store_ping(store, on_ping, &p), WSC_OK);
    assert_true(run_until(loop, ping_done, &p, 5000));
    return p.status;
}

static bool
not_ready(void *arg)
{
    return ((struct redis_store *)arg)->state != RS_READY;
}

/* redis://[:pw@]127.0.0.1:port/db -> the same with "localhost". */
static void
with_localhost(const char *url, char *out, size_t cap)
{
    const char *ip = strstr(url, "127.0.0.1");
    assert_non_null(ip);
    snprintf(out, cap, "%.*slocalhost%s", (int)(ip - url), url, ip + strlen("127.0.0.1"));
}

static void
test_store_resolve__localhost_works_and_reconnects_by_address(void **state)
{
    (void)state;
    const char *url = getenv("WSC_TEST_REDIS_URL");
    if (url == NULL || url[0] == '\0')
        tstore_skip();
    memset(&seen, 0, sizeof(seen));
    char local[512];
    with_localhost(url, local, sizeof(local));
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_store_config cfg = fast_reconnect();
    wsc_store *store = NULL;
    assert_int_equal(wsc_store_open(loop, local, &cfg, &store), WSC_OK);
    assert_int_equal(ping(loop, store), WSC_OK);
    unsigned connects = seen.numeric_in_loop;
    /* Cut the connection under the store (white box: the hiredis socket). */
    struct redis_store *rs = (struct redis_store *)store;
    assert_non_null(rs->ac);
    assert_int_equal(shutdown(rs->ac->c.fd, SHUT_RDWR), 0);
    assert_true(run_until(loop, not_ready, rs, 5000));
    /* The next ping waits for the reconnect, made on the loop with the address. */
    assert_int_equal(ping(loop, store), WSC_OK);
    assert_true(seen.numeric_in_loop > connects);
    assert_int_equal(seen.names_in_loop, 0);
    wsc_store_close(store);
    wsc_loop_free(loop);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_resolve__reconnects_on_the_loop_never_resolve_a_name),
        cmocka_unit_test(test_store_resolve__localhost_works_and_reconnects_by_address),
    };
    int rc = cmocka_run_group_tests_name("integration.store_resolve_redis", tests, NULL, NULL);
    /* The first test needs no server: skip (77) only when it passed and the second skipped. */
    return rc == 0 && getenv("WSC_TEST_REDIS_URL") == NULL ? 77 : rc;
}
