/* SPDX-License-Identifier: MIT */
/* What the client does when the application acts inside its callbacks, or leaves callbacks out:
 * wsc_client_free() from on_connected, on_connect_error, on_token_refresh, on_sent,
 * on_send_failed (while the client closes) and on_text (twice), and wsc_client_close() from
 * on_disconnected and on_token_refresh: no callback runs after the free, the queue is reported
 * once, and a close stops the reconnect at once.  A client without on_connected, keepalive or
 * connect deadline still works; without on_connect_error it still closes on a refusal.  The
 * upgrade request: a token, header or path too long for the request fails the attempt with a
 * connect error instead of going out cut.  Out of memory for the send buffer costs one
 * connection, not the frame. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "models/alloc.h"
#include "test_client_servers.h"

/* What a callback does besides recording. */
enum act { ACT_NONE, ACT_FREE, ACT_CLOSE };

struct user {
    struct ts_rec rec; /* first: the ts_on_* recorders take the user pointer as a ts_rec */
    enum act on_connected, on_connect_error, on_disconnected, on_token_refresh, on_sent,
        on_send_failed, on_text;
    bool freed;
};

struct fx {
    wsc_loop *loop;
    struct ts_ws ws;
    struct ts_raw raw;
    struct user u;
    wsc_client *c;
    char url[4096];
};

static void
act(struct user *u, wsc_client *c, enum act a)
{
    if (a == ACT_FREE && !u->freed) {
        u->freed = true;
        wsc_client_free(c);
    } else if (a == ACT_CLOSE) {
        assert_int_equal(wsc_client_close(c, 1000, "app"), WSC_OK);
    }
}

static void
on_connected(wsc_client *c, void *user)
{
    struct user *u = user;
    ts_on_connected(c, user);
    act(u, c, u->on_connected);
}

static void
on_connect_error(wsc_client *c, wsc_err err, int status, const char *reason, void *user)
{
    struct user *u = user;
    ts_on_connect_error(c, err, status, reason, user);
    act(u, c, u->on_connect_error);
}

static void
on_disconnected(wsc_client *c, int code, const char *reason, void *user)
{
    struct user *u = user;
    ts_on_disconnected(c, code, reason, user);
    act(u, c, u->on_disconnected);
}

static void
on_token_refresh(wsc_client *c, void *user)
{
    struct user *u = user;
    ts_on_token_refresh(c, user);
    act(u, c, u->on_token_refresh);
}

static void
on_sent(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len, void *user)
{
    struct user *u = user;
    ts_on_sent(c, id, msg, data, len, user);
    act(u, c, u->on_sent);
}

static void
on_send_failed(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len,
               wsc_err reason, void *user)
{
    struct user *u = user;
    ts_on_send_failed(c, id, msg, data, len, reason, user);
    act(u, c, u->on_send_failed);
}

static void
on_text(wsc_client *c, const char *text, size_t len, void *user)
{
    struct user *u = user;
    ts_on_text(c, text, len, user);
    if (u->on_text == ACT_FREE) {
        /* Twice: the second call sees a client already being freed and does nothing. */
        wsc_client_free(c);
        wsc_client_free(c);
        u->freed = true;
    }
}

static int
setup(void **state)
{
    struct fx *f = calloc(1, sizeof(*f));
    if (f == NULL || wsc_loop_new(&f->loop) != WSC_OK)
        return -1;
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fx *f = *state;
    wsc__alloc_fail_nth(0);
    if (!f->u.freed)
        wsc_client_free(f->c);
    wsc_loop_free(f->loop);
    free(f);
    return 0;
}

/* A config for the ts_ws server (status 0) or a ts_raw refusing with status. */
static void
config(struct fx *f, wsc_client_config *cfg, int status)
{
    if (status == 0) {
        assert_true(ts_ws_start(&f->ws, f->loop, NULL, NULL));
        snprintf(f->url, sizeof(f->url), "ws://127.0.0.1:%d/ws", f->ws.port);
    } else {
        assert_true(ts_raw_start(&f->raw, f->loop, status));
        snprintf(f->url, sizeof(f->url), "ws://127.0.0.1:%d/ws", f->raw.port);
    }
    ts_client_config(cfg, f->loop, f->url, &f->u.rec);
    cfg->user = &f->u;
    cfg->log.level = WSC_LOG_ERROR;
    cfg->on_connected = on_connected;
    cfg->on_connect_error = on_connect_error;
    cfg->on_disconnected = on_disconnected;
    cfg->on_token_refresh = on_token_refresh;
    cfg->on_sent = on_sent;
    cfg->on_send_failed = on_send_failed;
    cfg->on_text = on_text;
}

static void
start(struct fx *f, const wsc_client_config *cfg)
{
    assert_int_equal(wsc_client_new(&f->c, cfg), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
}

/* Freed in on_connected with a frame queued: the frame is reported canceled inside the free,
 * and nothing else runs (no on_sent, no on_close). */
static void
test_client_cb__free_in_on_connected(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    f->u.on_connected = ACT_FREE;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_send_text(f->c, "queued", 6, NULL), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.connected, 1, 3000));
    assert_int_equal(f->u.rec.failed, 1);
    assert_int_equal(f->u.rec.failed_reason[0], WSC_ERR_CANCELED);
    ts_run_for(f->loop, 100);
    assert_int_equal(f->u.rec.sent, 0);
    assert_int_equal(f->u.rec.closed, 0);
    assert_int_equal(f->ws.received, 0);
}

/* Freed in on_connect_error: no reconnect is scheduled, nothing else runs. */
static void
test_client_cb__free_in_on_connect_error(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 503);
    f->u.on_connect_error = ACT_FREE;
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.connect_errors, 1, 3000));
    ts_run_for(f->loop, 300); /* past the reconnect delay */
    assert_int_equal(f->u.rec.connect_errors, 1);
    assert_int_equal(f->u.rec.reconnecting, 0);
    assert_int_equal(f->u.rec.closed, 0);
    assert_int_equal(f->raw.conns, 1);
}

/* Closed in on_disconnected after a close code that would reconnect: closed for good at once,
 * with the application's code. */
static void
test_client_cb__close_in_on_disconnected(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    f->ws.plan[0].close_code = 1001;
    f->ws.plans = 1;
    f->u.on_disconnected = ACT_CLOSE;
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.closed, 1, 3000));
    assert_int_equal(f->u.rec.disconnected, 1);
    assert_int_equal(f->u.rec.disc_codes[0], 1001);
    assert_int_equal(f->u.rec.reconnecting, 0);
    assert_int_equal(f->u.rec.close_code, 1000);
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_CLOSED);
    ts_run_for(f->loop, 300);
    assert_int_equal(f->ws.conns, 1);
}

/* A 401 asks for a new token; closing from on_token_refresh ends the client before the
 * reconnect is announced. */
static void
test_client_cb__close_in_on_token_refresh(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 401);
    f->u.on_token_refresh = ACT_CLOSE;
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.closed, 1, 3000));
    assert_int_equal(f->u.rec.connect_errors, 1);
    assert_int_equal(f->u.rec.last_connect_err, WSC_ERR_UNAUTHORIZED);
    assert_int_equal(f->u.rec.refreshes, 1);
    assert_int_equal(f->u.rec.reconnecting, 0);
    assert_int_equal(f->u.rec.close_code, 1000);
    ts_run_for(f->loop, 300);
    assert_int_equal(f->raw.conns, 1);
}

/* Freed in on_token_refresh: nothing else runs, no further attempt. */
static void
test_client_cb__free_in_on_token_refresh(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 401);
    f->u.on_token_refresh = ACT_FREE;
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.refreshes, 1, 3000));
    ts_run_for(f->loop, 300);
    assert_int_equal(f->u.rec.reconnecting, 0);
    assert_int_equal(f->u.rec.closed, 0);
    assert_int_equal(f->raw.conns, 1);
}

/* A refusal that stops the client, with a frame queued: on_send_failed (WSC_ERR_CLOSED) frees
 * the client, and on_close then does not run. */
static void
test_client_cb__free_in_on_send_failed(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 403);
    f->u.on_send_failed = ACT_FREE;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_send_text(f->c, "a", 1, NULL), WSC_OK);
    assert_int_equal(wsc_client_send_text(f->c, "b", 1, NULL), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.failed, 2, 3000));
    ts_run_for(f->loop, 100);
    assert_int_equal(f->u.rec.connect_errors, 1);
    assert_int_equal(f->u.rec.failed, 2); /* each frame once: CLOSED, then CANCELED by the free */
    assert_int_equal(f->u.rec.failed_reason[0], WSC_ERR_CLOSED);
    assert_int_equal(f->u.rec.failed_reason[1], WSC_ERR_CANCELED);
    assert_int_equal(f->u.rec.closed, 0);
}

/* Freed in on_sent with more frames queued: they are reported canceled, no more is written. */
static void
test_client_cb__free_in_on_sent(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    f->u.on_sent = ACT_FREE;
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    for (int i = 0; i < 3; i++)
        assert_int_equal(wsc_client_send_text(f->c, "x", 1, NULL), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.sent, 1, 3000));
    ts_run_for(f->loop, 100);
    assert_int_equal(f->u.rec.sent, 1);
    assert_int_equal(f->u.rec.failed, 2);
    assert_int_equal(f->u.rec.failed_reason[0], WSC_ERR_CANCELED);
    assert_int_equal(f->u.rec.closed, 0);
    assert_true(ts_wait_ge(f->loop, &f->ws.received, 1, 1000));
    ts_run_for(f->loop, 50);
    assert_int_equal(f->ws.received, 1);
}

/* Freed (twice) in on_text for a hub frame: on_message does not run for it, nor for the frame
 * after it. */
static void
test_client_cb__free_twice_in_on_text(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    f->ws.plan[0].frames[0] = "{\"message_type\":\"text\",\"message_id\":\"m1\",\"content\":\"a\"}";
    f->ws.plan[0].frames[1] = "{\"message_type\":\"text\",\"message_id\":\"m2\",\"content\":\"b\"}";
    f->ws.plans = 1;
    f->u.on_text = ACT_FREE;
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.texts, 1, 3000));
    ts_run_for(f->loop, 100);
    assert_int_equal(f->u.rec.texts, 1);
    assert_int_equal(f->u.rec.messages, 0);
    assert_int_equal(f->u.rec.closed, 0);
}

/* No on_connected, no keepalive, no connect deadline: the client still connects and works. */
static void
test_client_cb__bare_client(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    cfg.on_connected = NULL;
    cfg.ping_interval_ms = 0;
    cfg.pong_timeout_ms = 0;
    cfg.connect_timeout_ms = 0;
    start(f, &cfg);
    assert_int_equal(wsc_client_send_text(f->c, "echo me", 7, NULL), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.texts, 1, 3000));
    assert_string_equal(f->u.rec.text[0], "echo me");
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_CONNECTED);
    assert_int_equal(f->u.rec.connected, 0);
}

/* Without on_connect_error a refusal that stops the client still ends in on_close. */
static void
test_client_cb__refusal_without_on_connect_error(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 403);
    cfg.on_connect_error = NULL;
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.closed, 1, 3000));
    assert_int_equal(f->u.rec.connect_errors, 0);
    assert_int_equal(wsc_client_state_get(f->c), WSC_CLIENT_CLOSED);
    assert_int_equal(f->u.rec.close_code, 0); /* never opened */
    assert_true(wsc_client_last_error(f->c)[0] != '\0');
}

static void
long_string(char *out, size_t n, char ch)
{
    memset(out, ch, n);
    out[n] = '\0';
}

/* Starts a client that does not reconnect, waits for its close, and checks that the attempt
 * failed before the server saw a request. */
static void
expect_attempt_fails(struct fx *f, wsc_client_config *cfg)
{
    cfg->reconnect.enabled = false;
    start(f, cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.closed, 1, 3000));
    assert_int_equal(f->u.rec.connect_errors, 1);
    assert_int_equal(f->u.rec.last_connect_err, WSC_ERR_IO);
    assert_int_equal(f->u.rec.connected, 0);
    assert_int_equal(f->ws.established, 0);
}

/* A token too long for the query: the attempt fails with a clear error instead of sending a
 * cut token. */
static void
test_client_cb__token_too_long_for_query(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    static char token[3000];
    long_string(token, sizeof(token) - 1, 't');
    cfg.token = token;
    cfg.token_in_query = true;
    cfg.token_in_header = false;
    expect_attempt_fails(f, &cfg);
    assert_non_null(strstr(wsc_client_last_error(f->c), "longer than"));
    assert_int_equal(f->ws.conns, 0);
}

/* A path too long for the request, without a token: the same. */
static void
test_client_cb__path_too_long(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    size_t at = strlen(f->url);
    long_string(f->url + at, 2100, 'p');
    expect_attempt_fails(f, &cfg);
    assert_non_null(strstr(wsc_client_last_error(f->c), "longer than"));
    assert_int_equal(f->ws.conns, 0);
}

/* A path too long for the request, with a (short) token in the query: the same. */
static void
test_client_cb__path_too_long_for_query_token(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    size_t at = strlen(f->url);
    long_string(f->url + at, 2100, 'p');
    cfg.token = "t";
    cfg.token_in_query = true;
    expect_attempt_fails(f, &cfg);
    assert_non_null(strstr(wsc_client_last_error(f->c), "longer than"));
    assert_int_equal(f->ws.conns, 0);
}

/* A bearer token too long for its header: the handshake is not sent. */
static void
test_client_cb__token_too_long_for_header(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    static char token[2100];
    long_string(token, sizeof(token) - 1, 't');
    cfg.token = token;
    expect_attempt_fails(f, &cfg);
}

/* A bearer token that fits its own limit but not the rest of a long request. */
static void
test_client_cb__request_too_long_for_token(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    size_t at = strlen(f->url);
    long_string(f->url + at, 2000, 'p');
    static char token[2000];
    long_string(token, sizeof(token) - 1, 't');
    cfg.token = token;
    expect_attempt_fails(f, &cfg);
}

/* An extra header too long for the request. */
static void
test_client_cb__header_too_long(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    static char value[6000];
    long_string(value, sizeof(value) - 1, 'v');
    const wsc_client_header h[] = {{"X-Big", value}};
    cfg.headers = h;
    cfg.header_count = 1;
    expect_attempt_fails(f, &cfg);
}

/* No memory for the send buffer when the first frame is written: that connection is given up,
 * the frame keeps its place and leaves on the next connection, once. */
static void
test_client_cb__send_buffer_out_of_memory(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.connected, 1, 3000));
    assert_int_equal(wsc_client_send_text(f->c, "keep me", 7, NULL), WSC_OK);
    wsc__alloc_fail_nth(1);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.connected, 2, 3000));
    assert_false(wsc__alloc_fail_armed());
    wsc__alloc_fail_nth(0);
    assert_int_equal(f->u.rec.disconnected, 1);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.texts, 1, 3000)); /* the echo */
    assert_string_equal(f->u.rec.text[0], "keep me");
    assert_int_equal(f->u.rec.sent, 1);
    assert_int_equal(f->u.rec.failed, 0);
    assert_int_equal(f->ws.received, 1);
}

struct offthread {
    wsc_client *c;
    wsc_err err;
};

static void *
send_off_loop(void *arg)
{
    struct offthread *o = arg;
    o->err = wsc_client_send_text(o->c, "off", 3, NULL);
    return NULL;
}

/* A send from another thread whose wake-up post finds no memory: the send still succeeds, the
 * frame stays queued (nothing lost) and leaves, in order, with the next write. */
static void
test_client_cb__wake_post_out_of_memory(void **state)
{
    struct fx *f = *state;
    wsc_client_config cfg;
    config(f, &cfg, 0);
    f->ws.plan[0].echo = false;
    f->ws.plans = 1;
    start(f, &cfg);
    assert_true(ts_wait_ge(f->loop, &f->u.rec.connected, 1, 3000));
    struct offthread o = {f->c, WSC_ERR_INVALID};
    pthread_t t;
    wsc__alloc_fail_nth(3); /* the item, its bytes, then the loop's first post */
    assert_int_equal(pthread_create(&t, NULL, send_off_loop, &o), 0);
    assert_int_equal(pthread_join(t, NULL), 0);
    bool fired = !wsc__alloc_fail_armed();
    wsc__alloc_fail_nth(0);
    assert_true(fired);
    assert_int_equal(o.err, WSC_OK);
    assert_int_equal(wsc_client_send_text(f->c, "next", 4, NULL), WSC_OK);
    assert_true(ts_wait_ge(f->loop, &f->ws.received, 2, 3000));
    assert_string_equal(f->ws.rx[0], "off");
    assert_string_equal(f->ws.rx[1], "next");
    assert_int_equal(f->u.rec.sent, 2);
}

int
main(void)
{
#define T(name) cmocka_unit_test_setup_teardown(test_client_cb__##name, setup, teardown)
    const struct CMUnitTest tests[] = {
        T(free_in_on_connected),
        T(free_in_on_connect_error),
        T(close_in_on_disconnected),
        T(close_in_on_token_refresh),
        T(free_in_on_token_refresh),
        T(free_in_on_send_failed),
        T(free_in_on_sent),
        T(free_twice_in_on_text),
        T(bare_client),
        T(refusal_without_on_connect_error),
        T(token_too_long_for_query),
        T(path_too_long),
        T(path_too_long_for_query_token),
        T(token_too_long_for_header),
        T(request_too_long_for_token),
        T(header_too_long),
        T(send_buffer_out_of_memory),
        T(wake_post_out_of_memory),
    };
#undef T
    return cmocka_run_group_tests_name("integration.client_callbacks", tests, NULL, NULL);
}
