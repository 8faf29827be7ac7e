/* SPDX-License-Identifier: MIT */
/* wsc-loadgen: a WebSocket load generator over real sockets (bench/README in
 * docs/benchmarks.md).  The parent forks --procs children, each opening its share of --conns
 * connections from 127.0.0.2-254 (so neither the 20,000-descriptor limit of one process nor
 * the ephemeral ports of one source address run out), triggers the scenario on the server's
 * /bench/ control endpoints, reads the server's RSS and CPU time from /proc, and prints one
 * JSON result line. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "lg.h"
#include "lg_hpub.h"
#include "lg_pub.h"

struct kid {
    pid_t pid;
    int up, cmd;
    lg_rec ready;
    bool got_ready, got_final;
    uint64_t rounds, last_ns;
    lg_rec final;
};

static struct kid kids[LG_MAX_PROCS];
static lg_hist total_hist;
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
    struct pollfd pf[LG_MAX_PROCS];
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
    long rss0 = lg_rss_kb(o->server_pid);
    uint64_t ready = connect_all(o);
    sleep_s(o->hold_s);
    long rss1 = lg_rss_kb(o->server_pid);
    char stats[1024] = "";
    if (o->stats_path != NULL && lg_http(o, "GET", o->stats_path, stats, sizeof(stats)) != 200)
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

/* Publishes n broadcasts: over HTTP or the publisher's WebSocket when there is one, else by asking
 * the bench server's control endpoint. */
static void
trigger_broadcast(const lg_opts *o, lg_pub *pub, lg_hpub *hpub, unsigned n)
{
    if (hpub != NULL) {
        if (!lg_hpub_send(hpub, o, n))
            fprintf(stderr, "loadgen: the HTTP publisher could not publish\n");
        return;
    }
    if (pub != NULL) {
        if (!lg_pub_send(pub, o, n))
            fprintf(stderr, "loadgen: the publisher could not send\n");
        return;
    }
    char t[128];
    snprintf(t, sizeof(t), "/bench/broadcast?n=%u&size=%u", n, o->size);
    int st = lg_http(o, "POST", t, NULL, 0);
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
    lg_hpub hpub = {.fd = -1};
    if ((o->publisher != NULL && !lg_pub_open(&pub, o)) ||
        (o->publish_http != NULL && !lg_hpub_open(&hpub, o))) {
        reap(o);
        return 2;
    }
    sleep_s(1.0);
    double cpu0 = lg_servers_cpu_s(o);
    uint64_t busy_ns = 0;
    bool complete = true;
    for (unsigned r = 1; r <= o->rounds; r++) {
        uint64_t t0 = lg_now_ns();
        trigger_broadcast(o, o->publisher != NULL ? &pub : NULL,
                          o->publish_http != NULL ? &hpub : NULL, o->n);
        complete = collect(o, all_rounds, r, 60) && complete;
        uint64_t last = t0;
        for (unsigned k = 0; k < o->procs; k++)
            if (kids[k].last_ns > last)
                last = kids[k].last_ns;
        busy_ns += last - t0;
        sleep_s(0.3);
    }
    double cpu1 = lg_servers_cpu_s(o);
    lg_pub_close(&pub);
    lg_hpub_close(&hpub);
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
    lg_pub pub = {.fd = -1};
    if (o->publisher != NULL && !lg_pub_open(&pub, o)) {
        reap(o);
        return 2;
    }
    sleep_s(1.0);
    unsigned total = (unsigned)(o->msg_rate * o->duration_s);
    double cpu0 = lg_servers_cpu_s(o);
    uint64_t t0 = lg_now_ns();
    for (unsigned i = 0; i < total; i++) {
        uint64_t due = t0 + (uint64_t)((double)i / o->msg_rate * 1e9), now = lg_now_ns();
        if (due > now)
            sleep_s((double)(due - now) / 1e9);
        trigger_broadcast(o, o->publisher != NULL ? &pub : NULL, NULL, 1);
    }
    bool complete = collect(o, all_rounds, total, 10);
    double cpu1 = lg_servers_cpu_s(o);
    lg_pub_close(&pub);
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
    double cpu0 = lg_servers_cpu_s(o);
    command_all(o, 'G');
    sleep_s(o->duration_s);
    double cpu1 = lg_servers_cpu_s(o);
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
    char file[64];
    pid_t st = lg_strace_start(o->server_pid, file, sizeof(file));
    sleep_s(1.5);
    char t[128];
    snprintf(t, sizeof(t), "/bench/burst?n=%u&size=%u", n, o->size);
    int code = lg_http(o, "POST", t, NULL, 0);
    if (code != 200)
        fprintf(stderr, "loadgen: POST %s answered %d\n", t, code);
    if (n > 0 && !collect(o, all_rounds, round, 10))
        fprintf(stderr, "loadgen: burst not received in full\n");
    sleep_s(0.5);
    return lg_strace_count(st, file);
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
    for (unsigned k = 0; k < LG_MAX_PROCS; k++)
        if (kids[k].pid > 0)
            kill(kids[k].pid, SIGKILL);
    _exit(3);
}

int
main(int argc, char **argv)
{
    lg_opts o;
    if (lg_opts_parse(&o, argc, argv) != 0)
        return 1;
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
