/* SPDX-License-Identifier: MIT */
/* wsc-hub: the standalone server.  Reads the config (file, then flags), starts a hub with
 * the HTTP API and demo page attached, logs JSON lines on stderr, reloads the config on
 * SIGHUP (reload.c), and shuts down gracefully on SIGINT/SIGTERM: the first signal drains and
 * closes every connection with 1001, a second one closes at once. */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "app_log.h"
#include "config.h"
#include "reload.h"
#include "webhook.h"

/* Stop signals (SIGINT, SIGTERM) and reload signals (SIGHUP) seen so far, and the loop the
 * handler wakes.  The loop is written before the handlers are installed and only read by
 * them; the counters are only incremented by them and read on the loop thread. */
static volatile sig_atomic_t g_signals;
static volatile sig_atomic_t g_reloads;
static wsc_loop *g_loop;

/* What the loop thread needs to run and reload the server. */
typedef struct server {
    wsc_hubd_config cfg; /* the running configuration (replaced by a reload) */
    int argc;
    const char *const *argv;
    wsc_hubd_api api;
    wsc_hub *hub;
} server;

static void
on_signal(int sig)
{
    if (sig == SIGHUP)
        g_reloads = g_reloads < 1000000 ? g_reloads + 1 : 1;
    else if (g_signals < 8)
        g_signals++;
    /* wsc_loop_stop() only stores a flag and writes to lws's wake-up pipe: both are safe in
     * a signal handler.  The real work (wsc_hub_stop, reload) happens on the loop thread in
     * run(). */
    if (g_loop != NULL)
        wsc_loop_stop(g_loop);
}

static void
install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

static void
announce(const wsc_hubd_config *cfg, wsc_hub *hub)
{
    const char *scheme = cfg->tls_cert != NULL ? "https" : "http";
    bool v6 = strchr(cfg->host, ':') != NULL;
    char url[300];
    snprintf(url, sizeof(url), "%s://%s%s%s:%d/", scheme, v6 ? "[" : "", cfg->host, v6 ? "]" : "",
             wsc_hub_port(hub));
    wsc_hubd_log(cfg->log_level, WSC_LOG_INFO, "listening",
                 json_pack("{s:s, s:s, s:s, s:s}", "url", url, "ws_path", cfg->ws_path, "node_id",
                           wsc_hub_node_id(hub), "version", wsc_version()));
    if (cfg->insecure_user_id)
        wsc_hubd_log(
            cfg->log_level, WSC_LOG_WARN, "insecure_user_id",
            json_pack("{s:s}", "msg", "?user_id= is trusted as identity (demos and tests only)"));
    if (cfg->insecure_api)
        wsc_hubd_log(cfg->log_level, WSC_LOG_WARN, "insecure_api",
                     json_pack("{s:s}", "msg", "/api is served without a key (demos only)"));
    else if (cfg->api_key == NULL && cfg->api_keys == NULL)
        wsc_hubd_log(cfg->log_level, WSC_LOG_INFO, "api_disabled",
                     json_pack("{s:s}", "msg", "no api_key is configured: /api answers 401"));
    printf("wsc-hub listening on %s (demo page), ws path %s\n", url, cfg->ws_path);
    fflush(stdout);
}

/* Reads the configuration again and applies it (SIGHUP), on the loop thread.  A file that
 * cannot be read or parsed, or a value the hub refuses, keeps the running configuration
 * entirely. */
static void
reload(server *srv)
{
    wsc_hubd_config next;
    json_t *kept = NULL;
    char err[512] = "";
    wsc_err e =
        wsc_hubd_config_reload(&srv->cfg, srv->argc, srv->argv, &next, &kept, err, sizeof(err));
    if (e == WSC_OK && (e = wsc_hubd_config_apply(&srv->cfg, &next, srv->hub, &srv->api, err,
                                                  sizeof(err))) != WSC_OK)
        wsc_hubd_config_free(&next);
    if (e != WSC_OK) {
        wsc_hubd_log(
            srv->cfg.log_level, WSC_LOG_ERROR, "config_reload_failed",
            json_pack("{s:s, s:s}", "error", err, "msg", "the running configuration is kept"));
        json_decref(kept);
        return;
    }
    /* From here on srv->cfg is the new configuration, log level included. */
    if (json_array_size(kept) > 0)
        wsc_hubd_log(
            srv->cfg.log_level, WSC_LOG_WARN, "config_kept",
            json_pack("{s:o, s:s}", "keys", kept, "msg",
                      "these keys change only with a restart: their running values are kept"));
    else
        json_decref(kept);
    static const char *const levels[] = {"default", "debug", "info", "warn", "error", "off"};
    wsc_hubd_log(srv->cfg.log_level, WSC_LOG_INFO, "config_reloaded",
                 json_pack("{s:s, s:I}", "log_level", levels[srv->cfg.log_level],
                           "max_message_size", (json_int_t)srv->cfg.max_message_size));
}

/* Runs until the hub has stopped.  The loop is main's (the store shares it), so the hub's
 * stop does not end it: the loop runs one round at a time (a signal interrupts the wait).
 * The first stop signal starts the graceful stop, a second gives up on draining; SIGHUP
 * reloads the configuration (not during a shutdown). */
static int
run(server *srv)
{
    const wsc_hubd_config *cfg = &srv->cfg;
    wsc_hub *hub = srv->hub;
    int handled = 0, reloads = 0;
    wsc_loop *loop = wsc_hub_loop(hub);
    while (!wsc_hub_is_stopped(hub)) {
        wsc_err e = wsc_loop_run_once(loop, 250);
        if (e != WSC_OK) {
            wsc_hubd_log(cfg->log_level, WSC_LOG_ERROR, "loop_failed",
                         json_pack("{s:s}", "error", wsc_strerror(e)));
            return 1;
        }
        int asked = g_reloads;
        if (asked != reloads && handled == 0)
            reload(srv);
        reloads = asked;
        int seen = g_signals;
        if (seen > handled && handled == 0) {
            wsc_hubd_log(cfg->log_level, WSC_LOG_INFO, "shutdown_start",
                         json_pack("{s:I}", "timeout_ms", (json_int_t)cfg->shutdown_timeout_ms));
            wsc_hub_stop(hub);
        } else if (seen > handled) {
            wsc_hubd_log(cfg->log_level, WSC_LOG_WARN, "shutdown_forced",
                         json_pack("{s:s}", "msg", "second signal: closing at once"));
            return 0;
        }
        handled = seen;
    }
    wsc_hubd_log(cfg->log_level, WSC_LOG_INFO, "stopped", NULL);
    return 0;
}

/* Opens the configured store on loop (a memory store when no URL is given).
 *  Prints why it cannot and returns non-zero. */
static int
open_store(const wsc_hubd_config *cfg, wsc_loop *loop, wsc_store **store)
{
    const char *url = wsc_hubd_config_store_url(cfg);
    *store = NULL;
    bool hybrid = wsc_hubd_config_is_hybrid(cfg);
    /* Without a URL, a memory store of our own: it gets the configured bounds too. */
    wsc_err e = hybrid ? wsc_store_open_hybrid(loop, cfg->redis_url, cfg->mysql_url, &cfg->store,
                                               NULL, store)
                       : wsc_store_open(loop, url != NULL ? url : "memory:", &cfg->store, store);
    if (e == WSC_OK) {
        wsc_hubd_log(cfg->log_level, WSC_LOG_INFO, "store_open",
                     json_pack("{s:s}", "backend", wsc_store_backend(*store)));
        return 0;
    }
    const char *which = hybrid                  ? "hybrid"
                        : url == NULL           ? "memory"
                        : url == cfg->mysql_url ? "mysql"
                                                : "redis";
    if (e == WSC_ERR_UNSUPPORTED)
        fprintf(stderr, "wsc-hub: %s:// is not supported by this build of wsc\n", which);
    else
        fprintf(stderr, "wsc-hub: cannot open the %s store: %s\n", which, wsc_strerror(e));
    wsc_hubd_log(cfg->log_level, WSC_LOG_ERROR, "start_failed",
                 json_pack("{s:s, s:s}", "error", wsc_strerror(e), "store", which));
    return 1;
}

/* Runs the hub on hcfg's loop and store until it stops. */
static int
serve_hub(server *srv, wsc_hub_config *hcfg)
{
    const wsc_hubd_config *cfg = &srv->cfg;
    wsc_hubd_api_configure(&srv->api, cfg);
    wsc_hubd_api_attach(hcfg, &srv->api);

    wsc_hub *hub = NULL;
    wsc_err e = wsc_hub_new(&hub, hcfg);
    if (e != WSC_OK) {
        wsc_hubd_log(cfg->log_level, WSC_LOG_ERROR, "start_failed",
                     json_pack("{s:s, s:s}", "error", wsc_strerror(e), "detail",
                               hub != NULL ? wsc_hub_last_error(hub) : ""));
        if (e == WSC_ERR_IO) /* binding the listener, or resolving the cluster's Redis host */
            fprintf(stderr,
                    "wsc-hub: cannot start: cannot listen on %s:%d (in use, or not "
                    "allowed) or the Redis host does not resolve\n",
                    hcfg->host, hcfg->port);
        else
            fprintf(stderr, "wsc-hub: cannot start: %s\n", wsc_strerror(e));
        wsc_hub_free(hub);
        return 1;
    }
    srv->hub = hub;
    g_loop = wsc_hub_loop(hub);
    install_signals();
    announce(cfg, hub);
    int rc = run(srv);
    wsc_hub_free(hub);
    srv->hub = NULL;
    return rc;
}

static int
serve(server *srv)
{
    const wsc_hubd_config *cfg = &srv->cfg;
    wsc_hub_config hcfg;
    wsc_hubd_config_to_hub(cfg, &hcfg);
    wsc_loop *loop = NULL;
    wsc_store *store = NULL;
    wsc_loop_config lcfg;
    wsc_loop_config_init(&lcfg);
    lcfg.max_handshakes = cfg->max_handshakes;
    if (wsc_loop_new_ex(&loop, &lcfg) != WSC_OK) {
        fprintf(stderr, "wsc-hub: cannot create the event loop\n");
        return 1;
    }
    if (open_store(cfg, loop, &store) != 0) {
        wsc_loop_free(loop);
        return 1;
    }
    hcfg.loop = loop;
    hcfg.store = store;
    /* The alert webhook's worker runs even without a URL, so a reload can set one. */
    if (wsc_hubd_webhook_new(&srv->api.webhook) != WSC_OK) {
        fprintf(stderr, "wsc-hub: cannot start the alert webhook's thread\n");
        wsc_store_close(store);
        wsc_loop_free(loop);
        return 1;
    }
    int rc = serve_hub(srv, &hcfg);
    wsc_hubd_webhook_free(srv->api.webhook);
    srv->api.webhook = NULL;
    wsc_store_close(store);
    wsc_loop_free(loop);
    return rc;
}

int
main(int argc, char **argv)
{
    server srv;
    memset(&srv, 0, sizeof(srv));
    srv.argc = argc;
    srv.argv = (const char *const *)argv;
    wsc_hubd_config *cfg = &srv.cfg;
    char err[512] = "";
    if (wsc_hubd_config_init(cfg) != WSC_OK) {
        fprintf(stderr, "wsc-hub: out of memory\n");
        return 1;
    }
    wsc_err e = wsc_hubd_config_parse_args(cfg, argc, srv.argv, err, sizeof(err));
    int rc = 0;
    if (e == WSC_OK && cfg->help)
        wsc_hubd_config_usage(stdout);
    else if (e == WSC_OK && cfg->version)
        printf("wsc-hub %s\n", wsc_version());
    else if (e == WSC_OK && (e = wsc_hubd_config_check(cfg, err, sizeof(err))) == WSC_OK)
        rc = serve(&srv);
    if (e != WSC_OK) {
        fprintf(stderr, "wsc-hub: %s\n", err);
        rc = 2;
    }
    wsc_hubd_config_free(cfg);
    return rc;
}
