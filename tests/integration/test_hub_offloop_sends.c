/* SPDX-License-Identifier: MIT */
/* Sends from a thread that is not the loop's (include/wsc/hub.h, wsc/reliability.h):
 * - group, broadcast, user-list, user and connection sends reach exactly the connections they
 *   name, in order; a user list with a hole is refused at the call;
 * - ACK sends whose refusal is only known on the loop report it through done, once:
 *   WSC_ERR_EXISTS (the same message_id already pending for that user), WSC_ERR_STATE (the
 *   hub is stopping) and WSC_ERR_CANCELED (the hub was freed before the loop ran the send). */
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
#include "tjson.h"

static wsc_msg *
text(const char *content, const char *mid)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    if (mid != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
    return m;
}

/* --- group, broadcast, user list */

struct plain_arg {
    wsc_hub *hub;
    wsc_conn_id conn_b;
    wsc_err err[6];
    size_t queued;
};

static void *
plain_sender(void *arg)
{
    struct plain_arg *a = arg;
    wsc_msg *g = text("G", NULL), *b = text("B", NULL), *u = text("U", NULL);
    wsc_msg *c = text("C", NULL), *d = text("D", NULL);
    const char *users[] = {"a", "c"}, *holed[] = {"a", NULL};
    a->err[0] = wsc_hub_send_to_group(a->hub, "g", g, NULL, NULL);
    a->err[1] = wsc_hub_broadcast(a->hub, b, NULL);
    a->err[2] = wsc_hub_send_to_users(a->hub, users, 2, u, NULL);
    a->err[3] = wsc_hub_send_to_conn(a->hub, a->conn_b, c);
    a->queued = 99;
    a->err[4] = wsc_hub_send_to_user(a->hub, "a", d, &a->queued); /* 0: not known off the loop */
    /* A hole in the list: refused at the call, nothing sent to anyone. */
    a->err[5] = wsc_hub_send_to_users(a->hub, holed, 2, u, NULL);
    wsc_msg_unref(g);
    wsc_msg_unref(b);
    wsc_msg_unref(u);
    wsc_msg_unref(c);
    wsc_msg_unref(d);
    return NULL;
}

/* The contents c got, in order, as one string ("GBU"); waits for want of them. */
static void
expect_contents(thub *t, tws *c, const char *want)
{
    size_t n = strlen(want);
    assert_true(thub_wait_msgs(t, c, n, 3000));
    thub_run_for(t, 100); /* and nothing more comes */
    char got[16] = "";
    size_t k = 0;
    int op;
    char *data;
    size_t len;
    while (tws_next(c, &op, &data, &len) && k + 1 < sizeof(got)) {
        json_t *j = tjson_parsen(data, len);
        free(data);
        const char *s = tjson_str(j, "content");
        got[k++] = s != NULL ? s[0] : '?';
        json_decref(j);
    }
    got[k] = '\0';
    assert_string_equal(got, want);
}

static void
test_offloop__group_broadcast_and_user_list(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL), *b = thub_open(&t, "b", NULL), *c = thub_open(&t, "c", NULL);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "b"), WSC_OK);
    struct plain_arg pa = {.hub = t.hub};
    size_t nb = 0;
    assert_int_equal(wsc_hub_user_conns(t.hub, "b", &pa.conn_b, 1, &nb), WSC_OK);
    assert_int_equal(nb, 1);
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, plain_sender, &pa), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    for (int i = 0; i < 5; i++)
        assert_int_equal(pa.err[i], WSC_OK);
    assert_int_equal(pa.queued, 0);
    assert_int_equal(pa.err[5], WSC_ERR_INVALID);
    expect_contents(&t, a, "GBUD");
    expect_contents(&t, b, "GBC");
    expect_contents(&t, c, "BU");
    thub_free(&t);
}

/* --- ACK sends refused on the loop */

struct done_rec {
    size_t calls;
    wsc_err status[4];
    wsc_delivery_outcome outcome[4];
};

static void
on_done(wsc_err status, const wsc_delivery *d, void *user)
{
    struct done_rec *r = user;
    if (r->calls < 4) {
        r->status[r->calls] = status;
        r->outcome[r->calls] = d->outcome;
    }
    r->calls++;
}

struct ack_arg {
    wsc_hub *hub;
    const char *mid;
    int sends;
    struct done_rec *rec;
    wsc_err err[2];
};

static void *
ack_sender(void *arg)
{
    struct ack_arg *a = arg;
    for (int i = 0; i < a->sends; i++) {
        wsc_msg *m = text("x", a->mid);
        a->err[i] = wsc_hub_send_to_user_ack(a->hub, "a", m, NULL, on_done, a->rec);
        wsc_msg_unref(m);
    }
    return NULL;
}

static void
run_sender(wsc_hub *hub, const char *mid, int sends, struct done_rec *rec)
{
    struct ack_arg aa = {hub, mid, sends, rec, {WSC_OK, WSC_OK}};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, ack_sender, &aa), 0);
    assert_int_equal(pthread_join(th, NULL), 0);
    for (int i = 0; i < sends; i++)
        assert_int_equal(aa.err[i], WSC_OK); /* handed over; the loop decides */
}

static void
test_offloop__ack_send_exists_reported_through_done(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    struct done_rec rec = {0};
    run_sender(t.hub, "dup-1", 2, &rec);
    /* The second is refused as soon as the loop runs it; the first waits for a's ACK. */
    assert_true(thub_wait_ge(&t, &rec.calls, 1, 3000));
    assert_int_equal(rec.status[0], WSC_ERR_EXISTS);
    assert_int_equal(rec.outcome[0], WSC_DELIVERY_FAILED);
    json_t *j = thub_recv_type(&t, a, "text", 3000);
    assert_string_equal(tjson_str(j, "message_id"), "dup-1");
    json_decref(j);
    thub_send(a, "{\"message_type\":\"ack\",\"message_id\":\"dup-1\"}");
    assert_true(thub_wait_ge(&t, &rec.calls, 2, 3000));
    assert_int_equal(rec.status[1], WSC_OK);
    assert_int_equal(rec.outcome[1], WSC_DELIVERY_ACKED);
    thub_run_for(&t, 50);
    assert_int_equal(rec.calls, 2); /* once each */
    thub_free(&t);
}

static void
test_offloop__ack_send_while_stopping_is_state(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    (void)a;
    wsc_hub_stop(t.hub);
    struct done_rec rec = {0};
    run_sender(t.hub, "late-1", 1, &rec);
    assert_true(thub_wait_ge(&t, &rec.calls, 1, 3000));
    assert_int_equal(rec.status[0], WSC_ERR_STATE);
    assert_int_equal(rec.outcome[0], WSC_DELIVERY_FAILED);
    thub_run_for(&t, 50);
    assert_int_equal(rec.calls, 1);
    thub_free(&t);
}

static void
test_offloop__ack_send_when_hub_freed_is_canceled(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    (void)a;
    struct done_rec rec = {0};
    run_sender(t.hub, "gone-1", 1, &rec); /* posted; the loop has not run it yet */
    assert_int_equal(rec.calls, 0);
    thub_free(&t); /* frees the hub first: the send is canceled, reported once */
    assert_int_equal(rec.calls, 1);
    assert_int_equal(rec.status[0], WSC_ERR_CANCELED);
    assert_int_equal(rec.outcome[0], WSC_DELIVERY_FAILED);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_offloop__group_broadcast_and_user_list),
        cmocka_unit_test(test_offloop__ack_send_exists_reported_through_done),
        cmocka_unit_test(test_offloop__ack_send_while_stopping_is_state),
        cmocka_unit_test(test_offloop__ack_send_when_hub_freed_is_canceled),
    };
    return cmocka_run_group_tests_name("integration.hub_offloop_sends", tests, NULL, NULL);
}
