/* SPDX-License-Identifier: MIT */
/* The message: one protocol frame (PROTOCOL.md §2), refcounted, immutable once sent.
 *
 * Threads.  A message is open (setters work) until it is frozen, then immutable.  An open
 * message belongs to one thread at a time: do not call a setter while another thread uses the
 * message.  Every send call (wsc_hub_send_*, wsc_hub_broadcast, wsc_client_send_msg) encodes
 * and freezes the message on the calling thread before it returns, whichever thread that is,
 * so after a send the caller's setters fail with WSC_ERR_STATE instead of racing with the loop.
 * A frozen message may be read, referenced, unreferenced and sent again from any number of
 * threads at once; two threads sending the same open message at the same moment is fine too
 * (the encoding is done once: the first encoder's bytes are kept, wsc_msg_is_frozen() then holds
 * on every thread).  One exception: a hub writes the WebSocket header into the headroom of the
 * shared encoded bytes, so hubs on two different loops (threads) must not write the same message
 * at the same moment; clone it for the second loop.  wsc_msg_ref() and wsc_msg_unref() are
 * atomic.  The ACK sends of
 * wsc/reliability.h called off the loop thread send a copy and leave the message open. */
#ifndef WSC_MSG_H
#define WSC_MSG_H

#include <stdbool.h>

#include <wsc/common.h>
#include <wsc/error.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wsc_msg wsc_msg;

/** The string fields of a frame, named as on the wire. */
typedef enum wsc_msg_field {
    WSC_F_ID,              /**< "id": hub message id */
    WSC_F_MESSAGE_ID,      /**< "message_id": business id and ACK key */
    WSC_F_TYPE,            /**< "message_type" (default "text") */
    WSC_F_SENDER,          /**< "sender" */
    WSC_F_SENDER_CLIENT,   /**< "sender_client" */
    WSC_F_RECEIVER,        /**< "receiver" */
    WSC_F_RECEIVER_CLIENT, /**< "receiver_client" */
    WSC_F_CONTENT,         /**< "content" */
    WSC_F_SESSION_ID,      /**< "session_id" */
    WSC_F_TRACE_ID,        /**< "trace_id" */
    WSC_F_REPLY_TO,        /**< "reply_to_msg_id" */
    WSC_F_SENDER_NAME,     /**< "sender_name" */
    WSC_F_RECEIVER_NAME,   /**< "receiver_name" */
    WSC_F_CREATE_AT,       /**< "create_at" (RFC 3339 with milliseconds) */
    WSC_F_APP_ID,          /**< "app_id" */
    WSC_F_NAMESPACE,       /**< "namespace" */
    WSC_F_BROADCAST_TYPE,  /**< "broadcast_type" ("global") */
    WSC_F_SOURCE,          /**< "source" ("online" or "offline") */
    WSC_F_COUNT_
} wsc_msg_field;

/** "priority": urgent and critical jump ahead of queued normal traffic. */
typedef enum wsc_priority {
    WSC_PRIO_NORMAL = 0, /* the default, first so that zeroed memory means normal */
    WSC_PRIO_LOW,
    WSC_PRIO_HIGH,
    WSC_PRIO_URGENT,
    WSC_PRIO_CRITICAL
} wsc_priority;

/** Limits applied when parsing a frame from the wire. */
typedef struct wsc_msg_limits {
    size_t max_bytes;       /**< whole frame; default 65536 */
    unsigned max_depth;     /**< JSON nesting; default 32 */
    size_t max_string;      /**< any string field except content/data; default 1024 */
    unsigned max_group_ids; /**< entries of group_ids; default 64 */
} wsc_msg_limits;

/** Fills limits with the defaults above. */
WSC_API void wsc_msg_limits_init(wsc_msg_limits *limits);

/** Creates an empty text message (type "text") with one reference owned by the caller. */
WSC_API wsc_err wsc_msg_new(wsc_msg **out);

/** Creates a message of the given type with the given content (either may be NULL). */
WSC_API wsc_err wsc_msg_new_text(wsc_msg **out, const char *type, const char *content);

/** Creates a binary message: raw bytes sent as one binary frame, no JSON envelope.  The bytes
 *  are copied.  Fields may still be set (they are not sent) to help routing and records. */
WSC_API wsc_err wsc_msg_new_binary(wsc_msg **out, const void *data, size_t len);

/** Parses one text frame.  Returns WSC_ERR_TOO_LARGE (over max_bytes), WSC_ERR_PROTOCOL (not
 *  JSON, or not an object, or too deep), WSC_ERR_INVALID (a field of the wrong type or too long);
 *  on error *out is NULL and, if err_text is not NULL, a static explanation is stored there.
 *  limits may be NULL (defaults). */
WSC_API wsc_err wsc_msg_parse(wsc_msg **out, const char *json, size_t len,
                              const wsc_msg_limits *limits, const char **err_text);

/** Adds a reference; returns msg. */
WSC_API wsc_msg *wsc_msg_ref(wsc_msg *msg);

/** Drops a reference; the last one frees the message.  NULL is fine. */
WSC_API void wsc_msg_unref(wsc_msg *msg);

/** A new message with the same content, one reference, not frozen. */
WSC_API wsc_err wsc_msg_clone(const wsc_msg *msg, wsc_msg **out);

/** True once the message has been encoded for sending; setters then return WSC_ERR_STATE.
 *  Any thread: once true on one thread, true on every thread (see Threads above). */
WSC_API bool wsc_msg_is_frozen(const wsc_msg *msg);

/** True for messages made with wsc_msg_new_binary(). */
WSC_API bool wsc_msg_is_binary(const wsc_msg *msg);

/** Sets (copies) or clears (value NULL) a string field.  WSC_ERR_INVALID for an unknown field
 *  or a value that is not valid UTF-8; WSC_ERR_STATE when frozen. */
WSC_API wsc_err wsc_msg_set(wsc_msg *msg, wsc_msg_field field, const char *value);

/** A string field, or NULL when unset.  Borrowed: valid while msg lives and the field is not
 *  set again.  WSC_F_TYPE is never NULL. */
WSC_API const char *wsc_msg_get(const wsc_msg *msg, wsc_msg_field field);

/** Sets "data" from a JSON object text (copied after parsing).  NULL clears it.
 *  WSC_ERR_INVALID when json is not one JSON object. */
WSC_API wsc_err wsc_msg_set_data_json(wsc_msg *msg, const char *json);

/** A message's identity for delivery (PROTOCOL.md §2: a message_id is scoped to its sender, so
 *  two senders may use the same id): message_id when sender is NULL or empty, else sender, the
 *  byte 0x1F, message_id (sender ids never hold control characters).  It is the key offline
 *  stores keep a message under (wsc/repository.h) and what the client library dedupes by.
 *  Writes it NUL-terminated into out.  Returns WSC_ERR_INVALID (message_id NULL or empty, out
 *  NULL) or WSC_ERR_TOO_LARGE (cap too small; WSC_MSG_KEY_MAX suffices for ids within the
 *  default string limit). */
#define WSC_MSG_KEY_MAX 2052
WSC_API wsc_err wsc_msg_key(const char *sender, const char *message_id, char *out, size_t cap);
/** The same for msg's sender and message_id. */
WSC_API wsc_err wsc_msg_key_of(const wsc_msg *msg, char *out, size_t cap);

/** Returns "data" as compact JSON text in out (free with wsc_buf_free); WSC_ERR_NOT_FOUND when
 *  unset. */
WSC_API wsc_err wsc_msg_get_data_json(const wsc_msg *msg, wsc_buf *out);

/** A string member of "data" (data.key), or NULL.  Borrowed like wsc_msg_get(). */
WSC_API const char *wsc_msg_get_data_string(const wsc_msg *msg, const char *key);

WSC_API wsc_err wsc_msg_set_priority(wsc_msg *msg, wsc_priority prio);
WSC_API wsc_priority wsc_msg_priority(const wsc_msg *msg);
WSC_API wsc_err wsc_msg_set_require_ack(wsc_msg *msg, bool require_ack);
WSC_API bool wsc_msg_require_ack(const wsc_msg *msg);
WSC_API wsc_err wsc_msg_set_seq_no(wsc_msg *msg, int64_t seq_no);
WSC_API int64_t wsc_msg_seq_no(const wsc_msg *msg);

/** Appends a group id (copied). */
WSC_API wsc_err wsc_msg_add_group(wsc_msg *msg, const char *group_id);
WSC_API size_t wsc_msg_group_count(const wsc_msg *msg);
/** The i-th group id, or NULL when out of range.  Borrowed like wsc_msg_get(). */
WSC_API const char *wsc_msg_group(const wsc_msg *msg, size_t i);

/** The bytes of a binary message (NULL, 0 for a text message).  Borrowed. */
WSC_API const void *wsc_msg_binary(const wsc_msg *msg, size_t *len);

/** Encodes the message as the JSON text sent on the wire (compact, fields in a fixed order,
 *  unset fields omitted).  Does not freeze the message.  Free out with wsc_buf_free(). */
WSC_API wsc_err wsc_msg_to_json(const wsc_msg *msg, wsc_buf *out);

#ifdef __cplusplus
}
#endif
#endif
