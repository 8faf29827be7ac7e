/* SPDX-License-Identifier: MIT */
/* wsc-hub's answer to a tripped limit: the library has counted it and logged it already
 * (limit_tripped); here the alert becomes a JSON body for the webhook (webhook.h), whose
 * worker thread posts it, so the loop only formats and queues. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "app_log.h"
#include "webhook.h"

/* True for 1, 2, 4, 8 ...: drops are logged at those counts, not one line each. */
static bool
power_of_two(uint64_t n)
{
    return n != 0 && (n & (n - 1)) == 0;
}

void
wsc_hubd_api_alert(wsc_hub *hub, const wsc_hub_alert *alert, void *user)
{
    wsc_hubd_api *api = user;
    if (api->webhook == NULL)
        return;
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    json_t *body = json_pack("{s:s, s:s, s:s?, s:s, s:I, s:f, s:f, s:s, s:I}", "event",
                             "limit_tripped", "kind", alert->kind_name, "user", alert->user_id,
                             "ip", alert->ip, "conn", (json_int_t)alert->conn, "limit",
                             alert->limit, "value", alert->value, "node_id", wsc_hub_node_id(hub),
                             "ts_ms", (json_int_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000);
    char *text = body != NULL ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text == NULL)
        return;
    if (wsc_hubd_webhook_post(api->webhook, text, strlen(text)) == WSC_ERR_QUEUE_FULL) {
        wsc_hubd_webhook_stats st;
        wsc_hubd_webhook_stats_get(api->webhook, &st);
        if (power_of_two(st.dropped))
            wsc_hubd_log(api->log_level, WSC_LOG_WARN, "alert_webhook_dropped",
                         json_pack("{s:s, s:I, s:s}", "kind", alert->kind_name, "dropped",
                                   (json_int_t)st.dropped, "msg",
                                   "the webhook's queue is full: alert not posted"));
    }
    free(text);
}
