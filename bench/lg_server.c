/* SPDX-License-Identifier: MIT */
/* What the load generator learns from and asks of the servers under test: RSS and CPU time
 * from /proc, one HTTP request to a control endpoint, and strace counting its writes. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lg.h"

/* --- /proc readers */

long
lg_rss_kb(pid_t pid)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    FILE *f = fopen(path, "r");
    long kb = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    }
    if (f != NULL)
        fclose(f);
    return kb;
}

/* utime + stime of the process in seconds. */
static double
proc_cpu_s(pid_t pid)
{
    char path[64], buf[1024];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (f == NULL)
        return -1;
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *p = strrchr(buf, ')');
    if (p == NULL)
        return -1;
    unsigned long ut = 0, st = 0;
    /* after ") ": state(3) ... utime is field 14, stime 15 */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
        return -1;
    return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

/* utime + stime summed over the servers (--server-pid P1,P2,...), or -1. */
double
lg_servers_cpu_s(const lg_opts *o)
{
    if (o->nserver_pids == 0)
        return proc_cpu_s(o->server_pid);
    double s = 0;
    for (unsigned i = 0; i < o->nserver_pids; i++) {
        double c = proc_cpu_s(o->server_pids[i]);
        if (c < 0)
            return -1;
        s += c;
    }
    return s;
}

int
lg_connect(const lg_opts *o, int timeout_s)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)lg_port_of(o, 0))};
    inet_pton(AF_INET, o->host, &a.sin_addr);
    struct timeval tv = {.tv_sec = timeout_s};
    if (fd < 0)
        return -1;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    return fd;
}

bool
lg_write_all(int fd, const void *buf, size_t len)
{
    const char *c = buf;
    while (len > 0) {
        ssize_t w = send(fd, c, len, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        c += w;
        len -= (size_t)w;
    }
    return true;
}

int
lg_http(const lg_opts *o, const char *method, const char *target, char *body, size_t cap)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)o->port)};
    inet_pton(AF_INET, o->host, &a.sin_addr);
    struct timeval tv = {.tv_sec = 30};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        close(fd);
        return -1;
    }
    char req[512], resp[2048];
    int n = snprintf(req, sizeof(req),
                     "%s %s HTTP/1.1\r\nHost: %s\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                     method, target, o->host);
    if (write(fd, req, (size_t)n) != n) {
        close(fd);
        return -1;
    }
    size_t got = 0;
    ssize_t r;
    while (got < sizeof(resp) - 1 && (r = read(fd, resp + got, sizeof(resp) - 1 - got)) > 0)
        got += (size_t)r;
    close(fd);
    resp[got] = '\0';
    if (got < 12)
        return -1;
    if (body != NULL && cap > 0) {
        const char *b = strstr(resp, "\r\n\r\n");
        snprintf(body, cap, "%s", b ? b + 4 : "");
    }
    return atoi(resp + 9);
}

pid_t
lg_strace_start(pid_t server, char *file, size_t cap)
{
    char pid[16];
    snprintf(file, cap, "/tmp/wsc-bench-strace.%d", (int)getpid());
    snprintf(pid, sizeof(pid), "%d", (int)server);
    unlink(file);
    pid_t st = fork();
    if (st == 0) {
        execlp("strace", "strace", "-f", "-qq", "-e", "trace=write,writev,sendto,sendmsg", "-o",
               file, "-p", pid, (char *)NULL);
        _exit(127);
    }
    return st;
}

long
lg_strace_count(pid_t st, const char *file)
{
    if (st > 0) {
        kill(st, SIGINT);
        waitpid(st, NULL, 0);
    }
    FILE *f = fopen(file, "r");
    long count = 0;
    char line[4096];
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strstr(line, "resumed>") == NULL && strncmp(line, "+++", 3) != 0 &&
            strncmp(line, "---", 3) != 0 && strchr(line, '(') != NULL)
            count++;
    }
    if (f != NULL)
        fclose(f);
    unlink(file);
    return f == NULL ? -1 : count;
}
