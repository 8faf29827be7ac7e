/* SPDX-License-Identifier: MIT */
/* Parsing one text frame from the wire into a message, enforcing the limits of
 * wsc_msg_limits.  One pass of the validating scanner (json_scan.h) decodes the known members
 * straight into the message's own allocation: the struct and, after it, room for every
 * decoded string (decoding never makes a string longer than its JSON text).  "data" is kept
 * as its compact text.  The text is accepted or refused exactly as jansson would (invalid
 * JSON, duplicate keys, depth), and a field of the wrong type is reported only once the whole
 * text is known to be valid JSON, so that the error code does not depend on member order.
 * Every rejection comes with a static explanation naming the offending field, for the error
 * frame of PROTOCOL.md §3.  Unknown members are ignored and JSON null counts as "unset", for
 * lenient clients. */
#include <assert.h>
#include <string.h>

#include "models/alloc.h"
#include "models/json_scan.h"
#include "models/msg_internal.h"
#include "models/msg_priv.h"

/* The members that are not plain string fields. */
enum { RULE_GROUPS = WSC_F_COUNT_, RULE_DATA, RULE_SEQ, RULE_PRIO, RULE_ACK };

struct rule {
    const char *key;
    size_t key_len;
    int what;             /* a wsc_msg_field or one of RULE_* */
    const char *type_err; /* wrong JSON type */
    const char *long_err; /* string over max_string (string fields only) */
};

#define KEY(name) name, sizeof(name) - 1
#define STR_RULE(what, name)                                                 \
    {                                                                        \
        KEY(name), what, name ": must be a string", name ": string too long" \
    }

static const struct rule rules[] = {
    STR_RULE(WSC_F_ID, "id"),
    STR_RULE(WSC_F_MESSAGE_ID, "message_id"),
    STR_RULE(WSC_F_TYPE, "message_type"),
    STR_RULE(WSC_F_SENDER, "sender"),
    STR_RULE(WSC_F_SENDER_CLIENT, "sender_client"),
    STR_RULE(WSC_F_RECEIVER, "receiver"),
    STR_RULE(WSC_F_RECEIVER_CLIENT, "receiver_client"),
    {KEY("group_ids"), RULE_GROUPS, "group_ids: must be an array of strings", NULL},
    STR_RULE(WSC_F_BROADCAST_TYPE, "broadcast_type"),
    STR_RULE(WSC_F_CONTENT, "content"),
    {KEY("data"), RULE_DATA, "data: must be an object", NULL},
    STR_RULE(WSC_F_SESSION_ID, "session_id"),
    STR_RULE(WSC_F_TRACE_ID, "trace_id"),
    STR_RULE(WSC_F_REPLY_TO, "reply_to_msg_id"),
    STR_RULE(WSC_F_SENDER_NAME, "sender_name"),
    STR_RULE(WSC_F_RECEIVER_NAME, "receiver_name"),
    STR_RULE(WSC_F_CREATE_AT, "create_at"),
    {KEY("seq_no"), RULE_SEQ, "seq_no: must be an integer", NULL},
    {KEY("priority"), RULE_PRIO, "priority: must be one of low, normal, high, urgent, critical",
     NULL},
    STR_RULE(WSC_F_SOURCE, "source"),
    {KEY("require_ack"), RULE_ACK, "require_ack: must be a boolean", NULL},
    STR_RULE(WSC_F_APP_ID, "app_id"),
    STR_RULE(WSC_F_NAMESPACE, "namespace"),
};

static const struct rule *
find_rule(const char *key, size_t len)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (rules[i].key_len == len && memcmp(rules[i].key, key, len) == 0)
            return &rules[i];
    }
    return NULL;
}

bool
wsc__json_depth_ok(const char *s, size_t len, unsigned max_depth)
{
    unsigned depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_string) {
            if (c == '\\')
                i++; /* the escaped character cannot end the string */
            else if (c == '"')
                in_string = false;
            continue;
        }
        if (c == '"') {
            in_string = true;
        } else if (c == '[' || c == '{') {
            if (++depth > max_depth)
                return false;
        } else if ((c == ']' || c == '}') && depth > 0) {
            depth--;
        }
    }
    return true;
}

static wsc_err
fail(const char **err_text, const char *text, wsc_err err)
{
    if (err_text != NULL)
        *err_text = text;
    return err;
}

/* Bytes kept free in a parsed message's block for the strings the hub stamps on it: id,
 * message_id, sender, sender_client, create_at (24), app_id, with typical lengths. */
#define STAMP_ROOM 192

/* The state of one parse: the message being filled, its string area, and the first field
 * error (reported only if the whole text turns out to be valid JSON). */
struct parse {
    struct wsc_jscan s;
    wsc_msg *msg;
    const wsc_msg_limits *lim;
    char *arena;
    size_t used, cap;
    wsc_err err;
    const char *why;
};

static void
field_error(struct parse *ps, const char *why, wsc_err err)
{
    if (ps->err == WSC_OK) {
        ps->err = err;
        ps->why = why;
    }
}

/* Decodes the string at the cursor into the free end of the arena (not yet kept). */
static bool
decode_string(struct parse *ps, char **str, size_t *len)
{
    *str = ps->arena + ps->used;
    return wsc__jscan_string(&ps->s, *str, len);
}

/* Keeps the string just decoded at *str (len bytes) by terminating it. */
static void
keep(struct parse *ps, char *str, size_t len)
{
    str[len] = '\0';
    ps->used += len + 1;
    assert(ps->used <= ps->cap);
}

static bool
add_group(struct parse *ps, char *str)
{
    wsc_msg *msg = ps->msg;
    char **groups =
        wsc__grow(msg->groups, &msg->group_cap, msg->group_count + 1, sizeof(*groups), 4);
    if (groups == NULL)
        return false;
    msg->groups = groups;
    msg->groups[msg->group_count++] = str;
    msg->arena_groups = msg->group_count;
    return true;
}

/* One entry of group_ids; *bad gets the first entry error. */
static bool
parse_group(struct parse *ps, size_t n, const char **bad)
{
    char *str;
    size_t len;
    if (wsc__jscan_peek(&ps->s) != '"') {
        if (*bad == NULL)
            *bad = "group_ids: must be an array of strings";
        return wsc__jscan_value(&ps->s, NULL, NULL);
    }
    if (!decode_string(ps, &str, &len))
        return false;
    if (len > ps->lim->max_string && *bad == NULL)
        *bad = "group_ids: entry too long";
    if (*bad != NULL || n >= ps->lim->max_group_ids || ps->err != WSC_OK)
        return true; /* the message is refused anyway: keep nothing */
    keep(ps, str, len);
    if (!add_group(ps, str))
        field_error(ps, "out of memory", WSC_ERR_NOMEM);
    return true;
}

/* group_ids, at its '[': the count is checked before the entries, as before. */
static bool
parse_groups(struct parse *ps)
{
    const char *bad = NULL;
    size_t n = 0;
    ps->s.p++; /* the value's own '[' is depth 2: within any useful limit, checked anyway */
    if (++ps->s.depth > ps->s.max_depth) {
        ps->s.too_deep = true;
        return false;
    }
    if (wsc__jscan_peek(&ps->s) != ']') {
        for (;; n++) {
            if (!parse_group(ps, n, &bad))
                return false;
            char c = wsc__jscan_peek(&ps->s);
            if (c == ']')
                break;
            if (c != ',')
                return false;
            ps->s.p++;
        }
        n++;
    }
    ps->s.p++;
    ps->s.depth--;
    if (n > ps->lim->max_group_ids)
        field_error(ps, "group_ids: too many entries", WSC_ERR_INVALID);
    else if (bad != NULL)
        field_error(ps, bad, WSC_ERR_INVALID);
    return true;
}

static bool
parse_string_field(struct parse *ps, const struct rule *r)
{
    char *str;
    size_t len;
    if (!decode_string(ps, &str, &len))
        return false;
    if (r->what != WSC_F_CONTENT && len > ps->lim->max_string) {
        field_error(ps, r->long_err, WSC_ERR_INVALID);
        return true;
    }
    keep(ps, str, len);
    ps->msg->fields[r->what] = str;
    ps->msg->arena_fields |= 1u << r->what;
    return true;
}

static bool
parse_data(struct parse *ps)
{
    char *str = ps->arena + ps->used;
    size_t len;
    if (!wsc__jscan_value(&ps->s, str, &len))
        return false;
    keep(ps, str, len);
    ps->msg->data_raw = str;
    ps->msg->data_raw_len = len;
    ps->msg->data_raw_arena = true;
    return true;
}

static bool
parse_scalar(struct parse *ps, const struct rule *r, char c)
{
    wsc_msg *msg = ps->msg;
    char *str;
    size_t len;
    bool is_int;
    if (r->what == RULE_SEQ && (c == '-' || (c >= '0' && c <= '9'))) {
        if (!wsc__jscan_number(&ps->s, &is_int, &msg->seq_no))
            return false;
        msg->has_seq_no = is_int;
        if (!is_int)
            field_error(ps, r->type_err, WSC_ERR_INVALID);
        return true;
    }
    if (r->what == RULE_PRIO && c == '"') {
        if (!decode_string(ps, &str, &len))
            return false;
        if (!wsc__msg_priority_from_name(str, len, &msg->priority))
            field_error(ps, r->type_err, WSC_ERR_INVALID);
        return true;
    }
    if (r->what == RULE_ACK && (c == 't' || c == 'f')) {
        msg->require_ack = c == 't';
        return wsc__jscan_value(&ps->s, NULL, NULL);
    }
    field_error(ps, r->type_err, WSC_ERR_INVALID);
    return wsc__jscan_value(&ps->s, NULL, NULL);
}

/* The value of a known member (not null); false on invalid JSON. */
static bool
parse_member(struct parse *ps, const struct rule *r)
{
    char c = wsc__jscan_peek(&ps->s);
    if (r->what < WSC_F_COUNT_ && c == '"')
        return parse_string_field(ps, r);
    if (r->what == RULE_GROUPS && c == '[')
        return parse_groups(ps);
    if (r->what == RULE_DATA && c == '{')
        return parse_data(ps);
    return parse_scalar(ps, r, c);
}

/* Why the scanner stopped: too deep (by the scan, or by the bracket count of the whole text,
 * which is what the limit has always meant for invalid text), memory, or invalid JSON. */
static wsc_err
scan_failed(struct parse *ps, const char *json, size_t len, const char **err_text)
{
    if (ps->s.too_deep || !wsc__json_depth_ok(json, len, ps->lim->max_depth))
        return fail(err_text, "JSON nested too deeply", WSC_ERR_PROTOCOL);
    if (ps->s.nomem)
        return fail(err_text, "out of memory", WSC_ERR_NOMEM);
    return fail(err_text, "invalid JSON", WSC_ERR_PROTOCOL);
}

/* Scans the whole text into ps->msg; false on invalid JSON (see scan_failed). */
static bool
parse_object(struct parse *ps)
{
    size_t mark, klen;
    const char *key;
    int r;
    if (wsc__jscan_peek(&ps->s) != '{') {
        /* Valid JSON that is not an object gets its own explanation. */
        if (!wsc__jscan_value(&ps->s, NULL, NULL) || !wsc__jscan_at_end(&ps->s))
            return false;
        field_error(ps, "not a JSON object", WSC_ERR_PROTOCOL);
        return true;
    }
    if (!wsc__jscan_object_begin(&ps->s, &mark))
        return false;
    while ((r = wsc__jscan_member(&ps->s, mark, &key, &klen)) == 1) {
        const struct rule *rule = find_rule(key, klen);
        bool ok = rule != NULL && wsc__jscan_peek(&ps->s) != 'n'
                      ? parse_member(ps, rule)
                      : wsc__jscan_value(&ps->s, NULL, NULL);
        if (!ok)
            return false;
    }
    return r == 0 && wsc__jscan_at_end(&ps->s);
}

wsc_err
wsc_msg_parse(wsc_msg **out, const char *json, size_t len, const wsc_msg_limits *limits,
              const char **err_text)
{
    wsc_msg_limits defaults;
    if (limits == NULL) {
        wsc_msg_limits_init(&defaults);
        limits = &defaults;
    }
    if (err_text != NULL)
        *err_text = NULL;
    if (out == NULL || (json == NULL && len > 0))
        return fail(err_text, "no input", WSC_ERR_INVALID);
    *out = NULL;
    if (len > limits->max_bytes)
        return fail(err_text, "frame too large", WSC_ERR_TOO_LARGE);
    json = json ? json : "";
    /* len + 1 holds every decoded string (see above) and its NUL, +1 for data's NUL; the
     * rest is room for the hub's stamp, so that stamping allocates nothing. */
    struct parse ps = {.lim = limits, .cap = len + 2, .err = WSC_OK};
    ps.msg = wsc__msg_alloc_arena(ps.cap + STAMP_ROOM, &ps.arena);
    if (ps.msg == NULL)
        return fail(err_text, "out of memory", WSC_ERR_NOMEM);
    wsc__jscan_init(&ps.s, json, len, limits->max_depth);
    wsc_err err =
        parse_object(&ps) ? fail(err_text, ps.why, ps.err) : scan_failed(&ps, json, len, err_text);
    wsc__jscan_fini(&ps.s);
    ps.msg->arena_used = ps.used;
    if (err != WSC_OK) {
        wsc_msg_unref(ps.msg);
        return err;
    }
    *out = ps.msg;
    return WSC_OK;
}
