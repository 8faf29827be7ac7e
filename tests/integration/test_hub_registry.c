/* SPDX-License-Identifier: MIT */
/* The hub's registry: several connections per user, client id replacement (4002), the queries
 * (is_online, user_conns, online_users with paging, stats), and kicking (kick_out then 4001). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thub.h"
#include "tjson.h"

static void
send_text(thub *t, const char *user, const char *content, size_t want)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    size_t n = 99;
    assert_int_equal(wsc_hub_send_to_user(t->hub, user, m, &n), WSC_OK);
    assert_int_equal(n, want);
    wsc_msg_unref(m);
}

static void
expect_content(thub *t, tws *c, const char *content)
{
    json_t *j = thub_recv_type(t, c, "text", 3000);
    assert_string_equal(tjson_str(j, "content"), content);
    json_decref(j);
}

static void
test_hub_registry__several_connections_per_user(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "u1", "client_id=phone");
    tws *b = thub_open(&t, "u1", "client_id=laptop");
    tws *c = thub_open(&t, "u1", NULL);
    send_text(&t, "u1", "to all three", 3);
    expect_content(&t, a, "to all three");
    expect_content(&t, b, "to all three");
    expect_content(&t, c, "to all three");
    size_t n = 0;
    wsc_conn_id ids[2];
    assert_int_equal(wsc_hub_user_conns(t.hub, "u1", ids, 2, &n), WSC_OK);
    assert_int_equal(n, 3);
    assert_int_equal(ids[0], t.conn_ids[0]);
    assert_int_equal(ids[1], t.conn_ids[1]);
    assert_int_equal(wsc_hub_user_conns(t.hub, "nobody", ids, 2, &n), WSC_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    thub_free(&t);
}

static void
test_hub_registry__client_id_replacement_closes_old_with_4002(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *old = thub_open(&t, "u1", "client_id=phone");
    tws *other = thub_open(&t, "u1", "client_id=tablet");
    tws *fresh = thub_open(&t, "u1", "client_id=phone");
    assert_true(thub_wait(&t, tws_is_closed, old, 3000));
    assert_int_equal(tws_close_code(old), 4002);
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 3000));
    assert_int_equal(t.disc[0].code, 4002);
    assert_int_equal(t.disc[0].id, t.conn_ids[0]);
    assert_true(wsc_hub_is_online(t.hub, "u1"));
    size_t n = 0;
    assert_int_equal(wsc_hub_user_conns(t.hub, "u1", NULL, 0, &n), WSC_OK);
    assert_int_equal(n, 2);
    send_text(&t, "u1", "after", 2);
    expect_content(&t, fresh, "after");
    expect_content(&t, other, "after");
    assert_int_equal(tws_pending(old), 0);
    thub_free(&t);
}

static void
test_hub_registry__queries_and_stats(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    char user[16];
    tws *peers[5];
    for (int i = 0; i < 5; i++) {
        snprintf(user, sizeof(user), "user%d", i);
        peers[i] = thub_open(&t, user, NULL);
    }
    thub_open(&t, "user0", NULL); /* a second connection: still 5 users */
    assert_true(wsc_hub_is_online(t.hub, "user3"));
    assert_false(wsc_hub_is_online(t.hub, "user9"));
    char **ids = NULL;
    size_t n = 0, total = 0;
    assert_int_equal(wsc_hub_online_users(t.hub, 0, 2, &ids, &n, &total), WSC_OK);
    assert_int_equal(n, 2);
    assert_int_equal(total, 5);
    assert_string_equal(ids[0], "user0");
    assert_string_equal(ids[1], "user1");
    assert_null(ids[2]);
    wsc_free(ids);
    assert_int_equal(wsc_hub_online_users(t.hub, 4, 10, &ids, &n, &total), WSC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(ids[0], "user4");
    wsc_free(ids);
    assert_int_equal(wsc_hub_online_users(t.hub, 9, 10, &ids, &n, NULL), WSC_OK);
    assert_int_equal(n, 0);
    assert_null(ids[0]);
    wsc_free(ids);

    thub_send(peers[1], "{\"receiver\":\"user2\",\"content\":\"x\"}");
    json_decref(thub_recv_type(&t, peers[2], "text", 3000));
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.connections, 6);
    assert_int_equal(st.users, 5);
    assert_int_equal(st.messages_in, 1);
    assert_true(st.messages_out >= 7); /* 6 connected frames and the message */
    assert_true(st.bytes_in > 0 && st.bytes_out > 0);

    tws_send_close(peers[1], 1000, "bye");
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 3000));
    assert_false(wsc_hub_is_online(t.hub, "user1"));
    assert_int_equal(wsc_hub_online_users(t.hub, 0, 10, &ids, &n, &total), WSC_OK);
    assert_int_equal(n, 4);
    assert_int_equal(total, 4);
    assert_string_equal(ids[1], "user2");
    wsc_free(ids);
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.connections, 5);
    assert_int_equal(st.users, 4);
    thub_free(&t);
}

static void
test_hub_registry__kick_user_and_conn(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "bad", NULL);
    tws *b = thub_open(&t, "bad", NULL);
    tws *c = thub_open(&t, "good", NULL);
    tws *d = thub_open(&t, "good", NULL);
    size_t n = 0;
    assert_int_equal(wsc_hub_kick_user(t.hub, "bad", "spam", &n), WSC_OK);
    assert_int_equal(n, 2);
    tws *pair[] = {a, b};
    for (int i = 0; i < 2; i++) {
        json_t *j = thub_recv_type(&t, pair[i], "kick_out", 3000);
        assert_string_equal(tjson_str(j, "data.reason"), "spam");
        json_decref(j);
        assert_true(thub_wait(&t, tws_is_closed, pair[i], 3000));
        assert_int_equal(tws_close_code(pair[i]), 4001);
        assert_string_equal(tws_close_reason(pair[i]), "spam");
    }
    assert_true(thub_wait_ge(&t, &t.disconnects, 2, 3000));
    assert_int_equal(t.disc[0].code, 4001);
    assert_false(wsc_hub_is_online(t.hub, "bad"));
    assert_int_equal(wsc_hub_kick_user(t.hub, "bad", NULL, &n), WSC_ERR_NOT_FOUND);

    assert_int_equal(wsc_hub_kick_conn(t.hub, t.conn_ids[3], NULL), WSC_OK);
    /* Closing: sends to it fail with CLOSED (reported once), then NOT_FOUND once gone. */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "too late"), WSC_OK);
    size_t failed = t.failed;
    assert_int_equal(wsc_hub_send_to_conn(t.hub, t.conn_ids[3], m), WSC_ERR_CLOSED);
    assert_int_equal(t.failed, failed + 1);
    assert_int_equal(t.fails[failed].why, WSC_ERR_CLOSED);
    json_decref(thub_recv_type(&t, d, "kick_out", 3000));
    assert_true(thub_wait(&t, tws_is_closed, d, 3000));
    assert_int_equal(tws_close_code(d), 4001);
    assert_int_equal(wsc_hub_kick_conn(t.hub, t.conn_ids[3], NULL), WSC_ERR_NOT_FOUND);
    assert_true(thub_wait_ge(&t, &t.disconnects, 3, 3000));
    assert_int_equal(wsc_hub_send_to_conn(t.hub, t.conn_ids[3], m), WSC_ERR_NOT_FOUND);
    wsc_msg_unref(m);
    /* The other connection of the user stays. */
    send_text(&t, "good", "still here", 1);
    expect_content(&t, c, "still here");
    assert_int_equal(tws_state(c), TWS_OPEN);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_registry__several_connections_per_user),
        cmocka_unit_test(test_hub_registry__client_id_replacement_closes_old_with_4002),
        cmocka_unit_test(test_hub_registry__queries_and_stats),
        cmocka_unit_test(test_hub_registry__kick_user_and_conn),
    };
    return cmocka_run_group_tests_name("integration.hub_registry", tests, NULL, NULL);
}
