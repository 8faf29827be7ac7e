/* SPDX-License-Identifier: MIT */
/* wsc-micro: in-process micro-benchmarks of the hub's hot path, one JSON line each.
 * Usage: wsc-micro [scale [op]] (with op, only that one runs).
 *   encode    wsc__msg_encode() of fresh messages (64-byte content, typical fields)
 *   parse     wsc_msg_parse() of the echo scenario's frame (receiver + 64-byte content)
 *   parse_data  wsc_msg_parse() of a frame with ids, groups and a small "data" object
 *   inbound   the hub's per-message work on the echo frame, minus routing: parse, stamp (id,
 *             sender, sender_client, create_at, app_id, as hub_inbound.c does), encode, unref
 *   enqueue   wsc_hub_send_to_user() of one encoded message to a user with one real, registered
 *             connection (a raw client on 127.0.0.1), on the loop thread, in batches of 512
 *             with the queue drained (written and read) between batches; only the sends are
 *             timed
 *   register  the registry's own steps for a new connection of a new user (lookup miss,
 *             allocate the user, insert in the user table and the order list, insert the
 *             connection by id) and their undoing, on the same hash tables the hub uses,
 *             with 100,000 users present; not the handshake (see the connect scenario)
 *   xthread   4 threads each call wsc_hub_send_to_user() off the loop thread (a job posted to
 *             the loop) for one encoded message to that one real connection, 250,000 times;
 *             timed until every frame is written; with the loop's posts per wake-up */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <wsc/wsc.h>

#include "loop/loop.h"
#include "models/alloc.h"
#include "models/hmap.h"
#include "models/list.h"
#include "models/msg_internal.h"
#include "models/siphash.h"
#include "protocol/frames.h"

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static wsc_msg *
sample_msg(unsigned i)
{
    wsc_msg *m = NULL;
    char id[32];
    snprintf(id, sizeof(id), "m-%u", i);
    wsc_msg_new_text(&m, "text",
                     "0123456789012345678901234567890123456789012345678901234567890123");
    wsc_msg_set(m, WSC_F_ID, id);
    wsc_msg_set(m, WSC_F_MESSAGE_ID, id);
    wsc_msg_set(m, WSC_F_SENDER, "user-1");
    wsc_msg_set(m, WSC_F_RECEIVER, "user-2");
    wsc_msg_set(m, WSC_F_CREATE_AT, "2026-01-01T00:00:00.000Z");
    return m;
}

static void
bench_encode(unsigned n)
{
    wsc_msg **v = malloc(n * sizeof(*v));
    for (unsigned i = 0; i < n; i++)
        v[i] = sample_msg(i);
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++)
        wsc__msg_encode(v[i]);
    double t = now_s() - t0;
    size_t len = 0;
    wsc__msg_wire(v[0], &len);
    for (unsigned i = 0; i < n; i++)
        wsc_msg_unref(v[i]);
    free(v);
    printf("{\"scenario\":\"micro\",\"op\":\"encode\",\"n\":%u,\"wire_bytes\":%zu,\"ns_per_op\":%."
           "1f}\n",
           n, len, t * 1e9 / n);
}

static const char echo_frame[] =
    "{\"receiver\":\"u17\",\"content\":\"0123456789012345678901234567890123456789"
    "012345678901234567890123\"}";
static const char data_frame[] =
    "{\"message_id\":\"c-1\",\"message_type\":\"chat\",\"group_ids\":[\"g1\",\"g2\"],"
    "\"content\":\"hello\",\"data\":{\"k\":[1,2.5,{\"x\":null}],\"s\":\"caf\\u00e9\"},"
    "\"seq_no\":7,\"priority\":\"high\",\"require_ack\":true}";

static void
bench_parse(const char *op, const char *frame, unsigned n)
{
    size_t len = strlen(frame);
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        wsc_msg *m = NULL;
        if (wsc_msg_parse(&m, frame, len, NULL, NULL) != WSC_OK)
            abort();
        wsc_msg_unref(m);
    }
    double t = now_s() - t0;
    printf("{\"scenario\":\"micro\",\"op\":\"%s\",\"n\":%u,\"bytes\":%zu,\"ns_per_op\":%.1f}\n", op,
           n, len, t * 1e9 / n);
}

/* What hub_inbound.c's stamp() does, on a parsed message. */
static void
stamp_like_hub(wsc_msg *m, uint64_t seq)
{
    static const uint8_t key[WSC__SIPHASH_KEY_LEN] = {1};
    char id[WSC__PROTO_ID_MAX], ts[40];
    wsc__proto_make_id("n1", seq, wsc__siphash24(key, &seq, sizeof(seq)), id, sizeof(id));
    wsc__proto_time_rfc3339(wsc__wall_ms(), ts, sizeof(ts));
    wsc_msg_set(m, WSC_F_ID, id);
    if (wsc_msg_get(m, WSC_F_MESSAGE_ID) == NULL)
        wsc_msg_set(m, WSC_F_MESSAGE_ID, id);
    wsc_msg_set(m, WSC_F_SENDER, "u16");
    wsc_msg_set(m, WSC_F_SENDER_CLIENT, "c-u16-1");
    wsc_msg_set(m, WSC_F_CREATE_AT, ts);
    wsc_msg_set(m, WSC_F_APP_ID, "default");
    wsc_msg_set(m, WSC_F_NAMESPACE, NULL);
    wsc_msg_set(m, WSC_F_SOURCE, NULL);
}

static void
bench_inbound(unsigned n)
{
    size_t len = strlen(echo_frame), wire = 0;
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++) {
        wsc_msg *m = NULL;
        if (wsc_msg_parse(&m, echo_frame, len, NULL, NULL) != WSC_OK)
            abort();
        stamp_like_hub(m, 1000000 + i);
        wsc__msg_encode(m);
        wsc__msg_wire(m, &wire);
        wsc_msg_unref(m);
    }
    double t = now_s() - t0;
    printf("{\"scenario\":\"micro\",\"op\":\"inbound\",\"n\":%u,\"wire_bytes\":%zu,"
           "\"ns_per_op\":%.1f}\n",
           n, wire, t * 1e9 / n);
}

/* A raw WebSocket client socket, upgraded as user_id=m0. */
static int
raw_client(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
        return -1;
    const char req[] = "GET /ws?user_id=m0 HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
                       "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                       "Sec-WebSocket-Version: 13\r\n\r\n";
    if (write(fd, req, sizeof(req) - 1) != (ssize_t)(sizeof(req) - 1))
        return -1;
    fcntl(fd, F_SETFL, O_NONBLOCK);
    return fd;
}

static void
drain(wsc_hub *hub, wsc_loop *loop, int fd)
{
    static char sink[1 << 16];
    wsc_hub_stats st;
    for (int i = 0; i < 100000; i++) {
        wsc_loop_run_once(loop, 0);
        while (read(fd, sink, sizeof(sink)) > 0)
            ;
        wsc_hub_get_stats(hub, &st);
        if (st.queued == 0)
            return;
    }
}

/* A hub on a loop of its own with one real connection (user m0, a raw client on fd) whose
 * send queue holds count frames / bytes; false (and a message) when it could not be set up. */
static bool
one_conn_hub(size_t count, size_t bytes, wsc_loop **loop, wsc_hub **hub, int *fd)
{
    *loop = NULL;
    *hub = NULL;
    if (wsc_loop_new(loop) != WSC_OK)
        return false;
    wsc_hub_config cfg;
    wsc_hub_config_init(&cfg);
    cfg.loop = *loop;
    cfg.port = 0;
    cfg.host = "127.0.0.1";
    cfg.insecure_user_id = true;
    cfg.queue_max_count = count;
    cfg.queue_max_bytes = bytes;
    if (wsc_hub_new(hub, &cfg) != WSC_OK)
        return false;
    *fd = raw_client(wsc_hub_port(*hub));
    double deadline = now_s() + 5;
    while (*fd >= 0 && !wsc_hub_is_online(*hub, "m0") && now_s() < deadline)
        wsc_loop_run_once(*loop, 10);
    if (*fd < 0 || !wsc_hub_is_online(*hub, "m0")) {
        fprintf(stderr, "micro: the client did not register\n");
        return false;
    }
    return true;
}

static void
bench_enqueue(unsigned batches)
{
    enum { BATCH = 512 };
    wsc_loop *loop;
    wsc_hub *hub;
    int fd = -1;
    if (!one_conn_hub(BATCH * 2, 64u << 20, &loop, &hub, &fd))
        return;
    wsc_msg *m = sample_msg(0);
    wsc__msg_encode(m);
    drain(hub, loop, fd);
    double t = 0;
    size_t queued = 0;
    for (unsigned b = 0; b < batches; b++) {
        double t0 = now_s();
        for (unsigned i = 0; i < BATCH; i++) {
            size_t q = 0;
            wsc_hub_send_to_user(hub, "m0", m, &q);
            queued += q;
        }
        t += now_s() - t0;
        drain(hub, loop, fd);
    }
    wsc_msg_unref(m);
    close(fd);
    wsc_hub_free(hub);
    wsc_loop_free(loop);
    unsigned n = batches * BATCH;
    printf("{\"scenario\":\"micro\",\"op\":\"enqueue\",\"n\":%u,\"queued\":%zu,\"batch\":%d,"
           "\"ns_per_op\":%.1f}\n",
           n, queued, BATCH, t * 1e9 / n);
}

/* --- xthread: sends from other threads */

struct xt_producer {
    wsc_hub *hub;
    wsc_msg *m;
    unsigned n;
    volatile int *go;
    unsigned busy; /* WSC_ERR_BUSY answers (the post queue was full): sent again */
    unsigned failed;
};

static void *
xt_produce(void *arg)
{
    struct xt_producer *p = arg;
    while (!__atomic_load_n(p->go, __ATOMIC_ACQUIRE))
        ;
    for (unsigned i = 0; i < p->n;) {
        wsc_err err = wsc_hub_send_to_user(p->hub, "m0", p->m, NULL);
        if (err == WSC_OK) {
            i++;
        } else if (err == WSC_ERR_BUSY) {
            p->busy++;
            sched_yield();
        } else {
            p->failed++;
            i++;
        }
    }
    return NULL;
}

/* threads threads each send n copies of one encoded message to a user with one real
 * connection (wsc_hub_send_to_user off the loop thread: a job posted to the loop); the loop
 * thread runs the hub and reads the socket dry.  Timed from the start signal until every
 * frame is written (messages_out), so the figure includes routing, queueing and writing. */
static void
bench_xthread(unsigned threads, unsigned n)
{
    wsc_loop *loop;
    wsc_hub *hub;
    int fd = -1;
    if (!one_conn_hub(1u << 22, 1u << 30, &loop, &hub, &fd))
        return;
    wsc_msg *m = sample_msg(0);
    wsc__msg_encode(m);
    drain(hub, loop, fd);
    wsc_hub_stats st0;
    wsc_hub_get_stats(hub, &st0);
    uint64_t posts0 = 0, wakes0 = 0;
    wsc__loop_post_stats(loop, &posts0, &wakes0);
    volatile int go = 0;
    pthread_t th[16];
    struct xt_producer pr[16];
    if (threads > 16)
        threads = 16;
    for (unsigned i = 0; i < threads; i++) {
        pr[i] = (struct xt_producer){.hub = hub, .m = m, .n = n, .go = &go};
        pthread_create(&th[i], NULL, xt_produce, &pr[i]);
    }
    static char sink[1 << 16];
    uint64_t want = (uint64_t)threads * n;
    double t0 = now_s();
    __atomic_store_n(&go, 1, __ATOMIC_RELEASE);
    wsc_hub_stats st;
    do {
        wsc_loop_run_once(loop, 0);
        while (read(fd, sink, sizeof(sink)) > 0)
            ;
        wsc_hub_get_stats(hub, &st);
    } while (st.messages_out + st.send_failed - st0.messages_out - st0.send_failed < want &&
             now_s() < t0 + 120);
    double t = now_s() - t0;
    unsigned busy = 0, failed = 0;
    for (unsigned i = 0; i < threads; i++) {
        pthread_join(th[i], NULL);
        busy += pr[i].busy;
        failed += pr[i].failed;
    }
    uint64_t posts = 0, wakes = 0;
    wsc__loop_post_stats(loop, &posts, &wakes);
    uint64_t out = st.messages_out - st0.messages_out;
    wsc_msg_unref(m);
    close(fd);
    wsc_hub_free(hub);
    wsc_loop_free(loop);
    printf("{\"scenario\":\"micro\",\"op\":\"xthread\",\"threads\":%u,\"n\":%llu,"
           "\"written\":%llu,\"send_failed\":%llu,\"busy_retries\":%u,\"refused\":%u,"
           "\"posts\":%llu,\"wakes\":%llu,\"posts_per_wake\":%.1f,\"msgs_per_s\":%.0f}\n",
           threads, (unsigned long long)want, (unsigned long long)out,
           (unsigned long long)(st.send_failed - st0.send_failed), busy, failed,
           (unsigned long long)(posts - posts0), (unsigned long long)(wakes - wakes0),
           wakes > wakes0 ? (double)(posts - posts0) / (double)(wakes - wakes0) : 0.0,
           (double)out / t);
}

/* The registry's records, as in src/hub (hub_internal.h): a user with an intrusive node, an
 * order link and its id; a connection with its by-id node. */
struct reg_user {
    wsc__hnode node;
    struct wsc_list link;
    struct wsc_list conns;
    size_t n_conns;
    char id[];
};
struct reg_conn {
    wsc__hnode by_id;
    struct wsc_list user_link;
    uint64_t id;
};

static bool
user_eq(const wsc__hnode *n, const void *key)
{
    return strcmp(wsc_container_of(n, struct reg_user, node)->id, key) == 0;
}

static struct reg_user *
reg_add(wsc__hmap *users, struct wsc_list *order, wsc__hmap *conns, const char *uid,
        struct reg_conn *c)
{
    uint64_t h = wsc__hash_str(uid);
    wsc__hnode *found = wsc__hmap_find(users, h, user_eq, uid);
    struct reg_user *u = found ? wsc_container_of(found, struct reg_user, node) : NULL;
    if (u == NULL) {
        size_t n = strlen(uid);
        u = malloc(sizeof(*u) + n + 1);
        memcpy(u->id, uid, n + 1);
        wsc_list_init(&u->conns);
        u->n_conns = 0;
        wsc__hmap_insert(users, &u->node, h);
        wsc_list_push_back(order, &u->link);
    }
    wsc_list_push_back(&u->conns, &c->user_link);
    u->n_conns++;
    wsc__hmap_insert(conns, &c->by_id, wsc__hash_u64(c->id));
    return u;
}

static void
reg_remove(wsc__hmap *users, wsc__hmap *conns, struct reg_user *u, struct reg_conn *c)
{
    wsc_list_remove(&c->user_link);
    wsc__hmap_remove(conns, &c->by_id);
    if (--u->n_conns == 0) {
        wsc__hmap_remove(users, &u->node);
        wsc_list_remove(&u->link);
        free(u);
    }
}

static void
bench_register(unsigned n)
{
    wsc__hmap users, conns;
    struct wsc_list order;
    wsc__hmap_init(&users);
    wsc__hmap_init(&conns);
    wsc_list_init(&order);
    struct reg_conn *c = calloc(n, sizeof(*c));
    struct reg_user **u = calloc(n, sizeof(*u));
    char(*ids)[24] = malloc((size_t)n * 24);
    for (unsigned i = 0; i < n; i++) {
        snprintf(ids[i], 24, "user-%u", i);
        c[i].id = i + 1;
    }
    /* First fill (the tables grow), then time a full remove and re-add at that size. */
    for (unsigned i = 0; i < n; i++)
        u[i] = reg_add(&users, &order, &conns, ids[i], &c[i]);
    double t0 = now_s();
    for (unsigned i = 0; i < n; i++)
        reg_remove(&users, &conns, u[i], &c[i]);
    double t_rm = now_s() - t0;
    t0 = now_s();
    for (unsigned i = 0; i < n; i++)
        u[i] = reg_add(&users, &order, &conns, ids[i], &c[i]);
    double t_add = now_s() - t0;
    for (unsigned i = 0; i < n; i++)
        reg_remove(&users, &conns, u[i], &c[i]);
    wsc__hmap_clear(&users);
    wsc__hmap_clear(&conns);
    free(c);
    free(u);
    free(ids);
    printf("{\"scenario\":\"micro\",\"op\":\"register\",\"n\":%u,\"ns_per_op\":%.1f,"
           "\"unregister_ns_per_op\":%.1f,\"what\":\"registry tables only\"}\n",
           n, t_add * 1e9 / n, t_rm * 1e9 / n);
}

static bool
want(const char *only, const char *op)
{
    return only == NULL || strcmp(only, op) == 0;
}

int
main(int argc, char **argv)
{
    /* A fractional scale (0.05) makes short runs for callgrind. */
    double scale = argc > 1 ? atof(argv[1]) : 1;
    const char *only = argc > 2 ? argv[2] : NULL; /* run one op only (for callgrind) */
    if (scale <= 0)
        scale = 1;
    if (want(only, "encode"))
        bench_encode((unsigned)(200000 * scale) + 1);
    if (want(only, "parse"))
        bench_parse("parse", echo_frame, (unsigned)(200000 * scale) + 1);
    if (want(only, "parse_data"))
        bench_parse("parse_data", data_frame, (unsigned)(200000 * scale) + 1);
    if (want(only, "inbound"))
        bench_inbound((unsigned)(200000 * scale) + 1);
    if (want(only, "enqueue"))
        bench_enqueue((unsigned)(400 * scale) + 1);
    if (want(only, "register"))
        bench_register((unsigned)(100000 * scale) + 1);
    if (want(only, "xthread"))
        bench_xthread(4, (unsigned)(250000 * scale) + 1);
    return 0;
}
