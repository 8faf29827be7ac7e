/* SPDX-License-Identifier: MIT */
/* The frames the hub emits on its own (PROTOCOL.md §1, §3): connected, pong, ack, error and
 * kick_out, plus the wire forms of timestamps (RFC 3339 UTC with milliseconds) and of hub
 * ids ("<prefix>-<base36 sequence>-<base36 tag>"; the hub makes the tag unguessable). */
#include "protocol/frames.h"

#include <string.h>

#include <jansson.h>

#include "models/msg_internal.h"

/* Adds key:value to obj; a NULL value is left out.  json_string() refuses invalid UTF-8. */
static wsc_err
put_string(json_t *obj, const char *key, const char *value)
{
    if (value == NULL)
        return WSC_OK;
    json_t *s = json_string(value);
    if (s == NULL)
        return WSC_ERR_INVALID;
    return json_object_set_new(obj, key, s) == 0 ? WSC_OK : WSC_ERR_NOMEM;
}

static wsc_err
put_integer(json_t *obj, const char *key, json_int_t value)
{
    json_t *n = json_integer(value);
    if (n == NULL)
        return WSC_ERR_NOMEM;
    return json_object_set_new(obj, key, n) == 0 ? WSC_OK : WSC_ERR_NOMEM;
}

/* Makes a message of the given type and optional message_id, with data taken over (data may
 * be NULL).  On failure data is released and *out stays NULL. */
static wsc_err
make_frame(wsc_msg **out, const char *type, const char *message_id, json_t *data)
{
    wsc_msg *msg = NULL;
    *out = NULL;
    wsc_err err = wsc_msg_new_text(&msg, type, NULL);
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_MESSAGE_ID, message_id);
    if (err == WSC_OK && data != NULL) {
        err = wsc__msg_set_data(msg, data);
        data = NULL; /* taken over, even on failure */
    }
    json_decref(data);
    if (err != WSC_OK) {
        wsc_msg_unref(msg);
        return err;
    }
    *out = msg;
    return WSC_OK;
}

wsc_err
wsc__proto_connected(wsc_msg **out, const char *user_id, const char *client_id, const char *node_id,
                     unsigned heartbeat_ms, uint64_t wall_ms)
{
    char now[32];
    wsc__proto_time_rfc3339(wall_ms, now, sizeof(now));
    json_t *data = json_object();
    if (data == NULL)
        return WSC_ERR_NOMEM;
    wsc_err err = put_string(data, "user_id", user_id);
    if (err == WSC_OK)
        err = put_string(data, "client_id", client_id);
    if (err == WSC_OK)
        err = put_string(data, "node_id", node_id);
    if (err == WSC_OK)
        err = put_integer(data, "heartbeat_ms", (json_int_t)heartbeat_ms);
    if (err == WSC_OK)
        err = put_string(data, "server_time", now);
    if (err != WSC_OK) {
        json_decref(data);
        *out = NULL;
        return err;
    }
    return make_frame(out, "connected", NULL, data);
}

wsc_err
wsc__proto_pong(wsc_msg **out)
{
    return make_frame(out, "pong", NULL, NULL);
}

/* A frame of type about message_id whose data holds two strings, k1:v1 and k2:v2 (a NULL
 * value is left out). */
static wsc_err
two_string_frame(wsc_msg **out, const char *type, const char *message_id, const char *k1,
                 const char *v1, const char *k2, const char *v2)
{
    json_t *data = json_object();
    if (data == NULL)
        return WSC_ERR_NOMEM;
    wsc_err err = put_string(data, k1, v1);
    if (err == WSC_OK)
        err = put_string(data, k2, v2);
    if (err != WSC_OK) {
        json_decref(data);
        *out = NULL;
        return err;
    }
    return make_frame(out, type, message_id, data);
}

wsc_err
wsc__proto_ack(wsc_msg **out, const char *message_id, const char *status, const char *error)
{
    return two_string_frame(out, "ack", message_id, "status", status, "error", error);
}

wsc_err
wsc__proto_error(wsc_msg **out, const char *ref, const char *code, const char *reason)
{
    return two_string_frame(out, "error", ref, "code", code, "reason", reason);
}

wsc_err
wsc__proto_kick_out(wsc_msg **out, const char *reason, uint64_t wall_ms)
{
    json_t *data = json_object();
    if (data == NULL)
        return WSC_ERR_NOMEM;
    wsc_err err = put_string(data, "reason", reason);
    if (err == WSC_OK)
        err = put_integer(data, "kicked_at", (json_int_t)(wall_ms / 1000));
    if (err != WSC_OK) {
        json_decref(data);
        *out = NULL;
        return err;
    }
    return make_frame(out, "kick_out", NULL, data);
}

/* Copies n bytes of text into out (cap bytes) as snprintf would: truncated, terminated. */
static void
put_truncated(char *out, size_t cap, const char *text, size_t n)
{
    if (cap == 0)
        return;
    if (n > cap - 1)
        n = cap - 1;
    memcpy(out, text, n);
    out[n] = '\0';
}

/* The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's
 * civil_from_days, for non-negative counts). */
static void
civil_from_days(uint64_t days, uint64_t *year, unsigned *month, unsigned *day)
{
    uint64_t z = days + 719468;
    uint64_t era = z / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *day = doy - (153 * mp + 2) / 5 + 1;
    *month = mp < 10 ? mp + 3 : mp - 9;
    *year = yoe + era * 400 + (*month <= 2);
}

static void
put_digits(char *p, unsigned v, int n)
{
    while (n-- > 0) {
        p[n] = (char)('0' + v % 10);
        v /= 10;
    }
}

/* Formatted by hand: this runs for every routed message, and snprintf and gmtime_r were ~2 %
 * of the hub's CPU in the echo benchmark. */
void
wsc__proto_time_rfc3339(uint64_t wall_ms, char *out, size_t cap)
{
    uint64_t secs = wall_ms / 1000, year;
    unsigned month, day, sod = (unsigned)(secs % 86400);
    civil_from_days(secs / 86400, &year, &month, &day);
    if (year > 9999) {
        put_truncated(out, cap, "", 0); /* beyond RFC 3339's four-digit years */
        return;
    }
    char t[] = "YYYY-MM-DDTHH:MM:SS.mmmZ";
    put_digits(t, (unsigned)year, 4);
    put_digits(t + 5, month, 2);
    put_digits(t + 8, day, 2);
    put_digits(t + 11, sod / 3600, 2);
    put_digits(t + 14, sod / 60 % 60, 2);
    put_digits(t + 17, sod % 60, 2);
    put_digits(t + 20, (unsigned)(wall_ms % 1000), 3);
    put_truncated(out, cap, t, sizeof(t) - 1);
}

static const char base36[] = "0123456789abcdefghijklmnopqrstuvwxyz";

/* Writes v in base 36 ending just before end; returns where it starts. */
static char *
put_base36(char *end, uint64_t v, int min_digits)
{
    int n = 0;
    do {
        *--end = base36[v % 36];
        v /= 36;
        n++;
    } while (v != 0 || n < min_digits);
    return end;
}

void
wsc__proto_make_id(const char *prefix, uint64_t seq, uint64_t tag, char *out, size_t cap)
{
    char tmp[WSC__PROTO_ID_MAX]; /* the prefix (its first 64 bytes), '-', seq, '-', tag */
    size_t plen = prefix ? strnlen(prefix, 64) : 0;
    char *p = put_base36(tmp + sizeof(tmp), tag, WSC__PROTO_TAG_DIGITS);
    *--p = '-';
    p = put_base36(p, seq, 1);
    if (prefix != NULL) {
        *--p = '-';
        p -= plen;
        memcpy(p, prefix, plen);
    }
    put_truncated(out, cap, p, (size_t)(tmp + sizeof(tmp) - p));
}

void
wsc__proto_make_tag_id(const char *prefix, uint64_t tag, char *out, size_t cap)
{
    char tmp[WSC__PROTO_ID_MAX];
    size_t plen = prefix ? strnlen(prefix, 64) : 0;
    char *p = put_base36(tmp + sizeof(tmp), tag, WSC__PROTO_TAG_DIGITS);
    if (prefix != NULL) {
        *--p = '-';
        p -= plen;
        memcpy(p, prefix, plen);
    }
    put_truncated(out, cap, p, (size_t)(tmp + sizeof(tmp) - p));
}
