/* SPDX-License-Identifier: MIT */
/* JSON log lines at the edges of test_logger.c: valid 3- and 4-byte UTF-8 at the bounds of
 * their ranges passes unchanged, the invalid neighbours (overlong E0/F0 forms, above U+10FFFF,
 * F5 and up, a bad continuation byte) become U+FFFD; a false boolean and a non-finite double
 * (written as null: JSON has no NaN); a level outside the enum in the config falls back to the
 * default (WARN). */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "middleware/logger.h"

struct capture {
    int calls;
    char line[WSC__LOG_LINE_MAX + 1];
    size_t len;
};

static void
capture_sink(wsc_log_level level, const char *json_line, size_t len, void *user)
{
    (void)level;
    struct capture *c = user;
    c->calls++;
    memcpy(c->line, json_line, len + 1);
    c->len = len;
}

static json_t *
logged(wsc__logger *lg, struct capture *c, const char *value)
{
    wsc__log(lg, WSC_LOG_WARN, "ev", "s:v", value);
    json_error_t err;
    json_t *o = json_loadb(c->line, c->len, JSON_REJECT_DUPLICATES, &err);
    if (o == NULL)
        fail_msg("invalid JSON (%s): %s", err.text, c->line);
    return o;
}

/* value is logged as want (UTF-8). */
static void
expect(wsc__logger *lg, struct capture *c, const char *value, const char *want)
{
    json_t *o = logged(lg, c, value);
    assert_string_equal(json_string_value(json_object_get(o, "v")), want);
    json_decref(o);
}

#define FFFD "\xef\xbf\xbd"

static void
test_logger_edges__utf8_bounds(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c = {0};
    wsc_log_config cfg = {.level = WSC_LOG_DEBUG, .sink = capture_sink, .sink_user = &c};
    wsc__logger_init(&lg, &cfg, "t");
    /* Valid at the bounds: U+0800, U+FFFF, U+10000, U+10FFFF, U+1F600. */
    expect(&lg, &c, "\xe0\xa0\x80", "\xe0\xa0\x80");
    expect(&lg, &c, "\xef\xbf\xbf", "\xef\xbf\xbf");
    expect(&lg, &c, "\xf0\x90\x80\x80", "\xf0\x90\x80\x80");
    expect(&lg, &c, "\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");
    expect(&lg, &c, "a\xf0\x9f\x98\x80z", "a\xf0\x9f\x98\x80z");
    /* Invalid: overlong 3- and 4-byte forms, above U+10FFFF, F5, a bad continuation. */
    json_t *o = logged(&lg, &c, "\xe0\x9f\xbf");
    assert_non_null(strstr(json_string_value(json_object_get(o, "v")), FFFD));
    json_decref(o);
    o = logged(&lg, &c, "\xf0\x8f\xbf\xbf");
    assert_non_null(strstr(json_string_value(json_object_get(o, "v")), FFFD));
    json_decref(o);
    o = logged(&lg, &c, "\xf4\x90\x80\x80");
    assert_non_null(strstr(json_string_value(json_object_get(o, "v")), FFFD));
    json_decref(o);
    o = logged(&lg, &c, "\xf5\x80\x80\x80");
    assert_non_null(strstr(json_string_value(json_object_get(o, "v")), FFFD));
    json_decref(o);
    o = logged(&lg, &c, "\xf0\x9f\x41\x80");
    const char *v = json_string_value(json_object_get(o, "v"));
    assert_non_null(strstr(v, FFFD));
    assert_non_null(strchr(v, 'A')); /* the ASCII byte after the break survives */
    json_decref(o);
}

static void
test_logger_edges__false_nan_and_bad_level(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c = {0};
    wsc_log_config cfg = {.level = WSC_LOG_DEBUG, .sink = capture_sink, .sink_user = &c};
    wsc__logger_init(&lg, &cfg, "t");
    wsc__log(&lg, WSC_LOG_INFO, "ev", "b:f,d:nan,d:inf,d:ok", false, NAN, INFINITY, 1.5);
    json_t *o = json_loadb(c.line, c.len, 0, NULL);
    assert_non_null(o);
    assert_true(json_is_false(json_object_get(o, "f")));
    assert_true(json_is_null(json_object_get(o, "nan")));
    assert_true(json_is_null(json_object_get(o, "inf")));
    assert_true(json_real_value(json_object_get(o, "ok")) == 1.5);
    json_decref(o);

    /* A level outside the enum: the default (WARN), so INFO is dropped and WARN kept. */
    cfg.level = (wsc_log_level)77;
    wsc__logger_init(&lg, &cfg, "t");
    c.calls = 0;
    wsc__log(&lg, WSC_LOG_INFO, "quiet", "");
    assert_int_equal(c.calls, 0);
    wsc__log(&lg, WSC_LOG_WARN, "loud", "");
    assert_int_equal(c.calls, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logger_edges__utf8_bounds),
        cmocka_unit_test(test_logger_edges__false_nan_and_bad_level),
    };
    return cmocka_run_group_tests_name("unit.middleware.logger_edges", tests, NULL, NULL);
}
