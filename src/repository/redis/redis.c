/* SPDX-License-Identifier: MIT */
/* The Redis store: URL parsing, the connection state machine (connect, AUTH, SELECT, ready;
 * on loss every in-flight command completes with WSC_ERR_STORE and a reconnect is scheduled
 * with exponential backoff), and command submission with our own timeouts (hiredis 0.14 has
 * no timer hook). */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "models/alloc.h"
#include "repository/redis/redis_internal.h"

static void conn_start(struct redis_store *rs);

static void
cmd_free(void *p)
{
    struct rs_cmd *c = p;
    for (int i = 0; i < c->n; i++)
        redisFreeCommand(c->cmds[i]);
    wsc__free(c->cmds);
    wsc__free(c->lens);
    wsc__free(c);
}

/* Each reply is parsed in order; the first non-OK result finishes the request, and the last
 * reply finishes it OK otherwise.  On a Redis Cluster, a redirected reply and every later
 * one of its send are sent again (wsc__rs_cl_resend) once the send's last reply is in. */
static void
on_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    struct wsc__req *req = privdata;
    struct rs_cmd *c = req->bk;
    const redisReply *r = reply;
    int idx = c->from + c->got++;
    c->replies--;
    if (r == NULL) {
        wsc__req_finish(req, WSC_ERR_STORE);
    } else if (c->redo >= 0 || req->finished) {
        /* sent again after this send, or already answered */
    } else if (r->type == REDIS_REPLY_ERROR && wsc__rs_cl_redirect(req, r->str, idx)) {
        /* noted: resent below once the send's replies are in */
    } else if (r->type == REDIS_REPLY_ERROR) {
        if (req->store != NULL)
            wsc__errtext_set(&req->store->last_error, "redis: %s", r->str);
        wsc__req_finish(req, WSC_ERR_STORE);
    } else {
        wsc_err st = c->parse(req, r);
        if (st != WSC_OK || (c->replies == 0 && idx == c->n - 1))
            wsc__req_finish(req, st);
    }
    if (c->replies == 0 && c->redo >= 0 && !req->finished)
        wsc__rs_cl_resend(req);
    wsc__req_unref(req);
}

static void
ignore_reply(redisAsyncContext *ac, void *reply, void *privdata)
{
    (void)ac;
    (void)reply;
    (void)privdata;
}

/* Sends commands [from, n) of req on rs's connection (each after ASKING when redirected by
 * an ASK). */
static void
send_now(struct redis_store *rs, struct wsc__req *req)
{
    struct rs_cmd *c = req->bk;
    c->got = 0;
    for (int i = c->from; i < c->n; i++) {
        wsc__req_ref(req);
        c->replies++;
        if ((c->asking && redisAsyncCommand(rs->ac, ignore_reply, NULL, "ASKING") != REDIS_OK) ||
            redisAsyncFormattedCommand(rs->ac, on_reply, req, c->cmds[i], (size_t)c->lens[i]) !=
                REDIS_OK) {
            c->replies--;
            wsc__req_finish(req, WSC_ERR_STORE);
            wsc__req_unref(req);
            return;
        }
    }
    c->asking = false;
}

static wsc_err
cmd_add(struct rs_cmd *c, int argc, const char **argv, const size_t *lens)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0)
        return WSC_ERR_NOMEM;
    c->cmds[c->n] = cmd;
    c->lens[c->n++] = len;
    return WSC_OK;
}

void
wsc__rs_conn_submit(struct redis_store *rs, struct wsc__req *req)
{
    struct rs_cmd *c = req->bk;
    if (!c->armed) {
        c->armed = true;
        wsc__req_arm_timeout(req, rs->base.cfg.command_timeout_ms);
    }
    if (rs->state == RS_READY) {
        send_now(rs, req);
        return;
    }
    /* Down: wait for the connection, but no longer than the command timeout. */
    req->timeout_status = WSC_ERR_STORE;
    wsc_list_push_back(&rs->waiting, &wsc__req_ref(req)->bk_link);
}

/* Sends req's commands now or once connected: on rs's connection, or on a Redis Cluster to
 * the node of its slot. */
static void
submit_cmd(struct redis_store *rs, struct wsc__req *req)
{
    if (rs->cl != NULL)
        wsc__rs_cl_submit(rs, req);
    else
        wsc__rs_conn_submit(rs, req);
}

static struct rs_cmd *
cmd_new(struct wsc__req *req, int n, rs_parse_fn parse, const char *key)
{
    struct rs_cmd *c = wsc__calloc(1, sizeof(*c));
    if (c == NULL)
        return NULL;
    c->cmds = wsc__calloc((size_t)n, sizeof(*c->cmds));
    c->lens = wsc__calloc((size_t)n, sizeof(*c->lens));
    c->parse = parse;
    c->slot = key != NULL ? wsc__rs_slot(key, strlen(key)) : -1;
    c->redo = -1;
    req->bk = c;
    req->bk_free = cmd_free;
    return c->cmds != NULL && c->lens != NULL ? c : NULL;
}

void
wsc__rs_submit(struct redis_store *rs, struct wsc__req *req, const char *key, int argc,
               const char **argv, const size_t *lens, rs_parse_fn parse)
{
    struct rs_cmd *c = cmd_new(req, 1, parse, key);
    if (c == NULL || cmd_add(c, argc, argv, lens) != WSC_OK) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return;
    }
    submit_cmd(rs, req);
}

void
wsc__rs_pipeline(struct redis_store *rs, struct wsc__req *req, int n, int argc,
                 const char *const *argvs, rs_parse_fn parse)
{
    struct rs_cmd *c = cmd_new(req, n, parse, n > 0 && argc > 1 ? argvs[1] : NULL);
    for (int i = 0; c != NULL && i < n; i++) {
        const char *argv[16];
        size_t lens[16];
        for (int j = 0; j < argc && j < 16; j++) {
            argv[j] = argvs[i * argc + j];
            lens[j] = strlen(argv[j]);
        }
        /* One slot: a Redis Cluster runs the pipeline on one node, in order. */
        assert(argc < 2 || wsc__rs_slot(argv[1], lens[1]) == c->slot);
        if (cmd_add(c, argc, argv, lens) != WSC_OK)
            c = NULL;
    }
    if (c == NULL) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return;
    }
    submit_cmd(rs, req);
}

void
wsc__rs_escape(const char *id, char *out)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        if (*p <= ' ' || *p == ':' || *p == '%' || *p == '{' || *p == '}' || *p == 0x7f) {
            *out++ = '%';
            *out++ = hex[*p >> 4];
            *out++ = hex[*p & 15];
        } else {
            *out++ = (char)*p;
        }
    }
    *out = '\0';
}

int
wsc__rs_hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void
wsc__rs_unescape(const char *in, char *out)
{
    while (*in != '\0') {
        int hi = in[0] == '%' ? wsc__rs_hexval(in[1]) : -1,
            lo = hi >= 0 ? wsc__rs_hexval(in[2]) : -1;
        if (lo >= 0) {
            *out++ = (char)(hi << 4 | lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
}

void
wsc__rs_key(char *out, size_t cap, const char *head, const char *id, const char *tail)
{
    char esc[3 * 256 + 1];
    wsc__rs_escape(id, esc);
    snprintf(out, cap, "%s%s%s", head, esc, tail);
}

/* ---- connection ---- */

static void
flush_waiting(struct redis_store *rs)
{
    while (!wsc_list_empty(&rs->waiting) && rs->state == RS_READY) {
        struct wsc__req *req = wsc_container_of(rs->waiting.next, struct wsc__req, bk_link);
        wsc_list_remove(&req->bk_link);
        if (!req->finished) {
            req->timeout_status = WSC_ERR_TIMEOUT;
            send_now(rs, req);
        }
        wsc__req_unref(req);
    }
}

static void
schedule_retry(struct redis_store *rs)
{
    rs->state = RS_DOWN;
    if (rs->on_lost != NULL && !rs->base.closing)
        rs->on_lost(rs->hook_user);
    if (rs->base.closing || rs->retry.armed)
        return;
    wsc__timer_start(&rs->retry, rs->backoff_ms);
    rs->backoff_ms = rs->backoff_ms * 2 > rs->base.cfg.reconnect_max_ms
                         ? rs->base.cfg.reconnect_max_ms
                         : rs->backoff_ms * 2;
}

void
wsc__rs_lost(struct redis_store *rs)
{
    redisAsyncContext *ac = rs->ac;
    rs->ac = NULL;
    if (ac != NULL)
        redisAsyncFree(ac); /* in-flight commands complete with a NULL reply: STORE */
    wsc__errtext_set(&rs->base.last_error, "redis: connection lost");
    schedule_retry(rs);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
    struct redis_store *rs = ac->data;
    (void)status;
    if (rs->ac == ac) {
        rs->ac = NULL;
        if (!rs->refused) /* else the handshake's answer says more */
            wsc__errtext_set(&rs->base.last_error, "redis: disconnected: %s", ac->errstr);
        schedule_retry(rs);
    }
}

static void
on_handshake(redisAsyncContext *ac, void *reply, void *privdata)
{
    struct redis_store *rs = ac->data;
    const redisReply *r = reply;
    bool last = privdata != NULL;
    if (r == NULL)
        return;
    if (r->type == REDIS_REPLY_ERROR) {
        wsc__errtext_set(&rs->base.last_error, "redis: handshake: %s", r->str);
        rs->refused = true;
        redisAsyncDisconnect(ac);
        return;
    }
    if (last && rs->ac == ac) {
        rs->state = RS_READY;
        rs->backoff_ms = rs->base.cfg.reconnect_min_ms;
        flush_waiting(rs);
        if (rs->on_ready != NULL && rs->ac == ac)
            rs->on_ready(rs->hook_user, ac);
    }
}

static void
on_connect(const redisAsyncContext *cac, int status)
{
    struct redis_store *rs = cac->data;
    redisAsyncContext *ac = rs->ac;
    if (ac != cac)
        return;
    if (status != REDIS_OK) {
        /* hiredis frees the context after this callback. */
        rs->ac = NULL;
        wsc__errtext_set(&rs->base.last_error, "redis: connect: %s", cac->errstr);
        schedule_retry(rs);
        return;
    }
    /* AUTH and SELECT are pipelined; the last reply (privdata not NULL) makes us ready. */
    if (rs->password[0] != '\0')
        redisAsyncCommand(ac, on_handshake, NULL, "AUTH %s", rs->password);
    redisAsyncCommand(ac, on_handshake, rs, "SELECT %d", rs->db);
}

static void
conn_start(struct redis_store *rs)
{
    /* The numeric address: hiredis calls getaddrinfo, which must not look a name up here. */
    redisAsyncContext *ac = redisAsyncConnect(rs->addr, rs->port);
    if (ac == NULL || ac->err != 0) {
        wsc__errtext_set(&rs->base.last_error, "redis: %s", ac ? ac->errstr : "out of memory");
        if (ac != NULL)
            redisAsyncFree(ac);
        schedule_retry(rs);
        return;
    }
    ac->data = rs;
    if (wsc__rs_ev_attach(rs, ac) != WSC_OK) {
        redisAsyncFree(ac);
        schedule_retry(rs);
        return;
    }
    rs->ac = ac;
    rs->state = RS_CONNECTING;
    rs->refused = false;
    redisAsyncSetDisconnectCallback(ac, on_disconnect);
    redisAsyncSetConnectCallback(ac, on_connect);
}

static void
retry_cb(wsc__timer *t)
{
    struct redis_store *rs = wsc_container_of(t, struct redis_store, retry);
    if (rs->ac == NULL && !rs->base.closing)
        conn_start(rs);
}

/* ---- store ---- */

static wsc_err
parse_pong(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    return r->type == REDIS_REPLY_STATUS ? WSC_OK : WSC_ERR_STORE;
}

static wsc_err
rs_ping(wsc_store *store, struct wsc__req *req)
{
    const char *argv[] = {"PING"};
    size_t lens[] = {4};
    wsc__rs_submit((struct redis_store *)store, req, NULL, 1, argv, lens, parse_pong);
    return WSC_OK;
}

static void
rs_close(wsc_store *store)
{
    struct redis_store *rs = (struct redis_store *)store;
    wsc__timer_stop(&rs->retry);
    while (!wsc_list_empty(&rs->waiting)) {
        struct wsc__req *req = wsc_container_of(rs->waiting.next, struct wsc__req, bk_link);
        wsc_list_remove(&req->bk_link);
        wsc__req_unref(req);
    }
    if (rs->ac != NULL) {
        redisAsyncContext *ac = rs->ac;
        rs->ac = NULL;
        redisAsyncFree(ac);
    }
    wsc__rs_cl_close(rs);
    wsc__free(rs);
}

static const struct wsc__store_ops rs_ops = {
    .name = "redis",
    .ping = rs_ping,
    .close = rs_close,
    .pending = &wsc__rs_pending_ops,
    .repos =
        {
            .offline = &wsc__rs_offline_ops,
            .records = &wsc__rs_record_ops,
            .online = &wsc__rs_online_ops,
            .connrecs = &wsc__rs_connrec_ops,
            .hubstats = &wsc__rs_hubstats_ops,
            .queues = &wsc__rs_queue_ops,
            .workload = &wsc__rs_workload_ops,
        },
};

struct redis_store *
wsc__rs_of(wsc_store *store)
{
    return store != NULL && store->ops == &rs_ops ? (struct redis_store *)store : NULL;
}

wsc_err
wsc__rs_open_like(const struct redis_store *rs, struct redis_store **out)
{
    char url[sizeof(rs->password) + sizeof(rs->addr) + 64];
    snprintf(url, sizeof(url), "redis://%s%s%s%s:%d/%d", rs->password[0] ? ":" : "", rs->password,
             rs->password[0] ? "@" : "", rs->addr, rs->port, rs->db);
    wsc_store *s = NULL;
    wsc_err err = wsc__redis_open(rs->base.loop, url, &rs->base.cfg, &s);
    *out = err == WSC_OK ? (struct redis_store *)s : NULL;
    return err;
}

wsc_err
wsc__redis_open(wsc_loop *loop, const char *url, const wsc_store_config *cfg, wsc_store **out)
{
    struct redis_store *rs = wsc__calloc(1, sizeof(*rs));
    if (rs == NULL)
        return WSC_ERR_NOMEM;
    bool cluster = strncmp(url, "redis+cluster://", 16) == 0;
    wsc_err err = cluster ? WSC_OK : wsc__rs_parse_url(rs, url);
    if (err == WSC_OK && loop != NULL && !cluster)
        err = wsc__rs_resolve(rs); /* before init: nothing to undo when it fails */
    if (err == WSC_OK)
        err = wsc__store_init(&rs->base, &rs_ops, &rs->repos, loop, cfg);
    if (err != WSC_OK) {
        wsc__free(rs);
        return err;
    }
    wsc_list_init(&rs->waiting);
    wsc__timer_init(&rs->retry, loop, retry_cb);
    rs->backoff_ms = rs->base.cfg.reconnect_min_ms;
    if (cluster && (err = wsc__rs_cl_open(rs, url)) != WSC_OK) {
        wsc_store_close(&rs->base);
        return err;
    }
    if (!cluster)
        conn_start(rs);
    *out = &rs->base;
    return WSC_OK;
}
