/* SPDX-License-Identifier: MIT */
/* Encode-once across threads: several threads encoding (sending) the same message at once all
 * get the one buffer with the same bytes, nothing leaks (asan), and nothing races (tsan preset,
 * label threads).  Setters fail once any thread has frozen the message. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "models/msg_internal.h"

#define THREADS 8
#define ROUNDS  200

struct round {
    pthread_barrier_t start;
    wsc_msg *msg;
    const unsigned char *wire[THREADS];
    size_t len[THREADS];
    wsc_err err[THREADS];
    bool frozen_after[THREADS];
};

struct worker {
    struct round *r;
    int i;
};

static void *
encoder(void *arg)
{
    struct worker *w = arg;
    struct round *r = w->r;
    pthread_barrier_wait(&r->start);
    r->err[w->i] = wsc__msg_encode(r->msg);
    r->wire[w->i] = wsc__msg_wire(r->msg, &r->len[w->i]);
    r->frozen_after[w->i] = wsc_msg_is_frozen(r->msg);
    return NULL;
}

static wsc_msg *
make_msg(int round)
{
    wsc_msg *m = NULL;
    char content[64];
    snprintf(content, sizeof(content), "round %d", round);
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_RECEIVER, "bob"), WSC_OK);
    assert_int_equal(wsc_msg_set_data_json(m, "{\"k\":[1,2,3],\"s\":\"v\"}"), WSC_OK);
    return m;
}

static void
test_msg_threads__concurrent_encodes_agree_on_one_buffer(void **state)
{
    (void)state;
    for (int round = 0; round < ROUNDS; round++) {
        struct round r;
        memset(&r, 0, sizeof(r));
        r.msg = make_msg(round);
        wsc_buf want = {0};
        assert_int_equal(wsc_msg_to_json(r.msg, &want), WSC_OK); /* not frozen by this */
        assert_false(wsc_msg_is_frozen(r.msg));
        pthread_barrier_init(&r.start, NULL, THREADS);
        pthread_t th[THREADS];
        struct worker w[THREADS];
        for (int i = 0; i < THREADS; i++) {
            w[i] = (struct worker){&r, i};
            assert_int_equal(pthread_create(&th[i], NULL, encoder, &w[i]), 0);
        }
        for (int i = 0; i < THREADS; i++)
            pthread_join(th[i], NULL);
        pthread_barrier_destroy(&r.start);
        for (int i = 0; i < THREADS; i++) {
            assert_int_equal(r.err[i], WSC_OK);
            assert_true(r.frozen_after[i]);
            /* Every thread sees the one installed buffer, whoever encoded it. */
            assert_ptr_equal(r.wire[i], r.wire[0]);
            assert_int_equal(r.len[i], want.len);
        }
        assert_memory_equal(r.wire[0], want.data, want.len);
        assert_int_equal(wsc_msg_set(r.msg, WSC_F_CONTENT, "late"), WSC_ERR_STATE);
        wsc_buf_free(&want);
        wsc_msg_unref(r.msg);
    }
}

/* Readers on other threads (refs, getters, to_json of the frozen bytes) while one thread
 * encodes: the frozen bytes are what every reader copies. */
struct reader {
    wsc_msg *msg;
    pthread_barrier_t *start;
    int same;
};

static void *
reader_main(void *arg)
{
    struct reader *rd = arg;
    pthread_barrier_wait(rd->start);
    for (int i = 0; i < 100; i++) {
        wsc_msg *m = wsc_msg_ref(rd->msg);
        wsc_buf b = {0};
        if (wsc_msg_to_json(m, &b) == WSC_OK && strstr(b.data, "\"content\":\"hello\"") != NULL)
            rd->same++;
        wsc_buf_free(&b);
        (void)wsc_msg_get(m, WSC_F_RECEIVER);
        wsc_msg_unref(m);
    }
    return NULL;
}

static void
test_msg_threads__readers_while_another_thread_encodes(void **state)
{
    (void)state;
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "hello"), WSC_OK);
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, THREADS + 1);
    struct reader rd[THREADS];
    pthread_t th[THREADS];
    for (int i = 0; i < THREADS; i++) {
        rd[i] = (struct reader){m, &start, 0};
        assert_int_equal(pthread_create(&th[i], NULL, reader_main, &rd[i]), 0);
    }
    pthread_barrier_wait(&start);
    assert_int_equal(wsc__msg_encode(m), WSC_OK);
    for (int i = 0; i < THREADS; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(rd[i].same, 100);
    }
    pthread_barrier_destroy(&start);
    assert_int_equal(wsc__msg_refs(m), 1);
    wsc_msg_unref(m);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_msg_threads__concurrent_encodes_agree_on_one_buffer),
        cmocka_unit_test(test_msg_threads__readers_while_another_thread_encodes),
    };
    return cmocka_run_group_tests_name("unit.models.msg_threads", tests, NULL, NULL);
}
