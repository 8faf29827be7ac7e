/* SPDX-License-Identifier: MIT */
/* Structured logging for wsc's own objects: each line is one JSON object with ts, level,
 * component and event, followed by typed fields described by a small format string.  Lines
 * are rendered on the stack (no allocation) and handed to the configured sink. */
#ifndef WSC_MIDDLEWARE_LOGGER_H
#define WSC_MIDDLEWARE_LOGGER_H

#include <stdbool.h>

#include <wsc/log.h>

/** Longest line handed to a sink, in bytes, without the NUL.  Longer lines are cut at a field
 *  or character boundary and end with "truncated":true, so they stay valid JSON. */
#define WSC__LOG_LINE_MAX 2047

/** How one object logs.  Plain data; embed it in the owner. */
typedef struct wsc__logger {
    wsc_log_level level;  /* lines below this are skipped; never WSC_LOG_DEFAULT after init */
    wsc_log_sink_cb sink; /* NULL: line + "\n" to stderr with one write(2) */
    void *sink_user;
    const char *component; /* borrowed: a static string such as "hub" */
} wsc__logger;

/** Fills lg from cfg (NULL means all defaults: WARN, stderr).  component is borrowed and must
 *  outlive lg; use a string literal. */
void wsc__logger_init(wsc__logger *lg, const wsc_log_config *cfg, const char *component);

/** True when a line at level would be written.  Use it to skip costly argument preparation. */
bool wsc__log_enabled(const wsc__logger *lg, wsc_log_level level);

/** Writes one line at level (DEBUG..ERROR) if enabled.  event names what happened
 *  ("conn_open").  fmt lists the fields as comma-separated "type:name" pairs, one argument
 *  each, in order:
 *    s  const char *  (JSON-escaped; NULL gives null)
 *    i  int
 *    u  uint64_t      (cast explicitly: (uint64_t)id)
 *    b  bool
 *    d  double        (NaN and infinities give null)
 *  Example: wsc__log(lg, WSC_LOG_INFO, "conn_open", "s:user,u:conn,i:code", user,
 *  (uint64_t)id, code).  An entry with an unknown type or without "type:" is rendered as null,
 *  and so is every entry after it, without reading any further argument: a broken format
 *  string loses fields but never reads arguments of the wrong type.  fmt may be NULL.
 *  Never log secrets (tokens, query strings, API keys). */
void wsc__log(const wsc__logger *lg, wsc_log_level level, const char *event, const char *fmt, ...);

#endif
