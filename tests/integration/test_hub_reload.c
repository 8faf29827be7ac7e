/* SPDX-License-Identifier: MIT */
/* SIGHUP reloads wsc-hub's config file (docs/configuration.md, "Reload (SIGHUP)"), tested on
 * the real binary (WSC_HUB_BIN) from outside: the process stays up and keeps its connections;
 * tokens signed with the new secret (and a rotated one) are accepted and the old refused; a new
 * API key works and the old gets 401; a lower max_message_size closes an existing connection
 * with 1009 and a new message rate limit answers rate_limited on another existing one; the log
 * level changes (conn_open lines appear); a changed listen address is logged as kept and the
 * old port still serves; a broken file or a value the hub refuses keeps the running config
 * whole; flags keep their precedence over the file. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "middleware/auth_jwt.h"
#include "models/alloc.h"
#include "thubproc.h"
#include "tjson.h"
#include "twait.h"

#define WAIT_MS 20000

typedef struct fx {
    thubproc hub;
    twait_set *ts;
    int port;
    char path[64]; /* the config file */
} fx;

static int
setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->ts = twait_set_new();
    f->port = thubproc_free_port();
    snprintf(f->path, sizeof(f->path), "/tmp/wsc-reload-XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx *f = *state;
    thubproc_stop(&f->hub, 5000);
    twait_set_free(f->ts);
    unlink(f->path);
    free(f);
    return 0;
}

/* Replaces the config file with the printf-formatted text (written whole, then renamed, as
 * an editor or a deploy tool would). */
static void __attribute__((format(printf, 2, 3))) write_config(fx *f, const char *fmt, ...)
{
    char tmp[80];
    snprintf(tmp, sizeof(tmp), "%s.new", f->path);
    FILE *out = fopen(tmp, "w");
    assert_non_null(out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(rename(tmp, f->path), 0);
}

static void
start(fx *f, const char *const *extra)
{
    const char *args[16] = {"--config", f->path};
    size_t n = 2;
    while (extra != NULL && *extra != NULL && n < 15)
        args[n++] = *extra++;
    args[n] = NULL;
    if (getenv("WSC_HUB_BIN") == NULL)
        skip();
    assert_int_equal(thubproc_start(&f->hub, f->port, args, WAIT_MS), 0);
}

/* SIGHUP, then waits for the n-th line with event ("config_reloaded" or
 * "config_reload_failed"). */
static void
reload(fx *f, const char *event, size_t n)
{
    assert_int_equal(thubproc_signal(&f->hub, SIGHUP), 0);
    assert_true(thubproc_wait(&f->hub, event, n, WAIT_MS));
    assert_true(thubproc_alive(&f->hub));
}

static int
api_status(fx *f, int port, const char *key)
{
    char auth[128];
    snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
    const char *headers[] = {auth, NULL};
    thttp *h = thttp_request(port, "GET", "/api/stats", headers, NULL, 0);
    assert_non_null(h);
    assert_int_equal(twait_add_http(f->ts, h), 0);
    assert_true(twait_until(f->ts, NULL, thttp_is_done, h, WAIT_MS));
    int status = thttp_failed(h) ? -1 : thttp_status(h);
    twait_remove_http(f->ts, h);
    thttp_free(h);
    return status;
}

/* Opens a WebSocket with a token for sub signed with secret; waits until it is settled. */
static tws *
ws_with_token(fx *f, const char *secret, const char *sub)
{
    char claims[128], path[1024];
    snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"exp\":%ld}", sub, (long)time(NULL) + 600);
    char *token = NULL;
    assert_int_equal(wsc__jwt_sign_hs256(secret, claims, &token), WSC_OK);
    snprintf(path, sizeof(path), "/ws?token=%s", token);
    wsc__free(token);
    tws *c = tws_connect(f->port, path, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(f->ts, c), 0);
    assert_true(twait_until(f->ts, NULL, tws_is_settled, c, WAIT_MS));
    return c;
}

static void
ws_free(fx *f, tws *c)
{
    twait_remove_ws(f->ts, c);
    tws_free(c);
}

/* A token of the given secret gets 101 (accepted) or 401. */
static int
handshake_status(fx *f, const char *secret)
{
    tws *c = ws_with_token(f, secret, "probe");
    int status = tws_http_status(c);
    ws_free(f, c);
    return status;
}

/* arg: a tws; it has received an error frame with data.code "rate_limited". */
static bool
got_rate_limited(void *arg)
{
    tws *c = arg;
    char *text = NULL;
    bool found = false;
    while (!found && tws_next(c, NULL, &text, NULL)) {
        json_t *j = tjson_parse(text);
        const char *code = tjson_str(j, "data.code");
        found = code != NULL && strcmp(code, "rate_limited") == 0;
        json_decref(j);
        free(text);
    }
    return found;
}

static bool
keys_contain(json_t *line, const char *key)
{
    json_t *keys = tjson_get(line, "keys");
    for (size_t i = 0; i < json_array_size(keys); i++) {
        if (strcmp(json_string_value(json_array_get(keys, i)), key) == 0)
            return true;
    }
    return false;
}

static void
test_reload__applies_the_new_file(void **state)
{
    fx *f = *state;
    write_config(f,
                 "{\"listen\":\"127.0.0.1:%d\",\"auth\":{\"jwt_secret\":\"s-old\"},"
                 "\"api_key\":\"k-old\",\"log\":{\"level\":\"warn\"}}",
                 f->port);
    start(f, NULL);
    tws *big = ws_with_token(f, "s-old", "alice");
    tws *fast = ws_with_token(f, "s-old", "bob");
    assert_int_equal(tws_state(big), TWS_OPEN);
    assert_int_equal(tws_state(fast), TWS_OPEN);
    assert_int_equal(api_status(f, f->port, "k-old"), 200);
    assert_int_equal(api_status(f, f->port, "k-new"), 401);
    assert_int_equal(thubproc_count(&f->hub, "conn_open"), 0); /* level warn */

    int other_port = thubproc_free_port();
    write_config(f,
                 "{\"listen\":\"127.0.0.1:%d\",\"auth\":{\"jwt_secret\":\"s-new\","
                 "\"jwt_secrets\":[\"s-mid\"]},\"api_key\":\"k-new\",\"limits\":{"
                 "\"max_message_size\":1024,\"msg_rate_per_conn\":1,\"msg_burst_per_conn\":2},"
                 "\"log\":{\"level\":\"info\"}}",
                 other_port);
    reload(f, "config_reloaded", 1);

    /* The listen address cannot change live: logged as kept, the old port still serves. */
    json_t *kept = thubproc_last(&f->hub, "config_kept");
    assert_non_null(kept);
    assert_true(keys_contain(kept, "listen"));
    json_decref(kept);
    assert_int_equal(api_status(f, other_port, "k-new"), -1);

    /* Identity: new handshakes use the new secrets; existing connections stay. */
    assert_int_equal(handshake_status(f, "s-old"), 401);
    assert_int_equal(handshake_status(f, "s-new"), 101);
    assert_int_equal(handshake_status(f, "s-mid"), 101);
    assert_int_equal(tws_state(big), TWS_OPEN);
    /* The log level is info now: those handshakes were logged. */
    assert_true(thubproc_wait(&f->hub, "conn_open", 2, WAIT_MS));

    assert_int_equal(api_status(f, f->port, "k-new"), 200);
    assert_int_equal(api_status(f, f->port, "k-old"), 401);

    /* Limits apply to connections opened before the reload. */
    char frame[2000];
    memset(frame, 'x', sizeof(frame));
    assert_int_equal(tws_send_text(big, frame, sizeof(frame)), 0);
    assert_true(twait_until(f->ts, NULL, tws_is_closed, big, WAIT_MS));
    assert_int_equal(tws_close_code(big), 1009);
    static const char msg[] = "{\"receiver\":\"alice\",\"content\":\"hi\"}";
    for (int i = 0; i < 6; i++)
        assert_int_equal(tws_send_text(fast, msg, sizeof(msg) - 1), 0);
    assert_true(twait_until(f->ts, NULL, got_rate_limited, fast, WAIT_MS));
    assert_true(thubproc_alive(&f->hub));
    ws_free(f, big);
    ws_free(f, fast);
    assert_int_equal(thubproc_stop(&f->hub, WAIT_MS), 0); /* clean exit (no leak under asan) */
}

static void
test_reload__a_broken_file_keeps_the_running_config(void **state)
{
    fx *f = *state;
    write_config(f,
                 "{\"listen\":\"127.0.0.1:%d\",\"auth\":{\"jwt_secret\":\"s-1\"},"
                 "\"api_key\":\"k-1\"}",
                 f->port);
    start(f, NULL);
    /* Not JSON. */
    write_config(f, "{\"api_key\":\"k-2\",");
    reload(f, "config_reload_failed", 1);
    /* Valid JSON, but a value only the hub refuses, beside a good change. */
    write_config(f,
                 "{\"listen\":\"127.0.0.1:%d\",\"api_key\":\"k-2\",\"limits\":{"
                 "\"max_message_size\":10}}",
                 f->port);
    reload(f, "config_reload_failed", 2);
    json_t *line = thubproc_last(&f->hub, "config_reload_failed");
    assert_non_null(strstr(tjson_str(line, "error"), "max_bytes"));
    json_decref(line);
    /* An unknown key. */
    write_config(f, "{\"api_key\":\"k-2\",\"limits\":{\"max_conn\":1}}");
    reload(f, "config_reload_failed", 3);
    assert_int_equal(thubproc_count(&f->hub, "config_reloaded"), 0);
    assert_int_equal(api_status(f, f->port, "k-1"), 200);
    assert_int_equal(api_status(f, f->port, "k-2"), 401);
    assert_int_equal(handshake_status(f, "s-1"), 101);
    /* A good file afterwards is applied. */
    write_config(f, "{\"listen\":\"127.0.0.1:%d\",\"api_key\":\"k-2\"}", f->port);
    reload(f, "config_reloaded", 1);
    assert_int_equal(api_status(f, f->port, "k-2"), 200);
    assert_int_equal(api_status(f, f->port, "k-1"), 401);
    assert_int_equal(handshake_status(f, "s-1"), 401); /* JWT is off now */
    assert_int_equal(thubproc_stop(&f->hub, WAIT_MS), 0);
}

static void
test_reload__flags_keep_precedence_over_the_file(void **state)
{
    fx *f = *state;
    write_config(f, "{\"listen\":\"127.0.0.1:%d\",\"api_key\":\"k-file-1\"}", f->port);
    const char *flags[] = {"--api-key", "k-flag", NULL};
    start(f, flags);
    assert_int_equal(api_status(f, f->port, "k-flag"), 200);
    write_config(f,
                 "{\"listen\":\"127.0.0.1:%d\",\"api_key\":\"k-file-2\","
                 "\"api_keys\":[\"k-extra\"]}",
                 f->port);
    reload(f, "config_reloaded", 1);
    assert_int_equal(api_status(f, f->port, "k-flag"), 200);
    assert_int_equal(api_status(f, f->port, "k-file-2"), 401);
    assert_int_equal(api_status(f, f->port, "k-extra"), 200); /* no flag for this key */
    assert_int_equal(thubproc_stop(&f->hub, WAIT_MS), 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reload__applies_the_new_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload__a_broken_file_keeps_the_running_config, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reload__flags_keep_precedence_over_the_file, setup,
                                        teardown),
    };
    return cmocka_run_group_tests_name("integration.hub_reload", tests, NULL, NULL);
}
