/* SPDX-License-Identifier: MIT */
/* The non-blocking HTTP test client: builds the request into an out buffer, writes it when
 * the socket takes it and parses the answer incrementally with the shared tnet parser. */
#include "thttp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "tnet.h"

struct thttp {
    int fd;
    bool connected;
    bool done;
    bool failed;
    tnet_buf in;
    tnet_buf out;
    tnet_resp resp;
    char error[160];
};

static int
fail(thttp *h, const char *what, int err)
{
    if (!h->done) {
        if (err != 0)
            snprintf(h->error, sizeof(h->error), "%s: %s", what, strerror(err));
        else
            snprintf(h->error, sizeof(h->error), "%s", what);
        h->failed = true;
        h->done = true;
    }
    if (h->fd >= 0) {
        close(h->fd);
        h->fd = -1;
    }
    return -1;
}

static void
finish(thttp *h)
{
    h->done = true;
    close(h->fd);
    h->fd = -1;
}

static int
build_request(thttp *h, int port, const char *method, const char *path, const char *const *headers,
              const char *body, size_t body_len)
{
    char line[256];
    tnet_buf *o = &h->out;
    int rc = 0;
    rc |= tnet_buf_append_str(o, method);
    rc |= tnet_buf_append_str(o, " ");
    rc |= tnet_buf_append_str(o, path);
    /* "Connection: close" unless the caller names its own Connection header (keep-alive). */
    bool own_connection = false;
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++)
        own_connection = own_connection || strncasecmp(headers[i], "Connection:", 11) == 0;
    snprintf(line, sizeof(line), " HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n%s", port,
             own_connection ? "" : "Connection: close\r\n");
    rc |= tnet_buf_append_str(o, line);
    for (size_t i = 0; headers != NULL && headers[i] != NULL; i++) {
        rc |= tnet_buf_append_str(o, headers[i]);
        rc |= tnet_buf_append_str(o, "\r\n");
    }
    if (body != NULL || strcasecmp(method, "POST") == 0 || strcasecmp(method, "PUT") == 0 ||
        strcasecmp(method, "PATCH") == 0) {
        snprintf(line, sizeof(line), "Content-Length: %zu\r\n", body != NULL ? body_len : 0);
        rc |= tnet_buf_append_str(o, line);
    }
    rc |= tnet_buf_append_str(o, "\r\n");
    if (body != NULL)
        rc |= tnet_buf_append(o, body, body_len);
    return rc;
}

thttp *
thttp_request(int port, const char *method, const char *path, const char *const *headers,
              const char *body, size_t body_len)
{
    thttp *h = calloc(1, sizeof(*h));
    if (h == NULL)
        return NULL;
    h->fd = -1;
    if (build_request(h, port, method, path, headers, body, body_len) != 0)
        goto fail;
    h->fd = tnet_connect(NULL, port);
    if (h->fd < 0)
        goto fail;
    return h;
fail:
    thttp_free(h);
    return NULL;
}

int
thttp_pump(thttp *h)
{
    if (h->done)
        return h->failed ? -1 : 0;
    if (!h->connected) {
        int r = tnet_check_connected(h->fd);
        if (r < 0)
            return fail(h, "connect", errno);
        if (r == 0)
            return 0;
        h->connected = true;
    }
    /* A server may answer (e.g. 413) and close before it read the whole request; the answer
     * is still worth reading, so a failed send only ends the request if nothing arrives. */
    int send_errno = tnet_flush(h->fd, &h->out) != 0 ? errno : 0;
    bool eof = false;
    int read_errno = tnet_read(h->fd, &h->in, &eof) != 0 ? errno : 0;
    int rc = tnet_resp_parse(&h->resp, &h->in);
    if (rc == TNET_RESP_BAD)
        return fail(h, "malformed answer", 0);
    if (rc == TNET_RESP_DONE) {
        finish(h);
        return 0;
    }
    if (eof || read_errno != 0) {
        if (tnet_resp_has_head(&h->resp) && tnet_resp_eof(&h->resp) == TNET_RESP_DONE) {
            finish(h);
            return 0;
        }
        return fail(h, "connection closed before the answer was complete", read_errno);
    }
    if (send_errno != 0)
        tnet_buf_consume(&h->out, tnet_buf_size(&h->out));
    return 0;
}

bool
thttp_done(const thttp *h)
{
    return h->done;
}

bool
thttp_failed(const thttp *h)
{
    return h->failed;
}

const char *
thttp_error_text(const thttp *h)
{
    return h->error;
}

int
thttp_status(const thttp *h)
{
    return h->resp.status;
}

const char *
thttp_body(const thttp *h)
{
    return h->done && !h->failed && h->resp.body.data != NULL ? (const char *)h->resp.body.data
                                                              : "";
}

size_t
thttp_body_len(const thttp *h)
{
    return h->done && !h->failed ? tnet_buf_size(&h->resp.body) : 0;
}

const char *
thttp_header(const thttp *h, const char *name)
{
    return tnet_resp_header(&h->resp, name);
}

int
thttp_fd(const thttp *h)
{
    return h->fd;
}

bool
thttp_wants_write(const thttp *h)
{
    return h->fd >= 0 && (!h->connected || tnet_buf_size(&h->out) > 0);
}

void
thttp_free(thttp *h)
{
    if (h == NULL)
        return;
    if (h->fd >= 0)
        close(h->fd);
    tnet_buf_free(&h->in);
    tnet_buf_free(&h->out);
    tnet_resp_free(&h->resp);
    free(h);
}
