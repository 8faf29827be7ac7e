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
    /* Set (release) by wsc__msg_encode once wire_buf and wire_len are in place; setters then
     * fail with WSC_ERR_STATE.  Several threads may encode the same message at once (a send
     * on the caller's thread, another on the loop): each encodes into its own buffer, the
     * first to install it in wire_buf wins and the others free theirs (msg_encode.c).  Until
     * frozen, the fields are written by one thread only (msg.h); after, by none. */
    atomic_bool frozen;
    bool binary;      /* made by wsc_msg_new_binary */
    bool require_ack; /* "require_ack" */
    bool has_seq_no;  /* "seq_no" is sent only when set */
    bool lane_urgent; /* queued in the urgent lane whatever its priority (control frames) */
    wsc_priority priority;
    int64_t seq_no;
    char *fields[WSC_F_COUNT_]; /* owned (see arena_fields), NULL when unset */
    /* Atomic because an application thread may drop its reference while the loop holds
     * others.  Placed among members the send path does not read, away from frozen, the flags
     * and the wire bytes: threads that send the same message change it all the time, and the
     * loop reading those members should not miss in its cache each time. */
    atomic_uint refs;
    char **groups; /* owned array of owned strings (see arena_groups) */
    size_t group_count;
    size_t group_cap;
    /* A parsed message is one allocation: the struct, then the decoded strings (fields,
     * groups, raw "data").  These say which strings live there and are not freed alone. */
    uint32_t arena_fields; /* bit f: fields[f] is in the block */
    size_t arena_groups;   /* groups[0..arena_groups) are in the block */
    char *arena;           /* the string area after the struct, or NULL */
    size_t arena_used;     /* bytes taken; setters use the rest before they allocate */
    size_t arena_cap;
    /* "data" is one of: a tree set through the API (data), or the validated compact JSON text
     * received on the wire (data_raw), sent as is and turned into a tree only on demand. */
    json_t *data;   /* owned reference to a JSON object, or NULL */
    char *data_raw; /* NUL-terminated, or NULL; owned unless data_raw_arena */
    size_t data_raw_len;
    bool data_raw_arena;
    /* The tree made from data_raw on first use.  The only member that changes on a const
     * message: set once with compare-and-swap, so that readers on several threads agree. */
    _Atomic(json_t *) data_cache;
    /* One allocation: WSC_PRE bytes of headroom, then wire_len bytes, then a NUL.  For a
     * binary message it holds the payload from creation on; for a text message it is made
     * by wsc__msg_encode, installed with compare-and-swap.  wire_len is atomic because every
     * encoder of a text message stores it (the same value) before setting frozen. */
    _Atomic(unsigned char *) wire_buf;
    atomic_size_t wire_len;
    /* What the message holds in memory (wsc__msg_held), worked out once by the encoder and
     * stored like wire_len before frozen is set: queues count it on every push and pop. */
    atomic_size_t held;
    /* For /metrics only (msg_stamp.c): when the message was last queued on a connection
     * (microseconds, monotonic) and a small tag the queuing side chooses (the hub's frame
     * type class plus one).  Relaxed atomics: a message shared by hubs on several loops may be
     * stamped by each; the figure is then the latest stamp, never a torn one. */
    _Atomic uint64_t queued_us;
    _Atomic uint8_t metric_tag;
};

/** The wire name of a string field ("reply_to_msg_id" for WSC_F_REPLY_TO). */
const char *wsc__msg_field_key(wsc_msg_field field);

/** Whether a setter may change msg: WSC_ERR_INVALID (msg NULL), WSC_ERR_STATE (frozen: encoded
 *  once, shared from then on), else WSC_OK. */
wsc_err wsc__msg_check_writable(const wsc_msg *msg);

/** Drops the "data" in every form (tree, raw text, cached tree). */
void wsc__msg_clear_data(wsc_msg *msg);

/** The wire name of a priority, or NULL when out of range. */
const char *wsc__msg_priority_name(wsc_priority prio);

/** Looks up a priority by wire name (len bytes); false when it is none of ours. */
bool wsc__msg_priority_from_name(const char *name, size_t len, wsc_priority *out);

/** Allocates an empty message with one reference (no default fields). */
wsc_msg *wsc__msg_alloc(void);

/** Like wsc__msg_alloc, with arena_len more bytes in the same block, at *arena. */
wsc_msg *wsc__msg_alloc_arena(size_t arena_len, char **arena);

/** True when the JSON text nests no deeper than max_depth arrays/objects.  Only brackets
 *  outside strings count; the text need not be valid JSON. */
bool wsc__json_depth_ok(const char *s, size_t len, unsigned max_depth);

/** Dumps a JSON value as compact text into out (wsc__malloc'd, NUL-terminated).
 *  WSC_ERR_NOMEM. */
wsc_err wsc__json_dump(const json_t *value, wsc_buf *out);

#endif
