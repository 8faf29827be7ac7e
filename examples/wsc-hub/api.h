/* SPDX-License-Identifier: MIT */
/* The HTTP side of wsc-hub (PROTOCOL.md §7): the /api routes, /metrics, the demo page at /,
 * and the check of who may broadcast.  It plugs into a hub through wsc_hub_config's on_http
 * and on_broadcast_check, so the server and the tests wire it the same way. */
#ifndef WSC_HUBD_API_H
#define WSC_HUBD_API_H

#include <stdbool.h>
#include <stdint.h>

#include <wsc/hub.h>

/** State of the API module.  Set the public fields, then wsc_hubd_api_attach(); it must
 *  outlive the hub.  Strings are borrowed. */
typedef struct wsc_hubd_api {
    const char *api_key;                /**< Bearer key of /api; NULL: /api answers 401 */
    bool insecure_api;                  /**< serve /api without a key (demos only) */
    const char *const *broadcast_users; /**< NULL-terminated; may be NULL (nobody) */
    const char *const *api_keys;        /**< more accepted keys (rotation), NULL-terminated;
                                             may be NULL */

    struct wsc_hubd_webhook *webhook; /**< alerts are posted there (alerts.c); may be NULL */
    wsc_log_level log_level;          /**< of wsc-hub's own lines (alerts.c) */

    /* filled by wsc_hubd_api_attach */
    wsc_msg_limits limits; /**< applied to published messages */
    const char *ws_path;   /**< shown to the demo page */
    uint64_t boot_ms;      /**< wall clock at attach: makes message ids unique per run */
    uint64_t seq;          /**< message ids handed out */
    uint64_t requests;     /**< API requests served */
} wsc_hubd_api;

/** The on_alert callback (alerts.c): posts the alert to api->webhook as JSON; an alert the
 *  webhook's queue cannot take is counted there and logged ("alert_webhook_dropped", at the
 *  first drop and at every power of two). */
void wsc_hubd_api_alert(wsc_hub *hub, const wsc_hub_alert *alert, void *user);

/** Points cfg's on_http, on_broadcast_check and on_alert at api (cfg->user = api) and copies the
 * frame limits and ws_path (borrowed: cfg's strings must outlive the hub too). */
void wsc_hubd_api_attach(wsc_hub_config *cfg, wsc_hubd_api *api);

/** The on_http callback: routes one request (exported for embedders that chain handlers). */
void wsc_hubd_api_handle(wsc_hub *hub, wsc_http_req *req, void *user);

/** The on_broadcast_check callback: allows users listed in broadcast_users. */
void wsc_hubd_api_broadcast_check(wsc_hub *hub, wsc_conn *conn, bool *allow, void *user);

/** The demo chat page (demo_page.html, embedded at build time) with ws_path spliced in, as a new
 *  NUL-terminated string (free()); NULL when out of memory.  Bytes of ws_path that could end
 *  the page's JavaScript string or script element are escaped. */
char *wsc_hubd_demo_page(const char *ws_path, size_t *len);

#endif
