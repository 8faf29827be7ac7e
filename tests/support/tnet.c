/* SPDX-License-Identifier: MIT */
/* Byte buffers, non-blocking loopback sockets and the HTTP response parser used by the test
 * peers.  The parser works on whatever has arrived so far and resumes where it stopped, so
 * a peer can be pumped from a single thread together with thousands of others. */
#include "tnet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define HEAD_MAX (64 * 1024)

enum phase {
    PH_HEAD = 0,
    PH_LENGTH,     /* Content-Length body */
    PH_CHUNK_SIZE, /* chunk-size line */
    PH_CHUNK_DATA, /* chunk bytes */
    PH_CHUNK_CRLF, /* CRLF after chunk bytes */
    PH_TRAILER,    /* trailer lines after the last chunk */
    PH_UNTIL_EOF,  /* body delimited by the end of the connection */
    PH_DONE,
};

int
tnet_buf_append(tnet_buf *b, const void *p, size_t n)
{
    uint8_t *dst = tnet_buf_reserve(b, n);
    if (dst == NULL)
        return -1;
    if (n > 0)
        memcpy(dst, p, n);
    b->len += n;
    return 0;
}

int
tnet_buf_append_str(tnet_buf *b, const char *s)
{
    return tnet_buf_append(b, s, strlen(s));
}

uint8_t *
tnet_buf_reserve(tnet_buf *b, size_t n)
{
    if (b->off > 0 && b->off == b->len) {
        b->off = b->len = 0;
    } else if (b->off > 0 && b->len + n > b->cap) {
        memmove(b->data, b->data + b->off, b->len - b->off);
        b->len -= b->off;
        b->off = 0;
    }
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        uint8_t *p = realloc(b->data, cap);
        if (p == NULL)
            return NULL;
        b->data = p;
        b->cap = cap;
    }
    return b->data + b->len;
}

void
tnet_buf_consume(tnet_buf *b, size_t n)
{
    b->off += n;
    if (b->off >= b->len)
        b->off = b->len = 0;
}

uint8_t *
tnet_buf_begin(const tnet_buf *b)
{
    return b->data + b->off;
}

size_t
tnet_buf_size(const tnet_buf *b)
{
    return b->len - b->off;
}

void
tnet_buf_free(tnet_buf *b)
{
    free(b->data);
    memset(b, 0, sizeof(*b));
}

int
tnet_connect(const char *src_ip, int port)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (src_ip != NULL) {
        struct sockaddr_in src = {.sin_family = AF_INET};
        if (inet_pton(AF_INET, src_ip, &src.sin_addr) != 1) {
            close(fd);
            errno = EINVAL;
            return -1;
        }
        /* Let connect() pick the port, so that many sockets from one source address do not
         * each reserve an ephemeral port for every destination. */
        setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one));
        if (bind(fd, (struct sockaddr *)&src, sizeof(src)) != 0) {
            int e = errno;
            close(fd);
            errno = e;
            return -1;
        }
    }
    struct sockaddr_in dst = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    dst.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) != 0 && errno != EINPROGRESS) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

int
tnet_check_connected(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLOUT};
    int n = poll(&p, 1, 0);
    if (n < 0)
        return errno == EINTR ? 0 : -1;
    if (n == 0)
        return 0;
    int err = 0;
    socklen_t elen = sizeof(err);
    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) != 0)
        return -1;
    if (err != 0) {
        errno = err;
        return -1;
    }
    return 1;
}

int
tnet_flush(int fd, tnet_buf *out)
{
    while (tnet_buf_size(out) > 0) {
        ssize_t n = send(fd, tnet_buf_begin(out), tnet_buf_size(out), MSG_DONTWAIT | MSG_NOSIGNAL);
        if (n > 0) {
            tnet_buf_consume(out, (size_t)n);
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return 0;
        return -1;
    }
    return 0;
}

int
tnet_read(int fd, tnet_buf *in, bool *eof)
{
    for (;;) {
        uint8_t *dst = tnet_buf_reserve(in, 16384);
        if (dst == NULL) {
            errno = ENOMEM;
            return -1;
        }
        ssize_t n = recv(fd, dst, 16384, MSG_DONTWAIT);
        if (n > 0) {
            in->len += (size_t)n;
            continue;
        }
        if (n == 0) {
            *eof = true;
            return 0;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return 0;
        return -1;
    }
}

/* Finds "\r\n" in [p, p+n); returns its offset or -1. */
static long
find_crlf(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n')
            return (long)i;
    }
    return -1;
}

static char *
dup_trimmed(const char *s, size_t n)
{
    while (n > 0 && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static int
add_header(tnet_resp *r, const char *line, size_t n)
{
    const char *colon = memchr(line, ':', n);
    if (colon == NULL || colon == line)
        return -1;
    char **names = realloc(r->names, (r->nheaders + 1) * sizeof(*names));
    if (names == NULL)
        return -1;
    r->names = names;
    char **values = realloc(r->values, (r->nheaders + 1) * sizeof(*values));
    if (values == NULL)
        return -1;
    r->values = values;
    char *name = dup_trimmed(line, (size_t)(colon - line));
    char *value = dup_trimmed(colon + 1, n - (size_t)(colon - line) - 1);
    if (name == NULL || value == NULL) {
        free(name);
        free(value);
        return -1;
    }
    r->names[r->nheaders] = name;
    r->values[r->nheaders] = value;
    r->nheaders++;
    return 0;
}

static int
parse_status_line(tnet_resp *r, const char *line, size_t n)
{
    /* "HTTP/1.1 401 Unauthorized" */
    if (n < 12 || strncmp(line, "HTTP/1.", 7) != 0 || line[8] != ' ')
        return -1;
    int status = 0;
    for (size_t i = 9; i < 12; i++) {
        if (line[i] < '0' || line[i] > '9')
            return -1;
        status = status * 10 + (line[i] - '0');
    }
    r->status = status;
    return 0;
}

/* Chooses how the body is delimited once the head is complete. */
static int
start_body(tnet_resp *r)
{
    const char *te = tnet_resp_header(r, "transfer-encoding");
    const char *cl = tnet_resp_header(r, "content-length");
    if (r->status == 101 || r->status == 204 || r->status == 304 || r->status / 100 == 1) {
        r->phase = PH_DONE;
    } else if (te != NULL && strcasestr(te, "chunked") != NULL) {
        r->phase = PH_CHUNK_SIZE;
    } else if (cl != NULL) {
        char *end = NULL;
        errno = 0;
        unsigned long long v = strtoull(cl, &end, 10);
        if (errno != 0 || end == cl || *end != '\0')
            return -1;
        r->remaining = v;
        r->phase = v == 0 ? PH_DONE : PH_LENGTH;
    } else {
        r->phase = PH_UNTIL_EOF;
    }
    return 0;
}

static int
parse_head(tnet_resp *r, tnet_buf *in)
{
    for (;;) {
        const uint8_t *p = tnet_buf_begin(in);
        long eol = find_crlf(p, tnet_buf_size(in));
        if (eol < 0)
            return tnet_buf_size(in) > HEAD_MAX ? TNET_RESP_BAD : TNET_RESP_MORE;
        int rc = 0;
        if (r->status == 0)
            rc = parse_status_line(r, (const char *)p, (size_t)eol);
        else if (eol > 0)
            rc = add_header(r, (const char *)p, (size_t)eol);
        else
            rc = start_body(r);
        tnet_buf_consume(in, (size_t)eol + 2);
        if (rc != 0)
            return TNET_RESP_BAD;
        if (r->phase != PH_HEAD)
            return TNET_RESP_MORE;
    }
}

/* Moves up to r->remaining bytes from in to the body. */
static int
take_body_bytes(tnet_resp *r, tnet_buf *in)
{
    size_t n = tnet_buf_size(in);
    if (n > r->remaining)
        n = (size_t)r->remaining;
    if (tnet_buf_append(&r->body, tnet_buf_begin(in), n) != 0)
        return -1;
    tnet_buf_consume(in, n);
    r->remaining -= n;
    return 0;
}

/* One step of the chunked decoder; returns 1 to continue, 0 for more input, -1 when bad. */
static int
chunk_step(tnet_resp *r, tnet_buf *in)
{
    const uint8_t *p = tnet_buf_begin(in);
    long eol;
    switch (r->phase) {
    case PH_CHUNK_SIZE: {
        if ((eol = find_crlf(p, tnet_buf_size(in))) < 0)
            return 0;
        char *end = NULL;
        unsigned long long v = strtoull((const char *)p, &end, 16);
        if (end == (const char *)p)
            return -1;
        tnet_buf_consume(in, (size_t)eol + 2);
        r->remaining = v;
        r->phase = v == 0 ? PH_TRAILER : PH_CHUNK_DATA;
        return 1;
    }
    case PH_CHUNK_DATA:
        if (take_body_bytes(r, in) != 0)
            return -1;
        if (r->remaining > 0)
            return 0;
        r->phase = PH_CHUNK_CRLF;
        return 1;
    case PH_CHUNK_CRLF:
        if (tnet_buf_size(in) < 2)
            return 0;
        if (p[0] != '\r' || p[1] != '\n')
            return -1;
        tnet_buf_consume(in, 2);
        r->phase = PH_CHUNK_SIZE;
        return 1;
    case PH_TRAILER:
        if ((eol = find_crlf(p, tnet_buf_size(in))) < 0)
            return 0;
        tnet_buf_consume(in, (size_t)eol + 2);
        if (eol == 0)
            r->phase = PH_DONE;
        return 1;
    default:
        return -1;
    }
}

static int
finish(tnet_resp *r)
{
    /* Keep the body NUL-terminated so that tests can treat it as a string. */
    if (tnet_buf_reserve(&r->body, 1) == NULL)
        return TNET_RESP_BAD;
    r->body.data[r->body.len] = '\0';
    r->phase = PH_DONE;
    return TNET_RESP_DONE;
}

int
tnet_resp_parse(tnet_resp *r, tnet_buf *in)
{
    if (r->phase == PH_HEAD) {
        int rc = parse_head(r, in);
        if (rc != TNET_RESP_MORE || r->phase == PH_HEAD)
            return rc;
    }
    for (;;) {
        switch (r->phase) {
        case PH_DONE:
            return finish(r);
        case PH_LENGTH:
            if (take_body_bytes(r, in) != 0)
                return TNET_RESP_BAD;
            if (r->remaining > 0)
                return TNET_RESP_MORE;
            r->phase = PH_DONE;
            break;
        case PH_UNTIL_EOF:
            r->remaining = tnet_buf_size(in);
            return take_body_bytes(r, in) != 0 ? TNET_RESP_BAD : TNET_RESP_MORE;
        default: {
            int rc = chunk_step(r, in);
            if (rc <= 0)
                return rc < 0 ? TNET_RESP_BAD : TNET_RESP_MORE;
            break;
        }
        }
    }
}

int
tnet_resp_eof(tnet_resp *r)
{
    if (r->phase == PH_UNTIL_EOF || r->phase == PH_DONE)
        return finish(r);
    return TNET_RESP_BAD;
}

const char *
tnet_resp_header(const tnet_resp *r, const char *name)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        if (strcasecmp(r->names[i], name) == 0)
            return r->values[i];
    }
    return NULL;
}

bool
tnet_resp_has_head(const tnet_resp *r)
{
    return r->phase != PH_HEAD;
}

void
tnet_resp_free(tnet_resp *r)
{
    for (size_t i = 0; i < r->nheaders; i++) {
        free(r->names[i]);
        free(r->values[i]);
    }
    free(r->names);
    free(r->values);
    tnet_buf_free(&r->body);
    memset(r, 0, sizeof(*r));
}
