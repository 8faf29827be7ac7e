/* SPDX-License-Identifier: MIT */
/* The message model: a refcounted frame with its string fields, routing attributes, "data"
 * object or binary payload.  Setters copy their arguments and fail once the message has been
 * encoded for sending (frozen), so that every receiver of a shared message sees the same bytes.
 * Encoding lives in msg_encode.c, parsing in msg_parse.c. */
#include <string.h>

#include <jansson.h>

#include "models/alloc.h"
#include "models/msg_internal.h"
#include "models/msg_priv.h"
#include "models/utf8.h"

static const char *const field_keys[WSC_F_COUNT_] = {
    [WSC_F_ID] = "id",
    [WSC_F_MESSAGE_ID] = "message_id",
    [WSC_F_TYPE] = "message_type",
    [WSC_F_SENDER] = "sender",
    [WSC_F_SENDER_CLIENT] = "sender_client",
    [WSC_F_RECEIVER] = "receiver",
    [WSC_F_RECEIVER_CLIENT] = "receiver_client",
    [WSC_F_CONTENT] = "content",
    [WSC_F_SESSION_ID] = "session_id",
    [WSC_F_TRACE_ID] = "trace_id",
    [WSC_F_REPLY_TO] = "reply_to_msg_id",
    [WSC_F_SENDER_NAME] = "sender_name",
    [WSC_F_RECEIVER_NAME] = "receiver_name",
    [WSC_F_CREATE_AT] = "create_at",
    [WSC_F_APP_ID] = "app_id",
    [WSC_F_NAMESPACE] = "namespace",
    [WSC_F_BROADCAST_TYPE] = "broadcast_type",
    [WSC_F_SOURCE] = "source",
};

static const char *const prio_names[] = {
    [WSC_PRIO_NORMAL] = "normal", [WSC_PRIO_LOW] = "low",           [WSC_PRIO_HIGH] = "high",
    [WSC_PRIO_URGENT] = "urgent", [WSC_PRIO_CRITICAL] = "critical",
};

#define PRIO_COUNT (sizeof(prio_names) / sizeof(prio_names[0]))

const char *
wsc__msg_field_key(wsc_msg_field field)
{
    return (unsigned)field < WSC_F_COUNT_ ? field_keys[field] : NULL;
}

const char *
wsc__msg_priority_name(wsc_priority prio)
{
    return (unsigned)prio < PRIO_COUNT ? prio_names[prio] : NULL;
}

bool
wsc__msg_priority_from_name(const char *name, size_t len, wsc_priority *out)
{
    for (size_t i = 0; i < PRIO_COUNT; i++) {
        if (strlen(prio_names[i]) == len && memcmp(prio_names[i], name, len) == 0) {
            *out = (wsc_priority)i;
            return true;
        }
    }
    return false;
}

wsc_msg *
wsc__msg_alloc_arena(size_t arena_len, char **arena)
{
    wsc_msg *msg = wsc__malloc(sizeof(*msg) + arena_len);
    if (msg == NULL)
        return NULL;
    memset(msg, 0, sizeof(*msg));
    atomic_init(&msg->refs, 1);
    atomic_init(&msg->data_cache, NULL);
    atomic_init(&msg->frozen, false);
    atomic_init(&msg->wire_buf, NULL);
    atomic_init(&msg->wire_len, 0);
    atomic_init(&msg->held, 0);
    msg->arena = arena_len > 0 ? (char *)(msg + 1) : NULL;
    msg->arena_cap = arena_len;
    if (arena != NULL)
        *arena = msg->arena;
    return msg;
}

wsc_msg *
wsc__msg_alloc(void)
{
    return wsc__msg_alloc_arena(0, NULL);
}

void
wsc_msg_limits_init(wsc_msg_limits *limits)
{
    limits->max_bytes = 65536;
    limits->max_depth = 32;
    limits->max_string = 1024;
    limits->max_group_ids = 64;
}

wsc_err
wsc_msg_new(wsc_msg **out)
{
    if (out == NULL)
        return WSC_ERR_INVALID;
    *out = wsc__msg_alloc();
    return *out ? WSC_OK : WSC_ERR_NOMEM;
}

wsc_err
wsc_msg_new_text(wsc_msg **out, const char *type, const char *content)
{
    if (out == NULL)
        return WSC_ERR_INVALID;
    wsc_msg *msg = NULL;
    wsc_err err = wsc_msg_new(&msg);
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_TYPE, type);
    if (err == WSC_OK)
        err = wsc_msg_set(msg, WSC_F_CONTENT, content);
    if (err != WSC_OK) {
        wsc_msg_unref(msg);
        msg = NULL;
    }
    *out = msg;
    return err;
}

unsigned char *
wsc__wire_copy(const void *data, size_t len)
{
    unsigned char *buf = wsc__malloc(WSC_PRE + len + 1);
    if (buf == NULL)
        return NULL;
    if (len > 0)
        memcpy(buf + WSC_PRE, data, len);
    buf[WSC_PRE + len] = '\0';
    return buf;
}

wsc_err
wsc_msg_new_binary(wsc_msg **out, const void *data, size_t len)
{
    if (out == NULL || (data == NULL && len > 0))
        return WSC_ERR_INVALID;
    *out = NULL;
    wsc_msg *msg = wsc__msg_alloc();
    if (msg == NULL)
        return WSC_ERR_NOMEM;
    unsigned char *buf = wsc__wire_copy(data, len);
    if (buf == NULL) {
        wsc__free(msg);
        return WSC_ERR_NOMEM;
    }
    atomic_store_explicit(&msg->wire_buf, buf, memory_order_relaxed);
    atomic_store_explicit(&msg->wire_len, len, memory_order_relaxed);
    msg->binary = true;
    *out = msg;
    return WSC_OK;
}

wsc_msg *
wsc_msg_ref(wsc_msg *msg)
{
    if (msg != NULL)
        atomic_fetch_add_explicit(&msg->refs, 1, memory_order_relaxed);
    return msg;
}

static void
msg_destroy(wsc_msg *msg)
{
    for (size_t i = 0; i < WSC_F_COUNT_; i++) {
        if (!(msg->arena_fields & (1u << i)))
            wsc__free(msg->fields[i]);
    }
    for (size_t i = msg->arena_groups; i < msg->group_count; i++)
        wsc__free(msg->groups[i]);
    wsc__free(msg->groups);
    wsc__msg_clear_data(msg);
    wsc__free(atomic_load_explicit(&msg->wire_buf, memory_order_relaxed));
    wsc__free(msg);
}

void
wsc__msg_unref_n(wsc_msg *msg, unsigned n)
{
    if (msg == NULL || n == 0)
        return;
    /* acq_rel: the thread that frees must see every write made before other unrefs. */
    unsigned before = atomic_fetch_sub_explicit(&msg->refs, n, memory_order_acq_rel);
    if (before == n)
        msg_destroy(msg);
}

void
wsc_msg_unref(wsc_msg *msg)
{
    wsc__msg_unref_n(msg, 1);
}

static wsc_err
clone_strings(const wsc_msg *msg, wsc_msg *copy)
{
    for (size_t i = 0; i < WSC_F_COUNT_; i++) {
        if (msg->fields[i] != NULL && (copy->fields[i] = wsc__strdup(msg->fields[i])) == NULL)
            return WSC_ERR_NOMEM;
    }
    for (size_t i = 0; i < msg->group_count; i++) {
        wsc_err err = wsc_msg_add_group(copy, msg->groups[i]);
        if (err != WSC_OK)
            return err;
    }
    return WSC_OK;
}

static wsc_err
clone_payload(const wsc_msg *msg, wsc_msg *copy)
{
    if (msg->data != NULL && (copy->data = json_deep_copy(msg->data)) == NULL)
        return WSC_ERR_NOMEM;
    if (msg->data_raw != NULL) {
        copy->data_raw = wsc__strndup(msg->data_raw, msg->data_raw_len);
        if (copy->data_raw == NULL)
            return WSC_ERR_NOMEM;
        copy->data_raw_len = msg->data_raw_len;
    }
    /* A text message's wire bytes belong to its frozen state and are not copied. */
    if (msg->binary) {
        /* A binary message's bytes are set at creation and never change. */
        size_t len = atomic_load_explicit(&msg->wire_len, memory_order_relaxed);
        const unsigned char *src = atomic_load_explicit(&msg->wire_buf, memory_order_relaxed);
        unsigned char *buf = wsc__wire_copy(src + WSC_PRE, len);
        if (buf == NULL)
            return WSC_ERR_NOMEM;
        atomic_store_explicit(&copy->wire_buf, buf, memory_order_relaxed);
        atomic_store_explicit(&copy->wire_len, len, memory_order_relaxed);
        copy->binary = true;
    }
    return WSC_OK;
}

wsc_err
wsc_msg_clone(const wsc_msg *msg, wsc_msg **out)
{
    if (msg == NULL || out == NULL)
        return WSC_ERR_INVALID;
    *out = NULL;
    wsc_msg *copy = wsc__msg_alloc();
    if (copy == NULL)
        return WSC_ERR_NOMEM;
    copy->priority = msg->priority;
    copy->require_ack = msg->require_ack;
    copy->has_seq_no = msg->has_seq_no;
    copy->seq_no = msg->seq_no;
    wsc_err err = clone_strings(msg, copy);
    if (err == WSC_OK)
        err = clone_payload(msg, copy);
    if (err != WSC_OK) {
        wsc_msg_unref(copy);
        return err;
    }
    *out = copy;
    return WSC_OK;
}

bool
wsc_msg_is_frozen(const wsc_msg *msg)
{
    return msg != NULL && atomic_load_explicit(&msg->frozen, memory_order_acquire);
}

bool
wsc_msg_is_binary(const wsc_msg *msg)
{
    return msg != NULL && msg->binary;
}

wsc_err
wsc__msg_check_writable(const wsc_msg *msg)
{
    if (msg == NULL)
        return WSC_ERR_INVALID;
    return atomic_load_explicit(&msg->frozen, memory_order_acquire) ? WSC_ERR_STATE : WSC_OK;
}

wsc_err
wsc_msg_set(wsc_msg *msg, wsc_msg_field field, const char *value)
{
    wsc_err err = wsc__msg_check_writable(msg);
    if (err != WSC_OK)
        return err;
    if ((unsigned)field >= WSC_F_COUNT_)
        return WSC_ERR_INVALID;
    char *copy = NULL;
    bool in_arena = false;
    if (value != NULL) {
        size_t len = strlen(value);
        if (!wsc__utf8_valid(value, len))
            return WSC_ERR_INVALID;
        /* A parsed message keeps room for the hub's stamp (id, sender, create_at...): use
         * it first, so that stamping allocates nothing. */
        in_arena = msg->arena_cap - msg->arena_used > len;
        copy = in_arena ? memcpy(msg->arena + msg->arena_used, value, len + 1)
                        : wsc__strndup(value, len);
        if (copy == NULL)
            return WSC_ERR_NOMEM;
        msg->arena_used += in_arena ? len + 1 : 0;
    }
    if (!(msg->arena_fields & (1u << field)))
        wsc__free(msg->fields[field]);
    msg->arena_fields &= ~(1u << field);
    msg->arena_fields |= in_arena ? 1u << field : 0;
    msg->fields[field] = copy;
    return WSC_OK;
}

const char *
wsc_msg_get(const wsc_msg *msg, wsc_msg_field field)
{
    if (msg == NULL || (unsigned)field >= WSC_F_COUNT_)
        return NULL;
    if (field == WSC_F_TYPE && msg->fields[field] == NULL)
        return "text";
    return msg->fields[field];
}

wsc_err
wsc_msg_set_priority(wsc_msg *msg, wsc_priority prio)
{
    wsc_err err = wsc__msg_check_writable(msg);
    if (err != WSC_OK)
        return err;
    if ((unsigned)prio >= PRIO_COUNT)
        return WSC_ERR_INVALID;
    msg->priority = prio;
    return WSC_OK;
}

wsc_priority
wsc_msg_priority(const wsc_msg *msg)
{
    return msg ? msg->priority : WSC_PRIO_NORMAL;
}

wsc_err
wsc_msg_set_require_ack(wsc_msg *msg, bool require_ack)
{
    wsc_err err = wsc__msg_check_writable(msg);
    if (err == WSC_OK)
        msg->require_ack = require_ack;
    return err;
}

bool
wsc_msg_require_ack(const wsc_msg *msg)
{
    return msg != NULL && msg->require_ack;
}

wsc_err
wsc_msg_set_seq_no(wsc_msg *msg, int64_t seq_no)
{
    wsc_err err = wsc__msg_check_writable(msg);
    if (err == WSC_OK) {
        msg->seq_no = seq_no;
        msg->has_seq_no = true;
    }
    return err;
}

int64_t
wsc_msg_seq_no(const wsc_msg *msg)
{
    return msg ? msg->seq_no : 0;
}

wsc_err
wsc_msg_add_group(wsc_msg *msg, const char *group_id)
{
    wsc_err err = wsc__msg_check_writable(msg);
    if (err != WSC_OK)
        return err;
    if (group_id == NULL || !wsc__utf8_valid(group_id, strlen(group_id)))
        return WSC_ERR_INVALID;
    char **groups =
        wsc__grow(msg->groups, &msg->group_cap, msg->group_count + 1, sizeof(*groups), 4);
    if (groups == NULL)
        return WSC_ERR_NOMEM;
    msg->groups = groups;
    char *copy = wsc__strdup(group_id);
    if (copy == NULL)
        return WSC_ERR_NOMEM;
    msg->groups[msg->group_count++] = copy;
    return WSC_OK;
}

size_t
wsc_msg_group_count(const wsc_msg *msg)
{
    return msg ? msg->group_count : 0;
}

const char *
wsc_msg_group(const wsc_msg *msg, size_t i)
{
    return (msg != NULL && i < msg->group_count) ? msg->groups[i] : NULL;
}

const void *
wsc_msg_binary(const wsc_msg *msg, size_t *len)
{
    bool bin = msg != NULL && msg->binary;
    if (len != NULL)
        *len = bin ? atomic_load_explicit(&msg->wire_len, memory_order_relaxed) : 0;
    return bin ? atomic_load_explicit(&msg->wire_buf, memory_order_relaxed) + WSC_PRE : NULL;
}

bool
wsc__msg_is_urgent(const wsc_msg *msg)
{
    return msg != NULL && (msg->lane_urgent || msg->priority == WSC_PRIO_URGENT ||
                           msg->priority == WSC_PRIO_CRITICAL);
}

void
wsc__msg_set_urgent_lane(wsc_msg *msg)
{
    msg->lane_urgent = true;
}

unsigned
wsc__msg_refs(const wsc_msg *msg)
{
    return msg ? atomic_load_explicit(&msg->refs, memory_order_relaxed) : 0;
}
