/* SPDX-License-Identifier: MIT */
/* The cluster bus (src/repository/bus.h, redis/redis_bus.c) on a fake Redis
 * (tests/support/tfakeredis.h) that confirms subscriptions and pushes what the test tells it.
 * bus.h promises: subscriptions survive a lost connection: on a reset the bus goes down
 * (on_down, no channel confirmed), connects again, subscribes every channel again (at most 64
 * to a SUBSCRIBE) and is up (on_up) once Redis has confirmed them all; messages then arrive
 * again.  A subscription message of the wrong shape (a payload that is no string, too few
 * parts, a confirmation of a channel not subscribed or already confirmed) is dropped, never
 * delivered or crashed on.  (A kind hiredis does not know makes hiredis drop the connection:
 * the bus then comes back as after a reset.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repository/bus.h"
#include "tfakeredis.h"
#include "tstore.h"
#include "twait.h"

#define NCHAN 70

struct fixture {
    wsc_loop *loop;
    wsc_store *store;
    wsc__bus *bus;
    tfakeredis f;
    int sub;               /* the subscription connection (-1: none yet) */
    int subscribes;        /* SUBSCRIBE commands */
    int names, most;       /* channels in them; the most in one */
    char confirm[1 << 14]; /* the confirmations of the last SUBSCRIBE */
    int up, down, subscribed, msgs;
    char last_channel[64], last_data[64];
};

static const char *
answer(tfakeredis *f, int argc, char argv[][64], void *user)
{
    struct fixture *fx = user;
    if (strcmp(argv[0], "SUBSCRIBE") != 0)
        return NULL; /* PING and the like: canned */
    fx->sub = f->cur;
    fx->subscribes++;
    fx->names += argc - 1;
    if (argc - 1 > fx->most)
        fx->most = argc - 1;
    size_t len = 0;
    for (int i = 1; i < argc; i++)
        len += (size_t)snprintf(fx->confirm + len, sizeof(fx->confirm) - len,
                                "*3\r\n$9\r\nsubscribe\r\n$%zu\r\n%s\r\n:%d\r\n", strlen(argv[i]),
                                argv[i], i);
    assert_true(len < sizeof(fx->confirm));
    return fx->confirm;
}

static void
on_message(void *user, const char *channel, const char *data, size_t len)
{
    struct fixture *fx = user;
    fx->msgs++;
    snprintf(fx->last_channel, sizeof(fx->last_channel), "%s", channel);
    snprintf(fx->last_data, sizeof(fx->last_data), "%.*s", (int)len, data);
}

static void
on_up(void *user)
{
    ((struct fixture *)user)->up++;
}

static void
on_down(void *user)
{
    ((struct fixture *)user)->down++;
}

static void
on_subscribed(void *user, const char *channel)
{
    (void)channel;
    ((struct fixture *)user)->subscribed++;
}

static const wsc__bus_cbs cbs = {on_message, on_up, on_down, on_subscribed};

static int
setup(void **state)
{
    struct fixture *fx = calloc(1, sizeof(*fx));
    if (fx == NULL || wsc_loop_new(&fx->loop) != WSC_OK)
        return -1;
    tfakeredis_start(&fx->f);
    fx->f.reply = answer;
    fx->f.user = fx;
    fx->sub = -1;
    if (tfakeredis_open_store(&fx->f, fx->loop, 1000, &fx->store) != WSC_OK ||
        wsc__bus_open(fx->store, &cbs, fx, &fx->bus) != WSC_OK)
        return -1;
    *state = fx;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *fx = *state;
    wsc__bus_close(fx->bus);
    tfakeredis_close_store(&fx->f, fx->loop, fx->store);
    wsc_loop_free(fx->loop);
    free(fx);
    return 0;
}

static bool
all_confirmed(void *arg)
{
    struct fixture *fx = arg;
    tfakeredis_pump(&fx->f);
    if (!wsc__bus_up(fx->bus))
        return false;
    char name[16];
    for (int i = 0; i < NCHAN; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        if (!wsc__bus_subscribed(fx->bus, name))
            return false;
    }
    return true;
}

static bool
went_down(void *arg)
{
    struct fixture *fx = arg;
    tfakeredis_pump(&fx->f);
    return fx->down > 0;
}

struct count_of {
    struct fixture *fx;
    int *n, want;
};

static bool
reached(void *arg)
{
    struct count_of *c = arg;
    tfakeredis_pump(&c->fx->f);
    return *c->n >= c->want;
}

/* Pushes a subscription message (RESP) to the bus and waits until the bus has read it: a
 * message on c0 sent after it is delivered (so everything before it was handled). */
static void
push_then_mark(struct fixture *fx, const char *resp)
{
    tfakeredis_send(&fx->f, fx->sub, resp);
    tfakeredis_send(&fx->f, fx->sub, "*3\r\n$7\r\nmessage\r\n$4\r\n0/c0\r\n$4\r\nmark\r\n");
    int before = fx->msgs;
    struct count_of c = {fx, &fx->msgs, before + 1};
    assert_true(twait_until(NULL, fx->loop, reached, &c, 3000));
    assert_int_equal(fx->msgs, before + 1);
    assert_string_equal(fx->last_channel, "c0");
    assert_string_equal(fx->last_data, "mark");
}

static void
subscribe_all(struct fixture *fx)
{
    char name[16];
    for (int i = 0; i < NCHAN; i++) {
        snprintf(name, sizeof(name), "c%d", i);
        assert_int_equal(wsc__bus_subscribe(fx->bus, name), WSC_OK);
    }
    assert_true(twait_until(NULL, fx->loop, all_confirmed, fx, 5000));
    assert_int_equal(fx->up, 1);
    assert_int_equal(fx->names, NCHAN);
    assert_int_equal(fx->subscribed, NCHAN);
}

static void
test_redis_bus_fake__resubscribes_after_a_reset(void **state)
{
    struct fixture *fx = *state;
    subscribe_all(fx);
    int accepted = fx->f.accepted;
    fx->subscribes = fx->names = fx->most = 0;
    tfakeredis_drop_conn(&fx->f, fx->sub, true); /* RST */
    assert_true(twait_until(NULL, fx->loop, went_down, fx, 3000));
    assert_int_equal(fx->down, 1);
    assert_false(wsc__bus_up(fx->bus));
    assert_false(wsc__bus_subscribed(fx->bus, "c0"));
    /* A new connection, every channel subscribed again, at most 64 to a command, then up. */
    assert_true(twait_until(NULL, fx->loop, all_confirmed, fx, 5000));
    assert_true(fx->f.accepted > accepted);
    assert_int_equal(fx->names, NCHAN);
    assert_int_equal(fx->most, 64);
    assert_int_equal(fx->subscribes, 2);
    assert_int_equal(fx->up, 2);
    assert_int_equal(fx->subscribed, 2 * NCHAN);
    /* Messages arrive again. */
    tfakeredis_send(&fx->f, fx->sub, "*3\r\n$7\r\nmessage\r\n$5\r\n0/c69\r\n$5\r\nhello\r\n");
    struct count_of c = {fx, &fx->msgs, 1};
    assert_true(twait_until(NULL, fx->loop, reached, &c, 3000));
    assert_string_equal(fx->last_channel, "c69");
    assert_string_equal(fx->last_data, "hello");
}

static void
test_redis_bus_fake__odd_subscription_messages_are_dropped(void **state)
{
    struct fixture *fx = *state;
    subscribe_all(fx);
    static const char *const odd[] = {
        "*3\r\n$7\r\nmessage\r\n$4\r\n0/c1\r\n:5\r\n",   /* a payload that is no string */
        "*2\r\n$7\r\nmessage\r\n$4\r\n0/c1\r\n",         /* no payload */
        "*3\r\n$9\r\nsubscribe\r\n$4\r\n0/c1\r\n:1\r\n", /* a confirmation once more */
    };
    for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++)
        push_then_mark(fx, odd[i]);
    assert_int_equal(fx->down, 0); /* all on the same connection */
    assert_int_equal(fx->up, 1);   /* a late confirmation does not make it up again */
    assert_true(wsc__bus_up(fx->bus));
    /* Unsubscribed, a channel's late confirmation finds nothing to confirm. */
    assert_int_equal(wsc__bus_unsubscribe(fx->bus, "c2"), WSC_OK);
    assert_int_equal(wsc__bus_unsubscribe(fx->bus, "c2"), WSC_ERR_NOT_FOUND);
    int subscribed = fx->subscribed;
    push_then_mark(fx, "*3\r\n$9\r\nsubscribe\r\n$4\r\n0/c2\r\n:1\r\n");
    assert_false(wsc__bus_subscribed(fx->bus, "c2"));
    assert_int_equal(fx->subscribed, subscribed);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_redis_bus_fake__resubscribes_after_a_reset, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_redis_bus_fake__odd_subscription_messages_are_dropped,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.repository.redis_bus_fake", tests, NULL, NULL);
}
