/* SPDX-License-Identifier: MIT */
/* Routing: the C send family (user, users, group with exclude, broadcast, binary, one
 * connection, receiver_client, from another thread) and messages from clients (stamping,
 * ACKs, unknown receivers, group membership, broadcast permission, veto, app-level ping). */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "middleware/auth_jwt.h"
#include "thub.h"
#include "tjson.h"

static wsc_msg *
text(const char *content)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    return m;
}

static void
expect_content(thub *t, tws *c, const char *content)
{
    json_t *j = thub_recv_type(t, c, "text", 3000);
    assert_string_equal(tjson_str(j, "content"), content);
    json_decref(j);
}

static void
expect_binary(thub *t, tws *c, const void *bytes, size_t len)
{
    assert_true(thub_wait_msgs(t, c, 1, 3000));
    int op = 0;
    char *data = NULL;
    size_t n = 0;
    assert_true(tws_next(c, &op, &data, &n));
    assert_int_equal(op, TWS_OP_BINARY);
    assert_int_equal(n, len);
    assert_memory_equal(data, bytes, len);
    free(data);
}

static void
expect_error(thub *t, tws *c, const char *code)
{
    json_t *j = thub_recv_type(t, c, "error", 3000);
    assert_string_equal(tjson_str(j, "data.code"), code);
    json_decref(j);
}

static void
expect_ack(thub *t, tws *c, const char *message_id, const char *status)
{
    json_t *j = thub_recv_type(t, c, "ack", 3000);
    assert_string_equal(tjson_str(j, "message_id"), message_id);
    assert_string_equal(tjson_str(j, "data.status"), status);
    json_decref(j);
}

static void
test_hub_routing__c_api_targets(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL), *b = thub_open(&t, "b", NULL);
    tws *c = thub_open(&t, "c", NULL), *a2 = thub_open(&t, "a", "client_id=desk");
    size_t n = 0;
    wsc_msg *m = text("to a");
    assert_int_equal(wsc_hub_send_to_user(t.hub, "a", m, &n), WSC_OK);
    assert_int_equal(n, 2);
    wsc_msg_unref(m);
    expect_content(&t, a, "to a");
    expect_content(&t, a2, "to a");
    m = text("to nobody");
    assert_int_equal(wsc_hub_send_to_user(t.hub, "zed", m, &n), WSC_ERR_NOT_FOUND);
    assert_int_equal(n, 0);
    wsc_msg_unref(m);

    const char *users[] = {"b", "c", "zed"};
    m = text("to b and c");
    assert_int_equal(wsc_hub_send_to_users(t.hub, users, 3, m, &n), WSC_OK);
    assert_int_equal(n, 2);
    wsc_msg_unref(m);
    expect_content(&t, b, "to b and c");
    expect_content(&t, c, "to b and c");

    assert_int_equal(wsc_hub_group_join(t.hub, "g", "a"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "b"), WSC_OK);
    assert_int_equal(wsc_hub_group_join(t.hub, "g", "b"), WSC_ERR_EXISTS);
    m = text("to g but b");
    assert_int_equal(wsc_hub_send_to_group(t.hub, "g", m, "b", &n), WSC_OK);
    assert_int_equal(n, 2);
    wsc_msg_unref(m);
    expect_content(&t, a, "to g but b");
    expect_content(&t, a2, "to g but b");

    m = text("everyone");
    assert_int_equal(wsc_hub_broadcast(t.hub, m, &n), WSC_OK);
    assert_int_equal(n, 4);
    wsc_msg_unref(m);
    tws *all[] = {a, b, c, a2};
    for (int i = 0; i < 4; i++)
        expect_content(&t, all[i], "everyone");

    m = text("only desk");
    assert_int_equal(wsc_msg_set(m, WSC_F_RECEIVER_CLIENT, "desk"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user(t.hub, "a", m, &n), WSC_OK);
    assert_int_equal(n, 1);
    wsc_msg_unref(m);
    expect_content(&t, a2, "only desk");

    m = text("one conn");
    assert_int_equal(wsc_hub_send_to_conn(t.hub, t.conn_ids[2], m), WSC_OK);
    assert_int_equal(wsc_hub_send_to_conn(t.hub, 9999, m), WSC_ERR_NOT_FOUND);
    wsc_msg_unref(m);
    expect_content(&t, c, "one conn");
    thub_run_for(&t, 30);
    for (int i = 0; i < 4; i++)
        assert_int_equal(tws_pending(all[i]), 0);
    thub_free(&t);
}

static void
test_hub_routing__binary_variants(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL), *b = thub_open(&t, "b", NULL);
    unsigned char bytes[300];
    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (unsigned char)(i * 7);
    size_t n = 0;
    assert_int_equal(wsc_hub_send_binary_to_user(t.hub, "a", bytes, 5, &n), WSC_OK);
    assert_int_equal(n, 1);
    expect_binary(&t, a, bytes, 5);
    wsc_hub_group_join(t.hub, "g", "b");
    assert_int_equal(wsc_hub_send_binary_to_group(t.hub, "g", bytes, 300, &n), WSC_OK);
    expect_binary(&t, b, bytes, 300);
    assert_int_equal(wsc_hub_broadcast_binary(t.hub, bytes + 1, 200, &n), WSC_OK);
    assert_int_equal(n, 2);
    expect_binary(&t, a, bytes + 1, 200);
    expect_binary(&t, b, bytes + 1, 200);
    assert_int_equal(wsc_hub_broadcast_binary(t.hub, NULL, 3, &n), WSC_ERR_INVALID);
    thub_free(&t);
}

struct thread_arg {
    wsc_hub *hub;
    int count;
    wsc_err err;
    int not_frozen; /* sends that returned with the message still open to setters */
};

static void *
sender_thread(void *arg)
{
    struct thread_arg *ta = arg;
    char content[32];
    for (int i = 0; i < ta->count && ta->err == WSC_OK; i++) {
        snprintf(content, sizeof(content), "t%d", i);
        wsc_msg *m = NULL;
        ta->err = wsc_msg_new_text(&m, "text", content);
        if (ta->err == WSC_OK)
            ta->err = wsc_hub_send_to_user(ta->hub, "a", m, NULL);
        /* Frozen on this thread before the call returned: a setter now cannot race with the
         * loop reading the message. */
        if (ta->err == WSC_OK &&
            (!wsc_msg_is_frozen(m) || wsc_msg_set(m, WSC_F_CONTENT, "late") != WSC_ERR_STATE))
            ta->not_frozen++;
        wsc_msg_unref(m);
    }
    return NULL;
}

static void
test_hub_routing__sends_from_another_thread(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    struct thread_arg ta = {t.hub, 50, WSC_OK, 0};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, sender_thread, &ta), 0);
    assert_true(thub_wait_msgs(&t, a, 50, 5000));
    assert_int_equal(pthread_join(th, NULL), 0);
    assert_int_equal(ta.err, WSC_OK);
    assert_int_equal(ta.not_frozen, 0);
    char want[32];
    for (int i = 0; i < 50; i++) {
        snprintf(want, sizeof(want), "t%d", i);
        expect_content(&t, a, want);
    }
    thub_free(&t);
}

static void
test_hub_routing__p2p_from_client_is_stamped(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "alice", "client_id=pc"), *b = thub_open(&t, "bob", NULL);
    thub_send(a, "{\"receiver\":\"bob\",\"sender\":\"mallory\",\"sender_client\":\"x\","
                 "\"message_id\":\"biz-1\",\"content\":\"hello\",\"trace_id\":\"tr\","
                 "\"require_ack\":true,\"source\":\"offline\"}");
    json_t *j = thub_recv_type(&t, b, "text", 3000);
    assert_string_equal(tjson_str(j, "sender"), "alice");
    assert_string_equal(tjson_str(j, "sender_client"), "pc");
    assert_string_equal(tjson_str(j, "message_id"), "biz-1");
    assert_string_equal(tjson_str(j, "content"), "hello");
    assert_string_equal(tjson_str(j, "trace_id"), "tr");
    assert_non_null(tjson_str(j, "id"));
    assert_string_not_equal(tjson_str(j, "id"), "biz-1");
    assert_non_null(tjson_str(j, "create_at"));
    assert_null(tjson_str(j, "source"));
    json_decref(j);
    expect_ack(&t, a, "biz-1", "delivered");
    assert_int_equal(t.messages, 1);
    assert_string_equal(t.last_text, "hello");

    /* Without message_id the hub sets it to the id. */
    thub_send(a, "{\"receiver\":\"bob\",\"content\":\"no id\"}");
    j = thub_recv_type(&t, b, "text", 3000);
    assert_string_equal(tjson_str(j, "message_id"), tjson_str(j, "id"));
    json_decref(j);

    /* With require_ack an offline receiver's message is kept (PROTOCOL.md §3, issue 4). */
    thub_send(a, "{\"receiver\":\"nobody\",\"message_id\":\"m2\",\"require_ack\":true}");
    expect_ack(&t, a, "m2", "stored");
    thub_send(a, "{\"receiver\":\"nobody\"}");
    expect_error(&t, a, "unknown_receiver");

    thub_send(a, "{\"message_type\":\"ping\"}");
    json_decref(thub_recv_type(&t, a, "pong", 3000));
    thub_send(a, "{\"message_type\":\"heartbeat\"}");
    json_decref(thub_recv_type(&t, a, "pong", 3000));
    thub_run_for(&t, 30);
    assert_int_equal(tws_pending(b), 0);
    thub_free(&t);
}

static void
test_hub_routing__groups_from_clients(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.jwt_secret = "s";
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL), *b = thub_open(&t, "b", NULL);
    tws *outsider = thub_open(&t, "o", NULL);
    wsc_hub_group_join(t.hub, "room", "a");
    wsc_hub_group_join(t.hub, "room", "b");
    thub_send(a, "{\"group_ids\":[\"room\"],\"content\":\"hi room\"}");
    expect_content(&t, b, "hi room");
    thub_send(outsider, "{\"group_ids\":[\"room\"],\"message_id\":\"m\",\"require_ack\":true}");
    json_t *x = thub_recv(&t, outsider, 3000), *y = thub_recv(&t, outsider, 3000);
    json_t *err = strcmp(tjson_str(x, "message_type"), "error") == 0 ? x : y;
    assert_string_equal(tjson_str(err, "data.code"), "forbidden");
    json_t *ack = err == x ? y : x;
    assert_string_equal(tjson_str(ack, "data.status"), "rejected");
    json_decref(x);
    json_decref(y);

    /* A JWT gid grants the group without a join. */
    char *tok = NULL;
    assert_int_equal(
        wsc__jwt_sign_hs256("s", "{\"sub\":\"j\",\"exp\":9999999999,\"gid\":[\"room\"]}", &tok),
        WSC_OK);
    char path[1024];
    snprintf(path, sizeof(path), "/ws?token=%s", tok);
    wsc_free(tok);
    tws *j = thub_ws(&t, path, NULL);
    assert_true(thub_settle(&t, j));
    json_decref(thub_recv_type(&t, j, "connected", 3000));
    thub_send(j, "{\"group_ids\":[\"room\"],\"content\":\"from jwt\"}");
    expect_content(&t, a, "from jwt");
    expect_content(&t, b, "from jwt");
    /* The gid outlives a message reassembled from pieces (the side block holding both). */
    char big[400];
    memset(big, 'x', 300);
    big[300] = '\0';
    char frame[512];
    snprintf(frame, sizeof(frame), "{\"group_ids\":[\"room\"],\"content\":\"%s\"}", big);
    tws_send_frame(j, 0x1, false, frame, 100);
    tws_send_frame(j, 0x0, true, frame + 100, strlen(frame) - 100);
    expect_content(&t, a, big);
    expect_content(&t, b, big);
    thub_send(j, "{\"group_ids\":[\"room\"],\"content\":\"still granted\"}");
    expect_content(&t, a, "still granted");
    expect_content(&t, b, "still granted");
    thub_run_for(&t, 30);
    assert_int_equal(tws_pending(outsider), 0);
    thub_free(&t);
}

static void
bcast_check(wsc_hub *hub, wsc_conn *conn, bool *allow, void *user)
{
    (void)hub;
    thub *t = user;
    t->bcast_checks++;
    *allow = strcmp(wsc_conn_user_id(conn), "admin") == 0;
}

static void
test_hub_routing__client_broadcast_permission_and_veto(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL), *b = thub_open(&t, "b", NULL);
    thub_send(a, "{\"broadcast_type\":\"global\",\"content\":\"all\"}");
    expect_error(&t, a, "forbidden");
    thub_free(&t);

    thub_config(&t, &cfg);
    cfg.allow_client_broadcast = true;
    thub_start(&t, &cfg);
    a = thub_open(&t, "a", NULL);
    b = thub_open(&t, "b", NULL);
    thub_send(a, "{\"broadcast_type\":\"global\",\"content\":\"all\"}");
    expect_content(&t, b, "all");
    t.veto = true;
    thub_send(a, "{\"receiver\":\"b\",\"content\":\"vetoed\",\"require_ack\":true}");
    assert_true(thub_wait_ge(&t, &t.messages, 2, 3000));
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(b), 0);
    thub_free(&t);

    thub_config(&t, &cfg);
    cfg.on_broadcast_check = bcast_check;
    thub_start(&t, &cfg);
    a = thub_open(&t, "a", NULL);
    tws *admin = thub_open(&t, "admin", NULL);
    thub_send(a, "{\"broadcast_type\":\"global\",\"content\":\"no\"}");
    expect_error(&t, a, "forbidden");
    thub_send(admin, "{\"broadcast_type\":\"global\",\"content\":\"yes\"}");
    expect_content(&t, a, "yes");
    assert_int_equal(t.bcast_checks, 2);
    thub_free(&t);
}

static void
test_hub_routing__each_connection_gets_a_message_once(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL), *b = thub_open(&t, "b", NULL);
    tws *c = thub_open(&t, "c", NULL);
    const char *users[] = {"b", "c", "b"};
    size_t n = 0;
    wsc_msg *m = text("listed twice");
    assert_int_equal(wsc_hub_send_to_users(t.hub, users, 3, m, &n), WSC_OK);
    assert_int_equal(n, 2);
    wsc_msg_unref(m);
    expect_content(&t, b, "listed twice");
    expect_content(&t, c, "listed twice");
    wsc_hub_group_join(t.hub, "g1", "a");
    wsc_hub_group_join(t.hub, "g1", "b");
    wsc_hub_group_join(t.hub, "g2", "a");
    wsc_hub_group_join(t.hub, "g2", "b");
    thub_send(a, "{\"receiver\":\"b\",\"group_ids\":[\"g1\",\"g2\"],\"content\":\"once\"}");
    expect_content(&t, b, "once");
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(b), 0);
    assert_int_equal(tws_pending(c), 0);
    assert_int_equal(tws_pending(a), 0);
    thub_free(&t);
}

static void
test_hub_routing__urgent_jumps_the_queue(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    char content[16];
    for (int i = 0; i < 5; i++) {
        snprintf(content, sizeof(content), "n%d", i);
        wsc_msg *m = text(content);
        wsc_hub_send_to_user(t.hub, "a", m, NULL);
        wsc_msg_unref(m);
    }
    wsc_msg *m = text("critical");
    wsc_msg_set_priority(m, WSC_PRIO_CRITICAL);
    wsc_hub_send_to_user(t.hub, "a", m, NULL);
    wsc_msg_unref(m);
    expect_content(&t, a, "critical");
    for (int i = 0; i < 5; i++) {
        snprintf(content, sizeof(content), "n%d", i);
        expect_content(&t, a, content);
    }
    thub_free(&t);
}

/* Collects the next n frames of c into types/contents (in arrival order). */
static void
recv_n(thub *t, tws *c, size_t n, json_t **out)
{
    for (size_t i = 0; i < n; i++)
        out[i] = thub_recv(t, c, 3000);
}

static json_t *
find_type(json_t **frames, size_t n, const char *type)
{
    for (size_t i = 0; i < n; i++) {
        const char *got = tjson_str(frames[i], "message_type");
        if (got != NULL && strcmp(got, type) == 0)
            return frames[i];
    }
    fail_msg("no %s frame", type);
    return NULL;
}

/* A message to one's own user id goes to every connection of that user, the sending one
 * included (PROTOCOL.md §3): no unknown_receiver, with or without ACK. */
static void
test_hub_routing__message_to_self_is_echoed(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *pc = thub_open(&t, "alice", "client_id=pc");
    thub_send(pc, "{\"receiver\":\"alice\",\"content\":\"note\"}");
    json_t *j = thub_recv_type(&t, pc, "text", 3000);
    assert_string_equal(tjson_str(j, "sender"), "alice");
    assert_string_equal(tjson_str(j, "sender_client"), "pc");
    assert_string_equal(tjson_str(j, "content"), "note");
    json_decref(j);

    tws *phone = thub_open(&t, "alice", "client_id=phone");
    thub_send(pc, "{\"receiver\":\"alice\",\"content\":\"sync\"}");
    expect_content(&t, pc, "sync");
    expect_content(&t, phone, "sync");
    thub_send(pc, "{\"receiver\":\"alice\",\"receiver_client\":\"pc\",\"content\":\"me\"}");
    expect_content(&t, pc, "me");

    /* With ACK: the same connections, and the receipt says delivered. */
    thub_send(pc, "{\"receiver\":\"alice\",\"message_id\":\"s1\",\"require_ack\":true,"
                  "\"content\":\"acked\"}");
    json_t *f[2];
    recv_n(&t, pc, 2, f);
    assert_string_equal(tjson_str(find_type(f, 2, "ack"), "data.status"), "delivered");
    assert_string_equal(tjson_str(find_type(f, 2, "text"), "content"), "acked");
    json_decref(f[0]);
    json_decref(f[1]);
    expect_content(&t, phone, "acked");

    /* An online receiver without the named connection: the error says so. */
    tws *bob = thub_open(&t, "bob", NULL);
    thub_send(pc, "{\"receiver\":\"bob\",\"receiver_client\":\"tv\",\"message_id\":\"r1\"}");
    j = thub_recv_type(&t, pc, "error", 3000);
    assert_string_equal(tjson_str(j, "data.code"), "unknown_receiver");
    assert_string_equal(tjson_str(j, "data.reason"),
                        "receiver has no connection with that receiver_client");
    json_decref(j);
    thub_run_for(&t, 50);
    assert_int_equal(tws_pending(pc), 0);
    assert_int_equal(tws_pending(bob), 0);
    thub_free(&t);
}

/* A receiver whose send queue is full: the sender is told queue_full, not unknown_receiver. */
/* Reads a's waiting error frames (refusals of earlier frames come first), all queue_full;
 * true once one refuses a frame whose id starts with "qa". */
static bool
refused_qa(thub *t, tws *a)
{
    bool hit = false;
    while (tws_pending(a) > 0 && !hit) {
        json_t *err = thub_recv_type(t, a, "error", 10000);
        assert_string_equal(tjson_str(err, "data.code"), "queue_full");
        hit = strncmp(tjson_str(err, "message_id"), "qa", 2) == 0;
        json_decref(err);
    }
    return hit;
}

static void
test_hub_routing__full_queue_answers_queue_full(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.queue_max_count = 4;
    thub_start(&t, &cfg);
    tws *a = thub_open(&t, "a", NULL), *slow = thub_open(&t, "slow", NULL);
    twait_remove_ws(t.ts, slow); /* never read again: the socket and then the queue fill up */
    size_t len = 16 * 1024;
    char *frame = malloc(len + 100);
    assert_non_null(frame);
    json_t *err = NULL;
    for (int i = 0; i < 2000 && err == NULL; i++) {
        int n =
            snprintf(frame, 100, "{\"receiver\":\"slow\",\"message_id\":\"q%d\",\"content\":\"", i);
        memset(frame + n, 'x', len);
        memcpy(frame + n + len, "\"}", 3);
        thub_send(a, frame);
        thub_run_for(&t, 2);
        if (tws_pending(a) > 0)
            err = thub_recv_type(&t, a, "error", 10000);
    }
    assert_non_null(err);
    assert_string_equal(tjson_str(err, "data.code"), "queue_full");
    assert_non_null(strstr(tjson_str(err, "data.reason"), "queue is full"));
    json_decref(err);
    assert_true(t.failed > 0);
    assert_int_equal(t.fails[0].why, WSC_ERR_QUEUE_FULL);

    /* While the queue stays full, further messages are refused the same way. The kernel may
     * still take a little more of the queue into the stalled socket (loopback buffers grow), so
     * keep sending full-size frames until one sent after the first refusal is refused too. */
    bool refused_again = false;
    for (int j = 0; j < 200 && !refused_again; j++) {
        int n = snprintf(frame, 100,
                         "{\"receiver\":\"slow\",\"message_id\":\"qa%d\",\"content\":\"", j);
        memset(frame + n, 'y', len);
        memcpy(frame + n + len, "\"}", 3);
        thub_send(a, frame);
        thub_run_for(&t, 2);
        refused_again = refused_qa(&t, a);
    }
    /* A slow build (TSan) may not have read what was sent yet: wait for it, with a deadline. */
    for (int k = 0; k < 250 && !refused_again; k++) {
        thub_run_for(&t, 20);
        refused_again = refused_qa(&t, a);
    }
    free(frame);
    assert_true(refused_again);
    tws_free(slow); /* no longer in the set: ours to free */
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hub_routing__c_api_targets),
        cmocka_unit_test(test_hub_routing__binary_variants),
        cmocka_unit_test(test_hub_routing__sends_from_another_thread),
        cmocka_unit_test(test_hub_routing__p2p_from_client_is_stamped),
        cmocka_unit_test(test_hub_routing__groups_from_clients),
        cmocka_unit_test(test_hub_routing__client_broadcast_permission_and_veto),
        cmocka_unit_test(test_hub_routing__each_connection_gets_a_message_once),
        cmocka_unit_test(test_hub_routing__urgent_jumps_the_queue),
        cmocka_unit_test(test_hub_routing__message_to_self_is_echoed),
        cmocka_unit_test(test_hub_routing__full_queue_answers_queue_full),
    };
    return cmocka_run_group_tests_name("integration.hub_routing", tests, NULL, NULL);
}
