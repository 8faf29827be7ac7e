/* SPDX-License-Identifier: MIT */
/* JSON log lines.  A line is rendered into a fixed stack buffer: the header (ts, level,
 * component, event), then one field per format entry.  A field that does not fit is dropped
 * whole (a string value is cut at a character boundary instead), the remaining fields are
 * skipped and the line ends with "truncated":true, so every line a sink sees is valid JSON.
 * Input strings are escaped per RFC 8259 and invalid UTF-8 becomes U+FFFD, because JSON
 * parsers reject it. */
#include "middleware/logger.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <wsc/log.h>

#define LINE_TAIL     ",\"truncated\":true}"
#define LINE_CAP      (WSC__LOG_LINE_MAX + 2) /* the line, then "\n" for stderr, then NUL */
#define CONTENT_LIMIT (WSC__LOG_LINE_MAX - (sizeof(LINE_TAIL) - 1))

struct line {
    char buf[LINE_CAP];
    size_t len;
    bool truncated;
};

static const char *const level_names[] = {"default", "debug", "info", "warn", "error", "off"};

/* Appends n bytes if they fit below CONTENT_LIMIT, which keeps room for the closing text. */
static bool
put(struct line *l, const char *s, size_t n)
{
    if (n > CONTENT_LIMIT - l->len)
        return false;
    memcpy(l->buf + l->len, s, n);
    l->len += n;
    return true;
}

/* Length of the valid UTF-8 sequence starting at p (2 to 4), or 0 when it is not one.  The
 * ranges exclude overlong forms, surrogates and code points above U+10FFFF.  p is
 * NUL-terminated, and NUL is never a continuation byte, so no read passes the end. */
static size_t
utf8_len(const unsigned char *p)
{
    unsigned lo = 0x80, hi = 0xBF;
    size_t n;
    if (p[0] >= 0xC2 && p[0] <= 0xDF) {
        n = 2;
    } else if (p[0] >= 0xE0 && p[0] <= 0xEF) {
        n = 3;
        lo = p[0] == 0xE0 ? 0xA0 : lo;
        hi = p[0] == 0xED ? 0x9F : hi;
    } else if (p[0] >= 0xF0 && p[0] <= 0xF4) {
        n = 4;
        lo = p[0] == 0xF0 ? 0x90 : lo;
        hi = p[0] == 0xF4 ? 0x8F : hi;
    } else {
        return 0;
    }
    if (p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if (p[i] < 0x80 || p[i] > 0xBF)
            return 0;
    return n;
}

/* Escapes the character at p (at most end - p bytes long) into out; returns the output length
 * and sets *used to the number of input bytes consumed. */
static size_t
escape_char(const unsigned char *p, const unsigned char *end, char out[8], size_t *used)
{
    static const char short_esc[] = {['"'] = '"',  ['\\'] = '\\', ['\b'] = 'b', ['\f'] = 'f',
                                     ['\n'] = 'n', ['\r'] = 'r',  ['\t'] = 't'};
    *used = 1;
    if (*p < sizeof(short_esc) && short_esc[*p] != 0) {
        out[0] = '\\';
        out[1] = short_esc[*p];
        return 2;
    }
    if (*p < 0x20)
        return (size_t)snprintf(out, 8, "\\u%04x", *p);
    if (*p < 0x80) {
        out[0] = (char)*p;
        return 1;
    }
    size_t n = utf8_len(p);
    if (n == 0 || n > (size_t)(end - p)) {
        memcpy(out, "\\ufffd", 6);
        return 6;
    }
    memcpy(out, p, n);
    *used = n;
    return n;
}

/* Appends s (n bytes, no NUL inside) as a JSON string.  When it does not fit: with cut, the
 * string is closed early at a character boundary, the line is marked truncated and true is
 * returned; without cut, nothing useful is kept and false is returned (the caller rolls back). */
static bool
put_string(struct line *l, const char *s, size_t n, bool cut)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    if (!put(l, "\"", 1))
        return false;
    while (p < end) {
        char esc[8];
        size_t used;
        size_t m = escape_char(p, end, esc, &used);
        /* Keep one byte free for the closing quote. */
        if (m + 1 > CONTENT_LIMIT - l->len) {
            if (!cut)
                return false;
            l->truncated = true;
            break;
        }
        put(l, esc, m);
        p += used;
    }
    return put(l, "\"", 1);
}

static bool
put_cstring(struct line *l, const char *s, bool cut)
{
    if (s == NULL)
        return put(l, "null", 4);
    return put_string(l, s, strlen(s), cut);
}

static bool
put_printf_value(struct line *l, const char *text, int n)
{
    return n > 0 && put(l, text, (size_t)n);
}

/* Renders the value of one field of the given type, reading its argument from ap.  Type 0
 * stands for a broken format entry: null, and no argument is read. */
static bool
put_value(struct line *l, char type, va_list *ap)
{
    char num[48];
    switch (type) {
    case 's':
        return put_cstring(l, va_arg(*ap, const char *), true);
    case 'i':
        return put_printf_value(l, num, snprintf(num, sizeof(num), "%d", va_arg(*ap, int)));
    case 'u':
        return put_printf_value(l, num,
                                snprintf(num, sizeof(num), "%" PRIu64, va_arg(*ap, uint64_t)));
    case 'b':
        return va_arg(*ap, int) ? put(l, "true", 4) : put(l, "false", 5);
    case 'd': {
        double d = va_arg(*ap, double);
        if (!isfinite(d))
            return put(l, "null", 4);
        return put_printf_value(l, num, snprintf(num, sizeof(num), "%.15g", d));
    }
    default:
        return put(l, "null", 4);
    }
}

/* Appends ,"key":value, or nothing at all (and marks the line truncated) when it does not
 * fit.  Returns false once the line is truncated, so that the caller stops. */
static bool
put_field(struct line *l, const char *key, size_t key_len, char type, const char *sval, va_list *ap)
{
    if (l->truncated)
        return false;
    size_t mark = l->len;
    bool ok = put(l, ",", 1) && put_string(l, key, key_len, false) && put(l, ":", 1) &&
              (ap != NULL ? put_value(l, type, ap) : put_cstring(l, sval, true));
    if (!ok) {
        l->len = mark;
        l->truncated = true;
    }
    return !l->truncated;
}

static bool
is_known_type(char c)
{
    return c != '\0' && strchr("siubd", c) != NULL;
}

/* Walks fmt ("t:name,t:name"), one argument per entry, until the end or the first field that
 * does not fit.  After a broken entry no further argument is read. */
static void
put_fields(struct line *l, const char *fmt, va_list *ap)
{
    bool broken = false;
    const char *p = fmt;
    while (p != NULL && *p != '\0') {
        const char *comma = strchr(p, ',');
        size_t n = comma != NULL ? (size_t)(comma - p) : strlen(p);
        bool has_type = n >= 2 && p[1] == ':';
        broken = broken || !has_type || !is_known_type(p[0]);
        const char *key = has_type ? p + 2 : p;
        size_t key_len = n - (size_t)(key - p);
        if (!put_field(l, key, key_len, broken ? '\0' : p[0], NULL, ap))
            return;
        p = comma != NULL ? comma + 1 : NULL;
    }
}

static void
format_ts(char out[64])
{
    struct timespec ts;
    struct tm tm;
    if (clock_gettime(CLOCK_REALTIME, &ts) != 0 || gmtime_r(&ts.tv_sec, &tm) == NULL) {
        memset(&ts, 0, sizeof(ts));
        memset(&tm, 0, sizeof(tm));
        tm.tm_year = 70;
        tm.tm_mday = 1;
    }
    snprintf(out, 64, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ts.tv_nsec / 1000000));
}

static void
put_header(struct line *l, const wsc__logger *lg, wsc_log_level level, const char *event)
{
    char ts[64];
    format_ts(ts);
    /* The header's fixed part is far below CONTENT_LIMIT, so these cannot fail. */
    put(l, "{\"ts\":\"", 7);
    put(l, ts, strlen(ts));
    put(l, "\",\"level\":\"", 11);
    put(l, level_names[level], strlen(level_names[level]));
    put(l, "\"", 1);
    put_field(l, "component", 9, 's', lg->component, NULL);
    put_field(l, "event", 5, 's', event, NULL);
}

static void
finish(struct line *l)
{
    const char *tail = l->truncated ? LINE_TAIL : "}";
    size_t n = strlen(tail);
    /* put() never passes CONTENT_LIMIT, which leaves exactly enough room for LINE_TAIL. */
    memcpy(l->buf + l->len, tail, n);
    l->len += n;
    l->buf[l->len] = '\0';
}

static void
emit(const wsc__logger *lg, wsc_log_level level, struct line *l)
{
    if (lg->sink != NULL) {
        lg->sink(level, l->buf, l->len, lg->sink_user);
        return;
    }
    /* One write(2) per line keeps lines whole when several processes share stderr. */
    l->buf[l->len] = '\n';
    ssize_t n;
    do {
        n = write(STDERR_FILENO, l->buf, l->len + 1);
    } while (n < 0 && errno == EINTR);
    l->buf[l->len] = '\0';
}

void
wsc__logger_init(wsc__logger *lg, const wsc_log_config *cfg, const char *component)
{
    memset(lg, 0, sizeof(*lg));
    lg->level = WSC_LOG_WARN;
    lg->component = component;
    if (cfg == NULL)
        return;
    if (cfg->level > WSC_LOG_DEFAULT && cfg->level <= WSC_LOG_OFF)
        lg->level = cfg->level;
    lg->sink = cfg->sink;
    lg->sink_user = cfg->sink_user;
}

bool
wsc__log_enabled(const wsc__logger *lg, wsc_log_level level)
{
    return lg != NULL && level >= WSC_LOG_DEBUG && level <= WSC_LOG_ERROR &&
           lg->level != WSC_LOG_OFF && level >= lg->level;
}

void
wsc__log(const wsc__logger *lg, wsc_log_level level, const char *event, const char *fmt, ...)
{
    if (!wsc__log_enabled(lg, level))
        return;
    struct line l;
    l.len = 0;
    l.truncated = false;
    put_header(&l, lg, level, event);
    va_list ap;
    va_start(ap, fmt);
    put_fields(&l, fmt, &ap);
    va_end(ap);
    finish(&l);
    emit(lg, level, &l);
}

wsc_log_level
wsc_log_level_parse(const char *name)
{
    static const struct {
        const char *name;
        wsc_log_level level;
    } names[] = {{"debug", WSC_LOG_DEBUG},  {"info", WSC_LOG_INFO},   {"warn", WSC_LOG_WARN},
                 {"warning", WSC_LOG_WARN}, {"error", WSC_LOG_ERROR}, {"off", WSC_LOG_OFF}};
    if (name == NULL)
        return WSC_LOG_DEFAULT;
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (strcasecmp(name, names[i].name) == 0)
            return names[i].level;
    return WSC_LOG_DEFAULT;
}
