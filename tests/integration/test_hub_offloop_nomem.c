/* SPDX-License-Identifier: MIT */
/* Fire-and-forget sends from another thread (include/wsc/hub.h, "sending: any thread") when
 * memory runs out or the hub goes away:
 * - out of memory at any allocation of the hand-over (to a user, a list, a group, everyone, one
 *   connection) answers WSC_ERR_NOMEM at the call and nothing is delivered for it; every send
 *   accepted is delivered exactly once;
 * - sends handed over and not yet run when the hub is freed are dropped with it, not run on a
 *   hub being torn down (ASan clean). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "models/alloc.h"
#include "thub.h"

struct job {
    wsc_hub *hub;
    wsc_conn_id conn;
    int kind;
    long fail_nth;
    wsc_err err;
};

static void *
sender(void *arg)
{
    struct job *j = arg;
    wsc_msg *m = NULL;
    if (wsc_msg_new_text(&m, "text", "x") != WSC_OK) {
        j->err = WSC_ERR_INTERNAL;
        return NULL;
    }
    const char *users[] = {"a", "zed"};
    if (j->fail_nth > 0)
        wsc__alloc_fail_nth(j->fail_nth);
    switch (j->kind) {
    case 0:
        j->err = wsc_hub_send_to_user(j->hub, "a", m, NULL);
        break;
    case 1:
        j->err = wsc_hub_send_to_users(j->hub, users, 2, m, NULL);
        break;
    case 2:
        j->err = wsc_hub_send_to_group(j->hub, "g", m, "b", NULL);
        break;
    case 3:
        j->err = wsc_hub_broadcast(j->hub, m, NULL);
        break;
    default:
        j->err = wsc_hub_send_to_conn(j->hub, j->conn, m);
        break;
    }
    wsc__alloc_fail_nth(0);
    wsc_msg_unref(m);
    return NULL;
}

static wsc_err
run_sender(struct job *j)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender, j), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    return j->err;
}

static void
test_offloop_nomem__each_kind_of_send(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    wsc_conn_id conn = 0;
    size_t n = 0;
    assert_int_equal(wsc_hub_user_conns(t.hub, "a", &conn, 1, &n), WSC_OK);
    size_t delivered = 0;
    for (int kind = 0; kind < 5; kind++) {
        size_t refused = 0;
        for (long k = 1; k < 50; k++) {
            struct job j = {.hub = t.hub, .conn = conn, .kind = kind, .fail_nth = k};
            wsc_err err = run_sender(&j);
            if (err == WSC_OK) {
                delivered++;
                if (k > 10)
                    break; /* past every allocation of this kind of call */
            } else {
                assert_int_equal(err, WSC_ERR_NOMEM);
                refused++;
            }
            assert_true(thub_wait_msgs(&t, a, delivered, 2000));
        }
        assert_true(refused >= 1);
    }
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(a), delivered); /* exactly one per accepted send */
    thub_free(&t);
}

static void
test_offloop_nomem__hub_freed_before_the_loop_runs_them(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    (void)a;
    for (int kind = 0; kind < 5; kind++) {
        struct job j = {.hub = t.hub, .conn = 1, .kind = kind};
        assert_int_equal(run_sender(&j), WSC_OK);
    }
    thub_free(&t); /* the five posted sends go with the hub; run on it, ASan would see */
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offloop_nomem__each_kind_of_send),
        cmocka_unit_test(test_offloop_nomem__hub_freed_before_the_loop_runs_them),
    };
    return cmocka_run_group_tests_name("integration.hub_offloop_nomem", tests, NULL, NULL);
}
