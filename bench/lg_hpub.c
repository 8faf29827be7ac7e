/* SPDX-License-Identifier: MIT */
/* The HTTP publisher: see lg_hpub.h. */
#define _GNU_SOURCE
#include "lg_hpub.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "lg_seq.h"

static bool
fail(const char *what)
{
    fprintf(stderr, "loadgen: http publisher: %s\n", what);
    return false;
}

bool
lg_hpub_open(lg_hpub *p, const lg_opts *o)
{
    *p = (lg_hpub){.fd = lg_connect(o, 30)};
    return p->fd >= 0 || fail("connect failed");
}

/* Appends to out one POST /api/publish whose body is body (len bytes). */
static size_t
put_request(char *out, const lg_opts *o, const char *body, size_t len)
{
    char key[160] = "";
    if (o->api_key != NULL)
        snprintf(key, sizeof(key), "Authorization: Bearer %s\r\n", o->api_key);
    int n = sprintf(out,
                    "POST /api/publish HTTP/1.1\r\nHost: %s\r\n%sContent-Type: application/json\r\n"
                    "Content-Length: %zu\r\n\r\n",
                    o->host, key, len);
    memcpy(out + n, body, len);
    return (size_t)n + len;
}

/* Appends one message frame {"content":"<stamp>"} to out. */
static size_t
put_message(char *out, lg_hpub *p, const lg_opts *o, char *stamp)
{
    lg_stamp(stamp, o->size, lg_now_ns());
    if (o->count)
        lg_tag(stamp, o->size, LG_PUB_SENDER, p->seq);
    p->seq++;
    return (size_t)sprintf(out, "{\"content\":\"%s\"}", stamp);
}

/* Reads n HTTP answers (Content-Length bodies); false unless each is 200. */
static bool
read_answers(lg_hpub *p, unsigned n)
{
    size_t cap = 1 << 20, got = 0;
    char *in = malloc(cap);
    bool ok = in != NULL;
    while (ok && n > 0) {
        char *end = got ? memmem(in, got, "\r\n\r\n", 4) : NULL;
        const char *cl = end ? strcasestr(in, "\r\nContent-Length:") : NULL;
        size_t body = cl && cl < end ? (size_t)strtoul(cl + 17, NULL, 10) : 0;
        size_t whole = end ? (size_t)(end + 4 - in) + body : SIZE_MAX;
        if (whole <= got) {
            ok = got >= 12 && memcmp(in + 9, "200", 3) == 0;
            if (!ok)
                fprintf(stderr, "loadgen: http publisher: answer %.60s\n", in);
            memmove(in, in + whole, got - whole);
            got -= whole;
            n--;
            continue;
        }
        if (got == cap - 1) {
            ok = fail("answer too long");
            break;
        }
        ssize_t r = recv(p->fd, in + got, cap - 1 - got, 0);
        if (r <= 0)
            ok = fail("connection lost before the answers");
        else
            got += (size_t)r;
        in[got] = '\0';
    }
    free(in);
    return ok;
}

bool
lg_hpub_send(lg_hpub *p, const lg_opts *o, unsigned n)
{
    bool batch = strcmp(o->publish_http, "batch") == 0;
    size_t one = o->size + 64;
    char *out = malloc((size_t)n * (one + 256) + 512), *body = malloc((size_t)n * one + 64),
         *stamp = malloc(o->size + 1);
    bool ok = out != NULL && body != NULL && stamp != NULL;
    /* batch: the n messages in one request; keepalive: n requests, each answered before the
     * next is written */
    for (unsigned i = 0; ok && i < (batch ? 1 : n); i++) {
        size_t b = (size_t)sprintf(body, batch ? "{\"broadcast\":true,\"messages\":["
                                               : "{\"broadcast\":true,\"message\":");
        for (unsigned k = 0; k < (batch ? n : 1); k++) {
            if (k > 0)
                body[b++] = ',';
            b += put_message(body + b, p, o, stamp);
        }
        b += (size_t)sprintf(body + b, batch ? "]}" : "}");
        size_t len = put_request(out, o, body, b);
        ok = lg_write_all(p->fd, out, len) ? read_answers(p, 1) : fail("send failed");
    }
    free(out);
    free(body);
    free(stamp);
    return ok;
}

void
lg_hpub_close(lg_hpub *p)
{
    if (p->fd >= 0)
        close(p->fd);
    p->fd = -1;
}
