/* SPDX-License-Identifier: MIT */
/* Presence and creation of a hub (include/wsc/hub.h):
 * - on_presence says a user came online at its first connection and went offline when its last
 *   one closed, once each, with the user's key (app 0x1F user for a tenant's user); the
 *   connections in between say nothing;
 * - wsc_hub_new refuses each bad config field with WSC_ERR_INVALID, names the field in the
 *   log, and leaves *out NULL;
 * - out of memory at any allocation of wsc_hub_new (a config with every string set) answers
 *   WSC_ERR_NOMEM, leaves *out NULL and nothing behind, and the next try works;
 * - a hub on its own loop runs until wsc_hub_stop(), and wsc_hub_run() on a stopped hub
 *   returns at once. */
#include <pthread.h>
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

struct presence {
    size_t n;
    char key[8][64];
    bool online[8];
};

static void
on_presence(wsc_hub *hub, const char *user_key, bool online, void *user)
{
    (void)hub;
    struct presence *p = ((thub *)user)->ext;
    if (p->n < 8) {
        snprintf(p->key[p->n], sizeof(p->key[p->n]), "%s", user_key);
        p->online[p->n] = online;
    }
    p->n++;
}

static void
auth_tenant(wsc_hub *hub, const wsc_auth_request *req, wsc_auth_result *res, void *user)
{
    (void)hub;
    (void)user;
    snprintf(res->user_id, sizeof(res->user_id), "%s", req->user_id ? req->user_id : "anon");
    if (req->client_id != NULL && strcmp(req->client_id, "acme") == 0)
        snprintf(res->app_id, sizeof(res->app_id), "acme");
}

static void
close_peer(thub *t, tws *c, size_t disconnects)
{
    tws_send_close(c, 1000, NULL);
    assert_true(thub_wait_ge(t, &t->disconnects, disconnects, 2000));
    twait_remove_ws(t->ts, c);
    tws_free(c);
}

static void
test_presence__online_at_first_offline_at_last(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    struct presence p = {0};
    t.ext = &p;
    cfg.on_presence = on_presence;
    cfg.on_auth = auth_tenant;
    thub_start(&t, &cfg);

    tws *a1 = thub_open(&t, "ann", "client_id=one");
    assert_true(thub_wait_ge(&t, &p.n, 1, 2000));
    assert_string_equal(p.key[0], "ann");
    assert_true(p.online[0]);
    tws *a2 = thub_open(&t, "ann", "client_id=two");
    tws *b = thub_open(&t, "ann", "client_id=acme"); /* another tenant: another user */
    assert_true(thub_wait_ge(&t, &p.n, 2, 2000));
    assert_string_equal(p.key[1], "acme\x1f"
                                  "ann");
    assert_true(p.online[1]);
    thub_run_for(&t, 30);
    assert_int_equal(p.n, 2); /* ann's second connection said nothing */

    close_peer(&t, a1, 1);
    thub_run_for(&t, 30);
    assert_int_equal(p.n, 2); /* ann still has one */
    close_peer(&t, a2, 2);
    assert_true(thub_wait_ge(&t, &p.n, 3, 2000));
    assert_string_equal(p.key[2], "ann");
    assert_false(p.online[2]);
    close_peer(&t, b, 3);
    assert_true(thub_wait_ge(&t, &p.n, 4, 2000));
    assert_string_equal(p.key[3], "acme\x1f"
                                  "ann");
    assert_false(p.online[3]);
    thub_run_for(&t, 30);
    assert_int_equal(p.n, 4);
    thub_free(&t);
}

static void
refused(wsc_hub_config *cfg)
{
    wsc_hub *hub = (wsc_hub *)&hub; /* must be reset to NULL */
    assert_int_equal(wsc_hub_new(&hub, cfg), WSC_ERR_INVALID);
    assert_null(hub);
}

static void
test_presence__bad_configs_are_refused(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg, good;
    thub_config(&t, &good);
    good.log.level = WSC_LOG_OFF; /* quiet: every refusal logs its field */
    wsc_hub_config_init(NULL);    /* harmless */
    wsc_hub *hub = NULL;
    assert_int_equal(wsc_hub_new(NULL, &good), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_new(&hub, NULL), WSC_ERR_INVALID);
    assert_null(hub);
    cfg = good, cfg.port = -1, refused(&cfg);
    cfg = good, cfg.port = 65536, refused(&cfg);
    cfg = good, cfg.ws_path = NULL, refused(&cfg);
    cfg = good, cfg.ws_path = "ws", refused(&cfg);
    cfg = good, cfg.msg_limits.max_bytes = 63, refused(&cfg);
    cfg = good, cfg.queue_max_count = 0, refused(&cfg);
    cfg = good, cfg.queue_max_bytes = 0, refused(&cfg);
    cfg = good, cfg.ping_interval_ms = 0, refused(&cfg);
    cfg = good, cfg.pong_timeout_ms = 0, refused(&cfg);
    cfg = good, cfg.max_conns = 0, refused(&cfg);
    cfg = good, cfg.handshake_timeout_ms = 0, refused(&cfg);
    cfg = good, cfg.tls_cert = "cert.pem", refused(&cfg); /* without its key */
    cfg = good, cfg.tls_key = "key.pem", refused(&cfg);
    cfg = good, cfg.cluster_redis = "http://127.0.0.1:6379", refused(&cfg);
    cfg = good, cfg.cluster_timeout_ms = 0, refused(&cfg);
    cfg = good, cfg.ack.backoff_factor = 0.5, refused(&cfg);
    /* The good one still works after all that. */
    thub_start(&t, &good);
    thub_free(&t);
}

static void
test_presence__hub_new_out_of_memory(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    static const char *const secrets[] = {"old-secret", NULL};
    static const char *const origins[] = {"https://a.example", "https://b.example", NULL};
    cfg.host = "127.0.0.1";
    cfg.node_id = "node-x";
    cfg.jwt_secret = "new-secret";
    cfg.jwt_secrets = secrets;
    cfg.origins = origins;
    cfg.sse_path = "/events";
    cfg.log.level = WSC_LOG_OFF;
    bool fired = true;
    size_t failures = 0;
    for (long n = 1; fired && n < 2000; n++) {
        wsc_hub *hub = (wsc_hub *)&hub;
        wsc__alloc_fail_nth(n);
        wsc_err err = wsc_hub_new(&hub, &cfg);
        fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        if (err != WSC_OK) {
            assert_true(fired);
            assert_int_equal(err, WSC_ERR_NOMEM);
            assert_null(hub);
            failures++;
        } else {
            assert_string_equal(wsc_hub_node_id(hub), "node-x");
            wsc_hub_config got;
            wsc_hub_get_config(hub, &got);
            assert_string_equal(got.jwt_secrets[0], "old-secret");
            assert_string_equal(got.origins[1], "https://b.example");
            assert_string_equal(got.sse_path, "/events");
            wsc_hub_free(hub);
        }
        for (int i = 0; i < 3; i++)
            wsc_loop_run_once(t.loop, 0);
    }
    assert_false(fired);
    assert_true(failures >= 10);
    thub_free(&t);
}

static void *
stopper(void *arg)
{
    wsc_hub_stop(arg); /* from another thread: handed to the loop */
    return NULL;
}

static void
test_presence__own_loop_runs_until_stopped(void **state)
{
    (void)state;
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.log.level = WSC_LOG_ERROR;
    wsc_hub *hub = NULL;
    assert_int_equal(wsc_hub_new(&hub, &cfg), WSC_OK);
    assert_non_null(wsc_hub_loop(hub));
    assert_false(wsc_hub_is_stopped(hub));
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, stopper, hub), 0);
    assert_int_equal(wsc_hub_run(hub), WSC_OK); /* returns once stopped */
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_true(wsc_hub_is_stopped(hub));
    assert_int_equal(wsc_hub_run(hub), WSC_OK); /* at once */
    wsc_hub_free(hub);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_presence__online_at_first_offline_at_last),
        cmocka_unit_test(test_presence__bad_configs_are_refused),
        cmocka_unit_test(test_presence__hub_new_out_of_memory),
        cmocka_unit_test(test_presence__own_loop_runs_until_stopped),
    };
    return cmocka_run_group_tests_name("integration.hub_presence", tests, NULL, NULL);
}
