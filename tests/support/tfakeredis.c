/* SPDX-License-Identifier: MIT */
/* tfakeredis: a fake Redis server for the store's tests (see tfakeredis.h). */
#include "tfakeredis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

void
tfakeredis_start(tfakeredis *f)
{
    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->select_says = "+OK\r\n";
    f->canned = "+PONG\r\n";
    f->lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(f->lfd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(f->lfd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(f->lfd, 8), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(f->lfd, (struct sockaddr *)&a, &len), 0);
    f->port = ntohs(a.sin_port);
}

void
tfakeredis_drop(tfakeredis *f, bool reset)
{
    if (f->fd < 0)
        return;
    if (reset) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(f->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(f->fd);
    f->fd = -1;
    f->inlen = 0;
}

void
tfakeredis_stop(tfakeredis *f)
{
    tfakeredis_drop(f, false);
    close(f->lfd);
}

void
tfakeredis_send(tfakeredis *f, const char *s)
{
    size_t n = strlen(s), off = 0;
    while (off < n) {
        ssize_t w = write(f->fd, s + off, n - off);
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = f->fd, .events = POLLOUT};
            (void)poll(&p, 1, 100);
            continue;
        }
        assert_true(w > 0);
        off += (size_t)w;
    }
}

/* One complete command at the head of in (RESP array of bulk strings): its first two words in
 * w[0] and w[1] ("" when absent), the bytes it takes as the result; 0 when it is not all there
 * yet. */
static size_t
command(const char *in, size_t len, char w[2][64])
{
    const char *p = in, *end = in + len;
    if (len < 4 || *p != '*')
        return 0;
    long argc = strtol(p + 1, NULL, 10);
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
        return 0;
    p = nl + 1;
    w[0][0] = w[1][0] = '\0';
    for (long i = 0; i < argc; i++) {
        if (p >= end || *p != '$' || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
            return 0;
        long n = strtol(p + 1, NULL, 10);
        p = nl + 1;
        if (end - p < n + 2)
            return 0;
        if (i < 2)
            snprintf(w[i], sizeof(w[i]), "%.*s", (int)n, p);
        p += n + 2;
    }
    return (size_t)(p - in);
}

void
tfakeredis_pump(tfakeredis *f)
{
    int c = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK);
    if (c >= 0) {
        tfakeredis_drop(f, false); /* a new connection of the store replaces its old one */
        f->fd = c;
        f->accepted++;
    }
    if (f->fd < 0)
        return;
    ssize_t r = read(f->fd, f->in + f->inlen, sizeof(f->in) - f->inlen);
    if (r == 0) {
        tfakeredis_drop(f, false);
        return;
    }
    if (r > 0)
        f->inlen += (size_t)r;
    char w[2][64];
    size_t used;
    while (f->fd >= 0 && (used = command(f->in, f->inlen, w)) > 0) {
        memmove(f->in, f->in + used, f->inlen - used);
        f->inlen -= used;
        if (strcmp(w[0], "SELECT") == 0 || strcmp(w[0], "AUTH") == 0) {
            tfakeredis_send(f, strcmp(w[0], "SELECT") == 0 ? f->select_says : "+OK\r\n");
            continue;
        }
        f->commands++;
        const char *says = f->reply != NULL ? f->reply(f, w[0], w[1], f->user) : NULL;
        if (says != NULL)
            tfakeredis_send(f, says);
        else if (f->mode == TFAKEREDIS_RESET)
            tfakeredis_drop(f, true);
        else if (f->mode == TFAKEREDIS_REPLY)
            tfakeredis_send(f, f->canned);
    }
}
