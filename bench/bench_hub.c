/* SPDX-License-Identifier: MIT */
/* bench_hub: a wsc hub for the benchmarks.  Identity from ?user_id= (insecure_user_id), limits
 * raised for tens of thousands of connections, and a control interface on the same port that
 * the load generator drives:
 *   POST /bench/broadcast?n=50&size=64  n broadcasts, each content "@<CLOCK_MONOTONIC ns>@xx.."
 *   POST /bench/burst?n=100&size=64&user=u0  n messages to one user, back to back
 *   GET  /bench/stats                    connections, RSS
 * Stops by itself after --timeout seconds, or on SIGINT/SIGTERM.  --loop poll|epoll picks the
 * loop backend (default: the library's default, or WSC_LOOP_BACKEND). */
#define _GNU_SOURCE
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <wsc/wsc.h>

static wsc_loop *g_loop;

static void
on_signal(int sig)
{
    (void)sig;
    if (g_loop != NULL)
        wsc_loop_stop(g_loop);
}

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void
stamp(char *out, unsigned size)
{
    char head[32];
    int n = snprintf(head, sizeof(head), "@%020llu@", (unsigned long long)now_ns());
    memset(out, 'x', size);
    memcpy(out, head, (size_t)n < size ? (size_t)n : size);
    out[size] = '\0';
}

static unsigned
qnum(wsc_http_req *req, const char *name, unsigned def, unsigned max)
{
    const char *v = wsc_http_req_query(req, name);
    long n = v ? strtol(v, NULL, 10) : (long)def;
    return n < 0 ? 0 : (n > (long)max ? max : (unsigned)n);
}

static long
rss_kb(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f != NULL && fgets(line, sizeof(line), f) != NULL) {
        if (strncmp(line, "VmRSS:", 6) == 0)
            kb = strtol(line + 6, NULL, 10);
    }
    if (f != NULL)
        fclose(f);
    return kb;
}

/* Sends n stamped messages (to everyone, or to one user) and answers how many were queued. */
static void
send_n(wsc_hub *hub, wsc_http_req *req, const char *user)
{
    unsigned n = qnum(req, "n", 1, 100000), size = qnum(req, "size", 64, 65000);
    if (size < 22)
        size = 22;
    char *content = malloc(size + 1);
    size_t queued = 0;
    for (unsigned i = 0; content != NULL && i < n; i++) {
        wsc_msg *m = NULL;
        stamp(content, size);
        if (wsc_msg_new_text(&m, "text", content) != WSC_OK)
            break;
        size_t q = 0;
        if (user != NULL)
            wsc_hub_send_to_user(hub, user, m, &q);
        else
            wsc_hub_broadcast(hub, m, &q);
        queued += q;
        wsc_msg_unref(m);
    }
    free(content);
    char body[64];
    int len = snprintf(body, sizeof(body), "{\"queued\":%zu}", queued);
    wsc_http_req_respond(req, 200, NULL, body, (size_t)len);
}

static void
on_http(wsc_hub *hub, wsc_http_req *req, void *user)
{
    (void)user;
    const char *path = wsc_http_req_path(req);
    if (strcmp(path, "/bench/broadcast") == 0) {
        send_n(hub, req, NULL);
    } else if (strcmp(path, "/bench/burst") == 0) {
        const char *u = wsc_http_req_query(req, "user");
        send_n(hub, req, u ? u : "u0");
    } else if (strcmp(path, "/bench/stats") == 0 || strcmp(path, "/bench/rss") == 0) {
        wsc_hub_stats st;
        wsc_hub_get_stats(hub, &st);
        /* heap_kb: bytes malloc has handed out and not got back (live objects); the rest of
         * the RSS growth is free heap not returned to the kernel (fragmentation). */
        long before = rss_kb();
        struct mallinfo2 mi = mallinfo2();
        if (qnum(req, "trim", 0, 1))
            malloc_trim(0);
        char body[256];
        int len = snprintf(body, sizeof(body),
                           "{\"connections\":%llu,\"users\":%llu,\"messages_out\":%llu,"
                           "\"rss_kb\":%ld,\"heap_in_use_kb\":%zu,\"heap_free_kb\":%zu,"
                           "\"rss_kb_after_trim\":%ld}",
                           (unsigned long long)st.connections, (unsigned long long)st.users,
                           (unsigned long long)st.messages_out, before, mi.uordblks / 1024,
                           mi.fordblks / 1024, rss_kb());
        wsc_http_req_respond(req, 200, NULL, body, (size_t)len);
    } else {
        wsc_http_req_respond(req, 404, NULL, "{\"error\":\"not_found\"}", 21);
    }
}

int
main(int argc, char **argv)
{
    int port = 8080, timeout_s = 600;
    size_t rx = 0, qmax = 1024; /* rx 0: the library default */
    wsc_loop_config lcfg;
    wsc_loop_config_init(&lcfg);
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rx-buffer") == 0)
            rx = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--queue-max") == 0)
            qmax = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--timeout") == 0)
            timeout_s = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--loop") == 0 && strcmp(argv[i + 1], "poll") == 0)
            lcfg.backend = WSC_LOOP_POLL;
        else if (strcmp(argv[i], "--loop") == 0 && strcmp(argv[i + 1], "epoll") == 0)
            lcfg.backend = WSC_LOOP_EPOLL;
        else if (strcmp(argv[i], "--max-handshakes") == 0)
            lcfg.max_handshakes = (unsigned)atol(argv[i + 1]);
        else {
            fprintf(stderr, "usage: bench_hub [--port P] [--rx-buffer B] [--queue-max N] "
                            "[--timeout S] [--loop poll|epoll] [--max-handshakes N]\n");
            return 1;
        }
    }
    /* lws sizes its descriptor table from the limit when the context is made: raise it first. */
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
        rl.rlim_cur = rl.rlim_max;
        setrlimit(RLIMIT_NOFILE, &rl);
    }
    wsc_err lerr = wsc_loop_new_ex(&g_loop, &lcfg);
    if (lerr != WSC_OK) {
        fprintf(stderr, "bench_hub: loop: %s\n", wsc_strerror(lerr));
        return 1;
    }
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.loop = g_loop;
    cfg.port = port;
    cfg.insecure_user_id = true;
    cfg.max_conns = 1000000;
    cfg.max_conns_per_user = 0;
    cfg.queue_max_count = qmax;
    if (rx != 0)
        cfg.rx_buffer_size = rx;
    rx = cfg.rx_buffer_size;
    cfg.on_http = on_http;
    wsc_hub *hub = NULL;
    wsc_err err = wsc_hub_new(&hub, &cfg);
    if (err != WSC_OK) {
        fprintf(stderr, "bench_hub: %s\n", wsc_strerror(err));
        wsc_loop_free(g_loop);
        return 1;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGALRM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    alarm((unsigned)timeout_s);
    printf("{\"bench_hub\":\"listening\",\"port\":%d,\"pid\":%d,\"rx_buffer\":%zu,"
           "\"loop\":\"%s\"}\n",
           wsc_hub_port(hub), (int)getpid(), rx,
           wsc_loop_backend_name(wsc_loop_get_backend(g_loop)));
    fflush(stdout);
    wsc_loop_run(g_loop);
    wsc_hub_free(hub);
    wsc_loop_free(g_loop);
    return 0;
}
