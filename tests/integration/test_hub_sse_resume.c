/* SPDX-License-Identifier: MIT */
/* Resuming an event stream (PROTOCOL.md §6, src/hub/replay_seek.c): a stream opened with
 * Last-Event-ID (the header, or the last_event_id query parameter) names the last stored
 * message it got.  That message and every one stored before it count as received (removed from
 * the offline store) and the replay starts right after it, also when it is found on a later
 * page of the store (pages of 100).  An id that is not stored, or one too long to be an id
 * (256 bytes or more), removes nothing and everything is replayed.  Also: an event larger than
 * the hub's write buffer (64 KiB) leaves whole, in a write of its own; a message type that
 * cannot be a line of the stream is sent as event `message`; a stream without an identity is
 * refused with 401; POST /sse/send refuses invalid UTF-8, too large bodies, a rate limit and
 * an unknown client_id in words.  Out of memory at any step of a resume never removes a message
 * the stream did not get past. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <wsc/wsc.h>

#include "models/alloc.h"
#include "thub.h"
#include "tnet.h"
#include "tsse.h"

struct res {
    size_t stored, other;
    bool done;
    uint64_t count;
};

static void
on_done(wsc_err status, const wsc_delivery *d, void *user)
{
    struct res *r = user;
    if (status == WSC_OK && d->outcome == WSC_DELIVERY_STORED)
        r->stored++;
    else
        r->other++;
}

static void
on_count(wsc_err status, uint64_t count, void *user)
{
    struct res *r = user;
    assert_int_equal(status, WSC_OK);
    r->count = count;
    r->done = true;
}

static bool
counted(void *arg)
{
    return ((struct res *)arg)->done;
}

static uint64_t
offline_count(thub *t, const char *user)
{
    struct res r = {0};
    assert_int_equal(wsc_hub_offline_count(t->hub, user, on_count, &r), WSC_OK);
    assert_true(thub_wait(t, counted, &r, 3000));
    return r.count;
}

/* Stores n messages "m0".."m<n-1>" (content "c<i>") for the offline user. */
static void
store(thub *t, const char *user, size_t n)
{
    struct res r = {0};
    for (size_t i = 0; i < n; i++) {
        char mid[32], content[32];
        snprintf(mid, sizeof(mid), "m%zu", i);
        snprintf(content, sizeof(content), "c%zu", i);
        wsc_msg *m = NULL;
        assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
        assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, mid), WSC_OK);
        assert_int_equal(wsc_hub_send_to_user_ack(t->hub, user, m, NULL, on_done, &r), WSC_OK);
        wsc_msg_unref(m);
    }
    assert_true(thub_wait_ge(t, &r.stored, n, 5000));
    assert_int_equal(r.other, 0);
    assert_int_equal(offline_count(t, user), n);
}

static void
start(thub *t)
{
    wsc_hub_config cfg;
    thub_config(t, &cfg);
    cfg.replay_window = 0; /* the whole backlog at once: what is replayed is all there is */
    /* A stream the client closed ends when a write fails (docs/protocol.md, SSE notes): soon. */
    cfg.sse_ping_interval_ms = 50;
    thub_start(t, &cfg);
}

/* Opens a stream for user with the given query suffix and header, and waits for the event
 * of message_id want_first and then the one of want_last. */
static void
resume(thub *t, tsse *s, const char *query, const char *header, const char *want_first,
       const char *want_last)
{
    tsse_open(t, s, query, header);
    assert_true(tsse_wait(t, s, "event: connected", 2000));
    char line[64];
    snprintf(line, sizeof(line), "\nid: %s\n", want_last);
    assert_true(tsse_wait(t, s, line, 3000));
    snprintf(line, sizeof(line), "\nid: %s\n", want_first);
    const char *text = tsse_text(s), *first = strstr(text, "\nid: ");
    assert_non_null(first);
    assert_ptr_equal(first, strstr(text, line)); /* the first replayed is want_first */
}

static void
test_sse_resume__after_a_message_on_a_later_page(void **state)
{
    (void)state;
    thub t;
    start(&t);
    store(&t, "sam", 130);
    tsse s;
    /* m110 sits on the second page of the store: m0..m110 count as received. */
    resume(&t, &s, "user_id=sam", "Last-Event-ID: m110", "m111", "m129");
    thub_run_for(&t, 50);
    assert_int_equal(tsse_ids(&s), 130 - 111);
    assert_null(strstr(tsse_text(&s), "\nid: m110\n"));
    assert_int_equal(offline_count(&t, "sam"), 130 - 111); /* the rest wait for their ACK */
    tsse_close(&s);
    thub_free(&t);
}

/* The match far enough in that more messages are passed than fit the first block kept for
 * them (m160 of 250: two pages read, the second one again up to the match). */
static void
test_sse_resume__after_a_message_on_the_second_page_past_the_first_block(void **state)
{
    (void)state;
    thub t;
    start(&t);
    store(&t, "sam", 250);
    tsse s;
    resume(&t, &s, "user_id=sam", "Last-Event-ID: m160", "m161", "m249");
    thub_run_for(&t, 50);
    assert_int_equal(tsse_ids(&s), 250 - 161);
    assert_int_equal(offline_count(&t, "sam"), 250 - 161);
    tsse_close(&s);
    thub_free(&t);
}

static void
on_cleared(wsc_err status, void *user)
{
    assert_int_equal(status, WSC_OK);
    ((struct res *)user)->done = true;
}

/* Out of memory at each allocation while a stream resumes after m2 of 5 stored messages: the
 * stream resumes after m2, or replays everything, or ends, or (no room to hold a replay) goes
 * on live; m3 and m4 are never removed without the client's ACK, and the hub serves on. */
static void
test_sse_resume__out_of_memory(void **state)
{
    (void)state;
    thub t;
    start(&t);
    bool fired = true;
    size_t resumed = 0, all = 0, other = 0;
    for (long n = 1; fired && n < 2000; n++) {
        struct res r = {0};
        assert_int_equal(wsc_hub_offline_clear(t.hub, "sam", on_cleared, &r), WSC_OK);
        assert_true(thub_wait(&t, counted, &r, 3000));
        store(&t, "sam", 5);
        tsse s;
        tsse_open(&t, &s, "user_id=sam", "Last-Event-ID: m2");
        wsc__alloc_fail_nth(n);
        bool got = tsse_wait(&t, &s, "\nid: m4\n", 300);
        fired = !wsc__alloc_fail_armed();
        wsc__alloc_fail_nth(0);
        if (got) {
            const char *first = strstr(tsse_text(&s), "\nid: ");
            assert_non_null(first);
            if (strncmp(first, "\nid: m3\n", 8) == 0)
                resumed++;
            else if (strncmp(first, "\nid: m0\n", 8) == 0)
                all++;
            else
                fail_msg("the stream began with %.16s", first);
        } else {
            other++;
        }
        tsse_close(&s);
        /* The stream's end is seen at its next ping. */
        assert_true(thub_wait_ge(&t, &t.disconnects, t.connects, 3000));
        assert_true(offline_count(&t, "sam") >= 2);
    }
    print_message("sse resume out of memory: %zu resumed, %zu replayed all, %zu other\n", resumed,
                  all, other);
    assert_false(fired);
    assert_true(all >= 1);
    assert_true(resumed >= 1);
    thub_free(&t);
}

static void
test_sse_resume__after_a_message_on_the_first_page_by_query(void **state)
{
    (void)state;
    thub t;
    start(&t);
    store(&t, "sam", 5);
    tsse s;
    resume(&t, &s, "user_id=sam&last_event_id=m2", NULL, "m3", "m4");
    thub_run_for(&t, 50);
    assert_int_equal(tsse_ids(&s), 2);
    assert_int_equal(offline_count(&t, "sam"), 2);
    tsse_close(&s);
    thub_free(&t);
}

static void
test_sse_resume__the_last_stored_message_leaves_nothing_to_replay(void **state)
{
    (void)state;
    thub t;
    start(&t);
    store(&t, "sam", 100); /* exactly one full page: the match is its last message */
    tsse s;
    tsse_open(&t, &s, "user_id=sam", "Last-Event-ID: m99");
    assert_true(tsse_wait(&t, &s, "event: connected", 2000));
    size_t n = (size_t)-1;
    for (int i = 0; i < 300 && n != 0; i++) { /* the store empties: every message passed */
        struct res r = {0};
        assert_int_equal(wsc_hub_offline_count(t.hub, "sam", on_count, &r), WSC_OK);
        assert_true(thub_wait(&t, counted, &r, 3000));
        n = (size_t)r.count;
        if (n != 0)
            thub_run_for(&t, 10);
    }
    assert_int_equal(n, 0);
    /* Live traffic flows once the (empty) replay is over. */
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", "live"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, "live-1"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user(t.hub, "sam", m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_true(tsse_wait(&t, &s, "\nid: live-1\n", 2000));
    assert_int_equal(tsse_ids(&s), 1);
    tsse_close(&s);
    thub_free(&t);
}

static void
test_sse_resume__unknown_or_overlong_id_replays_everything(void **state)
{
    (void)state;
    thub t;
    start(&t);
    store(&t, "sam", 105); /* more than a page: the seek reads both before giving up */
    tsse s;
    resume(&t, &s, "user_id=sam", "Last-Event-ID: not-stored", "m0", "m104");
    thub_run_for(&t, 50);
    assert_int_equal(tsse_ids(&s), 105);
    tsse_close(&s);
    assert_true(thub_wait_ge(&t, &t.disconnects, 1, 2000)); /* a ping's write failed */
    assert_int_equal(offline_count(&t, "sam"), 105);        /* nothing removed */

    /* 300 bytes cannot be an id of ours: ignored, as if no Last-Event-ID came. */
    char header[400] = "Last-Event-ID: ";
    size_t at = strlen(header);
    memset(header + at, 'm', 300);
    header[at + 300] = '\0';
    resume(&t, &s, "user_id=sam", header, "m0", "m104");
    thub_run_for(&t, 50);
    assert_int_equal(tsse_ids(&s), 105);
    tsse_close(&s);
    assert_true(thub_wait_ge(&t, &t.disconnects, 2, 2000));
    assert_int_equal(offline_count(&t, "sam"), 105);
    thub_free(&t);
}

static void
test_sse_resume__large_event_and_odd_type(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tsse s;
    tsse_open(&t, &s, "user_id=sam", NULL);
    assert_true(tsse_wait(&t, &s, "event: connected", 2000));
    assert_true(thub_wait_ge(&t, &t.connects, 1, 2000));

    /* 100 KB of content: larger than the hub's 64 KiB write buffer. */
    size_t big = 100 * 1000;
    char *content = malloc(big + 16);
    assert_non_null(content);
    memset(content, 'x', big);
    memcpy(content + big, "END", 4);
    wsc_msg *m = NULL;
    assert_int_equal(wsc_msg_new_text(&m, "text", content), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, "big-1"), WSC_OK);
    size_t queued = 0;
    assert_int_equal(wsc_hub_send_to_user(t.hub, "sam", m, &queued), WSC_OK);
    assert_int_equal(queued, 1);
    wsc_msg_unref(m);
    free(content);
    assert_true(tsse_wait(&t, &s, "xxxEND\"", 3000));
    assert_non_null(strstr(tsse_text(&s), "id: big-1\nevent: text\ndata: {"));

    /* A type with a line break cannot be an event line: the event is called `message`. */
    assert_int_equal(wsc_msg_new_text(&m, "odd\ntype", "hi"), WSC_OK);
    assert_int_equal(wsc_msg_set(m, WSC_F_MESSAGE_ID, "odd-1"), WSC_OK);
    assert_int_equal(wsc_hub_send_to_user(t.hub, "sam", m, NULL), WSC_OK);
    wsc_msg_unref(m);
    assert_true(tsse_wait(&t, &s, "id: odd-1\nevent: message\ndata: {", 2000));
    tsse_close(&s);
    thub_free(&t);
}

/* A stream without an identity is refused like a WebSocket (401 with the JSON body), and the
 * connection ends there. */
static void
test_sse_resume__stream_without_identity_is_refused(void **state)
{
    (void)state;
    thub t;
    thub_start_default(&t);
    tsse s;
    tsse_open(&t, &s, "client_id=tab", "Authorization: Basic Zm9vOmJhcg==");
    assert_true(tsse_wait(&t, &s, "HTTP/1.1 401", 2000));
    assert_true(tsse_wait(&t, &s, "unauthorized", 2000));
    thub_run_for(&t, 50);
    assert_int_equal(t.connects, 0);
    wsc_hub_stats st;
    wsc_hub_get_stats(t.hub, &st);
    assert_int_equal(st.connections_sse, 0);
    tsse_close(&s);
    thub_free(&t);
}

static thttp *
post_send(thub *t, const char *query, const char *body, size_t len)
{
    char path[128];
    snprintf(path, sizeof(path), "/sse/send?%s", query);
    thttp *h = thttp_request(t->port, "POST", path, NULL, body, len);
    assert_non_null(h);
    assert_int_equal(twait_add_http(t->ts, h), 0);
    assert_true(thub_wait(t, thttp_is_done, h, 3000));
    assert_false(thttp_failed(h));
    return h;
}

/* POST /sse/send refuses in words what a WebSocket frame would be refused for: invalid UTF-8
 * (400 invalid_json), a body over msg_limits.max_bytes (400 too_large), a stream's rate limit
 * (429 rate_limited with Retry-After), a client_id that names no open stream (409 no_stream);
 * none of them counts as a violation of the stream, which goes on. */
static void
test_sse_resume__send_refusals(void **state)
{
    (void)state;
    thub t;
    wsc_hub_config cfg;
    thub_config(&t, &cfg);
    cfg.msg_limits.max_bytes = 256;
    cfg.msg_rate_per_conn = 1;
    cfg.msg_burst_per_conn = 2;
    thub_start(&t, &cfg);
    tsse s;
    tsse_open(&t, &s, "user_id=sam&client_id=tab", NULL);
    assert_true(tsse_wait(&t, &s, "event: connected", 2000));
    thttp *h = post_send(&t, "user_id=sam", "{\"content\":\"\xff\"}", 15);
    assert_int_equal(thttp_status(h), 400);
    assert_non_null(strstr(thttp_body(h), "invalid_json"));
    char big[400];
    memset(big, ' ', sizeof(big));
    memcpy(big, "{\"content\":\"x\"", 15);
    big[sizeof(big) - 1] = '}';
    h = post_send(&t, "user_id=sam", big, sizeof(big));
    assert_int_equal(thttp_status(h), 400);
    assert_non_null(strstr(thttp_body(h), "too_large"));
    h = post_send(&t, "user_id=sam&client_id=other", "{}", 2);
    assert_int_equal(thttp_status(h), 409);
    assert_non_null(strstr(thttp_body(h), "no_stream"));
    /* A burst of 2 frames at 1 per second: a few more posts meet the limit. */
    int status = 0;
    for (int i = 0; i < 5 && status != 429; i++) {
        h = post_send(&t, "user_id=sam&client_id=tab", "{\"content\":\"hi\"}", 16);
        status = thttp_status(h);
        assert_true(status == 200 || status == 429);
    }
    assert_int_equal(status, 429);
    assert_non_null(strstr(thttp_body(h), "rate_limited"));
    assert_non_null(thttp_header(h, "retry-after"));
    thub_run_for(&t, 30);
    assert_int_equal(t.disconnects, 0); /* the stream goes on */
    tsse_close(&s);
    thub_free(&t);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_resume__after_a_message_on_a_later_page),
        cmocka_unit_test(test_sse_resume__after_a_message_on_the_second_page_past_the_first_block),
        cmocka_unit_test(test_sse_resume__after_a_message_on_the_first_page_by_query),
        cmocka_unit_test(test_sse_resume__out_of_memory),
        cmocka_unit_test(test_sse_resume__the_last_stored_message_leaves_nothing_to_replay),
        cmocka_unit_test(test_sse_resume__unknown_or_overlong_id_replays_everything),
        cmocka_unit_test(test_sse_resume__large_event_and_odd_type),
        cmocka_unit_test(test_sse_resume__stream_without_identity_is_refused),
        cmocka_unit_test(test_sse_resume__send_refusals),
    };
    return cmocka_run_group_tests_name("integration.hub_sse_resume", tests, NULL, NULL);
}
