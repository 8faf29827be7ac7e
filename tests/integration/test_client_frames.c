/* SPDX-License-Identifier: MIT */
/* The client's receive path against a scripted server (a plain socket on the test's thread
 * that answers the upgrade by hand, then writes exactly the frames a test gives it and decodes
 * every frame the client sends): a binary message goes to on_binary whole; a text message in
 * fragments larger than the first receive buffer (4 KiB) reaches on_text once, whole; a hub
 * frame with require_ack is ACKed with its sender, and ACKed again when it comes twice, but
 * the application sees it once; `ack` frames without message_id, or for nothing the client
 * waits for, change nothing, and one without a status ends the receipt as "delivered"; an
 * unsolicited pong is harmless; a close frame without a status code is reported as 1005
 * (RFC 6455 7.1.5), and the client closes for good when reconnecting is off.  And the upgrade
 * request: a token in the query is percent-encoded, in the header it is a Bearer, extra headers
 * go along; a 403 answer is reported as WSC_ERR_FORBIDDEN with its status.  Also: control frames
 * are neither ACKed nor de-duplicated, ACK frames have their own bound, receipts end out of
 * order, on close, and when out of memory; receipt resends across a dropped connection; out of
 * memory anywhere on the receive path. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <openssl/sha.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>
#include <libwebsockets.h>

#include <wsc/wsc.h>

#include "models/alloc.h"
#include "tnet.h"
#include "tpeer.h"
#include "tws.h"

/* ---- the scripted server -------------------------------------------------------------- */

struct srv {
    int lfd, fd, port;
    bool upgraded;
    int refuse;     /* answer the upgrade with this HTTP status instead (0: 101) */
    char req[2048]; /* the upgrade request as received */
    tnet_buf in, out;
    char frames[32][256]; /* the client's text frames, unmasked */
    int opcodes[32];
    size_t n_frames;
    bool close_answered;
};

static void
srv_start(struct srv *s)
{
    memset(s, 0, sizeof(*s));
    s->fd = -1;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(s->lfd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(s->lfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(listen(s->lfd, 4), 0);
    assert_int_equal(getsockname(s->lfd, (struct sockaddr *)&sa, &sl), 0);
    s->port = ntohs(sa.sin_port);
}

static void
srv_free(struct srv *s)
{
    if (s->fd >= 0)
        close(s->fd);
    close(s->lfd);
    tnet_buf_free(&s->in);
    tnet_buf_free(&s->out);
}

/* Drops the connection (TCP close, no close frame); the next one is accepted afresh.  What is
 * queued after this goes out right behind the next 101. */
static void
srv_drop(struct srv *s)
{
    close(s->fd);
    s->fd = -1;
    s->upgraded = false;
    s->close_answered = false;
    tnet_buf_free(&s->in);
    tnet_buf_free(&s->out);
}

/* Queues one unmasked frame to the client. */
static void
srv_frame(struct srv *s, int opcode, bool fin, const void *data, size_t len)
{
    size_t need = tws_frame_encode(NULL, 0, opcode, fin, NULL, data, len);
    uint8_t *p = tnet_buf_reserve(&s->out, need);
    assert_non_null(p);
    assert_int_equal(tws_frame_encode(p, need, opcode, fin, NULL, data, len), need);
    s->out.len += need;
}

static void
srv_text(struct srv *s, const char *text)
{
    srv_frame(s, TWS_OP_TEXT, true, text, strlen(text));
}

static void
srv_answer_upgrade(struct srv *s)
{
    char *req = (char *)tnet_buf_begin(&s->in);
    char *end = strstr(req, "\r\n\r\n");
    snprintf(s->req, sizeof(s->req), "%.*s", (int)(end - req), req);
    if (s->refuse != 0) {
        char resp[128];
        snprintf(resp, sizeof(resp),
                 "HTTP/1.1 %d Refused\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                 s->refuse);
        tnet_buf_free(&s->out);
        assert_int_equal(tnet_buf_append_str(&s->out, resp), 0);
        tnet_buf_consume(&s->in, tnet_buf_size(&s->in));
        s->upgraded = true;
        return;
    }
    const char *k = strcasestr(req, "Sec-WebSocket-Key: ");
    assert_non_null(k);
    char key[64] = "", cat[128], acc[64], resp[512];
    sscanf(k + 19, "%63[^\r\n]", key);
    snprintf(cat, sizeof(cat), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    unsigned char sha[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)cat, strlen(cat), sha);
    lws_b64_encode_string((const char *)sha, SHA_DIGEST_LENGTH, acc, sizeof(acc));
    snprintf(resp, sizeof(resp),
             "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Accept: %s\r\nSec-WebSocket-Protocol: wsc.v1\r\n\r\n",
             acc);
    tnet_buf out = {0};
    assert_int_equal(tnet_buf_append_str(&out, resp), 0);
    assert_int_equal(tnet_buf_append(&out, tnet_buf_begin(&s->out), tnet_buf_size(&s->out)), 0);
    tnet_buf_free(&s->out);
    s->out = out;
    tnet_buf_consume(&s->in, (size_t)(end + 4 - req));
    s->upgraded = true;
}

/* Accepts, reads, answers the upgrade, writes what is queued, decodes the client's frames. */
static void
srv_pump(struct srv *s)
{
    if (s->fd < 0) {
        s->fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (s->fd < 0)
            return;
    }
    bool eof = false;
    if (tnet_read(s->fd, &s->in, &eof) != 0)
        return;
    if (!s->upgraded) {
        if (tnet_buf_append(&s->in, "", 1) != 0)
            return;
        s->in.len--;
        if (strstr((const char *)tnet_buf_begin(&s->in), "\r\n\r\n") == NULL)
            return;
        srv_answer_upgrade(s);
    }
    (void)tnet_flush(s->fd, &s->out);
    for (;;) {
        tws_frame f;
        ssize_t n = tws_frame_decode(tnet_buf_begin(&s->in), tnet_buf_size(&s->in), &f);
        if (n <= 0)
            break;
        if (s->n_frames < 32) {
            size_t len = f.payload_len < 255 ? (size_t)f.payload_len : 255;
            memcpy(s->frames[s->n_frames], f.payload, len);
            s->frames[s->n_frames][len] = '\0';
            s->opcodes[s->n_frames] = f.opcode;
            s->n_frames++;
        }
        if (f.opcode == TWS_OP_CLOSE && !s->close_answered) {
            /* Answer the client's close with the same payload (RFC 6455 5.5.1). */
            s->close_answered = true;
            srv_frame(s, TWS_OP_CLOSE, true, f.payload, (size_t)f.payload_len);
            (void)tnet_flush(s->fd, &s->out);
        }
        tnet_buf_consume(&s->in, (size_t)n);
    }
}

/* ---- the client ----------------------------------------------------------------------- */

struct rec {
    size_t connect_errors;
    wsc_err connect_err;
    int http_status;
    size_t connected, texts, binaries, messages, disconnected, closed, receipts;
    int disc_code, close_code;
    size_t last_text_len;
    char last_text[64];
    unsigned char bin[16];
    size_t bin_len;
    wsc_err receipt_err;
    char receipt_status[32];
    size_t sent;
    bool free_on_receipt; /* wsc_client_free() inside on_receipt */
};

static void
on_connected(wsc_client *c, void *user)
{
    (void)c;
    ((struct rec *)user)->connected++;
}

static void
on_text(wsc_client *c, const char *text, size_t len, void *user)
{
    (void)c;
    struct rec *r = user;
    r->texts++;
    r->last_text_len = len;
    snprintf(r->last_text, sizeof(r->last_text), "%.*s", (int)(len < 63 ? len : 63), text);
}

static void
on_binary(wsc_client *c, const void *data, size_t len, void *user)
{
    (void)c;
    struct rec *r = user;
    r->binaries++;
    r->bin_len = len;
    memcpy(r->bin, data, len < sizeof(r->bin) ? len : sizeof(r->bin));
}

static void
on_message(wsc_client *c, wsc_msg *msg, void *user)
{
    (void)c;
    (void)msg;
    ((struct rec *)user)->messages++;
}

static void
on_disconnected(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    struct rec *r = user;
    r->disconnected++;
    r->disc_code = code;
}

static void
on_close(wsc_client *c, int code, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    struct rec *r = user;
    r->closed++;
    r->close_code = code;
}

static void
on_receipt(wsc_client *c, uint64_t id, const wsc_msg *msg, wsc_err status, const char *hub_status,
           void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    struct rec *r = user;
    r->receipts++;
    r->receipt_err = status;
    snprintf(r->receipt_status, sizeof(r->receipt_status), "%s", hub_status ? hub_status : "");
    if (r->free_on_receipt)
        wsc_client_free(c);
}

static void
on_sent(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len, void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    (void)data;
    (void)len;
    ((struct rec *)user)->sent++;
}

static void
on_connect_error(wsc_client *c, wsc_err err, int http_status, const char *reason, void *user)
{
    (void)c;
    (void)reason;
    struct rec *r = user;
    r->connect_errors++;
    r->connect_err = err;
    r->http_status = http_status;
}

struct fx {
    wsc_loop *loop;
    struct srv srv;
    struct rec rec;
    wsc_client *c;
};

static void on_connect_error(wsc_client *c, wsc_err err, int http_status, const char *reason,
                             void *user);

/* Changes a test makes to the fixture's configuration before the client is created. */
typedef void (*fx_tweak)(wsc_client_config *cfg);

static void
fx_start_tweaked(struct fx *f, const char *token, bool in_query, int refuse, fx_tweak tweak)
{
    memset(f, 0, sizeof(*f));
    assert_int_equal(wsc_loop_new(&f->loop), WSC_OK);
    srv_start(&f->srv);
    f->srv.refuse = refuse;
    char url[96];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?user_id=u1", f->srv.port);
    wsc_client_config cfg;
    wsc_client_config_init(&cfg);
    cfg.url = url;
    cfg.loop = f->loop;
    cfg.reconnect.enabled = false;
    cfg.log.level = WSC_LOG_ERROR;
    cfg.on_connected = on_connected;
    cfg.on_text = on_text;
    cfg.on_binary = on_binary;
    cfg.on_message = on_message;
    cfg.on_disconnected = on_disconnected;
    cfg.on_close = on_close;
    cfg.on_receipt = on_receipt;
    cfg.on_connect_error = on_connect_error;
    cfg.token = token;
    cfg.token_in_query = in_query;
    cfg.token_in_header = !in_query;
    static const wsc_client_header headers[] = {{"X-Trace", "t-1"}};
    cfg.headers = headers;
    cfg.header_count = 1;
    cfg.user = &f->rec;
    if (tweak != NULL)
        tweak(&cfg);
    assert_int_equal(wsc_client_new(&f->c, &cfg), WSC_OK);
    assert_int_equal(wsc_client_connect(f->c), WSC_OK);
}

static void
fx_start_with(struct fx *f, const char *token, bool in_query, int refuse)
{
    fx_start_tweaked(f, token, in_query, refuse, NULL);
}

static void
fx_start(struct fx *f)
{
    fx_start_with(f, NULL, false, 0);
}

static void
fx_free(struct fx *f)
{
    wsc_client_free(f->c);
    for (int i = 0; i < 5; i++)
        wsc_loop_run_once(f->loop, 0);
    wsc_loop_free(f->loop);
    srv_free(&f->srv);
}

/* Pumps the loop and the server until *counter >= n or ms pass. */
static bool
wait_ge(struct fx *f, const size_t *counter, size_t n, int ms)
{
    uint64_t end = tpeer_now_ms() + (uint64_t)ms;
    while (*counter < n && tpeer_now_ms() < end) {
        wsc_loop_run_once(f->loop, 5);
        srv_pump(&f->srv);
    }
    return *counter >= n;
}

static void
run_for(struct fx *f, int ms)
{
    uint64_t end = tpeer_now_ms() + (uint64_t)ms;
    while (tpeer_now_ms() < end) {
        wsc_loop_run_once(f->loop, 5);
        srv_pump(&f->srv);
    }
}

static void
test_client_frames__binary_fragments_and_close_without_status(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    /* What the server says right after the 101, in this order. */
    srv_frame(&f.srv, TWS_OP_PONG, true, "p", 1); /* unsolicited: ignored */
    srv_frame(&f.srv, TWS_OP_BINARY, true, "\x01\x02\x03", 3);
    static char big[10000];
    memset(big, 'a', sizeof(big));
    memcpy(big + sizeof(big) - 3, "END", 3);
    srv_frame(&f.srv, TWS_OP_TEXT, false, big, 3000);
    srv_frame(&f.srv, TWS_OP_CONT, false, big + 3000, 3000);
    srv_frame(&f.srv, TWS_OP_CONT, true, big + 6000, sizeof(big) - 6000);
    srv_frame(&f.srv, TWS_OP_CLOSE, true, NULL, 0);
    assert_true(wait_ge(&f, &f.rec.closed, 1, 3000));
    assert_int_equal(f.rec.connected, 1);
    assert_int_equal(f.rec.binaries, 1);
    assert_int_equal(f.rec.bin_len, 3);
    assert_memory_equal(f.rec.bin, "\x01\x02\x03", 3);
    assert_int_equal(f.rec.texts, 1); /* the fragments, once and whole */
    assert_int_equal(f.rec.last_text_len, sizeof(big));
    assert_int_equal(f.rec.disconnected, 1);
    assert_int_equal(f.rec.disc_code, 1005);
    assert_int_equal(f.rec.close_code, 1005);
    assert_int_equal(wsc_client_state_get(f.c), WSC_CLIENT_CLOSED);
    fx_free(&f);
}

/* The first client frame of type ack at or after index from, or -1. */
static int
find_ack(const struct srv *s, size_t from, const char *needle)
{
    for (size_t i = from; i < s->n_frames; i++)
        if (strstr(s->frames[i], "\"message_type\":\"ack\"") != NULL &&
            strstr(s->frames[i], needle) != NULL)
            return (int)i;
    return -1;
}

static void
test_client_frames__auto_ack_dedupe_and_receipts(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));

    /* A message to ACK, twice (the hub resends when an ACK is lost): ACKed both times with
     * its sender, handed to the application once. */
    static const char hub_msg[] = "{\"message_type\":\"text\",\"message_id\":\"h1\","
                                  "\"sender\":\"bob\",\"content\":\"hi\",\"require_ack\":true}";
    srv_text(&f.srv, hub_msg);
    srv_text(&f.srv, hub_msg);
    srv_text(&f.srv, "not json at all"); /* text only */
    run_for(&f, 0);
    size_t before = f.srv.n_frames;
    uint64_t end = tpeer_now_ms() + 3000;
    while (f.srv.n_frames < before + 2 && tpeer_now_ms() < end)
        run_for(&f, 10);
    int a1 = find_ack(&f.srv, 0, "\"message_id\":\"h1\"");
    assert_true(a1 >= 0);
    assert_non_null(strstr(f.srv.frames[a1], "\"sender\":\"bob\""));
    assert_true(find_ack(&f.srv, (size_t)a1 + 1, "\"message_id\":\"h1\"") > a1);
    assert_true(wait_ge(&f, &f.rec.texts, 2, 2000));
    run_for(&f, 30);
    assert_int_equal(f.rec.messages, 1);
    assert_int_equal(f.rec.texts, 2);
    assert_string_equal(f.rec.last_text, "not json at all");

    /* A send with require_ack waits for its receipt; acks that name nothing it waits for, or
     * nothing at all, change nothing; one without a status ends it as delivered. */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "mine"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, "c1"), WSC_OK);
    assert_int_equal(wsc_msg_set_require_ack(m, true), WSC_OK);
    assert_int_equal(wsc_client_send_msg(f.c, m, NULL), WSC_OK);
    wsc_msg_unref(m);
    end = tpeer_now_ms() + 3000;
    while (wsc_client_receipts_pending(f.c) == 0 && tpeer_now_ms() < end)
        run_for(&f, 10);
    assert_int_equal(wsc_client_receipts_pending(f.c), 1);
    srv_text(&f.srv, "{\"message_type\":\"ack\",\"data\":{\"status\":\"delivered\"}}");
    srv_text(&f.srv, "{\"message_type\":\"ack\",\"message_id\":\"other\"}");
    run_for(&f, 50);
    assert_int_equal(f.rec.receipts, 0);
    assert_int_equal(wsc_client_receipts_pending(f.c), 1);
    srv_text(&f.srv, "{\"message_type\":\"ack\",\"message_id\":\"c1\"}");
    assert_true(wait_ge(&f, &f.rec.receipts, 1, 2000));
    assert_int_equal(f.rec.receipt_err, WSC_OK);
    assert_string_equal(f.rec.receipt_status, "delivered");
    assert_int_equal(wsc_client_receipts_pending(f.c), 0);
    fx_free(&f);
}

/* The token goes in the query percent-encoded (unreserved characters as they are), or in the
 * Authorization header; extra headers go along. */
static void
test_client_frames__token_in_query_and_header(void **state)
{
    (void)state;
    struct fx f;
    fx_start_with(&f, "a b/c+d~_.-Z9", true, 0);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    assert_non_null(strstr(f.srv.req, "GET /ws?user_id=u1&token=a%20b%2Fc%2Bd~_.-Z9 HTTP/1.1"));
    assert_null(strcasestr(f.srv.req, "authorization:"));
    assert_non_null(strcasestr(f.srv.req, "x-trace: t-1"));
    fx_free(&f);

    fx_start_with(&f, "tok-2", false, 0);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    assert_non_null(strcasestr(f.srv.req, "authorization: Bearer tok-2"));
    assert_null(strstr(f.srv.req, "token="));
    fx_free(&f);
}

/* A 403 refusal: on_connect_error with WSC_ERR_FORBIDDEN and the status; with reconnecting off
 * the client closes for good. */
static void
test_client_frames__forbidden(void **state)
{
    (void)state;
    struct fx f;
    fx_start_with(&f, NULL, false, 403);
    assert_true(wait_ge(&f, &f.rec.closed, 1, 3000));
    assert_int_equal(f.rec.connect_errors, 1);
    assert_int_equal(f.rec.connect_err, WSC_ERR_FORBIDDEN);
    assert_int_equal(f.rec.http_status, 403);
    assert_int_equal(f.rec.connected, 0);
    assert_int_equal(wsc_client_state_get(f.c), WSC_CLIENT_CLOSED);
    fx_free(&f);
}

static void
no_binary_cb(wsc_client_config *cfg)
{
    cfg->on_binary = NULL;
}

/* Frames with the given substring the client sent. */
static size_t
count_frames(const struct srv *s, const char *needle)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_frames; i++)
        n += strstr(s->frames[i], needle) != NULL;
    return n;
}

/* Control frames (connected, pong, error, kick_out) are neither ACKed nor de-duplicated, even
 * with a message_id and require_ack; a message_id that cannot key the window (empty) is handed
 * over each time; an empty text frame reaches on_text with length 0; a binary frame without
 * on_binary is dropped and what follows still arrives. */
static void
test_client_frames__control_frames_and_odd_texts(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, no_binary_cb);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    static const char *const types[] = {"connected", "pong", "error", "kick_out"};
    char frame[160];
    for (size_t i = 0; i < 4; i++) {
        snprintf(frame, sizeof(frame),
                 "{\"message_type\":\"%s\",\"message_id\":\"k1\",\"sender\":\"hub\","
                 "\"require_ack\":true}",
                 types[i]);
        srv_text(&f.srv, frame);
        srv_text(&f.srv, frame);
    }
    static const char no_id[] = "{\"message_type\":\"text\",\"message_id\":\"\",\"content\":\"e\"}";
    srv_text(&f.srv, no_id);
    srv_text(&f.srv, no_id);
    srv_frame(&f.srv, TWS_OP_BINARY, true, "\x01", 1);
    srv_text(&f.srv, "");
    assert_true(wait_ge(&f, &f.rec.texts, 11, 3000));
    run_for(&f, 50);
    assert_int_equal(f.rec.texts, 11);
    assert_int_equal(f.rec.last_text_len, 0);
    assert_int_equal(f.rec.messages, 10);
    assert_int_equal(f.rec.binaries, 0);
    assert_int_equal(count_frames(&f.srv, "\"message_type\":\"ack\""), 0);
    assert_int_equal(wsc_client_state_get(f.c), WSC_CLIENT_CONNECTED);
    fx_free(&f);
}

/* Sends a message with require_ack and the given message_id. */
static void
send_for_receipt(struct fx *f, const char *id)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "mine"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, id), WSC_OK);
    assert_int_equal(wsc_msg_set_require_ack(m, true), WSC_OK);
    assert_int_equal(wsc_client_send_msg(f->c, m, NULL), WSC_OK);
    wsc_msg_unref(m);
}

/* Runs until n receipts are pending (their frames were written). */
static bool
wait_pending(struct fx *f, size_t n, int ms)
{
    uint64_t end = tpeer_now_ms() + (uint64_t)ms;
    while (wsc_client_receipts_pending(f->c) != n && tpeer_now_ms() < end)
        run_for(f, 5);
    return wsc_client_receipts_pending(f->c) == n;
}

/* Two receipts answered out of order: the older one ends first with the hub's status, the
 * other stays open.  A close ends it with WSC_ERR_CLOSED; sends after wsc_client_close(),
 * while the close handshake is still under way, are refused with WSC_ERR_CLOSED. */
static void
test_client_frames__receipts_out_of_order_then_close(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    send_for_receipt(&f, "c1");
    send_for_receipt(&f, "c2");
    assert_true(wait_pending(&f, 2, 3000));
    srv_text(&f.srv,
             "{\"message_type\":\"ack\",\"message_id\":\"c1\",\"data\":{\"status\":\"stored\"}}");
    assert_true(wait_ge(&f, &f.rec.receipts, 1, 3000));
    assert_int_equal(f.rec.receipt_err, WSC_OK);
    assert_string_equal(f.rec.receipt_status, "stored");
    assert_int_equal(wsc_client_receipts_pending(f.c), 1);

    assert_int_equal(wsc_client_close(f.c, 1000, "done"), WSC_OK);
    assert_int_equal(wsc_client_state_get(f.c), WSC_CLIENT_CONNECTED);
    assert_int_equal(wsc_client_send_text(f.c, "late", 4, NULL), WSC_ERR_CLOSED);
    wsc_msg *late = NULL;
    assert_int_equal(wsc_msg_new_text(&late, "text", "late"), WSC_OK);
    assert_int_equal(wsc_client_send_msg(f.c, late, NULL), WSC_ERR_CLOSED);
    wsc_msg_unref(late);
    assert_int_equal(wsc_client_queue_count(f.c), 0);
    assert_true(wait_ge(&f, &f.rec.closed, 1, 3000));
    assert_int_equal(f.rec.close_code, 1000);
    assert_int_equal(f.rec.receipts, 2);
    assert_int_equal(f.rec.receipt_err, WSC_ERR_CLOSED);
    assert_string_equal(f.rec.receipt_status, "");
    assert_int_equal(wsc_client_receipts_pending(f.c), 0);
    assert_int_equal(count_frames(&f.srv, "late"), 0);
    fx_free(&f);
}

static void
no_receipt_cb(wsc_client_config *cfg)
{
    cfg->on_receipt = NULL;
}

/* Without on_receipt a receipt still ends when the hub answers. */
static void
test_client_frames__receipt_without_callback(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, no_receipt_cb);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    send_for_receipt(&f, "c1");
    assert_true(wait_pending(&f, 1, 3000));
    srv_text(&f.srv, "{\"message_type\":\"ack\",\"message_id\":\"c1\"}");
    assert_true(wait_pending(&f, 0, 3000));
    /* No memory to track the next one (same size: writing it allocates nothing else). */
    send_for_receipt(&f, "c2");
    wsc__alloc_fail_nth(1);
    assert_true(wait_ge(&f, &f.srv.n_frames, 2, 3000));
    assert_false(wsc__alloc_fail_armed());
    wsc__alloc_fail_nth(0);
    assert_int_equal(wsc_client_receipts_pending(f.c), 0);
    assert_int_equal(count_frames(&f.srv, "\"message_id\":\"c2\""), 1);
    assert_int_equal(f.rec.receipts, 0);
    fx_free(&f);
}

/* Out of memory on the receive path, at every allocation in turn (parse, the ACK, the
 * de-duplication window): each hub message still reaches on_text exactly once and the
 * connection stays up; once memory is back the message is ACKed. */
static void
test_client_frames__receive_out_of_memory(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    /* Same-size frames and ACKs throughout: the receive and send buffers are sized by the
     * first one, so the sweep below only meets the allocations of one message. */
    static const char fmt[] = "{\"message_type\":\"text\",\"message_id\":\"h%04ld\","
                              "\"sender\":\"bob\",\"content\":\"x\",\"require_ack\":true}";
    char frame[160];
    snprintf(frame, sizeof(frame), fmt, 0L);
    srv_text(&f.srv, frame);
    assert_true(wait_ge(&f, &f.srv.n_frames, 1, 3000)); /* its ACK */
    assert_int_equal(f.rec.texts, 1);
    long n = 1;
    for (; n < 100; n++) {
        snprintf(frame, sizeof(frame), fmt, n);
        wsc__alloc_fail_nth(n);
        srv_text(&f.srv, frame);
        assert_true(wait_ge(&f, &f.rec.texts, (size_t)n + 1, 3000));
        bool fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        assert_int_equal(f.rec.texts, (size_t)n + 1);
        assert_int_equal(wsc_client_state_get(f.c), WSC_CLIENT_CONNECTED);
        if (!fired)
            break;
    }
    assert_true(n > 3 && n < 100);
    char id[32];
    snprintf(id, sizeof(id), "\"message_id\":\"h%04ld\"", n);
    uint64_t end = tpeer_now_ms() + 3000;
    while (find_ack(&f.srv, 0, id) < 0 && tpeer_now_ms() < end)
        run_for(&f, 5);
    assert_true(find_ack(&f.srv, 0, id) >= 0);
    fx_free(&f);
}

/* No memory for the first receive buffer: the connection is given up (no half message reaches
 * the application) and, with reconnecting off, the client closes. */
static void
test_client_frames__receive_buffer_out_of_memory(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    wsc__alloc_fail_nth(1);
    srv_text(&f.srv, "hello");
    assert_true(wait_ge(&f, &f.rec.closed, 1, 3000));
    assert_false(wsc__alloc_fail_armed());
    wsc__alloc_fail_nth(0);
    assert_int_equal(f.rec.texts, 0);
    assert_int_equal(f.rec.disconnected, 1);
    assert_int_equal(wsc_client_state_get(f.c), WSC_CLIENT_CLOSED);
    fx_free(&f);
}

/* No memory to track a receipt when its message is written: the message still goes out and
 * on_receipt reports WSC_ERR_NOMEM at once (it runs once for every require_ack send). */
static void
test_client_frames__receipt_out_of_memory(void **state)
{
    (void)state;
    struct fx f;
    fx_start(&f);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    /* A larger frame first sizes the send buffer, so writing the next one allocates nothing. */
    static char pad[300];
    memset(pad, 'p', sizeof(pad));
    assert_int_equal(wsc_client_send_text(f.c, pad, sizeof(pad), NULL), WSC_OK);
    assert_true(wait_ge(&f, &f.srv.n_frames, 1, 3000));
    send_for_receipt(&f, "c1");
    wsc__alloc_fail_nth(1);
    assert_true(wait_ge(&f, &f.rec.receipts, 1, 3000));
    assert_false(wsc__alloc_fail_armed());
    wsc__alloc_fail_nth(0);
    assert_int_equal(f.rec.receipt_err, WSC_ERR_NOMEM);
    assert_int_equal(wsc_client_receipts_pending(f.c), 0);
    assert_true(wait_ge(&f, &f.srv.n_frames, 2, 3000));
    assert_int_equal(count_frames(&f.srv, "\"message_id\":\"c1\""), 1);
    /* A late answer for it changes nothing. */
    srv_text(&f.srv, "{\"message_type\":\"ack\",\"message_id\":\"c1\"}");
    assert_true(wait_ge(&f, &f.rec.texts, 1, 3000));
    assert_int_equal(f.rec.receipts, 1);
    fx_free(&f);
}

static void
with_on_sent(wsc_client_config *cfg)
{
    cfg->on_sent = on_sent;
}

/* The application frees the client in that on_receipt (WSC_ERR_NOMEM): on_sent does not run
 * for the frame afterwards, nor does anything else. */
static void
test_client_frames__free_in_receipt_out_of_memory(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, with_on_sent);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    static char pad[300];
    memset(pad, 'p', sizeof(pad));
    assert_int_equal(wsc_client_send_text(f.c, pad, sizeof(pad), NULL), WSC_OK);
    assert_true(wait_ge(&f, &f.rec.sent, 1, 3000));
    send_for_receipt(&f, "c1");
    f.rec.free_on_receipt = true;
    wsc__alloc_fail_nth(1);
    assert_true(wait_ge(&f, &f.rec.receipts, 1, 3000));
    wsc__alloc_fail_nth(0);
    f.c = NULL; /* freed by on_receipt */
    assert_int_equal(f.rec.receipt_err, WSC_ERR_NOMEM);
    run_for(&f, 50);
    assert_int_equal(f.rec.sent, 1);
    assert_int_equal(f.rec.receipts, 1);
    assert_int_equal(f.rec.closed, 0);
    fx_free(&f);
}

static void
quick_resend(wsc_client_config *cfg)
{
    cfg->ack_timeout_ms = 100;
    cfg->ack_max_retries = 5;
}

/* No memory for a receipt resend when its timer fires: the resend waits for the next timeout
 * instead of being lost; the receipt stays open and ends when the hub answers. */
static void
test_client_frames__resend_out_of_memory(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, quick_resend);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    send_for_receipt(&f, "c1");
    assert_true(wait_pending(&f, 1, 3000));
    assert_true(wait_ge(&f, &f.srv.n_frames, 1, 3000));
    wsc__alloc_fail_nth(1); /* the timer's resend */
    assert_true(wait_ge(&f, &f.srv.n_frames, 2, 3000));
    assert_false(wsc__alloc_fail_armed());
    wsc__alloc_fail_nth(0);
    assert_int_equal(count_frames(&f.srv, "\"message_id\":\"c1\""), 2);
    assert_int_equal(f.rec.receipts, 0);
    assert_int_equal(wsc_client_receipts_pending(f.c), 1);
    srv_text(&f.srv, "{\"message_type\":\"ack\",\"message_id\":\"c1\"}");
    assert_true(wait_ge(&f, &f.rec.receipts, 1, 3000));
    assert_int_equal(f.rec.receipt_err, WSC_OK);
    fx_free(&f);
}

static void
resend_across_reconnect(wsc_client_config *cfg)
{
    cfg->ack_timeout_ms = 300;
    cfg->reconnect.enabled = true;
    cfg->reconnect.min_delay_ms = 600;
    cfg->reconnect.max_delay_ms = 700;
}

/* A receipt times out while the connection is down: its resend waits in the queue behind other
 * frames.  The hub's answer arrives on the next connection right behind the 101: the receipt
 * ends once, and the resend, when it leaves, opens no new receipt. */
static void
test_client_frames__resend_answered_while_queued(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, resend_across_reconnect);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    send_for_receipt(&f, "c1");
    assert_true(wait_pending(&f, 1, 3000));
    assert_true(wait_ge(&f, &f.srv.n_frames, 1, 3000));
    srv_drop(&f.srv);
    srv_text(&f.srv, "{\"message_type\":\"ack\",\"message_id\":\"c1\"}");
    assert_true(wait_ge(&f, &f.rec.disconnected, 1, 3000));
    /* Frames queued (while down) before the receipt times out: the resend waits behind them,
     * and the answer is read between two of them. */
    for (int i = 0; i < 4; i++)
        assert_int_equal(wsc_client_send_text(f.c, "filler", 6, NULL), WSC_OK);
    assert_true(wait_ge(&f, &f.rec.connected, 2, 3000));
    assert_true(wait_ge(&f, &f.rec.receipts, 1, 3000));
    assert_true(wait_ge(&f, &f.srv.n_frames, 6, 3000)); /* the fillers and the resend */
    run_for(&f, 350);                                   /* past another ack timeout */
    assert_int_equal(f.rec.receipts, 1);
    assert_int_equal(f.rec.receipt_err, WSC_OK);
    assert_int_equal(wsc_client_receipts_pending(f.c), 0);
    assert_int_equal(count_frames(&f.srv, "\"message_id\":\"c1\""), 2);
    fx_free(&f);
}

static void
slow_reconnect(wsc_client_config *cfg)
{
    cfg->ack_timeout_ms = 100;
    cfg->reconnect.enabled = true;
    cfg->reconnect.min_delay_ms = 5000;
    cfg->reconnect.max_delay_ms = 5000;
}

/* A receipt that times out while the connection is down queues its resend, which waits there;
 * a close then ends the receipt with WSC_ERR_CLOSED, and the resend (never an application
 * frame) is dropped without a send failure. */
static void
test_client_frames__resend_waits_while_down_then_close(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, slow_reconnect);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    send_for_receipt(&f, "c1");
    assert_true(wait_pending(&f, 1, 3000));
    srv_drop(&f.srv);
    assert_true(wait_ge(&f, &f.rec.disconnected, 1, 3000));
    uint64_t end = tpeer_now_ms() + 3000;
    while (wsc_client_queue_count(f.c) == 0 && tpeer_now_ms() < end)
        run_for(&f, 5);
    assert_int_equal(wsc_client_queue_count(f.c), 1); /* the resend */
    assert_int_equal(wsc_client_state_get(f.c), WSC_CLIENT_RECONNECTING);
    assert_int_equal(wsc_client_close(f.c, 1000, NULL), WSC_OK);
    assert_true(wait_ge(&f, &f.rec.closed, 1, 3000));
    assert_int_equal(f.rec.receipts, 1);
    assert_int_equal(f.rec.receipt_err, WSC_ERR_CLOSED);
    assert_int_equal(wsc_client_queue_count(f.c), 0);
    fx_free(&f);
}

static void
one_ack_at_a_time(wsc_client_config *cfg)
{
    cfg->queue_max_count = 1;
}

/* ACK frames have a bound of their own (queue_max_count waiting at a time): two hub messages
 * read at once get one ACK, the other is dropped, yet both reach the application.  When the
 * hub sends the unanswered one again it is ACKed, and not handed over twice. */
static void
test_client_frames__ack_bound(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, one_ack_at_a_time);
    assert_true(wait_ge(&f, &f.rec.connected, 1, 3000));
    static const char m1[] = "{\"message_type\":\"text\",\"message_id\":\"a1\","
                             "\"sender\":\"bob\",\"content\":\"1\",\"require_ack\":true}";
    static const char m2[] = "{\"message_type\":\"text\",\"message_id\":\"a2\","
                             "\"sender\":\"bob\",\"content\":\"2\",\"require_ack\":true}";
    srv_text(&f.srv, m1);
    srv_text(&f.srv, m2);
    assert_true(wait_ge(&f, &f.rec.messages, 2, 3000));
    assert_true(wait_ge(&f, &f.srv.n_frames, 1, 3000));
    run_for(&f, 50);
    assert_int_equal(f.srv.n_frames, 1);
    assert_true(find_ack(&f.srv, 0, "\"message_id\":\"a1\"") == 0);
    srv_text(&f.srv, m2);
    assert_true(wait_ge(&f, &f.srv.n_frames, 2, 3000));
    assert_true(find_ack(&f.srv, 0, "\"message_id\":\"a2\"") == 1);
    run_for(&f, 30);
    assert_int_equal(f.rec.messages, 2);
    assert_int_equal(f.rec.texts, 2); /* a duplicate reaches neither callback */
    fx_free(&f);
}

static void
wss_insecure(wsc_client_config *cfg)
{
    static char url[256];
    int n = snprintf(url, sizeof(url), "wss://%s", cfg->url + strlen("ws://"));
    assert_true(n > 0 && (size_t)n < sizeof(url));
    cfg->url = url;
    cfg->insecure_skip_verify = true;
}

/* A wss:// server that hangs up during the TLS handshake: a connect error with status 0 and
 * WSC_ERR_IO (the numbers in lws's error text, such as an errno, are no HTTP status); with
 * reconnecting off the client closes. */
static void
test_client_frames__tls_hangup(void **state)
{
    (void)state;
    struct fx f;
    fx_start_tweaked(&f, NULL, false, 0, wss_insecure);
    uint64_t end = tpeer_now_ms() + 3000;
    while (f.srv.fd < 0 && tpeer_now_ms() < end) {
        wsc_loop_run_once(f.loop, 5);
        f.srv.fd = accept4(f.srv.lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    }
    assert_true(f.srv.fd >= 0);
    srv_drop(&f.srv);
    end = tpeer_now_ms() + 3000;
    while (f.rec.closed == 0 && tpeer_now_ms() < end)
        wsc_loop_run_once(f.loop, 5);
    assert_int_equal(f.rec.closed, 1);
    assert_int_equal(f.rec.connect_errors, 1);
    assert_int_equal(f.rec.connect_err, WSC_ERR_IO);
    assert_int_equal(f.rec.http_status, 0);
    assert_int_equal(f.rec.connected, 0);
    /* "connect SSL err ..." or, with the poll backend, "connect SYSCALL 104" (ECONNRESET). */
    assert_non_null(strstr(wsc_client_last_error(f.c), "connect failed: connect S"));
    fx_free(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_frames__binary_fragments_and_close_without_status),
        cmocka_unit_test(test_client_frames__auto_ack_dedupe_and_receipts),
        cmocka_unit_test(test_client_frames__token_in_query_and_header),
        cmocka_unit_test(test_client_frames__forbidden),
        cmocka_unit_test(test_client_frames__control_frames_and_odd_texts),
        cmocka_unit_test(test_client_frames__receipts_out_of_order_then_close),
        cmocka_unit_test(test_client_frames__receipt_without_callback),
        cmocka_unit_test(test_client_frames__receive_out_of_memory),
        cmocka_unit_test(test_client_frames__receive_buffer_out_of_memory),
        cmocka_unit_test(test_client_frames__receipt_out_of_memory),
        cmocka_unit_test(test_client_frames__free_in_receipt_out_of_memory),
        cmocka_unit_test(test_client_frames__resend_out_of_memory),
        cmocka_unit_test(test_client_frames__resend_answered_while_queued),
        cmocka_unit_test(test_client_frames__tls_hangup),
        cmocka_unit_test(test_client_frames__resend_waits_while_down_then_close),
        cmocka_unit_test(test_client_frames__ack_bound),
    };
    return cmocka_run_group_tests_name("integration.client_frames", tests, NULL, NULL);
}
