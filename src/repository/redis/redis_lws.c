/* SPDX-License-Identifier: MIT */
/* The hiredis event hooks on lws's own loop: the Redis socket is adopted as a raw file
 * descriptor on the loop's vhost; POLLIN drives redisAsyncHandleRead.  Commands are written at
 * the end of the loop's pass (wsc__loop_soon), so every command of one pass leaves in one
 * write, with no POLLOUT round (two epoll_ctl and a pass per write); only what the socket
 * would not take then waits for WRITEABLE.  While the store is held (wsc__rs_hold: the cluster
 * bus, during a client's burst) they wait longer, until it is released.  At cleanup lws keeps (and
 * later closes) the descriptor, so hiredis is told to forget it: one owner closes it, once. */
#include <libwebsockets.h>

#include "loop/loop.h"
#include "models/alloc.h"
#include "repository/redis/redis_internal.h"

struct rs_ev {
    struct wsc__handler h; /* must stay first: the wsi's opaque user data */
    struct redis_store *rs;
    redisAsyncContext *ac;
    struct lws *wsi;
    wsc__soon soon;         /* writes what hiredis holds at the end of the loop's pass */
    bool writing;           /* inside soon's redisAsyncHandleWrite: more waits for WRITEABLE */
    bool held;              /* commands came while rs->hold: written once it is released */
    uint64_t last_write_us; /* wsc__mono_us() of the last end-of-pass write */
    wsc__timer gap;         /* rs->coalesce_us after that write: the next one */
    bool freed;             /* hiredis let go of ev during that write: free it afterwards */
};

static int
ev_cb(struct wsc__handler *h, struct lws *wsi, enum lws_callback_reasons reason, void *in,
      size_t len)
{
    struct rs_ev *ev = (struct rs_ev *)h;
    (void)in;
    (void)len;
    (void)wsi;
    switch (reason) {
    case LWS_CALLBACK_RAW_RX_FILE:
        /* May free the context (and ev through cleanup): touch nothing afterwards. */
        if (ev->rs->on_readable != NULL && ev->rs->state == RS_READY)
            ev->rs->on_readable(ev->rs->hook_user, ev->ac);
        else
            redisAsyncHandleRead(ev->ac);
        break;
    case LWS_CALLBACK_RAW_WRITEABLE_FILE:
        redisAsyncHandleWrite(ev->ac);
        break;
    case LWS_CALLBACK_RAW_CLOSE_FILE:
        /* lws dropped the descriptor (hang-up): hiredis must not use or close it again. */
        ev->wsi = NULL;
        ev->ac->c.fd = -1;
        wsc__rs_lost(ev->rs);
        break;
    default:
        break;
    }
    return 0;
}

/* A write came less than rs->coalesce_us after the last one: the commands wait until that
 * much has passed since it (true), so that a busy connection writes (and Redis answers) many
 * commands at a time instead of one per pass. */
static bool
coalesce(struct rs_ev *ev)
{
    uint32_t gap_us = ev->rs->coalesce_us;
    uint64_t since = wsc__mono_us() - ev->last_write_us;
    if (gap_us == 0 || since >= gap_us)
        return false;
    wsc__timer_start_us(&ev->gap, gap_us - since);
    return true;
}

static void
gap_over(wsc__timer *t)
{
    struct rs_ev *ev = wsc_container_of(t, struct rs_ev, gap);
    wsc__loop_soon(ev->rs->base.loop, &ev->soon);
}

static void
ev_add_write(void *privdata)
{
    struct rs_ev *ev = privdata;
    if (ev->wsi == NULL)
        return;
    if (ev->writing) /* the socket took less than all: the rest when it can take more */
        lws_callback_on_writable(ev->wsi);
    else if (ev->rs->hold)
        ev->held = true;
    else if (!ev->soon.queued && !ev->gap.armed && !coalesce(ev))
        wsc__loop_soon(ev->rs->base.loop, &ev->soon);
}

void
wsc__rs_hold(struct redis_store *rs, bool on)
{
    rs->hold = on;
    struct rs_ev *ev = rs->ev;
    if (!on && ev != NULL && ev->held) {
        ev->held = false;
        if (ev->wsi != NULL) {
            wsc__timer_stop(&ev->gap);
            wsc__loop_soon(rs->base.loop, &ev->soon);
        }
    }
}

static void
soon_write(wsc__soon *s)
{
    struct rs_ev *ev = wsc_container_of(s, struct rs_ev, soon);
    ev->last_write_us = wsc__mono_us();
    ev->writing = true;
    /* May end the context (a write error): ev_cleanup then only marks ev freed. */
    redisAsyncHandleWrite(ev->ac);
    ev->writing = false;
    if (ev->freed)
        wsc__free(ev);
}

static void
ev_noop(void *privdata)
{
    (void)privdata;
}

static void
ev_cleanup(void *privdata)
{
    struct rs_ev *ev = privdata;
    if (ev->wsi != NULL) {
        lws_set_opaque_user_data(ev->wsi, NULL);
        lws_set_timeout(ev->wsi, PENDING_TIMEOUT_KILLED_BY_PARENT, LWS_TO_KILL_ASYNC);
        ev->ac->c.fd = -1;
    }
    if (ev->rs->ev == ev)
        ev->rs->ev = NULL;
    ev->ac->ev.data = NULL;
    wsc__soon_cancel(&ev->soon);
    wsc__timer_stop(&ev->gap);
    if (ev->writing)
        ev->freed = true;
    else
        wsc__free(ev);
}

wsc_err
wsc__rs_ev_attach(struct redis_store *rs, redisAsyncContext *ac)
{
    struct rs_ev *ev = wsc__calloc(1, sizeof(*ev));
    if (ev == NULL)
        return WSC_ERR_NOMEM;
    ev->h.cb = ev_cb;
    ev->rs = rs;
    ev->ac = ac;
    wsc__soon_init(&ev->soon, soon_write);
    wsc__timer_init(&ev->gap, rs->base.loop, gap_over);
    lws_sock_file_fd_type fd;
    fd.filefd = ac->c.fd;
    ev->wsi = lws_adopt_descriptor_vhost(wsc__loop_vhost(rs->base.loop), LWS_ADOPT_RAW_FILE_DESC,
                                         fd, "wsc-loop", NULL);
    if (ev->wsi == NULL) {
        wsc__free(ev);
        return WSC_ERR_IO;
    }
    lws_set_opaque_user_data(ev->wsi, &ev->h);
    ac->ev.data = ev;
    ac->ev.addRead = ev_noop; /* POLLIN stays on for the life of the descriptor */
    ac->ev.delRead = ev_noop;
    ac->ev.addWrite = ev_add_write;
    ac->ev.delWrite = ev_noop; /* WRITEABLE is one-shot in lws */
    ac->ev.cleanup = ev_cleanup;
    rs->ev = ev;
    return WSC_OK;
}
