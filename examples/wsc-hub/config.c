/* SPDX-License-Identifier: MIT */
/* The life of a wsc_hubd_config: defaults taken from the library, consistency checks once
 * the file and the flags are applied, and the mapping onto wsc_hub_config. */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config_options.h"
#include "webhook.h"

wsc_err
wsc_hubd_config_init(wsc_hubd_config *cfg)
{
    wsc_hub_config hub;
    wsc_hub_config_init(&hub);
    memset(cfg, 0, sizeof(*cfg));
    cfg->host = strdup(hub.host != NULL ? hub.host : "0.0.0.0");
    cfg->ws_path = strdup(hub.ws_path != NULL ? hub.ws_path : "/ws");
    cfg->sse_path = strdup(hub.sse_path != NULL ? hub.sse_path : "");
    cfg->broadcast_users = calloc(1, sizeof(*cfg->broadcast_users));
    if (cfg->host == NULL || cfg->ws_path == NULL || cfg->sse_path == NULL ||
        cfg->broadcast_users == NULL) {
        wsc_hubd_config_free(cfg);
        return WSC_ERR_NOMEM;
    }
    cfg->port = hub.port;
    cfg->insecure_user_id = hub.insecure_user_id;
    cfg->max_message_size = hub.msg_limits.max_bytes;
    cfg->max_conns = hub.max_conns;
    cfg->max_conns_per_user = hub.max_conns_per_user;
    wsc_loop_config loop;
    wsc_loop_config_init(&loop);
    cfg->max_handshakes = loop.max_handshakes;
    cfg->handshake_timeout_ms = hub.handshake_timeout_ms;
    cfg->max_pending_per_ip = hub.max_pending_per_ip;
    cfg->queue_max_count = hub.queue_max_count;
    cfg->deflate_threshold = hub.deflate_threshold;
    cfg->queue_max_bytes = hub.queue_max_bytes;
    cfg->ping_interval_ms = hub.ping_interval_ms;
    cfg->sse_ping_interval_ms = hub.sse_ping_interval_ms;
    cfg->pong_timeout_ms = hub.pong_timeout_ms;
    cfg->shutdown_timeout_ms = hub.shutdown_timeout_ms;
    cfg->ack_timeout_ms = (unsigned)hub.ack.ack_timeout_ms;
    cfg->ack_durable = hub.ack.durable;
    cfg->cluster_timeout_ms = hub.cluster_timeout_ms;
    cfg->connect_rate_per_ip = (unsigned)hub.connect_rate_per_ip;
    cfg->connect_burst_per_ip = (unsigned)hub.connect_burst_per_ip;
    cfg->msg_rate_per_conn = (unsigned)hub.msg_rate_per_conn;
    cfg->msg_burst_per_conn = (unsigned)hub.msg_burst_per_conn;
    cfg->bytes_burst_per_conn = (unsigned)hub.bytes_burst_per_conn;
    cfg->msg_burst_per_user = (unsigned)hub.msg_burst_per_user;
    cfg->bytes_burst_per_user = (unsigned)hub.bytes_burst_per_user;
    cfg->alert_webhook_queue = 1000;
    cfg->alert_webhook_retries = 5;
    cfg->alert_webhook_timeout_ms = 2000;
    cfg->log_level = WSC_LOG_INFO;
    wsc_store_config_init(&cfg->store);
    return WSC_OK;
}

void
wsc_hubd_config_free(wsc_hubd_config *cfg)
{
    if (cfg == NULL)
        return;
    char **strings[] = {&cfg->host,      &cfg->ws_path,   &cfg->sse_path,         &cfg->node_id,
                        &cfg->tls_cert,  &cfg->tls_key,   &cfg->jwt_secret,       &cfg->api_key,
                        &cfg->redis_url, &cfg->mysql_url, &cfg->alert_webhook_url};
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++)
        free(*strings[i]);
    for (size_t i = 0; cfg->broadcast_users != NULL && cfg->broadcast_users[i] != NULL; i++)
        free(cfg->broadcast_users[i]);
    free(cfg->broadcast_users);
    wsc_hubd_list_free(cfg->jwt_secrets);
    wsc_hubd_list_free(cfg->api_keys);
    wsc_hubd_list_free(cfg->origins);
    memset(cfg, 0, sizeof(*cfg));
}

static bool
is_set(const char *s)
{
    return s != NULL && *s != '\0';
}

wsc_err
wsc_hubd_config_check(const wsc_hubd_config *cfg, char *err, size_t errcap)
{
    if (is_set(cfg->redis_url) && strncmp(cfg->redis_url, "redis://", 8) != 0 &&
        strncmp(cfg->redis_url, "redis+cluster://", 16) != 0) {
        snprintf(err, errcap,
                 "redis must be a redis://[:password@]host[:port][/db] or "
                 "redis+cluster://host:port[,host:port...][?password=PW] URL");
        return WSC_ERR_INVALID;
    }
    if (is_set(cfg->mysql_url) && strncmp(cfg->mysql_url, "mysql://", 8) != 0) {
        snprintf(err, errcap, "mysql must be a mysql://user:password@host:port/database URL");
        return WSC_ERR_INVALID;
    }
    if (is_set(cfg->tls_cert) != is_set(cfg->tls_key)) {
        snprintf(err, errcap, "tls.cert and tls.key must be given together");
        return WSC_ERR_INVALID;
    }
    if (cfg->ws_path == NULL || cfg->ws_path[0] != '/' || strpbrk(cfg->ws_path, "\"\\<>?# ")) {
        snprintf(err, errcap,
                 "ws_path must start with '/' and hold no quote, '?', '#', "
                 "'<', '>' or blank");
        return WSC_ERR_INVALID;
    }
    if (cfg->sse_path == NULL || (cfg->sse_path[0] != '\0' &&
                                  (cfg->sse_path[0] != '/' || strpbrk(cfg->sse_path, "\"\\<>?# ") ||
                                   strcmp(cfg->sse_path, cfg->ws_path) == 0))) {
        snprintf(err, errcap,
                 "sse.path must be empty (SSE off) or start with '/', hold no quote, '?', '#', "
                 "'<', '>' or blank, and differ from ws_path");
        return WSC_ERR_INVALID;
    }
    if (cfg->sse_ping_interval_ms == 0) {
        snprintf(err, errcap, "sse.ping_interval_ms must be at least 1");
        return WSC_ERR_INVALID;
    }
    if (cfg->store.offline_max_per_user == 0) {
        snprintf(err, errcap, "store.offline_max_per_user must be at least 1");
        return WSC_ERR_INVALID;
    }
    if (cfg->api_key != NULL && cfg->api_key[0] == '\0') {
        snprintf(err, errcap, "api_key is empty: leave it out, or give a real key");
        return WSC_ERR_INVALID;
    }
    if ((cfg->connect_rate_per_ip > 0 && cfg->connect_burst_per_ip == 0) ||
        (cfg->msg_rate_per_conn > 0 && cfg->msg_burst_per_conn == 0) ||
        (cfg->bytes_rate_per_conn > 0 && cfg->bytes_burst_per_conn == 0) ||
        (cfg->msg_rate_per_user > 0 && cfg->msg_burst_per_user == 0) ||
        (cfg->bytes_rate_per_user > 0 && cfg->bytes_burst_per_user == 0)) {
        snprintf(err, errcap, "every limits.*_burst_* must be at least 1 when its rate is on");
        return WSC_ERR_INVALID;
    }
    if (!wsc_hubd_webhook_url_valid(cfg->alert_webhook_url)) {
        snprintf(err, errcap, "alerts.webhook_url must be an http://host[:port][/path] URL");
        return WSC_ERR_INVALID;
    }
    if (cfg->max_message_size == 0) {
        snprintf(err, errcap, "limits.max_message_size must be at least 1");
        return WSC_ERR_INVALID;
    }
    return WSC_OK;
}

const char *
wsc_hubd_config_store_url(const wsc_hubd_config *cfg)
{
    /* With both, the hub opens a hybrid store (wsc_hubd_config_is_hybrid) from both URLs;
     * this one names the durable half. */
    if (is_set(cfg->mysql_url))
        return cfg->mysql_url;
    if (is_set(cfg->redis_url))
        return cfg->redis_url;
    return NULL;
}

bool
wsc_hubd_config_is_hybrid(const wsc_hubd_config *cfg)
{
    return is_set(cfg->mysql_url) && is_set(cfg->redis_url);
}

void
wsc_hubd_config_to_hub(const wsc_hubd_config *cfg, wsc_hub_config *out)
{
    wsc_hub_config_init(out);
    out->host = cfg->host;
    out->port = cfg->port;
    out->ws_path = cfg->ws_path;
    out->sse_path = cfg->sse_path;
    out->sse_ping_interval_ms = cfg->sse_ping_interval_ms;
    out->node_id = cfg->node_id;
    out->tls_cert = cfg->tls_cert;
    out->tls_key = cfg->tls_key;
    out->jwt_secret = is_set(cfg->jwt_secret) ? cfg->jwt_secret : NULL;
    out->jwt_secrets = (const char *const *)cfg->jwt_secrets;
    out->origins = (const char *const *)cfg->origins;
    out->connect_rate_per_ip = cfg->connect_rate_per_ip;
    out->connect_burst_per_ip = cfg->connect_burst_per_ip;
    out->msg_rate_per_conn = cfg->msg_rate_per_conn;
    out->msg_burst_per_conn = cfg->msg_burst_per_conn;
    out->bytes_rate_per_conn = cfg->bytes_rate_per_conn;
    out->bytes_burst_per_conn = cfg->bytes_burst_per_conn;
    out->msg_rate_per_user = cfg->msg_rate_per_user;
    out->msg_burst_per_user = cfg->msg_burst_per_user;
    out->bytes_rate_per_user = cfg->bytes_rate_per_user;
    out->bytes_burst_per_user = cfg->bytes_burst_per_user;
    out->max_conns_per_ip = cfg->max_conns_per_ip;
    out->insecure_user_id = cfg->insecure_user_id;
    out->msg_limits.max_bytes = cfg->max_message_size;
    out->max_conns = cfg->max_conns;
    out->max_conns_per_user = cfg->max_conns_per_user;
    out->handshake_timeout_ms = cfg->handshake_timeout_ms;
    out->max_pending_per_ip = cfg->max_pending_per_ip;
    out->queue_max_count = cfg->queue_max_count;
    out->deflate = cfg->deflate;
    out->deflate_threshold = cfg->deflate_threshold;
    out->queue_max_bytes = cfg->queue_max_bytes;
    out->ping_interval_ms = cfg->ping_interval_ms;
    out->pong_timeout_ms = cfg->pong_timeout_ms;
    out->shutdown_timeout_ms = cfg->shutdown_timeout_ms;
    out->ack.ack_timeout_ms = cfg->ack_timeout_ms;
    out->ack.durable = cfg->ack_durable;
    out->cluster_timeout_ms = cfg->cluster_timeout_ms;
    /* Broadcast from clients is decided per user by the API module's broadcast check. */
    out->allow_client_broadcast = false;
    out->log.level = cfg->log_level;
    /* Hubs that share a Redis are one cluster (PROTOCOL.md §8, docs/cluster.md). */
    out->cluster_redis = is_set(cfg->redis_url) ? cfg->redis_url : NULL;
}

static wsc_err
parse_port(const char *text, int *port)
{
    if (text == NULL || *text < '0' || *text > '9')
        return WSC_ERR_INVALID;
    errno = 0;
    char *end = NULL;
    unsigned long v = strtoul(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > 65535)
        return WSC_ERR_INVALID;
    *port = (int)v;
    return WSC_OK;
}

wsc_err
wsc_hubd_parse_listen(const char *text, char **host, int *port)
{
    if (text == NULL)
        return WSC_ERR_INVALID;
    const char *colon = NULL;
    const char *hs = text;
    size_t hlen = 0;
    if (text[0] == '[') {
        /* "[::1]:8080": the brackets are not part of the host. */
        const char *close = strchr(text, ']');
        if (close == NULL || close[1] != ':')
            return WSC_ERR_INVALID;
        hs = text + 1;
        hlen = (size_t)(close - hs);
        colon = close + 1;
    } else {
        colon = strrchr(text, ':');
        if (colon == NULL)
            return WSC_ERR_INVALID;
        hlen = (size_t)(colon - text);
    }
    int p = 0;
    if (parse_port(colon + 1, &p) != WSC_OK)
        return WSC_ERR_INVALID;
    char *h = hlen == 0 ? strdup("0.0.0.0") : strndup(hs, hlen);
    if (h == NULL)
        return WSC_ERR_NOMEM;
    *host = h;
    *port = p;
    return WSC_OK;
}
