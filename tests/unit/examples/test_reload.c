/* SPDX-License-Identifier: MIT */
/* wsc-hub's reload (examples/wsc-hub/reload.c) and the keys it brings: the file and the flags
 * are read again as at start (a flag still wins over the file), the keys that cannot change
 * live keep their running value and are listed, a broken file gives an error and nothing, and
 * the list keys (auth.jwt_secrets, auth.origins, api_keys) and rate limits reach
 * wsc_hub_config. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "reload.h"

typedef struct fx {
    char path[64];
    wsc_hubd_config running;
} fx;

static void
write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static int
setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    snprintf(f->path, sizeof(f->path), "/tmp/wsc-reload-unit-XXXXXX");
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
    wsc_hubd_config_free(&f->running);
    unlink(f->path);
    free(f);
    return 0;
}

static void
load_running(fx *f, int argc, const char *const *argv)
{
    char err[256] = "";
    assert_int_equal(wsc_hubd_config_init(&f->running), WSC_OK);
    assert_int_equal(wsc_hubd_config_parse_args(&f->running, argc, argv, err, sizeof(err)), WSC_OK);
    assert_int_equal(wsc_hubd_config_check(&f->running, err, sizeof(err)), WSC_OK);
}

/* deflate is set on the vhost at creation: kept; its threshold applies from the next write. */
static void
test_reload__deflate_is_kept_and_its_threshold_reloads(void **state)
{
    fx *f = *state;
    write_file(f->path, "{\"deflate\":true,\"deflate_threshold\":100}");
    const char *argv[] = {"wsc-hub", "--config", f->path};
    load_running(f, 3, argv);
    write_file(f->path, "{\"deflate\":false,\"deflate_threshold\":200}");
    wsc_hubd_config next;
    json_t *kept = NULL;
    char err[256] = "";
    assert_int_equal(wsc_hubd_config_reload(&f->running, 3, argv, &next, &kept, err, sizeof(err)),
                     WSC_OK);
    assert_true(next.deflate);
    assert_int_equal(next.deflate_threshold, 200);
    assert_int_equal(json_array_size(kept), 1);
    assert_string_equal(json_string_value(json_array_get(kept, 0)), "deflate");
    json_decref(kept);
    wsc_hubd_config_free(&next);
}

static void
test_reload__rereads_file_and_flags_and_keeps_fixed_keys(void **state)
{
    fx *f = *state;
    write_file(f->path, "{\"listen\":\"127.0.0.1:9001\",\"api_key\":\"file-1\",\"redis\":null,"
                        "\"log\":{\"level\":\"warn\"}}");
    const char *argv[] = {"wsc-hub", "--config", f->path, "--max-conns", "7"};
    load_running(f, 5, argv);
    write_file(f->path,
               "{\"listen\":\"127.0.0.1:9002\",\"api_key\":\"file-2\","
               "\"redis\":\"redis://127.0.0.1:1\",\"node_id\":\"n2\",\"limits\":{"
               "\"max_conns\":99,\"max_message_size\":4096},\"log\":{\"level\":\"debug\"}}");
    wsc_hubd_config next;
    json_t *kept = NULL;
    char err[256] = "";
    assert_int_equal(wsc_hubd_config_reload(&f->running, 5, argv, &next, &kept, err, sizeof(err)),
                     WSC_OK);
    /* Live keys come from the file; the flag still wins over it. */
    assert_string_equal(next.api_key, "file-2");
    assert_int_equal(next.max_message_size, 4096);
    assert_int_equal(next.log_level, WSC_LOG_DEBUG);
    assert_int_equal(next.max_conns, 7);
    /* Fixed keys keep the running value and are named. */
    assert_string_equal(next.host, "127.0.0.1");
    assert_int_equal(next.port, 9001);
    assert_null(next.redis_url);
    assert_null(next.node_id);
    assert_int_equal(json_array_size(kept), 3);
    assert_string_equal(json_string_value(json_array_get(kept, 0)), "listen");
    assert_string_equal(json_string_value(json_array_get(kept, 1)), "node_id");
    assert_string_equal(json_string_value(json_array_get(kept, 2)), "redis");
    json_decref(kept);
    wsc_hubd_config_free(&next);
}

static void
test_reload__a_broken_file_gives_an_error_and_nothing(void **state)
{
    fx *f = *state;
    write_file(f->path, "{\"api_key\":\"file-1\"}");
    const char *argv[] = {"wsc-hub", "--config", f->path};
    load_running(f, 3, argv);
    static const char *const broken[] = {
        "{\"api_key\":",                                                   /* syntax */
        "{\"limits\":{\"max_conn\":1}}",                                   /* unknown key */
        "{\"auth\":{\"jwt_secrets\":[\"a\", 3]}}",                         /* wrong type */
        "{\"limits\":{\"msg_rate_per_conn\":5,\"msg_burst_per_conn\":0}}", /* contradiction */
    };
    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        write_file(f->path, broken[i]);
        wsc_hubd_config next;
        json_t *kept = (json_t *)(void *)&next; /* must be set to NULL */
        char err[256] = "";
        assert_int_not_equal(
            wsc_hubd_config_reload(&f->running, 3, argv, &next, &kept, err, sizeof(err)), WSC_OK);
        assert_null(kept);
        assert_null(next.host);
        assert_true(err[0] != '\0');
    }
    unlink(f->path);
    wsc_hubd_config next;
    json_t *kept = NULL;
    char err[256] = "";
    assert_int_equal(wsc_hubd_config_reload(&f->running, 3, argv, &next, &kept, err, sizeof(err)),
                     WSC_ERR_IO);
    assert_string_equal(f->running.api_key, "file-1");
}

static void
test_reload__list_keys_and_rates_reach_the_hub_config(void **state)
{
    fx *f = *state;
    write_file(f->path, "{\"auth\":{\"jwt_secret\":\"s1\",\"jwt_secrets\":[\"s2\",\"s3\"],"
                        "\"origins\":[\"https://a.example\"]},\"api_keys\":[\"k2\"],"
                        "\"limits\":{\"connect_rate_per_ip\":4,\"connect_burst_per_ip\":8,"
                        "\"msg_rate_per_conn\":5,\"msg_burst_per_conn\":10}}");
    const char *argv[] = {"wsc-hub", "--config", f->path, "--jwt-secrets=s9", "--origins="};
    load_running(f, 5, argv);
    wsc_hub_config hub;
    wsc_hubd_config_to_hub(&f->running, &hub);
    assert_string_equal(hub.jwt_secret, "s1");
    assert_string_equal(hub.jwt_secrets[0], "s9"); /* the flag replaces the file's list */
    assert_null(hub.jwt_secrets[1]);
    assert_null(hub.origins); /* an empty flag clears it: any origin */
    assert_string_equal(f->running.api_keys[0], "k2");
    assert_true(hub.connect_rate_per_ip == 4 && hub.connect_burst_per_ip == 8);
    assert_true(hub.msg_rate_per_conn == 5 && hub.msg_burst_per_conn == 10);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reload__deflate_is_kept_and_its_threshold_reloads,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload__rereads_file_and_flags_and_keeps_fixed_keys,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload__a_broken_file_gives_an_error_and_nothing,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_reload__list_keys_and_rates_reach_the_hub_config,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("unit.examples.reload", tests, NULL, NULL);
}
