/* SPDX-License-Identifier: MIT */
/* Error codes of every wsc call.  Append codes at the end; never renumber. */
#ifndef WSC_ERROR_H
#define WSC_ERROR_H

#include <stdbool.h>

#include <wsc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* X(name, value, retryable, text) */
#define WSC_ERR_MAP(X)                                         \
    X(OK, 0, false, "success")                                 \
    X(INVALID, 1, false, "invalid argument or input")          \
    X(NOMEM, 2, true, "out of memory")                         \
    X(NOT_FOUND, 3, false, "not found")                        \
    X(EXISTS, 4, false, "already exists")                      \
    X(QUEUE_FULL, 5, true, "send queue full")                  \
    X(TOO_LARGE, 6, false, "message too large")                \
    X(FORBIDDEN, 7, false, "forbidden")                        \
    X(UNAUTHORIZED, 8, false, "unauthorized")                  \
    X(CLOSED, 9, true, "connection closed")                    \
    X(TIMEOUT, 10, true, "timed out")                          \
    X(CANCELED, 11, false, "canceled")                         \
    X(IO, 12, true, "input/output error")                      \
    X(STATE, 13, false, "operation not allowed in this state") \
    X(UNSUPPORTED, 14, false, "not supported")                 \
    X(LIMIT, 15, true, "limit reached")                        \
    X(PROTOCOL, 16, false, "protocol violation")               \
    X(OFFLINE, 17, true, "user offline")                       \
    X(STORE, 18, true, "temporary storage failure")            \
    X(INTERNAL, 19, false, "internal error")                   \
    X(BUSY, 20, true, "busy: too much work waiting, try again later")

/** Result of every call that can fail.  WSC_OK is 0. */
typedef enum wsc_err {
#define WSC_ERR_ENUM_(name, value, retry, text) WSC_ERR_##name = value,
    WSC_ERR_MAP(WSC_ERR_ENUM_)
#undef WSC_ERR_ENUM_
} wsc_err;

#define WSC_OK WSC_ERR_OK

/** A sentence describing err; a static string ("unknown error" for codes we don't know). */
WSC_API const char *wsc_strerror(wsc_err err);

/** The code's name without prefix ("QUEUE_FULL"); a static string. */
WSC_API const char *wsc_err_name(wsc_err err);

/** True when the operation may succeed if tried again later (queue full, connection lost,
 *  timeout, temporary store failure); false for terminal errors (invalid, forbidden, too
 *  large, ...). */
WSC_API bool wsc_err_is_retryable(wsc_err err);

#ifdef __cplusplus
}
#endif
#endif
