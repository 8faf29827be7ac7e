/* SPDX-License-Identifier: MIT */
/* Out of memory on the representative flows (issue 15): for every N, the Nth allocation of the
 * library (models/alloc.h hook) from the start of the flow fails, until a run goes past every
 * allocation of the flow.  Each time: no crash, no leak (this test runs under ASan too), a clear
 * answer (an error code from the call, an error frame or a close code to the peer, the client's
 * connect-error callback), and afterwards the hub still serves.  Nothing accepted is lost: a
 * message the hub answered for (queued to a live connection, or confirmed stored) reaches its
 * receiver once the allocator behaves again.  Flows: connect (also with a tenant and groups
 * from on_auth: never connected without them), ACK send to a live receiver
 * (route, queue, write, ACK), ACK sends to a group, store for an offline receiver, replay on
 * connect, the client's reconnect; a client's own message through the router is
 * test_hub_stamp_nomem.c. */
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
#include "tpeer.h"

#define MAX_N 2000 /* far more allocations than any of these flows makes */

/* Arms the hook: the nth allocation from now fails. */
static void
arm(long n)
{
    wsc__alloc_fail_nth(n);
}

/* Disarms it; true when it fired (the flow reached its nth allocation). */
static bool
disarm(void)
{
    bool fired = !wsc__alloc_fail_armed();
    wsc__alloc_fail_nth(0);
    return fired;
}

/* The hub still serves: a new connection gets its connected frame. */
static void
probe(thub *t)
{
    tws *p = thub_open(t, "probe", NULL);
    twait_remove_ws(t->ts, p);
    tws_free(p);
}

static void
start(thub *t)
{
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    cfg.max_violations = 100000;
    cfg.ack.ack_timeout_ms = 100;
    cfg.ack.base_delay_ms = 20;
    cfg.ack.max_delay_ms = 50;
    cfg.ack.max_retries = 20;
    thub_start(t, &cfg);
}

/* connect: the handshake and the connected frame.  The peer ends connected or is refused or
 * closed with a code; never left hanging. */
static void
connect_flow(thub *t)
{
    size_t opened = 0, ended = 0;
    bool fired = true;
    long n;
    for (n = 1; fired && n < MAX_N; n++) {
        arm(n);
        tws *c = thub_ws(t, "/ws?user_id=u&client_id=c1", NULL);
        bool settled = thub_settle(t, c);
        bool connected = settled && tws_state(c) == TWS_OPEN &&
                         thub_recv_until(t, c, "connected", NULL, false, 500);
        fired = disarm();
        if (connected) {
            opened++;
        } else {
            /* Refused (HTTP status), or closed with a code the client can act on. */
            assert_true(thub_wait(t, tws_is_settled, c, 3000));
            tws_conn_state s = tws_state(c);
            if (s == TWS_OPEN) { /* upgraded, then the hub gave up on the session */
                assert_true(twait_until(t->ts, t->loop, tws_is_closed, c, 3000));
                s = tws_state(c);
            }
            assert_true(s == TWS_REFUSED || s == TWS_CLOSED);
            if (s == TWS_CLOSED)
                assert_true(tws_close_code(c) == 1011 || tws_close_code(c) == 1013 ||
                            tws_close_code(c) == TWS_CLOSE_ABNORMAL);
            ended++;
        }
        twait_remove_ws(t->ts, c);
        tws_free(c);
        thub_run_for(t, 5);
        probe(t);
    }
    print_message("connect: %ld allocations failed in turn: %zu connected, %zu refused/closed\n",
                  n - 1, opened, ended);
    assert_false(fired); /* went past every allocation of the flow */
    assert_true(ended >= 1);
}

static void
test_alloc__connect(void **state)
{
    (void)state;
    thub t;
    start(&t);
    connect_flow(&t);
    thub_free(&t);
}

/* An identity with a tenant and groups (on_auth): a connection that got in has them all; out
 * of memory copying them refuses it (it never gets in under the default tenant). */
static const char *const auth_groups[] = {"g1", "g2", NULL};

static void
auth_acme(wsc_hub *hub, const wsc_auth_request *req, wsc_auth_result *res, void *user)
{
    (void)hub;
    (void)user;
    snprintf(res->user_id, sizeof(res->user_id), "%s", req->user_id ? req->user_id : "anon");
    snprintf(res->app_id, sizeof(res->app_id), "acme");
    res->groups = auth_groups;
}

static void
connected_acme(wsc_hub *hub, wsc_conn *conn, void *user)
{
    (void)hub;
    const char *app = wsc_conn_app_id(conn);
    if (app == NULL || strcmp(app, "acme") != 0)
        *(bool *)((thub *)user)->ext = true; /* a connection without its tenant */
}

static void
test_alloc__connect_with_identity(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.on_auth = auth_acme;
    cfg.on_connect = connected_acme;
    bool untenanted = false;
    t.ext = &untenanted;
    thub_start(&t, &cfg);
    connect_flow(&t);
    assert_false(untenanted);
    thub_free(&t);
}

/* What wsc_hub_publish_ack answered. */
struct answer {
    bool done;
    size_t online, stored, failed;
    wsc_err error;
};

static void
on_accepted(const wsc_accepted *a, void *user)
{
    struct answer *x = user;
    x->done = true;
    x->online = a->online;
    x->stored = a->stored;
    x->failed = a->failed;
    x->error = a->error;
}

static bool
answered(void *arg)
{
    return ((struct answer *)arg)->done;
}

/* An ACK send to user as in the C API: the call refuses with WSC_ERR_NOMEM, or the answer says
 * what the hub took (the answer always comes).  True when the hub took it (online or stored);
 * a refusal names WSC_ERR_NOMEM. */
static bool
ack_send(thub *t, const char *user, const char *mid)
{
    wsc_msg *m = NULL;
    struct answer x = {0};
    bool ok = wsc_msg_new_text(&m, "text", "payload") == WSC_OK &&
              wsc_msg_set(m, WSC_F_MESSAGE_ID, mid) == WSC_OK;
    if (!ok) { /* the test's own message hit the hook */
        wsc_msg_unref(m);
        return false;
    }
    const char *users[] = {user};
    wsc_err err = wsc_hub_publish_ack(t->hub, users, 1, NULL, NULL, m, NULL, on_accepted, &x);
    wsc_msg_unref(m);
    if (err != WSC_OK) {
        assert_int_equal(err, WSC_ERR_NOMEM);
        return false;
    }
    assert_true(thub_wait(t, answered, &x, 3000));
    assert_int_equal(x.online + x.stored + x.failed, 1);
    if (x.failed == 1)
        assert_int_equal(x.error, WSC_ERR_NOMEM);
    return x.failed == 0;
}

/* route + ACK send: to a live receiver.  Taken means it arrives (resent until ACKed). */
static void
test_alloc__ack_send_to_live_receiver(void **state)
{
    (void)state;
    thub t;
    start(&t);
    tws *b = thub_open(&t, "b", NULL);
    size_t taken = 0, refused = 0;
    bool fired = true;
    long n;
    for (n = 1; fired && n < MAX_N; n++) {
        char mid[32];
        snprintf(mid, sizeof(mid), "live-%ld", n);
        arm(n);
        bool took = ack_send(&t, "b", mid);
        thub_run_for(&t, 20);
        fired = disarm();
        if (took) {
            taken++;
            assert_true(
                thub_recv_until(&t, b, "text", mid, true, 5000)); /* nothing taken is lost */
        } else {
            refused++;
        }
        if (tws_state(b) != TWS_OPEN) { /* a failure on b's session closed it: a new one */
            twait_remove_ws(t.ts, b);
            tws_free(b);
            b = thub_open(&t, "b", NULL);
        }
    }
    print_message("ack send: %ld allocations failed in turn: %zu taken, %zu refused\n", n - 1,
                  taken, refused);
    assert_false(fired);
    assert_true(refused >= 1);
    thub_free(&t);
}

/* store: to an offline receiver; "stored" means it is replayed when the receiver connects. */
static void
test_alloc__store_then_replay(void **state)
{
    (void)state;
    thub t;
    start(&t);
    size_t stored = 0, refused = 0;
    bool fired = true;
    long n;
    for (n = 1; fired && n < MAX_N; n++) {
        char mid[32];
        snprintf(mid, sizeof(mid), "off-%ld", n);
        arm(n);
        bool took = ack_send(&t, "c", mid);
        fired = disarm();
        if (!took) {
            refused++;
            continue;
        }
        stored++;
        tws *c = thub_open(&t, "c", NULL);
        assert_true(thub_recv_until(&t, c, "text", mid, true, 5000)); /* replayed */
        twait_remove_ws(t.ts, c);
        tws_free(c);
        thub_run_for(&t, 20);
    }
    print_message("store: %ld allocations failed in turn: %zu stored, %zu refused\n", n - 1, stored,
                  refused);
    assert_false(fired);
    assert_true(refused >= 1);
    thub_free(&t);
}

/* replay: a stored message, then the receiver connects while allocations fail.  The message is
 * replayed then, or on a later connect: never lost. */
static void
test_alloc__replay_on_connect(void **state)
{
    (void)state;
    thub t;
    start(&t);
    size_t first = 0, later = 0;
    bool fired = true;
    long n;
    for (n = 1; fired && n < MAX_N; n++) {
        char mid[32];
        snprintf(mid, sizeof(mid), "rep-%ld", n);
        assert_true(ack_send(&t, "d", mid));
        arm(n);
        tws *c = thub_ws(&t, "/ws?user_id=d", NULL);
        bool ok = thub_settle(&t, c) && tws_state(c) == TWS_OPEN &&
                  thub_recv_until(&t, c, "text", mid, true, 1000);
        fired = disarm();
        twait_remove_ws(t.ts, c);
        tws_free(c);
        thub_run_for(&t, 20);
        if (ok) {
            first++;
            continue;
        }
        later++;
        c = thub_open(&t, "d", NULL); /* the allocator behaves: the message comes now */
        assert_true(thub_recv_until(&t, c, "text", mid, true, 5000));
        twait_remove_ws(t.ts, c);
        tws_free(c);
        thub_run_for(&t, 20);
    }
    print_message("replay: %ld allocations failed in turn: %zu replayed at once, %zu later\n",
                  n - 1, first, later);
    assert_false(fired);
    assert_true(later >= 1);
    thub_free(&t);
}

/* Completions of wsc_hub_send_to_group_ack, over a whole sweep: (message_id, user) of each. */
#define DONES_MAX 4096
struct dones {
    size_t calls;
    bool twice; /* a (message_id, user) completed twice */
    char seen[DONES_MAX][40];
};

static void
on_group_done(wsc_err status, const wsc_delivery *d, void *user)
{
    (void)status;
    struct dones *x = user;
    char key[40];
    snprintf(key, sizeof(key), "%s/%s", d->message_id, d->user_id);
    for (size_t i = 0; i < x->calls && i < DONES_MAX; i++)
        x->twice |= strcmp(x->seen[i], key) == 0;
    if (x->calls < DONES_MAX)
        snprintf(x->seen[x->calls], sizeof(x->seen[0]), "%s", key);
    x->calls++;
}

/* Completions of message_id mid so far. */
static size_t
dones_of(const struct dones *x, const char *mid)
{
    size_t n = 0, len = strlen(mid);
    for (size_t i = 0; i < x->calls && i < DONES_MAX; i++)
        n += strncmp(x->seen[i], mid, len) == 0 && x->seen[i][len] == '/';
    return n;
}

struct dones_wait {
    const struct dones *x;
    const char *mid;
    size_t n;
};

static bool
dones_reached(void *arg)
{
    struct dones_wait *w = arg;
    return dones_of(w->x, w->mid) >= w->n;
}

/* b ACKs every text frame it has got (and those that come within 50 ms). */
static void
ack_all(thub *t, tws *b)
{
    while (tws_pending(b) > 0 || thub_wait_msgs(t, b, 1, 50)) {
        json_t *j = thub_recv(t, b, 100);
        const char *got = tjson_str(j, "message_id");
        if (strcmp(tjson_str(j, "message_type"), "text") == 0 && got != NULL) {
            char ackf[96];
            snprintf(ackf, sizeof(ackf), "{\"message_type\":\"ack\",\"message_id\":\"%s\"}", got);
            thub_send(b, ackf);
        }
        json_decref(j);
    }
}

/* ACK sends to a group (a live member b, an offline one): wsc_hub_publish_ack answers for both
 * members, wsc_hub_send_to_group_ack completes once per member, or the call refuses with
 * WSC_ERR_NOMEM.  No member ever completes twice; b ACKs what reached it. */
static void
test_alloc__ack_send_to_group(void **state)
{
    (void)state;
    thub t;
    start(&t);
    tws *b = thub_open(&t, "b", NULL);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "b"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "off"), WSC_OK);
    static struct dones d;
    memset(&d, 0, sizeof(d));
    for (int api = 0; api < 2; api++) {
        size_t refused = 0, taken = 0;
        bool fired = true;
        long n;
        for (n = 1; fired && n < MAX_N; n++) {
            char mid[32];
            snprintf(mid, sizeof(mid), "grp%d-%ld", api, n);
            wsc_msg *m = NULL;
            assert_int_equal(wsc_msg_new_text(&m, "text", "to the group"), WSC_OK);
            assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
            struct answer x = {0};
            arm(n);
            wsc_err err =
                api == 0
                    ? wsc_hub_publish_ack(t.hub, NULL, 0, "g", NULL, m, NULL, on_accepted, &x)
                    : wsc_hub_send_to_group_ack(t.hub, "g", m, NULL, NULL, on_group_done, &d, NULL);
            wsc_msg_unref(m);
            if (err == WSC_OK && api == 0)
                assert_true(thub_wait(&t, answered, &x, 3000));
            thub_run_for(&t, 20);
            fired = disarm();
            ack_all(&t, b);
            if (tws_state(b) != TWS_OPEN) {
                twait_remove_ws(t.ts, b);
                tws_free(b);
                b = thub_open(&t, "b", NULL);
            }
            if (err != WSC_OK) {
                assert_int_equal(err, WSC_ERR_NOMEM);
                refused++;
                continue;
            }
            taken++;
            if (api == 0) {
                assert_int_equal(x.online + x.stored + x.failed, 2);
                if (x.failed > 0)
                    assert_int_equal(x.error, WSC_ERR_NOMEM);
            } else {
                struct dones_wait w = {&d, mid, 2};
                assert_true(thub_wait(&t, dones_reached, &w, 3000)); /* once per member */
            }
        }
        print_message("group ack send (%s): %ld allocations failed in turn: %zu taken, %zu "
                      "refused\n",
                      api == 0 ? "publish_ack" : "send_to_group_ack", n - 1, taken, refused);
        assert_false(fired);
        assert_true(refused >= 1);
    }
    thub_run_for(&t, 300);
    assert_false(d.twice);
    thub_free(&t);
}

/* client reconnect: the hub drops the client's connection (1013: come back later) and the
 * allocations of the reconnect (client and hub side) fail in turn.  The client reports what
 * failed and comes back by itself; it never gives up for good. */
static void
test_alloc__client_reconnect(void **state)
{
    (void)state;
    thub t;
    start(&t);
    char url[128];
    snprintf(url, sizeof(url), "ws://127.0.0.1:%d/ws?user_id=cl&client_id=cl-1", t.port);
    tpeer p = {0};
    wsc_client_config cc;
    tpeer_config(&cc, url, &p);
    cc.loop = t.loop;
    cc.reconnect.min_delay_ms = 5;
    cc.reconnect.max_delay_ms = 20;
    wsc_client *c = NULL;
    assert_int_equal(wsc_client_new(&c, &cc), WSC_OK);
    assert_int_equal(wsc_client_connect(c), WSC_OK);
    assert_true(thub_wait_ge(&t, &p.connected, 1, 3000));
    size_t direct = 0, after_error = 0;
    bool fired = true;
    long n;
    for (n = 1; fired && n < MAX_N; n++) {
        size_t before = p.connected, errors = p.errors;
        assert_true(thub_wait_ge(&t, &t.connects, t.disconnects + 1, 3000));
        wsc_conn_id id = t.conn_ids[(t.connects - 1) % THUB_REC];
        arm(n);
        wsc_err err = wsc_hub_close_conn(t.hub, id, 1013, "come back later");
        bool back = err == WSC_OK && thub_wait_ge(&t, &p.connected, before + 1, 1000);
        fired = disarm();
        if (err != WSC_OK) { /* the close itself could not allocate: nothing happened */
            assert_int_equal(err, WSC_ERR_NOMEM);
            continue;
        }
        if (!back) { /* the allocator behaves again: it comes back now */
            assert_true(thub_wait_ge(&t, &p.connected, before + 1, 5000));
            after_error++;
        } else {
            direct++;
        }
        assert_int_equal(p.closes, 0); /* never closed for good */
        assert_int_not_equal(wsc_client_state_get(c), WSC_CLIENT_CLOSED);
        if (p.errors > errors)
            assert_int_not_equal(p.last_error, WSC_OK);
    }
    print_message("client reconnect: %ld allocations failed in turn: %zu back at once, %zu after "
                  "an error (%zu connect errors reported)\n",
                  n - 1, direct, after_error, p.errors);
    assert_false(fired);
    wsc_client_free(c);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alloc__connect),
        cmocka_unit_test(test_alloc__connect_with_identity),
        cmocka_unit_test(test_alloc__ack_send_to_live_receiver),
        cmocka_unit_test(test_alloc__ack_send_to_group),
        cmocka_unit_test(test_alloc__store_then_replay),
        cmocka_unit_test(test_alloc__replay_on_connect),
        cmocka_unit_test(test_alloc__client_reconnect),
    };
    return cmocka_run_group_tests_name("integration.alloc_failure", tests, NULL, NULL);
}
