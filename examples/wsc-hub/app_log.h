/* SPDX-License-Identifier: MIT */
/* wsc-hub's own log lines (the library logs its own through wsc_log_config). */
#ifndef WSC_HUBD_APP_LOG_H
#define WSC_HUBD_APP_LOG_H

#include <jansson.h>

#include <wsc/log.h>

/** One JSON log line on stderr in the library's shape, {"ts":..,"level":..,"component":
 *  "wsc-hub","event":..}, plus the members of extra (stolen; may be NULL), when level is at
 *  least min.  Any thread (one fprintf per line). */
void wsc_hubd_log(wsc_log_level min, wsc_log_level level, const char *event, json_t *extra);

#endif
