/* SPDX-License-Identifier: MIT */
/* Tenants (PROTOCOL.md §1): the app id (`aid` claim) is part of the user's identity.  The same
 * `sub` in two apps is two users: point-to-point, groups, broadcast, presence and the offline
 * store never cross apps; the frames still show the plain user id.  Raw WebSocket peers with
 * HS256 tokens against a hub on its default memory store. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "middleware/auth_jwt.h"
#include "models/alloc.h"
#include "test_reliability_util.h"

#define SECRET "tenant-test-secret-of-some-length"

static tws *
connect_as(struct rt *t, const char *user, const char *app)
{
    char claims[256], path[1024];
    snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"aid\":\"%s\",\"exp\":%lld}", user, app,
             (long long)time(NULL) + 3600);
    char *tok = NULL;
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, claims, &tok), WSC_OK);
    snprintf(path, sizeof(path), "/ws?token=%s", tok);
    wsc__free(tok);
    tws *c = tws_connect(t->port, path, NULL, NULL);
    assert_non_null(c);
    twait_add_ws(t->ts, c);
    json_t *j = rt_next(t, c, 3000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "message_type"), "connected");
    /* The frame shows the plain user id, not the (app, user) key. */
    assert_string_equal(tjson_str(json_object_get(j, "data"), "user_id"), user);
    json_decref(j);
    return c;
}

static void
send_frame(tws *c, const char *json)
{
    assert_int_equal(tws_send_text(c, json, strlen(json)), 0);
}

/* The next application message of c has this content (and, when given, this sender). */
static void
expect_content(struct rt *t, tws *c, const char *content, const char *sender)
{
    json_t *j = rt_next_app(t, c, 3000);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "content"), content);
    if (sender != NULL)
        assert_string_equal(tjson_str(j, "sender"), sender);
    json_decref(j);
}

static void
start(struct rt *t)
{
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    rt_fast_ack(&cfg.ack, 3);
    cfg.allow_client_broadcast = true;
    cfg.jwt_secret = SECRET; /* identity (and app id) from the token in ?token= */
    assert_int_equal(rt_start_cfg(t, &cfg), WSC_OK);
}

static void
test_hub_tenants__same_user_id_in_two_apps_is_two_users(void **state)
{
    (void)state;
    struct rt t = {0};
    start(&t);
    tws *alice_a = connect_as(&t, "alice", "A"), *carol_b = connect_as(&t, "carol", "B");
    tws *bob_a = connect_as(&t, "bob", "A"), *bob_b = connect_as(&t, "bob", "B");
    char key[WSC_MSG_KEY_MAX];
    assert_int_equal(wsc_user_key("A", "bob", key, sizeof(key)), WSC_OK);
    assert_true(wsc_hub_is_online(t.hub, key));
    assert_false(wsc_hub_is_online(t.hub, "bob")); /* no app-less bob */

    /* Point-to-point: A's bob only.  B's bob gets carol's message first, proving A's did not
     * reach him. */
    send_frame(alice_a, "{\"receiver\":\"bob\",\"content\":\"p2p-A\"}");
    send_frame(carol_b, "{\"receiver\":\"bob\",\"content\":\"p2p-B\"}");
    expect_content(&t, bob_a, "p2p-A", "alice");
    expect_content(&t, bob_b, "p2p-B", "carol");

    /* Groups are per app: "g" in A and "g" in B. */
    char ga[WSC_MSG_KEY_MAX], gb[WSC_MSG_KEY_MAX], u[WSC_MSG_KEY_MAX];
    assert_int_equal(wsc_user_key("A", "g", ga, sizeof(ga)), WSC_OK);
    assert_int_equal(wsc_user_key("B", "g", gb, sizeof(gb)), WSC_OK);
    assert_int_equal(wsc_user_key("A", "alice", u, sizeof(u)), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, ga, u), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, ga, key), WSC_OK);
    assert_int_equal(wsc_user_key("B", "bob", u, sizeof(u)), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, gb, u), WSC_OK);
    assert_int_equal(wsc_user_key("B", "carol", u, sizeof(u)), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, gb, u), WSC_OK);
    send_frame(alice_a, "{\"group_ids\":[\"g\"],\"content\":\"group-A\"}");
    send_frame(carol_b, "{\"group_ids\":[\"g\"],\"content\":\"group-B\"}");
    expect_content(&t, bob_a, "group-A", "alice");
    expect_content(&t, bob_b, "group-B", "carol");

    /* Broadcast reaches the sender's app only. */
    send_frame(alice_a, "{\"broadcast_type\":\"global\",\"content\":\"all-A\"}");
    send_frame(carol_b, "{\"broadcast_type\":\"global\",\"content\":\"all-B\"}");
    expect_content(&t, bob_a, "all-A", "alice");
    expect_content(&t, bob_b, "all-B", "carol");
    rt_stop(&t);
}

static void
test_hub_tenants__offline_store_is_per_app(void **state)
{
    (void)state;
    struct rt t = {0};
    start(&t);
    tws *alice_a = connect_as(&t, "alice", "A");
    send_frame(alice_a, "{\"message_id\":\"off-1\",\"receiver\":\"dave\",\"require_ack\":true,"
                        "\"content\":\"for A's dave\"}");
    json_t *r = rt_next_app(&t, alice_a, 3000);
    assert_non_null(r);
    assert_string_equal(tjson_str(r, "message_type"), "ack");
    json_decref(r);
    char ka[WSC_MSG_KEY_MAX], kb[WSC_MSG_KEY_MAX];
    assert_int_equal(wsc_user_key("A", "dave", ka, sizeof(ka)), WSC_OK);
    assert_int_equal(wsc_user_key("B", "dave", kb, sizeof(kb)), WSC_OK);
    assert_int_equal(rt_offline_count(&t, ka), 1);
    assert_int_equal(rt_offline_count(&t, kb), 0);
    assert_int_equal(rt_offline_count(&t, "dave"), 0);
    /* B's dave connects: nothing replayed; a live probe from B comes first. */
    tws *dave_b = connect_as(&t, "dave", "B"), *erin_b = connect_as(&t, "erin", "B");
    send_frame(erin_b, "{\"receiver\":\"dave\",\"content\":\"probe-B\"}");
    expect_content(&t, dave_b, "probe-B", "erin");
    tws *dave_a = connect_as(&t, "dave", "A");
    expect_content(&t, dave_a, "for A's dave", "alice");
    rt_stop(&t);
}

int
main(void)
{
    (void)rt_done;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_tenants__same_user_id_in_two_apps_is_two_users),
        cmocka_unit_test(test_hub_tenants__offline_store_is_per_app),
    };
    return cmocka_run_group_tests_name("integration.hub_tenants", tests, NULL, NULL);
}
