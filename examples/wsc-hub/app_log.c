/* SPDX-License-Identifier: MIT */
/* wsc-hub's own log lines: JSON on stderr in the library's shape. */
#include "app_log.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

void
wsc_hubd_log(wsc_log_level min, wsc_log_level level, const char *event, json_t *extra)
{
    static const char *const names[] = {"info", "debug", "info", "warn", "error", "off"};
    if (level < min || min == WSC_LOG_OFF) {
        json_decref(extra);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    char date[32], when[48];
    strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(when, sizeof(when), "%s.%03ldZ", date, ts.tv_nsec / 1000000L);
    json_t *line = json_pack("{s:s, s:s, s:s, s:s}", "ts", when, "level", names[level], "component",
                             "wsc-hub", "event", event);
    if (line != NULL && extra != NULL)
        json_object_update(line, extra);
    char *text = line != NULL ? json_dumps(line, JSON_COMPACT) : NULL;
    if (text != NULL)
        fprintf(stderr, "%s\n", text);
    free(text);
    json_decref(line);
    json_decref(extra);
}
