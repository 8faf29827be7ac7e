/* SPDX-License-Identifier: MIT */
/* baseline_uws: a uWebSockets broadcast/echo server for the benchmarks, fanning out with uWS's own
 * pub/sub (every connection but the publisher subscribes to the topic "all").  Same control
 * endpoint and behaviour as baseline_lws:
 *   POST /bench/broadcast?n=50&size=64   GET /bench/stats
 * Frames from clients are echoed back, except those of the publisher (the connection whose query
 * says user_id=pub, or --publisher NAME): each of its messages is published to "all".  Stops
 * after --timeout seconds or on SIGTERM/SIGINT.  Built by bench/build_uws.sh. */
#include <algorithm>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>
#include <string_view>
#include <sys/resource.h>

#include "App.h"

struct Session {
    std::string user_id; /* the user_id query parameter of the upgrade request */
};

using Ws = uWS::WebSocket<false, true, Session>;

static const char *publisher = "pub";
static unsigned n_open; /* open WebSockets */
static uWS::App *app;
static time_t deadline;
static volatile sig_atomic_t interrupted;

static void
on_signal(int)
{
    interrupted = 1;
}

static bool
is_publisher(Ws *ws)
{
    return ws->getUserData()->user_id == publisher;
}

static unsigned long long
now_ns()
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

/* size bytes (22..65000): "@<20 digits of CLOCK_MONOTONIC ns>@" and 'x' padding */
static std::string
stamped(unsigned size)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "@%020llu@", now_ns());
    std::string m(size, 'x');
    memcpy(m.data(), head, (size_t)n);
    return m;
}

static unsigned
qarg(uWS::HttpRequest *req, std::string_view name, unsigned def)
{
    std::string_view v = req->getQuery(name);
    unsigned n = def;
    std::from_chars(v.data(), v.data() + v.size(), n);
    return n;
}

static void
reply(uWS::HttpResponse<false> *res, const std::string &body)
{
    res->writeHeader("Content-Type", "application/json")->end(body);
}

static void
on_upgrade(uWS::HttpResponse<false> *res, uWS::HttpRequest *req, us_socket_context_t *ctx)
{
    res->upgrade<Session>(
        {std::string(req->getQuery("user_id"))}, req->getHeader("sec-websocket-key"),
        req->getHeader("sec-websocket-protocol"), req->getHeader("sec-websocket-extensions"), ctx);
}

static void
on_open(Ws *ws)
{
    n_open++;
    if (!is_publisher(ws))
        ws->subscribe("all");
}

static void
on_message(Ws *ws, std::string_view msg, uWS::OpCode op)
{
    if (is_publisher(ws))
        app->publish("all", msg, op);
    else
        ws->send(msg, op);
}

static void
on_close(Ws *, int, std::string_view)
{
    n_open--;
}

static void
on_stats(uWS::HttpResponse<false> *res, uWS::HttpRequest *)
{
    reply(res, "{\"connections\":" + std::to_string(n_open) + "}");
}

static void
on_broadcast(uWS::HttpResponse<false> *res, uWS::HttpRequest *req)
{
    unsigned n = qarg(req, "n", 1), size = std::clamp(qarg(req, "size", 64), 22u, 65000u);
    unsigned long long queued = 0;
    for (unsigned i = 0; i < n; i++) {
        unsigned subscribers = app->numSubscribers("all");
        if (app->publish("all", stamped(size), uWS::OpCode::TEXT))
            queued += subscribers;
    }
    reply(res, "{\"queued\":" + std::to_string(queued) + "}");
}

static void
on_other(uWS::HttpResponse<false> *res, uWS::HttpRequest *)
{
    res->writeStatus("404 Not Found")->end("{\"error\":\"not_found\"}");
}

/* Every 100 ms: on a signal or after the timeout, close every socket so that run() returns. */
static void
tick(us_timer_t *t)
{
    if (!interrupted && time(nullptr) < deadline)
        return;
    app->close();
    us_timer_close(t);
}

int
main(int argc, char **argv)
{
    int port = 8080, timeout_s = 600;
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--publisher") == 0)
            publisher = argv[i + 1];
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout_s = atoi(argv[i + 1]);
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);

    uWS::App::WebSocketBehavior<Session> wsb;
    wsb.compression = uWS::DISABLED;
    wsb.maxPayloadLength = 64 * 1024;
    wsb.idleTimeout = 0; /* never close idle or slow connections */
    wsb.maxBackpressure = 64 * 1024 * 1024;
    wsb.upgrade = on_upgrade;
    wsb.open = on_open;
    wsb.message = on_message;
    wsb.close = on_close;
    uWS::App a;
    app = &a;
    a.ws<Session>("/*", std::move(wsb))
        .get("/bench/stats", on_stats)
        .post("/bench/broadcast", on_broadcast)
        .any("/*", on_other);

    bool listening = false;
    a.listen("0.0.0.0", port, LIBUS_LISTEN_EXCLUSIVE_PORT,
             [&listening](us_listen_socket_t *ls) { listening = ls != nullptr; });
    if (!listening) {
        fprintf(stderr, "baseline_uws: cannot listen on port %d\n", port);
        return 1;
    }
    deadline = time(nullptr) + timeout_s;
    us_timer_t *timer = us_create_timer((us_loop_t *)uWS::Loop::get(), 0, 0);
    us_timer_set(timer, tick, 100, 100);
    printf("{\"baseline_uws\":\"listening\",\"port\":%d}\n", port);
    fflush(stdout);
    a.run();
    return 0;
}
