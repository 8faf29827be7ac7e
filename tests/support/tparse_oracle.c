/* SPDX-License-Identifier: MIT */
/* The differential oracle of tparse_oracle.h. */
#include "tparse_oracle.h"

#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include <wsc/msg.h>

#include "models/msg_internal.h"
#include "models/msg_priv.h"

/* True when the message's string field f agrees with member key of root. */
static bool
same_field(const wsc_msg *msg, const json_t *root, wsc_msg_field f)
{
    const json_t *v = json_object_get(root, wsc__msg_field_key(f));
    const char *got = msg->fields[f];
    if (!json_is_string(v))
        return got == NULL;
    return got != NULL && strlen(got) == json_string_length(v) &&
           memcmp(got, json_string_value(v), strlen(got)) == 0;
}

static bool
same_groups(const wsc_msg *msg, const json_t *root)
{
    const json_t *g = json_object_get(root, "group_ids");
    size_t n = json_is_array(g) ? json_array_size(g) : 0;
    if (wsc_msg_group_count(msg) != n)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(wsc_msg_group(msg, i), json_string_value(json_array_get(g, i))) != 0)
            return false;
    }
    return true;
}

static const char *
compare_values(const wsc_msg *msg, const json_t *root)
{
    for (int f = 0; f < WSC_F_COUNT_; f++) {
        if (!same_field(msg, root, (wsc_msg_field)f))
            return "a string field differs";
    }
    if (!same_groups(msg, root))
        return "group_ids differ";
    const json_t *data = json_object_get(root, "data");
    const json_t *mine = wsc__msg_data(msg);
    if (json_is_object(data) ? !json_equal(data, mine) : mine != NULL)
        return "data differs";
    /* The wire text of data, loaded again, is the same object too. */
    wsc_buf wire = {0};
    if (wsc_msg_to_json(msg, &wire) != WSC_OK)
        return "cannot encode";
    json_t *back = json_loadb(wire.data, wire.len, JSON_REJECT_DUPLICATES, NULL);
    wsc_buf_free(&wire);
    bool same =
        back != NULL && (json_is_object(data) ? json_equal(data, json_object_get(back, "data"))
                                              : json_object_get(back, "data") == NULL);
    json_decref(back);
    if (!same)
        return "the encoded data differs";
    const json_t *seq = json_object_get(root, "seq_no");
    if (json_is_integer(seq) && wsc_msg_seq_no(msg) != json_integer_value(seq))
        return "seq_no differs";
    const json_t *ack = json_object_get(root, "require_ack");
    if (wsc_msg_require_ack(msg) != json_is_true(ack))
        return "require_ack differs";
    return NULL;
}

/* The member rules of the parser, on jansson's tree: true when every known member has a
 * valid type and size. */
static bool
ref_member_ok(const char *key, const json_t *v, const wsc_msg_limits *lim)
{
    static const char *const prios[] = {"low", "normal", "high", "urgent", "critical"};
    if (json_is_null(v))
        return true;
    if (strcmp(key, "group_ids") == 0) {
        size_t n = json_is_array(v) ? json_array_size(v) : 0;
        if (!json_is_array(v) || n > lim->max_group_ids)
            return false;
        for (size_t i = 0; i < n; i++) {
            const json_t *g = json_array_get(v, i);
            if (!json_is_string(g) || json_string_length(g) > lim->max_string)
                return false;
        }
        return true;
    }
    if (strcmp(key, "data") == 0)
        return json_is_object(v);
    if (strcmp(key, "seq_no") == 0)
        return json_is_integer(v);
    if (strcmp(key, "require_ack") == 0)
        return json_is_boolean(v);
    if (strcmp(key, "priority") == 0) {
        for (size_t i = 0; json_is_string(v) && i < sizeof(prios) / sizeof(prios[0]); i++) {
            if (strcmp(json_string_value(v), prios[i]) == 0 &&
                json_string_length(v) == strlen(prios[i]))
                return true;
        }
        return false;
    }
    for (int f = 0; f < WSC_F_COUNT_; f++) {
        if (strcmp(key, wsc__msg_field_key((wsc_msg_field)f)) == 0)
            return json_is_string(v) &&
                   (f == WSC_F_CONTENT || json_string_length(v) <= lim->max_string);
    }
    return true; /* unknown members are ignored */
}

static bool
ref_valid(const json_t *root, const wsc_msg_limits *lim)
{
    const char *key;
    const json_t *v;
    json_object_foreach((json_t *)(uintptr_t)root, key, v)
    {
        if (!ref_member_ok(key, v, lim))
            return false;
    }
    return true;
}

const char *
tparse_compare(const char *text, size_t len)
{
    wsc_msg_limits lim;
    wsc_msg_limits_init(&lim);
    lim.max_depth = 64;
    wsc_msg *msg = NULL;
    const char *why = NULL;
    wsc_err err = wsc_msg_parse(&msg, text, len, &lim, &why);
    json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, NULL);
    const char *verdict = NULL;
    bool deep = why != NULL && strstr(why, "deep") != NULL;
    if (root != NULL && err == WSC_ERR_PROTOCOL && memchr(text, '\0', len) != NULL) {
        /* jansson 2.14 skips a NUL byte right after a number or a literal ({"a":1\0} loads);
         * the parser refuses NUL outside strings, as RFC 8259 does. */
    } else if (root == NULL) {
        if (err != WSC_ERR_PROTOCOL || (strcmp(why, "invalid JSON") != 0 && !deep))
            verdict = "jansson refuses, the parser does not";
    } else if (deep) {
        /* Depth is the bracket count of the text, which jansson does not limit below 2048. */
    } else if (!json_is_object(root)) {
        if (err != WSC_ERR_PROTOCOL || strcmp(why, "not a JSON object") != 0)
            verdict = "jansson loads a non-object, the parser says otherwise";
    } else if (err == WSC_OK) {
        verdict = ref_valid(root, &lim) ? compare_values(msg, root)
                                        : "the parser accepts a member the rules refuse";
    } else if (err != WSC_ERR_INVALID) {
        verdict = "jansson loads an object, the parser refuses it as JSON";
    } else if (ref_valid(root, &lim)) {
        verdict = "the parser refuses a member the rules accept";
    }
    json_decref(root);
    wsc_msg_unref(msg);
    return verdict;
}
