/* SPDX-License-Identifier: MIT */
/* The loop on both backends: configuration and the environment override, the bounded wait of
 * wsc_loop_run_once, timers armed outside the loop, work posted from another thread, stop. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loop/loop.h"

static const wsc_loop_backend backends[] = {WSC_LOOP_POLL, WSC_LOOP_EPOLL};

static wsc_loop *
new_loop(wsc_loop_backend backend)
{
    wsc_loop_config cfg;
    wsc_loop_config_init(&cfg);
    cfg.backend = backend;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new_ex(&loop, &cfg), WSC_OK);
    assert_int_equal(wsc_loop_get_backend(loop), backend);
    return loop;
}

static void
test_loop__config_defaults_and_names(void **state)
{
    (void)state;
    wsc_loop_config cfg;
    memset(&cfg, 0xff, sizeof(cfg));
    wsc_loop_config_init(&cfg);
    assert_int_equal(cfg.backend, WSC_LOOP_DEFAULT);
    assert_string_equal(wsc_loop_backend_name(WSC_LOOP_POLL), "poll");
    assert_string_equal(wsc_loop_backend_name(WSC_LOOP_EPOLL), "epoll");
    assert_string_equal(wsc_loop_backend_name(WSC_LOOP_DEFAULT), "default");
    assert_int_equal(wsc_loop_get_backend(NULL), WSC_LOOP_DEFAULT);
    cfg.backend = (wsc_loop_backend)42;
    wsc_loop *loop = (wsc_loop *)&cfg;
    assert_int_equal(wsc_loop_new_ex(&loop, &cfg), WSC_ERR_INVALID);
    assert_null(loop);
    assert_int_equal(wsc_loop_new_ex(NULL, NULL), WSC_ERR_INVALID);
}

static void
test_loop__environment_chooses_the_default_only(void **state)
{
    (void)state;
    const char *old = getenv("WSC_LOOP_BACKEND");
    char *saved = old ? strdup(old) : NULL;
    setenv("WSC_LOOP_BACKEND", "epoll", 1);
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    assert_int_equal(wsc_loop_get_backend(loop), WSC_LOOP_EPOLL);
    wsc_loop_free(loop);
    wsc_loop_free(new_loop(WSC_LOOP_POLL)); /* an explicit choice wins */
    setenv("WSC_LOOP_BACKEND", "poll", 1);
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    assert_int_equal(wsc_loop_get_backend(loop), WSC_LOOP_POLL);
    wsc_loop_free(loop);
    setenv("WSC_LOOP_BACKEND", "kqueue", 1);
    assert_int_equal(wsc_loop_new(&loop), WSC_ERR_INVALID);
    if (saved != NULL)
        setenv("WSC_LOOP_BACKEND", saved, 1);
    else
        unsetenv("WSC_LOOP_BACKEND");
    free(saved);
}

static void
test_loop__run_once_waits_up_to_its_bound(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        wsc_loop *loop = new_loop(backends[b]);
        /* The first rounds may find start-up work; an idle round then waits its bound. */
        for (int i = 0; i < 3; i++)
            assert_int_equal(wsc_loop_run_once(loop, 0), WSC_OK);
        uint64_t t0 = wsc__now_ms();
        int rounds = 0;
        while (wsc__now_ms() - t0 < 30 && rounds++ < 100)
            assert_int_equal(wsc_loop_run_once(loop, 30), WSC_OK);
        assert_in_range(wsc__now_ms() - t0, 30, 2000);
        assert_true(rounds < 20);
        wsc_loop_free(loop);
    }
}

static void
fired_cb(wsc__timer *t)
{
    *(uint64_t *)((char *)t + sizeof(*t)) = wsc__now_ms();
}

struct timed {
    wsc__timer t; /* must stay first */
    uint64_t fired_ms;
};

static void
test_loop__timer_armed_outside_the_loop_fires_on_time(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        wsc_loop *loop = new_loop(backends[b]);
        for (int i = 0; i < 3; i++)
            wsc_loop_run_once(loop, 0);
        struct timed tm = {0};
        _Static_assert(offsetof(struct timed, fired_ms) == sizeof(wsc__timer), "layout");
        wsc__timer_init(&tm.t, loop, fired_cb);
        uint64_t t0 = wsc__now_ms();
        wsc__timer_start(&tm.t, 20);
        /* A long bound: on libev, lws must see the new deadline although it was set while
         * the loop was not running. */
        while (tm.fired_ms == 0 && wsc__now_ms() - t0 < 5000)
            wsc_loop_run_once(loop, 1000);
        assert_true(tm.fired_ms != 0);
        assert_in_range(tm.fired_ms - t0, 19, 500);
        wsc_loop_free(loop);
    }
}

struct poster {
    wsc_loop *loop;
    int ran;
};

static void
posted(void *arg)
{
    struct poster *p = arg;
    p->ran++;
    wsc_loop_stop(p->loop);
}

static void *
post_thread(void *arg)
{
    struct poster *p = arg;
    wsc__loop_post(p->loop, posted, p);
    return NULL;
}

static void
test_loop__post_from_another_thread_wakes_run(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        struct poster p = {new_loop(backends[b]), 0};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, post_thread, &p), 0);
        assert_int_equal(wsc_loop_run(p.loop), WSC_OK);
        pthread_join(th, NULL);
        assert_int_equal(p.ran, 1);
        wsc_loop_free(p.loop);
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop__config_defaults_and_names),
        cmocka_unit_test(test_loop__environment_chooses_the_default_only),
        cmocka_unit_test(test_loop__run_once_waits_up_to_its_bound),
        cmocka_unit_test(test_loop__timer_armed_outside_the_loop_fires_on_time),
        cmocka_unit_test(test_loop__post_from_another_thread_wakes_run),
    };
    return cmocka_run_group_tests_name("unit.loop.loop", tests, NULL, NULL);
}
