/* SPDX-License-Identifier: MIT */
/* The layout of struct wsc_msg, shared by the files of the message model only (msg.c,
 * msg_encode.c, msg_parse.c).  The rest of the library goes through msg.h and
 * msg_internal.h. */
#ifndef WSC_MODELS_MSG_PRIV_H
#define WSC_MODELS_MSG_PRIV_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include <wsc/common.h>
#include <wsc/msg.h>

struct wsc_msg {
    /* Atomic because an application thread may drop its reference while the loop holds
     * others; everything else is only touched by one thread at a time. */
    atomic_uint refs;
    bool frozen;      /* set by wsc__msg_encode; setters then fail with WSC_ERR_STATE */
    bool binary;      /* made by wsc_msg_new_binary */
    bool require_ack; /* "require_ack" */
    bool has_seq_no;  /* "seq_no" is sent only when set */
    bool lane_urgent; /* queued in the urgent lane whatever its priority (control frames) */
    wsc_priority priority;
    int64_t seq_no;
    char *fields[WSC_F_COUNT_]; /* owned, NULL when unset */
    char **groups;              /* owned array of owned strings */
    size_t group_count;
    size_t group_cap;
    json_t *data; /* owned reference to a JSON object, or NULL */
    /* One allocation: WSC_PRE bytes of headroom, then wire_len bytes, then a NUL.  For a
     * binary message it holds the payload from creation on; for a text message it is made
     * by wsc__msg_encode. */
    unsigned char *wire_buf;
    size_t wire_len;
};

/** The wire name of a string field ("reply_to_msg_id" for WSC_F_REPLY_TO). */
const char *wsc__msg_field_key(wsc_msg_field field);

/** The wire name of a priority, or NULL when out of range. */
const char *wsc__msg_priority_name(wsc_priority prio);

/** Looks up a priority by wire name (len bytes); false when it is none of ours. */
bool wsc__msg_priority_from_name(const char *name, size_t len, wsc_priority *out);

/** Allocates an empty message with one reference (no default fields). */
wsc_msg *wsc__msg_alloc(void);

/** True when the JSON text nests no deeper than max_depth arrays/objects.  Only brackets
 *  outside strings count; the text need not be valid JSON. */
bool wsc__json_depth_ok(const char *s, size_t len, unsigned max_depth);

/** Dumps a JSON value as compact text into out (wsc__malloc'd, NUL-terminated).
 *  WSC_ERR_NOMEM. */
wsc_err wsc__json_dump(const json_t *value, wsc_buf *out);

#endif
