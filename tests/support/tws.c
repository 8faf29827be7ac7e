/* SPDX-License-Identifier: MIT */
/* The raw WebSocket test client: handshake (random key, Sec-WebSocket-Accept checked with
 * SHA-1), frame codec, fragment reassembly, automatic pongs and close replies, all on a
 * non-blocking socket.  The server's mistakes (masked frames, bad control frames, bad
 * handshakes) put the peer in TWS_ERROR with a text saying what went wrong. */
#include "tws.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tnet.h"

#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

struct tws_msg {
    struct tws_msg *next;
    int opcode;
    char *data;
    size_t len;
};

struct tws {
    int fd;
    tws_conn_state state;
    bool connected; /* the TCP connect has completed */
    bool auto_pong;
    bool close_sent; /* a close frame is in (or through) the out buffer */
    char key[32];    /* Sec-WebSocket-Key we sent, base64 */
    char *protocol;  /* sub-protocol offered, or NULL */
    tnet_buf in;
    tnet_buf out;
    tnet_resp resp;
    tnet_buf frag; /* message being reassembled */
    int frag_opcode;
    bool in_frag;
    struct tws_msg *head;
    struct tws_msg *tail;
    size_t pending;
    int close_code;
    char *close_reason;
    unsigned pings;
    unsigned pongs;
    char error[192];
};

__attribute__((format(printf, 2, 3))) static int
fail(tws *c, const char *fmt, ...)
{
    if (c->state != TWS_ERROR) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(c->error, sizeof(c->error), fmt, ap);
        va_end(ap);
        c->state = TWS_ERROR;
    }
    if (c->fd >= 0) {
        close(c->fd);
        c->fd = -1;
    }
    return -1;
}

static void
set_closed(tws *c, int code, const char *reason, size_t reason_len)
{
    c->state = TWS_CLOSED;
    if (c->close_code != 0)
        return;
    c->close_code = code;
    free(c->close_reason);
    c->close_reason = malloc(reason_len + 1);
    if (c->close_reason != NULL) {
        memcpy(c->close_reason, reason, reason_len);
        c->close_reason[reason_len] = '\0';
    }
}

static void
base64(const uint8_t *in, size_t n, char *out)
{
    EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static void
expected_accept(const char *key, char out[32])
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s%s", key, WS_GUID);
    uint8_t digest[SHA_DIGEST_LENGTH];
    SHA1((const unsigned char *)buf, strlen(buf), digest);
    base64(digest, sizeof(digest), out);
}

static int
build_request(tws *c, int port, const char *path, const char *const *extra)
{
    char line[256];
    tnet_buf *o = &c->out;
    int rc = 0;
    rc |= tnet_buf_append_str(o, "GET ");
    rc |= tnet_buf_append_str(o, path != NULL && path[0] != '\0' ? path : "/");
    snprintf(line, sizeof(line),
             " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n",
             port, c->key);
    rc |= tnet_buf_append_str(o, line);
    if (c->protocol != NULL) {
        rc |= tnet_buf_append_str(o, "Sec-WebSocket-Protocol: ");
        rc |= tnet_buf_append_str(o, c->protocol);
        rc |= tnet_buf_append_str(o, "\r\n");
    }
    for (size_t i = 0; extra != NULL && extra[i] != NULL; i++) {
        rc |= tnet_buf_append_str(o, extra[i]);
        rc |= tnet_buf_append_str(o, "\r\n");
    }
    rc |= tnet_buf_append_str(o, "\r\n");
    return rc;
}

tws *
tws_connect_from(const char *src_ip, int port, const char *path_and_query,
                 const char *const *extra_headers, const char *subprotocol)
{
    tws *c = calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->fd = -1;
    c->auto_pong = true;
    uint8_t nonce[16];
    if (RAND_bytes(nonce, sizeof(nonce)) != 1)
        goto fail;
    base64(nonce, sizeof(nonce), c->key);
    if (subprotocol != NULL && (c->protocol = strdup(subprotocol)) == NULL)
        goto fail;
    if (build_request(c, port, path_and_query, extra_headers) != 0)
        goto fail;
    c->fd = tnet_connect(src_ip, port);
    if (c->fd < 0)
        goto fail;
    return c;
fail:
    tws_free(c);
    return NULL;
}

tws *
tws_connect(int port, const char *path_and_query, const char *const *extra_headers,
            const char *subprotocol)
{
    return tws_connect_from(NULL, port, path_and_query, extra_headers, subprotocol);
}

static int
check_handshake(tws *c)
{
    const tnet_resp *r = &c->resp;
    const char *upgrade = tnet_resp_header(r, "upgrade");
    const char *connection = tnet_resp_header(r, "connection");
    const char *accept = tnet_resp_header(r, "sec-websocket-accept");
    const char *proto = tnet_resp_header(r, "sec-websocket-protocol");
    char want[32];
    expected_accept(c->key, want);
    if (upgrade == NULL || strcasecmp(upgrade, "websocket") != 0)
        return fail(c, "handshake: bad Upgrade header");
    if (connection == NULL || strcasestr(connection, "upgrade") == NULL)
        return fail(c, "handshake: bad Connection header");
    if (accept == NULL || strcmp(accept, want) != 0)
        return fail(c, "handshake: Sec-WebSocket-Accept is %s, want %s", accept ? accept : "-",
                    want);
    if (proto != NULL && (c->protocol == NULL || strcmp(proto, c->protocol) != 0))
        return fail(c, "handshake: sub-protocol %s was not offered", proto);
    c->state = TWS_OPEN;
    return 0;
}

static int
parse_answer(tws *c)
{
    int rc = tnet_resp_parse(&c->resp, &c->in);
    if (rc == TNET_RESP_BAD)
        return fail(c, "handshake: malformed HTTP answer");
    if (rc == TNET_RESP_MORE)
        return 0;
    if (c->resp.status != 101) {
        c->state = TWS_REFUSED;
        return 0;
    }
    return check_handshake(c);
}

static int
push_msg(tws *c, int opcode, const void *data, size_t len)
{
    struct tws_msg *m = calloc(1, sizeof(*m));
    if (m == NULL || (m->data = malloc(len + 1)) == NULL) {
        free(m);
        return fail(c, "out of memory");
    }
    if (len > 0)
        memcpy(m->data, data, len);
    m->data[len] = '\0';
    m->len = len;
    m->opcode = opcode;
    if (c->tail != NULL)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->pending++;
    return 0;
}

static int
queue_frame(tws *c, int opcode, bool fin, const void *data, size_t len)
{
    uint8_t mask[4];
    if (RAND_bytes(mask, sizeof(mask)) != 1)
        return -1;
    size_t need = tws_frame_encode(NULL, 0, opcode, fin, mask, data, len);
    uint8_t *dst = tnet_buf_reserve(&c->out, need);
    if (dst == NULL)
        return -1;
    tws_frame_encode(dst, need, opcode, fin, mask, data, len);
    c->out.len += need;
    return 0;
}

static int
on_close_frame(tws *c, const tws_frame *f)
{
    if (f->payload_len == 1)
        return fail(c, "protocol: close frame with a 1-byte payload");
    int code = TWS_CLOSE_NO_CODE;
    size_t rlen = 0;
    if (f->payload_len >= 2) {
        code = (f->payload[0] << 8) | f->payload[1];
        rlen = (size_t)f->payload_len - 2;
    }
    set_closed(c, code, (const char *)f->payload + 2 * (f->payload_len >= 2), rlen);
    if (!c->close_sent) {
        /* Echo the code, as RFC 6455 §5.5.1 suggests. */
        c->close_sent = true;
        if (queue_frame(c, TWS_OP_CLOSE, true, f->payload, f->payload_len >= 2 ? 2 : 0) != 0)
            return fail(c, "out of memory");
    }
    return 0;
}

static int
on_data_frame(tws *c, const tws_frame *f)
{
    if (f->opcode == TWS_OP_CONT) {
        if (!c->in_frag)
            return fail(c, "protocol: continuation frame without a first fragment");
    } else if (c->in_frag) {
        return fail(c, "protocol: new data frame inside a fragmented message");
    } else if (f->fin) {
        return push_msg(c, f->opcode, f->payload, (size_t)f->payload_len);
    } else {
        c->in_frag = true;
        c->frag_opcode = f->opcode;
    }
    if (tnet_buf_append(&c->frag, f->payload, (size_t)f->payload_len) != 0)
        return fail(c, "out of memory");
    if (!f->fin)
        return 0;
    c->in_frag = false;
    int rc = push_msg(c, c->frag_opcode, tnet_buf_begin(&c->frag), tnet_buf_size(&c->frag));
    tnet_buf_free(&c->frag);
    return rc;
}

static int
on_frame(tws *c, const tws_frame *f)
{
    if (f->masked)
        return fail(c, "protocol: the server sent a masked frame");
    if (f->rsv != 0)
        return fail(c, "protocol: RSV bits 0x%x set", f->rsv);
    if (f->opcode >= 0x8 && (!f->fin || f->payload_len > 125))
        return fail(c, "protocol: fragmented or oversized control frame");
    switch (f->opcode) {
    case TWS_OP_CONT:
    case TWS_OP_TEXT:
    case TWS_OP_BINARY:
        return on_data_frame(c, f);
    case TWS_OP_PING:
        c->pings++;
        if (c->auto_pong && !c->close_sent &&
            queue_frame(c, TWS_OP_PONG, true, f->payload, (size_t)f->payload_len) != 0)
            return fail(c, "out of memory");
        return 0;
    case TWS_OP_PONG:
        c->pongs++;
        return 0;
    case TWS_OP_CLOSE:
        return on_close_frame(c, f);
    default:
        return fail(c, "protocol: reserved opcode 0x%x", f->opcode);
    }
}

static int
parse_frames(tws *c)
{
    while (c->state == TWS_OPEN) {
        tws_frame f;
        ssize_t n = tws_frame_decode(tnet_buf_begin(&c->in), tnet_buf_size(&c->in), &f);
        if (n < 0)
            return fail(c, "protocol: invalid frame length");
        if (n == 0)
            return 0;
        int rc = on_frame(c, &f);
        tnet_buf_consume(&c->in, (size_t)n);
        if (rc != 0)
            return -1;
    }
    /* Whatever follows a close frame (or a refusal's body) is of no interest. */
    if (c->state == TWS_CLOSED)
        tnet_buf_consume(&c->in, tnet_buf_size(&c->in));
    return 0;
}

static void
on_eof(tws *c)
{
    if (c->state == TWS_CONNECTING) {
        if (tnet_resp_has_head(&c->resp) && c->resp.status != 101 &&
            tnet_resp_eof(&c->resp) == TNET_RESP_DONE) {
            c->state = TWS_REFUSED;
        } else {
            fail(c, "connection closed during the handshake");
            return;
        }
    } else if (c->state == TWS_OPEN) {
        set_closed(c, TWS_CLOSE_ABNORMAL, "", 0);
    }
    close(c->fd);
    c->fd = -1;
}

static int
flush(tws *c)
{
    if (c->fd < 0)
        return c->state == TWS_ERROR ? -1 : 0;
    if (!c->connected) {
        int r = tnet_check_connected(c->fd);
        if (r < 0)
            return fail(c, "connect: %s", strerror(errno));
        if (r == 0)
            return 0;
        c->connected = true;
    }
    if (tnet_flush(c->fd, &c->out) == 0)
        return 0;
    if (c->state == TWS_OPEN || c->state == TWS_CLOSED) {
        /* The server went away; what it said before is read by the next pump. */
        set_closed(c, TWS_CLOSE_ABNORMAL, "", 0);
        tnet_buf_consume(&c->out, tnet_buf_size(&c->out));
        return 0;
    }
    return fail(c, "send: %s", strerror(errno));
}

int
tws_pump(tws *c)
{
    if (flush(c) != 0 || c->fd < 0 || !c->connected)
        return c->state == TWS_ERROR ? -1 : 0;
    bool eof = false;
    /* A reset ends the connection like EOF does, after what arrived before it is handled:
     * a refusal's answer or a close frame may well be followed by a reset. */
    if (tnet_read(c->fd, &c->in, &eof) != 0)
        eof = true;
    if (c->state == TWS_CONNECTING && parse_answer(c) != 0)
        return -1;
    if (parse_frames(c) != 0)
        return -1;
    if (flush(c) != 0)
        return -1;
    if (eof && c->fd >= 0)
        on_eof(c);
    return c->state == TWS_ERROR ? -1 : 0;
}

bool
tws_next(tws *c, int *opcode, char **data, size_t *len)
{
    struct tws_msg *m = c->head;
    if (m == NULL)
        return false;
    c->head = m->next;
    if (c->head == NULL)
        c->tail = NULL;
    c->pending--;
    if (opcode != NULL)
        *opcode = m->opcode;
    if (len != NULL)
        *len = m->len;
    if (data != NULL)
        *data = m->data;
    else
        free(m->data);
    free(m);
    return true;
}

size_t
tws_pending(const tws *c)
{
    return c->pending;
}

int
tws_send_frame(tws *c, int opcode, bool fin, const void *data, size_t len)
{
    if (queue_frame(c, opcode, fin, data, len) != 0)
        return -1;
    if (opcode == TWS_OP_CLOSE)
        c->close_sent = true;
    return flush(c);
}

int
tws_send_text(tws *c, const char *text, size_t len)
{
    return tws_send_frame(c, TWS_OP_TEXT, true, text, len);
}

int
tws_send_binary(tws *c, const void *data, size_t len)
{
    return tws_send_frame(c, TWS_OP_BINARY, true, data, len);
}

int
tws_send_ping(tws *c, const void *data, size_t len)
{
    return tws_send_frame(c, TWS_OP_PING, true, data, len);
}

int
tws_send_close(tws *c, int code, const char *reason)
{
    uint8_t payload[256];
    size_t n = 0;
    if (code != 0) {
        payload[0] = (uint8_t)(code >> 8);
        payload[1] = (uint8_t)code;
        n = 2;
        size_t rlen = reason != NULL ? strlen(reason) : 0;
        if (rlen > sizeof(payload) - 2)
            rlen = sizeof(payload) - 2;
        if (rlen > 0)
            memcpy(payload + 2, reason, rlen);
        n += rlen;
    }
    return tws_send_frame(c, TWS_OP_CLOSE, true, payload, n);
}

int
tws_send_raw(tws *c, const void *bytes, size_t len)
{
    if (tnet_buf_append(&c->out, bytes, len) != 0)
        return -1;
    return flush(c);
}

void
tws_set_auto_pong(tws *c, bool on)
{
    c->auto_pong = on;
}

tws_conn_state
tws_state(const tws *c)
{
    return c->state;
}

const char *
tws_state_name(tws_conn_state s)
{
    static const char *const names[] = {"CONNECTING", "OPEN", "REFUSED", "CLOSED", "ERROR"};
    return (unsigned)s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

int
tws_http_status(const tws *c)
{
    return c->resp.status;
}

const char *
tws_http_body(const tws *c)
{
    return c->state == TWS_REFUSED && c->resp.body.data != NULL ? (const char *)c->resp.body.data
                                                                : "";
}

const char *
tws_http_header(const tws *c, const char *name)
{
    return tnet_resp_header(&c->resp, name);
}

int
tws_close_code(const tws *c)
{
    return c->close_code;
}

const char *
tws_close_reason(const tws *c)
{
    return c->close_reason != NULL ? c->close_reason : "";
}

const char *
tws_error_text(const tws *c)
{
    return c->error;
}

unsigned
tws_pings_received(const tws *c)
{
    return c->pings;
}

unsigned
tws_pongs_received(const tws *c)
{
    return c->pongs;
}

int
tws_fd(const tws *c)
{
    return c->fd;
}

bool
tws_wants_write(const tws *c)
{
    return c->fd >= 0 && (!c->connected || tnet_buf_size(&c->out) > 0);
}

static void
drop_tcp(tws *c, bool reset)
{
    if (c->fd >= 0) {
        if (reset) {
            struct linger lg = {.l_onoff = 1, .l_linger = 0};
            setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        }
        close(c->fd);
        c->fd = -1;
    }
    if (c->state == TWS_CONNECTING || c->state == TWS_OPEN)
        set_closed(c, TWS_CLOSE_ABNORMAL, "", 0);
}

void
tws_close_tcp(tws *c)
{
    drop_tcp(c, false);
}

void
tws_reset_tcp(tws *c)
{
    drop_tcp(c, true);
}

void
tws_free(tws *c)
{
    if (c == NULL)
        return;
    if (c->fd >= 0)
        close(c->fd);
    while (tws_next(c, NULL, NULL, NULL)) {
    }
    tnet_buf_free(&c->in);
    tnet_buf_free(&c->out);
    tnet_buf_free(&c->frag);
    tnet_resp_free(&c->resp);
    free(c->protocol);
    free(c->close_reason);
    free(c);
}
