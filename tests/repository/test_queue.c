/* SPDX-License-Identifier: MIT */
/* Contract of the message-queue repository on every backend: a FIFO per name; pop takes up to
 * n from the head atomically; messages come back frozen and unchanged. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tstore.h"

static struct wsc_queue_repo *
repo(tstore *ts)
{
    return wsc_store_queues(ts->store);
}

static uint64_t
push(tstore *ts, const char *name, const char *mid, const char *content)
{
    wsc_msg *m = tstore_msg(mid, content);
    tres r = {0};
    assert_int_equal(tstore_supported(wsc_queue_push(repo(ts), name, m, tres_count, &r)), WSC_OK);
    wsc_msg_unref(m);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    return r.count;
}

static void
pop(tstore *ts, const char *name, size_t max, tres *r)
{
    memset(r, 0, sizeof(*r));
    assert_int_equal(wsc_queue_pop(repo(ts), name, max, tres_msgs, r), WSC_OK);
    tstore_wait(ts, r);
    assert_int_equal(r->status, WSC_OK);
}

static uint64_t
length(tstore *ts, const char *name)
{
    tres r = {0};
    assert_int_equal(wsc_queue_length(repo(ts), name, tres_count, &r), WSC_OK);
    tstore_wait(ts, &r);
    assert_int_equal(r.status, WSC_OK);
    return r.count;
}

static void
test_queue__fifo_push_pop_length(void **state)
{
    tstore *ts = tstore_get(state);
    const char *q = tstore_id(ts, "work:q{1}");
    assert_int_equal(length(ts, q), 0);
    assert_int_equal(push(ts, q, "a", "first"), 1);
    assert_int_equal(push(ts, q, "b", "second \"quoted\" ü"), 2);
    assert_int_equal(push(ts, q, NULL, "no id"), 3);
    assert_int_equal(push(ts, q, "d", "fourth"), 4);
    assert_int_equal(length(ts, q), 4);
    tres r;
    pop(ts, q, 2, &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.mids[0], "a");
    assert_string_equal(r.nodes[0], "first");
    assert_string_equal(r.mids[1], "b");
    assert_string_equal(r.nodes[1], "second \"quoted\" ü");
    assert_int_equal(length(ts, q), 2);
    pop(ts, q, 10, &r);
    assert_int_equal(r.n, 2);
    assert_string_equal(r.mids[0], "");
    assert_string_equal(r.nodes[0], "no id");
    assert_string_equal(r.mids[1], "d");
    pop(ts, q, 10, &r);
    assert_int_equal(r.n, 0);
    assert_int_equal(length(ts, q), 0);
}

static void
test_queue__names_are_separate(void **state)
{
    tstore *ts = tstore_get(state);
    char a[128], b[128];
    /* "x:y" and "x%3Ay" must not collide once escaped. */
    snprintf(a, sizeof(a), "%s", tstore_id(ts, "x:y"));
    snprintf(b, sizeof(b), "%s", tstore_id(ts, "x%3Ay"));
    assert_int_equal(push(ts, a, "1", "in a"), 1);
    assert_int_equal(push(ts, b, "2", "in b"), 1);
    tres r;
    pop(ts, a, 5, &r);
    assert_int_equal(r.n, 1);
    assert_string_equal(r.nodes[0], "in a");
    assert_int_equal(length(ts, b), 1);
    pop(ts, b, 5, &r);
}

struct popper {
    tres r[8];
};

static bool
all_popped(void *arg)
{
    struct popper *p = arg;
    for (int i = 0; i < 8; i++)
        if (p->r[i].calls == 0)
            return false;
    return true;
}

static void
test_queue__concurrent_pops_share_nothing(void **state)
{
    tstore *ts = tstore_get(state);
    const char *q = tstore_id(ts, "shared");
    char mid[8];
    for (int i = 0; i < 20; i++) {
        snprintf(mid, sizeof(mid), "m%d", i);
        push(ts, q, mid, "x");
    }
    /* Eight pops in flight at once: every message goes to exactly one of them. */
    struct popper *p = calloc(1, sizeof(*p));
    for (int i = 0; i < 8; i++)
        assert_int_equal(wsc_queue_pop(repo(ts), q, 3, tres_msgs, &p->r[i]), WSC_OK);
    assert_true(tstore_until(ts, all_popped, p, 5000));
    int seen[20] = {0}, total = 0;
    for (int i = 0; i < 8; i++) {
        assert_int_equal(p->r[i].status, WSC_OK);
        for (size_t k = 0; k < p->r[i].n; k++) {
            seen[atoi(p->r[i].mids[k] + 1)]++;
            total++;
        }
    }
    assert_int_equal(total, 20);
    for (int i = 0; i < 20; i++)
        assert_int_equal(seen[i], 1);
    free(p);
}

static void
test_queue__invalid(void **state)
{
    tstore *ts = tstore_get(state);
    tres r = {0};
    wsc_msg *m = tstore_msg("x", "y");
    assert_int_equal(tstore_supported(wsc_queue_push(repo(ts), "", m, tres_count, &r)),
                     WSC_ERR_INVALID);
    assert_int_equal(wsc_queue_push(repo(ts), "q", NULL, tres_count, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_queue_pop(repo(ts), "q", 0, tres_msgs, &r), WSC_ERR_INVALID);
    assert_int_equal(wsc_queue_pop(repo(ts), "q", 1001, tres_msgs, &r), WSC_ERR_INVALID);
    wsc_msg *bin = NULL;
    assert_int_equal(wsc_msg_new_binary(&bin, "ab", 2), WSC_OK);
    assert_int_equal(wsc_queue_push(repo(ts), "q", bin, tres_count, &r), WSC_ERR_UNSUPPORTED);
    wsc_msg_unref(bin);
    wsc_msg_unref(m);
    wsc_loop_run_once(ts->loop, 5);
    assert_int_equal(r.calls, 0);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_queue__fifo_push_pop_length),
        cmocka_unit_test(test_queue__names_are_separate),
        cmocka_unit_test(test_queue__concurrent_pops_share_nothing),
        cmocka_unit_test(test_queue__invalid),
    };
    char name[64];
    const char *b = getenv("WSC_TEST_BACKEND");
    snprintf(name, sizeof(name), "repository.queue.%s", b ? b : "url");
    return cmocka_run_group_tests_name(name, tests, tstore_setup, tstore_teardown);
}
