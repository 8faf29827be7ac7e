/* SPDX-License-Identifier: MIT */
/* The hybrid store's offline answers when MySQL is not there (127.0.0.1 port 1: its ops end
 * with WSC_ERR_STORE within the command timeout) and Redis is a fake (tests/support/
 * tfakeredis.h) answering each offline script as the test says:
 * - store with ack_on_cache: Redis's full (WSC_ERR_LIMIT) is the answer when MySQL cannot
 *   tell; Redis's failure leaves MySQL's; Redis's OK is OK;
 * - fetch: Redis with nothing and MySQL failing is an empty answer (WSC_OK), Redis failing
 *   too is MySQL's failure; a MySQL cursor goes to MySQL only;
 * - remove with ack_on_cache: Redis's removal is the answer while MySQL does not answer, and
 *   the removal is owed to MySQL (an 'r' marker); without it, MySQL's failure;
 * - count: the one that answers;
 * - the drain keeps a marker it cannot settle (the list or the copy unreadable, MySQL down, the
 *   marker's removal failing) and tries again next turn; a copy gone is dropped, then checked;
 * - a store closed while the drain waits for Redis or MySQL ends the turn there;
 * - a store closed with ops in flight cancels each (WSC_ERR_CANCELED, once). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/store.h>

#include "repository/hybrid/hybrid_internal.h"
#include "tfakeredis.h"
#include "tstore.h"
#include "twait.h"

#define MYSQL_DOWN "mysql://u:p@127.0.0.1:1/db"

struct fixture {
    wsc_loop *loop;
    tfakeredis f;
    const char *says;      /* the answer to the offline scripts (keys wsc:off:{...}) */
    const char *list_says; /* to the drain's read of the write-ahead list (NULL: silence) */
    const char *body_says; /* to the drain's read of a copy (NULL: no answer when silent) */
    const char *zrem_says; /* to a marker's removal (NULL: silence) */
    int marks;             /* write-ahead markers written for a removal */
    int lists, bodies, zrems, stills; /* the drain's commands seen */
    const char *fetch_says;           /* to the offline fetch script (NULL: says) */
    int counts;                       /* offline count scripts seen */
    uint32_t timeout_ms;              /* the command timeout of the stores opened (0: 300) */
};

/* The drain's commands are counted and answered as fx says (a copy's read and the check
 * that follows a marker's removal are told apart by their script); the offline scripts on
 * the user's keys get fx->says; a removal's marker is counted (its script's first key is the
 * write-ahead list, its arguments name the 'r'); anything else gets an empty array. */
static const char *
reply_fn(tfakeredis *f, int argc, char argv[][64], void *user)
{
    struct fixture *fx = user;
    (void)f;
    if (strcmp(argv[0], "ZRANGEBYSCORE") == 0) {
        fx->lists++;
        return fx->list_says;
    }
    if (strcmp(argv[0], "ZREM") == 0) {
        fx->zrems++;
        return fx->zrem_says;
    }
    if (strcmp(argv[0], "EVAL") != 0 || argc < 4)
        return "*0\r\n";
    if (strncmp(argv[1], "return {redis.call('HGET'", 25) == 0) {
        fx->bodies++;
        return fx->body_says;
    }
    if (strncmp(argv[1], "if redis.call('HEXISTS'", 23) == 0) {
        fx->stills++;
        return ":1\r\n";
    }
    /* fetch: 4 keys and 3 arguments; count: 4 keys and 1. */
    if (strncmp(argv[3], "wsc:off:{", 9) == 0 && argc == 10 && fx->fetch_says != NULL)
        return fx->fetch_says;
    if (strncmp(argv[3], "wsc:off:{", 9) == 0 && argc == 8)
        fx->counts++;
    if (strncmp(argv[3], "wsc:off:{", 9) == 0)
        return fx->says;
    for (int i = 4; i < argc; i++)
        if (argv[i][0] == 'r' && argv[i][1] == ' ')
            fx->marks++;
    return ":1\r\n";
}

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || wsc_loop_new(&fx->loop) != WSC_OK)
        return -1;
    tfakeredis_start(&fx->f);
    fx->f.reply = reply_fn;
    fx->f.user = fx;
    fx->list_says = "*0\r\n";
    fx->zrem_says = ":1\r\n";
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    tfakeredis_stop(&fx->f);
    wsc_loop_free(fx->loop);
    free(fx);
    return 0;
}

static wsc_store *
open_hybrid(struct fixture *fx, bool ack_on_cache)
{
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", fx->f.port);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = fx->timeout_ms != 0 ? fx->timeout_ms : 300;
    cfg.reconnect_min_ms = 20;
    cfg.reconnect_max_ms = 50;
    wsc_hybrid_config hc;
    wsc_hybrid_config_init(&hc);
    hc.ack_on_cache = ack_on_cache;
    hc.retry_ms = 50;
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open_hybrid(fx->loop, url, MYSQL_DOWN, &cfg, &hc, &s), WSC_OK);
    return s;
}

static void
close_hybrid(struct fixture *fx, wsc_store *s)
{
    wsc_store_close(s);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(fx->loop, 1);
}

static void
wait_for(struct fixture *fx, tres *r)
{
    tfakeredis_wait_one(&fx->f, fx->loop, r);
}

static wsc_err
store_says(struct fixture *fx, wsc_store *s, const char *says)
{
    fx->says = says;
    wsc_msg *m = tstore_msg("m1", "x");
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), "u", m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    wait_for(fx, &r);
    return r.status;
}

static void
test_hybrid_fake__store_with_ack_on_cache(void **state)
{
    struct fixture *fx = *state;
    wsc_store *s = open_hybrid(fx, true);
    assert_int_equal(store_says(fx, s, ":1\r\n"), WSC_OK);
    assert_int_equal(store_says(fx, s, ":-1\r\n"), WSC_ERR_LIMIT);
    wsc_err st = store_says(fx, s, "-ERR broken\r\n");
    if (st != WSC_ERR_STORE && st != WSC_ERR_TIMEOUT)
        fail_msg("Redis and MySQL failing: %s", wsc_err_name(st));
    close_hybrid(fx, s);
    /* Without ack_on_cache MySQL's answer is the answer, whatever Redis says. */
    s = open_hybrid(fx, false);
    st = store_says(fx, s, ":1\r\n");
    if (st != WSC_ERR_STORE && st != WSC_ERR_TIMEOUT)
        fail_msg("MySQL failing: %s", wsc_err_name(st));
    close_hybrid(fx, s);
}

static wsc_err
fetch_says(struct fixture *fx, wsc_store *s, uint64_t after, const char *says, tres *r)
{
    fx->says = says;
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(s), "u", after, 10, tres_fetch, r),
                     WSC_OK);
    wait_for(fx, r);
    return r->status;
}

static void
test_hybrid_fake__fetch_when_mysql_fails(void **state)
{
    struct fixture *fx = *state;
    wsc_store *s = open_hybrid(fx, false);
    tres r;
    /* Redis has nothing; MySQL cannot tell: nothing. */
    assert_int_equal(fetch_says(fx, s, 0, "*0\r\n", &r), WSC_OK);
    assert_int_equal(r.n, 0);
    /* Redis fails too: the failure. */
    wsc_err st = fetch_says(fx, s, 0, "-ERR broken\r\n", &r);
    if (st != WSC_ERR_STORE && st != WSC_ERR_TIMEOUT)
        fail_msg("both failing: %s", wsc_err_name(st));
    /* A MySQL cursor pages on MySQL, whatever Redis holds. */
    st = fetch_says(fx, s, (UINT64_C(1) << 63) | 5, "*0\r\n", &r);
    if (st != WSC_ERR_STORE && st != WSC_ERR_TIMEOUT)
        fail_msg("MySQL cursor: %s", wsc_err_name(st));
    /* Redis's page past cursor 0 is the answer (no count to compare). */
    assert_int_equal(
        fetch_says(fx, s, 3,
                   "*2\r\n$1\r\n4\r\n$35\r\n9 {\"type\":\"text\",\"message_id\":\"m4\"}\r\n", &r),
        WSC_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "m4");
    assert_int_equal(r.cursor, 4);
    /* A full first page whose counts cannot be compared (both fail): the page is the answer. */
    fx->fetch_says = "*2\r\n$1\r\n4\r\n$35\r\n9 {\"type\":\"text\",\"message_id\":\"m4\"}\r\n";
    fx->says = "-ERR broken\r\n";
    memset(&r, 0, sizeof(r));
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(s), "u", 0, 1, tres_fetch, &r), WSC_OK);
    wait_for(fx, &r);
    fx->fetch_says = NULL;
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.mids[0], "m4");
    close_hybrid(fx, s);
}

static wsc_err
remove_says(struct fixture *fx, wsc_store *s, const char *says)
{
    fx->says = says;
    tres r = {0};
    assert_int_equal(wsc_offline_remove(wsc_store_offline(s), "u", "m1", tres_done, &r), WSC_OK);
    wait_for(fx, &r);
    return r.status;
}

static bool
marked(void *arg)
{
    struct fixture *fx = arg;
    tfakeredis_pump(&fx->f);
    return fx->marks > 0;
}

static void
test_hybrid_fake__remove_and_count_when_mysql_fails(void **state)
{
    struct fixture *fx = *state;
    wsc_store *s = open_hybrid(fx, true);
    assert_int_equal(remove_says(fx, s, "*1\r\n:1\r\n"), WSC_OK);
    /* The removal is owed to MySQL: an 'r' marker for the drain. */
    assert_true(twait_until(NULL, fx->loop, marked, fx, 5000));
    tres r = {0};
    fx->says = ":3\r\n";
    assert_int_equal(wsc_offline_count(wsc_store_offline(s), "u", tres_count, &r), WSC_OK);
    wait_for(fx, &r);
    assert_int_equal(r.status, WSC_OK);
    assert_int_equal(r.count, 3);
    /* Redis cannot remove it either: MySQL's failure. */
    wsc_err st = remove_says(fx, s, "-ERR broken\r\n");
    if (st != WSC_ERR_STORE && st != WSC_ERR_TIMEOUT)
        fail_msg("both failing: %s", wsc_err_name(st));
    close_hybrid(fx, s);
    s = open_hybrid(fx, false);
    st = remove_says(fx, s, "*1\r\n:1\r\n");
    if (st != WSC_ERR_STORE && st != WSC_ERR_TIMEOUT)
        fail_msg("MySQL failing: %s", wsc_err_name(st));
    close_hybrid(fx, s);
}

/* Runs the loop (pumping the fake) until *counter reaches n. */
struct counting {
    struct fixture *fx;
    const int *counter;
    int n;
};

static bool
reached(void *arg)
{
    struct counting *c = arg;
    tfakeredis_pump(&c->fx->f);
    return *c->counter >= c->n;
}

static void
wait_count(struct fixture *fx, const int *counter, int n)
{
    struct counting c = {fx, counter, n};
    assert_true(twait_until(NULL, fx->loop, reached, &c, 5000));
}

static void
drain_reset(struct fixture *fx)
{
    fx->lists = fx->bodies = fx->zrems = fx->stills = 0;
}

#define MARKER_S "*1\r\n$6\r\ns u m1\r\n"
#define BODY_THERE \
    "*2\r\n$47\r\n9999999999999 {\"type\":\"text\",\"message_id\":\"m1\"}\r\n$1\r\n0\r\n"
#define BODY_GONE "*2\r\n$0\r\n\r\n$1\r\n0\r\n"

static void
test_hybrid_fake__drain_keeps_what_it_cannot_settle(void **state)
{
    struct fixture *fx = *state;
    wsc_store *s = open_hybrid(fx, false);
    /* The list cannot be read: the next turn tries again. */
    fx->list_says = "-ERR list\r\n";
    wait_count(fx, &fx->lists, 2);
    assert_int_equal(fx->bodies + fx->zrems, 0);
    /* A copy that cannot be read: its marker stays. */
    fx->list_says = MARKER_S;
    fx->body_says = "-ERR body\r\n";
    drain_reset(fx);
    wait_count(fx, &fx->bodies, 2);
    assert_int_equal(fx->zrems, 0);
    /* A copy MySQL cannot take (it is down): its marker stays. */
    fx->body_says = BODY_THERE;
    drain_reset(fx);
    wait_count(fx, &fx->bodies, 2);
    assert_int_equal(fx->zrems, 0);
    /* A removal MySQL cannot make: its marker stays. */
    fx->list_says = "*1\r\n$6\r\nr u m1\r\n";
    drain_reset(fx);
    wait_count(fx, &fx->lists, 2);
    assert_int_equal(fx->bodies + fx->zrems, 0);
    /* An entry that is no marker, which Redis does not let go: tried again. */
    fx->list_says = "*1\r\n$4\r\njunk\r\n";
    fx->zrem_says = "-ERR zrem\r\n";
    drain_reset(fx);
    wait_count(fx, &fx->zrems, 2);
    assert_int_equal(fx->bodies, 0);
    /* A copy that is gone: the marker is dropped (failing: tried again), then the check. */
    fx->list_says = MARKER_S;
    fx->body_says = BODY_GONE;
    drain_reset(fx);
    wait_count(fx, &fx->zrems, 2);
    assert_int_equal(fx->stills, 0);
    fx->zrem_says = ":1\r\n";
    wait_count(fx, &fx->stills, 1);
    close_hybrid(fx, s);
}

/* The MySQL half of the hybrid store s has a request out. */
static bool
mysql_busy(void *arg)
{
    struct hybrid *h = arg;
    return !wsc_list_empty(&h->mysql->live);
}

/* The store closed while the drain waits for Redis (the list, a copy, an entry's removal) or
 * for MySQL: the turn ends there, nothing more is sent (the asan preset checks that nothing
 * is left). */
static void
test_hybrid_fake__close_mid_drain(void **state)
{
    struct fixture *fx = *state;
    for (int at = 0; at < 4; at++) {
        drain_reset(fx);
        fx->f.mode = at < 3 ? TFAKEREDIS_SILENT : TFAKEREDIS_REPLY;
        fx->list_says = at == 0 ? NULL : at == 2 ? "*1\r\n$4\r\njunk\r\n" : MARKER_S;
        fx->body_says = at == 1 ? NULL : BODY_THERE;
        fx->zrem_says = at == 2 ? NULL : ":1\r\n";
        wsc_store *s = open_hybrid(fx, false);
        wait_count(fx, at == 0 ? &fx->lists : at == 2 ? &fx->zrems : &fx->bodies, 1);
        if (at == 3) /* the copy read, its write to MySQL out */
            assert_true(twait_until(NULL, fx->loop, mysql_busy, s, 5000));
        close_hybrid(fx, s);
        int seen = fx->f.commands;
        tfakeredis_pump(&fx->f);
        assert_int_equal(fx->f.commands, seen);
        assert_int_equal(fx->zrems, at == 2 ? 1 : 0);
    }
}

/* Closed with an op of each kind in flight (Redis silent but for a fetch's first page, whose
 * counts are then out; MySQL not answering within the timeout): each callback runs once, with
 * WSC_ERR_CANCELED. */
static void
test_hybrid_fake__close_cancels_every_op_in_flight(void **state)
{
    struct fixture *fx = *state;
    fx->timeout_ms = 10000;
    fx->f.mode = TFAKEREDIS_SILENT;
    fx->says = NULL;
    fx->fetch_says = "*2\r\n$1\r\n4\r\n$35\r\n9 {\"type\":\"text\",\"message_id\":\"m4\"}\r\n";
    for (int ack = 0; ack < 2; ack++) {
        fx->counts = 0;
        wsc_store *s = open_hybrid(fx, ack != 0);
        struct wsc_offline_repo *off = wsc_store_offline(s);
        tres r[5];
        memset(r, 0, sizeof(r));
        wsc_msg *m = tstore_msg("m1", "x");
        assert_int_equal(wsc_offline_store(off, "u", m, tres_done, &r[0]), WSC_OK);
        wsc_msg_unref(m);
        assert_int_equal(wsc_offline_fetch(off, "u", 0, 10, tres_fetch, &r[1]), WSC_OK);
        assert_int_equal(wsc_offline_remove(off, "u", "m1", tres_done, &r[2]), WSC_OK);
        assert_int_equal(wsc_offline_count(off, "u", tres_count, &r[3]), WSC_OK);
        assert_int_equal(wsc_offline_clear(off, "u", tres_done, &r[4]), WSC_OK);
        /* The fetch's page is in: its counts are out (the count op's own, and the fetch's). */
        wait_count(fx, &fx->counts, 2);
        for (int i = 0; i < 5; i++)
            assert_int_equal(r[i].calls, 0);
        close_hybrid(fx, s);
        for (int i = 0; i < 5; i++) {
            assert_int_equal(r[i].calls, 1);
            assert_int_equal(r[i].status, WSC_ERR_CANCELED);
        }
    }
    fx->f.mode = TFAKEREDIS_REPLY;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hybrid_fake__store_with_ack_on_cache, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hybrid_fake__fetch_when_mysql_fails, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hybrid_fake__remove_and_count_when_mysql_fails, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hybrid_fake__drain_keeps_what_it_cannot_settle, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_hybrid_fake__close_mid_drain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_hybrid_fake__close_cancels_every_op_in_flight, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("unit.repository.hybrid_fake", tests, NULL, NULL);
}
