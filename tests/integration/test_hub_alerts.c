/* SPDX-License-Identifier: MIT */
/* Limits and alerts of the real wsc-hub (WSC_HUB_BIN), driven from outside over real sockets
 * (docs/configuration.md, "Limits and alerts"): each limit trips (frames and bytes per second
 * per connection and per user answer `error rate_limited`, repeated trips close with 1008;
 * connects per second answer 429, connections per address 503, a foreign Origin 403); every
 * trip reaches the webhook (a small HTTP listener of the test) as JSON, the log and /metrics;
 * a webhook that never answers does not slow traffic down and its full queue drops alerts
 * (counted and logged); SIGHUP changes a limit and the webhook live. */
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "thttp.h"
#include "thubproc.h"
#include "tjson.h"
#include "twait.h"
#include "tws.h"

#define WAIT_MS    20000
#define MAX_ALERTS 256

/* The webhook's receiver: a listening socket serviced from the wait conditions. */
typedef struct sink {
    int fd, port;
    bool mute;      /* accept nothing (a receiver that never answers) */
    int client;     /* the connection being read, or -1 */
    char buf[4096]; /* its request so far */
    size_t len;
    json_t *alerts[MAX_ALERTS];
    size_t n;
} sink;

typedef struct fx {
    thubproc hub;
    twait_set *ts;
    int port;
    sink sink;
    char path[64]; /* the config file */
} fx;

static void
sink_open(sink *s)
{
    s->client = -1;
    s->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    assert_true(s->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof(a);
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(s->fd, 64), 0);
    assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &al), 0);
    s->port = ntohs(a.sin_port);
}

/* Reads what is there; a complete request is kept (its body parsed) and answered 204. */
static void
sink_service(sink *s)
{
    if (s->mute)
        return;
    if (s->client < 0) {
        s->client = accept4(s->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        s->len = 0;
        if (s->client < 0)
            return;
    }
    ssize_t n;
    while (s->len < sizeof(s->buf) - 1 &&
           (n = read(s->client, s->buf + s->len, sizeof(s->buf) - 1 - s->len)) > 0)
        s->len += (size_t)n;
    s->buf[s->len] = '\0';
    char *body = strstr(s->buf, "\r\n\r\n");
    const char *cl = strcasestr(s->buf, "Content-Length:");
    if (body == NULL || cl == NULL || strlen(body + 4) < (size_t)atol(cl + 15))
        return;
    if (strncmp(s->buf, "POST ", 5) == 0 && s->n < MAX_ALERTS)
        s->alerts[s->n++] = tjson_parse(body + 4);
    static const char ok[] = "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n";
    assert_int_equal(write(s->client, ok, sizeof(ok) - 1), (ssize_t)sizeof(ok) - 1);
    close(s->client);
    s->client = -1;
}

static void
sink_close(sink *s)
{
    if (s->client >= 0)
        close(s->client);
    close(s->fd);
    for (size_t i = 0; i < s->n; i++)
        json_decref(s->alerts[i]);
}

/* Alerts of kind received so far. */
static size_t
sink_count(const sink *s, const char *kind)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n; i++) {
        const char *k = tjson_str(s->alerts[i], "kind");
        n += k != NULL && strcmp(k, kind) == 0;
    }
    return n;
}

struct want {
    fx *f;
    const char *kind;
};

static bool
sink_has(void *arg)
{
    struct want *w = arg;
    sink_service(&w->f->sink);
    return sink_count(&w->f->sink, w->kind) > 0;
}

/* Waits until the webhook got an alert of kind; returns it (borrowed). */
static json_t *
wait_alert(fx *f, const char *kind)
{
    struct want w = {f, kind};
    assert_true(twait_until(f->ts, NULL, sink_has, &w, WAIT_MS));
    for (size_t i = 0; i < f->sink.n; i++) {
        const char *k = tjson_str(f->sink.alerts[i], "kind");
        if (k != NULL && strcmp(k, kind) == 0)
            return f->sink.alerts[i];
    }
    return NULL;
}

static int
setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->ts = twait_set_new();
    f->port = thubproc_free_port();
    sink_open(&f->sink);
    snprintf(f->path, sizeof(f->path), "/tmp/wsc-alerts-XXXXXX");
    int fd = mkstemp(f->path);
    assert_true(fd >= 0);
    close(fd);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx *f = *state;
    thubproc_stop(&f->hub, 5000);
    twait_set_free_all(f->ts);
    sink_close(&f->sink);
    unlink(f->path);
    free(f);
    return 0;
}

static void __attribute__((format(printf, 2, 3))) write_config(fx *f, const char *fmt, ...)
{
    char tmp[80];
    snprintf(tmp, sizeof(tmp), "%s.new", f->path);
    FILE *out = fopen(tmp, "w");
    assert_non_null(out);
    va_list ap;
    va_start(ap, fmt);
    vfprintf(out, fmt, ap);
    va_end(ap);
    assert_int_equal(fclose(out), 0);
    assert_int_equal(rename(tmp, f->path), 0);
}

/* Starts the hub on the config file with "limits" and "alerts" sections as given, and the
 * flag "--origins" origins when not NULL. */
static void
start_with(fx *f, const char *limits, const char *alerts, const char *origins)
{
    if (getenv("WSC_HUB_BIN") == NULL)
        skip();
    write_config(f,
                 "{\"listen\":\"127.0.0.1:%d\",\"auth\":{\"insecure_user_id\":true},"
                 "\"limits\":{%s},\"alerts\":{%s}}",
                 f->port, limits, alerts);
    const char *args[] = {"--config", f->path, origins ? "--origins" : NULL, origins, NULL};
    assert_int_equal(thubproc_start(&f->hub, f->port, args, WAIT_MS), 0);
}

static void
start(fx *f, const char *limits, const char *alerts)
{
    start_with(f, limits, alerts, NULL);
}

/* A WebSocket of user from src_ip (NULL: 127.0.0.1), settled (open or refused). */
static tws *
ws_open(fx *f, const char *src_ip, const char *user, const char *const *headers)
{
    char path[128];
    snprintf(path, sizeof(path), "/ws?user_id=%s", user);
    tws *c = tws_connect_from(src_ip != NULL ? src_ip : "127.0.0.1", f->port, path, headers, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(f->ts, c), 0);
    assert_true(twait_until(f->ts, NULL, tws_is_settled, c, WAIT_MS));
    return c;
}

static void
ws_free(fx *f, tws *c)
{
    twait_remove_ws(f->ts, c);
    tws_free(c);
}

/* arg: a tws; it has received an error frame with data.code "rate_limited". */
static bool
got_rate_limited(void *arg)
{
    tws *c = arg;
    char *text = NULL;
    bool found = false;
    while (!found && tws_next(c, NULL, &text, NULL)) {
        json_t *j = tjson_parse(text);
        const char *code = tjson_str(j, "data.code");
        found = code != NULL && strcmp(code, "rate_limited") == 0;
        json_decref(j);
        free(text);
    }
    return found;
}

static bool
limited_or_closed(void *arg)
{
    return got_rate_limited(arg) || tws_is_closed(arg);
}

struct nmsg {
    tws *c;
    size_t n;
};

/* arg: a struct nmsg; its connection has n messages waiting. */
static bool
has_n(void *arg)
{
    struct nmsg *w = arg;
    return tws_pending(w->c) >= w->n;
}

/* Sends n frames of text on c and waits for their n answers (after the connected frame). */
static void
send_answered(fx *f, tws *c, const char *text, size_t len, size_t n)
{
    for (size_t i = 0; i < n; i++)
        assert_int_equal(tws_send_text(c, text, len), 0);
    struct nmsg w = {c, n + 1};
    assert_true(twait_until(f->ts, NULL, has_n, &w, WAIT_MS));
}

/* The body of GET /metrics (free()). */
static char *
metrics(fx *f)
{
    thttp *h = thttp_request(f->port, "GET", "/metrics", NULL, NULL, 0);
    assert_non_null(h);
    assert_int_equal(twait_add_http(f->ts, h), 0);
    assert_true(twait_until(f->ts, NULL, thttp_is_done, h, WAIT_MS));
    assert_int_equal(thttp_status(h), 200);
    char *body = strndup(thttp_body(h), thttp_body_len(h));
    twait_remove_http(f->ts, h);
    thttp_free(h);
    return body;
}

static const char chat[] = "{\"receiver\":\"nobody\",\"content\":\"hi\"}";

/* Sends frames of text on c until it is answered rate_limited. */
static void
send_until_limited(fx *f, tws *c, const char *text, size_t len, int max)
{
    for (int i = 0; i < max; i++)
        assert_int_equal(tws_send_text(c, text, len), 0);
    assert_true(twait_until(f->ts, NULL, got_rate_limited, c, WAIT_MS));
}

static void
test_alerts__message_rate_trips_then_1008(void **state)
{
    fx *f = *state;
    char hook[64];
    snprintf(hook, sizeof(hook), "\"webhook_url\":\"http://127.0.0.1:%d/alert\"", f->sink.port);
    start(f, "\"msg_rate_per_conn\":1,\"msg_burst_per_conn\":2", hook);
    tws *c = ws_open(f, NULL, "alice", NULL);
    assert_int_equal(tws_state(c), TWS_OPEN);
    send_until_limited(f, c, chat, strlen(chat), 4);
    json_t *a = wait_alert(f, "msg_rate_conn");
    assert_string_equal(tjson_str(a, "user"), "alice");
    assert_string_equal(tjson_str(a, "ip"), "127.0.0.1");
    assert_true(json_real_value(tjson_get(a, "limit")) == 1.0);
    assert_true(thubproc_wait(&f->hub, "limit_tripped", 1, WAIT_MS));
    /* Repeated trips are violations: max_violations (10) of them close with 1008.  One frame
     * at a time, each answered, so that none arrives after the close. */
    while (tws_state(c) == TWS_OPEN) {
        assert_int_equal(tws_send_text(c, chat, strlen(chat)), 0);
        assert_true(twait_until(f->ts, NULL, limited_or_closed, c, WAIT_MS));
    }
    assert_true(twait_until(f->ts, NULL, tws_is_closed, c, WAIT_MS));
    assert_int_equal(tws_close_code(c), 1008);
    char *m = metrics(f);
    assert_non_null(strstr(m, "wsc_rate_limit_trips_total{kind=\"msg_rate_conn\"} "));
    assert_null(strstr(m, "wsc_rate_limit_trips_total{kind=\"msg_rate_conn\"} 0\n"));
    free(m);
    ws_free(f, c);
}

static void
test_alerts__bytes_and_user_limits_trip(void **state)
{
    fx *f = *state;
    char hook[64];
    snprintf(hook, sizeof(hook), "\"webhook_url\":\"http://127.0.0.1:%d/\"", f->sink.port);
    start(f,
          "\"bytes_rate_per_conn\":100,\"bytes_burst_per_conn\":200,"
          "\"msg_rate_per_user\":1,\"msg_burst_per_user\":3",
          hook);
    /* Bytes per connection: 300-byte frames against a 200-byte burst. */
    char big[300];
    memset(big, ' ', sizeof(big));
    memcpy(big, chat, strlen(chat));
    tws *b = ws_open(f, NULL, "bob", NULL);
    send_until_limited(f, b, big, sizeof(big), 2);
    wait_alert(f, "byte_rate_conn");
    ws_free(f, b);
    /* Frames per user: two connections of carol share 3 frames. */
    tws *c1 = ws_open(f, NULL, "carol", NULL), *c2 = ws_open(f, NULL, "carol", NULL);
    send_answered(f, c1, chat, strlen(chat), 2);
    send_until_limited(f, c2, chat, strlen(chat), 2);
    json_t *a = wait_alert(f, "msg_rate_user");
    assert_string_equal(tjson_str(a, "user"), "carol");
    ws_free(f, c1);
    ws_free(f, c2);
}

static void
test_alerts__user_bytes_limit_trips(void **state)
{
    fx *f = *state;
    char hook[64];
    snprintf(hook, sizeof(hook), "\"webhook_url\":\"http://127.0.0.1:%d/\"", f->sink.port);
    start(f, "\"bytes_rate_per_user\":10,\"bytes_burst_per_user\":100", hook);
    tws *c1 = ws_open(f, NULL, "dan", NULL), *c2 = ws_open(f, NULL, "dan", NULL);
    send_answered(f, c1, chat, strlen(chat), 2);
    send_until_limited(f, c2, chat, strlen(chat), 3);
    wait_alert(f, "byte_rate_user");
    ws_free(f, c1);
    ws_free(f, c2);
}

static void
test_alerts__connect_limits_and_origin(void **state)
{
    fx *f = *state;
    char hook[64];
    snprintf(hook, sizeof(hook), "\"webhook_url\":\"http://127.0.0.1:%d/\"", f->sink.port);
    start_with(f, "\"max_conns_per_ip\":2,\"connect_rate_per_ip\":1,\"connect_burst_per_ip\":3",
               hook, "https://ok.example");
    /* Two connections from 127.0.0.2, the third is over the cap (503). */
    tws *a = ws_open(f, "127.0.0.2", "u1", NULL), *b = ws_open(f, "127.0.0.2", "u2", NULL);
    assert_int_equal(tws_state(b), TWS_OPEN);
    tws *c = ws_open(f, "127.0.0.2", "u3", NULL);
    assert_int_equal(tws_http_status(c), 503);
    json_t *al = wait_alert(f, "conns_per_ip");
    assert_string_equal(tjson_str(al, "ip"), "127.0.0.2");
    ws_free(f, c);
    /* 127.0.0.3: three connects per burst, then 429. */
    tws *d[4];
    for (int i = 0; i < 4; i++)
        d[i] = ws_open(f, "127.0.0.3", "u4", NULL);
    assert_int_equal(tws_http_status(d[3]), 429);
    wait_alert(f, "connect_rate_ip");
    for (int i = 0; i < 4; i++)
        ws_free(f, d[i]);
    /* An Origin that is not allowed: 403 and an alert. */
    const char *bad[] = {"Origin: https://evil.example", NULL};
    tws *e = ws_open(f, "127.0.0.4", "u5", bad);
    assert_int_equal(tws_http_status(e), 403);
    wait_alert(f, "origin");
    ws_free(f, e);
    ws_free(f, a);
    ws_free(f, b);
}

/* arg: a tws that has a message waiting. */
static bool
has_message(void *arg)
{
    return tws_pending((tws *)arg) > 0;
}

static void
test_alerts__dead_webhook_does_not_block(void **state)
{
    fx *f = *state;
    f->sink.mute = true; /* connections are queued by the kernel, never answered */
    char hook[160];
    snprintf(hook, sizeof(hook),
             "\"webhook_url\":\"http://127.0.0.1:%d/\",\"webhook_queue\":2,"
             "\"webhook_timeout_ms\":10000",
             f->sink.port);
    start(f, "\"msg_rate_per_conn\":1,\"msg_burst_per_conn\":1", hook);
    tws *spam = ws_open(f, NULL, "spammer", NULL), *rx = ws_open(f, NULL, "rx", NULL);
    tws *tx = ws_open(f, NULL, "tx", NULL);
    /* Eight trips: one post hangs, two wait, the rest are dropped. */
    for (int i = 0; i < 9; i++)
        assert_int_equal(tws_send_text(spam, chat, strlen(chat)), 0);
    assert_true(thubproc_wait(&f->hub, "alert_webhook_dropped", 1, WAIT_MS));
    /* Traffic flows while the webhook hangs. */
    static const char to_rx[] = "{\"receiver\":\"rx\",\"content\":\"still here\"}";
    while (tws_next(rx, NULL, NULL, NULL))
        ;
    assert_int_equal(tws_send_text(tx, to_rx, strlen(to_rx)), 0);
    assert_true(twait_until(f->ts, NULL, has_message, rx, 2000));
    char *m = metrics(f);
    assert_null(strstr(m, "wsc_alert_webhook_total{outcome=\"dropped\"} 0\n"));
    free(m);
    ws_free(f, spam);
    ws_free(f, rx);
    ws_free(f, tx);
}

static void
test_alerts__sighup_changes_limits_live(void **state)
{
    fx *f = *state;
    start(f, "", "");
    tws *a = ws_open(f, "127.0.0.5", "v1", NULL), *b = ws_open(f, "127.0.0.5", "v2", NULL);
    assert_int_equal(tws_state(b), TWS_OPEN);
    write_config(f,
                 "{\"listen\":\"127.0.0.1:%d\",\"auth\":{\"insecure_user_id\":true},"
                 "\"limits\":{\"max_conns_per_ip\":1,\"msg_rate_per_conn\":1,"
                 "\"msg_burst_per_conn\":1},\"alerts\":{\"webhook_url\":\"http://127.0.0.1:%d/\"}}",
                 f->port, f->sink.port);
    assert_int_equal(thubproc_signal(&f->hub, SIGHUP), 0);
    assert_true(thubproc_wait(&f->hub, "config_reloaded", 1, WAIT_MS));
    /* The new frame rate applies to a connection opened before the reload ... */
    send_until_limited(f, a, chat, strlen(chat), 3);
    wait_alert(f, "msg_rate_conn");
    /* ... and the new cap to new connections (counted from the reload on). */
    tws *c = ws_open(f, "127.0.0.6", "v3", NULL), *d = ws_open(f, "127.0.0.6", "v4", NULL);
    assert_int_equal(tws_state(c), TWS_OPEN);
    assert_int_equal(tws_http_status(d), 503);
    wait_alert(f, "conns_per_ip");
    ws_free(f, a);
    ws_free(f, b);
    ws_free(f, c);
    ws_free(f, d);
}

int
main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_alerts__message_rate_trips_then_1008, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts__bytes_and_user_limits_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts__user_bytes_limit_trips, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts__connect_limits_and_origin, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts__dead_webhook_does_not_block, setup, teardown),
        cmocka_unit_test_setup_teardown(test_alerts__sighup_changes_limits_live, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.hub_alerts", tests, NULL, NULL);
}
