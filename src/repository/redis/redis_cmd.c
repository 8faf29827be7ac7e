/* SPDX-License-Identifier: MIT */
/* The Redis backend's one request helper: a command (or an EVAL of a script) built argument by
 * argument into struct rs_args and sent in one call (wsc__rs_run for a repository op's
 * request, wsc__rs_call for a request of the store's own), and the reply shapes several ops
 * share (integer found/count, OK, a list of strings). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "repository/redis/redis_internal.h"

void
wsc__rs_arg(struct rs_args *a, const char *s)
{
    if (a->n < RS_MAX_ARGS)
        a->v[a->n++] = s != NULL ? s : "";
    else
        a->full = true;
}

void
wsc__rs_argf(struct rs_args *a, const char *fmt, ...)
{
    char *p = a->buf + a->used;
    size_t room = sizeof(a->buf) - a->used;
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(p, room, fmt, ap);
    va_end(ap);
    if (w < 0 || (size_t)w >= room) {
        a->full = true;
        return;
    }
    a->used += (size_t)w + 1;
    wsc__rs_arg(a, p);
}

void
wsc__rs_arg_key(struct rs_args *a, const char *head, const char *id, const char *tail)
{
    char esc[3 * 256 + 1];
    wsc__rs_escape(id, esc);
    wsc__rs_argf(a, "%s%s%s", head, esc, tail);
}

void
wsc__rs_send(struct redis_store *rs, struct wsc__req *req, const struct rs_args *a,
             rs_parse_fn parse)
{
    const char *argv[RS_MAX_ARGS + 3];
    size_t lens[RS_MAX_ARGS + 3];
    char nk[12];
    int argc = 0;
    if (a->full) {
        wsc__req_finish(req, WSC_ERR_NOMEM);
        return;
    }
    if (a->script != NULL) {
        snprintf(nk, sizeof(nk), "%d", a->nkeys);
        argv[argc++] = "EVAL";
        argv[argc++] = a->script;
        argv[argc++] = nk;
    }
    for (int i = 0; i < a->n; i++)
        argv[argc++] = a->v[i];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    wsc__rs_submit(rs, req,
                   a->script != NULL ? (a->nkeys > 0 ? a->v[0] : NULL)
                   : a->n > 1        ? a->v[1]
                                     : NULL,
                   argc, argv, lens, parse);
}

wsc_err
wsc__rs_run(struct redis_store *rs, struct wsc__req *req, const struct rs_args *a,
            rs_parse_fn parse)
{
    wsc__rs_send(rs, req, a, parse);
    return WSC_OK;
}

wsc_err
wsc__rs_call(struct redis_store *rs, enum wsc__op op, enum wsc__req_kind kind, union wsc__req_cb cb,
             void *user, const struct rs_args *a, rs_parse_fn parse)
{
    struct wsc__req *req;
    wsc_err err = wsc__req_new(&rs->base, op, kind, cb, user, &req);
    if (err == WSC_OK)
        wsc__rs_send(rs, req, a, parse);
    return err;
}

wsc_err
wsc__rs_int(const redisReply *r, long long *out)
{
    if (r->type != REDIS_REPLY_INTEGER)
        return WSC_ERR_STORE;
    *out = r->integer;
    return WSC_OK;
}

wsc_err
wsc__rs_parse_found(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    return v > 0 ? WSC_OK : WSC_ERR_NOT_FOUND;
}

wsc_err
wsc__rs_parse_count(struct wsc__req *req, const redisReply *r)
{
    long long v;
    if (wsc__rs_int(r, &v) != WSC_OK)
        return WSC_ERR_STORE;
    req->count = (uint64_t)v;
    return WSC_OK;
}

wsc_err
wsc__rs_parse_ok(struct wsc__req *req, const redisReply *r)
{
    (void)req;
    return r->type == REDIS_REPLY_ERROR ? WSC_ERR_STORE : WSC_OK;
}

wsc_err
wsc__rs_parse_strs(struct wsc__req *req, const redisReply *r)
{
    if (r->type != REDIS_REPLY_ARRAY)
        return WSC_ERR_STORE;
    for (size_t i = 0; i < r->elements; i++) {
        const redisReply *e = r->element[i];
        if (e->type != REDIS_REPLY_STRING && e->type != REDIS_REPLY_STATUS)
            return WSC_ERR_STORE;
        if (wsc__req_strndup(req, e->str, e->len) == NULL)
            return WSC_ERR_NOMEM;
    }
    return WSC_OK;
}
