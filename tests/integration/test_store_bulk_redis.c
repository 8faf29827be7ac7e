/* SPDX-License-Identifier: MIT */
/* The Redis store's writes (src/repository/redis/redis_lws.c) on a real Redis and on a Redis
 * Cluster (integration.store_bulk_redis; label redis, skipped without WSC_TEST_REDIS_URL):
 * commands are written at the end of the loop's pass, and what the socket does not take then
 * waits for WRITEABLE.  Requests far larger than the socket's buffers (messages of 3 MiB
 * queued in one go), and 20,000 requests queued without running the loop, all complete, in
 * order, and what was stored reads back intact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "tstore.h"

#define BULK_DB 9
#define BIG     (3u << 20)

struct bulk {
    size_t done, ok, in_order;
    size_t next; /* the index the next completion should carry */
};

struct bulk_req {
    struct bulk *b;
    size_t i;
};

static void
on_done(wsc_err status, void *user)
{
    struct bulk_req *r = user;
    r->b->done++;
    r->b->ok += status == WSC_OK;
    r->b->in_order += r->i == r->b->next;
    r->b->next = r->i + 1;
}

struct big_fetch {
    int calls;
    wsc_err status;
    size_t count, intact;
};

static void
on_fetch(wsc_err status, wsc_msg *const *msgs, size_t count, uint64_t next_cursor, void *user)
{
    (void)next_cursor;
    struct big_fetch *f = user;
    f->calls++;
    f->status = status;
    f->count = count;
    for (size_t i = 0; i < count; i++) {
        const char *content = wsc_msg_get(msgs[i], WSC_F_CONTENT);
        char want = (char)('a' + i);
        if (content != NULL && strlen(content) == BIG && content[0] == want &&
            content[BIG / 2] == want && content[BIG - 1] == want)
            f->intact++;
    }
}

struct wait_all {
    size_t want;
    struct bulk b;
};

static bool
all_done(void *arg)
{
    const struct wait_all *w = arg;
    return w->b.done >= w->want;
}

static bool
fetched(void *arg)
{
    return ((struct big_fetch *)arg)->calls > 0;
}

/* Runs loop until cond(arg), 30 s at most. */
static bool
run_until(wsc_loop *loop, bool (*cond)(void *), void *arg)
{
    uint64_t t0 = wsc_loop_now_ms(loop);
    while (!cond(arg) && wsc_loop_now_ms(loop) - t0 < 30000)
        wsc_loop_run_once(loop, 50);
    return cond(arg);
}

static void
bulk_on(const char *url)
{
    wsc_loop *loop = NULL;
    assert_int_equal(wsc_loop_new(&loop), WSC_OK);
    wsc_store *store = NULL;
    assert_int_equal(wsc_store_open(loop, url, NULL, &store), WSC_OK);
    struct wsc_offline_repo *off = wsc_store_offline(store);
    char user[64];
    snprintf(user, sizeof(user), "bulk-%d-%llu", (int)getpid(),
             (unsigned long long)wsc_loop_now_ms(loop));

    /* Three messages of 3 MiB, queued without running the loop in between. */
    char *content = malloc(BIG + 1);
    assert_non_null(content);
    struct wait_all w = {.want = 3};
    struct bulk_req reqs[3];
    for (size_t i = 0; i < 3; i++) {
        memset(content, 'a' + (int)i, BIG);
        content[BIG] = '\0';
        char mid[16];
        snprintf(mid, sizeof(mid), "big-%zu", i);
        wsc_msg *m = tstore_msg(mid, content);
        reqs[i] = (struct bulk_req){&w.b, i};
        assert_int_equal(wsc_offline_store(off, user, m, on_done, &reqs[i]), WSC_OK);
        wsc_msg_unref(m);
    }
    free(content);
    assert_true(run_until(loop, all_done, &w));
    assert_int_equal(w.b.ok, 3);
    assert_int_equal(w.b.in_order, 3);
    struct big_fetch f = {0};
    assert_int_equal(wsc_offline_fetch(off, user, 0, 10, on_fetch, &f), WSC_OK);
    assert_true(run_until(loop, fetched, &f));
    assert_int_equal(f.status, WSC_OK);
    assert_int_equal(f.count, 3);
    assert_int_equal(f.intact, 3);

    /* 20,000 requests queued in one go: every one completes, in the order sent. */
    enum { N = 20000 };
    struct bulk_req *many = calloc(N, sizeof(*many));
    assert_non_null(many);
    struct wait_all wm = {.want = N};
    for (size_t i = 0; i < N; i++) {
        many[i] = (struct bulk_req){&wm.b, i};
        assert_int_equal(wsc_store_ping(store, on_done, &many[i]), WSC_OK);
    }
    assert_true(run_until(loop, all_done, &wm));
    assert_int_equal(wm.b.ok, N);
    assert_int_equal(wm.b.in_order, N);
    free(many);

    struct wait_all wc = {.want = 1};
    struct bulk_req cr = {&wc.b, 0};
    assert_int_equal(wsc_offline_clear(off, user, on_done, &cr), WSC_OK);
    assert_true(run_until(loop, all_done, &wc));
    assert_int_equal(wc.b.ok, 1);
    wsc_store_close(store);
    for (int i = 0; i < 20; i++)
        wsc_loop_run_once(loop, 10);
    wsc_loop_free(loop);
}

static void
test_store_bulk__redis(void **state)
{
    (void)state;
    char url[512];
    if (tstore_redis_db_url(BULK_DB, url, sizeof(url)) == NULL) {
        tstore_skip();
        return;
    }
    bulk_on(url);
}

static void
test_store_bulk__redis_cluster(void **state)
{
    (void)state;
    const char *url = getenv("WSC_TEST_REDIS_CLUSTER_URL");
    if (url == NULL || *url == '\0') {
        tstore_skip();
        return;
    }
    bulk_on(url);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_bulk__redis),
        cmocka_unit_test(test_store_bulk__redis_cluster),
    };
    return tstore_exit(
        cmocka_run_group_tests_name("integration.store_bulk_redis", tests, NULL, NULL),
        sizeof(tests) / sizeof(tests[0]));
}
