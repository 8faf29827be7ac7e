/* SPDX-License-Identifier: MIT */
/* Out of memory in the hub's loop-thread API and in its HTTP side (issue 15, models/alloc.h
 * hook), beyond test_alloc_failure.c: for every N the Nth allocation fails, until a run passes
 * them all.  The calls: group join and members, online users, the metrics text, a live
 * reconfiguration (all or nothing: a refused one leaves the running secrets as they were),
 * wsc_hub_publish, a kick.  Each answers WSC_ERR_NOMEM and changes nothing, or succeeds whole.
 * Then plain HTTP requests (the on_http hook, with a body) and SSE streams under the same
 * sweep: each request is answered (the hook's 200, or its 503 when the first answer found no
 * memory), or its connection closes; never left hanging; every stream ends once its client
 * has gone; afterwards the hub still serves. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "models/alloc.h"
#include "thub.h"

#define MAX_N 400

static void
arm(long n)
{
    wsc__alloc_fail_nth(n);
}

static bool
disarm(void)
{
    bool fired = !wsc__alloc_fail_armed();
    wsc__alloc_fail_nth(0);
    return fired;
}

static size_t counted;

static void
count_cb(wsc_hub *hub, wsc_err status, uint64_t count, void *user)
{
    (void)hub;
    (void)status;
    (void)count;
    (void)user;
    counted++;
}

static void
test_nomem_api__loop_calls(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    (void)a;
    bool fired = true;
    size_t failures = 0;
    for (long n = 1; fired && n < MAX_N; n++) {
        char g[16];
        snprintf(g, sizeof(g), "g%ld", n);
        arm(n);
        wsc_err e = wsc_hub_group_join(t.hub, g, "a");
        fired = disarm();
        if (e != WSC_OK) {
            assert_int_equal(e, WSC_ERR_NOMEM);
            assert_false(wsc_hub_group_has(t.hub, g, "a")); /* nothing half-joined */
            failures++;
        } else {
            assert_true(wsc_hub_group_has(t.hub, g, "a"));
        }
    }
    assert_false(fired);
    assert_true(failures >= 1);

    /* Reads that allocate their answer. */
    assert_int_equal(wsc_hub_group_join(t.hub, "gx", "a"), WSC_OK);
    for (int which = 0; which < 3; which++) {
        fired = true;
        for (long n = 1; fired && n < MAX_N; n++) {
            char **list = NULL, *text = NULL;
            size_t k = 0, total = 0;
            arm(n);
            wsc_err e = which == 0   ? wsc_hub_group_members(t.hub, "gx", &list, &k)
                        : which == 1 ? wsc_hub_online_users(t.hub, 0, 10, &list, &k, &total)
                                     : wsc_hub_metrics_text(t.hub, &text, &k);
            fired = disarm();
            if (e != WSC_OK) {
                assert_int_equal(e, WSC_ERR_NOMEM);
                continue;
            }
            if (which < 2) {
                assert_non_null(list[0]);
                assert_string_equal(list[0], "a");
                wsc_free(list);
            } else {
                assert_non_null(strstr(text, "wsc_"));
                wsc_free(text);
            }
        }
        assert_false(fired);
    }

    /* A reconfiguration is all or nothing. */
    wsc_hub_config cfg;
    wsc_hub_get_config(t.hub, &cfg);
    static const char *const secrets[] = {"s2", "s3", NULL};
    static const char *const origins[] = {"https://x.example", NULL};
    wsc_hub_config next = cfg;
    next.jwt_secret = "s1";
    next.jwt_secrets = secrets;
    next.origins = origins;
    fired = true;
    for (long n = 1; fired && n < MAX_N; n++) {
        arm(n);
        wsc_err e = wsc_hub_reconfigure(t.hub, &next, NULL);
        fired = disarm();
        wsc_hub_config now;
        wsc_hub_get_config(t.hub, &now);
        if (e != WSC_OK) {
            assert_int_equal(e, WSC_ERR_NOMEM);
            assert_null(now.jwt_secret); /* still the old configuration */
            assert_non_null(strstr(wsc_hub_last_error(t.hub), "out of memory"));
        } else {
            assert_string_equal(now.jwt_secret, "s1");
            assert_string_equal(now.jwt_secrets[1], "s3");
            assert_string_equal(now.origins[0], "https://x.example");
        }
    }
    assert_false(fired);
    thub_free(&t);
}

static void
test_nomem_api__publish_and_kick(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    const char *users[] = {"a", "nobody"};
    const wsc_publish_target target = {.user_ids = users, .n_users = 2};
    bool fired = true;
    size_t ok = 0;
    counted = 0;
    for (long n = 1; fired && n < MAX_N; n++) {
        wsc_msg *m = NULL;
        assert_int_equal(wsc_msg_new_text(&m, "text", "p"), WSC_OK);
        arm(n);
        wsc_err e = wsc_hub_publish(t.hub, &target, m, count_cb, NULL);
        fired = disarm();
        wsc_msg_unref(m);
        if (e != WSC_OK)
            assert_int_equal(e, WSC_ERR_NOMEM);
        else
            ok++;
        assert_true(thub_wait_ge(&t, &counted, ok, 2000)); /* one answer per accepted call */
    }
    assert_false(fired);
    assert_true(ok >= 1);
    thub_run_for(&t, 30);
    assert_int_equal(counted, ok);

    /* A kick whose kick_out frame cannot be made still closes the user's connection. */
    arm(1);
    size_t kicked = 0;
    wsc_err e = wsc_hub_kick_user(t.hub, "a", "bye", &kicked);
    disarm();
    assert_int_equal(e, WSC_OK);
    assert_int_equal(kicked, 1);
    assert_true(thub_wait(&t, tws_is_closed, a, 3000));
    assert_int_equal(tws_close_code(a), 4001);
    thub_free(&t);
}

static void
on_http(wsc_hub *hub, wsc_http_req *req, void *user)
{
    (void)hub;
    (void)user;
    size_t len = 0;
    const char *body = wsc_http_req_body(req, &len);
    /* Out of memory for the answer: the request is still ours to answer (a smaller one). */
    if (wsc_http_req_respond(req, 200, "text/plain", body, len) == WSC_ERR_NOMEM)
        assert_int_equal(wsc_http_req_respond(req, 503, NULL, NULL, 0), WSC_OK);
}

static bool
no_streams(void *arg)
{
    wsc_hub_stats st;
    wsc_hub_get_stats(arg, &st);
    return st.connections_sse == 0;
}

static void
test_nomem_api__http_and_sse(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.on_http = on_http;
    cfg.log.level = WSC_LOG_OFF;
    cfg.sse_ping_interval_ms = 20; /* a stream whose client left ends at a failed write */
    thub_start(&t, &cfg);
    static const char body[] = "{\"hello\":\"world\"}";
    bool fired = true;
    size_t answered = 0;
    for (long n = 1; fired && n < MAX_N; n++) {
        thttp *h = thttp_request(t.port, "POST", "/echo?x=1", NULL, body, sizeof(body) - 1);
        assert_non_null(h);
        assert_int_equal(twait_add_http(t.ts, h), 0);
        arm(n);
        assert_true(thub_wait(&t, thttp_is_done, h, 3000)); /* never left hanging */
        fired = disarm();
        if (!thttp_failed(h) && thttp_status(h) == 200) {
            assert_string_equal(thttp_body(h), body);
            answered++;
        } else if (!thttp_failed(h)) {
            assert_int_equal(thttp_status(h), 503);
        } /* else: closed, the request could not be read */
        twait_remove_http(t.ts, h);
        thttp_free(h);
    }
    assert_false(fired);
    assert_true(answered >= 1);

    /* SSE streams: connected, refused, or closed; never half-registered. */
    fired = true;
    for (long n = 1; fired && n < MAX_N; n++) {
        thttp *h = thttp_request(t.port, "GET", "/sse?user_id=s", NULL, NULL, 0);
        assert_non_null(h);
        assert_int_equal(twait_add_http(t.ts, h), 0);
        arm(n);
        thub_run_for(&t, 20);
        fired = disarm();
        twait_remove_http(t.ts, h);
        thttp_free(h);
        thub_run_for(&t, 20);
    }
    assert_false(fired);
    assert_true(thub_wait(&t, no_streams, t.hub, 3000)); /* each client left: all ended */
    tws *p = thub_open(&t, "probe", NULL);               /* and the hub still serves */
    (void)p;
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nomem_api__loop_calls),
        cmocka_unit_test(test_nomem_api__publish_and_kick),
        cmocka_unit_test(test_nomem_api__http_and_sse),
    };
    return cmocka_run_group_tests_name("integration.hub_nomem_api", tests, NULL, NULL);
}
