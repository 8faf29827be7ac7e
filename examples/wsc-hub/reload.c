/* SPDX-License-Identifier: MIT */
/* SIGHUP reload of wsc-hub.  The configuration is rebuilt from scratch the way main() builds
 * it (defaults, the --config file, then the flags), so a flag keeps its precedence over the
 * file across reloads.  Keys bound to the listening socket or the store at start keep their
 * running value; everything else goes to wsc_hub_reconfigure (checked there as a whole) and
 * to the API module. */
#include "reload.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "webhook.h"

/* String keys that cannot change while the server runs ("listen" is compared apart). */
static const struct {
    const char *key;
    size_t offset;
} fixed_strings[] = {
    {"ws_path", offsetof(wsc_hubd_config, ws_path)},
    {"sse.path", offsetof(wsc_hubd_config, sse_path)},
    {"node_id", offsetof(wsc_hubd_config, node_id)},
    {"tls.cert", offsetof(wsc_hubd_config, tls_cert)},
    {"tls.key", offsetof(wsc_hubd_config, tls_key)},
    {"redis", offsetof(wsc_hubd_config, redis_url)},
    {"mysql", offsetof(wsc_hubd_config, mysql_url)},
};

/* Field by field: the padding of a struct is not part of its value. */
static bool
same_store(const wsc_store_config *a, const wsc_store_config *b)
{
    return a->offline_max_per_user == b->offline_max_per_user &&
           a->offline_ttl_ms == b->offline_ttl_ms && a->record_ttl_ms == b->record_ttl_ms &&
           a->connrec_ttl_ms == b->connrec_ttl_ms &&
           a->command_timeout_ms == b->command_timeout_ms &&
           a->reconnect_min_ms == b->reconnect_min_ms &&
           a->reconnect_max_ms == b->reconnect_max_ms && a->queue_ttl_ms == b->queue_ttl_ms &&
           a->workload_ttl_ms == b->workload_ttl_ms &&
           a->offline_max_per_sender == b->offline_max_per_sender &&
           a->offline_max_msgs_per_sender == b->offline_max_msgs_per_sender &&
           a->offline_max_bytes_per_sender == b->offline_max_bytes_per_sender &&
           a->offline_max_total == b->offline_max_total &&
           a->offline_max_bytes == b->offline_max_bytes &&
           a->purge_interval_ms == b->purge_interval_ms &&
           a->record_max_total == b->record_max_total;
}

static bool
same_str(const char *a, const char *b)
{
    return a == b || (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* Sets *slot to a copy of value (may be NULL).  WSC_ERR_NOMEM leaves *slot as it was. */
static wsc_err
restore(char **slot, const char *value)
{
    char *copy = NULL;
    if (value != NULL && (copy = strdup(value)) == NULL)
        return WSC_ERR_NOMEM;
    free(*slot);
    *slot = copy;
    return WSC_OK;
}

/* Puts running's values of the fixed keys back into next and lists the keys that differed. */
static wsc_err
keep_fixed(const wsc_hubd_config *running, wsc_hubd_config *next, json_t *kept)
{
    wsc_err e = WSC_OK;
    if (!same_str(running->host, next->host) || running->port != next->port) {
        json_array_append_new(kept, json_string("listen"));
        next->port = running->port;
        e = restore(&next->host, running->host);
    }
    /* The loop's header pool and the vhost's handshake timeout are set at creation. */
    if (running->max_handshakes != next->max_handshakes) {
        json_array_append_new(kept, json_string("limits.max_handshakes"));
        next->max_handshakes = running->max_handshakes;
    }
    if (running->handshake_timeout_ms != next->handshake_timeout_ms) {
        json_array_append_new(kept, json_string("limits.handshake_timeout_ms"));
        next->handshake_timeout_ms = running->handshake_timeout_ms;
    }
    /* The vhost's extensions are set at creation. */
    if (running->deflate != next->deflate) {
        json_array_append_new(kept, json_string("deflate"));
        next->deflate = running->deflate;
    }
    for (size_t i = 0; e == WSC_OK && i < sizeof(fixed_strings) / sizeof(fixed_strings[0]); i++) {
        const char *was =
            *(char *const *)(const void *)((const char *)running + fixed_strings[i].offset);
        char **now = (char **)(void *)((char *)next + fixed_strings[i].offset);
        if (same_str(was, *now))
            continue;
        json_array_append_new(kept, json_string(fixed_strings[i].key));
        e = restore(now, was);
    }
    /* The store is opened once, with the bounds it had at start. */
    if (!same_store(&running->store, &next->store)) {
        json_array_append_new(kept, json_string("store"));
        next->store = running->store;
    }
    return e;
}

wsc_err
wsc_hubd_config_reload(const wsc_hubd_config *running, int argc, const char *const *argv,
                       wsc_hubd_config *next, json_t **kept, char *err, size_t errcap)
{
    *kept = NULL;
    wsc_err e = wsc_hubd_config_init(next);
    if (e != WSC_OK) {
        snprintf(err, errcap, "out of memory");
        return e;
    }
    e = wsc_hubd_config_parse_args(next, argc, argv, err, errcap);
    if (e == WSC_OK)
        e = wsc_hubd_config_check(next, err, errcap);
    json_t *list = e == WSC_OK ? json_array() : NULL;
    if (e == WSC_OK && list == NULL)
        e = WSC_ERR_NOMEM;
    if (e == WSC_OK && (e = keep_fixed(running, next, list)) != WSC_OK)
        snprintf(err, errcap, "out of memory");
    if (e != WSC_OK) {
        json_decref(list);
        wsc_hubd_config_free(next);
        return e;
    }
    *kept = list;
    return WSC_OK;
}

void
wsc_hubd_api_configure(wsc_hubd_api *api, const wsc_hubd_config *cfg)
{
    api->api_key = cfg->api_key;
    api->api_keys = (const char *const *)cfg->api_keys;
    api->insecure_api = cfg->insecure_api;
    api->broadcast_users = (const char *const *)cfg->broadcast_users;
    api->limits.max_bytes = cfg->max_message_size;
    api->ws_path = cfg->ws_path;
    api->log_level = cfg->log_level;
    /* Checked by wsc_hubd_config_check: the URL parses (or is unset). */
    if (api->webhook != NULL)
        wsc_hubd_webhook_configure(api->webhook, cfg->alert_webhook_url, cfg->alert_webhook_queue,
                                   cfg->alert_webhook_retries, cfg->alert_webhook_timeout_ms);
}

wsc_err
wsc_hubd_config_apply(wsc_hubd_config *running, wsc_hubd_config *next, wsc_hub *hub,
                      wsc_hubd_api *api, char *err, size_t errcap)
{
    wsc_hub_config now, cfg;
    wsc_hub_get_config(hub, &now);
    wsc_hubd_config_to_hub(next, &cfg);
    /* The wiring made at start stays: the API's callbacks and state, the loop, the store. */
    cfg.loop = now.loop;
    cfg.store = now.store;
    cfg.on_http = now.on_http;
    cfg.on_broadcast_check = now.on_broadcast_check;
    cfg.on_alert = now.on_alert;
    cfg.user = now.user;
    cfg.log = now.log;
    cfg.log.level = next->log_level;
    wsc_err e = wsc_hub_reconfigure(hub, &cfg, NULL);
    if (e != WSC_OK) {
        snprintf(err, errcap, "the hub refuses it: %s", wsc_hub_last_error(hub));
        return e;
    }
    wsc_hubd_api_configure(api, next);
    wsc_hubd_config_free(running);
    *running = *next;
    memset(next, 0, sizeof(*next));
    return WSC_OK;
}
