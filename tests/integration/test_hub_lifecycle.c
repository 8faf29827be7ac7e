/* SPDX-License-Identifier: MIT */
/* Connection and hub lifecycles: heartbeat (pings, 4003), connect/disconnect callbacks with
 * codes and reasons, on_sent and on_send_failed under a full queue, graceful shutdown (flush,
 * 1001, 503 while draining, /readyz and /healthz), and freeing a hub with live connections. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "thub.h"
#include "tjson.h"

static void
test_hub_lifecycle__heartbeat_closes_silent_peer_4003(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.ping_interval_ms = 50;
    cfg.pong_timeout_ms = 200;
    thub_start(&t, &cfg);
    tws *good = thub_open(&t, "good", NULL);
    tws *silent = thub_open(&t, "silent", NULL);
    tws_set_auto_pong(silent, false);
    assert_true(thub_wait(&t, tws_is_closed, silent, 2000));
    assert_int_equal(tws_close_code(silent), 4003);
    assert_true(tws_pings_received(silent) >= 1);
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 2000));
    assert_int_equal(t.disc[0].code, 4003);
    assert_string_equal(t.disc[0].user, "silent");
    /* The peer that answers pings outlives several timeouts. */
    thub_run_for(&t, 500);
    assert_int_equal(tws_state(good), TWS_OPEN);
    assert_true(tws_pings_received(good) >= 5);
    assert_int_equal(t.disconnects, 1);
    assert_true(wsc_hub_is_online(t.hub, "good"));
    thub_free(&t);
}

static void
test_hub_lifecycle__app_ping_counts_as_traffic(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.ping_interval_ms = 50;
    cfg.pong_timeout_ms = 200;
    thub_start(&t, &cfg);
    tws *c = thub_open(&t, "app", NULL);
    tws_set_auto_pong(c, false);
    for (int i = 0; i < 8; i++) {
        thub_send(c, "{\"message_type\":\"ping\"}");
        thub_run_for(&t, 60);
    }
    assert_int_equal(tws_state(c), TWS_OPEN);
    assert_int_equal(t.disconnects, 0);
    thub_free(&t);
}

static void
test_hub_lifecycle__disconnect_codes_and_reasons(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *polite = thub_open(&t, "polite", NULL);
    tws *rude = thub_open(&t, "rude", NULL);
    tws *closed = thub_open(&t, "closed", NULL);
    assert_int_equal(t.connects, 3);
    assert_int_equal(tws_send_close(polite, 1000, "bye"), 0);
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 3000));
    assert_int_equal(t.disc[0].code, 1000);
    assert_string_equal(t.disc[0].reason, "bye");
    assert_string_equal(t.disc[0].user, "polite");
    assert_true(thub_wait(&t, tws_is_closed, polite, 3000));
    assert_int_equal(tws_close_code(polite), 1000);
    tws_close_tcp(rude);
    assert_true(thub_wait_ge(&t, &t.disconnects, 2, 3000));
    assert_int_equal(t.disc[1].code, 1006);
    assert_string_equal(t.disc[1].user, "rude");
    assert_int_equal(wsc_hub_close_conn(t.hub, t.conn_ids[2], 4321, "app says so"), WSC_OK);
    assert_int_equal(wsc_hub_close_conn(t.hub, t.conn_ids[2], 999, NULL), WSC_ERR_INVALID);
    assert_true(thub_wait(&t, tws_is_closed, closed, 3000));
    assert_int_equal(tws_close_code(closed), 4321);
    assert_string_equal(tws_close_reason(closed), "app says so");
    assert_true(thub_wait_ge(&t, &t.disconnects, 3, 3000));
    assert_int_equal(t.disc[2].code, 4321);
    assert_string_equal(t.disc[2].reason, "app says so");
    thub_run_for(&t, 50);
    assert_int_equal(t.disconnects, 3);
    assert_int_equal(t.connects, 3);
    assert_true(t.sent >= 3);
    thub_free(&t);
}

static size_t
flood(thub *t, size_t rounds, size_t per_round, size_t size)
{
    char *content = malloc(size + 1);
    memset(content, 'x', size);
    content[size] = '\0';
    size_t total = 0;
    char id[32];
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < per_round; i++) {
            wsc_msg *m = NULL;
            assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
            snprintf(id, sizeof(id), "m-%zu", total++);
            wsc_msg_set(m, WSC_F_MESSAGE_ID, id);
            wsc_hub_send_to_user(t->hub, "slow", m, NULL);
            wsc_msg_unref(m);
        }
        twait_pump(t->ts, t->loop, 1);
    }
    free(content);
    return total;
}

static void
test_hub_lifecycle__queue_full_reports_each_failure_once(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.queue_max_count = 8;
    thub_start(&t, &cfg);
    tws *slow = thub_open(&t, "slow", NULL);
    tws *other = thub_open(&t, "other", NULL);
    twait_remove_ws(t.ts, slow); /* never read again: the socket fills up */
    size_t sent_before = t.sent;
    size_t total = flood(&t, 40, 25, 16 * 1024);
    assert_true(t.failed > 0);
    assert_int_equal(t.fails[0].why, WSC_ERR_QUEUE_FULL);
    assert_false(t.dup_report);
    /* The hub stays responsive for others. */
    thub_send(other, "{\"message_type\":\"ping\"}");
    json_decref(thub_recv_type(&t, other, "pong", 3000));
    /* Dropping the slow peer reports what was still queued as closed, once. */
    tws_reset_tcp(slow);
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 3000));
    assert_false(t.dup_report);
    assert_int_equal(t.sent - sent_before - 1 + t.failed, total); /* minus the pong */
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.send_failed, t.failed);
    assert_int_equal(st.queued, 0);
    tws_free(slow);
    thub_free(&t);
}

static void
test_hub_lifecycle__graceful_stop(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *peers[3];
    const char *users[] = {"u0", "u1", "u2"};
    for (int i = 0; i < 3; i++)
        peers[i] = thub_open(&t, users[i], NULL);
    char content[32];
    for (int i = 0; i < 50; i++) {
        snprintf(content, sizeof(content), "n%d", i);
        wsc_msg *m = NULL;
        wsc_msg_new_text(&m, "text", content);
        assert_int_equal(wsc_hub_broadcast(t.hub, m, NULL), WSC_OK);
        wsc_msg_unref(m);
    }
    wsc_hub_stop(t.hub);
    tws *late = thub_ws(&t, "/ws?user_id=late", NULL);
    thttp *ready = thttp_request(t.port, "GET", "/readyz", NULL, NULL, 0);
    thttp *health = thttp_request(t.port, "GET", "/healthz", NULL, NULL, 0);
    twait_add_http(t.ts, ready);
    twait_add_http(t.ts, health);
    for (int i = 0; i < 3; i++) {
        assert_true(thub_wait(&t, tws_is_closed, peers[i], 5000));
        assert_int_equal(tws_close_code(peers[i]), 1001);
        assert_int_equal(tws_pending(peers[i]), 50);
        for (int k = 0; k < 50; k++) {
            json_t *j = thub_recv_type(&t, peers[i], "text", 10);
            snprintf(content, sizeof(content), "n%d", k);
            assert_string_equal(tjson_str(j, "content"), content);
            json_decref(j);
        }
    }
    assert_true(thub_wait_ge(&t, &t.disconnects, 3, 3000));
    for (int i = 0; i < 3; i++)
        assert_int_equal(t.disc[i].code, 1001);
    assert_true(wsc_hub_is_stopped(t.hub));
    assert_true(thub_settle(&t, late));
    assert_int_equal(tws_http_status(late), 503);
    assert_true(thub_wait(&t, thttp_is_done, ready, 3000));
    assert_int_equal(thttp_status(ready), 503);
    assert_true(thub_wait(&t, thttp_is_done, health, 3000));
    assert_int_equal(thttp_status(health), 200);
    assert_int_equal(t.connects, 3);
    thub_free(&t);
}

static bool
hub_stopped(void *arg)
{
    return wsc_hub_is_stopped(arg);
}

static void
test_hub_lifecycle__stop_gives_up_on_a_stuck_peer(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.shutdown_timeout_ms = 100;
    thub_start(&t, &cfg);
    tws *slow = thub_open(&t, "slow", NULL);
    tws *ok = thub_open(&t, "ok", NULL);
    twait_remove_ws(t.ts, slow); /* never reads again */
    size_t total = flood(&t, 40, 25, 16 * 1024);
    assert_true(t.failed > 0); /* the socket and the queue are full */
    wsc_hub_stop(t.hub);
    assert_true(thub_wait(&t, hub_stopped, t.hub, 3000));
    assert_int_equal(t.disconnects, 2);
    assert_int_equal(t.disc[0].code, 1001);
    assert_int_equal(t.disc[1].code, 1001);
    assert_true(thub_wait(&t, tws_is_closed, ok, 1000));
    assert_int_equal(tws_close_code(ok), 1001);
    assert_false(t.dup_report);
    assert_true(t.sent + t.failed >= total);
    tws_free(slow);
    thub_free(&t);
}

static void
test_hub_lifecycle__free_with_live_connections(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    tws *b = thub_open(&t, "b", NULL);
    thub_open(&t, "b", NULL);
    wsc_msg *m = NULL;
    wsc_msg_new_text(&m, "text", "queued at free");
    wsc_hub_broadcast(t.hub, m, NULL);
    wsc_msg_unref(m);
    wsc_hub_free(t.hub);
    t.hub = NULL;
    assert_int_equal(t.disconnects, 3);
    for (int i = 0; i < 3; i++)
        assert_int_equal(t.disc[i].code, 1001);
    /* The peers hear about it at once, with 1001. */
    assert_true(thub_wait(&t, tws_is_closed, a, 500));
    assert_true(thub_wait(&t, tws_is_closed, b, 500));
    assert_int_equal(tws_close_code(a), 1001);
    assert_string_equal(tws_close_reason(a), "hub freed");
    thub_free(&t);
}

/* A port another socket holds: wsc_hub_new refuses with WSC_ERR_IO and leaves nothing behind
 * (lws finalizes the vhost it failed to create, which used to free the hub twice), and the
 * loop serves a hub on another port afterwards. */
static void
test_hub_lifecycle__port_in_use_is_refused_cleanly(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 4), 0);
    socklen_t alen = sizeof(a);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.port = ntohs(a.sin_port);
    wsc_hub *h = (wsc_hub *)&cfg; /* not NULL: the call must clear it */
    assert_int_equal(wsc_hub_new(&h, &cfg), WSC_ERR_IO);
    assert_null(h);
    close(fd);
    cfg.port = 0;
    thub_start(&t, &cfg);
    tws *c = thub_open(&t, "after", NULL);
    (void)c;
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_lifecycle__heartbeat_closes_silent_peer_4003),
        cmocka_unit_test(test_hub_lifecycle__app_ping_counts_as_traffic),
        cmocka_unit_test(test_hub_lifecycle__disconnect_codes_and_reasons),
        cmocka_unit_test(test_hub_lifecycle__queue_full_reports_each_failure_once),
        cmocka_unit_test(test_hub_lifecycle__graceful_stop),
        cmocka_unit_test(test_hub_lifecycle__stop_gives_up_on_a_stuck_peer),
        cmocka_unit_test(test_hub_lifecycle__free_with_live_connections),
        cmocka_unit_test(test_hub_lifecycle__port_in_use_is_refused_cleanly),
    };
    return cmocka_run_group_tests_name("integration.hub_lifecycle", tests, NULL, NULL);
}
