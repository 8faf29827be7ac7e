/* SPDX-License-Identifier: MIT */
/* wsc-hub's configuration: defaults, the JSON file (every key, unknown keys, wrong types),
 * flags overriding the file whatever their order, storage URLs, and the mapping
 * onto wsc_hub_config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"

static int
setup(void **state)
{
    wsc_hubd_config *cfg = calloc(1, sizeof(*cfg));
    if (cfg == NULL || wsc_hubd_config_init(cfg) != WSC_OK)
        return -1;
    *state = cfg;
    return 0;
}

static int
teardown(void **state)
{
    wsc_hubd_config_free(*state);
    free(*state);
    return 0;
}

static wsc_err
load(wsc_hubd_config *cfg, const char *json, char *err, size_t cap)
{
    return wsc_hubd_config_load_json(cfg, json, strlen(json), err, cap);
}

/* Writes text to a new temporary file; the caller unlinks path. */
static void
write_temp(char *path, size_t cap, const char *text)
{
    snprintf(path, cap, "/tmp/wsc-hub-config-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    size_t len = strlen(text);
    assert_int_equal(write(fd, text, len), (ssize_t)len);
    close(fd);
}

static void
test_config__defaults_match_the_library(void **state)
{
    wsc_hubd_config *cfg = *state;
    wsc_hub_config hub;
    wsc_hub_config_init(&hub);
    assert_string_equal(cfg->host, "0.0.0.0");
    assert_int_equal(cfg->port, hub.port);
    assert_string_equal(cfg->ws_path, "/ws");
    assert_null(cfg->api_key);
    assert_null(cfg->jwt_secret);
    assert_false(cfg->insecure_user_id);
    assert_false(cfg->insecure_api);
    assert_non_null(cfg->broadcast_users);
    assert_null(cfg->broadcast_users[0]);
    assert_int_equal(cfg->max_message_size, hub.msg_limits.max_bytes);
    assert_int_equal(cfg->max_conns, hub.max_conns);
    assert_int_equal(cfg->ping_interval_ms, hub.ping_interval_ms);
    assert_int_equal(cfg->log_level, WSC_LOG_INFO);
    wsc_loop_config loop;
    wsc_loop_config_init(&loop);
    assert_int_equal(cfg->max_handshakes, loop.max_handshakes);
    assert_int_equal(cfg->handshake_timeout_ms, hub.handshake_timeout_ms);
    assert_int_equal(cfg->max_pending_per_ip, hub.max_pending_per_ip);
}

static void
test_config__every_key_of_the_file(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    const char *json =
        "{\"listen\":\"127.0.0.1:9001\",\"ws_path\":\"/chat\",\"node_id\":\"n1\","
        "\"tls\":{\"cert\":\"c.pem\",\"key\":\"k.pem\"},"
        "\"auth\":{\"jwt_secret\":\"s3cret\",\"insecure_user_id\":true},"
        "\"api_key\":\"k1\",\"broadcast_users\":[\"admin\",\"ops\"],"
        "\"limits\":{\"max_message_size\":1000,\"max_conns\":10,\"max_conns_per_user\":2,"
        "\"queue_max_count\":7,\"queue_max_bytes\":7000},"
        "\"heartbeat\":{\"ping_interval_ms\":1000,\"pong_timeout_ms\":3000},"
        "\"shutdown_timeout_ms\":250,\"log\":{\"level\":\"debug\"},"
        "\"deflate\":true,\"deflate_threshold\":300,"
        "\"redis\":null,\"mysql\":null}";
    assert_int_equal(load(cfg, json, err, sizeof(err)), WSC_OK);
    assert_string_equal(cfg->host, "127.0.0.1");
    assert_int_equal(cfg->port, 9001);
    assert_string_equal(cfg->ws_path, "/chat");
    assert_string_equal(cfg->node_id, "n1");
    assert_string_equal(cfg->tls_cert, "c.pem");
    assert_string_equal(cfg->tls_key, "k.pem");
    assert_string_equal(cfg->jwt_secret, "s3cret");
    assert_true(cfg->insecure_user_id);
    assert_string_equal(cfg->api_key, "k1");
    assert_int_equal(cfg->n_broadcast_users, 2);
    assert_string_equal(cfg->broadcast_users[1], "ops");
    assert_null(cfg->broadcast_users[2]);
    assert_int_equal(cfg->max_message_size, 1000);
    assert_int_equal(cfg->max_conns, 10);
    assert_int_equal(cfg->max_conns_per_user, 2);
    assert_int_equal(cfg->queue_max_count, 7);
    assert_int_equal(cfg->queue_max_bytes, 7000);
    assert_int_equal(cfg->ping_interval_ms, 1000);
    assert_int_equal(cfg->pong_timeout_ms, 3000);
    assert_int_equal(cfg->shutdown_timeout_ms, 250);
    assert_int_equal(cfg->log_level, WSC_LOG_DEBUG);
    assert_true(cfg->deflate);
    assert_int_equal(cfg->deflate_threshold, 300);
    assert_int_equal(wsc_hubd_config_check(cfg, err, sizeof(err)), WSC_OK);
}

static void
test_config__unknown_keys_are_named(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    assert_int_equal(load(cfg, "{\"listn\":\"x:1\"}", err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "unknown key \"listn\""));
    assert_int_equal(load(cfg, "{\"limits\":{\"max_conn\":1}}", err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "\"limits.max_conn\""));
    /* insecure_api is a flag only: a file cannot open the API by accident. */
    assert_int_equal(load(cfg, "{\"insecure_api\":true}", err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "insecure_api"));
}

static void
test_config__wrong_types_and_ranges(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    assert_int_equal(load(cfg, "{\"limits\":{\"max_conns\":\"10\"}}", err, sizeof(err)),
                     WSC_ERR_INVALID);
    assert_non_null(strstr(err, "limits.max_conns"));
    assert_int_equal(load(cfg, "{\"limits\":{\"max_conns\":-1}}", err, sizeof(err)),
                     WSC_ERR_INVALID);
    assert_int_equal(load(cfg, "{\"limits\":5}", err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "limits: expected an object"));
    assert_int_equal(load(cfg, "{\"listen\":\"host:99999\"}", err, sizeof(err)), WSC_ERR_INVALID);
    assert_int_equal(load(cfg, "{\"log\":{\"level\":\"loud\"}}", err, sizeof(err)),
                     WSC_ERR_INVALID);
    assert_int_equal(load(cfg, "{\"broadcast_users\":[\"a\",3]}", err, sizeof(err)),
                     WSC_ERR_INVALID);
    assert_non_null(strstr(err, "broadcast_users[1]"));
    assert_int_equal(load(cfg, "[1]", err, sizeof(err)), WSC_ERR_INVALID);
    assert_int_equal(load(cfg, "{\"a\":", err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "line 1"));
    assert_int_equal(load(cfg, "{\"api_key\":\"a\",\"api_key\":\"b\"}", err, sizeof(err)),
                     WSC_ERR_INVALID);
}

static void
test_config__listen_forms(void **state)
{
    (void)state;
    char *host = NULL;
    int port = -1;
    assert_int_equal(wsc_hubd_parse_listen("127.0.0.1:8080", &host, &port), WSC_OK);
    assert_string_equal(host, "127.0.0.1");
    assert_int_equal(port, 8080);
    free(host);
    assert_int_equal(wsc_hubd_parse_listen(":0", &host, &port), WSC_OK);
    assert_string_equal(host, "0.0.0.0");
    assert_int_equal(port, 0);
    free(host);
    assert_int_equal(wsc_hubd_parse_listen("[::1]:9", &host, &port), WSC_OK);
    assert_string_equal(host, "::1");
    assert_int_equal(port, 9);
    free(host);
    assert_int_equal(wsc_hubd_parse_listen("localhost", &host, &port), WSC_ERR_INVALID);
    assert_int_equal(wsc_hubd_parse_listen("h:", &host, &port), WSC_ERR_INVALID);
    assert_int_equal(wsc_hubd_parse_listen("h:+80", &host, &port), WSC_ERR_INVALID);
    assert_int_equal(wsc_hubd_parse_listen("[::1]9", &host, &port), WSC_ERR_INVALID);
}

static void
test_config__flags_override_the_file(void **state)
{
    wsc_hubd_config *cfg = *state;
    char path[64], err[256] = "";
    write_temp(path, sizeof(path),
               "{\"listen\":\"0.0.0.0:1\",\"api_key\":\"file\",\"broadcast_users\":[\"x\"]}");
    /* --config comes last, yet the flags before it still win. */
    const char *argv[] = {"wsc-hub",
                          "--listen",
                          "127.0.0.1:2",
                          "--api-key=flag",
                          "--insecure-user-id",
                          "--broadcast-users",
                          "u1,u2",
                          "--max-message-size",
                          "4096",
                          "--jwt-secret",
                          "js",
                          "--insecure-api",
                          "--config",
                          path,
                          NULL};
    wsc_err e = wsc_hubd_config_parse_args(cfg, 14, argv, err, sizeof(err));
    unlink(path);
    assert_int_equal(e, WSC_OK);
    assert_string_equal(cfg->host, "127.0.0.1");
    assert_int_equal(cfg->port, 2);
    assert_string_equal(cfg->api_key, "flag");
    assert_true(cfg->insecure_user_id);
    assert_true(cfg->insecure_api);
    assert_int_equal(cfg->n_broadcast_users, 2);
    assert_string_equal(cfg->broadcast_users[0], "u1");
    assert_int_equal(cfg->max_message_size, 4096);
    assert_string_equal(cfg->jwt_secret, "js");
}

static void
test_config__handshake_limits(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    assert_int_equal(load(cfg,
                          "{\"limits\":{\"max_handshakes\":512,\"handshake_timeout_ms\":2000}}",
                          err, sizeof(err)),
                     WSC_OK);
    const char *argv[] = {"wsc-hub", "--max-pending-per-ip", "4", "--handshake-timeout-ms=3000",
                          NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 4, argv, err, sizeof(err)), WSC_OK);
    assert_int_equal(cfg->max_handshakes, 512);
    wsc_hub_config hub;
    wsc_hubd_config_to_hub(cfg, &hub);
    assert_int_equal(hub.handshake_timeout_ms, 3000);
    assert_int_equal(hub.max_pending_per_ip, 4);
    assert_int_equal(load(cfg, "{\"limits\":{\"max_handshakes\":70000}}", err, sizeof(err)),
                     WSC_ERR_INVALID);
}

static void
test_config__bad_flags(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    const char *unknown[] = {"wsc-hub", "--lisen", "x", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 3, unknown, err, sizeof(err)),
                     WSC_ERR_INVALID);
    assert_non_null(strstr(err, "--lisen"));
    const char *missing[] = {"wsc-hub", "--api-key", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 2, missing, err, sizeof(err)),
                     WSC_ERR_INVALID);
    const char *bad_num[] = {"wsc-hub", "--max-message-size", "12k", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 3, bad_num, err, sizeof(err)),
                     WSC_ERR_INVALID);
    assert_non_null(strstr(err, "--max-message-size"));
    const char *bad_threshold[] = {"wsc-hub", "--deflate-threshold", "-1", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 3, bad_threshold, err, sizeof(err)),
                     WSC_ERR_INVALID);
    assert_non_null(strstr(err, "--deflate-threshold"));
    assert_int_equal(load(cfg, "{\"deflate\":\"yes\"}", err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "deflate"));
    assert_int_equal(load(cfg, "{\"deflate_threshold\":-5}", err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "deflate_threshold"));
    const char *no_file[] = {"wsc-hub", "--config", "/nonexistent/wsc-hub.json", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 3, no_file, err, sizeof(err)), WSC_ERR_IO);
    const char *help[] = {"wsc-hub", "--config", "/nonexistent", "--help", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 4, help, err, sizeof(err)), WSC_OK);
    assert_true(cfg->help);
}

static void
test_config__storage_urls(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    assert_null(wsc_hubd_config_store_url(cfg)); /* nothing: the hub's memory store */
    assert_int_equal(load(cfg, "{\"redis\":\"redis://127.0.0.1:6379/2\"}", err, sizeof(err)),
                     WSC_OK);
    assert_int_equal(wsc_hubd_config_check(cfg, err, sizeof(err)), WSC_OK);
    assert_string_equal(wsc_hubd_config_store_url(cfg), "redis://127.0.0.1:6379/2");
    /* A flag overrides the file; with both backends the hub opens a hybrid store. */
    const char *argv[] = {"wsc-hub", "--redis=redis://h:1", "--mysql", "mysql://u:p@h:3306/db",
                          NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 4, argv, err, sizeof(err)), WSC_OK);
    assert_int_equal(wsc_hubd_config_check(cfg, err, sizeof(err)), WSC_OK);
    assert_string_equal(cfg->redis_url, "redis://h:1");
    assert_string_equal(wsc_hubd_config_store_url(cfg), "mysql://u:p@h:3306/db");
    assert_true(wsc_hubd_config_is_hybrid(cfg));
    /* An empty value unsets; a wrong scheme is refused, naming the key. */
    const char *unset[] = {"wsc-hub", "--mysql=", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 2, unset, err, sizeof(err)), WSC_OK);
    assert_string_equal(wsc_hubd_config_store_url(cfg), "redis://h:1");
    assert_false(wsc_hubd_config_is_hybrid(cfg));
    const char *bad[] = {"wsc-hub", "--redis", "http://h", NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 3, bad, err, sizeof(err)), WSC_OK);
    assert_int_equal(wsc_hubd_config_check(cfg, err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "redis"));
    assert_int_equal(load(cfg, "{\"redis\":null,\"mysql\":\"redis://x\"}", err, sizeof(err)),
                     WSC_OK);
    assert_int_equal(wsc_hubd_config_check(cfg, err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "mysql"));
}

static void
test_config__checks(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    assert_int_equal(load(cfg, "{\"tls\":{\"cert\":\"c.pem\"}}", err, sizeof(err)), WSC_OK);
    assert_int_equal(wsc_hubd_config_check(cfg, err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "tls.key"));
    assert_int_equal(load(cfg, "{\"tls\":{\"cert\":null},\"ws_path\":\"ws\"}", err, sizeof(err)),
                     WSC_OK);
    assert_int_equal(wsc_hubd_config_check(cfg, err, sizeof(err)), WSC_ERR_INVALID);
    assert_non_null(strstr(err, "ws_path"));
}

static void
test_config__maps_onto_hub_config(void **state)
{
    wsc_hubd_config *cfg = *state;
    char err[256] = "";
    const char *argv[] = {
        "wsc-hub", "--listen",    "127.0.0.1:0", "--insecure-user-id", "--max-message-size",
        "2048",    "--log-level", "warn",        "--ping-interval-ms", "500",
        NULL};
    assert_int_equal(wsc_hubd_config_parse_args(cfg, 10, argv, err, sizeof(err)), WSC_OK);
    wsc_hub_config hub;
    wsc_hubd_config_to_hub(cfg, &hub);
    assert_string_equal(hub.host, "127.0.0.1");
    assert_int_equal(hub.port, 0);
    assert_string_equal(hub.ws_path, "/ws");
    assert_true(hub.insecure_user_id);
    assert_false(hub.allow_client_broadcast);
    assert_int_equal(hub.msg_limits.max_bytes, 2048);
    assert_int_equal(hub.ping_interval_ms, 500);
    assert_int_equal(hub.log.level, WSC_LOG_WARN);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config__defaults_match_the_library, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__every_key_of_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__unknown_keys_are_named, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__wrong_types_and_ranges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__listen_forms, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__flags_override_the_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__bad_flags, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__handshake_limits, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__storage_urls, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__checks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config__maps_onto_hub_config, setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.examples.config", tests, NULL, NULL);
}
