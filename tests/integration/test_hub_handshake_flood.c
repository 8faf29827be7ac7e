/* SPDX-License-Identifier: MIT */
/* Lockout without logging in: the real wsc-hub (WSC_HUB_BIN), with its default settings, keeps
 * serving while 300 sockets that never finish a request are held open against it and renewed
 * 100 ms after the hub drops them: half silent, half sending request headers at one byte per
 * second, from four addresses of 127.0.0.0/8 (127.0.0.2-5).  Meanwhile, from 127.0.0.1,
 * a `GET /healthz` and a WebSocket upgrade start every 250 ms and must each be answered within
 * a second, for longer than the handshake timeout (so the attackers are dropped and renewed
 * at least once).  Without the per-address cap the 300 sockets hold all of lws's header
 * tables (256 by default, 64 before) and the probes wait.  Nothing sleeps: one loop polls every
 * socket with a short timeout and checks deadlines. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "thttp.h"
#include "tnet.h"
#include "twait.h"
#include "tws.h"

#define ATTACKERS      300 /* more than the default header-table pool (256) */
#define SOURCES        4
#define RUN_MS         8000 /* longer than the default handshake timeout (5 s) */
#define PROBE_EVERY_MS 250
#define PROBE_MAX_MS   1000
#define RENEW_MS       100 /* a dropped attacker comes back this long after */

static const char SLOW_HEAD[] = "GET /ws?user_id=attacker HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                "X-Padding: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

typedef struct attacker {
    int fd;
    bool slow;        /* sends one header byte per second; else silent */
    size_t sent;      /* header bytes sent */
    int64_t next_ms;  /* next byte (slow ones), or the reconnect (fd -1) */
    int64_t since_ms; /* connected at */
} attacker;

typedef struct probe {
    thttp *http;
    tws *ws;
    int64_t started_ms;
} probe;

typedef struct fx {
    pid_t hub;
    int port;
    twait_set *ts;
    attacker att[ATTACKERS];
    unsigned renewals;
    unsigned timed_out; /* dropped after holding on for more than a second */
    int64_t longest_ms; /* the longest an attacker was held before being dropped */
} fx;

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts wsc-hub on 127.0.0.1 and a kernel-chosen port, read from its first stdout line. */
static void
hub_start(fx *f)
{
    int out[2];
    assert_int_equal(pipe(out), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        dup2(out[1], 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        close(out[0]);
        execl(getenv("WSC_HUB_BIN"), "wsc-hub", "--listen", "127.0.0.1:0", "--insecure-user-id",
              "--log-level", "warn", (char *)NULL);
        _exit(127);
    }
    close(out[1]);
    f->hub = pid;
    char line[512];
    size_t n = 0;
    while (n < sizeof(line) - 1 && memchr(line, '\n', n) == NULL) {
        struct pollfd p = {.fd = out[0], .events = POLLIN};
        assert_int_equal(poll(&p, 1, 10000), 1);
        ssize_t r = read(out[0], line + n, sizeof(line) - 1 - n);
        assert_true(r > 0);
        n += (size_t)r;
    }
    line[n] = '\0';
    close(out[0]); /* the hub writes nothing more to stdout */
    const char *at = strstr(line, "127.0.0.1:");
    assert_non_null(at);
    f->port = atoi(at + 10);
    assert_true(f->port > 0);
}

static void
attacker_connect(fx *f, int i)
{
    char src[16];
    snprintf(src, sizeof(src), "127.0.0.%d", 2 + i % SOURCES);
    attacker *a = &f->att[i];
    a->fd = tnet_connect(src, f->port);
    assert_true(a->fd >= 0);
    a->slow = i % 2 == 1;
    a->sent = 0;
    a->next_ms = now_ms() + 100;
    a->since_ms = now_ms();
}

/* Renews attackers the hub dropped; feeds the slow ones their next byte. */
static void
attackers_tend(fx *f)
{
    int64_t now = now_ms();
    for (int i = 0; i < ATTACKERS; i++) {
        attacker *a = &f->att[i];
        if (a->fd < 0) {
            if (now >= a->next_ms)
                attacker_connect(f, i);
            continue;
        }
        char buf[512];
        ssize_t r = recv(a->fd, buf, sizeof(buf), MSG_DONTWAIT);
        bool dropped = r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
                                  errno != ENOTCONN && errno != EINPROGRESS);
        if (!dropped && a->slow && now >= a->next_ms && a->sent < sizeof(SLOW_HEAD) - 1) {
            if (send(a->fd, SLOW_HEAD + a->sent, 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
                a->sent++;
            else if (errno != EAGAIN && errno != ENOTCONN)
                dropped = true;
            a->next_ms = now + 1000;
        }
        if (dropped) {
            int64_t held = now - a->since_ms;
            f->timed_out += held > 1000;
            f->longest_ms = held > f->longest_ms ? held : f->longest_ms;
            close(a->fd);
            a->fd = -1;
            a->next_ms = now + RENEW_MS;
            f->renewals++;
        }
    }
}

static void
probe_start(fx *f, probe *p, int n)
{
    char path[64];
    snprintf(path, sizeof(path), "/ws?user_id=real-%d", n);
    p->http = thttp_request(f->port, "GET", "/healthz", NULL, NULL, 0);
    p->ws = tws_connect(f->port, path, NULL, NULL);
    assert_non_null(p->http);
    assert_non_null(p->ws);
    assert_int_equal(twait_add_http(f->ts, p->http), 0);
    assert_int_equal(twait_add_ws(f->ts, p->ws), 0);
    p->started_ms = now_ms();
}

/* true when both probes got their answer (asserting it is the right one). */
static bool
probe_done(fx *f, probe *p)
{
    if (!thttp_done(p->http) || !tws_is_settled(p->ws))
        return false;
    assert_false(thttp_failed(p->http));
    assert_int_equal(thttp_status(p->http), 200);
    if (tws_state(p->ws) != TWS_OPEN)
        fail_msg("upgrade: state %s HTTP %d", tws_state_name(tws_state(p->ws)),
                 tws_http_status(p->ws));
    twait_remove_http(f->ts, p->http);
    twait_remove_ws(f->ts, p->ws);
    thttp_free(p->http);
    tws_free(p->ws);
    memset(p, 0, sizeof(*p));
    return true;
}

static void
test_hub_handshake_flood__real_clients_served_during_flood(void **state)
{
    fx *f = *state;
    if (f == NULL) {
        print_message("[  SKIP    ] needs WSC_HUB_BIN\n");
        skip();
    }
    hub_start(f);
    for (int i = 0; i < ATTACKERS; i++)
        attacker_connect(f, i);
    probe probes[PROBE_MAX_MS / PROBE_EVERY_MS + 2];
    memset(probes, 0, sizeof(probes));
    int64_t t0 = now_ms(), next_probe = t0 + 500, worst = 0;
    int started = 0, answered = 0;
    while (now_ms() - t0 < RUN_MS || twait_http_count(f->ts) > 0) {
        twait_pump(f->ts, NULL, 20);
        attackers_tend(f);
        int64_t now = now_ms();
        for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
            probe *p = &probes[i];
            if (p->http == NULL)
                continue;
            int64_t age = now - p->started_ms;
            if (probe_done(f, p)) {
                answered++;
                worst = age > worst ? age : worst;
            } else if (age > PROBE_MAX_MS) {
                fail_msg("probe started at %lld ms: /healthz %s, upgrade %s after %lld ms",
                         (long long)(p->started_ms - t0),
                         thttp_done(p->http) ? "answered" : "waiting",
                         tws_state_name(tws_state(p->ws)), (long long)age);
            }
        }
        if (now >= next_probe && now - t0 < RUN_MS) {
            for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
                if (probes[i].http == NULL) {
                    probe_start(f, &probes[i], started++);
                    break;
                }
            }
            next_probe = now + PROBE_EVERY_MS;
        }
    }
    print_message("[  INFO    ] %d probes answered, slowest %lld ms; %u attacker sockets "
                  "dropped by the hub and renewed, %u after holding on, for %lld ms at most\n",
                  answered, (long long)worst, f->renewals, f->timed_out, (long long)f->longest_ms);
    assert_true(answered >= RUN_MS / PROBE_EVERY_MS - 4);
    /* The hub dropped the attackers (the cap at accept, the timeout later) and they came
     * back: the flood was kept up for the whole run. */
    assert_true(f->renewals >= ATTACKERS / 2);
    /* Those let in were dropped by the handshake timeout (5 s; lws checks once a second). */
    assert_true(f->timed_out >= ATTACKERS / 4);
    assert_true(f->longest_ms < 5000 + 1500);
}

static int
setup(void **state)
{
    *state = NULL;
    if (getenv("WSC_HUB_BIN") == NULL)
        return 0;
    fx *f = calloc(1, sizeof(*f));
    assert_non_null(f);
    f->ts = twait_set_new();
    for (int i = 0; i < ATTACKERS; i++)
        f->att[i].fd = -1;
    *state = f;
    return 0;
}

/* Also after a failed assertion: the hub child and every socket go. */
static int
teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    for (int i = 0; i < ATTACKERS; i++) {
        if (f->att[i].fd >= 0)
            close(f->att[i].fd);
    }
    if (f->hub > 0) {
        kill(f->hub, SIGKILL);
        waitpid(f->hub, NULL, 0);
    }
    twait_set_free_all(f->ts);
    free(f);
    return 0;
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_hub_handshake_flood__real_clients_served_during_flood,
                                        setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.hub_handshake_flood", tests, NULL, NULL);
}
