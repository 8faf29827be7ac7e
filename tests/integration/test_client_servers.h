/* SPDX-License-Identifier: MIT */
/* Misbehaving test servers for the client's integration tests, all on the test's wsc_loop:
 * - ts_ws: an lws WebSocket server (vhost on 127.0.0.1, port 0) whose behaviour per connection
 *   the test sets: echo, close with a code, drop the TCP connection, send canned frames, answer
 *   receipts; it records attempt times, headers and every text frame it received.
 * - ts_raw: a raw TCP server that reads the upgrade request and answers it by hand: an HTTP
 *   refusal (401, 503) or a valid 101 after which it never reads or writes again (a peer that
 *   stops answering pings while TCP stays open).
 * Plus the loop-driving helpers and a callback recorder for wsc_client.  Header-only, static
 * inline functions: each test file includes it once. */
#ifndef WSC_TEST_CLIENT_SERVERS_H
#define WSC_TEST_CLIENT_SERVERS_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <libwebsockets.h>

#include <wsc/client.h>
#include <wsc/loop.h>
#include <wsc/msg.h>

#include "loop/loop.h"

#define TS_MAX 64

/* ---- driving the loop ---------------------------------------------------------------- */

typedef bool (*ts_cond_fn)(void *arg);

/* Runs the loop until cond(arg) or timeout_ms; returns cond(arg).  Never sleeps. */
static inline bool
ts_run_until(wsc_loop *loop, ts_cond_fn cond, void *arg, uint64_t timeout_ms)
{
    uint64_t end = wsc__now_ms() + timeout_ms;
    while (!cond(arg) && wsc__now_ms() < end)
        wsc_loop_run_once(loop, 10);
    return cond(arg);
}

/* Runs the loop for ms (to show that something does NOT happen). */
static inline void
ts_run_for(wsc_loop *loop, uint64_t ms)
{
    uint64_t end = wsc__now_ms() + ms;
    while (wsc__now_ms() < end)
        wsc_loop_run_once(loop, 10);
}

struct ts_ge {
    const volatile int *value;
    int target;
};

static inline bool
ts_ge_cond(void *arg)
{
    struct ts_ge *g = arg;
    return *g->value >= g->target;
}

/* Runs until *value >= target. */
static inline bool
ts_wait_ge(wsc_loop *loop, const volatile int *value, int target, uint64_t timeout_ms)
{
    struct ts_ge g = {value, target};
    return ts_run_until(loop, ts_ge_cond, &g, timeout_ms);
}

/* ---- recording a client's callbacks -------------------------------------------------- */

struct ts_rec {
    int connected, connect_errors, disconnected, reconnecting, closed, texts, messages, sent,
        failed, receipts, refreshes;
    int last_http_status;
    wsc_err last_connect_err;
    int disc_codes[TS_MAX];
    unsigned attempts[TS_MAX];
    uint64_t delays[TS_MAX];
    int close_code;
    char text[TS_MAX][256];
    char msg_ids[TS_MAX][64];
    uint64_t sent_ids[TS_MAX], failed_ids[TS_MAX];
    wsc_err failed_reason[TS_MAX];
    wsc_err receipt_status;
    char receipt_hub_status[32];
    const char *refresh_token; /* set by the token refresh callback */
    bool free_on_text;         /* frees the client inside on_text */
};

static inline void
ts_on_connected(wsc_client *c, void *user)
{
    (void)c;
    ((struct ts_rec *)user)->connected++;
}

static inline void
ts_on_connect_error(wsc_client *c, wsc_err err, int status, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    struct ts_rec *r = user;
    r->connect_errors++;
    r->last_http_status = status;
    r->last_connect_err = err;
}

static inline void
ts_on_disconnected(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    struct ts_rec *r = user;
    if (r->disconnected < TS_MAX)
        r->disc_codes[r->disconnected] = code;
    r->disconnected++;
}

static inline void
ts_on_reconnecting(wsc_client *c, unsigned attempt, uint64_t delay_ms, void *user)
{
    (void)c;
    struct ts_rec *r = user;
    if (r->reconnecting < TS_MAX) {
        r->attempts[r->reconnecting] = attempt;
        r->delays[r->reconnecting] = delay_ms;
    }
    r->reconnecting++;
}

static inline void
ts_on_close(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    struct ts_rec *r = user;
    r->closed++;
    r->close_code = code;
}

static inline void
ts_on_text(wsc_client *c, const char *text, size_t len, void *user)
{
    struct ts_rec *r = user;
    if (r->texts < TS_MAX)
        snprintf(r->text[r->texts], sizeof(r->text[0]), "%.*s", (int)len, text);
    r->texts++;
    if (r->free_on_text)
        wsc_client_free(c);
}

static inline void
ts_on_message(wsc_client *c, wsc_msg *msg, void *user)
{
    (void)c;
    struct ts_rec *r = user;
    const char *id = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    if (r->messages < TS_MAX)
        snprintf(r->msg_ids[r->messages], sizeof(r->msg_ids[0]), "%s", id ? id : "");
    r->messages++;
}

static inline void
ts_on_sent(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len, void *user)
{
    (void)c;
    (void)msg;
    (void)data;
    (void)len;
    struct ts_rec *r = user;
    if (r->sent < TS_MAX)
        r->sent_ids[r->sent] = id;
    r->sent++;
}

static inline void
ts_on_send_failed(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len,
                  wsc_err reason, void *user)
{
    (void)c;
    (void)msg;
    (void)data;
    (void)len;
    struct ts_rec *r = user;
    if (r->failed < TS_MAX) {
        r->failed_ids[r->failed] = id;
        r->failed_reason[r->failed] = reason;
    }
    r->failed++;
}

static inline void
ts_on_receipt(wsc_client *c, uint64_t id, const wsc_msg *msg, wsc_err status,
              const char *hub_status, void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    struct ts_rec *r = user;
    r->receipts++;
    r->receipt_status = status;
    snprintf(r->receipt_hub_status, sizeof(r->receipt_hub_status), "%s",
             hub_status ? hub_status : "");
}

static inline void
ts_on_token_refresh(wsc_client *c, void *user)
{
    struct ts_rec *r = user;
    r->refreshes++;
    if (r->refresh_token != NULL)
        wsc_client_set_token(c, r->refresh_token);
}

/* A config with every recorder callback, short delays and the given url. */
static inline void
ts_client_config(wsc_client_config *cfg, wsc_loop *loop, const char *url, struct ts_rec *rec)
{
    wsc_client_config_init(cfg);
    cfg->url = url;
    cfg->loop = loop;
    cfg->reconnect.min_delay_ms = 50;
    cfg->reconnect.max_delay_ms = 200;
    cfg->on_connected = ts_on_connected;
    cfg->on_connect_error = ts_on_connect_error;
    cfg->on_disconnected = ts_on_disconnected;
    cfg->on_reconnecting = ts_on_reconnecting;
    cfg->on_close = ts_on_close;
    cfg->on_text = ts_on_text;
    cfg->on_message = ts_on_message;
    cfg->on_sent = ts_on_sent;
    cfg->on_send_failed = ts_on_send_failed;
    cfg->on_receipt = ts_on_receipt;
    cfg->user = rec;
}

/* ---- ts_ws: the lws WebSocket test server --------------------------------------------- */

/* What the server does with connection number n (0-based). */
struct ts_ws_plan {
    int close_code;         /* close right after the upgrade with this code (0: no) */
    bool drop_tcp;          /* shut the TCP connection down right after the upgrade */
    bool echo;              /* echo every text frame */
    const char *frames[8];  /* sent right after the upgrade, in order */
    int ack_receipts_after; /* answer {"ack"} for require_ack frames from the Nth copy on */
    const char *ack_status; /* data.status of those answers */
};

struct ts_ws {
    struct lws_vhost *vh;
    int port;
    struct ts_ws_plan plan[TS_MAX]; /* per connection number; the last used one repeats */
    int plans;
    volatile int conns, established;
    uint64_t attempt_ms[TS_MAX];
    char auth[TS_MAX][256];
    char args[TS_MAX][256];
    char proto[TS_MAX][64];
    volatile int received;
    char rx[128][512];  /* text frames received, in order (first 511 bytes) */
    volatile int acks;  /* ack frames received */
    struct lws *last;   /* the last connection that opened */
    int kick_code;      /* ts_ws_kick(): close the last connection with this code */
    int receipt_copies; /* require_ack frames seen */
};

struct ts_ws_pss {
    int n;
    int next_frame;
    bool closing, answered;
    char reply[16][256]; /* replies waiting for WRITEABLE, a ring */
    unsigned rhead, rtail;
};

static inline void
ts_ws_reply(struct ts_ws_pss *pss, const char *text, size_t len)
{
    if (pss->rtail - pss->rhead < 16)
        snprintf(pss->reply[pss->rtail++ % 16], sizeof(pss->reply[0]), "%.*s", (int)len, text);
}

static inline const struct ts_ws_plan *
ts_ws_plan_for(struct ts_ws *s, int n)
{
    static const struct ts_ws_plan echo_plan = {.echo = true};
    if (s->plans == 0)
        return &echo_plan;
    return &s->plan[n < s->plans ? n : s->plans - 1];
}

static inline int
ts_ws_write(struct lws *wsi, const char *text)
{
    size_t len = strlen(text);
    unsigned char *buf = malloc(LWS_PRE + len + 1);
    memcpy(buf + LWS_PRE, text, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    free(buf);
    return n < 0 ? -1 : 0;
}

static inline void
ts_ws_record_rx(struct ts_ws *s, struct ts_ws_pss *pss, const struct ts_ws_plan *p, const char *in,
                size_t len)
{
    if (s->received < 128)
        snprintf(s->rx[s->received], sizeof(s->rx[0]), "%.*s", (int)len, in);
    s->received++;
    if (getenv("TS_DEBUG"))
        fprintf(stderr, "server rx: %.*s\n", (int)len, in);
    if (s->received <= 128 && strstr(s->rx[s->received - 1], "\"message_type\":\"ack\"") != NULL)
        s->acks++;
    if (s->received <= 128 && strstr(s->rx[s->received - 1], "\"require_ack\":true") != NULL) {
        s->receipt_copies++;
        const char *mid = strstr(s->rx[s->received - 1], "\"message_id\":\"");
        if (p->ack_receipts_after > 0 && s->receipt_copies >= p->ack_receipts_after && mid) {
            char id[64];
            sscanf(mid + 14, "%63[^\"]", id);
            char ack[256];
            snprintf(
                ack, sizeof(ack),
                "{\"message_type\":\"ack\",\"message_id\":\"%s\",\"data\":{\"status\":\"%s\"}}", id,
                p->ack_status ? p->ack_status : "delivered");
            ts_ws_reply(pss, ack, strlen(ack));
        }
    }
}

static inline void
ts_ws_established(struct ts_ws *s, struct lws *wsi, struct ts_ws_pss *pss)
{
    pss->n = s->established++;
    s->last = wsi;
    const struct ts_ws_plan *p = ts_ws_plan_for(s, pss->n);
    if (p->drop_tcp) {
        shutdown(lws_get_socket_fd(wsi), SHUT_RDWR);
        return;
    }
    if (p->close_code != 0)
        pss->closing = true;
    lws_callback_on_writable(wsi);
}

static inline int
ts_ws_writeable(struct ts_ws *s, struct lws *wsi, struct ts_ws_pss *pss)
{
    const struct ts_ws_plan *p = ts_ws_plan_for(s, pss->n);
    if (p->frames[pss->next_frame] != NULL && pss->next_frame < 8) {
        if (ts_ws_write(wsi, p->frames[pss->next_frame++]) < 0)
            return -1;
        lws_callback_on_writable(wsi);
        return 0;
    }
    if (pss->closing || (wsi == s->last && s->kick_code != 0)) {
        int code = pss->closing ? p->close_code : s->kick_code;
        s->kick_code = 0;
        unsigned char bye[] = "bye";
        lws_close_reason(wsi, (enum lws_close_status)code, bye, 3);
        return -1;
    }
    if (pss->rhead != pss->rtail) {
        int r = ts_ws_write(wsi, pss->reply[pss->rhead++ % 16]);
        if (pss->rhead != pss->rtail)
            lws_callback_on_writable(wsi);
        return r;
    }
    return 0;
}

static inline void
ts_ws_filter(struct ts_ws *s, struct lws *wsi)
{
    int n = s->conns++;
    if (n >= TS_MAX)
        return;
    s->attempt_ms[n] = wsc__now_ms();
    s->auth[n][0] = s->args[n][0] = s->proto[n][0] = '\0';
    lws_hdr_copy(wsi, s->auth[n], sizeof(s->auth[n]), WSI_TOKEN_HTTP_AUTHORIZATION);
    lws_hdr_copy(wsi, s->args[n], sizeof(s->args[n]), WSI_TOKEN_HTTP_URI_ARGS);
    lws_hdr_copy(wsi, s->proto[n], sizeof(s->proto[n]), WSI_TOKEN_PROTOCOL);
}

static inline int
ts_ws_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct ts_ws *s = lws_get_vhost_user(lws_get_vhost(wsi));
    struct ts_ws_pss *pss = user;
    switch (reason) {
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        ts_ws_filter(s, wsi);
        return 0;
    case LWS_CALLBACK_ESTABLISHED:
        ts_ws_established(s, wsi, pss);
        return 0;
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return ts_ws_writeable(s, wsi, pss);
    case LWS_CALLBACK_CLOSED:
        if (wsi == s->last)
            s->last = NULL;
        return 0;
    case LWS_CALLBACK_RECEIVE: {
        const struct ts_ws_plan *p = ts_ws_plan_for(s, pss->n);
        ts_ws_record_rx(s, pss, p, in, len);
        if (p->echo && len < sizeof(pss->reply[0]))
            ts_ws_reply(pss, in, len);
        if (pss->rhead != pss->rtail)
            lws_callback_on_writable(wsi);
        return 0;
    }
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols ts_ws_protocols[] = {
    {"wsc.v1", ts_ws_cb, sizeof(struct ts_ws_pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

/* Closes the last opened connection with code (from the server side). */
static inline void
ts_ws_kick(struct ts_ws *s, int code)
{
    s->kick_code = code;
    lws_callback_on_writable(s->last);
}

/* Starts the server; cert/key (PEM files) make it a wss:// server. */
static inline bool
ts_ws_start(struct ts_ws *s, wsc_loop *loop, const char *cert, const char *key)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.vhost_name = "ts-ws";
    info.port = 0;
    info.iface = "127.0.0.1";
    info.protocols = ts_ws_protocols;
    info.user = s;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.ssl_cert_filepath = cert;
    info.ssl_private_key_filepath = key;
    s->vh = lws_create_vhost(wsc__loop_lws(loop), &info);
    if (s->vh == NULL)
        return false;
    s->port = lws_get_vhost_listen_port(s->vh);
    return s->port > 0;
}

/* ---- ts_raw: a hand-written HTTP/WebSocket peer --------------------------------------- */

struct ts_raw {
    struct wsc__handler listen_h, conn_h;
    int port;
    int status; /* answer with this HTTP status; 0: a valid 101, then silence */
    volatile int conns;
    uint64_t attempt_ms[TS_MAX];
    char req[2048];
    size_t req_len;
};

static inline void
ts_raw_answer(struct ts_raw *s, struct lws *wsi)
{
    char resp[512];
    int n;
    if (s->status != 0) {
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 %d Refused\r\nContent-Type: application/json\r\n"
                     "Content-Length: 20\r\nConnection: close\r\n\r\n{\"error\":\"refused\"}\n",
                     s->status);
    } else {
        const char *k = strstr(s->req, "Sec-WebSocket-Key: ");
        if (k == NULL)
            k = strstr(s->req, "sec-websocket-key: ");
        char key[64] = "", cat[128], acc[64];
        unsigned char sha[SHA_DIGEST_LENGTH];
        if (k != NULL)
            sscanf(k + 19, "%63[^\r\n]", key);
        snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
        SHA1((const unsigned char *)cat, strlen(cat), sha);
        lws_b64_encode_string((const char *)sha, SHA_DIGEST_LENGTH, acc, sizeof(acc));
        n = snprintf(resp, sizeof(resp),
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n"
                     "Sec-WebSocket-Protocol: wsc.v1\r\n\r\n",
                     acc);
    }
    unsigned char buf[LWS_PRE + 512];
    memcpy(buf + LWS_PRE, resp, (size_t)n);
    lws_write(wsi, buf + LWS_PRE, (size_t)n, LWS_WRITE_RAW);
}

static inline int
ts_raw_conn_cb(struct wsc__handler *h, struct lws *wsi, enum lws_callback_reasons reason, void *in,
               size_t len)
{
    struct ts_raw *s = (struct ts_raw *)(void *)((char *)h - offsetof(struct ts_raw, conn_h));
    if (reason != LWS_CALLBACK_RAW_RX)
        return 0;
    if (s->req_len + len >= sizeof(s->req))
        return -1;
    memcpy(s->req + s->req_len, in, len);
    s->req_len += len;
    s->req[s->req_len] = '\0';
    if (strstr(s->req, "\r\n\r\n") == NULL)
        return 0;
    ts_raw_answer(s, wsi);
    s->req_len = 0;
    if (s->status != 0)
        return -1;
    /* Stop reading: pings pile up unanswered in the socket buffer. */
    lws_rx_flow_control(wsi, 0);
    return 0;
}

static inline int
ts_raw_listen_cb(struct wsc__handler *h, struct lws *wsi, enum lws_callback_reasons reason,
                 void *in, size_t len)
{
    (void)in;
    (void)len;
    struct ts_raw *s = (struct ts_raw *)(void *)((char *)h - offsetof(struct ts_raw, listen_h));
    if (reason != LWS_CALLBACK_RAW_RX_FILE)
        return 0;
    int fd = accept4(lws_get_socket_fd(wsi), NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0)
        return 0;
    if (s->conns < TS_MAX)
        s->attempt_ms[s->conns] = wsc__now_ms();
    s->conns++;
    s->req_len = 0;
    lws_adopt_desc_t ad;
    memset(&ad, 0, sizeof(ad));
    ad.vh = lws_get_vhost(wsi);
    ad.type = LWS_ADOPT_SOCKET;
    ad.fd.sockfd = fd;
    ad.vh_prot_name = "wsc-loop";
    ad.opaque = &s->conn_h;
    lws_adopt_descriptor_vhost_via_info(&ad);
    return 0;
}

static inline bool
ts_raw_start(struct ts_raw *s, wsc_loop *loop, int status)
{
    memset(s, 0, sizeof(*s));
    s->status = status;
    s->listen_h.cb = ts_raw_listen_cb;
    s->conn_h.cb = ts_raw_conn_cb;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&sa, &sl) != 0)
        return false;
    s->port = ntohs(sa.sin_port);
    lws_adopt_desc_t ad;
    memset(&ad, 0, sizeof(ad));
    ad.vh = wsc__loop_vhost(loop);
    ad.type = LWS_ADOPT_RAW_FILE_DESC;
    ad.fd.filefd = fd;
    ad.vh_prot_name = "wsc-loop";
    ad.opaque = &s->listen_h;
    return lws_adopt_descriptor_vhost_via_info(&ad) != NULL;
}

#endif
