/* SPDX-License-Identifier: MIT */
/* Parsing one text frame from the wire into a message, enforcing the limits of
 * wsc_msg_limits.  Nesting depth is checked by a bracket pre-scan before jansson sees the
 * text, so hostile input never drives the parser's recursion.  Every rejection comes with a
 * static explanation naming the offending field, for the error frame of PROTOCOL.md §3.
 * Unknown members are ignored and JSON null counts as "unset", for lenient clients. */
#include <string.h>

#include <jansson.h>

#include "models/alloc.h"
#include "models/msg_internal.h"
#include "models/msg_priv.h"

/* The members that are not plain string fields. */
enum { RULE_GROUPS = WSC_F_COUNT_, RULE_DATA, RULE_SEQ, RULE_PRIO, RULE_ACK };

struct rule {
    const char *key;
    int what;             /* a wsc_msg_field or one of RULE_* */
    const char *type_err; /* wrong JSON type */
    const char *long_err; /* string over max_string (string fields only) */
};

#define STR_RULE(what, name)                                            \
    {                                                                   \
        name, what, name ": must be a string", name ": string too long" \
    }

static const struct rule rules[] = {
    STR_RULE(WSC_F_ID, "id"),
    STR_RULE(WSC_F_MESSAGE_ID, "message_id"),
    STR_RULE(WSC_F_TYPE, "message_type"),
    STR_RULE(WSC_F_SENDER, "sender"),
    STR_RULE(WSC_F_SENDER_CLIENT, "sender_client"),
    STR_RULE(WSC_F_RECEIVER, "receiver"),
    STR_RULE(WSC_F_RECEIVER_CLIENT, "receiver_client"),
    {"group_ids", RULE_GROUPS, "group_ids: must be an array of strings", NULL},
    STR_RULE(WSC_F_BROADCAST_TYPE, "broadcast_type"),
    STR_RULE(WSC_F_CONTENT, "content"),
    {"data", RULE_DATA, "data: must be an object", NULL},
    STR_RULE(WSC_F_SESSION_ID, "session_id"),
    STR_RULE(WSC_F_TRACE_ID, "trace_id"),
    STR_RULE(WSC_F_REPLY_TO, "reply_to_msg_id"),
    STR_RULE(WSC_F_SENDER_NAME, "sender_name"),
    STR_RULE(WSC_F_RECEIVER_NAME, "receiver_name"),
    STR_RULE(WSC_F_CREATE_AT, "create_at"),
    {"seq_no", RULE_SEQ, "seq_no: must be an integer", NULL},
    {"priority", RULE_PRIO, "priority: must be one of low, normal, high, urgent, critical", NULL},
    STR_RULE(WSC_F_SOURCE, "source"),
    {"require_ack", RULE_ACK, "require_ack: must be a boolean", NULL},
    STR_RULE(WSC_F_APP_ID, "app_id"),
    STR_RULE(WSC_F_NAMESPACE, "namespace"),
};

static const struct rule *
find_rule(const char *key)
{
    for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
        if (strcmp(rules[i].key, key) == 0)
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

static wsc_err
apply_groups(wsc_msg *msg, const json_t *val, const wsc_msg_limits *lim, const char **err_text)
{
    if (!json_is_array(val))
        return fail(err_text, "group_ids: must be an array of strings", WSC_ERR_INVALID);
    size_t n = json_array_size(val);
    if (n > lim->max_group_ids)
        return fail(err_text, "group_ids: too many entries", WSC_ERR_INVALID);
    if (n == 0)
        return WSC_OK;
    msg->groups = wsc__calloc(n, sizeof(*msg->groups));
    if (msg->groups == NULL)
        return fail(err_text, "out of memory", WSC_ERR_NOMEM);
    msg->group_cap = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *g = json_array_get(val, i);
        if (!json_is_string(g))
            return fail(err_text, "group_ids: must be an array of strings", WSC_ERR_INVALID);
        if (json_string_length(g) > lim->max_string)
            return fail(err_text, "group_ids: entry too long", WSC_ERR_INVALID);
        msg->groups[i] = wsc__strndup(json_string_value(g), json_string_length(g));
        if (msg->groups[i] == NULL)
            return fail(err_text, "out of memory", WSC_ERR_NOMEM);
        msg->group_count = i + 1;
    }
    return WSC_OK;
}

static wsc_err
apply_string(wsc_msg *msg, const struct rule *r, const json_t *val, const wsc_msg_limits *lim,
             const char **err_text)
{
    if (!json_is_string(val))
        return fail(err_text, r->type_err, WSC_ERR_INVALID);
    size_t len = json_string_length(val);
    if (r->what != WSC_F_CONTENT && len > lim->max_string)
        return fail(err_text, r->long_err, WSC_ERR_INVALID);
    /* jansson has checked the UTF-8 and rejected embedded NULs already. */
    msg->fields[r->what] = wsc__strndup(json_string_value(val), len);
    if (msg->fields[r->what] == NULL)
        return fail(err_text, "out of memory", WSC_ERR_NOMEM);
    return WSC_OK;
}

static wsc_err
apply_member(wsc_msg *msg, const struct rule *r, json_t *val, const wsc_msg_limits *lim,
             const char **err_text)
{
    switch (r->what) {
    case RULE_GROUPS:
        return apply_groups(msg, val, lim, err_text);
    case RULE_DATA:
        if (!json_is_object(val))
            return fail(err_text, r->type_err, WSC_ERR_INVALID);
        msg->data = json_incref(val);
        return WSC_OK;
    case RULE_SEQ:
        if (!json_is_integer(val))
            return fail(err_text, r->type_err, WSC_ERR_INVALID);
        msg->seq_no = (int64_t)json_integer_value(val);
        msg->has_seq_no = true;
        return WSC_OK;
    case RULE_PRIO:
        if (!json_is_string(val) ||
            !wsc__msg_priority_from_name(json_string_value(val), json_string_length(val),
                                         &msg->priority))
            return fail(err_text, r->type_err, WSC_ERR_INVALID);
        return WSC_OK;
    case RULE_ACK:
        if (!json_is_boolean(val))
            return fail(err_text, r->type_err, WSC_ERR_INVALID);
        msg->require_ack = json_is_true(val);
        return WSC_OK;
    default:
        return apply_string(msg, r, val, lim, err_text);
    }
}

static wsc_err
apply_object(wsc_msg *msg, json_t *root, const wsc_msg_limits *lim, const char **err_text)
{
    const char *key;
    json_t *val;
    json_object_foreach(root, key, val)
    {
        const struct rule *r = find_rule(key);
        if (r == NULL || json_is_null(val))
            continue;
        wsc_err err = apply_member(msg, r, val, lim, err_text);
        if (err != WSC_OK)
            return err;
    }
    return WSC_OK;
}

/* Loads the text as a JSON object after the size and depth checks. */
static wsc_err
load_object(const char *json, size_t len, const wsc_msg_limits *lim, json_t **root,
            const char **err_text)
{
    if (len > lim->max_bytes)
        return fail(err_text, "frame too large", WSC_ERR_TOO_LARGE);
    if (!wsc__json_depth_ok(json, len, lim->max_depth))
        return fail(err_text, "JSON nested too deeply", WSC_ERR_PROTOCOL);
    json_error_t jerr;
    *root = json_loadb(json, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (*root == NULL)
        return fail(err_text, "invalid JSON", WSC_ERR_PROTOCOL);
    if (!json_is_object(*root)) {
        json_decref(*root);
        *root = NULL;
        return fail(err_text, "not a JSON object", WSC_ERR_PROTOCOL);
    }
    return WSC_OK;
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
    json_t *root = NULL;
    wsc_err err = load_object(json ? json : "", len, limits, &root, err_text);
    if (err != WSC_OK)
        return err;
    wsc_msg *msg = wsc__msg_alloc();
    if (msg == NULL) {
        json_decref(root);
        return fail(err_text, "out of memory", WSC_ERR_NOMEM);
    }
    err = apply_object(msg, root, limits, err_text);
    json_decref(root);
    if (err != WSC_OK) {
        wsc_msg_unref(msg);
        return err;
    }
    *out = msg;
    return WSC_OK;
}
