/* SPDX-License-Identifier: MIT */
/* "stored" survives kill -9 (labels integration + the backend's): the real wsc-hub
 * (WSC_HUB_BIN) runs as a child process on the store named by WSC_TEST_KILL_BACKEND (redis,
 * mysql or hybrid = both).  Messages are published with require_ack to an offline user over
 * the HTTP API; the hub is killed with SIGKILL right after the last answer, without waiting
 * for anything, and started again: every message that was answered "stored" must be replayed
 * to the user (PROTOCOL.md §7: the answer waits for the store's confirmation).  A store that is
 * down gets 503 store_unavailable, never "stored" (redis); with Redis down in hybrid mode the
 * answers come from MySQL and the same holds; a user whose Redis copy is lost while the hub is
 * dead is replayed from MySQL.  Nothing sleeps: the test waits for the child's port (bounded by
 * a deadline, backing off on the child's pidfd) and for conditions.  With --ack-durable
 * (wsc_ack_opts.durable), the same holds for "delivered": messages to a user who is online
 * and does not ACK are answered "delivered", the hub is killed at once, and every one of them
 * is replayed on the user's next connection. */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "tjson.h"
#include "tstore.h"
#include "twait.h"

#define WAIT_MS 30000

#define N_MSG 50

typedef struct fx {
    wsc_loop *loop;   /* for the test's own stores */
    wsc_store *redis; /* plain stores: what each backend holds (NULL when not in use) */
    wsc_store *mysql;
    const char *backend;
    twait_set *ts;
    pid_t hub;
    bool durable; /* start the hub with --ack-durable */
    int pidfd;
    int port;
    char user[96];
    char log[256];
} fx;

static int
free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int port = -1;
    if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &len) == 0)
        port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* GET /readyz answers 200: listening, and the store answered a ping. */
static bool
hub_ready(fx *f)
{
    thttp *h = thttp_request(f->port, "GET", "/readyz", NULL, NULL, 0);
    bool ok = false;
    if (h != NULL && twait_add_http(f->ts, h) == 0) {
        twait_until(f->ts, NULL, thttp_is_done, h, 2000);
        ok = thttp_done(h) && !thttp_failed(h) && thttp_status(h) == 200;
        twait_remove_http(f->ts, h);
    }
    thttp_free(h);
    return ok;
}

static void
hub_start(fx *f)
{
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->port);
    const char *bin = getenv("WSC_HUB_BIN");
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open(f->log, O_WRONLY | O_CREAT | O_APPEND, 0644);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        char *args[12] = {strdup("wsc-hub"), strdup("--listen"), strdup(listen),
                          strdup("--insecure-user-id"), strdup("--insecure-api")};
        int k = 5;
        if (f->redis != NULL) {
            args[k++] = strdup("--redis");
            args[k++] = strdup(getenv("WSC_TEST_REDIS_URL"));
        }
        if (f->mysql != NULL) {
            args[k++] = strdup("--mysql");
            args[k++] = strdup(getenv("WSC_TEST_MYSQL_URL"));
        }
        if (f->durable)
            args[k++] = strdup("--ack-durable");
        args[k] = NULL;
        execv(bin, args);
        _exit(127);
    }
    f->hub = pid;
    f->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
    assert_true(f->pidfd >= 0);
    /* Poll the port until the hub answers, within a deadline.  Between tries, wait on the
     * child's pidfd: it is the back-off, and a hub that dies at start fails the test now. */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        if (hub_ready(f))
            return;
        struct pollfd p = {.fd = f->pidfd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 20), 0); /* readable: the hub exited */
        clock_gettime(CLOCK_MONOTONIC, &now);
        assert_true((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000 <
                    WAIT_MS);
    }
}

static void
hub_kill9(fx *f)
{
    assert_int_equal(kill(f->hub, SIGKILL), 0);
    int st = 0;
    assert_int_equal(waitpid(f->hub, &st, 0), f->hub);
    assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
    close(f->pidfd);
    f->hub = 0;
}

static int
setup(void **state)
{
    *state = NULL;
    const char *b = getenv("WSC_TEST_KILL_BACKEND");
    bool redis = b != NULL && (strcmp(b, "redis") == 0 || strcmp(b, "hybrid") == 0);
    bool mysql = b != NULL && (strcmp(b, "mysql") == 0 || strcmp(b, "hybrid") == 0);
    if ((!redis && !mysql) || (redis && getenv("WSC_TEST_REDIS_URL") == NULL) ||
        (mysql && getenv("WSC_TEST_MYSQL_URL") == NULL) || getenv("WSC_HUB_BIN") == NULL ||
        getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL) {
        print_message("[  SKIP    ] needs WSC_TEST_KILL_BACKEND, its store URLs, WSC_HUB_BIN and "
                      "WSC_SERVICES_SCRIPT/DIR\n");
        return 0;
    }
    fx *f = calloc(1, sizeof(*f));
    f->backend = b;
    assert_int_equal(wsc_loop_new(&f->loop), WSC_OK);
    if (redis)
        assert_int_equal(wsc_store_open(f->loop, getenv("WSC_TEST_REDIS_URL"), NULL, &f->redis),
                         WSC_OK);
    if (mysql)
        assert_int_equal(wsc_store_open(f->loop, getenv("WSC_TEST_MYSQL_URL"), NULL, &f->mysql),
                         WSC_OK);
    f->ts = twait_set_new();
    f->port = free_port();
    static unsigned seq;
    snprintf(f->user, sizeof(f->user), "kill9-%s-%ld-%ld-%u", b, (long)getpid(), (long)time(NULL),
             ++seq);
    snprintf(f->log, sizeof(f->log), "%s/wsc-store-kill-%ld.log",
             getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp", (long)getpid());
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    if (f->hub > 0)
        hub_kill9(f);
    twait_set_free(f->ts);
    if (f->redis != NULL)
        wsc_store_close(f->redis);
    if (f->mysql != NULL)
        wsc_store_close(f->mysql);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(f->loop, 1);
    wsc_loop_free(f->loop);
    unlink(f->log);
    free(f);
    return 0;
}

static bool
called(void *arg)
{
    return ((tres *)arg)->calls > 0;
}

/* Publishes one require_ack message to the user; returns the HTTP status, which must be 200
 * with "stored":1 (offline user; with online, "delivered":1) or 503 store_unavailable: nothing
 * else is a truthful answer here. */
static int
publish_to(fx *f, const char *mid, bool online)
{
    char body[512];
    snprintf(body, sizeof(body),
             "{\"receiver\":\"%s\",\"message\":{\"message_id\":\"%s\",\"require_ack\":true,"
             "\"content\":\"c-%s\"}}",
             f->user, mid, mid);
    thttp *h = thttp_request(f->port, "POST", "/api/publish", NULL, body, strlen(body));
    assert_non_null(h);
    assert_int_equal(twait_add_http(f->ts, h), 0);
    assert_true(twait_until(f->ts, NULL, thttp_is_done, h, WAIT_MS));
    int status = thttp_status(h);
    json_t *j = tjson_parse(thttp_body(h));
    assert_non_null(j);
    if (status == 200) {
        assert_int_equal(tjson_int(j, "stored", -1), online ? 0 : 1);
        assert_int_equal(tjson_int(j, "delivered", -1), online ? 1 : 0);
    } else {
        assert_int_equal(status, 503);
        assert_string_equal(tjson_str(j, "error"), "store_unavailable");
    }
    json_decref(j);
    twait_remove_http(f->ts, h);
    thttp_free(h);
    return status;
}

static int
publish(fx *f, const char *mid)
{
    return publish_to(f, mid, false);
}

/* Polls the offline count of f->user in one plain store until it is want. */
struct count_poll {
    fx *f;
    wsc_store *s;
    uint64_t want;
    tres r;
    bool out;
};

static bool
count_is(void *arg)
{
    struct count_poll *p = arg;
    if (p->out && p->r.calls > 0) {
        p->out = false;
        if (p->r.status == WSC_OK && p->r.count == p->want)
            return true;
    }
    if (!p->out) {
        memset(&p->r, 0, sizeof(p->r));
        p->out =
            wsc_offline_count(wsc_store_offline(p->s), p->f->user, tres_count, &p->r) == WSC_OK;
    }
    return false;
}

static void
wait_count(fx *f, wsc_store *s, uint64_t want)
{
    struct count_poll p = {f, s, want, {0}, false};
    assert_true(twait_until(NULL, f->loop, count_is, &p, WAIT_MS));
    while (p.out && p.r.calls == 0) /* the last probe, answered */
        twait_pump(NULL, f->loop, 1);
}

/* The user's connection: replayed messages are checked, counted once each and ACKed. */
struct rx {
    tws *c;
    const char *prefix;
    int n, got, want; /* want: how many of want_mask must arrive */
    const bool *expect;
    bool seen[256];
    int not_offline;
};

static bool
all_received(void *arg)
{
    struct rx *x = arg;
    char *data = NULL;
    int op;
    while (tws_next(x->c, &op, &data, NULL)) {
        json_t *j = tjson_parse(data);
        const char *mid = j != NULL ? tjson_str(j, "message_id") : NULL;
        size_t plen = strlen(x->prefix);
        if (mid != NULL && strncmp(mid, x->prefix, plen) == 0) {
            int i = atoi(mid + plen);
            const char *src = tjson_str(j, "source");
            if (src == NULL || strcmp(src, "offline") != 0)
                x->not_offline++;
            if (i >= 0 && i < x->n && !x->seen[i]) {
                x->seen[i] = true;
                x->got += x->expect[i] ? 1 : 0;
            }
            char ack[256];
            snprintf(ack, sizeof(ack), "{\"message_type\":\"ack\",\"message_id\":\"%s\"}", mid);
            tws_send_text(x->c, ack, strlen(ack));
        }
        json_decref(j);
        free(data);
    }
    return x->got == x->want || tws_state(x->c) == TWS_CLOSED || tws_state(x->c) == TWS_ERROR;
}

/* The user connects: every message marked in expect arrives, replayed ("offline"); each is
 * ACKed, and the durable store is empty afterwards. */
static void
receive_expected(fx *f, const char *prefix, int n, const bool *expect)
{
    char path[160];
    snprintf(path, sizeof(path), "/ws?user_id=%s", f->user);
    struct rx x = {
        .c = tws_connect(f->port, path, NULL, NULL), .prefix = prefix, .n = n, .expect = expect};
    for (int i = 0; i < n; i++)
        x.want += expect[i] ? 1 : 0;
    assert_non_null(x.c);
    assert_int_equal(twait_add_ws(f->ts, x.c), 0);
    assert_true(twait_until(f->ts, NULL, tws_is_open, x.c, WAIT_MS));
    twait_until(f->ts, NULL, all_received, &x, WAIT_MS);
    for (int i = 0; i < n; i++) {
        if (expect[i] && !x.seen[i])
            print_message("answered, never replayed: %s%d\n", prefix, i);
    }
    assert_int_equal(x.got, x.want);
    assert_int_equal(x.not_offline, 0);
    /* The ACKs remove them from the store that counts. */
    wait_count(f, f->mysql != NULL ? f->mysql : f->redis, 0);
    tws_send_close(x.c, 1000, NULL);
    twait_until(f->ts, NULL, tws_is_closed, x.c, 2000);
    twait_remove_ws(f->ts, x.c);
    tws_free(x.c);
}

/* Publishes n messages; stored[i] says which were answered "stored".  Returns how many. */
static int
publish_n(fx *f, const char *prefix, int n, bool *stored)
{
    char mid[64];
    int k = 0;
    for (int i = 0; i < n; i++) {
        snprintf(mid, sizeof(mid), "%s%d", prefix, i);
        stored[i] = publish(f, mid) == 200;
        k += stored[i] ? 1 : 0;
    }
    return k;
}

static void
test_store_kill__stored_answers_survive_kill9(void **state)
{
    fx *f = *state;
    if (f == NULL)
        tstore_skip();
    bool stored[N_MSG];
    hub_start(f);
    /* Every store is up: every answer must be "stored" (and true). */
    assert_int_equal(publish_n(f, "k9-", N_MSG, stored), N_MSG);
    hub_kill9(f); /* right after the last answer */
    hub_start(f);
    receive_expected(f, "k9-", N_MSG, stored);
    hub_kill9(f);
}

static bool
got_connected(void *arg)
{
    char *data = NULL;
    int op;
    bool seen = false;
    while (!seen && tws_next(arg, &op, &data, NULL)) {
        seen = strstr(data, "\"connected\"") != NULL;
        free(data);
    }
    return seen;
}

/* --ack-durable: "delivered" to a user who never ACKs survives kill -9 right after the last
 * answer: each is replayed on the user's next connection (from the store's copy). */
static void
test_store_kill__delivered_answers_survive_kill9_durable(void **state)
{
    fx *f = *state;
    if (f == NULL)
        tstore_skip();
    f->durable = true;
    hub_start(f);
    char path[160];
    snprintf(path, sizeof(path), "/ws?user_id=%s", f->user);
    tws *c = tws_connect(f->port, path, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(f->ts, c), 0);
    assert_true(twait_until(f->ts, NULL, got_connected, c, WAIT_MS));
    bool delivered[N_MSG];
    char mid[64];
    for (int i = 0; i < N_MSG; i++) {
        snprintf(mid, sizeof(mid), "dv-%d", i);
        assert_int_equal(publish_to(f, mid, true), 200); /* every store up: all "delivered" */
        delivered[i] = true;
    }
    hub_kill9(f); /* right after the last answer; the user never ACKed */
    twait_remove_ws(f->ts, c);
    tws_free(c);
    hub_start(f);
    receive_expected(f, "dv-", N_MSG, delivered);
    hub_kill9(f);
}

/* Redis alone and down: the answer is 503 store_unavailable, never "stored". */
static void
test_store_kill__redis_down_answers_503(void **state)
{
    fx *f = *state;
    if (f == NULL || f->mysql != NULL)
        tstore_skip();
    hub_start(f);
    assert_int_equal(tstore_services("stop-redis"), 0);
    char mid[160];
    snprintf(mid, sizeof(mid), "down-%s", f->user);
    int status = publish(f, mid);
    assert_int_equal(tstore_services("start-redis"), 0);
    assert_int_equal(status, 503);
    hub_kill9(f);
}

/* Hybrid, Redis down: MySQL answers for the store; every "stored" is replayed after kill -9
 * (Redis back, empty) -- from MySQL. */
static void
test_store_kill__hybrid_redis_down(void **state)
{
    fx *f = *state;
    if (f == NULL || f->mysql == NULL || f->redis == NULL)
        tstore_skip();
    bool stored[N_MSG];
    hub_start(f);
    assert_int_equal(tstore_services("stop-redis"), 0);
    int k = publish_n(f, "rd-", N_MSG, stored);
    hub_kill9(f);
    assert_int_equal(tstore_services("start-redis"), 0);
    print_message("[  INFO    ] %d of %d answered stored with Redis down\n", k, N_MSG);
    hub_start(f);
    receive_expected(f, "rd-", N_MSG, stored);
    hub_kill9(f);
}

/* Hybrid: the user's Redis copy is lost while the hub is dead: replayed from MySQL. */
static void
test_store_kill__hybrid_redis_copy_lost(void **state)
{
    fx *f = *state;
    if (f == NULL || f->mysql == NULL || f->redis == NULL)
        tstore_skip();
    bool stored[N_MSG];
    hub_start(f);
    assert_int_equal(publish_n(f, "lost-", N_MSG, stored), N_MSG);
    hub_kill9(f);
    tres r = {0};
    assert_int_equal(wsc_offline_clear(wsc_store_offline(f->redis), f->user, tres_done, &r),
                     WSC_OK);
    assert_true(twait_until(NULL, f->loop, called, &r, WAIT_MS));
    assert_int_equal(r.status, WSC_OK);
    hub_start(f);
    receive_expected(f, "lost-", N_MSG, stored);
    hub_kill9(f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_store_kill__stored_answers_survive_kill9, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_store_kill__delivered_answers_survive_kill9_durable,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_kill__redis_down_answers_503, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_kill__hybrid_redis_down, setup, teardown),
        cmocka_unit_test_setup_teardown(test_store_kill__hybrid_redis_copy_lost, setup, teardown),
    };
    return tstore_exit(cmocka_run_group_tests_name("integration.store_kill", tests, NULL, NULL),
                       sizeof(tests) / sizeof(tests[0]));
}
