/* SPDX-License-Identifier: MIT */
/* The free-form "data" object of a message.  Set through the API it is a jansson tree; parsed
 * from the wire it is kept as the validated compact JSON text, which the encoder copies as is,
 * and becomes a tree only when someone asks for it (most routed messages never do). */
#include <stdint.h>
#include <string.h>

#include <jansson.h>

#include "models/alloc.h"
#include "models/msg_internal.h"
#include "models/msg_priv.h"

void
wsc__msg_clear_data(wsc_msg *msg)
{
    json_decref(msg->data);
    msg->data = NULL;
    if (!msg->data_raw_arena)
        wsc__free(msg->data_raw);
    msg->data_raw = NULL;
    msg->data_raw_len = 0;
    msg->data_raw_arena = false;
    json_decref(atomic_exchange(&msg->data_cache, NULL));
}

wsc_err
wsc_msg_set_data_json(wsc_msg *msg, const char *json)
{
    wsc_err err = wsc__msg_check_writable(msg);
    if (err != WSC_OK)
        return err;
    if (json == NULL)
        return wsc__msg_set_data(msg, NULL);
    wsc_msg_limits lim;
    wsc_msg_limits_init(&lim);
    size_t len = strlen(json);
    /* Check depth first so that hostile nesting never reaches jansson's recursion. */
    if (!wsc__json_depth_ok(json, len, lim.max_depth))
        return WSC_ERR_INVALID;
    json_t *obj = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(obj)) {
        json_decref(obj);
        return WSC_ERR_INVALID;
    }
    return wsc__msg_set_data(msg, obj);
}

wsc_err
wsc_msg_get_data_json(const wsc_msg *msg, wsc_buf *out)
{
    if (msg == NULL || out == NULL)
        return WSC_ERR_INVALID;
    out->data = NULL;
    out->len = 0;
    if (msg->data == NULL && msg->data_raw == NULL)
        return WSC_ERR_NOT_FOUND;
    const json_t *tree = wsc__msg_data(msg);
    return tree != NULL ? wsc__json_dump(tree, out) : WSC_ERR_NOMEM;
}

const char *
wsc_msg_get_data_string(const wsc_msg *msg, const char *key)
{
    if (msg == NULL || key == NULL)
        return NULL;
    return json_string_value(json_object_get(wsc__msg_data(msg), key));
}

json_t *
wsc__msg_data(const wsc_msg *msg)
{
    if (msg == NULL || msg->data != NULL || msg->data_raw == NULL)
        return msg ? msg->data : NULL;
    json_t *tree = atomic_load_explicit(&msg->data_cache, memory_order_acquire);
    if (tree != NULL)
        return tree;
    /* The text was validated by the parser (same rules, depth within jansson's), so only
     * memory can fail here. */
    tree = json_loadb(msg->data_raw, msg->data_raw_len, JSON_REJECT_DUPLICATES, NULL);
    if (tree == NULL)
        return NULL;
    /* data_cache is the one member a const message may change (see msg_priv.h); going
     * through uintptr_t keeps -Wcast-qual quiet about it. */
    _Atomic(json_t *) *cache = (_Atomic(json_t *) *)(uintptr_t)&msg->data_cache;
    json_t *expected = NULL;
    if (!atomic_compare_exchange_strong(cache, &expected, tree)) {
        json_decref(tree); /* another thread was first: use its tree */
        return expected;
    }
    return tree;
}

wsc_err
wsc__msg_set_data(wsc_msg *msg, json_t *obj)
{
    wsc_err err = wsc__msg_check_writable(msg);
    if (err == WSC_OK && obj != NULL && !json_is_object(obj))
        err = WSC_ERR_INVALID;
    if (err != WSC_OK) {
        /* The reference is ours even on failure: drop it so that the caller never leaks. */
        json_decref(obj);
        return err;
    }
    wsc__msg_clear_data(msg);
    msg->data = obj;
    return WSC_OK;
}
