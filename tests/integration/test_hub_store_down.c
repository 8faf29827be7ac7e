/* SPDX-License-Identifier: MIT */
/* A hub whose store never answers (docs/reliability.md, docs/storage.md): a Redis store on a
 * closed port of 127.0.0.1, so every op fails with WSC_ERR_STORE after the command timeout
 * (no Redis server needed).  What must hold:
 * - the health probe marks the store down: /readyz answers 503 with Retry-After, /healthz 200;
 *   with the probe off (store_check_ms 0) /readyz stays 200;
 * - an ACK send to an offline user is answered failed with the store's error, never stored;
 * - a durable send to a live user is answered `delivered` only once the receiver ACKs (its copy
 *   could not be written), also when the ACK comes while that write is out; without an ACK
 *   and with no retry left it is answered failed (neither confirmed nor stored);
 * - a message delivered but never ACKed cannot be stored: the hub keeps it and retries the store
 *   (store_retries grows) instead of dropping it, and the receiver's late ACK still settles it;
 * - live delivery is not affected;
 * - a client's require_ack message to an offline user is answered rejected /
 *   store_unavailable, and its resend is handled anew. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "thub.h"
#include "tjson.h"

/* A port of 127.0.0.1 nothing listens on (bound, then closed). */
static int
closed_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    close(fd);
    return ntohs(sa.sin_port);
}

struct fx {
    thub t;
    wsc_store *store;
};

/* store_check_ms: how often the hub pings the store (0: never). */
static void
start_checked(struct fx *f, bool durable, uint64_t ack_timeout_ms, unsigned store_check_ms)
{
    wsc_hub_config cfg;
    thub_config(&f->t, &cfg);
    wsc_store_config sc;
    wsc_store_config_init(&sc);
    sc.command_timeout_ms = 100;
    sc.reconnect_min_ms = 50;
    sc.reconnect_max_ms = 100;
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%d", closed_port());
    assert_int_equal(wsc_store_open(f->t.loop, url, &sc, &f->store), WSC_OK);
    cfg.store = f->store;
    cfg.store_check_ms = store_check_ms;
    cfg.log.level = WSC_LOG_OFF; /* store_down, store_retry, durable_copy_failed: expected */
    cfg.ack.ack_timeout_ms = ack_timeout_ms;
    cfg.ack.max_retries = 0;
    cfg.ack.base_delay_ms = 20;
    cfg.ack.max_delay_ms = 40;
    cfg.ack.durable = durable;
    thub_start(&f->t, &cfg);
}

static void
start(struct fx *f, bool durable, uint64_t ack_timeout_ms)
{
    start_checked(f, durable, ack_timeout_ms, 50);
}

static void
stop(struct fx *f)
{
    wsc_hub_free(f->t.hub);
    f->t.hub = NULL;
    wsc_store_close(f->store);
    thub_free(&f->t);
}

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
    x->a.message_id = NULL;
}

static void
publish(struct fx *f, const char *user, const char *mid, struct answer *x)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "x"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
    const char *users[] = {user};
    memset(x, 0, sizeof(*x));
    assert_int_equal(wsc_hub_publish_ack(f->t.hub, users, 1, NULL, NULL, m, NULL, on_accepted, x),
                     WSC_OK);
    wsc_msg_unref(m);
}

static thttp *
get(thub *t, const char *path)
{
    thttp *h = thttp_request(t->port, "GET", path, NULL, NULL, 0);
    assert_non_null(h);
    assert_int_equal(twait_add_http(t->ts, h), 0);
    assert_true(thub_wait(t, thttp_is_done, h, 3000));
    return h;
}

struct ready_probe {
    thub *t;
    int status;
};

static bool
readyz_is_503(void *arg)
{
    struct ready_probe *p = arg;
    thttp *h = get(p->t, "/readyz");
    p->status = thttp_status(h);
    twait_remove_http(p->t->ts, h);
    thttp_free(h);
    return p->status == 503;
}

static void
test_store_down__readyz_and_offline_sends_fail(void **state)
{
    (void)state;
    struct fx f;
    start(&f, false, 100);
    struct ready_probe p = {&f.t, 0};
    assert_true(thub_wait(&f.t, readyz_is_503, &p, 3000));
    thttp *h = get(&f.t, "/readyz");
    assert_int_equal(thttp_status(h), 503);
    assert_non_null(thttp_header(h, "retry-after"));
    h = get(&f.t, "/healthz");
    assert_int_equal(thttp_status(h), 200); /* alive, just not ready */

    struct answer x;
    publish(&f, "away", "s1", &x);
    assert_true(thub_wait_ge(&f.t, &x.calls, 1, 3000));
    assert_int_equal(x.a.stored, 0);
    assert_int_equal(x.a.failed, 1);
    assert_true(x.a.error == WSC_ERR_STORE || x.a.error == WSC_ERR_TIMEOUT);

    /* Live delivery does not need the store. */
    tws *a = thub_open(&f.t, "a", NULL);
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "live"), WSC_OK);
    size_t q = 0;
    assert_int_equal(wsc_hub_send_to_user(f.t.hub, "a", m, &q), WSC_OK);
    assert_int_equal(q, 1);
    wsc_msg_unref(m);
    json_t *j = thub_recv_type(&f.t, a, "text", 2000);
    assert_string_equal(tjson_str(j, "content"), "live");
    json_decref(j);
    stop(&f);
}

/* With the health check off (store_check_ms 0) nothing pings the store: /readyz keeps saying
 * ready, while the store's failures still show in what it answers (an offline send fails). */
static void
test_store_down__without_the_check_readyz_stays_ready(void **state)
{
    (void)state;
    struct fx f;
    start_checked(&f, false, 100, 0);
    struct answer x;
    publish(&f, "away", "s2", &x); /* the store's command times out: more than a check period */
    assert_true(thub_wait_ge(&f.t, &x.calls, 1, 3000));
    assert_int_equal(x.a.failed, 1);
    thub_run_for(&f.t, 300); /* a checking hub would have seen it down by now (50 + 100 ms) */
    thttp *h = get(&f.t, "/readyz");
    assert_int_equal(thttp_status(h), 200);
    stop(&f);
}

static void
test_store_down__durable_send_answers_at_the_ack(void **state)
{
    (void)state;
    struct fx f;
    start(&f, true, 2000); /* the ACK comes well before any timeout */
    tws *a = thub_open(&f.t, "a", NULL);
    struct answer x;
    publish(&f, "a", "d1", &x);
    json_t *j = thub_recv_type(&f.t, a, "text", 2000);
    assert_string_equal(tjson_str(j, "message_id"), "d1");
    json_decref(j);
    thub_run_for(&f.t, 50);       /* less than the ack timeout; the copy's write has failed */
    assert_int_equal(x.calls, 0); /* not "delivered" on a copy that was never written */
    thub_send(a, "{\"message_type\":\"ack\",\"message_id\":\"d1\"}");
    assert_true(thub_wait_ge(&f.t, &x.calls, 1, 3000));
    assert_int_equal(x.a.online, 1);
    assert_int_equal(x.a.failed, 0);
    stop(&f);
}

/* Durable: the receiver ACKs while the copy's write is still out (it fails later): the answer
 * is `delivered` at the ACK's word, once the write is over. */
static void
test_store_down__durable_ack_while_the_copy_is_written(void **state)
{
    (void)state;
    struct fx f;
    start(&f, true, 2000);
    tws *a = thub_open(&f.t, "a", NULL);
    struct answer x;
    publish(&f, "a", "d2", &x);
    json_t *j = thub_recv_type(&f.t, a, "text", 2000);
    assert_string_equal(tjson_str(j, "message_id"), "d2");
    json_decref(j);
    thub_send(a, "{\"message_type\":\"ack\",\"message_id\":\"d2\"}"); /* before the write fails */
    assert_true(thub_wait_ge(&f.t, &x.calls, 1, 3000));
    assert_int_equal(x.a.online, 1);
    assert_int_equal(x.a.failed, 0);
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(f.t.hub, &st);
    assert_int_equal(st.acked, 1);
    assert_int_equal(st.pending, 0);
    stop(&f);
}

/* Durable, no ACK and no retry: the receiver's time runs out while the copy's write is out,
 * and that write fails: the message could neither be confirmed nor stored, the answer says
 * failed with the store's error (never `delivered`, never `stored`). */
static void
test_store_down__durable_unacked_with_no_copy_fails(void **state)
{
    (void)state;
    struct fx f;
    start(&f, true, 20); /* times out before the write's 100 ms */
    tws *a = thub_open(&f.t, "a", NULL);
    struct answer x;
    publish(&f, "a", "d3", &x);
    json_t *j = thub_recv_type(&f.t, a, "text", 2000);
    assert_string_equal(tjson_str(j, "message_id"), "d3");
    json_decref(j);
    assert_true(thub_wait_ge(&f.t, &x.calls, 1, 3000));
    assert_int_equal(x.a.failed, 1);
    assert_int_equal(x.a.online, 0);
    assert_int_equal(x.a.stored, 0);
    assert_true(x.a.error == WSC_ERR_STORE || x.a.error == WSC_ERR_TIMEOUT);
    stop(&f);
}

static bool
store_retried(void *arg)
{
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(((struct fx *)arg)->t.hub, &st);
    return st.store_retries >= 2;
}

static void
test_store_down__unacked_message_is_kept_and_retried(void **state)
{
    (void)state;
    struct fx f;
    start(&f, false, 100);
    tws *a = thub_open(&f.t, "a", NULL);
    struct answer x;
    publish(&f, "a", "k1", &x);
    assert_true(thub_wait_ge(&f.t, &x.calls, 1, 2000));
    assert_int_equal(x.a.online, 1); /* taken: queued to a live connection */
    json_t *j = thub_recv_type(&f.t, a, "text", 2000);
    json_decref(j);
    /* No ACK: after the timeout the store is tried, fails, and is tried again. */
    assert_true(thub_wait(&f.t, store_retried, &f, 5000));
    wsc_reliability_stats st;
    wsc_hub_get_reliability_stats(f.t.hub, &st);
    assert_int_equal(st.pending, 1); /* kept, not dropped */
    assert_int_equal(st.failed, 0);
    /* The late ACK settles it. */
    thub_send(a, "{\"message_type\":\"ack\",\"message_id\":\"k1\"}");
    for (int i = 0; i < 300 && st.pending != 0; i++) {
        thub_run_for(&f.t, 10);
        wsc_hub_get_reliability_stats(f.t.hub, &st);
    }
    assert_int_equal(st.pending, 0);
    assert_int_equal(st.acked, 1);
    stop(&f);
}

/* The next ack frame of c for mid; its data.status and data.error into st/er. */
static void
receipt(thub *t, tws *c, const char *mid, char *st, char *er)
{
    for (int i = 0; i < 10; i++) {
        json_t *j = thub_recv(t, c, 3000);
        assert_non_null(j);
        if (strcmp(tjson_str(j, "message_type"), "ack") == 0 &&
            strcmp(tjson_str(j, "message_id"), mid) == 0) {
            snprintf(st, 32, "%s", tjson_str(j, "data.status"));
            const char *e = tjson_str(j, "data.error");
            snprintf(er, 32, "%s", e ? e : "");
            json_decref(j);
            return;
        }
        json_decref(j);
    }
    fail_msg("no receipt for %s", mid);
}

/* A client's require_ack message to an offline user cannot be stored: the receipt is rejected
 * with store_unavailable, a refusal a resend may overcome, so the resend is handled anew (and
 * refused again while the store is down) rather than answered from the window. */
static void
test_store_down__client_receipt_store_unavailable(void **state)
{
    (void)state;
    struct fx f;
    start(&f, false, 100);
    tws *a = thub_open(&f.t, "a", NULL);
    static const char msg[] = "{\"message_type\":\"text\",\"receiver\":\"away\","
                              "\"message_id\":\"c1\",\"require_ack\":true,\"content\":\"x\"}";
    char st[32], er[32];
    thub_send(a, msg);
    receipt(&f.t, a, "c1", st, er);
    assert_string_equal(st, "rejected");
    assert_string_equal(er, "store_unavailable");
    wsc_reliability_stats before, after;
    wsc_hub_get_reliability_stats(f.t.hub, &before);
    thub_send(a, msg);
    receipt(&f.t, a, "c1", st, er);
    assert_string_equal(st, "rejected");
    assert_string_equal(er, "store_unavailable");
    wsc_hub_get_reliability_stats(f.t.hub, &after);
    assert_int_equal(after.duplicates, before.duplicates); /* not a duplicate: handled anew */
    stop(&f);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_store_down__readyz_and_offline_sends_fail),
        cmocka_unit_test(test_store_down__without_the_check_readyz_stays_ready),
        cmocka_unit_test(test_store_down__durable_send_answers_at_the_ack),
        cmocka_unit_test(test_store_down__durable_ack_while_the_copy_is_written),
        cmocka_unit_test(test_store_down__durable_unacked_with_no_copy_fails),
        cmocka_unit_test(test_store_down__unacked_message_is_kept_and_retried),
        cmocka_unit_test(test_store_down__client_receipt_store_unavailable),
    };
    return cmocka_run_group_tests_name("integration.hub_store_down", tests, NULL, NULL);
}
