/* SPDX-License-Identifier: MIT */
/* wsc_hub_reconfigure: a bad field changes nothing and is named in wsc_hub_last_error (every
 * check of wsc_hub_new, plus empty secrets and bad ACK defaults), a good config replaces the
 * live fields with copies the hub owns, the fixed fields keep their running value and are
 * listed, and reapplying the running config keeps nothing.  A hub on 127.0.0.1, port 0; no
 * peers (tests/integration/test_hub_reload.c drives the reload from outside). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/hub.h>

typedef struct fx {
    wsc_loop *loop;
    wsc_hub *hub;
} fx;

static int
setup(void **state)
{
    fx *f = test_calloc(1, sizeof(*f));
    assert_int_equal(wsc_loop_new(&f->loop), WSC_OK);
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.loop = f->loop;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.jwt_secret = "first-secret";
    assert_int_equal(wsc_hub_new(&f->hub, &cfg), WSC_OK);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx *f = *state;
    wsc_hub_free(f->hub);
    wsc_loop_free(f->loop);
    test_free(f);
    return 0;
}

/* One bad setting and the start of the error that must name it. */
typedef struct bad_case {
    void (*spoil)(wsc_hub_config *cfg);
    const char *field;
} bad_case;

static void
spoil_port(wsc_hub_config *c)
{
    c->port = 70000;
}
static void
spoil_path(wsc_hub_config *c)
{
    c->ws_path = "ws";
}
static void
spoil_size(wsc_hub_config *c)
{
    c->msg_limits.max_bytes = 10;
}
static void
spoil_qcount(wsc_hub_config *c)
{
    c->queue_max_count = 0;
}
static void
spoil_qbytes(wsc_hub_config *c)
{
    c->queue_max_bytes = 0;
}
static void
spoil_ping(wsc_hub_config *c)
{
    c->ping_interval_ms = 0;
}
static void
spoil_pong(wsc_hub_config *c)
{
    c->pong_timeout_ms = 0;
}
static void
spoil_conns(wsc_hub_config *c)
{
    c->max_conns = 0;
}
static void
spoil_tls(wsc_hub_config *c)
{
    c->tls_cert = "/nonexistent.pem";
}
static void
spoil_crate(wsc_hub_config *c)
{
    c->connect_rate_per_ip = -1;
}
static void
spoil_mrate(wsc_hub_config *c)
{
    c->msg_rate_per_conn = NAN;
}
static void
spoil_cburst(wsc_hub_config *c)
{
    c->connect_rate_per_ip = 5, c->connect_burst_per_ip = 0.5;
}
static void
spoil_mburst(wsc_hub_config *c)
{
    c->msg_rate_per_conn = 5, c->msg_burst_per_conn = 0;
}
static void
spoil_secret(wsc_hub_config *c)
{
    c->jwt_secret = "";
}
static void
spoil_secrets(wsc_hub_config *c)
{
    static const char *const secrets[] = {"ok-secret", "", NULL};
    c->jwt_secrets = secrets;
}
static void
spoil_ack(wsc_hub_config *c)
{
    c->ack.jitter = 2.0;
}

static const bad_case bad_cases[] = {
    {spoil_port, "port:"},
    {spoil_path, "ws_path:"},
    {spoil_size, "msg_limits.max_bytes:"},
    {spoil_qcount, "queue_max_count:"},
    {spoil_qbytes, "queue_max_bytes:"},
    {spoil_ping, "ping_interval_ms:"},
    {spoil_pong, "pong_timeout_ms:"},
    {spoil_conns, "max_conns:"},
    {spoil_tls, "tls_cert, tls_key:"},
    {spoil_crate, "connect_rate_per_ip:"},
    {spoil_mrate, "msg_rate_per_conn:"},
    {spoil_cburst, "connect_burst_per_ip:"},
    {spoil_mburst, "msg_burst_per_conn:"},
    {spoil_secret, "jwt_secret:"},
    {spoil_secrets, "jwt_secrets[1]:"},
    {spoil_ack, "ack:"},
};

static void
test_reconfig__a_bad_field_is_named_and_nothing_changes(void **state)
{
    fx *f = *state;
    for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
        wsc_hub_config cfg;
        wsc_hub_get_config(f->hub, &cfg);
        /* Good live changes beside the bad one must not be applied either. */
        cfg.max_conns_per_user = 3;
        cfg.jwt_secret = "second-secret";
        cfg.log.level = WSC_LOG_ERROR;
        bad_cases[i].spoil(&cfg);
        const char *kept = "x";
        assert_int_equal(wsc_hub_reconfigure(f->hub, &cfg, &kept), WSC_ERR_INVALID);
        assert_string_equal(kept, "");
        const char *why = wsc_hub_last_error(f->hub);
        if (strncmp(why, bad_cases[i].field, strlen(bad_cases[i].field)) != 0)
            fail_msg("case %zu: \"%s\" does not start with \"%s\"", i, why, bad_cases[i].field);
        wsc_hub_config now;
        wsc_hub_get_config(f->hub, &now);
        assert_int_equal(now.max_conns_per_user, 16);
        assert_string_equal(now.jwt_secret, "first-secret");
        assert_int_not_equal(now.log.level, WSC_LOG_ERROR);
    }
}

static void
test_reconfig__new_refuses_what_reconfigure_refuses(void **state)
{
    (void)state;
    static const char *const secrets[] = {"", NULL};
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.port = 0;
    cfg.jwt_secrets = secrets;
    wsc_hub *hub = NULL;
    assert_int_equal(wsc_hub_new(&hub, &cfg), WSC_ERR_INVALID);
    assert_null(hub);
}

static void
test_reconfig__live_fields_are_copied_and_applied(void **state)
{
    fx *f = *state;
    char secret[32], rotated[32], origin[32];
    snprintf(secret, sizeof(secret), "new-secret");
    snprintf(rotated, sizeof(rotated), "old-secret");
    snprintf(origin, sizeof(origin), "https://a.example");
    const char *secrets[] = {rotated, NULL};
    const char *origins[] = {origin, NULL};
    wsc_hub_config cfg;
    wsc_hub_get_config(f->hub, &cfg);
    cfg.jwt_secret = secret;
    cfg.jwt_secrets = secrets;
    cfg.origins = origins;
    cfg.msg_limits.max_bytes = 1024;
    cfg.max_conns = 7;
    cfg.queue_max_count = 9;
    cfg.msg_rate_per_conn = 2;
    cfg.msg_burst_per_conn = 4;
    cfg.pong_timeout_ms = 1234;
    cfg.log.level = WSC_LOG_DEBUG;
    const char *kept = "x";
    assert_int_equal(wsc_hub_reconfigure(f->hub, &cfg, &kept), WSC_OK);
    assert_string_equal(kept, "");
    /* The caller's strings change: the hub kept copies. */
    secret[0] = rotated[0] = origin[0] = 'X';
    secrets[0] = NULL;
    wsc_hub_config now;
    wsc_hub_get_config(f->hub, &now);
    assert_string_equal(now.jwt_secret, "new-secret");
    assert_non_null(now.jwt_secrets);
    assert_string_equal(now.jwt_secrets[0], "old-secret");
    assert_null(now.jwt_secrets[1]);
    assert_string_equal(now.origins[0], "https://a.example");
    assert_int_equal(now.msg_limits.max_bytes, 1024);
    assert_int_equal(now.max_conns, 7);
    assert_int_equal(now.queue_max_count, 9);
    assert_true(now.msg_rate_per_conn == 2 && now.msg_burst_per_conn == 4);
    assert_int_equal(now.pong_timeout_ms, 1234);
    assert_int_equal(now.log.level, WSC_LOG_DEBUG);
    /* Lists can be turned off again. */
    now.jwt_secrets = NULL;
    now.origins = NULL;
    assert_int_equal(wsc_hub_reconfigure(f->hub, &now, NULL), WSC_OK);
    wsc_hub_get_config(f->hub, &now);
    assert_null(now.jwt_secrets);
    assert_null(now.origins);
}

static void
test_reconfig__fixed_fields_keep_their_value_and_are_listed(void **state)
{
    fx *f = *state;
    wsc_hub_config before;
    wsc_hub_get_config(f->hub, &before);
    char node[64];
    snprintf(node, sizeof(node), "%s", before.node_id);
    int port = wsc_hub_port(f->hub);
    wsc_hub_config cfg = before;
    cfg.port = port == 1 ? 2 : 1;
    cfg.ws_path = "/other";
    cfg.node_id = "another-node";
    cfg.store_check_ms = 5;
    cfg.tls_cert = "/nonexistent/cert.pem"; /* compared as strings */
    cfg.tls_key = "/nonexistent/key.pem";
    cfg.rng_seed = before.rng_seed + 1; /* compared as a value */
    char same_sse[16];
    snprintf(same_sse, sizeof(same_sse), "%s", before.sse_path); /* equal, another pointer */
    cfg.sse_path = same_sse;
    cfg.max_conns_per_user = 2; /* live, beside them */
    const char *kept = NULL;
    assert_int_equal(wsc_hub_reconfigure(f->hub, &cfg, &kept), WSC_OK);
    assert_string_equal(kept, "port,ws_path,node_id,tls_cert,tls_key,rng_seed,store_check_ms");
    wsc_hub_config now;
    wsc_hub_get_config(f->hub, &now);
    assert_int_equal(now.port, before.port);
    assert_string_equal(now.ws_path, "/ws");
    assert_string_equal(now.node_id, node);
    assert_int_equal(now.store_check_ms, before.store_check_ms);
    assert_null(now.tls_cert);
    assert_null(now.tls_key);
    assert_true(now.rng_seed == before.rng_seed);
    assert_int_equal(now.max_conns_per_user, 2);
    assert_int_equal(wsc_hub_port(f->hub), port);
    /* The bound port, NULL host and an empty node id all mean "the running one". */
    now.port = port;
    now.host = NULL;
    now.node_id = "";
    assert_int_equal(wsc_hub_reconfigure(f->hub, &now, &kept), WSC_OK);
    assert_string_equal(kept, "");
}

static void
test_reconfig__reapplying_the_running_config_keeps_nothing(void **state)
{
    fx *f = *state;
    wsc_hub_config cfg;
    wsc_hub_get_config(f->hub, &cfg);
    const char *kept = NULL;
    assert_int_equal(wsc_hub_reconfigure(f->hub, &cfg, &kept), WSC_OK);
    assert_string_equal(kept, "");
    assert_int_equal(wsc_hub_reconfigure(NULL, &cfg, NULL), WSC_ERR_INVALID);
    assert_int_equal(wsc_hub_reconfigure(f->hub, NULL, NULL), WSC_ERR_INVALID);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reconfig__a_bad_field_is_named_and_nothing_changes,
                                        setup, teardown),
        cmocka_unit_test(test_reconfig__new_refuses_what_reconfigure_refuses),
        cmocka_unit_test_setup_teardown(test_reconfig__live_fields_are_copied_and_applied, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reconfig__fixed_fields_keep_their_value_and_are_listed,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reconfig__reapplying_the_running_config_keeps_nothing,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.hub.reconfig", tests, NULL, NULL);
}
