/* SPDX-License-Identifier: MIT */
/* libFuzzer target for the bodies of wsc-hub's HTTP API (examples/wsc-hub/api*.c, PROTOCOL.md
 * §7), through the real path: a hub with the API attached listens on 127.0.0.1, and each input
 * is sent over a TCP connection as the body of a request whose route its first byte picks
 * (publish, batch publish, group members, kick).  Every request must get a whole HTTP answer
 * with a status the API documents and a JSON object body (an "error" and a "reason" for a
 * 4xx/5xx), and the hub must go on serving; ASan/UBSan and leaks as usual.  One hub serves every
 * input (making one costs far more than a request), so its state (groups, stored messages)
 * grows with the run, as in a long-lived server. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <jansson.h>

#include <wsc/wsc.h>

#include "api.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fx {
    wsc_loop *loop;
    wsc_hub *hub;
    wsc_hubd_api api;
    int port;
};

static struct fx fx;

static void
check(bool ok, const char *what, const char *detail)
{
    if (!ok) {
        fprintf(stderr, "fuzz_http_api: %s: %.400s\n", what, detail ? detail : "");
        abort();
    }
}

static void
free_fx(void)
{
    wsc_hub_free(fx.hub);
    wsc_loop_free(fx.loop);
}

static bool
setup(void)
{
    if (fx.hub != NULL)
        return true;
    if (wsc_loop_new(&fx.loop) != WSC_OK)
        return false;
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.loop = fx.loop;
    cfg.host = "127.0.0.1";
    cfg.port = 0;
    cfg.log.level = WSC_LOG_ERROR;
    fx.api.api_key = "fuzz-key";
    wsc_hubd_api_attach(&cfg, &fx.api);
    if (wsc_hub_new(&fx.hub, &cfg) != WSC_OK)
        return false;
    fx.port = wsc_hub_port(fx.hub);
    atexit(free_fx);
    return fx.port > 0;
}

static const char *const routes[] = {
    "POST /api/publish", "POST /api/groups/g1/members", "POST /api/users/u1/kick",
    "POST /api/publish", /* twice: the body parser that matters most */
};

/* Sends the whole request, running the loop while the socket is full. */
static void
send_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            check(false, "send failed", strerror(errno));
        } else {
            wsc_loop_run_once(fx.loop, 1);
        }
    }
}

/* Reads until the answer is whole (headers and Content-Length bytes) or the peer closes. */
static size_t
read_answer(int fd, char *buf, size_t cap)
{
    size_t got = 0;
    for (int turns = 0; turns < 20000; turns++) {
        wsc_loop_run_once(fx.loop, 1);
        ssize_t r = recv(fd, buf + got, cap - 1 - got, 0);
        if (r == 0)
            break;
        if (r > 0) {
            got += (size_t)r;
            buf[got] = '\0';
            const char *end = strstr(buf, "\r\n\r\n");
            const char *cl = strcasestr(buf, "content-length:");
            if (end != NULL && cl != NULL && cl < end &&
                got >= (size_t)(end + 4 - buf) + strtoul(cl + 15, NULL, 10))
                break;
        }
    }
    buf[got] = '\0';
    return got;
}

static void
check_answer(const char *ans)
{
    int status = 0;
    check(sscanf(ans, "HTTP/1.1 %d", &status) == 1, "no status line", ans);
    static const int documented[] = {200, 400, 401, 404, 405, 409, 413, 415, 429, 503, 507};
    bool known = false;
    for (size_t i = 0; i < sizeof(documented) / sizeof(documented[0]); i++)
        known |= status == documented[i];
    check(known, "undocumented status", ans);
    const char *body = strstr(ans, "\r\n\r\n");
    check(body != NULL, "no end of headers", ans);
    json_t *j = json_loads(body + 4, 0, NULL);
    check(json_is_object(j), "body is not a JSON object", ans);
    if (status >= 400)
        check(json_is_string(json_object_get(j, "error")) &&
                  json_is_string(json_object_get(j, "reason")),
              "an error without error and reason", ans);
    json_decref(j);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!setup())
        abort();
    const char *route = routes[size > 0 ? data[0] % 4 : 0];
    const uint8_t *body = size > 0 ? data + 1 : data;
    size_t blen = size > 0 ? size - 1 : 0;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    check(fd >= 0, "socket", strerror(errno));
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)fx.port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    fcntl(fd, F_SETFL, O_NONBLOCK);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
    check(rc == 0 || errno == EINPROGRESS, "connect", strerror(errno));
    char head[256];
    int hn = snprintf(head, sizeof(head),
                      "%s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer fuzz-key\r\n"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n",
                      route, blen);
    struct pollfd pfd = {.fd = fd, .events = POLLOUT};
    while (poll(&pfd, 1, 0) == 0)
        wsc_loop_run_once(fx.loop, 1);
    send_all(fd, head, (size_t)hn);
    send_all(fd, (const char *)body, blen);
    static char ans[1 << 16];
    size_t n = read_answer(fd, ans, sizeof(ans));
    close(fd);
    check(n > 0, "no answer", route);
    check_answer(ans);
    return 0;
}
