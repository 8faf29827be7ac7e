/* SPDX-License-Identifier: MIT */
/* ACK sends to lists and groups from a thread that is not the loop's (include/wsc/reliability.h),
 * beyond test_hub_offloop_sends.c:
 * - a group send but one member reaches the others with the caller's options, and done runs once
 *   per member at its outcome (ACKED for the live one, STORED for the offline one);
 * - a user-list send with options: done once per user;
 * - a group send handed over while the hub is stopping fails each member through done with
 *   WSC_ERR_STATE;
 * - out of memory at any allocation of the hand-over answers WSC_ERR_NOMEM at the call and done
 *   never runs for it; every send that was accepted completes once per member;
 * - out of memory on the loop when the hand-over runs: one completion per member at most. */
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
#include "tjson.h"

struct rec {
    size_t calls, acked, stored, failed;
    wsc_err last_error;
    char users[16][16];
};

static void
on_done(wsc_err status, const wsc_delivery *d, void *user)
{
    struct rec *r = user;
    if (r->calls < 16)
        snprintf(r->users[r->calls], sizeof(r->users[0]), "%s", d->user_id);
    r->calls++;
    if (d->outcome == WSC_DELIVERY_ACKED)
        r->acked++;
    else if (d->outcome == WSC_DELIVERY_STORED)
        r->stored++;
    else
        r->failed++;
    r->last_error = status;
}

struct job {
    wsc_hub *hub;
    int kind; /* 0: group "g" but "b"; 1: users a, c */
    const char *mid;
    long fail_nth; /* > 0: the nth allocation of the call fails */
    struct rec *rec;
    wsc_err err;
    bool fired;
};

static void *
sender(void *arg)
{
    struct job *j = arg;
    wsc_msg *m = NULL;
    if (wsc_msg_new_text(&m, "text", "off") != WSC_OK ||
        wsc_msg_set(m, WSC_F_MESSAGE_ID, j->mid) != WSC_OK) {
        j->err = WSC_ERR_INTERNAL;
        wsc_msg_unref(m);
        return NULL;
    }
    wsc_ack_opts opts;
    wsc_ack_opts_init(&opts);
    opts.ack_timeout_ms = 5000;
    opts.max_retries = 0;
    const char *users[] = {"a", "c"};
    if (j->fail_nth > 0)
        wsc__alloc_fail_nth(j->fail_nth);
    size_t started = 99;
    if (j->kind == 0)
        j->err = wsc_hub_send_to_group_ack(j->hub, "g", m, "b", &opts, on_done, j->rec, &started);
    else
        j->err = wsc_hub_send_to_users_ack(j->hub, users, 2, m, &opts, on_done, j->rec, &started);
    if (j->fail_nth > 0) {
        j->fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
    }
    if (started != 0) /* not known off the loop */
        j->err = WSC_ERR_INTERNAL;
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
ack(tws *c, const char *mid)
{
    char buf[96];
    snprintf(buf, sizeof(buf), "{\"message_type\":\"ack\",\"message_id\":\"%s\"}", mid);
    thub_send(c, buf);
}

static void
test_offloop_ack__group_but_one_and_user_list(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    tws *b = thub_open(&t, "b", NULL);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "b"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "c"), WSC_OK); /* offline */
    struct rec rec = {0};
    struct job j = {.hub = t.hub, .kind = 0, .mid = "og1", .rec = &rec};
    assert_int_equal(run_sender(&j), WSC_OK);
    json_t *m = thub_recv_type(&t, a, "text", 2000);
    assert_string_equal(tjson_str(m, "message_id"), "og1");
    json_decref(m);
    ack(a, "og1");
    assert_true(thub_wait_ge(&t, &rec.calls, 2, 3000));
    assert_int_equal(rec.acked, 1);
    assert_int_equal(rec.stored, 1);
    thub_run_for(&t, 50);
    assert_int_equal(rec.calls, 2);
    assert_int_equal(tws_pending(b), 0); /* excluded */

    memset(&rec, 0, sizeof(rec));
    j = (struct job){.hub = t.hub, .kind = 1, .mid = "ou1", .rec = &rec};
    assert_int_equal(run_sender(&j), WSC_OK);
    m = thub_recv_type(&t, a, "text", 2000);
    assert_string_equal(tjson_str(m, "message_id"), "ou1");
    json_decref(m);
    ack(a, "ou1");
    assert_true(thub_wait_ge(&t, &rec.calls, 2, 3000));
    assert_int_equal(rec.acked, 1);
    assert_int_equal(rec.stored, 1);
    thub_free(&t);
}

static void
test_offloop_ack__group_send_while_stopping(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    (void)a;
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "c"), WSC_OK);
    wsc_hub_stop(t.hub);
    struct rec rec = {0};
    struct job j = {.hub = t.hub, .kind = 0, .mid = "os1", .rec = &rec};
    assert_int_equal(run_sender(&j), WSC_OK);
    assert_true(thub_wait_ge(&t, &rec.calls, 2, 3000));
    assert_int_equal(rec.failed, 2);
    assert_int_equal(rec.last_error, WSC_ERR_STATE);
    thub_run_for(&t, 50);
    assert_int_equal(rec.calls, 2);
    thub_free(&t);
}

static void
test_offloop_ack__out_of_memory_in_the_hand_over(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    /* Every receiver offline (x, y of g; a, c of the list): each accepted send ends STORED
     * for both of its receivers. */
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "x"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "y"), WSC_OK);
    struct rec rec = {0};
    size_t accepted = 0, refused = 0;
    bool fired = true;
    for (long n = 1; fired && n < 200; n++) {
        char mid[32];
        snprintf(mid, sizeof(mid), "nm%ld", n);
        struct job j = {.hub = t.hub, .kind = (int)(n % 2), .mid = mid, .fail_nth = n, .rec = &rec};
        wsc_err err = run_sender(&j);
        fired = j.fired;
        if (err == WSC_OK) {
            accepted++;
        } else {
            assert_true(fired);
            assert_int_equal(err, WSC_ERR_NOMEM);
            refused++;
        }
        /* The loop runs the accepted ones (the hook is spent by then): two completions each. */
        assert_true(thub_wait_ge(&t, &rec.calls, 2 * accepted, 3000));
    }
    assert_false(fired);
    assert_true(refused >= 3);
    thub_run_for(&t, 50);
    assert_int_equal(rec.calls, 2 * accepted);
    assert_int_equal(rec.failed, 0);
    thub_free(&t);
}

/* Out of memory on the loop, when a send handed over from another thread runs there (the
 * members of the group, the message, the tracking): each receiver's completion says STORED, or
 * FAILED; a group whose member list could not be made has no receiver to
 * report to.  Never a crash or a leak, never two completions for one receiver. */
static void
test_offloop_ack__out_of_memory_when_the_loop_runs_it(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "x"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "y"), WSC_OK);
    for (int kind = 0; kind < 2; kind++) {
        struct rec rec = {0};
        size_t nomem = 0, silent = 0;
        bool fired = true;
        for (long n = 1; fired && n < 300; n++) {
            char mid[32];
            snprintf(mid, sizeof(mid), "lp%d-%ld", kind, n);
            struct job j = {.hub = t.hub, .kind = kind, .mid = mid, .rec = &rec};
            size_t before = rec.calls, failed = rec.failed;
            assert_int_equal(run_sender(&j), WSC_OK);
            wsc__alloc_fail_nth(n);
            bool two = thub_wait_ge(&t, &rec.calls, before + 2, 300);
            fired = !wsc__alloc_fail_armed();
            wsc__alloc_fail_nth(0);
            if (!two) {
                thub_run_for(&t, 20);
                assert_int_equal(rec.calls, before); /* all or nothing */
                assert_int_equal(kind, 0);           /* only a group's member list */
                assert_true(fired);
                silent++;
                continue;
            }
            thub_run_for(&t, 20);
            assert_int_equal(rec.calls, before + 2);
            if (rec.failed > failed) { /* only an allocation failure refuses here */
                assert_true(fired);
                nomem++;
            }
        }
        print_message("kind %d: %zu sends with a NOMEM completion, %zu without receivers\n", kind,
                      nomem, silent);
        assert_false(fired);
        assert_true(nomem >= 1);
    }
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offloop_ack__group_but_one_and_user_list),
        cmocka_unit_test(test_offloop_ack__group_send_while_stopping),
        cmocka_unit_test(test_offloop_ack__out_of_memory_in_the_hand_over),
        cmocka_unit_test(test_offloop_ack__out_of_memory_when_the_loop_runs_it),
    };
    return cmocka_run_group_tests_name("integration.hub_offloop_ack", tests, NULL, NULL);
}
