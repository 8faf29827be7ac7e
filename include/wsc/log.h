/* SPDX-License-Identifier: MIT */
/* Structured logging: one JSON object per line, levels, a pluggable sink.  No secret (token,
 * query string, API key) is ever passed to the logger by wsc. */
#ifndef WSC_LOG_H
#define WSC_LOG_H

#include <wsc/common.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum wsc_log_level {
    WSC_LOG_DEFAULT = 0, /**< in a config: the default level (WARN) */
    WSC_LOG_DEBUG,
    WSC_LOG_INFO,
    WSC_LOG_WARN,
    WSC_LOG_ERROR,
    WSC_LOG_OFF
} wsc_log_level;

/** Receives one finished log line: a JSON object without the trailing newline, borrowed for
 *  the call.  Runs on the thread that logged (the loop thread for everything wsc logs). */
typedef void (*wsc_log_sink_cb)(wsc_log_level level, const char *json_line, size_t len, void *user);

/** How an object logs.  Zeroed means: level WARN, JSON lines to stderr. */
typedef struct wsc_log_config {
    wsc_log_level level;  /**< lines below this level are skipped */
    wsc_log_sink_cb sink; /**< NULL: write the line and "\n" to stderr */
    void *sink_user;
} wsc_log_config;

/** "debug", "info", "warn", "error", "off" -> level; WSC_LOG_DEFAULT when unknown. */
WSC_API wsc_log_level wsc_log_level_parse(const char *name);

#ifdef __cplusplus
}
#endif
#endif
