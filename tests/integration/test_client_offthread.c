/* SPDX-License-Identifier: MIT */
/* Client sends from another thread (include/wsc/client.h: the send family may be called from
 * any thread) against a live hub:
 * - text, binary and message sends from a thread reach the hub in order, and on_sent reports
 *   each once with the id the call returned;
 * - a send from a thread to a client that is then freed before its loop runs is reported once
 *   through on_send_failed with WSC_ERR_CANCELED, and the loop's pending wake-up finds the
 *   client gone (no use after free: this runs under ASan too);
 * - a send from a thread to a client closed for good answers WSC_ERR_CLOSED. */
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

#include "thub.h"
#include "tpeer.h"

struct rec {
    size_t sent, failed;
    uint64_t sent_ids[8];
    wsc_err failed_reason;
};

static void
on_sent(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len, void *user)
{
    (void)c;
    (void)msg;
    (void)data;
    (void)len;
    struct rec *r = user;
    if (r->sent < 8)
        r->sent_ids[r->sent] = id;
    r->sent++;
}

static void
on_failed(wsc_client *c, uint64_t id, const wsc_msg *msg, const void *data, size_t len,
          wsc_err reason, void *user)
{
    (void)c;
    (void)id;
    (void)msg;
    (void)data;
    (void)len;
    struct rec *r = user;
    r->failed++;
    r->failed_reason = reason;
}

static size_t connected;

static void
on_connected(wsc_client *c, void *user)
{
    (void)c;
    (void)user;
    connected++;
}

static wsc_client *
client(thub *t, struct rec *r, bool connect)
{
    char url[96];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?user_id=cli", t->port);
    wsc_client_config cc;
    wsc_client_config_init(&cc);
    cc.url = url;
    cc.loop = t->loop;
    cc.log.level = WSC_LOG_ERROR;
    cc.on_sent = on_sent;
    cc.on_send_failed = on_failed;
    cc.on_connected = on_connected;
    cc.user = r;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cc), WSC_OK);
    if (connect) {
        connected = 0;
        assert_int_equal(wsc_client_connect(c), WSC_OK);
        assert_true(thub_wait_ge(t, &connected, 1, 3000));
    }
    return c;
}

struct job {
    wsc_client *c;
    wsc_err err[3];
    uint64_t ids[3];
};

static void *
sender(void *arg)
{
    struct job *j = arg;
    j->err[0] = wsc_client_send_text(j->c, "{\"content\":\"t1\"}", 16, &j->ids[0]);
    j->err[1] = wsc_client_send_binary(j->c, "\x01\x02", 2, &j->ids[1]);
    wsc_msg *m = NULL;
    if (wsc_msg_new_text(&m, "text", "t3") == WSC_OK)
        j->err[2] = wsc_client_send_msg(j->c, m, &j->ids[2]);
    wsc_msg_unref(m);
    return NULL;
}

static void
run_sender(struct job *j)
{
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender, j), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
}

static void
test_client_offthread__sends_arrive_in_order(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    struct rec r = {0};
    wsc_client *c = client(&t, &r, true);
    struct job j = {.c = c};
    run_sender(&j);
    for (int i = 0; i < 3; i++)
        assert_int_equal(j.err[i], WSC_OK);
    assert_true(thub_wait_ge(&t, &r.sent, 3, 3000));
    for (int i = 0; i < 3; i++)
        assert_int_equal(r.sent_ids[i], j.ids[i]);
    assert_true(thub_wait_ge(&t, &t.binaries, 1, 3000));
    assert_true(thub_wait_ge(&t, &t.messages, 2, 3000));
    assert_string_equal(t.last_text, "t3"); /* t1, then t3: in order */
    assert_int_equal(t.bin_len, 2);
    wsc_client_free(c);
    thub_free(&t);
}

static void
test_client_offthread__freed_before_the_loop_runs(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    struct rec r = {0};
    wsc_client *c = client(&t, &r, false);
    struct job j = {.c = c};
    run_sender(&j); /* queued, and a wake-up posted to the loop */
    for (int i = 0; i < 3; i++)
        assert_int_equal(j.err[i], WSC_OK);
    assert_int_equal(wsc_client_queue_count(c), 3);
    wsc_client_free(c);
    assert_int_equal(r.failed, 3);
    assert_int_equal(r.failed_reason, WSC_ERR_CANCELED);
    thub_run_for(&t, 30); /* the posted wake-up runs and finds the client gone */
    assert_int_equal(r.failed, 3);
    assert_int_equal(r.sent, 0);
    thub_free(&t);
}

static void
test_client_offthread__closed_client(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    struct rec r = {0};
    wsc_client *c = client(&t, &r, false);
    assert_int_equal(wsc_client_close(c, 1000, NULL), WSC_OK);
    struct job j = {.c = c};
    run_sender(&j);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(j.err[i], WSC_ERR_CLOSED);
        assert_int_equal(j.ids[i], 0);
    }
    thub_run_for(&t, 30);
    assert_int_equal(r.failed, 0); /* nothing was queued */
    wsc_client_free(c);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_client_offthread__sends_arrive_in_order),
        cmocka_unit_test(test_client_offthread__freed_before_the_loop_runs),
        cmocka_unit_test(test_client_offthread__closed_client),
    };
    return cmocka_run_group_tests_name("integration.client_offthread", tests, NULL, NULL);
}
