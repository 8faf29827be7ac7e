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

#include "tstore.h"
#include "twait.h"

void
tfakeredis_start(tfakeredis *f)
{
    memset(f, 0, sizeof(*f));
    for (int i = 0; i < TFAKEREDIS_CONNS; i++)
        f->conns[i].fd = -1;
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
tfakeredis_drop_conn(tfakeredis *f, int i, bool reset)
{
    struct tfakeredis_conn *c = &f->conns[i];
    if (c->fd < 0)
        return;
    if (reset) {
        struct linger lg = {.l_onoff = 1, .l_linger = 0};
        setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(c->fd);
    c->fd = -1;
    c->inlen = 0;
}

void
tfakeredis_drop(tfakeredis *f, bool reset)
{
    for (int i = 0; i < TFAKEREDIS_CONNS; i++)
        tfakeredis_drop_conn(f, i, reset);
}

void
tfakeredis_stop(tfakeredis *f)
{
    tfakeredis_drop(f, false);
    close(f->lfd);
}

void
tfakeredis_send(tfakeredis *f, int i, const char *s)
{
    size_t n = strlen(s), off = 0;
    while (off < n) {
        ssize_t w = write(f->conns[i].fd, s + off, n - off);
        if (w < 0 && errno == EAGAIN) {
            struct pollfd p = {.fd = f->conns[i].fd, .events = POLLOUT};
            (void)poll(&p, 1, 100);
            continue;
        }
        assert_true(w > 0);
        off += (size_t)w;
    }
}

/* One complete command at the head of in (RESP array of bulk strings): its words in w (at
 * most TFAKEREDIS_ARGS), their number in *argc, the bytes it takes as the result; 0 when it is
 * not all there yet. */
static size_t
command(const char *in, size_t len, char w[][64], int *argc)
{
    const char *p = in, *end = in + len;
    if (len < 4 || *p != '*')
        return 0;
    long words = strtol(p + 1, NULL, 10);
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    if (nl == NULL)
        return 0;
    p = nl + 1;
    w[0][0] = '\0';
    for (long i = 0; i < words; i++) {
        if (p >= end || *p != '$' || (nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
            return 0;
        long n = strtol(p + 1, NULL, 10);
        p = nl + 1;
        if (end - p < n + 2)
            return 0;
        if (i < TFAKEREDIS_ARGS)
            snprintf(w[i], 64, "%.*s", (int)n, p);
        p += n + 2;
    }
    *argc = words < TFAKEREDIS_ARGS ? (int)words : TFAKEREDIS_ARGS;
    return (size_t)(p - in);
}

/* Reads what connection i has and answers its complete commands. */
static void
serve(tfakeredis *f, int i)
{
    struct tfakeredis_conn *c = &f->conns[i];
    ssize_t r = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
    if (r == 0) {
        tfakeredis_drop_conn(f, i, false);
        return;
    }
    if (r > 0)
        c->inlen += (size_t)r;
    char w[TFAKEREDIS_ARGS][64];
    int argc = 0;
    size_t used;
    while (c->fd >= 0 && (used = command(c->in, c->inlen, w, &argc)) > 0) {
        memmove(c->in, c->in + used, c->inlen - used);
        c->inlen -= used;
        if (strcmp(w[0], "SELECT") == 0 || strcmp(w[0], "AUTH") == 0) {
            tfakeredis_send(f, i, strcmp(w[0], "SELECT") == 0 ? f->select_says : "+OK\r\n");
            continue;
        }
        f->commands++;
        f->cur = i;
        const char *says = f->reply != NULL ? f->reply(f, argc, w, f->user) : NULL;
        if (c->fd < 0)
            return; /* reply() dropped it */
        if (says != NULL)
            tfakeredis_send(f, i, says);
        else if (f->mode == TFAKEREDIS_RESET)
            tfakeredis_drop_conn(f, i, true);
        else if (f->mode == TFAKEREDIS_REPLY)
            tfakeredis_send(f, i, f->canned);
    }
}

void
tfakeredis_pump(tfakeredis *f)
{
    int fd;
    while ((fd = accept4(f->lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
        int i = 0;
        while (i < TFAKEREDIS_CONNS && f->conns[i].fd >= 0)
            i++;
        assert_true(i < TFAKEREDIS_CONNS);
        f->conns[i].fd = fd;
        f->conns[i].inlen = 0;
        f->accepted++;
    }
    for (int i = 0; i < TFAKEREDIS_CONNS; i++)
        if (f->conns[i].fd >= 0)
            serve(f, i);
}

wsc_err
tfakeredis_open_store(tfakeredis *f, wsc_loop *loop, unsigned command_timeout_ms, wsc_store **out)
{
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d/0", f->port);
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.command_timeout_ms = command_timeout_ms;
    cfg.reconnect_min_ms = 20;
    cfg.reconnect_max_ms = 50;
    return wsc_store_open(loop, url, &cfg, out);
}

void
tfakeredis_close_store(tfakeredis *f, wsc_loop *loop, wsc_store *store)
{
    wsc_store_close(store);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(loop, 1);
    tfakeredis_stop(f);
}

struct fake_wait {
    tfakeredis *f;
    tres *r;
};

static bool
fake_answered(void *arg)
{
    struct fake_wait *w = arg;
    tfakeredis_pump(w->f);
    return w->r->calls > 0;
}

void
tfakeredis_wait_one(tfakeredis *f, wsc_loop *loop, tres *r)
{
    struct fake_wait w = {f, r};
    assert_true(twait_until(NULL, loop, fake_answered, &w, 5000));
    wsc_loop_run_once(loop, 1);
    assert_int_equal(r->calls, 1);
}
