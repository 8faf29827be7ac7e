/* SPDX-License-Identifier: MIT */
/* The load generator's command line: one table of options (name, kind, field), the defaults
 * and the checks between options. */
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lg.h"
#include "lg_seq.h"

enum kind { K_STR, K_INT, K_UNSIGNED, K_DOUBLE, K_FLAG, K_SCENARIO, K_PROTO, K_PORTS, K_PIDS };

#define F(field) offsetof(lg_opts, field)

static const struct {
    const char *name;
    enum kind kind;
    size_t off;
} opts[] = {
    {"host", K_STR, F(host)},
    {"port", K_INT, F(port)},
    {"path", K_STR, F(path)},
    {"conns", K_UNSIGNED, F(conns)},
    {"procs", K_UNSIGNED, F(procs)},
    {"user-prefix", K_STR, F(user_prefix)},
    {"conns-per-user", K_UNSIGNED, F(conns_per_user)},
    {"conn-rate", K_DOUBLE, F(conn_rate)},
    {"inflight", K_UNSIGNED, F(inflight)},
    {"hold", K_DOUBLE, F(hold_s)},
    {"scenario", K_SCENARIO, 0},
    {"proto", K_PROTO, 0},
    {"n", K_UNSIGNED, F(n)},
    {"size", K_UNSIGNED, F(size)},
    {"rounds", K_UNSIGNED, F(rounds)},
    {"duration", K_DOUBLE, F(duration_s)},
    {"rate", K_DOUBLE, F(msg_rate)},
    {"server-pid", K_PIDS, 0},
    {"server", K_STR, F(server)},
    {"extra", K_STR, F(extra)},
    {"timeout", K_DOUBLE, F(timeout_s)},
    {"stats-path", K_STR, F(stats_path)},
    {"ports", K_PORTS, 0},
    {"publisher", K_STR, F(publisher)},
    {"publish-http", K_STR, F(publish_http)},
    {"api-key", K_STR, F(api_key)},
    {"count", K_FLAG, F(count)},
    {"drain", K_DOUBLE, F(drain_s)},
};

#define NOPTS (sizeof(opts) / sizeof(opts[0]))

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
    fprintf(
        stderr,
        "usage: wsc-loadgen --scenario idle|broadcast|paced|echo|ack|p2p|connect|burst\n"
        "  [--host 127.0.0.1] [--port 8080] [--path /ws] [--conns N] [--procs P]\n"
        "  [--user-prefix u] [--conns-per-user 1] [--conn-rate R/s] [--inflight 256]\n"
        "  [--hold S] [--proto wsc|raw] [--n N] [--size B] [--rounds R] [--duration S]\n"
        "  [--rate MSGS/s] [--server-pid PID] [--server LABEL] [--extra '\"k\":v']\n"
        "  [--timeout S] [--stats-path /bench/stats?trim=1]\n"
        "  [--ports P1,P2,..] (connection i goes to P[i %% n]) [--server-pid P1,P2,..]\n"
        "  [--publisher USER] (broadcast over WebSocket) [--count] [--drain S]\n"
        "  [--publish-http batch|keepalive] (broadcast over POST /api/publish) [--api-key K]\n");
}

int
lg_port_of(const lg_opts *o, uint32_t idx)
{
    return o->nports > 0 ? o->ports[idx % o->nports] : o->port;
}

/* "a,b,c" -> out[0..2]; returns the count (at most cap). */
static unsigned
parse_list(const char *s, int *out, unsigned cap)
{
    unsigned n = 0;
    while (n < cap && *s != '\0') {
        char *end;
        out[n++] = (int)strtol(s, &end, 10);
        s = *end == ',' ? end + 1 : end + strlen(end);
    }
    return n;
}

static void
set_scenario(lg_opts *o, const char *name)
{
    for (size_t i = 0; i < sizeof(scenarios) / sizeof(scenarios[0]); i++) {
        if (strcmp(name, scenarios[i].name) == 0) {
            o->scenario = scenarios[i].sc;
            o->scenario_name = scenarios[i].name;
        }
    }
}

/* Stores the value of option number i. */
static void
set(lg_opts *o, size_t i, const char *v)
{
    char *field = (char *)o + opts[i].off;
    int list[LG_MAX_PORTS];
    unsigned n;
    switch (opts[i].kind) {
    case K_STR:
        memcpy(field, &v, sizeof(v));
        break;
    case K_INT:
        *(int *)(void *)field = atoi(v);
        break;
    case K_UNSIGNED:
        *(unsigned *)(void *)field = (unsigned)atoi(v);
        break;
    case K_DOUBLE:
        *(double *)(void *)field = atof(v);
        break;
    case K_FLAG:
        *(bool *)(void *)field = true;
        break;
    case K_SCENARIO:
        set_scenario(o, v);
        break;
    case K_PROTO:
        o->proto_wsc = strcmp(v, "raw") != 0;
        break;
    case K_PORTS:
        o->nports = parse_list(v, o->ports, LG_MAX_PORTS);
        o->port = o->nports > 0 ? o->ports[0] : o->port;
        break;
    case K_PIDS:
        n = parse_list(v, list, LG_MAX_PORTS);
        for (unsigned k = 0; k < n; k++)
            o->server_pids[k] = (pid_t)list[k];
        o->nserver_pids = n;
        o->server_pid = n > 0 ? o->server_pids[0] : 0;
        break;
    }
}

/* The checks between options; false when they do not fit together. */
static bool
valid(const lg_opts *o)
{
    if (o->scenario_name == NULL || o->conns == 0 || o->procs == 0 || o->procs > LG_MAX_PROCS ||
        o->procs > o->conns || o->size < 22 || o->size > 65000 || o->conns_per_user == 0)
        return false;
    if (o->publish_http != NULL &&
        (o->publisher != NULL || o->scenario != SC_BROADCAST ||
         (strcmp(o->publish_http, "batch") != 0 && strcmp(o->publish_http, "keepalive") != 0)))
        return false;
    if (!o->count)
        return true;
    return o->conns_per_user == 1 && o->size >= LG_TAG_MIN_SIZE &&
           (o->scenario == SC_P2P || o->scenario == SC_BROADCAST) &&
           (o->scenario != SC_BROADCAST || o->publisher != NULL || o->publish_http != NULL) &&
           (o->scenario != SC_P2P || o->conns % 2 == 0);
}

int
lg_opts_parse(lg_opts *o, int argc, char **argv)
{
    *o = (lg_opts){.host = "127.0.0.1",
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
    struct option lo[NOPTS + 1];
    for (size_t i = 0; i < NOPTS; i++)
        lo[i] = (struct option){opts[i].name, opts[i].kind == K_FLAG ? 0 : 1, NULL, (int)i + 1};
    lo[NOPTS] = (struct option){0};
    int c;
    while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
        if (c < 1 || c > (int)NOPTS) {
            usage();
            return -1;
        }
        set(o, (size_t)c - 1, optarg);
    }
    if (!valid(o)) {
        usage();
        return -1;
    }
    if (o->scenario == SC_ECHO || o->scenario == SC_ACK || o->scenario == SC_P2P ||
        o->scenario == SC_IDLE || o->scenario == SC_CONNECT)
        o->n = 0;
    if (o->scenario == SC_PACED)
        o->n = 1;
    return 0;
}
