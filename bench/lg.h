/* SPDX-License-Identifier: MIT */
/* What the load generator's parent and children share: options, the records children send up
 * their pipe, clocks and /proc readers. */
#ifndef WSC_BENCH_LG_H
#define WSC_BENCH_LG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "lg_hist.h"

#define LG_MAX_PORTS 16
#define LG_MAX_PROCS 64

enum lg_scenario { SC_IDLE, SC_BROADCAST, SC_PACED, SC_ECHO, SC_ACK, SC_P2P, SC_CONNECT, SC_BURST };

typedef struct lg_opts {
    const char *host;        /* server address; default 127.0.0.1 */
    int port;                /* default 8080 */
    const char *path;        /* default /ws */
    unsigned conns;          /* in all */
    unsigned procs;          /* children */
    const char *user_prefix; /* user ids: prefix + (index / conns_per_user) */
    unsigned conns_per_user; /* default 1 */
    double conn_rate;        /* connections per second over all children; 0: unlimited */
    unsigned inflight;       /* handshakes in flight per child */
    double hold_s;           /* idle: settle time before RSS is read */
    enum lg_scenario scenario;
    const char *scenario_name;
    bool proto_wsc;                  /* wsc JSON frames (else raw payloads for the baselines) */
    unsigned n;                      /* broadcast: messages per round; burst: messages */
    unsigned size;                   /* payload (content) bytes */
    unsigned rounds;                 /* broadcast rounds */
    double duration_s;               /* echo, ack, p2p, paced */
    double msg_rate;                 /* p2p: messages/s in all; paced: broadcasts/s */
    pid_t server_pid;                /* for RSS, CPU and strace; 0: not measured */
    const char *server;              /* label printed in the result ("wsc", "lws", "ws") */
    const char *extra;               /* extra JSON members appended to the result ("k":v,...) */
    double timeout_s;                /* whole run */
    const char *stats_path;          /* idle: GET this after measuring and embed the JSON answer */
    int ports[LG_MAX_PORTS];         /* --ports: connection i goes to ports[i % nports] */
    unsigned nports;                 /* 0: every connection goes to port */
    pid_t server_pids[LG_MAX_PORTS]; /* --server-pid P1,P2,..: CPU is summed over them */
    unsigned nserver_pids;
    const char *publisher;    /* broadcast: this user publishes over WebSocket (else /bench/) */
    const char *publish_http; /* broadcast: "batch" or "keepalive" over POST /api/publish */
    const char *api_key;      /* --api-key: the Bearer key of /api (NULL: none) */
    bool count;               /* tag each message, count duplicates and losses (lg_seq.h) */
    double drain_s;           /* echo, ack, p2p: wait this long for the last messages (default 1) */
} lg_opts;

enum { REC_READY = 1, REC_ROUND, REC_FINAL };

/* One record up a child's pipe; REC_FINAL is followed by an lg_hist. */
typedef struct lg_rec {
    int32_t type;
    int32_t child;
    uint64_t v[10];
} lg_rec;

/* REC_READY: v[0] ready, v[1] failed, v[2] first connect start (ns), v[3] last ready (ns).
 * REC_ROUND: v[0] rounds complete, v[1] time of the last payload frame (ns).
 * REC_FINAL: v[0] ready, v[1] failed, v[2] closed by the server, v[3] frames received,
 *            v[4] payload frames, v[5] replies (echo/ack), v[6] messages sent; with --count
 *            v[7] duplicates, v[8] distinct messages, v[9] foreign (no tag, or not from the
 *            expected sender). */

/** The port connection idx goes to. */
int lg_port_of(const lg_opts *o, uint32_t idx);

/** Runs child number k (its connections are k, k + procs, ...) until told to stop; never
 *  returns. */
void lg_child_run(const lg_opts *o, unsigned k, int up_fd, int cmd_fd);

/** Parses the command line into o (defaults for what it does not say); -1, with the usage
 *  on stderr, when an option is unknown or the options do not fit together. */
int lg_opts_parse(lg_opts *o, int argc, char **argv);

/** VmRSS of pid in KiB, or -1. */
long lg_rss_kb(pid_t pid);
/** utime + stime in seconds of the server, or summed over --server-pid's list; -1 when one
 *  cannot be read. */
double lg_servers_cpu_s(const lg_opts *o);
/** One HTTP request to o->host:o->port (Connection: close); copies the answer's body into
 *  body (may be NULL).  Returns the status, or -1 when the exchange fails. */
int lg_http(const lg_opts *o, const char *method, const char *target, char *body, size_t cap);
/** A blocking TCP connection to o->host and the port of connection 0, with TCP_NODELAY and a
 *  receive timeout of timeout_s: the publishers' socket.  -1 when it cannot connect. */
int lg_connect(const lg_opts *o, int timeout_s);
/** Sends all len bytes; false when the socket fails. */
bool lg_write_all(int fd, const void *buf, size_t len);

/** Starts strace on server's write-family system calls, into a file named in file; returns
 *  its pid (-1 when fork fails; a missing strace leaves the file absent). */
pid_t lg_strace_start(pid_t server, char *file, size_t cap);
/** Stops that strace and counts the calls in its file, which it removes; -1 when there is no
 *  file. */
long lg_strace_count(pid_t st, const char *file);

uint64_t lg_now_ns(void);
/** Builds the payload text "@<20-digit ns>@xxx..." of exactly size bytes (size >= 22). */
void lg_stamp(char *out, unsigned size, uint64_t ns);
/** The stamp inside a payload, or 0. */
uint64_t lg_find_stamp(const unsigned char *p, size_t len);

#endif
