/* SPDX-License-Identifier: MIT */
/* The Redis Cluster store (redis+cluster://, src/repository/redis/redis_cluster.c) against two
 * fake nodes (tests/support/tfakeredis.h): node A is the seed and, by its CLUSTER SLOTS, holds
 * every slot; node B is where A redirects.  docs/cluster.md and the file's header promise: a
 * MOVED is followed to the node it names (and the map asked again), an ASK sends ASKING then
 * the command there, TRYAGAIN and CLUSTERDOWN send it again 50 ms later (CLUSTERDOWN asks for
 * the map too), all within the request's one command timeout; a redirection that cannot be
 * read, or one more than 16 in a row, is the caller's WSC_ERR_STORE with the server's words
 * in wsc_store_last_error.  A slot map of the wrong shape is not taken: requests wait for a
 * good one (WSC_ERR_STORE at the command timeout) and the store keeps asking until it gets it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include <wsc/store.h>

#include "tfakeredis.h"
#include "tstore.h"
#include "twait.h"

struct node {
    tfakeredis f;
    const char *slots; /* the answer to CLUSTER SLOTS */
    const char *first; /* the answer to the first other command (NULL: then) */
    const char *then;  /* to every later one */
    int slots_asked;   /* CLUSTER SLOTS received */
    int others;        /* every other command received */
    int asking_at;     /* commands received when ASKING came (-1: never) */
    char log[8][32];   /* the first commands, in order */
    char redirect[64]; /* "127.0.0.1:<port of B>" */
    char map[256];     /* a good CLUSTER SLOTS: every slot on A */
};

struct fixture {
    wsc_loop *loop;
    wsc_store *store;
    struct node a, b;
};

static const char *
answer(tfakeredis *f, int argc, char argv[][64], void *user)
{
    (void)f;
    struct node *n = user;
    const char *name = argv[0];
    if (strcmp(name, "CLUSTER") == 0 && argc > 1 && strcmp(argv[1], "SLOTS") == 0) {
        n->slots_asked++;
        return n->slots;
    }
    int i = n->others++;
    if (i < 8)
        snprintf(n->log[i], sizeof(n->log[i]), "%s", name);
    if (strcmp(name, "ASKING") == 0) {
        n->asking_at = i;
        return "+OK\r\n";
    }
    if (n->first != NULL) {
        const char *s = n->first;
        n->first = NULL;
        return s;
    }
    return n->then;
}

static void
node_start(struct node *n)
{
    memset(n, 0, sizeof(*n));
    tfakeredis_start(&n->f);
    n->f.reply = answer;
    n->f.user = n;
    n->asking_at = -1;
    n->then = ":3\r\n";
}

static void
pump(struct fixture *fx)
{
    tfakeredis_pump(&fx->a.f);
    tfakeredis_pump(&fx->b.f);
}

/* Opens the store on seed A (its map set by the test before). */
static void
open_store(struct fixture *fx, uint32_t timeout_ms)
{
    char url[64];
    snprintf(url, sizeof(url), "redis+cluster://127.0.0.1:%d", fx->a.f.port);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = timeout_ms;
    cfg.reconnect_min_ms = 20;
    cfg.reconnect_max_ms = 50;
    assert_int_equal(wsc_store_open(fx->loop, url, &cfg, &fx->store), WSC_OK);
}

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || wsc_loop_new(&fx->loop) != WSC_OK)
        return -1;
    node_start(&fx->a);
    node_start(&fx->b);
    snprintf(fx->a.redirect, sizeof(fx->a.redirect), "127.0.0.1:%d", fx->b.f.port);
    /* Every slot on A, its address left empty: the asked node's own. */
    snprintf(fx->a.map, sizeof(fx->a.map), "*1\r\n*3\r\n:0\r\n:16383\r\n*2\r\n$0\r\n\r\n:%d\r\n",
             fx->a.f.port);
    fx->a.slots = fx->b.slots = fx->a.map;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    wsc_store_close(fx->store);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(fx->loop, 1);
    tfakeredis_stop(&fx->a.f);
    tfakeredis_stop(&fx->b.f);
    wsc_loop_free(fx->loop);
    free(fx);
    return 0;
}

struct waiting {
    struct fixture *fx;
    tres *r;
};

static bool
answered(void *arg)
{
    struct waiting *w = arg;
    pump(w->fx);
    return w->r->calls > 0;
}

/* wsc_offline_count of "u" (a command on the user's slot); its result in r. */
static void
count(struct fixture *fx, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_offline_count(wsc_store_offline(fx->store), "u", tres_count, r), WSC_OK);
    struct waiting w = {fx, r};
    assert_true(twait_until(NULL, fx->loop, answered, &w, 5000));
    wsc_loop_run_once(fx->loop, 1);
    assert_int_equal(r->calls, 1);
}

static long long
mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static void
test_redis_cluster_fake__moved_is_followed(void **state)
{
    struct fixture *fx = *state;
    open_store(fx, 2000);
    char moved[96];
    snprintf(moved, sizeof(moved), "-MOVED 1234 %s\r\n", fx->a.redirect);
    fx->a.first = moved;
    fx->b.then = ":7\r\n";
    tres r;
    count(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 7); /* B's answer */
    assert_int_equal(fx->b.others, 1);
    assert_int_equal(fx->b.asking_at, -1);
    assert_true(fx->a.slots_asked >= 1);
}

static bool
slots_asked_twice(void *arg)
{
    struct fixture *fx = arg;
    pump(fx);
    return fx->a.slots_asked >= 2;
}

static void
test_redis_cluster_fake__moved_asks_for_the_map_again(void **state)
{
    struct fixture *fx = *state;
    open_store(fx, 2000);
    tres r;
    count(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(fx->a.slots_asked, 1);
    char moved[96];
    snprintf(moved, sizeof(moved), "-MOVED 1234 %s\r\n", fx->a.redirect);
    fx->a.first = moved;
    count(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_true(twait_until(NULL, fx->loop, slots_asked_twice, fx, 2000));
}

static void
test_redis_cluster_fake__ask_sends_asking_first(void **state)
{
    struct fixture *fx = *state;
    open_store(fx, 2000);
    char ask[96];
    snprintf(ask, sizeof(ask), "-ASK 1234 %s\r\n", fx->a.redirect);
    fx->a.first = ask;
    fx->b.then = ":9\r\n";
    tres r;
    count(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 9);
    assert_int_equal(fx->b.others, 2);
    assert_int_equal(fx->b.asking_at, 0); /* ASKING, then the command */
    assert_string_not_equal(fx->b.log[1], "ASKING");
    assert_int_equal(fx->a.slots_asked, 1); /* an ASK moves no slot: the map stays */
}

static void
test_redis_cluster_fake__tryagain_and_clusterdown_go_again_later(void **state)
{
    struct fixture *fx = *state;
    open_store(fx, 2000);
    tres r;
    count(fx, &r);
    assert_int_equal(fx->a.slots_asked, 1);
    fx->a.first = "-TRYAGAIN Multiple keys request during rehashing of slot\r\n";
    fx->a.then = ":4\r\n";
    int before = fx->a.others;
    long long t0 = mono_ms();
    count(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 4);
    assert_true(mono_ms() - t0 >= 45); /* 50 ms later (the clock's grain aside) */
    assert_int_equal(fx->a.others - before, 2);
    assert_int_equal(fx->a.slots_asked, 1);
    fx->a.first = "-CLUSTERDOWN The cluster is down\r\n";
    count(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 4);
    assert_int_equal(fx->a.slots_asked, 2); /* and the map was asked again */
}

static void
test_redis_cluster_fake__bad_redirections_are_store_failures(void **state)
{
    struct fixture *fx = *state;
    open_store(fx, 2000);
    char self[96];
    snprintf(self, sizeof(self), "-MOVED 1234 127.0.0.1:%d\r\n", fx->a.f.port);
    const char *const bad[] = {
        "-MOVED\r\n",                 /* no slot */
        "-MOVED x 127.0.0.1:1\r\n",   /* a slot that is no number */
        "-ASK 16384 127.0.0.1:1\r\n", /* a slot out of range */
        "-MOVED 5 127.0.0.1\r\n",     /* no port */
        "-ASK 5 :6379\r\n",           /* no host */
        self,                         /* back to A, forever: 16 redirections, then no more */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx->a.first = NULL;
        fx->a.then = bad[i];
        tres r;
        count(fx, &r);
        if (r.status != WSC_ERR_STORE)
            fail_msg("%s: %s, not STORE", bad[i], wsc_err_name(r.status));
        const char *why = wsc_store_last_error(fx->store);
        if (strncmp(why, "redis: ", 7) != 0 || strncmp(why + 7, bad[i] + 1, 3) != 0)
            fail_msg("%s: last error \"%s\"", bad[i], why);
    }
    /* Each of those once, the last one 17 times (the first try and 16 redirections). */
    assert_int_equal(fx->a.others, 5 + 17);
    fx->a.then = ":3\r\n";
    tres r;
    count(fx, &r);
    assert_int_equal(r.status, WSC_OK);
}

static void
test_redis_cluster_fake__wrong_slot_maps_are_not_taken(void **state)
{
    struct fixture *fx = *state;
    /* One entry of the map each (its master's port appended when port is set). */
    static const struct {
        const char *head;
        bool port;
    } entries[] = {
        {":5\r\n", false},                                     /* an entry that is no array */
        {"*2\r\n:0\r\n:16383\r\n", false},                     /* no master */
        {"*3\r\n$1\r\n0\r\n:16383\r\n*2\r\n$0\r\n\r\n", true}, /* a start, no integer */
        {"*3\r\n:0\r\n:16383\r\n:1\r\n", false},               /* a master, no array */
        {"*3\r\n:0\r\n:16383\r\n*2\r\n:1\r\n", true},          /* an address, no string */
        {"*3\r\n:9\r\n:3\r\n*2\r\n$0\r\n\r\n", true},          /* start after end */
        {"*3\r\n:0\r\n:16384\r\n*2\r\n$0\r\n\r\n", true},      /* past the last slot */
        {"*3\r\n:0\r\n:16383\r\n*2\r\n$0\r\n\r\n$4\r\n6379\r\n", false}, /* a string port */
    };
    char buf[8][160];
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++) {
        int n = snprintf(buf[i], sizeof(buf[i]), "*1\r\n%s", entries[i].head);
        if (entries[i].port)
            snprintf(buf[i] + n, sizeof(buf[i]) - (size_t)n, ":%d\r\n", fx->a.f.port);
    }
    for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]) + 1; i++) {
        /* The last round: a map that is no array at all. */
        fx->a.slots = i < sizeof(entries) / sizeof(entries[0]) ? buf[i] : "+OK\r\n";
        fx->a.slots_asked = 0;
        open_store(fx, 300);
        tres r;
        count(fx, &r);
        if (r.status != WSC_ERR_STORE)
            fail_msg("map %zu: %s, not STORE", i, wsc_err_name(r.status));
        assert_true(fx->a.slots_asked >= 2); /* it kept asking */
        assert_int_equal(fx->a.others, 0);   /* nothing else was sent meanwhile */
        /* A good map: the store takes it on its next try, and serves again. */
        fx->a.slots = fx->a.map;
        count(fx, &r);
        assert_int_equal(r.status, WSC_OK);
        assert_int_equal(r.count, 3);
        wsc_store_close(fx->store);
        fx->store = NULL;
        for (int k = 0; k < 3; k++)
            wsc_loop_run_once(fx->loop, 1);
        tfakeredis_drop(&fx->a.f, false);
        fx->a.others = 0;
    }
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_cluster_fake__moved_is_followed, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_cluster_fake__moved_asks_for_the_map_again,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_cluster_fake__ask_sends_asking_first, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(
            test_redis_cluster_fake__tryagain_and_clusterdown_go_again_later, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_redis_cluster_fake__bad_redirections_are_store_failures, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_cluster_fake__wrong_slot_maps_are_not_taken,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.repository.redis_cluster_fake", tests, NULL, NULL);
}
