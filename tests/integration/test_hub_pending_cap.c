/* SPDX-License-Identifier: MIT */
/* The per-address cap on connections that are not WebSockets (max_pending_per_ip) and the
 * handshake timeout, through the C API: with a cap of 2, a third silent socket of one address
 * is closed at once while other addresses connect; connections that became WebSockets or
 * closed no longer count; a silent socket is closed after handshake_timeout_ms. */
#include <errno.h>
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

#include "thub.h"
#include "tnet.h"

typedef struct sock {
    int fd;
    bool closed;
} sock;

/* The hub closed the socket (EOF or reset). */
static bool
is_closed(void *arg)
{
    sock *s = arg;
    char buf[64];
    ssize_t r = recv(s->fd, buf, sizeof(buf), MSG_DONTWAIT);
    if (r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOTCONN))
        s->closed = true;
    return s->closed;
}

static sock
silent(thub *t, const char *src)
{
    sock s = {tnet_connect(src, t->port), false};
    assert_true(s.fd >= 0);
    return s;
}

static void
start(thub *t, unsigned cap, unsigned timeout_ms)
{
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    cfg.max_pending_per_ip = cap;
    cfg.handshake_timeout_ms = timeout_ms;
    thub_start(t, &cfg);
}

static void
test_hub_pending_cap__third_silent_socket_of_one_address_closed(void **state)
{
    (void)state;
    thub t;
    start(&t, 2, 30000);
    sock a = silent(&t, "127.0.0.31"), b = silent(&t, "127.0.0.31");
    thub_run_for(&t, 100); /* both accepted and counted */
    sock c = silent(&t, "127.0.0.31");
    assert_true(thub_wait(&t, is_closed, &c, 1000));
    assert_false(is_closed(&a));
    assert_false(is_closed(&b));
    /* Another address is not affected: a WebSocket opens from it. */
    tws *w = tws_connect_from("127.0.0.32", t.port, "/ws?user_id=other", NULL, NULL);
    twait_add_ws(t.ts, w);
    assert_true(thub_settle(&t, w));
    assert_int_equal(tws_state(w), TWS_OPEN);
    /* When one of the two goes, the address may connect again. */
    close(a.fd);
    thub_run_for(&t, 100);
    sock d = silent(&t, "127.0.0.31");
    thub_run_for(&t, 300);
    assert_false(is_closed(&d));
    close(b.fd);
    close(c.fd);
    close(d.fd);
    thub_free(&t);
}

static void
test_hub_pending_cap__websockets_do_not_count(void **state)
{
    (void)state;
    thub t;
    start(&t, 2, 30000);
    /* Ten WebSockets of one address, opened one after the other, stay open. */
    tws *w[10];
    for (int i = 0; i < 10; i++) {
        char path[32];
        snprintf(path, sizeof(path), "/ws?user_id=u%d", i);
        w[i] = tws_connect_from("127.0.0.33", t.port, path, NULL, NULL);
        twait_add_ws(t.ts, w[i]);
        assert_true(thub_settle(&t, w[i]));
        assert_int_equal(tws_state(w[i]), TWS_OPEN);
    }
    /* So do refused upgrades: they are closed and no longer count. */
    for (int i = 0; i < 5; i++) {
        tws *r = tws_connect_from("127.0.0.33", t.port, "/nope", NULL, NULL);
        twait_add_ws(t.ts, r);
        assert_true(thub_settle(&t, r));
        assert_int_equal(tws_http_status(r), 404);
    }
    thub_run_for(&t, 100); /* the hub closes each refused connection after its answer */
    sock a = silent(&t, "127.0.0.33"), b = silent(&t, "127.0.0.33");
    thub_run_for(&t, 300);
    assert_false(is_closed(&a));
    assert_false(is_closed(&b));
    close(a.fd);
    close(b.fd);
    thub_free(&t);
}

static void
test_hub_pending_cap__silent_socket_closed_after_timeout(void **state)
{
    (void)state;
    thub t;
    start(&t, 0, 1000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    sock s = silent(&t, "127.0.0.34");
    assert_true(thub_wait(&t, is_closed, &s, 4000));
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    /* lws checks its timeouts once a second: between 1 and ~2 s. */
    assert_true(ms >= 900);
    assert_true(ms < 3000);
    close(s.fd);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_pending_cap__third_silent_socket_of_one_address_closed),
        cmocka_unit_test(test_hub_pending_cap__websockets_do_not_count),
        cmocka_unit_test(test_hub_pending_cap__silent_socket_closed_after_timeout),
    };
    return cmocka_run_group_tests_name("integration.hub_pending_cap", tests, NULL, NULL);
}
