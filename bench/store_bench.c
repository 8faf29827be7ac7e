/* SPDX-License-Identifier: MIT */
/* store_bench: operations per second of each storage backend, through the public store API
 * on one loop, with a window of ops in flight.  Prints one JSON line per measurement:
 *   offline_store   N offline stores spread over U users
 *   offline_replay  every stored message fetched back, pages of 100, users in parallel
 *   records_put     N message-record puts
 * Usage: store_bench [-n N] [-c inflight] [-u users] [url ...]
 * Without urls: memory:, then $WSC_BENCH_REDIS_URL (or $WSC_TEST_REDIS_URL) and
 * $WSC_BENCH_MYSQL_URL (or $WSC_TEST_MYSQL_URL) when set.  Ids are unique per run; the
 * offline messages are cleared afterwards, the records expire with the record TTL. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <wsc/wsc.h>

struct bench {
    wsc_loop *loop;
    wsc_store *store;
    const char *backend;
    int n, window, users;
    int issued, done, errors;
    wsc_err first_err;
    wsc_msg **msgs;
    char run[48];
    char (*uids)[96];
    uint64_t *cursors; /* per user, for the replay */
    int replayed;
};

static double
now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void
note(struct bench *b, wsc_err st)
{
    b->done++;
    if (st != WSC_OK && b->errors++ == 0)
        b->first_err = st;
}

static void
on_done(wsc_err st, void *user)
{
    note(user, st);
}

static void
report(struct bench *b, const char *op, int ops, double secs)
{
    printf("{\"bench\":\"store\",\"backend\":\"%s\",\"op\":\"%s\",\"ops\":%d,\"inflight\":%d,"
           "\"seconds\":%.3f,\"ops_per_s\":%.0f,\"errors\":%d%s%s%s}\n",
           b->backend, op, ops, b->window, secs, secs > 0 ? ops / secs : 0.0, b->errors,
           b->errors ? ",\"first_error\":\"" : "", b->errors ? wsc_err_name(b->first_err) : "",
           b->errors ? "\"" : "");
    fflush(stdout);
}

/* Issues op(i) for i in [0, n) with at most window in flight; returns the seconds taken. */
static double
drive(struct bench *b, wsc_err (*op)(struct bench *b, int i))
{
    b->issued = b->done = b->errors = 0;
    double t0 = now_s();
    while (b->done < b->n && now_s() - t0 < 300) {
        while (b->issued < b->n && b->issued - b->done < b->window) {
            wsc_err err = op(b, b->issued++);
            if (err != WSC_OK)
                note(b, err);
        }
        wsc_loop_run_once(b->loop, 1);
    }
    return now_s() - t0;
}

static wsc_err
op_store(struct bench *b, int i)
{
    return wsc_offline_store(wsc_store_offline(b->store), b->uids[i % b->users], b->msgs[i],
                             on_done, b);
}

static wsc_err
op_record(struct bench *b, int i)
{
    char mid[96];
    snprintf(mid, sizeof(mid), "r-%s-%d", b->run, i);
    wsc_msg_record rec = {
        .message_id = mid, .receiver = "bob", .sender = "alice", .state = WSC_REC_SENT};
    return wsc_record_put(wsc_store_records(b->store), &rec, on_done, b);
}

static wsc_err
op_clear(struct bench *b, int i)
{
    return wsc_offline_clear(wsc_store_offline(b->store), b->uids[i], on_done, b);
}

struct page {
    struct bench *b;
    int user;
};

static void fetch_page(struct bench *b, struct page *p);

static void
on_page(wsc_err st, wsc_msg *const *msgs, size_t count, uint64_t next, void *user)
{
    (void)msgs;
    struct page *p = user;
    struct bench *b = p->b;
    if (st != WSC_OK || count < 100) {
        b->replayed += (int)count;
        note(b, st);
        free(p);
        return;
    }
    b->replayed += (int)count;
    b->cursors[p->user] = next;
    fetch_page(b, p);
}

static void
fetch_page(struct bench *b, struct page *p)
{
    wsc_err err = wsc_offline_fetch(wsc_store_offline(b->store), b->uids[p->user],
                                    b->cursors[p->user], 100, on_page, p);
    if (err != WSC_OK) {
        note(b, err);
        free(p);
    }
}

static wsc_err
op_replay(struct bench *b, int i)
{
    struct page *p = malloc(sizeof(*p));
    if (p == NULL)
        return WSC_ERR_NOMEM;
    *p = (struct page){b, i};
    b->cursors[i] = 0;
    fetch_page(b, p);
    return WSC_OK;
}

static void
wait_ready(struct bench *b)
{
    b->done = b->errors = 0;
    if (wsc_store_ping(b->store, on_done, b) != WSC_OK)
        return;
    double t0 = now_s();
    while (b->done == 0 && now_s() - t0 < 10)
        wsc_loop_run_once(b->loop, 5);
}

static int
bench_backend(struct bench *b, const char *url)
{
    wsc_store_config cfg;
    wsc_store_config_init(&cfg);
    cfg.offline_max_per_user = (uint32_t)b->n;
    cfg.command_timeout_ms = 30000;
    if (wsc_store_open(b->loop, url, &cfg, &b->store) != WSC_OK) {
        fprintf(stderr, "store_bench: cannot open %s\n", url);
        return 1;
    }
    b->backend = wsc_store_backend(b->store);
    wait_ready(b);
    report(b, "offline_store", b->n, drive(b, op_store));
    int n = b->n;
    b->n = b->users;
    b->replayed = 0;
    double secs = drive(b, op_replay);
    report(b, "offline_replay", b->replayed, secs);
    drive(b, op_clear);
    b->n = n;
    report(b, "records_put", b->n, drive(b, op_record));
    wsc_store_close(b->store);
    for (int i = 0; i < 3; i++)
        wsc_loop_run_once(b->loop, 1);
    return 0;
}

static int
setup(struct bench *b)
{
    snprintf(b->run, sizeof(b->run), "%ld-%ld", (long)getpid(), (long)time(NULL));
    b->uids = calloc((size_t)b->users, sizeof(*b->uids));
    b->cursors = calloc((size_t)b->users, sizeof(*b->cursors));
    b->msgs = calloc((size_t)b->n, sizeof(*b->msgs));
    if (b->uids == NULL || b->cursors == NULL || b->msgs == NULL)
        return -1;
    for (int i = 0; i < b->users; i++)
        snprintf(b->uids[i], sizeof(b->uids[i]), "bench-%s-u%d", b->run, i);
    for (int i = 0; i < b->n; i++) {
        char mid[48];
        snprintf(mid, sizeof(mid), "m%d", i);
        if (wsc_msg_new_text(&b->msgs[i], "text", "a typical chat message of some length") !=
                WSC_OK ||
            wsc_msg_set(b->msgs[i], WSC_F_MESSAGE_ID, mid) != WSC_OK ||
            wsc_msg_set(b->msgs[i], WSC_F_SENDER, "alice") != WSC_OK)
            return -1;
    }
    return wsc_loop_new(&b->loop) == WSC_OK ? 0 : -1;
}

static const char *
env2(const char *a, const char *b)
{
    const char *v = getenv(a);
    return v != NULL && v[0] != '\0' ? v : getenv(b);
}

int
main(int argc, char **argv)
{
    struct bench b = {.n = 5000, .window = 64, .users = 50};
    int opt;
    while ((opt = getopt(argc, argv, "n:c:u:")) != -1) {
        if (opt == 'n')
            b.n = atoi(optarg);
        else if (opt == 'c')
            b.window = atoi(optarg);
        else if (opt == 'u')
            b.users = atoi(optarg);
        else {
            fprintf(stderr, "usage: %s [-n N] [-c inflight] [-u users] [url ...]\n", argv[0]);
            return 2;
        }
    }
    if (b.n <= 0 || b.window <= 0 || b.users <= 0 || setup(&b) != 0) {
        fprintf(stderr, "store_bench: bad arguments or out of memory\n");
        return 2;
    }
    const char *urls[16];
    int nurls = 0;
    for (int i = optind; i < argc && nurls < 16; i++)
        urls[nurls++] = argv[i];
    if (nurls == 0) {
        const char *r = env2("WSC_BENCH_REDIS_URL", "WSC_TEST_REDIS_URL");
        const char *m = env2("WSC_BENCH_MYSQL_URL", "WSC_TEST_MYSQL_URL");
        urls[nurls++] = "memory:";
        if (r != NULL && r[0] != '\0')
            urls[nurls++] = r;
        if (m != NULL && m[0] != '\0')
            urls[nurls++] = m;
    }
    int rc = 0;
    for (int i = 0; i < nurls; i++)
        rc |= bench_backend(&b, urls[i]);
    for (int i = 0; i < b.n; i++)
        wsc_msg_unref(b.msgs[i]);
    free(b.msgs);
    free(b.uids);
    free(b.cursors);
    wsc_loop_free(b.loop);
    return rc;
}
