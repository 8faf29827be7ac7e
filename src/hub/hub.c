/* SPDX-License-Identifier: MIT */
/* Hub lifecycle: configuration defaults, creation of the listening vhost on the loop, running,
 * and freeing. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "hub/cluster.h"
#include "hub/hub_internal.h"
#include "models/alloc.h"
#include "models/msg_internal.h"
#include "models/strv.h"
#include "protocol/frames.h"

_Static_assert(WSC_PRE >= LWS_PRE, "WSC_PRE must leave room for the lws frame header");

void
wsc_hub_config_init(wsc_hub_config *cfg)
{
    if (cfg == NULL)
        return;
    *cfg = (wsc_hub_config){.host = "0.0.0.0",
                            .port = 8080,
                            .ws_path = "/ws",
                            .max_conns = 100000,
                            .max_conns_per_user = 16,
                            .queue_max_count = 1024,
                            .queue_max_bytes = 4u << 20,
                            .max_violations = 10,
                            .rx_buffer_size = 128,
                            .deflate_threshold = 1024,
                            .ping_interval_ms = 25000,
                            .pong_timeout_ms = 60000,
                            .shutdown_timeout_ms = 5000,
                            .client_routing = true,
                            .connect_burst_per_ip = 20,
                            .msg_burst_per_conn = 50,
                            .bytes_burst_per_conn = 1u << 20,
                            .msg_burst_per_user = 100,
                            .bytes_burst_per_user = 2u << 20,
                            .dedupe_window = 1024,
                            .dedupe_max_users = 100000,
                            .ack_tick_ms = 10,
                            .replay_window = 64,
                            .store_check_ms = 1000,
                            .handshake_timeout_ms = 5000,
                            .max_pending_per_ip = 32,
                            .cluster_timeout_ms = 2000,
                            .sse_path = "/sse",
                            .sse_ping_interval_ms = 15000};
    wsc_msg_limits_init(&cfg->msg_limits);
    wsc_ack_opts_init(&cfg->ack);
}

uint32_t
wsc__hub_now32(const wsc_hub *hub)
{
    return (uint32_t)(wsc__now_ms() - hub->started_ms);
}

uint64_t
wsc__hub_next_seq(wsc_hub *hub)
{
    return ++hub->next_msg_seq;
}

/* The checks on addresses, sizes and times; NULL when they pass, else "field: why". */
static const char *
check_basics(const wsc_hub_config *cfg)
{
    if (cfg->port < 0 || cfg->port > 65535)
        return "port: not in 0..65535";
    if (cfg->ws_path == NULL || cfg->ws_path[0] != '/')
        return "ws_path: must start with '/'";
    if (cfg->sse_path != NULL && cfg->sse_path[0] != '\0' &&
        (cfg->sse_path[0] != '/' || strcmp(cfg->sse_path, cfg->ws_path) == 0))
        return "sse_path: must start with '/' and differ from ws_path";
    if (cfg->sse_ping_interval_ms == 0)
        return "sse_ping_interval_ms: must be at least 1";
    if (cfg->msg_limits.max_bytes < 64)
        return "msg_limits.max_bytes: below 64";
    if (cfg->queue_max_count == 0)
        return "queue_max_count: must be at least 1";
    if (cfg->queue_max_bytes == 0)
        return "queue_max_bytes: must be at least 1";
    if (cfg->ping_interval_ms == 0)
        return "ping_interval_ms: must be at least 1";
    if (cfg->pong_timeout_ms == 0)
        return "pong_timeout_ms: must be at least 1";
    if (cfg->max_conns == 0)
        return "max_conns: must be at least 1";
    if (cfg->handshake_timeout_ms == 0)
        return "handshake_timeout_ms: must be at least 1";
    if (cfg->deflate && cfg->rx_buffer_size != 0 && cfg->rx_buffer_size < 128)
        return "rx_buffer_size: permessage-deflate (deflate) needs at least 128";
    if ((cfg->tls_cert == NULL) != (cfg->tls_key == NULL))
        return "tls_cert, tls_key: give both or neither";
    if (cfg->cluster_redis != NULL && strncmp(cfg->cluster_redis, "redis://", 8) != 0 &&
        strncmp(cfg->cluster_redis, "redis+cluster://", 16) != 0)
        return "cluster_redis: not a redis:// or redis+cluster:// URL";
    if (cfg->cluster_timeout_ms == 0)
        return "cluster_timeout_ms: must be at least 1";
    return NULL;
}

/* The checks on rate limits, secrets and ACK defaults, as check_basics; a bad entry of
 * jwt_secrets is named with its index in buf. */
static const char *
check_policy(const wsc_hub_config *cfg, char *buf, size_t cap)
{
    const char *limits = wsc__hub_limits_check(cfg);
    if (limits != NULL)
        return limits;
    if (cfg->jwt_secret != NULL && cfg->jwt_secret[0] == '\0')
        return "jwt_secret: empty (NULL turns JWT off)";
    for (size_t i = 0; cfg->jwt_secrets != NULL && cfg->jwt_secrets[i] != NULL; i++) {
        if (cfg->jwt_secrets[i][0] == '\0') {
            snprintf(buf, cap, "jwt_secrets[%zu]: empty secret", i);
            return buf;
        }
    }
    if (!wsc__retry_opts_valid(&cfg->ack))
        return "ack: ack_timeout_ms 0, backoff_factor below 1, jitter outside 0..1 or "
               "base_delay_ms above max_delay_ms";
    return NULL;
}

wsc_err
wsc__hub_config_check(const wsc_hub_config *cfg, char *why, size_t cap)
{
    char buf[64];
    const char *bad = check_basics(cfg);
    if (bad == NULL)
        bad = check_policy(cfg, buf, sizeof(buf));
    if (bad == NULL)
        return WSC_OK;
    snprintf(why, cap, "%s", bad);
    return WSC_ERR_INVALID;
}

static wsc_err
copy_config(wsc_hub *hub, const wsc_hub_config *cfg, const char *random_node)
{
    hub->cfg = *cfg;
    hub->str_host = wsc__strdup(cfg->host ? cfg->host : "0.0.0.0");
    hub->str_path = wsc__strdup(cfg->ws_path);
    bool named = cfg->node_id != NULL && cfg->node_id[0] != '\0';
    hub->str_node = wsc__strdup(named ? cfg->node_id : random_node);
    hub->str_cert = wsc__strdup(cfg->tls_cert);
    hub->str_key = wsc__strdup(cfg->tls_key);
    hub->str_secret = wsc__strdup(cfg->jwt_secret);
    hub->str_origins = wsc__strv_copy(cfg->origins);
    hub->str_secrets = wsc__strv_copy(cfg->jwt_secrets);
    hub->str_cluster = wsc__strdup(cfg->cluster_redis);
    hub->str_sse = wsc__strdup(cfg->sse_path != NULL ? cfg->sse_path : "");
    if ((cfg->cluster_redis && !hub->str_cluster) || hub->str_sse == NULL ||
        hub->str_host == NULL || hub->str_path == NULL || hub->str_node == NULL ||
        (cfg->tls_cert && (!hub->str_cert || !hub->str_key)) ||
        (cfg->jwt_secret && !hub->str_secret) || (cfg->origins && !hub->str_origins) ||
        (cfg->jwt_secrets && !hub->str_secrets))
        return WSC_ERR_NOMEM;
    hub->cfg.host = hub->str_host;
    hub->cfg.ws_path = hub->str_path;
    hub->cfg.node_id = hub->str_node;
    hub->cfg.tls_cert = hub->str_cert;
    hub->cfg.tls_key = hub->str_key;
    hub->cfg.jwt_secret = hub->str_secret;
    hub->cfg.origins = (const char *const *)hub->str_origins;
    hub->cfg.jwt_secrets = (const char *const *)hub->str_secrets;
    hub->cfg.cluster_redis = hub->str_cluster;
    hub->cfg.sse_path = hub->str_sse;
    return WSC_OK;
}

static void
hub_release(wsc_hub *hub)
{
    wsc__hub_accept_free_all(hub);
    wsc__free(hub->wbuf);
    wsc__hub_deflate_free(hub); /* the wsis are gone with the vhost */
    wsc__free(hub->ip_buckets);
    wsc__free(hub->user_buckets);
    wsc__hub_ip_conns_free_all(hub);
    wsc__free(hub->str_host);
    wsc__free(hub->str_path);
    wsc__free(hub->str_sse);
    wsc__free(hub->str_node);
    wsc__free(hub->str_cert);
    wsc__free(hub->str_key);
    wsc__free(hub->str_secret);
    wsc__strv_free(hub->str_origins);
    wsc__strv_free(hub->str_secrets);
    wsc__free(hub->str_cluster);
    wsc__free(hub);
}

/* lws closes the sockets of a destroyed vhost later (about a second, or when the context
 * goes) and calls the protocol callback for each, which reads hub->freeing through the vhost's
 * user pointer: the hub's memory is released only once lws has finished with the vhost. */
static void
vhost_finalize(struct lws_vhost *vh, void *arg)
{
    (void)vh;
    wsc_hub *hub = arg;
    /* lws also finalizes a vhost it failed to create (the port is taken): that hub is still
     * wsc_hub_new's to free. */
    if (hub->vh_created)
        hub_release(hub);
}

/* lws 4.1 gives every vhost without a policy a default one that arms a "validity" timer on
 * each WebSocket (ping after 300 s) when it is established and on every pong.  The hub has its
 * own liveness sweep (PROTOCOL.md section 5), and lws keeps these timers in one sorted list,
 * where each new 300-second deadline is the latest and is inserted by walking the whole list:
 * O(n) per accept and per pong, O(n^2) to fill a node.  A zeroed policy turns that off. */
static const lws_retry_bo_t no_validity_policy = {0};

static wsc_err
create_vhost(wsc_hub *hub)
{
    hub->protocols[0] = (struct lws_protocols){
        .name = "wsc.v1",
        .callback = wsc__hub_lws_cb,
        .per_session_data_size = sizeof(struct wsc_conn),
        .rx_buffer_size = hub->cfg.rx_buffer_size,
        .tx_packet_size = WSC_HUB_WBUF,
    };
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    /* lws keeps the name pointer (not a copy) for the vhost's life. */
    snprintf(hub->vh_name, sizeof(hub->vh_name), "wsc-hub-%p", (void *)hub);
    info.vhost_name = hub->vh_name;
    info.port = hub->cfg.port; /* 0: the kernel picks; lws reads the port back */
    info.iface = strcmp(hub->cfg.host, "0.0.0.0") == 0 ? NULL : hub->cfg.host;
    info.protocols = hub->protocols;
    info.user = hub;
    info.finalize = vhost_finalize;
    info.finalize_arg = hub;
    info.options = LWS_SERVER_OPTION_VALIDATE_UTF8 | LWS_SERVER_OPTION_DISABLE_IPV6;
    info.keepalive_timeout = 5;
    /* A connection holds one of lws's header tables from its accept until its request headers
     * are read; lws closes it when this many seconds pass first (its own default is 10). */
    info.timeout_secs_ah_idle = (hub->cfg.handshake_timeout_ms + 999) / 1000;
    info.retry_and_idle_policy = &no_validity_policy;
    if (hub->cfg.deflate)
        info.extensions = wsc__hub_deflate_exts; /* hub_deflate.c */
    if (hub->cfg.tls_cert != NULL) {
        info.options |= LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
        info.ssl_cert_filepath = hub->cfg.tls_cert;
        info.ssl_private_key_filepath = hub->cfg.tls_key;
    }
    hub->vh = lws_create_vhost(wsc__loop_lws(hub->loop), &info);
    if (hub->vh == NULL) {
        wsc__errtext_set(&hub->last_error, "cannot listen on %s:%d", hub->cfg.host, hub->cfg.port);
        return WSC_ERR_IO;
    }
    hub->vh_created = true;
    hub->port = lws_get_vhost_listen_port(hub->vh);
    return WSC_OK;
}

/* Writes a close frame (1001) to every registered connection and asks lws to drop it on its
 * next turn, so that peers learn at once that the hub is gone: the vhost alone would drop
 * them later and silently, and lws sends no close frame for a killed wsi.  The frame is
 * written raw (in order after anything lws still buffers) since no WRITEABLE will come;
 * except to a connection lws is still writing a compressed message to (hub_deflate.c). */
static void
close_sockets(wsc_hub *hub)
{
    static const char why[] = "hub freed";
    unsigned char buf[LWS_PRE + 4 + sizeof(why)], *f = buf + LWS_PRE;
    f[0] = 0x88; /* FIN + close */
    f[1] = (unsigned char)(2 + sizeof(why) - 1);
    f[2] = 1001 >> 8;
    f[3] = 1001 & 0xff;
    memcpy(f + 4, why, sizeof(why) - 1);
    struct wsc_list *pos;
    wsc_list_foreach(pos, &hub->conns) {
        wsc_conn *c = wsc_container_of(pos, wsc_conn, all_link);
        if (c->wsi == NULL)
            continue;
        /* Mid-way through a compressed message lws would take the frame for its next
         * fragment: that peer sees the connection end without a close frame. */
        if (!wsc__hub_deflate_busy(c))
            lws_write(c->wsi, f, 4 + sizeof(why) - 1, LWS_WRITE_RAW);
        lws_set_timeout(c->wsi, PENDING_TIMEOUT_USER_OK, LWS_TO_KILL_ASYNC);
    }
}

static void
hub_destroy(wsc_hub *hub)
{
    wsc__cluster_close(hub);        /* nothing from other nodes from here on */
    wsc__hub_store_check_stop(hub); /* before the layer closes an own store */
    wsc__rel_free(hub); /* completions of pending ACK sends run first, while the hub is whole */
    if (hub->loop != NULL && hub->vh != NULL) {
        /* Callbacks first, while the hub is whole; then lws closes the sockets at leisure
         * without reaching us (freeing). */
        close_sockets(hub);
        wsc__hub_conns_drop_all(hub);
    }
    hub->freeing = true;
    /* Sends posted from other threads, now dropped; answers posted for the next turn
     * (wsc_hub_publish), now WSC_ERR_CANCELED, whose callbacks may still answer an HTTP
     * request: the requests go only after them. */
    if (hub->loop != NULL)
        wsc__loop_drain(hub->loop);
    if (hub->loop != NULL && hub->vh != NULL)
        wsc__hub_http_abandon_all(hub);
    wsc__timer_stop(&hub->sweep);
    wsc__timer_stop(&hub->drain_deadline);
    wsc__hub_cork_free(hub);
    wsc__metrics_stop(hub);
    wsc__hub_groups_free(hub);
    wsc__hmap_clear(&hub->users);
    wsc__hmap_clear(&hub->conns_by_id);
    wsc__hmap_clear(&hub->groups);
    wsc__hub_refs_flush(&hub->refs); /* last: nothing after it drops a message */
    wsc_loop *loop = hub->loop;
    bool own_loop = hub->own_loop;
    struct lws_vhost *vh = hub->vh;
    hub->vh = NULL;
    if (loop != NULL)
        wsc__loop_detach(loop);
    /* From here on hub may be freed at any moment (vhost_finalize): do not touch it. */
    if (vh != NULL)
        lws_vhost_destroy(vh);
    else
        hub_release(hub);
    if (own_loop)
        wsc_loop_free(loop);
}

wsc_err
wsc_hub_new(wsc_hub **out, const wsc_hub_config *cfg)
{
    if (out == NULL || cfg == NULL)
        return WSC_ERR_INVALID;
    *out = NULL;
    char why[128];
    wsc_err err = wsc__hub_config_check(cfg, why, sizeof(why));
    if (err != WSC_OK)
        return err;
    wsc_hub *hub = wsc__calloc(1, sizeof(*hub));
    if (hub == NULL)
        return WSC_ERR_NOMEM;
    wsc__hmap_init(&hub->users);
    wsc__hmap_init(&hub->conns_by_id);
    wsc__hmap_init(&hub->groups);
    wsc_list_init(&hub->user_order);
    wsc_list_init(&hub->conns);
    wsc_list_init(&hub->http_reqs);
    wsc__hmap_init(&hub->hs_ips);
    wsc__hmap_init(&hub->ip_conns);
    wsc__hmap_init(&hub->hs_wsis);
    wsc_list_init(&hub->hs_marks);
    hub->ready = true;
    hub->started_ms = wsc__now_ms();
    char random_node[WSC__PROTO_ID_MAX];
    err = wsc__hub_ids_init(hub, random_node, sizeof(random_node));
    if (err == WSC_OK)
        err = copy_config(hub, cfg, random_node);
    if (err != WSC_OK)
        goto fail;
    wsc__logger_init(&hub->log, &hub->cfg.log, "hub");
    hub->wbuf = wsc__malloc(LWS_PRE + WSC_HUB_WBUF);
    if (hub->wbuf == NULL) {
        err = WSC_ERR_NOMEM;
        goto fail;
    }
    hub->loop = cfg->loop;
    if (hub->loop == NULL) {
        err = wsc_loop_new(&hub->loop);
        if (err != WSC_OK)
            goto fail;
        hub->own_loop = true;
    }
    wsc__loop_attach(hub->loop);
    wsc__timer_init(&hub->sweep, hub->loop, NULL);
    wsc__hub_cork_init(hub);
    wsc__hub_refs_init(&hub->refs, hub->loop);
    wsc__timer_init(&hub->drain_deadline, hub->loop, NULL);
    wsc__timer_init(&hub->store_check, hub->loop, NULL);
    wsc__metrics_init(hub);
    err = wsc__rel_new(hub);
    if (err != WSC_OK)
        goto fail;
    err = create_vhost(hub);
    if (err == WSC_OK)
        err = wsc__cluster_open(hub);
    if (err != WSC_OK)
        goto fail;
    wsc__hub_sweep_start(hub);
    wsc__hub_store_check_start(hub);
    wsc__log(&hub->log, WSC_LOG_INFO, "hub_listen", "s:host,i:port,s:path,s:node", hub->cfg.host,
             hub->port, hub->cfg.ws_path, hub->cfg.node_id);
    *out = hub;
    return WSC_OK;
fail:
    hub_destroy(hub);
    return err;
}

void
wsc_hub_free(wsc_hub *hub)
{
    if (hub == NULL)
        return;
    hub_destroy(hub);
}

wsc_err
wsc_hub_run(wsc_hub *hub)
{
    if (hub == NULL)
        return WSC_ERR_INVALID;
    if (hub->stopped)
        return WSC_OK;
    return wsc_loop_run(hub->loop);
}

bool
wsc_hub_is_stopped(const wsc_hub *hub)
{
    return hub != NULL && hub->stopped;
}

wsc_loop *
wsc_hub_loop(wsc_hub *hub)
{
    return hub ? hub->loop : NULL;
}

int
wsc_hub_port(const wsc_hub *hub)
{
    return hub ? hub->port : -1;
}

const char *
wsc_hub_node_id(const wsc_hub *hub)
{
    return hub ? hub->cfg.node_id : NULL;
}

const char *
wsc_hub_last_error(const wsc_hub *hub)
{
    return hub ? hub->last_error.text : "no hub";
}

void
wsc_hub_set_ready(wsc_hub *hub, bool ready)
{
    if (hub != NULL)
        hub->ready = ready;
}
