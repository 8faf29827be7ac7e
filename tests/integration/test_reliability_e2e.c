/* SPDX-License-Identifier: MIT */
/* End to end over real sockets: 10,000 ACK messages to a receiver that drops its connection
 * (TCP reset, sometimes before ACKing what it read) and reconnects at random points from a
 * fixed seed, with the replay window (hub config replay_window) and without it, to compare
 * the duplicates each reconnect costs.  Every message arrives at least once, the application
 * (deduplicating by message_id) sees each exactly once, nothing is left pending or stored, and
 * every record says acked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "test_reliability_util.h"

#define N_MSGS 10000
#define WINDOW 256

struct e2e {
    struct rt t;
    tws *c;
    uint64_t rng;
    int next, outstanding;
    uint64_t reconnect_at; /* loop time of the next connect while disconnected */
    int app_seen, wire_dups, disconnects, long_drops;
    unsigned char seen[N_MSGS];
};

static uint32_t
rnd(struct e2e *e)
{
    e->rng ^= e->rng << 13;
    e->rng ^= e->rng >> 7;
    e->rng ^= e->rng << 17;
    return (uint32_t)(e->rng >> 11);
}

static void
e2e_done(wsc_err status, const wsc_delivery *d, void *user)
{
    struct e2e *e = user;
    rt_done(status, d, &e->t);
    e->outstanding--;
}

static void
send_some(struct e2e *e)
{
    char id[32];
    while (e->next < N_MSGS && e->outstanding < WINDOW) {
        snprintf(id, sizeof(id), "e-%d", e->next);
        wsc_msg *m = rt_msg(id, "payload");
        assert_int_equal(wsc_hub_send_to_user_ack(e->t.hub, "rcv", m, NULL, e2e_done, e), WSC_OK);
        wsc_msg_unref(m);
        e->next++;
        e->outstanding++;
    }
}

static void
drop(struct e2e *e)
{
    tws_reset_tcp(e->c);
    rt_drop(&e->t, e->c);
    e->c = NULL;
    e->disconnects++;
    /* Mostly back at once (resends on reconnect); four drops stay away long enough for the
     * retries to run out, so messages go through the offline store and its replay. */
    bool long_drop = e->long_drops < 4 && rnd(e) % 4 == 0;
    e->long_drops += long_drop;
    uint64_t away = long_drop ? 1500 + rnd(e) % 500 : rnd(e) % 20;
    e->reconnect_at = wsc_loop_now_ms(e->t.loop) + away;
}

/* Reads what arrived; the app sees a message_id once; ACKs, or drops the connection. */
static void
receive(struct e2e *e)
{
    char *data = NULL;
    size_t len = 0;
    while (e->c != NULL && tws_next(e->c, NULL, &data, &len)) {
        json_t *j = tjson_parsen(data, len);
        free(data);
        const char *mid = j ? tjson_str(j, "message_id") : NULL;
        const char *type = j ? tjson_str(j, "message_type") : NULL;
        if (mid != NULL && strcmp(type, "text") == 0) {
            int idx = atoi(mid + 2);
            assert_true(idx >= 0 && idx < N_MSGS);
            if (e->seen[idx]++ == 0)
                e->app_seen++;
            else
                e->wire_dups++;
            uint32_t r = rnd(e) % 1000;
            if (r == 0) {
                drop(e); /* read but never ACKed */
            } else {
                rt_ack(e->c, mid);
                if (r == 1)
                    drop(e); /* ACKed; the ACK may or may not get out */
            }
        }
        json_decref(j);
    }
    if (e->c != NULL && tws_state(e->c) != TWS_OPEN)
        drop(e);
}

static bool
settled(struct e2e *e)
{
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(e->t.hub, &st);
    return e->t.n_done == N_MSGS && st.pending == 0 && e->app_seen == N_MSGS &&
           rt_offline_count(&e->t, "rcv") == 0;
}

/* One run; replay_window as given (0: the old replay, pages sized to the queue's room). */
static void
run_e2e(size_t replay_window, const char *label)
{
    struct e2e *e = calloc(1, sizeof(*e));
    assert_non_null(e);
    e->rng = 0x5eed1234abcdull;
    assert_int_equal(wsc_loop_new(&e->t.loop), WSC_OK);
    wsc_store_config sc;
    wsc_store_config_init(&sc);
    sc.offline_max_per_user = 2 * N_MSGS;
    assert_int_equal(wsc_repo_memory_new(e->t.loop, &sc, &e->t.store), WSC_OK);
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    rt_fast_ack(&cfg.ack, 4);
    cfg.ack.ack_timeout_ms = 200;
    cfg.ack.jitter = 0.2;
    cfg.queue_max_count = 2048;
    cfg.replay_window = replay_window;
    assert_int_equal(rt_start_cfg(&e->t, &cfg), WSC_OK);
    e->c = rt_connect(&e->t, "rcv");
    assert_non_null(e->c);
    uint64_t start = wsc_loop_now_ms(e->t.loop);
    int rounds = 0;
    while (wsc_loop_now_ms(e->t.loop) - start < 60000) {
        send_some(e);
        twait_pump(e->t.ts, e->t.loop, 0);
        receive(e);
        if (e->c == NULL && wsc_loop_now_ms(e->t.loop) >= e->reconnect_at)
            e->c = rt_connect(&e->t, "rcv");
        if (e->t.n_done == N_MSGS && ++rounds % 200 == 0 && settled(e))
            break;
    }
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(e->t.hub, &st);
    fprintf(stderr,
            "e2e (%s): %d messages, %d disconnects, %d wire duplicates (%.1f per disconnect), "
            "acked %llu, stored %llu, offline acked %llu, resends %llu, replayed %llu, %llu ms\n",
            label, N_MSGS, e->disconnects, e->wire_dups,
            e->disconnects ? (double)e->wire_dups / e->disconnects : 0.0,
            (unsigned long long)st.acked, (unsigned long long)st.stored,
            (unsigned long long)st.offline_acked, (unsigned long long)st.resends,
            (unsigned long long)st.replayed,
            (unsigned long long)(wsc_loop_now_ms(e->t.loop) - start));
    assert_true(settled(e));
    assert_int_equal(e->t.outcomes[WSC_DELIVERY_FAILED], 0);
    assert_int_equal(st.acked + st.stored, N_MSGS);
    assert_int_equal(st.offline_acked, st.stored);
    assert_true(e->disconnects >= 5);
    /* the records agree: every (message, receiver) ended acked */
    char id[32];
    for (int i = 0; i < N_MSGS; i++) {
        snprintf(id, sizeof(id), "e-%d", i);
        assert_int_equal(e->seen[i] >= 1, 1);
        assert_int_equal(rt_record_state(&e->t, id, "rcv"), WSC_REC_ACKED);
    }
    rt_stop(&e->t);
    free(e);
}

static void
test_reliability__e2e_random_disconnects(void **state)
{
    (void)state;
    run_e2e(64, "replay window 64");
}

/* The replay before the window (every connect queues the backlog as fast as the queue takes
 * it): kept to print the comparison figure; the same guarantees hold. */
static void
test_reliability__e2e_random_disconnects_no_window(void **state)
{
    (void)state;
    run_e2e(0, "no replay window");
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reliability__e2e_random_disconnects),
        cmocka_unit_test(test_reliability__e2e_random_disconnects_no_window),
    };
    return cmocka_run_group_tests_name("integration.reliability_e2e", tests, NULL, NULL);
}
