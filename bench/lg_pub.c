/* SPDX-License-Identifier: MIT */
/* The broadcast publisher: see lg_pub.h. */
#define _GNU_SOURCE
#include "lg_pub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg_seq.h"
#include "lg_ws.h"

static bool
fail(lg_pub *p, const char *what)
{
    fprintf(stderr, "loadgen: publisher: %s\n", what);
    lg_pub_close(p);
    return false;
}

bool
lg_pub_open(lg_pub *p, const lg_opts *o)
{
    int port = lg_port_of(o, 0);
    *p = (lg_pub){.fd = lg_connect(o, 10)};
    if (p->fd < 0)
        return fail(p, "connect failed");
    char req[512];
    size_t n = lg_ws_request(req, sizeof(req), o->host, port, o->path, o->publisher);
    if (!lg_write_all(p->fd, req, n))
        return fail(p, "cannot send the upgrade");
    unsigned char buf[4096];
    size_t got = 0;
    unsigned char *end = NULL;
    while (end == NULL) {
        ssize_t r = recv(p->fd, buf + got, sizeof(buf) - 1 - got, 0);
        if (r <= 0)
            return fail(p, "no answer to the upgrade");
        got += (size_t)r;
        end = memmem(buf, got, "\r\n\r\n", 4);
        if (end == NULL && got >= sizeof(buf) - 1)
            return fail(p, "answer headers too long");
    }
    if (got < 12 || memcmp(buf + 9, "101", 3) != 0)
        return fail(p, "upgrade refused");
    /* The hub's first frame may have come with the headers; a baseline sends none. */
    if (o->proto_wsc && (size_t)(end + 4 - buf) == got && recv(p->fd, buf, sizeof(buf), 0) <= 0)
        return fail(p, "no connected frame");
    return true;
}

bool
lg_pub_send(lg_pub *p, const lg_opts *o, unsigned n)
{
    unsigned char drop[65536];
    while (recv(p->fd, drop, sizeof(drop), MSG_DONTWAIT) > 0)
        ;
    size_t cap = (size_t)n * (o->size + 128), len = 0;
    unsigned char *out = malloc(cap);
    char *stamp = malloc(o->size + 1), *body = malloc(o->size + 96);
    bool ok = out != NULL && stamp != NULL && body != NULL;
    for (unsigned i = 0; ok && i < n; i++) {
        lg_stamp(stamp, o->size, lg_now_ns());
        if (o->count)
            lg_tag(stamp, o->size, LG_PUB_SENDER, p->seq);
        p->seq++;
        /* A baseline forwards what it gets: the bare content, as its other senders send. */
        int bl = o->proto_wsc
                     ? snprintf(body, o->size + 96,
                                "{\"broadcast_type\":\"global\",\"content\":\"%s\"}", stamp)
                     : snprintf(body, o->size + 96, "%s", stamp);
        len += lg_ws_frame(out + len, LG_OP_TEXT, body, (size_t)bl, (uint32_t)random());
    }
    ok = ok && lg_write_all(p->fd, out, len);
    free(out);
    free(stamp);
    free(body);
    return ok;
}

void
lg_pub_close(lg_pub *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}
