/* SPDX-License-Identifier: MIT */
/* thubproc: the wsc-hub binary as a child process (see thubproc.h). */
#include "thubproc.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "thttp.h"
#include "twait.h"

static long long
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Waits up to ms for the child to exit (the back-off of every wait here).  True when it
 * has exited. */
static bool
child_exited_within(const thubproc *p, int ms)
{
    if (p->pidfd < 0)
        return true;
    struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};
    return poll(&pfd, 1, ms) > 0;
}

/* True when port (0: any) can be bound on 127.0.0.1 now; *got gets the port bound. */
static bool
bindable(int port, int *got)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET,
                            .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    bool ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
              getsockname(fd, (struct sockaddr *)&a, &len) == 0;
    if (ok)
        *got = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return ok;
}

/* A port below Linux's ephemeral range (32768-60999 by default): one the kernel handed out
 * with bind(0) can be taken, before the hub binds it, as the local port of another test's
 * outgoing connection (the hub then fails to start: seen once in CI). */
int
thubproc_free_port(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    unsigned seed = (unsigned)getpid() * 2654435761u ^ (unsigned)ts.tv_nsec;
    int port = -1;
    for (int i = 0; i < 64; i++) {
        int want = 20000 + (int)(rand_r(&seed) % 12000);
        if (bindable(want, &port))
            return port;
    }
    return bindable(0, &port) ? port : -1;
}

/* The last lines of the child's log on stderr (why a hub did not start). */
static void
print_log_tail(const thubproc *p)
{
    FILE *f = fopen(p->log, "r");
    if (f == NULL)
        return;
    char buf[2048];
    fseek(f, 0, SEEK_END);
    long end = ftell(f);
    fseek(f, end > (long)sizeof(buf) - 1 ? end - (long)sizeof(buf) + 1 : 0, SEEK_SET);
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    fprintf(stderr, "thubproc: wsc-hub on port %d did not start; its log ends:\n%s\n", p->port,
            buf);
}

static bool
healthy(int port)
{
    thttp *h = thttp_request(port, "GET", "/healthz", NULL, NULL, 0);
    twait_set *ts = twait_set_new();
    bool ok = false;
    if (h != NULL && ts != NULL && twait_add_http(ts, h) == 0) {
        twait_until(ts, NULL, thttp_is_done, h, 2000);
        ok = thttp_done(h) && !thttp_failed(h) && thttp_status(h) == 200;
    }
    twait_set_free(ts);
    thttp_free(h);
    return ok;
}

int
thubproc_start(thubproc *p, int port, const char *const *args, int timeout_ms)
{
    memset(p, 0, sizeof(*p));
    p->pidfd = -1;
    p->port = port;
    const char *bin = getenv("WSC_HUB_BIN");
    if (bin == NULL)
        return -1;
    snprintf(p->log, sizeof(p->log), "%s/wsc-thubproc-%ld-%d.log",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid(), port);
    size_t n = 0;
    while (args[n] != NULL)
        n++;
    const char **argv = calloc(n + 2, sizeof(*argv));
    if (argv == NULL)
        return -1;
    argv[0] = "wsc-hub";
    memcpy(argv + 1, args, n * sizeof(*argv));
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* The hub goes with the test: a test that fails (or is killed) before it stops its
         * hubs leaves none running. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(bin, (char *const *)(void *)argv);
        _exit(127);
    }
    free(argv);
    if (pid < 0)
        return -1;
    p->pid = pid;
    p->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    long long deadline = now_ms() + timeout_ms;
    while (!healthy(port)) {
        if (child_exited_within(p, 20) || now_ms() > deadline) {
            print_log_tail(p);
            thubproc_stop(p, 0);
            return -1;
        }
    }
    return 0;
}

bool
thubproc_alive(const thubproc *p)
{
    return p->pid > 0 && !child_exited_within(p, 0);
}

/* Counts the log lines holding "event":"<event>"; *last (may be NULL) gets the last one parsed. */
static size_t
scan(const thubproc *p, const char *event, json_t **last)
{
    char needle[128];
    snprintf(needle, sizeof(needle), "\"event\":\"%s\"", event);
    FILE *f = fopen(p->log, "r");
    if (f == NULL)
        return 0;
    size_t n = 0;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        if (strstr(line, needle) == NULL)
            continue;
        n++;
        if (last != NULL) {
            json_decref(*last);
            *last = json_loads(line, 0, NULL);
        }
    }
    free(line);
    fclose(f);
    return n;
}

size_t
thubproc_count(const thubproc *p, const char *event)
{
    return scan(p, event, NULL);
}

bool
thubproc_wait(const thubproc *p, const char *event, size_t n, int timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    for (;;) {
        if (scan(p, event, NULL) >= n)
            return true;
        if (child_exited_within(p, 20) || now_ms() > deadline)
            return scan(p, event, NULL) >= n;
    }
}

json_t *
thubproc_last(const thubproc *p, const char *event)
{
    json_t *last = NULL;
    scan(p, event, &last);
    return last;
}

int
thubproc_signal(const thubproc *p, int sig)
{
    return p->pid > 0 ? kill(p->pid, sig) : -1;
}

int
thubproc_stop(thubproc *p, int timeout_ms)
{
    if (p->pid <= 0)
        return -1;
    int rc = -1;
    kill(p->pid, SIGTERM);
    if (child_exited_within(p, timeout_ms > 0 ? timeout_ms : 0)) {
        int st = 0;
        if (waitpid(p->pid, &st, 0) == p->pid && WIFEXITED(st))
            rc = WEXITSTATUS(st);
    } else {
        kill(p->pid, SIGKILL);
        waitpid(p->pid, NULL, 0);
    }
    if (p->pidfd >= 0)
        close(p->pidfd);
    unlink(p->log);
    p->pid = 0;
    p->pidfd = -1;
    return rc;
}
