/* SPDX-License-Identifier: MIT */
/* The loop on both backends: configuration and the environment override, the bounded wait of
 * wsc_loop_run_once, timers armed outside the loop, work posted from another thread (bounded,
 * carried inline), stop, and the work run at the end of a pass
 * (wsc__loop_soon). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "loop/loop.h"
#include "models/alloc.h"
#include "models/histo.h"

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

struct timed_us {
    wsc__timer t; /* must stay first */
    uint64_t fired_us;
};

static void
fired_us_cb(wsc__timer *t)
{
    ((struct timed_us *)(void *)t)->fired_us = wsc__mono_us();
}

/* A timer armed in microseconds (wsc__timer_start_us) fires no earlier than asked, and before
 * a millisecond timer armed at the same time with a later deadline. */
static void
test_loop__microsecond_timer_fires_in_order(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        wsc_loop *loop = new_loop(backends[b]);
        struct timed_us fine = {0}, coarse = {0};
        wsc__timer_init(&fine.t, loop, fired_us_cb);
        wsc__timer_init(&coarse.t, loop, fired_us_cb);
        uint64_t t0 = wsc__mono_us();
        wsc__timer_start(&coarse.t, 5);
        wsc__timer_start_us(&fine.t, 300);
        while (coarse.fired_us == 0 && wsc__mono_us() - t0 < 5000000)
            wsc_loop_run_once(loop, 100);
        assert_true(fine.fired_us != 0 && coarse.fired_us != 0);
        assert_true(fine.fired_us - t0 >= 300);
        assert_true(coarse.fired_us - t0 >= 5000);
        assert_true(fine.fired_us <= coarse.fired_us);
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

/* The post queue: bounded, in order, woken once per batch. */
#define LOG_MAX 64

struct counted {
    wsc_loop *loop;
    int n_posts;  /* how many the thread tries */
    int accepted; /* WSC_OK */
    int busy;     /* WSC_ERR_BUSY */
    int other;    /* anything else */
    int ran;      /* posted() calls, on the loop */
    int order[LOG_MAX];
    int next_tag;
};

struct tagged {
    struct counted *c;
    int tag;
};

static void
run_tagged(void *arg)
{
    struct tagged *t = arg;
    if (t->c->ran < LOG_MAX)
        t->c->order[t->c->ran] = t->tag;
    t->c->ran++;
    free(t);
}

static void *
post_many(void *arg)
{
    struct counted *c = arg;
    for (int i = 0; i < c->n_posts; i++) {
        struct tagged *t = malloc(sizeof(*t));
        *t = (struct tagged){c, c->next_tag++};
        wsc_err err = wsc__loop_post(c->loop, run_tagged, t);
        if (err != WSC_OK)
            free(t);
        c->accepted += err == WSC_OK;
        c->busy += err == WSC_ERR_BUSY;
        c->other += err != WSC_OK && err != WSC_ERR_BUSY;
    }
    return NULL;
}

static void
run_until_ran(struct counted *c, int n)
{
    uint64_t end = wsc__now_ms() + 5000;
    while (c->ran < n && wsc__now_ms() < end)
        wsc_loop_run_once(c->loop, 10);
}

static void
test_loop__post_queue_is_bounded_and_keeps_what_it_accepted(void **state)
{
    (void)state;
    wsc_loop_config cfg;
    wsc_loop_config_init(&cfg);
    assert_int_equal(cfg.max_posts, 65536);
    cfg.max_posts = 8;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new_ex(&loop, &cfg), WSC_OK);
    /* The loop does not run while another thread posts 20: 8 fit, the rest are refused. */
    struct counted c = {.loop = loop, .n_posts = 20};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, post_many, &c), 0);
    pthread_join(th, NULL);
    assert_int_equal(c.accepted, 8);
    assert_int_equal(c.busy, 12);
    assert_int_equal(c.other, 0);
    assert_int_equal(c.ran, 0);
    /* Control work (a hub's stop) is never refused. */
    struct tagged *t = malloc(sizeof(*t));
    *t = (struct tagged){&c, 100};
    assert_int_equal(wsc__loop_post_control(loop, run_tagged, t), WSC_OK);
    run_until_ran(&c, 9);
    assert_int_equal(c.ran, 9);
    for (int i = 0; i < 8; i++)
        assert_int_equal(c.order[i], i); /* in post order, the first 8 */
    assert_int_equal(c.order[8], 100);
    /* Drained: room again. */
    c.n_posts = 8;
    c.next_tag = 0;
    post_many(&c);
    assert_int_equal(c.accepted, 16);
    run_until_ran(&c, 17);
    assert_int_equal(c.ran, 17);
    wsc_loop_run_once(loop, 0);
    assert_int_equal(c.ran, 17);
    wsc_loop_free(loop);
}

static void
test_loop__posts_wake_the_loop_once_per_batch(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        wsc_loop *loop = new_loop(backends[b]);
        struct counted c = {.loop = loop, .n_posts = 1000};
        pthread_t th;
        assert_int_equal(pthread_create(&th, NULL, post_many, &c), 0);
        pthread_join(th, NULL);
        assert_int_equal(c.accepted, 1000);
        uint64_t posts = 0, wakes = 0;
        wsc__loop_post_stats(loop, &posts, &wakes);
        assert_int_equal(posts, 1000);
        assert_int_equal(wakes, 1); /* only the post that found the queue empty */
        /* One wake-up, one drain: all 1000 run in the first round that sees it. */
        uint64_t end = wsc__now_ms() + 5000;
        while (c.ran == 0 && wsc__now_ms() < end)
            wsc_loop_run_once(loop, 10);
        assert_int_equal(c.ran, 1000);
        /* The next batch wakes it again, once. */
        c.n_posts = 300;
        assert_int_equal(pthread_create(&th, NULL, post_many, &c), 0);
        pthread_join(th, NULL);
        wsc__loop_post_stats(loop, &posts, &wakes);
        assert_int_equal(posts, 1300);
        assert_int_equal(wakes, 2);
        run_until_ran(&c, 1300);
        assert_int_equal(c.ran, 1300);
        wsc_loop_free(loop);
    }
}

static void
copied_run(void *data)
{
    int *seen = NULL;
    memcpy(&seen, data, sizeof(seen));
    unsigned char *p = data;
    int ok = ((uintptr_t)data % 8) == 0;
    for (size_t i = sizeof(seen); i < WSC__LOOP_POST_INLINE; i++)
        ok = ok && p[i] == (unsigned char)i;
    *seen = ok ? 1 : -1;
}

static void
test_loop__post_copy_carries_its_bytes(void **state)
{
    (void)state;
    wsc_loop *loop = new_loop(WSC_LOOP_EPOLL);
    int seen = 0;
    unsigned char item[WSC__LOOP_POST_INLINE + 1];
    int *at = &seen;
    memcpy(item, &at, sizeof(at));
    for (size_t i = sizeof(at); i < sizeof(item); i++)
        item[i] = (unsigned char)i;
    assert_int_equal(wsc__loop_post_copy(loop, copied_run, item, 0), WSC_ERR_INVALID);
    assert_int_equal(wsc__loop_post_copy(loop, copied_run, item, sizeof(item)), WSC_ERR_INVALID);
    assert_int_equal(wsc__loop_post_copy(loop, copied_run, item, WSC__LOOP_POST_INLINE), WSC_OK);
    memset(item, 0, sizeof(item)); /* the queue holds its own copy */
    wsc_loop_run_once(loop, 0);
    assert_int_equal(seen, 1);
    wsc_loop_free(loop);
}

/* wsc__loop_soon: the end of a pass. */
struct soon_rec {
    wsc_loop *loop;
    wsc__timer timer;
    wsc__soon a, b, c;
    char order[16]; /* what ran, in order: T timer, a/b/c the soon work */
    size_t n;
};

static void
soon_note(struct soon_rec *r, char what)
{
    if (r->n + 1 < sizeof(r->order))
        r->order[r->n++] = what;
}

static void
soon_a(wsc__soon *s)
{
    struct soon_rec *r = wsc_container_of(s, struct soon_rec, a);
    soon_note(r, 'a');
    wsc__loop_soon(r->loop, &r->c); /* queued by soon work: runs in the same end of pass */
}

static void
soon_b(wsc__soon *s)
{
    soon_note(wsc_container_of(s, struct soon_rec, b), 'b');
}

static void
soon_c(wsc__soon *s)
{
    soon_note(wsc_container_of(s, struct soon_rec, c), 'c');
}

static void
soon_timer(wsc__timer *t)
{
    struct soon_rec *r = wsc_container_of(t, struct soon_rec, timer);
    soon_note(r, 'T');
    wsc__loop_soon(r->loop, &r->a);
    wsc__loop_soon(r->loop, &r->a); /* queued twice: runs once */
    wsc__loop_soon(r->loop, &r->b);
    wsc__soon_cancel(&r->b); /* taken out: does not run */
}

static void
soon_rec_init(struct soon_rec *r, wsc_loop *loop)
{
    memset(r, 0, sizeof(*r));
    r->loop = loop;
    wsc__timer_init(&r->timer, loop, soon_timer);
    wsc__soon_init(&r->a, soon_a);
    wsc__soon_init(&r->b, soon_b);
    wsc__soon_init(&r->c, soon_c);
}

static void
test_loop__soon_work_runs_at_the_end_of_the_pass(void **state)
{
    (void)state;
    for (size_t b = 0; b < 2; b++) {
        wsc_loop *loop = new_loop(backends[b]);
        for (int i = 0; i < 3; i++)
            wsc_loop_run_once(loop, 0);
        struct soon_rec r;
        soon_rec_init(&r, loop);
        /* Queued inside a pass (by a timer): run when that pass ends, once, in order. */
        wsc__timer_start(&r.timer, 5);
        uint64_t t0 = wsc__now_ms();
        while (r.n == 0 && wsc__now_ms() - t0 < 5000)
            wsc_loop_run_once(loop, 1000);
        assert_string_equal(r.order, "Tac");
        assert_false(r.a.queued || r.b.queued || r.c.queued);
        /* Queued between passes: the next pass does not wait for events (its bound is 5 s). */
        r.n = 0;
        memset(r.order, 0, sizeof(r.order));
        wsc__loop_soon(loop, &r.b);
        t0 = wsc__now_ms();
        assert_int_equal(wsc_loop_run_once(loop, 5000), WSC_OK);
        assert_true(wsc__now_ms() - t0 < 1000);
        assert_string_equal(r.order, "b");
        /* Still queued when the loop is freed: dropped, never run. */
        r.n = 0;
        memset(r.order, 0, sizeof(r.order));
        wsc__loop_soon(loop, &r.c);
        wsc_loop_free(loop);
        assert_int_equal(r.n, 0);
        assert_false(r.c.queued);
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
        cmocka_unit_test(test_loop__microsecond_timer_fires_in_order),
        cmocka_unit_test(test_loop__post_from_another_thread_wakes_run),
        cmocka_unit_test(test_loop__post_queue_is_bounded_and_keeps_what_it_accepted),
        cmocka_unit_test(test_loop__posts_wake_the_loop_once_per_batch),
        cmocka_unit_test(test_loop__post_copy_carries_its_bytes),
        cmocka_unit_test(test_loop__soon_work_runs_at_the_end_of_the_pass),
    };
    return cmocka_run_group_tests_name("unit.loop.loop", tests, NULL, NULL);
}
