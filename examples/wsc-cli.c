/* SPDX-License-Identifier: MIT */
/* wsc-cli: a websocat-like client on wsc_client.  Each stdin line is sent as one text frame (in
 * order, queued while disconnected); each received text frame is printed on its own line on
 * stdout; connection events go to stderr.  Exits 0 once stdin has ended and the queue has
 * drained, 1 when the server closes for good (or reconnecting gives up), 2 on bad usage.
 * stdin is adopted into the client's loop as a raw descriptor: no blocking read, no thread. */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libwebsockets.h>

#include <wsc/client.h>

#include "loop/loop.h"

struct cli {
    struct wsc__handler stdin_h;
    wsc_client *c;
    struct lws *stdin_wsi;
    char line[65536];
    size_t line_len;
    char pending[65536]; /* a line refused with QUEUE_FULL, sent again after on_sent */
    size_t pending_len;
    bool has_pending, stdin_done, we_closed, verbose;
    int exit_code;
};

static void
maybe_finish(struct cli *cli)
{
    if (cli->stdin_done && !cli->has_pending && wsc_client_queue_count(cli->c) == 0 &&
        !cli->we_closed && wsc_client_state_get(cli->c) != WSC_CLIENT_CLOSED) {
        cli->we_closed = true;
        wsc_client_close(cli->c, 1000, "stdin closed");
    }
}

/* Sends one line; false when the queue is full (the line is kept and stdin paused). */
static bool
send_line(struct cli *cli, const char *text, size_t len)
{
    wsc_err err = wsc_client_send_text(cli->c, text, len, NULL);
    if (err == WSC_ERR_QUEUE_FULL) {
        memcpy(cli->pending, text, len);
        cli->pending_len = len;
        cli->has_pending = true;
        if (cli->stdin_wsi != NULL)
            lws_rx_flow_control(cli->stdin_wsi, 0);
        return false;
    }
    if (err != WSC_OK)
        fprintf(stderr, "wsc-cli: line not sent: %s\n", wsc_strerror(err));
    return true;
}

static void
feed(struct cli *cli, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n') {
            size_t len = cli->line_len;
            if (len > 0 && cli->line[len - 1] == '\r')
                len--;
            cli->line_len = 0;
            if (!send_line(cli, cli->line, len) && i + 1 < n)
                fprintf(stderr, "wsc-cli: queue full, input dropped after one line\n");
            if (cli->has_pending)
                return;
        } else if (cli->line_len < sizeof(cli->line) - 1) {
            cli->line[cli->line_len++] = buf[i];
        }
    }
}

static void
stdin_ended(struct cli *cli)
{
    if (cli->stdin_done)
        return;
    if (cli->line_len > 0) /* a last line without '\n' */
        send_line(cli, cli->line, cli->line_len);
    cli->line_len = 0;
    cli->stdin_done = true;
    maybe_finish(cli);
}

static int
stdin_cb(struct wsc__handler *h, struct lws *wsi, enum lws_callback_reasons reason, void *in,
         size_t len)
{
    (void)in;
    (void)len;
    struct cli *cli = (struct cli *)(void *)h;
    if (cli->c == NULL)
        return 0; /* the client is being freed: its loop closes stdin */
    if (reason == LWS_CALLBACK_RAW_CLOSE_FILE) {
        /* lws closes a descriptor that hung up (POLLHUP) without a last RX: also the end. */
        cli->stdin_wsi = NULL;
        stdin_ended(cli);
        return 0;
    }
    if (reason != LWS_CALLBACK_RAW_RX_FILE)
        return 0;
    char buf[4096];
    ssize_t n = read(lws_get_socket_fd(wsi), buf, sizeof(buf));
    if (n < 0 && (errno == EAGAIN || errno == EINTR))
        return 0;
    if (n <= 0) {
        stdin_ended(cli);
        return -1; /* lws closes the descriptor */
    }
    feed(cli, buf, (size_t)n);
    return 0;
}

static void
on_connected(wsc_client *c, void *user)
{
    (void)c;
    (void)user;
    fprintf(stderr, "connected\n");
}

static void
on_connect_error(wsc_client *c, wsc_err err, int status, const char *reason, void *user)
{
    (void)c;
    struct cli *cli = user;
    if (cli->verbose || status != 0)
        fprintf(stderr, "connect failed: %s (http %d) %s\n", wsc_err_name(err), status, reason);
}

static void
on_disconnected(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    (void)user;
    fprintf(stderr, "disconnected code=%d reason=%s\n", code, reason);
}

static void
on_reconnecting(wsc_client *c, unsigned attempt, uint64_t delay_ms, void *user)
{
    (void)c;
    (void)user;
    fprintf(stderr, "reconnecting attempt=%u delay_ms=%llu\n", attempt,
            (unsigned long long)delay_ms);
}

static void
on_close(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    struct cli *cli = user;
    fprintf(stderr, "closed code=%d%s%s\n", code, reason[0] ? " reason=" : "", reason);
    cli->exit_code = cli->we_closed ? 0 : 1;
}

static void
on_text(wsc_client *c, const char *text, size_t len, void *user)
{
    (void)c;
    (void)user;
    fwrite(text, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
}

static void
on_sent(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len, void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    (void)data;
    (void)len;
    struct cli *cli = user;
    if (cli->has_pending) {
        cli->has_pending = false;
        if (send_line(cli, cli->pending, cli->pending_len) && cli->stdin_wsi != NULL)
            lws_rx_flow_control(cli->stdin_wsi, 1);
    }
    maybe_finish(cli);
}

static void
on_send_failed(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len,
               wsc_err reason, void *user)
{
    (void)c;
    (void)msg;
    (void)data;
    struct cli *cli = user;
    if (cli->verbose)
        fprintf(stderr, "not sent: frame %llu (%zu bytes): %s\n", (unsigned long long)id, len,
                wsc_strerror(reason));
}

static int
usage(void)
{
    fprintf(stderr,
            "usage: wsc-cli [--token T] [--user-id U] [--client-id C] [--no-reconnect]\n"
            "               [--no-auto-ack] [--dedupe-window N] [--ca-file F] [--insecure]\n"
            "               [-v] URL\n");
    return 2;
}

/* Appends name=value to the url's query (ids are expected to be URL-safe). */
static void
add_query(char *url, size_t cap, const char *name, const char *value)
{
    size_t n = strlen(url);
    snprintf(url + n, cap - n, "%s%s=%s", strchr(url, '?') ? "&" : "?", name, value);
}

static int
parse_args(int argc, char **argv, wsc_client_config *cfg, char *url, size_t cap, bool *verbose)
{
    const char *user_id = NULL, *client_id = NULL, *target = NULL;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        bool has_value = i + 1 < argc;
        if (strcmp(a, "--token") == 0 && has_value)
            cfg->token = argv[++i];
        else if (strcmp(a, "--user-id") == 0 && has_value)
            user_id = argv[++i];
        else if (strcmp(a, "--client-id") == 0 && has_value)
            client_id = argv[++i];
        else if (strcmp(a, "--ca-file") == 0 && has_value)
            cfg->ca_file = argv[++i];
        else if (strcmp(a, "--insecure") == 0 || strcmp(a, "-k") == 0)
            cfg->insecure_skip_verify = true;
        else if (strcmp(a, "--no-reconnect") == 0)
            cfg->reconnect.enabled = false;
        else if (strcmp(a, "--no-auto-ack") == 0)
            cfg->auto_ack = false;
        else if (strcmp(a, "--dedupe-window") == 0 && has_value) {
            char *end;
            unsigned long long n = strtoull(argv[++i], &end, 10);
            if (*argv[i] == '\0' || *argv[i] == '-' || *end != '\0' || n > 100000000ull)
                return usage(); /* message ids remembered: 0 (off) to 100,000,000 */
            cfg->dedupe_window = (size_t)n;
        } else if (strcmp(a, "-v") == 0)
            *verbose = true;
        else if (a[0] != '-' && target == NULL)
            target = a;
        else
            return usage();
    }
    if (target == NULL || strlen(target) >= cap - 256)
        return usage();
    snprintf(url, cap, "%s", target);
    if (user_id != NULL)
        add_query(url, cap, "user_id", user_id);
    if (client_id != NULL)
        add_query(url, cap, "client_id", client_id);
    cfg->url = url;
    return 0;
}

static bool
adopt_stdin(struct cli *cli)
{
    int fl = fcntl(0, F_GETFL);
    if (fl >= 0)
        fcntl(0, F_SETFL, fl | O_NONBLOCK);
    lws_adopt_desc_t ad;
    memset(&ad, 0, sizeof(ad));
    ad.vh = wsc__loop_vhost(wsc_client_loop(cli->c));
    ad.type = LWS_ADOPT_RAW_FILE_DESC;
    ad.fd.filefd = 0;
    ad.vh_prot_name = "wsc-loop";
    ad.opaque = &cli->stdin_h;
    cli->stdin_wsi = lws_adopt_descriptor_vhost_via_info(&ad);
    return cli->stdin_wsi != NULL;
}

int
main(int argc, char **argv)
{
    static struct cli cli; /* large line buffers: not on the stack */
    char url[4096];
    wsc_client_config cfg;
    wsc_client_config_init(&cfg);
    int r = parse_args(argc, argv, &cfg, url, sizeof(url), &cli.verbose);
    if (r != 0)
        return r;
    cfg.log.level = cli.verbose ? WSC_LOG_DEBUG : WSC_LOG_DEFAULT;
    cfg.on_connected = on_connected;
    cfg.on_connect_error = on_connect_error;
    cfg.on_disconnected = on_disconnected;
    cfg.on_reconnecting = on_reconnecting;
    cfg.on_close = on_close;
    cfg.on_text = on_text;
    cfg.on_sent = on_sent;
    cfg.on_send_failed = on_send_failed;
    cfg.user = &cli;
    cli.stdin_h.cb = stdin_cb;
    cli.exit_code = 1;
    wsc_err err = wsc_client_new(&cli.c, &cfg);
    if (err != WSC_OK) {
        fprintf(stderr, "wsc-cli: %s: %s\n", url, wsc_strerror(err));
        return 2;
    }
    if (!adopt_stdin(&cli)) {
        fprintf(stderr, "wsc-cli: cannot watch stdin\n");
        wsc_client_free(cli.c);
        return 2;
    }
    wsc_client_connect(cli.c);
    wsc_client_run(cli.c);
    wsc_client *c = cli.c;
    cli.c = NULL;
    wsc_client_free(c);
    return cli.exit_code;
}
