/* SPDX-License-Identifier: MIT */
/* The Redis offline repository's writes against a fake Redis (tests/support/tfakeredis.h):
 * replies of the wrong shape to a store, a remove, a clear, a fetch and a ping complete
 * WSC_ERR_STORE, never a made-up answer; a negative answer is WSC_ERR_LIMIT; a remove or clear
 * gives back the tally of each (sender, member) pair it reports, and only of well-formed
 * pairs with a sender; a store of a message with a sender runs in two steps (reserve the
 * sender's tally, then store): a refused reservation stops there (WSC_ERR_LIMIT, nothing
 * stored), and a store that fails after the reservation gives the reservation back; a store
 * closed between the two steps cancels it and gives nothing back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/store.h>

#include "tfakeredis.h"
#include "tstore.h"
#include "twait.h"

struct fixture {
    wsc_loop *loop;
    wsc_store *store;
    tfakeredis f;
    /* The scripted answers (reply_fn); NULL: the canned one. */
    const char *reserve_says, *store_says;
    int reserves, stores, untallies;
};

/* The offline scripts are told apart by their first key: the sender's tally (wsc:offs:),
 * with 6 arguments for reserve and 1 for untally, or the user's messages (wsc:off:). */
static const char *
reply_fn(tfakeredis *f, int argc, char argv[][64], void *user)
{
    struct fixture *fx = user;
    (void)f;
    if (strcmp(argv[0], "EVAL") != 0 || argc < 4)
        return NULL;
    if (strncmp(argv[3], "wsc:offs:", 9) == 0) {
        if (argc == 6) {
            fx->untallies++;
            return ":1\r\n";
        }
        fx->reserves++;
        return fx->reserve_says;
    }
    if (strncmp(argv[3], "wsc:off:", 8) == 0) {
        fx->stores++;
        return fx->store_says;
    }
    return NULL;
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
    if (tfakeredis_open_store(&fx->f, fx->loop, 1000, &fx->store) != WSC_OK)
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

struct waiting {
    struct fixture *fx;
    tres *r;
    int untallies; /* and at least this many untally commands seen */
};

static bool
answered(void *arg)
{
    struct waiting *w = arg;
    tfakeredis_pump(&w->fx->f);
    return w->r->calls > 0 && w->fx->untallies >= w->untallies;
}

/* Waits (pumping the fake) for r's callback and `untallies` untally commands in all. */
static void
wait_for(struct fixture *fx, tres *r, int untallies)
{
    struct waiting w = {fx, r, untallies};
    assert_true(twait_until(NULL, fx->loop, answered, &w, 5000));
    wsc_loop_run_once(fx->loop, 1);
    tfakeredis_pump(&fx->f);
    assert_int_equal(r->calls, 1);
}

static wsc_err
remove_says(struct fixture *fx, const char *says, int untallies)
{
    fx->store_says = says;
    tres r = {0};
    assert_int_equal(wsc_offline_remove(wsc_store_offline(fx->store), "u", "m", tres_done, &r),
                     WSC_OK);
    wait_for(fx, &r, untallies);
    return r.status;
}

static void
test_redis_offline_fake__remove_and_clear_replies(void **state)
{
    struct fixture *fx = *state;
    /* Not {n, sender, member, ...}: a status, an even count, no count first. */
    assert_int_equal(remove_says(fx, "+OK\r\n", 0), WSC_ERR_STORE);
    assert_int_equal(remove_says(fx, "*2\r\n:1\r\n:2\r\n", 0), WSC_ERR_STORE);
    assert_int_equal(remove_says(fx, "*1\r\n$1\r\n1\r\n", 0), WSC_ERR_STORE);
    assert_int_equal(remove_says(fx, "*1\r\n:0\r\n", 0), WSC_ERR_NOT_FOUND);
    /* A pair that is not two strings, or has no sender: nothing to give back. */
    assert_int_equal(remove_says(fx, "*3\r\n:1\r\n:7\r\n$1\r\nm\r\n", 0), WSC_OK);
    assert_int_equal(remove_says(fx, "*3\r\n:1\r\n$1\r\ns\r\n:7\r\n", 0), WSC_OK);
    assert_int_equal(remove_says(fx, "*3\r\n:1\r\n$0\r\n\r\n$3\r\nu m\r\n", 0), WSC_OK);
    assert_int_equal(fx->untallies, 0);
    /* Two senders' pairs: both get their part back. */
    assert_int_equal(
        remove_says(fx, "*5\r\n:1\r\n$2\r\ns1\r\n$3\r\nu m\r\n$2\r\ns2\r\n$3\r\nu n\r\n", 2),
        WSC_OK);
    assert_int_equal(fx->untallies, 2);
    /* Clear: the same shape; nothing cleared is no error. */
    tres r = {0};
    fx->store_says = "*1\r\n:0\r\n";
    assert_int_equal(wsc_offline_clear(wsc_store_offline(fx->store), "u", tres_done, &r), WSC_OK);
    wait_for(fx, &r, 2);
    assert_int_equal(r.status, WSC_OK);
    memset(&r, 0, sizeof(r));
    fx->store_says = ":3\r\n";
    assert_int_equal(wsc_offline_clear(wsc_store_offline(fx->store), "u", tres_done, &r), WSC_OK);
    wait_for(fx, &r, 2);
    assert_int_equal(r.status, WSC_ERR_STORE);
}

static wsc_err
fetch_says(struct fixture *fx, const char *says)
{
    fx->store_says = says;
    tres r = {0};
    assert_int_equal(wsc_offline_fetch(wsc_store_offline(fx->store), "u", 0, 10, tres_fetch, &r),
                     WSC_OK);
    wait_for(fx, &r, 0);
    assert_int_equal(r.n, 0);
    return r.status;
}

static void
test_redis_offline_fake__fetch_of_broken_values(void **state)
{
    struct fixture *fx = *state;
    /* No "<expires> " in front of the JSON, or JSON that does not parse. */
    assert_int_equal(fetch_says(fx, "*2\r\n$1\r\n1\r\n$6\r\nnospce\r\n"), WSC_ERR_STORE);
    assert_int_equal(fetch_says(fx, "*2\r\n$1\r\n1\r\n$10\r\n1 not-json\r\n"), WSC_ERR_STORE);
    /* A value that is no string. */
    assert_int_equal(fetch_says(fx, "*2\r\n$1\r\n1\r\n:5\r\n"), WSC_ERR_STORE);
    assert_int_equal(fetch_says(fx, ":1\r\n"), WSC_ERR_STORE);
    /* A ping answered with anything but a status. */
    fx->store_says = NULL;
    fx->f.canned = ":1\r\n";
    tres r = {0};
    assert_int_equal(wsc_store_ping(fx->store, tres_done, &r), WSC_OK);
    wait_for(fx, &r, 0);
    assert_int_equal(r.status, WSC_ERR_STORE);
}

static wsc_err
store_msg(struct fixture *fx, const char *sender, int untallies)
{
    wsc_msg *m = tstore_msg("m1", "x");
    if (sender != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, sender), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(fx->store), "u", m, tres_done, &r),
                     WSC_OK);
    wsc_msg_unref(m);
    wait_for(fx, &r, untallies);
    return r.status;
}

static void
test_redis_offline_fake__store_replies(void **state)
{
    struct fixture *fx = *state;
    /* Without a sender: one script, whose answer is a count. */
    fx->store_says = "$1\r\nx\r\n";
    assert_int_equal(store_msg(fx, NULL, 0), WSC_ERR_STORE);
    fx->store_says = ":-1\r\n";
    assert_int_equal(store_msg(fx, NULL, 0), WSC_ERR_LIMIT);
    fx->store_says = ":1\r\n";
    assert_int_equal(store_msg(fx, NULL, 0), WSC_OK);
    assert_int_equal(fx->reserves, 0);
    assert_int_equal(fx->stores, 3);
    /* With a sender: the reservation first.  Refused: nothing is stored. */
    fx->reserve_says = ":-1\r\n";
    assert_int_equal(store_msg(fx, "s", 0), WSC_ERR_LIMIT);
    fx->reserve_says = "-ERR no\r\n";
    assert_int_equal(store_msg(fx, "s", 0), WSC_ERR_STORE);
    assert_int_equal(fx->reserves, 2);
    assert_int_equal(fx->stores, 3);
    assert_int_equal(fx->untallies, 0);
    /* Reserved, then the store fails: the reservation is given back. */
    fx->reserve_says = ":1\r\n";
    fx->store_says = "-ERR broke\r\n";
    assert_int_equal(store_msg(fx, "s", 1), WSC_ERR_STORE);
    assert_int_equal(fx->untallies, 1);
    fx->store_says = ":-1\r\n";
    assert_int_equal(store_msg(fx, "s", 2), WSC_ERR_LIMIT);
    assert_int_equal(fx->untallies, 2);
    /* Both steps answer: stored, nothing given back. */
    fx->store_says = ":1\r\n";
    assert_int_equal(store_msg(fx, "s", 2), WSC_OK);
    assert_int_equal(fx->reserves, 5);
    assert_int_equal(fx->stores, 6);
    assert_int_equal(fx->untallies, 2);
}

/* With both per-sender bounds off there is no tally to reserve: one script, as without a
 * sender; with either bound on, the reservation comes first. */
static void
test_redis_offline_fake__sender_bounds_off_store_in_one_step(void **state)
{
    struct fixture *fx = *state;
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", fx->f.port);
    fx->reserve_says = ":1\r\n";
    fx->store_says = ":1\r\n";
    for (int bytes_on = 0; bytes_on < 2; bytes_on++) {
        wsc_store_config cfg;
        wsc_store_config_init(&cfg);
        cfg.offline_max_msgs_per_sender = 0;
        cfg.offline_max_bytes_per_sender = bytes_on ? 1000 : 0;
        wsc_store *s = NULL;
        assert_int_equal(wsc_store_open(fx->loop, url, &cfg, &s), WSC_OK);
        wsc_store *keep = fx->store;
        fx->store = s;
        fx->reserves = fx->stores = 0;
        assert_int_equal(store_msg(fx, "s", 0), WSC_OK);
        assert_int_equal(fx->reserves, bytes_on);
        assert_int_equal(fx->stores, 1);
        fx->store = keep;
        wsc_store_close(s);
    }
}

struct counted {
    tfakeredis *f;
    const int *n;
    int want;
};

static bool
counted_to(void *arg)
{
    struct counted *c = arg;
    tfakeredis_pump(c->f);
    return *c->n >= c->want;
}

/* Closed after the reservation, with the store step out: the caller hears WSC_ERR_CANCELED and
 * the closing store sends nothing more (no give-back). */
static void
test_redis_offline_fake__closed_between_the_steps(void **state)
{
    struct fixture *fx = *state;
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", fx->f.port);
    wsc_store *s = NULL;
    assert_int_equal(wsc_store_open(fx->loop, url, NULL, &s), WSC_OK);
    fx->reserve_says = ":1\r\n";
    fx->store_says = NULL;
    fx->f.mode = TFAKEREDIS_SILENT;
    wsc_msg *m = tstore_msg("m1", "x");
    assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, "s"), WSC_OK);
    tres r = {0};
    assert_int_equal(wsc_offline_store(wsc_store_offline(s), "u", m, tres_done, &r), WSC_OK);
    wsc_msg_unref(m);
    struct counted c = {&fx->f, &fx->stores, 1};
    assert_true(twait_until(NULL, fx->loop, counted_to, &c, 5000));
    assert_int_equal(fx->reserves, 1);
    assert_int_equal(r.calls, 0);
    wsc_store_close(s);
    assert_int_equal(r.calls, 1);
    assert_int_equal(r.status, WSC_ERR_CANCELED);
    wsc_loop_run_once(fx->loop, 1);
    tfakeredis_pump(&fx->f);
    assert_int_equal(fx->untallies, 0);
    fx->f.mode = TFAKEREDIS_REPLY;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_offline_fake__remove_and_clear_replies, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_offline_fake__fetch_of_broken_values, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_offline_fake__store_replies, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_redis_offline_fake__sender_bounds_off_store_in_one_step, setup, teardown),
        cmocka_unit_test_setup_teardown(test_redis_offline_fake__closed_between_the_steps, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("unit.repository.redis_offline_fake", tests, NULL, NULL);
}
