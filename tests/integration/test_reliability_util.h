/* SPDX-License-Identifier: MIT */
/* Shared fixture of the reliability tests: a hub on a loop of the test's own, raw tws peers
 * that log in with ?user_id=, counters of completions and failure-handler calls. */
#ifndef WSC_TEST_RELIABILITY_UTIL_H
#define WSC_TEST_RELIABILITY_UTIL_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wsc/wsc.h>

#include "tjson.h"
#include "twait.h"

struct rt {
    wsc_loop *loop;
    wsc_hub *hub;
    wsc_store *store; /* external store when set before rt_start */
    twait_set *ts;
    int port;
    int n_done;
    int outcomes[3];
    wsc_err last_status;
    wsc_delivery last;
    char last_user[64];
    int failures[5];
    wsc_failure_kind last_kind;
};

static void
rt_done(wsc_err status, const wsc_delivery *d, void *user)
{
    struct rt *t = user;
    t->n_done++;
    t->outcomes[d->outcome]++;
    t->last_status = status;
    t->last = *d;
    snprintf(t->last_user, sizeof(t->last_user), "%s", d->user_id);
    t->last.user_id = t->last_user;
    t->last.message_id = NULL;
}

/* A handler that counts and keeps the preset action. */
static void
rt_failure(wsc_hub *hub, const wsc_failure *f, wsc_failure_action *action, void *user)
{
    (void)hub;
    (void)action;
    struct rt *t = user;
    t->failures[f->kind]++;
    t->last_kind = f->kind;
}

static inline wsc_err
rt_start_cfg(struct rt *t, wsc_hub_config *cfg)
{
    if (t->loop == NULL && wsc_loop_new(&t->loop) != WSC_OK)
        return WSC_ERR_NOMEM;
    cfg->loop = t->loop;
    cfg->host = "127.0.0.1";
    cfg->port = 0;
    cfg->insecure_user_id = true;
    cfg->store = t->store;
    cfg->rng_seed = 1;
    cfg->log.level = WSC_LOG_ERROR;
    wsc_err err = wsc_hub_new(&t->hub, cfg);
    if (err != WSC_OK)
        return err;
    t->port = wsc_hub_port(t->hub);
    t->ts = twait_set_new();
    wsc_failure_handlers h = {rt_failure, rt_failure, rt_failure, rt_failure, rt_failure, t};
    return wsc_hub_set_failure_handlers(t->hub, &h);
}

/* ack: timeout 50 ms, base delay 20 ms, no jitter, the given retries. */
static inline void
rt_fast_ack(wsc_ack_opts *o, unsigned retries)
{
    wsc_ack_opts_init(o);
    o->ack_timeout_ms = 50;
    o->base_delay_ms = 20;
    o->max_delay_ms = 100;
    o->jitter = 0;
    o->max_retries = retries;
}

static inline wsc_err
rt_start(struct rt *t, unsigned retries)
{
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    rt_fast_ack(&cfg.ack, retries);
    return rt_start_cfg(t, &cfg);
}

static inline void
rt_stop(struct rt *t)
{
    twait_set_free_all(t->ts);
    t->ts = NULL;
    wsc_hub_free(t->hub);
    t->hub = NULL;
    if (t->store != NULL)
        wsc_store_close(t->store);
    t->store = NULL;
    wsc_loop_free(t->loop);
    t->loop = NULL;
}

/* Drops peer c from the set and frees it. */
static inline void
rt_drop(struct rt *t, tws *c)
{
    twait_remove_ws(t->ts, c);
    tws_free(c);
}

/* The next text message of c as JSON within timeout_ms, or NULL. */
static inline json_t *
rt_next(struct rt *t, tws *c, int timeout_ms)
{
    twait_count wc = {c, 1};
    if (!twait_until(t->ts, t->loop, twait_has_messages, &wc, timeout_ms))
        return NULL;
    char *data = NULL;
    size_t len = 0;
    if (!tws_next(c, NULL, &data, &len))
        return NULL;
    json_t *j = tjson_parsen(data, len);
    free(data);
    return j;
}

/* The next message of c whose message_type is not one of the hub's own frames ("ack" is
 * kept: receipts are what some tests wait for). */
static inline json_t *
rt_next_app(struct rt *t, tws *c, int timeout_ms)
{
    for (;;) {
        json_t *j = rt_next(t, c, timeout_ms);
        const char *type = j ? tjson_str(j, "message_type") : NULL;
        if (j == NULL || (strcmp(type, "connected") != 0 && strcmp(type, "pong") != 0))
            return j;
        json_decref(j);
    }
}

/* Connects user and waits for its `connected` frame.  NULL on failure. */
static inline tws *
rt_connect(struct rt *t, const char *user)
{
    char path[128];
    snprintf(path, sizeof(path), "/ws?user_id=%s", user);
    tws *c = tws_connect(t->port, path, NULL, NULL);
    if (c == NULL)
        return NULL;
    twait_add_ws(t->ts, c);
    json_t *j = rt_next(t, c, 3000);
    const char *type = j ? tjson_str(j, "message_type") : NULL;
    bool ok = type != NULL && strcmp(type, "connected") == 0;
    json_decref(j);
    if (!ok) {
        rt_drop(t, c);
        return NULL;
    }
    return c;
}

static inline int
rt_ack(tws *c, const char *message_id)
{
    char buf[256];
    int n =
        snprintf(buf, sizeof(buf), "{\"message_type\":\"ack\",\"message_id\":\"%s\"}", message_id);
    return tws_send_text(c, buf, (size_t)n);
}

static inline wsc_msg *
rt_msg(const char *message_id, const char *content)
{
    wsc_msg *m = NULL;
    if (wsc_msg_new_text(&m, "text", content) != WSC_OK)
        return NULL;
    if (message_id != NULL)
        wsc_msg_set(m, WSC_F_MESSAGE_ID, message_id);
    return m;
}

static inline bool
rt_done_at_least(void *arg)
{
    struct rt *t = ((void **)arg)[0];
    int n = *(int *)((void **)arg)[1];
    return t->n_done >= n;
}

/* Runs until n completions have been seen (or timeout_ms). */
static inline bool
rt_wait_done(struct rt *t, int n, int timeout_ms)
{
    void *arg[2] = {t, &n};
    return twait_until(t->ts, t->loop, rt_done_at_least, arg, timeout_ms);
}

/* Async store results. */
struct rt_async {
    bool done;
    wsc_err status;
    uint64_t count;
    wsc_record_state state;
    uint32_t retries;
};

static void
rt_count_cb(wsc_err status, uint64_t count, void *user)
{
    struct rt_async *a = user;
    a->done = true;
    a->status = status;
    a->count = count;
}

static void
rt_record_cb(wsc_err status, const wsc_msg_record *rec, void *user)
{
    struct rt_async *a = user;
    a->done = true;
    a->status = status;
    if (rec != NULL) {
        a->state = rec->state;
        a->retries = rec->retry_count;
    }
}

static bool
rt_async_done(void *arg)
{
    return ((struct rt_async *)arg)->done;
}

static inline uint64_t
rt_offline_count(struct rt *t, const char *user)
{
    struct rt_async a = {0};
    if (wsc_hub_offline_count(t->hub, user, rt_count_cb, &a) != WSC_OK)
        return UINT64_MAX;
    twait_until(t->ts, t->loop, rt_async_done, &a, 2000);
    return a.status == WSC_OK ? a.count : UINT64_MAX;
}

/* The record's state, or -1 when there is none. */
static inline int
rt_record_state(struct rt *t, const char *mid, const char *user)
{
    struct rt_async a = {0};
    if (wsc_hub_record_get(t->hub, mid, user, rt_record_cb, &a) != WSC_OK)
        return -2;
    twait_until(t->ts, t->loop, rt_async_done, &a, 2000);
    return a.status == WSC_OK ? (int)a.state : -1;
}

/* Conditions to wait for with a deadline (twait_until), instead of a fixed wait. */
struct rt_until {
    struct rt *t;
    const char *mid, *user;
    long long want;
};

static inline bool
rt_until_offline(void *arg)
{
    const struct rt_until *u = arg;
    return rt_offline_count(u->t, u->user) == (uint64_t)u->want;
}

static inline bool
rt_until_record(void *arg)
{
    const struct rt_until *u = arg;
    return rt_record_state(u->t, u->mid, u->user) == (int)u->want;
}

static inline bool
rt_until_acks_unknown(void *arg)
{
    const struct rt_until *u = arg;
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(u->t->hub, &st);
    return st.acks_unknown >= (uint64_t)u->want;
}

static inline bool
rt_until_acked(void *arg)
{
    const struct rt_until *u = arg;
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(u->t->hub, &st);
    return st.acked >= (uint64_t)u->want;
}

/* Runs the loop until (mid, user)'s stored copy is gone and its record is ACKED. */
static inline bool
rt_wait_acked_offline(struct rt *t, const char *mid, const char *user, int timeout_ms)
{
    struct rt_until off = {t, NULL, user, 0}, rec = {t, mid, user, WSC_REC_ACKED};
    return twait_until(t->ts, t->loop, rt_until_offline, &off, timeout_ms) &&
           twait_until(t->ts, t->loop, rt_until_record, &rec, timeout_ms);
}

#endif
