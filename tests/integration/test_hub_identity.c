/* SPDX-License-Identifier: MIT */
/* Who may connect to the hub (PROTOCOL.md §1): ?user_id= only when insecure_user_id is on, JWT
 * HS256 in the Authorization header or ?token=, the authenticate callback, capacity limits and
 * the origin allow-list, all decided before the upgrade with a JSON body; then the `connected`
 * frame and the wsc.v1 sub-protocol. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "middleware/auth_jwt.h"
#include "thub.h"
#include "tjson.h"

#define SECRET "integration-secret"

/* Connects with path and headers and asserts a refusal with status and error code. */
static tws *
expect_refused(thub *t, const char *path, const char *const *headers, int status, const char *code)
{
    tws *c = thub_ws(t, path, headers);
    assert_true(thub_settle(t, c));
    if (tws_state(c) != TWS_REFUSED)
        fail_msg("%s: state %s, want a refusal", path, tws_state_name(tws_state(c)));
    assert_int_equal(tws_http_status(c), status);
    json_t *j = tjson_parse(tws_http_body(c));
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "error"), code);
    assert_non_null(tjson_str(j, "reason"));
    json_decref(j);
    const char *ctype = tws_http_header(c, "content-type");
    assert_non_null(ctype);
    assert_non_null(strstr(ctype, "application/json"));
    return c;
}

/* A token whose user id is in claim ("sub" or "uid"). */
static char *
mint(const char *claim, const char *user, long long exp)
{
    char claims[512];
    snprintf(claims, sizeof(claims), "{\"%s\":\"%s\",\"exp\":%lld}", claim, user, exp);
    char *tok = NULL;
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, claims, &tok), WSC_OK);
    return tok;
}

static void
jwt_config(thub *t, wsc_hub_config *cfg)
{
    thub_config(t, cfg);
    cfg->insecure_user_id = false;
    cfg->jwt_secret = SECRET;
}

/* Waits for the connected frame and checks its user id. */
static void
expect_user(thub *t, tws *c, const char *user)
{
    assert_true(thub_settle(t, c));
    if (tws_state(c) != TWS_OPEN)
        fail_msg("state %s HTTP %d %s", tws_state_name(tws_state(c)), tws_http_status(c),
                 tws_http_body(c));
    json_t *j = thub_recv_type(t, c, "connected", 3000);
    assert_string_equal(tjson_str(j, "data.user_id"), user);
    json_decref(j);
}

static void
test_hub_identity__insecure_user_id_connected_frame_and_subprotocol(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *c = tws_connect(t.port, "/ws?user_id=alice&client_id=phone", NULL, "wsc.v1");
    assert_non_null(c);
    twait_add_ws(t.ts, c);
    assert_true(thub_settle(&t, c));
    assert_int_equal(tws_state(c), TWS_OPEN);
    assert_string_equal(tws_http_header(c, "sec-websocket-protocol"), "wsc.v1");
    json_t *j = thub_recv_type(&t, c, "connected", 3000);
    assert_string_equal(tjson_str(j, "data.user_id"), "alice");
    assert_string_equal(tjson_str(j, "data.client_id"), "phone");
    assert_string_equal(tjson_str(j, "data.node_id"), wsc_hub_node_id(t.hub));
    assert_int_equal(tjson_int(j, "data.heartbeat_ms", -1), 25000);
    assert_true(tjson_has(j, "data.server_time"));
    json_decref(j);
    assert_int_equal(t.connects, 1);
    assert_true(wsc_hub_is_online(t.hub, "alice"));
    /* Without a client id the hub makes one up. */
    tws *d = thub_ws(&t, "/ws?user_id=bob", NULL);
    assert_true(thub_settle(&t, d));
    j = thub_recv_type(&t, d, "connected", 3000);
    assert_non_null(tjson_str(j, "data.client_id"));
    assert_true(strlen(tjson_str(j, "data.client_id")) > 0);
    json_decref(j);
    thub_free(&t);
}

static int64_t
wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* A JWT connection is closed with 4004 once its token's exp passes (PROTOCOL.md §5: within a
 * second or two); one with a token valid for longer stays open. */
static void
test_hub_identity__token_expiry_closes_4004(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    jwt_config(&t, &cfg);
    thub_start(&t, &cfg);
    long long exp = (long long)(wall_ms() / 1000) + 4;
    char *short_tok = mint("sub", "brief", exp);
    char *long_tok = mint("sub", "stays", exp + 3600);
    char path[1024];
    snprintf(path, sizeof(path), "/ws?token=%s", short_tok);
    tws *brief = thub_ws(&t, path, NULL);
    expect_user(&t, brief, "brief");
    snprintf(path, sizeof(path), "/ws?token=%s", long_tok);
    tws *stays = thub_ws(&t, path, NULL);
    expect_user(&t, stays, "stays");
    wsc_free(short_tok);
    wsc_free(long_tok);

    assert_true(thub_wait(&t, tws_is_closed, brief, 8000));
    int64_t closed_ms = wall_ms();
    assert_int_equal(tws_close_code(brief), 4004);
    assert_true(closed_ms >= exp * 1000);
    assert_true(closed_ms <= exp * 1000 + 2000);
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 3000));
    assert_int_equal(t.disc[0].code, 4004);
    assert_string_equal(t.disc[0].user, "brief");

    /* The other token is still good: its connection stays and works. */
    thub_run_for(&t, 1200);
    assert_int_equal(tws_state(stays), TWS_OPEN);
    thub_send(stays, "{\"message_type\":\"ping\"}");
    json_decref(thub_recv_type(&t, stays, "pong", 3000));
    assert_true(wsc_hub_is_online(t.hub, "stays"));
    assert_false(wsc_hub_is_online(t.hub, "brief"));
    thub_free(&t);
}

/* User and client ids from the query hold no control character either (DEL, C1). */
static void
test_hub_identity__control_characters_in_query_ids_401(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t); /* insecure_user_id on */
    expect_refused(&t, "/ws?user_id=a%7Fb", NULL, 401, "unauthorized");
    expect_refused(&t, "/ws?user_id=a%C2%85b", NULL, 401, "unauthorized");
    expect_refused(&t, "/ws?user_id=a&client_id=x%C2%9F", NULL, 401, "unauthorized");
    tws *ok = thub_open(&t, "a%C2%A0b", "client_id=%C3%A9"); /* U+00A0, U+00E9: fine */
    assert_int_equal(tws_state(ok), TWS_OPEN);
    assert_int_equal(t.connects, 1);
    thub_free(&t);
}

static void
test_hub_identity__no_credentials_401_before_upgrade(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.insecure_user_id = false;
    thub_start(&t, &cfg);
    expect_refused(&t, "/ws?user_id=alice", NULL, 401, "unauthorized");
    expect_refused(&t, "/ws", NULL, 401, "unauthorized");
    thub_run_for(&t, 20);
    assert_int_equal(t.connects, 0);
    assert_false(wsc_hub_is_online(t.hub, "alice"));
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.refused, 2);
    thub_free(&t);
}

static void
test_hub_identity__jwt_bearer_and_query(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    jwt_config(&t, &cfg);
    thub_start(&t, &cfg);
    long long exp = (long long)time(NULL) + 600;
    char *tok = mint("sub", "carol", exp);
    char auth[1024];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", tok);
    const char *hdrs[] = {auth, NULL};
    expect_user(&t, thub_ws(&t, "/ws", hdrs), "carol");
    wsc_free(tok);
    tok = mint("uid", "dave", exp);
    char path[1024];
    snprintf(path, sizeof(path), "/ws?token=%s", tok);
    expect_user(&t, thub_ws(&t, path, NULL), "dave");
    wsc_free(tok);
    /* The user_id parameter is never trusted when insecure_user_id is off. */
    tok = mint("sub", "erin", exp);
    snprintf(path, sizeof(path), "/ws?user_id=mallory&token=%s", tok);
    expect_user(&t, thub_ws(&t, path, NULL), "erin");
    wsc_free(tok);
    assert_false(wsc_hub_is_online(t.hub, "mallory"));
    assert_int_equal(t.connects, 3);
    thub_free(&t);
}

static void
test_hub_identity__bad_tokens_401(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    jwt_config(&t, &cfg);
    thub_start(&t, &cfg);
    char path[1024];
    char *tok = mint("sub", "carol", (long long)time(NULL) - 10);
    snprintf(path, sizeof(path), "/ws?token=%s", tok);
    expect_refused(&t, path, NULL, 401, "unauthorized");
    wsc_free(tok);

    char *other = NULL;
    assert_int_equal(
        wsc__jwt_sign_hs256("another-secret", "{\"sub\":\"c\",\"exp\":9999999999}", &other),
        WSC_OK);
    snprintf(path, sizeof(path), "/ws?token=%s", other);
    expect_refused(&t, path, NULL, 401, "unauthorized");
    wsc_free(other);

    /* {"alg":"none","typ":"JWT"} . {"sub":"carol","exp":9999999999} . (no signature) */
    const char *none = "eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0."
                       "eyJzdWIiOiJjYXJvbCIsImV4cCI6OTk5OTk5OTk5OX0.";
    char auth[256];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", none);
    const char *hdrs[] = {auth, NULL};
    expect_refused(&t, "/ws", hdrs, 401, "unauthorized");
    expect_refused(&t, "/ws?token=garbage", NULL, 401, "unauthorized");

    /* Control characters in the user id (DEL, U+0085) and an nbf given as a string. */
    static const char *const claims[] = {
        "{\"sub\":\"a\\u007fb\",\"exp\":9999999999}",
        "{\"sub\":\"a\\u0085b\",\"exp\":9999999999}",
        "{\"sub\":\"a\",\"exp\":9999999999,\"nbf\":\"9999999999\"}",
    };
    for (size_t i = 0; i < 3; i++) {
        char *bad = NULL;
        assert_int_equal(wsc__jwt_sign_hs256(SECRET, claims[i], &bad), WSC_OK);
        snprintf(path, sizeof(path), "/ws?token=%s", bad);
        expect_refused(&t, path, NULL, 401, "unauthorized");
        wsc_free(bad);
    }
    thub_run_for(&t, 20);
    assert_int_equal(t.connects, 0);
    thub_free(&t);
}

static void
auth_cb(wsc_hub *hub, const wsc_auth_request *req, wsc_auth_result *res, void *user)
{
    (void)hub;
    (void)user;
    static const char *const groups[] = {"g-admins", NULL};
    assert_string_equal(req->path, "/ws");
    if (req->token != NULL && strcmp(req->token, "let-me-in") == 0) {
        snprintf(res->user_id, sizeof(res->user_id), "frank");
        res->groups = groups;
    } else if (req->user_id != NULL && strcmp(req->user_id, "gina") == 0) {
        snprintf(res->user_id, sizeof(res->user_id), "gina");
    } else {
        res->status = 403;
        snprintf(res->reason, sizeof(res->reason), "blocked \"for now\"");
    }
}

static void
test_hub_identity__authenticate_callback(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.on_auth = auth_cb;
    thub_start(&t, &cfg);
    const char *hdrs[] = {"Authorization: Bearer let-me-in", NULL};
    tws *c = thub_ws(&t, "/ws?user_id=ignored", hdrs);
    expect_user(&t, c, "frank");
    /* The application's reason reaches the body, as valid JSON. */
    tws *r = expect_refused(&t, "/ws?token=nope", NULL, 403, "forbidden");
    json_t *body = tjson_parse(tws_http_body(r));
    assert_string_equal(tjson_str(body, "reason"), "blocked \"for now\"");
    json_decref(body);
    /* The groups the callback gave are usable by the client. */
    tws *g = thub_open(&t, "gina", NULL);
    wsc_hub_group_join(t.hub, "g-admins", "gina");
    thub_send(c, "{\"group_ids\":[\"g-admins\"],\"content\":\"hi admins\"}");
    json_t *j = thub_recv_type(&t, g, "text", 3000);
    assert_string_equal(tjson_str(j, "sender"), "frank");
    json_decref(j);
    thub_free(&t);
}

static bool
one_conn(void *arg)
{
    wsc_hub_stats st;
    wsc_hub_get_stats(arg, &st);
    return st.connections == 1;
}

static void
test_hub_identity__capacity_503_with_retry_after(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.max_conns = 2;
    cfg.max_conns_per_user = 1;
    thub_start(&t, &cfg);
    thub_open(&t, "u1", "client_id=a");
    tws *r = expect_refused(&t, "/ws?user_id=u1&client_id=b", NULL, 503, "unavailable");
    assert_non_null(tws_http_header(r, "retry-after"));
    /* The same client id replaces the old connection instead of counting twice. */
    tws *again = thub_open(&t, "u1", "client_id=a");
    (void)again;
    /* The replaced connection counts until its close handshake ends, which takes a few more
     * loop rounds on some backends (WSC_LOOP_EPOLL): wait for it. */
    assert_true(thub_wait(&t, one_conn, t.hub, 3000));
    thub_open(&t, "u2", NULL);
    r = expect_refused(&t, "/ws?user_id=u3", NULL, 503, "unavailable");
    assert_non_null(tws_http_header(r, "retry-after"));
    thub_free(&t);
}

static void
test_hub_identity__origin_allow_list(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    const char *origins[] = {"https://good.example", NULL};
    cfg.origins = origins;
    thub_start(&t, &cfg);
    const char *bad[] = {"Origin: https://evil.example", NULL};
    expect_refused(&t, "/ws?user_id=u1", bad, 403, "forbidden");
    const char *good[] = {"Origin: https://good.example", NULL};
    expect_user(&t, thub_ws(&t, "/ws?user_id=u1", good), "u1");
    thub_free(&t);
}

static void
test_hub_identity__wrong_path_404(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    expect_refused(&t, "/other?user_id=u1", NULL, 404, "not_found");
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_identity__insecure_user_id_connected_frame_and_subprotocol),
        cmocka_unit_test(test_hub_identity__no_credentials_401_before_upgrade),
        cmocka_unit_test(test_hub_identity__jwt_bearer_and_query),
        cmocka_unit_test(test_hub_identity__control_characters_in_query_ids_401),
        cmocka_unit_test(test_hub_identity__token_expiry_closes_4004),
        cmocka_unit_test(test_hub_identity__bad_tokens_401),
        cmocka_unit_test(test_hub_identity__authenticate_callback),
        cmocka_unit_test(test_hub_identity__capacity_503_with_retry_after),
        cmocka_unit_test(test_hub_identity__origin_allow_list),
        cmocka_unit_test(test_hub_identity__wrong_path_404),
    };
    return cmocka_run_group_tests_name("integration.hub_identity", tests, NULL, NULL);
}
