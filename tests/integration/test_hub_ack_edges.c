/* SPDX-License-Identifier: MIT */
/* Delivery with ACK and the offline store in the cases the other tests leave out
 * (docs/reliability.md, src/hub/ack_send.c, ack_tracker.c, failure.c, replay.c):
 * - a failure handler may keep a fire-and-forget message (STORE): it is stored and replayed on
 *   connect; wsc_hub_set_failure_handlers(hub, NULL) restores the default (dropped);
 * - an ACK send to an offline user with offline storage off is answered `unreachable`;
 * - an ACK send of a message already frozen without require_ack sends a copy that asks for the
 *   ACK, the caller's message stays as it was; a message with its own `id` keeps it;
 * - a list send with options and no count out-parameter; the same pair again without a
 *   completion callback is a quiet duplicate;
 * - receiver_client limits an ACK send to that client's connection; a pending message is resent
 *   to a new connection of its receiver (and only to it);
 * - an `ack` that names the sender removes only that sender's stored copy of a message_id that
 *   two senders used;
 * - a replay larger than the connection's queue comes whole, in order, ACK by ACK, also with a
 *   queue of a few frames;
 * - a hub freed while a replay's store read is out (a store that outlives it) loses nothing;
 *   a live message parked behind a replay is reported failed when the hub goes. */
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

/* --- helpers */

static wsc_msg *
text(const char *mid, const char *content)
{
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    if (mid != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
    return m;
}

struct done_rec {
    size_t calls, acked, stored, failed;
    wsc_err last;
};

static void
on_done(wsc_err status, const wsc_delivery *d, void *user)
{
    struct done_rec *r = user;
    r->calls++;
    r->last = status;
    if (d->outcome == WSC_DELIVERY_ACKED)
        r->acked++;
    else if (d->outcome == WSC_DELIVERY_STORED)
        r->stored++;
    else
        r->failed++;
}

struct count_rec {
    bool done;
    uint64_t n;
};

static void
on_count(wsc_err status, uint64_t count, void *user)
{
    struct count_rec *c = user;
    assert_int_equal(status, WSC_OK);
    c->n = count;
    c->done = true;
}

static bool
count_done(void *arg)
{
    return ((struct count_rec *)arg)->done;
}

/* Messages stored for user in repo. */
static uint64_t
stored_in(thub *t, struct wsc_offline_repo *repo, const char *user)
{
    struct count_rec c = {0};
    assert_int_equal(wsc_offline_count(repo, user, on_count, &c), WSC_OK);
    assert_true(twait_until(t->ts, t->loop, count_done, &c, 3000));
    return c.n;
}

static uint64_t
stored(thub *t, const char *user)
{
    struct count_rec c = {0};
    assert_int_equal(wsc_hub_offline_count(t->hub, user, on_count, &c), WSC_OK);
    assert_true(thub_wait(t, count_done, &c, 3000));
    return c.n;
}

/* Reads c's frames until the text frame with message_id mid; returns it (json_decref). */
static json_t *
recv_text(thub *t, tws *c, const char *mid)
{
    for (int i = 0; i < 20; i++) {
        json_t *j = thub_recv(t, c, 2000);
        const char *type = tjson_str(j, "message_type"), *m = tjson_str(j, "message_id");
        if (strcmp(type, "text") == 0 && m != NULL && strcmp(m, mid) == 0)
            return j;
        json_decref(j);
    }
    fail_msg("no text frame %s", mid);
    return NULL;
}

static void
send_ack(tws *c, const char *mid, const char *sender)
{
    char f[160];
    if (sender != NULL)
        snprintf(f, sizeof(f), "{\"message_type\":\"ack\",\"message_id\":\"%s\",\"sender\":\"%s\"}",
                 mid, sender);
    else
        snprintf(f, sizeof(f), "{\"message_type\":\"ack\",\"message_id\":\"%s\"}", mid);
    thub_send(c, f);
}

static void
close_peer(thub *t, tws *c)
{
    twait_remove_ws(t->ts, c);
    tws_free(c);
}

/* --- failure handlers */

static void
keep_offline(wsc_hub *hub, const wsc_failure *f, wsc_failure_action *action, void *user)
{
    (void)hub;
    (*(size_t *)user)++;
    assert_false(f->tracked);
    assert_int_equal(f->kind, WSC_FAILURE_OFFLINE);
    *action = WSC_FAILURE_STORE;
}

static void
test_ack_edges__handler_keeps_a_fire_and_forget_message(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    size_t calls = 0;
    wsc_failure_handlers h = {.on_user_offline = keep_offline, .user = &calls};
    assert_int_equal(wsc_hub_set_failure_handlers(t.hub, &h), WSC_OK);
    wsc_msg *m = text("kept-1", "kept");
    assert_int_equal(wsc_hub_send_to_user(t.hub, "off", m, NULL), WSC_ERR_NOT_FOUND);
    wsc_msg_unref(m);
    assert_int_equal(calls, 1);
    uint64_t n = 0;
    for (int i = 0; i < 100 && (n = stored(&t, "off")) == 0; i++)
        thub_run_for(&t, 10);
    assert_int_equal(n, 1);
    tws *c = thub_open(&t, "off", NULL);
    json_t *j = recv_text(&t, c, "kept-1");
    assert_string_equal(tjson_str(j, "source"), "offline");
    assert_string_equal(tjson_str(j, "content"), "kept");
    json_decref(j);
    send_ack(c, "kept-1", NULL);
    for (int i = 0; i < 100 && (n = stored(&t, "off")) != 0; i++)
        thub_run_for(&t, 10);
    assert_int_equal(n, 0);

    /* The defaults again: a fire-and-forget message to an offline user is only reported. */
    assert_int_equal(wsc_hub_set_failure_handlers(t.hub, NULL), WSC_OK);
    m = text("dropped-1", "dropped");
    assert_int_equal(wsc_hub_send_to_user(t.hub, "off2", m, NULL), WSC_ERR_NOT_FOUND);
    wsc_msg_unref(m);
    thub_run_for(&t, 30);
    assert_int_equal(calls, 1);
    assert_int_equal(stored(&t, "off2"), 0);
    thub_free(&t);
}

/* --- ACK sends */

struct answer {
    bool done;
    wsc_accepted a;
};

static void
on_accepted(const wsc_accepted *a, void *user)
{
    struct answer *x = user;
    x->a = *a;
    x->a.message_id = NULL;
    x->done = true;
}

static bool
answered(void *arg)
{
    return ((struct answer *)arg)->done;
}

static void
test_ack_edges__offline_without_storage_is_unreachable(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    wsc_ack_opts o;
    wsc_ack_opts_init(&o);
    o.store_offline = false;
    wsc_msg *m = text("u-1", "x");
    const char *users[] = {"nobody"};
    struct answer x = {0};
    assert_int_equal(wsc_hub_publish_ack(t.hub, users, 1, NULL, NULL, m, &o, on_accepted, &x),
                     WSC_OK);
    assert_true(thub_wait(&t, answered, &x, 3000));
    assert_int_equal(x.a.unreachable, 1);
    assert_int_equal(x.a.failed, 0);
    assert_int_equal(x.a.stored, 0);
    assert_int_equal(x.a.online, 0);
    /* The completion of a plain ACK send says why: no such user. */
    struct done_rec r = {0};
    wsc_msg_unref(m);
    m = text("u-2", "x");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "nobody", m, &o, on_done, &r), WSC_OK);
    assert_true(thub_wait_ge(&t, &r.calls, 1, 3000));
    assert_int_equal(r.failed, 1);
    assert_int_equal(r.last, WSC_ERR_NOT_FOUND);
    wsc_msg_unref(m);
    assert_int_equal(stored(&t, "nobody"), 0);
    thub_free(&t);
}

static void
test_ack_edges__frozen_message_and_own_id(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    wsc_msg *m = text("fz-1", "frozen");
    assert_int_equal(wsc_hub_send_to_user(t.hub, "a", m, NULL), WSC_OK);
    assert_true(wsc_msg_is_frozen(m));
    json_t *j = recv_text(&t, a, "fz-1");
    assert_false(tjson_bool(j, "require_ack", false));
    json_decref(j);
    struct done_rec r = {0};
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "a", m, NULL, on_done, &r), WSC_OK);
    assert_false(wsc_msg_require_ack(m)); /* the caller's message is as it was */
    j = recv_text(&t, a, "fz-1");
    assert_true(tjson_bool(j, "require_ack", false));
    assert_string_equal(tjson_str(j, "content"), "frozen");
    json_decref(j);
    send_ack(a, "fz-1", NULL);
    assert_true(thub_wait_ge(&t, &r.calls, 1, 3000));
    assert_int_equal(r.acked, 1);
    wsc_msg_unref(m);

    /* A message with its own hub id and no message_id: the id stays, a message_id is made. */
    m = text(NULL, "own");
    assert_int_equal(wsc_msg_set(m, WSC_F_ID, "own-id-1"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "a", m, NULL, on_done, &r), WSC_OK);
    const char *mid = wsc_msg_get(m, WSC_F_MESSAGE_ID);
    assert_non_null(mid);
    j = recv_text(&t, a, mid);
    assert_string_equal(tjson_str(j, "id"), "own-id-1");
    json_decref(j);
    send_ack(a, mid, NULL);
    assert_true(thub_wait_ge(&t, &r.calls, 2, 3000));
    assert_int_equal(r.acked, 2);
    wsc_msg_unref(m);
    thub_free(&t);
}

static void
test_ack_edges__list_send_with_options(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *a = thub_open(&t, "a", NULL);
    wsc_ack_opts o;
    wsc_ack_opts_init(&o);
    o.ack_timeout_ms = 2000;
    const char *users[] = {"a"};
    struct done_rec r = {0};
    wsc_msg *m = text("ls-1", "x");
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, users, 1, m, &o, on_done, &r, NULL), WSC_OK);
    /* The same pair again without a completion: a duplicate, nothing to report. */
    assert_int_equal(wsc_hub_send_to_users_ack(t.hub, users, 1, m, &o, NULL, NULL, NULL), WSC_OK);
    json_decref(recv_text(&t, a, "ls-1"));
    send_ack(a, "ls-1", NULL);
    assert_true(thub_wait_ge(&t, &r.calls, 1, 3000));
    assert_int_equal(r.acked, 1);
    thub_run_for(&t, 30);
    assert_int_equal(r.calls, 1);
    assert_int_equal(tws_pending(a), 0); /* sent once */
    wsc_msg_unref(m);
    thub_free(&t);
}

static void
test_ack_edges__receiver_client_and_a_new_connection(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tws *b1 = thub_open(&t, "b", "client_id=c1");
    tws *b2 = thub_open(&t, "b", "client_id=c2");
    struct done_rec r = {0};
    wsc_msg *m = text("rc-1", "for c2");
    assert_int_equal(wsc_msg_set(m, WSC_F_RECEIVER_CLIENT, "c2"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "b", m, NULL, on_done, &r), WSC_OK);
    json_decref(recv_text(&t, b2, "rc-1"));
    thub_run_for(&t, 30);
    assert_int_equal(tws_pending(b1), 0); /* not c1's */
    send_ack(b2, "rc-1", NULL);
    assert_true(thub_wait_ge(&t, &r.calls, 1, 3000));
    assert_int_equal(r.acked, 1);
    wsc_msg_unref(m);

    /* Pending on c1 (not ACKed): a third connection of b gets it at once, c1 not again. */
    m = text("nc-1", "pending");
    assert_int_equal(wsc_hub_send_to_user_ack(t.hub, "b", m, NULL, on_done, &r), WSC_OK);
    json_decref(recv_text(&t, b1, "nc-1"));
    json_decref(recv_text(&t, b2, "nc-1"));
    tws *b3 = thub_open(&t, "b", "client_id=c3");
    json_decref(recv_text(&t, b3, "nc-1"));
    thub_run_for(&t, 30);
    assert_int_equal(tws_pending(b1), 0);
    assert_int_equal(tws_pending(b2), 0);
    send_ack(b3, "nc-1", NULL);
    assert_true(thub_wait_ge(&t, &r.calls, 2, 3000));
    assert_int_equal(r.acked, 2);
    wsc_msg_unref(m);
    thub_free(&t);
}

/* --- the offline store and replay */

/* Stores a message from sender with message_id mid for the offline user. */
static void
store_from(thub *t, const char *user, const char *sender, const char *mid)
{
    struct done_rec r = {0};
    wsc_msg *m = text(mid, sender != NULL ? sender : "none");
    if (sender != NULL)
        assert_int_equal(wsc_msg_set(m, WSC_F_SENDER, sender), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user_ack(t->hub, user, m, NULL, on_done, &r), WSC_OK);
    wsc_msg_unref(m);
    assert_true(thub_wait_ge(t, &r.calls, 1, 3000));
    assert_int_equal(r.stored, 1);
}

static void
test_ack_edges__ack_naming_the_sender_removes_its_copy_only(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    store_from(&t, "c", "alice", "same");
    store_from(&t, "c", "bob", "same");
    assert_int_equal(stored(&t, "c"), 2);
    tws *c = thub_open(&t, "c", NULL);
    json_t *j1 = recv_text(&t, c, "same"), *j2 = recv_text(&t, c, "same");
    assert_string_not_equal(tjson_str(j1, "sender"), tjson_str(j2, "sender"));
    json_decref(j1);
    json_decref(j2);
    send_ack(c, "same", "alice");
    uint64_t n = 2;
    for (int i = 0; i < 100 && (n = stored(&t, "c")) != 1; i++)
        thub_run_for(&t, 10);
    assert_int_equal(n, 1);
    close_peer(&t, c);
    thub_run_for(&t, 30);
    c = thub_open(&t, "c", NULL);
    json_t *j = recv_text(&t, c, "same");
    assert_string_equal(tjson_str(j, "sender"), "bob"); /* alice's copy is gone */
    json_decref(j);
    thub_free(&t);
}

static void
test_ack_edges__replay_larger_than_the_queue(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.queue_max_count = 16; /* pages of 8 behind the replay's slack */
    cfg.replay_window = 0;
    thub_start(&t, &cfg);
    enum { N = 40 };
    for (int i = 0; i < N; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "q%02d", i);
        store_from(&t, "d", "s", mid);
    }
    tws *d = thub_open(&t, "d", NULL);
    wsc_msg *live = text("live-1", "live");
    for (int i = 0; i < N; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "q%02d", i);
        json_t *j = thub_recv(&t, d, 3000);
        const char *got = tjson_str(j, "message_id");
        if (strcmp(got, "live-1") == 0) { /* live traffic may pass once the queue is full */
            json_decref(j);
            j = thub_recv(&t, d, 3000);
            got = tjson_str(j, "message_id");
        }
        assert_string_equal(got, mid); /* whole and in order */
        json_decref(j);
        send_ack(d, mid, NULL);
        if (i == 4)
            assert_int_equal(wsc_hub_send_to_user(t.hub, "d", live, NULL), WSC_OK);
    }
    wsc_msg_unref(live);
    uint64_t n = N;
    for (int i = 0; i < 200 && (n = stored(&t, "d")) != 0; i++)
        thub_run_for(&t, 10);
    assert_int_equal(n, 0);
    thub_free(&t);
}

/* A queue of a few frames (queue_max_count 4, below the replay's usual slack of 8 slots):
 * the stored messages still come, page by page, each after the ACK of the one before. */
static void
test_ack_edges__replay_with_a_tiny_queue(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.queue_max_count = 4;
    thub_start(&t, &cfg);
    enum { N = 6 };
    for (int i = 0; i < N; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "t%d", i);
        store_from(&t, "d", "s", mid);
    }
    tws *d = thub_open(&t, "d", NULL);
    for (int i = 0; i < N; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "t%d", i);
        json_t *j = thub_recv(&t, d, 3000);
        assert_string_equal(tjson_str(j, "message_id"), mid);
        json_decref(j);
        send_ack(d, mid, NULL);
    }
    uint64_t n = N;
    for (int i = 0; i < 200 && (n = stored(&t, "d")) != 0; i++)
        thub_run_for(&t, 10);
    assert_int_equal(n, 0);
    thub_free(&t);
}

/* A live message parked behind a replay (the replay waits for an ACK: window of 1) when the
 * hub is freed: it is reported failed (WSC_ERR_CLOSED) like the messages in the queue, never
 * dropped without a word. */
static void
test_ack_edges__parked_message_reported_when_the_hub_goes(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.replay_window = 1;
    thub_start(&t, &cfg);
    store_from(&t, "d", "s", "w0");
    store_from(&t, "d", "s", "w1");
    tws *d = thub_open(&t, "d", NULL);
    json_decref(recv_text(&t, d, "w0")); /* not ACKed: the replay waits */
    wsc_msg *live = text("parked-1", "live");
    size_t queued = 0;
    assert_int_equal(wsc_hub_send_to_user(t.hub, "d", live, &queued), WSC_OK);
    wsc_msg_unref(live);
    thub_run_for(&t, 30);
    assert_int_equal(tws_pending(d), 0); /* parked behind w1 */
    size_t failed = t.failed;
    wsc_hub_free(t.hub);
    t.hub = NULL;
    bool reported = false;
    for (size_t i = failed; i < t.failed && i < 4 * THUB_REC; i++)
        reported |=
            strcmp(t.fails[i].message_id, "parked-1") == 0 && t.fails[i].why == WSC_ERR_CLOSED;
    assert_true(reported);
    thub_free(&t);
}

/* Counts the connections; the test frees the hub right after the first (its replay's store
 * read is out then). */
static void
count_connect(wsc_hub *hub, wsc_conn *conn, void *user)
{
    (void)hub;
    (void)conn;
    ((thub *)user)->connects++;
}

static bool
has_connected(void *arg)
{
    return ((thub *)arg)->connects > 0;
}

static void
test_ack_edges__hub_freed_while_a_replay_reads(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    wsc_store *store = NULL;
    assert_int_equal(wsc_repo_memory_new(t.loop, NULL, &store), WSC_OK);
    cfg.store = store;
    cfg.on_connect = count_connect;
    thub_start(&t, &cfg);
    for (int i = 0; i < 3; i++) {
        char mid[16];
        snprintf(mid, sizeof(mid), "f%d", i);
        store_from(&t, "e", "s", mid);
    }
    tws *e = thub_ws(&t, "/ws?user_id=e", NULL);
    assert_true(twait_until(t.ts, t.loop, has_connected, &t, 3000));
    wsc_hub_free(t.hub); /* the replay's read may still be out: it must not land on the hub */
    t.hub = NULL;
    assert_true(twait_until(t.ts, t.loop, tws_is_closed, e, 3000));
    assert_int_equal(stored_in(&t, wsc_store_offline(store), "e"), 3); /* nothing lost */
    wsc_store_close(store);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ack_edges__handler_keeps_a_fire_and_forget_message),
        cmocka_unit_test(test_ack_edges__offline_without_storage_is_unreachable),
        cmocka_unit_test(test_ack_edges__frozen_message_and_own_id),
        cmocka_unit_test(test_ack_edges__list_send_with_options),
        cmocka_unit_test(test_ack_edges__receiver_client_and_a_new_connection),
        cmocka_unit_test(test_ack_edges__ack_naming_the_sender_removes_its_copy_only),
        cmocka_unit_test(test_ack_edges__replay_larger_than_the_queue),
        cmocka_unit_test(test_ack_edges__replay_with_a_tiny_queue),
        cmocka_unit_test(test_ack_edges__parked_message_reported_when_the_hub_goes),
        cmocka_unit_test(test_ack_edges__hub_freed_while_a_replay_reads),
    };
    return cmocka_run_group_tests_name("integration.hub_ack_edges", tests, NULL, NULL);
}
