/* SPDX-License-Identifier: MIT */
/* wsc_hub_publish_ack and the batch sender in the cases the other tests leave out
 * (include/wsc/reliability.h):
 * - the same message_id published twice to a live receiver that has not ACKed counts it as a
 *   duplicate the second time (nothing queued again);
 * - to a group but one member: the others are accounted for, the excluded one is not;
 * - a hub freed while the offline store still holds a write answers inside wsc_hub_free, once,
 *   with that receiver failed (WSC_ERR_CANCELED), never stored;
 * - an empty batch completes with WSC_OK and no items, on a later turn, never inside the run;
 * - an ACK-mode batch item that cannot be sent (a binary message) fails with its error, which
 *   is the batch's status; the others go on;
 * - a batch cannot start on a stopping hub (WSC_ERR_STATE), nor be made or filled off the loop
 *   thread; out of memory in wsc_batch_new and wsc_batch_add answers WSC_ERR_NOMEM. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "models/alloc.h"
#include "thub.h"
#include "tjson.h"

struct answer {
    size_t calls;
    wsc_accepted a;
};

static void
on_accepted(const wsc_accepted *a, void *user)
{
    struct answer *x = user;
    x->calls++;
    x->a = *a;
    x->a.message_id = NULL; /* borrowed for the call only */
}

static wsc_msg *
text(const char *mid)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "x"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
    return m;
}

static void
publish(thub *t, const char *const *users, size_t n, const char *group, const char *exclude,
        const char *mid, struct answer *x)
{
    wsc_msg *m = text(mid);
    memset(x, 0, sizeof(*x));
    assert_int_equal(wsc_hub_publish_ack(t->hub, users, n, group, exclude, m, NULL, on_accepted, x),
                     WSC_OK);
    wsc_msg_unref(m);
    assert_int_equal(x->calls, 0); /* never inside the call */
}

static void
test_publish_ack__duplicates_and_groups(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    tws *b = thub_open(&t, "b", NULL);
    const char *one[] = {"a"};
    struct answer x;
    publish(&t, one, 1, NULL, NULL, "p1", &x);
    assert_true(thub_wait_ge(&t, &x.calls, 1, 2000));
    assert_int_equal(x.a.online, 1);
    assert_int_equal(x.a.delivered, 1);
    assert_int_equal(x.a.duplicates, 0);
    /* Again while a has not ACKed: a duplicate, not queued again. */
    publish(&t, one, 1, NULL, NULL, "p1", &x);
    assert_true(thub_wait_ge(&t, &x.calls, 1, 2000));
    assert_int_equal(x.a.online, 0);
    assert_int_equal(x.a.duplicates, 1);
    assert_int_equal(x.a.failed, 0);
    assert_true(thub_wait_msgs(&t, a, 1, 2000));
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(a), 1);

    /* A group but b: a (live) and c (offline, stored) are accounted for. */
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "b"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "c"), WSC_OK);
    publish(&t, NULL, 0, "g", "b", "p2", &x);
    assert_true(thub_wait_ge(&t, &x.calls, 1, 2000));
    assert_int_equal(x.a.online, 1);
    assert_int_equal(x.a.stored, 1);
    assert_int_equal(x.a.failed, 0);
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(b), 0);
    /* An empty id in the list is refused. */
    const char *holed[] = {"a", ""};
    wsc_msg *m = text("p3");
    assert_int_equal(wsc_hub_publish_ack(t.hub, holed, 2, NULL, NULL, m, NULL, on_accepted, &x),
                     WSC_ERR_INVALID);
    wsc_msg_unref(m);
    thub_free(&t);
}

static void
test_publish_ack__hub_freed_with_a_store_write_out(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    const char *off[] = {"away"};
    struct answer x;
    publish(&t, off, 1, NULL, NULL, "f1", &x); /* the memory store answers next turn */
    thub_free(&t);
    assert_int_equal(x.calls, 1);
    assert_int_equal(x.a.stored, 0);
    assert_int_equal(x.a.failed, 1);
    assert_int_equal(x.a.error, WSC_ERR_CANCELED);
}

struct bres {
    size_t done, after;
    wsc_err status;
    size_t n;
    wsc_batch_state state[4];
    wsc_err error[4];
};

static void
b_after(wsc_batch *b, size_t index, const wsc_batch_result *r, void *user)
{
    (void)b;
    struct bres *x = user;
    x->after++;
    if (index < 4) {
        x->state[index] = r->state;
        x->error[index] = r->error;
    }
}

static void
b_done(wsc_err status, wsc_batch *b, const wsc_batch_result *results, size_t n, void *user)
{
    (void)b;
    (void)results;
    struct bres *x = user;
    x->done++;
    x->status = status;
    x->n = n;
}

static wsc_batch *
batch(thub *t, wsc_batch_mode mode, struct bres *x)
{
    wsc_batch_config bc;
    wsc_batch_config_init(&bc);
    bc.mode = mode;
    bc.timeout_ms = 0; /* no deadline */
    bc.after = b_after;
    bc.done = b_done;
    bc.user = x;
    wsc_batch *b = NULL;
    assert_int_equal(wsc_batch_new(&b, t->hub, &bc), WSC_OK);
    return b;
}

static void
test_publish_ack__batch_edges(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    struct bres x = {0};
    wsc_batch *b = batch(&t, WSC_BATCH_FIRE_AND_FORGET, &x);
    assert_int_equal(wsc_batch_run(b), WSC_OK);
    assert_int_equal(x.done, 0); /* never inside the run */
    assert_true(thub_wait_ge(&t, &x.done, 1, 2000));
    assert_int_equal(x.status, WSC_OK);
    assert_int_equal(x.n, 0);
    wsc_batch_free(b);

    /* ACK mode: a binary item cannot be sent with ACK; the text one goes on. */
    memset(&x, 0, sizeof(x));
    b = batch(&t, WSC_BATCH_ACK, &x);
    wsc_msg *bin = NULL, *m = text("b1");
    assert_int_equal(wsc_msg_new_binary(&bin, "\x01", 1), WSC_OK);
    assert_int_equal(wsc_batch_add(b, "a", bin, NULL), WSC_OK);
    assert_int_equal(wsc_batch_add(b, "a", m, NULL), WSC_OK);
    wsc_msg_unref(bin);
    wsc_msg_unref(m);
    assert_int_equal(wsc_batch_run(b), WSC_OK);
    assert_true(thub_wait_ge(&t, &x.after, 1, 2000));
    assert_int_equal(x.state[0], WSC_BATCH_FAILED);
    assert_int_equal(x.error[0], WSC_ERR_INVALID);
    json_t *j = thub_recv_type(&t, a, "text", 2000);
    assert_string_equal(tjson_str(j, "message_id"), "b1");
    json_decref(j);
    thub_send(a, "{\"message_type\":\"ack\",\"message_id\":\"b1\"}");
    assert_true(thub_wait_ge(&t, &x.done, 1, 2000));
    assert_int_equal(x.state[1], WSC_BATCH_ACKED);
    assert_int_equal(x.status, WSC_ERR_INVALID); /* the first failed item's */
    assert_int_equal(x.n, 2);
    wsc_batch_free(b);

    /* A stopping hub takes no batch. */
    wsc_hub_stop(t.hub);
    memset(&x, 0, sizeof(x));
    b = batch(&t, WSC_BATCH_FIRE_AND_FORGET, &x);
    m = text("b2");
    assert_int_equal(wsc_batch_add(b, "a", m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_int_equal(wsc_batch_run(b), WSC_ERR_STATE);
    wsc_batch_free(b);
    thub_run_for(&t, 30);
    assert_int_equal(x.done, 0);
    thub_free(&t);
}

struct other_thread {
    thub *t;
    wsc_batch *b;
    wsc_err new_err, add_err;
};

static void *
from_other_thread(void *arg)
{
    struct other_thread *o = arg;
    wsc_batch_config bc;
    wsc_batch_config_init(&bc);
    wsc_batch *b = (wsc_batch *)&b;
    o->new_err = wsc_batch_new(&b, o->t->hub, &bc);
    wsc_msg *m = text("o1");
    o->add_err = wsc_batch_add(o->b, "a", m, NULL);
    wsc_msg_unref(m);
    return NULL;
}

/* Off the loop thread a batch is neither made nor filled (WSC_ERR_STATE); out of memory at any
 * allocation of new and add answers WSC_ERR_NOMEM and the batch still works. */
static void
test_publish_ack__batch_threads_and_memory(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    struct bres x = {0};
    struct other_thread o = {.t = &t, .b = batch(&t, WSC_BATCH_FIRE_AND_FORGET, &x)};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, from_other_thread, &o), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(o.new_err, WSC_ERR_STATE);
    assert_int_equal(o.add_err, WSC_ERR_STATE);
    wsc_batch_free(o.b);

    wsc_batch_config bc;
    wsc_batch_config_init(&bc);
    bool fired = true;
    size_t failures = 0;
    for (long n = 1; fired && n < 200; n++) {
        wsc_batch *b = NULL;
        wsc_msg *m = text("nm");
        wsc__alloc_fail_nth(n);
        wsc_err e1 = wsc_batch_new(&b, t.hub, &bc), e2 = WSC_OK;
        for (int i = 0; e1 == WSC_OK && e2 == WSC_OK && i < 20; i++)
            e2 = wsc_batch_add(b, "u", m, NULL); /* grows its arrays */
        fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        if (e1 != WSC_OK || e2 != WSC_OK) {
            assert_int_equal(e1 != WSC_OK ? e1 : e2, WSC_ERR_NOMEM);
            failures++;
        }
        if (e1 == WSC_OK) /* what was added still runs */
            assert_int_equal(wsc_batch_run(b), WSC_OK);
        wsc_batch_free(b);
        wsc_msg_unref(m);
        thub_run_for(&t, 1);
    }
    assert_false(fired);
    assert_true(failures >= 3);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_publish_ack__duplicates_and_groups),
        cmocka_unit_test(test_publish_ack__hub_freed_with_a_store_write_out),
        cmocka_unit_test(test_publish_ack__batch_edges),
        cmocka_unit_test(test_publish_ack__batch_threads_and_memory),
    };
    return cmocka_run_group_tests_name("integration.hub_publish_ack", tests, NULL, NULL);
}
