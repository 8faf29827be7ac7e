/* SPDX-License-Identifier: MIT */
/* One user must not be able to hurt another through the offline store (issue 9), tested on
 * the real wsc-hub binary (WSC_HUB_BIN) from outside with its default in-memory store:
 * - one WebSocket client sending many large require_ack messages to many user ids that never
 *   connect cannot grow the hub's RSS past what its per-sender byte bound
 *   (--offline-max-bytes-per-sender) allows: once over, its messages are answered
 *   "rejected" with data.error "inbox_full", and another sender is still stored;
 * - a sender that filled its share of a user's inbox (--offline-max-per-sender) is refused
 *   with inbox_full, while a second sender still reaches that user, who then receives both. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "thubproc.h"
#include "tjson.h"
#include "twait.h"

#define WAIT_MS 20000

typedef struct fx {
    thubproc hub;
    twait_set *ts;
    int port;
    char *content; /* freed by teardown */
} fx;

static int
setup(void **state)
{
    fx *f = calloc(1, sizeof(*f));
    f->ts = twait_set_new();
    f->port = thubproc_free_port();
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    fx *f = *state;
    thubproc_stop(&f->hub, 5000);
    twait_set_free_all(f->ts);
    free(f->content);
    free(f);
    return 0;
}

/* Under AddressSanitizer (the asan preset builds the hub with it too), freed blocks wait in
 * a quarantine of up to 256 MB that would count in the hub's RSS: turn it off for the child,
 * so that RSS shows what the hub holds. */
static void
no_asan_quarantine(void)
{
#if defined(__SANITIZE_ADDRESS__)
    const char *was = getenv("ASAN_OPTIONS");
    char opts[512];
    snprintf(opts, sizeof(opts), "%s%squarantine_size_mb=0:thread_local_quarantine_size_kb=0",
             was != NULL ? was : "", was != NULL && *was != '\0' ? ":" : "");
    setenv("ASAN_OPTIONS", opts, 1);
#endif
}

static void
start(fx *f, const char *const *extra)
{
    no_asan_quarantine();
    char listen[32];
    snprintf(listen, sizeof(listen), "127.0.0.1:%d", f->port);
    const char *args[24] = {"--listen", listen, "--insecure-user-id", "--log-level", "warn"};
    size_t n = 5;
    while (extra != NULL && *extra != NULL && n < 23)
        args[n++] = *extra++;
    args[n] = NULL;
    if (getenv("WSC_HUB_BIN") == NULL)
        skip();
    assert_int_equal(thubproc_start(&f->hub, f->port, args, WAIT_MS), 0);
}

/* The hub's resident set in bytes (VmRSS of /proc/<pid>/status). */
static long long
hub_rss(const fx *f)
{
    char path[64], line[256];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)f->hub.pid);
    FILE *in = fopen(path, "r");
    assert_non_null(in);
    long long kb = -1;
    while (fgets(line, sizeof(line), in) != NULL) {
        if (sscanf(line, "VmRSS: %lld kB", &kb) == 1)
            break;
    }
    fclose(in);
    assert_true(kb > 0);
    return kb * 1024;
}

static tws *
connect_user(fx *f, const char *user)
{
    char path[128];
    snprintf(path, sizeof(path), "/ws?user_id=%s", user);
    tws *c = tws_connect(f->port, path, NULL, NULL);
    assert_non_null(c);
    assert_int_equal(twait_add_ws(f->ts, c), 0);
    assert_true(twait_until(f->ts, NULL, tws_is_open, c, WAIT_MS));
    return c;
}

/* Sends a require_ack text of content to receiver. */
static void
send_ack_msg(tws *c, const char *receiver, const char *mid, const char *content)
{
    size_t cap = strlen(content) + 256;
    char *frame = malloc(cap);
    assert_non_null(frame);
    int n = snprintf(frame, cap,
                     "{\"message_type\":\"text\",\"receiver\":\"%s\",\"message_id\":\"%s\","
                     "\"require_ack\":true,\"content\":\"%s\"}",
                     receiver, mid, content);
    assert_int_equal(tws_send_text(c, frame, (size_t)n), 0);
    free(frame);
}

/* The receipts a client has got, by kind. */
typedef struct receipts {
    tws *c;
    size_t want; /* wait for this many */
    size_t stored, rejected_full, other;
    size_t first_rejected; /* index of the first rejection (SIZE_MAX: none) */
    size_t stored_after_rejected;
    char last_other[256];
} receipts;

static const char *
data_text(json_t *m)
{
    static char buf[300];
    char *t = m != NULL ? json_dumps(m, JSON_COMPACT) : NULL;
    snprintf(buf, sizeof(buf), "%.299s", t != NULL ? t : "(not JSON)");
    free(t);
    return buf;
}

static bool
got_receipts(void *arg)
{
    receipts *r = arg;
    char *data;
    int op;
    size_t len;
    while (tws_next(r->c, &op, &data, &len)) {
        json_t *m = tjson_parse(data);
        if (m == NULL)
            fprintf(stderr, "not JSON (opcode %d, %zu bytes): %.200s\n", op, len, data);
        free(data);
        const char *type = m != NULL ? tjson_str(m, "message_type") : NULL;
        if (type == NULL || strcmp(type, "ack") != 0) {
            if (type == NULL || strcmp(type, "connected") != 0)
                fprintf(stderr, "unexpected frame: %s\n", data_text(m));
            json_decref(m);
            continue;
        }
        const char *status = tjson_str(m, "data.status");
        const char *error = tjson_str(m, "data.error");
        size_t seen = r->stored + r->rejected_full + r->other;
        if (status != NULL && strcmp(status, "stored") == 0) {
            r->stored++;
            r->stored_after_rejected += r->first_rejected != SIZE_MAX;
        } else if (status != NULL && strcmp(status, "rejected") == 0 && error != NULL &&
                   strcmp(error, "inbox_full") == 0) {
            r->rejected_full++;
            if (r->first_rejected == SIZE_MAX)
                r->first_rejected = seen;
        } else {
            r->other++;
            char *text = json_dumps(m, JSON_COMPACT);
            snprintf(r->last_other, sizeof(r->last_other), "%s", text != NULL ? text : "?");
            free(text);
        }
        json_decref(m);
    }
    return r->stored + r->rejected_full + r->other >= r->want;
}

static void
wait_receipts(fx *f, receipts *r)
{
    bool ok = twait_until(f->ts, NULL, got_receipts, r, WAIT_MS);
    if (!ok)
        fprintf(stderr, "state %s close %d pending %zu wants_write %d\n",
                tws_state_name(tws_state(r->c)), tws_close_code(r->c), tws_pending(r->c),
                (int)tws_wants_write(r->c));
    if (!ok || r->other != 0)
        fail_msg("receipts: %zu stored, %zu inbox_full, %zu other (%s) of %zu", r->stored,
                 r->rejected_full, r->other, r->last_other, r->want);
}

#define BIG        60000                  /* bytes of content: a frame under the 64 KiB limit */
#define PER_SENDER (6ull << 20)           /* --offline-max-bytes-per-sender */
#define N_BIG      (4 * PER_SENDER / BIG) /* four times what the bound lets in */

/* One client, many large messages to many users that never connect: stored until the
 * sender's byte bound, rejected inbox_full after it, and the hub grows by no more than the
 * bound allows (a stored message is held parsed and encoded: about twice its JSON). */
static void
test_hub_inbox__one_sender_cannot_grow_the_hub_past_its_bound(void **state)
{
    fx *f = *state;
    char per_sender[32], total[32];
    snprintf(per_sender, sizeof(per_sender), "%llu", PER_SENDER);
    snprintf(total, sizeof(total), "%llu", 4 * PER_SENDER);
    const char *args[] = {"--offline-max-bytes-per-sender",
                          per_sender,
                          "--offline-max-bytes",
                          total,
                          "--offline-max-msgs-per-sender",
                          "0",
                          NULL};
    start(f, args);
    tws *mallory = connect_user(f, "mallory");
    long long before = hub_rss(f);
    char *content = f->content = malloc(BIG + 1);
    assert_non_null(content);
    memset(content, 'j', BIG);
    content[BIG] = '\0';
    receipts r = {.c = mallory, .want = N_BIG, .first_rejected = SIZE_MAX};
    char to[32], mid[32];
    for (size_t i = 0; i < N_BIG; i++) {
        snprintf(to, sizeof(to), "never-%zu", i);
        snprintf(mid, sizeof(mid), "junk-%zu", i);
        send_ack_msg(mallory, to, mid, content);
        if (i % 16 == 15) /* keep the socket moving: read receipts as they come */
            (void)twait_until(f->ts, NULL, got_receipts, &r, 0);
    }
    wait_receipts(f, &r);
    long long grown = hub_rss(f) - before;
    printf("hub RSS grew by %lld bytes for %zu stored messages (per-sender bound %llu)\n", grown,
           r.stored, PER_SENDER);
    /* A stored copy is held parsed and encoded (about twice its JSON, which the bound counts),
     * plus the allocator's (and a sanitizer's) overhead: four times the bound, while what the
     * client sent would take about nine times it in an unbounded hub. */
    if (grown > (long long)(4 * PER_SENDER))
        fail_msg("the hub grew by %lld bytes for %zu stored messages; bound %llu", grown, r.stored,
                 4 * PER_SENDER);
    /* Stored up to the bound (each message counts its JSON, a little over BIG), then refused. */
    assert_true(r.stored <= PER_SENDER / BIG);
    assert_true(r.stored >= PER_SENDER / (BIG + 1024));
    assert_int_equal(r.rejected_full, N_BIG - r.stored);
    assert_int_equal(r.stored_after_rejected, 0);
    /* Another sender is not locked out by the first one's bound. */
    tws *alice = connect_user(f, "alice");
    receipts a = {.c = alice, .want = 1, .first_rejected = SIZE_MAX};
    send_ack_msg(alice, "never-0", "real-1", content);
    wait_receipts(f, &a);
    assert_int_equal(a.stored, 1);
}

/* Receives offline messages on c until n have come; counts those from sender. */
typedef struct inbox {
    tws *c;
    size_t want, got, from_alice;
} inbox;

static bool
got_inbox(void *arg)
{
    inbox *in = arg;
    char *data;
    int op;
    while (tws_next(in->c, &op, &data, NULL)) {
        json_t *m = tjson_parse(data);
        free(data);
        const char *src = m != NULL ? tjson_str(m, "source") : NULL;
        if (src != NULL && strcmp(src, "offline") == 0) {
            in->got++;
            const char *snd = tjson_str(m, "sender");
            in->from_alice += snd != NULL && strcmp(snd, "alice") == 0;
        }
        json_decref(m);
    }
    return in->got >= in->want;
}

/* A sender that filled its share of an inbox is refused; another still reaches the user. */
static void
test_hub_inbox__second_sender_reaches_an_inbox_the_first_filled(void **state)
{
    fx *f = *state;
    const char *args[] = {"--offline-max-per-user", "20", "--offline-max-per-sender", "5", NULL};
    start(f, args);
    tws *mallory = connect_user(f, "mallory");
    receipts r = {.c = mallory, .want = 6, .first_rejected = SIZE_MAX};
    char mid[32];
    for (int i = 0; i < 6; i++) {
        snprintf(mid, sizeof(mid), "junk-%d", i);
        send_ack_msg(mallory, "victim", mid, "junk");
    }
    wait_receipts(f, &r);
    assert_int_equal(r.stored, 5);
    assert_int_equal(r.rejected_full, 1);
    assert_int_equal(r.first_rejected, 5);
    tws *alice = connect_user(f, "alice");
    receipts a = {.c = alice, .want = 1, .first_rejected = SIZE_MAX};
    send_ack_msg(alice, "victim", "real-1", "hello");
    wait_receipts(f, &a);
    assert_int_equal(a.stored, 1);
    /* The victim gets the five of mallory's and alice's. */
    tws *victim = connect_user(f, "victim");
    inbox in = {.c = victim, .want = 6};
    assert_true(twait_until(f->ts, NULL, got_inbox, &in, WAIT_MS));
    assert_int_equal(in.from_alice, 1);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(
            test_hub_inbox__one_sender_cannot_grow_the_hub_past_its_bound, setup, teardown),
        cmocka_unit_test_setup_teardown(
            test_hub_inbox__second_sender_reaches_an_inbox_the_first_filled, setup, teardown),
    };
    return cmocka_run_group_tests_name("integration.hub_inbox", tests, NULL, NULL);
}
