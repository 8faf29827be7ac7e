/* SPDX-License-Identifier: MIT */
/* baseline_lws: a plain libwebsockets broadcast/echo server written for the benchmarks in the
 * canonical style of the lws minimal examples: one protocol callback, per-session storage
 * holding a small queue of references to shared messages (no lws_ring), and exactly one
 * lws_write() per LWS_CALLBACK_SERVER_WRITEABLE.  Same control endpoint as bench_hub:
 *   POST /bench/broadcast?n=50&size=64   POST /bench/burst?n=100&size=64   GET /bench/stats
 * Text frames from clients are echoed back, except those of the publisher (the connection whose
 * query says user_id=pub, or --publisher NAME): each of its messages is queued to every other
 * connection.  Stops after --timeout seconds or on SIGTERM.
 * --evlib ev runs the same server on lws's libev plugin (epoll) instead of lws's own poll()
 * loop, to show what the loop choice costs (docs/benchmarks.md). */
#define _GNU_SOURCE
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <libwebsockets.h>

struct bmsg {
    unsigned refs;
    size_t len;
    unsigned char buf[]; /* LWS_PRE + len */
};

struct pss {
    struct pss *next; /* every established session, newest first */
    struct lws *wsi;
    struct bmsg **q;
    unsigned head, len, cap;
    bool publisher;
};

static struct pss *sessions;
static unsigned n_sessions;
static const char *publisher = "pub";
static volatile sig_atomic_t interrupted;

static void
on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static struct bmsg *
msg_new(const void *data, size_t len)
{
    struct bmsg *m = malloc(sizeof(*m) + LWS_PRE + len);
    if (m == NULL)
        return NULL;
    m->refs = 1;
    m->len = len;
    memcpy(m->buf + LWS_PRE, data, len);
    return m;
}

static void
msg_unref(struct bmsg *m)
{
    if (m != NULL && --m->refs == 0)
        free(m);
}

static int
q_push(struct pss *p, struct bmsg *m)
{
    if (p->len == p->cap) {
        unsigned ncap = p->cap ? p->cap * 2 : 4;
        struct bmsg **nq = malloc(ncap * sizeof(*nq));
        if (nq == NULL)
            return -1;
        for (unsigned i = 0; i < p->len; i++)
            nq[i] = p->q[(p->head + i) % p->cap];
        free(p->q);
        p->q = nq;
        p->cap = ncap;
        p->head = 0;
    }
    p->q[(p->head + p->len) % p->cap] = m;
    p->len++;
    m->refs++;
    lws_callback_on_writable(p->wsi);
    return 0;
}

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct bmsg *
stamped(unsigned size)
{
    char buf[65536], head[32];
    int n = snprintf(head, sizeof(head), "@%020llu@", (unsigned long long)now_ns());
    memset(buf, 'x', size);
    memcpy(buf, head, (size_t)n);
    return msg_new(buf, size);
}

static unsigned
qarg(struct lws *wsi, const char *name, unsigned def)
{
    char buf[48];
    const char *v = lws_get_urlarg_by_name(wsi, name, buf, sizeof(buf)); /* after "name=" */
    if (v == NULL)
        return def;
    long n = strtol(v, NULL, 10);
    return n < 0 ? 0 : (unsigned)n;
}

static int
http_answer(struct lws *wsi, const char *body)
{
    unsigned char hdr[LWS_PRE + 512], *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof(hdr);
    size_t len = strlen(body);
    if (lws_add_http_common_headers(wsi, HTTP_STATUS_OK, "application/json", len, &p, end) ||
        lws_finalize_write_http_header(wsi, start, &p, end))
        return -1;
    unsigned char out[LWS_PRE + 256];
    memcpy(out + LWS_PRE, body, len);
    if (lws_write(wsi, out + LWS_PRE, len, LWS_WRITE_HTTP_FINAL) < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int
control(struct lws *wsi, const char *path)
{
    char body[128];
    unsigned n = qarg(wsi, "n=", 1), size = qarg(wsi, "size=", 64), queued = 0;
    if (size < 22)
        size = 22;
    if (size > 65000)
        size = 65000;
    if (strcmp(path, "/bench/broadcast") == 0 || strcmp(path, "/bench/burst") == 0) {
        bool burst = path[7] == 'u';
        for (unsigned i = 0; i < n; i++) {
            struct bmsg *m = stamped(size);
            if (m == NULL)
                break;
            /* burst: the oldest session, as bench_hub's user u0 */
            struct pss *only = NULL;
            if (burst)
                for (only = sessions; only != NULL && only->next != NULL; only = only->next)
                    ;
            for (struct pss *s = burst ? only : sessions; s != NULL; s = burst ? NULL : s->next)
                queued += q_push(s, m) == 0;
            msg_unref(m);
        }
        snprintf(body, sizeof(body), "{\"queued\":%u}", queued);
    } else {
        snprintf(body, sizeof(body), "{\"connections\":%u}", n_sessions);
    }
    return http_answer(wsi, body);
}

static int
callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in, size_t len)
{
    struct pss *p = user;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        return control(wsi, (const char *)in);
    case LWS_CALLBACK_ESTABLISHED: {
        char who[64];
        const char *v = lws_get_urlarg_by_name(wsi, "user_id=", who, sizeof(who));
        p->publisher = v != NULL && strcmp(v, publisher) == 0;
        p->wsi = wsi;
        p->next = sessions;
        sessions = p;
        n_sessions++;
        break;
    }
    case LWS_CALLBACK_CLOSED:
        for (struct pss **pp = &sessions; *pp != NULL; pp = &(*pp)->next) {
            if (*pp == p) {
                *pp = p->next;
                n_sessions--;
                break;
            }
        }
        while (p->len > 0) {
            msg_unref(p->q[p->head]);
            p->head = (p->head + 1) % p->cap;
            p->len--;
        }
        free(p->q);
        break;
    case LWS_CALLBACK_SERVER_WRITEABLE: {
        if (p->len == 0)
            break;
        struct bmsg *m = p->q[p->head];
        if (lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT) < (int)m->len)
            return -1;
        p->head = (p->head + 1) % p->cap;
        p->len--;
        msg_unref(m);
        if (p->len > 0)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_RECEIVE: {
        struct bmsg *m = msg_new(in, len);
        if (m == NULL)
            return -1;
        if (!p->publisher)
            q_push(p, m);
        for (struct pss *s = p->publisher ? sessions : NULL; s != NULL; s = s->next)
            if (s != p)
                q_push(s, m);
        msg_unref(m);
        break;
    }
    default:
        break;
    }
    return lws_callback_http_dummy(wsi, reason, user, in, len);
}

static struct lws_protocols protocols[] = {
    {"bench", callback, sizeof(struct pss), 0, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

int
main(int argc, char **argv)
{
    int port = 8080, timeout_s = 600;
    bool libev = false;
    size_t rx = 0; /* 0: lws's default receive buffer */
    for (int i = 1; i + 1 < argc; i += 2) {
        if (strcmp(argv[i], "--port") == 0)
            port = atoi(argv[i + 1]);
        else if (strcmp(argv[i], "--rx-buffer") == 0)
            rx = (size_t)atol(argv[i + 1]);
        else if (strcmp(argv[i], "--evlib") == 0)
            libev = strcmp(argv[i + 1], "ev") == 0;
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
    protocols[0].rx_buffer_size = rx;
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = port;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DISABLE_IPV6 | (libev ? LWS_SERVER_OPTION_LIBEV : 0);
    struct lws_context *ctx = lws_create_context(&info);
    if (ctx == NULL)
        return 1;
    if (libev) {
        /* lws runs the libev loop itself; SIGALRM's and SIGTERM's default action ends it. */
        alarm((unsigned)timeout_s);
        printf("{\"baseline_lws\":\"listening\",\"port\":%d,\"evlib\":\"ev\"}\n", port);
        fflush(stdout);
        lws_service(ctx, 0);
        lws_context_destroy(ctx);
        return 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    signal(SIGPIPE, SIG_IGN);
    time_t end = time(NULL) + timeout_s;
    printf("{\"baseline_lws\":\"listening\",\"port\":%d}\n", port);
    fflush(stdout);
    while (!interrupted && time(NULL) < end)
        if (lws_service(ctx, 0) < 0)
            break;
    lws_context_destroy(ctx);
    return 0;
}
