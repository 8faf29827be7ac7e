/* SPDX-License-Identifier: MIT */
/* Out of memory in the small building blocks (issue 15; models/alloc.h hook): for every N the
 * Nth allocation of the call fails, until a run goes past every allocation.  Each failing run
 * returns WSC_ERR_NOMEM (never a crash, a half-built object or a leak: this runs under ASan
 * too) and leaves the out-parameter NULL; the run that gets all its memory returns WSC_OK with
 * the full result.  Covered: the hub's own frames (protocol/frames.c), JWT verification of a
 * token with groups (middleware), the loop, a client (creation, its dedupe window, sends of
 * text, binary and messages), wsc_msg setters and parsing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "middleware/auth_jwt.h"
#include "middleware/jwt_keys.h"
#include "models/alloc.h"
#include "protocol/frames.h"

#define MAX_N 500

/* Arms the hook for the nth allocation from now. */
static void
arm(long n)
{
    wsc__alloc_fail_nth(n);
}

/* Disarms it; true when it fired. */
static bool
disarm(void)
{
    bool fired = !wsc__alloc_fail_armed();
    wsc__alloc_fail_nth(0);
    return fired;
}

/* One frame builder under the sweep: NOMEM and NULL while it fires, then the frame. */
typedef wsc_err (*frame_fn)(wsc_msg **out);

static wsc_err
f_connected(wsc_msg **out)
{
    return wsc__proto_connected(out, "alice", "tab-1", "node-1", 25000, 1700000000123ULL);
}

static wsc_err
f_pong(wsc_msg **out)
{
    return wsc__proto_pong(out);
}

static wsc_err
f_ack(wsc_msg **out)
{
    return wsc__proto_ack(out, "m-1", "rejected", "queue_full");
}

static wsc_err
f_ack_plain(wsc_msg **out)
{
    return wsc__proto_ack(out, "m-1", "delivered", NULL);
}

static wsc_err
f_error(wsc_msg **out)
{
    return wsc__proto_error(out, "m-2", "invalid_json", "not JSON");
}

static wsc_err
f_kick(wsc_msg **out)
{
    return wsc__proto_kick_out(out, "bye", 1700000000123ULL);
}

static void
sweep_frame(frame_fn fn, const char *type)
{
    bool fired = true;
    long n;
    for (n = 1; fired && n < MAX_N; n++) {
        wsc_msg *m = (wsc_msg *)&m; /* must be set either way */
        arm(n);
        wsc_err err = fn(&m);
        fired = disarm();
        if (fired) {
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_null(m);
        } else {
            assert_int_equal(err, WSC_OK);
            assert_string_equal(wsc_msg_get(m, WSC_F_TYPE), type);
            wsc_buf b = {0};
            assert_int_equal(wsc_msg_to_json(m, &b), WSC_OK);
            assert_true(b.len > 0);
            wsc_buf_free(&b);
            wsc_msg_unref(m);
        }
    }
    assert_false(fired);
    assert_true(n > 2); /* every frame allocates */
}

static void
test_nomem__hub_frames(void **state)
{
    (void)state;
    sweep_frame(f_connected, "connected");
    sweep_frame(f_pong, "pong");
    sweep_frame(f_ack, "ack");
    sweep_frame(f_ack_plain, "ack");
    sweep_frame(f_error, "error");
    sweep_frame(f_kick, "kick_out");
}

static void
test_nomem__jwt_with_groups(void **state)
{
    (void)state;
    char *token = NULL;
    assert_int_equal(wsc__jwt_sign_hs256("k2",
                                         "{\"sub\":\"bob\",\"exp\":1700000060,"
                                         "\"gid\":[\"g1\",\"g2\",\"g3\"]}",
                                         &token),
                     WSC_OK);
    static const char *const secrets[] = {"", "k2", NULL}; /* an empty one is skipped */
    bool fired = true;
    for (long n = 1; fired && n < MAX_N; n++) {
        wsc__identity id;
        const char *why = NULL;
        arm(n);
        wsc_err err = wsc__jwt_verify_keys(token, NULL, secrets, 1700000000, &id, &why);
        fired = disarm();
        if (fired && err != WSC_OK) { /* libjwt's own memory is not ours to fail */
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_string_equal(why, "out of memory");
            assert_null(id.groups);
            assert_int_equal(id.n_groups, 0);
            continue;
        }
        assert_int_equal(err, WSC_OK);
        assert_string_equal(id.user_id, "bob");
        assert_int_equal(id.n_groups, 3);
        assert_string_equal(id.groups[2], "g3");
        wsc__identity_clear(&id);
    }
    assert_false(fired);
    wsc__free(token);
}

static void
test_nomem__loop(void **state)
{
    (void)state;
    bool fired = true;
    size_t failures = 0;
    for (long n = 1; fired && n < MAX_N; n++) {
        wsc_loop *loop = (wsc_loop *)&loop;
        wsc_loop_config cfg;
        wsc_loop_config_init(&cfg);
        cfg.backend = WSC_LOOP_POLL;
        arm(n);
        wsc_err err = wsc_loop_new_ex(&loop, &cfg);
        fired = disarm();
        if (fired) {
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_null(loop);
            failures++;
        } else {
            assert_int_equal(err, WSC_OK);
            assert_int_equal(wsc_loop_get_backend(loop), WSC_LOOP_POLL);
            wsc_loop_free(loop);
        }
    }
    assert_false(fired);
    assert_true(failures >= 1);
}

static wsc_client_config
client_config(wsc_loop *loop)
{
    static const wsc_client_header headers[] = {{"X-Trace", "abc"}};
    wsc_client_config cfg;
    wsc_client_config_init(&cfg);
    cfg.url = "ws://127.0.0.1:9/ws?user_id=u1";
    cfg.loop = loop;
    cfg.token = "tok";
    cfg.token_in_query = true;
    cfg.headers = headers;
    cfg.header_count = 1;
    cfg.dedupe_window = 64;
    cfg.log.level = WSC_LOG_ERROR;
    return cfg;
}

static void
test_nomem__client_new(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_client_config cfg = client_config(loop);
    bool fired = true;
    size_t failures = 0;
    for (long n = 1; fired && n < MAX_N; n++) {
        wsc_client *c = (wsc_client *)&c;
        arm(n);
        wsc_err err = wsc_client_new(&c, &cfg);
        fired = disarm();
        if (fired) {
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_null(c);
            failures++;
        } else {
            assert_int_equal(err, WSC_OK);
            assert_int_equal(wsc_client_state_get(c), WSC_CLIENT_DISCONNECTED);
            wsc_client_free(c);
        }
        wsc_loop_run_once(loop, 0);
    }
    assert_false(fired);
    assert_true(failures >= 3);
    wsc_loop_free(loop);
}

struct failed {
    size_t n;
    wsc_err reason;
};

static void
on_send_failed(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len,
               wsc_err reason, void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    (void)data;
    (void)len;
    struct failed *f = user;
    f->n++;
    f->reason = reason;
}

static void
test_nomem__client_sends(void **state)
{
    (void)state;
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_client_config cfg = client_config(loop);
    struct failed f = {0};
    cfg.on_send_failed = on_send_failed;
    cfg.user = &f;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cfg), WSC_OK);
    size_t queued = 0;
    for (int kind = 0; kind < 3; kind++) {
        bool fired = true;
        for (long n = 1; fired && n < MAX_N; n++) {
            wsc_msg *m = NULL;
            if (kind == 2) {
                assert_int_equal(wsc_msg_new_text(&m, "text", "hello"), WSC_OK);
                assert_int_equal(wsc_msg_set_require_ack(m, true), WSC_OK);
            }
            uint64_t id = 0;
            arm(n);
            wsc_err err = kind == 0   ? wsc_client_send_text(c, "{\"a\":1}", 7, &id)
                          : kind == 1 ? wsc_client_send_binary(c, "\x01\x02", 2, &id)
                                      : wsc_client_send_msg(c, m, &id);
            fired = disarm();
            if (fired && err != WSC_OK) {
                assert_int_equal(err, WSC_ERR_NOMEM);
                assert_int_equal(id, 0);
                assert_int_equal(wsc_client_queue_count(c), queued); /* nothing queued */
            } else {
                assert_int_equal(err, WSC_OK);
                assert_int_not_equal(id, 0);
                assert_int_equal(wsc_client_queue_count(c), ++queued);
            }
            wsc_msg_unref(m);
        }
        assert_false(fired);
    }
    /* Every queued frame is reported once when the client is freed unsent. */
    wsc_client_free(c);
    assert_int_equal(f.n, queued);
    assert_int_equal(f.reason, WSC_ERR_CANCELED);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(loop, 0);
    wsc_loop_free(loop);
}

static void
test_nomem__msg_setters_and_parse(void **state)
{
    (void)state;
    static const char json[] =
        "{\"message_type\":\"text\",\"message_id\":\"m1\",\"content\":\"hi\","
        "\"group_ids\":[\"g1\",\"g2\"],\"data\":{\"k\":\"v\",\"n\":[1,2,{\"x\":null}]}}";
    bool fired = true;
    for (long n = 1; fired && n < MAX_N; n++) {
        wsc_msg *m = (wsc_msg *)&m;
        arm(n);
        wsc_err err = wsc_msg_parse(&m, json, sizeof(json) - 1, NULL, NULL);
        fired = disarm();
        if (fired && err != WSC_OK) {
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_null(m);
            continue;
        }
        assert_int_equal(err, WSC_OK);
        assert_string_equal(wsc_msg_get_data_string(m, "k"), "v");
        assert_int_equal(wsc_msg_group_count(m), 2);
        wsc_msg_unref(m);
    }
    assert_false(fired);

    /* Setters on one message: each answers OK or NOMEM; once nothing fails, all of them hold. */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new(&m), WSC_OK);
    fired = true;
    for (long n = 1; fired && n < MAX_N; n++) {
        arm(n);
        wsc_err e1 = wsc_msg_set(m, WSC_F_SENDER, "alice");
        wsc_err e2 = wsc_msg_add_group(m, "g9");
        wsc_err e3 = wsc_msg_set_data_json(m, "{\"a\":[1,2,3]}");
        fired = disarm();
        assert_true(e1 == WSC_OK || e1 == WSC_ERR_NOMEM);
        assert_true(e2 == WSC_OK || e2 == WSC_ERR_NOMEM);
        assert_true(e3 == WSC_OK || e3 == WSC_ERR_NOMEM);
        if (!fired) {
            assert_int_equal(e1 | e2 | e3, WSC_OK);
            assert_string_equal(wsc_msg_get(m, WSC_F_SENDER), "alice");
            wsc_buf b = {0};
            assert_int_equal(wsc_msg_get_data_json(m, &b), WSC_OK);
            assert_string_equal((const char *)b.data, "{\"a\":[1,2,3]}");
            wsc_buf_free(&b);
        }
    }
    assert_false(fired);
    wsc_msg_unref(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nomem__hub_frames),
        cmocka_unit_test(test_nomem__jwt_with_groups),
        cmocka_unit_test(test_nomem__loop),
        cmocka_unit_test(test_nomem__client_new),
        cmocka_unit_test(test_nomem__client_sends),
        cmocka_unit_test(test_nomem__msg_setters_and_parse),
    };
    return cmocka_run_group_tests_name("unit.models.nomem_sweeps", tests, NULL, NULL);
}
