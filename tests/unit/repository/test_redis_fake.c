/* SPDX-License-Identifier: MIT */
/* The Redis store against a fake Redis server (tests/support/tfakeredis.h: 127.0.0.1, port 0,
 * pumped from the test's own thread while the loop runs): what a real server seldom does on
 * demand.  A reply that is an error completes the op with WSC_ERR_STORE and
 * wsc_store_last_error() quotes it; a reply of the wrong shape for any read completes
 * WSC_ERR_STORE (never a made-up answer, never a crash); a refused handshake (SELECT) leaves ops
 * waiting until the command timeout, then WSC_ERR_STORE saying why; a connection reset by the
 * server (RST, docs/storage.md "Redis on the lws loop": a hang-up) fails what is in flight with
 * WSC_ERR_STORE and the store connects again by itself; a server that never answers gives
 * WSC_ERR_TIMEOUT. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/repository_ext.h>
#include <wsc/store.h>

#include "tfakeredis.h"
#include "tstore.h"
#include "twait.h"

struct waiting {
    tfakeredis *f;
    tres *r;
    size_t n;
};

static bool
all_answered(void *arg)
{
    struct waiting *w = arg;
    tfakeredis_pump(w->f);
    for (size_t i = 0; i < w->n; i++)
        if (w->r[i].calls == 0)
            return false;
    return true;
}

struct fixture {
    wsc_loop *loop;
    wsc_store *store;
    tfakeredis f;
};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || wsc_loop_new(&fx->loop) != WSC_OK)
        return -1;
    tfakeredis_start(&fx->f);
    if (tfakeredis_open_store(&fx->f, fx->loop, 400, &fx->store) != WSC_OK)
        return -1;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    tfakeredis_close_store(&fx->f, fx->loop, fx->store);
    wsc_loop_free(fx->loop);
    free(fx);
    return 0;
}

/* Waits (pumping the fake) until r has its one callback. */
static void
wait_one(struct fixture *fx, tres *r)
{
    struct waiting w = {&fx->f, r, 1};
    assert_true(twait_until(NULL, fx->loop, all_answered, &w, 5000));
    wsc_loop_run_once(fx->loop, 1);
    assert_int_equal(r->calls, 1);
}

static wsc_err
ping(struct fixture *fx)
{
    tres r = {0};
    assert_int_equal(wsc_store_ping(fx->store, tres_done, &r), WSC_OK);
    wait_one(fx, &r);
    return r.status;
}

static void
test_redis_fake__error_reply_is_store_failure(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(ping(fx), WSC_OK);
    fx->f.canned = "-ERR something broke\r\n";
    assert_int_equal(ping(fx), WSC_ERR_STORE);
    assert_non_null(strstr(wsc_store_last_error(fx->store), "ERR something broke"));
    tres r = {0};
    assert_int_equal(wsc_offline_count(wsc_store_offline(fx->store), "u", tres_count, &r), WSC_OK);
    wait_one(fx, &r);
    assert_int_equal(r.status, WSC_ERR_STORE);
    assert_int_equal(r.count, 0);
    /* The connection is fine: the next good answer is an answer. */
    fx->f.canned = "+PONG\r\n";
    assert_int_equal(ping(fx), WSC_OK);
    assert_int_equal(fx->f.accepted, 1);
}

/* Every read of every repository, answered with a reply of the wrong shape. */
static void
reads(struct fixture *fx, tres *r, size_t *n)
{
    wsc_store *s = fx->store;
    const char *ids[] = {"n1", "n2"};
    const char *cand[] = {"a", "b"};
    size_t i = 0;
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(s), "u", 0, 10, tres_fetch, &r[i++]),
                     WSC_OK);
    assert_int_equal(wsc_offline_count(wsc_store_offline(s), "u", tres_count, &r[i++]), WSC_OK);
    assert_int_equal(wsc_record_get(wsc_store_records(s), "m", "u", tres_record, &r[i++]), WSC_OK);
    assert_int_equal(wsc_online_get(wsc_store_online(s), "u", tres_online, &r[i++]), WSC_OK);
    assert_int_equal(wsc_connrec_get(wsc_store_connrecs(s), "n", 7, tres_connrec, &r[i++]), WSC_OK);
    assert_int_equal(wsc_hubstats_get_many(wsc_store_hubstats(s), ids, 2, tres_stats, &r[i++]),
                     WSC_OK);
    assert_int_equal(wsc_hubstats_list(wsc_store_hubstats(s), tres_ids, &r[i++]), WSC_OK);
    assert_int_equal(wsc_queue_pop(wsc_store_queues(s), "q", 3, tres_msgs, &r[i++]), WSC_OK);
    assert_int_equal(wsc_queue_length(wsc_store_queues(s), "q", tres_count, &r[i++]), WSC_OK);
    assert_int_equal(wsc_workload_get(wsc_store_workload(s), "ns", "a", tres_count, &r[i++]),
                     WSC_OK);
    assert_int_equal(wsc_workload_add(wsc_store_workload(s), "ns", "a", 2, tres_count, &r[i++]),
                     WSC_OK);
    assert_int_equal(wsc_workload_acquire_least_loaded(wsc_store_workload(s), "ns", cand, 2, 0,
                                                       tres_acquire, &r[i++]),
                     WSC_OK);
    *n = i;
}

static const char *const read_names[] = {
    "offline fetch", "offline count", "record get",    "online get",
    "connrec get",   "hubstats get",  "hubstats list", "queue pop",
    "queue length",  "workload get",  "workload add",  "workload acquire",
};

static void
test_redis_fake__wrong_shapes_are_store_failures(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(ping(fx), WSC_OK);
    /* No read takes any of these for an answer, but two strings (the third) are a hash with
     * fields the store does not know (a record, a connection record, a node's stats), a
     * list of two node ids or an agent and its load all the same. */
    static const char *const shapes[] = {
        "*1\r\n*0\r\n",                        /* an array of an array */
        "*3\r\n$1\r\na\r\n:1\r\n$1\r\nb\r\n",  /* odd-length, an integer inside */
        "*2\r\n$1\r\n7\r\n$8\r\nnot-json\r\n", /* a pair whose value does not parse */
        "*2\r\n:5\r\n:6\r\n",                  /* two integers */
        "*3\r\n$1\r\na\r\n$1\r\nb\r\n:3\r\n",  /* strings, then an integer */
    };
    for (size_t k = 0; k < sizeof(shapes) / sizeof(shapes[0]); k++) {
        fx->f.canned = shapes[k];
        tres r[16];
        memset(r, 0, sizeof(r));
        size_t n;
        reads(fx, r, &n);
        struct waiting w = {&fx->f, r, n};
        assert_true(twait_until(NULL, fx->loop, all_answered, &w, 5000));
        for (size_t i = 0; i < n; i++) {
            assert_int_equal(r[i].calls, 1);
            bool strings = strcmp(read_names[i], "record get") == 0 ||
                           strcmp(read_names[i], "connrec get") == 0 ||
                           strcmp(read_names[i], "hubstats get") == 0 ||
                           strcmp(read_names[i], "hubstats list") == 0 ||
                           strcmp(read_names[i], "workload acquire") == 0;
            if (k == 2 && strings && r[i].status == WSC_OK)
                continue;
            if (r[i].status != WSC_ERR_STORE)
                fail_msg("%s, reply %zu: %s, not STORE", read_names[i], k,
                         wsc_err_name(r[i].status));
        }
    }
    fx->f.canned = "+PONG\r\n";
    assert_int_equal(ping(fx), WSC_OK);
}

static void
test_redis_fake__refused_select_times_out_saying_why(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(ping(fx), WSC_OK);
    /* The server drops the connection and refuses the database from now on. */
    fx->f.select_says = "-ERR DB index is out of range\r\n";
    tfakeredis_drop(&fx->f, false);
    /* A ping sent before the store saw the close fails with it; the next one waits for a
     * connection that is refused every time. */
    assert_int_equal(ping(fx), WSC_ERR_STORE);
    tres r = {0};
    assert_int_equal(wsc_store_ping(fx->store, tres_done, &r), WSC_OK);
    wait_one(fx, &r);
    assert_int_equal(r.status, WSC_ERR_STORE);
    const char *why = wsc_store_last_error(fx->store);
    if (strstr(why, "handshake") == NULL || strstr(why, "out of range") == NULL)
        fail_msg("last error: %s", why);
    assert_true(fx->f.accepted >= 2); /* it kept trying */
    /* The database comes back: the store is ready again by itself. */
    fx->f.select_says = "+OK\r\n";
    int tries = 0;
    wsc_err st = WSC_ERR_STORE;
    while (st != WSC_OK && tries++ < 20)
        st = ping(fx);
    assert_int_equal(st, WSC_OK);
}

static void
test_redis_fake__reset_fails_in_flight_then_reconnects(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(ping(fx), WSC_OK);
    fx->f.mode = TFAKEREDIS_RESET;
    tres r[8];
    memset(r, 0, sizeof(r));
    for (int i = 0; i < 8; i++)
        assert_int_equal(wsc_offline_count(wsc_store_offline(fx->store), "u", tres_count, &r[i]),
                         WSC_OK);
    struct waiting w = {&fx->f, r, 8};
    assert_true(twait_until(NULL, fx->loop, all_answered, &w, 5000));
    for (int i = 0; i < 8; i++) {
        assert_int_equal(r[i].calls, 1);
        assert_int_equal(r[i].status, WSC_ERR_STORE);
    }
    assert_non_null(strstr(wsc_store_last_error(fx->store), "redis: "));
    /* The server behaves again: the store has connected anew by itself. */
    fx->f.mode = TFAKEREDIS_REPLY;
    fx->f.canned = "+PONG\r\n";
    int tries = 0;
    wsc_err st = WSC_ERR_STORE;
    while (st != WSC_OK && tries++ < 20)
        st = ping(fx);
    assert_int_equal(st, WSC_OK);
    assert_true(fx->f.accepted >= 2);
}

static void
test_redis_fake__silence_is_a_timeout(void **state)
{
    struct fixture *fx = *state;
    assert_int_equal(ping(fx), WSC_OK);
    fx->f.mode = TFAKEREDIS_SILENT;
    assert_int_equal(ping(fx), WSC_ERR_TIMEOUT);
    assert_non_null(strstr(wsc_store_last_error(fx->store), "timed out"));
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_fake__error_reply_is_store_failure, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_fake__wrong_shapes_are_store_failures, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_fake__refused_select_times_out_saying_why, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_fake__reset_fails_in_flight_then_reconnects,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_fake__silence_is_a_timeout, setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.repository.redis_fake", tests, NULL, NULL);
}
