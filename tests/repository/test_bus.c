/* SPDX-License-Identifier: MIT */
/* The cluster bus's pub/sub (repository/bus.h) on one Redis and on a Redis Cluster
 * (repository.bus.redis, repository.bus.redis_cluster; label redis).  Two buses, as two hub
 * nodes would hold them: one subscribes, the other publishes.  Every message arrives once, with
 * its bytes; a publish counts the subscription; an unsubscribed channel counts 0.  On a Redis
 * Cluster the subscriptions are sharded: each channel is subscribed (SSUBSCRIBE) on the master of
 * its slot and nowhere else, none classically (checked on every master with redis-cli), and when
 * a channel's slot moves to another master (scripts/services.sh move-slot) the bus subscribes
 * it there again and messages reach it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "repository/bus.h"
#include "repository/redis/redis_internal.h"
#include "tstore.h"

#define NCHAN 24

struct got {
    int up, down;
    int msgs[NCHAN];
    int foreign;
    char channels[NCHAN][64];
};

static void
on_message(void *user, const char *channel, const char *data, size_t len)
{
    struct got *g = user;
    for (int i = 0; i < NCHAN; i++) {
        /* The payload is the channel's name, then a NUL and "x": binary-safe both ways. */
        if (strcmp(channel, g->channels[i]) == 0 && len == strlen(channel) + 2 &&
            memcmp(data, channel, len - 2) == 0 && data[len - 2] == '\0' && data[len - 1] == 'x') {
            g->msgs[i]++;
            return;
        }
    }
    g->foreign++;
}

static void
on_up(void *user)
{
    ((struct got *)user)->up++;
}

static void
on_down(void *user)
{
    ((struct got *)user)->down++;
}

static const wsc__bus_cbs cbs = {on_message, on_up, on_down, NULL};
static const wsc__bus_cbs quiet = {NULL, NULL, NULL, NULL};

struct pair {
    tstore *ts;
    wsc__bus *sub, *pub;
    struct got got;
};

static bool
all_subscribed(void *arg)
{
    struct pair *p = arg;
    if (!wsc__bus_up(p->sub))
        return false;
    for (int i = 0; i < NCHAN; i++)
        if (!wsc__bus_subscribed(p->sub, p->got.channels[i]))
            return false;
    return true;
}

static void
pair_open(struct pair *p, tstore *ts)
{
    memset(p, 0, sizeof(*p));
    p->ts = ts;
    for (int i = 0; i < NCHAN; i++)
        snprintf(p->got.channels[i], sizeof(p->got.channels[i]), "bt:%s:%d", ts->run, i);
    assert_int_equal(wsc__bus_open(ts->store, &cbs, &p->got, &p->sub), WSC_OK);
    assert_int_equal(wsc__bus_open(ts->store, &quiet, NULL, &p->pub), WSC_OK);
    for (int i = 0; i < NCHAN; i++)
        assert_int_equal(wsc__bus_subscribe(p->sub, p->got.channels[i]), WSC_OK);
    assert_true(tstore_until(ts, all_subscribed, p, 10000));
    assert_int_equal(p->got.up, 1);
}

static void
pair_close(struct pair *p)
{
    wsc__bus_close(p->sub);
    wsc__bus_close(p->pub);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(p->ts->loop, 1);
}

/* Publishes on channel i and returns the count Redis answered. */
static uint64_t
publish(struct pair *p, int i)
{
    const char *ch = p->got.channels[i];
    char data[80];
    size_t len = strlen(ch);
    memcpy(data, ch, len);
    data[len] = '\0';
    data[len + 1] = 'x';
    tres r = {0};
    assert_int_equal(wsc__bus_publish(p->pub, ch, data, len + 2, tres_count, &r), WSC_OK);
    tstore_wait(p->ts, &r);
    assert_int_equal(r.status, WSC_OK);
    return r.count;
}

struct seen {
    struct pair *p;
    int i, want;
};

static bool
seen_enough(void *arg)
{
    const struct seen *s = arg;
    return s->p->got.msgs[s->i] >= s->want;
}

static void
test_bus__publish_reaches_each_subscription_once(void **state)
{
    struct pair p;
    pair_open(&p, tstore_get(state));
    for (int i = 0; i < NCHAN; i++) {
        assert_int_equal(publish(&p, i), 1);
        struct seen s = {&p, i, 1};
        assert_true(tstore_until(p.ts, seen_enough, &s, 5000));
    }
    /* Nothing more arrives: each message once. */
    for (int k = 0; k < 20; k++)
        wsc_loop_run_once(p.ts->loop, 5);
    for (int i = 0; i < NCHAN; i++)
        assert_int_equal(p.got.msgs[i], 1);
    assert_int_equal(p.got.foreign, 0);
    /* Unsubscribed: the next publish reaches nobody (the unsubscribe is on the wire before it
     * on the same connection, but the publish goes on another: asked until it counts 0). */
    assert_int_equal(wsc__bus_unsubscribe(p.sub, p.got.channels[0]), WSC_OK);
    assert_int_equal(wsc__bus_unsubscribe(p.sub, p.got.channels[0]), WSC_ERR_NOT_FOUND);
    uint64_t count = 1;
    for (int k = 0; k < 50 && count != 0; k++) {
        count = publish(&p, 0);
        wsc_loop_run_once(p.ts->loop, 10);
    }
    assert_int_equal(count, 0);
    assert_int_equal(p.got.down, 0);
    pair_close(&p);
}

/* ---- Redis Cluster: where the subscriptions are ---- */

/* "PUBSUB cmd channel" on the node at port: the number it answers for channel. */
static long
pubsub_on(const char *password, int port, const char *cmd, const char *channel)
{
    char line[512];
    snprintf(line, sizeof(line), "redis-cli --no-auth-warning -a '%s' -p %d PUBSUB %s '%s'",
             password, port, cmd, channel);
    FILE *f = popen(line, "r");
    assert_non_null(f);
    char name[256] = "", num[64] = "";
    bool ok = fgets(name, sizeof(name), f) != NULL && fgets(num, sizeof(num), f) != NULL;
    assert_int_equal(pclose(f), 0);
    assert_true(ok);
    return strtol(num, NULL, 10);
}

/* The masters (the seeds of the test cluster are its three masters). */
static struct rs_seeds
masters(const tstore *ts)
{
    struct rs_seeds s;
    assert_int_equal(wsc__rs_parse_cluster_url(ts->url, &s), WSC_OK);
    return s;
}

/* Channel i's wire name ("0/" + name: a cluster has database 0 only). */
static void
wire(const struct pair *p, int i, char *out, size_t cap)
{
    snprintf(out, cap, "0/%s", p->got.channels[i]);
}

/* The port of the one master that holds channel i's sharded subscription; fails unless exactly
 * one does and no master holds it classically. */
static int
holder(const struct pair *p, const struct rs_seeds *m, int i)
{
    char w[128];
    wire(p, i, w, sizeof(w));
    int port = -1, n = 0;
    for (int k = 0; k < m->n; k++) {
        assert_int_equal(pubsub_on(m->password, m->port[k], "NUMSUB", w), 0);
        long subs = pubsub_on(m->password, m->port[k], "SHARDNUMSUB", w);
        if (subs > 0) {
            port = m->port[k];
            n++;
        }
    }
    assert_int_equal(n, 1);
    return port;
}

static bool
cluster_ready(tstore *ts)
{
    if (strcmp(ts->backend, "redis_cluster") != 0) {
        tstore_skip();
        return false;
    }
    return true;
}

static void
test_bus__cluster_subscriptions_are_sharded(void **state)
{
    tstore *ts = tstore_get(state);
    if (!cluster_ready(ts))
        return;
    struct pair p;
    pair_open(&p, ts);
    struct rs_seeds m = masters(ts);
    int per_master[RS_MAX_SEEDS] = {0};
    for (int i = 0; i < NCHAN; i++) {
        int port = holder(&p, &m, i);
        for (int k = 0; k < m.n; k++)
            per_master[k] += m.port[k] == port;
    }
    /* 24 channels over 3 masters: spread, not all on one node. */
    int used = 0;
    for (int k = 0; k < m.n; k++)
        used += per_master[k] > 0;
    assert_true(used >= 2);
    pair_close(&p);
}

static bool
moved_and_resubscribed(void *arg)
{
    struct seen *s = arg;
    return wsc__bus_subscribed(s->p->sub, s->p->got.channels[s->i]);
}

static void
test_bus__cluster_follows_a_moved_slot(void **state)
{
    tstore *ts = tstore_get(state);
    if (!cluster_ready(ts))
        return;
    if (getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL) {
        tstore_skip();
        return;
    }
    struct pair p;
    pair_open(&p, ts);
    struct rs_seeds m = masters(ts);
    char w[128], cmd[1024];
    wire(&p, 1, w, sizeof(w));
    int before = holder(&p, &m, 1);
    snprintf(cmd, sizeof(cmd), "%s move-slot %s %d >/dev/null 2>&1", getenv("WSC_SERVICES_SCRIPT"),
             getenv("WSC_SERVICES_DIR"), wsc__rs_slot(w, strlen(w)));
    assert_int_equal(system(cmd), 0);
    /* Redis dropped the subscription (sunsubscribe); the bus reads the map again and
     * subscribes on the new master.  Published until it counts the subscription again. */
    struct seen s = {&p, 1, 0};
    uint64_t count = 0;
    for (int k = 0; k < 100 && count != 1; k++) {
        assert_true(tstore_until(ts, moved_and_resubscribed, &s, 10000));
        count = publish(&p, 1);
    }
    assert_int_equal(count, 1);
    s.want = p.got.msgs[1] > 0 ? p.got.msgs[1] : 1;
    assert_true(tstore_until(ts, seen_enough, &s, 5000));
    int after = holder(&p, &m, 1);
    assert_int_not_equal(after, before);
    /* The others stayed where they were and still get their messages. */
    assert_int_equal(publish(&p, 2), 1);
    assert_int_equal(p.got.foreign, 0);
    assert_int_equal(p.got.down, 0);
    /* And on again (to the first other master: back, or to the third). */
    assert_int_equal(system(cmd), 0);
    count = 0;
    for (int k = 0; k < 100 && count != 1; k++) {
        assert_true(tstore_until(ts, moved_and_resubscribed, &s, 10000));
        count = publish(&p, 1);
    }
    assert_int_equal(count, 1);
    assert_int_not_equal(holder(&p, &m, 1), after);
    pair_close(&p);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bus__publish_reaches_each_subscription_once),
        cmocka_unit_test(test_bus__cluster_subscriptions_are_sharded),
        cmocka_unit_test(test_bus__cluster_follows_a_moved_slot),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.bus.%s", b ? b : "url");
    return tstore_exit(cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown),
                       sizeof(tests) / sizeof(tests[0]));
}
