/* SPDX-License-Identifier: MIT */
/* The hub fixture of the integration tests: a hub on a loop driven by twait, callbacks that
 * count and record what they see, and helpers to read JSON frames from raw peers. */
#include "thub.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tjson.h"

static void
on_connect(wsc_hub *hub, wsc_conn *conn, void *user)
{
    (void)hub;
    thub *t = user;
    if (t->connects < THUB_REC)
        t->conn_ids[t->connects] = wsc_conn_get_id(conn);
    t->connects++;
}

static void
on_disconnect(wsc_hub *hub, wsc_conn *conn, int code, const char *reason, void *user)
{
    (void)hub;
    thub *t = user;
    if (t->disconnects < THUB_REC) {
        thub_disc *d = &t->disc[t->disconnects];
        d->id = wsc_conn_get_id(conn);
        d->code = code;
        snprintf(d->reason, sizeof(d->reason), "%s", reason ? reason : "(null)");
        snprintf(d->user, sizeof(d->user), "%s", wsc_conn_user_id(conn));
    }
    t->disconnects++;
}

static void
on_message(wsc_hub *hub, wsc_conn *conn, wsc_msg *msg, bool *route, void *user)
{
    (void)hub;
    (void)conn;
    thub *t = user;
    const char *content = wsc_msg_get(msg, WSC_F_CONTENT);
    snprintf(t->last_text, sizeof(t->last_text), "%s", content ? content : "");
    t->messages++;
    if (t->veto)
        *route = false;
}

static void
on_binary(wsc_hub *hub, wsc_conn *conn, const void *data, size_t len, void *user)
{
    (void)hub;
    (void)conn;
    thub *t = user;
    t->binaries++;
    t->bin_len = len;
    memcpy(t->bin, data, len < sizeof(t->bin) ? len : sizeof(t->bin));
}

static void
on_sent(wsc_hub *hub, wsc_conn_id conn, const char *user_id, const wsc_msg *msg, void *user)
{
    (void)hub;
    (void)conn;
    (void)user_id;
    (void)msg;
    ((thub *)user)->sent++;
}

static void
on_send_failed(wsc_hub *hub, wsc_conn_id conn, const char *user_id, const wsc_msg *msg, wsc_err why,
               void *user)
{
    (void)hub;
    (void)user_id;
    thub *t = user;
    const char *mid = wsc_msg_get(msg, WSC_F_MESSAGE_ID);
    size_t n = t->failed < 4 * THUB_REC ? t->failed : 4 * THUB_REC;
    for (size_t i = 0; mid != NULL && i < n; i++) {
        if (t->fails[i].conn == conn && strcmp(t->fails[i].message_id, mid) == 0)
            t->dup_report = true;
    }
    if (t->failed < 4 * THUB_REC) {
        thub_fail *f = &t->fails[t->failed];
        f->conn = conn;
        f->why = why;
        snprintf(f->message_id, sizeof(f->message_id), "%s", mid ? mid : "");
    }
    t->failed++;
}

static void
config_on(thub *t, wsc_hub_config *cfg)
{
    wsc_hub_config_init(cfg);
    cfg->loop = t->loop;
    cfg->host = "127.0.0.1";
    cfg->port = 0;
    cfg->insecure_user_id = true;
    cfg->on_connect = on_connect;
    cfg->on_disconnect = on_disconnect;
    cfg->on_message = on_message;
    cfg->on_binary = on_binary;
    cfg->on_sent = on_sent;
    cfg->on_send_failed = on_send_failed;
    cfg->user = t;
}

void
thub_config(thub *t, wsc_hub_config *cfg)
{
    memset(t, 0, sizeof(*t));
    assert_int_equal(wsc_loop_new(&t->loop), WSC_OK);
    t->ts = twait_set_new();
    assert_non_null(t->ts);
    config_on(t, cfg);
}

void
thub_config_beside(thub *t, wsc_hub_config *cfg, thub *other)
{
    memset(t, 0, sizeof(*t));
    t->loop = other->loop;
    t->ts = other->ts;
    t->shares = true;
    config_on(t, cfg);
}

void
thub_start(thub *t, const wsc_hub_config *cfg)
{
    wsc_err err = wsc_hub_new(&t->hub, cfg);
    if (err != WSC_OK)
        fail_msg("wsc_hub_new: %s (%s)", wsc_strerror(err), "see stderr");
    t->port = wsc_hub_port(t->hub);
    assert_true(t->port > 0);
}

void
thub_start_default(thub *t)
{
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    thub_start(t, &cfg);
}

void
thub_free(thub *t)
{
    if (t->shares) {
        wsc_hub_free(t->hub);
        memset(t, 0, sizeof(*t));
        return;
    }
    twait_set_free_all(t->ts);
    wsc_hub_free(t->hub);
    wsc_loop_free(t->loop);
    memset(t, 0, sizeof(*t));
}

tws *
thub_ws(thub *t, const char *path_and_query, const char *const *headers)
{
    tws *c = tws_connect(t->port, path_and_query, headers, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(t->ts, c), 0);
    return c;
}

bool
thub_settle(thub *t, tws *c)
{
    return twait_until(t->ts, t->loop, tws_is_settled, c, 3000);
}

tws *
thub_open(thub *t, const char *user, const char *extra)
{
    char path[512];
    snprintf(path, sizeof(path), "/ws?user_id=%s%s%s", user, extra ? "&" : "", extra ? extra : "");
    tws *c = thub_ws(t, path, NULL);
    if (!thub_settle(t, c) || tws_state(c) != TWS_OPEN)
        fail_msg("%s: state %s, HTTP %d %s %s", path, tws_state_name(tws_state(c)),
                 tws_http_status(c), tws_http_body(c), tws_error_text(c));
    json_decref(thub_recv_type(t, c, "connected", 3000));
    return c;
}

bool
thub_wait(thub *t, twait_cond cond, void *arg, int ms)
{
    return twait_until(t->ts, t->loop, cond, arg, ms);
}

struct ge {
    const size_t *counter;
    size_t n;
};

static bool
ge_cond(void *arg)
{
    const struct ge *g = arg;
    return *g->counter >= g->n;
}

bool
thub_wait_ge(thub *t, const size_t *counter, size_t n, int ms)
{
    struct ge g = {counter, n};
    return thub_wait(t, ge_cond, &g, ms);
}

bool
thub_wait_msgs(thub *t, tws *c, size_t n, int ms)
{
    twait_count w = {c, n};
    return thub_wait(t, twait_has_messages, &w, ms);
}

thttp *
thub_http(thub *t, const char *method, const char *path, const char *const *headers,
          const char *body, size_t len)
{
    thttp *h = thttp_request(t->port, method, path, headers, body, len);
    assert_non_null(h);
    assert_int_equal(twait_add_http(t->ts, h), 0);
    return h;
}

void
thub_http_expect(thub *t, thttp *h, int status)
{
    assert_true(thub_wait(t, thttp_is_done, h, 3000));
    if (thttp_failed(h))
        fail_msg("request failed: %s", thttp_error_text(h));
    assert_int_equal(thttp_status(h), status);
}

void
thub_run_for(thub *t, int ms)
{
    twait_for(t->ts, t->loop, ms);
}

json_t *
thub_recv(thub *t, tws *c, int ms)
{
    if (!thub_wait_msgs(t, c, 1, ms))
        fail_msg("no frame within %d ms (peer %s, close %d)", ms, tws_state_name(tws_state(c)),
                 tws_close_code(c));
    int op = 0;
    char *data = NULL;
    size_t len = 0;
    assert_true(tws_next(c, &op, &data, &len));
    assert_int_equal(op, TWS_OP_TEXT);
    json_t *j = tjson_parsen(data, len);
    if (j == NULL)
        fail_msg("not JSON: %s", data);
    free(data);
    return j;
}

json_t *
thub_recv_type(thub *t, tws *c, const char *type, int ms)
{
    json_t *j = thub_recv(t, c, ms);
    const char *got = tjson_str(j, "message_type");
    if (got == NULL || strcmp(got, type) != 0) {
        char *dump = json_dumps(j, JSON_COMPACT);
        fail_msg("want %s, got %s", type, dump ? dump : "?");
    }
    return j;
}

bool
thub_recv_until(thub *t, tws *c, const char *type, const char *mid, bool ack, int ms)
{
    for (;;) {
        if (!thub_wait_msgs(t, c, 1, ms))
            return false;
        int op;
        char *data;
        size_t len;
        if (!tws_next(c, &op, &data, &len))
            return false;
        json_t *j = tjson_parsen(data, len);
        free(data);
        const char *ty = tjson_str(j, "message_type"), *id = tjson_str(j, "message_id");
        bool hit = ty != NULL && strcmp(ty, type) == 0 &&
                   (mid == NULL || (id != NULL && strcmp(id, mid) == 0));
        if (ack && id != NULL && tjson_bool(j, "require_ack", false)) {
            char frame[256];
            snprintf(frame, sizeof(frame), "{\"message_type\":\"ack\",\"message_id\":\"%.200s\"}",
                     id);
            thub_send(c, frame);
        }
        json_decref(j);
        if (hit)
            return true;
    }
}

void
thub_send(tws *c, const char *text)
{
    assert_int_equal(tws_send_text(c, text, strlen(text)), 0);
}
