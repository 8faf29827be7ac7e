/* SPDX-License-Identifier: MIT */
/* The client's connect timeout and wsc_client_run/wsc_client_stop (include/wsc/client.h):
 * - a server that accepts TCP but never answers the upgrade: each attempt ends after
 *   connect_timeout_ms with on_connect_error ("connect timed out"), then the client backs off
 *   and tries again; wsc_client_close during that is final;
 * - a client on its own loop, run on one thread, stopped from another: wsc_client_run returns
 *   (the client neither closed nor failed), runs again, and can then be freed. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"
#include "tpeer.h"

/* A listening socket nobody accepts on: the kernel completes TCP handshakes into the backlog
 * and the upgrade request is never answered. */
static int
silent_listener(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 16), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *port = ntohs(a.sin_port);
    return fd;
}

static void
client_config(wsc_client_config *cc, const char *url, tpeer *p)
{
    tpeer_config(cc, url, p);
    cc->reconnect.min_delay_ms = 20;
    cc->reconnect.max_delay_ms = 40;
}

static void
test_client_lifecycle__connect_timeout_then_retry(void **state)
{
    (void)state;
    int port;
    int lfd = silent_listener(&port);
    thub t; /* only for its loop and waits */
    thub_start_default(&t);
    char url[96];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", port);
    tpeer p = {0};
    wsc_client_config cc;
    client_config(&cc, url, &p);
    cc.loop = t.loop;
    cc.connect_timeout_ms = 300;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cc), WSC_OK);
    uint64_t t0 = tpeer_now_ms();
    assert_int_equal(wsc_client_connect(c), WSC_OK);
    assert_true(thub_wait_ge(&t, &p.errors, 1, 3000));
    uint64_t took = p.first_error_ms - t0;
    assert_true(took >= 280 && took < 1500); /* the timeout, not before, not much after */
    assert_non_null(strstr(p.why, "timed out"));
    assert_int_equal(p.connected, 0);
    /* It backs off and tries again, timing out again. */
    assert_true(thub_wait_ge(&t, &p.reconnecting, 1, 3000));
    assert_true(thub_wait_ge(&t, &p.errors, 2, 3000));
    assert_int_not_equal(wsc_client_state_get(c), WSC_CLIENT_CLOSED);
    /* Closing during an attempt or the backoff is final. */
    assert_int_equal(wsc_client_close(c, 1000, NULL), WSC_OK);
    assert_true(thub_wait_ge(&t, &p.closes, 1, 3000));
    assert_int_equal(wsc_client_state_get(c), WSC_CLIENT_CLOSED);
    size_t errors = p.errors;
    thub_run_for(&t, 500);
    assert_int_equal(p.errors, errors); /* no attempt after the close */
    wsc_client_free(c);
    close(lfd);
    thub_free(&t);
}

static void *
stopper(void *arg)
{
    struct timespec d = {0, 200 * 1000 * 1000};
    nanosleep(&d, NULL);
    wsc_client_stop(arg);
    return NULL;
}

/* The client owns its loop and runs it here; another thread stops it.  The client is left
 * connecting to a server that never answers, so the loop has work pending when it is stopped.
 * (No hub in this process: two lws contexts at once leak a client TLS context in lws 4.1.) */
static void
test_client_lifecycle__stop_from_another_thread(void **state)
{
    (void)state;
    int port;
    int lfd = silent_listener(&port);
    char url[96];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws", port);
    tpeer p = {0};
    wsc_client_config cc;
    client_config(&cc, url, &p);
    cc.connect_timeout_ms = 60000;
    wsc_client *c = NULL; /* cc.loop NULL: the client owns its loop */
    assert_int_equal(wsc_client_new(&c, &cc), WSC_OK);
    assert_non_null(wsc_client_loop(c));
    assert_int_equal(wsc_client_connect(c), WSC_OK);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stopper, c), 0);
    uint64_t t0 = tpeer_now_ms();
    assert_int_equal(wsc_client_run(c), WSC_OK); /* returns once stopped */
    uint64_t took = tpeer_now_ms() - t0;
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(took >= 150 && took < 3000);
    assert_int_equal(wsc_client_state_get(c), WSC_CLIENT_CONNECTING); /* stopped, not closed */
    assert_int_equal(p.closes, 0);
    assert_int_equal(p.errors, 0);
    /* Run again: it goes on where it was, until stopped again. */
    assert_int_equal(pthread_create(&th, NULL, stopper, c), 0);
    assert_int_equal(wsc_client_run(c), WSC_OK);
    assert_int_equal(pthread_join(th, NULL), 0);
    wsc_client_free(c);
    close(lfd);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_lifecycle__connect_timeout_then_retry),
        cmocka_unit_test(test_client_lifecycle__stop_from_another_thread),
    };
    return cmocka_run_group_tests_name("integration.client_lifecycle", tests, NULL, NULL);
}
