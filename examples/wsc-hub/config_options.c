/* SPDX-License-Identifier: MIT */
/* The table of wsc-hub settings and the typed setters behind it.  Numbers are checked
 * against their range, lists are split on commas, log levels are validated; every failure
 * names the key or flag the user wrote. */
#include "config_options.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define OFF(field) offsetof(wsc_hubd_config, field)

const wsc_hubd_opt wsc_hubd_opts[] = {
    {"listen", "--listen", WSC_HUBD_OPT_LISTEN, 0, 0, "HOST:PORT",
     "address and port to listen on (default 0.0.0.0:8080)"},
    {"ws_path", "--ws-path", WSC_HUBD_OPT_STRING, OFF(ws_path), 0, "PATH",
     "WebSocket path (default /ws)"},
    {"sse.path", "--sse-path", WSC_HUBD_OPT_STRING, OFF(sse_path), 0, "PATH",
     "SSE event stream path, upstream at PATH/send (default /sse; empty: off)"},
    {"sse.ping_interval_ms", "--sse-ping-interval-ms", WSC_HUBD_OPT_UNSIGNED,
     OFF(sse_ping_interval_ms), 0, "MS", "`: ping` comment on SSE streams (default 15000)"},
    {"node_id", "--node-id", WSC_HUBD_OPT_STRING, OFF(node_id), 0, "ID",
     "this node's id (default: generated)"},
    {"tls.cert", "--tls-cert", WSC_HUBD_OPT_STRING, OFF(tls_cert), 0, "FILE",
     "PEM certificate: serve https:// and wss://"},
    {"tls.key", "--tls-key", WSC_HUBD_OPT_STRING, OFF(tls_key), 0, "FILE", "PEM private key"},
    {"auth.jwt_secret", "--jwt-secret", WSC_HUBD_OPT_STRING, OFF(jwt_secret), 0, "SECRET",
     "HS256 secret: accept JWTs (Authorization: Bearer or ?token=)"},
    {"auth.jwt_secrets", "--jwt-secrets", WSC_HUBD_OPT_LIST, OFF(jwt_secrets), 0, "S1,S2",
     "more accepted HS256 secrets, for rotation (beside --jwt-secret)"},
    {"auth.origins", "--origins", WSC_HUBD_OPT_LIST, OFF(origins), 0, "O1,O2",
     "allowed Origin header values of upgrades (default: any)"},
    {"auth.insecure_user_id", "--insecure-user-id", WSC_HUBD_OPT_BOOL, OFF(insecure_user_id), 0,
     NULL, "trust ?user_id= as identity (demos and tests only)"},
    {"api_key", "--api-key", WSC_HUBD_OPT_STRING, OFF(api_key), 0, "KEY",
     "key of the HTTP API (Authorization: Bearer KEY)"},
    {"api_keys", "--api-keys", WSC_HUBD_OPT_LIST, OFF(api_keys), 0, "K1,K2",
     "more accepted API keys, for rotation (beside --api-key)"},
    {NULL, "--insecure-api", WSC_HUBD_OPT_BOOL, OFF(insecure_api), 0, NULL,
     "serve /api without a key (demos only)"},
    {"broadcast_users", "--broadcast-users", WSC_HUBD_OPT_USERS, 0, 0, "U1,U2",
     "users whose frames may broadcast to everyone"},
    {"limits.max_message_size", "--max-message-size", WSC_HUBD_OPT_SIZE, OFF(max_message_size),
     1ull << 30, "BYTES", "largest frame accepted (default 65536; larger closes with 1009)"},
    {"limits.max_conns", "--max-conns", WSC_HUBD_OPT_UNSIGNED, OFF(max_conns), 0, "N",
     "connections per node (default 100000)"},
    {"limits.max_conns_per_user", "--max-conns-per-user", WSC_HUBD_OPT_UNSIGNED,
     OFF(max_conns_per_user), 0, "N", "connections per user (default 16; 0: unlimited)"},
    {"limits.max_handshakes", "--max-handshakes", WSC_HUBD_OPT_UNSIGNED, OFF(max_handshakes), 65535,
     "N", "connections reading their request headers at once (default 256)"},
    {"limits.handshake_timeout_ms", "--handshake-timeout-ms", WSC_HUBD_OPT_UNSIGNED,
     OFF(handshake_timeout_ms), 0, "MS",
     "close a connection whose request headers are not in by then (default 5000)"},
    {"limits.max_pending_per_ip", "--max-pending-per-ip", WSC_HUBD_OPT_UNSIGNED,
     OFF(max_pending_per_ip), 0, "N",
     "connections of one address not yet WebSockets (default 32; 0: no cap)"},
    {"limits.queue_max_count", "--queue-max-count", WSC_HUBD_OPT_SIZE, OFF(queue_max_count), 0, "N",
     "frames waiting per connection (default 1024)"},
    {"limits.queue_max_bytes", "--queue-max-bytes", WSC_HUBD_OPT_SIZE, OFF(queue_max_bytes), 0,
     "BYTES", "bytes waiting per connection (default 4194304)"},
    {"limits.connect_rate_per_ip", "--connect-rate-per-ip", WSC_HUBD_OPT_UNSIGNED,
     OFF(connect_rate_per_ip), 0, "N", "upgrades per second per address (default 0: off)"},
    {"limits.connect_burst_per_ip", "--connect-burst-per-ip", WSC_HUBD_OPT_UNSIGNED,
     OFF(connect_burst_per_ip), 0, "N", "burst of upgrades per address (default 20)"},
    {"limits.msg_rate_per_conn", "--msg-rate-per-conn", WSC_HUBD_OPT_UNSIGNED,
     OFF(msg_rate_per_conn), 0, "N", "client frames per second per connection (default 0: off)"},
    {"limits.msg_burst_per_conn", "--msg-burst-per-conn", WSC_HUBD_OPT_UNSIGNED,
     OFF(msg_burst_per_conn), 0, "N", "burst of client frames per connection (default 50)"},
    {"limits.bytes_rate_per_conn", "--bytes-rate-per-conn", WSC_HUBD_OPT_UNSIGNED,
     OFF(bytes_rate_per_conn), 0, "BYTES",
     "client bytes per second per connection (default 0: off)"},
    {"limits.bytes_burst_per_conn", "--bytes-burst-per-conn", WSC_HUBD_OPT_UNSIGNED,
     OFF(bytes_burst_per_conn), 0, "BYTES",
     "burst of client bytes per connection (default 1048576)"},
    {"limits.msg_rate_per_user", "--msg-rate-per-user", WSC_HUBD_OPT_UNSIGNED,
     OFF(msg_rate_per_user), 0, "N", "client frames per second per user (default 0: off)"},
    {"limits.msg_burst_per_user", "--msg-burst-per-user", WSC_HUBD_OPT_UNSIGNED,
     OFF(msg_burst_per_user), 0, "N", "burst of client frames per user (default 100)"},
    {"limits.bytes_rate_per_user", "--bytes-rate-per-user", WSC_HUBD_OPT_UNSIGNED,
     OFF(bytes_rate_per_user), 0, "BYTES", "client bytes per second per user (default 0: off)"},
    {"limits.bytes_burst_per_user", "--bytes-burst-per-user", WSC_HUBD_OPT_UNSIGNED,
     OFF(bytes_burst_per_user), 0, "BYTES", "burst of client bytes per user (default 2097152)"},
    {"limits.max_conns_per_ip", "--max-conns-per-ip", WSC_HUBD_OPT_UNSIGNED, OFF(max_conns_per_ip),
     0, "N", "open WebSockets per address (default 0: no cap)"},
    {"alerts.webhook_url", "--alert-webhook-url", WSC_HUBD_OPT_STRING, OFF(alert_webhook_url), 0,
     "URL", "POST every limit trip as JSON to this http:// URL (default: none)"},
    {"alerts.webhook_queue", "--alert-webhook-queue", WSC_HUBD_OPT_SIZE, OFF(alert_webhook_queue),
     1000000, "N", "alerts waiting to be posted; more are dropped and counted (default 1000)"},
    {"alerts.webhook_retries", "--alert-webhook-retries", WSC_HUBD_OPT_UNSIGNED,
     OFF(alert_webhook_retries), 100, "N", "retries of a failed post, with backoff (default 5)"},
    {"alerts.webhook_timeout_ms", "--alert-webhook-timeout-ms", WSC_HUBD_OPT_UNSIGNED,
     OFF(alert_webhook_timeout_ms), 600000, "MS",
     "connect, send and answer timeout of one post (default 2000)"},
    {"deflate", "--deflate", WSC_HUBD_OPT_BOOL, OFF(deflate), 0, NULL,
     "negotiate permessage-deflate with clients that offer it (default off)"},
    {"deflate_threshold", "--deflate-threshold", WSC_HUBD_OPT_SIZE, OFF(deflate_threshold),
     1ull << 30, "BYTES",
     "with deflate: messages shorter than this leave uncompressed (default 1024)"},
    {"heartbeat.ping_interval_ms", "--ping-interval-ms", WSC_HUBD_OPT_UNSIGNED,
     OFF(ping_interval_ms), 0, "MS", "WebSocket ping interval (default 25000)"},
    {"heartbeat.pong_timeout_ms", "--pong-timeout-ms", WSC_HUBD_OPT_UNSIGNED, OFF(pong_timeout_ms),
     0, "MS", "close with 4003 after this long without a frame (default 60000)"},
    {"shutdown_timeout_ms", "--shutdown-timeout-ms", WSC_HUBD_OPT_UNSIGNED,
     OFF(shutdown_timeout_ms), 0, "MS", "time to flush queues on shutdown (default 5000)"},
    {"ack.timeout_ms", "--ack-timeout-ms", WSC_HUBD_OPT_UNSIGNED, OFF(ack_timeout_ms), 0, "MS",
     "resend a message sent with require_ack when no ACK came in this long (default 5000)"},
    {"ack.durable", "--ack-durable", WSC_HUBD_OPT_BOOL, OFF(ack_durable), 0, NULL,
     "answer `delivered` only once the store holds a copy, removed on ACK: a killed hub loses "
     "no message it answered for (default off; docs/reliability.md)"},
    {"cluster.timeout_ms", "--cluster-timeout-ms", WSC_HUBD_OPT_UNSIGNED, OFF(cluster_timeout_ms),
     0, "MS", "how long a node waits for the other nodes' answers (default 2000)"},
    {"log.level", "--log-level", WSC_HUBD_OPT_LOGLEVEL, OFF(log_level), 0, "LEVEL",
     "debug, info, warn, error or off (default info)"},
    {"redis", "--redis", WSC_HUBD_OPT_STRING, OFF(redis_url), 0, "URL",
     "Redis: redis://[:pw@]host[:port][/db], or redis+cluster://host:port,...[?password=PW] "
     "for a Redis Cluster; offline messages and records go there, and the "
     "hubs given the same Redis form one cluster (docs/cluster.md)"},
    {"mysql", "--mysql", WSC_HUBD_OPT_STRING, OFF(mysql_url), 0, "URL",
     "store them in MySQL/MariaDB (wins over --redis): mysql://user:pw@host:port/db"},
    {"store.offline_max_per_user", "--offline-max-per-user", WSC_HUBD_OPT_UNSIGNED,
     OFF(store.offline_max_per_user), 0, "N", "offline messages per user (default 1000)"},
    {"store.offline_max_per_sender", "--offline-max-per-sender", WSC_HUBD_OPT_UNSIGNED,
     OFF(store.offline_max_per_sender), 0, "N",
     "offline messages of one sender per user (default 100; 0: off)"},
    {"store.offline_max_msgs_per_sender", "--offline-max-msgs-per-sender", WSC_HUBD_OPT_UNSIGNED,
     OFF(store.offline_max_msgs_per_sender), 0, "N",
     "offline messages of one sender, all users (default 10000; 0: off)"},
    {"store.offline_max_bytes_per_sender", "--offline-max-bytes-per-sender", WSC_HUBD_OPT_SIZE,
     OFF(store.offline_max_bytes_per_sender), 0, "BYTES",
     "offline bytes of one sender, all users (default 67108864; 0: off)"},
    {"store.offline_max_total", "--offline-max-total", WSC_HUBD_OPT_UNSIGNED,
     OFF(store.offline_max_total), 0, "N",
     "offline messages in all (memory store; default 1000000; 0: off)"},
    {"store.offline_max_bytes", "--offline-max-bytes", WSC_HUBD_OPT_SIZE,
     OFF(store.offline_max_bytes), 0, "BYTES",
     "offline bytes in all (memory store; default 1073741824; 0: off)"},
    {"store.record_max_total", "--record-max-total", WSC_HUBD_OPT_UNSIGNED,
     OFF(store.record_max_total), 0, "N",
     "message records kept, the oldest dropped past it (memory store; default 100000; 0: off)"},
    {NULL, NULL, WSC_HUBD_OPT_BOOL, 0, 0, NULL, NULL},
};

const wsc_hubd_opt *
wsc_hubd_opt_by_key(const char *key)
{
    for (const wsc_hubd_opt *o = wsc_hubd_opts; o->key != NULL || o->flag != NULL; o++) {
        if (o->key != NULL && strcmp(o->key, key) == 0)
            return o;
    }
    return NULL;
}

const wsc_hubd_opt *
wsc_hubd_opt_by_flag(const char *flag)
{
    for (const wsc_hubd_opt *o = wsc_hubd_opts; o->key != NULL || o->flag != NULL; o++) {
        if (o->flag != NULL && strcmp(o->flag, flag) == 0)
            return o;
    }
    return NULL;
}

bool
wsc_hubd_opt_is_section(const char *path)
{
    size_t n = strlen(path);
    for (const wsc_hubd_opt *o = wsc_hubd_opts; o->key != NULL || o->flag != NULL; o++) {
        if (o->key != NULL && strncmp(o->key, path, n) == 0 && o->key[n] == '.')
            return true;
    }
    return false;
}

static wsc_err
set_string(char **slot, const char *text)
{
    char *copy = NULL;
    if (text != NULL && (copy = strdup(text)) == NULL)
        return WSC_ERR_NOMEM;
    free(*slot);
    *slot = copy;
    return WSC_OK;
}

static wsc_err
parse_bool(const char *text, bool *out)
{
    if (text == NULL || strcmp(text, "true") == 0 || strcmp(text, "1") == 0 ||
        strcmp(text, "yes") == 0) {
        *out = true;
        return WSC_OK;
    }
    if (strcmp(text, "false") == 0 || strcmp(text, "0") == 0 || strcmp(text, "no") == 0) {
        *out = false;
        return WSC_OK;
    }
    return WSC_ERR_INVALID;
}

static wsc_err
parse_number(const char *text, unsigned long long max, unsigned long long *out)
{
    /* strtoull accepts a sign and leading blanks; a setting must be plain digits. */
    if (text == NULL || *text < '0' || *text > '9')
        return WSC_ERR_INVALID;
    errno = 0;
    char *end = NULL;
    unsigned long long v = strtoull(text, &end, 10);
    if (errno != 0 || *end != '\0' || v > max)
        return WSC_ERR_INVALID;
    *out = v;
    return WSC_OK;
}

static wsc_err
set_users_text(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *text)
{
    /* "a,b,,c" -> {"a","b","c"}: empty items are skipped so "--broadcast-users=" clears. */
    char *copy = strdup(text);
    const char **ids = calloc(strlen(text) / 2 + 2, sizeof(*ids));
    wsc_err err = WSC_ERR_NOMEM;
    if (copy != NULL && ids != NULL) {
        size_t n = 0;
        char *save = NULL;
        for (char *tok = strtok_r(copy, ",", &save); tok != NULL; tok = strtok_r(NULL, ",", &save))
            ids[n++] = tok;
        err = opt->kind == WSC_HUBD_OPT_LIST ? wsc_hubd_config_set_list(cfg, opt, ids, n)
                                             : wsc_hubd_config_set_users(cfg, ids, n);
    }
    free(ids);
    free(copy);
    return err;
}

static wsc_err
set_number(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *text)
{
    unsigned long long type_max = opt->kind == WSC_HUBD_OPT_SIZE ? SIZE_MAX : UINT_MAX;
    unsigned long long max = opt->max != 0 && opt->max < type_max ? opt->max : type_max;
    unsigned long long v = 0;
    if (parse_number(text, max, &v) != WSC_OK)
        return WSC_ERR_INVALID;
    char *field = (char *)cfg + opt->offset;
    if (opt->kind == WSC_HUBD_OPT_SIZE)
        *(size_t *)(void *)field = (size_t)v;
    else
        *(unsigned *)(void *)field = (unsigned)v;
    return WSC_OK;
}

static wsc_err
set_value(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *text)
{
    char *field = (char *)cfg + opt->offset;
    switch (opt->kind) {
    case WSC_HUBD_OPT_STRING:
        return set_string((char **)(void *)field, text);
    case WSC_HUBD_OPT_BOOL:
        return parse_bool(text, (bool *)(void *)field);
    case WSC_HUBD_OPT_UNSIGNED:
    case WSC_HUBD_OPT_SIZE:
        return set_number(cfg, opt, text);
    case WSC_HUBD_OPT_LISTEN: {
        char *host = NULL;
        wsc_err err = wsc_hubd_parse_listen(text, &host, &cfg->port);
        if (err == WSC_OK) {
            free(cfg->host);
            cfg->host = host;
        }
        return err;
    }
    case WSC_HUBD_OPT_USERS:
    case WSC_HUBD_OPT_LIST:
        return text == NULL ? WSC_ERR_INVALID : set_users_text(cfg, opt, text);
    case WSC_HUBD_OPT_LOGLEVEL:
        if (text == NULL || wsc_log_level_parse(text) == WSC_LOG_DEFAULT)
            return WSC_ERR_INVALID;
        cfg->log_level = wsc_log_level_parse(text);
        return WSC_OK;
    }
    return WSC_ERR_INVALID;
}

static const char *
expected(const wsc_hubd_opt *opt)
{
    switch (opt->kind) {
    case WSC_HUBD_OPT_BOOL:
        return "true or false";
    case WSC_HUBD_OPT_UNSIGNED:
    case WSC_HUBD_OPT_SIZE:
        return "a non-negative integer in range";
    case WSC_HUBD_OPT_LISTEN:
        return "HOST:PORT with a port in 0-65535";
    case WSC_HUBD_OPT_USERS:
        return "a list of user ids";
    case WSC_HUBD_OPT_LIST:
        return "a comma-separated list";
    case WSC_HUBD_OPT_LOGLEVEL:
        return "one of debug, info, warn, error, off";
    case WSC_HUBD_OPT_STRING:
        break;
    }
    return "a string";
}

wsc_err
wsc_hubd_opt_set_text(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *name,
                      const char *text, char *err, size_t errcap)
{
    wsc_err e = set_value(cfg, opt, text);
    if (e == WSC_ERR_INVALID)
        snprintf(err, errcap, "%s: invalid value \"%s\" (expected %s)", name,
                 text != NULL ? text : "", expected(opt));
    else if (e != WSC_OK)
        snprintf(err, errcap, "%s: %s", name, wsc_strerror(e));
    return e;
}

wsc_err
wsc_hubd_config_set_users(wsc_hubd_config *cfg, const char *const *ids, size_t n)
{
    char **list = calloc(n + 1, sizeof(*list));
    if (list == NULL)
        return WSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if ((list[i] = strdup(ids[i])) == NULL) {
            for (size_t j = 0; j < i; j++)
                free(list[j]);
            free(list);
            return WSC_ERR_NOMEM;
        }
    }
    for (size_t i = 0; i < cfg->n_broadcast_users; i++)
        free(cfg->broadcast_users[i]);
    free(cfg->broadcast_users);
    cfg->broadcast_users = list;
    cfg->n_broadcast_users = n;
    return WSC_OK;
}

void
wsc_hubd_list_free(char **list)
{
    for (size_t i = 0; list != NULL && list[i] != NULL; i++)
        free(list[i]);
    free(list);
}

wsc_err
wsc_hubd_config_set_list(wsc_hubd_config *cfg, const wsc_hubd_opt *opt, const char *const *items,
                         size_t n)
{
    char ***slot = (char ***)(void *)((char *)cfg + opt->offset);
    char **list = NULL;
    if (n > 0 && (list = calloc(n + 1, sizeof(*list))) == NULL)
        return WSC_ERR_NOMEM;
    for (size_t i = 0; i < n; i++) {
        if ((list[i] = strdup(items[i])) == NULL) {
            wsc_hubd_list_free(list);
            return WSC_ERR_NOMEM;
        }
    }
    wsc_hubd_list_free(*slot);
    *slot = list;
    return WSC_OK;
}
