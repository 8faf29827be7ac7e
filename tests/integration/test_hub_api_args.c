/* SPDX-License-Identifier: MIT */
/* The hub's public API refuses bad arguments with the documented error and no side effect
 * (include/wsc/hub.h, wsc/reliability.h; STYLE.md section 3: bad input is WSC_ERR_INVALID,
 * never a crash): NULL hub, message, ids, out-parameters and callbacks; bad publish targets;
 * invalid ACK options, binary or frozen-without-id messages for ACK sends; bad close codes; the
 * getters of a NULL hub.  Each refused call leaves the peers' inboxes empty and calls no
 * callback.  Also the good-path answers that sit beside those checks: NOT_FOUND for nobody
 * there, EXISTS/NOT_FOUND for group membership, an empty group's members. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"

static wsc_msg *
text(const char *mid)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "x"), WSC_OK);
    if (mid != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
    return m;
}

static size_t calls;

static void
count_cb(wsc_hub *hub, wsc_err status, uint64_t count, void *user)
{
    (void)hub;
    (void)status;
    (void)count;
    (void)user;
    calls++;
}

static void
done_cb(wsc_err status, const wsc_delivery *d, void *user)
{
    (void)status;
    (void)d;
    (void)user;
    calls++;
}

static void
accepted_cb(const wsc_accepted *a, void *user)
{
    (void)a;
    (void)user;
    calls++;
}

static void
stats_cb(wsc_hub *hub, wsc_err status, const wsc_hub_cluster_totals *st, void *user)
{
    (void)hub;
    (void)status;
    (void)st;
    (void)user;
    calls++;
}

static void
record_cb(wsc_err status, const wsc_msg_record *rec, void *user)
{
    (void)status;
    (void)rec;
    (void)user;
    calls++;
}

/* Nothing reached the peer and no callback ran within a few loop turns. */
static void
nothing_happened(thub *t, tws *c)
{
    thub_run_for(t, 30);
    assert_int_equal(tws_pending(c), 0);
    assert_int_equal(calls, 0);
}

static void
test_api_args__sends(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    calls = 0;
    wsc_msg *m = text(NULL);
    const char *one[] = {"a"};
    size_t q = 7;
    assert_int_equal(wsc_hub_send_to_user(NULL, "a", m, &q), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_user(t.hub, NULL, m, &q), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_user(t.hub, "a", NULL, &q), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_users(NULL, one, 1, m, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_users(t.hub, NULL, 1, m, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_users(t.hub, one, 1, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_group(NULL, "g", m, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_group(t.hub, NULL, m, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_group(t.hub, "g", NULL, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_broadcast(NULL, m, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_broadcast(t.hub, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_conn(NULL, t.conn_ids[0], m), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_conn(t.hub, 0, m), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_conn(t.hub, t.conn_ids[0], NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_binary_to_user(NULL, "a", "b", 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_binary_to_user(t.hub, NULL, "b", 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_binary_to_user(t.hub, "a", NULL, 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_binary_to_group(t.hub, NULL, "b", 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_broadcast_binary(NULL, "b", 1, NULL), WSC_ERR_INVALID);
    assert_int_equal(q, 7); /* untouched by a refused call */
    nothing_happened(&t, a);

    /* Nobody there: NOT_FOUND with a count of 0, on the loop thread. */
    const char *nobody[] = {"zed", "zed"};
    assert_int_equal(wsc_hub_send_to_user(t.hub, "zed", m, &q), WSC_ERR_NOT_FOUND);
    assert_int_equal(q, 0);
    assert_int_equal(wsc_hub_send_to_users(t.hub, nobody, 2, m, &q), WSC_ERR_NOT_FOUND);
    assert_int_equal(wsc_hub_send_to_users(t.hub, NULL, 0, m, &q), WSC_ERR_NOT_FOUND);
    assert_int_equal(wsc_hub_send_to_group(t.hub, "no-group", m, NULL, &q), WSC_ERR_NOT_FOUND);
    assert_int_equal(wsc_hub_send_to_conn(t.hub, 999999, m), WSC_ERR_NOT_FOUND);
    nothing_happened(&t, a);

    /* The good path beside them: a list naming a twice gets it once; an empty binary. */
    const char *twice[] = {"a", "a"};
    assert_int_equal(wsc_hub_send_to_users(t.hub, twice, 2, m, &q), WSC_OK);
    assert_int_equal(q, 1);
    assert_int_equal(wsc_hub_broadcast_binary(t.hub, NULL, 0, &q), WSC_OK);
    assert_int_equal(q, 1);
    assert_true(thub_wait_msgs(&t, a, 2, 2000));
    thub_run_for(&t, 30);
    assert_int_equal(tws_pending(a), 2);
    wsc_msg_unref(m);
    thub_free(&t);
}

static void
test_api_args__groups_and_queries(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    (void)a;
    assert_int_equal(wsc_hub_group_join(NULL, "g", "a"), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_join(t.hub, NULL, "a"), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_join(t.hub, "", "a"), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", ""), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_leave(NULL, "g", "a"), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_leave(t.hub, "g", "a"), WSC_ERR_NOT_FOUND); /* no group */
    assert_false(wsc_hub_group_has(NULL, "g", "a"));
    assert_false(wsc_hub_group_has(t.hub, NULL, "a"));
    assert_false(wsc_hub_group_has(t.hub, "g", NULL));
    char **members = NULL;
    size_t n = 9;
    assert_int_equal(wsc_hub_group_members(NULL, "g", &members, &n), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_members(t.hub, NULL, &members, &n), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_group_members(t.hub, "g", NULL, &n), WSC_ERR_INVALID);
    assert_int_equal(n, 9);
    /* Two members; one leaves (the group stays), then the last (the group goes). */
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "b"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_ERR_EXISTS);
    assert_int_equal(wsc_hub_group_leave(t.hub, "g", "c"), WSC_ERR_NOT_FOUND);
    assert_int_equal(wsc_hub_group_leave(t.hub, "g", "b"), WSC_OK);
    assert_true(wsc_hub_group_has(t.hub, "g", "a"));
    assert_false(wsc_hub_group_has(t.hub, "g", "b"));
    assert_int_equal(wsc_hub_group_members(t.hub, "g", &members, NULL), WSC_OK); /* n optional */
    assert_string_equal(members[0], "a");
    assert_null(members[1]);
    wsc_free(members);
    assert_int_equal(wsc_hub_group_leave(t.hub, "g", "a"), WSC_OK);
    assert_false(wsc_hub_group_has(t.hub, "g", "a"));
    assert_int_equal(wsc_hub_group_members(t.hub, "g", &members, &n), WSC_OK);
    assert_int_equal(n, 0);
    assert_null(members[0]);
    wsc_free(members);

    /* Queries. */
    wsc_conn_id ids[2];
    assert_false(wsc_hub_is_online(NULL, "a"));
    assert_true(wsc_hub_is_online(t.hub, "a"));
    assert_int_equal(wsc_hub_user_conns(NULL, "a", ids, 2, &n), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_user_conns(t.hub, NULL, ids, 2, &n), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_user_conns(t.hub, "a", ids, 2, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_user_conns(t.hub, "a", NULL, 2, &n), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_user_conns(t.hub, "a", NULL, 0, &n), WSC_OK); /* count only */
    assert_int_equal(n, 1);
    char **users = NULL;
    size_t total = 0;
    assert_int_equal(wsc_hub_online_users(NULL, 0, 10, &users, &n, &total), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_online_users(t.hub, 0, 10, NULL, &n, &total), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_online_users(t.hub, 0, 10, &users, NULL, &total), WSC_ERR_INVALID);
    wsc_hub_stats st;
    memset(&st, 0xab, sizeof(st));
    wsc_hub_get_stats(NULL, &st); /* nothing written */
    assert_int_equal(st.connections, 0xabababababababab);
    wsc_hub_get_stats(t.hub, NULL);
    wsc_reliability_stats rs;
    memset(&rs, 0xab, sizeof(rs));
    wsc_hub_get_reliability_stats(NULL, &rs); /* zeroed */
    assert_int_equal(rs.pending, 0);
    wsc_hub_get_reliability_stats(t.hub, NULL);
    char *text_out = NULL;
    size_t len = 0;
    assert_int_equal(wsc_hub_metrics_text(NULL, &text_out, &len), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_metrics_text(t.hub, NULL, &len), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_metrics_text(t.hub, &text_out, NULL), WSC_ERR_INVALID);
    wsc_hub_config cfg;
    memset(&cfg, 0xab, sizeof(cfg));
    wsc_hub_get_config(NULL, &cfg);
    assert_int_equal(cfg.port, (int)0xabababab);
    wsc_hub_get_config(t.hub, NULL);
    thub_free(&t);
}

static void
test_api_args__control_and_getters(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    size_t kicked = 5;
    assert_int_equal(wsc_hub_kick_user(NULL, "a", NULL, &kicked), WSC_ERR_INVALID);
    assert_int_equal(kicked, 0);
    assert_int_equal(wsc_hub_kick_user(t.hub, NULL, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_kick_user(t.hub, "zed", NULL, &kicked), WSC_ERR_NOT_FOUND);
    assert_int_equal(wsc_hub_kick_conn(NULL, t.conn_ids[0], NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_kick_conn(t.hub, 999999, NULL), WSC_ERR_NOT_FOUND);
    const int bad_codes[] = {0, 999, 1004, 1005, 1006, 1015, 5000};
    for (size_t i = 0; i < sizeof(bad_codes) / sizeof(bad_codes[0]); i++)
        assert_int_equal(wsc_hub_close_conn(t.hub, t.conn_ids[0], bad_codes[i], NULL),
                         WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_close_conn(NULL, t.conn_ids[0], 1000, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_close_conn(t.hub, 999999, 1000, NULL), WSC_ERR_NOT_FOUND);
    calls = 0;
    assert_int_equal(wsc_hub_kick_user_all(NULL, "a", NULL, count_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_kick_user_all(t.hub, NULL, NULL, count_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_user_connections(NULL, "a", count_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_user_connections(t.hub, NULL, count_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_user_connections(t.hub, "a", NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_cluster_stats(NULL, stats_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_cluster_stats(t.hub, NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_record_get(NULL, "m", "a", record_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_record_get(t.hub, NULL, "a", record_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_record_get(t.hub, "m", NULL, record_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_record_get(t.hub, "m", "a", NULL, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_set_failure_handlers(NULL, NULL), WSC_ERR_INVALID);
    nothing_happened(&t, a);
    assert_int_equal(tws_state(a), TWS_OPEN); /* no refused call closed it */

    /* Getters of a NULL hub answer without crashing. */
    assert_null(wsc_hub_loop(NULL));
    assert_int_equal(wsc_hub_port(NULL), -1);
    assert_null(wsc_hub_node_id(NULL));
    assert_non_null(wsc_hub_last_error(NULL));
    assert_false(wsc_hub_is_stopped(NULL));
    assert_int_equal(wsc_hub_run(NULL), WSC_ERR_INVALID);
    wsc_hub_set_ready(NULL, false);
    wsc_hub_stop(NULL);
    wsc_hub_free(NULL);
    assert_string_equal(wsc_limit_kind_name(WSC_LIMIT_ORIGIN), "origin");
    assert_string_equal(wsc_limit_kind_name(WSC_LIMIT_KIND_COUNT), "unknown");
    assert_string_equal(wsc_limit_kind_name((wsc_limit_kind)-1), "unknown");

    /* A user key: the plain id without an app, app 0x1F id with one; bad arguments. */
    char key[8];
    assert_int_equal(wsc_user_key(NULL, "u1", key, sizeof(key)), WSC_OK);
    assert_string_equal(key, "u1");
    assert_int_equal(wsc_user_key("", "u1", key, sizeof(key)), WSC_OK);
    assert_string_equal(key, "u1");
    assert_int_equal(wsc_user_key("ap", "u1", key, sizeof(key)), WSC_OK);
    assert_string_equal(key, "ap\x1fu1");
    assert_int_equal(wsc_user_key("ap", NULL, key, sizeof(key)), WSC_ERR_INVALID);
    assert_int_equal(wsc_user_key("ap", "", key, sizeof(key)), WSC_ERR_INVALID);
    assert_int_equal(wsc_user_key("ap", "u1", NULL, sizeof(key)), WSC_ERR_INVALID);
    assert_int_equal(wsc_user_key("apple", "u1", key, sizeof(key)), WSC_ERR_TOO_LARGE);
    thub_free(&t);
}

static void
test_api_args__publish_targets(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    calls = 0;
    wsc_msg *m = text(NULL);
    const char *one[] = {"a"}, *holed[] = {"a", NULL};
    const wsc_publish_target bad[] = {
        {0},                                              /* nothing named */
        {.user_ids = one, .n_users = 0},                  /* an empty list */
        {.user_ids = holed, .n_users = 2},                /* a hole */
        {.user_ids = one, .n_users = 1, .group_id = "g"}, /* two kinds */
        {.group_id = "g", .broadcast = true},
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        assert_int_equal(wsc_hub_publish(t.hub, &bad[i], m, count_cb, NULL), WSC_ERR_INVALID);
    const wsc_publish_target ok = {.user_ids = one, .n_users = 1};
    assert_int_equal(wsc_hub_publish(NULL, &ok, m, count_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish(t.hub, NULL, m, count_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish(t.hub, &ok, NULL, count_cb, NULL), WSC_ERR_INVALID);
    nothing_happened(&t, a);

    /* A list naming a twice counts one connection; without a callback it still goes out. */
    const char *twice[] = {"a", "a"};
    const wsc_publish_target dup = {.user_ids = twice, .n_users = 2};
    assert_int_equal(wsc_hub_publish(t.hub, &dup, m, count_cb, NULL), WSC_OK);
    assert_int_equal(calls, 0); /* never inside the call */
    assert_true(thub_wait_ge(&t, &calls, 1, 2000));
    assert_int_equal(wsc_hub_publish(t.hub, &dup, m, NULL, NULL), WSC_OK);
    assert_true(thub_wait_msgs(&t, a, 2, 2000));
    thub_run_for(&t, 30);
    assert_int_equal(tws_pending(a), 2);
    assert_int_equal(calls, 1);
    wsc_msg_unref(m);
    thub_free(&t);
}

static void
test_api_args__ack_sends(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    calls = 0;
    wsc_msg *m = text("m1"), *bin = NULL, *frozen = text(NULL);
    assert_int_equal(wsc_msg_new_binary(&bin, "b", 1), WSC_OK);
    size_t q = 0;
    assert_int_equal(wsc_hub_send_to_user(t.hub, "nobody", frozen, &q), WSC_ERR_NOT_FOUND);
    assert_true(wsc_msg_is_frozen(frozen)); /* frozen, without a message_id */
    const char *one[] = {"a"}, *empty[] = {""}, *holed[] = {"a", NULL};
    size_t started = 9;

    wsc_ack_opts bad[6];
    for (size_t i = 0; i < 6; i++)
        wsc_ack_opts_init(&bad[i]);
    bad[0].backoff_factor = 0.5;
    bad[1].backoff_factor = NAN;
    bad[2].jitter = -0.1;
    bad[3].jitter = 1.5;
    bad[4].jitter = NAN;
    bad[5].backoff_factor = INFINITY;
    for (size_t i = 0; i < 6; i++) {
        assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "a", m, &bad[i], done_cb, NULL),
                         WSC_ERR_INVALID);
        wsc_batch_config bc;
        wsc_batch_config_init(&bc);
        bc.ack = bad[i];
        wsc_batch *b = NULL;
        assert_int_equal(wsc_batch_new(&b, t.hub, &bc), WSC_ERR_INVALID);
        assert_null(b);
    }

    assert_int_equal(wsc_hub_send_to_user_ack(NULL, "a", m, NULL, done_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, NULL, m, NULL, done_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "", m, NULL, done_cb, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "a", NULL, NULL, done_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "a", bin, NULL, done_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "a", frozen, NULL, done_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, empty, 1, m, NULL, done_cb, NULL, &started),
                     WSC_ERR_INVALID);
    assert_int_equal(started, 0);
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, holed, 2, m, NULL, done_cb, NULL, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, NULL, 1, m, NULL, done_cb, NULL, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_users_ack(NULL, one, 1, m, NULL, done_cb, NULL, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_group_ack(t.hub, NULL, m, NULL, NULL, done_cb, NULL, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_send_to_group_ack(t.hub, "g", bin, NULL, NULL, done_cb, NULL, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, one, 1, "g", NULL, m, NULL, accepted_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, one, 1, NULL, NULL, bin, NULL, accepted_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(NULL, one, 1, NULL, NULL, m, NULL, accepted_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, one, 1, NULL, NULL, m, NULL, NULL, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(
        wsc_hub_publish_ack(t.hub, one, 1, NULL, NULL, frozen, NULL, accepted_cb, NULL),
        WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, one, 1, NULL, NULL, m, &bad[0], accepted_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, NULL, 1, NULL, NULL, m, NULL, accepted_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, NULL, 1, "g", NULL, m, NULL, accepted_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, empty, 1, NULL, NULL, m, NULL, accepted_cb, NULL),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_publish_ack(t.hub, holed, 2, NULL, NULL, m, NULL, accepted_cb, NULL),
                     WSC_ERR_INVALID);
    nothing_happened(&t, a);
    assert_false(wsc_msg_is_frozen(m)); /* refused before it was touched */

    /* The same message_id twice to a: the second one is refused through done, on a later
     * turn, and counted as not started. */
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, one, 1, m, NULL, done_cb, NULL, &started),
                     WSC_OK);
    assert_int_equal(started, 1);
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, one, 1, m, NULL, done_cb, NULL, &started),
                     WSC_OK);
    assert_int_equal(started, 0);
    assert_int_equal(calls, 0);
    assert_true(thub_wait_ge(&t, &calls, 1, 2000));
    /* An empty group starts nothing and calls nothing. */
    assert_int_equal(
        wsc_hub_send_to_group_ack(t.hub, "none", m, NULL, NULL, done_cb, NULL, &started), WSC_OK);
    assert_int_equal(started, 0);
    thub_run_for(&t, 30);
    assert_int_equal(calls, 1);
    wsc_msg_unref(m);
    wsc_msg_unref(bin);
    wsc_msg_unref(frozen);
    thub_free(&t);
}

static void
test_api_args__batch(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    wsc_batch_config bc;
    wsc_batch_config_init(NULL); /* harmless */
    wsc_batch_config_init(&bc);
    wsc_batch *b = NULL;
    assert_int_equal(wsc_batch_new(NULL, t.hub, &bc), WSC_ERR_INVALID);
    assert_int_equal(wsc_batch_new(&b, NULL, &bc), WSC_ERR_INVALID);
    assert_int_equal(wsc_batch_new(&b, t.hub, NULL), WSC_ERR_INVALID);
    bc.mode = (wsc_batch_mode)7;
    assert_int_equal(wsc_batch_new(&b, t.hub, &bc), WSC_ERR_INVALID);
    bc.mode = WSC_BATCH_FIRE_AND_FORGET;
    assert_int_equal(wsc_batch_new(&b, t.hub, &bc), WSC_OK);
    wsc_msg *m = text(NULL);
    size_t index = 9;
    assert_int_equal(wsc_batch_add(NULL, "a", m, &index), WSC_ERR_INVALID);
    assert_int_equal(wsc_batch_add(b, NULL, m, &index), WSC_ERR_INVALID);
    assert_int_equal(wsc_batch_add(b, "", m, &index), WSC_ERR_INVALID);
    assert_int_equal(wsc_batch_add(b, "a", NULL, &index), WSC_ERR_INVALID);
    assert_int_equal(index, 9);
    assert_int_equal(wsc_batch_add(b, "a", m, NULL), WSC_OK);
    assert_int_equal(wsc_batch_add(b, "b", m, &index), WSC_OK);
    assert_int_equal(index, 1);
    assert_int_equal(wsc_batch_run(NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_batch_run(b), WSC_OK);
    assert_int_equal(wsc_batch_run(b), WSC_ERR_INVALID);               /* already run */
    assert_int_equal(wsc_batch_add(b, "c", m, NULL), WSC_ERR_INVALID); /* runs already */
    wsc_batch_free(b);
    wsc_batch_free(NULL);
    wsc_msg_unref(m);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_api_args__sends),
        cmocka_unit_test(test_api_args__groups_and_queries),
        cmocka_unit_test(test_api_args__control_and_getters),
        cmocka_unit_test(test_api_args__publish_targets),
        cmocka_unit_test(test_api_args__ack_sends),
        cmocka_unit_test(test_api_args__batch),
    };
    return cmocka_run_group_tests_name("integration.hub_api_args", tests, NULL, NULL);
}
