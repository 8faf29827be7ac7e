/* SPDX-License-Identifier: MIT */
/* Three wsc-hub processes on one real Redis are one hub (PROTOCOL.md §8; label redis, skipped
 * without WSC_TEST_REDIS_URL and WSC_HUB_BIN).  Clients connect to different nodes, as behind
 * a load balancer, and each check is made from outside: WebSocket clients and HTTP API calls.
 * Ids carry the test's pid so that runs on the same Redis never meet.  Nothing sleeps: every
 * wait is for a condition, with a deadline; "nothing more arrives" checks pump for a while. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "middleware/auth_jwt.h"
#include "models/alloc.h"
#include "thttp.h"
#include "thubproc.h"
#include "tjson.h"
#include "tstore.h"
#include "twait.h"
#include "tws.h"

#define NODES   3
#define SECRET  "cluster-test-secret"
#define WAIT_MS 15000

typedef struct fx {
    thubproc node[NODES];
    char id[NODES][48];
    twait_set *ts;
} fx;

static char tag[32]; /* "p<pid>": in every id of this run */
/* A database of its own: the node registry (hub stats) is per database, and wsc-hub
 * processes of other tests (--redis) are cluster nodes too. */
#define CLUSTER_DB 5
static char redis_url[512];
static bool on_cluster; /* on the Redis Cluster of WSC_TEST_REDIS_CLUSTER_URL */

static void
name(char *out, size_t cap, const char *what)
{
    snprintf(out, cap, "%s-%s", tag, what);
}

static int
node_start(fx *f, int i)
{
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->node[i].port);
    const char *args[] = {"--listen",
                          listen,
                          "--node-id",
                          f->id[i],
                          "--redis",
                          redis_url,
                          "--insecure-user-id",
                          "--insecure-api",
                          "--jwt-secret",
                          SECRET,
                          "--ack-timeout-ms",
                          "1000",
                          "--cluster-timeout-ms",
                          "2000",
                          NULL};
    return thubproc_start(&f->node[i], f->node[i].port, args, WAIT_MS);
}

/* An HTTP call to node i, answered within the deadline; the body parsed (json_decref). */
static json_t *
http(fx *f, int i, const char *method, const char *path, const char *body, int *status)
{
    const char *hdrs[] = {"Content-Type: application/json", NULL};
    thttp *h = thttp_request(f->node[i].port, method, path, hdrs, body, body ? strlen(body) : 0);
    assert_non_null(h);
    assert_int_equal(twait_add_http(f->ts, h), 0);
    assert_true(twait_until(f->ts, NULL, thttp_is_done, h, WAIT_MS));
    assert_false(thttp_failed(h));
    *status = thttp_status(h);
    json_t *j = tjson_parse(thttp_body(h));
    twait_remove_http(f->ts, h);
    thttp_free(h);
    return j;
}

static long long
http_int(fx *f, int i, const char *method, const char *path, const char *body, const char *key)
{
    int status = 0;
    json_t *j = http(f, i, method, path, body, &status);
    long long v = status == 200 ? tjson_int(j, key, -1) : -1;
    json_decref(j);
    return v;
}

struct stat_wait {
    fx *f;
    int node;
    const char *path, *key;
    long long want;
};

static bool
stat_is(void *arg)
{
    struct stat_wait *w = arg;
    return http_int(w->f, w->node, "GET", w->path, NULL, w->key) == w->want;
}

/* Waits until GET path on node answers key == want. */
static bool
until_stat(fx *f, int node, const char *path, const char *key, long long want, int ms)
{
    struct stat_wait w = {f, node, path, key, want};
    return twait_until(NULL, NULL, stat_is, &w, ms);
}

/* Log lines of node i with event and "user" == user. */
static size_t
user_events(fx *f, int i, const char *event, const char *user)
{
    FILE *fp = fopen(f->node[i].log, "r");
    size_t n = 0;
    char line[4096];
    while (fp != NULL && fgets(line, sizeof(line), fp) != NULL) {
        json_t *j = tjson_parse(line);
        const char *e = j ? tjson_str(j, "event") : NULL, *u = j ? tjson_str(j, "user") : NULL;
        n += e != NULL && u != NULL && strcmp(e, event) == 0 && strcmp(u, user) == 0;
        json_decref(j);
    }
    if (fp != NULL)
        fclose(fp);
    return n;
}

struct user_event_wait {
    fx *f;
    int node;
    const char *event, *user;
};

static bool
user_event_seen(void *arg)
{
    struct user_event_wait *w = arg;
    return user_events(w->f, w->node, w->event, w->user) > 0;
}

/* A client of user on node i, open and past its "connected" frame. */
static tws *
client(fx *f, int i, const char *user)
{
    char path[160];
    snprintf(path, sizeof(path), "/ws?user_id=%s", user);
    tws *c = tws_connect(f->node[i].port, path, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(f->ts, c), 0);
    twait_count cnt = {c, 1};
    assert_true(twait_until(f->ts, NULL, twait_has_messages, &cnt, WAIT_MS));
    json_t *j = NULL;
    char *data = NULL;
    assert_true(tws_next(c, NULL, &data, NULL));
    j = tjson_parse(data);
    assert_string_equal(tjson_str(j, "message_type"), "connected");
    json_decref(j);
    free(data);
    return c;
}

static void send_frame(tws *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
send_frame(tws *c, const char *fmt, ...)
{
    char frame[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(frame, sizeof(frame), fmt, ap);
    va_end(ap);
    assert_int_equal(tws_send_text(c, frame, strlen(frame)), 0);
}

/* A client of user in app (the `aid` claim of its token) on node i, past "connected". */
static tws *
app_client(fx *f, int i, const char *app, const char *user)
{
    char claims[256], path[1024];
    snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"aid\":\"%s\",\"exp\":4000000000}", user,
             app);
    char *tok = NULL;
    assert_int_equal(wsc__jwt_sign_hs256(SECRET, claims, &tok), WSC_OK);
    snprintf(path, sizeof(path), "/ws?token=%s", tok);
    wsc__free(tok);
    tws *c = tws_connect(f->node[i].port, path, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(f->ts, c), 0);
    twait_count cnt = {c, 1};
    if (!twait_until(f->ts, NULL, twait_has_messages, &cnt, WAIT_MS))
        fail_msg("%s of %s on node %d: %s, HTTP %d %s", user, app, i + 1,
                 tws_state_name(tws_state(c)), tws_http_status(c), tws_http_body(c));
    char *data = NULL;
    assert_true(tws_next(c, NULL, &data, NULL));
    assert_non_null(strstr(data, "\"connected\""));
    free(data);
    return c;
}

/* The next message of c (within the deadline), parsed. */
static json_t *
next(fx *f, tws *c)
{
    twait_count cnt = {c, 1};
    if (!twait_until(f->ts, NULL, twait_has_messages, &cnt, WAIT_MS))
        return NULL;
    char *data = NULL;
    tws_next(c, NULL, &data, NULL);
    json_t *j = tjson_parse(data);
    free(data);
    return j;
}

static void
expect_content(fx *f, tws *c, const char *content)
{
    json_t *j = next(f, c);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "content"), content);
    json_decref(j);
}

static void
drop(fx *f, tws *c)
{
    twait_remove_ws(f->ts, c);
    tws_free(c);
}

static int
setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->ts = twait_set_new();
    for (int i = 0; i < NODES; i++) {
        snprintf(f->id[i], sizeof(f->id[i]), "%s-n%d", tag, i + 1);
        f->node[i].port = thubproc_free_port();
        assert_int_equal(node_start(f, i), 0);
    }
    /* Every node sees the other two (their first heartbeat is written as they join). */
    for (int i = 0; i < NODES; i++)
        assert_true(until_stat(f, i, "/api/stats", "nodes", NODES, WAIT_MS));
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx *f = *state;
    if (f == NULL)
        return 0;
    /* Every node stops cleanly: exit 0 (under ASan: no leak, no error report). */
    int rc = 0;
    for (int i = 0; i < NODES; i++) {
        int st = thubproc_stop(&f->node[i], 10000);
        if (st != 0) {
            fprintf(stderr, "node %d exited with %d\n", i + 1, st);
            rc = -1;
        }
    }
    twait_set_free_all(f->ts);
    free(f);
    return rc;
}

/* A message from a client on node 1 reaches its receiver on node 2 exactly once; a receiver
 * with no connection anywhere is refused (unknown_receiver) once every node has answered. */
static void
test_p2p_across_nodes(void **state)
{
    fx *f = *state;
    char a[64], b[64], frame[256];
    name(a, sizeof(a), "pa");
    name(b, sizeof(b), "pb");
    tws *ca = client(f, 0, a), *cb = client(f, 1, b);
    snprintf(frame, sizeof(frame), "{\"receiver\":\"%s\",\"content\":\"across\"}", b);
    assert_int_equal(tws_send_text(ca, frame, strlen(frame)), 0);
    expect_content(f, cb, "across");
    snprintf(frame, sizeof(frame), "{\"receiver\":\"%s-nobody\",\"content\":\"x\"}", tag);
    assert_int_equal(tws_send_text(ca, frame, strlen(frame)), 0);
    json_t *e = next(f, ca);
    assert_non_null(e);
    assert_string_equal(tjson_str(e, "data.code"), "unknown_receiver");
    json_decref(e);
    twait_for(f->ts, NULL, 300);
    assert_int_equal(tws_pending(cb), 0); /* exactly once */
    assert_int_equal(tws_pending(ca), 0);
    drop(f, ca);
    drop(f, cb);
}

/* A broadcast published on node 2 reaches every client on every node exactly once, and the
 * answer counts the connections of every node. */
static void
test_broadcast_http(void **state)
{
    fx *f = *state;
    tws *c[6];
    for (int i = 0; i < 6; i++) {
        char u[64], w[16];
        snprintf(w, sizeof(w), "b%d", i);
        name(u, sizeof(u), w);
        c[i] = client(f, i % NODES, u);
    }
    int status = 0;
    json_t *j = http(f, 1, "POST", "/api/publish",
                     "{\"broadcast\":true,\"message\":{\"content\":\"to all\"}}", &status);
    assert_int_equal(status, 200);
    assert_int_equal(tjson_int(j, "delivered", -1), 6);
    json_decref(j);
    for (int i = 0; i < 6; i++)
        expect_content(f, c[i], "to all");
    twait_for(f->ts, NULL, 300);
    for (int i = 0; i < 6; i++) {
        assert_int_equal(tws_pending(c[i]), 0);
        drop(f, c[i]);
    }
}

/* Membership set on node 1 is seen on node 3; a group message from node 3 reaches the members
 * on every node once and nobody else. */
static void
test_group_across_nodes(void **state)
{
    fx *f = *state;
    char g[64], path[160], body[512], u[3][64], x[64];
    name(g, sizeof(g), "g");
    for (int i = 0; i < 3; i++) {
        char w[8];
        snprintf(w, sizeof(w), "gm%d", i);
        name(u[i], sizeof(u[i]), w);
    }
    name(x, sizeof(x), "gx");
    tws *c[3];
    for (int i = 0; i < 3; i++)
        c[i] = client(f, i, u[i]);
    tws *cx = client(f, 2, x);
    snprintf(path, sizeof(path), "/api/groups/%s/members", g);
    snprintf(body, sizeof(body), "{\"user_ids\":[\"%s\",\"%s\",\"%s\"]}", u[0], u[1], u[2]);
    int status = 0;
    json_decref(http(f, 0, "POST", path, body, &status));
    assert_int_equal(status, 200);
    /* Node 3 sees the three members. */
    bool seen = false;
    for (int tries = 0; tries < 100 && !seen; tries++) {
        json_t *j = http(f, 2, "GET", path, NULL, &status);
        seen = status == 200 && json_array_size(tjson_get(j, "user_ids")) == 3;
        json_decref(j);
        if (!seen)
            twait_for(f->ts, NULL, 50);
    }
    assert_true(seen);
    snprintf(body, sizeof(body), "{\"group\":\"%s\",\"message\":{\"content\":\"to group\"}}", g);
    json_t *j = http(f, 2, "POST", "/api/publish", body, &status);
    assert_int_equal(status, 200);
    assert_int_equal(tjson_int(j, "delivered", -1), 3);
    json_decref(j);
    for (int i = 0; i < 3; i++)
        expect_content(f, c[i], "to group");
    twait_for(f->ts, NULL, 300);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(tws_pending(c[i]), 0);
        drop(f, c[i]);
    }
    assert_int_equal(tws_pending(cx), 0);
    drop(f, cx);
}

/* Tenants stay apart across nodes: the same user id in two apps on two nodes is two users; a
 * message and an HTTP broadcast of one app reach that app's connections only, on every node. */
static void
test_tenants_across_nodes(void **state)
{
    fx *f = *state;
    char u[64], s[64], appa[64], appb[64], path[160];
    name(u, sizeof(u), "same");
    name(s, sizeof(s), "ts");
    name(appa, sizeof(appa), "appA");
    name(appb, sizeof(appb), "appB");
    tws *ua = app_client(f, 0, appa, u), *ub = app_client(f, 1, appb, u);
    tws *sa = app_client(f, 2, appa, s);
    send_frame(sa, "{\"receiver\":\"%s\",\"content\":\"for A\"}", u);
    json_t *j = next(f, ua);
    assert_non_null(j);
    assert_string_equal(tjson_str(j, "content"), "for A");
    assert_string_equal(tjson_str(j, "app_id"), appa);
    json_decref(j);
    snprintf(path, sizeof(path), "/api/publish?app=%s", appb);
    int status = 0;
    json_decref(http(f, 2, "POST", path, "{\"broadcast\":true,\"message\":{\"content\":\"B all\"}}",
                     &status));
    assert_int_equal(status, 200);
    expect_content(f, ub, "B all");
    twait_for(f->ts, NULL, 300);
    assert_int_equal(tws_pending(ua), 0);
    assert_int_equal(tws_pending(ub), 0);
    assert_int_equal(tws_pending(sa), 0);
    drop(f, ua);
    drop(f, ub);
    drop(f, sa);
}

/* Presence counts the connections of every node; a kick on node 1 closes them all with 4001
 * and counts them. */
static void
test_presence_and_kick(void **state)
{
    fx *f = *state;
    char k[64], path[160];
    name(k, sizeof(k), "kk");
    tws *c[3] = {client(f, 1, k), client(f, 2, k), client(f, 2, k)};
    snprintf(path, sizeof(path), "/api/users/%s", k);
    /* Presence is written as each connection opens (one Redis round trip behind). */
    assert_true(until_stat(f, 0, path, "connections", 3, WAIT_MS));
    /* The user came online once, and every node heard it (its presence callback ran). */
    for (int i = 0; i < NODES; i++) {
        struct user_event_wait w = {f, i, "user_online", k};
        assert_true(twait_until(f->ts, NULL, user_event_seen, &w, WAIT_MS));
    }
    snprintf(path, sizeof(path), "/api/users/%s/kick", k);
    assert_int_equal(http_int(f, 0, "POST", path, "{}", "kicked"), 3);
    for (int i = 0; i < 3; i++) {
        assert_true(twait_until(f->ts, NULL, tws_is_closed, c[i], WAIT_MS));
        assert_int_equal(tws_close_code(c[i]), 4001);
        drop(f, c[i]);
    }
    snprintf(path, sizeof(path), "/api/users/%s", k);
    assert_true(until_stat(f, 0, path, "connections", 0, WAIT_MS));
    for (int i = 0; i < NODES; i++) {
        struct user_event_wait w = {f, i, "user_offline", k};
        assert_true(twait_until(f->ts, NULL, user_event_seen, &w, WAIT_MS));
    }
    twait_for(f->ts, NULL, 200);
    for (int i = 0; i < NODES; i++) { /* once each */
        assert_int_equal(user_events(f, i, "user_online", k), 1);
        assert_int_equal(user_events(f, i, "user_offline", k), 1);
    }
}

/* The next message of c that is not an ack receipt... of type, parsed. */
static json_t *
next_of(fx *f, tws *c, const char *type)
{
    json_t *j;
    while ((j = next(f, c)) != NULL) {
        const char *t = tjson_str(j, "message_type");
        if (t != NULL && strcmp(t, type) == 0)
            return j;
        json_decref(j);
    }
    return NULL;
}

/* ACK across nodes: the sender on node 1 hears "delivered" for a receiver on node 2; without
 * an ACK the resend follows the receiver; the receiver's ACK on node 2 reaches the tracker on
 * node 1 (no more resends); a receiver offline everywhere is stored once ("stored") and
 * replayed by whichever node it connects to. */
static void
test_ack_across_nodes(void **state)
{
    fx *f = *state;
    char a[64], r[64], o[64], mid[64];
    name(a, sizeof(a), "aa");
    name(r, sizeof(r), "ar");
    name(o, sizeof(o), "ao");
    name(mid, sizeof(mid), "m1");
    tws *ca = client(f, 0, a), *cr = client(f, 1, r);
    send_frame(ca,
               "{\"receiver\":\"%s\",\"content\":\"ack me\",\"require_ack\":true,"
               "\"message_id\":\"%s\"}",
               r, mid);
    json_t *rc = next_of(f, ca, "ack");
    assert_non_null(rc);
    assert_string_equal(tjson_str(rc, "data.status"), "delivered");
    json_decref(rc);
    expect_content(f, cr, "ack me");
    /* No ACK: resent (ack timeout 1 s) to the receiver, now on node 3. */
    drop(f, cr);
    cr = client(f, 2, r);
    json_t *again = next(f, cr);
    assert_non_null(again);
    assert_string_equal(tjson_str(again, "message_id"), mid);
    json_decref(again);
    send_frame(cr, "{\"message_type\":\"ack\",\"message_id\":\"%s\",\"sender\":\"%s\"}", mid, a);
    /* Resends would come about 1 s, then 2 s apart; one already on its way when the ACK left
     * may still arrive (at-least-once), nothing after it. */
    twait_for(f->ts, NULL, 4000);
    assert_true(tws_pending(cr) <= 1);
    size_t crossing = tws_pending(cr);
    if (crossing == 1) {
        json_t *dup = next(f, cr);
        assert_string_equal(tjson_str(dup, "message_id"), mid);
        json_decref(dup);
    }
    twait_for(f->ts, NULL, 3000);
    assert_int_equal(tws_pending(cr), 0);
    drop(f, cr);
    /* Offline everywhere: stored once, replayed on node 3. */
    name(mid, sizeof(mid), "m2");
    send_frame(ca,
               "{\"receiver\":\"%s\",\"content\":\"kept\",\"require_ack\":true,"
               "\"message_id\":\"%s\"}",
               o, mid);
    rc = next_of(f, ca, "ack");
    assert_non_null(rc);
    assert_string_equal(tjson_str(rc, "data.status"), "stored");
    json_decref(rc);
    tws *co = client(f, 2, o);
    json_t *m = next(f, co);
    assert_non_null(m);
    assert_string_equal(tjson_str(m, "source"), "offline");
    assert_string_equal(tjson_str(m, "message_id"), mid);
    json_decref(m);
    send_frame(co, "{\"message_type\":\"ack\",\"message_id\":\"%s\",\"sender\":\"%s\"}", mid, a);
    twait_for(f->ts, NULL, 300);
    assert_int_equal(tws_pending(co), 0);
    drop(f, co);
    co = client(f, 0, o); /* ACKed: nothing left to replay, on any node */
    twait_for(f->ts, NULL, 1500);
    assert_int_equal(tws_pending(co), 0);
    drop(f, co);
    drop(f, ca);
}

/* Redis restarts under the cluster: the nodes subscribe again and resume; a message sent with
 * require_ack while Redis was down is delivered, stored, or refused (then the sender resends
 * it), never silently dropped. */
#define RESTART_FRAME                                                    \
    "{\"receiver\":\"%s\",\"content\":\"through\",\"require_ack\":true," \
    "\"message_id\":\"%s\"}"

static void
test_redis_restart(void **state)
{
    fx *f = *state;
    if (getenv("WSC_SERVICES_SCRIPT") == NULL || getenv("WSC_SERVICES_DIR") == NULL) {
        skip();
        return;
    }
    char a[64], r[64], mid[64];
    name(a, sizeof(a), "ra");
    name(r, sizeof(r), "rr");
    name(mid, sizeof(mid), "m3");
    tws *ca = client(f, 0, a), *cr = client(f, 1, r);
    assert_int_equal(tstore_services(on_cluster ? "stop-cluster" : "stop-redis"), 0);
    send_frame(ca, RESTART_FRAME, r, mid);
    assert_int_equal(tstore_services(on_cluster ? "start-cluster" : "start-redis"), 0);
    json_t *rc = next_of(f, ca, "ack");
    assert_non_null(rc);
    const char *st = tjson_str(rc, "data.status");
    if (strcmp(st, "rejected") == 0) {
        /* Refused while Redis was down: the sender's resend goes through once it is back. */
        assert_string_equal(tjson_str(rc, "data.error"), "store_unavailable");
        assert_true(until_stat(f, 0, "/api/stats", "nodes", NODES, 30000));
        send_frame(ca, RESTART_FRAME, r, mid);
        json_decref(rc);
        rc = next_of(f, ca, "ack");
        assert_non_null(rc);
        st = tjson_str(rc, "data.status");
    }
    assert_true(strcmp(st, "delivered") == 0 || strcmp(st, "stored") == 0);
    bool stored = strcmp(st, "stored") == 0;
    json_decref(rc);
    twait_count one = {cr, 1};
    if (stored && !twait_until(f->ts, NULL, twait_has_messages, &one, 5000)) {
        /* Stored while the receiver's node was still cut off from the bus (its replay nudge
         * missed): the store has it, and the receiver's next connection gets it. */
        drop(f, cr);
        cr = client(f, 2, r);
    }
    json_t *m = next(f, cr);
    assert_non_null(m);
    assert_string_equal(tjson_str(m, "message_id"), mid);
    json_decref(m);
    send_frame(cr, "{\"message_type\":\"ack\",\"message_id\":\"%s\",\"sender\":\"%s\"}", mid, a);
    /* Subscribed again: node 2 reaches node 1. */
    assert_true(until_stat(f, 1, "/api/stats", "nodes", NODES, 30000));
    send_frame(cr, "{\"receiver\":\"%s\",\"content\":\"back\"}", a);
    expect_content(f, ca, "back");
    drop(f, ca);
    drop(f, cr);
}

#define TR_RECV 4
#define TR_MSGS 40

struct traffic {
    fx *f;
    tws *recv[TR_RECV];
    char user[TR_RECV][64];
    bool got[TR_MSGS];      /* by message number */
    bool accepted[TR_MSGS]; /* receipt delivered or stored */
    size_t receipts;
    tws *sender;
};

/* Pops what the receivers got, ACKs it and marks it; reads the sender's receipts. */
static void
traffic_pump(struct traffic *t)
{
    char *data = NULL;
    for (int i = 0; i < TR_RECV; i++) {
        while (t->recv[i] != NULL && tws_next(t->recv[i], NULL, &data, NULL)) {
            json_t *j = tjson_parse(data);
            const char *mid = tjson_str(j, "message_id"), *type = tjson_str(j, "message_type");
            const char *dash = mid != NULL ? strrchr(mid, '-') : NULL;
            if (type != NULL && strcmp(type, "connected") != 0 && dash != NULL) {
                int n = atoi(dash + 1);
                if (n >= 0 && n < TR_MSGS)
                    t->got[n] = true;
                send_frame(t->recv[i],
                           "{\"message_type\":\"ack\",\"message_id\":\"%s\",\"sender\":\"%s\"}",
                           mid, tjson_str(j, "sender"));
            }
            json_decref(j);
            free(data);
        }
    }
    while (tws_next(t->sender, NULL, &data, NULL)) {
        json_t *j = tjson_parse(data);
        const char *mid = tjson_str(j, "message_id"), *st = tjson_str(j, "data.status");
        const char *dash = mid != NULL ? strrchr(mid, '-') : NULL;
        if (st != NULL && dash != NULL && atoi(dash + 1) >= 0 && atoi(dash + 1) < TR_MSGS) {
            t->receipts++;
            t->accepted[atoi(dash + 1)] = strcmp(st, "rejected") != 0;
        }
        json_decref(j);
        free(data);
    }
}

static bool
traffic_done(void *arg)
{
    struct traffic *t = arg;
    traffic_pump(t);
    if (t->receipts < TR_MSGS)
        return false;
    for (int n = 0; n < TR_MSGS; n++)
        if (t->accepted[n] && !t->got[n])
            return false;
    return true;
}

static void
traffic_send(struct traffic *t, int from, int to)
{
    for (int n = from; n < to; n++)
        send_frame(t->sender,
                   "{\"receiver\":\"%s\",\"content\":\"t\",\"require_ack\":true,"
                   "\"message_id\":\"%s-tm-%d\"}",
                   t->user[n % TR_RECV], tag, n);
}

/* kill -9 of one of three nodes under traffic with require_ack: its users reconnect to another
 * node, and every message a live node accepted (receipt delivered or stored) reaches its
 * receiver: resent to the new node, or stored and replayed. */
static void
test_node_death_under_traffic(void **state)
{
    fx *f = *state;
    struct traffic t = {.f = f};
    char s[64];
    name(s, sizeof(s), "ts");
    t.sender = client(f, 0, s);
    for (int i = 0; i < TR_RECV; i++) {
        char w[16];
        snprintf(w, sizeof(w), "tr%d", i);
        name(t.user[i], sizeof(t.user[i]), w);
        t.recv[i] = client(f, 2, t.user[i]);
    }
    traffic_send(&t, 0, TR_MSGS / 2);
    assert_int_equal(thubproc_signal(&f->node[2], SIGKILL), 0);
    traffic_send(&t, TR_MSGS / 2, TR_MSGS);
    for (int i = 0; i < TR_RECV; i++) {
        assert_true(twait_until(f->ts, NULL, tws_is_closed, t.recv[i], WAIT_MS));
        traffic_pump(&t);
        drop(f, t.recv[i]);
        t.recv[i] = client(f, 1, t.user[i]); /* the client reconnects elsewhere */
    }
    assert_true(twait_until(f->ts, NULL, traffic_done, &t, 60000));
    size_t accepted = 0;
    for (int n = 0; n < TR_MSGS; n++)
        accepted += t.accepted[n];
    print_message("node death under traffic: %zu of %d accepted, all of them received\n", accepted,
                  TR_MSGS);
    for (int i = 0; i < TR_RECV; i++)
        drop(f, t.recv[i]);
    drop(f, t.sender);
    thubproc_stop(&f->node[2], 1000);
    assert_int_equal(node_start(f, 2), 0);
    assert_true(until_stat(f, 0, "/api/stats", "nodes", NODES, 30000));
}

/* A node stopped gracefully (SIGTERM) leaves at once: the others count two nodes and none of
 * its users well before its heartbeat would have lapsed (15 s). */
static void
test_graceful_leave(void **state)
{
    fx *f = *state;
    char g[64], path[160];
    name(g, sizeof(g), "gl");
    tws *c = client(f, 2, g);
    snprintf(path, sizeof(path), "/api/users/%s", g);
    assert_true(until_stat(f, 0, path, "connections", 1, WAIT_MS));
    assert_int_equal(thubproc_stop(&f->node[2], 10000), 0);
    /* Removed at once, not lapsed: well under the heartbeat's TTL (15 s), with room for a
     * sanitizer build on two busy cores (3 s was too tight there once). */
    assert_true(until_stat(f, 0, "/api/stats", "nodes", 2, 8000));
    assert_true(until_stat(f, 0, path, "connections", 0, 8000));
    drop(f, c);
    assert_int_equal(node_start(f, 2), 0);
    assert_true(until_stat(f, 0, "/api/stats", "nodes", NODES, 30000));
}

/* kill -9 of a node: its users are offline cluster-wide within 60 s (the node's heartbeat
 * lapses), and the survivors count two nodes. */
static void
test_node_death(void **state)
{
    fx *f = *state;
    char d[64], path[160];
    name(d, sizeof(d), "dd");
    tws *c = client(f, 2, d);
    snprintf(path, sizeof(path), "/api/users/%s", d);
    assert_true(until_stat(f, 0, path, "connections", 1, WAIT_MS));
    assert_int_equal(thubproc_signal(&f->node[2], SIGKILL), 0);
    assert_true(until_stat(f, 0, path, "connections", 0, 60000));
    assert_true(until_stat(f, 0, "/api/stats", "nodes", 2, 60000));
    drop(f, c);
    thubproc_stop(&f->node[2], 1000);
    assert_int_equal(node_start(f, 2), 0); /* for the tests after this one */
}

int
main(void)
{
    /* WSC_TEST_ON_REDIS_CLUSTER: the same on the Redis Cluster (only database 0 there). */
    on_cluster = getenv("WSC_TEST_ON_REDIS_CLUSTER") != NULL;
    const char *url = getenv(on_cluster ? "WSC_TEST_REDIS_CLUSTER_URL" : "WSC_TEST_REDIS_URL");
    if (url == NULL || getenv("WSC_HUB_BIN") == NULL) {
        fprintf(stderr, "skipped: needs %s and WSC_HUB_BIN\n",
                on_cluster ? "WSC_TEST_REDIS_CLUSTER_URL" : "WSC_TEST_REDIS_URL");
        return 77;
    }
    snprintf(tag, sizeof(tag), "p%ld", (long)getpid());
    if (on_cluster)
        snprintf(redis_url, sizeof(redis_url), "%s", url);
    else if (tstore_redis_db_url(CLUSTER_DB, redis_url, sizeof(redis_url)) == NULL)
        return 1;
    const struct CMUnitTest tests[] = {
        /* clang-format off */
        cmocka_unit_test(test_p2p_across_nodes),
        cmocka_unit_test(test_broadcast_http),
        cmocka_unit_test(test_group_across_nodes),
        cmocka_unit_test(test_tenants_across_nodes),
        cmocka_unit_test(test_presence_and_kick),
        cmocka_unit_test(test_ack_across_nodes),
        cmocka_unit_test(test_redis_restart),
        cmocka_unit_test(test_node_death_under_traffic),
        cmocka_unit_test(test_graceful_leave),
        cmocka_unit_test(test_node_death),
        /* clang-format on */
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
