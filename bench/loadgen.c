/* SPDX-License-Identifier: MIT */
/* wsc-loadgen: a WebSocket load generator over real sockets (bench/README in
 * docs/benchmarks.md).  The parent forks --procs children, each opening its share of --conns
 * connections from 127.0.0.2-254 (so neither the 20,000-descriptor limit of one process nor
 * the ephemeral ports of one source address run out), triggers the scenario on the server's
 * /bench/ control endpoints, reads the server's RSS and CPU time from /proc, and prints one
 * JSON result line. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "lg_pub.h"
#include "lg_seq.h"

#define MAX_PROCS 64

struct kid {
    pid_t pid;
    int up, cmd;
    lg_rec ready;
    bool got_ready, got_final;
    uint64_t rounds, last_ns;
    lg_rec final;
};

static struct kid kids[MAX_PROCS];
static lg_hist total_hist;

uint64_t
lg_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

void
lg_stamp(char *out, unsigned size, uint64_t ns)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "@%020llu@", (unsigned long long)ns);
    memset(out, 'x', size);
    memcpy(out, head, (size_t)n < size ? (size_t)n : size);
    out[size] = '\0';
}

uint64_t
lg_find_stamp(const unsigned char *p, size_t len)
{
    const unsigned char *a = memchr(p, '@', len);
    if (a == NULL || (size_t)(p + len - a) < 22 || a[21] != '@')
        return 0;
    uint64_t v = 0;
    for (int i = 1; i <= 20; i++) {
        if (a[i] < '0' || a[i] > '9')
            return 0;
        v = v * 10 + (uint64_t)(a[i] - '0');
    }
    return v;
}

int
lg_port_of(const lg_opts *o, uint32_t idx)
{
    return o->nports > 0 ? o->ports[idx % o->nports] : o->port;
}

/* --- /proc readers */

static long
proc_rss_kb(pid_t pid)
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
static double
servers_cpu_s(const lg_opts *o)
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

/* --- the control endpoint: one HTTP request, answer status */

static int
http_ctl_body(const lg_opts *o, const char *method, const char *target, char *body, size_t cap)
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

static int
http_ctl(const lg_opts *o, const char *method, const char *target)
{
    return http_ctl_body(o, method, target, NULL, 0);
}

/* --- children */

static void
command_all(const lg_opts *o, char c)
{
    for (unsigned k = 0; k < o->procs; k++) {
        if (write(kids[k].cmd, &c, 1) != 1)
            fprintf(stderr, "loadgen: child %u is gone\n", k);
    }
}

static bool
read_full(int fd, void *p, size_t len)
{
    char *c = p;
    while (len > 0) {
        ssize_t r = read(fd, c, len);
        if (r <= 0)
            return false;
        c += r;
        len -= (size_t)r;
    }
    return true;
}

/* Reads child records until pred() holds or the deadline passes; false on timeout. */
static bool
collect(const lg_opts *o, bool (*pred)(const lg_opts *, uint64_t), uint64_t arg, double timeout_s)
{
    uint64_t deadline = lg_now_ns() + (uint64_t)(timeout_s * 1e9);
    struct pollfd pf[MAX_PROCS];
    while (!pred(o, arg)) {
        uint64_t now = lg_now_ns();
        if (now >= deadline)
            return false;
        for (unsigned k = 0; k < o->procs; k++)
            pf[k] = (struct pollfd){.fd = kids[k].got_final ? -1 : kids[k].up, .events = POLLIN};
        int ms = (int)((deadline - now) / 1000000) + 1;
        if (poll(pf, o->procs, ms) <= 0)
            continue;
        for (unsigned k = 0; k < o->procs; k++) {
            if (!(pf[k].revents & (POLLIN | POLLHUP)))
                continue;
            lg_rec r;
            if (!read_full(kids[k].up, &r, sizeof(r))) {
                kids[k].got_final = true; /* died: counts as finished */
                continue;
            }
            if (r.type == REC_READY) {
                kids[k].ready = r;
                kids[k].got_ready = true;
            } else if (r.type == REC_ROUND) {
                kids[k].rounds = r.v[0];
                kids[k].last_ns = r.v[1];
            } else if (r.type == REC_FINAL) {
                static lg_hist h;
                if (read_full(kids[k].up, &h, sizeof(h)))
                    lg_hist_merge(&total_hist, &h);
                kids[k].final = r;
                kids[k].got_final = true;
            }
        }
    }
    return true;
}

static bool
all_ready(const lg_opts *o, uint64_t arg)
{
    (void)arg;
    for (unsigned k = 0; k < o->procs; k++)
        if (!kids[k].got_ready && !kids[k].got_final)
            return false;
    return true;
}

static bool
all_rounds(const lg_opts *o, uint64_t r)
{
    for (unsigned k = 0; k < o->procs; k++)
        if (kids[k].rounds < r && kids[k].ready.v[0] > 0 && !kids[k].got_final)
            return false;
    return true;
}

static bool
all_final(const lg_opts *o, uint64_t arg)
{
    (void)arg;
    for (unsigned k = 0; k < o->procs; k++)
        if (!kids[k].got_final)
            return false;
    return true;
}

static uint64_t
sum_ready(const lg_opts *o, int field)
{
    uint64_t s = 0;
    for (unsigned k = 0; k < o->procs; k++)
        s += kids[k].ready.v[field];
    return s;
}

static uint64_t
sum_final(const lg_opts *o, int field)
{
    uint64_t s = 0;
    for (unsigned k = 0; k < o->procs; k++)
        s += kids[k].final.v[field];
    return s;
}

static void
spawn(const lg_opts *o)
{
    for (unsigned k = 0; k < o->procs; k++) {
        int upp[2], cmdp[2];
        if (pipe(upp) < 0 || pipe(cmdp) < 0) {
            perror("pipe");
            exit(1);
        }
        pid_t pid = fork();
        if (pid < 0) {
            perror("fork");
            exit(1);
        }
        if (pid == 0) {
            for (unsigned j = 0; j < k; j++) {
                close(kids[j].up);
                close(kids[j].cmd);
            }
            close(upp[0]);
            close(cmdp[1]);
            lg_child_run(o, k, upp[1], cmdp[0]);
        }
        close(upp[1]);
        close(cmdp[0]);
        kids[k] = (struct kid){.pid = pid, .up = upp[0], .cmd = cmdp[1]};
    }
}

static void
reap(const lg_opts *o)
{
    command_all(o, 'S');
    collect(o, all_final, 0, 20);
    for (unsigned k = 0; k < o->procs; k++) {
        kill(kids[k].pid, SIGKILL);
        waitpid(kids[k].pid, NULL, 0);
    }
}

/* --- scenarios */

static void
sleep_s(double s)
{
    struct timespec ts = {.tv_sec = (time_t)s, .tv_nsec = (long)((s - (double)(time_t)s) * 1e9)};
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
        ;
}

/* Forks the children and waits until every connection is up or has failed. */
static uint64_t
connect_all(const lg_opts *o)
{
    spawn(o);
    if (!collect(o, all_ready, 0, o->timeout_s * 0.6))
        fprintf(stderr, "loadgen: not every child reported its connections in time\n");
    uint64_t ready = sum_ready(o, 0), failed = sum_ready(o, 1);
    if (failed > 0)
        fprintf(stderr, "loadgen: %llu of %u connections failed\n", (unsigned long long)failed,
                o->conns);
    return ready;
}

static void
head(const lg_opts *o, uint64_t ready)
{
    printf("{\"scenario\":\"%s\",\"server\":\"%s\",\"conns\":%llu,\"failed\":%llu",
           o->scenario_name, o->server, (unsigned long long)ready,
           (unsigned long long)sum_ready(o, 1));
}

static void
latency(void)
{
    printf(",\"lat_us_p50\":%llu,\"lat_us_p99\":%llu,\"lat_us_max\":%llu",
           (unsigned long long)lg_hist_quantile(&total_hist, 0.50),
           (unsigned long long)lg_hist_quantile(&total_hist, 0.99),
           (unsigned long long)total_hist.max_us);
}

static void
tail(const lg_opts *o)
{
    if (o->extra != NULL && o->extra[0] != '\0')
        printf(",%s", o->extra);
    printf("}\n");
    fflush(stdout);
}

static int
sc_idle(const lg_opts *o)
{
    long rss0 = proc_rss_kb(o->server_pid);
    uint64_t ready = connect_all(o);
    sleep_s(o->hold_s);
    long rss1 = proc_rss_kb(o->server_pid);
    char stats[1024] = "";
    if (o->stats_path != NULL &&
        http_ctl_body(o, "GET", o->stats_path, stats, sizeof(stats)) != 200)
        stats[0] = '\0';
    head(o, ready);
    long delta = rss1 - rss0;
    printf(
        ",\"rss_kb_before\":%ld,\"rss_kb_after\":%ld,\"rss_kb_total\":%ld,\"bytes_per_conn\":%.0f",
        rss0, rss1, delta, ready ? (double)delta * 1024.0 / (double)ready : 0.0);
    if (stats[0] == '{')
        printf(",\"server_stats\":%s", stats);
    tail(o);
    reap(o);
    return ready == o->conns ? 0 : 2;
}

/* Publishes n broadcasts: over the publisher's WebSocket when there is one, else by asking
 * the bench server's control endpoint. */
static void
trigger_broadcast(const lg_opts *o, lg_pub *pub, unsigned n)
{
    if (pub != NULL) {
        if (!lg_pub_send(pub, o, n))
            fprintf(stderr, "loadgen: the publisher could not send\n");
        return;
    }
    char t[128];
    snprintf(t, sizeof(t), "/bench/broadcast?n=%u&size=%u", n, o->size);
    int st = http_ctl(o, "POST", t);
    if (st != 200)
        fprintf(stderr, "loadgen: POST %s answered %d\n", t, st);
}

/* --count: prints what the children counted against the distinct messages expected; false
 * when anything was duplicated, lost or foreign. */
static bool
counts(const lg_opts *o, uint64_t expected)
{
    if (!o->count)
        return true;
    uint64_t dups = sum_final(o, 7), uniq = sum_final(o, 8), foreign = sum_final(o, 9);
    uint64_t lost = expected > uniq ? expected - uniq : 0;
    bool ok = dups == 0 && lost == 0 && foreign == 0 && uniq == expected;
    printf(",\"distinct\":%llu,\"duplicates\":%llu,\"losses\":%llu,\"foreign\":%llu,"
           "\"dup_loss_ok\":%s",
           (unsigned long long)uniq, (unsigned long long)dups, (unsigned long long)lost,
           (unsigned long long)foreign, ok ? "true" : "false");
    return ok;
}

static int
sc_broadcast(const lg_opts *o)
{
    uint64_t ready = connect_all(o);
    lg_pub pub = {.fd = -1};
    if (o->publisher != NULL && !lg_pub_open(&pub, o)) {
        reap(o);
        return 2;
    }
    sleep_s(1.0);
    double cpu0 = servers_cpu_s(o);
    uint64_t busy_ns = 0;
    bool complete = true;
    for (unsigned r = 1; r <= o->rounds; r++) {
        uint64_t t0 = lg_now_ns();
        trigger_broadcast(o, o->publisher != NULL ? &pub : NULL, o->n);
        complete = collect(o, all_rounds, r, 60) && complete;
        uint64_t last = t0;
        for (unsigned k = 0; k < o->procs; k++)
            if (kids[k].last_ns > last)
                last = kids[k].last_ns;
        busy_ns += last - t0;
        sleep_s(0.3);
    }
    double cpu1 = servers_cpu_s(o);
    lg_pub_close(&pub);
    reap(o);
    uint64_t got = sum_final(o, 4);
    head(o, ready);
    printf(",\"messages\":%u,\"rounds\":%u,\"size\":%u,\"deliveries\":%llu,\"expected\":%llu,"
           "\"complete\":%s,\"deliveries_per_s\":%.0f,\"cpu_s\":%.2f,\"cpu_us_per_delivery\":%.3f",
           o->n, o->rounds, o->size, (unsigned long long)got,
           (unsigned long long)(ready * o->n * o->rounds), complete ? "true" : "false",
           busy_ns ? (double)got / ((double)busy_ns / 1e9) : 0.0, cpu1 - cpu0,
           got ? (cpu1 - cpu0 - 0.3 * 0) * 1e6 / (double)got : 0.0);
    bool ok = counts(o, ready * o->n * o->rounds);
    latency();
    tail(o);
    return complete && ok ? 0 : 2;
}

static int
sc_paced(const lg_opts *o)
{
    uint64_t ready = connect_all(o);
    sleep_s(1.0);
    unsigned total = (unsigned)(o->msg_rate * o->duration_s);
    double cpu0 = servers_cpu_s(o);
    uint64_t t0 = lg_now_ns();
    for (unsigned i = 0; i < total; i++) {
        uint64_t due = t0 + (uint64_t)((double)i / o->msg_rate * 1e9), now = lg_now_ns();
        if (due > now)
            sleep_s((double)(due - now) / 1e9);
        trigger_broadcast(o, NULL, 1);
    }
    bool complete = collect(o, all_rounds, total, 10);
    double cpu1 = servers_cpu_s(o);
    reap(o);
    uint64_t got = sum_final(o, 4);
    head(o, ready);
    printf(",\"rate\":%.1f,\"size\":%u,\"deliveries\":%llu,\"expected\":%llu,\"complete\":%s,"
           "\"cpu_s\":%.2f,\"cpu_us_per_delivery\":%.3f",
           o->msg_rate, o->size, (unsigned long long)got, (unsigned long long)(ready * total),
           complete ? "true" : "false", cpu1 - cpu0, got ? (cpu1 - cpu0) * 1e6 / (double)got : 0.0);
    latency();
    tail(o);
    return complete ? 0 : 2;
}

/* echo, ack and p2p: the children send for duration_s. */
static int
sc_traffic(const lg_opts *o)
{
    uint64_t ready = connect_all(o);
    sleep_s(1.0);
    double cpu0 = servers_cpu_s(o);
    command_all(o, 'G');
    sleep_s(o->duration_s);
    double cpu1 = servers_cpu_s(o);
    sleep_s(o->drain_s);
    reap(o);
    uint64_t sent = sum_final(o, 6), got = sum_final(o, 4), replies = sum_final(o, 5);
    head(o, ready);
    uint64_t done = o->scenario == SC_P2P ? got : replies;
    printf(",\"size\":%u,\"duration_s\":%.1f,\"sent\":%llu,\"received\":%llu,\"%s\":%.0f,"
           "\"cpu_s\":%.2f,\"cpu_us_per_msg\":%.3f,\"closed\":%llu",
           o->size, o->duration_s, (unsigned long long)sent, (unsigned long long)got,
           o->scenario == SC_P2P ? "msgs_per_s" : "round_trips_per_s", (double)done / o->duration_s,
           cpu1 - cpu0, done ? (cpu1 - cpu0) * 1e6 / (double)done : 0.0,
           (unsigned long long)sum_final(o, 2));
    if (o->scenario == SC_P2P)
        printf(",\"target_rate\":%.0f", o->msg_rate);
    bool ok = counts(o, sent);
    latency();
    tail(o);
    return ok ? 0 : 2;
}

static int
sc_connect(const lg_opts *o)
{
    uint64_t ready = connect_all(o);
    uint64_t first = UINT64_MAX, last = 0;
    for (unsigned k = 0; k < o->procs; k++) {
        if (kids[k].ready.v[2] && kids[k].ready.v[2] < first)
            first = kids[k].ready.v[2];
        if (kids[k].ready.v[3] > last)
            last = kids[k].ready.v[3];
    }
    reap(o);
    head(o, ready);
    double s = last > first ? (double)(last - first) / 1e9 : 0;
    printf(",\"seconds\":%.3f,\"handshakes_per_s\":%.0f,\"inflight\":%u", s,
           s > 0 ? (double)ready / s : 0.0, o->inflight);
    tail(o);
    return 0;
}

/* Counts the write-family system calls of the server while one burst request runs. */
static long
strace_writes(const lg_opts *o, unsigned n, uint64_t round)
{
    char file[64], pid[16];
    snprintf(file, sizeof(file), "/tmp/wsc-bench-strace.%d", (int)getpid());
    snprintf(pid, sizeof(pid), "%d", (int)o->server_pid);
    unlink(file);
    pid_t st = fork();
    if (st == 0) {
        execlp("strace", "strace", "-f", "-qq", "-e", "trace=write,writev,sendto,sendmsg", "-o",
               file, "-p", pid, (char *)NULL);
        _exit(127);
    }
    sleep_s(1.5);
    char t[128];
    snprintf(t, sizeof(t), "/bench/burst?n=%u&size=%u", n, o->size);
    int code = http_ctl(o, "POST", t);
    if (code != 200)
        fprintf(stderr, "loadgen: POST %s answered %d\n", t, code);
    if (n > 0 && !collect(o, all_rounds, round, 10))
        fprintf(stderr, "loadgen: burst not received in full\n");
    sleep_s(0.5);
    kill(st, SIGINT);
    waitpid(st, NULL, 0);
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

static int
sc_burst(const lg_opts *o)
{
    uint64_t ready = connect_all(o);
    sleep_s(0.5);
    long w0 = strace_writes(o, 0, 0);
    long w1 = strace_writes(o, o->n, 1);
    reap(o);
    head(o, ready);
    long w = w1 - w0;
    printf(",\"messages\":%u,\"size\":%u,\"writes_control\":%ld,\"writes_burst\":%ld,"
           "\"writes\":%ld,\"writes_per_msg\":%.3f,\"received\":%llu",
           o->n, o->size, w0, w1, w, o->n ? (double)w / o->n : 0.0,
           (unsigned long long)sum_final(o, 4));
    tail(o);
    return w0 < 0 || w1 < 0 ? 2 : 0;
}

/* --- options */

static const struct {
    const char *name;
    enum lg_scenario sc;
} scenarios[] = {{"idle", SC_IDLE},       {"broadcast", SC_BROADCAST},
                 {"paced", SC_PACED},     {"echo", SC_ECHO},
                 {"ack", SC_ACK},         {"p2p", SC_P2P},
                 {"connect", SC_CONNECT}, {"burst", SC_BURST}};

static void
usage(void)
{
    fprintf(stderr,
            "usage: wsc-loadgen --scenario idle|broadcast|paced|echo|ack|p2p|connect|burst\n"
            "  [--host 127.0.0.1] [--port 8080] [--path /ws] [--conns N] [--procs P]\n"
            "  [--user-prefix u] [--conns-per-user 1] [--conn-rate R/s] [--inflight 256]\n"
            "  [--hold S] [--proto wsc|raw] [--n N] [--size B] [--rounds R] [--duration S]\n"
            "  [--rate MSGS/s] [--server-pid PID] [--server LABEL] [--extra '\"k\":v']\n"
            "  [--timeout S] [--stats-path /bench/stats?trim=1]\n"
            "  [--ports P1,P2,..] (connection i goes to P[i %% n]) [--server-pid P1,P2,..]\n"
            "  [--publisher USER] (broadcast over WebSocket) [--count] [--drain S]\n");
}

/* "a,b,c" -> out[0..2]; returns the count (at most cap). */
static int
parse_list(const char *s, int *out, int cap)
{
    int n = 0;
    while (n < cap && *s != '\0') {
        char *end;
        out[n++] = (int)strtol(s, &end, 10);
        s = *end == ',' ? end + 1 : end + strlen(end);
    }
    return n;
}

static void
raise_nofile(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
}

static void
on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "loadgen: timeout\n";
    if (write(2, msg, sizeof(msg) - 1) < 0) {
    }
    for (unsigned k = 0; k < MAX_PROCS; k++)
        if (kids[k].pid > 0)
            kill(kids[k].pid, SIGKILL);
    _exit(3);
}

int
main(int argc, char **argv)
{
    lg_opts o = {.host = "127.0.0.1",
                 .port = 8080,
                 .path = "/ws",
                 .conns = 100,
                 .procs = 1,
                 .user_prefix = "u",
                 .conns_per_user = 1,
                 .inflight = 256,
                 .hold_s = 3,
                 .proto_wsc = true,
                 .n = 50,
                 .size = 64,
                 .rounds = 1,
                 .duration_s = 10,
                 .msg_rate = 10,
                 .server = "wsc",
                 .timeout_s = 300,
                 .drain_s = 1};
    static const struct option lo[] = {{"host", 1, 0, 'H'},
                                       {"port", 1, 0, 'p'},
                                       {"path", 1, 0, 'P'},
                                       {"conns", 1, 0, 'c'},
                                       {"procs", 1, 0, 'j'},
                                       {"user-prefix", 1, 0, 'u'},
                                       {"conns-per-user", 1, 0, 'U'},
                                       {"conn-rate", 1, 0, 'R'},
                                       {"inflight", 1, 0, 'i'},
                                       {"hold", 1, 0, 'h'},
                                       {"scenario", 1, 0, 's'},
                                       {"proto", 1, 0, 'w'},
                                       {"n", 1, 0, 'n'},
                                       {"size", 1, 0, 'z'},
                                       {"rounds", 1, 0, 'r'},
                                       {"duration", 1, 0, 'd'},
                                       {"rate", 1, 0, 'm'},
                                       {"server-pid", 1, 0, 'x'},
                                       {"server", 1, 0, 'S'},
                                       {"extra", 1, 0, 'e'},
                                       {"timeout", 1, 0, 't'},
                                       {"stats-path", 1, 0, 'T'},
                                       {"ports", 1, 0, 'o'},
                                       {"publisher", 1, 0, 'B'},
                                       {"count", 0, 0, 'C'},
                                       {"drain", 1, 0, 'D'},
                                       {0, 0, 0, 0}};
    const char *sc = NULL;
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        switch (c) {
        case 'H':
            o.host = optarg;
            break;
        case 'p':
            o.port = atoi(optarg);
            break;
        case 'P':
            o.path = optarg;
            break;
        case 'c':
            o.conns = (unsigned)atoi(optarg);
            break;
        case 'j':
            o.procs = (unsigned)atoi(optarg);
            break;
        case 'u':
            o.user_prefix = optarg;
            break;
        case 'U':
            o.conns_per_user = (unsigned)atoi(optarg);
            break;
        case 'R':
            o.conn_rate = atof(optarg);
            break;
        case 'i':
            o.inflight = (unsigned)atoi(optarg);
            break;
        case 'h':
            o.hold_s = atof(optarg);
            break;
        case 's':
            sc = optarg;
            break;
        case 'w':
            o.proto_wsc = strcmp(optarg, "raw") != 0;
            break;
        case 'n':
            o.n = (unsigned)atoi(optarg);
            break;
        case 'z':
            o.size = (unsigned)atoi(optarg);
            break;
        case 'r':
            o.rounds = (unsigned)atoi(optarg);
            break;
        case 'd':
            o.duration_s = atof(optarg);
            break;
        case 'm':
            o.msg_rate = atof(optarg);
            break;
        case 'x':
            o.nserver_pids = (unsigned)parse_list(optarg, o.server_pids, LG_MAX_PORTS);
            o.server_pid = o.server_pids[0];
            break;
        case 'o':
            o.nports = (unsigned)parse_list(optarg, o.ports, LG_MAX_PORTS);
            o.port = o.ports[0];
            break;
        case 'B':
            o.publisher = optarg;
            break;
        case 'C':
            o.count = true;
            break;
        case 'D':
            o.drain_s = atof(optarg);
            break;
        case 'S':
            o.server = optarg;
            break;
        case 'e':
            o.extra = optarg;
            break;
        case 't':
            o.timeout_s = atof(optarg);
            break;
        case 'T':
            o.stats_path = optarg;
            break;
        default:
            usage();
            return 1;
        }
    }
    for (size_t i = 0; sc != NULL && i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        if (strcmp(sc, scenarios[i].name) == 0) {
            o.scenario = scenarios[i].sc;
            o.scenario_name = scenarios[i].name;
        }
    }
    if (o.scenario_name == NULL || o.conns == 0 || o.procs == 0 || o.procs > MAX_PROCS ||
        o.procs > o.conns || o.size < 22 || o.size > 65000 || o.conns_per_user == 0 ||
        (o.count && (o.conns_per_user != 1 || o.size < LG_TAG_MIN_SIZE ||
                     (o.scenario != SC_P2P && o.scenario != SC_BROADCAST) ||
                     (o.scenario == SC_BROADCAST && o.publisher == NULL) ||
                     (o.scenario == SC_P2P && o.conns % 2 != 0)))) {
        usage();
        return 1;
    }
    if (o.scenario == SC_ECHO || o.scenario == SC_ACK || o.scenario == SC_P2P ||
        o.scenario == SC_IDLE || o.scenario == SC_CONNECT)
        o.n = 0;
    if (o.scenario == SC_PACED)
        o.n = 1;
    raise_nofile();
    signal(SIGALRM, on_alarm);
    alarm((unsigned)o.timeout_s + 1);
    switch (o.scenario) {
    case SC_IDLE:
        return sc_idle(&o);
    case SC_BROADCAST:
        return sc_broadcast(&o);
    case SC_PACED:
        return sc_paced(&o);
    case SC_CONNECT:
        return sc_connect(&o);
    case SC_BURST:
        return sc_burst(&o);
    default:
        return sc_traffic(&o);
    }
}
