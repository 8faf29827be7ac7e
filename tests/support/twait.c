/* SPDX-License-Identifier: MIT */
/* Loop-driving helpers for tests: one round runs the wsc loop briefly, then one poll() over
 * every peer's socket, then pumps the peers that have events, so that thousands of peers
 * cost one system call per round rather than one read attempt each. */
#include "twait.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct twait_set {
    void **ws; /* tws *, kept as void * so that one helper manages both arrays */
    size_t nws;
    size_t capws;
    void **http; /* thttp * */
    size_t nhttp;
    size_t caphttp;
    struct pollfd *fds; /* scratch for twait_pump: ws peers first, then http peers */
    size_t *owner;      /* index of the peer behind each pollfd */
    size_t capfds;
};

static uint64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Makes *arr hold at least need elements of elem bytes; *arr is passed through a void *. */
static int
grow(void **arr, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t cap2 = *cap ? *cap * 2 : 16;
    while (cap2 < need)
        cap2 *= 2;
    void *p = realloc(*arr, cap2 * elem);
    if (p == NULL)
        return -1;
    *arr = p;
    *cap = cap2;
    return 0;
}

twait_set *
twait_set_new(void)
{
    return calloc(1, sizeof(twait_set));
}

void
twait_set_free(twait_set *ts)
{
    if (ts == NULL)
        return;
    free(ts->ws);
    free(ts->http);
    free(ts->fds);
    free(ts->owner);
    free(ts);
}

void
twait_set_free_all(twait_set *ts)
{
    if (ts == NULL)
        return;
    for (size_t i = 0; i < ts->nws; i++)
        tws_free(ts->ws[i]);
    for (size_t i = 0; i < ts->nhttp; i++)
        thttp_free(ts->http[i]);
    twait_set_free(ts);
}

int
twait_add_ws(twait_set *ts, tws *c)
{
    void *arr = ts->ws;
    if (grow(&arr, &ts->capws, ts->nws + 1, sizeof(*ts->ws)) != 0)
        return -1;
    ts->ws = arr;
    ts->ws[ts->nws++] = c;
    return 0;
}

int
twait_add_http(twait_set *ts, thttp *h)
{
    void *arr = ts->http;
    if (grow(&arr, &ts->caphttp, ts->nhttp + 1, sizeof(*ts->http)) != 0)
        return -1;
    ts->http = arr;
    ts->http[ts->nhttp++] = h;
    return 0;
}

static void
remove_ptr(void **arr, size_t *n, const void *p)
{
    for (size_t i = 0; i < *n; i++) {
        if (arr[i] == p) {
            memmove(arr + i, arr + i + 1, (*n - i - 1) * sizeof(*arr));
            (*n)--;
            return;
        }
    }
}

void
twait_remove_ws(twait_set *ts, tws *c)
{
    remove_ptr(ts->ws, &ts->nws, c);
}

void
twait_remove_http(twait_set *ts, thttp *h)
{
    remove_ptr(ts->http, &ts->nhttp, h);
}

size_t
twait_ws_count(const twait_set *ts)
{
    return ts->nws;
}

size_t
twait_http_count(const twait_set *ts)
{
    return ts->nhttp;
}

tws *
twait_ws_at(const twait_set *ts, size_t i)
{
    return i < ts->nws ? ts->ws[i] : NULL;
}

thttp *
twait_http_at(const twait_set *ts, size_t i)
{
    return i < ts->nhttp ? ts->http[i] : NULL;
}

/* Fills ts->fds with the open sockets of all peers; returns how many. */
static size_t
collect_fds(twait_set *ts)
{
    size_t total = ts->nws + ts->nhttp, n = 0;
    void *arr = ts->fds;
    if (grow(&arr, &ts->capfds, total, sizeof(*ts->fds)) != 0)
        return 0;
    ts->fds = arr;
    /* Never realloc to 0 bytes: glibc frees the block and returns NULL (a later double free). */
    size_t *owner = realloc(ts->owner, (ts->capfds ? ts->capfds : 1) * sizeof(*owner));
    if (owner == NULL)
        return 0;
    ts->owner = owner;
    for (size_t i = 0; i < ts->nws; i++) {
        int fd = tws_fd(ts->ws[i]);
        if (fd < 0)
            continue;
        short ev = (short)(POLLIN | (tws_wants_write(ts->ws[i]) ? POLLOUT : 0));
        ts->fds[n] = (struct pollfd){.fd = fd, .events = ev};
        ts->owner[n++] = i;
    }
    for (size_t i = 0; i < ts->nhttp; i++) {
        int fd = thttp_fd(ts->http[i]);
        if (fd < 0)
            continue;
        short ev = (short)(POLLIN | (thttp_wants_write(ts->http[i]) ? POLLOUT : 0));
        ts->fds[n] = (struct pollfd){.fd = fd, .events = ev};
        ts->owner[n++] = ts->nws + i;
    }
    return n;
}

int
twait_pump(twait_set *ts, wsc_loop *loop, int wait_ms)
{
    size_t n = ts != NULL ? collect_fds(ts) : 0;
    if (loop != NULL) {
        /* With peers to watch, the loop only waits briefly: their sockets are polled next. */
        int loop_wait = n > 0 && wait_ms > 1 ? 1 : wait_ms;
        if (wsc_loop_run_once(loop, loop_wait) != WSC_OK)
            return -1;
        wait_ms = 0;
    }
    if (n == 0)
        return 0;
    int ready = poll(ts->fds, (nfds_t)n, wait_ms);
    if (ready < 0)
        return errno == EINTR ? 0 : -1;
    int pumped = 0;
    for (size_t i = 0; i < n && ready > 0; i++) {
        if (ts->fds[i].revents == 0)
            continue;
        ready--;
        pumped++;
        size_t k = ts->owner[i];
        if (k < ts->nws)
            tws_pump(ts->ws[k]);
        else
            thttp_pump(ts->http[k - ts->nws]);
    }
    return pumped;
}

bool
twait_until(twait_set *ts, wsc_loop *loop, twait_cond cond, void *arg, int timeout_ms)
{
    uint64_t deadline = now_ms() + (uint64_t)(timeout_ms > 0 ? timeout_ms : 0);
    for (;;) {
        if (cond(arg))
            return true;
        uint64_t now = now_ms();
        if (now >= deadline)
            return cond(arg);
        uint64_t left = deadline - now;
        if (twait_pump(ts, loop, left < 5 ? (int)left : 5) < 0)
            return cond(arg);
    }
}

static bool
never(void *arg)
{
    (void)arg;
    return false;
}

void
twait_for(twait_set *ts, wsc_loop *loop, int timeout_ms)
{
    (void)twait_until(ts, loop, never, NULL, timeout_ms);
}

bool
tws_is_open(void *arg)
{
    return tws_state(arg) == TWS_OPEN;
}

bool
tws_is_settled(void *arg)
{
    return tws_state(arg) != TWS_CONNECTING;
}

bool
tws_is_closed(void *arg)
{
    tws_conn_state s = tws_state(arg);
    return s == TWS_CLOSED || s == TWS_ERROR;
}

bool
thttp_is_done(void *arg)
{
    return thttp_done(arg);
}

bool
twait_has_messages(void *arg)
{
    const twait_count *w = arg;
    return tws_pending(w->c) >= w->n;
}

static bool
all_ws(const twait_set *ts, twait_cond pred)
{
    for (size_t i = 0; i < ts->nws; i++) {
        if (!pred(ts->ws[i]))
            return false;
    }
    return true;
}

bool
twait_all_open(void *arg)
{
    return all_ws(arg, tws_is_open);
}

bool
twait_all_settled(void *arg)
{
    const twait_set *ts = arg;
    for (size_t i = 0; i < ts->nhttp; i++) {
        if (!thttp_done(ts->http[i]))
            return false;
    }
    return all_ws(ts, tws_is_settled);
}

bool
twait_all_closed(void *arg)
{
    return all_ws(arg, tws_is_closed);
}
