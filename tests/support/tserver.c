/* SPDX-License-Identifier: MIT */
/* The one-connection blocking server that the support tests talk to.  It speaks just enough
 * HTTP and WebSocket to exercise the peers, and decodes the client's frames with the same
 * codec (tws_frame_decode) that the peers use, so masking is checked from the other side. */
#include "tserver.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/sha.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tnet.h"
#include "tws.h"

#define IO_TIMEOUT_MS 5000

struct tserver {
    tserver_mode mode;
    int lfd;
    int port;
    pthread_t thread;
    bool started;
    bool joined;
    bool ok;
    tnet_buf in; /* bytes received and not yet handled */
    char request[4096];
    char pongs[128];
    char frames[512];
    int close_code;
    char error[256];
};

__attribute__((format(printf, 2, 3))) static bool
failf(tserver *s, const char *fmt, ...)
{
    if (s->error[0] == '\0') {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->error, sizeof(s->error), fmt, ap);
        va_end(ap);
    }
    return false;
}

static bool
send_all(tserver *s, int fd, const void *p, size_t n)
{
    const char *c = p;
    while (n > 0) {
        ssize_t w = send(fd, c, n, MSG_NOSIGNAL);
        if (w <= 0)
            return failf(s, "send failed");
        c += w;
        n -= (size_t)w;
    }
    return true;
}

static bool
recv_more(tserver *s, int fd)
{
    uint8_t *dst = tnet_buf_reserve(&s->in, 16384);
    ssize_t n = dst != NULL ? recv(fd, dst, 16384, 0) : -1;
    if (n <= 0)
        return failf(s, "recv: connection ended or timed out");
    s->in.len += (size_t)n;
    return true;
}

/* Reads the request head (and a Content-Length body) into s->request. */
static bool
read_request(tserver *s, int fd)
{
    const char *end;
    for (;;) {
        tnet_buf_reserve(&s->in, 1);
        s->in.data[s->in.len] = '\0';
        end = strstr((const char *)tnet_buf_begin(&s->in), "\r\n\r\n");
        if (end != NULL)
            break;
        if (!recv_more(s, fd))
            return false;
    }
    size_t head = (size_t)(end + 4 - (const char *)tnet_buf_begin(&s->in));
    const char *cl = strcasestr((const char *)tnet_buf_begin(&s->in), "content-length:");
    size_t body = cl != NULL && cl < end ? strtoul(cl + 15, NULL, 10) : 0;
    while (tnet_buf_size(&s->in) < head + body) {
        if (!recv_more(s, fd))
            return false;
    }
    size_t n = head + body < sizeof(s->request) ? head + body : sizeof(s->request) - 1;
    memcpy(s->request, tnet_buf_begin(&s->in), n);
    s->request[n] = '\0';
    tnet_buf_consume(&s->in, head + body);
    return true;
}

/* Copies the trimmed value of header name in s->request into out; false if absent. */
static bool
request_header(const tserver *s, const char *name, char *out, size_t cap)
{
    char pat[64];
    snprintf(pat, sizeof(pat), "\r\n%s:", name);
    const char *p = strcasestr(s->request, pat);
    if (p == NULL)
        return false;
    p += strlen(pat);
    while (*p == ' ')
        p++;
    size_t n = strcspn(p, "\r");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, p, n);
    out[n] = '\0';
    return true;
}

static bool
send_frame(tserver *s, int fd, int opcode, bool fin, const void *p, size_t n)
{
    size_t need = tws_frame_encode(NULL, 0, opcode, fin, NULL, p, n);
    uint8_t *buf = malloc(need);
    if (buf == NULL)
        return failf(s, "out of memory");
    tws_frame_encode(buf, need, opcode, fin, NULL, p, n);
    bool ok = send_all(s, fd, buf, need);
    free(buf);
    return ok;
}

/* Reads one complete frame from the client into f (payload valid until the next read). */
static bool
read_frame(tserver *s, int fd, tws_frame *f, size_t *size)
{
    for (;;) {
        ssize_t n = tws_frame_decode(tnet_buf_begin(&s->in), tnet_buf_size(&s->in), f);
        if (n < 0)
            return failf(s, "invalid frame from the client");
        if (n > 0) {
            *size = (size_t)n;
            return f->masked ? true : failf(s, "client frame not masked");
        }
        if (!recv_more(s, fd))
            return false;
    }
}

static void
note_pong(tserver *s, const tws_frame *f)
{
    size_t used = strlen(s->pongs);
    snprintf(s->pongs + used, sizeof(s->pongs) - used, "%s%.*s", used ? "," : "",
             (int)f->payload_len, (const char *)f->payload);
}

static bool
handshake(tserver *s, int fd)
{
    char key[64], proto[64], accept[64], buf[512];
    if (!request_header(s, "sec-websocket-key", key, sizeof(key)))
        return failf(s, "no Sec-WebSocket-Key");
    uint8_t digest[SHA_DIGEST_LENGTH];
    snprintf(buf, sizeof(buf), "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
    SHA1((const unsigned char *)buf, strlen(buf), digest);
    EVP_EncodeBlock((unsigned char *)accept, digest, sizeof(digest));
    char proto_line[96] = "";
    if (request_header(s, "sec-websocket-protocol", proto, sizeof(proto))) {
        proto[strcspn(proto, ", ")] = '\0';
        snprintf(proto_line, sizeof(proto_line), "Sec-WebSocket-Protocol: %s\r\n", proto);
    }
    int n = snprintf(buf, sizeof(buf),
                     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                     "Connection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n%s\r\n",
                     accept, proto_line);
    return send_all(s, fd, buf, (size_t)n);
}

static bool
serve_ws(tserver *s, int fd)
{
    if (!handshake(s, fd) || !send_frame(s, fd, TWS_OP_PING, true, "hi", 2) ||
        !send_frame(s, fd, TWS_OP_TEXT, false, "Hel", 3) ||
        !send_frame(s, fd, TWS_OP_PING, true, "p2", 2) ||
        !send_frame(s, fd, TWS_OP_CONT, false, "lo, ", 4) ||
        !send_frame(s, fd, TWS_OP_CONT, true, "world", 5))
        return false;
    bool got_text = false, got_binary = false;
    while (!got_text || !got_binary) {
        tws_frame f;
        size_t size;
        if (!read_frame(s, fd, &f, &size))
            return false;
        if (f.opcode == TWS_OP_PONG) {
            note_pong(s, &f);
        } else if (f.opcode == TWS_OP_TEXT || f.opcode == TWS_OP_BINARY) {
            got_text |= f.opcode == TWS_OP_TEXT;
            got_binary |= f.opcode == TWS_OP_BINARY;
            if (!send_frame(s, fd, f.opcode, true, f.payload, (size_t)f.payload_len))
                return false;
        } else {
            return failf(s, "unexpected opcode %d from the client", f.opcode);
        }
        tnet_buf_consume(&s->in, size);
    }
    if (!send_frame(s, fd, TWS_OP_CLOSE, true,
                    "\x03\xe8"
                    "bye",
                    5))
        return false;
    tws_frame f;
    size_t size;
    do {
        if (!read_frame(s, fd, &f, &size))
            return false;
        if (f.opcode == TWS_OP_PONG) {
            note_pong(s, &f);
            tnet_buf_consume(&s->in, size);
        }
    } while (f.opcode == TWS_OP_PONG);
    if (f.opcode != TWS_OP_CLOSE || f.payload_len < 2)
        return failf(s, "expected a close frame with a code, got opcode %d", f.opcode);
    s->close_code = (f.payload[0] << 8) | f.payload[1];
    return true;
}

static bool
serve_record(tserver *s, int fd)
{
    if (!handshake(s, fd) || !send_frame(s, fd, TWS_OP_PING, true, "z", 1))
        return false;
    for (;;) {
        tws_frame f;
        size_t size;
        if (!read_frame(s, fd, &f, &size))
            return false;
        size_t used = strlen(s->frames);
        snprintf(s->frames + used, sizeof(s->frames) - used, "%s%d:%d:%llu", used ? "," : "",
                 f.opcode, f.fin, (unsigned long long)f.payload_len);
        if (f.opcode == TWS_OP_CLOSE) {
            if (f.payload_len >= 2)
                s->close_code = (f.payload[0] << 8) | f.payload[1];
            return send_frame(s, fd, TWS_OP_CLOSE, true, f.payload, f.payload_len >= 2 ? 2 : 0);
        }
        tnet_buf_consume(&s->in, size);
    }
}

static bool
serve_masked(tserver *s, int fd)
{
    static const uint8_t mask[4] = {1, 2, 3, 4};
    uint8_t buf[16];
    size_t n = tws_frame_encode(buf, sizeof(buf), TWS_OP_TEXT, true, mask, "bad", 3);
    if (!handshake(s, fd) || !send_all(s, fd, buf, n))
        return false;
    /* Wait for the client to hang up, so that it reads the frame before any reset. */
    char c;
    return recv(fd, &c, 1, 0) >= 0;
}

static bool
serve_refusal(tserver *s, int fd)
{
    static const char body[] = TSERVER_REFUSAL_BODY;
    const char *head = "HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\n"
                       "Retry-After: 7\r\n";
    char buf[512];
    int n;
    if (s->mode == TSERVER_REFUSE_LENGTH) {
        n = snprintf(buf, sizeof(buf), "%sContent-Length: %zu\r\n\r\n%s", head, sizeof(body) - 1,
                     body);
    } else if (s->mode == TSERVER_REFUSE_CHUNKED) {
        size_t half = (sizeof(body) - 1) / 2;
        n = snprintf(buf, sizeof(buf),
                     "%sTransfer-Encoding: chunked\r\n\r\n%zx\r\n%.*s\r\n%zx;ext=1\r\n%s\r\n0\r\n"
                     "X-Trailer: t\r\n\r\n",
                     head, half, (int)half, body, sizeof(body) - 1 - half, body + half);
    } else {
        n = snprintf(buf, sizeof(buf), "%s\r\n%s", head, body);
    }
    return send_all(s, fd, buf, (size_t)n);
}

static void *
serve(void *arg)
{
    tserver *s = arg;
    struct pollfd p = {.fd = s->lfd, .events = POLLIN};
    if (poll(&p, 1, IO_TIMEOUT_MS) != 1) {
        failf(s, "no connection within %d ms", IO_TIMEOUT_MS);
        return NULL;
    }
    int fd = accept(s->lfd, NULL, NULL);
    if (fd < 0) {
        failf(s, "accept failed");
        return NULL;
    }
    struct timeval tv = {.tv_sec = IO_TIMEOUT_MS / 1000};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    bool ok = read_request(s, fd);
    if (ok)
        ok = s->mode == TSERVER_WS_ECHO     ? serve_ws(s, fd)
             : s->mode == TSERVER_WS_RECORD ? serve_record(s, fd)
             : s->mode == TSERVER_WS_MASKED ? serve_masked(s, fd)
                                            : serve_refusal(s, fd);
    s->ok = ok;
    close(fd);
    return NULL;
}

tserver *
tserver_start(tserver_mode mode)
{
    tserver *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NULL;
    s->mode = mode;
    s->lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    if (s->lfd < 0 || bind(s->lfd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
        listen(s->lfd, 4) != 0 || getsockname(s->lfd, (struct sockaddr *)&a, &alen) != 0)
        goto fail;
    s->port = ntohs(a.sin_port);
    if (pthread_create(&s->thread, NULL, serve, s) != 0)
        goto fail;
    s->started = true;
    return s;
fail:
    tserver_free(s);
    return NULL;
}

int
tserver_port(const tserver *s)
{
    return s->port;
}

bool
tserver_join(tserver *s)
{
    if (s->started && !s->joined) {
        pthread_join(s->thread, NULL);
        s->joined = true;
    }
    return s->ok;
}

const char *
tserver_error(const tserver *s)
{
    return s->error;
}

const char *
tserver_request(const tserver *s)
{
    return s->request;
}

const char *
tserver_pongs(const tserver *s)
{
    return s->pongs;
}

const char *
tserver_frames(const tserver *s)
{
    return s->frames;
}

int
tserver_close_code(const tserver *s)
{
    return s->close_code;
}

void
tserver_free(tserver *s)
{
    if (s == NULL)
        return;
    tserver_join(s);
    if (s->lfd >= 0)
        close(s->lfd);
    tnet_buf_free(&s->in);
    free(s);
}
