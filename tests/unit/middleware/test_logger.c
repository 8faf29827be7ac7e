/* SPDX-License-Identifier: MIT */
/* JSON log lines: every line a sink receives is parsed back with jansson. */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "middleware/logger.h"

struct capture {
    int calls;
    wsc_log_level level;
    char line[WSC__LOG_LINE_MAX + 1];
    size_t len;
};

static void
capture_sink(wsc_log_level level, const char *json_line, size_t len, void *user)
{
    struct capture *c = user;
    assert_true(len <= WSC__LOG_LINE_MAX);
    assert_int_equal(strlen(json_line), len);
    c->calls++;
    c->level = level;
    memcpy(c->line, json_line, len + 1);
    c->len = len;
}

static void
init_capture(wsc__logger *lg, struct capture *c, wsc_log_level level)
{
    memset(c, 0, sizeof(*c));
    wsc_log_config cfg = {.level = level, .sink = capture_sink, .sink_user = c};
    wsc__logger_init(lg, &cfg, "hub");
}

/* Parses the captured line; the caller owns the result. */
static json_t *
parse(const struct capture *c)
{
    json_error_t err;
    json_t *obj = json_loadb(c->line, c->len, JSON_REJECT_DUPLICATES, &err);
    if (obj == NULL)
        fail_msg("invalid JSON (%s): %s", err.text, c->line);
    assert_true(json_is_object(obj));
    return obj;
}

static void
test_logger__renders_typed_fields(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    init_capture(&lg, &c, WSC_LOG_DEBUG);
    wsc__log(&lg, WSC_LOG_INFO, "conn_open", "s:user,u:conn,i:code,b:ok,d:ratio,s:none", "u1",
             (uint64_t)7, -1000, true, 0.25, (const char *)NULL);
    assert_int_equal(c.calls, 1);
    assert_int_equal(c.level, WSC_LOG_INFO);
    assert_null(strchr(c.line, '\n'));
    json_t *o = parse(&c);
    assert_string_equal(json_string_value(json_object_get(o, "level")), "info");
    assert_string_equal(json_string_value(json_object_get(o, "component")), "hub");
    assert_string_equal(json_string_value(json_object_get(o, "event")), "conn_open");
    assert_string_equal(json_string_value(json_object_get(o, "user")), "u1");
    assert_int_equal(json_integer_value(json_object_get(o, "conn")), 7);
    assert_int_equal(json_integer_value(json_object_get(o, "code")), -1000);
    assert_true(json_is_true(json_object_get(o, "ok")));
    assert_true(json_real_value(json_object_get(o, "ratio")) == 0.25);
    assert_true(json_is_null(json_object_get(o, "none")));
    assert_null(json_object_get(o, "truncated"));
    json_decref(o);
    /* jansson's integers are signed, so check UINT64_MAX as text. */
    wsc__log(&lg, WSC_LOG_INFO, "max", "u:conn", (uint64_t)UINT64_MAX);
    assert_non_null(strstr(c.line, ",\"conn\":18446744073709551615}"));
}

static void
test_logger__timestamp_is_rfc3339_ms_utc(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    init_capture(&lg, &c, WSC_LOG_DEBUG);
    wsc__log(&lg, WSC_LOG_ERROR, "boom", NULL);
    json_t *o = parse(&c);
    const char *ts = json_string_value(json_object_get(o, "ts"));
    assert_non_null(ts);
    /* 2024-01-02T03:04:05.678Z */
    assert_int_equal(strlen(ts), 24);
    const char *shape = "dddd-dd-ddTdd:dd:dd.dddZ";
    for (size_t i = 0; i < 24; i++) {
        if (shape[i] == 'd')
            assert_true(ts[i] >= '0' && ts[i] <= '9');
        else
            assert_int_equal(ts[i], shape[i]);
    }
    assert_int_equal(strncmp(c.line, "{\"ts\":", 6), 0);
    json_decref(o);
}

static void
test_logger__escapes_strings(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    init_capture(&lg, &c, WSC_LOG_DEBUG);
    const char *nasty = "a\"b\\c\nd\re\tf\x01g\x1fh\x7f/é€😀";
    wsc__log(&lg, WSC_LOG_WARN, "ev\"il", "s:text,s:k\"ey", nasty, "v");
    assert_null(strchr(c.line, '\n'));
    json_t *o = parse(&c);
    assert_string_equal(json_string_value(json_object_get(o, "text")), nasty);
    assert_string_equal(json_string_value(json_object_get(o, "event")), "ev\"il");
    assert_string_equal(json_string_value(json_object_get(o, "k\"ey")), "v");
    json_decref(o);
}

static void
test_logger__replaces_invalid_utf8(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    init_capture(&lg, &c, WSC_LOG_DEBUG);
    /* A lone continuation byte, an overlong '/', a surrogate, a truncated sequence. */
    wsc__log(&lg, WSC_LOG_WARN, "ev", "s:a,s:b,s:c,s:d", "x\x80y", "\xc0\xaf", "\xed\xa0\x80",
             "z\xe2\x82");
    json_t *o = parse(&c);
    assert_string_equal(json_string_value(json_object_get(o, "a")), "x\xef\xbf\xbdy");
    assert_string_equal(json_string_value(json_object_get(o, "b")), "\xef\xbf\xbd\xef\xbf\xbd");
    assert_non_null(json_string_value(json_object_get(o, "c")));
    assert_non_null(json_string_value(json_object_get(o, "d")));
    json_decref(o);
}

static void
test_logger__filters_by_level(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    init_capture(&lg, &c, WSC_LOG_DEFAULT);
    assert_int_equal(lg.level, WSC_LOG_WARN);
    assert_false(wsc__log_enabled(&lg, WSC_LOG_INFO));
    assert_true(wsc__log_enabled(&lg, WSC_LOG_WARN));
    wsc__log(&lg, WSC_LOG_DEBUG, "d", NULL);
    wsc__log(&lg, WSC_LOG_INFO, "i", NULL);
    assert_int_equal(c.calls, 0);
    wsc__log(&lg, WSC_LOG_WARN, "w", NULL);
    wsc__log(&lg, WSC_LOG_ERROR, "e", NULL);
    assert_int_equal(c.calls, 2);
    /* Not real levels for a line. */
    wsc__log(&lg, WSC_LOG_OFF, "o", NULL);
    wsc__log(&lg, WSC_LOG_DEFAULT, "x", NULL);
    assert_int_equal(c.calls, 2);
    init_capture(&lg, &c, WSC_LOG_OFF);
    wsc__log(&lg, WSC_LOG_ERROR, "e", NULL);
    assert_int_equal(c.calls, 0);
    assert_false(wsc__log_enabled(NULL, WSC_LOG_ERROR));
}

static void
test_logger__broken_format_gives_nulls(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    init_capture(&lg, &c, WSC_LOG_DEBUG);
    /* After the unknown type x, no argument is read: "after" is null, not 42. */
    wsc__log(&lg, WSC_LOG_ERROR, "ev", "i:first,x:bad,i:after,nocolon", 7, 42);
    json_t *o = parse(&c);
    assert_int_equal(json_integer_value(json_object_get(o, "first")), 7);
    assert_true(json_is_null(json_object_get(o, "bad")));
    assert_true(json_is_null(json_object_get(o, "after")));
    assert_true(json_is_null(json_object_get(o, "nocolon")));
    json_decref(o);
}

static void
check_truncated(const struct capture *c)
{
    assert_int_equal(c->calls, 1);
    assert_true(c->len <= WSC__LOG_LINE_MAX);
    json_t *o = parse(c);
    assert_true(json_is_true(json_object_get(o, "truncated")));
    assert_string_equal(json_string_value(json_object_get(o, "event")), "big");
    json_decref(o);
}

static void
test_logger__truncation_keeps_valid_json(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    static char big[6000];
    /* Plain, escaped and multi-byte fillers, each cut somewhere inside. */
    const char *fillers[] = {"a", "\"", "\n", "\x01", "é", "😀"};
    for (size_t f = 0; f < sizeof(fillers) / sizeof(fillers[0]); f++) {
        for (size_t shift = 0; shift < 4; shift++) {
            size_t unit = strlen(fillers[f]), n = 0;
            while (n + unit < sizeof(big) - 1) {
                memcpy(big + n, fillers[f], unit);
                n += unit;
            }
            big[n] = '\0';
            init_capture(&lg, &c, WSC_LOG_DEBUG);
            wsc__log(&lg, WSC_LOG_ERROR, "big", "s:pad,s:text,i:after", &"xyz"[3 - shift], big, 1);
            check_truncated(&c);
        }
    }
}

static void
test_logger__truncation_drops_whole_fields(void **state)
{
    (void)state;
    wsc__logger lg;
    struct capture c;
    init_capture(&lg, &c, WSC_LOG_DEBUG);
    char fmt[4096];
    size_t n = 0;
    for (int i = 0; i < 300; i++)
        n += (size_t)snprintf(fmt + n, sizeof(fmt) - n, "%si:field_%03d", i ? "," : "", i);
    /* Only the first arguments are read before the line is full; pass enough anyway. */
    wsc__log(&lg, WSC_LOG_ERROR, "big", fmt, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789,
             123456789, 123456789, 123456789, 123456789, 123456789, 123456789, 123456789);
    check_truncated(&c);
    json_t *o = parse(&c);
    assert_int_equal(json_integer_value(json_object_get(o, "field_000")), 123456789);
    json_decref(o);
}

static void
test_logger__default_sink_writes_stderr_line(void **state)
{
    (void)state;
    wsc__logger lg;
    wsc__logger_init(&lg, NULL, "client");
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_int_equal(dup2(fds[1], STDERR_FILENO), STDERR_FILENO);
    wsc__log(&lg, WSC_LOG_INFO, "skipped", NULL);
    wsc__log(&lg, WSC_LOG_WARN, "reconnect", "i:attempt", 3);
    assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
    close(saved);
    close(fds[1]);
    char buf[WSC__LOG_LINE_MAX + 2];
    ssize_t n = read(fds[0], buf, sizeof(buf));
    close(fds[0]);
    assert_true(n > 1);
    assert_int_equal(buf[n - 1], '\n');
    assert_null(memchr(buf, '\n', (size_t)n - 1));
    json_t *o = json_loadb(buf, (size_t)n - 1, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "component")), "client");
    assert_string_equal(json_string_value(json_object_get(o, "event")), "reconnect");
    assert_string_equal(json_string_value(json_object_get(o, "level")), "warn");
    assert_int_equal(json_integer_value(json_object_get(o, "attempt")), 3);
    json_decref(o);
}

static void
test_logger__level_parse(void **state)
{
    (void)state;
    assert_int_equal(wsc_log_level_parse("debug"), WSC_LOG_DEBUG);
    assert_int_equal(wsc_log_level_parse("INFO"), WSC_LOG_INFO);
    assert_int_equal(wsc_log_level_parse("warn"), WSC_LOG_WARN);
    assert_int_equal(wsc_log_level_parse("warning"), WSC_LOG_WARN);
    assert_int_equal(wsc_log_level_parse("Error"), WSC_LOG_ERROR);
    assert_int_equal(wsc_log_level_parse("off"), WSC_LOG_OFF);
    assert_int_equal(wsc_log_level_parse("verbose"), WSC_LOG_DEFAULT);
    assert_int_equal(wsc_log_level_parse(""), WSC_LOG_DEFAULT);
    assert_int_equal(wsc_log_level_parse(NULL), WSC_LOG_DEFAULT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_logger__renders_typed_fields),
        cmocka_unit_test(test_logger__timestamp_is_rfc3339_ms_utc),
        cmocka_unit_test(test_logger__escapes_strings),
        cmocka_unit_test(test_logger__replaces_invalid_utf8),
        cmocka_unit_test(test_logger__filters_by_level),
        cmocka_unit_test(test_logger__broken_format_gives_nulls),
        cmocka_unit_test(test_logger__truncation_keeps_valid_json),
        cmocka_unit_test(test_logger__truncation_drops_whole_fields),
        cmocka_unit_test(test_logger__default_sink_writes_stderr_line),
        cmocka_unit_test(test_logger__level_parse),
    };
    return cmocka_run_group_tests_name("unit.middleware.logger", tests, NULL, NULL);
}
