/* SPDX-License-Identifier: MIT */
/* Configuration of the standalone wsc-hub: a JSON file (docs/configuration.md) read with
 * jansson, then command-line flags that override it, then the mapping onto wsc_hub_config. */
#ifndef WSC_HUBD_CONFIG_H
#define WSC_HUBD_CONFIG_H

#include <stdbool.h>
#include <stdio.h>

#include <wsc/hub.h>
#include <wsc/store.h>

/** Everything wsc-hub can be told.  Strings are owned (free with wsc_hubd_config_free). */
typedef struct wsc_hubd_config {
    char *host; /**< from "listen"; default "0.0.0.0" */
    int port;   /**< from "listen"; default 8080 */
    char *ws_path;
    char *sse_path;                /**< wsc_hub_config.sse_path; "" turns SSE off */
    unsigned sse_ping_interval_ms; /**< wsc_hub_config.sse_ping_interval_ms */
    char *node_id;
    char *tls_cert;
    char *tls_key;
    char *jwt_secret;
    bool insecure_user_id;
    char *api_key;
    bool insecure_api;      /**< flag only: serve /api without a key (demos) */
    char **broadcast_users; /**< NULL-terminated, never NULL after init */
    size_t n_broadcast_users;
    size_t max_message_size; /**< frame limit in bytes */
    unsigned max_conns;
    unsigned max_conns_per_user;
    unsigned max_handshakes;       /**< the loop's header-table pool (wsc_loop_config) */
    unsigned handshake_timeout_ms; /**< wsc_hub_config.handshake_timeout_ms */
    unsigned max_pending_per_ip;   /**< wsc_hub_config.max_pending_per_ip */
    size_t queue_max_count;
    bool deflate;             /**< wsc_hub_config.deflate */
    size_t deflate_threshold; /**< wsc_hub_config.deflate_threshold */
    size_t queue_max_bytes;
    unsigned ping_interval_ms;
    unsigned pong_timeout_ms;
    unsigned shutdown_timeout_ms;
    unsigned ack_timeout_ms;     /**< wsc_hub_config.ack.ack_timeout_ms */
    bool ack_durable;            /**< wsc_hub_config.ack.durable */
    unsigned cluster_timeout_ms; /**< wsc_hub_config.cluster_timeout_ms */
    wsc_log_level log_level;     /**< default WSC_LOG_INFO */
    char *redis_url;             /**< "redis://..." store, or NULL */
    char *mysql_url;             /**< "mysql://..." store, or NULL (with redis_url: hybrid) */
    char **jwt_secrets; /**< more accepted JWT secrets (rotation), NULL-terminated, or NULL */
    char **api_keys;    /**< more accepted API keys (rotation), NULL-terminated, or NULL */
    char **origins;     /**< allowed Origin values, NULL-terminated; NULL: any */
    unsigned connect_rate_per_ip; /**< upgrades per second per address; 0: off */
    unsigned connect_burst_per_ip;
    unsigned msg_rate_per_conn; /**< client frames per second per connection; 0: off */
    unsigned msg_burst_per_conn;
    unsigned bytes_rate_per_conn; /**< client bytes per second per connection; 0: off */
    unsigned bytes_burst_per_conn;
    unsigned msg_rate_per_user; /**< client frames per second per user; 0: off */
    unsigned msg_burst_per_user;
    unsigned bytes_rate_per_user; /**< client bytes per second per user; 0: off */
    unsigned bytes_burst_per_user;
    unsigned max_conns_per_ip;         /**< open WebSockets per address; 0: no cap */
    char *alert_webhook_url;           /**< "http://..." alerts are POSTed to, or NULL */
    size_t alert_webhook_queue;        /**< alerts waiting for the webhook; default 1000 */
    unsigned alert_webhook_retries;    /**< default 5 */
    unsigned alert_webhook_timeout_ms; /**< default 2000 */
    wsc_store_config store;            /**< offline bounds ("store.*"); fixed at start */
    bool help;                         /**< --help was given */
    bool version;                      /**< --version was given */
} wsc_hubd_config;

/** Fills cfg with the defaults (those of wsc_hub_config_init, log level info).
 *  WSC_ERR_NOMEM. */
wsc_err wsc_hubd_config_init(wsc_hubd_config *cfg);

/** Frees the strings of cfg and zeroes it.  NULL is fine. */
void wsc_hubd_config_free(wsc_hubd_config *cfg);

/** Applies the JSON text of a config file on top of cfg.  On failure returns WSC_ERR_INVALID
 *  (syntax, a value of the wrong type or range, an unknown key) or WSC_ERR_NOMEM, and writes a
 *  sentence naming the key into err. */
wsc_err wsc_hubd_config_load_json(wsc_hubd_config *cfg, const char *json, size_t len, char *err,
                                  size_t errcap);

/** Reads the file at path and applies it like wsc_hubd_config_load_json.  WSC_ERR_IO when the
 *  file cannot be read. */
wsc_err wsc_hubd_config_load_file(wsc_hubd_config *cfg, const char *path, char *err, size_t errcap);

/** Parses argv (argv[0] is skipped): loads --config FILE first, whatever its position, then
 *  applies every other flag on top.  WSC_ERR_INVALID for an unknown flag or a bad value (err
 *  says which). */
wsc_err wsc_hubd_config_parse_args(wsc_hubd_config *cfg, int argc, const char *const *argv,
                                   char *err, size_t errcap);

/** Refuses storage URLs of the wrong scheme and settings that contradict each other.
 *  WSC_ERR_INVALID with err filled. */
wsc_err wsc_hubd_config_check(const wsc_hubd_config *cfg, char *err, size_t errcap);

/** The URL of the store the hub gets: mysql_url when set (with redis_url set too, the
 *  durable half of a hybrid store: wsc_hubd_config_is_hybrid), else redis_url, else NULL (the
 *  hub's own memory store).  Borrowed from cfg. */
const char *wsc_hubd_config_store_url(const wsc_hubd_config *cfg);
/** Both redis_url and mysql_url are set: the hub gets a hybrid store (wsc_store_open_hybrid:
 *  offline messages hot in Redis and durable in MySQL). */
bool wsc_hubd_config_is_hybrid(const wsc_hubd_config *cfg);

/** Fills out (after wsc_hub_config_init) from cfg.  Strings in out are borrowed from cfg. */
void wsc_hubd_config_to_hub(const wsc_hubd_config *cfg, wsc_hub_config *out);

/** Parses "HOST:PORT", ":PORT" or "[V6]:PORT" into a new host string and a port.
 *  WSC_ERR_INVALID or WSC_ERR_NOMEM. */
wsc_err wsc_hubd_parse_listen(const char *text, char **host, int *port);

/** Prints the --help text. */
void wsc_hubd_config_usage(FILE *out);

#endif
