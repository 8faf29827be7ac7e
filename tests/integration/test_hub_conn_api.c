/* SPDX-License-Identifier: MIT */
/* The connection handle the hub's callbacks get (include/wsc/conn.h), used as an application
 * would (integration.hub_conn_api): its ids and peer address, the application's pointer kept
 * from on_connect to on_message and on_disconnect, and wsc_conn_close (bad codes refused, the
 * client gets the code and reason, a second close answers WSC_ERR_STATE, on_disconnect reports
 * them).  NULL handles are refused or answered with NULL. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "tjson.h"
#include "twait.h"
#include "tws.h"

struct app {
    int marker; /* the application pointer is &marker */
    int connects, messages, disconnects;
    char client_id[64], peer[64], user_key[64];
    bool pointer_seen_in_message, pointer_seen_in_disconnect;
    wsc_err close_bad, close_first, close_again;
    int disc_code;
    char disc_reason[128];
};

static void
on_connect(wsc_hub *hub, wsc_conn *conn, void *user)
{
    (void)hub;
    struct app *a = user;
    a->connects++;
    snprintf(a->client_id, sizeof(a->client_id), "%s", wsc_conn_client_id(conn));
    snprintf(a->peer, sizeof(a->peer), "%s", wsc_conn_peer(conn));
    snprintf(a->user_key, sizeof(a->user_key), "%s", wsc_conn_user_key(conn));
    assert_null(wsc_conn_get_user(conn)); /* NULL until set */
    wsc_conn_set_user(conn, &a->marker);
}

static void
on_message(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, bool *route, void *user)
{
    (void)hub;
    struct app *a = user;
    a->messages++;
    *route = false;
    a->pointer_seen_in_message = wsc_conn_get_user(conn) == &a->marker;
    const char *content = wsc_msg_get(msg, WSC_F_CONTENT);
    if (content != NULL && strcmp(content, "close me") == 0) {
        a->close_bad = wsc_conn_close(conn, 999, "no");
        a->close_first = wsc_conn_close(conn, 4100, "asked for it");
        a->close_again = wsc_conn_close(conn, 4101, "twice");
    }
}

static void
on_disconnect(wsc_hub *hub, wsc_conn *conn, int code, const char *reason, void *user)
{
    (void)hub;
    struct app *a = user;
    a->disconnects++;
    a->pointer_seen_in_disconnect = wsc_conn_get_user(conn) == &a->marker;
    a->disc_code = code;
    snprintf(a->disc_reason, sizeof(a->disc_reason), "%s", reason ? reason : "");
}

static bool
disconnected(void *arg)
{
    return ((struct app *)arg)->disconnects > 0;
}

static void
test_conn_api__handle_in_callbacks_and_close(void **state)
{
    (void)state;
    struct app a = {0};
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.loop = loop;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.insecure_user_id = true;
    cfg.on_connect = on_connect;
    cfg.on_message = on_message;
    cfg.on_disconnect = on_disconnect;
    cfg.user = &a;
    cfg.log.level = WSC_LOG_ERROR;
    wsc_hub *hub = NULL;
    assert_int_equal(wsc_hub_new(&hub, &cfg), WSC_OK);
    twait_set *ts = twait_set_new();
    tws *c = tws_connect(wsc_hub_port(hub), "/ws?user_id=alice&client_id=dev-1", NULL, NULL);
    assert_non_null(c);
    twait_add_ws(ts, c);
    twait_count one = {c, 1};
    assert_true(twait_until(ts, loop, twait_has_messages, &one, 3000)); /* connected */
    assert_int_equal(a.connects, 1);
    assert_string_equal(a.client_id, "dev-1");
    assert_string_equal(a.peer, "127.0.0.1");
    assert_string_equal(a.user_key, "alice");
    const char *hello = "{\"message_type\":\"text\",\"content\":\"hello\"}";
    tws_send_text(c, hello, strlen(hello));
    const char *bye = "{\"message_type\":\"text\",\"content\":\"close me\"}";
    tws_send_text(c, bye, strlen(bye));
    assert_true(twait_until(ts, loop, tws_is_closed, c, 3000));
    assert_true(twait_until(ts, loop, disconnected, &a, 3000));
    assert_int_equal(a.messages, 2);
    assert_true(a.pointer_seen_in_message);
    assert_int_equal(a.close_bad, WSC_ERR_INVALID);
    assert_int_equal(a.close_first, WSC_OK);
    assert_int_equal(a.close_again, WSC_ERR_STATE);
    assert_int_equal(tws_close_code(c), 4100);
    assert_string_equal(tws_close_reason(c), "asked for it");
    assert_true(a.pointer_seen_in_disconnect);
    assert_int_equal(a.disc_code, 4100);
    assert_string_equal(a.disc_reason, "asked for it");
    assert_int_equal(a.disconnects, 1);
    twait_set_free_all(ts);
    wsc_hub_free(hub);
    wsc_loop_free(loop);
}

static void
test_conn_api__null_handle(void **state)
{
    (void)state;
    assert_null(wsc_conn_peer(NULL));
    assert_null(wsc_conn_client_id(NULL));
    assert_null(wsc_conn_get_user(NULL));
    wsc_conn_set_user(NULL, &state);
    assert_int_equal(wsc_conn_close(NULL, 1000, NULL), WSC_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_conn_api__handle_in_callbacks_and_close),
        cmocka_unit_test(test_conn_api__null_handle),
    };
    return cmocka_run_group_tests_name("integration.hub_conn_api", tests, NULL, NULL);
}
