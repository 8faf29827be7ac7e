/* SPDX-License-Identifier: MIT */
/* Threads against one loop, over real sockets: 8 threads send into a hub (wsc_hub_send_to_user)
 * while 8 others send into a wsc_client connected to that hub (wsc_client_send_msg, routed by
 * the hub), all starting with the same open message so that it is encoded on several threads at
 * once; a raw peer must receive every message exactly once, each thread's in order.  And the
 * bound of the loop's post queue seen through the hub: sends from another thread while the loop
 * does not run get WSC_ERR_BUSY beyond max_posts, and every accepted one arrives.  Label threads:
 * scripts/test.sh runs these under ThreadSanitizer (preset tsan), which must report nothing. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/client.h>

#include "thub.h"
#include "tjson.h"

#define SENDERS    8 /* per side */
#define PER_THREAD 150

struct side {
    wsc_hub *hub;       /* hub threads */
    wsc_client *client; /* client threads */
};

struct sender {
    struct side *side;
    pthread_barrier_t *start;
    wsc_msg *shared;
    int index;
    bool via_client;
    wsc_err err;
    int not_frozen;
};

static wsc_err
send_one(struct sender *s, wsc_msg *m)
{
    if (s->via_client)
        return wsc_client_send_msg(s->side->client, m, NULL);
    return wsc_hub_send_to_user(s->side->hub, "a", m, NULL);
}

static void *
sender_main(void *arg)
{
    struct sender *s = arg;
    pthread_barrier_wait(s->start);
    /* Every thread sends the same open message first: encoded on up to 16 threads at once. */
    s->err = send_one(s, s->shared);
    char content[32];
    for (int k = 0; k < PER_THREAD && s->err == WSC_OK; k++) {
        snprintf(content, sizeof(content), "%c%d-%d", s->via_client ? 'c' : 'h', s->index, k);
        wsc_msg *m = NULL;
        s->err = wsc_msg_new_text(&m, "text", content);
        if (s->err == WSC_OK)
            s->err = wsc_msg_set(m, WSC_F_RECEIVER, "a");
        if (s->err == WSC_OK)
            s->err = send_one(s, m);
        if (s->err == WSC_OK && !wsc_msg_is_frozen(m))
            s->not_frozen++;
        wsc_msg_unref(m);
    }
    return NULL;
}

struct client_rec {
    int connected;
    int failed;
    int sent;
};

static void
on_client_sent(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len,
               void *user)
{
    (void)c, (void)id, (void)msg, (void)data, (void)len;
    ((struct client_rec *)user)->sent++;
}

static void
on_connected(wsc_client *c, void *user)
{
    (void)c;
    ((struct client_rec *)user)->connected++;
}

static void
on_client_send_failed(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len,
                      wsc_err reason, void *user)
{
    (void)c, (void)id, (void)msg, (void)data, (void)len, (void)reason;
    ((struct client_rec *)user)->failed++;
}

static bool
int_positive(void *arg)
{
    return *(const int *)arg > 0;
}

static wsc_client *
connect_client(thub *t, struct client_rec *rec)
{
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?user_id=c", t->port);
    wsc_client_config cfg;
    wsc_client_config_init(&cfg);
    cfg.url = url;
    cfg.loop = t->loop;
    cfg.queue_max_count = 4 * SENDERS * (PER_THREAD + 1);
    cfg.queue_max_bytes = 64u << 20;
    cfg.on_connected = on_connected;
    cfg.on_send_failed = on_client_send_failed;
    cfg.on_sent = on_client_sent;
    cfg.reconnect.min_delay_ms = 5;
    cfg.reconnect.max_delay_ms = 20;
    cfg.user = rec;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_connect(c), WSC_OK);
    assert_true(thub_wait(t, int_positive, &rec->connected, 5000));
    return c;
}

/* Reads every message a got: each thread's messages exactly once and in order. */
static void
check_received(tws *a, size_t total)
{
    int next[2][SENDERS] = {{0}};
    int shared[2] = {0};
    for (size_t i = 0; i < total; i++) {
        char *data = NULL;
        int op = 0;
        assert_true(tws_next(a, &op, &data, NULL));
        json_t *j = tjson_parse(data);
        const char *content = tjson_str(j, "content");
        const char *sender = tjson_str(j, "sender");
        assert_non_null(content);
        int side = 0, idx = -1, k = -1;
        if (strcmp(content, "shared") == 0) {
            /* From the client it carries the client's user as sender (stamped by the hub). */
            shared[sender != NULL && strcmp(sender, "c") == 0]++;
        } else {
            char kind = 0;
            assert_int_equal(sscanf(content, "%c%d-%d", &kind, &idx, &k), 3);
            side = kind == 'c';
            assert_in_range(idx, 0, SENDERS - 1);
            assert_int_equal(k, next[side][idx]); /* in order, no loss, no duplicate */
            next[side][idx]++;
            if (side == 1)
                assert_string_equal(sender, "c");
        }
        json_decref(j);
        free(data);
    }
    for (int s = 0; s < 2; s++) {
        assert_int_equal(shared[s], SENDERS);
        for (int i = 0; i < SENDERS; i++)
            assert_int_equal(next[s][i], PER_THREAD);
    }
    assert_int_equal(tws_pending(a), 0);
}

static void
test_threads__eight_into_hub_and_eight_into_client(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.queue_max_count = 4 * 2 * SENDERS * (PER_THREAD + 1);
    cfg.queue_max_bytes = 64u << 20;
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL);
    struct client_rec rec = {0};
    struct side side = {t.hub, connect_client(&t, &rec)};

    wsc_msg *shared = NULL;
    assert_int_equal(wsc_msg_new_text(&shared, "text", "shared"), WSC_OK);
    assert_int_equal(wsc_msg_set(shared, WSC_F_RECEIVER, "a"), WSC_OK);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, 2 * SENDERS);
    struct sender s[2 * SENDERS];
    pthread_t th[2 * SENDERS];
    for (int i = 0; i < 2 * SENDERS; i++) {
        s[i] = (struct sender){&side, &start, shared, i % SENDERS, i >= SENDERS, WSC_OK, 0};
        assert_int_equal(pthread_create(&th[i], NULL, sender_main, &s[i]), 0);
    }
    /* The loop runs here, on the test's thread, while the 16 threads send. */
    size_t total = 2 * SENDERS * (PER_THREAD + 1);
    bool all = thub_wait_msgs(&t, a, total, 60000);
    for (int i = 0; i < 2 * SENDERS; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    for (int i = 0; i < 2 * SENDERS; i++) {
        assert_int_equal(s[i].err, WSC_OK);
        assert_int_equal(s[i].not_frozen, 0);
    }
    if (!all)
        fail_msg("a got %zu of %zu messages", tws_pending(a), total);
    assert_true(wsc_msg_is_frozen(shared));
    assert_int_equal(wsc_msg_set(shared, WSC_F_CONTENT, "late"), WSC_ERR_STATE);
    check_received(a, total);
    assert_int_equal(rec.failed, 0);
    assert_int_equal(t.failed, 0);
    wsc_msg_unref(shared);
    wsc_client_free(side.client);
    thub_free(&t);
}

/* Client sends from 8 threads while the hub drops the client's connection three times: the
 * client's state changes on the loop while the threads read it.  Every accepted frame ends in
 * exactly one of on_sent / on_send_failed, and the queue empties. */
struct churn {
    wsc_client *client;
    pthread_barrier_t *start;
    int accepted, refused;
};

static void *
churn_main(void *arg)
{
    struct churn *ch = arg;
    pthread_barrier_wait(ch->start);
    for (int k = 0; k < PER_THREAD; k++) {
        wsc_msg *m = NULL;
        wsc_err err = wsc_msg_new_text(&m, "text", "churn");
        if (err == WSC_OK)
            err = wsc_msg_set(m, WSC_F_RECEIVER, "a");
        if (err == WSC_OK)
            err = wsc_client_send_msg(ch->client, m, NULL);
        wsc_msg_unref(m);
        ch->accepted += err == WSC_OK;
        ch->refused += err != WSC_OK;
    }
    return NULL;
}

struct above {
    const int *value;
    int than;
};

static bool
is_above(void *arg)
{
    const struct above *ab = arg;
    return *ab->value > ab->than;
}

struct settled {
    const struct client_rec *rec;
    int total;
};

static bool
all_settled(void *arg)
{
    const struct settled *st = arg;
    return st->rec->sent + st->rec->failed >= st->total;
}

static void
test_threads__client_sends_while_it_reconnects(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.queue_max_count = 4 * SENDERS * PER_THREAD;
    cfg.queue_max_bytes = 64u << 20;
    thub_start(&t, &cfg);
    (void)thub_open(&t, "a", NULL);
    struct client_rec rec = {0};
    wsc_client *c = connect_client(&t, &rec);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, SENDERS + 1);
    struct churn ch[SENDERS];
    pthread_t th[SENDERS];
    for (int i = 0; i < SENDERS; i++) {
        ch[i] = (struct churn){c, &start, 0, 0};
        assert_int_equal(pthread_create(&th[i], NULL, churn_main, &ch[i]), 0);
    }
    pthread_barrier_wait(&start);
    for (int drop = 0; drop < 3; drop++) {
        struct above back = {&rec.connected, rec.connected};
        wsc_conn_id id = t.conn_ids[t.connects - 1]; /* the client's, the last to connect */
        assert_int_equal(wsc_hub_close_conn(t.hub, id, 1011, "churn"), WSC_OK);
        assert_true(thub_wait(&t, is_above, &back, 5000));
    }
    int total = 0;
    for (int i = 0; i < SENDERS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(ch[i].refused, 0);
        total += ch[i].accepted;
    }
    pthread_barrier_destroy(&start);
    struct settled st = {&rec, total};
    assert_true(thub_wait(&t, all_settled, &st, 30000));
    assert_int_equal(rec.sent + rec.failed, total);
    assert_int_equal(wsc_client_queue_count(c), 0);
    wsc_client_free(c);
    thub_free(&t);
}

struct flood {
    wsc_hub *hub;
    int tries, accepted, busy, other;
};

static void *
flood_main(void *arg)
{
    struct flood *f = arg;
    char content[32];
    for (int i = 0; i < f->tries; i++) {
        snprintf(content, sizeof(content), "f%d", i);
        wsc_msg *m = NULL;
        wsc_err err = wsc_msg_new_text(&m, "text", content);
        if (err == WSC_OK)
            err = wsc_hub_send_to_user(f->hub, "a", m, NULL);
        wsc_msg_unref(m);
        f->accepted += err == WSC_OK;
        f->busy += err == WSC_ERR_BUSY;
        f->other += err != WSC_OK && err != WSC_ERR_BUSY;
    }
    return NULL;
}

static void
test_threads__hub_sends_beyond_the_post_bound_are_busy_and_the_rest_arrive(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    wsc_loop_free(t.loop);
    wsc_loop_config lcfg;
    wsc_loop_config_init(&lcfg);
    lcfg.max_posts = 16;
    assert_int_equal(wsc_loop_new_ex(&t.loop, &lcfg), WSC_OK);
    cfg.loop = t.loop;
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL);
    /* The loop does not run while the other thread sends (this thread waits in join). */
    struct flood f = {t.hub, 100, 0, 0, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, flood_main, &f), 0);
    pthread_join(th, NULL);
    assert_int_equal(f.accepted, 16);
    assert_int_equal(f.busy, 84);
    assert_int_equal(f.other, 0);
    assert_true(thub_wait_msgs(&t, a, 16, 5000));
    thub_run_for(&t, 100); /* nothing beyond the 16 accepted */
    assert_int_equal(tws_pending(a), 16);
    char want[32];
    for (int i = 0; i < 16; i++) {
        json_t *j = thub_recv(&t, a, 1000);
        snprintf(want, sizeof(want), "f%d", i);
        assert_string_equal(tjson_str(j, "content"), want);
        json_decref(j);
    }
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads__eight_into_hub_and_eight_into_client),
        cmocka_unit_test(test_threads__client_sends_while_it_reconnects),
        cmocka_unit_test(
            test_threads__hub_sends_beyond_the_post_bound_are_busy_and_the_rest_arrive),
    };
    return cmocka_run_group_tests_name("integration.threads", tests, NULL, NULL);
}
