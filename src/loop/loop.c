/* SPDX-License-Identifier: MIT */
/* wsc_loop: one lws context serviced on one thread.  It owns a listener-less vhost whose only
 * protocol dispatches to per-connection handlers and drains the queue of work posted from other
 * threads (loop_post.c; woken through lws_cancel_service once per batch).  Two backends: lws's own
 * poll() loop, serviced with lws_service(), and lws on its libev plugin over a libev loop of ours
 * (loop_ev.c) that runs on epoll.  Timers (lws_sul), wake-ups and adopted descriptors are lws's on
 * both. */
#include "loop/loop.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop/loop_ev.h"
#include "loop/loop_post.h"
#include "middleware/logger.h"
#include "models/alloc.h"

/* The backend WSC_LOOP_DEFAULT means when the environment does not say (docs/architecture.md,
 * "Which loop", has the measurements). */
#define BUILTIN_DEFAULT WSC_LOOP_EPOLL

struct wsc_loop {
    struct lws_context *ctx;
    struct lws_vhost *vh;
    struct wsc__postq posts; /* work from other threads (loop_post.h) */
    /* The thread that runs (or last ran, or created) the loop: written by wsc_loop_run and
     * wsc_loop_run_once, read by wsc_loop_is_loop_thread on any thread. */
    _Atomic(pthread_t) owner;
    atomic_int stop;
    atomic_int running;
    unsigned attached;
    wsc__timer wake; /* bounds the wait of wsc_loop_run_once */
    /* wsc__soon work for the end of this pass (or of the next, which then does not wait) */
    struct wsc_list soon;
    wsc_loop_backend backend;
    void *evloop;                /* WSC_LOOP_EPOLL: the libev loop lws runs on (owned) */
    lws_sorted_usec_list_t tick; /* WSC_LOOP_EPOLL: see lws_tick() */
    uint64_t passes;             /* passes begun (wsc__loop_pass_count) */
};

static int
loop_protocol_cb(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                 size_t len)
{
    if (reason == LWS_CALLBACK_EVENT_WAIT_CANCELLED) {
        wsc_loop *loop = lws_context_user(lws_get_context(wsi));
        if (loop != NULL)
            wsc__postq_drain(&loop->posts);
        return 0;
    }
    struct wsc__handler *h = wsi ? lws_get_opaque_user_data(wsi) : NULL;
    if (h != NULL && h->cb != NULL)
        return h->cb(h, wsi, reason, in, len);
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static const struct lws_protocols loop_protocols[] = {
    {"wsc-loop", loop_protocol_cb, 0, 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void
lws_log_json(int level, const char *line)
{
    /* lws logs are process-wide; they go to stderr as JSON lines of the same shape as the
     * library's own (ts, level, component "lws", event "lws"), so that stderr stays parseable
     * line by line. */
    char msg[512];
    size_t j = 0;
    for (const char *p = line; *p && j < sizeof(msg) - 1; p++) {
        if (*p != '\n' && *p != '\r')
            msg[j++] = *p;
    }
    msg[j] = '\0';
    wsc__logger lg;
    wsc__logger_init(&lg, NULL, "lws");
    wsc__log(&lg, (level & LLL_ERR) ? WSC_LOG_ERROR : WSC_LOG_WARN, "lws", "s:message", msg);
}

static void
wake_cb(wsc__timer *t)
{
    (void)t;
}

void
wsc_loop_config_init(wsc_loop_config *cfg)
{
    if (cfg == NULL)
        return;
    *cfg =
        (wsc_loop_config){.backend = WSC_LOOP_DEFAULT, .max_handshakes = 256, .max_posts = 65536};
}

const char *
wsc_loop_backend_name(wsc_loop_backend backend)
{
    switch (backend) {
    case WSC_LOOP_DEFAULT:
        return "default";
    case WSC_LOOP_POLL:
        return "poll";
    case WSC_LOOP_EPOLL:
        return "epoll";
    }
    return "?";
}

/* WSC_LOOP_DEFAULT: the environment (benchmarks, test runs on both backends), else the
 * built-in default.  Only read here, once per loop. */
static wsc_err
resolve_backend(wsc_loop_backend want, wsc_loop_backend *out)
{
    if (want == WSC_LOOP_POLL || want == WSC_LOOP_EPOLL) {
        *out = want;
        return WSC_OK;
    }
    if (want != WSC_LOOP_DEFAULT)
        return WSC_ERR_INVALID;
    const char *env = getenv("WSC_LOOP_BACKEND");
    if (env == NULL || env[0] == '\0' || strcmp(env, "default") == 0)
        *out = BUILTIN_DEFAULT;
    else if (strcmp(env, "poll") == 0)
        *out = WSC_LOOP_POLL;
    else if (strcmp(env, "epoll") == 0)
        *out = WSC_LOOP_EPOLL;
    else
        return WSC_ERR_INVALID;
    return WSC_OK;
}

static wsc_err
create_context(wsc_loop *loop, const wsc_loop_config *cfg)
{
    void *foreign[1] = {NULL};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.options = LWS_SERVER_OPTION_EXPLICIT_VHOSTS | LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.user = loop;
    info.count_threads = 1;
    info.max_http_header_pool =
        (unsigned short)(cfg->max_handshakes > 0xffff ? 0xffff : cfg->max_handshakes);
    if (loop->backend == WSC_LOOP_EPOLL) {
        loop->evloop = wsc__ev_loop_new();
        if (loop->evloop == NULL)
            return WSC_ERR_UNSUPPORTED;
        /* lws 4.1 loads its libev glue as a plugin (libwebsockets-evlib_ev.so) and attaches
         * its watchers to this loop; it never installs signal handlers on a foreign loop. */
        foreign[0] = loop->evloop;
        info.foreign_loops = foreign;
        info.options |= LWS_SERVER_OPTION_LIBEV;
    }
    loop->ctx = lws_create_context(&info);
    if (loop->ctx == NULL)
        return loop->backend == WSC_LOOP_EPOLL ? WSC_ERR_UNSUPPORTED : WSC_ERR_IO;
    return WSC_OK;
}

/* lws 4.1's libev glue re-arms its one libev timer (the earliest lws_sul deadline) from an
 * idle watcher with ev_timer_set + ev_timer_start, which libev ignores while that timer is
 * still pending: an lws deadline earlier than the armed one (a close with LWS_TO_KILL_ASYNC, a
 * connect timeout) waits for the armed one, which may be 30 s away.  When the timer fires it is
 * re-armed correctly, so this tick bounds that delay to TICK_MS.  wsc's own timers do not
 * depend on it: on libev they are libev timers (loop_ev.c). */
#define TICK_MS 50

static void
lws_tick(lws_sorted_usec_list_t *sul)
{
    wsc_loop *loop = wsc_container_of(sul, wsc_loop, tick);
    lws_sul_schedule(loop->ctx, 0, &loop->tick, lws_tick, TICK_MS * LWS_US_PER_MS);
}

wsc_err
wsc_loop_new(wsc_loop **out)
{
    return wsc_loop_new_ex(out, NULL);
}

wsc_err
wsc_loop_new_ex(wsc_loop **out, const wsc_loop_config *cfg)
{
    if (out == NULL)
        return WSC_ERR_INVALID;
    *out = NULL;
    wsc_loop_config defaults;
    wsc_loop_config_init(&defaults);
    wsc_loop_backend backend;
    if (cfg == NULL)
        cfg = &defaults;
    wsc_err err = resolve_backend(cfg->backend, &backend);
    if (err != WSC_OK)
        return err;
    wsc_loop *loop = wsc__calloc(1, sizeof(*loop));
    if (loop == NULL)
        return WSC_ERR_NOMEM;
    wsc__postq_init(&loop->posts, cfg->max_posts > 0 ? cfg->max_posts : 65536);
    atomic_init(&loop->owner, pthread_self());
    loop->backend = backend;

    lws_set_log_level(LLL_ERR, lws_log_json);
    err = create_context(loop, cfg);
    if (err != WSC_OK)
        goto fail;

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.vhost_name = "wsc-loop";
    info.port = CONTEXT_PORT_NO_LISTEN_SERVER;
    info.protocols = loop_protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    loop->vh = lws_create_vhost(loop->ctx, &info);
    if (loop->vh == NULL) {
        err = WSC_ERR_IO;
        goto fail;
    }
    wsc__timer_init(&loop->wake, loop, wake_cb);
    wsc_list_init(&loop->soon);
    if (loop->evloop != NULL) {
        lws_tick(&loop->tick);
        /* lws arms its timer after its first I/O event: make one. */
        lws_cancel_service(loop->ctx);
    }
    *out = loop;
    return WSC_OK;
fail:
    if (loop->ctx != NULL)
        lws_context_destroy(loop->ctx);
    wsc__ev_loop_free(loop->evloop);
    wsc__postq_fini(&loop->posts);
    wsc__free(loop);
    return err;
}

wsc_loop_backend
wsc_loop_get_backend(const wsc_loop *loop)
{
    return loop ? loop->backend : WSC_LOOP_DEFAULT;
}

void
wsc_loop_free(wsc_loop *loop)
{
    if (loop == NULL)
        return;
    if (loop->attached != 0) {
        fprintf(stderr,
                "{\"level\":\"error\",\"src\":\"wsc\",\"msg\":\"wsc_loop_free: %u "
                "objects still attached; not freed\"}\n",
                loop->attached);
        return;
    }
    wsc__timer_stop(&loop->wake);
    while (!wsc_list_empty(&loop->soon)) /* their owners are gone: nothing to run */
        wsc__soon_cancel(wsc_container_of(loop->soon.next, wsc__soon, link));
    if (loop->evloop != NULL)
        lws_sul_schedule(loop->ctx, 0, &loop->tick, lws_tick, LWS_SET_TIMER_USEC_CANCEL);
    lws_context_destroy(loop->ctx);
    /* lws has stopped its watchers on the foreign loop; nothing else is on it. */
    wsc__ev_loop_free(loop->evloop);
    /* Work posted after the last run runs now: every posted function owns its argument and
     * frees it (the objects it was for are gone, so it does nothing else). */
    while (wsc__postq_drain(&loop->posts) > 0)
        ;
    wsc__postq_fini(&loop->posts);
    wsc__free(loop);
}

/* Makes the calling thread the one running loop: WSC_ERR_INVALID (NULL), WSC_ERR_STATE (the loop
 * is already running). */
static wsc_err
enter(wsc_loop *loop)
{
    if (loop == NULL)
        return WSC_ERR_INVALID;
    if (atomic_load(&loop->running))
        return WSC_ERR_STATE;
    atomic_store(&loop->owner, pthread_self());
    atomic_store(&loop->running, 1);
    return WSC_OK;
}

void
wsc__soon_init(wsc__soon *s, wsc__soon_fn fn)
{
    memset(s, 0, sizeof(*s));
    wsc_list_init(&s->link);
    s->fn = fn;
}

void
wsc__loop_soon(wsc_loop *loop, wsc__soon *s)
{
    if (s->queued)
        return;
    s->queued = true;
    wsc_list_push_back(&loop->soon, &s->link);
}

void
wsc__soon_cancel(wsc__soon *s)
{
    if (!s->queued)
        return;
    s->queued = false;
    wsc_list_remove(&s->link);
    wsc_list_init(&s->link);
}

/* One pass: wait for events (up to timeout_ms; -1: until there are some; not at all when soon
 * work queued between passes waits), handle them, then run the soon work.  Returns
 * lws_service's result on the poll backend, else 0. */
static int
pass(wsc_loop *loop, int timeout_ms)
{
    int r = 0;
    loop->passes++;
    if (!wsc_list_empty(&loop->soon))
        timeout_ms = 0;
    if (loop->evloop != NULL) {
        wsc__ev_loop_once(loop->evloop, timeout_ms);
    } else if (timeout_ms < 0) {
        r = lws_service(loop->ctx, 0);
    } else {
        if (timeout_ms > 0)
            wsc__timer_start(&loop->wake, (uint64_t)timeout_ms);
        r = lws_service(loop->ctx, timeout_ms > 0 ? 0 : -1);
        wsc__timer_stop(&loop->wake);
    }
    while (!wsc_list_empty(&loop->soon)) {
        wsc__soon *s = wsc_container_of(loop->soon.next, wsc__soon, link);
        wsc__soon_cancel(s);
        s->fn(s);
    }
    return r;
}

wsc_err
wsc_loop_run(wsc_loop *loop)
{
    wsc_err err = enter(loop);
    if (err != WSC_OK)
        return err;
    while (!atomic_exchange(&loop->stop, 0)) {
        /* One round each, so that a stop (which also wakes the loop) is seen at once. */
        if (pass(loop, -1) < 0)
            break;
    }
    atomic_store(&loop->running, 0);
    return WSC_OK;
}

wsc_err
wsc_loop_run_once(wsc_loop *loop, int timeout_ms)
{
    wsc_err err = enter(loop);
    if (err != WSC_OK)
        return err;
    int r = pass(loop, timeout_ms);
    atomic_store(&loop->running, 0);
    atomic_store(&loop->stop, 0);
    return r < 0 ? WSC_ERR_IO : WSC_OK;
}

void
wsc_loop_stop(wsc_loop *loop)
{
    if (loop == NULL)
        return;
    atomic_store(&loop->stop, 1);
    lws_cancel_service(loop->ctx);
}

uint64_t
wsc_loop_now_ms(const wsc_loop *loop)
{
    (void)loop;
    return wsc__now_ms();
}

bool
wsc_loop_is_loop_thread(const wsc_loop *loop)
{
    return loop != NULL && pthread_equal(pthread_self(), atomic_load(&loop->owner));
}

struct lws_context *
wsc__loop_lws(wsc_loop *loop)
{
    return loop->ctx;
}

struct lws_vhost *
wsc__loop_vhost(wsc_loop *loop)
{
    return loop->vh;
}

uint64_t
wsc__loop_pass_count(const wsc_loop *loop)
{
    return loop->passes;
}

/* Only the post that found the queue empty wakes the loop: the others ride on it, and the
 * loop takes them all in one drain.  Returns err. */
static wsc_err
woken(wsc_loop *loop, bool wake, wsc_err err)
{
    if (wake)
        lws_cancel_service(loop->ctx);
    return err;
}

static wsc_err
post(wsc_loop *loop, wsc__post_fn fn, void *arg, bool force)
{
    bool wake = false;
    wsc_err err = wsc__postq_push(&loop->posts, fn, arg, force, &wake);
    return woken(loop, wake, err);
}

wsc_err
wsc__loop_post(wsc_loop *loop, wsc__post_fn fn, void *arg)
{
    return post(loop, fn, arg, false);
}

wsc_err
wsc__loop_post_control(wsc_loop *loop, wsc__post_fn fn, void *arg)
{
    return post(loop, fn, arg, true);
}

wsc_err
wsc__loop_post_copy(wsc_loop *loop, wsc__post_fn fn, const void *data, size_t len)
{
    bool wake = false;
    wsc_err err = wsc__postq_push_copy(&loop->posts, fn, data, len, &wake);
    return woken(loop, wake, err);
}

void
wsc__loop_post_stats(wsc_loop *loop, uint64_t *posts, uint64_t *wakes)
{
    pthread_mutex_lock(&loop->posts.lock);
    *posts = loop->posts.posts;
    *wakes = loop->posts.wakes;
    pthread_mutex_unlock(&loop->posts.lock);
}

void
wsc__loop_drain(wsc_loop *loop)
{
    wsc__postq_drain(&loop->posts);
}

void
wsc__loop_wake(wsc_loop *loop)
{
    lws_cancel_service(loop->ctx);
}

void
wsc__loop_attach(wsc_loop *loop)
{
    loop->attached++;
}

void
wsc__loop_detach(wsc_loop *loop)
{
    if (loop->attached > 0)
        loop->attached--;
}

static void
timer_fire(lws_sorted_usec_list_t *sul)
{
    wsc__timer *t = (wsc__timer *)(void *)sul;
    t->armed = false;
    t->cb(t);
}

void
wsc__ev_timer_fired(void *arg)
{
    wsc__timer *t = arg;
    t->armed = false;
    t->cb(t);
}

void
wsc__timer_init(wsc__timer *t, wsc_loop *loop, wsc__timer_cb cb)
{
    memset(t, 0, sizeof(*t));
    t->loop = loop;
    t->cb = cb;
    if (loop != NULL && loop->evloop != NULL)
        wsc__ev_timer_init(t->ev, t);
}

void
wsc__timer_start_us(wsc__timer *t, uint64_t delay_us)
{
    t->armed = true;
    if (t->loop->evloop != NULL)
        wsc__ev_timer_start(t->loop->evloop, t->ev, delay_us);
    else
        lws_sul_schedule(t->loop->ctx, 0, &t->sul, timer_fire, (lws_usec_t)delay_us);
}

void
wsc__timer_start(wsc__timer *t, uint64_t delay_ms)
{
    wsc__timer_start_us(t, delay_ms * 1000u);
}

void
wsc__timer_stop(wsc__timer *t)
{
    if (!t->armed)
        return;
    t->armed = false;
    if (t->loop->evloop != NULL)
        wsc__ev_timer_stop(t->loop->evloop, t->ev);
    else
        lws_sul_schedule(t->loop->ctx, 0, &t->sul, timer_fire, LWS_SET_TIMER_USEC_CANCEL);
}

uint64_t
wsc__now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

uint64_t
wsc__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}
