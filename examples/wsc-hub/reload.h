/* SPDX-License-Identifier: MIT */
/* Reloading wsc-hub's configuration on SIGHUP: the file and the flags are read again exactly
 * as at start (flags over the file), and what cannot change while the server runs is put
 * back to its running value and named. */
#ifndef WSC_HUBD_RELOAD_H
#define WSC_HUBD_RELOAD_H

#include <jansson.h>

#include "api.h"
#include "config.h"

/** Reads the configuration again from argv as wsc_hubd_config_parse_args and
 *  wsc_hubd_config_check do at start: the --config file, then every flag on top.  On success
 *  *next is the new configuration (free with wsc_hubd_config_free) in which the keys that
 *  cannot change live (listen, ws_path, node_id, tls.cert, tls.key, redis, mysql) hold
 *  running's values, and *kept is a new JSON array (json_decref) of those among them whose
 *  value in the file or flags differs.  On failure (WSC_ERR_INVALID, WSC_ERR_IO,
 *  WSC_ERR_NOMEM) err says why, *next is zeroed and *kept NULL. */
wsc_err wsc_hubd_config_reload(const wsc_hubd_config *running, int argc, const char *const *argv,
                               wsc_hubd_config *next, json_t **kept, char *err, size_t errcap);

/** Applies next to a running hub and its API module, all or nothing: wsc_hub_reconfigure with
 *  the hub's callbacks, loop and store kept, then the API's keys, broadcast users and limits
 *  point into next.  On success *running is freed and replaced by next (moved; next is
 *  zeroed); on failure nothing changes, next is left to the caller and err holds
 *  wsc_hub_last_error. */
wsc_err wsc_hubd_config_apply(wsc_hubd_config *running, wsc_hubd_config *next, wsc_hub *hub,
                              wsc_hubd_api *api, char *err, size_t errcap);

/** Points api's borrowed settings (keys, broadcast users, limits, ws_path) at cfg. */
void wsc_hubd_api_configure(wsc_hubd_api *api, const wsc_hubd_config *cfg);

#endif
